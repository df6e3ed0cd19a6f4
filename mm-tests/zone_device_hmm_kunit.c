// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for what hmm_range_fault() and the mmu_interval_notifier promise
 * a driver that mirrors a process's address space into its device's page
 * table (mm/hmm.c, mm/mmu_notifier.c; Documentation/mm/hmm.rst, "Address
 * space mirroring implementation and API").
 *
 * Each case moves a page of the test's mm (or a PMD-mapped large folio) to a
 * fake device-private device (the fixture's), then mirrors it as a driver
 * does (struct mirror): the fixture's recording mmu_interval_notifier on
 * the range (zdt_notifier_create()), whose invalidate() records what it was
 * told and calls mmu_interval_set_seq() under the driver's update lock, and
 * the documented loop around
 * hmm_range_fault(): mmu_interval_read_begin(), the mmap read lock, -EBUSY
 * means again, then mmu_interval_read_retry() under the update lock.
 * hmm_range_fault() runs in a bounded thread of the fixture's
 * (zdt_thread_finish()): a fault that loops through migrate_to_ram() fails
 * the case instead of hanging it.
 */
#include <linux/anon_inodes.h>
#include <linux/delay.h>
#include <linux/dma-direct.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/hmm.h>
#include <linux/hugetlb.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/syscalls.h>
#include <kunit/device.h>
#include <kunit/test.h>

#include "zone_device_compat.h"
#include "zone_device_fixture.h"

/* Somebody else's pgmap owner: a device that is not ours. */
static int other_owner;

/*
 * How often the driver loop may go round before it gives up: the cases need
 * one pass, or two when the first one faults (the fault's migration
 * invalidates the range under hmm_range_fault()); the rest is for a page
 * compaction may move meanwhile.
 */
#define MIRROR_TRIES		8

/* How long the driver loop may go round at most (it takes microseconds). */
#define MIRROR_MS		ZDT_ACCESS_MS

/*
 * The retries one hmm_range_fault_unlocked_timeout() may take at most: well
 * inside the bound on the thread that calls it (zdt_thread_finish()).
 */
#define UNLOCKED_TIMEOUT_MS	(ZDT_ACCESS_MS / 4)

/*
 * A driver's mirror of npages pages of the test's mm: the range it asks
 * hmm_range_fault() for, and its recording notifier (the fixture's, whose
 * lock is the driver's update lock).
 */
struct mirror {
	struct zdt_notifier *n;
	struct hmm_range range;
	unsigned int max_tries;		/* mirror_populate()'s bounds: passes */
	unsigned int max_ms;		/* ... and time */
	unsigned int tries;		/* passes of the last mirror_populate() */
	unsigned long npages;
	unsigned long pfns[];		/* range.hmm_pfns, npages of them */
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
 * A mirror of @npages pages from ctx->addr: its notifier inserted on the
 * test's mm and handed to KUnit after the pages' mapping, so that it is
 * removed before they are unmapped.  The driver loop is bounded by
 * MIRROR_TRIES passes and MIRROR_MS unless the case says otherwise.
 */
static struct mirror *mirror_create_pages(struct kunit *test,
					  unsigned long npages)
{
	struct hmm_ctx *ctx = test->priv;
	struct mirror *mi;

	mi = kunit_kzalloc(test, struct_size(mi, pfns, npages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, mi);
	mi->n = zdt_notifier_create(test, ctx->addr, npages * PAGE_SIZE);
	mi->npages = npages;
	mi->max_tries = MIRROR_TRIES;
	mi->max_ms = MIRROR_MS;
	mi->range.notifier = &mi->n->notifier;
	mi->range.start = ctx->addr;
	mi->range.end = ctx->addr + npages * PAGE_SIZE;
	mi->range.hmm_pfns = mi->pfns;
	ctx->mirror = mi;
	return mi;
}

/* A mirror of the page at ctx->addr. */
static struct mirror *mirror_create(struct kunit *test)
{
	return mirror_create_pages(test, 1);
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
	struct mm_struct *mm = mi->n->notifier.mm;
	int ret;

	memset(mi->pfns, 0, mi->npages * sizeof(mi->pfns[0]));
	if (fresh)
		mi->range.notifier_seq = mmu_interval_read_begin(&mi->n->notifier);
	mmap_read_lock(mm);
	ret = hmm_range_fault(&mi->range);
	mmap_read_unlock(mm);
	return ret;
}

/*
 * Documentation/mm/hmm.rst's driver_populate_range(), at most mi->max_tries
 * passes and mi->max_ms (as drivers bound it, with HMM_RANGE_DEFAULT_TIMEOUT):
 * -EBUSY from hmm_range_fault() or a true mmu_interval_read_retry() under the
 * update lock means again.
 *
 * Return: 0 once a pass held, the error of hmm_range_fault(), or -EBUSY
 * after max_tries passes or max_ms.
 */
static int mirror_populate(struct mirror *mi)
{
	ktime_t start = ktime_get();
	int ret = -EBUSY;
	unsigned int i;
	bool retry;

	for (i = 1; i <= mi->max_tries; i++) {
		if (i > 1 && ktime_ms_delta(ktime_get(), start) >= mi->max_ms)
			break;
		mi->tries = i;
		ret = mirror_fault(mi, true);
		if (ret == -EBUSY)
			continue;
		if (ret)
			return ret;
		mutex_lock(&mi->n->lock);
		retry = mmu_interval_read_retry(&mi->n->notifier, mi->range.notifier_seq);
		mutex_unlock(&mi->n->lock);
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
	MIRROR_UNLOCKED,	/* one hmm_range_fault_unlocked_timeout() */
};

static void mirror_thread_fn(struct zdt_thread *t)
{
	struct hmm_ctx *ctx = t->test->priv;

	if (t->flags == MIRROR_POPULATE) {
		t->ret = mirror_populate(ctx->mirror);
	} else if (t->flags == MIRROR_UNLOCKED) {
		memset(ctx->mirror->pfns, 0,
		       ctx->mirror->npages * sizeof(ctx->mirror->pfns[0]));
		t->ret = zdt_hmm_range_fault_unlocked(&ctx->mirror->range,
						      msecs_to_jiffies(UNLOCKED_TIMEOUT_MS));
	} else {
		t->ret = mirror_fault(ctx->mirror, t->flags == MIRROR_FAULT);
	}
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

	mutex_lock(&mi->n->lock);
	v.pfn = mi->pfns[0];
	v.stale = mmu_interval_read_retry(&mi->n->notifier, mi->range.notifier_seq);
	if (!v.stale && (v.pfn & HMM_PFN_VALID)) {
		v.page = hmm_pfn_to_page(v.pfn);
		v.zone_device = is_zone_device_page(v.page);
		if (!v.zone_device)
			memcpy_from_page((char *)v.data, v.page, 0, sizeof(v.data));
	}
	mutex_unlock(&mi->n->lock);
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
		   ctx->mirror->tries, READ_ONCE(ctx->mirror->n->nr_events));

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
	seen = READ_ONCE(mi->n->nr_events);
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
	struct zdt_notifier_event events[ZDT_NOTIFIER_EVENTS];
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
	during_setup = READ_ONCE(mi->n->nr_events);
	zdt_migration_finalize(&m);

	total = zdt_notifier_events(mi->n, events);
	nr = min_t(unsigned int, total, ZDT_NOTIFIER_EVENTS);
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

/* A PMD-mapped device-private folio, mirrored by its owner or another. */

struct pmd_param {
	const char *desc;
	bool own;			/* dev_private_owner is the device's */
	unsigned long default_flags;	/* range->default_flags */
};

static const struct pmd_param pmd_params[] = {
	{ "its owner, HMM_PFN_REQ_FAULT", true, HMM_PFN_REQ_FAULT },
	{ "its owner, no fault requested", true, 0 },
	{ "another owner, HMM_PFN_REQ_FAULT", false, HMM_PFN_REQ_FAULT },
};

KUNIT_ARRAY_PARAM_DESC(pmd, pmd_params, desc);

/* What a driver may use of the last hmm_range_fault() of a PMD's mirror. */
struct pmd_view {
	bool stale;			/* mmu_interval_read_retry() was true */
	unsigned long first;		/* entry 0 */
	unsigned long valid;		/* entries with HMM_PFN_VALID */
	unsigned long write;		/* ... with HMM_PFN_WRITE */
	unsigned long error;		/* ... with HMM_PFN_ERROR */
	unsigned long pmd_order;	/* ... of map order PMD_SHIFT - PAGE_SHIFT */
	unsigned long in_order;		/* ... whose pfn is entry 0's + its index */
	unsigned long zone_device;	/* valid ones behind a ZONE_DEVICE page */
	struct page *middle;		/* behind entry ZDT_PMD_MIDDLE, if valid */
	u8 data[ZDT_DATA_LEN];		/* ... its first bytes, if not ZONE_DEVICE */
};

/* mirror_view() for every entry of a PMD-wide mirror. */
static struct pmd_view pmd_view(struct mirror *mi)
{
	struct pmd_view v = { };
	unsigned long i;

	mutex_lock(&mi->n->lock);
	v.stale = mmu_interval_read_retry(&mi->n->notifier, mi->range.notifier_seq);
	v.first = mi->pfns[0];
	for (i = 0; !v.stale && i < mi->npages; i++) {
		unsigned long e = mi->pfns[i];

		v.write += !!(e & HMM_PFN_WRITE);
		v.error += !!(e & HMM_PFN_ERROR);
		if (!(e & HMM_PFN_VALID))
			continue;
		v.valid++;
		v.pmd_order += hmm_pfn_to_map_order(e) == PMD_SHIFT - PAGE_SHIFT;
		v.in_order += entry_pfn(e) == entry_pfn(v.first) + i;
		v.zone_device += is_zone_device_page(hmm_pfn_to_page(e));
	}
	if (!v.stale && (mi->pfns[ZDT_PMD_MIDDLE] & HMM_PFN_VALID)) {
		v.middle = hmm_pfn_to_page(mi->pfns[ZDT_PMD_MIDDLE]);
		if (!is_zone_device_page(v.middle))
			memcpy_from_page((char *)v.data, v.middle, 0, sizeof(v.data));
	}
	mutex_unlock(&mi->n->lock);
	return v;
}

/*
 * A large device-private folio mapped by one PMD-level entry is mirrored
 * whole (hmm_vma_handle_absent_pmd(), mm/hmm.c, with large device-private
 * folios in 6.19): to its pgmap owner hmm_range_fault() reports every page
 * of the range as its device pfn with HMM_PFN_VALID, HMM_PFN_WRITE as the
 * entry is writable and map order PMD_SHIFT - PAGE_SHIFT, and faults
 * nothing, fault requested or not; for another owner, HMM_PFN_REQ_FAULT
 * faults the folio back through do_huge_pmd_device_private() and
 * migrate_to_ram(), once, and the system pages are reported.  Succeeds if
 * the driver loop holds and all PTRS_PER_PMD entries are valid and writable
 * without an error, and: for the owner, they are the folio's pfns in order
 * at PMD order, migrate_to_ram() never ran and the folio is still on the
 * device at refcount 1; for another owner, migrate_to_ram() ran once, no
 * entry is a ZONE_DEVICE page, and the middle one is the page the CPU maps,
 * with the data.
 */
static void device_pmd_reported_whole_to_its_owner_faulted_back_for_others(struct kunit *test)
{
	const struct pmd_param *p = test->param_value;
	struct hmm_ctx *ctx = test->priv;
	struct page *dpage = zdt_pmd_on_device(test, &ctx->dev, &ctx->addr);
	unsigned long n = PTRS_PER_PMD;
	struct pmd_view v;
	int ret;

	zdt_put_data(test, zdt_page_data(dpage + ZDT_PMD_MIDDLE), ZDT_PMD_MIDDLE);
	mirror_request(mirror_create_pages(test, n), p->default_flags,
		       p->own ? (void *)ctx->dev : &other_owner);

	ret = mirror_call(test, MIRROR_POPULATE);
	v = pmd_view(ctx->mirror);
	kunit_info(test, "driver loop: %d after %u passes; entry 0 %#lx, %lu/%lu valid, %lu at PMD order",
		   ret, ctx->mirror->tries, v.first, v.valid, n, v.pmd_order);

	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_ASSERT_FALSE(test, v.stale);
	KUNIT_EXPECT_EQ(test, v.valid, n);
	KUNIT_EXPECT_EQ_MSG(test, v.write, n, "entries with HMM_PFN_WRITE");
	KUNIT_EXPECT_EQ(test, v.error, 0);
	if (p->own) {
		KUNIT_EXPECT_EQ_MSG(test, entry_pfn(v.first), page_to_pfn(dpage),
				    "entry 0 %#lx is not the folio's head pfn", v.first);
		KUNIT_EXPECT_EQ_MSG(test, v.in_order, n, "entries at the folio's pfns in order");
		KUNIT_EXPECT_EQ_MSG(test, v.pmd_order, n,
				    "entries of map order %d (entry 0 has %u)",
				    PMD_SHIFT - PAGE_SHIFT, hmm_pfn_to_map_order(v.first));
		KUNIT_EXPECT_EQ(test, v.zone_device, n);
		KUNIT_EXPECT_EQ_MSG(test, atomic_read(&ctx->dev->nr_migrate_to_ram), 0,
				    "hmm_range_fault() faulted the caller's own device folio");
		KUNIT_EXPECT_EQ(test, folio_ref_count(page_folio(dpage)), 1);
		KUNIT_EXPECT_NULL_MSG(test, zdt_mapped_page(ctx->addr),
				      "the folio left the device");
		return;
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->dev->nr_migrate_to_ram), 1);
	KUNIT_EXPECT_EQ_MSG(test, v.zone_device, 0,
			    "entries at a device page of another owner");
	KUNIT_EXPECT_PTR_EQ_MSG(test, v.middle,
				zdt_mapped_page(ctx->addr + ZDT_PMD_MIDDLE * PAGE_SIZE),
				"the middle entry is not the page the CPU maps");
	KUNIT_EXPECT_TRUE_MSG(test, zdt_has_data(test, v.data, ZDT_PMD_MIDDLE),
			      "the system page does not hold the folio's data");
}

/*
 * How long the contended case watches the mirroring thread at least while
 * the test holds the folio lock, and how many faults it may take: the first,
 * which finds the folio locked and sleeps, and one spare.  The driver loop
 * may go round for the whole watch and the finish after it.
 */
#define CONTENDED_WINDOW_MS	300
#define CONTENDED_MAX_FAULTS	2
#define CONTENDED_TRIES		1000000
#define CONTENDED_MS		(3000 + 2 * ZDT_ACCESS_MS)

/*
 * hmm_range_fault() asked to fault another owner's device-private page that
 * someone else holds locked (the owner migrating it) sleeps on the folio
 * lock in the fault instead of re-walking and re-faulting in a loop, and
 * completes once the lock is dropped (b570f37a2ce4 "mm: Fix a
 * hmm_range_fault() livelock / starvation problem": do_swap_page() waits
 * with softleaf_entry_wait_on_locked()).  The driver loop runs in a thread,
 * bounded in passes and time.  A spinning kernel fails one expectation, "the
 * fault spins" (configs/known-failures names it for 6.12).  Succeeds if,
 * with the folio locked, the thread took at most CONTENDED_MAX_FAULTS faults
 * and was asleep, and after the unlock the loop held within ZDT_ACCESS_MS
 * with the system page the CPU maps, with the data, migrated once.
 */
static void contended_hmm_fault_sleeps_instead_of_spinning(struct kunit *test)
{
	struct hmm_ctx *ctx = test->priv;
	struct mirror_view v;
	struct zdt_blocked b;
	struct zdt_thread *t;
	struct mirror *mi;
	bool waiting;

	ctx->addr = zdt_page_on_device(test, MEMORY_DEVICE_PRIVATE, &ctx->dev);
	mi = mirror_create(test);
	mirror_request(mi, HMM_PFN_REQ_FAULT, &other_owner);
	mi->max_tries = CONTENDED_TRIES;
	mi->max_ms = CONTENDED_MS;

	zdt_lock_page(test, zdt_device_page(ctx->dev, 0));
	t = zdt_thread_create(test, "hmm_range_fault", mirror_thread_fn);
	t->flags = MIRROR_POPULATE;
	zdt_thread_start(t);
	b = zdt_thread_watch(t, CONTENDED_WINDOW_MS, CONTENDED_MAX_FAULTS);
	waiting = zdt_thread_waiting(t);
	zdt_unlock_page(test, zdt_device_page(ctx->dev, 0));
	kunit_info(test, "%lu faults in %u ms with the folio locked, mirroring thread %s",
		   b.faults, b.ms, b.done ? "done" : b.asleep ? "asleep" : "not asleep");

	zdt_expect_asleep(test, b, CONTENDED_MAX_FAULTS, "mirroring thread",
			  "hmm_range_fault()");
	if (b.asleep)
		KUNIT_EXPECT_TRUE_MSG(test, waiting,
				      "the mirroring thread no longer waited when the folio was unlocked");
	zdt_thread_finish(test, t, ctx->dev, "after the unlock");
	v = mirror_view(mi);
	kunit_info(test, "driver loop: %ld after %u passes", t->ret, mi->tries);

	KUNIT_ASSERT_EQ(test, t->ret, 0);
	KUNIT_EXPECT_FALSE(test, v.stale);
	KUNIT_ASSERT_TRUE_MSG(test, v.pfn & HMM_PFN_VALID, "entry %#lx not valid", v.pfn);
	KUNIT_EXPECT_FALSE_MSG(test, v.zone_device,
			       "entry %#lx is a device page of another owner", v.pfn);
	KUNIT_EXPECT_PTR_EQ(test, v.page, zdt_mapped_page(ctx->addr));
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, v.data, 0));
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->dev->nr_migrated_to_ram), 1);
}

