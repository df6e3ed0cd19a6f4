# SPDX-License-Identifier: GPL-2.0
"""results: the verdicts of a run, read with kunit.py's own parser.

kunit_parser.parse_run_tests() (from the kernel tree that ran the suites)
turns the KTAP into a tree of tests with status, name, log lines and skip
reason.  This module only folds that tree into one verdict per case and
splits a case's log lines into its failure blocks; every tool (run, gate,
mutants, matrix, selftest, flake) reads results through it.

Verdicts: PASS, FAIL, SKIP, CRASH (kunit_parser's TEST_CRASHED, a case the
run never reported, a parse error) and KNOWN: a case that failed exactly as
configs/known-failures records for the kernel series, every failure block
of it matching the entry's regex.

A failure block is the line '# <case>: EXPECTATION FAILED at <file>:<line>'
(or ASSERTION FAILED, or kunit_fail_current_test()'s '# <case>:
<file>:<line>: <message>', or KUnit's own '# <case>: try faulted ...', 'test
case timed out' and the like) and the detail lines after it, up to the next
'#' line of the log."""

import contextlib
import enum
import glob
import hashlib
import importlib.util
import inspect
import io
import os
import re
import sys
from dataclasses import dataclass, field
from types import ModuleType
from typing import Dict, Iterable, List, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import REPO, ToolError, cache_dir, kver_series  # noqa: E402

KNOWN_FAILURES = os.path.join(REPO, 'configs', 'known-failures')


class Status(enum.Enum):
	"""One verdict; the order of RANK is the fold order of parameters."""
	PASS = 'PASS'
	FAIL = 'FAIL'
	SKIP = 'SKIP'
	CRASH = 'CRASH'
	KNOWN = 'KNOWN'

	def __str__(self) -> str:
		return self.value

	@property
	def ok(self) -> bool:
		"""Does not fail a run: passed, skipped or a known failure."""
		return self in (Status.PASS, Status.SKIP, Status.KNOWN)

	@property
	def bad(self) -> bool:
		"""A failure that is not the known one."""
		return self in (Status.FAIL, Status.CRASH)


# Any CRASH -> CRASH, else any FAIL -> FAIL, else any KNOWN -> KNOWN, else
# any PASS -> PASS, else SKIP: independent of the order of the parameters.
RANK = {Status.SKIP: 0, Status.PASS: 1, Status.KNOWN: 2, Status.FAIL: 3, Status.CRASH: 4}

WORDS = {Status.PASS: 'passed', Status.FAIL: 'failed', Status.SKIP: 'skipped',
	 Status.CRASH: 'crashed', Status.KNOWN: 'known failure'}


def fold(statuses: Iterable[Status]) -> Status:
	"""The verdict of a case from its parameters' verdicts."""
	got = list(statuses)
	if not got:
		return Status.CRASH	# a parameterised case that ran no parameter
	return max(got, key=RANK.__getitem__)


# ---------------------------------------------------------------------------
# Known failures

@dataclass(frozen=True)
class Known:
	"""One entry of configs/known-failures."""
	series: str
	case: str
	pattern: 're.Pattern[str]'
	reason: str
	where: str	# file:line of the entry

	def explains(self, block: 'Failure') -> bool:
		return self.pattern.search(block.text) is not None


def known_failures(series: str, path: str = KNOWN_FAILURES,
		   arch: Optional[str] = None) -> Dict[str, Known]:
	"""{'suite.case': Known} of a kernel series ('7.3') on an arch.  Format,
	one entry a line ('#' lines are comments):
	  <series>[/<arch>] <suite.case> | <regex> | <reason>
	An entry with /<arch> holds on that arch only (it is left out when arch
	is None); without, on every arch.  The separator is ' | ' (spaces around
	the bar), so the regex may use '|' without spaces."""
	out: Dict[str, Known] = {}
	try:
		with open(path, encoding='utf-8') as f:
			lines = f.read().splitlines()
	except OSError as e:
		raise ToolError(f'{path}: {e.strerror}') from e
	for n, line in enumerate(lines, 1):
		line = line.strip()
		if not line or line.startswith('#'):
			continue
		where = f'{os.path.relpath(path, REPO) if path.startswith(REPO) else path}:{n}'
		parts = line.split(' | ', 2)
		head = parts[0].split()
		if len(parts) != 3 or len(head) != 2 or not re.fullmatch(r'\w+\.\w+', head[1]) \
		   or not re.fullmatch(r'[\d.]+(/\w+)?', head[0]) \
		   or not parts[1].strip() or not parts[2].strip():
			raise ToolError(f'{where}: not "<series>[/<arch>] <suite.case> | <regex> | <reason>"')
		try:
			pattern = re.compile(parts[1].strip())
		except re.error as e:
			raise ToolError(f'{where}: bad regex {parts[1].strip()!r}: {e}') from e
		entry_series, _, entry_arch = head[0].partition('/')
		if entry_series != series or entry_arch and entry_arch != arch:
			continue
		if head[1] in out:
			raise ToolError(f'{where}: {head[1]} is listed twice for {series}'
					f'{"/" + arch if arch else ""}')
		out[head[1]] = Known(head[0], head[1], pattern, parts[2].strip(), where)
	return out


