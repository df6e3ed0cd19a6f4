/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place where the zone-device KUnit suites differ by kernel version.
 *
 * Everything that changed between 6.12 and 7.x is named here, once, with the
 * version that has each form; the suites call these helpers and state their
 * expectations through them.  Nothing else in mm/tests/zone_device_* tests
 * the kernel version.  What an arch, a config or the build mode lacks is in
 * zone_device_caps.h.
 */
#ifndef _MM_TESTS_ZONE_DEVICE_COMPAT_H
#define _MM_TESTS_ZONE_DEVICE_COMPAT_H

#include <linux/dma-mapping.h>
#include <linux/hmm.h>
#include <linux/memremap.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/rmap.h>
#include <linux/version.h>
#include <linux/slab.h>
#include <linux/swap.h>		/* before swapops.h: MAX_SWAPFILES_SHIFT (6.12, 7.2) */
#include <linux/swapops.h>
#include <kunit/test.h>

/* The only version test in the suites; checkpatch is told so (selftest.py). */
#define ZDT_KERNEL_AT_LEAST(major, minor) \
	(LINUX_VERSION_CODE >= KERNEL_VERSION(major, minor, 0))

#if ZDT_KERNEL_AT_LEAST(6, 19)
#include <linux/leafops.h>
#endif

/*
 * MODULE_IMPORT_NS() takes the namespace as a string literal since 6.13
 * (cdd30ebb1b9f "module: Convert symbol namespace to string literal"), a
 * bare name before: ZDT_KUNIT_NS is KUnit's, EXPORTED_FOR_KUNIT_TESTING.
 */
#if ZDT_KERNEL_AT_LEAST(6, 13)
#define ZDT_KUNIT_NS			"EXPORTED_FOR_KUNIT_TESTING"
#else
#define ZDT_KUNIT_NS			EXPORTED_FOR_KUNIT_TESTING
#endif

/*
 * The free callback: dev_pagemap_ops.page_free(struct page *) until 6.18,
 * .folio_free(struct folio *) since 6.19 (3a5a06554566 "mm/zone_device:
 * rename page_free callback to folio_free").  ZDT_FREE_OP names the member,
 * ZDT_FREE_ARG its argument type.
 */
#if ZDT_KERNEL_AT_LEAST(6, 19)
#define ZDT_HAS_FOLIO_FREE		1
#define ZDT_FREE_OP			folio_free
#define ZDT_FREE_ARG			struct folio
static inline struct page *zdt_free_arg_page(struct folio *folio)
{
	return &folio->page;
}
#else
#define ZDT_HAS_FOLIO_FREE		0
#define ZDT_FREE_OP			page_free
#define ZDT_FREE_ARG			struct page
static inline struct page *zdt_free_arg_page(struct page *page)
{
	return page;
}
#endif

/*
 * page->pgmap until 6.14; page_pgmap() since 6.15, when the pgmap moved to
 * the folio (82ba975e4c43 "mm: allow compound zone device pages").
 */
static inline struct dev_pagemap *zdt_page_pgmap(struct page *page)
{
#if ZDT_KERNEL_AT_LEAST(6, 15)
	return page_pgmap(page);
#else
	return page->pgmap;
#endif
}

static inline void zdt_folio_set_pgmap(struct folio *folio,
				       struct dev_pagemap *pgmap)
{
#if ZDT_KERNEL_AT_LEAST(6, 15)
	folio->pgmap = pgmap;
#else
	folio->page.pgmap = pgmap;
#endif
}

/*
 * The live pgmap of a pfn, a reference taken: get_dev_pagemap(pfn, NULL)
 * until 6.17, get_dev_pagemap(pfn) since 6.18 ("mm/memremap: remove unused
 * get_dev_pagemap() parameter").
 */
static inline struct dev_pagemap *zdt_get_dev_pagemap(unsigned long pfn)
{
#if ZDT_KERNEL_AT_LEAST(6, 18)
	return get_dev_pagemap(pfn);
#else
	return get_dev_pagemap(pfn, NULL);
#endif
}

