# SPDX-License-Identifier: GPL-2.0
"""Unit tests of the verdicts (tools/results.py): recorded runs under
tools/test_data, read with a kernel tree's own kunit_parser ($ZDT_KUNIT_TREE,
which make test sets, or the cache's); no kernel is built or booted."""

import contextlib
import io
import itertools
import os
import re
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import results  # noqa: E402
from common import REPO, ToolError  # noqa: E402
from testutil import (DATA, EVICTION, FAULT, FORK_PMD, GUP, NAME, PMD, S, TREE,  # noqa: E402
		      ktap, load, load_612, needs_612_parser, needs_parser, suite_text, text_of)


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
			r = results.load(p, results.known_failures('7.3'))
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
		r = results.load(os.path.join(DATA, 'nowhere.ktap'), {})
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


class FailureBlockConsoleTest(unittest.TestCase):

	def test_a_block_does_not_absorb_console_lines(self):
		"""A kernel splat (or any raw console line) after a failure is not
		part of the failure: KUnit's detail lines are indented 4 or more,
		blank, or the one unindented assertion message."""
		log = ['    # c: EXPECTATION FAILED at mm/tests/a.c:10', '    Expected x == 1, but',
		       '        x == 2', '', 'the fault spins',
		       'WARNING: CPU: 0 PID: 1 at mm/memory.c:5 f+0x0/0x1',
		       'Modules linked in:', '    # c: EXPECTATION FAILED at mm/tests/a.c:20',
		       '    Expected y', '[    1.234567] BUG: KFENCE: use-after-free',
		       '    # c: EXPECTATION FAILED at mm/tests/a.c:30',
		       'WARNING: CPU: 1 PID: 2 at mm/memory.c:6 g+0x0/0x1',
		       '    # c: EXPECTATION FAILED at mm/tests/a.c:40', 'message line', 'second line',
		       '  two-space console line']
		blocks = results.failure_blocks(log)
		self.assertEqual([b.text for b in blocks],
				 ['mm/tests/a.c:10: Expected x == 1, but x == 2 the fault spins',
				  'mm/tests/a.c:20: Expected y', 'mm/tests/a.c:30:',
				  'mm/tests/a.c:40: message line'])


class PrintkReplayTest(unittest.TestCase):

	def test_a_replayed_record_is_read_once(self):
		"""A WARN that takes the console over mid-record: printk prints the
		replay marker and the whole record again.  The partial line and the
		marker go; the record is read once, whole, and the case is not lost
		(seen: a mutant's case read as never run)."""
		log = ['KTAP version 1\n', '1..1\n', '    KTAP version 1\n',
		       '    # Subtest: s\n', '    1..2\n',
		       '    # Subtest: p\n', '** replaying previous printk message **\n',
		       '    # Subtest: p\n', '    KTAP version 1\n', '    1..1\n',
		       '    ok 1 x\n', '    # p: pass:1 fail:0 sk\n',
		       '[    1.5] ** replaying previous printk message **\n',
		       '    # p: pass:1 fail:0 skip:0 total:1\n', '    ok 1 p\n',
		       'WARNING: mm/x.c:1 at f\n', '    ok 2 q\n', 'ok 1 s\n']
		ktap = results.extract_ktap(log)
		self.assertNotIn(results.PRINTK_REPLAY, '\n'.join(ktap))
		self.assertEqual(sum('# Subtest: p' in l for l in ktap), 1)
		self.assertEqual([l for l in ktap if 'pass:1' in l], ['    # p: pass:1 fail:0 skip:0 total:1'])

	def test_a_marker_after_an_unrelated_line_drops_only_the_marker(self):
		self.assertEqual(results.undo_printk_replays(['a\n', results.PRINTK_REPLAY + '\n', 'b\n']),
				 ['a\n', 'b\n'])


