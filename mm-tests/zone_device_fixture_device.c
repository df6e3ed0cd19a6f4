// SPDX-License-Identifier: GPL-2.0
/*
 * The fake device of the zone-device KUnit suites: one dev_pagemap of a
 * chosen memory type whose ops count what core mm asks of them, its pages
 * handed out as a driver's allocator does, and its migrate_to_ram(), which
 * moves a faulting device-private folio back to system RAM as
 * lib/test_hmm.c's does.  A device belongs to a case: KUnit tears it down
 * when the case ends, failed or not, and the teardown itself is bounded (see
 * zdt_device_unmap_wait()), so a leaked page reference fails the case
 * instead of hanging the kernel.
 */
#include <linux/bitmap.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/highmem.h>
#include <linux/ioport.h>
#include <linux/kthread.h>
#include <linux/memremap.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/swait.h>
#include <linux/vmalloc.h>
#include <kunit/device.h>
#include <kunit/test.h>

#include "zone_device_fixture_priv.h"

/* How long teardown waits for memunmap_pages() before leaking the device. */
#define ZDT_TEARDOWN_TIMEOUT_MS	2000
/*
 * KUnit runs the teardown in another thread once the case's thread has
 * signalled its end, which may be before that thread's exit_mmap() unmapped
 * the test's user memory: a device page still mapped there drops its
 * reference a little later.  The leak check waits this long for that.
 */
#define ZDT_SETTLE_MS		1000

/*
 * RAM reserved for the non-private types, "SIZE@START" as memmap= takes it.
 * Without CONFIG_PCI the reserved range never shows up in iomem, so the test
 * cannot find it by itself.
 */
static phys_addr_t zdt_ram_start;
static phys_addr_t zdt_ram_size;

/*
 * The reserved RAM is handed out in slots of one subsection (what
 * memremap_pages() aligns to): a device takes the first run of free slots it
 * fits in and gives them back when it is torn down.  A device the teardown
 * leaks (the kernel kept one of its pages) keeps its slots, so the cases
 * after it still get RAM of their own: a kernel bug fails the case it
 * happened in, not every later case that needs reserved RAM.
 */
#define ZDT_RAM_SLOT		(PAGES_PER_SUBSECTION << PAGE_SHIFT)
#define ZDT_RAM_SLOTS_MAX	256
static DECLARE_BITMAP(zdt_ram_used, ZDT_RAM_SLOTS_MAX);
static DEFINE_MUTEX(zdt_ram_lock);

/* The first slot of a free run of @nr, taken; or -ENOSPC. */
static long zdt_ram_take(unsigned long nr)
{
	unsigned long slots = min_t(unsigned long, zdt_ram_size / ZDT_RAM_SLOT,
				    ZDT_RAM_SLOTS_MAX);
	unsigned long first;

	mutex_lock(&zdt_ram_lock);
	first = bitmap_find_next_zero_area(zdt_ram_used, slots, 0, nr, 0);
	if (first < slots)
		bitmap_set(zdt_ram_used, first, nr);
	mutex_unlock(&zdt_ram_lock);
	return first < slots ? (long)first : -ENOSPC;
}

static void zdt_ram_give_back(unsigned long first, unsigned long nr)
{
	mutex_lock(&zdt_ram_lock);
	bitmap_clear(zdt_ram_used, first, nr);
	mutex_unlock(&zdt_ram_lock);
}

static int zdt_param_set(const char *val, const struct kernel_param *kp)
{
	char *end;
	u64 size, start;

	size = memparse(val, &end);
	if (*end != '@')
		return -EINVAL;
	start = memparse(end + 1, &end);
	if ((*end && *end != '\n') || !size || !PAGE_ALIGNED(size) ||
	    !PAGE_ALIGNED(start))
		return -EINVAL;
	zdt_ram_start = start;
	zdt_ram_size = size;
	return 0;
}

static int zdt_param_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%llu@%llu\n", (u64)zdt_ram_size,
			  (u64)zdt_ram_start);
}

static const struct kernel_param_ops zdt_param_ops = {
	.set = zdt_param_set,
	.get = zdt_param_get,
};
module_param_cb(coherent, &zdt_param_ops, NULL, 0444);
MODULE_PARM_DESC(coherent,
		 "SIZE@START of RAM reserved with memmap=SIZE!START, used for device-coherent, generic, fsdax and p2pdma pgmaps");

