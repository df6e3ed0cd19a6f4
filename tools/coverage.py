#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""coverage: which lines of core mm that touch device memory the suites run.

make coverage: the denominator, the measurement and the report.

The denominator (select(); coverage.py select prints it) is generated from
the tree under test, never listed by hand:

- every line of mm/memremap.c, mm/migrate_device.c and mm/hmm.c;
- every function of mm/ and include/linux/ that exists only for device
  memory: its name says so (DEVICE_FUNCTION: device_private, dev_pagemap,
  zone_device, pgmap ...) or it is in DEVICE_ONLY;
- code in an #ifdef of a device-memory option (CONFIG_ZONE_DEVICE,
  CONFIG_DEVICE_PRIVATE ...), inside a function;
- every block of the rest of mm/ (and of include/linux/ inlines) guarded by
  a device-memory test.  A test is a call of a device predicate (PREDICATE:
  is_device_private_*, is_device_coherent_*, is_zone_device_*,
  folio_is_device_*, folio_is_zone_device, softleaf_is_device_*,
  is_pci_p2pdma_page, folio_is_fsdax ...), a comparison with MEMORY_DEVICE_*
  or ZONE_DEVICE, pgmap->type, a pgmap tested for NULL, or a local variable
  every assignment of which is a test.  What the truth of a condition (of an
  if, else if, while, for or switch) says is worked out through !, && and ||
  (implies()): if its truth means device memory, the then-branch is
  selected; if its falsity does, the else-branch, or, when the then-branch
  ends in return/goto/continue/break, the rest of the enclosing block; a
  switch that tests, its whole body.  A condition that mixes a test with
  others under || (if (!folio || folio_is_zone_device(folio))) guards
  nothing; it is selected itself, as is every statement that makes a test
  (an assignment, a return, a VM_WARN_ON).

The C heuristic (Source, Selector): comments, strings and preprocessor
lines are blanked first; brackets are matched over the rest, a conditional
group (#if/#elif/#else) being scanned as if each branch started where the
#if did (at #else the nesting goes back to the one at #if, after #endif on
to the one the first branch ended with), so both branches are read and
neither unbalances the other.  A function is a top-level 'name(...) {'.  A
statement runs to its ';' at its own nesting depth, or is a braced block,
or an if/for/while/do/switch with its body, or a loop macro's
'name(...) body' (recursively).  A closing brace that shares its line with
what follows ('} else if (...)') leaves that line to the next statement.

Lines are the executable lines as gcov counts them: after a run, the
selected source lines are intersected with the line records (DA:) of the
lcov capture; a selected line with no record is counted apart (not code,
compiled out by #if or the config, inlined or optimized away).  A file of
mm/ the config does not build at all is listed with the option that would
build it.

The measurement (run()): the suites' x86_64 kernel, built by kunit.py as
tools/run.py builds it (run.kunit_args()) in a build dir of its own
(<cache>/build/<version>-x86_64-coverage), with CONFIG_GCOV_KERNEL=y and gcov
on every object of mm/ (not its subdirectories, not the suites in mm/tests/):
GCOV_PROFILE on make's command line (kunit.py --make_options), with a value
that is y only where obj is mm (ONLY_MM); the tree is not edited.
--touched-only profiles only the objects the denominator touches
(GCOV_PROFILE_<obj>.o), faster to boot, but a header line the denominator
selects then counts only where those objects inline it.  The kernel boots
with kunit_shutdown=none (configs/x86_64_coverage.py) and an initramfs whose
init, tools/zdt_gcov_init.c, prints every .gcda to the console in base64 and
reboots; decode() checks and writes them next to the build's .gcno, lcov
captures, genhtml renders.  Under TCG (and gcov) timing differs: no verdict
is taken from a coverage run (its console log is kept,
results/coverage/kunit.log, but not judged).

Output: results/coverage/: html/ (the denominator's lines), html-all/
(every line of the profiled objects), coverage.info and coverage-all.info
(lcov), summary.txt, denominator.txt; docs/coverage.md."""

import argparse
import base64
import collections
import os
import re
import shutil
import subprocess
import sys
import time
import zlib
from typing import Dict, Iterable, List, Optional, Set, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli  # noqa: E402
import install as zinstall  # noqa: E402
import journal  # noqa: E402
import lock  # noqa: E402
import modules as zmodules  # noqa: E402
import progress  # noqa: E402
import run as zrun  # noqa: E402
from common import (DEFAULT_KVER, REPO, ToolError, cache_dir, check_build_path,  # noqa: E402
		    kernel_version, main_wrapper)
from fetch import fetch  # noqa: E402

ARCH = 'x86_64'
SUFFIX = '-coverage'
QEMU_CONFIG = os.path.join(REPO, 'configs/x86_64_coverage.py')
INIT_SOURCE = os.path.join(REPO, 'tools/zdt_gcov_init.c')
RESULTS = os.path.join(REPO, 'results', 'coverage')
DOC = os.path.join(REPO, 'docs', 'coverage.md')
TIMEOUT = 1200

# What the coverage kernel adds to the suites' kunitconfigs: gcov (which
# needs debugfs to export the counters), and an initramfs with an ELF init.
KCONFIG_ADD = ('CONFIG_DEBUG_FS=y', 'CONFIG_GCOV_KERNEL=y', 'CONFIG_BLK_DEV_INITRD=y',
	       'CONFIG_BINFMT_ELF=y')


# --- the coverage kernel -----------------------------------------------------

def build_dir_of(tree: str) -> str:
	"""The coverage kernel's kunit.py --build_dir: run.py's name for the
	tree's x86_64 build dir, with -coverage (not run.py's own dir)."""
	return zrun.build_dir_of(tree, ARCH) + SUFFIX


# The value of make's GCOV_PROFILE or GCOV_PROFILE_<obj>.o: y in mm/ itself,
# for its own objects (not its subdirectories, not the suites in mm/tests/).
ONLY_MM = '$(if $(filter mm,$(obj)),$(if $(filter tests/%,$(target-stem)),,y))'


def profile_options(objects: Iterable[str], touched_only: bool = False) -> List[str]:
	"""make's command-line variables that turn gcov on for the objects of
	mm/ (GCOV_PROFILE), or only for these ('mm/memory.o'): scoped to obj=mm
	by their value, so that drivers/base/memory.o stays as it is.  The
	denominator's header lines count where they are inlined into a
	profiled object: all of mm/ (the default) sees all of them."""
	if not touched_only:
		return [f'GCOV_PROFILE={ONLY_MM}']
	return [f'GCOV_PROFILE_{os.path.basename(o)}={ONLY_MM}' for o in sorted(objects)]


def _set_option(args: List[str], opt: str, value: str) -> List[str]:
	out = list(args)
	out[out.index(opt) + 1] = value
	return out


def kunit_args(tree: str, objects: Iterable[str], timeout: int, touched_only: bool = False) -> List[str]:
	"""run.py's kunit.py options for x86_64 (the suites' kunitconfigs,
	make options, kernel arguments), with the coverage kernel's build dir,
	QEMU config, options and make variables."""
	args = zrun.kunit_args(tree, ARCH, timeout, [])
	args = _set_option(args, '--build_dir', build_dir_of(tree))
	args = _set_option(args, '--qemu_config', QEMU_CONFIG)
	for entry in KCONFIG_ADD:
		args += ['--kconfig_add', entry]
	for o in profile_options(objects, touched_only):
		args += ['--make_options', o]
	return args


def initramfs(tree: str, build_dir: str, out) -> str:
	"""The coverage run's initramfs: tools/zdt_gcov_init.c as /init."""
	init = zmodules.build_init(tree, build_dir, '', ARCH, out, source=INIT_SOURCE,
				   name='zdt-gcov-initramfs')
	work = os.path.dirname(init)
	listing = os.path.join(work, 'cpio.list')
	with open(listing, 'w', encoding='utf-8') as f:
		f.write('dir /dev 0755 0 0\nnod /dev/console 0600 0 0 c 5 1\n'
			'dir /proc 0755 0 0\ndir /sys 0755 0 0\n'
			f'file /init {init} 0755 0 0\n')
	cpio = os.path.join(work, 'initramfs.cpio')
	with open(cpio, 'wb') as f:
		p = subprocess.run([os.path.join(build_dir, 'usr/gen_init_cpio'), listing],
				   stdout=f, stderr=out, check=False)
	if p.returncode:
		raise ToolError(f'gen_init_cpio failed (exit {p.returncode}), list {listing}')
	return cpio


def build(tree: str, objects: Iterable[str], jobs: int, log, touched_only: bool = False) -> float:
	"""kunit.py build of the coverage kernel: its time in seconds."""
	cmd = zrun.kunit_cmd(tree, 'build', *zrun.build_args(kunit_args(tree, objects, TIMEOUT,
									 touched_only)),
			     '--jobs', str(jobs))
	os.makedirs(os.path.dirname(build_dir_of(tree)), exist_ok=True)	# kunit.py makes one level
	log.write('$ ' + ' '.join(cmd) + '\n')
	log.flush()
	start, start_wall = time.monotonic(), time.time()
	with progress.Watch('== coverage', lambda: 'building, '
			    f'{progress.objects_since(build_dir_of(tree), start_wall)} objects built'):
		p = subprocess.run(cmd, cwd=tree, stdout=log, stderr=subprocess.STDOUT,
				   env=zrun.kunit_env('tcg', ARCH), timeout=zrun.BUILD_TIMEOUT,
				   check=False, pass_fds=lock.held_fds())
	if p.returncode:
		raise ToolError(f'the coverage kernel did not build (kunit.py exit {p.returncode}): '
				f'see {log.name}')
	return time.monotonic() - start


