/*
 * NAME
 *	test_ack - who gets an acknowledgement, templates, the composed
 *	PGP/MIME mail (charsets, headers, injection), and hold mode's guard
 * DESCRIPTION
 *	Keys are made at start by tests/make-keys.sh in a short /tmp
 *	directory: the vendor home composes (signs, encrypts), the
 *	coordinator home decrypts and verifies what was composed, as the
 *	coordinator would. The guard runs on a runtime with a database in a
 *	temporary directory and the real templates of conf/templates.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>
#include <gmime/gmime.h>

#include "ack.h"
#include "notice.h"
#include "runtime.h"
#include "testutil.h"

static char *keydir, *srcdir, *tmpldir;
static char *fpr_coord, *fpr_vendor, *fpr_third;
static poc_crypto *coord, *vendor;
static poc_templates *ja, *en;

/* --- set-up ----------------------------------------------------------------- */

static void
setup_all(void)
{
	char *h;

	srcdir = g_strdup(g_getenv("srcdir") ? g_getenv("srcdir") : ".");
	tmpldir = g_build_filename(srcdir, "conf", "templates", NULL);
	keydir = keys_make();
	fpr_coord = keys_env(keydir, "FPR_COORD");
	fpr_vendor = keys_env(keydir, "FPR_VENDOR");
	fpr_third = keys_env(keydir, "FPR_THIRD");
	h = g_build_filename(keydir, "coord", NULL);
	if (poc_crypto_new(h, &coord, NULL) != POC_OK)
		exit(99);
	g_free(h);
	h = g_build_filename(keydir, "vendor", NULL);
	if (poc_crypto_new(h, &vendor, NULL) != POC_OK)
		exit(99);
	g_free(h);
	if (poc_templates_load(tmpldir, "ja", &ja, NULL) != POC_OK ||
	    poc_templates_load(tmpldir, "en", &en, NULL) != POC_OK)
		exit(99);
}

static void
teardown_all(void)
{
	poc_crypto_free(coord);
	poc_crypto_free(vendor);
	poc_templates_free(ja);
	poc_templates_free(en);
	keys_remove(keydir);
}

static void
set_str(char **field, const char *value)
{
	g_free(*field);
	*field = g_strdup(value);
}

static void
need_list(GPtrArray **list)
{
	if (!*list)
		*list = poc_config_list_new();
}

static poc_config *
test_config(void)
{
	poc_config *cfg = poc_config_new();

	need_list(&cfg->coordinator);
	need_list(&cfg->coordinator_key);
	need_list(&cfg->ack_encrypt_to);
	need_list(&cfg->ack_kinds);

	set_str(&cfg->ack_from, "security@vendor.example");
	set_str(&cfg->organization, "Vendor Example");
	set_str(&cfg->poc_name, "PSIRT");
	g_ptr_array_add(cfg->coordinator, g_strdup("vuls@jpcert.or.jp"));
	g_ptr_array_add(cfg->coordinator_key, g_strdup(fpr_coord));
	return cfg;
}

/* A good summary notice from the coordinator, as the reader would leave it. */
static poc_message *
good_notice(void)
{
	poc_message *m = poc_message_new();

	m->message_id = g_strdup("<n1@jpcert.or.jp>");
	m->case_id = g_strdup("JPCERT#12345678");
	m->tracking = g_strdup("JPCERT#12345678");
	m->from = g_strdup("vuls@jpcert.or.jp");
	m->subject = g_strdup("[JPCERT#12345678] 脆弱性関連情報(概要情報)のお知らせ");
	m->date = g_strdup("Wed, 25 Nov 2026 10:00:00 +0900");
	m->received_at = 1795568400;	/* 2026-11-25T10:00:00+09:00 */
	m->ack_deadline = 1795681800;	/* 2026-11-26T17:30:00+09:00 */
	m->kind = POC_KIND_SUMMARY;
	m->encrypted = TRUE;
	m->decryption = POC_DECRYPTION_OK;
	m->signature = POC_SIGNATURE_GOOD;
	m->signature_covers = POC_COVERS_ALL;
	m->signer = g_strdup(fpr_coord);
	m->from_coordinator = TRUE;
	g_ptr_array_add(m->vuln_ids, g_strdup("JVNVU#99999999"));
	g_ptr_array_add(m->vuln_ids, g_strdup("CVE-2026-12345"));
	return m;
}

/* --- policy ------------------------------------------------------------------ */

/*
 * The reader marks our own mail (From: an own address, or our X-POC-Ack
 * header) with own_mail and the problem line records keep; other
 * automatic mail is auto_submitted only.
 */
START_TEST(test_read_own_mail)
{
	static const char *const own[] = { "security@vendor.example", NULL };
	static const struct {
		const char *headers;
		gboolean auto_submitted, own_mail;
	} mails[] = {
		{ "From: security@vendor.example\n", TRUE, TRUE },
		{ "From: vuls@jpcert.or.jp\n" POC_OWN_HEADER ": JPCERT#12345678\n", TRUE, TRUE },
		{ "From: vuls@jpcert.or.jp\nAuto-Submitted: auto-replied\n", TRUE, FALSE },
		{ "From: vuls@jpcert.or.jp\n", FALSE, FALSE },
	};
	poc_reader reader = { .own_addresses = own };
	poc_config *cfg = test_config();

	for (guint i = 0; i < G_N_ELEMENTS(mails); i++) {
		char *raw = g_strdup_printf("%sTo: security@vendor.example\nSubject: [JPCERT#12345678]\n"
					    "Message-ID: <own%u@x>\n\nbody\n", mails[i].headers, i);
		poc_message *m = poc_message_new();
		GError *err = NULL;

		ck_assert_int_eq(poc_notice_read(&reader, raw, strlen(raw), m, &err), POC_OK);
		ck_assert_int_eq(m->auto_submitted, mails[i].auto_submitted);
		ck_assert_int_eq(m->own_mail, mails[i].own_mail);
		ck_assert_int_eq(poc_notice_has_problem(m, POC_PROBLEM_OWN_MAIL), mails[i].own_mail);
		if (mails[i].auto_submitted) {
			poc_ack_decide(cfg, m);
			ck_assert_str_eq(m->ack_note, mails[i].own_mail
						     ? "our own mail: never acknowledged"
						     : "auto-submitted, bounce or list mail: never acknowledged by itself");
		}
		poc_message_free(m);
		g_free(raw);
	}
	poc_config_free(cfg);
}
END_TEST

