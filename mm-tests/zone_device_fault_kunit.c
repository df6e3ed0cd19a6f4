// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the CPU fault on a device-private page: do_swap_page()
 * finds a device-private entry and calls the pgmap's migrate_to_ram(), which
 * must bring the data back to system RAM (mm/memory.c).
 *
 * Each case starts from one page of the test's mm moved to a fake
 * device-private page (zdt_page_on_device()) and reads it from the CPU in a
 * bounded thread of the fixture's (zdt_cpu_read(), zdt_reader_create()),
 * which faults.  The fixture's migrate_to_ram records what it saw while it
 * ran.
 */
#include <linux/delay.h>
#include <linux/ktime.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/string.h>
#include <kunit/test.h>

#include "zone_device_compat.h"
#include "zone_device_fixture.h"

struct fault_ctx {
	struct zdt_device *dev;
	unsigned long addr;		/* the page, now device-private */
	struct page *dpage;		/* the device page behind it */
	u8 pattern[ZDT_DATA_LEN];	/* what the page holds (zdt_fill()) */
	ktime_t start;			/* when .init began */
};

static int fault_init(struct kunit *test)
{
	struct fault_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);

	zdt_case_begin(test);
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->start = ktime_get();
	test->priv = ctx;
	zdt_fill(test, ctx->pattern, sizeof(ctx->pattern), 0);
	ctx->addr = zdt_page_on_device(test, MEMORY_DEVICE_PRIVATE, &ctx->dev);
	ctx->dpage = zdt_device_page(ctx->dev, 0);
	return 0;
}

/*
 * How long the contended case watches the faulting thread at least while
 * the test holds the folio lock, and how many faults it may take: the first,
 * which finds the folio locked and sleeps, and one spare.  A spinning kernel
 * takes thousands.
 */
#define CONTENDED_WINDOW_MS	300
#define CONTENDED_MAX_FAULTS	2

/* Reads the page from the CPU, bounded; 0 or the bytes copy_from_user() left. */
static unsigned long cpu_read(struct kunit *test, u8 *buf)
{
	struct fault_ctx *ctx = test->priv;

	return zdt_cpu_read(test, ctx->dev, ctx->addr, buf);
}

/*
 * A CPU access to a device-private page calls the pgmap's migrate_to_ram()
 * exactly once (do_swap_page(), 5042db43cc26 "mm/ZONE_DEVICE: new type of
 * ZONE_DEVICE for unaddressable memory").  Succeeds if the callback ran once
 * and moved the page.
 */
static void cpu_access_calls_migrate_to_ram_once(struct kunit *test)
{
	struct fault_ctx *ctx = test->priv;
	u8 buf[ZDT_DATA_LEN];

	KUNIT_ASSERT_EQ(test, cpu_read(test, buf), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->dev->nr_migrate_to_ram), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->dev->nr_migrated_to_ram), 1);
}

/*
 * The data comes back intact: the access sees what was written before the
 * page moved to the device (Documentation/mm/hmm.rst, "Migration to and
 * from device memory").  Succeeds if the bytes match.
 */
static void cpu_access_sees_the_data_written_before(struct kunit *test)
{
	struct fault_ctx *ctx = test->priv;
	u8 buf[ZDT_DATA_LEN];

	KUNIT_ASSERT_EQ(test, cpu_read(test, buf), 0);
	KUNIT_EXPECT_MEMEQ(test, buf, ctx->pattern, sizeof(buf));
}

/*
 * 7.x: do_swap_page() trylocks the device folio and holds the lock across
 * migrate_to_ram() (1afaeb8293c9 "mm/migrate: Trylock device page in
 * do_swap_page").  6.12 predates it and calls migrate_to_ram() unlocked.
 * Succeeds if the callback saw the lock state of this kernel.
 */
static void migrate_to_ram_runs_with_the_folio_locked(struct kunit *test)
{
	struct fault_ctx *ctx = test->priv;
	u8 buf[ZDT_DATA_LEN];

	kunit_info(test, "rule: %s", ZDT_FAULT_LOCK_RULE);
	KUNIT_ASSERT_EQ(test, cpu_read(test, buf), 0);
	KUNIT_EXPECT_EQ_MSG(test, ctx->dev->fault_locked, ZDT_FAULT_LOCKS_DEVICE_FOLIO,
			    "%s", ZDT_FAULT_LOCK_RULE);
}

/*
 * The fault holds its own reference on the device page while
 * migrate_to_ram() runs (16ce101db85d "mm/memory.c: fix race when faulting a
 * device private page"): the mapping's and the fault's, 2.  Succeeds if so.
 */
static void fault_holds_a_reference_during_migrate_to_ram(struct kunit *test)
{
	struct fault_ctx *ctx = test->priv;
	u8 buf[ZDT_DATA_LEN];

	KUNIT_ASSERT_EQ(test, cpu_read(test, buf), 0);
	KUNIT_EXPECT_EQ(test, ctx->dev->fault_refcount, 2);
}

/*
 * Once migrated back, the device page is freed: the free callback runs once,
 * on an unlocked page at refcount 0 (ef233450898f; a page freed locked could
 * never be handed out again).  Succeeds if so.
 */
