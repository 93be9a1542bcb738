/*
 * NAME
 *	test_caserules - unit tests of the case rules on records alone (no
 *	database): a new case, a second notice, CVE and other numbers,
 *	publication date history, claims, the statement and acknowledgement
 *	transitions, case states, idempotence, the event names
 * SYNOPSIS
 *	tests/unit/test_caserules
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "caserules.h"
#include "testutil.h"

#define T0 1795660200	/* 2026-11-26T11:30:00+09:00 */
#define DAY 86400

/* testutil's message, with what the rules read set for these tests. */
static poc_message *
rule_msg(const char *id, poc_kind kind, gint64 received, gint64 publication)
{
	poc_message *m = mkmsg(id, "JPCERT#12345678", "JVNVU#99999999 CVE-2026-12345", received);

	m->kind = kind;
	m->publication_date = publication;
	m->ack_required = TRUE;
	m->ack_state = POC_ACK_HELD;
	return m;
}

static poc_case *
mkcase(const poc_message *m, gint64 now)
{
	poc_case *c = poc_case_new();

	c->id = g_strdup(m->tracking);
	poc_case_rules_open(c, m, now);
	return c;
}

/* The type names of events, joined by spaces. */
static char *
types(GArray *events)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < events->len; i++)
		g_string_append_printf(s, "%s%s", i ? " " : "",
				       g_array_index(events, poc_event, i).type);
	return g_string_free(s, FALSE);
}

static void
assert_types(GArray *events, const char *want)
{
	char *got = types(events);

	ck_assert_str_eq(got, want);
	g_free(got);
}

static const poc_event *
ev(GArray *events, guint i)
{
	ck_assert_uint_lt(i, events->len);
	return &g_array_index(events, poc_event, i);
}

START_TEST(test_event_names)
{
	/* The strings are the on-disk contract. */
	ck_assert_str_eq(poc_event_name(POC_EV_RECEIVED), "received");
	ck_assert_str_eq(poc_event_name(POC_EV_ACK_SENT), "ack-sent");
	ck_assert_str_eq(poc_event_name(POC_EV_STATEMENT_FAILED), "statement-failed");
	ck_assert_str_eq(poc_event_name(POC_EV_ACK_QUEUED_BY_PERSON), "ack-queued-by-person");
	ck_assert_str_eq(poc_event_name(POC_EV_COUNT), "?");
	for (int i = 0; i < POC_EV_COUNT; i++) {
		ck_assert_ptr_nonnull(poc_event_name(i));
		ck_assert_int_eq(poc_event_type_parse(poc_event_name(i)), i);
	}
	ck_assert_int_eq(poc_event_type_parse("nonsense"), -1);
}
END_TEST

START_TEST(test_new_case)
{
	poc_message *m = rule_msg("<1@jpcert>", POC_KIND_SUMMARY, T0, 0);
	poc_case *c = mkcase(m, T0 + 5);
	GArray *e = poc_case_events_new();

	ck_assert_str_eq(c->state, "open");
	ck_assert_str_eq(c->tracking, "JPCERT#12345678");
	ck_assert_int_eq(c->opened_at, T0);
	ck_assert_int_eq(c->target_date, T0 + 45 * DAY);
	poc_case_rules_file(c, m, TRUE, T0 + 5, e);
	ck_assert_str_eq(m->case_id, "JPCERT#12345678");
	ck_assert_uint_eq(c->message_ids->len, 1);
	/* CVE apart from the other numbers */
	ck_assert_uint_eq(c->vuln_ids->len, 1);
	ck_assert_str_eq(g_ptr_array_index(c->vuln_ids, 0), "JVNVU#99999999");
	ck_assert_uint_eq(c->cve_ids->len, 1);
	ck_assert_str_eq(g_ptr_array_index(c->cve_ids, 0), "CVE-2026-12345");
	ck_assert_int_eq(c->updated_at, T0 + 5);
	ck_assert_int_eq(c->statement_state, POC_STATEMENT_NONE);
	assert_types(e, "received filed");
	ck_assert_int_eq(ev(e, 0)->at, T0);		/* at the reception */
	ck_assert_int_eq(ev(e, 1)->at, T0 + 5);
	ck_assert_str_eq(ev(e, 1)->detail, "new case");
	ck_assert_str_eq(ev(e, 1)->actor, "pocmilter");
	ck_assert_str_eq(ev(e, 1)->case_id, "JPCERT#12345678");
	ck_assert_str_eq(ev(e, 1)->message_id, "<1@jpcert>");
	g_array_unref(e);
	poc_case_free(c);
	poc_message_free(m);

	/* No reception time: opened now. */
	m = rule_msg("<2@jpcert>", POC_KIND_SUMMARY, 0, 0);
	c = mkcase(m, T0);
	ck_assert_int_eq(c->opened_at, T0);
	poc_case_free(c);
	poc_message_free(m);
}
END_TEST

