// SPDX-License-Identifier: GPL-2.0
/*
 * Bounded accesses for the zone-device KUnit suites: a kernel thread of the
 * test's mm (or of a fork of it) that runs one access once started, owned by
 * the case (zdt_hold()), waited for with a bound, and watched while
 * something keeps its access from finishing: a fault that never returns is
 * a FAIL and a leaked thread, not a hung kernel.
 */
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/pid.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <kunit/test.h>

#include "zone_device_fixture_priv.h"

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

struct zdt_thread *zdt_writer_create(struct kunit *test, unsigned long addr,
				     unsigned long tag)
{
	struct zdt_thread *t = zdt_thread_create(test, "CPU write", zdt_write_fn);

	t->addr = addr;
	zdt_put_data(test, t->buf, tag);
	return t;
}
EXPORT_SYMBOL_GPL(zdt_writer_create);

unsigned long zdt_cpu_write(struct kunit *test, struct zdt_device *dev,
			    unsigned long addr, unsigned long tag)
{
	struct zdt_thread *t = zdt_writer_create(test, addr, tag);
	unsigned long left;

	zdt_thread_start(t);
	zdt_thread_finish(test, t, dev, "after it started");
	left = t->left;
	zdt_thread_free(test, t);
	return left;
}
EXPORT_SYMBOL_GPL(zdt_cpu_write);

#if ZDT_KUNIT_EXPORTS || ZDT_FIXTURE_BUILT_IN
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
	zdt_skip(test, ZDT_NO_KERNEL_CLONE);
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
		zdt_device_fail_faults(dev, VM_FAULT_SIGBUS);
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
