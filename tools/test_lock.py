# SPDX-License-Identifier: GPL-2.0
"""Unit tests of tools/lock.py, and of the locks tools/run.py takes: two
runs on one tree (a fake kunit.py, nothing built) never build in one build
dir at once, the second says what it waits for."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lock  # noqa: E402
from testutil import TOOLS, fake_612_tree  # noqa: E402

# A child that takes a lock and says so, then holds it for argv[3] seconds.
HOLDER = textwrap.dedent('''\
	import sys, time
	sys.path.insert(0, sys.argv[1])
	import lock
	with lock.Lock(sys.argv[2], 'the thing ' + sys.argv[2], 'holder',
		       shared=len(sys.argv) > 4) as l:
		print('got', l.inherited, flush=True)
		time.sleep(float(sys.argv[3]))
	''')


class LockTest(unittest.TestCase):

	def setUp(self):
		self.d = tempfile.mkdtemp()
		self.addCleanup(shutil.rmtree, self.d)
		self.env = dict(os.environ, ZDT_CACHE=os.path.join(self.d, 'cache'),
				ZDT_PROGRESS='off')
		self.old = os.environ.get('ZDT_CACHE')
		os.environ['ZDT_CACHE'] = self.env['ZDT_CACHE']
		self.addCleanup(self.restore_env)
		self.thing = os.path.join(self.d, 'tree')
		os.makedirs(self.thing)

	def restore_env(self):
		os.environ['ZDT_CACHE'] = self.old or ''
		if self.old is None:
			del os.environ['ZDT_CACHE']
		os.environ.pop(lock.ENV, None)

	def holder(self, seconds, *extra, env=None, **kw):
		p = subprocess.Popen([sys.executable, '-c', HOLDER, TOOLS, self.thing, str(seconds),
				      *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
				     env=env or self.env, **kw)
		self.addCleanup(self.end, p)
		self.assertTrue(p.stdout.readline().startswith('got'))
		return p

	@staticmethod
	def end(p):
		if p.poll() is None:
			p.kill()
		p.communicate()

	def test_a_second_process_waits_and_says_for_what_and_for_whom(self):
		p = self.holder(1.5)
		start = time.monotonic()
		q = subprocess.run([sys.executable, '-c', HOLDER, TOOLS, self.thing, '0'],
				   capture_output=True, text=True, env=self.env, check=True)
		self.assertGreater(time.monotonic() - start, 1.0)
		self.assertRegex(q.stderr, rf'holder: waiting for the thing {self.thing}: locked by '
				 rf'pid {p.pid} \(.*-c .*\), since ')
		self.assertIn('holder: got the thing', q.stderr)
		p.communicate()

	def test_shared_holders_do_not_wait_for_each_other_but_a_writer_does(self):
		p = self.holder(1.5, 'shared')
		with lock.Lock(self.thing, 'it', shared=True, wait=False):
			pass
		with self.assertRaisesRegex(lock.Busy, 'it: locked by'):
			lock.Lock(self.thing, 'it', wait=False).acquire()
		p.communicate()
		with lock.Lock(self.thing, 'it', wait=False):
			pass

	def test_a_lock_is_passed_on_to_children_and_outlives_a_killed_parent(self):
		"""The child of a holder has the lock already (no wait); the holder
		killed with SIGKILL, the lock stays held until the child ends."""
		with lock.Lock(self.thing, 'it') as mine:
			self.assertFalse(mine.inherited)
			with lock.Lock(self.thing, 'it again') as again:	# the same process
				self.assertTrue(again.inherited)
			child = self.holder(0, env=dict(os.environ, ZDT_PROGRESS='off'),
					    pass_fds=lock.held_fds())
			child.communicate()
		# A parent that hands the lock to a long child, then dies.
		parent = subprocess.Popen([sys.executable, '-c', textwrap.dedent(f'''\
			import subprocess, sys
			sys.path.insert(0, {TOOLS!r})
			import lock
			lock.Lock({self.thing!r}, 'it').acquire()
			c = subprocess.Popen([sys.executable, '-c', {HOLDER!r}, {TOOLS!r}, {self.thing!r},
					      '2'], pass_fds=lock.held_fds(), stdout=subprocess.PIPE,
					      text=True)
			print(c.pid, c.stdout.readline().strip(), flush=True)
			import time; time.sleep(30)
			''')], stdout=subprocess.PIPE, text=True, env=self.env)
		pid, got, inherited = parent.stdout.readline().split()
		self.assertEqual((got, inherited), ('got', 'True'))
		parent.send_signal(signal.SIGKILL)
		parent.communicate()
		with self.assertRaises(lock.Busy):
			lock.Lock(self.thing, 'it', wait=False).acquire()
		while os.path.exists(f'/proc/{pid}'):	# the orphan, reaped by init when it ends
			time.sleep(0.1)
		time.sleep(0.2)
		with lock.Lock(self.thing, 'it', wait=False):
			pass

	def test_a_child_does_not_inherit_a_lock_it_was_not_given(self):
		"""ZDT_LOCKS naming a process that is not an ancestor is ignored."""
		os.environ[lock.ENV] = f'{lock.lock_path(self.thing)}=1:99:ex'
		p = self.holder(0)
		p.communicate()
		self.assertEqual(p.returncode, 0)


# A fake kunit.py: notes in the build dir that it builds, and whether
# another kunit.py was building there when it started.
FAKE_KUNIT = textwrap.dedent('''\
	import os, sys, time
	b = sys.argv[sys.argv.index('--build_dir') + 1]
	os.makedirs(b, exist_ok=True)
	busy = os.path.join(b, 'building')
	if os.path.exists(busy):
		open(os.path.join(os.environ['ZDT_TEST_OUT'], 'overlap'), 'w').close()
	open(busy, 'w').close()
	time.sleep(float(os.environ.get('ZDT_TEST_SLEEP', '1.5')))
	os.remove(busy)
	sys.exit(1)
	''')


def fake_tree(parent: str) -> str:
	"""A scratch 6.12 tree with the fake kunit.py."""
	return fake_612_tree(parent, FAKE_KUNIT)


class RunLockTest(unittest.TestCase):

	def setUp(self):
		self.d = tempfile.mkdtemp()
		self.addCleanup(shutil.rmtree, self.d)
		self.tree = fake_tree(self.d)
		self.env = dict(os.environ, ZDT_CACHE=os.path.join(self.d, 'cache'),
				ZDT_TEST_OUT=self.d, ZDT_PROGRESS='off')

	def run_py(self, name):
		return subprocess.Popen([sys.executable, os.path.join(TOOLS, 'run.py'), '--kdir',
					 self.tree, '--arch', 'um', '--results', os.path.join(self.d, name)],
					stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
					env=self.env)

	def test_two_runs_on_one_tree_never_build_in_one_build_dir_at_once(self):
		first = self.run_py('r1')
		time.sleep(0.7)
		second = self.run_py('r2')
		out1, out2 = first.communicate()[0], second.communicate()[0]
		self.assertFalse(os.path.exists(os.path.join(self.d, 'overlap')), out1 + out2)
		self.assertIn(f'run: waiting for the kernel tree {self.tree}: locked by pid {first.pid}',
			      out2)
		self.assertEqual((first.returncode, second.returncode), (3, 3), out1 + out2)


if __name__ == '__main__':
	unittest.main()