START_TEST(test_second_notice_and_cve_split)
{
	poc_message *m1 = rule_msg("<1@jpcert>", POC_KIND_SUMMARY, T0, 0);
	poc_message *m2 = rule_msg("<2@jpcert>", POC_KIND_SCHEDULE, T0 + DAY, 0);
	poc_case *c = mkcase(m1, T0);
	GArray *e = poc_case_events_new();

	poc_case_rules_file(c, m1, TRUE, T0, e);
	g_array_set_size(e, 0);
	g_ptr_array_add(m2->vuln_ids, g_strdup("cve-2026-99999"));	/* lower case: a CVE too */
	g_ptr_array_add(m2->vuln_ids, g_strdup("JVNVU#11111111"));
	g_ptr_array_add(m2->related_tracking, g_strdup("JPCERT#87654321"));
	g_ptr_array_add(m2->related_tracking, g_strdup("JPCERT#12345678"));	/* itself: not related */
	poc_case_rules_file(c, m2, FALSE, T0 + DAY, e);
	ck_assert_uint_eq(c->message_ids->len, 2);
	ck_assert_str_eq(g_ptr_array_index(c->message_ids, 1), "<2@jpcert>");
	ck_assert_uint_eq(c->vuln_ids->len, 2);	/* JVNVU#99999999 once */
	ck_assert_str_eq(g_ptr_array_index(c->vuln_ids, 1), "JVNVU#11111111");
	ck_assert_uint_eq(c->cve_ids->len, 2);
	ck_assert_str_eq(g_ptr_array_index(c->cve_ids, 1), "cve-2026-99999");
	ck_assert_uint_eq(c->related_tracking->len, 1);
	ck_assert_str_eq(g_ptr_array_index(c->related_tracking, 0), "JPCERT#87654321");
	ck_assert_int_eq(c->opened_at, T0);	/* unchanged */
	assert_types(e, "received filed");
	ck_assert_str_eq(ev(e, 1)->detail, "existing case");
	g_array_unref(e);
	poc_case_free(c);
	poc_message_free(m1);
	poc_message_free(m2);
}
END_TEST

