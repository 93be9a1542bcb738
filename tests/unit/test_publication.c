/*
 * NAME
 *	test_publication - unit tests of the publication timeline: case
 *	fields and their codecs, filing date changes, statements in the
 *	outbox, case states, the reminders at fake times, the statement
 *	text and the iCalendar writer
 * SYNOPSIS
 *	tests/unit/test_publication	(srcdir in the environment, as make check sets it)
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ics.h"
#include "publication.h"
#include "statement.h"
#include "store.h"
#include "testutil.h"

#define T0 1795660200	/* 2026-11-26T11:30:00+09:00, a Thursday */

static gint64
at(const char *rfc3339)
{
	gint64 t = poc_time_parse(rfc3339);

	ck_assert_msg(t > 0, "bad time %s", rfc3339);
	return t;
}

/* A notice of the case JPCERT#12345678 from the coordinator, signed by it. */
static poc_message *
mkmsg_pub(const char *id, poc_kind kind, gint64 received, gint64 publication)
{
	poc_message *m = mkmsg(id, "JPCERT#12345678", "JVNVU#99999999 CVE-2026-12345", received);

	m->kind = kind;
	m->from_coordinator = TRUE;
	m->signer = g_strdup("0123456789ABCDEF0123456789ABCDEF01234567");
	m->publication_date = publication;
	return m;
}

/* --- records ---------------------------------------------------------------- */

START_TEST(test_case_fields_round_trip)
{
	poc_case *c = poc_case_new(), *back;
	poc_pub_change *pc = poc_pub_change_new();
	GString *buf = g_string_new(NULL);

	c->id = g_strdup("JPCERT#12345678");
	c->state = g_strdup("investigating");
	c->opened_at = T0;
	c->target_date = T0 + 45 * 86400;
	c->publication_date = at("2026-12-15T00:00:00+09:00");
	pc->at = T0 + 3600;
	pc->to = c->publication_date;
	pc->message_id = g_strdup("<p\"1@jpcert>");
	g_ptr_array_add(c->publication_history, pc);
	c->statement_state = POC_STATEMENT_SENT;
	c->statement_status = g_strdup("affected");
	c->statement_sent_at = T0 + 7200;

	/* the codec */
	poc_case_encode(c, NULL, POC_ENCODE_VERSION, buf);
	ck_assert_ptr_nonnull(strstr(buf->str, "\"publication_history\":[{\"at\":\"2026-11-26T12:30:00+09:00\","
					       "\"from\":null,\"to\":\"2026-12-15T00:00:00+09:00\""));
	ck_assert_ptr_nonnull(strstr(buf->str, "\"statement_state\":\"sent\""));
	ck_assert_ptr_nonnull(strstr(buf->str, "\"target_date\":\"2027-01-10T11:30:00+09:00\""));
	back = poc_case_decode(buf->str, buf->len, NULL, NULL);
	ck_assert_ptr_nonnull(back);
	ck_assert_int_eq(back->publication_history->len, 1);
	pc = g_ptr_array_index(back->publication_history, 0);
	ck_assert_int_eq(pc->from, 0);
	ck_assert_int_eq(pc->to, c->publication_date);
	ck_assert_str_eq(pc->message_id, "<p\"1@jpcert>");
	ck_assert_int_eq(back->statement_state, POC_STATEMENT_SENT);
	ck_assert_str_eq(back->statement_status, "affected");
	ck_assert_int_eq(back->statement_sent_at, T0 + 7200);
	ck_assert_int_eq(back->target_date, T0 + 45 * 86400);
	poc_case_free(back);

	ck_assert_ptr_nonnull(strstr(buf->str, "\"statement_sent_at\":\"2026-11-26T13:30:00+09:00\""));

	/* a truncated history is an error, not a crash */
	{
		char *cut = strstr(buf->str, "\"message_id\":\"<p");
		GError *err = NULL;

		ck_assert_ptr_nonnull(cut);
		ck_assert_ptr_null(poc_case_decode(buf->str, (size_t)(cut - buf->str) + 5, NULL, &err));
		ck_assert_ptr_nonnull(err);
		g_error_free(err);
	}
	g_string_free(buf, TRUE);
	poc_case_free(c);
}
END_TEST

