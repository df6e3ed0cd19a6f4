// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the driver's side of migrate_vma_*() and migrate_device_*()
 * (mm/migrate_device.c): what a device driver is promised when it moves
 * pages between system RAM and its device memory, as Documentation/mm/hmm.rst
 * ("Migration to and from device memory") describes the steps.
 *
 * Each case maps anonymous memory into the test's mm, moves it to a fake
 * device with the fixture and then drives one migration itself, as a driver
 * would (struct zdt_migration): setup, allocate and copy, pages, finalize.
 * Large folios, CPU faults racing a migration and
 * migrate_device_coherent_folio() have suites of their own
 * (zone_device_migrate_large, _race, zone_device_coherent_folio).
 */
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/string.h>
#include <kunit/test.h>

#include "zone_device_compat.h"
#include "zone_device_fixture.h"

/* Somebody else's pgmap owner: a device that is not ours. */
static int other_owner;

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
	struct zdt_page_state before, setup, after;
	unsigned long addr, want_src;
	unsigned long cpages, src;
	struct page *page;
	struct zdt_migration m;

	if (p->source == SRC_SYSTEM) {
		addr = zdt_user_pages(test, 1);
		page = zdt_mapped_page(addr);
		KUNIT_ASSERT_NOT_NULL(test, page);
	} else {
		addr = zdt_page_on_device(test, p->source == SRC_PRIVATE ?
				      MEMORY_DEVICE_PRIVATE : MEMORY_DEVICE_COHERENT,
				      &dev);
		page = zdt_device_page(dev, 0);
	}
	zdt_drain_lru();
	before = zdt_page_state(page);
	want_src = migrate_pfn(page_to_pfn(page)) | MIGRATE_PFN_MIGRATE |
		   MIGRATE_PFN_WRITE;

	zdt_migration_init(test, &m, addr, 1, p->our_owner ? (void *)dev : &other_owner,
			   p->flags);
	zdt_migration_setup(&m);
	cpages = m.args.cpages;
	src = m.args.src[0];
	setup = zdt_page_state(page);
	zdt_migration_finalize(&m);
	zdt_drain_lru();
	after = zdt_page_state(page);

	KUNIT_ASSERT_EQ(test, m.ret, 0);
	if (p->selected) {
		KUNIT_EXPECT_EQ(test, cpages, 1);
		KUNIT_EXPECT_EQ_MSG(test, src, want_src, "src entry of a selected page");
		KUNIT_EXPECT_TRUE_MSG(test, setup.locked, "selected page not locked by setup");
		KUNIT_EXPECT_EQ_MSG(test, setup.mapcount, 0, "selected page still mapped");
	} else {
		KUNIT_EXPECT_EQ(test, cpages, 0);
		KUNIT_EXPECT_EQ_MSG(test, src, 0, "src entry of a page not selected");
		zdt_expect_page_state(test, setup, before, "of an unselected page after setup");
	}
	zdt_expect_page_state(test, after, before, "after finalize");
	if (p->source != SRC_PRIVATE)
		KUNIT_EXPECT_PTR_EQ(test, zdt_mapped_page(addr), page);
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
	unsigned long addr = zdt_page_on_device(test, MEMORY_DEVICE_PRIVATE, &dev);
	struct page *dpage = zdt_device_page(dev, 0), *rpage;
	struct zdt_page_state before, after, rbefore = { }, rafter = { };
	unsigned long src_setup, src_pages;
	struct zdt_migration m;
	u8 buf[ZDT_DATA_LEN];

	zdt_get_page(test, dpage);
	before = zdt_page_state(dpage);
	zdt_migration_init(test, &m, addr, 1, dev, MIGRATE_VMA_SELECT_DEVICE_PRIVATE);
	zdt_migration_setup(&m);
	src_setup = m.args.src[0];
	rpage = NULL;
	if (!m.ret && (src_setup & MIGRATE_PFN_MIGRATE)) {
		m.args.dst[0] = zdt_migration_ram_copy(&m, dpage, 0);
		rpage = migrate_pfn_to_page(m.args.dst[0]);
		if (rpage) {
			/* Ours, to see that finalize drops exactly its own. */
			zdt_get_page(test, rpage);
			rbefore = zdt_page_state(rpage);
		}
		zdt_migration_pages(&m);
	}
	src_pages = m.args.src[0];
	zdt_migration_finalize(&m);
	after = zdt_page_state(dpage);
	if (rpage) {
		rafter = zdt_page_state(rpage);
		zdt_put_page(test, rpage);
	}
	zdt_put_page(test, dpage);

	KUNIT_ASSERT_EQ(test, m.ret, 0);
	KUNIT_ASSERT_TRUE_MSG(test, src_setup & MIGRATE_PFN_MIGRATE,
			      "setup did not collect the referenced page (src %#lx)",
			      src_setup);
	KUNIT_ASSERT_NOT_NULL(test, rpage);
	KUNIT_EXPECT_FALSE_MSG(test, src_pages & MIGRATE_PFN_MIGRATE,
			       "migrate_vma_pages() moved a page someone else references");
	zdt_expect_page_state(test, after, before, "of the source after finalize");
	KUNIT_EXPECT_EQ_MSG(test, rafter.refcount, rbefore.refcount - 1,
			    "finalize did not drop the unused destination once");
	KUNIT_EXPECT_FALSE(test, rafter.locked);
	KUNIT_EXPECT_EQ(test, rafter.mapcount, 0);

	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, dev, addr, buf), 0);
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, 0));
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&dev->nr_migrate_to_ram), 1,
			    "the CPU access did not go through the device page");
}

/* A range setup collects, one page of it held by someone else. */
#define RESTORE_PAGES	4
#define RESTORE_HELD	1

/*
 * migrate_vma_setup() restores a page it collected but cannot migrate: a
 * system page someone else holds a reference on fails
 * migrate_vma_check_page() in migrate_device_unmap(), which maps it again
 * where it was (remove_migration_ptes()), unlocks it, drops the reference
 * collection took and clears its src entry, so that the driver neither
 * copies nor moves it, while the rest of the range migrates (8763cb45ab96
 * "mm/migrate: new memory migration helper for use with device memory";
 * migrate_vma_setup()'s kernel-doc: it "restores any pages that are
 * pinned, by remapping and unlocking those pages").  Succeeds if, right
 * after setup, the held page's src entry has no MIGRATE_PFN_MIGRATE, cpages
 * counts only the others and the held page is mapped and unlocked; after
 * finalize its refcount is as before, the same page is mapped at its
 * address with its data (no device fault), and every other page moved.
 */
