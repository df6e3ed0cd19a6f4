# SPDX-License-Identifier: GPL-2.0
"""Unit tests of the verdicts (tools/results.py) and of what the tools make of
them: recorded runs under tools/test_data, read with a kernel tree's own
kunit_parser ($ZDT_KUNIT_TREE, which make test sets, or the cache's); no
kernel is built or booted."""

import contextlib
import io
import itertools
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import flake  # noqa: E402
import gate  # noqa: E402
import matrix  # noqa: E402
import mutants  # noqa: E402
import results  # noqa: E402
import run  # noqa: E402
from common import REPO, ToolError  # noqa: E402

S = results.Status
DATA = os.path.join(REPO, 'tools', 'test_data')
NAME = '7.3.4-x86_64'
PMD = 'zone_device_fault_pmd.contended_pmd_fault_sleeps_instead_of_spinning'
GUP = 'zone_device_gup.pin_keeps_coherent_page_in_place'


def parser_tree():
	try:
		return results.parser_tree('7.3.4')
	except ToolError:
		return None


TREE = parser_tree()
needs_parser = unittest.skipUnless(TREE, 'no kernel tree with kunit_parser.py (make fetch)')


def ktap(variant):
	return os.path.join(DATA, variant, f'{NAME}.ktap')


def load(variant, series='7.3'):
	return results.load(ktap(variant), results.known_failures(series), TREE)


def text_of(variant):
	with open(ktap(variant), encoding='utf-8') as f:
		return f.read()


class FoldTest(unittest.TestCase):

	def test_fold_does_not_depend_on_the_order(self):
		for group, want in (((S.PASS, S.SKIP), S.PASS), ((S.SKIP, S.SKIP), S.SKIP),
				    ((S.PASS, S.KNOWN, S.SKIP), S.KNOWN),
				    ((S.PASS, S.FAIL, S.KNOWN, S.SKIP), S.FAIL),
				    ((S.FAIL, S.CRASH, S.PASS), S.CRASH)):
			for order in itertools.permutations(group):
				self.assertEqual(results.fold(order), want, order)
		self.assertEqual(results.fold([]), S.CRASH)


