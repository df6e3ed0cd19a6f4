// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the life of a ZONE_DEVICE page: the refcount memremap_pages()
 * gives it per pgmap type, what zone_device_page_init() hands a driver, what
 * the final put does, which malformed pgmaps memremap_pages() refuses, and
 * what memory_failure() does with a pfn of a pgmap.
 *
 * The rules are those of mm/memremap.c, mm/mm_init.c and mm/memory-failure.c;
 * the version that has each form is in zone_device_compat.h.
 */
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/pagemap.h>
#include <linux/wait_bit.h>
#include <linux/writeback.h>	/* struct folio_batch, whatever its header */
#include <kunit/test.h>

#include "zone_device_compat.h"
#include "zone_device_fixture.h"

/*
 * memunmap_pages() is prompt once nothing holds the pgmap (milliseconds): a
 * bound, not a measurement, generous for a loaded TCG guest.
 */
#define UNMAP_PROMPT_MS		5000
/* ... and, once seen blocked, a page still allocated keeps it so this long. */
#define UNMAP_BLOCKED_MS	200

struct pgmap_type_param {
	enum memory_type type;
	const char *name;
};

static const struct pgmap_type_param all_types[] = {
	{ MEMORY_DEVICE_PRIVATE, "private" },
	{ MEMORY_DEVICE_COHERENT, "coherent" },
	{ MEMORY_DEVICE_FS_DAX, "fs_dax" },
	{ MEMORY_DEVICE_GENERIC, "generic" },
	{ MEMORY_DEVICE_PCI_P2PDMA, "p2pdma" },
};

/* The types a driver allocates from with zone_device_page_init(). */
static const struct pgmap_type_param alloc_types[] = {
	{ MEMORY_DEVICE_PRIVATE, "private" },
	{ MEMORY_DEVICE_COHERENT, "coherent" },
};

static void type_desc(const struct pgmap_type_param *p, char *desc)
{
	strscpy(desc, p->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(all_types, all_types, type_desc);
KUNIT_ARRAY_PARAM(alloc_types, alloc_types, type_desc);

static enum memory_type param_type(struct kunit *test)
{
	return ((const struct pgmap_type_param *)test->param_value)->type;
}

/*
 * Unlocks a page zone_device_page_init() handed out locked.  A kernel that
 * hands it out unlocked is allocated_page_is_locked's to report: unlocking
 * it anyway would end the whole run in a VM_BUG_ON instead.
 */
static void unlock_allocated(struct page *page)
{
	if (PageLocked(page))
		unlock_page(page);
}

/*
 * A page (of @order) allocated from @dev, its reference the case's
 * (zdt_own_page(): put with zdt_put_page() or at the end), still locked.
 */
static struct page *alloc_owned(struct kunit *test, struct zdt_device *dev,
				unsigned int order)
{
	struct page *page = zdt_device_alloc_page(dev, order);

	KUNIT_ASSERT_NOT_NULL(test, page);
	zdt_own_page(test, page);
	return page;
}

/* A device of the case's type with one page allocated from it, unlocked. */
static struct page *alloc_unlocked(struct kunit *test, struct zdt_device **devp)
{
	struct zdt_device *dev = zdt_device_create(test, param_type(test),
						   ZDT_DEVICE_PAGES);
	struct page *page = alloc_owned(test, dev, 0);

	unlock_allocated(page);
	*devp = dev;
	return page;
}

/*
 * Every page of a fresh pgmap starts at the type's free refcount: 0 for
 * PRIVATE and COHERENT (ef233450898f), 0 for FS_DAX and P2PDMA since 6.15
 * (7851bf649d42 series), 1 for GENERIC (and FS_DAX, P2PDMA before 6.15).
 * Succeeds if no page of the range differs.
 */
static void initial_refcount_is_the_type_start_value(struct kunit *test)
{
	enum memory_type type = param_type(test);
	struct zdt_device *dev = zdt_device_create(test, type, ZDT_DEVICE_PAGES);
	int want = zdt_initial_refcount(type);
	unsigned long i;

	if (type == MEMORY_DEVICE_FS_DAX || type == MEMORY_DEVICE_PCI_P2PDMA)
		kunit_info(test, "rule: %s pages start at refcount %d",
			   type == MEMORY_DEVICE_FS_DAX ? "FS_DAX" : "P2PDMA", want);
	for (i = 0; i < dev->nr_pages; i++) {
		int ref = page_ref_count(zdt_device_page(dev, i));

		KUNIT_ASSERT_EQ_MSG(test, ref, want, "page %lu of %lu", i,
				    dev->nr_pages);
	}
}

/*
 * zone_device_page_init() gives the driver exactly one reference
 * (0dc45ca1ce18, ef233450898f).  Succeeds if the new page's refcount is 1.
 */
static void allocated_page_has_one_reference(struct kunit *test)
{
	struct zdt_device *dev;
	struct page *page = alloc_unlocked(test, &dev);

	KUNIT_EXPECT_EQ(test, page_ref_count(page), 1);
	zdt_put_page(test, page);
}

/*
 * zone_device_page_init() returns the page locked, as migrate_vma_setup()
 * wants destination pages (include/linux/migrate.h, "Destination pages must
 * be locked").  Succeeds if the page is locked when handed out.
 */
static void allocated_page_is_locked(struct kunit *test)
{
	struct zdt_device *dev = zdt_device_create(test, param_type(test),
						   ZDT_DEVICE_PAGES);
	struct page *page = alloc_owned(test, dev, 0);

	KUNIT_EXPECT_TRUE(test, PageLocked(page));
	unlock_allocated(page);
	zdt_put_page(test, page);
}

/*
 * An allocated page points at the pgmap it came from (page->pgmap, since
 * 6.15 folio->pgmap through page_pgmap()).  Succeeds if it is the device's.
 */
static void allocated_page_belongs_to_its_pgmap(struct kunit *test)
{
	struct zdt_device *dev;
	struct page *page = alloc_unlocked(test, &dev);

	KUNIT_EXPECT_PTR_EQ(test, zdt_page_pgmap(page), &dev->pgmap);
	KUNIT_EXPECT_TRUE(test, is_zone_device_page(page));
	zdt_put_page(test, page);
}

/*
 * An allocated PRIVATE/COHERENT page holds a pgmap reference
 * (0dc45ca1ce18 "mm/memremap.c: take a pgmap reference on page allocation"),
 * so memunmap_pages() cannot finish while it is out.  Succeeds if the unmap,
 * seen asleep inside memunmap_pages() with the pgmap's ref killed and its
 * RCU callbacks run (zdt_device_unmap_blocked()), still waits for the page,
 * again UNMAP_BLOCKED_MS later, and finishes once the page is put.
 */
static void allocated_page_holds_a_pgmap_reference(struct kunit *test)
{
	struct zdt_device *dev;
	struct page *page = alloc_unlocked(test, &dev);
	enum zdt_unmap_state state;

	zdt_device_unmap_start(dev);
	state = zdt_device_unmap_blocked(dev, UNMAP_PROMPT_MS);
	KUNIT_EXPECT_NE_MSG(test, state, ZDT_UNMAP_FINISHED,
			    "memunmap_pages() finished (or the pgmap was released) with a page allocated: the page holds no pgmap reference");
	KUNIT_EXPECT_NE_MSG(test, state, ZDT_UNMAP_RUNNING,
			    "the unmap thread never slept in memunmap_pages() in %d ms",
			    UNMAP_PROMPT_MS);
	if (state == ZDT_UNMAP_FINISHED) {
		/* Its memmap goes with the unmap: not touched again. */
		zdt_forget_page(test, page);
		return;
	}
	if (state == ZDT_UNMAP_BLOCKED)
		KUNIT_EXPECT_EQ_MSG(test, zdt_device_unmap_wait(dev, UNMAP_BLOCKED_MS),
				    -ETIMEDOUT,
				    "memunmap_pages() blocked, then finished with the page still allocated");
	zdt_put_page(test, page);
	KUNIT_EXPECT_EQ(test, zdt_device_unmap_wait(dev, UNMAP_PROMPT_MS), 0);
}

/*
 * The final put of a PRIVATE/COHERENT page calls the pgmap's free callback
 * exactly once (free_zone_device_folio(), mm/memremap.c).  Succeeds if the
 * callback ran once, after and only after the last reference went.
 */
static void final_put_calls_free_callback_once(struct kunit *test)
{
	struct zdt_device *dev;
	struct page *page = alloc_unlocked(test, &dev);

	zdt_get_page(test, page);
	zdt_put_page(test, page);
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_free), 0);
	zdt_put_page(test, page);
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_free), 1);
}

