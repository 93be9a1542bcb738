/*
 * NAME
 *	test_words - the coordinator's own words: kinds and dates
 * SYNOPSIS
 *	tests/unit/test_words (srcdir: where doc/KINDS.md is)
 * DESCRIPTION
 *	Kinds: reads the vocabulary table of doc/KINDS.md and checks that
 *	every word gives its row's kind, in every place (subject, body) the
 *	row lists, in each form a notice may carry it: UTF-8, ISO-2022-JP
 *	and Shift_JIS (encoded with iconv, read back with the charset
 *	reader mail goes through), full-width letters, half-width katakana.
 *
 *	Dates: property tests against GLib's calendar (GDate): every day
 *	from 1989-01-01 to 2100-12-31 in each written form (Gregorian,
 *	era with kanji (元年 in the first year), era abbreviated with '.'
 *	and '/', full-width digits, slashes, ISO, English, with the right
 *	weekday, with a time), the wrong weekday noted as a problem, and
 *	the same day without a year read against received times before and
 *	after it.
 * DIAGNOSTICS
 *	Check's output; a failure names the word or the date and form.
 * SECURITY
 *	Test data only.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "jis.h"
#include "jst.h"
#include "testutil.h"
#include "text.h"

/* ---- kinds: the vocabulary of doc/KINDS.md --------------------------- */

typedef struct vocab_row {
	poc_kind kind;
	gboolean subject, body;
	char **words;
} vocab_row;

static GPtrArray *
read_vocabulary(void)
{
	const char *srcdir = getenv("srcdir");
	char *path = g_build_filename(srcdir ? srcdir : ".", "doc", "KINDS.md", NULL);
	char *doc = NULL, **lines, *at;
	GPtrArray *rows = g_ptr_array_new();

	ck_assert_msg(g_file_get_contents(path, &doc, NULL, NULL), "cannot read %s", path);
	at = strstr(doc, "<!-- vocabulary:");
	ck_assert_msg(at != NULL, "doc/KINDS.md has no vocabulary table");
	lines = g_strsplit(at, "\n", -1);
	/* the marker, the header, the rule; then rows up to a blank line */
	for (guint i = 3; lines[i] && lines[i][0] == '|'; i++) {
		char **cells = g_strsplit(lines[i], " | ", -1);
		vocab_row *row = g_new0(vocab_row, 1);
		int kind;

		ck_assert_msg(g_strv_length(cells) == 4, "vocabulary row %u: 4 cells wanted", i);
		kind = poc_kind_parse(cells[1]);
		ck_assert_msg(kind >= 0, "vocabulary row %u: unknown kind %s", i, cells[1]);
		row->kind = (poc_kind)kind;
		row->subject = strstr(cells[2], "subject") != NULL;
		row->body = strstr(cells[2], "body") != NULL;
		ck_assert(g_str_has_suffix(cells[3], " |"));
		cells[3][strlen(cells[3]) - 2] = '\0';
		row->words = g_strsplit(cells[3], ", ", -1);
		g_ptr_array_add(rows, row);
		g_strfreev(cells);
	}
	g_strfreev(lines);
	g_free(doc);
	g_free(path);
	return rows;
}

/* ASCII letters and digits to their full-width forms (U+FF01..). */
static char *
to_fullwidth(const char *s)
{
	GString *out = g_string_new(NULL);

	for (const char *p = s; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (c > 0x20 && c < 0x7f)
			c += 0xFF01 - 0x21;
		else if (c == ' ')
			c = 0x3000;
		g_string_append_unichar(out, c);
	}
	return g_string_free(out, FALSE);
}

/* Katakana to half-width (ﾍﾞﾝﾀﾞｰ), by NFKC read backwards. */
static char *
to_halfwidth(const char *s)
{
	static GHashTable *map;
	GString *out = g_string_new(NULL);

	if (!map) {
		map = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
		for (gunichar h = 0xFF61; h <= 0xFF9D; h++) {
			static const char *const marks[] = { "", "\xef\xbe\x9e", "\xef\xbe\x9f" };

			for (size_t m = 0; m < G_N_ELEMENTS(marks); m++) {
				char half[16] = { 0 };
				char *full;

				g_unichar_to_utf8(h, half);
				strcat(half, marks[m]);
				full = g_utf8_normalize(half, -1, G_NORMALIZE_NFKC);
				if (full && g_utf8_strlen(full, -1) == 1 &&
				    !g_hash_table_contains(map, full))
					g_hash_table_insert(map, full, g_strdup(half));
				else
					g_free(full);
			}
		}
	}
	for (const char *p = s; *p; p = g_utf8_next_char(p)) {
		char one[8] = { 0 };
		const char *half;

		g_unichar_to_utf8(g_utf8_get_char(p), one);
		half = g_hash_table_lookup(map, one);
		g_string_append(out, half ? half : one);
	}
	return g_string_free(out, FALSE);
}

