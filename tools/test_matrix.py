# SPDX-License-Identifier: GPL-2.0
"""Unit tests of tools/matrix.py: the rules and the cells, no kernel."""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import matrix  # noqa: E402
import results  # noqa: E402
from testutil import (DATA, EVICTION, FAULT, FORK_PMD, GUP, PMD, S, TREE, load,  # noqa: E402
		      load_612, needs_612_parser, needs_parser, suite_text)


class MatrixTest(unittest.TestCase):

	def test_shards_are_the_runs_each_once(self):
		"""make matrix SHARD=K/N: the N shares are every run exactly once."""
		runs = matrix.matrix_runs(['6.12', '7.2', '7.3'])
		self.assertEqual(runs, [('6.12', 'x86_64'), ('7.2', 'x86_64'), ('7.3', 'x86_64'),
					('7.3', 'arm64'), ('7.3', 'um')])
		for n in (1, 2, 3, 5, 6):
			shares = [matrix.cli.share(runs, k, n) for k in range(1, n + 1)]
			self.assertEqual(sorted(sum(shares, [])), sorted(runs))

	def test_every_case_has_a_rule(self):
		"""Each case of each suite gets a row with the rule its comment states."""
		rows = matrix.rules()
		sources = suite_text()
		self.assertEqual(len(rows), len(set(re.findall(r'KUNIT_CASE\w*\((\w+)', sources))))
		for case, rule, _ in rows:
			self.assertGreater(len(rule), 20, case)


@needs_parser
class MatrixCellTest(unittest.TestCase):

	def test_cells(self):
		known, fixed = load('known'), load('fixed')
		self.assertEqual(matrix.cell(known.cases[PMD], {}),
				 'FAIL (known bug) ([fix](../patches/fixes/0001-mm-huge_memory-sleep-on-a-'
				 'locked-device-private-folio.patch))')
		self.assertEqual(matrix.cell(load('known-and-leak').cases[PMD], {}), 'FAIL')
		self.assertEqual(matrix.cell(fixed.cases[PMD], {}), 'PASS')
		self.assertEqual(matrix.cell(None, {}), 'not run')
		skipped = results.Case('s.c', S.SKIP, skip_reason='needs CONFIG_ZONE_DEVICE')
		self.assertEqual(matrix.cell(skipped, {}), 'n/a: needs CONFIG_ZONE_DEVICE')
		locked = 'zone_device_fault.migrate_to_ram_runs_with_the_folio_locked'
		said = matrix.rules_said(known.cases[locked])
		self.assertTrue(said.startswith('do_swap_page() must hold the folio lock'))
		self.assertEqual(matrix.cell(known.cases[locked], {locked: said}), 'PASS')
		self.assertEqual(matrix.cell(known.cases[locked], {locked: 'other'}), f'differs: {said}')
		# A case that passes on one parameter still names the ones that skipped.
		self.assertEqual(matrix.cell(load('skip-first').cases[GUP], {}),
				 'PASS; n/a for pin_user_pages_unlocked: no device-coherent memory '
				 '(zone_device_fixture.coherent=)')

	def test_arch_differences_name_the_case_and_its_reason(self):
		"""docs/semantics.md's arm64 section: the cases whose verdict
		differs from x86_64 on the same kernel, each with its reason."""
		runs = {a: results.load_known(os.path.join(DATA, 'arm64', f'7.3.4-{a}.ktap'))
			for a in ('x86_64', 'arm64')}
		data = [(a, '7.3.4', a, runs[a], {}) for a in ('x86_64', 'arm64')]
		lines = [l for l in matrix.arch_differences(data) if l.startswith('- ')]
		self.assertEqual(len(lines), 1)
		self.assertIn(f'`{FORK_PMD}`: x86_64 PASS, arm64 KNOWN: remove_migration_pmd()', lines[0])
		same = matrix.arch_differences([data[0], ('arm64', '7.3.4', 'arm64', runs['x86_64'], {})])
		self.assertIn('Every case has the same verdict on arm64 and x86_64.', same)


@needs_612_parser
class Matrix612Test(unittest.TestCase):

	def test_6_12_cells(self):
		"""The 6.12 column: the known PTE bug (6.12's entry cites no fix
		patch), and eviction PASS naming the parameter that needs 6.15."""
		r = load_612()
		self.assertEqual(matrix.cell(r.cases[FAULT], {}), 'FAIL (known bug)')
		self.assertEqual(matrix.cell(r.cases[EVICTION], {}),
				 'PASS; n/a for migrate_device_pfns: needs migrate_device_pfns() '
				 '(a14fa8ec9d81, 6.15)')


if __name__ == '__main__':
	unittest.main()