def boot(tree: str, objects: Iterable[str], accel: str, timeout: int, log,
	 touched_only: bool = False) -> float:
	"""kunit.py exec of the coverage kernel with its initramfs: the suites
	run, then the init copies the counters to the console (into log)."""
	build_dir = build_dir_of(tree)
	cpio = initramfs(tree, build_dir, log)
	cmd = zrun.kunit_cmd(tree, 'exec', *kunit_args(tree, objects, timeout, touched_only),
			     '--qemu_args', f'-initrd {cpio}', '--raw_output=all')
	log.write('$ ' + ' '.join(cmd) + '\n')
	log.flush()
	start = time.monotonic()
	with progress.Watch('== coverage', lambda: 'booting and running the suites'):
		p = subprocess.run(cmd, cwd=tree, stdout=log, stderr=subprocess.STDOUT,
				   env=zrun.kunit_env(accel, ARCH), timeout=timeout + 120, check=False,
				   pass_fds=lock.held_fds())
	if p.returncode:
		# Not the tests' verdict (none is taken here); the counters say
		# whether the run got far enough.
		print(f'== coverage: kunit.py exec exited {p.returncode} (see {log.name})', flush=True)
	return time.monotonic() - start


# --- the denominator -------------------------------------------------------

# Files every line of which is device memory's.
WHOLE_FILES = ('mm/memremap.c', 'mm/migrate_device.c', 'mm/hmm.c')
# A call that tests for device memory: is_device_private_page(),
# folio_is_device_coherent(), is_zone_device_page(), folio_is_zone_device(),
# zone_is_zone_device(), softleaf_is_device_private[_write](),
# softleaf_is_device_exclusive(), pmd_is_device_private_entry(),
# is_pci_p2pdma_page(), folio_is_pci_p2pdma() ...; and the two tests for
# MEMORY_DEVICE_FS_DAX pages (not vma_is_fsdax(): a file's, not a page's).
# vmemmap_can_optimize() holds only for a pgmap's compound memmap.
PREDICATE = re.compile(r'^(\w*(is_device_private|is_device_coherent|is_device_exclusive|'
		       r'is_zone_device|is_pci_p2pdma)\w*|folio_is_fsdax|is_fsdax_page|'
		       r'vmemmap_can_optimize)$')
# Identifiers that name device memory in a test: pgmap->type values and the zone.
DEVICE_CONSTANT = re.compile(r'^(MEMORY_DEVICE_\w+|ZONE_DEVICE)$')
# A function whose name says it exists only for device memory.
DEVICE_FUNCTION = re.compile(r'^(?!thermal_).*(device_private|device_coherent|device_exclusive|'
			     r'dev_pagemap|zone_device|pgmap)')
# Functions that exist only for device memory and whose names do not say
# so: mm_init.c's compound memmap of a pgmap (also in its #ifdef
# CONFIG_ZONE_DEVICE), sparse-vmemmap.c's (only under vmemmap_can_optimize(),
# which needs a pgmap), memory-failure.c's for dev_pagemap pages, and
# folio_split_unmapped(), whose one caller is mm/migrate_device.c (7.3).
DEVICE_ONLY = ('mf_generic_kill_procs', 'memmap_init_compound', 'compound_nr_pages',
	       'vmemmap_populate_compound_pages', 'reuse_compound_section',
	       'compound_section_tail_page', 'folio_split_unmapped')
# Options whose #ifdef makes code device memory's only.
DEVICE_CONFIGS = ('CONFIG_ZONE_DEVICE', 'CONFIG_DEVICE_PRIVATE', 'CONFIG_DEVICE_MIGRATION',
		  'CONFIG_PCI_P2PDMA')
# Names that look like a function's but are attributes of its declaration.
ATTRIBUTE = re.compile(r'^(__attribute__|__printf|__scanf|__section|__aligned|__alloc_size|'
		       r'__acquires|__releases|__must_hold|__cond_acquires|__cond_releases|'
		       r'__no_\w+|__diag\w*|__malloc|__counted_by|__nocfi|__noreturn)$')
CONTROL = ('if', 'while', 'for', 'switch')
EXITS = ('return', 'goto', 'continue', 'break')

TOKEN = re.compile(r'[A-Za-z_]\w*|\d[\w.]*|->|\+\+|--|&&|\|\||[-+*/%&|^<>=!]=|<<=?|>>=?|'
		   r'\.\.\.|\S')


def blank(text: str) -> Tuple[str, List[Tuple[int, str]]]:
	"""text with comments, string and character literals and preprocessor
	lines turned into spaces (newlines kept, so line numbers hold), and the
	preprocessor directives: [(line, '#if ...' with continuations joined)]."""
	out = list(text)
	i, n = 0, len(text)
	while i < n:
		c = text[i]
		if text.startswith('/*', i):
			j = text.find('*/', i + 2)
			j = n if j < 0 else j + 2
		elif text.startswith('//', i):
			j = text.find('\n', i)
			j = n if j < 0 else j
		elif c in '"\'':
			j = i + 1
			while j < n and text[j] != c and text[j] != '\n':
				j += 2 if text[j] == '\\' else 1
			j = min(j + 1, n)
		else:
			i += 1
			continue
		for k in range(i, j):
			if out[k] != '\n':
				out[k] = ' '
		i = j
	lines = ''.join(out).split('\n')
	directives = []
	k = 0
	while k < len(lines):
		if lines[k].lstrip().startswith('#'):
			start, parts = k, []
			while True:
				parts.append(lines[k].rstrip().rstrip('\\'))
				cont = lines[k].rstrip().endswith('\\')
				lines[k] = ''
				if not cont or k + 1 >= len(lines):
					break
				k += 1
			directives.append((start + 1, ' '.join(' '.join(parts).split())))
		k += 1
	return '\n'.join(lines), directives


def device_only_condition(expr: str) -> bool:
	"""An #if expression that holds only with device memory configured:
	device options alone, joined by &&, none negated."""
	names = re.findall(r'CONFIG_\w+', expr)
	return (bool(names) and all(n in DEVICE_CONFIGS for n in names) and '!' not in expr
		and '||' not in expr)


class Source:
	"""One C file, tokenized, with its braces matched and its functions
	found (the module docstring says how)."""

	def __init__(self, text: str):
		code, self.directives = blank(text)
		self.toks: List[str] = []
		self.line: List[int] = []
		lineno, pos = 1, 0
		for m in TOKEN.finditer(code):
			lineno += code.count('\n', pos, m.start())
			pos = m.start()
			self.toks.append(m.group())
			self.line.append(lineno)
		self.nlines = code.count('\n') + 1
		self.match: Dict[int, int] = {}
		self.parent: List[int] = []	# innermost enclosing '{' of each token, or -1
		self.device_lines: Set[int] = set()	# code in a device-only #ifdef branch
		self._match()
		self.functions = self._functions()

	def _match(self) -> None:
		events = sorted([(l, 0, d) for l, d in self.directives] +
				[(l, 1, i) for i, l in enumerate(self.line)])
		stack: List[int] = []
		frames: List[dict] = []	# one per open #if: depth at #if, at the end of its first branch
		device: List[bool] = []	# whether each open #if branch is device memory's only
		for lineno, kind, what in events:
			if kind == 0:
				m = re.match(r'#\s*(\w+)\s*(.*)', what)
				if not m:
					continue
				d, rest = m.groups()
				if d in ('if', 'ifdef', 'ifndef'):
					first = (rest.split() or [''])[0]
					frames.append({'at': list(stack), 'first': None,
						       'else_device': d == 'ifndef' and first in DEVICE_CONFIGS})
					device.append(first in DEVICE_CONFIGS if d == 'ifdef' else
						      d == 'if' and device_only_condition(rest))
				elif d in ('elif', 'else') and frames:
					f = frames[-1]
					if f['first'] is None:
						f['first'] = list(stack)
					stack = list(f['at'])
					device[-1] = f['else_device'] if d == 'else' else \
						device_only_condition(rest)
				elif d == 'endif' and frames:
					f = frames.pop()
					device.pop()
					if f['first'] is not None:
						stack = f['first']
				continue
			i = what
			t = self.toks[i]
			self.parent.append(next((s for s in reversed(stack) if self.toks[s] == '{'), -1))
			if any(device):
				self.device_lines.add(lineno)
			if t in '([{':
				stack.append(i)
			elif t in ')]}' and stack:
				o = stack.pop()
				self.match[o], self.match[i] = i, o

	def _functions(self) -> List[Tuple[str, int, int]]:
		"""[(name, index of its first token, index of its closing brace)]."""
		funcs = []
		start = 0
		i = 0
		while i < len(self.toks):
			t = self.toks[i]
			if t in (';', '}') and self.parent[i] == -1:
				start = i + 1
			elif t == '{' and self.parent[i] == -1:
				end = self.match.get(i)
				name = self._declared_name(start, i)
				if name and end is not None:
					funcs.append((name, start, end))
				if end is None:
					break
				i = end
				start = i + 1
				if i + 1 < len(self.toks) and self.toks[i + 1] == ';':
					start = i + 2
			i += 1
		return funcs

	def _declared_name(self, start: int, brace: int) -> Optional[str]:
		"""The function a top-level '{' opens: the first identifier of the
		declaration followed by '(' (attributes aside); None for a struct,
		an initializer or anything that is no ') {'."""
		if brace == 0 or self.toks[brace - 1] != ')':
			return None
		i = start
		while i < brace:
			t = self.toks[i]
			if t == '=':
				return None
			if t == '(' and i > start and re.match(r'^[A-Za-z_]\w*$', self.toks[i - 1]) \
			   and not ATTRIBUTE.match(self.toks[i - 1]):
				return self.toks[i - 1]
			if t == '(' and i in self.match:
				i = self.match[i]
			i += 1
		return None

	def stmt_end(self, i: int) -> int:
		"""Index of the last token of the statement that starts at i."""
		toks, n = self.toks, len(self.toks)
		if i >= n:
			return n - 1
		t = toks[i]
		if t == '{':
			return self.match.get(i, n - 1)
		if t in ('if', 'while', 'for', 'switch') and i + 1 < n and toks[i + 1] == '(':
			close = self.match.get(i + 1)
			if close is None:
				return n - 1
			end = self.stmt_end(close + 1)
			if t == 'if' and end + 1 < n and toks[end + 1] == 'else':
				end = self.stmt_end(end + 2)
			return end
		if t == 'do':
			end = self.stmt_end(i + 1)
			j = end + 1
			if j + 1 < n and toks[j] == 'while' and toks[j + 1] == '(':
				j = self.match.get(j + 1, n - 1) + 1
			return min(j, n - 1)
		if t in ('case', 'default') or (re.match(r'^[A-Za-z_]\w*$', t) and i + 1 < n and
						 toks[i + 1] == ':' and t not in ('else',)):
			j = i
			while j < n and toks[j] != ':':
				j += 1
			return self.stmt_end(j + 1)
		# A loop macro: name(...) followed by its body.
		if re.match(r'^[A-Za-z_]\w*$', t) and i + 1 < n and toks[i + 1] == '(':
			close = self.match.get(i + 1)
			if close is not None and close + 1 < n and (
					toks[close + 1] == '{' or (re.match(r'^[A-Za-z_]\w*$', toks[close + 1])
								   and toks[close + 1] != 'else')):
				return self.stmt_end(close + 1)
		j = i
		while j < n and toks[j] != ';':
			if toks[j] in '([{' and j in self.match:
				j = self.match[j]
			elif toks[j] == '}':
				return j - 1
			j += 1
		return min(j, n - 1)

	def enclosing_statement(self, j: int) -> Tuple[int, int]:
		"""The token range of the statement that contains token j (an
		expression inside a function body)."""
		toks = self.toks
		k = j - 1
		while k >= 0:
			t = toks[k]
			if t in (')', ']') and k in self.match:
				o = self.match[k]
				if t == ')' and o > 0 and toks[o - 1] in CONTROL:
					break
				k = o - 1
				continue
			if t in (';', '{', '}', 'else', 'do') or (t == ':' and k > 0 and
								 toks[k - 1] in ('default',)):
				break
			k -= 1
		start = k + 1
		e = j
		while e < len(toks) and toks[e] != ';':
			if toks[e] in '([{' and e in self.match:
				e = self.match[e]
			elif toks[e] == '}':
				e -= 1
				break
			e += 1
		return start, min(e, len(toks) - 1)


