/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What an arch, a config or the build mode (built in or a module) may lack,
 * each with the text a case skips with: the one place the suites test for
 * them.  What differs by kernel version is in zone_device_compat.h.
 */
#ifndef _MM_TESTS_ZONE_DEVICE_CAPS_H
#define _MM_TESTS_ZONE_DEVICE_CAPS_H

#include <linux/kconfig.h>
#include <linux/mm.h>

/* Configs */

/*
 * Without ZONE_DEVICE (mainline UML) every fixture helper that needs a
 * device skips the case with ZDT_NO_ZONE_DEVICE or, if none could exist,
 * does nothing (zone_device_fixture_none.c); the suites call them
 * unconditionally.
 */
#define ZDT_NO_ZONE_DEVICE \
	"needs CONFIG_ZONE_DEVICE (UML: mainline arch/um has no memory hotplug)"
#define ZDT_NO_DEVICE_MIGRATION \
	"needs CONFIG_DEVICE_MIGRATION (ZONE_DEVICE and MIGRATION; UML: mainline arch/um has no memory hotplug)"
#define ZDT_NO_DEVICE_EXCLUSIVE \
	"needs CONFIG_DEVICE_PRIVATE for make_device_exclusive() (UML: mainline arch/um has no memory hotplug)"
#define ZDT_NO_DEVICE_PRIVATE	"needs CONFIG_DEVICE_PRIVATE"
/*
 * Device-coherent, generic, fsdax and p2pdma pgmaps need real RAM the kernel
 * does not use: reserved at boot and handed to the fixture.
 */
#define ZDT_NO_RESERVED_RAM \
	"needs reserved RAM: boot with memmap=SIZE!START (x86) or mem= below it (arm64) and zone_device_fixture.coherent=SIZE@START"

/*
 * The hmm DMA helpers map only for a device that needs no DMA syncs and no
 * bounce buffers (hmm_dma_map_alloc() refuses others with -EOPNOTSUPP): a
 * cache-coherent one.  A KUnit device is one where DMA is coherent by
 * arch (x86); arm64 takes coherence from firmware, which a KUnit device has
 * none of, and UML has no DMA.
 */
#define ZDT_NO_COHERENT_DMA \
	"needs DMA and a cache-coherent DMA device (arm64: coherence comes from firmware, a KUnit device has none; UML: no DMA)"

/* Arch */

/*
 * THP cases need CONFIG_TRANSPARENT_HUGEPAGE, which needs the arch's
 * HAVE_ARCH_TRANSPARENT_HUGEPAGE (UML has none: PMD leaf entries are not in
 * its page tables); PMD-level device-private and migration entries also need
 * thp_migration_supported() (ARCH_ENABLE_THP_MIGRATION).
 */
#define ZDT_NO_THP \
	"needs CONFIG_TRANSPARENT_HUGEPAGE (UML: no HAVE_ARCH_TRANSPARENT_HUGEPAGE)"
#define ZDT_NO_PMD_MIGRATION \
	"needs PMD-level migration entries (CONFIG_TRANSPARENT_HUGEPAGE on an arch with THP migration; UML has no THP)"
/*
 * GUP-fast needs the arch's HAVE_GUP_FAST; without it (UML) the fast entry
 * points go straight to the slow path (gup_fast(), mm/gup.c), so their
 * parameters of a case would only repeat the slow ones'.
 */
#define ZDT_NO_GUP_FAST \
	"needs CONFIG_HAVE_GUP_FAST (UML: no HAVE_GUP_FAST, the fast entry points are the slow path)"

/* Build mode: what only a built-in fixture or suite can reach */

/*
 * mm-internal functions the fixture calls only when built in:
 * lru_add_drain_all() (zdt_drain_lru() is a no-op in a module),
 * kernel_clone() (zdt_forked_reader_create()) and, with DEVICE_MIGRATION,
 * migrate_device_coherent_folio() (zdt_migrate_coherent_folio()).
 */
#define ZDT_FIXTURE_BUILT_IN	IS_BUILTIN(CONFIG_ZONE_DEVICE_KUNIT_FIXTURE)
#define ZDT_NO_KERNEL_CLONE \
	"needs the suites built in (=y): kernel_clone() is not exported"
#define ZDT_CAN_MIGRATE_COHERENT_FOLIO \
	(ZDT_FIXTURE_BUILT_IN && IS_ENABLED(CONFIG_DEVICE_MIGRATION))
#define ZDT_NO_COHERENT_FOLIO_MIGRATION \
	"needs the suites built in (=y) with CONFIG_DEVICE_MIGRATION: migrate_device_coherent_folio() is mm-internal"

/*
 * A case mprotect()s its own mapping as do_mprotect_pkey() (static) does,
 * with mprotect_fixup() in an mmu_gather: declared in every supported
 * kernel, exported in none (nor is tlb_gather_mmu()), and x86's <asm/tlb.h>
 * cannot be included by a module, so the suite must be built in.
 */
#if IS_BUILTIN(CONFIG_ZONE_DEVICE_FAULT_KUNIT_TEST) && !defined(MODULE)
#define ZDT_HAS_MPROTECT_FIXUP	1
#include <asm/tlb.h>
#else
#define ZDT_HAS_MPROTECT_FIXUP	0
#endif
#define ZDT_NO_MPROTECT_FIXUP \
	"needs the suite built in: mprotect_fixup() and tlb_gather_mmu() are not exported"

/* mprotect_fixup() of [@start, @end) of @vma to @newflags, in its own mmu_gather. */
static inline int zdt_mprotect_fixup(struct vma_iterator *vmi, struct vm_area_struct *vma,
				     struct vm_area_struct **pprev, unsigned long start,
				     unsigned long end, vm_flags_t newflags)
{
#if ZDT_HAS_MPROTECT_FIXUP
	struct mmu_gather tlb;
	int ret;

	tlb_gather_mmu(&tlb, vma->vm_mm);
	ret = mprotect_fixup(vmi, &tlb, vma, pprev, start, end, newflags);
	tlb_finish_mmu(&tlb);
	return ret;
#else
	return -EOPNOTSUPP;
#endif
}

#endif /* _MM_TESTS_ZONE_DEVICE_CAPS_H */
