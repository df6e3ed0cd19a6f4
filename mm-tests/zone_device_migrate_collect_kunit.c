// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the source side of a device migration (mm/migrate_device.c):
 * what migrate_vma_setup(), migrate_device_range() and migrate_device_pfns()
 * put in a driver's src array for each kind of entry they meet, and what they
 * leave alone.  A page they do not collect must have a zero src entry and
 * keep its mapping, its data, its lock state and its references; one they
 * collect must carry the flags a driver acts on (Documentation/mm/hmm.rst,
 * "Migration to and from device memory", step 2).
 */
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <kunit/test.h>

#include "zone_device_fixture.h"

/* Eviction by pfn range, or by a list of pfns (6.15). */

struct evict_param {
	const char *desc;
	bool by_list;		/* migrate_device_pfns(), else migrate_device_range() */
};

static const struct evict_param evict_params[] = {
	{ "migrate_device_range", false },
	{ "migrate_device_pfns", true },
};

KUNIT_ARRAY_PARAM_DESC(evict, evict_params, desc);

/*
 * Eviction takes only the device pages it can lock at once: a page another
 * thread holds locked (a migration or fault of its own under way) is not
 * collected, and the reference migrate_device_pfn_lock() took to try is put
 * back (e778406b40db "mm/migrate_device.c: add migrate_device_range()": "take
 * a reference and lock any migrating pages that aren't free").  Succeeds if,
 * over two used device pages of which the test holds the first locked, the
 * first's src entry is 0 and its refcount is still the mapping's one right
 * after the collect, the second is collected and moves to RAM, and the first
 * stays mapped as its device-private entry, comes back with its data on a CPU
 * read once unlocked, and both device pages end freed.
 */
static void eviction_leaves_a_page_another_holds_locked(struct kunit *test)
{
	const struct evict_param *p = test->param_value;
	unsigned long addr, src[2] = { }, dst[2] = { };
	struct page *dpage0, *dpage1, *rpage;
	struct zdt_device *dev;
	int ret, ref_after_collect;
	u8 buf[ZDT_DATA_LEN];

	if (p->by_list && !ZDT_HAS_MIGRATE_DEVICE_PFNS)
		zdt_skip(test, ZDT_NO_MIGRATE_DEVICE_PFNS);
	dev = zdt_device_create(test, MEMORY_DEVICE_PRIVATE, ZDT_DEVICE_PAGES);
	addr = zdt_user_pages(test, 2);
	KUNIT_ASSERT_EQ(test, zdt_migrate_to_device(dev, addr, 2), 2);
	dpage0 = zdt_device_page(dev, 0);
	dpage1 = zdt_device_page(dev, 1);
	KUNIT_ASSERT_EQ(test, page_ref_count(dpage0), 1);
	KUNIT_ASSERT_EQ(test, page_ref_count(dpage1), 1);
	zdt_lock_page(test, dpage0);

	ret = zdt_evict_collect(src, dev->pfn_first, 2, p->by_list);
	ref_after_collect = page_ref_count(dpage0);
	rpage = NULL;
	if (!ret && (src[1] & MIGRATE_PFN_MIGRATE) && migrate_pfn_to_page(src[1]) == dpage1) {
		rpage = alloc_page(GFP_HIGHUSER_MOVABLE);
		if (rpage) {
			lock_page(rpage);
			memcpy(page_address(rpage), zdt_page_data(dpage1), PAGE_SIZE);
			dst[1] = migrate_pfn(page_to_pfn(rpage));
		}
	}
	if (!ret) {
		zdt_evict_pages(src, dst, 2);
		zdt_evict_finalize(src, dst, 2);
	}

	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ_MSG(test, src[0], 0,
			    "src entry of a device page another holds locked");
	/* A leaked one would keep the CPU read below from moving it. */
	KUNIT_ASSERT_EQ_MSG(test, ref_after_collect, 1,
			    "references on the page not collected, right after the collect (the mapping's only)");
	KUNIT_ASSERT_NOT_NULL_MSG(test, rpage,
				  "the unlocked page not collected (src %#lx), or no system page",
				  src[1]);
	KUNIT_EXPECT_PTR_EQ_MSG(test, zdt_mapped_page(addr + PAGE_SIZE), rpage,
				"the unlocked page is not mapped to its system copy");
	KUNIT_EXPECT_PTR_EQ_MSG(test, zdt_device_private_pte(addr, NULL), dpage0,
				"the locked page no longer mapped as its device-private entry");
	KUNIT_EXPECT_TRUE(test, PageLocked(dpage0));
	KUNIT_EXPECT_EQ(test, page_ref_count(dpage0), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_free), 1);

	zdt_unlock_page(test, dpage0);
	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, dev, addr, buf), 0);
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, 0));
	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, dev, addr + PAGE_SIZE, buf), 0);
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, 1));
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_free), 2);
	KUNIT_EXPECT_EQ(test, page_ref_count(dpage0), 0);
}

/* Device pages of the large folio an eviction covers: fewer than the folio. */
#define PART_PAGES	16

/*
 * Eviction moves a large device folio whole or not at all: a pfn range or
 * list that ends inside the folio leaves it, and every src entry from its
 * head on, zero, its lock and the reference taken to try released
 * (a30b48bf1b24 "mm/migrate_device: implement THP migration of zone device
 * pages": "if (nr > npages - i)" in migrate_device_range() and
 * migrate_device_pfns()).  Succeeds if, over the first PART_PAGES pfns of a
 * PMD-mapped large device-private folio, every src entry is 0, the folio is
 * still large, unlocked, at refcount 1 and mapped once, nothing is freed, and
 * a CPU read then brings back the data of a page past the range and of the
 * first page.
 */