START_TEST(test_publication_history)
{
	gint64 p1 = T0 + 30 * DAY, p2 = T0 + 40 * DAY;
	poc_message *m1 = rule_msg("<1@jpcert>", POC_KIND_SUMMARY, T0, p1);
	poc_message *m2 = rule_msg("<2@jpcert>", POC_KIND_SCHEDULE, T0 + DAY, p2);
	poc_message *m3 = rule_msg("<3@jpcert>", POC_KIND_SCHEDULE, T0 + 2 * DAY, p2);
	poc_case *c = mkcase(m1, T0);
	GArray *e = poc_case_events_new();
	poc_pub_change *pc;

	poc_case_rules_file(c, m1, TRUE, T0, e);
	assert_types(e, "received filed publication-date");
	ck_assert_str_eq(ev(e, 2)->detail, "none -> 2026-12-26T11:30:00+09:00");
	ck_assert_int_eq(c->publication_date, p1);
	g_array_set_size(e, 0);
	poc_case_rules_file(c, m2, FALSE, T0 + DAY, e);
	assert_types(e, "received filed publication-date");
	ck_assert_str_eq(ev(e, 2)->detail,
			 "2026-12-26T11:30:00+09:00 -> 2027-01-05T11:30:00+09:00");
	ck_assert_uint_eq(c->publication_history->len, 2);
	pc = g_ptr_array_index(c->publication_history, 1);
	ck_assert_int_eq(pc->from, p1);
	ck_assert_int_eq(pc->to, p2);
	ck_assert_int_eq(pc->at, T0 + DAY);
	ck_assert_str_eq(pc->message_id, "<2@jpcert>");
	/* The same date again: no change, no history, no event. */
	g_array_set_size(e, 0);
	poc_case_rules_file(c, m3, FALSE, T0 + 2 * DAY, e);
	assert_types(e, "received filed");
	ck_assert_uint_eq(c->publication_history->len, 2);
	g_array_unref(e);
	poc_case_free(c);
	poc_message_free(m1);
	poc_message_free(m2);
	poc_message_free(m3);
}
END_TEST

START_TEST(test_untrusted_claims_and_accept)
{
	gint64 p1 = T0 + 30 * DAY;
	poc_message *m = rule_msg("<1@jpcert>", POC_KIND_PUBLICATION, T0, p1);
	poc_case *c;
	GArray *e = poc_case_events_new();
	GError *err = NULL;

	m->signature_covers = POC_COVERS_PART;
	ck_assert(!poc_case_rules_may_change(m));
	c = mkcase(m, T0);
	poc_case_rules_file(c, m, TRUE, T0, e);
	ck_assert_int_eq(c->publication_date, 0);
	ck_assert_int_eq(c->statement_state, POC_STATEMENT_NONE);
	ck_assert_int_eq(m->claimed_publication_date, p1);
	ck_assert(m->claimed_statement_request);
	assert_types(e, "received filed claimed-change");
	ck_assert_str_eq(ev(e, 2)->detail,
			 "publication date 2026-12-26T11:30:00+09:00, statement request");

	g_array_set_size(e, 0);
	ck_assert_int_eq(poc_case_rules_claim_check(m, NULL), POC_OK);
	poc_case_rules_accept_claim(c, m, "pocctl:0(root)", T0 + 10, e);
	ck_assert_int_eq(c->publication_date, p1);
	ck_assert_int_eq(c->statement_state, POC_STATEMENT_REQUESTED);
	ck_assert_int_eq(m->claim_accepted_at, T0 + 10);
	assert_types(e, "publication-date statement-requested claim-accepted");
	for (guint i = 0; i < e->len; i++)
		ck_assert_str_eq(ev(e, i)->actor, "pocctl:0(root)");
	/* Accepted once only. */
	ck_assert_int_eq(poc_case_rules_claim_check(m, &err), POC_ERR_EXISTS);
	g_clear_error(&err);
	m->claimed_publication_date = 0;
	m->claimed_statement_request = FALSE;
	ck_assert_int_eq(poc_case_rules_claim_check(m, &err), POC_ERR_INVAL);
	g_clear_error(&err);
	g_array_unref(e);
	poc_case_free(c);
	poc_message_free(m);
}
END_TEST

START_TEST(test_replay)
{
	poc_message *m = rule_msg("<2@jpcert>", POC_KIND_SCHEDULE, T0, T0 + 30 * DAY);
	poc_case *c;
	GArray *e = poc_case_events_new();

	m->ack_state = POC_ACK_QUEUED;
	poc_case_rules_mark_replay(m, "<1@jpcert>");
	poc_case_rules_mark_replay(m, "<1@jpcert>");	/* idempotent */
	ck_assert_uint_eq(m->problems->len, 1);
	ck_assert_int_eq(m->ack_state, POC_ACK_HELD);
	ck_assert_ptr_nonnull(strstr(m->ack_note, "<1@jpcert>"));
	ck_assert(!poc_case_rules_may_change(m));
	c = mkcase(m, T0);
	poc_case_rules_file(c, m, TRUE, T0, e);
	ck_assert_int_eq(c->publication_date, 0);	/* old news: a claim */
	ck_assert_int_eq(m->claimed_publication_date, T0 + 30 * DAY);
	g_array_unref(e);
	poc_case_free(c);
	poc_message_free(m);
}
END_TEST

