/*
 * NAME
 *	write.c - pocctl's writing verbs on one case: note, close, ack,
 *	accept, state, statement, reprocess
 * SYNOPSIS
 *	pocctl note ID TEXT | close ID | state ID STATE
 *	pocctl ack ID [--template NAME | --none REASON]
 *	pocctl accept MESSAGE-ID|CASE
 *	pocctl statement ID --status S [--url URL] [--text TEXT] [--dry-run]
 *	pocctl reprocess ID
 * DESCRIPTION
 *	Each change is one write transaction with its event (the actor is
 *	pocctl:UID(NAME)), serialised with the daemon by LMDB's writer lock.
 *	ack and statement compose, sign and encrypt the mail here and queue
 *	it in the outbox; the daemon's sender sends it. An acknowledgement
 *	is queued only if its message is still held, checked in the same
 *	transaction as the daemon's guard.
 * SECURITY
 *	ack, statement and reprocess decrypt notices in memory only (core
 *	dumps are forbidden in main). Notes and reasons are sanitised
 *	(poc_header_sanitise) before they are stored; text from mail is
 *	printed through cli_tty().
 * DIAGNOSTICS
 *	Exit codes of pocctl(1): 2 for an unknown case or no message waiting
 *	for an acknowledgement, 5 when composing or GnuPG fails.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pocctl.h"
#include "caserules.h"
#include "process.h"
#include "statement.h"

/* --- note / close --------------------------------------------------------------- */

int
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
		cli_die(EXIT_USAGE, closing ? "usage: pocctl close ID" : "usage: pocctl note ID TEXT");
	rt = cli_open_runtime(POC_RUNTIME_NO_TEMPLATES);
	c = cli_find_case(rt, argv[1]);
	ev.at = poc_now();
	ev.case_id = c->id;
	ev.actor = cli_actor();
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
		cli_die(cli_exit_for(status), "%s", err ? err->message : poc_strerror(status));
	printf("%s: %s\n", cli_tty(c->id), closing ? "closed" : "noted");
	g_free(ev.actor);
	g_free(text);
	poc_case_free(c);
	poc_runtime_close(rt);
	return 0;
}

/* --- ack ------------------------------------------------------------------------ */

/* ack --none REASON: the message needs no acknowledgement, and why (its event). */
static void
ack_none(poc_runtime *rt, const poc_case *c, poc_message *target, const char *none)
{
	poc_event ev = { .at = poc_now(), .case_id = c->id,
			 .type = (char *)poc_event_name(POC_EV_ACK_NONE),
			 .message_id = target->message_id };
	GError *err = NULL;
	int status;

	target->ack_state = POC_ACK_NOT_REQUIRED;
	g_free(target->ack_note);
	target->ack_note = poc_header_sanitise(none, 500);
	ev.actor = cli_actor();
	ev.detail = target->ack_note;
	status = poc_store_update_message(rt->store, target, &ev, &err);
	g_free(ev.actor);
	if (status != POC_OK)
		cli_die(cli_exit_for(status), "%s", err ? err->message : poc_strerror(status));
	printf("%s: %s: no acknowledgement (%s)\n", cli_tty(c->id), cli_tty(target->message_id), cli_tty(none));
}

/* ack [--template NAME]: compose the acknowledgement and queue it for the daemon. */
static void
ack_queue(poc_runtime *rt, const poc_case *c, poc_message *target, const char *tmpl)
{
	poc_crypto *crypto = NULL;
	poc_outbox_entry *e = NULL;
	GError *err = NULL;
	int status;

	if (!rt->templates)
		cli_die(EXIT_USAGE, "AckMode is off: no templates are loaded");
	/* --template NAME is KIND-NAME.tmpl of the message's kind (pocctl(1)), or a whole name. */
	if (tmpl) {
		char *of_kind = g_strdup_printf("%s-%s", poc_kind_name(target->kind), tmpl);

		if (poc_templates_has(rt->templates, of_kind))
			tmpl = of_kind;	/* lives until exit */
		else if (!poc_templates_has(rt->templates, tmpl))
			cli_die(EXIT_NOTFOUND, "no template \"%s\" (nor \"%s\") in %s", tmpl,
				of_kind, rt->cfg->template_dir);
		else
			g_free(of_kind);
	}
	if (poc_crypto_new(rt->cfg->gnupg_home, &crypto, &err) != POC_OK)
		cli_die(EXIT_FAIL, "GnuPG: %s", err ? err->message : "?");
	if (poc_ack_compose(rt->cfg, rt->templates, crypto, target, tmpl, poc_now(), &e,
			    &err) != POC_OK)
		cli_die(EXIT_FAIL, "cannot compose the acknowledgement: %s", err ? err->message : "?");
	{
		poc_event ev = { .at = poc_now(),
			 .type = (char *)poc_event_name(POC_EV_ACK_QUEUED_BY_PERSON) };

		ev.actor = cli_actor();
		ev.detail = e->template_name;
		/* Queued only if still held, checked in the same transaction as the guard's. */
		status = poc_store_outbox_add_held(rt->store, e, &ev, &err);
		g_free(ev.actor);
	}
	if (status == POC_ERR_EXISTS)
		cli_die(EXIT_FAIL, "%s: %s", c->id, err ? err->message : "already acknowledged");
	if (status != POC_OK)
		cli_die(cli_exit_for(status), "%s", err ? err->message : poc_strerror(status));
	printf("%s: acknowledgement %s queued (template %s); the daemon sends it\n", cli_tty(c->id),
	       e->ack_message_id, e->template_name);
	poc_outbox_entry_free(e);
	poc_crypto_free(crypto);
}

