# SPDX-License-Identifier: GPL-2.0
"""series: apply a kernel patch series to a tree and put the tree back.

The series is a .patch file, a directory of them (applied in name order) or
an mbox of several.  A clean git tree gets them with git am (git apply for a
bare diff) and is reset to its old HEAD afterwards; any other tree gets
patch -p1 and the touched files back from a copy.  tools/gate.py,
tools/mutants.py and tools/flake.py apply their patches this way.

Revisions is the same interface over a git kernel tree's own history: the
"series" is BASE..HEAD, the baseline the merge base checked out, applying
it checks out HEAD, and restoring puts back the branch (or commit) the tree
was on."""

import contextlib
import glob
import os
import re
import shutil
import subprocess
import sys
from typing import Dict, Iterator, List, Optional, Set, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import ToolError  # noqa: E402


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


def touches_kconfig(patches: List[str]) -> bool:
	"""True if a patch of the series changes a Kconfig file: then a rebuild
	goes through kunit.py run (its olddefconfig), not run.py --incremental."""
	return any(os.path.basename(f).startswith('Kconfig')
		   for p in patches for f in touched_files(p))


# What decides a verdict inside the kernel tree: KUnit and the suites as
# tools/install.py puts them there.  A series touching it is named by the
# gate and does not pass without --allow-verdict-chain.
VERDICT_CHAIN = ('tools/testing/kunit/', 'lib/kunit/', 'include/kunit/',
		 'mm/tests/zone_device_', 'mm/tests/Makefile', 'mm/tests/Kconfig')


def verdict_chain(paths) -> List[str]:
	"""The paths (tree-relative) that are part of the verdict chain."""
	return sorted(p for p in set(paths) if p.startswith(VERDICT_CHAIN))


@contextlib.contextmanager
def applied(series) -> Iterator[None]:
	"""A Series (or Revisions) applied for the block, the tree put back
	after it, also on an error or an interrupt: gate.py, mutants.py and
	flake.py apply their patches this way."""
	try:
		series.apply()
		yield
	finally:
		series.restore()


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
		if os.path.exists(os.path.join(tree, '.git')) and self._git_clean():
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

	def touches_kconfig(self) -> bool:
		return touches_kconfig(self.patches)

	def touched(self) -> Set[str]:
		"""Tree-relative paths the patches touch (their diff headers)."""
		return {f for p in self.patches for f in touched_files(p)}

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


class Revisions:
	"""A git tree's commits from the merge base of HEAD and BASE to HEAD, as
	a series: start() checks out the merge base (the baseline), apply()
	HEAD, restore() the branch or detached commit the tree was found at.
	The tree must be clean (tracked files); it is never reset, only checked
	out, so nothing of it is lost."""

	def __init__(self, tree: str, base: str):
		self.tree = tree
		if not os.path.exists(os.path.join(tree, '.git')):
			raise ToolError(f'BASE= needs a git tree: {tree} is not one')
		if self._git('status', '--porcelain', '--untracked-files=no').stdout.strip():
			raise ToolError(f'{tree} has uncommitted changes: commit or stash them first')
		self.head = self._rev('rev-parse', 'HEAD')
		branch = self._git('symbolic-ref', '-q', '--short', 'HEAD').stdout.strip()
		self.found_at = branch or self.head
		self.base = self._rev('merge-base', 'HEAD', base, what=f'BASE {base!r}')
		if self.base == self.head:
			raise ToolError(f'nothing to gate: HEAD is {base!r} or an ancestor of it')
		log = self._git('log', '--no-merges', '--format=%h %s', f'{self.base}..{self.head}')
		self.patches = log.stdout.splitlines()	# 'sha subject', newest first
		self.method = f'git checkout {self.base[:12]}..{self.head[:12]}'

	def _git(self, *args: str) -> subprocess.CompletedProcess:
		return subprocess.run(['git', '-C', self.tree, *args], capture_output=True,
				      text=True, check=False)

	def _rev(self, *args: str, what: str = 'HEAD') -> str:
		p = self._git(*args)
		if p.returncode or not p.stdout.strip():
			raise ToolError(f'{what} is not a revision of {self.tree}')
		return p.stdout.strip()

	def _checkout(self, *rev: str) -> None:
		p = self._git('checkout', '--quiet', *rev)
		if p.returncode:
			raise ToolError(f'git checkout {" ".join(rev)} in {self.tree}: '
					f'{(p.stderr.strip().splitlines() or ["failed"])[-1]}')

	def touched(self) -> Set[str]:
		"""Tree-relative paths BASE..HEAD changes (git diff --name-only)."""
		p = self._git('diff', '--name-only', self.base, self.head)
		if p.returncode:
			raise ToolError(f'git diff --name-only {self.base[:12]} {self.head[:12]} failed')
		return set(p.stdout.split())

	def touches_kconfig(self) -> bool:
		return any(os.path.basename(f).startswith('Kconfig') for f in self.touched())

	def start(self) -> None:
		self._checkout('--detach', self.base)

	def apply(self) -> None:
		self._checkout('--detach', self.head)

	def restore(self) -> None:
		if self.found_at == self.head:
			self._checkout('--detach', self.head)
		else:
			self._checkout(self.found_at)