START_TEST(test_old_case_record)
{
	/* written before these fields existed: derived or absent, never an error */
	static const char old[] = "{\"v\":1,\"id\":\"JPCERT#1\",\"tracking\":\"JPCERT#1\","
				  "\"state\":\"open\",\"opened_at\":\"2026-11-26T11:30:00+09:00\","
				  "\"message_ids\":[],\"notes\":[]}";
	poc_case *c = poc_case_decode(old, strlen(old), NULL, NULL);

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->target_date, T0 + 45 * 86400);
	ck_assert_int_eq(c->statement_state, POC_STATEMENT_NONE);
	ck_assert_int_eq(c->publication_history->len, 0);
	ck_assert_int_eq(poc_case_target(c), T0 + 45 * 86400);
	poc_case_free(c);
	ck_assert(poc_case_state_valid("investigating"));
	ck_assert(poc_case_state_valid("statement-sent"));
	ck_assert(!poc_case_state_valid("Investigating"));
	ck_assert(!poc_case_state_valid(NULL));
	ck_assert_int_eq(poc_outbox_kind_parse("statement"), POC_OUTBOX_STATEMENT);
}
END_TEST

/* --- store ------------------------------------------------------------------ */

typedef struct events {
	GPtrArray *lines;
} events;

static int
collect(const poc_event *ev, void *data)
{
	g_ptr_array_add(((events *)data)->lines,
			g_strdup_printf("%s|%s|%s", ev->type, ev->actor ? ev->actor : "",
					ev->detail ? ev->detail : ""));
	return 0;
}

static int
count_type(GPtrArray *lines, const char *prefix)
{
	int n = 0;

	for (guint i = 0; i < lines->len; i++)
		if (g_str_has_prefix(g_ptr_array_index(lines, i), prefix))
			n++;
	return n;
}

