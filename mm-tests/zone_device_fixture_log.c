// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel-log watch of the zone-device KUnit suites.
 *
 * It reads the printk ring buffer (kmsg_dump_get_line()), not a console, so
 * the console loglevel (quiet, loglevel=1) hides nothing from it.  Every
 * record from boot on is read once, in order, and falls either in a case's
 * window (zdt_case_begin() to the case's last cleanup), where a splat fails
 * the case, or outside every case (boot, suite init and exit, between
 * cases, a thread that outlived its case), where it is kept for
 * zone_device_watch.no_splat_outside_a_case, the suite that runs last.
 * A record may be several lines, each behind a "[time]" prefix when
 * printk.time is on.
 */
#include <linux/kmsg_dump.h>
#include <linux/minmax.h>
#include <linux/mutex.h>
#include <linux/string.h>
#include <kunit/test.h>

#include "zone_device_fixture_priv.h"

#define ZDT_SPLAT_LINES		3	/* lines kept of each splat */

static DEFINE_MUTEX(zdt_log_lock);
static struct kmsg_dump_iter zdt_log_iter;	/* the next record to read */
static bool zdt_log_started;
static char zdt_log_record[1024];
static unsigned int zdt_log_lines_left;		/* of the latest splat, to keep */
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

/* The case's window opens: what came before it is read as outside. */
void zdt_log_begin(struct zdt_case *c)
{
	mutex_lock(&zdt_log_lock);
	zdt_log_read(&zdt_log_outside, NULL);
	zdt_log_lines_left = 0;
	mutex_unlock(&zdt_log_lock);
}

/* The case's window closes: its splats fail it, unless it declared them. */
void zdt_log_end(struct kunit *test, struct zdt_case *c)
{
	mutex_lock(&zdt_log_lock);
	zdt_log_read(&c->log, c->marker);
	zdt_log_lines_left = 0;
	/* A watch that reads nothing would pass every case: say so instead. */
	if (!c->log.marker)
		KUNIT_FAIL(test, "kernel-log watch never read \"%s\": blind",
			   c->marker);
	zdt_log_judge(test, &c->log, "during the case", c->expected,
		      c->nr_expected);
	strscpy(zdt_log_last_case, test->name, sizeof(zdt_log_last_case));
	mutex_unlock(&zdt_log_lock);
}

/*
 * Fails @test for the splats read outside every case, up to @test's own
 * start: reported once, a later call reports what came after.
 */
void zdt_log_judge_outside(struct kunit *test)
{
	mutex_lock(&zdt_log_lock);
	zdt_log_judge(test, &zdt_log_outside, "outside any case", NULL, 0);
	memset(&zdt_log_outside, 0, sizeof(zdt_log_outside));
	mutex_unlock(&zdt_log_lock);
}
