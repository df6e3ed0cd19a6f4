// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for GUP pins as the device-coherent FOLL_LONGTERM path uses
 * them, and for what GUP does with device memory.
 *
 * migrate_longterm_unpinnable_folios() (mm/gup.c) cannot migrate a pinned
 * folio, so it turns the pin into a plain reference (folio_get(), then
 * gup_put_folio(FOLL_PIN)) before migrate_device_coherent_folio().  That only
 * works if pins are accounted exactly as documented in
 * Documentation/core-api/pin_user_pages.rst.
 *
 * The first part needs no ZONE_DEVICE: it pins ordinary anonymous memory of
 * the test's own mm (zdt_user_pages()) and runs under UML too (the large folio
 * case skips there: no THP).  The second part, the kernel's own conversion
 * included, migrates that memory to a fake device-coherent or device-private
 * page first (zone_device_fixture) and SKIPs without ZONE_DEVICE.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vmstat.h>
#include <kunit/resource.h>
#include <kunit/test.h>

#include "zone_device_compat.h"
#include "zone_device_fixture.h"

struct gup_ctx {
	unsigned long addr;		/* one anonymous page, faulted in */
};

static int gup_init(struct kunit *test)
{
	struct gup_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);

	zdt_case_begin(test);
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->addr = zdt_user_pages(test, 1);
	test->priv = ctx;
	return 0;
}

KUNIT_DEFINE_ACTION_WRAPPER(gup_unpin, unpin_user_page, struct page *);
KUNIT_DEFINE_ACTION_WRAPPER(gup_put, put_page, struct page *);

enum grab_kind { GET, PIN };

/*
 * The page at @addr with a reference (GET) or a pin (PIN), held for the case
 * (zdt_hold()) until ungrab().
 */
static struct page *grab_at(struct kunit *test, unsigned long addr,
			    enum grab_kind kind)
{
	struct page *page = NULL;
	long n;

	if (kind == PIN)
		n = pin_user_pages_unlocked(addr, 1, &page, FOLL_WRITE);
	else
		n = get_user_pages_unlocked(addr, 1, &page, FOLL_WRITE);
	KUNIT_ASSERT_EQ(test, n, 1);
	zdt_hold(test, ZDT_HELD_PAGE, kind == PIN ? gup_unpin : gup_put, page);
	return page;
}

/* The page behind ctx->addr, as grab_at(). */
static struct page *grab(struct kunit *test, enum grab_kind kind)
{
	struct gup_ctx *ctx = test->priv;

	return grab_at(test, ctx->addr, kind);
}

/* Drops what grab() took. */
static void ungrab(struct kunit *test, enum grab_kind kind, struct page *page)
{
	zdt_release(test, kind == PIN ? gup_unpin : gup_put, page);
}

/* The refcount of the page behind ctx->addr, without keeping a reference. */
static int refcount_now(struct kunit *test)
{
	struct page *page = grab(test, GET);
	int ref = page_ref_count(page) - 1;

	ungrab(test, GET, page);
	return ref;
}

/*
 * A pin on a small folio adds GUP_PIN_COUNTING_BIAS to its refcount and the
 * unpin takes exactly that off again (fc1d8e7cca2d "mm/gup: introduce
 * pin_user_pages*() and FOLL_PIN", pin_user_pages.rst).  Succeeds if so,
 * each count read with the per-CPU LRU batches emptied: the GUP's
 * folio_mark_accessed() may queue the folio for activation, and the batch
 * holds a reference of its own until it drains.
 */
static void pin_adds_bias_to_small_folio_refcount(struct kunit *test)
{
	struct page *page;
	int before;

	if (!ZDT_CAN_DRAIN_LRU)
		zdt_skip(test, ZDT_NO_DRAIN_LRU);
	zdt_drain_lru();
	before = refcount_now(test);
	page = grab(test, PIN);
	zdt_drain_lru();
	KUNIT_EXPECT_EQ(test, page_ref_count(page), before + GUP_PIN_COUNTING_BIAS);
	ungrab(test, PIN, page);
	zdt_drain_lru();
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
	ungrab(test, PIN, page);
	page = grab(test, GET);
	KUNIT_EXPECT_FALSE(test, folio_maybe_dma_pinned(page_folio(page)));
	ungrab(test, GET, page);
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
	ungrab(test, GET, page);
}

