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
what install changed.

A tool that installs the suites for one run only (tools/run.py on a --kdir
tree) passes install() a journal entry (tools/journal.py): it records the
hashes of every path install writes, before and after, so that a later run
takes the suites out again if this one dies (undo()), or refuses, saying
what to do, if the tree changed since.  install refuses, in one line, a
tree it cannot write (read-only) and a tree whose mm/tests/ already has
the suites without this tool's block (a tree with the suites committed:
run it with --as-is)."""

import argparse
import glob
import hashlib
import os
import re
import sys
from typing import List, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import journal  # noqa: E402
import lock  # noqa: E402
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


def suites_hash(directory: str) -> Optional[str]:
	"""sha256 over the names and bytes of the suite files (suite_files())
	in directory: mm-tests/ itself, or a tree's mm/tests/ they were
	installed into (verbatim); None if one is missing."""
	h = hashlib.sha256()
	for f in suite_files():
		try:
			with open(os.path.join(directory, f), 'rb') as fh:
				data = fh.read()
		except OSError:
			return None
		h.update(f.encode() + b'\0' + hashlib.sha256(data).digest())
	return h.hexdigest()


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


def _hash(path: str) -> Optional[str]:
	try:
		with open(path, 'rb') as f:
			return hashlib.sha256(f.read()).hexdigest()
	except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
		return None


def check_writable(tree: str) -> None:
	"""ToolError (one line) if install cannot write what it must."""
	for rel in ('mm',) + HOOKED + (('mm/tests',) if os.path.isdir(os.path.join(tree, 'mm/tests'))
				       else ()):
		if not os.access(os.path.join(tree, rel), os.W_OK):
			raise ToolError(f"'{tree}' is read-only ({rel} cannot be written): the suites are "
					'installed into the tree that is built; give a writable tree '
					'(make gate and make mutants work on a private copy of it)')


def plan(tree: str) -> Tuple[List[Tuple[str, Optional[bytes]]], bool]:
	"""What install writes: [(path relative to tree, new bytes or None to
	remove)] in the order it writes them (suite files, then mm/Kconfig,
	mm/Makefile last: status() reads its block), and whether mm/tests is
	created.  Paths already as they should be are left out."""
	tests = os.path.join(tree, 'mm/tests')
	state = status(tree)
	if state is None:
		clash = [f for f in suite_files() if os.path.exists(os.path.join(tests, f))]
		if clash:
			raise ToolError(f"{tree}/mm/tests already has {', '.join(clash)}, not installed "
					'by this tool (the suites committed, e.g. by make series): '
					'refusing to overwrite; run the suites the tree has with --as-is '
					'(make run|gate|mutants AS_IS=1)')
		created = not os.path.isdir(tests)
		# The directory whose entries install changes: its mtime is restored too.
		dirmtime = str(os.stat(os.path.join(tree, 'mm') if created else tests).st_mtime_ns)
	else:
		created = state.get('created') == '1'
		dirmtime = state['dirmtime']
	out: List[Tuple[str, Optional[bytes]]] = []
	for f in suite_files():
		with open(os.path.join(SRC, f), 'rb') as fh:
			data = fh.read()
		if _hash(os.path.join(tests, f)) != hashlib.sha256(data).hexdigest():
			out.append((f'mm/tests/{f}', data))
	# Files an older install put there that mm-tests/ no longer has.
	if state is not None:
		for stale in sorted(set(state.get('files', '').split(',')) - set(suite_files()) - {''}):
			if os.path.exists(os.path.join(tests, stale)):
				out.append((f'mm/tests/{stale}', None))
	for rel, frag in zip(HOOKED, ('Kconfig', 'Makefile')):
		path = os.path.join(tree, rel)
		text = _read(path)
		orig, old = _split_block(text)
		mtime = old['mtime'] if old else str(os.stat(path).st_mtime_ns)
		addednl = '1' if orig and not orig.endswith('\n') else '0'
		block = (f'{BEGIN}\n# zdt: created={int(created)} mtime={mtime} dirmtime={dirmtime} '
			 f'addednl={addednl} '
			 f'files={",".join(suite_files())}\n'
			 f'{_fragment(frag)}{END}\n')
		new = orig + ('\n' if addednl == '1' else '') + block
		if new != text:
			out.append((rel, new.encode('utf-8', errors='surrogateescape')))
	return out, created


def install(tree: str, entry: Optional['journal.Entry'] = None) -> List[str]:
	"""Returns the paths (relative to tree) that changed.  With a journal
	entry (module doc), it is written before the tree is touched."""
	kernel_version(tree)
	steps, _ = plan(tree)
	if steps:
		check_writable(tree)
	if entry is not None:
		paths = sorted({rel for rel, _ in steps} | set(HOOKED) |
			       {f'mm/tests/{f}' for f in suite_files()})
		before = {rel: _hash(os.path.join(tree, rel)) for rel in paths}
		after = dict(before)
		for rel, data in steps:
			after[rel] = hashlib.sha256(data).hexdigest() if data is not None else None
		entry.open(before=before, expect=after)
	os.makedirs(os.path.join(tree, 'mm/tests'), exist_ok=True)
	for rel, data in steps:
		path = os.path.join(tree, rel)
		if data is None:
			os.remove(path)
		else:
			with open(path, 'wb') as f:
				f.write(data)
	return [rel for rel, data in steps if data is not None]


def undo(data: dict) -> str:
	"""journal.py's handler: takes out the suites a dead run installed for
	itself, if the tree still holds exactly what it left."""
	tree, u = data['tree'], data['undo']
	before, expect = u.get('before', {}), u.get('expect', {})
	now = {rel: _hash(os.path.join(tree, rel)) for rel in set(before) | set(expect)}
	changed = sorted(rel for rel, h in now.items() if h not in (before.get(rel), expect.get(rel)))
	if changed:
		raise journal.Refused(f'a run left the suites installed, and {changed[0]} changed since: '
				      f'take them out with "tools/install.py uninstall {tree}" (or keep '
				      'them), then delete the journal entry')
	if now == before:
		return 'nothing had been installed yet'
	uninstall(tree)
	return 'took out the suites it had installed'


def uninstall(tree: str) -> bool:
	"""Restores the tree; False if there was nothing to remove.  Each of
	mm/Kconfig and mm/Makefile loses its block on its own (an install cut
	short may have written only the first), and the suite files the block
	lists go (those of the checkout that installed them)."""
	state = None
	for rel in HOOKED:
		path = os.path.join(tree, rel)
		orig, st = _split_block(_read(path))
		if st is None:
			continue
		state = st if rel == 'mm/Makefile' or state is None else state
		_write(path, orig)
		mtime = int(st['mtime'])
		os.utime(path, ns=(mtime, mtime))
	if state is None:
		return False
	tests = os.path.join(tree, 'mm/tests')
	for f in set(suite_files()) | (set(state.get('files', '').split(',')) - {''}):
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
	tree = os.path.abspath(os.path.expanduser(args.tree))
	if args.action == 'status':
		print('installed' if status(tree) is not None else 'not installed')
		return 0
	kernel_version(tree)
	with lock.Lock(tree, f'the kernel tree {tree}', 'install'):
		journal.recover('install', tree)
		if args.action == 'install':
			changed = install(tree)
			print(f"installed in {tree}: {len(changed)} file(s) changed")
		else:
			print(f"uninstalled from {tree}" if uninstall(tree) else f'not installed in {tree}')
	return 0


if __name__ == '__main__':
	main_wrapper('install', main)
