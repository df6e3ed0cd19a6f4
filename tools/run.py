#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""run: build and run the suites with kunit.py, one arch at a time.

Thin over kunit.py: it builds (out of tree, --build_dir under the cache),
boots (UML, or QEMU with configs/x86_64.py) and bounds the run (--timeout);
kunit.py parse turns the console log into results, JSON and JUnit.  This
tool only chooses the options, installs the suites in the tree (and takes
them out again from a tree it found without them), and files the outputs:
results/<kver>-<arch>.{log,ktap,json,xml}.

Exit status: 0 all cases passed or skipped, 1 a case failed or crashed or
the run timed out, 3 the kernel did not build, 2 bad input."""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from typing import Dict, Iterator, List, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import install as zinstall  # noqa: E402
from common import (DEFAULT_KVER, REPO, ToolError, cache_dir,  # noqa: E402
		    kernel_version, kver_series, main_wrapper)
from fetch import fetch  # noqa: E402

ARCHES = ('x86_64', 'um')
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
	sys.path.insert(0, os.path.join(tree, 'tools/testing/kunit'))
	sys.dont_write_bytecode = True
	import kunit_parser  # pylint: disable=import-outside-toplevel
	with open(log, encoding='utf-8', errors='backslashreplace') as f:
		lines = kunit_parser.extract_tap_lines(f.readlines())
	with open(ktap, 'w', encoding='utf-8') as f:
		while lines:
			f.write(lines.pop() + '\n')
	sys.path.pop(0)


def load_json(json_path: str) -> dict:
	"""kunit.py's JSON for a run; {} if the run left none."""
	try:
		with open(json_path, encoding='utf-8') as f:
			return json.load(f)
	except (OSError, ValueError):
		return {}


def leaf_cases(group: dict, path: Tuple[str, ...] = ()) -> Iterator[Tuple[Tuple[str, ...], str]]:
	"""(path of names below the top group, status) of every leaf case."""
	for case in group.get('test_cases', []):
		yield path + (case['name'],), case['status']
	for sub in group.get('sub_groups', []):
		yield from leaf_cases(sub, path + (sub['name'],))


def counts(json_path: str) -> Dict[str, int]:
	"""The case counts of kunit.py's JSON for the whole run: its own "misc"
	totals, or (older kunit.py, 6.12) the leaf cases' statuses added up."""
	c = {k: 0 for k in ('passed', 'failed', 'crashed', 'skipped', 'errors')}
	top = load_json(json_path)
	if 'misc' in top:
		return {k: int(top['misc'].get(k, 0)) for k in c}
	key = {'PASS': 'passed', 'FAIL': 'failed', 'SKIP': 'skipped', 'ERROR': 'crashed'}
	for _, status in leaf_cases(top):
		c[key.get(status, 'failed')] += 1
	return c


def verdicts(json_path: str) -> Dict[str, str]:
	"""{'suite.case': 'PASS'|'FAIL'|'SKIP'|'ERROR'} from kunit.py's JSON; a
	parameterised case takes its worst parameter's status."""
	out: Dict[str, str] = {}
	rank = {'PASS': 0, 'SKIP': 0, 'FAIL': 2, 'ERROR': 3}
	for path, status in leaf_cases(load_json(json_path)):
		if not all(path[:2]) or len(path) < 2:
			continue	# the parser's nameless entry for a crashed suite
		name = '.'.join(path[:2])
		if rank.get(status, 2) >= rank.get(out.get(name, 'PASS'), 0):
			out[name] = status
	return out


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


KNOWN_FAILURES = os.path.join(REPO, 'configs', 'known-failures')


def known_failures(series: str) -> Dict[str, str]:
	"""{'suite.case': reason} recorded for this kernel series (configs/known-failures)."""
	out = {}
	with open(KNOWN_FAILURES, encoding='utf-8') as f:
		for line in f:
			line = line.split('#', 1)[0].strip()
			if line:
				kver, case, reason = line.split(None, 2)
				if kver == series:
					out[case] = reason
	return out


def run_arch(tree: str, arch: str, results: str, accel: str, timeout: int, jobs: int,
	     kernel_args: List[str]) -> int:
	version = kernel_version(tree)
	name = f'{version}-{arch}'
	build_dir = os.path.join(cache_dir(), 'build', name)
	os.makedirs(os.path.dirname(build_dir), exist_ok=True)	# kunit.py makes only the last level
	results = os.path.abspath(results)
	os.makedirs(results, exist_ok=True)
	log, ktap = (os.path.join(results, f'{name}.{ext}') for ext in ('log', 'ktap'))
	if arch != 'um' and not shutil.which('qemu-system-x86_64'):
		raise ToolError('qemu-system-x86_64 not found: run "make deps" (Debian package qemu-system-x86)')

	cmd = kunit_cmd(tree, 'run', '--arch', arch, '--build_dir', build_dir,
			'--kunitconfig', kunitconfig(arch), '--jobs', str(jobs),
			'--timeout', str(timeout), '--raw_output=all')
	if arch == 'x86_64':
		cmd += ['--qemu_config', os.path.join(REPO, 'configs/x86_64.py')]
	if shutil.which('ccache'):
		cmd += ['--make_options', 'CC=ccache gcc']
	for a in kernel_args:
		cmd += ['--kernel_args', a]

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

	pcmd = kunit_cmd(tree, 'parse', ktap, '--json=' + os.path.join(results, f'{name}.json'))
	if parse_supports_junit(tree):
		pcmd += ['--junit=' + os.path.join(results, f'{name}.xml')]
	parsed = subprocess.run(pcmd, env=kunit_env(accel), check=False)
	c = counts(os.path.join(results, f'{name}.json'))
	print(f'== {name}: {c["passed"]} passed, {c["failed"]} failed, {c["crashed"]} crashed, '
	      f'{c["skipped"]} skipped in {took:.0f} s (build + boot + tests)', flush=True)
	if parsed.returncode == 0 and p.returncode == 0:
		return 0
	# Failures this kernel is known to have do not fail the run; anything
	# else (another failing case, a crash, a timeout) does.
	known = known_failures(kver_series(version))
	failing = {k for k, s in verdicts(os.path.join(results, f'{name}.json')).items()
		   if s in ('FAIL', 'ERROR')}
	for case in sorted(failing & set(known)):
		print(f'== {name}: known failure {case}: {known[case]}')
	if failing and failing <= set(known) and not c['crashed'] and not c['errors']:
		return 0
	return EXIT_FAILED


def main() -> int:
	ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	src = ap.add_mutually_exclusive_group()
	src.add_argument('--kver', default=None, help=f'Debian kernel series (default {DEFAULT_KVER})')
	src.add_argument('--kdir', default=None, help='your own kernel tree instead')
	ap.add_argument('--arch', action='append', choices=ARCHES,
			help='x86_64 (QEMU) and/or um; default both')
	ap.add_argument('--accel', choices=('tcg', 'kvm'), default=os.environ.get('ACCEL') or 'tcg',
			help='QEMU accelerator: tcg (default: a KVM guest hangs on these machines) '
			'or kvm (kunit.py\'s own kvm, hvf, tcg order)')
	ap.add_argument('--results', default=os.path.join(REPO, 'results'))
	ap.add_argument('--timeout', type=int, default=120,
			help='seconds for boot and tests, per arch (kunit.py --timeout)')
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
