# SPDX-License-Identifier: GPL-2.0
#
# kunit.py --qemu_config for the zone-device suites on x86_64: a small kernel
# that boots in about two seconds under TCG.
#
# kunit.py builds its .config as "this kconfig + the kunitconfig, then make
# olddefconfig".  olddefconfig from an empty file turns on whatever defaults to
# y (ACPI, block, input, VT, USB, mitigations ...): ~270 s cold on two cores.
# The lines below switch those off again, tinyconfig style (~140 s), and turn
# on what the suites rely on.  kunit.py checks that every line here made it
# into the final .config, so a kernel that renames one fails loudly.

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
# any package).
_spec = importlib.util.spec_from_file_location('zdt_reserved_ram',
					       os.path.join(HERE, 'reserved_ram.py'))
reserved_ram = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(reserved_ram)

QEMU_ARCH = QemuArchParams(linux_arch='x86_64',
			   kconfig='''
# The console KTAP is read from (as upstream qemu_configs/x86_64.py).
CONFIG_SERIAL_8250=y
CONFIG_SERIAL_8250_CONSOLE=y
''' + COMMON + '''# memory_failure() is reached from machine checks: x86 offers MEMORY_FAILURE
# (configs/distro.kconfig) only with X86_MCE, as every distribution has it.
CONFIG_X86_MCE=y
# The soft-dirty bit of device-private entries, and /proc/pid/pagemap's
# reading of them (fs/proc/task_mmu.c): a distribution option that arm64
# lacks (no HAVE_ARCH_SOFT_DIRTY), so it is here and not in distro.kconfig.
CONFIG_CHECKPOINT_RESTORE=y
CONFIG_MEM_SOFT_DIRTY=y
# Off on x86_64 too: what olddefconfig turns on here and tinyconfig does not
# (derived as for common.kconfig; none of it is reached by a case).
# CONFIG_THERMAL is not set
# CONFIG_POWER_SUPPLY is not set
# CONFIG_VIRTUALIZATION is not set
# CONFIG_X86_PLATFORM_DEVICES is not set
# CONFIG_CPU_MITIGATIONS is not set
# CONFIG_NAMESPACES is not set
# CONFIG_X86_KERNEL_IBT is not set
# CONFIG_X86_VSYSCALL_EMULATION is not set
# CONFIG_MODIFY_LDT_SYSCALL is not set
# CONFIG_EARLY_PRINTK is not set
# CONFIG_FIRMWARE_MEMMAP is not set
# CONFIG_ISA_DMA_API is not set
# CONFIG_MTRR is not set
# CONFIG_PCSPKR_PLATFORM is not set
# CONFIG_PERF_EVENTS_AMD_UNCORE is not set
# CONFIG_PREEMPT_DYNAMIC is not set
# CONFIG_SCHED_OMIT_FRAME_POINTER is not set
# CONFIG_SGETMASK_SYSCALL is not set
# CONFIG_SYSCALL_USER_DISPATCH is not set
# CONFIG_X86_BUS_LOCK_DETECT is not set
# CONFIG_X86_DEBUG_FPU is not set
# CONFIG_X86_EXTENDED_PLATFORM is not set
# CONFIG_X86_INTEL_MEMORY_PROTECTION_KEYS is not set
# CONFIG_X86_IOPL_IOPERM is not set
# CONFIG_X86_UMIP is not set
# CONFIG_X86_VERBOSE_BOOTUP is not set
''',
			   qemu_arch='x86_64',
			   kernel_path='arch/x86/boot/bzImage',
			   # tsc=unstable: 6.12 switches to the TSC clocksource a
			   # second after boot and prints it in the middle of the
			   # KTAP stream, which then no longer parses; every
			   # version stays on jiffies, as 7.3 does by itself.
			   # panic=-1: a panicking kernel reboots at once, which
			   # ends QEMU (kunit.py runs it with -no-reboot): a crash
			   # verdict in seconds instead of at kunit.py's timeout.
			   # oops=panic: so does an oops (a BUG in a case's thread
			   # otherwise leaves the rest of the run waiting on it:
			   # mutant 0020 took 133 s, the 120 s timeout).
			   # Then the reserved RAM (configs/reserved_ram.py).
			   # hugepages=4: a pool of four default-size (2 MiB)
			   # hugetlb pages, for the hmm suite's MAP_HUGETLB case
			   # (hmm_vma_walk_hugetlb_entry()); without a pool it skips.
			   # no_timer_check: the boot's check that the timer
			   # interrupt arrives within a few ticks fails under TCG on
			   # a loaded host ("IO-APIC + timer doesn't work!", a
			   # panic before the first case: mutants at load 11).
			   kernel_command_line=' '.join(['console=ttyS0', 'tsc=unstable', 'panic=-1',
							 'oops=panic', 'no_timer_check', 'hugepages=4'] +
							reserved_ram.kernel_args('x86_64')),
			   # qboot as upstream; two CPUs (see CONFIG_SMP above).
			   extra_qemu_params=['-bios', 'qboot.rom', '-smp', '2'])