static void eviction_of_part_of_a_large_folio_takes_none_of_it(struct kunit *test)
{
	const struct evict_param *p = test->param_value;
	unsigned long addr, i, *src, *dst, nonzero = 0;
	struct zdt_device *dev;
	struct page *dpage;
	struct folio *folio;
	u8 buf[ZDT_DATA_LEN];
	int ret;

	if (p->by_list && !ZDT_HAS_MIGRATE_DEVICE_PFNS)
		zdt_skip(test, ZDT_NO_MIGRATE_DEVICE_PFNS);
	dpage = zdt_pmd_on_device(test, &dev, &addr);
	folio = page_folio(dpage);
	KUNIT_ASSERT_EQ(test, page_to_pfn(dpage), dev->pfn_first);
	zdt_put_data(test, zdt_page_data(dpage), 0);
	zdt_put_data(test, zdt_page_data(dpage + ZDT_PMD_MIDDLE), ZDT_PMD_MIDDLE);
	src = kunit_kcalloc(test, PART_PAGES, sizeof(*src), GFP_KERNEL);
	dst = kunit_kcalloc(test, PART_PAGES, sizeof(*dst), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, src);
	KUNIT_ASSERT_NOT_NULL(test, dst);

	ret = zdt_evict_collect(src, dev->pfn_first, PART_PAGES, p->by_list);
	KUNIT_ASSERT_EQ(test, ret, 0);
	for (i = 0; i < PART_PAGES; i++)
		nonzero += src[i] != 0;
	zdt_evict_pages(src, dst, PART_PAGES);
	zdt_evict_finalize(src, dst, PART_PAGES);

	KUNIT_EXPECT_EQ_MSG(test, nonzero, 0,
			    "src entries of a large folio the range covers only part of (src[0] %#lx)",
			    src[0]);
	KUNIT_EXPECT_EQ(test, folio_order(folio), PMD_SHIFT - PAGE_SHIFT);
	KUNIT_EXPECT_FALSE_MSG(test, folio_test_locked(folio),
			       "the folio eviction did not take is left locked");
	KUNIT_EXPECT_EQ_MSG(test, folio_ref_count(folio), 1,
			    "references on the folio eviction did not take (the mapping's only)");
	KUNIT_EXPECT_EQ(test, folio_mapcount(folio), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_free), 0);
	if (folio_test_locked(folio) || folio_ref_count(folio) != 1)
		return;	/* a CPU read would wait on it, or fail to move it */

	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, dev, addr + ZDT_PMD_MIDDLE * PAGE_SIZE, buf), 0);
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, ZDT_PMD_MIDDLE));
	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, dev, addr, buf), 0);
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, 0));
}

KUNIT_DEFINE_ACTION_WRAPPER(collect_unpin, unpin_user_page, struct page *);

/*
 * migrate_vma_setup() does not take an exclusive anonymous page that may be
 * pinned for DMA: migrate_vma_collect_pmd() clears its PTE only if it can
 * mark the page shared (folio_try_share_anon_rmap_pte()), and when a pin
 * forbids that it puts the PTE back at once and leaves the page uncollected
 * (6c287605fd56 "mm: remember exclusively mapped anonymous pages with
 * PG_anon_exclusive").  What the process writes must keep reaching the
 * pinned page the device reads.  Succeeds if, over a pinned page and an
 * unpinned one with MIGRATE_VMA_SELECT_SYSTEM, setup counts one page, the
 * pinned page's src entry is 0 while the other's is its pfn with
 * MIGRATE_PFN_MIGRATE and MIGRATE_PFN_WRITE (and it moves to the device),
 * and afterwards the pinned page is still mapped there, exclusive, unlocked,
 * with its references as before, and a CPU write at its address lands in it.
 */
