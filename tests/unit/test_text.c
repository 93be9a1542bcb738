/*
 * NAME
 *	test_text.c - unit tests of ids.c, kinds.c and dates.c
 * DESCRIPTION
 *	Table-driven: each table row is one case, and a failure names the
 *	row's input. The kinds tests also check that doc/KINDS.md shows the
 *	built-in table exactly as it runs (needs $srcdir, which the
 *	automake test driver sets).
 */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "testutil.h"
#include "text.h"

/* ---- normalise ------------------------------------------------------ */

static const struct {
	const char *in, *out;
} normalise_cases[] = {
	{ "ＪＰＣＥＲＴ＃１２３４５６７８", "JPCERT#12345678" },
	{ "JPCERT♯12345678", "JPCERT#12345678" },
	{ "a\u3000b", "a b" },
	{ "ＪＶＮＤＢ‐２０２６‐１２３４５６", "JVNDB-2026-123456" },
	{ "CVE−2026−1234", "CVE-2026-1234" },
	{ "概要情報（ご連絡）", "概要情報(ご連絡)" },
	{ "①㈱ﾍﾞﾝﾀﾞｰ", "①㈱ﾍﾞﾝﾀﾞｰ" },	/* not NFKC */
	{ "", "" },
};

/* Mail text for a terminal (pocctl): one visible line, nothing the terminal acts on. */
START_TEST(test_text_for_terminal)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "[JPCERT#12345678] 脆弱性情報", "[JPCERT#12345678] 脆弱性情報" },
		{ "a\nb\r\tc", "a\\nb\\r\\tc" },
		{ "x\033[8mhidden", "x\\x1b[8mhidden" },
		{ "del\177 nul-less \001", "del\\x7f nul-less \\x01" },
		{ "back\\slash", "back\\\\slash" },
		{ "bad \xff\xfe utf8 \xe3\x81", "bad \\xff\\xfe utf8 \\xe3\\x81" },
		{ "c1 \xc2\x9b" "31m", "c1 \\u{009b}31m" },
		{ "bidi \xe2\x80\xae" "txt.exe", "bidi \\u{202e}txt.exe" },
		{ "", "" },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *r = poc_text_for_terminal(cases[i].in);

		ck_assert_str_eq(r, cases[i].out);
		ck_assert(g_utf8_validate(r, -1, NULL));
		g_free(r);
	}
	ck_assert_ptr_null(poc_text_for_terminal(NULL));
}
END_TEST

START_TEST(test_normalise)
{
	char *got = poc_text_normalise(normalise_cases[_i].in);

	ck_assert_msg(strcmp(got, normalise_cases[_i].out) == 0, "normalise(%s) = %s, want %s",
		      normalise_cases[_i].in, got, normalise_cases[_i].out);
	g_free(got);
}
END_TEST

START_TEST(test_normalise_invalid)
{
	char *got = poc_text_normalise("ok\xff\xfe end");

	ck_assert(g_utf8_validate(got, -1, NULL));
	ck_assert(strstr(got, "end") != NULL);
	g_free(got);
	got = poc_text_normalise(NULL);
	ck_assert_str_eq(got, "");
	g_free(got);
}
END_TEST

/* ---- identifiers ---------------------------------------------------- */

