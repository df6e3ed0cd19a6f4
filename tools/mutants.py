#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""mutants: prove the suites catch known-bad kernel changes.

Each patches/regressions/*.patch is applied the way tools/gate.py applies
a series: to a private copy of the kernel tree (tools/workspace.py; the
tree given, or the tools' cached one, is only read, so a `make run` on it
meanwhile builds the stock kernel) and taken out again, also when the run
fails or is interrupted (tools/series.py).  The suites are rebuilt
(incrementally) and run on QEMU x86_64 (or --arch arm64, or --arch um: UML
with patches/uml's arch/um series, tools/uml.py; --modules: as
modules) through tools/run.py.  Only the suite
its cases are in runs (run.py --filter, kunit.py's filter_glob; all suites
when they span several), and the rebuild is run.py --incremental (make
alone, no kunit.py olddefconfig) unless the patch touches a Kconfig file.
'Other failing cases' are those of the suites that ran.  A patch is
caught only when every case its 'Caught-by:' header names FAILs or CRASHes
(tools/results.py: a case failing only as configs/known-failures records is
KNOWN, not caught): 'caught' when the run was complete (every expected
case of the suites that ran reported, no crash, no parse error), 'caught
(by crash)' when it was not.  A crash or a timeout never counts for a named
case that passed, skipped or never ran: that patch is MISSED.  A run that
gave no verdict (run.py exit 2, no KTAP or an empty one: QEMU missing, an
initramfs error, a tool's own error or traceback: exit 2) or a patched
kernel that does not build
(run.py exit 3) is ERROR, never caught.  Each patch's results dir
(<results>/<patch>/) is emptied before its run.  Under UML (--arch um) a
patch whose named cases all skip naming what UML lacks (THP: the PMD paths)
is 'n/a under UML', counted apart; which patches are is pinned
(tools/uml.py's NA_MUTANTS): one n/a off the list, or on it and not n/a, is
an ERROR.  --rejudge DIR judges the recorded <DIR>/<patch>/*.ktap again
with these rules, running nothing.  Prints a table and exits 1 if any patch
was missed or is an error."""

import argparse
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli  # noqa: E402
import install as zinstall  # noqa: E402
import lock  # noqa: E402
import results  # noqa: E402
import uml as zuml  # noqa: E402
import workspace  # noqa: E402
from common import DEFAULT_KVER, REPO, ToolError, kernel_version, main_wrapper  # noqa: E402
from fetch import fetch  # noqa: E402
from series import Series, applied, touches_kconfig  # noqa: E402

PATCHES = os.path.join(REPO, 'patches', 'regressions')
S = results.Status


def caught_by(patch: str) -> List[str]:
	"""The suite.case names of the patch's Caught-by: header."""
	with open(patch, encoding='utf-8') as f:
		head = f.read().split('\n---\n', 1)[0]
	m = re.search(r'^Caught-by:(.*?)(?:\n\S[\w-]*:|\Z)', head, re.S | re.M)
	return re.findall(r'(\w+\.\w+)', m.group(1)) if m else []


WATCH = 'zone_device_watch'


def suite_filter(cases: List[str]) -> List[str]:
	"""run.py's --filter for a patch's Caught-by cases: their suite, or
	nothing (every suite) when they are in several, there are none, or
	one is zone_device_watch's."""
	suites = sorted({c.split('.', 1)[0] for c in cases})
	# zone_device_watch reports what the other suites leave outside their
	# cases: alone it would run none of them.
	if WATCH in suites:
		return []
	return ['--filter', suites[0]] if len(suites) == 1 else []


def suite_glob(cases: List[str]) -> Optional[str]:
	"""The filter_glob suite_filter() gives run.py, or None."""
	f = suite_filter(cases)
	return f[1] if f else None


def run_one(tree: str, patch: str, results_dir: str, accel: str,
	    arch: str = 'x86_64', modules: bool = False, as_is: bool = False,
	    git_apply: Optional[bool] = None) -> Tuple[str, List[str], List[str], float]:
	"""(verdict, named cases that failed, other cases that failed, seconds)
	of one patch in tree (the private copy: main())."""
	name = os.path.basename(patch)[:-len('.patch')]
	opts = suite_filter(caught_by(patch))
	if not touches_kconfig([patch]):
		opts.append('--incremental')
	if modules:
		opts.append('--modules')
	res = os.path.join(results_dir, name)
	shutil.rmtree(res, ignore_errors=True)	# no earlier run's KTAP is judged
	with tempfile.TemporaryDirectory(prefix='zdt-mutant-') as backup:
		# The gate's way of applying a series and putting the tree back.
		start = time.monotonic()
		with applied(Series(tree, [patch], backup, git_apply=git_apply)):
			p = subprocess.run([sys.executable, os.path.join(REPO, 'tools/run.py'), '--kdir',
					    tree, '--keep', '--arch', arch, '--accel', accel,
					    '--results', res, *opts] + (['--as-is'] if as_is else []),
					   capture_output=True, text=True, check=False,
					   pass_fds=lock.held_fds())
	took = time.monotonic() - start
	ktap = os.path.join(res, f'{kernel_version(tree)}-{arch}{"-modules" if modules else ""}.ktap')
	return judge_recorded(p.returncode, ktap, patch, arch) + (took,)


def judge_recorded(returncode: Optional[int], ktap: str, patch: str,
		   arch: str) -> Tuple[str, List[str], List[str]]:
	"""The verdict of one patch's recorded run (its KTAP, run.py's exit
	status if known): judge() with the expected cases of the suites its
	Caught-by names, and under UML the pinned n/a list."""
	want = caught_by(patch)
	run = results.load_known(ktap, results.expected_cases(suite_glob(want)))
	lacking = arch_lacks(run, want) if arch == 'um' else {}
	listed = os.path.basename(patch) in zuml.NA_MUTANTS
	if want and len(lacking) == len(want) and (returncode or 0) not in (2, 3):
		others = sorted(k for k, s in run.verdicts().items() if s.bad)
		if arch == 'um' and not listed:
			return f'{ERROR} (n/a under UML, but not in tools/uml.py NA_MUTANTS: ' \
			       f'{next(iter(lacking.values()))})', [], others
		return f'{NA} ({next(iter(lacking.values()))})', [], others
	verdict = judge(returncode, run.verdicts(), [c for c in want if c not in lacking],
			run.complete, run.ktap)
	if arch == 'um' and listed and not verdict[0].startswith(ERROR):
		return (f'{ERROR} (listed n/a under UML in tools/uml.py NA_MUTANTS, but {verdict[0]})',
			) + verdict[1:]
	return verdict


NA = 'n/a under UML'
CAUGHT, CAUGHT_CRASH, MISSED, ERROR = 'caught', 'caught (by crash)', 'MISSED', 'ERROR'


def arch_lacks(run: results.Run, want: List[str]) -> Dict[str, str]:
	"""The named cases that skipped naming what UML lacks (THP, GUP-fast,
	the per-VMA lock: tools/uml.py's LACKS), or passed with parameters that
	did (the GUP-fast variants), with the reason.  Such a case cannot catch
	a patch of code UML never runs; it is not a catch either."""
	why = {c: zuml.lacked(run.cases[c]) for c in want if c in run.cases}
	return {c: w for c, w in why.items() if w}


def judge(returncode: Optional[int], v: Dict[str, S], want: List[str], complete: bool = True,
	  ktap: Optional[bool] = None) -> Tuple[str, List[str], List[str]]:
	"""(verdict, named cases that failed, other cases that failed) of one
	mutant run: run.py's exit status (None: not known), the verdicts, the
	Caught-by cases, whether the run was complete (results.Run.complete)
	and had a KTAP (default: some verdict).  Caught only when every named
	case FAILs or CRASHes ('caught (by crash)' if the run was incomplete);
	a named case that passed, was KNOWN (the kernel's old bug, not the
	mutant's), skipped or never ran makes it MISSED, crash or not.  No
	verdict (run.py exit 2 or 3, no KTAP) is ERROR."""
	failing = sorted(k for k, s in v.items() if s.bad)
	hits = [c for c in failing if c in want]
	others = [c for c in failing if c not in want]
	ktap = bool(v) if ktap is None else ktap
	if returncode == 3:
		return f'{ERROR} (the patched kernel does not build: run.py exit 3)', [], others
	if returncode == 2:
		return f'{ERROR} (run.py exit 2: no run, bad input or a tool failure)', [], others
	if not ktap or not v:
		return f'{ERROR} (no KTAP: the run gave no verdict)', [], others
	if not want:
		return f'{ERROR} (the patch names no Caught-by case)', [], others
	if len(hits) == len(want):
		return (CAUGHT if complete else CAUGHT_CRASH), hits, others
	# Caught-by is a claim about every case it names: one that passed is a
	# miss, and so is one that skipped (a skip is never a pass, nor a
	# catch) or never ran (a crash elsewhere is no catch of it).
	what = {S.PASS: 'passed', S.KNOWN: 'known failure only', S.SKIP: 'skipped'}
	said = [f'{c} {what.get(v.get(c), "did not run")}' for c in want if c not in hits]
	return f'{MISSED} (' + ', '.join(said) + ')', hits, others


def rejudge(dirs: List[str], arch: Optional[str] = None) -> int:
	"""--rejudge: every <dir>/<patch>/<kver>-<arch>[-modules].ktap judged
	again with today's rules (nothing built or run; run.py's exit status is
	not recorded, so only the KTAP speaks); the table."""
	rows = []
	for d in dirs:
		if not os.path.isdir(d):
			raise ToolError(f"'{d}' is not a directory of mutants results")
		for sub in sorted(os.listdir(d)):
			patch = os.path.join(PATCHES, sub + '.patch')
			if not os.path.isdir(os.path.join(d, sub)):
				continue
			if not os.path.isfile(patch):
				raise ToolError(f'{os.path.join(d, sub)}: no patches/regressions/{sub}.patch')
			ktaps = sorted(k for k in glob.glob(os.path.join(d, sub, '*.ktap'))
				       if results.version_of(k))
			if len(ktaps) > 1:
				raise ToolError(f'{os.path.join(d, sub)}: {len(ktaps)} KTAP files, one expected')
			ktap = ktaps[0] if ktaps else os.path.join(d, sub, 'none.ktap')
			a = arch or (results.arch_of(ktap) if ktaps else 'x86_64')
			verdict, cases, others = judge_recorded(None, ktap, patch, a)
			rows.append((sub + '.patch', verdict, cases, others, 0.0))
	if not rows:
		raise ToolError(f'no <patch>/ result dirs in {", ".join(dirs)}')
	return print_table(rows)


shard = cli.shard
SUMMARY = 'summary.json'


def print_table(rows: List[Tuple[str, str, List[str], List[str], float]],
		show: bool = True) -> int:
	"""The table of every patch and the last line (not with show False: a
	job of --jobs, whose parent prints them); 1 if one was missed or is an
	error."""
	if not show:
		caught = (CAUGHT, CAUGHT_CRASH)
		return 1 if [r for r in rows if r[1] not in caught and not r[1].startswith(NA)] else 0
	print('\n| patch | verdict | caught by | other failing cases | time |\n'
	      '| --- | --- | --- | --- | --- |')
	for name, verdict, cases, others, took in rows:
		print(f'| {name} | {verdict} | {", ".join(c.split(".")[1] for c in cases) or "-"} '
		      f'| {len(others)} | {took:.0f} s |')
	na = [r for r in rows if r[1].startswith(NA)]
	errors = [r for r in rows if r[1].startswith(ERROR)]
	by_crash = [r for r in rows if r[1] == CAUGHT_CRASH]
	caught = [r for r in rows if r[1] in (CAUGHT, CAUGHT_CRASH)]
	missed = [r for r in rows if r not in na and r not in errors and r not in caught]
	print(f'\nmutants: {len(caught)} caught'
	      + (f' ({len(by_crash)} only by a crash or timeout)' if by_crash else '')
	      + f', {len(missed)} missed, {len(errors)} error(s)'
	      + (f', {len(na)} n/a (every case they name skips for what UML lacks: '
		 'neither caught nor missed)' if na else ''))
	return 1 if missed or errors else 0


def write_summary(results_dir: str, rows, shard_of: Tuple[int, int], split_from: List[str],
		  kernel: str, arch: str) -> None:
	"""<results>/summary.json: what --merge reads back from each shard."""
	os.makedirs(results_dir, exist_ok=True)
	with open(os.path.join(results_dir, SUMMARY), 'w', encoding='utf-8') as f:
		json.dump({'kernel': kernel, 'arch': arch, 'shard': list(shard_of),
			   'split_from': split_from,
			   'rows': [{'patch': r[0], 'verdict': r[1], 'caught_by': r[2],
				     'other_failing': r[3], 'seconds': round(r[4], 1)} for r in rows]},
			  f, indent=1)
		f.write('\n')


def merge(dirs: List[str]) -> int:
	"""One table from the summaries of N shards (CI runners): exit 1 if a
	patch was missed, 2 if the shards do not add up to the patches they
	were split from (one missing, one twice, another kernel or arch)."""
	docs = []
	for d in dirs:
		try:
			with open(os.path.join(d, SUMMARY), encoding='utf-8') as f:
				docs.append(json.load(f))
		except (OSError, ValueError) as e:
			raise ToolError(f'{d}: no readable {SUMMARY} ({e})') from e
	if len({(d['kernel'], d['arch'], tuple(d['split_from'])) for d in docs}) != 1:
		raise ToolError('the shards ran on different kernels, arches or patch sets')
	rows = [(r['patch'], r['verdict'], r['caught_by'], r['other_failing'], r['seconds'])
		for d in docs for r in d['rows']]
	names = [r[0] for r in rows]
	twice = sorted({n for n in names if names.count(n) > 1})
	missing = sorted(set(docs[0]['split_from']) - set(names))
	if twice or missing:
		raise ToolError(f'the shards do not add up: {len(missing)} patch(es) missing '
				f'({", ".join(missing[:3])}), {len(twice)} twice ({", ".join(twice[:3])})')
	print(f'mutants: {len(docs)} shard(s) of {docs[0]["kernel"]} {docs[0]["arch"]} merged')
	return print_table(sorted(rows))


def run_jobs(args, argv: List[str]) -> int:
	"""--jobs N: N shards of the patches at once, each a mutants.py of its
	own with a private copy of its own (workspace slot K) and results in
	<results>/job-K, then one table (merge()).  Each patch is still alone in
	its kernel; what runs side by side is two kernels' incremental builds,
	whose compile, link and boot are mostly one CPU each."""
	n = args.jobs
	dirs = [os.path.join(args.results, f'job-{k}') for k in range(1, n + 1)]
	for d in dirs:
		shutil.rmtree(d, ignore_errors=True)
	own, skip = [], False
	for a in argv:	# every argument but --jobs N
		if skip or a.startswith('--jobs='):
			skip = False
			continue
		skip = a == '--jobs'
		if not skip:
			own.append(a)
	# --results and --jobs are given again, last, for each job.
	kids = [subprocess.Popen([sys.executable, os.path.abspath(__file__), *own, '--jobs', '1',
				  '--shard', f'{k}/{n}', '--slot', str(k), '--no-table',
				  '--results', dirs[k - 1]], pass_fds=lock.held_fds())
		for k in range(1, n + 1)]

	def stop(*_):
		for kid in kids:
			if kid.poll() is None:
				kid.terminate()
		for kid in kids:
			kid.wait()
		sys.exit(130)
	signal.signal(signal.SIGTERM, stop)
	signal.signal(signal.SIGHUP, stop)
	codes = [kid.wait() for kid in kids]
	bad = [f'job {k} exit {c}' for k, c in enumerate(codes, 1) if c not in (0, 1)]
	if bad:
		raise ToolError(f'--jobs {n}: {", ".join(bad)} (no verdict from its patches)')
	return merge(dirs)


def main() -> int:
	ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	ap.add_argument('patches', nargs='*', help='default: patches/regressions/*.patch')
	cli.add_options(ap, source={}, accel={}, results={'under': 'mutants'},
			arch={'default': 'x86_64', 'help': 'x86_64 (default), arm64 or um (UML with '
			       'patches/uml\'s arch/um series, tools/uml.py)'},
			shard={'help': 'only the K-th of N equal shares of the patches (every N-th, '
			       'from the K-th), for N CI runners'})
	ap.add_argument('--modules', action='store_true',
			help='the suites as modules (run.py --modules): a case a patch names that '
			'cannot run as a module makes the patch missed')
	ap.add_argument('--as-is', action='store_true',
			help='run the suites the --kdir tree already has (committed), installing '
			'nothing (run.py --as-is)')
	ap.add_argument('--rejudge', nargs='+', metavar='DIR',
			help='only judge again the recorded <DIR>/<patch>/*.ktap of earlier runs with '
			'the current rules: nothing is built or run')
	ap.add_argument('--jobs', type=int, default=1,
			help='run N shares of the patches at once, each in a private copy of its '
			'own (default 1; make test: 2); one table at the end')
	ap.add_argument('--slot', type=int, default=1, help=argparse.SUPPRESS)
	ap.add_argument('--no-table', action='store_true', help=argparse.SUPPRESS)
	ap.add_argument('--merge', nargs='+', metavar='DIR',
			help="only merge the shards' results dirs (each with its summary.json) "
			'into one table: nothing is built or run')
	args = ap.parse_args()
	if args.merge:
		return merge(args.merge)
	if args.rejudge:
		return rejudge(args.rejudge, args.arch if args.arch != 'x86_64' else None)
	source = os.path.abspath(args.kdir) if args.kdir else fetch(args.kver or DEFAULT_KVER)
	if args.arch == 'um' and not zuml.patches_for(kernel_version(source)):
		raise ToolError(f'--arch um: {zuml.why_none(kernel_version(source))}, so no case a '
				'patch names runs there')
	if args.arch == 'um' and args.modules:
		raise ToolError('--modules needs a QEMU arch, not um')
	if args.as_is and not args.kdir:
		raise ToolError('--as-is needs --kdir, a tree with the suites in mm/tests/')
	patches = args.patches or sorted(glob.glob(os.path.join(PATCHES, '*.patch')))
	if not patches:
		raise ToolError(f'no patches in {PATCHES}')
	k, n = args.shard
	if args.jobs < 1:
		raise ToolError(f'--jobs {args.jobs}: at least 1')
	if args.jobs > 1:
		if n > 1:
			raise ToolError('--jobs with --shard: give one of them')
		return run_jobs(args, sys.argv[1:])
	split_from = [os.path.basename(p) for p in patches]
	patches = cli.share(patches, k, n)
	signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
	rows = []
	with workspace.Workspace(source, 'mutants', slot=args.slot) as ws:
		ws.prepare([args.arch], (args.modules,))
		tree = ws.tree
		if not args.as_is:
			zinstall.install(tree)	# the copy keeps them, as the cached tree does
		for patch in patches:
			verdict, cases, others, took = run_one(tree, os.path.abspath(patch),
							       args.results, args.accel, args.arch,
							       args.modules, args.as_is, ws.git)
			print(f'{os.path.basename(patch)}: {verdict} {" ".join(cases)} '
			      f'(+{len(others)} other failing; {took:.0f} s)', flush=True)
			rows.append((os.path.basename(patch), verdict, cases, others, took))
	write_summary(args.results, rows, args.shard, split_from, kernel_version(source),
		      args.arch + ('-modules' if args.modules else ''))
	return print_table(rows, show=not args.no_table)


if __name__ == '__main__':
	main_wrapper('mutants', main)