class Pick:  # pylint: disable=too-few-public-methods
	"""Why a line is in the denominator: its function and the rule."""

	def __init__(self, function: str, reason: str, at: int = 0):
		self.function, self.reason, self.at = function, reason, at

	def __repr__(self):
		return f'Pick({self.function!r}, {self.reason!r}, {self.at})'


# The rules, strongest first: a line keeps the first rule that picked it.
RULES = ('whole file', 'device-only function', 'device-only #ifdef', 'device test',
	 'guarded block')


# Calls that pass their argument's truth through.
WRAPPERS = ('likely', 'unlikely', 'WARN_ON', 'WARN_ON_ONCE', 'VM_WARN_ON', 'VM_WARN_ON_ONCE')
Implies = Tuple[bool, bool]	# (true means device memory, false means device memory)
NOTHING: Implies = (False, False)


class Selector:
	"""The denominator's lines of one Source (module docstring)."""

	def __init__(self, src: Source, whole: bool = False):
		self.src, self.whole = src, whole
		self.picks: Dict[int, Pick] = {}
		self.func_of: List[Optional[int]] = [None] * len(src.toks)
		for k, (_, a, b) in enumerate(src.functions):
			for i in range(a, b + 1):
				self.func_of[i] = k
		self.alias: Dict[str, Implies] = {}

	def function(self, i: int) -> str:
		k = self.func_of[i] if 0 <= i < len(self.func_of) else None
		return self.src.functions[k][0] if k is not None else '(file scope)'

	def pick(self, a: int, b: int, reason: str, at: int = 0) -> None:
		"""Every line with a token in the token range a..b; a closing
		brace that shares its line with what follows (} else if (...))
		does not take that line."""
		toks, line_of = self.src.toks, self.src.line
		b = min(b, len(toks) - 1)
		if toks[b] == '}' and b + 1 < len(toks) and line_of[b + 1] == line_of[b] and \
		   line_of[b] != line_of[max(a, 0)]:
			b -= 1
		for i in range(max(a, 0), b + 1):
			line = self.src.line[i]
			if line not in self.picks or RULES.index(reason) < RULES.index(self.picks[line].reason):
				self.picks[line] = Pick(self.function(i), reason, at)

	def in_body(self, i: int) -> bool:
		"""Token i is inside a function's braces."""
		return self.func_of[i] is not None and self.src.parent[i] != -1

	# -- what an expression says about device memory

	def _split(self, a: int, b: int, op: str) -> List[Tuple[int, int]]:
		"""Tokens a..b-1 split at op outside parentheses."""
		toks, match = self.src.toks, self.src.match
		parts, start, i = [], a, a
		while i < b:
			if toks[i] in '([{' and i in match and match[i] < b:
				i = match[i] + 1
				continue
			if toks[i] == op:
				parts.append((start, i))
				start = i + 1
			i += 1
		parts.append((start, b))
		return parts

	def implies(self, a: int, b: int) -> Implies:
		"""What the truth of the expression in tokens a..b-1 says: (true
		means device memory, false means device memory).  A device test is
		(True, False), its negation (False, True); && and || combine them
		(a && b is device memory when true if either is, when false if both
		are); anything else says nothing."""
		toks, match = self.src.toks, self.src.match
		while b - a >= 2:
			if toks[a] == '(' and match.get(a) == b - 1:
				a, b = a + 1, b - 1
			elif toks[a] in WRAPPERS and toks[a + 1] == '(' and match.get(a + 1) == b - 1:
				a, b = a + 2, b - 1
			else:
				break
		if a >= b:
			return NOTHING
		ors = self._split(a, b, '||')
		if len(ors) > 1:
			parts = [self.implies(x, y) for x, y in ors]
			return all(t for t, _ in parts), any(f for _, f in parts)
		ands = self._split(a, b, '&&')
		if len(ands) > 1:
			parts = [self.implies(x, y) for x, y in ands]
			return any(t for t, _ in parts), all(f for _, f in parts)
		if toks[a] == '!':
			t, f = self.implies(a + 1, b)
			return f, t
		for op, result in (('==', (True, False)), ('!=', (False, True))):
			if len(self._split(a, b, op)) == 2:
				return result if self.predicates(a, b, constants_only=True) else NOTHING
		if b - a == 1:
			if toks[a] in self.alias:
				return self.alias[toks[a]]
			return (True, False) if toks[a] == 'pgmap' else NOTHING
		if PREDICATE.match(toks[a]) and toks[a + 1] == '(' and match.get(a + 1) == b - 1:
			return True, False
		return NOTHING

	def predicates(self, a: int, b: int, constants_only: bool = False) -> List[Tuple[int, str]]:
		"""The device tests in tokens a..b-1: (index, name).  constants_only:
		only MEMORY_DEVICE_*, ZONE_DEVICE and pgmap->type (a comparison's)."""
		toks, out = self.src.toks, []
		for i in range(a, min(b, len(toks))):
			t = toks[i]
			nxt = toks[i + 1] if i + 1 < len(toks) else ''
			prev = toks[i - 1] if i > 0 else ''
			name = None
			if DEVICE_CONSTANT.match(t):
				name = t
			elif t == 'type' and prev == '->' and i >= 2 and (
					toks[i - 2] == 'pgmap' or (toks[i - 2] == ')' and
					'pgmap' in toks[self.src.match.get(i - 2, 1) - 1])):
				name = 'pgmap->type'
			elif constants_only:
				pass
			elif PREDICATE.match(t) and nxt == '(':
				name = t
			elif t in self.alias and nxt != '(' and prev not in ('.', '->'):
				name = t
			elif t == 'pgmap' and self._bool_operand(i):
				name = 'pgmap'
			if name:
				out.append((i, name))
		return out

	def _bool_operand(self, i: int) -> bool:
		"""Token i is tested for truth (if (pgmap), !pgmap, pgmap && ...),
		not passed to a call."""
		toks = self.src.toks
		prev, nxt = toks[i - 1], toks[i + 1] if i + 1 < len(toks) else ''
		if nxt == '?' and prev in ('=', 'return', '(', ',', '!', '&&', '||'):
			return True		# pgmap ? a : b
		if prev not in ('(', '!', '&&', '||') or nxt not in (')', '&&', '||', '?'):
			return False
		j = i - 1
		while toks[j] == '!':
			j -= 1
		if toks[j] == '(' and j > 0 and re.match(r'^\w+$', toks[j - 1]):
			return toks[j - 1] in CONTROL + WRAPPERS
		return True

	def _aliases(self, k: int) -> Dict[str, Implies]:
		"""Local variables of function k every assignment of which is a
		device test, and what their truth says
		(const bool is_device_private = folio_is_device_private(folio))."""
		toks = self.src.toks
		_, a, b = self.src.functions[k]
		self.alias = {}
		for _ in range(2):
			assigned: Dict[str, List[Implies]] = collections.defaultdict(list)
			for i in range(a, b):
				if toks[i] == '=' and re.match(r'^[A-Za-z_]\w*$', toks[i - 1]) and \
				   toks[i - 2] not in ('.', '->'):
					_, e = self.src.enclosing_statement(i)
					assigned[toks[i - 1]].append(self.implies(i + 1, e) if
								     self.predicates(i + 1, e) else NOTHING)
			self.alias = {v: said[0] for v, said in assigned.items()
				      if said[0] != NOTHING and all(x == said[0] for x in said)}
		return self.alias

	# -- the rules

	def select(self) -> Dict[int, Pick]:
		src, toks = self.src, self.src.toks
		for name, a, b in src.functions:
			if self.whole:
				self.pick(a, b, 'whole file')
			elif DEVICE_FUNCTION.search(name) or name in DEVICE_ONLY:
				self.pick(a, b, 'device-only function')
		for i, line in enumerate(src.line):
			if line in src.device_lines and self.in_body(i):
				self.pick(i, i, 'device-only #ifdef')
		for k, (_, a, b) in enumerate(src.functions):
			self._aliases(k)
			conditions: Set[int] = set()
			for i in range(a, b + 1):
				if toks[i] in CONTROL and i + 1 < len(toks) and toks[i + 1] == '(' and \
				   i + 1 in src.match and self.in_body(i):
					close = src.match[i + 1]
					conditions.update(range(i + 2, close))
					if self.predicates(i + 2, close):
						self._guarded(i, close)
			for i in range(a, b + 1):
				if i not in conditions and self.in_body(i) and self.predicates(i, i + 1):
					x, y = src.enclosing_statement(i)
					self.pick(x, y, 'device test', src.line[i])
		return self.picks

	def _guarded(self, i: int, close: int) -> None:
		"""The condition at token i (its ')' at close) and what it guards:
		the then-branch if its truth means device memory; if its falsity
		does, the else-branch, or after an early exit (return, goto,
		continue, break) the rest of the enclosing block; a switch's body."""
		src, toks = self.src, self.src.toks
		line = src.line[i]
		self.pick(i, close, 'device test', line)
		body_end = src.stmt_end(close + 1)
		when_true, when_false = self.implies(i + 2, close)
		if toks[i] == 'switch' or when_true:
			self.pick(close + 1, body_end, 'guarded block', line)
		if not when_false or toks[i] != 'if':
			return
		if body_end + 1 < len(toks) and toks[body_end + 1] == 'else':
			self.pick(body_end + 1, src.stmt_end(body_end + 2), 'guarded block', line)
			return
		last = body_end - 1 if toks[body_end] == '}' else body_end
		while last > close and toks[last] != ';':
			last -= 1
		j = last - 1
		while j > close and toks[j] not in (';', '{', '}'):
			j -= 1
		if toks[j + 1] in EXITS:
			block = src.parent[i]
			if block != -1 and block in src.match:
				self.pick(body_end + 1, src.match[block] - 1, 'guarded block', line)