/*
 * A freed PRIVATE/COHERENT page is back at refcount 0, its free value
 * (ef233450898f "mm: free device private pages have zero refcount"), already
 * when the free callback runs.  Succeeds if both reads are 0.
 */
static void final_put_leaves_refcount_zero(struct kunit *test)
{
	struct zdt_device *dev;
	struct page *page = alloc_unlocked(test, &dev);

	zdt_put_page(test, page);
	KUNIT_ASSERT_EQ(test, atomic_read(&dev->nr_free), 1);
	KUNIT_EXPECT_EQ(test, dev->free_refcount, 0);
	KUNIT_EXPECT_EQ(test, page_ref_count(page), 0);
}

/*
 * The final put drops the pgmap reference the allocation took
 * (free_zone_device_folio(): put_dev_pagemap / percpu_ref_put_many), so
 * memunmap_pages() then completes promptly.  Succeeds if it does.
 */
static void final_put_drops_the_pgmap_reference(struct kunit *test)
{
	struct zdt_device *dev;
	struct page *page = alloc_unlocked(test, &dev);

	zdt_put_page(test, page);
	zdt_device_unmap_start(dev);
	KUNIT_EXPECT_EQ(test, zdt_device_unmap_wait(dev, UNMAP_PROMPT_MS), 0);
}

/*
 * A freed page is free: the driver can hand it out again, and it behaves as
 * new (ef233450898f).  Succeeds if the same page comes back with refcount 1,
 * locked, and its second final put calls the free callback a second time.
 */
static void freed_page_can_be_handed_out_again(struct kunit *test)
{
	struct zdt_device *dev;
	struct page *page = alloc_unlocked(test, &dev);
	struct page *again;

	zdt_put_page(test, page);
	again = alloc_owned(test, dev, 0);
	KUNIT_ASSERT_PTR_EQ(test, again, page);
	KUNIT_EXPECT_EQ(test, page_ref_count(again), 1);
	KUNIT_EXPECT_TRUE(test, PageLocked(again));
	unlock_allocated(again);
	zdt_put_page(test, again);
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_free), 2);
}

/* The order of the large device folios the cases allocate. */
#define LARGE_ORDER		4

/* A device of the case's type with one LARGE_ORDER folio allocated, unlocked. */
static struct page *alloc_large_unlocked(struct kunit *test,
					 struct zdt_device **devp)
{
	struct page *page;

	if (!ZDT_HAS_LARGE_DEVICE_FOLIOS)
		zdt_skip(test, ZDT_NO_LARGE_DEVICE_FOLIOS);
	*devp = zdt_device_create(test, param_type(test), ZDT_DEVICE_PAGES);
	page = alloc_owned(test, *devp, LARGE_ORDER);
	unlock_allocated(page);
	return page;
}

/*
 * Large device folios (6.19+, zone_device_folio_init()): one reference for
 * the whole folio on the head, every tail page at 0, the folio of the order
 * asked for.  Succeeds if so.
 */
static void large_folio_init_counts_one_reference(struct kunit *test)
{
	struct zdt_device *dev;
	struct page *page = alloc_large_unlocked(test, &dev);
	struct folio *folio = page_folio(page);
	unsigned long i;

	KUNIT_EXPECT_EQ(test, folio_order(folio), LARGE_ORDER);
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), 1);
	for (i = 1; i < (1UL << LARGE_ORDER); i++)
		KUNIT_EXPECT_EQ_MSG(test, page_ref_count(page + i), 0,
				    "tail page %lu", i);
	zdt_put_page(test, page);
}

/*
 * The final put of a large device folio frees it as one: one free callback
 * (free_zone_device_folio() with folio_nr_pages()).  Succeeds if the callback
 * ran once and every page is free again.
 */
static void large_folio_final_put_frees_it_once(struct kunit *test)
{
	struct zdt_device *dev;
	struct page *page = alloc_large_unlocked(test, &dev);
	unsigned long i;

	zdt_put_page(test, page);
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_free), 1);
	for (i = 0; i < (1UL << LARGE_ORDER); i++)
		KUNIT_EXPECT_EQ_MSG(test, page_ref_count(page + i), 0, "page %lu", i);
}

/*
 * A device range is handed out again at any order: zone_device_page_init()
 * clears what a former larger folio left in its pages (the order and
 * PG_head in the flags, _nr_pages, the compound head; "new_page could have
 * been part of previous higher order folio", in its body), so that each new
 * folio has exactly the order the driver asks for.  Succeeds if the pages of
 * a freed LARGE_ORDER folio come back one by one as order-0 folios with
 * refcount 1, and, freed again, as one LARGE_ORDER folio.
 */
static void freed_large_folio_comes_back_at_the_order_asked(struct kunit *test)
{
	struct zdt_device *dev;
	struct page *page = alloc_large_unlocked(test, &dev), *small, *again;
	unsigned long i, nr = 1UL << LARGE_ORDER;

	zdt_put_page(test, page);
	for (i = 0; i < nr; i++) {
		small = alloc_owned(test, dev, 0);
		KUNIT_ASSERT_PTR_EQ(test, small, page + i);
		unlock_allocated(small);
		KUNIT_EXPECT_FALSE_MSG(test, folio_test_large(page_folio(small)),
				       "page %lu handed out at order 0 is a large folio", i);
		KUNIT_EXPECT_EQ_MSG(test, page_ref_count(small), 1, "page %lu", i);
	}
	for (i = 0; i < nr; i++)
		zdt_put_page(test, page + i);
	again = alloc_owned(test, dev, LARGE_ORDER);
	unlock_allocated(again);
	KUNIT_EXPECT_PTR_EQ(test, again, page);
	KUNIT_EXPECT_EQ(test, folio_order(page_folio(again)), LARGE_ORDER);
	zdt_put_page(test, again);
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_free), nr + 2);
}

/*
 * MEMORY_DEVICE_GENERIC pages are 1-based: the final put resets the count to
 * 1 instead of leaving 0 (free_zone_device_folio(), "GENERIC ... reset to
 * one").  Succeeds if a page dropped from 1 reads 1 again.
 */
static void generic_page_refcount_returns_to_one(struct kunit *test)
{
	struct zdt_device *dev = zdt_device_create(test, MEMORY_DEVICE_GENERIC,
						   ZDT_DEVICE_PAGES);
	struct page *page = zdt_device_page(dev, 0);

	KUNIT_ASSERT_EQ(test, page_ref_count(page), 1);
	put_page(page);
	KUNIT_EXPECT_EQ(test, page_ref_count(page), 1);
}