@needs_parser
class ResultsTest(unittest.TestCase):

	def test_real_run(self):
		"""The recorded 7.3.4 run: 46 cases, 81 kunit tests; the PMD case
		fails twice, and the second expectation (the thread still running)
		is not the known 'the fault spins': FAIL, not KNOWN."""
		r = load('real')
		self.assertEqual(len(r.cases), 46)
		self.assertEqual(r.count_line(), '80 passed, 1 failed, 0 crashed, 0 skipped')
		case = r.cases[PMD]
		self.assertEqual(case.status, S.FAIL)
		self.assertEqual([b.where for b in case.failures],
				 ['mm/tests/zone_device_fault_kunit.c:237',
				  'mm/tests/zone_device_fault_kunit.c:240'])
		self.assertEqual(case.failures[0].text,
				 'mm/tests/zone_device_fault_kunit.c:237: Expected faults <= 2, but faults '
				 '== 20628 (0x5094) 20628 faults in 300 ms while the folio was locked: '
				 'the fault spins')
		self.assertIn('does not sleep on the lock', case.first_failure())
		self.assertFalse(r.ok)
		self.assertEqual(r.cases['zone_device_pgmap.memremap_pages_rejects_malformed_pgmap']
				 .params[0], ('private without migrate_to_ram', S.PASS))

	def test_extract_ktap_of_a_real_console_log(self):
		"""run.extract_ktap (kunit_parser's extract_tap_lines) of a recorded
		console log is the KTAP run.py filed next to it."""
		with tempfile.TemporaryDirectory() as d:
			out = os.path.join(d, 'k')
			run.extract_ktap(TREE, os.path.join(DATA, 'console', f'{NAME}.log'), out)
			with open(out, encoding='utf-8') as f:
				self.assertEqual(f.read(), text_of('console'))

	def test_the_c_sides_one_expectation_is_known(self):
		"""A later real run, with the C side's one 'the fault spins'
		expectation (and a per-case data seed line): KNOWN, the run ok."""
		r = load('console')
		self.assertEqual(r.cases[PMD].status, S.KNOWN)
		self.assertEqual(len(r.cases[PMD].failures), 1)
		self.assertTrue(r.ok)
		self.assertEqual(r.count_line(), '80 passed, 0 failed, 0 crashed, 1 known failure, 0 skipped')

	def test_known_failure_is_exact(self):
		r = load('known')
		self.assertEqual(r.cases[PMD].status, S.KNOWN)
		self.assertTrue(r.ok)
		self.assertEqual(r.count_line(), '80 passed, 0 failed, 0 crashed, 1 known failure, 0 skipped')
		self.assertRegex(r.cases[PMD].known.where, r'^configs/known-failures:\d+$')
		for variant, what in (('known-and-leak', 'device leaked'),
				      ('known-and-splat', 'kernel splat during the case'),
				      ('known-and-fault', 'kunit: try faulted')):
			r = load(variant)
			self.assertEqual(r.cases[PMD].status, S.FAIL, variant)
			self.assertIn(what, r.cases[PMD].first_failure())
			self.assertFalse(r.ok)

	def test_known_needs_a_failure_block_and_its_series(self):
		text = text_of('known')
		blockless = re.sub(r'    # contended_pmd\w+: EXPECTATION FAILED.*?spins\n', '', text,
				   flags=re.S)
		self.assertNotEqual(blockless, text)
		with tempfile.TemporaryDirectory() as d:
			p = os.path.join(d, f'{NAME}.ktap')
			with open(p, 'w', encoding='utf-8') as f:
				f.write(blockless)
			r = results.load(p, results.known_failures('7.3'), TREE)
			self.assertEqual(r.cases[PMD].status, S.FAIL)
		# 6.12's entry is for the PTE case: on 6.12 the PMD case is no known failure.
		self.assertEqual(load('known', '6.12').cases[PMD].status, S.FAIL)

	def test_parameters_fold_the_same_in_either_order(self):
		for variant in ('skip-first', 'skip-last'):
			case = load(variant).cases[GUP]
			self.assertEqual(case.status, S.PASS, variant)
			self.assertEqual(len(case.skipped_params), 1)
			self.assertEqual(case.skipped_params[0][1],
					 'no device-coherent memory (zone_device_fixture.coherent=)')
		case = load('fail-param').cases[GUP]
		self.assertEqual(case.status, S.FAIL)
		self.assertEqual(case.skipped_params[0][0], 'pin_user_pages_unlocked')
		self.assertIn('gup_kunit.c:301', case.first_failure())

	def test_a_kernel_dying_mid_run_is_a_crash(self):
		r = load('crash')
		self.assertEqual(r.cases['zone_device_fault.contended_fault_sleeps_instead_of_spinning'].status,
				 S.CRASH)
		self.assertNotIn(PMD, r.cases)
		self.assertTrue(r.crashed)
		self.assertFalse(r.ok)
		self.assertGreaterEqual(r.counts()[S.CRASH], 3)

	def test_empty_or_missing_ktap_is_a_crashed_run(self):
		r = results.load(os.path.join(DATA, 'nowhere.ktap'), {}, TREE)
		self.assertTrue(r.crashed)
		self.assertFalse(r.ok)

	def test_old_parser_without_skip_reason_or_printer(self):
		"""A kunit_parser older than 7.3's (6.12: no Test.skip_reason, no
		printer argument) gives the same verdicts and skip reasons."""
		with tempfile.TemporaryDirectory() as d:
			kdir = os.path.join(d, 'tools/testing/kunit')
			os.makedirs(kdir)
			src = os.path.join(TREE, 'tools/testing/kunit')
			shutil.copy(os.path.join(src, 'kunit_printer.py'), kdir)
			with open(os.path.join(src, 'kunit_parser.py'), encoding='utf-8') as f:
				old = f.read()
			old = re.sub(r"\n\t+self\.skip_reason = ''", '', old)
			old = old.replace(', {self.skip_reason})', ')')
			old = re.sub(r"\n\t+test\.skip_reason = .*", '', old)
			old = re.sub(r"\n\t+if test\.skip_reason != '':\n.*", '', old)
			old = old.replace('from kunit_printer import Printer',
					  'from kunit_printer import Printer, stdout')
			old = old.replace('def parse_run_tests(kernel_output: Iterable[str], printer: Printer) -> Test:',
					  'def parse_run_tests(kernel_output: Iterable[str]) -> Test:\n\tprinter = stdout')
			self.assertNotIn('skip_reason', old)
			with open(os.path.join(kdir, 'kunit_parser.py'), 'w', encoding='utf-8') as f:
				f.write(old)
			out = io.StringIO()
			with contextlib.redirect_stdout(out):
				r = results.load(ktap('skip-first'), results.known_failures('7.3'), d)
			self.assertEqual(out.getvalue(), '')
			self.assertEqual(r.cases[GUP].status, S.PASS)
			self.assertEqual(r.cases[GUP].skipped_params[0][1],
					 'no device-coherent memory (zone_device_fixture.coherent=)')
			self.assertEqual(r.cases[PMD].status, S.KNOWN)

	def test_run_report_prints_known_failures_with_their_reason(self):
		out = io.StringIO()
		with contextlib.redirect_stdout(out):
			self.assertEqual(run.report(NAME, load('known')), 0)
		self.assertRegex(out.getvalue(), rf'known failure {PMD} \(configs/known-failures:\d+\): '
				 r'do_huge_pmd_device_private\(\) returns 0')
		with contextlib.redirect_stdout(io.StringIO()):
			self.assertEqual(run.report(NAME, load('known-and-leak')), 1)
			self.assertEqual(run.report(NAME, load('crash')), 1)


