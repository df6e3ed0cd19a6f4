// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for CPU faults that meet a migrate_vma_*() of the same
 * device-private page (mm/migrate_device.c, do_swap_page()): a fault that
 * finds the migration entry must sleep until the migration ends and then
 * see the new page; a fault racing the driver for the page must leave it
 * moved exactly once.  The faulting threads are the fixture's bounded
 * readers (zdt_reader_create()): a fault that never returns fails the case,
 * it does not hang the run.
 */
#include <linux/delay.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <kunit/test.h>

#include "zone_device_fixture.h"

/* How long the concurrent case lets CPU faults wait on a migrating page at least. */
#define MIGRATING_WINDOW_MS	200
/* ... and how many faults each faulting thread may take meanwhile. */
#define MIGRATING_MAX_FAULTS	2

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
 * mid-migration (at least MIGRATING_WINDOW_MS, zdt_thread_watch()), the
 * threads sleep (at most MIGRATING_MAX_FAULTS faults each), the migration
 * completes, every thread
 * then reads the data from the new system page, migrate_to_ram() never ran
 * and the device page is freed once.
 */
static void cpu_faults_wait_for_a_migrating_page(struct kunit *test)
{
	struct zdt_thread *f[MIGRATING_FAULTERS];
	struct zdt_blocked b[MIGRATING_FAULTERS] = { };
	bool waiting[MIGRATING_FAULTERS] = { };
	struct zdt_device *dev;
	unsigned long addr = zdt_page_on_device(test, MEMORY_DEVICE_PRIVATE, &dev);
	struct page *dpage = zdt_device_page(dev, 0), *rpage = NULL;
	unsigned long src_pages = 0;
	struct zdt_migration m;
	int i;

	zdt_migration_init(test, &m, addr, 1, dev, MIGRATE_VMA_SELECT_DEVICE_PRIVATE);
	for (i = 0; i < MIGRATING_FAULTERS; i++)
		f[i] = zdt_reader_create(test, addr);

	zdt_migration_setup(&m);
	if (!m.ret && (m.args.src[0] & MIGRATE_PFN_MIGRATE)) {
		for (i = 0; i < MIGRATING_FAULTERS; i++)
			zdt_thread_start(f[i]);
		/* Each until it sleeps (or spins), so a slow guest cannot fail it. */
		for (i = 0; i < MIGRATING_FAULTERS; i++)
			b[i] = zdt_thread_watch(f[i], MIGRATING_WINDOW_MS,
						MIGRATING_MAX_FAULTS);
		m.args.dst[0] = zdt_migration_ram_copy(&m, dpage, 0);
		rpage = migrate_pfn_to_page(m.args.dst[0]);
		zdt_migration_pages(&m);
		src_pages = m.args.src[0];
		/* Still on the migration entry, which finalize removes. */
		for (i = 0; i < MIGRATING_FAULTERS; i++)
			waiting[i] = zdt_thread_waiting(f[i]);
	}
	zdt_migration_finalize(&m);

	if (m.ret || !(m.args.src[0] & MIGRATE_PFN_MIGRATE)) {
		/* Not collected: let the threads go and end the case. */
		for (i = 0; i < MIGRATING_FAULTERS; i++)
			zdt_thread_start(f[i]);
	}
	for (i = 0; i < MIGRATING_FAULTERS; i++) {
		if (!zdt_thread_wait(f[i], ZDT_ACCESS_MS)) {
			KUNIT_FAIL(test, "thread %d not done %d ms after finalize (leaked)",
				   i, ZDT_ACCESS_MS);
			continue;
		}
		KUNIT_EXPECT_EQ_MSG(test, f[i]->left, 0, "thread %d's read failed", i);
		KUNIT_EXPECT_TRUE_MSG(test, zdt_has_data(test, f[i]->buf, 0),
				      "thread %d read the wrong data", i);
	}
	KUNIT_ASSERT_EQ(test, m.ret, 0);
	KUNIT_ASSERT_NOT_NULL_MSG(test, rpage, "page not collected or no system page");
	for (i = 0; i < MIGRATING_FAULTERS; i++) {
		kunit_info(test, "thread %d: %lu faults in %u ms, %s", i, b[i].faults,
			   b[i].ms, b[i].done ? "done" : b[i].asleep ? "asleep" : "not asleep");
		KUNIT_EXPECT_FALSE_MSG(test, b[i].done,
				       "thread %d finished while the page was mid-migration", i);
		KUNIT_EXPECT_TRUE_MSG(test, b[i].started, "thread %d never ran in %u ms",
				      i, b[i].ms);
		KUNIT_EXPECT_LE_MSG(test, b[i].faults, MIGRATING_MAX_FAULTS,
				    "thread %d re-faults on the migration entry instead of waiting",
				    i);
		KUNIT_EXPECT_TRUE_MSG(test, b[i].asleep,
				      "thread %d not asleep on a migrating page after %u ms",
				      i, b[i].ms);
		KUNIT_EXPECT_TRUE_MSG(test, waiting[i],
				      "thread %d no longer waited when the migration was finalized",
				      i);
	}
	KUNIT_EXPECT_TRUE_MSG(test, src_pages & MIGRATE_PFN_MIGRATE,
			      "the waiting faults blocked the migration");
	KUNIT_EXPECT_PTR_EQ(test, zdt_mapped_page(addr), rpage);
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_migrate_to_ram), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->nr_free), 1);
	KUNIT_EXPECT_EQ(test, page_ref_count(dpage), 0);
	KUNIT_EXPECT_FALSE(test, PageLocked(dpage));
}

