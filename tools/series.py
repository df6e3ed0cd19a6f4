# SPDX-License-Identifier: GPL-2.0
"""series: apply a kernel patch series to a tree and put the tree back.

The series is a .patch file, a directory of them (applied in name order) or
an mbox of several.  Each patch is applied with git apply (a copy of a git
tree, or a git tree: as strict as git am, and it reads mails and binary
diffs) or patch -p1 (any other tree), after the files it touches are saved;
restore() puts them back from the copies (with a new mtime, so that make
rebuilds what the patched files built).  Nothing is ever committed, no
branch moved, no tree reset: tools/gate.py, tools/mutants.py,
tools/flake.py and tools/verdict_paths.py apply their series to a private
copy of the tree (tools/workspace.py), never to the tree itself.  With a
journal entry (tools/journal.py) a Series records, before each patch, what
it saved and, after it, the hashes it left, so that a later run puts the
tree back if this one dies (undo()).

Revisions is the same interface over a git kernel tree's own history: the
"series" is BASE..HEAD.  The diff of the merge base to HEAD is applied in
reverse to a private copy of the tree for the baseline, and taken out again
for HEAD: the tree itself is only read (git diff), never checked out."""

import contextlib
import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys
from typing import Dict, Iterator, List, Optional, Set, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import journal  # noqa: E402
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


def file_hash(path: str) -> Optional[str]:
	if not os.path.isfile(path) or os.path.islink(path):
		return None
	with open(path, 'rb') as f:
		return hashlib.sha256(f.read()).hexdigest()


def git_env(tree: str) -> Dict[str, str]:
	"""git's environment in tree: no optional locks (git status never
	writes the index of a tree it only reads), and for a tree that is not a
	git work tree, no search for one above it (git apply then works as
	patch -p1 does, relative to the tree)."""
	env = dict(os.environ, GIT_OPTIONAL_LOCKS='0')
	for k in ('GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE'):
		env.pop(k, None)
	if not os.path.exists(os.path.join(tree, '.git')):
		env['GIT_CEILING_DIRECTORIES'] = os.path.dirname(os.path.realpath(tree))
	return env


class Series:
	"""Applies patches to a tree and puts the tree back exactly.

	git_apply: True for git apply, False for patch -p1, None: git apply if
	the tree is a git work tree.  reverse: apply each patch in reverse.
	entry: a journal entry, opened before the first file is touched."""

	def __init__(self, tree: str, patches: List[str], backup_dir: str,
		     git_apply: Optional[bool] = None, reverse: bool = False,
		     entry: Optional[journal.Entry] = None):
		self.tree, self.patches, self.backup_dir = tree, patches, backup_dir
		self.applied: List[str] = []
		self.saved: Dict[str, bool] = {}	# path -> existed before
		self.expect: Dict[str, Optional[str]] = {}	# path -> hash after the last patch
		self.git = os.path.exists(os.path.join(tree, '.git')) if git_apply is None else git_apply
		self.reverse, self.entry = reverse, entry

	@property
	def method(self) -> str:
		return ('git apply' if self.git else 'patch -p1') + (' -R' if self.reverse else '')

	def touches_kconfig(self) -> bool:
		return touches_kconfig(self.patches)

	def touched(self) -> Set[str]:
		"""Tree-relative paths the patches touch (their diff headers)."""
		return {f for p in self.patches for f in touched_files(p)}

	def _note(self, pending: List[str]) -> None:
		if self.entry is not None:
			self.entry.update(backup=self.backup_dir, saved=self.saved, expect=self.expect,
					  pending=pending)

	def _save(self, patch: str) -> List[str]:
		rels = sorted(touched_files(patch))
		for rel in rels:
			if rel in self.saved:
				continue
			src = os.path.join(self.tree, rel)
			self.saved[rel] = os.path.lexists(src)
			if self.saved[rel]:
				dst = os.path.join(self.backup_dir, rel)
				os.makedirs(os.path.dirname(dst), exist_ok=True)
				shutil.copy2(src, dst, follow_symlinks=False)
		self._note(rels)
		return rels

	def _run(self, args: List[str]) -> subprocess.CompletedProcess:
		if self.git:
			return subprocess.run(['git', 'apply'] + args, cwd=self.tree, capture_output=True,
					      text=True, env=git_env(self.tree), check=False)
		return subprocess.run(['patch', '-p1', '--forward', '--batch', '--no-backup-if-mismatch']
				      + args, cwd=self.tree, capture_output=True, text=True, check=False)

	def _apply_one(self, patch: str) -> Tuple[int, str]:
		rev = ['-R'] if self.reverse else []
		dry = self._run(rev + ['--check', patch] if self.git else
				rev + ['--dry-run', '-i', patch])
		if dry.returncode:
			return dry.returncode, dry.stdout + dry.stderr
		rels = self._save(patch)
		p = self._run(rev + [patch] if self.git else rev + ['-s', '-i', patch])
		for rel in rels:
			self.expect[rel] = file_hash(os.path.join(self.tree, rel))
		self._note([])
		return p.returncode, p.stdout + p.stderr

	def apply(self) -> None:
		if self.entry is not None and not self.entry.is_open:
			self.entry.open(backup=self.backup_dir, saved={}, expect={}, pending=[])
		for patch in self.patches:
			rc, out = self._apply_one(patch)
			if rc:
				raise ToolError(f'{os.path.basename(patch)} does not apply to {self.tree} '
						f'({self.method}): {first_failure(out)}')
			self.applied.append(patch)

	def restore(self) -> None:
		put_back(self.tree, self.backup_dir, self.saved)
		self.saved.clear()
		self.expect.clear()
		if self.entry is not None:
			self.entry.close()


