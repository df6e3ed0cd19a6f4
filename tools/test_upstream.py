# SPDX-License-Identifier: GPL-2.0
"""Unit tests of tools/upstream.py (make series) on a scratch git tree: no
kernel is built; docs/upstream.md has the commands for a real 7.3 tree."""

import glob
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import upstream  # noqa: E402
from common import ToolError  # noqa: E402
from testutil import ScratchTreeCase, snapshot  # noqa: E402

KCONFIG = '''menu "Memory Management options"

config LAZY_MMU_MODE_KUNIT_TEST
	tristate "KUnit tests for the lazy MMU mode" if !KUNIT_ALL_TESTS
	depends on KUNIT
	help
	  Upstream's.

source "mm/damon/Kconfig"

endmenu
'''
MAINTAINERS = '''MEMORY MANAGEMENT - THP (TRANSPARENT HUGE PAGE)
M:	A <a@b>
F:	mm/huge_memory.c

MEMORY MANAGEMENT - USERFAULTFD
M:	B <b@c>
F:	mm/userfaultfd.c

MEMORY MANAGEMENT - RUST
M:	C <c@d>
'''


class SeriesOutTest(ScratchTreeCase):

	def git(self, tree, *args):
		return subprocess.run(['git', '-C', tree, '-c', 'user.name=T', '-c', 'user.email=t@t',
				       *args], capture_output=True, text=True, check=True).stdout

	def setUp(self):
		super().setUp()
		with open(os.path.join(self.tree, 'mm/Kconfig'), 'w') as f:
			f.write(KCONFIG)
		with open(os.path.join(self.tree, 'mm/Makefile'), 'w') as f:
			f.write('obj-y += memory.o\nobj-$(CONFIG_LAZY_MMU_MODE_KUNIT_TEST) += '
				'tests/lazy_mmu_mode_kunit.o\nobj-y += last.o\n')
		with open(os.path.join(self.tree, 'MAINTAINERS'), 'w') as f:
			f.write(MAINTAINERS)
		self.git(self.tree, 'init', '-q', '-b', 'master')
		self.git(self.tree, 'add', '-A')
		self.git(self.tree, 'commit', '-qm', 'base')
		self.git(self.tree, 'config', 'user.name', 'T')
		self.git(self.tree, 'config', 'user.email', 't@t')

	def test_series_applies_in_order_one_patch_per_suite(self):
		def tree_files():
			return {k: v for k, v in snapshot(self.tree).items() if not k.startswith('.git')}
		before = tree_files()
		out = os.path.join(self.d, 'out')
		files = upstream.make_series(self.tree, out)
		suites = len(glob.glob(os.path.join(upstream.SRC, '*_kunit.c')))
		self.assertEqual(len(files), 1 + 1 + suites)	# cover letter, fixture, suites
		self.assertEqual(tree_files(), before)	# the tree is not touched
		self.assertNotIn('zdt-series', self.git(self.tree, 'worktree', 'list'))
		with open(files[0]) as f:
			cover = f.read()
		self.assertRegex(cover, r'Subject: \[PATCH 0+/\d+\] mm/tests: KUnit tests for ZONE_DEVICE')
		self.assertNotIn('*** ', cover)
		with open(files[1]) as f:
			self.assertIn('mm/tests: add a fixture for ZONE_DEVICE KUnit tests', f.read())
		with open(files[2]) as f:
			first = f.read()
		self.assertRegex(first, r'Subject: \[PATCH 02/\d+\] mm/tests: add KUnit tests for ')
		self.assertIn('Signed-off-by: T <t@t>', first)
		self.assertIn('Each case checks one rule:', first)
		self.assertRegex(first, r'commit [0-9a-f]{12} \("')
		# git am of the series onto the base gives the suites inside the menu.
		self.git(self.tree, 'checkout', '-qb', 'applied')
		for p in files[1:]:
			self.git(self.tree, 'am', '-q', p)
		with open(os.path.join(self.tree, 'mm/Kconfig')) as f:
			kconfig = f.read()
		self.assertLess(kconfig.index('config ZONE_DEVICE_EXCLUSIVE_KUNIT_TEST'),
				kconfig.index('source "mm/damon/Kconfig"'))
		self.assertLess(kconfig.index('config LAZY_MMU_MODE_KUNIT_TEST'),
				kconfig.index('config ZONE_DEVICE_KUNIT_FIXTURE'))
		with open(os.path.join(self.tree, 'mm/Makefile')) as f:
			mk = f.read()
		self.assertLess(mk.index('zone_device_exclusive_kunit.o'), mk.index('last.o'))
		with open(os.path.join(self.tree, 'MAINTAINERS')) as f:
			maint = f.read()
		start = maint.index(upstream.SECTION)
		sec = maint[start:maint.find('\n\n', start) % (len(maint) + 1)]
		fs = re.findall(r'^F:\t(.*)$', sec, re.M)
		self.assertEqual(fs, sorted(fs))
		self.assertEqual(len(fs), len(upstream.fixture_files()) + suites)
		# After the last MEMORY MANAGEMENT section that sorts before it.
		self.assertLess(maint.index('MEMORY MANAGEMENT - RUST'), start)

	def test_refuses_a_dirty_tree_or_one_with_the_suites(self):
		with open(os.path.join(self.tree, 'mm/Makefile'), 'a') as f:
			f.write('# edit\n')
		with self.assertRaisesRegex(ToolError, 'uncommitted changes'):
			upstream.make_series(self.tree, os.path.join(self.d, 'o'))
		self.git(self.tree, 'checkout', '-q', '--', 'mm/Makefile')
		os.makedirs(os.path.join(self.tree, 'mm/tests'), exist_ok=True)
		open(os.path.join(self.tree, 'mm/tests/zone_device_fixture.c'), 'w').close()
		with self.assertRaisesRegex(ToolError, 'zone_device_. already'):
			upstream.make_series(self.tree, os.path.join(self.d, 'o'))


if __name__ == '__main__':
	unittest.main()
