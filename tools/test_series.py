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


if __name__ == '__main__':
	unittest.main()
