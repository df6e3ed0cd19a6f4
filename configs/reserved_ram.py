# SPDX-License-Identifier: GPL-2.0
"""The RAM the kernel leaves alone for the suites, per arch: the one place
that says where it is.

Device-coherent memory (and the generic, fsdax and p2pdma pgmaps) needs
real RAM that is never System RAM.  The kernel is told to keep a range out
of its memory, and the fixture gets the same range as a parameter
(zone_device_fixture.coherent=SIZE@START), because without CONFIG_PCI
nothing in iomem names it.

  x86_64, um  memmap=SIZE!START: e820 "persistent memory (legacy)" on
              x86_64; UML with patches/uml keeps it from the page allocator.
  arm64       no memmap=, but mem= (the RAM the kernel keeps, from the
              bottom): QEMU virt's RAM starts at 1 GiB, so the range is the
              top of RAM and mem= is all that lies below it.

kunit.py gives every guest 1 GiB of RAM (QEMU -m 1024, UML mem=1G).

Read by configs/x86_64.py and configs/arm64.py (kunit.py's --qemu_config:
their kernel command lines), tools/uml.py (UML's --kernel_args) and
tools/bench.py (stock kunit.py's --kernel_args).  Run as a script it prints
an arch's kunit.py options:
  kunit.py run --arch=x86_64 ... $(python3 configs/reserved_ram.py x86_64)"""

import sys
from typing import Dict, List, NamedTuple, Tuple

# The RAM kunit.py gives a guest, in MiB.
RAM = 1024


class Reserved(NamedTuple):
	"""An arch's reserved range, in MiB: [start, start + size)."""
	size: int
	start: int
	ram_start: int		# where the guest's RAM begins
	how: str		# 'memmap' or 'mem': how the kernel is told

	@property
	def range(self) -> Tuple[int, int]:
		return self.start, self.start + self.size


LAYOUT: Dict[str, Reserved] = {
	'x86_64': Reserved(size=64, start=512, ram_start=0, how='memmap'),
	'um': Reserved(size=64, start=512, ram_start=0, how='memmap'),
	'arm64': Reserved(size=64, start=1984, ram_start=1024, how='mem'),
}


def coherent(arch: str) -> str:
	"""The fixture's parameter value: 'SIZE@START'."""
	r = LAYOUT[arch]
	return f'{r.size}M@{r.start}M'


def kernel_args(arch: str) -> List[str]:
	"""The kernel arguments that reserve the range and give it to the
	fixture, in command-line order."""
	r = LAYOUT[arch]
	if r.how == 'memmap':
		reserve = f'memmap={r.size}M!{r.start}M'
	else:
		# mem= keeps the RAM below the range: the range must be the rest.
		assert r.start + r.size == r.ram_start + RAM, f'{arch}: not the top of RAM'
		reserve = f'mem={r.start - r.ram_start}M'
	return [reserve, f'zone_device_fixture.coherent={coherent(arch)}']


def main(argv: List[str]) -> int:
	if len(argv) != 2 or argv[1] not in LAYOUT:
		print(f'usage: {argv[0]} {"|".join(LAYOUT)}', file=sys.stderr)
		return 2
	print(' '.join(f'--kernel_args={a}' for a in kernel_args(argv[1])))
	return 0


if __name__ == '__main__':
	sys.exit(main(sys.argv))