/* What the CPUs have counted in @item of @pgdat and not folded in yet. */
static long node_stat_pending(struct pglist_data *pgdat,
			      enum node_stat_item item)
{
	long sum = 0;
#ifdef CONFIG_SMP
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu_ptr(pgdat->per_cpu_nodestats,
				   cpu)->vm_node_stat_diff[item];
#endif
	return sum;
}

/*
 * NR_FOLL_PIN_ACQUIRED or _RELEASED summed over the nodes, pending CPU
 * deltas included, so that a single pin shows.  Read until two reads agree:
 * vmstat_update() folding a CPU's delta in between could make one read miss
 * it.
 */
static long foll_pin_stat(enum node_stat_item item)
{
	long sum = 0, last = LONG_MIN;
	int nid, tries;

	for (tries = 0; tries < 10; tries++) {
		sum = 0;
		for_each_online_node(nid)
			sum += atomic_long_read(&NODE_DATA(nid)->vm_stat[item]) +
			       node_stat_pending(NODE_DATA(nid), item);
		if (sum == last)
			break;
		last = sum;
	}
	return sum;
}

/* The FOLL_PIN counters at one moment (foll_pin_stat()). */
struct pin_counts {
	long acquired;
	long released;
};

static struct pin_counts pin_counts_now(void)
{
	return (struct pin_counts) {
		.acquired = foll_pin_stat(NR_FOLL_PIN_ACQUIRED),
		.released = foll_pin_stat(NR_FOLL_PIN_RELEASED),
	};
}

/* Expects @acquired pins and @released unpins counted since @then. */
static void expect_pin_counts(struct kunit *test, struct pin_counts then,
			      long acquired, long released)
{
	struct pin_counts now = pin_counts_now();

	KUNIT_EXPECT_EQ_MSG(test, now.acquired - then.acquired, acquired,
			    "nr_foll_pin_acquired since");
	KUNIT_EXPECT_EQ_MSG(test, now.released - then.released, released,
			    "nr_foll_pin_released since");
}

/* Expects as many unpins as pins counted since @then. */
static void expect_pins_balanced(struct kunit *test, struct pin_counts then)
{
	struct pin_counts now = pin_counts_now();

	KUNIT_EXPECT_EQ_MSG(test, now.acquired - then.acquired,
			    now.released - then.released,
			    "pins counted since, not all of them unpinned");
}

/*
 * A pin on a large folio adds one to its refcount and one to its exact
 * pincount, not GUP_PIN_COUNTING_BIAS (47e29d32afba "mm/gup:
 * page->hpage_pinned_refcount: exact pin counts for huge pages").  The folio
 * is the THP the first write to a PMD-aligned anonymous range gets.
 * Succeeds if the pin moves the refcount and the pincount by one each and the
 * unpin takes both back.
 */
static void pin_on_large_folio_counts_in_pincount(struct kunit *test)
{
	unsigned long addr;
	struct folio *folio;
	struct page *page;
	int ref, pins;
	char byte = 0x3c;

	if (!IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE))
		zdt_skip(test, ZDT_NO_THP);
	addr = ALIGN(zdt_user_map(test, 2 * PMD_SIZE), PMD_SIZE);
	KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)addr, &byte, 1), 0);

	page = grab_at(test, addr, GET);
	folio = page_folio(page);
	if (!folio_test_large(folio))
		zdt_skip(test, "no THP behind a PMD-aligned range: THP off or none free");
	ref = folio_ref_count(folio) - 1;
	pins = atomic_read(&folio->_pincount);
	ungrab(test, GET, page);

	page = grab_at(test, addr, PIN);
	KUNIT_ASSERT_PTR_EQ(test, page_folio(page), folio);
	KUNIT_EXPECT_EQ(test, atomic_read(&folio->_pincount), pins + 1);
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), ref + 1);
	KUNIT_EXPECT_TRUE(test, folio_maybe_dma_pinned(folio));
	ungrab(test, PIN, page);
	/* Still mapped at addr: the folio stays. */
	KUNIT_EXPECT_EQ(test, atomic_read(&folio->_pincount), pins);
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), ref);
}