class ExpectedCasesTest(unittest.TestCase):

	def write(self, d, name, text):
		with open(os.path.join(d, name), 'w') as f:
			f.write(text)

	SRC = ('static struct kunit_case a_cases[] = {\n\tKUNIT_CASE(one),\n'
	       '\tKUNIT_CASE_PARAM(two, two_gen_params),\n\tKUNIT_CASE_SLOW(three),\n\t{}\n};\n\n'
	       'static struct kunit_suite a_suite = {\n\t.name = "sa",\n\t.test_cases = a_cases,\n};\n')

	def test_cases_come_from_the_sources_and_a_filter_narrows_them(self):
		with tempfile.TemporaryDirectory() as d:
			self.write(d, 'x_kunit.c', self.SRC)
			self.assertEqual(results.expected_cases(src_dir=d), ['sa.one', 'sa.two', 'sa.three'])
			self.assertEqual(results.expected_cases('sa.t*', d), ['sa.two', 'sa.three'])
			self.assertEqual(results.expected_cases('s?', d), ['sa.one', 'sa.two', 'sa.three'])
			self.assertEqual(results.expected_cases('sb', d), [])
			self.write(d, 'y_kunit.c', self.SRC.replace('KUNIT_CASE(one),',
								    '#ifdef X\n\tKUNIT_CASE(one),\n#endif')
				   .replace('"sa"', '"sb"'))
			with self.assertRaisesRegex(ToolError, 'preprocessor line inside a_cases'):
				results.expected_cases(src_dir=d)
		every = results.expected_cases()
		self.assertEqual(len(every), len(set(every)))
		self.assertIn(PMD, every)
		self.assertEqual(results.expected_cases('zone_device_fault_pmd.contended_*'),
				 [PMD, 'zone_device_fault_pmd.contended_pmd_fault_waits_without_a_reference'])

	def test_a_run_missing_an_expected_case_is_incomplete(self):
		ktap = os.path.join(DATA, 'watch', '7.3.4-x86_64.ktap')
		run = results.load_known(ktap, results.expected_cases())
		self.assertTrue(run.complete, run.incomplete_reasons())
		run = results.load_known(ktap, results.expected_cases() + ['zone_device_x.y'])
		self.assertFalse(run.complete)
		self.assertFalse(run.ok)
		self.assertEqual(run.missing_cases, ['zone_device_x.y'])
		self.assertEqual(run.incomplete_reasons(),
				 ['1 expected case(s) never reported (zone_device_x.y first)'])
		self.assertEqual(results.load(os.path.join(DATA, 'nowhere.ktap')).incomplete_reasons(),
				 ['no KTAP (the kernel printed no results)'])