static void setup_restores_a_referenced_page_in_place(struct kunit *test)
{
	struct zdt_device *dev = zdt_device_create(test, MEMORY_DEVICE_PRIVATE,
						   ZDT_DEVICE_PAGES);
	unsigned long addr = zdt_user_pages(test, RESTORE_PAGES);
	unsigned long held_addr = addr + RESTORE_HELD * PAGE_SIZE;
	unsigned long i, src_held = 0, others = 0, cpages = 0, moved = 0;
	struct zdt_page_state before, setup = { }, after;
	struct zdt_migration m;
	u8 buf[ZDT_DATA_LEN];
	struct page *held;

	held = zdt_mapped_page(held_addr);
	KUNIT_ASSERT_NOT_NULL(test, held);
	zdt_get_page(test, held);
	zdt_drain_lru();
	before = zdt_page_state(held);

	zdt_migration_init(test, &m, addr, RESTORE_PAGES, dev, MIGRATE_VMA_SELECT_SYSTEM);
	zdt_migration_setup(&m);
	if (!m.ret) {
		unsigned long *src = m.args.src, *dst = m.args.dst;

		src_held = src[RESTORE_HELD];
		cpages = m.args.cpages;
		setup = zdt_page_state(held);
		for (i = 0; i < RESTORE_PAGES; i++) {
			struct page *spage = migrate_pfn_to_page(src[i]);
			struct page *dpage;

			if (i == RESTORE_HELD || !spage || !(src[i] & MIGRATE_PFN_MIGRATE))
				continue;
			others++;
			dpage = zdt_device_alloc_page(dev, 0);
			if (!dpage)
				break;
			memcpy(zdt_page_data(dpage), page_address(spage), PAGE_SIZE);
			dst[i] = migrate_pfn(page_to_pfn(dpage)) | (src[i] & MIGRATE_PFN_WRITE);
		}
		zdt_migration_pages(&m);
		for (i = 0; i < RESTORE_PAGES; i++)
			moved += dst[i] && (src[i] & MIGRATE_PFN_MIGRATE);
	}
	zdt_migration_finalize(&m);
	zdt_drain_lru();
	after = zdt_page_state(held);

	KUNIT_ASSERT_EQ(test, m.ret, 0);
	KUNIT_EXPECT_FALSE_MSG(test, src_held & MIGRATE_PFN_MIGRATE,
			       "the held page is left to migrate (src %#lx)", src_held);
	KUNIT_EXPECT_EQ_MSG(test, others, RESTORE_PAGES - 1, "other pages collected");
	KUNIT_EXPECT_EQ_MSG(test, cpages, RESTORE_PAGES - 1,
			    "cpages counts the held page, or not the others");
	KUNIT_EXPECT_EQ_MSG(test, setup.mapcount, 1, "the held page not mapped again by setup");
	KUNIT_EXPECT_FALSE_MSG(test, setup.locked, "the held page still locked after setup");
	zdt_expect_page_state(test, after, before, "of the held page after finalize");
	KUNIT_EXPECT_EQ_MSG(test, moved, RESTORE_PAGES - 1, "other pages moved to the device");
	KUNIT_ASSERT_PTR_EQ_MSG(test, zdt_mapped_page(held_addr), held,
				"the held page's address does not map it again");
	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, dev, held_addr, buf), 0);
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, RESTORE_HELD));
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&dev->nr_migrate_to_ram), 0,
			    "reading the held page faulted on the device");
}

/* Requests migrate_vma_setup() must refuse, one thing wrong in each. */

enum refusal { EMPTY_RANGE, PAST_THE_VMA, NO_DST_ARRAY, SYSTEM_FAULT_PAGE, HUGETLB_VMA };

struct refusal_param {
	const char *desc;
	enum refusal what;
};

static const struct refusal_param refusal_params[] = {
	{ "empty range", EMPTY_RANGE },
	{ "range past the end of the VMA", PAST_THE_VMA },
	{ "no dst array", NO_DST_ARRAY },
	{ "fault_page a system page", SYSTEM_FAULT_PAGE },
	{ "a hugetlb VMA", HUGETLB_VMA },
};

KUNIT_ARRAY_PARAM_DESC(refusal, refusal_params, desc);

/*
 * migrate_vma_setup() refuses, with -EINVAL and before it collects
 * anything, a range that is empty or leaves its VMA, a request without src
 * or dst array, a VMA of hugetlb pages (which it has no way to collect or
 * move), and a fault_page that is not device-private (8763cb45ab96
 * "mm/migrate: new memory migration helper for use with device memory";
 * the fault_page check came with it in 16ce101db85d "mm/memory.c: fix race
 * when faulting a device private page").  Succeeds if setup returns -EINVAL
 * and the system page the range starts at is as before: mapped, unlocked,
 * its refcount unchanged (for the hugetlb VMA, the range is in a
 * MAP_HUGETLB mapping instead, and skips without a hugetlb pool).
 */
static void setup_refuses_a_malformed_request(struct kunit *test)
{
	const struct refusal_param *p = test->param_value;
	unsigned long addr = zdt_user_pages(test, 1);
	struct page *page = zdt_mapped_page(addr);
	struct zdt_page_state before;
	struct zdt_migration m;
	unsigned long *dst, huge = 0;

	KUNIT_ASSERT_NOT_NULL(test, page);
	if (p->what == HUGETLB_VMA) {
		if (!IS_ENABLED(CONFIG_HUGETLB_PAGE))
			zdt_skip(test, ZDT_NO_HUGETLB);
		huge = zdt_mmap_pgoff(test, PMD_SIZE, PROT_READ | PROT_WRITE,
				      MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB);
		if (IS_ERR_VALUE(huge))
			zdt_skip(test, "needs a hugetlb pool of PMD-size pages (mmap: %ld)",
				 (long)huge);
	}
	zdt_drain_lru();
	before = zdt_page_state(page);
	/* Arrays for two pages, in case a kernel walks past the VMA. */
	zdt_migration_init(test, &m, addr, 2, NULL, MIGRATE_VMA_SELECT_SYSTEM);
	m.args.end = addr + PAGE_SIZE;
	dst = m.args.dst;
	if (p->what == EMPTY_RANGE)
		m.args.end = addr;
	if (p->what == PAST_THE_VMA)
		m.args.end = addr + 2 * PAGE_SIZE;
	if (p->what == NO_DST_ARRAY)
		m.args.dst = NULL;
	if (p->what == SYSTEM_FAULT_PAGE) {
		m.args.fault_page = page;
		zdt_lock_page(test, page);	/* as a fault would hold it */
		before = zdt_page_state(page);
	}
	if (p->what == HUGETLB_VMA) {
		m.args.start = huge;
		m.args.end = huge + PAGE_SIZE;
	}
	zdt_migration_setup(&m);
	m.args.dst = dst;		/* what finalize needs if setup went on */
	zdt_migration_finalize(&m);
	zdt_drain_lru();
	if (huge)
		KUNIT_EXPECT_EQ_MSG(test, vm_munmap(huge, PMD_SIZE), 0,
				    "munmap() of the hugetlb mapping");

	KUNIT_EXPECT_EQ(test, m.ret, -EINVAL);
	zdt_expect_page_state(test, zdt_page_state(page), before, "after the refused setup");
	KUNIT_EXPECT_PTR_EQ(test, zdt_mapped_page(addr), page);
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
	unsigned long addr = zdt_page_on_device(test, MEMORY_DEVICE_PRIVATE, &dev);
	struct page *dpage = zdt_device_page(dev, 0);
	struct zdt_page_state before, setup, after;
	bool wants_locked = ZDT_SETUP_LOCKED_FAULT_PAGE;
	unsigned long src, cpages;
	struct zdt_migration m;

	kunit_info(test, "rule: %s", ZDT_FAULT_PAGE_RULE);
	/* What do_swap_page() holds when it calls migrate_to_ram(). */
	zdt_get_page(test, dpage);
	if (p->locked)
		zdt_lock_page(test, dpage);
	before = zdt_page_state(dpage);

	zdt_migration_init(test, &m, addr, 1, dev, MIGRATE_VMA_SELECT_DEVICE_PRIVATE);
	m.args.fault_page = dpage;
	zdt_migration_setup(&m);
	src = m.args.src[0];
	cpages = m.args.cpages;
	setup = zdt_page_state(dpage);
	zdt_migration_finalize(&m);
	after = zdt_page_state(dpage);
	if (p->locked)
		zdt_unlock_page(test, dpage);
	else if (after.locked)
		unlock_page(dpage);	/* setup's own lock, left behind */
	zdt_put_page(test, dpage);

	if (wants_locked && !p->locked) {
		KUNIT_EXPECT_EQ_MSG(test, m.ret, -EINVAL, "%s", ZDT_FAULT_PAGE_RULE);
		zdt_expect_page_state(test, setup, before, "after the refused setup");
	} else if (wants_locked || !p->locked) {
		/* Collected: locked and unmapped for the migration. */
		KUNIT_EXPECT_EQ(test, m.ret, 0);
		KUNIT_EXPECT_EQ_MSG(test, cpages, 1, "%s", ZDT_FAULT_PAGE_RULE);
		KUNIT_EXPECT_EQ(test, src, migrate_pfn(page_to_pfn(dpage)) |
				MIGRATE_PFN_MIGRATE | MIGRATE_PFN_WRITE);
		KUNIT_EXPECT_TRUE(test, setup.locked);
		KUNIT_EXPECT_EQ(test, setup.mapcount, 0);
	} else {
		/* Before 1afaeb8293c9: setup's trylock fails, not collected. */
		KUNIT_EXPECT_EQ(test, m.ret, 0);
		KUNIT_EXPECT_EQ_MSG(test, cpages, 0, "%s", ZDT_FAULT_PAGE_RULE);
		KUNIT_EXPECT_EQ(test, src, 0);
	}
	zdt_expect_page_state(test, after, before, "after finalize");
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
		zdt_skip(test, ZDT_NO_MIGRATE_DEVICE_PFNS);
	dev = zdt_device_create(test, MEMORY_DEVICE_PRIVATE, ZDT_DEVICE_PAGES);
	addr = zdt_user_pages(test, EVICT_PAGES);
	KUNIT_ASSERT_EQ(test, zdt_migrate_to_device(dev, addr, EVICT_PAGES),
			EVICT_PAGES);
	src = kunit_kcalloc(test, EVICT_RANGE, sizeof(*src), GFP_KERNEL);
	dst = kunit_kcalloc(test, EVICT_RANGE, sizeof(*dst), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, src);
	KUNIT_ASSERT_NOT_NULL(test, dst);

	ret = zdt_evict_collect(src, dev->pfn_first, EVICT_RANGE, p->by_list);
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
	zdt_evict_pages(src, dst, EVICT_RANGE);
	for (i = 0; i < EVICT_RANGE; i++)
		if (src[i] & MIGRATE_PFN_MIGRATE)
			migrated++;
	zdt_evict_finalize(src, dst, EVICT_RANGE);

	KUNIT_EXPECT_EQ_MSG(test, collected, EVICT_PAGES,
			    "pages collected of %d in use", EVICT_PAGES);
	KUNIT_EXPECT_EQ(test, migrated, EVICT_PAGES);
	for (i = 0; i < EVICT_PAGES; i++) {
		struct page *now = zdt_mapped_page(addr + i * PAGE_SIZE);

		KUNIT_EXPECT_NOT_NULL_MSG(test, rpages[i], "device page %lu not collected", i);
		KUNIT_EXPECT_PTR_EQ_MSG(test, now, rpages[i],
					"page %lu is not mapped to its new system page", i);
		KUNIT_EXPECT_EQ(test, page_ref_count(zdt_device_page(dev, i)), 0);
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_free), EVICT_PAGES);
	for (i = 0; i < EVICT_PAGES; i++) {
		KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, dev, addr + i * PAGE_SIZE, buf), 0);
		KUNIT_EXPECT_TRUE_MSG(test, zdt_has_data(test, buf, i), "data of page %lu", i);
	}
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&dev->nr_migrate_to_ram), 0,
			    "a CPU access still found a device-private page");
}

