# SPDX-License-Identifier: GPL-2.0
"""Unit tests of tools/workspace.py: the private copy of a tree, brought up
to date without ever making make trust a stale object, and a build dir
seeded from the tree's own that a toy kbuild (its if_changed rule: a saved
command line with absolute paths, and deps) rebuilds only what changed.
No kernel is built."""

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workspace  # noqa: E402
from testutil import Lines, scratch_tree  # noqa: E402


def write(path, text, mtime=None):
	os.makedirs(os.path.dirname(path), exist_ok=True)
	with open(path, 'w') as f:
		f.write(text)
	if mtime is not None:
		os.utime(path, ns=(mtime, mtime))


def read(path):
	with open(path) as f:
		return f.read()


class SyncTest(unittest.TestCase):

	def setUp(self):
		self.d = tempfile.mkdtemp()
		self.addCleanup(shutil.rmtree, self.d)
		self.src = os.path.join(self.d, 'src')
		self.dst = os.path.join(self.d, 'dst')
		write(os.path.join(self.src, 'a.c'), 'a\n', 10**18)
		write(os.path.join(self.src, 'sub/b.c'), 'b\n', 10**18)
		os.symlink('a.c', os.path.join(self.src, 'link'))

	def test_a_new_copy_keeps_mtimes_and_a_later_change_gets_a_new_one(self):
		os.makedirs(self.dst)
		workspace.sync(self.src, self.dst, fresh=True)
		self.assertEqual(os.stat(os.path.join(self.dst, 'a.c')).st_mtime_ns, 10**18)
		self.assertEqual(os.readlink(os.path.join(self.dst, 'link')), 'a.c')
		# An interrupted run left a patched file (and one it created) in
		# the copy, with mtimes older than an object built from them.
		write(os.path.join(self.dst, 'a.c'), 'patched\n', 10**18 + 5)
		write(os.path.join(self.dst, 'sub/new.c'), 'new\n')
		# A file of the source changes, with an mtime in the past (tar -x).
		write(os.path.join(self.src, 'sub/b.c'), 'b2\n', 10**18 - 5)
		start = time.time_ns() - 10**9
		self.assertEqual(workspace.sync(self.src, self.dst), 3)
		self.assertEqual(read(os.path.join(self.dst, 'a.c')), 'a\n')
		self.assertEqual(read(os.path.join(self.dst, 'sub/b.c')), 'b2\n')
		self.assertFalse(os.path.exists(os.path.join(self.dst, 'sub/new.c')))
		# Every file it wrote is newer than anything built before: make
		# rebuilds what the old content built.
		for f in ('a.c', 'sub/b.c'):
			self.assertGreater(os.stat(os.path.join(self.dst, f)).st_mtime_ns, start, f)

	def test_same_content_keeps_its_mtime_unless_the_source_is_later(self):
		os.makedirs(self.dst)
		workspace.sync(self.src, self.dst, fresh=True)
		os.utime(os.path.join(self.dst, 'a.c'), ns=(10**18 + 7, 10**18 + 7))	# restored by a run
		self.assertEqual(workspace.sync(self.src, self.dst), 0)
		self.assertEqual(os.stat(os.path.join(self.dst, 'a.c')).st_mtime_ns, 10**18 + 7)
		os.utime(os.path.join(self.src, 'a.c'), ns=(10**18 + 9, 10**18 + 9))	# touched
		workspace.sync(self.src, self.dst)
		self.assertEqual(os.stat(os.path.join(self.dst, 'a.c')).st_mtime_ns, 10**18 + 9)

	def test_a_git_tree_gives_its_files_and_never_the_cache_inside_it(self):
		"""git ls-files: tracked and untracked files, edits included; not
		the ignored build output, not .git, not a cache dir inside it."""
		write(os.path.join(self.src, '.gitignore'), '*.o\n')
		for args in (['init', '-q'], ['add', '-A'], ['-c', 'user.name=t', '-c', 'user.email=t@t',
							     'commit', '-qm', 'x']):
			subprocess.run(['git', '-C', self.src, *args], check=True)
		write(os.path.join(self.src, 'a.c'), 'edited\n')
		write(os.path.join(self.src, 'untracked.c'), 'u\n')
		write(os.path.join(self.src, 'a.o'), 'object\n')
		write(os.path.join(self.src, '.zdt-cache/work/x'), 'cache\n')
		with mock.patch.dict(os.environ, {'ZDT_CACHE': os.path.join(self.src, '.zdt-cache')}):
			files = sorted(workspace.source_files(self.src))
		self.assertEqual(files, ['.gitignore', 'a.c', 'link', 'sub/b.c', 'untracked.c'])


