/*
 * NAME
 *	test_record - unit tests of the record JSON forms (record.c)
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "testutil.h"

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

/*
 * Records as the codec before issue 21 wrote them (captured from it, byte
 * for byte): the store's values (v:1) and, old_export*, the `pocctl export`
 * line and the `show --json` layout of the same case. Whatever the codec
 * becomes, these must still read, field by field.
 */
static const char old_message[] =
	"{\"v\":1,\"message_id\":\"<20261126.1@jpcert.or.jp>\",\"case_id\":\"JPC"
	"ERT#12345678\",\"received_at\":\"2026-11-26T11:30:00+09:00\",\"queue_id"
	"\":\"4QXyz1\",\"envelope_from\":\"vuls@jpcert.or.jp\",\"from\":\"vuls@j"
	"pcert.or.jp\",\"subject\":\"[JPCERT#12345678] \350\204\206\345\274\261\346"
	"\200\247 \\\"\345\274\225\347\224\250\\\" \\\\ tab\\there\\nnl\\r \\u00"
	"01\\u0008\\u000c\177 \360\237\230\200 /\",\"date\":\"Thu, 26 Nov 2026 1"
	"0:00:00 +0900\",\"in_reply_to\":null,\"kind\":\"schedule\",\"kind_rule\""
	":\"built-in 3\",\"encrypted\":true,\"decryption\":\"ok\",\"signature\":"
	"\"good\",\"signer\":\"0123456789ABCDEF0123456789ABCDEF01234567\",\"sign"
	"ature_id\":\"0123456789ABCDEF0123456789ABCDEF01234567@1795660000@8\",\""
	"signature_covers\":\"part\",\"tracking\":\"JPCERT#12345678\",\"related_"
	"tracking\":[\"JPCERT#87654321\"],\"vuln_ids\":[\"JVNVU#99999999\",\"CVE"
	"-2026-123456\"],\"publication_date\":\"2026-12-15T00:00:00+09:00\",\"cl"
	"aimed_publication_date\":\"2026-12-16T00:00:00+09:00\",\"claimed_statem"
	"ent_request\":true,\"claim_accepted_at\":null,\"auto_submitted\":false,"
	"\"from_coordinator\":true,\"ack_required\":true,\"ack_deadline\":\"2026"
	"-11-27T09:30:00+09:00\",\"ack_state\":\"sent\",\"ack_sent_at\":\"2026-1"
	"1-26T11:31:00+09:00\",\"ack_message_id\":\"<ack.1@vendor.example>\",\"a"
	"ck_note\":null,\"problems\":[\"Subject: outside the signature\"],\"size"
	"\":1099511627776}";
static const char old_case[] =
	"{\"v\":1,\"id\":\"JPCERT#12345678\",\"tracking\":\"JPCERT#12345678\",\""
	"vuln_ids\":[\"JVNVU#99999999\"],\"cve_ids\":[\"CVE-2026-123456\"],\"rel"
	"ated_tracking\":[],\"state\":\"open\",\"opened_at\":\"2026-11-26T11:30:"
	"00+09:00\",\"updated_at\":\"2026-11-26T11:31:00+09:00\",\"publication_d"
	"ate\":\"2026-12-15T00:00:00+09:00\",\"target_date\":\"2027-01-10T11:30:"
	"00+09:00\",\"publication_history\":[{\"at\":\"2026-11-26T11:30:00+09:00"
	"\",\"from\":null,\"to\":\"2026-12-15T00:00:00+09:00\",\"message_id\":\""
	"<20261126.1@jpcert.or.jp>\"}],\"statement_state\":\"requested\",\"state"
	"ment_status\":null,\"statement_sent_at\":null,\"message_ids\":[\"<20261"
	"126.1@jpcert.or.jp>\"],\"notes\":[\"2026-11-26T10:11:00+09:00\\tpocctl:"
	"0(root)\\tcalled \346\227\245\346\234\254 \\\"x\\\"\"]}";
