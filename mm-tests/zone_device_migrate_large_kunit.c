// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for large device-private folios in migrate_vma_*() and
 * migrate_device_*() (mm/migrate_device.c, f26b0654d006 "mm/migrate_device:
 * implement THP migration of zone device pages", 6.19): a PMD-sized range
 * moves as one folio, a range covering part of one splits it, setup selects
 * a PMD by flags and owner as it does a page, and eviction moves a large
 * folio whole.  Each case starts from a PMD-order device folio mapped by one
 * PMD-level device-private entry (zdt_pmd_on_device(), or
 * zdt_migrate_pmd_to_device() on a device of its own); on kernels without
 * large device folios the cases skip and say so.
 */
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/string.h>
#include <kunit/test.h>

#include "zone_device_compat.h"
#include "zone_device_fixture.h"

/*
 * A PMD-sized range moves as one large device-private folio and back
 * (f26b0654d006 "mm/migrate_device: implement THP migration of zone device
 * pages", 6.19): with MIGRATE_VMA_SELECT_COMPOUND setup collects the PMD
 * entry as one MIGRATE_PFN_COMPOUND src entry (the rest zero), and a
 * compound destination is mapped by one PMD.  Succeeds if the large device
 * folio comes back as one large system folio with its data, no CPU fault
 * needed, and the device folio is freed once.
 */
static void pmd_range_moves_as_one_large_folio_and_back(struct kunit *test)
{
	unsigned int order = PMD_SHIFT - PAGE_SHIFT;
	unsigned long nr = 1UL << order, base, i, src0, src_pages, cpages;
	unsigned long others = 0;
	struct zdt_device *dev;
	struct folio *rfolio = NULL;
	struct page *dpage, *now;
	struct zdt_migration m;
	u8 buf[ZDT_DATA_LEN];

	dpage = zdt_pmd_on_device(test, &dev, &base);
	zdt_put_data(test, zdt_page_data(dpage + ZDT_PMD_MIDDLE), ZDT_PMD_MIDDLE);

	zdt_migration_init(test, &m, base, nr, dev,
			   MIGRATE_VMA_SELECT_DEVICE_PRIVATE | ZDT_MIGRATE_VMA_SELECT_COMPOUND);
	zdt_migration_setup(&m);
	src0 = m.args.src[0];
	cpages = m.args.cpages;
	for (i = 1; i < nr && !m.ret; i++)
		others |= m.args.src[i];
	if (!m.ret && (src0 & MIGRATE_PFN_MIGRATE) && (src0 & ZDT_MIGRATE_PFN_COMPOUND))
		m.args.dst[0] = zdt_migration_ram_copy(&m, dpage, order);
	if (m.args.dst[0]) {
		rfolio = page_folio(migrate_pfn_to_page(m.args.dst[0]));
		zdt_migration_pages(&m);
	}
	src_pages = m.args.src[0];
	zdt_migration_finalize(&m);

	KUNIT_ASSERT_EQ(test, m.ret, 0);
	KUNIT_EXPECT_EQ_MSG(test, src0, migrate_pfn(page_to_pfn(dpage)) |
			    MIGRATE_PFN_MIGRATE | MIGRATE_PFN_WRITE |
			    ZDT_MIGRATE_PFN_COMPOUND,
			    "the PMD entry was not collected as one compound entry");
	KUNIT_EXPECT_EQ(test, cpages, 1);
	KUNIT_EXPECT_EQ_MSG(test, others, 0, "src entries after the compound one");
	if (!rfolio && (src0 & ZDT_MIGRATE_PFN_COMPOUND))
		zdt_skip(test, "no free order-%u system folio", order);
	KUNIT_ASSERT_NOT_NULL(test, rfolio);
	KUNIT_EXPECT_TRUE_MSG(test, src_pages & MIGRATE_PFN_MIGRATE,
			      "migrate_vma_pages() did not move the large folio");
	now = zdt_mapped_page(base + ZDT_PMD_MIDDLE * PAGE_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, now);
	KUNIT_EXPECT_PTR_EQ_MSG(test, page_folio(now), rfolio,
				"the range does not map the new large folio");
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_free), 1);
	KUNIT_EXPECT_EQ(test, folio_ref_count(page_folio(dpage)), 0);
	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, dev, base + ZDT_PMD_MIDDLE * PAGE_SIZE, buf), 0);
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, ZDT_PMD_MIDDLE));
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_migrate_to_ram), 0);
}

