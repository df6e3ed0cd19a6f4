// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for migrate_device_coherent_folio() (mm/migrate_device.c):
 * GUP FOLL_LONGTERM moves a device-coherent folio to system RAM before
 * pinning it (mm/gup.c).  The caller passes one reference of its own, which
 * the call consumes.  The function is mm-internal: the cases need the
 * suites built in, and skip otherwise.
 */
#include <linux/mm.h>
#include <kunit/test.h>

#include "zone_device_fixture.h"

static int coherent_folio_case_begin(struct kunit *test)
{
	zdt_migrate_case_begin(test);
	if (!ZDT_CAN_MIGRATE_COHERENT_FOLIO)
		zdt_skip(test, ZDT_NO_COHERENT_FOLIO_MIGRATION);
	return 0;
}

/*
 * migrate_device_coherent_folio() (241f68859656 "mm/migrate_device.c:
 * refactor migrate_vma and migrate_deivce_coherent_page()"), on a mapped
 * device-coherent folio and the caller's reference: returns 0, the address
 * now maps a system page with the same data, and the coherent page is freed
 * (the caller's reference went with it).  Succeeds if so.
 */
static void coherent_folio_migrates_with_its_data(struct kunit *test)
{
	struct zdt_device *dev;
	unsigned long addr;
	struct page *cpage, *now;
	u8 buf[ZDT_DATA_LEN];
	int ret;

	addr = zdt_page_on_device(test, MEMORY_DEVICE_COHERENT, &dev);
	cpage = zdt_device_page(dev, 0);

	folio_get(page_folio(cpage));	/* the caller's, as in mm/gup.c */
	ret = zdt_migrate_coherent_folio(page_folio(cpage));
	now = zdt_mapped_page(addr);

	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_ASSERT_NOT_NULL_MSG(test, now, "nothing mapped at %lx after the migration",
				  addr);
	KUNIT_EXPECT_PTR_NE_MSG(test, now, cpage, "still maps the coherent page");
	KUNIT_EXPECT_FALSE(test, is_zone_device_page(now));
	KUNIT_EXPECT_TRUE_MSG(test, zdt_has_data(test, page_address(now), 0),
			      "the new page does not hold the data");
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_free), 1);
	KUNIT_EXPECT_EQ(test, page_ref_count(cpage), 0);
	KUNIT_EXPECT_FALSE(test, PageLocked(cpage));
	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, dev, addr, buf), 0);
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, 0));
}

/*
 * With a reference somebody else holds, migrate_device_coherent_folio()
 * fails with -EBUSY and leaves the folio as it found it: mapped at the same
 * address, unlocked, and with the refcount it had before the caller took its
 * reference, which the call drops on failure as documented above the
 * function (241f68859656).  A failure path that returns with the folio
 * still locked makes every later lock of it hang.  Succeeds if so.
 */
static void coherent_folio_with_extra_reference_is_left_as_it_was(struct kunit *test)
{
	struct zdt_device *dev;
	unsigned long addr;
	struct zdt_page_state before, after;
	struct page *cpage;
	struct folio *folio;
	int ret;

	addr = zdt_page_on_device(test, MEMORY_DEVICE_COHERENT, &dev);
	cpage = zdt_device_page(dev, 0);
	folio = page_folio(cpage);

	zdt_get_page(test, cpage);	/* somebody else's */
	before = zdt_page_state(cpage);
	folio_get(folio);		/* the caller's, consumed by the call */
	ret = zdt_migrate_coherent_folio(folio);
	after = zdt_page_state(cpage);
	if (after.locked)
		folio_unlock(folio);

	KUNIT_EXPECT_EQ(test, ret, -EBUSY);
	zdt_expect_page_state(test, after, before, "after the failed migration");
	KUNIT_EXPECT_PTR_EQ_MSG(test, zdt_mapped_page(addr), cpage,
				"the coherent page is no longer mapped");
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_free), 0);
	zdt_put_page(test, cpage);
}

static struct kunit_case zone_device_coherent_folio_cases[] = {
	KUNIT_CASE(coherent_folio_migrates_with_its_data),
	KUNIT_CASE(coherent_folio_with_extra_reference_is_left_as_it_was),
	{}
};

static struct kunit_suite zone_device_coherent_folio_suite = {
	.name = "zone_device_coherent_folio",
	.init = coherent_folio_case_begin,
	.test_cases = zone_device_coherent_folio_cases,
};

kunit_test_suite(zone_device_coherent_folio_suite);

MODULE_DESCRIPTION("KUnit tests for migrate_device_coherent_folio()");
MODULE_LICENSE("GPL");
