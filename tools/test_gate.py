# SPDX-License-Identifier: GPL-2.0
"""Unit tests of tools/gate.py and its CI entry point .ci/gate: recorded runs
judged, nothing built or run."""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gate  # noqa: E402
import install as zinstall  # noqa: E402
import results  # noqa: E402
import series as zseries  # noqa: E402
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
					's.f': ('FAIL', 'CRASH', 'regressed'),
					's.g': ('PASS', 'CRASH', 'regressed'),	# never reported
					's.k': ('KNOWN', 'KNOWN', 'known failure, unchanged'),
					's.l': ('KNOWN', 'FAIL', 'regressed'),
					's.m': ('KNOWN', 'PASS', 'fixed'),
					's.n': ('PASS', 'KNOWN', 'regressed')})

	def test_fail_then_crash_is_a_regression(self):
		"""Bad in both runs is no longer skipped: FAIL -> CRASH regresses."""
		rows = gate.compare({'s.a': S.FAIL}, {'s.a': S.CRASH})
		self.assertEqual(rows, [('s.a', 'FAIL', 'CRASH', 'regressed')])

	def test_another_first_failure_is_listed_as_changed(self):
		"""FAIL in both runs with another first failure (or CRASH -> FAIL)
		is 'changed', and fails the gate; the same failure is no row."""
		rows = gate.compare({'s.a': S.FAIL, 's.b': S.FAIL, 's.c': S.CRASH},
				    {'s.a': S.FAIL, 's.b': S.FAIL, 's.c': S.FAIL},
				    {'s.a': 'x.c:1: one', 's.b': 'x.c:1: one', 's.c': ''},
				    {'s.a': 'x.c:9: other', 's.b': 'x.c:1: one', 's.c': 'x.c:2: y'})
		self.assertEqual(rows, [('s.a', 'FAIL', 'FAIL', 'changed'),
					('s.c', 'CRASH', 'FAIL', 'changed')])
		self.assertEqual(gate.verdict_line(1, {'n': {'rows': rows}}).split(':')[0], 'FAIL')

	def judge(self, base, patched, expected=None):
		"""expected: the cases of the recorded runs (46, older than
		mm-tests/) unless given."""
		a = {}
		if expected is None:
			expected = list(results.load(os.path.join(DATA, 'known', f'{NAME}.ktap')).cases)
		rc = gate.judge(NAME, os.path.join(DATA, base), os.path.join(DATA, patched), a,
				expected)
		return rc, {c: k for c, _, _, k in a['rows']}, a

	def test_a_crashed_or_timed_out_baseline_is_inconclusive(self):
		"""The baseline dies in zone_device_fault and so does the patched
		run: not 'nothing regressed' but 5, naming why."""
		rc, kinds, a = self.judge('crash', 'crash')
		self.assertEqual(rc, gate.EXIT_INCONCLUSIVE)
		self.assertEqual(kinds, {})
		self.assertIn('crashed or timed out', a['inconclusive'][0])
		self.assertTrue(a['inconclusive'][0].startswith('baseline: '))
		self.assertTrue(gate.verdict_line(rc, {NAME: a}).startswith('INCONCLUSIVE: baseline: '))
		# A baseline that fails a case it is not known to fail: the same.
		rc, _, a = self.judge('known-and-leak', 'known-and-leak')
		self.assertEqual(rc, gate.EXIT_INCONCLUSIVE)
		self.assertIn('not known failures', ' '.join(a['inconclusive']))

	def runs(self, base_ktap, patched_ktap, base_log='', patched_log=''):
		"""Two result dirs of synthesized runs: (base_dir, patched_dir)."""
		d = tempfile.mkdtemp()
		self.addCleanup(shutil.rmtree, d)
		out = []
		for which, ktap, log in (('b', base_ktap, base_log), ('p', patched_ktap, patched_log)):
			os.makedirs(os.path.join(d, which))
			with open(os.path.join(d, which, f'{NAME}.ktap'), 'w') as f:
				f.write(ktap)
			if log:
				with open(os.path.join(d, which, f'{NAME}.log'), 'w') as f:
					f.write(log)
			out.append(os.path.join(d, which))
		return out

	KTAP = ('KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: s\n    1..2\n'
		'    ok 1 a\n    ok {n} b\nok 1 s\n')

	def test_a_parse_error_is_inconclusive(self):
		good = self.KTAP.format(n=2)
		bad = self.KTAP.format(n=3)	# 'ok 3' where 2 was due: a parse error
		a = {}
		b, p = self.runs(good, bad)
		self.assertEqual(gate.judge(NAME, b, p, a, ['s.a', 's.b']), gate.EXIT_INCONCLUSIVE)
		self.assertEqual(a['inconclusive'], ['patched: 1 KTAP parse error(s)'])
		b, p = self.runs(bad, good)
		self.assertEqual(gate.judge(NAME, b, p, {}, ['s.a', 's.b']), gate.EXIT_INCONCLUSIVE)
		b, p = self.runs(good, good)
		self.assertEqual(gate.judge(NAME, b, p, {}, ['s.a', 's.b']), 0)

	def test_a_case_absent_from_both_runs_is_incomplete(self):
		good = self.KTAP.format(n=2)
		a = {}
		b, p = self.runs(good, good)
		self.assertEqual(gate.judge(NAME, b, p, a, ['s.a', 's.b', 's.z']), gate.EXIT_INCONCLUSIVE)
		self.assertEqual(a['inconclusive'],
				 ['baseline: 1 expected case(s) never reported (s.z first)',
				  'patched: 1 expected case(s) neither run reported (s.z first)'])

	def test_a_splat_outside_a_case_regresses_or_makes_the_baseline_inconclusive(self):
		good = self.KTAP.format(n=2)
		splat = '[   12.345678] WARNING: CPU: 0 PID: 1 at mm/memory.c:10 do_thing+0x1/0x2\n'
		a = {}
		b, p = self.runs(good, good, 'booting\n', 'booting\n' + splat)
		self.assertEqual(gate.judge(NAME, b, p, a, ['s.a', 's.b']), gate.EXIT_REGRESSED)
		self.assertEqual(a['rows'], [('(outside a case)', 'none', 'splat', 'regressed')])
		self.assertIn('mm/memory.c:10 do_thing', a['why']['(outside a case)'])
		b, p = self.runs(good, good, splat, splat)
		self.assertEqual(gate.judge(NAME, b, p, a, ['s.a', 's.b']), gate.EXIT_INCONCLUSIVE)
		self.assertIn('baseline: a kernel splat outside any case: WARNING: CPU: 0',
			      a['inconclusive'][0])

	def test_a_series_touching_the_verdict_chain_is_inconclusive_unless_allowed(self):
		d = tempfile.mkdtemp()
		self.addCleanup(shutil.rmtree, d)
		patch = os.path.join(d, '0001-x.patch')
		with open(patch, 'w') as f:
			f.write('--- a/lib/kunit/test.c\n+++ b/lib/kunit/test.c\n@@ -1 +1 @@\n-a\n+b\n'
				'--- a/mm/memory.c\n+++ b/mm/memory.c\n@@ -1 +1 @@\n-a\n+b\n')
		chain = zseries.verdict_chain(zseries.Series(d, [patch], d).touched())
		self.assertEqual(chain, ['lib/kunit/test.c'])
		self.assertEqual(zseries.verdict_chain(['mm/tests/zone_device_fixture.c', 'mm/tests/Kconfig',
							 'tools/testing/kunit/kunit_parser.py',
							 'include/kunit/test.h', 'mm/tests/lazy_mmu_mode_kunit.c']),
				 ['include/kunit/test.h', 'mm/tests/Kconfig',
				  'mm/tests/zone_device_fixture.c', 'tools/testing/kunit/kunit_parser.py'])
		self.assertEqual(gate.chain_status(0, chain, False), gate.EXIT_INCONCLUSIVE)
		self.assertEqual(gate.chain_status(0, chain, True), 0)
		self.assertEqual(gate.chain_status(1, chain, False), 1)
		self.assertEqual(gate.chain_status(0, [], False), 0)
		self.assertIn('verdict chain (lib/kunit/test.c)',
			      gate.verdict_line(gate.EXIT_INCONCLUSIVE, {}, chain))

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

	def test_a_recorded_baseline_stands_in_only_for_the_same_kernel_and_config(self):
		d = tempfile.mkdtemp()
		self.addCleanup(shutil.rmtree, d)
		rec, build, base = (os.path.join(d, n) for n in ('rec', 'build', 'base'))
		for p in (rec, build):
			os.makedirs(p)
		with open(os.path.join(build, '.config'), 'w', encoding='utf-8') as f:
			f.write('CONFIG_ZONE_DEVICE=y\n')
		name = '7.3.4-x86_64'
		self.assertIn('no recorded run', gate.recorded_baseline(rec, name, 'x86_64', '7.3.4', build))
		for ext in ('ktap', 'log'):
			with open(os.path.join(rec, f'{name}.{ext}'), 'w', encoding='utf-8') as f:
				f.write('KTAP version 1\n')
		doc = {'kernel': '7.3.4', 'arch': 'x86_64', 'config_sha256':
		       hashlib.sha256(b'CONFIG_ZONE_DEVICE=y\n').hexdigest(),
		       'suites_sha256': zinstall.suites_hash(zinstall.SRC)}

		def record(**kw):
			with open(os.path.join(rec, f'{name}.verdicts.json'), 'w', encoding='utf-8') as f:
				json.dump(dict(doc, **kw), f)
			return gate.recorded_baseline(rec, name, 'x86_64', '7.3.4', build)

		self.assertEqual(record(), '')
		self.assertIn('not that of', record(config_sha256='0' * 64))
		self.assertIn('a run of 7.2.13 x86_64', record(kernel='7.2.13'))
		self.assertIn('a run of 7.3.4 arm64', record(arch='arm64'))
		self.assertIn('its suites are not', record(suites_sha256='0' * 64))
		os.remove(os.path.join(rec, f'{name}.log'))
		self.assertIn(f'{name}.log is missing', record())
		gate.take_baseline(rec, name, base)
		self.assertEqual(sorted(os.listdir(base)), [f'{name}.ktap', f'{name}.verdicts.json'])

	def test_baseline_is_refused_with_filter(self):
		p = subprocess.run([sys.executable, os.path.join(REPO, 'tools/gate.py'), 'x.patch',
				    '--baseline', '/nonexistent', '--filter', 'zone_device_gup'],
				   capture_output=True, text=True, check=False)
		self.assertEqual(p.returncode, 2)
		self.assertIn('--baseline', p.stderr + p.stdout)

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
		# The recorded x86_64 runs predate some of mm-tests/' cases: they
		# prove nothing about those (5, and why).
		rc, out, err, md = self.entry('--compare', os.path.join(DATA, 'known'),
					      os.path.join(DATA, 'known'))
		self.assertEqual(rc, 5, err)
		self.assertRegex(out, r'INCONCLUSIVE: baseline: \d+ expected case\(s\) never reported')
		self.assertIn(f'### {NAME}: known failures, unchanged', md)
		# A recorded run with every case of mm-tests/ (watch/): 0.
		rc, out, err, md = self.entry('--compare', os.path.join(DATA, 'watch'),
					      os.path.join(DATA, 'watch'))
		self.assertEqual(rc, 0, out + err)
		self.assertIn('No case changed its verdict.', md)
		self.assertIn('PASS: nothing regressed, both runs complete', out)
		rc, out, err, md = self.entry(os.path.join(DATA, 'no-such-series'))
		self.assertEqual(rc, 2)
		self.assertEqual(len(err.strip().splitlines()), 1, err)
		self.assertIn('neither a patch', err)
		rc, out, err, md = self.entry('--compare', os.path.join(DATA, 'nowhere'), DATA)
		self.assertEqual(rc, 2)
		self.assertEqual(len(err.strip().splitlines()), 1, err)


if __name__ == '__main__':
	unittest.main()