/*
 * A pgmap with an altmap keeps the first pfns of its range for the range's
 * own memmap: memremap_pages() initializes the pfns that hold it (from
 * altmap->reserve up to vmem_altmap_offset()) as reserved ZONE_DEVICE pages
 * of no pgmap (memmap_init_range()), and the pgmap's pages start after them
 * (memmap_init_zone_device(); 966cf44f637e "mm: defer ZONE_DEVICE page
 * initialization to the point where we init pgmap", the altmap from
 * 4b94ffdc4163 "x86, mm: introduce vmem_altmap to augment
 * vmemmap_populate()").  A memmap pfn taken for the pgmap's would be handed
 * out, as device memory, the memory the struct pages live in.
 * Succeeds if, with their struct pages cleared beforehand, every pfn from
 * the reserve to the offset is a reserved ZONE_DEVICE page with one
 * reference (initialized: not left cleared, nor as sparse_add_section()
 * poisons it) that is not the pgmap's, and every pfn from the offset on is
 * the pgmap's ZONE_DEVICE page at the type's start refcount.
 */
static void altmap_pfns_are_kept_out_of_the_pgmap(struct kunit *test)
{
	/* Room for a PMD-mapped vmemmap block where one must be populated. */
	const unsigned long reserve = 8, free = PAGES_PER_SUBSECTION;
	struct zdt_device *dev;
	unsigned long i, offset;
	int err;

	dev = zdt_device_prepare(test, MEMORY_DEVICE_GENERIC,
				 2 * PAGES_PER_SUBSECTION);
	zdt_device_set_altmap(dev, reserve, free);
	/*
	 * The memmap of pfns no pgmap covers keeps what an earlier device
	 * left there (ZONE_DEVICE, reserved): clear it first, as a new
	 * section's memmap would be, where the range has one already (an
	 * early section's).
	 */
	for (i = reserve; i < reserve + free; i++)
		if (pfn_valid(dev->pfn_first + i))
			mm_zero_struct_page(pfn_to_page(dev->pfn_first + i));
	err = zdt_device_map(dev);
	KUNIT_ASSERT_EQ_MSG(test, err, 0, "memremap_pages() with an altmap: %d", err);
	offset = vmem_altmap_offset(pgmap_altmap(&dev->pgmap));
	KUNIT_ASSERT_EQ(test, offset, reserve + free);

	for (i = reserve; i < offset; i++) {
		struct page *page = pfn_to_page(dev->pfn_first + i);

		KUNIT_ASSERT_EQ_MSG(test, page_zonenum(page), ZONE_DEVICE,
				    "memmap pfn %lu is not a ZONE_DEVICE page", i);
		KUNIT_ASSERT_TRUE_MSG(test, PageReserved(page),
				      "memmap pfn %lu is not reserved", i);
		/* __init_single_page(): neither cleared (0) nor poisoned (-1). */
		KUNIT_ASSERT_EQ_MSG(test, page_ref_count(page), 1,
				    "memmap pfn %lu was never initialized", i);
		KUNIT_ASSERT_PTR_NE_MSG(test, zdt_page_pgmap(page), &dev->pgmap,
					"memmap pfn %lu is a page of the pgmap", i);
	}
	for (; i < dev->nr_pages; i++) {
		struct page *page = pfn_to_page(dev->pfn_first + i);

		KUNIT_ASSERT_EQ_MSG(test, page_zonenum(page), ZONE_DEVICE,
				    "pfn %lu is not a ZONE_DEVICE page", i);
		KUNIT_ASSERT_PTR_EQ_MSG(test, zdt_page_pgmap(page), &dev->pgmap,
					"pfn %lu, after the memmap, is not the pgmap's", i);
		KUNIT_ASSERT_EQ_MSG(test, page_ref_count(page),
				    zdt_initial_refcount(MEMORY_DEVICE_GENERIC),
				    "pfn %lu", i);
	}
}

struct malformed_param {
	const char *name;
	enum memory_type type;
	const struct dev_pagemap_ops *ops;
	bool no_owner;
};

static const struct malformed_param malformed[] = {
	{ "private without migrate_to_ram", MEMORY_DEVICE_PRIVATE,
	  &zdt_ops_without_migrate_to_ram, false },
	{ "private without free op", MEMORY_DEVICE_PRIVATE, &zdt_ops_without_free, false },
	{ "private without owner", MEMORY_DEVICE_PRIVATE, NULL, true },
	{ "coherent without free op", MEMORY_DEVICE_COHERENT, &zdt_ops_without_free, false },
	{ "coherent without owner", MEMORY_DEVICE_COHERENT, NULL, true },
};

