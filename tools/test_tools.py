# SPDX-License-Identifier: GPL-2.0
"""Unit tests of the tools: no network, no kernel build, seconds to run."""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fetch  # noqa: E402
import gate  # noqa: E402
import series  # noqa: E402
import matrix  # noqa: E402
import install  # noqa: E402
import mutants  # noqa: E402
import results  # noqa: E402
import run  # noqa: E402
from common import REPO, ToolError, kernel_version  # noqa: E402

TOOLS = os.path.join(REPO, 'tools')


def tool(name, *args, env=None):
	"""Runs tools/<name>.py; (exit status, stdout, stderr)."""
	p = subprocess.run([sys.executable, os.path.join(TOOLS, name + '.py'), *args],
			   capture_output=True, text=True, env=env, check=False)
	return p.returncode, p.stdout, p.stderr


def snapshot(root):
	"""Every path under root with its bytes and mtime."""
	out = {}
	for d, dirs, files in os.walk(root):
		for n in dirs + files:
			p = os.path.join(d, n)
			st = os.lstat(p)
			data = None
			if os.path.isfile(p):
				with open(p, 'rb') as f:
					data = f.read()
			out[os.path.relpath(p, root)] = (data, st.st_mtime_ns)
	out['.'] = (None, os.stat(root).st_mtime_ns)
	return out


def scratch_tree(parent, with_tests_dir=False, no_trailing_newline=False):
	"""The files of a kernel tree the tools look at, and nothing else."""
	t = os.path.join(parent, 'linux')
	os.makedirs(os.path.join(t, 'mm'))
	os.makedirs(os.path.join(t, 'tools/testing/kunit'))
	with open(os.path.join(t, 'Makefile'), 'w') as f:
		f.write('# SPDX-License-Identifier: GPL-2.0\nVERSION = 7\nPATCHLEVEL = 3\nSUBLEVEL = 4\n')
	with open(os.path.join(t, 'mm/Kconfig'), 'w') as f:
		f.write('menu "Memory Management options"\nendmenu\n')
	with open(os.path.join(t, 'mm/Makefile'), 'w') as f:
		f.write('obj-y += memory.o' + ('' if no_trailing_newline else '\n'))
	with open(os.path.join(t, 'tools/testing/kunit/kunit.py'), 'w') as f:
		f.write('')
	if with_tests_dir:
		os.makedirs(os.path.join(t, 'mm/tests'))
		with open(os.path.join(t, 'mm/tests/lazy_mmu_mode_kunit.c'), 'w') as f:
			f.write('/* upstream */\n')
	for p in ('mm/Kconfig', 'mm/Makefile', 'mm', 'mm/tests'):
		if os.path.exists(os.path.join(t, p)):
			os.utime(os.path.join(t, p), ns=(10**18, 10**18))
	return t


