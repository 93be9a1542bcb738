/*
 * NAME
 *	pocctl - cases, acknowledgements, paging check, calendar and import
 *	for people and scripts
 * SYNOPSIS
 *	pocctl [-c FILE] VERB [ARGS]   (see pocctl(1))
 * DESCRIPTION
 *	Reading verbs (list, show, export, calendar ics) read the database
 *	without waiting for the daemon; show and export then record who read
 *	which case (read events, 512 to a write transaction; syslog authpriv
 *	for a reader who cannot write). Writing verbs (import, ack, note,
 *	close, state, statement, accept) are serialised with the daemon by
 *	LMDB's writer lock. Acknowledgements queued here are sent by the
 *	daemon's outbox. import never uses the spool (the daemon's alone):
 *	each message is filed in one write transaction from the file's bytes
 *	(poc_process_message).
 * SECURITY
 *	Text read from mail (subjects, addresses, Message-IDs, problems,
 *	notes, events) is printed through poc_text_for_terminal(): control
 *	characters, escape sequences and newlines inside a field show as
 *	visible escapes, so a crafted notice cannot add, hide or recolour
 *	lines. JSON output is record.c's, every control character
 *	escaped. Files written with --output are created 0600 (0640 with a
 *	group-readable DatabaseMode).
 * DIAGNOSTICS
 *	Exit 0 on success; 1 usage or configuration error; 2 unknown id;
 *	3 database cannot be opened; 4 database of a newer schema; 5 other
 *	failures. `watch` uses the monitoring plugin codes instead.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "preflight.h"
#include "caserules.h"
#include "ics.h"
#include "log.h"
#include "metrics.h"
#include "notice.h"
#include "page.h"
#include "publication.h"
#include "statement.h"
#include "process.h"

enum { EXIT_USAGE = 1, EXIT_NOTFOUND = 2, EXIT_DB = 3, EXIT_DBVERSION = 4, EXIT_FAIL = 5 };

static const char *config_path;

static G_NORETURN void
die(int code, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void
die(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("pocctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static int
exit_for(int status)
{
	switch (status) {
	case POC_ERR_NOTFOUND: return EXIT_NOTFOUND;
	case POC_ERR_DB_VERSION: return EXIT_DBVERSION;
	case POC_ERR_DB:
	case POC_ERR_PERM:
	case POC_ERR_IO: return EXIT_DB;
	case POC_ERR_CONFIG: return EXIT_USAGE;
	default: return EXIT_FAIL;
	}
}

static poc_runtime *
open_runtime(unsigned flags)
{
	poc_runtime *rt = NULL;
	GError *err = NULL;
	int status = poc_runtime_open(config_path, flags, &rt, &err);

	/* A database that is not there is an unreadable database, not an unknown id. */
	if (status == POC_ERR_NOTFOUND)
		status = POC_ERR_DB;
	if (status != POC_OK)
		die(exit_for(status), "%s", err ? err->message : poc_strerror(status));
	return rt;
}

static char *
actor(void)
{
	struct passwd *pw = getpwuid(getuid());
	return g_strdup_printf("pocctl:%ld(%s)", (long)getuid(), pw ? pw->pw_name : "?");
}

static void
record_event(poc_runtime *rt, const char *case_id, const char *type, const char *message_id,
	     const char *detail)
{
	poc_event ev = { 0 };
	GError *err = NULL;

	ev.at = poc_now();
	ev.case_id = (char *)case_id;
	ev.type = (char *)type;
	ev.actor = actor();
	ev.message_id = (char *)message_id;
	ev.detail = (char *)detail;
	if (poc_store_add_event(rt->store, &ev, &err) != POC_OK) {
		fprintf(stderr, "pocctl: cannot record the %s event: %s\n", type,
			err ? err->message : "?");
		g_clear_error(&err);
	}
	g_free(ev.actor);
}

/* Messages of a case, in order. */
static GPtrArray *
case_messages(poc_runtime *rt, const poc_case *c)
{
	GPtrArray *msgs = g_ptr_array_new_with_free_func((GDestroyNotify)poc_message_free);

	for (guint i = 0; c->message_ids && i < c->message_ids->len; i++) {
		poc_message *m = NULL;

		if (poc_store_get_message(rt->store, g_ptr_array_index(c->message_ids, i), &m, NULL) ==
		    POC_OK)
			g_ptr_array_add(msgs, m);
	}
	return msgs;
}

/*
 * Every string that comes from mail (or from a person's note) is printed
 * through tty(): control characters, escapes and newlines inside a field
 * show as visible escapes (poc_text_for_terminal), so a crafted Subject
 * cannot add or hide lines. The copies live until tty_done().
 */
static GPtrArray *tty_pool;

static const char *
tty(const char *s)
{
	char *r;

	if (!s)
		return NULL;
	r = poc_text_for_terminal(s);
	if (!tty_pool)
		tty_pool = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(tty_pool, r);
	return r;
}

static void
tty_done(void)
{
	if (tty_pool)
		g_ptr_array_set_size(tty_pool, 0);
}

static void
print_json(const GString *json, gboolean pretty)
{
	GString *s = g_string_sized_new(pretty ? json->len * 2 : 0);

	if (pretty)
		poc_json_pretty(json->str, json->len, s);
	puts(pretty ? s->str : json->str);
	g_string_free(s, TRUE);
}

/*
 * Times for people: Japan time by default (deadlines are Japanese business
 * days), or UTC (--utc) or the local zone (--local). RFC 3339 in full, or
 * "MM-DD HH:MM" where a table must fit 80 columns. JSON keeps +09:00.
 */
static GTimeZone *display_zone;	/* NULL: Japan */
static const char *display_zone_name = "+09:00";

static char *
disp_time_fmt(gint64 t, gboolean brief, char buf[POC_TIME_BUFSIZE])
{
	GDateTime *utc, *dt;
	char *s;

	if (display_zone == NULL && !brief)
		return poc_time_format(t, buf);
	buf[0] = '\0';
	if (t == 0 || (utc = g_date_time_new_from_unix_utc(t)) == NULL)
		return buf;
	dt = display_zone ? g_date_time_to_timezone(utc, display_zone)
			  : g_date_time_add_seconds(utc, POC_JST_OFFSET);
	s = g_date_time_format(dt, brief ? "%m-%d %H:%M"
			       : display_zone && g_date_time_get_utc_offset(dt) == 0 && display_zone_name[0] == 'U'
				       ? "%Y-%m-%dT%H:%M:%SZ"
				       : "%Y-%m-%dT%H:%M:%S%:z");
	g_strlcpy(buf, s ? s : "", POC_TIME_BUFSIZE);
	g_free(s);
	g_date_time_unref(dt);
	g_date_time_unref(utc);
	return buf;
}

static char *
disp_time(gint64 t, char buf[POC_TIME_BUFSIZE])
{
	return disp_time_fmt(t, FALSE, buf);
}

/* --- list ------------------------------------------------------------------ */

enum { FILTER_ALL, FILTER_UNACKED, FILTER_OVERDUE, FILTER_OPEN, FILTER_PUBLISHING };

typedef struct list_ctx {
	poc_runtime *rt;
	int filter;
	gboolean json;
	gboolean wide;		/* --wide: full RFC 3339 times, wider columns */
	gint64 now;
	GString *rows;	/* the JSON array of --json, compact */
	int count;
	gint64 from, until;	/* FILTER_PUBLISHING: publication dates in [from, until] */
	GPtrArray *publishing;	/* poc_case *, FILTER_PUBLISHING (listed by date) */
} list_ctx;

/* Start of the Japan day of t. */
static gint64
jst_midnight(gint64 t)
{
	gint64 local = t + POC_JST_OFFSET;

	return local - (local % 86400 + 86400) % 86400 - POC_JST_OFFSET;
}

static gboolean
message_unacked(const poc_message *m)
{
	return m->ack_required && m->ack_state != POC_ACK_SENT && m->ack_state != POC_ACK_NOT_REQUIRED;
}

/* Business time to the deadline; once it has passed (wall time), business time since. */
static void
format_left(const poc_calendar *cal, gint64 now, gint64 deadline, char *buf, size_t size)
{
	if (now >= deadline) {
		gint64 since = poc_calendar_business_seconds(cal, deadline, now);

		g_snprintf(buf, size, "overdue %" G_GINT64_FORMAT "h%02" G_GINT64_FORMAT "m",
			   since / 3600, (since / 60) % 60);
	} else {
		gint64 left = poc_calendar_business_seconds(cal, now, deadline);

		g_snprintf(buf, size, "%" G_GINT64_FORMAT "h%02" G_GINT64_FORMAT "m", left / 3600,
			   (left / 60) % 60);
	}
}