static const char old_export[] =
	"{\"id\":\"JPCERT#12345678\",\"tracking\":\"JPCERT#12345678\",\"vuln_ids"
	"\":[\"JVNVU#99999999\"],\"cve_ids\":[\"CVE-2026-123456\"],\"related_tra"
	"cking\":[],\"state\":\"open\",\"opened_at\":\"2026-11-26T11:30:00+09:00"
	"\",\"updated_at\":\"2026-11-26T11:31:00+09:00\",\"publication_date\":\""
	"2026-12-15T00:00:00+09:00\",\"target_date\":\"2027-01-10T11:30:00+09:00"
	"\",\"publication_history\":[{\"at\":\"2026-11-26T11:30:00+09:00\",\"fro"
	"m\":null,\"to\":\"2026-12-15T00:00:00+09:00\",\"message_id\":\"<2026112"
	"6.1@jpcert.or.jp>\"}],\"statement_state\":\"requested\",\"statement_sta"
	"tus\":null,\"statement_sent_at\":null,\"message_ids\":[\"<20261126.1@jp"
	"cert.or.jp>\"],\"notes\":[\"2026-11-26T10:11:00+09:00\\tpocctl:0(root)\\"
	"tcalled \346\227\245\346\234\254 \\\"x\\\"\"],\"messages\":[{\"message_"
	"id\":\"<20261126.1@jpcert.or.jp>\",\"case_id\":\"JPCERT#12345678\",\"re"
	"ceived_at\":\"2026-11-26T11:30:00+09:00\",\"queue_id\":\"4QXyz1\",\"env"
	"elope_from\":\"vuls@jpcert.or.jp\",\"from\":\"vuls@jpcert.or.jp\",\"sub"
	"ject\":\"[JPCERT#12345678] \350\204\206\345\274\261\346\200\247 \\\"\345"
	"\274\225\347\224\250\\\" \\\\ tab\\there\\nnl\\r \\u0001\\b\\f\\u007f \360"
	"\237\230\200 /\",\"date\":\"Thu, 26 Nov 2026 10:00:00 +0900\",\"in_repl"
	"y_to\":null,\"kind\":\"schedule\",\"kind_rule\":\"built-in 3\",\"encryp"
	"ted\":true,\"decryption\":\"ok\",\"signature\":\"good\",\"signer\":\"01"
	"23456789ABCDEF0123456789ABCDEF01234567\",\"signature_id\":\"0123456789A"
	"BCDEF0123456789ABCDEF01234567@1795660000@8\",\"signature_covers\":\"par"
	"t\",\"tracking\":\"JPCERT#12345678\",\"related_tracking\":[\"JPCERT#876"
	"54321\"],\"vuln_ids\":[\"JVNVU#99999999\",\"CVE-2026-123456\"],\"public"
	"ation_date\":\"2026-12-15T00:00:00+09:00\",\"claimed_publication_date\""
	":\"2026-12-16T00:00:00+09:00\",\"claimed_statement_request\":true,\"cla"
	"im_accepted_at\":null,\"auto_submitted\":false,\"from_coordinator\":tru"
	"e,\"ack_required\":true,\"ack_deadline\":\"2026-11-27T09:30:00+09:00\","
	"\"ack_state\":\"sent\",\"ack_sent_at\":\"2026-11-26T11:31:00+09:00\",\""
	"ack_message_id\":\"<ack.1@vendor.example>\",\"ack_note\":null,\"problem"
	"s\":[\"Subject: outside the signature\"],\"size\":1099511627776}]}";