/* Expected: space-separated normalised ids, "" for none. */
static const struct {
	const char *text, *tns, *vns;
} id_cases[] = {
	/* each VN form */
	{ "JVN#12345678", "", "JVN#12345678" },
	{ "old JVN#FCAD9BD8 id", "", "JVN#FCAD9BD8" },
	{ "jvn#fcad9bd8", "", "JVN#FCAD9BD8" },
	{ "JVNVU#12345678", "", "JVNVU#12345678" },
	{ "JVNVU#123456", "", "JVNVU#123456" },
	{ "JVNVU#1234567", "", "" },
	{ "JVNTA#12345678", "", "JVNTA#12345678" },
	{ "JVNTA#1234567", "", "" },
	{ "JPCERT-IPA#F88C2C13", "", "JPCERT-IPA#F88C2C13" },
	{ "JPCERT-IPA #F88C2C13", "", "JPCERT-IPA#F88C2C13" },
	{ "jpcert-ipa#a1b2c3d4", "", "JPCERT-IPA#A1B2C3D4" },
	{ "IPA#12345678", "", "IPA#12345678" },
	{ "IPA#A1B2C3D4", "", "IPA#A1B2C3D4" },
	{ "VU#123456", "", "VU#123456" },
	{ "VU#1234", "", "VU#1234" },
	{ "VU#647177.1", "", "VU#647177.1" },
	{ "see VU#647177.", "", "VU#647177" },
	{ "VU#123", "", "" },
	{ "VU#1234567", "", "" },
	{ "JVNDB-2026-123456", "", "JVNDB-2026-123456" },
	{ "JVNDB-2026-12345", "", "" },
	{ "CVE-2026-1234", "", "CVE-2026-1234" },
	{ "CVE-2014-0160", "", "CVE-2014-0160" },
	{ "CVE-2026-12345", "", "CVE-2026-12345" },
	{ "CVE-2026-1234567", "", "CVE-2026-1234567" },
	{ "CVE-2026-01234", "", "" },
	{ "CVE-2026-123", "", "" },
	{ "cve-2026-9999", "", "CVE-2026-9999" },
	{ "CVE-26-1234", "", "" },
	/* tracking numbers */
	{ "JPCERT#12345678", "JPCERT#12345678", "" },
	{ "jpcert#12345678", "JPCERT#12345678", "" },
	{ "JPCERT #12345678", "JPCERT#12345678", "" },
	{ "JPCERT# 12345678", "JPCERT#12345678", "" },
	{ "JPCERT\t#\t12345678", "JPCERT#12345678", "" },
	{ "ＪＰＣＥＲＴ＃１２３４５６７８", "JPCERT#12345678", "" },
	{ "JPCERT＃12345678", "JPCERT#12345678", "" },
	{ "ＪＰＣＥＲＴ　＃１２３４５６７８", "JPCERT#12345678", "" },
	{ "JPCERT♯12345678", "JPCERT#12345678", "" },
	{ "【JPCERT#12345678】概要情報", "JPCERT#12345678", "" },
	/* TN and VN never confused */
	{ "VN: JVN#31459091 / TN: JPCERT#91837758", "JPCERT#91837758", "JVN#31459091" },
	{ "JPCERT-IPA#12345678", "", "JPCERT-IPA#12345678" },
	{ "JPCERT-IPA#ZZZZZZZZ IPA#12345678", "", "IPA#12345678" },
	{ "JPCERT-IPA#1234567Z", "", "" },	/* no IPA# out of a bad JPCERT-IPA# */
	{ "JVNVU#12345", "", "" },		/* no VU# out of a bad JVNVU# */
	{ "JVNVU#123456 VU#123456", "", "JVNVU#123456 VU#123456" },
	{ "JPCERT#A1B2C3D4", "", "" },
	/* word boundaries */
	{ "XJVN#12345678", "", "" },
	{ "JVN#123456789", "", "" },
	{ "JVN#12345678a", "", "" },
	{ "MYJPCERT#12345678", "", "" },
	{ "JPCERT#12345678X", "", "" },
	{ "ABCVE-2026-1234", "", "" },
	{ "脆弱性JVN#12345678について", "", "JVN#12345678" },
	{ "(JVNVU#99999999)", "", "JVNVU#99999999" },
	/* issue 18: the number of a JVN address is read */
	{ "https://jvn.jp/jp/JVN12345678/", "", "JVN#12345678" },
	/* several, de-duplicated, in order */
	{ "CVE-2026-0002 JVN#12345678 CVE-2026-0001 CVE-2026-0002 jvn#12345678", "",
	  "CVE-2026-0002 JVN#12345678 CVE-2026-0001" },
	{ "JPCERT#11111111 JPCERT#22222222 JPCERT #11111111", "JPCERT#11111111 JPCERT#22222222",
	  "" },
	{ "Subject: [JPCERT#12345678] JVNVU#12345678 CVE-2026-1234 VU#123456 JVNDB-2026-000001",
	  "JPCERT#12345678", "JVNVU#12345678 CVE-2026-1234 VU#123456 JVNDB-2026-000001" },
	{ "", "", "" },
};

static char *
joined(GPtrArray *a)
{
	g_ptr_array_add(a, NULL);
	char *s = g_strjoinv(" ", (char **)a->pdata);
	g_ptr_array_remove_index(a, a->len - 1);
	return s;
}

START_TEST(test_scan_ids)
{
	GPtrArray *tns = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *vns = g_ptr_array_new_with_free_func(g_free);
	char *norm = poc_text_normalise(id_cases[_i].text);
	char *t, *v;

	poc_text_scan_ids(norm, tns, vns);
	t = joined(tns);
	v = joined(vns);
	ck_assert_msg(strcmp(t, id_cases[_i].tns) == 0, "TN of \"%s\": got \"%s\", want \"%s\"",
		      id_cases[_i].text, t, id_cases[_i].tns);
	ck_assert_msg(strcmp(v, id_cases[_i].vns) == 0, "VN of \"%s\": got \"%s\", want \"%s\"",
		      id_cases[_i].text, v, id_cases[_i].vns);
	g_free(t);
	g_free(v);
	g_free(norm);
	g_ptr_array_unref(tns);
	g_ptr_array_unref(vns);
}
END_TEST