class FailureBlockTest(unittest.TestCase):

	def test_blocks_end_at_the_next_header(self):
		log = ['    # c: EXPECTATION FAILED at mm/tests/a.c:10', '    Expected x == 1, but',
		       '        x == 2', '', 'the fault spins', '    # c: took 3 ms',
		       'unrelated', '    # c: ASSERTION FAILED at mm/tests/a.c:20', '    Expected y',
		       '    # c: lib/ubsan.c:123: UBSAN: shift-out-of-bounds in mm/x.c:5',
		       '    # c: try timed out', '    # c: took 5 ms']
		blocks = results.failure_blocks(log)
		self.assertEqual([(b.kind, b.where) for b in blocks],
				 [('EXPECTATION', 'mm/tests/a.c:10'), ('ASSERTION', 'mm/tests/a.c:20'),
				  ('FAILED', 'lib/ubsan.c:123'), ('KUNIT', 'kunit')])
		self.assertEqual(blocks[3].text, 'kunit: try timed out')
		self.assertEqual(blocks[0].text, 'mm/tests/a.c:10: Expected x == 1, but x == 2 the fault spins')
		self.assertEqual(blocks[1].text, 'mm/tests/a.c:20: Expected y')
		self.assertEqual(blocks[2].text, 'lib/ubsan.c:123: UBSAN: shift-out-of-bounds in mm/x.c:5')


class KnownFailuresFileTest(unittest.TestCase):

	def parse(self, text, series='7.3'):
		with tempfile.NamedTemporaryFile('w', suffix='-kf', delete=False) as f:
			f.write(text)
		self.addCleanup(os.remove, f.name)
		return results.known_failures(series, f.name)

	def test_format(self):
		k = self.parse('# comment\n\n7.3 s.c | spins|loops | why: a | b\n6.12 s.d | x | y\n')
		self.assertEqual(list(k), ['s.c'])
		self.assertEqual(k['s.c'].pattern.pattern, 'spins|loops')
		self.assertEqual(k['s.c'].reason, 'why: a | b')

	def test_bad_lines_name_file_and_line(self):
		for text, what in (('7.3 s.c the old format without bars\n', ':1: not "<series>'),
				   ('\n7.3 s.c | ( | why\n', ':2: bad regex'),
				   ('7.3 s.c | a | x\n7.3 s.c | b | y\n', ':2: s.c is listed twice')):
			with self.assertRaisesRegex(ToolError, re.escape(what)):
				self.parse(text)


@needs_parser
class GateTest(unittest.TestCase):

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


@needs_parser
class MutantsTest(unittest.TestCase):

	def test_known_to_fail_is_caught_known_alone_is_missed(self):
		self.assertEqual(mutants.judge(1, load('known-and-leak').verdicts(), [PMD])[0], 'caught')
		verdict = mutants.judge(1, load('known').verdicts(), [PMD])[0]
		self.assertEqual(verdict, f'MISSED ({PMD} known failure only)')
		r = load('crash')
		self.assertEqual(mutants.judge(1, r.verdicts(), [PMD], r.crashed)[0], 'caught (crash/timeout)')


@needs_parser
class MatrixTest(unittest.TestCase):

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


class KverTest(unittest.TestCase):

	def tool(self, name, *args):
		p = subprocess.run([sys.executable, os.path.join(REPO, 'tools', name + '.py'), *args],
				   capture_output=True, text=True, check=False,
				   env=dict(os.environ, PYTHONDONTWRITEBYTECODE='1'))
		return p.returncode, p.stderr

	def test_6_1_is_refused_by_every_tool_with_the_reason(self):
		for name, args in (('fetch', ['6.1']), ('run', ['--kver', '6.1']),
				   ('gate', ['patches/fixes', '--kver', '6.1']),
				   ('mutants', ['--kver', '6.1']), ('matrix', ['--kver', '6.1']),
				   ('selftest', ['--kver', '6.1']), ('flake', ['--kver', '6.1'])):
			rc, err = self.tool(name, *args)
			self.assertEqual(rc, 2, (name, err))
			self.assertEqual(len(err.strip().splitlines()), 1, (name, err))
			self.assertRegex(err, rf'^{name}: KVER=6.1 is not supported: .*'
					 r'kunit_add_action_or_reset\(\) \(6\.4\).*KUNIT_EXPECT_MEMEQ \(6\.2\)'
					 r'.*kunit_vm_mmap\(\).*\(6\.11\)')

	def test_a_6_1_tree_is_refused_too(self):
		with tempfile.TemporaryDirectory() as d:
			for f in ('mm/Kconfig', 'mm/Makefile', 'tools/testing/kunit/kunit.py'):
				os.makedirs(os.path.dirname(os.path.join(d, f)), exist_ok=True)
				open(os.path.join(d, f), 'w').close()
			with open(os.path.join(d, 'Makefile'), 'w') as f:
				f.write('VERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 192\n')
			rc, err = self.tool('run', '--kdir', d)
			self.assertEqual(rc, 2, err)
			self.assertIn('is Linux 6.1.192, not supported', err)
			self.assertEqual(len(err.strip().splitlines()), 1, err)


if __name__ == '__main__':
	unittest.main()
