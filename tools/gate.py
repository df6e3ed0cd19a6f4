#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""gate: does a kernel patch series change what the suites say?

Runs the suites (tools/run.py, so kunit.py) on the kernel as it is (the
baseline), applies the series, runs them again in the same build dir (an
incremental build), takes the series out again and compares the verdicts of
the two runs case by case.

The series is a .patch file, a directory of them (applied in name order) or
an mbox of several.  A clean git tree gets them with git am (git apply for a
bare diff) and is reset to its old HEAD afterwards; any other tree gets
patch -p1 and the touched files back from a copy.  The tree is restored also
when a patch does not apply, the build breaks, the run fails or the gate is
interrupted.

Verdicts are tools/results.py's.  A case KNOWN in both runs (failing
exactly as configs/known-failures records) is a 'known failure, unchanged'
row, listed apart; KNOWN -> FAIL or CRASH is a regression like PASS -> FAIL.

Exit status: 0 nothing regressed (a case newly passing is reported); 1 a
case regressed (PASS, SKIP or KNOWN -> FAIL or CRASH, PASS or SKIP ->
KNOWN, PASS -> SKIP); 3 the patched kernel does not build; 4 the baseline
does not build; 2 bad input, including a series that does not apply.  Each
run is bounded by run.py (kunit.py --timeout for boot and tests), so a hung
or livelocked kernel ends as CRASH, never as a stuck job.  make turns each
of these into its own 2: CI calls .ci/gate, which passes them on.

--base REV gates a kernel branch instead, as kernel CI gates a pull request:
--kdir is a clean git tree, the baseline is the merge base of its HEAD and
REV (checked out), the patched run HEAD (checked out again); the tree is
left on the branch or commit it was found at, also on an error or an
interrupt (series.Revisions).  Same table, exit statuses and results.