START_TEST(test_scan_ids_appends)
{
	GPtrArray *tns = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *vns = g_ptr_array_new_with_free_func(g_free);

	/* subject first, then body: nothing twice, the subject's first */
	poc_text_scan_ids("JPCERT#12345678 JVN#12345678", tns, vns);
	poc_text_scan_ids("JVN#87654321 JPCERT#12345678 JVN#12345678", tns, vns);
	ck_assert_uint_eq(tns->len, 1);
	ck_assert_uint_eq(vns->len, 2);
	ck_assert_str_eq(g_ptr_array_index(vns, 0), "JVN#12345678");
	ck_assert_str_eq(g_ptr_array_index(vns, 1), "JVN#87654321");
	/* either array may be NULL */
	poc_text_scan_ids("JPCERT#1 JVN#11111111", NULL, vns);
	poc_text_scan_ids("JPCERT#22222222 JVN#11111111", tns, NULL);
	ck_assert_uint_eq(tns->len, 2);
	ck_assert_uint_eq(vns->len, 3);
	poc_text_scan_ids(NULL, tns, vns);
	poc_text_scan_ids("bad \xff JVN#33333333", tns, vns);
	ck_assert_uint_eq(vns->len, 4);
	g_ptr_array_unref(tns);
	g_ptr_array_unref(vns);
}
END_TEST

START_TEST(test_is_cve)
{
	ck_assert(poc_text_is_cve("CVE-2026-1234"));
	ck_assert(poc_text_is_cve("cve-2026-1234"));
	ck_assert(!poc_text_is_cve("JVN#12345678"));
	ck_assert(!poc_text_is_cve("JVNDB-2026-123456"));
	ck_assert(!poc_text_is_cve("CVE"));
	ck_assert(!poc_text_is_cve(NULL));
}
END_TEST

/* ---- quoted text ---------------------------------------------------- */

static const struct {
	const char *in, *out;
} strip_cases[] = {
	{ "new\n> old\nnew2\n", "new\nnew2\n" },
	{ "new\n＞ 引用\n  > indented quote\nnew2", "new\nnew2" },
	{ "new\r\n> old\r\nnew2\r\n", "new\r\nnew2\r\n" },
	{ "reply\n-----Original Message-----\nFrom: x\nJPCERT#11111111\n", "reply\n" },
	{ "reply\n----- Original Message -----\nold\n", "reply\n" },
	{ "reply\n-------- Original Message --------\nold\n", "reply\n" },
	{ "reply\n-----元のメッセージ-----\n差出人: x\n", "reply\n" },
	{ "reply\nOn Mon, Dec 1, 2026 at 10:00 AM JPCERT <vuls@jpcert.or.jp> wrote:\nold\n",
	  "reply\n" },
	{ "reply\nOn Mon, Dec 1, 2026 at 10:00 AM JPCERT <vuls@jpcert.or.jp>\nwrote:\nold\n",
	  "reply\n" },
	{ "reply\nJPCERT/CC wrote:\nold\n", "reply\n" },
	{ "返信\n2026/12/01 10:00、山田太郎さんは書きました:\n古い\n", "返信\n" },
	{ "返信\n山田太郎 さんは書きました：\n古い\n", "返信\n" },
	{ "返信\n2026年12月1日(火) 10:00 JPCERT/CC <vuls@jpcert.or.jp>:\n古い\n", "返信\n" },
	{ "reply\n________________________________\nFrom: JPCERT\nSent: Monday\n", "reply\n" },
	{ "reply\nFrom: JPCERT/CC\nSent: Monday, December 1, 2026\nTo: x\n", "reply\n" },
	{ "返信\n差出人: JPCERT/CC\n送信日時: 2026年12月1日\n", "返信\n" },
	/* a forwarded notice is content */
	{ "FYI\n---------- Forwarded message ---------\nFrom: JPCERT/CC\nDate: Mon\n"
	  "Subject: JPCERT#12345678\n",
	  "FYI\n---------- Forwarded message ---------\nFrom: JPCERT/CC\nDate: Mon\n"
	  "Subject: JPCERT#12345678\n" },
	{ "FYI\n-------- 転送メッセージ --------\n件名: x\n",
	  "FYI\n-------- 転送メッセージ --------\n件名: x\n" },
	/* a rule of underscores inside a notice is content */
	{ "a\n______________________________\nb\n", "a\n______________________________\nb\n" },
	{ "no newline at end", "no newline at end" },
	{ "", "" },
	{ "> only quotes\n> more\n", "" },
};

START_TEST(test_strip_quoted)
{
	char *got = poc_text_strip_quoted(strip_cases[_i].in);

	ck_assert_msg(strcmp(got, strip_cases[_i].out) == 0, "strip(%s) = [%s], want [%s]",
		      strip_cases[_i].in, got, strip_cases[_i].out);
	g_free(got);
}
END_TEST

