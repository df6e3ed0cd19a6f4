# SPDX-License-Identifier: GPL-2.0
"""Unit tests of tools/series.py: a series applied to a scratch tree and the
tree put back."""

import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import series  # noqa: E402
from common import ToolError  # noqa: E402
from testutil import ScratchTreeCase, diff, snapshot  # noqa: E402


class SeriesTest(ScratchTreeCase):

	def write_patch(self, name, text, header=''):
		p = os.path.join(self.d, name)
		with open(p, 'w') as f:
			f.write(header + text)
		return p

	def test_series_applies_and_restores_tree_exactly(self):
		"""patch -p1 mode: both patches apply, restore brings back every byte
		and removes the file the series created."""
		before = snapshot(self.tree)
		p1 = self.write_patch('1.patch', diff('mm/Makefile', 'obj-y += memory.o\n',
						      'obj-y += memory.o huge_memory.o\n'))
		p2 = self.write_patch('2.patch', diff('mm/new.c', None, 'int x;\n'))
		s = series.Series(self.tree, [p1, p2], os.path.join(self.d, 'backup'))
		self.assertEqual(s.method, 'patch -p1')
		s.apply()
		with open(os.path.join(self.tree, 'mm/Makefile')) as f:
			self.assertIn('huge_memory.o', f.read())
		self.assertTrue(os.path.exists(os.path.join(self.tree, 'mm/new.c')))
		s.restore()
		after = snapshot(self.tree)
		self.assertEqual({k: v[0] for k, v in after.items()},
				 {k: v[0] for k, v in before.items()})

	def test_series_that_does_not_apply_names_patch_and_hunk(self):
		p1 = self.write_patch('1.patch', diff('mm/Makefile', 'obj-y += memory.o\n',
						      'obj-y += memory.o a.o\n'))
		p2 = self.write_patch('2-bad.patch', diff('mm/Kconfig', 'no such line\n', 'x\n'))
		before = snapshot(self.tree)
		s = series.Series(self.tree, [p1, p2], os.path.join(self.d, 'backup'))
		with self.assertRaisesRegex(ToolError, r'2-bad.patch does not apply .*mm/Kconfig.*Hunk #1 FAILED'):
			s.apply()
		s.restore()
		self.assertEqual({k: v[0] for k, v in snapshot(self.tree).items()},
				 {k: v[0] for k, v in before.items()})

	def test_git_tree_gets_git_apply_and_nothing_is_committed_or_reset(self):
		"""A git tree (a mail patch): git apply, no commit, the branch where
		it was, and an edit made while the series was in (in a file the
		series does not touch) is still there after restore()."""
		def git(*a):
			return subprocess.run(['git', '-C', self.tree, '-c', 'user.name=t', '-c',
					       'user.email=t@t', *a], check=True, capture_output=True,
					      text=True).stdout.strip()
		git('init', '-q', '-b', 'work')
		git('add', '-A')
		git('commit', '-qm', 'base')
		head = git('rev-parse', 'HEAD')
		p = self.write_patch('1.patch', diff('mm/Makefile', 'obj-y += memory.o\n', 'obj-y += b.o\n'),
				     header='From: t <t@t>\nSubject: [PATCH] b\n\nbody\n---\n')
		s = series.Series(self.tree, [p], os.path.join(self.d, 'backup'))
		self.assertEqual(s.method, 'git apply')
		s.apply()
		with open(os.path.join(self.tree, 'mm/Makefile')) as f:
			self.assertEqual(f.read(), 'obj-y += b.o\n')
		self.assertEqual(git('rev-parse', 'HEAD'), head)
		with open(os.path.join(self.tree, 'mm/Kconfig'), 'a') as f:
			f.write('# an edit while the gate ran\n')
		s.restore()
		self.assertEqual(git('rev-parse', 'HEAD'), head)
		self.assertEqual(git('symbolic-ref', '--short', 'HEAD'), 'work')
		self.assertEqual(git('status', '--porcelain'), 'M mm/Kconfig')
		with open(os.path.join(self.tree, 'mm/Makefile')) as f:
			self.assertEqual(f.read(), 'obj-y += memory.o\n')

	def test_a_copy_of_a_git_tree_gets_git_apply_as_strict_as_git_am(self):
		"""git_apply=True in a directory that is no git tree (the private
		copy), even one inside another git repository: the patch applies
		relative to the copy; a hunk that patch -p1 would take with fuzz
		does not apply."""
		subprocess.run(['git', 'init', '-q', self.d], check=True)	# the copy's parent
		p = self.write_patch('1.patch', diff('mm/Makefile', 'obj-y += memory.o\n', 'obj-y += b.o\n'))
		s = series.Series(self.tree, [p], os.path.join(self.d, 'backup'), git_apply=True)
		s.apply()
		with open(os.path.join(self.tree, 'mm/Makefile')) as f:
			self.assertEqual(f.read(), 'obj-y += b.o\n')
		s.restore()
		fuzzy = self.write_patch('2.patch', '--- a/mm/Kconfig\n+++ b/mm/Kconfig\n'
					 '@@ -1,2 +1,3 @@\n menu "Memory Management options"\n+x\n'
					 ' not the context\n')
		with self.assertRaisesRegex(ToolError, r'2.patch does not apply .*\(git apply\)'):
			series.Series(self.tree, [fuzzy], os.path.join(self.d, 'b2'), git_apply=True).apply()

	def test_mbox_splits_into_patches_and_skips_cover_letter(self):
		msg = 'From 0123456789abcdef Mon Sep 17 00:00:00 2001\nFrom: t <t@t>\nSubject: {}\n\n{}'
		mbox = self.write_patch('s.mbox', msg.format('[PATCH 0/2] cover', 'text\n') +
					msg.format('[PATCH 1/2] a', '---\n' + diff('a', 'x\n', 'y\n')) +
					msg.format('[PATCH 2/2] b', '---\n' + diff('b', 'x\n', 'y\n')))
		parts = series.series_patches(mbox, self.d)
		self.assertEqual(len(parts), 2)
		self.assertEqual(series.touched_files(parts[1]), {'b'})


