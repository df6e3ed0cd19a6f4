# SPDX-License-Identifier: GPL-2.0
"""workspace: a private copy of a kernel tree, for the tools that patch one.

	with workspace.Workspace(source, 'gate') as ws:
		ws.prepare(['x86_64', 'um'])
		... tools/run.py --kdir ws.tree --keep ...

tools/gate.py, tools/mutants.py, tools/flake.py and tools/verdict_paths.py
never apply a series to the tree they are given (the tools' cached Debian
tree, which a `make run` from another checkout may be building, or a
user's KDIR): they apply it to <cache>/work/<name>-<hash>/, a copy of that
tree of their own, locked (tools/lock.py) for as long as they use it.  The
copy is kept between runs, so that its build dirs stay incremental.

The copy holds the source tree's files: for a git tree, those git
ls-files lists (tracked, and untracked but not ignored: the tree as it is
checked out, edits included; no .git, no in-tree build output), else
every file but .git; never the cache itself when it lies inside the tree
(GitLab's ZDT_CACHE=$CI_PROJECT_DIR/.zdt-cache).  prepare() brings it up to
date under a shared lock of the source tree: a new copy keeps the files'
mtimes; later, a file whose content differs from the source's is copied
with a new mtime (make rebuilds what the old one built, whatever an
interrupted run left in the copy), a file with the source's content keeps
its mtime unless the source's is later, and a file the source lacks goes.
After prepare() the copy has the source's content, and no file of it is
older than the source's: what the source's build dir built is still right
for the copy.

So a build dir of the copy that does not exist yet is seeded from the
source tree's build dir of the same kernel and arch (copied under the
locks of both trees and both build dirs), when that build dir was last
built from this very source tree (its Makefile's 'include <srctree>/Makefile').
A kernel O= build records absolute paths: the srctree in every command
line (savedcmd_ of each .cmd file: -I<srctree>/include ...
<srctree>/mm/memory.c) and dependency list (deps_), and the build dir in
the objtool build's .cmd and .d files and in the Makefile, the 'source'
link and compile_commands.json.  kbuild rebuilds an object whose saved
command differs from the new one, so a plain copy would rebuild
everything; seed_build_dir() rewrites those text files and links (the
source tree's path to the copy's, the old build dir's to the new one's),
mtimes kept, and leaves objects and binaries as they are (their debug
info keeps the old paths: nothing make reads).  The copy's build then
runs exactly what the source tree's would have run."""

import os
import re
import shutil
import stat
import subprocess
import sys
import time
from typing import Dict, Iterator, List, Optional, Set, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lock  # noqa: E402
from common import ToolError, cache_dir, check_build_path, kernel_version, tree_key  # noqa: E402
from series import git_env  # noqa: E402

# The text files of a build dir that name the srctree or the build dir and
# that make reads: kbuild's .cmd files, tools/build's .d files (objtool),
# the generated Makefile and compile_commands.json.
TEXT = re.compile(r'(\.cmd|\.d|^Makefile|^compile_commands\.json)$')


def copy_path(source: str, slot: int = 1) -> str:
	"""<cache>/work/<name>-<hash>: the private copy of source; slot K > 1
	(a tool's K-th parallel job, mutants --jobs) has a copy of its own,
	<name>-<hash>-K."""
	real = os.path.realpath(source)
	name = re.sub(r'[^A-Za-z0-9._+-]', '_', os.path.basename(real)) or 'tree'
	return os.path.join(cache_dir(), 'work', f'{name}-{tree_key(real)}'
			    + (f'-{slot}' if slot > 1 else ''))


def is_git(tree: str) -> bool:
	return os.path.exists(os.path.join(tree, '.git'))