START_TEST(test_filing_timeline)
{
	char *dir = tmpdir();
	poc_store *s = NULL;
	poc_case *c = NULL;
	poc_message *m;
	events ev = { g_ptr_array_new_with_free_func(g_free) };
	gint64 d1 = at("2026-12-15T00:00:00+09:00"), d2 = at("2026-12-22T11:00:00+09:00");
	poc_outbox_entry *e;
	poc_message *first;
	GError *err = NULL;

	ck_assert_int_eq(poc_store_open(dir, 0, &s, NULL), 0);
	m = mkmsg_pub("<s1@jpcert>", POC_KIND_SUMMARY, T0, 0);
	ck_assert_int_eq(poc_store_file(s, 0, m, NULL, NULL), 0);
	poc_message_free(m);
	m = mkmsg_pub("<p1@jpcert>", POC_KIND_PUBLICATION, T0 + 86400 * 10, d1);
	ck_assert_int_eq(poc_store_file(s, 0, m, NULL, NULL), 0);
	poc_message_free(m);
	m = mkmsg_pub("<p2@jpcert>", POC_KIND_SCHEDULE, T0 + 86400 * 12, d2);
	ck_assert_int_eq(poc_store_file(s, 0, m, NULL, NULL), 0);
	poc_message_free(m);
	/* the same date again is no change */
	m = mkmsg_pub("<p3@jpcert>", POC_KIND_SCHEDULE, T0 + 86400 * 13, d2);
	ck_assert_int_eq(poc_store_file(s, 0, m, NULL, NULL), 0);
	poc_message_free(m);

	ck_assert_int_eq(poc_store_get_case(s, "JPCERT#12345678", &c, NULL), 0);
	ck_assert_str_eq(c->state, "open");
	ck_assert_int_eq(c->opened_at, T0);
	ck_assert_int_eq(c->target_date, T0 + 45 * 86400);
	ck_assert_int_eq(c->publication_date, d2);
	ck_assert_int_eq(c->publication_history->len, 2);
	{
		poc_pub_change *a = g_ptr_array_index(c->publication_history, 0);
		poc_pub_change *b = g_ptr_array_index(c->publication_history, 1);

		ck_assert_int_eq(a->from, 0);
		ck_assert_int_eq(a->to, d1);
		ck_assert_str_eq(a->message_id, "<p1@jpcert>");
		ck_assert_int_eq(b->from, d1);
		ck_assert_int_eq(b->to, d2);
		ck_assert_str_eq(b->message_id, "<p2@jpcert>");
	}
	ck_assert_int_eq(c->statement_state, POC_STATEMENT_REQUESTED);
	ck_assert_int_eq(poc_store_foreach_event(s, c->id, collect, &ev, NULL), 0);
	ck_assert_int_eq(count_type(ev.lines, "publication-date|pocmilter|none -> 2026-12-15T00:00:00+09:00"), 1);
	ck_assert_int_eq(count_type(ev.lines, "publication-date|pocmilter|2026-12-15T00:00:00+09:00 -> "
					      "2026-12-22T11:00:00+09:00"), 1);
	ck_assert_int_eq(count_type(ev.lines, "publication-date|"), 2);
	ck_assert_int_eq(count_type(ev.lines, "statement-requested|"), 1);

	/* people set states: validated, each change an event with its actor */
	ck_assert_int_eq(poc_store_set_state(s, c->id, "investigating", "pocctl:0(root)", NULL), 0);
	ck_assert_int_eq(poc_store_set_state(s, c->id, "investigating", "pocctl:0(root)", NULL), 0);
	ck_assert_int_eq(poc_store_set_state(s, c->id, "bogus", "x", &err), POC_ERR_INVAL);
	g_clear_error(&err);
	ck_assert_int_eq(poc_store_set_state(s, "JPCERT#0", "fixing", "x", &err), POC_ERR_NOTFOUND);
	g_clear_error(&err);

	/* a statement through the outbox: the case follows, no message's ack_state */
	ck_assert_int_eq(poc_store_get_message(s, "<p1@jpcert>", &first, NULL), 0);
	e = poc_outbox_entry_new();
	e->case_id = g_strdup(c->id);
	e->message_id = g_strdup("<p1@jpcert>");
	e->ack_message_id = g_strdup("<st.1@vendor.example>");
	e->recipient = g_strdup("vuls@jpcert.or.jp");
	e->template_name = g_strdup("statement");
	e->payload = g_bytes_new_static("x", 1);
	e->next_attempt_at = T0;
	ck_assert_int_eq(poc_store_statement_add(s, e, "affected", "pocctl:0(root)", NULL), 0);
	ck_assert_int_gt(e->id, 0);
	ck_assert_int_eq(e->kind, POC_OUTBOX_STATEMENT);
	poc_case_free(c);
	ck_assert_int_eq(poc_store_get_case(s, "JPCERT#12345678", &c, NULL), 0);
	ck_assert_int_eq(c->statement_state, POC_STATEMENT_QUEUED);
	ck_assert_str_eq(c->statement_status, "affected");
	e->state = POC_OUTBOX_SENT;
	e->sent_at = T0 + 86400 * 14;
	ck_assert_int_eq(poc_store_outbox_update(s, e, NULL), 0);
	poc_case_free(c);
	ck_assert_int_eq(poc_store_get_case(s, "JPCERT#12345678", &c, NULL), 0);
	ck_assert_int_eq(c->statement_state, POC_STATEMENT_SENT);
	ck_assert_int_eq(c->statement_sent_at, T0 + 86400 * 14);
	ck_assert_str_eq(c->state, "investigating");
	{
		poc_message *after;

		ck_assert_int_eq(poc_store_get_message(s, "<p1@jpcert>", &after, NULL), 0);
		ck_assert_int_eq(after->ack_state, first->ack_state);
		ck_assert_ptr_null(after->ack_message_id);
		poc_message_free(after);
	}
	g_ptr_array_set_size(ev.lines, 0);
	ck_assert_int_eq(poc_store_foreach_event(s, c->id, collect, &ev, NULL), 0);
	ck_assert_int_eq(count_type(ev.lines, "state|pocctl:0(root)|open -> investigating"), 1);
	ck_assert_int_eq(count_type(ev.lines, "state|"), 1);
	ck_assert_int_eq(count_type(ev.lines, "statement-queued|pocctl:0(root)|"), 1);
	ck_assert_int_eq(count_type(ev.lines, "statement-sent|pocmilter|"), 1);
	ck_assert_int_eq(count_type(ev.lines, "ack-sent|"), 0);

	poc_message_free(first);
	poc_outbox_entry_free(e);
	poc_case_free(c);
	g_ptr_array_unref(ev.lines);
	poc_store_close(s);
	rmtree(dir);
	g_free(dir);
}
END_TEST