START_TEST(test_strip_quoted_tn_not_from_quote)
{
	/* the quoted TN must not become the reply's TN */
	const char *body = "ご連絡ありがとうございます。\n\n"
			   "> JPCERT#99999999\n> 概要情報\n"
			   "-----Original Message-----\nJPCERT#88888888\n";
	char *stripped = poc_text_strip_quoted(body);
	GPtrArray *tns = g_ptr_array_new_with_free_func(g_free);

	poc_text_scan_ids(stripped, tns, NULL);
	ck_assert_uint_eq(tns->len, 0);
	g_ptr_array_unref(tns);
	g_free(stripped);
	stripped = poc_text_strip_quoted(NULL);
	ck_assert_str_eq(stripped, "");
	g_free(stripped);
}
END_TEST

/* ---- kinds ---------------------------------------------------------- */

static const struct {
	gboolean coordinator;
	const char *subject, *body;
	poc_kind kind;
} kind_cases[] = {
	{ TRUE, "【概要情報】JPCERT#12345678 製品開発者調整のお願い", "", POC_KIND_SUMMARY },
	{ TRUE, "JPCERT#12345678 製品開発者調整のお願い", "", POC_KIND_SUMMARY },
	{ TRUE, "【詳細情報】JPCERT#12345678", "", POC_KIND_DETAIL },
	{ TRUE, "【詳細情報】JPCERT#12345678", "先日お送りした概要情報に関する詳細です。",
	  POC_KIND_DETAIL },
	{ TRUE, "JPCERT#12345678", "先日お送りした概要情報に続き、詳細情報をお送りします。",
	  POC_KIND_DETAIL },
	{ TRUE, "JPCERT#12345678", "本メールは概要情報です。", POC_KIND_SUMMARY },
	{ TRUE, "【公開日の変更】JPCERT#12345678", "詳細情報", POC_KIND_SCHEDULE },
	{ TRUE, "JPCERT#12345678 公開予定日の決定について", "", POC_KIND_SCHEDULE },
	{ TRUE, "JPCERT#12345678 公開予定日の確定", "", POC_KIND_SCHEDULE },
	{ TRUE, "JPCERT#12345678 公開日程のご連絡", "", POC_KIND_SCHEDULE },
	{ TRUE, "JPCERT#12345678 公開日延期のお知らせ", "", POC_KIND_SCHEDULE },
	{ TRUE, "JPCERT#12345678", "公開日の変更についてお知らせします。\n新公開日: 2026年12月15日",
	  POC_KIND_SCHEDULE },
	{ TRUE, "【公開情報の確認】JPCERT#12345678", "ベンダステータスをお知らせください。",
	  POC_KIND_PUBLICATION },
	{ TRUE, "JPCERT#12345678 公開情報のドラフト", "", POC_KIND_PUBLICATION },
	{ TRUE, "JPCERT#12345678 公開前の確認のお願い", "", POC_KIND_PUBLICATION },
	{ TRUE, "JPCERT#12345678", "ベンダー声明をご提出ください。", POC_KIND_PUBLICATION },
	{ TRUE, "JPCERT#12345678", "ﾍﾞﾝﾀﾞｰｽﾃｰﾀｽのご回答を", POC_KIND_PUBLICATION },
	{ TRUE, "【公開情報の確認】JPCERT#12345678", "概要情報:...\n詳細情報:...",
	  POC_KIND_PUBLICATION },
	{ TRUE, "[JPCERT#12345678] Summary of vulnerability in Example", "", POC_KIND_SUMMARY },
	{ TRUE, "[JPCERT#12345678] Overview of the Vulnerability", "", POC_KIND_SUMMARY },
	{ TRUE, "[JPCERT#12345678] Detailed information", "", POC_KIND_DETAIL },
	{ TRUE, "JPCERT#12345678", "Please find the technical details attached.",
	  POC_KIND_DETAIL },
	{ TRUE, "VU#123456: Publication date changed", "", POC_KIND_SCHEDULE },
	{ TRUE, "VU#123456", "The publication date has been rescheduled to December 15, 2026.",
	  POC_KIND_SCHEDULE },
	{ TRUE, "VU#123456 draft advisory", "", POC_KIND_PUBLICATION },
	{ TRUE, "VU#123456", "Please send your vendor statement\nby Friday.", POC_KIND_PUBLICATION },
	{ TRUE, "VU#123456 Status Request", "", POC_KIND_PUBLICATION },
	{ TRUE, "ＪＰＣＥＲＴ＃１２３４５６７８　【詳細情報】", "", POC_KIND_DETAIL },
	{ TRUE, "Re: JPCERT#12345678", "ありがとうございました。", POC_KIND_OTHER },
	{ TRUE, NULL, NULL, POC_KIND_OTHER },
	{ TRUE, "", "", POC_KIND_OTHER },
	/* not from a coordinator: a direct report, whatever it says */
	{ FALSE, "【概要情報】脆弱性のご報告", "", POC_KIND_DIRECT_REPORT },
	{ FALSE, "Vulnerability report", "", POC_KIND_DIRECT_REPORT },
	{ FALSE, NULL, NULL, POC_KIND_DIRECT_REPORT },
};