# A toy of kbuild's rebuild rule (scripts/Kbuild.include if_changed_dep):
# an object is rebuilt when a prerequisite is newer or its command line
# changed; both are saved in .<obj>.cmd with absolute paths, as kbuild
# saves them (savedcmd_, deps_).  The generated Makefile names the srctree.
TOY = textwrap.dedent('''\
	objs := a.o b.o
	all: $(objs)
	cmd_a.o = cat $(srctree)/a.c $(srctree)/inc/h.h > a.o
	cmd_b.o = cat $(srctree)/b.c $(srctree)/inc/h.h > b.o
	-include .a.o.cmd .b.o.cmd
	changed = $(strip $(filter-out $(savedcmd_$@),$(cmd_$@)) $(filter-out $(cmd_$@),$(savedcmd_$@)))
	%.o: $(srctree)/%.c FORCE
	\t@$(if $(or $(filter-out FORCE,$?),$(changed)),$(cmd_$@) && echo $@ >> built && \\
	\tprintf '%s\\n' 'savedcmd_$@ := $(cmd_$@)' 'deps_$@ := $(srctree)/$*.c $(srctree)/inc/h.h' \\
	\t'$@: $$(deps_$@)' '$$(deps_$@):' > .$@.cmd,:)
	FORCE:
	''')


