// SPDX-License-Identifier: GPL-2.0
/*
 * What a case of the zone-device KUnit suites takes is handed to KUnit
 * (zdt_hold()): each hold is a KUnit action of its own and on the case's
 * list, so that whichever of them KUnit runs first when the case ends, and a
 * device's teardown, release them all, stage by stage (enum zdt_hold_stage),
 * latest first within a stage.  Page references and locks are held here;
 * mappings, threads and notifiers in their own rooms, through zdt_hold().
 */
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/slab.h>
#include <kunit/test.h>

#include "zone_device_fixture_priv.h"

struct zdt_held {
	struct list_head node;
	struct zdt_case *c;
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
	spin_lock(&h->c->held_lock);
	list_del(&h->node);
	spin_unlock(&h->c->held_lock);
	h->release(h->data);
	kfree(h);
}

/* Releases every hold of case @c; @running is the one KUnit runs now. */
static void zdt_release_case(struct zdt_case *c, void *running)
{
	enum zdt_hold_stage stage;

	for (stage = 0; stage < ZDT_HELD_STAGES; stage++) {
		for (;;) {
			struct zdt_held *h = NULL, *i;

			spin_lock(&c->held_lock);
			list_for_each_entry_reverse(i, &c->held, node) {
				if (i->stage == stage) {
					h = i;
					break;
				}
			}
			spin_unlock(&c->held_lock);
			if (!h)
				break;
			if (h != running)
				kunit_remove_action(c->test, zdt_held_action, h);
			zdt_held_free(h);
		}
	}
}

void zdt_release_held(struct kunit *test, void *running)
{
	struct zdt_case *c = zdt_case_find(test);

	if (c)
		zdt_release_case(c, running);
}

static void zdt_held_action(void *data)
{
	struct zdt_held *h = data;

	zdt_release_case(h->c, h);
}

void zdt_hold(struct kunit *test, enum zdt_hold_stage stage,
	      kunit_action_t *release, void *data)
{
	/* Any thread may hold for the case: no assertion here. */
	struct zdt_case *c = zdt_case_find(test);
	struct zdt_held *h = c ? kzalloc_obj(*h) : NULL;

	if (!h) {
		release(data);
		KUNIT_FAIL(test, "%s: %s", __func__, c ? "out of memory" :
			   "the suite's .init does not call zdt_case_begin()");
		return;
	}
	h->c = c;
	h->stage = stage;
	h->release = release;
	h->data = data;
	spin_lock(&c->held_lock);
	list_add_tail(&h->node, &c->held);
	spin_unlock(&c->held_lock);
	/* On failure _or_reset runs the action: @data is released. */
	if (kunit_add_action_or_reset(test, zdt_held_action, h))
		KUNIT_FAIL(test, "%s: kunit_add_action_or_reset failed", __func__);
}
EXPORT_SYMBOL_GPL(zdt_hold);

/* The latest hold of @release(@data), let go: released if @release_it. */
static void zdt_unhold(struct kunit *test, kunit_action_t *release, void *data,
		       bool release_it)
{
	struct zdt_case *c = zdt_case_of(test);
	struct zdt_held *h = NULL, *i;

	spin_lock(&c->held_lock);
	list_for_each_entry_reverse(i, &c->held, node) {
		if (i->release == release && i->data == data) {
			h = i;
			break;
		}
	}
	spin_unlock(&c->held_lock);
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

void zdt_own_page_lock(struct kunit *test, struct page *page)
{
	zdt_hold(test, ZDT_HELD_PAGE, zdt_unlock_page_action, page);
}
EXPORT_SYMBOL_GPL(zdt_own_page_lock);

void zdt_unlock_page(struct kunit *test, struct page *page)
{
	zdt_release(test, zdt_unlock_page_action, page);
}
EXPORT_SYMBOL_GPL(zdt_unlock_page);