/*
 * Each pin counts in nr_foll_pin_acquired and each unpin in
 * nr_foll_pin_released, so the two are equal when nothing is pinned
 * (1970dc6f5226 "mm/gup: /proc/vmstat: pin_user_pages (FOLL_PIN)
 * reporting").  Succeeds if a pin moves the first by one and its unpin the
 * second by one.
 */
static void pin_and_unpin_move_foll_pin_counters_together(struct kunit *test)
{
	struct pin_counts then = pin_counts_now();
	struct page *page = grab(test, PIN);

	expect_pin_counts(test, then, 1, 0);
	ungrab(test, PIN, page);
	expect_pin_counts(test, then, 1, 1);
}

/*
 * ZONE_DEVICE part: GUP on memory migrated to a fake device page.
 *
 * The GUP entry points a driver uses, as a table: the slow and the fast
 * variants answer differently where the fast walk cannot take the page
 * (FOLL_LONGTERM on a device-coherent page, a device-private entry) and
 * falls back, or, FOLL_FAST_ONLY, does not.
 */
struct gup_variant {
	const char *name;
	bool pin;		/* FOLL_PIN: released with unpin_user_page() */
	long (*gup)(unsigned long addr, unsigned int flags, struct page **page);
	unsigned int flags;	/* added to what the case asks for */
	bool fast;		/* a GUP-fast entry point: needs HAVE_GUP_FAST */
};

static long pin_slow(unsigned long addr, unsigned int flags, struct page **page)
{
	return pin_user_pages_unlocked(addr, 1, page, flags);
}

static long pin_fast(unsigned long addr, unsigned int flags, struct page **page)
{
	return pin_user_pages_fast(addr, 1, flags, page);
}

static long get_slow(unsigned long addr, unsigned int flags, struct page **page)
{
	return get_user_pages_unlocked(addr, 1, page, flags);
}

static long get_fast(unsigned long addr, unsigned int flags, struct page **page)
{
	return get_user_pages_fast(addr, 1, flags, page);
}

static long get_fast_only(unsigned long addr, unsigned int flags,
			  struct page **page)
{
	return get_user_pages_fast_only(addr, 1, flags, page);
}

static const struct gup_variant pin_variants[] = {
	{ "pin_user_pages_unlocked", true, pin_slow },
	{ "pin_user_pages_fast", true, pin_fast, .fast = true },
};

KUNIT_ARRAY_PARAM_DESC(pin_variants, pin_variants, name);

static const struct gup_variant all_variants[] = {
	{ "pin_user_pages_unlocked", true, pin_slow },
	{ "pin_user_pages_fast", true, pin_fast, .fast = true },
	{ "get_user_pages_unlocked", false, get_slow },
	{ "get_user_pages_fast", false, get_fast, .fast = true },
	{ "pin_user_pages_unlocked(FOLL_LONGTERM)", true, pin_slow, FOLL_LONGTERM },
	{ "pin_user_pages_fast(FOLL_LONGTERM)", true, pin_fast, FOLL_LONGTERM, .fast = true },
};

KUNIT_ARRAY_PARAM_DESC(all_variants, all_variants, name);

static const struct gup_variant get_slow_variant = {
	"get_user_pages_unlocked", false, get_slow
};

/*
 * .fast: without GUP-fast it finds no page whatever the entry (gup_fast()
 * returns 0, mm/gup.c), so its case could not fail there and skips.
 */
static const struct gup_variant fast_only_variant = {
	"get_user_pages_fast_only", false, get_fast_only, .fast = true
};

