/*
 * NAME
 *	test_jis.c - unit tests of jis.c: ISO-2022-JP(-MS) and charsets
 * DESCRIPTION
 *	Standard text is encoded by iconv in the test; the Microsoft
 *	extensions iconv cannot encode in ISO-2022-JP (①, ㈱, the IBM kanji)
 *	are written as bytes. Every result must be valid UTF-8.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "jis.h"
#include "testutil.h"

#define FFFD "\xEF\xBF\xBD"

static void
assert_utf8(const char *s)
{
	ck_assert_ptr_nonnull(s);
	ck_assert_msg(g_utf8_validate(s, -1, NULL), "not valid UTF-8");
}

/* ---- ISO-2022-JP ---------------------------------------------------- */

START_TEST(test_jis_roundtrip_iconv)
{
	const char *text = "【概要情報】JPCERT#12345678 製品開発者調整のお願い\r\n"
			   "ベンダー各位、公開予定日は2026年12月15日です。\n";
	gsize len = 0;
	char *jis = g_convert(text, -1, "ISO-2022-JP", "UTF-8", NULL, &len, NULL);
	char *back;

	ck_assert_ptr_nonnull(jis);
	ck_assert(memchr(jis, 0x1B, len) != NULL);
	back = poc_jis_to_utf8(jis, len);
	assert_utf8(back);
	ck_assert_str_eq(back, text);
	g_free(back);
	back = poc_charset_to_utf8("ISO-2022-JP", jis, len);
	ck_assert_str_eq(back, text);
	g_free(back);
	g_free(jis);
}
END_TEST

static const struct {
	const char *in;
	size_t len;	/* 0: strlen */
	const char *out;
} jis_cases[] = {
	/* NEC row 13 specials: what glibc's ISO-2022-JP refuses */
	{ "\x1b$B\x2d\x21\x1b(B", 0, "①" },
	{ "\x1b$B\x2d\x6a\x1b(B", 0, "㈱" },
	{ "\x1b$B\x2d\x35\x2d\x36\x1b(B", 0, "ⅠⅡ" },
	{ "\x1b$B\x2d\x62\x2d\x64\x1b(B", 0, "№℡" },
	{ "\x1b$B\x33\x74\x3c\x30\x32\x71\x3c\x52\x2d\x6a\x1b(B", 0, "株式会社㈱" },
	/* NEC-selected IBM extensions, rows 89 and 92 */
	{ "\x1b$B\x79\x21\x1b(B", 0, "纊" },
	{ "\x1b$B\x7c\x71\x1b(B", 0, "ⅰ" },
	/* JIS X 0208 through ESC $ @ too */
	{ "\x1b$@\x30\x21\x1b(B", 0, "亜" },
	/* ESC & @ announcer is ignored */
	{ "\x1b&@\x1b$B\x30\x21\x1b(B", 0, "亜" },
	/* JIS X 0201 Roman read as ASCII */
	{ "\x1b(JABC\x1b(B", 0, "ABC" },
	/* half-width katakana, by escape and by SO/SI */
	{ "\x1b(I\x31\x32\x1b(B", 0, "ｱｲ" },
	{ "A\x0e\x31\x5f\x0f" "B", 0, "Aｱﾟ" "B" },
	{ "\x1b(I\x60\x1b(B", 0, FFFD },
	/* JIS X 0212 via EUC-JP */
	{ "\x1b$(D\x30\x21\x1b(B", 0, "丂" },
	/* a line break returns to ASCII even if the sender forgot */
	{ "\x1b$B\x30\x21\nAB", 0, "亜\nAB" },
	/* broken input: U+FFFD and go on */
	{ "abc\x1b", 0, "abc" FFFD },
	{ "abc\x1b$", 0, "abc" FFFD "$" },
	{ "\x1bZabc", 0, FFFD "Zabc" },
	{ "\x1b$B\x30", 0, FFFD },
	{ "\x1b$B\x30\x21\x30", 0, "亜" FFFD },
	{ "\x1b$B\x30 \x21\x1b(B", 0, FFFD " " FFFD },
	{ "a\x80\xff" "b", 0, "a" FFFD FFFD "b" },
	{ "a\0b", 3, "a" FFFD "b" },
	{ "\x1b$B\x7e\x7e\x1b(B", 0, FFFD },	/* unmapped in CP932 */
	{ "\x1b$B\x29\x21\x1b(B", 0, FFFD },	/* empty row 9 */
	{ "", 0, "" },
};