static void malformed_desc(const struct malformed_param *p, char *desc)
{
	strscpy(desc, p->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(malformed, malformed, malformed_desc);

/*
 * memremap_pages() refuses a PRIVATE pgmap without migrate_to_ram, free op or
 * owner, and a COHERENT one without free op or owner, with -EINVAL and one
 * WARN, mapping nothing (mm/memremap.c, since the hmm/coherent series).
 * Succeeds if the error is -EINVAL, the device stays unmapped and exactly
 * one WARN came.  Without kunit_warning_suppress() the WARN reaches the log,
 * where the case only knows that one came (zdt_splat_expected()): it skips
 * then (ZDT_NO_WARN_SUPPRESS), after the rest, which can still fail it.
 */
static void memremap_pages_rejects_malformed_pgmap(struct kunit *test)
{
	const struct malformed_param *p = test->param_value;
	struct zdt_device *dev = zdt_device_prepare(test, p->type,
						    ZDT_DEVICE_PAGES);
	int err, warnings;

	if (p->ops)
		zdt_device_set_ops(dev, p->ops);
	if (p->no_owner)
		zdt_device_set_owner(dev, NULL);
	zdt_expect_warning(test, "memremap_pages", err = zdt_device_map(dev), warnings);
	KUNIT_EXPECT_EQ(test, err, -EINVAL);
	KUNIT_EXPECT_FALSE(test, dev->mapped);
#if ZDT_HAS_WARN_SUPPRESS
	KUNIT_EXPECT_EQ_MSG(test, warnings, 1, "WARNs suppressed");
#else
	(void)warnings;
	zdt_skip(test, ZDT_NO_WARN_SUPPRESS);
#endif
}

struct compound_param {
	const char *name;
	enum memory_type type;
	unsigned int order;
	unsigned long nr_pages;
};

/* Folios of PUD order: a compound pgmap larger than a memory section. */
#define PUD_ORDER_PAGES		(1UL << (PUD_SHIFT - PAGE_SHIFT))

static const struct compound_param compound_pgmaps[] = {
	/* Above RAM: its memmap is new, the tail struct pages shared. */
	{ "private order 8", MEMORY_DEVICE_PRIVATE, 8, 512 },
	/*
	 * One folio over several sections: each section's memmap after the
	 * first maps the folio's tail struct pages of the one before
	 * (reuse_compound_section()).
	 */
	{ "private PUD order", MEMORY_DEVICE_PRIVATE, PUD_SHIFT - PAGE_SHIFT,
	  PUD_ORDER_PAGES },
	/*
	 * device-dax's type, in reserved RAM: an early section, whose boot
	 * memmap has every struct page of its own, all initialised.
	 */
	{ "generic order 9", MEMORY_DEVICE_GENERIC, 9, 1024 },
};

static void compound_desc(const struct compound_param *p, char *desc)
{
	strscpy(desc, p->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(compound_pgmaps, compound_pgmaps, compound_desc);

/* A device of @type, @nr_pages, mapped with pgmap->vmemmap_shift = @order. */
static struct zdt_device *compound_device(struct kunit *test,
					  enum memory_type type,
					  unsigned int order,
					  unsigned long nr_pages)
{
	struct zdt_device *dev;
	int err;

	if (order > MAX_FOLIO_ORDER)
		zdt_skip(test, ZDT_NO_PUD_FOLIOS);
	dev = zdt_device_prepare(test, type, nr_pages);
	zdt_device_set_vmemmap_shift(dev, order);
	err = zdt_device_map(dev);
	KUNIT_ASSERT_EQ_MSG(test, err, 0, "memremap_pages(type %d, vmemmap_shift %u): %d",
			    type, order, err);
	return dev;
}

/*
 * A pgmap with vmemmap_shift is compound: memremap_pages() makes every
 * 1 << vmemmap_shift pages one folio of that order, the tail pages pointing
 * at its head, the head at the type's free refcount and every tail at 0
 * (memmap_init_zone_device(), memmap_init_compound(); c4386bd8ee3a
 * "mm/memremap: add ZONE_DEVICE support for compound pages").  Where the
 * memmap shares tail struct pages, only those it does not share are
 * initialised (6fd3620b3428 "mm/page_alloc: reuse tail struct pages for
 * compound devmaps"); in an early section's boot memmap every one is
 * ("mm/mm_init: fix uninitialized struct pages for ZONE_DEVICE", 2026).
 * Succeeds if every page of the device is in the folio it must be in, each
 * folio has the order, the pgmap and the refcounts above.
 */
static void compound_pgmap_pages_form_folios_of_its_order(struct kunit *test)
{
	const struct compound_param *p = test->param_value;
	struct zdt_device *dev = compound_device(test, p->type, p->order,
						 p->nr_pages);
	unsigned long nr = 1UL << p->order, f, i;

	for (f = 0; f < dev->nr_pages; f += nr) {
		struct page *head = zdt_device_page(dev, f);
		struct folio *folio = page_folio(head);

		KUNIT_ASSERT_PTR_EQ_MSG(test, &folio->page, head,
					"page %lu, a folio's first, is a tail page", f);
		KUNIT_ASSERT_EQ_MSG(test, folio_order(folio), p->order,
				    "folio at page %lu", f);
		KUNIT_ASSERT_PTR_EQ_MSG(test, zdt_page_pgmap(head), &dev->pgmap,
					"folio at page %lu", f);
		KUNIT_ASSERT_EQ_MSG(test, folio_ref_count(folio),
				    zdt_initial_refcount(p->type),
				    "folio at page %lu", f);
		for (i = 1; i < nr; i++) {
			struct page *tail = head + i;

			KUNIT_ASSERT_PTR_EQ_MSG(test, page_folio(tail), folio,
						"page %lu is not in the folio at page %lu",
						f + i, f);
			KUNIT_ASSERT_EQ_MSG(test, page_ref_count(tail), 0,
					    "tail page %lu", f + i);
		}
	}
}

/*
 * With vmemmap_can_optimize(), a compound pgmap's memmap takes
 * VMEMMAP_RESERVE_NR pages per folio: one for the head's struct page and
 * the first tails, one for the next tails, which every later page of the
 * folio's memmap maps again (4917f55b4ef9 "mm/sparse-vmemmap: improve
 * memory savings for compound devmaps", Documentation/mm/vmemmap_dedup.rst).
 * Succeeds if, in each of two PMD-order folios of a device-private pgmap,
 * the first two memmap pages differ and every later one is the second,
 * and no two folios share one.
 */
static void compound_pgmap_tail_struct_pages_share_a_memmap_page(struct kunit *test)
{
	const unsigned int order = PMD_SHIFT - PAGE_SHIFT;
	const unsigned long per = PAGE_SIZE / sizeof(struct page);
	unsigned long nr = 1UL << order, f, i;
	struct page *tails[2] = { };
	struct zdt_device *dev;

	dev = compound_device(test, MEMORY_DEVICE_PRIVATE, order, 2 * nr);
	if (!vmemmap_can_optimize(pgmap_altmap(&dev->pgmap), &dev->pgmap))
		zdt_skip(test, ZDT_NO_VMEMMAP_OPTIMIZE);
	if (!zdt_memmap_page(zdt_device_page(dev, 0)))
		zdt_skip(test, ZDT_NO_MEMMAP_WALK);
	for (f = 0; f < 2; f++) {
		struct page *head = zdt_device_page(dev, f * nr);
		struct page *first = zdt_memmap_page(head);

		tails[f] = zdt_memmap_page(head + per);
		KUNIT_ASSERT_NOT_NULL(test, tails[f]);
		KUNIT_EXPECT_PTR_NE_MSG(test, first, tails[f],
					"folio %lu: the head's memmap page holds the later tails",
					f);
		for (i = VMEMMAP_RESERVE_NR * per; i < nr; i += per)
			KUNIT_EXPECT_PTR_EQ_MSG(test, zdt_memmap_page(head + i), tails[f],
						"folio %lu: memmap page %lu is one of its own, not the shared tail page",
						f, i / per);
	}
	KUNIT_EXPECT_PTR_NE_MSG(test, tails[0], tails[1],
				"two folios share their tail struct pages");
}

/* A wait on wake_up_var(@var), as wait_var_event() waits, that records its wake-up. */
struct var_waiter {
	struct wait_bit_queue_entry wbq;
	bool woken;
};

static int var_waiter_wake(struct wait_queue_entry *wq_entry, unsigned int mode,
			   int sync, void *arg)
{
	struct var_waiter *w = container_of(wq_entry, struct var_waiter,
					    wbq.wq_entry);
	struct wait_bit_key *key = arg;

	if (key->flags != w->wbq.key.flags || key->bit_nr != w->wbq.key.bit_nr)
		return 0;
	w->woken = true;
	list_del_init_careful(&wq_entry->entry);
	return 1;
}

/* Queues @w on @var's wait queue, as prepare_to_wait_event() would. */
static void var_waiter_add(struct var_waiter *w, void *var)
{
	init_wait_var_entry(&w->wbq, var, 0);
	w->wbq.wq_entry.func = var_waiter_wake;
	w->woken = false;
	add_wait_queue(__var_waitqueue(var), &w->wbq.wq_entry);
}

/* Whether @w was woken; takes it off the queue if not. */
static bool var_waiter_done(struct var_waiter *w, void *var)
{
	if (!w->woken)
		remove_wait_queue(__var_waitqueue(var), &w->wbq.wq_entry);
	return w->woken;
}

/*
 * The final put of an FS_DAX folio wakes whoever waits for the page to go
 * idle: free_zone_device_folio() calls wake_up_var() on it, which
 * fs/dax.c's wait_page_idle() (truncate, layout breaks) sleeps on until
 * the refcount is 0 (38607c62b34b "fs/dax: properly refcount fs dax
 * pages").  The page is taken as a DAX fault takes it (folio_ref_inc()
 * from 0).  Succeeds if a waiter queued on the page is woken by the put
 * that takes it to 0.
 */
static void fsdax_final_put_wakes_idle_waiters(struct kunit *test)
{
	struct zdt_device *dev;
	struct var_waiter w;
	struct folio *folio;
	struct page *page;

	if (!ZDT_HAS_ZERO_BASED_DAX_P2PDMA)
		zdt_skip(test, ZDT_NO_ZERO_BASED_DAX_P2PDMA);
	dev = zdt_device_create(test, MEMORY_DEVICE_FS_DAX, ZDT_DEVICE_PAGES);
	page = zdt_device_page(dev, 0);
	folio = page_folio(page);
	KUNIT_ASSERT_EQ(test, folio_ref_count(folio), 0);
	folio_ref_inc(folio);
	var_waiter_add(&w, page);
	folio_put(folio);
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), 0);
	KUNIT_EXPECT_TRUE_MSG(test, var_waiter_done(&w, page),
			      "the final put did not wake the waiter for the idle page");
}

/*
 * The final put of a P2PDMA page gives it back to its provider: the
 * pgmap's free callback, once (free_zone_device_folio();
 * drivers/pci/p2pdma.c's p2pdma_folio_free() returns the memory to the
 * p2pmem pool and drops the pool's reference, 7e9c7ef83d78 "PCI/P2PDMA:
 * Allow userspace VMA allocations through sysfs").  The page is handed
 * out as p2pmem_alloc_mmap() does it, set_page_count(page, 1)
 * (b7e282378773 "mm/mm_init: move p2pdma page refcount initialisation to
 * p2pdma").  Succeeds if the callback ran once, at the last put and not
 * before, and the page is at refcount 0 again.
 */
static void p2pdma_final_put_calls_free_callback_once(struct kunit *test)
{
	struct zdt_device *dev;
	struct page *page;

	if (!ZDT_HAS_ZERO_BASED_DAX_P2PDMA)
		zdt_skip(test, ZDT_NO_ZERO_BASED_DAX_P2PDMA);
	dev = zdt_device_create(test, MEMORY_DEVICE_PCI_P2PDMA, ZDT_DEVICE_PAGES);
	page = zdt_device_page(dev, 0);
	KUNIT_ASSERT_EQ(test, page_ref_count(page), 0);
	set_page_count(page, 1);
	get_page(page);
	put_page(page);
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_free), 0);
	put_page(page);
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_free), 1);
	KUNIT_EXPECT_EQ(test, dev->free_refcount, 0);
	KUNIT_EXPECT_EQ(test, page_ref_count(page), 0);
}

