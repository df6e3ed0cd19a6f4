#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""fetch KVER: a Debian linux-source-KVER tree, unpacked once under the cache.

apt does the work: a private apt state (lists, archives, sources) under the
cache that reuses the Debian mirror already configured on this system, plus the
newer suites that carry 7.x; apt verifies what it downloads.  Prints the path
of the unpacked tree on stdout.

One fetch of a series at a time (tools/lock.py): a second waits, then finds
the tree the first unpacked.  A tree is unpacked beside its final place and
renamed into it; an existing tree is never removed or unpacked over (a run
may be building it), and linux-X.Y is switched to a new one atomically."""

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from typing import List, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lock  # noqa: E402
import progress  # noqa: E402
from common import (DEFAULT_KVER, KNOWN_KVERS, ToolError, cache_dir,  # noqa: E402
		    check_kver, main_wrapper)

# Suites added to the system's own: where 7.2 and 7.3 live.
EXTRA_SUITES = ('trixie-backports', 'forky', 'sid', 'experimental')
KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg'
APT_TIMEOUT = 600


def _deb822_entries(text: str) -> List[dict]:
	entries = []
	for para in re.split(r'\n\s*\n', text):
		e = {}
		for line in para.splitlines():
			if line.startswith('#') or ':' not in line or line[0].isspace():
				continue
			k, v = line.split(':', 1)
			e[k.strip().lower()] = v.split()
		if e:
			entries.append(e)
	return entries


def _oneline_entries(text: str) -> List[dict]:
	entries = []
	for line in text.splitlines():
		line = re.sub(r'\[[^]]*\]', ' ', line.split('#', 1)[0]).split()
		if len(line) >= 3 and line[0] == 'deb':
			entries.append({'types': ['deb'], 'uris': [line[1]],
					'suites': [line[2]], 'components': line[3:]})
	return entries


def system_sources(etc: str = '/etc/apt') -> List[Tuple[str, List[str]]]:
	"""[(URI, suites)] of the system's Debian archives (main and security),
	read from its apt sources: never written into this repository.  The main
	archive comes first."""
	entries = []
	files = [os.path.join(etc, 'sources.list')] + sorted(glob.glob(os.path.join(etc, 'sources.list.d', '*')))
	for path in files:
		try:
			with open(path, encoding='utf-8', errors='replace') as f:
				text = f.read()
		except OSError:
			continue
		if path.endswith('.sources'):
			entries += _deb822_entries(text)
		elif path.endswith('.list'):
			entries += _oneline_entries(text)
	found = []
	for e in entries:
		if 'deb' not in e.get('types', []) or e.get('enabled', ['yes'])[0] == 'no':
			continue
		if 'main' not in e.get('components', []) or not e.get('uris') or not e.get('suites'):
			continue
		uri = e['uris'][0].rstrip('/')
		if re.search(r'/debian(-security)?$', uri):
			found.append((uri, e['suites']))
	found.sort(key=lambda u: u[0].endswith('-security'))
	if not found or found[0][0].endswith('-security'):
		raise ToolError(f'no Debian main archive found in the apt sources under {etc}')
	return found


class PrivateApt:
	"""apt-get/apt-cache with a state directory of our own."""

	def __init__(self, root: str, sources: List[Tuple[str, List[str]]], kind: str = 'deb'):
		self.root = root
		for d in ('state/lists/partial', 'cache/archives/partial', 'etc/sources.list.d',
			  'etc/preferences.d'):
			os.makedirs(os.path.join(root, d), exist_ok=True)
		if kind == 'deb':
			sources = sources[:1] + [(sources[0][0], list(EXTRA_SUITES))] + sources[1:]
		lines = [f'{kind} [signed-by={KEYRING}] {uri} {suite} main'
			 for uri, suites in sources for suite in suites]
		with open(os.path.join(root, 'etc/sources.list'), 'w', encoding='utf-8') as f:
			f.write('\n'.join(lines) + '\n')
		self.opts = []
		for k, v in (('Dir::State', 'state'), ('Dir::Cache', 'cache'),
			     ('Dir::Etc::SourceList', 'etc/sources.list'),
			     ('Dir::Etc::SourceParts', 'etc/sources.list.d'),
			     ('Dir::Etc::PreferencesParts', 'etc/preferences.d'),
			     ('Dir::Etc::Preferences', 'etc/preferences')):
			self.opts += ['-o', f'{k}={os.path.join(root, v)}']
		self.opts += ['-o', 'APT::Sandbox::User=root', '-o', 'Debug::NoLocking=1']

	def _run(self, tool: str, args: List[str], cwd: Optional[str] = None) -> str:
		try:
			p = subprocess.run([tool, '-q'] + self.opts + args, cwd=cwd, capture_output=True,
					   text=True, timeout=APT_TIMEOUT, check=False)
		except FileNotFoundError as e:
			raise ToolError(f'{tool} not found: {e}') from e
		except subprocess.TimeoutExpired as e:
			raise ToolError(f'{tool} {" ".join(args)} took more than {APT_TIMEOUT} s') from e
		if p.returncode:
			last = (p.stderr.strip().splitlines() or ['(no output)'])[-1]
			raise ToolError(f'{tool} {" ".join(args)} failed: {last}')
		return p.stdout

	def update(self) -> None:
		self._run('apt-get', ['update'])

	def candidate(self, pkg: str) -> Optional[str]:
		out = self._run('apt-cache', ['policy', pkg])
		m = re.search(r'Candidate:\s*(\S+)', out)
		return m.group(1) if m and m.group(1) != '(none)' else None

	def source(self, pkg: str, dest: str) -> None:
		"""The Debian source package (.dsc, tarballs) into dest."""
		self._run('apt-get', ['source', '--download-only', pkg], cwd=dest)

	def download(self, pkg: str, version: str, dest: str) -> str:
		self._run('apt-get', ['download', f'{pkg}={version}'], cwd=dest)
		debs = glob.glob(os.path.join(dest, f'{pkg}_*.deb'))
		if not debs:
			raise ToolError(f'apt-get download {pkg} left no .deb in {dest}')
		return max(debs, key=os.path.getmtime)


def unpack(deb: str, series: str, dest: str) -> str:
	"""Extracts usr/src/linux-source-X.Y.tar.xz from the .deb into dest."""
	tmp = tempfile.mkdtemp(dir=os.path.dirname(dest), prefix='.unpack-')
	try:
		subprocess.run(['dpkg-deb', '-x', deb, tmp], check=True, timeout=APT_TIMEOUT)
		tarball = os.path.join(tmp, 'usr/src', f'linux-source-{series}.tar.xz')
		if not os.path.isfile(tarball):
			raise ToolError(f'{os.path.basename(deb)} has no usr/src/linux-source-{series}.tar.xz')
		subprocess.run(['tar', '-xJf', tarball, '-C', tmp], check=True, timeout=APT_TIMEOUT)
		src = os.path.join(tmp, f'linux-source-{series}')
		if os.path.exists(dest):
			raise ToolError(f'{dest} exists: it is never unpacked over (a run may be '
					'building it)')
		os.rename(src, dest)
	except subprocess.CalledProcessError as e:
		raise ToolError(f'unpacking {deb} failed: {e}') from e
	finally:
		shutil.rmtree(tmp, ignore_errors=True)
	return dest


def say(text: str) -> None:
	"""A timestamped progress line on stderr (stdout is the tree's path)."""
	print(f'[{time.strftime("%H:%M:%S")}] fetch: {text}', file=sys.stderr, flush=True)


def downloaded(d: str, since: float) -> int:
	"""MB written into d (and its partial/) since a time.time()."""
	n = 0
	for root in (d, os.path.join(d, 'partial')):
		try:
			n += sum(e.stat().st_size for e in os.scandir(root)
				 if e.is_file() and e.stat().st_mtime >= since)
		except OSError:
			pass
	return n >> 20


def fetch(kver: str, refresh: bool = False, etc: str = '/etc/apt') -> str:
	check_kver(kver)
	start = time.monotonic()
	root = os.path.join(cache_dir(), 'src')
	os.makedirs(root, exist_ok=True)
	link = os.path.join(root, f'linux-{kver}')
	if os.path.isdir(link) and not refresh:
		return os.path.realpath(link)
	with lock.Lock(os.path.join(root, f'.fetch-{kver}'), f'the fetch of linux-source-{kver}',
		       'fetch', out=sys.stderr):
		if os.path.isdir(link) and not refresh:
			return os.path.realpath(link)	# another fetch did it meanwhile
		return _fetch(kver, root, link, start, etc)


def _fetch(kver: str, root: str, link: str, start: float, etc: str) -> str:
	pkg = f'linux-source-{kver}'
	sources = system_sources(etc)
	apt = PrivateApt(os.path.join(cache_dir(), 'apt'), sources)
	say(f'apt-get update (state of its own under {apt.root})')
	with progress.Watch('fetch', lambda: 'apt-get update', out=sys.stderr):
		apt.update()
	version = apt.candidate(pkg)
	if not version:
		where = '; '.join(f'{u} {" ".join(s)}' for u, s in sources)
		raise ToolError(f'{pkg} is not reachable from the mirror ({where}; and '
				f'{" ".join(EXTRA_SUITES)})')
	tree = os.path.join(root, f'{pkg}_{version.replace("~", "-")}')
	if not os.path.isdir(tree):
		debs = os.path.join(cache_dir(), 'debs')
		os.makedirs(debs, exist_ok=True)
		say(f'downloading {pkg} {version}')
		since = time.time()
		with progress.Watch('fetch', lambda: f'downloading, {downloaded(debs, since)} MB',
				    out=sys.stderr):
			deb = apt.download(pkg, version, debs)
		say(f'unpacking {os.path.basename(deb)} ({os.path.getsize(deb) >> 20} MB) into {tree}')
		with progress.Watch('fetch', lambda: 'unpacking (dpkg-deb -x, tar -xJf)', out=sys.stderr):
			unpack(deb, kver, tree)
		say(f'{pkg} {version} unpacked, {time.monotonic() - start:.0f} s')
		with open(os.path.join(root, os.path.basename(tree) + '.debian-version'), 'w',
			  encoding='utf-8') as f:
			f.write(version + '\n')
	tmp_link = link + '.new'
	if os.path.lexists(tmp_link):
		os.remove(tmp_link)
	os.symlink(os.path.basename(tree), tmp_link)
	os.replace(tmp_link, link)
	return tree


def main() -> int:
	ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	ap.add_argument('kver', nargs='?', default=DEFAULT_KVER, type=check_kver,
			help=f"kernel series ({', '.join(KNOWN_KVERS)}); default {DEFAULT_KVER}")
	ap.add_argument('--refresh', action='store_true',
			help='ask apt for a newer package even if a tree is unpacked')
	args = ap.parse_args()
	print(fetch(args.kver, args.refresh))
	return 0


if __name__ == '__main__':
	main_wrapper('fetch', main)