Selection = Dict[str, Dict[int, Pick]]


# What a file must mention for any rule to pick a line of it (a quick test
# before the scan).
MENTIONS = re.compile(r'is_device_|is_zone_device|is_pci_p2pdma|is_fsdax|vmemmap_can_optimize|'
		      r'MEMORY_DEVICE_|ZONE_DEVICE|'
		      r'device_private|device_coherent|device_exclusive|dev_pagemap|zone_device|'
		      r'pgmap|' + '|'.join(DEVICE_CONFIGS + DEVICE_ONLY))


def select_text(text: str, whole: bool = False) -> Dict[int, Pick]:
	"""The denominator's lines of one file's text."""
	if not whole and not MENTIONS.search(text):
		return {}
	return Selector(Source(text), whole).select()


def candidate_files(tree: str) -> List[str]:
	"""What select() reads, relative to the tree: mm/ (its tests/ aside)
	and the headers of include/linux/."""
	out = []
	for d, subdirs, files in os.walk(os.path.join(tree, 'mm')):
		subdirs[:] = sorted(s for s in subdirs if s != 'tests')
		out += [os.path.relpath(os.path.join(d, f), tree) for f in sorted(files)
			if f.endswith('.c')]
	inc = os.path.join(tree, 'include/linux')
	out += [f'include/linux/{f}' for f in sorted(os.listdir(inc)) if f.endswith('.h')]
	return out


def select(tree: str) -> Selection:
	"""The denominator of a tree: {file: {line: Pick}} (module docstring)."""
	sel: Selection = {}
	for rel in candidate_files(tree):
		with open(os.path.join(tree, rel), encoding='utf-8', errors='replace') as f:
			text = f.read()
		picks = select_text(text, rel in WHOLE_FILES)
		if picks:
			sel[rel] = picks
	return sel


def objects(sel: Selection) -> List[str]:
	"""The mm/ objects gcov must profile: every mm/*.c with a line picked."""
	return sorted(os.path.splitext(f)[0] + '.o' for f in sel
		      if f.startswith('mm/') and f.endswith('.c'))


def ranges(lines: Iterable[int]) -> str:
	"""[1, 2, 3, 7] -> '1-3, 7'."""
	out: List[str] = []
	start = prev = None
	for n in sorted(lines):
		if prev is not None and n == prev + 1:
			prev = n
			continue
		if start is not None:
			out.append(str(start) if start == prev else f'{start}-{prev}')
		start = prev = n
	if start is not None:
		out.append(str(start) if start == prev else f'{start}-{prev}')
	return ', '.join(out)


def by_function(picks: Dict[int, Pick]) -> Dict[str, Dict[int, Pick]]:
	"""A file's picks grouped by function, in the order of the file."""
	out: Dict[str, Dict[int, Pick]] = {}
	for line in sorted(picks):
		out.setdefault(picks[line].function, {})[line] = picks[line]
	return out


def describe(picks: Dict[int, Pick]) -> str:
	"""'lines 1-3 (whole file); 7-9 (guarded block: test at 6)'."""
	parts = []
	groups: Dict[Tuple[str, int], List[int]] = {}
	for line, p in sorted(picks.items()):
		groups.setdefault((p.reason, p.at), []).append(line)
	for (reason, at), lines in sorted(groups.items(), key=lambda kv: min(kv[1])):
		why = reason if reason in ('whole file', 'device-only function', 'device-only #ifdef') \
			else f'{reason}, test at {at}'
		parts.append(f'{ranges(lines)} ({why})')
	return '; '.join(parts)


def format_selection(sel: Selection) -> str:
	"""The denominator, per file and function (coverage.py select)."""
	out = []
	for f in sorted(sel, key=lambda f: (not f.startswith('mm/'), f)):
		picks = sel[f]
		out.append(f'{f}: {len(picks)} source lines')
		for func, fp in by_function(picks).items():
			out.append(f'  {func}: {describe(fp)}')
	return '\n'.join(out) + '\n'


# --- the counters, back from the guest --------------------------------------

BEGIN = re.compile(r'zdt-gcov: begin (\S+) (\d+) ([0-9a-f]+)$')
END = re.compile(r'zdt-gcov: end (\S+)$')
# A kernel message may follow on the same line: the reboot's, when the
# console had not sent the newline yet.
DONE = re.compile(r'zdt-gcov: done (\d+) (\d+)(?:$|\D)')


def decode(lines: Iterable[str], build_dir: str) -> Tuple[List[str], List[str]]:
	"""The .gcda files the init printed (tools/zdt_gcov_init.c), each
	checked against its size and CRC-32 and written where the build dir's
	.gcno is: (files written, problems)."""
	written, problems = [], []
	current, chunks, done = None, [], False
	for raw in lines:
		line = raw.rstrip('\r\n')
		m = BEGIN.search(line)
		if m:
			current, chunks = m, []
			continue
		m = END.search(line)
		if m and current:
			rel, size, crc = current.group(1), int(current.group(2)), int(current.group(3), 16)
			current = None
			try:
				data = base64.b64decode(''.join(chunks), validate=True)
			except ValueError as e:
				problems.append(f'{rel}: not base64 ({e})')
				continue
			if len(data) != size or zlib.crc32(data) != crc:
				problems.append(f'{rel}: {len(data)} bytes, CRC-32 {zlib.crc32(data):x}; '
						f'the guest sent {size}, {crc:x}')
				continue
			path = host_path(rel, build_dir)
			if not path:
				problems.append(f'{rel}: not under the build dir {build_dir}')
				continue
			with open(path, 'wb') as f:
				f.write(data)
			written.append(path)
			continue
		if DONE.search(line):
			done = True
		elif current:
			chunks.append(line.strip())
	if current:
		problems.append(f'{current.group(1)}: no end marker (the console stopped)')
	if not done:
		problems.append('the init never said "zdt-gcov: done" (did the kernel reach init?)')
	return written, problems


def host_path(rel: str, build_dir: str) -> Optional[str]:
	"""Where a file of debugfs gcov/ (the build's own absolute path, as the
	kernel saw it at compile time) goes on the host: under build_dir."""
	full = '/' + rel
	base = os.path.abspath(build_dir)
	if full.startswith(base + '/'):
		return full
	marker = '/' + os.path.basename(base) + '/'
	if marker in full:
		return os.path.join(base, full.split(marker, 1)[1])
	return None


