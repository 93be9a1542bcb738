/*
 * NAME
 *	page.h - paging: the conditions that need a person, and PageCommand
 * DESCRIPTION
 *	poc_watch_run() looks at the database once (open acknowledgements
 *	and their deadlines in business time, held and failed messages,
 *	decryption and signature failures, the outbox, the spool, the
 *	daemon's heartbeat), and fills a status for `pocctl watch` (one
 *	monitoring-plugin line, exit 0/1/2/3). With send_pages it also runs
 *	PageCommand (JSON on stdin, nothing confidential) for each condition
 *	that is new, due to repeat (PageRepeat) or resolved, and records
 *	each page in the case's event log.
 *
 *	The daemon calls it once a minute; `pocctl watch --page` from cron or
 *	a systemd timer, so that a dead daemon is still reported.
 *	Reason codes (fixed): ack-due-soon, ack-overdue, ack-held,
 *	decrypt-failed, signature-not-good, send-failed, filter-silent,
 *	spool-stuck (and, for publication tracking, statement-due,
 *	publication-today, target-near).
 */
#ifndef POC_PAGE_H
#define POC_PAGE_H

#include "worker.h"

G_BEGIN_DECLS

typedef enum { POC_WATCH_OK = 0, POC_WATCH_WARNING = 1, POC_WATCH_CRITICAL = 2,
	       POC_WATCH_UNKNOWN = 3 } poc_watch_level;

typedef struct poc_watch_status {
	poc_watch_level level;
	int open;		/* open cases */
	int unacked;		/* messages needing an acknowledgement not yet sent */
	int overdue;
	int due_soon;
	int held;
	int failed;		/* send failures and compose failures */
	int spooled;		/* messages waiting in the spool */
	int pages_sent;
	gint64 next_deadline;	/* 0: none */
	gint64 heartbeat;	/* 0: never */
	char *line;		/* "POCMILTER OK - 3 open cases, ... | open=3 overdue=0 held=0" */
} poc_watch_status;

void poc_watch_status_clear(poc_watch_status *st);

int poc_watch_run(poc_runtime *rt, gint64 now, gboolean send_pages, gboolean from_daemon,
		  poc_watch_status *st, GError **error);

G_END_DECLS

#endif