/* What releases what @v took. */
static kunit_action_t *gup_releaser(const struct gup_variant *v)
{
	return v->pin ? gup_unpin : gup_put;
}

/* Releases what @v took on @page now. */
static void gup_release(struct kunit *test, const struct gup_variant *v,
			struct page *page)
{
	zdt_release(test, gup_releaser(v), page);
}

/*
 * GUP calls on device memory run in a thread of the test's mm, so that the
 * test can bound them: a call that loops (a fault that never moves the
 * device-private page, a FOLL_LONGTERM migration retried forever) is a FAIL,
 * not a hung kernel.  What the call took is the case's (zdt_hold()), even if
 * the case has ended by the time it returns.
 */
static void gup_call_fn(struct zdt_thread *t)
{
	const struct gup_variant *v = t->arg;

	t->ret = v->gup(t->addr, t->flags, &t->page);
	if (t->ret > 0)
		zdt_hold(t->test, ZDT_HELD_PAGE, gup_releaser(v), t->page);
}

/*
 * @v on the page at @addr with @flags, bounded (zdt_thread_finish() with
 * @dev); what it returned, and the page in *@page when that is 1, held until
 * gup_release() or the end of the case.
 */
static long gup_bounded(struct kunit *test, struct zdt_device *dev,
			const struct gup_variant *v, unsigned long addr,
			unsigned int flags, struct page **page)
{
	struct zdt_thread *t;

	/* Without GUP-fast these are the slow path: the slow variant's case. */
	if (v->fast && !IS_ENABLED(CONFIG_HAVE_GUP_FAST))
		zdt_skip(test, ZDT_NO_GUP_FAST);
	t = zdt_thread_create(test, v->name, gup_call_fn);
	t->arg = v;
	t->addr = addr;
	t->flags = flags | v->flags;
	zdt_thread_start(t);
	zdt_thread_finish(test, t, dev, "after it started");
	*page = t->page;
	return t->ret;
}

/* The page mapped at @addr now (faulted in if need be), no reference kept. */
static struct page *mapped_page(struct kunit *test, struct zdt_device *dev,
				unsigned long addr)
{
	struct page *page = NULL;

	KUNIT_ASSERT_EQ(test, gup_bounded(test, dev, &get_slow_variant, addr, 0,
					  &page), 1);
	gup_release(test, &get_slow_variant, page);
	return page;
}

/* What a ZONE_DEVICE case works on: one user page, moved to a device page. */
struct dev_setup {
	struct zdt_device *dev;
	unsigned long addr;
	struct page *dpage;
	u8 pattern[ZDT_DATA_LEN];	/* what the page holds (zdt_fill()) */
};

static void dev_setup(struct kunit *test, enum memory_type type,
		      struct dev_setup *s)
{
	zdt_fill(test, s->pattern, sizeof(s->pattern), 0);
	s->addr = zdt_page_on_device(test, type, &s->dev);
	s->dpage = zdt_device_page(s->dev, 0);
}

static void expect_data(struct kunit *test, struct page *page, const u8 *want,
			size_t len)
{
	u8 *p = kmap_local_page(page);

	KUNIT_EXPECT_MEMEQ(test, p, want, len);
	kunmap_local(p);
}

/*
 * Without FOLL_LONGTERM a device-coherent page is an ordinary present page to
 * GUP: it is pinned where it is, device memory and all, and the unpin gives
 * it back unchanged (Documentation/mm/hmm.rst: only FOLL_LONGTERM migrates
 * it, b05a79d4377f "mm/gup: migrate device coherent pages when pinning
 * instead of failing").  Succeeds if the call returns the coherent page with
 * one pin's bias added and the unpin takes it off again.
 */
