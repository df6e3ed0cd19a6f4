// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for migrate_vma_*() and migrate_device_*() (mm/migrate_device.c):
 * what a device driver is promised when it moves pages between system RAM
 * and its device memory, as Documentation/mm/hmm.rst ("Migration to and from
 * device memory") describes the steps.
 *
 * Each case maps anonymous memory into the test's mm (kunit_vm_mmap()),
 * moves it to a fake device with the fixture and then drives one migration
 * itself, as a driver would: setup, allocate and copy, pages, finalize.
 * CPU accesses that may fault run in a bounded helper thread, so a kernel
 * that never finishes a fault gives a FAIL, not a hung run.
 */
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/highmem.h>
#include <linux/kthread.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/pagemap.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/string.h>
#include <linux/swap.h>
#include <linux/uaccess.h>
#include <kunit/test.h>

#include "zone_device_compat.h"
#include "zone_device_fixture.h"

#if IS_ENABLED(CONFIG_DEVICE_MIGRATION)

#if IS_BUILTIN(CONFIG_ZONE_DEVICE_MIGRATE_KUNIT_TEST)
#include "../internal.h"	/* migrate_device_coherent_folio() */
#endif

#define ACCESS_MS		ZDT_ACCESS_MS
/* How long the concurrent case lets CPU faults wait on a migrating page at least. */
#define MIGRATING_WINDOW_MS	200
/* ... and how many faults each faulting thread may take meanwhile. */
#define MIGRATING_MAX_FAULTS	2

/* Somebody else's pgmap owner: a device that is not ours. */
static int other_owner;

/*
 * @npages private anonymous pages of the test's mm, each faulted in by
 * writing the case's data for its index (zdt_fill() with tag i) to its first
 * ZDT_DATA_LEN bytes, so that a page that moved to the wrong place shows.
 */
static unsigned long user_pages(struct kunit *test, unsigned long npages)
{
	unsigned long addr = kunit_vm_mmap(test, NULL, 0, npages * PAGE_SIZE,
					   PROT_READ | PROT_WRITE,
					   MAP_ANONYMOUS | MAP_PRIVATE, 0);
	unsigned long i;
	u8 buf[ZDT_DATA_LEN];

	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR_VALUE(addr), "kunit_vm_mmap: %ld",
			       (long)addr);
	for (i = 0; i < npages; i++) {
		zdt_fill(test, buf, sizeof(buf), i);
		KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)(addr + i * PAGE_SIZE),
						   buf, sizeof(buf)), 0);
	}
	return addr;
}

/*
 * Unmaps [@addr, @addr + @len) of the test's mm; every case ends with it.
 * The test's mm goes only when the case's thread has exited, which may be
 * after KUnit began the fixture's teardown: a device page still mapped then
 * would look leaked, and a leaked device-coherent range fails every later
 * coherent case.
 */
static void unmap_user(struct kunit *test, unsigned long addr, size_t len)
{
	KUNIT_EXPECT_EQ(test, vm_munmap(addr, len), 0);
}

/*
 * Empties the per-CPU LRU batches, each of which holds a reference on the
 * system folios it carries, so that refcounts compare exactly.  Every CPU's
 * when built in (lru_add_drain_all() is not exported); else this CPU's.
 */
static void drain_lru_batches(void)
{
#if IS_BUILTIN(CONFIG_ZONE_DEVICE_MIGRATE_KUNIT_TEST)
	lru_add_drain_all();
#else
	lru_add_drain();
#endif
}

/* Whether the first ZDT_DATA_LEN bytes of @data hold page @i's data. */
static bool has_data(struct kunit *test, const void *data, unsigned long i)
{
	return zdt_data_is(test, data, ZDT_DATA_LEN, i);
}

/* Writes page @i's data (as user_pages() does) to @data. */
static void put_data(struct kunit *test, void *data, unsigned long i)
{
	zdt_fill(test, data, ZDT_DATA_LEN, i);
}

/*
 * The page the CPU page table maps present at @addr, without faulting
 * (GUP-fast only): NULL for a non-present entry (device-private, migration
 * entry).  No reference is kept: the caller compares the pointer.
 */
static struct page *mapped_page(unsigned long addr)
{
	struct page *page;

	if (!get_user_page_fast_only(addr, 0, &page))
		return NULL;
	put_page(page);
	return page;
}

/*
 * A migration the case drives as a driver does (hmm.rst steps 1-7): the
 * arrays are the test's, the mmap lock is held from begin_migration() to
 * end_migration().  Nothing in between may assert: an aborted case would
 * keep the mmap lock and hang the teardown.
 */
struct drive {
	struct migrate_vma args;
	struct mm_struct *mm;
	int ret;		/* what migrate_vma_setup() returned */
};

static void drive_init(struct kunit *test, struct drive *d, unsigned long addr,
		       unsigned long npages, void *owner, unsigned long flags)
{
	memset(d, 0, sizeof(*d));
	d->mm = current->mm;
	KUNIT_ASSERT_NOT_NULL(test, d->mm);
	d->args.start = addr;
	d->args.end = addr + npages * PAGE_SIZE;
	d->args.pgmap_owner = owner;
	d->args.flags = flags;
	d->args.src = kunit_kcalloc(test, npages, sizeof(*d->args.src), GFP_KERNEL);
	d->args.dst = kunit_kcalloc(test, npages, sizeof(*d->args.dst), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, d->args.src);
	KUNIT_ASSERT_NOT_NULL(test, d->args.dst);
}

/* mmap_read_lock() and migrate_vma_setup(); the result in d->ret. */
static void begin_migration(struct drive *d)
{
	mmap_read_lock(d->mm);
	d->args.vma = vma_lookup(d->mm, d->args.start);
	d->ret = d->args.vma ? migrate_vma_setup(&d->args) : -ENOENT;
}

/* migrate_vma_finalize() (if setup succeeded) and mmap_read_unlock(). */
static void end_migration(struct drive *d)
{
	if (!d->ret)
		migrate_vma_finalize(&d->args);
	mmap_read_unlock(d->mm);
}

