// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for what madvise(2) does with device memory mapped in a
 * process: MADV_COLD, MADV_PAGEOUT and MADV_FREE skip every ZONE_DEVICE
 * folio (mm/madvise.c madvise_cold_or_pageout_pte_range() and
 * madvise_free_pte_range()).  Device memory is not on the LRU and not
 * reclaimed; the driver owns its pages.  A device-coherent page is mapped
 * present like system RAM, so a walk that forgot the test would age it,
 * clean it and mark it lazy-free.  The NUMA scanner's walk
 * (change_prot_numa()) skips them the same way: it never makes device memory
 * PROT_NONE.
 *
 * Each case maps device-coherent memory into the test's mm (one page
 * moved there, or a PMD-sized folio filling an empty range; the device
 * needs the reserved RAM, zone_device_fixture.coherent=), writes it from
 * the CPU, and calls madvise() from the test's thread (zdt_madvise(),
 * do_madvise()) or the NUMA scanner's step (zdt_numa_scan(),
 * change_prot_numa()): as a module, only where the kernel exports them for
 * KUnit (zone_device_caps.h).
 */
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <kunit/test.h>

#include "zone_device_compat.h"
#include "zone_device_fixture.h"

struct advice_param {
	const char *name;
	int advice;
};

static const struct advice_param advices[] = {
	{ "MADV_COLD", MADV_COLD },
	{ "MADV_PAGEOUT", MADV_PAGEOUT },
	{ "MADV_FREE", MADV_FREE },
};

static void advice_desc(const struct advice_param *p, char *desc)
{
	strscpy(desc, p->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(advices, advices, advice_desc);

/*
 * madvise() never deactivates, reclaims or marks lazy-free device memory:
 * MADV_COLD, MADV_PAGEOUT and MADV_FREE leave the PTE of a device-coherent
 * page as the CPU left it, young and dirty, and the page mapped with its
 * data (3218f8712d6b "mm: handling Non-LRU pages returned by
 * vm_normal_pages", which added the zone-device test to both PTE walks for
 * the device-coherent pages that vm_normal_folio() returns since).
 * Without the test MADV_FREE clears the dirty bits: the written data would
 * be discardable.  (MADV_COLD and MADV_PAGEOUT skip an order-0 device folio
 * a second time, as not on the LRU; a kernel without both tests would age
 * the page.)  Succeeds if madvise() returns 0, the PTE still maps the
 * coherent page, young and dirty, the folio's dirty flag is what it was,
 * the device freed nothing and a CPU read sees the data written.
 */
static void madvise_leaves_device_coherent_page_as_it_was(struct kunit *test)
{
	const struct advice_param *p = test->param_value;
	struct zdt_device *dev;
	struct page *cpage;
	u8 buf[ZDT_DATA_LEN];
	unsigned long addr;
	bool folio_dirty;
	pte_t pte;

	addr = zdt_page_on_device(test, MEMORY_DEVICE_COHERENT, &dev);
	cpage = zdt_device_page(dev, 0);
	KUNIT_ASSERT_PTR_EQ(test, zdt_mapped_page(addr), cpage);
	/* A CPU write through the present PTE: young and dirty. */
	KUNIT_ASSERT_EQ(test, zdt_cpu_write(test, dev, addr, 1), 0);
	KUNIT_ASSERT_TRUE(test, zdt_user_pte(addr, &pte));
	KUNIT_ASSERT_TRUE(test, pte_present(pte));
	KUNIT_ASSERT_EQ(test, pte_pfn(pte), page_to_pfn(cpage));
	KUNIT_ASSERT_TRUE_MSG(test, pte_young(pte) && pte_dirty(pte),
			      "the CPU write left the PTE%s%s",
			      pte_young(pte) ? "" : " old", pte_dirty(pte) ? "" : " clean");
	folio_dirty = folio_test_dirty(page_folio(cpage));

	KUNIT_ASSERT_EQ(test, zdt_madvise(test, addr, PAGE_SIZE, p->advice), 0);

	KUNIT_ASSERT_TRUE_MSG(test, zdt_user_pte(addr, &pte),
			      "%s left no PTE table", p->name);
	KUNIT_ASSERT_TRUE_MSG(test, pte_present(pte), "%s unmapped the page", p->name);
	KUNIT_EXPECT_EQ(test, pte_pfn(pte), page_to_pfn(cpage));
	KUNIT_EXPECT_TRUE_MSG(test, pte_young(pte), "%s aged the PTE", p->name);
	KUNIT_EXPECT_TRUE_MSG(test, pte_dirty(pte), "%s cleaned the PTE", p->name);
	KUNIT_EXPECT_EQ_MSG(test, folio_test_dirty(page_folio(cpage)), folio_dirty,
			    "%s changed the folio's dirty flag", p->name);
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_free), 0);
	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, dev, addr, buf), 0);
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, 1));
	KUNIT_EXPECT_PTR_EQ(test, zdt_mapped_page(addr), cpage);
}