START_TEST(test_jis_table)
{
	size_t len = jis_cases[_i].len ? jis_cases[_i].len : strlen(jis_cases[_i].in);
	char *got = poc_jis_to_utf8(jis_cases[_i].in, len);

	assert_utf8(got);
	ck_assert_msg(strcmp(got, jis_cases[_i].out) == 0, "case %d: got \"%s\", want \"%s\"", _i,
		      got, jis_cases[_i].out);
	g_free(got);
}
END_TEST

START_TEST(test_jis_null)
{
	char *got = poc_jis_to_utf8(NULL, 0);

	ck_assert_str_eq(got, "");
	g_free(got);
}
END_TEST

/* ---- every charset ---------------------------------------------------- */

static const struct {
	const char *charset, *in;
	size_t len;	/* 0: strlen */
	const char *out;
} charset_cases[] = {
	/* Shift_JIS family, all read as CP932 so ① decodes */
	{ "Shift_JIS", "\x82\xb1\x82\xf1\x87\x40", 0, "こん①" },
	{ "shift-jis", "\x87\x8a", 0, "㈱" },
	{ "x-sjis", "\x88\x9f", 0, "亜" },
	{ "SJIS", "\x88\x9f", 0, "亜" },
	{ "cp932", "\xed\x40", 0, "纊" },
	{ "Windows-31J", "\xfa\x40", 0, "ⅰ" },
	{ "MS932", "\x88\x9f", 0, "亜" },
	{ "\"Shift_JIS\"", "\x88\x9f", 0, "亜" },
	{ "shift_jis", "\x88\x9f\x88", 0, "亜" FFFD },
	{ "shift_jis", "\x88\x9f\xff\x88\x9f", 0, "亜" FFFD "亜" },
	{ "shift_jis", "\xb1\xb2", 0, "ｱｲ" },
	/* EUC-JP, with the NEC specials of EUC-JP-MS */
	{ "EUC-JP", "\xa4\xb3\xa4\xf3", 0, "こん" },
	{ "x-euc-jp", "\xb0\xa1", 0, "亜" },
	{ "euc-jp", "\xad\xa1", 0, "①" },
	{ "euc-jp", "\x8f\xb0\xa1", 0, "丂" },
	{ "euc-jp", "\xb0", 0, FFFD },
	/* ISO-2022-JP aliases */
	{ "iso-2022-jp", "\x1b$B\x2d\x21\x1b(B", 0, "①" },
	{ "ISO-2022-JP-2", "\x1b$B\x30\x21\x1b(B", 0, "亜" },
	{ "iso-2022-jp-ms", "\x1b$B\x2d\x6a\x1b(B", 0, "㈱" },
	{ "CP50220", "\x1b$B\x30\x21\x1b(B", 0, "亜" },
	{ "cp50221", "\x1b(I\x31\x1b(B", 0, "ｱ" },
	{ "cp50222", "\x1b(J\x0e\x31\x0f", 0, "ｱ" },
	/* mislabelled: 8-bit text called ISO-2022-JP */
	{ "iso-2022-jp", "亜です", 0, "亜です" },
	{ "iso-2022-jp", "\x88\x9f\x82\xc5\x82\xb7", 0, "亜です" },
	/* UTF-8 and ASCII */
	{ "utf-8", "亜", 0, "亜" },
	{ "UTF8", "a\xff" "b", 0, "a" FFFD "b" },
	{ "utf-8", "a\xe4\xba", 0, "a" FFFD FFFD },
	{ "us-ascii", "plain", 0, "plain" },
	{ "us-ascii", "亜", 0, "亜" },
	/* other charsets through iconv */
	{ "iso-8859-1", "caf\xe9", 0, "café" },
	{ "ISO-8859-15", "\xa4", 0, "€" },
	{ "windows-1252", "\x80", 0, "€" },
	{ "utf-16le", "a\0b\0", 4, "ab" },
	/* no or unknown charset: look at the bytes */
	{ NULL, "亜", 0, "亜" },
	{ NULL, "\x1b$B\x30\x21\x1b(B", 0, "亜" },
	{ NULL, "\x88\x9f\x87\x40", 0, "亜①" },
	{ "x-unknown-charset", "\x88\x9f", 0, "亜" },
	{ "", "\x88\x9f", 0, "亜" },
	{ "utf-8//TRANSLIT", "\x88\x9f", 0, "亜" },
	{ "../../etc/passwd", "abc", 0, "abc" },
	{ NULL, "\x81\xff", 0, FFFD FFFD },
	/* NUL never ends the result early */
	{ "utf-8", "a\0b", 3, "a" FFFD "b" },
	{ "shift_jis", "a\0\x88\x9f", 4, "a" FFFD "亜" },
	{ NULL, "a\0b", 3, "a" FFFD "b" },
	{ "utf-8", "", 0, "" },
};

