/*
 * NAME
 *	test_page - unit tests of the paging check (page.c)
 * DESCRIPTION
 *	Each test files records through the store API in a fresh temporary
 *	database and steps a fake clock (the now argument, and POC_FAKE_NOW
 *	for everything that reads poc_now()) through a timeline. PageCommand
 *	is a shell script that appends its stdin (one JSON object and a
 *	newline per page) to a file, which the tests read back. The race test
 *	runs four checkers as separate processes (this program, --race-child).
 *
 *	The calendar is the default one: national holidays, Mon-Fri
 *	09:00-17:30 JST. Friday 2026-10-16 20:00 JST has its deadline on
 *	Monday 2026-10-19 17:30; four business hours before it is Monday
 *	13:30 (no holiday that weekend: Sports Day was 10-12).
 */
#include "config.h"

#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "page.h"
#include "runtime.h"
#include "testutil.h"

typedef struct fixture {
	char *dir;
	char *log;		/* what PageCommand received */
	gsize seen;		/* bytes of log already read */
	poc_runtime *rt;
	gboolean live_daemon;	/* write a fresh heartbeat before each check */
} fixture;

static gint64
at(const char *rfc3339)
{
	gint64 t = poc_time_parse(rfc3339);

	ck_assert_msg(t > 0, "bad time %s", rfc3339);
	return t;
}

static void
write_script(fixture *fx, const char *name, const char *body)
{
	char *path = g_build_filename(fx->dir, name, NULL);
	char *text = g_strdup_printf("#!/bin/sh\n%s\n", body);

	ck_assert(g_file_set_contents(path, text, -1, NULL));
	ck_assert_int_eq(chmod(path, 0755), 0);
	g_free(text);
	g_free(path);
}

/* base: where the temporary directory goes (NULL: TMPDIR). */
static fixture *
fx_new_in(const char *base)
{
	fixture *fx = g_new0(fixture, 1);
	char *db, *body;
	GError *err = NULL;

	if (base) {
		char *tmpl = g_build_filename(base, "pocpage-XXXXXX", NULL);

		fx->dir = g_mkdtemp(tmpl);
		if (!fx->dir)
			g_free(tmpl);
	}
	if (!fx->dir)
		fx->dir = g_dir_make_tmp("pocpage-XXXXXX", NULL);
	ck_assert_ptr_nonnull(fx->dir);
	fx->log = g_build_filename(fx->dir, "pages.log", NULL);
	body = g_strdup_printf("[ -f '%s/fail' ] && { echo 'pager down' >&2; exit 1; }\n"
			       "[ -f '%s/hang' ] && exec sleep 30\n"
			       "cat >>'%s'",
			       fx->dir, fx->dir, fx->log);
	write_script(fx, "page.sh", body);
	g_free(body);
	fx->rt = g_new0(poc_runtime, 1);
	fx->rt->cfg = poc_config_new();
	fx->rt->cfg->page_command = g_strdup_printf("'%s/page.sh' --from-test", fx->dir);
	fx->rt->cal = poc_calendar_new();
	db = g_build_filename(fx->dir, "db", NULL);
	if (poc_store_open(db, 0, &fx->rt->store, &err) != POC_OK)
		ck_abort_msg("open: %s", err ? err->message : "?");
	g_free(db);
	fx->live_daemon = TRUE;
	return fx;
}

static fixture *
fx_new(void)
{
	return fx_new_in(NULL);
}

static void
fx_free(fixture *fx)
{
	poc_runtime_close(fx->rt);
	rmtree(fx->dir);
	g_free(fx->log);
	g_free(fx->dir);
	g_free(fx);
}

/* One check at time t with pages; returns the level. */
static poc_page_level
check_at(fixture *fx, gint64 t, poc_page_status *out)
{
	poc_page_status st;
	GError *err = NULL;
	char env[32];
	poc_page_level level;

	g_snprintf(env, sizeof(env), "%" G_GINT64_FORMAT, t);
	g_setenv("POC_FAKE_NOW", env, TRUE);
	if (fx->live_daemon)
		ck_assert_int_eq(poc_store_heartbeat(fx->rt->store, t, NULL), POC_OK);
	if (poc_page_check(fx->rt, t, TRUE, FALSE, &st, &err) != POC_OK)
		ck_abort_msg("watch: %s", err ? err->message : "?");
	level = st.level;
	if (out)
		*out = st;
	else
		poc_page_status_clear(&st);
	return level;
}

/* The pages received since the last call, parsed (JsonObject *, ref'd). */
static GPtrArray *
new_pages(fixture *fx)
{
	GPtrArray *pages = g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
	char *text = NULL;
	gsize len = 0;

	if (!g_file_get_contents(fx->log, &text, &len, NULL))
		return pages;
	if (len > fx->seen) {
		char **lines = g_strsplit(text + fx->seen, "\n", -1);

		for (char **l = lines; *l; l++) {
			JsonNode *n;

			if (!**l)
				continue;
			n = poc_json_parse(*l, -1, NULL);
			ck_assert_msg(n && JSON_NODE_HOLDS_OBJECT(n), "page is not a JSON object: %s", *l);
			g_ptr_array_add(pages, json_object_ref(json_node_get_object(n)));
			json_node_unref(n);
		}
		g_strfreev(lines);
	}
	fx->seen = len;
	g_free(text);
	return pages;
}

static const char *
str_member(JsonObject *o, const char *name)
{
	ck_assert_msg(json_object_has_member(o, name), "page lacks %s", name);
	return json_object_get_string_member_with_default(o, name, NULL);
}

/* Exactly one page arrived, for this reason and status; returns its count. */
static int
expect_one(fixture *fx, const char *reason, const char *status)
{
	GPtrArray *pages = new_pages(fx);
	JsonObject *o;
	int count;

	ck_assert_msg(pages->len == 1, "expected one %s %s page, got %u", reason, status,
		      pages->len);
	o = g_ptr_array_index(pages, 0);
	ck_assert_str_eq(str_member(o, "reason"), reason);
	ck_assert_str_eq(str_member(o, "status"), status);
	count = (int)json_object_get_int_member(o, "count");
	g_ptr_array_unref(pages);
	return count;
}

static void
expect_none(fixture *fx, const char *when)
{
	GPtrArray *pages = new_pages(fx);

	ck_assert_msg(pages->len == 0, "%s: unexpected page %s", when,
		      pages->len ? str_member(g_ptr_array_index(pages, 0), "reason") : "");
	g_ptr_array_unref(pages);
}