/*
 * Hand out a free device page, as a driver's allocator does: refcount 1,
 * locked, one pgmap reference.  Until 6.18: zone_device_page_init(page),
 * order 0 only.  Since 6.19: zone_device_folio_init(folio, pgmap, order)
 * (d245f9b4ab80 "mm/zone_device: support large zone device private folios",
 * 12b2285bf3d1 added the pgmap argument).
 */
#if ZDT_KERNEL_AT_LEAST(6, 19)
#define ZDT_HAS_LARGE_DEVICE_FOLIOS	1
#else
#define ZDT_HAS_LARGE_DEVICE_FOLIOS	0
#endif

#ifdef CONFIG_ZONE_DEVICE
#if ZDT_HAS_LARGE_DEVICE_FOLIOS
static inline void zdt_zone_device_init(struct page *page,
					struct dev_pagemap *pgmap,
					unsigned int order)
{
	/*
	 * The page, not page_folio() of it: a page of a freed larger folio
	 * still points at its old head until zone_device_page_init() clears
	 * that, as the kernel's own cast there does.
	 */
	zone_device_folio_init((struct folio *)page, pgmap, order);
}
#else
static inline void zdt_zone_device_init(struct page *page,
					struct dev_pagemap *pgmap,
					unsigned int order)
{
	WARN_ON_ONCE(order);
	zone_device_page_init(page);
}
#endif
#endif /* CONFIG_ZONE_DEVICE */

/*
 * Large device-private folios move with one PMD-level entry:
 * migrate_vma_*() collect and install them as one compound entry when asked
 * to (MIGRATE_VMA_SELECT_COMPOUND, MIGRATE_PFN_COMPOUND), and a CPU access
 * faults them back through do_huge_pmd_device_private() (same series as
 * zone_device_folio_init(), 6.19).  Before that the flags do not exist.
 */
#if ZDT_HAS_LARGE_DEVICE_FOLIOS
/* The pgmap op that gives each folio of a split device folio its share. */
#define ZDT_FOLIO_SPLIT_OP(fn)		.folio_split = (fn),
#define ZDT_MIGRATE_VMA_SELECT_COMPOUND	MIGRATE_VMA_SELECT_COMPOUND
#define ZDT_MIGRATE_PFN_COMPOUND	MIGRATE_PFN_COMPOUND
/* A system folio of @order for @vma at @addr (no "hugepage" flag since 6.10). */
static inline struct folio *zdt_vma_alloc_folio(unsigned int order,
						struct vm_area_struct *vma,
						unsigned long addr)
{
	return vma_alloc_folio(GFP_HIGHUSER_MOVABLE, order, vma, addr);
}
#else
#define ZDT_FOLIO_SPLIT_OP(fn)
#define ZDT_MIGRATE_VMA_SELECT_COMPOUND	0
#define ZDT_MIGRATE_PFN_COMPOUND	0
static inline struct folio *zdt_vma_alloc_folio(unsigned int order,
						struct vm_area_struct *vma,
						unsigned long addr)
{
	return NULL;
}
#endif
#define ZDT_NO_LARGE_DEVICE_FOLIOS \
	"needs large device-private folios (zone_device_folio_init(), MIGRATE_VMA_SELECT_COMPOUND: 6.19)"

/*
 * migrate_vma_setup() splits a PTE-mapped large folio it meets in the range
 * and collects its pages one by one (022a12deda53 "mm/migrate_device: handle
 * partially mapped folios during collection", 6.19, the series of
 * zone_device_folio_init()); before, it left such a page out ("FIXME support
 * THP").
 */
#define ZDT_HAS_COLLECT_SPLIT		ZDT_HAS_LARGE_DEVICE_FOLIOS
#define ZDT_NO_COLLECT_SPLIT \
	"needs migrate_vma_setup() to split a PTE-mapped large folio (022a12deda53, 6.19)"

/*
 * migrate_vma_insert_page() splits a huge zero PMD it finds in a hole and
 * replaces one page of it (a30b48bf1b24 "mm/migrate_device: implement THP
 * migration of zone device pages", 6.19, the same series); before, the PMD
 * leaf makes it give up: src loses MIGRATE_PFN_MIGRATE, the huge zero page
 * stays and the driver's page comes back to it.
 */