# ---------------------------------------------------------------------------
# kunit_parser, from a kernel tree

_PARSERS: Dict[str, ModuleType] = {}


def parser_tree(version: Optional[str] = None) -> str:
	"""A kernel tree whose tools/testing/kunit/kunit_parser.py reads the
	results: $ZDT_KUNIT_TREE, else the cached tree of the version's series,
	else any cached tree.  (Any kunit_parser reads any kernel's KTAP.)"""
	env = os.environ.get('ZDT_KUNIT_TREE')
	cands = [env] if env else []
	src = os.path.join(cache_dir(), 'src')
	if version:
		cands.append(os.path.join(src, f'linux-{kver_series(version)}'))
	cands += sorted(glob.glob(os.path.join(src, 'linux-*')), reverse=True)
	for t in cands:
		if os.path.isfile(os.path.join(t, 'tools/testing/kunit/kunit_parser.py')):
			return os.path.realpath(t)
	raise ToolError('no kernel tree with tools/testing/kunit/kunit_parser.py to read the '
			'results with: run "make fetch" (or set ZDT_KUNIT_TREE)')


def kunit_parser(tree: Optional[str] = None) -> ModuleType:
	"""The kunit_parser module of a kernel tree (loaded once per tree)."""
	d = os.path.join(tree or parser_tree(), 'tools/testing/kunit')
	d = os.path.realpath(d)
	if d in _PARSERS:
		return _PARSERS[d]
	path = os.path.join(d, 'kunit_parser.py')
	if not os.path.isfile(path):
		raise ToolError(f'{path} not found')
	sys.path.insert(0, d)	# for its own 'from kunit_printer import ...'
	dont = sys.dont_write_bytecode
	sys.dont_write_bytecode = True	# no __pycache__ in the kernel tree
	try:
		spec = importlib.util.spec_from_file_location(f'kunit_parser_{len(_PARSERS)}', path)
		assert spec and spec.loader
		mod = importlib.util.module_from_spec(spec)
		sys.modules[spec.name] = mod	# its dataclasses look themselves up there
		spec.loader.exec_module(mod)
	finally:
		sys.path.remove(d)
		sys.dont_write_bytecode = dont
	_PARSERS[d] = mod
	return mod


def _with_skip_reason(kp: ModuleType):
	"""Older kunit_parser (before its Test had skip_reason) drops the
	reason of '# SKIP reason'; record it from the result line the parser
	just matched, with the parser's own TEST_RESULT_SKIP."""
	orig = kp.parse_test_result

	def parse_test_result(lines, test, *args, **kw):
		line = lines.peek()
		done = orig(lines, test, *args, **kw)
		m = kp.TEST_RESULT_SKIP.match(line) if done else None
		test.skip_reason = (m.group(5) or '').strip() if m else ''
		return done
	return parse_test_result


def parse(lines: Iterable[str], tree: Optional[str] = None):
	"""kunit_parser.parse_run_tests() of KTAP (or console) lines, silently:
	its Test tree."""
	kp = kunit_parser(tree)
	quiet = io.StringIO()
	args: list = [list(lines)]
	if len(inspect.signature(kp.parse_run_tests).parameters) > 1:
		printer_mod = sys.modules.get('kunit_printer')
		null = getattr(printer_mod, 'null_printer', None)
		args.append(null if null is not None else printer_mod.Printer(output=quiet))
	patched = {}
	if not hasattr(kp.Test(), 'skip_reason'):
		patched['parse_test_result'] = _with_skip_reason(kp)
	if hasattr(kp, 'stdout') and hasattr(kp.stdout, '_output'):
		patched['stdout'] = sys.modules['kunit_printer'].Printer(output=quiet)
	saved = {k: getattr(kp, k) for k in patched}
	try:
		for k, v in patched.items():
			setattr(kp, k, v)
		with contextlib.redirect_stdout(quiet):
			return kp.parse_run_tests(*args)
	finally:
		for k, v in saved.items():
			setattr(kp, k, v)