static void migrated_device_page_is_freed_unlocked(struct kunit *test)
{
	struct fault_ctx *ctx = test->priv;
	u8 buf[ZDT_DATA_LEN];

	KUNIT_ASSERT_EQ(test, cpu_read(test, buf), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->dev->nr_free), 1);
	KUNIT_EXPECT_EQ(test, page_ref_count(ctx->dpage), 0);
	KUNIT_EXPECT_FALSE(test, ctx->dev->free_locked);
}

/*
 * Unmapping memory that lives on the device frees the device page where it
 * is: zap_nonpresent_ptes() drops the mapping's reference of a device-private
 * entry, the last one, without migrate_to_ram() bringing the page back first
 * (5042db43cc26 "mm/ZONE_DEVICE: new type of ZONE_DEVICE for unaddressable
 * memory"); a driver reuses the page once its free callback ran.  Succeeds if
 * after munmap() the free callback ran once, on an unlocked page at refcount
 * 0, and migrate_to_ram() was never called.
 */
static void munmap_frees_the_device_private_page_in_place(struct kunit *test)
{
	struct fault_ctx *ctx = test->priv;

	KUNIT_ASSERT_EQ(test, vm_munmap(ctx->addr, PAGE_SIZE), 0);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&ctx->dev->nr_free), 1,
			    "the device page was not freed by munmap()");
	KUNIT_EXPECT_EQ(test, page_ref_count(ctx->dpage), 0);
	KUNIT_EXPECT_FALSE(test, ctx->dev->free_locked);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->dev->nr_migrate_to_ram), 0);
}

/*
 * migrate_to_ram() returning VM_FAULT_SIGBUS fails the access and leaves the
 * device page as it was (do_swap_page() returns the callback's result).
 * Succeeds if copy_from_user() fails, nothing is freed or left locked, and
 * the access works once the callback migrates again.
 */
static void migrate_to_ram_sigbus_fails_the_access(struct kunit *test)
{
	struct fault_ctx *ctx = test->priv;
	u8 buf[ZDT_DATA_LEN];

	zdt_device_fail_faults(ctx->dev, VM_FAULT_SIGBUS);
	KUNIT_EXPECT_NE(test, cpu_read(test, buf), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->dev->nr_free), 0);
	/*
	 * A second access would never finish with the folio left locked (it
	 * sleeps on it) or an extra reference left (migration fails, the CPU
	 * re-faults): stop here instead.
	 */
	KUNIT_ASSERT_EQ_MSG(test, page_ref_count(ctx->dpage), 1,
			    "the failed fault leaked a device page reference");
	KUNIT_ASSERT_FALSE_MSG(test, PageLocked(ctx->dpage),
			       "the failed fault left the device folio locked");

	zdt_device_fail_faults(ctx->dev, 0);
	KUNIT_ASSERT_EQ(test, cpu_read(test, buf), 0);
	KUNIT_EXPECT_MEMEQ(test, buf, ctx->pattern, sizeof(buf));
}

/*
 * The test holds the device folio's lock while a second thread of its mm
 * touches ctx->addr; the thread must go to sleep on it, taking at most
 * CONTENDED_MAX_FAULTS faults (zdt_thread_watch(), at least
 * CONTENDED_WINDOW_MS).  Then the test unlocks and the thread must finish
 * and see the data.  Always terminates: the lock is released after the
 * watch whatever happened, so a spinning kernel ends its spin too (the
 * suite's kernel is SMP and preemptible, so the spinner cannot keep the test
 * from running).  A spinning kernel fails exactly one expectation, "the
 * fault spins" (configs/known-failures names it).
 */
static void expect_contended_fault_sleeps(struct kunit *test)
{
	struct fault_ctx *ctx = test->priv;
	struct zdt_blocked b;
	struct zdt_thread *t;
	bool waiting;

	zdt_lock_page(test, ctx->dpage);
	t = zdt_reader_create(test, ctx->addr);
	zdt_thread_start(t);
	b = zdt_thread_watch(t, CONTENDED_WINDOW_MS, CONTENDED_MAX_FAULTS);
	waiting = zdt_thread_waiting(t);
	zdt_unlock_page(test, ctx->dpage);
	kunit_info(test, "%lu faults in %u ms with the folio locked, faulting thread %s",
		   b.faults, b.ms, b.done ? "done" : b.asleep ? "asleep" : "not asleep");

	zdt_expect_asleep(test, b, CONTENDED_MAX_FAULTS, "faulting thread", "it");
	if (b.asleep)
		KUNIT_EXPECT_TRUE_MSG(test, waiting,
				      "the faulting thread no longer waited when the folio was unlocked");
	zdt_thread_finish(test, t, ctx->dev, "after the unlock");
	KUNIT_EXPECT_EQ(test, t->left, 0);
	KUNIT_EXPECT_MEMEQ(test, t->buf, ctx->pattern, sizeof(t->buf));
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->dev->nr_migrated_to_ram), 1);
}

/*
 * A fault on a device-private folio that someone else holds locked sleeps
 * until the lock is released instead of re-faulting in a loop (b570f37a2ce4
 * "mm: Fix a hmm_range_fault() livelock / starvation problem", on top of
 * 1afaeb8293c9).  Succeeds if the faulting thread slept.
 */
static void contended_fault_sleeps_instead_of_spinning(struct kunit *test)
{
	expect_contended_fault_sleeps(test);
}