START_TEST(test_decide_auto)
{
	poc_config *cfg = test_config();
	poc_message *m = good_notice();

	poc_ack_decide(cfg, m);
	ck_assert(m->ack_required);
	ck_assert_int_eq(m->ack_state, POC_ACK_QUEUED);
	ck_assert_ptr_null(m->ack_note);
	for (poc_kind k = POC_KIND_DETAIL; k <= POC_KIND_SCHEDULE; k++) {
		m->kind = k;
		poc_ack_decide(cfg, m);
		ck_assert_int_eq(m->ack_state, POC_ACK_QUEUED);
	}
	poc_message_free(m);
	poc_config_free(cfg);
}
END_TEST

/* Every reason not to answer by ourselves: held, with the reason kept. */
START_TEST(test_decide_held)
{
	poc_config *cfg = test_config();
	static const poc_signature sigs[] = { POC_SIGNATURE_UNTRUSTED, POC_SIGNATURE_BAD,
					      POC_SIGNATURE_UNKNOWN_KEY, POC_SIGNATURE_NONE };
	poc_message *m;

	for (size_t i = 0; i < G_N_ELEMENTS(sigs); i++) {
		m = good_notice();
		m->signature = sigs[i];
		poc_ack_decide(cfg, m);
		ck_assert_int_eq(m->ack_state, POC_ACK_HELD);
		ck_assert(m->ack_required);
		ck_assert_str_eq(m->ack_note, "signature is not good");
		ck_assert(!poc_ack_may_auto(cfg, NULL, m));
		poc_message_free(m);
	}
	/* A good signature that does not cover all (issue 22), or of an older record. */
	for (poc_sig_covers cv = POC_COVERS_NONE; cv <= POC_COVERS_PART; cv++) {
		if (cv == POC_COVERS_ALL)
			continue;
		m = good_notice();
		m->signature_covers = cv;
		poc_ack_decide(cfg, m);
		ck_assert_int_eq(m->ack_state, POC_ACK_HELD);
		ck_assert(g_str_has_prefix(m->ack_note, "signature does not cover the whole message"));
		ck_assert(!poc_ack_may_auto(cfg, NULL, m));
		poc_message_free(m);
	}
	m = good_notice();
	m->decryption = POC_DECRYPTION_FAILED;
	poc_ack_decide(cfg, m);
	ck_assert_int_eq(m->ack_state, POC_ACK_HELD);
	ck_assert_str_eq(m->ack_note, "could not be decrypted");
	poc_message_free(m);

	/* From someone else (a finder, or a spoofer without the coordinator's address). */
	m = good_notice();
	m->from_coordinator = FALSE;
	poc_ack_decide(cfg, m);
	ck_assert_int_eq(m->ack_state, POC_ACK_HELD);
	ck_assert_int_eq(m->kind, POC_KIND_DIRECT_REPORT);
	/* pocctl show says what decided the kind: the policy, not a rule */
	ck_assert_str_eq(m->kind_rule, "acknowledgement policy: not from a coordinator");
	poc_message_free(m);

	/* Auto-replies, bounces, list mail: held, never queued. */
	m = good_notice();
	m->auto_submitted = TRUE;
	poc_ack_decide(cfg, m);
	ck_assert_int_eq(m->ack_state, POC_ACK_HELD);
	ck_assert(strstr(m->ack_note, "auto-submitted") != NULL);
	poc_message_free(m);

	/* Our own acknowledgement coming back. */
	m = good_notice();
	m->auto_submitted = m->own_mail = TRUE;
	poc_ack_decide(cfg, m);
	ck_assert_int_eq(m->ack_state, POC_ACK_HELD);
	ck_assert(strstr(m->ack_note, "own mail") != NULL);
	poc_message_free(m);

	/* A kind not in AckKinds. */
	m = good_notice();
	m->kind = POC_KIND_OTHER;
	poc_ack_decide(cfg, m);
	ck_assert_int_eq(m->ack_state, POC_ACK_HELD);
	ck_assert(m->ack_required);	/* held with a deadline: paged, never silent */
	ck_assert_str_eq(m->ack_note,
			 "kind not in AckKinds (other: no rule knew its words; a person reads it)");
	poc_message_free(m);

	/* AckKinds is configurable. */
	g_ptr_array_set_size(cfg->ack_kinds, 0);
	g_ptr_array_add(cfg->ack_kinds, g_strdup("detail"));
	m = good_notice();
	poc_ack_decide(cfg, m);
	ck_assert_int_eq(m->ack_state, POC_ACK_HELD);
	m->kind = POC_KIND_DETAIL;
	poc_ack_decide(cfg, m);
	ck_assert_int_eq(m->ack_state, POC_ACK_QUEUED);
	poc_message_free(m);

	/* hold and off: ack-worthy, but not by itself. */
	cfg->ack_mode = POC_ACK_MODE_HOLD;
	m = good_notice();
	m->kind = POC_KIND_DETAIL;
	poc_ack_decide(cfg, m);
	ck_assert_int_eq(m->ack_state, POC_ACK_HELD);
	ck_assert(poc_ack_may_auto(cfg, NULL, m));
	cfg->ack_mode = POC_ACK_MODE_OFF;
	poc_ack_decide(cfg, m);
	ck_assert_int_eq(m->ack_state, POC_ACK_HELD);
	ck_assert_str_eq(m->ack_note, "AckMode off");
	poc_message_free(m);
	poc_config_free(cfg);
}
END_TEST