static int
list_one(poc_case *c, void *data)
{
	list_ctx *lc = data;
	GPtrArray *msgs = case_messages(lc->rt, c);
	poc_message *last = msgs->len ? g_ptr_array_index(msgs, msgs->len - 1) : NULL;
	poc_message *pending = NULL;
	gboolean keep;

	for (guint i = 0; i < msgs->len; i++) {
		poc_message *m = g_ptr_array_index(msgs, i);
		if (message_unacked(m) && (!pending || m->ack_deadline < pending->ack_deadline))
			pending = m;
	}
	switch (lc->filter) {
	case FILTER_UNACKED: keep = pending != NULL; break;
	case FILTER_OVERDUE: keep = pending && pending->ack_deadline < lc->now; break;
	case FILTER_OPEN: keep = g_strcmp0(c->state, "closed") != 0; break;
	case FILTER_PUBLISHING:
		keep = c->publication_date && c->publication_date >= lc->from &&
		       c->publication_date <= lc->until;
		break;
	default: keep = TRUE;
	}
	if (keep && lc->filter == FILTER_PUBLISHING && !lc->json) {
		/* printed in date order once all are read */
		GString *copy = g_string_new(NULL);

		poc_case_encode(c, NULL, 0, copy);
		g_ptr_array_add(lc->publishing, poc_case_decode(copy->str, copy->len, NULL, NULL));
		g_string_free(copy, TRUE);
		lc->count++;
		keep = FALSE;
	}
	if (keep) {
		poc_message *shown = pending ? pending : last;

		lc->count++;
		if (lc->json) {
			if (lc->rows->len > 1)
				g_string_append_c(lc->rows, ',');
			poc_case_encode(c, msgs, 0, lc->rows);
		} else {
			char recv[POC_TIME_BUFSIZE] = "", dl[POC_TIME_BUFSIZE] = "", left[32] = "-";

			if (shown) {
				disp_time_fmt(shown->received_at, !lc->wide, recv);
				disp_time_fmt(shown->ack_deadline, !lc->wide, dl);
				if (pending)
					format_left(lc->rt->cal, lc->now, pending->ack_deadline, left,
						    sizeof(left));
			}
			if (lc->wide)
				printf("%-24s %-14s %-25s %-25s %-12s %s\n", tty(c->id),
				       shown ? poc_kind_name(shown->kind) : "-", *recv ? recv : "-",
				       *dl ? dl : "-", shown ? poc_ack_state_name(shown->ack_state) : "-",
				       left);
			else	/* 80 columns: 16+11+11+11+12+14 and 5 spaces */
				printf("%-16s %-11s %-11s %-11s %-12s %s\n", tty(c->id),
				       shown ? poc_kind_name(shown->kind) : "-", *recv ? recv : "-",
				       *dl ? dl : "-", shown ? poc_ack_state_name(shown->ack_state) : "-",
				       left);
		}
	}
	g_ptr_array_unref(msgs);
	tty_done();
	return 0;
}

static gint
by_publication_date(gconstpointer a, gconstpointer b)
{
	const poc_case *x = *(poc_case *const *)a, *y = *(poc_case *const *)b;

	return x->publication_date < y->publication_date ? -1
	       : x->publication_date > y->publication_date ? 1 : g_strcmp0(x->id, y->id);
}

static int
cmd_list(int argc, char **argv)
{
	static const struct option opts[] = { { "unacked", no_argument, NULL, 'u' },
					      { "overdue", no_argument, NULL, 'o' },
					      { "open", no_argument, NULL, 'O' },
					      { "json", no_argument, NULL, 'j' },
					      { "publishing", no_argument, NULL, 'p' },
					      { "days", required_argument, NULL, 'd' },
					      { "wide", no_argument, NULL, 'w' },
					      { NULL, 0, NULL, 0 } };
	list_ctx lc = { 0 };
	long days = 14;
	char *end;
	GError *err = NULL;
	int ch, status;

	lc.filter = FILTER_ALL;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'u': lc.filter = FILTER_UNACKED; break;
		case 'o': lc.filter = FILTER_OVERDUE; break;
		case 'O': lc.filter = FILTER_OPEN; break;
		case 'j': lc.json = TRUE; break;
		case 'p': lc.filter = FILTER_PUBLISHING; break;
		case 'w': lc.wide = TRUE; break;
		case 'd':
			days = strtol(optarg, &end, 10);
			if (*end || days < 0 || days > 3660)
				die(EXIT_USAGE, "list --days: a number of days (0-3660)");
			break;
		default:
			die(EXIT_USAGE, "usage: pocctl list [--unacked|--overdue|--open|--publishing "
					"[--days N]] [--wide] [--json]");
		}
	}
	lc.rt = open_runtime(POC_RUNTIME_STORE_RDONLY | POC_RUNTIME_NO_TEMPLATES);
	lc.now = poc_now();
	lc.from = jst_midnight(lc.now);
	lc.until = lc.now + (gint64)days * 86400;
	lc.rows = g_string_new("[");
	lc.publishing = g_ptr_array_new_with_free_func((GDestroyNotify)poc_case_free);
	if (!lc.json && lc.filter == FILTER_PUBLISHING)
		printf(lc.wide ? "%-24s %-25s %-25s %-12s %s\n" : "%-16s %-11s %-11s %-14s %s\n", "CASE",
		       "PUBLICATION", "TARGET", "STATEMENT", "STATE");
	else if (!lc.json && lc.wide)
		printf("%-24s %-14s %-25s %-25s %-12s %s\n", "CASE", "KIND", "RECEIVED", "DEADLINE",
		       "ACK", "LEFT");
	else if (!lc.json)
		printf("%-16s %-11s %-11s %-11s %-12s %s\n", "CASE", "KIND", "RECEIVED", "DEADLINE",
		       "ACK", "LEFT");
	status = poc_store_foreach_case(lc.rt->store, list_one, &lc, &err);
	if (status != POC_OK)
		die(exit_for(status), "%s", err ? err->message : poc_strerror(status));
	g_ptr_array_sort(lc.publishing, by_publication_date);
	for (guint i = 0; i < lc.publishing->len; i++) {
		poc_case *c = g_ptr_array_index(lc.publishing, i);
		char pub[POC_TIME_BUFSIZE], target[POC_TIME_BUFSIZE];

		printf(lc.wide ? "%-24s %-25s %-25s %-12s %s\n" : "%-16s %-11s %-11s %-14s %s\n",
		       tty(c->id), disp_time_fmt(c->publication_date, !lc.wide, pub),
		       disp_time_fmt(poc_case_target(c), !lc.wide, target),
		       poc_statement_state_name(c->statement_state), c->state ? c->state : "-");
	}
	g_ptr_array_unref(lc.publishing);
	if (lc.json) {
		g_string_append_c(lc.rows, ']');
		print_json(lc.rows, TRUE);
	}
	g_string_free(lc.rows, TRUE);
	poc_runtime_close(lc.rt);
	return 0;
}

/* --- show / export ----------------------------------------------------------- */

static poc_case *
find_case(poc_runtime *rt, const char *id)
{
	poc_case *c = NULL;
	GError *err = NULL;
	char *norm = poc_text_normalise(id);
	int status = poc_store_get_case(rt->store, norm, &c, &err);

	g_free(norm);
	if (status != POC_OK)
		die(exit_for(status), "%s: %s", id, err ? err->message : poc_strerror(status));
	return c;
}

/*
 * Reading a case is recorded: who read what, for the guideline's audit
 * trail. In the case's event log when this user may write the database,
 * a few hundred events per write transaction (an export of many cases
 * must not take the writer lock, and sync, once per case, nor hold it for
 * the whole export); otherwise (an operator with read access only) in
 * syslog's authpriv facility, with the uid, the verb and the cases, and a
 * note on stderr. Either way the read succeeds: never the data printed
 * and then a failure.
 */
#define AUDIT_BATCH 512

static void
audit_read(const char *verb, GPtrArray *case_ids)
{
	poc_runtime *rt = NULL;
	GError *err = NULL;
	poc_event *evs;
	char *who;
	gint64 now = poc_now();

	if (case_ids->len == 0)
		return;
	if (poc_runtime_open(config_path, POC_RUNTIME_NO_TEMPLATES, &rt, &err) != POC_OK) {
		who = actor();
		openlog("pocctl", LOG_PID, LOG_AUTHPRIV);
		for (guint i = 0; i < case_ids->len; i++)
			syslog(LOG_AUTHPRIV | LOG_NOTICE, "read verb=%s case=%s actor=%s uid=%ld", verb,
			       (char *)g_ptr_array_index(case_ids, i), who, (long)getuid());
		closelog();
		fprintf(stderr, "pocctl: this read is recorded in syslog (authpriv), not in the "
				"database, which uid %ld cannot write (%s)\n",
			(long)getuid(), err ? err->message : "?");
		g_clear_error(&err);
		g_free(who);
		return;
	}
	if (case_ids->len == 1) {
		record_event(rt, g_ptr_array_index(case_ids, 0), poc_event_name(POC_EV_READ), NULL,
			     verb);
		poc_runtime_close(rt);
		return;
	}
	who = actor();
	evs = g_new0(poc_event, AUDIT_BATCH);
	for (guint i = 0; i < case_ids->len; i += AUDIT_BATCH) {
		guint n = MIN(AUDIT_BATCH, case_ids->len - i);

		for (guint j = 0; j < n; j++)
			evs[j] = (poc_event){ .at = now, .case_id = g_ptr_array_index(case_ids, i + j),
					      .type = (char *)poc_event_name(POC_EV_READ),
					      .actor = who, .detail = (char *)verb };
		if (poc_store_add_events(rt->store, evs, n, &err) != POC_OK) {
			fprintf(stderr, "pocctl: cannot record the read events: %s\n",
				err ? err->message : "?");
			g_clear_error(&err);
		}
	}
	g_free(evs);
	g_free(who);
	poc_runtime_close(rt);
}