/*
 * Rounds of the race below, each a fresh device page and CPU read.  In the
 * first RACE_AHEAD_ROUNDS the driver is first: it holds the page collected
 * (a migration entry in the PTE) until the reader has been seen asleep on
 * it (zdt_thread_watch(): it met the migration, for sure, however slowly
 * the guest scheduled it), then RACE_AHEAD_US more each round.  In the next
 * RACE_GATED_ROUNDS the fault is first, for sure: migrate_to_ram() waits at
 * the device's fault gate (zdt_device_gate_faults()) while the driver
 * migrates.  In the others the reader is first and the driver starts
 * RACE_STEP_US later each round, so that the rounds sweep across the fault's
 * own migration.
 */
#define RACE_ROUNDS		20
#define RACE_AHEAD_ROUNDS	4
#define RACE_GATED_ROUNDS	2
#define RACE_SWEEP_FIRST	(RACE_AHEAD_ROUNDS + RACE_GATED_ROUNDS)
#define RACE_AHEAD_US		500
#define RACE_STEP_US		10
/* Faults a reader blocked on the migration entry may take meanwhile. */
#define RACE_AHEAD_FAULTS	2

/*
 * The Xe SVM scenario itself (b570f37a2ce4's thread): the driver moves a
 * device-private page back to RAM with migrate_vma_*() while a CPU thread
 * faults on it, so the driver's migration and the fault's migrate_to_ram()
 * race for the same page.  One of them moves it; the other finds it gone,
 * waits for it (a migration entry), or fails cleanly (not collected, or
 * MIGRATE_PFN_MIGRATE cleared by the expected-count check) and leaves it
 * as it was (8763cb45ab96; hmm.rst steps 2 and 4).  Succeeds if in each
 * round the CPU read finishes within ZDT_ACCESS_MS with the data, and the
 * device page is freed exactly once, unlocked, at refcount 0: no reference
 * lost or leaked, no livelock; and the race happened both ways: in every
 * driver-first round the reader was seen waiting on the driver's migration
 * entry, and in every gated round the driver's whole migration ran while
 * the fault was inside migrate_to_ram(), and left the page to the fault.
 */
