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

Exit status: 0 nothing regressed (a case newly passing is reported, a known
failure of the kernel series, configs/known-failures, does not count); 1 a
case regressed (PASS or SKIP -> FAIL, CRASH or TIMEOUT, or PASS -> SKIP); 3
the patched kernel does not build; 4 the baseline does not build; 2 bad
input, including a series that does not apply.  Each run is bounded by
run.py (kunit.py --timeout for boot and tests), so a hung or livelocked
kernel ends as CRASH/TIMEOUT, never as a stuck job.

Writes <results>/{baseline,patched}/<kver>-<arch>.{log,ktap,json,xml} and
<results>/summary.md, a short markdown report a CI system can post."""

import argparse
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional, Set, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (DEFAULT_KVER, REPO, ToolError, kernel_version,  # noqa: E402
		    kver_series, main_wrapper)
from fetch import fetch  # noqa: E402
from run import ARCHES, known_failures, load_json, verdicts  # noqa: E402

EXIT_REGRESSED, EXIT_BAD, EXIT_PATCHED_BUILD, EXIT_BASE_BUILD = 1, 2, 3, 4
MISSING = 'CRASH'	# a case the baseline ran and the patched run never reached
BAD = ('FAIL', 'ERROR', MISSING)


def split_mbox(path: str, outdir: str) -> List[str]:
	"""The patches of @path: itself, or one file per message of an mbox."""
	with open(path, encoding='utf-8', errors='replace') as f:
		text = f.read()
	starts = [m.start() for m in re.finditer(r'^From \S+ .*$', text, re.M)]
	if len(starts) < 2:
		return [path]
	out = []
	for i, s in enumerate(starts):
		msg = text[s:starts[i + 1] if i + 1 < len(starts) else len(text)]
		if '\n--- ' not in msg and '\ndiff --git ' not in msg:
			continue	# a cover letter
		p = os.path.join(outdir, f'{len(out) + 1:04d}-{os.path.basename(path)}.patch')
		with open(p, 'w', encoding='utf-8') as f:
			f.write(msg)
		out.append(p)
	return out


def series_patches(spec: str, tmpdir: str) -> List[str]:
	"""The patch files of a series given as a file, a directory or an mbox."""
	if os.path.isdir(spec):
		files = sorted(glob.glob(os.path.join(spec, '*.patch')) +
			       glob.glob(os.path.join(spec, '*.diff')))
		if not files:
			raise ToolError(f"'{spec}' holds no .patch or .diff file")
		return files
	if not os.path.isfile(spec):
		raise ToolError(f"'{spec}' is neither a patch, a directory of patches nor an mbox")
	patches = split_mbox(spec, tmpdir)
	if not patches:
		raise ToolError(f"'{spec}' holds no patch")
	return patches


def touched_files(patch: str) -> Set[str]:
	"""Tree-relative paths a -p1 patch reads, writes, creates or deletes."""
	out = set()
	with open(patch, encoding='utf-8', errors='replace') as f:
		for line in f:
			m = re.match(r'^diff --git a/(\S+) b/(\S+)', line)
			if m:
				out.update(m.groups())
				continue
			m = re.match(r'^(?:---|\+\+\+) (\S+)', line)
			if m and m.group(1) != '/dev/null' and '/' in m.group(1):
				out.add(m.group(1).split('/', 1)[1])
	return out


def first_failure(output: str) -> str:
	"""The line of patch's or git's output that names the failing hunk."""
	lines = [l.strip() for l in output.splitlines() if l.strip()]
	for l in lines:
		if 'FAILED' in l or l.startswith('error:') or 'does not apply' in l:
			checking = [c for c in lines[:lines.index(l)] if c.startswith('checking file')]
			where = checking[-1][len('checking file '):] + ': ' if checking else ''
			return where + l
	return lines[0] if lines else 'no output'


class Series:
	"""Applies patches to a tree and puts the tree back exactly."""

	def __init__(self, tree: str, patches: List[str], backup_dir: str):
		self.tree, self.patches, self.backup_dir = tree, patches, backup_dir
		self.applied: List[str] = []
		self.git_head: Optional[str] = None
		self.saved: Dict[str, bool] = {}	# path -> existed before
		if os.path.isdir(os.path.join(tree, '.git')) and self._git_clean():
			self.git_head = self._git('rev-parse', 'HEAD').stdout.strip()

	def _git(self, *args: str) -> subprocess.CompletedProcess:
		return subprocess.run(['git', '-C', self.tree, *args], capture_output=True,
				      text=True, check=False)

	def _git_clean(self) -> bool:
		p = self._git('status', '--porcelain', '--untracked-files=no')
		return p.returncode == 0 and not p.stdout.strip()

	@property
	def method(self) -> str:
		return 'git am' if self.git_head else 'patch -p1'

	def _save(self, patch: str) -> None:
		for rel in touched_files(patch):
			if rel in self.saved:
				continue
			src = os.path.join(self.tree, rel)
			self.saved[rel] = os.path.lexists(src)
			if self.saved[rel]:
				dst = os.path.join(self.backup_dir, rel)
				os.makedirs(os.path.dirname(dst), exist_ok=True)
				shutil.copy2(src, dst)

	def _apply_git(self, patch: str) -> Tuple[int, str]:
		with open(patch, encoding='utf-8', errors='replace') as f:
			# git am wants an author; a bare diff (or one with only a
			# Subject:) goes through git apply.
			is_mail = re.search(r'^From: .*@', f.read(4096), re.M)
		p = (self._git('am', '--keep-cr', patch) if is_mail
		     else self._git('apply', '--index', patch))
		if p.returncode and is_mail:
			self._git('am', '--abort')
		return p.returncode, p.stdout + p.stderr

	def _apply_patch(self, patch: str) -> Tuple[int, str]:
		base = ['patch', '-p1', '--forward', '--batch', '--no-backup-if-mismatch', '-i', patch]
		p = subprocess.run(base + ['--dry-run'], cwd=self.tree, capture_output=True,
				   text=True, check=False)
		if p.returncode == 0:
			self._save(patch)
			p = subprocess.run(base + ['-s'], cwd=self.tree, capture_output=True,
					   text=True, check=False)
		return p.returncode, p.stdout + p.stderr

	def apply(self) -> None:
		for patch in self.patches:
			rc, out = (self._apply_git if self.git_head else self._apply_patch)(patch)
			if rc:
				raise ToolError(f'{os.path.basename(patch)} does not apply to {self.tree} '
						f'({self.method}): {first_failure(out)}')
			self.applied.append(patch)

	def restore(self) -> None:
		if self.git_head:
			if self._git('rev-parse', 'HEAD').stdout.strip() != self.git_head or \
			   not self._git_clean():
				self._git('reset', '--quiet', '--hard', self.git_head)
			return
		for rel, existed in self.saved.items():
			dst = os.path.join(self.tree, rel)
			if existed:
				os.makedirs(os.path.dirname(dst), exist_ok=True)
				shutil.copyfile(os.path.join(self.backup_dir, rel), dst)
				# A new mtime: make must rebuild what the patched copy built.
				os.utime(dst)
			elif os.path.lexists(dst):
				os.remove(dst)
		self.saved.clear()


def failures(ktap: str) -> Dict[str, str]:
	"""{'suite.case': first failed expectation and its detail} from a KTAP log."""
	out: Dict[str, str] = {}
	suite = ''
	try:
		with open(ktap, encoding='utf-8', errors='replace') as f:
			lines = [l.rstrip('\n') for l in f]
	except OSError:
		return out
	for i, line in enumerate(lines):
		m = re.match(r'^\s*# Subtest: (\S+)', line)
		if m and not line.startswith('        '):
			suite = m.group(1)
		m = re.match(r'^\s*# (\w+): (?:EXPECTATION|ASSERTION) FAILED at (\S+)', line)
		if m and f'{suite}.{m.group(1)}' not in out:
			detail = []
			for nxt in lines[i + 1:i + 5]:
				if re.match(r'^\s*(#|ok |not ok )', nxt):
					break
				detail.append(nxt.strip())
			out[f'{suite}.{m.group(1)}'] = f'{m.group(2)}: {" ".join(detail)}'
	return out


def compare(base: Dict[str, str], patched: Dict[str, str],
	    known: Dict[str, str]) -> List[Tuple[str, str, str, str]]:
	"""(case, baseline, patched, kind) of every case whose verdict changed;
	kind is 'regressed', 'fixed', 'known' (a known failure of the series) or
	'changed'."""
	rows = []
	for case in sorted(set(base) | set(patched)):
		b = base.get(case, 'absent')
		p = patched.get(case, MISSING if base and case in base else 'absent')
		if not patched and base:
			p = MISSING	# the patched run left no results at all
		if b == p or (b in BAD and p in BAD):
			continue
		if p in BAD:
			kind = 'known' if case in known else 'regressed'
		elif p == 'SKIP' and b == 'PASS':
			kind = 'regressed'	# coverage lost: a SKIP never counts as a pass
		elif b in BAD and p == 'PASS':
			kind = 'fixed'
		else:
			kind = 'changed'
		rows.append((case, b, p, kind))
	return rows


def run_suites(src_args: List[str], arch: str, accel: str, results: str) -> Tuple[int, float]:
	cmd = [sys.executable, os.path.join(REPO, 'tools/run.py'), *src_args, '--arch', arch,
	       '--accel', accel, '--results', results]
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


def summarize(out: str, version: str, patches: List[str], method: str,
	      per_arch: Dict[str, dict], verdict: str) -> str:
	md = [f'# Gate: {verdict}', '',
	      f'Kernel {version}, {len(patches)} patch(es) applied with {method}: ' +
	      ', '.join(f'`{os.path.basename(p)}`' for p in patches), '']
	for arch, a in per_arch.items():
		md.append(f'## {arch}')
		md.append(f'baseline: {a["base_counts"]} ({a["base_time"]:.0f} s); '
			  f'patched: {a["patched_counts"]} ({a["patched_time"]:.0f} s)')
		md.append('')
		if a.get('note'):
			md += [a['note'], '']
		if a['rows']:
			md += ['| case | baseline | patched | verdict | first failure |',
			       '| --- | --- | --- | --- | --- |']
			for case, b, p, kind in a['rows']:
				why = a['why'].get(case, '').replace('|', '\\|')
				md.append(f'| {case} | {b} | {p} | {kind} | {why} |')
		else:
			md.append('No case changed its verdict.')
		md.append('')
	text = '\n'.join(md)
	with open(os.path.join(out, 'summary.md'), 'w', encoding='utf-8') as f:
		f.write(text)
	return text


def count_line(verd: Dict[str, str]) -> str:
	c = {s: sum(1 for v in verd.values() if v == s) for s in ('PASS', 'FAIL', 'SKIP', 'ERROR')}
	return f'{c["PASS"]} pass, {c["FAIL"] + c["ERROR"]} fail, {c["SKIP"]} skip (cases)'


def main() -> int:
	ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	ap.add_argument('series', help='a .patch file, a directory of them, or an mbox')
	src = ap.add_mutually_exclusive_group()
	src.add_argument('--kver', default=None, help=f'Debian kernel series (default {DEFAULT_KVER})')
	src.add_argument('--kdir', default=None, help='your own kernel tree instead')
	ap.add_argument('--arch', action='append', choices=ARCHES, help='default: both')
	ap.add_argument('--accel', choices=('tcg', 'kvm'), default='tcg')
	ap.add_argument('--results', default=os.path.join(REPO, 'results', 'gate'))
	args = ap.parse_args()

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
		known = known_failures(kver_series(version))
		results = os.path.abspath(args.results)
		shutil.rmtree(results, ignore_errors=True)
		return gate(tree, version, patches, src_args, args.arch or list(ARCHES), args.accel,
			    results, known, tmp)
	finally:
		shutil.rmtree(tmp, ignore_errors=True)


def gate(tree: str, version: str, patches: List[str], src_args: List[str], arches: List[str],
	 accel: str, results: str, known: Dict[str, str], tmp: str) -> int:
	base_dir, patched_dir = os.path.join(results, 'baseline'), os.path.join(results, 'patched')
	per_arch: Dict[str, dict] = {}
	series = Series(tree, patches, os.path.join(tmp, 'backup'))
	signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
	status = 0
	print(f'gate: {len(patches)} patch(es) on {version} ({series.method}), arches {", ".join(arches)}',
	      flush=True)
	for arch in arches:
		rc, t = run_suites(src_args, arch, accel, base_dir)
		if rc == 2:
			return EXIT_BAD
		if rc == 3:
			print(f'gate: the baseline {version} {arch} does not build; nothing to compare')
			return EXIT_BASE_BUILD
		per_arch[arch] = {'base_time': t, 'base_rc': rc}
	try:
		series.apply()
		for arch in arches:
			rc, t = run_suites(src_args, arch, accel, patched_dir)
			per_arch[arch].update(patched_time=t, patched_rc=rc)
			if rc == 3:
				break
	finally:
		series.restore()

	verdict = 'PASS: nothing regressed'
	for arch in arches:
		a = per_arch[arch]
		name = f'{version}-{arch}'
		base = verdicts(os.path.join(base_dir, f'{name}.json'))
		a['base_counts'] = count_line(base)
		if 'patched_rc' not in a:
			a.update(patched_time=0, patched_counts='not run', rows=[], why={},
				 note='Not run: the series broke the build on an earlier arch.')
			continue
		if a['patched_rc'] == 3:
			status = max(status, EXIT_PATCHED_BUILD)
			a.update(patched_counts='build broken', rows=[], why={},
				 note='The patched kernel does not build: see patched/' + name + '.log')
			verdict = 'FAIL: the series breaks the build'
			continue
		patched = verdicts(os.path.join(patched_dir, f'{name}.json'))
		a['patched_counts'] = count_line(patched) if patched else 'no results'
		a['rows'] = compare(base, patched, known)
		a['why'] = failures(os.path.join(patched_dir, f'{name}.ktap'))
		was = failures(os.path.join(base_dir, f'{name}.ktap'))
		for case, _, _, kind in a['rows']:
			if kind == 'fixed' and case in was:
				a['why'][case] = 'baseline: ' + was[case]
		if any(p in ('ERROR', MISSING) for _, _, p, _ in a['rows']) or not patched:
			tail = log_tail(os.path.join(patched_dir, f'{name}.log'))
			a['note'] = ('The patched kernel crashed or timed out (kunit.py --timeout); '
				     'log tail:\n\n```\n' + tail + '```')
		if any(kind == 'regressed' for *_, kind in a['rows']):
			status = max(status, EXIT_REGRESSED) if status != EXIT_PATCHED_BUILD else status
			verdict = 'FAIL: the series regresses the suites'

	fixed = sum(1 for a in per_arch.values() for *_, k in a.get('rows', []) if k == 'fixed')
	if fixed:
		verdict += f'; {fixed} case(s) newly pass'
	print()
	print(summarize(results, version, patches, series.method, per_arch, verdict))
	print(f'gate: {verdict} (exit {status}); results in {results}')
	return status


if __name__ == '__main__':
	main_wrapper('gate', main)