/* Pages the range cases mirror: a few, each checked on its own. */
#define RANGE_PAGES		3

/* What a driver may use of the last hmm_range_fault() of a few pages. */
struct range_view {
	bool stale;			/* mmu_interval_read_retry() was true */
	unsigned long pfn[RANGE_PAGES];	/* the entries reported */
	struct page *page[RANGE_PAGES];	/* behind each valid one, if not stale */
};

/*
 * mirror_view() for the first RANGE_PAGES entries of a mirror: the entries,
 * and the page behind each valid one, taken under the update lock while the
 * sequence holds.  With @write, the device writes: the case's data for tag i
 * goes into the first bytes of the page behind entry i, through the pfn
 * reported, as a device would through its own page table: only through an
 * entry reported writable (never into the shared zero page).
 */
static struct range_view range_view(struct kunit *test, struct mirror *mi,
				    bool write)
{
	struct range_view v = { };
	u8 data[RANGE_PAGES][ZDT_DATA_LEN];
	unsigned long i;

	/*
	 * The data first: zdt_put_data() logs, and an allocation under the
	 * notifier's lock, which invalidate_range_start() takes, is a lock
	 * inversion with reclaim (lockdep, with MEMCG).
	 */
	for (i = 0; write && i < RANGE_PAGES; i++)
		zdt_put_data(test, data[i], i);
	mutex_lock(&mi->n->lock);
	v.stale = mmu_interval_read_retry(&mi->n->notifier, mi->range.notifier_seq);
	for (i = 0; i < RANGE_PAGES && i < mi->npages; i++) {
		v.pfn[i] = mi->pfns[i];
		if (v.stale || !(v.pfn[i] & HMM_PFN_VALID))
			continue;
		v.page[i] = hmm_pfn_to_page(v.pfn[i]);
		if (write && (v.pfn[i] & HMM_PFN_WRITE) && !is_zone_device_page(v.page[i]))
			memcpy_to_page(v.page[i], 0, (char *)data[i], ZDT_DATA_LEN);
	}
	mutex_unlock(&mi->n->lock);
	return v;
}

/*
 * A PMD-aligned range of private anonymous memory never touched, inside a
 * mapping twice that size, so that no other mapping shares its PMD: no page
 * table is under it yet, and hmm_range_fault() finds a hole there
 * (hmm_vma_walk_hole(), from the walk's pte_hole or hmm_vma_walk_pmd()).
 *
 * Return: its user address.
 */
static unsigned long untouched_range(struct kunit *test)
{
	return ALIGN(zdt_user_map(test, 2 * PMD_SIZE), PMD_SIZE);
}

/* A hole, with a fault asked for or not. */

struct hole_param {
	const char *desc;
	unsigned long default_flags;	/* range->default_flags */
};

static const struct hole_param hole_params[] = {
	{ "no fault requested", 0 },
	{ "HMM_PFN_REQ_FAULT | HMM_PFN_REQ_WRITE", HMM_PFN_REQ_FAULT | HMM_PFN_REQ_WRITE },
};

KUNIT_ARRAY_PARAM_DESC(hole, hole_params, desc);

/*
 * Memory of a vma that nothing maps yet, no page table under it (a hole,
 * hmm_vma_walk_hole()), is faulted in only on request: without
 * HMM_PFN_REQ_FAULT hmm_range_fault() succeeds with every entry 0, "the page
 * is faultable and a future call with HMM_PFN_REQ_FAULT could succeed", and
 * maps nothing; with HMM_PFN_REQ_FAULT | HMM_PFN_REQ_WRITE it faults every
 * page in for writing through the generic fault path, "just like a CPU page
 * fault", and reports it valid and writable, so that what the device writes
 * through the pfn is what the process reads (include/linux/hmm.h, the output
 * flags; Documentation/mm/hmm.rst, "Address space mirroring implementation
 * and API").  Succeeds if the driver loop holds and, without a request,
 * every entry is 0 and the CPU maps no page there; with one, every entry is
 * valid and writable without an error, is the page the CPU maps there now,
 * and data written through it is what a CPU read of the address returns.
 */
static void hole_faulted_in_only_on_request(struct kunit *test)
{
	const struct hole_param *p = test->param_value;
	struct hmm_ctx *ctx = test->priv;
	bool fault = p->default_flags & HMM_PFN_REQ_FAULT;
	u8 buf[ZDT_DATA_LEN];
	struct range_view v;
	struct mirror *mi;
	unsigned long i;
	int ret;

	ctx->addr = untouched_range(test);
	mi = mirror_create_pages(test, RANGE_PAGES);
	mirror_request(mi, p->default_flags, NULL);

	ret = mirror_call(test, MIRROR_POPULATE);
	v = range_view(test, mi, fault);
	kunit_info(test, "driver loop: %d after %u passes; entry 0 %#lx", ret, mi->tries,
		   v.pfn[0]);

	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_ASSERT_FALSE(test, v.stale);
	for (i = 0; i < RANGE_PAGES; i++) {
		unsigned long addr = ctx->addr + i * PAGE_SIZE;

		if (!fault) {
			KUNIT_EXPECT_EQ_MSG(test, v.pfn[i], 0,
					    "entry %lu of a hole without a fault request", i);
			KUNIT_EXPECT_NULL_MSG(test, zdt_mapped_page(addr),
					      "page %lu faulted in without a request", i);
			continue;
		}
		KUNIT_EXPECT_TRUE_MSG(test, v.pfn[i] & HMM_PFN_VALID,
				      "entry %lu %#lx not valid", i, v.pfn[i]);
		KUNIT_EXPECT_TRUE_MSG(test, v.pfn[i] & HMM_PFN_WRITE,
				      "entry %lu %#lx not writable", i, v.pfn[i]);
		KUNIT_EXPECT_FALSE(test, v.pfn[i] & HMM_PFN_ERROR);
		if (!v.page[i])
			continue;
		KUNIT_EXPECT_PTR_EQ_MSG(test, v.page[i], zdt_mapped_page(addr),
					"entry %lu is not the page the CPU maps", i);
		KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, NULL, addr, buf), 0);
		KUNIT_EXPECT_TRUE_MSG(test, zdt_has_data(test, buf, i),
				      "the CPU does not read what went through entry %lu", i);
	}
}

/* What makes the middle page of three unreadable. */
enum unreadable {
	UNREADABLE_NO_VMA,		/* unmapped: no vma */
	UNREADABLE_PROT_NONE,		/* a vma without VM_READ */
};

struct unreadable_param {
	const char *desc;
	enum unreadable what;
	unsigned long default_flags;	/* range->default_flags */
};

static const struct unreadable_param unreadable_params[] = {
	{ "no vma, no fault requested", UNREADABLE_NO_VMA, 0 },
	{ "no vma, HMM_PFN_REQ_FAULT", UNREADABLE_NO_VMA, HMM_PFN_REQ_FAULT },
	{ "PROT_NONE vma, no fault requested", UNREADABLE_PROT_NONE, 0 },
	{ "PROT_NONE vma, HMM_PFN_REQ_FAULT", UNREADABLE_PROT_NONE, HMM_PFN_REQ_FAULT },
};

KUNIT_ARRAY_PARAM_DESC(unreadable, unreadable_params, desc);

/*
 * Three pages of the test's mm, each with the case's data, the middle one
 * then made unreadable @what way: unmapped, or mapped again PROT_NONE in
 * place (MAP_FIXED).  The whole range stays the fixture's to unmap.
 *
 * Return: the user address of page 0.
 */
static unsigned long pages_with_unreadable_middle(struct kunit *test,
						  enum unreadable what)
{
	unsigned long addr = zdt_user_pages(test, RANGE_PAGES);
	unsigned long middle = addr + PAGE_SIZE;

	if (what == UNREADABLE_NO_VMA) {
		KUNIT_ASSERT_EQ(test, vm_munmap(middle, PAGE_SIZE), 0);
	} else {
		KUNIT_ASSERT_EQ(test, vm_mmap(NULL, middle, PAGE_SIZE, PROT_NONE,
					      MAP_ANONYMOUS | MAP_PRIVATE | MAP_FIXED, 0),
				middle);
	}
	return addr;
}

/*
 * What the process cannot read, hmm_range_fault() never reports valid: an
 * address with no vma (hmm_vma_walk_hole() without walk->vma) or in a vma
 * without VM_READ (or VM_IO / VM_PFNMAP: hmm_vma_walk_test()) is
 * HMM_PFN_ERROR, "accessing the pfn is impossible and the device should
 * fail", and the rest of the range is still reported; with HMM_PFN_REQ_FAULT
 * the call fails with -EFAULT, "a page was requested to be valid and could
 * not be made valid ie it has no backing VMA or it is illegal to access"
 * (9cee0e8c6f1e "mm/hmm: return error for non-vma snapshots"; d28c2c9a4877
 * "mm/hmm: make full use of walk_page_range()"; include/linux/hmm.h and
 * hmm_range_fault()'s kernel-doc).  Succeeds if, without a request, the
 * driver loop holds with the middle entry HMM_PFN_ERROR and not valid and
 * both others valid, each the page the CPU maps there, with its data; with
 * one, the driver loop fails with -EFAULT.
 */
static void unreadable_range_reported_as_error_refused_on_request(struct kunit *test)
{
	const struct unreadable_param *p = test->param_value;
	struct hmm_ctx *ctx = test->priv;
	u8 data[ZDT_DATA_LEN];
	struct range_view v;
	struct mirror *mi;
	unsigned long i;
	int ret;

	ctx->addr = pages_with_unreadable_middle(test, p->what);
	mi = mirror_create_pages(test, RANGE_PAGES);
	mirror_request(mi, p->default_flags, NULL);

	ret = mirror_call(test, MIRROR_POPULATE);
	v = range_view(test, mi, false);
	kunit_info(test, "driver loop: %d after %u passes; entries %#lx %#lx %#lx", ret,
		   mi->tries, v.pfn[0], v.pfn[1], v.pfn[2]);

	if (p->default_flags & HMM_PFN_REQ_FAULT) {
		KUNIT_EXPECT_EQ_MSG(test, ret, -EFAULT,
				    "a fault requested on an unreadable page");
		return;
	}
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_ASSERT_FALSE(test, v.stale);
	KUNIT_EXPECT_TRUE_MSG(test, v.pfn[1] & HMM_PFN_ERROR,
			      "unreadable entry %#lx without HMM_PFN_ERROR", v.pfn[1]);
	KUNIT_EXPECT_FALSE_MSG(test, v.pfn[1] & HMM_PFN_VALID,
			       "unreadable entry %#lx valid", v.pfn[1]);
	for (i = 0; i < RANGE_PAGES; i += 2) {
		KUNIT_EXPECT_TRUE_MSG(test, v.pfn[i] & HMM_PFN_VALID,
				      "entry %lu %#lx beside it not valid", i, v.pfn[i]);
		if (!v.page[i])
			continue;
		KUNIT_EXPECT_PTR_EQ(test, v.page[i],
				    zdt_mapped_page(ctx->addr + i * PAGE_SIZE));
		memcpy_from_page((char *)data, v.page[i], 0, sizeof(data));
		KUNIT_EXPECT_TRUE_MSG(test, zdt_has_data(test, data, i),
				      "entry %lu is not the page with its data", i);
	}
}

