# SPDX-License-Identifier: GPL-2.0
"""lock: one writer at a time on a kernel tree or a build dir (fcntl.flock).

	with lock.Lock(tree, 'the kernel tree ' + tree, 'run'):
		...

Every tool takes the lock of what it builds or changes: the source tree
(install, a patch, the UML series), the build dir of one kernel and arch,
the fetch of one Debian series, a private copy (tools/workspace.py).  A
second process that wants it waits, and says once on stderr what it waits
for and who holds it (pid and command line, from the lock file), then
every progress.INTERVAL seconds that it still waits.  shared=True is a
reader's lock (copying a tree): many at once, none beside a writer.

The lock files live in <cache>/locks/ (one per resource: its name and a
hash of its real path), and are never removed: removing a lock file that
another process has open is how two processes end up holding 'the same'
lock.  A lock lasts as long as its open file: a process killed with
SIGKILL releases it, except to what it passed it on to.

A lock is passed on to child processes: its fd is inheritable, and
ZDT_LOCKS in the environment names it (lock file, holder pid, fd, mode).
A child that asks for a lock its parent (or a grandparent) holds
exclusively has it already, and so does whatever runs under it: a gate
holds its private copy while tools/run.py builds in it.  Spawn such a
child with pass_fds=lock.held_fds(), so that the lock outlives a parent
killed with SIGKILL for as long as the child runs.  Locks are taken in
one order (a private copy, then a source tree, then build dirs), so two
tools never wait for each other."""

import fcntl
import hashlib
import os
import re
import sys
import time
from typing import Dict, List, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import progress  # noqa: E402
from common import cache_dir  # noqa: E402

ENV = 'ZDT_LOCKS'


class Busy(Exception):
	"""Lock(wait=False): another process holds it."""


def lock_path(resource: str) -> str:
	"""The lock file of a resource (a path; it need not exist)."""
	real = os.path.realpath(resource)
	name = re.sub(r'[^A-Za-z0-9._+-]', '_', os.path.basename(real.rstrip('/')) or 'root')
	key = hashlib.sha256(real.encode()).hexdigest()[:12]
	d = os.path.join(cache_dir(), 'locks')
	os.makedirs(d, exist_ok=True)
	return os.path.join(d, f'{name}-{key}.lock')


def _inherited() -> Dict[str, Tuple[int, int, str]]:
	"""{lock file: (holder pid, fd, 'ex' or 'sh')} of ZDT_LOCKS."""
	out = {}
	for item in filter(None, os.environ.get(ENV, '').split(';')):
		path, _, rest = item.rpartition('=')
		try:
			pid, fd, mode = rest.split(':')
			out[path] = (int(pid), int(fd), mode)
		except ValueError:
			continue
	return out


def _set_env(locks: Dict[str, Tuple[int, int, str]]) -> None:
	if locks:
		os.environ[ENV] = ';'.join(f'{p}={pid}:{fd}:{m}' for p, (pid, fd, m) in locks.items())
	else:
		os.environ.pop(ENV, None)


def _ancestors() -> List[int]:
	"""This process's parent, its parent, ... (from /proc)."""
	out, pid = [], os.getppid()
	while pid > 1 and pid not in out:
		out.append(pid)
		try:
			with open(f'/proc/{pid}/stat', encoding='utf-8', errors='replace') as f:
				pid = int(f.read().rsplit(')', 1)[1].split()[1])
		except (OSError, ValueError, IndexError):
			break
	return out


def _holder_text(path: str) -> str:
	try:
		with open(path, encoding='utf-8', errors='replace') as f:
			text = f.read().strip()
	except OSError:
		return 'holder unknown'
	return text.splitlines()[0] if text else 'holder unknown'


def describe_self() -> str:
	"""'pid N (tools/gate.py x.patch --kver 7.3), since 12:00:01'."""
	cmd = ' '.join(sys.argv)
	cmd = cmd if len(cmd) <= 160 else cmd[:160] + ' ...'
	return f'pid {os.getpid()} ({cmd}), since {time.strftime("%H:%M:%S")}'


class Lock:
	"""An flock on resource's lock file for the block (module doc)."""

	def __init__(self, resource: str, what: str, tool: str = 'zdt', shared: bool = False,
		     out=None, wait: bool = True):
		self.resource, self.what, self.tool, self.shared = resource, what, tool, shared
		self.wait = wait
		self.path = lock_path(resource)
		self.fd: Optional[int] = None
		self.inherited = False
		self.waited = 0.0
		self.out = out

	def _from_ancestor(self) -> bool:
		held = _inherited().get(self.path)
		if not held:
			return False
		pid, fd, mode = held
		if mode != 'ex' and not self.shared:
			raise RuntimeError(f'{self.path}: an ancestor holds it shared and this process '
					   'wants it exclusive: that would wait for itself')
		return pid == os.getpid() or pid in _ancestors()	# ours, or passed on to us

	def acquire(self) -> 'Lock':
		if self._from_ancestor():
			self.inherited = True
			return self
		mode = fcntl.LOCK_SH if self.shared else fcntl.LOCK_EX
		fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
		try:
			try:
				fcntl.flock(fd, mode | fcntl.LOCK_NB)
			except BlockingIOError:
				if not self.wait:
					raise Busy(f'{self.what}: locked by {_holder_text(self.path)}') from None
				out = self.out or sys.stderr
				holder = _holder_text(self.path)
				print(f'{self.tool}: waiting for {self.what}: locked by {holder}',
				      file=out, flush=True)
				start = time.monotonic()
				with progress.Watch(f'{self.tool}: waiting for {self.what}',
						    lambda: f'locked by {_holder_text(self.path)}', out=out):
					fcntl.flock(fd, mode)
				self.waited = time.monotonic() - start
				print(f'{self.tool}: got {self.what} after {self.waited:.0f} s', file=out,
				      flush=True)
			if not self.shared:
				os.ftruncate(fd, 0)
				os.pwrite(fd, (describe_self() + '\n').encode(), 0)
		except BaseException:
			os.close(fd)
			raise
		self.fd = fd
		os.set_inheritable(fd, True)
		locks = _inherited()
		locks[self.path] = (os.getpid(), fd, 'sh' if self.shared else 'ex')
		_set_env(locks)
		return self

	def release(self) -> None:
		if self.fd is None:
			return
		locks = _inherited()
		if locks.get(self.path, (None, self.fd))[1] == self.fd:
			locks.pop(self.path, None)
		_set_env(locks)
		os.close(self.fd)	# the flock goes with the last fd of its open file
		self.fd = None

	def __enter__(self) -> 'Lock':
		return self.acquire()

	def __exit__(self, *exc) -> None:
		self.release()


def held_fds() -> Tuple[int, ...]:
	"""The fds of the locks this process holds: pass_fds= of a child that
	works under them (module doc)."""
	return tuple(fd for _, (pid, fd, _m) in _inherited().items() if pid == os.getpid())
