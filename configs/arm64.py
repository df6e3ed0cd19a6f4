# SPDX-License-Identifier: GPL-2.0
#
# kunit.py --qemu_config for the zone-device suites on arm64: QEMU's "virt"
# machine under TCG, the same options as configs/x86_64.py where the two
# arches share them.
#
# As for x86_64, kunit.py makes the .config as "this kconfig + the
# kunitconfig, then make olddefconfig", and common.kconfig and the lines below
# switch off again, tinyconfig style, what olddefconfig turns on and no case
# needs: the options olddefconfig sets to y and tinyconfig leaves off (7.3),
# less the arm64 CPU features.  Those (CONTPTE, HW_AFDBM, MTE, PTR_AUTH, BTI, the
# errata) stay at their defaults, as on a real arm64 machine: contiguous PTEs
# and the hardware access and dirty flags change how page tables of large
# folios behave, which is what the suites test.

import importlib.util
import os

from ..qemu_config import QemuArchParams

HERE = os.path.dirname(os.path.abspath(__file__))

# The options both QEMU arches share, with their reasons.
with open(os.path.join(HERE, 'common.kconfig'), encoding='utf-8') as f:
	COMMON = f.read()
# What a distribution kernel compiles of device-memory code (its reasons there).
with open(os.path.join(HERE, 'distro.kconfig'), encoding='utf-8') as f:
	COMMON += f.read()

# The RAM kept for device-coherent memory, and the kernel arguments that say
# so: configs/reserved_ram.py (loaded by path: kunit.py loads this file outside
# any package).  arm64 has no memmap=: mem= keeps the RAM below the range.
_spec = importlib.util.spec_from_file_location('zdt_reserved_ram',
					       os.path.join(HERE, 'reserved_ram.py'))
reserved_ram = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(reserved_ram)

QEMU_ARCH = QemuArchParams(linux_arch='arm64',
			   kconfig='''
# The console KTAP is read from (as upstream qemu_configs/arm64.py).
CONFIG_SERIAL_AMBA_PL011=y
CONFIG_SERIAL_AMBA_PL011_CONSOLE=y
''' + COMMON + '''# Lockdep on this kernel only: make test runs every case under it once (a
# lock taken out of order or held across a return is a splat, and the log
# watch fails the case it happened in) without a cold build of its own; the
# x86_64 kernel, the first verdict, is built without it (common.kconfig).
CONFIG_PROVE_LOCKING=y
# Off on arm64 too (derived as for common.kconfig): the EFI stub (QEMU boots
# the Image directly), HID, the platform drivers, the DMA32 zone.
# CONFIG_EFI is not set
# CONFIG_HID_SUPPORT is not set
# CONFIG_ARM64_PLATFORM_DEVICES is not set
# CONFIG_ZONE_DMA32 is not set
''',
			   qemu_arch='aarch64',
			   kernel_path='arch/arm64/boot/Image.gz',
			   # panic=-1 oops=panic: a crash ends QEMU at once, as on
			   # x86_64.  hugepages=4: the hugetlb pool, as on x86_64
			   # (2 MiB pages with 4K pages).  Then the reserved RAM
			   # (configs/reserved_ram.py).
			   kernel_command_line=' '.join(['console=ttyAMA0', 'panic=-1', 'oops=panic',
							 'hugepages=4'] +
							reserved_ram.kernel_args('arm64')),
			   # pauth-impdef: QEMU's own pointer-authentication
			   # algorithm, far cheaper under TCG than the
			   # architected QARMA (as upstream qemu_configs/arm64.py);
			   # two CPUs (see CONFIG_SMP above).
			   extra_qemu_params=['-machine', 'virt', '-cpu', 'max,pauth-impdef=on',
					      '-smp', '2'])