static void pin_keeps_coherent_page_in_place(struct kunit *test)
{
	const struct gup_variant *v = test->param_value;
	struct dev_setup s;
	struct page *page = NULL;
	int before;

	dev_setup(test, MEMORY_DEVICE_COHERENT, &s);
	before = page_ref_count(s.dpage);
	KUNIT_ASSERT_EQ(test, gup_bounded(test, s.dev, v, s.addr, FOLL_WRITE,
					  &page), 1);
	KUNIT_EXPECT_PTR_EQ(test, page, s.dpage);
	KUNIT_EXPECT_EQ(test, page_ref_count(s.dpage),
			before + GUP_PIN_COUNTING_BIAS);
	KUNIT_EXPECT_TRUE(test, folio_maybe_dma_pinned(page_folio(s.dpage)));
	gup_release(test, v, page);
	KUNIT_EXPECT_EQ(test, page_ref_count(s.dpage), before);
	KUNIT_EXPECT_FALSE(test, folio_maybe_dma_pinned(page_folio(s.dpage)));
	KUNIT_EXPECT_EQ(test, atomic_read(&s.dev->nr_free), 0);
}

/*
 * A long-term pin must not hold device-coherent memory (the device has to be
 * able to evict it): FOLL_LONGTERM converts the pin to a reference, migrates
 * the page to system RAM with migrate_device_coherent_folio() and pins the
 * copy (migrate_longterm_unpinnable_folios(), b05a79d4377f "mm/gup: migrate
 * device coherent pages when pinning instead of failing").  Succeeds if the
 * call returns a system page holding exactly one pin, with the data, mapped
 * at the address; the coherent page is freed once, at refcount 0; and after
 * the unpin the FOLL_PIN counters balance.
 */
static void longterm_pin_migrates_coherent_page_to_ram(struct kunit *test)
{
	const struct gup_variant *v = test->param_value;
	struct pin_counts then = pin_counts_now();
	struct dev_setup s;
	struct page *page = NULL;
	long n;

	dev_setup(test, MEMORY_DEVICE_COHERENT, &s);
	n = gup_bounded(test, s.dev, v, s.addr, FOLL_WRITE | FOLL_LONGTERM, &page);
	KUNIT_ASSERT_EQ_MSG(test, n, 1, "FOLL_LONGTERM on a coherent page");
	KUNIT_EXPECT_FALSE(test, is_zone_device_page(page));
	KUNIT_EXPECT_PTR_EQ(test, mapped_page(test, s.dev, s.addr), page);
	expect_data(test, page, s.pattern, sizeof(s.pattern));
	KUNIT_EXPECT_EQ(test, atomic_read(&s.dev->nr_free), 1);
	KUNIT_EXPECT_EQ(test, s.dev->free_refcount, 0);
	KUNIT_EXPECT_EQ(test, page_ref_count(s.dpage), 0);

	/* One pin: after one unpin the page no longer looks pinned. */
	KUNIT_EXPECT_TRUE(test, folio_maybe_dma_pinned(page_folio(page)));
	gup_release(test, v, page);
	KUNIT_EXPECT_FALSE(test, folio_maybe_dma_pinned(page_folio(page)));
	expect_pins_balanced(test, then);
}

/*
 * When the coherent page cannot be migrated (the test holds a reference of
 * its own), FOLL_LONGTERM fails with -EBUSY and leaves nothing behind: the
 * converted reference is dropped again ("dropped on failure", the comment of
 * migrate_device_coherent_folio()) and no pin stays (b05a79d4377f "mm/gup:
 * migrate device coherent pages when pinning instead of failing").  Succeeds
 * if the call returns -EBUSY and the page keeps its refcount, no pin, its
 * mapping and the device.
 */
static void longterm_pin_of_held_coherent_page_fails_busy(struct kunit *test)
{
	const struct gup_variant *v = test->param_value;
	struct pin_counts then = pin_counts_now();
	struct dev_setup s;
	struct page *page = NULL;
	int before;
	long n;

	dev_setup(test, MEMORY_DEVICE_COHERENT, &s);
	zdt_get_page(test, s.dpage);
	before = page_ref_count(s.dpage);
	n = gup_bounded(test, s.dev, v, s.addr, FOLL_WRITE | FOLL_LONGTERM, &page);
	/* At once: what the call took and the test's reference are KUnit's. */
	KUNIT_ASSERT_EQ_MSG(test, n, -EBUSY, "FOLL_LONGTERM on a coherent page someone holds");
	KUNIT_EXPECT_EQ(test, page_ref_count(s.dpage), before);
	KUNIT_EXPECT_FALSE(test, folio_maybe_dma_pinned(page_folio(s.dpage)));
	KUNIT_EXPECT_EQ(test, atomic_read(&s.dev->nr_free), 0);
	expect_pins_balanced(test, then);
	zdt_put_page(test, s.dpage);
	KUNIT_EXPECT_PTR_EQ(test, mapped_page(test, s.dev, s.addr), s.dpage);
}

