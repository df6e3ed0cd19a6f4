#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""run: build and run the suites with kunit.py, one arch at a time.

Thin over kunit.py: it builds (out of tree, --build_dir under the cache),
boots (UML, or QEMU with configs/<arch>.py; arm64 cross-built) and bounds the run (--timeout).
The console log is read with the project's pinned copy of kunit.py's parser
(tools/kunit/, results.py), never the tree's: the KTAP, kunit.py's JSON and
JUnit come from it.  This tool only chooses the options, installs the
suites in the tree (and takes them out again from a tree it found without
them: a journal entry, tools/journal.py, lets a later run do it if this
one dies), and files the outputs: results/<kver>-<arch>.{log,ktap,json,xml},
and .verdicts.json, our verdicts for a dashboard (results.verdicts_document()).

It holds the lock (tools/lock.py) of the tree for the whole run and of
each build dir while it builds and boots: a second run on the same tree or
build dir waits, and says for what.  The build dir is
<cache>/build/<version>-<arch> for the tools' own Debian trees and
<version>-<arch>-<hash of the tree's path> for any other tree, so two trees
of one version never share one.

--modules builds the suites and KUnit as modules in a build dir of its own
and loads them under QEMU from an initramfs, as on a real machine
(tools/modules.py); results/<kver>-<arch>-modules.*.

--filter GLOB passes kunit.py's filter_glob ('suite' or 'suite.case', * and ?
as in the kernel's kunit.filter_glob): only those cases run.  --incremental
rebuilds a kernel an earlier run configured with the kernel build alone
(make, then kunit.py exec): no kunit.py olddefconfig, whose Kconfig compiler
probes take ~5 s on every run.  It does so only when kunit.py's own tests say
the configuration is current (build_reconfig() would keep the .config, and
after the build validate_config() holds); otherwise it is kunit.py run as
without it.  Long steps show their progress (tools/progress.py).

Verdicts are tools/results.py's (the pinned kunit_parser, parameters folded,
known failures exact, every case of mm-tests/ the filter selects expected,
kernel splats on the console outside any case found).  Exit status: 0 every
expected case reported and passed, skipped or failed exactly as
configs/known-failures records (each such case is printed with its
reason), no splat outside a case, kunit.py exited 0; 1 any other failure, a
crash, a timeout, an expected case never reported, a kernel that booted
and printed no KTAP, a splat outside a case, kunit.py exiting non-zero
after the kernel ran (with --raw_output=all its status is not the tests'
verdict: 7.3.4's kunit.py exits 0 once it has configured, built and run the
kernel, whatever the tests say); 3 the kernel did not build (the log has no
kunit.py 'Starting KUnit Kernel' line and the builder failed); 2 bad input."""

import argparse
import contextlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from typing import Dict, List, Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import accel as zaccel  # noqa: E402
import cli  # noqa: E402
import install as zinstall  # noqa: E402
import journal  # noqa: E402
import lock  # noqa: E402
import modules as zmodules  # noqa: E402
import progress  # noqa: E402
import results  # noqa: E402
import uml as zuml  # noqa: E402
from common import (ARCHES, DEFAULT_KVER, QEMU_ARCHES, REPO, RUN_ARCH, ToolError,  # noqa: E402
		    cache_dir, check_build_path, in_cache, kernel_version, kver_series,
		    main_wrapper, tree_key)
from fetch import fetch  # noqa: E402

EXIT_FAILED, EXIT_BUILD = 1, 3
BUILD_TIMEOUT = 3600


# kunit.py's --kunitconfig files: the suites and what every arch needs for
# them (tools/install.py puts the file into mm/tests/ too), then what an arch
# adds: ZONE_DEVICE where the arch has memory hotplug (the top-level
# kunitconfig; not mainline UML, which runs the suites alone).
SUITES = os.path.join(REPO, 'mm-tests', '.kunitconfig')
HOTPLUG = os.path.join(REPO, 'kunitconfig')


def uml_series(tree: str, arch: str) -> List[str]:
	"""patches/uml's series for this tree under UML (tools/uml.py), else []."""
	return zuml.patches_for(kernel_version(tree)) if arch == 'um' else []