/*
 * A locked system page holding a copy of device-private page @spage's data,
 * as the destination of a move back to RAM; its pfn for the dst array, or 0.
 */
static unsigned long ram_copy_of(struct drive *d, struct page *spage)
{
	struct page *page = alloc_page_vma(GFP_HIGHUSER_MOVABLE, d->args.vma,
					   d->args.start);

	if (!page)
		return 0;
	lock_page(page);
	memcpy(page_address(page), zdt_page_data(spage), PAGE_SIZE);
	return migrate_pfn(page_to_pfn(page));
}

/* Reads @addr from the CPU, bounded; what its first ZDT_DATA_LEN bytes had in @buf. */
static void cpu_read(struct kunit *test, unsigned long addr, u8 *buf)
{
	struct zdt_faulter *f = zdt_faulter_create(test, addr);
	unsigned long left;

	zdt_faulter_start(f);
	if (!zdt_faulter_wait(f, ACCESS_MS))
		KUNIT_FAIL_AND_ABORT(test, "CPU read of %lx not done in %d ms (thread leaked)",
				     addr, ACCESS_MS);
	memcpy(buf, f->buf, sizeof(f->buf));
	left = f->left;
	zdt_faulter_free(f);
	KUNIT_ASSERT_EQ_MSG(test, left, 0, "CPU read of %lx failed", addr);
}

/* One page of the test's mm moved to a new device of @type; its address. */
static unsigned long page_on_device(struct kunit *test, enum memory_type type,
				    struct zdt_device **devp)
{
	struct zdt_device *dev = zdt_device_create(test, type, ZDT_DEVICE_PAGES);
	unsigned long addr = user_pages(test, 1);

	KUNIT_ASSERT_EQ(test, zdt_migrate_to_device(dev, addr, 1), 1);
	KUNIT_ASSERT_EQ(test, page_ref_count(zdt_device_page(dev, 0)), 1);
	*devp = dev;
	return addr;
}

/* What a source page looks like from outside: checked before and after. */
struct page_state {
	int refcount;
	int mapcount;
	bool locked;
};

static struct page_state state_of(struct page *page)
{
	struct folio *folio = page_folio(page);

	return (struct page_state) {
		.refcount = folio_ref_count(folio),
		.mapcount = folio_mapcount(folio),
		.locked = folio_test_locked(folio),
	};
}

static void expect_state(struct kunit *test, struct page_state now,
			 struct page_state want, const char *when)
{
	KUNIT_EXPECT_EQ_MSG(test, now.refcount, want.refcount, "refcount %s", when);
	KUNIT_EXPECT_EQ_MSG(test, now.mapcount, want.mapcount, "mapcount %s", when);
	KUNIT_EXPECT_EQ_MSG(test, now.locked, want.locked, "lock %s", when);
}

/* Which page setup selects, by args->flags and args->pgmap_owner. */

enum source_kind { SRC_SYSTEM, SRC_PRIVATE, SRC_COHERENT };

struct select_param {
	const char *desc;
	enum source_kind source;	/* what backs the page */
	unsigned long flags;		/* args->flags */
	bool our_owner;			/* args->pgmap_owner is the device's */
	bool selected;			/* what setup must do with it */
};

static const struct select_param select_params[] = {
	{ "system page, SELECT_SYSTEM", SRC_SYSTEM,
	  MIGRATE_VMA_SELECT_SYSTEM, true, true },
	{ "system page, SELECT_DEVICE_*", SRC_SYSTEM,
	  MIGRATE_VMA_SELECT_DEVICE_PRIVATE | MIGRATE_VMA_SELECT_DEVICE_COHERENT,
	  true, false },
	{ "private page, SELECT_DEVICE_PRIVATE, its owner", SRC_PRIVATE,
	  MIGRATE_VMA_SELECT_DEVICE_PRIVATE, true, true },
	{ "private page, SELECT_DEVICE_PRIVATE, other owner", SRC_PRIVATE,
	  MIGRATE_VMA_SELECT_DEVICE_PRIVATE, false, false },
	{ "private page, SELECT_SYSTEM|SELECT_DEVICE_COHERENT", SRC_PRIVATE,
	  MIGRATE_VMA_SELECT_SYSTEM | MIGRATE_VMA_SELECT_DEVICE_COHERENT,
	  true, false },
	{ "coherent page, SELECT_DEVICE_COHERENT, its owner", SRC_COHERENT,
	  MIGRATE_VMA_SELECT_DEVICE_COHERENT, true, true },
	{ "coherent page, SELECT_DEVICE_COHERENT, other owner", SRC_COHERENT,
	  MIGRATE_VMA_SELECT_DEVICE_COHERENT, false, false },
	{ "coherent page, SELECT_SYSTEM|SELECT_DEVICE_PRIVATE", SRC_COHERENT,
	  MIGRATE_VMA_SELECT_SYSTEM | MIGRATE_VMA_SELECT_DEVICE_PRIVATE,
	  true, false },
};

