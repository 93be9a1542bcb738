/*
 * NAME
 *	calendar.h - the Japanese business calendar and the acknowledgement
 *	deadline
 * SYNOPSIS
 *	#include "calendar.h"
 * DESCRIPTION
 *	National holidays of Japan are computed from the Act on National
 *	Holidays (国民の祝日に関する法律) with every amendment, 1948-2099.
 *	A poc_calendar adds a site's view: business hours, closures
 *	(default 12-29..01-03), extra holidays from a file, special working
 *	days. All computation is in Japan time (UTC+9, no DST) whatever the
 *	host's TZ. See doc/CALENDAR.md for the rules and their sources.
 *
 *	A poc_calendar is set up by one thread (poc_calendar_new, then the
 *	setters); once set up it is immutable and may be shared by threads.
 *	The national holiday table is built once per process, thread-safely,
 *	on first use.
 *
 *	Calls returning int give POC_OK or a poc_status; those taking a
 *	GError ** set it in the POC_ERROR domain with code POC_ERR_CONFIG
 *	and a message naming what was wrong (the file and line for a
 *	holiday file).
 */
#ifndef POC_CALENDAR_H
#define POC_CALENDAR_H

#include "jst.h"
#include "poc.h"

G_BEGIN_DECLS

/* National holidays are known for these years; outside them there are none. */
#define POC_HOLIDAY_FIRST_YEAR 1948
#define POC_HOLIDAY_LAST_YEAR 2099
/* No year has more holidays than this (2019 has 22). */
#define POC_HOLIDAYS_MAX 32

/*
 * The name of the national holiday on y-m-d (Japanese, as the law gives
 * it; 振替休日 as "<holiday> 振替休日", 国民の休日 as "休日"), or NULL.
 * Years outside 1948-2099 have no holidays. The string is static.
 */
const char *poc_holiday_name(int year, int month, int day);

/*
 * Fill out with the national holidays of a year, in date order; names
 * as poc_holiday_name(). Returns how many the year has (like snprintf:
 * at most max are written, so pass POC_HOLIDAYS_MAX).
 */
typedef struct poc_holiday {
	int month, day;
	const char *name;
} poc_holiday;
int poc_holidays_of_year(int year, poc_holiday out[], int max);

typedef struct poc_calendar poc_calendar;

/* National holidays, Mon-Fri, 09:00-17:30, closures 12-29..01-03. */
poc_calendar *poc_calendar_new(void);
void poc_calendar_free(poc_calendar *cal);

/* Minutes after midnight; 0 <= start < end <= 1440. POC_ERR_INVAL otherwise. */
int poc_calendar_set_business_hours(poc_calendar *cal, int start_min, int end_min);
/* "HH:MM-HH:MM" (end may be 24:00); POC_ERR_CONFIG when malformed. */
int poc_calendar_parse_business_hours(const char *text, int *start_min, int *end_min);
/*
 * Replace the closures with spec: a comma/space separated list of
 * MM-DD, MM-DD..MM-DD (may cross the year end), YYYY-MM-DD and
 * YYYY-MM-DD..YYYY-MM-DD. An empty spec removes all closures.
 * On error the closures are unchanged.
 */
int poc_calendar_set_closures(poc_calendar *cal, const char *spec, GError **error);
/*
 * Special working days (same syntax): business days even if a holiday,
 * a closure or a weekend.
 */
int poc_calendar_set_working_days(poc_calendar *cal, const char *spec, GError **error);
/*
 * A site holiday file: "YYYY-MM-DD [name]" (or YYYY/M/D) per line, '#'
 * comments (whole lines, or after white space); or the Cabinet Office's syukujitsu.csv ("YYYY/M/D,name",
 * Shift_JIS or UTF-8, with its header line). A line "YYYY-MM-DD -" removes
 * a computed holiday (a correction). Files add up; a later line about
 * the same date wins. On error nothing of the file is applied.
 */
int poc_calendar_load_holiday_file(poc_calendar *cal, const char *path, GError **error);

/*
 * The holidays of a year as this calendar sees them: the national ones
 * less those a holiday file removed, plus those it added ("休日" when
 * the file gives no name). Closures are not listed. Returns the count,
 * writing at most max; names live as long as cal.
 */
int poc_calendar_holidays_of_year(const poc_calendar *cal, int year, poc_holiday out[], int max);

/* Is this Japan-time date a business day? */
gboolean poc_calendar_is_business_day(const poc_calendar *cal, int year, int month, int day);

/*
 * End of business hours on the first business day strictly after the
 * Japan-time calendar day of received. Seconds since the epoch; -1 when
 * the calendar has no business day in the 400 days after received (it
 * closes everything).
 */
gint64 poc_calendar_ack_deadline(const poc_calendar *cal, gint64 received);

/* Business seconds (within business hours of business days) in [from, to). */
gint64 poc_calendar_business_seconds(const poc_calendar *cal, gint64 from, gint64 to);

/*
 * The latest instant t <= deadline with business_seconds(t, deadline) ==
 * business_seconds, i.e. when that much business time remains before
 * the deadline (for "page 4 business hours before"). When it falls on a
 * day boundary the start of business hours is given, not the end of the
 * previous business day. deadline itself when business_seconds <= 0; -1
 * when the calendar has no business day for 400 days before.
 */
gint64 poc_calendar_business_before(const poc_calendar *cal, gint64 deadline, gint64 business_seconds);

/*
 * Start of business hours on the Japan-time day of t, business day or
 * not (for publication-day reminders).
 */
gint64 poc_calendar_day_start(const poc_calendar *cal, gint64 t);

G_END_DECLS

#endif
