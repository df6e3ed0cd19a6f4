// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for device-exclusive access to system memory, what a GPU
 * driver's atomics rely on (nouveau): make_device_exclusive() replaces the
 * CPU mapping of a normal anonymous page with a device-exclusive entry, and
 * the next CPU access restores the mapping and tells the driver through its
 * MMU notifier (mm/rmap.c, mm/memory.c; Documentation/mm/hmm.rst,
 * "Exclusive access memory").
 *
 * Each case takes one page of the test's mm (zdt_user_pages()) exclusive as
 * a driver does, under the mmap read lock, with a pgmap-less owner of its
 * own, and gives the folio lock and reference back before any CPU access
 * (the driver's programming is done).  CPU accesses run in bounded threads
 * of the fixture's (zdt_cpu_read()).  No device memory is involved, but
 * make_device_exclusive() exists only with CONFIG_DEVICE_PRIVATE.
 */
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/mmu_notifier.h>
#include <linux/pagemap.h>
#include <kunit/test.h>

#include "zone_device_compat.h"
#include "zone_device_fixture.h"

/* The driver taking the page exclusive: MMU_NOTIFY_EXCLUSIVE's owner. */
static int excl_owner;

/*
 * A CPU access that finds the folio locked is watched this long at least,
 * and may take the fault that finds it locked and one spare; a kernel that
 * re-faults in a loop takes thousands.
 */
#define LOCKED_WINDOW_MS	300
#define LOCKED_MAX_FAULTS	2

struct excl_ctx {
	unsigned long addr;		/* the page taken exclusive */
	struct page *page;		/* the page mapped there first */
	struct zdt_notifier *notifier;	/* the driver's, on the page */
};

static int excl_init(struct kunit *test)
{
	struct excl_ctx *ctx;

	zdt_case_begin(test);
	if (!IS_ENABLED(CONFIG_DEVICE_PRIVATE))
		zdt_skip(test, "%s", ZDT_NO_DEVICE_EXCLUSIVE);
	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	test->priv = ctx;
	ctx->addr = zdt_user_pages(test, 1);
	ctx->page = zdt_mapped_page(ctx->addr);
	KUNIT_ASSERT_NOT_NULL_MSG(test, ctx->page, "the user page is not mapped");
	return 0;
}

/* The driver's notifier on ctx->addr, removed before the page is unmapped. */
static struct zdt_notifier *excl_notifier_create(struct kunit *test)
{
	struct excl_ctx *ctx = test->priv;

	ctx->notifier = zdt_notifier_create(test, ctx->addr, PAGE_SIZE);
	return ctx->notifier;
}

/*
 * make_device_exclusive() of ctx->addr as a driver calls it, the folio lock
 * and reference it returns handed to KUnit.
 *
 * Return: the page it returned.
 */
static struct page *excl_take(struct kunit *test)
{
	struct excl_ctx *ctx = test->priv;
	struct mm_struct *mm = current->mm;
	struct page *page;

	mmap_read_lock(mm);
	page = zdt_make_device_exclusive(mm, ctx->addr, &excl_owner);
	mmap_read_unlock(mm);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR_OR_NULL(page),
			       "make_device_exclusive: %pe", page);
	zdt_own_page(test, page);
	zdt_own_page_lock(test, page);
	return page;
}

/* The driver is done programming: folio lock and reference go. */
static void excl_give_back(struct kunit *test, struct page *page)
{
	zdt_unlock_page(test, page);
	zdt_put_page(test, page);
}

/*
 * make_device_exclusive() takes the page away from the CPU: it returns the
 * page that was mapped, locked, and leaves a non-present device-exclusive
 * entry in its place; the next CPU access replaces the entry with the
 * original mapping (b756a3b5e7ea "mm: device exclusive memory access";
 * Documentation/mm/hmm.rst, "Exclusive access memory").  Succeeds if the
 * page returned is the page mapped before, locked, not mapped present
 * while exclusive, and a CPU read then sees the data through a present
 * mapping of that same page.
 */