static const char old_export_pretty[] =
	"{\012  \"id\" : \"JPCERT#12345678\",\012  \"tracking\" : \"JPCERT#12345"
	"678\",\012  \"vuln_ids\" : [\012    \"JVNVU#99999999\"\012  ],\012  \"c"
	"ve_ids\" : [\012    \"CVE-2026-123456\"\012  ],\012  \"related_tracking"
	"\" : [],\012  \"state\" : \"open\",\012  \"opened_at\" : \"2026-11-26T1"
	"1:30:00+09:00\",\012  \"updated_at\" : \"2026-11-26T11:31:00+09:00\",\012"
	"  \"publication_date\" : \"2026-12-15T00:00:00+09:00\",\012  \"target_d"
	"ate\" : \"2027-01-10T11:30:00+09:00\",\012  \"publication_history\" : ["
	"\012    {\012      \"at\" : \"2026-11-26T11:30:00+09:00\",\012      \"f"
	"rom\" : null,\012      \"to\" : \"2026-12-15T00:00:00+09:00\",\012     "
	" \"message_id\" : \"<20261126.1@jpcert.or.jp>\"\012    }\012  ],\012  \""
	"statement_state\" : \"requested\",\012  \"statement_status\" : null,\012"
	"  \"statement_sent_at\" : null,\012  \"message_ids\" : [\012    \"<2026"
	"1126.1@jpcert.or.jp>\"\012  ],\012  \"notes\" : [\012    \"2026-11-26T1"
	"0:11:00+09:00\\tpocctl:0(root)\\tcalled \346\227\245\346\234\254 \\\"x\\"
	"\"\"\012  ],\012  \"messages\" : [\012    {\012      \"message_id\" : \""
	"<20261126.1@jpcert.or.jp>\",\012      \"case_id\" : \"JPCERT#12345678\""
	",\012      \"received_at\" : \"2026-11-26T11:30:00+09:00\",\012      \""
	"queue_id\" : \"4QXyz1\",\012      \"envelope_from\" : \"vuls@jpcert.or."
	"jp\",\012      \"from\" : \"vuls@jpcert.or.jp\",\012      \"subject\" :"
	" \"[JPCERT#12345678] \350\204\206\345\274\261\346\200\247 \\\"\345\274\225"
	"\347\224\250\\\" \\\\ tab\\there\\nnl\\r \\u0001\\b\\f\\u007f \360\237\230"
	"\200 /\",\012      \"date\" : \"Thu, 26 Nov 2026 10:00:00 +0900\",\012 "
	"     \"in_reply_to\" : null,\012      \"kind\" : \"schedule\",\012     "
	" \"kind_rule\" : \"built-in 3\",\012      \"encrypted\" : true,\012    "
	"  \"decryption\" : \"ok\",\012      \"signature\" : \"good\",\012      "
	"\"signer\" : \"0123456789ABCDEF0123456789ABCDEF01234567\",\012      \"s"
	"ignature_id\" : \"0123456789ABCDEF0123456789ABCDEF01234567@1795660000@8"
	"\",\012      \"signature_covers\" : \"part\",\012      \"tracking\" : \""
	"JPCERT#12345678\",\012      \"related_tracking\" : [\012        \"JPCER"
	"T#87654321\"\012      ],\012      \"vuln_ids\" : [\012        \"JVNVU#9"
	"9999999\",\012        \"CVE-2026-123456\"\012      ],\012      \"public"
	"ation_date\" : \"2026-12-15T00:00:00+09:00\",\012      \"claimed_public"
	"ation_date\" : \"2026-12-16T00:00:00+09:00\",\012      \"claimed_statem"
	"ent_request\" : true,\012      \"claim_accepted_at\" : null,\012      \""
	"auto_submitted\" : false,\012      \"from_coordinator\" : true,\012    "
	"  \"ack_required\" : true,\012      \"ack_deadline\" : \"2026-11-27T09:"
	"30:00+09:00\",\012      \"ack_state\" : \"sent\",\012      \"ack_sent_a"
	"t\" : \"2026-11-26T11:31:00+09:00\",\012      \"ack_message_id\" : \"<a"
	"ck.1@vendor.example>\",\012      \"ack_note\" : null,\012      \"proble"
	"ms\" : [\012        \"Subject: outside the signature\"\012      ],\012 "
	"     \"size\" : 1099511627776\012    }\012  ]\012}";
