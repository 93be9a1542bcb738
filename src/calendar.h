/*
 * NAME
 *	calendar.h - the Japanese business calendar and the acknowledgement
 *	deadline
 * DESCRIPTION
 *	National holidays of Japan are computed from the Act on National
 *	Holidays (国民の祝日に関する法律) with every amendment, 1948-2099.
 *	A poc_calendar adds a site's view: business hours, closures
 *	(default 12-29..01-03), extra holidays from a file, special working
 *	days. All computation is in Japan time (UTC+9, no DST) whatever the
 *	host's TZ.
 *
 *	A poc_calendar is immutable once set up and may be shared by threads.
 */
#ifndef POC_CALENDAR_H
#define POC_CALENDAR_H

#include "poc.h"

G_BEGIN_DECLS

#define POC_JST_OFFSET (9 * 3600)

/*
 * The name of the national holiday on y-m-d (Japanese, as the law gives
 * it; 振替休日 as "<holiday> 振替休日", 国民の休日 as "休日"), or NULL.
 * Years outside 1948-2099 have no holidays.
 */
const char *poc_holiday_name(int year, int month, int day);

/* Fill out with the national holidays of a year, in date order. */
typedef struct poc_holiday {
	int month, day;
	const char *name;
} poc_holiday;
int poc_holidays_of_year(int year, poc_holiday out[], int max);

typedef struct poc_calendar poc_calendar;

/* National holidays, Mon-Fri, 09:00-17:30, closures 12-29..01-03. */
poc_calendar *poc_calendar_new(void);
void poc_calendar_free(poc_calendar *cal);

/* Minutes after midnight; start < end. */
int poc_calendar_set_business_hours(poc_calendar *cal, int start_min, int end_min);
/* "HH:MM-HH:MM" */
int poc_calendar_parse_business_hours(const char *text, int *start_min, int *end_min);
/*
 * Replace the closures with spec: a comma/space separated list of
 * MM-DD, MM-DD..MM-DD (may cross the year end), YYYY-MM-DD and
 * YYYY-MM-DD..YYYY-MM-DD. An empty spec removes all closures.
 */
int poc_calendar_set_closures(poc_calendar *cal, const char *spec, GError **error);
/* Special working days (same syntax): business days even if a holiday. */
int poc_calendar_set_working_days(poc_calendar *cal, const char *spec, GError **error);
/*
 * A site holiday file: "YYYY-MM-DD [name]" (or YYYY/M/D) per line, '#'
 * comments; or the Cabinet Office's syukujitsu.csv (Shift_JIS or UTF-8).
 * A line "YYYY-MM-DD -" removes a computed holiday (a correction).
 */
int poc_calendar_load_holiday_file(poc_calendar *cal, const char *path, GError **error);

/* Is this Japan-time date a business day? */
gboolean poc_calendar_is_business_day(const poc_calendar *cal, int year, int month, int day);

/*
 * End of business hours on the first business day strictly after the
 * Japan-time calendar day of received. Seconds since the epoch.
 */
gint64 poc_calendar_ack_deadline(const poc_calendar *cal, gint64 received);

/* Business seconds (within business hours of business days) in [from, to). */
gint64 poc_calendar_business_seconds(const poc_calendar *cal, gint64 from, gint64 to);

/*
 * The instant at which `business_seconds` of business time remain before
 * `deadline` (for "page 4 business hours before").
 */
gint64 poc_calendar_business_before(const poc_calendar *cal, gint64 deadline, gint64 business_seconds);

/* Start of business hours on the Japan-time day of t (for publication-day reminders). */
gint64 poc_calendar_day_start(const poc_calendar *cal, gint64 t);

G_END_DECLS

#endif