/* Faults a FOLL_LONGTERM pin of a present page takes: none, one spare. */
#define CONVERT_MAX_FAULTS	1

/*
 * The conversion migrate_longterm_unpinnable_folios() applies to a
 * device-coherent folio before it migrates it: folio_get(), then
 * gup_put_folio(FOLL_PIN) (mm/gup.c, "convert the pin on the source folio
 * to a normal reference", b05a79d4377f "mm/gup: migrate device coherent
 * pages when pinning instead of failing") leaves exactly one plain
 * reference more than before the pin, and no pin.  The kernel's own: the
 * case holds the folio locked, so a FOLL_LONGTERM pin stops right after the
 * conversion, in migrate_device_coherent_folio()'s folio_lock(), and the
 * case reads the folio there.  Succeeds if, with the pinning thread seen
 * waiting on the lock, the refcount is one above what it was and the folio
 * does not look pinned, and after the unlock the pin ends on a system page.
 */
static void pin_converted_to_reference_leaves_one_reference(struct kunit *test)
{
	struct dev_setup s;
	struct zdt_blocked b;
	struct zdt_thread *t;
	int before, converted;
	bool pinned, waiting;

	dev_setup(test, MEMORY_DEVICE_COHERENT, &s);
	before = page_ref_count(s.dpage);
	zdt_lock_page(test, s.dpage);
	t = zdt_thread_create(test, "pin_user_pages_unlocked(FOLL_LONGTERM)",
			      gup_call_fn);
	t->arg = &pin_variants[0];
	t->addr = s.addr;
	t->flags = FOLL_WRITE | FOLL_LONGTERM;
	zdt_thread_start(t);
	b = zdt_thread_watch(t, 0, CONVERT_MAX_FAULTS);
	converted = page_ref_count(s.dpage);
	pinned = folio_maybe_dma_pinned(page_folio(s.dpage));
	waiting = zdt_thread_waiting(t);
	zdt_unlock_page(test, s.dpage);
	zdt_thread_finish(test, t, s.dev, "after the unlock");
	kunit_info(test, "refcount %d before the pin, %d converted, pinning thread %s",
		   before, converted, b.done ? "done" : waiting ? "waiting" : "not waiting");

	KUNIT_ASSERT_TRUE_MSG(test, waiting,
			      "the FOLL_LONGTERM pin did not wait for the coherent folio's lock (%s): it never reached migrate_device_coherent_folio()",
			      b.done ? "it finished" : "not asleep");
	KUNIT_EXPECT_EQ_MSG(test, converted, before + 1,
			    "refcount with the pin converted (a pin adds %d)",
			    GUP_PIN_COUNTING_BIAS);
	KUNIT_EXPECT_FALSE_MSG(test, pinned, "the folio still looks pinned after the conversion");
	KUNIT_ASSERT_EQ(test, t->ret, 1);
	KUNIT_EXPECT_FALSE(test, is_zone_device_page(t->page));
}

/*
 * GUP never hands out a device-private page: the entry is not present, so
 * GUP faults it and the pgmap's migrate_to_ram() brings the data back to a
 * system page, which GUP returns (5042db43cc26 "mm/ZONE_DEVICE: new type of
 * ZONE_DEVICE for unaddressable memory"; Documentation/mm/hmm.rst: device
 * memory "can never be pinned ... through GUP"), long-term pins included.
 * Succeeds if the call returns a system page with the data after exactly one
 * migrate_to_ram() that moved the page, and the device page is freed.
 */
