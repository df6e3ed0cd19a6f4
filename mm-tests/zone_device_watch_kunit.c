// SPDX-License-Identifier: GPL-2.0
/*
 * The last zone-device suite: the kernel log outside every case.
 *
 * The fixture's log watch reads each record of the printk ring buffer once;
 * a splat inside a case fails that case, one outside every case (at boot,
 * in a suite's init or exit, between two cases, from a thread or work item
 * that outlived its case) is kept for this suite.  Linked and loaded after
 * every other suite, so it runs last and reports them all.
 */
#include <kunit/test.h>

#include "zone_device_fixture.h"

/*
 * Nothing the suites ran may leave the kernel splatting outside a case
 * (Documentation/dev-tools/kunit/style.rst: a test reports what went wrong;
 * a WARN is a kernel bug, Documentation/process/coding-style.rst "Use
 * WARN() only for conditions that are not expected").  Succeeds if no
 * WARNING, BUG, Oops, lockdep, RCU-stall or hung-task report came from boot
 * up to now outside the cases' windows.
 */
static void no_splat_outside_a_case(struct kunit *test)
{
	zdt_check_outside_cases(test);
}

static struct kunit_case zone_device_watch_cases[] = {
	KUNIT_CASE(no_splat_outside_a_case),
	{}
};

static struct kunit_suite zone_device_watch_suite = {
	.name = "zone_device_watch",
	.init = zdt_case_begin,
	.test_cases = zone_device_watch_cases,
};

kunit_test_suite(zone_device_watch_suite);

MODULE_DESCRIPTION("KUnit check that no kernel splat came outside the zone-device cases");
MODULE_LICENSE("GPL");
