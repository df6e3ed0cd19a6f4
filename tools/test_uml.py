# SPDX-License-Identifier: GPL-2.0
"""Unit tests of tools/uml.py: which patches/uml series a kernel gets, and
putting it into a scratch tree and taking it out again (nothing built)."""

import contextlib
import io
import os
import sys
import unittest
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import results  # noqa: E402
import run  # noqa: E402
import uml  # noqa: E402
from common import ToolError, reserved_ram  # noqa: E402
from testutil import ScratchTreeCase, diff, snapshot  # noqa: E402


class SeriesForVersionTest(unittest.TestCase):

	def test_the_repo_series_covers_7_2_and_7_3_not_6_12(self):
		base = uml.patches_for('7.3.4')
		self.assertTrue(base)
		self.assertTrue(all('/7.2/' not in p for p in base))
		self.assertNotIn(uml.COVER, map(os.path.basename, base))
		v72 = uml.patches_for('7.2.13')
		self.assertEqual(set(base) <= set(v72), True)
		self.assertTrue(any('/7.2/' in p for p in v72))
		self.assertEqual(v72, sorted(v72, key=os.path.basename))
		self.assertEqual(uml.patches_for('6.12.117'), [])
		self.assertIn('6.12', uml.why_none('6.12.117'))
		self.assertIn('no ZONE_DEVICE', uml.why_none('6.12.117'))

	def test_um_gets_the_fragment_and_kernel_args_only_with_a_series(self):
		reserve = reserved_ram.kernel_args('um')[0]
		with mock.patch.object(run, 'kernel_version', return_value='7.3.4'):
			self.assertEqual(run.kunitconfigs('t', 'um'), [run.SUITES, uml.KUNITCONFIG])
			self.assertEqual(run.kunitconfigs('t', 'x86_64'), [run.SUITES, run.HOTPLUG])
			args = run.kunit_args('t', 'um', 60, [])
			self.assertIn(reserve, args)
			self.assertIn(uml.KUNITCONFIG, args)
		with mock.patch.object(run, 'kernel_version', return_value='6.12.117'):
			self.assertEqual(run.kunitconfigs('t', 'um'), [run.SUITES])
			self.assertNotIn(reserve, run.kunit_args('t', 'um', 60, []))


class CompareWithX86Test(unittest.TestCase):
	"""selftest's check: what passes on x86_64 passes under UML or skips
	naming what UML lacks."""

	def compare(self, um_cases) -> bool:
		import selftest  # pylint: disable=import-outside-toplevel
		S = results.Status
		x86 = results.Run(cases={'s.a': results.Case('s.a', S.PASS),
					 's.thp': results.Case('s.thp', S.PASS),
					 's.known': results.Case('s.known', S.KNOWN)})
		um = results.Run(cases=um_cases)
		with mock.patch.object(selftest, 'kernel_version', return_value='7.3.4'), \
		     mock.patch.object(results, 'load_known',
				       side_effect=lambda path: um if '-um.' in path else x86), \
		     contextlib.redirect_stdout(io.StringIO()):
			return selftest.uml_compare('tree')

	def test_make_test_runs_under_uml_the_first_mutant_of_each_suite(self):
		import mutants  # pylint: disable=import-outside-toplevel
		import selftest  # pylint: disable=import-outside-toplevel
		sample = selftest.uml_mutants()
		suites = [mutants.caught_by(p)[0].split('.')[0] for p in sample]
		self.assertEqual(len(suites), len(set(suites)))
		self.assertIn('zone_device_pgmap', suites)
		self.assertTrue(os.path.basename(sample[0]).startswith('0001-'))

	def test_skip_for_what_uml_lacks_is_fine_any_other_is_not(self):
		S = results.Status
		thp = results.Case('s.thp', S.SKIP, skip_reason='needs ... (UML: no '
				   'HAVE_ARCH_TRANSPARENT_HUGEPAGE)')
		self.assertTrue(self.compare({'s.a': results.Case('s.a', S.PASS), 's.thp': thp}))
		hotplug = results.Case('s.a', S.SKIP, skip_reason='needs CONFIG_ZONE_DEVICE (UML: '
				       'mainline arch/um has no memory hotplug)')
		self.assertFalse(self.compare({'s.a': hotplug, 's.thp': thp}))
		self.assertFalse(self.compare({'s.thp': thp}))		# s.a missing
		self.assertFalse(self.compare({'s.a': results.Case('s.a', S.FAIL), 's.thp': thp}))