static void gup_faults_device_private_page_back_to_ram(struct kunit *test)
{
	const struct gup_variant *v = test->param_value;
	struct dev_setup s;
	struct page *page = NULL;

	dev_setup(test, MEMORY_DEVICE_PRIVATE, &s);
	KUNIT_ASSERT_EQ(test, gup_bounded(test, s.dev, v, s.addr, FOLL_WRITE,
					  &page), 1);
	KUNIT_EXPECT_FALSE(test, is_zone_device_page(page));
	KUNIT_EXPECT_EQ(test, atomic_read(&s.dev->nr_migrate_to_ram), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&s.dev->nr_migrated_to_ram), 1);
	if (!is_zone_device_page(page))
		expect_data(test, page, s.pattern, sizeof(s.pattern));
	gup_release(test, v, page);
	KUNIT_EXPECT_EQ(test, atomic_read(&s.dev->nr_free), 1);
}

/*
 * FOLL_FAST_ONLY never falls back to the slow path, so it cannot fault:
 * on a device-private entry it returns no page and leaves the page on the
 * device (376a34efa4ee "mm/gup: refactor and de-duplicate gup_fast() code",
 * the "no fall back to regular GUP" of get_user_pages_fast_only()).
 * Succeeds if get_user_pages_fast_only() returns 0 without calling
 * migrate_to_ram() and the device page is still mapped.  Skips without
 * GUP-fast (ZDT_NO_GUP_FAST), where it returns 0 for any page.
 */
static void fast_only_leaves_device_private_page_alone(struct kunit *test)
{
	struct dev_setup s;
	struct page *page = NULL;
	long n;

	if (!IS_ENABLED(CONFIG_HAVE_GUP_FAST))
		zdt_skip(test, ZDT_NO_GUP_FAST);
	dev_setup(test, MEMORY_DEVICE_PRIVATE, &s);
	n = gup_bounded(test, s.dev, &fast_only_variant, s.addr, FOLL_WRITE,
			&page);
	KUNIT_EXPECT_EQ(test, n, 0);
	if (n > 0)
		gup_release(test, &fast_only_variant, page);
	KUNIT_EXPECT_EQ(test, atomic_read(&s.dev->nr_migrate_to_ram), 0);
	KUNIT_EXPECT_EQ(test, page_ref_count(s.dpage), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&s.dev->nr_free), 0);
}

static struct kunit_case zone_device_gup_cases[] = {
	KUNIT_CASE(pin_adds_bias_to_small_folio_refcount),
	KUNIT_CASE(pinned_folio_is_maybe_dma_pinned),
	KUNIT_CASE(get_adds_one_reference_and_no_pin),
	KUNIT_CASE(pin_converted_to_reference_leaves_one_reference),
	KUNIT_CASE(pin_on_large_folio_counts_in_pincount),
	KUNIT_CASE(pin_and_unpin_move_foll_pin_counters_together),
	KUNIT_CASE_PARAM(pin_keeps_coherent_page_in_place,
			 pin_variants_gen_params),
	KUNIT_CASE_PARAM(longterm_pin_migrates_coherent_page_to_ram,
			 pin_variants_gen_params),
	KUNIT_CASE_PARAM(longterm_pin_of_held_coherent_page_fails_busy,
			 pin_variants_gen_params),
	KUNIT_CASE_PARAM(gup_faults_device_private_page_back_to_ram,
			 all_variants_gen_params),
	KUNIT_CASE(fast_only_leaves_device_private_page_alone),
	{}
};

static struct kunit_suite zone_device_gup_suite = {
	.name = "zone_device_gup",
	.init = gup_init,
	.test_cases = zone_device_gup_cases,
};

kunit_test_suite(zone_device_gup_suite);

MODULE_DESCRIPTION("KUnit tests for GUP pins, FOLL_LONGTERM on device-coherent pages and GUP on device-private pages");
MODULE_LICENSE("GPL");
