// SPDX-License-Identifier: GPL-2.0
/*
 * Migrations of the zone-device KUnit suites, driven as a driver drives them
 * (Documentation/mm/hmm.rst, "Migration to and from device memory"):
 * migrate_vma_*() of a user range to a fake device and back, eviction of
 * device pfns, and migrate_device_coherent_folio() where it can be called.
 */
#include <linux/memremap.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <kunit/test.h>

#include "zone_device_fixture_priv.h"

#if ZDT_CAN_MIGRATE_COHERENT_FOLIO
#include "../internal.h"	/* migrate_device_coherent_folio() */
#endif

void zdt_migration_init(struct kunit *test, struct zdt_migration *m,
			unsigned long addr, unsigned long npages, void *owner,
			unsigned long flags)
{
	memset(m, 0, sizeof(*m));
	m->mm = current->mm;
	KUNIT_ASSERT_NOT_NULL(test, m->mm);
	m->args.start = addr;
	m->args.end = addr + npages * PAGE_SIZE;
	m->args.pgmap_owner = owner;
	m->args.flags = flags;
	m->args.src = kunit_kcalloc(test, npages, sizeof(*m->args.src), GFP_KERNEL);
	m->args.dst = kunit_kcalloc(test, npages, sizeof(*m->args.dst), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m->args.src);
	KUNIT_ASSERT_NOT_NULL(test, m->args.dst);
}
EXPORT_SYMBOL_GPL(zdt_migration_init);

void zdt_migration_setup(struct zdt_migration *m)
{
	mmap_read_lock(m->mm);
	m->args.vma = vma_lookup(m->mm, m->args.start);
	m->ret = m->args.vma ? migrate_vma_setup(&m->args) : -ENOENT;
}
EXPORT_SYMBOL_GPL(zdt_migration_setup);

void zdt_migration_pages(struct zdt_migration *m)
{
	migrate_vma_pages(&m->args);
}
EXPORT_SYMBOL_GPL(zdt_migration_pages);

void zdt_migration_finalize(struct zdt_migration *m)
{
	if (!m->ret)
		migrate_vma_finalize(&m->args);
	mmap_read_unlock(m->mm);
}
EXPORT_SYMBOL_GPL(zdt_migration_finalize);

unsigned long zdt_migration_ram_copy(struct zdt_migration *m,
				     struct page *spage, unsigned int order)
{
	return zdt_ram_copy(m->args.vma, m->args.start, spage, order);
}
EXPORT_SYMBOL_GPL(zdt_migration_ram_copy);

/* zdt_migration_setup() that must succeed, or the case ends. */
static void zdt_migration_setup_or_abort(struct kunit *test,
					 struct zdt_migration *m)
{
	zdt_migration_setup(m);
	if (m->ret) {
		zdt_migration_finalize(m);
		KUNIT_FAIL_AND_ABORT(test, "migrate_vma_setup at %lx: %d",
				     m->args.start, m->ret);
	}
}

unsigned long zdt_migrate_to_device(struct zdt_device *dev, unsigned long addr,
				    unsigned long npages)
{
	struct zdt_migration m;
	unsigned long *src, *dst, i, moved = 0;

	zdt_migration_init(dev->test, &m, addr, npages, dev,
			   MIGRATE_VMA_SELECT_SYSTEM);
	zdt_migration_setup_or_abort(dev->test, &m);
	src = m.args.src;
	dst = m.args.dst;
	for (i = 0; i < npages; i++) {
		struct page *spage = migrate_pfn_to_page(src[i]);
		struct page *dpage;

		if (!(src[i] & MIGRATE_PFN_MIGRATE))
			continue;
		dpage = zdt_device_alloc_page(dev, 0);
		if (!dpage)
			break;
		if (spage)
			memcpy(zdt_page_data(dpage), page_address(spage), PAGE_SIZE);
		dst[i] = migrate_pfn(page_to_pfn(dpage));
		if ((src[i] & MIGRATE_PFN_WRITE) ||
		    (!spage && m.args.vma->vm_flags & VM_WRITE))
			dst[i] |= MIGRATE_PFN_WRITE;
	}
	zdt_migration_pages(&m);
	for (i = 0; i < npages; i++)
		if ((src[i] & MIGRATE_PFN_MIGRATE) && dst[i])
			moved++;
	zdt_migration_finalize(&m);
	return moved;
}
EXPORT_SYMBOL_GPL(zdt_migrate_to_device);

