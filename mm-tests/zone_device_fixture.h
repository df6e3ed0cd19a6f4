/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the zone-device KUnit suites build on, the one header they include
 * (every helper has kernel-doc below): fake ZONE_DEVICE devices, a
 * dev_pagemap of a chosen type with counting ops, owned by the test and torn
 * down by KUnit even when a case fails; user memory, migrations driven as a
 * driver does, bounded helper threads, and whatever a case takes handed to
 * KUnit (zdt_hold()).  Resources are cleaned up automatically.
 *
 * One module, zone_device_fixture, in rooms: zone_device_fixture_case.c (a
 * case's begin and end, its data), _log.c (the kernel-log watch), _hold.c
 * (what a case takes), _user.c (user memory), _thread.c (bounded accesses),
 * _notifier.c, _device.c (the fake device and its migrate_to_ram()),
 * _migrate.c (migrations driven as a driver does) and _none.c (a kernel
 * without ZONE_DEVICE).
 *
 * MEMORY_DEVICE_PRIVATE needs no memory behind it: a free physical range from
 * request_free_mem_region(), as lib/test_hmm.c does.  Every other type needs
 * real RAM the kernel does not use, reserved at boot and given as
 * zone_device_fixture.coherent=SIZE@START; without it those cases SKIP and
 * say so (ZDT_NO_RESERVED_RAM).
 */
#ifndef _MM_TESTS_ZONE_DEVICE_FIXTURE_H
#define _MM_TESTS_ZONE_DEVICE_FIXTURE_H

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/memremap.h>
#include <linux/mman.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <kunit/test.h>

#include "zone_device_caps.h"
#include "zone_device_compat.h"

/* Pages per device unless a case asks otherwise: one PMD, one subsection. */
#define ZDT_DEVICE_PAGES	512UL

/* Bytes of a page every data check writes and compares: its first ZDT_DATA_LEN. */
#define ZDT_DATA_LEN		64

/* Bound on one CPU access finishing (it takes microseconds when it works). */
#define ZDT_ACCESS_MS		2000

struct zdt_unmap;

/**
 * enum zdt_unmap_state - what zdt_device_unmap_blocked() saw
 * @ZDT_UNMAP_BLOCKED: memunmap_pages() waits for a pgmap reference
 * @ZDT_UNMAP_FINISHED: it finished, or nothing references the pgmap
 * @ZDT_UNMAP_RUNNING: its thread was never seen asleep in it
 */
enum zdt_unmap_state {
	ZDT_UNMAP_BLOCKED,
	ZDT_UNMAP_FINISHED,
	ZDT_UNMAP_RUNNING,
};

/**
 * zdt_skip() - kunit_skip(), unless the case has failed already
 * @test: the case
 * @fmt: what is missing, as for kunit_skip()
 *
 * kunit_skip() marks the case SKIPPED whatever it was (kunit_mark_skipped()
 * overwrites the status), so a skip after a failed expectation would erase
 * the failure.  A case that has failed ends as a FAIL instead, the skip's
 * reason in the message.  Every skip in the suites is this one.
 */
#define zdt_skip(test, fmt, ...)					\
	do {								\
		struct kunit *__zdt_test = (test);			\
		bool __zdt_failed = READ_ONCE(__zdt_test->status) ==	\
				    KUNIT_FAILURE;			\
									\
		kunit_mark_skipped(__zdt_test, fmt, ##__VA_ARGS__);	\
		zdt_skip_end(__zdt_test, __zdt_failed);			\
	} while (0)

/* zdt_skip()'s end: the skip, or a FAIL if the case had @failed before. */
static inline void zdt_skip_end(struct kunit *test, bool failed)
{
	if (failed)
		KUNIT_FAIL_AND_ABORT(test, "failed, then would skip: %s",
				     test->status_comment);
	kunit_try_catch_throw(&test->try_catch);
}

/**
 * zdt_case_begin() - start a case of a zone-device suite
 * @test: the case
 *
 * Every suite's .init calls it first (or is it).  From here until the case's
 * last cleanup (the device teardown included) the kernel log is watched
 * (the printk ring buffer, whatever the console loglevel): a
 * WARN, BUG, bad page state, lockdep report, RCU stall or hung task reported
 * meanwhile fails the case with the splat's first lines, unless the case
 * declared it with zdt_splat_expected().  One case at a time.
 *
 * Return: 0, so that it can be a suite's .init.
 */
int zdt_case_begin(struct kunit *test);

/**
 * zdt_migrate_case_begin() - start a case of a migration suite
 * @test: the case
 *
 * zdt_case_begin(), then skips the case (ZDT_NO_DEVICE_MIGRATION) on a
 * kernel without CONFIG_DEVICE_MIGRATION, so that such a suite needs no
 * stub per case.
 *
 * Return: 0, so that it can be a suite's .init.
 */
int zdt_migrate_case_begin(struct kunit *test);

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
 * zdt_check_outside_cases() - fail on splats that came outside every case
 * @test: the case that reports them (zone_device_watch's)
 *
 * Fails @test once for each splat printed outside every case's window, as
 * the log watch read them up to @test's own start (zdt_case_begin()), since
 * boot or the last call: at boot, in a suite's init or exit, between two
 * cases, from a thread that outlived its case.  Each is shown with the case
 * it came after.
 */
void zdt_check_outside_cases(struct kunit *test);

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
 * zdt_put_data() - zdt_fill() of the ZDT_DATA_LEN bytes a data check compares
 * @test: the case
 * @data: where
 * @tag: which of the case's buffers
 */
void zdt_put_data(struct kunit *test, void *data, unsigned long tag);

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

/*
 * What a case takes is handed to KUnit: every helper below that takes a page
 * reference, a page lock, a user mapping or a thread for the case releases it
 * when the case ends, failed or not, so that an assertion may fail anywhere
 * and the next case starts clean.  A device's teardown releases them first
 * (see zdt_hold()), whatever the order they were taken in.
 */

/**
 * enum zdt_hold_stage - the order zdt_release_held() releases things in
 * @ZDT_HELD_PAGE: references, pins and locks on pages (latest first)
 * @ZDT_HELD_THREAD: helper threads, which may wait on those
 * @ZDT_HELD_MAPPING: user mappings, which the threads may be using
 * @ZDT_HELD_STAGES: how many stages there are
 */
enum zdt_hold_stage {
	ZDT_HELD_PAGE,
	ZDT_HELD_THREAD,
	ZDT_HELD_MAPPING,
	ZDT_HELD_STAGES,
};

/**
 * zdt_hold() - hand something the case took to KUnit
 * @test: the case
 * @stage: when it is released relative to the rest
 * @release: what releases it (called once, with @data)
 * @data: what it releases
 *
 * @release(@data) runs when the case ends or a device of the case is torn
 * down, whichever comes first, or when the case calls zdt_release().  Any
 * thread may hold for the case.  If KUnit cannot take it, @data is released
 * at once and the case fails.
 */
void zdt_hold(struct kunit *test, enum zdt_hold_stage stage,
	      kunit_action_t *release, void *data);

/**
 * zdt_release() - release now what zdt_hold() handed to KUnit
 * @test: the case
 * @release: as given to zdt_hold()
 * @data: as given to zdt_hold(); the latest hold of both is released
 */
void zdt_release(struct kunit *test, kunit_action_t *release, void *data);

/**
 * zdt_has_data() - whether @data holds what zdt_put_data() wrote with @tag
 * @test: the case
 * @data: its first ZDT_DATA_LEN bytes are compared
 * @tag: the tag they were written with
 *
 * Return: true if every byte matches.
 */
bool zdt_has_data(struct kunit *test, const void *data, unsigned long tag);

/**
 * zdt_get_page() - a page reference of the case's own
 * @test: the case
 * @page: the page
 *
 * get_page(); put back with zdt_put_page(), or when the case ends.
 */
void zdt_get_page(struct kunit *test, struct page *page);

/**
 * zdt_put_page() - put now a reference zdt_get_page() or zdt_own_page() gave
 * @test: the case
 * @page: the page (the latest of its references the case holds)
 */
void zdt_put_page(struct kunit *test, struct page *page);

/**
 * zdt_forget_page() - let go of a reference of the case without putting it
 * @test: the case
 * @page: the page (the latest of its references the case holds), whose
 *	memmap a broken kernel's memunmap_pages() removes: never touched again
 */
void zdt_forget_page(struct kunit *test, struct page *page);

/**
 * zdt_own_page() - hand a reference the case has to KUnit
 * @test: the case
 * @page: the page, with a reference the case got elsewhere
 *	(zdt_device_alloc_page())
 *
 * Put with zdt_put_page(), or when the case ends.
 */
void zdt_own_page(struct kunit *test, struct page *page);

/**
 * zdt_lock_page() - hold a page locked for the case
 * @test: the case
 * @page: the page, which must be unlocked (trylock_page(): a page a bug left
 *	locked fails the case instead of hanging it)
 *
 * Unlocked with zdt_unlock_page(), or when the case ends.
 */
void zdt_lock_page(struct kunit *test, struct page *page);

/**
 * zdt_unlock_page() - unlock now a page zdt_lock_page() locked
 * @test: the case
 * @page: the page; left alone if something else unlocked it meanwhile
 *	(unlocking an unlocked page would BUG)
 */
void zdt_unlock_page(struct kunit *test, struct page *page);

/**
 * zdt_own_page_lock() - hand a page lock the case already holds to KUnit
 * @test: the case
 * @page: the page, locked by the case or for it (make_device_exclusive()
 *	returns it locked)
 *
 * Unlocked with zdt_unlock_page(), or when the case ends.
 */
void zdt_own_page_lock(struct kunit *test, struct page *page);

/**
 * zdt_user_map() - private anonymous memory of the test's mm
 * @test: the case
 * @len: bytes
 *
 * kunit_vm_mmap(), checked both ways (0 and an error value), read-write and
 * not touched yet.  Unmapped before any device of the case is torn down, so
 * that no device page stays mapped there (the test's mm itself may outlive
 * the teardown).
 *
 * Return: its user address.
 */
unsigned long zdt_user_map(struct kunit *test, unsigned long len);

/**
 * zdt_user_map_prot() - zdt_user_map() with other protections
 * @test: the case
 * @len: bytes
 * @prot: PROT_* (PROT_READ alone: a page a migration fills read-only)
 *
 * Return: its user address.
 */
unsigned long zdt_user_map_prot(struct kunit *test, unsigned long len,
				unsigned long prot);

/**
 * zdt_user_pages() - @npages private anonymous pages, each of its own
 * @test: the case
 * @npages: how many
 *
 * zdt_user_map()ed, and page i faulted in by writing ZDT_DATA_LEN bytes of
 * the case's data for tag i (zdt_fill()), so that it is not the shared zero
 * page and a page that moved to the wrong place shows.  Needs no ZONE_DEVICE.
 *
 * Return: the user address of page 0.
 */
unsigned long zdt_user_pages(struct kunit *test, unsigned long npages);

/**
 * zdt_mapped_page() - the page mapped present at @addr, without faulting
 * @addr: a user address of the test's mm
 *
 * GUP-fast only (on an arch without it, UML, a page-table walk under the
 * mmap lock that sees PTEs only); no reference is kept: the caller compares
 * the pointer.
 *
 * Return: the page, or NULL for a non-present entry (device-private,
 * migration entry).
 */
struct page *zdt_mapped_page(unsigned long addr);

/**
 * zdt_device_private_pte() - the device-private page a PTE at @addr points at
 * @addr: a user address of the test's mm
 * @write: out, may be NULL: whether that entry is writable
 *
 * Reads the PTE under the mmap read lock, without faulting.  A PMD-level
 * entry (a device-private PMD too) is no PTE: a large device folio still
 * mapped by one PMD gives NULL.
 *
 * Return: the page, or NULL where @addr has no device-private PTE.
 */
struct page *zdt_device_private_pte(unsigned long addr, bool *write);

/**
 * struct zdt_page_state - what a page looks like from outside
 * @refcount: folio_ref_count()
 * @mapcount: folio_mapcount()
 * @locked: folio_test_locked()
 */
struct zdt_page_state {
	int refcount;
	int mapcount;
	bool locked;
};

/**
 * zdt_page_state() - read what @page's folio looks like now
 * @page: the page
 *
 * Return: its refcount, mapcount and lock.
 */
struct zdt_page_state zdt_page_state(struct page *page);

/**
 * zdt_expect_page_state() - expect @now to equal @want, field by field
 * @test: the case
 * @now: the state read
 * @want: the state expected
 * @when: completes "refcount ...", "lock ..." in a failure message
 */
void zdt_expect_page_state(struct kunit *test, struct zdt_page_state now,
			   struct zdt_page_state want, const char *when);

/**
 * zdt_drain_lru() - empty the per-CPU LRU batches
 *
 * Each holds a reference on the system folios it carries, so that refcounts
 * compare exactly only after this.  Where ZDT_CAN_DRAIN_LRU is 0 (a module
 * without CONFIG_MEMORY_FAILURE) it does nothing.
 */
void zdt_drain_lru(void);

/**
 * zdt_mprotect() - mprotect(2) of the test's own mm
 * @test: the case
 * @addr: the start, page aligned
 * @len: the length
 * @prot: PROT_* as mprotect(2) takes it
 *
 * What mprotect(@addr, @len, @prot) does, from the test's thread:
 * do_mprotect_pkey() where the kernel exports it for KUnit; otherwise, built
 * in, its steps for a range inside one VMA (mprotect_fixup() in an
 * mmu_gather), and in a module the case skips (zone_device_caps.h).
 *
 * Return: 0, or the error mprotect(2) would return.
 */
int zdt_mprotect(struct kunit *test, unsigned long addr, size_t len,
		 unsigned long prot);

/**
 * zdt_madvise() - madvise(2) of the test's own mm
 * @test: the case
 * @addr: the start, page aligned
 * @len: the length
 * @advice: MADV_* as madvise(2) takes it
 *
 * do_madvise() on current->mm, from the test's thread, where the kernel
 * exports it for KUnit or the fixture is built in; in a module otherwise
 * the case skips (zone_device_caps.h).
 *
 * Return: 0, or the error madvise(2) would return.
 */
int zdt_madvise(struct kunit *test, unsigned long addr, size_t len,
		int advice);

/**
 * zdt_mmap_pgoff() - mmap(2) of anonymous memory in the test's own mm
 * @test: the case
 * @len: the length
 * @prot: PROT_* as mmap(2) takes it
 * @flags: MAP_ANONYMOUS and the rest, as mmap(2) takes them
 *
 * ksys_mmap_pgoff() on current->mm, as the mmap() system call: unlike
 * vm_mmap(), it honours MAP_HUGETLB (hugetlb_file_setup()).  Where the
 * kernel exports it for KUnit or the fixture is built in; in a module
 * otherwise the case skips (zone_device_caps.h).
 *
 * Return: the address, or an error value (IS_ERR_VALUE()).
 */
unsigned long zdt_mmap_pgoff(struct kunit *test, unsigned long len,
			     unsigned long prot, unsigned long flags);

/**
 * zdt_numa_scan() - the NUMA scanner over a range of the test's mm
 * @test: the case
 * @addr: the start, page aligned, inside one VMA
 * @len: the length
 *
 * What task_numa_work() does to [@addr, @addr + @len): change_prot_numa()
 * under the mmap read lock, with the mm held by one more user so that it
 * counts as multi-threaded (a single-threaded process's folios on its own
 * node are skipped, and the VM has one node).  NUMA balancing is turned on
 * (NUMA_BALANCING_NORMAL) for the rest of the case.  Where the kernel
 * exports change_prot_numa() and sysctl_numa_balancing_mode for KUnit or
 * the fixture is built in, with CONFIG_NUMA_BALANCING; otherwise the case
 * skips (zone_device_caps.h).
 *
 * Return: change_prot_numa()'s count of entries it made PROT_NONE.
 */
long zdt_numa_scan(struct kunit *test, unsigned long addr, unsigned long len);

/**
 * zdt_user_pmdp() - the PMD slot of @addr in the test's mm
 * @addr: a user address of current->mm
 *
 * Walks the page table down to the PMD level without allocating or
 * faulting.  The caller holds current->mm's mmap lock and reads the slot
 * with pmdp_get() or pmdp_get_lockless().
 *
 * Return: the slot, or NULL where no PMD table covers @addr yet.
 */
pmd_t *zdt_user_pmdp(unsigned long addr);

/**
 * zdt_user_pte() - the PTE that maps @addr, as it is
 * @addr: a user address of the test's mm
 * @pte: out: the entry
 *
 * Read under the mmap read lock (built in, under the PTE table's lock too),
 * without faulting: its young and dirty bits as the CPU left them.
 *
 * Return: false where no PTE table maps @addr (nothing there yet, or a
 * PMD-level entry).
 */
bool zdt_user_pte(unsigned long addr, pte_t *pte);

/**
 * struct zdt_thread - a task a case starts and waits for, bounded
 * @test: the case
 * @name: what it does, for messages
 * @fn: what it runs once started (zdt_thread_start())
 * @addr: @fn's input: a user address
 * @flags: @fn's input: flags
 * @arg: @fn's input: anything else (not freed)
 * @buf: @fn's output: bytes read
 * @left: @fn's output: what copy_from_user() left
 * @ret: @fn's output: a return value
 * @page: @fn's output: a page
 * @started: set by the task right before it runs @fn
 * @done: completed once @fn returned
 *
 * So that a case can bound an access that may never finish: a fault that
 * never returns is a FAIL and a leaked thread, not a hung kernel.  The
 * fixture owns it (zdt_hold()): the task is let go when the case ends, and
 * freed with its inputs and outputs once it has finished, or leaked with
 * them, and the case failed, if it never does.
 */
struct zdt_thread {
	struct kunit *test;
	const char *name;
	void (*fn)(struct zdt_thread *t);
	unsigned long addr;
	unsigned int flags;
	const void *arg;
	u8 buf[ZDT_DATA_LEN];
	unsigned long left;
	long ret;
	struct page *page;
	bool started;
	struct completion done;
	/* private: */
	struct task_struct *task;
	struct mm_struct *mm;		/* the test's, for a kthread */
	bool go_given, cancelled;
	bool returned;			/* @fn returned */
	unsigned long start_faults;
	struct completion go;
};

/**
 * zdt_thread_create() - a kernel thread of the test's mm that runs @fn
 * @test: the case
 * @name: what it does ("GUP", "CPU read")
 * @fn: run once zdt_thread_start() lets it, with the test's mm in use
 *
 * Return: the thread, waiting for zdt_thread_start(); the case fills in
 * @fn's inputs first.
 */
struct zdt_thread *zdt_thread_create(struct kunit *test, const char *name,
				     void (*fn)(struct zdt_thread *t));

/**
 * zdt_reader_create() - a thread that reads ZDT_DATA_LEN bytes at @addr
 * @test: the case
 * @addr: a user address of the test's mm
 *
 * copy_from_user() into @buf, what it left in @left, once started.
 *
 * Return: the thread, waiting for zdt_thread_start().
 */
struct zdt_thread *zdt_reader_create(struct kunit *test, unsigned long addr);

/**
 * zdt_writer_create() - a thread that writes the case's data for @tag at @addr
 * @test: the case
 * @addr: a user address of the test's mm
 * @tag: what zdt_put_data() fills @buf with
 *
 * copy_to_user() of @buf, what it left in @left, once started.
 *
 * Return: the thread, waiting for zdt_thread_start().
 */
struct zdt_thread *zdt_writer_create(struct kunit *test, unsigned long addr,
				     unsigned long tag);

/**
 * zdt_forked_reader_create() - a reader in a fork of the test's mm
 * @test: the case
 * @addr: the user address to read in the copy
 *
 * As zdt_reader_create(), but from a child the test forks (kernel_clone()
 * without CLONE_VM), so it faults in a copy of the test's mm, as fork() makes
 * it.  Skips the case where the fixture cannot call kernel_clone(): a module
 * on a kernel that does not export it for KUnit (zone_device_caps.h).
 *
 * Return: the thread, waiting for zdt_thread_start().
 */
struct zdt_thread *zdt_forked_reader_create(struct kunit *test,
					    unsigned long addr);

/**
 * zdt_thread_free() - free a finished thread before the case ends
 * @test: the case
 * @t: the thread (a case that makes many, one per round)
 */
void zdt_thread_free(struct kunit *test, struct zdt_thread *t);

/**
 * zdt_thread_start() - let @t run its @fn
 * @t: the thread, with its inputs filled in
 */
void zdt_thread_start(struct zdt_thread *t);

/**
 * zdt_thread_wait() - wait, bounded, for @t's @fn to return
 * @t: the thread
 * @ms: how long at most
 *
 * Return: true once it returned, false after @ms without that.
 */
bool zdt_thread_wait(struct zdt_thread *t, unsigned int ms);

/**
 * zdt_thread_faults() - the page faults @t took since zdt_thread_start()
 * @t: the thread
 *
 * Return: its minor and major faults since then.
 */
unsigned long zdt_thread_faults(struct zdt_thread *t);

struct zdt_device;

/**
 * zdt_thread_finish() - wait, bounded, for a started thread's access
 * @test: the case
 * @t: the thread
 * @dev: the device whose page the access may fault on, or NULL
 * @when: what the wait follows ("after it started"), for the message
 *
 * Returns once @t finished.  After ZDT_ACCESS_MS without that, an access that
 * loops through @dev's migrate_to_ram() (a migration failing forever) is
 * stopped by making the callback fail, and the case fails and ends; one that
 * never returns at all fails and ends the case too, its thread leaked.
 */
void zdt_thread_finish(struct kunit *test, struct zdt_thread *t,
		       struct zdt_device *dev, const char *when);

/**
 * zdt_cpu_read() - read ZDT_DATA_LEN bytes at @addr from the CPU, bounded
 * @test: the case
 * @dev: as for zdt_thread_finish()
 * @addr: a user address of the test's mm
 * @buf: ZDT_DATA_LEN bytes for what was read
 *
 * A zdt_reader_create() thread, started and finished (zdt_thread_finish()).
 *
 * Return: what copy_from_user() left: 0 if all was read.
 */
unsigned long zdt_cpu_read(struct kunit *test, struct zdt_device *dev,
			   unsigned long addr, u8 *buf);

/**
 * zdt_cpu_write() - write the case's data for @tag at @addr from the CPU, bounded
 * @test: the case
 * @dev: as for zdt_thread_finish()
 * @addr: a user address of the test's mm
 * @tag: zdt_put_data() tag of the ZDT_DATA_LEN bytes written
 *
 * copy_to_user() in a thread of the test's mm, finished as
 * zdt_thread_finish() does.
 *
 * Return: what copy_to_user() left: 0 if all was written.
 */
unsigned long zdt_cpu_write(struct kunit *test, struct zdt_device *dev,
			    unsigned long addr, unsigned long tag);

/**
 * struct zdt_blocked - what zdt_thread_watch() saw of a blocked access
 * @faults: faults the thread took since it started
 * @asleep: it was asleep, with no new fault, at the end of the watch
 * @started: it reached its access at all
 * @done: it returned from its access (then never @asleep): nothing blocked it
 * @ms: how long the watch took
 */
struct zdt_blocked {
	unsigned long faults;
	bool asleep;
	bool started;
	bool done;
	unsigned int ms;
};

/* Invalidations a zdt_notifier keeps the details of (it counts them all). */
#define ZDT_NOTIFIER_EVENTS	8

/**
 * struct zdt_notifier_event - what one invalidation told a zdt_notifier
 * @event: range->event (MMU_NOTIFY_MIGRATE, MMU_NOTIFY_EXCLUSIVE, ...)
 * @owner: range->owner (the pgmap owner a migration or exclusive conversion
 *	   names, or NULL)
 * @start: range->start
 * @end: range->end
 */
struct zdt_notifier_event {
	enum mmu_notifier_event event;
	void *owner;
	unsigned long start;
	unsigned long end;
};

/**
 * struct zdt_notifier - a driver's mmu_interval_notifier that records what it is told
 * @notifier: the interval notifier on the test's mm
 * @lock: the driver's update lock: invalidate() moves the sequence on under
 *	  it, and a driver checks mmu_interval_read_retry() under it before it
 *	  uses what hmm_range_fault() gave it (Documentation/mm/hmm.rst)
 * @nr_events: invalidations seen
 * @events: the first ZDT_NOTIFIER_EVENTS of them
 *
 * Read @nr_events with READ_ONCE(), the events with zdt_notifier_events().
 */
struct zdt_notifier {
	struct mmu_interval_notifier notifier;
	struct mutex lock;		/* the driver's update lock */
	unsigned int nr_events;
	struct zdt_notifier_event events[ZDT_NOTIFIER_EVENTS];
};

/**
 * zdt_notifier_create() - a recording interval notifier on the test's mm
 * @test: the case
 * @start: user address of the range it covers
 * @len: the range's length
 *
 * What Xe, nouveau and lib/test_hmm.c register over a range they mirror.
 * Its invalidate() records each event, owner and range and moves the
 * sequence on under @lock (a non-blockable invalidation that finds @lock
 * taken returns false, as the notifier API allows).  It is removed when the
 * case ends (zdt_hold(), with the mappings it covers, before they go) and
 * freed then: not before, since any thread may invalidate until it is
 * removed.  Needs a user mapping first (zdt_user_map()): a case without an
 * mm is a failure.
 *
 * Return: the notifier.
 */
struct zdt_notifier *zdt_notifier_create(struct kunit *test, unsigned long start,
					 unsigned long len);

/**
 * zdt_notifier_events() - what a zdt_notifier has been told so far
 * @n: the notifier
 * @events: ZDT_NOTIFIER_EVENTS events, out: a copy of the first ones
 *
 * Return: how many invalidations it saw (more than ZDT_NOTIFIER_EVENTS:
 * only the first ones are in @events).
 */
unsigned int zdt_notifier_events(struct zdt_notifier *n,
				 struct zdt_notifier_event *events);

/**
 * zdt_thread_watch() - watch a started access that cannot finish yet
 * @t: the thread, started
 * @window_ms: watch at least this long
 * @max_faults: faults a sleeping access may take (the first, one spare)
 *
 * For a case that keeps the access from finishing (a folio lock, a migration
 * entry): samples the thread's state and fault count every few ms, for at
 * least @window_ms after the thread reached its access, and then until it
 * has been seen asleep with no new fault for ZDT_ASLEEP_MS, or it took more
 * than @max_faults faults (it spins), or it returned from its access (done:
 * an exited thread is never asleep), or ZDT_WATCH_MS passed.  A slow or
 * loaded guest only makes the watch longer; neither verdict rests on one
 * sample.
 *
 * Return: what it saw.
 */
struct zdt_blocked zdt_thread_watch(struct zdt_thread *t,
				    unsigned int window_ms,
				    unsigned long max_faults);

/**
 * zdt_expect_asleep() - the verdict on a zdt_thread_watch() of a blocked access
 * @test: the case
 * @b: what zdt_thread_watch() saw
 * @max_faults: the faults a sleeping access may take
 * @who: the thread, for the messages ("faulting thread")
 * @what: what must sleep, for the messages ("it", "hmm_range_fault()")
 *
 * Expects that the thread ran, took at most @max_faults faults (else "...:
 * the fault spins", the phrase configs/known-failures matches) and, if so,
 * had not finished and was asleep at the end of the watch.
 */
void zdt_expect_asleep(struct kunit *test, struct zdt_blocked b,
		       unsigned long max_faults, const char *who, const char *what);

/**
 * zdt_thread_waiting() - whether a started access still waits, now
 * @t: the thread, started (and watched: zdt_thread_watch())
 *
 * For the moment right before a case lets a blocked access go (unlocks the
 * folio, finalizes the migration): the thread reached its access, has not
 * returned from it, and is seen asleep, sampled for at most ZDT_ASLEEP_MS
 * so that a wake-up it sleeps again after is not taken for running.  An
 * exited thread is done, never waiting.
 *
 * Return: true if it waits.
 */
bool zdt_thread_waiting(struct zdt_thread *t);

/* Whether @t's @fn has returned (before @done completes). */
static inline bool zdt_thread_returned(struct zdt_thread *t)
{
	/* Pairs with the release in the thread: its outputs are written. */
	return smp_load_acquire(&t->returned);
}

/**
 * struct zdt_device - a fake device: one dev_pagemap and what its ops saw
 * @test: the case it belongs to
 * @pgmap: its dev_pagemap (compare, never write: zdt_device_set_ops())
 * @pfn_first: the pfn of its page 0
 * @nr_pages: its size in pages
 * @mapped: memremap_pages() succeeded and no unmap finished since
 * @nr_free: free callback (folio_free / page_free) calls
 * @free_refcount: the refcount the last free callback saw
 * @free_locked: the page lock the last free callback saw
 * @free_unclean: the first page the free callback got unclean, or NULL
 * @free_unclean_pfn: ... and its pfn
 * @nr_migrate_to_ram: migrate_to_ram() calls
 * @nr_migrated_to_ram: ... that moved the faulting page
 * @fault_locked: the folio lock migrate_to_ram() saw on entry
 * @fault_refcount: the folio refcount migrate_to_ram() saw on entry
 * @nr_pages_to_ram: pages migrate_to_ram() moved, all calls
 * @fault_locked_after: the faulting folio was locked after its finalize
 * @others_collected: pages other than the faulting one collected, last call
 * @others_locked_after: ... still locked after finalize
 * @owner: the struct device a devm pgmap is bound to
 *	(zdt_device_create_devm()), or NULL
 * @devm_kept: @owner went away and its pgmap was still mapped: the unmap
 *	thread unmapped it itself
 *
 * Cases read these; what a case may change is set through
 * zdt_device_set_ops(), zdt_device_set_owner(), zdt_device_fail_faults(),
 * zdt_device_gate_faults(), zdt_device_set_fault_range() and
 * zdt_device_set_vmemmap_shift().
 */
struct zdt_device {
	struct kunit *test;
	struct dev_pagemap pgmap;
	unsigned long pfn_first;
	unsigned long nr_pages;
	bool mapped;

	atomic_t nr_free;
	int free_refcount;
	bool free_locked;
	const char *free_unclean;
	unsigned long free_unclean_pfn;
	atomic_t nr_migrate_to_ram;
	atomic_t nr_migrated_to_ram;
	bool fault_locked;
	int fault_refcount;
	atomic_t nr_pages_to_ram;
	bool fault_locked_after;
	int others_collected;
	int others_locked_after;
	struct device *owner;
	bool devm_kept;

	/* private: */
	struct resource *res;		/* PRIVATE: the range we reserved */
	unsigned long ram_slot;		/* others: where in the reserved RAM */
	unsigned long ram_slots;	/* ... and how many slots */
	unsigned long *busy;		/* pages handed out, not freed yet */
	spinlock_t busy_lock;
	struct zdt_unmap *unmap;	/* memunmap_pages() under way */
	vm_fault_t fault_ret;		/* zdt_device_fail_faults() */
	struct completion *fault_gate;	/* zdt_device_gate_faults() */
	unsigned int fault_range;	/* zdt_device_set_fault_range() */
};

/**
 * zdt_device_set_ops() - give a device other ops before it is mapped
 * @dev: the device, from zdt_device_prepare()
 * @ops: the ops memremap_pages() gets (zdt_ops_without_free ...)
 */
static inline void zdt_device_set_ops(struct zdt_device *dev,
				      const struct dev_pagemap_ops *ops)
{
	KUNIT_ASSERT_FALSE(dev->test, dev->mapped);
	dev->pgmap.ops = ops;
}

/**
 * zdt_device_set_owner() - give a device another pgmap owner before it is mapped
 * @dev: the device, from zdt_device_prepare()
 * @owner: the owner (NULL: none, which memremap_pages() refuses for PRIVATE)
 */
static inline void zdt_device_set_owner(struct zdt_device *dev, void *owner)
{
	KUNIT_ASSERT_FALSE(dev->test, dev->mapped);
	dev->pgmap.owner = owner;
}

/**
 * zdt_device_set_vmemmap_shift() - make a device's pgmap compound before it is mapped
 * @dev: the device, from zdt_device_prepare()
 * @shift: pgmap->vmemmap_shift: memremap_pages() makes every 1 << @shift
 *	pages of the device one folio (its size must be a multiple of that)
 */
static inline void zdt_device_set_vmemmap_shift(struct zdt_device *dev,
						unsigned int shift)
{
	KUNIT_ASSERT_FALSE(dev->test, dev->mapped);
	KUNIT_ASSERT_TRUE(dev->test, IS_ALIGNED(dev->nr_pages, 1UL << shift));
	dev->pgmap.vmemmap_shift = shift;
}

/**
 * zdt_device_set_altmap() - keep a device's first pfns for its own memmap
 * @dev: the device, from zdt_device_prepare(), of a type with RAM behind it
 * @reserve: pfns at its start left to the driver (an info block)
 * @free: pfns after those that vmemmap_populate() may take for the memmap
 *
 * As an NVDIMM pfn device with its memmap on the device
 * (nd_pfn_init()): pgmap->altmap from the device's first pfn,
 * PGMAP_ALTMAP_VALID.  The pgmap's own pages start @reserve + @free pfns in.
 */
static inline void zdt_device_set_altmap(struct zdt_device *dev,
					 unsigned long reserve,
					 unsigned long free)
{
	struct vmem_altmap altmap = {
		.base_pfn = dev->pfn_first,
		.end_pfn = dev->pfn_first + dev->nr_pages - 1,
		.reserve = reserve,
		.free = free,
	};

	KUNIT_ASSERT_FALSE(dev->test, dev->mapped);
	KUNIT_ASSERT_LE(dev->test, reserve + free, dev->nr_pages);
	memcpy(&dev->pgmap.altmap, &altmap, sizeof(altmap));
	dev->pgmap.flags |= PGMAP_ALTMAP_VALID;
}

/**
 * zdt_device_fail_faults() - make migrate_to_ram() fail, or work again
 * @dev: the device
 * @ret: what migrate_to_ram() returns, once counted, without migrating
 *	(VM_FAULT_SIGBUS ...); 0: it migrates again
 */
static inline void zdt_device_fail_faults(struct zdt_device *dev, vm_fault_t ret)
{
	WRITE_ONCE(dev->fault_ret, ret);
}

/**
 * zdt_device_gate_faults() - hold migrate_to_ram() at a gate
 * @dev: the device
 * @gate: migrate_to_ram(), once counted, waits for it (at most
 *	ZDT_ACCESS_MS) before it migrates, so that the case can act while a
 *	fault is inside it; NULL: no gate.  The case completes it, and keeps
 *	it until the fault has returned.
 */
static inline void zdt_device_gate_faults(struct zdt_device *dev,
					  struct completion *gate)
{
	WRITE_ONCE(dev->fault_gate, gate);
}

/**
 * zdt_device_fault_entered() - wait until a fault is inside migrate_to_ram()
 * @dev: the device, its faults held at a gate (zdt_device_gate_faults())
 * @faults: @dev->nr_migrate_to_ram before the fault began
 * @t: the faulting thread: its return ends the wait too
 *
 * Bounded: at most ZDT_ACCESS_MS sleeps of 1-2 ms.
 *
 * Return: true if migrate_to_ram() counted a call since and @t has not
 * returned (the fault is held at the gate).
 */
static inline bool zdt_device_fault_entered(struct zdt_device *dev, int faults,
					    struct zdt_thread *t)
{
	unsigned int spins;

	for (spins = 0; spins < ZDT_ACCESS_MS &&
	     atomic_read(&dev->nr_migrate_to_ram) == faults &&
	     !zdt_thread_returned(t); spins++)
		usleep_range(1000, 2000);
	return atomic_read(&dev->nr_migrate_to_ram) != faults && !zdt_thread_returned(t);
}

/**
 * zdt_device_set_fault_range() - how much a PTE fault moves back to RAM
 * @dev: the device
 * @pages: migrate_to_ram() of a PTE fault moves the @pages-page aligned
 *	chunk around the fault address (within the VMA), as Xe, amdgpu and
 *	nouveau move more than the faulting page; 0 or 1: that page only
 */
static inline void zdt_device_set_fault_range(struct zdt_device *dev,
					      unsigned int pages)
{
	WRITE_ONCE(dev->fault_range, pages);
}

/* The page of a PMD-sized range the large-folio cases write and read. */
#define ZDT_PMD_MIDDLE		(PTRS_PER_PMD / 2)

/**
 * zdt_page_on_device() - one user page, moved to a new device
 * @test: the case
 * @type: the device's memory type
 * @devp: the device, out
 *
 * zdt_user_pages(test, 1) moved with zdt_migrate_to_device() to page 0 of a
 * new device of @type (ZDT_DEVICE_PAGES pages), which then holds one
 * reference: the mapping's.
 *
 * Return: the page's user address.
 */
unsigned long zdt_page_on_device(struct kunit *test, enum memory_type type,
				 struct zdt_device **devp);

/**
 * zdt_pmd_on_device() - a large device-private folio mapped by one PMD
 * @test: the case
 * @devp: the device (PTRS_PER_PMD pages), out
 * @addr: the folio's PMD-aligned user address, out
 *
 * An empty PMD-aligned range (inside a mapping twice that size) moved with
 * zdt_migrate_pmd_to_device(): one folio of PMD order at refcount 1, its
 * data zeroed.  Skips without large device folios (6.19) or PMD-level
 * migration entries.
 *
 * Return: the folio's head page.
 */
struct page *zdt_pmd_on_device(struct kunit *test, struct zdt_device **devp,
			       unsigned long *addr);

#ifdef CONFIG_MIGRATION
/**
 * struct zdt_migration - a migrate_vma_*() a case drives as a driver does
 * @args: what migrate_vma_setup() gets and fills in; src and dst arrays are
 *	the test's
 * @mm: the test's mm
 * @ret: what migrate_vma_setup() returned
 *
 * Documentation/mm/hmm.rst steps 1-7: zdt_migration_setup() takes the mmap
 * lock and collects, the case allocates and copies, zdt_migration_pages()
 * moves, zdt_migration_finalize() finishes and unlocks.  Nothing in between
 * may assert: an aborted case would keep the mmap lock.
 */
struct zdt_migration {
	struct migrate_vma args;
	struct mm_struct *mm;
	int ret;
};

/**
 * zdt_migration_init() - prepare a migration of a user range
 * @test: the case
 * @m: the migration
 * @addr: start of the range in the test's mm
 * @npages: its pages
 * @owner: args.pgmap_owner
 * @flags: args.flags (MIGRATE_VMA_SELECT_*)
 */
void zdt_migration_init(struct kunit *test, struct zdt_migration *m,
			unsigned long addr, unsigned long npages, void *owner,
			unsigned long flags);

/**
 * zdt_migration_setup() - mmap_read_lock() and migrate_vma_setup()
 * @m: the migration, from zdt_migration_init()
 *
 * What setup returned (or -ENOENT: no VMA at the start) is in @m->ret; the
 * mmap lock stays held until zdt_migration_finalize().
 */
void zdt_migration_setup(struct zdt_migration *m);

/**
 * zdt_migration_pages() - migrate_vma_pages()
 * @m: the migration, set up, its dst entries filled in
 */
void zdt_migration_pages(struct zdt_migration *m);

/**
 * zdt_migration_finalize() - migrate_vma_finalize() and mmap_read_unlock()
 * @m: the migration; finalized only if its setup succeeded
 */
void zdt_migration_finalize(struct zdt_migration *m);

/**
 * zdt_migration_ram_copy() - a system folio for a move back to RAM
 * @m: the migration, set up
 * @spage: the first device page whose data it gets
 * @order: the folio's order (PMD order for a compound entry, else 0)
 *
 * Return: a locked system folio at the start of the range holding the data
 * of the 1 << @order device pages from @spage on, as a dst entry
 * (migrate_pfn(), with MIGRATE_PFN_COMPOUND if large), or 0 if none could be
 * allocated.
 */
unsigned long zdt_migration_ram_copy(struct zdt_migration *m,
				     struct page *spage, unsigned int order);
#endif /* CONFIG_MIGRATION */

/**
 * zdt_evict_collect() - collect device pfns for eviction
 * @src: @npages entries, filled in as migrate_device_range() does
 * @pfn: the first device pfn
 * @npages: how many
 * @by_list: with migrate_device_pfns() (6.15) from a list of the pfns,
 *	else with migrate_device_range()
 *
 * Eviction moves device pages back to system RAM without knowing their
 * mappings (mm/migrate_device.c): collect, the caller allocates and copies,
 * zdt_evict_pages(), zdt_evict_finalize().
 *
 * Return: what the call returned, -EOPNOTSUPP where the kernel has not got it.
 */
int zdt_evict_collect(unsigned long *src, unsigned long pfn,
		      unsigned long npages, bool by_list);

/**
 * zdt_evict_pages() - migrate_device_pages()
 * @src: as collected
 * @dst: the system pages the caller copied to (migrate_pfn()), or 0
 * @npages: how many
 */
void zdt_evict_pages(unsigned long *src, unsigned long *dst,
		     unsigned long npages);

/**
 * zdt_evict_finalize() - migrate_device_finalize()
 * @src: as after zdt_evict_pages()
 * @dst: as given to it
 * @npages: how many
 */
void zdt_evict_finalize(unsigned long *src, unsigned long *dst,
			unsigned long npages);

/**
 * zdt_migrate_coherent_folio() - migrate_device_coherent_folio()
 * @folio: a device-coherent folio, with a reference of the caller's that the
 *	call consumes
 *
 * What GUP FOLL_LONGTERM calls on a device-coherent folio.
 *
 * Return: what it returned, or -EOPNOTSUPP where it cannot be called
 * (!ZDT_CAN_MIGRATE_COHERENT_FOLIO).
 */
int zdt_migrate_coherent_folio(struct folio *folio);

/*
 * The fake device.  Without ZONE_DEVICE each helper below skips the case or
 * does nothing (zone_device_fixture_none.c).
 */

/* The fixture's ops with one member left out, for memremap_pages() checks. */
extern const struct dev_pagemap_ops zdt_ops_without_free;
extern const struct dev_pagemap_ops zdt_ops_without_migrate_to_ram;

/**
 * zdt_device_prepare() - a fake device, not mapped yet
 * @test: the case
 * @type: its memory type
 * @nr_pages: its size in pages
 *
 * A dev_pagemap of @type over @nr_pages pages with the fixture's counting
 * ops and an owner, so that a case may break it before zdt_device_map().
 * Skips when @type needs the reserved RAM range and none was given.  Torn
 * down by KUnit, bounded (what the case holds is released first).
 *
 * Return: the device.
 */
struct zdt_device *zdt_device_prepare(struct kunit *test, enum memory_type type,
				      unsigned long nr_pages);

/**
 * zdt_device_map() - memremap_pages() of a prepared device
 * @dev: the device
 *
 * Return: 0, or the error memremap_pages() returned.
 */
int zdt_device_map(struct zdt_device *dev);

/**
 * zdt_device_create() - a fake device, mapped
 * @test: the case
 * @type: its memory type
 * @nr_pages: its size in pages
 *
 * zdt_device_prepare() and zdt_device_map(), asserting success.
 *
 * Return: the device.
 */
struct zdt_device *zdt_device_create(struct kunit *test, enum memory_type type,
				     unsigned long nr_pages);

/**
 * zdt_device_create_devm() - a fake device whose pgmap is bound to a struct device
 * @test: the case
 * @type: its memory type
 * @nr_pages: its size in pages
 *
 * As zdt_device_create(), but mapped with devm_memremap_pages() on a struct
 * device of the case's own (kunit_device_register(), in @dev->owner), as a
 * driver with a struct device maps its memory.  zdt_device_unmap_start()
 * then unregisters that device instead of calling memunmap_pages(): its
 * devres release is what must unmap the pgmap.  If the pgmap outlives the
 * device, the unmap thread sets @dev->devm_kept and unmaps it itself, so
 * that no later case meets a pgmap of a freed device.
 *
 * Return: the device.
 */
struct zdt_device *zdt_device_create_devm(struct kunit *test,
					  enum memory_type type,
					  unsigned long nr_pages);

/**
 * zdt_device_unmap_start() - begin memunmap_pages() in a helper thread
 * @dev: the device
 *
 * memunmap_pages() waits, unbounded, for every page reference to the
 * pgmap: in a thread of its own a leaked reference is a FAIL, not a hung
 * kernel.  A device whose unmap never finishes is leaked on purpose.
 */
void zdt_device_unmap_start(struct zdt_device *dev);

/**
 * zdt_device_unmap_wait() - wait, bounded, for zdt_device_unmap_start()
 * @dev: the device
 * @timeout_ms: how long at most
 *
 * Return: 0 once the unmap finished, -ETIMEDOUT if it still waits.
 */
int zdt_device_unmap_wait(struct zdt_device *dev, unsigned int timeout_ms);

/**
 * zdt_device_unmap_blocked() - whether the started unmap waits for a reference
 * @dev: the device, zdt_device_unmap_start() called
 * @timeout_ms: how long at most until its thread is seen asleep
 *
 * Waits, bounded, until the unmap thread, inside memunmap_pages(), is seen
 * asleep on pgmap->done (TASK_UNINTERRUPTIBLE, on its wait queue:
 * memunmap_pages() kills the pgmap's percpu_ref, then sleeps in
 * wait_for_completion()), then for the RCU callbacks (rcu_barrier()), which
 * count the kill's last put: a pgmap nothing references is released by then
 * (complete() has taken the waiter off the queue), however slow the guest.
 * No time window: a verdict from the state itself.
 *
 * Return: ZDT_UNMAP_BLOCKED if the pgmap is still referenced and the unmap
 * waits for it; ZDT_UNMAP_FINISHED if the unmap finished or the pgmap was
 * released; ZDT_UNMAP_RUNNING if the thread was never seen asleep in
 * memunmap_pages() within @timeout_ms.
 */
enum zdt_unmap_state zdt_device_unmap_blocked(struct zdt_device *dev,
					      unsigned int timeout_ms);

static inline struct page *zdt_device_page(struct zdt_device *dev,
					   unsigned long i)
{
	return pfn_to_page(dev->pfn_first + i);
}

/**
 * zdt_memmap_page() - the page that holds a struct page
 * @page: a page with a memmap
 *
 * The page the kernel's virtual memmap (vmemmap) maps at @page's address,
 * found by walking the kernel page tables (vmalloc_to_page()), so that a
 * case can tell which struct pages share memory.
 *
 * Return: that page, or NULL where the memmap is not virtually mapped (no
 * CONFIG_SPARSEMEM_VMEMMAP) or not walked so (CONFIG_DEBUG_VIRTUAL:
 * vmalloc_to_page() takes vmalloc addresses only), or not mapped.
 */
struct page *zdt_memmap_page(const struct page *page);

/**
 * zdt_device_alloc_page() - hand out a free page of @dev, as a driver does
 * @dev: the device
 * @order: the folio's order (0 before 6.19)
 *
 * zone_device_page_init() / zone_device_folio_init(): refcount 1, locked,
 * and for PRIVATE zeroed backing data.  The reference is the caller's
 * (zdt_own_page() hands it to KUnit).
 *
 * Return: the (head) page, or NULL if none is free.
 */
struct page *zdt_device_alloc_page(struct zdt_device *dev, unsigned int order);

/**
 * zdt_migrate_to_device() - move user pages to @dev
 * @dev: the device
 * @addr: start of an anonymous range of the test's mm
 * @npages: its pages
 *
 * migrate_vma_*() with the data copied; a CPU access later faults them back
 * through the fixture's migrate_to_ram().
 *
 * Return: how many pages moved.
 */
unsigned long zdt_migrate_to_device(struct zdt_device *dev, unsigned long addr,
				    unsigned long npages);

/**
 * zdt_migrate_pmd_to_device() - move an empty PMD-sized range to @dev
 * @dev: the device, PTRS_PER_PMD pages or more
 * @addr: PMD-aligned start of an anonymous range never touched
 *
 * migrate_vma_*() of [@addr, @addr + PMD_SIZE) to one large folio of @dev,
 * mapped by one PMD-level device-private entry, its data zeroed.  Needs
 * ZDT_HAS_LARGE_DEVICE_FOLIOS and thp_migration_supported()
 * (zdt_pmd_on_device() checks both).
 *
 * Return: the folio's head page.
 */
struct page *zdt_migrate_pmd_to_device(struct zdt_device *dev,
				       unsigned long addr);

/**
 * zdt_page_data() - the bytes behind a device page
 * @page: a page of a fixture device
 *
 * For PRIVATE the system page kept in zone_device_data since allocation
 * (freed with the page), for the other types the page itself.
 *
 * Return: their kernel address.
 */
void *zdt_page_data(struct page *page);

#endif /* _MM_TESTS_ZONE_DEVICE_FIXTURE_H */
