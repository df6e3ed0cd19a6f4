// SPDX-License-Identifier: GPL-2.0
/*
 * What the zone-device KUnit suites share.
 *
 * Every case: a seed for data no other case writes (zdt_fill()), a watch on
 * the kernel log that fails the case on a splat (zdt_case_begin()), and
 * KUnit ownership of every reference, lock, user mapping and helper thread
 * it takes (zdt_hold()), released in a fixed order however the case ends.
 *
 * With ZONE_DEVICE, fake devices: a device is one dev_pagemap of a chosen
 * memory type whose ops count what core mm asks of them.  It belongs to a
 * test: KUnit tears it down when the case ends, failed or not, and the
 * teardown itself is bounded (see zdt_device_unmap_wait()), so a leaked page
 * reference fails the case instead of hanging the kernel.
 */
/* pr_debug() is printed (the case's marker), dynamic debug or not. */
#define DEBUG
#include <linux/bitmap.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/ioport.h>
#include <linux/jhash.h>
#include <linux/kmsg_dump.h>
#include <linux/highmem.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/memremap.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/pid.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/swap.h>
#include <linux/swait.h>
#include <linux/uaccess.h>
#include <kunit/resource.h>
#include <kunit/test.h>

#include "zone_device_fixture.h"

#if IS_BUILTIN(CONFIG_ZONE_DEVICE_KUNIT_FIXTURE) && IS_ENABLED(CONFIG_DEVICE_MIGRATION)
#include "../internal.h"	/* migrate_device_coherent_folio() */
#endif

/*
 * The case running now: its data seed, its marker and what it holds.
 * KUnit runs one case at a time; zdt_case_begin() fails a second one.
 */
#define ZDT_SPLATS_KEPT		4	/* splats whose lines a verdict shows */
#define ZDT_SPLAT_TEXT		256	/* bytes kept of each */
#define ZDT_SPLAT_LINES		3	/* lines kept of each */
#define ZDT_EXPECTED_MAX	2	/* splats a case may declare */
#define ZDT_MARKER_LEN		48

struct zdt_case {
	struct kunit *test;
	u32 seed;
	bool seed_shown;
	const char *expected[ZDT_EXPECTED_MAX];
	unsigned int nr_expected;
	char marker[ZDT_MARKER_LEN];	/* the case's first record */
	struct list_head held;		/* what zdt_hold() was given */
};

static struct zdt_case zdt_case;
static void zdt_release_held(struct kunit *test, void *running);
static DEFINE_MUTEX(zdt_case_lock);
static DEFINE_SPINLOCK(zdt_held_lock);

/* The run's data seed: random unless given (zone_device_fixture.seed=). */
static unsigned int zdt_run_seed;
module_param_named(seed, zdt_run_seed, uint, 0444);
MODULE_PARM_DESC(seed, "data seed of the run (0: random); a case's seed is derived from it and the case's number");
static unsigned int zdt_case_nr;

/*
 * The log watch reads the printk ring buffer (kmsg_dump_get_line()), not a
 * console, so the console loglevel (quiet, loglevel=1) hides nothing from it.
 * Every record from boot on is read once, in order, and falls either in a
 * case's window (zdt_case_begin() to the case's last cleanup), where a splat
 * fails the case, or outside every case (boot, suite init and exit, between
 * cases, a thread that outlived its case), where it is kept for
 * zone_device_watch.no_splat_outside_a_case, the suite that runs last.
 * A record may be several lines, each behind a "[time]" prefix when
 * printk.time is on.
 */
struct zdt_log_window {
	unsigned int count;			/* splats seen */
	unsigned int lost;			/* records gone before they were read */
	bool marker;				/* the case's first record was read */
	unsigned int lines[ZDT_SPLATS_KEPT];	/* kept of each */
	char text[ZDT_SPLATS_KEPT][ZDT_SPLAT_TEXT];
};

static DEFINE_MUTEX(zdt_log_lock);
static struct kmsg_dump_iter zdt_log_iter;	/* the next record to read */
static bool zdt_log_started;
static char zdt_log_record[1024];
static unsigned int zdt_log_lines_left;		/* of the latest splat, to keep */
static struct zdt_log_window zdt_log_case;	/* the case running now */
static struct zdt_log_window zdt_log_outside;	/* every record outside a case */
static char zdt_log_last_case[64] = "before the first case";

/*
 * First lines of a kernel splat (lib/bug.c, kernel/panic.c __warn(),
 * mm/page_alloc.c bad_page(), kernel/locking/lockdep.c, kernel/rcu/tree_stall.h,
 * kernel/hung_task.c, kernel/watchdog.c): each begins a line.  KUnit's own
 * lines are indented or begin "ok"/"not ok"/"KTAP", so a verdict quoting a
 * splat is not one.
 */
static const char * const zdt_splat_starts[] = {
	"WARNING:",		/* WARN*(), lockdep, suspicious RCU usage */
	"BUG:",			/* BUG: Bad page state, sleeping function, KASAN ... */
	"kernel BUG at",	/* BUG_ON() */
	"Oops:",
	"general protection fault",
	"UBSAN:",
	"INFO: task ",		/* hung task */
	"rcu: INFO:",		/* RCU stall */
	"INFO: rcu_",
	"watchdog: BUG:",	/* soft lockup */
	"Kernel panic",
};

