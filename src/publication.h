/*
 * NAME
 *	publication.h - following a case to publication: the 45-day target,
 *	the statement deadline and the reminders that are due
 * DESCRIPTION
 *	Pure functions of a case, the business calendar and a time: no
 *	database, no clock, no paging. The paging module calls
 *	poc_publication_reminders() for each case and pages each reminder
 *	once per (reason, case id, due_at); doc/PUBLICATION.md gives the
 *	rules.
 *
 *	Reason codes (fixed; three of the page reasons, reasons[] in page.c):
 *	statement-due	a publication notice asked for the vendor statement
 *			and none was sent: due StatementBefore business days
 *			before the publication date and again the business
 *			day before, at the start of business hours;
 *	publication-today  the publication date, at the start of business
 *			hours;
 *	target-near	7 days before the 45-day target with the case still
 *			open or investigating, at the start of business hours
 *			of that (Japan) day.
 *	All three are due at the start of BusinessHours: the one time of day
 *	reminders page.
 */
#ifndef POC_PUBLICATION_H
#define POC_PUBLICATION_H

#include "calendar.h"
#include "record.h"

G_BEGIN_DECLS

typedef enum poc_reminder_reason {
	POC_REMINDER_STATEMENT_DUE = 0,
	POC_REMINDER_PUBLICATION_TODAY,
	POC_REMINDER_TARGET_NEAR
} poc_reminder_reason;
const char *poc_reminder_reason_name(poc_reminder_reason);

#define POC_TARGET_NEAR_DAYS 7
#define POC_STATEMENT_BEFORE_DEFAULT 3	/* business days */
#define POC_REMINDERS_MAX 3		/* at most one of each reason is due at a time */

typedef struct poc_reminder {
	poc_reminder_reason reason;
	const char *case_id;	/* the case's own string: valid while the case lives */
	gint64 due_at;		/* when this reminder became due (its identity with reason, case) */
	gint64 publication_date;	/* 0: none */
	gint64 target_date;
} poc_reminder;

/*
 * The reminders of case c that are due at now, written to out (at most
 * max; POC_REMINDERS_MAX is enough). Returns how many are due. Each is
 * due from its due_at until the next one of the same reason or the end
 * of what it reminds of (the publication date; the end of the
 * publication day; the target date). statement_before: business days
 * (0 or less: POC_STATEMENT_BEFORE_DEFAULT). Closed cases have none.
 */
int poc_publication_reminders(const poc_calendar *cal, int statement_before, const poc_case *c,
			      gint64 now, poc_reminder out[], int max);

/* The 45-day target of a case (c->target_date, or opened_at + 45 days). */
gint64 poc_case_target(const poc_case *c);

/*
 * Start of business hours on the n-th business day before the Japan
 * date of t (n >= 1); -1 when the calendar has none in 400 days.
 */
gint64 poc_business_days_before(const poc_calendar *cal, gint64 t, int n);

/* The business day before the publication date, start of business hours: the statement's last call. */
gint64 poc_statement_deadline(const poc_calendar *cal, gint64 publication_date);

/* StatementBefore (a duration, "3d") as business days. */
int poc_statement_before_days(gint64 duration);

G_END_DECLS

#endif