class InstallTest(unittest.TestCase):

	def setUp(self):
		self.tmp = tempfile.mkdtemp()
		self.addCleanup(shutil.rmtree, self.tmp)

	def round_trip(self, **kw):
		t = scratch_tree(self.tmp, **kw)
		before = snapshot(t)
		changed = install.install(t)
		self.assertIn('mm/Makefile', changed)
		self.assertEqual(install.install(t), [], 'second install changed files')
		for f in install.suite_files():
			self.assertTrue(os.path.isfile(os.path.join(t, 'mm/tests', f)), f)
		with open(os.path.join(t, 'mm/Makefile')) as f:
			self.assertIn('tests/zone_device_pgmap_kunit.o', f.read())
		with open(os.path.join(t, 'mm/Kconfig')) as f:
			self.assertIn('config ZONE_DEVICE_PGMAP_KUNIT_TEST', f.read())
		self.assertTrue(install.uninstall(t))
		self.assertEqual(snapshot(t), before)
		self.assertFalse(install.uninstall(t))

	def test_round_trip_restores_tree_exactly(self):
		self.round_trip()

	def test_round_trip_with_existing_mm_tests(self):
		self.round_trip(with_tests_dir=True)

	def test_round_trip_without_trailing_newline(self):
		self.round_trip(no_trailing_newline=True)

	def test_refuses_foreign_file_in_mm_tests(self):
		t = scratch_tree(self.tmp, with_tests_dir=True)
		with open(os.path.join(t, 'mm/tests/zone_device_fixture.c'), 'w') as f:
			f.write('not ours\n')
		before = snapshot(t)
		rc, _, err = tool('install', 'install', t)
		self.assertEqual(rc, 2)
		self.assertIn('already has zone_device_fixture.c', err)
		self.assertEqual(len(err.strip().splitlines()), 1)
		self.assertEqual(snapshot(t), before)

	def test_not_a_kernel_tree(self):
		rc, _, err = tool('install', 'install', self.tmp)
		self.assertEqual(rc, 2)
		self.assertIn('is not a kernel tree', err)
		rc, _, err = tool('install', 'install', os.path.join(self.tmp, 'nowhere'))
		self.assertEqual(rc, 2)
		self.assertIn('is not a directory', err)

	def test_kernel_version(self):
		self.assertEqual(kernel_version(scratch_tree(self.tmp)), '7.3.4')


class FetchTest(unittest.TestCase):

	def setUp(self):
		self.tmp = tempfile.mkdtemp()
		self.addCleanup(shutil.rmtree, self.tmp)
		os.makedirs(os.path.join(self.tmp, 'sources.list.d'))

	def write(self, name, text):
		with open(os.path.join(self.tmp, name), 'w') as f:
			f.write(textwrap.dedent(text))

	def test_reads_deb822_sources(self):
		self.write('sources.list.d/debian.sources', '''\
			Types: deb
			URIs: http://mirror.invalid/debian
			Suites: bookworm bookworm-updates
			Components: main

			Types: deb
			URIs: http://mirror.invalid/debian-security
			Suites: bookworm-security
			Components: main
			''')
		self.write('sources.list.d/other.sources', 'Types: deb\nURIs: https://vendor.invalid/apt\n'
			   'Suites: stable\nComponents: main\n')
		self.assertEqual(fetch.system_sources(self.tmp), [
			('http://mirror.invalid/debian', ['bookworm', 'bookworm-updates']),
			('http://mirror.invalid/debian-security', ['bookworm-security'])])

	def test_reads_one_line_sources(self):
		self.write('sources.list', 'deb [arch=amd64] http://mirror.invalid/debian/ trixie main\n'
			   '# deb http://old.invalid/debian sid main\n')
		self.assertEqual(fetch.system_sources(self.tmp),
				 [('http://mirror.invalid/debian', ['trixie'])])

	def test_no_debian_source_is_an_error(self):
		with self.assertRaises(ToolError):
			fetch.system_sources(self.tmp)

	def test_unknown_kver(self):
		rc, out, err = tool('fetch', '9.9')
		self.assertEqual((rc, out), (2, ''))
		self.assertEqual(err, "fetch: unknown KVER '9.9' (known: 6.12 7.2 7.3)\n")

	def test_unreachable_package(self):
		"""A mirror that has no such package: one line, exit 2."""
		mirror = os.path.join(self.tmp, 'mirror')
		os.makedirs(mirror)
		self.write('sources.list', f'deb file://{mirror}/debian bookworm main\n')
		env = dict(os.environ, ZDT_CACHE=os.path.join(self.tmp, 'cache'))
		code = ('import sys; sys.path.insert(0, %r); import fetch, common\n'
			'common.main_wrapper("fetch", lambda: fetch.fetch("6.12", etc=%r))'
			% (TOOLS, self.tmp))
		p = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
				   env=env, check=False)
		self.assertEqual(p.returncode, 2)
		self.assertTrue(p.stderr.startswith('fetch: '), p.stderr)
		self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)