/*
 * A range that covers only part of a PMD-mapped large device-private folio
 * splits it (migrate_vma_collect_huge_pmd(): a range not PMD-aligned falls
 * back to split_folio(), f26b0654d006 "mm/migrate_device: implement THP
 * migration of zone device pages"): setup collects just the pages in the
 * range, as order-0 entries, and the rest of the folio stays on the device
 * as small device-private pages, each with its data.  Succeeds if one page
 * of the folio moves alone and its neighbour, still on the device, faults
 * back by itself with its own data.
 */
static void partial_range_splits_the_large_folio(struct kunit *test)
{
	unsigned long base, addr, src0 = 0, src_pages = 0, cpages = 0;
	struct page *dpage, *spage, *next, *now;
	struct zdt_device *dev;
	struct zdt_migration m;
	u8 buf[ZDT_DATA_LEN];

	dpage = zdt_pmd_on_device(test, &dev, &base);
	spage = dpage + ZDT_PMD_MIDDLE;
	next = spage + 1;
	zdt_put_data(test, zdt_page_data(spage), ZDT_PMD_MIDDLE);
	zdt_put_data(test, zdt_page_data(next), ZDT_PMD_MIDDLE + 1);

	addr = base + ZDT_PMD_MIDDLE * PAGE_SIZE;
	zdt_migration_init(test, &m, addr, 1, dev,
			   MIGRATE_VMA_SELECT_DEVICE_PRIVATE | ZDT_MIGRATE_VMA_SELECT_COMPOUND);
	zdt_migration_setup(&m);
	if (!m.ret) {
		src0 = m.args.src[0];
		cpages = m.args.cpages;
		if (src0 & MIGRATE_PFN_MIGRATE)
			m.args.dst[0] = zdt_migration_ram_copy(&m, migrate_pfn_to_page(src0), 0);
		zdt_migration_pages(&m);
		src_pages = m.args.src[0];
	}
	zdt_migration_finalize(&m);

	KUNIT_ASSERT_EQ(test, m.ret, 0);
	KUNIT_EXPECT_EQ_MSG(test, src0, migrate_pfn(page_to_pfn(spage)) |
			    MIGRATE_PFN_MIGRATE | MIGRATE_PFN_WRITE,
			    "the page was not collected alone, as an order-0 entry");
	KUNIT_EXPECT_EQ(test, cpages, 1);
	KUNIT_EXPECT_EQ(test, folio_order(page_folio(spage)), 0);
	KUNIT_EXPECT_EQ(test, folio_order(page_folio(next)), 0);
	KUNIT_EXPECT_TRUE_MSG(test, src_pages & MIGRATE_PFN_MIGRATE,
			      "migrate_vma_pages() did not move the page");
	now = zdt_mapped_page(addr);
	KUNIT_EXPECT_NOT_NULL(test, now);
	if (now)
		KUNIT_EXPECT_FALSE(test, is_zone_device_page(now));
	KUNIT_EXPECT_NULL_MSG(test, zdt_mapped_page(addr + PAGE_SIZE),
			      "the neighbour left the device too");
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&dev->nr_free), 1,
			    "only the moved page is freed");

	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, dev, addr, buf), 0);
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, ZDT_PMD_MIDDLE));
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_migrate_to_ram), 0);
	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, dev, addr + PAGE_SIZE, buf), 0);
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, ZDT_PMD_MIDDLE + 1));
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_migrate_to_ram), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_free), 2);
}

/* Somebody else's pgmap owner: a device that is not ours. */
static int other_owner;

/* Which PMD-mapped folio setup selects, by args->flags and args->pgmap_owner. */

struct pmd_select_param {
	const char *desc;
	unsigned long flags;		/* args->flags, with SELECT_COMPOUND */
	bool our_owner;			/* args->pgmap_owner is the device's */
	bool selected;			/* what setup must do with it */
};

static const struct pmd_select_param pmd_select_params[] = {
	{ "SELECT_DEVICE_PRIVATE, its owner",
	  MIGRATE_VMA_SELECT_DEVICE_PRIVATE, true, true },
	{ "SELECT_DEVICE_PRIVATE, other owner",
	  MIGRATE_VMA_SELECT_DEVICE_PRIVATE, false, false },
	{ "SELECT_SYSTEM, its owner",
	  MIGRATE_VMA_SELECT_SYSTEM, true, false },
	{ "SELECT_SYSTEM|SELECT_DEVICE_COHERENT, its owner",
	  MIGRATE_VMA_SELECT_SYSTEM | MIGRATE_VMA_SELECT_DEVICE_COHERENT,
	  true, false },
};