#define ZDT_HAS_INSERT_SPLITS_HUGE_ZERO	ZDT_HAS_LARGE_DEVICE_FOLIOS
#if ZDT_HAS_INSERT_SPLITS_HUGE_ZERO
#define ZDT_INSERT_HUGE_ZERO_RULE \
	"a huge zero PMD in the hole is split and one page of it replaced by the device page"
#else
#define ZDT_INSERT_HUGE_ZERO_RULE \
	"a huge zero PMD in the hole stays: the device page is not inserted (6.12, before a30b48bf1b24)"
#endif

/*
 * A non-present PTE's device-private page: the softleaf_*() helpers of
 * <linux/leafops.h> since 6.19 (68aa2fdbf57f "mm: introduce leaf entry type
 * and use to simplify leaf entry logic"), swp_entry_t ones before.
 *
 * Return: the page a device-private @pte points at, with its write
 * permission in @write, or NULL for any other PTE (none, present, swap,
 * migration).
 */
static inline struct page *zdt_pte_device_private_page(pte_t pte, bool *write)
{
#if ZDT_KERNEL_AT_LEAST(6, 19)
	softleaf_t entry = softleaf_from_pte(pte);

	if (!softleaf_is_device_private(entry))
		return NULL;
	*write = softleaf_is_device_private_write(entry);
	return softleaf_to_page(entry);
#else
	swp_entry_t entry;

	if (!is_swap_pte(pte))
		return NULL;
	entry = pte_to_swp_entry(pte);
	if (!is_device_private_entry(entry))
		return NULL;
	*write = is_writable_device_private_entry(entry);
	return pfn_swap_entry_to_page(entry);
#endif
}

/*
 * Refcount of every page of a pgmap right after memremap_pages().
 * Before 6.15 only PRIVATE and COHERENT pages start free at 0 (ef233450898f
 * "mm: free device private pages have zero refcount"); FS_DAX, P2PDMA and
 * GENERIC start at 1.  Since 6.15 FS_DAX (38607c62b34b "fs/dax: properly
 * refcount fs dax pages") and P2PDMA (b7e282378773 "mm/mm_init: move p2pdma
 * page refcount initialisation to p2pdma") start at 0 too; only GENERIC
 * keeps 1.
 */
static inline int zdt_initial_refcount(enum memory_type type)
{
	switch (type) {
	case MEMORY_DEVICE_PRIVATE:
	case MEMORY_DEVICE_COHERENT:
		return 0;
	case MEMORY_DEVICE_FS_DAX:
	case MEMORY_DEVICE_PCI_P2PDMA:
		return ZDT_KERNEL_AT_LEAST(6, 15) ? 0 : 1;
	default:
		return 1;
	}
}

/*
 * Since 6.15 (the same commits) the final put of an FS_DAX or P2PDMA folio
 * takes it to 0 and into free_zone_device_folio(), which wakes an FS_DAX
 * folio's waiters (wake_up_var() on the page: fs/dax.c's wait_page_idle())
 * and calls a P2PDMA pgmap's free callback.  Before, both were 1-based and
 * the put to 1 took other paths (put_devmap_managed_folio_refs()).
 */
#define ZDT_HAS_ZERO_BASED_DAX_P2PDMA	ZDT_KERNEL_AT_LEAST(6, 15)
#define ZDT_NO_ZERO_BASED_DAX_P2PDMA \
	"FS_DAX and P2PDMA folios are freed at refcount 0 since 6.15 (38607c62b34b, b7e282378773)"

/*
 * Whether do_swap_page() holds the device folio's lock across
 * migrate_to_ram(): since 1afaeb8293c9 ("mm/migrate: Trylock device page in
 * do_swap_page", 6.15) it does; 6.12 calls it unlocked.
 */
#if ZDT_KERNEL_AT_LEAST(6, 15)
#define ZDT_FAULT_LOCKS_DEVICE_FOLIO	true
#define ZDT_FAULT_LOCK_RULE \
	"do_swap_page() must hold the folio lock across migrate_to_ram() (1afaeb8293c9)"