def put_back(tree: str, backup_dir: str, saved: Dict[str, bool]) -> None:
	"""The saved originals back into tree (a new mtime: make must rebuild
	what the patched copy built); files a patch created removed."""
	for rel, existed in saved.items():
		dst = os.path.join(tree, rel)
		if existed:
			os.makedirs(os.path.dirname(dst), exist_ok=True)
			if os.path.lexists(dst) and (os.path.islink(dst) or not os.path.isfile(dst)):
				os.remove(dst)
			shutil.copyfile(os.path.join(backup_dir, rel), dst, follow_symlinks=False)
			if not os.path.islink(dst):
				os.utime(dst)
		elif os.path.lexists(dst):
			os.remove(dst)


def undo(data: dict) -> str:
	"""journal.py's handler: puts back the files a dead run's Series
	patched, if each still holds what the run left (or its original; a
	file of the patch that was being applied when the run died is taken
	back either way)."""
	tree, u = data['tree'], data['undo']
	backup, saved = u.get('backup', ''), u.get('saved', {})
	pending, expect = set(u.get('pending', [])), u.get('expect', {})
	changed = []
	for rel, existed in saved.items():
		if rel in pending:
			continue
		orig = file_hash(os.path.join(backup, rel)) if existed else None
		if file_hash(os.path.join(tree, rel)) not in (expect.get(rel, orig), orig):
			changed.append(rel)
	if changed:
		raise journal.Refused(f'{len(changed)} file(s) a run patched changed since ({changed[0]} '
				      f'first): the originals are in {backup}; put them back by hand, '
				      'then delete the journal entry')
	missing = [rel for rel, existed in saved.items()
		   if existed and not os.path.lexists(os.path.join(backup, rel))]
	if missing:
		raise journal.Refused(f'the saved original of {missing[0]} is missing from {backup}: '
				      'check the tree by hand, then delete the journal entry')
	put_back(tree, backup, saved)
	for d in u.get('cleanup', []):
		shutil.rmtree(d, ignore_errors=True)
	return f'put back {len(saved)} file(s) it had patched'


class Revisions:
	"""A git tree's commits from the merge base of HEAD and BASE to HEAD, as
	a series over a private copy of the tree (attach()): start() applies
	the diff of the merge base to HEAD in reverse (the baseline), apply()
	takes it out again (HEAD), restore() too.  The tree itself must be
	clean (tracked files), so that the copy is HEAD; it is only read."""

	def __init__(self, tree: str, base: str):
		self.tree = tree
		if not os.path.exists(os.path.join(tree, '.git')):
			raise ToolError(f'BASE= needs a git tree: {tree} is not one')
		if self._git('status', '--porcelain', '--untracked-files=no').stdout.strip():
			raise ToolError(f'{tree} has uncommitted changes: commit or stash them first')
		self.head = self._rev('rev-parse', 'HEAD')
		self.base = self._rev('merge-base', 'HEAD', base, what=f'BASE {base!r}')
		if self.base == self.head:
			raise ToolError(f'nothing to gate: HEAD is {base!r} or an ancestor of it')
		log = self._git('log', '--no-merges', '--format=%h %s', f'{self.base}..{self.head}')
		self.patches = log.stdout.splitlines()	# 'sha subject', newest first
		self.method = f'git diff {self.base[:12]}..{self.head[:12]}, in a private copy'
		self.series: Optional[Series] = None

	def _git(self, *args: str) -> subprocess.CompletedProcess:
		return subprocess.run(['git', '-C', self.tree, *args], capture_output=True,
				      text=True, env=git_env(self.tree), check=False)

	def _rev(self, *args: str, what: str = 'HEAD') -> str:
		p = self._git(*args)
		if p.returncode or not p.stdout.strip():
			raise ToolError(f'{what} is not a revision of {self.tree}')
		return p.stdout.strip()

	def attach(self, copy: str, scratch: str) -> None:
		"""The series works on copy (a private copy of the tree at HEAD);
		scratch holds the diff and the saved files."""
		diff = os.path.join(scratch, 'base-to-head.diff')
		with open(diff, 'wb') as f:
			p = subprocess.run(['git', '-C', self.tree, 'diff', '--binary', '--full-index',
					    '--no-renames', self.base, self.head], stdout=f,
					   stderr=subprocess.PIPE, env=git_env(self.tree), check=False)
		if p.returncode:
			raise ToolError(f'git diff {self.base[:12]} {self.head[:12]} in {self.tree} failed: '
					f'{p.stderr.decode(errors="replace").strip()}')
		self.series = Series(copy, [diff], os.path.join(scratch, 'backup'), git_apply=True,
				     reverse=True)

	def touched(self) -> Set[str]:
		"""Tree-relative paths BASE..HEAD changes (git diff --name-only)."""
		p = self._git('diff', '--name-only', '--no-renames', self.base, self.head)
		if p.returncode:
			raise ToolError(f'git diff --name-only {self.base[:12]} {self.head[:12]} failed')
		return set(p.stdout.split())

	def touches_kconfig(self) -> bool:
		return any(os.path.basename(f).startswith('Kconfig') for f in self.touched())

	def start(self) -> None:
		assert self.series, 'attach() first'
		try:
			self.series.apply()
		except ToolError as e:
			raise ToolError(f'the copy of {self.tree} cannot be taken back to BASE: {e}') from e

	def apply(self) -> None:
		if self.series:
			self.series.restore()

	def restore(self) -> None:
		if self.series:
			self.series.restore()
