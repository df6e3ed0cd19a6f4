/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fake ZONE_DEVICE devices for KUnit: a dev_pagemap of a chosen type with
 * counting ops, owned by the test and torn down by KUnit even when a case
 * fails.
 *
 * MEMORY_DEVICE_PRIVATE needs no memory behind it: a free physical range from
 * request_free_mem_region(), as lib/test_hmm.c does.  Every other type needs
 * real RAM the kernel does not use: boot with memmap=64M!512M and pass
 * zone_device_fixture.coherent=64M@512M; without it those cases SKIP and
 * say so.
 */
#ifndef _MM_TESTS_ZONE_DEVICE_FIXTURE_H
#define _MM_TESTS_ZONE_DEVICE_FIXTURE_H

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/memremap.h>
#include <linux/mman.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/uaccess.h>
#include <kunit/test.h>

#include "zone_device_compat.h"

/* Pages per device unless a case asks otherwise: one PMD, one subsection. */
#define ZDT_DEVICE_PAGES	512UL

/* Bytes of a page every data check writes and compares: its first ZDT_DATA_LEN. */
#define ZDT_DATA_LEN		64

/* Bound on one CPU access finishing (it takes microseconds when it works). */
#define ZDT_ACCESS_MS		2000

struct zdt_unmap;

/**
 * zdt_case_begin() - start a case of a zone-device suite
 * @test: the case
 *
 * Every suite's .init calls it first (or is it).  From here until the case's
 * last cleanup (the device teardown included) the kernel log is watched: a
 * WARN, BUG, bad page state, lockdep report, RCU stall or hung task reported
 * meanwhile fails the case with the splat's first lines, unless the case
 * declared it with zdt_splat_expected().  One case at a time.
 *
 * Return: 0, so that it can be a suite's .init.
 */
int zdt_case_begin(struct kunit *test);

/**
 * zdt_splat_expected() - declare a splat the case provokes on purpose
 * @test: the case
 * @what: text the splat's first line contains ("memremap_pages")
 *
 * A splat matching @what does not fail the case, and the case fails if none
 * came.  For kernels where KUnit cannot suppress WARN() (zdt_expect_warning()).
 */
void zdt_splat_expected(struct kunit *test, const char *what);

/**
 * zdt_fill() - write data unique to this case and run
 * @test: the case
 * @buf: where
 * @len: how many bytes
 * @tag: which of the case's buffers (a page index): another tag, other data
 *
 * The bytes come from a seed drawn for each case (printed on first use; the
 * run's seed is zone_device_fixture.seed, which reproduces a run when set on
 * the command line), so no earlier case, and no page freed by one, can hold
 * them by accident.
 */
void zdt_fill(struct kunit *test, void *buf, size_t len, unsigned long tag);

/**
 * zdt_data_is() - whether @buf holds what zdt_fill() wrote with @tag
 * @test: the case
 * @buf: the bytes to check
 * @len: how many
 * @tag: the tag they were written with
 *
 * Return: true if every byte matches.
 */
bool zdt_data_is(struct kunit *test, const void *buf, size_t len,
		 unsigned long tag);

/**
 * zdt_user_page() - one private anonymous page of the test's mm
 * @test: the case
 * @tag: zdt_fill() tag of the data it gets
 *
 * kunit_vm_mmap()ed and faulted in by writing ZDT_DATA_LEN bytes of the
 * case's data (zdt_fill() with @tag), so that it is a page of its own and
 * not the shared zero page.  Needs no ZONE_DEVICE.
 *
 * Return: its user address.
 */
static inline unsigned long zdt_user_page(struct kunit *test, unsigned long tag)
{
	unsigned long addr = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE,
					   PROT_READ | PROT_WRITE,
					   MAP_ANONYMOUS | MAP_PRIVATE, 0);
	u8 buf[ZDT_DATA_LEN];

	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR_VALUE(addr), "kunit_vm_mmap: %ld",
			       (long)addr);
	zdt_fill(test, buf, sizeof(buf), tag);
	KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)addr, buf, sizeof(buf)), 0);
	return addr;
}

/*
 * A thread of the test's mm that reads ZDT_DATA_LEN bytes at @addr from the
 * CPU once started (zdt_faulter_start()), so that a case can bound the
 * access: a fault that never returns is a FAIL, not a hung kernel.  Not
 * test-managed memory: a thread that never finishes keeps using it, so free
 * it only after zdt_faulter_wait() said the access finished.
 */