static int
collect_event_json(const poc_event *ev, void *data)
{
	GString *json = data;

	if (json->str[json->len - 1] != '[')
		g_string_append_c(json, ',');
	poc_event_encode(ev, 0, json);
	return 0;
}

static int
print_event(const poc_event *ev, void *data)
{
	char t[POC_TIME_BUFSIZE];

	(void)data;
	printf("event:       %s %-22s %s%s%s\n", disp_time(ev->at, t), tty(ev->type),
	       ev->actor ? tty(ev->actor) : "-", ev->detail ? " " : "", ev->detail ? tty(ev->detail) : "");
	tty_done();
	return 0;
}

static int
cmd_show(int argc, char **argv)
{
	gboolean json = FALSE;
	const char *id = NULL;
	poc_runtime *rt;
	poc_case *c;
	GPtrArray *msgs, *ids;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = TRUE;
		else if (!id)
			id = argv[i];
		else
			die(EXIT_USAGE, "usage: pocctl show ID [--json]");
	}
	if (!id)
		die(EXIT_USAGE, "usage: pocctl show ID [--json]");
	rt = open_runtime(POC_RUNTIME_STORE_RDONLY | POC_RUNTIME_NO_TEMPLATES);
	c = find_case(rt, id);
	msgs = case_messages(rt, c);
	if (json) {
		GString *out = g_string_new(NULL);

		poc_case_encode(c, msgs, 0, out);
		g_string_truncate(out, out->len - 1);	/* the case's closing '}' */
		g_string_append(out, ",\"events\":[");
		/* The case's history too (ack-queued, ack-send-failed, ack-sent, ...). */
		poc_store_foreach_event(rt->store, c->id, collect_event_json, out, NULL);
		g_string_append(out, "]}");
		print_json(out, TRUE);
		g_string_free(out, TRUE);
	} else {
		char t1[POC_TIME_BUFSIZE], t2[POC_TIME_BUFSIZE];

		printf("case:        %s\n", tty(c->id));
		printf("tracking:    %s\n", c->tracking ? tty(c->tracking) : "-");
		printf("state:       %s\n", c->state ? tty(c->state) : "-");
		printf("opened:      %s\n", disp_time(c->opened_at, t1));
		if (c->publication_date)
			printf("publication: %s\n", disp_time(c->publication_date, t1));
		for (guint i = 0; c->publication_history && i < c->publication_history->len; i++) {
			const poc_pub_change *pc = g_ptr_array_index(c->publication_history, i);

			printf("  changed:   %s -> %s by %s\n",
			       pc->from ? disp_time(pc->from, t1) : "none",
			       disp_time(pc->to, t2), pc->message_id ? tty(pc->message_id) : "-");
		}
		printf("target:      %s\n", disp_time(poc_case_target(c), t1));
		printf("statement:   %s%s%s", poc_statement_state_name(c->statement_state),
		       c->statement_status ? " " : "", c->statement_status ? tty(c->statement_status) : "");
		if (c->statement_sent_at)
			printf(" (sent %s)", disp_time(c->statement_sent_at, t1));
		putchar('\n');
		for (guint i = 0; c->vuln_ids && i < c->vuln_ids->len; i++)
			printf("vuln:        %s\n", tty(g_ptr_array_index(c->vuln_ids, i)));
		for (guint i = 0; c->cve_ids && i < c->cve_ids->len; i++)
			printf("cve:         %s\n", tty(g_ptr_array_index(c->cve_ids, i)));
		for (guint i = 0; i < msgs->len; i++) {
			poc_message *m = g_ptr_array_index(msgs, i);

			printf("\nmessage %u:   %s\n", i + 1, tty(m->message_id));
			printf("  received:  %s\n", disp_time(m->received_at, t1));
			printf("  from:      %s\n", m->from ? tty(m->from) : "-");
			printf("  subject:   %s\n", m->subject ? tty(m->subject) : "-");
			printf("  kind:      %s%s%s%s\n", poc_kind_name(m->kind),
			       m->kind_rule ? " (rule: " : "", m->kind_rule ? tty(m->kind_rule) : "",
			       m->kind_rule ? ")" : "");
			printf("  crypto:    decryption=%s signature=%s signer=%s covers=%s\n",
			       poc_decryption_name(m->decryption), poc_signature_name(m->signature),
			       m->signer ? tty(m->signer) : "-",
			       poc_sig_covers_name(m->signature_covers));
			if (m->claimed_publication_date || m->claimed_statement_request)
				printf("  claims:    %s%s%s%s (%s)\n",
				       m->claimed_publication_date ? "publication date " : "",
				       m->claimed_publication_date
					       ? disp_time(m->claimed_publication_date, t2) : "",
				       m->claimed_publication_date && m->claimed_statement_request
					       ? ", " : "",
				       m->claimed_statement_request ? "statement request" : "",
				       m->claim_accepted_at ? "accepted" : "not applied: pocctl accept");
			printf("  ack:       %s%s%s\n", poc_ack_state_name(m->ack_state),
			       m->ack_note ? " - " : "", m->ack_note ? tty(m->ack_note) : "");
			if (m->ack_required)
				printf("  deadline:  %s\n", disp_time(m->ack_deadline, t2));
			if (m->ack_sent_at)
				printf("  ack sent:  %s %s\n", disp_time(m->ack_sent_at, t2),
				       m->ack_message_id ? tty(m->ack_message_id) : "");
			for (guint j = 0; m->problems && j < m->problems->len; j++)
				printf("  problem:   %s\n", tty(g_ptr_array_index(m->problems, j)));
			tty_done();
		}
		for (guint i = 0; c->notes && i < c->notes->len; i++)
			printf("note:        %s\n", tty(g_ptr_array_index(c->notes, i)));
		printf("\n");
		poc_store_foreach_event(rt->store, c->id, print_event, NULL, NULL);
	}
	ids = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(ids, g_strdup(c->id));
	g_ptr_array_unref(msgs);
	poc_case_free(c);
	poc_runtime_close(rt);
	audit_read("show", ids);
	g_ptr_array_unref(ids);
	return 0;
}

typedef struct export_ctx {
	poc_runtime *rt;
	GPtrArray *ids;
} export_ctx;

static int
export_one(poc_case *c, void *data)
{
	export_ctx *ec = data;
	GPtrArray *msgs = case_messages(ec->rt, c);
	GString *out = g_string_new(NULL);

	poc_case_encode(c, msgs, 0, out);
	print_json(out, FALSE);
	g_string_free(out, TRUE);
	g_ptr_array_unref(msgs);
	g_ptr_array_add(ec->ids, g_strdup(c->id));
	return 0;
}

static int
cmd_export(int argc, char **argv)
{
	export_ctx ec = { 0 };
	GError *err = NULL;
	int status;

	if (argc != 1)
		die(EXIT_USAGE, "usage: pocctl export");
	ec.rt = open_runtime(POC_RUNTIME_STORE_RDONLY | POC_RUNTIME_NO_TEMPLATES);
	ec.ids = g_ptr_array_new_with_free_func(g_free);
	status = poc_store_foreach_case(ec.rt->store, export_one, &ec, &err);
	if (status != POC_OK)
		die(exit_for(status), "%s", err ? err->message : poc_strerror(status));
	fflush(stdout);
	poc_runtime_close(ec.rt);
	audit_read("export", ec.ids);
	g_ptr_array_unref(ec.ids);
	return 0;
}

/* --- note / close --------------------------------------------------------------- */