/*
 * A driver's migrate_to_ram() that moves a chunk around the fault, as Xe,
 * amdgpu and nouveau do (zdt_device_set_fault_range()): RANGE_PAGES
 * device-private pages, the CPU touching RANGE_FAULT.
 */
#define RANGE_PAGES	16
#define RANGE_FAULT	5
#define RANGE_HELD	3	/* a neighbour someone holds a reference on */

struct chunk {
	struct zdt_device *dev;
	unsigned long addr;	/* RANGE_PAGES-aligned: one chunk */
	unsigned long tag;	/* zdt_put_data() tag of page 0 */
};

/*
 * RANGE_PAGES pages of a mapping twice that size, aligned so that they are
 * exactly the chunk a fault among them moves, on a new device: page i is
 * device page i, holding the data of tag r->tag + i.
 */
static void range_on_device(struct kunit *test, struct chunk *r)
{
	unsigned long map = zdt_user_pages(test, 2 * RANGE_PAGES);

	r->addr = ALIGN(map, RANGE_PAGES * PAGE_SIZE);
	r->tag = (r->addr - map) >> PAGE_SHIFT;
	r->dev = zdt_device_create(test, MEMORY_DEVICE_PRIVATE, ZDT_DEVICE_PAGES);
	KUNIT_ASSERT_EQ(test, zdt_migrate_to_device(r->dev, r->addr, RANGE_PAGES),
			RANGE_PAGES);
	zdt_device_set_fault_range(r->dev, RANGE_PAGES);
}

/* Page @i of @r is back in system RAM with its own data. */
static void range_expect_in_ram(struct kunit *test, struct chunk *r, unsigned long i)
{
	struct page *page = zdt_mapped_page(r->addr + i * PAGE_SIZE);

	KUNIT_EXPECT_NOT_NULL_MSG(test, page, "page %lu of the range is not back in RAM", i);
	if (!page)
		return;
	KUNIT_EXPECT_FALSE_MSG(test, is_zone_device_page(page),
			       "page %lu of the range maps a device page", i);
	KUNIT_EXPECT_TRUE_MSG(test, zdt_has_data(test, page_address(page), r->tag + i),
			      "data of page %lu of the range", i);
}

/*
 * One CPU fault whose migrate_to_ram() migrates a whole range brings every
 * page of it back to RAM with its data, each device page freed once:
 * migrate_vma_setup() with fault_page collects the other pages like any
 * driver-started migration (16ce101db85d "mm/memory.c: fix race when
 * faulting a device private page" added fault_page for exactly that call).
 * Succeeds if one migrate_to_ram() call moved RANGE_PAGES pages, each maps
 * a system page with its own data, and the device freed RANGE_PAGES pages.
 */
static void range_fault_brings_every_page_back_once(struct kunit *test)
{
	u8 buf[ZDT_DATA_LEN];
	struct chunk r;
	unsigned long i;

	range_on_device(test, &r);
	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, r.dev, r.addr + RANGE_FAULT * PAGE_SIZE,
					   buf), 0);
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, r.tag + RANGE_FAULT));
	KUNIT_EXPECT_EQ(test, atomic_read(&r.dev->nr_migrate_to_ram), 1);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&r.dev->nr_pages_to_ram), RANGE_PAGES,
			    "pages the range migration moved");
	for (i = 0; i < RANGE_PAGES; i++)
		range_expect_in_ram(test, &r, i);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&r.dev->nr_free), RANGE_PAGES,
			    "device pages freed");
}

/*
 * migrate_vma_finalize() unlocks every source page of a range except the
 * fault page, which stays locked for do_swap_page() to unlock since
 * 1afaeb8293c9 ("mm/migrate: Trylock device page in do_swap_page"); before
 * it (6.12) finalize unlocks that one too.  Succeeds if, after finalize in
 * migrate_to_ram(), none of the RANGE_PAGES - 1 other pages is locked and
 * the fault page is locked exactly as this kernel's rule says.
 */
