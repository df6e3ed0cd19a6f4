#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""install / uninstall / status: the suites of mm-tests/ in a kernel tree.

install copies mm-tests/*.[ch] and mm-tests/.kunitconfig (the suites, for
kunit.py --kunitconfig=mm/tests) to <tree>/mm/tests/ and appends
mm-tests/Kconfig and mm-tests/Makefile to mm/Kconfig and mm/Makefile inside
one marked block.
It is idempotent: files whose content did not change are not touched, so an
incremental build stays incremental.  uninstall leaves the tree byte for byte
as it was (mtimes of the two edited files included): the marker line records
what install changed."""

import argparse
import filecmp
import glob
import os
import re
import shutil
import sys
from typing import List, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import REPO, ToolError, kernel_version, main_wrapper  # noqa: E402

SRC = os.path.join(REPO, 'mm-tests')
BEGIN = '# >>> zone-device-kunit (tools/install.py; remove with tools/install.py uninstall)'
END = '# <<< zone-device-kunit'
MARK_RE = re.compile(r'^# zdt: (.*)$', re.M)
HOOKED = ('mm/Kconfig', 'mm/Makefile')


def suite_files() -> List[str]:
	"""What install copies from mm-tests/ to mm/tests/ as it is: the
	sources and .kunitconfig (Kconfig and Makefile go into mm/'s own)."""
	return sorted(os.path.basename(p) for p in glob.glob(os.path.join(SRC, '*.[ch]')) +
		      glob.glob(os.path.join(SRC, '.kunitconfig')))


def _fragment(name: str) -> str:
	"""mm-tests/Kconfig or Makefile without its leading comment header."""
	with open(os.path.join(SRC, name), encoding='utf-8') as f:
		lines = f.read().splitlines()
	while lines and (lines[0].startswith('#') or not lines[0].strip()):
		lines.pop(0)
	return '\n'.join(lines) + '\n'


def _read(path: str) -> str:
	with open(path, encoding='utf-8', errors='surrogateescape', newline='') as f:
		return f.read()


def _write(path: str, text: str) -> None:
	with open(path, 'w', encoding='utf-8', errors='surrogateescape', newline='') as f:
		f.write(text)


def _split_block(text: str) -> Tuple[str, Optional[dict]]:
	"""(original text, recorded state) if our block ends text, else (text, None)."""
	i = text.find('\n' + BEGIN + '\n')
	if i < 0 and text.startswith(BEGIN + '\n'):
		i = -1
	elif i < 0:
		return text, None
	block = text[i + 1:]
	if not block.rstrip('\n').endswith(END):
		raise ToolError('the zone-device-kunit block in the tree was edited by hand; '
				'remove it and mm/tests/zone_device_* yourself')
	m = MARK_RE.search(block)
	state = dict(kv.split('=', 1) for kv in m.group(1).split()) if m else {}
	orig = text[:i + 1]
	if state.get('addednl') == '1':
		orig = orig[:-1]
	return orig, state


def status(tree: str) -> Optional[dict]:
	kernel_version(tree)
	_, state = _split_block(_read(os.path.join(tree, 'mm/Makefile')))
	return state


def install(tree: str) -> List[str]:
	"""Returns the paths (relative to tree) that changed."""
	kernel_version(tree)
	changed = []
	tests = os.path.join(tree, 'mm/tests')
	state = status(tree)
	if state is None:
		clash = [f for f in suite_files() if os.path.exists(os.path.join(tests, f))]
		if clash:
			raise ToolError(f"{tree}/mm/tests already has {', '.join(clash)}, not installed "
					'by this tool: refusing to overwrite')
		created = not os.path.isdir(tests)
		# The directory whose entries install changes: its mtime is restored too.
		dirmtime = str(os.stat(os.path.join(tree, 'mm') if created else tests).st_mtime_ns)
	else:
		created = state.get('created') == '1'
		dirmtime = state['dirmtime']
	os.makedirs(tests, exist_ok=True)

	for rel, frag in zip(HOOKED, ('Kconfig', 'Makefile')):
		path = os.path.join(tree, rel)
		orig, old = _split_block(_read(path))
		st = os.stat(path)
		mtime = old['mtime'] if old else str(st.st_mtime_ns)
		addednl = '1' if orig and not orig.endswith('\n') else '0'
		block = (f'{BEGIN}\n# zdt: created={int(created)} mtime={mtime} dirmtime={dirmtime} '
			 f'addednl={addednl} '
			 f'files={",".join(suite_files())}\n'
			 f'{_fragment(frag)}{END}\n')
		new = orig + ('\n' if addednl == '1' else '') + block
		if new != _read(path):
			_write(path, new)
			changed.append(rel)
	for f in suite_files():
		dst = os.path.join(tests, f)
		if not (os.path.exists(dst) and filecmp.cmp(os.path.join(SRC, f), dst, shallow=False)):
			shutil.copyfile(os.path.join(SRC, f), dst)
			changed.append(f'mm/tests/{f}')
	# Files an older install put there that mm-tests/ no longer has.
	if state is not None:
		for stale in set(state.get('files', '').split(',')) - set(suite_files()) - {''}:
			if os.path.exists(os.path.join(tests, stale)):
				os.remove(os.path.join(tests, stale))
	return changed


def uninstall(tree: str) -> bool:
	"""Restores the tree; False if there was nothing to remove."""
	state = status(tree)
	if state is None:
		return False
	for rel in HOOKED:
		path = os.path.join(tree, rel)
		orig, st = _split_block(_read(path))
		if st is None:
			continue
		_write(path, orig)
		mtime = int(st['mtime'])
		os.utime(path, ns=(mtime, mtime))
	tests = os.path.join(tree, 'mm/tests')
	for f in suite_files():
		p = os.path.join(tests, f)
		if os.path.exists(p):
			os.remove(p)
	if state.get('created') == '1' and os.path.isdir(tests) and not os.listdir(tests):
		os.rmdir(tests)
	changed_dir = os.path.join(tree, 'mm') if state.get('created') == '1' else tests
	if 'dirmtime' in state and os.path.isdir(changed_dir):
		mtime = int(state['dirmtime'])
		os.utime(changed_dir, ns=(mtime, mtime))
	return True


def main() -> int:
	ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	ap.add_argument('action', choices=('install', 'uninstall', 'status'))
	ap.add_argument('tree', help='kernel source tree')
	args = ap.parse_args()
	tree = os.path.abspath(args.tree)
	if args.action == 'install':
		changed = install(tree)
		print(f"installed in {tree}: {len(changed)} file(s) changed")
	elif args.action == 'uninstall':
		print(f"uninstalled from {tree}" if uninstall(tree) else f'not installed in {tree}')
	else:
		print('installed' if status(tree) is not None else 'not installed')
	return 0


if __name__ == '__main__':
	main_wrapper('install', main)
