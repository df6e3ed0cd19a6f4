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
# Fixed physical layout, so memmap= always reserves the same RAM.
# CONFIG_RANDOMIZE_BASE is not set
''',
			   qemu_arch='x86_64',
			   kernel_path='arch/x86/boot/bzImage',
			   kernel_command_line=('console=ttyS0 memmap=64M!512M '
						f'zone_device_fixture.coherent={COHERENT}'),
			   # qboot as upstream; two CPUs (see CONFIG_SMP above).
			   extra_qemu_params=['-bios', 'qboot.rom', '-smp', '2'])