#else
#define ZDT_FAULT_LOCKS_DEVICE_FOLIO	false
#define ZDT_FAULT_LOCK_RULE \
	"this kernel predates 1afaeb8293c9: migrate_to_ram() runs unlocked"
#endif

/*
 * WARN()s a case provokes on purpose (memremap_pages() rejecting a malformed
 * pgmap) are suppressed and counted where KUnit can do that
 * (kunit_warning_suppress(), 85347718ab0d, 7.2).  Elsewhere they reach the
 * log: the case declares them (zdt_splat_expected(), a splat whose first line
 * names @what), so that they neither fail it nor go missing, and the count
 * is -1, "not known".
 */
#ifdef kunit_warning_suppress
#define ZDT_HAS_WARN_SUPPRESS		1
#define zdt_expect_warning(test, what, stmt, nr_warn)			\
	do {								\
		(void)(what);						\
		kunit_warning_suppress(test) {				\
			stmt;						\
			nr_warn = KUNIT_SUPPRESSED_WARNING_COUNT();	\
		}							\
	} while (0)
#else
#define ZDT_HAS_WARN_SUPPRESS		0
/* A declared splat is one or more: the exact count needs suppression. */
#define ZDT_NO_WARN_SUPPRESS \
	"exact WARN count unchecked (-EINVAL and at least one WARN are): needs kunit_warning_suppress() (85347718ab0d, 7.2)"
#define zdt_expect_warning(test, what, stmt, nr_warn)			\
	do {								\
		zdt_splat_expected(test, what);				\
		stmt;							\
		nr_warn = -1;						\
	} while (0)
#endif

/* kzalloc_obj() (7.0) on kernels without it. */
#ifndef kzalloc_obj
#define kzalloc_obj(obj)	kzalloc(sizeof(obj), GFP_KERNEL)
#endif

/* migrate suite */

/*
 * args->fault_page of migrate_vma_setup(): since 1afaeb8293c9 ("mm/migrate:
 * Trylock device page in do_swap_page", 6.15) the fault holds it locked, and
 * setup refuses an unlocked one with -EINVAL and does not lock it again;
 * before, setup trylocked it like any other page (so a locked one was not
 * collected).  The same commit as ZDT_FAULT_LOCKS_DEVICE_FOLIO.
 */
#if ZDT_KERNEL_AT_LEAST(6, 15)
#define ZDT_SETUP_LOCKED_FAULT_PAGE	true
#define ZDT_FAULT_PAGE_RULE \
	"migrate_vma_setup() wants fault_page locked by the caller, else -EINVAL (1afaeb8293c9)"
#else
#define ZDT_SETUP_LOCKED_FAULT_PAGE	false
#define ZDT_FAULT_PAGE_RULE \
	"this kernel predates 1afaeb8293c9: migrate_vma_setup() trylocks fault_page itself"
#endif
#define ZDT_NO_LOCKED_FAULT_PAGE \
	"needs 1afaeb8293c9 (6.15): a locked fault_page for migrate_vma_setup()"

/*
 * migrate_device_pfns(): eviction of a list of device pfns (a14fa8ec9d81
 * "mm/migrate: Add migrate_device_pfns", 6.15); before, only
 * migrate_device_range().
 */
#define ZDT_HAS_MIGRATE_DEVICE_PFNS	ZDT_KERNEL_AT_LEAST(6, 15)

#ifdef CONFIG_DEVICE_MIGRATION
static inline int zdt_migrate_device_pfns(unsigned long *src_pfns,
					  unsigned long npages)
{
#if ZDT_HAS_MIGRATE_DEVICE_PFNS
	return migrate_device_pfns(src_pfns, npages);
#else
	return -EOPNOTSUPP;
#endif
}
#endif /* CONFIG_DEVICE_MIGRATION */

#define ZDT_NO_MIGRATE_DEVICE_PFNS \
	"needs migrate_device_pfns() (a14fa8ec9d81, 6.15)"

/* hmm suite */

