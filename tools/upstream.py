#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""upstream: the suites as a patch series for linux-mm (make series).

Writes a git format-patch series against a git kernel tree's HEAD that adds
mm/tests/ files the way an upstream KUnit test sits in mm/: first one patch
per mm-internal function the fixture calls, exporting it for KUnit
(EXPORT_SYMBOL_IF_KUNIT, from patches/kunit-exports/; none for one the tree
exports), so that the modules call them as the built-in suites do; the
fixture (fixture, compat header, mm/tests/.kunitconfig with the suites, its
Kconfig symbol, its Makefile line and a MAINTAINERS section), then one patch per suite (its file, its Kconfig entry
inside the Memory Management menu, after the existing mm/tests entries, its
Makefile line after theirs, its MAINTAINERS F: line).  Each commit message
is the suite's Kconfig help, the rule of each case (from the case's own
comment, as docs/semantics.md has it) and the commits its cases guard,
written as 'commit <sha> ("<subject>")'.  The cover letter is built from
docs/semantics.md (kernels, runs, the arch differences) and names the
kernel bugs the suites found with their fixes in patches/fixes/.

The commits are made in a temporary git worktree of the tree (removed
afterwards): the tree itself, its branch and its files are not touched.
The compat header goes in resolved for the tree's version: each
ZDT_KERNEL_AT_LEAST() decided, the dead #if branches removed (unifdef), no
LINUX_VERSION_CODE left; the repository's header keeps every kernel's form.
In a tree that exports the functions, every #if of ZDT_KUNIT_EXPORTS (the
caps header) is resolved the same way: no built-in-only fallback is left.
Every patch is then checked with the tree's scripts/checkpatch.pl --strict,
nothing switched off but UNKNOWN_COMMIT_ID in a tree without the history;
exit 1 if one is not clean, 2 bad input.  Prints the output directory."""

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from typing import Dict, List, NamedTuple, Optional, Tuple, Union

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import journal  # noqa: E402
import lock  # noqa: E402
import matrix  # noqa: E402
from common import REPO, ToolError, kernel_version, main_wrapper  # noqa: E402

SRC = os.path.join(REPO, 'mm-tests')
FIXTURE = 'ZONE_DEVICE_KUNIT_FIXTURE'
SECTION = 'MEMORY MANAGEMENT - ZONE_DEVICE KUNIT TESTS'


def kconfig_entries() -> List[Tuple[str, str]]:
	"""(symbol, entry text) of mm-tests/Kconfig, in order."""
	with open(os.path.join(SRC, 'Kconfig'), encoding='utf-8') as f:
		text = f.read()
	parts = re.split(r'^(?=config )', text, flags=re.M)
	return [(re.match(r'config (\w+)', p).group(1), p.rstrip('\n') + '\n')
		for p in parts if p.startswith('config ')]


KUNITCONFIG = '.kunitconfig'
COMPAT = 'zone_device_compat.h'


def fixture_files() -> List[str]:
	"""The fixture's files: every source of mm-tests/ but the suites, and
	mm-tests/.kunitconfig (the suites for kunit.py --kunitconfig=mm/tests)."""
	return sorted([os.path.basename(p) for p in glob.glob(os.path.join(SRC, '*.[ch]'))
		       if not p.endswith('_kunit.c')] + [KUNITCONFIG])


# ---------------------------------------------------------------------------
# The compat header for one kernel: every ZDT_KERNEL_AT_LEAST() decided, the
# dead branches out (unifdef), no LINUX_VERSION_CODE left.

AT_LEAST = re.compile(r'\bZDT_KERNEL_AT_LEAST\((\d+),\s*(\d+)\)')
# The macro's definition, with the comment line above it.
AT_LEAST_DEF = re.compile(r'^(?:/\*[^\n]*\*/\n)?#define ZDT_KERNEL_AT_LEAST\(.*\\\n.*\n\n?', re.M)
IF_LINE = re.compile(r'^(#\s*(?:if|elif))\b((?:.*\\\n)*.*)$', re.M)
Expr = Union[int, str, Tuple[str, list]]	# 0/1, an atom's text, ('&&'|'||'|'!', operands)


def parse_condition(text: str, consts: Dict[str, int]) -> Optional[Expr]:
	"""An #if expression of &&, ||, !, parentheses, numbers, identifiers and
	calls (defined(X), IS_BUILTIN(X)) with the constants folded in; None
	for anything else (left as it is)."""
	toks = re.findall(r'&&|\|\||!|\(|\)|\w+|\S', text.replace('\\\n', ' '))
	pos = [0]

	def peek() -> Optional[str]:
		return toks[pos[0]] if pos[0] < len(toks) else None

	def take() -> str:
		pos[0] += 1
		return toks[pos[0] - 1]

	def primary() -> Expr:
		t = take()
		if t == '!':
			return ('!', [primary()])
		if t == '(':
			e = either()
			if take() != ')':
				raise ValueError(text)
			return e
		if re.fullmatch(r'\d+', t):
			return int(int(t) != 0)
		if not re.fullmatch(r'[A-Za-z_]\w*', t):
			raise ValueError(text)
		if peek() == '(':
			args = [take()]
			while args[-1] != ')':
				args.append(take())
			return t + ''.join(args)
		return consts.get(t, t)

	def chain(op: str, sub) -> Expr:
		items = [sub()]
		while peek() == op:
			take()
			items.append(sub())
		return items[0] if len(items) == 1 else (op, items)

	def both() -> Expr:
		return chain('&&', primary)

	def either() -> Expr:
		return chain('||', both)

	try:
		e = either()
	except (ValueError, IndexError):
		return None
	return e if peek() is None else None


def fold(e: Expr) -> Expr:
	"""e with every constant operand folded away."""
	if not isinstance(e, tuple):
		return e
	op, args = e[0], [fold(a) for a in e[1]]
	if op == '!':
		return 1 - args[0] if isinstance(args[0], int) else ('!', args)
	absorbing, neutral = (0, 1) if op == '&&' else (1, 0)
	if absorbing in args:
		return absorbing
	args = [a for a in args if a != neutral]
	return neutral if not args else args[0] if len(args) == 1 else (op, args)


def show(e: Expr, outer: str = '||') -> str:
	if not isinstance(e, tuple):
		return str(e)
	if e[0] == '!':
		return '!' + show(e[1][0], '!')
	text = f' {e[0]} '.join(show(a, e[0]) for a in e[1])
	return text if e[0] == outer or outer == '||' and e[0] == '&&' else f'({text})'


def has_const(e: Expr) -> bool:
	return isinstance(e, int) or isinstance(e, tuple) and any(map(has_const, e[1]))


def derived_constants(text: str) -> Dict[str, int]:
	"""ZDT_ symbols the text defines once, to 0 or 1, outside any #if."""
	defs = re.findall(r'^#define (ZDT_\w+)[ \t]+(\S+)[ \t]*$', text, re.M)
	counts: Dict[str, int] = {}
	for sym, _ in defs:
		counts[sym] = counts.get(sym, 0) + 1
	depth, top = 0, set()
	for line in text.splitlines():
		if re.match(r'#\s*if', line):
			depth += 1
		elif re.match(r'#\s*endif', line):
			depth -= 1
		m = re.match(r'#define (ZDT_\w+)[ \t]+[01][ \t]*$', line)
		if m and depth == 1:	# inside the include guard only
			top.add(m.group(1))
	return {s: int(v) for s, v in defs if v in ('0', '1') and counts[s] == 1 and s in top}