/* --- templates ---------------------------------------------------------------- */

START_TEST(test_template_check)
{
	GError *err = NULL;
	const char *ok = "{{tracking}} {{ vuln_ids }} {{subject}} {{date}} {{received_at}} "
			 "{{deadline}} {{organization}} {{poc_name}}";

	ck_assert_int_eq(poc_template_check(ok, strlen(ok), NULL), POC_OK);
	ck_assert_int_eq(poc_template_check("a\n{{trackin}}", 13, &err), POC_ERR_TEMPLATE);
	ck_assert(strstr(err->message, "line 2") && strstr(err->message, "trackin"));
	g_clear_error(&err);
	ck_assert_int_eq(poc_template_check("{{tracking\n}}", 13, &err), POC_ERR_TEMPLATE);
	g_clear_error(&err);
	ck_assert_int_eq(poc_template_check("\xff\xfe", 2, &err), POC_ERR_TEMPLATE);
	g_clear_error(&err);
}
END_TEST

static char *
write_template_set(const char *extra_name, const char *extra_text, const char *skip)
{
	static const char *const kinds[] = { "summary", "detail", "publication", "schedule",
					     "other", "direct-report" };
	char *dir = g_strdup("/tmp/ptXXXXXX"), *lang;

	ck_assert_ptr_nonnull(g_mkdtemp(dir));
	lang = g_build_filename(dir, "ja", NULL);
	g_mkdir(lang, 0700);
	for (size_t i = 0; i < G_N_ELEMENTS(kinds); i++) {
		char *f = g_strdup_printf("%s/%s.tmpl", lang, kinds[i]);
		if (!skip || strcmp(skip, kinds[i]) != 0)
			g_file_set_contents(f, "{{tracking}}\n", -1, NULL);
		g_free(f);
	}
	if (extra_name) {
		char *f = g_strdup_printf("%s/%s.tmpl", lang, extra_name);
		g_file_set_contents(f, extra_text, -1, NULL);
		g_free(f);
	}
	g_free(lang);
	return dir;
}

/* A broken or missing template is a configuration error at start. */
START_TEST(test_template_load_errors)
{
	poc_templates *t = NULL;
	GError *err = NULL;
	char *dir;

	dir = write_template_set("summary-extra", "{{tracking}} {{no_such_thing}}\n", NULL);
	ck_assert_int_eq(poc_templates_load(dir, "ja", &t, &err), POC_ERR_CONFIG);
	ck_assert_ptr_null(t);
	ck_assert(strstr(err->message, "no_such_thing") != NULL);
	g_clear_error(&err);
	rmtree(dir), g_free(dir);

	dir = write_template_set(NULL, NULL, "schedule");
	ck_assert_int_eq(poc_templates_load(dir, "ja", &t, &err), POC_ERR_CONFIG);
	ck_assert(strstr(err->message, "schedule.tmpl") != NULL);
	g_clear_error(&err);
	ck_assert_int_eq(poc_templates_load(dir, "en", &t, &err), POC_ERR_CONFIG);
	g_clear_error(&err);
	rmtree(dir), g_free(dir);

	dir = write_template_set("summary-extra", "{{tracking}}\n", NULL);
	ck_assert_int_eq(poc_templates_load(dir, "ja", &t, &err), POC_OK);
	ck_assert(poc_templates_has(t, "summary-extra"));
	poc_templates_free(t);
	rmtree(dir), g_free(dir);
}
END_TEST

/* Every shipped template, Japanese and English, renders with nothing left unfilled. */
START_TEST(test_templates_render_all)
{
	poc_config *cfg = test_config();
	poc_message *m = good_notice();
	GHashTable *vars = poc_ack_vars(cfg, m, m->received_at);
	poc_templates *sets[] = { ja, en };
	static const char *const named[] = { "summary", "summary-affected", "summary-not-affected",
					     "detail", "publication", "schedule", "other",
					     "direct-report" };

	for (size_t s = 0; s < G_N_ELEMENTS(sets); s++) {
		GPtrArray *names = poc_templates_names(sets[s]);

		for (size_t i = 0; i < G_N_ELEMENTS(named); i++)
			ck_assert_msg(poc_templates_has(sets[s], named[i]), "no template %s", named[i]);
		for (guint i = 0; i < names->len; i++) {
			poc_outbox_entry *e = NULL;
			GError *err = NULL;

			ck_assert_int_eq(poc_ack_compose(cfg, sets[s], vendor, m,
							 g_ptr_array_index(names, i), m->received_at,
							 &e, &err),
					 POC_OK);
			poc_outbox_entry_free(e);
		}
		g_ptr_array_unref(names);
	}
	/* The values themselves. */
	ck_assert_str_eq(g_hash_table_lookup(vars, "tracking"), "JPCERT#12345678");
	ck_assert_str_eq(g_hash_table_lookup(vars, "vuln_ids"), "JVNVU#99999999, CVE-2026-12345");
	ck_assert_str_eq(g_hash_table_lookup(vars, "received_at"), "2026-11-25T10:00:00+09:00");
	ck_assert_str_eq(g_hash_table_lookup(vars, "deadline"), "2026-11-26T17:30:00+09:00");
	ck_assert_str_eq(g_hash_table_lookup(vars, "organization"), "Vendor Example");
	ck_assert_str_eq(g_hash_table_lookup(vars, "poc_name"), "PSIRT");
	{
		char *out = poc_template_render("{{tracking}}|{{ deadline }}|{{poc_name}}", vars);
		ck_assert_str_eq(out, "JPCERT#12345678|2026-11-26T17:30:00+09:00|PSIRT");
		g_free(out);
	}
	g_hash_table_destroy(vars);
	poc_message_free(m);
	poc_config_free(cfg);
}
END_TEST

/* --- composing -------------------------------------------------------------------- */