static void pinned_anon_page_is_not_collected(struct kunit *test)
{
	unsigned long addr, cpages = 0, src0 = ~0UL, src1 = 0, moved1 = 0, want1;
	struct zdt_page_state before, after;
	struct page *pinned = NULL, *page1, *dpage = NULL;
	struct zdt_device *dev;
	struct zdt_migration m;
	long n;

	dev = zdt_device_create(test, MEMORY_DEVICE_PRIVATE, ZDT_DEVICE_PAGES);
	addr = zdt_user_pages(test, 2);
	page1 = zdt_mapped_page(addr + PAGE_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, page1);
	n = pin_user_pages_unlocked(addr, 1, &pinned, FOLL_WRITE);
	KUNIT_ASSERT_EQ(test, n, 1);
	zdt_hold(test, ZDT_HELD_PAGE, collect_unpin, pinned);
	KUNIT_ASSERT_PTR_EQ(test, zdt_mapped_page(addr), pinned);
	KUNIT_ASSERT_TRUE(test, folio_maybe_dma_pinned(page_folio(pinned)));
	KUNIT_ASSERT_TRUE_MSG(test, PageAnonExclusive(pinned),
			      "a written private page that is not exclusive: nothing to test");
	zdt_drain_lru();
	before = zdt_page_state(pinned);
	want1 = migrate_pfn(page_to_pfn(page1)) | MIGRATE_PFN_MIGRATE | MIGRATE_PFN_WRITE;

	zdt_migration_init(test, &m, addr, 2, dev, MIGRATE_VMA_SELECT_SYSTEM);
	zdt_migration_setup(&m);
	if (!m.ret) {
		cpages = m.args.cpages;
		src0 = m.args.src[0];
		src1 = m.args.src[1];
		if (src1 == want1)
			dpage = zdt_device_alloc_page(dev, 0);
		if (dpage) {
			memcpy(zdt_page_data(dpage), page_address(page1), PAGE_SIZE);
			m.args.dst[1] = migrate_pfn(page_to_pfn(dpage)) | MIGRATE_PFN_WRITE;
		}
		zdt_migration_pages(&m);
		moved1 = m.args.src[1] & MIGRATE_PFN_MIGRATE;
	}
	zdt_migration_finalize(&m);
	zdt_drain_lru();
	after = zdt_page_state(pinned);

	KUNIT_ASSERT_EQ(test, m.ret, 0);
	KUNIT_EXPECT_EQ_MSG(test, src0, 0, "src entry of a pinned exclusive page");
	KUNIT_EXPECT_EQ_MSG(test, src1, want1, "src entry of the unpinned page");
	KUNIT_EXPECT_EQ(test, cpages, 1);
	KUNIT_EXPECT_TRUE_MSG(test, moved1 && dpage, "the unpinned page did not move");
	KUNIT_EXPECT_PTR_EQ_MSG(test, zdt_mapped_page(addr), pinned,
				"the pinned page is no longer what the process maps");
	KUNIT_EXPECT_TRUE_MSG(test, PageAnonExclusive(pinned),
			      "the pinned page lost its exclusive mark");
	zdt_expect_page_state(test, after, before, "of the pinned page after the migration");
	KUNIT_ASSERT_EQ(test, zdt_cpu_write(test, dev, addr, 2), 0);
	KUNIT_EXPECT_TRUE_MSG(test, zdt_has_data(test, page_address(pinned), 2),
			      "a CPU write after the migration did not reach the pinned page");
}

/*
 * What a driver does with an empty entry it is offered: a page of @dev,
 * holding the case's data for tag 1, as the writable destination of entry
 * @i.  Return: the page, or NULL if the device has none free.
 */
static struct page *fill_empty_entry(struct kunit *test, struct zdt_migration *m,
				     struct zdt_device *dev, unsigned long i)
{
	struct page *dpage = zdt_device_alloc_page(dev, 0);

	if (dpage) {
		zdt_put_data(test, zdt_page_data(dpage), 1);
		m->args.dst[i] = migrate_pfn(page_to_pfn(dpage)) | MIGRATE_PFN_WRITE;
	}
	return dpage;
}

/* The shared zero page, with or without MIGRATE_VMA_SELECT_SYSTEM. */

struct zero_param {
	const char *desc;
	unsigned long flags;	/* args->flags */
	bool collected;		/* offered to the driver as an empty entry */
};

static const struct zero_param zero_params[] = {
	{ "SELECT_SYSTEM", MIGRATE_VMA_SELECT_SYSTEM, true },
	{ "SELECT_DEVICE_PRIVATE", MIGRATE_VMA_SELECT_DEVICE_PRIVATE, false },
};

KUNIT_ARRAY_PARAM_DESC(zero, zero_params, desc);

/*
 * The shared zero page a CPU read maps holds no data of the process: a
 * migration of system memory offers it to the driver like an empty entry,
 * MIGRATE_PFN_MIGRATE without a pfn (no page to copy, lock or unmap), and
 * counts it in cpages, so that the driver may fill it with device memory;
 * a migration that does not select system memory leaves it alone, a zero
 * src entry (8315ada7f095 "mm/migrate: allow migrate_vma() to alloc new page
 * on empty entry"; migrate_vma_collect_pmd(), vm_normal_page() giving no page
 * for the zero pfn).  Succeeds if, with MIGRATE_VMA_SELECT_SYSTEM, the src
 * entry is exactly MIGRATE_PFN_MIGRATE, cpages 1, and a device page the
 * driver gives is then mapped there and its data read back by the CPU;
 * without it, the src entry is 0 and cpages 0.
 */
static void zero_page_is_an_empty_entry_to_system_migration(struct kunit *test)
{
	const struct zero_param *p = test->param_value;
	unsigned long addr, src = ~0UL, cpages = ~0UL, moved = 0;
	struct page *zero, *dpage = NULL;
	struct zdt_device *dev;
	struct zdt_migration m;
	u8 buf[ZDT_DATA_LEN];

	dev = zdt_device_create(test, MEMORY_DEVICE_PRIVATE, ZDT_DEVICE_PAGES);
	addr = zdt_user_map(test, PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, NULL, addr, buf), 0);
	/* GUP-fast (zdt_mapped_page()) refuses the zero page's special PTE. */
	KUNIT_ASSERT_EQ(test, get_user_pages_unlocked(addr, 1, &zero, 0), 1);
	put_page(zero);
	if (!is_zero_pfn(page_to_pfn(zero)))
		zdt_skip(test, "a CPU read of untouched memory maps no shared zero page here");

	zdt_migration_init(test, &m, addr, 1, dev, p->flags);
	zdt_migration_setup(&m);
	if (!m.ret) {
		src = m.args.src[0];
		cpages = m.args.cpages;
		if (p->collected && src == MIGRATE_PFN_MIGRATE)
			dpage = fill_empty_entry(test, &m, dev, 0);
		zdt_migration_pages(&m);
		moved = m.args.src[0] & MIGRATE_PFN_MIGRATE;
	}
	zdt_migration_finalize(&m);

	KUNIT_ASSERT_EQ(test, m.ret, 0);
	if (!p->collected) {
		KUNIT_EXPECT_EQ_MSG(test, src, 0, "src entry of the zero page, system unselected");
		KUNIT_EXPECT_EQ(test, cpages, 0);
		return;
	}
	KUNIT_EXPECT_EQ_MSG(test, src, MIGRATE_PFN_MIGRATE,
			    "src entry of the zero page, system selected: empty and migrating");
	KUNIT_EXPECT_EQ(test, cpages, 1);
	KUNIT_ASSERT_NOT_NULL_MSG(test, dpage, "zero page not offered, or no device page");
	KUNIT_EXPECT_TRUE_MSG(test, moved, "migrate_vma_pages() did not fill the zero page");
	KUNIT_EXPECT_PTR_EQ_MSG(test, zdt_device_private_pte(addr, NULL), dpage,
				"the device page is not mapped in the zero page's place");
	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, dev, addr, buf), 0);
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, 1));
}