static int
cmd_note_close(int argc, char **argv, gboolean closing)
{
	poc_runtime *rt;
	poc_case *c;
	poc_event ev = { 0 };
	GError *err = NULL;
	char *text = NULL;
	char buf[POC_TIME_BUFSIZE];
	int status;

	if (closing ? argc != 2 : argc < 3)
		die(EXIT_USAGE, closing ? "usage: pocctl close ID" : "usage: pocctl note ID TEXT");
	rt = open_runtime(POC_RUNTIME_NO_TEMPLATES);
	c = find_case(rt, argv[1]);
	ev.at = poc_now();
	ev.case_id = c->id;
	ev.actor = actor();
	if (closing) {
		/* The same operation and event as pocctl state ID closed. */
		status = poc_store_set_state(rt->store, c->id, "closed", ev.actor, &err);
	} else {
		char *joined = g_strjoinv(" ", argv + 2);

		text = poc_header_sanitise(joined, 2000);
		g_free(joined);
		if (!c->notes)
			c->notes = g_ptr_array_new_with_free_func(g_free);
		g_ptr_array_add(c->notes, g_strdup_printf("%s\t%s\t%s", poc_time_format(ev.at, buf),
							  ev.actor, text));
		ev.type = (char *)poc_event_name(POC_EV_NOTED);
		ev.detail = text;
		c->updated_at = ev.at;
		status = poc_store_update_case(rt->store, c, &ev, &err);
	}
	if (status != POC_OK)
		die(exit_for(status), "%s", err ? err->message : poc_strerror(status));
	printf("%s: %s\n", tty(c->id), closing ? "closed" : "noted");
	g_free(ev.actor);
	g_free(text);
	poc_case_free(c);
	poc_runtime_close(rt);
	return 0;
}

/* --- ack ------------------------------------------------------------------------ */

static int
cmd_ack(int argc, char **argv)
{
	static const struct option opts[] = { { "template", required_argument, NULL, 't' },
					      { "none", required_argument, NULL, 'n' },
					      { NULL, 0, NULL, 0 } };
	const char *tmpl = NULL, *none = NULL;
	poc_runtime *rt;
	poc_case *c;
	GPtrArray *msgs;
	poc_message *target = NULL;
	poc_crypto *crypto = NULL;
	poc_outbox_entry *e = NULL;
	GError *err = NULL;
	int ch, status;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 't': tmpl = optarg; break;
		case 'n': none = optarg; break;
		default: die(EXIT_USAGE, "usage: pocctl ack ID [--template NAME | --none REASON]");
		}
	}
	if (optind + 1 != argc || (tmpl && none) || (none && !*none))
		die(EXIT_USAGE, "usage: pocctl ack ID [--template NAME | --none REASON]");
	rt = open_runtime(0);
	c = find_case(rt, argv[optind]);
	msgs = case_messages(rt, c);
	/* The oldest message still waiting for an acknowledgement. */
	for (guint i = 0; i < msgs->len && !target; i++) {
		poc_message *m = g_ptr_array_index(msgs, i);
		if (m->ack_required && (m->ack_state == POC_ACK_HELD || m->ack_state == POC_ACK_FAILED))
			target = m;
	}
	if (!target)
		die(EXIT_NOTFOUND, "%s: no message is waiting for an acknowledgement", c->id);
	if (none) {
		poc_event ev = { .at = poc_now(), .case_id = c->id,
				 .type = (char *)poc_event_name(POC_EV_ACK_NONE),
				 .message_id = target->message_id };

		target->ack_state = POC_ACK_NOT_REQUIRED;
		g_free(target->ack_note);
		target->ack_note = poc_header_sanitise(none, 500);
		ev.actor = actor();
		ev.detail = target->ack_note;
		status = poc_store_update_message(rt->store, target, &ev, &err);
		g_free(ev.actor);
		if (status != POC_OK)
			die(exit_for(status), "%s", err ? err->message : poc_strerror(status));
		printf("%s: %s: no acknowledgement (%s)\n", tty(c->id), tty(target->message_id), tty(none));
	} else {
		if (!rt->templates)
			die(EXIT_USAGE, "AckMode is off: no templates are loaded");
		/* --template NAME is KIND-NAME.tmpl of the message's kind (pocctl(1)), or a whole name. */
		if (tmpl) {
			char *of_kind = g_strdup_printf("%s-%s", poc_kind_name(target->kind), tmpl);

			if (poc_templates_has(rt->templates, of_kind))
				tmpl = of_kind;	/* lives until exit */
			else if (!poc_templates_has(rt->templates, tmpl))
				die(EXIT_NOTFOUND, "no template \"%s\" (nor \"%s\") in %s", tmpl,
				    of_kind, rt->cfg->template_dir);
			else
				g_free(of_kind);
		}
		if (poc_crypto_new(rt->cfg->gnupg_home, &crypto, &err) != POC_OK)
			die(EXIT_FAIL, "GnuPG: %s", err ? err->message : "?");
		if (poc_ack_compose(rt->cfg, rt->templates, crypto, target, tmpl, poc_now(), &e,
				    &err) != POC_OK)
			die(EXIT_FAIL, "cannot compose the acknowledgement: %s", err ? err->message : "?");
		{
			poc_event ev = { .at = poc_now(),
				 .type = (char *)poc_event_name(POC_EV_ACK_QUEUED_BY_PERSON) };

			ev.actor = actor();
			ev.detail = e->template_name;
			/* Queued only if still held, checked in the same transaction as the guard's. */
			status = poc_store_outbox_add_held(rt->store, e, &ev, &err);
			g_free(ev.actor);
		}
		if (status == POC_ERR_EXISTS)
			die(EXIT_FAIL, "%s: %s", c->id, err ? err->message : "already acknowledged");
		if (status != POC_OK)
			die(exit_for(status), "%s", err ? err->message : poc_strerror(status));
		printf("%s: acknowledgement %s queued (template %s); the daemon sends it\n", tty(c->id),
		       e->ack_message_id, e->template_name);
		poc_outbox_entry_free(e);
		poc_crypto_free(crypto);
	}
	g_ptr_array_unref(msgs);
	poc_case_free(c);
	poc_runtime_close(rt);
	return 0;
}

/* --- state / statement ----------------------------------------------------------- */

/* Apply one message's claimed change; FALSE (said on stderr) when it fails. */
static gboolean
accept_one(poc_runtime *rt, const char *message_id, const char *who, int *status)
{
	poc_message *m = NULL;
	GError *err = NULL;
	char t[POC_TIME_BUFSIZE];

	*status = poc_store_accept_claim(rt->store, message_id, who, &m, &err);
	if (*status != POC_OK) {
		fprintf(stderr, "pocctl: %s\n", err ? err->message : poc_strerror(*status));
		g_clear_error(&err);
		return FALSE;
	}
	printf("%s: %s accepted:%s%s%s\n", m->case_id ? m->case_id : "-", m->message_id,
	       m->claimed_publication_date ? " publication date " : "",
	       m->claimed_publication_date ? poc_time_format(m->claimed_publication_date, t) : "",
	       m->claimed_statement_request ? " statement request" : "");
	poc_message_free(m);
	return TRUE;
}

/*
 * pocctl accept ID: a message's claimed change (a publication date or a
 * statement request from a message that may not make it by itself) is
 * applied to its case; ID a case: every claim of it not yet accepted.
 */
static int
cmd_accept(int argc, char **argv)
{
	poc_runtime *rt;
	poc_message *m = NULL;
	char *who;
	int status = POC_OK, done = 0, failed = 0;

	if (argc != 2)
		die(EXIT_USAGE, "usage: pocctl accept MESSAGE-ID|CASE");
	rt = open_runtime(POC_RUNTIME_NO_TEMPLATES);
	who = actor();
	if (poc_store_get_message(rt->store, argv[1], &m, NULL) == POC_OK) {
		poc_message_free(m);
		if (!accept_one(rt, argv[1], who, &status))
			die(exit_for(status), "nothing accepted");
		done++;
	} else {
		poc_case *c = find_case(rt, argv[1]);
		GPtrArray *msgs = case_messages(rt, c);

		for (guint i = 0; i < msgs->len; i++) {
			poc_message *cm = g_ptr_array_index(msgs, i);

			if ((!cm->claimed_publication_date && !cm->claimed_statement_request)
			    || cm->claim_accepted_at)
				continue;
			if (accept_one(rt, cm->message_id, who, &status))
				done++;
			else
				failed++;
		}
		g_ptr_array_unref(msgs);
		if (!done && !failed)
			printf("%s: no claimed change to accept\n", c->id);
		poc_case_free(c);
	}
	g_free(who);
	poc_runtime_close(rt);
	return failed ? exit_for(status) : 0;
}

static int
cmd_state(int argc, char **argv)
{
	poc_runtime *rt;
	poc_case *c;
	GError *err = NULL;
	char *who;
	int status;

	if (argc != 3 || !poc_case_state_valid(argv[2])) {
		GString *list = g_string_new(NULL);

		for (int i = 0; poc_case_states[i]; i++)
			g_string_append_printf(list, "%s%s", i ? "|" : "", poc_case_states[i]);
		die(EXIT_USAGE, "usage: pocctl state ID %s", list->str);
	}
	rt = open_runtime(POC_RUNTIME_NO_TEMPLATES);
	c = find_case(rt, argv[1]);
	who = actor();
	status = poc_store_set_state(rt->store, c->id, argv[2], who, &err);
	if (status != POC_OK)
		die(exit_for(status), "%s", err ? err->message : poc_strerror(status));
	printf("%s: %s -> %s\n", tty(c->id), c->state ? tty(c->state) : "-", argv[2]);
	g_free(who);
	poc_case_free(c);
	poc_runtime_close(rt);
	return 0;
}