def clear_counters(build_dir: str) -> None:
	"""The .gcda files of an earlier run out of the build dir."""
	for d, _, files in os.walk(build_dir):
		for f in files:
			if f.endswith('.gcda'):
				os.remove(os.path.join(d, f))


def lcov(args: List[str], log) -> None:
	cmd = ['lcov', '--quiet', *args]
	log.write('$ ' + ' '.join(cmd) + '\n')
	log.flush()
	p = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, check=False)
	if p.returncode:
		raise ToolError(f'lcov failed (exit {p.returncode}): see {log.name}')


def capture(build_dir: str, objs: Iterable[str], info: str, log) -> None:
	"""lcov's tracefile of the profiled objects' counters."""
	lcov(['--capture', '--directory', os.path.join(build_dir, 'mm'), '--output-file', info,
	      '--gcov-tool', 'gcov'], log)


Trace = Dict[str, Dict[int, int]]	# source path -> line -> count


def read_trace(info: str) -> Trace:
	"""DA records of an lcov tracefile, summed per source file and line."""
	out: Trace = {}
	sf = None
	with open(info, encoding='utf-8', errors='replace') as f:
		for line in f:
			line = line.rstrip('\n')
			if line.startswith('SF:'):
				sf = os.path.normpath(line[3:])
				out.setdefault(sf, {})
			elif line.startswith('DA:') and sf:
				n, c = line[3:].split(',')[:2]
				out[sf][int(n)] = out[sf].get(int(n), 0) + int(c)
	return out


def filter_trace(info: str, keep: Dict[str, Tuple[Set[int], Set[str]]], out_path: str) -> None:
	"""The tracefile with only the lines and functions of keep (absolute
	source path -> (lines, function names)), its counts (LF/LH, FNF/FNH)
	redone: what genhtml shows of the denominator."""
	out: List[str] = []
	sf = None
	lines: List[Tuple[int, int]] = []
	funcs: Dict[str, int] = {}
	with open(info, encoding='utf-8', errors='replace') as f:
		for line in f:
			line = line.rstrip('\n')
			if line.startswith('SF:'):
				sf, lines, funcs = os.path.normpath(line[3:]), [], {}
				if sf in keep:
					out += ['TN:', line]
			elif sf not in keep:
				continue
			elif line.startswith('DA:'):
				n, c = line[3:].split(',')[:2]
				if int(n) in keep[sf][0]:
					lines.append((int(n), int(c)))
					out.append(line)
			elif line.startswith('FN:'):
				if line.split(',', 1)[1] in keep[sf][1]:
					funcs.setdefault(line.split(',', 1)[1], 0)
					out.append(line)
			elif line.startswith('FNDA:'):
				c, name = line[5:].split(',', 1)
				if name in funcs:
					funcs[name] += int(c)
					out.append(line)
			elif line == 'end_of_record':
				out += [f'FNF:{len(funcs)}', f'FNH:{sum(1 for c in funcs.values() if c)}',
					f'LF:{len(lines)}', f'LH:{sum(1 for _, c in lines if c)}', line]
	with open(out_path, 'w', encoding='utf-8') as f:
		f.write('\n'.join(out) + '\n')


# --- the report ---------------------------------------------------------------

# Why a line the suites never ran cannot be run by a case as things are, by
# what guards it or the function it is in; any other line: 'not yet'.
REASONS = (
	(re.compile(r'p2pdma|MEMORY_DEVICE_PCI_P2PDMA'), 'needs PCI P2PDMA (real hardware)'),
	(re.compile(r'fsdax|FS_DAX'), 'needs FS DAX (a DAX filesystem on pmem)'),
	(re.compile(r'MEMORY_DEVICE_GENERIC'), 'needs device DAX (pmem or a dax device)'),
)


# Reasons several blocks share.
RACE_PMD = ('only if the page table changes under the walk (a concurrent zap, split or '
	    'collapse): a race no case can order')
ALLOC_FAILS = 'needs an allocation to fail: the suites\' kernel has no fault injection'
PMD_X86 = ('a device-private PMD never gets here on x86, whose pmd_trans_huge() is false for a '
	   'non-present PMD (arm64 differs)')

# memory_failure() goes past dax_lock_folio() only for a page of a DAX file
# mapping; a process mapping a device-private or device-coherent page makes
# dax_lock_folio() read the anonymous folio's mapping as an address_space.
MF_DAX_REASON = ('needs a poisoned page in a DAX file mapping (FS DAX on pmem, or device DAX): '
		 'dax_lock_folio() finds no other; on a mapped device-private or device-coherent '
		 'page 7.3.4 oopses in dax_lock_folio() first')

# Functions of the denominator no case can run in the suites' VM, by name,
# with why (the file is selected whole, so nothing guards them but that).
FUNCTION_REASONS = {
	'dev_pagemap_mapping_shift': MF_DAX_REASON,
	# Guarded blocks of functions only a system call or a kernel thread's
	# own schedule reaches (their test runs whenever they do).
	'mlock_pte_range': 'only the mlock(2), munlock(2) and mlockall(2) system calls reach it '
			   '(mlock_fixup(); do_mlock() is static)',
	'get_mergeable_page': 'only ksmd\'s scan reaches it (ksm_do_scan()), on its own schedule',
	'ksm_next_page_pmd_entry': 'only ksmd\'s scan reaches it (ksm_do_scan()), on its own schedule',
	'queue_folios_pmd': 'only the mbind(2) and migrate_pages(2) system calls, or a cpuset\'s '
			    'memory migration, reach it',
	'queue_folios_pte_range': 'only the mbind(2) and migrate_pages(2) system calls, or a '
				  'cpuset\'s memory migration, reach it',
	'__add_folio_for_migration': 'only the move_pages(2) system call reaches it '
				     '(kernel_move_pages() is static)',
	'do_pages_stat_array': 'only the move_pages(2) system call reaches it '
			       '(kernel_move_pages() is static)',
	# pud_trans_huge_lock() finds a leaf only in a PUD-sized DAX mapping.
	'hmm_vma_walk_pud': 'needs a PUD-mapped leaf: device or FS DAX on pmem aligned to 1 GiB',
	'pud_to_hmm_pfn_flags': 'needs a PUD-mapped leaf: device or FS DAX on pmem aligned to 1 GiB',
	# NUMA hinting never makes a zone-device PTE PROT_NONE, so the check in
	# the hint fault is a second line of defence.
	'zone_device_private_split_cb': 'needs a large device-private folio on a pgmap without a '
					'folio_split op: every driver that makes one (drm_pagemap, nouveau, '
					'lib/test_hmm) has the op; a kernel that skipped the copy leaves a '
					'NULL pgmap and crashes rather than fails',
	'do_wp_page': 'needs a write fault on a read-only PTE of a shared FS DAX mapping '
		      '(a DAX file system on pmem)',
	'folio_is_fsdax': 'needs a FOLL_LONGTERM pin of a mapped zone-device folio that is neither '
			  'device-coherent (refused before) nor device-private (GUP faults it back): '
			  'device DAX, FS DAX or P2PDMA memory',
	'is_fsdax_page': 'needs a write fault on a read-only PTE of a shared FS DAX mapping '
			 '(a DAX file system on pmem)',
}