/*
 * Issue 22, finding 4: only a message whose good signature covers all may
 * change its case; an unsigned one, a partly signed one and a replay claim
 * their change, and poc_store_accept_claim() applies it once.
 */
START_TEST(test_claims)
{
	char *dir = tmpdir();
	poc_store *s = NULL;
	poc_case *c = NULL;
	poc_message *m, *got = NULL;
	events ev = { g_ptr_array_new_with_free_func(g_free) };
	gint64 d1 = at("2026-12-15T11:00:00+09:00"), d2 = at("2026-12-02T09:00:00+09:00");
	GError *err = NULL;

	ck_assert_int_eq(poc_store_open(dir, 0, &s, NULL), 0);
	m = mkmsg_pub("<good@jpcert>", POC_KIND_SCHEDULE, T0, d1);
	ck_assert_int_eq(poc_store_file(s, 0, m, NULL, NULL), 0);
	ck_assert_int_eq(m->claimed_publication_date, 0);
	poc_message_free(m);

	/* unsigned, from anyone, a new date and a publication kind */
	m = mkmsg_pub("<unsigned@elsewhere>", POC_KIND_PUBLICATION, T0 + 3600, d2);
	m->signature = POC_SIGNATURE_NONE;
	m->signature_covers = POC_COVERS_NONE;
	m->from_coordinator = FALSE;
	ck_assert_int_eq(poc_store_file(s, 0, m, NULL, NULL), 0);
	ck_assert_int_eq(m->claimed_publication_date, d2);
	ck_assert(m->claimed_statement_request);
	poc_message_free(m);
	/* good, but covering part; and a replay of a good one */
	m = mkmsg_pub("<part@jpcert>", POC_KIND_SCHEDULE, T0 + 7200, d2);
	m->signature_covers = POC_COVERS_PART;
	ck_assert_int_eq(poc_store_file(s, 0, m, NULL, NULL), 0);
	ck_assert_int_eq(m->claimed_publication_date, d2);
	poc_message_free(m);
	m = mkmsg_pub("<replay@jpcert>", POC_KIND_SCHEDULE, T0 + 7300, d2);
	g_ptr_array_add(m->problems, g_strdup("replay: the same signature as <x>, filed before"));
	ck_assert_int_eq(poc_store_file(s, 0, m, NULL, NULL), 0);
	ck_assert_int_eq(m->claimed_publication_date, d2);
	poc_message_free(m);

	ck_assert_int_eq(poc_store_get_case(s, "JPCERT#12345678", &c, NULL), 0);
	ck_assert_int_eq(c->publication_date, d1);
	ck_assert_int_eq(c->publication_history->len, 1);
	ck_assert_int_eq(c->statement_state, POC_STATEMENT_NONE);
	ck_assert_int_eq(poc_store_foreach_event(s, c->id, collect, &ev, NULL), 0);
	ck_assert_int_eq(count_type(ev.lines, "claimed-change|pocmilter|publication date "
					      "2026-12-02T09:00:00+09:00, statement request"), 1);
	ck_assert_int_eq(count_type(ev.lines, "claimed-change|"), 3);
	poc_case_free(c);
	/* the claim is on the stored message */
	ck_assert_int_eq(poc_store_get_message(s, "<unsigned@elsewhere>", &got, NULL), 0);
	ck_assert_int_eq(got->claimed_publication_date, d2);
	ck_assert(got->claimed_statement_request);
	ck_assert_int_eq(got->claim_accepted_at, 0);
	poc_message_free(got);

	/* a person accepts it: the case changes, once */
	ck_assert_int_eq(poc_store_accept_claim(s, "<good@jpcert>", "p", NULL, &err), POC_ERR_INVAL);
	g_clear_error(&err);
	ck_assert_int_eq(poc_store_accept_claim(s, "<nope@x>", "p", NULL, &err), POC_ERR_NOTFOUND);
	g_clear_error(&err);
	ck_assert_int_eq(poc_store_accept_claim(s, "<unsigned@elsewhere>", "pocctl:0(root)", &got,
						NULL), 0);
	ck_assert_int_gt(got->claim_accepted_at, 0);
	poc_message_free(got);
	ck_assert_int_eq(poc_store_accept_claim(s, "<unsigned@elsewhere>", "p", NULL, &err),
			 POC_ERR_EXISTS);
	g_clear_error(&err);
	ck_assert_int_eq(poc_store_get_case(s, "JPCERT#12345678", &c, NULL), 0);
	ck_assert_int_eq(c->publication_date, d2);
	ck_assert_int_eq(c->publication_history->len, 2);
	ck_assert_str_eq(((poc_pub_change *)g_ptr_array_index(c->publication_history, 1))->message_id,
			 "<unsigned@elsewhere>");
	ck_assert_int_eq(c->statement_state, POC_STATEMENT_REQUESTED);
	g_ptr_array_set_size(ev.lines, 0);
	ck_assert_int_eq(poc_store_foreach_event(s, c->id, collect, &ev, NULL), 0);
	ck_assert_int_eq(count_type(ev.lines, "publication-date|pocctl:0(root)|2026-12-15T11:00:00+09:00 -> "
					      "2026-12-02T09:00:00+09:00"), 1);
	ck_assert_int_eq(count_type(ev.lines, "statement-requested|pocctl:0(root)|"), 1);
	ck_assert_int_eq(count_type(ev.lines, "claim-accepted|pocctl:0(root)|"), 1);
	ck_assert_int_eq(poc_store_get_message(s, "<unsigned@elsewhere>", &got, NULL), 0);
	ck_assert_int_gt(got->claim_accepted_at, 0);
	poc_message_free(got);

	poc_case_free(c);
	g_ptr_array_unref(ev.lines);
	poc_store_close(s);
	rmtree(dir);
	g_free(dir);
}
END_TEST

