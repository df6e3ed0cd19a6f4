# SPDX-License-Identifier: GPL-2.0
"""uml: the arch/um series of patches/uml/ in a kernel tree, for ARCH=um.

Mainline UML has no sparsemem and no memory hotplug, so no ZONE_DEVICE: the
suites' device cases cannot run under kunit.py's default arch.
patches/uml/ is an arch/um-only series that gives it them
(docs/uml.md); core mm is untouched, so a UML verdict is still
a verdict on the kernel under test.  run.py applies it for ARCH=um to a
tree that lacks it and says so; it takes it out again afterwards, as it
does the suites, except from the tools' own cached trees
(<cache>/src/), where it stays for speed: there a state file in the cache
records what was applied (the series' digest, each touched file's content
and the originals), so a changed series is swapped for the new one and a
tree changed by hand is refused.

The series is patches/uml/*.patch (the cover letter aside), written against
7.3; patches/uml/<X.Y>/*.patch is added to it for kernel X.Y, in name
order.  Kernels older than FIRST get none: their UML run is mainline UML
(no ZONE_DEVICE), its device cases skip, and run.py says why.  Applying
and putting back is tools/series.py's, as for the gate's patches."""

import glob
import hashlib
import json
import os
import re
import shutil
import sys
from typing import Dict, List, Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import results  # noqa: E402
from common import REPO, ToolError, cache_dir, kver_series, reserved_ram  # noqa: E402
from series import Series, touched_files  # noqa: E402

DIR = os.path.join(REPO, 'patches', 'uml')
FIRST = (7, 2)
COVER = '0000-cover-letter.patch'
# The kunitconfig fragment that goes with the series (run.py adds it to the
# suites' mm-tests/.kunitconfig), and the kernel command line the suites want:
# RAM kept from the page allocator for the coherent cases
# (configs/reserved_ram.py), and two CPUs, which UML runs only in its
# seccomp mode.
KUNITCONFIG = os.path.join(REPO, 'configs', 'um-zone-device.kunitconfig')
# How a case's skip says it needs what UML with the series still lacks
# (mm-tests/zone_device_compat.h: THP, the per-VMA lock); not "UML: mainline
# arch/um has no memory hotplug", which the series is there to give.
LACKS = re.compile(r'UML has no |UML: no ')


def lacked(case) -> str:
	"""Why a case (tools/results.py's Case) did not run in full under UML
	for what UML lacks: its skip's reason, or, for a case that passed, the
	first parameter that skipped so; '' if neither."""
	S = results.Status
	if case.status == S.SKIP and LACKS.search(case.skip_reason or ''):
		return case.skip_reason
	if case.status == S.PASS:
		for param, why in case.skipped_params:
			if LACKS.search(why or ''):
				return f'{case.name.split(".")[1]} passed, but its {param} parameter skips: {why}'
	return ''


# The regression patches that are 'n/a under UML' (tools/mutants.py --arch
# um): every case they name skips (or passes only through a parameter that
# skips) for what UML lacks.  Pinned from the full UML mutants run
# (docs/uml.md): 13 PMD/THP, the per-VMA lock (0064), the
# GUP-fast walk (0027) and FOLL_FAST_ONLY (0026, whose case skips without
# HAVE_GUP_FAST: there the fast-only call is the slow path).  A patch n/a that is not listed, or listed and not
# n/a, is a mutants error: the list changes only with a run that shows it.
NA_MUTANTS = frozenset(f'{n}.patch' for n in (
	'0018-pmd-fault-takes-no-folio-reference',
	'0019-pmd-fault-leaves-folio-locked',
	'0024-large-folio-pin-adds-bias',
	'0026-fast-only-gup-falls-back-to-slow-path',
	'0027-gup-fast-longterm-pins-coherent-folio',
	'0037-migrate-vma-splits-device-pmd',
	'0041-migrate-vma-refuses-pmd-insert',
	'0043-partial-range-skips-large-folio',
	'0045-contended-pmd-fault-leaks-folio-reference',
	'0055-hmm-reports-device-pmd-at-order-zero',
	'0056-hmm-fails-on-other-owners-device-pmd',
	'0058-fork-leaves-device-private-pmd-writable',
	'0059-eviction-leaves-large-device-folios',
	'0060-migrate-vma-ignores-device-private-pmd-owner',
	'0064-device-private-fault-ignores-vma-lock',
	'0065-pmd-device-private-fault-ignores-vma-lock'))

KERNEL_ARGS = (*reserved_ram.kernel_args('um'), 'seccomp=on', 'ncpus=2')


def patches_for(version: str) -> List[str]:
	"""The series for kernel @version ('7.3.4'), in order; [] if it has none."""
	series = kver_series(version)
	if tuple(int(x) for x in series.split('.')) < FIRST:
		return []
	base = [p for p in glob.glob(os.path.join(DIR, '*.patch')) if os.path.basename(p) != COVER]
	extra = glob.glob(os.path.join(DIR, series, '*.patch'))
	return sorted(base + extra, key=os.path.basename)