/* A notice from the coordinator that needs an acknowledgement, in state state. */
static poc_message *
mkmsg_ack(const char *id, const char *tracking, gint64 received, poc_ack_state state,
	  const poc_calendar *cal)
{
	poc_message *m = mkmsg(id, tracking, NULL, received);

	g_free(m->subject);
	m->subject = g_strdup("[JPCERT] SECRET-SUBJECT 製品Xの脆弱性");
	m->from_coordinator = TRUE;
	m->ack_required = TRUE;
	m->ack_state = state;
	m->ack_deadline = poc_calendar_ack_deadline(cal, received);
	return m;
}

static void
file_msg(fixture *fx, poc_message *m)
{
	GError *err = NULL;

	if (poc_store_file(fx->rt->store, 0, m, NULL, &err) != POC_OK)
		ck_abort_msg("file %s: %s", m->message_id, err ? err->message : "?");
}

static void
set_ack_state(fixture *fx, const char *message_id, poc_ack_state state, gint64 when)
{
	poc_message *m = NULL;

	ck_assert_int_eq(poc_store_get_message(fx->rt->store, message_id, &m, NULL), POC_OK);
	m->ack_state = state;
	if (state == POC_ACK_SENT)
		m->ack_sent_at = when;
	ck_assert_int_eq(poc_store_update_message(fx->rt->store, m, NULL, NULL), POC_OK);
	poc_message_free(m);
}

typedef struct event_count {
	int paged, resolved;
} event_count;

static int
count_event(const poc_event *ev, void *data)
{
	event_count *n = data;

	if (strcmp(ev->type, "paged") == 0) {
		if (g_str_has_suffix(ev->detail, " resolved"))
			n->resolved++;
		else
			n->paged++;
	}
	return 0;
}

static event_count
events_of(fixture *fx, const char *case_id)
{
	event_count n = { 0, 0 };

	ck_assert_int_eq(poc_store_foreach_event(fx->rt->store, case_id, count_event, &n, NULL),
			 POC_OK);
	return n;
}

/* --- the weekend timeline -------------------------------------------------- */

START_TEST(test_due_soon_counts_business_time)
{
	fixture *fx = fx_new();
	const char *mid = "<fri-2000@jpcert.example>";
	poc_message *m = mkmsg_ack(mid, "JPCERT#10000001", at("2026-10-16T20:00:00+09:00"),
			       POC_ACK_QUEUED, fx->rt->cal);
	poc_page_status st;
	event_count ev;

	ck_assert_int_eq(m->ack_deadline, at("2026-10-19T17:30:00+09:00"));
	ck_assert_int_eq(poc_calendar_business_before(fx->rt->cal, m->ack_deadline, 4 * 3600),
			 at("2026-10-19T13:30:00+09:00"));
	file_msg(fx, m);
	poc_message_free(m);

	/* Friday night, the weekend, Monday morning: 8.5 business hours left, no page. */
	ck_assert_int_eq(check_at(fx, at("2026-10-16T20:01:00+09:00"), &st), POC_PAGE_OK);
	ck_assert_int_eq(st.unacked, 1);
	ck_assert_int_eq(st.next_deadline, at("2026-10-19T17:30:00+09:00"));
	ck_assert_str_eq(st.line, "POCMILTER OK - 1 open case, next deadline 2026-10-19T17:30+09:00 | "
				  "open=1 overdue=0 held=0 unacked=1 due_soon=0 failed=0 spooled=0 "
				  "heartbeat_age=0s;;300");
	poc_page_status_clear(&st);
	expect_none(fx, "Friday 20:01");
	ck_assert_int_eq(check_at(fx, at("2026-10-17T12:00:00+09:00"), NULL), POC_PAGE_OK);
	ck_assert_int_eq(check_at(fx, at("2026-10-19T09:00:00+09:00"), NULL), POC_PAGE_OK);
	ck_assert_int_eq(check_at(fx, at("2026-10-19T13:29:00+09:00"), NULL), POC_PAGE_OK);
	expect_none(fx, "before Monday 13:30");

	/* Monday 13:30: four business hours left. */
	ck_assert_int_eq(check_at(fx, at("2026-10-19T13:30:00+09:00"), &st), POC_PAGE_WARNING);
	ck_assert_int_eq(st.due_soon, 1);
	ck_assert_int_eq(st.pages_sent, 1);
	ck_assert(g_str_has_prefix(st.line, "POCMILTER WARNING - ack-due-soon JPCERT#10000001; 1 open case"));
	poc_page_status_clear(&st);
	ck_assert_int_eq(expect_one(fx, "ack-due-soon", "firing"), 1);
	/* Not again before PageRepeat (1h), and again at it. */
	check_at(fx, at("2026-10-19T13:31:00+09:00"), NULL);
	check_at(fx, at("2026-10-19T14:29:00+09:00"), NULL);
	expect_none(fx, "within PageRepeat");
	check_at(fx, at("2026-10-19T14:30:00+09:00"), NULL);
	ck_assert_int_eq(expect_one(fx, "ack-due-soon", "firing"), 2);

	/* The deadline passes: overdue, CRITICAL; due-soon is superseded, not "resolved". */
	ck_assert_int_eq(check_at(fx, at("2026-10-19T17:31:00+09:00"), &st), POC_PAGE_CRITICAL);
	ck_assert_int_eq(st.overdue, 1);
	ck_assert_int_eq(st.due_soon, 0);
	poc_page_status_clear(&st);
	ck_assert_int_eq(expect_one(fx, "ack-overdue", "firing"), 1);
	/* Night is no quiet time for an overdue acknowledgement. */
	check_at(fx, at("2026-10-19T18:00:00+09:00"), NULL);
	expect_none(fx, "18:00");
	check_at(fx, at("2026-10-19T18:31:00+09:00"), NULL);
	ck_assert_int_eq(expect_one(fx, "ack-overdue", "firing"), 2);
	check_at(fx, at("2026-10-20T02:00:00+09:00"), NULL);
	ck_assert_int_eq(expect_one(fx, "ack-overdue", "firing"), 3);

	/* Sent at last: one resolved page, then quiet. */
	set_ack_state(fx, mid, POC_ACK_SENT, at("2026-10-20T02:10:00+09:00"));
	ck_assert_int_eq(check_at(fx, at("2026-10-20T02:11:00+09:00"), NULL), POC_PAGE_OK);
	ck_assert_int_eq(expect_one(fx, "ack-overdue", "resolved"), 3);
	check_at(fx, at("2026-10-20T02:12:00+09:00"), NULL);
	check_at(fx, at("2026-10-20T05:00:00+09:00"), NULL);
	expect_none(fx, "after resolved");

	ev = events_of(fx, "JPCERT#10000001");
	ck_assert_int_eq(ev.paged, 5);
	ck_assert_int_eq(ev.resolved, 1);
	ck_assert_ptr_null(poc_store_meta_get(fx->rt->store,
					      "page:ack-overdue:<fri-2000@jpcert.example>"));
	fx_free(fx);
}
END_TEST

