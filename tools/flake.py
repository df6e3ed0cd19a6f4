#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""flake: run the suites N times on one kernel and report what was not stable.

The first run is tools/run.py's (it builds); the other N-1 are kunit.py exec
on that same build (the options run.py gives kunit.py, without rebuilding).
Each run is read with tools/results.py; per case the table says how often
each verdict came (passed 20/20; a known failure is a verdict of its own),
and a case whose verdict was not the same in every run is FLAKY.

With --mutants K each patches/regressions/*.patch (or the given ones) is
applied as tools/mutants.py applies it (series.Series, the tree put back
also on error or interrupt), built once by run.py and run K times; a patch
caught in some runs and missed in others is FLAKY.  Everything runs on a
private copy of the kernel tree (tools/workspace.py), as mutants does: the
tree given, or the tools' cached one, is only read.

--load N keeps N busy-loop processes (default 1) running beside the runs,
as a shared CI runner has, and stops them at the end, also on an error or
an interrupt.

Writes <results>/flake.md (and each run's log and KTAP under
<results>/flake/) and prints it.  Exit status: 0 nothing flaky (a case
failing in every run, or a mutant missed in every run, is reported but is
not a flake); 1 something was flaky; 3 the kernel did not build; 2 bad
input."""

import argparse
import contextlib
import glob
import os
import signal
import subprocess
import sys
import tempfile
import time
from typing import Dict, Iterator, List, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli  # noqa: E402
import install as zinstall  # noqa: E402
import lock  # noqa: E402
import mutants as zmutants  # noqa: E402
import results  # noqa: E402
import run as zrun  # noqa: E402
import workspace  # noqa: E402
from common import DEFAULT_KVER, REPO, ToolError, kernel_version, main_wrapper  # noqa: E402
from fetch import fetch  # noqa: E402
from series import Series, applied  # noqa: E402

S = results.Status
EXIT_FLAKY, EXIT_BUILD = 1, 3
# A busy loop that ends by itself once its parent is gone (even a SIGKILLed
# flake leaves no hog behind).
HOG = ('import os\np = os.getppid()\ni = 0\nwhile True:\n\ti += 1\n'
       '\tif i % 1000000 == 0 and os.getppid() != p:\n\t\tbreak\n')


@contextlib.contextmanager
def cpu_hogs(n: int) -> Iterator[List[subprocess.Popen]]:
	"""n busy-loop processes for the duration of the block."""
	hogs: List[subprocess.Popen] = []
	try:
		for _ in range(n):
			hogs.append(subprocess.Popen([sys.executable, '-c', HOG],
						     stdin=subprocess.DEVNULL))
		if hogs:
			print(f'flake: {n} CPU hog(s) running beside the runs '
			      f'(pids {" ".join(str(h.pid) for h in hogs)})', flush=True)
		yield hogs
	finally:
		for h in hogs:
			h.terminate()
		for h in hogs:
			try:
				h.wait(timeout=5)
			except subprocess.TimeoutExpired:
				h.kill()
				h.wait()


# ---------------------------------------------------------------------------
# Tallies (no kernel: unit-tested with recorded runs)

def tally(runs: List[results.Run]) -> Dict[str, Dict[S, int]]:
	"""{case: {verdict: how many runs}} over runs; a case missing from a run
	(the run ended before it) counts as CRASH there."""
	names: List[str] = []
	for r in runs:
		names += [n for n in r.cases if n not in names]
	out: Dict[str, Dict[S, int]] = {}
	for name in names:
		c: Dict[S, int] = {}
		for r in runs:
			st = r.cases[name].status if name in r.cases else S.CRASH
			c[st] = c.get(st, 0) + 1
		out[name] = c
	return out


def flaky(counts: Dict[S, int]) -> bool:
	return len(counts) > 1


def spell(counts: Dict[S, int], n: int) -> str:
	"""'passed 20/20' or 'passed 18/20, failed 2/20', worst verdict last."""
	return ', '.join(f'{results.WORDS[s]} {k}/{n}'
			 for s, k in sorted(counts.items(), key=lambda sk: results.RANK[sk[0]]))


def first_failures(name: str, runs: List[results.Run]) -> str:
	"""Which runs did not pass a case, with the first failure of the first."""
	bad = [(i, r.cases.get(name)) for i, r in enumerate(runs, 1)
	       if name not in r.cases or r.cases[name].status not in (S.PASS, S.SKIP)]
	if not bad:
		return ''
	i, case = bad[0]
	why = case.first_failure() if case else 'never reported: the run ended before it'
	return f'runs {" ".join(str(j) for j, _ in bad)}; run {i}: {why}'


def case_table(runs: List[results.Run]) -> Tuple[List[str], int]:
	"""Markdown rows of the case tally and the number of flaky cases."""
	t = tally(runs)
	n = len(runs)
	rows = [f'| case | verdicts ({n} runs) | flaky | not passing in |', '| --- | --- | --- | --- |']
	nflaky = 0
	for name, counts in t.items():
		fl = flaky(counts)
		nflaky += fl
		rows.append(f'| {name} | {spell(counts, n)} | {"FLAKY" if fl else ""} | '
			    f'{results_esc(first_failures(name, runs)) if fl or S.PASS not in counts else ""} |')
	return rows, nflaky


def results_esc(text: str, limit: int = 300) -> str:
	text = text if len(text) <= limit else text[:limit] + ' ...'
	return text.replace('|', '\\|')


def mutant_row(patch: str, verdicts: List[str]) -> Tuple[str, bool]:
	"""A markdown row of one mutant's K runs and whether it was flaky."""
	k = len(verdicts)
	caught = sum(1 for v in verdicts if v.startswith('caught'))
	fl = 0 < caught < k
	return (f'| {patch} | caught {caught}/{k} | {"FLAKY" if fl else ""} | '
		f'{results_esc("; ".join(verdicts))} |', fl)


# ---------------------------------------------------------------------------
# Runs

def exec_once(tree: str, arch: str, out: str, accel: str, timeout: int,
	      kernel_args: List[str]) -> Tuple[int, results.Run]:
	"""kunit.py exec of the kernel already built: its log and KTAP in out."""
	os.makedirs(out, exist_ok=True)
	name = f'{kernel_version(tree)}-{arch}'
	log, ktap = (os.path.join(out, f'{name}.{ext}') for ext in ('log', 'ktap'))
	cmd = zrun.kunit_cmd(tree, 'exec', *zrun.kunit_args(tree, arch, timeout, kernel_args),
			     '--raw_output=all')
	with open(log, 'w', encoding='utf-8') as f:
		try:
			rc = subprocess.run(cmd, cwd=tree, stdout=f, stderr=subprocess.STDOUT,
					    env=zrun.kunit_env(accel, arch), timeout=timeout + 300,
					    check=False, pass_fds=lock.held_fds()).returncode
		except subprocess.TimeoutExpired:
			rc = 1	# kunit.py outlived its own --timeout: what ran is read
	zrun.extract_ktap(log, ktap)
	stale = zrun.booted_stale_kernel(log, zrun.build_dir_of(tree, arch))
	if stale:
		raise ToolError(f'{out}: {stale}')
	return rc, results.load_known(ktap)


def build_and_run(tree: str, arch: str, out: str, accel: str, timeout: int,
		  kernel_args: List[str]) -> Tuple[int, results.Run]:
	"""tools/run.py (build, boot, run) into out."""
	cmd = [sys.executable, os.path.join(REPO, 'tools/run.py'), '--kdir', tree, '--keep',
	       '--arch', arch, '--accel', accel, '--results', out, '--timeout', str(timeout)]
	for a in kernel_args:
		cmd += ['--kernel_args', a]
	p = subprocess.run(cmd, capture_output=True, text=True, check=False, pass_fds=lock.held_fds())
	if p.returncode == 2:
		raise ToolError(f'run.py: {(p.stderr.strip().splitlines() or ["bad input"])[-1]}')
	ktap = os.path.join(out, f'{kernel_version(tree)}-{arch}.ktap')
	return p.returncode, results.load_known(ktap)


def repeat(tree: str, arch: str, out: str, n: int, accel: str, timeout: int,
	   kernel_args: List[str], label: str) -> Tuple[int, List[Tuple[int, results.Run]]]:
	"""One build and run, then n-1 kunit.py exec runs; (build status, runs)."""
	runs: List[Tuple[int, results.Run]] = []
	for i in range(1, n + 1):
		start = time.monotonic()
		d = os.path.join(out, f'run-{i:02d}')
		rc, run = (build_and_run if i == 1 else exec_once)(tree, arch, d, accel, timeout,
								      kernel_args)
		if i == 1 and rc == EXIT_BUILD:
			return EXIT_BUILD, runs
		runs.append((rc, run))
		print(f'flake: {label} run {i}/{n}: {run.case_line()} '
		      f'({time.monotonic() - start:.0f} s)', flush=True)
	return 0, runs


def main() -> int:
	ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	ap.add_argument('patches', nargs='*',
			help='mutants to run (with --mutants); default patches/regressions/*.patch')
	# Its own options sit between the shared ones (cli.add_options).
	cli.add_options(ap, source={'help': True},
			runs={'flags': ('--runs', '-n'), 'type': int, 'default': 20,
			      'help': 'runs of the suites (default 20)'},
			mutants={'type': int, 'default': 0, 'metavar': 'K',
				 'help': 'also run each mutant K times (default 0: none)'},
			load={'type': int, 'nargs': '?', 'const': 1, 'default': 0, 'metavar': 'HOGS',
			      'help': 'CPU hogs beside the runs (--load alone: 1)'},
			arch={'default': 'x86_64'}, accel={},
			timeout={'help': 'kunit.py --timeout per run'},
			kernel_args={'action': 'append', 'default': []},
			results={})
	args = ap.parse_args()
	if args.runs < 0 or args.mutants < 0 or args.load < 0:
		raise ToolError('--runs, --mutants and --load take a count >= 0')
	if not args.runs and not args.mutants:
		raise ToolError('nothing to do: --runs 0 and no --mutants')
	patches = [os.path.abspath(p) for p in args.patches]
	if args.mutants and not patches:
		patches = sorted(glob.glob(os.path.join(zmutants.PATCHES, '*.patch')))
	for p in patches:
		if not os.path.isfile(p):
			raise ToolError(f"'{p}' is not a patch file")
	if patches and not args.mutants:
		raise ToolError('patches given but no --mutants K (MUTANTS=)')
	source = os.path.abspath(args.kdir) if args.kdir else fetch(args.kver or DEFAULT_KVER)
	version = kernel_version(source)
	results_dir = os.path.abspath(args.results)
	out = os.path.join(results_dir, 'flake')
	signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
	with workspace.Workspace(source, 'flake') as ws:
		ws.prepare([args.arch])
		zinstall.install(ws.tree)	# the copy keeps them, as the cached tree does
		return flake(ws.tree, version, patches, args, results_dir, out, ws.git)


def flake(tree: str, version: str, patches: List[str], args: argparse.Namespace,
	  results_dir: str, out: str, git_apply: bool) -> int:
	"""The runs and the report, in tree (the private copy)."""
	start = time.monotonic()
	md = [f'# Flake: {version} {args.arch}, {args.runs} run(s)' +
	      (f', {len(patches)} mutant(s) x {args.mutants}' if args.mutants else '') +
	      (f', {args.load} CPU hog(s) beside' if args.load else ', machine not loaded'), '']
	nflaky = 0
	with cpu_hogs(args.load):
		if args.runs:
			rc, runs = repeat(tree, args.arch, os.path.join(out, 'suites'), args.runs,
					  args.accel, args.timeout, args.kernel_args, 'suites')
			if rc == EXIT_BUILD:
				print(f'flake: {version} {args.arch} does not build (see '
				      f'{out}/suites/run-01)')
				return EXIT_BUILD
			rows, n = case_table([r for _, r in runs])
			nflaky += n
			md += ['## Cases', '', f'{n} flaky case(s) in {args.runs} runs.', ''] + rows + ['']
		if args.mutants:
			mrows = ['| patch | caught | flaky | verdicts |', '| --- | --- | --- | --- |']
			nm = 0
			for patch in patches:
				row, fl = run_mutant(tree, patch, args, out, git_apply)
				mrows.append(row)
				nm += fl
			nflaky += nm
			md += ['## Mutants', '', f'{nm} flaky mutant(s), each run {args.mutants} '
			       'time(s).', ''] + mrows + ['']
	md.append(f'Took {time.monotonic() - start:.0f} s; verdict: '
		  f'{"FLAKY" if nflaky else "nothing flaky"}.')
	text = '\n'.join(md) + '\n'
	os.makedirs(results_dir, exist_ok=True)
	with open(os.path.join(results_dir, 'flake.md'), 'w', encoding='utf-8') as f:
		f.write(text)
	print('\n' + text)
	print(f'flake: {nflaky} flaky (exit {EXIT_FLAKY if nflaky else 0}); '
	      f'{os.path.join(results_dir, "flake.md")}')
	return EXIT_FLAKY if nflaky else 0


def run_mutant(tree: str, patch: str, args: argparse.Namespace, out: str,
	       git_apply: bool = False) -> Tuple[str, bool]:
	"""Applies one mutant, builds once, runs it K times; its table row."""
	name = os.path.basename(patch)[:-len('.patch')]
	want = zmutants.caught_by(patch)
	verdicts: List[str] = []
	with tempfile.TemporaryDirectory(prefix='zdt-flake-') as backup:
		with applied(Series(tree, [patch], backup, git_apply=git_apply)):
			rc, runs = repeat(tree, args.arch, os.path.join(out, name), args.mutants,
					  args.accel, args.timeout, args.kernel_args, name)
	if rc == EXIT_BUILD:
		verdicts = [f'{zmutants.ERROR} (the patched kernel does not build)'] * args.mutants
	for code, run in runs:
		verdicts.append(zmutants.judge(code, run.verdicts(), want, run.complete, run.ktap)[0])
	row, fl = mutant_row(os.path.basename(patch), verdicts)
	print(row, flush=True)
	return row, fl


if __name__ == '__main__':
	main_wrapper('flake', main)