/*
 * migrate_vma_pages() acts only on the entries migrate_vma_setup()
 * collected: a destination page a driver gives for an entry it did not
 * collect (a zero src entry: here the shared zero page a migration without
 * MIGRATE_VMA_SELECT_SYSTEM leaves alone) is not mapped there, the entry
 * stays without MIGRATE_PFN_MIGRATE, and migrate_vma_finalize() gives the
 * page back (__migrate_device_pages(): an entry without a source page is
 * filled only if it has MIGRATE_PFN_MIGRATE, 8315ada7f095 "mm/migrate:
 * allow migrate_vma() to alloc new page on empty entry"; a zero page that
 * is collected is filled, zero_page_is_an_empty_entry_to_system_migration).
 * Succeeds if the src entry is 0 after setup and still 0 after
 * migrate_vma_pages(), no device-private entry is at the address, the CPU
 * does not read the device page's data there and never faults to the
 * device, and the device page is freed once, at refcount 0.
 */
static void uncollected_entry_ignores_the_drivers_destination(struct kunit *test)
{
	unsigned long addr, src = ~0UL, src_after = ~0UL;
	struct page *zero, *dpage = NULL;
	struct zdt_device *dev;
	struct zdt_migration m;
	u8 buf[ZDT_DATA_LEN];

	dev = zdt_device_create(test, MEMORY_DEVICE_PRIVATE, ZDT_DEVICE_PAGES);
	addr = zdt_user_map(test, PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, NULL, addr, buf), 0);
	/* GUP-fast (zdt_mapped_page()) refuses the zero page's special PTE. */
	KUNIT_ASSERT_EQ(test, get_user_pages_unlocked(addr, 1, &zero, 0), 1);
	put_page(zero);
	if (!is_zero_pfn(page_to_pfn(zero)))
		zdt_skip(test, "a CPU read of untouched memory maps no shared zero page here");

	zdt_migration_init(test, &m, addr, 1, dev, MIGRATE_VMA_SELECT_DEVICE_PRIVATE);
	zdt_migration_setup(&m);
	if (!m.ret) {
		src = m.args.src[0];
		if (!src)
			dpage = fill_empty_entry(test, &m, dev, 0);
		zdt_migration_pages(&m);
		src_after = m.args.src[0];
	}
	zdt_migration_finalize(&m);

	KUNIT_ASSERT_EQ(test, m.ret, 0);
	KUNIT_ASSERT_EQ_MSG(test, src, 0, "the zero page collected without SELECT_SYSTEM");
	KUNIT_ASSERT_NOT_NULL_MSG(test, dpage, "no free device page");
	KUNIT_EXPECT_EQ_MSG(test, src_after, 0,
			    "migrate_vma_pages() changed an entry setup did not collect");
	KUNIT_EXPECT_PTR_EQ_MSG(test, zdt_device_private_pte(addr, NULL), NULL,
				"the device page is mapped where setup collected nothing");
	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, dev, addr, buf), 0);
	KUNIT_EXPECT_FALSE_MSG(test, zdt_has_data(test, buf, 1),
			       "the CPU reads the device page's data where setup collected nothing");
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_migrate_to_ram), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_free), 1);
	KUNIT_EXPECT_EQ(test, folio_ref_count(page_folio(dpage)), 0);
}

/*
 * An address of anonymous memory never touched holds no data: where its
 * page table exists (a neighbour was touched) its PTE is none, and
 * migrate_vma_setup() offers it to the driver as an empty entry,
 * MIGRATE_PFN_MIGRATE without a pfn, counted in cpages, as it does an
 * address without a page table, so that the driver may fill it with device
 * memory (8315ada7f095 "mm/migrate: allow migrate_vma() to alloc new page on
 * empty entry"; migrate_vma_setup()'s kernel-doc: "For empty entries inside
 * CPU page table (pte_none() or pmd_none() is true) we do set
 * MIGRATE_PFN_MIGRATE flag").  Succeeds if, over a written page and the
 * untouched page after it in the same page table, the first src entry is
 * its pfn with MIGRATE_PFN_MIGRATE and MIGRATE_PFN_WRITE, the second exactly
 * MIGRATE_PFN_MIGRATE, cpages 2, and after the driver fills the second with
 * a device page and leaves the first, the first is still mapped with its
 * data and the second maps the device page, whose data a CPU read returns.
 */