/*
 * A pgmap mapped with devm_memremap_pages() lives as long as its device:
 * the device's release unmaps it (devm_memremap_pages_release() calls
 * memunmap_pages(), 41e94a851304 "add devm_memremap_pages"), which, as
 * ever, waits for the pages still allocated.  Succeeds if the pgmap is
 * found while the device is there, the device going away waits in
 * memunmap_pages() for an allocated page, finishes once it is put, and
 * leaves no pgmap behind.
 */
static void devm_pgmap_is_unmapped_when_its_device_goes_away(struct kunit *test)
{
	struct zdt_device *dev = zdt_device_create_devm(test, MEMORY_DEVICE_PRIVATE,
							ZDT_DEVICE_PAGES);
	struct dev_pagemap *found = zdt_get_dev_pagemap(dev->pfn_first);
	enum zdt_unmap_state state;
	struct page *page;

	KUNIT_EXPECT_PTR_EQ(test, found, &dev->pgmap);
	if (found)
		put_dev_pagemap(found);
	page = alloc_owned(test, dev, 0);
	unlock_allocated(page);

	zdt_device_unmap_start(dev);
	state = zdt_device_unmap_blocked(dev, UNMAP_PROMPT_MS);
	KUNIT_EXPECT_EQ_MSG(test, state, ZDT_UNMAP_BLOCKED,
			    "the device went away without waiting in memunmap_pages() for the allocated page (%s)",
			    state == ZDT_UNMAP_FINISHED ? "finished" : "never slept");
	zdt_put_page(test, page);
	KUNIT_ASSERT_EQ(test, zdt_device_unmap_wait(dev, UNMAP_PROMPT_MS), 0);
	KUNIT_EXPECT_FALSE_MSG(test, READ_ONCE(dev->devm_kept),
			       "the pgmap outlived its device (the fixture unmapped it)");
}

/*
 * memory_failure() of a pfn: MF_SW_SIMULATED, as hwpoison injection
 * (mm/hwpoison-inject.c) calls it, so that no hardware failure is recorded.
 * Without CONFIG_MEMORY_FAILURE the case skips first.
 */
static int fail_pfn(struct kunit *test, unsigned long pfn, int flags)
{
#if ZDT_HAS_MEMORY_FAILURE
	return memory_failure(pfn, flags | MF_SW_SIMULATED);
#else
	zdt_skip(test, ZDT_NO_MEMORY_FAILURE);
	return 0;
#endif
}

/* What the pgmap's memory_failure op saw, and what it answers. */
static struct {
	atomic_t calls;
	struct dev_pagemap *pgmap;
	unsigned long pfn;
	unsigned long nr_pages;
	int flags;
	int ret;
} mf_op;

static int mf_op_record(struct dev_pagemap *pgmap, unsigned long pfn,
			unsigned long nr_pages, int mf_flags)
{
	mf_op.pgmap = pgmap;
	mf_op.pfn = pfn;
	mf_op.nr_pages = nr_pages;
	mf_op.flags = mf_flags;
	atomic_inc(&mf_op.calls);
	return READ_ONCE(mf_op.ret);
}

/* The device is never allocated from: neither runs (counted if one did). */
static void mf_op_free(ZDT_FREE_ARG *arg)
{
	atomic_inc(&mf_op.calls);
}

static vm_fault_t mf_op_migrate_to_ram(struct vm_fault *vmf)
{
	atomic_inc(&mf_op.calls);
	return VM_FAULT_SIGBUS;
}

static const struct dev_pagemap_ops mf_ops = {
	.ZDT_FREE_OP	= mf_op_free,
	.migrate_to_ram	= mf_op_migrate_to_ram,
	.memory_failure	= mf_op_record,
};

/*
 * A device of the case's type whose pgmap has a memory_failure op that
 * answers @ret; returns the pfn of a page in its middle, never allocated.
 */
static unsigned long mf_op_device(struct kunit *test, int ret,
				  struct zdt_device **devp)
{
	struct zdt_device *dev;

	if (!ZDT_HAS_MEMORY_FAILURE)
		zdt_skip(test, ZDT_NO_MEMORY_FAILURE);
	dev = zdt_device_prepare(test, param_type(test), ZDT_DEVICE_PAGES);
	zdt_device_set_ops(dev, &mf_ops);
	memset(&mf_op, 0, sizeof(mf_op));
	mf_op.ret = ret;
	KUNIT_ASSERT_EQ(test, zdt_device_map(dev), 0);
	*devp = dev;
	return dev->pfn_first + dev->nr_pages / 2 + 1;
}

/*
 * memory_failure() of a device pfn is the driver's to handle: the core
 * calls the pgmap's memory_failure op with the pfn and one page, and
 * returns its verdict (memory_failure_dev_pagemap(); 33a8f7f2b3a3
 * "pagemap,pmem: Introduce ->memory_failure()", as pmem hands a failure to
 * the filesystem).  Succeeds if the op ran once, for the pgmap, the pfn,
 * one page and the caller's flags, memory_failure() returned the op's
 * verdict (0: handled), and the core did not poison the page itself.
 */
static void memory_failure_hands_a_device_pfn_to_its_pgmap_op(struct kunit *test)
{
	struct zdt_device *dev;
	unsigned long pfn = mf_op_device(test, 0, &dev);
	int ret = fail_pfn(test, pfn, 0);

	KUNIT_EXPECT_EQ(test, atomic_read(&mf_op.calls), 1);
	KUNIT_EXPECT_PTR_EQ(test, mf_op.pgmap, &dev->pgmap);
	KUNIT_EXPECT_EQ(test, mf_op.pfn, pfn);
	KUNIT_EXPECT_EQ(test, mf_op.nr_pages, 1);
	KUNIT_EXPECT_TRUE(test, mf_op.flags & MF_SW_SIMULATED);
	KUNIT_EXPECT_EQ_MSG(test, ret, 0, "memory_failure() did not return the op's verdict");
	KUNIT_EXPECT_FALSE(test, PageHWPoison(pfn_to_page(pfn)));
}