/* The PMD that maps @addr in the test's mm, read under the mmap read lock. */
static bool read_pmd(unsigned long addr, pmd_t *out)
{
	pmd_t *pmdp;

	mmap_read_lock(current->mm);
	pmdp = zdt_user_pmdp(addr);
	if (pmdp)
		*out = pmdp_get_lockless(pmdp);
	mmap_read_unlock(current->mm);
	return pmdp;
}

/*
 * A PMD-sized device-coherent folio filling an empty PMD-aligned range of
 * the test's mm, as a driver fills a hole (migrate_vma_insert_huge_pmd_page()),
 * the case's data for tag ZDT_PMD_MIDDLE in its middle page.
 *
 * Return: the folio's head page; *@devp its device, *@basep the range.
 */
static struct page *coherent_pmd(struct kunit *test, struct zdt_device **devp,
				 unsigned long *basep)
{
	unsigned int order = PMD_SHIFT - PAGE_SHIFT;
	unsigned long want = MIGRATE_PFN_MIGRATE | ZDT_MIGRATE_PFN_COMPOUND;
	unsigned long base, src = 0;
	struct page *dpage = NULL;
	struct zdt_device *dev;
	struct zdt_migration m;

	if (!ZDT_HAS_LARGE_DEVICE_FOLIOS)
		zdt_skip(test, ZDT_NO_LARGE_DEVICE_FOLIOS);
	if (!thp_migration_supported())
		zdt_skip(test, ZDT_NO_PMD_MIGRATION);
	dev = zdt_device_create(test, MEMORY_DEVICE_COHERENT, ZDT_DEVICE_PAGES);
	base = ALIGN(zdt_user_map(test, 2 * PMD_SIZE), PMD_SIZE);

	zdt_migration_init(test, &m, base, 1UL << order, dev,
			   MIGRATE_VMA_SELECT_SYSTEM | ZDT_MIGRATE_VMA_SELECT_COMPOUND);
	zdt_migration_setup(&m);
	if (!m.ret) {
		if (m.args.src[0] == want)
			dpage = zdt_device_alloc_page(dev, order);
		if (dpage) {
			zdt_put_data(test, zdt_page_data(dpage + ZDT_PMD_MIDDLE),
				     ZDT_PMD_MIDDLE);
			m.args.dst[0] = migrate_pfn(page_to_pfn(dpage)) |
					MIGRATE_PFN_WRITE | ZDT_MIGRATE_PFN_COMPOUND;
		}
		zdt_migration_pages(&m);
		src = m.args.src[0];
	}
	zdt_migration_finalize(&m);

	KUNIT_ASSERT_EQ(test, m.ret, 0);
	if (!dpage)
		zdt_skip(test, "no free order-%u device-coherent folio", order);
	KUNIT_ASSERT_TRUE_MSG(test, src & MIGRATE_PFN_MIGRATE,
			      "migrate_vma_pages() did not map the device-coherent folio");
	*devp = dev;
	*basep = base;
	return dpage;
}

/*
 * As madvise_leaves_device_coherent_page_as_it_was, for a PMD-sized
 * device-coherent folio mapped by one PMD and a range of the whole PMD:
 * the PMD branches of the same walks skip ZONE_DEVICE folios
 * (madvise_cold_or_pageout_pte_range() and madvise_free_huge_pmd(), since
 * a30b48bf1b24 "mm/migrate_device: implement THP migration of zone device
 * pages" maps such folios by a PMD; 7.3: 7.2 lacks both tests,
 * ZDT_NO_PMD_MADVISE_SKIPS_DEVICE).  Without the test MADV_COLD clears the
 * PMD's young bit and MADV_FREE its young and dirty bits.  Succeeds if
 * madvise() returns 0, the PMD still maps the folio, young and dirty, the
 * folio's dirty flag, references and mappings are what they were, the
 * device freed nothing and a CPU read sees the data written.
 */
