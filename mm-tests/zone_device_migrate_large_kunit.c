// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for large device-private folios in migrate_vma_*() and
 * migrate_device_*() (mm/migrate_device.c, a30b48bf1b24 "mm/migrate_device:
 * implement THP migration of zone device pages", 6.19): a PMD-sized range
 * moves as one folio, a range covering part of one splits it, setup selects
 * a PMD by flags and owner as it does a page, and eviction moves a large
 * folio whole.  Each case starts from a PMD-order device folio mapped by one
 * PMD-level device-private entry (zdt_pmd_on_device(), or
 * zdt_migrate_pmd_to_device() on a device of its own); on kernels without
 * large device folios the cases skip and say so.
 */
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/string.h>
#include <kunit/test.h>

#include "zone_device_compat.h"
#include "zone_device_fixture.h"

/*
 * A PMD-sized range moves as one large device-private folio and back
 * (a30b48bf1b24 "mm/migrate_device: implement THP migration of zone device
 * pages", 6.19): with MIGRATE_VMA_SELECT_COMPOUND setup collects the PMD
 * entry as one MIGRATE_PFN_COMPOUND src entry (the rest zero), and a
 * compound destination is mapped by one PMD.  Succeeds if the large device
 * folio comes back as one large system folio with its data, no CPU fault
 * needed, and the device folio is freed once.
 */
static void pmd_range_moves_as_one_large_folio_and_back(struct kunit *test)
{
	unsigned int order = PMD_SHIFT - PAGE_SHIFT;
	unsigned long nr = 1UL << order, base, i, src0, src_pages, cpages;
	unsigned long others = 0;
	struct zdt_device *dev;
	struct folio *rfolio = NULL;
	struct page *dpage, *now;
	struct zdt_migration m;
	u8 buf[ZDT_DATA_LEN];

	dpage = zdt_pmd_on_device(test, &dev, &base);
	zdt_put_data(test, zdt_page_data(dpage + ZDT_PMD_MIDDLE), ZDT_PMD_MIDDLE);

	zdt_migration_init(test, &m, base, nr, dev,
			   MIGRATE_VMA_SELECT_DEVICE_PRIVATE | ZDT_MIGRATE_VMA_SELECT_COMPOUND);
	zdt_migration_setup(&m);
	src0 = m.args.src[0];
	cpages = m.args.cpages;
	for (i = 1; i < nr && !m.ret; i++)
		others |= m.args.src[i];
	if (!m.ret && (src0 & MIGRATE_PFN_MIGRATE) && (src0 & ZDT_MIGRATE_PFN_COMPOUND))
		m.args.dst[0] = zdt_migration_ram_copy(&m, dpage, order);
	if (m.args.dst[0]) {
		rfolio = page_folio(migrate_pfn_to_page(m.args.dst[0]));
		zdt_migration_pages(&m);
	}
	src_pages = m.args.src[0];
	zdt_migration_finalize(&m);

	KUNIT_ASSERT_EQ(test, m.ret, 0);
	KUNIT_EXPECT_EQ_MSG(test, src0, migrate_pfn(page_to_pfn(dpage)) |
			    MIGRATE_PFN_MIGRATE | MIGRATE_PFN_WRITE |
			    ZDT_MIGRATE_PFN_COMPOUND,
			    "the PMD entry was not collected as one compound entry");
	KUNIT_EXPECT_EQ(test, cpages, 1);
	KUNIT_EXPECT_EQ_MSG(test, others, 0, "src entries after the compound one");
	if (!rfolio && (src0 & ZDT_MIGRATE_PFN_COMPOUND))
		zdt_skip(test, "no free order-%u system folio", order);
	KUNIT_ASSERT_NOT_NULL(test, rfolio);
	KUNIT_EXPECT_TRUE_MSG(test, src_pages & MIGRATE_PFN_MIGRATE,
			      "migrate_vma_pages() did not move the large folio");
	now = zdt_mapped_page(base + ZDT_PMD_MIDDLE * PAGE_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, now);
	KUNIT_EXPECT_PTR_EQ_MSG(test, page_folio(now), rfolio,
				"the range does not map the new large folio");
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_free), 1);
	KUNIT_EXPECT_EQ(test, folio_ref_count(page_folio(dpage)), 0);
	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, dev, base + ZDT_PMD_MIDDLE * PAGE_SIZE, buf), 0);
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, ZDT_PMD_MIDDLE));
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_migrate_to_ram), 0);
}

/*
 * A range that covers only part of a PMD-mapped large device-private folio
 * splits it (migrate_vma_collect_huge_pmd(): a range not PMD-aligned falls
 * back to split_folio(), a30b48bf1b24 "mm/migrate_device: implement THP
 * migration of zone device pages"): setup collects just the pages in the
 * range, as order-0 entries, and the rest of the folio stays on the device
 * as small device-private pages, each with its data.  Succeeds if one page
 * of the folio moves alone and its neighbour, still on the device, faults
 * back by itself with its own data.
 */
static void partial_range_splits_the_large_folio(struct kunit *test)
{
	unsigned long base, addr, src0 = 0, src_pages = 0, cpages = 0;
	struct page *dpage, *spage, *next, *now;
	struct zdt_device *dev;
	struct zdt_migration m;
	u8 buf[ZDT_DATA_LEN];

	dpage = zdt_pmd_on_device(test, &dev, &base);
	spage = dpage + ZDT_PMD_MIDDLE;
	next = spage + 1;
	zdt_put_data(test, zdt_page_data(spage), ZDT_PMD_MIDDLE);
	zdt_put_data(test, zdt_page_data(next), ZDT_PMD_MIDDLE + 1);

	addr = base + ZDT_PMD_MIDDLE * PAGE_SIZE;
	zdt_migration_init(test, &m, addr, 1, dev,
			   MIGRATE_VMA_SELECT_DEVICE_PRIVATE | ZDT_MIGRATE_VMA_SELECT_COMPOUND);
	zdt_migration_setup(&m);
	if (!m.ret) {
		src0 = m.args.src[0];
		cpages = m.args.cpages;
		if (src0 & MIGRATE_PFN_MIGRATE)
			m.args.dst[0] = zdt_migration_ram_copy(&m, migrate_pfn_to_page(src0), 0);
		zdt_migration_pages(&m);
		src_pages = m.args.src[0];
	}
	zdt_migration_finalize(&m);

	KUNIT_ASSERT_EQ(test, m.ret, 0);
	KUNIT_EXPECT_EQ_MSG(test, src0, migrate_pfn(page_to_pfn(spage)) |
			    MIGRATE_PFN_MIGRATE | MIGRATE_PFN_WRITE,
			    "the page was not collected alone, as an order-0 entry");
	KUNIT_EXPECT_EQ(test, cpages, 1);
	KUNIT_EXPECT_EQ(test, folio_order(page_folio(spage)), 0);
	KUNIT_EXPECT_EQ(test, folio_order(page_folio(next)), 0);
	KUNIT_EXPECT_TRUE_MSG(test, src_pages & MIGRATE_PFN_MIGRATE,
			      "migrate_vma_pages() did not move the page");
	now = zdt_mapped_page(addr);
	KUNIT_EXPECT_NOT_NULL(test, now);
	if (now)
		KUNIT_EXPECT_FALSE(test, is_zone_device_page(now));
	KUNIT_EXPECT_NULL_MSG(test, zdt_mapped_page(addr + PAGE_SIZE),
			      "the neighbour left the device too");
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&dev->nr_free), 1,
			    "only the moved page is freed");

	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, dev, addr, buf), 0);
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, ZDT_PMD_MIDDLE));
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_migrate_to_ram), 0);
	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, dev, addr + PAGE_SIZE, buf), 0);
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, ZDT_PMD_MIDDLE + 1));
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_migrate_to_ram), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_free), 2);
}

/* The page of a PMD-mapped range a case munmap()s, which splits the PMD. */
#define SPLIT_HOLE		0

/*
 * zdt_pmd_on_device() with page SPLIT_HOLE of its range munmap()ed, which
 * splits the device-private PMD into PTEs and leaves the folio large: device
 * page i holds the data of tag i.
 */
static struct page *device_pmd_split_by_munmap(struct kunit *test,
					       struct zdt_device **devp,
					       unsigned long *base)
{
	struct page *dpage = zdt_pmd_on_device(test, devp, base);
	unsigned long i;

	for (i = 0; i < PTRS_PER_PMD; i++)
		zdt_put_data(test, zdt_page_data(dpage + i), i);
	KUNIT_ASSERT_NULL_MSG(test,
			      zdt_device_private_pte(*base + ZDT_PMD_MIDDLE * PAGE_SIZE, NULL),
			      "a PTE, not the PMD, maps the folio before the munmap()");
	KUNIT_ASSERT_EQ(test, vm_munmap(*base + SPLIT_HOLE * PAGE_SIZE, PAGE_SIZE), 0);
	return dpage;
}

/*
 * munmap() of part of a range one device-private PMD maps splits the PMD,
 * not the folio: __split_huge_pmd_locked() gives every page a
 * device-private PTE to that page of the folio, with the PMD's write
 * permission, one folio reference and one mapping each, and zap drops those
 * of the pages unmapped (368076f52ebe "mm/huge_memory: add device-private
 * THP support to PMD operations").  The pages stay on the device and come
 * back one by one, as a CPU access faults on each.  Succeeds if, after
 * munmap() of one page, every other page of the range has a writable
 * device-private PTE to its own device page, the folio is still PMD-sized
 * with PTRS_PER_PMD - 1 references and mappings and nothing freed, and a
 * CPU read of one page brings back its data, its neighbour staying on the
 * device, and frees the device pages of the page read and of the page
 * unmapped (the read splits the folio, migrate_vma_split_folio()).
 */
