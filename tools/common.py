# SPDX-License-Identifier: GPL-2.0
"""Things every tool shares: where the cache lives, how a tool fails, what a
kernel tree is.  Nothing here knows about KUnit; that is kunit.py's job."""

import errno
import hashlib
import importlib.util
import os
import re
import signal
import subprocess
import sys
import traceback
from types import ModuleType
from typing import List, NoReturn, Optional

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Kernel versions this project knows how to fetch (Debian linux-source-X.Y).
KNOWN_KVERS = ('6.12', '7.2', '7.3')
DEFAULT_KVER = '7.3'
# What the suites run on: QEMU x86_64, QEMU arm64 (cross-built) and UML.
# RUN_ARCH is the one kernel a run without --arch builds and boots: the
# first verdict fast, from the arch that runs the most cases for its cold
# build; make test runs every arch.  DEFAULT_ARCHES is what the gate covers
# without --arch (tools/gate.py).
ARCHES = ('x86_64', 'arm64', 'um')
RUN_ARCH = 'x86_64'
DEFAULT_ARCHES = ('x86_64', 'um')


class QemuArch:  # pylint: disable=too-few-public-methods
	"""How one QEMU arch is built and booted: kunit.py's --qemu_config, the
	QEMU it boots with and its --cross_compile prefix ('' for the host's
	compiler).  tools/deps.sh installs both."""

	def __init__(self, qemu_config: str, qemu: str, cross_compile: str):
		self.qemu_config = os.path.join(REPO, qemu_config)
		self.qemu, self.cross_compile = qemu, cross_compile


QEMU_ARCHES = {
	'x86_64': QemuArch('configs/x86_64.py', 'qemu-system-x86_64', ''),
	'arm64': QemuArch('configs/arm64.py', 'qemu-system-aarch64', 'aarch64-linux-gnu-'),
}


def configs_module(name: str) -> ModuleType:
	"""configs/<name>.py, loaded by path as configs/x86_64.py and arm64.py
	load it (configs/ is no package: kunit.py loads those files on their own)."""
	key = f'zdt_{name}'
	if key not in sys.modules:
		spec = importlib.util.spec_from_file_location(key, os.path.join(REPO, 'configs',
									       f'{name}.py'))
		module = importlib.util.module_from_spec(spec)
		spec.loader.exec_module(module)
		sys.modules[key] = module
	return sys.modules[key]


# The RAM each arch's kernel leaves alone for the coherent cases, and the
# kernel arguments that say so.
reserved_ram = configs_module('reserved_ram')

# Debian series that exist but cannot run the suites, and why (docs/matrix.md).
UNSUPPORTED_KVERS = {
	'6.1': "Debian's 6.1 lacks the KUnit facilities the suites are built on: "
	       'kunit_add_action_or_reset() (6.4), KUNIT_EXPECT_MEMEQ (6.2) and '
	       'kunit_vm_mmap() with the per-test mm (6.11); use 6.12, 7.2 or 7.3',
}
# The oldest kernel with all three (kunit_vm_mmap(), 51104c19d857).
MIN_VERSION = (6, 11)


class ToolError(Exception):
	"""A problem the user can fix; reported as one line, exit status 2."""


def die(tool: str, msg: str, status: int = 2) -> NoReturn:
	print(f'{tool}: {msg}', file=sys.stderr)
	sys.exit(status)


# An OSError of these is the machine's or the user's (a read-only tree, a
# full disk), not a bug: one line, exit 2.
USER_ERRNOS = (errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT)


def _terminated(signum, _frame) -> NoReturn:
	# SystemExit runs every finally: the tree is put back, locks released.
	sys.exit(128 + signum if signum != signal.SIGTERM else 130)


def handle_signals() -> None:
	"""SIGTERM and SIGHUP (a closed terminal, an ssh session gone) end the
	tool as SIGINT does: its finally blocks put back what it changed.  A
	SIGHUP that is ignored (nohup) stays ignored."""
	signal.signal(signal.SIGTERM, _terminated)
	if signal.getsignal(signal.SIGHUP) is not signal.SIG_IGN:
		signal.signal(signal.SIGHUP, _terminated)


def main_wrapper(tool: str, fn) -> None:
	"""Runs fn(); turns ToolError, and an OSError that is the machine's (a
	read-only tree, a full disk: USER_ERRNOS), into one line on stderr and
	exit 2.  Any other exception is a bug of the tool: its traceback, and
	exit 2 too, so that no caller reads a crash as a verdict (run.py's 1)."""
	handle_signals()
	try:
		sys.exit(fn())
	except ToolError as e:
		die(tool, str(e))
	except KeyboardInterrupt:
		die(tool, 'interrupted', 130)
	except OSError as e:
		if e.errno not in USER_ERRNOS:
			traceback.print_exc()
			die(tool, f'internal error (traceback above): {e}')
		where = f": '{e.filename}'" if e.filename else ''
		die(tool, f'{e.strerror}{where}' + (' (read-only)' if e.errno == errno.EROFS else ''))
	except Exception as e:  # pylint: disable=broad-except
		traceback.print_exc()
		die(tool, f'internal error (traceback above): {type(e).__name__}: {e}')


