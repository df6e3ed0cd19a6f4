# SPDX-License-Identifier: GPL-2.0
"""Unit tests of tools/common.py: kernel trees and versions, and the KVER
check every tool makes."""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import REPO, kernel_version  # noqa: E402
from testutil import scratch_tree  # noqa: E402


class KernelVersionTest(unittest.TestCase):

	def setUp(self):
		self.tmp = tempfile.mkdtemp()
		self.addCleanup(shutil.rmtree, self.tmp)

	def test_kernel_version(self):
		self.assertEqual(kernel_version(scratch_tree(self.tmp)), '7.3.4')


class KverTest(unittest.TestCase):

	def tool(self, name, *args):
		p = subprocess.run([sys.executable, os.path.join(REPO, 'tools', name + '.py'), *args],
				   capture_output=True, text=True, check=False,
				   env=dict(os.environ, PYTHONDONTWRITEBYTECODE='1'))
		return p.returncode, p.stderr

	def test_6_1_is_refused_by_every_tool_with_the_reason(self):
		for name, args in (('fetch', ['6.1']), ('run', ['--kver', '6.1']),
				   ('gate', ['patches/fixes', '--kver', '6.1']),
				   ('mutants', ['--kver', '6.1']), ('matrix', ['--kver', '6.1']),
				   ('selftest', ['--kver', '6.1']), ('flake', ['--kver', '6.1'])):
			rc, err = self.tool(name, *args)
			self.assertEqual(rc, 2, (name, err))
			self.assertEqual(len(err.strip().splitlines()), 1, (name, err))
			self.assertRegex(err, rf'^{name}: KVER=6.1 is not supported: .*'
					 r'kunit_add_action_or_reset\(\) \(6\.4\).*KUNIT_EXPECT_MEMEQ \(6\.2\)'
					 r'.*kunit_vm_mmap\(\).*\(6\.11\)')

	def test_a_6_1_tree_is_refused_too(self):
		with tempfile.TemporaryDirectory() as d:
			for f in ('mm/Kconfig', 'mm/Makefile', 'tools/testing/kunit/kunit.py'):
				os.makedirs(os.path.dirname(os.path.join(d, f)), exist_ok=True)
				open(os.path.join(d, f), 'w').close()
			with open(os.path.join(d, 'Makefile'), 'w') as f:
				f.write('VERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 192\n')
			rc, err = self.tool('run', '--kdir', d)
			self.assertEqual(rc, 2, err)
			self.assertIn('is Linux 6.1.192, not supported', err)
			self.assertEqual(len(err.strip().splitlines()), 1, err)


if __name__ == '__main__':
	unittest.main()