static void munmap_of_a_page_splits_the_device_pmd_into_ptes(struct kunit *test)
{
	unsigned long base, addr, i, bad = 0, bad_i = 0;
	struct zdt_device *dev;
	struct page *dpage, *page;
	struct folio *folio;
	u8 buf[ZDT_DATA_LEN];
	bool write;

	dpage = device_pmd_split_by_munmap(test, &dev, &base);
	folio = page_folio(dpage);
	for (i = 0; i < PTRS_PER_PMD; i++) {
		if (i == SPLIT_HOLE)
			continue;
		page = zdt_device_private_pte(base + i * PAGE_SIZE, &write);
		if (page != dpage + i || !write) {
			if (!bad++)
				bad_i = i;
		}
	}
	KUNIT_EXPECT_EQ_MSG(test, bad, 0,
			    "pages without a writable device-private PTE to their own device page, the first %lu",
			    bad_i);
	KUNIT_EXPECT_NULL_MSG(test, zdt_device_private_pte(base + SPLIT_HOLE * PAGE_SIZE, NULL),
			      "the page munmap()ed is still mapped");
	KUNIT_EXPECT_EQ_MSG(test, folio_order(folio), PMD_SHIFT - PAGE_SHIFT,
			    "the munmap() split the folio, not only the PMD");
	KUNIT_EXPECT_EQ_MSG(test, folio_ref_count(folio), PTRS_PER_PMD - 1,
			    "folio references: one for each PTE left");
	KUNIT_EXPECT_EQ_MSG(test, folio_mapcount(folio), PTRS_PER_PMD - 1,
			    "folio mappings: one for each PTE left");
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_free), 0);

	addr = base + ZDT_PMD_MIDDLE * PAGE_SIZE;
	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, dev, addr, buf), 0);
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, ZDT_PMD_MIDDLE));
	KUNIT_EXPECT_NOT_NULL_MSG(test, zdt_mapped_page(addr), "the page read is not back in RAM");
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&dev->nr_free), 2,
			    "device pages freed: the one read back and the one munmap()ed, once the read split the folio");
	KUNIT_EXPECT_PTR_EQ_MSG(test, zdt_device_private_pte(addr + PAGE_SIZE, NULL),
				dpage + ZDT_PMD_MIDDLE + 1, "the neighbour left the device too");
}

/*
 * A device-private PMD keeps its permission when it is split: a large
 * device folio that filled a hole of a read-only mapping is mapped by a
 * read-only device-private PMD (migrate_vma_insert_huge_pmd_page():
 * writable only with VM_WRITE), and munmap() of part of it gives every page
 * left a read-only device-private PTE, as a present PMD's split keeps the
 * PMD's write bit (__split_huge_pmd_locked(), 368076f52ebe "mm/huge_memory:
 * add device-private THP support to PMD operations"), so that its owner's
 * hmm_range_fault() never reports those pages HMM_PFN_WRITE and the device
 * never writes memory the process may only read.  Succeeds if, after
 * munmap() of one page, every other page of the range has a read-only
 * device-private PTE to its own device page, and a CPU read of one page
 * brings back its data.
 */
static void split_of_a_read_only_device_pmd_keeps_it_read_only(struct kunit *test)
{
	unsigned long base, addr, i, bad = 0, bad_i = 0;
	struct zdt_device *dev;
	struct page *dpage, *page;
	u8 buf[ZDT_DATA_LEN];
	bool write;

	if (!ZDT_HAS_LARGE_DEVICE_FOLIOS)
		zdt_skip(test, ZDT_NO_LARGE_DEVICE_FOLIOS);
	dev = zdt_device_create(test, MEMORY_DEVICE_PRIVATE, PTRS_PER_PMD);
	if (!thp_migration_supported())
		zdt_skip(test, ZDT_NO_PMD_MIGRATION);
	/* Twice the size, so that an aligned PMD lies inside the mapping. */
	base = ALIGN(zdt_user_map_prot(test, 2 * PMD_SIZE, PROT_READ), PMD_SIZE);
	dpage = zdt_migrate_pmd_to_device(dev, base);
	KUNIT_ASSERT_EQ(test, folio_order(page_folio(dpage)), PMD_SHIFT - PAGE_SHIFT);
	zdt_put_data(test, zdt_page_data(dpage + ZDT_PMD_MIDDLE), ZDT_PMD_MIDDLE);
	KUNIT_ASSERT_NULL_MSG(test,
			      zdt_device_private_pte(base + ZDT_PMD_MIDDLE * PAGE_SIZE, NULL),
			      "a PTE, not the PMD, maps the folio before the munmap()");
	KUNIT_ASSERT_EQ(test, vm_munmap(base + SPLIT_HOLE * PAGE_SIZE, PAGE_SIZE), 0);

	for (i = 0; i < PTRS_PER_PMD; i++) {
		if (i == SPLIT_HOLE)
			continue;
		page = zdt_device_private_pte(base + i * PAGE_SIZE, &write);
		if (page != dpage + i || write) {
			if (!bad++)
				bad_i = i;
		}
	}
	KUNIT_EXPECT_EQ_MSG(test, bad, 0,
			    "pages without a read-only device-private PTE to their own device page, the first %lu",
			    bad_i);

	addr = base + ZDT_PMD_MIDDLE * PAGE_SIZE;
	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, dev, addr, buf), 0);
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, ZDT_PMD_MIDDLE));
}

/* What backs the PTE-mapped large folio a migration covers part of. */
struct pte_split_param {
	const char *desc;
	bool device;		/* a device-private folio, else a system THP */
};

static const struct pte_split_param pte_split_params[] = {
	{ "device-private folio, to RAM", true },
	{ "system THP, to the device", false },
};

KUNIT_ARRAY_PARAM_DESC(pte_split, pte_split_params, desc);

/*
 * A system THP, PMD-mapped, its page i holding the data of tag i, then
 * page SPLIT_HOLE munmap()ed: the PMD split into PTEs, the folio still
 * large.  Skips where no THP backs the range.
 */
static struct page *system_thp_split_by_munmap(struct kunit *test, unsigned long *base)
{
	unsigned long i;
	u8 buf[ZDT_DATA_LEN];
	struct page *head;

	if (!IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE))
		zdt_skip(test, ZDT_NO_THP);
	*base = ALIGN(zdt_user_map(test, 2 * PMD_SIZE), PMD_SIZE);
	for (i = 0; i < PTRS_PER_PMD; i++) {
		zdt_fill(test, buf, sizeof(buf), i);
		KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)(*base + i * PAGE_SIZE),
						   buf, sizeof(buf)), 0);
	}
	head = zdt_mapped_page(*base);
	KUNIT_ASSERT_NOT_NULL(test, head);
	if (folio_order(page_folio(head)) != PMD_SHIFT - PAGE_SHIFT)
		zdt_skip(test, "no THP behind a PMD-aligned range: THP off or none free");
	KUNIT_ASSERT_EQ(test, vm_munmap(*base + SPLIT_HOLE * PAGE_SIZE, PAGE_SIZE), 0);
	KUNIT_ASSERT_PTR_EQ(test, zdt_mapped_page(*base + ZDT_PMD_MIDDLE * PAGE_SIZE),
			    head + ZDT_PMD_MIDDLE);
	KUNIT_ASSERT_EQ_MSG(test, folio_order(page_folio(head)), PMD_SHIFT - PAGE_SHIFT,
			    "the munmap() split the THP");
	return head;
}

/*
 * migrate_vma_setup() over part of a large folio mapped by PTEs splits it
 * and collects only the pages in the range, each as an order-0 entry; the
 * rest of the folio stays where it was, mapped as before, each page with
 * its data (migrate_vma_collect_pmd() and migrate_vma_split_folio(),
 * 022a12deda53 "mm/migrate_device: handle partially mapped folios during
 * collection"; lib/test_hmm.c's partial munmap and mremap tests).  Whether
 * the folio is a device-private one (after its PMD was split) a driver
 * moves back to RAM, or a system THP it moves to the device.  Succeeds if
 * the one page of the range is collected alone as an order-0 entry and
 * moves, its neighbour is now a small folio still mapped where it was, and
 * the data of both is read back from the CPU.
 */