KUNIT_ARRAY_PARAM_DESC(pmd_select, pmd_select_params, desc);

/*
 * migrate_vma_setup() selects a PMD-mapped device-private folio as it does a
 * small page: only with MIGRATE_VMA_SELECT_DEVICE_PRIVATE and the owner of
 * its pgmap (migrate_vma_collect_huge_pmd(), f26b0654d006
 * "mm/migrate_device: implement THP migration of zone device pages";
 * Documentation/mm/hmm.rst, "Migration to and from device memory", step 2).
 * Selected, with MIGRATE_VMA_SELECT_COMPOUND over the PMD range, it is one
 * src entry, its head pfn with MIGRATE_PFN_MIGRATE, MIGRATE_PFN_WRITE and
 * MIGRATE_PFN_COMPOUND, counted once in cpages, locked and unmapped; not
 * selected, no src entry has MIGRATE_PFN_MIGRATE and the folio is left
 * alone.  Succeeds if so for each selection, and finalize with no
 * destination puts the folio back as it was.
 */
static void setup_selects_a_device_pmd_by_flags_and_owner(struct kunit *test)
{
	const struct pmd_select_param *p = test->param_value;
	struct zdt_page_state before, setup, after;
	unsigned long base, i, src0 = 0, cpages = 0, others = 0;
	struct zdt_device *dev;
	struct zdt_migration m;
	struct page *dpage;

	dpage = zdt_pmd_on_device(test, &dev, &base);
	before = zdt_page_state(dpage);
	zdt_migration_init(test, &m, base, PTRS_PER_PMD,
			   p->our_owner ? (void *)dev : &other_owner,
			   p->flags | ZDT_MIGRATE_VMA_SELECT_COMPOUND);
	zdt_migration_setup(&m);
	if (!m.ret) {
		src0 = m.args.src[0];
		cpages = m.args.cpages;
		for (i = 1; i < PTRS_PER_PMD; i++)
			others |= m.args.src[i];
	}
	setup = zdt_page_state(dpage);
	zdt_migration_finalize(&m);
	after = zdt_page_state(dpage);

	KUNIT_ASSERT_EQ(test, m.ret, 0);
	if (p->selected) {
		KUNIT_EXPECT_EQ_MSG(test, src0, migrate_pfn(page_to_pfn(dpage)) |
				    MIGRATE_PFN_MIGRATE | MIGRATE_PFN_WRITE |
				    ZDT_MIGRATE_PFN_COMPOUND,
				    "src entry of the selected PMD");
		KUNIT_EXPECT_EQ(test, cpages, 1);
		KUNIT_EXPECT_EQ_MSG(test, others, 0, "src entries after the compound one");
		KUNIT_EXPECT_TRUE_MSG(test, setup.locked, "selected folio not locked by setup");
		KUNIT_EXPECT_EQ_MSG(test, setup.mapcount, 0, "selected folio still mapped");
	} else {
		KUNIT_EXPECT_FALSE_MSG(test, (src0 | others) & MIGRATE_PFN_MIGRATE,
				       "a src entry of an unselected PMD is to migrate (src[0] %#lx)",
				       src0);
		KUNIT_EXPECT_EQ(test, cpages, 0);
		zdt_expect_page_state(test, setup, before, "of an unselected folio after setup");
	}
	zdt_expect_page_state(test, after, before, "after finalize");
	KUNIT_EXPECT_EQ(test, folio_order(page_folio(dpage)), PMD_SHIFT - PAGE_SHIFT);
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_free), 0);
}

/* Eviction of a large folio and small pages, by pfn range or pfn list. */

#define MIXED_SMALL		4	/* small pages after the large folio */
#define MIXED_RANGE		(PTRS_PER_PMD + 8)	/* pfns evicted: 4 free */

struct mixed_evict_param {
	const char *desc;
	bool by_list;			/* migrate_device_pfns(), else _range() */
};

static const struct mixed_evict_param mixed_evict_params[] = {
	{ "migrate_device_range", false },
	{ "migrate_device_pfns", true },
};