def tree_key(path: str) -> str:
	"""A short name of a path that tells trees (and their build dirs) apart."""
	return hashlib.sha256(os.path.realpath(path).encode()).hexdigest()[:12]


def in_cache(tree: str, *sub: str) -> bool:
	"""True if tree is under <cache>/<sub> for one of sub (default: the
	tools' own trees, src/ from tools/fetch.py and work/ from
	tools/workspace.py)."""
	real = os.path.realpath(tree)
	for s in sub or ('src', 'work'):
		top = os.path.realpath(os.path.join(cache_dir(), s))
		if real.startswith(top + os.sep):
			return True
	return False


def check_build_path(path: str, what: str) -> None:
	"""kbuild cannot build a source tree, nor into a build dir, whose path
	has a space or a colon: ToolError (one line) before anything is done."""
	real = os.path.realpath(path)
	if re.search(r'[\s:]', real):
		raise ToolError(f"{what} '{real}' has a space or a colon in its path, which the kernel's "
				'make cannot build ("source directory cannot contain spaces or colons"): '
				+ ('use a copy of it at a path without them (make gate and make mutants '
				   'make such a copy themselves)' if what == 'the kernel tree'
				   else 'set ZDT_CACHE to a path without them'))


def cache_dir() -> str:
	"""Build dirs, sources and ccache live here, outside the checkout, so that
	sessions and CI on one machine share them (ZDT_CACHE overrides)."""
	d = os.environ.get('ZDT_CACHE')
	if not d:
		base = os.environ.get('XDG_CACHE_HOME') or os.path.join(os.path.expanduser('~'), '.cache')
		d = os.path.join(base, 'zone-device-kunit')
	os.makedirs(d, exist_ok=True)
	return d


def check_kver(kver: str) -> str:
	"""kver if the project supports that Debian series; else ToolError (one
	line: exit 2) with the reason.  Also an argparse type= for --kver."""
	if kver in UNSUPPORTED_KVERS:
		raise ToolError(f'KVER={kver} is not supported: {UNSUPPORTED_KVERS[kver]}')
	if kver not in KNOWN_KVERS:
		raise ToolError(f"unknown KVER '{kver}' (known: {' '.join(KNOWN_KVERS)})")
	return kver


def check_version(version: str, tree: str) -> None:
	"""ToolError for a tree too old for the suites (a KDIR=... of 6.1)."""
	nums = tuple(int(x) for x in version.split('.')[:2])
	if nums < MIN_VERSION:
		why = UNSUPPORTED_KVERS.get(kver_series(version),
					    UNSUPPORTED_KVERS['6.1'].replace("Debian's 6.1", version))
		raise ToolError(f"'{tree}' is Linux {version}, not supported: {why}")


def kernel_version(tree: str) -> str:
	"""'7.3.4' style version of a kernel tree; ToolError if it is not one,
	or if it is older than the suites support (check_version)."""
	mk = os.path.join(tree, 'Makefile')
	if not os.path.isdir(tree):
		raise ToolError(f"'{tree}' is not a directory")
	needed = ('Makefile', 'mm/Kconfig', 'mm/Makefile', 'tools/testing/kunit/kunit.py')
	for f in needed:
		if not os.path.isfile(os.path.join(tree, f)):
			raise ToolError(f"'{tree}' is not a kernel tree (no {f})")
	vals = {}
	with open(mk, encoding='utf-8', errors='replace') as f:
		for line in f.readlines()[:12]:
			m = re.match(r'^(VERSION|PATCHLEVEL|SUBLEVEL)\s*=\s*(\d+)', line)
			if m:
				vals[m.group(1)] = m.group(2)
	if 'VERSION' not in vals or 'PATCHLEVEL' not in vals:
		raise ToolError(f"'{tree}' is not a kernel tree (no VERSION in Makefile)")
	version = f"{vals['VERSION']}.{vals['PATCHLEVEL']}.{vals.get('SUBLEVEL', '0')}"
	check_version(version, tree)
	return version


def kver_series(version: str) -> str:
	"""'7.3.4' -> '7.3'."""
	return '.'.join(version.split('.')[:2])


def run(cmd: List[str], timeout: Optional[float] = None, **kw) -> subprocess.CompletedProcess:
	return subprocess.run(cmd, timeout=timeout, **kw)