static void migration_of_part_of_a_pte_mapped_folio_splits_it(struct kunit *test)
{
	const struct pte_split_param *p = test->param_value;
	unsigned long base, addr, src0 = 0, src_pages = 0, cpages = 0;
	struct page *head, *spage, *next, *dpage = NULL;
	struct zdt_device *dev;
	struct zdt_migration m;
	u8 buf[ZDT_DATA_LEN];

	if (!ZDT_HAS_COLLECT_SPLIT)
		zdt_skip(test, ZDT_NO_COLLECT_SPLIT);
	if (p->device) {
		head = device_pmd_split_by_munmap(test, &dev, &base);
	} else {
		dev = zdt_device_create(test, MEMORY_DEVICE_PRIVATE, ZDT_DEVICE_PAGES);
		head = system_thp_split_by_munmap(test, &base);
	}
	spage = head + ZDT_PMD_MIDDLE;
	next = spage + 1;
	addr = base + ZDT_PMD_MIDDLE * PAGE_SIZE;

	zdt_migration_init(test, &m, addr, 1, dev, p->device ?
			   MIGRATE_VMA_SELECT_DEVICE_PRIVATE : MIGRATE_VMA_SELECT_SYSTEM);
	zdt_migration_setup(&m);
	if (!m.ret) {
		src0 = m.args.src[0];
		cpages = m.args.cpages;
		if ((src0 & MIGRATE_PFN_MIGRATE) && p->device) {
			m.args.dst[0] = zdt_migration_ram_copy(&m, migrate_pfn_to_page(src0), 0);
		} else if ((src0 & MIGRATE_PFN_MIGRATE) && migrate_pfn_to_page(src0)) {
			dpage = zdt_device_alloc_page(dev, 0);
			if (dpage) {
				memcpy(zdt_page_data(dpage),
				       page_address(migrate_pfn_to_page(src0)), PAGE_SIZE);
				m.args.dst[0] = migrate_pfn(page_to_pfn(dpage)) |
						(src0 & MIGRATE_PFN_WRITE);
			}
		}
		zdt_migration_pages(&m);
		src_pages = m.args.src[0];
	}
	zdt_migration_finalize(&m);

	KUNIT_ASSERT_EQ(test, m.ret, 0);
	KUNIT_EXPECT_EQ_MSG(test, src0, migrate_pfn(page_to_pfn(spage)) |
			    MIGRATE_PFN_MIGRATE | MIGRATE_PFN_WRITE,
			    "the page was not collected alone, as an order-0 entry");
	KUNIT_EXPECT_EQ(test, cpages, 1);
	KUNIT_ASSERT_TRUE_MSG(test, src_pages & MIGRATE_PFN_MIGRATE,
			      "migrate_vma_pages() did not move the page");
	KUNIT_EXPECT_EQ_MSG(test, folio_order(page_folio(next)), 0,
			    "the neighbour is still part of a large folio");
	if (p->device) {
		KUNIT_EXPECT_NOT_NULL_MSG(test, zdt_mapped_page(addr), "the page is not in RAM");
		KUNIT_EXPECT_PTR_EQ_MSG(test, zdt_device_private_pte(addr + PAGE_SIZE, NULL),
					next, "the neighbour left the device too");
	} else {
		KUNIT_EXPECT_PTR_EQ_MSG(test, zdt_device_private_pte(addr, NULL), dpage,
					"the page does not map its device copy");
		KUNIT_EXPECT_PTR_EQ_MSG(test, zdt_mapped_page(addr + PAGE_SIZE), next,
					"the neighbour is not mapped where it was");
	}

	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, dev, addr, buf), 0);
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, ZDT_PMD_MIDDLE));
	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, dev, addr + PAGE_SIZE, buf), 0);
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, ZDT_PMD_MIDDLE + 1));
}

/*
 * A driver that gets no large system folio for a large device folio it
 * moves back gives small pages instead: a MIGRATE_PFN_COMPOUND src entry
 * with an order-0 dst, and one dst for each page of the folio.
 * migrate_vma_pages() then splits the source folio, still unmapped, and its
 * PMD migration entry (migrate_vma_split_unmapped_folio(),
 * folio_split_unmapped(): 4265d67e405a "mm/migrate_device: add THP splitting
 * during migration"; lib/test_hmm.c dmirror_devmem_fault_alloc_and_copy()
 * falls back so) and moves each page to the dst given for it.  Succeeds if
 * every src entry of the range is then an order-0 one that migrated, every
 * address maps the small page the driver copied its device page to, with
 * its data, no CPU fault needed, and each of the PTRS_PER_PMD device pages
 * is freed.
 */
static void large_folio_moves_to_small_pages_when_dst_is_small(struct kunit *test)
{
	unsigned long base, i, src0 = 0, migrated = 0, compound = 0, bad = 0, bad_i = 0;
	unsigned long nr = PTRS_PER_PMD;
	struct page **rpages;
	struct zdt_device *dev;
	struct zdt_migration m;
	struct page *dpage;
	bool no_page = false;
	u8 buf[ZDT_DATA_LEN];

	dpage = zdt_pmd_on_device(test, &dev, &base);
	for (i = 0; i < nr; i++)
		zdt_put_data(test, zdt_page_data(dpage + i), i);
	rpages = kunit_kcalloc(test, nr, sizeof(*rpages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, rpages);

	zdt_migration_init(test, &m, base, nr, dev,
			   MIGRATE_VMA_SELECT_DEVICE_PRIVATE | ZDT_MIGRATE_VMA_SELECT_COMPOUND);
	zdt_migration_setup(&m);
	if (!m.ret) {
		src0 = m.args.src[0];
		for (i = 0; i < nr && (src0 & MIGRATE_PFN_MIGRATE); i++) {
			m.args.dst[i] = zdt_migration_ram_copy(&m, dpage + i, 0);
			if (!m.args.dst[i]) {
				no_page = true;
				break;
			}
			m.args.dst[i] |= src0 & MIGRATE_PFN_WRITE;
			rpages[i] = migrate_pfn_to_page(m.args.dst[i]);
		}
		zdt_migration_pages(&m);
		for (i = 0; i < nr; i++) {
			migrated += !!(m.args.src[i] & MIGRATE_PFN_MIGRATE);
			compound += !!(m.args.src[i] & ZDT_MIGRATE_PFN_COMPOUND);
		}
	}
	zdt_migration_finalize(&m);

	KUNIT_ASSERT_EQ(test, m.ret, 0);
	KUNIT_ASSERT_TRUE_MSG(test, (src0 & MIGRATE_PFN_MIGRATE) &&
			      (src0 & ZDT_MIGRATE_PFN_COMPOUND),
			      "the PMD entry was not collected as one compound entry (src %#lx)",
			      src0);
	if (no_page)
		zdt_skip(test, "no free system page for the copy");
	KUNIT_EXPECT_EQ_MSG(test, compound, 0, "src entries still compound after the split");
	KUNIT_EXPECT_EQ_MSG(test, migrated, nr, "src entries migrated to small pages");
	for (i = 0; i < nr; i++) {
		unsigned long addr = base + i * PAGE_SIZE;
		struct page *now = zdt_mapped_page(addr);

		if (!now || now != rpages[i] || !zdt_has_data(test, page_address(now), i)) {
			if (!bad++)
				bad_i = i;
		}
	}
	KUNIT_EXPECT_EQ_MSG(test, bad, 0,
			    "pages not mapped to their small system copy with their data, the first %lu",
			    bad_i);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&dev->nr_free), (int)nr, "device pages freed");
	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, dev, base + ZDT_PMD_MIDDLE * PAGE_SIZE, buf), 0);
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, ZDT_PMD_MIDDLE));
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_migrate_to_ram), 0);
}

/* Which selection a migration of a PMD-mapped system THP asks for. */
struct thp_to_device_param {
	const char *desc;
	unsigned long flags;		/* args->flags, with SELECT_COMPOUND */
	bool selected;			/* what setup must do with the THP */
};

static const struct thp_to_device_param thp_to_device_params[] = {
	{ "SELECT_SYSTEM", MIGRATE_VMA_SELECT_SYSTEM, true },
	{ "SELECT_DEVICE_PRIVATE", MIGRATE_VMA_SELECT_DEVICE_PRIVATE, false },
};

KUNIT_ARRAY_PARAM_DESC(thp_to_device, thp_to_device_params, desc);

/*
 * A PMD-mapped system THP moves to device memory as one folio: with
 * MIGRATE_VMA_SELECT_SYSTEM and MIGRATE_VMA_SELECT_COMPOUND over its PMD
 * range, migrate_vma_setup() collects it as one MIGRATE_PFN_COMPOUND src
 * entry at its head pfn, writable as its PMD is, and a compound
 * device-private destination replaces the PMD by one PMD-level
 * device-private entry; without MIGRATE_VMA_SELECT_SYSTEM the THP is left
 * alone (migrate_vma_collect_huge_pmd(), a30b48bf1b24 "mm/migrate_device:
 * implement THP migration of zone device pages"; lib/test_hmm.c's THP
 * migration tests).  Succeeds if, selected, the THP is one compound entry
 * with MIGRATE_PFN_WRITE, counted once, the rest of src zero, it migrates,
 * the range is no longer mapped present, the device folio is still
 * PMD-sized, mapped once, and a CPU read of a page in the middle brings
 * its data back with one migrate_to_ram(); and, not selected, no src entry
 * is to migrate and the THP still maps the range.
 */