/*
 * What zone_device_hmm uses is the same from 6.12 to 7.3 but for what is
 * named below: hmm_range_fault() under the mmap read lock, struct hmm_range,
 * HMM_PFN_VALID, _WRITE, _ERROR, _REQ_FAULT, _REQ_WRITE, HMM_PFN_FLAGS,
 * hmm_pfn_to_page(), hmm_pfn_to_map_order(), mmu_interval_notifier_insert()
 * and _remove() with an .invalidate op, mmu_interval_read_begin(),
 * mmu_interval_read_retry() and mmu_interval_set_seq().
 * What differs, it leaves alone: HMM_PFN_ORDER_SHIFT is BITS_PER_LONG - 8 in
 * 6.12 and BITS_PER_LONG - 11 in 7.x, with the sticky HMM_PFN_DMA_MAPPED and
 * _P2PDMA bits in between (the suite takes a pfn as hmm_pfn & ~HMM_PFN_FLAGS,
 * right in both); 7.x adds the two-pass invalidate_start/_finish ops.
 * HMM_MIRROR does not select MMU_NOTIFIER in 6.12: the suite's Kconfig
 * selects both.
 */

/*
 * hmm_range_fault_unlocked_timeout() (7.3; mm/hmm.c, Documentation/mm/hmm.rst
 * calls it "the normal interface"): the caller does not hold the mmap lock;
 * the call takes it, lets handle_mm_fault() drop it, and on an invalidation
 * or a dropped lock takes a new range->notifier_seq and walks again itself,
 * until @timeout jiffies of retries.  Before 7.3 only hmm_range_fault().
 */
#define ZDT_HAS_HMM_RANGE_FAULT_UNLOCKED	ZDT_KERNEL_AT_LEAST(7, 3)
#define ZDT_NO_HMM_RANGE_FAULT_UNLOCKED \
	"needs hmm_range_fault_unlocked_timeout() (7.3)"

/*
 * Where hmm_range_fault() faults: 7.3 ("mm/hmm: move page fault handling out
 * of walk callbacks") after walk_page_range() returns; before, from the walk's
 * callbacks, so a hugetlb hole is faulted while walk_hugetlb_range() holds
 * the hugetlb vma lock, which hugetlb_fault() takes for read again: a
 * deadlock if a writer queues in between, which only lockdep reports
 * (configs/known-failures).
 */
#define ZDT_HAS_HMM_FAULT_AFTER_WALK	ZDT_KERNEL_AT_LEAST(7, 3)
#define ZDT_NO_LOCKDEP_HUGETLB_FAULT \
	"needs CONFIG_PROVE_LOCKING before 7.3: the fault of a hugetlb hole from the page walk retakes the hugetlb vma lock, which only lockdep reports"

/* Return: what it returned, -EOPNOTSUPP where the kernel has not got it. */
static inline int zdt_hmm_range_fault_unlocked(struct hmm_range *range,
					       unsigned long timeout)
{
#if ZDT_HAS_HMM_RANGE_FAULT_UNLOCKED
	return hmm_range_fault_unlocked_timeout(range, timeout);
#else
	return -EOPNOTSUPP;
#endif
}

/*
 * The hmm DMA helpers (include/linux/hmm-dma.h, mm/hmm.c: "mm/hmm: provide
 * generic DMA managing logic", 6.16): a struct hmm_dma_map whose pfn_list a
 * driver hands to hmm_range_fault() as range->hmm_pfns, hmm_dma_map_pfn()
 * and hmm_dma_unmap_pfn() of one entry, marked HMM_PFN_DMA_MAPPED while
 * mapped, a mark hmm_range_fault() carries from input to output
 * ("mm/hmm: let users to tag specific PFN with DMA mapped bit").  6.12 has
 * none of it.  struct zdt_hmm_dma is a driver's map; its pfn list is
 * zdt_hmm_dma_pfns().
 */
#define ZDT_HAS_HMM_DMA_MAP		ZDT_KERNEL_AT_LEAST(6, 16)
#define ZDT_NO_HMM_DMA_MAP \
	"needs the hmm DMA helpers (hmm_dma_map_alloc(), HMM_PFN_DMA_MAPPED: 6.16)"

#if ZDT_HAS_HMM_DMA_MAP
#include <linux/hmm-dma.h>
#include <linux/pci-p2pdma.h>