static struct zdt_device *to_zdt(struct dev_pagemap *pgmap)
{
	return container_of(pgmap, struct zdt_device, pgmap);
}

/*
 * Which pages are out, as a driver's allocator knows it: set here, cleared
 * by the free callback for the whole folio freed.  A page's refcount cannot
 * tell: the tail pages of a large folio that is out are at 0 too.
 */
static long zdt_busy_take(struct zdt_device *dev, unsigned long n)
{
	unsigned long flags, i;

	spin_lock_irqsave(&dev->busy_lock, flags);
	i = bitmap_find_next_zero_area(dev->busy, dev->nr_pages, 0, n, n - 1);
	if (i < dev->nr_pages)
		bitmap_set(dev->busy, i, n);
	spin_unlock_irqrestore(&dev->busy_lock, flags);
	return i < dev->nr_pages ? (long)i : -ENOSPC;
}

static void zdt_busy_give_back(struct zdt_device *dev, unsigned long i,
			       unsigned long n)
{
	unsigned long flags;

	spin_lock_irqsave(&dev->busy_lock, flags);
	bitmap_clear(dev->busy, i, n);
	spin_unlock_irqrestore(&dev->busy_lock, flags);
}

/*
 * What must hold of every page a driver's free callback gets
 * (free_zone_device_folio(): the stale anon mapping "will cause errors if
 * not cleared"; nothing maps a page whose last reference went; whoever
 * locked it unlocked it, as free_pages_prepare() demands of any page
 * (PAGE_FLAGS_CHECK_AT_FREE has PG_locked, not PG_waiters, which may stay
 * set); every page of the folio is part of it, none the tail of a folio
 * that no longer exists); the first thing that does not, for the teardown
 * to report.
 */
static const char *zdt_unclean(struct page *page)
{
	struct folio *folio = page_folio(page);
	unsigned long i;

	if (folio->mapping)
		return "folio->mapping still set";
	if (folio_mapped(folio))
		return "still mapped";
	if (folio_test_locked(folio))
		return "still locked";
	for (i = 0; i < folio_nr_pages(folio); i++)
		if (page_folio(folio_page(folio, i)) != folio)
			return "a page of it belongs to another folio";
	return NULL;
}

static void zdt_device_free_cb(ZDT_FREE_ARG *arg)
{
	struct page *page = zdt_free_arg_page(arg);
	struct zdt_device *dev = to_zdt(zdt_page_pgmap(page));
	struct page *backing = page->zone_device_data;
	const char *unclean = zdt_unclean(page);

	dev->free_refcount = page_ref_count(page);
	dev->free_locked = PageLocked(page);
	if (unclean && !dev->free_unclean) {
		dev->free_unclean = unclean;
		dev->free_unclean_pfn = page_to_pfn(page);
	}
	zdt_busy_give_back(dev, page_to_pfn(page) - dev->pfn_first,
			   folio_nr_pages(page_folio(page)));
	atomic_inc(&dev->nr_free);
	if (backing) {
		unsigned long i, nr = 1UL << compound_order(page);

		/* split_page()d at allocation: one page at a time. */
		for (i = 0; i < nr; i++)
			__free_page(backing + i);
		page->zone_device_data = NULL;
	}
}

/*
 * A large device-private folio split into smaller ones (a partial-range
 * migrate_vma_setup(), split_folio()): each new folio gets its share of the
 * backing pages, as lib/test_hmm.c's dmirror_devmem_folio_split() does.
 * Called once per new folio @tail, then with NULL.  Only kernels with large
 * device folios call it (ZDT_FOLIO_SPLIT_OP).
 */
static void __maybe_unused
zdt_device_folio_split_cb(struct folio *head, struct folio *tail)
{
	struct page *backing = folio_page(head, 0)->zone_device_data;

	if (!tail)
		return;
	tail->page.zone_device_data =
		backing ? backing + (folio_pfn(tail) - folio_pfn(head)) : NULL;
	zdt_folio_set_pgmap(tail, zdt_page_pgmap(&head->page));
	tail->page.mapping = head->page.mapping;
}