class RunTest(unittest.TestCase):

	def setUp(self):
		self.tmp = tempfile.mkdtemp()
		self.addCleanup(shutil.rmtree, self.tmp)

	def test_kdir_not_a_tree(self):
		rc, _, err = tool('run', '--kdir', self.tmp)
		self.assertEqual(rc, 2)
		self.assertEqual(err.count('\n'), 1)
		self.assertIn('is not a kernel tree', err)

	def test_missing_qemu_leaves_tree_unchanged(self):
		t = scratch_tree(self.tmp)
		before = snapshot(t)
		env = dict(os.environ, PATH='/nonexistent', ZDT_CACHE=os.path.join(self.tmp, 'c'))
		rc, _, err = tool('run', '--kdir', t, '--arch', 'x86_64', env=env)
		self.assertEqual(rc, 2)
		self.assertIn('qemu-system-x86_64 not found', err)
		self.assertEqual(snapshot(t), before)

	def test_build_failure_is_exit_3_and_tree_unchanged(self):
		t = scratch_tree(self.tmp)
		with open(os.path.join(t, 'tools/testing/kunit/kunit.py'), 'w') as f:
			f.write('import sys\nprint("mm/foo.c:1: error: broken")\nsys.exit(1)\n')
		with open(os.path.join(t, 'tools/testing/kunit/kunit_parser.py'), 'w') as f:
			f.write('def extract_tap_lines(lines):\n\treturn []\n')
		before = snapshot(t)
		env = dict(os.environ, ZDT_CACHE=os.path.join(self.tmp, 'c'))
		rc, out, _ = tool('run', '--kdir', t, '--arch', 'um', '--results',
				  os.path.join(self.tmp, 'r'), env=env)
		self.assertEqual(rc, 3)
		self.assertIn('BUILD FAILED', out)
		self.assertIn('error: broken', out)
		self.assertEqual(snapshot(t), before)

	def test_build_dir_parent_is_created(self):
		"""kunit.py creates only the last level of --build_dir: on a fresh
		cache the tool must make the rest."""
		t = scratch_tree(self.tmp)
		with open(os.path.join(t, 'tools/testing/kunit/kunit.py'), 'w') as f:
			f.write('import os, sys\nb = sys.argv[sys.argv.index("--build_dir") + 1]\n'
				'os.mkdir(b)\nsys.exit(1)\n')
		with open(os.path.join(t, 'tools/testing/kunit/kunit_parser.py'), 'w') as f:
			f.write('def extract_tap_lines(lines):\n\treturn []\n')
		cache = os.path.join(self.tmp, 'fresh-cache')
		env = dict(os.environ, ZDT_CACHE=cache)
		tool('run', '--kdir', t, '--arch', 'um', '--results', os.path.join(self.tmp, 'r'), env=env)
		self.assertTrue(os.path.isdir(os.path.join(cache, 'build', '7.3.4-um')))

	def test_stale_kernel_image_is_reported(self):
		"""A booted banner whose build number is not the build dir's .version."""
		with open(os.path.join(self.tmp, '.version'), 'w') as f:
			f.write('51\n')
		log = os.path.join(self.tmp, 'log')
		with open(log, 'w') as f:
			f.write('Linux version 7.3.4 (root@vm) (gcc 12.2.0) #25 SMP PREEMPT Sun Nov 22\n')
		self.assertIn('stale image', run.booted_stale_kernel(log, self.tmp))
		with open(os.path.join(self.tmp, '.version'), 'w') as f:
			f.write('25\n')
		self.assertIsNone(run.booted_stale_kernel(log, self.tmp))

	def test_tcg_shim_drops_kvm_and_hvf(self):
		fake = os.path.join(self.tmp, 'bin')
		os.makedirs(fake)
		with open(os.path.join(fake, 'qemu-system-x86_64'), 'w') as f:
			f.write('#!/bin/sh\nfor a; do printf "[%s]" "$a"; done\n')
		os.chmod(os.path.join(fake, 'qemu-system-x86_64'), 0o755)
		env = run.kunit_env('tcg')
		env['PATH'] = env['PATH'].split(os.pathsep, 1)[0] + os.pathsep + fake
		p = subprocess.run(['qemu-system-x86_64', '-append', 'memmap=64M!512M', '-accel', 'kvm',
				    '-accel', 'hvf', '-accel', 'tcg', '-smp', '2'],
				   env=env, capture_output=True, text=True, check=True)
		self.assertEqual(p.stdout, '[-append][memmap=64M!512M][-accel][tcg][-smp][2]')