# Never-run blocks no case can order, by file, function and what their lines
# say: (file, function, regex searched in the block's lines, why).
TEXT_REASONS = (
	('mm/memory.c', 'do_swap_page', re.compile(r'goto unlock'),
	 'only if the PTE changes between the fault\'s look and the PTE lock (another fault on the '
	 'same device-private page finished first): a race no case can order'),
	('mm/hmm.c', 'hmm_vma_walk_pmd', re.compile(r'goto again|pmd_none|walk_hole\(start, end, -1'),
	 'only if the PMD changes between the page walk\'s look and this one: a race no case can '
	 'order'),
	('mm/hmm.c', 'hmm_vma_walk_pmd', re.compile(r'HMM_PFN_ERROR|return -EFAULT'),
	 'only for a corrupt page table (pmd_bad())'),
	('mm/hmm.c', 'hmm_do_fault', re.compile(r'WARN_ON'),
	 'asserts that a fault handler is not broken: unreachable by design'),
	('mm/hmm.c', 'hmm_range_fault_unlocked_timeout', re.compile(r'^\s*return ret;'),
	 'needs a fatal signal while the call waits for the mmap lock'),
	('mm/hmm.c', 'hmm_range_fault_unlocked_timeout', re.compile(r'return -EFAULT'),
	 'needs an mm the OOM reaper has torn down (check_stable_address_space())'),
	('mm/hmm.c', 'hmm_dma_map_pfn', re.compile(r'PCI_P2PDMA_MAP'),
	 'needs PCI P2PDMA (real hardware)'),
	# dma_need_unmap() without an IOVA: a dma-direct device hmm_dma_map_alloc()
	# accepts skips syncs, so it needs no unmap (without DMA_API_DEBUG).
	('mm/hmm.c', 'hmm_dma_map_alloc', re.compile(r'dma_list|err_dma|kvfree\(map->pfn_list\)'),
	 'needs a device that must be DMA-unmapped without an IOMMU: dma_map_ops of its own '
	 '(ARCH_HAS_DMA_OPS: GART_IOMMU or XEN) or DMA_API_DEBUG, none in the suites\' kernel'),
	('mm/hmm.c', 'hmm_dma_map_pfn', re.compile(r'dma_addrs\[idx\]'),
	 'needs a device that must be DMA-unmapped without an IOMMU: dma_map_ops of its own '
	 '(ARCH_HAS_DMA_OPS: GART_IOMMU or XEN) or DMA_API_DEBUG, none in the suites\' kernel'),
	('mm/hmm.c', 'hmm_dma_unmap_pfn', re.compile(r'dma_unmap_phys'),
	 'needs a device that must be DMA-unmapped without an IOMMU: dma_map_ops of its own '
	 '(ARCH_HAS_DMA_OPS: GART_IOMMU or XEN) or DMA_API_DEBUG, none in the suites\' kernel'),
	('mm/hmm.c', 'hmm_dma_map_pfn', re.compile(r'goto error|~HMM_PFN_P2PDMA;'),
	 'needs a DMA mapping that fails for a device hmm_dma_map_alloc() accepted (an IOMMU, or a '
	 'swiotlb bounce forced in a confidential guest, refused for DMA_ATTR_REQUIRE_COHERENT), '
	 'or asserts (WARN_ON_ONCE) that the map has its dma_list'),
	('mm/memory-failure.c', 'mf_generic_kill_procs',
	 re.compile(r'hwpoison_filter|collect_procs|unmap_and_kill'), MF_DAX_REASON),
	('mm/memory-failure.c', '__add_to_kill', re.compile(r'dev_pagemap_mapping_shift'),
	 MF_DAX_REASON),
	('mm/migrate_device.c', 'migrate_vma_collect_huge_pmd',
	 re.compile(r'collect_hole\(start, end, -1|return -EAGAIN'), RACE_PMD),
	('mm/migrate_device.c', 'migrate_vma_collect_pmd', re.compile(r'goto again'), RACE_PMD),
	('mm/memremap.c', 'memremap_pages', re.compile(r'Invalid pgmap type'),
	 'only for a pgmap type no kernel defines: a WARN, and the pgmap is mapped anyway'),
	('mm/khugepaged.c', '__collapse_huge_page_isolate', re.compile(r'SCAN_PAGE_NULL'),
	 'only if a page becomes device memory between the scan, which refuses it '
	 '(collapse_scan_pmd()), and the isolation: a race no case can order'),
	('mm/khugepaged.c', 'try_collapse_pte_mapped_thp', re.compile(r'WARN_ON_ONCE|page = NULL'),
	 'asserts that a page of a file THP is never device memory: unreachable by design'),
	('mm/rmap.c', 'folio_referenced', re.compile(r'VM_WARN_ON'),
	 'asserts that reclaim never hands it a device folio (they are never on the LRU): '
	 'unreachable by design'),
	('mm/rmap.c', 'try_to_migrate_one', re.compile(r'VM_WARN_ON'),
	 'asserts that a device-private folio is never hardware-poisoned: unreachable by design'),
	('mm/huge_memory.c', 'madvise_free_huge_pmd', re.compile(r'VM_WARN_ON'), PMD_X86),
	('mm/madvise.c', 'madvise_cold_or_pageout_pte_range', re.compile(r'VM_WARN_ON'), PMD_X86),
)

# Never-run blocks by the condition that guards them, in the three lines
# just above the block: (file, function, regex, why).
GUARD_REASONS = (
	('mm/migrate_device.c', None,
	 re.compile(r'p4d_alloc|pud_alloc|pmd_alloc|pte_alloc|anon_vma_prepare|!pgtable'), ALLOC_FAILS),
	('mm/migrate_device.c', None, re.compile(r'mem_cgroup_charge'),
	 'needs a memcg charge to fail: the test\'s mm is charged to the root memcg, which has no '
	 'limit'),
	('mm/migrate_device.c', None, re.compile(r'check_stable_address_space|csa_ret'),
	 'needs an mm the OOM reaper has torn down (check_stable_address_space())'),
	('mm/migrate_device.c', None, re.compile(r'userfaultfd_missing'),
	 'needs a VMA registered with userfaultfd(2) for missing faults: only a process registers one'),
	('mm/migrate_device.c', 'migrate_vma_insert_page', re.compile(r'!vma_is_anonymous'),
	 'unreachable: a hole of a VMA that is not anonymous is never collected for migration '
	 '(migrate_vma_collect_hole())'),
	('mm/migrate_device.c', 'migrate_vma_insert_page', re.compile(r'if \(!ptep\)'), RACE_PMD),
	('mm/migrate_device.c', 'migrate_device_unmap', re.compile(r'folio_isolate_lru'),
	 'only if someone else isolates the folio from the LRU meanwhile (compaction, reclaim): a '
	 'race no case can order'),
	('mm/migrate_device.c', '__migrate_device_pages',
	 re.compile(r'migrate_vma_split_unmapped_folio'),
	 'only if the split of the unmapped folio fails: a speculative reference at that moment, a '
	 'race no case can order'),
	('mm/migrate_device.c', '__migrate_device_pages', re.compile(r'folio_free_swap'),
	 'needs a page with a mapping that cannot go to device memory: a file or shmem page, or an '
	 'anonymous page whose swap cache entry cannot be freed'),
	('mm/memremap.c', None, re.compile(r'percpu_ref_init|devm_add_action_or_reset|pfnmap_track'),
	 ALLOC_FAILS + '; or, for pfnmap_track(), a PAT memtype conflict on a free range'),
	('mm/migrate_device.c', 'migrate_vma_insert_page',
	 re.compile(r'migrate_vma_insert_huge_pmd_page'),
	 'only if migrate_vma_insert_huge_pmd_page() fails: the reasons are at its own lines, plus a '
	 'driver that gives a large destination for a page-sized entry (a misuse)'),
	('mm/migrate_device.c', 'migrate_vma_insert_page', re.compile(r'pmd_leaf'),
	 'needs a leaf PMD that is not a THP: hugetlb or DAX, never in the anonymous VMA a hole is '
	 'collected from'),
	('mm/migrate_device.c', '__migrate_device_pages',
	 re.compile(r'\(dst_pfns\[i\] & MIGRATE_PFN_COMPOUND\) &&'),
	 'needs a small source given a compound destination: 7.3.4 then goes on to migrate the '
	 'mapping (no "goto next"), a VM_BUG_ON in mem_cgroup_migrate() under DEBUG_VM, so a case '
	 'would crash the run'),
	('mm/memremap.c', 'pagemap_range', re.compile(r'mhp_range_allowed'),
	 'needs a range above what memory hotplug can address: request_free_mem_region() never '
	 'returns one, and a kernel that accepts it crashes in sparse_add_section(), so no case '
	 'can fail cleanly'),
	('mm/memory_hotplug.c', 'move_pfn_range_to_zone', re.compile(r'IS_ALIGNED\(start_pfn,'),
	 'needs a ZONE_DEVICE range that starts inside a memory section: device-private ranges are '
	 'section-aligned (request_free_mem_region()) and the reserved RAM starts on a section'),
	('mm/migrate_device.c', 'migrate_vma_collect_huge_pmd', re.compile(r'!folio_test_large'),
	 'unreachable: a PMD maps only a PMD-order folio (a THP or a large device-private folio)'),
	('mm/migrate_device.c', 'migrate_vma_collect_pmd', re.compile(r'!softleaf_is_device_private'),
	 'only for a non-present PTE that is not device-private: a swap entry (the VM has no swap) '
	 'or a migration entry while another migration is under way, a race no case can order'),
	('mm/huge_memory.c', 'do_huge_pmd_device_private', re.compile(r'!pmd_same'),
	 'only if the PMD changes between the fault and its lock: a race no case can order'),
	('mm/migrate_device.c', 'migrate_vma_collect_pmd', re.compile(r'if \(unmapped\)'),
	 'only flushes the TLB for PTEs already cleared when a split fails after an earlier page of '
	 'the table was unmapped: a stale TLB entry no case can observe'),
	('mm/page_vma_mapped.c', 'page_vma_mapped_walk', re.compile(r'flags & PVMW_MIGRATION'),
	 'only if a walk that restores migration entries (remove_migration_ptes()) meets a '
	 'device-private PMD of its folio: try_to_migrate() turned every one into a migration entry '
	 'first'),
	('mm/page_vma_mapped.c', 'page_vma_mapped_walk', re.compile(r'check_pmd\(softleaf_to_pfn'),
	 'needs a VMA of the folio\'s anon_vma whose PMD at the folio\'s address is a device-private '
	 'entry of another folio (after fork(), one side migrated to another device folio): no '
	 'case builds one yet'),
	('mm/rmap.c', 'make_device_exclusive', re.compile(r'folio_lock_killable'),
	 'needs a fatal signal while it waits for the folio lock'),
	('mm/rmap.c', 'make_device_exclusive', re.compile(r'fw_folio != folio|pte_write\(fw\.pte\)'),
	 'only if the page changes between GUP and the second walk: a race no case can order'),
)