/* "[   12.345678] ", "[T123] ", "[    1.2][    T1] ": what printk put there. */
static const char *zdt_skip_prefix(const char *line)
{
	while (*line == '[') {
		const char *end = strchr(line, ']');

		if (!end)
			break;
		line = end + 1;
		if (*line == ' ')
			line++;
	}
	return line;
}

static bool zdt_is_splat(const char *line)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(zdt_splat_starts); i++)
		if (str_has_prefix(line, zdt_splat_starts[i]))
			return true;
	return false;
}

/* Lines that say nothing about which splat it is. */
static bool zdt_is_filler(const char *line, size_t len)
{
	return !len || strspn(line, "-=[]cut here ") == len ||
	       str_has_prefix(line, "Modules linked in") ||
	       str_has_prefix(line, "Tainted:") ||
	       str_has_prefix(line, "Hardware name");
}

static void zdt_log_line(struct zdt_log_window *w, const char *line, size_t len)
{
	unsigned int slot;
	char *text;

	if (zdt_is_splat(line)) {
		w->count++;
		zdt_log_lines_left = ZDT_SPLAT_LINES;
		slot = w->count - 1;
		if (w == &zdt_log_outside && slot < ZDT_SPLATS_KEPT)
			snprintf(w->text[slot], ZDT_SPLAT_TEXT, "(after %s) ",
				 zdt_log_last_case);
	}
	if (!zdt_log_lines_left || zdt_is_filler(line, len))
		return;
	slot = w->count - 1;
	if (slot >= ZDT_SPLATS_KEPT)
		return;
	text = w->text[slot];
	if (w->lines[slot]++)
		strlcat(text, " | ", ZDT_SPLAT_TEXT);
	strncat(text, line, min(len, ZDT_SPLAT_TEXT - 1 - strlen(text)));
	zdt_log_lines_left--;
}

/*
 * Reads every record printed since the last read into @w, line by line; a
 * line equal to @marker marks the case's own first record as read.
 */
static void zdt_log_read(struct zdt_log_window *w, const char *marker)
{
	size_t len;

	lockdep_assert_held(&zdt_log_lock);
	if (!zdt_log_started) {
		kmsg_dump_rewind(&zdt_log_iter);	/* from the oldest record on */
		zdt_log_started = true;
	}
	for (;;) {
		u64 want = zdt_log_iter.cur_seq;
		char *s, *nl;

		if (!kmsg_dump_get_line(&zdt_log_iter, false, zdt_log_record,
					sizeof(zdt_log_record) - 1, &len))
			break;
		/* The ring buffer overwrote (or dmesg -C cleared) records. */
		if (zdt_log_iter.cur_seq - 1 > want)
			w->lost += zdt_log_iter.cur_seq - 1 - want;
		zdt_log_record[min(len, sizeof(zdt_log_record) - 1)] = '\0';
		/* One line at a time: a record may hold several. */
		for (s = zdt_log_record; s; s = nl ? nl + 1 : NULL) {
			const char *l;

			nl = strchr(s, '\n');
			if (nl)
				*nl = '\0';
			l = zdt_skip_prefix(s);
			if (marker && !strcmp(l, marker))
				w->marker = true;
			else if (*l)
				zdt_log_line(w, l, strlen(l));
		}
	}
}

/* Fails @test for each splat of @w that no entry of @expected names. */
static void zdt_log_judge(struct kunit *test, struct zdt_log_window *w,
			  const char *where, const char * const *expected,
			  unsigned int nr_expected)
{
	unsigned int i, shown = min_t(unsigned int, w->count, ZDT_SPLATS_KEPT);
	unsigned int matched[ZDT_EXPECTED_MAX] = { };

	for (i = 0; i < shown; i++) {
		unsigned int e;

		for (e = 0; e < nr_expected; e++)
			if (strstr(w->text[i], expected[e]))
				break;
		if (e < nr_expected) {
			matched[e]++;
			kunit_info(test, "expected kernel splat %s: %s", where, w->text[i]);
			continue;
		}
		KUNIT_FAIL(test, "kernel splat %s: %s", where, w->text[i]);
	}
	if (w->count > shown)
		KUNIT_FAIL(test, "kernel splat %s: %u more splats after the %u above",
			   where, w->count - shown, shown);
	if (w->lost)
		KUNIT_FAIL(test, "kernel log %s: %u records lost before the watch read them",
			   where, w->lost);
	for (i = 0; i < nr_expected; i++)
		KUNIT_EXPECT_GT_MSG(test, matched[i], 0,
				    "the case expected a splat with \"%s\", none came",
				    expected[i]);
}

static void zdt_case_end(void *data)
{
	struct kunit *test = data;

	/* Anything still held (each hold's own action ran first, normally). */
	zdt_release_held(test, NULL);

	mutex_lock(&zdt_log_lock);
	zdt_log_read(&zdt_log_case, zdt_case.marker);
	zdt_log_lines_left = 0;
	/* A watch that reads nothing would pass every case: say so instead. */
	if (!zdt_log_case.marker)
		KUNIT_FAIL(test, "kernel-log watch never read \"%s\": blind",
			   zdt_case.marker);
	zdt_log_judge(test, &zdt_log_case, "during the case", zdt_case.expected,
		      zdt_case.nr_expected);
	strscpy(zdt_log_last_case, test->name, sizeof(zdt_log_last_case));
	mutex_unlock(&zdt_log_lock);

	mutex_lock(&zdt_case_lock);
	zdt_case.test = NULL;
	mutex_unlock(&zdt_case_lock);
}