static void select_desc(const struct select_param *p, char *desc)
{
	strscpy(desc, p->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(select, select_params, select_desc);

/*
 * migrate_vma_setup() collects exactly the pages args->flags and
 * args->pgmap_owner select: system pages with MIGRATE_VMA_SELECT_SYSTEM,
 * device pages with their own SELECT flag and the owner of their pgmap
 * (Documentation/mm/hmm.rst, "Migration to and from device memory", step
 * 2).  A selected page is counted in cpages, its src entry is its pfn with
 * MIGRATE_PFN_VALID, MIGRATE_PFN_MIGRATE and MIGRATE_PFN_WRITE (writable
 * mapping), and it is locked and unmapped; an unselected page has a zero
 * src entry and is left alone.  finalize with no destination puts a
 * selected page back.  Succeeds if so for each source and selection.
 */
static void setup_selects_by_flags_and_owner(struct kunit *test)
{
	const struct select_param *p = test->param_value;
	struct zdt_device *dev = NULL;
	struct page_state before, setup, after;
	unsigned long addr, want_src;
	unsigned long cpages, src;
	struct page *page;
	struct drive d;

	if (p->source == SRC_SYSTEM) {
		addr = user_pages(test, 1);
		page = mapped_page(addr);
		KUNIT_ASSERT_NOT_NULL(test, page);
	} else {
		addr = page_on_device(test, p->source == SRC_PRIVATE ?
				      MEMORY_DEVICE_PRIVATE : MEMORY_DEVICE_COHERENT,
				      &dev);
		page = zdt_device_page(dev, 0);
	}
	drain_lru_batches();
	before = state_of(page);
	want_src = migrate_pfn(page_to_pfn(page)) | MIGRATE_PFN_MIGRATE |
		   MIGRATE_PFN_WRITE;

	drive_init(test, &d, addr, 1, p->our_owner ? (void *)dev : &other_owner,
		   p->flags);
	begin_migration(&d);
	cpages = d.args.cpages;
	src = d.args.src[0];
	setup = state_of(page);
	end_migration(&d);
	drain_lru_batches();
	after = state_of(page);

	KUNIT_ASSERT_EQ(test, d.ret, 0);
	if (p->selected) {
		KUNIT_EXPECT_EQ(test, cpages, 1);
		KUNIT_EXPECT_EQ_MSG(test, src, want_src, "src entry of a selected page");
		KUNIT_EXPECT_TRUE_MSG(test, setup.locked, "selected page not locked by setup");
		KUNIT_EXPECT_EQ_MSG(test, setup.mapcount, 0, "selected page still mapped");
	} else {
		KUNIT_EXPECT_EQ(test, cpages, 0);
		KUNIT_EXPECT_EQ_MSG(test, src, 0, "src entry of a page not selected");
		expect_state(test, setup, before, "of an unselected page after setup");
	}
	expect_state(test, after, before, "after finalize");
	if (p->source != SRC_PRIVATE)
		KUNIT_EXPECT_PTR_EQ(test, mapped_page(addr), page);
	unmap_user(test, addr, PAGE_SIZE);
}

/*
 * A device-private page the test holds an extra reference on is
 * collected by setup (migrate_vma_check_page() allows a ZONE_DEVICE page
 * one more reference), but migrate_vma_pages() cannot move it: the
 * expected-count check of folio_migrate_mapping() fails, MIGRATE_PFN_MIGRATE
 * is cleared, and finalize maps the device page again and drops the
 * destination (8763cb45ab96 "mm/migrate: new memory migration helper for use
 * with device memory"; hmm.rst step 4).  Succeeds if the source is collected,
 * not migrated, back in place with every refcount as before (source and
 * destination), and a later CPU access still finds the data through the
 * device's migrate_to_ram().
 */
static void extra_reference_keeps_the_page_on_the_device(struct kunit *test)
{
	struct zdt_device *dev;
	unsigned long addr = page_on_device(test, MEMORY_DEVICE_PRIVATE, &dev);
	struct page *dpage = zdt_device_page(dev, 0), *rpage;
	struct page_state before, after, rbefore = { }, rafter = { };
	unsigned long src_setup, src_pages;
	struct drive d;
	u8 buf[ZDT_DATA_LEN];

	get_page(dpage);
	before = state_of(dpage);
	drive_init(test, &d, addr, 1, dev, MIGRATE_VMA_SELECT_DEVICE_PRIVATE);
	begin_migration(&d);
	src_setup = d.args.src[0];
	rpage = NULL;
	if (!d.ret && (src_setup & MIGRATE_PFN_MIGRATE)) {
		d.args.dst[0] = ram_copy_of(&d, dpage);
		rpage = migrate_pfn_to_page(d.args.dst[0]);
		if (rpage) {
			/* Ours, to see that finalize drops exactly its own. */
			get_page(rpage);
			rbefore = state_of(rpage);
		}
		migrate_vma_pages(&d.args);
	}
	src_pages = d.args.src[0];
	end_migration(&d);
	after = state_of(dpage);
	if (rpage) {
		rafter = state_of(rpage);
		put_page(rpage);
	}
	put_page(dpage);

	KUNIT_ASSERT_EQ(test, d.ret, 0);
	KUNIT_ASSERT_TRUE_MSG(test, src_setup & MIGRATE_PFN_MIGRATE,
			      "setup did not collect the referenced page (src %#lx)",
			      src_setup);
	KUNIT_ASSERT_NOT_NULL(test, rpage);
	KUNIT_EXPECT_FALSE_MSG(test, src_pages & MIGRATE_PFN_MIGRATE,
			       "migrate_vma_pages() moved a page someone else references");
	expect_state(test, after, before, "of the source after finalize");
	KUNIT_EXPECT_EQ_MSG(test, rafter.refcount, rbefore.refcount - 1,
			    "finalize did not drop the unused destination once");
	KUNIT_EXPECT_FALSE(test, rafter.locked);
	KUNIT_EXPECT_EQ(test, rafter.mapcount, 0);

	cpu_read(test, addr, buf);
	KUNIT_EXPECT_TRUE(test, has_data(test, buf, 0));
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&dev->nr_migrate_to_ram), 1,
			    "the CPU access did not go through the device page");
	unmap_user(test, addr, PAGE_SIZE);
}

/* args->fault_page held locked or not by the caller. */

struct fault_page_param {
	const char *desc;
	bool locked;			/* the caller holds it locked */
};

static const struct fault_page_param fault_page_params[] = {
	{ "fault_page locked by the caller", true },
	{ "fault_page unlocked", false },
};

KUNIT_ARRAY_PARAM_DESC(fault_page, fault_page_params, desc);

/*
 * args->fault_page is the device-private page a migrate_to_ram() was called
 * for, with the fault's reference held.  Since 1afaeb8293c9 ("mm/migrate:
 * Trylock device page in do_swap_page") the fault holds it locked:
 * migrate_vma_setup() refuses an unlocked fault_page with -EINVAL and
 * collects a locked one without locking it again, and finalize leaves it
 * locked for the caller.  Before (6.12) the fault did not lock it and setup
 * trylocked it like any page: an unlocked one is collected and unlocked by
 * finalize, a locked one is skipped.  Succeeds if setup follows this
 * kernel's rule (ZDT_SETUP_LOCKED_FAULT_PAGE) and every page state is as
 * before at the end.
 */