def source_files(src: str) -> Iterator[str]:
	"""The paths (relative to src) of the files and links the copy holds
	(module doc)."""
	skip = os.path.relpath(os.path.realpath(cache_dir()), src)
	skip = None if skip.startswith('..') else skip + os.sep

	def keep(rel: str) -> bool:
		return not (skip and (rel + os.sep).startswith(skip))
	if is_git(src):
		p = subprocess.run(['git', '-C', src, 'ls-files', '-z', '--cached', '--others',
				    '--exclude-standard'], capture_output=True, env=git_env(src),
				   check=False)
		if p.returncode:
			raise ToolError(f'git ls-files in {src} failed: '
					f'{p.stderr.decode(errors="replace").strip()}')
		seen: Set[str] = set()
		for rel in p.stdout.decode('utf-8', errors='surrogateescape').split('\0'):
			if rel and rel not in seen and keep(rel):
				seen.add(rel)
				yield rel
		return
	for d, dirs, files in os.walk(src):
		rd = os.path.relpath(d, src)
		if rd == '.':
			dirs[:] = [x for x in dirs if x != '.git']
		dirs[:] = [x for x in dirs if keep(os.path.normpath(os.path.join(rd, x)))]
		for x in dirs:
			if os.path.islink(os.path.join(d, x)):
				yield os.path.normpath(os.path.join(rd, x))	# a link, not walked
		for f in files:
			rel = os.path.normpath(os.path.join(rd, f))
			if keep(rel):
				yield rel


def mode_of(st: os.stat_result) -> int:
	"""The copy's mode of a source file: the same, and writable by its
	owner (a read-only tree's copy is patched and installed into)."""
	return stat.S_IMODE(st.st_mode) | stat.S_IWUSR


def _same_content(a: str, b: str) -> bool:
	with open(a, 'rb') as fa, open(b, 'rb') as fb:
		while True:
			x, y = fa.read(1 << 20), fb.read(1 << 20)
			if x != y:
				return False
			if not x:
				return True


def _copy_file(src: str, dst: str, keep_mtime: bool) -> None:
	"""src over dst (a new file, renamed into place: never written through
	a link another tree shares), its mode, and src's mtime or now."""
	parent = os.path.dirname(dst)
	up = parent
	while up and not os.path.isdir(up):	# a file where the source has a dir now
		if os.path.lexists(up):
			os.remove(up)
			break
		up = os.path.dirname(up)
	os.makedirs(parent, exist_ok=True)
	tmp = f'{dst}.zdt-tmp'
	if os.path.lexists(tmp):
		os.remove(tmp)
	if os.path.islink(src):
		os.symlink(os.readlink(src), tmp)
	else:
		shutil.copy2(src, tmp)
		os.chmod(tmp, mode_of(os.stat(src)))
		if not keep_mtime:
			os.utime(tmp)
	if os.path.isdir(dst) and not os.path.islink(dst):
		shutil.rmtree(dst)
	os.replace(tmp, dst)


def sync(src: str, dst: str, fresh: bool = False) -> int:
	"""Makes dst hold src's files (module doc); how many paths changed."""
	wanted: Dict[str, os.stat_result] = {}
	for rel in source_files(src):
		try:
			wanted[rel] = os.lstat(os.path.join(src, rel))
		except FileNotFoundError:
			continue	# tracked, deleted in the work tree
	changed = 0
	for rel, s in wanted.items():
		sp, dp = os.path.join(src, rel), os.path.join(dst, rel)
		try:
			d = os.lstat(dp)
		except (FileNotFoundError, NotADirectoryError):
			d = None
		if stat.S_ISLNK(s.st_mode):
			if d is not None and stat.S_ISLNK(d.st_mode) and os.readlink(dp) == os.readlink(sp):
				continue
		elif not stat.S_ISREG(s.st_mode):
			continue	# a socket, a fifo: nothing to build from
		elif d is not None and stat.S_ISREG(d.st_mode) and d.st_size == s.st_size:
			same = d.st_mtime_ns == s.st_mtime_ns or _same_content(sp, dp)
			if same:
				if stat.S_IMODE(d.st_mode) != mode_of(s):
					os.chmod(dp, mode_of(s))
				if d.st_mtime_ns < s.st_mtime_ns:
					os.utime(dp, ns=(s.st_atime_ns, s.st_mtime_ns))
				continue
		_copy_file(sp, dp, keep_mtime=fresh)
		changed += 1
	# What the source no longer has: files, links and then empty dirs.
	keep_dirs = {os.path.dirname(r) for r in wanted}
	for r in list(keep_dirs):
		while r:
			r = os.path.dirname(r)
			keep_dirs.add(r)
	for d, dirs, files in os.walk(dst, topdown=False):
		rd = os.path.relpath(d, dst)
		for f in files + [x for x in dirs if os.path.islink(os.path.join(d, x))]:
			rel = os.path.normpath(os.path.join(rd, f))
			if rel not in wanted:
				os.remove(os.path.join(d, f))
				changed += 1
		if rd != '.' and os.path.normpath(rd) not in keep_dirs and not os.listdir(d):
			os.rmdir(d)
	return changed