/*
 * While the test holds the folio lock and a CPU read sleeps on it, the
 * folio's refcount must stay 1 and the test, as the lock holder, migrates
 * the folio to RAM with args->fault_page; the read then finishes with the
 * data, without migrate_to_ram(); it must be held up by the lock: asleep
 * until the test unlocks, or for the PMD case still re-faulting when the
 * watch ends (stock 7.2 and 7.3 spin there, the contended_pmd_fault_sleeps
 * case's known failure).  @base, @order: the folio's user range
 * (the PTE case's page, the PMD case's whole folio).  Both fault suites'
 * waits-without-a-reference cases.
 */
static void expect_contended_fault_waits_without_a_reference(struct kunit *test,
							     unsigned long base,
							     unsigned int order)
{
	struct fault_ctx *ctx = test->priv;
	unsigned long src = 0;
	struct zdt_migration m;
	struct zdt_blocked b;
	struct zdt_thread *t;
	bool held;
	int refcount;

	if (!ZDT_SETUP_LOCKED_FAULT_PAGE)
		zdt_skip(test, ZDT_NO_LOCKED_FAULT_PAGE);
	zdt_lock_page(test, ctx->dpage);
	t = zdt_reader_create(test, ctx->addr);
	zdt_thread_start(t);
	b = zdt_thread_watch(t, CONTENDED_WINDOW_MS, CONTENDED_MAX_FAULTS);
	refcount = page_ref_count(ctx->dpage);
	/*
	 * The PMD path is sampled before the migration: where it re-faults
	 * (stock 7.2, 7.3), the new system folio the migration maps is
	 * unlocked, and the re-fault may then finish before the unlock.
	 */
	held = b.started && !b.done && !zdt_thread_returned(t);

	/* The lock holder's migration, as migrate_to_ram() would do it. */
	zdt_get_page(test, ctx->dpage);
	zdt_migration_init(test, &m, base, 1UL << order, ctx->dev,
			   MIGRATE_VMA_SELECT_DEVICE_PRIVATE |
			   (order ? ZDT_MIGRATE_VMA_SELECT_COMPOUND : 0));
	m.args.fault_page = ctx->dpage;
	zdt_migration_setup(&m);
	if (!m.ret && (m.args.src[0] & MIGRATE_PFN_MIGRATE)) {
		m.args.dst[0] = zdt_migration_ram_copy(&m, ctx->dpage,
						       m.args.src[0] & ZDT_MIGRATE_PFN_COMPOUND ?
						       order : 0);
		zdt_migration_pages(&m);
		src = m.args.src[0];
	}
	zdt_migration_finalize(&m);
	/* The PTE path still asleep on the device folio after the migration. */
	if (!order)
		held = zdt_thread_waiting(t);
	zdt_unlock_page(test, ctx->dpage);
	zdt_put_page(test, ctx->dpage);
	kunit_info(test, "reader %s after %u ms, refcount %d while it waited",
		   b.done ? "done" : b.asleep ? "asleep" : "not asleep", b.ms, refcount);

	KUNIT_EXPECT_TRUE_MSG(test, b.started, "the faulting thread never ran in %u ms", b.ms);
	KUNIT_EXPECT_TRUE_MSG(test, held,
			      "the faulting thread was not held up by the folio lock until the unlock (%s)",
			      b.done || zdt_thread_returned(t) ? "it finished" : "not asleep");
	KUNIT_EXPECT_EQ_MSG(test, refcount, 1,
			    "the fault waiting for the folio lock holds a reference");
	KUNIT_ASSERT_EQ(test, m.ret, 0);
	KUNIT_EXPECT_TRUE_MSG(test, src & MIGRATE_PFN_MIGRATE,
			      "the lock holder's migration failed under the waiting fault");
	zdt_thread_finish(test, t, ctx->dev, "after the unlock");
	KUNIT_EXPECT_EQ(test, t->left, 0);
	KUNIT_EXPECT_MEMEQ(test, t->buf, ctx->pattern, sizeof(t->buf));
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->dev->nr_migrate_to_ram), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->dev->nr_free), 1);
}

/*
 * A fault that finds the device-private folio locked waits for the lock
 * without a reference on the folio, so that the lock holder can migrate it
 * meanwhile: a waiter's reference would fail the holder's migration at the
 * expected-count check, and the holder and the waiters would go round again
 * (b570f37a2ce4 "mm: Fix a hmm_range_fault() livelock / starvation
 * problem" waits as migration_entry_wait_on_locked() does; its thread
 * rejected waiting with a reference held for that reason).  Succeeds if,
 * while the test holds the folio lock and a CPU read sleeps on it, the
 * folio's refcount stays 1 (the mapping's), the test as the lock holder
 * migrates the page to RAM (args->fault_page, with the reference a fault
 * holds), and the read then finishes with the data, without a call to
 * migrate_to_ram().
 */
static void contended_fault_waits_without_a_reference(struct kunit *test)
{
	struct fault_ctx *ctx = test->priv;

	expect_contended_fault_waits_without_a_reference(test, ctx->addr, 0);
}

/*
 * How long the test keeps migration blocked with its extra reference at
 * least, and how many migrate_to_ram() calls it waits for (bounded by
 * ZDT_ACCESS_MS): the first, and one that retried after it failed.
 */
#define BLOCKED_MS		200
#define BLOCKED_CALLS		2

/*
 * A device page someone else holds a reference on cannot migrate:
 * migrate_vma_pages() fails folio_migrate_mapping()'s expected-count check,
 * finalize restores the device entry, migrate_to_ram() returns without
 * moving it and the CPU faults again (mm/migrate_device.c; the livelock the
 * 1afaeb8293c9 series describes).  Nothing may leak, and once the reference
 * is dropped the access completes.  Succeeds if nothing migrated while the
 * reference was held, and then the data arrived and the device page was
 * freed.
 */