static void driver_and_cpu_fault_race_for_a_page(struct kunit *test)
{
	struct zdt_device *dev = zdt_device_create(test, MEMORY_DEVICE_PRIVATE,
						   ZDT_DEVICE_PAGES);
	unsigned long addr = zdt_user_pages(test, 1);
	unsigned int round, by_driver = 0, contested = 0;
	struct page *dpage = zdt_device_page(dev, 0);
	/* Outlives the rounds' readers: KUnit frees it after the threads. */
	struct completion *gate = kunit_kzalloc(test, sizeof(*gate), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, gate);
	for (round = 0; round < RACE_ROUNDS; round++) {
		int freed = atomic_read(&dev->nr_free);
		int faults = atomic_read(&dev->nr_migrate_to_ram);
		int moved = atomic_read(&dev->nr_migrated_to_ram);
		bool ahead = round < RACE_AHEAD_ROUNDS;
		bool gated = !ahead && round < RACE_SWEEP_FIRST;
		bool data, waited = false, in_flight = false, driver_moved = false;
		struct zdt_blocked b = { };
		unsigned long left, spins;
		struct zdt_thread *f;
		struct zdt_migration m;

		KUNIT_ASSERT_EQ(test, zdt_migrate_to_device(dev, addr, 1), 1);
		KUNIT_ASSERT_EQ(test, page_ref_count(dpage), 1);
		f = zdt_reader_create(test, addr);
		zdt_migration_init(test, &m, addr, 1, dev, MIGRATE_VMA_SELECT_DEVICE_PRIVATE);
		if (ahead) {
			zdt_migration_setup(&m);
			zdt_thread_start(f);
			if (!m.ret && (m.args.src[0] & MIGRATE_PFN_MIGRATE)) {
				b = zdt_thread_watch(f, 0, RACE_AHEAD_FAULTS);
				udelay((round + 1) * RACE_AHEAD_US);
				waited = b.asleep && zdt_thread_waiting(f);
			}
		} else if (gated) {
			init_completion(gate);
			zdt_device_gate_faults(dev, gate);
			zdt_thread_start(f);
			in_flight = zdt_device_fault_entered(dev, faults, f);
			zdt_migration_setup(&m);
		} else {
			zdt_thread_start(f);
			/* Bounded: the wait below catches a reader never started. */
			for (spins = 0; !READ_ONCE(f->started) && spins < 100000; spins++)
				udelay(1);
			udelay((round - RACE_SWEEP_FIRST) * RACE_STEP_US);
			in_flight = !zdt_thread_returned(f);
			zdt_migration_setup(&m);
		}
		if (!m.ret && (m.args.src[0] & MIGRATE_PFN_MIGRATE)) {
			m.args.dst[0] = zdt_migration_ram_copy(&m, dpage, 0);
			zdt_migration_pages(&m);
			driver_moved = m.args.src[0] & MIGRATE_PFN_MIGRATE;
			by_driver += driver_moved;
		}
		zdt_migration_finalize(&m);
		if (gated) {
			zdt_device_gate_faults(dev, NULL);
			complete_all(gate);
		}
		if (!zdt_thread_wait(f, ZDT_ACCESS_MS))
			KUNIT_FAIL_AND_ABORT(test,
					     "round %u: CPU read not done in %d ms (thread leaked)",
					     round, ZDT_ACCESS_MS);
		left = f->left;
		data = zdt_has_data(test, f->buf, 0);
		zdt_thread_free(test, f);
		faults = atomic_read(&dev->nr_migrate_to_ram) - faults;
		moved = atomic_read(&dev->nr_migrated_to_ram) - moved;
		/* The sweep's: the fault still in its access as the driver began. */
		if (!ahead && !gated && in_flight && faults)
			contested++;

		KUNIT_ASSERT_EQ(test, m.ret, 0);
		if (ahead)
			KUNIT_ASSERT_TRUE_MSG(test, waited,
					      "round %u: the CPU read did not wait on the driver's migration entry (%s): no race",
					      round, b.done ? "it finished" :
					      !(m.args.src[0] & MIGRATE_PFN_MIGRATE) ?
					      "the driver collected nothing" : "not asleep");
		if (gated) {
			KUNIT_ASSERT_TRUE_MSG(test, in_flight,
					      "round %u: the fault never reached migrate_to_ram() in %d ms: no race",
					      round, ZDT_ACCESS_MS);
			KUNIT_ASSERT_FALSE_MSG(test, driver_moved,
					       "round %u: the driver moved the page a fault holds in migrate_to_ram()",
					       round);
			KUNIT_ASSERT_EQ_MSG(test, moved, 1,
					    "round %u: the fault did not move the page after the driver gave up",
					    round);
		}
		KUNIT_ASSERT_EQ_MSG(test, left, 0, "round %u: CPU read failed", round);
		KUNIT_ASSERT_TRUE_MSG(test, data, "round %u: wrong data", round);
		KUNIT_ASSERT_EQ_MSG(test, atomic_read(&dev->nr_free), freed + 1,
				    "round %u: device page not freed exactly once", round);
		KUNIT_ASSERT_EQ(test, page_ref_count(dpage), 0);
		KUNIT_ASSERT_FALSE(test, PageLocked(dpage));
	}
	kunit_info(test, "%u rounds: %u moved by the driver, the rest by the fault; %u of %u sweep rounds had the fault in flight as the driver began",
		   round, by_driver, contested, RACE_ROUNDS - RACE_SWEEP_FIRST);
}

static struct kunit_case zone_device_migrate_race_cases[] = {
	KUNIT_CASE_SLOW(cpu_faults_wait_for_a_migrating_page),
	KUNIT_CASE_SLOW(driver_and_cpu_fault_race_for_a_page),
	{}
};

static struct kunit_suite zone_device_migrate_race_suite = {
	.name = "zone_device_migrate_race",
	.init = zdt_migrate_case_begin,
	.test_cases = zone_device_migrate_race_cases,
};

kunit_test_suite(zone_device_migrate_race_suite);

MODULE_DESCRIPTION("KUnit tests for CPU faults racing migrate_vma on device-private pages");
MODULE_LICENSE("GPL");