START_TEST(test_statement_transitions)
{
	poc_message *m = rule_msg("<1@jpcert>", POC_KIND_PUBLICATION, T0, 0);
	poc_message *m2 = rule_msg("<2@jpcert>", POC_KIND_PUBLICATION, T0 + DAY, 0);
	poc_case *c = mkcase(m, T0);
	poc_outbox_entry *st = poc_outbox_entry_new(), *old = poc_outbox_entry_new();
	GArray *e = poc_case_events_new();

	poc_case_rules_file(c, m, TRUE, T0, e);
	ck_assert_int_eq(c->statement_state, POC_STATEMENT_REQUESTED);
	assert_types(e, "received filed statement-requested");
	/* A second publication notice asks nothing more. */
	g_array_set_size(e, 0);
	poc_case_rules_file(c, m2, FALSE, T0 + DAY, e);
	assert_types(e, "received filed");

	g_array_set_size(e, 0);
	st->id = 9;
	st->message_id = g_strdup("<1@jpcert>");
	st->case_id = g_strdup(c->id);
	poc_case_rules_statement_queued(c, st, "affected", NULL, T0 + 2 * DAY, e);
	ck_assert_int_eq(st->kind, POC_OUTBOX_STATEMENT);
	ck_assert_int_eq(st->created_at, T0 + 2 * DAY);
	ck_assert_int_eq(c->statement_state, POC_STATEMENT_QUEUED);
	ck_assert_str_eq(c->statement_status, "affected");
	assert_types(e, "statement-queued");
	ck_assert_str_eq(ev(e, 0)->detail, "outbox 9 affected");

	/* SENDING -> FAILED: the case's statement failed, never a message's ack. */
	old->kind = POC_OUTBOX_STATEMENT;
	old->state = POC_OUTBOX_SENDING;
	st->state = POC_OUTBOX_FAILED;
	st->last_error = g_strdup("exit 75");
	ck_assert_int_eq(poc_case_rules_outbox_outcome(old, st), POC_OUTCOME_STATEMENT);
	g_array_set_size(e, 0);
	poc_case_rules_statement_outcome(c, st, "<1@jpcert>", T0 + 3 * DAY, e);
	ck_assert_int_eq(c->statement_state, POC_STATEMENT_FAILED);
	assert_types(e, "statement-failed");
	ck_assert_str_eq(ev(e, 0)->detail, "outbox 9: exit 75");
	ck_assert_int_eq(ev(e, 0)->at, T0 + 3 * DAY);
	/* SENDING -> SENT */
	st->state = POC_OUTBOX_SENT;
	st->sent_at = T0 + 4 * DAY;
	st->ack_message_id = g_strdup("<st.9@vendor>");
	g_array_set_size(e, 0);
	poc_case_rules_statement_outcome(c, st, "<1@jpcert>", T0 + 5 * DAY, e);
	ck_assert_int_eq(c->statement_state, POC_STATEMENT_SENT);
	ck_assert_int_eq(c->statement_sent_at, T0 + 4 * DAY);
	assert_types(e, "statement-sent");
	ck_assert_str_eq(ev(e, 0)->detail, "outbox 9 <st.9@vendor> affected");
	ck_assert_int_eq(ev(e, 0)->at, T0 + 4 * DAY);
	g_array_unref(e);
	poc_outbox_entry_free(st);
	poc_outbox_entry_free(old);
	poc_case_free(c);
	poc_message_free(m);
	poc_message_free(m2);
}
END_TEST

