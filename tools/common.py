# SPDX-License-Identifier: GPL-2.0
"""Things every tool shares: where the cache lives, how a tool fails, what a
kernel tree is.  Nothing here knows about KUnit; that is kunit.py's job."""

import os
import re
import subprocess
import sys
from typing import List, NoReturn, Optional

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Kernel versions this project knows how to fetch (Debian linux-source-X.Y).
KNOWN_KVERS = ('6.1', '6.12', '7.2', '7.3')
DEFAULT_KVER = '7.3'


class ToolError(Exception):
	"""A problem the user can fix; reported as one line, exit status 2."""


def die(tool: str, msg: str, status: int = 2) -> NoReturn:
	print(f'{tool}: {msg}', file=sys.stderr)
	sys.exit(status)


def main_wrapper(tool: str, fn) -> None:
	"""Runs fn(); turns ToolError into one line on stderr and exit 2."""
	try:
		sys.exit(fn())
	except ToolError as e:
		die(tool, str(e))
	except KeyboardInterrupt:
		die(tool, 'interrupted', 130)


def cache_dir() -> str:
	"""Build dirs, sources and ccache live here, outside the checkout, so that
	sessions and CI on one machine share them (ZDT_CACHE overrides)."""
	d = os.environ.get('ZDT_CACHE')
	if not d:
		base = os.environ.get('XDG_CACHE_HOME') or os.path.join(os.path.expanduser('~'), '.cache')
		d = os.path.join(base, 'zone-device-kunit')
	os.makedirs(d, exist_ok=True)
	return d


def kernel_version(tree: str) -> str:
	"""'7.3.4' style version of a kernel tree; ToolError if it is not one."""
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
	return f"{vals['VERSION']}.{vals['PATCHLEVEL']}.{vals.get('SUBLEVEL', '0')}"


def kver_series(version: str) -> str:
	"""'7.3.4' -> '7.3'."""
	return '.'.join(version.split('.')[:2])


def run(cmd: List[str], timeout: Optional[float] = None, **kw) -> subprocess.CompletedProcess:
	return subprocess.run(cmd, timeout=timeout, **kw)