static void extra_reference_blocks_migration_until_dropped(struct kunit *test)
{
	struct fault_ctx *ctx = test->priv;
	struct zdt_thread *t;
	int calls, moved;
	ktime_t start;
	bool done;

	zdt_get_page(test, ctx->dpage);
	t = zdt_reader_create(test, ctx->addr);
	zdt_thread_start(t);
	start = ktime_get();
	msleep(BLOCKED_MS);
	/* A loaded guest may not have run the thread yet: wait for it, bounded. */
	while (atomic_read(&ctx->dev->nr_migrate_to_ram) < BLOCKED_CALLS &&
	       !completion_done(&t->done) &&
	       ktime_ms_delta(ktime_get(), start) < ZDT_ACCESS_MS)
		usleep_range(1000, 2000);
	calls = atomic_read(&ctx->dev->nr_migrate_to_ram);
	moved = atomic_read(&ctx->dev->nr_migrated_to_ram);
	done = completion_done(&t->done);
	zdt_put_page(test, ctx->dpage);
	kunit_info(test, "%d migrate_to_ram calls in %lld ms while referenced", calls,
		   ktime_ms_delta(ktime_get(), start));

	KUNIT_EXPECT_EQ_MSG(test, moved, 0, "migrated although the test held a reference");
	KUNIT_EXPECT_FALSE(test, done);
	KUNIT_EXPECT_GE(test, calls, BLOCKED_CALLS);
	zdt_thread_finish(test, t, ctx->dev, "after the reference went");
	KUNIT_EXPECT_EQ(test, t->left, 0);
	KUNIT_EXPECT_MEMEQ(test, t->buf, ctx->pattern, sizeof(t->buf));
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->dev->nr_free), 1);
	KUNIT_EXPECT_EQ(test, page_ref_count(ctx->dpage), 0);
}

/*
 * A device-private page of a private mapping is shared by fork():
 * copy_nonpresent_pte() gives the child a device-private entry of its own,
 * with a reference and a mapcount (mm/memory.c, 5042db43cc26).  The first
 * fault, in either mm, migrates the folio back for both: migration unmaps
 * it through the rmap from every mapping.  Succeeds if the fork shows
 * refcount 2 and mapcount 2, both reads see the data with one
 * migrate_to_ram() call between them, and the device page is then freed.
 */
static void forked_mappings_share_one_migration(struct kunit *test)
{
	struct fault_ctx *ctx = test->priv;
	struct folio *folio = page_folio(ctx->dpage);
	struct zdt_thread *child = zdt_forked_reader_create(test, ctx->addr);
	u8 buf[ZDT_DATA_LEN];

	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), 2);
	KUNIT_EXPECT_EQ(test, folio_mapcount(folio), 2);
	zdt_thread_start(child);
	zdt_thread_finish(test, child, ctx->dev, "after it started");
	KUNIT_EXPECT_EQ(test, child->left, 0);
	KUNIT_EXPECT_MEMEQ(test, child->buf, ctx->pattern, sizeof(child->buf));

	KUNIT_ASSERT_EQ(test, cpu_read(test, buf), 0);
	KUNIT_EXPECT_MEMEQ(test, buf, ctx->pattern, sizeof(buf));
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->dev->nr_migrate_to_ram), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->dev->nr_free), 1);
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), 0);
}

/*
 * After a fork() that kept ctx->addr copy-on-write: a write in the parent
 * succeeds, the forked @child then still reads the data from before the fork
 * and the parent reads its own write.
 */
static void expect_parent_write_is_its_own(struct kunit *test, struct fault_ctx *ctx,
					   struct zdt_thread *child)
{
	u8 buf[ZDT_DATA_LEN];

	KUNIT_ASSERT_EQ(test, zdt_cpu_write(test, ctx->dev, ctx->addr, 1), 0);
	zdt_thread_start(child);
	zdt_thread_finish(test, child, ctx->dev, "after it started");
	KUNIT_EXPECT_EQ(test, child->left, 0);
	KUNIT_EXPECT_MEMEQ_MSG(test, child->buf, ctx->pattern, sizeof(child->buf),
			       "the child sees the parent's write: no copy on write");
	KUNIT_ASSERT_EQ(test, cpu_read(test, buf), 0);
	KUNIT_EXPECT_TRUE_MSG(test, zdt_has_data(test, buf, 1),
			      "the parent does not read its own write");
}

/*
 * fork() of a private writable mapping with a device-private page keeps it
 * copy-on-write: copy_nonpresent_pte() makes the parent's device-private
 * entry read-only, as the child's (5042db43cc26 "mm/ZONE_DEVICE: new type of
 * ZONE_DEVICE for unaddressable memory": "is_write_device_private_entry() &&
 * is_cow_mapping()"), so that once the page is back in RAM a write in one mm
 * copies it instead of writing into the page both map.  Succeeds if, after
 * the fork, a migrate_vma_setup() of the parent's page no longer reports
 * MIGRATE_PFN_WRITE, a write in the parent succeeds, the child then still
 * reads the data from before the fork and the parent its own new data.
 */