/* text through a mail charset and back, as a notice's text reaches the rules */
static char *
via_charset(const char *text, const char *charset)
{
	gsize len = 0;
	char *encoded = g_convert(text, -1, charset, "UTF-8", NULL, &len, NULL);
	char *back;

	if (!encoded)
		return NULL;
	back = poc_charset_to_utf8(charset, encoded, len);
	g_free(encoded);
	return back;
}

static void
check_word(const poc_kind_rules *rules, const vocab_row *row, const char *word,
	   const char *form, GString *failures, guint *checks)
{
	for (int place = 0; place < 2; place++) {
		char *subject, *body, *norm_s, *norm_b, *why = NULL;
		poc_kind got;

		if ((place == 0 && !row->subject) || (place == 1 && !row->body))
			continue;
		if (place == 0) {
			subject = g_strdup_printf("JPCERT#12345678 %s", word);
			body = g_strdup("お世話になっております。\nJPCERT/CC です。\n");
		} else {
			subject = g_strdup("JPCERT#12345678");
			body = g_strdup_printf("お世話になっております。\n%s\nよろしくお願いいたします。\n",
					       word);
		}
		/* as notice.c gives them: folded, then classified */
		norm_s = poc_text_normalise(subject);
		norm_b = poc_text_normalise(body);
		got = poc_kind_classify_rule(rules, TRUE, norm_s, norm_b, &why);
		(*checks)++;
		if (got != row->kind)
			g_string_append_printf(failures, "  [%s] in the %s (%s): %s (%s), want %s\n",
					       word, place ? "body" : "subject", form,
					       poc_kind_name(got), why, poc_kind_name(row->kind));
		g_free(why);
		g_free(norm_s);
		g_free(norm_b);
		g_free(subject);
		g_free(body);
	}
}

START_TEST(test_vocabulary)
{
	poc_kind_rules *rules = poc_kind_rules_default();
	GPtrArray *rows = read_vocabulary();
	GString *failures = g_string_new(NULL);
	guint words = 0, checks = 0;

	ck_assert_uint_ge(rows->len, 8);
	for (guint r = 0; r < rows->len; r++) {
		const vocab_row *row = g_ptr_array_index(rows, r);

		for (guint w = 0; row->words[w]; w++) {
			const char *word = row->words[w];
			char *forms[5];
			const char *names[5] = { "UTF-8", "ISO-2022-JP", "Shift_JIS", "full-width",
						 "half-width" };

			words++;
			forms[0] = g_strdup(word);
			forms[1] = via_charset(word, "ISO-2022-JP");
			forms[2] = via_charset(word, "SHIFT_JIS");
			forms[3] = to_fullwidth(word);
			forms[4] = to_halfwidth(word);
			for (int f = 0; f < 5; f++) {
				if (!forms[f]) {
					g_string_append_printf(failures, "  [%s]: no %s form\n", word,
							       names[f]);
					continue;
				}
				check_word(rules, row, forms[f], names[f], failures, &checks);
				g_free(forms[f]);
			}
		}
		g_strfreev(row->words);
		g_free((vocab_row *)row);
	}
	printf("vocabulary: %u words, %u checks\n", words, checks);
	ck_assert_msg(failures->len == 0, "words read as the wrong kind:\n%s", failures->str);
	ck_assert_uint_ge(words, 80);
	g_string_free(failures, TRUE);
	g_ptr_array_free(rows, TRUE);
	poc_kind_rules_free(rules);
}
END_TEST