static void madvise_leaves_device_coherent_pmd_as_it_was(struct kunit *test)
{
	const struct advice_param *p = test->param_value;
	struct zdt_page_state before;
	struct zdt_device *dev;
	unsigned long base, addr;
	struct page *dpage;
	u8 buf[ZDT_DATA_LEN];
	bool folio_dirty;
	pmd_t pmd;

	if (!ZDT_HAS_PMD_MADVISE_SKIPS_DEVICE && p->advice != MADV_PAGEOUT)
		zdt_skip(test, ZDT_NO_PMD_MADVISE_SKIPS_DEVICE);
	dpage = coherent_pmd(test, &dev, &base);
	addr = base + ZDT_PMD_MIDDLE * PAGE_SIZE;
	/* A CPU write through the present PMD: young and dirty. */
	KUNIT_ASSERT_EQ(test, zdt_cpu_write(test, dev, addr, ZDT_PMD_MIDDLE + 1), 0);
	KUNIT_ASSERT_TRUE(test, read_pmd(addr, &pmd));
	KUNIT_ASSERT_TRUE_MSG(test, pmd_present(pmd) && pmd_leaf(pmd),
			      "the folio is not mapped by one PMD");
	KUNIT_ASSERT_EQ(test, pmd_pfn(pmd), page_to_pfn(dpage));
	KUNIT_ASSERT_TRUE_MSG(test, pmd_young(pmd) && pmd_dirty(pmd),
			      "the CPU write left the PMD%s%s",
			      pmd_young(pmd) ? "" : " old", pmd_dirty(pmd) ? "" : " clean");
	folio_dirty = folio_test_dirty(page_folio(dpage));
	before = zdt_page_state(dpage);

	KUNIT_ASSERT_EQ(test, zdt_madvise(test, base, PMD_SIZE, p->advice), 0);

	KUNIT_ASSERT_TRUE(test, read_pmd(addr, &pmd));
	KUNIT_ASSERT_TRUE_MSG(test, pmd_present(pmd) && pmd_leaf(pmd),
			      "%s left no PMD mapping of the folio", p->name);
	KUNIT_EXPECT_EQ(test, pmd_pfn(pmd), page_to_pfn(dpage));
	KUNIT_EXPECT_TRUE_MSG(test, pmd_young(pmd), "%s aged the PMD", p->name);
	KUNIT_EXPECT_TRUE_MSG(test, pmd_dirty(pmd), "%s cleaned the PMD", p->name);
	KUNIT_EXPECT_EQ_MSG(test, folio_test_dirty(page_folio(dpage)), folio_dirty,
			    "%s changed the folio's dirty flag", p->name);
	zdt_expect_page_state(test, zdt_page_state(dpage), before, "after madvise()");
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_free), 0);
	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, dev, addr, buf), 0);
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, ZDT_PMD_MIDDLE + 1));
	KUNIT_EXPECT_PTR_EQ(test, zdt_mapped_page(addr), dpage + ZDT_PMD_MIDDLE);
}

/* What fills page 0 of the PMD range MADV_COLLAPSE is asked to collapse. */

struct collapse_param {
	const char *desc;
	bool device;		/* a device-coherent page, else a system one */
};

static const struct collapse_param collapse_params[] = {
	{ "device-coherent page 0", true },
	{ "system pages only", false },
};

KUNIT_ARRAY_PARAM_DESC(collapse, collapse_params, desc);

/*
 * MADV_COLLAPSE never collapses device memory into a THP: a PMD range with a
 * device-coherent page mapped in it (present, vm_normal_page() returns it) is
 * refused as intrinsic to the range, -EINVAL, "trying again likely not to
 * succeed", not as a transient failure (-EAGAIN) that tells the caller to
 * try again (collapse_scan_pmd(): SCAN_PAGE_NULL for a ZONE_DEVICE page,
 * f25cbb7a95a2 "mm: add zone device coherent type memory support";
 * madvise_collapse_errno(), 7d8faaf15545 "mm/madvise: introduce
 * MADV_COLLAPSE sync hugepage collapse"), and every page stays where it was.
 * The same range with system pages only collapses, so that the refusal is
 * the device page's.  Succeeds if, with the device page, madvise() returns
 * -EINVAL, both pages are still mapped, the device page with its data, the
 * system page with its, and the device freed nothing; without it, if
 * madvise() returns 0, one PMD maps the range and both pages read back
 * their data.
 */
