/*
 * NAME
 *	test_mime - header decoding, HTML and format=flowed of mime.c
 * DESCRIPTION
 *	No crypto here: the corpus test (tests/corpus) covers the OpenPGP
 *	forms end to end.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>

#include "mime.h"

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

int
main(void)
{
	Suite *s = suite_create("mime");
	TCase *tc = tcase_create("text");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_encoded_words);
	tcase_add_test(tc, test_html);
	tcase_add_test(tc, test_flowed);
	tcase_add_test(tc, test_text_to_utf8);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
