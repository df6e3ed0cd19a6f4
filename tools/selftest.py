#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""selftest: the project's own tests (make test).

1. the tools' unit tests (tools/test_*.py, python3 unittest);
2. scripts/checkpatch.pl --strict on mm-tests/;
3. the suites on the kernel (default Debian 7.3), QEMU x86_64, QEMU arm64 and UML, via
   tools/run.py (UML with patches/uml's arch/um series, where every case that
   passes on x86_64 must pass too or skip naming what UML lacks); then
   built as modules and loaded under QEMU x86_64 (run.py --modules), where
   every case that runs built in must run too or skip naming what being a
   module takes away;
4. tools/mutants.py: every patches/regressions/*.patch makes a case fail;
   under UML, the first patch of each suite (caught, or n/a for what UML lacks);
5. tools/gate.py on patches/fixes/, on x86_64 and arm64: the fixes regress
   nothing and make the known failures they fix pass (exit 0, a 'fixed' row);
6. tools/verdict_paths.py: each patches/verdict-paths/*.patch (a WARN in a
   suite's exit, between two cases or with the console loglevel at 1, a
   panic before the first case, a hang, a suite never run) gets from run.py,
   the gate and mutants the verdict its headers state;
7. the suites' objects rebuilt with W=1 and sparse (C=2): no warnings.

Ends with one line, 'N passed, N failed, N skipped', counting KUnit tests
(each parameter apart) as tools/results.py reads them with kunit_parser
(crashed ones count as failed; a case failing exactly as
configs/known-failures records for this kernel, KNOWN, is listed and counted
apart) plus one failure for every other step that failed (unit tests,
checkpatch, mutants, gate, W=1: their own output says what), and exits
non-zero if any step failed."""

import argparse
import glob
import json
import os
import re
import subprocess
import sys
import time
from typing import List, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli  # noqa: E402
import install as zinstall  # noqa: E402
import journal  # noqa: E402
import lock  # noqa: E402
import results  # noqa: E402
import run as zrun  # noqa: E402
import uml as zuml  # noqa: E402
from common import (ARCHES, DEFAULT_KVER, REPO, ToolError, cache_dir,  # noqa: E402
		    kernel_version, kver_series, main_wrapper)
import fetch as fetch_mod  # noqa: E402
from fetch import fetch  # noqa: E402

STEPS = ('unit', 'checkpatch', 'kunit', 'modules', 'mutants', 'gate', 'verdicts', 'w1')
# The arches patches/fixes is gated on: on each, every known failure whose
# reason names a fix must turn into a pass.
GATE_ARCHES = ('x86_64', 'arm64')


# (step, seconds since the previous step began) of this run: where the time
# of make test goes, printed at its end.
STEP_TIMES: List[Tuple[str, float]] = []


def step(name: str) -> None:
	now = time.monotonic()
	if STEP_TIMES:
		STEP_TIMES[-1] = (STEP_TIMES[-1][0], now - STEP_TIMES[-1][1])
	STEP_TIMES.append((name.split(':')[0], now))
	print(f'\n### {name}', flush=True)


def step_times() -> str:
	"""One line: each step and its seconds (the last step's up to now)."""
	now = time.monotonic()
	done = STEP_TIMES[:-1] + ([(STEP_TIMES[-1][0], now - STEP_TIMES[-1][1])]
				  if STEP_TIMES else [])
	return ', '.join(f'{name} {secs:.0f} s' for name, secs in done)


def unit_tests(tree: str) -> bool:
	step('tool unit tests')
	# The recorded runs under tools/test_data are read with this tree's
	# kunit_parser, as the real ones are.
	p = subprocess.run([sys.executable, '-m', 'unittest', 'discover', '-s',
			    os.path.join(REPO, 'tools'), '-p', 'test_*.py'],
			   env=dict(os.environ, PYTHONDONTWRITEBYTECODE='1', ZDT_KUNIT_TREE=tree),
			   check=False)
	return p.returncode == 0


def suite_sources() -> List[str]:
	return sorted(glob.glob(os.path.join(REPO, 'mm-tests', '*.[ch]')))


# The compat header is the one file that tests the kernel version (the suites
# build on several); that, and only that, checkpatch is told to accept there.
COMPAT = 'zone_device_compat.h'
COMPAT_IGNORE = 'LINUX_VERSION_CODE,CONSTANT_COMPARISON'


def checkpatch(tree: str) -> bool:
	step('checkpatch --strict, kernel-doc')
	cmd = ['perl', os.path.join(tree, 'scripts/checkpatch.pl'), '--strict', '--no-tree',
	       '--terse', '--show-types', '--no-summary', '-f']
	srcs = suite_sources()
	compat = [s for s in srcs if os.path.basename(s) == COMPAT]
	# The modular run's init is kernel C too (userspace, nolibc).
	init = [os.path.join(REPO, 'tools', 'zdt_init.c')]
	p1 = subprocess.run(cmd + [s for s in srcs if s not in compat] + init, check=False)
	p2 = subprocess.run(cmd + ['--ignore', COMPAT_IGNORE] + compat, check=False)
	ok = p1.returncode == 0 and p2.returncode == 0
	print(f'checkpatch --strict: {len(srcs) + len(init)} files, {"clean" if ok else "NOT clean"}')
	# The fixture's helpers are documented as drm_kunit_helpers.c's are.
	fixture = [s for s in srcs if 'fixture' in os.path.basename(s)]
	p3 = subprocess.run([os.path.join(tree, 'scripts/kernel-doc'), '-none', '-Wall'] + fixture,
			    capture_output=True, text=True, check=False)
	doc = p3.returncode == 0 and not (p3.stdout + p3.stderr).strip()
	sys.stdout.write(p3.stdout + p3.stderr)
	print(f'kernel-doc -Wall: {len(fixture)} files, {"clean" if doc else "NOT clean"}')
	# patches/uml as mail for linux-um: checkpatch on the patches, from the
	# tree's root.  FILE_PATH_CHANGES (new files, "does MAINTAINERS need
	# updating?") is ignored: the UML entry's "F: arch/um/" covers them.
	series = [p for p in sorted(glob.glob(os.path.join(zuml.DIR, '*.patch')) +
				    glob.glob(os.path.join(zuml.DIR, '*', '*.patch')))
		  if os.path.basename(p) != zuml.COVER]
	p4 = subprocess.run(['perl', os.path.join(tree, 'scripts/checkpatch.pl'), '--strict',
			     '--terse', '--show-types', '--no-summary', '--ignore',
			     'FILE_PATH_CHANGES'] + series, cwd=tree, check=False)
	uml_ok = p4.returncode == 0
	print(f'checkpatch --strict: patches/uml, {len(series)} patches, '
	      f'{"clean" if uml_ok else "NOT clean"}')
	return ok and doc and uml_ok


def sparse_for(tree: str) -> str:
	"""A sparse the tree accepts (scripts/checker-valid.sh).  Debian 12's 0.6.4
	is too old for 7.x headers; then sid's source package is built once
	under the cache (about 10 s)."""
	def valid(sparse: str) -> bool:
		p = subprocess.run(['sh', os.path.join(tree, 'scripts/checker-valid.sh'), sparse,
				    '-m64'], capture_output=True, text=True, check=False)
		return p.stdout.strip() == '1'
	if valid('sparse'):
		return 'sparse'
	root = os.path.join(cache_dir(), 'sparse')
	built = glob.glob(os.path.join(root, 'sparse-*', 'sparse'))
	if built and valid(built[0]):
		return built[0]
	os.makedirs(root, exist_ok=True)
	uri = fetch_mod.system_sources()[0][0]
	apt = fetch_mod.PrivateApt(os.path.join(cache_dir(), 'apt-src'), [(uri, ['sid'])], kind='deb-src')
	apt.update()
	apt.source('sparse', root)
	tarball = sorted(glob.glob(os.path.join(root, 'sparse_*.orig.tar.*')))[-1]
	subprocess.run(['tar', '-xf', tarball, '-C', root], check=True)
	src = sorted(d for d in glob.glob(os.path.join(root, 'sparse-*')) if os.path.isdir(d))[-1]
	subprocess.run(['make', '-s', '-j2', 'sparse'], cwd=src, capture_output=True, check=True)
	if not valid(os.path.join(src, 'sparse')):
		raise ToolError(f'sparse built from {tarball} is not accepted by {tree}')
	return os.path.join(src, 'sparse')


def w1_sparse(tree: str) -> bool:
	"""Our objects again, with W=1 and sparse, in the x86_64 build dir."""
	step('W=1 + sparse on mm/tests/zone_device_*')
	sparse = sparse_for(tree)
	build = zrun.build_dir_of(tree, 'x86_64')
	objs = [f'mm/tests/{os.path.basename(s)[:-2]}.o' for s in suite_sources()
		if s.endswith('.c')]
	# The sources as they are now, and compiled for sure: make would skip an
	# object already built with these flags, and print nothing.
	with lock.Lock(tree, f'the kernel tree {tree}', 'selftest'), \
	     lock.Lock(build, f'the build dir {build}', 'selftest'):
		journal.recover('selftest', tree)
		entry = None if zinstall.status(tree) is not None else \
			journal.Entry('install', tree, 'the suites installed for W=1 + sparse')
		zinstall.install(tree, entry)
		for o in objs:
			if os.path.exists(os.path.join(build, o)):
				os.remove(os.path.join(build, o))
		try:
			p = subprocess.run(['make', '-s', f'O={build}', 'ARCH=x86_64', 'W=1', 'C=2',
					    f'CHECK={sparse}', 'CC=ccache gcc'] + objs, cwd=tree,
					   capture_output=True, text=True, env=zrun.kunit_env('tcg'),
					   check=False)
		finally:
			if entry is not None and entry.is_open:
				zinstall.uninstall(tree)	# a --kdir tree is left as it was found
				entry.close()
	out = (p.stdout + p.stderr).strip()
	warnings = [line for line in out.splitlines() if 'warning:' in line or 'error:' in line]
	if out:
		print(out)
	print(f'{len(warnings)} warning(s) at W=1 + sparse')
	return p.returncode == 0 and not warnings


# What a suite loses as a module: the symbols only built-in code reaches
# (the compat header's and the fixture's "built in" skip reasons).
MODULAR_SKIP = re.compile(r'built in|=y\b|not exported|mm-internal')
# On the default kernel, exactly these cases skip as modules (and pass built
# in): each needs a symbol the kernel does not export (kernel_clone(),
# migrate_device_coherent_folio(), do_madvise(), do_mprotect_pkey(),
# ksys_mmap_pgoff(), change_prot_numa(), sysctl_numa_balancing_mode), which
# the upstream series exports for KUnit (patches/kunit-exports/, each entry's
# Needed-by: names its cases).  A modular skip not listed, or a listed case
# that runs as a module, fails the step: the list is kept true.
MODULAR_SKIPS = (
	'zone_device_coherent_folio.coherent_folio_migrates_with_its_data',
	'zone_device_coherent_folio.coherent_folio_with_extra_reference_is_left_as_it_was',
	'zone_device_exclusive.fork_restores_the_exclusive_entry_first',
	'zone_device_exclusive.make_device_exclusive_refuses_a_read_only_page',
	'zone_device_fault.fork_keeps_device_private_memory_copy_on_write',
	'zone_device_fault.forked_mappings_share_one_migration',
	'zone_device_fault.mprotect_read_only_makes_the_device_private_entry_read_only',
	'zone_device_fault_pmd.fork_keeps_device_private_pmd_copy_on_write',
	'zone_device_fault_pmd.mprotect_read_only_makes_the_device_private_pmd_read_only',
	'zone_device_hmm.guard_region_never_reported_valid_refused_on_request',
	'zone_device_hmm.hugetlb_page_reported_at_its_order_faulted_only_on_request',
	'zone_device_madvise.madvise_collapse_refuses_device_memory_for_good',
	'zone_device_madvise.madvise_leaves_device_coherent_page_as_it_was',
	'zone_device_madvise.madvise_leaves_device_coherent_pmd_as_it_was',
	'zone_device_madvise.numa_scan_never_makes_device_memory_prot_none',
	'zone_device_migrate_collect.shared_memory_is_offered_only_as_its_pages',
)


def modular_skips_unexplained(modular: 'results.Run', builtin: 'results.Run',
			      pinned: bool) -> tuple:
	"""(lost, wrong) of a modular run against the built-in one: the cases
	that pass built in and skip as modules, explained or not.  pinned (the
	default kernel): explained only if MODULAR_SKIPS lists it (and says why);
	a listed case that no longer skips is wrong too.  Otherwise: the skip
	reason must name what being a module takes away (MODULAR_SKIP)."""
	S = results.Status
	lost, wrong = [], []
	for n, case in modular.cases.items():
		was = builtin.cases.get(n)
		if case.status == S.SKIP and was is not None and was.status == S.PASS:
			why = MODULAR_SKIP.search(case.skip_reason or '')
			good = why and (n in MODULAR_SKIPS if pinned else True)
			(lost if good else wrong).append(f'{n}: {case.skip_reason}')
		elif pinned and n in MODULAR_SKIPS and case.status != S.SKIP:
			wrong.append(f'{n}: {case.status} as a module, listed in MODULAR_SKIPS')
	return lost, wrong


def uml_mutants() -> List[str]:
	"""The first regression patch of each suite its Caught-by: names: what
	make test runs under UML (the whole set takes ~25 min more)."""
	import mutants  # pylint: disable=import-outside-toplevel
	first: dict = {}
	for patch in sorted(glob.glob(os.path.join(mutants.PATCHES, '*.patch'))):
		cases = mutants.caught_by(patch)
		if cases:
			first.setdefault(cases[0].split('.')[0], patch)
	return sorted(first.values())


def uml_compare(tree: str) -> bool:
	"""With patches/uml's arch/um series (tools/uml.py), UML runs what x86_64
	runs: every case that passed on x86_64 passes under UML too, or skips
	naming what UML lacks (THP, the per-VMA lock), and none is missing."""
	version = kernel_version(tree)
	if not zuml.patches_for(version):
		print(f'uml: not compared with x86_64: {zuml.why_none(version)}')
		return True
	S = results.Status
	um = results.load_known(os.path.join(REPO, 'results', f'{version}-um.ktap'))
	x86 = results.load_known(os.path.join(REPO, 'results', f'{version}-x86_64.ktap'))
	lacks, wrong = [], []
	for n, case in x86.cases.items():
		mine = um.cases.get(n)
		if case.status != S.PASS or (mine is not None and mine.status == S.PASS):
			continue
		if mine is not None and mine.status == S.SKIP and zuml.lacked(mine):
			lacks.append(f'{n}: {mine.skip_reason}')
		else:
			wrong.append(f'{n}: {mine.status if mine else "missing"}'
				     f'{": " + (mine.skip_reason or "") if mine else ""}')
	for l in lacks:
		print(f'uml: skips, UML lacks it: {l}')
	for w in wrong:
		print(f'uml: passes on x86_64, not under UML, for no UML reason: {w}')
	passing = sum(1 for c in x86.cases.values() if c.status == S.PASS)
	print(f'uml: {len(um.cases)} cases; of the {passing} that pass on x86_64, '
	      f'{len(lacks)} skip for what UML lacks, {len(wrong)} unexplained')
	return bool(um.cases) and not wrong


def modular_run(tree: str, args, total) -> bool:
	"""The suites as modules under QEMU x86_64 (run.py --modules); every
	case that passed built in passes here or skips naming what being a
	module takes away.  Its counts join the final line."""
	step('KUnit as modules: built =m, loaded from an initramfs under QEMU x86_64')
	p = subprocess.run([sys.executable, os.path.join(REPO, 'tools/run.py'), '--accel', args.accel,
			    '--results', os.path.join(REPO, 'results'), '--modules',
			    '--kdir', tree] + ([] if args.kdir else ['--keep']), check=False)
	name = f'{kernel_version(tree)}-x86_64'
	S = results.Status
	modular = results.load_known(os.path.join(REPO, 'results', f'{name}-modules.ktap'))
	builtin = results.load_known(os.path.join(REPO, 'results', f'{name}.ktap'))
	c = modular.counts()
	total['passed'] += c[S.PASS]
	total['failed'] += c[S.FAIL] + c[S.CRASH] + modular.errors
	total['skipped'] += c[S.SKIP]
	total['known'] = total.get('known', 0) + c[S.KNOWN]
	lost, wrong = modular_skips_unexplained(
		modular, builtin, kver_series(kernel_version(tree)) == DEFAULT_KVER)
	for l in lost:
		print(f'modules: skips as a module: {l}')
	for w in wrong:
		print(f'modules: not as MODULAR_SKIPS (tools/selftest.py) says: {w}')
	missing = sorted(set(builtin.cases) - set(modular.cases)) if builtin.cases else []
	for m in missing:
		print(f'modules: runs built in, missing as a module: {m}')
	print(f'modules: run.py exit {p.returncode}; {len(modular.cases)} cases, '
	      f'{len(lost)} skip as modules only, {len(wrong) + len(missing)} unexplained')
	return p.returncode == 0 and not wrong and not missing


def main() -> int:
	ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	cli.add_options(ap, source={}, accel={})
	ap.add_argument('--only', action='append', choices=STEPS)
	ap.add_argument('--skip', action='append', choices=STEPS, default=[],
			help='leave a step out (CI that runs it elsewhere: make mutants SHARD=)')
	args = ap.parse_args()
	steps = [st for st in args.only or STEPS if st not in args.skip]
	for st in args.skip:
		print(f'selftest: step {st} left out (--skip)')
	start = time.monotonic()
	STEP_TIMES.append(('fetch', start))

	tree = os.path.abspath(args.kdir) if args.kdir else fetch(args.kver or DEFAULT_KVER)
	failed_steps: List[str] = []

	def passed(name: str, good: bool) -> bool:
		# A step that fails is one failure of the final line, whatever it
		# counted itself: a NOT clean checkpatch or a missed mutant must
		# not end as '0 failed'.
		if not good:
			failed_steps.append(name)
		return good

	ok = True
	if 'unit' in steps:
		ok &= passed('unit', unit_tests(tree))
	if 'checkpatch' in steps:
		ok &= passed('checkpatch', checkpatch(tree))
	total = {'passed': 0, 'failed': 0, 'skipped': 0}
	if 'kunit' in steps:
		runner = [sys.executable, os.path.join(REPO, 'tools/run.py'), '--accel', args.accel,
			  '--results', os.path.join(REPO, 'results')]
		runner += ['--kdir', tree] + ([] if args.kdir else ['--keep'])
		for arch in ARCHES:
			runner += ['--arch', arch]
		step(f'KUnit on {kernel_version(tree)}: {", ".join(ARCHES)}')
		p = subprocess.run(runner, check=False)
		ok &= p.returncode == 0
		S = results.Status
		for arch in ARCHES:
			run = results.load_known(os.path.join(
				REPO, 'results', f'{kernel_version(tree)}-{arch}.ktap'), tree)
			c = run.counts()
			# A recorded kernel bug failing exactly as recorded is neither
			# a pass nor a failure of this run: counted apart, and named.
			total['passed'] += c[S.PASS]
			total['failed'] += c[S.FAIL] + c[S.CRASH] + run.errors
			total['skipped'] += c[S.SKIP]
			total['known'] = total.get('known', 0) + c[S.KNOWN]
			for case in run.with_status(S.KNOWN):
				print(f'known failure ({arch}): {case.name}: {case.known.reason}')
		if p.returncode and not total['failed']:
			total['failed'] += 1	# a build or boot that produced no case at all
		if 'um' in ARCHES:
			ok &= passed('uml', uml_compare(tree))
	if 'modules' in steps:
		ok &= passed('modules', modular_run(tree, args, total))
	if 'kunit' in steps and not ok:
		step('mutants, gate, verdict paths and W=1: not run, the steps above failed')
		steps = [s for s in steps if s not in ('mutants', 'gate', 'verdicts', 'w1')]
	if kver_series(kernel_version(tree)) != DEFAULT_KVER:
		for s in ('mutants', 'gate', 'verdicts'):
			if s in steps:
				step(f'{s}: not run, patches/ is written against {DEFAULT_KVER}')
		steps = [s for s in steps if s not in ('mutants', 'gate', 'verdicts')]
	if 'mutants' in steps:
		# Two at a time: a mutant's incremental build and boot keep about
		# one CPU busy (mutants.py --jobs).
		jobs = min(2, os.cpu_count() or 1)
		step(f'mutants: each regression patch must be caught ({jobs} at a time)')
		p = subprocess.run([sys.executable, os.path.join(REPO, 'tools/mutants.py'),
				    '--accel', args.accel, '--jobs', str(jobs)] +
				   (['--kdir', tree] if args.kdir else ['--kver', kver_series(
					   kernel_version(tree))]), check=False)
		ok &= passed('mutants', p.returncode == 0)
		if zuml.patches_for(kernel_version(tree)):
			sample = uml_mutants()
			step(f'mutants under UML: the first patch of each suite, {len(sample)} '
			     '(all of them: make mutants ARCH=um)')
			p = subprocess.run([sys.executable, os.path.join(REPO, 'tools/mutants.py'),
					    '--accel', args.accel, '--arch', 'um', '--results',
					    os.path.join(REPO, 'results', 'mutants-um')] +
					   (['--kdir', tree] if args.kdir else ['--kver', kver_series(
						   kernel_version(tree))]) + sample, check=False)
			ok &= passed('mutants-um', p.returncode == 0)
	# The KUnit step's runs, of this tree and these suites, are the
	# baseline of every gate below (gate.py --baseline checks the kernel,
	# .config and suites, and runs the baseline when one differs).
	recorded = ['--baseline', os.path.join(REPO, 'results')] if 'kunit' in steps else []
	if 'gate' in steps:
		# x86_64: 0001 fixes the PMD spin; arm64: 0002 also the
		# remove_migration_pmd() warning.
		gate_ok = True
		for arch in GATE_ARCHES:
			step(f'gate patches/fixes/ on {arch}: nothing regresses, the known failures '
			     'they fix pass')
			gate_results = os.path.join(REPO, 'results', 'gate' if arch == 'x86_64'
						    else f'gate-{arch}')
			p = subprocess.run([sys.executable, os.path.join(REPO, 'tools/gate.py'),
					    os.path.join(REPO, 'patches', 'fixes'), '--arch', arch,
					    '--accel', args.accel, '--results', gate_results] + recorded +
					   (['--kdir', tree] if args.kdir else ['--kver', kver_series(
						   kernel_version(tree))]), check=False)
			# The gate's machine-readable verdict, not its markdown.
			try:
				with open(os.path.join(gate_results, 'gate.json'), encoding='utf-8') as f:
					doc = json.load(f)
				fixed = sum(1 for a in doc['arches'].values() for r in a['rows']
					    if r['kind'] == 'fixed')
			except (OSError, ValueError, KeyError):
				fixed = 0
			# Exactly the known failures whose reason names a fix.
			want = sum(1 for k in results.known_failures(
				kver_series(kernel_version(tree)), arch=arch).values()
				   if 'patches/fixes/' in k.reason)
			print(f'gate ({arch}) exit {p.returncode}, cases newly passing: {fixed} '
			      f'(known failures with a fix: {want})')
			gate_ok &= p.returncode == 0 and fixed == want > 0
		ok &= passed('gate', gate_ok)
	if 'verdicts' in steps:
		step('verdict paths: every way a run can end gets the verdict its patch states')
		p = subprocess.run([sys.executable, os.path.join(REPO, 'tools/verdict_paths.py'),
				    '--accel', args.accel, '--results',
				    os.path.join(REPO, 'results', 'verdict-paths')] + recorded +
				   (['--kdir', tree] if args.kdir else ['--kver', kver_series(
					   kernel_version(tree))]), check=False)
		ok &= passed('verdicts', p.returncode == 0)
	if 'w1' in steps:
		ok &= passed('w1', w1_sparse(tree))

	print(f'\nselftest: time per step: {step_times()}')
	print(f'selftest: {"OK" if ok else "FAILED"} in {time.monotonic() - start:.0f} s')
	if failed_steps:
		print(f"failed steps, one failure each below: {', '.join(failed_steps)}")
	if 'kunit' in steps or failed_steps:
		if total.get('known'):
			print(f"{total['known']} known failure(s) of this kernel, listed above "
			      '(configs/known-failures): not counted below')
		failed = total['failed'] + len(failed_steps)
		print(f"{total['passed']} passed, {failed} failed, {total['skipped']} skipped")
	return 0 if ok else 1


if __name__ == '__main__':
	main_wrapper('selftest', main)