START_TEST(test_kinds_builtin)
{
	poc_kind_rules *rules = poc_kind_rules_default();
	poc_kind got = poc_kind_classify(rules, kind_cases[_i].coordinator, kind_cases[_i].subject,
					 kind_cases[_i].body);

	ck_assert_msg(got == kind_cases[_i].kind, "kind of [%s]/[%s]: got %s, want %s",
		      kind_cases[_i].subject ? kind_cases[_i].subject : "(null)",
		      kind_cases[_i].body ? kind_cases[_i].body : "(null)", poc_kind_name(got),
		      poc_kind_name(kind_cases[_i].kind));
	poc_kind_rules_free(rules);
}
END_TEST

static char *
write_temp(const char *contents)
{
	GError *error = NULL;
	char *path = NULL;
	int fd = g_file_open_tmp("test_kinds_XXXXXX", &path, &error);

	ck_assert_msg(fd >= 0, "temp file: %s", error ? error->message : "?");
	close(fd);
	ck_assert(g_file_set_contents(path, contents, -1, NULL));
	return path;
}

START_TEST(test_kinds_site_file)
{
	poc_kind_rules *rules = poc_kind_rules_default();
	GError *error = NULL;
	char *path = write_temp("# site rules\n"
				"\n"
				"summary subject coordinator 脆弱性関連情報の通知\n"
				"  detail body any PoC attached|再現手順  \n"
				"other subject any ^Re:\n"
				"publication any non-coordinator 公開前\n"
				"summary body coordinator ＳＵＭＭＡＲＹ ＮＯＴＩＣＥ\n");
	char *described;

	ck_assert_int_eq(poc_kind_rules_load(rules, path, &error), POC_OK);
	ck_assert_ptr_null(error);
	ck_assert_int_eq(poc_kind_classify(rules, TRUE, "脆弱性関連情報の通知", ""),
			 POC_KIND_SUMMARY);
	ck_assert_int_eq(poc_kind_classify(rules, FALSE, "脆弱性関連情報の通知", ""),
			 POC_KIND_DIRECT_REPORT);
	ck_assert_int_eq(poc_kind_classify(rules, TRUE, "【概要情報】", "再現手順は以下"),
			 POC_KIND_DETAIL);
	ck_assert_int_eq(poc_kind_classify(rules, TRUE, "re: 【詳細情報】", ""), POC_KIND_OTHER);
	ck_assert_int_eq(poc_kind_classify(rules, FALSE, "x", "公開前です"),
			 POC_KIND_PUBLICATION);
	/* a space matches any white space, full-width folds (NFKC) */
	ck_assert_int_eq(poc_kind_classify(rules, TRUE, "x", "summary\n  notice"),
			 POC_KIND_SUMMARY);
	/* built-ins still apply after the site's */
	ck_assert_int_eq(poc_kind_classify(rules, TRUE, "【詳細情報】", ""), POC_KIND_DETAIL);
	described = poc_kind_rules_describe(rules);
	ck_assert(g_str_has_prefix(described,
				   "summary subject coordinator 脆弱性関連情報の通知\n"
				   "detail body any PoC attached|再現手順\n"));
	ck_assert(strstr(described, "\ndirect-report any non-coordinator\n") != NULL);
	g_free(described);
	unlink(path);
	g_free(path);
	poc_kind_rules_free(rules);
}
END_TEST

static const struct {
	const char *contents, *message;
} bad_rule_cases[] = {
	{ "summary subject\n", ":1: expected KIND FIELD ROLE" },
	{ "# c\nsumary subject any x\n", ":2: unknown kind \"sumary\"" },
	{ "summary header any x\n", ":1: unknown field \"header\"" },
	{ "\n\nsummary subject vendor x\n", ":3: unknown role \"vendor\"" },
	{ "summary subject any (unclosed\n", ":1: bad pattern" },
	{ "summary subject any ok\ndetail body any [\n", ":2: bad pattern" },
	{ "summary subject any \xff\n", ": not UTF-8" },
};