static const char old_outbox[] =
	"{\"v\":1,\"id\":9007199254740993,\"kind\":\"statement\",\"message_id\":"
	"\"<20261126.1@jpcert.or.jp>\",\"case_id\":\"JPCERT#12345678\",\"ack_mes"
	"sage_id\":\"<st.1@vendor.example>\",\"recipient\":\"vuls@jpcert.or.jp\""
	",\"template\":\"statement\",\"state\":\"failed\",\"attempts\":7,\"creat"
	"ed_at\":\"2026-11-26T11:30:00+09:00\",\"next_attempt_at\":\"2026-11-26T"
	"11:40:00+09:00\",\"sent_at\":null,\"last_error\":\"sendmail: exit 75\\n"
	"\",\"payload\":\"AAEC/woi\"}";
static const char old_event[] =
	"{\"v\":1,\"at\":\"2026-11-26T11:31:00+09:00\",\"case_id\":\"JPCERT#1234"
	"5678\",\"type\":\"ack-sent\",\"actor\":\"pocctl:0(root)\",\"message_id\""
	":null,\"detail\":\"outbox 3 \\\"ok\\\"\"}";
static const char old_spool[] =
	"{\"v\":1,\"received_at\":\"2026-11-26T11:30:00+09:00\",\"queue_id\":\"4"
	"QXyz1\",\"envelope_from\":\"<>\",\"recipients\":[\"poc@vendor.example\""
	"],\"source\":\"import:/var/mail/\303\274\"}";

/* Written by someone else: escapes, surrogate pairs, big numbers, nulls, missing members. */
static const char other_message[] =
	"{\"message_id\":\"<\\ud83d\\ude00@x>\",\"subject\":\"\\u00e9\\u3042\\ud83d\\ude00\\/"
	"\\\"\\\\\\b\\f\\n\\r\\t\\u0001\\u001F\",\"signer\":null,\"problems\":null,"
	"\"size\":9007199254740993,\"ack_state\":\"queued\",\"unknown\":[1,-2.5e-3,{\"x\":[]}]}";
static const char other_outbox[] = "{\"v\":7,\"id\":9007199254740993,\"state\":\"queued\"}";

static void
check_old_message(const poc_message *m)
{
	ck_assert_str_eq(m->message_id, "<20261126.1@jpcert.or.jp>");
	ck_assert_str_eq(m->case_id, "JPCERT#12345678");
	ck_assert_int_eq(m->received_at, 1795660200);
	ck_assert_str_eq(m->queue_id, "4QXyz1");
	ck_assert_str_eq(m->envelope_from, "vuls@jpcert.or.jp");
	ck_assert_str_eq(m->from, "vuls@jpcert.or.jp");
	ck_assert_str_eq(m->subject, "[JPCERT#12345678] 脆弱性 \"引用\" \\ tab\there\nnl\r "
				     "\x01\x08\x0c\x7f 😀 /");
	ck_assert_str_eq(m->date, "Thu, 26 Nov 2026 10:00:00 +0900");
	ck_assert_ptr_null(m->in_reply_to);
	ck_assert_int_eq(m->kind, POC_KIND_SCHEDULE);
	ck_assert_str_eq(m->kind_rule, "built-in 3");
	ck_assert(m->encrypted);
	ck_assert_int_eq(m->decryption, POC_DECRYPTION_OK);
	ck_assert_int_eq(m->signature, POC_SIGNATURE_GOOD);
	ck_assert_str_eq(m->signer, "0123456789ABCDEF0123456789ABCDEF01234567");
	ck_assert_str_eq(m->signature_id, "0123456789ABCDEF0123456789ABCDEF01234567@1795660000@8");
	ck_assert_int_eq(m->signature_covers, POC_COVERS_PART);
	ck_assert_str_eq(m->tracking, "JPCERT#12345678");
	ck_assert_int_eq(m->related_tracking->len, 1);
	ck_assert_str_eq(g_ptr_array_index(m->related_tracking, 0), "JPCERT#87654321");
	ck_assert_int_eq(m->vuln_ids->len, 2);
	ck_assert_str_eq(g_ptr_array_index(m->vuln_ids, 0), "JVNVU#99999999");
	ck_assert_str_eq(g_ptr_array_index(m->vuln_ids, 1), "CVE-2026-123456");
	ck_assert_int_eq(m->publication_date, 1797260400);
	ck_assert_int_eq(m->claimed_publication_date, 1797346800);
	ck_assert(m->claimed_statement_request);
	ck_assert_int_eq(m->claim_accepted_at, 0);
	ck_assert(!m->auto_submitted);
	ck_assert(m->from_coordinator);
	ck_assert(m->ack_required);
	ck_assert_int_eq(m->ack_deadline, 1795739400);
	ck_assert_int_eq(m->ack_state, POC_ACK_SENT);
	ck_assert_int_eq(m->ack_sent_at, 1795660260);
	ck_assert_str_eq(m->ack_message_id, "<ack.1@vendor.example>");
	ck_assert_ptr_null(m->ack_note);
	ck_assert_int_eq(m->problems->len, 1);
	ck_assert_str_eq(g_ptr_array_index(m->problems, 0), "Subject: outside the signature");
	ck_assert(m->size == (gsize)1 << 40);
}

