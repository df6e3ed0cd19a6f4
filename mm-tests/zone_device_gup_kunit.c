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
 * the test's own mm (kunit_vm_mmap()) and runs under UML too (the large folio
 * case skips there: no THP).  The second part migrates that memory to a fake
 * device-coherent or device-private page first (zone_device_fixture) and
 * SKIPs without ZONE_DEVICE.
 */
#include <linux/completion.h>
#include <linux/highmem.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/sched/mm.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vmstat.h>
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
	ctx->addr = zdt_user_page(test, 0);
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
	unsigned long base, addr;
	struct folio *folio;
	struct page *page;
	int ref, pins;
	char byte = 0x3c;

	if (!IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE))
		kunit_skip(test, "needs CONFIG_TRANSPARENT_HUGEPAGE (not on UML)");
	base = kunit_vm_mmap(test, NULL, 0, 2 * PMD_SIZE, PROT_READ | PROT_WRITE,
			     MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR_VALUE(base), "kunit_vm_mmap: %ld",
			       (long)base);
	addr = ALIGN(base, PMD_SIZE);
	KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)addr, &byte, 1), 0);

	KUNIT_ASSERT_EQ(test, get_user_pages_unlocked(addr, 1, &page, FOLL_WRITE), 1);
	folio = page_folio(page);
	if (!folio_test_large(folio)) {
		put_page(page);
		kunit_skip(test, "no THP behind a PMD-aligned range: THP off or none free");
	}
	ref = folio_ref_count(folio) - 1;
	pins = atomic_read(&folio->_pincount);
	put_page(page);

	KUNIT_ASSERT_EQ(test, pin_user_pages_unlocked(addr, 1, &page, FOLL_WRITE), 1);
	KUNIT_ASSERT_PTR_EQ(test, page_folio(page), folio);
	KUNIT_EXPECT_EQ(test, atomic_read(&folio->_pincount), pins + 1);
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), ref + 1);
	KUNIT_EXPECT_TRUE(test, folio_maybe_dma_pinned(folio));
	unpin_user_page(page);
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
	long acquired = foll_pin_stat(NR_FOLL_PIN_ACQUIRED);
	long released = foll_pin_stat(NR_FOLL_PIN_RELEASED);
	struct page *page = grab(test, PIN);

	KUNIT_EXPECT_EQ(test, foll_pin_stat(NR_FOLL_PIN_ACQUIRED) - acquired, 1);
	KUNIT_EXPECT_EQ(test, foll_pin_stat(NR_FOLL_PIN_RELEASED) - released, 0);
	unpin_user_page(page);
	KUNIT_EXPECT_EQ(test, foll_pin_stat(NR_FOLL_PIN_ACQUIRED) - acquired, 1);
	KUNIT_EXPECT_EQ(test, foll_pin_stat(NR_FOLL_PIN_RELEASED) - released, 1);
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
	{ "pin_user_pages_fast", true, pin_fast },
};

KUNIT_ARRAY_PARAM_DESC(pin_variants, pin_variants, name);

static const struct gup_variant all_variants[] = {
	{ "pin_user_pages_unlocked", true, pin_slow },
	{ "pin_user_pages_fast", true, pin_fast },
	{ "get_user_pages_unlocked", false, get_slow },
	{ "get_user_pages_fast", false, get_fast },
	{ "pin_user_pages_unlocked(FOLL_LONGTERM)", true, pin_slow, FOLL_LONGTERM },
	{ "pin_user_pages_fast(FOLL_LONGTERM)", true, pin_fast, FOLL_LONGTERM },
};

KUNIT_ARRAY_PARAM_DESC(all_variants, all_variants, name);

static const struct gup_variant get_slow_variant = {
	"get_user_pages_unlocked", false, get_slow
};

static const struct gup_variant fast_only_variant = {
	"get_user_pages_fast_only", false, get_fast_only
};