class FileResult:  # pylint: disable=too-few-public-methods
	"""The denominator of one file against the counters."""

	def __init__(self, rel: str, picks: Dict[int, Pick], counts: Optional[Dict[int, int]],
		     text: List[str]):
		self.rel, self.picks, self.text = rel, picks, text
		counts = counts or {}
		self.lines = {n: counts[n] for n in picks if n in counts}	# executable: count
		self.no_record = sorted(n for n in picks if n not in counts)
		self.run = sum(1 for c in self.lines.values() if c)

	@property
	def total(self) -> int:
		return len(self.lines)

	def functions(self) -> Dict[str, List[int]]:
		"""Executable denominator lines per function, in file order."""
		out: Dict[str, List[int]] = {}
		for n in sorted(self.lines):
			out.setdefault(self.picks[n].function, []).append(n)
		return out

	def blocks(self, func: str) -> List[List[int]]:
		"""The function's never-run lines as blocks: maximal runs of
		executable denominator lines with no run line among them."""
		out: List[List[int]] = []
		cur: List[int] = []
		for n in self.functions().get(func, []):
			if self.lines[n]:
				if cur:
					out.append(cur)
				cur = []
			else:
				cur.append(n)
		if cur:
			out.append(cur)
		return out

	def guard(self, first: int) -> str:
		"""The condition that guards a block starting at line @first: the
		lines above it up to the nearest 'if (' (at most three), and for an
		'if (ret)' that tests a variable, the two lines that set it."""
		out: List[str] = []
		n = first - 1
		while 0 < n <= len(self.text) and len(out) < 3:
			line = self.text[n - 1]
			out.insert(0, line)
			if 'if (' in line:
				if re.search(r'if \(!?\w+\)', line):
					out[0:0] = self.text[max(0, n - 3):n - 1]
				break
			n -= 1
		return ' '.join(out)

	def reason(self, block: List[int]) -> str:
		"""Why these never-run lines did not run, or 'not yet': REASONS
		matched against what makes them device memory's, the name of a
		device-only function or the test that guards a block (a test
		itself runs whenever its function does: no reason but 'not yet')."""
		p = self.picks[block[0]]
		if p.function in FUNCTION_REASONS:
			return FUNCTION_REASONS[p.function]
		lines = [self.text[n - 1] for n in block if 0 < n <= len(self.text)]
		for rel, func, rx, why in TEXT_REASONS:
			if rel == self.rel and func == p.function and any(rx.search(ln) for ln in lines):
				return why
		above = self.guard(block[0])
		for rel, func, rx, why in GUARD_REASONS:
			if rel == self.rel and func in (None, p.function) and rx.search(above):
				return why
		said = {'device-only function': p.function,
			'guarded block': self.text[p.at - 1] if 0 < p.at <= len(self.text) else ''
			}.get(p.reason, '')
		for rx, why in REASONS:
			if said and rx.search(said):
				return why
		return 'not yet'


def not_built(tree: str, build_dir: str, rel: str) -> Optional[str]:
	"""Why an mm/ file has no object in the build: the option of its
	obj- line in mm/Makefile ('CONFIG_KSM is off'), or None if it was built."""
	obj = os.path.splitext(rel)[0] + '.o'
	if os.path.exists(os.path.join(build_dir, obj)):
		return None
	with open(os.path.join(tree, os.path.dirname(rel), 'Makefile'), encoding='utf-8') as f:
		text = f.read().replace('\\\n', ' ')
	stem = os.path.basename(obj)
	for line in text.splitlines():
		m = re.match(r"^\s*obj-\$\((CONFIG_\w+)\)\s*[+:]?=.*", line)
		if m and re.search(r'(^|\s|=)' + re.escape(stem) + r'(\s|$)', line):
			return f'{m.group(1)} is off'
	return 'not built in this configuration'


def analyse(tree: str, sel: Selection, trace: Trace) -> List[FileResult]:
	"""Each selected file's result, mm/ first."""
	out = []
	for rel in sorted(sel, key=lambda f: (not f.startswith('mm/'), f)):
		path = os.path.normpath(os.path.join(tree, rel))
		with open(path, encoding='utf-8', errors='replace') as f:
			text = f.read().splitlines()
		out.append(FileResult(rel, sel[rel], trace.get(path), text))
	return out


def span(block: List[int]) -> str:
	"""A block's first and last line: '1476-1512', or '1476'."""
	return f'{block[0]}-{block[-1]}' if len(block) > 1 else str(block[0])


def pct(run: int, total: int) -> str:
	return f'{100 * run / total:.0f}%' if total else '-'


def biggest_blocks(res: List[FileResult], n: int = 15) -> List[Tuple[int, str, str, List[int], str]]:
	"""The largest never-run blocks: (lines, file, function, block, reason)."""
	blocks = []
	for r in res:
		for func in r.functions():
			for b in r.blocks(func):
				blocks.append((len(b), r.rel, func, b, r.reason(b)))
	blocks.sort(key=lambda x: (-x[0], x[1], x[3][0]))
	return blocks[:n]


def table(res: List[FileResult]) -> List[Tuple[str, int, int]]:
	"""(file, run, total) of every file with executable denominator lines."""
	return [(r.rel, r.run, r.total) for r in res if r.total]


def summary_text(res: List[FileResult], head: str, unbuilt: Dict[str, str]) -> str:
	"""results/coverage/summary.txt: per file the denominator's lines run /
	executable lines, and the source lines the rules selected (of which
	gcov has no record); the files not built; the biggest never-run blocks."""
	rows = [r for r in res if r.total]
	width = max([len(r.rel) for r in rows] + [10])
	out = [head, '', f'{"file":<{width}}  {"run/lines":>10}  {"":>4}  {"selected":>8}  '
	       f'{"no record":>9}']
	for r in rows:
		out.append(f'{r.rel:<{width}}  {f"{r.run}/{r.total}":>10}  {pct(r.run, r.total):>4}  '
			   f'{len(r.picks):>8}  {len(r.no_record):>9}')
	run, total = sum(r.run for r in rows), sum(r.total for r in rows)
	out.append(f'{"total":<{width}}  {f"{run}/{total}":>10}  {pct(run, total):>4}  '
		   f'{sum(len(r.picks) for r in rows):>8}  {sum(len(r.no_record) for r in rows):>9}')
	out += ['', '"selected": source lines the rules picked (coverage.py select); "no record": '
		'of those, the ones gcov has no line', 'record for (not code, compiled out by #if '
		'or a config option, inlined or optimized away).']
	if unbuilt:
		out += ['', 'selected, but not built in this kernel (no gcov records):']
		out += [f'  {f}: {len(res_by(res, f).picks)} source lines, {why}'
			for f, why in sorted(unbuilt.items())]
	rest = [r.rel for r in res if not r.total and r.rel not in unbuilt]
	if rest:
		out += ['', 'selected, but no line of them has a gcov record (not compiled into a '
			'profiled object): ' + ' '.join(rest)]
	out += ['', 'biggest never-run blocks (file:function:lines, reason):']
	for size, f, func, b, why in biggest_blocks(res):
		out.append(f'  {f}:{func}:{span(b)} ({size} line{"s" if size > 1 else ""}): {why}')
	return '\n'.join(out) + '\n'


def res_by(res: List[FileResult], rel: str) -> FileResult:
	return next(r for r in res if r.rel == rel)


def doc_text(res: List[FileResult], head: str, unbuilt: Dict[str, str],
	     sel: Optional[Selection] = None) -> str:
	"""docs/coverage.md (with the denominator's listing at its end, if sel)."""
	rows = table(res)
	run, total = sum(r for _, r, _ in rows), sum(t for _, _, t in rows)
	out = ['# Coverage of core mm\'s device-memory lines', '',
	       '<!-- Generated by tools/coverage.py (make coverage); do not edit. -->', '',
	       head, '',
	       'The denominator is generated from the tree (`tools/coverage.py select` lists it, '
	       'per file and function, with the rule that picked each line): every line of '
	       '`mm/memremap.c`, `mm/migrate_device.c` and `mm/hmm.c`; every function of `mm/` '
	       'and `include/linux/` that exists only for device memory; every block of the rest '
	       'guarded by a device-memory test (`is_device_private_*`, `folio_is_zone_device`, '
	       '`softleaf_is_device_*`, `is_pci_p2pdma_page`, `pgmap->type`, `MEMORY_DEVICE_*`, '
	       '`ZONE_DEVICE` ...), and each statement that makes such a test. Lines are those '
	       'gcov counts as executable. How the blocks are found: the docstring of '
	       '`tools/coverage.py`. A coverage run is no verdict: its timing differs under '
	       'gcov and TCG, and its results are not judged (`make run` judges them).', '',
	       '`make coverage` builds its own kernel (build dir `<cache>/build/<version>-x86_64-'
	       'coverage`), runs every suite and writes `results/coverage/`: `html/index.html` '
	       '(the denominator\'s lines), `html-all/` (every line of the profiled objects), '
	       '`summary.txt`, `denominator.txt`; and this file.', '',
	       '| file | lines run / lines | | selected source lines | of which no gcov record |',
	       '| --- | --- | --- | --- | --- |']
	for r in res:
		if r.total:
			out.append(f'| `{r.rel}` | {r.run} / {r.total} | {pct(r.run, r.total)} | '
				   f'{len(r.picks)} | {len(r.no_record)} |')
	out.append(f'| **total** | **{run} / {total}** | **{pct(run, total)}** | '
		   f'{sum(len(r.picks) for r in res if r.total)} | '
		   f'{sum(len(r.no_record) for r in res if r.total)} |')
	out += ['', 'A selected source line without a gcov record is no code (a declaration, a '
		'brace), is compiled out by an `#if` or a config option, or was inlined or optimized '
		'away (`if (...) flush_dcache_folio()` on x86).']
	if unbuilt:
		out += ['', 'Selected but not built in the suites\' kernel (no line records): ' +
			'; '.join(f'`{f}` ({why})' for f, why in sorted(unbuilt.items())) + '.']
	out += ['', '## Biggest never-run blocks', '',
		'Candidates for new cases, largest first.', '',
		'| file | function | lines | size | reason |', '| --- | --- | --- | --- | --- |']
	for size, f, func, b, why in biggest_blocks(res, 25):
		out.append(f'| `{f}` | `{func}` | {span(b)} '
			   f'| {size} | {why} |')
	out += ['', '## Per file and function', '',
		'Every line of the denominator never run, as blocks (first-last executable line '
		'of a run of never-run lines), with the reason: *not yet* unless obvious.']
	for r in res:
		if not r.total:
			continue
		out += ['', f'### `{r.rel}`: {r.run} / {r.total} ({pct(r.run, r.total)})', '',
			'| function | run / lines | never run |', '| --- | --- | --- |']
		for func, lines in r.functions().items():
			ran = sum(1 for n in lines if r.lines[n])
			never = '; '.join(
				f'{span(b)}'
				f'{f" ({len(b)} lines)" if len(b) > 1 else ""}: {r.reason(b)}'
				for b in r.blocks(func)) or '-'
			out.append(f'| `{func}` | {ran} / {len(lines)} | {never} |')
	if sel:
		out += ['', '## The denominator', '',
			'What `tools/coverage.py select` picks in this tree, per file and function: '
			'source lines (before the intersection with gcov\'s line records) and the rule '
			'that picked them; for a block, the line of the test that guards it.', '',
			'```', format_selection(sel).rstrip('\n'), '```']
	return '\n'.join(out) + '\n'