START_TEST(test_ack_transitions)
{
	poc_message *m = rule_msg("<1@jpcert>", POC_KIND_SUMMARY, T0, 0);
	poc_outbox_entry *ack = poc_outbox_entry_new(), *old = poc_outbox_entry_new();
	GArray *e = poc_case_events_new();
	poc_message kept;

	m->case_id = g_strdup("JPCERT#12345678");
	/* held: a person or the guard may queue it; queued or sent: not again */
	ck_assert(poc_case_rules_ack_queueable(m));
	ack->id = 7;
	poc_case_rules_ack_queued(m, ack, NULL, T0, e);
	ck_assert_int_eq(m->ack_state, POC_ACK_QUEUED);
	ck_assert_str_eq(ack->message_id, "<1@jpcert>");
	ck_assert_str_eq(ack->case_id, "JPCERT#12345678");
	ck_assert_int_eq(ack->created_at, T0);
	assert_types(e, "ack-queued");
	ck_assert_str_eq(ev(e, 0)->detail, "outbox 7");
	ck_assert(!poc_case_rules_ack_queueable(m));
	m->ack_required = FALSE;
	m->ack_state = POC_ACK_HELD;
	ck_assert(!poc_case_rules_ack_queueable(m));
	m->ack_required = TRUE;

	/* QUEUED -> SENDING (claimed): the entry alone; SENDING -> QUEUED (a retry, outcome unknown): the same */
	old->state = POC_OUTBOX_QUEUED;
	ack->state = POC_OUTBOX_SENDING;
	ck_assert_int_eq(poc_case_rules_outbox_outcome(old, ack), POC_OUTCOME_NONE);
	old->state = POC_OUTBOX_SENDING;
	ack->state = POC_OUTBOX_QUEUED;
	ck_assert_int_eq(poc_case_rules_outbox_outcome(old, ack), POC_OUTCOME_NONE);
	ack->state = POC_OUTBOX_SENDING;	/* unchanged */
	ck_assert_int_eq(poc_case_rules_outbox_outcome(old, ack), POC_OUTCOME_NONE);

	/* SENDING -> FAILED */
	ack->state = POC_OUTBOX_FAILED;
	ck_assert_int_eq(poc_case_rules_outbox_outcome(old, ack), POC_OUTCOME_ACK);
	g_array_set_size(e, 0);
	poc_case_rules_ack_outcome(m, ack, T0 + 60, e);
	ck_assert_int_eq(m->ack_state, POC_ACK_FAILED);
	assert_types(e, "ack-failed");
	ck_assert_str_eq(ev(e, 0)->detail, "outbox 7: failed");
	ck_assert(poc_case_rules_ack_queueable(m));	/* failed: may be queued again */

	/* SENDING -> SENT: sent_at defaults to now */
	ack->state = POC_OUTBOX_SENT;
	ack->ack_message_id = g_strdup("<ack.7@vendor>");
	ck_assert_int_eq(poc_case_rules_outbox_outcome(old, ack), POC_OUTCOME_ACK);
	g_array_set_size(e, 0);
	poc_case_rules_ack_outcome(m, ack, T0 + 120, e);
	ck_assert_int_eq(m->ack_state, POC_ACK_SENT);
	ck_assert_int_eq(m->ack_sent_at, T0 + 120);
	ck_assert_str_eq(m->ack_message_id, "<ack.7@vendor>");
	assert_types(e, "ack-sent");
	ck_assert_str_eq(ev(e, 0)->detail, "outbox 7 <ack.7@vendor>");
	ck_assert_int_eq(ev(e, 0)->at, T0 + 120);

	/* SENT is final */
	old->state = POC_OUTBOX_SENT;
	ack->state = POC_OUTBOX_FAILED;
	ck_assert_int_eq(poc_case_rules_outbox_outcome(old, ack), POC_OUTCOME_FINAL);
	ck_assert(!poc_case_rules_ack_queueable(m));

	/* A record read before the send was recorded cannot undo it. */
	kept = *m;
	kept.ack_state = POC_ACK_QUEUED;
	kept.ack_sent_at = 0;
	kept.ack_message_id = NULL;
	poc_case_rules_keep_sent(&kept, m);
	ck_assert_int_eq(kept.ack_state, POC_ACK_SENT);
	ck_assert_int_eq(kept.ack_sent_at, T0 + 120);
	ck_assert_ptr_eq(kept.ack_message_id, m->ack_message_id);
	g_array_unref(e);
	poc_outbox_entry_free(ack);
	poc_outbox_entry_free(old);
	poc_message_free(m);
}
END_TEST