static void setup_follows_the_fault_page_lock_rule(struct kunit *test)
{
	const struct fault_page_param *p = test->param_value;
	struct zdt_device *dev;
	unsigned long addr = page_on_device(test, MEMORY_DEVICE_PRIVATE, &dev);
	struct page *dpage = zdt_device_page(dev, 0);
	struct page_state before, setup, after;
	bool wants_locked = ZDT_SETUP_LOCKED_FAULT_PAGE;
	unsigned long src, cpages;
	struct drive d;

	kunit_info(test, "rule: %s", ZDT_FAULT_PAGE_RULE);
	/* What do_swap_page() holds when it calls migrate_to_ram(). */
	get_page(dpage);
	if (p->locked)
		KUNIT_ASSERT_TRUE(test, trylock_page(dpage));
	before = state_of(dpage);

	drive_init(test, &d, addr, 1, dev, MIGRATE_VMA_SELECT_DEVICE_PRIVATE);
	d.args.fault_page = dpage;
	begin_migration(&d);
	src = d.args.src[0];
	cpages = d.args.cpages;
	setup = state_of(dpage);
	end_migration(&d);
	after = state_of(dpage);
	if (after.locked)
		unlock_page(dpage);
	put_page(dpage);

	if (wants_locked && !p->locked) {
		KUNIT_EXPECT_EQ_MSG(test, d.ret, -EINVAL, "%s", ZDT_FAULT_PAGE_RULE);
		expect_state(test, setup, before, "after the refused setup");
	} else if (wants_locked || !p->locked) {
		/* Collected: locked and unmapped for the migration. */
		KUNIT_EXPECT_EQ(test, d.ret, 0);
		KUNIT_EXPECT_EQ_MSG(test, cpages, 1, "%s", ZDT_FAULT_PAGE_RULE);
		KUNIT_EXPECT_EQ(test, src, migrate_pfn(page_to_pfn(dpage)) |
				MIGRATE_PFN_MIGRATE | MIGRATE_PFN_WRITE);
		KUNIT_EXPECT_TRUE(test, setup.locked);
		KUNIT_EXPECT_EQ(test, setup.mapcount, 0);
	} else {
		/* Before 1afaeb8293c9: setup's trylock fails, not collected. */
		KUNIT_EXPECT_EQ(test, d.ret, 0);
		KUNIT_EXPECT_EQ_MSG(test, cpages, 0, "%s", ZDT_FAULT_PAGE_RULE);
		KUNIT_EXPECT_EQ(test, src, 0);
	}
	expect_state(test, after, before, "after finalize");
	unmap_user(test, addr, PAGE_SIZE);
}

/* Eviction of device memory, by pfn range or pfn list. */

#define EVICT_PAGES		4	/* in use on the device */
#define EVICT_RANGE		8	/* pfns handed to the eviction: 4 free */

struct evict_param {
	const char *desc;
	bool by_list;			/* migrate_device_pfns(), else _range() */
};

static const struct evict_param evict_params[] = {
	{ "migrate_device_range", false },
	{ "migrate_device_pfns", true },
};

KUNIT_ARRAY_PARAM_DESC(evict, evict_params, desc);

/*
 * A driver that gives its memory up (unbind, eviction) moves every
 * device-private page of a pfn range back to system RAM without knowing
 * their mappings: migrate_device_range() (e778406b40db "mm/migrate_device.c:
 * add migrate_device_range()") or, for a list of pfns, migrate_device_pfns()
 * (a14fa8ec9d81 "mm/migrate: Add migrate_device_pfns", 6.15), then
 * migrate_device_pages() and migrate_device_finalize().  Free device pages
 * are not collected; every used one is, and afterwards each virtual address
 * maps the system page the driver copied it to, and the device pages are
 * freed.  Succeeds if so, with no CPU fault needed to get the data.
 */
static void eviction_moves_every_device_page_to_ram(struct kunit *test)
{
	const struct evict_param *p = test->param_value;
	struct zdt_device *dev;
	unsigned long addr, i, *src, *dst;
	struct page *rpages[EVICT_RANGE] = { };
	unsigned long collected = 0, migrated = 0;
	u8 buf[ZDT_DATA_LEN];
	int ret;

	if (p->by_list && !ZDT_HAS_MIGRATE_DEVICE_PFNS)
		kunit_skip(test, ZDT_NO_MIGRATE_DEVICE_PFNS);
	dev = zdt_device_create(test, MEMORY_DEVICE_PRIVATE, ZDT_DEVICE_PAGES);
	addr = user_pages(test, EVICT_PAGES);
	KUNIT_ASSERT_EQ(test, zdt_migrate_to_device(dev, addr, EVICT_PAGES),
			EVICT_PAGES);
	src = kunit_kcalloc(test, EVICT_RANGE, sizeof(*src), GFP_KERNEL);
	dst = kunit_kcalloc(test, EVICT_RANGE, sizeof(*dst), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, src);
	KUNIT_ASSERT_NOT_NULL(test, dst);

	if (p->by_list) {
		for (i = 0; i < EVICT_RANGE; i++)
			src[i] = dev->pfn_first + i;
		ret = zdt_migrate_device_pfns(src, EVICT_RANGE);
	} else {
		ret = migrate_device_range(src, dev->pfn_first, EVICT_RANGE);
	}
	KUNIT_ASSERT_EQ(test, ret, 0);
	for (i = 0; i < EVICT_RANGE; i++) {
		struct page *spage = migrate_pfn_to_page(src[i]);
		struct page *rpage;

		if (!spage || !(src[i] & MIGRATE_PFN_MIGRATE))
			continue;
		collected++;
		rpage = alloc_page(GFP_HIGHUSER_MOVABLE);
		if (!rpage)
			continue;
		lock_page(rpage);
		memcpy(page_address(rpage), zdt_page_data(spage), PAGE_SIZE);
		dst[i] = migrate_pfn(page_to_pfn(rpage));
		rpages[i] = rpage;
	}
	migrate_device_pages(src, dst, EVICT_RANGE);
	for (i = 0; i < EVICT_RANGE; i++)
		if (src[i] & MIGRATE_PFN_MIGRATE)
			migrated++;
	migrate_device_finalize(src, dst, EVICT_RANGE);

	KUNIT_EXPECT_EQ_MSG(test, collected, EVICT_PAGES,
			    "pages collected of %d in use", EVICT_PAGES);
	KUNIT_EXPECT_EQ(test, migrated, EVICT_PAGES);
	for (i = 0; i < EVICT_PAGES; i++) {
		struct page *now = mapped_page(addr + i * PAGE_SIZE);

		KUNIT_EXPECT_NOT_NULL_MSG(test, rpages[i], "device page %lu not collected", i);
		KUNIT_EXPECT_PTR_EQ_MSG(test, now, rpages[i],
					"page %lu is not mapped to its new system page", i);
		KUNIT_EXPECT_EQ(test, page_ref_count(zdt_device_page(dev, i)), 0);
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_free), EVICT_PAGES);
	for (i = 0; i < EVICT_PAGES; i++) {
		cpu_read(test, addr + i * PAGE_SIZE, buf);
		KUNIT_EXPECT_TRUE_MSG(test, has_data(test, buf, i), "data of page %lu", i);
	}
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&dev->nr_migrate_to_ram), 0,
			    "a CPU access still found a device-private page");
	unmap_user(test, addr, EVICT_PAGES * PAGE_SIZE);
}