static void fork_keeps_device_private_memory_copy_on_write(struct kunit *test)
{
	struct fault_ctx *ctx = test->priv;
	struct zdt_thread *child = zdt_forked_reader_create(test, ctx->addr);
	unsigned long src = 0;
	struct zdt_migration m;

	zdt_migration_init(test, &m, ctx->addr, 1, ctx->dev,
			   MIGRATE_VMA_SELECT_DEVICE_PRIVATE);
	zdt_migration_setup(&m);
	if (!m.ret)
		src = m.args.src[0];
	zdt_migration_finalize(&m);
	KUNIT_ASSERT_EQ(test, m.ret, 0);
	KUNIT_ASSERT_TRUE_MSG(test, src & MIGRATE_PFN_MIGRATE,
			      "the parent's device page not collected (src %#lx)", src);
	KUNIT_EXPECT_FALSE_MSG(test, src & MIGRATE_PFN_WRITE,
			       "the parent's entry is still writable after fork()");

	expect_parent_write_is_its_own(test, ctx, child);
}

/* How often a VMA-locked fault may find lock_vma_under_rcu() failing. */
#define VMA_LOCK_TRIES		100

/*
 * A thread of the test's mm faults t->addr as the arch fault handler first
 * tries to: under the per-VMA lock alone (lock_vma_under_rcu(),
 * handle_mm_fault() with FAULT_FLAG_VMA_LOCK).  On VM_FAULT_RETRY or
 * VM_FAULT_COMPLETED the fault path has released the VMA lock, otherwise
 * the caller does.  t->ret: what handle_mm_fault() returned, or -EAGAIN if
 * no VMA lock could be had (a writer held it each time).
 */
static void vma_locked_fault_fn(struct zdt_thread *t)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma = NULL;
	unsigned int i;
	vm_fault_t ret;

	for (i = 0; i < VMA_LOCK_TRIES && !vma; i++) {
		vma = zdt_lock_vma_under_rcu(mm, t->addr);
		if (!vma)
			usleep_range(100, 200);
	}
	if (!vma) {
		t->ret = -EAGAIN;
		return;
	}
	ret = handle_mm_fault(vma, t->addr, FAULT_FLAG_DEFAULT | FAULT_FLAG_USER |
			      FAULT_FLAG_VMA_LOCK, NULL);
	if (!(ret & (VM_FAULT_RETRY | VM_FAULT_COMPLETED)))
		vma_end_read(vma);
	t->ret = (__force long)ret;
}

/*
 * The per-VMA-locked fault of the case's page, bounded; the page must be
 * there as before and migrate_to_ram() not called, then a CPU read (the
 * retry, which the arch handler does under the mmap lock) must bring the
 * data back with one call.  Both fault suites' VMA-lock cases.
 */
static void expect_vma_locked_fault_retries(struct kunit *test)
{
	struct fault_ctx *ctx = test->priv;
	struct zdt_thread *t;
	u8 buf[ZDT_DATA_LEN];
	long ret;

	if (!ZDT_HAS_VMA_LOCK_FAULT)
		zdt_skip(test, "%s", ZDT_NO_VMA_LOCK_FAULT);
	t = zdt_thread_create(test, "VMA-locked fault", vma_locked_fault_fn);
	t->addr = ctx->addr;
	zdt_thread_start(t);
	zdt_thread_finish(test, t, ctx->dev, "after it started");
	ret = t->ret;
	kunit_info(test, "handle_mm_fault(FAULT_FLAG_VMA_LOCK): %#lx", (unsigned long)ret);

	KUNIT_ASSERT_NE_MSG(test, ret, -EAGAIN, "lock_vma_under_rcu() failed %d times",
			    VMA_LOCK_TRIES);
	KUNIT_EXPECT_EQ_MSG(test, ret, (__force long)VM_FAULT_RETRY,
			    "the fault under the VMA lock did not ask for the mmap lock");
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&ctx->dev->nr_migrate_to_ram), 0,
			    "migrate_to_ram() ran under the VMA lock only");
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->dev->nr_free), 0);
	KUNIT_EXPECT_NULL_MSG(test, zdt_mapped_page(ctx->addr), "the page left the device");

	KUNIT_ASSERT_EQ(test, cpu_read(test, buf), 0);
	KUNIT_EXPECT_MEMEQ(test, buf, ctx->pattern, sizeof(buf));
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->dev->nr_migrate_to_ram), 1);
}

/*
 * A fault on a device-private entry under the per-VMA lock does not call
 * migrate_to_ram(): do_swap_page() drops the VMA lock and returns
 * VM_FAULT_RETRY, and the fault is retried under the mmap lock, because
 * drivers' migrate_to_ram() may rely on it (1235ccd05b6d "mm: handle swap
 * page faults under per-VMA lock": "Drivers implementing
 * ops->migrate_to_ram might still rely on mmap_lock, therefore we have to
 * fall back to mmap_lock in that particular case"; migrate_vma_setup()
 * asserts it).  Succeeds if handle_mm_fault() with FAULT_FLAG_VMA_LOCK
 * returns VM_FAULT_RETRY, migrate_to_ram() was not called and the page is
 * still on the device, and a CPU read then brings the data back with one
 * migrate_to_ram() call.
 */
static void vma_locked_fault_retries_with_the_mmap_lock(struct kunit *test)
{
	expect_vma_locked_fault_retries(test);
}