def unifdef(text: str) -> str:
	"""text with the branches of constant #if lines resolved (unifdef -k)."""
	if not shutil.which('unifdef'):
		raise ToolError('unifdef not found: make deps (tools/deps.sh series) installs it')
	p = subprocess.run(['unifdef', '-k'], input=text, capture_output=True, text=True,
			   check=False)
	if p.returncode not in (0, 1):
		raise ToolError(f'unifdef: {p.stderr.strip()}')
	return p.stdout


def blank_after_functions(text: str) -> str:
	"""A blank line after each function body that the removed branches
	left followed by something else (checkpatch's LINE_SPACING) than its
	EXPORT_SYMBOL."""
	return re.sub(r'^\}\n(?!\n|#\s*(?:endif|else|elif)\b|EXPORT_SYMBOL)', '}\n\n', text,
		      flags=re.M)


def resolve_compat(text: str, version: Tuple[int, int]) -> str:
	"""The compat header for a kernel of version (major, minor): each
	ZDT_KERNEL_AT_LEAST() decided, then every #if whose value that fixes
	(also through a ZDT_ flag now defined to 0 or 1) resolved and its dead
	branch removed; no LINUX_VERSION_CODE left."""
	text = AT_LEAST_DEF.sub('', text, count=1)
	text = re.sub(r'^#include <linux/version\.h>\n', '', text, flags=re.M)
	text = AT_LEAST.sub(lambda m: str(int((int(m.group(1)), int(m.group(2))) <= version)), text)
	text = re.sub(r'\b([01]) \? (\w+) : (\w+)', lambda m: m.group(3 - int(m.group(1))), text)
	text = resolve_ifs(text, {})
	for word in ('LINUX_VERSION_CODE', 'KERNEL_VERSION', 'ZDT_KERNEL_AT_LEAST'):
		if word in text:
			raise ToolError(f'{COMPAT} still has {word} for {version[0]}.{version[1]}')
	return text


