# SPDX-License-Identifier: GPL-2.0
"""Unit tests of tools/modules.py: the modular run's config, load order,
KTAP documents and init log."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import modules  # noqa: E402
import results  # noqa: E402
from run import SUITES as KUNITCONFIG  # noqa: E402

# Two modules' documents as the console shows them (7.3, one suite each),
# with an init line between them.
TWO_DOCUMENTS = '''KTAP version 1
1..1
    KTAP version 1
    # Subtest: zone_device_pgmap
    # module: zone_device_pgmap_kunit
    1..1
    ok 1 private_starts_at_zero
ok 1 zone_device_pgmap
zdt-init: loading /zone_device_gup_kunit.ko
KTAP version 1
1..2
    KTAP version 1
    # Subtest: zone_device_fault
    1..1
    not ok 1 migrate_to_ram_called_once
not ok 1 zone_device_fault
    KTAP version 1
    # Subtest: zone_device_fault_pmd
    1..1
    ok 1 pmd_case # SKIP needs the suite built in
ok 2 zone_device_fault_pmd
'''.splitlines()


class ModulesTest(unittest.TestCase):

	def test_every_suite_of_the_kunitconfig_becomes_a_module(self):
		add = modules.kconfig_add(KUNITCONFIG)
		suites = modules.kunitconfig_suites(KUNITCONFIG)
		self.assertGreaterEqual(len(suites), 9)
		for c in suites:
			self.assertIn(f'{c}=m', add)
		self.assertIn('CONFIG_KUNIT=m', add)
		self.assertIn('CONFIG_MODULE_UNLOAD=y', add)
		self.assertFalse([e for e in add if not e.startswith('CONFIG_')])

	def test_the_kunitconfig_turns_on_every_suite_of_the_makefile(self):
		"""mm-tests/.kunitconfig, the one list of the suites, names each
		suite mm-tests/Makefile builds (the fixture is selected by them)."""
		built = set(modules.module_objects()) - {'CONFIG_ZONE_DEVICE_KUNIT_FIXTURE'}
		self.assertEqual(set(modules.kunitconfig_suites(KUNITCONFIG)), built)

	def test_load_order_is_kunit_fixture_then_suites(self):
		order = modules.load_order(KUNITCONFIG)
		self.assertEqual(order[0], 'lib/kunit/kunit.ko')
		self.assertEqual(order[1], 'mm/zone_device_fixture.ko')
		self.assertEqual(len(order), 2 + len(modules.kunitconfig_suites(KUNITCONFIG)))
		self.assertIn('mm/tests/zone_device_fault_kunit.ko', order)

	def test_suite_names_are_read_from_the_sources(self):
		self.assertEqual(modules.suite_names(['mm/tests/zone_device_fault_kunit']),
				 ['zone_device_fault', 'zone_device_fault_pmd'])

	def test_documents_merge_into_one_numbered_through(self):
		merged, init = modules.merge_documents(TWO_DOCUMENTS)
		self.assertEqual(merged[:2], ['KTAP version 1', '1..3'])
		self.assertEqual(init, ['loading /zone_device_gup_kunit.ko'])
		top = [l for l in merged if l.startswith(('ok ', 'not ok '))]
		self.assertEqual(top, ['ok 1 zone_device_pgmap', 'not ok 2 zone_device_fault',
				       'ok 3 zone_device_fault_pmd'])
		# Subtests keep their own headers, plans and numbers.
		self.assertEqual(merged.count('    KTAP version 1'), 3)
		self.assertIn('    ok 1 pmd_case # SKIP needs the suite built in', merged)

	def test_merged_document_parses_as_one_run(self):
		import results  # pylint: disable=import-outside-toplevel
		merged, _ = modules.merge_documents(TWO_DOCUMENTS)
		run = results.from_tree(results.parse(merged), {})
		self.assertEqual(sorted(run.cases), [
			'zone_device_fault.migrate_to_ram_called_once',
			'zone_device_fault_pmd.pmd_case',
			'zone_device_pgmap.private_starts_at_zero'])
		self.assertEqual(run.errors, 0)

	def test_a_clean_init_log_has_no_problems(self):
		init = ['loading /kunit.ko', 'debugfs results of zone_device_pgmap: 812',
			'unloaded modules: 3', 'done']
		self.assertEqual(modules.check_init(init, 3, ['zone_device_pgmap']), [])

	def test_init_problems_are_failures(self):
		init = ['load failed /zone_device_gup_kunit.ko: -2',
			'debugfs results of zone_device_pgmap: -1',
			'unload failed zone_device_fixture: -16', 'unloaded modules: 2', 'done']
		problems = modules.check_init(init, 3, ['zone_device_pgmap', 'zone_device_gup'])
		self.assertEqual(len(problems), 5, problems)
		self.assertIn('debugfs kunit/zone_device_gup/results missing or empty', problems)

	def test_an_init_that_never_finished_is_a_failure(self):
		self.assertEqual(modules.check_init(['loading /kunit.ko'], 3, []),
				 ['the init did not finish'])


if __name__ == '__main__':
	unittest.main()


class PinnedModularSkipsTest(unittest.TestCase):
	"""selftest.MODULAR_SKIPS: on the default kernel exactly the listed
	cases may skip as modules."""

	def run_of(self, statuses):
		run = results.Run()
		for name, (st, why) in statuses.items():
			run.cases[name] = results.Case(name, st, skip_reason=why)
		return run

	def test_only_listed_cases_may_skip_as_modules(self):
		import selftest  # pylint: disable=import-outside-toplevel
		S = results.Status
		listed, other = selftest.MODULAR_SKIPS[0], 'zone_device_gup.pin_x'
		builtin = self.run_of({listed: (S.PASS, ''), other: (S.PASS, '')})
		modular = self.run_of({listed: (S.SKIP, 'needs the suite built in'),
				       other: (S.SKIP, 'needs the suite built in')})
		lost, wrong = selftest.modular_skips_unexplained(modular, builtin, True)
		self.assertEqual([l.split(':')[0] for l in lost], [listed])
		self.assertEqual([w.split(':')[0] for w in wrong], [other])
		# Not pinned (another kernel): the reason alone explains it.
		lost, wrong = selftest.modular_skips_unexplained(modular, builtin, False)
		self.assertEqual(len(lost), 2)
		self.assertEqual(wrong, [])
		# A listed case that runs as a module: the list is stale.
		modular = self.run_of({listed: (S.PASS, ''), other: (S.PASS, '')})
		lost, wrong = selftest.modular_skips_unexplained(modular, builtin, True)
		self.assertEqual(lost, [])
		self.assertEqual([w.split(':')[0] for w in wrong], [listed])