Writes <results>/{baseline,patched}/<kver>-<arch>.{log,ktap,json,xml} and
<results>/summary.md, a short markdown report a CI system can post.
--compare BASELINE PATCHED only judges two such recorded dirs again (no
build, no run) and rewrites <results>/summary.md."""

import argparse
import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli  # noqa: E402
import results  # noqa: E402
from common import (DEFAULT_ARCHES, DEFAULT_KVER, REPO, ToolError, kernel_version,  # noqa: E402
		    kver_series, main_wrapper)
from fetch import fetch  # noqa: E402
from series import Revisions, Series, series_patches  # noqa: E402

EXIT_REGRESSED, EXIT_BAD, EXIT_PATCHED_BUILD, EXIT_BASE_BUILD = 1, 2, 3, 4


S = results.Status
REGRESSED, FIXED, KNOWN_UNCHANGED, CHANGED = ('regressed', 'fixed', 'known failure, unchanged',
					      'changed')
Row = Tuple[str, str, str, str]	# case, baseline, patched, kind


def compare(base: Dict[str, S], patched: Dict[str, S]) -> List[Row]:
	"""(case, baseline, patched, kind) of every case whose verdict changed,
	and of every known failure that stayed one.  kind: 'regressed' (PASS,
	SKIP or KNOWN -> FAIL or CRASH; PASS or SKIP -> KNOWN; PASS -> SKIP),
	'fixed' (FAIL, CRASH or KNOWN -> PASS), 'known failure, unchanged'
	(KNOWN in both) or 'changed'.  A case of the baseline the patched run
	never reported is a CRASH."""
	rows = []
	for case in sorted(set(base) | set(patched)):
		b = base.get(case)
		p = patched.get(case, S.CRASH if b is not None else None)
		bs, ps = str(b) if b else 'absent', str(p) if p else 'absent'
		if b == p == S.KNOWN:
			rows.append((case, bs, ps, KNOWN_UNCHANGED))
			continue
		if b == p or (b and p and b.bad and p.bad):
			continue	# unchanged, or failing before and after
		if p and p.bad:
			kind = REGRESSED
		elif p == S.KNOWN:
			kind = CHANGED if b and b.bad else REGRESSED	# the known bug came back
		elif p == S.SKIP and b == S.PASS:
			kind = REGRESSED	# coverage lost: a SKIP never counts as a pass
		elif p == S.PASS and b and (b.bad or b == S.KNOWN):
			kind = FIXED
		else:
			kind = CHANGED
		rows.append((case, bs, ps, kind))
	return rows


def run_suites(src_args: List[str], arch: str, accel: str, results_dir: str,
	       incremental: bool = True) -> Tuple[int, float]:
	"""run.py on one arch; --incremental (make alone when kunit.py would
	keep the .config) unless the series touches a Kconfig file."""
	cmd = [sys.executable, os.path.join(REPO, 'tools/run.py'), *src_args, '--arch', arch,
	       '--accel', accel, '--results', results_dir] + (['--incremental'] if incremental else [])
	start = time.monotonic()
	# Its own process group, so that an interrupted gate stops kunit.py,
	# make and QEMU too before it puts the tree back.
	p = subprocess.Popen(cmd, start_new_session=True)
	try:
		rc = p.wait()
	except BaseException:
		stop_group(p)
		raise
	return rc, time.monotonic() - start


def stop_group(p: subprocess.Popen) -> None:
	for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
		try:
			os.killpg(p.pid, sig)
			p.wait(timeout=wait)
			return
		except ProcessLookupError:
			return
		except subprocess.TimeoutExpired:
			continue


def log_tail(path: str, n: int = 20) -> str:
	try:
		with open(path, encoding='utf-8', errors='replace') as f:
			return ''.join(f.readlines()[-n:])
	except OSError:
		return '(no log)\n'


def esc(text: str, limit: int = 400) -> str:
	text = text if len(text) <= limit else text[:limit] + ' ...'
	return text.replace('|', '\\|')


def summarize(out: str, title: str, intro: str, per_arch: Dict[str, dict]) -> str:
	md = [f'# Gate: {title}', '', intro, '']
	for name, a in per_arch.items():
		md.append(f'## {name}')
		md.append(f'baseline: {a["base_counts"]}' +
			  (f' ({a["base_time"]:.0f} s)' if a.get('base_time') else '') +
			  f'; patched: {a["patched_counts"]}' +
			  (f' ({a["patched_time"]:.0f} s)' if a.get('patched_time') else ''))
		md.append('')
		if a.get('note'):
			md += [a['note'], '']
		changed = [r for r in a['rows'] if r[3] != KNOWN_UNCHANGED]
		if changed:
			md += ['| case | baseline | patched | verdict | first failure |',
			       '| --- | --- | --- | --- | --- |']
			for case, b, p, kind in changed:
				md.append(f'| {case} | {b} | {p} | {kind} | {esc(a["why"].get(case, ""))} |')
		else:
			md.append('No case changed its verdict.')
		md.append('')
		known = [r for r in a['rows'] if r[3] == KNOWN_UNCHANGED]
		if known:
			md += [f'### {name}: known failures, unchanged', '',
			       'Failing in both runs exactly as `configs/known-failures` records '
			       '(every failure block matches the entry): not a regression.', '',
			       '| case | failure | reason |', '| --- | --- | --- |']
			for case, *_ in known:
				md.append(f'| {case} | {esc(a["why"].get(case, ""))} | '
					  f'{esc(a["reason"].get(case, ""))} |')
			md.append('')
	text = '\n'.join(md)
	os.makedirs(out, exist_ok=True)
	with open(os.path.join(out, 'summary.md'), 'w', encoding='utf-8') as f:
		f.write(text)
	return text


def judge(name: str, base_dir: str, patched_dir: str, a: dict,
	  tree: Optional[str] = None) -> int:
	"""Compares one arch's two recorded runs into a (rows, why, counts,
	note); 0, or EXIT_REGRESSED if a case regressed."""
	base = results.load_known(os.path.join(base_dir, f'{name}.ktap'))
	patched = results.load_known(os.path.join(patched_dir, f'{name}.ktap'))
	a['base_counts'] = base.case_line() if base.cases else 'no results'
	a['patched_counts'] = patched.case_line() if patched.cases else 'no results'
	a['rows'] = compare(base.verdicts(), patched.verdicts())
	a['why'], a['reason'] = {}, {}
	for case, _, p, kind in a['rows']:
		if kind == FIXED and case in base.cases:
			a['why'][case] = 'baseline: ' + base.cases[case].first_failure()
		elif case in patched.cases:
			a['why'][case] = patched.cases[case].first_failure()
		if kind == KNOWN_UNCHANGED:
			a['reason'][case] = patched.cases[case].known.reason
		if p == 'CRASH' and case not in patched.cases:
			a['why'][case] = 'never reported: the run ended before it'
	if patched.crashed:
		tail = log_tail(os.path.join(patched_dir, f'{name}.log'))
		a['note'] = ('The patched kernel crashed or timed out (kunit.py --timeout); '
			     'log tail:\n\n```\n' + tail + '```')
	return EXIT_REGRESSED if any(r[3] == REGRESSED for r in a['rows']) else 0


def verdict_line(status: int, per_arch: Dict[str, dict]) -> str:
	if status == EXIT_PATCHED_BUILD:
		verdict = 'FAIL: the series breaks the build'
	elif status == EXIT_REGRESSED:
		verdict = 'FAIL: the series regresses the suites'
	else:
		verdict = 'PASS: nothing regressed'
	rows = [r for a in per_arch.values() for r in a.get('rows', [])]
	fixed = sum(1 for *_, k in rows if k == FIXED)
	known = sum(1 for *_, k in rows if k == KNOWN_UNCHANGED)
	if fixed:
		verdict += f'; {fixed} case(s) newly pass'
	if known:
		verdict += f'; {known} known failure(s) unchanged'
	return verdict


def compare_dirs(base_dir: str, patched_dir: str, out: str, tree: Optional[str]) -> int:
	"""--compare: the gate's verdict on two recorded result dirs, nothing run."""
	for d in (base_dir, patched_dir):
		if not os.path.isdir(d):
			raise ToolError(f"'{d}' is not a directory of results")
	names = sorted(os.path.basename(k)[:-len('.ktap')]
		       for k in glob.glob(os.path.join(base_dir, '*.ktap'))
		       if results.version_of(k))
	if not names:
		raise ToolError(f"'{base_dir}' holds no <kver>-<arch>.ktap")
	per_arch: Dict[str, dict] = {}
	status = 0
	for name in names:
		per_arch[name] = {}
		status = max(status, judge(name, base_dir, patched_dir, per_arch[name], tree))
	verdict = verdict_line(status, per_arch)
	print(summarize(out, verdict, f'Recorded runs compared: baseline `{base_dir}`, '
			f'patched `{patched_dir}` (nothing run).', per_arch))
	print(f'gate: {verdict} (exit {status})')
	return status


