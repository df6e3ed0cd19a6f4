// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for what hmm_range_fault() and the mmu_interval_notifier promise
 * a driver that mirrors a process's address space into its device's page
 * table (mm/hmm.c, mm/mmu_notifier.c; Documentation/mm/hmm.rst, "Address
 * space mirroring implementation and API").
 *
 * Each case moves a page of the test's mm to a fake device-private device
 * (the fixture's), then mirrors it as a driver does: an mmu_interval_notifier
 * on the page (struct mirror) whose invalidate() records what it was told and
 * calls mmu_interval_set_seq() under the driver's update lock, and the
 * documented loop around hmm_range_fault(): mmu_interval_read_begin(), the
 * mmap read lock, -EBUSY means again, then mmu_interval_read_retry() under
 * the update lock.  hmm_range_fault() runs in a bounded thread of the
 * fixture's (zdt_thread_finish()): a fault that loops through
 * migrate_to_ram() fails the case instead of hanging it.
 */
#include <linux/highmem.h>
#include <linux/hmm.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <kunit/test.h>

#include "zone_device_compat.h"
#include "zone_device_fixture.h"

/* Somebody else's pgmap owner: a device that is not ours. */
static int other_owner;

/* Invalidations a mirror keeps the details of (it counts them all). */
#define MIRROR_EVENTS		8

/*
 * How often the driver loop may go round before it gives up: the cases need
 * one pass, or two when the first one faults (the fault's migration
 * invalidates the range under hmm_range_fault()); the rest is for a page
 * compaction may move meanwhile.
 */
#define MIRROR_TRIES		8

/* What the notifier was told by one invalidation. */
struct mirror_event {
	enum mmu_notifier_event event;
	void *owner;
	unsigned long start;
	unsigned long end;
};

/*
 * A driver's mirror of one page of the test's mm.  Not test-managed memory:
 * the notifier may be called until mirror_release() removed it, so the
 * release frees it (zdt_hold()).
 */
struct mirror {
	struct mmu_interval_notifier notifier;
	struct mutex lock;		/* the driver's update lock */
	struct hmm_range range;
	unsigned long pfns[1];		/* range.hmm_pfns */
	unsigned int tries;		/* passes of the last mirror_populate() */
	unsigned int nr_events;		/* invalidations seen */
	struct mirror_event events[MIRROR_EVENTS];
};

struct hmm_ctx {
	struct zdt_device *dev;
	unsigned long addr;		/* the mirrored page */
	struct mirror *mirror;
};

static int hmm_init(struct kunit *test)
{
	struct hmm_ctx *ctx;

	zdt_migrate_case_begin(test);
	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	test->priv = ctx;
	return 0;
}

/*
 * The driver's invalidate(): record the event, owner and range, and move the
 * sequence on under the update lock, as Documentation/mm/hmm.rst asks (and
 * lib/test_hmm.c does).  Never asserts: it runs in whatever thread
 * invalidates, under the mmu notifier's lockdep map.
 */
static bool mirror_invalidate(struct mmu_interval_notifier *sub,
			      const struct mmu_notifier_range *range,
			      unsigned long cur_seq)
{
	struct mirror *mi = container_of(sub, struct mirror, notifier);

	if (mmu_notifier_range_blockable(range))
		mutex_lock(&mi->lock);
	else if (!mutex_trylock(&mi->lock))
		return false;
	if (mi->nr_events < MIRROR_EVENTS)
		mi->events[mi->nr_events] = (struct mirror_event) {
			.event = range->event,
			.owner = range->owner,
			.start = range->start,
			.end = range->end,
		};
	mi->nr_events++;
	mmu_interval_set_seq(sub, cur_seq);
	mutex_unlock(&mi->lock);
	return true;
}

static const struct mmu_interval_notifier_ops mirror_ops = {
	.invalidate = mirror_invalidate,
};

/* mmu_interval_notifier_remove() takes no lock of the mm: any thread may. */
static void mirror_release(void *data)
{
	struct mirror *mi = data;

	mmu_interval_notifier_remove(&mi->notifier);
	mutex_destroy(&mi->lock);
	kfree(mi);
}

/*
 * A mirror of ctx->addr: its notifier inserted on the test's mm and handed
 * to KUnit after the page's mapping, so that it is removed before the page
 * is unmapped.
 */
static struct mirror *mirror_create(struct kunit *test)
{
	struct hmm_ctx *ctx = test->priv;
	struct mirror *mi;
	int ret;

	KUNIT_ASSERT_NOT_NULL_MSG(test, current->mm, "the case has no mm (map user memory first)");
	mi = kzalloc_obj(*mi);
	KUNIT_ASSERT_NOT_NULL(test, mi);
	mutex_init(&mi->lock);
	ret = mmu_interval_notifier_insert(&mi->notifier, current->mm, ctx->addr,
					   PAGE_SIZE, &mirror_ops);
	if (ret) {
		kfree(mi);
		KUNIT_FAIL_AND_ABORT(test, "mmu_interval_notifier_insert: %d", ret);
	}
	zdt_hold(test, ZDT_HELD_MAPPING, mirror_release, mi);
	mi->range.notifier = &mi->notifier;
	mi->range.start = ctx->addr;
	mi->range.end = ctx->addr + PAGE_SIZE;
	mi->range.hmm_pfns = mi->pfns;
	ctx->mirror = mi;
	return mi;
}

/* What the next hmm_range_fault() asks for, for the whole range. */
static void mirror_request(struct mirror *mi, unsigned long default_flags,
			   void *owner)
{
	mi->range.default_flags = default_flags;
	mi->range.pfn_flags_mask = 0;
	mi->range.dev_private_owner = owner;
}

/*
 * One hmm_range_fault() under the mmap read lock, with a sequence from
 * mmu_interval_read_begin() if @fresh, else with the one the range has.
 */
static int mirror_fault(struct mirror *mi, bool fresh)
{
	struct mm_struct *mm = mi->notifier.mm;
	int ret;

	memset(mi->pfns, 0, sizeof(mi->pfns));
	if (fresh)
		mi->range.notifier_seq = mmu_interval_read_begin(&mi->notifier);
	mmap_read_lock(mm);
	ret = hmm_range_fault(&mi->range);
	mmap_read_unlock(mm);
	return ret;
}

/*
 * Documentation/mm/hmm.rst's driver_populate_range(), at most MIRROR_TRIES
 * passes: -EBUSY from hmm_range_fault() or a true mmu_interval_read_retry()
 * under the update lock means again.
 *
 * Return: 0 once a pass held, the error of hmm_range_fault(), or -EBUSY
 * after MIRROR_TRIES passes.
 */
static int mirror_populate(struct mirror *mi)
{
	int ret = -EBUSY;
	unsigned int i;
	bool retry;

	for (i = 1; i <= MIRROR_TRIES; i++) {
		mi->tries = i;
		ret = mirror_fault(mi, true);
		if (ret == -EBUSY)
			continue;
		if (ret)
			return ret;
		mutex_lock(&mi->lock);
		retry = mmu_interval_read_retry(&mi->notifier, mi->range.notifier_seq);
		mutex_unlock(&mi->lock);
		if (!retry)
			return 0;
		ret = -EBUSY;
	}
	return ret;
}

/* How a mirror thread calls hmm_range_fault(). */
enum mirror_call {
	MIRROR_FAULT,		/* one pass, a fresh sequence */
	MIRROR_FAULT_STALE,	/* one pass, the range's sequence as it is */
	MIRROR_POPULATE,	/* the driver loop */
};

static void mirror_thread_fn(struct zdt_thread *t)
{
	struct hmm_ctx *ctx = t->test->priv;

	if (t->flags == MIRROR_POPULATE)
		t->ret = mirror_populate(ctx->mirror);
	else
		t->ret = mirror_fault(ctx->mirror, t->flags == MIRROR_FAULT);
}

/*
 * Calls hmm_range_fault() on the case's mirror @how, in a thread of the
 * test's mm, bounded (zdt_thread_finish()).
 *
 * Return: what the call returned.
 */
static int mirror_call(struct kunit *test, enum mirror_call how)
{
	struct hmm_ctx *ctx = test->priv;
	struct zdt_thread *t = zdt_thread_create(test, "hmm_range_fault",
						 mirror_thread_fn);
	int ret;

	t->flags = how;
	zdt_thread_start(t);
	zdt_thread_finish(test, t, ctx->dev, "after it started");
	ret = t->ret;
	zdt_thread_free(test, t);
	return ret;
}

/* What a driver may use of the last hmm_range_fault() of a mirror. */
struct mirror_view {
	unsigned long pfn;		/* the entry reported */
	bool stale;			/* mmu_interval_read_retry() was true */
	struct page *page;		/* behind a valid entry, if not stale */
	bool zone_device;		/* ... is a ZONE_DEVICE page */
	u8 data[ZDT_DATA_LEN];		/* ... its first bytes, if not */
};

/*
 * The entry, and the page behind it, taken under the update lock while
 * mmu_interval_read_retry() says the sequence still holds: the only time
 * hmm_pfn_to_page() may be used (include/linux/hmm.h).
 */
static struct mirror_view mirror_view(struct mirror *mi)
{
	struct mirror_view v = { };

	mutex_lock(&mi->lock);
	v.pfn = mi->pfns[0];
	v.stale = mmu_interval_read_retry(&mi->notifier, mi->range.notifier_seq);
	if (!v.stale && (v.pfn & HMM_PFN_VALID)) {
		v.page = hmm_pfn_to_page(v.pfn);
		v.zone_device = is_zone_device_page(v.page);
		if (!v.zone_device)
			memcpy_from_page((char *)v.data, v.page, 0, sizeof(v.data));
	}
	mutex_unlock(&mi->lock);
	return v;
}

/* The pfn of an entry hmm_range_fault() reported, without its flags. */
static unsigned long entry_pfn(unsigned long hmm_pfn)
{
	return hmm_pfn & ~HMM_PFN_FLAGS;
}

/*
 * A page of a PROT_READ private anonymous mapping, never touched, moved to a
 * new device-private device: migrate_vma_pages() fills the hole with the
 * device page through a read-only device-private entry
 * (migrate_vma_insert_page(): writable only with VM_WRITE).  The device
 * holds one reference, the mapping's.
 *
 * Return: the page's user address.
 */
static unsigned long readonly_page_on_device(struct kunit *test,
					     struct zdt_device **devp)
{
	struct zdt_device *dev = zdt_device_create(test, MEMORY_DEVICE_PRIVATE,
						   ZDT_DEVICE_PAGES);
	unsigned long addr = zdt_user_map_prot(test, PAGE_SIZE, PROT_READ);

	KUNIT_ASSERT_EQ(test, zdt_migrate_to_device(dev, addr, 1), 1);
	KUNIT_ASSERT_EQ(test, page_ref_count(zdt_device_page(dev, 0)), 1);
	*devp = dev;
	return addr;
}

/* The caller's own device-private page, writable or not, faults asked for or not. */

struct own_param {
	const char *desc;
	bool writable;			/* the device-private entry */
	unsigned long default_flags;	/* range->default_flags */
};

static const struct own_param own_params[] = {
	{ "writable entry, HMM_PFN_REQ_FAULT", true, HMM_PFN_REQ_FAULT },
	{ "read-only entry, HMM_PFN_REQ_FAULT", false, HMM_PFN_REQ_FAULT },
	{ "writable entry, no fault requested", true, 0 },
};

KUNIT_ARRAY_PARAM_DESC(own, own_params, desc);

/*
 * hmm_range_fault() does not fault a device-private page whose pgmap owner is
 * range->dev_private_owner: it reports the device pfn with HMM_PFN_VALID,
 * and HMM_PFN_WRITE exactly when the device-private entry is writable, and
 * leaves the page where it is, fault requested or not (08ddddda667b
 * "mm/hmm: check the device private page owner in hmm_range_fault()";
 * hmm_vma_handle_pte()).  Succeeds if the driver loop holds with that entry
 * (no error flag, order 0), migrate_to_ram() was never called and the page
 * is still on the device with only the mapping's reference.
 */
static void owner_gets_its_device_pfn_without_a_fault(struct kunit *test)
{
	const struct own_param *p = test->param_value;
	struct hmm_ctx *ctx = test->priv;
	struct mirror_view v;
	struct page *dpage;
	int ret;

	if (p->writable)
		ctx->addr = zdt_page_on_device(test, MEMORY_DEVICE_PRIVATE, &ctx->dev);
	else
		ctx->addr = readonly_page_on_device(test, &ctx->dev);
	dpage = zdt_device_page(ctx->dev, 0);
	mirror_request(mirror_create(test), p->default_flags, ctx->dev);

	ret = mirror_call(test, MIRROR_POPULATE);
	v = mirror_view(ctx->mirror);

	KUNIT_ASSERT_EQ_MSG(test, ret, 0, "driver loop after %u passes", ctx->mirror->tries);
	KUNIT_EXPECT_FALSE(test, v.stale);
	KUNIT_ASSERT_TRUE_MSG(test, v.pfn & HMM_PFN_VALID, "entry %#lx not valid", v.pfn);
	KUNIT_EXPECT_EQ_MSG(test, entry_pfn(v.pfn), page_to_pfn(dpage),
			    "entry %#lx is not the device pfn", v.pfn);
	KUNIT_EXPECT_EQ_MSG(test, (bool)(v.pfn & HMM_PFN_WRITE), p->writable,
			    "HMM_PFN_WRITE of entry %#lx for a %s device-private entry",
			    v.pfn, p->writable ? "writable" : "read-only");
	KUNIT_EXPECT_FALSE(test, v.pfn & HMM_PFN_ERROR);
	KUNIT_EXPECT_EQ(test, hmm_pfn_to_map_order(v.pfn), 0);
	KUNIT_EXPECT_TRUE(test, v.zone_device);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&ctx->dev->nr_migrate_to_ram), 0,
			    "hmm_range_fault() faulted the caller's own device page");
	KUNIT_EXPECT_EQ(test, page_ref_count(dpage), 1);
	KUNIT_EXPECT_NULL_MSG(test, zdt_mapped_page(ctx->addr),
			      "the page left the device");
}

