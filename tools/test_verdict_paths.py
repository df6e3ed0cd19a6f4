# SPDX-License-Identifier: GPL-2.0
"""tools/verdict_paths.py: the Verdict-* headers of patches/verdict-paths and
the judgement of a recorded run against them (nothing built or run)."""

import glob
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import verdict_paths  # noqa: E402
from common import ToolError  # noqa: E402

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'test_data')
COMPLETE = os.path.join(DATA, 'watch', '7.3.4-x86_64.ktap')
CRASH = os.path.join(DATA, 'crash', '7.3.4-x86_64.ktap')
WATCH = 'zone_device_watch.no_splat_outside_a_case'


class VerdictPathsTest(unittest.TestCase):
	def test_every_patch_states_its_verdicts(self):
		patches = sorted(glob.glob(os.path.join(verdict_paths.DIR, '*.patch')))
		self.assertGreaterEqual(len(patches), 6)
		for p in patches:
			v = verdict_paths.verdicts(p)
			self.assertTrue({'run', 'gate', 'mutants'} <= set(v), p)
			self.assertRegex(v['run'], r'^\d ', p)
			self.assertRegex(v['gate'], r'^\d ', p)

	def test_a_patch_without_its_verdicts_is_bad_input(self):
		with tempfile.TemporaryDirectory() as d:
			p = os.path.join(d, 'x.patch')
			with open(p, 'w', encoding='utf-8') as f:
				f.write('Subject: x\nVerdict-run: 1 incomplete\nVerdict-sky: blue\n---\n')
			with self.assertRaisesRegex(ToolError, 'unknown: sky'):
				verdict_paths.verdicts(p)

	def test_a_run_is_judged_by_exit_case_and_completeness(self):
		check = verdict_paths.check_run
		self.assertEqual(check(f'0 {WATCH} PASS', 0, '', COMPLETE), '')
		self.assertIn('not FAIL', check(f'0 {WATCH} FAIL', 0, '', COMPLETE))
		self.assertIn('exit 0, not 1', check(f'1 {WATCH} FAIL', 0, '', COMPLETE))
		self.assertEqual(check('1 incomplete', 1, '', COMPLETE), 'the run is complete')
		self.assertEqual(check('1 incomplete', 1, '', CRASH), '')
		self.assertEqual(check('1 booted, no KTAP', 1, '== x: CRASH: booted, no KTAP', CRASH), '')
		self.assertNotEqual(check('1 booted, no KTAP', 1, '== x: 3 passed', CRASH), '')


if __name__ == '__main__':
	unittest.main()