START_TEST(test_acked_in_time_never_pages)
{
	fixture *fx = fx_new();
	const char *mid = "<mon-1000@jpcert.example>";
	poc_message *m = mkmsg_ack(mid, "JPCERT#10000002", at("2026-10-19T10:00:00+09:00"),
			       POC_ACK_QUEUED, fx->rt->cal);
	static const char *const steps[] = {
		"2026-10-19T10:01:00+09:00", "2026-10-19T10:06:00+09:00", "2026-10-20T13:31:00+09:00",
		"2026-10-20T17:31:00+09:00", "2026-10-21T03:00:00+09:00", "2026-10-26T12:00:00+09:00",
	};

	file_msg(fx, m);
	poc_message_free(m);
	check_at(fx, at(steps[0]), NULL);
	set_ack_state(fx, mid, POC_ACK_SENT, at("2026-10-19T10:05:00+09:00"));
	for (guint i = 1; i < G_N_ELEMENTS(steps); i++)
		ck_assert_int_eq(check_at(fx, at(steps[i]), NULL), POC_PAGE_OK);
	expect_none(fx, "acknowledged in time");
	ck_assert_int_eq(events_of(fx, "JPCERT#10000002").paged, 0);
	fx_free(fx);
}
END_TEST

/* --- each reason ------------------------------------------------------------ */

START_TEST(test_held_decrypt_signature)
{
	fixture *fx = fx_new();
	gint64 t = at("2026-10-19T10:00:00+09:00");
	poc_message *a = mkmsg_ack("<undecryptable@jpcert.example>", "JPCERT#10000003", t,
			       POC_ACK_HELD, fx->rt->cal);
	poc_message *b = mkmsg_ack("<unsigned@jpcert.example>", "JPCERT#10000004", t, POC_ACK_HELD,
			       fx->rt->cal);
	GPtrArray *pages;
	poc_page_status st;
	GHashTable *got = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	a->decryption = POC_DECRYPTION_FAILED;
	a->signature = POC_SIGNATURE_NONE;
	a->ack_note = g_strdup("could not be decrypted");
	b->signature = POC_SIGNATURE_NONE;
	b->ack_note = g_strdup("signature is not good");
	file_msg(fx, a);
	file_msg(fx, b);
	poc_message_free(a);
	poc_message_free(b);

	ck_assert_int_eq(check_at(fx, t + 60, &st), POC_PAGE_CRITICAL);
	ck_assert_int_eq(st.held, 2);
	ck_assert_int_eq(st.conditions->len, 4);
	poc_page_status_clear(&st);
	pages = new_pages(fx);
	ck_assert_int_eq(pages->len, 4);
	for (guint i = 0; i < pages->len; i++) {
		JsonObject *o = g_ptr_array_index(pages, i);

		g_hash_table_add(got, g_strdup_printf("%s %s %s", str_member(o, "reason"),
						      str_member(o, "case"), str_member(o, "level")));
	}
	ck_assert(g_hash_table_contains(got, "decrypt-failed JPCERT#10000003 CRITICAL"));
	ck_assert(g_hash_table_contains(got, "ack-held JPCERT#10000003 WARNING"));
	ck_assert(g_hash_table_contains(got, "signature-not-good JPCERT#10000004 WARNING"));
	ck_assert(g_hash_table_contains(got, "ack-held JPCERT#10000004 WARNING"));
	g_ptr_array_unref(pages);

	/* A person settles the unsigned one (pocctl ack --none): both its pages resolve. */
	set_ack_state(fx, "<unsigned@jpcert.example>", POC_ACK_NOT_REQUIRED, 0);
	ck_assert_int_eq(check_at(fx, t + 120, NULL), POC_PAGE_CRITICAL);
	pages = new_pages(fx);
	ck_assert_int_eq(pages->len, 2);
	for (guint i = 0; i < pages->len; i++) {
		JsonObject *o = g_ptr_array_index(pages, i);

		ck_assert_str_eq(str_member(o, "status"), "resolved");
		ck_assert_str_eq(str_member(o, "case"), "JPCERT#10000004");
	}
	g_ptr_array_unref(pages);
	g_hash_table_unref(got);
	fx_free(fx);
}
END_TEST

/* Issue 22: a good signature covering part, and an unsigned message's claimed date. */
START_TEST(test_covers_part_and_claimed_change)
{
	fixture *fx = fx_new();
	gint64 t = at("2026-10-19T10:00:00+09:00");
	poc_message *a = mkmsg_ack("<wrapped@jpcert.example>", "JPCERT#10000007", t, POC_ACK_HELD,
			       fx->rt->cal);
	poc_message *b = mkmsg_ack("<claim@elsewhere.example>", "JPCERT#10000008", t, POC_ACK_HELD,
			       fx->rt->cal);
	GPtrArray *pages;
	GHashTable *got = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	a->signature_covers = POC_COVERS_PART;
	a->ack_note = g_strdup("signature does not cover the whole message");
	b->signature = POC_SIGNATURE_NONE;
	b->signature_covers = POC_COVERS_NONE;
	b->from_coordinator = FALSE;
	b->publication_date = at("2026-12-02T09:00:00+09:00");
	b->ack_note = g_strdup("direct report");
	file_msg(fx, a);
	file_msg(fx, b);	/* the store records the date as a claim */
	ck_assert_int_gt(b->claimed_publication_date, 0);
	poc_message_free(a);
	poc_message_free(b);

	ck_assert_int_eq(check_at(fx, t + 60, NULL), POC_PAGE_WARNING);
	pages = new_pages(fx);
	for (guint i = 0; i < pages->len; i++) {
		JsonObject *o = g_ptr_array_index(pages, i);

		g_hash_table_add(got, g_strdup_printf("%s %s", str_member(o, "reason"),
						      str_member(o, "case")));
	}
	ck_assert(g_hash_table_contains(got, "signature-not-good JPCERT#10000007"));
	ck_assert(g_hash_table_contains(got, "ack-held JPCERT#10000007"));
	ck_assert(g_hash_table_contains(got, "claimed-change JPCERT#10000008"));
	ck_assert(g_hash_table_contains(got, "ack-held JPCERT#10000008"));
	ck_assert_int_eq(pages->len, 4);
	g_ptr_array_unref(pages);

	/* Accepted: its claimed-change page resolves. */
	ck_assert_int_eq(poc_store_accept_claim(fx->rt->store, "<claim@elsewhere.example>", "p",
						NULL, NULL), POC_OK);
	check_at(fx, t + 120, NULL);
	pages = new_pages(fx);
	ck_assert_int_eq(pages->len, 1);
	ck_assert_str_eq(str_member(g_ptr_array_index(pages, 0), "reason"), "claimed-change");
	ck_assert_str_eq(str_member(g_ptr_array_index(pages, 0), "status"), "resolved");
	g_ptr_array_unref(pages);
	g_hash_table_unref(got);
	fx_free(fx);
}
END_TEST

