#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""matrix: run the suites on every supported kernel and write docs/semantics.md.

One row per rule (a test case: what core mm promises, from the case's own
comment, and the commits it cites), one column per kernel (QEMU x86_64) plus
QEMU arm64 and UML on the default kernel.  A cell is PASS; FAIL (known bug,
with its patch); FAIL; differs (PASS, but the case checked this version's own
rule, which it printed as "rule: ..."); or n/a (SKIP, with the reason the case
gave).  A section per other QEMU arch names the cases whose verdict differs
from x86_64 on the same kernel.

The runs are tools/run.py's (build dirs and ccache under the cache, reused);
--no-run only rewrites the document from the results already there, and
--shard K/N runs a share of the runs (for N CI runners) and writes nothing."""

import argparse
import datetime
import glob
import os
import re
import subprocess
import sys
import time
from typing import Dict, List, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli  # noqa: E402
import results  # noqa: E402
from common import ARCHES, DEFAULT_KVER, REPO, ToolError, check_kver, main_wrapper  # noqa: E402

KVERS = ('6.12', '7.2', '7.3')
DOC = os.path.join(REPO, 'docs', 'semantics.md')


def first_paren(text: str) -> List[str]:
	"""The first parenthesised remark of a rule (the function, file or
	document it cites when it names no commit), balanced; [] if none."""
	start = text.find('(')
	depth = 0
	for i in range(max(start, 0), len(text)):
		depth += {'(': 1, ')': -1}.get(text[i], 0)
		if start >= 0 and depth == 0:
			return [text[start + 1:i]]
	return []


def rules() -> List[Tuple[str, str, List[str]]]:
	"""(suite.case, rule, cited commits) of every case, in suite order."""
	out = []
	for path in sorted(glob.glob(os.path.join(REPO, 'mm-tests', '*_kunit.c'))):
		with open(path, encoding='utf-8') as f:
			src = f.read()
		comments = {m.group(2): m.group(1) for m in re.finditer(
			r'/\*\n((?: \*.*\n)+?) \*/\nstatic void (\w+)\(struct kunit \*test\)', src)}
		for body in re.findall(r'static struct kunit_suite \w+ = \{(.*?)\n\};', src, re.S):
			suite = re.search(r'\.name = "(\w+)"', body).group(1)
			arr = re.search(r'\.test_cases = (\w+)', body).group(1)
			# The first definition: a suite may have a stub array for
			# kernels without ZONE_DEVICE after it.
			cases = re.search(rf'static struct kunit_case {arr}\[\] = {{(.*?)\n}};', src, re.S)
			seen = []
			for case in re.findall(r'KUNIT_CASE\w*\((\w+)', cases.group(1)):
				if case in seen:
					continue
				seen.append(case)
				text = ' '.join(l.lstrip(' *') for l in comments.get(case, '').splitlines())
				text = re.sub(r'\s+', ' ', text).strip()
				rule = re.split(r'\s+Succeeds if', text)[0].strip()
				commits = re.findall(r'\b([0-9a-f]{12})\b(?: \("?([^")]*)"?\)| "([^"]*)")?', text)
				cites = [c[0] + (f' "{c[1] or c[2]}"' if (c[1] or c[2]) else '') for c in commits]
				out.append((f'{suite}.{case}', rule, cites or first_paren(rule)))
	return out


RULE = re.compile(r'^\s+# (\w+): rule: (.*)')


def rules_said(case: results.Case) -> str:
	"""The "rule: ..." lines a case printed (its version's own rule), once
	each, joined with '; '."""
	said: List[str] = []
	for line in case.log:
		m = RULE.match(line)
		if m and m.group(2).strip() not in said:
			said.append(m.group(2).strip())
	return '; '.join(said)


def result_files(results_dir: str, series: str, arch: str) -> Optional[Tuple[str, str]]:
	"""(version, KTAP path) of the newest run of a kernel series and arch."""
	found = sorted(glob.glob(os.path.join(results_dir, f'{series}.*-{arch}.ktap')),
		       key=os.path.getmtime)
	if not found:
		return None
	path = found[-1]
	return os.path.basename(path)[:-len(f'-{arch}.ktap')], path


def cell(case: Optional[results.Case], newest_said: Dict[str, str]) -> str:
	"""One cell: the case's verdict on one kernel (tools/results.py)."""
	if case is None:
		return 'not run'
	S = results.Status
	if case.status == S.SKIP:
		return 'n/a: ' + (case.skip_reason or 'skipped')
	if case.status == S.KNOWN:
		patch = re.search(r'patches/\S+\.patch', case.known.reason)
		link = f' ([fix](../{patch.group(0)}))' if patch else ''
		return f'FAIL (known bug){link}'
	if case.status in (S.FAIL, S.CRASH):
		return str(case.status)
	said = rules_said(case)
	verdict = f'differs: {said}' if said and said != newest_said.get(case.name, said) else 'PASS'
	# A case passes when one parameter does; the ones that skipped still say why.
	for param, why in case.skipped_params:
		verdict += f'; n/a for {param}: {why or "skipped"}'
	return verdict


def arch_differences(data: List[Tuple[str, str, str, results.Run, Dict[str, str]]]) -> List[str]:
	"""A section naming each case whose verdict on a kernel differs between
	x86_64 and another arch (QEMU arm64; UML, with patches/uml's arch/um
	series on the kernels it covers), with the known failure's reason or
	the skip's where there is one."""
	x86 = {v: run for _, v, a, run, _ in data if a == 'x86_64'}
	out: List[str] = []
	for heading, version, arch, run, _ in data:
		if arch == 'x86_64' or version not in x86:
			continue
		out += ['', f'## {heading} against x86_64 {version}', '']
		diffs = 0
		for name, case in run.cases.items():
			other = x86[version].cases.get(name)
			if other is None:
				continue
			lost = [(p, w) for p, w in case.skipped_params
				if p not in dict(other.skipped_params)]
			if other.status == case.status and not lost:
				continue
			diffs += 1
			if other.status == case.status:
				out.append(f'- `{name}`: {case.status} on both; on {arch} '
					   + '; '.join(f'{p} skips: {w}' for p, w in lost))
				continue
			skipped = case.status == results.Status.SKIP and case.skip_reason
			why = f': {case.skip_reason}' if skipped else \
				f': {case.known.reason}' if case.known else \
				f': {case.first_failure()}' if case.first_failure() else ''
			out.append(f'- `{name}`: x86_64 {other.status}, {arch} {case.status}{why}')
		if not diffs:
			out.append(f'Every case has the same verdict on {arch} and x86_64.')
	return out


def render(columns: List[Tuple[str, str, str]], results_dir: str, took: Dict[str, float]) -> str:
	"""columns: (heading, series, arch)."""
	data = []
	for heading, series, arch in columns:
		found = result_files(results_dir, series, arch)
		if not found:
			raise ToolError(f'no results for {series} {arch} in {results_dir}: run without --no-run')
		version, path = found
		run = results.load_known(path)
		said = {n: rules_said(c) for n, c in run.cases.items()}
		data.append((heading.format(version=version), version, arch, run, said))
	newest_said: Dict[str, str] = data[-1][4] if data else {}
	for d in data:
		if d[2] == 'x86_64':
			newest_said = d[4]	# the last x86_64 column is the newest kernel
	today = datetime.date.today().isoformat()
	md = ['# ZONE_DEVICE semantics by kernel version', '',
	      f'Generated by `make matrix` (tools/matrix.py) on {today} from the runs of the suites '
	      'in `mm-tests/`: ' + ', '.join(f'{h} ({v}, {a})' for h, v, a, *_ in data) + '.', '',
	      'Cells: **PASS** the kernel keeps the rule; **differs** the case checked this '
	      "version's own rule, which is given; **FAIL (known bug)** a recorded kernel bug "
	      '(configs/known-failures) with the fix; **n/a** the case skipped, with the reason it '
	      'printed.', '']
	md.append('| rule (test case) | what core mm promises | defined by | ' +
		  ' | '.join(h for h, *_ in data) + ' |')
	md.append('| --- | --- | --- | ' + ' | '.join('---' for _ in data) + ' |')
	for case, rule, cites in rules():
		cells = [cell(run.cases.get(case), newest_said) for _, _, _, run, _ in data]
		esc = lambda t: t.replace('|', '\\|')  # noqa: E731
		md.append(f'| `{case}` | {esc(rule)} | {esc("; ".join(cites)) or "see comment"} | ' +
			  ' | '.join(esc(c) for c in cells) + ' |')
	md += arch_differences(data)
	md += ['', '## Runs', '']
	for h, v, a, run, _ in data:
		c = {st: len(run.with_status(st)) for st in results.Status}
		t = took.get(f'{v}-{a}')
		md.append(f'- {h}: {c[results.Status.PASS]} pass, {c[results.Status.FAIL]} fail, '
			  f'{c[results.Status.KNOWN]} known bug, {c[results.Status.CRASH]} crash, '
			  f'{c[results.Status.SKIP]} skip (cases, parameters folded)' +
			  (f'; {t:.0f} s' if t else ''))
	md.append('')
	return '\n'.join(md)


def matrix_runs(kvers: List[str]) -> List[Tuple[str, str]]:
	"""(kernel series, arch) of every run: x86_64 on each kernel, every arch
	on the default one."""
	return [(kver, arch) for kver in kvers
		for arch in (ARCHES if kver == DEFAULT_KVER else ('x86_64',))]


def main() -> int:
	ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	ap.add_argument('--kver', action='append', type=check_kver,
			help=f'default: all ({", ".join(KVERS)})')
	cli.add_options(ap, accel={}, results={'under': 'matrix'},
			shard={'help': 'only the K-th of N shares of the runs (for N CI runners), '
			       'and no document: merge their results into one dir and run --no-run'})
	ap.add_argument('--no-run', action='store_true', help='only rewrite the document')
	ap.add_argument('--output', default=DOC)
	args = ap.parse_args()
	kvers = args.kver or list(KVERS)
	results_dir = os.path.abspath(args.results)
	took: Dict[str, float] = {}
	status = 0
	runs = matrix_runs(kvers)
	k, n = args.shard
	if not args.no_run:
		start = time.monotonic()
		for kver, arch in cli.share(runs, k, n):
			t = time.monotonic()
			rc = subprocess.run([sys.executable, os.path.join(REPO, 'tools/run.py'),
					     '--kver', kver, '--arch', arch, '--accel', args.accel,
					     '--results', results_dir], check=False).returncode
			found = result_files(results_dir, kver, arch)
			if found:
				took[f'{found[0]}-{arch}'] = time.monotonic() - t
			if rc in (2, 3):
				return rc
			status = max(status, rc)
		print(f'matrix: all runs took {time.monotonic() - start:.0f} s')
	if n > 1:
		ran = ', '.join(f'{v} {a}' for v, a in cli.share(runs, k, n))
		print(f'matrix: shard {k}/{n} ran {ran}; no document: put every shard\'s '
		      f'{results_dir} into one dir and run --no-run --results <dir>')
		return status
	columns = [('{version}', k, 'x86_64') for k in kvers]
	if DEFAULT_KVER in kvers:
		columns.append(('arm64 {version}', DEFAULT_KVER, 'arm64'))
		columns.append(('UML {version}', DEFAULT_KVER, 'um'))
	text = render(columns, results_dir, took)
	os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
	with open(args.output, 'w', encoding='utf-8') as f:
		f.write(text)
	print(f'matrix: wrote {args.output}')
	return status


if __name__ == '__main__':
	main_wrapper('matrix', main)
