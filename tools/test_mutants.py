# SPDX-License-Identifier: GPL-2.0
"""Unit tests of tools/mutants.py: Caught-by headers and verdicts, no kernel."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mutants  # noqa: E402
import results  # noqa: E402
from testutil import PMD, load, needs_parser, suite_text  # noqa: E402


class MutantsTest(unittest.TestCase):

	def test_every_patch_names_cases_that_exist(self):
		"""Each regression patch says which cases catch it, and those cases exist."""
		sources = suite_text()
		patches = sorted(os.listdir(mutants.PATCHES))
		self.assertTrue(patches)
		for p in patches:
			cases = mutants.caught_by(os.path.join(mutants.PATCHES, p))
			self.assertTrue(cases, p)
			for c in cases:
				suite, case = c.split('.')
				self.assertIn(f'.name = "{suite}"', sources, (p, c))
				self.assertRegex(sources, rf'KUNIT_CASE\w*\({case}\b', (p, c))

	def test_kernel_dying_before_the_named_case_is_a_crash_not_a_miss(self):
		"""0003 with oops=panic: the case before the named one hits a
		VM_BUG_ON and the kernel panics; the named case never reports."""
		S = results.Status
		v = {'s.first': S.PASS, 's.died_here': S.FAIL}
		self.assertEqual(mutants.judge(1, v, ['s.named'])[0], 'caught (crash/timeout)')
		self.assertTrue(mutants.judge(0, {'s.named': S.PASS}, ['s.named'])[0].startswith('MISSED'))
		self.assertEqual(mutants.judge(1, {'s.named': S.FAIL}, ['s.named'])[0], 'caught')


@needs_parser
class MutantsVerdictTest(unittest.TestCase):

	def test_known_to_fail_is_caught_known_alone_is_missed(self):
		self.assertEqual(mutants.judge(1, load('known-and-leak').verdicts(), [PMD])[0], 'caught')
		verdict = mutants.judge(1, load('known').verdicts(), [PMD])[0]
		self.assertEqual(verdict, f'MISSED ({PMD} known failure only)')
		r = load('crash')
		self.assertEqual(mutants.judge(1, r.verdicts(), [PMD], r.crashed)[0], 'caught (crash/timeout)')


if __name__ == '__main__':
	unittest.main()