#define ZDT_HMM_PFN_DMA_MAPPED		HMM_PFN_DMA_MAPPED

struct zdt_hmm_dma {
	struct hmm_dma_map map;
};

static inline int zdt_hmm_dma_alloc(struct device *dev, struct zdt_hmm_dma *d,
				    size_t nr_entries)
{
	return hmm_dma_map_alloc(dev, &d->map, nr_entries, PAGE_SIZE);
}

static inline void zdt_hmm_dma_free(struct device *dev, struct zdt_hmm_dma *d)
{
	hmm_dma_map_free(dev, &d->map);
}

static inline unsigned long *zdt_hmm_dma_pfns(struct zdt_hmm_dma *d)
{
	return d->map.pfn_list;
}

/* hmm_dma_map_pfn() of entry @idx, a page of system RAM (no P2P state). */
static inline dma_addr_t zdt_hmm_dma_map_pfn(struct device *dev,
					     struct zdt_hmm_dma *d, size_t idx)
{
	struct pci_p2pdma_map_state p2pdma_state = { };

	return hmm_dma_map_pfn(dev, &d->map, idx, &p2pdma_state);
}

static inline bool zdt_hmm_dma_unmap_pfn(struct device *dev,
					 struct zdt_hmm_dma *d, size_t idx)
{
	return hmm_dma_unmap_pfn(dev, &d->map, idx);
}
#else
#define ZDT_HMM_PFN_DMA_MAPPED		0UL

struct zdt_hmm_dma {
	unsigned long *pfn_list;
};

static inline int zdt_hmm_dma_alloc(struct device *dev, struct zdt_hmm_dma *d,
				    size_t nr_entries)
{
	return -EOPNOTSUPP;
}

static inline void zdt_hmm_dma_free(struct device *dev, struct zdt_hmm_dma *d)
{
}

static inline unsigned long *zdt_hmm_dma_pfns(struct zdt_hmm_dma *d)
{
	return d->pfn_list;
}

static inline dma_addr_t zdt_hmm_dma_map_pfn(struct device *dev,
					     struct zdt_hmm_dma *d, size_t idx)
{
	return DMA_MAPPING_ERROR;
}

static inline bool zdt_hmm_dma_unmap_pfn(struct device *dev,
					 struct zdt_hmm_dma *d, size_t idx)
{
	return false;
}
#endif /* ZDT_HAS_HMM_DMA_MAP */

/*
 * vmf_insert_mixed() (hmm suite: a pfn mapped without its struct page) takes
 * a pfn_t in 6.12 and a bare pfn in 7.2 and 7.3: the pfn_t type went with
 * Alistair Popple's "mm: Remove pfn_t type" series (6.17).
 */
#if ZDT_KERNEL_AT_LEAST(6, 17)
static inline vm_fault_t zdt_vmf_insert_mixed(struct vm_area_struct *vma,
					      unsigned long addr, unsigned long pfn)
{
	return vmf_insert_mixed(vma, addr, pfn);
}
#else
#include <linux/pfn_t.h>

static inline vm_fault_t zdt_vmf_insert_mixed(struct vm_area_struct *vma,
					      unsigned long addr, unsigned long pfn)
{
	return vmf_insert_mixed(vma, addr, __pfn_to_pfn_t(pfn, 0));
}
#endif

/* exclusive suite */

/*
 * Device-exclusive access to a normal anonymous page (b756a3b5e7ea "mm:
 * device exclusive memory access"): since 599b684a7854 ("mm/rmap: convert
 * make_device_exclusive_range() to make_device_exclusive()", 6.15) one
 * address, make_device_exclusive(mm, addr, owner, &folio); before,
 * make_device_exclusive_range(mm, start, end, pages, owner), which leaves a
 * NULL page where it failed.  Both want the mmap read lock and return the
 * page locked and referenced; only with CONFIG_DEVICE_PRIVATE.
 */
#define ZDT_HAS_MAKE_DEVICE_EXCLUSIVE	ZDT_KERNEL_AT_LEAST(6, 15)

