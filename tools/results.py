# SPDX-License-Identifier: GPL-2.0
"""results: the verdicts of a run, read with kunit.py's own parser.

kunit_parser.parse_run_tests() turns the KTAP into a tree of tests with
status, name, log lines and skip reason.  The parser is the project's own
pinned copy (tools/kunit/, from 7.3.4's tools/testing/kunit/), never the
tree under test's: a kernel tree or branch being judged does not compute
its own verdict.  This module only folds that tree into one verdict per case and
splits a case's log lines into its failure blocks; every tool (run, gate,
mutants, matrix, selftest, flake) reads results through it.

Verdicts: PASS, FAIL, SKIP, CRASH (kunit_parser's TEST_CRASHED, a case the
run never reported, a parse error) and KNOWN: a case that failed exactly as
configs/known-failures records for the kernel series, every failure block
of it matching the entry's regex.

A failure block is the line '# <case>: EXPECTATION FAILED at <file>:<line>'
(or ASSERTION FAILED, or kunit_fail_current_test()'s '# <case>:
<file>:<line>: <message>', or KUnit's own '# <case>: try faulted ...', 'test
case timed out' and the like) and KUnit's own detail lines after it: lines
indented by KUNIT_SUBTEST_INDENT (4 spaces) or more, blank lines, and the
one unindented line of the assertion's message (KUnit prints it raw after
the details).  Any other line (a console line, a kernel splat, a second
unindented line, a '[ 1.23]' prefixed line) ends the block.

A run knows what it expected: expected_cases() lists every case of
mm-tests/*_kunit.c (the project's sources, not the tree's), optionally
narrowed by a kunit.py filter_glob.  A run is complete when every expected
case reported, none crashed, the KTAP was there and parsed without error.

Kernel splats on the console (results/<name>.log) that no case's failure
claims (the fixture fails a case with 'kernel splat during the case:
<line> | ...') and no '(outside)' known failure explains are the run's
outside_splats: they make the run not ok."""

import contextlib
import enum
import fnmatch
import glob
import hashlib
import io
import os
import re
import sys
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# The pinned parser (tools/kunit/README): importable as kunit_parser, as its
# own kunit_json and kunit_junit import it.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'kunit'))
from common import REPO, ToolError, kver_series  # noqa: E402
import kunit_json  # noqa: E402
import kunit_junit  # noqa: E402
import kunit_parser as kp  # noqa: E402
import kunit_printer  # noqa: E402

KNOWN_FAILURES = os.path.join(REPO, 'configs', 'known-failures')
MM_TESTS = os.path.join(REPO, 'mm-tests')
# The case field of a known-failures entry for a splat outside any case.
OUTSIDE = '(outside)'


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


# The first field of a known-failures entry: a series ('7.3') or a range of
# them ('7.2-7.3', both ends included), then /<arch> or nothing.
SERIES_FIELD = re.compile(r'(?P<first>\d+\.\d+)(?:-(?P<last>\d+\.\d+))?(?:/(?P<arch>\w+))?')


def series_key(series: str) -> Tuple[int, ...]:
	"""'7.3' -> (7, 3), 6.12 before 7.2 as numbers sort."""
	return tuple(int(x) for x in series.split('.'))


