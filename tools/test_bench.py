# SPDX-License-Identifier: GPL-2.0
"""Unit tests of tools/bench.py: the table, the README block, the edit put
back; no kernel is built."""

import os
import shutil
import sys
import tempfile
import unittest
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402
from common import ToolError  # noqa: E402


class BenchTest(unittest.TestCase):

	def setUp(self):
		self.tmp = tempfile.mkdtemp()
		self.addCleanup(shutil.rmtree, self.tmp)

	def test_table_has_ratios_and_goals(self):
		b = bench.Bench(self.tmp, os.path.join(self.tmp, 'logs'))
		b.t = {'stock cold': 400.0, 'project cold': 200.0, 'project edit filtered': 8.0}
		text = bench.table(b, '7.3.4')
		self.assertTrue(text.startswith(bench.BEGIN) and text.endswith(bench.END))
		self.assertRegex(text, r'\| cold build \+ run, total \| 400 s \(6 min 40 s\) \| '
				 r'200 s \(3 min 20 s\) \| 0\.50 \|')
		self.assertIn('| <= 10 s | 8 s | yes |', text)
		self.assertIn('| <= 150 s | 200 s (3 min 20 s) | no, by 50 s |', text)
		self.assertIn('not measured', text)

	def test_readme_block_is_replaced_and_nothing_else(self):
		readme = os.path.join(self.tmp, 'README.md')
		with open(readme, 'w', encoding='utf-8') as f:
			f.write(f'head\n{bench.BEGIN}\nold\n{bench.END}\ntail\n')
		with mock.patch.object(bench, 'README', readme):
			bench.write_readme(f'{bench.BEGIN}\nnew\n{bench.END}')
		with open(readme, encoding='utf-8') as f:
			self.assertEqual(f.read(), f'head\n{bench.BEGIN}\nnew\n{bench.END}\ntail\n')

	def test_readme_without_markers_is_bad_input(self):
		readme = os.path.join(self.tmp, 'README.md')
		with open(readme, 'w', encoding='utf-8') as f:
			f.write('no markers\n')
		with mock.patch.object(bench, 'README', readme):
			with self.assertRaises(ToolError):
				bench.write_readme('x')

	def test_edit_is_put_back_byte_for_byte_also_on_error(self):
		path = os.path.join(self.tmp, 'x_kunit.c')
		with open(path, 'w', encoding='utf-8') as f:
			f.write('int x;\n')
		os.utime(path, ns=(10**18, 10**18))
		with self.assertRaises(RuntimeError):
			with bench.Edit(path):
				with open(path, encoding='utf-8') as f:
					self.assertIn('zdt_bench_edit', f.read())
				raise RuntimeError('interrupted')
		with open(path, encoding='utf-8') as f:
			self.assertEqual(f.read(), 'int x;\n')
		self.assertEqual(os.stat(path).st_mtime_ns, 10**18)


if __name__ == '__main__':
	unittest.main()