static int
cmd_statement(int argc, char **argv)
{
	static const char use[] = "usage: pocctl statement ID --status affected|not-affected|"
				  "affected-investigating|none-investigating [--url URL] "
				  "[--text TEXT] [--dry-run]";
	static const struct option opts[] = { { "status", required_argument, NULL, 's' },
					      { "url", required_argument, NULL, 'u' },
					      { "text", required_argument, NULL, 't' },
					      { "dry-run", no_argument, NULL, 'n' },
					      { NULL, 0, NULL, 0 } };
	poc_statement st = { 0 };
	gboolean dry_run = FALSE;
	int ch, status = -1;
	poc_runtime *rt;
	poc_case *c;
	GPtrArray *msgs;
	GError *err = NULL;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			if ((status = poc_vendor_status_parse(optarg)) < 0)
				die(EXIT_USAGE, "%s", use);
			break;
		case 'u': st.url = optarg; break;
		case 't': st.text = optarg; break;
		case 'n': dry_run = TRUE; break;
		default: die(EXIT_USAGE, "%s", use);
		}
	}
	if (optind + 1 != argc || status < 0)
		die(EXIT_USAGE, "%s", use);
	st.status = (poc_vendor_status)status;
	rt = open_runtime(dry_run ? POC_RUNTIME_STORE_RDONLY : 0);
	if (!rt->templates)
		die(EXIT_USAGE, "AckMode is off: no templates are loaded");
	c = find_case(rt, argv[optind]);
	msgs = case_messages(rt, c);
	if (dry_run) {
		const poc_message *req = poc_statement_request(msgs);
		char *subject, *body;

		if (poc_statement_render(rt->cfg, rt->templates, c, req, &st, poc_now(), &subject,
					 &body, &err) != POC_OK)
			die(EXIT_FAIL, "cannot compose the statement: %s", err ? err->message : "?");
		printf("To: %s\nSubject: %s\nIn-Reply-To: %s\n\n", req && req->from ? tty(req->from) : "-",
		       tty(subject), req && req->message_id ? tty(req->message_id) : "-");
		{
			/* The body's lines are the template's; what they quote is escaped. */
			char **lines = g_strsplit(body, "\n", -1);

			for (char **l = lines; *l; l++)
				printf("%s%s", tty(*l), l[1] ? "\n" : "");
			g_strfreev(lines);
		}
		g_free(subject);
		g_free(body);
	} else {
		poc_crypto *crypto = NULL;
		poc_outbox_entry *e = NULL;
		char *who = actor();

		if (poc_crypto_new(rt->cfg->gnupg_home, &crypto, &err) != POC_OK)
			die(EXIT_FAIL, "GnuPG: %s", err ? err->message : "?");
		if (poc_statement_compose(rt->cfg, rt->templates, crypto, c, msgs, &st, poc_now(), &e,
					  &err) != POC_OK)
			die(EXIT_FAIL, "cannot compose the statement: %s", err ? err->message : "?");
		status = poc_store_statement_add(rt->store, e, poc_vendor_status_name(st.status), who,
						 &err);
		if (status != POC_OK)
			die(exit_for(status), "%s", err ? err->message : poc_strerror(status));
		printf("%s: statement %s (%s) queued to %s; the daemon sends it\n", tty(c->id),
		       e->ack_message_id, poc_vendor_status_name(st.status), tty(e->recipient));
		g_free(who);
		poc_outbox_entry_free(e);
		poc_crypto_free(crypto);
	}
	g_ptr_array_unref(msgs);
	poc_case_free(c);
	poc_runtime_close(rt);
	return 0;
}

/* --- reminders ------------------------------------------------------------------ */

typedef struct reminders_ctx {
	poc_runtime *rt;
	gint64 now;
	int count;
} reminders_ctx;

static int
reminders_one(poc_case *c, void *data)
{
	reminders_ctx *rc = data;
	poc_reminder r[POC_REMINDERS_MAX];
	int n = poc_publication_reminders(rc->rt->cal,
					  poc_statement_before_days(rc->rt->cfg->statement_before),
					  c, rc->now, r, G_N_ELEMENTS(r));

	for (int i = 0; i < n && i < (int)G_N_ELEMENTS(r); i++) {
		char due[POC_TIME_BUFSIZE], pub[POC_TIME_BUFSIZE], target[POC_TIME_BUFSIZE];

		printf("%-18s %-24s %-25s %-25s %s\n", poc_reminder_reason_name(r[i].reason),
		       tty(r[i].case_id), poc_time_format(r[i].due_at, due),
		       r[i].publication_date ? poc_time_format(r[i].publication_date, pub) : "-",
		       poc_time_format(r[i].target_date, target));
		rc->count++;
	}
	return 0;
}

/*
 * The publication reminders due now (what paging will page): people can
 * see them before the pager does, and tests can ask at a fake time.
 */
static int
cmd_reminders(int argc, char **argv)
{
	reminders_ctx rc = { 0 };
	GError *err = NULL;
	int status;

	(void)argv;
	if (argc != 1)
		die(EXIT_USAGE, "usage: pocctl reminders");
	rc.rt = open_runtime(POC_RUNTIME_STORE_RDONLY | POC_RUNTIME_NO_TEMPLATES);
	rc.now = poc_now();
	printf("%-18s %-24s %-25s %-25s %s\n", "REASON", "CASE", "DUE", "PUBLICATION", "TARGET");
	status = poc_store_foreach_case(rc.rt->store, reminders_one, &rc, &err);
	if (status != POC_OK)
		die(exit_for(status), "%s", err ? err->message : poc_strerror(status));
	poc_runtime_close(rc.rt);
	return 0;
}

/* --- reprocess ------------------------------------------------------------------ */

static int
cmd_reprocess(int argc, char **argv)
{
	poc_runtime *rt;
	poc_case *c;
	poc_crypto *crypto = NULL;
	GError *err = NULL;
	char *who;
	int failed = 0;

	if (argc != 2)
		die(EXIT_USAGE, "usage: pocctl reprocess ID");
	rt = open_runtime(0);
	c = find_case(rt, argv[1]);
	if (poc_crypto_new(rt->cfg->gnupg_home, &crypto, &err) != POC_OK) {
		fprintf(stderr, "pocctl: GnuPG home %s: %s\n", rt->cfg->gnupg_home,
			err ? err->message : "?");
		g_clear_error(&err);
	}
	who = actor();
	for (guint i = 0; c->message_ids && i < c->message_ids->len; i++) {
		const char *mid = g_ptr_array_index(c->message_ids, i);
		poc_message *m = NULL;

		if (poc_process_again(rt, crypto, mid, who, &m, &err) != POC_OK) {
			fprintf(stderr, "pocctl: %s: %s\n", tty(mid), err ? tty(err->message) : "?");
			g_clear_error(&err);
			failed++;
			continue;
		}
		printf("%s: %s decryption=%s signature=%s kind=%s (rule: %s) ack=%s\n", tty(c->id), tty(mid),
		       poc_decryption_name(m->decryption), poc_signature_name(m->signature),
		       poc_kind_name(m->kind), m->kind_rule ? m->kind_rule : "-",
		       poc_ack_state_name(m->ack_state));
		poc_message_free(m);
	}
	g_free(who);
	if (crypto)
		poc_crypto_free(crypto);
	poc_case_free(c);
	poc_runtime_close(rt);
	return failed ? EXIT_FAIL : 0;
}

/* --- import ------------------------------------------------------------------- */

typedef struct import_ctx {
	poc_runtime *rt;
	poc_crypto *crypto;
	int filed, duplicates, failed, seen;
} import_ctx;

/*
 * The envelope sender of a delivered message is its Return-Path header
 * (added at delivery). Without one the sender is unknown (NULL), not
 * empty: an empty sender means a bounce, which is never acknowledged.
 */
static char *
return_path(const char *data, gsize len)
{
	const char *p = data, *end = data + MIN(len, 65536);

	while (p < end && *p != '\n' && *p != '\r') {
		const char *eol = memchr(p, '\n', end - p);

		if (!eol)
			eol = end;
		if (eol - p > 12 && g_ascii_strncasecmp(p, "Return-Path:", 12) == 0) {
			const char *lt = memchr(p, '<', eol - p), *gt;

			if (lt && (gt = memchr(lt, '>', eol - lt)))
				return g_strndup(lt + 1, gt - lt - 1);
			return NULL;
		}
		p = eol + 1;
	}
	return NULL;
}