int
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
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 't': tmpl = optarg; break;
		case 'n': none = optarg; break;
		default: cli_die(EXIT_USAGE, "usage: pocctl ack ID [--template NAME | --none REASON]");
		}
	}
	if (optind + 1 != argc || (tmpl && none) || (none && !*none))
		cli_die(EXIT_USAGE, "usage: pocctl ack ID [--template NAME | --none REASON]");
	rt = cli_open_runtime(0);
	c = cli_find_case(rt, argv[optind]);
	msgs = cli_case_messages(rt, c);
	/* The oldest message still waiting for an acknowledgement. */
	for (guint i = 0; i < msgs->len && !target; i++) {
		poc_message *m = g_ptr_array_index(msgs, i);
		if (m->ack_required && (m->ack_state == POC_ACK_HELD || m->ack_state == POC_ACK_FAILED))
			target = m;
	}
	if (!target)
		cli_die(EXIT_NOTFOUND, "%s: no message is waiting for an acknowledgement", c->id);
	if (none)
		ack_none(rt, c, target, none);
	else
		ack_queue(rt, c, target, tmpl);
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
int
cmd_accept(int argc, char **argv)
{
	poc_runtime *rt;
	poc_message *m = NULL;
	char *who;
	int status = POC_OK, done = 0, failed = 0;

	if (argc != 2)
		cli_die(EXIT_USAGE, "usage: pocctl accept MESSAGE-ID|CASE");
	rt = cli_open_runtime(POC_RUNTIME_NO_TEMPLATES);
	who = cli_actor();
	if (poc_store_get_message(rt->store, argv[1], &m, NULL) == POC_OK) {
		poc_message_free(m);
		if (!accept_one(rt, argv[1], who, &status))
			cli_die(cli_exit_for(status), "nothing accepted");
		done++;
	} else {
		poc_case *c = cli_find_case(rt, argv[1]);
		GPtrArray *msgs = cli_case_messages(rt, c);

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
	return failed ? cli_exit_for(status) : 0;
}

int
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
		cli_die(EXIT_USAGE, "usage: pocctl state ID %s", list->str);
	}
	rt = cli_open_runtime(POC_RUNTIME_NO_TEMPLATES);
	c = cli_find_case(rt, argv[1]);
	who = cli_actor();
	status = poc_store_set_state(rt->store, c->id, argv[2], who, &err);
	if (status != POC_OK)
		cli_die(cli_exit_for(status), "%s", err ? err->message : poc_strerror(status));
	printf("%s: %s -> %s\n", cli_tty(c->id), c->state ? cli_tty(c->state) : "-", argv[2]);
	g_free(who);
	poc_case_free(c);
	poc_runtime_close(rt);
	return 0;
}

