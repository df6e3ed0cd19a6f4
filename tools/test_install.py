# SPDX-License-Identifier: GPL-2.0
"""Unit tests of tools/install.py: the suites in and out of a scratch tree."""

import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import install  # noqa: E402
from testutil import scratch_tree, snapshot, tool  # noqa: E402


class InstallTest(unittest.TestCase):

	def setUp(self):
		self.tmp = tempfile.mkdtemp()
		self.addCleanup(shutil.rmtree, self.tmp)

	def round_trip(self, **kw):
		t = scratch_tree(self.tmp, **kw)
		before = snapshot(t)
		changed = install.install(t)
		self.assertIn('mm/Makefile', changed)
		self.assertEqual(install.install(t), [], 'second install changed files')
		for f in install.suite_files():
			self.assertTrue(os.path.isfile(os.path.join(t, 'mm/tests', f)), f)
		with open(os.path.join(t, 'mm/Makefile')) as f:
			self.assertIn('tests/zone_device_pgmap_kunit.o', f.read())
		with open(os.path.join(t, 'mm/Kconfig')) as f:
			self.assertIn('config ZONE_DEVICE_PGMAP_KUNIT_TEST', f.read())
		self.assertTrue(install.uninstall(t))
		self.assertEqual(snapshot(t), before)
		self.assertFalse(install.uninstall(t))

	def test_round_trip_restores_tree_exactly(self):
		self.round_trip()

	def test_the_suites_kunitconfig_goes_to_mm_tests(self):
		"""kunit.py --kunitconfig=mm/tests reads mm/tests/.kunitconfig: the
		suites of mm-tests/.kunitconfig."""
		t = scratch_tree(self.tmp)
		self.assertIn('.kunitconfig', install.suite_files())
		self.assertIn('mm/tests/.kunitconfig', install.install(t))
		with open(os.path.join(t, 'mm/tests/.kunitconfig')) as f, \
		     open(os.path.join(install.SRC, '.kunitconfig')) as g:
			self.assertEqual(f.read(), g.read())
		self.assertTrue(install.uninstall(t))
		self.assertFalse(os.path.exists(os.path.join(t, 'mm/tests')))

	def test_round_trip_with_existing_mm_tests(self):
		self.round_trip(with_tests_dir=True)

	def test_round_trip_without_trailing_newline(self):
		self.round_trip(no_trailing_newline=True)

	def test_refuses_foreign_file_in_mm_tests(self):
		t = scratch_tree(self.tmp, with_tests_dir=True)
		with open(os.path.join(t, 'mm/tests/zone_device_fixture.h'), 'w') as f:
			f.write('not ours\n')
		before = snapshot(t)
		rc, _, err = tool('install', 'install', t)
		self.assertEqual(rc, 2)
		self.assertIn('already has zone_device_fixture.h', err)
		self.assertEqual(len(err.strip().splitlines()), 1)
		self.assertEqual(snapshot(t), before)

	def test_not_a_kernel_tree(self):
		rc, _, err = tool('install', 'install', self.tmp)
		self.assertEqual(rc, 2)
		self.assertIn('is not a kernel tree', err)
		rc, _, err = tool('install', 'install', os.path.join(self.tmp, 'nowhere'))
		self.assertEqual(rc, 2)
		self.assertIn('is not a directory', err)


if __name__ == '__main__':
	unittest.main()
