# SPDX-License-Identifier: GPL-2.0
"""Unit tests of tools/gate.py and its CI entry point .ci/gate: recorded runs
judged, nothing built or run."""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gate  # noqa: E402
from common import REPO  # noqa: E402
from testutil import (DATA, NAME, PMD, S, ScratchTreeCase, TREE, needs_parser, snapshot,  # noqa: E402
		      tool)


class GateTest(ScratchTreeCase):

	def test_bad_series_argument_is_one_line_and_exit_2(self):
		rc, out, err = tool('gate', os.path.join(self.d, 'nope'), '--kdir', self.tree)
		self.assertEqual(rc, 2)
		self.assertEqual(len(err.strip().splitlines()), 1, err)
		self.assertIn('neither a patch', err)

	def test_bad_base_arguments_are_one_line_and_exit_2(self):
		"""BASE= needs a git KDIR and no series; the tree is not touched."""
		before = snapshot(self.tree)
		for args, what in ((['--base', 'master'], 'BASE= needs KDIR='),
				   (['--base', 'master', '--kdir', self.tree], 'needs a git tree'),
				   (['x.patch', '--base', 'master', '--kdir', self.tree], 'give no series')):
			rc, _, err = tool('gate', *args)
			self.assertEqual(rc, 2, args)
			self.assertEqual(len(err.strip().splitlines()), 1, err)
			self.assertIn(what, err)
		self.assertEqual(snapshot(self.tree), before)


class CiRecipeTest(unittest.TestCase):

	def test_ci_files_parse_and_call_existing_make_targets(self):
		"""The checked-in CI recipes are valid YAML, only call make targets
		the Makefile has, and gate through .ci/gate (not make gate, whose
		exit status would be make's 2)."""
		import re  # pylint: disable=import-outside-toplevel
		try:
			import yaml  # pylint: disable=import-outside-toplevel
		except ImportError:
			self.skipTest('python3-yaml not installed')
		with open(os.path.join(REPO, 'Makefile')) as f:
			targets = set(re.findall(r'^([\w-]+):', f.read(), re.M))
		for rel in ('.github/workflows/zone-device-kunit.yml', '.gitlab-ci.yml'):
			with open(os.path.join(REPO, rel)) as f:
				text = f.read()
			self.assertIsInstance(yaml.safe_load(text), dict, rel)
			called = set(re.findall(r'^\s*(?:- )?(?:run: )?make (\w+)', text, re.M))
			self.assertTrue(called, rel)
			self.assertLessEqual(called, targets, rel)
			self.assertNotIn('gate', called, rel)
			self.assertRegex(text, r'(?m)^\s*(?:- )?(?:run: )?\.ci/gate ', rel)
		self.assertTrue(os.access(os.path.join(REPO, '.ci/gate'), os.X_OK))


