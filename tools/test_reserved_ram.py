# SPDX-License-Identifier: GPL-2.0
"""Unit tests of configs/reserved_ram.py: on every arch the range the kernel
is told to keep is the range the fixture is given, and it lies in the RAM
kunit.py gives the guest.  The boot arguments are read where kunit.py gets
them (the --qemu_config files' command lines, run.py's and bench.py's
--kernel_args) and parsed here on their own; nothing is built."""

import contextlib
import importlib.util
import io
import os
import re
import sys
import types
import unittest
from typing import Dict, List, Tuple
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402
import run  # noqa: E402
from common import REPO, reserved_ram  # noqa: E402
from testutil import TREE, needs_tree  # noqa: E402

ARCHES = ('x86_64', 'arm64', 'um')
UNITS = {'M': 1, 'G': 1024}


def mib(size: str) -> int:
	"""'64M' or '1G' in MiB."""
	m = re.fullmatch(r'(\d+)([MG])', size)
	if not m:
		raise ValueError(f'not a size in M or G: {size!r}')
	return int(m.group(1)) * UNITS[m.group(2)]


def qemu_command_line(arch: str) -> List[str]:
	"""configs/<arch>.py's kernel command line, the file loaded as kunit.py
	loads it (its QemuArchParams stubbed)."""
	stub = types.ModuleType('qemu_config')
	stub.QemuArchParams = lambda **kw: types.SimpleNamespace(**kw)
	path = os.path.join(REPO, 'configs', f'{arch}.py')
	spec = importlib.util.spec_from_file_location(f'.qemu_configs/{arch}.py', path)
	config = importlib.util.module_from_spec(spec)
	# kunit.py's module name makes "from ..qemu_config" import '.qemu_config'.
	with mock.patch.dict(sys.modules, {'.qemu_config': stub}):
		spec.loader.exec_module(config)
	return config.QEMU_ARCH.kernel_command_line.split()


def kernel_args(args: List[str]) -> List[str]:
	"""The --kernel_args values of a kunit.py command."""
	return [args[i + 1] for i, a in enumerate(args) if a == '--kernel_args']


def boot_args() -> Dict[str, List[str]]:
	"""What each arch's kernel boots with, from where kunit.py takes it.
	UML: run.py's --kernel_args for a kernel patches/uml covers."""
	with mock.patch.object(run, 'kernel_version', return_value='7.3.4'):
		um = kernel_args(run.kunit_args('tree', 'um', 60, []))
	return {'x86_64': qemu_command_line('x86_64'), 'arm64': qemu_command_line('arm64'),
		'um': um}


def ranges(arch: str, words: List[str]) -> Tuple[Tuple[int, int], Tuple[int, int]]:
	"""(the range the kernel keeps out of its RAM, the fixture's range), in
	MiB, from a command line; each must be given exactly once."""
	layout = reserved_ram.LAYOUT[arch]
	kept, fixture = [], []
	for w in words:
		m = re.fullmatch(r'memmap=(\w+)!(\w+)', w)
		if m:
			size, start = mib(m.group(1)), mib(m.group(2))
			kept.append((start, start + size))
		m = re.fullmatch(r'mem=(\w+)', w)
		if m:		# the RAM above what the kernel keeps
			kept.append((layout.ram_start + mib(m.group(1)),
				     layout.ram_start + reserved_ram.RAM))
		m = re.fullmatch(r'zone_device_fixture\.coherent=(\w+)@(\w+)', w)
		if m:
			size, start = mib(m.group(1)), mib(m.group(2))
			fixture.append((start, start + size))
	if len(kept) != 1 or len(fixture) != 1:
		raise AssertionError(f'{arch}: not one reservation and one coherent= in {words}')
	return kept[0], fixture[0]


class ReservedRamTest(unittest.TestCase):

	def test_every_arch_boots_with_the_layout_and_gives_the_fixture_that_range(self):
		got = boot_args()
		self.assertEqual(sorted(got), sorted(reserved_ram.LAYOUT))
		for arch in ARCHES:
			with self.subTest(arch=arch):
				kept, fixture = ranges(arch, got[arch])
				self.assertEqual(kept, fixture)
				self.assertEqual(kept, reserved_ram.LAYOUT[arch].range)

	def test_the_range_lies_in_the_guests_ram(self):
		for arch, r in reserved_ram.LAYOUT.items():
			with self.subTest(arch=arch):
				self.assertGreaterEqual(r.start, r.ram_start)
				self.assertLessEqual(r.start + r.size, r.ram_start + reserved_ram.RAM)
				self.assertGreater(r.size, 0)

	def test_the_arm64_range_is_the_ram_mem_leaves_out(self):
		"""QEMU virt's RAM starts at 1 GiB: mem= keeps the bottom of it,
		and the range is all the rest, so it is never System RAM."""
		r = reserved_ram.LAYOUT['arm64']
		self.assertEqual(r.start + r.size, r.ram_start + reserved_ram.RAM)
		self.assertIn(f'mem={r.start - r.ram_start}M', qemu_command_line('arm64'))

	def test_stock_kunit_py_in_bench_gets_the_x86_64_layout(self):
		kept, fixture = ranges('x86_64', kernel_args(bench.stock_cmd('tree', 'build')))
		self.assertEqual(kept, fixture)
		self.assertEqual(kept, reserved_ram.LAYOUT['x86_64'].range)

	def test_the_script_prints_an_archs_kunit_py_options(self):
		out = io.StringIO()
		with contextlib.redirect_stdout(out):
			self.assertEqual(reserved_ram.main(['reserved_ram.py', 'arm64']), 0)
		words = out.getvalue().split()
		self.assertTrue(all(w.startswith('--kernel_args=') for w in words))
		kept, fixture = ranges('arm64', [w.split('=', 1)[1] for w in words])
		self.assertEqual(kept, fixture)
		with contextlib.redirect_stderr(io.StringIO()):
			self.assertEqual(reserved_ram.main(['reserved_ram.py', 'riscv']), 2)

	@needs_tree
	def test_kunit_py_gives_every_guest_the_ram_the_layout_assumes(self):
		"""RAM: QEMU -m 1024 and UML mem=1G in the tree's kunit.py."""
		with open(os.path.join(TREE, 'tools/testing/kunit/kunit_kernel.py'),
			  encoding='utf-8') as f:
			text = f.read()
		self.assertIn(f"'-m', '{reserved_ram.RAM}'", text)
		m = re.search(r"'mem=(\w+)'", text)
		self.assertEqual(mib(m.group(1)), reserved_ram.RAM)


if __name__ == '__main__':
	unittest.main()
