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

from ..qemu_config import QemuArchParams

# Device-coherent memory needs real RAM that the kernel leaves alone:
# memmap=64M!512M reserves [512M, 576M) (e820 "persistent memory (legacy)",
# never System RAM), and the suite gets that range as a parameter, because
# without CONFIG_PCI nothing in iomem names it.
COHERENT = '64M@512M'

QEMU_ARCH = QemuArchParams(linux_arch='x86_64',
			   kconfig='''
# The console KTAP is read from (as upstream qemu_configs/x86_64.py).
CONFIG_SERIAL_8250=y
CONFIG_SERIAL_8250_CONSOLE=y
# Two CPUs and full preemption: a fault thread that spins (the pre-b570f37a2ce4
# livelock) runs on one CPU while the test thread measures it on the other and
# can always be scheduled to release the lock.  Nothing in a case may depend on
# a single CPU making progress.
CONFIG_SMP=y
CONFIG_PREEMPT=y
# memremap_pages(): ZONE_DEVICE needs memory hotplug and a virtual memmap.
CONFIG_MEMORY_HOTPLUG=y
CONFIG_MEMORY_HOTREMOVE=y
CONFIG_SPARSEMEM_VMEMMAP=y
CONFIG_ZONE_DEVICE=y
# MEMORY_DEVICE_PRIVATE pgmaps and migrate_vma_*().
CONFIG_DEVICE_PRIVATE=y
CONFIG_MIGRATION=y
# Large folios: THP-backed pins, PMD device-private entries (7.x).
CONFIG_TRANSPARENT_HUGEPAGE=y
# Lockdep: a folio lock leaked by a fault path or a test is a splat, not silence.
CONFIG_DEBUG_KERNEL=y
CONFIG_PROVE_LOCKING=y
# VM_BUG_ON/VM_WARN_ON on refcounts and folio state in the paths under test.
CONFIG_DEBUG_VM=y
# Readable stack traces in crash logs.
CONFIG_KALLSYMS=y
# Not needed by any case, and expensive to build: off.  EXPERT makes the
# options that default to y without a prompt (BLOCK, VT, ...) switchable.
CONFIG_EXPERT=y
# CONFIG_ACPI is not set
# CONFIG_BLOCK is not set
# CONFIG_INPUT is not set
# CONFIG_VT is not set
# CONFIG_USB_SUPPORT is not set
# CONFIG_IO_URING is not set
# CONFIG_X86_MCE is not set
# CONFIG_THERMAL is not set
# CONFIG_HWMON is not set
# CONFIG_POWER_SUPPLY is not set
# CONFIG_IOMMU_SUPPORT is not set
# CONFIG_VIRTUALIZATION is not set
# CONFIG_X86_PLATFORM_DEVICES is not set
# CONFIG_SURFACE_PLATFORMS is not set
# CONFIG_CPU_MITIGATIONS is not set
# CONFIG_NAMESPACES is not set
# CONFIG_FTRACE is not set
# CONFIG_SERIO is not set
# CONFIG_HW_RANDOM is not set
# CONFIG_FW_LOADER is not set
# CONFIG_DMI is not set
# CONFIG_SECCOMP is not set
# CONFIG_AIO is not set
# CONFIG_DEBUG_VM_PGTABLE is not set
# CONFIG_X86_KERNEL_IBT is not set
# CONFIG_BINFMT_ELF is not set
# CONFIG_COREDUMP is not set
# CONFIG_X86_VSYSCALL_EMULATION is not set
# CONFIG_MODIFY_LDT_SYSCALL is not set
# The rest of what olddefconfig turns on but tinyconfig does not (derived
# once from make tinyconfig; none of it is reached by a case).
# CONFIG_ADVISE_SYSCALLS is not set
# CONFIG_ALLOW_DEV_COREDUMP is not set
# CONFIG_BINFMT_SCRIPT is not set
# CONFIG_CACHESTAT_SYSCALL is not set
# CONFIG_CC_OPTIMIZE_FOR_PERFORMANCE is not set
# CONFIG_COMPAT_BRK is not set
# CONFIG_CRC_OPTIMIZATIONS is not set
# CONFIG_CROSS_MEMORY_ATTACH is not set
# CONFIG_DEBUG_MISC is not set
# CONFIG_DEVMEM is not set
# CONFIG_DEVPORT is not set
# CONFIG_DNOTIFY is not set
# CONFIG_EARLY_PRINTK is not set
# CONFIG_EPOLL is not set
# CONFIG_EVENTFD is not set
# CONFIG_FHANDLE is not set
# CONFIG_FILE_LOCKING is not set
# CONFIG_FIRMWARE_MEMMAP is not set
# CONFIG_FUTEX is not set
# CONFIG_INOTIFY_USER is not set
# CONFIG_ISA_DMA_API is not set
# CONFIG_LOCALVERSION_AUTO is not set
# CONFIG_MEMBARRIER is not set
# CONFIG_MISC_FILESYSTEMS is not set
# CONFIG_MTRR is not set
# CONFIG_PCSPKR_PLATFORM is not set
# CONFIG_PERF_EVENTS_AMD_UNCORE is not set
# CONFIG_PM is not set
# CONFIG_POSIX_TIMERS is not set
# CONFIG_PREEMPT_DYNAMIC is not set
# CONFIG_PREVENT_FIRMWARE_BUILD is not set
# CONFIG_RANDOMIZE_KSTACK_OFFSET is not set
# CONFIG_RCU_TRACE is not set
# CONFIG_RELOCATABLE is not set
# CONFIG_RSEQ is not set
# CONFIG_RUNTIME_TESTING_MENU is not set
# CONFIG_SCHED_OMIT_FRAME_POINTER is not set
# CONFIG_SECRETMEM is not set
# CONFIG_SECTION_MISMATCH_WARN_ONLY is not set
# CONFIG_SGETMASK_SYSCALL is not set
# CONFIG_SIGNALFD is not set
# CONFIG_SLUB_DEBUG is not set
# CONFIG_STACKPROTECTOR is not set
# CONFIG_STANDALONE is not set
# CONFIG_SUSPEND is not set
# CONFIG_SYMBOLIC_ERRNAME is not set
# CONFIG_SYSCALL_USER_DISPATCH is not set
# CONFIG_TIMERFD is not set
# CONFIG_VHOST_MENU is not set
# CONFIG_VIRTIO_MENU is not set
# CONFIG_X86_BUS_LOCK_DETECT is not set
# CONFIG_X86_DEBUG_FPU is not set
# CONFIG_X86_EXTENDED_PLATFORM is not set
# CONFIG_X86_INTEL_MEMORY_PROTECTION_KEYS is not set
# CONFIG_X86_IOPL_IOPERM is not set
# CONFIG_X86_UMIP is not set
# CONFIG_X86_VERBOSE_BOOTUP is not set
# CONFIG_ZONE_DMA is not set
# Fixed physical layout, so memmap= always reserves the same RAM.
# CONFIG_RANDOMIZE_BASE is not set
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
			   kernel_command_line=('console=ttyS0 tsc=unstable panic=-1 oops=panic '
						'memmap=64M!512M '
						f'zone_device_fixture.coherent={COHERENT}'),
			   # qboot as upstream; two CPUs (see CONFIG_SMP above).
			   extra_qemu_params=['-bios', 'qboot.rom', '-smp', '2'])