/* --- reminders ----------------------------------------------------------------- */

static poc_case *
mkcase(const char *state, gint64 publication, poc_statement_state st)
{
	poc_case *c = poc_case_new();

	c->id = g_strdup("JPCERT#12345678");
	c->state = g_strdup(state);
	c->opened_at = T0;
	c->target_date = T0 + 45 * 86400;
	c->publication_date = publication;
	c->statement_state = st;
	return c;
}

/* The reasons due at t, "reason@due_at,..." */
static char *
due(const poc_calendar *cal, const poc_case *c, const char *t)
{
	poc_reminder r[POC_REMINDERS_MAX];
	int n = poc_publication_reminders(cal, 3, c, at(t), r, G_N_ELEMENTS(r));
	GString *out = g_string_new(NULL);
	char buf[POC_TIME_BUFSIZE];

	ck_assert_int_le(n, POC_REMINDERS_MAX);
	for (int i = 0; i < n; i++) {
		ck_assert_str_eq(r[i].case_id, c->id);
		ck_assert_int_eq(r[i].publication_date, c->publication_date);
		g_string_append_printf(out, "%s%s@%s", i ? "," : "", poc_reminder_reason_name(r[i].reason),
				       poc_time_format(r[i].due_at, buf));
	}
	return g_string_free(out, FALSE);
}

#define DUE(cal, c, t, want)                                                                \
	do {                                                                                 \
		char *got_ = due(cal, c, t);                                                 \
		ck_assert_msg(strcmp(got_, want) == 0, "at %s: got \"%s\", want \"%s\"", t, \
			      got_, want);                                                   \
		g_free(got_);                                                                \
	} while (0)