class SplatTest(unittest.TestCase):

	KTAP = ('KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: s\n    1..2\n'
		'    ok 1 a\n    # b: EXPECTATION FAILED at mm/tests/zone_device_fixture.c:233\n'
		'kernel splat during the case: WARNING: mm/huge_memory.c:5187 at '
		'remove_migration_pmd+0x138/0x274, CPU#1: kunit_try_catch/273 | CPU: 1 UID: 0\n'
		'    not ok 2 b\nok 1 s\n')
	CLAIMED = '[   5.1][  T273] WARNING: mm/huge_memory.c:5187 at remove_migration_pmd+0x138/0x274, ' \
		  'CPU#1: kunit_try_catch/273\n'
	OUTSIDE = '[   9.9] BUG: sleeping function called from invalid context at mm/gup.c:12\n'

	def run_of(self, log, known=None):
		with tempfile.TemporaryDirectory() as d:
			with open(os.path.join(d, f'{NAME}.ktap'), 'w') as f:
				f.write(self.KTAP)
			with open(os.path.join(d, f'{NAME}.log'), 'w') as f:
				f.write(log)
			return results.load(os.path.join(d, f'{NAME}.ktap'), known or {})

	def test_a_splat_a_case_claims_is_that_cases_an_unclaimed_one_fails_the_run(self):
		run = self.run_of('boot\n' + self.CLAIMED + 'CPU: 1 UID: 0\n')
		self.assertEqual(run.outside_splats, [])
		self.assertEqual(run.cases['s.b'].status, S.FAIL)
		ok = self.run_of('boot\n')
		self.assertEqual(ok.outside_splats, [])
		run = self.run_of('boot\n' + self.CLAIMED + self.OUTSIDE +
				  'zdt-init: kmsg: Oops: general protection fault, probably for '
				  'non-canonical address\n    WARNING: indented, not a splat\n')
		self.assertEqual(run.outside_splats, [
			'BUG: sleeping function called from invalid context at mm/gup.c:12',
			'Oops: general protection fault, probably for non-canonical address'])
		self.assertFalse(run.ok)
		self.assertIn('splats_outside_cases', results.verdicts_document(run, '7.3.4', 'x86_64'))
		out = io.StringIO()
		import run as zrun  # pylint: disable=import-outside-toplevel
		with contextlib.redirect_stdout(out):
			self.assertEqual(zrun.report(NAME, run), 1)
		self.assertIn(f'== {NAME}: splat outside any case: BUG: sleeping function', out.getvalue())

	def test_a_splat_passing_case_with_no_failure_is_outside(self):
		"""The case passed: nothing claims the splat, the run is not ok."""
		self.KTAP = self.KTAP.replace('not ok 2 b', 'ok 2 b')
		run = self.run_of(self.CLAIMED.replace('5187', '5188'))
		self.assertEqual(len(run.outside_splats), 1)

	def test_an_outside_known_failure_explains_a_splat(self):
		with tempfile.NamedTemporaryFile('w', suffix='-kf', delete=False) as f:
			f.write('7.3/x86_64 (outside) | ^BUG: sleeping function called from invalid context '
				'at mm/gup\\.c:12$ | why\n7.3/arm64 s.b | x | y\n')
		self.addCleanup(os.remove, f.name)
		known = results.known_failures('7.3', f.name, 'x86_64')
		self.assertEqual(sorted(known), [results.OUTSIDE])
		run = self.run_of(self.CLAIMED + self.OUTSIDE, known)
		self.assertEqual(run.outside_splats, [])
		self.assertEqual([s for s, _ in run.known_outside],
				 ['BUG: sleeping function called from invalid context at mm/gup.c:12'])
		run = self.run_of(self.OUTSIDE.replace('gup.c:12', 'gup.c:13'), known)
		self.assertEqual(len(run.outside_splats), 1)

	def test_the_6_12_memremap_warnings_are_known_outside_splats(self):
		run = load_612()
		self.assertEqual(len(run.known_outside), 5)
		self.assertEqual(run.outside_splats, [])
		self.assertEqual(len(load_612('7.3').outside_splats), 5)