int zdt_case_begin(struct kunit *test)
{
	int ret;

	mutex_lock(&zdt_case_lock);
	if (zdt_case.test) {
		mutex_unlock(&zdt_case_lock);
		KUNIT_FAIL_AND_ABORT(test, "another zone-device case is running (%s)",
				     zdt_case.test->name);
	}
	memset(&zdt_case, 0, sizeof(zdt_case));
	INIT_LIST_HEAD(&zdt_case.held);
	zdt_case.test = test;
	zdt_case.seed = jhash_2words(zdt_run_seed, ++zdt_case_nr, 0);
	snprintf(zdt_case.marker, sizeof(zdt_case.marker),
		 "zone_device_fixture: case %u begins", zdt_case_nr);
	mutex_unlock(&zdt_case_lock);

	/* What came before the case is not the case's. */
	mutex_lock(&zdt_log_lock);
	zdt_log_read(&zdt_log_outside, NULL);
	zdt_log_lines_left = 0;
	memset(&zdt_log_case, 0, sizeof(zdt_log_case));
	mutex_unlock(&zdt_log_lock);
	/* KERN_DEBUG, below the consoles' loglevel; the watch must read it. */
	pr_debug("%s\n", zdt_case.marker);

	/* First in, so the last cleanup: it sees the teardown's splats too. */
	ret = kunit_add_action_or_reset(test, zdt_case_end, test);
	KUNIT_ASSERT_EQ(test, ret, 0);
	return 0;
}
EXPORT_SYMBOL_GPL(zdt_case_begin);

void zdt_check_outside_cases(struct kunit *test)
{
	/* Read up to the case's start by zdt_case_begin(): the rest is the case's. */
	mutex_lock(&zdt_log_lock);
	zdt_log_judge(test, &zdt_log_outside, "outside any case", NULL, 0);
	/* Reported once: a later run of the watch reports what came after. */
	memset(&zdt_log_outside, 0, sizeof(zdt_log_outside));
	mutex_unlock(&zdt_log_lock);
}
EXPORT_SYMBOL_GPL(zdt_check_outside_cases);

int zdt_migrate_case_begin(struct kunit *test)
{
	zdt_case_begin(test);
	if (!IS_ENABLED(CONFIG_DEVICE_MIGRATION))
		zdt_skip(test, ZDT_NO_DEVICE_MIGRATION);
	return 0;
}
EXPORT_SYMBOL_GPL(zdt_migrate_case_begin);

void zdt_splat_expected(struct kunit *test, const char *what)
{
	KUNIT_ASSERT_PTR_EQ(test, zdt_case.test, test);
	KUNIT_ASSERT_LT(test, zdt_case.nr_expected, ZDT_EXPECTED_MAX);
	zdt_case.expected[zdt_case.nr_expected++] = what;
}
EXPORT_SYMBOL_GPL(zdt_splat_expected);

/* The case's seed; fails a case that did not begin with zdt_case_begin(). */
static u32 zdt_seed(struct kunit *test)
{
	KUNIT_ASSERT_PTR_EQ_MSG(test, zdt_case.test, test,
				"the suite's .init does not call zdt_case_begin()");
	if (!zdt_case.seed_shown) {
		kunit_info(test, "data seed %#x (case %u of zone_device_fixture.seed=%u)",
			   zdt_case.seed, zdt_case_nr, zdt_run_seed);
		zdt_case.seed_shown = true;
	}
	return zdt_case.seed;
}

/* xorshift32 from a state unique to (case seed, tag); never 0. */
static u32 zdt_data_state(u32 seed, unsigned long tag)
{
	return jhash_2words(seed, (u32)tag, (u32)(tag >> 31 >> 1)) | 1;
}

static u8 zdt_data_next(u32 *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x >> 24;
}

void zdt_fill(struct kunit *test, void *buf, size_t len, unsigned long tag)
{
	u32 x = zdt_data_state(zdt_seed(test), tag);
	u8 *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = zdt_data_next(&x);
}
EXPORT_SYMBOL_GPL(zdt_fill);

bool zdt_data_is(struct kunit *test, const void *buf, size_t len,
		 unsigned long tag)
{
	u32 x = zdt_data_state(zdt_seed(test), tag);
	const u8 *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != zdt_data_next(&x))
			return false;
	return true;
}
EXPORT_SYMBOL_GPL(zdt_data_is);

/*
 * What the case handed to KUnit (zdt_hold()): each hold is a KUnit action of
 * its own and on the case's list, so that whichever of them KUnit runs first
 * when the case ends, and a device's teardown, release them all, stage by
 * stage (enum zdt_hold_stage), latest first within a stage.
 */
struct zdt_held {
	struct list_head node;
	enum zdt_hold_stage stage;
	kunit_action_t *release;
	void *data;
};

static void zdt_held_action(void *data);

static void zdt_release_nothing(void *data)
{
}

static void zdt_held_free(struct zdt_held *h)
{
	spin_lock(&zdt_held_lock);
	list_del(&h->node);
	spin_unlock(&zdt_held_lock);
	h->release(h->data);
	kfree(h);
}