def main() -> int:
	ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	ap.add_argument('series', nargs='?', help='a .patch file, a directory of them, or an mbox')
	cli.add_options(ap, source={'help': True}, arch={'action': 'append', 'help': 'default: x86_64 and um'},
			accel={}, results={'under': 'gate'})
	ap.add_argument('--base', metavar='REV',
			help='gate the git tree of --kdir itself: the merge base of HEAD and REV '
			'against HEAD (a kernel branch, as kernel CI gates a pull request)')
	ap.add_argument('--compare', nargs=2, metavar=('BASELINE', 'PATCHED'),
			help='only compare two recorded result dirs (<kver>-<arch>.ktap each) '
			'and write <results>/summary.md: no kernel is built or run')
	args = ap.parse_args()

	if args.compare:
		if args.series:
			raise ToolError('--compare takes two result dirs and no series')
		tree = os.path.abspath(args.kdir) if args.kdir else None
		return compare_dirs(*(os.path.abspath(d) for d in args.compare),
				    os.path.abspath(args.results), tree)
	if args.base:
		return gate_branch(args)
	if not args.series:
		raise ToolError('a series is required (a .patch file, a directory of them or an mbox), '
				'or BASE= with a git KDIR')
	tmp = tempfile.mkdtemp(prefix='zdt-gate-')
	try:
		patches = series_patches(os.path.abspath(args.series), tmp)
		if args.kdir:
			tree = os.path.abspath(args.kdir)
			src_args = ['--kdir', tree]
		else:
			tree = fetch(args.kver or DEFAULT_KVER)
			src_args = ['--kver', args.kver or DEFAULT_KVER]
		version = kernel_version(tree)
		results.known_failures(kver_series(version))	# a broken file is bad input, now
		out = os.path.abspath(args.results)
		shutil.rmtree(out, ignore_errors=True)
		series = Series(tree, patches, os.path.join(tmp, 'backup'))
		return gate(tree, version, series, src_args, args.arch or list(DEFAULT_ARCHES),
			    args.accel, out)
	finally:
		shutil.rmtree(tmp, ignore_errors=True)


