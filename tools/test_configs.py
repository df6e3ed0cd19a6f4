# SPDX-License-Identifier: GPL-2.0
"""Unit tests of configs/: the distribution options and the modular kernel's
share of the built-in one's build, no kernel."""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import REPO  # noqa: E402

CONFIGS = os.path.join(REPO, 'configs')
OPTION = re.compile(r'^(CONFIG_\w+=\S+|# CONFIG_\w+ is not set)$')


def read(name: str) -> str:
	with open(os.path.join(CONFIGS, name), encoding='utf-8') as f:
		return f.read()


def options(text: str) -> list:
	return [line for line in text.splitlines() if OPTION.match(line)]


def x86_64_kconfig() -> str:
	"""What configs/x86_64.py gives kunit.py: its kconfig string, with the
	files it reads put in (it cannot be imported outside kunit.py)."""
	text = read('x86_64.py')
	body = text[text.index("kconfig='''") + len("kconfig='''"):]
	body = body[:body.index("''',\n\t\t\t   qemu_arch")]
	return body.replace("''' + COMMON + '''", read('common.kconfig') + read('distro.kconfig'))


class DistroTest(unittest.TestCase):

	def test_both_qemu_arches_read_the_distribution_options(self):
		for arch in ('x86_64.py', 'arm64.py'):
			text = read(arch)
			self.assertIn("'distro.kconfig'", text, arch)
			self.assertLess(text.index("'common.kconfig'"), text.index("'distro.kconfig'"),
					f'{arch}: distro.kconfig after common.kconfig')

	def test_every_option_says_why_it_is_there(self):
		"""Each group of options follows a comment naming the code it
		compiles."""
		last = ''
		for line in read('distro.kconfig').splitlines():
			if OPTION.match(line):
				self.assertTrue(last.startswith('#') or OPTION.match(last),
						f'{line}: no comment above it')
			last = line

	def test_no_option_is_both_on_and_off(self):
		"""An option common.kconfig turns off and distro.kconfig turns on
		would be decided by the order kunit.py reads them in."""
		on = {line.split('=')[0] for line in options(read('distro.kconfig'))
		      if not line.startswith('#')}
		off = {line.split()[1] for line in options(read('common.kconfig'))
		       if line.startswith('#')}
		self.assertEqual(on & off, set())

	def test_the_modular_kernel_differs_from_the_built_in_one_only_in_kunit(self):
		"""Every option the modular run adds but CONFIG_KUNIT=m is in the
		built-in x86_64 kernel already, so its build reuses the built-in
		one's ccache entries."""
		builtin = set(options(x86_64_kconfig()))
		extra = [o for o in options(read('modules.kconfig')) if o not in builtin]
		self.assertEqual(extra, ['CONFIG_KUNIT=m'])


if __name__ == '__main__':
	unittest.main()