/* Releases every hold of the case; @running is the one KUnit runs now. */
static void zdt_release_held(struct kunit *test, void *running)
{
	enum zdt_hold_stage stage;

	for (stage = 0; stage < ZDT_HELD_STAGES; stage++) {
		for (;;) {
			struct zdt_held *h = NULL, *i;

			spin_lock(&zdt_held_lock);
			list_for_each_entry_reverse(i, &zdt_case.held, node) {
				if (i->stage == stage) {
					h = i;
					break;
				}
			}
			spin_unlock(&zdt_held_lock);
			if (!h)
				break;
			if (h != running)
				kunit_remove_action(test, zdt_held_action, h);
			zdt_held_free(h);
		}
	}
}

static void zdt_held_action(void *data)
{
	zdt_release_held(zdt_case.test, data);
}

void zdt_hold(struct kunit *test, enum zdt_hold_stage stage,
	      kunit_action_t *release, void *data)
{
	struct zdt_held *h = kzalloc_obj(*h);

	if (!h) {
		release(data);
		KUNIT_FAIL(test, "%s: out of memory", __func__);
		return;
	}
	h->stage = stage;
	h->release = release;
	h->data = data;
	spin_lock(&zdt_held_lock);
	list_add_tail(&h->node, &zdt_case.held);
	spin_unlock(&zdt_held_lock);
	/* On failure _or_reset runs the action: @data is released. */
	if (kunit_add_action_or_reset(test, zdt_held_action, h))
		KUNIT_FAIL(test, "%s: kunit_add_action_or_reset failed", __func__);
}
EXPORT_SYMBOL_GPL(zdt_hold);

/* The latest hold of @release(@data), let go: released if @release_it. */
static void zdt_unhold(struct kunit *test, kunit_action_t *release, void *data,
		       bool release_it)
{
	struct zdt_held *h = NULL, *i;

	spin_lock(&zdt_held_lock);
	list_for_each_entry_reverse(i, &zdt_case.held, node) {
		if (i->release == release && i->data == data) {
			h = i;
			break;
		}
	}
	spin_unlock(&zdt_held_lock);
	KUNIT_ASSERT_NOT_NULL_MSG(test, h, "%s: %ps(%p) is not held", __func__,
				  release, data);
	kunit_remove_action(test, zdt_held_action, h);
	if (!release_it)
		h->release = zdt_release_nothing;
	zdt_held_free(h);
}

void zdt_release(struct kunit *test, kunit_action_t *release, void *data)
{
	zdt_unhold(test, release, data, true);
}
EXPORT_SYMBOL_GPL(zdt_release);

static void zdt_put_page_action(void *page)
{
	put_page(page);
}

/* A page a bug unlocked meanwhile is left alone: unlocking it would BUG. */
static void zdt_unlock_page_action(void *page)
{
	if (PageLocked((struct page *)page))
		unlock_page(page);
}

void zdt_forget_page(struct kunit *test, struct page *page)
{
	zdt_unhold(test, zdt_put_page_action, page, false);
}
EXPORT_SYMBOL_GPL(zdt_forget_page);

void zdt_get_page(struct kunit *test, struct page *page)
{
	get_page(page);
	zdt_hold(test, ZDT_HELD_PAGE, zdt_put_page_action, page);
}
EXPORT_SYMBOL_GPL(zdt_get_page);

void zdt_own_page(struct kunit *test, struct page *page)
{
	zdt_hold(test, ZDT_HELD_PAGE, zdt_put_page_action, page);
}
EXPORT_SYMBOL_GPL(zdt_own_page);

void zdt_put_page(struct kunit *test, struct page *page)
{
	zdt_release(test, zdt_put_page_action, page);
}
EXPORT_SYMBOL_GPL(zdt_put_page);

void zdt_lock_page(struct kunit *test, struct page *page)
{
	KUNIT_ASSERT_TRUE_MSG(test, trylock_page(page),
			      "page %#lx is already locked", page_to_pfn(page));
	zdt_hold(test, ZDT_HELD_PAGE, zdt_unlock_page_action, page);
}
EXPORT_SYMBOL_GPL(zdt_lock_page);

void zdt_unlock_page(struct kunit *test, struct page *page)
{
	zdt_release(test, zdt_unlock_page_action, page);
}
EXPORT_SYMBOL_GPL(zdt_unlock_page);

struct zdt_mapping {
	struct kunit *test;
	struct mm_struct *mm;
	unsigned long addr;
	unsigned long len;
};

/*
 * Runs in the case's thread or, at the end of the case, in KUnit's cleanup
 * kthread, which has no mm of its own: it borrows the test's.
 */
static void zdt_unmap_action(void *data)
{
	struct zdt_mapping *m = data;
	bool borrow = !current->mm && (current->flags & PF_KTHREAD);

	if (borrow)
		kthread_use_mm(m->mm);
	if (current->mm == m->mm && vm_munmap(m->addr, m->len))
		KUNIT_FAIL(m->test, "vm_munmap(%#lx, %lu) failed", m->addr, m->len);
	if (borrow)
		kthread_unuse_mm(m->mm);
	mmput(m->mm);
	kfree(m);
}