static void pmd_mapped_thp_moves_to_the_device_as_one_folio(struct kunit *test)
{
	const struct thp_to_device_param *p = test->param_value;
	unsigned int order = PMD_SHIFT - PAGE_SHIFT;
	unsigned long base, addr, i, src0 = 0, src_pages = 0, cpages = 0, others = 0;
	struct page *head, *dpage = NULL;
	struct zdt_device *dev;
	struct zdt_migration m;
	u8 buf[ZDT_DATA_LEN];

	if (!IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE))
		zdt_skip(test, ZDT_NO_THP);
	if (!ZDT_HAS_LARGE_DEVICE_FOLIOS)
		zdt_skip(test, ZDT_NO_LARGE_DEVICE_FOLIOS);
	dev = zdt_device_create(test, MEMORY_DEVICE_PRIVATE, ZDT_DEVICE_PAGES);
	if (!thp_migration_supported())
		zdt_skip(test, ZDT_NO_PMD_MIGRATION);
	base = ALIGN(zdt_user_map(test, 2 * PMD_SIZE), PMD_SIZE);
	for (i = 0; i < PTRS_PER_PMD; i++) {
		zdt_fill(test, buf, sizeof(buf), i);
		KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)(base + i * PAGE_SIZE),
						   buf, sizeof(buf)), 0);
	}
	head = zdt_mapped_page(base);
	KUNIT_ASSERT_NOT_NULL(test, head);
	if (folio_order(page_folio(head)) != order)
		zdt_skip(test, "no THP behind a PMD-aligned range: THP off or none free");
	addr = base + ZDT_PMD_MIDDLE * PAGE_SIZE;

	zdt_migration_init(test, &m, base, PTRS_PER_PMD, dev,
			   p->flags | ZDT_MIGRATE_VMA_SELECT_COMPOUND);
	zdt_migration_setup(&m);
	if (!m.ret) {
		src0 = m.args.src[0];
		cpages = m.args.cpages;
		for (i = 1; i < PTRS_PER_PMD; i++)
			others |= m.args.src[i];
		if ((src0 & MIGRATE_PFN_MIGRATE) && (src0 & ZDT_MIGRATE_PFN_COMPOUND) &&
		    migrate_pfn_to_page(src0) == head)
			dpage = zdt_device_alloc_page(dev, order);
		if (dpage) {
			for (i = 0; i < PTRS_PER_PMD; i++)
				memcpy(zdt_page_data(dpage + i), page_address(head + i),
				       PAGE_SIZE);
			m.args.dst[0] = migrate_pfn(page_to_pfn(dpage)) |
					ZDT_MIGRATE_PFN_COMPOUND |
					(src0 & MIGRATE_PFN_WRITE);
		}
		zdt_migration_pages(&m);
		src_pages = m.args.src[0];
	}
	zdt_migration_finalize(&m);

	KUNIT_ASSERT_EQ(test, m.ret, 0);
	if (!p->selected) {
		KUNIT_EXPECT_FALSE_MSG(test, (src0 | others) & MIGRATE_PFN_MIGRATE,
				       "a src entry of an unselected THP is to migrate (src[0] %#lx)",
				       src0);
		KUNIT_EXPECT_EQ(test, cpages, 0);
		KUNIT_EXPECT_PTR_EQ_MSG(test, zdt_mapped_page(addr), head + ZDT_PMD_MIDDLE,
					"the unselected THP no longer maps the range");
		KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, dev, addr, buf), 0);
		KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, ZDT_PMD_MIDDLE));
		return;
	}
	KUNIT_EXPECT_EQ_MSG(test, src0, migrate_pfn(page_to_pfn(head)) |
			    MIGRATE_PFN_MIGRATE | MIGRATE_PFN_WRITE |
			    ZDT_MIGRATE_PFN_COMPOUND,
			    "the THP was not collected as one writable compound entry");
	KUNIT_EXPECT_EQ(test, cpages, 1);
	KUNIT_EXPECT_EQ_MSG(test, others, 0, "src entries after the compound one");
	if (!dpage && (src0 & ZDT_MIGRATE_PFN_COMPOUND))
		zdt_skip(test, "no free order-%u device folio", order);
	KUNIT_ASSERT_NOT_NULL(test, dpage);
	KUNIT_ASSERT_TRUE_MSG(test, src_pages & MIGRATE_PFN_MIGRATE,
			      "migrate_vma_pages() did not move the THP");
	KUNIT_EXPECT_NULL_MSG(test, zdt_mapped_page(addr),
			      "the range still maps a present page");
	KUNIT_EXPECT_EQ(test, folio_order(page_folio(dpage)), order);
	KUNIT_EXPECT_EQ_MSG(test, folio_mapcount(page_folio(dpage)), 1,
			    "the device folio is not mapped once, by one PMD");
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_free), 0);

	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, dev, addr, buf), 0);
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, ZDT_PMD_MIDDLE));
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_migrate_to_ram), 1);
}

/* Somebody else's pgmap owner: a device that is not ours. */
static int other_owner;

/* Which PMD-mapped folio setup selects, by args->flags and args->pgmap_owner. */

struct pmd_select_param {
	const char *desc;
	unsigned long flags;		/* args->flags, with SELECT_COMPOUND */
	bool our_owner;			/* args->pgmap_owner is the device's */
	bool selected;			/* what setup must do with it */
};

static const struct pmd_select_param pmd_select_params[] = {
	{ "SELECT_DEVICE_PRIVATE, its owner",
	  MIGRATE_VMA_SELECT_DEVICE_PRIVATE, true, true },
	{ "SELECT_DEVICE_PRIVATE, other owner",
	  MIGRATE_VMA_SELECT_DEVICE_PRIVATE, false, false },
	{ "SELECT_SYSTEM, its owner",
	  MIGRATE_VMA_SELECT_SYSTEM, true, false },
	{ "SELECT_SYSTEM|SELECT_DEVICE_COHERENT, its owner",
	  MIGRATE_VMA_SELECT_SYSTEM | MIGRATE_VMA_SELECT_DEVICE_COHERENT,
	  true, false },
};

KUNIT_ARRAY_PARAM_DESC(pmd_select, pmd_select_params, desc);

/*
 * migrate_vma_setup() selects a PMD-mapped device-private folio as it does a
 * small page: only with MIGRATE_VMA_SELECT_DEVICE_PRIVATE and the owner of
 * its pgmap (migrate_vma_collect_huge_pmd(), a30b48bf1b24
 * "mm/migrate_device: implement THP migration of zone device pages";
 * Documentation/mm/hmm.rst, "Migration to and from device memory", step 2).
 * Selected, with MIGRATE_VMA_SELECT_COMPOUND over the PMD range, it is one
 * src entry, its head pfn with MIGRATE_PFN_MIGRATE, MIGRATE_PFN_WRITE and
 * MIGRATE_PFN_COMPOUND, counted once in cpages, locked and unmapped; not
 * selected, no src entry has MIGRATE_PFN_MIGRATE and the folio is left
 * alone.  Succeeds if so for each selection, and finalize with no
 * destination puts the folio back as it was.
 */
static void setup_selects_a_device_pmd_by_flags_and_owner(struct kunit *test)
{
	const struct pmd_select_param *p = test->param_value;
	struct zdt_page_state before, setup, after;
	unsigned long base, i, src0 = 0, cpages = 0, others = 0;
	struct zdt_device *dev;
	struct zdt_migration m;
	struct page *dpage;

	dpage = zdt_pmd_on_device(test, &dev, &base);
	before = zdt_page_state(dpage);
	zdt_migration_init(test, &m, base, PTRS_PER_PMD,
			   p->our_owner ? (void *)dev : &other_owner,
			   p->flags | ZDT_MIGRATE_VMA_SELECT_COMPOUND);
	zdt_migration_setup(&m);
	if (!m.ret) {
		src0 = m.args.src[0];
		cpages = m.args.cpages;
		for (i = 1; i < PTRS_PER_PMD; i++)
			others |= m.args.src[i];
	}
	setup = zdt_page_state(dpage);
	zdt_migration_finalize(&m);
	after = zdt_page_state(dpage);

	KUNIT_ASSERT_EQ(test, m.ret, 0);
	if (p->selected) {
		KUNIT_EXPECT_EQ_MSG(test, src0, migrate_pfn(page_to_pfn(dpage)) |
				    MIGRATE_PFN_MIGRATE | MIGRATE_PFN_WRITE |
				    ZDT_MIGRATE_PFN_COMPOUND,
				    "src entry of the selected PMD");
		KUNIT_EXPECT_EQ(test, cpages, 1);
		KUNIT_EXPECT_EQ_MSG(test, others, 0, "src entries after the compound one");
		KUNIT_EXPECT_TRUE_MSG(test, setup.locked, "selected folio not locked by setup");
		KUNIT_EXPECT_EQ_MSG(test, setup.mapcount, 0, "selected folio still mapped");
	} else {
		KUNIT_EXPECT_FALSE_MSG(test, (src0 | others) & MIGRATE_PFN_MIGRATE,
				       "a src entry of an unselected PMD is to migrate (src[0] %#lx)",
				       src0);
		KUNIT_EXPECT_EQ(test, cpages, 0);
		zdt_expect_page_state(test, setup, before, "of an unselected folio after setup");
	}
	zdt_expect_page_state(test, after, before, "after finalize");
	KUNIT_EXPECT_EQ(test, folio_order(page_folio(dpage)), PMD_SHIFT - PAGE_SHIFT);
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_free), 0);
}

/* Eviction of a large folio and small pages, by pfn range or pfn list. */

#define MIXED_SMALL		4	/* small pages after the large folio */
#define MIXED_RANGE		(PTRS_PER_PMD + 8)	/* pfns evicted: 4 free */

struct mixed_evict_param {
	const char *desc;
	bool by_list;			/* migrate_device_pfns(), else _range() */
};

static const struct mixed_evict_param mixed_evict_params[] = {
	{ "migrate_device_range", false },
	{ "migrate_device_pfns", true },
};

KUNIT_ARRAY_PARAM_DESC(mixed_evict, mixed_evict_params, desc);

/*
 * A system copy of the device page(s) of eviction entry @src: a locked
 * folio of their order, or NULL if none could be allocated.
 */
static struct folio *mixed_evict_copy(unsigned long src)
{
	struct page *spage = migrate_pfn_to_page(src);
	unsigned int order = (src & ZDT_MIGRATE_PFN_COMPOUND) ?
			     folio_order(page_folio(spage)) : 0;
	struct folio *folio = folio_alloc(GFP_HIGHUSER_MOVABLE | __GFP_NOWARN,
					   order);
	unsigned long i;

