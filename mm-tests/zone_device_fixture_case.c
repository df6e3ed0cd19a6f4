// SPDX-License-Identifier: GPL-2.0
/*
 * A case of the zone-device KUnit suites, from zdt_case_begin() to its last
 * cleanup: its state (a KUnit resource of the case), the kernel-log watch
 * over it (zone_device_fixture_log.c), and data no other case and no earlier
 * run writes (zdt_fill()).  And the module: what the suites share.
 */
/* pr_debug() is printed (the case's marker), dynamic debug or not. */
#define DEBUG
#include <linux/jhash.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <kunit/resource.h>
#include <kunit/test.h>

#include "zone_device_fixture_priv.h"

/* The run's data seed: random unless given (zone_device_fixture.seed=). */
unsigned int zdt_run_seed;
module_param_named(seed, zdt_run_seed, uint, 0444);
MODULE_PARM_DESC(seed, "data seed of the run (0: random); a case's seed is derived from it and the case's number");

/* KUnit runs one case at a time; zdt_case_begin() fails a second one. */
static DEFINE_MUTEX(zdt_case_lock);
static struct kunit *zdt_case_running;
static unsigned int zdt_case_nr;

static int zdt_case_init(struct kunit_resource *res, void *context)
{
	res->data = context;
	return 0;
}

static void zdt_case_free(struct kunit_resource *res)
{
	kfree(res->data);
}

/* The case's state, or NULL if its suite's .init did not begin it. */
struct zdt_case *zdt_case_find(struct kunit *test)
{
	struct kunit_resource *res = kunit_find_named_resource(test, ZDT_CASE_RESOURCE);
	struct zdt_case *c;

	if (!res)
		return NULL;
	c = res->data;
	/* Freed with the case, after its last cleanup: no reference kept. */
	kunit_put_resource(res);
	return c;
}

/* The case's state; fails a case that did not begin with zdt_case_begin(). */
struct zdt_case *zdt_case_of(struct kunit *test)
{
	struct zdt_case *c = zdt_case_find(test);

	KUNIT_ASSERT_NOT_NULL_MSG(test, c,
				  "the suite's .init does not call zdt_case_begin()");
	return c;
}

static void zdt_case_end(void *data)
{
	struct kunit *test = data;
	struct zdt_case *c = zdt_case_find(test);

	/*
	 * Nothing is held any more: every hold is a KUnit action added after
	 * this one, so KUnit ran it first (zone_device_fixture_hold.c).
	 */
	if (c)
		zdt_log_end(test, c);

	mutex_lock(&zdt_case_lock);
	zdt_case_running = NULL;
	mutex_unlock(&zdt_case_lock);
}

int zdt_case_begin(struct kunit *test)
{
	struct zdt_case *c;
	int ret;

	mutex_lock(&zdt_case_lock);
	if (zdt_case_running) {
		mutex_unlock(&zdt_case_lock);
		KUNIT_FAIL_AND_ABORT(test, "another zone-device case is running (%s)",
				     zdt_case_running->name);
	}
	zdt_case_running = test;
	zdt_case_nr++;
	mutex_unlock(&zdt_case_lock);

	c = kzalloc_obj(*c);
	if (!c)
		goto fail;
	c->test = test;
	c->nr = zdt_case_nr;
	c->seed = jhash_2words(zdt_run_seed, c->nr, 0);
	snprintf(c->marker, sizeof(c->marker),
		 "zone_device_fixture: case %u begins", c->nr);
	spin_lock_init(&c->held_lock);
	INIT_LIST_HEAD(&c->held);
	if (kunit_add_named_resource(test, zdt_case_init, zdt_case_free, &c->res,
				     ZDT_CASE_RESOURCE, c)) {
		kfree(c);
		goto fail;
	}

	/* What came before the case is not the case's. */
	zdt_log_begin(c);
	/* KERN_DEBUG, below the consoles' loglevel; the watch must read it. */
	pr_debug("%s\n", c->marker);

	/* First in after the state, so the last cleanup: it sees the teardown's splats too. */
	ret = kunit_add_action_or_reset(test, zdt_case_end, test);
	KUNIT_ASSERT_EQ(test, ret, 0);
	return 0;

fail:
	mutex_lock(&zdt_case_lock);
	zdt_case_running = NULL;
	mutex_unlock(&zdt_case_lock);
	KUNIT_FAIL_AND_ABORT(test, "%s: out of memory", __func__);
	return 0;
}
EXPORT_SYMBOL_GPL(zdt_case_begin);

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
	struct zdt_case *c = zdt_case_of(test);

	KUNIT_ASSERT_LT(test, c->nr_expected, ZDT_EXPECTED_MAX);
	c->expected[c->nr_expected++] = what;
}
EXPORT_SYMBOL_GPL(zdt_splat_expected);

void zdt_check_outside_cases(struct kunit *test)
{
	zdt_log_judge_outside(test);
}
EXPORT_SYMBOL_GPL(zdt_check_outside_cases);

/* The case's seed, shown the first time a case uses it. */
static u32 zdt_seed(struct kunit *test)
{
	struct zdt_case *c = zdt_case_of(test);

	if (!c->seed_shown) {
		kunit_info(test, "data seed %#x (case %u of zone_device_fixture.seed=%u)",
			   c->seed, c->nr, zdt_run_seed);
		c->seed_shown = true;
	}
	return c->seed;
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

void zdt_put_data(struct kunit *test, void *data, unsigned long tag)
{
	zdt_fill(test, data, ZDT_DATA_LEN, tag);
}
EXPORT_SYMBOL_GPL(zdt_put_data);

bool zdt_has_data(struct kunit *test, const void *data, unsigned long tag)
{
	return zdt_data_is(test, data, ZDT_DATA_LEN, tag);
}
EXPORT_SYMBOL_GPL(zdt_has_data);

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
/* The mm-internal functions it calls, where exported for KUnit (zone_device_caps.h). */
MODULE_IMPORT_NS(ZDT_KUNIT_NS);
