// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for GUP pins as the device-coherent FOLL_LONGTERM path uses
 * them.  migrate_longterm_unpinnable_folios() (mm/gup.c) cannot migrate a
 * pinned folio, so it turns the pin into a plain reference (folio_get(), then
 * gup_put_folio(FOLL_PIN)) before migrate_device_coherent_folio().  That only
 * works if pins are accounted exactly as documented in
 * Documentation/core-api/pin_user_pages.rst.
 *
 * This first part needs no ZONE_DEVICE: it pins ordinary anonymous memory of
 * the test's own mm (kunit_vm_mmap()) and runs under UML too.
 */
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/uaccess.h>
#include <kunit/test.h>

#include "zone_device_compat.h"
#include "zone_device_fixture.h"

struct gup_ctx {
	unsigned long addr;		/* one anonymous page, faulted in */
};

static int gup_init(struct kunit *test)
{
	struct gup_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	char byte = 0x5a;

	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->addr = zdt_user_page(test, &byte, sizeof(byte));
	test->priv = ctx;
	return 0;
}

enum grab_kind { GET, PIN };

/* The page behind ctx->addr, with a reference (GET) or a pin (PIN). */
static struct page *grab(struct kunit *test, enum grab_kind kind)
{
	struct gup_ctx *ctx = test->priv;
	struct page *page = NULL;
	long n;

	if (kind == PIN)
		n = pin_user_pages_unlocked(ctx->addr, 1, &page, FOLL_WRITE);
	else
		n = get_user_pages_unlocked(ctx->addr, 1, &page, FOLL_WRITE);
	KUNIT_ASSERT_EQ(test, n, 1);
	return page;
}

/* The refcount of the page behind ctx->addr, without keeping a reference. */
static int refcount_now(struct kunit *test)
{
	struct page *page = grab(test, GET);
	int ref = page_ref_count(page) - 1;

	put_page(page);
	return ref;
}

/*
 * A pin on a small folio adds GUP_PIN_COUNTING_BIAS to its refcount and the
 * unpin takes exactly that off again (fc1d8e7cca2d "mm/gup: introduce
 * pin_user_pages*() and FOLL_PIN", pin_user_pages.rst).  Succeeds if so.
 */
static void pin_adds_bias_to_small_folio_refcount(struct kunit *test)
{
	int before = refcount_now(test);
	struct page *page = grab(test, PIN);

	KUNIT_EXPECT_EQ(test, page_ref_count(page), before + GUP_PIN_COUNTING_BIAS);
	unpin_user_page(page);
	KUNIT_EXPECT_EQ(test, refcount_now(test), before);
}

/*
 * folio_maybe_dma_pinned() is true while a pin is held and false after the
 * unpin (pin_user_pages.rst, "folio_maybe_dma_pinned()").  Succeeds if so.
 */
static void pinned_folio_is_maybe_dma_pinned(struct kunit *test)
{
	struct page *page = grab(test, PIN);

	KUNIT_EXPECT_TRUE(test, folio_maybe_dma_pinned(page_folio(page)));
	unpin_user_page(page);
	page = grab(test, GET);
	KUNIT_EXPECT_FALSE(test, folio_maybe_dma_pinned(page_folio(page)));
	put_page(page);
}

/*
 * FOLL_GET takes one plain reference and is not a pin: distinct from
 * FOLL_PIN (pin_user_pages.rst, "FOLL_PIN and FOLL_GET").  Succeeds if the
 * refcount moves by one and the folio does not look pinned.
 */
static void get_adds_one_reference_and_no_pin(struct kunit *test)
{
	int before = refcount_now(test);
	struct page *page = grab(test, GET);

	KUNIT_EXPECT_EQ(test, page_ref_count(page), before + 1);
	KUNIT_EXPECT_FALSE(test, folio_maybe_dma_pinned(page_folio(page)));
	put_page(page);
}

/*
 * The conversion migrate_longterm_unpinnable_folios() applies to a
 * device-coherent folio before migrating it: folio_get() then dropping the
 * pin leaves exactly one extra plain reference and no pin (mm/gup.c, "convert
 * the pin on the source folio to a normal reference").  Succeeds if so.
 */
static void pin_converted_to_reference_leaves_one_reference(struct kunit *test)
{
	int before = refcount_now(test);
	struct page *page = grab(test, PIN);
	struct folio *folio = page_folio(page);

	folio_get(folio);
	unpin_user_page(page);
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), before + 1);
	KUNIT_EXPECT_FALSE(test, folio_maybe_dma_pinned(folio));
	folio_put(folio);
	KUNIT_EXPECT_EQ(test, refcount_now(test), before);
}

static struct kunit_case zone_device_gup_cases[] = {
	KUNIT_CASE(pin_adds_bias_to_small_folio_refcount),
	KUNIT_CASE(pinned_folio_is_maybe_dma_pinned),
	KUNIT_CASE(get_adds_one_reference_and_no_pin),
	KUNIT_CASE(pin_converted_to_reference_leaves_one_reference),
	{}
};

static struct kunit_suite zone_device_gup_suite = {
	.name = "zone_device_gup",
	.init = gup_init,
	.test_cases = zone_device_gup_cases,
};

kunit_test_suite(zone_device_gup_suite);

MODULE_DESCRIPTION("KUnit tests for GUP pins and the FOLL_LONGTERM pin-to-reference conversion");
MODULE_LICENSE("GPL");