static void exclusive_entry_unmaps_the_page_until_a_cpu_access(struct kunit *test)
{
	struct excl_ctx *ctx = test->priv;
	u8 buf[ZDT_DATA_LEN];
	struct page *page;

	page = excl_take(test);
	KUNIT_EXPECT_PTR_EQ(test, page, ctx->page);
	KUNIT_EXPECT_TRUE(test, PageLocked(page));
	KUNIT_EXPECT_NULL_MSG(test, zdt_mapped_page(ctx->addr),
			      "the CPU still maps the page taken exclusive");
	excl_give_back(test, page);
	KUNIT_EXPECT_NULL_MSG(test, zdt_mapped_page(ctx->addr),
			      "exclusive access ended without a CPU access");

	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, NULL, ctx->addr, buf), 0);
	KUNIT_EXPECT_TRUE_MSG(test, zdt_has_data(test, buf, 0),
			      "the CPU read lost the page's data");
	KUNIT_EXPECT_PTR_EQ_MSG(test, zdt_mapped_page(ctx->addr), ctx->page,
				"the CPU access did not restore the original mapping");
}

/* Whether @e is the invalidation the exclusive owner filters out as its own. */
static bool excl_is_own(const struct zdt_notifier_event *e)
{
	return e->event == MMU_NOTIFY_EXCLUSIVE && e->owner == &excl_owner;
}

/*
 * The MMU notifier is how the driver learns its exclusive access ended:
 * make_device_exclusive() invalidates the range with MMU_NOTIFY_EXCLUSIVE
 * and the caller's owner, so that the caller can tell its own conversion
 * from others and not livelock on it; the CPU access that restores the
 * mapping invalidates it again, as something the owner must not filter out
 * (include/linux/mmu_notifier.h, MMU_NOTIFY_EXCLUSIVE;
 * remove_device_exclusive_entry(), mm/memory.c; b756a3b5e7ea).  Succeeds
 * if every invalidation during make_device_exclusive() (at least one) was
 * MMU_NOTIFY_EXCLUSIVE with the owner, and the CPU read then caused at
 * least one more over the page that was not.
 */
static void cpu_access_notifies_the_exclusive_owner(struct kunit *test)
{
	struct excl_ctx *ctx = test->priv;
	struct zdt_notifier_event events[ZDT_NOTIFIER_EVENTS];
	struct zdt_notifier *n = excl_notifier_create(test);
	unsigned int taken, total, i, foreign = 0;
	u8 buf[ZDT_DATA_LEN];

	excl_give_back(test, excl_take(test));
	taken = zdt_notifier_events(n, events);
	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, NULL, ctx->addr, buf), 0);
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, 0));
	total = zdt_notifier_events(n, events);
	kunit_info(test, "%u invalidations taking the page, %u after the CPU read",
		   taken, total - taken);

	KUNIT_EXPECT_GT_MSG(test, taken, 0,
			    "make_device_exclusive() invalidated nothing");
	for (i = 0; i < min_t(unsigned int, total, ZDT_NOTIFIER_EVENTS); i++) {
		const struct zdt_notifier_event *e = &events[i];

		if (i < taken) {
			KUNIT_EXPECT_TRUE_MSG(test, excl_is_own(e),
					      "invalidation %u taking the page: event %d owner %p",
					      i, e->event, e->owner);
			continue;
		}
		if (!excl_is_own(e) && e->start <= ctx->addr &&
		    e->end >= ctx->addr + PAGE_SIZE)
			foreign++;
	}
	KUNIT_EXPECT_GT_MSG(test, foreign, 0,
			    "the CPU access ended exclusive access without telling the owner (%u invalidations)",
			    total - taken);
}

/*
 * fork() does not hand a device-exclusive entry to the child:
 * copy_nonpresent_pte() first restores the parent's present mapping (the
 * device loses exclusive access; fork()'s own invalidation tells it), then
 * copies that as any present anonymous page (b756a3b5e7ea;
 * try_restore_exclusive_pte(), mm/memory.c).  Succeeds if after the fork the
 * parent maps its page present again without any access, and the child
 * reads the data.
 */