typedef struct composed {
	char *outer;		/* the whole mail as queued */
	GMimeMessage *msg;	/* parsed */
	GMimeObject *inner;	/* the decrypted entity */
	GBytes *plain;		/* its bytes */
	poc_crypto_outcome outcome;
	poc_outbox_entry *entry;
} composed;

static void
composed_free(composed *c)
{
	g_free(c->outer);
	if (c->msg)
		g_object_unref(c->msg);
	if (c->inner)
		g_object_unref(c->inner);
	if (c->plain)
		g_bytes_unref(c->plain);
	poc_outbox_entry_free(c->entry);
}

static GMimeObject *
parse_entity(const void *data, size_t len)
{
	GMimeStream *st = g_mime_stream_mem_new_with_buffer(data, len);
	GMimeParser *p = g_mime_parser_new_with_stream(st);
	GMimeObject *o = g_mime_parser_construct_part(p, NULL);

	g_object_unref(p);
	g_object_unref(st);
	return o;
}

/* Compose, then read it as the coordinator does: parse, decrypt, verify. */
static int
compose_and_open(const poc_config *cfg, poc_templates *t, const poc_message *m, const char *name,
		 composed *c, GError **err)
{
	const char *trusted[] = { fpr_vendor, NULL };
	const char *begin, *end;
	GMimeStream *st;
	GMimeParser *p;
	int rc;

	memset(c, 0, sizeof(*c));
	rc = poc_ack_compose(cfg, t, vendor, m, name, 1795568460, &c->entry, err);
	if (rc != POC_OK)
		return rc;
	c->outer = g_strndup(g_bytes_get_data(c->entry->payload, NULL),
			     g_bytes_get_size(c->entry->payload));
	st = g_mime_stream_mem_new_with_buffer(c->outer, strlen(c->outer));
	p = g_mime_parser_new_with_stream(st);
	c->msg = g_mime_parser_construct_message(p, NULL);
	g_object_unref(p);
	g_object_unref(st);
	ck_assert_ptr_nonnull(c->msg);
	begin = strstr(c->outer, "-----BEGIN PGP MESSAGE-----");
	end = strstr(c->outer, "-----END PGP MESSAGE-----");
	ck_assert(begin && end);
	ck_assert_int_eq(poc_crypto_decrypt_verify(coord, begin, end - begin + 25, trusted, &c->plain,
						   &c->outcome, NULL),
			 POC_OK);
	c->inner = parse_entity(g_bytes_get_data(c->plain, NULL), g_bytes_get_size(c->plain));
	ck_assert_ptr_nonnull(c->inner);
	return POC_OK;
}

static char *
inner_text_utf8(composed *c)
{
	GMimePart *part = GMIME_PART(c->inner);
	GMimeStream *mem = g_mime_stream_mem_new();
	GByteArray *bytes;
	const char *cs = g_mime_object_get_content_type_parameter(c->inner, "charset");
	char *text;

	g_mime_data_wrapper_write_to_stream(g_mime_part_get_content(part), mem);
	bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	text = g_convert((char *)bytes->data, bytes->len, "UTF-8", cs, NULL, NULL, NULL);
	g_object_unref(mem);
	return text;
}

/* The inner part's charset parameter, lower case (a static buffer: compare at once). */
static const char *
inner_charset(composed *c)
{
	static char buf[32];

	g_strlcpy(buf, g_mime_object_get_content_type_parameter(c->inner, "charset"), sizeof(buf));
	for (char *p = buf; *p; p++)
		*p = g_ascii_tolower(*p);
	return buf;
}

static const char *
outer_header(composed *c, const char *name)
{
	return g_mime_object_get_header(GMIME_OBJECT(c->msg), name);
}

/* The raw (undecoded) value of a header line of the queued mail. */
static char *
raw_header_line(const char *mail, const char *name)
{
	char *pat = g_strdup_printf("\n%s: ", name);
	char *v = NULL;
	const char *p;

	p = g_str_has_prefix(mail, pat + 1) ? mail - 1 : strstr(mail, pat);

	if (p) {
		GString *s = g_string_new(NULL);

		p += strlen(pat);
		/* Unfold continuation lines. */
		while (*p) {
			size_t n = strcspn(p, "\n");
			g_string_append_len(s, p, n);
			p += n;
			if (*p == '\n' && (p[1] == ' ' || p[1] == '\t'))
				p++;
			else
				break;
		}
		v = g_string_free(s, FALSE);
	}
	g_free(pat);
	return v;
}