static void none_pte_is_an_empty_entry_in_anonymous_memory(struct kunit *test)
{
	unsigned long map, addr, src0 = 0, src1 = ~0UL, cpages = 0, moved1 = 0, want0;
	struct page *page0, *dpage = NULL;
	struct zdt_device *dev;
	struct zdt_migration m;
	u8 buf[ZDT_DATA_LEN];

	dev = zdt_device_create(test, MEMORY_DEVICE_PRIVATE, ZDT_DEVICE_PAGES);
	/* Three pages: two of them share a page table, whatever the alignment. */
	map = zdt_user_map(test, 3 * PAGE_SIZE);
	addr = (map & PMD_MASK) == ((map + PAGE_SIZE) & PMD_MASK) ? map : map + PAGE_SIZE;
	zdt_fill(test, buf, sizeof(buf), 0);
	KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)addr, buf, sizeof(buf)), 0);
	page0 = zdt_mapped_page(addr);
	KUNIT_ASSERT_NOT_NULL(test, page0);
	want0 = migrate_pfn(page_to_pfn(page0)) | MIGRATE_PFN_MIGRATE | MIGRATE_PFN_WRITE;

	zdt_migration_init(test, &m, addr, 2, dev, MIGRATE_VMA_SELECT_SYSTEM);
	zdt_migration_setup(&m);
	if (!m.ret) {
		src0 = m.args.src[0];
		src1 = m.args.src[1];
		cpages = m.args.cpages;
		if (src1 == MIGRATE_PFN_MIGRATE)
			dpage = fill_empty_entry(test, &m, dev, 1);
		zdt_migration_pages(&m);
		moved1 = m.args.src[1] & MIGRATE_PFN_MIGRATE;
	}
	zdt_migration_finalize(&m);

	KUNIT_ASSERT_EQ(test, m.ret, 0);
	KUNIT_EXPECT_EQ_MSG(test, src0, want0, "src entry of the written page");
	KUNIT_EXPECT_EQ_MSG(test, src1, MIGRATE_PFN_MIGRATE,
			    "src entry of the untouched page: empty and migrating");
	KUNIT_EXPECT_EQ(test, cpages, 2);
	KUNIT_ASSERT_NOT_NULL_MSG(test, dpage, "untouched page not offered, or no device page");
	KUNIT_EXPECT_TRUE_MSG(test, moved1, "migrate_vma_pages() did not fill the untouched page");
	KUNIT_EXPECT_PTR_EQ_MSG(test, zdt_mapped_page(addr), page0,
				"the written page, given no destination, is not mapped where it was");
	KUNIT_EXPECT_PTR_EQ_MSG(test, zdt_device_private_pte(addr + PAGE_SIZE, NULL), dpage,
				"the device page is not mapped at the untouched address");
	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, dev, addr, buf), 0);
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, 0));
	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, dev, addr + PAGE_SIZE, buf), 0);
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, 1));
}

/* What backs the PTE-mapped large folio whose split fails. */

struct split_param {
	const char *desc;
	bool device;		/* a device-private folio, else a system THP */
};

static const struct split_param split_params[] = {
	{ "device-private folio", true },
	{ "system THP", false },
};

KUNIT_ARRAY_PARAM_DESC(split, split_params, desc);

/* Page 0 of a PMD-sized range munmap()ed: a large folio left mapped by PTEs. */
#define SPLIT_HOLE	0

/*
 * A large folio mapped by PTEs, page i with the data of tag i: a
 * device-private one (zdt_pmd_on_device()) or a system THP, page SPLIT_HOLE
 * of its range munmap()ed, which splits the PMD and not the folio.  Skips
 * where no THP backs the range.
 */
static struct page *pte_mapped_large_folio(struct kunit *test, bool device,
					   struct zdt_device **devp, unsigned long *base)
{
	u8 buf[ZDT_DATA_LEN];
	struct page *head;
	unsigned long i;

	if (device) {
		head = zdt_pmd_on_device(test, devp, base);
		for (i = 0; i < PTRS_PER_PMD; i++)
			zdt_put_data(test, zdt_page_data(head + i), i);
	} else {
		if (!IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE))
			zdt_skip(test, ZDT_NO_THP);
		*devp = zdt_device_create(test, MEMORY_DEVICE_PRIVATE, ZDT_DEVICE_PAGES);
		*base = ALIGN(zdt_user_map(test, 2 * PMD_SIZE), PMD_SIZE);
		for (i = 0; i < PTRS_PER_PMD; i++) {
			zdt_fill(test, buf, sizeof(buf), i);
			KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)(*base + i * PAGE_SIZE),
							   buf, sizeof(buf)), 0);
		}
		head = zdt_mapped_page(*base);
		KUNIT_ASSERT_NOT_NULL(test, head);
		if (folio_order(page_folio(head)) != PMD_SHIFT - PAGE_SHIFT)
			zdt_skip(test, "no THP behind a PMD-aligned range: THP off or none free");
	}
	KUNIT_ASSERT_EQ(test, vm_munmap(*base + SPLIT_HOLE * PAGE_SIZE, PAGE_SIZE), 0);
	KUNIT_ASSERT_EQ_MSG(test, folio_order(page_folio(head)), PMD_SHIFT - PAGE_SHIFT,
			    "the munmap() split the folio");
	return head;
}