def known_failures(series: str, path: str = KNOWN_FAILURES,
		   arch: Optional[str] = None) -> Dict[str, Known]:
	"""{'suite.case': Known} of a kernel series ('7.3') on an arch.  Format,
	one entry a line ('#' lines are comments):
	  <series>[-<last series>][/<arch>] <suite.case> | <regex> | <reason>
	  <series>[-<last series>][/<arch>] (outside) | <regex> | <reason>
	A range ('7.2-7.3') holds for every series from the first to the last,
	both included; a series alone, for that one.  An entry with /<arch>
	holds on that arch only (it is left out when arch is None); without, on
	every arch.  The separator is ' | ' (spaces around the bar), so the
	regex may use '|' without spaces.  '(outside)' (key OUTSIDE) records a
	kernel splat outside any case: its regex is matched against the
	console's splat line (prefixes taken off); one such entry per series
	and arch."""
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
		field = SERIES_FIELD.fullmatch(head[0]) if head else None
		if len(parts) != 3 or len(head) != 2 or not field or \
		   not (head[1] == OUTSIDE or re.fullmatch(r'\w+\.\w+', head[1])) \
		   or not parts[1].strip() or not parts[2].strip():
			raise ToolError(f'{where}: not "<series>[-<last series>][/<arch>] '
					f'<suite.case>|{OUTSIDE} | <regex> | <reason>"')
		first = series_key(field['first'])
		last = series_key(field['last']) if field['last'] else first
		if last <= first and field['last']:
			raise ToolError(f'{where}: {head[0]}: a range\'s last series must come after its first')
		try:
			pattern = re.compile(parts[1].strip())
		except re.error as e:
			raise ToolError(f'{where}: bad regex {parts[1].strip()!r}: {e}') from e
		if not first <= series_key(series) <= last or \
		   field['arch'] and field['arch'] != arch:
			continue
		if head[1] in out:
			raise ToolError(f'{where}: {head[1]} is listed twice for {series}'
					f'{"/" + arch if arch else ""}')
		out[head[1]] = Known(head[0], head[1], pattern, parts[2].strip(), where)
	return out


# ---------------------------------------------------------------------------
# kunit_parser, pinned (tools/kunit/)

def parse(lines: Iterable[str]):
	"""The pinned kunit_parser.parse_run_tests() of KTAP (or console)
	lines, silently: its Test tree."""
	with contextlib.redirect_stdout(io.StringIO()):
		return kp.parse_run_tests(list(lines), kunit_printer.null_printer)


# printk's nbcon consoles: a context that takes a console over in the middle
# of a record (a WARN's emergency output) prints this, then the whole record
# again (kernel/printk/nbcon.c); what the console had printed of it stays in
# the log before the marker.
PRINTK_REPLAY = '** replaying previous printk message **'
_PRINTK_PREFIX = re.compile(r'^(?:\[[^\]]*\] ?)*')


def undo_printk_replays(lines: Iterable[str]) -> List[str]:
	"""The console lines with each printk replay undone: the marker goes,
	and so does the line before it when the replayed record (the line after
	it) begins with that line's text, its partial first emission.  Left as
	is, a KTAP line printed twice or cut short loses a case's result."""
	out: List[str] = []
	pending = False
	for line in lines:
		text = _PRINTK_PREFIX.sub('', line.rstrip('\n'))
		if text.strip() == PRINTK_REPLAY:
			pending = True
			continue
		if pending and out:
			before = _PRINTK_PREFIX.sub('', out[-1].rstrip('\n'))
			if before.strip() and text.startswith(before.rstrip()):
				out.pop()
		pending = False
		out.append(line)
	return out


def extract_ktap(lines: Iterable[str]) -> List[str]:
	"""The KTAP lines of a console log, as kunit.py isolates them (the
	pinned extract_tap_lines(): prefixes before 'KTAP version' stripped),
	after undoing printk's replays (undo_printk_replays())."""
	stream = kp.extract_tap_lines(undo_printk_replays(lines))
	out = []
	while stream:
		out.append(stream.pop())
	return out


def write_json(ktap: str, path: str, arch: str = '', build_dir: str = '') -> None:
	"""kunit.py parse --json's document (KernelCI's format) of a KTAP file,
	with the pinned kunit_json."""
	with open(ktap, encoding='utf-8', errors='backslashreplace') as f:
		test = parse(f.read().splitlines())
	meta = kunit_json.Metadata(arch=arch, build_dir=build_dir, def_config='kunit_defconfig')
	with open(path, 'w', encoding='utf-8') as f:
		f.write(kunit_json.get_json_result(test=test, metadata=meta))


def write_junit(ktap: str, path: str) -> None:
	"""kunit.py parse --junit's XML of a KTAP file, with the pinned kunit_junit."""
	with open(ktap, encoding='utf-8', errors='backslashreplace') as f:
		test = parse(f.read().splitlines())
	with open(path, 'w', encoding='utf-8') as f:
		f.write(kunit_junit.get_junit_result(test))


# ---------------------------------------------------------------------------
# The cases the project's sources define

SUITE = re.compile(r'^static struct kunit_suite \w+ = \{(?P<body>.*?)^\};', re.S | re.M)
CASES_ARRAY = re.compile(r'^static struct kunit_case (?P<name>\w+)\[\] = \{(?P<body>.*?)^\};',
			 re.S | re.M)