START_TEST(test_compose_headers)
{
	poc_config *cfg = test_config();
	poc_message *m = good_notice();
	composed c;
	char *raw;
	const char *v;

	g_free(m->subject);
	m->subject = g_strdup("Re: RE: [JPCERT#12345678] 脆弱性関連情報(概要情報)のお知らせ");
	ck_assert_int_eq(compose_and_open(cfg, ja, m, NULL, &c, NULL), POC_OK);

	/* Subject: "Re: " once, the tracking number kept, ISO-2022-JP encoded words. */
	raw = raw_header_line(c.outer, "Subject");
	ck_assert_ptr_nonnull(raw);
	ck_assert_msg(g_str_has_prefix(raw, "Re: [JPCERT#12345678] =?ISO-2022-JP?B?"),
		      "Subject not ISO-2022-JP encoded: %s", raw);
	for (const char *p = raw; *p; p++)
		ck_assert_msg((unsigned char)*p < 0x80, "8-bit byte in Subject");
	g_free(raw);
	ck_assert_str_eq(g_mime_message_get_subject(c.msg),
			 "Re: [JPCERT#12345678] 脆弱性関連情報(概要情報)のお知らせ");

	/* Threading, automatic reply, our Message-ID, Japan time. */
	ck_assert_str_eq(outer_header(&c, "In-Reply-To"), "<n1@jpcert.or.jp>");
	ck_assert_str_eq(outer_header(&c, "References"), "<n1@jpcert.or.jp>");
	ck_assert_str_eq(outer_header(&c, "Auto-Submitted"), "auto-replied");
	v = g_mime_message_get_message_id(c.msg);
	ck_assert(g_str_has_suffix(v, "@vendor.example"));
	{
		char *bracketed = g_strdup_printf("<%s>", v);
		ck_assert_str_eq(c.entry->ack_message_id, bracketed);
		g_free(bracketed);
	}
	raw = raw_header_line(c.outer, "Date");
	ck_assert_msg(g_str_has_suffix(raw, "+0900"), "Date not in Japan time: %s", raw);
	g_free(raw);
	ck_assert_str_eq(c.entry->recipient, "vuls@jpcert.or.jp");
	ck_assert_str_eq(c.entry->message_id, "<n1@jpcert.or.jp>");
	ck_assert_int_eq(c.entry->state, POC_OUTBOX_QUEUED);
	ck_assert_str_eq(c.entry->template_name, "summary");

	/* RFC 3156 and our signature on it. */
	ck_assert(g_mime_content_type_is_type(
		g_mime_object_get_content_type(g_mime_message_get_mime_part(c.msg)), "multipart",
		"encrypted"));
	ck_assert_int_eq(c.outcome.decryption, POC_DECRYPTION_OK);
	ck_assert_int_eq(c.outcome.signature, POC_SIGNATURE_GOOD);
	ck_assert_str_eq(c.outcome.signer, fpr_vendor);
	composed_free(&c);

	/* A subject without the tracking number gets it back. */
	g_free(m->subject);
	m->subject = g_strdup("Vulnerability information");
	ck_assert_int_eq(compose_and_open(cfg, en, m, NULL, &c, NULL), POC_OK);
	ck_assert_str_eq(g_mime_message_get_subject(c.msg),
			 "Re: [JPCERT#12345678] Vulnerability information");
	composed_free(&c);

	/* An outer Subject naming another tracking number is not echoed (issue 22). */
	g_free(m->subject);
	m->subject = g_strdup("[JPCERT#66666666] Summary information");
	ck_assert_int_eq(compose_and_open(cfg, en, m, NULL, &c, NULL), POC_OK);
	ck_assert_str_eq(g_mime_message_get_subject(c.msg),
			 "Re: [JPCERT#12345678] summary information");
	composed_free(&c);
	poc_message_free(m);
	poc_config_free(cfg);
}
END_TEST

START_TEST(test_compose_charsets)
{
	poc_config *cfg = test_config();
	poc_message *m = good_notice();
	composed c;
	char *text, *raw;
	GHashTable *vars;
	char *expect;

	/* Default: ISO-2022-JP body (7bit, escapes), and it decodes back to what was rendered. */
	ck_assert_int_eq(compose_and_open(cfg, ja, m, NULL, &c, NULL), POC_OK);
	ck_assert_str_eq(inner_charset(&c),
			 "iso-2022-jp");
	ck_assert(memmem(g_bytes_get_data(c.plain, NULL), g_bytes_get_size(c.plain), "\x1b$B", 3));
	text = inner_text_utf8(&c);
	vars = poc_ack_vars(cfg, m, 1795568460);
	expect = poc_template_render("{{organization}} {{poc_name}} です。", vars);
	ck_assert_msg(strstr(text, expect), "body: %s", text);
	ck_assert(strstr(text, "JPCERT#12345678"));
	ck_assert(strstr(text, "JVNVU#99999999, CVE-2026-12345"));
	ck_assert(strstr(text, "2026-11-25T10:00:00+09:00"));
	ck_assert(!strstr(text, "{{"));
	g_free(expect);
	g_free(text);
	/* The protected Subject inside is ISO-2022-JP too. */
	raw = g_strndup(g_bytes_get_data(c.plain, NULL), g_bytes_get_size(c.plain));
	ck_assert_msg(strstr(raw, "Subject: Re: [JPCERT#12345678]\r\n =?ISO-2022-JP?B?"), "%s", raw);
	ck_assert_str_eq(g_mime_object_get_header(c.inner, "Subject"),
			 "Re: [JPCERT#12345678] 脆弱性関連情報(概要情報)のお知らせ");
	g_free(raw);
	composed_free(&c);

	/* A character outside JIS X 0208 (①) in the subject: UTF-8 for what carries it. */
	g_free(m->subject);
	m->subject = g_strdup("[JPCERT#12345678] 脆弱性① のお知らせ");
	ck_assert_int_eq(compose_and_open(cfg, ja, m, NULL, &c, NULL), POC_OK);
	raw = raw_header_line(c.outer, "Subject");
	ck_assert_msg(strstr(raw, "=?UTF-8?B?"), "Subject: %s", raw);
	g_free(raw);
	ck_assert_str_eq(g_mime_message_get_subject(c.msg), "Re: [JPCERT#12345678] 脆弱性① のお知らせ");
	ck_assert_str_eq(inner_charset(&c),
			 "utf-8");
	text = inner_text_utf8(&c);
	ck_assert(strstr(text, "脆弱性①"));
	g_free(text);
	composed_free(&c);

	/* An ASCII subject stays plain. */
	g_free(m->subject);
	m->subject = g_strdup("[JPCERT#12345678] Vulnerability information");
	ck_assert_int_eq(compose_and_open(cfg, en, m, NULL, &c, NULL), POC_OK);
	raw = raw_header_line(c.outer, "Subject");
	ck_assert_str_eq(raw, "Re: [JPCERT#12345678] Vulnerability information");
	g_free(raw);
	composed_free(&c);

	/* AckCharset utf-8. */
	set_str(&cfg->ack_charset, "utf-8");
	g_free(m->subject);
	m->subject = g_strdup("[JPCERT#12345678] 概要情報");
	ck_assert_int_eq(compose_and_open(cfg, ja, m, NULL, &c, NULL), POC_OK);
	ck_assert_str_eq(inner_charset(&c),
			 "utf-8");
	raw = raw_header_line(c.outer, "Subject");
	ck_assert_msg(strstr(raw, "=?UTF-8?B?"), "Subject: %s", raw);
	g_free(raw);
	ck_assert_str_eq(g_mime_message_get_subject(c.msg), "Re: [JPCERT#12345678] 概要情報");
	text = inner_text_utf8(&c);
	ck_assert(strstr(text, "概要情報を受けました"));
	g_free(text);
	composed_free(&c);

	ck_assert_str_eq(poc_ack_charset_for("ｶﾀｶﾅ", "iso-2022-jp"), "utf-8");
	ck_assert_str_eq(poc_ack_charset_for("漢字とかな", "iso-2022-jp"), "iso-2022-jp");
	ck_assert_str_eq(poc_ack_charset_for("漢字", "utf-8"), "utf-8");
	g_hash_table_destroy(vars);
	poc_message_free(m);
	poc_config_free(cfg);
}
END_TEST

