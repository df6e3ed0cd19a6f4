# SPDX-License-Identifier: GPL-2.0
"""Unit tests of the Makefile's help: one line for every target and every
variable the targets read, and no dependency on deps (nothing installed,
nothing built)."""

import os
import re
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import REPO  # noqa: E402


def make(*args: str) -> str:
	"""make's output in the checkout, outside any make that runs the tests."""
	env = {k: v for k, v in os.environ.items() if k not in ('MAKEFLAGS', 'MFLAGS', 'MAKELEVEL')}
	return subprocess.run(['make', '--no-print-directory', '-C', REPO, *args],
			      capture_output=True, text=True, check=True, env=env).stdout


# Upper-case variables that are not the user's: make's own, the help text.
NOT_DOCUMENTED = {'MAKECMDGOALS', 'HELP'}


@unittest.skipUnless(shutil.which('make'), 'no make')
class MakeHelpTest(unittest.TestCase):

	@classmethod
	def setUpClass(cls):
		with open(os.path.join(REPO, 'Makefile'), encoding='utf-8') as f:
			cls.makefile = f.read()
		cls.lines = make('-s', 'help').splitlines()

	def documented(self):
		return {l.split()[0] for l in self.lines if l.startswith('  ')}

	def test_every_target_and_variable_has_one_line(self):
		phony = re.search(r'^\.PHONY: (.*)$', self.makefile, re.M).group(1).split()
		used = set(re.findall(r'\$\(([A-Z_]+)\)', self.makefile)) - NOT_DOCUMENTED
		names = [l.split()[0] for l in self.lines if l.startswith('  ')]
		self.assertEqual(len(names), len(set(names)))
		self.assertLessEqual((set(phony) - {'uninstall'}) | used, self.documented())
		self.assertTrue(all(len(l) <= 100 for l in self.lines))

	def test_help_needs_no_deps(self):
		# The help text, then the one command help runs: ':'.
		self.assertEqual(make('-n', 'help').splitlines(), self.lines + [':'])
		self.assertNotRegex(self.makefile, r'(?m)^help:.*\bdeps\b')


if __name__ == '__main__':
	unittest.main()
