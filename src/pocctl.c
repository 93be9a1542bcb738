/*
 * NAME
 *	pocctl - cases, acknowledgements, paging check, calendar and import
 *	for people and scripts
 * SYNOPSIS
 *	pocctl [-c FILE] VERB [ARGS]   (see pocctl(1))
 * DESCRIPTION
 *	Reading verbs (list, show, export) open the database read-only and
 *	never block the daemon. Writing verbs (import, ack, note, close) are
 *	serialised with the daemon by LMDB's writer lock. Acknowledgements
 *	queued here are sent by the daemon's outbox.
 * DIAGNOSTICS
 *	Exit 0 on success; 1 usage or configuration error; 2 unknown id;
 *	3 database cannot be opened; 4 database of a newer schema; 5 other
 *	failures. `watch` uses the monitoring plugin codes instead.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "notice.h"
#include "worker.h"

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

static void
print_json(JsonNode *node, gboolean pretty)
{
	char *s = poc_json_to_string(node, pretty);
	puts(s);
	g_free(s);
}

/* --- list ------------------------------------------------------------------ */

enum { FILTER_ALL, FILTER_UNACKED, FILTER_OVERDUE, FILTER_OPEN };

typedef struct list_ctx {
	poc_runtime *rt;
	int filter;
	gboolean json;
	gint64 now;
	GPtrArray *rows;	/* JsonNode * */
	int count;
} list_ctx;

static gboolean
message_unacked(const poc_message *m)
{
	return m->ack_required && m->ack_state != POC_ACK_SENT && m->ack_state != POC_ACK_NOT_REQUIRED;
}

static void
format_left(gint64 left, char *buf, size_t size)
{
	if (left < 0)
		g_snprintf(buf, size, "overdue %" G_GINT64_FORMAT "h%02" G_GINT64_FORMAT "m",
			   -left / 3600, (-left / 60) % 60);
	else
		g_snprintf(buf, size, "%" G_GINT64_FORMAT "h%02" G_GINT64_FORMAT "m", left / 3600,
			   (left / 60) % 60);
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
	default: keep = TRUE;
	}
	if (keep) {
		poc_message *shown = pending ? pending : last;

		lc->count++;
		if (lc->json) {
			g_ptr_array_add(lc->rows, poc_case_to_json(c, msgs));
		} else {
			char recv[POC_TIME_BUFSIZE] = "", dl[POC_TIME_BUFSIZE] = "", left[32] = "-";

			if (shown) {
				poc_time_format(shown->received_at, recv);
				poc_time_format(shown->ack_deadline, dl);
				if (pending)
					format_left(pending->ack_deadline - lc->now, left, sizeof(left));
			}
			printf("%-24s %-14s %-25s %-25s %-12s %s\n", c->id,
			       shown ? poc_kind_name(shown->kind) : "-", *recv ? recv : "-",
			       *dl ? dl : "-", shown ? poc_ack_state_name(shown->ack_state) : "-", left);
		}
	}
	g_ptr_array_unref(msgs);
	return 0;
}

static int
cmd_list(int argc, char **argv)
{
	static const struct option opts[] = { { "unacked", no_argument, NULL, 'u' },
					      { "overdue", no_argument, NULL, 'o' },
					      { "open", no_argument, NULL, 'O' },
					      { "json", no_argument, NULL, 'j' },
					      { NULL, 0, NULL, 0 } };
	list_ctx lc = { 0 };
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
		default: die(EXIT_USAGE, "usage: pocctl list [--unacked|--overdue|--open] [--json]");
		}
	}
	lc.rt = open_runtime(POC_RUNTIME_STORE_RDONLY | POC_RUNTIME_NO_TEMPLATES);
	lc.now = poc_now();
	lc.rows = g_ptr_array_new_with_free_func((GDestroyNotify)json_node_unref);
	if (!lc.json)
		printf("%-24s %-14s %-25s %-25s %-12s %s\n", "CASE", "KIND", "RECEIVED", "DEADLINE",
		       "ACK", "LEFT");
	status = poc_store_foreach_case(lc.rt->store, list_one, &lc, &err);
	if (status != POC_OK)
		die(exit_for(status), "%s", err ? err->message : poc_strerror(status));
	if (lc.json) {
		JsonArray *arr = json_array_new();
		JsonNode *node = json_node_new(JSON_NODE_ARRAY);

		for (guint i = 0; i < lc.rows->len; i++)
			json_array_add_element(arr, json_node_copy(g_ptr_array_index(lc.rows, i)));
		json_node_take_array(node, arr);
		print_json(node, TRUE);
		json_node_unref(node);
	}
	g_ptr_array_unref(lc.rows);
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