START_TEST(test_reminders_statement_and_publication)
{
	poc_calendar *cal = poc_calendar_new();
	/* Tuesday 2026-12-15: 3 business days before is Thursday 12-10, the day before Monday 12-14 */
	poc_case *c = mkcase("affected", at("2026-12-15T00:00:00+09:00"), POC_STATEMENT_REQUESTED);

	DUE(cal, c, "2026-12-10T08:59:59+09:00", "");
	DUE(cal, c, "2026-12-10T09:00:00+09:00", "statement-due@2026-12-10T09:00:00+09:00");
	DUE(cal, c, "2026-12-12T15:00:00+09:00", "statement-due@2026-12-10T09:00:00+09:00");
	DUE(cal, c, "2026-12-14T08:59:00+09:00", "statement-due@2026-12-10T09:00:00+09:00");
	DUE(cal, c, "2026-12-14T09:00:00+09:00", "statement-due@2026-12-14T09:00:00+09:00");
	DUE(cal, c, "2026-12-14T23:59:59+09:00", "statement-due@2026-12-14T09:00:00+09:00");
	/* publication day: the statement is too late to remind; the day itself is */
	DUE(cal, c, "2026-12-15T08:00:00+09:00", "");
	DUE(cal, c, "2026-12-15T09:00:00+09:00", "publication-today@2026-12-15T09:00:00+09:00");
	DUE(cal, c, "2026-12-15T23:59:59+09:00", "publication-today@2026-12-15T09:00:00+09:00");
	DUE(cal, c, "2026-12-16T00:00:00+09:00", "");

	/* a statement sent (or queued) silences statement-due only */
	c->statement_state = POC_STATEMENT_SENT;
	DUE(cal, c, "2026-12-14T10:00:00+09:00", "");
	DUE(cal, c, "2026-12-15T10:00:00+09:00", "publication-today@2026-12-15T09:00:00+09:00");
	c->statement_state = POC_STATEMENT_FAILED;
	DUE(cal, c, "2026-12-14T10:00:00+09:00", "statement-due@2026-12-14T09:00:00+09:00");
	/* never asked (no publication notice): no statement-due */
	c->statement_state = POC_STATEMENT_NONE;
	DUE(cal, c, "2026-12-14T10:00:00+09:00", "");
	/* published or closed cases are quiet */
	c->statement_state = POC_STATEMENT_REQUESTED;
	g_free(c->state), c->state = g_strdup("published");
	DUE(cal, c, "2026-12-15T10:00:00+09:00", "");
	g_free(c->state), c->state = g_strdup("closed");
	DUE(cal, c, "2026-12-14T10:00:00+09:00", "");
	poc_case_free(c);

	/* across the year-end closure and a weekend, 10:00 on a Tuesday */
	c = mkcase("fixing", at("2027-01-05T10:00:00+09:00"), POC_STATEMENT_REQUESTED);
	DUE(cal, c, "2026-12-25T08:00:00+09:00", "");
	DUE(cal, c, "2026-12-25T09:00:00+09:00", "statement-due@2026-12-25T09:00:00+09:00");
	DUE(cal, c, "2027-01-01T12:00:00+09:00", "statement-due@2026-12-25T09:00:00+09:00");
	DUE(cal, c, "2027-01-04T09:00:00+09:00", "statement-due@2027-01-04T09:00:00+09:00");
	/* the publication instant ends statement-due; the day goes on */
	DUE(cal, c, "2027-01-05T09:30:00+09:00",
	    "statement-due@2027-01-04T09:00:00+09:00,publication-today@2027-01-05T09:00:00+09:00");
	DUE(cal, c, "2027-01-05T10:00:00+09:00", "publication-today@2027-01-05T09:00:00+09:00");
	ck_assert_int_eq(poc_statement_deadline(cal, c->publication_date),
			 at("2027-01-04T09:00:00+09:00"));
	poc_case_free(c);

	/* StatementBefore 1: the two reminders are one */
	ck_assert_int_eq(poc_statement_before_days(86400), 1);
	ck_assert_int_eq(poc_statement_before_days(3 * 86400), 3);
	ck_assert_int_eq(poc_statement_before_days(0), POC_STATEMENT_BEFORE_DEFAULT);
	ck_assert_int_eq(poc_business_days_before(cal, at("2026-12-15T00:00:00+09:00"), 1),
			 at("2026-12-14T09:00:00+09:00"));
	poc_calendar_free(cal);
}
END_TEST