/* The system page holding the data of device page @page (PRIVATE only). */
static struct page *zdt_backing_page(struct page *page)
{
	struct folio *folio = page_folio(page);
	struct page *backing = folio_page(folio, 0)->zone_device_data;

	return backing ? backing + folio_page_idx(folio, page) : NULL;
}

/*
 * A locked system folio of @order for @vma at @addr holding the data of the
 * 1 << @order device pages from @spage on: its dst entry (MIGRATE_PFN_COMPOUND
 * if large), or 0 if none could be allocated.
 */
unsigned long zdt_ram_copy(struct vm_area_struct *vma, unsigned long addr,
			   struct page *spage, unsigned int order)
{
	struct folio *folio = NULL;
	struct page *page;
	unsigned long i;

	if (order) {
		folio = zdt_vma_alloc_folio(order, vma, addr);
	} else {
		page = alloc_page_vma(GFP_HIGHUSER_MOVABLE, vma, addr);
		folio = page ? page_folio(page) : NULL;
	}
	if (!folio)
		return 0;
	folio_lock(folio);
	for (i = 0; i < (1UL << order); i++)
		memcpy(page_address(folio_page(folio, i)), zdt_page_data(spage + i),
		       PAGE_SIZE);
	return migrate_pfn(folio_pfn(folio)) | (order ? ZDT_MIGRATE_PFN_COMPOUND : 0);
}

/*
 * The source pages of @args other than the fault page, referenced by
 * zdt_others_get() before migrate_vma_finalize(): after it, how many are
 * still locked: finalize unlocks every source page but the fault page,
 * which since 1afaeb8293c9 ("mm/migrate: Trylock device page in
 * do_swap_page") stays locked for do_swap_page() to unlock.
 */
static int zdt_others_get(struct migrate_vma *args, unsigned long nr)
{
	unsigned long i;
	int n = 0;

	for (i = 0; i < nr; i++) {
		struct page *page = migrate_pfn_to_page(args->src[i]);

		if (page && page != args->fault_page) {
			get_page(page);
			n++;
		}
	}
	return n;
}

static int zdt_others_put(struct migrate_vma *args, unsigned long nr)
{
	unsigned long i;
	int locked = 0;

	for (i = 0; i < nr; i++) {
		struct page *page = migrate_pfn_to_page(args->src[i]);

		if (page && page != args->fault_page) {
			locked += PageLocked(page);
			put_page(page);
		}
	}
	return locked;
}

/*
 * Moves the faulting device-private folio back to system RAM, as
 * lib/test_hmm.c's dmirror_devmem_fault() does: a PTE fault moves its page,
 * a PMD fault (do_huge_pmd_device_private(), no vmf->pte) the whole large
 * folio into one large system folio.  With dev->fault_range a PTE fault moves
 * that aligned chunk around the fault, page by page, as Xe, amdgpu and
 * nouveau do; a page migrate_vma_setup() does not select (someone holds a
 * reference, another owner's) stays where it is.  Records what the callback
 * saw when it ran; a case can make it fail first (dev->fault_ret).
 */