KUNIT_ARRAY_PARAM_DESC(mixed_evict, mixed_evict_params, desc);

/*
 * A system copy of the device page(s) of eviction entry @src: a locked
 * folio of their order, or NULL if none could be allocated.
 */
static struct folio *mixed_evict_copy(unsigned long src)
{
	struct page *spage = migrate_pfn_to_page(src);
	unsigned int order = (src & ZDT_MIGRATE_PFN_COMPOUND) ?
			     folio_order(page_folio(spage)) : 0;
	struct folio *folio = folio_alloc(GFP_HIGHUSER_MOVABLE | __GFP_NOWARN,
					   order);
	unsigned long i;

	if (!folio)
		return NULL;
	folio_lock(folio);
	for (i = 0; i < folio_nr_pages(folio); i++)
		memcpy(page_address(folio_page(folio, i)), zdt_page_data(spage + i),
		       PAGE_SIZE);
	return folio;
}

/*
 * Eviction moves a large device-private folio back to system RAM whole,
 * with the small pages around it: migrate_device_range() and
 * migrate_device_pfns() collect a large folio as one MIGRATE_PFN_COMPOUND
 * entry at its head pfn, its tail entries zero, and migrate_device_pages()
 * moves it to a large system folio the driver gives as a compound
 * destination (f26b0654d006 "mm/migrate_device: implement THP migration of
 * zone device pages", 6.19; lib/test_hmm.c dmirror_device_evict_chunk()).
 * Succeeds if, over a pfn range holding a PMD-mapped large folio, then small
 * pages, then free ones, every used page is collected and migrated, each
 * virtual address then maps the system page its device page was copied to,
 * with its data, in order, no CPU fault needed, and the device folio and
 * pages are freed.
 */