/* A device-exclusive entry, with a fault asked for or not. */

struct excl_param {
	const char *desc;
	unsigned long default_flags;	/* range->default_flags */
};

static const struct excl_param excl_params[] = {
	{ "HMM_PFN_REQ_FAULT", HMM_PFN_REQ_FAULT },
	{ "no fault requested", 0 },
};

KUNIT_ARRAY_PARAM_DESC(excl, excl_params, desc);

/*
 * A device-exclusive entry (make_device_exclusive(), a driver's atomics) is
 * faulted, never reported, by hmm_range_fault(): with HMM_PFN_REQ_FAULT it
 * goes through the CPU fault path, which restores the original mapping and
 * tells the notifiers, and the original page is reported valid; without it
 * the entry is left alone and reported 0 (b756a3b5e7ea "mm: device
 * exclusive memory access": hmm_vma_handle_pte() faults device-exclusive
 * entries; Documentation/mm/hmm.rst, "Exclusive access memory").  Succeeds
 * if the driver loop holds and, with a request, the entry is valid and is
 * the page taken exclusive, with its data, which the CPU maps again, after
 * at least one invalidation of the range; without one, the entry has
 * neither HMM_PFN_VALID nor HMM_PFN_ERROR and the CPU still maps nothing
 * there.
 */
static void exclusive_entry_restored_only_on_request(struct kunit *test)
{
	const struct excl_param *p = test->param_value;
	struct hmm_ctx *ctx = test->priv;
	struct page *page, *excl;
	struct mm_struct *mm;
	struct mirror_view v;
	struct mirror *mi;
	unsigned int seen;
	int ret;

	if (!IS_ENABLED(CONFIG_DEVICE_PRIVATE))
		zdt_skip(test, "%s", ZDT_NO_DEVICE_EXCLUSIVE);
	ctx->addr = zdt_user_pages(test, 1);
	mm = current->mm;	/* the test's, since its first mapping */
	page = zdt_mapped_page(ctx->addr);
	KUNIT_ASSERT_NOT_NULL(test, page);
	mi = mirror_create(test);
	mirror_request(mi, p->default_flags, &other_owner);

	mmap_read_lock(mm);
	excl = zdt_make_device_exclusive(mm, ctx->addr, &other_owner);
	mmap_read_unlock(mm);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR_OR_NULL(excl), "make_device_exclusive: %pe", excl);
	zdt_own_page(test, excl);
	zdt_own_page_lock(test, excl);
	KUNIT_ASSERT_PTR_EQ(test, excl, page);
	zdt_unlock_page(test, excl);
	zdt_put_page(test, excl);
	KUNIT_ASSERT_NULL(test, zdt_mapped_page(ctx->addr));
	seen = READ_ONCE(mi->n->nr_events);

	ret = mirror_call(test, MIRROR_POPULATE);
	v = mirror_view(mi);
	kunit_info(test, "driver loop: %d after %u passes; entry %#lx, %u invalidations",
		   ret, mi->tries, v.pfn, READ_ONCE(mi->n->nr_events) - seen);

	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_EXPECT_FALSE(test, v.stale);
	if (!(p->default_flags & HMM_PFN_REQ_FAULT)) {
		KUNIT_EXPECT_FALSE_MSG(test, v.pfn & HMM_PFN_VALID,
				       "device-exclusive entry reported valid: %#lx", v.pfn);
		KUNIT_EXPECT_FALSE(test, v.pfn & HMM_PFN_ERROR);
		KUNIT_EXPECT_NULL_MSG(test, zdt_mapped_page(ctx->addr),
				      "exclusive access ended without a fault request");
		return;
	}
	KUNIT_ASSERT_TRUE_MSG(test, v.pfn & HMM_PFN_VALID, "entry %#lx not valid", v.pfn);
	KUNIT_EXPECT_PTR_EQ_MSG(test, v.page, page, "the entry is not the page taken exclusive");
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, v.data, 0));
	KUNIT_EXPECT_PTR_EQ_MSG(test, zdt_mapped_page(ctx->addr), page,
				"the original mapping is not restored");
	KUNIT_EXPECT_GT_MSG(test, READ_ONCE(mi->n->nr_events), seen,
			    "exclusive access ended without an invalidation");
}

/*
 * hmm_range_fault_unlocked_timeout(), "the normal interface" for a driver
 * populating its mirror, takes the mmap lock itself, and when the range is
 * invalidated under it (here by the fault it takes: another owner's
 * device-private page migrated back to RAM) takes a new
 * range->notifier_seq and walks again, so that it returns 0 only with a
 * sequence that postdates every invalidation of what it reported: the one
 * the driver then checks with mmu_interval_read_retry() under its update
 * lock (its kernel-doc, mm/hmm.c; Documentation/mm/hmm.rst, "Address space
 * mirroring implementation and API", 7.3).  Succeeds if one call, without
 * the mmap lock, returns 0, the range was invalidated during it,
 * migrate_to_ram() ran once, mmu_interval_read_retry() is false with the
 * sequence the call left, and the entry is the system page the CPU maps,
 * with the data.
 */
static void unlocked_fault_leaves_a_sequence_that_holds(struct kunit *test)
{
	struct hmm_ctx *ctx = test->priv;
	struct mirror_view v;
	struct mirror *mi;
	int ret;

	if (!ZDT_HAS_HMM_RANGE_FAULT_UNLOCKED)
		zdt_skip(test, "%s", ZDT_NO_HMM_RANGE_FAULT_UNLOCKED);
	ctx->addr = zdt_page_on_device(test, MEMORY_DEVICE_PRIVATE, &ctx->dev);
	mi = mirror_create(test);
	mirror_request(mi, HMM_PFN_REQ_FAULT, &other_owner);

	ret = mirror_call(test, MIRROR_UNLOCKED);
	v = mirror_view(mi);
	kunit_info(test, "hmm_range_fault_unlocked_timeout(): %d, %u invalidations, entry %#lx",
		   ret, READ_ONCE(mi->n->nr_events), v.pfn);

	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_EXPECT_GT_MSG(test, READ_ONCE(mi->n->nr_events), 0,
			    "the fault back to RAM invalidated nothing");
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->dev->nr_migrate_to_ram), 1);
	KUNIT_ASSERT_FALSE_MSG(test, v.stale,
			       "mmu_interval_read_retry() true with the sequence the call left");
	KUNIT_ASSERT_TRUE_MSG(test, v.pfn & HMM_PFN_VALID, "entry %#lx not valid", v.pfn);
	KUNIT_EXPECT_FALSE_MSG(test, v.zone_device,
			       "entry %#lx is a device page of another owner", v.pfn);
	KUNIT_EXPECT_PTR_EQ(test, v.page, zdt_mapped_page(ctx->addr));
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, v.data, 0));
}

/*
 * How long the migrating case watches the mirroring thread at least while
 * the page is mid-migration, and how many faults it may take meanwhile (it
 * needs none: the walk waits on the migration entry itself; one spare).
 */
#define MIGRATING_WINDOW_MS	200
#define MIGRATING_MAX_FAULTS	1

/*
 * hmm_range_fault() asked to fault a page under migration (a migration
 * entry, here its driver evicting its device-private page to RAM) sleeps
 * until the migration ends, in migration_entry_wait(), instead of
 * re-walking in a loop or failing, and then reports the page the migration
 * left there (mm/hmm.c, hmm_vma_handle_pte(): wait, then -EBUSY to walk
 * again; the migration entries of 8763cb45ab96 "mm/migrate: new memory
 * migration helper for use with device memory"; Documentation/mm/hmm.rst,
 * "Migration to and from device memory").  Succeeds if, while the test
 * holds the page mid-migration (at least MIGRATING_WINDOW_MS,
 * zdt_thread_watch()), the mirroring thread has not returned, took at most
 * MIGRATING_MAX_FAULTS faults and is asleep, still waits when the test
 * finalizes, and the driver loop then holds with the new system page, which
 * the CPU maps, with the data, migrate_to_ram() never having run.
 */
static void migrating_page_waited_for_then_reported_where_it_went(struct kunit *test)
{
	struct hmm_ctx *ctx = test->priv;
	struct zdt_blocked b = { };
	struct page *rpage = NULL;
	struct zdt_migration m;
	struct mirror_view v;
	struct zdt_thread *t;
	bool waiting = false;
	struct mirror *mi;

	ctx->addr = zdt_page_on_device(test, MEMORY_DEVICE_PRIVATE, &ctx->dev);
	mi = mirror_create(test);
	mirror_request(mi, HMM_PFN_REQ_FAULT, ctx->dev);
	t = zdt_thread_create(test, "hmm_range_fault", mirror_thread_fn);
	t->flags = MIRROR_POPULATE;
	zdt_migration_init(test, &m, ctx->addr, 1, ctx->dev,
			   MIGRATE_VMA_SELECT_DEVICE_PRIVATE);

	/* Nothing may assert until finalize: the mmap lock is held. */
	zdt_migration_setup(&m);
	zdt_thread_start(t);
	if (!m.ret && (m.args.src[0] & MIGRATE_PFN_MIGRATE)) {
		b = zdt_thread_watch(t, MIGRATING_WINDOW_MS, MIGRATING_MAX_FAULTS);
		m.args.dst[0] = zdt_migration_ram_copy(&m, zdt_device_page(ctx->dev, 0), 0);
		rpage = migrate_pfn_to_page(m.args.dst[0]);
		zdt_migration_pages(&m);
		waiting = zdt_thread_waiting(t);
	}
	zdt_migration_finalize(&m);

	zdt_thread_finish(test, t, ctx->dev, "after finalize");
	v = mirror_view(mi);
	kunit_info(test, "%lu faults in %u ms mid-migration, mirroring thread %s; driver loop: %ld after %u passes",
		   b.faults, b.ms, b.done ? "done" : b.asleep ? "asleep" : "not asleep",
		   t->ret, mi->tries);

	KUNIT_ASSERT_EQ(test, m.ret, 0);
	KUNIT_ASSERT_NOT_NULL_MSG(test, rpage, "page not collected or no system page");
	KUNIT_EXPECT_TRUE_MSG(test, m.args.src[0] & MIGRATE_PFN_MIGRATE,
			      "the waiting walk blocked the migration");
	zdt_expect_asleep(test, b, MIGRATING_MAX_FAULTS, "mirroring thread",
			  "hmm_range_fault()");
	if (b.asleep)
		KUNIT_EXPECT_TRUE_MSG(test, waiting,
				      "the mirroring thread no longer waited at finalize");
	KUNIT_ASSERT_EQ(test, t->ret, 0);
	KUNIT_EXPECT_FALSE(test, v.stale);
	KUNIT_ASSERT_TRUE_MSG(test, v.pfn & HMM_PFN_VALID, "entry %#lx not valid", v.pfn);
	KUNIT_EXPECT_PTR_EQ_MSG(test, v.page, rpage,
				"the entry is not the page the migration left");
	KUNIT_EXPECT_PTR_EQ(test, v.page, zdt_mapped_page(ctx->addr));
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, v.data, 0));
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->dev->nr_migrate_to_ram), 0);
}

/* A driver's DMA device and map, released in this order when the case ends. */
struct dma_mirror {
	struct device *dev;
	struct zdt_hmm_dma map;
	unsigned long npages;
};

/* Each page still mapped is unmapped, as a driver does before the free. */
static void dma_mirror_release(void *data)
{
	struct dma_mirror *dm = data;
	unsigned long i;

	for (i = 0; i < dm->npages; i++)
		zdt_hmm_dma_unmap_pfn(dm->dev, &dm->map, i);
	zdt_hmm_dma_free(dm->dev, &dm->map);
}

/*
 * A DMA-capable KUnit device (a 64-bit mask, as a device that reaches all
 * RAM) and an hmm DMA map of @npages entries for it, both released by KUnit
 * (the map first).  Skips where the kernel has no hmm DMA helpers or the
 * device is not cache-coherent.
 *
 * Return: them.
 */
static struct dma_mirror *dma_mirror_create(struct kunit *test,
					    unsigned long npages)
{
	struct dma_mirror *dm;
	int ret;

	if (!ZDT_HAS_HMM_DMA_MAP)
		zdt_skip(test, "%s", ZDT_NO_HMM_DMA_MAP);
	dm = kunit_kzalloc(test, sizeof(*dm), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, dm);
	dm->dev = kunit_device_register(test, "zdt-hmm-dma");
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR_OR_NULL(dm->dev), "kunit_device_register: %pe",
			       dm->dev);
	dm->dev->dma_mask = &dm->dev->coherent_dma_mask;
	if (!IS_ENABLED(CONFIG_HAS_DMA) || !dev_is_dma_coherent(dm->dev))
		zdt_skip(test, "%s", ZDT_NO_COHERENT_DMA);
	KUNIT_ASSERT_EQ(test, dma_set_mask_and_coherent(dm->dev, DMA_BIT_MASK(64)), 0);
	ret = zdt_hmm_dma_alloc(dm->dev, &dm->map, npages);
	KUNIT_ASSERT_EQ_MSG(test, ret, 0, "hmm_dma_map_alloc() for a coherent 64-bit device");
	dm->npages = npages;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, dma_mirror_release, dm), 0);
	return dm;
}