/*
 * mprotect(PROT_READ) makes a writable device-private entry read-only, as
 * it write-protects a present page (mm/mprotect.c: the
 * make_readable_device_private_entry() branch of change_pte_range(), in
 * change_softleaf_pte() on 7.x), so neither a driver nor the CPU can write
 * through it any more.  Succeeds if, after
 * mprotect(), migrate_vma_setup() still collects the page but without
 * MIGRATE_PFN_WRITE, and the page a CPU read brings back holds the data
 * and is mapped read-only (GUP-fast for writing finds nothing).  Without
 * GUP-fast, which finds nothing there whatever the mapping, that last check
 * skips (ZDT_NO_GUP_FAST) once the rest has passed.
 */
static void mprotect_read_only_makes_the_device_private_entry_read_only(struct kunit *test)
{
	struct fault_ctx *ctx = test->priv;
	unsigned long src = 0;
	struct zdt_migration m;
	u8 buf[ZDT_DATA_LEN];
	struct page *page;
	int ret;

	ret = zdt_mprotect(test, ctx->addr, PAGE_SIZE, PROT_READ);
	KUNIT_ASSERT_EQ_MSG(test, ret, 0, "mprotect(PROT_READ)");

	zdt_migration_init(test, &m, ctx->addr, 1, ctx->dev,
			   MIGRATE_VMA_SELECT_DEVICE_PRIVATE);
	zdt_migration_setup(&m);
	if (!m.ret)
		src = m.args.src[0];
	zdt_migration_finalize(&m);
	KUNIT_ASSERT_EQ(test, m.ret, 0);
	KUNIT_ASSERT_TRUE_MSG(test, src & MIGRATE_PFN_MIGRATE,
			      "the device page not collected (src %#lx)", src);
	KUNIT_EXPECT_FALSE_MSG(test, src & MIGRATE_PFN_WRITE,
			       "the entry is still writable after mprotect(PROT_READ)");

	KUNIT_ASSERT_EQ(test, cpu_read(test, buf), 0);
	KUNIT_EXPECT_MEMEQ(test, buf, ctx->pattern, sizeof(buf));
	KUNIT_ASSERT_NOT_NULL_MSG(test, zdt_mapped_page(ctx->addr), "the page is not back");
	if (!IS_ENABLED(CONFIG_HAVE_GUP_FAST))
		zdt_skip(test, "read-only mapping unchecked: " ZDT_NO_GUP_FAST);
	ret = get_user_pages_fast_only(ctx->addr, 1, FOLL_WRITE, &page);
	if (ret == 1)
		put_page(page);
	KUNIT_EXPECT_EQ_MSG(test, ret, 0,
			    "the page back from the device is mapped writable");
}

/* How long the case took, set-up included, for the record (TCG is slow). */
static void fault_exit(struct kunit *test)
{
	struct fault_ctx *ctx = test->priv;

	if (ctx && ctx->dev)
		kunit_info(test, "took %lld ms",
			   ktime_ms_delta(ktime_get(), ctx->start));
}

static struct kunit_case zone_device_fault_cases[] = {
	KUNIT_CASE(cpu_access_calls_migrate_to_ram_once),
	KUNIT_CASE(cpu_access_sees_the_data_written_before),
	KUNIT_CASE(migrate_to_ram_runs_with_the_folio_locked),
	KUNIT_CASE(fault_holds_a_reference_during_migrate_to_ram),
	KUNIT_CASE(migrated_device_page_is_freed_unlocked),
	KUNIT_CASE(munmap_frees_the_device_private_page_in_place),
	KUNIT_CASE(migrate_to_ram_sigbus_fails_the_access),
	KUNIT_CASE_SLOW(contended_fault_sleeps_instead_of_spinning),
	KUNIT_CASE_SLOW(contended_fault_waits_without_a_reference),
	KUNIT_CASE_SLOW(extra_reference_blocks_migration_until_dropped),
	KUNIT_CASE(forked_mappings_share_one_migration),
	KUNIT_CASE(fork_keeps_device_private_memory_copy_on_write),
	KUNIT_CASE(vma_locked_fault_retries_with_the_mmap_lock),
	KUNIT_CASE(mprotect_read_only_makes_the_device_private_entry_read_only),
	{}
};

static struct kunit_suite zone_device_fault_suite = {
	.name = "zone_device_fault",
	.init = fault_init,
	.exit = fault_exit,
	.test_cases = zone_device_fault_cases,
};

/*
 * The same path one level up: a large device-private folio mapped by one
 * PMD-level entry faults back through do_huge_pmd_device_private()
 * (mm/huge_memory.c, with large device-private folios in 6.19).  The folio
 * is migrated into an empty PMD-aligned range, the CPU reads the page in
 * the middle of it.
 */
static int fault_pmd_init(struct kunit *test)
{
	struct fault_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	unsigned long base;

	zdt_case_begin(test);
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->start = ktime_get();
	test->priv = ctx;
	ctx->dpage = zdt_pmd_on_device(test, &ctx->dev, &base);
	zdt_fill(test, ctx->pattern, sizeof(ctx->pattern), ZDT_PMD_MIDDLE);
	memcpy(zdt_page_data(ctx->dpage + ZDT_PMD_MIDDLE), ctx->pattern,
	       sizeof(ctx->pattern));
	ctx->addr = base + ZDT_PMD_MIDDLE * PAGE_SIZE;
	return 0;
}