START_TEST(test_kinds_bad_file)
{
	poc_kind_rules *rules = poc_kind_rules_default();
	GError *error = NULL;
	char *path = write_temp(bad_rule_cases[_i].contents);
	char *before = poc_kind_rules_describe(rules), *after;

	ck_assert_int_eq(poc_kind_rules_load(rules, path, &error), POC_ERR_CONFIG);
	ck_assert_ptr_nonnull(error);
	ck_assert(error->domain == POC_ERROR);
	ck_assert_int_eq(error->code, POC_ERR_CONFIG);
	ck_assert_msg(g_str_has_prefix(error->message, path), "%s", error->message);
	ck_assert_msg(strstr(error->message, bad_rule_cases[_i].message) != NULL,
		      "error \"%s\" lacks \"%s\"", error->message, bad_rule_cases[_i].message);
	/* unchanged on error */
	after = poc_kind_rules_describe(rules);
	ck_assert_str_eq(before, after);
	g_free(before);
	g_free(after);
	g_error_free(error);
	unlink(path);
	g_free(path);
	poc_kind_rules_free(rules);
}
END_TEST

START_TEST(test_kinds_missing_file)
{
	poc_kind_rules *rules = poc_kind_rules_default();
	GError *error = NULL;

	ck_assert_int_eq(poc_kind_rules_load(rules, "/nonexistent/kinds.rules", &error),
			 POC_ERR_IO);
	ck_assert_int_eq(error->code, POC_ERR_IO);
	ck_assert(strstr(error->message, "/nonexistent/kinds.rules") != NULL);
	g_error_free(error);
	poc_kind_rules_free(rules);
}
END_TEST

START_TEST(test_kinds_doc_in_sync)
{
	const char *srcdir = getenv("srcdir");
	char *path = g_build_filename(srcdir ? srcdir : ".", "doc", "KINDS.md", NULL);
	char *doc = NULL, *described;
	char **lines;
	poc_kind_rules *rules = poc_kind_rules_default();

	ck_assert_msg(g_file_get_contents(path, &doc, NULL, NULL), "cannot read %s", path);
	described = poc_kind_rules_describe(rules);
	lines = g_strsplit(described, "\n", -1);
	for (guint i = 0; lines[i] && *lines[i]; i++)
		ck_assert_msg(strstr(doc, lines[i]) != NULL, "doc/KINDS.md lacks the rule: %s",
			      lines[i]);
	g_strfreev(lines);
	g_free(described);
	g_free(doc);
	g_free(path);
	poc_kind_rules_free(rules);
}
END_TEST

/* ---- dates ---------------------------------------------------------- */

static const struct {
	const char *text, *want;	/* want: RFC 3339 (+09:00), "" for none */
} date_cases[] = {
	{ "公開日: 2026年12月15日", "2026-12-15T00:00:00+09:00" },
	{ "2026年12月15日(火) 11時", "2026-12-15T11:00:00+09:00" },
	{ "2026年12月15日（火） 11時", "2026-12-15T11:00:00+09:00" },
	{ "2026年12月15日 11時00分", "2026-12-15T11:00:00+09:00" },
	{ "2026年12月15日 11時30分", "2026-12-15T11:30:00+09:00" },
	{ "2026年12月15日(火) 11:00", "2026-12-15T11:00:00+09:00" },
	{ "2026年12月15日 午後3時", "2026-12-15T15:00:00+09:00" },
	{ "2026 年 1 月 5 日", "2026-01-05T00:00:00+09:00" },
	{ "２０２６年１２月１５日　１１時", "2026-12-15T11:00:00+09:00" },
	{ "2026/12/15 11:00", "2026-12-15T11:00:00+09:00" },
	{ "2026/12/15", "2026-12-15T00:00:00+09:00" },
	{ "2026/1/5(月)", "2026-01-05T00:00:00+09:00" },
	{ "2026-12-15", "2026-12-15T00:00:00+09:00" },
	{ "2026-12-15 11:00", "2026-12-15T11:00:00+09:00" },
	{ "2026-12-15T11:00", "2026-12-15T11:00:00+09:00" },
	{ "December 15, 2026", "2026-12-15T00:00:00+09:00" },
	{ "Dec 15, 2026", "2026-12-15T00:00:00+09:00" },
	{ "Dec. 15th, 2026", "2026-12-15T00:00:00+09:00" },
	{ "15 December 2026", "2026-12-15T00:00:00+09:00" },
	{ "15 Dec 2026", "2026-12-15T00:00:00+09:00" },
	{ "Tuesday, December 15, 2026 at 11:00", "2026-12-15T11:00:00+09:00" },
	{ "December 15, 2026 3:00 PM", "2026-12-15T15:00:00+09:00" },
	{ "December 15, 2026 12:30 am", "2026-12-15T00:30:00+09:00" },
	{ "september 1, 2026", "2026-09-01T00:00:00+09:00" },
	{ "Sept 1, 2026", "2026-09-01T00:00:00+09:00" },
	/* impossible or not dates */
	{ "2026-02-30", "" },
	{ "2026年2月29日", "" },
	{ "2028年2月29日", "2028-02-29T00:00:00+09:00" },
	{ "2026/13/01", "" },
	{ "2026-12-15 25:00", "" },
	{ "2026年12月15日 11時60分", "" },
	{ "February 30, 2026", "" },
	{ "1850-01-01", "" },
	{ "CVE-2026-1234 JVNDB-2026-123456", "" },
	{ "version 2026.12.15", "" },
	{ "no date here", "" },
	{ "", "" },
	/* which date */
	{ "送信日: 2026年11月1日\n公開予定日: 2026年12月15日\n", "2026-12-15T00:00:00+09:00" },
	{ "Sent: 2026-11-01\nPublication date: 2026-12-15\n", "2026-12-15T00:00:00+09:00" },
	{ "2026年11月1日\n■公開予定日\n  2026年12月15日 11時\n", "2026-12-15T11:00:00+09:00" },
	{ "作成 2026-11-01\n公表日 2026-12-16", "2026-12-16T00:00:00+09:00" },
	{ "Disclosure date: Dec 16, 2026", "2026-12-16T00:00:00+09:00" },
	{ "The publish date is 2026/12/17.", "2026-12-17T00:00:00+09:00" },
	{ "公開日を2026年12月1日から2026年12月15日に変更します。", "2026-12-15T00:00:00+09:00" },
	{ "旧公開日: 2026年12月1日\n新公開日: 2026年12月15日", "2026-12-15T00:00:00+09:00" },
	{ "公開日: 2026年12月1日 → 2026年12月15日", "2026-12-15T00:00:00+09:00" },
	{ "The publication date changed from December 1, 2026 to December 15, 2026.",
	  "2026-12-15T00:00:00+09:00" },
	{ "2026-11-01 first\n2026-11-02 second", "2026-11-01T00:00:00+09:00" },
	{ "公開日時 2026/12/15 11:00 (JST)", "2026-12-15T11:00:00+09:00" },
};

