/*
 * NAME
 *	publication.c - the 45-day target, the statement deadline and the
 *	publication reminders of a case
 * SYNOPSIS
 *	#include "publication.h"
 *
 *	int poc_publication_reminders(const poc_calendar *cal,
 *		int statement_before, const poc_case *c, gint64 now,
 *		poc_reminder out[], int max);
 * DESCRIPTION
 *	Each reminder is a window [due_at, end) computed from the case
 *	alone; a reminder is "due" when now is inside it. Stating them as
 *	windows (not as "fire at due_at") lets the caller look at any
 *	time, after a restart or a missed minute, and still page once per
 *	(reason, case, due_at). The rules and their source are in
 *	doc/PUBLICATION.md.
 *
 *	Days are Japan days and business days those of the calendar
 *	(national holidays, closures), as for acknowledgement deadlines.
 * DIAGNOSTICS
 *	None: a calendar without business days gives no statement-due
 *	reminder (there is no day to page on).
 */
#include "config.h"

#include <string.h>

#include "publication.h"

static const char *const reason_names[] = { "statement-due", "publication-today", "target-near" };

const char *
poc_reminder_reason_name(poc_reminder_reason r)
{
	return (unsigned)r < G_N_ELEMENTS(reason_names) ? reason_names[r] : "?";
}

gint64
poc_case_target(const poc_case *c)
{
	if (c->target_date)
		return c->target_date;
	return c->opened_at ? c->opened_at + (gint64)POC_TARGET_DAYS * 86400 : 0;
}

int
poc_statement_before_days(gint64 duration)
{
	/* "3d" means three business days; a part of a day counts as one. */
	if (duration <= 0)
		return POC_STATEMENT_BEFORE_DEFAULT;
	return (int)MIN((duration + 86399) / 86400, 60);
}

/* Japan-time day number (days since 1970-01-01 in UTC+9). */
static gint64
jst_day(gint64 t)
{
	gint64 local = t + POC_JST_OFFSET;

	return local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
}

gint64
poc_business_days_before(const poc_calendar *cal, gint64 t, int n)
{
	GDate d;
	gint64 day = jst_day(t);

	g_date_clear(&d, 1);
	g_date_set_dmy(&d, 1, G_DATE_JANUARY, 1970);
	if (day > 0)
		g_date_add_days(&d, (guint)day);
	else if (day < 0)
		g_date_subtract_days(&d, (guint)-day);
	for (int back = 1; back <= 400 && n > 0; back++) {
		g_date_subtract_days(&d, 1);
		day--;
		if (poc_calendar_is_business_day(cal, g_date_get_year(&d), g_date_get_month(&d),
						 g_date_get_day(&d)) &&
		    --n == 0)
			/* noon of that Japan day, then its business start */
			return poc_calendar_day_start(cal, day * 86400 + 12 * 3600 - POC_JST_OFFSET);
	}
	return -1;
}

gint64
poc_statement_deadline(const poc_calendar *cal, gint64 publication_date)
{
	return publication_date ? poc_business_days_before(cal, publication_date, 1) : -1;
}

static gboolean
state_is(const poc_case *c, const char *const *states)
{
	for (int i = 0; states[i]; i++)
		if (g_strcmp0(c->state, states[i]) == 0)
			return TRUE;
	return FALSE;
}

static void
add(poc_reminder out[], int max, int *n, poc_reminder_reason reason, const poc_case *c,
    gint64 due_at)
{
	if (*n < max) {
		out[*n].reason = reason;
		out[*n].case_id = c->id;
		out[*n].due_at = due_at;
		out[*n].publication_date = c->publication_date;
		out[*n].target_date = poc_case_target(c);
	}
	(*n)++;
}

int
poc_publication_reminders(const poc_calendar *cal, int statement_before, const poc_case *c,
			  gint64 now, poc_reminder out[], int max)
{
	static const char *const done[] = { "closed", NULL };
	static const char *const statement_done[] = { "statement-sent", "published", "closed",
						      NULL };
	static const char *const undecided[] = { "open", "investigating", NULL };
	gint64 pub = c->publication_date, target = poc_case_target(c);
	int n = 0;

	if (state_is(c, done))
		return 0;
	if (statement_before <= 0)
		statement_before = POC_STATEMENT_BEFORE_DEFAULT;

	/* statement-due: asked for, not sent, publication not yet passed */
	if (pub && now < pub && !state_is(c, statement_done) &&
	    (c->statement_state == POC_STATEMENT_REQUESTED ||
	     c->statement_state == POC_STATEMENT_FAILED)) {
		gint64 first = poc_business_days_before(cal, pub, statement_before);
		gint64 last = poc_statement_deadline(cal, pub);

		if (last >= 0 && now >= last)
			add(out, max, &n, POC_REMINDER_STATEMENT_DUE, c, last);
		else if (first >= 0 && now >= first)
			add(out, max, &n, POC_REMINDER_STATEMENT_DUE, c, first);
	}

	/* publication-today: from the start of business hours to the end of the Japan day */
	if (pub && g_strcmp0(c->state, "published") != 0) {
		gint64 start = poc_calendar_day_start(cal, pub);
		gint64 day_end = (jst_day(pub) + 1) * 86400 - POC_JST_OFFSET;

		if (now >= start && now < day_end)
			add(out, max, &n, POC_REMINDER_PUBLICATION_TODAY, c, start);
	}

	/*
	 * target-near: the last week before the 45-day target, nothing decided
	 * yet; due at the start of business hours, like the others (not at the
	 * hour the case was opened).
	 */
	if (target && state_is(c, undecided)) {
		gint64 due = poc_calendar_day_start(cal, target - (gint64)POC_TARGET_NEAR_DAYS * 86400);

		if (now >= due && now < target)
			add(out, max, &n, POC_REMINDER_TARGET_NEAR, c, due);
	}
	return n;
}
