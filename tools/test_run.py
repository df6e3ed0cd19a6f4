# SPDX-License-Identifier: GPL-2.0
"""Unit tests of tools/run.py: no kernel is built or booted."""

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
import run  # noqa: E402
from testutil import (DATA, NAME, NAME_612, PMD, ktap_612, load,  # noqa: E402
		      needs_612_parser, needs_parser, scratch_tree, snapshot, text_of, tool)



def as_6_12(tree: str) -> None:
	"""A scratch tree that says it is 6.12.117 (no patches/uml series)."""
	with open(os.path.join(tree, 'Makefile'), 'w') as f:
		f.write('# SPDX-License-Identifier: GPL-2.0\nVERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 117\n')

class RunTest(unittest.TestCase):

	def setUp(self):
		self.tmp = tempfile.mkdtemp()
		self.addCleanup(shutil.rmtree, self.tmp)

	def test_kdir_not_a_tree(self):
		rc, _, err = tool('run', '--kdir', self.tmp)
		self.assertEqual(rc, 2)
		self.assertEqual(err.count('\n'), 1)
		self.assertIn('is not a kernel tree', err)

	def test_without_arch_one_kernel_and_how_to_run_the_others_last(self):
		t = scratch_tree(self.tmp)
		ran = []
		argv = ['run.py', '--kdir', t, '--results', os.path.join(self.tmp, 'r')]
		out = io.StringIO()
		with mock.patch.object(run, 'run_arch', lambda tree, arch, *a: ran.append(arch) or 0), \
		     mock.patch.object(run.zinstall, 'install'), \
		     mock.patch.object(run.zinstall, 'uninstall'), \
		     mock.patch.object(run.zinstall, 'status', return_value=None), \
		     mock.patch.object(sys, 'argv', argv), contextlib.redirect_stdout(out):
			self.assertEqual(run.main(), 0)
			self.assertEqual(ran, ['x86_64'])
			self.assertEqual(out.getvalue().splitlines()[-1],
					 '== x86_64 only; the other arches: make run ARCH=um, '
					 'make run ARCH=arm64; all of them: make test')
			# Told which: no such line.
			ran.clear()
			sys.argv = argv + ['--arch', 'um', '--arch', 'x86_64']
			out.truncate(0)
			self.assertEqual(run.main(), 0)
			self.assertEqual(ran, ['um', 'x86_64'])
			self.assertNotIn('other arches', out.getvalue())
		self.assertIn('ARCH=arm64 MODULES=1; all', run.others_line(modules=True))
		self.assertNotIn('ARCH=um', run.others_line(modules=True))

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
		as_6_12(t)	# UML without patches/uml: nothing but kunit.py
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
		as_6_12(t)
		with open(os.path.join(t, 'tools/testing/kunit/kunit.py'), 'w') as f:
			f.write('import os, sys\nb = sys.argv[sys.argv.index("--build_dir") + 1]\n'
				'os.mkdir(b)\nsys.exit(1)\n')
		with open(os.path.join(t, 'tools/testing/kunit/kunit_parser.py'), 'w') as f:
			f.write('def extract_tap_lines(lines):\n\treturn []\n')
		cache = os.path.join(self.tmp, 'fresh-cache')
		env = dict(os.environ, ZDT_CACHE=cache)
		tool('run', '--kdir', t, '--arch', 'um', '--results', os.path.join(self.tmp, 'r'), env=env)
		# A --kdir tree's build dir is its own: the version, arch and its path's hash.
		import glob  # pylint: disable=import-outside-toplevel
		self.assertEqual(len(glob.glob(os.path.join(cache, 'build', '6.12.117-um-*'))), 1)

	def test_uml_series_that_does_not_apply_is_one_line_and_tree_unchanged(self):
		"""A 7.3 tree gets patches/uml for ARCH=um; a tree without arch/um
		cannot take it: one line, exit 2, nothing left behind."""
		t = scratch_tree(self.tmp)
		before = snapshot(t)
		env = dict(os.environ, ZDT_CACHE=os.path.join(self.tmp, 'c'))
		rc, out, err = tool('run', '--kdir', t, '--arch', 'um', env=env)
		self.assertEqual(rc, 2, out)
		self.assertEqual(err.count('\n'), 1, err)
		self.assertIn('does not apply', err)
		self.assertEqual(snapshot(t), before)

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
		p = subprocess.run(['qemu-system-x86_64', '-append', 'console=ttyS0', '-accel', 'kvm',
				    '-accel', 'hvf', '-accel', 'tcg', '-smp', '2'],
				   env=env, capture_output=True, text=True, check=True)
		self.assertEqual(p.stdout, '[-append][console=ttyS0][-accel][tcg][-smp][2]')

	def test_the_shim_is_in_path_when_the_accelerator_is_tcg(self):
		"""ACCEL=auto takes tools/accel.py's decision for the arch; kvm and
		tcg force it; UML never boots QEMU."""
		shim = os.path.join(run.REPO, 'tools/qemu-tcg')
		first = lambda env: env['PATH'].split(os.pathsep)[0]  # noqa: E731
		self.assertEqual(first(run.kunit_env('tcg')), shim)
		self.assertNotEqual(first(run.kunit_env('kvm')), shim)
		asked = []
		for decision in ('kvm', 'tcg'):
			with mock.patch.object(run.zaccel, 'decide',
					       lambda arch, accel, d=decision: asked.append((arch, accel))
					       or (d, 'why', False)):
				got = first(run.kunit_env('auto', 'arm64'))
			self.assertEqual(got == shim, decision == 'tcg')
		self.assertEqual(asked, [('arm64', 'auto')] * 2)

	def test_tcg_shim_is_the_same_for_arm64(self):
		"""tools/qemu-tcg/qemu-system-aarch64 is the same script under the
		arm64 name: it runs the real QEMU of its own name."""
		fake = os.path.join(self.tmp, 'bin')
		os.makedirs(fake)
		for name in ('qemu-system-x86_64', 'qemu-system-aarch64'):
			with open(os.path.join(fake, name), 'w') as f:
				f.write(f'#!/bin/sh\necho {name}; for a; do printf "[%s]" "$a"; done\n')
			os.chmod(os.path.join(fake, name), 0o755)
		env = run.kunit_env('tcg')
		env['PATH'] = env['PATH'].split(os.pathsep, 1)[0] + os.pathsep + fake
		p = subprocess.run(['qemu-system-aarch64', '-accel', 'kvm', '-accel', 'tcg', '-M', 'virt'],
				   env=env, capture_output=True, text=True, check=True)
		self.assertEqual(p.stdout, 'qemu-system-aarch64\n[-accel][tcg][-M][virt]')

	def test_arm64_is_cross_built_with_its_own_qemu_config(self):
		"""kunit.py gets configs/arm64.py, the cross compiler's prefix, and
		ccache in front of the cross gcc (not the host's)."""
		t = scratch_tree(self.tmp)
		args = run.kunit_args(t, 'arm64', 120, [])
		self.assertEqual(args[args.index('--qemu_config') + 1],
				 os.path.join(run.REPO, 'configs/arm64.py'))
		self.assertEqual(args[args.index('--cross_compile') + 1], 'aarch64-linux-gnu-')
		if shutil.which('ccache'):
			self.assertEqual(args[args.index('--make_options') + 1],
					 'CC=ccache aarch64-linux-gnu-gcc')
		x86 = run.kunit_args(t, 'x86_64', 120, [])
		self.assertNotIn('--cross_compile', x86)
		self.assertTrue(x86[x86.index('--qemu_config') + 1].endswith('configs/x86_64.py'))

	def test_modular_build_has_its_own_build_dir_and_kconfig_add(self):
		"""--modules: its own build dir, every suite =m through kunit.py's
		--kconfig_add, and kunit.py build without the boot-only options."""
		t = scratch_tree(self.tmp)
		args = run.kunit_args(t, 'x86_64', 120, ['a=b'], modules=True)
		self.assertRegex(args[args.index('--build_dir') + 1], r'-x86_64-modules-[0-9a-f]{12}$')
		added = [args[i + 1] for i, a in enumerate(args) if a == '--kconfig_add']
		self.assertIn('CONFIG_ZONE_DEVICE_GUP_KUNIT_TEST=m', added)
		self.assertIn('CONFIG_KUNIT=m', added)
		build = run.build_args(args)
		self.assertNotIn('--timeout', build)
		self.assertNotIn('--kernel_args', build)
		self.assertNotIn('a=b', build)
		self.assertEqual(len(build), len(args) - 4)
		self.assertNotIn('--kconfig_add', run.kunit_args(t, 'x86_64', 120, []))

	def test_modules_on_uml_is_one_line_and_exit_2(self):
		t = scratch_tree(self.tmp)
		before = snapshot(t)
		env = dict(os.environ, ZDT_CACHE=os.path.join(self.tmp, 'c'))
		rc, _, err = tool('run', '--kdir', t, '--arch', 'um', '--modules', env=env)
		self.assertEqual(rc, 2)
		self.assertEqual(err.count('\n'), 1)
		self.assertIn('--modules needs a QEMU arch', err)
		self.assertEqual(snapshot(t), before)

	def test_missing_cross_compiler_is_one_line_and_exit_2(self):
		t = scratch_tree(self.tmp)
		fake = os.path.join(self.tmp, 'bin')
		os.makedirs(fake)
		os.symlink(shutil.which('true'), os.path.join(fake, 'qemu-system-aarch64'))
		os.symlink(sys.executable, os.path.join(fake, 'python3'))
		before = snapshot(t)
		env = dict(os.environ, PATH=fake, ZDT_CACHE=os.path.join(self.tmp, 'c'))
		rc, _, err = tool('run', '--kdir', t, '--arch', 'arm64', env=env)
		self.assertEqual(rc, 2)
		self.assertEqual(err.count('\n'), 1)
		self.assertIn('aarch64-linux-gnu-gcc not found: run "make deps ARCH=arm64"', err)
		self.assertEqual(snapshot(t), before)

	def test_deps_of_an_unknown_arch_is_one_line_and_exit_2(self):
		p = subprocess.run(['sh', os.path.join(run.REPO, 'tools/deps.sh'), 'riscv'],
				   capture_output=True, text=True, check=False)
		self.assertEqual(p.returncode, 2)
		self.assertEqual(p.stderr, 'deps: unknown arch riscv (x86_64, arm64, um)\n')