/* Another owner's device-private page, faults asked for or not. */

struct other_param {
	const char *desc;
	bool no_owner;			/* dev_private_owner NULL, else another's */
	unsigned long default_flags;	/* range->default_flags */
	bool faults;			/* a fault was asked for */
};

static const struct other_param other_params[] = {
	{ "another owner, HMM_PFN_REQ_FAULT", false, HMM_PFN_REQ_FAULT, true },
	{ "no owner (NULL), HMM_PFN_REQ_FAULT", true, HMM_PFN_REQ_FAULT, true },
	{ "another owner, no fault requested", false, 0, false },
};

KUNIT_ARRAY_PARAM_DESC(other, other_params, desc);

/*
 * A device-private page of any other pgmap owner (none, for a driver without
 * device memory) is never reported to the caller: with HMM_PFN_REQ_FAULT
 * hmm_range_fault() faults it back to system RAM through the pgmap's
 * migrate_to_ram() and reports the system page; without it nothing is
 * faulted and the entry comes back without HMM_PFN_VALID
 * ("mm/hmm: fault non-owner device private entries", Ralph Campbell, 2022,
 * on top of 08ddddda667b "mm/hmm: check the device private page owner in
 * hmm_range_fault()"; include/linux/hmm.h, the output flags).  Succeeds if,
 * asked to fault, migrate_to_ram() ran once and the driver loop holds with
 * the system page the CPU maps now, with the data; else if migrate_to_ram()
 * never ran, the entry has neither HMM_PFN_VALID nor HMM_PFN_ERROR and the
 * page is still on the device.
 */