START_TEST(test_dates)
{
	gint64 got = poc_text_find_publication_date(date_cases[_i].text);
	char buf[POC_TIME_BUFSIZE];

	poc_time_format(got, buf);
	ck_assert_msg(strcmp(buf, date_cases[_i].want) == 0, "date of \"%s\": got \"%s\", want \"%s\"",
		      date_cases[_i].text, buf, date_cases[_i].want);
}
END_TEST

START_TEST(test_dates_host_tz)
{
	/* the host's TZ must not matter */
	const char *zones[] = { "UTC", "America/New_York", "Asia/Tokyo", "Pacific/Kiritimati" };

	for (size_t i = 0; i < G_N_ELEMENTS(zones); i++) {
		setenv("TZ", zones[i], 1);
		tzset();
		ck_assert_int_eq(poc_text_find_publication_date("2026-12-15"), 1797260400);
		ck_assert_int_eq(poc_text_find_publication_date("2026年12月15日 11時"),
				 1797260400 + 11 * 3600);
	}
	unsetenv("TZ");
	tzset();
	ck_assert_int_eq(poc_text_find_publication_date(NULL), 0);
}
END_TEST

/* Regression: blanks after 日 once made the pattern cubic (13.8 s). */
START_TEST(test_dates_long_blanks)
{
	static const char *const heads[] = { "2026年12月15日", "2026/12/15", "December 15, 2026",
					     "2026-12-15", "15 December 2026" };

	for (size_t i = 0; i < G_N_ELEMENTS(heads); i++) {
		GString *text = g_string_new(heads[i]);

		for (int n = 0; n < 200000; n++)
			g_string_append_c(text, n % 7 ? ' ' : '\t');
		g_string_append(text, "x");
		ck_assert_int_eq(poc_text_find_publication_date(text->str), 1797260400);
		g_string_free(text, TRUE);
	}
}
END_TEST

/*
 * The readers are shared by the filer threads: the first matches, in
 * several threads at once, must not race (the built-in patterns are
 * compiled once, under g_once; GLib 2.74 JIT-compiles a pattern in
 * g_regex_new, but a GLib that did it lazily at the first match would
 * race here). Check forks each test, so every run races the first use
 * of the built-in patterns again.
 */
#define RACERS 4
static pthread_barrier_t race_start;
static poc_kind_rules *race_rules;