class KnownFailuresFileTest(unittest.TestCase):

	def parse(self, text, series='7.3', arch=None):
		with tempfile.NamedTemporaryFile('w', suffix='-kf', delete=False) as f:
			f.write(text)
		self.addCleanup(os.remove, f.name)
		return results.known_failures(series, f.name, arch)

	def test_format(self):
		k = self.parse('# comment\n\n7.3 s.c | spins|loops | why: a | b\n6.12 s.d | x | y\n')
		self.assertEqual(list(k), ['s.c'])
		self.assertEqual(k['s.c'].pattern.pattern, 'spins|loops')
		self.assertEqual(k['s.c'].reason, 'why: a | b')

	def test_an_arch_entry_holds_on_that_arch_only(self):
		text = '7.3/arm64 s.c | a | arm64 only\n7.3 s.d | b | every arch\n'
		self.assertEqual(sorted(self.parse(text, arch='arm64')), ['s.c', 's.d'])
		self.assertEqual(sorted(self.parse(text, arch='x86_64')), ['s.d'])
		self.assertEqual(sorted(self.parse(text)), ['s.d'])
		self.assertEqual(results.arch_of('results/7.3.4-arm64.ktap'), 'arm64')
		self.assertEqual(results.arch_of('/x/6.12.117-x86_64.ktap'), 'x86_64')
		self.assertEqual(results.arch_of('results/7.3.4-arm64-modules.ktap'), 'arm64')

	@needs_parser
	def test_the_arm64_warning_is_known_on_arm64_only(self):
		"""The recorded arm64 run: the fork case's remove_migration_pmd()
		splat is KNOWN by the 7.3/arm64 entry; read as an x86_64 run the
		same log is a FAIL (an arch entry never excuses another arch)."""
		ktap = os.path.join(DATA, 'arm64', '7.3.4-arm64.ktap')
		run = results.load_known(ktap)
		self.assertEqual(run.cases[FORK_PMD].status, results.Status.KNOWN)
		self.assertEqual(run.count_line(),
				 '120 passed, 0 failed, 0 crashed, 2 known failures, 0 skipped')
		as_x86 = results.load(ktap, results.known_failures('7.3', arch='x86_64'))
		self.assertEqual(as_x86.cases[FORK_PMD].status, results.Status.FAIL)

	@needs_parser
	def test_verdicts_document_tells_a_regression_from_a_known_failure(self):
		"""results/<name>.verdicts.json: kernel, arch, config hash, and per
		case the verdict, regression or not, the known failure's reason."""
		import json  # pylint: disable=import-outside-toplevel
		ktap = os.path.join(DATA, 'arm64', '7.3.4-arm64.ktap')
		doc = results.verdicts_document(results.load_known(ktap), '7.3.4', 'arm64',
						ktap, None)
		doc = json.loads(json.dumps(doc))
		self.assertEqual((doc['format'], doc['kernel'], doc['series'], doc['arch'], doc['ok']),
				 ('zone-device-kunit-verdicts/1', '7.3.4', '7.3', 'arm64', True))
		self.assertEqual(len(doc['config_sha256']), 64)
		self.assertEqual(doc['counts']['known'], 2)
		cases = {c['name']: c for c in doc['cases']}
		fork = cases[FORK_PMD]
		self.assertEqual((fork['verdict'], fork['regression']), ('KNOWN', False))
		self.assertIn('remove_migration_pmd()', fork['known_failure']['reason'])
		self.assertRegex(fork['known_failure']['entry'], r'^configs/known-failures:\d+$')
		self.assertTrue(all(c['verdict'] == 'PASS' and c['known_failure'] is None
				    for n, c in cases.items() if n not in (FORK_PMD, PMD)))
		as_x86 = results.verdicts_document(results.load(
			ktap, results.known_failures('7.3', arch='x86_64')), '7.3.4', 'x86_64')
		fork = {c['name']: c for c in as_x86['cases']}[FORK_PMD]
		self.assertEqual((fork['verdict'], fork['regression'], as_x86['ok']), ('FAIL', True, False))
		self.assertIn('kernel splat during the case', fork['first_failure'])

	def test_a_range_holds_for_its_first_and_last_series_and_between(self):
		text = '7.2-7.3 s.c | a | both\n6.12 s.d | b | 6.12 only\n'
		for series in ('7.2', '7.3'):
			self.assertEqual(sorted(self.parse(text, series)), ['s.c'], series)
		self.assertEqual(sorted(self.parse(text, '6.12')), ['s.d'])
		self.assertEqual(self.parse(text, '7.4'), {})
		self.assertEqual(self.parse(text, '7.1'), {})
		# As numbers, not strings: 6.12 lies between 6.2 and 7.0.
		self.assertEqual(sorted(self.parse('6.2-7.0 s.c | a | x\n', '6.12')), ['s.c'])
		self.assertEqual(self.parse(text, '7.3')['s.c'].series, '7.2-7.3')

	def test_a_range_with_an_arch_holds_on_that_arch_only(self):
		text = '7.2-7.3/arm64 s.c | a | arm64 only\n7.2-7.3 s.d | b | every arch\n'
		for series in ('7.2', '7.3'):
			self.assertEqual(sorted(self.parse(text, series, 'arm64')), ['s.c', 's.d'])
			self.assertEqual(sorted(self.parse(text, series, 'x86_64')), ['s.d'])
			self.assertEqual(sorted(self.parse(text, series)), ['s.d'])
		self.assertEqual(self.parse(text, '6.12', 'arm64'), {})

	def test_bad_lines_name_file_and_line(self):
		for text, what in (('7.3 s.c the old format without bars\n', ':1: not "<series>'),
				   ('7.3-arm64 s.c | a | x\n', ':1: not "<series>[-<last series>][/<arch>]'),
				   ('7.3- s.c | a | x\n', ':1: not "<series>'),
				   ('7.2+ s.c | a | x\n', ':1: not "<series>'),
				   ('7.3-7.2 s.c | a | x\n', ":1: 7.3-7.2: a range's last series must come"),
				   ('7.3-7.3 s.c | a | x\n', ":1: 7.3-7.3: a range's last series must come"),
				   ('\n7.3 s.c | ( | why\n', ':2: bad regex'),
				   ('7.3 s.c | a | x\n7.3 s.c | b | y\n', ':2: s.c is listed twice'),
				   ('7.2-7.3 s.c | a | x\n7.3 s.c | b | y\n', ':2: s.c is listed twice')):
			with self.assertRaisesRegex(ToolError, re.escape(what)):
				self.parse(text)


