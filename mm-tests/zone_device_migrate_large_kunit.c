// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for large device-private folios in migrate_vma_*()
 * (mm/migrate_device.c, f26b0654d006 "mm/migrate_device: implement THP
 * migration of zone device pages", 6.19): a PMD-sized range moves as one
 * folio, and a range covering part of one splits it.  Each case starts from
 * a PMD-order device folio mapped by one PMD-level device-private entry
 * (zdt_pmd_on_device()); on kernels without large device folios the cases
 * skip and say so.
 */
#include <linux/migrate.h>
#include <linux/mm.h>
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
		kunit_skip(test, "no free order-%u system folio", order);
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

static struct kunit_case zone_device_migrate_large_cases[] = {
	KUNIT_CASE(pmd_range_moves_as_one_large_folio_and_back),
	KUNIT_CASE(partial_range_splits_the_large_folio),
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
