# SPDX-License-Identifier: GPL-2.0
"""What the tools' unit tests (tools/test_*.py) share: running a tool,
scratch kernel trees and their snapshots, the suites' sources, and the
recorded runs under tools/test_data, read with the pinned kunit_parser
(tools/kunit/).  TREE is a kernel tree for the tests that need kunit.py
itself ($ZDT_KUNIT_TREE, which make test sets, or the cache's)."""

import atexit
import difflib
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from typing import Dict, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import install  # noqa: E402
import results  # noqa: E402
from common import REPO, ToolError, cache_dir  # noqa: E402

TOOLS = os.path.join(REPO, 'tools')


def tool(name: str, *args: str, env: Optional[Dict[str, str]] = None) -> Tuple[int, str, str]:
	"""Runs tools/<name>.py; (exit status, stdout, stderr)."""
	p = subprocess.run([sys.executable, os.path.join(TOOLS, name + '.py'), *args],
			   capture_output=True, text=True, env=env, check=False)
	return p.returncode, p.stdout, p.stderr


def snapshot(root: str) -> Dict[str, Tuple[Optional[bytes], int]]:
	"""Every path under root with its bytes and mtime."""
	out = {}
	for d, dirs, files in os.walk(root):
		for n in dirs + files:
			p = os.path.join(d, n)
			st = os.lstat(p)
			data = None
			if os.path.isfile(p):
				with open(p, 'rb') as f:
					data = f.read()
			out[os.path.relpath(p, root)] = (data, st.st_mtime_ns)
	out['.'] = (None, os.stat(root).st_mtime_ns)
	return out


def scratch_tree(parent: str, with_tests_dir: bool = False,
		 no_trailing_newline: bool = False) -> str:
	"""The files of a kernel tree the tools look at, and nothing else."""
	t = os.path.join(parent, 'linux')
	os.makedirs(os.path.join(t, 'mm'))
	os.makedirs(os.path.join(t, 'tools/testing/kunit'))
	with open(os.path.join(t, 'Makefile'), 'w') as f:
		f.write('# SPDX-License-Identifier: GPL-2.0\nVERSION = 7\nPATCHLEVEL = 3\nSUBLEVEL = 4\n')
	with open(os.path.join(t, 'mm/Kconfig'), 'w') as f:
		f.write('menu "Memory Management options"\nendmenu\n')
	with open(os.path.join(t, 'mm/Makefile'), 'w') as f:
		f.write('obj-y += memory.o' + ('' if no_trailing_newline else '\n'))
	with open(os.path.join(t, 'tools/testing/kunit/kunit.py'), 'w') as f:
		f.write('')
	if with_tests_dir:
		os.makedirs(os.path.join(t, 'mm/tests'))
		with open(os.path.join(t, 'mm/tests/lazy_mmu_mode_kunit.c'), 'w') as f:
			f.write('/* upstream */\n')
	for p in ('mm/Kconfig', 'mm/Makefile', 'mm', 'mm/tests'):
		if os.path.exists(os.path.join(t, p)):
			os.utime(os.path.join(t, p), ns=(10**18, 10**18))
	return t



def fake_612_tree(parent: str, kunit_py: str) -> str:
	"""A scratch 6.12 tree (UML without patches/uml: only kunit.py runs)
	whose tools/testing/kunit/kunit.py is kunit_py."""
	t = scratch_tree(parent)
	with open(os.path.join(t, 'Makefile'), 'w') as f:
		f.write('VERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 117\n')
	with open(os.path.join(t, 'tools/testing/kunit/kunit.py'), 'w') as f:
		f.write(kunit_py)
	return t


class Lines:	# pylint: disable=too-few-public-methods
	"""A file-like that collects the non-empty lines print()ed to it."""

	def __init__(self, lines):
		self.lines = lines

	def write(self, text):
		if text.strip():
			self.lines.append(text.strip())

	def flush(self):
		pass

class ScratchTreeCase(unittest.TestCase):
	"""A test with a scratch kernel tree (self.tree) in a temporary dir (self.d)."""

	def setUp(self):
		self.d = tempfile.mkdtemp()
		self.addCleanup(shutil.rmtree, self.d)
		self.tree = scratch_tree(self.d)


def suite_text() -> str:
	"""All of mm-tests/*.[ch], to look names up in."""
	text = ''
	for f in install.suite_files():
		if not f.endswith(('.c', '.h')):
			continue
		with open(os.path.join(REPO, 'mm-tests', f)) as fh:
			text += fh.read()
	return text


def diff(rel: str, old: Optional[str], new: Optional[str]) -> str:
	"""A -p1 unified diff of one file, as a patch series carries it."""
	a = old.splitlines(keepends=True) if old is not None else []
	b = new.splitlines(keepends=True) if new is not None else []
	return ''.join(difflib.unified_diff(a, b, f'a/{rel}' if old is not None else '/dev/null',
					    f'b/{rel}' if new is not None else '/dev/null'))


# ---------------------------------------------------------------------------
# Recorded runs (tools/test_data)

S = results.Status
DATA = os.path.join(REPO, 'tools', 'test_data')
NAME = '7.3.4-x86_64'
PMD = 'zone_device_fault_pmd.contended_pmd_fault_sleeps_instead_of_spinning'
GUP = 'zone_device_gup.pin_keeps_coherent_page_in_place'
FORK_PMD = 'zone_device_fault_pmd.fork_keeps_device_private_pmd_copy_on_write'


def kunit_tree() -> Optional[str]:
	"""$ZDT_KUNIT_TREE, else a cached tree with tools/testing/kunit/kunit.py."""
	import glob  # pylint: disable=import-outside-toplevel
	cands = [os.environ.get('ZDT_KUNIT_TREE', '')] + \
		sorted(glob.glob(os.path.join(cache_dir(), 'src', 'linux-*')), reverse=True)
	for t in cands:
		if t and os.path.isfile(os.path.join(t, 'tools/testing/kunit/kunit.py')):
			return os.path.realpath(t)
	return None


TREE = kunit_tree()
# Nothing the tests run writes into the shared cache (<cache>/locks,
# journal, build, work: another run may be using it): they get a cache of
# their own, removed at exit, also in the tools they start.
_CACHE = tempfile.mkdtemp(prefix='zdt-test-cache-')
os.environ['ZDT_CACHE'] = _CACHE
atexit.register(shutil.rmtree, _CACHE, True)
needs_tree = unittest.skipUnless(TREE, 'no kernel tree with tools/testing/kunit (make fetch)')


def needs_parser(cls):
	"""The pinned parser is always there (tools/kunit/): nothing to skip."""
	return cls


def ktap(variant: str) -> str:
	return os.path.join(DATA, variant, f'{NAME}.ktap')


def load(variant: str, series: str = '7.3') -> results.Run:
	return results.load(ktap(variant), results.known_failures(series))


def text_of(variant: str) -> str:
	with open(ktap(variant), encoding='utf-8') as f:
		return f.read()



# The recorded 6.12 run (tools/test_data/6.12), read with the pinned parser
# as every run is.
NAME_612 = '6.12.117-x86_64'
needs_612_parser = needs_parser
FAULT = 'zone_device_fault.contended_fault_sleeps_instead_of_spinning'
EVICTION = 'zone_device_migrate.eviction_moves_every_device_page_to_ram'


def ktap_612() -> str:
	return os.path.join(DATA, '6.12', f'{NAME_612}.ktap')


def load_612(series: str = '6.12') -> results.Run:
	"""The recorded 6.12 run with the known failures of a series."""
	return results.load(ktap_612(), results.known_failures(series))