static void gup_release(const struct gup_variant *v, struct page *page)
{
	if (v->pin)
		unpin_user_page(page);
	else
		put_page(page);
}

/* Bound on one GUP call finishing (it takes microseconds when it works). */
#define GUP_MS		2000

/*
 * GUP calls on device memory run in a thread of the test's mm, so that the
 * test can bound them: a call that loops (a fault that never moves the
 * device-private page, a FOLL_LONGTERM migration retried forever) is a FAIL,
 * not a hung kernel.  Not test-managed memory: a thread that never returns
 * keeps using it.
 */
struct gup_call {
	struct mm_struct *mm;
	const struct gup_variant *v;
	unsigned long addr;
	unsigned int flags;
	struct page *page;
	long ret;
	struct completion done;
};

static int gup_call_fn(void *data)
{
	struct gup_call *c = data;

	kthread_use_mm(c->mm);
	c->ret = c->v->gup(c->addr, c->flags, &c->page);
	kthread_unuse_mm(c->mm);
	complete(&c->done);
	return 0;
}

/*
 * @v on the page at @addr with @flags, bounded; what it returned, and the
 * page in *@page when that is 1.  A call still running after GUP_MS is
 * stopped by making @dev's migrate_to_ram() fail, and the case FAILs.
 */
static long gup_bounded(struct kunit *test, struct zdt_device *dev,
			const struct gup_variant *v, unsigned long addr,
			unsigned int flags, struct page **page)
{
	struct gup_call *c = kzalloc_obj(*c);
	struct task_struct *t;
	long ret;

	KUNIT_ASSERT_NOT_NULL(test, c);
	c->mm = current->mm;
	c->v = v;
	c->addr = addr;
	c->flags = flags | v->flags;
	init_completion(&c->done);
	mmget(c->mm);
	t = kthread_run(gup_call_fn, c, "zdt-gup");
	if (IS_ERR(t)) {
		mmput(c->mm);
		kfree(c);
		KUNIT_FAIL_AND_ABORT(test, "kthread_run: %pe", t);
	}
	if (!wait_for_completion_timeout(&c->done, msecs_to_jiffies(GUP_MS))) {
		WRITE_ONCE(dev->fault_ret, VM_FAULT_SIGBUS);
		if (!wait_for_completion_timeout(&c->done,
						 msecs_to_jiffies(GUP_MS)))
			KUNIT_FAIL_AND_ABORT(test,
					     "%s still running after %d ms: never returns (thread leaked)",
					     v->name, 2 * GUP_MS);
		if (c->ret > 0)
			gup_release(v, c->page);
		mmput(c->mm);
		kfree(c);
		KUNIT_FAIL_AND_ABORT(test,
				     "%s not done after %d ms: loops (%d migrate_to_ram calls); stopped with SIGBUS",
				     v->name, GUP_MS,
				     atomic_read(&dev->nr_migrate_to_ram));
	}
	ret = c->ret;
	*page = c->page;
	mmput(c->mm);
	kfree(c);
	return ret;
}

/* The page mapped at @addr now (faulted in if need be), no reference kept. */
static struct page *mapped_page(struct kunit *test, struct zdt_device *dev,
				unsigned long addr)
{
	struct page *page = NULL;

	KUNIT_ASSERT_EQ(test, gup_bounded(test, dev, &get_slow_variant, addr, 0,
					  &page), 1);
	put_page(page);
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
	s->dev = zdt_device_create(test, type, ZDT_DEVICE_PAGES);
	zdt_fill(test, s->pattern, sizeof(s->pattern), 0);
	s->addr = zdt_user_page(test, 0);
	KUNIT_ASSERT_EQ(test, zdt_migrate_to_device(s->dev, s->addr, 1), 1);
	s->dpage = zdt_device_page(s->dev, 0);
	KUNIT_ASSERT_EQ(test, page_ref_count(s->dpage), 1);
}

/*
 * Unmaps the user page of a case that leaves it on the device.  The test's mm
 * goes only when the test thread exits, which may be after the fixture's
 * teardown checked that every device page is free.
 */