static void madvise_collapse_refuses_device_memory_for_good(struct kunit *test)
{
	const struct collapse_param *p = test->param_value;
	struct page *page0, *page1;
	struct zdt_device *dev;
	u8 buf[ZDT_DATA_LEN];
	unsigned long base;
	bool huge;
	pmd_t pmd;
	int ret;

	if (!IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE))
		zdt_skip(test, ZDT_NO_THP);
	dev = zdt_device_create(test, MEMORY_DEVICE_COHERENT, ZDT_DEVICE_PAGES);
	/* Twice the size, so that an aligned PMD lies inside the mapping. */
	base = ALIGN(zdt_user_map(test, 2 * PMD_SIZE), PMD_SIZE);
	/* Filled page by page, whatever the THP policy; collapsible after. */
	KUNIT_ASSERT_EQ(test, zdt_madvise(test, base, PMD_SIZE, MADV_NOHUGEPAGE), 0);
	if (p->device)
		KUNIT_ASSERT_EQ(test, zdt_migrate_to_device(dev, base, 1), 1);
	KUNIT_ASSERT_EQ(test, zdt_cpu_write(test, dev, base, 0), 0);
	KUNIT_ASSERT_EQ(test, zdt_cpu_write(test, dev, base + PAGE_SIZE, 1), 0);
	page0 = zdt_mapped_page(base);
	page1 = zdt_mapped_page(base + PAGE_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, page0);
	KUNIT_ASSERT_NOT_NULL(test, page1);
	KUNIT_ASSERT_EQ(test, is_zone_device_page(page0), p->device);
	KUNIT_ASSERT_FALSE(test, is_zone_device_page(page1));
	KUNIT_ASSERT_TRUE_MSG(test, read_pmd(base, &pmd) && !pmd_leaf(pmd),
			      "the range is not mapped by PTEs before MADV_COLLAPSE");
	KUNIT_ASSERT_EQ(test, zdt_madvise(test, base, PMD_SIZE, MADV_HUGEPAGE), 0);

	ret = zdt_madvise(test, base, PMD_SIZE, MADV_COLLAPSE);
	kunit_info(test, "MADV_COLLAPSE: %d", ret);

	if (p->device) {
		KUNIT_EXPECT_EQ_MSG(test, ret, -EINVAL,
				    "MADV_COLLAPSE of a range with a device-coherent page");
		KUNIT_EXPECT_PTR_EQ(test, zdt_mapped_page(base), page0);
		KUNIT_EXPECT_PTR_EQ(test, zdt_mapped_page(base + PAGE_SIZE), page1);
		KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_free), 0);
	} else {
		if (ret == -ENOMEM)
			zdt_skip(test, "MADV_COLLAPSE found no free huge page (-ENOMEM)");
		KUNIT_EXPECT_EQ_MSG(test, ret, 0, "MADV_COLLAPSE of system pages only");
		huge = read_pmd(base, &pmd) && pmd_present(pmd) && pmd_leaf(pmd);
		KUNIT_EXPECT_TRUE_MSG(test, huge,
				      "the range is not mapped by one PMD after MADV_COLLAPSE");
	}
	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, dev, base, buf), 0);
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, 0));
	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, dev, base + PAGE_SIZE, buf), 0);
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, 1));
}

/* What the NUMA scanner is pointed at: one device-coherent page, or a PMD. */

struct numa_param {
	const char *desc;
	bool pmd;		/* a PMD-mapped folio, else one page */
};

static const struct numa_param numa_params[] = {
	{ "device-coherent page", false },
	{ "PMD-mapped device-coherent folio", true },
};

KUNIT_ARRAY_PARAM_DESC(numa, numa_params, desc);

/*
 * A CPU read of @addr by a thread of the test's mm, bounded; *@faults: the
 * page faults it took.
 */