unsigned long zdt_user_map_prot(struct kunit *test, unsigned long len,
				unsigned long prot)
{
	unsigned long addr = kunit_vm_mmap(test, NULL, 0, len, prot,
					   MAP_ANONYMOUS | MAP_PRIVATE, 0);
	struct zdt_mapping *m;

	/* 0 if KUnit could not, an error value if vm_mmap() could not. */
	KUNIT_ASSERT_TRUE_MSG(test, addr && !IS_ERR_VALUE(addr),
			      "kunit_vm_mmap(%lu bytes): %ld", len, (long)addr);
	m = kzalloc_obj(*m);
	KUNIT_ASSERT_NOT_NULL(test, m);
	m->test = test;
	m->mm = current->mm;
	m->addr = addr;
	m->len = len;
	mmget(m->mm);
	zdt_hold(test, ZDT_HELD_MAPPING, zdt_unmap_action, m);
	return addr;
}
EXPORT_SYMBOL_GPL(zdt_user_map_prot);

unsigned long zdt_user_map(struct kunit *test, unsigned long len)
{
	return zdt_user_map_prot(test, len, PROT_READ | PROT_WRITE);
}
EXPORT_SYMBOL_GPL(zdt_user_map);

unsigned long zdt_user_pages(struct kunit *test, unsigned long npages)
{
	unsigned long addr = zdt_user_map(test, npages * PAGE_SIZE), i;
	u8 buf[ZDT_DATA_LEN];

	for (i = 0; i < npages; i++) {
		zdt_fill(test, buf, sizeof(buf), i);
		KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)(addr + i * PAGE_SIZE),
						   buf, sizeof(buf)), 0);
	}
	return addr;
}
EXPORT_SYMBOL_GPL(zdt_user_pages);

/*
 * Without GUP-fast (UML selects no HAVE_GUP_FAST) get_user_page_fast_only()
 * always fails: walk current->mm's page table under the mmap lock instead.
 * Like GUP-fast it never faults and sees a present PTE's page only.
 */
static struct page *zdt_walk_mapped_page(unsigned long addr)
{
	struct mm_struct *mm = current->mm;
	struct page *page = NULL;
	spinlock_t *ptl;	/* the PTE table's, from pte_offset_map_lock() */
	pgd_t *pgd;
	p4d_t *p4d;
	pud_t *pud;
	pte_t *ptep, pte;

	mmap_read_lock(mm);
	pgd = pgd_offset(mm, addr);
	if (pgd_none(*pgd) || pgd_bad(*pgd))
		goto out;
	p4d = p4d_offset(pgd, addr);
	if (p4d_none(*p4d) || p4d_bad(*p4d))
		goto out;
	pud = pud_offset(p4d, addr);
	if (pud_none(*pud) || pud_bad(*pud))
		goto out;
	ptep = pte_offset_map_lock(mm, pmd_offset(pud, addr), addr, &ptl);
	if (!ptep)
		goto out;
	pte = ptep_get(ptep);
	if (pte_present(pte) && pfn_valid(pte_pfn(pte)))
		page = pte_page(pte);
	pte_unmap_unlock(ptep, ptl);
out:
	mmap_read_unlock(mm);
	return page;
}

struct page *zdt_mapped_page(unsigned long addr)
{
	struct page *page;

	if (!IS_ENABLED(CONFIG_HAVE_GUP_FAST))
		return zdt_walk_mapped_page(addr);
	if (!get_user_page_fast_only(addr, 0, &page))
		return NULL;
	put_page(page);
	return page;
}
EXPORT_SYMBOL_GPL(zdt_mapped_page);

struct zdt_page_state zdt_page_state(struct page *page)
{
	struct folio *folio = page_folio(page);

	return (struct zdt_page_state) {
		.refcount = folio_ref_count(folio),
		.mapcount = folio_mapcount(folio),
		.locked = folio_test_locked(folio),
	};
}
EXPORT_SYMBOL_GPL(zdt_page_state);

void zdt_expect_page_state(struct kunit *test, struct zdt_page_state now,
			   struct zdt_page_state want, const char *when)
{
	KUNIT_EXPECT_EQ_MSG(test, now.refcount, want.refcount, "refcount %s", when);
	KUNIT_EXPECT_EQ_MSG(test, now.mapcount, want.mapcount, "mapcount %s", when);
	KUNIT_EXPECT_EQ_MSG(test, now.locked, want.locked, "lock %s", when);
}
EXPORT_SYMBOL_GPL(zdt_expect_page_state);

void zdt_drain_lru(void)
{
#if IS_BUILTIN(CONFIG_ZONE_DEVICE_KUNIT_FIXTURE)
	lru_add_drain_all();
#endif
}
EXPORT_SYMBOL_GPL(zdt_drain_lru);

/*
 * A zdt_thread waits for zdt_thread_start() or for the end of the case,
 * whichever comes first (zdt_thread_release() lets it go then), so its wait
 * is bounded by the case's.
 */
static void zdt_thread_run(struct zdt_thread *t)
{
	wait_for_completion(&t->go);
	if (t->cancelled)
		return;
	if (t->mm)
		kthread_use_mm(t->mm);
	WRITE_ONCE(t->started, true);
	t->fn(t);
	/* Done: from here on it is never "waiting" (zdt_thread_watch()). */
	smp_store_release(&t->returned, true);
	if (t->mm)
		kthread_unuse_mm(t->mm);
}

static int zdt_kthread_main(void *data)
{
	struct zdt_thread *t = data;

	zdt_thread_run(t);
	complete_all(&t->done);	/* every wait sees it */
	return 0;
}