def suite_text():
	"""All of mm-tests/*.[ch], to look names up in."""
	text = ''
	for f in install.suite_files():
		with open(os.path.join(REPO, 'mm-tests', f)) as fh:
			text += fh.read()
	return text


class MutantsTest(unittest.TestCase):

	def json_file(self, text):
		"""A kunit.py-style JSON file holding text, removed after the test."""
		d = tempfile.mkdtemp()
		self.addCleanup(shutil.rmtree, d)
		path = os.path.join(d, 'r.json')
		with open(path, 'w') as f:
			f.write(text)
		return path

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

	def test_known_failures_name_existing_cases(self):
		"""Each entry of configs/known-failures names a case that exists, the
		symptom the C side reports ('the fault spins') and a reason."""
		sources = suite_text()
		entries = 0
		for series in ('6.12', '7.2', '7.3'):
			for case, known in results.known_failures(series).items():
				entries += 1
				self.assertTrue(known.reason)
				self.assertEqual(known.pattern.pattern, 'the fault spins')
				self.assertRegex(sources, rf'KUNIT_CASE\w*\({case.split(".")[1]}\b')
		self.assertEqual(entries, 3)

	def test_kernel_dying_before_the_named_case_is_a_crash_not_a_miss(self):
		"""0003 with oops=panic: the case before the named one hits a
		VM_BUG_ON and the kernel panics; the named case never reports."""
		S = results.Status
		v = {'s.first': S.PASS, 's.died_here': S.FAIL}
		self.assertEqual(mutants.judge(1, v, ['s.named'])[0], 'caught (crash/timeout)')
		self.assertTrue(mutants.judge(0, {'s.named': S.PASS}, ['s.named'])[0].startswith('MISSED'))
		self.assertEqual(mutants.judge(1, {'s.named': S.FAIL}, ['s.named'])[0], 'caught')



def diff(rel, old, new):
	"""A -p1 unified diff of one file, as a patch series carries it."""
	a = old.splitlines(keepends=True) if old is not None else []
	b = new.splitlines(keepends=True) if new is not None else []
	import difflib  # pylint: disable=import-outside-toplevel
	return ''.join(difflib.unified_diff(a, b, f'a/{rel}' if old is not None else '/dev/null',
					    f'b/{rel}' if new is not None else '/dev/null'))


