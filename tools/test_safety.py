# SPDX-License-Identifier: GPL-2.0
"""End-to-end tests of what a gate does to the trees around it, with a fake
kunit.py (nothing built or booted): a git KDIR with an uncommitted edit
keeps its branch, its HEAD and its edit while the gate runs, when it is
killed with SIGKILL and when it gets SIGHUP; the tree the gate is given is
never patched (a `make run` on it meanwhile builds the stock kernel); odd
setups (a read-only tree, a path with a space, a tree with the suites
committed) end in one line or work."""

import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mutants  # noqa: E402
from common import REPO  # noqa: E402
from testutil import TOOLS, diff, fake_612_tree  # noqa: E402

# kunit.py of the scratch tree: notes which tree it runs in and whether that
# tree, and the tree the gate was given, have the series; hangs in a patched
# tree if told to; prints one suite's KTAP.
FAKE_KUNIT = textwrap.dedent('''\
	import os, sys, time
	out = os.environ['ZDT_TEST_OUT']
	patched = 'PATCHED' in open('mm/Makefile').read()
	given = open(os.path.join(os.environ['ZDT_TEST_SOURCE'], 'mm/Makefile')).read()
	with open(os.path.join(out, 'runs'), 'a') as f:
		f.write(f'{os.getcwd()} patched={patched} given_patched={"PATCHED" in given}\\n')
	if patched and os.environ.get('ZDT_TEST_HANG'):
		with open(os.path.join(out, 'hanging.tmp'), 'w') as f:
			f.write(f'{os.getpid()} {os.getppid()}')
		os.rename(os.path.join(out, 'hanging.tmp'), os.path.join(out, 'hanging'))
		time.sleep(120)
	print('KTAP version 1\\n1..1\\n    KTAP version 1\\n    # Subtest: zone_device_fake\\n'
	      '    1..1\\n    ok 1 fake\\nok 1 zone_device_fake')
	''')


def git(tree, *args):
	return subprocess.run(['git', '-C', tree, '-c', 'user.name=t', '-c', 'user.email=t@t', *args],
			      capture_output=True, text=True, check=True).stdout.strip()


