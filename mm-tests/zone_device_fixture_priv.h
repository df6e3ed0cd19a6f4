/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the rooms of the zone_device_fixture module share with each other and
 * not with the suites: a case's state, the log watch's entry points, the
 * release of what a case holds, and the device's copy to system RAM.
 */
#ifndef _MM_TESTS_ZONE_DEVICE_FIXTURE_PRIV_H
#define _MM_TESTS_ZONE_DEVICE_FIXTURE_PRIV_H

#include <linux/list.h>
#include <linux/spinlock.h>
#include <kunit/resource.h>
#include <kunit/test.h>

#include "zone_device_fixture.h"

#define ZDT_SPLATS_KEPT		4	/* splats whose lines a verdict shows */
#define ZDT_SPLAT_TEXT		256	/* bytes kept of each */
#define ZDT_EXPECTED_MAX	2	/* splats a case may declare */
#define ZDT_MARKER_LEN		48

/*
 * What the log watch read in one window: a case's (zdt_case_begin() to its
 * last cleanup) or the one outside every case.
 */
struct zdt_log_window {
	unsigned int count;			/* splats seen */
	unsigned int lost;			/* records gone before they were read */
	bool marker;				/* the case's first record was read */
	unsigned int lines[ZDT_SPLATS_KEPT];	/* kept of each */
	char text[ZDT_SPLATS_KEPT][ZDT_SPLAT_TEXT];
};

/*
 * A case's state: a KUnit resource of the case, named ZDT_CASE_RESOURCE,
 * from zdt_case_begin() until KUnit frees it after the case's last cleanup.
 */
#define ZDT_CASE_RESOURCE	"zone_device_case"

struct zdt_case {
	struct kunit_resource res;	/* KUnit's, named ZDT_CASE_RESOURCE */
	struct kunit *test;
	unsigned int nr;		/* the run's case number, from 1 */
	u32 seed;			/* its data seed */
	bool seed_shown;
	const char *expected[ZDT_EXPECTED_MAX];	/* zdt_splat_expected() */
	unsigned int nr_expected;
	char marker[ZDT_MARKER_LEN];	/* the case's first record */
	struct zdt_log_window log;	/* what the watch read during it */
	spinlock_t held_lock;		/* any thread may hold for the case */
	struct list_head held;		/* what zdt_hold() was given */
};

/* zone_device_fixture_case.c */
struct zdt_case *zdt_case_find(struct kunit *test);
struct zdt_case *zdt_case_of(struct kunit *test);
extern unsigned int zdt_run_seed;

/* zone_device_fixture_log.c */
void zdt_log_begin(struct zdt_case *c);
void zdt_log_end(struct kunit *test, struct zdt_case *c);
void zdt_log_judge_outside(struct kunit *test);

/* zone_device_fixture_hold.c: a device's teardown releases what the case holds first. */
void zdt_release_held(struct kunit *test, void *running);

/* zone_device_fixture_device.c */
unsigned long zdt_ram_copy(struct vm_area_struct *vma, unsigned long addr,
			   struct page *spage, unsigned int order);

#endif /* _MM_TESTS_ZONE_DEVICE_FIXTURE_PRIV_H */