CASE_ENTRY = re.compile(r'\bKUNIT_CASE\w*\(\s*(\w+)')


def suite_cases(src_dir: str = MM_TESTS) -> Dict[str, List[str]]:
	"""{suite: [case, ...]} of every 'static struct kunit_suite' of
	src_dir/*_kunit.c: its .name and the KUNIT_CASE*() entries of its
	.test_cases array, in order.  A preprocessor line inside an array, or a
	suite whose name or array cannot be read, is an error."""
	out: Dict[str, List[str]] = {}
	files = sorted(glob.glob(os.path.join(src_dir, '*_kunit.c')))
	if not files:
		raise ToolError(f'no *_kunit.c in {src_dir}')
	for path in files:
		with open(path, encoding='utf-8') as f:
			text = f.read()
		arrays = {m.group('name'): m.group('body') for m in CASES_ARRAY.finditer(text)}
		for m in SUITE.finditer(text):
			name = re.search(r'\.name\s*=\s*"(\w+)"', m.group('body'))
			arr = re.search(r'\.test_cases\s*=\s*(\w+)', m.group('body'))
			where = os.path.basename(path)
			if not name or not arr or arr.group(1) not in arrays:
				raise ToolError(f'{where}: a kunit_suite whose .name or .test_cases '
						'array cannot be read')
			body = arrays[arr.group(1)]
			if re.search(r'^\s*#', body, re.M):
				raise ToolError(f'{where}: a preprocessor line inside {arr.group(1)}[]: '
						'the expected cases would depend on the config')
			cases = CASE_ENTRY.findall(body)
			if not cases or name.group(1) in out:
				raise ToolError(f'{where}: suite {name.group(1)} has no case or is defined twice')
			out[name.group(1)] = cases
	return out


def glob_matches(filter_glob: Optional[str], name: str) -> bool:
	"""kunit.filter_glob's test of 'suite.case': 'suite_glob' or
	'suite_glob.case_glob', fnmatch-style * and ?."""
	if not filter_glob:
		return True
	suite, _, case = name.partition('.')
	sg, dot, cg = filter_glob.partition('.')
	return fnmatch.fnmatchcase(suite, sg) and (not dot or fnmatch.fnmatchcase(case, cg))


def expected_cases(filter_glob: Optional[str] = None, src_dir: str = MM_TESTS) -> List[str]:
	"""'suite.case' of every case the project's sources define (that
	filter_glob, as run.py --filter, selects)."""
	return [f'{s}.{c}' for s, cases in suite_cases(src_dir).items() for c in cases
		if glob_matches(filter_glob, f'{s}.{c}')]


# ---------------------------------------------------------------------------
# Kernel splats on the console

# How the first line of a kernel splat starts (the fixture keeps its own
# equivalent list in C).
SPLAT_PREFIXES = ('WARNING:', 'BUG:', 'kernel BUG at', 'Oops:', 'general protection fault',
		  'UBSAN:', 'INFO: task ', 'rcu: INFO:', 'INFO: rcu_', 'watchdog: BUG:',
		  'Kernel panic', 'possible circular locking', 'inconsistent lock state',
		  'possible recursive locking', 'suspicious RCU usage')
# printk's '[   12.345678]' time and '[    T123]' caller prefixes, and the
# modular run's init relaying /dev/kmsg records.
LINE_PREFIX = re.compile(r'^(?:(?:\[\s*(?:[\d.]+|[TC]\d+)\])+ ?)?(?:zdt-init: kmsg: )?')
# How much of a splat line a case's failure must carry to claim it.
CLAIM_CHARS = 80


def splat_text(line: str) -> Optional[str]:
	"""The text of a console line that starts a kernel splat (its prefixes
	taken off), else None."""
	text = LINE_PREFIX.sub('', line.rstrip('\n'), count=1).rstrip()
	return text if text.startswith(SPLAT_PREFIXES) else None


def console_splats(lines: Iterable[str]) -> List[str]:
	"""The splat lines of a console log, their prefixes taken off."""
	return [t for t in map(splat_text, lines) if t is not None]


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
# KUnit's detail lines: KUNIT_SUBTEST_INDENT (4 spaces) or more, not a KTAP
# result or header line.
DETAIL = re.compile(r'^ {4,}(?!(?:not )?ok \d|KTAP version|1\.\.\d)\S')
PRINTK_PREFIX = re.compile(r'^\s*\[\s*(?:[\d.]+|[TC]\d+)\]')


