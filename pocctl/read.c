/*
 * NAME
 *	read.c - pocctl's reading verbs: list, show, export, reminders
 * SYNOPSIS
 *	pocctl list [--unacked|--overdue|--open|--publishing [--days N]]
 *	    [--wide] [--json]
 *	pocctl show ID [--json]
 *	pocctl export
 *	pocctl reminders
 * DESCRIPTION
 *	Each opens the database read-only, without waiting for the daemon.
 *	list prints one line per case (80 columns unless --wide) or a JSON
 *	array; show one case with its messages and its event log; export
 *	every case as NDJSON; reminders the publication reminders due now.
 * SECURITY
 *	show and export record who read which case (cli_audit_read). Text
 *	from mail is printed through cli_tty(); JSON is record.c's, every
 *	control character escaped.
 * DIAGNOSTICS
 *	Exit codes of pocctl(1); an unknown ID exits 2.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pocctl.h"
#include "publication.h"

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
	GPtrArray *msgs = cli_case_messages(lc->rt, c);
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
				cli_disp_time_fmt(shown->received_at, !lc->wide, recv);
				cli_disp_time_fmt(shown->ack_deadline, !lc->wide, dl);
				if (pending)
					format_left(lc->rt->cal, lc->now, pending->ack_deadline, left,
						    sizeof(left));
			}
			if (lc->wide)
				printf("%-24s %-14s %-25s %-25s %-12s %s\n", cli_tty(c->id),
				       shown ? poc_kind_name(shown->kind) : "-", *recv ? recv : "-",
				       *dl ? dl : "-", shown ? poc_ack_state_name(shown->ack_state) : "-",
				       left);
			else	/* 80 columns: 16+11+11+11+12+14 and 5 spaces */
				printf("%-16s %-11s %-11s %-11s %-12s %s\n", cli_tty(c->id),
				       shown ? poc_kind_name(shown->kind) : "-", *recv ? recv : "-",
				       *dl ? dl : "-", shown ? poc_ack_state_name(shown->ack_state) : "-",
				       left);
		}
	}
	g_ptr_array_unref(msgs);
	cli_tty_done();
	return 0;
}

static gint
by_publication_date(gconstpointer a, gconstpointer b)
{
	const poc_case *x = *(poc_case *const *)a, *y = *(poc_case *const *)b;

	return x->publication_date < y->publication_date ? -1
	       : x->publication_date > y->publication_date ? 1 : g_strcmp0(x->id, y->id);
}

int
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
				cli_die(EXIT_USAGE, "list --days: a number of days (0-3660)");
			break;
		default:
			cli_die(EXIT_USAGE, "usage: pocctl list [--unacked|--overdue|--open|--publishing "
					"[--days N]] [--wide] [--json]");
		}
	}
	lc.rt = cli_open_runtime(POC_RUNTIME_STORE_RDONLY | POC_RUNTIME_NO_TEMPLATES);
	lc.now = poc_now();
	lc.from = cli_jst_midnight(lc.now);
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
		cli_die(cli_exit_for(status), "%s", err ? err->message : poc_strerror(status));
	g_ptr_array_sort(lc.publishing, by_publication_date);
	for (guint i = 0; i < lc.publishing->len; i++) {
		poc_case *c = g_ptr_array_index(lc.publishing, i);
		char pub[POC_TIME_BUFSIZE], target[POC_TIME_BUFSIZE];

		printf(lc.wide ? "%-24s %-25s %-25s %-12s %s\n" : "%-16s %-11s %-11s %-14s %s\n",
		       cli_tty(c->id), cli_disp_time_fmt(c->publication_date, !lc.wide, pub),
		       cli_disp_time_fmt(poc_case_target(c), !lc.wide, target),
		       poc_statement_state_name(c->statement_state), c->state ? c->state : "-");
	}
	g_ptr_array_unref(lc.publishing);
	if (lc.json) {
		g_string_append_c(lc.rows, ']');
		cli_print_json(lc.rows, TRUE);
	}
	g_string_free(lc.rows, TRUE);
	poc_runtime_close(lc.rt);
	return 0;
}