struct zdt_faulter {
	struct mm_struct *mm;
	unsigned long addr;
	struct task_struct *task;
	bool started;			/* the thread is about to read */
	unsigned long start_faults;	/* its fault count when started */
	u8 buf[ZDT_DATA_LEN];
	unsigned long left;		/* what copy_from_user() left */
	struct completion done;
};

static inline int zdt_faulter_fn(void *data)
{
	struct zdt_faulter *f = data;

	kthread_use_mm(f->mm);
	WRITE_ONCE(f->started, true);
	f->left = copy_from_user(f->buf, (void __user *)f->addr, sizeof(f->buf));
	kthread_unuse_mm(f->mm);
	complete(&f->done);
	return 0;
}

static inline struct zdt_faulter *zdt_faulter_create(struct kunit *test,
						     unsigned long addr)
{
	struct zdt_faulter *f = kzalloc_obj(*f);

	KUNIT_ASSERT_NOT_NULL(test, f);
	f->mm = current->mm;
	f->addr = addr;
	init_completion(&f->done);
	f->task = kthread_create(zdt_faulter_fn, f, "zdt-faulter");
	if (IS_ERR(f->task)) {
		long err = PTR_ERR(f->task);

		kfree(f);
		KUNIT_FAIL_AND_ABORT(test, "kthread_create: %ld", err);
	}
	mmget(f->mm);
	get_task_struct(f->task);
	return f;
}

/* The faults @f's thread took since zdt_faulter_start(). */
static inline unsigned long zdt_faulter_faults(struct zdt_faulter *f)
{
	return READ_ONCE(f->task->min_flt) + READ_ONCE(f->task->maj_flt) -
	       f->start_faults;
}

/* Lets @f's thread run its access. */
static inline void zdt_faulter_start(struct zdt_faulter *f)
{
	f->start_faults = READ_ONCE(f->task->min_flt) + READ_ONCE(f->task->maj_flt);
	wake_up_process(f->task);
}

/* True once the access finished, false after @ms without that. */
static inline bool zdt_faulter_wait(struct zdt_faulter *f, unsigned int ms)
{
	return wait_for_completion_timeout(&f->done, msecs_to_jiffies(ms));
}

static inline void zdt_faulter_free(struct zdt_faulter *f)
{
	put_task_struct(f->task);
	mmput(f->mm);
	kfree(f);
}

/**
 * struct zdt_blocked - what zdt_faulter_watch() saw of a blocked access
 * @faults: faults the thread took since it started
 * @asleep: it was asleep, with no new fault, at the end of the watch
 * @started: it reached its access at all
 * @ms: how long the watch took
 */
struct zdt_blocked {
	unsigned long faults;
	bool asleep;
	bool started;
	unsigned int ms;
};

/**
 * zdt_faulter_watch() - watch a started access that cannot finish yet
 * @f: the faulter, started
 * @window_ms: watch at least this long
 * @max_faults: faults a sleeping access may take (the first, one spare)
 *
 * For a case that keeps the access from finishing (a folio lock, a migration
 * entry): samples the thread's state and fault count every few ms, for at
 * least @window_ms after the thread reached its access, and then until it
 * has been seen asleep with no new fault for ZDT_ASLEEP_MS, or it took more
 * than @max_faults faults (it spins), or ZDT_WATCH_MS passed.  A slow or
 * loaded guest only makes the watch longer; neither verdict rests on one
 * sample.
 *
 * Return: what it saw.
 */
struct zdt_blocked zdt_faulter_watch(struct zdt_faulter *f,
				     unsigned int window_ms,
				     unsigned long max_faults);

struct zdt_device {
	struct kunit *test;
	struct dev_pagemap pgmap;
	struct resource *res;		/* PRIVATE: the range we reserved */
	unsigned long pfn_first;
	unsigned long nr_pages;
	bool mapped;
	struct zdt_unmap *unmap;	/* memunmap_pages() under way */

	/* What the ops saw. */
	atomic_t nr_free;		/* folio_free / page_free calls */
	int free_refcount;		/* refcount at the last free callback */
	bool free_locked;		/* page lock at the last free callback */
	atomic_t nr_migrate_to_ram;	/* migrate_to_ram calls */
	atomic_t nr_migrated_to_ram;	/* ... that moved the page */
	bool fault_locked;		/* page lock seen by migrate_to_ram */
	int fault_refcount;		/* refcount seen by migrate_to_ram */

	/* Set by a case: migrate_to_ram returns this without migrating. */
	vm_fault_t fault_ret;
};

#ifdef CONFIG_ZONE_DEVICE

/* The fixture's ops with one member left out, for memremap_pages() checks. */
extern const struct dev_pagemap_ops zdt_ops_without_free;
extern const struct dev_pagemap_ops zdt_ops_without_migrate_to_ram;