def failure_blocks(log: List[str]) -> List[Failure]:
	"""The failure blocks of one test's log lines (kunit_parser's Test.log).
	A block takes KUnit's own detail lines only: indented ones (4 spaces or
	more), blank ones, and for an EXPECTATION or ASSERTION the one
	unindented line of its message; any other line ends it."""
	out: List[Failure] = []
	cur: Optional[Failure] = None
	message_taken = False
	for line in log:
		m = BLOCK.match(line)
		if m:
			message_taken = False
			if m.group('kind'):
				cur = Failure(m.group('kind'), m.group('where'), [line])
			elif m.group('loc'):	# kunit_fail_current_test(): the message is on the line
				cur = Failure('FAILED', m.group('loc'), [line, m.group('msg')])
				message_taken = True
			else:
				cur = Failure('KUNIT', 'kunit', [line, m.group('kunit')])
				message_taken = True
			out.append(cur)
		elif cur is None:
			continue
		elif HEADER.match(line):
			cur = None
		elif not line.strip():
			cur.lines.append(line)
		elif DETAIL.match(line) and not message_taken and not PRINTK_PREFIX.match(line):
			cur.lines.append(line)
		elif not message_taken and cur.kind in ('EXPECTATION', 'ASSERTION') and \
				not line[0].isspace() and not PRINTK_PREFIX.match(line) and \
				splat_text(line) is None:
			cur.lines.append(line)	# the assertion's message, printed unindented
			message_taken = True
		else:
			cur = None	# a console line: not KUnit's detail
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


def _status(test) -> Status:
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


def _leaf_status(leaf, known: Optional[Known]) -> Status:
	st = _status(leaf) if leaf.name else Status.CRASH
	if st == Status.FAIL and known:
		blocks = failure_blocks(leaf.log)
		if blocks and all(known.explains(b) for b in blocks):
			return Status.KNOWN
	return st


def make_case(suite: str, test, known: Optional[Known] = None) -> Case:
	"""One case (a suite's subtest, with or without parameters) folded."""
	name = f'{suite}.{test.name}'
	case = Case(name, Status.CRASH, known=known)
	logs = _all_logs(test)
	case.log = [l for log in logs for l in log]
	case.failures = [b for log in logs for b in failure_blocks(log)]
	own = _status(test)
	if not test.subtests:
		case.status = _leaf_status(test, known)
		case.skip_reason = getattr(test, 'skip_reason', '') or ''
		case.leaves = {case.status: 1}
	else:
		got = []
		for leaf in _leaves(test):
			st = _leaf_status(leaf, known)
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
	expected: Optional[List[str]] = None	# the cases it was to report; None: not known
	ktap: bool = False	# a KTAP was there to read
	outside_splats: List[str] = field(default_factory=list)	# unclaimed console splats
	known_outside: List[Tuple[str, 'Known']] = field(default_factory=list)	# explained ones

	@property
	def crashed(self) -> bool:
		"""The run did not report every case it planned (a crash, panic or
		timeout), or reported nothing."""
		return bool(self.missing) or not self.cases or \
			any(c.status == Status.CRASH for c in self.cases.values())

	@property
	def missing_cases(self) -> List[str]:
		"""Expected cases the run never reported (none if it expected none)."""
		return [c for c in self.expected or [] if c not in self.cases]

	def incomplete_reasons(self) -> List[str]:
		"""Why the run does not show every case it was to run, one phrase
		each: no KTAP, a crashed case, a case without a result line, an
		expected case never reported, a KTAP parse error."""
		out = []
		if not self.ktap:
			out.append('no KTAP (the kernel printed no results)')
		elif not self.cases:
			out.append('a KTAP without a single case')
		crashed = [c.name for c in self.with_status(Status.CRASH)]
		if crashed:
			out.append(f'{len(crashed)} case(s) crashed or timed out ({crashed[0]} first)')
		if self.missing:
			out.append(f'the run ended before a case reported ({self.missing[0]})')
		missing = self.missing_cases
		if missing and self.cases:
			out.append(f'{len(missing)} expected case(s) never reported ({missing[0]} first)')
		if self.errors:
			out.append(f'{self.errors} KTAP parse error(s)')
		return out

	@property
	def complete(self) -> bool:
		"""Every expected case reported, none crashed, the KTAP there and
		parsed without error."""
		return not self.incomplete_reasons()

	@property
	def ok(self) -> bool:
		"""Complete, every case passed, skipped or failed as known, no
		kernel splat outside a case."""
		return not self.crashed and not self.errors and not self.missing_cases and \
			not self.outside_splats and all(c.status.ok for c in self.cases.values())

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