/*
 * A CPU access to a PMD-mapped device-private folio calls migrate_to_ram()
 * once, with the folio locked and a reference of the fault's own held
 * (do_huge_pmd_device_private(): folio_trylock(), folio_get()).  Succeeds
 * if the callback ran once and saw the folio locked at refcount 2.
 */
static void pmd_fault_calls_migrate_to_ram_once_locked_and_referenced(struct kunit *test)
{
	struct fault_ctx *ctx = test->priv;
	u8 buf[ZDT_DATA_LEN];

	KUNIT_ASSERT_EQ(test, cpu_read(test, buf), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->dev->nr_migrate_to_ram), 1);
	KUNIT_EXPECT_TRUE(test, ctx->dev->fault_locked);
	KUNIT_EXPECT_EQ(test, ctx->dev->fault_refcount, 2);
}

/*
 * The PMD fault brings the whole folio back: the page read sees the data
 * the device held, and the large device folio is freed once, unlocked, at
 * refcount 0 (mm/huge_memory.c, mm/migrate_device.c compound migration).
 * Succeeds if so.
 */
static void pmd_fault_brings_the_data_back_and_frees_the_folio_once(struct kunit *test)
{
	struct fault_ctx *ctx = test->priv;
	u8 buf[ZDT_DATA_LEN];

	KUNIT_ASSERT_EQ(test, cpu_read(test, buf), 0);
	KUNIT_EXPECT_MEMEQ(test, buf, ctx->pattern, sizeof(buf));
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->dev->nr_migrated_to_ram), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->dev->nr_free), 1);
	KUNIT_EXPECT_EQ(test, page_ref_count(ctx->dpage), 0);
	KUNIT_EXPECT_FALSE(test, ctx->dev->free_locked);
}

/*
 * The livelock fix holds at PMD level too: a fault on a locked large
 * device-private folio sleeps until the lock goes instead of re-faulting
 * (b570f37a2ce4 "mm: Fix a hmm_range_fault() livelock / starvation problem"
 * fixed the PTE path only).  7.2 and 7.3 still return 0 from
 * do_huge_pmd_device_private() when folio_trylock() fails, so this case
 * FAILs there (configs/known-failures); patches/fixes/ has the fix.
 * Succeeds if the faulting thread slept.
 */
static void contended_pmd_fault_sleeps_instead_of_spinning(struct kunit *test)
{
	expect_contended_fault_sleeps(test);
}

/*
 * The PMD-level fault on a locked large device-private folio waits
 * without a reference too, so that the lock holder can migrate the whole
 * folio meanwhile (do_huge_pmd_device_private() takes its folio_get()
 * only once it has the lock; the rule is b570f37a2ce4's, see
 * contended_fault_waits_without_a_reference).  Stock 7.2 and 7.3 spin
 * there (contended_pmd_fault_sleeps_instead_of_spinning, a known failure)
 * but still without a reference; patches/fixes/0001 sleeps without one.
 * Succeeds if, while the test holds the folio lock and a CPU read waits or
 * spins on it, the refcount stays 1, the test migrates the folio to RAM
 * as one PMD-sized range, and the read then finishes with the data
 * without migrate_to_ram().
 */
static void contended_pmd_fault_waits_without_a_reference(struct kunit *test)
{
	struct fault_ctx *ctx = test->priv;

	expect_contended_fault_waits_without_a_reference(test,
							 ctx->addr - ZDT_PMD_MIDDLE * PAGE_SIZE,
							 PMD_SHIFT - PAGE_SHIFT);
}

/*
 * The PMD-level fault keeps the same rule: do_huge_pmd_device_private()
 * drops the VMA lock and returns VM_FAULT_RETRY before it calls
 * migrate_to_ram() (mm/huge_memory.c, with large device-private folios in
 * 6.19; the PTE rule is 1235ccd05b6d "mm: handle swap page faults under
 * per-VMA lock").  Succeeds if handle_mm_fault() with FAULT_FLAG_VMA_LOCK
 * returns VM_FAULT_RETRY, migrate_to_ram() was not called and the folio is
 * still on the device, and a CPU read then brings the data back with one
 * call.
 */
static void vma_locked_pmd_fault_retries_with_the_mmap_lock(struct kunit *test)
{
	expect_vma_locked_fault_retries(test);
}

/*
 * Collects the PMD range around ctx->addr with migrate_vma_setup() and
 * finalizes it at once, as a driver that only looks: asserts the folio came
 * as one compound entry.
 *
 * Return: the source entry's flags.
 */
static unsigned long collected_pmd_flags(struct kunit *test,
					 struct fault_ctx *ctx)
{
	unsigned long src = 0;
	struct zdt_migration m;

	zdt_migration_init(test, &m, ctx->addr - ZDT_PMD_MIDDLE * PAGE_SIZE,
			   PTRS_PER_PMD, ctx->dev,
			   MIGRATE_VMA_SELECT_DEVICE_PRIVATE |
			   ZDT_MIGRATE_VMA_SELECT_COMPOUND);
	zdt_migration_setup(&m);
	if (!m.ret)
		src = m.args.src[0];
	zdt_migration_finalize(&m);
	KUNIT_ASSERT_EQ(test, m.ret, 0);
	KUNIT_ASSERT_TRUE_MSG(test, (src & MIGRATE_PFN_MIGRATE) &&
			      (src & ZDT_MIGRATE_PFN_COMPOUND),
			      "the PMD not collected as one compound entry (src %#lx)",
			      src);
	return src;
}