static void read_counting_faults(struct kunit *test, struct zdt_device *dev,
				 unsigned long addr, u8 *buf, unsigned long *faults)
{
	struct zdt_thread *t = zdt_reader_create(test, addr);

	zdt_thread_start(t);
	zdt_thread_finish(test, t, dev, "after it started");
	*faults = zdt_thread_faults(t);
	KUNIT_ASSERT_EQ_MSG(test, t->left, 0, "CPU read at %#lx", addr);
	memcpy(buf, t->buf, ZDT_DATA_LEN);
	zdt_thread_free(test, t);
}

static void numa_scan_checks(struct kunit *test)
{
	const struct numa_param *p = test->param_value;
	struct zdt_page_state before;
	unsigned long base, addr, len, sys, faults, tag;
	struct zdt_device *dev;
	struct page *dpage;
	u8 buf[ZDT_DATA_LEN];
	pte_t pte, pte_was = __pte(0);
	pmd_t pmd, pmd_was = __pmd(0);
	long nr;

	if (p->pmd) {
		dpage = coherent_pmd(test, &dev, &base);
		len = PMD_SIZE;
		tag = ZDT_PMD_MIDDLE + 1;
		addr = base + ZDT_PMD_MIDDLE * PAGE_SIZE;
	} else {
		base = zdt_page_on_device(test, MEMORY_DEVICE_COHERENT, &dev);
		dpage = zdt_device_page(dev, 0);
		len = PAGE_SIZE;
		tag = 1;
		addr = base;
	}
	KUNIT_ASSERT_EQ(test, zdt_cpu_write(test, dev, addr, tag), 0);
	if (p->pmd) {
		KUNIT_ASSERT_TRUE(test, read_pmd(addr, &pmd_was));
		KUNIT_ASSERT_TRUE_MSG(test, pmd_present(pmd_was) && pmd_leaf(pmd_was),
				      "the folio is not mapped by one PMD");
		KUNIT_ASSERT_EQ(test, pmd_pfn(pmd_was), page_to_pfn(dpage));
		KUNIT_ASSERT_FALSE(test, pmd_protnone(pmd_was));
	} else {
		KUNIT_ASSERT_TRUE(test, zdt_user_pte(addr, &pte_was));
		KUNIT_ASSERT_TRUE(test, pte_present(pte_was));
		KUNIT_ASSERT_EQ(test, pte_pfn(pte_was), page_to_pfn(dpage));
		KUNIT_ASSERT_FALSE(test, pte_protnone(pte_was));
	}
	before = zdt_page_state(dpage);
	/* A system page, which the same scan makes PROT_NONE: the control. */
	sys = zdt_user_pages(test, 1);

	nr = zdt_numa_scan(test, base, len);
	KUNIT_EXPECT_EQ_MSG(test, nr, 0,
			    "change_prot_numa() returned %ld: it made device memory PROT_NONE", nr);
	if (p->pmd) {
		KUNIT_ASSERT_TRUE(test, read_pmd(addr, &pmd));
		KUNIT_ASSERT_TRUE_MSG(test, pmd_present(pmd) && pmd_leaf(pmd),
				      "change_prot_numa() left no PMD mapping of the folio");
		KUNIT_EXPECT_EQ(test, pmd_pfn(pmd), page_to_pfn(dpage));
		KUNIT_EXPECT_FALSE_MSG(test, pmd_protnone(pmd),
				       "change_prot_numa() made the device-coherent PMD PROT_NONE");
		KUNIT_EXPECT_TRUE_MSG(test, pmd_same(pmd, pmd_was),
				      "change_prot_numa() changed the PMD: %#lx, was %#lx",
				      (unsigned long)pmd_val(pmd), (unsigned long)pmd_val(pmd_was));
	} else {
		KUNIT_ASSERT_TRUE_MSG(test, zdt_user_pte(addr, &pte),
				      "change_prot_numa() left no PTE table");
		KUNIT_ASSERT_TRUE_MSG(test, pte_present(pte),
				      "change_prot_numa() unmapped the device-coherent page");
		KUNIT_EXPECT_EQ(test, pte_pfn(pte), page_to_pfn(dpage));
		KUNIT_EXPECT_FALSE_MSG(test, pte_protnone(pte),
				       "change_prot_numa() made the device-coherent PTE PROT_NONE");
		KUNIT_EXPECT_TRUE_MSG(test, pte_same(pte, pte_was),
				      "change_prot_numa() changed the PTE: %#lx, was %#lx",
				      (unsigned long)pte_val(pte), (unsigned long)pte_val(pte_was));
	}

	/* The control: the same scan over a system page does make it PROT_NONE. */
	KUNIT_ASSERT_EQ_MSG(test, zdt_numa_scan(test, sys, PAGE_SIZE), 1,
			    "change_prot_numa() left a system page alone: this scan tests nothing");
	KUNIT_ASSERT_TRUE(test, zdt_user_pte(sys, &pte));
	KUNIT_ASSERT_TRUE(test, pte_protnone(pte));

	/* The device memory reads without a fault, NUMA hint or other. */
	read_counting_faults(test, dev, addr, buf, &faults);
	KUNIT_EXPECT_EQ_MSG(test, faults, 0,
			    "a CPU read of the device memory faulted (a NUMA hinting fault)");
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, tag));
	zdt_expect_page_state(test, zdt_page_state(dpage), before,
			      "after change_prot_numa() and a CPU read");
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_free), 0);
	/* The system page's read takes the NUMA hinting fault the scan set up. */
	read_counting_faults(test, NULL, sys, buf, &faults);
	KUNIT_EXPECT_GE_MSG(test, faults, 1, "a CPU read of the PROT_NONE system page");
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, 0));
}

