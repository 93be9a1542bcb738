/*
 * NAME
 *	test_record - unit tests of the record JSON forms (record.c)
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"

static poc_message *
sample(void)
{
	poc_message *m = poc_message_new();

	m->message_id = g_strdup("<20261126.1@jpcert.or.jp>");
	m->case_id = g_strdup("JPCERT#12345678");
	m->received_at = 1795660200;
	m->from = g_strdup("vuls@jpcert.or.jp");
	m->subject = g_strdup("[JPCERT#12345678] 脆弱性 \"引用\" \\ tab\there\nnl \x01");
	m->kind = POC_KIND_SCHEDULE;
	m->encrypted = TRUE;
	m->decryption = POC_DECRYPTION_OK;
	m->signature = POC_SIGNATURE_UNKNOWN_KEY;
	m->tracking = g_strdup("JPCERT#12345678");
	g_ptr_array_add(m->vuln_ids, g_strdup("JVNVU#1"));
	g_ptr_array_add(m->vuln_ids, g_strdup("CVE-2026-1"));
	g_ptr_array_add(m->problems, g_strdup("no signature"));
	m->publication_date = 1797260400;
	m->ack_required = TRUE;
	m->ack_deadline = 1795739400;
	m->ack_state = POC_ACK_HELD;
	m->size = 12345;
	return m;
}

static char *
enc(const poc_message *m, unsigned flags)
{
	GString *g = g_string_new(NULL);

	poc_message_encode(m, flags, g);
	return g_string_free(g, FALSE);
}

START_TEST(test_fast_equals_json_glib)
{
	poc_message *m = sample();
	JsonNode *n = poc_message_to_json(m);
	char *a = poc_json_to_string(n, FALSE), *b = enc(m, 0);

	ck_assert_str_eq(a, b);
	json_node_unref(n);
	g_free(a), g_free(b);
	poc_message_free(m);
}
END_TEST

START_TEST(test_roundtrip)
{
	poc_message *m = sample(), *x, *y;
	char *a = enc(m, POC_ENCODE_VERSION), *b, *c;
	int v;
	JsonNode *n;

	ck_assert(g_str_has_prefix(a, "{\"v\":1,"));
	x = poc_message_decode(a, strlen(a), &v, NULL);
	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(v, 1);
	b = enc(x, POC_ENCODE_VERSION);
	ck_assert_str_eq(a, b);
	/* json-glib reads what the fast writer writes, and the reverse */
	n = poc_json_parse(a, -1, NULL);
	y = poc_message_from_json(n, NULL);
	ck_assert_ptr_nonnull(y);
	c = enc(y, POC_ENCODE_VERSION);
	ck_assert_str_eq(a, c);
	ck_assert_str_eq(y->subject, m->subject);
	ck_assert_int_eq(y->ack_deadline, m->ack_deadline);
	json_node_unref(n);
	g_free(a), g_free(b), g_free(c);
	poc_message_free(m), poc_message_free(x), poc_message_free(y);
}
END_TEST

START_TEST(test_decode_any_json)
{
	const char *text = " { \"unknown\" : {\"a\":[1,2.5e3,{\"b\":null}]}, \"subject\":\"\\u3042\\ud83d\\ude00\\/x\","
			   "\"size\" : 7 , \"message_id\":\"<x>\",\"vuln_ids\":[ \"A\" , \"B\"],"
			   "\"received_at\":\"2026-11-26T01:10:00Z\",\"ack_state\":\"sent\","
			   "\"encrypted\":true, \"signer\":null } ";
	poc_message *m = poc_message_decode(text, strlen(text), NULL, NULL);

	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->subject, "あ😀/x");
	ck_assert_int_eq(m->size, 7);
	ck_assert_int_eq(m->vuln_ids->len, 2);
	ck_assert_int_eq(m->received_at, 1795655400);
	ck_assert_int_eq(m->ack_state, POC_ACK_SENT);
	ck_assert(m->encrypted);
	ck_assert_ptr_null(m->signer);
	poc_message_free(m);
}
END_TEST

START_TEST(test_decode_errors)
{
	const char *bad[] = { "", "[]", "{", "{\"kind\":\"nonsense\"}", "{\"size\":-1}",
			      "{\"received_at\":\"yesterday\"}", "{\"subject\":\"\\ud800\"}",
			      "{\"subject\":\"a\"} x", "{\"vuln_ids\":[1]}", "{\"encrypted\":1}" };

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		GError *err = NULL;
		poc_message *m = poc_message_decode(bad[i], strlen(bad[i]), NULL, &err);

		ck_assert_msg(m == NULL, "accepted: %s", bad[i]);
		ck_assert_int_eq(err->code, POC_ERR_PARSE);
		g_error_free(err);
	}
}
END_TEST

