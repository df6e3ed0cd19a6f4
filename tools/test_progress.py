# SPDX-License-Identifier: GPL-2.0
"""Unit tests of tools/progress.py and run.py's status of a run: no kernel."""

import io
import os
import shutil
import sys
import tempfile
import time
import unittest
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import progress  # noqa: E402
import run  # noqa: E402


class ProgressTest(unittest.TestCase):

	def setUp(self):
		self.tmp = tempfile.mkdtemp()
		self.addCleanup(shutil.rmtree, self.tmp)

	def test_not_a_terminal_gets_timestamped_lines_at_each_phase(self):
		"""A CI log: one plain line per phase change (and per interval), no
		carriage returns; nothing for the first QUIET seconds."""
		out = io.StringIO()
		phases = iter(['building, 1 objects built'] * 2 + ['running, 3 cases done'] * 50)
		with mock.patch.object(progress, 'QUIET', 0):
			with progress.Watch('== k', lambda: next(phases), out=out, tty=False):
				deadline = time.monotonic() + 20	# bounded, also on a loaded machine
				while out.getvalue().count('\n') < 2 and time.monotonic() < deadline:
					time.sleep(0.1)
		lines = out.getvalue().splitlines()
		self.assertNotIn('\r', out.getvalue())
		self.assertEqual(len(lines), 2, lines)
		self.assertRegex(lines[0], r'^\[\d\d:\d\d:\d\d\] == k: building, 1 objects built, \d+ s$')
		self.assertIn('running, 3 cases done', lines[1])

	def test_a_short_step_shows_nothing(self):
		out = io.StringIO()
		with progress.Watch('== k', lambda: 'building', out=out, tty=True):
			time.sleep(0.1)
		self.assertEqual(out.getvalue(), '')

	def test_objects_since_counts_new_objects_only(self):
		old = os.path.join(self.tmp, 'a.o')
		open(old, 'w').close()
		os.utime(old, (1, 1))
		os.makedirs(os.path.join(self.tmp, 'mm'))
		open(os.path.join(self.tmp, 'mm', 'b.o'), 'w').close()
		open(os.path.join(self.tmp, 'mm', 'b.c'), 'w').close()
		self.assertEqual(progress.objects_since(self.tmp, time.time() - 60), 1)

	def test_run_status_follows_kunit_py_and_the_ktap(self):
		log = os.path.join(self.tmp, 'log')
		open(log, 'w').close()
		st = run.Status(log, self.tmp)
		for text, want in (('[10:00:00] Configuring KUnit Kernel ...\n', 'configuring'),
				   ('[10:00:01] Building KUnit Kernel ...\n', 'building, 0 objects built'),
				   ('[10:00:09] Starting KUnit Kernel (1/1)...\nKTAP version 1\n', 'booting'),
				   ('    ok 1 a\n        ok 1 param\n    not ok 2 b\n',
				    'running, 2 cases done')):
			with open(log, 'a', encoding='utf-8') as f:
				f.write(text)
			self.assertEqual(st(), want)


if __name__ == '__main__':
	unittest.main()