static vm_fault_t zdt_device_migrate_to_ram_cb(struct vm_fault *vmf)
{
	struct zdt_device *dev = to_zdt(zdt_page_pgmap(vmf->page));
	unsigned int order = vmf->pte ? 0 : folio_order(page_folio(vmf->page));
	unsigned int chunk = vmf->pte ? max(READ_ONCE(dev->fault_range), 1U) : 1;
	unsigned long size = (PAGE_SIZE << order) * chunk;
	unsigned long start = max(ALIGN_DOWN(vmf->address, size), vmf->vma->vm_start);
	unsigned long end = min(ALIGN_DOWN(vmf->address, size) + size, vmf->vma->vm_end);
	unsigned long nr = (end - start) >> PAGE_SHIFT;
	unsigned long fault_idx = (ALIGN_DOWN(vmf->address, PAGE_SIZE << order) - start) >>
				  PAGE_SHIFT;
	struct migrate_vma args = {
		.vma		= vmf->vma,
		.start		= start,
		.end		= end,
		.pgmap_owner	= dev,
		.flags		= MIGRATE_VMA_SELECT_DEVICE_PRIVATE |
				  (order ? ZDT_MIGRATE_VMA_SELECT_COMPOUND : 0),
		.fault_page	= vmf->page,
	};
	unsigned long small_src = 0, small_dst = 0, i, moved = 0;
	struct completion *gate;
	int others;
	vm_fault_t ret;

	dev->fault_locked = folio_test_locked(page_folio(vmf->page));
	dev->fault_refcount = folio_ref_count(page_folio(vmf->page));
	atomic_inc(&dev->nr_migrate_to_ram);
	ret = READ_ONCE(dev->fault_ret);
	if (ret)
		return ret;
	gate = READ_ONCE(dev->fault_gate);
	if (gate)
		wait_for_completion_timeout(gate, msecs_to_jiffies(ZDT_ACCESS_MS));

	args.src = nr > 1 ? kcalloc(nr, sizeof(*args.src), GFP_KERNEL) : &small_src;
	args.dst = nr > 1 ? kcalloc(nr, sizeof(*args.dst), GFP_KERNEL) : &small_dst;
	if (!args.src || !args.dst) {
		ret = VM_FAULT_OOM;
		goto out;
	}
	if (migrate_vma_setup(&args)) {
		ret = VM_FAULT_SIGBUS;
		goto out;
	}
	for (i = 0; i < nr; i += order ? nr : 1) {
		unsigned int o = args.src[i] & ZDT_MIGRATE_PFN_COMPOUND ? order : 0;

		if (!(args.src[i] & MIGRATE_PFN_MIGRATE))
			continue;
		args.dst[i] = zdt_ram_copy(vmf->vma, o ? start : start + i * PAGE_SIZE,
					   migrate_pfn_to_page(args.src[i]), o);
		if (args.dst[i])
			args.dst[i] |= args.src[i] & MIGRATE_PFN_WRITE;
		else if (i == fault_idx)
			ret = VM_FAULT_OOM;
		if (o)
			break;
	}
	if (ret) {
		migrate_vma_finalize(&args);
		goto out;
	}
	migrate_vma_pages(&args);
	for (i = 0; i < nr; i++)
		moved += !!(args.src[i] & MIGRATE_PFN_MIGRATE);
	if (args.src[fault_idx] & MIGRATE_PFN_MIGRATE)
		atomic_inc(&dev->nr_migrated_to_ram);
	atomic_add(moved, &dev->nr_pages_to_ram);
	others = zdt_others_get(&args, nr);
	migrate_vma_finalize(&args);
	dev->fault_locked_after = folio_test_locked(page_folio(vmf->page));
	dev->others_locked_after = zdt_others_put(&args, nr);
	dev->others_collected = others;
out:
	if (nr > 1) {
		kfree(args.src);
		kfree(args.dst);
	}
	return ret;
}

static const struct dev_pagemap_ops zdt_ops = {
	.ZDT_FREE_OP	= zdt_device_free_cb,
	.migrate_to_ram	= zdt_device_migrate_to_ram_cb,
	ZDT_FOLIO_SPLIT_OP(zdt_device_folio_split_cb)
};

const struct dev_pagemap_ops zdt_ops_without_free = {
	.migrate_to_ram	= zdt_device_migrate_to_ram_cb,
};
EXPORT_SYMBOL_GPL(zdt_ops_without_free);

const struct dev_pagemap_ops zdt_ops_without_migrate_to_ram = {
	.ZDT_FREE_OP	= zdt_device_free_cb,
};
EXPORT_SYMBOL_GPL(zdt_ops_without_migrate_to_ram);

struct zdt_unmap {
	struct dev_pagemap *pgmap;
	struct zdt_device *dev;		/* devm: @dev->owner goes away instead */
	struct task_struct *task;
	bool entered;			/* about to call memunmap_pages() */
	struct completion done;
};

/*
 * A devm pgmap: its device's release must unmap it.  A pgmap still live
 * afterwards would be freed mapped with the zdt_device: unmapped here.
 */
static void zdt_unmap_devm(struct zdt_unmap *u)
{
	struct zdt_device *dev = u->dev;
	struct dev_pagemap *live;

	kunit_device_unregister(dev->test, dev->owner);
	live = zdt_get_dev_pagemap(dev->pfn_first);
	if (live)
		put_dev_pagemap(live);
	if (live != u->pgmap)
		return;
	WRITE_ONCE(dev->devm_kept, true);
	memunmap_pages(u->pgmap);
}