/*
 * migrate_vma_setup() must split a large folio mapped by PTEs before it
 * can collect a page of it (migrate_vma_split_folio(), 022a12deda53
 * "mm/migrate_device: handle partially mapped folios during collection");
 * when the split fails, because someone else holds a reference (a GUP, a
 * driver), the pages from there to the end of the range are not collected,
 * and the folio is left as it was: unlocked, with its references, still
 * mapped with its data.  Whether the folio is a device-private one a driver
 * moves back to RAM or a system THP it moves to the device.  Succeeds if,
 * with the test holding a reference on the folio, setup over two of its
 * pages gives two zero src entries and cpages 0, and the folio is still
 * large with the same refcount, mapcount and lock state, mapped at the
 * first address, and, the reference dropped, a CPU read there returns its
 * data.
 */
static void failed_split_leaves_the_large_folio_as_it_was(struct kunit *test)
{
	const struct split_param *p = test->param_value;
	unsigned long base, addr, src0 = ~0UL, src1 = ~0UL, cpages = ~0UL;
	struct zdt_page_state before, after;
	struct zdt_device *dev;
	struct zdt_migration m;
	struct page *head, *page;
	u8 buf[ZDT_DATA_LEN];

	if (!ZDT_HAS_COLLECT_SPLIT)
		zdt_skip(test, ZDT_NO_COLLECT_SPLIT);
	head = pte_mapped_large_folio(test, p->device, &dev, &base);
	page = head + ZDT_PMD_MIDDLE;
	addr = base + ZDT_PMD_MIDDLE * PAGE_SIZE;
	zdt_get_page(test, head);
	zdt_drain_lru();
	before = zdt_page_state(head);

	zdt_migration_init(test, &m, addr, 2, dev, p->device ?
			   MIGRATE_VMA_SELECT_DEVICE_PRIVATE : MIGRATE_VMA_SELECT_SYSTEM);
	zdt_migration_setup(&m);
	if (!m.ret) {
		src0 = m.args.src[0];
		src1 = m.args.src[1];
		cpages = m.args.cpages;
	}
	zdt_migration_finalize(&m);
	zdt_drain_lru();
	after = zdt_page_state(head);

	KUNIT_ASSERT_EQ(test, m.ret, 0);
	KUNIT_EXPECT_EQ_MSG(test, src0, 0, "src entry of a page whose folio could not be split");
	KUNIT_EXPECT_EQ_MSG(test, src1, 0, "src entry of the page after it");
	KUNIT_EXPECT_EQ(test, cpages, 0);
	KUNIT_EXPECT_EQ_MSG(test, folio_order(page_folio(head)), PMD_SHIFT - PAGE_SHIFT,
			    "the folio was split despite the reference");
	zdt_expect_page_state(test, after, before, "of the folio after a failed split");
	if (p->device)
		KUNIT_EXPECT_PTR_EQ_MSG(test, zdt_device_private_pte(addr, NULL), page,
					"the page no longer mapped as its device-private entry");
	else
		KUNIT_EXPECT_PTR_EQ_MSG(test, zdt_mapped_page(addr), page,
					"the page no longer mapped where it was");
	if (after.refcount != before.refcount || after.locked)
		return;	/* a CPU read could not move it, or would wait on it */

	zdt_put_page(test, head);
	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, dev, addr, buf), 0);
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, ZDT_PMD_MIDDLE));
}

/* Why migrate_vma_setup() cannot take a PMD-mapped system THP whole. */

struct busy_thp_param {
	const char *desc;
	bool pinned;		/* pinned for DMA, else locked by another */
};

static const struct busy_thp_param busy_thp_params[] = {
	{ "locked by another", false },
	{ "pinned for DMA", true },
};

KUNIT_ARRAY_PARAM_DESC(busy_thp, busy_thp_params, desc);

/* Whether @addr of the test's mm is mapped by a present huge PMD. */
static bool pmd_mapped_thp(unsigned long addr)
{
	bool huge = false;
	pmd_t *pmdp;

	mmap_read_lock(current->mm);
	pmdp = zdt_user_pmdp(addr);
	if (pmdp)
		huge = pmd_trans_huge(pmdp_get_lockless(pmdp));
	mmap_read_unlock(current->mm);
	return huge;
}

/*
 * A PMD-mapped system THP that migrate_vma_setup() with
 * MIGRATE_VMA_SELECT_COMPOUND cannot take is left alone, whole: when
 * another holds its lock, migrate_vma_collect_huge_pmd() does not wait
 * (folio_trylock()) and drops the reference it took; when it is pinned for
 * DMA, set_pmd_migration_entry() cannot mark it shared and puts the PMD back,
 * the entry it had filled is taken back (src, cpages) and the split it then
 * tries fails on the pin too.  No page of its range is offered to the
 * driver, and the process keeps reaching the THP it maps (a30b48bf1b24
 * "mm/migrate_device: implement THP migration of zone device pages";
 * 6c287605fd56 "mm: remember exclusively mapped anonymous pages with
 * PG_anon_exclusive").  Succeeds if setup over the THP's PMD-aligned range
 * gives no non-zero src entry and cpages 0, and afterwards the folio is
 * still of PMD order, mapped by the PMD, with the refcount, mapcount and
 * lock state it had, and (pinned) a CPU write in the middle of its range
 * lands in it, or (locked, once unlocked) a CPU read there returns its data.
 */