# ---------------------------------------------------------------------------
# Cases

@dataclass
class Failure:
	"""One failure block of a case's log."""
	kind: str	# EXPECTATION, ASSERTION, FAILED (kunit_fail_current_test) or KUNIT
	where: str	# file:line ('kunit' for KUnit's own: try faulted, timed out)
	lines: List[str]	# the header line and its detail lines, as logged

	@property
	def detail(self) -> str:
		return ' '.join(l.strip() for l in self.lines[1:] if l.strip())

	@property
	def text(self) -> str:
		"""'<file>:<line>: <detail lines joined>': what a known failure's
		regex is matched against, and what the tables show."""
		return f'{self.where}: {self.detail}'.rstrip()


BLOCK = re.compile(r'^\s*# (?P<case>[^\s:]+): (?:(?P<kind>EXPECTATION|ASSERTION) FAILED at '
		   r'(?P<where>\S+)\s*$|(?P<loc>\S+\.[chS]:\d+): (?P<msg>.*)$|'
		   # KUnit's own verdict on a case that faulted, hung or failed to
		   # set up or clean up (lib/kunit/test.c, try-catch.c).
		   r'(?P<kunit>(?:try faulted|try timed out|test case timed out|test case cleanup '
		   r'timed out|internal error occurred|test aborted during cleanup|failed to '
		   r'initialize)\b.*)$)')
HEADER = re.compile(r'^\s*#')


def failure_blocks(log: List[str]) -> List[Failure]:
	"""The failure blocks of one test's log lines (kunit_parser's Test.log)."""
	out: List[Failure] = []
	cur: Optional[Failure] = None
	for line in log:
		m = BLOCK.match(line)
		if m:
			if m.group('kind'):
				cur = Failure(m.group('kind'), m.group('where'), [line])
			elif m.group('loc'):	# kunit_fail_current_test(): the message is on the line
				cur = Failure('FAILED', m.group('loc'), [line, m.group('msg')])
			else:
				cur = Failure('KUNIT', 'kunit', [line, m.group('kunit')])
			out.append(cur)
		elif HEADER.match(line):
			cur = None
		elif cur is not None:
			cur.lines.append(line)
	return out


@dataclass
class Case:
	name: str	# suite.case
	status: Status
	failures: List[Failure] = field(default_factory=list)
	skip_reason: str = ''
	params: List[Tuple[str, Status]] = field(default_factory=list)
	skipped_params: List[Tuple[str, str]] = field(default_factory=list)	# (param, reason)
	log: List[str] = field(default_factory=list)
	known: Optional[Known] = None
	leaves: Dict[Status, int] = field(default_factory=dict)	# per kunit test (parameter)

	def first_failure(self) -> str:
		"""The first failure block a known-failure entry does not explain
		(else the first one); '' if the case logged none."""
		for b in self.failures:
			if not (self.known and self.known.explains(b)):
				return b.text
		return self.failures[0].text if self.failures else ''


def _status(kp: ModuleType, test) -> Status:
	s = test.status
	if s == kp.TestStatus.SUCCESS:
		return Status.PASS
	if s == kp.TestStatus.FAILURE:
		return Status.FAIL
	if s == kp.TestStatus.SKIPPED:
		return Status.SKIP
	return Status.CRASH	# TEST_CRASHED, NO_TESTS (no result line), parse failure


def _leaves(test) -> list:
	if not test.subtests:
		return [test]
	return [leaf for sub in test.subtests for leaf in _leaves(sub)]


def _all_logs(test) -> List[List[str]]:
	return [test.log] + [log for sub in test.subtests for log in _all_logs(sub)]


def _leaf_status(kp: ModuleType, leaf, known: Optional[Known]) -> Status:
	st = _status(kp, leaf) if leaf.name else Status.CRASH
	if st == Status.FAIL and known:
		blocks = failure_blocks(leaf.log)
		if blocks and all(known.explains(b) for b in blocks):
			return Status.KNOWN
	return st


