// SPDX-License-Identifier: GPL-2.0
/*
 * The fixture on a kernel without ZONE_DEVICE (mainline UML): every helper
 * the suites call that needs a device skips the case (ZDT_NO_ZONE_DEVICE,
 * ZDT_NO_DEVICE_MIGRATION) or, where no device can exist to be passed, does
 * nothing.  The suites call them unconditionally; the cases that need no
 * device (the GUP pin accounting) run for real.
 */
#include <linux/memremap.h>
#include <kunit/test.h>

#include "zone_device_fixture_priv.h"

const struct dev_pagemap_ops zdt_ops_without_free;
EXPORT_SYMBOL_GPL(zdt_ops_without_free);

const struct dev_pagemap_ops zdt_ops_without_migrate_to_ram;
EXPORT_SYMBOL_GPL(zdt_ops_without_migrate_to_ram);

struct zdt_device *zdt_device_prepare(struct kunit *test, enum memory_type type,
				      unsigned long nr_pages)
{
	zdt_skip(test, ZDT_NO_ZONE_DEVICE);
	return NULL;
}
EXPORT_SYMBOL_GPL(zdt_device_prepare);

int zdt_device_map(struct zdt_device *dev)
{
	return -ENXIO;
}
EXPORT_SYMBOL_GPL(zdt_device_map);

struct zdt_device *zdt_device_create(struct kunit *test, enum memory_type type,
				     unsigned long nr_pages)
{
	zdt_skip(test, ZDT_NO_ZONE_DEVICE);
	return NULL;
}
EXPORT_SYMBOL_GPL(zdt_device_create);

struct zdt_device *zdt_device_create_devm(struct kunit *test,
					  enum memory_type type,
					  unsigned long nr_pages)
{
	zdt_skip(test, ZDT_NO_ZONE_DEVICE);
	return NULL;
}
EXPORT_SYMBOL_GPL(zdt_device_create_devm);

struct page *zdt_memmap_page(const struct page *page)
{
	return NULL;
}
EXPORT_SYMBOL_GPL(zdt_memmap_page);

void zdt_device_unmap_start(struct zdt_device *dev)
{
}
EXPORT_SYMBOL_GPL(zdt_device_unmap_start);

int zdt_device_unmap_wait(struct zdt_device *dev, unsigned int timeout_ms)
{
	return -ENXIO;
}
EXPORT_SYMBOL_GPL(zdt_device_unmap_wait);

enum zdt_unmap_state zdt_device_unmap_blocked(struct zdt_device *dev,
					      unsigned int timeout_ms)
{
	return ZDT_UNMAP_RUNNING;
}
EXPORT_SYMBOL_GPL(zdt_device_unmap_blocked);

struct page *zdt_device_alloc_page(struct zdt_device *dev, unsigned int order)
{
	return NULL;
}
EXPORT_SYMBOL_GPL(zdt_device_alloc_page);

void *zdt_page_data(struct page *page)
{
	return NULL;
}
EXPORT_SYMBOL_GPL(zdt_page_data);

unsigned long zdt_migrate_to_device(struct zdt_device *dev, unsigned long addr,
				    unsigned long npages)
{
	return 0;
}
EXPORT_SYMBOL_GPL(zdt_migrate_to_device);

struct page *zdt_migrate_pmd_to_device(struct zdt_device *dev,
				       unsigned long addr)
{
	return NULL;
}
EXPORT_SYMBOL_GPL(zdt_migrate_pmd_to_device);

unsigned long zdt_page_on_device(struct kunit *test, enum memory_type type,
				 struct zdt_device **devp)
{
	zdt_skip(test, ZDT_NO_ZONE_DEVICE);
	return 0;
}
EXPORT_SYMBOL_GPL(zdt_page_on_device);

struct page *zdt_pmd_on_device(struct kunit *test, struct zdt_device **devp,
			       unsigned long *addr)
{
	zdt_skip(test, ZDT_NO_ZONE_DEVICE);
	return NULL;
}
EXPORT_SYMBOL_GPL(zdt_pmd_on_device);

#ifdef CONFIG_MIGRATION
void zdt_migration_init(struct kunit *test, struct zdt_migration *m,
			unsigned long addr, unsigned long npages, void *owner,
			unsigned long flags)
{
	zdt_skip(test, ZDT_NO_DEVICE_MIGRATION);
}
EXPORT_SYMBOL_GPL(zdt_migration_init);

void zdt_migration_setup(struct zdt_migration *m)
{
	m->ret = -EOPNOTSUPP;
}
EXPORT_SYMBOL_GPL(zdt_migration_setup);

void zdt_migration_pages(struct zdt_migration *m)
{
}
EXPORT_SYMBOL_GPL(zdt_migration_pages);

void zdt_migration_finalize(struct zdt_migration *m)
{
}
EXPORT_SYMBOL_GPL(zdt_migration_finalize);

unsigned long zdt_migration_ram_copy(struct zdt_migration *m,
				     struct page *spage, unsigned int order)
{
	return 0;
}
EXPORT_SYMBOL_GPL(zdt_migration_ram_copy);
#endif /* CONFIG_MIGRATION */

int zdt_evict_collect(unsigned long *src, unsigned long pfn,
		      unsigned long npages, bool by_list)
{
	return -EOPNOTSUPP;
}
EXPORT_SYMBOL_GPL(zdt_evict_collect);

void zdt_evict_pages(unsigned long *src, unsigned long *dst,
		     unsigned long npages)
{
}
EXPORT_SYMBOL_GPL(zdt_evict_pages);

void zdt_evict_finalize(unsigned long *src, unsigned long *dst,
			unsigned long npages)
{
}
EXPORT_SYMBOL_GPL(zdt_evict_finalize);

int zdt_migrate_coherent_folio(struct folio *folio)
{
	return -EOPNOTSUPP;
}
EXPORT_SYMBOL_GPL(zdt_migrate_coherent_folio);