static void
check_old_case(const poc_case *c)
{
	const poc_pub_change *pc;

	ck_assert_str_eq(c->id, "JPCERT#12345678");
	ck_assert_str_eq(c->tracking, "JPCERT#12345678");
	ck_assert_int_eq(c->vuln_ids->len, 1);
	ck_assert_str_eq(g_ptr_array_index(c->vuln_ids, 0), "JVNVU#99999999");
	ck_assert_int_eq(c->cve_ids->len, 1);
	ck_assert_str_eq(g_ptr_array_index(c->cve_ids, 0), "CVE-2026-123456");
	ck_assert_int_eq(c->related_tracking->len, 0);
	ck_assert_str_eq(c->state, "open");
	ck_assert_int_eq(c->opened_at, 1795660200);
	ck_assert_int_eq(c->updated_at, 1795660260);
	ck_assert_int_eq(c->publication_date, 1797260400);
	ck_assert_int_eq(c->target_date, 1795660200 + 45 * 86400);
	ck_assert_int_eq(c->publication_history->len, 1);
	pc = g_ptr_array_index(c->publication_history, 0);
	ck_assert_int_eq(pc->at, 1795660200);
	ck_assert_int_eq(pc->from, 0);
	ck_assert_int_eq(pc->to, 1797260400);
	ck_assert_str_eq(pc->message_id, "<20261126.1@jpcert.or.jp>");
	ck_assert_int_eq(c->statement_state, POC_STATEMENT_REQUESTED);
	ck_assert_ptr_null(c->statement_status);
	ck_assert_int_eq(c->statement_sent_at, 0);
	ck_assert_int_eq(c->message_ids->len, 1);
	ck_assert_str_eq(g_ptr_array_index(c->message_ids, 0), "<20261126.1@jpcert.or.jp>");
	ck_assert_int_eq(c->notes->len, 1);
	ck_assert_str_eq(g_ptr_array_index(c->notes, 0),
			 "2026-11-26T10:11:00+09:00\tpocctl:0(root)\tcalled 日本 \"x\"");
}

