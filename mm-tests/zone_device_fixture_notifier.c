// SPDX-License-Identifier: GPL-2.0
/*
 * A driver's mmu_interval_notifier for the zone-device KUnit suites, as Xe,
 * nouveau and lib/test_hmm.c register one over a range they mirror: it
 * records what each invalidation tells it.
 */
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <kunit/test.h>

#include "zone_device_fixture_priv.h"

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