static int zdt_unmap_fn(void *data)
{
	struct zdt_unmap *u = data;

	WRITE_ONCE(u->entered, true);
	if (u->dev)
		zdt_unmap_devm(u);
	else
		memunmap_pages(u->pgmap);
	complete(&u->done);
	return 0;
}

static void zdt_unmap_free(struct zdt_unmap *u)
{
	put_task_struct(u->task);
	kfree(u);
}

void zdt_device_unmap_start(struct zdt_device *dev)
{
	struct zdt_unmap *u;
	struct task_struct *t;

	if (!dev->mapped || dev->unmap)
		return;
	/* Not test-managed: a thread stuck in memunmap_pages() still uses it. */
	u = kzalloc_obj(*u);
	KUNIT_ASSERT_NOT_NULL(dev->test, u);
	u->pgmap = &dev->pgmap;
	u->dev = dev->owner ? dev : NULL;
	init_completion(&u->done);
	t = kthread_create(zdt_unmap_fn, u, "zdt-unmap");
	if (IS_ERR(t)) {
		kfree(u);
		KUNIT_FAIL_AND_ABORT(dev->test, "kthread_create: %pe", t);
	}
	/* Watched by zdt_device_unmap_blocked(), even once it has exited. */
	u->task = get_task_struct(t);
	dev->unmap = u;
	wake_up_process(t);
}
EXPORT_SYMBOL_GPL(zdt_device_unmap_start);

int zdt_device_unmap_wait(struct zdt_device *dev, unsigned int timeout_ms)
{
	if (!dev->unmap)
		return dev->mapped ? -EINVAL : 0;
	if (!wait_for_completion_timeout(&dev->unmap->done,
					 msecs_to_jiffies(timeout_ms)))
		return -ETIMEDOUT;
	zdt_unmap_free(dev->unmap);
	dev->unmap = NULL;
	dev->mapped = false;
	return 0;
}
EXPORT_SYMBOL_GPL(zdt_device_unmap_wait);

enum zdt_unmap_state zdt_device_unmap_blocked(struct zdt_device *dev,
					      unsigned int timeout_ms)
{
	struct zdt_unmap *u = dev->unmap;
	unsigned long end = jiffies + msecs_to_jiffies(timeout_ms);

	if (!u)
		return dev->mapped ? ZDT_UNMAP_RUNNING : ZDT_UNMAP_FINISHED;
	for (;;) {
		if (completion_done(&u->done))
			return ZDT_UNMAP_FINISHED;
		/*
		 * Asleep on pgmap->done: memunmap_pages() killed the ref
		 * first.  complete() takes the waiter off the queue, and the
		 * waiter consumes done, so the queue is what tells.
		 */
		if (READ_ONCE(u->entered) && swait_active(&u->pgmap->done.wait) &&
		    (READ_ONCE(u->task->__state) & TASK_UNINTERRUPTIBLE))
			break;
		if (time_after(jiffies, end))
			return ZDT_UNMAP_RUNNING;
		usleep_range(1000, 2000);
	}
	/* The kill's last put is an RCU callback (percpu_ref_kill()). */
	rcu_barrier();
	if (!swait_active(&u->pgmap->done.wait) || completion_done(&u->done))
		return ZDT_UNMAP_FINISHED;
	return ZDT_UNMAP_BLOCKED;
}
EXPORT_SYMBOL_GPL(zdt_device_unmap_blocked);

/*
 * The refcount of a page nobody holds: the value memremap_pages() starts it
 * at, which is also what the final put leaves (0, or 1 for the 1-based types).
 */
static int zdt_free_refcount(enum memory_type type)
{
	return zdt_initial_refcount(type);
}