/* No header of ours can be made to carry a line of the notice's choosing. */
START_TEST(test_compose_injection)
{
	poc_config *cfg = test_config();
	poc_message *m = good_notice();
	composed c;
	GError *err = NULL;
	poc_outbox_entry *e = NULL;
	char *s;

	g_free(m->subject);
	m->subject = g_strdup("[JPCERT#12345678] hi\r\nBcc: victim@evil.example\r\n\r\nbody");
	g_free(m->message_id);
	m->message_id = g_strdup("<n2@jpcert.or.jp>\r\nCc: victim2@evil.example");
	ck_assert_int_eq(compose_and_open(cfg, en, m, NULL, &c, NULL), POC_OK);
	ck_assert(!strstr(c.outer, "\nBcc:"));
	ck_assert(!strstr(c.outer, "\nCc:"));
	ck_assert_ptr_null(outer_header(&c, "Bcc"));
	ck_assert_ptr_null(outer_header(&c, "Cc"));
	/* A Message-ID that is not one id is not threaded to. */
	ck_assert_ptr_null(outer_header(&c, "In-Reply-To"));
	ck_assert_ptr_null(strchr(g_mime_message_get_subject(c.msg), '\n'));
	ck_assert_ptr_null(strchr(g_mime_message_get_subject(c.msg), '\r'));
	/* Nor inside, in the protected headers. */
	s = g_strndup(g_bytes_get_data(c.plain, NULL), g_bytes_get_size(c.plain));
	ck_assert(!strstr(s, "\nBcc:"));
	g_free(s);
	composed_free(&c);

	/* A From that is not one plain address: nothing is composed. */
	g_free(m->from);
	m->from = g_strdup("vuls@jpcert.or.jp\r\nBcc: victim@evil.example");
	ck_assert_int_eq(poc_ack_compose(cfg, en, vendor, m, NULL, 1795568460, &e, &err),
			 POC_ERR_INVAL);
	ck_assert_ptr_null(e);
	g_clear_error(&err);
	g_free(m->from);
	m->from = g_strdup("\"x\" <vuls@jpcert.or.jp>, victim@evil.example");
	ck_assert_int_eq(poc_ack_compose(cfg, en, vendor, m, NULL, 1795568460, &e, &err),
			 POC_ERR_INVAL);
	g_clear_error(&err);

	s = poc_header_sanitise("a\r\nb\nc\0d", 100);
	ck_assert_str_eq(s, "a  b c");
	g_free(s);
	s = poc_header_sanitise("abcdef", 3);
	ck_assert_str_eq(s, "abc");
	g_free(s);
	/* A person's text keeps its lines and tabs, loses CR and other controls. */
	s = poc_text_sanitise("a\r\nb\tc\x01\x7f\nd\0e", 100, POC_SANITISE_LINES);
	ck_assert_str_eq(s, "a\nb\tc\nd");
	g_free(s);
	s = poc_text_sanitise("ab\ncdef", 4, POC_SANITISE_LINES);
	ck_assert_str_eq(s, "ab\nc");
	g_free(s);
	s = poc_text_sanitise("\xff\n", 10, POC_SANITISE_LINES);
	ck_assert_str_eq(s, "\xef\xbf\xbd\n");
	g_free(s);
	s = poc_text_sanitise(NULL, 10, POC_SANITISE_LINES);
	ck_assert_str_eq(s, "");
	g_free(s);
	poc_message_free(m);
	poc_config_free(cfg);
}
END_TEST

/* The key ids (primary and subkeys) of fpr, upper-case hex, one per line. */
static char *
key_ids(const char *fpr)
{
	char *cmd = g_strdup_printf("sh -c 'gpg --homedir \"%s/vendor\" --with-colons --list-keys %s "
				    "| awk -F: \"/^(pub|sub):/{print \\$5}\"'", keydir, fpr);
	char *out = NULL;

	ck_assert(g_spawn_command_line_sync(cmd, &out, NULL, NULL, NULL));
	g_free(cmd);
	return out;
}

/* How many of ids (lines) the encrypted payload is addressed to (gpg --list-packets). */
static int
addressed_to(const poc_outbox_entry *e, const char *ids)
{
	char *file = g_build_filename(keydir, "payload.eml", NULL), *cmd, *out = NULL, *err = NULL;
	char **lines = g_strsplit(ids, "\n", -1);
	int n = 0;

	ck_assert(g_file_set_contents(file, g_bytes_get_data(e->payload, NULL),
				      g_bytes_get_size(e->payload), NULL));
	cmd = g_strdup_printf("sh -c 'sed -n \"/BEGIN PGP MESSAGE/,/END PGP MESSAGE/p\" \"%s\" | "
			      "gpg --homedir \"%s/vendor\" --batch --list-packets'", file, keydir);
	ck_assert(g_spawn_command_line_sync(cmd, &out, &err, NULL, NULL));
	for (char **l = lines; *l; l++)
		if (**l && (strstr(out, *l) || strstr(err, *l)))
			n++;
	g_strfreev(lines);
	g_free(cmd), g_free(out), g_free(err), g_free(file);
	return n;
}