static void zdt_thread_release(void *data)
{
	struct zdt_thread *t = data;

	if (!t->go_given) {
		t->cancelled = true;
		complete(&t->go);
	}
	if (!wait_for_completion_timeout(&t->done,
					 msecs_to_jiffies(ZDT_ACCESS_MS))) {
		KUNIT_FAIL(t->test,
			   "%s thread still running when the case ended: leaked, with what it uses",
			   t->name);
		return;
	}
	put_task_struct(t->task);
	if (t->mm)
		mmput(t->mm);
	kfree(t);
}

static struct zdt_thread *zdt_thread_alloc(struct kunit *test, const char *name,
					   void (*fn)(struct zdt_thread *t))
{
	struct zdt_thread *t = kzalloc_obj(*t);

	KUNIT_ASSERT_NOT_NULL(test, t);
	t->test = test;
	t->name = name;
	t->fn = fn;
	init_completion(&t->go);
	init_completion(&t->done);
	return t;
}

struct zdt_thread *zdt_thread_create(struct kunit *test, const char *name,
				     void (*fn)(struct zdt_thread *t))
{
	struct zdt_thread *t = zdt_thread_alloc(test, name, fn);
	struct task_struct *task;

	if (!current->mm) {
		kfree(t);
		KUNIT_FAIL_AND_ABORT(test, "%s thread: the case has no mm (map user memory first)",
				     name);
	}
	t->mm = current->mm;
	mmget(t->mm);
	task = kthread_run(zdt_kthread_main, t, "zdt-thread");
	if (IS_ERR(task)) {
		mmput(t->mm);
		kfree(t);
		KUNIT_FAIL_AND_ABORT(test, "kthread_run: %pe", task);
	}
	/* Still waiting for go: it cannot have exited. */
	t->task = task;
	get_task_struct(task);
	zdt_hold(test, ZDT_HELD_THREAD, zdt_thread_release, t);
	return t;
}
EXPORT_SYMBOL_GPL(zdt_thread_create);

static void zdt_read_fn(struct zdt_thread *t)
{
	t->left = copy_from_user(t->buf, (void __user *)t->addr, sizeof(t->buf));
}

struct zdt_thread *zdt_reader_create(struct kunit *test, unsigned long addr)
{
	struct zdt_thread *t = zdt_thread_create(test, "CPU read", zdt_read_fn);

	t->addr = addr;
	return t;
}
EXPORT_SYMBOL_GPL(zdt_reader_create);

static void zdt_write_fn(struct zdt_thread *t)
{
	t->left = copy_to_user((void __user *)t->addr, t->buf, sizeof(t->buf));
}

unsigned long zdt_cpu_write(struct kunit *test, struct zdt_device *dev,
			    unsigned long addr, unsigned long tag)
{
	struct zdt_thread *t = zdt_thread_create(test, "CPU write", zdt_write_fn);
	unsigned long left;

	t->addr = addr;
	zdt_put_data(test, t->buf, tag);
	zdt_thread_start(t);
	zdt_thread_finish(test, t, dev, "after it started");
	left = t->left;
	zdt_thread_free(test, t);
	return left;
}
EXPORT_SYMBOL_GPL(zdt_cpu_write);

#if IS_BUILTIN(CONFIG_ZONE_DEVICE_KUNIT_FIXTURE)
static int zdt_forked_main(void *data)
{
	struct zdt_thread *t = data;

	zdt_thread_run(t);
	complete_all(&t->done);	/* every wait sees it */
	/* A task without CLONE_VM has no user context to return to. */
	do_exit(0);
}

struct zdt_thread *zdt_forked_reader_create(struct kunit *test,
					    unsigned long addr)
{
	struct zdt_thread *t = zdt_thread_alloc(test, "forked CPU read",
						zdt_read_fn);
	struct kernel_clone_args args = {
		/* SIGCHLD, which the test's kthread ignores: reaped at exit. */
		.exit_signal	= SIGCHLD,
		.fn		= zdt_forked_main,
		.fn_arg		= t,
	};
	struct pid *pid;
	pid_t nr;

	t->addr = addr;
	nr = kernel_clone(&args);
	if (nr < 0) {
		kfree(t);
		KUNIT_FAIL_AND_ABORT(test, "kernel_clone: %d", nr);
	}
	/* Still waiting for go: it cannot have exited. */
	pid = find_get_pid(nr);
	t->task = get_pid_task(pid, PIDTYPE_PID);
	put_pid(pid);
	if (!t->task)
		KUNIT_FAIL_AND_ABORT(test, "forked reader %d not found (leaked)", nr);
	zdt_hold(test, ZDT_HELD_THREAD, zdt_thread_release, t);
	return t;
}
#else
struct zdt_thread *zdt_forked_reader_create(struct kunit *test,
					    unsigned long addr)
{
	zdt_skip(test, "needs the suites built in (=y): kernel_clone() is not exported");
	return NULL;
}
#endif
EXPORT_SYMBOL_GPL(zdt_forked_reader_create);

void zdt_thread_free(struct kunit *test, struct zdt_thread *t)
{
	zdt_release(test, zdt_thread_release, t);
}
EXPORT_SYMBOL_GPL(zdt_thread_free);

void zdt_thread_start(struct zdt_thread *t)
{
	t->start_faults = READ_ONCE(t->task->min_flt) + READ_ONCE(t->task->maj_flt);
	t->go_given = true;
	complete(&t->go);
}
EXPORT_SYMBOL_GPL(zdt_thread_start);

