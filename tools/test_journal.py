# SPDX-License-Identifier: GPL-2.0
"""Unit tests of tools/journal.py: what a run that died left in a tree is
undone by the next run (tools/run.py with a fake kunit.py that kills it),
or refused with one line when the tree changed since."""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import unittest
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import install  # noqa: E402
import journal  # noqa: E402
from common import ToolError  # noqa: E402
from testutil import TOOLS, Lines, diff, scratch_tree, snapshot  # noqa: E402

# A fake kunit.py that kills its caller (run.py) with a signal, as a CI
# cancel or kill -9 would, then itself.
KILLER = textwrap.dedent('''\
	import os, signal, sys, time
	sig = int(os.environ['ZDT_TEST_SIGNAL'])
	open(os.path.join(os.environ['ZDT_TEST_OUT'], 'started'), 'w').write(str(os.getppid()))
	os.kill(os.getppid(), sig)
	time.sleep(0.5)
	sys.exit(1)
	''')


def content(snap):
	return {k: v[0] for k, v in snap.items()}


class JournalTest(unittest.TestCase):

	def setUp(self):
		self.d = tempfile.mkdtemp()
		self.addCleanup(shutil.rmtree, self.d)
		self.cache = os.path.join(self.d, 'cache')
		patcher = mock.patch.dict(os.environ, {'ZDT_CACHE': self.cache})
		patcher.start()
		self.addCleanup(patcher.stop)
		self.tree = scratch_tree(self.d)
		with open(os.path.join(self.tree, 'Makefile'), 'w') as f:
			f.write('VERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 117\n')	# UML: no patches/uml
		os.utime(os.path.join(self.tree, 'Makefile'), ns=(10**18, 10**18))

	def run_py(self, kunit: str, sig: int = signal.SIGKILL):
		with open(os.path.join(self.tree, 'tools/testing/kunit/kunit.py'), 'w') as f:
			f.write(kunit)
		return subprocess.run([sys.executable, os.path.join(TOOLS, 'run.py'), '--kdir', self.tree,
				       '--arch', 'um', '--results', os.path.join(self.d, 'r')],
				      capture_output=True, text=True, check=False,
				      env=dict(os.environ, ZDT_TEST_OUT=self.d, ZDT_TEST_SIGNAL=str(sig),
					       ZDT_PROGRESS='off'),
				      # As from a terminal, whatever ran these tests (nohup ignores it).
				      preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_DFL))

	def kill_a_run(self, sig=signal.SIGKILL):
		before = snapshot(self.tree)
		p = self.run_py(KILLER, sig)
		# SIGKILL kills; SIGHUP ends the run as SIGTERM does, with 128 + 1.
		self.assertEqual(p.returncode, -sig if sig == signal.SIGKILL else 128 + sig,
				 p.stdout + p.stderr)
		return before

	def test_a_run_killed_with_sigkill_is_undone_by_the_next_run(self):
		"""The suites a killed run installed in a --kdir tree are its own:
		the next run takes them out (not 'already installed by the user,
		keep them') and the tree is as it was, mtimes of the edited files
		included."""
		before = self.kill_a_run()
		self.assertIsNotNone(install.status(self.tree))	# the residue
		self.assertEqual(len(journal.dead_entries(self.tree)), 1)
		p = self.run_py('import sys\nsys.exit(1)\n')	# the next run: a build that fails
		self.assertEqual(p.returncode, 3, p.stdout + p.stderr)
		self.assertIn(f'run: {os.path.realpath(self.tree)}: took out the suites it had installed '
			      '(the suites installed for one run, left by pid', p.stdout)
		self.assertEqual(journal.dead_entries(), [])
		after = snapshot(self.tree)
		after.pop('tools/testing/kunit/kunit.py')
		before.pop('tools/testing/kunit/kunit.py')
		self.assertEqual(after, before)

	def test_a_tree_changed_since_is_refused_with_one_line(self):
		self.kill_a_run()
		with open(os.path.join(self.tree, 'mm/tests/zone_device_fixture.h'), 'a') as f:
			f.write('/* an edit after the run died */\n')
		p = self.run_py('import sys\nsys.exit(1)\n')
		self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
		self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
		self.assertRegex(p.stderr, r'^run: .*: a run left the suites installed, and '
				 r'mm/tests/zone_device_fixture.h changed since: take them out with '
				 r'"tools/install.py uninstall .*" .*\(left by pid \d+ .*which died; journal '
				 r'entry .*\.json\)$')
		self.assertEqual(len(journal.dead_entries(self.tree)), 1)	# kept

	def test_sighup_is_handled_like_sigterm(self):
		"""A closed terminal: the run puts the tree back before it ends."""
		before = self.kill_a_run(signal.SIGHUP)
		self.assertIsNone(install.status(self.tree))
		self.assertEqual(list(journal.entries()), [])
		after = snapshot(self.tree)
		after.pop('tools/testing/kunit/kunit.py')
		before.pop('tools/testing/kunit/kunit.py')
		self.assertEqual(content(after), content(before))

	def series_in_a_process_that_dies(self, patch: str) -> None:
		"""A Series with a journal entry applied by a process that then
		dies with SIGKILL."""
		code = textwrap.dedent(f'''\
			import os, signal, sys
			sys.path.insert(0, {TOOLS!r})
			import journal, series
			e = journal.Entry('series', {self.tree!r}, 'a test series')
			e.open()
			s = series.Series({self.tree!r}, [{patch!r}], os.path.join(e.data_dir(), 'b'),
					  entry=e)
			s.apply()
			os.kill(os.getpid(), signal.SIGKILL)
			''')
		p = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
				   check=False)
		self.assertEqual(p.returncode, -signal.SIGKILL, p.stderr)

	def test_a_series_left_by_a_dead_run_is_put_back_or_refused(self):
		patch = os.path.join(self.d, 'x.patch')
		with open(patch, 'w') as f:
			f.write(diff('mm/Makefile', 'obj-y += memory.o\n', 'obj-y += memory.o x.o\n') +
				diff('mm/new.c', None, 'int x;\n'))
		before = content(snapshot(self.tree))
		self.series_in_a_process_that_dies(patch)
		self.assertTrue(os.path.exists(os.path.join(self.tree, 'mm/new.c')))
		out = []
		journal.recover('test', self.tree, out=Lines(out))
		self.assertRegex(out[0], r'put back 2 file\(s\) it had patched \(a test series, left by')
		self.assertEqual(content(snapshot(self.tree)), before)
		# Again, and the patched file edited by hand since: refused, kept.
		self.series_in_a_process_that_dies(patch)
		with open(os.path.join(self.tree, 'mm/Makefile'), 'a') as f:
			f.write('obj-y += mine.o\n')
		with self.assertRaisesRegex(ToolError, r"file\(s\) a run patched changed since "
					    r"\(mm/Makefile first\): the originals are in .*; put them back "
					    r"by hand, then delete the journal entry"):
			journal.recover('test', self.tree, out=Lines(out))
		self.assertEqual(len(journal.dead_entries(self.tree)), 1)
		# Another tree's run does not stop for it: a warning line.
		other = os.path.join(self.d, 'other')
		os.makedirs(other)
		out.clear()
		journal.recover('test', other, out=Lines(out))
		self.assertIn("not this run's tree: going on", out[0])

	def test_the_uml_series_a_dead_run_left_in_a_kdir_is_put_back(self):
		"""run.py's UML series in a --kdir tree, for one run: its originals
		are with the journal entry (not in a tmpdir nobody reads again), and
		the next run puts them back."""
		patch = os.path.join(self.d, '0001-um.patch')
		with open(patch, 'w') as f:
			f.write(diff('arch/um/Kconfig', 'config UML\n', 'config UML\n\tselect SPARSEMEM\n'))
		os.makedirs(os.path.join(self.tree, 'arch/um'))
		with open(os.path.join(self.tree, 'arch/um/Kconfig'), 'w') as f:
			f.write('config UML\n')
		before = content(snapshot(self.tree))
		code = textwrap.dedent(f'''\
			import os, signal, sys
			sys.path.insert(0, {TOOLS!r})
			import uml
			print(uml.Applied({self.tree!r}, [{patch!r}], keep=False).open(), flush=True)
			os.kill(os.getpid(), signal.SIGKILL)
			''')
		p = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
				   check=False)
		self.assertIn('taken out after the run', p.stdout, p.stderr)
		with open(os.path.join(self.tree, 'arch/um/Kconfig')) as f:
			self.assertIn('SPARSEMEM', f.read())
		self.assertFalse(os.path.exists(os.path.join(self.cache, 'uml-series')))
		out = []
		journal.recover('test', self.tree, out=Lines(out))
		self.assertIn('put back 1 file(s) it had patched (patches/uml applied for a UML run', out[0])
		self.assertEqual(content(snapshot(self.tree)), before)
		self.assertEqual(os.listdir(journal.journal_dir()), [])

	def test_a_worktree_left_by_a_dead_make_series_is_removed(self):
		def git(*a):
			return subprocess.run(['git', '-C', self.tree, '-c', 'user.name=t', '-c',
					       'user.email=t@t', *a], check=True, capture_output=True,
					      text=True).stdout
		git('init', '-q')
		git('add', '-A')
		git('commit', '-qm', 'base')
		wt = os.path.join(self.d, 'wt')
		e = journal.Entry('worktree', self.tree, 'a detached worktree for make series')
		e.open(path=wt)
		git('worktree', 'add', '-q', '--detach', wt)
		with open(e.path) as f:
			doc = json.load(f)
		doc['start'] = 'a process that died'
		with open(e.path, 'w') as f:
			json.dump(doc, f)
		out = []
		journal.recover('test', self.tree, out=Lines(out))
		self.assertIn(f'removed the worktree {wt} it had added', out[0])
		self.assertEqual(git('worktree', 'list').count('\n'), 1)
		self.assertFalse(os.path.exists(wt))

	def test_an_entry_of_a_live_run_is_left_alone(self):
		e = journal.Entry('install', self.tree, 'live').open(before={}, expect={})
		self.addCleanup(e.close)
		self.assertEqual(journal.dead_entries(), [])
		with open(e.path) as f:
			doc = json.load(f)
		self.assertEqual(doc['pid'], os.getpid())
		doc['start'] = 'not-this-process'	# the pid reused by another process
		with open(e.path, 'w') as f:
			json.dump(doc, f)
		self.assertEqual(len(journal.dead_entries()), 1)


if __name__ == '__main__':
	unittest.main()