def build_dir_tree(build_dir: str) -> Tuple[Optional[str], Optional[str]]:
	"""(srctree, build dir) a kernel build dir was last built with and
	for, from its generated Makefile; (None, None) if it has none."""
	try:
		with open(os.path.join(build_dir, 'Makefile'), encoding='utf-8',
			  errors='replace') as f:
			text = f.read()
	except OSError:
		return None, None
	src = re.search(r'^include (\S+)/Makefile$', text, re.M)
	out = re.search(r'^export KBUILD_OUTPUT = (\S+)$', text, re.M)
	return (src.group(1) if src else None), (out.group(1) if out else None)


def _rewriter(pairs: List[Tuple[str, str]]):
	"""A bytes -> bytes function replacing each old path by its new one
	where it is a whole path or a path's leading directories."""
	pairs = sorted(pairs, key=lambda p: -len(p[0]))
	pat = re.compile(b'(' + b'|'.join(re.escape(o.encode()) for o, _ in pairs) + b')'
			 rb'(?![^/\s"\'\\:;,)=|])')
	table = {o.encode(): n.encode() for o, n in pairs}
	return lambda data: pat.sub(lambda m: table[m.group(1)], data)


def seed_wanted(old: str, new: str) -> str:
	"""Why the copy's build dir new is to be seeded from old: '' if not.
	A missing one; or one whose .config is not old's and older than it (a
	changed configuration, which old has been built with since: seeding
	takes seconds, while new would rebuild everything, as ccache cannot hit
	across the copies' paths).  One configured after old is kept: old is
	the stale one then."""
	config_old, config_new = os.path.join(old, '.config'), os.path.join(new, '.config')
	if not os.path.isfile(config_old):
		return ''
	if not os.path.exists(new):
		return ' (none yet)'
	if not os.path.isfile(config_new):
		return ' (it had no .config: replaced)'
	with open(config_old, 'rb') as f, open(config_new, 'rb') as g:
		if f.read() == g.read():
			return ''
	if os.stat(config_new).st_mtime > os.stat(config_old).st_mtime:
		return ''
	return ' (its .config was an older one: replaced)'


def seed_build_dir(old: str, new: str, src_old: str, src_new: str) -> int:
	"""A copy of the build dir old at new, built for src_new instead of
	src_old (module doc); the number of text files and links rewritten."""
	old, new = os.path.realpath(old), os.path.abspath(new)
	_, out_old = build_dir_tree(old)
	pairs = [(src_old, src_new), (old, new)]
	if out_old and out_old != old:
		pairs.append((out_old, new))
	rewrite = _rewriter(pairs)
	tmp = new + '.zdt-seed'
	shutil.rmtree(tmp, ignore_errors=True)
	shutil.copytree(old, tmp, symlinks=True)
	n = 0
	for d, _dirs, files in os.walk(tmp):
		for f in files + [x for x in _dirs if os.path.islink(os.path.join(d, x))]:
			p = os.path.join(d, f)
			if os.path.islink(p):
				target = os.readlink(p)
				t2 = rewrite(target.encode()).decode()
				if t2 != target:
					os.remove(p)
					os.symlink(t2, p)
					n += 1
				continue
			if not TEXT.search(f) or (f == 'Makefile' and d != tmp):
				continue
			st = os.stat(p)
			with open(p, 'rb') as fh:
				data = fh.read()
			data2 = rewrite(data)
			if data2 != data:
				with open(p, 'wb') as fh:
					fh.write(data2)
				os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
				n += 1
	os.rename(tmp, new)	# its lock is held and it did not exist
	return n