class KnownFailuresTest(unittest.TestCase):

	def test_known_failures_name_existing_cases(self):
		"""Each entry of configs/known-failures names a case that exists, the
		symptom the C side reports ('the fault spins') and a reason."""
		sources = suite_text()
		entries = 0
		for series in ('6.12', '7.2', '7.3'):
			for arch in ('x86_64', 'arm64'):
				for case, known in results.known_failures(series, arch=arch).items():
					entries += 1
					self.assertTrue(known.reason)
					if 'fix:' in known.reason:
						self.assertTrue(os.path.isfile(os.path.join(
							REPO, known.reason.split('fix: ')[1])), known.reason)
					if case == results.OUTSIDE:
						self.assertRegex(known.pattern.pattern, r'^\^WARNING: ')
						continue
					self.assertRegex(known.pattern.pattern,
							 'the fault spins|kernel splat during the case')
					self.assertRegex(sources,
							 rf'KUNIT_CASE\w*\({case.split(".")[1]}\b')
		# 4 and 6.12's memremap_pages() warnings outside a case on both
		# arches, the remove_migration_pmd() warning on arm64, the hugetlb
		# hole fault's recursive vma lock on 6.12 and 7.2 on both arches.
		self.assertEqual(entries, 2 * 7 + 1)


@needs_612_parser
class Results612Test(unittest.TestCase):
	"""The recorded 6.12.117 x86_64 run (tools/test_data/6.12), read with the
	6.12 tree's own kunit_parser (no skip_reason, no printer argument)."""

	def test_counts(self):
		"""46 cases: 38 pass, 1 known failure, 7 skip (parameters folded);
		70 kunit tests passed, 10 skipped; the run is ok."""
		r = load_612()
		self.assertEqual(len(r.cases), 46)
		self.assertEqual(r.case_line(), '38 pass, 0 fail, 0 crash, 1 known, 7 skip (cases)')
		self.assertEqual(r.count_line(),
				 '70 passed, 0 failed, 0 crashed, 1 known failure, 10 skipped')
		self.assertEqual([c.name for c in r.with_status(S.KNOWN)], [FAULT])
		self.assertEqual(len(r.with_status(S.SKIP)), 7)
		self.assertTrue(r.ok)
		self.assertFalse(r.crashed)
		self.assertEqual((r.errors, r.missing), (0, []))

	def test_the_contended_fault_is_known_against_the_6_12_entry(self):
		"""The PTE contended case spins once ('the fault spins'): KNOWN by
		configs/known-failures' 6.12 entry; 7.3 has no such entry: FAIL."""
		with open(results.KNOWN_FAILURES, encoding='utf-8') as f:
			line = next(i for i, l in enumerate(f, 1) if l.startswith(f'6.12 {FAULT} '))
		case = load_612().cases[FAULT]
		self.assertEqual(case.status, S.KNOWN)
		self.assertEqual(case.known.where, f'configs/known-failures:{line}')
		self.assertEqual(len(case.failures), 1)
		self.assertIn('the fault spins', case.first_failure())
		self.assertTrue(case.first_failure().startswith('mm/tests/zone_device_fault_kunit.c:237: '))
		self.assertEqual(load_612('7.3').cases[FAULT].status, S.FAIL)

	def test_a_skipped_parameter_leaves_the_case_passing(self):
		"""eviction: migrate_device_range passes, migrate_device_pfns (6.15)
		skips with its reason, which the old parser drops and results.py
		keeps."""
		case = load_612().cases[EVICTION]
		self.assertEqual(case.status, S.PASS)
		self.assertEqual(case.params, [('migrate_device_range', S.PASS),
					       ('migrate_device_pfns', S.SKIP)])
		self.assertEqual(case.skipped_params,
				 [('migrate_device_pfns', 'needs migrate_device_pfns() (a14fa8ec9d81, 6.15)')])


if __name__ == '__main__':
	unittest.main()
