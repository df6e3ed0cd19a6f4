# SPDX-License-Identifier: GPL-2.0
"""progress: show that a long step is alive while it runs.

	with progress.Watch('7.3.4-x86_64', status):
		subprocess.run(...)

calls status() (a short string: 'building, 812 objects') every second and
shows it with the elapsed time: on a terminal as one line redrawn in place,
otherwise (a CI log) as a plain timestamped line every INTERVAL seconds and
whenever the part of the status before the first comma (the phase) changes.
Nothing is shown for a step that ends within QUIET seconds."""

import os
import sys
import threading
import time
from typing import Callable, Optional, TextIO

INTERVAL = 30
QUIET = 5


class Watch:
	"""A thread that reports status() until the block ends (module doc)."""

	def __init__(self, name: str, status: Callable[[], str], out: Optional[TextIO] = None,
		     interval: float = INTERVAL, tty: Optional[bool] = None):
		self.name, self.status, self.interval = name, status, interval
		self.out = out or sys.stdout
		self.tty = self.out.isatty() if tty is None else tty
		if os.environ.get('ZDT_PROGRESS') in ('0', 'off'):
			self.out = None
		self._stop = threading.Event()
		self._thread = threading.Thread(target=self._loop, daemon=True)
		self._drawn = False

	def __enter__(self) -> 'Watch':
		self.start = time.monotonic()
		if self.out:
			self._thread.start()
		return self

	def __exit__(self, *exc) -> None:
		self._stop.set()
		if self._thread.is_alive():
			self._thread.join()
		if self._drawn:
			self.out.write('\r\033[K')	# the next line of the tool starts clean
			self.out.flush()

	def _line(self, text: str) -> str:
		return f'{self.name}: {text}, {time.monotonic() - self.start:.0f} s'

	def _loop(self) -> None:
		last_phase, last_time = None, 0.0
		while not self._stop.wait(1.0):
			elapsed = time.monotonic() - self.start
			if elapsed < QUIET:
				continue
			try:
				text = self.status()
			except OSError:
				continue	# a log or build dir in the middle of a rewrite
			if self.tty:
				self.out.write('\r\033[K' + self._line(text))
				self._drawn = True
			else:
				phase = text.split(',', 1)[0]
				if phase == last_phase and elapsed - last_time < self.interval:
					continue
				last_phase, last_time = phase, elapsed
				self.out.write(f'[{time.strftime("%H:%M:%S")}] {self._line(text)}\n')
			self.out.flush()


def objects_since(build_dir: str, since: float) -> int:
	"""How many .o files under build_dir were written after since (a
	time.time()): what a kernel build has done so far."""
	n = 0
	stack = [build_dir]
	while stack:
		try:
			entries = list(os.scandir(stack.pop()))
		except OSError:
			continue
		for e in entries:
			if e.is_dir(follow_symlinks=False):
				stack.append(e.path)
			elif e.name.endswith('.o'):
				try:
					if e.stat(follow_symlinks=False).st_mtime >= since:
						n += 1
				except OSError:
					pass
	return n