/* statement --dry-run: the statement as it would be sent; nothing is queued. */
static void
statement_print(poc_runtime *rt, const poc_case *c, GPtrArray *msgs, const poc_statement *st)
{
	const poc_message *req = poc_statement_request(msgs);
	char *subject, *body;
	GError *err = NULL;

	if (poc_statement_render(rt->cfg, rt->templates, c, req, st, poc_now(), &subject,
				 &body, &err) != POC_OK)
		cli_die(EXIT_FAIL, "cannot compose the statement: %s", err ? err->message : "?");
	printf("To: %s\nSubject: %s\nIn-Reply-To: %s\n\n", req && req->from ? cli_tty(req->from) : "-",
	       cli_tty(subject), req && req->message_id ? cli_tty(req->message_id) : "-");
	{
		/* The body's lines are the template's; what they quote is escaped. */
		char **lines = g_strsplit(body, "\n", -1);

		for (char **l = lines; *l; l++)
			printf("%s%s", cli_tty(*l), l[1] ? "\n" : "");
		g_strfreev(lines);
	}
	g_free(subject);
	g_free(body);
}

/* statement: compose, sign and encrypt it, and queue it for the daemon. */
static void
statement_queue(poc_runtime *rt, const poc_case *c, GPtrArray *msgs, const poc_statement *st)
{
	poc_crypto *crypto = NULL;
	poc_outbox_entry *e = NULL;
	GError *err = NULL;
	char *who = cli_actor();
	int status;

	if (poc_crypto_new(rt->cfg->gnupg_home, &crypto, &err) != POC_OK)
		cli_die(EXIT_FAIL, "GnuPG: %s", err ? err->message : "?");
	if (poc_statement_compose(rt->cfg, rt->templates, crypto, c, msgs, st, poc_now(), &e,
				  &err) != POC_OK)
		cli_die(EXIT_FAIL, "cannot compose the statement: %s", err ? err->message : "?");
	status = poc_store_statement_add(rt->store, e, poc_vendor_status_name(st->status), who,
					 &err);
	if (status != POC_OK)
		cli_die(cli_exit_for(status), "%s", err ? err->message : poc_strerror(status));
	printf("%s: statement %s (%s) queued to %s; the daemon sends it\n", cli_tty(c->id),
	       e->ack_message_id, poc_vendor_status_name(st->status), cli_tty(e->recipient));
	g_free(who);
	poc_outbox_entry_free(e);
	poc_crypto_free(crypto);
}

int
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

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			if ((status = poc_vendor_status_parse(optarg)) < 0)
				cli_die(EXIT_USAGE, "%s", use);
			break;
		case 'u': st.url = optarg; break;
		case 't': st.text = optarg; break;
		case 'n': dry_run = TRUE; break;
		default: cli_die(EXIT_USAGE, "%s", use);
		}
	}
	if (optind + 1 != argc || status < 0)
		cli_die(EXIT_USAGE, "%s", use);
	st.status = (poc_vendor_status)status;
	rt = cli_open_runtime(dry_run ? POC_RUNTIME_STORE_RDONLY : 0);
	if (!rt->templates)
		cli_die(EXIT_USAGE, "AckMode is off: no templates are loaded");
	c = cli_find_case(rt, argv[optind]);
	msgs = cli_case_messages(rt, c);
	if (dry_run)
		statement_print(rt, c, msgs, &st);
	else
		statement_queue(rt, c, msgs, &st);
	g_ptr_array_unref(msgs);
	poc_case_free(c);
	poc_runtime_close(rt);
	return 0;
}

/* --- reprocess ------------------------------------------------------------------ */

int
cmd_reprocess(int argc, char **argv)
{
	poc_runtime *rt;
	poc_case *c;
	poc_crypto *crypto = NULL;
	GError *err = NULL;
	char *who;
	int failed = 0;

	if (argc != 2)
		cli_die(EXIT_USAGE, "usage: pocctl reprocess ID");
	rt = cli_open_runtime(0);
	c = cli_find_case(rt, argv[1]);
	if (poc_crypto_new(rt->cfg->gnupg_home, &crypto, &err) != POC_OK) {
		fprintf(stderr, "pocctl: GnuPG home %s: %s\n", rt->cfg->gnupg_home,
			err ? err->message : "?");
		g_clear_error(&err);
	}
	who = cli_actor();
	for (guint i = 0; c->message_ids && i < c->message_ids->len; i++) {
		const char *mid = g_ptr_array_index(c->message_ids, i);
		poc_message *m = NULL;

		if (poc_process_again(rt, crypto, mid, who, &m, &err) != POC_OK) {
			fprintf(stderr, "pocctl: %s: %s\n", cli_tty(mid), err ? cli_tty(err->message) : "?");
			g_clear_error(&err);
			failed++;
			continue;
		}
		printf("%s: %s decryption=%s signature=%s kind=%s (rule: %s) ack=%s\n", cli_tty(c->id), cli_tty(mid),
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