/* What the DMA case saw of one entry in each step. */
struct dma_view {
	unsigned long pfn;		/* the entry hmm_range_fault() left */
	struct page *page;		/* behind it, if valid */
	dma_addr_t dma;			/* what hmm_dma_map_pfn() returned */
	unsigned long mapped;		/* the entry after that */
};

/*
 * The mirror's entries, and each valid one DMA-mapped with
 * hmm_dma_map_pfn() if @map, under the update lock while the sequence
 * holds, as a driver programs its device.
 *
 * Return: false if the sequence no longer held.
 */
static bool dma_mirror_view(struct mirror *mi, struct dma_mirror *dm, bool map,
			    struct dma_view *v)
{
	unsigned long *pfns = zdt_hmm_dma_pfns(&dm->map);
	bool stale;
	unsigned long i;

	mutex_lock(&mi->n->lock);
	stale = mmu_interval_read_retry(&mi->n->notifier, mi->range.notifier_seq);
	for (i = 0; !stale && i < mi->npages; i++) {
		if (!(pfns[i] & HMM_PFN_VALID))
			continue;
		v[i].pfn = pfns[i];
		v[i].page = hmm_pfn_to_page(pfns[i]);
		if (map)
			v[i].dma = zdt_hmm_dma_map_pfn(dm->dev, &dm->map, i);
		v[i].mapped = pfns[i];
	}
	mutex_unlock(&mi->n->lock);
	return !stale;
}

/*
 * What a driver mirroring memory for DMA (RDMA ODP, drm_gpusvm) relies on
 * in the hmm DMA helpers (mm/hmm.c, include/linux/hmm-dma.h;
 * include/linux/hmm.h: HMM_PFN_DMA_MAPPED, "flag preserved on
 * input-to-output transformation to mark that page is already DMA
 * mapped"): hmm_dma_map_pfn() of an entry hmm_range_fault() reported valid
 * maps that page and marks the entry HMM_PFN_DMA_MAPPED; hmm_range_fault()
 * over the same pfn_list keeps the mark on the page it reports again, so
 * that the driver knows it is mapped and gets the same address back;
 * hmm_dma_unmap_pfn() unmaps it once, true, and clears the mark, and a
 * second unmap is false.  Succeeds if, for each page: the first map
 * returns a DMA address (the page's physical address, without an IOMMU),
 * the entry is then HMM_PFN_DMA_MAPPED, a second driver loop reports the
 * same page still HMM_PFN_DMA_MAPPED and its map returns the same address,
 * the first unmap is true and clears the mark, the second is false.
 */
static void dma_mapped_mark_kept_by_hmm_until_unmapped(struct kunit *test)
{
	struct dma_view first[RANGE_PAGES] = { }, again[RANGE_PAGES] = { };
	struct hmm_ctx *ctx = test->priv;
	struct dma_mirror *dm;
	unsigned long *pfns;
	struct mirror *mi;
	unsigned long i;
	int ret;

	dm = dma_mirror_create(test, RANGE_PAGES);
	pfns = zdt_hmm_dma_pfns(&dm->map);
	ctx->addr = zdt_user_pages(test, RANGE_PAGES);
	mi = mirror_create_pages(test, RANGE_PAGES);
	mirror_request(mi, HMM_PFN_REQ_FAULT, NULL);
	mi->range.hmm_pfns = pfns;

	ret = mirror_call(test, MIRROR_POPULATE);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_ASSERT_TRUE(test, dma_mirror_view(mi, dm, true, first));
	ret = mirror_call(test, MIRROR_POPULATE);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_ASSERT_TRUE(test, dma_mirror_view(mi, dm, true, again));

	for (i = 0; i < RANGE_PAGES; i++) {
		kunit_info(test, "entry %lu: %#lx, mapped %#lx at %pad; then %#lx, mapped at %pad",
			   i, first[i].pfn, first[i].mapped, &first[i].dma, again[i].pfn,
			   &again[i].dma);
		KUNIT_ASSERT_NOT_NULL_MSG(test, first[i].page, "entry %lu not valid", i);
		KUNIT_ASSERT_NE_MSG(test, first[i].dma, DMA_MAPPING_ERROR,
				    "hmm_dma_map_pfn() of entry %lu", i);
		KUNIT_EXPECT_TRUE_MSG(test, first[i].mapped & ZDT_HMM_PFN_DMA_MAPPED,
				      "entry %lu mapped without HMM_PFN_DMA_MAPPED: %#lx",
				      i, first[i].mapped);
		if (!device_iommu_mapped(dm->dev))
			KUNIT_EXPECT_EQ_MSG(test, dma_to_phys(dm->dev, first[i].dma),
					    page_to_phys(first[i].page),
					    "entry %lu mapped at another page", i);
		KUNIT_EXPECT_PTR_EQ_MSG(test, again[i].page, first[i].page,
					"entry %lu reported at another page", i);
		KUNIT_EXPECT_TRUE_MSG(test, again[i].pfn & ZDT_HMM_PFN_DMA_MAPPED,
				      "hmm_range_fault() dropped HMM_PFN_DMA_MAPPED of entry %lu: %#lx",
				      i, again[i].pfn);
		KUNIT_EXPECT_EQ_MSG(test, again[i].dma, first[i].dma,
				    "entry %lu mapped again at another address", i);
		KUNIT_EXPECT_TRUE_MSG(test, zdt_hmm_dma_unmap_pfn(dm->dev, &dm->map, i),
				      "hmm_dma_unmap_pfn() of mapped entry %lu", i);
		KUNIT_EXPECT_FALSE_MSG(test, pfns[i] & ZDT_HMM_PFN_DMA_MAPPED,
				       "entry %lu still HMM_PFN_DMA_MAPPED after its unmap", i);
		KUNIT_EXPECT_FALSE_MSG(test, zdt_hmm_dma_unmap_pfn(dm->dev, &dm->map, i),
				       "entry %lu unmapped twice", i);
	}
}

/*
 * A fault hmm_range_fault() takes on request and that fails (here the
 * owner's migrate_to_ram() returns VM_FAULT_SIGBUS, as a driver does when
 * it cannot copy the page back) fails the call with -EFAULT, "a page was
 * requested to be valid and could not be made valid", after that one
 * attempt, instead of reporting the page, retrying it or returning 0 with
 * an entry that is not valid (hmm_range_fault()'s kernel-doc and
 * hmm_do_fault(), mm/hmm.c; include/linux/hmm.h: with HMM_PFN_REQ_FAULT
 * "the output must have HMM_PFN_VALID or hmm_range_fault() will fail").
 * The page stays on the device, and once faults work again the driver loop
 * holds.  Succeeds if the driver loop returns -EFAULT after one pass,
 * migrate_to_ram() ran once, the page is still on the device with only the
 * mapping's reference and unlocked, and, migrate_to_ram() working again,
 * a second driver loop holds with the system page the CPU maps, with the
 * data.
 */
static void failed_fault_fails_the_call_with_efault(struct kunit *test)
{
	struct hmm_ctx *ctx = test->priv;
	struct mirror_view v;
	struct page *dpage;
	struct mirror *mi;
	int ret;

	ctx->addr = zdt_page_on_device(test, MEMORY_DEVICE_PRIVATE, &ctx->dev);
	dpage = zdt_device_page(ctx->dev, 0);
	mi = mirror_create(test);
	mirror_request(mi, HMM_PFN_REQ_FAULT, &other_owner);

	zdt_device_fail_faults(ctx->dev, VM_FAULT_SIGBUS);
	ret = mirror_call(test, MIRROR_POPULATE);
	zdt_device_fail_faults(ctx->dev, 0);
	kunit_info(test, "driver loop with a failing fault: %d after %u passes, entry %#lx",
		   ret, mi->tries, mi->pfns[0]);

	KUNIT_EXPECT_EQ_MSG(test, ret, -EFAULT, "hmm_range_fault() after a failed fault");
	KUNIT_EXPECT_EQ(test, mi->tries, 1);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&ctx->dev->nr_migrate_to_ram), 1,
			    "migrate_to_ram() calls for one failed fault");
	KUNIT_ASSERT_EQ_MSG(test, page_ref_count(dpage), 1,
			    "the failed fault leaked a device page reference");
	KUNIT_ASSERT_FALSE_MSG(test, PageLocked(dpage),
			       "the failed fault left the device page locked");
	KUNIT_EXPECT_NULL_MSG(test, zdt_mapped_page(ctx->addr),
			      "the page left the device although its fault failed");

	ret = mirror_call(test, MIRROR_POPULATE);
	v = mirror_view(mi);
	KUNIT_ASSERT_EQ_MSG(test, ret, 0, "driver loop once faults work again");
	KUNIT_EXPECT_FALSE(test, v.stale);
	KUNIT_ASSERT_TRUE_MSG(test, v.pfn & HMM_PFN_VALID, "entry %#lx not valid", v.pfn);
	KUNIT_EXPECT_FALSE(test, v.zone_device);
	KUNIT_EXPECT_PTR_EQ(test, v.page, zdt_mapped_page(ctx->addr));
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, v.data, 0));
}

/* Pages a CPU read mapped the shared zero page at, in a vma of @prot. */
static unsigned long zero_pages(struct kunit *test, unsigned long prot)
{
	unsigned long addr = zdt_user_map_prot(test, RANGE_PAGES * PAGE_SIZE, prot);
	u8 buf[ZDT_DATA_LEN];
	unsigned long i;

	for (i = 0; i < RANGE_PAGES; i++)
		KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, NULL, addr + i * PAGE_SIZE, buf), 0);
	return addr;
}

/*
 * Every entry of @v is the shared zero page, valid and read-only: what the
 * CPU maps after a read of memory never written.  With @huge, the huge zero
 * page of a PMD: entries at PMD order, each page in a PMD-order folio that
 * is no anonymous page of the process.
 */
static void expect_zero_page_entries(struct kunit *test, const struct range_view *v,
				     bool huge, const char *when)
{
	unsigned long i;

	for (i = 0; i < RANGE_PAGES; i++) {
		KUNIT_EXPECT_TRUE_MSG(test, v->pfn[i] & HMM_PFN_VALID,
				      "%s: zero-page entry %lu %#lx not valid", when, i,
				      v->pfn[i]);
		KUNIT_EXPECT_FALSE_MSG(test, v->pfn[i] & HMM_PFN_ERROR,
				       "%s: zero-page entry %lu %#lx reported HMM_PFN_ERROR",
				       when, i, v->pfn[i]);
		KUNIT_EXPECT_FALSE_MSG(test, v->pfn[i] & HMM_PFN_WRITE,
				       "%s: zero-page entry %lu %#lx writable", when, i,
				       v->pfn[i]);
		if (!huge) {
			KUNIT_EXPECT_TRUE_MSG(test, is_zero_pfn(entry_pfn(v->pfn[i])),
					      "%s: entry %lu %#lx is not the zero page", when, i,
					      v->pfn[i]);
			continue;
		}
		KUNIT_EXPECT_EQ_MSG(test, hmm_pfn_to_map_order(v->pfn[i]), PMD_SHIFT - PAGE_SHIFT,
				    "%s: map order of huge zero-page entry %lu %#lx", when, i,
				    v->pfn[i]);
		if (!v->page[i])
			continue;
		KUNIT_EXPECT_FALSE_MSG(test, PageAnon(v->page[i]) ||
				       folio_order(page_folio(v->page[i])) !=
				       PMD_SHIFT - PAGE_SHIFT,
				       "%s: entry %lu %#lx is not the huge zero page", when, i,
				       v->pfn[i]);
	}
}

/* Why a PMD-aligned range a CPU read may not map the huge zero page. */
#define NO_HUGE_ZERO_PAGE \
	"needs the huge zero page after a CPU read of a PMD-aligned range (THP enabled for the vma, not transparent_hugepage=madvise; use_zero_page on)"

/* The zero page, with a read or a write fault asked for. */

struct zero_param {
	const char *desc;
	bool huge;			/* a PMD-aligned range: the huge zero page */
	unsigned long default_flags;	/* range->default_flags */
};

static const struct zero_param zero_params[] = {
	{ "HMM_PFN_REQ_FAULT", false, HMM_PFN_REQ_FAULT },
	{ "HMM_PFN_REQ_FAULT | HMM_PFN_REQ_WRITE", false,
	  HMM_PFN_REQ_FAULT | HMM_PFN_REQ_WRITE },
	{ "huge zero page, HMM_PFN_REQ_FAULT", true, HMM_PFN_REQ_FAULT },
	{ "huge zero page, HMM_PFN_REQ_FAULT | HMM_PFN_REQ_WRITE", true,
	  HMM_PFN_REQ_FAULT | HMM_PFN_REQ_WRITE },
};

KUNIT_ARRAY_PARAM_DESC(zero, zero_params, desc);

/*
 * The shared zero page a CPU read maps is reported as a page like any
 * other, valid and read-only, with its pfn, not as an error, and a read
 * request faults nothing; a write request breaks it into a private page of
 * the process through the write fault, reported writable, so that what the
 * device writes through it is what the process reads ("mm/hmm: allow
 * snapshot of the special zero page", Ralph Campbell, 2019: before it,
 * hmm_range_fault() failed with -EFAULT on the zero page and nouveau killed
 * the process; hmm_vma_handle_pte(): each architecture defines a struct
 * page for the zero page, so it is treated like a normal page;
 * include/linux/hmm.h, HMM_PFN_REQ_WRITE).  The same for the huge zero
 * page a PMD maps in a PMD-aligned range (hmm_vma_handle_pmd()), reported
 * at PMD order.  Succeeds if a snapshot (no fault requested) holds with
 * every entry the zero page (huge: at PMD order, in a PMD-order folio that
 * is no anonymous page), valid, read-only and without HMM_PFN_ERROR, and
 * then the driver loop holds and: with a read request the entries are the
 * same; with a write request each is valid and writable, an anonymous page
 * that is not the zero page, the page the CPU maps there now, and data
 * written through it is what a CPU read of the address returns.
 */
