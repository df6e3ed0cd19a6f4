#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench: how long each step to a verdict takes, stock kunit.py beside ours.

A benchmark, not a test: it times, in one run on one kernel (default 7.3),
QEMU x86_64 under TCG,

  (a) stock kunit.py: its own x86_64 QEMU config plus our kunitconfig (and
      the device-coherent range on the kernel command line), cold (a new
      build dir), then again with nothing changed;
  (b) the project's config (configs/x86_64.py), cold without ccache (a
      fresh machine), cold with a warm ccache (a new build dir on a machine
      that built before), then again with nothing changed;
  (c) edit one test file -> verdict, on the project's own build dir: the
      way a developer iterates (run.py --incremental --filter <its suite>)
      and the default run.py (kunit.py run, every suite); and stock kunit.py
      after the same edit;
  (d) one regression patch through tools/gate.py (baseline and patched
      run) and through tools/mutants.py;

and prints a markdown table with the ratios project / stock, the date and
the machine.  It writes that table as docs/measurements.md, the project's
one page of measurements, and the numbers it was made from as
docs/measurements.json beside it; --render JSON rewrites the page from a
recorded JSON without running anything.  The cold builds use build dirs of
their own under <cache>/bench/ and leave the project's build dirs alone;
the edit is put back (the file's bytes and mtime) also on an error or an
interrupt.  Takes about 15 minutes on 2 cores.

--config-groups measures instead what each group of options of the
project's x86_64 kernel costs a cold build: the .config kunit.py makes
from configs/x86_64.py, then that .config without one group at a time
(GROUPS: lockdep, DEBUG_VM, the distribution options), each built from
nothing without ccache in a build dir of its own under <cache>/bench/;
wall and CPU seconds (user + sys of make and everything it ran) and the
objects built.  CPU seconds are what a group costs; the wall time depends
on what else the machine does.  Adds a section to the recorded page."""

import argparse
import datetime
import json
import os
import platform
import re
import resource
import shutil
import textwrap
import subprocess
import sys
import time
from typing import Any, Dict, List, Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli  # noqa: E402
import install as zinstall  # noqa: E402
import lock  # noqa: E402
import run as zrun  # noqa: E402
from common import DEFAULT_KVER, REPO, ToolError, cache_dir, kernel_version, main_wrapper  # noqa: E402
from common import reserved_ram  # noqa: E402
from fetch import fetch  # noqa: E402

PAGE = os.path.join(REPO, 'docs', 'measurements.md')	# the record: the same name, .json
EDITED = 'zone_device_gup_kunit.c'	# the file (c) edits, and its suite
EDITED_SUITE = 'zone_device_gup'
PATCH = 'patches/regressions/0013-fault-leaks-device-page-reference.patch'
TIMEOUT = 600
ELAPSED = re.compile(r'Elapsed time: ([\d.]+)s total, ([\d.]+)s configuring, '
		     r'([\d.]+)s building, ([\d.]+)s running')


class Bench:
	"""The timings of one run, by row key."""

	def __init__(self, tree: str, log_dir: str):
		self.tree, self.log_dir = tree, log_dir
		self.t: Dict[str, float] = {}
		self.note: Dict[str, str] = {}
		os.makedirs(log_dir, exist_ok=True)

	def timed(self, key: str, cmd: List[str], env: Optional[Dict[str, str]] = None,
		  cwd: Optional[str] = None) -> str:
		"""Runs cmd, records its wall time under key, returns its output
		(also in <log_dir>/<key>.log)."""
		print(f'bench: {key} ...', flush=True)
		start = time.monotonic()
		p = subprocess.run(cmd, cwd=cwd or self.tree, env=env, stdout=subprocess.PIPE,
				   stderr=subprocess.STDOUT, text=True, timeout=zrun.BUILD_TIMEOUT + TIMEOUT,
				   check=False)
		self.t[key] = time.monotonic() - start
		with open(os.path.join(self.log_dir, f'{key}.log'), 'w', encoding='utf-8') as f:
			f.write(p.stdout)
		counts = re.findall(r'(\d+ passed, \d+ failed[^\n]*)', p.stdout) or \
			re.findall(r'Testing complete\. (Ran \d+ tests: [^\n]*)', p.stdout)
		self.note[key] = counts[-1].strip() if counts else f'exit {p.returncode}'
		print(f'bench: {key}: {self.t[key]:.1f} s ({self.note[key]})', flush=True)
		m = ELAPSED.findall(p.stdout)
		if m:
			total, _, building, running = (float(x) for x in m[-1])
			self.t[key + ' build'] = building
			self.t[key + ' run'] = running
		return p.stdout


def locked(what, tree: str) -> None:
	"""install or uninstall the suites under the tree's lock (tools/lock.py):
	never beside another tool's build or run in the same tree."""
	with lock.Lock(tree, f'the kernel tree {tree}', 'bench'):
		what(tree)


def stock_cmd(tree: str, build_dir: str, *extra: str) -> List[str]:
	"""kunit.py run as a user types it: its own x86_64 QEMU config, our
	kunitconfig, the coherent range (as the kunitconfig's header says), and
	two CPUs (a contended-fault case needs a second CPU to measure a
	spinning fault)."""
	args = ['--arch', 'x86_64', '--build_dir', build_dir, '--kunitconfig', zrun.SUITES,
		'--kunitconfig', zrun.HOTPLUG, '--timeout', str(TIMEOUT), '--jobs',
		str(os.cpu_count() or 2), '--qemu_args=-smp 2']	# two CPUs: configs/x86_64.py
	for a in reserved_ram.kernel_args('x86_64'):
		args += ['--kernel_args', a]
	return zrun.kunit_cmd(tree, 'run', *args, *extra)


def project_cmd(tree: str, build_dir: str) -> List[str]:
	"""run.py's kunit.py run, in another build dir."""
	args = zrun.kunit_args(tree, 'x86_64', TIMEOUT, [])
	args[args.index('--build_dir') + 1] = build_dir
	return zrun.kunit_cmd(tree, 'run', *args, '--jobs', str(os.cpu_count() or 2))


class Edit:
	"""A real edit of one test file in the checkout (a new object to
	compile), put back byte for byte, mtime included, at the end."""

	def __init__(self, path: str):
		self.path = path

	def __enter__(self) -> 'Edit':
		with open(self.path, encoding='utf-8') as f:
			self.text = f.read()
		self.stat = os.stat(self.path)
		with open(self.path, 'a', encoding='utf-8') as f:
			f.write(f'\nstatic const char zdt_bench_edit[] __maybe_unused = "{time.time_ns()}";\n')
		return self

	def __exit__(self, *exc) -> None:
		with open(self.path, 'w', encoding='utf-8') as f:
			f.write(self.text)
		os.utime(self.path, ns=(self.stat.st_atime_ns, self.stat.st_mtime_ns))


def fmt(t: Optional[float]) -> str:
	if t is None:
		return 'not measured'
	return f'{t:.0f} s' if t < 100 else f'{t:.0f} s ({int(t // 60)} min {t % 60:.0f} s)'


def ratio(a: Optional[float], b: Optional[float]) -> str:
	return f'{a / b:.2f}' if a and b else '-'


def machine() -> Dict[str, Any]:
	"""What the numbers were measured on."""
	cpu = 'unknown CPU'
	try:
		with open('/proc/cpuinfo', encoding='utf-8') as f:
			cpu = re.search(r'model name\s*:\s*(.*)', f.read()).group(1).strip()
	except (OSError, AttributeError):
		pass
	mem = os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30
	return {'cpus': os.cpu_count(), 'cpu': cpu, 'mem_gib': round(mem),
		'host': platform.node() or 'this machine'}


# The runs whose KUnit counts the page lists.
COUNTED = ('stock cold', 'project cold', 'project edit filtered', 'project edit')


def record(b: Bench, version: str) -> Dict[str, Any]:
	"""One run's numbers, as docs/measurements.json keeps them."""
	return {'date': datetime.date.today().isoformat(), 'kernel': version, **machine(),
		'seconds': {k: round(v, 1) for k, v in b.t.items()},
		'counts': {k: v for k, v in b.note.items() if k in COUNTED}}


def page(rec: Dict[str, Any]) -> str:
	"""docs/measurements.md from a record."""
	t = rec['seconds'].get
	rows = [
		('cold build, no ccache (a fresh machine)', t('stock cold build'),
		 t('project cold build'), 'kunit.py "building"'),
		('cold build, warm ccache (a new build dir)', None, t('project ccache build'),
		 'kunit.py "building"'),
		('boot + every suite (QEMU TCG)', t('stock cold run'), t('project cold run'),
		 'kunit.py "running"'),
		('cold build + run, total', t('stock cold'), t('project cold'), ''),
		('nothing changed, kunit.py run again', t('stock noop'), t('project noop'),
		 'olddefconfig, make, boot, every suite'),
		('edit one test file -> verdict, every suite (kunit.py run)', t('stock edit'),
		 t('project edit'), ''),
		('edit one test file -> verdict, its suite (`make run ARCH=x86_64 '
		 f'INCREMENTAL=1 FILTER={EDITED_SUITE}`)', None, t('project edit filtered'),
		 'make alone, kunit.py exec with filter_glob'),
		('one regression patch through `make gate` (baseline + patched run)', None,
		 t('gate'), os.path.basename(PATCH)),
		('one regression patch through `make mutants`', None, t('mutant'),
		 'its suite only, incremental'),
	]
	wrap = lambda text: textwrap.fill(text, 100, break_long_words=False,  # noqa: E731
					  break_on_hyphens=False)
	md = ['# Measurements', '',
	      wrap(f'Generated by `make bench` (tools/bench.py) on {rec["date"]}. Do not edit: '
	      '`make bench` measures again and rewrites this page and `measurements.json`, the '
	      'numbers it is made from; `tools/bench.py --render docs/measurements.json` '
	      'rewrites the page alone.'), '',
	      wrap(f'One run of each step on Linux {rec["kernel"]}, QEMU x86_64 (TCG), {rec["cpus"]} CPUs '
	      f'({rec["cpu"]}), {rec["mem_gib"]} GiB, host {rec["host"]}. "Stock" is kunit.py '
	      "with its own x86_64 QEMU config and this project's `kunitconfig`; \"this project\" "
	      'is `tools/run.py` with `configs/x86_64.py`.'), '',
	      '| step | stock kunit.py + our kunitconfig | this project | project / stock | note |',
	      '| --- | --- | --- | --- | --- |']
	for name, stock, ours, note in rows:
		md.append(f'| {name} | {fmt(stock) if stock is not None else "-"} | {fmt(ours)} | '
			  f'{ratio(ours, stock)} | {note} |')
	counts = rec.get('counts') or {}
	if counts:
		md += ['', 'KUnit counts of the runs:', '']
		md += [f'- {k}: {counts[k]}' for k in COUNTED if k in counts]
	md += ['', wrap('Reading it: the stock kernel has no SMP (so no `CONFIG_PER_VMA_LOCK`, and the '
	       'cases that need it skip) and no DEBUG_VM, which is most of the '
	       'difference in boot + every suite. Under TCG on a shared machine the same kernel '
	       'can take twice as long from one run to the next: one run is an example, not a '
	       'bound.')]
	md += empty_cache_section(rec)
	md += groups_section(rec)
	return '\n'.join(md).rstrip('\n') + '\n'


# --- from an empty cache: what a new user waits for -------------------------

VERDICT = re.compile(r'^== \S+: \d+ passed, ')


def empty_cache(kind: str, cache: str, log_dir: str) -> Dict[str, Any]:
	"""`make run` or `make test` of this checkout with ZDT_CACHE=cache,
	which must be empty: no source, no build dir, no ccache (deps are the
	host's).  Its output is streamed and kept in <log_dir>/empty-<kind>.log;
	returns what the page shows: the seconds to the first verdict line (run)
	or the end, the exit status, the last lines, make test's time per step."""
	if os.path.exists(cache) and os.listdir(cache):
		raise ToolError(f'--cache {cache}: not empty (it must hold nothing, so that '
				'nothing is reused)')
	os.makedirs(log_dir, exist_ok=True)
	env = dict(os.environ, ZDT_CACHE=cache)
	lines: List[str] = []
	first = None
	start = time.monotonic()
	with open(os.path.join(log_dir, f'empty-{kind}.log'), 'w', encoding='utf-8') as log, \
	     subprocess.Popen(['make', '--no-print-directory', '-C', REPO, kind], env=env,
			      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as p:
		for line in p.stdout:
			sys.stdout.write(line)
			log.write(line)
			lines.append(line.rstrip('\n'))
			if first is None and VERDICT.match(line):
				first = time.monotonic() - start
		code = p.wait()
	took = time.monotonic() - start
	steps = [ln.split(': ', 2)[2] for ln in lines if ln.startswith('selftest: time per step: ')]
	return {'date': datetime.date.today().isoformat(), **machine(),
		'seconds': round(took), 'first verdict': round(first) if first else None,
		'exit': code, 'last lines': lines[-3:], 'steps': steps[-1] if steps else None}


def empty_cache_section(rec: Dict[str, Any]) -> List[str]:
	"""The page's lines for rec['empty cache'], if measured."""
	runs = rec.get('empty cache') or {}
	if not runs:
		return []
	md = ['', '## From an empty cache', '',
	      'What a new user waits for: `tools/bench.py --empty-cache run|test --cache DIR` runs '
	      '`make run` or `make test` of the checkout with `ZDT_CACHE=DIR` empty (the kernel '
	      'source fetched and unpacked, every kernel built with an empty ccache, the private '
	      'copies made), nothing else running on the machine.', '']
	for kind in ('run', 'test'):
		r = runs.get(kind)
		if not r:
			continue
		what = ('to the first verdict ' + fmt(r['first verdict']) + ', ' if kind == 'run'
			and r.get('first verdict') else '')
		md.append(f'- `make {kind}` ({r["date"]}, {r["cpus"]} CPUs): {what}to the end '
			  f'{fmt(r["seconds"])}, exit {r["exit"]}. Its last lines:')
		md += ['', '  ```'] + [f'  {ln}' for ln in r['last lines']] + ['  ```', '']
		if r.get('steps'):
			md.append(f'  Per step: {r["steps"]}.')
			md.append('')
	return md


# --- what each group of options costs a cold build -------------------------

# Each group: the options turned off (scripts/config -d; what they select
# goes with them at olddefconfig), or on where the name starts with '+' (an
# option the x86_64 kernel leaves to arm64), and why a kernel carries it.
GROUPS = (
	('lockdep', ['+PROVE_LOCKING'],
	 'PROVE_LOCKING and what it selects (LOCKDEP, DEBUG_*_ALLOC, TRACE_IRQFLAGS, the tracing '
	 'core its irq-flag tracepoints pull in): a lock leaked or taken out of order is a splat; '
	 'the arm64 kernel has it, x86_64 not (a negative saving is its cost)'),
	('distribution options', None,
	 'configs/distro.kconfig and the x86_64 extras (X86_MCE, CHECKPOINT_RESTORE, '
	 'MEM_SOFT_DIRTY): the device-memory code a distribution kernel compiles'),
	('DEBUG_VM', ['DEBUG_VM'], 'VM_BUG_ON / VM_WARN_ON on the paths under test'),
)
X86_DISTRO_EXTRAS = ('X86_MCE', 'CHECKPOINT_RESTORE', 'MEM_SOFT_DIRTY')


def distro_options() -> List[str]:
	"""The options configs/distro.kconfig turns on, and x86_64's extras."""
	with open(os.path.join(REPO, 'configs', 'distro.kconfig'), encoding='utf-8') as f:
		opts = re.findall(r'^CONFIG_(\w+)=y$', f.read(), re.M)
	return opts + list(X86_DISTRO_EXTRAS)


def cold_build(tree: str, build_dir: str, log: str) -> Dict[str, Any]:
	"""make of a configured build dir from nothing, without ccache: wall and
	CPU seconds, objects, exit status."""
	before = resource.getrusage(resource.RUSAGE_CHILDREN)
	start = time.monotonic()
	with open(log, 'w', encoding='utf-8') as out:
		p = subprocess.run(['make', '-C', tree, f'O={build_dir}', 'ARCH=x86_64', 'CC=gcc',
				    f'-j{os.cpu_count() or 2}'], stdout=out, stderr=subprocess.STDOUT,
				   check=False)
	wall = time.monotonic() - start
	after = resource.getrusage(resource.RUSAGE_CHILDREN)
	cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
	objects = sum(1 for _, _, files in os.walk(build_dir) for n in files
		      if n.endswith('.o') and not n.endswith('.mod.o'))
	return {'wall': round(wall), 'cpu': round(cpu), 'objects': objects, 'exit': p.returncode}


def config_groups(tree: str, log_dir: str, save=None) -> Dict[str, Any]:
	"""--config-groups: the full kernel and one without each group; save(out)
	after each row, so that an interrupted run keeps the rows it made."""
	root = os.path.join(cache_dir(), 'bench', 'groups')
	shutil.rmtree(root, ignore_errors=True)
	base = os.path.join(root, 'all')
	os.makedirs(base)
	args = zrun.build_args(zrun.kunit_args(tree, 'x86_64', TIMEOUT, []))
	args[args.index('--build_dir') + 1] = base
	p = subprocess.run(zrun.kunit_cmd(tree, 'config', *args), cwd=tree, capture_output=True,
			   text=True, env=zrun.kunit_env('tcg'), check=False)
	if p.returncode:
		raise ToolError(f'kunit.py config failed: {(p.stdout + p.stderr).strip()[-300:]}')
	with open(os.path.join(base, '.config'), encoding='utf-8') as f:
		config = f.read()
	out: Dict[str, Any] = {'date': datetime.date.today().isoformat(), **machine(), 'rows': []}
	variants = [('all', [], 'the kernel configs/x86_64.py describes')] + \
		[(f'{"with" if opts and opts[0][0] == "+" else "without"} {name}',
		  opts or distro_options(), why) for name, opts, why in GROUPS]
	for name, opts, why in variants:
		d = os.path.join(root, re.sub(r'\W+', '-', name))
		if d != base:
			os.makedirs(d)
			with open(os.path.join(d, '.config'), 'w', encoding='utf-8') as f:
				f.write(config)
		cmd = [os.path.join(tree, 'scripts', 'config'), '--file', os.path.join(d, '.config')]
		for o in opts:
			cmd += ['-e', o[1:]] if o[0] == '+' else ['-d', o]
		if opts:
			subprocess.run(cmd, check=True)
		subprocess.run(['make', '-s', '-C', tree, f'O={d}', 'ARCH=x86_64', 'olddefconfig'],
			       check=True, stdout=subprocess.DEVNULL)
		with open(os.path.join(d, '.config'), encoding='utf-8') as f:
			text = f.read()
		left = [o for o in opts if o[0] != '+' and re.search(rf'^CONFIG_{o}=y$', text, re.M)]
		if left:	# selected by an option that stays: said beside the numbers
			why += f' (still on, selected by what stays: {", ".join(left)})'
		print(f'bench: cold build, {name} ...', flush=True)
		got = cold_build(tree, d, os.path.join(log_dir, f'groups-{os.path.basename(d)}.log'))
		print(f'bench: {name}: {got["wall"]} s wall, {got["cpu"]} CPU s, {got["objects"]} '
		      f'objects, exit {got["exit"]}', flush=True)
		out['rows'].append({'name': name, 'why': why, **got})
		if save:
			save(out)
		if d != base:
			shutil.rmtree(d)
	shutil.rmtree(root, ignore_errors=True)
	return out


def groups_section(rec: Dict[str, Any]) -> List[str]:
	"""The page's lines for rec['config groups'], if measured."""
	g = rec.get('config groups')
	if not g:
		return []
	rows = g['rows']
	full = rows[0]
	wrap = lambda text: textwrap.fill(text, 100, break_long_words=False,  # noqa: E731
					  break_on_hyphens=False)
	md = ['', '## What each group of options costs a cold build', '',
	      wrap(f'`tools/bench.py --config-groups` ({g["date"]}, {g["cpus"]} CPUs): the x86_64 '
		   'kernel of `configs/x86_64.py` built from nothing without ccache, then the same '
		   '`.config` without one group at a time. CPU seconds (user + sys of the build) are '
		   'what a group costs; wall seconds depend on what else the machine ran.'), '',
	      '| kernel | objects | CPU s | CPU s saved | wall s | what the group is for |',
	      '| --- | --- | --- | --- | --- | --- |']
	for r in rows:
		saved = full['cpu'] - r['cpu']
		share = f' ({100 * saved / full["cpu"]:.0f}%)' if r is not full and full['cpu'] else ''
		md.append(f'| {r["name"]} | {r["objects"]} | {r["cpu"]} | '
			  f'{"-" if r is full else str(saved) + share} | {r["wall"]} | {r["why"]} |')
	return md


def write_page(rec: Dict[str, Any], path: str = PAGE) -> None:
	"""The page and, beside it, the record it was made from."""
	with open(os.path.splitext(path)[0] + '.json', 'w', encoding='utf-8') as f:
		json.dump(rec, f, indent=1)
		f.write('\n')
	with open(path, 'w', encoding='utf-8') as f:
		f.write(page(rec))


def recorded(page_path: str) -> Dict[str, Any]:
	"""The record beside page_path, which a partial measurement adds to."""
	record_path = os.path.splitext(page_path)[0] + '.json'
	try:
		with open(record_path, encoding='utf-8') as f:
			return json.load(f)
	except (OSError, ValueError) as e:
		raise ToolError(f'{record_path}: no bench record to add to ({e})') from e


def render(json_path: str, path: str = PAGE) -> None:
	"""The page from a recorded JSON; nothing is run."""
	try:
		with open(json_path, encoding='utf-8') as f:
			rec = json.load(f)
		text = page(rec)
	except (OSError, ValueError, KeyError, TypeError) as e:
		raise ToolError(f'{json_path}: not a bench record ({e})') from e
	with open(path, 'w', encoding='utf-8') as f:
		f.write(text)


def main() -> int:
	ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	cli.add_options(ap, source={}, results={'under': 'bench'})
	ap.add_argument('--page', default=None,
			help=f'where the page goes (default {os.path.relpath(PAGE, REPO)}; its JSON '
			'record beside it)')
	ap.add_argument('--no-page', action='store_true',
			help='print the table only (and keep it under --results)')
	ap.add_argument('--render', metavar='JSON',
			help='run nothing: write the page from a recorded JSON')
	# Accepted for the Makefile's README=1: the page is written anyway.
	ap.add_argument('--readme', action='store_true', help=argparse.SUPPRESS)
	ap.add_argument('--empty-cache', choices=('run', 'test'),
			help='only this: time `make run` (to its first verdict) or `make test` from '
			'the empty cache --cache, and add it to the recorded page')
	ap.add_argument('--cache', help='--empty-cache: the ZDT_CACHE to use, empty or absent')
	ap.add_argument('--config-groups', action='store_true',
			help='only this: the cold build of the x86_64 kernel with all its options and '
			'without each group (lockdep, DEBUG_VM, the distribution options), CPU and '
			'wall seconds, added to the recorded page')
	ap.add_argument('--skip-cold', action='store_true',
			help='leave out the cold builds (the slow third of the run); the page is '
			'then written only with --page')
	args = ap.parse_args()
	if args.render:
		render(args.render, args.page or PAGE)
		print(f'bench: {args.page or PAGE} written from {args.render}')
		return 0
	if args.config_groups:
		page_path = args.page or PAGE
		rec = recorded(page_path)
		tree = os.path.abspath(args.kdir) if args.kdir else fetch(args.kver or DEFAULT_KVER)
		os.makedirs(os.path.abspath(args.results), exist_ok=True)
		was_installed = zinstall.status(tree) is not None
		locked(zinstall.install, tree)

		def save(got: Dict[str, Any]) -> None:
			rec['config groups'] = got
			write_page(rec, page_path)
		try:
			config_groups(tree, os.path.abspath(args.results), save)
		finally:
			if args.kdir and not was_installed:
				locked(zinstall.uninstall, tree)
		print(f'bench: config groups written to {page_path}')
		return 0
	if args.empty_cache:
		if not args.cache:
			raise ToolError('--empty-cache needs --cache DIR (empty or absent)')
		page_path = args.page or PAGE
		rec = recorded(page_path)
		got = empty_cache(args.empty_cache, os.path.abspath(args.cache),
				  os.path.abspath(args.results))
		rec.setdefault('empty cache', {})[args.empty_cache] = got
		write_page(rec, page_path)
		print(f'bench: make {args.empty_cache} from an empty cache: {got["seconds"]} s, exit '
		      f'{got["exit"]}; written to {page_path}')
		return 0 if got['exit'] == 0 else 1
	tree = os.path.abspath(args.kdir) if args.kdir else fetch(args.kver or DEFAULT_KVER)
	version = kernel_version(tree)
	if not shutil.which('qemu-system-x86_64'):
		raise ToolError('qemu-system-x86_64 not found: run "make deps"')
	b = Bench(tree, os.path.abspath(args.results))
	root = os.path.join(cache_dir(), 'bench')
	stock_dir = os.path.join(root, f'stock-{version}')
	cold_dir = os.path.join(root, f'project-{version}')
	env = zrun.kunit_env('tcg')
	nocache = dict(env, CCACHE_DISABLE='1')
	was_installed = zinstall.status(tree) is not None
	locked(zinstall.install, tree)
	try:
		if not args.skip_cold:
			for d in (stock_dir, cold_dir):
				shutil.rmtree(d, ignore_errors=True)
				os.makedirs(d)
			b.timed('stock cold', stock_cmd(tree, stock_dir), env)
			b.timed('project cold', project_cmd(tree, cold_dir), nocache)
			shutil.rmtree(cold_dir)
			os.makedirs(cold_dir)
			b.timed('project ccache', project_cmd(tree, cold_dir), env)
			b.timed('stock noop', stock_cmd(tree, stock_dir), env)
		run = [sys.executable, os.path.join(REPO, 'tools/run.py'), '--kdir', tree, '--keep',
		       '--arch', 'x86_64', '--results', os.path.join(b.log_dir, 'run')]
		b.timed('project noop', run, env, REPO)
		with Edit(os.path.join(REPO, 'mm-tests', EDITED)):
			b.timed('project edit filtered', run + ['--incremental', '--filter', EDITED_SUITE],
				env, REPO)
		with Edit(os.path.join(REPO, 'mm-tests', EDITED)):
			b.timed('project edit', run, env, REPO)
		if not args.skip_cold:
			with Edit(os.path.join(REPO, 'mm-tests', EDITED)):
				locked(zinstall.install, tree)
				b.timed('stock edit', stock_cmd(tree, stock_dir), env)
		locked(zinstall.install, tree)		# the edit out of the tree again
		b.timed('gate', [sys.executable, os.path.join(REPO, 'tools/gate.py'),
				 os.path.join(REPO, PATCH), '--kdir', tree, '--arch', 'x86_64',
				 '--results', os.path.join(b.log_dir, 'gate')], env, REPO)
		b.timed('mutant', [sys.executable, os.path.join(REPO, 'tools/mutants.py'),
				   os.path.join(REPO, PATCH), '--kdir', tree,
				   '--results', os.path.join(b.log_dir, 'mutants')], env, REPO)
	finally:
		if args.kdir and not was_installed:
			locked(zinstall.uninstall, tree)
		else:
			locked(zinstall.install, tree)
	rec = record(b, version)
	text = page(rec)
	with open(os.path.join(b.log_dir, 'bench.md'), 'w', encoding='utf-8') as f:
		f.write(text)
	with open(os.path.join(b.log_dir, 'bench.json'), 'w', encoding='utf-8') as f:
		json.dump(rec, f, indent=1)
		f.write('\n')
	print('\n' + text)
	if not args.no_page and (args.page or not args.skip_cold):
		write_page(rec, args.page or PAGE)
		print(f'bench: written to {args.page or PAGE}')
	return 0


if __name__ == '__main__':
	main_wrapper('bench', main)