START_TEST(test_reminders_target)
{
	poc_calendar *cal = poc_calendar_new();
	poc_case *c = mkcase("investigating", 0, POC_STATEMENT_NONE);

	/*
	 * opened 2026-11-26 11:30: target 2027-01-10 11:30, near from 2027-01-03
	 * at the start of business hours (09:00), not at 11:30
	 */
	DUE(cal, c, "2027-01-03T08:59:59+09:00", "");
	DUE(cal, c, "2027-01-03T09:00:00+09:00", "target-near@2027-01-03T09:00:00+09:00");
	DUE(cal, c, "2027-01-10T11:29:59+09:00", "target-near@2027-01-03T09:00:00+09:00");
	DUE(cal, c, "2027-01-10T11:30:00+09:00", "");
	g_free(c->state), c->state = g_strdup("open");
	DUE(cal, c, "2027-01-05T00:00:00+09:00", "target-near@2027-01-03T09:00:00+09:00");
	g_free(c->state), c->state = g_strdup("fixing");
	DUE(cal, c, "2027-01-05T00:00:00+09:00", "");
	/* a target derived from opened_at when the record has none */
	g_free(c->state), c->state = g_strdup("investigating");
	c->target_date = 0;
	DUE(cal, c, "2027-01-05T00:00:00+09:00", "target-near@2027-01-03T09:00:00+09:00");
	/* max bounds what is written, not what is counted */
	{
		poc_reminder one[1];

		ck_assert_int_eq(poc_publication_reminders(cal, 3, c, at("2027-01-05T00:00:00+09:00"),
							   one, 0), 1);
	}
	poc_case_free(c);
	poc_calendar_free(cal);
}
END_TEST

/* --- statement text ------------------------------------------------------------------ */

START_TEST(test_statement_render)
{
	const char *srcdir = getenv("srcdir");
	char *tdir = g_build_filename(srcdir ? srcdir : ".", "conf", "templates", NULL);
	poc_templates *t = NULL;
	poc_config *cfg = poc_config_new();
	poc_case *c = mkcase("affected", at("2026-12-15T00:00:00+09:00"), POC_STATEMENT_REQUESTED);
	GPtrArray *msgs = g_ptr_array_new_with_free_func((GDestroyNotify)poc_message_free);
	poc_statement st = { POC_VENDOR_AFFECTED_INVESTIGATING, "https://vendor.example/sa/1",
			     "製品A 1.0 から 1.4 が該当します。\n修正版 1.5 を公開予定です。" };
	const poc_message *req;
	char *subject, *body;
	GError *err = NULL;

	ck_assert_int_eq(poc_templates_load(tdir, "ja", &t, &err), 0);
	ck_assert(poc_templates_has(t, "statement"));
	c->tracking = g_strdup("JPCERT#12345678");
	g_ptr_array_add(c->vuln_ids, g_strdup("JVNVU#99999999"));
	g_ptr_array_add(c->cve_ids, g_strdup("CVE-2026-12345"));
	g_free(cfg->organization), cfg->organization = g_strdup("ベンダー株式会社");
	g_ptr_array_add(msgs, mkmsg_pub("<s1@jpcert>", POC_KIND_SUMMARY, T0, 0));
	g_ptr_array_add(msgs, mkmsg_pub("<p1@jpcert>", POC_KIND_PUBLICATION, T0 + 86400, 0));
	g_ptr_array_add(msgs, mkmsg_pub("<o1@jpcert>", POC_KIND_OTHER, T0 + 86400 * 2, 0));
	req = poc_statement_request(msgs);
	ck_assert_str_eq(req->message_id, "<p1@jpcert>");
	ck_assert_int_eq(poc_statement_render(cfg, t, c, req, &st, T0, &subject, &body, &err), 0);
	ck_assert_str_eq(subject, "Re: [JPCERT#12345678] 脆弱性情報");
	ck_assert_ptr_nonnull(strstr(body, "■ ステータス: 該当製品あり：調査中\n"));
	ck_assert_ptr_nonnull(strstr(body, "■ 受付番号: JPCERT#12345678\n"));
	ck_assert_ptr_nonnull(strstr(body, "■ 脆弱性番号: JVNVU#99999999, CVE-2026-12345\n"));
	ck_assert_ptr_nonnull(strstr(body, "■ 企業名: ベンダー株式会社\n"));
	ck_assert_ptr_nonnull(strstr(body, "修正版 1.5 を公開予定です。"));
	ck_assert_ptr_nonnull(strstr(body, "https://vendor.example/sa/1"));
	ck_assert_ptr_nonnull(strstr(body, "2026-12-15"));
	ck_assert_ptr_null(strstr(body, "{{"));
	g_free(subject), g_free(body);

	ck_assert_str_eq(poc_vendor_status_label(POC_VENDOR_AFFECTED), "該当製品あり");
	ck_assert_str_eq(poc_vendor_status_label(POC_VENDOR_NOT_AFFECTED), "該当製品なし");
	ck_assert_str_eq(poc_vendor_status_label(POC_VENDOR_NONE_INVESTIGATING), "該当製品なし：調査中");
	ck_assert_int_eq(poc_vendor_status_parse("none-investigating"), POC_VENDOR_NONE_INVESTIGATING);
	ck_assert_int_eq(poc_vendor_status_parse("maybe"), -1);
	/* the placeholder check still refuses what it does not know */
	ck_assert_int_eq(poc_template_check("{{status}} {{url}} {{text}}", 27, NULL), 0);
	ck_assert_int_eq(poc_template_check("{{statu}}", 9, &err), POC_ERR_TEMPLATE);
	g_clear_error(&err);

	poc_templates_free(t);
	poc_config_free(cfg);
	poc_case_free(c);
	g_ptr_array_unref(msgs);
	g_free(tdir);
}
END_TEST