static void
import_bytes(import_ctx *ic, const char *data, gsize len, gint64 received_at, const char *source)
{
	poc_spool_info info = { 0 };
	GError *err = NULL;
	poc_process_result result = POC_FILED;
	char *sender = return_path(data, len);
	GBytes *raw = g_bytes_new_static(data, len);
	int status;

	info.received_at = received_at > 0 ? received_at : poc_now();
	info.source = (char *)source;
	info.envelope_from = sender;
	/*
	 * Not through the spool: the daemon's filers take whatever is spooled.
	 * One write transaction files it (or nothing, if we are killed); the
	 * mailbox keeps it until then, and a re-run skips what is filed.
	 */
	status = poc_process_message(ic->rt, ic->crypto, raw, &info, &result, &err);
	g_bytes_unref(raw);
	if (status != POC_OK) {
		fprintf(stderr, "pocctl: import %s: %s\n", tty(source), err ? tty(err->message) : "?");
		g_clear_error(&err);
		ic->failed++;
	} else if (result == POC_DUPLICATE) {
		ic->duplicates++;
	} else {
		ic->filed++;
	}
	g_free(sender);
	if (++ic->seen % 1000 == 0 && isatty(2))
		fprintf(stderr, "\rpocctl: %d messages read...", ic->seen);
}

static void
import_file(import_ctx *ic, const char *path)
{
	char *data;
	gsize len;
	GError *err = NULL;
	struct stat st;

	if (!g_file_get_contents(path, &data, &len, &err)) {
		fprintf(stderr, "pocctl: %s\n", err->message);
		g_error_free(err);
		ic->failed++;
		return;
	}
	if (len > 5 && strncmp(data, "From ", 5) == 0) {
		/* mbox: messages start at "From " after a blank line (or the file start). */
		const char *p = data, *end = data + len;

		while (p < end) {
			const char *body = memchr(p, '\n', end - p);
			const char *next = body;

			if (!body)
				break;
			body++;
			next = body;
			while ((next = g_strstr_len(next, end - next, "\nFrom ")) &&
			       !(next > data && next[-1] == '\n'))
				next++;
			{
				const char *stop = next ? next + 1 : end;
				/* Undo >From quoting is not done: the bytes are kept as stored. */
				import_bytes(ic, body, stop - body, poc_mbox_from_date(p, body - 1 - p),
					     path);
				p = stop;
			}
			if (!next)
				break;
		}
	} else {
		stat(path, &st);
		import_bytes(ic, data, len, st.st_mtime, path);
	}
	g_free(data);
}

static void
import_path(import_ctx *ic, const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "pocctl: %s: %s\n", path, g_strerror(errno));
		ic->failed++;
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		/* A Maildir (cur/ and new/), or a directory of message files. */
		static const char *const sub[] = { "cur", "new", NULL };
		gboolean maildir = FALSE;

		for (int i = 0; sub[i]; i++) {
			char *dir = g_build_filename(path, sub[i], NULL);
			GDir *d = g_dir_open(dir, 0, NULL);
			const char *name;
			GPtrArray *names = g_ptr_array_new_with_free_func(g_free);

			if (d) {
				maildir = TRUE;
				while ((name = g_dir_read_name(d)))
					if (name[0] != '.')
						g_ptr_array_add(names, g_build_filename(dir, name, NULL));
				g_dir_close(d);
			}
			g_ptr_array_sort(names, (GCompareFunc)g_strcmp0);
			for (guint j = 0; j < names->len; j++)
				import_file(ic, g_ptr_array_index(names, j));
			g_ptr_array_unref(names);
			g_free(dir);
		}
		if (!maildir) {
			GDir *d = g_dir_open(path, 0, NULL);
			const char *name;

			while (d && (name = g_dir_read_name(d))) {
				char *file = g_build_filename(path, name, NULL);
				if (name[0] != '.')
					import_path(ic, file);
				g_free(file);
			}
			if (d)
				g_dir_close(d);
		}
	} else {
		import_file(ic, path);
	}
}

static int
cmd_import(int argc, char **argv)
{
	import_ctx ic = { 0 };
	GError *err = NULL;

	if (argc < 2)
		die(EXIT_USAGE, "usage: pocctl import PATH...");
	ic.rt = open_runtime(0);
	if (poc_crypto_new(ic.rt->cfg->gnupg_home, &ic.crypto, &err) != POC_OK) {
		fprintf(stderr, "pocctl: GnuPG home %s: %s: importing without decryption\n",
			ic.rt->cfg->gnupg_home, err ? err->message : "?");
		g_clear_error(&err);
	}
	for (int i = 1; i < argc; i++)
		import_path(&ic, argv[i]);
	if (ic.seen >= 1000 && isatty(2))
		fputc('\n', stderr);
	printf("imported: %d filed, %d duplicates skipped, %d failed\n", ic.filed, ic.duplicates,
	       ic.failed);
	if (ic.crypto)
		poc_crypto_free(ic.crypto);
	poc_runtime_close(ic.rt);
	return ic.failed ? EXIT_FAIL : 0;
}

/* --- calendar / check-config ---------------------------------------------------- */

typedef struct ics_ctx {
	const poc_calendar *cal;
	GString *out;
	gint64 now, from, until;
	const char *domain;
	int events;
} ics_ctx;

static void
ics_add(ics_ctx *ic, const char *what, const char *id, gint64 at, gboolean all_day,
	const char *summary, const char *description)
{
	char *uid, *safe;
	poc_ics_event ev = { 0 };

	if (at < ic->from || at > ic->until)
		return;
	safe = g_strdup(id);
	g_strcanon(safe, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.", '-');
	uid = g_strdup_printf("%s-%s@%s", what, safe, ic->domain);
	ev.uid = uid;
	ev.stamp = ic->now;
	ev.at = at;
	ev.all_day = all_day;
	ev.summary = summary;
	ev.description = description;
	ev.categories = what;
	poc_ics_event_write(ic->out, &ev);
	ic->events++;
	g_free(uid);
	g_free(safe);
}

static int
ics_case(poc_case *c, void *data)
{
	ics_ctx *ic = data;
	char buf[POC_TIME_BUFSIZE], *summary, *desc;
	gboolean open = g_strcmp0(c->state, "closed") != 0;
	gint64 pub = c->publication_date;

	if (!open)
		return 0;
	desc = g_strdup_printf("case %s, state %s, statement %s", c->id, c->state ? c->state : "-",
			       poc_statement_state_name(c->statement_state));
	if (pub) {
		/* a date without a time (00:00 Japan time) is an all-day event */
		gboolean date_only = (pub + POC_JST_OFFSET) % 86400 == 0;

		summary = g_strdup_printf("Publication: %s", c->id);
		ics_add(ic, "publication", c->id, pub, date_only, summary, desc);
		g_free(summary);
		if (c->statement_state != POC_STATEMENT_SENT &&
		    g_strcmp0(c->state, "statement-sent") != 0 && g_strcmp0(c->state, "published") != 0) {
			gint64 last = poc_statement_deadline(ic->cal, pub);

			summary = g_strdup_printf("Vendor statement due: %s (publication %.10s)", c->id,
						  poc_time_format(pub, buf));
			if (last > 0)
				ics_add(ic, "statement", c->id, last, TRUE, summary, desc);
			g_free(summary);
		}
	}
	if (g_strcmp0(c->state, "published") != 0) {
		summary = g_strdup_printf("45-day target: %s", c->id);
		ics_add(ic, "target", c->id, poc_case_target(c), TRUE, summary, desc);
		g_free(summary);
	}
	g_free(desc);
	return 0;
}

static int
ics_ack(poc_message *m, void *data)
{
	ics_ctx *ic = data;
	char *summary, *id;

	if (!m->ack_deadline)
		return 0;
	summary = g_strdup_printf("Acknowledgement due: %s", m->case_id ? m->case_id : "-");
	id = g_compute_checksum_for_string(G_CHECKSUM_SHA256, m->message_id ? m->message_id : "",
					   -1);
	id[16] = '\0';
	ics_add(ic, "ack", id, m->ack_deadline, FALSE, summary, NULL);
	g_free(id);
	g_free(summary);
	return 0;
}

/* pocctl calendar ics [--days N] [--output FILE] */
static int
cmd_calendar_ics(int argc, char **argv)
{
	static const struct option opts[] = { { "days", required_argument, NULL, 'd' },
					      { "output", required_argument, NULL, 'o' },
					      { NULL, 0, NULL, 0 } };
	const char *output = NULL;
	long days = 90;
	char *end;
	int ch, status;
	poc_runtime *rt;
	ics_ctx ic = { 0 };
	GError *err = NULL;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			days = strtol(optarg, &end, 10);
			if (*end || days < 0 || days > 3660)
				die(EXIT_USAGE, "calendar ics --days: a number of days (0-3660)");
			break;
		case 'o': output = optarg; break;
		default: die(EXIT_USAGE, "usage: pocctl calendar ics [--days N] [--output FILE]");
		}
	}
	if (optind != argc)
		die(EXIT_USAGE, "usage: pocctl calendar ics [--days N] [--output FILE]");
	if (!config_path)
		config_path = SYSCONFDIR "/pocmilter/pocmilter.conf";
	rt = open_runtime(POC_RUNTIME_STORE_RDONLY | POC_RUNTIME_NO_TEMPLATES);
	ic.cal = rt->cal;
	ic.out = g_string_new(NULL);
	ic.now = poc_now();
	ic.from = jst_midnight(ic.now);
	ic.until = ic.now + (gint64)days * 86400;
	ic.domain = rt->cfg->ack_from && strchr(rt->cfg->ack_from, '@')
			    ? strchr(rt->cfg->ack_from, '@') + 1
			    : POC_INVALID_DOMAIN;
	poc_ics_begin(ic.out, "pocmilter deadlines");
	status = poc_store_foreach_case(rt->store, ics_case, &ic, &err);
	if (status == POC_OK)
		status = poc_store_foreach_open_ack(rt->store, ics_ack, &ic, &err);
	if (status != POC_OK)
		die(exit_for(status), "%s", err ? err->message : poc_strerror(status));
	poc_ics_end(ic.out);
	if (output) {
		/*
		 * Tracking numbers and publication dates are confidential: the file
		 * is made 0600 (0640 when DatabaseMode lets a group read), whatever
		 * the umask allows, and replaces what was there (not written through).
		 */
		mode_t mode = 0600 | (rt->cfg->database_mode & 0040);

		if (!g_file_set_contents_full(output, ic.out->str, (gssize)ic.out->len,
					      G_FILE_SET_CONTENTS_CONSISTENT, (int)mode, &err))
			die(EXIT_FAIL, "%s", err->message);
		fprintf(stderr, "pocctl: %s: %d events\n", output, ic.events);
	} else {
		fwrite(ic.out->str, 1, ic.out->len, stdout);
	}
	g_string_free(ic.out, TRUE);
	poc_runtime_close(rt);
	return 0;
}