static void dev_unmap_user_page(struct kunit *test, struct dev_setup *s)
{
	KUNIT_EXPECT_EQ(test, vm_munmap(s->addr, PAGE_SIZE), 0);
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
	gup_release(v, page);
	KUNIT_EXPECT_EQ(test, page_ref_count(s.dpage), before);
	KUNIT_EXPECT_FALSE(test, folio_maybe_dma_pinned(page_folio(s.dpage)));
	KUNIT_EXPECT_EQ(test, atomic_read(&s.dev->nr_free), 0);
	dev_unmap_user_page(test, &s);
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
	long acquired = foll_pin_stat(NR_FOLL_PIN_ACQUIRED);
	long released = foll_pin_stat(NR_FOLL_PIN_RELEASED);
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
	unpin_user_page(page);
	KUNIT_EXPECT_FALSE(test, folio_maybe_dma_pinned(page_folio(page)));
	KUNIT_EXPECT_EQ(test, foll_pin_stat(NR_FOLL_PIN_ACQUIRED) - acquired,
			foll_pin_stat(NR_FOLL_PIN_RELEASED) - released);
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
	long acquired = foll_pin_stat(NR_FOLL_PIN_ACQUIRED);
	long released = foll_pin_stat(NR_FOLL_PIN_RELEASED);
	struct dev_setup s;
	struct page *page = NULL;
	int before;
	long n;

	dev_setup(test, MEMORY_DEVICE_COHERENT, &s);
	get_page(s.dpage);
	before = page_ref_count(s.dpage);
	n = gup_bounded(test, s.dev, v, s.addr, FOLL_WRITE | FOLL_LONGTERM, &page);
	KUNIT_EXPECT_EQ(test, n, -EBUSY);
	if (n > 0)
		unpin_user_page(page);
	KUNIT_EXPECT_EQ(test, page_ref_count(s.dpage), before);
	KUNIT_EXPECT_FALSE(test, folio_maybe_dma_pinned(page_folio(s.dpage)));
	KUNIT_EXPECT_EQ(test, atomic_read(&s.dev->nr_free), 0);
	KUNIT_EXPECT_EQ(test, foll_pin_stat(NR_FOLL_PIN_ACQUIRED) - acquired,
			foll_pin_stat(NR_FOLL_PIN_RELEASED) - released);
	put_page(s.dpage);
	KUNIT_EXPECT_PTR_EQ(test, mapped_page(test, s.dev, s.addr), s.dpage);
	dev_unmap_user_page(test, &s);
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
	gup_release(v, page);
	KUNIT_EXPECT_EQ(test, atomic_read(&s.dev->nr_free), 1);
}

/*
 * FOLL_FAST_ONLY never falls back to the slow path, so it cannot fault:
 * on a device-private entry it returns no page and leaves the page on the
 * device (376a34efa4ee "mm/gup: refactor and de-duplicate gup_fast() code",
 * the "no fall back to regular GUP" of get_user_pages_fast_only()).
 * Succeeds if get_user_pages_fast_only() returns 0 without calling
 * migrate_to_ram() and the device page is still mapped.
 */
static void fast_only_leaves_device_private_page_alone(struct kunit *test)
{
	struct dev_setup s;
	struct page *page = NULL;
	long n;

	dev_setup(test, MEMORY_DEVICE_PRIVATE, &s);
	n = gup_bounded(test, s.dev, &fast_only_variant, s.addr, FOLL_WRITE,
			&page);
	KUNIT_EXPECT_EQ(test, n, 0);
	if (n > 0)
		put_page(page);
	KUNIT_EXPECT_EQ(test, atomic_read(&s.dev->nr_migrate_to_ram), 0);
	KUNIT_EXPECT_EQ(test, page_ref_count(s.dpage), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&s.dev->nr_free), 0);
	dev_unmap_user_page(test, &s);
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