START_TEST(test_charset_table)
{
	size_t len = charset_cases[_i].len ? charset_cases[_i].len : strlen(charset_cases[_i].in);
	char *got = poc_charset_to_utf8(charset_cases[_i].charset, charset_cases[_i].in, len);

	assert_utf8(got);
	ck_assert_msg(strcmp(got, charset_cases[_i].out) == 0, "%s case %d: got \"%s\", want \"%s\"",
		      charset_cases[_i].charset ? charset_cases[_i].charset : "(null)", _i, got,
		      charset_cases[_i].out);
	g_free(got);
}
END_TEST

START_TEST(test_charset_null_input)
{
	char *got = poc_charset_to_utf8("utf-8", NULL, 5);

	ck_assert_str_eq(got, "");
	g_free(got);
}
END_TEST

/* Every byte pair in every mode: no crash, always valid UTF-8. */
START_TEST(test_jis_all_pairs)
{
	static const char *const prefixes[] = { "", "\x1b$B", "\x1b(I", "\x1b$(D", "\x0e" };

	for (size_t k = 0; k < G_N_ELEMENTS(prefixes); k++) {
		for (unsigned a = 0; a < 256; a++) {
			char buf[8];
			size_t n = strlen(prefixes[k]);
			GString *all = g_string_new(NULL);
			char *got;

			for (unsigned b = 0; b < 256; b++) {
				memcpy(buf, prefixes[k], n);
				buf[n] = (char)a;
				buf[n + 1] = (char)b;
				got = poc_jis_to_utf8(buf, n + 2);
				assert_utf8(got);
				g_free(got);
				g_string_append_len(all, buf, (gssize)n + 2);
			}
			got = poc_charset_to_utf8(NULL, all->str, all->len);
			assert_utf8(got);
			g_free(got);
			got = poc_charset_to_utf8("shift_jis", all->str, all->len);
			assert_utf8(got);
			g_free(got);
			got = poc_charset_to_utf8("euc-jp", all->str, all->len);
			assert_utf8(got);
			g_free(got);
			g_string_free(all, TRUE);
		}
	}
}
END_TEST

static Suite *
jis_suite(void)
{
	Suite *s = suite_create("jis");
	TCase *tc;

	tc = tcase_create("iso-2022-jp");
	tcase_add_test(tc, test_jis_roundtrip_iconv);
	tcase_add_loop_test(tc, test_jis_table, 0, G_N_ELEMENTS(jis_cases));
	tcase_add_test(tc, test_jis_null);
	suite_add_tcase(s, tc);

	tc = tcase_create("charsets");
	tcase_add_loop_test(tc, test_charset_table, 0, G_N_ELEMENTS(charset_cases));
	tcase_add_test(tc, test_charset_null_input);
	suite_add_tcase(s, tc);

	tc = tcase_create("robustness");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_jis_all_pairs);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return run_suite(jis_suite(), CK_FORK_GETENV);
}