/*
 * migrate_device_coherent_folio(): GUP FOLL_LONGTERM moves a
 * device-coherent folio to system RAM before pinning it (mm/gup.c).  The
 * caller passes one reference of its own, which the call consumes.
 */
#define COHERENT_FOLIO_CALLABLE	IS_BUILTIN(CONFIG_ZONE_DEVICE_MIGRATE_KUNIT_TEST)

static int coherent_folio_migrate(struct folio *folio)
{
#if IS_BUILTIN(CONFIG_ZONE_DEVICE_MIGRATE_KUNIT_TEST)
	return migrate_device_coherent_folio(folio);
#else
	return -EOPNOTSUPP;
#endif
}

#define NO_COHERENT_FOLIO \
	"needs the suite built in (=y): migrate_device_coherent_folio() is mm-internal"

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

	if (!COHERENT_FOLIO_CALLABLE)
		kunit_skip(test, NO_COHERENT_FOLIO);
	addr = page_on_device(test, MEMORY_DEVICE_COHERENT, &dev);
	cpage = zdt_device_page(dev, 0);

	folio_get(page_folio(cpage));	/* the caller's, as in mm/gup.c */
	ret = coherent_folio_migrate(page_folio(cpage));
	now = mapped_page(addr);

	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_ASSERT_NOT_NULL_MSG(test, now, "nothing mapped at %lx after the migration",
				  addr);
	KUNIT_EXPECT_PTR_NE_MSG(test, now, cpage, "still maps the coherent page");
	KUNIT_EXPECT_FALSE(test, is_zone_device_page(now));
	KUNIT_EXPECT_TRUE_MSG(test, has_data(test, page_address(now), 0),
			      "the new page does not hold the data");
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_free), 1);
	KUNIT_EXPECT_EQ(test, page_ref_count(cpage), 0);
	KUNIT_EXPECT_FALSE(test, PageLocked(cpage));
	cpu_read(test, addr, buf);
	KUNIT_EXPECT_TRUE(test, has_data(test, buf, 0));
	unmap_user(test, addr, PAGE_SIZE);
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
	struct page_state before, after;
	struct page *cpage;
	struct folio *folio;
	int ret;

	if (!COHERENT_FOLIO_CALLABLE)
		kunit_skip(test, NO_COHERENT_FOLIO);
	addr = page_on_device(test, MEMORY_DEVICE_COHERENT, &dev);
	cpage = zdt_device_page(dev, 0);
	folio = page_folio(cpage);

	folio_get(folio);		/* somebody else's */
	before = state_of(cpage);
	folio_get(folio);		/* the caller's, consumed by the call */
	ret = coherent_folio_migrate(folio);
	after = state_of(cpage);
	if (after.locked)
		folio_unlock(folio);

	KUNIT_EXPECT_EQ(test, ret, -EBUSY);
	expect_state(test, after, before, "after the failed migration");
	KUNIT_EXPECT_PTR_EQ_MSG(test, mapped_page(addr), cpage,
				"the coherent page is no longer mapped");
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_free), 0);
	folio_put(folio);
	unmap_user(test, addr, PAGE_SIZE);
}