# --- make coverage ------------------------------------------------------------

def genhtml(info: str, out_dir: str, title: str, tree: str, log) -> None:
	if os.path.isdir(out_dir):
		shutil.rmtree(out_dir)
	cmd = ['genhtml', '--quiet', '--legend', '--title', title, '--prefix', tree,
	       '--output-directory', out_dir, info]
	log.write('$ ' + ' '.join(cmd) + '\n')
	log.flush()
	p = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, check=False)
	if p.returncode:
		raise ToolError(f'genhtml failed (exit {p.returncode}): see {log.name}')


def unbuilt_files(tree: str, build_dir: str, sel: Selection) -> Dict[str, str]:
	"""The selected mm/ files the coverage kernel does not build, and why."""
	out = {}
	for rel in sel:
		if rel.startswith('mm/') and rel.endswith('.c'):
			why = not_built(tree, build_dir, rel)
			if why:
				out[rel] = why
	return out


def cases_reported(log_path: str) -> Tuple[int, int]:
	"""(cases the KTAP reported, of which 'not ok'): that the suites ran;
	no verdict."""
	ok = bad = 0
	with open(log_path, encoding='utf-8', errors='replace') as f:
		for line in f:
			m = re.match(r'^ {4}(not )?ok \d+ ', line)
			if m:
				ok += 1
				bad += bool(m.group(1))
	return ok, bad


def report(tree: str, sel: Selection, results: str, doc: Optional[str], head: str,
	   log) -> List[FileResult]:
	"""From the counters in the build dir: the lcov tracefiles, the HTML,
	summary.txt and docs/coverage.md."""
	build_dir = build_dir_of(tree)
	full = os.path.join(results, 'coverage-all.info')
	capture(build_dir, objects(sel), full, log)
	trace = read_trace(full)
	res = analyse(tree, sel, trace)
	unbuilt = unbuilt_files(tree, build_dir, sel)
	keep = {os.path.normpath(os.path.join(tree, r.rel)): (set(r.lines), set(r.functions()))
		for r in res if r.total}
	info = os.path.join(results, 'coverage.info')
	filter_trace(full, keep, info)
	genhtml(info, os.path.join(results, 'html'), 'device-memory lines of core mm', tree, log)
	genhtml(full, os.path.join(results, 'html-all'), 'profiled mm objects, every line', tree,
		log)
	text = summary_text(res, head, unbuilt)
	with open(os.path.join(results, 'summary.txt'), 'w', encoding='utf-8') as f:
		f.write(text)
	if doc:
		with open(doc, 'w', encoding='utf-8') as f:
			f.write(doc_text(res, head, unbuilt, sel))
	return res


def write_denominator(sel: Selection, path: str) -> None:
	with open(path, 'w', encoding='utf-8') as f:
		f.write(format_selection(sel))
		f.write('\nobjects the denominator touches: ' + ' '.join(objects(sel)) + '\n')


def run(tree: str, results: str, accel: str, timeout: int, jobs: int, doc: Optional[str],
	touched_only: bool = False, skip_build: bool = False) -> int:
	"""make coverage: select, build, boot, decode, report."""
	version = kernel_version(tree)
	os.makedirs(results, exist_ok=True)
	sel = select(tree)
	objs = objects(sel)
	write_denominator(sel, os.path.join(results, 'denominator.txt'))
	print(f'== coverage: {version}-{ARCH}: {sum(len(p) for p in sel.values())} source lines '
	      f'selected in {len(sel)} files; gcov on ' +
	      (' '.join(objs) if touched_only else 'every object of mm/'),
	      flush=True)
	build_dir = build_dir_of(tree)
	log_path = os.path.join(results, 'kunit.log')
	with open(os.path.join(results, 'tools.log'), 'w', encoding='utf-8') as tlog:
		with lock.Lock(build_dir, f'the build dir {build_dir}', 'coverage', out=sys.stdout), \
		     open(log_path, 'w', encoding='utf-8') as log:
			if not skip_build:
				took = build(tree, objs, jobs, log, touched_only)
				print(f'== coverage: built in {took:.0f} s (build dir {build_dir})', flush=True)
			clear_counters(build_dir)
			took = boot(tree, objs, accel, timeout, log, touched_only)
		ran, _ = cases_reported(log_path)
		with open(log_path, encoding='utf-8', errors='replace') as f:
			written, problems = decode(f, build_dir)
		print(f'== coverage: booted, {ran} cases reported (not judged here), '
		      f'{len(written)} .gcda files back from the guest in {took:.0f} s', flush=True)
		for p in problems:
			print(f'== coverage: {p}', flush=True)
		if not written:
			raise ToolError(f'no gcov data came back: see {log_path}')
		profiled = sorted(os.path.relpath(p, build_dir) for p in written)
		head = (f'Linux {version}, {ARCH} under QEMU ({zrun.zaccel.decide(ARCH, accel)[0]}), '
			f'every suite built in, '
			f'{ran} cases reported; gcov on ' +
			(f'the {len(profiled)} objects of mm/ the denominator touches: ' +
			 ' '.join(os.path.basename(p)[:-5] for p in profiled) if touched_only else
			 f'every object of mm/ ({len(profiled)} came back with counters)') + '.')
		with open(os.path.join(results, 'head.txt'), 'w', encoding='utf-8') as f:
			f.write(head + '\n')
		res = report(tree, sel, results, doc, head, tlog)
	rows = table(res)
	print(f'== coverage: {sum(r for _, r, _ in rows)}/{sum(t for _, _, t in rows)} lines of '
	      f'the denominator run; {results}/summary.txt, {results}/html/index.html'
	      + (f', {doc}' if doc else ''), flush=True)
	return 1 if problems else 0


def main() -> int:
	ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	ap.add_argument('what', nargs='?', default='run', choices=('run', 'select', 'report'),
			help='run (default): build, boot, report; select: print the denominator; '
			'report: the report again from the counters of the last run')
	cli.add_options(ap, source={'help': True},
			accel={'default': os.environ.get('ACCEL') or 'tcg'},
			results={'under': 'coverage'},
			timeout={'default': TIMEOUT,
				 'help': f'seconds for boot, suites and the copy (default {TIMEOUT})'})
	ap.add_argument('--jobs', type=int, default=os.cpu_count() or 2)
	ap.add_argument('--doc', default=DOC, help=f'the generated document (default {DOC}; '
			'"" for none)')
	ap.add_argument('--touched-only', action='store_true',
			help='gcov only on the objects of mm/ the denominator touches, not all of '
			'mm/ (faster to boot; a header line inlined elsewhere then counts as never run)')
	ap.add_argument('--no-build', action='store_true',
			help='boot the coverage kernel built before, as it is')
	args = ap.parse_args()
	tree = os.path.abspath(args.kdir) if args.kdir else fetch(args.kver or DEFAULT_KVER)
	kernel_version(tree)
	if args.what == 'select':
		sel = select(tree)
		sys.stdout.write(format_selection(sel))
		print('objects the denominator touches (--touched-only profiles these alone): '
		      + ' '.join(objects(sel)))
		return 0
	if args.what == 'report':
		os.makedirs(args.results, exist_ok=True)
		try:
			with open(os.path.join(args.results, 'head.txt'), encoding='utf-8') as f:
				head = f.read().strip()
		except OSError:
			head = f'Linux {kernel_version(tree)}, {ARCH}.'
		sel = select(tree)
		write_denominator(sel, os.path.join(args.results, 'denominator.txt'))
		with open(os.path.join(args.results, 'tools.log'), 'w', encoding='utf-8') as tlog:
			report(tree, sel, args.results, args.doc or None, head, tlog)
		with open(os.path.join(args.results, 'summary.txt'), encoding='utf-8') as f:
			sys.stdout.write(f.read())
		return 0
	check_build_path(tree, 'the kernel tree')
	check_build_path(cache_dir(), 'the cache')
	# As tools/run.py: the tree's lock for the whole run, what a dead run
	# left in it undone first, the suites installed into a --kdir tree for
	# this run only (a journal entry, should this run die).
	with lock.Lock(tree, f'the kernel tree {tree}', 'coverage', out=sys.stdout):
		journal.recover('coverage', tree, out=sys.stdout)
		was_installed = zinstall.status(tree) is not None
		entry = None if not args.kdir or was_installed else \
			journal.Entry('install', tree, 'the suites installed for one coverage run')
		try:
			zinstall.install(tree, entry)
			return run(tree, args.results, args.accel, args.timeout, args.jobs,
				   args.doc or None, args.touched_only, args.no_build)
		finally:
			if entry is not None and entry.is_open:
				zinstall.uninstall(tree)
				entry.close()


if __name__ == '__main__':
	main_wrapper('coverage', main)