START_TEST(test_reread)
{
	poc_message *m = rule_msg("<1@jpcert>", POC_KIND_SUMMARY, T0, 0), *was;
	poc_case *c = mkcase(m, T0);
	GArray *e = poc_case_events_new();

	poc_case_rules_file(c, m, TRUE, T0, e);
	was = rule_msg("<1@jpcert>", POC_KIND_SUMMARY, T0, 0);
	m->publication_date = T0 + 30 * DAY;
	m->kind = POC_KIND_PUBLICATION;
	ck_assert(poc_case_rules_reread_needed(m, was));
	was->case_id = g_strdup(c->id);
	ck_assert(!poc_case_rules_reread_needed(was, was));
	/* A later message of the case has a date: the date stays, the request counts. */
	g_array_set_size(e, 0);
	ck_assert(poc_case_rules_reread(c, m, TRUE, T0 + DAY, e));
	ck_assert_int_eq(c->publication_date, 0);
	ck_assert_int_eq(c->statement_state, POC_STATEMENT_REQUESTED);
	assert_types(e, "statement-requested");
	g_array_set_size(e, 0);
	ck_assert(poc_case_rules_reread(c, m, FALSE, T0 + DAY, e));
	ck_assert_int_eq(c->publication_date, T0 + 30 * DAY);
	ck_assert_int_eq(c->updated_at, T0 + DAY);
	assert_types(e, "publication-date");
	ck_assert_str_eq(ev(e, 0)->detail, "none -> 2026-12-26T11:30:00+09:00 (reprocessed)");
	/* Again: nothing to do. */
	g_array_set_size(e, 0);
	ck_assert(!poc_case_rules_reread(c, m, FALSE, T0 + 2 * DAY, e));
	ck_assert_uint_eq(e->len, 0);
	ck_assert_int_eq(c->updated_at, T0 + DAY);
	g_array_unref(e);
	poc_case_free(c);
	poc_message_free(m);
	poc_message_free(was);
}
END_TEST

START_TEST(test_set_state)
{
	poc_message *m = rule_msg("<1@jpcert>", POC_KIND_SUMMARY, T0, 0);
	poc_case *c = mkcase(m, T0);
	GArray *e = poc_case_events_new();

	ck_assert(poc_case_rules_set_state(c, "closed", "pocctl:0(root)", T0 + DAY, e));
	ck_assert_str_eq(c->state, "closed");
	ck_assert_int_eq(c->updated_at, T0 + DAY);
	assert_types(e, "state");
	ck_assert_str_eq(ev(e, 0)->detail, "open -> closed");
	ck_assert_str_eq(ev(e, 0)->actor, "pocctl:0(root)");
	/* The same state again: no change, no event. */
	ck_assert(!poc_case_rules_set_state(c, "closed", NULL, T0 + 2 * DAY, e));
	ck_assert_uint_eq(e->len, 1);
	ck_assert_int_eq(c->updated_at, T0 + DAY);
	g_array_unref(e);
	poc_case_free(c);
	poc_message_free(m);
}
END_TEST

static Suite *
caserules_suite(void)
{
	Suite *s = suite_create("caserules");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_event_names);
	tcase_add_test(tc, test_new_case);
	tcase_add_test(tc, test_second_notice_and_cve_split);
	tcase_add_test(tc, test_publication_history);
	tcase_add_test(tc, test_untrusted_claims_and_accept);
	tcase_add_test(tc, test_replay);
	tcase_add_test(tc, test_statement_transitions);
	tcase_add_test(tc, test_ack_transitions);
	tcase_add_test(tc, test_reread);
	tcase_add_test(tc, test_set_state);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return run_suite(caserules_suite(), CK_FORK_GETENV);
}