static void other_owner_gets_the_page_faulted_back_only_on_request(struct kunit *test)
{
	const struct other_param *p = test->param_value;
	struct hmm_ctx *ctx = test->priv;
	struct mirror_view v;
	struct page *dpage;
	int ret;

	ctx->addr = zdt_page_on_device(test, MEMORY_DEVICE_PRIVATE, &ctx->dev);
	dpage = zdt_device_page(ctx->dev, 0);
	mirror_request(mirror_create(test), p->default_flags,
		       p->no_owner ? NULL : &other_owner);

	ret = mirror_call(test, MIRROR_POPULATE);
	v = mirror_view(ctx->mirror);
	kunit_info(test, "driver loop: %d after %u passes, %u invalidations", ret,
		   ctx->mirror->tries, ctx->mirror->nr_events);

	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_EXPECT_FALSE(test, v.stale);
	if (!p->faults) {
		KUNIT_EXPECT_FALSE_MSG(test, v.pfn & HMM_PFN_VALID,
				       "entry %#lx valid: another owner's device page reported",
				       v.pfn);
		KUNIT_EXPECT_FALSE(test, v.pfn & HMM_PFN_ERROR);
		KUNIT_EXPECT_EQ_MSG(test, atomic_read(&ctx->dev->nr_migrate_to_ram), 0,
				    "faulted although no fault was requested");
		KUNIT_EXPECT_EQ(test, page_ref_count(dpage), 1);
		KUNIT_EXPECT_NULL(test, zdt_mapped_page(ctx->addr));
		return;
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->dev->nr_migrate_to_ram), 1);
	KUNIT_ASSERT_TRUE_MSG(test, v.pfn & HMM_PFN_VALID, "entry %#lx not valid", v.pfn);
	KUNIT_ASSERT_FALSE_MSG(test, v.zone_device,
			       "entry %#lx is a device page of another owner", v.pfn);
	KUNIT_EXPECT_PTR_EQ_MSG(test, v.page, zdt_mapped_page(ctx->addr),
				"the entry is not the page the CPU maps");
	KUNIT_EXPECT_TRUE_MSG(test, zdt_has_data(test, v.data, 0),
			      "the system page does not hold the page's data");
}