class Workspace:
	"""The private copy of one source tree (module doc), locked for the
	block; .tree is its path."""

	def __init__(self, source: str, tool: str, out=None, slot: int = 1):
		self.source = os.path.realpath(source)
		self.tool, self.out = tool, out or sys.stdout
		self.tree = copy_path(self.source, slot)
		self.git = is_git(self.source)
		self._lock: Optional[lock.Lock] = None

	def say(self, text: str) -> None:
		print(f'{self.tool}: {text}', file=self.out, flush=True)

	def __enter__(self) -> 'Workspace':
		kernel_version(self.source)
		check_build_path(os.path.dirname(self.tree), 'the cache')
		os.makedirs(os.path.dirname(self.tree), exist_ok=True)
		self._lock = lock.Lock(self.tree, f'the private copy of {self.source} ({self.tree})',
				       self.tool).acquire()
		return self

	def __exit__(self, *exc) -> None:
		if self._lock:
			self._lock.release()
			self._lock = None

	def own_build_dirs(self) -> List[str]:
		top = os.path.join(cache_dir(), 'build')
		key = '-' + tree_key(self.tree)
		return [os.path.join(top, n) for n in (os.listdir(top) if os.path.isdir(top) else [])
			if n.endswith(key)]

	def prepare(self, arches: List[str], modular: Tuple[bool, ...] = (False,)) -> None:
		"""The copy brought up to date, and its build dir for each arch
		(built in, and or as modules: modular) seeded if it has none
		(module doc)."""
		import run as zrun  # pylint: disable=import-outside-toplevel
		import uml as zuml  # pylint: disable=import-outside-toplevel
		start = time.monotonic()
		with lock.Lock(self.source, f'the kernel tree {self.source}', self.tool, shared=True):
			if not os.path.isdir(self.tree):
				# A new copy: its build dirs start from nothing or a seed,
				# never from what an older copy at this path built.
				for b in self.own_build_dirs():
					shutil.rmtree(b)
				tmp = self.tree + '.zdt-new'
				shutil.rmtree(tmp, ignore_errors=True)
				os.makedirs(tmp)
				n = sync(self.source, tmp, fresh=True)
				os.rename(tmp, self.tree)
				self.say(f'a private copy of {self.source}: {self.tree} ({n} files, '
					 f'{time.monotonic() - start:.0f} s)')
			else:
				n = sync(self.source, self.tree)
				self.say(f'the private copy {self.tree} of {self.source}: '
					 f'{n} path(s) brought up to date ({time.monotonic() - start:.0f} s)')
			zuml.adopt_state(self.source, self.tree)
			for arch in arches:
				for m in modular:
					self._seed(zrun.build_dir_of(self.source, arch, m),
						   zrun.build_dir_of(self.tree, arch, m))

	def _seed(self, old: str, new: str) -> None:
		if not seed_wanted(old, new):
			return
		with lock.Lock(old, f'the build dir {old}', self.tool, shared=True), \
		     lock.Lock(new, f'the build dir {new}', self.tool):
			why = seed_wanted(old, new)
			if not why:
				return
			src, _ = build_dir_tree(old)
			if src != self.source:
				self.say(f'{new}: a new build (the build dir {old} was last built from '
					 f'{src or "nothing"}, not {self.source})')
				return
			start = time.monotonic()
			if os.path.exists(new):
				shutil.rmtree(new)
			n = seed_build_dir(old, new, self.source, self.tree)
			self.say(f'{new}: seeded from {old}{why} ({n} files naming the tree or the '
				 f'build dir rewritten, {time.monotonic() - start:.0f} s)')