/*
 * NUMA hinting never makes device memory PROT_NONE: the NUMA scanner
 * (task_numa_work() -> change_prot_numa(), MM_CP_PROT_NUMA) leaves the PTE
 * of a device-coherent page, and the PMD of a PMD-mapped device-coherent
 * folio, present and accessible, so that a CPU access takes no NUMA hinting
 * fault for memory the kernel cannot migrate by NUMA placement anyway
 * (folio_can_map_prot_numa(): false for a ZONE_DEVICE folio, from
 * change_pte_range() and change_huge_pmd(); the PTE test since 3218f8712d6b
 * "mm: handling Non-LRU pages returned by vm_normal_pages", inline in
 * change_pte_range() up to 6.12; the PMD test since change_huge_pmd() calls
 * folio_can_map_prot_numa(), 7.2; 6.12 has no PMD-mapped device folios,
 * ZDT_NO_LARGE_DEVICE_FOLIOS).  Device-coherent memory because a
 * device-private page is mapped by a non-present entry, which the scanner
 * never makes PROT_NONE: a device-coherent page is present like system RAM
 * and vm_normal_page() returns it, so only the zone-device test stops the
 * scanner.  The case turns NUMA balancing on (NUMA_BALANCING_NORMAL, as a
 * machine of several nodes boots) for its duration and makes the same scan
 * of a system page, which becomes PROT_NONE and faults when read.
 * Succeeds if change_prot_numa() over the device memory returns 0 and
 * leaves its entry as it was (present, not PROT_NONE, same pfn), the
 * folio's references and mappings are what they were, the device freed
 * nothing, a CPU read sees the data written without a page fault, and the
 * system page's scan returns 1 and its read faults.
 */
static void numa_scan_never_makes_device_memory_prot_none(struct kunit *test)
{
	if (!IS_ENABLED(CONFIG_NUMA_BALANCING))
		zdt_skip(test, ZDT_NO_NUMA_BALANCING);
	if (!ZDT_CAN_SCAN_NUMA)
		zdt_skip(test, ZDT_NO_NUMA_SCAN);
	numa_scan_checks(test);
}

static struct kunit_case zone_device_madvise_cases[] = {
	KUNIT_CASE_PARAM(madvise_leaves_device_coherent_page_as_it_was,
			 advices_gen_params),
	KUNIT_CASE_PARAM(madvise_leaves_device_coherent_pmd_as_it_was,
			 advices_gen_params),
	KUNIT_CASE_PARAM(madvise_collapse_refuses_device_memory_for_good,
			 collapse_gen_params),
	KUNIT_CASE_PARAM(numa_scan_never_makes_device_memory_prot_none,
			 numa_gen_params),
	{}
};

static struct kunit_suite zone_device_madvise_suite = {
	.name = "zone_device_madvise",
	.init = zdt_migrate_case_begin,
	.test_cases = zone_device_madvise_cases,
};

kunit_test_suite(zone_device_madvise_suite);

MODULE_DESCRIPTION("KUnit tests for madvise() over device memory");
MODULE_LICENSE("GPL");