def from_tree(main, known: Optional[Dict[str, Known]] = None) -> Run:
	"""A Run from kunit_parser's main Test."""
	known = known or {}
	run = Run(errors=main.counts.errors, status=_status(main), ktap=True)
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
			case = make_case(suite.name, t, known.get(f'{suite.name}.{name}'))
			if not t.subtests and _status(t) == Status.CRASH:
				case.status = Status.CRASH
				case.leaves = {Status.CRASH: 1}
			run.cases[case.name] = case
	return run


def claim_splats(run: Run, splats: Iterable[str], known: Optional[Dict[str, Known]] = None) -> None:
	"""Sorts a run's console splats: one a case's failure (or its log's
	'expected kernel splat' line) carries (its first CLAIM_CHARS
	characters) is that case's; one the '(outside)' known
	failure's regex matches is known; the rest are run.outside_splats."""
	texts = [b.text for c in run.cases.values() for b in c.failures]
	# A splat a case declared (zdt_splat_expected()) is named in its log.
	texts += [l for c in run.cases.values() for l in c.log if 'expected kernel splat' in l]
	entry = (known or {}).get(OUTSIDE)
	for splat in dict.fromkeys(splats):	# once each, in order
		if any(splat[:CLAIM_CHARS] in t for t in texts):
			continue
		if entry is not None and entry.pattern.search(splat):
			run.known_outside.append((splat, entry))
		else:
			run.outside_splats.append(splat)


def log_of(ktap: str) -> str:
	"""results/<name>.log of results/<name>.ktap: the console log."""
	return (ktap[:-len('.ktap')] if ktap.endswith('.ktap') else ktap) + '.log'


def load(ktap: str, known: Optional[Dict[str, Known]] = None,
	 expected: Optional[List[str]] = None, log: Optional[str] = None) -> Run:
	"""The Run of a KTAP file (results/<kver>-<arch>.ktap), read with the
	pinned parser; expected: the cases it was to report (expected_cases());
	log: the console log to look for splats in (default: the .log beside
	the .ktap, if there).  An empty Run (no KTAP) if the file is missing or
	empty."""
	run = Run(expected=expected)
	try:
		with open(ktap, encoding='utf-8', errors='backslashreplace') as f:
			lines = f.readlines()
	except OSError:
		lines = []
	if any(l.strip() for l in lines):
		run = from_tree(parse(lines), known)
		run.expected, run.ktap = expected, True
	log = log or log_of(ktap)
	if os.path.isfile(log):
		with open(log, encoding='utf-8', errors='backslashreplace') as f:
			claim_splats(run, console_splats(f), known)
	return run


# ---------------------------------------------------------------------------
# The verdicts file a dashboard reads (results/<kver>-<arch>.verdicts.json)

VERDICTS_FORMAT = 'zone-device-kunit-verdicts/1'


def verdicts_document(run: Run, version: str, arch: str, config: Optional[str] = None,
		      commit: Optional[str] = None, suites: Optional[str] = None) -> Dict[str, object]:
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
		'suites_sha256': suites,
		'ok': run.ok,
		'counts': {str(st).lower(): n for st, n in counts.items()},
		'parse_errors': run.errors,
		'never_reported': run.missing + run.missing_cases,
		'complete': run.complete,
		'incomplete': run.incomplete_reasons(),
		'splats_outside_cases': run.outside_splats,
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


def load_known(ktap: str, expected: Optional[List[str]] = None) -> Run:
	"""load() with the known failures of the file's kernel series and arch."""
	v = version_of(ktap)
	return load(ktap, known_failures(kver_series(v), arch=arch_of(ktap)) if v else {}, expected)
