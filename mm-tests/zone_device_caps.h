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
 * A pfn mapped without its struct page (a special PTE, vmf_insert_mixed() in
 * a VM_MIXEDMAP vma) needs pte_special(); without it every pfn_valid() page
 * is mapped as a normal one.
 */
#define ZDT_NO_PTE_SPECIAL \
	"needs CONFIG_ARCH_HAS_PTE_SPECIAL (UML: no ARCH_HAS_PTE_SPECIAL): without it a VM_MIXEDMAP pfn with a struct page is mapped as a normal page"
#define ZDT_NO_HUGETLB \
	"needs CONFIG_HUGETLB_PAGE (UML: no hugetlbfs, no ARCH_SUPPORTS_HUGETLBFS)"
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

/*
 * The NUMA scanner (task_numa_work(): change_prot_numa(), which makes PTEs
 * and PMDs PROT_NONE for NUMA hinting faults) is built with
 * CONFIG_NUMA_BALANCING: x86_64 and arm64 with NUMA (every distribution);
 * UML has no NUMA.
 */
#define ZDT_NO_NUMA_BALANCING \
	"needs CONFIG_NUMA_BALANCING (change_prot_numa(); UML: no NUMA)"

/*
 * memory_failure() (the machine-check and hwpoison-injection entry point)
 * is built with CONFIG_MEMORY_FAILURE, which needs the arch's
 * ARCH_SUPPORTS_MEMORY_FAILURE (x86_64 and arm64 have it, UML not).
 */
#define ZDT_HAS_MEMORY_FAILURE	IS_ENABLED(CONFIG_MEMORY_FAILURE)
#define ZDT_NO_MEMORY_FAILURE \
	"needs CONFIG_MEMORY_FAILURE (UML: no ARCH_SUPPORTS_MEMORY_FAILURE)"

/* Arch */
/*
 * memremap_pages() knows System RAM by its iomem resource.  UML registers
 * none (patches/uml/0004), so there a range of RAM gets past that check and
 * is refused by the memory hotplug that finds its subsections present.
 */
#ifdef CONFIG_UML
#define ZDT_SYSTEM_RAM_REFUSED	(-EEXIST)
#else
#define ZDT_SYSTEM_RAM_REFUSED	(-ENXIO)
#endif

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

/*
 * A compound pgmap's memmap shares its tail struct pages (one memmap page
 * for all but the first tails of a folio) where vmemmap_can_optimize():
 * CONFIG_SPARSEMEM_VMEMMAP on an arch with ARCH_WANT_OPTIMIZE_DAX_VMEMMAP
 * (x86_64, arm64, ...), no altmap, and a folio whose memmap takes more than
 * VMEMMAP_RESERVE_NR pages.  A case sees the sharing by walking the kernel
 * page tables (zdt_memmap_page()), which CONFIG_DEBUG_VIRTUAL forbids for
 * addresses outside vmalloc.
 */
#define ZDT_NO_VMEMMAP_OPTIMIZE \
	"needs vmemmap_can_optimize() (CONFIG_SPARSEMEM_VMEMMAP and ARCH_WANT_OPTIMIZE_DAX_VMEMMAP; UML: no ARCH_WANT_OPTIMIZE_DAX_VMEMMAP)"
#define ZDT_NO_MEMMAP_WALK \
	"needs a virtual memmap the fixture can walk (CONFIG_SPARSEMEM_VMEMMAP, no CONFIG_DEBUG_VIRTUAL)"
/* Folios of PUD order need MAX_FOLIO_ORDER that large (64-bit, vmemmap). */
#define ZDT_NO_PUD_FOLIOS \
	"needs folios of PUD order (MAX_FOLIO_ORDER >= PUD_SHIFT - PAGE_SHIFT)"