START_TEST(test_old_records_read)
{
	poc_message *m;
	poc_case *c;
	poc_outbox_entry *e;
	poc_event ev;
	poc_spool_info si;
	static const guchar bin[] = { 0, 1, 2, 255, '\n', '"' };
	int v = -1;

	m = poc_message_decode(old_message, strlen(old_message), &v, NULL);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(v, 1);
	check_old_message(m);
	poc_message_free(m);

	c = poc_case_decode(old_case, strlen(old_case), &v, NULL);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(v, 1);
	check_old_case(c);
	poc_case_free(c);

	c = poc_case_decode(old_export, strlen(old_export), &v, NULL);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(v, 0);
	check_old_case(c);
	poc_case_free(c);
	c = poc_case_decode(old_export_pretty, strlen(old_export_pretty), NULL, NULL);
	ck_assert_ptr_nonnull(c);
	check_old_case(c);
	poc_case_free(c);

	e = poc_outbox_entry_decode(old_outbox, strlen(old_outbox), &v, NULL);
	ck_assert_ptr_nonnull(e);
	ck_assert(e->id == 9007199254740993ULL);
	ck_assert_int_eq(e->kind, POC_OUTBOX_STATEMENT);
	ck_assert_str_eq(e->message_id, "<20261126.1@jpcert.or.jp>");
	ck_assert_str_eq(e->case_id, "JPCERT#12345678");
	ck_assert_str_eq(e->ack_message_id, "<st.1@vendor.example>");
	ck_assert_str_eq(e->recipient, "vuls@jpcert.or.jp");
	ck_assert_str_eq(e->template_name, "statement");
	ck_assert_int_eq(e->state, POC_OUTBOX_FAILED);
	ck_assert_int_eq(e->attempts, 7);
	ck_assert_int_eq(e->created_at, 1795660200);
	ck_assert_int_eq(e->next_attempt_at, 1795660800);
	ck_assert_int_eq(e->sent_at, 0);
	ck_assert_str_eq(e->last_error, "sendmail: exit 75\n");
	ck_assert(g_bytes_get_size(e->payload) == sizeof(bin));
	ck_assert(memcmp(g_bytes_get_data(e->payload, NULL), bin, sizeof(bin)) == 0);
	poc_outbox_entry_free(e);

	ck_assert_int_eq(poc_event_decode(old_event, strlen(old_event), &ev, &v, NULL), POC_OK);
	ck_assert_int_eq(ev.at, 1795660260);
	ck_assert_str_eq(ev.case_id, "JPCERT#12345678");
	ck_assert_str_eq(ev.type, "ack-sent");
	ck_assert_str_eq(ev.actor, "pocctl:0(root)");
	ck_assert_ptr_null(ev.message_id);
	ck_assert_str_eq(ev.detail, "outbox 3 \"ok\"");
	poc_event_clear(&ev);

	ck_assert_int_eq(poc_spool_info_decode(old_spool, strlen(old_spool), &si, &v, NULL), POC_OK);
	ck_assert_int_eq(si.received_at, 1795660200);
	ck_assert_str_eq(si.queue_id, "4QXyz1");
	ck_assert_str_eq(si.envelope_from, "<>");
	ck_assert_int_eq(si.recipients->len, 1);
	ck_assert_str_eq(g_ptr_array_index(si.recipients, 0), "poc@vendor.example");
	ck_assert_str_eq(si.source, "import:/var/mail/ü");
	poc_spool_info_clear(&si);
}
END_TEST

START_TEST(test_other_writers_read)
{
	poc_message *m = poc_message_decode(other_message, strlen(other_message), NULL, NULL);
	poc_outbox_entry *e;
	int v;

	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->message_id, "<😀@x>");
	ck_assert_str_eq(m->subject, "éあ😀/\"\\\b\f\n\r\t\x01\x1f");
	ck_assert_ptr_null(m->signer);
	ck_assert_int_eq(m->problems->len, 0);	/* null reads as [] */
	ck_assert(m->size == 9007199254740993ULL);
	ck_assert_int_eq(m->ack_state, POC_ACK_QUEUED);
	/* missing members keep their defaults */
	ck_assert_ptr_null(m->case_id);
	ck_assert_int_eq(m->received_at, 0);
	ck_assert_int_eq(m->kind, 0);
	ck_assert(!m->encrypted);
	ck_assert_int_eq(m->vuln_ids->len, 0);
	ck_assert_int_eq(m->ack_deadline, 0);
	poc_message_free(m);
	e = poc_outbox_entry_decode(other_outbox, strlen(other_outbox), &v, NULL);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(v, 7);
	ck_assert(e->id == 9007199254740993ULL);
	ck_assert_int_eq(e->state, POC_OUTBOX_QUEUED);
	ck_assert_ptr_null(e->payload);
	poc_outbox_entry_free(e);
}
END_TEST