	if (!folio)
		return NULL;
	folio_lock(folio);
	for (i = 0; i < folio_nr_pages(folio); i++)
		memcpy(page_address(folio_page(folio, i)), zdt_page_data(spage + i),
		       PAGE_SIZE);
	return folio;
}

/*
 * Eviction moves a large device-private folio back to system RAM whole,
 * with the small pages around it: migrate_device_range() and
 * migrate_device_pfns() collect a large folio as one MIGRATE_PFN_COMPOUND
 * entry at its head pfn, its tail entries zero, and migrate_device_pages()
 * moves it to a large system folio the driver gives as a compound
 * destination (a30b48bf1b24 "mm/migrate_device: implement THP migration of
 * zone device pages", 6.19; lib/test_hmm.c dmirror_device_evict_chunk()).
 * Succeeds if, over a pfn range holding a PMD-mapped large folio, then small
 * pages, then free ones, every used page is collected and migrated, each
 * virtual address then maps the system page its device page was copied to,
 * with its data, in order, no CPU fault needed, and the device folio and
 * pages are freed.
 */
static void eviction_moves_a_large_folio_and_small_pages_to_ram(struct kunit *test)
{
	const struct mixed_evict_param *p = test->param_value;
	unsigned int order = PMD_SHIFT - PAGE_SHIFT;
	unsigned long base, saddr, i, *src, *dst, collected = 0, migrated = 0;
	unsigned long tails = 0, bad = 0, bad_i = 0;
	struct folio **rfolios;
	struct zdt_device *dev;
	struct page *dpage;
	bool no_folio = false;
	u8 buf[ZDT_DATA_LEN];
	int ret;

	if (!ZDT_HAS_LARGE_DEVICE_FOLIOS)
		zdt_skip(test, ZDT_NO_LARGE_DEVICE_FOLIOS);
	if (p->by_list && !ZDT_HAS_MIGRATE_DEVICE_PFNS)
		zdt_skip(test, ZDT_NO_MIGRATE_DEVICE_PFNS);
	dev = zdt_device_create(test, MEMORY_DEVICE_PRIVATE, 2 * PTRS_PER_PMD);
	if (!thp_migration_supported())
		zdt_skip(test, ZDT_NO_PMD_MIGRATION);
	/* Device pages 0 .. PTRS_PER_PMD - 1: the large folio, PMD-mapped. */
	base = ALIGN(zdt_user_map(test, 2 * PMD_SIZE), PMD_SIZE);
	dpage = zdt_migrate_pmd_to_device(dev, base);
	KUNIT_ASSERT_EQ(test, page_to_pfn(dpage), dev->pfn_first);
	/* Then MIXED_SMALL small pages, then free ones. */
	saddr = zdt_user_pages(test, MIXED_SMALL);
	KUNIT_ASSERT_EQ(test, zdt_migrate_to_device(dev, saddr, MIXED_SMALL), MIXED_SMALL);
	for (i = 0; i < PTRS_PER_PMD + MIXED_SMALL; i++) {
		KUNIT_ASSERT_TRUE(test, i < PTRS_PER_PMD ||
				  page_ref_count(zdt_device_page(dev, i)) == 1);
		/* Device page i holds the data of tag i. */
		zdt_put_data(test, zdt_page_data(zdt_device_page(dev, i)), i);
	}
	src = kunit_kcalloc(test, MIXED_RANGE, sizeof(*src), GFP_KERNEL);
	dst = kunit_kcalloc(test, MIXED_RANGE, sizeof(*dst), GFP_KERNEL);
	rfolios = kunit_kcalloc(test, MIXED_RANGE, sizeof(*rfolios), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, src);
	KUNIT_ASSERT_NOT_NULL(test, dst);
	KUNIT_ASSERT_NOT_NULL(test, rfolios);

	ret = zdt_evict_collect(src, dev->pfn_first, MIXED_RANGE, p->by_list);
	KUNIT_ASSERT_EQ(test, ret, 0);
	for (i = 1; i < PTRS_PER_PMD; i++)
		tails |= src[i];
	for (i = 0; i < MIXED_RANGE; i++) {
		if (!migrate_pfn_to_page(src[i]) || !(src[i] & MIGRATE_PFN_MIGRATE))
			continue;
		collected++;
		rfolios[i] = mixed_evict_copy(src[i]);
		if (!rfolios[i]) {
			no_folio = true;
			continue;
		}
		dst[i] = migrate_pfn(folio_pfn(rfolios[i])) |
			 (folio_test_large(rfolios[i]) ? ZDT_MIGRATE_PFN_COMPOUND : 0);
	}
	zdt_evict_pages(src, dst, MIXED_RANGE);
	for (i = 0; i < MIXED_RANGE; i++)
		if (src[i] & MIGRATE_PFN_MIGRATE)
			migrated++;
	zdt_evict_finalize(src, dst, MIXED_RANGE);

	KUNIT_EXPECT_EQ_MSG(test, collected, 1 + MIXED_SMALL,
			    "entries collected of 1 large folio and %d small pages",
			    MIXED_SMALL);
	KUNIT_EXPECT_TRUE_MSG(test, src[0] & ZDT_MIGRATE_PFN_COMPOUND,
			      "the large folio not collected as one compound entry (src %#lx)",
			      src[0]);
	KUNIT_EXPECT_EQ_MSG(test, tails, 0, "src entries of the large folio's tail pages");
	if (no_folio)
		zdt_skip(test, "no free system folio for the copy");
	KUNIT_EXPECT_EQ(test, migrated, 1 + MIXED_SMALL);
	KUNIT_ASSERT_NOT_NULL_MSG(test, rfolios[0], "the large folio not collected");
	KUNIT_EXPECT_EQ(test, folio_order(rfolios[0]), order);
	for (i = 0; i < PTRS_PER_PMD + MIXED_SMALL; i++) {
		bool large = i < PTRS_PER_PMD;
		unsigned long addr = large ? base + i * PAGE_SIZE :
					     saddr + (i - PTRS_PER_PMD) * PAGE_SIZE;
		struct page *want = large ? folio_page(rfolios[0], i) :
				    rfolios[i] ? folio_page(rfolios[i], 0) : NULL;
		struct page *now = zdt_mapped_page(addr);

		if (!want || now != want || !zdt_has_data(test, page_address(now), i)) {
			if (!bad++)
				bad_i = i;
		}
	}
	KUNIT_EXPECT_EQ_MSG(test, bad, 0,
			    "pages not mapped to their system copy with their data, the first device page %lu",
			    bad_i);
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_free), 1 + MIXED_SMALL);
	KUNIT_EXPECT_EQ(test, folio_ref_count(page_folio(dpage)), 0);
	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, dev, base + ZDT_PMD_MIDDLE * PAGE_SIZE, buf), 0);
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, ZDT_PMD_MIDDLE));
	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, dev, saddr, buf), 0);
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, PTRS_PER_PMD));
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&dev->nr_migrate_to_ram), 0,
			    "a CPU access still found a device-private page");
}

/*
 * A PMD-sized hole a driver is filling with one compound device folio that
 * the CPU faults in before migrate_vma_pages(): setup collects the
 * never-touched PMD range as one compound entry without a page and installs
 * nothing there, so the process may read or write it meanwhile.
 */

/* Tags of the data the device folio and the CPU put in its middle page. */
#define RACED_PMD_DEVICE_TAG	1
#define RACED_PMD_CPU_TAG	2

/* Why a PMD-aligned range a CPU read may not map the huge zero page. */
#define RACED_PMD_NO_HUGE_ZERO_PAGE \
	"no huge zero page after a CPU read of a PMD-aligned range (THP off for the vma, or use_zero_page off)"

/* What one raced PMD hole migration saw, for the checks after finalize. */
struct raced_pmd_hole {
	struct zdt_device *dev;
	unsigned long base;	/* PMD-aligned start of the hole */
	unsigned long addr;	/* its middle page, which the CPU touches */
	struct page *dpage;	/* head of the device folio given as dst */
	unsigned long src0;	/* src[0] after setup */
	unsigned long src_after;	/* src[0] after migrate_vma_pages() */
	unsigned long others;	/* src[1..] after migrate_vma_pages(), or-ed */
	bool cpu_done;		/* the CPU access returned before pages */
	bool pmd_leaf;		/* then a leaf PMD mapped the range */
	bool table;		/* ... or a PTE table */
	unsigned long pfn;	/* the pfn of the middle page, for a leaf */
};

/*
 * What the PMD of @r->addr holds, read under the mmap read lock the
 * migration holds (so without taking it again): only the case's own
 * threads touch the range, and the one that faulted has returned.
 */
static void raced_pmd_hole_peek(struct raced_pmd_hole *r)
{
	pmd_t *pmdp = zdt_user_pmdp(r->addr);
	pmd_t pmd;

	if (!pmdp)
		return;
	pmd = pmdp_get(pmdp);
	if (pmd_present(pmd) && pmd_leaf(pmd)) {
		r->pmd_leaf = true;
		r->pfn = pmd_pfn(pmd) + ZDT_PMD_MIDDLE;
	} else if (pmd_present(pmd) && !pmd_bad(pmd)) {
		r->table = true;
	}
}