static void range_finalize_unlocks_every_page_but_the_fault_page(struct kunit *test)
{
	u8 buf[ZDT_DATA_LEN];
	struct chunk r;

	kunit_info(test, "rule: %s", ZDT_FAULT_LOCK_RULE);
	range_on_device(test, &r);
	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, r.dev, r.addr + RANGE_FAULT * PAGE_SIZE,
					   buf), 0);
	KUNIT_ASSERT_EQ(test, atomic_read(&r.dev->nr_migrate_to_ram), 1);
	KUNIT_EXPECT_EQ_MSG(test, r.dev->others_collected, RANGE_PAGES - 1,
			    "pages besides the fault page that setup collected");
	KUNIT_EXPECT_EQ_MSG(test, r.dev->others_locked_after, 0,
			    "pages besides the fault page still locked after finalize");
	KUNIT_EXPECT_EQ_MSG(test, r.dev->fault_locked_after, ZDT_FAULT_LOCKS_DEVICE_FOLIO,
			    "fault page locked after finalize");
}

/*
 * Only the fault page's extra reference is expected: a neighbour someone
 * else holds a reference on is not collected and stays on the device, the
 * rest of the range still moves (migrate_vma_check_page() and
 * migrate_vma_pages() add one reference for fault_page alone, 16ce101db85d).
 * Succeeds if the fault moves RANGE_PAGES - 1 pages, leaves the held one
 * non-present, and that one comes back with its data on a later fault once
 * the reference is gone.
 */
static void range_leaves_a_referenced_neighbour_on_the_device(struct kunit *test)
{
	u8 buf[ZDT_DATA_LEN];
	struct chunk r;
	struct page *held;
	unsigned long i;

	range_on_device(test, &r);
	held = zdt_device_page(r.dev, RANGE_HELD);
	zdt_get_page(test, held);
	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, r.dev, r.addr + RANGE_FAULT * PAGE_SIZE,
					   buf), 0);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&r.dev->nr_pages_to_ram), RANGE_PAGES - 1,
			    "pages the range migration moved, one of them held");
	KUNIT_EXPECT_NULL_MSG(test, zdt_mapped_page(r.addr + RANGE_HELD * PAGE_SIZE),
			      "the held neighbour left the device");
	for (i = 0; i < RANGE_PAGES; i++)
		if (i != RANGE_HELD)
			range_expect_in_ram(test, &r, i);

	zdt_put_page(test, held);
	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, r.dev, r.addr + RANGE_HELD * PAGE_SIZE,
					   buf), 0);
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, r.tag + RANGE_HELD));
	KUNIT_EXPECT_EQ(test, atomic_read(&r.dev->nr_migrate_to_ram), 2);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&r.dev->nr_free), RANGE_PAGES,
			    "device pages freed");
}

/* How large an empty range a driver fills with device-coherent memory. */
struct coherent_hole_param {
	const char *desc;
	bool pmd;		/* a PMD-sized folio, else one page */
};

static const struct coherent_hole_param coherent_hole_params[] = {
	{ "one page", false },
	{ "PMD-sized folio", true },
};

KUNIT_ARRAY_PARAM_DESC(coherent_hole, coherent_hole_params, desc);

/*
 * A device-coherent page is ordinary CPU-addressable memory: when a driver
 * fills an empty anonymous range with one, migrate_vma_pages() maps it
 * present, writable as the VMA is, so the CPU then reads and writes device
 * memory in place with no fault and no migrate_to_ram()
 * (migrate_vma_insert_page(), f25cbb7a95a2 "mm: add zone device coherent
 * type memory support"; a PMD-sized one by one PMD,
 * migrate_vma_insert_huge_pmd_page(), a30b48bf1b24 "mm/migrate_device:
 * implement THP migration of zone device pages").  Succeeds if setup
 * collects the never-touched range as one entry without a page, the
 * migration keeps MIGRATE_PFN_MIGRATE, the address then maps that very
 * device page, writable (GUP-fast for writing finds it), the CPU reads the
 * data the driver put there and a CPU write lands in the device page, and
 * the folio holds just the mapping's reference and is mapped once (by one
 * PTE, or by one PMD).
 */
static void hole_filled_with_coherent_memory_is_mapped_writable(struct kunit *test)
{
	const struct coherent_hole_param *p = test->param_value;
	unsigned int order = p->pmd ? PMD_SHIFT - PAGE_SHIFT : 0;
	unsigned long nr = 1UL << order, off = p->pmd ? ZDT_PMD_MIDDLE : 0;
	unsigned long flags = MIGRATE_VMA_SELECT_SYSTEM;
	unsigned long want = MIGRATE_PFN_MIGRATE;
	unsigned long base, addr, src0 = 0, src_pages = 0;
	struct page *dpage = NULL, *now, *wpage = NULL;
	struct zdt_device *dev;
	struct zdt_migration m;
	u8 buf[ZDT_DATA_LEN];
	int got;

	if (p->pmd) {
		if (!ZDT_HAS_LARGE_DEVICE_FOLIOS)
			zdt_skip(test, ZDT_NO_LARGE_DEVICE_FOLIOS);
		if (!thp_migration_supported())
			zdt_skip(test, ZDT_NO_PMD_MIGRATION);
		flags |= ZDT_MIGRATE_VMA_SELECT_COMPOUND;
		want |= ZDT_MIGRATE_PFN_COMPOUND;
	}
	dev = zdt_device_create(test, MEMORY_DEVICE_COHERENT, ZDT_DEVICE_PAGES);
	base = ALIGN(zdt_user_map(test, 2 * PMD_SIZE), PMD_SIZE);
	addr = base + off * PAGE_SIZE;

	zdt_migration_init(test, &m, base, nr, dev, flags);
	zdt_migration_setup(&m);
	if (!m.ret) {
		src0 = m.args.src[0];
		if (src0 == want)
			dpage = zdt_device_alloc_page(dev, order);
		if (dpage) {
			zdt_put_data(test, zdt_page_data(dpage + off), off);
			m.args.dst[0] = migrate_pfn(page_to_pfn(dpage)) | MIGRATE_PFN_WRITE |
					(p->pmd ? ZDT_MIGRATE_PFN_COMPOUND : 0);
		}
		zdt_migration_pages(&m);
		src_pages = m.args.src[0];
	}
	zdt_migration_finalize(&m);

	KUNIT_ASSERT_EQ(test, m.ret, 0);
	KUNIT_ASSERT_EQ_MSG(test, src0, want,
			    "the empty range not collected as one entry without a page");
	if (!dpage)
		zdt_skip(test, "no free order-%u device-coherent folio", order);
	KUNIT_ASSERT_TRUE_MSG(test, src_pages & MIGRATE_PFN_MIGRATE,
			      "migrate_vma_pages() did not map the device-coherent page");
	now = zdt_mapped_page(addr);
	KUNIT_ASSERT_PTR_EQ_MSG(test, now, dpage + off,
				"the range does not map the device-coherent page");
	KUNIT_EXPECT_EQ_MSG(test, folio_ref_count(page_folio(dpage)), 1,
			    "references besides the mapping's");
	KUNIT_EXPECT_EQ_MSG(test, folio_mapcount(page_folio(dpage)), 1,
			    "mapped once: by one PTE, or by one PMD");
	KUNIT_EXPECT_FALSE(test, folio_test_locked(page_folio(dpage)));
	if (IS_ENABLED(CONFIG_HAVE_GUP_FAST)) {
		got = get_user_pages_fast_only(addr, 1, FOLL_WRITE, &wpage);
		if (got == 1)
			put_page(wpage);
		KUNIT_EXPECT_EQ_MSG(test, got, 1,
				    "the device-coherent page is mapped read-only in a writable VMA");
		KUNIT_EXPECT_PTR_EQ(test, wpage, dpage + off);
	}

	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, dev, addr, buf), 0);
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, off));
	KUNIT_ASSERT_EQ(test, zdt_cpu_write(test, dev, addr, off + 1), 0);
	KUNIT_EXPECT_PTR_EQ_MSG(test, zdt_mapped_page(addr), dpage + off,
				"a CPU write moved the page off the device");
	KUNIT_EXPECT_TRUE_MSG(test, zdt_has_data(test, zdt_page_data(dpage + off), off + 1),
			      "the CPU write did not land in the device-coherent page");
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_migrate_to_ram), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_free), 0);
}