class GateSafetyTest(unittest.TestCase):

	def setUp(self):
		self.d = os.path.realpath(tempfile.mkdtemp())
		self.addCleanup(shutil.rmtree, self.d, True)
		self.tree = self.make_tree(self.d)
		self.env = dict(os.environ, ZDT_CACHE=os.path.join(self.d, 'cache'), ZDT_TEST_OUT=self.d,
				ZDT_TEST_SOURCE=self.tree, ZDT_PROGRESS='off')
		self.patch = os.path.join(self.d, '0001-mm-patched.patch')
		with open(self.patch, 'w') as f:
			f.write('From: t <t@t>\nSubject: [PATCH] mm: patched\n\n---\n' +
				diff('mm/Makefile', 'obj-y += memory.o\n', 'obj-y += memory.o # PATCHED\n'))

	@staticmethod
	def make_tree(parent):
		"""A 6.12 scratch tree (UML needs no patches/uml) with the fake
		kunit.py."""
		return fake_612_tree(parent, FAKE_KUNIT)

	def make_git_tree(self):
		"""The tree as a user's git checkout on branch 'work', with an
		uncommitted edit."""
		git(self.tree, 'init', '-q', '-b', 'work')
		git(self.tree, 'add', '-A')
		git(self.tree, 'commit', '-qm', 'base')
		with open(os.path.join(self.tree, 'mm/Kconfig'), 'a') as f:
			f.write('# my uncommitted edit\n')
		return git(self.tree, 'rev-parse', 'HEAD')

	def assert_user_tree_untouched(self, head):
		self.assertEqual(git(self.tree, 'rev-parse', 'HEAD'), head)
		self.assertEqual(git(self.tree, 'symbolic-ref', '--short', 'HEAD'), 'work')
		self.assertEqual(git(self.tree, 'status', '--porcelain'), 'M mm/Kconfig')
		self.assertIn('# my uncommitted edit', open(os.path.join(self.tree, 'mm/Kconfig')).read())
		self.assertEqual(open(os.path.join(self.tree, 'mm/Makefile')).read(), 'obj-y += memory.o\n')
		self.assertEqual(git(self.tree, 'worktree', 'list', '--porcelain').count('worktree '), 1)

	def gate(self, *args, hang=False):
		env = dict(self.env, **({'ZDT_TEST_HANG': '1'} if hang else {}))
		return subprocess.Popen([sys.executable, os.path.join(TOOLS, 'gate.py'), *args,
					 '--arch', 'um', '--results', os.path.join(self.d, 'out')],
					stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
					# As from a terminal, whatever ran these tests (nohup ignores it).
					preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_DFL))

	def runs(self):
		with open(os.path.join(self.d, 'runs')) as f:
			return f.read().splitlines()

	def wait_for_hang(self, p):
		hanging = os.path.join(self.d, 'hanging')
		for _ in range(300):
			if os.path.exists(hanging) or p.poll() is not None:
				break
			time.sleep(0.1)
		self.assertTrue(os.path.exists(hanging), p.poll() is not None and p.communicate()[0])
		with open(hanging) as f:
			kunit, run_py = map(int, f.read().split())
		# run.py runs in a session of its own (the gate stops it as a group).
		self.addCleanup(self.kill_group, run_py)
		return kunit, run_py

	@staticmethod
	def kill_group(pgid):
		try:
			os.killpg(pgid, signal.SIGKILL)
		except ProcessLookupError:
			pass

	def test_a_gate_killed_with_sigkill_leaves_a_git_kdir_as_it_was(self):
		"""kill -9 of a gate mid-build (the patched run) on a git KDIR with
		an uncommitted edit: the branch, HEAD, the edit and the tracked
		files are the user's; nothing was ever committed or reset.  The next
		gate starts from the copy brought back to the tree's content."""
		head = self.make_git_tree()
		p = self.gate(self.patch, '--kdir', self.tree, hang=True)
		_, run_py = self.wait_for_hang(p)
		self.assert_user_tree_untouched(head)	# while the series is in
		p.send_signal(signal.SIGKILL)
		p.wait()
		# Its run.py and kunit.py go on (their own session) with the copy's
		# lock: the next gate waits for them, and says so.
		self.assert_user_tree_untouched(head)
		os.remove(os.path.join(self.d, 'hanging'))
		q = self.gate(self.patch, '--kdir', self.tree)
		time.sleep(1.5)
		self.assertIsNone(q.poll())
		self.kill_group(run_py)
		p.communicate()		# their end of its stdout closed
		out = q.communicate()[0]
		self.assertRegex(out, r'gate: waiting for the private copy of .*: locked by pid '
				 rf'{p.pid} ')
		self.assertNotEqual(q.returncode, 2, out)
		runs = self.runs()
		self.assertEqual(len(runs), 4, runs)
		copy = runs[0].split()[0]
		self.assertNotEqual(copy, self.tree)
		self.assertEqual([r.split()[1:] for r in runs[2:]],
				 [['patched=False', 'given_patched=False'],	# the copy put back
				  ['patched=True', 'given_patched=False']])
		self.assert_user_tree_untouched(head)

	def test_sighup_stops_the_gate_and_puts_its_copy_back(self):
		head = self.make_git_tree()
		p = self.gate(self.patch, '--kdir', self.tree, hang=True)
		kunit, _ = self.wait_for_hang(p)
		copy = self.runs()[-1].split()[0]
		p.send_signal(signal.SIGHUP)
		out = p.communicate(timeout=60)[0]
		self.assertEqual(p.returncode, 129, out)
		self.assertNotIn('PATCHED', open(os.path.join(copy, 'mm/Makefile')).read())
		self.assertFalse(os.path.exists(f'/proc/{kunit}'), 'kunit.py outlived the gate')
		self.assert_user_tree_untouched(head)

	def test_the_tree_given_is_never_patched(self):
		"""What a `make run` on the cached tree would build while the gate
		runs: stock.  The runs of the gate are in its copy."""
		p = self.gate(self.patch, '--kdir', self.tree)
		out = p.communicate()[0]
		self.assertNotEqual(p.returncode, 2, out)
		self.assertIn('patch -p1', out)		# not a git tree: as patch -p1 would
		runs = [r.split() for r in self.runs()]
		self.assertEqual([r[1:] for r in runs], [['patched=False', 'given_patched=False'],
							 ['patched=True', 'given_patched=False']])
		self.assertTrue(all(r[0] != self.tree for r in runs))

	def test_a_read_only_tree_is_one_line_for_run_and_works_for_the_gate(self):
		target = os.path.join(self.tree, 'mm/Makefile')
		if subprocess.run(['chattr', '+i', target], capture_output=True).returncode:
			self.skipTest('chattr +i is not available here')
		self.addCleanup(subprocess.run, ['chattr', '-i', target])
		r = subprocess.run([sys.executable, os.path.join(TOOLS, 'run.py'), '--kdir', self.tree,
				    '--arch', 'um'], capture_output=True, text=True, env=self.env)
		self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
		self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
		self.assertRegex(r.stderr, r"^run: '.*' is read-only \(mm/Makefile cannot be written\)")
		p = self.gate(self.patch, '--kdir', self.tree)
		out = p.communicate()[0]
		self.assertNotEqual(p.returncode, 2, out)
		self.assertEqual(len(self.runs()), 2)

	def test_a_path_with_a_space_is_one_line_for_run_and_works_for_the_gate(self):
		spaced = os.path.join(self.d, 'my trees')
		os.makedirs(spaced)
		tree = self.make_tree(spaced)
		r = subprocess.run([sys.executable, os.path.join(TOOLS, 'run.py'), '--kdir', tree,
				    '--arch', 'um'], capture_output=True, text=True, env=self.env)
		self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
		self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
		self.assertIn('has a space or a colon in its path', r.stderr)
		self.env['ZDT_TEST_SOURCE'] = tree
		p = self.gate(self.patch, '--kdir', tree)
		out = p.communicate()[0]
		self.assertNotEqual(p.returncode, 2, out)
		self.assertEqual(len(self.runs()), 2)

	def test_a_tree_with_the_suites_committed_needs_as_is_and_gets_it(self):
		for f in ('zone_device_fixture.h', 'Makefile'):
			os.makedirs(os.path.join(self.tree, 'mm/tests'), exist_ok=True)
			with open(os.path.join(self.tree, 'mm/tests', f), 'w') as fh:
				fh.write('/* committed */\n')
		p = self.gate(self.patch, '--kdir', self.tree)
		out = p.communicate()[0]
		self.assertEqual(p.returncode, 2, out)
		self.assertIn('--as-is', out)
		p = self.gate(self.patch, '--kdir', self.tree, '--as-is')
		out = p.communicate()[0]
		self.assertNotEqual(p.returncode, 2, out)
		self.assertEqual(len(self.runs()), 2)