static int
cmd_calendar(int argc, char **argv)
{
	poc_config *cfg = NULL;
	poc_calendar *cal = NULL;
	GError *err = NULL;
	int status;

	if (argc >= 2 && strcmp(argv[1], "ics") == 0)
		return cmd_calendar_ics(argc - 1, argv + 1);
	if (config_path)
		status = poc_config_load(config_path, &cfg, &err);
	else
		cfg = poc_config_new(), status = POC_OK;
	if (status != POC_OK || poc_runtime_calendar(cfg, &cal, &err) != POC_OK)
		die(EXIT_USAGE, "%s", err ? err->message : "?");
	if (argc == 3 && strcmp(argv[1], "holidays") == 0) {
		char *end;
		long year = strtol(argv[2], &end, 10);
		poc_holiday hs[POC_HOLIDAYS_MAX];
		int n;

		if (*end || year < 1948 || year > 2099)
			die(EXIT_USAGE, "calendar holidays: YEAR from 1948 to 2099");
		/* National holidays, as the site sees them (its holiday file's corrections). */
		n = poc_calendar_holidays_of_year(cal, (int)year, hs, G_N_ELEMENTS(hs));
		for (int i = 0; i < n && i < (int)G_N_ELEMENTS(hs); i++)
			printf("%04ld-%02d-%02d\t%s\n", year, hs[i].month, hs[i].day, hs[i].name);
	} else if (argc == 3 && strcmp(argv[1], "deadline") == 0) {
		gint64 t = poc_time_parse(argv[2]);
		char buf[POC_TIME_BUFSIZE];

		if (t < 0)
			die(EXIT_USAGE, "calendar deadline: \"%s\" is not an RFC 3339 time", argv[2]);
		puts(poc_time_format(poc_calendar_ack_deadline(cal, t), buf));
	} else {
		die(EXIT_USAGE, "usage: pocctl calendar holidays YEAR | calendar deadline RFC3339-TIME | "
				"calendar ics [--days N] [--output FILE]");
	}
	poc_calendar_free(cal);
	poc_config_free(cfg);
	return 0;
}

static int
cmd_check_config(int argc, char **argv)
{
	poc_runtime *rt = NULL;
	GError *err = NULL;
	const char *path = config_path ? config_path : SYSCONFDIR "/pocmilter/pocmilter.conf";

	poc_check check;
	int errors;

	if (poc_runtime_open(path, POC_RUNTIME_NO_STORE, &rt, &err) != POC_OK ||
	    poc_config_validate(rt->cfg, &err) != POC_OK) {
		fprintf(stderr, "pocctl: %s\n", err->message);
		g_error_free(err);
		poc_runtime_close(rt);
		return EXIT_USAGE;
	}
	poc_check_init(&check);
	errors = poc_check_config(rt->cfg, &check);
	for (guint i = 0; i < check.errors->len; i++)
		fprintf(stderr, "pocctl: %s\n", (char *)g_ptr_array_index(check.errors, i));
	for (guint i = 0; i < check.warnings->len; i++)
		fprintf(stderr, "pocctl: warning: %s\n", (char *)g_ptr_array_index(check.warnings, i));
	poc_check_clear(&check);
	if (errors > 0) {
		poc_runtime_close(rt);
		return EXIT_USAGE;
	}
	printf("%s: OK\n", path);
	poc_runtime_close(rt);
	return 0;
}

/*
 * watch [--page]: the paging check once, as a monitoring plugin: one status
 * line (and one line per condition), exit 0 OK, 1 WARNING, 2 CRITICAL,
 * 3 UNKNOWN (configuration or database unreadable). --page also sends the
 * pages that are due, sharing the page state with the daemon.
 */
/* --- metrics ------------------------------------------------------------------- */

static int
cmd_metrics(int argc, char **argv)
{
	static const struct option opts[] = { { "output", required_argument, NULL, 'o' },
					      { NULL, 0, NULL, 0 } };
	const char *output = NULL;
	poc_runtime *rt;
	GString *text = g_string_new(NULL);
	GError *err = NULL;
	int ch, status;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		if (ch != 'o')
			die(EXIT_USAGE, "usage: pocctl metrics [--output FILE]");
		output = optarg;
	}
	if (optind != argc)
		die(EXIT_USAGE, "usage: pocctl metrics [--output FILE]");
	rt = open_runtime(POC_RUNTIME_STORE_RDONLY | POC_RUNTIME_NO_TEMPLATES);
	status = poc_metrics_write(rt, poc_now(), text, &err);
	poc_runtime_close(rt);
	if (status != POC_OK)
		die(exit_for(status), "metrics: %s", err ? err->message : poc_strerror(status));
	if (output == NULL) {
		fputs(text->str, stdout);
	} else {
		/* node_exporter's textfile collector must never read half a file: write, then rename. */
		char *tmp = g_strdup_printf("%s.%ld.tmp", output, (long)getpid());

		if (!g_file_set_contents_full(tmp, text->str, (gssize)text->len,
					      G_FILE_SET_CONTENTS_CONSISTENT, 0644, &err) ||
		    rename(tmp, output) != 0) {
			int e = errno;

			unlink(tmp);
			die(EXIT_FAIL, "metrics: %s: %s", output, err ? err->message : g_strerror(e));
		}
		g_free(tmp);
	}
	g_string_free(text, TRUE);
	return 0;
}