START_TEST(test_case_export)
{
	poc_case *c = poc_case_new(), *back;
	GPtrArray *msgs = g_ptr_array_new_with_free_func((GDestroyNotify)poc_message_free);
	JsonNode *n;
	JsonObject *o, *mo;
	const char *case_keys[] = { "id", "tracking", "vuln_ids", "cve_ids", "state", "opened_at",
				    "publication_date", "messages" };
	const char *msg_keys[] = { "message_id", "received_at", "from", "subject", "kind",
				   "encrypted", "decryption", "signature", "signer", "ack_required",
				   "ack_deadline", "ack_state", "ack_sent_at", "ack_message_id" };
	GString *fast = g_string_new(NULL);
	char *slow;

	c->id = g_strdup("LOCAL-20261126-001");
	c->state = g_strdup("open");
	c->opened_at = 1795655400;
	g_ptr_array_add(c->message_ids, g_strdup("<20261126.1@jpcert.or.jp>"));
	g_ptr_array_add(msgs, sample());
	n = poc_case_to_json(c, msgs);
	o = json_node_get_object(n);
	for (size_t i = 0; i < G_N_ELEMENTS(case_keys); i++)
		ck_assert_msg(json_object_has_member(o, case_keys[i]), "no %s", case_keys[i]);
	ck_assert(json_object_get_null_member(o, "tracking"));
	ck_assert(json_object_get_null_member(o, "publication_date"));
	ck_assert_str_eq(json_object_get_string_member(o, "opened_at"), "2026-11-26T10:10:00+09:00");
	mo = json_array_get_object_element(json_object_get_array_member(o, "messages"), 0);
	for (size_t i = 0; i < G_N_ELEMENTS(msg_keys); i++)
		ck_assert_msg(json_object_has_member(mo, msg_keys[i]), "no %s", msg_keys[i]);
	ck_assert_str_eq(json_object_get_string_member(mo, "signature"), "unknown-key");
	ck_assert_str_eq(json_object_get_string_member(mo, "ack_state"), "held");
	ck_assert(json_object_get_null_member(mo, "ack_sent_at"));
	slow = poc_json_to_string(n, FALSE);
	poc_case_encode(c, msgs, 0, fast);
	ck_assert_str_eq(slow, fast->str);
	back = poc_case_from_json(n, NULL);
	ck_assert_str_eq(back->id, c->id);
	ck_assert_int_eq(back->message_ids->len, 1);
	poc_case_free(back);
	back = poc_case_decode(fast->str, fast->len, NULL, NULL);
	ck_assert_int_eq(back->opened_at, c->opened_at);
	poc_case_free(back);
	json_node_unref(n);
	g_free(slow);
	g_string_free(fast, TRUE);
	g_ptr_array_unref(msgs);
	poc_case_free(c);
}
END_TEST

START_TEST(test_outbox_event_spool)
{
	poc_outbox_entry *e = poc_outbox_entry_new(), *x;
	poc_event ev = { 1795660200, (char *)"JPCERT#1", (char *)"ack-sent", (char *)"pocmilter",
			 NULL, (char *)"outbox 3" }, ev2;
	poc_spool_info si = { 1795660200, NULL, (char *)"<>", NULL, (char *)"import:/x" }, si2;
	GString *g = g_string_new(NULL);
	static const guchar bin[] = { 0, 1, 2, 255, '\n', '"' };

	e->id = 42;
	e->message_id = g_strdup("<m@x>");
	e->state = POC_OUTBOX_SENDING;
	e->attempts = 2;
	e->payload = g_bytes_new_static(bin, sizeof(bin));
	poc_outbox_entry_encode(e, POC_ENCODE_VERSION, g);
	x = poc_outbox_entry_decode(g->str, g->len, NULL, NULL);
	ck_assert(x->id == 42);
	ck_assert_int_eq(x->state, POC_OUTBOX_SENDING);
	ck_assert(g_bytes_equal(x->payload, e->payload));
	ck_assert_str_eq(poc_outbox_state_name(POC_OUTBOX_FAILED), "failed");
	ck_assert_int_eq(poc_outbox_state_parse("sent"), POC_OUTBOX_SENT);
	g_string_truncate(g, 0);
	poc_event_encode(&ev, 0, g);
	ck_assert_int_eq(poc_event_decode(g->str, g->len, &ev2, NULL, NULL), 0);
	ck_assert_str_eq(ev2.detail, "outbox 3");
	ck_assert_int_eq(ev2.at, ev.at);
	g_string_truncate(g, 0);
	poc_spool_info_encode(&si, 0, g);
	ck_assert_int_eq(poc_spool_info_decode(g->str, g->len, &si2, NULL, NULL), 0);
	ck_assert_str_eq(si2.source, "import:/x");
	ck_assert_int_eq(si2.recipients->len, 0);
	poc_event_clear(&ev2);
	poc_spool_info_clear(&si2);
	poc_outbox_entry_free(e);
	poc_outbox_entry_free(x);
	g_string_free(g, TRUE);
}
END_TEST

START_TEST(test_times_match_util)
{
	/* the fast time code agrees with poc_time_format/parse, 1970..2200 */
	for (gint64 t = 1; t < 7258118400LL; t += 86400 * 13 + 3607) {
		poc_message *m = poc_message_new(), *back;
		char want[POC_TIME_BUFSIZE];
		char *text;

		m->received_at = t;
		text = enc(m, 0);
		poc_time_format(t, want);
		ck_assert_ptr_nonnull(strstr(text, want));
		back = poc_message_decode(text, strlen(text), NULL, NULL);
		ck_assert_int_eq(back->received_at, t);
		poc_message_free(m), poc_message_free(back);
		g_free(text);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("record");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_fast_equals_json_glib);
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_decode_any_json);
	tcase_add_test(tc, test_decode_errors);
	tcase_add_test(tc, test_case_export);
	tcase_add_test(tc, test_outbox_event_spool);
	tcase_add_test(tc, test_times_match_util);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