bool zdt_thread_wait(struct zdt_thread *t, unsigned int ms)
{
	return wait_for_completion_timeout(&t->done, msecs_to_jiffies(ms));
}
EXPORT_SYMBOL_GPL(zdt_thread_wait);

unsigned long zdt_thread_faults(struct zdt_thread *t)
{
	return READ_ONCE(t->task->min_flt) + READ_ONCE(t->task->maj_flt) -
	       t->start_faults;
}
EXPORT_SYMBOL_GPL(zdt_thread_faults);

void zdt_thread_finish(struct kunit *test, struct zdt_thread *t,
		       struct zdt_device *dev, const char *when)
{
	if (zdt_thread_wait(t, ZDT_ACCESS_MS))
		return;
	if (dev)
		WRITE_ONCE(dev->fault_ret, VM_FAULT_SIGBUS);
	if (!dev || !zdt_thread_wait(t, ZDT_ACCESS_MS))
		KUNIT_FAIL_AND_ABORT(test,
				     "%s still not done %d ms %s: it never returns (thread leaked)",
				     t->name, (dev ? 2 : 1) * ZDT_ACCESS_MS, when);
	KUNIT_FAIL_AND_ABORT(test,
			     "%s not done %d ms %s: it loops (%d migrate_to_ram calls); stopped with SIGBUS",
			     t->name, ZDT_ACCESS_MS, when,
			     atomic_read(&dev->nr_migrate_to_ram));
}
EXPORT_SYMBOL_GPL(zdt_thread_finish);

unsigned long zdt_cpu_read(struct kunit *test, struct zdt_device *dev,
			   unsigned long addr, u8 *buf)
{
	struct zdt_thread *t = zdt_reader_create(test, addr);
	unsigned long left;

	zdt_thread_start(t);
	zdt_thread_finish(test, t, dev, "after it started");
	memcpy(buf, t->buf, sizeof(t->buf));
	left = t->left;
	zdt_thread_free(test, t);
	return left;
}
EXPORT_SYMBOL_GPL(zdt_cpu_read);

/* Sampling of zdt_thread_watch(). */
#define ZDT_SAMPLE_US		2000
#define ZDT_ASLEEP_MS		50	/* asleep this long, no fault: it sleeps */
#define ZDT_WATCH_MS		3000	/* the longest a watch takes */

struct zdt_blocked zdt_thread_watch(struct zdt_thread *t,
				    unsigned int window_ms,
				    unsigned long max_faults)
{
	struct zdt_blocked b = { };
	ktime_t start = ktime_get(), began = 0, asleep_since = 0;
	unsigned long faults = 0;

	for (;;) {
		ktime_t now = ktime_get();
		unsigned long n = zdt_thread_faults(t);
		bool running = task_is_running(t->task);

		b.ms = ktime_ms_delta(now, start);
		/* Read after its state: an exited thread is done, not asleep. */
		if (smp_load_acquire(&t->returned)) {
			b.started = true;
			b.done = true;
			b.asleep = false;
			b.faults = n;
			break;
		}
		if (!b.started && READ_ONCE(t->started)) {
			b.started = true;
			began = now;
		}
		if (running || n != faults || !b.started)
			asleep_since = 0;
		else if (!asleep_since)
			asleep_since = now;
		faults = n;
		b.faults = n;
		b.asleep = asleep_since &&
			   ktime_ms_delta(now, asleep_since) >= ZDT_ASLEEP_MS;
		if (b.ms >= ZDT_WATCH_MS)
			break;
		if (b.started && ktime_ms_delta(now, began) >= window_ms &&
		    (b.asleep || n > max_faults))
			break;
		usleep_range(ZDT_SAMPLE_US, 2 * ZDT_SAMPLE_US);
	}
	return b;
}
EXPORT_SYMBOL_GPL(zdt_thread_watch);

bool zdt_thread_waiting(struct zdt_thread *t)
{
	ktime_t start = ktime_get();

	if (!READ_ONCE(t->started))
		return false;
	for (;;) {
		bool asleep = !task_is_running(t->task);

		/* After its state: a thread that returned is not waiting. */
		if (smp_load_acquire(&t->returned))
			return false;
		if (asleep)
			return true;
		if (ktime_ms_delta(ktime_get(), start) >= ZDT_ASLEEP_MS)
			return false;
		usleep_range(ZDT_SAMPLE_US / 4, ZDT_SAMPLE_US / 2);
	}
}
EXPORT_SYMBOL_GPL(zdt_thread_waiting);

void zdt_expect_asleep(struct kunit *test, struct zdt_blocked b,
		       unsigned long max_faults, const char *who, const char *what)
{
	KUNIT_EXPECT_TRUE_MSG(test, b.started, "the %s never ran in %u ms", who, b.ms);
	KUNIT_EXPECT_LE_MSG(test, b.faults, max_faults,
			    "%lu faults in %u ms while the folio was locked: the fault spins",
			    b.faults, b.ms);
	if (!b.started || b.faults > max_faults)
		return;
	if (b.done)
		KUNIT_FAIL(test, "%s finished in %u ms under the lock: %s does not wait for it",
			   who, b.ms, what);
	else
		KUNIT_EXPECT_TRUE_MSG(test, b.asleep,
				      "%s not asleep after %u ms: %s does not sleep on the lock",
				      who, b.ms, what);
}
EXPORT_SYMBOL_GPL(zdt_expect_asleep);