static void busy_pmd_thp_is_left_whole_and_uncollected(struct kunit *test)
{
	const struct busy_thp_param *p = test->param_value;
	unsigned long base, mid, i, *src, nonzero = 0, cpages = ~0UL;
	struct zdt_page_state before, after;
	struct page *head, *pinned = NULL;
	struct zdt_device *dev;
	struct zdt_migration m;
	u8 buf[ZDT_DATA_LEN];
	void *mid_data;
	long n;

	if (!ZDT_HAS_COLLECT_SPLIT)
		zdt_skip(test, ZDT_NO_COLLECT_SPLIT);
	if (!IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE))
		zdt_skip(test, ZDT_NO_THP);
	dev = zdt_device_create(test, MEMORY_DEVICE_PRIVATE, ZDT_DEVICE_PAGES);
	base = ALIGN(zdt_user_map(test, 2 * PMD_SIZE), PMD_SIZE);
	mid = base + ZDT_PMD_MIDDLE * PAGE_SIZE;
	zdt_fill(test, buf, sizeof(buf), 0);
	KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)base, buf, sizeof(buf)), 0);
	zdt_fill(test, buf, sizeof(buf), ZDT_PMD_MIDDLE);
	KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)mid, buf, sizeof(buf)), 0);
	head = zdt_mapped_page(base);
	KUNIT_ASSERT_NOT_NULL(test, head);
	if (folio_order(page_folio(head)) != PMD_SHIFT - PAGE_SHIFT || !pmd_mapped_thp(base))
		zdt_skip(test, "no PMD-mapped THP behind an aligned range: THP off or none free");
	mid_data = page_address(head + ZDT_PMD_MIDDLE);
	if (p->pinned) {
		n = pin_user_pages_unlocked(base, 1, &pinned, FOLL_WRITE);
		KUNIT_ASSERT_EQ(test, n, 1);
		zdt_hold(test, ZDT_HELD_PAGE, collect_unpin, pinned);
		KUNIT_ASSERT_PTR_EQ(test, pinned, head);
	} else {
		zdt_lock_page(test, head);
	}
	zdt_drain_lru();
	before = zdt_page_state(head);

	zdt_migration_init(test, &m, base, PTRS_PER_PMD, dev,
			   MIGRATE_VMA_SELECT_SYSTEM | ZDT_MIGRATE_VMA_SELECT_COMPOUND);
	zdt_migration_setup(&m);
	if (!m.ret) {
		src = m.args.src;
		for (i = 0; i < PTRS_PER_PMD; i++)
			nonzero += src[i] != 0;
		cpages = m.args.cpages;
	}
	zdt_migration_finalize(&m);
	zdt_drain_lru();
	after = zdt_page_state(head);

	KUNIT_ASSERT_EQ(test, m.ret, 0);
	KUNIT_EXPECT_EQ_MSG(test, nonzero, 0, "non-zero src entries of a THP that is %s",
			    p->desc);
	KUNIT_EXPECT_EQ_MSG(test, cpages, 0, "cpages over a THP that is %s", p->desc);
	KUNIT_EXPECT_EQ_MSG(test, folio_order(page_folio(head)), PMD_SHIFT - PAGE_SHIFT,
			    "the THP was split");
	KUNIT_EXPECT_TRUE_MSG(test, pmd_mapped_thp(base), "the THP is no longer PMD-mapped");
	zdt_expect_page_state(test, after, before, "of the THP after setup and finalize");
	if (after.refcount != before.refcount || after.locked != before.locked)
		return;	/* a CPU access could wait on it */

	if (p->pinned) {
		KUNIT_ASSERT_EQ(test, zdt_cpu_write(test, dev, mid, 1), 0);
		KUNIT_EXPECT_TRUE_MSG(test, zdt_has_data(test, mid_data, 1),
				      "a CPU write did not reach the pinned THP");
	} else {
		zdt_unlock_page(test, head);
		KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, dev, mid, buf), 0);
		KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, ZDT_PMD_MIDDLE));
		KUNIT_EXPECT_PTR_EQ(test, zdt_mapped_page(mid), head + ZDT_PMD_MIDDLE);
	}
}

/* Shared anonymous memory (shmem), never touched or written once. */

struct shared_param {
	const char *desc;
	bool written;		/* its first page written by the CPU, else untouched */
};

static const struct shared_param shared_params[] = {
	{ "untouched, no page table", false },
	{ "first page written", true },
};

KUNIT_ARRAY_PARAM_DESC(shared, shared_params, desc);

/*
 * migrate_vma_setup() offers empty entries only in anonymous memory, where
 * migrate_vma_pages() can put a new page: in a shared (shmem) mapping an
 * address with no page table is a zero src entry, not MIGRATE_PFN_MIGRATE
 * (migrate_vma_collect_hole(): "Only allow populating anonymous memory";
 * 8315ada7f095 "mm/migrate: allow migrate_vma() to alloc new page on empty
 * entry").  A shmem page the process maps once is collected: its page-cache
 * reference does not count as a pin (migrate_vma_check_page(): "For file
 * back page"); migrate_vma_pages() then refuses to move it to device-private
 * memory ("For now only support anonymous memory"), and it stays mapped with
 * its data.  Succeeds if, over two pages of a PMD-aligned MAP_SHARED |
 * MAP_ANONYMOUS range, untouched: both src entries are 0 and cpages 0;
 * first page written: the first src entry is its pfn with
 * MIGRATE_PFN_MIGRATE and MIGRATE_PFN_WRITE, the second 0, cpages 1, the
 * first loses MIGRATE_PFN_MIGRATE in migrate_vma_pages() given a device
 * page, and afterwards it is mapped there, unlocked, with the references it
 * had, and a CPU read returns its data.
 */