@needs_parser
class GateVerdictTest(unittest.TestCase):

	def test_compare_rules(self):
		base = {'s.a': S.PASS, 's.b': S.FAIL, 's.c': S.PASS, 's.d': S.PASS, 's.e': S.SKIP,
			's.f': S.FAIL, 's.k': S.KNOWN, 's.l': S.KNOWN, 's.m': S.KNOWN, 's.n': S.PASS,
			's.g': S.PASS}
		patched = {'s.a': S.PASS, 's.b': S.PASS, 's.c': S.FAIL, 's.d': S.SKIP, 's.e': S.CRASH,
			   's.f': S.CRASH, 's.k': S.KNOWN, 's.l': S.FAIL, 's.m': S.PASS, 's.n': S.KNOWN}
		rows = {c: (b, p, k) for c, b, p, k in gate.compare(base, patched)}
		self.assertEqual(rows, {'s.b': ('FAIL', 'PASS', 'fixed'),
					's.c': ('PASS', 'FAIL', 'regressed'),
					's.d': ('PASS', 'SKIP', 'regressed'),
					's.e': ('SKIP', 'CRASH', 'regressed'),
					's.g': ('PASS', 'CRASH', 'regressed'),	# never reported
					's.k': ('KNOWN', 'KNOWN', 'known failure, unchanged'),
					's.l': ('KNOWN', 'FAIL', 'regressed'),
					's.m': ('KNOWN', 'PASS', 'fixed'),
					's.n': ('PASS', 'KNOWN', 'regressed')})

	def judge(self, base, patched):
		a = {}
		rc = gate.judge(NAME, os.path.join(DATA, base), os.path.join(DATA, patched), a, TREE)
		return rc, {c: k for c, _, _, k in a['rows']}, a

	def test_judge_recorded_runs(self):
		rc, kinds, a = self.judge('known', 'known')
		self.assertEqual((rc, kinds), (0, {PMD: 'known failure, unchanged'}))
		self.assertIn('do_huge_pmd_device_private()', a['reason'][PMD])
		rc, kinds, a = self.judge('known', 'known-and-leak')
		self.assertEqual((rc, kinds), (1, {PMD: 'regressed'}))
		self.assertIn('device leaked', a['why'][PMD])
		self.assertEqual(self.judge('known', 'fixed')[:2], (0, {PMD: 'fixed'}))
		rc, kinds, a = self.judge('known', 'crash')
		self.assertEqual(rc, 1)
		self.assertEqual(kinds['zone_device_fault.contended_fault_sleeps_instead_of_spinning'],
				 'regressed')
		self.assertIn('crashed or timed out', a['note'])

	def entry(self, *args):
		"""The CI entry point, .ci/gate, with deps.sh satisfied by a fake
		dpkg-query (nothing is installed): (status, stdout, stderr)."""
		d = tempfile.mkdtemp()
		self.addCleanup(shutil.rmtree, d)
		with open(os.path.join(d, 'dpkg-query'), 'w') as f:
			f.write('#!/bin/sh\necho "install ok installed"\n')
		os.chmod(os.path.join(d, 'dpkg-query'), 0o755)
		env = dict(os.environ, PATH=d + os.pathsep + os.environ['PATH'], ZDT_KUNIT_TREE=TREE,
			   PYTHON=sys.executable, PYTHONDONTWRITEBYTECODE='1')
		p = subprocess.run([os.path.join(REPO, '.ci/gate'), *args, '--results',
				    os.path.join(d, 'out')], capture_output=True, text=True, env=env,
				   check=False)
		summary = os.path.join(d, 'out', 'summary.md')
		md = ''
		if os.path.exists(summary):
			with open(summary, encoding='utf-8') as f:
				md = f.read()
		return p.returncode, p.stdout, p.stderr, md

	def test_ci_entry_point_passes_the_gate_status_on(self):
		rc, out, err, md = self.entry('--compare', os.path.join(DATA, 'known'),
					      os.path.join(DATA, 'known-and-leak'))
		self.assertEqual(rc, 1, err)
		self.assertIn(f'| {PMD} | KNOWN | FAIL | regressed | mm/tests/zone_device_fixture.c:412: '
			      'device leaked', md)
		rc, out, err, md = self.entry('--compare', os.path.join(DATA, 'known'),
					      os.path.join(DATA, 'known'))
		self.assertEqual(rc, 0, err)
		self.assertIn(f'### {NAME}: known failures, unchanged', md)
		self.assertIn('No case changed its verdict.', md)
		rc, out, err, md = self.entry(os.path.join(DATA, 'no-such-series'))
		self.assertEqual(rc, 2)
		self.assertEqual(len(err.strip().splitlines()), 1, err)
		self.assertIn('neither a patch', err)
		rc, out, err, md = self.entry('--compare', os.path.join(DATA, 'nowhere'), DATA)
		self.assertEqual(rc, 2)
		self.assertEqual(len(err.strip().splitlines()), 1, err)


if __name__ == '__main__':
	unittest.main()