static void zero_page_reported_read_only_copied_on_write_request(struct kunit *test)
{
	const struct zero_param *p = test->param_value;
	struct hmm_ctx *ctx = test->priv;
	bool write = p->default_flags & HMM_PFN_REQ_WRITE;
	u8 buf[ZDT_DATA_LEN];
	struct range_view v;
	struct mirror *mi;
	unsigned long i;
	int ret;

	if (p->huge) {
		if (!IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE))
			zdt_skip(test, "%s", ZDT_NO_THP);
		ctx->addr = untouched_range(test);
		KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, NULL, ctx->addr, buf), 0);
	} else {
		ctx->addr = zero_pages(test, PROT_READ | PROT_WRITE);
	}
	mi = mirror_create_pages(test, RANGE_PAGES);

	mirror_request(mi, 0, NULL);
	ret = mirror_call(test, MIRROR_POPULATE);
	v = range_view(test, mi, false);
	KUNIT_ASSERT_EQ_MSG(test, ret, 0, "snapshot of zero pages");
	KUNIT_ASSERT_FALSE(test, v.stale);
	if (p->huge && hmm_pfn_to_map_order(v.pfn[0]) != PMD_SHIFT - PAGE_SHIFT)
		zdt_skip(test, "%s (entry %#lx)", NO_HUGE_ZERO_PAGE, v.pfn[0]);
	expect_zero_page_entries(test, &v, p->huge, "snapshot");

	mirror_request(mi, p->default_flags, NULL);
	ret = mirror_call(test, MIRROR_POPULATE);
	v = range_view(test, mi, write);
	kunit_info(test, "driver loop: %d after %u passes; entry 0 %#lx", ret, mi->tries,
		   v.pfn[0]);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_ASSERT_FALSE(test, v.stale);
	if (!write) {
		expect_zero_page_entries(test, &v, p->huge, "read request");
		return;
	}
	for (i = 0; i < RANGE_PAGES; i++) {
		unsigned long addr = ctx->addr + i * PAGE_SIZE;

		KUNIT_EXPECT_TRUE_MSG(test, v.pfn[i] & HMM_PFN_VALID,
				      "entry %lu %#lx not valid", i, v.pfn[i]);
		KUNIT_EXPECT_TRUE_MSG(test, v.pfn[i] & HMM_PFN_WRITE,
				      "entry %lu %#lx not writable after a write request", i,
				      v.pfn[i]);
		KUNIT_EXPECT_FALSE_MSG(test, is_zero_pfn(entry_pfn(v.pfn[i])),
				       "entry %lu %#lx still the zero page after a write request",
				       i, v.pfn[i]);
		if (!v.page[i] || !(v.pfn[i] & HMM_PFN_WRITE))
			continue;
		KUNIT_EXPECT_TRUE_MSG(test, PageAnon(v.page[i]),
				      "entry %lu %#lx is no anonymous page of the process", i,
				      v.pfn[i]);
		KUNIT_EXPECT_PTR_EQ_MSG(test, v.page[i], zdt_mapped_page(addr),
					"entry %lu is not the page the CPU maps", i);
		KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, NULL, addr, buf), 0);
		KUNIT_EXPECT_TRUE_MSG(test, zdt_has_data(test, buf, i),
				      "the CPU does not read what went through entry %lu", i);
	}
}

/* A read-only vma: what a CPU read left there. */

struct readonly_param {
	const char *desc;
	bool read;			/* the CPU read it: the zero page, else a hole */
};

static const struct readonly_param readonly_params[] = {
	{ "never touched, its page table there (none PTEs)", false },
	{ "read by the CPU (the zero page)", true },
};

KUNIT_ARRAY_PARAM_DESC(readonly, readonly_params, desc);

/*
 * A write request (HMM_PFN_REQ_WRITE) on memory of a vma the process may
 * not write (no VM_WRITE) is refused with -EPERM, "Invalid permission (e.g.,
 * asking for write and range is read only)", before anything is faulted,
 * whatever the CPU maps there (none PTEs, the zero page); a read request on
 * the same memory is served read-only (hmm_range_fault()'s kernel-doc;
 * hmm_do_fault(), mm/hmm.c; include/linux/hmm.h, HMM_PFN_REQ_WRITE).
 * Succeeds if the write request fails with -EPERM and a snapshot then
 * finds what was there before (0 entries and no page the CPU maps for none
 * PTEs; the zero page, read-only, where the CPU read), and a read request
 * then holds with every entry valid and not writable.
 */
static void write_request_on_read_only_vma_refused_with_eperm(struct kunit *test)
{
	const struct readonly_param *p = test->param_value;
	struct hmm_ctx *ctx = test->priv;
	u8 buf[ZDT_DATA_LEN];
	struct range_view v;
	struct mirror *mi;
	unsigned long i;
	int ret;

	if (p->read) {
		ctx->addr = zero_pages(test, PROT_READ);
	} else {
		/* The CPU reads the page after them: a page table, none PTEs. */
		ctx->addr = zdt_user_map_prot(test, (RANGE_PAGES + 1) * PAGE_SIZE, PROT_READ);
		KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, NULL, ctx->addr + RANGE_PAGES * PAGE_SIZE,
						   buf), 0);
	}
	mi = mirror_create_pages(test, RANGE_PAGES);

	mirror_request(mi, HMM_PFN_REQ_FAULT | HMM_PFN_REQ_WRITE, NULL);
	ret = mirror_call(test, MIRROR_POPULATE);
	kunit_info(test, "write request: %d after %u passes", ret, mi->tries);
	KUNIT_EXPECT_EQ_MSG(test, ret, -EPERM, "write request on a read-only vma");

	mirror_request(mi, 0, NULL);
	ret = mirror_call(test, MIRROR_POPULATE);
	v = range_view(test, mi, false);
	KUNIT_ASSERT_EQ_MSG(test, ret, 0, "snapshot after the refused write request");
	KUNIT_ASSERT_FALSE(test, v.stale);
	for (i = 0; i < RANGE_PAGES && !p->read; i++) {
		KUNIT_EXPECT_EQ_MSG(test, v.pfn[i], 0,
				    "entry %lu of a none PTE after a refused write request", i);
		KUNIT_EXPECT_NULL_MSG(test, zdt_mapped_page(ctx->addr + i * PAGE_SIZE),
				      "page %lu faulted in by a refused write request", i);
	}
	if (p->read)
		expect_zero_page_entries(test, &v, false, "after the refused write request");

	mirror_request(mi, HMM_PFN_REQ_FAULT, NULL);
	ret = mirror_call(test, MIRROR_POPULATE);
	v = range_view(test, mi, false);
	KUNIT_ASSERT_EQ_MSG(test, ret, 0, "read request on a read-only vma");
	KUNIT_ASSERT_FALSE(test, v.stale);
	for (i = 0; i < RANGE_PAGES; i++) {
		KUNIT_EXPECT_TRUE_MSG(test, v.pfn[i] & HMM_PFN_VALID,
				      "entry %lu %#lx not valid after a read request", i,
				      v.pfn[i]);
		KUNIT_EXPECT_FALSE_MSG(test, v.pfn[i] & HMM_PFN_WRITE,
				       "entry %lu %#lx of a read-only vma writable", i,
				       v.pfn[i]);
	}
}

/* A PMD-mapped device folio under migration, with a fault asked for or not. */

struct pmd_migrating_param {
	const char *desc;
	unsigned long default_flags;	/* range->default_flags */
};

static const struct pmd_migrating_param pmd_migrating_params[] = {
	{ "HMM_PFN_REQ_FAULT", HMM_PFN_REQ_FAULT },
	{ "no fault requested", 0 },
};

KUNIT_ARRAY_PARAM_DESC(pmd_migrating, pmd_migrating_params, desc);

/*
 * A large folio under migration as a whole is mapped by one PMD-level
 * migration entry (its driver evicting a PMD-mapped device-private folio to
 * RAM with MIGRATE_VMA_SELECT_COMPOUND, a30b48bf1b24 "mm/migrate_device:
 * implement THP migration of zone device pages").  hmm_range_fault() asked
 * to fault it sleeps until the migration ends, in
 * pmd_migration_entry_wait(), and then reports the folio the migration left
 * there; not asked to fault, it does not wait and reports every entry 0,
 * neither valid nor an error: "a future call with HMM_PFN_REQ_FAULT could
 * succeed" (hmm_vma_walk_pmd(), mm/hmm.c; include/linux/hmm.h, the output
 * flags; Documentation/mm/hmm.rst, "Migration to and from device memory").
 * Succeeds if, asked to fault, the mirroring thread was asleep while the
 * test held the folio mid-migration (at least MIGRATING_WINDOW_MS), still
 * waited at finalize, and the driver loop then held with all PTRS_PER_PMD
 * entries valid at PMD order and none a ZONE_DEVICE page, the middle one
 * the page the CPU maps, with the data, migrate_to_ram() never having run;
 * not asked, if the thread returned 0 while the folio was still
 * mid-migration, with every entry 0.
 */
static void device_pmd_under_migration_waited_for_only_on_request(struct kunit *test)
{
	const struct pmd_migrating_param *p = test->param_value;
	struct hmm_ctx *ctx = test->priv;
	unsigned int order = PMD_SHIFT - PAGE_SHIFT;
	unsigned long n = PTRS_PER_PMD, nonzero = 0, i;
	bool fault = p->default_flags & HMM_PFN_REQ_FAULT;
	bool waiting = false, returned = false, migrating = false;
	struct zdt_blocked b = { };
	struct folio *rfolio = NULL;
	struct zdt_migration m;
	struct zdt_thread *t;
	struct page *dpage;
	struct pmd_view v;
	struct mirror *mi;

	dpage = zdt_pmd_on_device(test, &ctx->dev, &ctx->addr);
	zdt_put_data(test, zdt_page_data(dpage + ZDT_PMD_MIDDLE), ZDT_PMD_MIDDLE);
	mi = mirror_create_pages(test, n);
	mirror_request(mi, p->default_flags, ctx->dev);
	t = zdt_thread_create(test, "hmm_range_fault", mirror_thread_fn);
	t->flags = MIRROR_POPULATE;
	zdt_migration_init(test, &m, ctx->addr, n, ctx->dev,
			   MIGRATE_VMA_SELECT_DEVICE_PRIVATE | ZDT_MIGRATE_VMA_SELECT_COMPOUND);

	/* Nothing may assert until finalize: the mmap lock is held. */
	zdt_migration_setup(&m);
	migrating = !m.ret && (m.args.src[0] & MIGRATE_PFN_MIGRATE) &&
		    (m.args.src[0] & ZDT_MIGRATE_PFN_COMPOUND);
	zdt_thread_start(t);
	if (migrating) {
		if (fault)
			b = zdt_thread_watch(t, MIGRATING_WINDOW_MS, MIGRATING_MAX_FAULTS);
		else
			returned = zdt_thread_wait(t, ZDT_ACCESS_MS);
		m.args.dst[0] = zdt_migration_ram_copy(&m, dpage, order);
		if (m.args.dst[0]) {
			rfolio = page_folio(migrate_pfn_to_page(m.args.dst[0]));
			zdt_migration_pages(&m);
		}
		if (fault)
			waiting = zdt_thread_waiting(t);
	}
	zdt_migration_finalize(&m);

	zdt_thread_finish(test, t, ctx->dev, "after finalize");
	for (i = 0; i < n; i++)
		nonzero += !!mi->pfns[i];
	v = pmd_view(mi);
	kunit_info(test, "%lu faults in %u ms mid-migration, mirroring thread %s; driver loop: %ld after %u passes, %lu/%lu entries not 0",
		   b.faults, b.ms, returned ? "returned" : b.done ? "done" :
		   b.asleep ? "asleep" : "not asleep", t->ret, mi->tries, nonzero, n);

	KUNIT_ASSERT_EQ(test, m.ret, 0);
	KUNIT_ASSERT_TRUE_MSG(test, migrating,
			      "the PMD was not collected as one compound entry: %#lx",
			      m.args.src[0]);
	if (!fault) {
		KUNIT_EXPECT_TRUE_MSG(test, returned,
				      "hmm_range_fault() without a fault request waited for the migration");
		KUNIT_EXPECT_EQ(test, t->ret, 0);
		KUNIT_EXPECT_EQ_MSG(test, nonzero, 0,
				    "entries of a PMD under migration not 0 without a fault request (entry 0 %#lx)",
				    mi->pfns[0]);
		return;
	}
	zdt_expect_asleep(test, b, MIGRATING_MAX_FAULTS, "mirroring thread",
			  "hmm_range_fault()");
	if (b.asleep)
		KUNIT_EXPECT_TRUE_MSG(test, waiting,
				      "the mirroring thread no longer waited at finalize");
	KUNIT_ASSERT_EQ(test, t->ret, 0);
	/* Without a large system folio the migration failed: nothing went anywhere. */
	if (!rfolio)
		zdt_skip(test, "no free order-%u system folio", order);
	KUNIT_EXPECT_TRUE_MSG(test, m.args.src[0] & MIGRATE_PFN_MIGRATE,
			      "the mirroring thread blocked the migration");
	KUNIT_ASSERT_FALSE(test, v.stale);
	KUNIT_EXPECT_EQ(test, v.valid, n);
	KUNIT_EXPECT_EQ(test, v.error, 0);
	KUNIT_EXPECT_EQ_MSG(test, v.zone_device, 0, "entries still at the device folio");
	KUNIT_EXPECT_EQ_MSG(test, v.pmd_order, n, "entries of map order %u (entry 0 has %u)",
			    order, hmm_pfn_to_map_order(v.first));
	KUNIT_EXPECT_PTR_EQ_MSG(test, v.middle,
				zdt_mapped_page(ctx->addr + ZDT_PMD_MIDDLE * PAGE_SIZE),
				"the middle entry is not the page the CPU maps");
	if (v.middle)
		KUNIT_EXPECT_PTR_EQ_MSG(test, page_folio(v.middle), rfolio,
					"the middle entry is not in the folio the migration left");
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, v.data, ZDT_PMD_MIDDLE));
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->dev->nr_migrate_to_ram), 0);
}

