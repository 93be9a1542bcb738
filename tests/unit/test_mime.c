/*
 * NAME
 *	test_mime - header decoding, HTML and format=flowed of mime.c
 * DESCRIPTION
 *	No crypto here: the corpus test (tests/corpus) covers the OpenPGP
 *	forms end to end.
 */
#include "config.h"

#include <check.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"
#include "notice.h"
#include "testutil.h"

static void
check_header(const char *raw, const char *want)
{
	char *got = poc_mime_decode_header(raw);

	ck_assert_msg(g_strcmp0(got, want) == 0, "decode(%s) = \"%s\", want \"%s\"", raw, got, want);
	g_free(got);
}

START_TEST(test_encoded_words)
{
	check_header(" plain subject  ", "plain subject");
	check_header("=?UTF-8?B?44GC44GE44GG?=", "あいう");
	check_header("=?utf-8?q?caf=C3=A9_au_lait?=", "café au lait");
	/* Folded; the whitespace between encoded words goes, outside stays. */
	check_header("Re: =?UTF-8?B?44GC?=\r\n =?UTF-8?B?44GE?= end", "Re: あい end");
	/* A UTF-8 sequence split between two words. */
	check_header("=?UTF-8?B?44E=?= =?UTF-8?B?gg==?=", "あ");
	/* ISO-2022-JP with the NEC extensions (① ㈱): not GMime's iconv. */
	check_header("=?ISO-2022-JP?B?SlBDRVJUIzEyMzQ1Njc4IBskQi0hLWokTiQqGyhC?=",
		     "JPCERT#12345678 ①㈱のお");
	check_header("=?iso-2022-jp?Q?=1B$B$3$s=1B(B?=", "こん");
	/* Not an encoded word: left alone. */
	check_header("=?broken subject", "=?broken subject");
	check_header("a =?UTF-8?X?abc?= b", "a =?UTF-8?X?abc?= b");
	/* RFC 2231 language in the charset. */
	check_header("=?UTF-8*ja?B?44GC?=", "あ");
	/* Raw UTF-8 in a header. */
	check_header("生の件名", "生の件名");
	check_header("", "");
}
END_TEST

START_TEST(test_html)
{
	char *t = poc_mime_html_to_text("<html><head><style>p{x:1}</style><title>t</title></head>"
					"<body><p>JPCERT&#35;12345678 &amp; JVN&#x23;1</p>"
					"<script>var a='<p>';</script>a<br>b&nbsp;c &bogus; &lt;x&gt;"
					"<!-- JPCERT#99999999 --></body></html>");

	ck_assert_str_eq(t, "t\nJPCERT#12345678 & JVN#1\na\nb c &bogus; <x>");
	g_free(t);
	t = poc_mime_html_to_text("<unclosed");
	ck_assert_str_eq(t, "");
	g_free(t);
	t = poc_mime_html_to_text("&#0; &#x110000;");
	ck_assert_str_eq(t, "\xef\xbf\xbd \xef\xbf\xbd");
	g_free(t);
}
END_TEST

START_TEST(test_flowed)
{
	char *t = poc_mime_unflow("JPCERT \r\n#12345678 is\r\n ok\r\n-- \r\nsig", FALSE);

	ck_assert_str_eq(t, "JPCERT #12345678 is\nok\n-- \nsig");
	g_free(t);
	t = poc_mime_unflow("JVN \nDB", TRUE);
	ck_assert_str_eq(t, "JVNDB");
	g_free(t);
}
END_TEST

START_TEST(test_text_to_utf8)
{
	char *t = poc_mime_text_to_utf8("us-ascii", "\x1b$B$3\x1b(B\0x", 10);

	ck_assert_str_eq(t, "こ x");
	g_free(t);
}
END_TEST

/*
 * GMime keeps every charset name it meets in address headers (charsets.c):
 * mail naming new charsets must not grow it. Each message names 20 new
 * ones; only POC_CHARSET_OTHER names iconv does not know get through, and
 * that the count reaches it shows GMime's own calls come to our
 * definition. The heap in use (not judged under AddressSanitizer, whose
 * allocator mallinfo2 does not see) stays within 1 MiB over 100,000 names.
 */
static void
parse_one(const char *text)
{
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(text, strlen(text));
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeMessage *msg = g_mime_parser_construct_message(parser, NULL);

	ck_assert_ptr_nonnull(msg);
	g_object_unref(msg);
	g_object_unref(parser);
	g_object_unref(stream);
}

START_TEST(test_charset_names_bounded)
{
	guint names, other;
	size_t before = 0, after;

	poc_notice_init();
	for (int i = 0; i < 5000; i++) {
		GString *m = g_string_new("From: ");

		for (int k = 0; k < 20; k++)
			g_string_append_printf(m, "=?cs%d-%d-%040d?Q?a?= ", i, k, i);
		g_string_append(m, "<a@example.com>\nTo: b@example.com\nSubject: x\n\nbody\n");
		parse_one(m->str);
		g_string_free(m, TRUE);
		if (i == 99)
			before = mallinfo2().uordblks;
	}
	after = mallinfo2().uordblks;
	poc_charsets_stats(&names, &other);
	ck_assert_uint_eq(other, POC_CHARSET_OTHER);
	ck_assert_uint_lt(names, 2000);
	if (before > 0)
		ck_assert_msg(after < before + 1024 * 1024, "heap grew from %zu to %zu bytes", before,
			      after);
	/* Over the budget, a name iconv does not know is the one constant. */
	ck_assert_str_eq(g_mime_charset_iconv_name("no-such-charset-here"), POC_CHARSET_UNKNOWN);
	ck_assert_str_eq(g_mime_charset_iconv_name("utf-8//TRANSLIT"), POC_CHARSET_UNKNOWN);
	ck_assert_str_eq(g_mime_charset_iconv_name("../../tmp/x"), POC_CHARSET_UNKNOWN);
}
END_TEST

/* Names iconv knows, and GMime's own aliases (ks_c_5601-1987), still decode. */
START_TEST(test_charset_names_known)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "=?windows-1252?Q?caf=E9?=", "café" },
		{ "=?ISO-8859-1?Q?caf=E9?=", "café" },
		{ "=?utf-8?B?5pel5pys?=", "日本" },
		{ "=?iso-2022-jp?B?GyRCRnxLXBsoQg==?=", "日本" },
		{ "=?shift_jis?B?k/qWew==?=", "日本" },
		{ "=?ks_c_5601-1987?B?x9GxuQ==?=", "한국" },	/* a GMime alias */
	};

	poc_notice_init();
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *t = g_mime_utils_header_decode_text(NULL, cases[i].in);

		ck_assert_str_eq(t, cases[i].out);
		g_free(t);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("mime");
	TCase *tc = tcase_create("text");

	tcase_add_test(tc, test_encoded_words);
	tcase_add_test(tc, test_html);
	tcase_add_test(tc, test_flowed);
	tcase_add_test(tc, test_text_to_utf8);
	tcase_add_test(tc, test_charset_names_bounded);
	tcase_add_test(tc, test_charset_names_known);
	suite_add_tcase(s, tc);
	return run_suite(s, CK_FORK_GETENV);
}