/* --- iCalendar writer --------------------------------------------------------------- */

START_TEST(test_ics_lines)
{
	GString *out = g_string_new(NULL);
	GString *esc = g_string_new(NULL);
	char **lines;
	poc_ics_event ev = { "publication-JPCERT-12345678@vendor.example", T0,
			     at("2026-12-15T00:00:00+09:00"), TRUE,
			     "公開日: JPCERT#12345678, 「脆弱性」; とても長い件名がここに続いてさらに続きます",
			     "a\\b\nc", "publication" };

	poc_ics_escape_text(esc, "a,b;c\\d\ne");
	ck_assert_str_eq(esc->str, "a\\,b\\;c\\\\d\\ne");
	poc_ics_begin(out, "test");
	poc_ics_event_write(out, &ev);
	ev.all_day = FALSE;
	ev.at = at("2026-11-27T17:30:00+09:00");
	poc_ics_event_write(out, &ev);
	poc_ics_end(out);
	ck_assert_ptr_nonnull(strstr(out->str, "\r\nDTSTART;VALUE=DATE:20261215\r\n"));
	ck_assert_ptr_nonnull(strstr(out->str, "\r\nDTEND;VALUE=DATE:20261216\r\n"));
	ck_assert_ptr_nonnull(strstr(out->str, "\r\nDTSTART:20261127T083000Z\r\n"));
	ck_assert_ptr_nonnull(strstr(out->str, "\r\nDTSTAMP:20261126T023000Z\r\n"));
	ck_assert_ptr_nonnull(strstr(out->str, "\r\nDESCRIPTION:a\\\\b\\nc\r\n"));
	ck_assert(g_str_has_suffix(out->str, "END:VCALENDAR\r\n"));
	/* every line: CRLF, at most 75 octets, valid UTF-8 (no character cut by a fold) */
	lines = g_strsplit(out->str, "\r\n", -1);
	for (char **l = lines; *l; l++) {
		ck_assert_msg(strlen(*l) <= 75, "line of %zu octets: %s", strlen(*l), *l);
		ck_assert(g_utf8_validate(*l, -1, NULL));
		ck_assert_ptr_null(strchr(*l, '\n'));
	}
	g_strfreev(lines);
	ck_assert_ptr_nonnull(strstr(out->str, "\r\n "));	/* the summary was folded */
	g_string_free(out, TRUE);
	g_string_free(esc, TRUE);
}
END_TEST

static Suite *
publication_suite(void)
{
	Suite *s = suite_create("publication");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_case_fields_round_trip);
	tcase_add_test(tc, test_old_case_record);
	tcase_add_test(tc, test_filing_timeline);
	tcase_add_test(tc, test_claims);
	tcase_add_test(tc, test_reminders_statement_and_publication);
	tcase_add_test(tc, test_reminders_target);
	tcase_add_test(tc, test_statement_render);
	tcase_add_test(tc, test_ics_lines);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return run_suite(publication_suite(), CK_FORK_GETENV);
}