def resolve_ifs(text: str, given: Dict[str, int]) -> str:
	"""text with every #if whose value the given constants, or the ZDT_
	flags text defines to 0 or 1, fix resolved and its dead branch removed
	(unifdef -k); no run of blank lines left."""
	while True:
		consts = {**derived_constants(text), **given}

		def one(m: 're.Match[str]') -> str:
			e = parse_condition(m.group(2), consts)
			if e is None or not has_const(e):
				return m.group(0)
			cond = show(fold(e))
			d = re.fullmatch(r'(!?)defined\((\w+)\)', cond)
			if d and m.group(1) == '#if':	# #if defined(X) -> #ifdef X
				return f'#if{"n" if d.group(1) else ""}def {d.group(2)}'
			return f'{m.group(1)} {cond}'
		new = unifdef(IF_LINE.sub(one, text))
		if new == text:
			break
		text = new
	return re.sub(r'\n{3,}', '\n\n', blank_after_functions(text))


# ---------------------------------------------------------------------------
# The exports for KUnit: one patch per mm-internal function the fixture
# calls, from patches/kunit-exports/ (headers, a blank line, the commit
# message), made on the tree's own source, so the same text serves every
# kernel (lru_add_drain_all() is in mm/swap.c up to 7.2, mm/folio.c from
# 7.3).  A function the tree exports already gets no patch.  A tree that
# exports them all gets the fixture and suites with ZDT_KUNIT_EXPORTS
# resolved to 1 (the modules call them); otherwise the repository's form.

EXPORTS_DIR = os.path.join(REPO, 'patches', 'kunit-exports')
KUNIT_EXPORTS = 'ZDT_KUNIT_EXPORTS'
# Its definition in zone_device_caps.h, with the comment above it.
KUNIT_EXPORTS_DEF = re.compile(r'^(?:/\*(?:[^*]|\*(?!/))*\*/\n)?#define ZDT_KUNIT_EXPORTS\s+0\n\n?',
			       re.M)
# What is only there when the exports are not.
NO_EXPORTS_WORDS = (KUNIT_EXPORTS, 'ZDT_FIXTURE_BUILT_IN', 'ZDT_NO_KERNEL_CLONE',
		    'ZDT_NO_MPROTECT_FIXUP', 'ZDT_NO_MADVISE', 'ZDT_NO_MMAP_PGOFF', 'asm/tlb.h',
		    'ZDT_NO_NUMA_SCAN \\\n')


class Export(NamedTuple):
	symbol: str
	files: List[str]		# where it is defined: the first that exists
	declare_in: Optional[str]	# for a static function: the header for KUnit
	needed_by: List[str]		# the cases that call it, as suite.case
	message: str			# the commit message


def kunit_exports(directory: str = EXPORTS_DIR) -> List[Export]:
	"""The exports of patches/kunit-exports/, in the order of their files."""
	out = []
	for path in sorted(glob.glob(os.path.join(directory, '*.txt'))):
		with open(path, encoding='utf-8') as f:
			head, _, message = f.read().partition('\n\n')
		fields: Dict[str, List[str]] = {}
		for line in head.splitlines():
			key, _, value = line.partition(':')
			fields.setdefault(key.strip(), []).append(value.strip())
		try:
			out.append(Export(fields['Symbol'][0], fields['File'][0].split(),
					  (fields.get('Declare-in') or [None])[0],
					  fields.get('Needed-by', []), message.strip() + '\n'))
		except KeyError as e:
			raise ToolError(f'{path}: no {e.args[0]}: header') from None
	return out


def exported(text: str, symbol: str) -> bool:
	return re.search(rf'^EXPORT_SYMBOL\w*\(\s*{symbol}\s*[,)]', text, re.M) is not None


def defining_file(tree: str, e: Export) -> Tuple[str, str]:
	"""(path, text) of the first of e.files in the tree that defines it."""
	for rel in e.files:
		path = os.path.join(tree, rel)
		if os.path.exists(path):
			with open(path, encoding='utf-8') as f:
				text = f.read()
			if definitions(text, e.symbol):
				return path, text
	raise ToolError(f'no definition of {e.symbol}() in {" or ".join(e.files)}')


def definitions(text: str, symbol: str) -> List['re.Match[str]']:
	"""Each definition of the function (one per #if branch): its head
	(return type on the same line), parameters, and body to the '}' in
	column 0; for a variable, its line (type, name, initializer)."""
	functions = list(re.finditer(rf'^((?:static\s+)?[A-Za-z_][^\n;{{}}()]*[\s*]){symbol}'
				     rf'\(([^;{{}}]*)\)\n\{{\n(?:.*\n)*?\}}\n', text, re.M))
	return functions or list(re.finditer(
		rf'^((?:static\s+)?[A-Za-z_][\w ]*[\s*]){symbol}(\s*=[^;]*)?;\n', text, re.M))