static void fork_restores_the_exclusive_entry_first(struct kunit *test)
{
	struct excl_ctx *ctx = test->priv;
	struct zdt_thread *child;
	u8 buf[ZDT_DATA_LEN];

	excl_give_back(test, excl_take(test));
	KUNIT_ASSERT_NULL(test, zdt_mapped_page(ctx->addr));
	child = zdt_forked_reader_create(test, ctx->addr);
	KUNIT_EXPECT_PTR_EQ_MSG(test, zdt_mapped_page(ctx->addr), ctx->page,
				"fork() left the parent's device-exclusive entry");

	zdt_thread_start(child);
	zdt_thread_finish(test, child, NULL, "after it started");
	KUNIT_EXPECT_EQ(test, child->left, 0);
	KUNIT_EXPECT_TRUE_MSG(test, zdt_has_data(test, child->buf, 0),
			      "the child does not see the page's data");
	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, NULL, ctx->addr, buf), 0);
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, 0));
}

/*
 * make_device_exclusive() takes only anonymous pages: a page of a shared
 * mapping (shmem here) is refused with -EOPNOTSUPP and left as it was,
 * mapped, unlocked, with no reference more (the kernel-doc of
 * make_device_exclusive(): "Only anonymous non-hugetlb folios are
 * supported"; Documentation/mm/hmm.rst, "Exclusive access memory").
 * A refusal that keeps the GUP reference pins the page for good.  The
 * LRU batches, which hold references of their own, are drained around the
 * call.  Succeeds if the call fails (-EOPNOTSUPP where the kernel has
 * make_device_exclusive()), the same page stays mapped, unlocked, at the
 * refcount it had, and a CPU read still sees the case's data.
 */
static void make_device_exclusive_refuses_a_shared_page(struct kunit *test)
{
	struct mm_struct *mm = current->mm;
	unsigned long addr;
	struct page *page, *ret;
	u8 buf[ZDT_DATA_LEN];
	int before, after;

	addr = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_ANONYMOUS, 0);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR_VALUE(addr) || !addr,
			       "kunit_vm_mmap: %ld", (long)addr);
	KUNIT_ASSERT_EQ(test, zdt_cpu_write(test, NULL, addr, 1), 0);
	page = zdt_mapped_page(addr);
	KUNIT_ASSERT_NOT_NULL_MSG(test, page, "the shared page is not mapped");
	KUNIT_ASSERT_FALSE(test, PageAnon(page));

	zdt_drain_lru();
	before = page_ref_count(page);
	mmap_read_lock(mm);
	ret = zdt_make_device_exclusive(mm, addr, &excl_owner);
	mmap_read_unlock(mm);
	zdt_drain_lru();
	after = page_ref_count(page);

	if (!IS_ERR_OR_NULL(ret)) {
		KUNIT_FAIL(test, "make_device_exclusive() took a shared page");
		unlock_page(ret);
		put_page(ret);
		return;
	}
	if (ZDT_HAS_MAKE_DEVICE_EXCLUSIVE)
		KUNIT_EXPECT_EQ(test, PTR_ERR(ret), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ_MSG(test, after, before, "refcount after the refusal");
	KUNIT_EXPECT_FALSE(test, PageLocked(page));
	KUNIT_EXPECT_PTR_EQ(test, zdt_mapped_page(addr), page);
	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, NULL, addr, buf), 0);
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, 1));
}

/*
 * While the driver still holds the folio lock make_device_exclusive()
 * returned (it is programming its device), a CPU access to the page waits
 * for it; once the driver unlocks and puts the folio the access restores
 * the mapping and sees the data, and the wait keeps no reference to the
 * folio (the kernel-doc of make_device_exclusive(): "Once programming is
 * complete it should drop the folio lock and reference after which point
 * CPU access to the page will revoke the exclusive access";
 * remove_device_exclusive_entry() waits in folio_lock_or_retry() and puts
 * its reference before the retry).  Succeeds if the access sleeps with at
 * most LOCKED_MAX_FAULTS faults and the page still unmapped, then
 * finishes with the data, the original page is mapped again and its
 * refcount is what it was before make_device_exclusive().
 */