/* Whether a DMA device reaches all RAM, and so whether hmm_dma_map_alloc() accepts it. */

struct dma_reach_param {
	const char *desc;
	bool bus_limited;		/* behind a bus that reaches half of RAM */
};

static const struct dma_reach_param dma_reach_params[] = {
	{ "64-bit mask, reaches all RAM", false },
	{ "64-bit mask behind a bus that reaches half of RAM", true },
};

KUNIT_ARRAY_PARAM_DESC(dma_reach, dma_reach_params, desc);

/*
 * hmm_dma_map_alloc() refuses, with -EOPNOTSUPP, a device that cannot reach
 * all of RAM (dma_addressing_limited(): its mask, or the bus it sits
 * behind, dev->bus_dma_limit as firmware describes it) or needs DMA syncs:
 * its mappings would go through swiotlb bounce buffers, and the hmm DMA
 * API, which maps pages for as long as the mirror holds and never syncs,
 * cannot hand a bounce buffer back and forth, so what the device wrote
 * would never reach the process ("mm/hmm: provide generic DMA managing
 * logic", 6.16: "The HMM API violates our normal DMA buffer ownership
 * rules and can't transfer buffer ownership.  The dma_addressing_limited()
 * check is a best approximation to ensure no swiotlb buffering happens").
 * Succeeds if, for a cache-coherent KUnit device with a 64-bit mask, the
 * allocation succeeds, and fails with -EOPNOTSUPP once the device sits
 * behind a bus that reaches only half of RAM, which dma_addressing_limited()
 * reports.
 */
static void dma_map_refused_for_a_device_that_would_bounce(struct kunit *test)
{
	const struct dma_reach_param *p = test->param_value;
	struct zdt_hmm_dma map = { };
	struct device *dev;
	int ret;

	if (!ZDT_HAS_HMM_DMA_MAP)
		zdt_skip(test, "%s", ZDT_NO_HMM_DMA_MAP);
	dev = kunit_device_register(test, "zdt-hmm-dma-reach");
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR_OR_NULL(dev), "kunit_device_register: %pe", dev);
	dev->dma_mask = &dev->coherent_dma_mask;
	if (!IS_ENABLED(CONFIG_HAS_DMA) || !dev_is_dma_coherent(dev))
		zdt_skip(test, "%s", ZDT_NO_COHERENT_DMA);
	KUNIT_ASSERT_EQ(test, dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64)), 0);
	if (p->bus_limited)
		dev->bus_dma_limit = dma_get_required_mask(dev) >> 1;
	KUNIT_ASSERT_EQ_MSG(test, dma_addressing_limited(dev), p->bus_limited,
			    "dma_addressing_limited() with a bus limit of %#llx, all RAM %#llx",
			    (unsigned long long)dev->bus_dma_limit,
			    (unsigned long long)dma_get_required_mask(dev));

	ret = zdt_hmm_dma_alloc(dev, &map, RANGE_PAGES);
	if (!ret)
		zdt_hmm_dma_free(dev, &map);
	kunit_info(test, "hmm_dma_map_alloc(): %d", ret);
	KUNIT_EXPECT_EQ_MSG(test, ret, p->bus_limited ? -EOPNOTSUPP : 0,
			    "hmm_dma_map_alloc() for a device that %s",
			    p->bus_limited ? "cannot reach all RAM" : "reaches all RAM");
}

/* A hugetlb mapping of one huge page, and how the CPU left it. */

enum huge_touch {
	HUGE_UNTOUCHED,			/* nothing mapped yet */
	HUGE_READ,			/* a CPU read: mapped read-only (private) */
	HUGE_WRITTEN,			/* a CPU write of the case's data: writable */
};

struct huge_param {
	const char *desc;
	enum huge_touch touch;
	unsigned long default_flags;	/* range->default_flags */
};

static const struct huge_param huge_params[] = {
	{ "never touched, no fault requested", HUGE_UNTOUCHED, 0 },
	{ "never touched, HMM_PFN_REQ_FAULT | HMM_PFN_REQ_WRITE", HUGE_UNTOUCHED,
	  HMM_PFN_REQ_FAULT | HMM_PFN_REQ_WRITE },
	{ "read by the CPU, no fault requested", HUGE_READ, 0 },
	{ "read by the CPU, HMM_PFN_REQ_FAULT | HMM_PFN_REQ_WRITE", HUGE_READ,
	  HMM_PFN_REQ_FAULT | HMM_PFN_REQ_WRITE },
	{ "written by the CPU, no fault requested", HUGE_WRITTEN, 0 },
};

KUNIT_ARRAY_PARAM_DESC(huge, huge_params, desc);

/* Why a case has no hugetlb page to map. */
#define NO_HUGETLB_POOL \
	"needs a pool of PMD-size hugetlb pages (hugepages=N on the kernel command line: configs/x86_64.py)"

/* Where in the huge page the mirrored range starts, in pages: not at its head. */
#define HUGE_FIRST		ZDT_PMD_MIDDLE

struct huge_mapping {
	struct kunit *test;
	struct mm_struct *mm;
	unsigned long addr;
};

/*
 * The huge page goes back to the pool when the case ends, not when the
 * test's mm does: in the case's thread or KUnit's cleanup kthread, which
 * borrows the mm (as the fixture's zdt_user_map() does).
 */
static void huge_unmap_action(void *data)
{
	struct huge_mapping *m = data;
	bool borrow = !current->mm && (current->flags & PF_KTHREAD);

	if (borrow)
		kthread_use_mm(m->mm);
	if (current->mm == m->mm && vm_munmap(m->addr, PMD_SIZE))
		KUNIT_FAIL(m->test, "vm_munmap(%#lx) of the hugetlb mapping failed", m->addr);
	if (borrow)
		kthread_unuse_mm(m->mm);
	mmput(m->mm);
	kfree(m);
}

/*
 * A private anonymous MAP_HUGETLB mapping of one PMD-size huge page of the
 * test's mm (the default hstate: 2 MiB with 4K pages), made as the mmap()
 * system call makes it, unmapped when the
 * case ends (after the mirror's notifier, which is held later).  Skips if
 * there is no hugetlb pool.
 *
 * Return: its user address, aligned to PMD_SIZE.
 */
static unsigned long huge_map(struct kunit *test)
{
	struct huge_mapping *m;
	unsigned long addr;

	if (!IS_ENABLED(CONFIG_HUGETLB_PAGE))
		zdt_skip(test, ZDT_NO_HUGETLB);
	/* The test's mm: kunit_vm_mmap() attaches it (6.12 has no kunit_attach_mm()). */
	if (!current->mm)
		zdt_user_map(test, PAGE_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, current->mm);
	/* vm_mmap() ignores MAP_HUGETLB: only mmap(2)'s path honours it. */
	addr = zdt_mmap_pgoff(test, PMD_SIZE, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB);
	if (IS_ERR_VALUE(addr))
		zdt_skip(test, "%s (mmap(MAP_HUGETLB): %ld)", NO_HUGETLB_POOL, (long)addr);
	m = kzalloc_obj(*m);
	if (!m)
		vm_munmap(addr, PMD_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, m);
	m->test = test;
	m->mm = current->mm;
	m->addr = addr;
	mmget(m->mm);
	zdt_hold(test, ZDT_HELD_MAPPING, huge_unmap_action, m);
	KUNIT_ASSERT_TRUE_MSG(test, IS_ALIGNED(addr, PMD_SIZE),
			      "hugetlb mapping at %#lx", addr);
	return addr;
}

/*
 * hmm_range_fault() mirrors a hugetlb page as the CPU maps it, as a THP
 * PMD: every page of the range is reported with the pfn of that very
 * subpage of the huge page (the range may start inside it), HMM_PFN_VALID,
 * HMM_PFN_WRITE exactly when the CPU may write it, and the map order of
 * the huge page, so that a driver may map it with one large device PTE;
 * memory nothing maps yet is faulted in only on request, and a write
 * request on a huge page the CPU maps read-only (a private mapping after a
 * read) takes the write fault, which makes it writable
 * (hmm_vma_walk_hugetlb_entry(), mm/hmm.c: "mm/hmm: mirror hugetlbfs
 * (snapshoting, faulting and DMA mapping)", Jerome Glisse, 2019, with
 * "mm/hmm: Fix initial PFN for hugetlbfs pages" squashed in;
 * 3b50a6e536d2 "mm/hmm: provide the page mapping order in
 * hmm_range_fault()"; include/linux/hmm.h, hmm_pfn_to_map_order()).
 * Before 7.3 a fault request on the untouched range faults from the walk
 * under the hugetlb vma lock, a bug only lockdep reports: without
 * CONFIG_PROVE_LOCKING that parameter skips there.
 * Succeeds if the
 * driver loop holds and: never touched and without a request, every entry
 * is 0 and the CPU maps nothing; otherwise every entry is valid without an
 * error, at the huge page's order, the page the CPU maps at its address,
 * subpage HUGE_FIRST + i of a hugetlb folio; writable after a write
 * request or a CPU write, read-only after a CPU read; what the CPU wrote is
 * read through each entry, and what is written through an entry a write
 * request made writable is what the CPU reads.
 */
static void hugetlb_page_reported_at_its_order_faulted_only_on_request(struct kunit *test)
{
	const struct huge_param *p = test->param_value;
	struct hmm_ctx *ctx = test->priv;
	bool write = p->default_flags & HMM_PFN_REQ_WRITE;
	bool writable = write || p->touch == HUGE_WRITTEN;
	u8 buf[ZDT_DATA_LEN];
	unsigned long huge, i;
	struct range_view v;
	struct mirror *mi;
	int ret;

	if (!ZDT_HAS_HMM_FAULT_AFTER_WALK && !IS_ENABLED(CONFIG_PROVE_LOCKING) &&
	    p->touch == HUGE_UNTOUCHED && (p->default_flags & HMM_PFN_REQ_FAULT))
		zdt_skip(test, ZDT_NO_LOCKDEP_HUGETLB_FAULT);
	huge = huge_map(test);
	ctx->addr = huge + HUGE_FIRST * PAGE_SIZE;
	for (i = 0; i < RANGE_PAGES; i++) {
		unsigned long addr = ctx->addr + i * PAGE_SIZE;

		if (p->touch == HUGE_READ)
			KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, NULL, addr, buf), 0);
		else if (p->touch == HUGE_WRITTEN)
			KUNIT_ASSERT_EQ(test, zdt_cpu_write(test, NULL, addr, i), 0);
	}
	mi = mirror_create_pages(test, RANGE_PAGES);
	mirror_request(mi, p->default_flags, NULL);

	ret = mirror_call(test, MIRROR_POPULATE);
	v = range_view(test, mi, write);
	kunit_info(test, "driver loop: %d after %u passes; entries %#lx %#lx %#lx", ret,
		   mi->tries, v.pfn[0], v.pfn[1], v.pfn[2]);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_ASSERT_FALSE(test, v.stale);

	for (i = 0; i < RANGE_PAGES; i++) {
		unsigned long addr = ctx->addr + i * PAGE_SIZE;
		struct folio *folio;

		if (p->touch == HUGE_UNTOUCHED && !p->default_flags) {
			KUNIT_EXPECT_EQ_MSG(test, v.pfn[i], 0,
					    "entry %lu of an untouched hugetlb page", i);
			KUNIT_EXPECT_NULL_MSG(test, zdt_mapped_page(addr),
					      "page %lu faulted in without a request", i);
			continue;
		}
		KUNIT_EXPECT_TRUE_MSG(test, v.pfn[i] & HMM_PFN_VALID,
				      "entry %lu %#lx not valid", i, v.pfn[i]);
		KUNIT_EXPECT_FALSE_MSG(test, v.pfn[i] & HMM_PFN_ERROR,
				       "entry %lu %#lx HMM_PFN_ERROR", i, v.pfn[i]);
		KUNIT_EXPECT_EQ_MSG(test, !!(v.pfn[i] & HMM_PFN_WRITE), writable,
				    "HMM_PFN_WRITE of entry %lu %#lx", i, v.pfn[i]);
		if (!v.page[i])
			continue;
		folio = page_folio(v.page[i]);
		KUNIT_EXPECT_PTR_EQ_MSG(test, v.page[i], zdt_mapped_page(addr),
					"entry %lu is not the page the CPU maps", i);
		KUNIT_EXPECT_TRUE_MSG(test, folio_test_hugetlb(folio),
				      "entry %lu %#lx is no hugetlb page", i, v.pfn[i]);
		KUNIT_EXPECT_EQ_MSG(test, hmm_pfn_to_map_order(v.pfn[i]), folio_order(folio),
				    "map order of entry %lu %#lx", i, v.pfn[i]);
		KUNIT_EXPECT_EQ_MSG(test, folio_order(folio), PMD_SHIFT - PAGE_SHIFT,
				    "order of the hugetlb folio behind entry %lu", i);
		KUNIT_EXPECT_EQ_MSG(test, folio_page_idx(folio, v.page[i]), HUGE_FIRST + i,
				    "entry %lu %#lx is another subpage of the huge page", i,
				    v.pfn[i]);
		if (p->touch == HUGE_WRITTEN) {
			memcpy_from_page((char *)buf, v.page[i], 0, sizeof(buf));
			KUNIT_EXPECT_TRUE_MSG(test, zdt_has_data(test, buf, i),
					      "entry %lu is not the page the CPU wrote", i);
		} else if (write && (v.pfn[i] & HMM_PFN_WRITE)) {
			KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, NULL, addr, buf), 0);
			KUNIT_EXPECT_TRUE_MSG(test, zdt_has_data(test, buf, i),
					      "the CPU does not read what went through entry %lu",
					      i);
		}
	}
}

/* A guard region, with a fault asked for or not. */

struct guard_param {
	const char *desc;
	unsigned long default_flags;	/* range->default_flags */
};

