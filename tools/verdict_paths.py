#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""verdict_paths: every way a run can end gets the verdict it should.

Each patches/verdict-paths/*.patch changes only the harness's conditions
(a WARN in a suite's exit or between two cases, a WARN no console prints,
a panic before the first case, a hang in the middle of a suite, a suite
KUnit never runs) and says in its headers which verdict each tool must
give it:

  Verdict-run: <exit> <what>      tools/run.py on x86_64 with the patch
  Verdict-modules: <exit> <what>  the same, run.py --modules (optional)
  Verdict-gate: <exit> <what>     tools/gate.py with the patch as the series
  Verdict-mutants: <verdict>      tools/mutants.py on the patch (its Caught-by)

<what> is '<suite.case> FAIL' (or CRASH): that case has that verdict;
'booted, no KTAP': run.py says so; 'incomplete': the run did not report
every case; for the gate, the word its summary must hold ('regressed',
'crash').  A patch that touches the verdict chain (series.verdict_chain():
lib/kunit/ here) is gated with --allow-verdict-chain, and the summary must
name the file.

For run.py's rows each patch is applied to a private copy of the kernel
tree (tools/workspace.py, as the gate and mutants do it; the tree given,
or the tools' cached one, is only read) and taken out again; the gate
and mutants rows run those tools on the same tree, which make their own
use of the same copy.  Prints one row per patch
and tool; exits 1 if any verdict differs from the one its patch states."""

import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile
from typing import Dict, List, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli  # noqa: E402
import install as zinstall  # noqa: E402
import lock  # noqa: E402
import results  # noqa: E402
import workspace  # noqa: E402
from common import DEFAULT_KVER, REPO, ToolError, kernel_version, main_wrapper  # noqa: E402
from fetch import fetch  # noqa: E402
from series import Series, applied, touched_files, verdict_chain  # noqa: E402

DIR = os.path.join(REPO, 'patches', 'verdict-paths')
TOOLS = ('run', 'modules', 'gate', 'mutants')


def verdicts(patch: str) -> Dict[str, str]:
	"""{'run': '1 zone_device_watch.no_splat_outside_a_case FAIL', ...}
	of a patch's Verdict-* headers."""
	with open(patch, encoding='utf-8') as f:
		head = f.read().split('\n---\n', 1)[0]
	got = {m.group(1).lower(): m.group(2).strip()
	       for m in re.finditer(r'^Verdict-(\w+): (.*)$', head, re.M)}
	bad = sorted(set(got) - set(TOOLS))
	if bad or not all(t in got for t in ('run', 'gate', 'mutants')):
		raise ToolError(f'{patch}: Verdict-run, -gate and -mutants are required '
				f'(-modules optional); unknown: {", ".join(bad) or "none"}')
	return got


def tool(args: List[str]) -> Tuple[int, str]:
	p = subprocess.run([sys.executable] + args, capture_output=True, text=True, check=False,
			   pass_fds=lock.held_fds())
	return p.returncode, p.stdout + p.stderr


def check_run(want: str, rc: int, out: str, ktap: str) -> str:
	"""'' if run.py's exit, output and results are what @want says."""
	code, _, what = want.partition(' ')
	if rc != int(code):
		return f'exit {rc}, not {code}'
	if what == 'booted, no KTAP':
		return '' if 'no KTAP' in out else 'run.py did not say "booted, no KTAP"'
	# What the run was to report: every case of mm-tests/, as run.py reads it.
	run = results.load_known(ktap, results.expected_cases())
	if what == 'incomplete':
		return 'the run is complete' if run.complete else ''
	m = re.fullmatch(r'(\w+\.\w+) (\w+)', what)
	if not m:
		raise ToolError(f'cannot read the verdict "{want}"')
	case = run.cases.get(m.group(1))
	got = str(case.status) if case else 'absent'
	return '' if got == m.group(2) else f'{m.group(1)} is {got}, not {m.group(2)}'


def one(tree: str, src_args: List[str], patch: str, out: str, accel: str,
	git_apply: bool = False, baseline: str = '') -> List[Tuple[str, str, str]]:
	"""(tool, wanted, problem or '') of one patch, each tool in turn: run.py
	on tree (the private copy), the gate and mutants on src_args' tree.
	baseline: a recorded run of the tree the gate may take as its baseline
	(gate.py --baseline)."""
	want = verdicts(patch)
	name = os.path.basename(patch)[:-len('.patch')]
	chain = verdict_chain(touched_files(patch))
	rows = []
	version = kernel_version(tree)
	for t in ('run', 'modules'):
		if t not in want:
			continue
		res = os.path.join(out, name, t)
		with tempfile.TemporaryDirectory(prefix='zdt-vp-') as backup:
			with applied(Series(tree, [patch], backup, git_apply=git_apply)):
				rc, text = tool([os.path.join(REPO, 'tools/run.py'), '--kdir', tree,
						 '--keep', '--arch', 'x86_64', '--accel', accel,
						 '--incremental', '--results', res] +
						(['--modules'] if t == 'modules' else []))
		with open(os.path.join(out, name, f'{t}.out'), 'w', encoding='utf-8') as f:
			f.write(text)
		ktap = os.path.join(res, f'{version}-x86_64{"-modules" if t == "modules" else ""}.ktap')
		rows.append((t, want[t], check_run(want[t], rc, text, ktap)))
	res = os.path.join(out, name, 'gate')
	rc, text = tool([os.path.join(REPO, 'tools/gate.py'), patch, *src_args, '--arch',
			 'x86_64', '--accel', accel, '--results', res] +
			(['--allow-verdict-chain'] if chain else []) +
			(['--baseline', baseline] if baseline else []))
	with open(os.path.join(out, name, 'gate.out'), 'w', encoding='utf-8') as f:
		f.write(text)
	code, _, what = want['gate'].partition(' ')
	problem = f'exit {rc}, not {code}' if rc != int(code) else ''
	try:
		with open(os.path.join(res, 'summary.md'), encoding='utf-8') as f:
			summary = f.read()
	except OSError:
		summary = ''
	if not problem and what and what.split()[-1] not in summary:
		problem = f'the summary does not say "{what.split()[-1]}"'
	if not problem and chain and not all(c in summary for c in chain):
		problem = f'the summary does not name {", ".join(chain)} (verdict chain)'
	rows.append(('gate', want['gate'], problem))
	rc, text = tool([os.path.join(REPO, 'tools/mutants.py'), *src_args, '--accel', accel,
			 '--results', os.path.join(out, name, 'mutants'), patch])
	with open(os.path.join(out, name, 'mutants.out'), 'w', encoding='utf-8') as f:
		f.write(text)
	m = re.search(rf'^{re.escape(name)}\.patch: (.*)$', text, re.M)
	got = m.group(1) if m else f'no verdict (exit {rc})'
	rows.append(('mutants', want['mutants'],
		     '' if got.startswith(want['mutants']) else f'said "{got}"'))
	return rows


def main() -> int:
	ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	ap.add_argument('patches', nargs='*', help='default: patches/verdict-paths/*.patch')
	cli.add_options(ap, source={}, accel={}, results={'under': 'verdict-paths'})
	ap.add_argument('--baseline', metavar='DIR',
			help="a recorded run of the tree (run.py's results) the gate rows take as "
			'their baseline (gate.py --baseline); default: the first gate row runs it and '
			'the others take its')
	args = ap.parse_args()
	patches = [os.path.abspath(p) for p in args.patches] or \
		sorted(glob.glob(os.path.join(DIR, '*.patch')))
	if not patches:
		raise ToolError(f'no patches in {DIR}')
	for p in patches:
		verdicts(p)	# bad headers are bad input, before anything runs
	kver = args.kver or DEFAULT_KVER
	source = os.path.abspath(args.kdir) if args.kdir else fetch(kver)
	src_args = ['--kdir', source] if args.kdir else ['--kver', kver]
	out = os.path.abspath(args.results)
	bad = 0
	with workspace.Workspace(source, 'verdict_paths') as ws:
		ws.prepare(['x86_64'], (False, True) if any('modules' in verdicts(p) for p in patches)
			   else (False,))
		zinstall.install(ws.tree)	# the copy keeps them, as the cached tree does
		print('| patch | tool | verdict it must get | got |\n| --- | --- | --- | --- |')
		baseline = os.path.abspath(args.baseline) if args.baseline else ''
		for p in patches:
			for t, want, problem in one(ws.tree, src_args, p, out, args.accel, ws.git,
						    baseline):
				bad += bool(problem)
				print(f'| {os.path.basename(p)} | {t} | {want} | {problem or "as stated"} |',
				      flush=True)
			# One baseline for every gate row: the tree is the same.
			name = os.path.basename(p)[:-len('.patch')]
			baseline = baseline or os.path.join(out, name, 'gate', 'baseline')
	print(f'\nverdict paths: {len(patches)} patches, {bad} verdict(s) not as stated')
	return 1 if bad else 0


if __name__ == '__main__':
	main_wrapper('verdict_paths', main)