static gpointer
race_one(gpointer unused)
{
	gpointer ok = GINT_TO_POINTER(1);

	(void) unused;
	pthread_barrier_wait(&race_start);
	for (int i = 0; i < 20; i++) {
		GPtrArray *tracking = g_ptr_array_new_with_free_func(g_free);
		GPtrArray *vulns = g_ptr_array_new_with_free_func(g_free);

		if (poc_kind_classify(race_rules, TRUE, "JPCERT#12345678 公開予定日の決定について", "")
		    != POC_KIND_SCHEDULE)
			ok = NULL;
		poc_text_scan_ids("JPCERT#12345678 JVNVU#99999999 CVE-2026-1234", tracking, vulns);
		if (tracking->len != 1 || vulns->len != 2)
			ok = NULL;
		/* 2026-12-15T00:00:00+09:00 */
		if (poc_text_find_publication_date("公開日: 2026年12月15日") != 1797260400)
			ok = NULL;
		g_ptr_array_free(tracking, TRUE);
		g_ptr_array_free(vulns, TRUE);
	}
	return ok;
}

START_TEST(test_threads_first_match)
{
	GThread *t[RACERS];

	race_rules = poc_kind_rules_default();
	pthread_barrier_init(&race_start, NULL, RACERS);
	for (int i = 0; i < RACERS; i++)
		t[i] = g_thread_new("racer", race_one, NULL);
	for (int i = 0; i < RACERS; i++)
		ck_assert_msg(g_thread_join(t[i]) != NULL, "a racer read the wrong result");
	pthread_barrier_destroy(&race_start);
	poc_kind_rules_free(race_rules);
}
END_TEST

/* Log values (pocmilter(8), LOGGING): one bare word, or quoted with " and \\ escaped. */
START_TEST(test_log_quote)
{
	char buf[64];

	ck_assert_str_eq(poc_log_quote("JPCERT#12345678", buf, sizeof buf), "JPCERT#12345678");
	ck_assert_str_eq(poc_log_quote("<a@b.example>", buf, sizeof buf), "<a@b.example>");
	ck_assert_str_eq(poc_log_quote("two words", buf, sizeof buf), "\"two words\"");
	ck_assert_str_eq(poc_log_quote("a=b", buf, sizeof buf), "\"a=b\"");
	ck_assert_str_eq(poc_log_quote("say \"hi\" \\o/", buf, sizeof buf),
			 "\"say \\\"hi\\\" \\\\o/\"");
	ck_assert_str_eq(poc_log_quote("", buf, sizeof buf), "\"\"");
	ck_assert_str_eq(poc_log_quote(NULL, buf, sizeof buf), "\"\"");
	/* Cut short, it still ends in a quote and stays in its buffer. */
	ck_assert_uint_le(strlen(poc_log_quote("x y z x y z x y z x y z x y z", buf, 12)), 11);
	ck_assert_int_eq(buf[strlen(buf) - 1], '"');
	ck_assert_str_eq(poc_log_q("a b"), "\"a b\"");
}
END_TEST

static Suite *
text_suite(void)
{
	Suite *s = suite_create("text");
	TCase *tc;

	tc = tcase_create("normalise");
	tcase_add_loop_test(tc, test_normalise, 0, G_N_ELEMENTS(normalise_cases));
	tcase_add_test(tc, test_normalise_invalid);
	suite_add_tcase(s, tc);

	tc = tcase_create("ids");
	tcase_add_loop_test(tc, test_scan_ids, 0, G_N_ELEMENTS(id_cases));
	tcase_add_test(tc, test_scan_ids_appends);
	tcase_add_test(tc, test_is_cve);
	suite_add_tcase(s, tc);

	tc = tcase_create("quoted");
	tcase_add_loop_test(tc, test_strip_quoted, 0, G_N_ELEMENTS(strip_cases));
	tcase_add_test(tc, test_strip_quoted_tn_not_from_quote);
	suite_add_tcase(s, tc);

	tc = tcase_create("kinds");
	tcase_add_loop_test(tc, test_kinds_builtin, 0, G_N_ELEMENTS(kind_cases));
	tcase_add_test(tc, test_kinds_site_file);
	tcase_add_loop_test(tc, test_kinds_bad_file, 0, G_N_ELEMENTS(bad_rule_cases));
	tcase_add_test(tc, test_kinds_missing_file);
	tcase_add_test(tc, test_kinds_doc_in_sync);
	suite_add_tcase(s, tc);

	tc = tcase_create("dates");
	tcase_add_loop_test(tc, test_dates, 0, G_N_ELEMENTS(date_cases));
	tcase_add_test(tc, test_dates_host_tz);
	tcase_add_test(tc, test_dates_long_blanks);
	tcase_add_test(tc, test_text_for_terminal);
	tcase_add_test(tc, test_log_quote);
	suite_add_tcase(s, tc);

	tc = tcase_create("threads");
	tcase_add_loop_test(tc, test_threads_first_match, 0, 40);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return run_suite(text_suite(), CK_FORK_GETENV);
}
