// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for what madvise(2) does with device memory mapped in a
 * process: MADV_COLD, MADV_PAGEOUT and MADV_FREE skip every ZONE_DEVICE
 * folio (mm/madvise.c madvise_cold_or_pageout_pte_range() and
 * madvise_free_pte_range()).  Device memory is not on the LRU and not
 * reclaimed; the driver owns its pages.  A device-coherent page is mapped
 * present like system RAM, so a walk that forgot the test would age it,
 * clean it and mark it lazy-free.
 *
 * Each case moves one page of the test's mm to a device-coherent device
 * (which needs the reserved RAM, zone_device_fixture.coherent=), writes it
 * from the CPU, and calls madvise() from the test's thread (zdt_madvise():
 * do_madvise() is not exported, a module skips).
 */
#include <linux/mm.h>
#include <linux/mman.h>
#include <kunit/test.h>

#include "zone_device_compat.h"
#include "zone_device_fixture.h"

struct advice_param {
	const char *name;
	int advice;
};

static const struct advice_param advices[] = {
	{ "MADV_COLD", MADV_COLD },
	{ "MADV_PAGEOUT", MADV_PAGEOUT },
	{ "MADV_FREE", MADV_FREE },
};

static void advice_desc(const struct advice_param *p, char *desc)
{
	strscpy(desc, p->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(advices, advices, advice_desc);

/*
 * madvise() never deactivates, reclaims or marks lazy-free device memory:
 * MADV_COLD, MADV_PAGEOUT and MADV_FREE leave the PTE of a device-coherent
 * page as the CPU left it, young and dirty, and the page mapped with its
 * data (3218f8712d6b "mm: handling Non-LRU pages returned by
 * vm_normal_pages", which added the zone-device test to both PTE walks for
 * the device-coherent pages that vm_normal_folio() returns since).
 * Without the test MADV_COLD clears the young bit (the page looks idle)
 * and MADV_FREE clears the dirty bits: the written data would be
 * discardable.  Succeeds if madvise() returns 0, the PTE still maps the
 * coherent page, young and dirty, the folio's dirty flag is what it was,
 * the device freed nothing and a CPU read sees the data written.
 */
static void madvise_leaves_device_coherent_page_as_it_was(struct kunit *test)
{
	const struct advice_param *p = test->param_value;
	struct zdt_device *dev;
	struct page *cpage;
	u8 buf[ZDT_DATA_LEN];
	unsigned long addr;
	bool folio_dirty;
	pte_t pte;

	addr = zdt_page_on_device(test, MEMORY_DEVICE_COHERENT, &dev);
	cpage = zdt_device_page(dev, 0);
	KUNIT_ASSERT_PTR_EQ(test, zdt_mapped_page(addr), cpage);
	/* A CPU write through the present PTE: young and dirty. */
	KUNIT_ASSERT_EQ(test, zdt_cpu_write(test, dev, addr, 1), 0);
	KUNIT_ASSERT_TRUE(test, zdt_user_pte(addr, &pte));
	KUNIT_ASSERT_TRUE(test, pte_present(pte));
	KUNIT_ASSERT_EQ(test, pte_pfn(pte), page_to_pfn(cpage));
	KUNIT_ASSERT_TRUE_MSG(test, pte_young(pte) && pte_dirty(pte),
			      "the CPU write left the PTE%s%s",
			      pte_young(pte) ? "" : " old", pte_dirty(pte) ? "" : " clean");
	folio_dirty = folio_test_dirty(page_folio(cpage));

	KUNIT_ASSERT_EQ(test, zdt_madvise(test, addr, PAGE_SIZE, p->advice), 0);

	KUNIT_ASSERT_TRUE_MSG(test, zdt_user_pte(addr, &pte),
			      "%s left no PTE table", p->name);
	KUNIT_ASSERT_TRUE_MSG(test, pte_present(pte), "%s unmapped the page", p->name);
	KUNIT_EXPECT_EQ(test, pte_pfn(pte), page_to_pfn(cpage));
	KUNIT_EXPECT_TRUE_MSG(test, pte_young(pte), "%s aged the PTE", p->name);
	KUNIT_EXPECT_TRUE_MSG(test, pte_dirty(pte), "%s cleaned the PTE", p->name);
	KUNIT_EXPECT_EQ_MSG(test, folio_test_dirty(page_folio(cpage)), folio_dirty,
			    "%s changed the folio's dirty flag", p->name);
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_free), 0);
	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, dev, addr, buf), 0);
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, 1));
	KUNIT_EXPECT_PTR_EQ(test, zdt_mapped_page(addr), cpage);
}

static struct kunit_case zone_device_madvise_cases[] = {
	KUNIT_CASE_PARAM(madvise_leaves_device_coherent_page_as_it_was,
			 advices_gen_params),
	{}
};

static struct kunit_suite zone_device_madvise_suite = {
	.name = "zone_device_madvise",
	.init = zdt_migrate_case_begin,
	.test_cases = zone_device_madvise_cases,
};

kunit_test_suite(zone_device_madvise_suite);

MODULE_DESCRIPTION("KUnit tests for madvise() over device memory");
MODULE_LICENSE("GPL");