/*
 * Build mode: what a module can reach.  The mm-internal functions the
 * fixture calls: kernel_clone() (zdt_forked_reader_create()),
 * do_mprotect_pkey() (zdt_mprotect()), do_madvise() (zdt_madvise()),
 * ksys_mmap_pgoff() (zdt_mmap_pgoff()), change_prot_numa() and
 * sysctl_numa_balancing_mode (zdt_numa_scan()),
 * migrate_device_coherent_folio() (zdt_migrate_coherent_folio()) and
 * lru_add_drain_all() (zdt_drain_lru()).
 * ZDT_KUNIT_EXPORTS: whether the kernel exports them for KUnit
 * (EXPORT_SYMBOL_IF_KUNIT, namespace EXPORTED_FOR_KUNIT_TESTING, which the
 * fixture imports).  The kernels this repository runs on export none, so
 * only a built-in fixture reaches them (mprotect_fixup() for the static
 * do_mprotect_pkey()) and a module skips naming the symbol; make series
 * (tools/upstream.py) adds the exports to the tree, one patch each
 * (patches/kunit-exports/), and resolves every #if of ZDT_KUNIT_EXPORTS.
 */
#define ZDT_KUNIT_EXPORTS	0

#if !ZDT_KUNIT_EXPORTS
#define ZDT_FIXTURE_BUILT_IN	IS_BUILTIN(CONFIG_ZONE_DEVICE_KUNIT_FIXTURE)
#define ZDT_NO_KERNEL_CLONE \
	"needs the suites built in (=y): kernel_clone() is not exported"
#define ZDT_NO_MPROTECT_FIXUP \
	"needs the suites built in (=y): do_mprotect_pkey() is static, mprotect_fixup() and tlb_gather_mmu() are not exported"
#define ZDT_NO_MADVISE \
	"needs the suites built in (=y): do_madvise() is not exported"
#define ZDT_NO_MMAP_PGOFF \
	"needs the suites built in (=y): ksys_mmap_pgoff() is not exported"
#endif

/*
 * Without the export a module still reaches lru_add_drain_all() through
 * shake_folio(), which memory-failure.c exports (for hwpoison-inject; every
 * distribution kernel has MEMORY_FAILURE) and which drains for any folio
 * that is neither slab nor hugetlb.
 */
#if ZDT_KUNIT_EXPORTS
#define ZDT_CAN_DRAIN_LRU	1
#else
#define ZDT_CAN_DRAIN_LRU \
	(ZDT_FIXTURE_BUILT_IN || IS_ENABLED(CONFIG_MEMORY_FAILURE))
#endif
#define ZDT_NO_DRAIN_LRU \
	"needs the suites built in (=y) or CONFIG_MEMORY_FAILURE (shake_folio()): lru_add_drain_all() is not exported"

/*
 * The NUMA scanner's step (zdt_numa_scan()) calls change_prot_numa() and
 * turns NUMA balancing on through sysctl_numa_balancing_mode, both exported
 * for KUnit by the series.
 */
#if ZDT_KUNIT_EXPORTS || ZDT_FIXTURE_BUILT_IN
#define ZDT_CAN_SCAN_NUMA	IS_ENABLED(CONFIG_NUMA_BALANCING)
#define ZDT_NO_NUMA_SCAN	ZDT_NO_NUMA_BALANCING
#else
#define ZDT_CAN_SCAN_NUMA	0
#define ZDT_NO_NUMA_SCAN \
	"needs the suites built in (=y): change_prot_numa() and sysctl_numa_balancing_mode are not exported"
#endif

#if ZDT_KUNIT_EXPORTS || ZDT_FIXTURE_BUILT_IN
/* migrate_device_coherent_folio() is built with CONFIG_DEVICE_MIGRATION. */
#define ZDT_CAN_MIGRATE_COHERENT_FOLIO	IS_ENABLED(CONFIG_DEVICE_MIGRATION)
#define ZDT_NO_COHERENT_FOLIO_MIGRATION	ZDT_NO_DEVICE_MIGRATION
#else
#define ZDT_CAN_MIGRATE_COHERENT_FOLIO	0
#define ZDT_NO_COHERENT_FOLIO_MIGRATION \
	"needs the suites built in (=y) with CONFIG_DEVICE_MIGRATION: migrate_device_coherent_folio() is mm-internal"
#endif

#endif /* _MM_TESTS_ZONE_DEVICE_CAPS_H */