struct page *zdt_migrate_pmd_to_device(struct zdt_device *dev,
				       unsigned long addr)
{
	struct kunit *test = dev->test;
	unsigned int order = PMD_SHIFT - PAGE_SHIFT;
	unsigned long *src, *dst, want;
	struct zdt_migration m;
	struct page *dpage;
	bool moved;

	KUNIT_ASSERT_TRUE(test, IS_ALIGNED(addr, PMD_SIZE));
	zdt_migration_init(test, &m, addr, 1UL << order, dev,
			   MIGRATE_VMA_SELECT_SYSTEM | ZDT_MIGRATE_VMA_SELECT_COMPOUND);
	zdt_migration_setup_or_abort(test, &m);
	src = m.args.src;
	dst = m.args.dst;
	want = MIGRATE_PFN_MIGRATE | ZDT_MIGRATE_PFN_COMPOUND;
	dpage = (src[0] & want) == want ? zdt_device_alloc_page(dev, order) : NULL;
	if (!dpage) {
		zdt_migration_finalize(&m);
		KUNIT_FAIL_AND_ABORT(test,
				     "empty PMD range not collected as one compound entry (src %#lx), or no free device folio",
				     src[0]);
	}
	dst[0] = migrate_pfn(page_to_pfn(dpage)) | ZDT_MIGRATE_PFN_COMPOUND;
	if (m.args.vma->vm_flags & VM_WRITE)
		dst[0] |= MIGRATE_PFN_WRITE;
	zdt_migration_pages(&m);
	moved = src[0] & MIGRATE_PFN_MIGRATE;
	zdt_migration_finalize(&m);
	KUNIT_ASSERT_TRUE_MSG(test, moved, "migrate_vma_pages() did not install the device folio");
	return dpage;
}
EXPORT_SYMBOL_GPL(zdt_migrate_pmd_to_device);

unsigned long zdt_page_on_device(struct kunit *test, enum memory_type type,
				 struct zdt_device **devp)
{
	struct zdt_device *dev = zdt_device_create(test, type, ZDT_DEVICE_PAGES);
	unsigned long addr = zdt_user_pages(test, 1);

	KUNIT_ASSERT_EQ(test, zdt_migrate_to_device(dev, addr, 1), 1);
	KUNIT_ASSERT_EQ(test, page_ref_count(zdt_device_page(dev, 0)), 1);
	*devp = dev;
	return addr;
}
EXPORT_SYMBOL_GPL(zdt_page_on_device);

struct page *zdt_pmd_on_device(struct kunit *test, struct zdt_device **devp,
			       unsigned long *addr)
{
	struct zdt_device *dev;
	struct page *dpage;

	if (!ZDT_HAS_LARGE_DEVICE_FOLIOS)
		zdt_skip(test, ZDT_NO_LARGE_DEVICE_FOLIOS);
	dev = zdt_device_create(test, MEMORY_DEVICE_PRIVATE, PTRS_PER_PMD);
	if (!thp_migration_supported())
		zdt_skip(test, ZDT_NO_PMD_MIGRATION);
	/* Twice the size, so that an aligned PMD lies inside the mapping. */
	*addr = ALIGN(zdt_user_map(test, 2 * PMD_SIZE), PMD_SIZE);
	dpage = zdt_migrate_pmd_to_device(dev, *addr);
	KUNIT_ASSERT_EQ(test, folio_order(page_folio(dpage)), PMD_SHIFT - PAGE_SHIFT);
	KUNIT_ASSERT_EQ(test, folio_ref_count(page_folio(dpage)), 1);
	*devp = dev;
	return dpage;
}
EXPORT_SYMBOL_GPL(zdt_pmd_on_device);

int zdt_evict_collect(unsigned long *src, unsigned long pfn,
		      unsigned long npages, bool by_list)
{
	unsigned long i;

	if (!by_list)
		return migrate_device_range(src, pfn, npages);
	for (i = 0; i < npages; i++)
		src[i] = pfn + i;
	return zdt_migrate_device_pfns(src, npages);
}
EXPORT_SYMBOL_GPL(zdt_evict_collect);

void zdt_evict_pages(unsigned long *src, unsigned long *dst,
		     unsigned long npages)
{
	migrate_device_pages(src, dst, npages);
}
EXPORT_SYMBOL_GPL(zdt_evict_pages);

void zdt_evict_finalize(unsigned long *src, unsigned long *dst,
			unsigned long npages)
{
	migrate_device_finalize(src, dst, npages);
}
EXPORT_SYMBOL_GPL(zdt_evict_finalize);

int zdt_migrate_coherent_folio(struct folio *folio)
{
#if ZDT_CAN_MIGRATE_COHERENT_FOLIO
	return migrate_device_coherent_folio(folio);
#else
	return -EOPNOTSUPP;
#endif
}
EXPORT_SYMBOL_GPL(zdt_migrate_coherent_folio);