def why_none(version: str) -> str:
	return (f'patches/uml has no series for {kver_series(version)} (written for '
		f'{".".join(map(str, FIRST))} and later): mainline UML, no ZONE_DEVICE, '
		'the device cases skip')


def digest(patches: List[str]) -> str:
	h = hashlib.sha256()
	for p in patches:
		h.update(os.path.basename(p).encode() + b'\0')
		with open(p, 'rb') as f:
			h.update(f.read())
	return h.hexdigest()


def _file_hash(path: str) -> Optional[str]:
	if not os.path.isfile(path):
		return None
	with open(path, 'rb') as f:
		return hashlib.sha256(f.read()).hexdigest()


def _state_dir(tree: str) -> str:
	key = hashlib.sha256(os.path.realpath(tree).encode()).hexdigest()[:16]
	return os.path.join(cache_dir(), 'uml-series', key)


def cached_tree(tree: str) -> bool:
	"""True for a tree of the tools' own cache (tools/fetch.py's)."""
	src = os.path.realpath(os.path.join(cache_dir(), 'src'))
	return os.path.realpath(tree).startswith(src + os.sep)


class Applied:
	"""The series in one tree, for one run: open() puts it in (or finds
	it there), close() takes it out again unless it is kept."""

	def __init__(self, tree: str, patches: List[str], keep: bool):
		self.tree, self.patches, self.keep = tree, patches, keep
		self.series: Optional[Series] = None
		self.backup: Optional[str] = None

	def _touched(self) -> List[str]:
		return sorted({f for p in self.patches for f in touched_files(p)})

	def _load(self) -> Optional[dict]:
		try:
			with open(os.path.join(_state_dir(self.tree), 'state.json'),
				  encoding='utf-8') as f:
				return json.load(f)
		except (OSError, ValueError):
			return None

	def _current(self, state: dict) -> bool:
		"""True if the tree holds what the state says was applied."""
		return all(_file_hash(os.path.join(self.tree, rel)) == h
			   for rel, h in state['files'].items())

	def _take_out(self, state: dict) -> None:
		"""Puts back the originals a kept application saved."""
		old = Series(self.tree, [], os.path.join(_state_dir(self.tree), 'backup'))
		old.git_head = None		# it went in with patch -p1
		old.saved = {rel: bool(existed) for rel, existed in state['saved'].items()}
		old.restore()
		shutil.rmtree(_state_dir(self.tree), ignore_errors=True)

	def open(self) -> str:
		"""Applies the series if the tree lacks it; what happened, one line."""
		n = f'patches/uml ({len(self.patches)} patch{"es" if len(self.patches) > 1 else ""}, ' \
		    'arch/um only)'
		state = self._load() if self.keep else None
		if state is not None and not self._current(state):
			raise ToolError(f'{self.tree}: the files patches/uml changed were changed since '
					f'(state in {_state_dir(self.tree)}); remove that directory and '
					'put the tree back by hand')
		if state is not None and state['digest'] == digest(self.patches):
			return f'{n}: already in the tree (kept from an earlier run)'
		replaced = ''
		if state is not None:
			self._take_out(state)
			replaced = ', replacing an older version of it'
		# A kept application's originals live with its state; a run's, for the run.
		top = _state_dir(self.tree) if self.keep else \
			os.path.join(cache_dir(), 'uml-series', f'run-{os.getpid()}')
		shutil.rmtree(top, ignore_errors=True)
		self.backup = os.path.join(top, 'backup')
		os.makedirs(self.backup)
		self.series = Series(self.tree, self.patches, self.backup)
		if self.keep:
			self.series.git_head = None	# kept: no commits in anyone's branch
		try:
			self.series.apply()
		except ToolError:
			self.series.restore()
			shutil.rmtree(top, ignore_errors=True)
			raise
		if self.keep:
			with open(os.path.join(_state_dir(self.tree), 'state.json'), 'w',
				  encoding='utf-8') as f:
				json.dump({'digest': digest(self.patches),
					   'patches': [os.path.basename(p) for p in self.patches],
					   'saved': self.series.saved,
					   'files': {rel: _file_hash(os.path.join(self.tree, rel))
						     for rel in self._touched()}}, f, indent=1)
			return f'{n}: applied to {self.tree}{replaced} ({self.series.method}; kept: ' \
			       'the tools\' cached tree)'
		return f'{n}: applied to {self.tree} ({self.series.method}), taken out after the run'

	def close(self) -> None:
		if self.series is not None and not self.keep:
			self.series.restore()
			shutil.rmtree(os.path.dirname(self.backup), ignore_errors=True)
		self.series = None


def status(tree: str) -> Dict[str, object]:
	"""What a kept application recorded for @tree ({} if none)."""
	a = Applied(tree, [], True)
	return a._load() or {}  # pylint: disable=protected-access