static void shared_memory_is_offered_only_as_its_pages(struct kunit *test)
{
	const struct shared_param *p = test->param_value;
	unsigned long map, base, src0 = ~0UL, src1 = ~0UL, cpages = ~0UL, moved = ~0UL, want0 = 0;
	struct zdt_page_state before = { }, after;
	struct page *page = NULL, *dpage = NULL;
	struct zdt_device *dev;
	struct zdt_migration m;
	u8 buf[ZDT_DATA_LEN];

	dev = zdt_device_create(test, MEMORY_DEVICE_PRIVATE, ZDT_DEVICE_PAGES);
	/* The test's mm: kunit_vm_mmap() attaches it. */
	zdt_user_map(test, PAGE_SIZE);
	map = zdt_mmap_pgoff(test, 2 * PMD_SIZE, PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_ANONYMOUS);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR_VALUE(map), "mmap(MAP_SHARED): %ld", (long)map);
	base = ALIGN(map, PMD_SIZE);
	if (p->written) {
		zdt_fill(test, buf, sizeof(buf), 0);
		KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)base, buf, sizeof(buf)), 0);
		page = zdt_mapped_page(base);
		KUNIT_ASSERT_NOT_NULL(test, page);
		KUNIT_ASSERT_NOT_NULL_MSG(test, folio_mapping(page_folio(page)),
					  "a shared anonymous page without a mapping: nothing to test");
		want0 = migrate_pfn(page_to_pfn(page)) | MIGRATE_PFN_MIGRATE | MIGRATE_PFN_WRITE;
		zdt_drain_lru();
		before = zdt_page_state(page);
	} else {
		KUNIT_ASSERT_NULL_MSG(test, zdt_mapped_page(base),
				      "the untouched range maps a page");
	}

	zdt_migration_init(test, &m, base, 2, dev, MIGRATE_VMA_SELECT_SYSTEM);
	zdt_migration_setup(&m);
	if (!m.ret) {
		src0 = m.args.src[0];
		src1 = m.args.src[1];
		cpages = m.args.cpages;
		if (p->written && src0 == want0) {
			dpage = zdt_device_alloc_page(dev, 0);
			if (dpage) {
				memcpy(zdt_page_data(dpage), page_address(page), PAGE_SIZE);
				m.args.dst[0] = migrate_pfn(page_to_pfn(dpage)) | MIGRATE_PFN_WRITE;
			}
		}
		zdt_migration_pages(&m);
		moved = m.args.src[0] & MIGRATE_PFN_MIGRATE;
	}
	zdt_migration_finalize(&m);

	KUNIT_ASSERT_EQ(test, m.ret, 0);
	KUNIT_EXPECT_EQ_MSG(test, src1, 0, "src entry of an untouched address of shared memory");
	if (!p->written) {
		KUNIT_EXPECT_EQ_MSG(test, src0, 0,
				    "src entry of an address of shared memory without a page table");
		KUNIT_EXPECT_EQ(test, cpages, 0);
		return;
	}
	KUNIT_EXPECT_EQ_MSG(test, src0, want0, "src entry of a shared page mapped once");
	KUNIT_EXPECT_EQ(test, cpages, 1);
	KUNIT_ASSERT_NOT_NULL_MSG(test, dpage, "the shared page not collected, or no device page");
	KUNIT_EXPECT_EQ_MSG(test, moved, 0, "a shared page moved to device-private memory");
	zdt_drain_lru();
	after = zdt_page_state(page);
	zdt_expect_page_state(test, after, before, "of the shared page after the migration");
	KUNIT_EXPECT_PTR_EQ_MSG(test, zdt_mapped_page(base), page,
				"the shared page is no longer mapped where it was");
	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, dev, base, buf), 0);
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, 0));
}

static struct kunit_case zone_device_migrate_collect_cases[] = {
	KUNIT_CASE_PARAM(eviction_leaves_a_page_another_holds_locked, evict_gen_params),
	KUNIT_CASE_PARAM(eviction_of_part_of_a_large_folio_takes_none_of_it,
			 evict_gen_params),
	KUNIT_CASE(pinned_anon_page_is_not_collected),
	KUNIT_CASE_PARAM(zero_page_is_an_empty_entry_to_system_migration, zero_gen_params),
	KUNIT_CASE(uncollected_entry_ignores_the_drivers_destination),
	KUNIT_CASE_PARAM(failed_split_leaves_the_large_folio_as_it_was, split_gen_params),
	KUNIT_CASE(none_pte_is_an_empty_entry_in_anonymous_memory),
	KUNIT_CASE_PARAM(busy_pmd_thp_is_left_whole_and_uncollected, busy_thp_gen_params),
	KUNIT_CASE_PARAM(shared_memory_is_offered_only_as_its_pages, shared_gen_params),
	{}
};

static struct kunit_suite zone_device_migrate_collect_suite = {
	.name = "zone_device_migrate_collect",
	.init = zdt_migrate_case_begin,
	.test_cases = zone_device_migrate_collect_cases,
};

kunit_test_suite(zone_device_migrate_collect_suite);

MODULE_DESCRIPTION("KUnit tests for what migrate_vma_setup() and eviction collect");
MODULE_LICENSE("GPL");