/*
 * A PMD-sized hole migrated to one compound folio of a new device-private
 * device, with a CPU read (or, @write, a write of RACED_PMD_CPU_TAG data) of
 * its middle page run to its end between migrate_vma_setup() and
 * migrate_vma_pages(); the device folio's middle page holds
 * RACED_PMD_DEVICE_TAG data.
 */
static void raced_pmd_hole_migrate(struct kunit *test, struct raced_pmd_hole *r,
				   bool write)
{
	unsigned int order = PMD_SHIFT - PAGE_SHIFT;
	struct zdt_thread *t;
	struct zdt_migration m;
	unsigned long i;

	if (!IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE))
		zdt_skip(test, ZDT_NO_THP);
	if (!ZDT_HAS_LARGE_DEVICE_FOLIOS)
		zdt_skip(test, ZDT_NO_LARGE_DEVICE_FOLIOS);
	r->dev = zdt_device_create(test, MEMORY_DEVICE_PRIVATE, ZDT_DEVICE_PAGES);
	if (!thp_migration_supported())
		zdt_skip(test, ZDT_NO_PMD_MIGRATION);
	r->base = ALIGN(zdt_user_map(test, 2 * PMD_SIZE), PMD_SIZE);
	r->addr = r->base + ZDT_PMD_MIDDLE * PAGE_SIZE;
	if (write)
		t = zdt_writer_create(test, r->addr, RACED_PMD_CPU_TAG);
	else
		t = zdt_reader_create(test, r->addr);

	zdt_migration_init(test, &m, r->base, PTRS_PER_PMD, r->dev,
			   MIGRATE_VMA_SELECT_SYSTEM | ZDT_MIGRATE_VMA_SELECT_COMPOUND);
	zdt_migration_setup(&m);
	if (!m.ret) {
		r->src0 = m.args.src[0];
		if (r->src0 == (MIGRATE_PFN_MIGRATE | ZDT_MIGRATE_PFN_COMPOUND))
			r->dpage = zdt_device_alloc_page(r->dev, order);
		if (r->dpage) {
			zdt_put_data(test, zdt_page_data(r->dpage + ZDT_PMD_MIDDLE),
				     RACED_PMD_DEVICE_TAG);
			m.args.dst[0] = migrate_pfn(page_to_pfn(r->dpage)) |
					ZDT_MIGRATE_PFN_COMPOUND;
			zdt_thread_start(t);
			r->cpu_done = zdt_thread_wait(t, ZDT_ACCESS_MS);
			if (r->cpu_done)
				raced_pmd_hole_peek(r);
		}
		zdt_migration_pages(&m);
		r->src_after = m.args.src[0];
		for (i = 1; i < PTRS_PER_PMD; i++)
			r->others |= m.args.src[i];
	}
	zdt_migration_finalize(&m);

	KUNIT_ASSERT_EQ(test, m.ret, 0);
	KUNIT_ASSERT_EQ_MSG(test, r->src0, MIGRATE_PFN_MIGRATE | ZDT_MIGRATE_PFN_COMPOUND,
			    "the PMD-sized hole not collected as one compound entry");
	if (!r->dpage)
		zdt_skip(test, "no free order-%u device-private folio", order);
	KUNIT_ASSERT_TRUE_MSG(test, r->cpu_done,
			      "the CPU access of a collected hole did not return in %d ms",
			      ZDT_ACCESS_MS);
	KUNIT_ASSERT_EQ_MSG(test, t->left, 0, "the CPU access of the hole faulted");
	kunit_info(test, "the CPU %s mapped %s (pfn %#lx); src[0] after pages %#lx",
		   write ? "write" : "read",
		   r->pmd_leaf ? "a leaf PMD" : r->table ? "a PTE table" : "nothing",
		   r->pfn, r->src_after);
}

/*
 * The huge zero page a CPU read maps over a PMD-sized hole is no data of
 * the process: when the CPU reads the hole after migrate_vma_setup()
 * collected it and before migrate_vma_pages(), the driver's compound device
 * folio still replaces the huge zero PMD with one PMD-level device-private
 * entry (migrate_vma_insert_huge_pmd_page(): a huge zero PMD is invalidated
 * and flushed, any other PMD aborts; a30b48bf1b24 "mm/migrate_device:
 * implement THP migration of zone device pages").  Succeeds if the read
 * mapped a leaf PMD (the huge zero page), src[0] keeps MIGRATE_PFN_MIGRATE,
 * the device folio then holds just the mapping's reference, is mapped
 * once, by one PMD-level entry (no device-private PTE), and unlocked, and
 * a CPU read of the middle page brings back the data the driver put there
 * with one migrate_to_ram().
 */
static void pmd_hole_read_by_the_cpu_is_still_filled_from_the_device(struct kunit *test)
{
	struct raced_pmd_hole r = { };
	u8 buf[ZDT_DATA_LEN];

	raced_pmd_hole_migrate(test, &r, false);
	if (!r.pmd_leaf)
		zdt_skip(test, "%s", RACED_PMD_NO_HUGE_ZERO_PAGE);
	KUNIT_ASSERT_TRUE_MSG(test, r.src_after & MIGRATE_PFN_MIGRATE,
			      "migrate_vma_pages() did not replace the huge zero page by the device folio");
	KUNIT_EXPECT_PTR_EQ_MSG(test, zdt_device_private_pte(r.addr, NULL), NULL,
				"the device folio is mapped by PTEs, not by one PMD");
	zdt_expect_page_state(test, zdt_page_state(r.dpage),
			      (struct zdt_page_state){ .refcount = 1, .mapcount = 1 },
			      "of the device folio");
	KUNIT_EXPECT_EQ(test, atomic_read(&r.dev->nr_free), 0);

	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, r.dev, r.addr, buf), 0);
	KUNIT_EXPECT_TRUE_MSG(test, zdt_has_data(test, buf, RACED_PMD_DEVICE_TAG),
			      "the CPU does not read what the driver put in the device folio");
	KUNIT_EXPECT_EQ(test, atomic_read(&r.dev->nr_migrate_to_ram), 1);
}

/*
 * Memory the process wrote into a PMD-sized hole is its data: when the CPU
 * writes the hole after migrate_vma_setup() collected it and before
 * migrate_vma_pages(), the driver's compound device folio must not replace
 * what the write mapped (a THP, or a PTE table), and every src entry of the
 * range loses MIGRATE_PFN_MIGRATE, so that migrate_vma_finalize() gives
 * the device folio back (migrate_vma_insert_huge_pmd_page(): a PMD that is
 * neither none nor the huge zero page aborts; a30b48bf1b24
 * "mm/migrate_device: implement THP migration of zone device pages").
 * Succeeds if the write mapped a leaf PMD or a PTE table, src[0] has lost
 * MIGRATE_PFN_MIGRATE and no other entry has it, the process still maps
 * the page it wrote (that very page, for a THP) and reads what it wrote, no
 * migrate_to_ram() ran, and the device folio is freed once, at refcount 0.
 */
static void pmd_hole_written_by_the_cpu_keeps_the_process_memory(struct kunit *test)
{
	struct raced_pmd_hole r = { };
	u8 buf[ZDT_DATA_LEN];
	struct page *now;

	raced_pmd_hole_migrate(test, &r, true);
	KUNIT_ASSERT_TRUE_MSG(test, r.pmd_leaf || r.table,
			      "the CPU write mapped nothing at the PMD");
	KUNIT_EXPECT_FALSE_MSG(test, (r.src_after | r.others) & MIGRATE_PFN_MIGRATE,
			       "src[0] %#lx: the device folio is reported migrated over the process's memory",
			       r.src_after);
	now = zdt_mapped_page(r.addr);
	KUNIT_EXPECT_TRUE_MSG(test, now && !folio_is_zone_device(page_folio(now)),
			      "the process no longer maps a system page where it wrote");
	if (r.pmd_leaf)
		KUNIT_EXPECT_TRUE_MSG(test, now && page_to_pfn(now) == r.pfn,
				      "the process no longer maps the THP it wrote");
	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, r.dev, r.addr, buf), 0);
	KUNIT_EXPECT_TRUE_MSG(test, zdt_has_data(test, buf, RACED_PMD_CPU_TAG),
			      "the process does not read what it wrote");
	KUNIT_EXPECT_EQ(test, atomic_read(&r.dev->nr_migrate_to_ram), 0);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&r.dev->nr_free), 1,
			    "the device folio not given back");
	KUNIT_EXPECT_EQ(test, folio_ref_count(page_folio(r.dpage)), 0);
}

/*
 * A PMD-sized hole collected as one compound entry may be filled with small
 * pages: a driver without a free large device folio gives an order-0 page
 * for each of the range's PTRS_PER_PMD entries, and migrate_vma_pages()
 * maps each by a PTE of its own (__migrate_device_pages(): a compound src
 * entry without a page and a destination that is not compound are split
 * into PTRS_PER_PMD page entries; a30b48bf1b24 "mm/migrate_device:
 * implement THP migration of zone device pages"; lib/test_hmm.c falls back
 * so).  Succeeds if every src entry is then MIGRATE_PFN_MIGRATE alone (no
 * MIGRATE_PFN_COMPOUND left), every address holds a writable
 * device-private PTE of the page given for it, each page holds just the
 * mapping's reference, none is freed, and a CPU read of the middle page
 * brings back the data the driver put there with one migrate_to_ram().
 */