static int
cmd_watch(int argc, char **argv)
{
	static const struct option opts[] = { { "page", no_argument, NULL, 'p' },
					      { NULL, 0, NULL, 0 } };
	gboolean send_pages = FALSE;
	poc_runtime *rt = NULL;
	poc_page_status st;
	GError *err = NULL;
	int c, status;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'p') {
			printf("POCMILTER UNKNOWN - usage: pocctl watch [--page]\n");
			return POC_PAGE_UNKNOWN;
		}
		send_pages = TRUE;
	}
	if (optind != argc) {
		printf("POCMILTER UNKNOWN - usage: pocctl watch [--page]\n");
		return POC_PAGE_UNKNOWN;
	}
	/* A PageCommand that does not read its stdin must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	status = poc_runtime_open(config_path,
				  POC_RUNTIME_NO_TEMPLATES | (send_pages ? 0 : POC_RUNTIME_STORE_RDONLY),
				  &rt, &err);
	if (status != POC_OK) {
		printf("POCMILTER UNKNOWN - %s\n", err ? err->message : poc_strerror(status));
		g_clear_error(&err);
		return POC_PAGE_UNKNOWN;
	}
	status = poc_page_check(rt, poc_now(), send_pages, FALSE, &st, &err);
	printf("%s\n", tty(st.line));
	for (guint i = 0; st.conditions && i < st.conditions->len; i++)
		printf("%s\n", tty(g_ptr_array_index(st.conditions, i)));
	if (status != POC_OK && st.level != POC_PAGE_UNKNOWN)
		fprintf(stderr, "pocctl: watch --page: %s\n", err ? err->message : poc_strerror(status));
	g_clear_error(&err);
	c = st.level;
	poc_page_status_clear(&st);
	poc_runtime_close(rt);
	return c;
}

static const struct verb {
	const char *name;
	int (*fn)(int, char **);
	const char *usage;
	const char *help;	/* what it does, then its options: `pocctl VERB --help` */
} verbs[] = {
	{ "list", cmd_list,
	  "list [--unacked|--overdue|--open|--publishing [--days N]] [--wide] [--json]",
	  "One line per case: id, kind, received, deadline, acknowledgement, business time left;\n"
	  "80 columns (times MM-DD HH:MM), or full RFC 3339 times with --wide.\n"
	  "  --unacked      cases with a message still to acknowledge\n"
	  "  --overdue      cases past their acknowledgement deadline\n"
	  "  --open         cases not closed\n"
	  "  --publishing   cases whose publication date is within --days (default 14)\n"
	  "  --days N       with --publishing: how many days ahead\n"
	  "  --wide         full RFC 3339 times and wider columns\n"
	  "  --json         a JSON array instead of lines\n" },
	{ "show", cmd_show, "show ID [--json]",
	  "A case with its messages and its event log; the read is recorded.\n"
	  "  --json         the case as JSON, with its events\n" },
	{ "export", cmd_export, "export",
	  "Every case as one JSON object per line (NDJSON); the reads are recorded.\n" },
	{ "ack", cmd_ack, "ack ID [--template NAME | --none REASON]",
	  "Queue the acknowledgement of the case's waiting message.\n"
	  "  --template NAME  send KIND-NAME.tmpl instead of the kind's default\n"
	  "  --none REASON    record that no acknowledgement will be sent, and why\n" },
	{ "note", NULL, "note ID TEXT", "Add a note to the case's event log.\n" },
	{ "close", NULL, "close ID", "Close the case.\n" },
	{ "state", cmd_state, "state ID investigating|affected|not-affected|fixing|statement-sent|"
			      "published|closed",
	  "Set the case's state (recorded in its event log).\n" },
	{ "statement", cmd_statement, "statement ID --status affected|not-affected|"
				      "affected-investigating|none-investigating [--url URL] "
				      "[--text TEXT] [--dry-run]",
	  "Send the vendor statement (status) to the coordinator, signed and encrypted.\n"
	  "  --status S     affected, not-affected, affected-investigating, none-investigating\n"
	  "  --url URL      the vendor's advisory\n"
	  "  --text TEXT    free text of the statement\n"
	  "  --dry-run      print the statement, queue nothing\n" },
	{ "reminders", cmd_reminders, "reminders",
	  "Publication reminders due now: statement-due, publication-today, target-near.\n" },
	{ "import", cmd_import, "import PATH...",
	  "File mail that arrived while the filter was down: files, Maildirs or mboxes.\n" },
	{ "reprocess", cmd_reprocess, "reprocess ID",
	  "Read the case's messages again (after a key, rule or config was fixed).\n" },
	{ "accept", cmd_accept, "accept MESSAGE-ID|CASE",
	  "Apply the change of its case that a message claimed but could not make by itself\n"
	  "(a publication date or statement request from mail that is not fully signed).\n"
	  "With a CASE, every claim of it not yet accepted.\n" },
	{ "calendar", cmd_calendar,
	  "calendar holidays YEAR | calendar deadline TIME | calendar ics [--days N] [--output FILE]",
	  "The Japanese business calendar as configured.\n"
	  "  holidays YEAR    the year's non-business days\n"
	  "  deadline TIME    the acknowledgement deadline of a notice received at TIME\n"
	  "  ics              publication dates and deadlines as iCalendar\n"
	  "  --days N         with ics: how many days ahead\n"
	  "  --output FILE    with ics: write FILE (mode 0600) instead of standard output\n" },
	{ "check-config", cmd_check_config, "check-config",
	  "Check the configuration against this machine, as pocmilter -n does.\n" },
	{ "metrics", cmd_metrics, "metrics [--output FILE]",
	  "The database as Prometheus metrics (text format), for node_exporter's textfile\n"
	  "collector or a scrape; no notice content, counts and times only.\n"
	  "  --output FILE  write FILE (0644) by a rename, never half-written\n" },
	{ "watch", cmd_watch, "watch [--page]",
	  "Monitoring plugin: one status line with performance data; exit 0 OK, 1 WARNING,\n"
	  "2 CRITICAL, 3 UNKNOWN (--help exits 3 too, as monitoring plugins do).\n"
	  "  --page         also run PageCommand for what it finds\n" },
};

static void
print_usage(FILE *fp)
{
	fprintf(fp, "usage: pocctl [-c FILE] [--utc | --local] VERB [ARGS]\n"
		    "       pocctl --help | VERB --help | --version\n"
		    "  --utc, --local  show times in UTC or the local zone (default: Japan, +09:00)\n");
	for (size_t i = 0; i < G_N_ELEMENTS(verbs); i++)
		fprintf(fp, "  pocctl %s\n", verbs[i].usage);
}

static G_NORETURN void
usage(void)
{
	print_usage(stderr);
	exit(EXIT_USAGE);
}

/* `pocctl VERB --help`: on stdout, exit 0 (watch: 3, the plugin code for "no check made"). */
static G_NORETURN void
verb_help(const struct verb *v)
{
	printf("usage: pocctl [-c FILE] %s\n%s", v->usage, v->help);
	printf("Exit status: %s\nSee pocctl(1).\n",
	       strcmp(v->name, "watch") == 0
		       ? "0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN"
		       : "0 success, 1 usage or configuration, 2 unknown id, 3 database cannot be "
			 "opened, 4 newer schema, 5 other failure");
	exit(strcmp(v->name, "watch") == 0 ? 3 : 0);
}

static gboolean
wants_help(const char *verb, int argc, char **argv)
{
	/* A note's text may be anything: only its first word asks for help. */
	int last = strcmp(verb, "note") == 0 ? MIN(argc, 2) : argc;

	for (int i = 1; i < last; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return TRUE;
	}
	return FALSE;
}

int
main(int argc, char **argv)
{
	int i = 1;

	/* reprocess and ack decrypt notices: no core file of them. */
	if (poc_forbid_core_dumps() != 0)
		fprintf(stderr, "pocctl: cannot forbid core dumps: %s\n", g_strerror(errno));
	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
			config_path = argv[i + 1];
			i += 2;
		} else if (strcmp(argv[i], "-V") == 0 || strcmp(argv[i], "--version") == 0) {
			printf("pocctl %s\n", PACKAGE_VERSION);
			return 0;
		} else if (strcmp(argv[i], "--utc") == 0) {
			display_zone = g_time_zone_new_utc();
			display_zone_name = "UTC";
			i++;
		} else if (strcmp(argv[i], "--local") == 0) {
			display_zone = g_time_zone_new_local();
			display_zone_name = "local";
			i++;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			print_usage(stdout);
			printf("Run 'pocctl VERB --help' for a verb's options; see pocctl(1).\n");
			return 0;
		} else {
			usage();
		}
	}
	if (i >= argc)
		usage();
	if (strcmp(argv[i], "help") == 0) {
		for (size_t v = 0; i + 1 < argc && v < G_N_ELEMENTS(verbs); v++)
			if (strcmp(argv[i + 1], verbs[v].name) == 0)
				verb_help(&verbs[v]);
		print_usage(stdout);
		return 0;
	}
	for (size_t v = 0; v < G_N_ELEMENTS(verbs); v++)
		if (strcmp(argv[i], verbs[v].name) == 0 && wants_help(verbs[v].name, argc - i, argv + i))
			verb_help(&verbs[v]);
	if (!config_path && strcmp(argv[i], "calendar") != 0)
		config_path = SYSCONFDIR "/pocmilter/pocmilter.conf";
	poc_log_open("pocctl", NULL, TRUE);	/* library messages: stderr, named pocctl */
	poc_notice_init();
	if (strcmp(argv[i], "note") == 0)
		return cmd_note_close(argc - i, argv + i, FALSE);
	if (strcmp(argv[i], "close") == 0)
		return cmd_note_close(argc - i, argv + i, TRUE);
	for (size_t v = 0; v < G_N_ELEMENTS(verbs); v++)
		if (verbs[v].fn && strcmp(argv[i], verbs[v].name) == 0)
			return verbs[v].fn(argc - i, argv + i);
	fprintf(stderr, "pocctl: unknown verb \"%s\"\n", argv[i]);
	usage();
}