/*
 * A hole a driver is filling that the CPU faults in before
 * migrate_vma_pages(): setup collects a never-touched address as an entry
 * without a page and installs nothing there, so the process may read or
 * write it until the driver's device page is mapped.
 */

/* Tags of the data the device page and the CPU put there. */
#define RACED_DEVICE_TAG	1
#define RACED_CPU_TAG		2

/* Why a PMD-aligned range a CPU read may not map the huge zero page. */
#define RACED_NO_HUGE_ZERO_PAGE \
	"no huge zero page after a CPU read of a PMD-aligned range (THP off for the vma, or use_zero_page off)"

struct raced_hole_param {
	const char *desc;
	bool huge;		/* in a PMD-aligned range: the CPU maps a PMD */
};

static const struct raced_hole_param raced_read_params[] = {
	{ "zero page", false },
	{ "huge zero page, split", true },
};

KUNIT_ARRAY_PARAM_DESC(raced_read, raced_read_params, desc);

static const struct raced_hole_param raced_write_params[] = {
	{ "page", false },
	{ "PMD-aligned range (THP if enabled)", true },
};

KUNIT_ARRAY_PARAM_DESC(raced_write, raced_write_params, desc);

/* What one raced hole migration saw, for the checks after finalize. */
struct raced_hole {
	struct zdt_device *dev;
	unsigned long addr;
	struct page *dpage;	/* the device page given as dst */
	unsigned long src0;	/* src[0] after setup */
	unsigned long src_after;	/* src[0] after migrate_vma_pages() */
	bool cpu_done;		/* the CPU access returned before pages */
	bool pmd_leaf;		/* then a leaf PMD mapped the address */
	bool present;		/* ... or a present PTE */
	unsigned long pfn;	/* the pfn mapped there then */
};

/*
 * What maps @addr of the test's mm, read under the mmap read lock the
 * migration holds (so without taking it again) and no PTE lock: only the
 * case's own threads touch the range, and the one that faulted has returned.
 */
static void raced_hole_peek(struct raced_hole *r)
{
	pmd_t *pmdp = zdt_user_pmdp(r->addr);
	pmd_t pmd;
	pte_t pte;

	if (!pmdp)
		return;
	pmd = pmdp_get(pmdp);
	if (pmd_present(pmd) && pmd_leaf(pmd)) {
		r->pmd_leaf = true;
		r->pfn = pmd_pfn(pmd) + ((r->addr & ~PMD_MASK) >> PAGE_SHIFT);
		return;
	}
	if (IS_ENABLED(CONFIG_HIGHPTE) || !pmd_present(pmd) || pmd_bad(pmd))
		return;
	pte = ptep_get(pte_offset_kernel(pmdp, r->addr));
	r->present = pte_present(pte);
	if (r->present)
		r->pfn = pte_pfn(pte);
}

/*
 * One page of a hole migrated to a new device-private device, with a CPU
 * read (or, @write, a write of RACED_CPU_TAG data) of it run to its end
 * between migrate_vma_setup() and migrate_vma_pages(); the device page
 * holds RACED_DEVICE_TAG data.  @huge: the page is in the middle of a
 * PMD-aligned range of a vma twice that size, so that the fault may map a
 * PMD (the huge zero page, a THP); else the vma is that one page.
 */
static void raced_hole_migrate(struct kunit *test, struct raced_hole *r,
			       bool huge, bool write)
{
	struct zdt_thread *t;
	struct zdt_migration m;

	if (huge && !IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE))
		zdt_skip(test, ZDT_NO_THP);
	r->dev = zdt_device_create(test, MEMORY_DEVICE_PRIVATE, ZDT_DEVICE_PAGES);
	if (huge)
		r->addr = ALIGN(zdt_user_map(test, 2 * PMD_SIZE), PMD_SIZE) +
			  ZDT_PMD_MIDDLE * PAGE_SIZE;
	else
		r->addr = zdt_user_map(test, PAGE_SIZE);
	if (write)
		t = zdt_writer_create(test, r->addr, RACED_CPU_TAG);
	else
		t = zdt_reader_create(test, r->addr);

	zdt_migration_init(test, &m, r->addr, 1, r->dev, MIGRATE_VMA_SELECT_SYSTEM);
	zdt_migration_setup(&m);
	if (!m.ret) {
		r->src0 = m.args.src[0];
		if (r->src0 == MIGRATE_PFN_MIGRATE)
			r->dpage = zdt_device_alloc_page(r->dev, 0);
		if (r->dpage) {
			zdt_put_data(test, zdt_page_data(r->dpage), RACED_DEVICE_TAG);
			m.args.dst[0] = migrate_pfn(page_to_pfn(r->dpage));
			zdt_thread_start(t);
			r->cpu_done = zdt_thread_wait(t, ZDT_ACCESS_MS);
			if (r->cpu_done)
				raced_hole_peek(r);
		}
		zdt_migration_pages(&m);
		r->src_after = m.args.src[0];
	}
	zdt_migration_finalize(&m);

	KUNIT_ASSERT_EQ(test, m.ret, 0);
	KUNIT_ASSERT_EQ_MSG(test, r->src0, MIGRATE_PFN_MIGRATE,
			    "the hole not collected as an entry without a page");
	if (!r->dpage)
		zdt_skip(test, "no free device-private page");
	KUNIT_ASSERT_TRUE_MSG(test, r->cpu_done,
			      "the CPU access of a collected hole did not return in %d ms",
			      ZDT_ACCESS_MS);
	KUNIT_ASSERT_EQ_MSG(test, t->left, 0, "the CPU access of the hole faulted");
	kunit_info(test, "the CPU %s mapped %s pfn %#lx; src[0] after pages %#lx",
		   write ? "write" : "read", r->pmd_leaf ? "a PMD of" : "a PTE of",
		   r->pfn, r->src_after);
}

/*
 * The zero page a CPU read maps in a hole is no data of the process: when
 * the CPU reads a hole after migrate_vma_setup() collected it and before
 * migrate_vma_pages(), the driver's device page still replaces the zero
 * page, and so does it a huge zero page, which is split first so that one
 * page of it can be replaced (migrate_vma_insert_page(): a present PTE of
 * the zero pfn is cleared and flushed, any other present page aborts;
 * 8315ada7f095 "mm/migrate: allow migrate_vma() to alloc new page on empty
 * entry"; the huge zero PMD, a30b48bf1b24 "mm/migrate_device: implement THP
 * migration of zone device pages"; 6.12 leaves a huge zero PMD and inserts
 * nothing there: ZDT_INSERT_HUGE_ZERO_RULE).  Succeeds if the read mapped the zero
 * page (a PTE of the zero pfn, or a leaf PMD), src keeps
 * MIGRATE_PFN_MIGRATE, the address then holds a writable device-private
 * entry of the driver's page, which holds just the mapping's reference, is
 * mapped once and unlocked, and a CPU read brings back the data the driver
 * put there with one migrate_to_ram().
 */