@needs_parser
class RunResultsTest(unittest.TestCase):

	def test_extract_ktap_of_a_real_console_log(self):
		"""run.extract_ktap (kunit_parser's extract_tap_lines) of a recorded
		console log is the KTAP run.py filed next to it."""
		with tempfile.TemporaryDirectory() as d:
			out = os.path.join(d, 'k')
			run.extract_ktap(os.path.join(DATA, 'console', f'{NAME}.log'), out)
			with open(out, encoding='utf-8') as f:
				self.assertEqual(f.read(), text_of('console'))

	def test_run_report_prints_known_failures_with_their_reason(self):
		out = io.StringIO()
		with contextlib.redirect_stdout(out):
			self.assertEqual(run.report(NAME, load('known')), 0)
		self.assertRegex(out.getvalue(), rf'known failure {PMD} \(configs/known-failures:\d+\): '
				 r'do_huge_pmd_device_private\(\) returns 0')
		with contextlib.redirect_stdout(io.StringIO()):
			self.assertEqual(run.report(NAME, load('known-and-leak')), 1)
			self.assertEqual(run.report(NAME, load('crash')), 1)


class JudgeRunTest(unittest.TestCase):
	"""run.judge_run() on recorded or synthesized console logs: nothing built."""

	def setUp(self):
		self.d = tempfile.mkdtemp()
		self.addCleanup(shutil.rmtree, self.d)

	def judge(self, log_text, rc, expected=None, modules=False, known=None):
		log = os.path.join(self.d, f'{NAME}.log')
		with open(log, 'w') as f:
			f.write(log_text)
		out = io.StringIO()
		with contextlib.redirect_stdout(out):
			status = run.judge_run(NAME, log, os.path.join(self.d, f'{NAME}.ktap'), self.d, rc,
					       1.0, known or {}, expected or [], self.d, '7.3.4', 'x86_64',
					       modules=modules)
		return status, out.getvalue()

	def test_a_kernel_that_booted_and_printed_no_ktap_crashed_it_built(self):
		status, out = self.judge('[12:00:00] Building KUnit Kernel ...\n'
					 '[12:01:00] Starting KUnit Kernel (1/1)...\n'
					 'Kernel panic - not syncing: VFS: Unable to mount root fs\n', 0)
		self.assertEqual(status, run.EXIT_FAILED)
		self.assertIn('CRASH: booted, no KTAP', out)
		self.assertIn('Kernel panic', out)
		self.assertNotIn('BUILD FAILED', out)
		status, out = self.judge('[12:00:00] Building KUnit Kernel ...\n'
					 'mm/memory.c:1:1: error: expected ;\n', 2)
		self.assertEqual(status, run.EXIT_BUILD)
		self.assertIn('BUILD FAILED', out)
		self.assertTrue(run.build_failed('make: *** [Makefile:1] Error 2\n', 2))
		self.assertFalse(run.build_failed('Starting KUnit Kernel (1/1)...\n', 1))

	def console(self):
		with open(os.path.join(DATA, 'console', f'{NAME}.log'), encoding='utf-8') as f:
			return f.read()

	def test_kunit_py_exiting_non_zero_is_a_failure_known_failure_or_not(self):
		"""The recorded run is ok (its PMD case KNOWN); kunit.py exiting 1
		is not explained by it: with --raw_output=all kunit.py's status is
		not a test verdict."""
		import results  # pylint: disable=import-outside-toplevel
		cases = list(load('console').cases)
		known = results.known_failures('7.3', arch='x86_64')
		status, out = self.judge(self.console(), 0, cases, known=known)
		self.assertEqual(status, 0, out)
		self.assertIn(f'known failure {PMD}', out)
		status, out = self.judge(self.console(), 1, cases, known=known)
		self.assertEqual(status, run.EXIT_FAILED)
		self.assertIn('kunit.py exited 1 after the kernel ran', out)
		# JSON and JUnit come from the pinned parser.
		with open(os.path.join(self.d, f'{NAME}.json')) as f:
			self.assertIn('"name": "KUnit Test Group"', f.read())
		self.assertTrue(os.path.getsize(os.path.join(self.d, f'{NAME}.xml')))

	def test_modules_check_every_expected_suite(self):
		"""Modules mode checks the debugfs results of every suite it was
		to run, not only of the suites that printed KTAP."""
		import modules as zmodules  # pylint: disable=import-outside-toplevel
		from unittest import mock  # pylint: disable=import-outside-toplevel
		cases = list(load('console').cases) + ['zone_device_never.printed']
		with mock.patch.object(zmodules, 'check_init', return_value=[]) as check:
			self.judge(self.console(), 0, cases, modules=True)
		suites = check.call_args[0][2]
		self.assertIn('zone_device_never', suites)
		self.assertEqual(suites, sorted({c.split('.')[0] for c in cases}))


@needs_612_parser
class Run612Test(unittest.TestCase):

	def test_extract_ktap_of_the_6_12_console_log(self):
		"""The pinned extract_tap_lines of the recorded 6.12 console log is
		the KTAP filed next to it (extracted by the 6.12 tree's own)."""
		with tempfile.TemporaryDirectory() as d:
			out = os.path.join(d, 'k')
			run.extract_ktap(os.path.join(DATA, '6.12', f'{NAME_612}.log'), out)
			with open(out, encoding='utf-8') as f, open(ktap_612(), encoding='utf-8') as want:
				self.assertEqual(f.read(), want.read())


if __name__ == '__main__':
	unittest.main()
