# SPDX-License-Identifier: GPL-2.0
"""Unit tests of tools/flake.py: tallies of recorded runs, and the CPU hogs."""

import contextlib
import io
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import flake  # noqa: E402
from testutil import GUP, PMD, S, load, needs_parser  # noqa: E402


@needs_parser
class FlakeTest(unittest.TestCase):

	def test_stable_runs_are_not_flaky(self):
		runs = [load('known')] * 3
		rows, n = flake.case_table(runs)
		self.assertEqual(n, 0)
		self.assertIn(f'| {PMD} | known failure 3/3 |  | runs 1 2 3; run 1: '
			      'mm/tests/zone_device_fault_kunit.c:237', '\n'.join(rows))
		self.assertIn(f'| {GUP} | passed 3/3 |  |  |', '\n'.join(rows))
		self.assertEqual(len(rows), 2 + 46)

	def test_a_verdict_that_changes_is_flaky(self):
		runs = [load('known'), load('known-and-leak'), load('fixed'), load('known')]
		t = flake.tally(runs)
		self.assertEqual(t[PMD], {S.KNOWN: 2, S.FAIL: 1, S.PASS: 1})
		self.assertTrue(flake.flaky(t[PMD]))
		self.assertEqual(flake.spell(t[PMD], 4), 'passed 1/4, known failure 2/4, failed 1/4')
		rows, n = flake.case_table(runs)
		self.assertEqual(n, 1)
		self.assertIn('FLAKY | runs 1 2 4; run 1:', '\n'.join(rows))

	def test_cases_a_crashed_run_never_reached_count_as_crashed(self):
		t = flake.tally([load('known'), load('crash')])
		self.assertEqual(t[PMD], {S.KNOWN: 1, S.CRASH: 1})
		self.assertEqual(t[GUP], {S.PASS: 2})

	def test_mutant_rows(self):
		row, fl = flake.mutant_row('0010.patch', ['caught', 'caught', 'MISSED (s.c passed)'])
		self.assertTrue(fl)
		self.assertTrue(row.startswith('| 0010.patch | caught 2/3 | FLAKY |'))
		self.assertFalse(flake.mutant_row('p', ['caught', 'caught (crash/timeout)'])[1])
		self.assertFalse(flake.mutant_row('p', ['MISSED (x passed)'] * 3)[1])


class FlakeHogTest(unittest.TestCase):

	def test_hogs_stop_at_the_end_and_on_error(self):
		with contextlib.redirect_stdout(io.StringIO()), flake.cpu_hogs(2) as hogs:
			self.assertEqual([h.poll() for h in hogs], [None, None])
		self.assertTrue(all(h.poll() is not None for h in hogs))
		with self.assertRaises(RuntimeError):
			with contextlib.redirect_stdout(io.StringIO()), flake.cpu_hogs(1) as hogs:
				raise RuntimeError('boom')
		self.assertIsNotNone(hogs[0].poll())


if __name__ == '__main__':
	unittest.main()
