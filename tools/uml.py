# SPDX-License-Identifier: GPL-2.0
"""uml: the arch/um series of patches/uml/ in a kernel tree, for ARCH=um.

Mainline UML has no sparsemem and no memory hotplug, so no ZONE_DEVICE: the
suites' device cases cannot run under kunit.py's default arch.
patches/uml/ is an arch/um-only series that gives it them
(docs/uml.md); core mm is untouched, so a UML verdict is still
a verdict on the kernel under test.  run.py applies it for ARCH=um to a
tree that lacks it and says so; it takes it out again afterwards, as it
does the suites, except from the tools' own trees (<cache>/src/ from
tools/fetch.py, <cache>/work/ from tools/workspace.py), where it stays for
speed: there a state file in the cache records what was applied (the
series' digest, each touched file's content and the originals), so a
changed series is swapped for the new one and a tree changed by hand is
refused.  Until the state file is written, and for a tree it is taken out
of again for the whole run, a journal entry (tools/journal.py) records
the originals, so that a run that dies leaves nothing a later run does
not put back.  A private copy of a tree (tools/workspace.py) takes over the
source tree's state with its files (adopt_state()).

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
import journal  # noqa: E402
import results  # noqa: E402
from common import REPO, ToolError, cache_dir, in_cache, kver_series, reserved_ram  # noqa: E402
from series import Series, put_back, touched_files  # noqa: E402

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
	"""True for a tree of the tools' own (tools/fetch.py's, or a private
	copy of tools/workspace.py's)."""
	return in_cache(tree)


def _load_state(tree: str) -> Optional[dict]:
	try:
		with open(os.path.join(_state_dir(tree), 'state.json'), encoding='utf-8') as f:
			return json.load(f)
	except (OSError, ValueError):
		return None


def _holds(tree: str, state: dict) -> bool:
	return all(_file_hash(os.path.join(tree, rel)) == h for rel, h in state['files'].items())


def adopt_state(source: str, copy: str) -> None:
	"""After tools/workspace.py made copy hold source's files: copy's
	state is a copy of source's if copy holds what it records, else copy
	has none (the files are the source's again, without the series)."""
	src, dst = _load_state(source), _load_state(copy)
	if src is not None and _holds(copy, src):
		if dst != src:
			shutil.rmtree(_state_dir(copy), ignore_errors=True)
			shutil.copytree(_state_dir(source), _state_dir(copy))
	elif dst is not None and not _holds(copy, dst):
		shutil.rmtree(_state_dir(copy), ignore_errors=True)


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
		return _load_state(self.tree)

	def _current(self, state: dict) -> bool:
		"""True if the tree holds what the state says was applied."""
		return _holds(self.tree, state)

	def _take_out(self, state: dict) -> None:
		"""Puts back the originals a kept application saved."""
		put_back(self.tree, os.path.join(_state_dir(self.tree), 'backup'),
			 {rel: bool(existed) for rel, existed in state['saved'].items()})
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
		# A kept application's originals live with its state; a run's with
		# its journal entry (a later run puts them back if this one dies).
		self.entry = journal.Entry('series', self.tree, 'patches/uml applied for a UML run')
		if self.keep:
			top = _state_dir(self.tree)
			shutil.rmtree(top, ignore_errors=True)
			self.entry.open(cleanup=[top])
		else:
			top = os.path.join(self.entry.open().data_dir(), 'uml')
		self.backup = os.path.join(top, 'backup')
		os.makedirs(self.backup)
		# patch -p1, or git apply in a git tree: no commit in anyone's branch.
		self.series = Series(self.tree, self.patches, self.backup,
				     git_apply=False if self.keep else None, entry=self.entry)
		try:
			self.series.apply()
		except ToolError:
			self.series.restore()
			shutil.rmtree(top, ignore_errors=True)
			raise
		if self.keep:
			with open(os.path.join(_state_dir(self.tree), 'state.json.tmp'), 'w',
				  encoding='utf-8') as f:
				json.dump({'digest': digest(self.patches),
					   'patches': [os.path.basename(p) for p in self.patches],
					   'saved': self.series.saved,
					   'files': {rel: _file_hash(os.path.join(self.tree, rel))
						     for rel in self._touched()}}, f, indent=1)
			os.replace(os.path.join(_state_dir(self.tree), 'state.json.tmp'),
				   os.path.join(_state_dir(self.tree), 'state.json'))
			self.entry.close()	# the state file records it from here on
			return f'{n}: applied to {self.tree}{replaced} ({self.series.method}; kept: ' \
			       'the tools\' own tree)'
		return f'{n}: applied to {self.tree} ({self.series.method}), taken out after the run'

	def close(self) -> None:
		if self.series is not None and not self.keep:
			self.series.restore()	# and closes the journal entry, its backup with it
		self.series = None


def status(tree: str) -> Dict[str, object]:
	"""What a kept application recorded for @tree ({} if none)."""
	a = Applied(tree, [], True)
	return a._load() or {}  # pylint: disable=protected-access
