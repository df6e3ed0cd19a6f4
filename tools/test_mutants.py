# SPDX-License-Identifier: GPL-2.0
"""Unit tests of tools/mutants.py: Caught-by headers and verdicts, no kernel."""

import contextlib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mutants  # noqa: E402
from common import ToolError  # noqa: E402
import results  # noqa: E402
from testutil import (DATA, NAME, PMD, TREE, ktap, load, needs_parser, needs_tree,  # noqa: E402
		      scratch_tree, suite_text)

S = results.Status


def complete_leak_ktap() -> str:
	"""The complete recorded x86_64 run (every case of mm-tests/) with the
	PMD contended case failing with a leak instead of the known spin."""
	with open(os.path.join(DATA, 'arm64', f'{NAME}.ktap'), encoding='utf-8') as f:
		text = f.read()
	spin = r'\d+ faults in \d+ ms while the folio was locked: the fault spins'
	assert re.search(spin, text)
	return re.sub(spin, 'device leaked: 1 page still referenced', text)


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

	def test_a_patch_runs_only_the_suite_its_cases_are_in(self):
		"""One suite: run.py --filter <suite>; cases of several suites (or
		none): every suite, no filter."""
		self.assertEqual(mutants.suite_filter(['a.x', 'a.y']), ['--filter', 'a'])
		self.assertEqual(mutants.suite_filter(['a.x', 'b.y']), [])
		self.assertEqual(mutants.suite_filter([]), [])
		self.assertEqual(mutants.suite_filter(['zone_device_watch.no_splat_outside_a_case']), [])

	def test_shards_split_the_patches_without_overlap(self):
		self.assertEqual(mutants.shard('2/3'), (2, 3))
		for bad in ('0/3', '4/3', '3', 'a/b'):
			with self.assertRaises(Exception):
				mutants.shard(bad)
		patches = list(range(10))
		shares = [mutants.cli.share(patches, k, 3) for k in (1, 2, 3)]
		self.assertEqual(sorted(sum(shares, [])), patches)

	def test_merge_makes_one_table_of_the_shards_and_checks_they_add_up(self):
		"""--merge: the shards' summary.json files into one table; 1 if a
		patch was missed, 2 (bad input) if one is missing or there twice."""
		d = tempfile.mkdtemp()
		self.addCleanup(shutil.rmtree, d)
		names = ['0001-a.patch', '0002-b.patch', '0003-c.patch']
		def shard(k, verdicts):  # noqa: E306
			out = os.path.join(d, f'shard{k}')
			rows = [(n, v, ['s.c'] if v == 'caught' else [], [], 10.0)
				for n, v in zip(mutants.cli.share(names, k, 2), verdicts)]
			mutants.write_summary(out, rows, (k, 2), names, '7.3.4', 'arm64')
			return out
		one, two = shard(1, ['caught', 'caught']), shard(2, ['caught'])
		buf = io.StringIO()
		with contextlib.redirect_stdout(buf):
			self.assertEqual(mutants.merge([two, one]), 0)
		self.assertIn('mutants: 3 caught, 0 missed', buf.getvalue())
		self.assertLess(buf.getvalue().index('0001-a'), buf.getvalue().index('0002-b'))
		with contextlib.redirect_stdout(io.StringIO()):
			self.assertEqual(mutants.merge([one, shard(2, ['MISSED'])]), 1)
		with self.assertRaisesRegex(ToolError, '1 patch.* missing .*0002-b'):
			mutants.merge([one])
		with self.assertRaisesRegex(ToolError, 'twice'):
			mutants.merge([one, one, two])
		with self.assertRaisesRegex(ToolError, 'no readable summary.json'):
			mutants.merge([os.path.join(d, 'nowhere')])

	def test_jobs_run_shards_side_by_side_in_copies_of_their_own(self):
		"""--jobs N: N mutants.py at once, the K-th with --shard K/N, its own
		private copy (--slot K) and results dir, the other arguments as
		given (--jobs N gone); then one table; a job that gave no verdict
		(exit 2) is an error of the whole run, never a table."""
		d = tempfile.mkdtemp()
		self.addCleanup(shutil.rmtree, d)
		names = ['0001-a.patch', '0002-b.patch', '0003-c.patch']
		argvs = []

		class Kid:
			def __init__(self, argv, **_):
				argvs.append(argv)
				k = int(argv[argv.index('--slot') + 1])
				out = argv[-1]
				rows = [(n, 'caught', ['s.c'], [], 1.0) for n in mutants.cli.share(names, k, 2)]
				mutants.write_summary(out, rows, (k, 2), names, '7.3.4', 'x86_64')
				self.code = 0

			def wait(self):
				return self.code

			def poll(self):
				return self.code
		args = mutants.argparse.Namespace(jobs=2, results=d)
		buf = io.StringIO()
		with mock.patch.object(mutants.subprocess, 'Popen', Kid), \
		     contextlib.redirect_stdout(buf):
			self.assertEqual(mutants.run_jobs(args, ['--kver', '7.3', '--jobs', '2',
								 '--timeout', '2', 'x.patch']), 0)
		self.assertIn('mutants: 3 caught, 0 missed', buf.getvalue())
		for k, argv in enumerate(argvs, 1):
			self.assertEqual(argv[2:7], ['--kver', '7.3', '--timeout', '2', 'x.patch'])
			self.assertEqual(argv[argv.index('--shard') + 1], f'{k}/2')
			self.assertEqual(argv[-1], os.path.join(d, f'job-{k}'))
			self.assertIn('--no-table', argv)
		self.assertNotEqual(mutants.workspace.copy_path(TREE, 2),
				    mutants.workspace.copy_path(TREE))

		class Broken(Kid):
			def __init__(self, argv, **kw):
				super().__init__(argv, **kw)
				self.code = 2 if '2/2' in argv else 0
		with mock.patch.object(mutants.subprocess, 'Popen', Broken), \
		     self.assertRaisesRegex(ToolError, 'job 2 exit 2'):
			mutants.run_jobs(args, ['--jobs', '2'])

	def test_kernel_dying_before_the_named_case_is_missed(self):
		"""The case before the named one hits a VM_BUG_ON and the kernel
		panics; the named case never reports: the crash proves nothing
		about it, MISSED (it was 'caught (crash/timeout)')."""
		v = {'s.first': S.PASS, 's.died_here': S.FAIL}
		self.assertEqual(mutants.judge(1, v, ['s.named'], False)[0],
				 'MISSED (s.named did not run)')
		self.assertTrue(mutants.judge(0, {'s.named': S.PASS}, ['s.named'])[0].startswith('MISSED'))
		# A named case that skipped (a module without the symbol) is a miss, and said so.
		self.assertEqual(mutants.judge(0, {'s.named': S.SKIP}, ['s.named'])[0],
				 'MISSED (s.named skipped)')
		self.assertEqual(mutants.judge(1, {'s.named': S.FAIL}, ['s.named'])[0], 'caught')

	def test_no_run_is_an_error_never_caught(self):
		"""run.py exit 2 with no KTAP (QEMU missing, an initramfs error, a
		traceback), an empty KTAP, a build break: ERROR."""
		self.assertTrue(mutants.judge(2, {}, ['a.x'])[0].startswith('ERROR (run.py exit 2'))
		self.assertTrue(mutants.judge(1, {}, ['a.x'])[0].startswith('ERROR (no KTAP'))
		self.assertTrue(mutants.judge(3, {}, ['a.x'])[0].startswith('ERROR (the patched kernel '
									    'does not build'))
		buf = io.StringIO()
		with contextlib.redirect_stdout(buf):
			rc = mutants.print_table([('a.patch', 'caught', ['s.x'], [], 1.0),
						  ('b.patch', 'ERROR (no KTAP: ...)', [], [], 1.0)])
		self.assertEqual(rc, 1)
		self.assertIn('mutants: 1 caught, 0 missed, 1 error(s)', buf.getvalue())

	def test_a_crash_elsewhere_with_the_named_case_passing_is_missed(self):
		v = {'a.x': S.PASS, 'a.y': S.CRASH}
		self.assertEqual(mutants.judge(1, v, ['a.x'], False)[0], 'MISSED (a.x passed)')
		self.assertEqual(mutants.judge(1, v, ['a.x'])[0], 'MISSED (a.x passed)')

	def test_a_named_case_skipping_is_missed_though_another_fails(self):
		v = {'a.x': S.FAIL, 'a.y': S.SKIP}
		self.assertEqual(mutants.judge(1, v, ['a.x', 'a.y'])[0], 'MISSED (a.y skipped)')

	def test_a_catch_in_an_incomplete_run_is_reported_apart(self):
		self.assertEqual(mutants.judge(1, {'a.x': S.CRASH}, ['a.x'], False)[0],
				 'caught (by crash)')
		self.assertEqual(mutants.judge(1, {'a.x': S.FAIL, 'a.y': S.CRASH}, ['a.x'], False)[0],
				 'caught (by crash)')
		buf = io.StringIO()
		with contextlib.redirect_stdout(buf):
			self.assertEqual(mutants.print_table([('a.patch', 'caught (by crash)', ['s.x'], [],
							       1.0)]), 0)
		self.assertIn('mutants: 1 caught (1 only by a crash or timeout), 0 missed', buf.getvalue())

	def test_uml_na_is_pinned_to_the_list(self):
		"""Under UML a patch n/a off tools/uml.py's NA_MUTANTS, or on it
		and not n/a, is an ERROR."""
		lacking = results.Case('zone_device_fault_pmd.x', S.SKIP,
				       skip_reason='needs PMD-level migration entries (UML has no THP)')
		listed = os.path.join(mutants.PATCHES, '0018-pmd-fault-takes-no-folio-reference.patch')
		self.assertIn(os.path.basename(listed), mutants.zuml.NA_MUTANTS)
		named = mutants.caught_by(listed)[0]
		d = tempfile.mkdtemp()
		self.addCleanup(shutil.rmtree, d)
		unlisted = os.path.join(d, '0099-x.patch')
		with open(unlisted, 'w') as f:
			f.write(f'Subject: x\n\nCaught-by: {named}\n---\n')

		def verdict(patch, status):
			run = results.Run(cases={named: results.Case(named, status, skip_reason=lacking.skip_reason)},
					  ktap=True)
			with mock.patch.object(mutants.results, 'load_known', return_value=run):
				return mutants.judge_recorded(1, 'x.ktap', patch, 'um')[0]
		self.assertTrue(verdict(listed, S.SKIP).startswith(mutants.NA))
		self.assertTrue(verdict(unlisted, S.SKIP).startswith('ERROR (n/a under UML, but not in'))
		self.assertTrue(verdict(listed, S.FAIL).startswith('ERROR (listed n/a under UML'))
		self.assertTrue(verdict(unlisted, S.FAIL).startswith('caught'))

	def test_na_list_names_existing_patches(self):
		for n in mutants.zuml.NA_MUTANTS:
			self.assertTrue(os.path.isfile(os.path.join(mutants.PATCHES, n)), n)

	def test_rejudge_reads_recorded_runs_and_runs_nothing(self):
		d = tempfile.mkdtemp()
		self.addCleanup(shutil.rmtree, d)
		caught = os.path.join(d, '0045-contended-pmd-fault-leaks-folio-reference')
		os.makedirs(caught)
		with open(os.path.join(caught, f'{NAME}.ktap'), 'w') as f:
			f.write(complete_leak_ktap())
		os.makedirs(os.path.join(d, '0018-pmd-fault-takes-no-folio-reference'))	# no KTAP
		buf = io.StringIO()
		with contextlib.redirect_stdout(buf), \
		     mock.patch.object(mutants.subprocess, 'run', side_effect=AssertionError('ran')):
			rc = mutants.rejudge([d])
		self.assertEqual(rc, 1)
		out = buf.getvalue()
		self.assertIn('| 0018-pmd-fault-takes-no-folio-reference.patch | ERROR (no KTAP', out)
		if mutants.caught_by(os.path.join(mutants.PATCHES, os.path.basename(caught) + '.patch')) \
		   == [PMD]:
			self.assertIn(f'| {os.path.basename(caught)}.patch | caught |', out)

	def test_under_uml_a_case_skipping_for_what_uml_lacks_is_na_never_caught(self):
		S = results.Status
		run = results.Run()
		run.cases = {'s.thp': results.Case('s.thp', S.SKIP, skip_reason='needs PMD-level '
						   'migration entries (...; UML has no THP)'),
			     's.hotplug': results.Case('s.hotplug', S.SKIP, skip_reason='needs '
						       'CONFIG_ZONE_DEVICE (UML: mainline arch/um has no '
						       'memory hotplug)'),
			     's.ran': results.Case('s.ran', S.PASS),
			     's.fast': results.Case('s.fast', S.PASS, skipped_params=[
				     ('pin_user_pages_fast', 'needs CONFIG_HAVE_GUP_FAST (UML: no '
				      'HAVE_GUP_FAST, ...)')]),
			     's.failed': results.Case('s.failed', S.FAIL, skipped_params=[
				     ('pin_user_pages_fast', 'needs ... (UML: no HAVE_GUP_FAST)')])}
		lacks = mutants.arch_lacks(run, ['s.thp', 's.hotplug', 's.ran', 's.fast', 's.failed'])
		self.assertEqual(sorted(lacks), ['s.fast', 's.thp'])
		self.assertIn('its pin_user_pages_fast parameter skips', lacks['s.fast'])
		buf = io.StringIO()
		with contextlib.redirect_stdout(buf):
			rc = mutants.print_table([('a.patch', 'caught', ['s.x'], [], 1.0),
						  ('b.patch', f'{mutants.NA} (UML has no THP)', [], [], 1.0)])
		self.assertEqual(rc, 0)
		self.assertIn('mutants: 1 caught, 0 missed, 0 error(s), 1 n/a', buf.getvalue())