/* Never in clear when encryption is required; only pinned keys: AckEncryptTo, else CoordinatorKey. */
START_TEST(test_compose_keys)
{
	poc_config *cfg = test_config();
	poc_message *m = good_notice();
	poc_outbox_entry *e = NULL;
	GError *err = NULL;
	composed c;

	/* Signed by another key of the keyring: still to the pinned CoordinatorKey (issue 22). */
	set_str(&m->signer, fpr_third);
	m->signature = POC_SIGNATURE_UNTRUSTED;
	ck_assert_int_eq(compose_and_open(cfg, ja, m, NULL, &c, NULL), POC_OK);
	{
		char *third = key_ids(fpr_third), *coordinator = key_ids(fpr_coord);

		ck_assert_int_eq(addressed_to(c.entry, third), 0);
		ck_assert_int_ge(addressed_to(c.entry, coordinator), 1);
		g_free(third);
		g_free(coordinator);
	}
	composed_free(&c);
	/* A bad signature leaves a 16-hex key id as signer: not a key lookup (issue 24, 3). */
	set_str(&m->signer, fpr_coord + strlen(fpr_coord) - 16);
	m->signature = POC_SIGNATURE_BAD;
	ck_assert_int_eq(compose_and_open(cfg, ja, m, NULL, &c, NULL), POC_OK);
	composed_free(&c);

	g_clear_pointer(&m->signer, g_free);
	m->signature = POC_SIGNATURE_NONE;
	g_ptr_array_set_size(cfg->coordinator_key, 0);
	ck_assert_int_eq(poc_ack_compose(cfg, ja, vendor, m, NULL, 1795568460, &e, &err),
			 POC_ERR_NOTFOUND);
	ck_assert_ptr_null(e);
	ck_assert(strstr(err->message, "no key to encrypt to"));
	g_clear_error(&err);

	g_ptr_array_add(cfg->ack_encrypt_to, g_strdup(fpr_coord));
	ck_assert_int_eq(compose_and_open(cfg, ja, m, "summary-affected", &c, NULL), POC_OK);
	ck_assert_str_eq(c.entry->template_name, "summary-affected");
	ck_assert_int_eq(c.outcome.signature, POC_SIGNATURE_GOOD);
	composed_free(&c);

	/* A key the vendor does not have: nothing is produced. */
	g_ptr_array_set_size(cfg->ack_encrypt_to, 0);
	g_ptr_array_add(cfg->ack_encrypt_to, g_strdup("0123456789ABCDEF0123456789ABCDEF01234567"));
	ck_assert_int_ne(poc_ack_compose(cfg, ja, vendor, m, NULL, 1795568460, &e, &err), POC_OK);
	ck_assert_ptr_null(e);
	g_clear_error(&err);

	ck_assert_int_eq(poc_ack_compose(cfg, ja, vendor, m, "no-such-template", 1795568460, &e, &err),
			 POC_ERR_NOTFOUND);
	g_clear_error(&err);
	poc_message_free(m);
	poc_config_free(cfg);
}
END_TEST

/* --- hold mode's guard -------------------------------------------------------------- */

static poc_runtime *
guard_runtime(char **dbdir)
{
	poc_runtime *rt = NULL;
	poc_config *cfg;

	ck_assert_int_eq(poc_runtime_open(NULL, POC_RUNTIME_NO_STORE | POC_RUNTIME_NO_TEMPLATES, &rt,
					  NULL),
			 POC_OK);
	poc_config_free(rt->cfg);
	rt->cfg = cfg = test_config();
	cfg->ack_mode = POC_ACK_MODE_HOLD;
	cfg->ack_guard = 2 * 3600;
	ck_assert_int_eq(poc_templates_load(tmpldir, "ja", &rt->templates, NULL), POC_OK);
	*dbdir = g_strdup("/tmp/pdXXXXXX");
	ck_assert_ptr_nonnull(g_mkdtemp(*dbdir));
	ck_assert_int_eq(poc_store_open(*dbdir, 0, &rt->store, NULL), POC_OK);
	return rt;
}

static void
file_held(poc_runtime *rt, poc_message *m)
{
	GError *err = NULL;

	poc_ack_decide(rt->cfg, m);
	ck_assert_int_eq(m->ack_state, POC_ACK_HELD);
	m->ack_deadline = poc_calendar_ack_deadline(rt->cal, m->received_at);
	ck_assert_int_eq(poc_store_file(rt->store, 0, m, NULL, &err), POC_OK);
}

typedef struct count_ctx {
	const char *type;
	int n;
} count_ctx;

static int
count_one(const poc_event *ev, void *data)
{
	count_ctx *c = data;

	c->n += strcmp(ev->type, c->type) == 0;
	return 0;
}

static int
count_events(poc_store *s, const char *case_id, const char *type)
{
	count_ctx c = { type, 0 };

	poc_store_foreach_event(s, case_id, count_one, &c, NULL);
	return c.n;
}

static int
guard_run(poc_runtime *rt, poc_crypto *crypto, gint64 now, int *queued, GError **error)
{
	return poc_ack_guard_run(rt->cfg, rt->cal, rt->templates, rt->store, crypto, now, queued,
				 error);
}