class AppliedTest(ScratchTreeCase):
	"""A two-patch series over arch/um of a scratch tree."""

	def setUp(self):
		super().setUp()
		self.cache = os.path.join(self.d, 'cache')
		env = mock.patch.dict(os.environ, {'ZDT_CACHE': self.cache})
		env.start()
		self.addCleanup(env.stop)
		os.makedirs(os.path.join(self.tree, 'arch/um'))
		with open(os.path.join(self.tree, 'arch/um/Kconfig'), 'w') as f:
			f.write('config UML\n\tbool\n')
		self.p1 = self.patch('0001-a.patch', 'arch/um/Kconfig', 'config UML\n\tbool\n',
				     'config UML\n\tbool\n\tselect SPARSEMEM\n')
		self.p2 = self.patch('0002-b.patch', 'arch/um/new.c', None, 'int x;\n')

	def patch(self, name: str, rel: str, old, new) -> str:
		p = os.path.join(self.d, name)
		with open(p, 'w') as f:
			f.write(f'Subject: {name}\n\n---\n' + diff(rel, old, new))
		return p

	def read(self, rel: str) -> str:
		with open(os.path.join(self.tree, rel)) as f:
			return f.read()

	def test_a_user_tree_gets_it_for_the_run_and_back_as_it_was(self):
		before = snapshot(self.tree)
		a = uml.Applied(self.tree, [self.p1, self.p2], keep=False)
		said = a.open()
		self.assertIn('taken out after the run', said)
		self.assertIn('select SPARSEMEM', self.read('arch/um/Kconfig'))
		self.assertEqual(self.read('arch/um/new.c'), 'int x;\n')
		a.close()
		after = snapshot(self.tree)
		self.assertEqual({k: v[0] for k, v in after.items()},
				 {k: v[0] for k, v in before.items()})

	def test_a_patch_that_does_not_apply_names_itself_and_leaves_the_tree(self):
		before = snapshot(self.tree)
		bad = self.patch('0003-c.patch', 'arch/um/Kconfig', 'config OTHER\n', 'config X\n')
		with self.assertRaises(ToolError) as e:
			uml.Applied(self.tree, [self.p1, bad], keep=False).open()
		self.assertIn('0003-c.patch does not apply', str(e.exception))
		self.assertEqual({k: v[0] for k, v in snapshot(self.tree).items()},
				 {k: v[0] for k, v in before.items()})

	def test_kept_stays_is_found_again_and_a_new_series_replaces_the_old(self):
		a = uml.Applied(self.tree, [self.p1], keep=True)
		self.assertIn('kept', a.open())
		a.close()
		self.assertIn('select SPARSEMEM', self.read('arch/um/Kconfig'))
		self.assertIn('already in the tree', uml.Applied(self.tree, [self.p1], keep=True).open())
		self.assertEqual(uml.status(self.tree)['patches'], ['0001-a.patch'])
		said = uml.Applied(self.tree, [self.p1, self.p2], keep=True).open()
		self.assertIn('replacing an older version', said)
		self.assertEqual(self.read('arch/um/Kconfig').count('select SPARSEMEM'), 1)
		self.assertTrue(os.path.exists(os.path.join(self.tree, 'arch/um/new.c')))

	def test_kept_then_edited_by_hand_is_refused_in_one_line(self):
		uml.Applied(self.tree, [self.p1], keep=True).open()
		with open(os.path.join(self.tree, 'arch/um/Kconfig'), 'a') as f:
			f.write('# mine\n')
		with self.assertRaises(ToolError) as e:
			uml.Applied(self.tree, [self.p1, self.p2], keep=True).open()
		self.assertIn('changed since', str(e.exception))
		self.assertEqual(len(str(e.exception).splitlines()), 1)

	def test_only_trees_under_the_cache_src_are_cached(self):
		self.assertFalse(uml.cached_tree(self.tree))
		src = os.path.join(self.cache, 'src', 'linux-7.3')
		os.makedirs(src)
		self.assertTrue(uml.cached_tree(src))
		self.assertFalse(uml.cached_tree(os.path.join(self.cache, 'srcx')))


if __name__ == '__main__':
	unittest.main()