/*
 * A pfn that holds the device's own memmap (below an altmap's
 * vmem_altmap_offset()) is device metadata: memory_failure() neither
 * recovers it nor hands it to the pgmap's memory_failure op, and fails
 * -ENXIO (memory_failure_dev_pagemap(), pgmap_pfn_valid(); 34dc45be4563
 * "mm: fix memory_failure() handling of dax-namespace metadata").
 * Succeeds if memory_failure() of the first memmap pfn returns -ENXIO
 * without running the op or poisoning the page, and the same call on the
 * first pfn after the memmap reaches the op.
 */
static void memory_failure_leaves_the_devices_memmap_pfns_alone(struct kunit *test)
{
	struct zdt_device *dev;
	unsigned long offset;
	int ret;

	if (!ZDT_HAS_MEMORY_FAILURE)
		zdt_skip(test, ZDT_NO_MEMORY_FAILURE);
	dev = zdt_device_prepare(test, MEMORY_DEVICE_GENERIC,
				 2 * PAGES_PER_SUBSECTION);
	zdt_device_set_ops(dev, &mf_ops);
	zdt_device_set_altmap(dev, 0, PAGES_PER_SUBSECTION);
	memset(&mf_op, 0, sizeof(mf_op));
	KUNIT_ASSERT_EQ(test, zdt_device_map(dev), 0);
	offset = vmem_altmap_offset(pgmap_altmap(&dev->pgmap));
	/* memory_failure() takes the node from the page: an initialized one. */
	KUNIT_ASSERT_EQ_MSG(test, page_ref_count(pfn_to_page(dev->pfn_first)), 1,
			    "the memmap pfn's struct page was never initialized");

	ret = fail_pfn(test, dev->pfn_first, 0);
	KUNIT_EXPECT_EQ_MSG(test, ret, -ENXIO, "memory_failure() of a memmap pfn");
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&mf_op.calls), 0,
			    "the pgmap's op was handed a pfn of the device's memmap");
	KUNIT_EXPECT_FALSE(test, PageHWPoison(pfn_to_page(dev->pfn_first)));

	ret = fail_pfn(test, dev->pfn_first + offset, 0);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&mf_op.calls), 1,
			    "the first pfn after the memmap did not reach the op");
	KUNIT_EXPECT_EQ(test, ret, 0);
}

/*
 * A pgmap's memory_failure op that answers -EOPNOTSUPP declines: the
 * generic handler decides then (memory_failure_dev_pagemap(), "Fall back
 * to generic handler too if operation is not supported", 33a8f7f2b3a3).
 * For a device page that no DAX mapping holds, mf_generic_kill_procs()
 * locks no DAX entry and gives up with -EBUSY, poisoning nothing.
 * Succeeds if the op ran once and memory_failure() returned the generic
 * handler's -EBUSY, not the op's -EOPNOTSUPP, the page not poisoned.
 */
static void memory_failure_falls_back_when_the_pgmap_op_declines(struct kunit *test)
{
	struct zdt_device *dev;
	unsigned long pfn = mf_op_device(test, -EOPNOTSUPP, &dev);
	int ret = fail_pfn(test, pfn, 0);

	KUNIT_EXPECT_EQ(test, atomic_read(&mf_op.calls), 1);
	KUNIT_EXPECT_EQ_MSG(test, ret, -EBUSY,
			    "memory_failure() returned %d, not the generic handler's verdict",
			    ret);
	KUNIT_EXPECT_FALSE(test, PageHWPoison(pfn_to_page(pfn)));
}

/*
 * memory_failure() of a device pfn looks its pgmap up with a reference
 * (get_dev_pagemap()) and drops it again whatever the verdict
 * (memory_failure_dev_pagemap(), "drop pgmap ref acquired in caller";
 * 6100e34b2526 "mm, memory_failure: Teach memory_failure() about
 * dev_pagemap pages"), so the driver can still unmap its memory.
 * Succeeds if, after memory_failure() of a free page of the pgmap (the
 * fixture's ops: no memory_failure op, the generic handler), the page is
 * not poisoned and memunmap_pages() completes promptly.
 */
static void memory_failure_drops_the_pgmap_reference(struct kunit *test)
{
	struct zdt_device *dev;
	unsigned long pfn;
	int ret;

	if (!ZDT_HAS_MEMORY_FAILURE)
		zdt_skip(test, ZDT_NO_MEMORY_FAILURE);
	dev = zdt_device_create(test, param_type(test), ZDT_DEVICE_PAGES);
	pfn = dev->pfn_first + dev->nr_pages / 2;
	ret = fail_pfn(test, pfn, 0);
	KUNIT_EXPECT_NE(test, ret, 0);
	KUNIT_EXPECT_FALSE(test, PageHWPoison(pfn_to_page(pfn)));
	zdt_device_unmap_start(dev);
	KUNIT_EXPECT_EQ_MSG(test, zdt_device_unmap_wait(dev, UNMAP_PROMPT_MS), 0,
			    "memunmap_pages() still waits after memory_failure() of a pfn of its pgmap");
}

/*
 * memory_failure(MF_COUNT_INCREASED) takes over a page reference its
 * caller took (madvise(MADV_HWPOISON) takes it with get_user_pages) and
 * drops it for a device page it leaves in use (put_ref_page(); 23e7b5c2e271
 * "mm, madvise_inject_error: Let memory_failure() optionally take a page
 * reference").  Succeeds if an allocated device page, given a second
 * reference, is back at its one after memory_failure(), not freed (the
 * free callback did not run) and not poisoned.
 */
static void memory_failure_drops_the_callers_page_reference(struct kunit *test)
{
	struct zdt_device *dev;
	struct page *page;
	int ref;

	if (!ZDT_HAS_MEMORY_FAILURE)
		zdt_skip(test, ZDT_NO_MEMORY_FAILURE);
	page = alloc_unlocked(test, &dev);
	get_page(page);
	fail_pfn(test, page_to_pfn(page), MF_COUNT_INCREASED);
	ref = page_ref_count(page);
	KUNIT_EXPECT_EQ_MSG(test, ref, 1, "the caller's reference was %s",
			    ref > 1 ? "kept" : "dropped more than once");
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_free), 0);
	KUNIT_EXPECT_FALSE(test, PageHWPoison(page));
	if (ref > 1)
		put_page(page);
}

/*
 * memremap_pages() of a second pgmap over [@start, @end], as a second driver
 * would map it: @dev's type, ops and owner.  A pgmap it maps after all is
 * unmapped again at once (none of its pages is handed out).
 *
 * Return: 0, or the error memremap_pages() returned; *@warnings: the WARNs
 * it raised (-1: not known, zdt_expect_warning()).
 */
static int map_second_pgmap(struct kunit *test, struct zdt_device *dev,
			    u64 start, u64 end, int *warnings)
{
	struct dev_pagemap *pgmap = kunit_kzalloc(test, sizeof(*pgmap),
						  GFP_KERNEL);
	void *addr;
	int nr;

	KUNIT_ASSERT_NOT_NULL(test, pgmap);
	pgmap->type = dev->pgmap.type;
	pgmap->ops = dev->pgmap.ops;
	pgmap->owner = dev->pgmap.owner;
	pgmap->range.start = start;
	pgmap->range.end = end;
	pgmap->nr_range = 1;
	zdt_expect_warning(test, "memremap_pages",
			   addr = memremap_pages(pgmap, numa_node_id()), nr);
	*warnings = nr;
	if (IS_ERR(addr))
		return PTR_ERR(addr);
	memunmap_pages(pgmap);
	return 0;
}

/* get_dev_pagemap() of @pfn is @want (NULL: no pgmap there). */
static void expect_pgmap_at(struct kunit *test, unsigned long pfn,
			    struct dev_pagemap *want)
{
	struct dev_pagemap *found = zdt_get_dev_pagemap(pfn);