#ifdef CONFIG_DEVICE_PRIVATE
/*
 * Return: the page mapped at @addr, now behind a device-exclusive entry,
 * locked and referenced, or an error pointer.
 */
static inline struct page *zdt_make_device_exclusive(struct mm_struct *mm,
						     unsigned long addr,
						     void *owner)
{
#if ZDT_HAS_MAKE_DEVICE_EXCLUSIVE
	struct folio *folio;

	return make_device_exclusive(mm, addr, owner, &folio);
#else
	struct page *page = NULL;
	int ret = make_device_exclusive_range(mm, addr, addr + PAGE_SIZE,
					      &page, owner);

	if (ret < 0)
		return ERR_PTR(ret);
	return page ? page : ERR_PTR(-EBUSY);
#endif
}
#else
static inline struct page *zdt_make_device_exclusive(struct mm_struct *mm,
						     unsigned long addr,
						     void *owner)
{
	return ERR_PTR(-EOPNOTSUPP);
}
#endif /* CONFIG_DEVICE_PRIVATE */

/* fault suite: faults under the per-VMA lock */

/*
 * A case drives a fault under the per-VMA lock itself, as the arch fault
 * handler does: lock_vma_under_rcu() and handle_mm_fault() with
 * FAULT_FLAG_VMA_LOCK.  Needs CONFIG_PER_VMA_LOCK (SMP, an arch that
 * supports it) and lock_vma_under_rcu() linkable: exported in 7.2 and 7.3
 * (mm/mmap_lock.c), not in 6.12 (mm/memory.c), where the suite must be
 * built in.
 */
#if defined(CONFIG_PER_VMA_LOCK) && \
	(ZDT_KERNEL_AT_LEAST(7, 2) || IS_BUILTIN(CONFIG_ZONE_DEVICE_FAULT_KUNIT_TEST))
#define ZDT_HAS_VMA_LOCK_FAULT		1
#else
#define ZDT_HAS_VMA_LOCK_FAULT		0
#endif
#define ZDT_NO_VMA_LOCK_FAULT \
	"needs CONFIG_PER_VMA_LOCK (UML: no ARCH_SUPPORTS_PER_VMA_LOCK), and lock_vma_under_rcu() exported (7.2+) or the suite built in"

static inline struct vm_area_struct *
zdt_lock_vma_under_rcu(struct mm_struct *mm, unsigned long addr)
{
#if ZDT_HAS_VMA_LOCK_FAULT
	return lock_vma_under_rcu(mm, addr);
#else
	return NULL;
#endif
}

/*
 * Guard regions, MADV_GUARD_INSTALL through do_madvise() (ADVISE_SYSCALLS),
 * came with 6.13; 6.12 has none.
 */
#if ZDT_KERNEL_AT_LEAST(6, 13)
#define ZDT_HAS_GUARD_REGIONS		IS_ENABLED(CONFIG_ADVISE_SYSCALLS)
#define ZDT_MADV_GUARD_INSTALL		MADV_GUARD_INSTALL
#else
#define ZDT_HAS_GUARD_REGIONS		0
#define ZDT_MADV_GUARD_INSTALL		0
#endif
#define ZDT_NO_GUARD_REGIONS \
	"needs MADV_GUARD_INSTALL (6.13) and CONFIG_ADVISE_SYSCALLS"

/* madvise suite */

/*
 * The PMD branches of madvise_cold_or_pageout_pte_range() and
 * madvise_free_huge_pmd() skip a ZONE_DEVICE folio from 7.3 on.  7.2 maps
 * device-coherent folios by a PMD too, but takes one for any anonymous THP:
 * MADV_COLD ages its PMD, MADV_FREE ages and cleans it.
 */
#define ZDT_HAS_PMD_MADVISE_SKIPS_DEVICE	ZDT_KERNEL_AT_LEAST(7, 3)
#define ZDT_NO_PMD_MADVISE_SKIPS_DEVICE \
	"7.2's MADV_COLD ages, and MADV_FREE ages and cleans, a PMD-mapped device-coherent folio: the rule holds from 7.3"

#endif /* _MM_TESTS_ZONE_DEVICE_COMPAT_H */