static const struct guard_param guard_params[] = {
	{ "no fault requested", 0 },
	{ "HMM_PFN_REQ_FAULT", HMM_PFN_REQ_FAULT },
};

KUNIT_ARRAY_PARAM_DESC(guard, guard_params, desc);

/*
 * Installs a guard region (MADV_GUARD_INSTALL) over the page at @addr of the
 * test's mm: its page is zapped and a guard PTE marker takes its place.
 */
static void install_guard(struct kunit *test, unsigned long addr)
{
	if (!ZDT_HAS_GUARD_REGIONS)
		zdt_skip(test, ZDT_NO_GUARD_REGIONS);
	KUNIT_ASSERT_EQ_MSG(test, zdt_madvise(test, addr, PAGE_SIZE, ZDT_MADV_GUARD_INSTALL),
			    0, "madvise(MADV_GUARD_INSTALL)");
}

/*
 * A guard region (MADV_GUARD_INSTALL: "fatal signal on access to range")
 * is no memory a device may reach: hmm_range_fault() never reports it
 * valid, and asked to fault it in fails the call with -EFAULT, "a page was
 * requested to be valid and could not be made valid", instead of returning
 * 0 with an entry that is not valid or faulting a page in behind the
 * guard (hmm_vma_handle_pte(): a non-present entry that is no swap,
 * device-private, device-exclusive or migration entry is an error;
 * "mm: correctly handle UFFD PTE markers", Lorenzo Stoakes, 2025: only the
 * uffd-wp marker is treated as none; include/linux/hmm.h, with
 * HMM_PFN_REQ_FAULT "the output must have HMM_PFN_VALID or
 * hmm_range_fault() will fail").  Succeeds if, with the middle page of
 * three guarded: without a request the driver loop holds, the middle entry
 * is not valid and both others are valid, each the page the CPU maps
 * there, with its data; with a request, the driver loop fails with
 * -EFAULT; and in both, the guard stays: the CPU maps no page there and a
 * CPU read of it fails.
 */
static void guard_region_never_reported_valid_refused_on_request(struct kunit *test)
{
	const struct guard_param *p = test->param_value;
	struct hmm_ctx *ctx = test->priv;
	unsigned long middle;
	u8 buf[ZDT_DATA_LEN];
	struct range_view v;
	struct mirror *mi;
	unsigned long i;
	int ret;

	ctx->addr = zdt_user_pages(test, RANGE_PAGES);
	middle = ctx->addr + PAGE_SIZE;
	install_guard(test, middle);
	mi = mirror_create_pages(test, RANGE_PAGES);
	mirror_request(mi, p->default_flags, NULL);

	ret = mirror_call(test, MIRROR_POPULATE);
	v = range_view(test, mi, false);
	kunit_info(test, "driver loop: %d after %u passes; entries %#lx %#lx %#lx", ret,
		   mi->tries, v.pfn[0], v.pfn[1], v.pfn[2]);

	if (p->default_flags & HMM_PFN_REQ_FAULT) {
		KUNIT_EXPECT_EQ_MSG(test, ret, -EFAULT, "a fault requested on a guard region");
	} else {
		KUNIT_ASSERT_EQ(test, ret, 0);
		KUNIT_ASSERT_FALSE(test, v.stale);
		KUNIT_EXPECT_FALSE_MSG(test, v.pfn[1] & HMM_PFN_VALID,
				       "guard entry %#lx valid", v.pfn[1]);
		for (i = 0; i < RANGE_PAGES; i += 2) {
			KUNIT_EXPECT_TRUE_MSG(test, v.pfn[i] & HMM_PFN_VALID,
					      "entry %lu %#lx beside the guard not valid", i,
					      v.pfn[i]);
			if (!v.page[i])
				continue;
			KUNIT_EXPECT_PTR_EQ(test, v.page[i],
					    zdt_mapped_page(ctx->addr + i * PAGE_SIZE));
			memcpy_from_page((char *)buf, v.page[i], 0, sizeof(buf));
			KUNIT_EXPECT_TRUE_MSG(test, zdt_has_data(test, buf, i),
					      "entry %lu is not the page with its data", i);
		}
	}
	KUNIT_EXPECT_NULL_MSG(test, zdt_mapped_page(middle),
			      "a page mapped behind the guard");
	KUNIT_EXPECT_NE_MSG(test, zdt_cpu_read(test, NULL, middle, buf), 0,
			    "a CPU read of the guard region succeeded");
}

/*
 * A large device-private folio of another pgmap owner, mapped by one
 * PMD-level entry, is left alone when no fault is asked for: input 0 is
 * "return the current state of the page, do not fault it"
 * (include/linux/hmm.h), and the folio is not the caller's to report
 * (hmm_vma_handle_absent_pmd(), 10b9feee2d0d "mm/hmm: populate PFNs from PMD
 * swap entry").  Succeeds if the driver loop holds with none of the
 * PTRS_PER_PMD entries valid or writable, migrate_to_ram() never ran and the
 * folio is still on the device at refcount 1, the CPU mapping nothing there.
 */
static void other_owners_device_pmd_left_alone_without_a_fault_request(struct kunit *test)
{
	struct hmm_ctx *ctx = test->priv;
	struct page *dpage = zdt_pmd_on_device(test, &ctx->dev, &ctx->addr);
	unsigned long n = PTRS_PER_PMD;
	struct pmd_view v;
	int ret;

	mirror_request(mirror_create_pages(test, n), 0, &other_owner);

	ret = mirror_call(test, MIRROR_POPULATE);
	v = pmd_view(ctx->mirror);
	kunit_info(test, "driver loop: %d after %u passes; entry 0 %#lx, %lu/%lu valid, %lu errors",
		   ret, ctx->mirror->tries, v.first, v.valid, n, v.error);

	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_ASSERT_FALSE(test, v.stale);
	KUNIT_EXPECT_EQ_MSG(test, v.valid, 0,
			    "entries valid: another owner's device folio reported");
	KUNIT_EXPECT_EQ(test, v.write, 0);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&ctx->dev->nr_migrate_to_ram), 0,
			    "faulted although no fault was requested");
	KUNIT_EXPECT_EQ(test, folio_ref_count(page_folio(dpage)), 1);
	KUNIT_EXPECT_NULL_MSG(test, zdt_mapped_page(ctx->addr + ZDT_PMD_MIDDLE * PAGE_SIZE),
			      "the folio left the device");
}

/*
 * hmm_range_fault_unlocked_timeout()'s @timeout bounds its retries, not a
 * fault: a fault in progress when the deadline passes is finished, not
 * interrupted, and once it has invalidated the range the call does not walk
 * again but returns -EBUSY, "the retry budget is exhausted before a stable
 * range is obtained" (its kernel-doc, mm/hmm.c; the driver then decides
 * whether to call again).  Here the fault back to RAM of another owner's
 * device-private page is held in migrate_to_ram() past the call's timeout
 * (UNLOCKED_TIMEOUT_MS), without dropping the mmap lock.  Succeeds if the
 * call returns -EBUSY, migrate_to_ram() ran once and moved the page (the CPU
 * maps a system page with the data), and a second call, not held, returns 0
 * with that page.
 */
static void unlocked_call_past_its_timeout_returns_ebusy(struct kunit *test)
{
	struct hmm_ctx *ctx = test->priv;
	struct completion *gate;
	struct mirror_view v;
	struct zdt_thread *t;
	struct mirror *mi;
	bool entered;
	u8 buf[ZDT_DATA_LEN];
	int ret;

	if (!ZDT_HAS_HMM_RANGE_FAULT_UNLOCKED)
		zdt_skip(test, "%s", ZDT_NO_HMM_RANGE_FAULT_UNLOCKED);
	gate = kunit_kzalloc(test, sizeof(*gate), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, gate);
	init_completion(gate);
	ctx->addr = zdt_page_on_device(test, MEMORY_DEVICE_PRIVATE, &ctx->dev);
	mi = mirror_create(test);
	mirror_request(mi, HMM_PFN_REQ_FAULT, &other_owner);

	zdt_device_gate_faults(ctx->dev, gate);
	t = zdt_thread_create(test, "hmm_range_fault_unlocked_timeout", mirror_thread_fn);
	t->flags = MIRROR_UNLOCKED;
	zdt_thread_start(t);
	entered = zdt_device_fault_entered(ctx->dev, 0, t);
	/* Well past the deadline, which was set before the fault began. */
	if (entered)
		msleep(UNLOCKED_TIMEOUT_MS + UNLOCKED_TIMEOUT_MS / 2);
	complete_all(gate);
	zdt_thread_finish(test, t, ctx->dev, "after the gate opened");
	zdt_device_gate_faults(ctx->dev, NULL);
	ret = t->ret;
	kunit_info(test, "migrate_to_ram() %s, held past the deadline: %d, %u invalidations",
		   entered ? "entered" : "not entered", ret, READ_ONCE(mi->n->nr_events));

	KUNIT_ASSERT_EQ_MSG(test, atomic_read(&ctx->dev->nr_migrate_to_ram), 1,
			    "migrate_to_ram() calls within %d ms", ZDT_ACCESS_MS);
	KUNIT_EXPECT_EQ_MSG(test, ret, -EBUSY,
			    "hmm_range_fault_unlocked_timeout() after its timeout");
	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, ctx->dev, ctx->addr, buf), 0);
	KUNIT_EXPECT_TRUE_MSG(test, zdt_has_data(test, buf, 0),
			      "the fault past the deadline did not finish moving the page");
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&ctx->dev->nr_migrate_to_ram), 1,
			    "the page was still on the device after the call");

	ret = mirror_call(test, MIRROR_UNLOCKED);
	v = mirror_view(mi);
	KUNIT_ASSERT_EQ_MSG(test, ret, 0, "a second call, nothing held");
	KUNIT_EXPECT_FALSE(test, v.stale);
	KUNIT_ASSERT_TRUE_MSG(test, v.pfn & HMM_PFN_VALID, "entry %#lx not valid", v.pfn);
	KUNIT_EXPECT_FALSE(test, v.zone_device);
	KUNIT_EXPECT_PTR_EQ(test, v.page, zdt_mapped_page(ctx->addr));
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, v.data, 0));
}

/*
 * A VM_MIXEDMAP vma of the case's own (as a driver maps its memory to user
 * space with vmf_insert_mixed() and vm_insert_page()), RANGE_PAGES pages,
 * that faults nothing in: what is mapped there is what the case inserts.
 */
static vm_fault_t mixed_fault(struct vm_fault *vmf)
{
	return VM_FAULT_SIGBUS;
}

static const struct vm_operations_struct mixed_vm_ops = {
	.fault = mixed_fault,
};

