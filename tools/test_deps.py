# SPDX-License-Identifier: GPL-2.0
"""Unit tests of tools/deps.sh on a synthetic PATH: a temporary dir of fake
commands and nothing else, so the host's own tools and package database
play no part.  Nothing is installed."""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import REPO  # noqa: E402

DEPS = os.path.join(REPO, 'tools', 'deps.sh')
SH = shutil.which('sh') or '/bin/sh'
# What a run needs (tools/deps.sh's first list), by command.
RUN_COMMANDS = ('gcc', 'make', 'bc', 'bison', 'flex', 'perl', 'cpio', 'xz', 'git', 'patch',
		'ccache', 'qemu-system-x86_64')


class DepsTest(unittest.TestCase):

	def setUp(self):
		self.d = tempfile.mkdtemp()
		self.addCleanup(shutil.rmtree, self.d)
		self.bin = os.path.join(self.d, 'bin')
		self.data = os.path.join(self.d, 'qemu-data')
		os.makedirs(self.bin)
		os.makedirs(self.data)
		open(os.path.join(self.data, 'linuxboot_dma.bin'), 'w').close()
		self.log = os.path.join(self.d, 'log')
		for c in RUN_COMMANDS:
			self.fake(c)
		# The host compiler finds every header but those in NO_HEADERS.
		self.fake('gcc', 'read -r in; for h in $NO_HEADERS; do '
			  'case $in in *"<$h>"*) exit 1 ;; esac; done')
		self.fake('qemu-system-x86_64', f'[ "$*" = "-L help" ] && echo {self.data}')
		# The tools' Python imports every module but those in NO_MODULES.
		self.fake('python', 'for m in $NO_MODULES; do [ "$2" = "import $m" ] && exit 1; done')

	def fake(self, name, body=''):
		p = os.path.join(self.bin, name)
		with open(p, 'w') as f:
			f.write(f'#!{SH}\necho "{name} $*" >> {self.log}\n{body}\nexit 0\n')
		os.chmod(p, 0o755)

	def hide(self, *names):
		for n in names:
			os.remove(os.path.join(self.bin, n))

	def deps(self, *args, **env):
		e = {'PATH': self.bin, 'PYTHON': os.path.join(self.bin, 'python'), **env}
		p = subprocess.run([SH, DEPS, *args], capture_output=True, text=True, env=e,
				   check=False)
		return p.returncode, p.stdout, p.stderr

	def calls(self, name):
		if not os.path.exists(self.log):
			return []
		with open(self.log) as f:
			return [l.split(' ', 1)[1].strip() for l in f if l.startswith(name + ' ')]

	def test_a_host_with_the_tools_and_no_dpkg_passes_silently(self):
		self.assertEqual(self.deps(), (0, '', ''))
		self.assertEqual(self.deps('x86_64', 'um'), (0, '', ''))
		# ccache only speeds builds up: off Debian it is not required.
		self.hide('ccache')
		self.assertEqual(self.deps(), (0, '', ''))

	def test_missing_off_debian_is_one_line_with_fedora_and_arch_packages(self):
		self.hide('flex', 'qemu-system-x86_64')
		rc, out, err = self.deps(NO_HEADERS='gelf.h')
		self.assertEqual((rc, out), (2, ''))
		self.assertEqual(err.count('\n'), 1, err)
		self.assertIn('deps: missing flex, <gelf.h>, qemu-system-x86_64, linuxboot_dma.bin: ', err)
		self.assertIn('Fedora: dnf install flex elfutils-libelf-devel qemu-system-x86-core;', err)
		self.assertIn('Arch: pacman -S flex libelf qemu-system-x86 qemu-system-x86-firmware', err)
		self.assertEqual(self.calls('apt-get'), [])

	def test_the_targets_and_arm64_add_their_own(self):
		rc, _, err = self.deps('arm64', NO_MODULES='ply')
		self.assertEqual(rc, 2)
		self.assertIn('missing qemu-system-aarch64, aarch64-linux-gnu-gcc:', err)
		rc, _, err = self.deps('check', NO_MODULES='ply')
		self.assertIn('missing ply (Python):', err)
		self.assertIn('python3-ply', err)
		self.fake('unifdef')
		self.fake('sparse')
		self.fake('qemu-system-aarch64')
		self.fake('aarch64-linux-gnu-gcc')
		self.assertEqual(self.deps('test')[0], 0)
		rc, _, err = self.deps('test', NO_MODULES='yaml')
		self.assertEqual(rc, 2)
		self.assertIn('missing yaml (Python): Fedora: dnf install python3-pyyaml; Arch: pacman -S '
			      'python-yaml', err)
		self.hide('unifdef')
		self.assertIn('missing unifdef:', self.deps('series')[2])
		self.assertEqual(self.deps()[0], 0)	# a run needs none of them

	def test_on_debian_missing_packages_are_installed(self):
		self.fake('dpkg')
		self.fake('apt-get')
		self.fake('id', 'echo 0')
		self.hide('bison', 'ccache')
		rc, out, err = self.deps('arm64')
		self.assertEqual(rc, 0, err)
		self.assertEqual(out, 'deps: missing bison, ccache, qemu-system-aarch64, '
			    'aarch64-linux-gnu-gcc: installing bison ccache qemu-system-arm '
			    'gcc-aarch64-linux-gnu\n')
		self.assertEqual(self.calls('apt-get'), [
			'update -qq',
			'install -y -qq --no-install-recommends bison ccache qemu-system-arm '
			'gcc-aarch64-linux-gnu'])
		# Not root: the packages named, nothing installed.
		os.remove(self.log)
		self.fake('id', 'echo 1000')
		rc, out, err = self.deps()
		self.assertEqual((rc, out), (2, ''))
		self.assertEqual(err, 'deps: missing bison, ccache: Debian packages bison ccache '
			    '(run as root, or install them)\n')
		self.assertEqual(self.calls('apt-get'), [])

	def test_an_unknown_argument_is_one_line_and_exit_2(self):
		self.assertEqual(self.deps('riscv'),
				 (2, '', 'deps: unknown arch riscv (x86_64, arm64, um)\n'))


if __name__ == '__main__':
	unittest.main()