START_TEST(test_guard)
{
	char *dbdir;
	poc_runtime *rt = guard_runtime(&dbdir);
	poc_message *good = good_notice(), *spoofed = good_notice(), *got = NULL;
	GPtrArray *queued = g_ptr_array_new_with_free_func((GDestroyNotify)poc_outbox_entry_free);
	gint64 deadline;
	int n = -1;

	/* Received Wed 2026-11-25 10:00 JST: deadline Thu 17:30. */
	file_held(rt, good);
	deadline = good->ack_deadline;
	ck_assert_int_eq(deadline, 1795681800);
	g_free(spoofed->message_id);
	spoofed->message_id = g_strdup("<spoofed@jpcert.or.jp>");
	g_free(spoofed->tracking), g_free(spoofed->case_id);
	spoofed->tracking = g_strdup("JPCERT#87654321");
	spoofed->case_id = g_strdup("JPCERT#87654321");
	spoofed->signature = POC_SIGNATURE_NONE;
	g_clear_pointer(&spoofed->signer, g_free);
	file_held(rt, spoofed);

	/* A day before: nothing. 3h of business time left (Thu 14:30): nothing. */
	ck_assert_int_eq(guard_run(rt, vendor, good->received_at + 60, &n, NULL), POC_OK);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(guard_run(rt, vendor, deadline - 3 * 3600, &n, NULL), POC_OK);
	ck_assert_int_eq(n, 0);
	/* Wed 17:00 is more than 2 business hours before Thu 17:30 (0.5h + 8.5h). */
	ck_assert_int_eq(guard_run(rt, vendor, deadline - 24 * 3600 - 1800, &n, NULL), POC_OK);
	ck_assert_int_eq(n, 0);
	/* Thu 16:00: 1.5h left: the good one is queued, the spoofed one stays held. */
	ck_assert_int_eq(guard_run(rt, vendor, deadline - 5400, &n, NULL), POC_OK);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(poc_store_outbox_list(rt->store, POC_OUTBOX_QUEUED, queued, NULL), POC_OK);
	ck_assert_uint_eq(queued->len, 1);
	ck_assert_str_eq(((poc_outbox_entry *)g_ptr_array_index(queued, 0))->message_id,
			 "<n1@jpcert.or.jp>");
	ck_assert_str_eq(((poc_outbox_entry *)g_ptr_array_index(queued, 0))->template_name, "summary");
	ck_assert_int_eq(poc_store_get_message(rt->store, "<n1@jpcert.or.jp>", &got, NULL), POC_OK);
	ck_assert_int_eq(got->ack_state, POC_ACK_QUEUED);
	poc_message_free(got);
	ck_assert_int_eq(poc_store_get_message(rt->store, "<spoofed@jpcert.or.jp>", &got, NULL), POC_OK);
	ck_assert_int_eq(got->ack_state, POC_ACK_HELD);
	poc_message_free(got);
	ck_assert_int_eq(count_events(rt->store, "JPCERT#12345678", "ack-guard"), 1);
	ck_assert_int_eq(count_events(rt->store, "JPCERT#87654321", "ack-guard"), 0);

	/* Again, and past the deadline: never a second one. */
	ck_assert_int_eq(guard_run(rt, vendor, deadline - 60, &n, NULL), POC_OK);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(guard_run(rt, vendor, deadline + 86400, &n, NULL), POC_OK);
	ck_assert_int_eq(n, 0);
	g_ptr_array_set_size(queued, 0);
	ck_assert_int_eq(poc_store_outbox_list(rt->store, POC_OUTBOX_QUEUED, queued, NULL), POC_OK);
	ck_assert_uint_eq(queued->len, 1);

	/* Not in hold mode: the guard does nothing. */
	rt->cfg->ack_mode = POC_ACK_MODE_AUTO;
	ck_assert_int_eq(guard_run(rt, vendor, deadline - 60, &n, NULL), POC_OK);
	ck_assert_int_eq(n, 0);

	g_ptr_array_unref(queued);
	poc_message_free(good);
	poc_message_free(spoofed);
	poc_runtime_close(rt);
	rmtree(dbdir);
	g_free(dbdir);
}
END_TEST

/* A person and the guard cannot both queue one: the store checks "held" in the same txn. */
START_TEST(test_add_held_once)
{
	char *dbdir;
	poc_runtime *rt = guard_runtime(&dbdir);
	poc_message *m = good_notice();
	poc_outbox_entry *e1 = NULL, *e2 = NULL;
	GError *err = NULL;
	poc_event ev = { .type = "ack-queued-by-person", .actor = "test" };

	file_held(rt, m);
	ck_assert_int_eq(poc_ack_compose(rt->cfg, rt->templates, vendor, m, NULL, m->received_at, &e1,
					 NULL),
			 POC_OK);
	ck_assert_int_eq(poc_ack_compose(rt->cfg, rt->templates, vendor, m, "summary-affected",
					 m->received_at, &e2, NULL),
			 POC_OK);
	ck_assert_int_eq(poc_store_outbox_add_held(rt->store, e1, &ev, &err), POC_OK);
	ck_assert_int_eq(poc_store_outbox_add_held(rt->store, e2, &ev, &err), POC_ERR_EXISTS);
	g_clear_error(&err);
	ck_assert_int_eq(count_events(rt->store, "JPCERT#12345678", "ack-queued-by-person"), 1);
	ck_assert_int_eq(count_events(rt->store, "JPCERT#12345678", "ack-queued"), 1);
	poc_outbox_entry_free(e1);
	poc_outbox_entry_free(e2);
	poc_message_free(m);
	poc_runtime_close(rt);
	rmtree(dbdir);
	g_free(dbdir);
}
END_TEST

static Suite *
ack_suite(void)
{
	Suite *s = suite_create("ack");
	TCase *tc = tcase_create("policy");

	tcase_add_test(tc, test_decide_auto);
	tcase_add_test(tc, test_read_own_mail);
	tcase_add_test(tc, test_decide_held);
	tcase_add_test(tc, test_template_check);
	tcase_add_test(tc, test_template_load_errors);
	suite_add_tcase(s, tc);
	tc = tcase_create("compose");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_templates_render_all);
	tcase_add_test(tc, test_compose_headers);
	tcase_add_test(tc, test_compose_charsets);
	tcase_add_test(tc, test_compose_injection);
	tcase_add_test(tc, test_compose_keys);
	tcase_add_test(tc, test_guard);
	tcase_add_test(tc, test_add_held_once);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	int failed;

	poc_notice_init();
	setup_all();
	/* One process: GnuPG contexts and agents are made once. */
	failed = run_suite(ack_suite(), CK_NOFORK);
	teardown_all();
	return failed;
}