	KUNIT_EXPECT_PTR_EQ_MSG(test, found, want, "get_dev_pagemap(%#lx)", pfn);
	if (found)
		put_dev_pagemap(found);
}

struct conflict_param {
	const char *name;
	bool ends_inside;
};

static const struct conflict_param conflicts[] = {
	{ "same range", false },
	{ "ends inside", true },
};

static void conflict_desc(const struct conflict_param *p, char *desc)
{
	strscpy(desc, p->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(conflicts, conflicts, conflict_desc);

/*
 * memremap_pages() refuses a range whose first or last pfn already belongs
 * to a pgmap, with -ENOMEM and one WARN, and leaves the pgmap there as it
 * was (mm/memremap.c pagemap_range(), since Dave Jiang's "mm: disallow
 * mapping that conflict for devm_memremap_pages()", 4.18): without the
 * check the second pgmap overwrites the first in the pfn-to-pgmap table and
 * its failed hotplug then erases the range from it, so that the first
 * device's pages no longer find their pgmap.  "same range" conflicts at the
 * start, "ends inside" only at the end: it starts half a
 * memremap_compat_align() below the device, off that alignment, so that a
 * kernel without the check fails it in add_pages() before adding a section.
 * Succeeds if the error is -ENOMEM, one WARN came, get_dev_pagemap() still
 * finds the device's pgmap at its first and last pfn and none below it.
 */
static void memremap_pages_refuses_a_range_of_another_pgmap(struct kunit *test)
{
	const struct conflict_param *p = test->param_value;
	struct zdt_device *dev = zdt_device_create(test, MEMORY_DEVICE_PRIVATE,
						   ZDT_DEVICE_PAGES);
	u64 start = dev->pgmap.range.start, end = dev->pgmap.range.end;
	int err, warnings;

	if (p->ends_inside) {
		u64 half = memremap_compat_align() / 2;

		KUNIT_ASSERT_LT(test, half, end - start);
		start -= half;
		end = dev->pgmap.range.start + half - 1;
	}
	err = map_second_pgmap(test, dev, start, end, &warnings);
	KUNIT_EXPECT_EQ(test, err, -ENOMEM);
	expect_pgmap_at(test, dev->pfn_first, &dev->pgmap);
	expect_pgmap_at(test, dev->pfn_first + dev->nr_pages - 1, &dev->pgmap);
	if (p->ends_inside)
		expect_pgmap_at(test, PHYS_PFN(start), NULL);
#if ZDT_HAS_WARN_SUPPRESS
	KUNIT_EXPECT_EQ_MSG(test, warnings, 1, "WARNs suppressed");
#else
	(void)warnings;
	zdt_skip(test, ZDT_NO_WARN_SUPPRESS);
#endif
}

/*
 * memremap_pages() refuses a range of System RAM with -ENXIO before it
 * touches it: the RAM keeps its memmap and no pgmap takes its pfns
 * (mm/memremap.c pagemap_range(): region_intersects() with
 * IORESOURCE_SYSTEM_RAM; the kernel-doc of devm_memremap_pages() asks for
 * a range that "could feasibly be treated as System RAM", never RAM
 * itself).  The range: the memremap_compat_align() block around a slab
 * object of the case.  Its WARN is a WARN_ONCE: counted only as at most
 * one.  Succeeds if the error is -ENXIO (-EEXIST under UML, which has no
 * System RAM resource: ZDT_SYSTEM_RAM_REFUSED), no pgmap is found at the
 * object's pfn and its page is no ZONE_DEVICE page.
 */
static void memremap_pages_refuses_system_ram(struct kunit *test)
{
	struct zdt_device *dev = zdt_device_prepare(test, MEMORY_DEVICE_PRIVATE,
						    ZDT_DEVICE_PAGES);
	void *ram = kunit_kzalloc(test, sizeof(long), GFP_KERNEL);
	u64 align = memremap_compat_align();
	u64 start;
	int err, warnings;

	KUNIT_ASSERT_NOT_NULL(test, ram);
	start = ALIGN_DOWN(virt_to_phys(ram), align);
	err = map_second_pgmap(test, dev, start, start + align - 1, &warnings);
	KUNIT_EXPECT_EQ(test, err, ZDT_SYSTEM_RAM_REFUSED);
	expect_pgmap_at(test, PHYS_PFN(virt_to_phys(ram)), NULL);
	KUNIT_EXPECT_FALSE(test, is_zone_device_page(virt_to_page(ram)));
#if ZDT_HAS_WARN_SUPPRESS
	KUNIT_EXPECT_LE_MSG(test, warnings, 1, "WARNs suppressed");
#else
	(void)warnings;
#endif
}

/*
 * devm_memunmap_pages() unmaps a pgmap devm_memremap_pages() mapped at
 * once, while its device stays, and takes the unmap off the device's
 * release (devm_release_action()), so that a driver can give its memory
 * back before it goes away (Dan Williams' "mm/devm_memremap_pages:
 * Introduce devm_memunmap_pages", 5.3), and can map it again on the same
 * device.  Succeeds if get_dev_pagemap() finds the pgmap before, nothing
 * after, at its first and last pfn, and the pgmap again once
 * devm_memremap_pages() mapped it anew; the device going away at the
 * case's end then unmaps that mapping once (the fixture's teardown).
 */
static void devm_memunmap_pages_unmaps_before_the_device_goes(struct kunit *test)
{
	struct zdt_device *dev = zdt_device_create_devm(test, MEMORY_DEVICE_PRIVATE,
							ZDT_DEVICE_PAGES);
	unsigned long last = dev->pfn_first + dev->nr_pages - 1;
	struct dev_pagemap *found;
	void *addr;

	expect_pgmap_at(test, dev->pfn_first, &dev->pgmap);
	devm_memunmap_pages(dev->owner, &dev->pgmap);
	found = zdt_get_dev_pagemap(dev->pfn_first);
	if (found) {
		/* Still mapped, by the device's release: the fixture's to undo. */
		put_dev_pagemap(found);
		KUNIT_FAIL(test, "devm_memunmap_pages() left the pgmap mapped");
		return;
	}
	expect_pgmap_at(test, last, NULL);
	addr = devm_memremap_pages(dev->owner, &dev->pgmap);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(addr),
			       "devm_memremap_pages() again: %pe", addr);
	expect_pgmap_at(test, dev->pfn_first, &dev->pgmap);
}

/*
 * A range memremap_pages() cannot hot-add is refused with nothing left
 * behind, and the driver's dev_pagemap comes back as the driver gave it:
 * memremap_pages() counts in pgmap->nr_range the ranges it has mapped while
 * it works and puts the caller's count back when it fails (b7b3c01b1915
 * "mm/memremap_pages: support multiple ranges per invocation"), so that
 * the driver can retry with the same struct once it has fixed the range.
 * The range here starts a page past the memremap_compat_align() boundary,
 * which add_pages() refuses (-EINVAL, one WARN).  Succeeds if the refusal
 * is -EINVAL, nr_range is 1 again, no pgmap is found in the range, and the
 * same struct with the range aligned then maps (found by get_dev_pagemap())
 * and unmaps.
 */
static void refused_pgmap_can_be_mapped_again_once_fixed(struct kunit *test)
{
	struct zdt_device *dev = zdt_device_prepare(test, MEMORY_DEVICE_PRIVATE,
						    ZDT_DEVICE_PAGES);
	struct dev_pagemap *pgmap = kunit_kzalloc(test, sizeof(*pgmap),
						  GFP_KERNEL);
	void *addr;
	int warnings;

	KUNIT_ASSERT_NOT_NULL(test, pgmap);
	KUNIT_ASSERT_TRUE(test, IS_ALIGNED(dev->pgmap.range.start,
					   memremap_compat_align()));
	pgmap->type = dev->pgmap.type;
	pgmap->ops = dev->pgmap.ops;
	pgmap->owner = dev->pgmap.owner;
	pgmap->range.start = dev->pgmap.range.start + PAGE_SIZE;
	pgmap->range.end = dev->pgmap.range.end;
	pgmap->nr_range = 1;
	zdt_expect_warning(test, "add_pages",
			   addr = memremap_pages(pgmap, numa_node_id()), warnings);
	(void)warnings;
	if (!IS_ERR(addr)) {
		memunmap_pages(pgmap);
		KUNIT_FAIL(test, "memremap_pages() mapped a misaligned range");
		return;
	}
	KUNIT_EXPECT_EQ(test, PTR_ERR(addr), -EINVAL);
	KUNIT_EXPECT_EQ_MSG(test, pgmap->nr_range, 1,
			    "the refused pgmap's nr_range");
	expect_pgmap_at(test, PHYS_PFN(pgmap->range.start), NULL);

	pgmap->range.start = dev->pgmap.range.start;
	addr = memremap_pages(pgmap, numa_node_id());
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(addr),
			       "memremap_pages() of the fixed pgmap: %pe", addr);
	expect_pgmap_at(test, dev->pfn_first, pgmap);
	memunmap_pages(pgmap);
	expect_pgmap_at(test, dev->pfn_first, NULL);
}