START_TEST(test_send_failed)
{
	fixture *fx = fx_new();
	gint64 t = at("2026-10-19T10:00:00+09:00");
	poc_message *a = mkmsg_ack("<compose-failed@jpcert.example>", "JPCERT#10000005", t,
			       POC_ACK_FAILED, fx->rt->cal);
	poc_message *b = mkmsg_ack("<mta-down@jpcert.example>", "JPCERT#10000006", t, POC_ACK_QUEUED,
			       fx->rt->cal);
	poc_outbox_entry *e = poc_outbox_entry_new();
	GError *err = NULL;
	poc_page_status st;

	file_msg(fx, a);
	e->message_id = g_strdup(b->message_id);
	e->ack_message_id = g_strdup("<ack-1@vendor.example>");
	e->recipient = g_strdup("vuls@jpcert.or.jp");
	e->payload = g_bytes_new_static("x", 1);
	e->next_attempt_at = t;
	if (poc_store_file(fx->rt->store, 0, b, e, &err) != POC_OK)
		ck_abort_msg("file: %s", err->message);
	e->attempts = 1;
	e->state = POC_OUTBOX_QUEUED;
	e->next_attempt_at = t + 120;
	e->last_error = g_strdup("sendmail exited with 75");
	ck_assert_int_eq(poc_store_outbox_update(fx->rt->store, e, NULL), POC_OK);

	ck_assert_int_eq(check_at(fx, t + 60, &st), POC_PAGE_CRITICAL);
	ck_assert_int_eq(st.failed, 2);
	poc_page_status_clear(&st);
	{
		GPtrArray *pages = new_pages(fx);

		ck_assert_int_eq(pages->len, 2);
		for (guint i = 0; i < pages->len; i++)
			ck_assert_str_eq(str_member(g_ptr_array_index(pages, i), "reason"),
					 "send-failed");
		g_ptr_array_unref(pages);
	}
	/* The retry goes through: that one resolves. */
	e->state = POC_OUTBOX_SENT;
	e->sent_at = t + 130;
	ck_assert_int_eq(poc_store_outbox_update(fx->rt->store, e, NULL), POC_OK);
	check_at(fx, t + 180, NULL);
	ck_assert_int_eq(expect_one(fx, "send-failed", "resolved"), 1);
	poc_outbox_entry_free(e);
	poc_message_free(a);
	poc_message_free(b);
	fx_free(fx);
}
END_TEST

START_TEST(test_filter_silent_and_spool_stuck)
{
	fixture *fx = fx_new();
	gint64 t = at("2026-10-17T03:00:00+09:00");	/* Saturday night: pages all the same */
	poc_spool_info info = { t, g_strdup("4QID"), g_strdup("vuls@jpcert.or.jp"),
				g_ptr_array_new_with_free_func(g_free), g_strdup("milter") };
	guint64 spool_id;
	poc_page_status st;
	GPtrArray *pages;
	JsonObject *o;

	fx->live_daemon = FALSE;
	ck_assert_int_eq(poc_store_heartbeat(fx->rt->store, t, NULL), POC_OK);
	ck_assert_int_eq(check_at(fx, t + 300, NULL), POC_PAGE_OK);	/* HeartbeatMax 5m: not older */
	ck_assert_int_eq(check_at(fx, t + 301, &st), POC_PAGE_CRITICAL);
	ck_assert(g_str_has_prefix(st.line, "POCMILTER CRITICAL - filter-silent daemon; 0 open cases"));
	poc_page_status_clear(&st);
	pages = new_pages(fx);
	ck_assert_int_eq(pages->len, 1);
	o = g_ptr_array_index(pages, 0);
	ck_assert_str_eq(str_member(o, "reason"), "filter-silent");
	ck_assert_str_eq(str_member(o, "level"), "CRITICAL");
	ck_assert(json_object_get_null_member(o, "case"));
	ck_assert(json_object_get_null_member(o, "business_time_left"));
	g_ptr_array_unref(pages);
	/* Nothing more within the hour, one repeat at it. */
	check_at(fx, t + 301 + 1800, NULL);
	expect_none(fx, "silent, 30 minutes on");
	check_at(fx, t + 301 + 3600, NULL);
	ck_assert_int_eq(expect_one(fx, "filter-silent", "firing"), 2);
	/* The daemon is back. */
	fx->live_daemon = TRUE;
	ck_assert_int_eq(check_at(fx, t + 4000, NULL), POC_PAGE_OK);
	ck_assert_int_eq(expect_one(fx, "filter-silent", "resolved"), 2);

	/* A message spooled and not processed within SpoolStuck (10m). */
	g_ptr_array_add(info.recipients, g_strdup("security@vendor.example"));
	info.received_at = t + 4000;
	ck_assert_int_eq(poc_store_spool_put(fx->rt->store, "raw", 3, &info, &spool_id, NULL), POC_OK);
	ck_assert_int_eq(check_at(fx, t + 4000 + 599, &st), POC_PAGE_OK);
	ck_assert_int_eq(st.spooled, 1);
	poc_page_status_clear(&st);
	ck_assert_int_eq(check_at(fx, t + 4000 + 600, &st), POC_PAGE_CRITICAL);
	ck_assert_int_eq(st.stuck, 1);
	poc_page_status_clear(&st);
	ck_assert_int_eq(expect_one(fx, "spool-stuck", "firing"), 1);
	/* Processed at last (filed, which removes the spool entry). */
	{
		poc_message *m = mkmsg_ack("<late@jpcert.example>", "JPCERT#10000007", t + 4000,
				       POC_ACK_SENT, fx->rt->cal);

		ck_assert_int_eq(poc_store_file(fx->rt->store, spool_id, m, NULL, NULL), POC_OK);
		poc_message_free(m);
	}
	check_at(fx, t + 4000 + 660, NULL);
	ck_assert_int_eq(expect_one(fx, "spool-stuck", "resolved"), 1);
	poc_spool_info_clear(&info);
	fx_free(fx);
}
END_TEST