def gate_branch(args: argparse.Namespace) -> int:
	"""--base: the kernel branch checked out in --kdir against BASE, as
	kernel CI gates a pull request: the baseline is the merge base of HEAD
	and BASE, the patched run HEAD; the tree is left on the branch (or
	commit) it was on, also on an error or an interrupt."""
	if args.series:
		raise ToolError('BASE= gates the commits of KDIR itself: give no series')
	if not args.kdir:
		raise ToolError('BASE= needs KDIR=, a git kernel tree')
	tree = os.path.abspath(args.kdir)
	version = kernel_version(tree)
	revs = Revisions(tree, args.base)
	results.known_failures(kver_series(version))	# a broken file is bad input, now
	out = os.path.abspath(args.results)
	shutil.rmtree(out, ignore_errors=True)
	signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
	try:
		revs.start()
		if kernel_version(tree) != version:
			raise ToolError(f'BASE is kernel {kernel_version(tree)} and HEAD {version}: the gate '
					'compares two runs of one kernel version')
		return gate(tree, version, revs, ['--kdir', tree], args.arch or list(DEFAULT_ARCHES),
			    args.accel, out)
	finally:
		revs.restore()


def gate(tree: str, version: str, series, src_args: List[str], arches: List[str],
	 accel: str, out: str) -> int:
	"""series: a Series (patch files) or a Revisions (BASE..HEAD of a git
	tree, already at BASE): apply(), restore(), touches_kconfig(), method
	and patches (names, for the report)."""
	base_dir, patched_dir = os.path.join(out, 'baseline'), os.path.join(out, 'patched')
	per_arch: Dict[str, dict] = {}
	patches = series.patches
	kconfig = series.touches_kconfig()
	signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
	status = 0
	what = 'commit(s)' if isinstance(series, Revisions) else 'patch(es)'
	print(f'gate: {len(patches)} {what} on {version} ({series.method}), arches {", ".join(arches)}',
	      flush=True)
	for arch in arches:
		rc, t = run_suites(src_args, arch, accel, base_dir)
		if rc == 2:
			return EXIT_BAD
		if rc == 3:
			print(f'gate: the baseline {version} {arch} does not build; nothing to compare')
			return EXIT_BASE_BUILD
		per_arch[f'{version}-{arch}'] = {'base_time': t, 'base_rc': rc}
	try:
		series.apply()
		for arch in arches:
			rc, t = run_suites(src_args, arch, accel, patched_dir, not kconfig)
			per_arch[f'{version}-{arch}'].update(patched_time=t, patched_rc=rc)
			if rc == 3:
				break
	finally:
		series.restore()

	for name, a in per_arch.items():
		if 'patched_rc' not in a:
			judge(name, base_dir, patched_dir, a, tree)
			a.update(patched_counts='not run', rows=[], why={},
				 note='Not run: the series broke the build on an earlier arch.')
		elif a['patched_rc'] == 3:
			judge(name, base_dir, patched_dir, a, tree)
			status = EXIT_PATCHED_BUILD
			a.update(patched_counts='build broken', rows=[], why={},
				 note='The patched kernel does not build: see patched/' + name + '.log')
		else:
			rc = judge(name, base_dir, patched_dir, a, tree)
			if status != EXIT_PATCHED_BUILD:
				status = max(status, rc)
	verdict = verdict_line(status, per_arch)
	intro = (f'Kernel {version}, {len(patches)} {what} applied with {series.method}: ' +
		 ', '.join(f'`{p if isinstance(series, Revisions) else os.path.basename(p)}`'
			   for p in patches))
	print()
	print(summarize(out, verdict, intro, per_arch))
	print(f'gate: {verdict} (exit {status}); results in {out}')
	return status


if __name__ == '__main__':
	main_wrapper('gate', main)