static void zdt_device_destroy(void *data)
{
	struct zdt_device *dev = data;
	struct kunit *test = dev->test;
	int want = zdt_free_refcount(dev->pgmap.type);
	/* Only allocated PRIVATE/COHERENT pages hold pgmap references. */
	bool pins_pgmap = dev->pgmap.type == MEMORY_DEVICE_PRIVATE ||
			  dev->pgmap.type == MEMORY_DEVICE_COHERENT;
	unsigned long i, settle;

	/* Nothing the case holds may keep a device page: mappings, threads ... */
	zdt_release_held(test, NULL);
	if (dev->free_unclean)
		KUNIT_FAIL(test, "a device page reached the free callback unclean: pfn %#lx: %s",
			   dev->free_unclean_pfn, dev->free_unclean);
	settle = jiffies + msecs_to_jiffies(ZDT_SETTLE_MS);
	/*
	 * A compound pgmap's tail pages stay at 0: its heads tell.  An
	 * altmap's pfns are not the pgmap's pages.
	 */
	for (i = vmem_altmap_offset(pgmap_altmap(&dev->pgmap));
	     dev->mapped && !dev->unmap && i < dev->nr_pages;
	     i += pgmap_vmemmap_nr(&dev->pgmap)) {
		struct page *page = zdt_device_page(dev, i);

		while (page_ref_count(page) != want &&
		       time_before(jiffies, settle))
			usleep_range(1000, 2000);
		if (page_ref_count(page) == want)
			continue;
		if (pins_pgmap) {
			KUNIT_FAIL(test,
				   "teardown: page %lu has refcount %d, free is %d: device leaked so that memunmap_pages() cannot hang",
				   i, page_ref_count(page), want);
			return;
		}
		KUNIT_FAIL(test, "teardown: page %lu has refcount %d, free is %d",
			   i, page_ref_count(page), want);
		break;
	}
	zdt_device_unmap_start(dev);
	if (zdt_device_unmap_wait(dev, ZDT_TEARDOWN_TIMEOUT_MS)) {
		KUNIT_FAIL(test,
			   "teardown: memunmap_pages() still waiting after %d ms (a pgmap reference leaked); device leaked",
			   ZDT_TEARDOWN_TIMEOUT_MS);
		return;
	}
	if (dev->res)
		release_mem_region(dev->res->start, resource_size(dev->res));
	else
		zdt_ram_give_back(dev->ram_slot, dev->ram_slots);
	bitmap_free(dev->busy);
	kfree(dev);
}

struct zdt_device *zdt_device_prepare(struct kunit *test, enum memory_type type,
				      unsigned long nr_pages)
{
	unsigned long size = nr_pages << PAGE_SHIFT;
	struct zdt_device *dev;
	phys_addr_t start;

	if (type == MEMORY_DEVICE_PRIVATE) {
		if (!IS_ENABLED(CONFIG_DEVICE_PRIVATE))
			zdt_skip(test, ZDT_NO_DEVICE_PRIVATE);
	} else if (!zdt_ram_size) {
		zdt_skip(test, ZDT_NO_RESERVED_RAM);
	} else if (size > zdt_ram_size) {
		zdt_skip(test, "needs %lu bytes of reserved RAM, coherent= gives %llu",
			 size, (u64)zdt_ram_size);
	}

	/* Freed by zdt_device_destroy(), or leaked with a stuck unmap. */
	dev = kzalloc_obj(*dev);
	KUNIT_ASSERT_NOT_NULL(test, dev);
	dev->busy = bitmap_zalloc(nr_pages, GFP_KERNEL);
	if (!dev->busy) {
		kfree(dev);
		KUNIT_FAIL_AND_ABORT(test, "bitmap_zalloc(%lu)", nr_pages);
	}
	spin_lock_init(&dev->busy_lock);
	dev->test = test;
	dev->nr_pages = nr_pages;
	atomic_set(&dev->nr_free, 0);
	atomic_set(&dev->nr_migrate_to_ram, 0);
	atomic_set(&dev->nr_migrated_to_ram, 0);
	atomic_set(&dev->nr_pages_to_ram, 0);

	if (type == MEMORY_DEVICE_PRIVATE) {
		struct resource *res = request_free_mem_region(&iomem_resource,
							       size,
							       "zone_device_kunit");

		if (IS_ERR(res)) {
			bitmap_free(dev->busy);
			kfree(dev);
			KUNIT_FAIL_AND_ABORT(test, "request_free_mem_region: %pe",
					     res);
		}
		dev->res = res;
		start = res->start;
	} else {
		long slot;

		dev->ram_slots = DIV_ROUND_UP(size, ZDT_RAM_SLOT);
		slot = zdt_ram_take(dev->ram_slots);
		if (slot < 0) {
			bitmap_free(dev->busy);
			kfree(dev);
			KUNIT_FAIL_AND_ABORT(test,
					     "no %lu bytes of the reserved RAM left: earlier devices were leaked",
					     size);
		}
		dev->ram_slot = slot;
		start = zdt_ram_start + slot * ZDT_RAM_SLOT;
	}

	dev->pgmap.type = type;
	dev->pgmap.range.start = start;
	dev->pgmap.range.end = start + size - 1;
	dev->pgmap.nr_range = 1;
	dev->pgmap.ops = &zdt_ops;
	dev->pgmap.owner = dev;
	dev->pfn_first = PHYS_PFN(start);

	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, zdt_device_destroy, dev));
	return dev;
}
EXPORT_SYMBOL_GPL(zdt_device_prepare);

