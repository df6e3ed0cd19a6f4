# SPDX-License-Identifier: GPL-2.0
"""cli: the command-line options several tools share, declared in one call.

	cli.add_options(ap, source={'help': True}, arch={'action': 'append'},
			accel={}, results={'under': 'gate'})

adds, in the order of the keywords:

- source: --kver (common.check_kver) and --kdir, mutually exclusive, both
  default None; {'help': True} gives them run.py's help texts;
- arch: --arch, one of ARCHES;
- accel: --accel auto|kvm|tcg, default auto (tools/accel.py: KVM if a
  bounded probe boots under it, else TCG);
- results: --results, default <repo>/results[/<under>];
- timeout: --timeout, seconds, default 120;
- shard: --shard K/N (shard()), default (1, 1): the K-th of N equal shares
  of a tool's runs, for N CI runners.

Any other keyword of a dict goes to add_argument as it is (help=,
default=, action=), so a tool keeps its own help and default.  A keyword
that names no shared option is the tool's own --<keyword> (its dict
add_argument's; 'flags' for other option strings), for a tool whose own
options sit between the shared ones."""

import argparse
import os
import re
import sys
from typing import Any, Dict, List, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import ARCHES, DEFAULT_KVER, REPO, check_kver  # noqa: E402

ACCELS = ('auto', 'kvm', 'tcg')
KVER_HELP = f'Debian kernel series (default {DEFAULT_KVER})'
KDIR_HELP = 'your own kernel tree instead'
TIMEOUT = 120


def add_source(ap: argparse.ArgumentParser, help: bool = False) -> None:  # noqa: A002
	"""--kver or --kdir: a Debian kernel series or your own tree."""
	src = ap.add_mutually_exclusive_group()
	src.add_argument('--kver', default=None, type=check_kver,
			 **({'help': KVER_HELP} if help else {}))
	# ~ expanded here: make passes KDIR=~/linux quoted, unexpanded.
	src.add_argument('--kdir', default=None, type=os.path.expanduser,
			 **({'help': KDIR_HELP} if help else {}))


def add_options(ap: argparse.ArgumentParser, **opts: Dict[str, Any]) -> None:
	"""The shared options named by the keywords, in their order (module
	docstring)."""
	for name, kw in opts.items():
		kw = dict(kw)
		if name == 'source':
			add_source(ap, **kw)
		elif name == 'arch':
			ap.add_argument('--arch', choices=ARCHES, **kw)
		elif name == 'accel':
			ap.add_argument('--accel', choices=ACCELS, **{'default': 'auto', **kw})
		elif name == 'results':
			under = kw.pop('under', None)
			default = os.path.join(REPO, 'results', under) if under else os.path.join(REPO, 'results')
			ap.add_argument('--results', **{'default': default, **kw})
		elif name == 'timeout':
			ap.add_argument('--timeout', **{'type': int, 'default': TIMEOUT, **kw})
		elif name == 'shard':
			ap.add_argument('--shard', **{'type': shard, 'default': (1, 1), 'metavar': 'K/N',
						      **kw})
		else:
			flags = kw.pop('flags', (f'--{name}',))
			ap.add_argument(*flags, **kw)


def shard(text: str) -> Tuple[int, int]:
	"""'K/N' -> (K, N), 1 <= K <= N (an argparse type=)."""
	m = re.fullmatch(r'(\d+)/(\d+)', text)
	if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
		raise argparse.ArgumentTypeError(f"'{text}' is not K/N with 1 <= K <= N")
	return int(m.group(1)), int(m.group(2))


def share(items: List[Any], k: int, n: int) -> List[Any]:
	"""The K-th of N shares: every N-th item from the K-th, so that the N
	shares together are the items, each once."""
	return items[k - 1::n]