/* Which rule decided: built-in rows by number, site rules by file:line. */
START_TEST(test_kind_rule_named)
{
	poc_kind_rules *rules = poc_kind_rules_default();
	char *why = NULL, path[] = "/tmp/test_words_XXXXXX";
	int fd = g_mkstemp(path);
	GError *error = NULL;

	ck_assert_int_eq(poc_kind_classify_rule(rules, FALSE, "x", "", &why),
			 POC_KIND_DIRECT_REPORT);
	ck_assert_str_eq(why, "built-in 1");
	g_free(why);
	ck_assert_int_eq(poc_kind_classify_rule(rules, TRUE, "公表日変更のお知らせ", "", &why),
			 POC_KIND_SCHEDULE);
	ck_assert_str_eq(why, "built-in 2");
	g_free(why);
	ck_assert_int_eq(poc_kind_classify_rule(rules, TRUE, "Re: JPCERT#1", "ありがとうございました",
						&why),
			 POC_KIND_OTHER);
	ck_assert_str_eq(why, "no rule matched");
	g_free(why);
	ck_assert(fd >= 0);
	close(fd);
	ck_assert(g_file_set_contents(path, "# site\n\nsummary subject coordinator 脆弱性関連情報の通知\n",
				      -1, NULL));
	ck_assert_int_eq(poc_kind_rules_load(rules, path, &error), POC_OK);
	ck_assert_int_eq(poc_kind_classify_rule(rules, TRUE, "脆弱性関連情報の通知", "", &why),
			 POC_KIND_SUMMARY);
	ck_assert(g_str_has_suffix(why, ":3"));
	ck_assert(g_str_has_prefix(why, path));
	g_free(why);
	unlink(path);
	poc_kind_rules_free(rules);
}
END_TEST

/* English notices: the subject names the kind, whatever the body asks. */
START_TEST(test_english_subject_decides)
{
	poc_kind_rules *rules = poc_kind_rules_default();
	const char *body = "We have received a report of a vulnerability in protocol X.\n"
			   "Do you have products implementing it?\n"
			   "Do you need the detailed information?\n";

	ck_assert_int_eq(poc_kind_classify(rules, TRUE,
					   "[JPCERT#12345678] Vulnerability information: Summary",
					   body),
			 POC_KIND_SUMMARY);
	ck_assert_int_eq(poc_kind_classify(rules, TRUE, "[JPCERT#12345678] Vulnerability (summary)",
					   body),
			 POC_KIND_SUMMARY);
	ck_assert_int_eq(poc_kind_classify(rules, TRUE, "[JPCERT#12345678]", body),
			 POC_KIND_SUMMARY);
	ck_assert_int_eq(poc_kind_classify(rules, TRUE,
					   "[JPCERT#12345678] Change of the publication schedule",
					   "The detailed information was sent on 2026-11-01."),
			 POC_KIND_SCHEDULE);
	ck_assert_int_eq(poc_kind_classify(rules, TRUE, "[JPCERT#12345678] Detailed information",
					   "Summary of the vulnerability: ..."),
			 POC_KIND_DETAIL);
	/* a summary's body saying the date will be set later is no schedule */
	ck_assert_int_eq(poc_kind_classify(rules, TRUE, "【概要情報】JPCERT#12345678",
					   "公表日が決定しましたらご連絡します。"),
			 POC_KIND_SUMMARY);
	ck_assert_int_eq(poc_kind_classify(rules, TRUE, "JPCERT#12345678",
					   "公表日程は別途調整します。\n概要情報をお送りします。"),
			 POC_KIND_SUMMARY);
	ck_assert_int_eq(poc_kind_classify(rules, TRUE, "JPCERT#12345678",
					   "公表日が決まったらお知らせします。\n概要情報をお送りします。"),
			 POC_KIND_SUMMARY);
	ck_assert_int_eq(poc_kind_classify(rules, TRUE, "JPCERT#12345678",
					   "公表予定日が決まりましたらご連絡します。\n概要情報です。"),
			 POC_KIND_SUMMARY);
	/* a summary's subject naming the date stays a summary */
	ck_assert_int_eq(poc_kind_classify(rules, TRUE, "【概要情報】JPCERT#12345678 (公表日未定)", ""),
			 POC_KIND_SUMMARY);
	poc_kind_rules_free(rules);
}
END_TEST

/* ---- dates: against GLib's calendar ---------------------------------- */

static const char *const wd_ja[] = { "", "月", "火", "水", "木", "金", "土", "日" };
static const char *const wd_en[] = { "", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
				     "Saturday", "Sunday" };
static const char *const months_en[] = { "", "January", "February", "March", "April", "May",
					 "June", "July", "August", "September", "October",
					 "November", "December" };