def kunitconfigs(tree: str, arch: str) -> List[str]:
	"""kunit.py's --kunitconfig files: the suites, then ZONE_DEVICE: the
	hotplug arches' fragment, or for UML with the arch/um series its own
	(none for mainline UML)."""
	if arch != 'um':
		return [SUITES, HOTPLUG]
	return [SUITES] + ([zuml.KUNITCONFIG] if uml_series(tree, arch) else [])


def kunit_cmd(tree: str, *args: str) -> List[str]:
	return [sys.executable, os.path.join(tree, 'tools/testing/kunit/kunit.py'), *args]


def kunit_env(accel: str, arch: str = 'x86_64') -> Dict[str, str]:
	"""kunit.py's environment.  QEMU stays off KVM (tools/qemu-tcg/ first in
	PATH) when accel, or for 'auto' the probe of tools/accel.py, says tcg."""
	# Our own make's variables (ARCH=, KVER=, jobserver) must not reach the
	# kernel build kunit.py runs.
	env = {k: v for k, v in os.environ.items()
	       if k not in ('MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'MAKEOVERRIDES', 'ARCH')}
	env['PYTHONDONTWRITEBYTECODE'] = '1'	# no __pycache__ in the kernel tree
	env['CCACHE_DIR'] = os.path.join(cache_dir(), 'ccache')
	# Not CCACHE_DEPEND: without the preprocessor ccache cannot see the
	# .incbin in arch/x86/boot/compressed/piggy.S and serves an old kernel
	# image whenever the new one compresses to the same size.
	env.pop('CCACHE_DEPEND', None)
	env['CCACHE_NODEPEND'] = '1'
	if arch not in QEMU_ARCHES or zaccel.decide(arch, accel)[0] == 'tcg':
		env['PATH'] = os.path.join(REPO, 'tools/qemu-tcg') + os.pathsep + env['PATH']
	return env


def extract_ktap(log: str, ktap: str, modules: bool = False) -> List[str]:
	"""KTAP lines of the console log, as kunit.py isolates them (the pinned
	parser's extract_tap_lines()); of a modular run, its modules' documents
	as one (tools/modules.py).  Returns the lines the modular run's init
	logged (none for a built-in run)."""
	with open(log, encoding='utf-8', errors='backslashreplace') as f:
		text = f.readlines()
	lines = results.extract_ktap(text)
	init = []
	if modules:
		init = [m.group(1) for m in map(zmodules.INIT_LINE.search, text) if m]
		lines = zmodules.merge_documents(lines)[0] if lines else []
	with open(ktap, 'w', encoding='utf-8') as f:
		f.writelines(l + '\n' for l in lines)
	return init


def booted_stale_kernel(log: str, build_dir: str) -> Optional[str]:
	"""A message if the kernel that booted is not the build just made (its
	banner's build number differs from the build dir's .version)."""
	try:
		with open(os.path.join(build_dir, '.version'), encoding='utf-8') as f:
			built = f.read().strip()
		with open(log, encoding='utf-8', errors='replace') as f:
			m = re.search(r'^Linux version \S+ .*? #(\d+) ', f.read(), re.M)
	except OSError:
		return None
	if m and m.group(1) != built:
		return f'booted kernel #{m.group(1)} is not the one just built (#{built}): stale image'
	return None


def git_head(tree: str) -> Optional[str]:
	"""The commit a git kernel tree is at (a --kdir checkout), else None."""
	if not os.path.exists(os.path.join(tree, '.git')):
		return None
	p = subprocess.run(['git', '-C', tree, 'rev-parse', 'HEAD'], capture_output=True,
			   text=True, check=False)
	return p.stdout.strip() if p.returncode == 0 else None


def build_dir_of(tree: str, arch: str, modules: bool = False) -> str:
	"""The kunit.py --build_dir of a tree and arch (and of its modular
	build), under the cache: <version>-<arch>[-modules] for a tree of
	tools/fetch.py's, with '-<hash of the tree's path>' for any other (a
	--kdir tree, a private copy of tools/workspace.py's)."""
	name = f'{kernel_version(tree)}-{arch}' + (zmodules.SUFFIX if modules else '')
	if not in_cache(tree, 'src'):
		name += '-' + tree_key(tree)
	return os.path.join(cache_dir(), 'build', name)


def cross_compile(arch: str) -> str:
	"""The compiler prefix of a cross-built arch ('' for the host's)."""
	return QEMU_ARCHES[arch].cross_compile if arch in QEMU_ARCHES else ''


def make_options(arch: str) -> List[str]:
	"""What kunit.py's make (and run.py's own, --incremental) gets besides
	ARCH, O, CROSS_COMPILE and --jobs."""
	return [f'CC=ccache {cross_compile(arch)}gcc'] if shutil.which('ccache') else []


def kunit_args(tree: str, arch: str, timeout: int, kernel_args: List[str],
	       modules: bool = False) -> List[str]:
	"""The options kunit.py run, build and exec share: which kernel (build
	dir, arch, kunitconfig and a modular build's --kconfig_add, QEMU config)
	and how it boots (timeout, kernel command line)."""
	args = ['--arch', arch, '--build_dir', build_dir_of(tree, arch, modules),
		'--timeout', str(timeout)]
	for path in kunitconfigs(tree, arch):
		args += ['--kunitconfig', path]
	for entry in zmodules.kconfig_add(SUITES) if modules else []:
		args += ['--kconfig_add', entry]
	if arch in QEMU_ARCHES:
		args += ['--qemu_config', QEMU_ARCHES[arch].qemu_config]
	if cross_compile(arch):
		args += ['--cross_compile', cross_compile(arch)]
	for o in make_options(arch):
		args += ['--make_options', o]
	for a in (list(zuml.KERNEL_ARGS) if uml_series(tree, arch) else []) + kernel_args:
		args += ['--kernel_args', a]
	return args


def build_args(args: List[str]) -> List[str]:
	"""kunit_args() without what only boots take (kunit.py build refuses them)."""
	out, i = [], 0
	while i < len(args):
		if args[i] in ('--timeout', '--kernel_args'):
			i += 2
			continue
		out.append(args[i])
		i += 1
	return out


def kunit_tree(tree: str, arch: str, modules: bool = False) -> Optional[object]:
	"""kunit.py's LinuxSourceTree for this tree, build dir and configs (its
	own module, from the tree), or None if this kunit.py has no such API."""
	d = os.path.join(tree, 'tools/testing/kunit')
	sys.path.insert(0, d)
	dont, sys.dont_write_bytecode = sys.dont_write_bytecode, True
	sigint = signal.getsignal(signal.SIGINT)
	try:
		import kunit_kernel  # pylint: disable=import-outside-toplevel
		return kunit_kernel.LinuxSourceTree(
			build_dir_of(tree, arch, modules), kunitconfig_paths=kunitconfigs(tree, arch),
			arch=arch,
			kconfig_add=zmodules.kconfig_add(SUITES) if modules else None,
			qemu_config_path=QEMU_ARCHES[arch].qemu_config if arch in QEMU_ARCHES else None,
			cross_compile=cross_compile(arch) or None)
	except (ImportError, TypeError, AttributeError):
		return None
	finally:
		signal.signal(signal.SIGINT, sigint)	# LinuxSourceTree installs its own
		sys.dont_write_bytecode = dont
		sys.path.remove(d)


@contextlib.contextmanager
def in_tree(tree: str):
	"""kunit.py runs from the tree's root, and some of its arch operations
	read files relative to it (UML's tools/testing/kunit/configs/arch_uml.config)."""
	cwd = os.getcwd()
	os.chdir(tree)
	try:
		yield
	finally:
		os.chdir(cwd)


def config_current(tree: str, arch: str, modules: bool = False) -> bool:
	"""True if kunit.py would keep the build dir's .config as it is: the same
	test as its build_reconfig() (every option kunit.py asks for is in the
	.config, and the kunitconfig it was made from is the same)."""
	build_dir = build_dir_of(tree, arch, modules)
	kt = kunit_tree(tree, arch, modules)
	if kt is None or not os.path.isfile(os.path.join(build_dir, '.config')):
		return False
	try:
		import kunit_config  # pylint: disable=import-outside-toplevel
		with in_tree(tree):
			want = kt._ops.make_arch_config(kt._kconfig)  # pylint: disable=protected-access
		have = kunit_config.parse_file(os.path.join(build_dir, '.config'))
		kt._kconfig = want  # pylint: disable=protected-access
		return want.is_subset_of(have) and not kt._kunitconfig_changed(build_dir)  # pylint: disable=protected-access
	except (AttributeError, OSError):
		return False


def config_valid(tree: str, arch: str, modules: bool = False) -> bool:
	"""kunit.py's validate_config() after a build: every option it asks
	for made it into the .config."""
	kt = kunit_tree(tree, arch, modules)
	if kt is None:
		return False
	try:
		with in_tree(tree):
			kt._kconfig = kt._ops.make_arch_config(kt._kconfig)  # pylint: disable=protected-access
		return kt.validate_config(build_dir_of(tree, arch, modules))
	except AttributeError:
		return False


class Status:
	"""What a run is doing, read from its log (kunit.py's '[hh:mm:ss]
	Building ...' lines and the kernel's KTAP) and its build dir: the
	status callback of progress.Watch."""

	def __init__(self, log: str, build_dir: str):
		self.log, self.build_dir = log, build_dir
		self.since = time.time()
		self.offset, self.phase, self.cases = 0, 'starting kunit.py', 0

	def __call__(self) -> str:
		with open(self.log, encoding='utf-8', errors='replace') as f:
			f.seek(self.offset)
			text = f.read()
			self.offset = f.tell()
		for line in text.splitlines():
			if 'Configuring KUnit Kernel' in line:
				self.phase = 'configuring'
			elif 'Building KUnit Kernel' in line:
				self.phase = 'building'
			elif 'Starting KUnit Kernel' in line:
				self.phase = 'booting'
			elif re.match(r'^ {4}(not )?ok \d+ ', line):
				self.phase = 'running'
				self.cases += 1
		if self.phase == 'building':
			return f'building, {progress.objects_since(self.build_dir, self.since)} objects built'
		if self.phase == 'running':
			return f'running, {self.cases} cases done'
		return self.phase


def report(name: str, run: results.Run) -> int:
	"""Prints the known failures (with their reasons), every failing or
	crashed case (with its first failure), every expected case never
	reported and every splat outside a case; 0 if the run is ok."""
	for c in run.with_status(results.Status.KNOWN):
		print(f'== {name}: known failure {c.name} ({c.known.where}): {c.known.reason}')
	for splat, k in run.known_outside:
		print(f'== {name}: known splat outside any case ({k.where}): {splat}: {k.reason}')
	for c in run.with_status(results.Status.FAIL, results.Status.CRASH):
		why = c.first_failure() or (c.log[-1].strip() if c.log else 'no output')
		print(f'== {name}: {c.status} {c.name}: {why}')
	for m in run.missing:
		print(f'== {name}: CRASH {m}')
	for m in run.missing_cases:
		print(f'== {name}: never reported: {m}')
	if run.errors:
		print(f'== {name}: {run.errors} KTAP parse error(s)')
	for splat in run.outside_splats:
		print(f'== {name}: splat outside any case: {splat}')
	return 0 if run.ok else EXIT_FAILED


STARTED = re.compile(r'Starting KUnit Kernel')


def build_failed(log_text: str, returncode: int) -> bool:
	"""The kernel did not build: the builder (kunit.py, or make for
	--incremental) failed before kunit.py said 'Starting KUnit Kernel'.
	A kernel that started and printed no KTAP crashed; it built."""
	return returncode != 0 and not STARTED.search(log_text)


def kunit_exit_problem(returncode: int) -> Optional[str]:
	"""kunit.py's exit status after the kernel ran, as a failure, or None.
	run.py passes --raw_output=all, with which kunit.py's status is not the
	tests' verdict (7.3.4: 0 once it configured, built and ran the kernel,
	whatever the tests said), so no failing case, KNOWN or not, explains a
	non-zero one: it is kunit.py itself failing."""
	if returncode == 0:
		return None
	return (f'kunit.py exited {returncode} after the kernel ran (with --raw_output=all '
		'no test verdict makes it fail): see its output in the log')


def incremental_build(tree: str, arch: str, jobs: int, out, modules: bool = False) -> Optional[int]:
	"""make in the build dir (kunit.py's build without its olddefconfig),
	its output into out: None if the kernel built and kunit.py's
	validate_config() holds, else make's exit status (or 1)."""
	out.write(f'[{time.strftime("%H:%M:%S")}] Building KUnit Kernel ... (make alone: '
		  'the .config is current, no kunit.py olddefconfig)\n')
	out.flush()
	cross = [f'CROSS_COMPILE={cross_compile(arch)}'] if cross_compile(arch) else []
	p = subprocess.run(['make', f'ARCH={arch}', f'O={build_dir_of(tree, arch, modules)}',
			    f'--jobs={jobs}'] + cross + make_options(arch), cwd=tree, stdout=out,
			   stderr=subprocess.STDOUT, env=kunit_env('tcg'), timeout=BUILD_TIMEOUT,
			   check=False, pass_fds=lock.held_fds())
	if p.returncode:
		return p.returncode
	return None if config_valid(tree, arch, modules) else 1


def run_arch(tree: str, arch: str, results_dir: str, accel: str, timeout: int, jobs: int,
	     kernel_args: List[str], filter_glob: Optional[str] = None,
	     incremental: bool = False, modules: bool = False) -> int:
	"""One arch's run; under UML with patches/uml's arch/um series in the
	tree for it (tools/uml.py), which it says, and takes out again after."""
	if modules and arch not in QEMU_ARCHES:
		raise ToolError(f'--modules needs a QEMU arch ({", ".join(QEMU_ARCHES)}), not {arch}')
	patches = uml_series(tree, arch)
	if arch == 'um' and not patches:
		print(f'== {kernel_version(tree)}-um: {zuml.why_none(kernel_version(tree))}', flush=True)
	if not patches:
		return _run_arch(tree, arch, results_dir, accel, timeout, jobs, kernel_args,
				 filter_glob, incremental, modules)
	applied = zuml.Applied(tree, patches, keep=zuml.cached_tree(tree))
	print(f'== {kernel_version(tree)}-um: {applied.open()}', flush=True)
	try:
		return _run_arch(tree, arch, results_dir, accel, timeout, jobs, kernel_args,
				 filter_glob, incremental, modules)
	finally:
		applied.close()


def _run_arch(tree: str, arch: str, results_dir: str, accel: str, timeout: int, jobs: int,
	      kernel_args: List[str], filter_glob: Optional[str] = None,
	      incremental: bool = False, modules: bool = False) -> int:
	version = kernel_version(tree)
	name = f'{version}-{arch}' + (zmodules.SUFFIX if modules else '')
	build_dir = build_dir_of(tree, arch, modules)
	os.makedirs(os.path.dirname(build_dir), exist_ok=True)	# kunit.py makes only the last level
	results_dir = os.path.abspath(results_dir)
	os.makedirs(results_dir, exist_ok=True)
	log, ktap = (os.path.join(results_dir, f'{name}.{ext}') for ext in ('log', 'ktap'))
	qa = QEMU_ARCHES.get(arch)
	if modules and not qa:
		raise ToolError(f'--modules needs a QEMU arch ({", ".join(QEMU_ARCHES)}), not {arch}')
	for prog in [qa.qemu, qa.cross_compile + 'gcc'] if qa else []:
		if not shutil.which(prog):
			raise ToolError(f'{prog} not found: run "make deps ARCH={arch}" (tools/deps.sh)')
	known = results.known_failures(kver_series(version), arch=arch)

	glob_args = [filter_glob] if filter_glob else []
	args = kunit_args(tree, arch, timeout, kernel_args, modules)
	incremental = incremental and config_current(tree, arch, modules)
	if modules:
		# kunit.py build; the initramfs; kunit.py exec with it.
		cmd = kunit_cmd(tree, 'build', *build_args(args), '--jobs', str(jobs))
		how = ('make' if incremental else 'kunit.py build') + \
		      ' + initramfs of the modules + kunit.py exec'
	elif incremental:
		cmd = kunit_cmd(tree, 'exec', *args, '--raw_output=all', *glob_args)
		how = 'make + kunit.py exec'
	else:
		cmd = kunit_cmd(tree, 'run', *args, '--jobs', str(jobs), '--raw_output=all', *glob_args)
		how = 'kunit.py run'
	print(f'== {name}: {how}{" " + filter_glob if filter_glob else ""} '
	      f'(build dir {build_dir}, log {log})', flush=True)
	if qa and accel == 'auto':
		print(f'== {name}: {zaccel.line(*zaccel.decide(arch, accel))}', flush=True)
	with lock.Lock(build_dir, f'the build dir {build_dir}', 'run', out=sys.stdout) as held:
		start = time.monotonic()
		if held.waited:	# another run built here meanwhile: what is current now?
			incremental = incremental and config_current(tree, arch, modules)
		with open(log, 'w', encoding='utf-8') as out, \
		     progress.Watch(f'== {name}', Status(log, build_dir)):
			built = incremental_build(tree, arch, jobs, out, modules) if incremental else None
			# kunit.py gets the locks' fds: killed with SIGKILL, this run
			# leaves them held until kunit.py (and its make) end.
			if built is None and not (modules and incremental):
				p = subprocess.run(cmd, cwd=tree, stdout=out, stderr=subprocess.STDOUT,
						   env=kunit_env(accel, arch), timeout=BUILD_TIMEOUT + timeout,
						   check=False, pass_fds=lock.held_fds())
			else:
				p = subprocess.CompletedProcess(cmd, built or 0)
			if modules and p.returncode == 0:
				initrd = zmodules.make_initramfs(tree, build_dir, cross_compile(arch), arch,
								 SUITES, out)
				cmd = kunit_cmd(tree, 'exec', *args, '--qemu_args',
						f'-initrd {shlex.quote(initrd)}', '--raw_output=all',
						*glob_args)
				p = subprocess.run(cmd, cwd=tree, stdout=out, stderr=subprocess.STDOUT,
						   env=kunit_env(accel, arch), timeout=timeout + 60, check=False,
						   pass_fds=lock.held_fds())
	took = time.monotonic() - start
	return judge_run(name, log, ktap, results_dir, p.returncode, took, known,
			 results.expected_cases(filter_glob), build_dir, version, arch,
			 'make' if incremental else 'kunit.py', git_head(tree), modules,
			 zinstall.suites_hash(os.path.join(tree, 'mm/tests')))


def judge_run(name: str, log: str, ktap: str, results_dir: str, returncode: int, took: float,
	      known: Dict[str, results.Known], expected: List[str], build_dir: str, version: str,
	      arch: str, builder: str = 'kunit.py', commit: Optional[str] = None,
	      modules: bool = False, suites: Optional[str] = None) -> int:
	"""The verdict of a finished run from its console log (nothing run):
	the KTAP, JSON, JUnit and verdicts files written, the report printed;
	run.py's exit status."""
	init = extract_ktap(log, ktap, modules)
	if os.path.getsize(ktap) == 0:
		with open(log, encoding='utf-8', errors='replace') as f:
			text = f.read()
		sys.stdout.write(''.join(text.splitlines(keepends=True)[-25:]))
		if build_failed(text, returncode):
			print(f'== {name}: BUILD FAILED after {took:.0f} s ({builder} exit {returncode}; '
			      f'full log {log})', flush=True)
			return EXIT_BUILD
		print(f'== {name}: CRASH: booted, no KTAP (the kernel started and printed no result; '
		      f'{builder} exit {returncode}; full log {log})', flush=True)
		return EXIT_FAILED

	stale = booted_stale_kernel(log, build_dir)
	if stale:
		print(f'== {name}: {stale}', flush=True)
		return EXIT_FAILED

	# kunit.py's JSON and JUnit, and our verdicts: all from the pinned parser.
	results.write_json(ktap, os.path.join(results_dir, f'{name}.json'), arch, build_dir)
	results.write_junit(ktap, os.path.join(results_dir, f'{name}.xml'))
	run = results.load(ktap, known, expected, log)
	with open(os.path.join(results_dir, f'{name}.verdicts.json'), 'w', encoding='utf-8') as f:
		json.dump(results.verdicts_document(run, version, arch, os.path.join(build_dir, '.config'),
						    commit, suites), f, indent=1)
		f.write('\n')
	print(f'== {name}: {run.count_line()} in {took:.0f} s (build + boot + tests)', flush=True)
	status = report(name, run)
	if modules:
		kos = zmodules.load_order(SUITES)
		loaded = sum(1 for l in init if l.startswith('loading '))
		read = len([l for l in init if re.match(r'debugfs results of \w+: [1-9]', l)])
		print(f'== {name}: init loaded {loaded} of {len(kos)} modules, read {read} '
		      'suites\' debugfs results', flush=True)
		# Every suite it was to run, not only those that printed KTAP.
		suites = sorted({n.split('.')[0] for n in expected})
		for problem in zmodules.check_init(init, len(kos), suites):
			print(f'== {name}: modules: {problem}')
			status = EXIT_FAILED
	problem = kunit_exit_problem(returncode)
	if problem:
		print(f'== {name}: {problem}')
		status = EXIT_FAILED
	return status


def main() -> int:
	ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	cli.add_options(ap, source={'help': True},
			arch={'action': 'append', 'help': f'x86_64, arm64 (QEMU) and/or um; default {RUN_ARCH}'},
			accel={'default': os.environ.get('ACCEL') or 'auto',
			       'help': 'QEMU accelerator: auto (default: KVM if a bounded probe boots '
			       'under it, else TCG; tools/accel.py), kvm (kunit.py\'s own kvm, hvf, '
			       'tcg order) or tcg'},
			results={},
			timeout={'help': 'seconds for boot and tests, per arch (kunit.py --timeout)'})
	ap.add_argument('--jobs', type=int, default=os.cpu_count() or 2)
	ap.add_argument('--kernel_args', action='append', default=[])
	ap.add_argument('--keep', action='store_true',
			help='leave the suites installed in --kdir afterwards')
	ap.add_argument('--as-is', action='store_true',
			help='run the suites the --kdir tree already has (e.g. from make series), '
			'installing nothing')
	ap.add_argument('--filter', metavar='GLOB',
			help="only these cases: kunit.py's filter_glob, e.g. 'zone_device_fault*' "
			"or 'zone_device_gup.pin_*'")
	ap.add_argument('--modules', action='store_true',
			help='build the suites (and KUnit) as modules and load them under QEMU '
			'from an initramfs, as on a real machine (tools/modules.py); QEMU arches only')
	ap.add_argument('--incremental', action='store_true',
			help='rebuild with make alone when kunit.py would keep the .config '
			'(no kunit.py olddefconfig); else kunit.py run')
	args = ap.parse_args()

	if args.kdir:
		tree = os.path.abspath(args.kdir)
		kernel_version(tree)
		keep = args.keep
	else:
		tree = fetch(args.kver or DEFAULT_KVER)
		keep = True		# our own cached tree: stay installed for speed
	if args.as_is:
		if not args.kdir or not os.path.isfile(os.path.join(tree, 'mm/tests/zone_device_fixture.h')):
			raise ToolError('--as-is needs --kdir with the suites in mm/tests/ (make series, git am)')
		keep = True
	check_build_path(tree, 'the kernel tree')
	check_build_path(cache_dir(), 'the cache')
	signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
	with lock.Lock(tree, f'the kernel tree {tree}', 'run', out=sys.stdout):
		# What a run that died left in this tree goes first: the suites it
		# installed are not the user's.
		journal.recover('run', tree, out=sys.stdout)
		was_installed = args.as_is or zinstall.status(tree) is not None
		entry = None if keep or was_installed else \
			journal.Entry('install', tree, 'the suites installed for one run')
		try:
			if not args.as_is:
				zinstall.install(tree, entry)
			status = 0
			# One kernel unless told (a modular run needs QEMU: x86_64 too).
			for arch in args.arch or [RUN_ARCH]:
				status = max(status, run_arch(tree, arch, args.results, args.accel,
							      args.timeout, args.jobs, args.kernel_args,
							      args.filter, args.incremental, args.modules))
		finally:
			if entry is not None and entry.is_open:
				zinstall.uninstall(tree)
				entry.close()
	if not args.arch:
		print(others_line(args.modules), flush=True)
	return status


def others_line(modules: bool = False) -> str:
	"""The last line of a run without --arch: how to run the other arches."""
	others = sorted((a for a in ARCHES if a != RUN_ARCH and (a in QEMU_ARCHES or not modules)),
			key=lambda a: a != 'um')
	extra = ' MODULES=1' if modules else ''
	return (f'== {RUN_ARCH} only; the other arches: '
		+ ', '.join(f'make run ARCH={a}{extra}' for a in others) + '; all of them: make test')


if __name__ == '__main__':
	main_wrapper('run', main)