/* --- what a page holds ---------------------------------------------------- */

START_TEST(test_page_json_fields)
{
	static const char *const fields[] = {
		"reason", "status", "level", "case", "tracking", "message_id", "deadline",
		"business_time_left", "business_time_left_text", "first_seen", "count", "at", "due",
	};
	fixture *fx = fx_new();
	poc_message *m = mkmsg_ack("<json@jpcert.example>", "JPCERT#10000008",
			       at("2026-10-16T20:00:00+09:00"), POC_ACK_QUEUED, fx->rt->cal);
	GPtrArray *pages;
	JsonObject *o;
	GList *members;
	char *text = NULL;

	file_msg(fx, m);
	poc_message_free(m);
	check_at(fx, at("2026-10-19T13:45:00+09:00"), NULL);
	pages = new_pages(fx);
	ck_assert_int_eq(pages->len, 1);
	o = g_ptr_array_index(pages, 0);
	members = json_object_get_members(o);
	ck_assert_int_eq(g_list_length(members), G_N_ELEMENTS(fields));
	g_list_free(members);
	for (guint i = 0; i < G_N_ELEMENTS(fields); i++)
		ck_assert_msg(json_object_has_member(o, fields[i]), "no %s", fields[i]);
	ck_assert_str_eq(str_member(o, "reason"), "ack-due-soon");
	ck_assert_str_eq(str_member(o, "case"), "JPCERT#10000008");
	ck_assert_str_eq(str_member(o, "tracking"), "JPCERT#10000008");
	ck_assert_str_eq(str_member(o, "message_id"), "<json@jpcert.example>");
	ck_assert_str_eq(str_member(o, "deadline"), "2026-10-19T17:30:00+09:00");
	ck_assert_int_eq(json_object_get_int_member(o, "business_time_left"), 3 * 3600 + 45 * 60);
	ck_assert_str_eq(str_member(o, "business_time_left_text"), "3h 45m");
	ck_assert_str_eq(str_member(o, "first_seen"), "2026-10-19T13:45:00+09:00");
	ck_assert_int_eq(json_object_get_int_member(o, "count"), 1);
	ck_assert(json_object_get_null_member(o, "due"));
	g_ptr_array_unref(pages);
	/* No subject text (nor anything of the notice) reached PageCommand. */
	ck_assert(g_file_get_contents(fx->log, &text, NULL, NULL));
	ck_assert_ptr_null(strstr(text, "SECRET"));
	ck_assert_ptr_null(strstr(text, "脆弱性"));
	g_free(text);
	fx_free(fx);
}
END_TEST

/* --- delivery failures -------------------------------------------------------- */

START_TEST(test_failed_and_hung_command_retried)
{
	fixture *fx = fx_new();
	gint64 t = at("2026-10-19T18:00:00+09:00");
	poc_message *m = mkmsg_ack("<retry@jpcert.example>", "JPCERT#10000009",
			       at("2026-10-16T12:00:00+09:00"), POC_ACK_QUEUED, fx->rt->cal);
	char *fail = g_build_filename(fx->dir, "fail", NULL);
	char *hang = g_build_filename(fx->dir, "hang", NULL);
	poc_page_status st;
	gint64 started;

	file_msg(fx, m);
	poc_message_free(m);
	ck_assert(g_file_set_contents(fail, "", 0, NULL));
	check_at(fx, t, &st);
	ck_assert_int_eq(st.pages_failed, 1);
	ck_assert_int_eq(st.pages_sent, 0);
	poc_page_status_clear(&st);
	expect_none(fx, "PageCommand failing");
	ck_assert_int_eq(events_of(fx, "JPCERT#10000009").paged, 0);

	/* Hung: killed after PageTimeout, retried next round. */
	g_unlink(fail);
	ck_assert(g_file_set_contents(hang, "", 0, NULL));
	fx->rt->cfg->page_timeout = 1;
	started = g_get_monotonic_time();
	check_at(fx, t + 60, &st);
	ck_assert_msg(g_get_monotonic_time() - started < 10 * G_USEC_PER_SEC, "not killed in time");
	ck_assert_int_eq(st.pages_failed, 1);
	poc_page_status_clear(&st);
	expect_none(fx, "PageCommand hanging");

	/* Working again: the page goes out on the next round, as the first. */
	g_unlink(hang);
	check_at(fx, t + 120, &st);
	ck_assert_int_eq(st.pages_sent, 1);
	poc_page_status_clear(&st);
	ck_assert_int_eq(expect_one(fx, "ack-overdue", "firing"), 1);
	ck_assert_int_eq(events_of(fx, "JPCERT#10000009").paged, 1);
	g_free(fail);
	g_free(hang);
	fx_free(fx);
}
END_TEST

/* --- two checkers, one page ----------------------------------------------- */

/*
 * A checker in a fresh process (exec'd, not only forked: GSubprocess needs
 * GLib's worker thread, which a fork of a threaded process does not have).
 */
static int
race_child(const char *dir, const char *when, const char *daemon)
{
	poc_runtime rt = { 0 };
	poc_page_status st;
	char *db = g_build_filename(dir, "db", NULL);
	int rc;

	rt.cfg = poc_config_new();
	rt.cfg->page_command = g_strdup_printf("'%s/page.sh'", dir);
	rt.cal = poc_calendar_new();
	if (poc_store_open(db, 0, &rt.store, NULL) != POC_OK)
		return 10;
	rc = poc_page_check(&rt, g_ascii_strtoll(when, NULL, 10), TRUE, strcmp(daemon, "1") == 0,
			    &st, NULL);
	poc_page_status_clear(&st);
	poc_store_close(rt.store);
	poc_calendar_free(rt.cal);
	poc_config_free(rt.cfg);
	g_free(db);
	return rc == POC_OK ? 0 : 11;
}