class OddSetupTest(unittest.TestCase):

	def test_the_makefile_quotes_paths_with_spaces(self):
		p = subprocess.run(['make', '-n', '-C', REPO, 'run', 'gate', 'install', 'series',
				    "KDIR=/tmp/my trees/it's linux", 'PATCHES=/tmp/my series/x.patch'],
				   capture_output=True, text=True, check=True)
		lines = [l for l in p.stdout.replace('\\\n', ' ').splitlines()
			 if 'tools/' in l and '--kdir' in l or 'install.py' in l]
		self.assertEqual(len(lines), 4, p.stdout)
		for line in lines:
			args = shlex.split(line)
			self.assertIn("/tmp/my trees/it's linux", args, line)
		gate = [shlex.split(l) for l in lines if 'gate.py' in l][0]
		self.assertIn('/tmp/my series/x.patch', gate)

	def test_a_tool_that_crashes_exits_2_and_mutants_never_reads_it_as_a_catch(self):
		r = subprocess.run([sys.executable, '-c', 'import sys; sys.path.insert(0, sys.argv[1]); '
				    'import common; common.main_wrapper("x", lambda: 1 / 0)', TOOLS],
				   capture_output=True, text=True)
		self.assertEqual(r.returncode, 2)
		self.assertIn('Traceback', r.stderr)
		self.assertIn('x: internal error (traceback above): ZeroDivisionError', r.stderr)
		verdict = mutants.judge(2, {'s.a': mutants.S.FAIL}, ['s.a'])[0]
		self.assertTrue(verdict.startswith('ERROR'), verdict)


if __name__ == '__main__':
	unittest.main()