static void cpu_access_waits_for_the_exclusive_owner_to_unlock(struct kunit *test)
{
	struct excl_ctx *ctx = test->priv;
	struct zdt_blocked b;
	struct zdt_thread *t;
	struct page *page;
	int before, after;

	zdt_drain_lru();
	before = page_ref_count(ctx->page);
	page = excl_take(test);
	t = zdt_reader_create(test, ctx->addr);
	zdt_thread_start(t);
	b = zdt_thread_watch(t, LOCKED_WINDOW_MS, LOCKED_MAX_FAULTS);
	KUNIT_EXPECT_NULL_MSG(test, zdt_mapped_page(ctx->addr),
			      "a CPU access restored the mapping while the driver held the folio lock");
	excl_give_back(test, page);
	kunit_info(test, "%lu faults in %u ms with the folio locked, reader %s",
		   b.faults, b.ms, b.done ? "done" : b.asleep ? "asleep" : "not asleep");

	zdt_expect_asleep(test, b, LOCKED_MAX_FAULTS, "reading thread", "it");
	zdt_thread_finish(test, t, NULL, "after the driver unlocked");
	KUNIT_EXPECT_EQ(test, t->left, 0);
	KUNIT_EXPECT_TRUE_MSG(test, zdt_has_data(test, t->buf, 0),
			      "the CPU read lost the page's data");
	KUNIT_EXPECT_PTR_EQ_MSG(test, zdt_mapped_page(ctx->addr), ctx->page,
				"the CPU access did not restore the original mapping");
	zdt_drain_lru();
	after = page_ref_count(ctx->page);
	KUNIT_EXPECT_EQ_MSG(test, after, before,
			    "refcount after the exclusive access ended");
}

/*
 * make_device_exclusive() takes only a page the process may write: "the VMA
 * must have write permissions such that we can fault in the anonymous page
 * writable in order to mark it exclusive" (its kernel-doc, mm/rmap.c; the
 * device's atomic access writes).  On a private anonymous page the process
 * wrote and then made read-only (mprotect(PROT_READ)) the call fails with
 * the error of its write fault, -EFAULT, and leaves the page as it was:
 * mapped, unlocked, no reference more.  Succeeds if the call fails with
 * -EFAULT, the same page stays mapped, unlocked, at the refcount it had,
 * and a CPU read still sees the case's data.
 */
static void make_device_exclusive_refuses_a_read_only_page(struct kunit *test)
{
	struct excl_ctx *ctx = test->priv;
	struct mm_struct *mm = current->mm;
	struct page *ret;
	u8 buf[ZDT_DATA_LEN];
	int before, after;

	KUNIT_ASSERT_EQ(test, zdt_mprotect(test, ctx->addr, PAGE_SIZE, PROT_READ), 0);
	KUNIT_ASSERT_PTR_EQ(test, zdt_mapped_page(ctx->addr), ctx->page);

	zdt_drain_lru();
	before = page_ref_count(ctx->page);
	mmap_read_lock(mm);
	ret = zdt_make_device_exclusive(mm, ctx->addr, &excl_owner);
	mmap_read_unlock(mm);
	zdt_drain_lru();
	after = page_ref_count(ctx->page);

	if (!IS_ERR_OR_NULL(ret)) {
		KUNIT_FAIL(test, "make_device_exclusive() took a page of a read-only mapping");
		unlock_page(ret);
		put_page(ret);
		return;
	}
	KUNIT_EXPECT_EQ(test, PTR_ERR(ret), -EFAULT);
	KUNIT_EXPECT_EQ_MSG(test, after, before, "refcount after the refusal");
	KUNIT_EXPECT_FALSE(test, PageLocked(ctx->page));
	KUNIT_EXPECT_PTR_EQ(test, zdt_mapped_page(ctx->addr), ctx->page);
	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, NULL, ctx->addr, buf), 0);
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, 0));
}

static struct kunit_case zone_device_exclusive_cases[] = {
	KUNIT_CASE(exclusive_entry_unmaps_the_page_until_a_cpu_access),
	KUNIT_CASE(cpu_access_notifies_the_exclusive_owner),
	KUNIT_CASE(fork_restores_the_exclusive_entry_first),
	KUNIT_CASE(make_device_exclusive_refuses_a_shared_page),
	KUNIT_CASE(cpu_access_waits_for_the_exclusive_owner_to_unlock),
	KUNIT_CASE(make_device_exclusive_refuses_a_read_only_page),
	{}
};

static struct kunit_suite zone_device_exclusive_suite = {
	.name = "zone_device_exclusive",
	.init = excl_init,
	.test_cases = zone_device_exclusive_cases,
};

kunit_test_suite(zone_device_exclusive_suite);

MODULE_DESCRIPTION("KUnit tests for device-exclusive access to system memory");
MODULE_LICENSE("GPL");