def make_case(kp: ModuleType, suite: str, test, known: Optional[Known] = None) -> Case:
	"""One case (a suite's subtest, with or without parameters) folded."""
	name = f'{suite}.{test.name}'
	case = Case(name, Status.CRASH, known=known)
	logs = _all_logs(test)
	case.log = [l for log in logs for l in log]
	case.failures = [b for log in logs for b in failure_blocks(log)]
	own = _status(kp, test)
	if not test.subtests:
		case.status = _leaf_status(kp, test, known)
		case.skip_reason = getattr(test, 'skip_reason', '') or ''
		case.leaves = {case.status: 1}
	else:
		got = []
		for leaf in _leaves(test):
			st = _leaf_status(kp, leaf, known)
			got.append(st)
			case.params.append((leaf.name, st))
			case.leaves[st] = case.leaves.get(st, 0) + 1
			if st == Status.SKIP:
				case.skipped_params.append((leaf.name, getattr(leaf, 'skip_reason', '') or ''))
		# The case's own result line counts when it is worse than what
		# its parameters say (a crash, or a failure of its own).
		if own == Status.CRASH or (own == Status.FAIL and not any(s in (
				Status.FAIL, Status.KNOWN, Status.CRASH) for s in got)):
			got.append(own)
		case.status = fold(got)
		case.skip_reason = getattr(test, 'skip_reason', '') or ''
		if case.status == Status.SKIP and not case.skip_reason and case.skipped_params:
			case.skip_reason = case.skipped_params[0][1]
	# KNOWN only when every failure block of the whole case is the known one.
	if case.status == Status.KNOWN and not (case.failures and all(
			known.explains(b) for b in case.failures)):
		case.status = Status.FAIL
	if case.status != Status.KNOWN and Status.KNOWN in case.leaves:
		case.leaves[Status.FAIL] = case.leaves.get(Status.FAIL, 0) + case.leaves.pop(Status.KNOWN)
	return case


CASE_NAME = re.compile(r'^\s+# (\w+): ')


@dataclass
class Run:
	"""The verdicts of one run of the suites."""
	cases: Dict[str, Case] = field(default_factory=dict)
	missing: List[str] = field(default_factory=list)	# 'suite: why' of unnamed crashes
	errors: int = 0		# kunit_parser's parse errors
	status: Status = Status.CRASH	# the parser's verdict of the whole run

	@property
	def crashed(self) -> bool:
		"""The run did not report every case it planned (a crash, panic or
		timeout), or reported nothing."""
		return bool(self.missing) or not self.cases or \
			any(c.status == Status.CRASH for c in self.cases.values())

	@property
	def ok(self) -> bool:
		"""Every case passed, skipped or failed as known; nothing crashed."""
		return not self.crashed and not self.errors and \
			all(c.status.ok for c in self.cases.values())

	def verdicts(self) -> Dict[str, Status]:
		return {n: c.status for n, c in self.cases.items()}

	def with_status(self, *statuses: Status) -> List[Case]:
		return [c for c in self.cases.values() if c.status in statuses]

	def counts(self) -> Dict[Status, int]:
		"""kunit tests (each parameter apart) per verdict; the failing
		tests of a KNOWN case count as KNOWN, missing ones as CRASH."""
		out = {s: 0 for s in Status}
		for c in self.cases.values():
			for s, n in c.leaves.items():
				out[s] += n
		out[Status.CRASH] += len(self.missing)
		return out

	def count_line(self) -> str:
		c = self.counts()
		parts = [f'{c[Status.PASS]} passed', f'{c[Status.FAIL]} failed',
			 f'{c[Status.CRASH]} crashed']
		if c[Status.KNOWN]:
			parts.append(f'{c[Status.KNOWN]} known failure{"s" if c[Status.KNOWN] > 1 else ""}')
		parts.append(f'{c[Status.SKIP]} skipped')
		if self.errors:
			parts.append(f'{self.errors} parse error{"s" if self.errors > 1 else ""}')
		return ', '.join(parts)

	def case_line(self) -> str:
		"""Cases (parameters folded) per verdict."""
		c = {s: len(self.with_status(s)) for s in Status}
		return (f'{c[Status.PASS]} pass, {c[Status.FAIL]} fail, {c[Status.CRASH]} crash, '
			f'{c[Status.KNOWN]} known, {c[Status.SKIP]} skip (cases)')