@needs_parser
class MutantsVerdictTest(unittest.TestCase):

	def test_known_to_fail_is_caught_known_alone_is_missed(self):
		self.assertEqual(mutants.judge(1, load('known-and-leak').verdicts(), [PMD])[0], 'caught')
		verdict = mutants.judge(1, load('known').verdicts(), [PMD])[0]
		self.assertEqual(verdict, f'MISSED ({PMD} known failure only)')
		# The kernel died before the PMD case: no catch of it.
		r = load('crash')
		self.assertEqual(mutants.judge(1, r.verdicts(), [PMD], r.complete)[0],
				 f'MISSED ({PMD} did not run)')


@needs_tree
class MutantsRunTest(unittest.TestCase):

	def test_run_one_applies_runs_restores_and_judges(self):
		"""run_one() end to end with only the kernel run replaced: the patch is
		in the tree while run.py runs, the tree is put back, and the KTAP the
		run left is judged (a parameter named like the results module once
		hid it: make test died in run_one, no unit test had called it)."""
		real_run = subprocess.run
		seen = []
		with tempfile.TemporaryDirectory() as d:
			tree = scratch_tree(d)
			kunit = os.path.join(tree, 'tools/testing/kunit')
			shutil.rmtree(kunit)
			os.symlink(os.path.join(TREE, 'tools/testing/kunit'), kunit)
			patch = os.path.join(d, '0099-x.patch')
			with open(patch, 'w') as f:
				f.write(f'Subject: x\n\nCaught-by: {PMD}\n---\n'
					'--- a/mm/Makefile\n+++ b/mm/Makefile\n@@ -1 +1 @@\n'
					'-obj-y += memory.o\n+obj-y += memory.o mutant.o\n')

			def fake_run(cmd, *args, **kw):
				if not any(str(c).endswith('tools/run.py') for c in cmd):
					return real_run(cmd, *args, **kw)
				with open(os.path.join(tree, 'mm/Makefile')) as f:
					seen.append(f.read())
				res = cmd[cmd.index('--results') + 1]
				os.makedirs(res)
				with open(os.path.join(res, f'{NAME}.ktap'), 'w') as f:
					f.write(complete_leak_ktap())
				return subprocess.CompletedProcess(cmd, 1, '', '')

			with mock.patch.object(mutants.subprocess, 'run', fake_run):
				verdict, hits, _, _ = mutants.run_one(tree, patch, os.path.join(d, 'res'),
								      'tcg')
			with open(os.path.join(tree, 'mm/Makefile')) as f:
				after = f.read()
		self.assertEqual(verdict, 'caught')
		self.assertEqual(hits, [PMD])
		self.assertEqual(seen, ['obj-y += memory.o mutant.o\n'])
		self.assertEqual(after, 'obj-y += memory.o\n')

	def test_a_stale_results_dir_is_cleared_before_the_run(self):
		"""A KTAP an earlier run left in <results>/<patch>/ is never judged:
		a run that writes none is an ERROR, not that old catch."""
		with tempfile.TemporaryDirectory() as d:
			tree = scratch_tree(d)
			patch = os.path.join(d, '0099-x.patch')
			with open(patch, 'w') as f:
				f.write(f'Subject: x\n\nCaught-by: {PMD}\n---\n'
					'--- a/mm/Makefile\n+++ b/mm/Makefile\n@@ -1 +1 @@\n'
					'-obj-y += memory.o\n+obj-y += memory.o mutant.o\n')
			stale = os.path.join(d, 'res', '0099-x')
			os.makedirs(stale)
			with open(os.path.join(stale, f'{NAME}.ktap'), 'w') as f:
				f.write(complete_leak_ktap())
			real_run = subprocess.run

			def fake_run(cmd, *args, **kw):
				if not any(str(c).endswith('tools/run.py') for c in cmd):
					return real_run(cmd, *args, **kw)
				return subprocess.CompletedProcess(cmd, 2, '', 'qemu-system-x86_64 not found')
			with mock.patch.object(mutants.subprocess, 'run', fake_run):
				verdict = mutants.run_one(tree, patch, os.path.join(d, 'res'), 'tcg')[0]
			self.assertFalse(os.path.exists(os.path.join(stale, f'{NAME}.ktap')))
		self.assertTrue(verdict.startswith('ERROR'), verdict)


if __name__ == '__main__':
	unittest.main()