/* --- show / export ----------------------------------------------------------- */

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
	printf("event:       %s %-22s %s%s%s\n", cli_disp_time(ev->at, t), cli_tty(ev->type),
	       ev->actor ? cli_tty(ev->actor) : "-", ev->detail ? " " : "", ev->detail ? cli_tty(ev->detail) : "");
	cli_tty_done();
	return 0;
}

/* show --json: the case as record.c encodes it, with its event log. */
static void
show_json(poc_runtime *rt, const poc_case *c, GPtrArray *msgs)
{
	GString *out = g_string_new(NULL);

	poc_case_encode(c, msgs, 0, out);
	g_string_truncate(out, out->len - 1);	/* the case's closing '}' */
	g_string_append(out, ",\"events\":[");
	/* The case's history too (ack-queued, ack-send-failed, ack-sent, ...). */
	poc_store_foreach_event(rt->store, c->id, collect_event_json, out, NULL);
	g_string_append(out, "]}");
	cli_print_json(out, TRUE);
	g_string_free(out, TRUE);
}

/* One message of show's text, numbered n from 1. */
static void
show_message(guint n, const poc_message *m)
{
	char t1[POC_TIME_BUFSIZE], t2[POC_TIME_BUFSIZE];

	printf("\nmessage %u:   %s\n", n, cli_tty(m->message_id));
	printf("  received:  %s\n", cli_disp_time(m->received_at, t1));
	printf("  from:      %s\n", m->from ? cli_tty(m->from) : "-");
	printf("  subject:   %s\n", m->subject ? cli_tty(m->subject) : "-");
	printf("  kind:      %s%s%s%s\n", poc_kind_name(m->kind),
	       m->kind_rule ? " (rule: " : "", m->kind_rule ? cli_tty(m->kind_rule) : "",
	       m->kind_rule ? ")" : "");
	printf("  crypto:    decryption=%s signature=%s signer=%s covers=%s\n",
	       poc_decryption_name(m->decryption), poc_signature_name(m->signature),
	       m->signer ? cli_tty(m->signer) : "-",
	       poc_sig_covers_name(m->signature_covers));
	if (m->claimed_publication_date || m->claimed_statement_request)
		printf("  claims:    %s%s%s%s (%s)\n",
		       m->claimed_publication_date ? "publication date " : "",
		       m->claimed_publication_date
			       ? cli_disp_time(m->claimed_publication_date, t2) : "",
		       m->claimed_publication_date && m->claimed_statement_request
			       ? ", " : "",
		       m->claimed_statement_request ? "statement request" : "",
		       m->claim_accepted_at ? "accepted" : "not applied: pocctl accept");
	printf("  ack:       %s%s%s\n", poc_ack_state_name(m->ack_state),
	       m->ack_note ? " - " : "", m->ack_note ? cli_tty(m->ack_note) : "");
	if (m->ack_required)
		printf("  deadline:  %s\n", cli_disp_time(m->ack_deadline, t2));
	if (m->ack_sent_at)
		printf("  ack sent:  %s %s\n", cli_disp_time(m->ack_sent_at, t2),
		       m->ack_message_id ? cli_tty(m->ack_message_id) : "");
	for (guint j = 0; m->problems && j < m->problems->len; j++)
		printf("  problem:   %s\n", cli_tty(g_ptr_array_index(m->problems, j)));
	cli_tty_done();
}