/* The era of a day, by the dates the eras began (the test's own table). */
static void
era_of(const GDate *d, const char **name, const char **letter, int *year)
{
	static const struct {
		int y, m, day;
		const char *name, *letter;
	} starts[] = {
		{ 2019, 5, 1, "令和", "R" }, { 1989, 1, 8, "平成", "H" }, { 1926, 12, 25, "昭和", "S" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(starts); i++) {
		GDate s;

		g_date_clear(&s, 1);
		g_date_set_dmy(&s, (GDateDay)starts[i].day, (GDateMonth)starts[i].m,
			       (GDateYear)starts[i].y);
		if (g_date_compare(d, &s) >= 0) {
			*name = starts[i].name;
			*letter = starts[i].letter;
			*year = g_date_get_year(d) - starts[i].y + 1;
			return;
		}
	}
	g_assert_not_reached();
}

static gint64
jst_midnight(const GDate *d)
{
	GDate epoch;

	g_date_clear(&epoch, 1);
	g_date_set_dmy(&epoch, 1, 1, 1970);
	return (gint64)g_date_days_between(&epoch, d) * 86400 - POC_JST_OFFSET;
}

static void
expect_date(const char *text, gint64 received, gint64 want, guint want_problems,
	    GString *failures, guint *checks)
{
	GPtrArray *problems = g_ptr_array_new_with_free_func(g_free);
	gint64 got = poc_text_read_publication_date(text, received, problems);

	(*checks)++;
	if ((got != want || problems->len != want_problems) && failures->len < 4000) {
		char a[POC_TIME_BUFSIZE], b[POC_TIME_BUFSIZE];

		g_string_append_printf(failures, "  \"%s\": got %s (%u problems), want %s (%u)\n",
				       text, poc_time_format(got, a), problems->len,
				       poc_time_format(want, b), want_problems);
	}
	g_ptr_array_unref(problems);
}

START_TEST(test_dates_every_day)
{
	GDate d, end;
	GString *failures = g_string_new(NULL);
	guint checks = 0, days = 0;

	g_date_clear(&d, 1);
	g_date_clear(&end, 1);
	/* one year per test (_i): each its own process and timeout */
	g_date_set_dmy(&d, 1, 1, (GDateYear)_i);
	g_date_set_dmy(&end, 31, 12, (GDateYear)_i);
	for (; g_date_compare(&d, &end) <= 0; g_date_add_days(&d, 1), days++) {
		int y = g_date_get_year(&d), m = g_date_get_month(&d), day = g_date_get_day(&d);
		int wd = g_date_get_weekday(&d), ey;
		gint64 want = jst_midnight(&d);
		const char *era, *letter;
		char *text, *era_year, *full;

		era_of(&d, &era, &letter, &ey);
		era_year = ey == 1 ? g_strdup("元") : g_strdup_printf("%d", ey);

		text = g_strdup_printf("公表日：%d年%d月%d日(%s)", y, m, day, wd_ja[wd]);
		expect_date(text, 0, want, 0, failures, &checks);
		g_free(text);
		text = g_strdup_printf("公表予定日：%s%s年%d月%d日（%s）", era, era_year, m, day,
				       wd_ja[wd]);
		expect_date(text, 0, want, 0, failures, &checks);
		full = to_fullwidth(text);	/* digits and brackets full-width */
		expect_date(full, 0, want, 0, failures, &checks);
		g_free(full);
		g_free(text);
		text = g_strdup_printf("公表日 %s%s.%d.%d", letter, era_year, m, day);
		expect_date(text, 0, want, 0, failures, &checks);
		g_free(text);
		text = g_strdup_printf("公表日 %s%d/%d/%d 11:00", letter, ey, m, day);
		expect_date(text, 0, want + 11 * 3600, 0, failures, &checks);
		g_free(text);
		text = g_strdup_printf("Publication date: %d-%02d-%02dT11:00", y, m, day);
		expect_date(text, 0, want + 11 * 3600, 0, failures, &checks);
		g_free(text);
		text = g_strdup_printf("公表日時：%s%s年%d月%d日 午後3時", era, era_year, m, day);
		expect_date(text, 0, want + 15 * 3600, 0, failures, &checks);
		g_free(text);
		text = g_strdup_printf("公表日 %d/%02d/%02d", y, m, day);
		expect_date(text, 0, want, 0, failures, &checks);
		g_free(text);
		text = g_strdup_printf("Publication date: %s, %s %d, %d", wd_en[wd], months_en[m], day,
				       y);
		expect_date(text, 0, want, 0, failures, &checks);
		g_free(text);
		/* the wrong weekday: the date as written, and a problem */
		text = g_strdup_printf("公表日：%d年%d月%d日(%s)", y, m, day, wd_ja[wd % 7 + 1]);
		expect_date(text, 0, want, 1, failures, &checks);
		g_free(text);
		/* no year: 10 days before, 92 days after (the past one), 93 after (next year) */
		text = g_strdup_printf("公表予定日：%d月%d日(%s)", m, day, wd_ja[wd]);
		expect_date(text, want - 10 * 86400 + 12 * 3600, want, 0, failures, &checks);
		expect_date(text, want + 92 * 86400 + 12 * 3600, want, 0, failures, &checks);
		g_free(text);
		{
			GDate next;

			g_date_clear(&next, 1);
			if (y < 2100 &&
			    g_date_valid_dmy((GDateDay)day, (GDateMonth)m, (GDateYear)(y + 1))) {
				char *plain = g_strdup_printf("公表日時 %d/%d 11:00", m, day);

				g_date_set_dmy(&next, (GDateDay)day, (GDateMonth)m, (GDateYear)(y + 1));
				expect_date(plain, want + 93 * 86400, jst_midnight(&next) + 11 * 3600, 0,
					    failures, &checks);
				g_free(plain);
			}
		}
		g_free(era_year);
	}
	if (_i == 2100)
		printf("dates: 1989-2100, %u checks in 2100 alone\n", checks);
	ck_assert_msg(failures->len == 0, "dates read wrong:\n%s", failures->str);
	ck_assert_uint_eq(days, g_date_is_leap_year((GDateYear)_i) ? 366 : 365);
	g_string_free(failures, TRUE);
}
END_TEST

static const struct {
	const char *text, *received, *want;	/* RFC 3339 (+09:00), "" for none */
	guint problems;
} date_cases[] = {
	{ "公表予定日：令和9年2月3日(水)", "", "2027-02-03T00:00:00+09:00", 0 },
	{ "公表日 R9.2.3", "", "2027-02-03T00:00:00+09:00", 0 },
	{ "公表日 H31.4.30", "", "2019-04-30T00:00:00+09:00", 0 },
	{ "公表日 平成31年4月30日", "", "2019-04-30T00:00:00+09:00", 0 },
	{ "公表日 令和元年5月1日", "", "2019-05-01T00:00:00+09:00", 0 },
	{ "公表日 ㋿9年2月3日 11時", "", "2027-02-03T11:00:00+09:00", 0 },
	{ "公表日 令和９年２月３日", "", "2027-02-03T00:00:00+09:00", 0 },
	{ "公表日 昭和63年1月1日", "", "", 0 },		/* before 1989: no publication date */
	{ "公表日 R0.1.1", "", "", 0 },
	/* no year: read only against a received time, only by a keyword */
	{ "公表予定日：2月10日(水)", "", "", 0 },
	{ "公表予定日：2月10日(水)", "2027-01-20T10:00:00+09:00", "2027-02-10T00:00:00+09:00", 0 },
	{ "公表予定日：2月10日(月)", "2027-01-20T10:00:00+09:00", "2027-02-10T00:00:00+09:00", 1 },
	{ "公表日時 2/10 11:00", "2026-12-28T10:00:00+09:00", "2027-02-10T11:00:00+09:00", 0 },
	{ "ご参考: 1/2 の製品が該当", "2026-12-28T10:00:00+09:00", "", 0 },
	{ "公表日を2月1日から2月10日に変更します。", "2027-02-05T10:00:00+09:00",
	  "2027-02-10T00:00:00+09:00", 0 },
	{ "一般公表日時を12月20日から1月15日に変更します。", "2026-12-18T10:00:00+09:00",
	  "2027-01-15T00:00:00+09:00", 0 },
	{ "旧公表日: 12月28日\n新公表日: 1月8日(金)", "2027-01-05T10:00:00+09:00",
	  "2027-01-08T00:00:00+09:00", 0 },
	{ "■公表予定日\n  3月1日(月) 11:00", "2027-02-20T10:00:00+09:00",
	  "2027-03-01T11:00:00+09:00", 0 },
	{ "公表予定日：2028年2月29日(火)", "", "2028-02-29T00:00:00+09:00", 0 },
	{ "公表予定日：2月29日", "2027-01-10T10:00:00+09:00", "2028-02-29T00:00:00+09:00", 0 },
	{ "Publication date: Wednesday, February 10, 2027", "", "2027-02-10T00:00:00+09:00", 0 },
	{ "Publication date: Tuesday, February 10, 2027", "", "2027-02-10T00:00:00+09:00", 1 },
	{ "Publication date: Wed 10 Feb 2027 11:00", "", "2027-02-10T11:00:00+09:00", 0 },
	{ "公表日：2027年2月10日(予定)", "", "2027-02-10T00:00:00+09:00", 0 },
	/* after a dated one on the line: its year, with or without a received time */
	{ "一般公表日時を2026年12月20日から1月15日に変更します。", "", "2027-01-15T00:00:00+09:00", 0 },
	{ "一般公表日時を2026年12月20日から1月15日に変更します。", "2026-06-01T10:00:00+09:00",
	  "2027-01-15T00:00:00+09:00", 0 },
	{ "公表日を2027年3月3日から2月24日(水)に前倒しします。", "", "2027-02-24T00:00:00+09:00", 0 },
	/* 変更前 / 変更後 under one heading: the new line is keyed too */
	{ "公表期日を以下のとおり変更します。\n変更前: 2027/02/10 11:00\n変更後: 2027/02/25 11:00",
	  "", "2027-02-25T11:00:00+09:00", 0 },
	{ "公表日時：2/3(水) 11:00", "2027-01-20T10:00:00+09:00", "2027-02-03T11:00:00+09:00", 0 },
};

START_TEST(test_dates_cases)
{
	GPtrArray *problems = g_ptr_array_new_with_free_func(g_free);
	gint64 received = 0, got;
	char buf[POC_TIME_BUFSIZE];

	if (*date_cases[_i].received) {
		GDateTime *dt = g_date_time_new_from_iso8601(date_cases[_i].received, NULL);

		ck_assert(dt != NULL);
		received = g_date_time_to_unix(dt);
		g_date_time_unref(dt);
	}
	got = poc_text_read_publication_date(date_cases[_i].text, received, problems);
	poc_time_format(got, buf);
	ck_assert_msg(strcmp(buf, date_cases[_i].want) == 0, "date of \"%s\": got \"%s\", want \"%s\"",
		      date_cases[_i].text, buf, date_cases[_i].want);
	ck_assert_msg(problems->len == date_cases[_i].problems, "\"%s\": %u problems, want %u",
		      date_cases[_i].text, problems->len, date_cases[_i].problems);
	g_ptr_array_unref(problems);
}
END_TEST

/* ---- vulnerability numbers in JVN addresses ------------------------- */

START_TEST(test_jvn_urls)
{
	GPtrArray *vulns = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *tns = g_ptr_array_new_with_free_func(g_free);

	poc_text_scan_ids("公表予定URL: https://jvn.jp/vu/JVNVU95000000/\n"
			  "https://jvn.jp/jp/JVN12345678/index.html\n"
			  "http://jvn.jp/ta/JVNTA87654321/ and https://jvndb.jvn.jp/ja/contents/"
			  "2026/JVNDB-2026-123456.html\n"
			  "https://jvn.jp/en/jp/JVN23456789/\n",
			  tns, vulns);
	ck_assert_uint_eq(tns->len, 0);
	ck_assert_uint_eq(vulns->len, 5);
	ck_assert_str_eq(g_ptr_array_index(vulns, 0), "JVNVU#95000000");
	ck_assert_str_eq(g_ptr_array_index(vulns, 1), "JVN#12345678");
	ck_assert_str_eq(g_ptr_array_index(vulns, 2), "JVNTA#87654321");
	ck_assert_str_eq(g_ptr_array_index(vulns, 3), "JVNDB-2026-123456");
	ck_assert_str_eq(g_ptr_array_index(vulns, 4), "JVN#23456789");
	g_ptr_array_set_size(vulns, 0);
	/* not an address of jvn.jp, or not a number: nothing */
	poc_text_scan_ids("https://example.com/JVN12345678x/ JVNVU95000000 jvn.jp/vu/JVNVU950/",
			  tns, vulns);
	ck_assert_uint_eq(vulns->len, 0);
	g_ptr_array_unref(vulns);
	g_ptr_array_unref(tns);
}
END_TEST

static Suite *
words_suite(void)
{
	Suite *s = suite_create("words");
	TCase *tc = tcase_create("kinds");

	tcase_add_test(tc, test_vocabulary);
	tcase_add_test(tc, test_kind_rule_named);
	tcase_add_test(tc, test_english_subject_decides);
	suite_add_tcase(s, tc);
	tc = tcase_create("dates");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_dates_every_day, 1989, 2101);
	tcase_add_loop_test(tc, test_dates_cases, 0, G_N_ELEMENTS(date_cases));
	suite_add_tcase(s, tc);
	tc = tcase_create("ids");
	tcase_add_test(tc, test_jvn_urls);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return run_suite(words_suite(), CK_FORK_GETENV);
}