/*
 * The sequence protocol a mirroring driver is built on
 * (Documentation/mm/hmm.rst, "Address space mirroring implementation and
 * API"; mm/mmu_notifier.c): the driver takes a sequence with
 * mmu_interval_read_begin() and passes it to hmm_range_fault() in
 * range->notifier_seq; an invalidation of the range after that (here the CPU
 * touches the page and migrate_to_ram() moves it back) makes
 * mmu_interval_read_retry() true under the update lock, and makes
 * hmm_range_fault() with that sequence return -EBUSY; the documented loop
 * then goes round again and holds.  Succeeds if read_retry() is false before
 * the invalidation and true after it, the stale call returns -EBUSY, and the
 * loop then holds within MIRROR_TRIES passes with the system page the CPU
 * maps, with the data.
 */
static void invalidation_after_read_begin_forces_a_retry(struct kunit *test)
{
	struct hmm_ctx *ctx = test->priv;
	struct mirror_view before, after, now;
	unsigned int seen;
	struct mirror *mi;
	u8 buf[ZDT_DATA_LEN];
	int ret, stale_ret;

	ctx->addr = zdt_page_on_device(test, MEMORY_DEVICE_PRIVATE, &ctx->dev);
	mi = mirror_create(test);
	mirror_request(mi, HMM_PFN_REQ_FAULT, ctx->dev);

	ret = mirror_call(test, MIRROR_FAULT);
	before = mirror_view(mi);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_ASSERT_FALSE_MSG(test, before.stale,
			       "mmu_interval_read_retry() true with nothing invalidated");
	KUNIT_ASSERT_EQ(test, entry_pfn(before.pfn),
			page_to_pfn(zdt_device_page(ctx->dev, 0)));

	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, ctx->dev, ctx->addr, buf), 0);
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, 0));
	after = mirror_view(mi);
	seen = READ_ONCE(mi->nr_events);
	stale_ret = mirror_call(test, MIRROR_FAULT_STALE);
	ret = mirror_call(test, MIRROR_POPULATE);
	now = mirror_view(mi);
	kunit_info(test, "%u invalidations, then the driver loop: %d after %u passes",
		   seen, ret, mi->tries);

	KUNIT_EXPECT_GT_MSG(test, seen, 0, "migrating the page back invalidated nothing");
	KUNIT_EXPECT_TRUE_MSG(test, after.stale,
			      "mmu_interval_read_retry() false after an invalidation: the driver keeps a page that moved");
	KUNIT_EXPECT_EQ_MSG(test, stale_ret, -EBUSY,
			    "hmm_range_fault() with an invalidated sequence");
	KUNIT_ASSERT_EQ_MSG(test, ret, 0, "the driver loop did not hold in %d passes",
			    MIRROR_TRIES);
	KUNIT_EXPECT_FALSE(test, now.stale);
	KUNIT_ASSERT_TRUE(test, now.pfn & HMM_PFN_VALID);
	KUNIT_EXPECT_FALSE(test, now.zone_device);
	KUNIT_EXPECT_PTR_EQ(test, now.page, zdt_mapped_page(ctx->addr));
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, now.data, 0));
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->dev->nr_migrate_to_ram), 1);
}