class SeedTest(unittest.TestCase):

	def setUp(self):
		self.d = os.path.realpath(tempfile.mkdtemp())
		self.addCleanup(shutil.rmtree, self.d)
		self.src = os.path.join(self.d, 'linux-source-7.3')
		for f, text in (('a.c', 'a\n'), ('b.c', 'b\n'), ('inc/h.h', 'h\n'), ('toy.mk', TOY)):
			write(os.path.join(self.src, f), text, 10**18)
		self.old = os.path.join(self.d, 'build', '7.3.4-x86_64')
		os.makedirs(self.old)
		self.make(self.src, self.old)
		os.remove(os.path.join(self.old, 'built'))

	def make(self, src, build):
		with open(os.path.join(build, 'Makefile'), 'w') as f:	# what kbuild generates
			f.write(f'# Automatically generated by {src}/Makefile: don\'t edit\n'
				f'export KBUILD_OUTPUT = {build}\ninclude {src}/Makefile\n')
		if not os.path.lexists(os.path.join(build, 'source')):
			os.symlink(src, os.path.join(build, 'source'))
		subprocess.run(['make', '-s', '-C', build, '-f', os.path.join(src, 'toy.mk'),
				f'srctree={src}'], check=True, capture_output=True)
		try:
			return sorted(read(os.path.join(build, 'built')).split())
		except FileNotFoundError:
			return []

	def copy_tree(self):
		new = os.path.join(self.d, 'work', 'linux-source-7.3-0123456789ab')
		os.makedirs(new)
		workspace.sync(self.src, new, fresh=True)
		return new

	def test_a_seeded_build_dir_rebuilds_only_what_the_copy_changed(self):
		self.assertEqual(self.make(self.src, self.old), [])	# the source's build is current
		copy = self.copy_tree()
		new = self.old + '-0123456789ab'
		self.assertEqual(workspace.build_dir_tree(self.old), (self.src, self.old))
		n = workspace.seed_build_dir(self.old, new, self.src, copy)
		self.assertEqual(n, 4)	# two .cmd files, the Makefile, the source link
		self.assertIn(f'savedcmd_a.o := cat {copy}/a.c', read(os.path.join(new, '.a.o.cmd')))
		self.assertEqual(os.readlink(os.path.join(new, 'source')), copy)
		self.assertEqual(self.make(copy, new), [])	# nothing to rebuild
		# A patch in the copy: that object alone.
		write(os.path.join(copy, 'b.c'), 'b patched\n')
		self.assertEqual(self.make(copy, new), ['b.o'])
		self.assertEqual(read(os.path.join(new, 'b.o')), 'b patched\nh\n')
		# The source's own build dir is untouched by any of it.
		self.assertEqual(self.make(self.src, self.old), [])
		self.assertIn(f'cat {self.src}/a.c', read(os.path.join(self.old, '.a.o.cmd')))

	def test_a_copys_build_dir_of_an_older_config_is_seeded_again(self):
		old, new = os.path.join(self.d, 'b-old'), os.path.join(self.d, 'b-new')
		self.assertEqual(workspace.seed_wanted(old, new), '')	# nothing to seed from
		os.makedirs(old)
		with open(os.path.join(old, '.config'), 'w') as f:
			f.write('CONFIG_A=y\n')
		self.assertIn('none yet', workspace.seed_wanted(old, new))
		os.makedirs(new)
		self.assertIn('no .config', workspace.seed_wanted(old, new))
		shutil.copy2(os.path.join(old, '.config'), os.path.join(new, '.config'))
		self.assertEqual(workspace.seed_wanted(old, new), '')
		# The configuration changed and old was built with it: seeded again.
		with open(os.path.join(new, '.config'), 'w') as f:
			f.write('CONFIG_A=y\nCONFIG_PROVE_LOCKING=y\n')
		os.utime(os.path.join(new, '.config'), (1, 1))
		self.assertIn('older one', workspace.seed_wanted(old, new))
		# The copy was configured after old: old is the stale one, kept.
		os.utime(os.path.join(old, '.config'), (1, 1))
		os.utime(os.path.join(new, '.config'), (2, 2))
		self.assertEqual(workspace.seed_wanted(old, new), '')

	def test_a_plain_copy_of_the_build_dir_rebuilds_everything(self):
		"""Why seed_build_dir() rewrites: the saved commands name the old
		srctree, so kbuild's if_changed rebuilds every object."""
		copy = self.copy_tree()
		new = self.old + '-plain'
		shutil.copytree(self.old, new, symlinks=True)
		self.assertEqual(self.make(copy, new), ['a.o', 'b.o'])

	def test_a_path_that_only_starts_like_the_old_one_is_left_alone(self):
		rw = workspace._rewriter([(self.src, '/new'), (self.old, '/nb')])  # pylint: disable=protected-access
		text = (f'{self.src}/a.c {self.src}-other/x {self.old}-modules/y {self.old} '
			f'-I{self.src}/include "{self.old}"').encode()
		self.assertEqual(rw(text).decode(),
				 f'/new/a.c {self.src}-other/x {self.old}-modules/y /nb -I/new/include "/nb"')


class WorkspaceTest(unittest.TestCase):

	def setUp(self):
		self.d = tempfile.mkdtemp()
		self.addCleanup(shutil.rmtree, self.d)
		patcher = mock.patch.dict(os.environ, {'ZDT_CACHE': os.path.join(self.d, 'cache')})
		patcher.start()
		self.addCleanup(patcher.stop)

	def test_a_tree_whose_path_has_a_space_gets_a_copy_without_one(self):
		parent = os.path.join(self.d, 'my trees')
		os.makedirs(parent)
		tree = scratch_tree(parent)
		out = []
		with workspace.Workspace(tree, 'test', out=Lines(out)) as ws:
			ws.prepare([])
			self.assertNotIn(' ', ws.tree)
			self.assertEqual(read(os.path.join(ws.tree, 'mm/Makefile')), 'obj-y += memory.o\n')
		self.assertRegex(out[0], r'^test: a private copy of .*/my trees/linux: .*/cache/work/'
				 r'linux-[0-9a-f]{12} \(\d+ files, \d+ s\)$')


if __name__ == '__main__':
	unittest.main()