START_TEST(test_no_double_page)
{
	fixture *fx = fx_new();
	poc_message *m = mkmsg_ack("<race@jpcert.example>", "JPCERT#10000010",
			       at("2026-10-16T12:00:00+09:00"), POC_ACK_HELD, fx->rt->cal);
	gint64 t = at("2026-10-19T18:00:00+09:00");
	char when[32];
	GPid kids[4];
	GPtrArray *pages;
	GError *err = NULL;

	file_msg(fx, m);
	poc_message_free(m);
	ck_assert_int_eq(poc_store_heartbeat(fx->rt->store, t, NULL), POC_OK);
	g_snprintf(when, sizeof(when), "%" G_GINT64_FORMAT, t);
	for (guint i = 0; i < G_N_ELEMENTS(kids); i++) {
		const char *argv[] = { "/proc/self/exe", "--race-child", fx->dir, when,
				       i == 0 ? "1" : "0", NULL };

		if (!g_spawn_async(NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
				   &kids[i], &err))
			ck_abort_msg("spawn: %s", err->message);
	}
	for (guint i = 0; i < G_N_ELEMENTS(kids); i++) {
		int ws;

		ck_assert_int_eq(waitpid(kids[i], &ws, 0), kids[i]);
		ck_assert_msg(WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "checker %u: status %d", i, ws);
	}
	pages = new_pages(fx);
	ck_assert_int_eq(pages->len, 2);	/* ack-held and ack-overdue, once each */
	g_ptr_array_unref(pages);
	ck_assert_int_eq(events_of(fx, "JPCERT#10000010").paged, 2);
	fx_free(fx);
}
END_TEST

/* --- status without pages ------------------------------------------------- */

START_TEST(test_status_read_only)
{
	fixture *fx = fx_new();
	poc_page_status st;
	GError *err = NULL;
	gint64 t = at("2026-10-19T18:00:00+09:00");
	poc_store *keep;
	char *state;

	ck_assert_int_eq(poc_store_heartbeat(fx->rt->store, t, NULL), POC_OK);
	ck_assert_int_eq(poc_page_check(fx->rt, t + 10, FALSE, FALSE, &st, NULL), POC_OK);
	ck_assert_int_eq(st.level, POC_PAGE_OK);
	ck_assert_str_eq(st.line, "POCMILTER OK - 0 open cases | open=0 overdue=0 held=0 unacked=0 "
				  "due_soon=0 failed=0 spooled=0 heartbeat_age=10s;;300");
	poc_page_status_clear(&st);
	/* Without send_pages nothing is written or sent. */
	ck_assert_int_eq(poc_page_check(fx->rt, t + 400, FALSE, FALSE, &st, NULL), POC_OK);
	ck_assert_int_eq(st.level, POC_PAGE_CRITICAL);
	ck_assert_int_eq(st.conditions->len, 1);
	ck_assert_str_eq(g_ptr_array_index(st.conditions, 0),
			 "CRITICAL filter-silent (no heartbeat for 400s)");
	poc_page_status_clear(&st);
	state = poc_store_meta_get(fx->rt->store, "page:filter-silent:daemon");
	ck_assert_ptr_null(state);
	expect_none(fx, "read-only check");
	/* No database: UNKNOWN. */
	keep = fx->rt->store;
	fx->rt->store = NULL;
	ck_assert_int_ne(poc_page_check(fx->rt, t, FALSE, FALSE, &st, &err), POC_OK);
	ck_assert_int_eq(st.level, POC_PAGE_UNKNOWN);
	ck_assert(g_str_has_prefix(st.line, "POCMILTER UNKNOWN - "));
	poc_page_status_clear(&st);
	g_clear_error(&err);
	fx->rt->store = keep;
	fx_free(fx);
}
END_TEST


/* --- publication reminders page once per due time ------------------------- */

START_TEST(test_publication_reminders)
{
	fixture *fx = fx_new();
	poc_message *m = mkmsg_ack("<pub-1@jpcert.or.jp>", "JPCERT#77700001",
			       at("2026-12-01T10:00:00+09:00"), POC_ACK_QUEUED, fx->rt->cal);

	m->kind = POC_KIND_PUBLICATION;
	m->publication_date = at("2026-12-15T00:00:00+09:00");
	file_msg(fx, m);
	poc_message_free(m);
	set_ack_state(fx, "<pub-1@jpcert.or.jp>", POC_ACK_SENT, at("2026-12-01T10:00:05+09:00"));

	check_at(fx, at("2026-12-09T12:00:00+09:00"), NULL);
	expect_none(fx, "a week before publication");
	/* StatementBefore 3d: three business days before Tue 12-15 is Thu 12-10. */
	check_at(fx, at("2026-12-10T09:30:00+09:00"), NULL);
	expect_one(fx, "statement-due", "firing");
	check_at(fx, at("2026-12-10T16:00:00+09:00"), NULL);
	expect_none(fx, "the same reminder later that day (no repeat)");
	/* Again the business day before: Mon 12-14. */
	check_at(fx, at("2026-12-14T09:10:00+09:00"), NULL);
	expect_one(fx, "statement-due", "firing");
	/* On the day: publication-today (the statement is still missing). */
	check_at(fx, at("2026-12-15T09:05:00+09:00"), NULL);
	{
		GPtrArray *pages = new_pages(fx);
		gboolean today = FALSE;

		for (guint i = 0; i < pages->len; i++)
			today |= strcmp(str_member(g_ptr_array_index(pages, i), "reason"),
					"publication-today") == 0;
		ck_assert_msg(today, "no publication-today page on the publication date");
		g_ptr_array_unref(pages);
	}
	check_at(fx, at("2026-12-15T13:00:00+09:00"), NULL);
	expect_none(fx, "publication day afternoon (no repeat)");
	fx_free(fx);
}
END_TEST

/* --- the timelines of doc/PAGING.md ---------------------------------------------- */

typedef struct tl_action {
	const char *at;		/* before the check of this minute */
	const char *message_id;
	poc_ack_state state;
} tl_action;

/*
 * The daemon's schedule: one check a minute from..to (Japan time). Each
 * page becomes a line "MM-DDTHH:MM reason status level" (+ " (N)" for a
 * morning summary of N conditions).
 */
static char *
walk(fixture *fx, const char *from, const char *to, const tl_action *acts, guint n)
{
	GString *got = g_string_new(NULL);

	for (gint64 t = at(from); t <= at(to); t += 60) {
		GPtrArray *pages;

		for (guint i = 0; i < n; i++)
			if (at(acts[i].at) == t)
				set_ack_state(fx, acts[i].message_id, acts[i].state, t);
		check_at(fx, t, NULL);
		pages = new_pages(fx);
		for (guint i = 0; i < pages->len; i++) {
			JsonObject *o = g_ptr_array_index(pages, i);
			const char *reason = str_member(o, "reason");

			g_string_append_printf(got, "%.11s %s %s %s", str_member(o, "at") + 5, reason,
					       str_member(o, "status"), str_member(o, "level"));
			if (strcmp(reason, "morning-summary") == 0)
				g_string_append_printf(got, " (%u)",
						       json_array_get_length(json_object_get_array_member(
							       o, "waiting")));
			g_string_append_c(got, '\n');
		}
		g_ptr_array_unref(pages);
	}
	return g_string_free(got, FALSE);
}