/*
 * A device of @type over @nr_pages pages, ops and owner filled in, not yet
 * mapped: a case may break the pgmap before zdt_device_map().  SKIPs when
 * @type needs the reserved RAM range and none was given.
 */
struct zdt_device *zdt_device_prepare(struct kunit *test, enum memory_type type,
				      unsigned long nr_pages);
/* memremap_pages(); 0 or the error it returned. */
int zdt_device_map(struct zdt_device *dev);
/* prepare + map, asserting success. */
struct zdt_device *zdt_device_create(struct kunit *test, enum memory_type type,
				     unsigned long nr_pages);

/*
 * memunmap_pages() waits, unbounded, for every page reference to the pgmap.
 * These run it in a helper thread so a leaked reference is a FAIL, not a hung
 * kernel: _start() begins it, _wait() returns 0 once it finished or
 * -ETIMEDOUT.  A device whose unmap never finishes is leaked on purpose.
 */
void zdt_device_unmap_start(struct zdt_device *dev);
int zdt_device_unmap_wait(struct zdt_device *dev, unsigned int timeout_ms);

static inline struct page *zdt_device_page(struct zdt_device *dev,
					   unsigned long i)
{
	return pfn_to_page(dev->pfn_first + i);
}

/*
 * A free page of @dev handed out as a driver does (zone_device_page_init):
 * refcount 1, locked, and for PRIVATE zeroed backing data.  NULL if none is
 * free.
 */
struct page *zdt_device_alloc_page(struct zdt_device *dev, unsigned int order);

/*
 * migrate_vma_*() the anonymous range [addr, addr + npages pages) of the
 * test's mm to pages of @dev, copying the data; the number of pages moved.
 * CPU access later faults them back through the fixture's migrate_to_ram.
 */
unsigned long zdt_migrate_to_device(struct zdt_device *dev, unsigned long addr,
				    unsigned long npages);

/*
 * migrate_vma_*() the empty (never touched), PMD-aligned anonymous range
 * [addr, addr + PMD_SIZE) of the test's mm to one large folio of @dev,
 * mapped by one PMD-level device-private entry; its head page.  Its data
 * starts zeroed.  Needs ZDT_HAS_LARGE_DEVICE_FOLIOS and
 * thp_migration_supported().
 */
struct page *zdt_migrate_pmd_to_device(struct zdt_device *dev,
				       unsigned long addr);

/*
 * The bytes behind a device page: for PRIVATE the system page kept in
 * zone_device_data since allocation (freed with the page), for the other
 * types the page itself.
 */
void *zdt_page_data(struct page *page);

#else /* !CONFIG_ZONE_DEVICE */

#define ZDT_NO_ZONE_DEVICE \
	"needs CONFIG_ZONE_DEVICE (not on UML: no memory hotplug)"

static const struct dev_pagemap_ops zdt_ops_without_free;
static const struct dev_pagemap_ops zdt_ops_without_migrate_to_ram;

static inline struct zdt_device *
zdt_device_prepare(struct kunit *test, enum memory_type type,
		   unsigned long nr_pages)
{
	kunit_skip(test, ZDT_NO_ZONE_DEVICE);
	return NULL;
}

static inline int zdt_device_map(struct zdt_device *dev)
{
	return -ENXIO;
}

static inline struct zdt_device *
zdt_device_create(struct kunit *test, enum memory_type type,
		  unsigned long nr_pages)
{
	kunit_skip(test, ZDT_NO_ZONE_DEVICE);
	return NULL;
}

static inline void zdt_device_unmap_start(struct zdt_device *dev) { }

static inline int zdt_device_unmap_wait(struct zdt_device *dev,
					unsigned int timeout_ms)
{
	return -ENXIO;
}

static inline struct page *zdt_device_page(struct zdt_device *dev,
					   unsigned long i)
{
	return NULL;
}

static inline struct page *zdt_device_alloc_page(struct zdt_device *dev,
						 unsigned int order)
{
	return NULL;
}

static inline void *zdt_page_data(struct page *page)
{
	return NULL;
}

static inline struct page *zdt_migrate_pmd_to_device(struct zdt_device *dev,
						     unsigned long addr)
{
	return NULL;
}

static inline unsigned long zdt_migrate_to_device(struct zdt_device *dev,
						  unsigned long addr,
						  unsigned long npages)
{
	return 0;
}

#endif /* CONFIG_ZONE_DEVICE */

#endif /* _MM_TESTS_ZONE_DEVICE_FIXTURE_H */