/* show's text: the case, its messages, its notes, then its event log. */
static void
show_text(poc_runtime *rt, const poc_case *c, GPtrArray *msgs)
{
	char t1[POC_TIME_BUFSIZE], t2[POC_TIME_BUFSIZE];

	printf("case:        %s\n", cli_tty(c->id));
	printf("tracking:    %s\n", c->tracking ? cli_tty(c->tracking) : "-");
	printf("state:       %s\n", c->state ? cli_tty(c->state) : "-");
	printf("opened:      %s\n", cli_disp_time(c->opened_at, t1));
	if (c->publication_date)
		printf("publication: %s\n", cli_disp_time(c->publication_date, t1));
	for (guint i = 0; c->publication_history && i < c->publication_history->len; i++) {
		const poc_pub_change *pc = g_ptr_array_index(c->publication_history, i);

		printf("  changed:   %s -> %s by %s\n",
		       pc->from ? cli_disp_time(pc->from, t1) : "none",
		       cli_disp_time(pc->to, t2), pc->message_id ? cli_tty(pc->message_id) : "-");
	}
	printf("target:      %s\n", cli_disp_time(poc_case_target(c), t1));
	printf("statement:   %s%s%s", poc_statement_state_name(c->statement_state),
	       c->statement_status ? " " : "", c->statement_status ? cli_tty(c->statement_status) : "");
	if (c->statement_sent_at)
		printf(" (sent %s)", cli_disp_time(c->statement_sent_at, t1));
	putchar('\n');
	for (guint i = 0; c->vuln_ids && i < c->vuln_ids->len; i++)
		printf("vuln:        %s\n", cli_tty(g_ptr_array_index(c->vuln_ids, i)));
	for (guint i = 0; c->cve_ids && i < c->cve_ids->len; i++)
		printf("cve:         %s\n", cli_tty(g_ptr_array_index(c->cve_ids, i)));
	for (guint i = 0; i < msgs->len; i++)
		show_message(i + 1, g_ptr_array_index(msgs, i));
	for (guint i = 0; c->notes && i < c->notes->len; i++)
		printf("note:        %s\n", cli_tty(g_ptr_array_index(c->notes, i)));
	printf("\n");
	poc_store_foreach_event(rt->store, c->id, print_event, NULL, NULL);
}

int
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
			cli_die(EXIT_USAGE, "usage: pocctl show ID [--json]");
	}
	if (!id)
		cli_die(EXIT_USAGE, "usage: pocctl show ID [--json]");
	rt = cli_open_runtime(POC_RUNTIME_STORE_RDONLY | POC_RUNTIME_NO_TEMPLATES);
	c = cli_find_case(rt, id);
	msgs = cli_case_messages(rt, c);
	if (json)
		show_json(rt, c, msgs);
	else
		show_text(rt, c, msgs);
	ids = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(ids, g_strdup(c->id));
	g_ptr_array_unref(msgs);
	poc_case_free(c);
	poc_runtime_close(rt);
	cli_audit_read("show", ids);
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
	GPtrArray *msgs = cli_case_messages(ec->rt, c);
	GString *out = g_string_new(NULL);

	poc_case_encode(c, msgs, 0, out);
	cli_print_json(out, FALSE);
	g_string_free(out, TRUE);
	g_ptr_array_unref(msgs);
	g_ptr_array_add(ec->ids, g_strdup(c->id));
	return 0;
}

int
cmd_export(int argc, char **argv)
{
	export_ctx ec = { 0 };
	GError *err = NULL;
	int status;

	if (argc != 1)
		cli_die(EXIT_USAGE, "usage: pocctl export");
	ec.rt = cli_open_runtime(POC_RUNTIME_STORE_RDONLY | POC_RUNTIME_NO_TEMPLATES);
	ec.ids = g_ptr_array_new_with_free_func(g_free);
	status = poc_store_foreach_case(ec.rt->store, export_one, &ec, &err);
	if (status != POC_OK)
		cli_die(cli_exit_for(status), "%s", err ? err->message : poc_strerror(status));
	fflush(stdout);
	poc_runtime_close(ec.rt);
	cli_audit_read("export", ec.ids);
	g_ptr_array_unref(ec.ids);
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
		       cli_tty(r[i].case_id), poc_time_format(r[i].due_at, due),
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
int
cmd_reminders(int argc, char **argv)
{
	reminders_ctx rc = { 0 };
	GError *err = NULL;
	int status;

	(void)argv;
	if (argc != 1)
		cli_die(EXIT_USAGE, "usage: pocctl reminders");
	rc.rt = cli_open_runtime(POC_RUNTIME_STORE_RDONLY | POC_RUNTIME_NO_TEMPLATES);
	rc.now = poc_now();
	printf("%-18s %-24s %-25s %-25s %s\n", "REASON", "CASE", "DUE", "PUBLICATION", "TARGET");
	status = poc_store_foreach_case(rc.rt->store, reminders_one, &rc, &err);
	if (status != POC_OK)
		cli_die(cli_exit_for(status), "%s", err ? err->message : poc_strerror(status));
	poc_runtime_close(rc.rt);
	return 0;
}