/*
 * A batch put is a loop of puts, "release_pages() is an optimized version of
 * a loop around put_page()" (c5d6c45e90c4 "mm/swap: fix release_pages() when
 * releasing devmap pages"): folios_put_refs(), which release_pages() and a
 * zap's TLB batch go through, subtracts from a device folio the references
 * the batch holds on it (refs[], several for a large folio mapped by PTEs)
 * and, when they were the last, gives it back to its pgmap
 * (free_zone_device_folio(): the free callback), also right after a system
 * folio whose final put took the LRU lock.  Succeeds if, for a batch of a
 * system folio on the LRU with its last reference, then the device page
 * with both its references (refs 1 and 2), the free callback ran once and
 * the device page is at refcount 0.
 */
static void batch_put_frees_a_device_folio_with_its_refs(struct kunit *test)
{
	unsigned int refs[2] = { 1, 2 };
	struct folio_batch batch;
	struct zdt_device *dev;
	struct page *page, *spage;
	unsigned long addr;

	if (!ZDT_CAN_DRAIN_LRU)
		zdt_skip(test, "%s", ZDT_NO_DRAIN_LRU);
	page = alloc_unlocked(test, &dev);
	zdt_get_page(test, page);
	addr = zdt_user_pages(test, 1);
	spage = zdt_mapped_page(addr);
	KUNIT_ASSERT_NOT_NULL(test, spage);
	get_page(spage);
	zdt_drain_lru();
	KUNIT_EXPECT_EQ(test, vm_munmap(addr, PAGE_SIZE), 0);
	if (!folio_test_lru(page_folio(spage)) || page_ref_count(spage) != 1) {
		put_page(spage);
		zdt_skip(test, "system folio %son the LRU, refcount %d: no put under the LRU lock",
			 folio_test_lru(page_folio(spage)) ? "" : "not ",
			 page_ref_count(spage));
	}
	KUNIT_ASSERT_EQ(test, page_ref_count(page), 2);

	/* Both references of the case go into the batch. */
	zdt_forget_page(test, page);
	zdt_forget_page(test, page);
	folio_batch_init(&batch);
	folio_batch_add(&batch, page_folio(spage));
	folio_batch_add(&batch, page_folio(page));
	folios_put_refs(&batch, refs);

	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&dev->nr_free), 1,
			    "free callback calls after the batch put");
	KUNIT_EXPECT_EQ_MSG(test, page_ref_count(page), 0,
			    "the device page's refcount after the batch put of both its references");
}

static struct kunit_case zone_device_pgmap_cases[] = {
	KUNIT_CASE_PARAM(initial_refcount_is_the_type_start_value,
			 all_types_gen_params),
	KUNIT_CASE_PARAM(allocated_page_has_one_reference, alloc_types_gen_params),
	KUNIT_CASE_PARAM(allocated_page_is_locked, alloc_types_gen_params),
	KUNIT_CASE_PARAM(allocated_page_belongs_to_its_pgmap,
			 alloc_types_gen_params),
	KUNIT_CASE_PARAM(allocated_page_holds_a_pgmap_reference,
			 alloc_types_gen_params),
	KUNIT_CASE_PARAM(final_put_calls_free_callback_once,
			 alloc_types_gen_params),
	KUNIT_CASE_PARAM(final_put_leaves_refcount_zero, alloc_types_gen_params),
	KUNIT_CASE_PARAM(final_put_drops_the_pgmap_reference,
			 alloc_types_gen_params),
	KUNIT_CASE_PARAM(freed_page_can_be_handed_out_again,
			 alloc_types_gen_params),
	KUNIT_CASE_PARAM(large_folio_init_counts_one_reference,
			 alloc_types_gen_params),
	KUNIT_CASE_PARAM(large_folio_final_put_frees_it_once,
			 alloc_types_gen_params),
	KUNIT_CASE_PARAM(freed_large_folio_comes_back_at_the_order_asked,
			 alloc_types_gen_params),
	KUNIT_CASE(generic_page_refcount_returns_to_one),
	KUNIT_CASE(altmap_pfns_are_kept_out_of_the_pgmap),
	KUNIT_CASE_PARAM(memremap_pages_rejects_malformed_pgmap,
			 malformed_gen_params),
	KUNIT_CASE_PARAM(compound_pgmap_pages_form_folios_of_its_order,
			 compound_pgmaps_gen_params),
	KUNIT_CASE(compound_pgmap_tail_struct_pages_share_a_memmap_page),
	KUNIT_CASE(fsdax_final_put_wakes_idle_waiters),
	KUNIT_CASE(p2pdma_final_put_calls_free_callback_once),
	KUNIT_CASE(devm_pgmap_is_unmapped_when_its_device_goes_away),
	KUNIT_CASE_PARAM(memory_failure_hands_a_device_pfn_to_its_pgmap_op,
			 alloc_types_gen_params),
	KUNIT_CASE(memory_failure_leaves_the_devices_memmap_pfns_alone),
	KUNIT_CASE_PARAM(memory_failure_falls_back_when_the_pgmap_op_declines,
			 alloc_types_gen_params),
	KUNIT_CASE_PARAM(memory_failure_drops_the_pgmap_reference,
			 alloc_types_gen_params),
	KUNIT_CASE_PARAM(memory_failure_drops_the_callers_page_reference,
			 alloc_types_gen_params),
	KUNIT_CASE_PARAM(memremap_pages_refuses_a_range_of_another_pgmap,
			 conflicts_gen_params),
	KUNIT_CASE(memremap_pages_refuses_system_ram),
	KUNIT_CASE(devm_memunmap_pages_unmaps_before_the_device_goes),
	KUNIT_CASE(refused_pgmap_can_be_mapped_again_once_fixed),
	KUNIT_CASE_PARAM(batch_put_frees_a_device_folio_with_its_refs,
			 alloc_types_gen_params),
	{}
};

static struct kunit_suite zone_device_pgmap_suite = {
	.name = "zone_device_pgmap",
	.init = zdt_case_begin,
	.test_cases = zone_device_pgmap_cases,
};

kunit_test_suite(zone_device_pgmap_suite);

MODULE_DESCRIPTION("KUnit tests for ZONE_DEVICE page refcounts and pgmap lifecycle");
MODULE_LICENSE("GPL");