class RevisionsTest(ScratchTreeCase):
	"""BASE= gating: a git tree's merge base checked out for the baseline,
	HEAD for the patched run, and the tree left on its branch."""

	def git(self, *args):
		return subprocess.run(['git', '-C', self.tree, '-c', 'user.name=t',
				       '-c', 'user.email=t@t', *args], capture_output=True, text=True,
				      check=True).stdout.strip()

	def setUp(self):
		super().setUp()
		self.git('init', '-q', '-b', 'master')
		self.git('add', '-A')
		self.git('commit', '-qm', 'base')
		self.git('checkout', '-qb', 'topic')
		for n, text in ((1, 'obj-y += memory.o huge_memory.o\n'), (2, 'obj-y += memory.o gup.o\n')):
			with open(os.path.join(self.tree, 'mm/Makefile'), 'w') as f:
				f.write(text)
			self.git('commit', '-qam', f'mm: change {n}')
		self.git('checkout', '-q', 'master')
		with open(os.path.join(self.tree, 'README'), 'w') as f:
			f.write('later on master\n')
		self.git('add', 'README')
		self.git('commit', '-qm', 'master moves on')
		self.git('checkout', '-q', 'topic')

	def makefile(self):
		with open(os.path.join(self.tree, 'mm/Makefile')) as f:
			return f.read()

	def copy(self):
		"""A private copy of the tree (what tools/workspace.py makes)."""
		import shutil  # pylint: disable=import-outside-toplevel
		dst = os.path.join(self.d, 'copy')
		shutil.copytree(self.tree, dst, ignore=shutil.ignore_patterns('.git'))
		scratch = os.path.join(self.d, 'scratch')
		os.makedirs(scratch)
		return dst, scratch

	def test_base_is_the_merge_base_and_the_tree_is_only_read(self):
		head = self.git('rev-parse', 'HEAD')
		before = snapshot(self.tree)
		r = series.Revisions(self.tree, 'master')
		self.assertEqual(r.base, self.git('merge-base', 'HEAD', 'master'))
		self.assertEqual([p.split(' ', 1)[1] for p in r.patches], ['mm: change 2', 'mm: change 1'])
		self.assertFalse(r.touches_kconfig())
		copy, scratch = self.copy()
		r.attach(copy, scratch)
		r.start()
		with open(os.path.join(copy, 'mm/Makefile')) as f:
			self.assertEqual(f.read(), 'obj-y += memory.o\n')	# the merge base
		self.assertFalse(os.path.exists(os.path.join(copy, 'README')))	# not master's tip
		r.apply()
		with open(os.path.join(copy, 'mm/Makefile')) as f:
			self.assertEqual(f.read(), 'obj-y += memory.o gup.o\n')
		r.restore()
		self.assertEqual(self.git('symbolic-ref', '--short', 'HEAD'), 'topic')
		self.assertEqual(self.git('rev-parse', 'HEAD'), head)
		self.assertEqual(self.git('status', '--porcelain'), '')
		self.assertEqual({k: v for k, v in snapshot(self.tree).items() if not k.startswith('.git')},
				 {k: v for k, v in before.items() if not k.startswith('.git')})

	def test_restore_from_the_baseline_puts_head_back_in_the_copy(self):
		r = series.Revisions(self.tree, 'master')
		copy, scratch = self.copy()
		r.attach(copy, scratch)
		r.start()	# a failing baseline run: restore straight from BASE
		r.restore()
		with open(os.path.join(copy, 'mm/Makefile')) as f:
			self.assertEqual(f.read(), self.makefile())
		self.assertEqual(self.git('symbolic-ref', '--short', 'HEAD'), 'topic')

	def test_bad_input_is_one_clear_error(self):
		with open(os.path.join(self.tree, 'mm/Makefile'), 'a') as f:
			f.write('# local edit\n')
		with self.assertRaisesRegex(ToolError, 'uncommitted changes'):
			series.Revisions(self.tree, 'master')
		self.git('checkout', '-q', '--', 'mm/Makefile')
		with self.assertRaisesRegex(ToolError, "BASE 'nope' is not a revision"):
			series.Revisions(self.tree, 'nope')
		with self.assertRaisesRegex(ToolError, 'nothing to gate'):
			series.Revisions(self.tree, 'topic')
		with self.assertRaisesRegex(ToolError, 'needs a git tree'):
			series.Revisions(self.d, 'master')


if __name__ == '__main__':
	unittest.main()