static void eviction_moves_a_large_folio_and_small_pages_to_ram(struct kunit *test)
{
	const struct mixed_evict_param *p = test->param_value;
	unsigned int order = PMD_SHIFT - PAGE_SHIFT;
	unsigned long base, saddr, i, *src, *dst, collected = 0, migrated = 0;
	unsigned long tails = 0, bad = 0, bad_i = 0;
	struct folio **rfolios;
	struct zdt_device *dev;
	struct page *dpage;
	bool no_folio = false;
	u8 buf[ZDT_DATA_LEN];
	int ret;

	if (!ZDT_HAS_LARGE_DEVICE_FOLIOS)
		zdt_skip(test, ZDT_NO_LARGE_DEVICE_FOLIOS);
	if (p->by_list && !ZDT_HAS_MIGRATE_DEVICE_PFNS)
		zdt_skip(test, ZDT_NO_MIGRATE_DEVICE_PFNS);
	dev = zdt_device_create(test, MEMORY_DEVICE_PRIVATE, 2 * PTRS_PER_PMD);
	if (!thp_migration_supported())
		zdt_skip(test, ZDT_NO_PMD_MIGRATION);
	/* Device pages 0 .. PTRS_PER_PMD - 1: the large folio, PMD-mapped. */
	base = ALIGN(zdt_user_map(test, 2 * PMD_SIZE), PMD_SIZE);
	dpage = zdt_migrate_pmd_to_device(dev, base);
	KUNIT_ASSERT_EQ(test, page_to_pfn(dpage), dev->pfn_first);
	/* Then MIXED_SMALL small pages, then free ones. */
	saddr = zdt_user_pages(test, MIXED_SMALL);
	KUNIT_ASSERT_EQ(test, zdt_migrate_to_device(dev, saddr, MIXED_SMALL), MIXED_SMALL);
	for (i = 0; i < PTRS_PER_PMD + MIXED_SMALL; i++) {
		KUNIT_ASSERT_TRUE(test, i < PTRS_PER_PMD ||
				  page_ref_count(zdt_device_page(dev, i)) == 1);
		/* Device page i holds the data of tag i. */
		zdt_put_data(test, zdt_page_data(zdt_device_page(dev, i)), i);
	}
	src = kunit_kcalloc(test, MIXED_RANGE, sizeof(*src), GFP_KERNEL);
	dst = kunit_kcalloc(test, MIXED_RANGE, sizeof(*dst), GFP_KERNEL);
	rfolios = kunit_kcalloc(test, MIXED_RANGE, sizeof(*rfolios), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, src);
	KUNIT_ASSERT_NOT_NULL(test, dst);
	KUNIT_ASSERT_NOT_NULL(test, rfolios);

	ret = zdt_evict_collect(src, dev->pfn_first, MIXED_RANGE, p->by_list);
	KUNIT_ASSERT_EQ(test, ret, 0);
	for (i = 1; i < PTRS_PER_PMD; i++)
		tails |= src[i];
	for (i = 0; i < MIXED_RANGE; i++) {
		if (!migrate_pfn_to_page(src[i]) || !(src[i] & MIGRATE_PFN_MIGRATE))
			continue;
		collected++;
		rfolios[i] = mixed_evict_copy(src[i]);
		if (!rfolios[i]) {
			no_folio = true;
			continue;
		}
		dst[i] = migrate_pfn(folio_pfn(rfolios[i])) |
			 (folio_test_large(rfolios[i]) ? ZDT_MIGRATE_PFN_COMPOUND : 0);
	}
	zdt_evict_pages(src, dst, MIXED_RANGE);
	for (i = 0; i < MIXED_RANGE; i++)
		if (src[i] & MIGRATE_PFN_MIGRATE)
			migrated++;
	zdt_evict_finalize(src, dst, MIXED_RANGE);

	KUNIT_EXPECT_EQ_MSG(test, collected, 1 + MIXED_SMALL,
			    "entries collected of 1 large folio and %d small pages",
			    MIXED_SMALL);
	KUNIT_EXPECT_TRUE_MSG(test, src[0] & ZDT_MIGRATE_PFN_COMPOUND,
			      "the large folio not collected as one compound entry (src %#lx)",
			      src[0]);
	KUNIT_EXPECT_EQ_MSG(test, tails, 0, "src entries of the large folio's tail pages");
	if (no_folio)
		zdt_skip(test, "no free system folio for the copy");
	KUNIT_EXPECT_EQ(test, migrated, 1 + MIXED_SMALL);
	KUNIT_ASSERT_NOT_NULL_MSG(test, rfolios[0], "the large folio not collected");
	KUNIT_EXPECT_EQ(test, folio_order(rfolios[0]), order);
	for (i = 0; i < PTRS_PER_PMD + MIXED_SMALL; i++) {
		bool large = i < PTRS_PER_PMD;
		unsigned long addr = large ? base + i * PAGE_SIZE :
					     saddr + (i - PTRS_PER_PMD) * PAGE_SIZE;
		struct page *want = large ? folio_page(rfolios[0], i) :
				    rfolios[i] ? folio_page(rfolios[i], 0) : NULL;
		struct page *now = zdt_mapped_page(addr);

		if (!want || now != want || !zdt_has_data(test, page_address(now), i)) {
			if (!bad++)
				bad_i = i;
		}
	}
	KUNIT_EXPECT_EQ_MSG(test, bad, 0,
			    "pages not mapped to their system copy with their data, the first device page %lu",
			    bad_i);
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_free), 1 + MIXED_SMALL);
	KUNIT_EXPECT_EQ(test, folio_ref_count(page_folio(dpage)), 0);
	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, dev, base + ZDT_PMD_MIDDLE * PAGE_SIZE, buf), 0);
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, ZDT_PMD_MIDDLE));
	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, dev, saddr, buf), 0);
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, PTRS_PER_PMD));
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&dev->nr_migrate_to_ram), 0,
			    "a CPU access still found a device-private page");
}

static struct kunit_case zone_device_migrate_large_cases[] = {
	KUNIT_CASE(pmd_range_moves_as_one_large_folio_and_back),
	KUNIT_CASE(partial_range_splits_the_large_folio),
	KUNIT_CASE_PARAM(setup_selects_a_device_pmd_by_flags_and_owner,
			 pmd_select_gen_params),
	KUNIT_CASE_PARAM(eviction_moves_a_large_folio_and_small_pages_to_ram,
			 mixed_evict_gen_params),
	{}
};

static struct kunit_suite zone_device_migrate_large_suite = {
	.name = "zone_device_migrate_large",
	.init = zdt_migrate_case_begin,
	.test_cases = zone_device_migrate_large_cases,
};

kunit_test_suite(zone_device_migrate_large_suite);

MODULE_DESCRIPTION("KUnit tests for large device-private folios in migrate_vma");
MODULE_LICENSE("GPL");