def from_tree(kp: ModuleType, main, known: Optional[Dict[str, Known]] = None) -> Run:
	"""A Run from kunit_parser's main Test."""
	known = known or {}
	run = Run(errors=main.counts.errors, status=_status(kp, main))
	for suite in main.subtests:
		if not suite.name:
			run.missing.append('(a suite the run never reported)')
			continue
		named = {t.name for t in suite.subtests if t.name}
		for t in suite.subtests:
			name = t.name
			if not name:
				# The case the kernel died in has no result line: name it
				# after the '# <case>: ' lines it logged, if any.
				said = [m.group(1) for l in t.log for m in [CASE_NAME.match(l)] if m]
				said = [n for n in said if n not in named and n != 'Subtest']
				if not said or f'{suite.name}.{said[-1]}' in run.cases:
					run.missing.append(f'{suite.name}: a case without a result line')
					continue
				name = said[-1]
				t.name = name
			case = make_case(kp, suite.name, t, known.get(f'{suite.name}.{name}'))
			if not t.subtests and _status(kp, t) == Status.CRASH:
				case.status = Status.CRASH
				case.leaves = {Status.CRASH: 1}
			run.cases[case.name] = case
	return run


def load(ktap: str, known: Optional[Dict[str, Known]] = None, tree: Optional[str] = None) -> Run:
	"""The Run of a KTAP file (results/<kver>-<arch>.ktap); an empty Run
	(crashed, no cases) if the file is missing or empty."""
	try:
		with open(ktap, encoding='utf-8', errors='backslashreplace') as f:
			lines = f.readlines()
	except OSError:
		return Run()
	if not any(l.strip() for l in lines):
		return Run()
	tree = tree or parser_tree(version_of(ktap))
	return from_tree(kunit_parser(tree), parse(lines, tree), known)


# ---------------------------------------------------------------------------
# The verdicts file a dashboard reads (results/<kver>-<arch>.verdicts.json)

VERDICTS_FORMAT = 'zone-device-kunit-verdicts/1'


def verdicts_document(run: Run, version: str, arch: str, config: Optional[str] = None,
		      commit: Optional[str] = None) -> Dict[str, object]:
	"""What a dashboard (KernelCI, NIPA, a CI summary) needs beside
	kunit.py's own JSON (KernelCI's format, results/<name>.json) to tell a
	regression from a known failure: the kernel, arch and a hash of its
	.config, and per case the verdict, whether it is a regression and, for
	a known failure, its reason and the entry that records it."""
	config_hash = None
	if config and os.path.isfile(config):
		with open(config, 'rb') as f:
			config_hash = hashlib.sha256(f.read()).hexdigest()
	cases = []
	for c in run.cases.values():
		cases.append({
			'name': c.name,
			'verdict': str(c.status),
			'regression': c.status.bad,
			'known_failure': {'reason': c.known.reason, 'entry': c.known.where,
					  'symptom': c.known.pattern.pattern}
			if c.status == Status.KNOWN and c.known else None,
			'first_failure': c.first_failure() or None,
			'skip_reason': c.skip_reason or None,
			'parameters': [{'name': n, 'verdict': str(st)} for n, st in c.params],
		})
	counts = run.counts()
	return {
		'format': VERDICTS_FORMAT,
		'kernel': version, 'series': kver_series(version), 'arch': arch,
		'kernel_commit': commit,
		'config_sha256': config_hash,
		'ok': run.ok,
		'counts': {str(st).lower(): n for st, n in counts.items()},
		'parse_errors': run.errors,
		'never_reported': run.missing,
		'cases': cases,
	}


def version_of(path: str) -> Optional[str]:
	"""'7.3.4' of results/7.3.4-x86_64.ktap."""
	m = re.match(r'^(\d+\.\d+(?:\.\d+)?)-', os.path.basename(path))
	return m.group(1) if m else None


def arch_of(path: str) -> Optional[str]:
	"""'x86_64' of results/7.3.4-x86_64.ktap (and of a modular run's
	7.3.4-x86_64-modules.ktap)."""
	m = re.match(r'^\d+\.\d+(?:\.\d+)?-(\w+?)(?:-modules)?\.\w+$', os.path.basename(path))
	return m.group(1) if m else None


def load_known(ktap: str, tree: Optional[str] = None) -> Run:
	"""load() with the known failures of the file's kernel series and arch."""
	v = version_of(ktap)
	return load(ktap, known_failures(kver_series(v), arch=arch_of(ktap)) if v else {}, tree)
