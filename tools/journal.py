# SPDX-License-Identifier: GPL-2.0
"""journal: what a run must undo in a tree, written before it touches it.

A run that changes a tree it does not keep changed (the suites installed
into a --kdir tree for one run, patches/uml applied to it for a UML run,
the UML series going into a cached tree until its state file is written)
first writes an entry under <cache>/journal/: the kind of change, the
tree, the run (pid, its start time, command line) and what undoing it
needs (the files' hashes before and after, where the originals were
saved).  The run updates it as it goes and removes it once it has put
the tree back.  An entry whose run is gone (no such pid, or the pid is
another process now) was left by a run that died: SIGKILL, a CI
cancel, a power cut.

Every run reads the entries before it works on a tree
(recover(tool, tree), called with the tree's lock held: tools/lock.py):
an entry of a dead run on that tree is undone by its kind's handler (the
module named in HANDLERS, its undo(data) function), which checks that the
tree still holds what the dead run left.  If it does, the tree is put back
and the run says so in one line; if the tree changed since (someone
edited a file the run had patched), the handler refuses (Refused) and
the run stops with one line saying what to do, the entry kept.  Entries
of dead runs on other trees are undone too when their tree's lock is
free at once; a refusal there is a warning line, not an error."""

import importlib
import json
import os
import shutil
import sys
import time
from typing import Iterator, List, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lock  # noqa: E402
from common import ToolError, cache_dir  # noqa: E402

# kind -> the module whose undo(data) -> str puts the tree back (or raises
# Refused).  The modules are imported only when an entry of theirs is found.
HANDLERS = {'install': 'install', 'series': 'series', 'worktree': 'upstream'}


class Refused(Exception):
	"""The tree changed since the dead run: what to do, in one line."""


def journal_dir() -> str:
	d = os.path.join(cache_dir(), 'journal')
	os.makedirs(d, exist_ok=True)
	return d


def proc_start(pid: int) -> Optional[str]:
	"""The start time of a process (clock ticks since boot, /proc/<pid>/stat
	field 22): with the pid, who it is; None if there is no such process."""
	try:
		with open(f'/proc/{pid}/stat', encoding='utf-8', errors='replace') as f:
			return f.read().rsplit(')', 1)[1].split()[19]
	except (OSError, IndexError):
		return None


def alive(pid: int, start: Optional[str]) -> bool:
	"""True if the process that wrote an entry still runs."""
	now = proc_start(pid)
	return now is not None and (start is None or now == start)


_serial = [0]


class Entry:
	"""One journal entry (module doc): open() writes it before the tree is
	touched, update() as the change goes on, close() once it is undone."""

	def __init__(self, kind: str, tree: str, what: str):
		if kind not in HANDLERS:
			raise ValueError(f'unknown journal kind {kind!r}')
		self.kind, self.tree, self.what = kind, os.path.realpath(tree), what
		self.undo: dict = {}
		self.path: Optional[str] = None

	@property
	def is_open(self) -> bool:
		return self.path is not None

	def data_dir(self) -> str:
		"""A directory that lives and dies with the entry (saved originals)."""
		assert self.path, 'open() first'
		d = self.path[:-len('.json')] + '.d'
		os.makedirs(d, exist_ok=True)
		return d

	def _write(self) -> None:
		doc = {'kind': self.kind, 'tree': self.tree, 'what': self.what, 'pid': os.getpid(),
		       'start': proc_start(os.getpid()), 'cmd': ' '.join(sys.argv),
		       'created': self.created, 'undo': self.undo}
		tmp = self.path + '.tmp'
		with open(tmp, 'w', encoding='utf-8') as f:
			json.dump(doc, f, indent=1)
			f.write('\n')
			f.flush()
			os.fsync(f.fileno())
		os.replace(tmp, self.path)

	def open(self, **undo) -> 'Entry':
		if self.path is None:
			_serial[0] += 1
			self.created = time.strftime('%Y-%m-%d %H:%M:%S')
			self.path = os.path.join(journal_dir(), f'{os.getpid()}-{int(time.time())}-'
						 f'{_serial[0]}-{self.kind}.json')
		self.undo.update(undo)
		self._write()
		return self

	def update(self, **undo) -> None:
		self.undo.update(undo)
		if self.path is not None:
			self._write()

	def close(self) -> None:
		if self.path is None:
			return
		shutil.rmtree(self.path[:-len('.json')] + '.d', ignore_errors=True)
		try:
			os.remove(self.path)
		except FileNotFoundError:
			pass
		self.path = None


def entries() -> Iterator[Tuple[str, dict]]:
	"""(path, data) of every readable entry, oldest first."""
	d = journal_dir()
	for name in sorted(os.listdir(d), key=lambda n: (n.split('-')[1:2], n)):
		if not name.endswith('.json'):
			continue
		p = os.path.join(d, name)
		try:
			with open(p, encoding='utf-8') as f:
				data = json.load(f)
		except (OSError, ValueError):
			continue
		if isinstance(data, dict) and 'tree' in data and 'kind' in data:
			yield p, data


def _undo(path: str, data: dict) -> str:
	if not os.path.isdir(data['tree']):
		msg = 'the tree is gone; nothing to undo'
	else:
		handler = importlib.import_module(HANDLERS[data['kind']])
		msg = handler.undo(data)
	shutil.rmtree(path[:-len('.json')] + '.d', ignore_errors=True)
	try:
		os.remove(path)
	except FileNotFoundError:
		pass
	return msg


def dead_entries(tree: Optional[str] = None) -> List[Tuple[str, dict]]:
	real = os.path.realpath(tree) if tree else None
	return [(p, d) for p, d in entries()
		if not alive(int(d.get('pid', 0)), d.get('start'))
		and (real is None or d['tree'] == real)]


def recover(tool: str, tree: Optional[str] = None, out=None) -> List[str]:
	"""Undoes what runs that died left (module doc): in tree (whose lock the
	caller holds) or ToolError; in other trees when their lock is free.
	Returns the lines it printed."""
	out = out or sys.stderr
	real = os.path.realpath(tree) if tree else None
	said: List[str] = []
	for path, data in dead_entries():
		mine = data['tree'] == real
		who = f"pid {data.get('pid')} ({data.get('cmd', '?')}), which died"
		try:
			held = lock.Lock(data['tree'], f"the kernel tree {data['tree']}", tool,
					 wait=mine).acquire()
		except lock.Busy:
			continue	# in use: the run that holds it undoes this first
		try:
			if not os.path.exists(path):
				continue	# another run undid it meanwhile
			try:
				msg = _undo(path, data)
			except Refused as e:
				line = (f"{tool}: {data['tree']}: {e} (left by {who}; journal entry "
					f'{path})')
				if mine:
					raise ToolError(line) from e
				print(f"{line}; not this run's tree: going on", file=out, flush=True)
				said.append(line)
				continue
		finally:
			held.release()
		line = f"{tool}: {data['tree']}: {msg} ({data.get('what', data['kind'])}, left by {who})"
		print(line, file=out, flush=True)
		said.append(line)
	return said