/* Reading a case is recorded: who read what, for the guideline's audit trail. */
static void
audit_read(const char *verb, GPtrArray *case_ids)
{
	poc_runtime *rt;

	if (case_ids->len == 0)
		return;
	rt = open_runtime(POC_RUNTIME_NO_TEMPLATES);
	for (guint i = 0; i < case_ids->len; i++)
		record_event(rt, g_ptr_array_index(case_ids, i), "read", NULL, verb);
	poc_runtime_close(rt);
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
		JsonNode *node = poc_case_to_json(c, msgs);
		print_json(node, TRUE);
		json_node_unref(node);
	} else {
		char t1[POC_TIME_BUFSIZE], t2[POC_TIME_BUFSIZE];

		printf("case:        %s\n", c->id);
		printf("tracking:    %s\n", c->tracking ? c->tracking : "-");
		printf("state:       %s\n", c->state ? c->state : "-");
		printf("opened:      %s\n", poc_time_format(c->opened_at, t1));
		if (c->publication_date)
			printf("publication: %s\n", poc_time_format(c->publication_date, t1));
		for (guint i = 0; c->vuln_ids && i < c->vuln_ids->len; i++)
			printf("vuln:        %s\n", (char *)g_ptr_array_index(c->vuln_ids, i));
		for (guint i = 0; c->cve_ids && i < c->cve_ids->len; i++)
			printf("cve:         %s\n", (char *)g_ptr_array_index(c->cve_ids, i));
		for (guint i = 0; i < msgs->len; i++) {
			poc_message *m = g_ptr_array_index(msgs, i);

			printf("\nmessage %u:   %s\n", i + 1, m->message_id);
			printf("  received:  %s\n", poc_time_format(m->received_at, t1));
			printf("  from:      %s\n", m->from ? m->from : "-");
			printf("  subject:   %s\n", m->subject ? m->subject : "-");
			printf("  kind:      %s\n", poc_kind_name(m->kind));
			printf("  crypto:    decryption=%s signature=%s signer=%s\n",
			       poc_decryption_name(m->decryption), poc_signature_name(m->signature),
			       m->signer ? m->signer : "-");
			printf("  ack:       %s%s%s\n", poc_ack_state_name(m->ack_state),
			       m->ack_note ? " - " : "", m->ack_note ? m->ack_note : "");
			if (m->ack_required)
				printf("  deadline:  %s\n", poc_time_format(m->ack_deadline, t2));
			if (m->ack_sent_at)
				printf("  ack sent:  %s %s\n", poc_time_format(m->ack_sent_at, t2),
				       m->ack_message_id ? m->ack_message_id : "");
			for (guint j = 0; m->problems && j < m->problems->len; j++)
				printf("  problem:   %s\n", (char *)g_ptr_array_index(m->problems, j));
		}
		for (guint i = 0; c->notes && i < c->notes->len; i++)
			printf("note:        %s\n", (char *)g_ptr_array_index(c->notes, i));
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
	JsonNode *node = poc_case_to_json(c, msgs);

	print_json(node, FALSE);
	json_node_unref(node);
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
		g_free(c->state);
		c->state = g_strdup("closed");
		ev.type = "closed";
	} else {
		char *joined = g_strjoinv(" ", argv + 2);

		text = poc_header_sanitise(joined, 2000);
		g_free(joined);
		if (!c->notes)
			c->notes = g_ptr_array_new_with_free_func(g_free);
		g_ptr_array_add(c->notes, g_strdup_printf("%s\t%s\t%s", poc_time_format(ev.at, buf),
							  ev.actor, text));
		ev.type = "noted";
		ev.detail = text;
	}
	c->updated_at = ev.at;
	status = poc_store_update_case(rt->store, c, &ev, &err);
	if (status != POC_OK)
		die(exit_for(status), "%s", err ? err->message : poc_strerror(status));
	printf("%s: %s\n", c->id, closing ? "closed" : "noted");
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
	if (optind + 1 != argc)
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
		poc_event ev = { .at = poc_now(), .case_id = c->id, .type = "ack-none",
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
		printf("%s: %s: no acknowledgement (%s)\n", c->id, target->message_id, none);
	} else {
		if (!rt->templates)
			die(EXIT_USAGE, "AckMode is off: no templates are loaded");
		if (tmpl && !poc_templates_has(rt->templates, tmpl))
			die(EXIT_NOTFOUND, "no template \"%s\" in %s", tmpl, rt->cfg->template_dir);
		if (poc_crypto_new(rt->cfg->gnupg_home, &crypto, &err) != POC_OK)
			die(EXIT_FAIL, "GnuPG: %s", err ? err->message : "?");
		if (poc_ack_compose(rt->cfg, rt->templates, crypto, target, tmpl, poc_now(), &e,
				    &err) != POC_OK)
			die(EXIT_FAIL, "cannot compose the acknowledgement: %s", err ? err->message : "?");
		status = poc_store_outbox_add(rt->store, e, &err);
		if (status != POC_OK)
			die(exit_for(status), "%s", err ? err->message : poc_strerror(status));
		{
			char *who = actor();
			record_event(rt, c->id, "ack-queued-by-person", target->message_id, who);
			g_free(who);
		}
		printf("%s: acknowledgement %s queued (template %s); the daemon sends it\n", c->id,
		       e->ack_message_id, e->template_name);
		poc_outbox_entry_free(e);
		poc_crypto_free(crypto);
	}
	g_ptr_array_unref(msgs);
	poc_case_free(c);
	poc_runtime_close(rt);
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

		if (poc_reprocess_message(rt, crypto, mid, who, &m, &err) != POC_OK) {
			fprintf(stderr, "pocctl: %s: %s\n", mid, err ? err->message : "?");
			g_clear_error(&err);
			failed++;
			continue;
		}
		printf("%s: %s decryption=%s signature=%s kind=%s ack=%s\n", c->id, mid,
		       poc_decryption_name(m->decryption), poc_signature_name(m->signature),
		       poc_kind_name(m->kind), poc_ack_state_name(m->ack_state));
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
	guint64 id;
	poc_process_result result = POC_FILED;
	char *sender = return_path(data, len);

	info.received_at = received_at > 0 ? received_at : poc_now();
	info.source = (char *)source;
	info.envelope_from = sender;
	if (poc_store_spool_put(ic->rt->store, data, len, &info, &id, &err) != POC_OK ||
	    poc_process_spooled(ic->rt, ic->crypto, id, &result, &err) != POC_OK) {
		fprintf(stderr, "pocctl: import %s: %s\n", source, err ? err->message : "?");
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
				import_bytes(ic, body, stop - body, 0, path);
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

static int
cmd_calendar(int argc, char **argv)
{
	poc_config *cfg = NULL;
	poc_calendar *cal = NULL;
	GError *err = NULL;
	int status;

	if (config_path)
		status = poc_config_load(config_path, &cfg, &err);
	else
		cfg = poc_config_new(), status = POC_OK;
	if (status != POC_OK || poc_calendar_from_config(cfg, &cal, &err) != POC_OK)
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
		die(EXIT_USAGE, "usage: pocctl calendar holidays YEAR | calendar deadline RFC3339-TIME");
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

	if (poc_runtime_open(path, POC_RUNTIME_NO_STORE, &rt, &err) != POC_OK ||
	    poc_config_validate(rt->cfg, &err) != POC_OK) {
		fprintf(stderr, "pocctl: %s\n", err->message);
		return EXIT_USAGE;
	}
	printf("%s: OK\n", path);
	poc_runtime_close(rt);
	return 0;
}

static const struct verb {
	const char *name;
	int (*fn)(int, char **);
	const char *usage;
} verbs[] = {
	{ "list", cmd_list, "list [--unacked|--overdue|--open] [--json]" },
	{ "show", cmd_show, "show ID [--json]" },
	{ "export", cmd_export, "export" },
	{ "ack", cmd_ack, "ack ID [--template NAME | --none REASON]" },
	{ "note", NULL, "note ID TEXT" },
	{ "close", NULL, "close ID" },
	{ "import", cmd_import, "import PATH..." },
	{ "reprocess", cmd_reprocess, "reprocess ID" },
	{ "calendar", cmd_calendar, "calendar holidays YEAR | calendar deadline TIME" },
	{ "check-config", cmd_check_config, "check-config" },
};

static G_NORETURN void
usage(void)
{
	fprintf(stderr, "usage: pocctl [-c FILE] VERB [ARGS]\n");
	for (size_t i = 0; i < G_N_ELEMENTS(verbs); i++)
		fprintf(stderr, "  pocctl %s\n", verbs[i].usage);
	exit(EXIT_USAGE);
}

int
main(int argc, char **argv)
{
	int i = 1;

	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
			config_path = argv[i + 1];
			i += 2;
		} else if (strcmp(argv[i], "-V") == 0 || strcmp(argv[i], "--version") == 0) {
			printf("pocctl %s\n", PACKAGE_VERSION);
			return 0;
		} else {
			usage();
		}
	}
	if (i >= argc)
		usage();
	if (!config_path && strcmp(argv[i], "calendar") != 0)
		config_path = SYSCONFDIR "/pocmilter/pocmilter.conf";
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