int zdt_device_map(struct zdt_device *dev)
{
	void *addr = memremap_pages(&dev->pgmap, numa_node_id());

	if (IS_ERR(addr))
		return PTR_ERR(addr);
	dev->mapped = true;
	return 0;
}
EXPORT_SYMBOL_GPL(zdt_device_map);

struct zdt_device *zdt_device_create(struct kunit *test, enum memory_type type,
				     unsigned long nr_pages)
{
	struct zdt_device *dev = zdt_device_prepare(test, type, nr_pages);
	int err = zdt_device_map(dev);

	KUNIT_ASSERT_EQ_MSG(test, err, 0, "memremap_pages(type %d): %d",
			    type, err);
	return dev;
}
EXPORT_SYMBOL_GPL(zdt_device_create);

struct zdt_device *zdt_device_create_devm(struct kunit *test,
					  enum memory_type type,
					  unsigned long nr_pages)
{
	/*
	 * Registered before the zdt_device, so that KUnit tears the device
	 * down first: its teardown unregisters the owner (bounded), and
	 * KUnit then has nothing left to unregister.
	 */
	struct device *owner = kunit_device_register(test, "zdt-devm");
	struct zdt_device *dev;
	void *addr;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, owner);
	dev = zdt_device_prepare(test, type, nr_pages);
	addr = devm_memremap_pages(owner, &dev->pgmap);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(addr), "devm_memremap_pages(type %d): %pe",
			       type, addr);
	dev->owner = owner;
	dev->mapped = true;
	return dev;
}
EXPORT_SYMBOL_GPL(zdt_device_create_devm);

struct page *zdt_memmap_page(const struct page *page)
{
	if (!IS_ENABLED(CONFIG_SPARSEMEM_VMEMMAP) ||
	    IS_ENABLED(CONFIG_DEBUG_VIRTUAL))
		return NULL;
	return vmalloc_to_page(page);
}
EXPORT_SYMBOL_GPL(zdt_memmap_page);

struct page *zdt_device_alloc_page(struct zdt_device *dev, unsigned int order)
{
	unsigned long n = 1UL << order;
	struct page *page, *backing = NULL;
	long i = zdt_busy_take(dev, n);

	if (i < 0)
		return NULL;
	page = zdt_device_page(dev, i);
	/* lock_page() on it would never return: say so instead. */
	if (PageLocked(page))
		KUNIT_FAIL_AND_ABORT(dev->test,
				     "free device page %ld is still locked (freed without unlock)",
				     i);
	/*
	 * Device-private memory is not addressable: keep its data in system
	 * pages, as lib/test_hmm.c does.
	 */
	if (dev->pgmap.type == MEMORY_DEVICE_PRIVATE) {
		backing = alloc_pages(GFP_KERNEL | __GFP_ZERO, order);
		if (!backing) {
			zdt_busy_give_back(dev, i, n);
			return NULL;
		}
		/* So that a split device folio frees its share. */
		split_page(backing, order);
	}
	zdt_zone_device_init(page, &dev->pgmap, order);
	page->zone_device_data = backing;
	return page;
}
EXPORT_SYMBOL_GPL(zdt_device_alloc_page);

void *zdt_page_data(struct page *page)
{
	if (is_device_private_page(page))
		return page_address(zdt_backing_page(page));
	return page_address(page);
}
EXPORT_SYMBOL_GPL(zdt_page_data);