/* Which migration the notifier watches. */

struct migrate_param {
	const char *desc;
	bool private;			/* a device-private page, else a system one */
	bool our_owner;			/* args->pgmap_owner is the device's */
};

static const struct migrate_param migrate_params[] = {
	{ "system page, SELECT_SYSTEM, the device's owner", false, true },
	{ "system page, SELECT_SYSTEM, another owner", false, false },
	{ "device-private page, SELECT_DEVICE_PRIVATE, its owner", true, true },
};

KUNIT_ARRAY_PARAM_DESC(migrate, migrate_params, desc);

/*
 * A driver's migration invalidates the range it collects with event
 * MMU_NOTIFY_MIGRATE and the migration's pgmap owner
 * (include/linux/mmu_notifier.h, MMU_NOTIFY_MIGRATE; migrate_vma_collect()
 * with mmu_notifier_range_init_owner(), mm/migrate_device.c), so that the
 * driver migrating can tell its own migration from any other invalidation
 * and skip it, as lib/test_hmm.c and nouveau do.  Succeeds if the notifier
 * saw at least one invalidation during migrate_vma_setup(), and every one it
 * saw was MMU_NOTIFY_MIGRATE with range->owner == args->pgmap_owner and
 * covered the page.
 */
static void migration_invalidates_with_its_event_and_owner(struct kunit *test)
{
	const struct migrate_param *p = test->param_value;
	struct hmm_ctx *ctx = test->priv;
	struct mirror_event events[MIRROR_EVENTS];
	unsigned int during_setup, total, nr, i;
	struct zdt_migration m;
	struct mirror *mi;
	void *owner;

	if (p->private) {
		ctx->addr = zdt_page_on_device(test, MEMORY_DEVICE_PRIVATE, &ctx->dev);
	} else {
		ctx->dev = zdt_device_create(test, MEMORY_DEVICE_PRIVATE, ZDT_DEVICE_PAGES);
		ctx->addr = zdt_user_pages(test, 1);
	}
	owner = p->our_owner ? (void *)ctx->dev : &other_owner;
	mi = mirror_create(test);

	zdt_migration_init(test, &m, ctx->addr, 1, owner,
			   p->private ? MIGRATE_VMA_SELECT_DEVICE_PRIVATE :
					MIGRATE_VMA_SELECT_SYSTEM);
	zdt_migration_setup(&m);
	during_setup = READ_ONCE(mi->nr_events);
	zdt_migration_finalize(&m);

	mutex_lock(&mi->lock);
	total = mi->nr_events;
	memcpy(events, mi->events, sizeof(events));
	mutex_unlock(&mi->lock);
	nr = min_t(unsigned int, total, MIRROR_EVENTS);
	kunit_info(test, "%u invalidations during setup, %u in all", during_setup, total);

	KUNIT_ASSERT_EQ(test, m.ret, 0);
	KUNIT_EXPECT_GT_MSG(test, during_setup, 0,
			    "migrate_vma_setup() did not invalidate the range it collects");
	for (i = 0; i < nr; i++) {
		KUNIT_EXPECT_EQ_MSG(test, events[i].event, MMU_NOTIFY_MIGRATE,
				    "event of invalidation %u", i);
		KUNIT_EXPECT_PTR_EQ_MSG(test, events[i].owner, owner,
					"owner of invalidation %u", i);
		KUNIT_EXPECT_LE_MSG(test, events[i].start, ctx->addr,
				    "start of invalidation %u", i);
		KUNIT_EXPECT_GE_MSG(test, events[i].end, ctx->addr + PAGE_SIZE,
				    "end of invalidation %u", i);
	}
}

static struct kunit_case zone_device_hmm_cases[] = {
	KUNIT_CASE_PARAM(owner_gets_its_device_pfn_without_a_fault, own_gen_params),
	KUNIT_CASE_PARAM(other_owner_gets_the_page_faulted_back_only_on_request,
			 other_gen_params),
	KUNIT_CASE(invalidation_after_read_begin_forces_a_retry),
	KUNIT_CASE_PARAM(migration_invalidates_with_its_event_and_owner,
			 migrate_gen_params),
	{}
};

static struct kunit_suite zone_device_hmm_suite = {
	.name = "zone_device_hmm",
	.init = hmm_init,
	.test_cases = zone_device_hmm_cases,
};

kunit_test_suite(zone_device_hmm_suite);

MODULE_DESCRIPTION("KUnit tests for hmm_range_fault() and MMU notifiers on device-private pages");
MODULE_LICENSE("GPL");