static void pmd_hole_fills_with_small_pages_when_dst_is_small(struct kunit *test)
{
	unsigned long base, addr, i, src0 = 0, bad_src = 0, bad_map = 0, bad_ref = 0;
	unsigned long first_bad = 0, nr_given = 0;
	struct zdt_device *dev;
	struct zdt_migration m;
	u8 buf[ZDT_DATA_LEN];
	struct page **dpages;
	bool w;

	if (!ZDT_HAS_LARGE_DEVICE_FOLIOS)
		zdt_skip(test, ZDT_NO_LARGE_DEVICE_FOLIOS);
	dev = zdt_device_create(test, MEMORY_DEVICE_PRIVATE, ZDT_DEVICE_PAGES);
	if (!thp_migration_supported())
		zdt_skip(test, ZDT_NO_PMD_MIGRATION);
	dpages = kunit_kcalloc(test, PTRS_PER_PMD, sizeof(*dpages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, dpages);
	base = ALIGN(zdt_user_map(test, 2 * PMD_SIZE), PMD_SIZE);
	addr = base + ZDT_PMD_MIDDLE * PAGE_SIZE;

	zdt_migration_init(test, &m, base, PTRS_PER_PMD, dev,
			   MIGRATE_VMA_SELECT_SYSTEM | ZDT_MIGRATE_VMA_SELECT_COMPOUND);
	zdt_migration_setup(&m);
	if (!m.ret) {
		src0 = m.args.src[0];
		for (i = 0; i < PTRS_PER_PMD &&
		     src0 == (MIGRATE_PFN_MIGRATE | ZDT_MIGRATE_PFN_COMPOUND); i++) {
			dpages[i] = zdt_device_alloc_page(dev, 0);
			if (!dpages[i])
				break;
			nr_given++;
		}
		/* All or none: a compound hole is filled whole. */
		for (i = 0; i < nr_given && nr_given == PTRS_PER_PMD; i++)
			m.args.dst[i] = migrate_pfn(page_to_pfn(dpages[i]));
		if (nr_given == PTRS_PER_PMD)
			zdt_put_data(test, zdt_page_data(dpages[ZDT_PMD_MIDDLE]),
				     ZDT_PMD_MIDDLE);
		zdt_migration_pages(&m);
		for (i = 0; i < PTRS_PER_PMD; i++) {
			if (m.args.src[i] != MIGRATE_PFN_MIGRATE && !bad_src++)
				first_bad = i;
		}
	}
	/* Pages never given as dst are the case's to put back. */
	for (i = 0; i < nr_given && nr_given < PTRS_PER_PMD; i++) {
		unlock_page(dpages[i]);
		put_page(dpages[i]);
	}
	zdt_migration_finalize(&m);

	KUNIT_ASSERT_EQ(test, m.ret, 0);
	KUNIT_ASSERT_EQ_MSG(test, src0, MIGRATE_PFN_MIGRATE | ZDT_MIGRATE_PFN_COMPOUND,
			    "the PMD-sized hole not collected as one compound entry");
	if (nr_given < PTRS_PER_PMD)
		zdt_skip(test, "only %lu free device-private pages", nr_given);
	KUNIT_EXPECT_EQ_MSG(test, bad_src, 0,
			    "src entries not MIGRATE_PFN_MIGRATE alone, the first %lu", first_bad);
	for (i = 0; i < PTRS_PER_PMD; i++) {
		w = false;
		if ((zdt_device_private_pte(base + i * PAGE_SIZE, &w) != dpages[i] || !w) &&
		    !bad_map++)
			first_bad = i;
		if (folio_ref_count(page_folio(dpages[i])) != 1)
			bad_ref++;
	}
	KUNIT_EXPECT_EQ_MSG(test, bad_map, 0,
			    "addresses without a writable device-private PTE of their page, the first %lu",
			    first_bad);
	KUNIT_EXPECT_EQ_MSG(test, bad_ref, 0, "pages with other than the mapping's reference");
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_free), 0);

	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, dev, addr, buf), 0);
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, ZDT_PMD_MIDDLE));
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_migrate_to_ram), 1);
}

/*
 * A PMD-sized hole a driver fills with a system THP (a migrate_to_ram()
 * that moves a whole range over a hole with MIGRATE_VMA_SELECT_COMPOUND)
 * becomes an ordinary anonymous THP of the process: migrate_vma_pages()
 * maps it by one PMD, writable as the VMA is, and puts it on the LRU, so
 * that reclaim and compaction find it
 * (migrate_vma_insert_huge_pmd_page(): folio_add_lru_vma() for a folio
 * that is no device folio; a30b48bf1b24 "mm/migrate_device: implement THP
 * migration of zone device pages").  Succeeds if src[0] keeps
 * MIGRATE_PFN_MIGRATE, the middle address maps that very folio's page,
 * the folio is anonymous, mapped once (by one PMD), on the LRU once the
 * per-CPU batches are drained, with just the mapping's reference, and the
 * CPU reads the data the driver put there.
 */
static void pmd_hole_filled_with_a_system_thp_is_on_the_lru(struct kunit *test)
{
	unsigned int order = PMD_SHIFT - PAGE_SHIFT;
	unsigned long base, addr, src0 = 0, src_pages = 0;
	struct folio *folio = NULL;
	struct zdt_migration m;
	u8 buf[ZDT_DATA_LEN];
	struct page *now;

	if (!IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE))
		zdt_skip(test, ZDT_NO_THP);
	if (!ZDT_HAS_LARGE_DEVICE_FOLIOS)
		zdt_skip(test, ZDT_NO_LARGE_DEVICE_FOLIOS);
	if (!thp_migration_supported())
		zdt_skip(test, ZDT_NO_PMD_MIGRATION);
	if (!ZDT_CAN_DRAIN_LRU)
		zdt_skip(test, ZDT_NO_DRAIN_LRU);
	base = ALIGN(zdt_user_map(test, 2 * PMD_SIZE), PMD_SIZE);
	addr = base + ZDT_PMD_MIDDLE * PAGE_SIZE;

	zdt_migration_init(test, &m, base, PTRS_PER_PMD, test,
			   MIGRATE_VMA_SELECT_DEVICE_PRIVATE | ZDT_MIGRATE_VMA_SELECT_COMPOUND);
	zdt_migration_setup(&m);
	if (!m.ret) {
		src0 = m.args.src[0];
		if (src0 == (MIGRATE_PFN_MIGRATE | ZDT_MIGRATE_PFN_COMPOUND))
			folio = zdt_vma_alloc_folio(order, m.args.vma, base);
		if (folio) {
			folio_lock(folio);
			zdt_put_data(test, page_address(folio_page(folio, ZDT_PMD_MIDDLE)),
				     ZDT_PMD_MIDDLE);
			m.args.dst[0] = migrate_pfn(folio_pfn(folio)) | ZDT_MIGRATE_PFN_COMPOUND;
		}
		zdt_migration_pages(&m);
		src_pages = m.args.src[0];
	}
	zdt_migration_finalize(&m);

	KUNIT_ASSERT_EQ(test, m.ret, 0);
	KUNIT_ASSERT_EQ_MSG(test, src0, MIGRATE_PFN_MIGRATE | ZDT_MIGRATE_PFN_COMPOUND,
			    "the PMD-sized hole not collected as one compound entry");
	if (!folio)
		zdt_skip(test, "no free order-%u system folio", order);
	KUNIT_ASSERT_TRUE_MSG(test, src_pages & MIGRATE_PFN_MIGRATE,
			      "migrate_vma_pages() did not map the system THP");
	now = zdt_mapped_page(addr);
	KUNIT_ASSERT_PTR_EQ_MSG(test, now, folio_page(folio, ZDT_PMD_MIDDLE),
				"the hole does not map the system THP");
	KUNIT_EXPECT_TRUE(test, folio_test_anon(folio));
	zdt_drain_lru();
	KUNIT_EXPECT_TRUE_MSG(test, folio_test_lru(folio),
			      "the THP is on no LRU: reclaim never finds it");
	zdt_expect_page_state(test, zdt_page_state(now),
			      (struct zdt_page_state){ .refcount = 1, .mapcount = 1 },
			      "of the system THP");
	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, NULL, addr, buf), 0);
	KUNIT_EXPECT_TRUE(test, zdt_has_data(test, buf, ZDT_PMD_MIDDLE));
}

/*
 * A PMD-sized hole of a read-only VMA filled with a device-private folio
 * gets a read-only PMD-level device-private entry, as a page-sized hole gets
 * a read-only PTE one (migrate_vma_insert_huge_pmd_page():
 * make_readable_device_private_entry() without VM_WRITE, a30b48bf1b24
 * "mm/migrate_device: implement THP migration of zone device pages"): the
 * entry is what grants writing from then on, to a driver that collects it
 * (MIGRATE_PFN_WRITE) and to the page that comes back to system memory
 * (remove_migration_pmd() and remove_migration_pte() make it writable from
 * the migration entry, not from the VMA).  Succeeds if setup collects the
 * hole as one compound entry, src keeps MIGRATE_PFN_MIGRATE, a later
 * collect finds one compound entry without MIGRATE_PFN_WRITE, a CPU read of
 * the middle page brings back the driver's data with one migrate_to_ram(),
 * and GUP-fast for writing then finds no writable page there (without
 * GUP-fast that last check skips, ZDT_NO_GUP_FAST, once the rest has
 * passed).
 */