/* The page of a PMD-sized range the large-folio case writes and reads. */
#define PMD_PAGE_INDEX		(PTRS_PER_PMD / 2)

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
	unsigned long nr = 1UL << order, map, base, i, src0, src_pages, cpages;
	unsigned long others = 0;
	struct zdt_device *dev;
	struct folio *rfolio = NULL;
	struct page *dpage, *now;
	struct drive d;
	u8 buf[ZDT_DATA_LEN];

	if (!ZDT_HAS_LARGE_DEVICE_FOLIOS)
		kunit_skip(test, ZDT_NO_LARGE_DEVICE_FOLIOS);
	dev = zdt_device_create(test, MEMORY_DEVICE_PRIVATE, PTRS_PER_PMD);
	if (!thp_migration_supported())
		kunit_skip(test,
			   "needs PMD-level migration entries (CONFIG_TRANSPARENT_HUGEPAGE on an arch with THP migration)");
	/* Twice the size, so that an aligned PMD lies inside the mapping. */
	map = kunit_vm_mmap(test, NULL, 0, 2 * PMD_SIZE, PROT_READ | PROT_WRITE,
			    MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR_VALUE(map));
	base = ALIGN(map, PMD_SIZE);
	dpage = zdt_migrate_pmd_to_device(dev, base);
	KUNIT_ASSERT_EQ(test, folio_order(page_folio(dpage)), order);
	put_data(test, zdt_page_data(dpage + PMD_PAGE_INDEX), PMD_PAGE_INDEX);

	drive_init(test, &d, base, nr, dev,
		   MIGRATE_VMA_SELECT_DEVICE_PRIVATE | ZDT_MIGRATE_VMA_SELECT_COMPOUND);
	begin_migration(&d);
	src0 = d.args.src[0];
	cpages = d.args.cpages;
	for (i = 1; i < nr && !d.ret; i++)
		others |= d.args.src[i];
	if (!d.ret && (src0 & MIGRATE_PFN_MIGRATE) && (src0 & ZDT_MIGRATE_PFN_COMPOUND))
		rfolio = zdt_vma_alloc_folio(order, d.args.vma, base);
	if (rfolio) {
		folio_lock(rfolio);
		for (i = 0; i < nr; i++)
			copy_highpage(folio_page(rfolio, i),
				      virt_to_page(zdt_page_data(dpage + i)));
		d.args.dst[0] = migrate_pfn(folio_pfn(rfolio)) | ZDT_MIGRATE_PFN_COMPOUND;
		migrate_vma_pages(&d.args);
	}
	src_pages = d.args.src[0];
	end_migration(&d);

	KUNIT_ASSERT_EQ(test, d.ret, 0);
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
	now = mapped_page(base + PMD_PAGE_INDEX * PAGE_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, now);
	KUNIT_EXPECT_PTR_EQ_MSG(test, page_folio(now), rfolio,
				"the range does not map the new large folio");
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_free), 1);
	KUNIT_EXPECT_EQ(test, folio_ref_count(page_folio(dpage)), 0);
	cpu_read(test, base + PMD_PAGE_INDEX * PAGE_SIZE, buf);
	KUNIT_EXPECT_TRUE(test, has_data(test, buf, PMD_PAGE_INDEX));
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_migrate_to_ram), 0);
	unmap_user(test, map, 2 * PMD_SIZE);
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
	unsigned int order = PMD_SHIFT - PAGE_SHIFT;
	unsigned long map, base, addr, src0 = 0, src_pages = 0, cpages = 0;
	struct page *dpage, *spage, *next, *now;
	struct zdt_device *dev;
	struct drive d;
	u8 buf[ZDT_DATA_LEN];

	if (!ZDT_HAS_LARGE_DEVICE_FOLIOS)
		kunit_skip(test, ZDT_NO_LARGE_DEVICE_FOLIOS);
	dev = zdt_device_create(test, MEMORY_DEVICE_PRIVATE, PTRS_PER_PMD);
	if (!thp_migration_supported())
		kunit_skip(test,
			   "needs PMD-level migration entries (CONFIG_TRANSPARENT_HUGEPAGE on an arch with THP migration)");
	map = kunit_vm_mmap(test, NULL, 0, 2 * PMD_SIZE, PROT_READ | PROT_WRITE,
			    MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR_VALUE(map));
	base = ALIGN(map, PMD_SIZE);
	dpage = zdt_migrate_pmd_to_device(dev, base);
	KUNIT_ASSERT_EQ(test, folio_order(page_folio(dpage)), order);
	spage = dpage + PMD_PAGE_INDEX;
	next = spage + 1;
	put_data(test, zdt_page_data(spage), PMD_PAGE_INDEX);
	put_data(test, zdt_page_data(next), PMD_PAGE_INDEX + 1);

	addr = base + PMD_PAGE_INDEX * PAGE_SIZE;
	drive_init(test, &d, addr, 1, dev,
		   MIGRATE_VMA_SELECT_DEVICE_PRIVATE | ZDT_MIGRATE_VMA_SELECT_COMPOUND);
	begin_migration(&d);
	if (!d.ret) {
		src0 = d.args.src[0];
		cpages = d.args.cpages;
		if (src0 & MIGRATE_PFN_MIGRATE)
			d.args.dst[0] = ram_copy_of(&d, migrate_pfn_to_page(src0));
		migrate_vma_pages(&d.args);
		src_pages = d.args.src[0];
	}
	end_migration(&d);

	KUNIT_ASSERT_EQ(test, d.ret, 0);
	KUNIT_EXPECT_EQ_MSG(test, src0, migrate_pfn(page_to_pfn(spage)) |
			    MIGRATE_PFN_MIGRATE | MIGRATE_PFN_WRITE,
			    "the page was not collected alone, as an order-0 entry");
	KUNIT_EXPECT_EQ(test, cpages, 1);
	KUNIT_EXPECT_EQ(test, folio_order(page_folio(spage)), 0);
	KUNIT_EXPECT_EQ(test, folio_order(page_folio(next)), 0);
	KUNIT_EXPECT_TRUE_MSG(test, src_pages & MIGRATE_PFN_MIGRATE,
			      "migrate_vma_pages() did not move the page");
	now = mapped_page(addr);
	KUNIT_EXPECT_NOT_NULL(test, now);
	if (now)
		KUNIT_EXPECT_FALSE(test, is_zone_device_page(now));
	KUNIT_EXPECT_NULL_MSG(test, mapped_page(addr + PAGE_SIZE),
			      "the neighbour left the device too");
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&dev->nr_free), 1,
			    "only the moved page is freed");

	cpu_read(test, addr, buf);
	KUNIT_EXPECT_TRUE(test, has_data(test, buf, PMD_PAGE_INDEX));
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_migrate_to_ram), 0);
	cpu_read(test, addr + PAGE_SIZE, buf);
	KUNIT_EXPECT_TRUE(test, has_data(test, buf, PMD_PAGE_INDEX + 1));
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_migrate_to_ram), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_free), 2);
	unmap_user(test, map, 2 * PMD_SIZE);
}

/* Threads faulting on the page while the test migrates it. */
#define MIGRATING_FAULTERS	2

/*
 * CPU faults on a device-private page while its driver migrates it (the
 * Xe SVM scenario of b570f37a2ce4's thread): between setup and finalize the
 * page's PTE is a migration entry, and a CPU access must sleep on it
 * (migration_entry_wait() in do_swap_page()) until finalize installs the new
 * page, then read that; it must not call migrate_to_ram() nor hold a
 * reference that blocks the migration (8763cb45ab96 "mm/migrate: new memory
 * migration helper for use with device memory"; hmm.rst step 2).  Succeeds
 * if, with MIGRATING_FAULTERS threads faulting while the test holds the page
 * mid-migration (at least MIGRATING_WINDOW_MS, zdt_faulter_watch()), the
 * threads sleep (at most MIGRATING_MAX_FAULTS faults each), the migration
 * completes, every thread
 * then reads the data from the new system page, migrate_to_ram() never ran
 * and the device page is freed once.
 */
