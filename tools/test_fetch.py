# SPDX-License-Identifier: GPL-2.0
"""Unit tests of tools/fetch.py: no network."""

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fetch  # noqa: E402
from common import ToolError  # noqa: E402
from testutil import TOOLS, tool  # noqa: E402


class FetchTest(unittest.TestCase):

	def setUp(self):
		self.tmp = tempfile.mkdtemp()
		self.addCleanup(shutil.rmtree, self.tmp)
		os.makedirs(os.path.join(self.tmp, 'sources.list.d'))

	def write(self, name, text):
		with open(os.path.join(self.tmp, name), 'w') as f:
			f.write(textwrap.dedent(text))

	def test_reads_deb822_sources(self):
		self.write('sources.list.d/debian.sources', '''\
			Types: deb
			URIs: http://mirror.invalid/debian
			Suites: bookworm bookworm-updates
			Components: main

			Types: deb
			URIs: http://mirror.invalid/debian-security
			Suites: bookworm-security
			Components: main
			''')
		self.write('sources.list.d/other.sources', 'Types: deb\nURIs: https://vendor.invalid/apt\n'
			   'Suites: stable\nComponents: main\n')
		self.assertEqual(fetch.system_sources(self.tmp), [
			('http://mirror.invalid/debian', ['bookworm', 'bookworm-updates']),
			('http://mirror.invalid/debian-security', ['bookworm-security'])])

	def test_reads_one_line_sources(self):
		self.write('sources.list', 'deb [arch=amd64] http://mirror.invalid/debian/ trixie main\n'
			   '# deb http://old.invalid/debian sid main\n')
		self.assertEqual(fetch.system_sources(self.tmp),
				 [('http://mirror.invalid/debian', ['trixie'])])

	def test_no_debian_source_is_an_error(self):
		with self.assertRaises(ToolError):
			fetch.system_sources(self.tmp)

	def test_unknown_kver(self):
		rc, out, err = tool('fetch', '9.9')
		self.assertEqual((rc, out), (2, ''))
		self.assertEqual(err, "fetch: unknown KVER '9.9' (known: 6.12 7.2 7.3)\n")

	def test_unreachable_package(self):
		"""A mirror that has no such package: one line, exit 2."""
		mirror = os.path.join(self.tmp, 'mirror')
		os.makedirs(mirror)
		self.write('sources.list', f'deb file://{mirror}/debian bookworm main\n')
		env = dict(os.environ, ZDT_CACHE=os.path.join(self.tmp, 'cache'))
		code = ('import sys; sys.path.insert(0, %r); import fetch, common\n'
			'common.main_wrapper("fetch", lambda: fetch.fetch("6.12", etc=%r))'
			% (TOOLS, self.tmp))
		p = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
				   env=env, check=False)
		self.assertEqual(p.returncode, 2)
		# Timestamped progress lines ('[hh:mm:ss] fetch: ...'), then the
		# one line that says what went wrong.
		lines = p.stderr.strip().splitlines()
		errors = [line for line in lines if not line.startswith('[')]
		self.assertEqual(len(errors), 1, p.stderr)
		self.assertTrue(lines[-1].startswith('fetch: '), p.stderr)


if __name__ == '__main__':
	unittest.main()