/* What `pocctl export` and `show --json` printed through json-glib, byte for byte. */
START_TEST(test_export_bytes_unchanged)
{
	poc_case *c = poc_case_decode(old_case, strlen(old_case), NULL, NULL);
	GPtrArray *msgs = g_ptr_array_new_with_free_func((GDestroyNotify)poc_message_free);
	GString *line = g_string_new(NULL), *pretty = g_string_new(NULL);
	const char *text;

	g_ptr_array_add(msgs, poc_message_decode(old_message, strlen(old_message), NULL, NULL));
	poc_case_encode(c, msgs, 0, line);
	ck_assert_str_eq(line->str, old_export);
	poc_json_pretty(line->str, line->len, pretty);
	ck_assert_str_eq(pretty->str, old_export_pretty);
	g_string_truncate(pretty, 0);
	poc_json_pretty("[]", 2, pretty);
	ck_assert_str_eq(pretty->str, "[]");
	g_string_truncate(pretty, 0);
	text = "{\"a\":{},\"b\":[{}],\"c\":\"{[,:\\\"]}\"}";
	poc_json_pretty(text, strlen(text), pretty);
	ck_assert_str_eq(pretty->str, "{\n  \"a\" : {  },\n  \"b\" : [\n    {    }\n  ],\n"
				      "  \"c\" : \"{[,:\\\"]}\"\n}");
	g_string_free(line, TRUE), g_string_free(pretty, TRUE);
	g_ptr_array_unref(msgs);
	poc_case_free(c);
}
END_TEST

/* Every control character is escaped (json-glib 1.6 let 0x1f through raw). */
START_TEST(test_control_characters)
{
	poc_message *m = poc_message_new(), *back;
	char *text;

	m->subject = g_strdup("\x01\x08\x0c\x1f\x7f");
	text = enc(m, 0);
	ck_assert_ptr_nonnull(strstr(text, "\"subject\":\"\\u0001\\b\\f\\u001f\\u007f\""));
	back = poc_message_decode(text, strlen(text), NULL, NULL);
	ck_assert_str_eq(back->subject, m->subject);
	poc_message_free(m), poc_message_free(back);
	g_free(text);
}
END_TEST

START_TEST(test_roundtrip)
{
	poc_message *m = sample(), *x;
	char *a = enc(m, POC_ENCODE_VERSION), *b;
	int v;

	ck_assert(g_str_has_prefix(a, "{\"v\":1,"));
	x = poc_message_decode(a, strlen(a), &v, NULL);
	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(v, 1);
	b = enc(x, POC_ENCODE_VERSION);
	ck_assert_str_eq(a, b);
	ck_assert_str_eq(x->subject, m->subject);
	ck_assert_int_eq(x->ack_deadline, m->ack_deadline);
	g_free(a), g_free(b);
	poc_message_free(m), poc_message_free(x);
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

	c->id = g_strdup("LOCAL-20261126-001");
	c->state = g_strdup("open");
	c->opened_at = 1795655400;
	g_ptr_array_add(c->message_ids, g_strdup("<20261126.1@jpcert.or.jp>"));
	g_ptr_array_add(msgs, sample());
	poc_case_encode(c, msgs, 0, fast);
	n = poc_json_parse(fast->str, (gssize)fast->len, NULL);	/* any JSON reader reads it */
	ck_assert_ptr_nonnull(n);
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
	back = poc_case_decode(fast->str, fast->len, NULL, NULL);
	ck_assert_str_eq(back->id, c->id);
	ck_assert_int_eq(back->message_ids->len, 1);
	ck_assert_int_eq(back->opened_at, c->opened_at);
	poc_case_free(back);
	json_node_unref(n);
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

	tcase_add_test(tc, test_export_bytes_unchanged);
	tcase_add_test(tc, test_control_characters);
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_decode_any_json);
	tcase_add_test(tc, test_decode_errors);
	tcase_add_test(tc, test_case_export);
	tcase_add_test(tc, test_outbox_event_spool);
	tcase_add_test(tc, test_times_match_util);
	tcase_add_test(tc, test_old_records_read);
	tcase_add_test(tc, test_other_writers_read);
	suite_add_tcase(s, tc);
	return run_suite(s, CK_FORK_GETENV);
}
