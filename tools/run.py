#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""run: build and run the suites with kunit.py, one arch at a time.

Thin over kunit.py: it builds (out of tree, --build_dir under the cache),
boots (UML, or QEMU with configs/x86_64.py) and bounds the run (--timeout);
kunit.py parse turns the console log into results, JSON and JUnit.  This
tool only chooses the options, installs the suites in the tree (and takes
them out again from a tree it found without them), and files the outputs:
results/<kver>-<arch>.{log,ktap,json,xml}.

Verdicts are tools/results.py's (kunit_parser's tree, parameters folded,
known failures exact).  Exit status: 0 every case passed, skipped or failed
exactly as configs/known-failures records (each such case is printed with
its reason); 1 any other failure, a crash or a timeout; 3 the kernel did not
build; 2 bad input."""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from typing import Dict, List, Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli  # noqa: E402
import install as zinstall  # noqa: E402
import results  # noqa: E402
from common import (ARCHES, DEFAULT_KVER, REPO, ToolError, cache_dir,  # noqa: E402
		    kernel_version, kver_series, main_wrapper)
from fetch import fetch  # noqa: E402

EXIT_FAILED, EXIT_BUILD = 1, 3
BUILD_TIMEOUT = 3600


def kunitconfig(arch: str) -> str:
	return os.path.join(REPO, 'kunitconfig' if arch != 'um' else 'configs/um.kunitconfig')


def kunit_cmd(tree: str, *args: str) -> List[str]:
	return [sys.executable, os.path.join(tree, 'tools/testing/kunit/kunit.py'), *args]


def kunit_env(accel: str) -> Dict[str, str]:
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
	if accel == 'tcg':
		env['PATH'] = os.path.join(REPO, 'tools/qemu-tcg') + os.pathsep + env['PATH']
	return env


def parse_supports_junit(tree: str) -> bool:
	out = subprocess.run(kunit_cmd(tree, 'parse', '--help'), capture_output=True, text=True,
			     env=kunit_env('kvm'), check=False).stdout
	return '--junit' in out


def extract_ktap(tree: str, log: str, ktap: str) -> None:
	"""KTAP lines of the console log, as kunit.py itself isolates them."""
	kp = results.kunit_parser(tree)
	with open(log, encoding='utf-8', errors='backslashreplace') as f:
		lines = kp.extract_tap_lines(f.readlines())
	with open(ktap, 'w', encoding='utf-8') as f:
		while lines:
			f.write(lines.pop() + '\n')


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


def build_dir_of(tree: str, arch: str) -> str:
	"""The kunit.py --build_dir of a tree and arch, under the cache."""
	return os.path.join(cache_dir(), 'build', f'{kernel_version(tree)}-{arch}')


def kunit_args(tree: str, arch: str, timeout: int, kernel_args: List[str]) -> List[str]:
	"""The options kunit.py run and kunit.py exec share: which kernel (build
	dir, arch, kunitconfig, QEMU config) and how it boots (timeout, kernel
	command line)."""
	args = ['--arch', arch, '--build_dir', build_dir_of(tree, arch),
		'--kunitconfig', kunitconfig(arch), '--timeout', str(timeout)]
	if arch == 'x86_64':
		args += ['--qemu_config', os.path.join(REPO, 'configs/x86_64.py')]
	if shutil.which('ccache'):
		args += ['--make_options', 'CC=ccache gcc']
	for a in kernel_args:
		args += ['--kernel_args', a]
	return args


def report(name: str, run: results.Run) -> int:
	"""Prints the known failures (with their reasons) and every failing or
	crashed case (with its first failure); 0 if the run is ok."""
	for c in run.with_status(results.Status.KNOWN):
		print(f'== {name}: known failure {c.name} ({c.known.where}): {c.known.reason}')
	for c in run.with_status(results.Status.FAIL, results.Status.CRASH):
		why = c.first_failure() or (c.log[-1].strip() if c.log else 'no output')
		print(f'== {name}: {c.status} {c.name}: {why}')
	for m in run.missing:
		print(f'== {name}: CRASH {m}')
	if run.errors:
		print(f'== {name}: {run.errors} KTAP parse error(s) (see kunit.py\'s output above)')
	return 0 if run.ok else EXIT_FAILED


def run_arch(tree: str, arch: str, results_dir: str, accel: str, timeout: int, jobs: int,
	     kernel_args: List[str]) -> int:
	version = kernel_version(tree)
	name = f'{version}-{arch}'
	build_dir = build_dir_of(tree, arch)
	os.makedirs(os.path.dirname(build_dir), exist_ok=True)	# kunit.py makes only the last level
	results_dir = os.path.abspath(results_dir)
	os.makedirs(results_dir, exist_ok=True)
	log, ktap = (os.path.join(results_dir, f'{name}.{ext}') for ext in ('log', 'ktap'))
	if arch != 'um' and not shutil.which('qemu-system-x86_64'):
		raise ToolError('qemu-system-x86_64 not found: run "make deps" (Debian package qemu-system-x86)')
	known = results.known_failures(kver_series(version))

	cmd = kunit_cmd(tree, 'run', *kunit_args(tree, arch, timeout, kernel_args),
			'--jobs', str(jobs), '--raw_output=all')
	print(f'== {name}: kunit.py run (build dir {build_dir}, log {log})', flush=True)
	start = time.monotonic()
	with open(log, 'w', encoding='utf-8') as out:
		p = subprocess.run(cmd, cwd=tree, stdout=out, stderr=subprocess.STDOUT,
				   env=kunit_env(accel), timeout=BUILD_TIMEOUT + timeout, check=False)
	took = time.monotonic() - start
	extract_ktap(tree, log, ktap)
	if p.returncode and os.path.getsize(ktap) == 0:
		with open(log, encoding='utf-8', errors='replace') as f:
			tail = f.readlines()[-25:]
		sys.stdout.write(''.join(tail))
		print(f'== {name}: BUILD FAILED after {took:.0f} s (kunit.py exit {p.returncode}; '
		      f'full log {log})', flush=True)
		return EXIT_BUILD

	stale = booted_stale_kernel(log, build_dir)
	if stale:
		print(f'== {name}: {stale}', flush=True)
		return EXIT_FAILED

	# kunit.py's own report, JSON and JUnit; the verdicts are ours (results).
	pcmd = kunit_cmd(tree, 'parse', ktap, '--json=' + os.path.join(results_dir, f'{name}.json'))
	if parse_supports_junit(tree):
		pcmd += ['--junit=' + os.path.join(results_dir, f'{name}.xml')]
	subprocess.run(pcmd, env=kunit_env(accel), check=False)
	run = results.load(ktap, known, tree)
	print(f'== {name}: {run.count_line()} in {took:.0f} s (build + boot + tests)', flush=True)
	status = report(name, run)
	# kunit.py failing with no failure of ours to explain it (no known
	# failure either) is a failure too.
	if status == 0 and p.returncode and not run.with_status(results.Status.KNOWN):
		print(f'== {name}: kunit.py run exited {p.returncode}')
		status = EXIT_FAILED
	return status


def main() -> int:
	ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	cli.add_options(ap, source={'help': True},
			arch={'action': 'append', 'help': 'x86_64 (QEMU) and/or um; default both'},
			accel={'default': os.environ.get('ACCEL') or 'tcg',
			       'help': 'QEMU accelerator: tcg (default: a KVM guest hangs on these '
			       'machines) or kvm (kunit.py\'s own kvm, hvf, tcg order)'},
			results={},
			timeout={'help': 'seconds for boot and tests, per arch (kunit.py --timeout)'})
	ap.add_argument('--jobs', type=int, default=os.cpu_count() or 2)
	ap.add_argument('--kernel_args', action='append', default=[])
	ap.add_argument('--keep', action='store_true',
			help='leave the suites installed in --kdir afterwards')
	args = ap.parse_args()

	if args.kdir:
		tree = os.path.abspath(args.kdir)
		kernel_version(tree)
		keep = args.keep
	else:
		tree = fetch(args.kver or DEFAULT_KVER)
		keep = True		# our own cached tree: stay installed for speed
	was_installed = zinstall.status(tree) is not None

	def restore(*_):
		if not keep and not was_installed:
			zinstall.uninstall(tree)
	signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
	try:
		zinstall.install(tree)
		status = 0
		for arch in args.arch or ARCHES:
			status = max(status, run_arch(tree, arch, args.results, args.accel,
						      args.timeout, args.jobs, args.kernel_args))
	finally:
		restore()
	return status


if __name__ == '__main__':
	main_wrapper('run', main)