static void hole_read_by_the_cpu_is_still_filled_from_the_device(struct kunit *test)
{
	const struct raced_hole_param *p = test->param_value;
	struct raced_hole r = { };
	u8 buf[ZDT_DATA_LEN];
	struct page *now;
	bool w = false;

	raced_hole_migrate(test, &r, p->huge, false);
	if (p->huge && !r.pmd_leaf)
		zdt_skip(test, "%s; pfn %#lx", RACED_NO_HUGE_ZERO_PAGE, r.pfn);
	if (!p->huge)
		KUNIT_ASSERT_TRUE_MSG(test, r.present && is_zero_pfn(r.pfn),
				      "the CPU read did not map the zero page (pfn %#lx)", r.pfn);
	if (p->huge) {
		kunit_info(test, "rule: %s", ZDT_INSERT_HUGE_ZERO_RULE);
		if (!ZDT_HAS_INSERT_SPLITS_HUGE_ZERO) {
			KUNIT_EXPECT_FALSE_MSG(test, r.src_after & MIGRATE_PFN_MIGRATE,
					       "src kept MIGRATE_PFN_MIGRATE over a huge zero PMD");
			KUNIT_EXPECT_NULL(test, zdt_device_private_pte(r.addr, &w));
			KUNIT_EXPECT_EQ(test, atomic_read(&r.dev->nr_free), 1);
			return;
		}
	}
	KUNIT_ASSERT_TRUE_MSG(test, r.src_after & MIGRATE_PFN_MIGRATE,
			      "migrate_vma_pages() did not replace the zero page by the device page");
	now = zdt_device_private_pte(r.addr, &w);
	KUNIT_ASSERT_PTR_EQ_MSG(test, now, r.dpage,
				"the address does not map the device page");
	KUNIT_EXPECT_TRUE(test, w);
	zdt_expect_page_state(test, zdt_page_state(r.dpage),
			      (struct zdt_page_state){ .refcount = 1, .mapcount = 1 },
			      "of the device page");
	KUNIT_EXPECT_EQ(test, atomic_read(&r.dev->nr_free), 0);

	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, r.dev, r.addr, buf), 0);
	KUNIT_EXPECT_TRUE_MSG(test, zdt_has_data(test, buf, RACED_DEVICE_TAG),
			      "the CPU does not read what the driver put in the device page");
	KUNIT_EXPECT_EQ(test, atomic_read(&r.dev->nr_migrate_to_ram), 1);
}

/*
 * A page the process wrote into a hole is its data: when the CPU writes a
 * hole after migrate_vma_setup() collected it and before
 * migrate_vma_pages(), the driver's device page must not replace it
 * (migrate_vma_insert_page(): a present PTE of a page other than the zero
 * page, a PMD mapping a THP, abort), and the driver learns it from
 * MIGRATE_PFN_MIGRATE cleared in src, so that migrate_vma_finalize() gives
 * the device page back (8315ada7f095 "mm/migrate: allow migrate_vma() to
 * alloc new page on empty entry"; Documentation/mm/hmm.rst, "migrate_vma_pages()").
 * Succeeds if the write mapped a page that is not the zero page, src has
 * lost MIGRATE_PFN_MIGRATE, the process still maps that very page and
 * reads what it wrote, no device-private entry is there, no migrate_to_ram()
 * ran, and the device page is freed once, at refcount 0.
 */
static void hole_written_by_the_cpu_keeps_the_process_page(struct kunit *test)
{
	const struct raced_hole_param *p = test->param_value;
	struct raced_hole r = { };
	u8 buf[ZDT_DATA_LEN];
	struct page *now;

	raced_hole_migrate(test, &r, p->huge, true);
	KUNIT_ASSERT_TRUE_MSG(test, (r.pmd_leaf || r.present) && !is_zero_pfn(r.pfn),
			      "the CPU write did not map a page of the process (pfn %#lx)",
			      r.pfn);
	KUNIT_EXPECT_FALSE_MSG(test, r.src_after & MIGRATE_PFN_MIGRATE,
			       "src[0] %#lx: the device page is reported migrated over the process's page",
			       r.src_after);
	KUNIT_EXPECT_PTR_EQ(test, zdt_device_private_pte(r.addr, NULL), NULL);
	now = zdt_mapped_page(r.addr);
	KUNIT_EXPECT_TRUE_MSG(test, now && page_to_pfn(now) == r.pfn,
			      "the process no longer maps the page it wrote");
	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, r.dev, r.addr, buf), 0);
	KUNIT_EXPECT_TRUE_MSG(test, zdt_has_data(test, buf, RACED_CPU_TAG),
			      "the process does not read what it wrote");
	KUNIT_EXPECT_EQ(test, atomic_read(&r.dev->nr_migrate_to_ram), 0);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&r.dev->nr_free), 1,
			    "the device page not given back");
	KUNIT_EXPECT_EQ(test, folio_ref_count(page_folio(r.dpage)), 0);
}

/* Tags of the data of the two device pages offered for one hole. */
#define FILLED_OURS_TAG		1
#define FILLED_OTHER_TAG	2

/*
 * Another driver's migration, run in a thread of the test's mm: the page
 * at @t->addr moved to a new page of the device @t->arg, which holds
 * FILLED_OTHER_TAG data.  @t->ret: 1 if it moved; @t->page: that page.
 */
static void other_migration_fn(struct zdt_thread *t)
{
	struct zdt_device *dev = (struct zdt_device *)t->arg;
	struct page *dpage = NULL;
	struct zdt_migration m;

	zdt_migration_init(t->test, &m, t->addr, 1, dev, MIGRATE_VMA_SELECT_SYSTEM);
	zdt_migration_setup(&m);
	if (!m.ret && m.args.src[0] == MIGRATE_PFN_MIGRATE)
		dpage = zdt_device_alloc_page(dev, 0);
	if (dpage) {
		zdt_put_data(t->test, zdt_page_data(dpage), FILLED_OTHER_TAG);
		m.args.dst[0] = migrate_pfn(page_to_pfn(dpage)) | MIGRATE_PFN_WRITE;
	}
	if (!m.ret) {
		zdt_migration_pages(&m);
		t->ret = dpage && (m.args.src[0] & MIGRATE_PFN_MIGRATE);
	}
	zdt_migration_finalize(&m);
	t->page = dpage;
}

/*
 * A hole is filled only while it is empty: when another migration moves a
 * device page into a hole after migrate_vma_setup() collected it and
 * before migrate_vma_pages() (both hold the mmap lock for reading only),
 * the driver's page must not overwrite that device-private entry, whose
 * page would be lost to the process and leaked with the mapping's
 * reference (migrate_vma_insert_page(): an entry that is neither none nor
 * the zero page aborts; 8315ada7f095 "mm/migrate: allow migrate_vma() to
 * alloc new page on empty entry").  Succeeds if the other migration filled
 * the hole, src[0] then lost MIGRATE_PFN_MIGRATE, the address still holds
 * the other page's device-private entry, that page holds just the
 * mapping's reference and is mapped once, ours is freed once at refcount 0,
 * and a CPU read brings back the other page's data with one
 * migrate_to_ram().
 */
