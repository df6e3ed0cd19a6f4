# SPDX-License-Identifier: GPL-2.0
"""Unit tests of tools/accel.py (ACCEL=auto): the KVM probe against fake
QEMUs (one that prints the word, one that hangs, one that fails, none at
all), and its result kept per boot of the host.  Nothing boots."""

import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import accel  # noqa: E402


class ProbeTest(unittest.TestCase):

	def setUp(self):
		self.d = tempfile.mkdtemp()
		self.addCleanup(shutil.rmtree, self.d)
		self.bin = os.path.join(self.d, 'bin')
		os.makedirs(self.bin)
		self.kvm = os.path.join(self.d, 'kvm')	# a /dev/kvm this user can open
		open(self.kvm, 'w').close()
		self.boot_id = os.path.join(self.d, 'boot_id')
		self.set_boot('one')
		self.calls = os.path.join(self.d, 'calls')
		path = os.environ.get('PATH', '')
		os.environ['PATH'] = self.bin + os.pathsep + path
		self.addCleanup(os.environ.__setitem__, 'PATH', path)

	def set_boot(self, ident):
		with open(self.boot_id, 'w') as f:
			f.write(ident + '\n')

	def qemu(self, body):
		"""A fake qemu-system-x86_64 first in PATH: records each call, then body."""
		p = os.path.join(self.bin, 'qemu-system-x86_64')
		with open(p, 'w') as f:
			f.write(f'#!/bin/sh\necho "$*" >> {self.calls}\n{body}\n')
		os.chmod(p, 0o755)

	def ncalls(self):
		if not os.path.exists(self.calls):
			return 0
		with open(self.calls) as f:
			return len(f.readlines())

	def decide(self, timeout=1.0, **kw):
		return accel.decide('x86_64', kw.pop('accel', 'auto'), cache=self.d,
				    boot_id_path=self.boot_id, kvm_dev=kw.pop('kvm_dev', self.kvm),
				    timeout=timeout, host='x86_64', **kw)

	def test_the_boot_sector_is_one_sector_that_prints_the_word(self):
		s = accel.boot_sector()
		self.assertEqual(len(s), 512)
		self.assertEqual(s[510:], b'\x55\xaa')
		self.assertIn(accel.WORD + b'\n\0', s)
		# mov si points at the word, loaded at 0x7c00.
		self.assertEqual(int.from_bytes(s[8:10], 'little') - 0x7c00, s.index(accel.WORD))

	def test_a_guest_that_prints_gives_kvm_and_is_asked_for_kvm_alone(self):
		self.qemu('echo "SeaBIOS noise ZDT-KVM-OK"; sleep 30')
		start = time.monotonic()
		got, why, cached = self.decide(timeout=10)
		self.assertLess(time.monotonic() - start, 5)	# killed once it printed
		self.assertEqual((got, cached), ('kvm', False))
		self.assertIn('printed in', why)
		with open(self.calls) as f:
			args = f.read().split()
		self.assertEqual(args[args.index('-accel') + 1], 'kvm')
		self.assertEqual(args.count('-accel'), 1)

	def test_a_guest_that_hangs_gives_tcg_within_the_bound(self):
		self.qemu('sleep 30')
		start = time.monotonic()
		got, why, _ = self.decide(timeout=0.5)
		self.assertLess(time.monotonic() - start, 3)
		self.assertEqual(got, 'tcg')
		self.assertIn('printed nothing within 0.5 s', why)
		# The hung QEMU was killed, with its process group.
		time.sleep(0.2)
		p = subprocess.run(['pgrep', '-f', self.bin], capture_output=True, text=True,
				   check=False)
		self.assertEqual(p.stdout.strip(), '')

	def test_a_qemu_that_fails_gives_tcg_with_its_message(self):
		self.qemu('echo "qemu-system-x86_64: failed to initialize kvm: Permission denied" >&2; '
			  'exit 1')
		got, why, _ = self.decide(timeout=10)
		self.assertEqual(got, 'tcg')
		self.assertIn('exit 1', why)
		self.assertIn('failed to initialize kvm', why)

	def test_no_qemu_or_no_dev_kvm_gives_tcg_without_a_probe(self):
		os.environ['PATH'] = self.bin
		got, why, _ = self.decide()
		self.assertEqual((got, why), ('tcg', 'qemu-system-x86_64 not found'))
		self.qemu('echo ZDT-KVM-OK')
		got, why, _ = self.decide(kvm_dev=os.path.join(self.d, 'none'))
		self.assertEqual(got, 'tcg')
		self.assertIn('no ', why)
		self.assertEqual(self.ncalls(), 0)

	def test_the_answer_is_kept_per_boot_of_the_host(self):
		self.qemu('sleep 30')
		self.assertEqual(self.decide(timeout=0.3)[::2], ('tcg', False))
		self.assertEqual(self.ncalls(), 1)
		start = time.monotonic()
		got, why, cached = self.decide(timeout=0.3)
		self.assertLess(time.monotonic() - start, 0.2)
		self.assertEqual((got, cached, self.ncalls()), ('tcg', True, 1))
		self.assertIn('printed nothing', why)
		# Another boot: probed again.
		self.set_boot('two')
		self.qemu('echo ZDT-KVM-OK; sleep 30')
		self.assertEqual(self.decide()[::2], ('kvm', False))
		self.assertEqual(self.ncalls(), 2)
		self.assertEqual(self.decide()[::2], ('kvm', True))
		self.assertRegex(accel.line(*self.decide()), r'^accel kvm: the KVM probe guest printed '
				 r'in \d+\.\d s \(probed earlier in this boot\)$')
		self.assertEqual(accel.line('tcg', 'no /dev/kvm', False),
				 'accel tcg: no /dev/kvm; ACCEL=kvm forces KVM')

	def test_forced_or_foreign_arches_never_probe(self):
		self.qemu('echo ZDT-KVM-OK')
		self.assertEqual(self.decide(accel='tcg')[0], 'tcg')
		self.assertEqual(self.decide(accel='kvm')[0], 'kvm')
		got, why, _ = accel.decide('arm64', 'auto', cache=self.d, boot_id_path=self.boot_id,
					   kvm_dev=self.kvm, host='x86_64')
		self.assertEqual(got, 'tcg')
		self.assertIn('arm64 guest on a x86_64 host', why)
		self.assertEqual(accel.decide('arm64', 'auto', cache=self.d, host='arm64')[0], 'tcg')
		self.assertEqual(self.ncalls(), 0)
		self.assertEqual(os.listdir(self.d).count('accel-x86_64.json'), 0)


@unittest.skipUnless(shutil.which('qemu-system-x86_64'), 'no qemu-system-x86_64')
class BootSectorTest(unittest.TestCase):

	def test_the_boot_sector_prints_under_tcg(self):
		"""The real QEMU, without KVM: tools/qemu-tcg/ drops -accel kvm."""
		path = os.environ.get('PATH', '')
		os.environ['PATH'] = os.path.join(accel.REPO, 'tools', 'qemu-tcg') + os.pathsep + path
		self.addCleanup(os.environ.__setitem__, 'PATH', path)
		with tempfile.NamedTemporaryFile() as dev:
			got, why = accel.probe(timeout=20, kvm_dev=dev.name)
		self.assertEqual(got, 'kvm', why)	# the word arrived


if __name__ == '__main__':
	unittest.main()