/*
 * Records the event, owner and range and moves the sequence on under the
 * update lock, as Documentation/mm/hmm.rst asks (and lib/test_hmm.c does).
 * Never asserts: it runs in whatever thread invalidates, under the mmu
 * notifier's lockdep map.
 */
static bool zdt_notifier_invalidate(struct mmu_interval_notifier *sub,
				    const struct mmu_notifier_range *range,
				    unsigned long cur_seq)
{
	struct zdt_notifier *n = container_of(sub, struct zdt_notifier, notifier);

	if (mmu_notifier_range_blockable(range))
		mutex_lock(&n->lock);
	else if (!mutex_trylock(&n->lock))
		return false;
	if (n->nr_events < ZDT_NOTIFIER_EVENTS)
		n->events[n->nr_events] = (struct zdt_notifier_event) {
			.event = range->event,
			.owner = range->owner,
			.start = range->start,
			.end = range->end,
		};
	WRITE_ONCE(n->nr_events, n->nr_events + 1);
	mmu_interval_set_seq(sub, cur_seq);
	mutex_unlock(&n->lock);
	return true;
}

static const struct mmu_interval_notifier_ops zdt_notifier_ops = {
	.invalidate = zdt_notifier_invalidate,
};

/* mmu_interval_notifier_remove() takes no lock of the mm: any thread may. */
static void zdt_notifier_release(void *data)
{
	struct zdt_notifier *n = data;

	mmu_interval_notifier_remove(&n->notifier);
	mutex_destroy(&n->lock);
	kfree(n);
}

struct zdt_notifier *zdt_notifier_create(struct kunit *test, unsigned long start,
					 unsigned long len)
{
	struct zdt_notifier *n;
	int ret;

	KUNIT_ASSERT_NOT_NULL_MSG(test, current->mm,
				  "the case has no mm (map user memory first)");
	n = kzalloc_obj(*n);
	KUNIT_ASSERT_NOT_NULL(test, n);
	mutex_init(&n->lock);
	ret = mmu_interval_notifier_insert(&n->notifier, current->mm, start, len,
					   &zdt_notifier_ops);
	if (ret) {
		mutex_destroy(&n->lock);
		kfree(n);
		KUNIT_FAIL_AND_ABORT(test, "mmu_interval_notifier_insert: %d", ret);
	}
	/* With the mappings, latest first: removed before what it covers goes. */
	zdt_hold(test, ZDT_HELD_MAPPING, zdt_notifier_release, n);
	return n;
}
EXPORT_SYMBOL_GPL(zdt_notifier_create);

unsigned int zdt_notifier_events(struct zdt_notifier *n,
				 struct zdt_notifier_event *events)
{
	unsigned int nr;

	mutex_lock(&n->lock);
	nr = n->nr_events;
	memcpy(events, n->events, sizeof(n->events));
	mutex_unlock(&n->lock);
	return nr;
}
EXPORT_SYMBOL_GPL(zdt_notifier_events);

#ifdef CONFIG_ZONE_DEVICE

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
static unsigned long zdt_ram_copy(struct vm_area_struct *vma, unsigned long addr,
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
	struct task_struct *task;
	bool entered;			/* about to call memunmap_pages() */
	struct completion done;
};

static int zdt_unmap_fn(void *data)
{
	struct zdt_unmap *u = data;

	WRITE_ONCE(u->entered, true);
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
	for (i = 0; dev->mapped && !dev->unmap && i < dev->nr_pages; i++) {
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
			zdt_skip(test, "needs CONFIG_DEVICE_PRIVATE");
	} else if (!zdt_ram_size) {
		zdt_skip(test,
			 "needs reserved RAM: boot with memmap=64M!512M zone_device_fixture.coherent=64M@512M");
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

void *zdt_page_data(struct page *page)
{
	if (is_device_private_page(page))
		return page_address(zdt_backing_page(page));
	return page_address(page);
}
EXPORT_SYMBOL_GPL(zdt_page_data);

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

#else /* !CONFIG_ZONE_DEVICE: what the suites call, each case skipping. */

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

#endif /* CONFIG_ZONE_DEVICE */

static int __init zdt_fixture_init(void)
{
	/* Before the first case: built in, KUnit runs after every initcall. */
	if (!zdt_run_seed)
		zdt_run_seed = get_random_u32() ?: 1;
	/*
	 * With CONFIG_PROVE_RCU the RCU Tasks self-test prints "Callback from
	 * call_rcu_tasks() invoked." whenever its grace period ends, which
	 * on a slow guest can be after KUnit began its KTAP output: one such
	 * line between "KTAP version 1" and "# Subtest:" made kunit.py's
	 * parser lose every suite after the first.  Let it report now.
	 */
#ifdef CONFIG_TASKS_RCU
	rcu_barrier_tasks();
#endif
	pr_info("zone_device_fixture: kernel-log watch on, data seed %u\n",
		zdt_run_seed);
	return 0;
}
module_init(zdt_fixture_init);

static void __exit zdt_fixture_exit(void)
{
}
module_exit(zdt_fixture_exit);

MODULE_DESCRIPTION("What the zone-device KUnit suites share: fake ZONE_DEVICE devices, per-case data, a kernel-log watch");
MODULE_LICENSE("GPL");
