#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""accel: which QEMU accelerator a run uses (ACCEL=auto|kvm|tcg).

kunit.py always asks QEMU for "-accel kvm -accel hvf -accel tcg", and QEMU
takes the first that initialises; on some machines /dev/kvm opens but a KVM
guest stalls (a kernel never gets through its boot), and every run would
then time out.  ACCEL=auto (the default)
decides with a bounded probe: a 512-byte boot sector that prints one word on
the serial port and halts, booted with -accel kvm.  If the word arrives
within PROBE_TIMEOUT seconds, KVM; otherwise TCG (tools/qemu-tcg/ keeps
kunit.py's QEMU off KVM), with one line saying why.  The probe runs for a
guest of the host's own arch only (x86_64 on an x86_64 host; an arm64 host
and every cross-arch guest get TCG without one).  Its result is kept in the
cache dir per boot of the host (/proc/sys/kernel/random/boot_id): a second
run of the same boot pays nothing.  ACCEL=kvm or tcg forces the choice.

	python3 tools/accel.py [--arch x86_64|arm64] [--accel auto|kvm|tcg]

prints the decision and why."""

import argparse
import json
import os
import platform
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from typing import Dict, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import QEMU_ARCHES, REPO, cache_dir, main_wrapper  # noqa: E402

ACCELS = ('auto', 'kvm', 'tcg')
# A working KVM boots it in well under a second (TCG in 0.1-0.2 s); where
# KVM guests stall, it takes longer or never prints.
PROBE_TIMEOUT = 2.0
WORD = b'ZDT-KVM-OK'
BOOT_ID = '/proc/sys/kernel/random/boot_id'
KVM_DEV = '/dev/kvm'
# uname -m of a host -> the arch name of the guests KVM can run there.
HOST_ARCHES = {'x86_64': 'x86_64', 'aarch64': 'arm64', 'arm64': 'arm64'}


def boot_sector() -> bytes:
	"""A real-mode boot sector: prints WORD and a newline on COM1 (0x3f8),
	then halts for good."""
	msg = 0x7c00 + 22
	code = bytes([
		0x31, 0xc0,			# 0: xor ax, ax
		0x8e, 0xd8,			# 2: mov ds, ax
		0xba, 0xf8, 0x03,		# 4: mov dx, 0x3f8
		0xbe, msg & 0xff, msg >> 8,	# 7: mov si, msg
		0xac,				# 10: lodsb
		0x84, 0xc0,			# 11: test al, al
		0x74, 0x03,			# 13: jz 18
		0xee,				# 15: out dx, al
		0xeb, 0xf8,			# 16: jmp 10
		0xfa,				# 18: cli
		0xf4,				# 19: hlt
		0xeb, 0xfd,			# 20: jmp 19
	]) + WORD + b'\n\0'
	return code + bytes(510 - len(code)) + b'\x55\xaa'


def host_arch() -> str:
	return HOST_ARCHES.get(platform.machine(), platform.machine())


def boot_id(path: str = BOOT_ID) -> str:
	try:
		with open(path, encoding='utf-8') as f:
			return f.read().strip()
	except OSError:
		return ''


def cannot_probe(qemu: str, kvm_dev: str = KVM_DEV) -> Optional[str]:
	"""Why there is no KVM to probe (no /dev/kvm for this user, no QEMU), or None."""
	if not os.path.exists(kvm_dev):
		return f'no {kvm_dev}'
	if not os.access(kvm_dev, os.R_OK | os.W_OK):
		return f'{kvm_dev} is not readable and writable by this user'
	if not shutil.which(qemu):
		return f'{qemu} not found'
	return None


def probe(qemu: str = 'qemu-system-x86_64', timeout: float = PROBE_TIMEOUT,
	  kvm_dev: str = KVM_DEV) -> Tuple[str, str]:
	"""(accel, why) from booting the boot sector under KVM: 'kvm' if QEMU
	printed WORD within timeout seconds, else 'tcg' and the reason."""
	why = cannot_probe(qemu, kvm_dev)
	if why:
		return 'tcg', why
	exe = shutil.which(qemu)
	with tempfile.TemporaryDirectory(prefix='zdt-accel-') as d:
		img = os.path.join(d, 'boot.img')
		with open(img, 'wb') as f:
			f.write(boot_sector())
		cmd = [exe, '-accel', 'kvm', '-nodefaults', '-display', 'none', '-monitor', 'none',
		       '-serial', 'stdio', '-m', '16', '-no-reboot',
		       '-drive', f'file={img},format=raw,if=ide']
		start = time.monotonic()
		p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
				     stderr=subprocess.PIPE, start_new_session=True)
		out, err = b'', b''
		pipes = {p.stdout.fileno(): 'out', p.stderr.fileno(): 'err'}
		try:
			while WORD not in out and pipes:
				left = start + timeout - time.monotonic()
				ready = select.select(list(pipes), [], [], left)[0] if left > 0 else []
				if not ready:
					break
				for fd in ready:
					chunk = os.read(fd, 4096)
					if not chunk:
						del pipes[fd]	# QEMU exited
					elif pipes[fd] == 'out':
						out += chunk
					else:
						err += chunk
		finally:
			took = time.monotonic() - start
			if not pipes:	# both closed: QEMU is exiting
				try:
					p.wait(timeout=max(1.0, timeout - took))
				except subprocess.TimeoutExpired:
					pass
			killed = p.poll() is None
			if killed:
				os.killpg(p.pid, signal.SIGKILL)
			p.wait()
			p.stdout.close()
			p.stderr.close()
	if WORD in out:
		return 'kvm', f'the KVM probe guest printed in {took:.1f} s'
	first = next((l.strip() for l in err.decode(errors='replace').splitlines() if l.strip()), '')
	if not killed:
		return 'tcg', f'QEMU with -accel kvm failed (exit {p.returncode}): {first or "no message"}'
	return 'tcg', f'the KVM probe guest printed nothing within {timeout:g} s'


def decide(arch: str = 'x86_64', accel: str = 'auto', cache: Optional[str] = None,
	   boot_id_path: str = BOOT_ID, kvm_dev: str = KVM_DEV,
	   timeout: float = PROBE_TIMEOUT, host: Optional[str] = None) -> Tuple[str, str, bool]:
	"""(accel, why, cached) for a guest of arch: a forced ACCEL as it is;
	auto the probe's answer, from the cache when this boot of the host
	probed already."""
	if accel in ('kvm', 'tcg'):
		return accel, f'ACCEL={accel}', False
	host = host or host_arch()
	if arch != host:
		return 'tcg', f'{arch} guest on a {host} host: no KVM for it', False
	if arch not in QEMU_ARCHES or arch != 'x86_64':
		return 'tcg', f'no KVM probe for {arch} hosts (ACCEL=kvm to try KVM)', False
	qemu = QEMU_ARCHES[arch].qemu
	why = cannot_probe(qemu, kvm_dev)	# not kept: cheap, and it may change
	if why:
		return 'tcg', why, False
	path = os.path.join(cache or cache_dir(), f'accel-{arch}.json')
	key = boot_id(boot_id_path)
	if (path, key) in _PROBED:	# this process probed (a host without a boot_id too)
		return _PROBED[(path, key)] + (True,)
	if key:
		try:
			with open(path, encoding='utf-8') as f:
				rec = json.load(f)
			if rec.get('boot_id') == key and rec.get('accel') in ('kvm', 'tcg'):
				return rec['accel'], rec['why'], True
		except (OSError, ValueError, AttributeError):
			pass
	chosen, why = _PROBED[(path, key)] = probe(qemu, timeout, kvm_dev)
	if key:
		os.makedirs(os.path.dirname(path), exist_ok=True)
		fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix='.accel-')
		with os.fdopen(fd, 'w', encoding='utf-8') as f:
			json.dump({'boot_id': key, 'accel': chosen, 'why': why}, f)
		os.chmod(tmp, 0o644)
		os.replace(tmp, path)
	return chosen, why, False


_PROBED: Dict[Tuple[str, str], Tuple[str, str]] = {}


def line(accel: str, why: str, cached: bool) -> str:
	"""The one line a run prints about its accelerator."""
	more = ' (probed earlier in this boot)' if cached else ''
	if why.startswith('ACCEL='):
		return f'accel {accel}: {why}'
	if accel == 'kvm':
		return f'accel kvm: {why}{more}'
	return f'accel tcg: {why}{more}; ACCEL=kvm forces KVM'


def main() -> int:
	ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	ap.add_argument('--arch', default='x86_64', choices=sorted(QEMU_ARCHES))
	ap.add_argument('--accel', default=os.environ.get('ACCEL') or 'auto', choices=ACCELS)
	args = ap.parse_args()
	start = time.monotonic()
	chosen, why, cached = decide(args.arch, args.accel)
	print(f'{line(chosen, why, cached)} [{time.monotonic() - start:.2f} s]')
	return 0


if __name__ == '__main__':
	main_wrapper('accel', main)