static char *
joined(const char *const *lines, guint n)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < n; i++)
		g_string_append_printf(s, "%s\n", lines[i]);
	return g_string_free(s, FALSE);
}

/* A check a minute for days: a database in memory spares the disk thousands of syncs. */
#define TIMELINE_DIR "/dev/shm"

/* Timelines are the same whatever the host's zone: all is Japan time. */
static const char *const zones[] = { "UTC", "America/Los_Angeles" };

/*
 * doc/PAGING.md "A weekend": AckMode hold, a good notice filed Friday
 * 2026-10-16 18:30, deadline Monday 17:30; AckGuard (2h) sends the default
 * template at Monday 15:31. One page on Friday night, one summary on
 * Monday morning, then hourly within business hours.
 */
START_TEST(test_timeline_weekend)
{
	static const char *const want[] = {
		"10-16T18:31 ack-held firing WARNING",
		"10-19T09:00 morning-summary firing WARNING (1)",
		"10-19T10:00 ack-held firing WARNING",
		"10-19T11:00 ack-held firing WARNING",
		"10-19T12:00 ack-held firing WARNING",
		"10-19T13:00 ack-held firing WARNING",
		"10-19T13:30 ack-due-soon firing WARNING",
		"10-19T14:00 ack-held firing WARNING",
		"10-19T14:30 ack-due-soon firing WARNING",
		"10-19T15:00 ack-held firing WARNING",
		"10-19T15:30 ack-due-soon firing WARNING",
		"10-19T15:31 ack-due-soon resolved OK",
		"10-19T15:31 ack-held resolved OK",
	};
	const char *mid = "<held-fri-1830@jpcert.example>";
	const tl_action acts[] = { { "2026-10-19T15:31:00+09:00", mid, POC_ACK_SENT } };
	char *expect = joined(want, G_N_ELEMENTS(want));

	for (guint z = 0; z < G_N_ELEMENTS(zones); z++) {
		fixture *fx = fx_new_in(TIMELINE_DIR);
		poc_message *m;
		char *got;

		g_setenv("TZ", zones[z], TRUE);
		tzset();
		m = mkmsg_ack(mid, "JPCERT#20000001", at("2026-10-16T18:30:00+09:00"), POC_ACK_HELD,
			  fx->rt->cal);
		m->ack_note = g_strdup("AckMode hold");
		ck_assert_int_eq(m->ack_deadline, at("2026-10-19T17:30:00+09:00"));
		file_msg(fx, m);
		poc_message_free(m);
		got = walk(fx, "2026-10-16T18:31:00+09:00", "2026-10-19T18:00:00+09:00", acts,
			   G_N_ELEMENTS(acts));
		ck_assert_msg(strcmp(got, expect) == 0, "TZ=%s: weekend timeline:\n%s\nwanted:\n%s",
			      zones[z], got, expect);
		g_free(got);
		fx_free(fx);
	}
	g_free(expect);
	g_unsetenv("TZ");
	tzset();
}
END_TEST

/*
 * doc/PAGING.md "A holiday": Golden Week 2026 (05-03..05-06, 05-06 a
 * 振替休日). An unsigned notice from the coordinator, Saturday 05-02
 * 11:00, stays held for a person (AckGuard does not answer it); deadline
 * Thursday 05-07 17:30. Escalation at 16:30, overdue at 17:30 and hourly
 * through the night; a person sends the acknowledgement Friday 09:10.
 */
START_TEST(test_timeline_holiday)
{
	static const char *const want[] = {
		"05-02T11:01 ack-held firing WARNING",
		"05-02T11:01 signature-not-good firing WARNING",
		"05-07T09:00 morning-summary firing WARNING (2)",
		"05-07T10:00 ack-held firing WARNING",
		"05-07T10:00 signature-not-good firing WARNING",
		"05-07T11:00 ack-held firing WARNING",
		"05-07T11:00 signature-not-good firing WARNING",
		"05-07T12:00 ack-held firing WARNING",
		"05-07T12:00 signature-not-good firing WARNING",
		"05-07T13:00 ack-held firing WARNING",
		"05-07T13:00 signature-not-good firing WARNING",
		"05-07T13:30 ack-due-soon firing WARNING",
		"05-07T14:00 ack-held firing WARNING",
		"05-07T14:00 signature-not-good firing WARNING",
		"05-07T14:30 ack-due-soon firing WARNING",
		"05-07T15:00 ack-held firing WARNING",
		"05-07T15:00 signature-not-good firing WARNING",
		"05-07T15:30 ack-due-soon firing WARNING",
		"05-07T16:00 ack-held firing WARNING",
		"05-07T16:00 signature-not-good firing WARNING",
		"05-07T16:30 ack-due-soon firing CRITICAL",
		"05-07T17:00 ack-held firing WARNING",
		"05-07T17:00 signature-not-good firing WARNING",
		"05-07T17:30 ack-overdue firing CRITICAL",
		"05-07T18:30 ack-overdue firing CRITICAL",
		"05-07T19:30 ack-overdue firing CRITICAL",
		"05-07T20:30 ack-overdue firing CRITICAL",
		"05-07T21:30 ack-overdue firing CRITICAL",
		"05-07T22:30 ack-overdue firing CRITICAL",
		"05-07T23:30 ack-overdue firing CRITICAL",
		"05-08T00:30 ack-overdue firing CRITICAL",
		"05-08T01:30 ack-overdue firing CRITICAL",
		"05-08T02:30 ack-overdue firing CRITICAL",
		"05-08T03:30 ack-overdue firing CRITICAL",
		"05-08T04:30 ack-overdue firing CRITICAL",
		"05-08T05:30 ack-overdue firing CRITICAL",
		"05-08T06:30 ack-overdue firing CRITICAL",
		"05-08T07:30 ack-overdue firing CRITICAL",
		"05-08T08:30 ack-overdue firing CRITICAL",
		"05-08T09:00 morning-summary firing WARNING (2)",
		"05-08T09:10 ack-held resolved OK",
		"05-08T09:10 ack-overdue resolved OK",
		"05-08T09:10 signature-not-good resolved OK",
	};
	const char *mid = "<unsigned-gw@jpcert.example>";
	const tl_action acts[] = { { "2026-05-08T09:10:00+09:00", mid, POC_ACK_SENT } };
	char *expect = joined(want, G_N_ELEMENTS(want));

	for (guint z = 0; z < G_N_ELEMENTS(zones); z++) {
		fixture *fx = fx_new_in(TIMELINE_DIR);
		poc_message *m;
		char *got;

		g_setenv("TZ", zones[z], TRUE);
		tzset();
		m = mkmsg_ack(mid, "JPCERT#20000002", at("2026-05-02T11:00:00+09:00"), POC_ACK_HELD,
			  fx->rt->cal);
		m->signature = POC_SIGNATURE_NONE;
		m->ack_note = g_strdup("signature is not good");
		ck_assert_int_eq(m->ack_deadline, at("2026-05-07T17:30:00+09:00"));
		file_msg(fx, m);
		poc_message_free(m);
		got = walk(fx, "2026-05-02T11:01:00+09:00", "2026-05-08T10:30:00+09:00", acts,
			   G_N_ELEMENTS(acts));
		ck_assert_msg(strcmp(got, expect) == 0, "TZ=%s: holiday timeline:\n%s\nwanted:\n%s",
			      zones[z], got, expect);
		g_free(got);
		fx_free(fx);
	}
	g_free(expect);
	g_unsetenv("TZ");
	tzset();
}
END_TEST