def prototype(head: str, symbol: str, params: str, end: str = ');') -> str:
	"""The declaration (or, with end=')', a definition's first lines),
	wrapped as checkpatch wants it: aligned with the open parenthesis, 80
	columns."""
	start = f'{head.strip()} {symbol}('
	col = len(start)
	indent = '\t' * (col // 8) + ' ' * (col % 8)
	lines, line = [], start
	for i, p in enumerate(' '.join(params.split()).split(', ')):
		word = p + (', ' if i < params.count(',') else end)
		if line != start and len(line.expandtabs(8)) + len(word.rstrip()) > 80:
			lines.append(line.rstrip())
			line = indent
		line += word
	return '\n'.join(lines + [line]) + '\n'


def add_export(tree: str, e: Export) -> List[str]:
	"""EXPORT_SYMBOL_IF_KUNIT(e.symbol) after each of its definitions (a
	static one made VISIBLE_IF_KUNIT and declared in e.declare_in for
	KUnit), <kunit/visibility.h> included; the files changed, relative to
	the tree."""
	path, text = defining_file(tree, e)
	changed = [os.path.relpath(path, tree)]
	decl = None
	for m in reversed(definitions(text, e.symbol)):
		head = m.group(1)
		if head.startswith('static'):
			if not m.group(0).rstrip().endswith('}'):
				raise ToolError(f'{e.symbol} is a static variable in {changed[0]}: '
						'export a function that reaches it instead')
			if not e.declare_in:
				raise ToolError(f'{e.symbol}() is static in {changed[0]}: '
						'its entry needs a Declare-in: header')
			head = re.sub(r'^static\s+', '', head)
			decl = prototype(head, e.symbol, m.group(2))
			# The parameters aligned anew: VISIBLE_IF_KUNIT moves the parenthesis.
			body = m.group(0)[m.group(0).index(')\n{\n') + 2:]
			defn = prototype('VISIBLE_IF_KUNIT ' + head, e.symbol, m.group(2), ')') + body
		else:
			defn = m.group(0)
		text = (text[:m.start()] + defn + f'EXPORT_SYMBOL_IF_KUNIT({e.symbol});\n' +
			text[m.end():])
	if '#include <kunit/visibility.h>' not in text:
		includes = list(re.finditer(r'^#include <linux/[^>]+>.*\n', text, re.M))
		if not includes:
			raise ToolError(f'{changed[0]} has no #include <linux/...> to add '
					'<kunit/visibility.h> after')
		at = includes[-1].end()
		text = text[:at] + '#include <kunit/visibility.h>\n' + text[at:]
	with open(path, 'w', encoding='utf-8') as f:
		f.write(text)
	if decl:
		hpath = os.path.join(tree, e.declare_in)
		with open(hpath, encoding='utf-8') as f:
			htext = f.read()
		guard = list(re.finditer(r'^#endif.*\n?', htext, re.M))
		if not guard:
			raise ToolError(f'{e.declare_in} has no #endif (include guard) to declare before')
		block = (f'#if IS_ENABLED(CONFIG_KUNIT)\n/* {changed[0]}, for KUnit tests */\n'
			 f'{decl}#endif\n\n')
		at = guard[-1].start()
		with open(hpath, 'w', encoding='utf-8') as f:
			f.write(htext[:at] + block + htext[at:])
		changed.append(e.declare_in)
	return changed


def exports_in(tree: str, exports: List[Export]) -> bool:
	"""Whether the tree exports every function of exports."""
	for e in exports:
		try:
			_, text = defining_file(tree, e)
		except ToolError:
			return False
		if not exported(text, e.symbol):
			return False
	return True


def resolve_exports(text: str, name: str) -> str:
	"""A fixture or suite file for a tree that exports the functions: every
	#if of ZDT_KUNIT_EXPORTS resolved (its definition in the caps header
	gone), and nothing left that only a tree without them needs."""
	if KUNIT_EXPORTS not in text:
		return text
	text = resolve_ifs(KUNIT_EXPORTS_DEF.sub('', text, count=1), {KUNIT_EXPORTS: 1})
	for word in NO_EXPORTS_WORDS:
		if word in text:
			raise ToolError(f'{name} still has {word} with the exports')
	return text


def makefile_lines() -> Dict[str, str]:
	"""symbol -> its mm/Makefile lines: its obj- line and the lines after it
	up to the next obj- line (the fixture's composite object), without
	comments."""
	stanzas: Dict[str, str] = {}
	symbol = None
	with open(os.path.join(SRC, 'Makefile'), encoding='utf-8') as f:
		for line in f:
			m = re.match(r'obj-\$\(CONFIG_(\w+)\) \+= ', line)
			if m:
				symbol = m.group(1)
				stanzas[symbol] = line
			elif symbol and line.strip() and not line.startswith('#'):
				stanzas[symbol] += line
	return stanzas


def help_text(entry: str) -> str:
	"""The help paragraph(s) of a Kconfig entry, dedented, without 'If unsure'."""
	m = re.search(r'^\thelp\n((?:\t  .*\n|\n)+)', entry, re.M)
	lines = [l[3:] for l in (m.group(1) if m else '').splitlines()]
	text = '\n'.join(lines).strip()
	return re.sub(r'\n*If unsure, say N\.$', '', text).strip()


def prompt(entry: str) -> str:
	m = re.search(r'^\ttristate "([^"]+)"', entry, re.M)
	return m.group(1) if m else 'the fixture of the ZONE_DEVICE KUnit tests'


def git(tree: str, *args: str, check: bool = True) -> str:
	p = subprocess.run(['git', '-C', tree, *args], capture_output=True, text=True, check=False)
	if check and p.returncode:
		raise ToolError(f'git {" ".join(args[:2])} in {tree}: '
				f'{(p.stderr.strip().splitlines() or ["failed"])[-1]}')
	return p.stdout


def insert_after_last(text: str, anchor: str, block: str) -> str:
	"""block after the last line matching the regex anchor (and its
	paragraph, for a Kconfig entry); the text must have one."""
	matches = list(re.finditer(anchor, text, re.M))
	if not matches:
		raise ToolError(f'no line matching {anchor!r} to insert after')
	end = text.find('\n\n', matches[-1].end())
	end = len(text) if end < 0 else end + 1
	return text[:end] + ('\n' if not block.startswith('\n') else '') + block + text[end:]


def add_kconfig(path: str, entry: str) -> None:
	with open(path, encoding='utf-8') as f:
		text = f.read()
	# After the last mm/tests entry (a *_KUNIT_TEST or our fixture), inside
	# the Memory Management menu.
	anchor = r'^config (\w+_KUNIT_TEST|' + FIXTURE + r')$'
	if not re.search(anchor, text, re.M):
		anchor = r'^config \w+$'
	with open(path, 'w', encoding='utf-8') as f:
		f.write(insert_after_last(text, anchor, entry))


def add_makefile(path: str, line: str) -> None:
	with open(path, encoding='utf-8') as f:
		text = f.read()
	# After the last line that ends in a test object (not a continued one).
	matches = list(re.finditer(r'^[^#\n]*\btests/\S+\.o\n', text, re.M))
	at = matches[-1].end() if matches else len(text)
	with open(path, 'w', encoding='utf-8') as f:
		f.write(text[:at] + line + text[at:])


def add_maintainers(path: str, files: List[str], ident: str) -> None:
	"""The section (made after 'MEMORY MANAGEMENT - USERFAULTFD', or the
	last MEMORY MANAGEMENT one) with these F: lines added, sorted."""
	with open(path, encoding='utf-8') as f:
		text = f.read()
	if SECTION not in text:
		heads = [m for m in re.finditer(r'^MEMORY MANAGEMENT - .*$', text, re.M)
			 if m.group(0) < SECTION]
		if not heads:
			raise ToolError(f'{path} has no MEMORY MANAGEMENT section')
		section = (f'{SECTION}\nM:\t{ident}\nL:\tlinux-mm@kvack.org\nS:\tMaintained\n')
		text = insert_after_last(text, re.escape(heads[-1].group(0)) + '$', section)
	start = text.index(SECTION + '\n')
	end = text.find('\n\n', start)
	body = text[start:end].splitlines()
	fs = sorted({l for l in body if l.startswith('F:\t')} | {f'F:\tmm/tests/{f}' for f in files})
	body = [l for l in body if not l.startswith('F:\t')] + fs
	with open(path, 'w', encoding='utf-8') as f:
		f.write(text[:start] + '\n'.join(body) + text[end:])


SHA = re.compile(r'\b([0-9a-f]{12})\b(?: \("([^"]*)"\)| "([^"]*)")?')


def subjects(all_rules: List[Tuple[str, str, List[str]]]) -> Dict[str, str]:
	"""sha -> subject of every commit a case cites with its subject."""
	out: Dict[str, str] = {}
	for _, rule, _ in all_rules:
		for m in SHA.finditer(rule):
			if m.group(2) or m.group(3):
				out.setdefault(m.group(1), m.group(2) or m.group(3))
	return out


def kernel_style(rule: str, known: Dict[str, str]) -> str:
	"""A rule's commit ids in the kernel's 'commit <sha> ("<subject>")'
	form (checkpatch's GIT_COMMIT_ID); an id whose subject no case gives is
	left out."""
	def one(m: 're.Match[str]') -> str:
		subj = m.group(2) or m.group(3) or known.get(m.group(1))
		return f'commit {m.group(1)} ("{subj}")' if subj else ''
	text = re.sub(r'\s{2,}', ' ', SHA.sub(one, rule))
	return re.sub(r'\(\s+', '(', re.sub(r'\s+([,.;)])', r'\1', text)).strip()


def wrap(text: str, indent: str, more: str = '') -> str:
	"""text filled to 72 columns, never breaking 'commit <sha>' apart (so
	checkpatch finds the id and its subject)."""
	text = re.sub(r'\bcommit ([0-9a-f]{12})\b', 'commit\0\\1', text)
	return textwrap.fill(text, 72, initial_indent=indent, subsequent_indent=more or indent,
			     break_on_hyphens=False, break_long_words=False).replace('\0', ' ')


def suite_message(symbol: str, entry: str, src: str) -> str:
	"""Subject and body of one suite's commit."""
	all_rules = matrix.rules()
	known = subjects(all_rules)
	rules = {c.split('.', 1)[1]: (kernel_style(r, known), cites) for c, r, cites in all_rules}
	with open(src, encoding='utf-8') as f:
		cases = list(dict.fromkeys(re.findall(r'KUNIT_CASE\w*\((\w+)', f.read())))
	title = prompt(entry)
	subject = 'mm/tests: add ' + title
	body = [help_text(entry), '', 'Each case checks one rule:']
	guarded: Dict[str, str] = {}	# sha -> subject ('' until a case names it)
	for c in cases:
		rule, cites = rules.get(c, ('', []))
		body += ['', f'- {c}', wrap(rule, '  ')]
		for cite in cites:
			m = re.match(r'([0-9a-f]{12})(?: "(.*)")?$', cite)
			if m:
				guarded[m.group(1)] = guarded.get(m.group(1)) or m.group(2) or ''
	# Only commits a case names with their subject: the kernel's
	# 'commit <sha> ("<subject>")' form needs both.
	named = [(sha, subj or known.get(sha, '')) for sha, subj in guarded.items()]
	named = [(sha, subj) for sha, subj in named if subj]
	if named:
		body += ['', 'The cases guard what these commits established:', '']
		for sha, subj in named:
			body.append(wrap(f'commit {sha} ("{subj}")', '  ', '    '))
	return subject + '\n\n' + '\n'.join(body) + '\n'


def fixture_message() -> str:
	return ('mm/tests: add a fixture for ZONE_DEVICE KUnit tests\n\n'
		'GPU and accelerator drivers (Xe SVM, amdgpu/KFD, nouveau) and lib/test_hmm\n'
		'rely on what core mm promises for device memory: the refcount a\n'
		'dev_pagemap page starts at, when migrate_to_ram() runs and with which\n'
		'lock, what GUP, fork(), hmm_range_fault() and migrate_vma_*() do with\n'
		'device-private and device-coherent folios.  Nothing tests those rules\n'
		'inside the kernel.\n\n'
		'Add what the suites that follow share: fake devices (a dev_pagemap of\n'
		'each type, with counting ops and a bounded teardown), user memory moved\n'
		'to a device as a driver moves it, bounded helper threads, per-case data\n'
		'no earlier case wrote, and a kernel-log watch that fails a case on a\n'
		'splat.  Device-private memory needs no RAM (request_free_mem_region(),\n'
		'as lib/test_hmm.c); device-coherent memory needs RAM the kernel does\n'
		'not use, given as zone_device_fixture.coherent=SIZE@START.  The compat\n'
		'header is the one place that knows kernel versions.\n')


def cover_letter(n: int, exports: int = 0) -> Tuple[str, str]:
	"""Subject and blurb of the cover letter of n patches after exports
	export patches."""
	doc = os.path.join(REPO, 'docs', 'semantics.md')
	with open(doc, encoding='utf-8') as f:
		text = f.read()
	runs = re.search(r'^## Runs\n\n((?:- .*\n)+)', text, re.M)
	arch = re.findall(r'^## (\S+ [\d.]+ against x86_64 [\d.]+)\n\n((?:- .*\n|Every .*\n)+)',
			  text, re.M)
	fixes = sorted(os.path.basename(p) for p in glob.glob(os.path.join(REPO, 'patches/fixes/*.patch')))
	intro = ('This series adds KUnit tests for what core mm promises to drivers of device memory '
		 '(ZONE_DEVICE): dev_pagemap refcounts and lifecycle, GUP pins, CPU faults on '
		 'device-private pages (PTE and PMD), migrate_vma_*() and migrate_device_*(), '
		 'hmm_range_fault() with mmu interval notifiers, and make_device_exclusive().  ')
	if exports:
		intro += (f'Patches 1-{exports} export the mm-internal symbols the tests use for '
			  'KUnit only (EXPORT_SYMBOL_IF_KUNIT), one each, so that the tests also run '
			  f'as modules.  Patch {exports + 1}')
	else:
		intro += 'Patch 1'
	intro += (f' is the fixture the suites share; patches {exports + 2}-{exports + n} add '
		  'one suite each, every case named after the rule it checks, with the commit that '
		  'defines it.')
	blurb = textwrap.wrap(intro, 72, break_on_hyphens=False, break_long_words=False) + ['',
		 'Results (QEMU, TCG; from docs/semantics.md of the project):', '']
	def wrap(line: str) -> str:
		line = line.replace('fix: patches/fixes/', 'fix sent separately: ')
		# A `suite.case` too long for a 75-column line: the case, then its suite.
		line = re.sub(r'`(\w+)\.(\w+)`', lambda m: m.group(0) if len(m.group(0)) < 68
			      else f'{m.group(2)} ({m.group(1)})', line)
		return textwrap.fill(line, 72, subsequent_indent='  ', break_on_hyphens=False,
				     break_long_words=False)
	blurb += [wrap(l) for l in (runs.group(1).splitlines() if runs else [])]
	for heading, lines in arch:
		blurb += ['', heading + ':'] + [wrap(l) for l in lines.splitlines()]
	if fixes:
		blurb += ['', 'Kernel bugs the suites found, with fixes sent separately:', '']
		blurb += [f'- {f[5:-6]}' for f in fixes]
	return 'mm/tests: KUnit tests for ZONE_DEVICE semantics', '\n'.join(blurb)


# Nothing is switched off but, in every patch, UNKNOWN_COMMIT_ID, when the tree's git has no history
# (a Debian source committed once): checkpatch then calls every cited
# commit and Fixes: id unknown.  In a tree with the history it is checked.
NO_HISTORY_IGNORES = 'UNKNOWN_COMMIT_ID'


def has_history(tree: str) -> bool:
	"""Whether the tree's git knows the commits the cases cite (one of them)."""
	return subprocess.run(['git', '-C', tree, 'cat-file', '-e', 'b570f37a2ce4^{commit}'],
			      capture_output=True, check=False).returncode == 0


def checkpatch(tree: str, patches: List[str]) -> List[str]:
	"""One line per patch that scripts/checkpatch.pl --strict does not pass
	(run in the tree, so that it looks cited commits up in its git)."""
	script = os.path.join(tree, 'scripts/checkpatch.pl')
	if not os.path.exists(script):
		return []
	bad = []
	env = {k: v for k, v in os.environ.items() if k != 'GIT_DIR'}
	# scripts/spdxcheck.py runs under the python3 in PATH and needs Debian's
	# python3-ply (tools/deps.sh): Debian's own python3 first.
	env['PATH'] = '/usr/bin' + os.pathsep + env.get('PATH', '')
	history = has_history(tree)
	for p in patches:
		ignore = [] if history else ['--ignore', NO_HISTORY_IGNORES]
		r = subprocess.run(['perl', script, '--strict', '--quiet', *ignore, p], cwd=tree,
				   capture_output=True, text=True, env=env, check=False)
		if r.returncode or r.stdout.strip():
			first = (r.stdout.strip().splitlines() or ['failed'])[0]
			bad.append(f'{os.path.basename(p)}: {first}')
	return bad


def put(name: str, dest: str, version: Tuple[int, ...], exports: bool = False) -> None:
	"""mm-tests/<name> as the series has it at dest: the compat header
	resolved for the tree's version; with exports (the tree exports the
	functions for KUnit) ZDT_KUNIT_EXPORTS resolved; .kunitconfig after the
	lines of one the tree has; every other file as it is."""
	with open(os.path.join(SRC, name), encoding='utf-8') as f:
		text = f.read()
	if exports:
		text = resolve_exports(text, name)
	if name == COMPAT:
		text = resolve_compat(text, (version[0], version[1]))
	elif name == KUNITCONFIG and os.path.exists(dest):
		with open(dest, encoding='utf-8') as f:
			theirs = f.read()
		text = theirs + ('\n' if theirs.endswith('\n') else '\n\n') + text
	with open(dest, 'w', encoding='utf-8') as f:
		f.write(text)


def make_series(tree: str, out: str) -> List[str]:
	"""The patch files written to out (cover letter first)."""
	if not os.path.exists(os.path.join(tree, '.git')):
		raise ToolError(f'{tree} is not a git tree (make series needs one to commit in)')
	if git(tree, 'status', '--porcelain', '--untracked-files=no').strip():
		raise ToolError(f'{tree} has uncommitted changes: commit or stash them first')
	if glob.glob(os.path.join(tree, 'mm/tests/zone_device_*')):
		raise ToolError(f'{tree} has mm/tests/zone_device_* already (tools/install.py '
				'uninstall, or a tree without the suites)')
	if os.path.exists(out) and os.listdir(out):
		raise ToolError(f'{out} is not empty')
	ident = re.sub(r' \d+ [+-]\d{4}$', '', git(tree, 'var', 'GIT_AUTHOR_IDENT').strip())
	entries = kconfig_entries()
	lines = makefile_lines()
	head = git(tree, 'rev-parse', 'HEAD').strip()
	version = tuple(int(x) for x in kernel_version(tree).split('.')[:2])
	wt = tempfile.mkdtemp(prefix='zdt-series-')
	os.rmdir(wt)
	# A journal entry first: a run killed with SIGKILL leaves a worktree
	# registered in the tree's .git, which the next run removes (undo()).
	wt_entry = journal.Entry('worktree', tree, 'a detached worktree for make series').open(path=wt)
	git(tree, 'worktree', 'add', '--quiet', '--detach', wt, head)
	try:
		commit = ['git', '-C', wt, 'commit', '--quiet', '--signoff', '-F', '-']
		for e in kunit_exports():
			_, text = defining_file(wt, e)
			if exported(text, e.symbol):
				continue
			files = add_export(wt, e)
			# -f: a tree whose .gitignore covers it (Debian's source: /*).
			git(wt, 'add', '-f', *files)
			p = subprocess.run(commit, input=e.message, capture_output=True, text=True,
					   check=False)
			if p.returncode:
				raise ToolError(f'git commit in {wt}: {p.stderr.strip()}')
		exports = exports_in(wt, kunit_exports())
		steps = []
		for symbol, entry in entries:
			if symbol == FIXTURE:
				steps.insert(0, (symbol, entry, fixture_files(), fixture_message()))
				continue
			obj = re.search(r'tests/(\S+)\.o', lines[symbol]).group(1)
			steps.append((symbol, entry, [obj + '.c'],
				      suite_message(symbol, entry, os.path.join(SRC, obj + '.c'))))
		for symbol, entry, files, msg in steps:
			os.makedirs(os.path.join(wt, 'mm/tests'), exist_ok=True)
			for f in files:
				put(f, os.path.join(wt, 'mm/tests', f), version, exports)
			add_kconfig(os.path.join(wt, 'mm/Kconfig'), entry)
			add_makefile(os.path.join(wt, 'mm/Makefile'), lines[symbol])
			add_maintainers(os.path.join(wt, 'MAINTAINERS'), files, ident)
			git(wt, 'add', '-f', 'MAINTAINERS', 'mm/Kconfig', 'mm/Makefile',
			    *(f'mm/tests/{f}' for f in files))
			p = subprocess.run(commit, input=msg, capture_output=True, text=True,
					   check=False)
			if p.returncode:
				raise ToolError(f'git commit in {wt}: {p.stderr.strip()}')
		os.makedirs(out, exist_ok=True)
		files_out = git(wt, 'format-patch', '--cover-letter', '-o', out,
				f'{head}..HEAD').split()
		subject, blurb = cover_letter(len(steps), len(files_out) - 1 - len(steps))
		cover = files_out[0] if files_out else None
		if cover:
			with open(cover, encoding='utf-8') as f:
				text = f.read()
			text = text.replace('*** SUBJECT HERE ***', subject)
			text = text.replace('*** BLURB HERE ***', blurb)
			with open(cover, 'w', encoding='utf-8') as f:
				f.write(text)
		return files_out or sorted(glob.glob(os.path.join(out, '*.patch')))
	finally:
		git(tree, 'worktree', 'remove', '--force', wt, check=False)
		shutil.rmtree(wt, ignore_errors=True)
		wt_entry.close()


def undo(data: dict) -> str:
	"""journal.py's handler: the worktree a dead make series added."""
	tree, wt = data['tree'], data['undo']['path']
	subprocess.run(['git', '-C', tree, 'worktree', 'remove', '--force', wt], capture_output=True,
		       check=False)
	shutil.rmtree(wt, ignore_errors=True)
	subprocess.run(['git', '-C', tree, 'worktree', 'prune'], capture_output=True, check=False)
	return f'removed the worktree {wt} it had added'


def main() -> int:
	ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	ap.add_argument('--kdir', required=True, help='a clean git kernel tree (the series base: HEAD)')
	ap.add_argument('--out', default=os.path.join(REPO, 'results', 'series'))
	args = ap.parse_args()
	tree = os.path.abspath(os.path.expanduser(args.kdir))
	out = os.path.abspath(os.path.expanduser(args.out))
	if os.path.isdir(out):
		shutil.rmtree(out)
	with lock.Lock(tree, f'the kernel tree {tree}', 'series'):
		journal.recover('series', tree)
		patches = make_series(tree, out)
	bad = checkpatch(tree, patches)
	for b in bad:
		print(f'series: checkpatch --strict: {b}')
	if not has_history(tree):
		print(f'series: {tree} has no git history of the cited commits: checkpatch ran '
		      f'with --ignore {NO_HISTORY_IGNORES}')
	print(f'series: {len(patches)} files in {out} (cover letter and {len(patches) - 1} patches); '
	      f'checkpatch --strict: {"clean" if not bad else f"{len(bad)} not clean"}')
	return 1 if bad else 0


if __name__ == '__main__':
	main_wrapper('series', main)