static void pmd_hole_of_a_read_only_vma_gets_a_read_only_entry(struct kunit *test)
{
	unsigned int order = PMD_SHIFT - PAGE_SHIFT;
	unsigned long flags = MIGRATE_VMA_SELECT_SYSTEM | ZDT_MIGRATE_VMA_SELECT_COMPOUND;
	unsigned long want = MIGRATE_PFN_MIGRATE | ZDT_MIGRATE_PFN_COMPOUND;
	unsigned long base, addr, src0 = 0, src_after = 0, again = 0;
	struct page *dpage = NULL, *wpage;
	struct zdt_device *dev;
	struct zdt_migration m;
	u8 buf[ZDT_DATA_LEN];
	int got;

	if (!ZDT_HAS_LARGE_DEVICE_FOLIOS)
		zdt_skip(test, ZDT_NO_LARGE_DEVICE_FOLIOS);
	if (!thp_migration_supported())
		zdt_skip(test, ZDT_NO_PMD_MIGRATION);
	dev = zdt_device_create(test, MEMORY_DEVICE_PRIVATE, ZDT_DEVICE_PAGES);
	base = ALIGN(zdt_user_map_prot(test, 2 * PMD_SIZE, PROT_READ), PMD_SIZE);
	addr = base + ZDT_PMD_MIDDLE * PAGE_SIZE;

	zdt_migration_init(test, &m, base, PTRS_PER_PMD, dev, flags);
	zdt_migration_setup(&m);
	if (!m.ret) {
		src0 = m.args.src[0];
		if (src0 == want)
			dpage = zdt_device_alloc_page(dev, order);
		if (dpage) {
			zdt_put_data(test, zdt_page_data(dpage + ZDT_PMD_MIDDLE), 0);
			m.args.dst[0] = migrate_pfn(page_to_pfn(dpage)) |
					ZDT_MIGRATE_PFN_COMPOUND;
		}
		zdt_migration_pages(&m);
		src_after = m.args.src[0];
	}
	zdt_migration_finalize(&m);

	KUNIT_ASSERT_EQ(test, m.ret, 0);
	KUNIT_ASSERT_EQ_MSG(test, src0, want,
			    "the PMD-sized hole not collected as one compound entry");
	if (!dpage)
		zdt_skip(test, "no free order-%u device-private folio", order);
	KUNIT_ASSERT_TRUE_MSG(test, src_after & MIGRATE_PFN_MIGRATE,
			      "migrate_vma_pages() did not map the device folio");

	zdt_migration_init(test, &m, base, PTRS_PER_PMD, dev,
			   MIGRATE_VMA_SELECT_DEVICE_PRIVATE |
			   ZDT_MIGRATE_VMA_SELECT_COMPOUND);
	zdt_migration_setup(&m);
	if (!m.ret)
		again = m.args.src[0];
	zdt_migration_finalize(&m);
	KUNIT_ASSERT_EQ(test, m.ret, 0);
	KUNIT_ASSERT_EQ_MSG(test, again & ~MIGRATE_PFN_WRITE,
			    migrate_pfn(page_to_pfn(dpage)) | want,
			    "the device folio not collected as one compound entry");
	KUNIT_EXPECT_FALSE_MSG(test, again & MIGRATE_PFN_WRITE,
			       "the device-private PMD of a read-only VMA is writable");

	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, dev, addr, buf), 0);
	KUNIT_EXPECT_TRUE_MSG(test, zdt_has_data(test, buf, 0),
			      "the CPU does not read what the driver put in the device folio");
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_migrate_to_ram), 1);
	if (!IS_ENABLED(CONFIG_HAVE_GUP_FAST))
		zdt_skip(test, "read-only mapping unchecked: " ZDT_NO_GUP_FAST);
	got = get_user_pages_fast_only(addr, 1, FOLL_WRITE, &wpage);
	if (got == 1)
		put_page(wpage);
	KUNIT_EXPECT_EQ_MSG(test, got, 0,
			    "the page back from the device is writable in a read-only VMA");
}

/*
 * Eviction does not split: migrate_device_pages(), which has no VMA to
 * split a PMD in, refuses a large device folio whose destination is a small
 * page (migrate_device_range() callers must give a folio of the same order,
 * lib/test_hmm.c's dmirror_device_evict_chunk(): "TODO Support splitting
 * here"), clears its entry's MIGRATE_PFN_MIGRATE and keeps the entry the
 * folio's, so that migrate_device_finalize() puts it back as it was: still
 * mapped by its PMD-level device-private entry, unlocked, with its data,
 * and gives the small page back (__migrate_device_pages(), a30b48bf1b24
 * "mm/migrate_device: implement THP migration of zone device pages").
 * Succeeds if eviction collects the folio as one compound entry, after
 * migrate_device_pages() src[0] still names its head page without
 * MIGRATE_PFN_MIGRATE, the folio then holds just the mapping's reference,
 * is mapped once and unlocked and not freed, the small page is unlocked
 * with only the case's reference, and a CPU read of the middle page brings
 * back its data with one migrate_to_ram().
 */
static void eviction_to_a_small_page_leaves_the_large_folio_on_the_device(struct kunit *test)
{
	unsigned long base, src_after, *src, *dst;
	struct page *dpage, *rpage;
	struct zdt_device *dev;
	u8 buf[ZDT_DATA_LEN];

	dpage = zdt_pmd_on_device(test, &dev, &base);
	zdt_put_data(test, zdt_page_data(dpage + ZDT_PMD_MIDDLE), ZDT_PMD_MIDDLE);
	src = kunit_kcalloc(test, PTRS_PER_PMD, sizeof(*src), GFP_KERNEL);
	dst = kunit_kcalloc(test, PTRS_PER_PMD, sizeof(*dst), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, src);
	KUNIT_ASSERT_NOT_NULL(test, dst);
	rpage = alloc_page(GFP_HIGHUSER_MOVABLE);
	KUNIT_ASSERT_NOT_NULL(test, rpage);
	/* One reference for migrate_device_finalize() to put, one the case's. */
	get_page(rpage);
	zdt_own_page(test, rpage);
	lock_page(rpage);
	dst[0] = migrate_pfn(page_to_pfn(rpage));

	KUNIT_ASSERT_EQ(test, zdt_evict_collect(src, dev->pfn_first, PTRS_PER_PMD, false), 0);
	zdt_evict_pages(src, dst, PTRS_PER_PMD);
	src_after = src[0];
	zdt_evict_finalize(src, dst, PTRS_PER_PMD);

	KUNIT_ASSERT_PTR_EQ_MSG(test, migrate_pfn_to_page(src_after), dpage,
				"src[0] %#lx no longer names the large folio", src_after);
	KUNIT_ASSERT_FALSE_MSG(test, src_after & MIGRATE_PFN_MIGRATE,
			       "src[0] %#lx: the large folio is reported moved to a small page",
			       src_after);
	zdt_expect_page_state(test, zdt_page_state(dpage),
			      (struct zdt_page_state){ .refcount = 1, .mapcount = 1 },
			      "of the large device folio");
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_free), 0);
	zdt_expect_page_state(test, zdt_page_state(rpage),
			      (struct zdt_page_state){ .refcount = 1 },
			      "of the small page given back");

	KUNIT_ASSERT_EQ(test, zdt_cpu_read(test, dev, base + ZDT_PMD_MIDDLE * PAGE_SIZE, buf), 0);
	KUNIT_EXPECT_TRUE_MSG(test, zdt_has_data(test, buf, ZDT_PMD_MIDDLE),
			      "the CPU does not read the large folio's data");
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_migrate_to_ram), 1);
}

static struct kunit_case zone_device_migrate_large_cases[] = {
	KUNIT_CASE(pmd_range_moves_as_one_large_folio_and_back),
	KUNIT_CASE(partial_range_splits_the_large_folio),
	KUNIT_CASE(munmap_of_a_page_splits_the_device_pmd_into_ptes),
	KUNIT_CASE(split_of_a_read_only_device_pmd_keeps_it_read_only),
	KUNIT_CASE_PARAM(migration_of_part_of_a_pte_mapped_folio_splits_it,
			 pte_split_gen_params),
	KUNIT_CASE(large_folio_moves_to_small_pages_when_dst_is_small),
	KUNIT_CASE_PARAM(setup_selects_a_device_pmd_by_flags_and_owner,
			 pmd_select_gen_params),
	KUNIT_CASE_PARAM(eviction_moves_a_large_folio_and_small_pages_to_ram,
			 mixed_evict_gen_params),
	KUNIT_CASE_PARAM(pmd_mapped_thp_moves_to_the_device_as_one_folio,
			 thp_to_device_gen_params),
	KUNIT_CASE(pmd_hole_read_by_the_cpu_is_still_filled_from_the_device),
	KUNIT_CASE(pmd_hole_written_by_the_cpu_keeps_the_process_memory),
	KUNIT_CASE(pmd_hole_fills_with_small_pages_when_dst_is_small),
	KUNIT_CASE(pmd_hole_filled_with_a_system_thp_is_on_the_lru),
	KUNIT_CASE(pmd_hole_of_a_read_only_vma_gets_a_read_only_entry),
	KUNIT_CASE(eviction_to_a_small_page_leaves_the_large_folio_on_the_device),
	{}
};

static struct kunit_suite zone_device_migrate_large_suite = {
	.name = "zone_device_migrate_large",
	.init = zdt_migrate_case_begin,
	.test_cases = zone_device_migrate_large_cases,
};

kunit_test_suite(zone_device_migrate_large_suite);

MODULE_DESCRIPTION("KUnit tests for large device-private folios in migrate_vma");
MODULE_LICENSE("GPL");