/*
 * fork() of a private writable mapping shares a PMD-mapped device-private
 * folio copy-on-write, as it does a small one: copy_huge_non_present_pmd()
 * makes the parent's writable PMD-level device-private entry read-only,
 * gives the child the same entry and takes a reference and an entire
 * mapcount for it (368076f52ebe "mm/huge_memory: add device-private THP
 * support to PMD operations", 6.19; the PTE rule is 5042db43cc26).
 * Succeeds if the fork adds one reference and one entire mapcount, a
 * migrate_vma_setup() of the parent's PMD range then collects the folio
 * without MIGRATE_PFN_WRITE, a write in the parent succeeds, and the child
 * still reads the data from before the fork while the parent reads its own
 * write.
 */
static void fork_keeps_device_private_pmd_copy_on_write(struct kunit *test)
{
	struct fault_ctx *ctx = test->priv;
	struct folio *folio = page_folio(ctx->dpage);
	int refs = folio_ref_count(folio), maps = folio_entire_mapcount(folio);
	struct zdt_thread *child;
	unsigned long src;

	child = zdt_forked_reader_create(test, ctx->addr);
	KUNIT_EXPECT_EQ_MSG(test, folio_ref_count(folio), refs + 1,
			    "fork() took no reference for the child's PMD");
	KUNIT_EXPECT_EQ_MSG(test, folio_entire_mapcount(folio), maps + 1,
			    "fork() added no entire mapcount for the child's PMD");

	src = collected_pmd_flags(test, ctx);
	KUNIT_EXPECT_FALSE_MSG(test, src & MIGRATE_PFN_WRITE,
			       "the parent's PMD entry is still writable after fork()");

	expect_parent_write_is_its_own(test, ctx, child);
}

/*
 * mprotect(PROT_READ) of the whole range of a PMD-mapped device-private
 * folio makes its PMD-level entry read-only and leaves it one PMD:
 * change_huge_pmd() hands the non-present PMD to
 * change_non_present_huge_pmd(), whose make_readable_device_private_entry()
 * branch write-protects it as change_softleaf_pte() does a PTE (368076f52ebe
 * "mm/huge_memory: add device-private THP support to PMD operations"), so
 * neither a driver nor the CPU can write through it any more.  Succeeds if,
 * after mprotect(), migrate_vma_setup() of the PMD range still collects the
 * folio as one compound entry but without MIGRATE_PFN_WRITE, and a CPU read
 * then brings back the data into a page mapped read-only (GUP-fast for
 * writing finds nothing; without GUP-fast that last check skips,
 * ZDT_NO_GUP_FAST, once the rest has passed).
 */
static void mprotect_read_only_makes_the_device_private_pmd_read_only(struct kunit *test)
{
	struct fault_ctx *ctx = test->priv;
	unsigned long base = ctx->addr - ZDT_PMD_MIDDLE * PAGE_SIZE;
	u8 buf[ZDT_DATA_LEN];
	unsigned long src;
	struct page *page;
	int ret;

	ret = zdt_mprotect(test, base, PMD_SIZE, PROT_READ);
	KUNIT_ASSERT_EQ_MSG(test, ret, 0, "mprotect(PROT_READ)");

	src = collected_pmd_flags(test, ctx);
	KUNIT_EXPECT_FALSE_MSG(test, src & MIGRATE_PFN_WRITE,
			       "the PMD entry is still writable after mprotect(PROT_READ)");

	KUNIT_ASSERT_EQ(test, cpu_read(test, buf), 0);
	KUNIT_EXPECT_MEMEQ(test, buf, ctx->pattern, sizeof(buf));
	KUNIT_ASSERT_NOT_NULL_MSG(test, zdt_mapped_page(ctx->addr), "the page is not back");
	if (!IS_ENABLED(CONFIG_HAVE_GUP_FAST))
		zdt_skip(test, "read-only mapping unchecked: " ZDT_NO_GUP_FAST);
	ret = get_user_pages_fast_only(ctx->addr, 1, FOLL_WRITE, &page);
	if (ret == 1)
		put_page(page);
	KUNIT_EXPECT_EQ_MSG(test, ret, 0,
			    "the page back from the device is mapped writable");
}

static struct kunit_case zone_device_fault_pmd_cases[] = {
	KUNIT_CASE(pmd_fault_calls_migrate_to_ram_once_locked_and_referenced),
	KUNIT_CASE(pmd_fault_brings_the_data_back_and_frees_the_folio_once),
	KUNIT_CASE_SLOW(contended_pmd_fault_sleeps_instead_of_spinning),
	KUNIT_CASE_SLOW(contended_pmd_fault_waits_without_a_reference),
	KUNIT_CASE(vma_locked_pmd_fault_retries_with_the_mmap_lock),
	KUNIT_CASE(fork_keeps_device_private_pmd_copy_on_write),
	KUNIT_CASE(mprotect_read_only_makes_the_device_private_pmd_read_only),
	{}
};

static struct kunit_suite zone_device_fault_pmd_suite = {
	.name = "zone_device_fault_pmd",
	.init = fault_pmd_init,
	.exit = fault_exit,
	.test_cases = zone_device_fault_pmd_cases,
};

kunit_test_suites(&zone_device_fault_suite, &zone_device_fault_pmd_suite);

MODULE_DESCRIPTION("KUnit tests for CPU faults on device-private pages");
MODULE_LICENSE("GPL");