static void hole_filled_by_another_migration_keeps_its_page(struct kunit *test)
{
	unsigned long addr, src0 = 0, src_after = 0;
	struct page *dpage = NULL;
	struct zdt_device *dev;
	struct zdt_migration m;
	struct zdt_thread *t;
	u8 buf[ZDT_DATA_LEN];
	bool other_done = false;

	dev = zdt_device_create(test, MEMORY_DEVICE_PRIVATE, ZDT_DEVICE_PAGES);
	addr = zdt_user_map(test, PAGE_SIZE);
	t = zdt_thread_create(test, "other migration", other_migration_fn);
	t->addr = addr;
	t->arg = dev;

	zdt_migration_init(test, &m, addr, 1, dev, MIGRATE_VMA_SELECT_SYSTEM);
	zdt_migration_setup(&m);
	if (!m.ret) {
		src0 = m.args.src[0];
		if (src0 == MIGRATE_PFN_MIGRATE)
			dpage = zdt_device_alloc_page(dev, 0);
		if (dpage) {
			zdt_put_data(test, zdt_page_data(dpage), FILLED_OURS_TAG);
			m.args.dst[0] = migrate_pfn(page_to_pfn(dpage)) | MIGRATE_PFN_WRITE;
			zdt_thread_start(t);
			other_done = zdt_thread_wait(t, ZDT_ACCESS_MS);
		}
		zdt_migration_pages(&m);
		src_after = m.args.src[0];
	}
	zdt_migration_finalize(&m);

	KUNIT_ASSERT_EQ(test, m.ret, 0);
	KUNIT_ASSERT_EQ_MSG(test, src0, MIGRATE_PFN_MIGRATE,
			    "the hole not collected as an entry without a page");
	KUNIT_ASSERT_NOT_NULL_MSG(test, dpage, "no free device page");
	KUNIT_ASSERT_TRUE_MSG(test, other_done,
			      "the other migration did not return in %d ms", ZDT_ACCESS_MS);
	KUNIT_ASSERT_EQ_MSG(test, t->ret, 1, "the other migration did not fill the hole");
	KUNIT_EXPECT_FALSE_MSG(test, src_after & MIGRATE_PFN_MIGRATE,
			       "src[0] %#lx: our page is reported migrated over the other one",
			       src_after);
	KUNIT_EXPECT_PTR_EQ_MSG(test, zdt_device_private_pte(addr, NULL), t->page,
				"the address no longer maps the other migration's page");
	zdt_expect_page_state(test, zdt_page_state(t->page),
			      (struct zdt_page_state){ .refcount = 1, .mapcount = 1 },
			      "of the other migration's page");
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&dev->nr_free), 1, "our page not given back");
	KUNIT_EXPECT_EQ(test, folio_ref_count(page_folio(dpage)), 0);

	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, dev, addr, buf), 0);
	KUNIT_EXPECT_TRUE_MSG(test, zdt_has_data(test, buf, FILLED_OTHER_TAG),
			      "the CPU does not read the other migration's data");
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_migrate_to_ram), 1);
}

/*
 * A hole a driver fills with a system page (as a migrate_to_ram() that
 * moves a whole range does for the holes in it, drm_pagemap's) becomes an
 * ordinary anonymous page of the process: migrate_vma_pages() maps it
 * present, writable as the VMA is, and puts it on the LRU, so that reclaim
 * and compaction find it (migrate_vma_insert_page(): folio_add_lru_vma()
 * for a page that is no device page; 8315ada7f095 "mm/migrate: allow
 * migrate_vma() to alloc new page on empty entry").  Succeeds if src keeps
 * MIGRATE_PFN_MIGRATE, the address maps that very page, anonymous and
 * writable (GUP-fast for writing finds it), on the LRU once the per-CPU
 * batches are drained, with just the mapping's reference, mapped once, and
 * the CPU reads the data the driver put there.
 */
static void hole_filled_with_a_system_page_is_on_the_lru(struct kunit *test)
{
	unsigned long addr, src0 = 0, src_pages = 0;
	struct page *page = NULL, *wpage = NULL;
	struct zdt_migration m;
	u8 buf[ZDT_DATA_LEN];
	struct folio *folio;
	int got;

	if (!ZDT_CAN_DRAIN_LRU)
		zdt_skip(test, ZDT_NO_DRAIN_LRU);
	addr = zdt_user_map(test, PAGE_SIZE);

	zdt_migration_init(test, &m, addr, 1, &other_owner,
			   MIGRATE_VMA_SELECT_DEVICE_PRIVATE);
	zdt_migration_setup(&m);
	if (!m.ret) {
		src0 = m.args.src[0];
		if (src0 == MIGRATE_PFN_MIGRATE)
			page = alloc_page_vma(GFP_HIGHUSER_MOVABLE, m.args.vma, addr);
		if (page) {
			lock_page(page);
			zdt_put_data(test, page_address(page), 0);
			m.args.dst[0] = migrate_pfn(page_to_pfn(page));
		}
		zdt_migration_pages(&m);
		src_pages = m.args.src[0];
	}
	zdt_migration_finalize(&m);

	KUNIT_ASSERT_EQ(test, m.ret, 0);
	KUNIT_ASSERT_EQ_MSG(test, src0, MIGRATE_PFN_MIGRATE,
			    "the hole not collected as an entry without a page");
	if (!page)
		zdt_skip(test, "no free system page");
	KUNIT_ASSERT_TRUE_MSG(test, src_pages & MIGRATE_PFN_MIGRATE,
			      "migrate_vma_pages() did not map the system page");
	KUNIT_ASSERT_PTR_EQ_MSG(test, zdt_mapped_page(addr), page,
				"the hole does not map the system page");
	folio = page_folio(page);
	KUNIT_EXPECT_TRUE(test, folio_test_anon(folio));
	zdt_drain_lru();
	KUNIT_EXPECT_TRUE_MSG(test, folio_test_lru(folio),
			      "the page is on no LRU: reclaim never finds it");
	zdt_expect_page_state(test, zdt_page_state(page),
			      (struct zdt_page_state){ .refcount = 1, .mapcount = 1 },
			      "of the system page");
	if (IS_ENABLED(CONFIG_HAVE_GUP_FAST)) {
		got = get_user_pages_fast_only(addr, 1, FOLL_WRITE, &wpage);
		if (got == 1)
			put_page(wpage);
		KUNIT_EXPECT_EQ_MSG(test, got, 1, "the page is mapped read-only in a writable VMA");
	}
	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, NULL, addr, buf), 0);
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, 0));
}

/* Where a driver gives a page of another kind of device memory as dst. */
struct other_dst_param {
	const char *desc;
	bool hole;		/* an empty entry, else a process page */
	bool pmd;		/* a PMD-sized empty range and folio */
};

static const struct other_dst_param other_dst_params[] = {
	{ "empty page", true, false },
	{ "empty PMD-sized range, PMD-sized folio", true, true },
	{ "process page", false, false },
};

KUNIT_ARRAY_PARAM_DESC(other_dst, other_dst_params, desc);

/*
 * A P2PDMA page of @dev (page 0) handed out as a driver hands out one, as
 * p2pmem_alloc_mmap() does (refcount 1, no pgmap reference), locked as a
 * migration destination must be: the whole folio if the pgmap is compound.
 */
static struct page *p2pdma_dst_page(struct zdt_device *dev)
{
	struct page *page = zdt_device_page(dev, 0);

	if (page_ref_count(page))
		return NULL;
	set_page_count(page, 1);
	lock_page(page);
	return page;
}

/*
 * Whether nothing maps @addr of the test's mm: no PMD table, a none PMD, or
 * a none PTE (GUP-fast, zdt_mapped_page(), does not see a P2PDMA page).
 */
static bool user_address_is_empty(struct kunit *test, unsigned long addr)
{
	struct mm_struct *mm = current->mm;
	bool pmd_empty;
	pmd_t *pmdp;
	pte_t pte;

	KUNIT_ASSERT_NOT_NULL(test, mm);
	mmap_read_lock(mm);
	pmdp = zdt_user_pmdp(addr);
	pmd_empty = !pmdp || pmd_none(pmdp_get(pmdp));
	mmap_read_unlock(mm);
	/* zdt_user_pte() takes the mmap lock itself. */
	return pmd_empty || (zdt_user_pte(addr, &pte) && pte_none(pte));
}