class GateTest(unittest.TestCase):

	def setUp(self):
		self.d = tempfile.mkdtemp()
		self.addCleanup(shutil.rmtree, self.d)
		self.tree = scratch_tree(self.d)

	def write_patch(self, name, text, header=''):
		p = os.path.join(self.d, name)
		with open(p, 'w') as f:
			f.write(header + text)
		return p

	def test_series_applies_and_restores_tree_exactly(self):
		"""patch -p1 mode: both patches apply, restore brings back every byte
		and removes the file the series created."""
		before = snapshot(self.tree)
		p1 = self.write_patch('1.patch', diff('mm/Makefile', 'obj-y += memory.o\n',
						      'obj-y += memory.o huge_memory.o\n'))
		p2 = self.write_patch('2.patch', diff('mm/new.c', None, 'int x;\n'))
		s = series.Series(self.tree, [p1, p2], os.path.join(self.d, 'backup'))
		self.assertEqual(s.method, 'patch -p1')
		s.apply()
		with open(os.path.join(self.tree, 'mm/Makefile')) as f:
			self.assertIn('huge_memory.o', f.read())
		self.assertTrue(os.path.exists(os.path.join(self.tree, 'mm/new.c')))
		s.restore()
		after = snapshot(self.tree)
		self.assertEqual({k: v[0] for k, v in after.items()},
				 {k: v[0] for k, v in before.items()})

	def test_series_that_does_not_apply_names_patch_and_hunk(self):
		p1 = self.write_patch('1.patch', diff('mm/Makefile', 'obj-y += memory.o\n',
						      'obj-y += memory.o a.o\n'))
		p2 = self.write_patch('2-bad.patch', diff('mm/Kconfig', 'no such line\n', 'x\n'))
		before = snapshot(self.tree)
		s = series.Series(self.tree, [p1, p2], os.path.join(self.d, 'backup'))
		with self.assertRaisesRegex(ToolError, r'2-bad.patch does not apply .*mm/Kconfig.*Hunk #1 FAILED'):
			s.apply()
		s.restore()
		self.assertEqual({k: v[0] for k, v in snapshot(self.tree).items()},
				 {k: v[0] for k, v in before.items()})

	def test_git_tree_gets_git_am_and_is_reset(self):
		def git(*a):
			subprocess.run(['git', '-C', self.tree, '-c', 'user.name=t', '-c',
					'user.email=t@t', *a], check=True, capture_output=True)
		git('init', '-q')
		git('add', '-A')
		git('commit', '-qm', 'base')
		head = subprocess.run(['git', '-C', self.tree, 'rev-parse', 'HEAD'],
				      capture_output=True, text=True, check=True).stdout
		p = self.write_patch('1.patch', diff('mm/Makefile', 'obj-y += memory.o\n', 'obj-y += b.o\n'),
				     header='From: t <t@t>\nSubject: [PATCH] b\n\nbody\n---\n')
		s = series.Series(self.tree, [p], os.path.join(self.d, 'backup'))
		self.assertEqual(s.method, 'git am')
		env = dict(os.environ, GIT_COMMITTER_NAME='t', GIT_COMMITTER_EMAIL='t@t')
		old = os.environ.copy()
		os.environ.update(env)
		try:
			s.apply()
		finally:
			os.environ.clear()
			os.environ.update(old)
		s.restore()
		self.assertEqual(subprocess.run(['git', '-C', self.tree, 'rev-parse', 'HEAD'],
						capture_output=True, text=True, check=True).stdout, head)
		with open(os.path.join(self.tree, 'mm/Makefile')) as f:
			self.assertEqual(f.read(), 'obj-y += memory.o\n')

	def test_mbox_splits_into_patches_and_skips_cover_letter(self):
		msg = 'From 0123456789abcdef Mon Sep 17 00:00:00 2001\nFrom: t <t@t>\nSubject: {}\n\n{}'
		mbox = self.write_patch('s.mbox', msg.format('[PATCH 0/2] cover', 'text\n') +
					msg.format('[PATCH 1/2] a', '---\n' + diff('a', 'x\n', 'y\n')) +
					msg.format('[PATCH 2/2] b', '---\n' + diff('b', 'x\n', 'y\n')))
		parts = series.series_patches(mbox, self.d)
		self.assertEqual(len(parts), 2)
		self.assertEqual(series.touched_files(parts[1]), {'b'})

	def test_bad_series_argument_is_one_line_and_exit_2(self):
		rc, out, err = tool('gate', os.path.join(self.d, 'nope'), '--kdir', self.tree)
		self.assertEqual(rc, 2)
		self.assertEqual(len(err.strip().splitlines()), 1, err)
		self.assertIn('neither a patch', err)



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


class MatrixTest(unittest.TestCase):

	def test_every_case_has_a_rule(self):
		"""Each case of each suite gets a row with the rule its comment states."""
		rows = matrix.rules()
		sources = suite_text()
		self.assertEqual(len(rows), len(set(re.findall(r'KUNIT_CASE\w*\((\w+)', sources))))
		for case, rule, _ in rows:
			self.assertGreater(len(rule), 20, case)



if __name__ == '__main__':
	unittest.main()
