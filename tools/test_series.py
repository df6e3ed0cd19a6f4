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

	def test_git_tree_gets_git_am_and_is_reset(self):
		def git(*a):
			subprocess.run(['git', '-C', self.tree, '-c', 'user.name=t', '-c',
					'user.email=t@t', *a], check=True, capture_output=True)
		git('init', '-q')
		git('add', '-A')
		git('commit', '-qm', 'base')
		head = subprocess.run(['git', '-C', self.tree, 'rev-parse', 'HEAD'],
				      capture_output=True, text=True, check=True).stdout
		p = self.write_patch('1.patch', diff('mm/Makefile', 'obj-y += memory.o\n', 'obj-y += b.o\n'),
				     header='From: t <t@t>\nSubject: [PATCH] b\n\nbody\n---\n')
		s = series.Series(self.tree, [p], os.path.join(self.d, 'backup'))
		self.assertEqual(s.method, 'git am')
		env = dict(os.environ, GIT_COMMITTER_NAME='t', GIT_COMMITTER_EMAIL='t@t')
		old = os.environ.copy()
		os.environ.update(env)
		try:
			s.apply()
		finally:
			os.environ.clear()
			os.environ.update(old)
		s.restore()
		self.assertEqual(subprocess.run(['git', '-C', self.tree, 'rev-parse', 'HEAD'],
						capture_output=True, text=True, check=True).stdout, head)
		with open(os.path.join(self.tree, 'mm/Makefile')) as f:
			self.assertEqual(f.read(), 'obj-y += memory.o\n')

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

	def test_base_is_the_merge_base_and_the_tree_ends_on_its_branch(self):
		head = self.git('rev-parse', 'HEAD')
		r = series.Revisions(self.tree, 'master')
		self.assertEqual(r.base, self.git('merge-base', 'HEAD', 'master'))
		self.assertEqual([p.split(' ', 1)[1] for p in r.patches], ['mm: change 2', 'mm: change 1'])
		self.assertFalse(r.touches_kconfig())
		r.start()
		self.assertEqual(self.makefile(), 'obj-y += memory.o\n')
		self.assertFalse(os.path.exists(os.path.join(self.tree, 'README')))	# not master's tip
		r.apply()
		self.assertEqual(self.makefile(), 'obj-y += memory.o gup.o\n')
		r.restore()
		self.assertEqual(self.git('symbolic-ref', '--short', 'HEAD'), 'topic')
		self.assertEqual(self.git('rev-parse', 'HEAD'), head)
		self.assertEqual(self.git('status', '--porcelain'), '')

	def test_restore_from_the_baseline_and_from_a_detached_head(self):
		r = series.Revisions(self.tree, 'master')
		r.start()	# a failing baseline run: restore straight from BASE
		r.restore()
		self.assertEqual(self.git('symbolic-ref', '--short', 'HEAD'), 'topic')
		self.git('checkout', '-q', '--detach', 'topic')
		r = series.Revisions(self.tree, 'master')
		r.start()
		r.restore()
		self.assertEqual(self.git('rev-parse', 'HEAD'), self.git('rev-parse', 'topic'))
		with self.assertRaises(subprocess.CalledProcessError):
			self.git('symbolic-ref', '-q', 'HEAD')	# still detached

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