/*
 * Only device-private and device-coherent memory can take the place of
 * anonymous memory: migrate_vma_pages() refuses a destination page of any
 * other ZONE_DEVICE type (P2PDMA, FS DAX, generic), whether it would
 * replace a process page ("Other types of ZONE_DEVICE page are not
 * supported", a5430dda8a3a "mm/migrate: support un-addressable ZONE_DEVICE
 * page in migration") or fill an empty entry ("Unsupported ZONE_DEVICE page
 * type", 8315ada7f095 "mm/migrate: allow migrate_vma() to alloc new page on
 * empty entry"; a PMD-sized range, a30b48bf1b24 "mm/migrate_device:
 * implement THP migration of zone device pages"): the entry loses
 * MIGRATE_PFN_MIGRATE and migrate_vma_finalize() gives the page back.
 * Succeeds if setup collects the entry, after migrate_vma_pages() src has
 * lost MIGRATE_PFN_MIGRATE (every entry of a PMD-sized range), the address
 * maps no P2PDMA page (an empty one stays empty: no PMD, no PTE; a process
 * page stays mapped and the CPU reads what the process wrote there), and
 * the P2PDMA page is freed once, unlocked, at refcount 0.
 */
static void migration_to_other_device_memory_is_refused(struct kunit *test)
{
	const struct other_dst_param *p = test->param_value;
	unsigned int order = p->pmd ? PMD_SHIFT - PAGE_SHIFT : 0;
	unsigned long nr = 1UL << order, off = p->pmd ? ZDT_PMD_MIDDLE : 0;
	unsigned long flags = MIGRATE_VMA_SELECT_SYSTEM;
	unsigned long want = MIGRATE_PFN_MIGRATE, i, kept = 0;
	unsigned long addr, base, src0 = 0;
	struct page *ppage = NULL, *upage = NULL;
	struct zdt_device *dev;
	struct zdt_migration m;
	u8 buf[ZDT_DATA_LEN];

	if (!ZDT_HAS_ZERO_BASED_DAX_P2PDMA)
		zdt_skip(test, ZDT_NO_ZERO_BASED_DAX_P2PDMA);
	if (p->pmd) {
		if (!ZDT_HAS_LARGE_DEVICE_FOLIOS)
			zdt_skip(test, ZDT_NO_LARGE_DEVICE_FOLIOS);
		if (!thp_migration_supported())
			zdt_skip(test, ZDT_NO_PMD_MIGRATION);
		flags |= ZDT_MIGRATE_VMA_SELECT_COMPOUND;
		want |= ZDT_MIGRATE_PFN_COMPOUND;
	}
	dev = zdt_device_prepare(test, MEMORY_DEVICE_PCI_P2PDMA, ZDT_DEVICE_PAGES);
	if (order)
		zdt_device_set_vmemmap_shift(dev, order);
	KUNIT_ASSERT_EQ(test, zdt_device_map(dev), 0);
	if (p->hole) {
		base = ALIGN(zdt_user_map(test, 2 * PMD_SIZE), PMD_SIZE);
	} else {
		base = zdt_user_pages(test, 1);
		upage = zdt_mapped_page(base);
		KUNIT_ASSERT_NOT_NULL(test, upage);
		want |= migrate_pfn(page_to_pfn(upage)) | MIGRATE_PFN_WRITE;
	}
	addr = base + off * PAGE_SIZE;

	zdt_migration_init(test, &m, base, nr, dev, flags);
	zdt_migration_setup(&m);
	if (!m.ret) {
		src0 = m.args.src[0];
		if (src0 == want)
			ppage = p2pdma_dst_page(dev);
		if (ppage) {
			zdt_put_data(test, zdt_page_data(ppage + off), 1);
			m.args.dst[0] = migrate_pfn(page_to_pfn(ppage)) | MIGRATE_PFN_WRITE |
					(p->pmd ? ZDT_MIGRATE_PFN_COMPOUND : 0);
		}
		zdt_migration_pages(&m);
		for (i = 0; i < nr; i++)
			if (m.args.src[i] & MIGRATE_PFN_MIGRATE)
				kept++;
	}
	zdt_migration_finalize(&m);

	KUNIT_ASSERT_EQ(test, m.ret, 0);
	KUNIT_ASSERT_EQ_MSG(test, src0, want, "the entry not collected as it is");
	KUNIT_ASSERT_NOT_NULL_MSG(test, ppage, "the P2PDMA page is in use");
	KUNIT_EXPECT_EQ_MSG(test, kept, 0,
			    "src entries that kept MIGRATE_PFN_MIGRATE with a P2PDMA destination");
	if (p->hole)
		KUNIT_EXPECT_TRUE_MSG(test, user_address_is_empty(test, addr),
				      "the empty address is no longer empty");
	else
		KUNIT_EXPECT_PTR_EQ_MSG(test, zdt_mapped_page(addr), upage,
					"the address no longer maps the process page");
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_free), 1);
	KUNIT_EXPECT_EQ(test, folio_ref_count(page_folio(ppage)), 0);
	KUNIT_EXPECT_FALSE(test, dev->free_locked);
	if (!p->hole) {
		KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, NULL, addr, buf), 0);
		KUNIT_EXPECT_TRUE_MSG(test, zdt_has_data(test, buf, 0),
				      "the CPU does not read what the process wrote");
	}
}

static struct kunit_case zone_device_migrate_cases[] = {
	KUNIT_CASE_PARAM(setup_selects_by_flags_and_owner, select_gen_params),
	KUNIT_CASE(extra_reference_keeps_the_page_on_the_device),
	KUNIT_CASE(setup_restores_a_referenced_page_in_place),
	KUNIT_CASE_PARAM(setup_refuses_a_malformed_request, refusal_gen_params),
	KUNIT_CASE_PARAM(setup_follows_the_fault_page_lock_rule,
			 fault_page_gen_params),
	KUNIT_CASE_PARAM(eviction_moves_every_device_page_to_ram,
			 evict_gen_params),
	KUNIT_CASE(range_fault_brings_every_page_back_once),
	KUNIT_CASE(range_finalize_unlocks_every_page_but_the_fault_page),
	KUNIT_CASE(range_leaves_a_referenced_neighbour_on_the_device),
	KUNIT_CASE_PARAM(hole_filled_with_coherent_memory_is_mapped_writable,
			 coherent_hole_gen_params),
	KUNIT_CASE_PARAM(hole_read_by_the_cpu_is_still_filled_from_the_device,
			 raced_read_gen_params),
	KUNIT_CASE_PARAM(hole_written_by_the_cpu_keeps_the_process_page,
			 raced_write_gen_params),
	KUNIT_CASE(hole_filled_with_a_system_page_is_on_the_lru),
	KUNIT_CASE(hole_filled_by_another_migration_keeps_its_page),
	KUNIT_CASE_PARAM(migration_to_other_device_memory_is_refused,
			 other_dst_gen_params),
	{}
};

static struct kunit_suite zone_device_migrate_suite = {
	.name = "zone_device_migrate",
	.init = zdt_migrate_case_begin,
	.test_cases = zone_device_migrate_cases,
};

kunit_test_suite(zone_device_migrate_suite);

MODULE_DESCRIPTION("KUnit tests for the driver's side of migrate_vma and migrate_device");
MODULE_LICENSE("GPL");
