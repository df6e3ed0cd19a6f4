# SPDX-License-Identifier: GPL-2.0
#
# kunit.py --qemu_config for the zone-device suites on arm64: QEMU's "virt"
# machine under TCG, the same options as configs/x86_64.py where the two
# arches share them.
#
# As for x86_64, kunit.py makes the .config as "this kconfig + the
# kunitconfig, then make olddefconfig", and the lines below switch off again,
# tinyconfig style, what olddefconfig turns on and no case needs: the list is
# the options olddefconfig sets to y and tinyconfig leaves off (7.3), less
# the arm64 CPU features.  Those (CONTPTE, HW_AFDBM, MTE, PTR_AUTH, BTI, the
# errata) stay at their defaults, as on a real arm64 machine: contiguous PTEs
# and the hardware access and dirty flags change how page tables of large
# folios behave, which is what the suites test.

from ..qemu_config import QemuArchParams

# Device-coherent memory needs real RAM that the kernel leaves alone.  arm64
# has no memmap=, but mem= (the amount of RAM the kernel keeps, from the
# bottom) does it: QEMU virt's RAM starts at 1 GiB and kunit.py gives it
# 1 GiB, so with 960M kept the top 64 MiB, [0x7c000000, 0x80000000), are
# real RAM that is never System RAM, as memmap= leaves its range on x86_64.
COHERENT = '64M@1984M'

QEMU_ARCH = QemuArchParams(linux_arch='arm64',
			   kconfig='''
# The console KTAP is read from (as upstream qemu_configs/arm64.py).
CONFIG_SERIAL_AMBA_PL011=y
CONFIG_SERIAL_AMBA_PL011_CONSOLE=y
# Two CPUs and full preemption (see configs/x86_64.py).
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
# options that default to y without a prompt switchable.
CONFIG_EXPERT=y
# CONFIG_ACPI is not set
# CONFIG_EFI is not set
# CONFIG_BLOCK is not set
# CONFIG_INPUT is not set
# CONFIG_HID_SUPPORT is not set
# CONFIG_VT is not set
# CONFIG_USB_SUPPORT is not set
# CONFIG_IO_URING is not set
# CONFIG_HWMON is not set
# CONFIG_IOMMU_SUPPORT is not set
# CONFIG_ARM64_PLATFORM_DEVICES is not set
# CONFIG_SURFACE_PLATFORMS is not set
# CONFIG_FTRACE is not set
# CONFIG_SERIO is not set
# CONFIG_HW_RANDOM is not set
# CONFIG_FW_LOADER is not set
# CONFIG_DMI is not set
# CONFIG_SECCOMP is not set
# CONFIG_AIO is not set
# CONFIG_DEBUG_VM_PGTABLE is not set
# CONFIG_BINFMT_ELF is not set
# CONFIG_COREDUMP is not set
# The rest of what olddefconfig turns on but tinyconfig does not, as in
# configs/x86_64.py (none of it is reached by a case).
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
# CONFIG_EPOLL is not set
# CONFIG_EVENTFD is not set
# CONFIG_FHANDLE is not set
# CONFIG_FILE_LOCKING is not set
# CONFIG_FUTEX is not set
# CONFIG_INOTIFY_USER is not set
# CONFIG_LOCALVERSION_AUTO is not set
# CONFIG_MEMBARRIER is not set
# CONFIG_MISC_FILESYSTEMS is not set
# CONFIG_PM is not set
# CONFIG_POSIX_TIMERS is not set
# CONFIG_PREVENT_FIRMWARE_BUILD is not set
# CONFIG_RANDOMIZE_KSTACK_OFFSET is not set
# CONFIG_RCU_TRACE is not set
# CONFIG_RELOCATABLE is not set
# CONFIG_RSEQ is not set
# CONFIG_RUNTIME_TESTING_MENU is not set
# CONFIG_SECRETMEM is not set
# CONFIG_SECTION_MISMATCH_WARN_ONLY is not set
# CONFIG_SIGNALFD is not set
# CONFIG_SLUB_DEBUG is not set
# CONFIG_STACKPROTECTOR is not set
# CONFIG_STANDALONE is not set
# CONFIG_SUSPEND is not set
# CONFIG_SYMBOLIC_ERRNAME is not set
# CONFIG_TIMERFD is not set
# CONFIG_VHOST_MENU is not set
# CONFIG_VIRTIO_MENU is not set
# CONFIG_ZONE_DMA is not set
# CONFIG_ZONE_DMA32 is not set
# Fixed physical and virtual layout (no KASLR from the DT's kaslr-seed).
# CONFIG_RANDOMIZE_BASE is not set
''',
			   qemu_arch='aarch64',
			   kernel_path='arch/arm64/boot/Image.gz',
			   # panic=-1 oops=panic: a crash ends QEMU at once, as on
			   # x86_64.  mem=: see COHERENT above.
			   kernel_command_line=('console=ttyAMA0 panic=-1 oops=panic mem=960M '
						f'zone_device_fixture.coherent={COHERENT}'),
			   # pauth-impdef: QEMU's own pointer-authentication
			   # algorithm, far cheaper under TCG than the
			   # architected QARMA (as upstream qemu_configs/arm64.py);
			   # two CPUs (see CONFIG_SMP above).
			   extra_qemu_params=['-machine', 'virt', '-cpu', 'max,pauth-impdef=on',
					      '-smp', '2'])