/*
 * A clock that ran ten days ahead and was corrected: the pages sent "in the
 * future" do not silence the repeats, and a heartbeat in the future is not
 * fresh.
 */
START_TEST(test_clock_stepped_back)
{
	fixture *fx = fx_new();
	const char *mid = "<overdue-step@jpcert.example>";
	gint64 t = at("2026-10-20T10:00:00+09:00");
	poc_message *m = mkmsg_ack(mid, "JPCERT#20000003", at("2026-10-16T10:00:00+09:00"),
			       POC_ACK_QUEUED, fx->rt->cal);
	poc_page_status st;

	file_msg(fx, m);
	poc_message_free(m);
	check_at(fx, t + 10 * 86400, NULL);
	ck_assert_int_eq(expect_one(fx, "ack-overdue", "firing"), 1);
	/* Back to the right time: the daemon writes a heartbeat now, and pages at once. */
	check_at(fx, t, NULL);
	ck_assert_int_eq(expect_one(fx, "ack-overdue", "firing"), 2);
	check_at(fx, t + 1800, NULL);
	expect_none(fx, "half an hour after the step");
	check_at(fx, t + 3600, NULL);
	ck_assert_int_eq(expect_one(fx, "ack-overdue", "firing"), 3);

	/* No daemon since the step: its heartbeat is ten days ahead. */
	fx->live_daemon = FALSE;
	ck_assert_int_eq(poc_store_heartbeat(fx->rt->store, t + 10 * 86400, NULL), POC_OK);
	ck_assert_int_eq(check_at(fx, t + 3660, &st), POC_PAGE_CRITICAL);
	{
		gboolean said = FALSE;

		for (guint i = 0; i < st.conditions->len; i++)
			said |= strstr(g_ptr_array_index(st.conditions, i),
				       "filter-silent (heartbeat 860340s in the future: clock stepped back?)") != NULL;
		ck_assert_msg(said, "a future heartbeat was counted fresh: %s", st.line);
	}
	poc_page_status_clear(&st);
	ck_assert_int_eq(expect_one(fx, "filter-silent", "firing"), 1);
	fx_free(fx);
}
END_TEST

/* A reminder's date is "due"; "deadline" is only ever the acknowledgement's. */
START_TEST(test_reminder_payload)
{
	fixture *fx = fx_new();
	poc_message *m = mkmsg_ack("<pub-2@jpcert.or.jp>", "JPCERT#77700002",
			       at("2026-12-01T10:00:00+09:00"), POC_ACK_QUEUED, fx->rt->cal);
	GPtrArray *pages;
	JsonObject *o;

	m->kind = POC_KIND_PUBLICATION;
	m->publication_date = at("2026-12-15T00:00:00+09:00");
	file_msg(fx, m);
	poc_message_free(m);
	set_ack_state(fx, "<pub-2@jpcert.or.jp>", POC_ACK_SENT, at("2026-12-01T10:00:05+09:00"));
	check_at(fx, at("2026-12-15T09:00:00+09:00"), NULL);
	pages = new_pages(fx);
	ck_assert_uint_ge(pages->len, 1);
	o = g_ptr_array_index(pages, pages->len - 1);
	ck_assert_str_eq(str_member(o, "reason"), "publication-today");
	ck_assert_str_eq(str_member(o, "level"), "WARNING");
	ck_assert(json_object_get_null_member(o, "deadline"));
	ck_assert(json_object_get_null_member(o, "message_id"));
	ck_assert(json_object_get_null_member(o, "business_time_left"));
	ck_assert_str_eq(str_member(o, "due"), "2026-12-15T00:00:00+09:00");
	ck_assert_str_eq(str_member(o, "case"), "JPCERT#77700002");
	g_ptr_array_unref(pages);
	fx_free(fx);
}
END_TEST

static Suite *
page_suite(void)
{
	Suite *s = suite_create("page");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_due_soon_counts_business_time);
	tcase_add_test(tc, test_acked_in_time_never_pages);
	tcase_add_test(tc, test_held_decrypt_signature);
	tcase_add_test(tc, test_covers_part_and_claimed_change);
	tcase_add_test(tc, test_send_failed);
	tcase_add_test(tc, test_filter_silent_and_spool_stuck);
	tcase_add_test(tc, test_page_json_fields);
	tcase_add_test(tc, test_failed_and_hung_command_retried);
	tcase_add_test(tc, test_no_double_page);
	tcase_add_test(tc, test_status_read_only);
	tcase_add_test(tc, test_publication_reminders);
	tcase_add_test(tc, test_timeline_weekend);
	tcase_add_test(tc, test_timeline_holiday);
	tcase_add_test(tc, test_clock_stepped_back);
	tcase_add_test(tc, test_reminder_payload);
	suite_add_tcase(s, tc);
	return s;
}

int
main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc == 5 && strcmp(argv[1], "--race-child") == 0)
		return race_child(argv[2], argv[3], argv[4]);
	return run_suite(page_suite(), CK_FORK_GETENV);
}