static int mixed_mmap(struct file *file, struct vm_area_struct *vma)
{
	vm_flags_set(vma, VM_MIXEDMAP | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_ops = &mixed_vm_ops;
	return 0;
}

static const struct file_operations mixed_fops = {
	.owner = THIS_MODULE,
	.mmap = mixed_mmap,
};

/* The pages behind a mixed mapping, freed once it is unmapped. */
struct mixed_pages {
	struct page *page[RANGE_PAGES];
};

static void mixed_pages_free(void *data)
{
	struct mixed_pages *mp = data;
	unsigned long i;

	for (i = 0; i < RANGE_PAGES; i++)
		if (mp->page[i])
			__free_page(mp->page[i]);
	kfree(mp);
}

/*
 * RANGE_PAGES pages of a VM_MIXEDMAP mapping (shared, read-only) of the
 * test's mm: page 0 a pfn inserted without its struct page (a special PTE:
 * vmf_insert_mixed()), the others kernel pages inserted with vm_insert_page()
 * (their struct page counted and mapped), each holding the case's data for
 * its index.  The mapping replaces a zdt_user_map() (MAP_FIXED), which the
 * fixture unmaps; the pages are freed after that.
 *
 * Return: its user address; *@mpp: the pages.
 */
static unsigned long mixed_map(struct kunit *test, struct mixed_pages **mpp)
{
	struct mm_struct *mm;
	struct vm_area_struct *vma;
	struct mixed_pages *mp;
	struct file *file;
	unsigned long addr, i;
	vm_fault_t fret = 0;
	int err = 0;

	if (!IS_ENABLED(CONFIG_ARCH_HAS_PTE_SPECIAL))
		zdt_skip(test, "%s", ZDT_NO_PTE_SPECIAL);
	mp = kzalloc_obj(*mp);
	KUNIT_ASSERT_NOT_NULL(test, mp);
	/* Held first, so released after the mapping (latest first). */
	zdt_hold(test, ZDT_HELD_MAPPING, mixed_pages_free, mp);
	for (i = 0; i < RANGE_PAGES; i++) {
		mp->page[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		KUNIT_ASSERT_NOT_NULL(test, mp->page[i]);
		zdt_put_data(test, page_address(mp->page[i]), i);
	}
	addr = zdt_user_map(test, RANGE_PAGES * PAGE_SIZE);
	mm = current->mm;
	file = anon_inode_getfile("zdt-mixed", &mixed_fops, NULL, O_RDWR);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(file), "anon_inode_getfile: %pe", file);
	KUNIT_EXPECT_EQ(test, vm_mmap(file, addr, RANGE_PAGES * PAGE_SIZE, PROT_READ,
				      MAP_SHARED | MAP_FIXED, 0), addr);
	fput(file);

	mmap_read_lock(mm);
	vma = vma_lookup(mm, addr);
	if (vma && (vma->vm_flags & VM_MIXEDMAP)) {
		fret = zdt_vmf_insert_mixed(vma, addr, page_to_pfn(mp->page[0]));
		for (i = 1; i < RANGE_PAGES && !err; i++)
			err = vm_insert_page(vma, addr + i * PAGE_SIZE, mp->page[i]);
	}
	mmap_read_unlock(mm);
	KUNIT_ASSERT_TRUE_MSG(test, vma && (vma->vm_flags & VM_MIXEDMAP),
			      "no VM_MIXEDMAP vma at %#lx", addr);
	KUNIT_ASSERT_TRUE_MSG(test, fret == VM_FAULT_NOPAGE, "vmf_insert_mixed(): %#x",
			      (__force unsigned int)fret);
	KUNIT_ASSERT_EQ_MSG(test, err, 0, "vm_insert_page()");
	*mpp = mp;
	return addr;
}

/* A pfn without a struct page, a fault asked for or not. */

struct special_param {
	const char *desc;
	unsigned long default_flags;	/* range->default_flags */
};

static const struct special_param special_params[] = {
	{ "no fault requested", 0 },
	{ "HMM_PFN_REQ_FAULT", HMM_PFN_REQ_FAULT },
};

KUNIT_ARRAY_PARAM_DESC(special, special_params, desc);

/*
 * A pfn a vma maps without its struct page (a special PTE in a VM_MIXEDMAP
 * vma: vm_normal_page() finds none) is never reported valid, present and
 * readable as it is: it is HMM_PFN_ERROR, "accessing the pfn is impossible
 * and the device should fail. ie poisoned memory, special pages"
 * (include/linux/hmm.h), so that no driver takes hmm_pfn_to_page() of it;
 * and since no fault can make it valid, HMM_PFN_REQ_FAULT fails the call
 * with -EFAULT (405506274922 "mm/hmm: add missing call to hmm_pte_need_fault
 * in HMM_PFN_SPECIAL handling"; hmm_vma_handle_pte()).  The pages of the
 * same vma inserted with their struct page are reported as any page.
 * Succeeds if, without a request, the driver loop holds with entry 0
 * HMM_PFN_ERROR and not valid, and every other entry valid, not writable,
 * the page inserted there, with its data; with one, if the driver loop
 * fails with -EFAULT.
 */
static void page_without_struct_page_reported_as_error(struct kunit *test)
{
	const struct special_param *p = test->param_value;
	struct hmm_ctx *ctx = test->priv;
	struct mixed_pages *mp;
	u8 data[ZDT_DATA_LEN];
	struct range_view v;
	struct mirror *mi;
	unsigned long i;
	int ret;

	ctx->addr = mixed_map(test, &mp);
	mi = mirror_create_pages(test, RANGE_PAGES);
	mirror_request(mi, p->default_flags, NULL);

	ret = mirror_call(test, MIRROR_POPULATE);
	v = range_view(test, mi, false);
	kunit_info(test, "driver loop: %d after %u passes; entries %#lx %#lx %#lx", ret,
		   mi->tries, v.pfn[0], v.pfn[1], v.pfn[2]);

	if (p->default_flags & HMM_PFN_REQ_FAULT) {
		KUNIT_EXPECT_EQ_MSG(test, ret, -EFAULT,
				    "a fault requested on a pfn without a struct page");
		return;
	}
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_ASSERT_FALSE(test, v.stale);
	KUNIT_EXPECT_TRUE_MSG(test, v.pfn[0] & HMM_PFN_ERROR,
			      "entry %#lx without HMM_PFN_ERROR", v.pfn[0]);
	KUNIT_EXPECT_FALSE_MSG(test, v.pfn[0] & HMM_PFN_VALID,
			       "entry %#lx of a pfn without a struct page valid", v.pfn[0]);
	for (i = 1; i < RANGE_PAGES; i++) {
		KUNIT_EXPECT_TRUE_MSG(test, v.pfn[i] & HMM_PFN_VALID,
				      "entry %lu %#lx beside it not valid", i, v.pfn[i]);
		KUNIT_EXPECT_FALSE(test, v.pfn[i] & (HMM_PFN_WRITE | HMM_PFN_ERROR));
		if (!v.page[i])
			continue;
		KUNIT_EXPECT_PTR_EQ(test, v.page[i], mp->page[i]);
		memcpy_from_page((char *)data, v.page[i], 0, sizeof(data));
		KUNIT_EXPECT_TRUE_MSG(test, zdt_has_data(test, data, i),
				      "entry %lu is not the page with its data", i);
	}
}

/*
 * How long the killed call's thread is watched at least while the folio
 * lock keeps its fault waiting, and how many faults it may take meanwhile
 * (a fault that retries is not counted; one spare).
 */
#define KILLED_WINDOW_MS	200
#define KILLED_MAX_FAULTS	1

/*
 * A mirror thread that a SIGKILL can reach (a kernel thread ignores every
 * signal unless it allows it): one hmm_range_fault_unlocked_timeout(), then
 * the signal is flushed and ignored again.
 */
static void killable_thread_fn(struct zdt_thread *t)
{
	struct hmm_ctx *ctx = t->test->priv;

	allow_signal(SIGKILL);
	memset(ctx->mirror->pfns, 0, ctx->mirror->npages * sizeof(ctx->mirror->pfns[0]));
	t->ret = zdt_hmm_range_fault_unlocked(&ctx->mirror->range,
					      msecs_to_jiffies(UNLOCKED_TIMEOUT_MS));
	flush_signals(current);
	disallow_signal(SIGKILL);
}

/*
 * A fatal signal that reaches hmm_range_fault_unlocked_timeout() while a
 * fault it takes has dropped the mmap lock to wait (here
 * remove_device_exclusive_entry() for a page the driver holds locked
 * exclusive: folio_lock_or_retry(), FAULT_FLAG_KILLABLE) ends the call with
 * -EINTR, "a fatal signal is pending during retry handling" (its kernel-doc,
 * mm/hmm.c), instead of taking the lock again and retrying the fault for
 * as long as the page stays locked: a killed process's driver call must
 * not outlive the kill.  Succeeds if the thread sleeps in the fault, returns
 * -EINTR within ZDT_ACCESS_MS of the SIGKILL while the folio is still
 * locked, and a CPU read afterwards sees the page's data.
 */
static void fatal_signal_in_a_fault_ends_the_unlocked_call(struct kunit *test)
{
	struct hmm_ctx *ctx = test->priv;
	struct mm_struct *mm;
	struct zdt_blocked b;
	struct zdt_thread *t;
	struct page *excl;
	struct mirror *mi;
	u8 buf[ZDT_DATA_LEN];
	bool returned;

	if (!ZDT_HAS_HMM_RANGE_FAULT_UNLOCKED)
		zdt_skip(test, "%s", ZDT_NO_HMM_RANGE_FAULT_UNLOCKED);
	if (!IS_ENABLED(CONFIG_DEVICE_PRIVATE))
		zdt_skip(test, "%s", ZDT_NO_DEVICE_EXCLUSIVE);
	ctx->addr = zdt_user_pages(test, 1);
	mm = current->mm;	/* the test's, since its first mapping */
	mi = mirror_create(test);
	mirror_request(mi, HMM_PFN_REQ_FAULT, &other_owner);

	mmap_read_lock(mm);
	excl = zdt_make_device_exclusive(mm, ctx->addr, &other_owner);
	mmap_read_unlock(mm);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR_OR_NULL(excl), "make_device_exclusive: %pe", excl);
	zdt_own_page(test, excl);
	zdt_own_page_lock(test, excl);

	t = zdt_thread_create(test, "hmm_range_fault_unlocked_timeout", killable_thread_fn);
	zdt_thread_start(t);
	b = zdt_thread_watch(t, KILLED_WINDOW_MS, KILLED_MAX_FAULTS);
	send_sig(SIGKILL, t->task, 1);
	returned = zdt_thread_wait(t, ZDT_ACCESS_MS);
	zdt_unlock_page(test, excl);
	zdt_put_page(test, excl);
	zdt_thread_finish(test, t, NULL, "after the unlock");
	kunit_info(test, "%lu faults in %u ms with the folio locked, thread %s; after SIGKILL %s: %ld",
		   b.faults, b.ms, b.done ? "done" : b.asleep ? "asleep" : "not asleep",
		   returned ? "returned" : "still running", t->ret);

	zdt_expect_asleep(test, b, KILLED_MAX_FAULTS, "mirroring thread",
			  "hmm_range_fault_unlocked_timeout()");
	KUNIT_EXPECT_TRUE_MSG(test, returned,
			      "the killed call did not return while the folio stayed locked");
	KUNIT_EXPECT_EQ_MSG(test, t->ret, -EINTR,
			    "hmm_range_fault_unlocked_timeout() of a killed thread");
	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, NULL, ctx->addr, buf), 0);
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, 0));
}

/*
 * A fatal signal that reaches hmm_range_fault_unlocked_timeout() while it
 * waits for the mmap lock (held for writing, here by the test, as another
 * thread's munmap() or mprotect() holds it) ends the call with -EINTR
 * without waiting for the lock: "-EINTR is returned if mmap_lock
 * acquisition is interrupted" (its kernel-doc, mm/hmm.c:
 * mmap_read_lock_killable()), so that a killed process's driver call does
 * not outwait whoever holds the lock.  Succeeds if the thread sleeps while
 * the lock is held, returns -EINTR within ZDT_ACCESS_MS of the SIGKILL with
 * the lock still held, and a driver loop afterwards holds with the page the
 * CPU maps, with its data.
 */
static void killed_call_waiting_for_the_mmap_lock_returns_eintr(struct kunit *test)
{
	struct hmm_ctx *ctx = test->priv;
	struct mirror_view v;
	struct mm_struct *mm;
	struct zdt_blocked b;
	struct zdt_thread *t;
	struct mirror *mi;
	bool returned;
	int ret;

	if (!ZDT_HAS_HMM_RANGE_FAULT_UNLOCKED)
		zdt_skip(test, "%s", ZDT_NO_HMM_RANGE_FAULT_UNLOCKED);
	ctx->addr = zdt_user_pages(test, 1);
	mm = current->mm;	/* the test's, since its first mapping */
	mi = mirror_create(test);
	mirror_request(mi, HMM_PFN_REQ_FAULT, NULL);
	t = zdt_thread_create(test, "hmm_range_fault_unlocked_timeout", killable_thread_fn);

	/* Nothing may assert until the unlock. */
	mmap_write_lock(mm);
	zdt_thread_start(t);
	b = zdt_thread_watch(t, KILLED_WINDOW_MS, KILLED_MAX_FAULTS);
	send_sig(SIGKILL, t->task, 1);
	returned = zdt_thread_wait(t, ZDT_ACCESS_MS);
	mmap_write_unlock(mm);
	zdt_thread_finish(test, t, NULL, "after the unlock");
	kunit_info(test, "thread %s with the mmap lock held; after SIGKILL %s: %ld",
		   b.done ? "done" : b.asleep ? "asleep" : "not asleep",
		   returned ? "returned" : "still waiting", t->ret);

	zdt_expect_asleep(test, b, KILLED_MAX_FAULTS, "mirroring thread",
			  "hmm_range_fault_unlocked_timeout()");
	KUNIT_EXPECT_TRUE_MSG(test, returned,
			      "the killed call did not return while the mmap lock stayed held");
	KUNIT_EXPECT_EQ_MSG(test, t->ret, -EINTR,
			    "hmm_range_fault_unlocked_timeout() of a killed thread");

	ret = mirror_call(test, MIRROR_POPULATE);
	v = mirror_view(mi);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_EXPECT_FALSE(test, v.stale);
	KUNIT_ASSERT_TRUE_MSG(test, v.pfn & HMM_PFN_VALID, "entry %#lx not valid", v.pfn);
	KUNIT_EXPECT_PTR_EQ(test, v.page, zdt_mapped_page(ctx->addr));
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, v.data, 0));
}

static struct kunit_case zone_device_hmm_cases[] = {
	KUNIT_CASE_PARAM(owner_gets_its_device_pfn_without_a_fault, own_gen_params),
	KUNIT_CASE_PARAM(other_owner_gets_the_page_faulted_back_only_on_request,
			 other_gen_params),
	KUNIT_CASE(invalidation_after_read_begin_forces_a_retry),
	KUNIT_CASE_PARAM(migration_invalidates_with_its_event_and_owner,
			 migrate_gen_params),
	KUNIT_CASE_PARAM(device_pmd_reported_whole_to_its_owner_faulted_back_for_others,
			 pmd_gen_params),
	KUNIT_CASE_SLOW(contended_hmm_fault_sleeps_instead_of_spinning),
	KUNIT_CASE_PARAM(hole_faulted_in_only_on_request, hole_gen_params),
	KUNIT_CASE_PARAM(unreadable_range_reported_as_error_refused_on_request,
			 unreadable_gen_params),
	KUNIT_CASE_PARAM(exclusive_entry_restored_only_on_request, excl_gen_params),
	KUNIT_CASE(unlocked_fault_leaves_a_sequence_that_holds),
	KUNIT_CASE_SLOW(migrating_page_waited_for_then_reported_where_it_went),
	KUNIT_CASE(dma_mapped_mark_kept_by_hmm_until_unmapped),
	KUNIT_CASE(failed_fault_fails_the_call_with_efault),
	KUNIT_CASE_PARAM(zero_page_reported_read_only_copied_on_write_request,
			 zero_gen_params),
	KUNIT_CASE_PARAM(write_request_on_read_only_vma_refused_with_eperm,
			 readonly_gen_params),
	KUNIT_CASE_PARAM_ATTR(device_pmd_under_migration_waited_for_only_on_request,
			      pmd_migrating_gen_params, { .speed = KUNIT_SPEED_SLOW }),
	KUNIT_CASE_PARAM(dma_map_refused_for_a_device_that_would_bounce,
			 dma_reach_gen_params),
	KUNIT_CASE_PARAM(hugetlb_page_reported_at_its_order_faulted_only_on_request,
			 huge_gen_params),
	KUNIT_CASE_PARAM(guard_region_never_reported_valid_refused_on_request,
			 guard_gen_params),
	KUNIT_CASE(other_owners_device_pmd_left_alone_without_a_fault_request),
	KUNIT_CASE_SLOW(unlocked_call_past_its_timeout_returns_ebusy),
	KUNIT_CASE_PARAM(page_without_struct_page_reported_as_error, special_gen_params),
	KUNIT_CASE(fatal_signal_in_a_fault_ends_the_unlocked_call),
	KUNIT_CASE(killed_call_waiting_for_the_mmap_lock_returns_eintr),
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
