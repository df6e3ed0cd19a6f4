#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""gate: does a kernel patch series change what the suites say?

Runs the suites (tools/run.py, so kunit.py) on the kernel as it is (the
baseline), applies the series, runs them again in the same build dir (an
incremental build), takes the series out again and compares the verdicts of
the two runs case by case.

Both runs are on a private copy of the tree (tools/workspace.py: under the
cache, locked while the gate uses it, its build dirs seeded from the
tree's own so that the first build is incremental too): the tree given
(KDIR=, or the tools' cached Debian tree) is only read, so a `make run` on
it meanwhile builds and reports the stock kernel, a read-only KDIR or one
whose path has a space can be gated, and a gate killed with SIGKILL leaves
nothing in it (the copy is brought back to the tree's content by the next
run that uses it).  --as-is runs the suites the tree already has (a tree
with them committed) instead of installing mm-tests/.

The series is a .patch file, a directory of them (applied in name order) or
an mbox of several.  The copy of a git tree gets them with git apply (as
strict as git am; nothing is committed), of any other tree with patch -p1;
the touched files come back from a copy.  The copy is restored also when a
patch does not apply, the build breaks, the run fails or the gate is
interrupted (SIGINT, SIGTERM, SIGHUP).

Verdicts are tools/results.py's (the pinned kunit_parser).  A case KNOWN in
both runs (failing exactly as configs/known-failures records) is a 'known
failure, unchanged' row, listed apart; KNOWN -> FAIL or CRASH is a
regression like PASS -> FAIL.  Every case of mm-tests/ (that --filter
selects) is expected in both runs; a kernel splat on the console that no
case claims is compared too, as the row '(outside a case)'.

Exit status: 0 both runs complete (every expected case reported, nothing
crashed, no KTAP parse error), the baseline clean (no failure that is not
KNOWN, no splat outside a case) and nothing regressed (a case newly passing
is reported); 1 a case regressed (PASS, SKIP or KNOWN -> FAIL or CRASH, FAIL
-> CRASH, PASS or SKIP -> KNOWN, PASS -> SKIP, a new splat outside a case;
a case the patched run never reported is a CRASH: a patched kernel that
crashes or hangs regresses) or failed differently ('changed': bad in both
runs with another first failure, or CRASH -> FAIL: not explained); 3 the
patched kernel does not build; 4 the baseline does not build; 5
inconclusive: the baseline is incomplete, fails a case it is not known to
fail or has a splat outside a case, the patched run is incomplete for a
reason the series does not explain (an expected case neither run reported,
a KTAP parse error), or the series touches the verdict chain (below)
without --allow-verdict-chain: one line says why; 2 bad input, including a
series that does not apply.  A regression outranks 5, 5 outranks a
'changed' row.  Each run is bounded by run.py (kunit.py --timeout for boot
and tests), so a hung or livelocked kernel ends as CRASH, never as a stuck
job.  make turns each of these into its own 2: CI calls .ci/gate, which
passes them on.

The verdict chain is what decides a verdict inside the kernel tree: KUnit
(tools/testing/kunit/, lib/kunit/, include/kunit/) and the suites as
installed (mm/tests/zone_device_*, mm/tests/Makefile, mm/tests/Kconfig).  A
series or branch that touches it is named in the report and never passes
(5) unless --allow-verdict-chain is given.

--base REV gates a kernel branch instead, as kernel CI gates a pull request:
--kdir is a clean git tree, the baseline is the merge base of its HEAD and
REV, the patched run HEAD, both in the private copy (the diff of the merge
base to HEAD taken out of it, then put back: series.Revisions); the tree
itself is never checked out.  Same table, exit statuses and results.

Writes <results>/{baseline,patched}/<kver>-<arch>.{log,ktap,json,xml},
<results>/summary.md, a short markdown report a CI system can post, and
<results>/gate.json, the same for programs (status, verdict, inconclusive
reasons, verdict-chain paths, per arch the rows).  --compare BASELINE
PATCHED only judges two such recorded dirs again (no build, no run) and
rewrites both.

--baseline DIR takes the baseline from a recorded run instead of running
it again: DIR/<kver>-<arch>.{ktap,log,verdicts.json} as run.py writes them
(make run's results/, or an earlier gate's baseline/).  It is used only if
it is a run of the same kernel: its verdicts.json names the same version
and arch, its .config hash equals that of the build dir the patched run
builds in, before the series goes on, and its suites' hash that of
mm-tests/ (not with --as-is); otherwise one line says why and
the baseline is run as usual.  make test gates several series on one tree
and takes the baseline once."""

import argparse
import glob
import hashlib
import json
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
import install as zinstall  # noqa: E402
import lock  # noqa: E402
import results  # noqa: E402
from common import (DEFAULT_ARCHES, DEFAULT_KVER, REPO, ToolError, kernel_version,  # noqa: E402
		    kver_series, main_wrapper)
import run as zrun  # noqa: E402
import workspace  # noqa: E402
from fetch import fetch  # noqa: E402
from series import Revisions, Series, applied, series_patches, verdict_chain  # noqa: E402

EXIT_REGRESSED, EXIT_BAD, EXIT_PATCHED_BUILD, EXIT_BASE_BUILD, EXIT_INCONCLUSIVE = 1, 2, 3, 4, 5


S = results.Status
REGRESSED, FIXED, KNOWN_UNCHANGED, CHANGED, NOW_RUNS = (
	'regressed', 'fixed', 'known failure, unchanged', 'changed', 'newly runs')
OUTSIDE_ROW = '(outside a case)'
Row = Tuple[str, str, str, str]	# case, baseline, patched, kind


def compare(base: Dict[str, S], patched: Dict[str, S],
	    base_first: Optional[Dict[str, str]] = None,
	    patched_first: Optional[Dict[str, str]] = None) -> List[Row]:
	"""(case, baseline, patched, kind) of every case whose verdict changed,
	and of every known failure that stayed one.  kind: 'regressed' (PASS,
	SKIP or KNOWN -> FAIL or CRASH; FAIL -> CRASH; PASS or SKIP -> KNOWN;
	PASS -> SKIP), 'fixed' (FAIL, CRASH or KNOWN -> PASS), 'known failure,
	unchanged' (KNOWN in both), 'newly runs' (SKIP -> PASS) or 'changed'
	(bad in both with another first failure, CRASH -> FAIL, FAIL or CRASH
	-> KNOWN, a case only the patched run has).  A case of the baseline the
	patched run never reported is a CRASH; one neither run reported is no
	row (the runs are incomplete: Run.missing_cases)."""
	base_first, patched_first = base_first or {}, patched_first or {}
	rows = []
	for case in sorted(set(base) | set(patched)):
		b = base.get(case)
		p = patched.get(case, S.CRASH if b is not None else None)
		bs, ps = str(b) if b else 'absent', str(p) if p else 'absent'
		if b == p == S.KNOWN:
			rows.append((case, bs, ps, KNOWN_UNCHANGED))
			continue
		if b and p and b.bad and p.bad:
			if b == S.FAIL and p == S.CRASH:
				rows.append((case, bs, ps, REGRESSED))
			elif b != p or base_first.get(case, '') != patched_first.get(case, ''):
				rows.append((case, bs, ps, CHANGED))	# another failure: not explained
			continue
		if b == p:
			continue
		if b is None:
			kind = CHANGED	# the baseline never reported it: nothing to judge by
		elif p and p.bad:
			kind = REGRESSED
		elif p == S.KNOWN:
			kind = CHANGED if b and b.bad else REGRESSED	# the known bug came back
		elif p == S.SKIP and b == S.PASS:
			kind = REGRESSED	# coverage lost: a SKIP never counts as a pass
		elif p == S.PASS and b and (b.bad or b == S.KNOWN):
			kind = FIXED
		elif p == S.PASS and b == S.SKIP:
			kind = NOW_RUNS
		else:
			kind = CHANGED
		rows.append((case, bs, ps, kind))
	return rows


RECORDED = ('ktap', 'log', 'json', 'xml', 'verdicts.json')


def recorded_baseline(recorded: str, name: str, arch: str, version: str,
		      build_dir: str) -> str:
	"""'' if recorded/<name>.* is a run of the kernel build_dir holds
	(--baseline), else why it cannot stand in for the baseline."""
	try:
		with open(os.path.join(recorded, f'{name}.verdicts.json'), encoding='utf-8') as f:
			doc = json.load(f)
		with open(os.path.join(build_dir, '.config'), 'rb') as f:
			config = hashlib.sha256(f.read()).hexdigest()
	except (OSError, ValueError) as e:
		return f'no recorded run to read ({e})'
	for ext in RECORDED[:2]:
		if not os.path.isfile(os.path.join(recorded, f'{name}.{ext}')):
			return f'{name}.{ext} is missing'
	if (doc.get('kernel'), doc.get('arch')) != (version, arch):
		return f'it is a run of {doc.get("kernel")} {doc.get("arch")}'
	if doc.get('config_sha256') != config:
		return f'its .config is not that of {build_dir}'
	if doc.get('suites_sha256') != zinstall.suites_hash(zinstall.SRC):
		return f'its suites are not those of {zinstall.SRC}'
	return ''


def take_baseline(recorded: str, name: str, base_dir: str) -> None:
	os.makedirs(base_dir, exist_ok=True)
	for ext in RECORDED:
		path = os.path.join(recorded, f'{name}.{ext}')
		if os.path.isfile(path):
			shutil.copyfile(path, os.path.join(base_dir, f'{name}.{ext}'))


def run_suites(src_args: List[str], arch: str, accel: str, results_dir: str,
	       incremental: bool = True) -> Tuple[int, float]:
	"""run.py on one arch; --incremental (make alone when kunit.py would
	keep the .config) unless the series touches a Kconfig file."""
	cmd = [sys.executable, os.path.join(REPO, 'tools/run.py'), *src_args, '--arch', arch,
	       '--accel', accel, '--results', results_dir] + (['--incremental'] if incremental else [])
	start = time.monotonic()
	# Its own process group, so that an interrupted gate stops kunit.py,
	# make and QEMU too before it puts the tree back; the lock of the
	# private copy passed on (a gate killed with SIGKILL leaves it held
	# until run.py ends).
	p = subprocess.Popen(cmd, start_new_session=True, pass_fds=lock.held_fds())
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
			  (f' (the recorded run {a["base_recorded"]})' if a.get('base_recorded') else '') +
			  f'; patched: {a["patched_counts"]}' +
			  (f' ({a["patched_time"]:.0f} s)' if a.get('patched_time') else ''))
		md.append('')
		for w in a.get('inconclusive', []):
			md += [f'Inconclusive: {w}', '']
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


def inconclusive_base(base: results.Run) -> List[str]:
	"""Why a baseline cannot be compared against: incomplete, failing a
	case it is not known to fail, a splat outside any case."""
	out = [f'baseline: {r}' for r in base.incomplete_reasons()]
	bad = [c.name for c in base.with_status(S.FAIL)]
	if bad:
		out.append(f'baseline: {len(bad)} case(s) fail and are not known failures ({bad[0]} first)')
	if base.outside_splats:
		out.append(f'baseline: a kernel splat outside any case: {base.outside_splats[0]}')
	return out


def inconclusive_patched(base: results.Run, patched: results.Run) -> List[str]:
	"""Why the patched run is incomplete for a reason the series does not
	explain: an expected case neither run reported (the baseline's reason
	too), a KTAP parse error.  A case the baseline reported and the patched
	run did not is the series' doing: a regression row, not this."""
	out = []
	if patched.errors:
		out.append(f'patched: {patched.errors} KTAP parse error(s)')
	neither = [c for c in patched.missing_cases if c in base.missing_cases]
	if neither and base.ktap:
		out.append(f'patched: {len(neither)} expected case(s) neither run reported '
			   f'({neither[0]} first)')
	return out


def judge(name: str, base_dir: str, patched_dir: str, a: dict,
	  expected: Optional[List[str]] = None) -> int:
	"""Compares one arch's two recorded runs into a (rows, why, counts,
	note, inconclusive); EXIT_REGRESSED if a case regressed, else
	EXIT_INCONCLUSIVE if the comparison proves nothing, else EXIT_REGRESSED
	if a case failed differently, else 0.  expected: the cases both runs
	were to report (default: every case of mm-tests/)."""
	expected = results.expected_cases() if expected is None else expected
	base = results.load_known(os.path.join(base_dir, f'{name}.ktap'), expected)
	patched = results.load_known(os.path.join(patched_dir, f'{name}.ktap'), expected)
	a['base_counts'] = base.case_line() if base.cases else 'no results'
	a['patched_counts'] = patched.case_line() if patched.cases else 'no results'
	first = lambda run: {n: c.first_failure() for n, c in run.cases.items()}  # noqa: E731
	a['rows'] = compare(base.verdicts(), patched.verdicts(), first(base), first(patched))
	a['why'], a['reason'] = {}, {}
	for case, _, p, kind in a['rows']:
		if kind == FIXED and case in base.cases:
			a['why'][case] = 'baseline: ' + base.cases[case].first_failure()
		elif kind == CHANGED and case in base.cases and case in patched.cases:
			a['why'][case] = (f'baseline: {base.cases[case].first_failure() or "-"}; '
					  f'patched: {patched.cases[case].first_failure() or "-"}')
		elif case in patched.cases:
			a['why'][case] = patched.cases[case].first_failure()
		if kind == KNOWN_UNCHANGED:
			a['reason'][case] = patched.cases[case].known.reason
		if p == 'CRASH' and case not in patched.cases:
			a['why'][case] = 'never reported: the run ended before it'
	new_splats = [l for l in patched.outside_splats if l not in base.outside_splats]
	if new_splats:
		a['rows'].append((OUTSIDE_ROW, 'none', 'splat', REGRESSED))
		a['why'][OUTSIDE_ROW] = ' / '.join(new_splats)
	a['inconclusive'] = inconclusive_base(base) + inconclusive_patched(base, patched)
	if patched.crashed:
		tail = log_tail(os.path.join(patched_dir, f'{name}.log'))
		a['note'] = ('The patched kernel crashed or timed out (kunit.py --timeout); '
			     'log tail:\n\n```\n' + tail + '```')
	kinds = {r[3] for r in a['rows']}
	if REGRESSED in kinds:
		return EXIT_REGRESSED
	if a['inconclusive']:
		return EXIT_INCONCLUSIVE
	return EXIT_REGRESSED if CHANGED in kinds else 0


def worst(statuses: List[int]) -> int:
	"""The gate's status of several: a build break, then a regression, then
	inconclusive, then 0."""
	for s in (EXIT_PATCHED_BUILD, EXIT_REGRESSED, EXIT_INCONCLUSIVE):
		if s in statuses:
			return s
	return 0


def verdict_line(status: int, per_arch: Dict[str, dict], chain: Optional[List[str]] = None) -> str:
	rows = [r for a in per_arch.values() for r in a.get('rows', [])]
	if status == EXIT_PATCHED_BUILD:
		verdict = 'FAIL: the series breaks the build'
	elif status == EXIT_REGRESSED and any(r[3] == REGRESSED for r in rows):
		verdict = 'FAIL: the series regresses the suites'
	elif status == EXIT_REGRESSED:
		verdict = 'FAIL: cases fail differently with the series (changed, not explained)'
	elif status == EXIT_INCONCLUSIVE:
		why = [w for a in per_arch.values() for w in a.get('inconclusive', [])]
		if chain:
			why.append(f'the series touches the verdict chain ({chain[0]}'
				   f'{f" and {len(chain) - 1} more" if len(chain) > 1 else ""}); '
				   '--allow-verdict-chain to accept')
		verdict = 'INCONCLUSIVE: ' + (why[0] if why else 'nothing to compare')
	else:
		verdict = 'PASS: nothing regressed, both runs complete'
	fixed = sum(1 for *_, k in rows if k == FIXED)
	known = sum(1 for *_, k in rows if k == KNOWN_UNCHANGED)
	if fixed:
		verdict += f'; {fixed} case(s) newly pass'
	if known:
		verdict += f'; {known} known failure(s) unchanged'
	return verdict


def write_json(out: str, status: int, verdict: str, per_arch: Dict[str, dict],
	       chain: List[str], allowed: bool) -> None:
	"""<out>/gate.json: the gate's verdict for programs (selftest, CI)."""
	doc = {'status': status, 'verdict': verdict,
	       'inconclusive': [w for a in per_arch.values() for w in a.get('inconclusive', [])],
	       'verdict_chain': chain, 'verdict_chain_allowed': allowed,
	       'arches': {name: {'baseline': a.get('base_counts'), 'patched': a.get('patched_counts'),
				 'inconclusive': a.get('inconclusive', []),
				 'rows': [{'case': c, 'baseline': b, 'patched': p, 'kind': k,
					   'why': a.get('why', {}).get(c, '')}
					  for c, b, p, k in a.get('rows', [])]}
			  for name, a in per_arch.items()}}
	os.makedirs(out, exist_ok=True)
	with open(os.path.join(out, 'gate.json'), 'w', encoding='utf-8') as f:
		json.dump(doc, f, indent=1)
		f.write('\n')


def chain_status(status: int, chain: List[str], allowed: bool) -> int:
	"""A series touching the verdict chain never passes unless allowed."""
	return EXIT_INCONCLUSIVE if status == 0 and chain and not allowed else status


def chain_note(chain: List[str], allowed: bool) -> str:
	if not chain:
		return ''
	return (f'The series touches the verdict chain ({"accepted: --allow-verdict-chain" if allowed else "not accepted without --allow-verdict-chain"}): '
		+ ', '.join(f'`{p}`' for p in chain))


def compare_dirs(base_dir: str, patched_dir: str, out: str, filter_glob: Optional[str] = None) -> int:
	"""--compare: the gate's verdict on two recorded result dirs, nothing run."""
	for d in (base_dir, patched_dir):
		if not os.path.isdir(d):
			raise ToolError(f"'{d}' is not a directory of results")
	names = sorted(os.path.basename(k)[:-len('.ktap')]
		       for k in glob.glob(os.path.join(base_dir, '*.ktap'))
		       if results.version_of(k))
	if not names:
		raise ToolError(f"'{base_dir}' holds no <kver>-<arch>.ktap")
	expected = results.expected_cases(filter_glob)
	if not expected:
		raise ToolError(f'--filter {filter_glob!r} selects no case of mm-tests/')
	per_arch: Dict[str, dict] = {}
	statuses = []
	for name in names:
		per_arch[name] = {}
		statuses.append(judge(name, base_dir, patched_dir, per_arch[name], expected))
	status = worst(statuses)
	verdict = verdict_line(status, per_arch)
	print(summarize(out, verdict, f'Recorded runs compared: baseline `{base_dir}`, '
			f'patched `{patched_dir}` (nothing run).', per_arch))
	write_json(out, status, verdict, per_arch, [], False)
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
			'and write <results>/summary.md and gate.json: no kernel is built or run')
	ap.add_argument('--filter', metavar='GLOB',
			help="only these cases (run.py --filter, kunit.py's filter_glob): the runs "
			'are expected to report exactly the cases of mm-tests/ it selects')
	ap.add_argument('--allow-verdict-chain', action='store_true',
			help='accept a series that touches KUnit or the installed suites '
			'(tools/testing/kunit/, lib/kunit/, include/kunit/, mm/tests/...): '
			'without it such a series is inconclusive (exit 5)')
	ap.add_argument('--baseline', metavar='DIR',
			help='take the baseline from a recorded run of the same kernel and .config '
			'(DIR/<kver>-<arch>.ktap, .log, .verdicts.json, as run.py writes them) '
			'instead of running it; a run that does not match is run again')
	ap.add_argument('--as-is', action='store_true',
			help='run the suites the --kdir tree already has (committed, e.g. from make '
			'series), installing nothing (run.py --as-is)')
	args = ap.parse_args()

	if args.filter is not None and not results.expected_cases(args.filter):
		raise ToolError(f'--filter {args.filter!r} selects no case of mm-tests/')
	if args.baseline and (args.filter is not None or args.base or args.compare):
		raise ToolError('--baseline is a recorded run of every case: not with --filter, '
				'--base or --compare')
	if args.compare:
		if args.series:
			raise ToolError('--compare takes two result dirs and no series')
		return compare_dirs(*(os.path.abspath(d) for d in args.compare),
				    os.path.abspath(args.results), args.filter)
	if args.base:
		return gate_branch(args)
	if not args.series:
		raise ToolError('a series is required (a .patch file, a directory of them or an mbox), '
				'or BASE= with a git KDIR')
	if args.as_is and not args.kdir:
		raise ToolError('--as-is needs --kdir, a tree with the suites in mm/tests/')
	tmp = tempfile.mkdtemp(prefix='zdt-gate-')
	try:
		patches = series_patches(os.path.abspath(args.series), tmp)
		source = os.path.abspath(args.kdir) if args.kdir else fetch(args.kver or DEFAULT_KVER)
		version = kernel_version(source)
		results.known_failures(kver_series(version))	# a broken file is bad input, now
		out = os.path.abspath(args.results)
		shutil.rmtree(out, ignore_errors=True)
		arches = args.arch or list(DEFAULT_ARCHES)
		with workspace.Workspace(source, 'gate') as ws:
			ws.prepare(arches)
			series = Series(ws.tree, patches, os.path.join(tmp, 'backup'), git_apply=ws.git)
			return gate(ws.tree, version, series, run_source(ws, args.as_is), arches,
				    args.accel, out, args.filter, args.allow_verdict_chain,
				    os.path.abspath(args.baseline) if args.baseline and not args.as_is
				    else None)
	finally:
		shutil.rmtree(tmp, ignore_errors=True)


def run_source(ws: workspace.Workspace, as_is: bool) -> List[str]:
	"""run.py's options for the private copy: the suites stay installed
	in it (--keep: the copy is the tools' own, as the cached tree is)."""
	return ['--kdir', ws.tree, '--keep'] + (['--as-is'] if as_is else [])


def gate_branch(args: argparse.Namespace) -> int:
	"""--base: the kernel branch checked out in --kdir against BASE, as
	kernel CI gates a pull request: the baseline is the merge base of HEAD
	and BASE, the patched run HEAD, both in the private copy; the tree is
	only read."""
	if args.series:
		raise ToolError('BASE= gates the commits of KDIR itself: give no series')
	if not args.kdir:
		raise ToolError('BASE= needs KDIR=, a git kernel tree')
	source = os.path.abspath(args.kdir)
	version = kernel_version(source)
	revs = Revisions(source, args.base)
	results.known_failures(kver_series(version))	# a broken file is bad input, now
	out = os.path.abspath(args.results)
	shutil.rmtree(out, ignore_errors=True)
	arches = args.arch or list(DEFAULT_ARCHES)
	tmp = tempfile.mkdtemp(prefix='zdt-gate-')
	try:
		with workspace.Workspace(source, 'gate') as ws:
			ws.prepare(arches)
			revs.attach(ws.tree, tmp)
			zinstall.uninstall(ws.tree)	# the diff is of the tree without the suites
			try:
				revs.start()
				if kernel_version(ws.tree) != version:
					raise ToolError(f'BASE is kernel {kernel_version(ws.tree)} and HEAD '
							f'{version}: the gate compares two runs of one kernel '
							'version')
				return gate(ws.tree, version, revs, run_source(ws, args.as_is), arches,
					    args.accel, out, args.filter, args.allow_verdict_chain)
			finally:
				revs.restore()
	finally:
		shutil.rmtree(tmp, ignore_errors=True)


def gate(tree: str, version: str, series, src_args: List[str], arches: List[str],
	 accel: str, out: str, filter_glob: Optional[str] = None, allow_chain: bool = False,
	 recorded: Optional[str] = None) -> int:
	"""series: a Series (patch files) or a Revisions (BASE..HEAD of a git
	tree, already at BASE): apply(), restore(), touched(), touches_kconfig(),
	method and patches (names, for the report)."""
	base_dir, patched_dir = os.path.join(out, 'baseline'), os.path.join(out, 'patched')
	per_arch: Dict[str, dict] = {}
	patches = series.patches
	kconfig = series.touches_kconfig()
	chain = verdict_chain(series.touched())
	expected = results.expected_cases(filter_glob)
	run_args = src_args + (['--filter', filter_glob] if filter_glob else [])
	signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
	what = 'commit(s)' if isinstance(series, Revisions) else 'patch(es)'
	print(f'gate: {len(patches)} {what} on {version} ({series.method}), arches {", ".join(arches)}',
	      flush=True)
	if chain:
		print(f'gate: {chain_note(chain, allow_chain)}', flush=True)
	for arch in arches:
		name = f'{version}-{arch}'
		why = recorded_baseline(recorded, name, arch, version,
					zrun.build_dir_of(tree, arch)) if recorded else None
		if why == '':
			take_baseline(recorded, name, base_dir)
			print(f'gate: baseline {name}: the recorded run {recorded} (same kernel, '
			      '.config and suites), not run again', flush=True)
			per_arch[name] = {'base_time': 0.0, 'base_rc': 0, 'base_recorded': recorded}
			continue
		if why:
			print(f'gate: baseline {name}: {recorded} not taken ({why}); running it',
			      flush=True)
		rc, t = run_suites(run_args, arch, accel, base_dir)
		if rc == 2:
			return EXIT_BAD
		if rc == 3:
			print(f'gate: the baseline {version} {arch} does not build; nothing to compare')
			return EXIT_BASE_BUILD
		per_arch[name] = {'base_time': t, 'base_rc': rc}
	# The series goes onto the tree as its author has it: without the
	# suites' block at the end of mm/Makefile and mm/Kconfig, which run.py
	# puts back for the patched run (git apply, as git am, anchors a hunk
	# without trailing context at the end of the file).
	zinstall.uninstall(tree)
	with applied(series):
		for arch in arches:
			rc, t = run_suites(run_args, arch, accel, patched_dir, not kconfig)
			per_arch[f'{version}-{arch}'].update(patched_time=t, patched_rc=rc)
			if rc == 3:
				break

	statuses = []
	for name, a in per_arch.items():
		if 'patched_rc' not in a:
			judge(name, base_dir, patched_dir, a, expected)
			a.update(patched_counts='not run', rows=[], why={},
				 note='Not run: the series broke the build on an earlier arch.')
		elif a['patched_rc'] == 3:
			judge(name, base_dir, patched_dir, a, expected)
			statuses.append(EXIT_PATCHED_BUILD)
			a.update(patched_counts='build broken', rows=[], why={},
				 note='The patched kernel does not build: see patched/' + name + '.log')
		else:
			statuses.append(judge(name, base_dir, patched_dir, a, expected))
	status = chain_status(worst(statuses), chain, allow_chain)
	verdict = verdict_line(status, per_arch, chain if not allow_chain else None)
	intro = (f'Kernel {version}, {len(patches)} {what} applied with {series.method}: ' +
		 ', '.join(f'`{p if isinstance(series, Revisions) else os.path.basename(p)}`'
			   for p in patches))
	if chain:
		intro += '\n\n' + chain_note(chain, allow_chain)
	print()
	print(summarize(out, verdict, intro, per_arch))
	write_json(out, status, verdict, per_arch, chain, allow_chain)
	print(f'gate: {verdict} (exit {status}); results in {out}')
	return status


if __name__ == '__main__':
	main_wrapper('gate', main)
