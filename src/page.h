/*
 * NAME
 *	page.h - paging: the conditions that need a person, and PageCommand
 * DESCRIPTION
 *	poc_page_check() looks at the database once (open acknowledgements
 *	and their deadlines in business time, held and failed messages,
 *	decryption and signature failures, the outbox, the spool, the
 *	daemon's heartbeat), and fills a status for `pocctl watch` (one
 *	monitoring-plugin line, exit 0/1/2/3). With send_pages it also runs
 *	PageCommand (JSON on stdin, nothing confidential) for each condition
 *	that is new, due to repeat or resolved, and records each page in the
 *	case's event log. CRITICAL repeats every PageRepeat at any hour;
 *	WARNING every PageWarningRepeat within business hours only, what
 *	waited outside them going out as one "morning-summary" page when
 *	they begin; ack-due-soon is CRITICAL within PageEscalate of business
 *	time; reminders page once. A state last paged in the future (a clock
 *	stepped back) counts as long ago; a heartbeat more than a minute in
 *	the future is filter-silent.
 *
 *	The daemon calls it once a minute; `pocctl watch --page` from cron or
 *	a systemd timer, so that a dead daemon is still reported. The page
 *	state (first seen, last paged, count) is in the database's meta
 *	table under "page:REASON:SUBJECT", and every page is claimed in one
 *	write transaction, so the two never send the same page twice.
 *
 *	Reason codes (fixed): the table reasons[] in page.c is the one list,
 *	each with its level, and morning-summary for the summary page.
 *	doc/PAGING.md describes each (tests/doc-drift.sh keeps the two
 *	equal, and doc/OPERATIONS.md's "When paged").
 *
 *	poc_page_store_alarm() is the daemon's page for a database that
 *	refuses POC mail (store-failed): its state is in memory, since the
 *	database is what failed; the daemon calls it from its sender thread.
 * ERRORS
 *	poc_page_check() returns POC_OK when the database could be read (a
 *	PageCommand that fails is logged and retried next round, not an
 *	error); otherwise the store's error, with st->level UNKNOWN and
 *	st->line saying why.
 */
#ifndef POC_PAGE_H
#define POC_PAGE_H

#include "poc.h"

G_BEGIN_DECLS

struct poc_runtime;	/* runtime.h */

typedef enum { POC_PAGE_OK = 0, POC_PAGE_WARNING = 1, POC_PAGE_CRITICAL = 2,
	       POC_PAGE_UNKNOWN = 3 } poc_page_level;

/* "OK", "WARNING", "CRITICAL", "UNKNOWN". */
const char *poc_page_level_name(poc_page_level level);

typedef struct poc_page_status {
	poc_page_level level;
	int open;		/* open cases */
	int unacked;		/* messages needing an acknowledgement not yet sent */
	int overdue;
	int due_soon;
	int held;
	int failed;		/* send failures and compose failures */
	int spooled;		/* messages waiting in the spool */
	int stuck;		/* of those, waiting longer than SpoolStuck */
	int pages_sent;		/* pages and resolved pages delivered by this run */
	int pages_failed;	/* PageCommand failed or hung: retried next round */
	gint64 next_deadline;	/* earliest deadline still ahead; 0: none */
	gint64 heartbeat;	/* 0: never */
	char *line;		/* "POCMILTER OK - 3 open cases, ... | open=3 overdue=0 held=0" */
	GPtrArray *conditions;	/* char *, one line per condition holding ("REASON CASE ...") */
} poc_page_status;

void poc_page_status_clear(poc_page_status *st);

/*
 * One check at time now. send_pages: run PageCommand / PageMail and keep
 * the page state; without it the database is only read (a read-only
 * store is fine). from_daemon names the actor of the "paged" events.
 */
int poc_page_check(struct poc_runtime *rt, gint64 now, gboolean send_pages,
		   gboolean from_daemon, poc_page_status *st, GError **error);

/* The store-failed page's state, kept by the daemon (zeroed: no condition). */
typedef struct poc_store_alarm {
	gint64 first_seen;	/* first refusal of this episode */
	gint64 last_paged;
	gint64 last_try;	/* a PageCommand that failed, tried again a minute later */
	int count;		/* pages sent in this episode */
} poc_store_alarm;

/*
 * failing: the last attempt to spool POC mail failed. Pages when the
 * condition is new or due to repeat (PageRepeat), "resolved" once it is
 * not failing any more after a page; without PageCommand or PageMail the
 * log line is the page.
 */
void poc_page_store_alarm(struct poc_runtime *rt, poc_store_alarm *a, gboolean failing, gint64 now);

G_END_DECLS

#endif