static void cpu_faults_wait_for_a_migrating_page(struct kunit *test)
{
	struct zdt_faulter *f[MIGRATING_FAULTERS];
	struct zdt_blocked b[MIGRATING_FAULTERS] = { };
	struct zdt_device *dev;
	unsigned long addr = page_on_device(test, MEMORY_DEVICE_PRIVATE, &dev);
	struct page *dpage = zdt_device_page(dev, 0), *rpage = NULL;
	unsigned long src_pages = 0;
	struct drive d;
	int i;

	drive_init(test, &d, addr, 1, dev, MIGRATE_VMA_SELECT_DEVICE_PRIVATE);
	for (i = 0; i < MIGRATING_FAULTERS; i++)
		f[i] = zdt_faulter_create(test, addr);

	begin_migration(&d);
	if (!d.ret && (d.args.src[0] & MIGRATE_PFN_MIGRATE)) {
		for (i = 0; i < MIGRATING_FAULTERS; i++)
			zdt_faulter_start(f[i]);
		/* Each until it sleeps (or spins), so a slow guest cannot fail it. */
		for (i = 0; i < MIGRATING_FAULTERS; i++)
			b[i] = zdt_faulter_watch(f[i], MIGRATING_WINDOW_MS,
						 MIGRATING_MAX_FAULTS);
		d.args.dst[0] = ram_copy_of(&d, dpage);
		rpage = migrate_pfn_to_page(d.args.dst[0]);
		migrate_vma_pages(&d.args);
		src_pages = d.args.src[0];
	}
	end_migration(&d);

	if (d.ret || !(d.args.src[0] & MIGRATE_PFN_MIGRATE)) {
		/* Not collected: let the threads go and end the case. */
		for (i = 0; i < MIGRATING_FAULTERS; i++)
			zdt_faulter_start(f[i]);
	}
	for (i = 0; i < MIGRATING_FAULTERS; i++) {
		unsigned long left;
		bool data;

		if (!zdt_faulter_wait(f[i], ACCESS_MS)) {
			KUNIT_FAIL(test, "thread %d not done %d ms after finalize (leaked)",
				   i, ACCESS_MS);
			continue;
		}
		left = f[i]->left;
		data = has_data(test, f[i]->buf, 0);
		zdt_faulter_free(f[i]);
		KUNIT_EXPECT_EQ_MSG(test, left, 0, "thread %d's read failed", i);
		KUNIT_EXPECT_TRUE_MSG(test, data, "thread %d read the wrong data", i);
	}
	KUNIT_ASSERT_EQ(test, d.ret, 0);
	KUNIT_ASSERT_NOT_NULL_MSG(test, rpage, "page not collected or no system page");
	for (i = 0; i < MIGRATING_FAULTERS; i++) {
		kunit_info(test, "thread %d: %lu faults in %u ms, %s", i, b[i].faults,
			   b[i].ms, b[i].asleep ? "asleep" : "not asleep");
		KUNIT_EXPECT_TRUE_MSG(test, b[i].started, "thread %d never ran in %u ms",
				      i, b[i].ms);
		KUNIT_EXPECT_LE_MSG(test, b[i].faults, MIGRATING_MAX_FAULTS,
				    "thread %d re-faults on the migration entry instead of waiting",
				    i);
		KUNIT_EXPECT_TRUE_MSG(test, b[i].asleep,
				      "thread %d not asleep on a migrating page after %u ms",
				      i, b[i].ms);
	}
	KUNIT_EXPECT_TRUE_MSG(test, src_pages & MIGRATE_PFN_MIGRATE,
			      "the waiting faults blocked the migration");
	KUNIT_EXPECT_PTR_EQ(test, mapped_page(addr), rpage);
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_migrate_to_ram), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_free), 1);
	KUNIT_EXPECT_EQ(test, page_ref_count(dpage), 0);
	KUNIT_EXPECT_FALSE(test, PageLocked(dpage));
	unmap_user(test, addr, PAGE_SIZE);
}

/*
 * Rounds of the race below, each a fresh device page and CPU read.  In the
 * first RACE_AHEAD_ROUNDS the driver is first: it holds the page collected
 * (a migration entry in the PTE) for RACE_AHEAD_US more each round while
 * the reader starts, so the read meets the migration for sure.  In the
 * others the reader is first and the driver starts RACE_STEP_US later each
 * round, so that the rounds sweep across the fault's own migration.
 */
#define RACE_ROUNDS		20
#define RACE_AHEAD_ROUNDS	4
#define RACE_AHEAD_US		500
#define RACE_STEP_US		10

/*
 * The Xe SVM scenario itself (b570f37a2ce4's thread): the driver moves a
 * device-private page back to RAM with migrate_vma_*() while a CPU thread
 * faults on it, so the driver's migration and the fault's migrate_to_ram()
 * race for the same page.  One of them moves it; the other finds it gone,
 * waits for it (a migration entry), or fails cleanly (not collected, or
 * MIGRATE_PFN_MIGRATE cleared by the expected-count check) and leaves it
 * as it was (8763cb45ab96; hmm.rst steps 2 and 4).  Succeeds if in each of
 * RACE_ROUNDS rounds the CPU read finishes within ACCESS_MS with the data,
 * and the device page is freed exactly once, unlocked, at refcount 0: no
 * reference lost or leaked, no livelock.
 */
static void driver_and_cpu_fault_race_for_a_page(struct kunit *test)
{
	struct zdt_device *dev = zdt_device_create(test, MEMORY_DEVICE_PRIVATE,
						   ZDT_DEVICE_PAGES);
	unsigned long addr = user_pages(test, 1);
	unsigned int round, by_driver = 0;
	struct page *dpage = zdt_device_page(dev, 0);

	for (round = 0; round < RACE_ROUNDS; round++) {
		int freed = atomic_read(&dev->nr_free);
		unsigned long left, spins;
		struct zdt_faulter *f;
		struct drive d;
		bool data;

		KUNIT_ASSERT_EQ(test, zdt_migrate_to_device(dev, addr, 1), 1);
		KUNIT_ASSERT_EQ(test, page_ref_count(dpage), 1);
		f = zdt_faulter_create(test, addr);
		drive_init(test, &d, addr, 1, dev, MIGRATE_VMA_SELECT_DEVICE_PRIVATE);
		if (round < RACE_AHEAD_ROUNDS) {
			begin_migration(&d);
			zdt_faulter_start(f);
			if (!d.ret && (d.args.src[0] & MIGRATE_PFN_MIGRATE))
				udelay((round + 1) * RACE_AHEAD_US);
		} else {
			zdt_faulter_start(f);
			/* Bounded: the wait below catches a reader never started. */
			for (spins = 0; !READ_ONCE(f->started) && spins < 100000; spins++)
				udelay(1);
			udelay((round - RACE_AHEAD_ROUNDS) * RACE_STEP_US);
			begin_migration(&d);
		}
		if (!d.ret && (d.args.src[0] & MIGRATE_PFN_MIGRATE)) {
			d.args.dst[0] = ram_copy_of(&d, dpage);
			migrate_vma_pages(&d.args);
			if (d.args.src[0] & MIGRATE_PFN_MIGRATE)
				by_driver++;
		}
		end_migration(&d);
		if (!zdt_faulter_wait(f, ACCESS_MS))
			KUNIT_FAIL_AND_ABORT(test,
					     "round %u: CPU read not done in %d ms (thread leaked)",
					     round, ACCESS_MS);
		left = f->left;
		data = has_data(test, f->buf, 0);
		zdt_faulter_free(f);

		KUNIT_ASSERT_EQ(test, d.ret, 0);
		KUNIT_ASSERT_EQ_MSG(test, left, 0, "round %u: CPU read failed", round);
		KUNIT_ASSERT_TRUE_MSG(test, data, "round %u: wrong data", round);
		KUNIT_ASSERT_EQ_MSG(test, atomic_read(&dev->nr_free), freed + 1,
				    "round %u: device page not freed exactly once", round);
		KUNIT_ASSERT_EQ(test, page_ref_count(dpage), 0);
		KUNIT_ASSERT_FALSE(test, PageLocked(dpage));
	}
	kunit_info(test, "%u of %u rounds moved by the driver, the rest by the fault",
		   by_driver, RACE_ROUNDS);
	unmap_user(test, addr, PAGE_SIZE);
}

static struct kunit_case zone_device_migrate_cases[] = {
	KUNIT_CASE_PARAM(setup_selects_by_flags_and_owner, select_gen_params),
	KUNIT_CASE(extra_reference_keeps_the_page_on_the_device),
	KUNIT_CASE_PARAM(setup_follows_the_fault_page_lock_rule,
			 fault_page_gen_params),
	KUNIT_CASE_PARAM(eviction_moves_every_device_page_to_ram,
			 evict_gen_params),
	KUNIT_CASE(coherent_folio_migrates_with_its_data),
	KUNIT_CASE(coherent_folio_with_extra_reference_is_left_as_it_was),
	KUNIT_CASE(pmd_range_moves_as_one_large_folio_and_back),
	KUNIT_CASE(partial_range_splits_the_large_folio),
	KUNIT_CASE_SLOW(cpu_faults_wait_for_a_migrating_page),
	KUNIT_CASE_SLOW(driver_and_cpu_fault_race_for_a_page),
	{}
};

#else /* !CONFIG_DEVICE_MIGRATION */

#define NO_DEVICE_MIGRATION \
	"needs CONFIG_DEVICE_MIGRATION (ZONE_DEVICE and MIGRATION; not on UML: no memory hotplug)"

/* Each case, skipping with the reason. */
#define SKIP_CASE(name) \
	static void name(struct kunit *test) \
	{ \
		kunit_skip(test, NO_DEVICE_MIGRATION); \
	}

SKIP_CASE(setup_selects_by_flags_and_owner)
SKIP_CASE(extra_reference_keeps_the_page_on_the_device)
SKIP_CASE(setup_follows_the_fault_page_lock_rule)
SKIP_CASE(eviction_moves_every_device_page_to_ram)
SKIP_CASE(coherent_folio_migrates_with_its_data)
SKIP_CASE(coherent_folio_with_extra_reference_is_left_as_it_was)
SKIP_CASE(pmd_range_moves_as_one_large_folio_and_back)
SKIP_CASE(partial_range_splits_the_large_folio)
SKIP_CASE(cpu_faults_wait_for_a_migrating_page)
SKIP_CASE(driver_and_cpu_fault_race_for_a_page)

static struct kunit_case zone_device_migrate_cases[] = {
	KUNIT_CASE(setup_selects_by_flags_and_owner),
	KUNIT_CASE(extra_reference_keeps_the_page_on_the_device),
	KUNIT_CASE(setup_follows_the_fault_page_lock_rule),
	KUNIT_CASE(eviction_moves_every_device_page_to_ram),
	KUNIT_CASE(coherent_folio_migrates_with_its_data),
	KUNIT_CASE(coherent_folio_with_extra_reference_is_left_as_it_was),
	KUNIT_CASE(pmd_range_moves_as_one_large_folio_and_back),
	KUNIT_CASE(partial_range_splits_the_large_folio),
	KUNIT_CASE_SLOW(cpu_faults_wait_for_a_migrating_page),
	KUNIT_CASE_SLOW(driver_and_cpu_fault_race_for_a_page),
	{}
};

#endif /* CONFIG_DEVICE_MIGRATION */

static struct kunit_suite zone_device_migrate_suite = {
	.name = "zone_device_migrate",
	.init = zdt_case_begin,
	.test_cases = zone_device_migrate_cases,
};

kunit_test_suite(zone_device_migrate_suite);

MODULE_DESCRIPTION("KUnit tests for migrate_vma and migrate_device on device memory");
MODULE_LICENSE("GPL");
