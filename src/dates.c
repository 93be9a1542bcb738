/*
 * NAME
 *	dates.c - the publication date of a notice
 * SYNOPSIS
 *	#include "text.h"
 *
 *	gint64 poc_text_find_publication_date(const char *text);
 *	gint64 poc_text_read_publication_date(const char *text,
 *					      gint64 received,
 *					      GPtrArray *problems);
 * DESCRIPTION
 *	Reads the date forms JPCERT/CC and CERT/CC write, after folding
 *	full-width digits (poc_text_normalise()):
 *
 *	    2026年12月15日, 2026年12月15日(火) 11時, 2026年12月15日 11時00分,
 *	    2026年12月15日 午後3時, 2026/12/15, 2026/12/15 11:00, 2026-12-15,
 *	    2026-12-15 11:00, 2026-12-15T11:00, December 15, 2026 (Dec 15,
 *	    Dec. 15th), 15 December 2026, each English form with an optional
 *	    "11:00" or "11:00 AM";
 *
 *	era dates: 令和9年2月3日(水) 11時, 令和元年5月1日, 平成31年4月30日,
 *	㋿9年2月3日 (明治, 大正, 昭和, 平成, 令和 and their squares), and
 *	abbreviated R9.2.3, H31.4.30, R元.5.1 (M T S H R, '.' or '/'). The
 *	era's year counts from the era's first year (元年 = 1) without
 *	checking where the era ended: 平成32年 reads as 2020, as forms
 *	printed before 2019 still write it;
 *
 *	dates without a year: 2月10日(水) 11時, 2/10, 2/10(水) 11:00. These
 *	count only on a line a keyword names (below: "1/2 の製品" is no
 *	date). Right after a dated one on the same line (a change
 *	"2026年12月20日から1月15日に変更", a range "2027年2月3日～2月10日")
 *	such a date is the first such day on or after POC_YEARLESS_PAST_DAYS
 *	(92) days before that date; otherwise the same before the day of
 *	receipt (Japan time), and without a received time it is not read.
 *	So in a thread, a date up to three months back is the past one
 *	("2月1日から2月10日に変更" received 5 February: both this year),
 *	anything earlier in the year is next year's ("1月15日" received 18
 *	December: next January). 2月29日 is the next 29 February in that
 *	window.
 *
 *	Every date is in Japan time (UTC+9, fixed: the host's TZ is never
 *	consulted); a date without a time is 00:00 that day. Impossible
 *	dates and times (2026-02-30, 25:00) and years outside 1989-2100 are
 *	not dates.
 *
 *	A weekday in brackets after a date ((水), (水曜日), (Wed)), or before
 *	an English one ("Wednesday, February 10, 2027"), is checked
 *	against the chosen publication date: a mismatch adds a line to
 *	problems ("publication date 2027-02-10 is a Wednesday, but the text
 *	says Monday: check the date") and the date stays as written, never
 *	silently moved to a day that fits. Other brackets ((予定)) are
 *	ignored.
 *
 *	Which date: each found date scores
 *	- 4 when a keyword (公表日, 公表予定日, 公表日時, 公表期日, 公表日程,
 *	  公表スケジュール, 一般公表日, the same with 公開, publication
 *	  date/schedule, publish/disclosure date) is on its line, or on the
 *	  nearest non-blank line above when that line holds no date (a
 *	  heading such as "■公開予定日"), or, for a line marked new
 *	  ("変更後: ..."), on the line of the date it follows when that one
 *	  is keyed ("変更前: ..." under the heading);
 *	- +1 when marked new (新, 変更後, new, revised, or "... to" / "→"
 *	  right after another date on the line), -2 when marked old (旧,
 *	  変更前, 当初, old, previous, original, "from", or followed by
 *	  "から" / "→" / "to" and another date on the line): a schedule
 *	  change "公開日を12月1日から12月15日に変更" gives 12月15日.
 *	The highest score wins; among equals, the first in the text.
 *	Only the first 256 KiB and the first 64 dates are considered.
 * SECURITY
 *	Never logs the text.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "jst.h"
#include "text.h"

/* Bounds on the work: a publication date is near the top of a notice. */
#define DATE_TEXT_MAX (256 * 1024)
#define DATE_HITS_MAX 64
/* A date without a year up to this many days before receipt is that past
 * day; otherwise the next one (see the header). */
#define POC_YEARLESS_PAST_DAYS 92

/*
 * Blanks are possessive (SP): with a plain [ \t]* next to an optional
 * group, a long run of blanks after "日" made the match cubic (13.8 s
 * for 200 KB of spaces).
 */
#define SP "[ \\t]*+"
#define SP1 "[ \\t]++"
#define MONTHS                                                                    \
	"(?<mon>Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?" \
	"|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)" \
	"(?![A-Za-z])\\.?"
#define EN_TIME                                                                   \
	"(?:,?" SP1 "(?:at" SP1 ")?(?<H>[0-9]{1,2}):(?<M>[0-9]{2})"                \
	"(?:" SP "(?<ap>[AaPp])\\.?[Mm]\\.?)?)?"
#define WEEKDAY "(?:" SP "\\((?<wd>[^()\\n]{1,9})\\))?"
/* "Wednesday, February 10, 2027", "Wed 10 Feb 2027" */
#define EN_WEEKDAY "(?:(?<wd>(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*)\\.?,?" SP1 ")?"
/* The era names, and the one-character squares (㍻, ㋿) JIS fonts have. */
#define ERA "(?<era>明治|大正|昭和|平成|令和|㍾|㍽|㍼|㍻|㋿)"
#define JA_TIME                                                                   \
	"(?:" SP "(?:(?<ap>午前|午後)" SP ")?(?<H>[0-9]{1,2})" SP "(?:時|:)"          \
	"(?:" SP "(?<M>[0-9]{1,2})(?:" SP "分)?)?)?"

/* Named groups: y (or era + ey, or neither: no year), m (or mon), d, wd,
 * H, M, ap (午前/午後 or a/p). */
static const char *const date_patterns[] = {
	/* 2026年12月15日, 令和9年2月3日, 令和元年5月1日, 2月10日: the year is optional */
	"(?<![0-9])(?:(?:(?<y>[0-9]{4})|" ERA SP "(?<ey>[0-9]{1,2}|元))" SP "年" SP ")?"
	"(?<m>[0-9]{1,2})" SP "月" SP "(?<d>[0-9]{1,2})" SP "日" WEEKDAY JA_TIME,

	"(?<![0-9/])(?<y>[0-9]{4})/(?<m>[0-9]{1,2})/(?<d>[0-9]{1,2})(?![0-9/])" WEEKDAY
	"(?:" SP1 "(?<H>[0-9]{1,2}):(?<M>[0-9]{2}))?",

	"(?<![0-9A-Za-z-])(?<y>[0-9]{4})-(?<m>[0-9]{1,2})-(?<d>[0-9]{1,2})(?![0-9])"
	"(?:(?:T|" SP1 ")(?<H>[0-9]{1,2}):(?<M>[0-9]{2}))?",

	"(?<![A-Za-z])" EN_WEEKDAY MONTHS SP1 "(?<d>[0-9]{1,2})(?:st|nd|rd|th)?,?" SP1 "(?<y>[0-9]{4})"
	"(?![0-9])" EN_TIME,

	"(?<![0-9A-Za-z])" EN_WEEKDAY "(?<d>[0-9]{1,2})(?:st|nd|rd|th)?" SP1 MONTHS ",?" SP1 "(?<y>[0-9]{4})"
	"(?![0-9])" EN_TIME,

	/* R9.2.3, H31.4.30, R元.5.1 (and with '/') */
	"(?<![0-9A-Za-z./])(?<era>[MTSHR])(?<ey>[0-9]{1,2}|元)(?<sep>[./])(?<m>[0-9]{1,2})"
	"\\g{sep}(?<d>[0-9]{1,2})(?![0-9./])" WEEKDAY "(?:" SP1 "(?<H>[0-9]{1,2}):(?<M>[0-9]{2}))?",

	/* 2/10, 2/10(水) 11:00: no year */
	"(?<![0-9/.-])(?<m>[0-9]{1,2})/(?<d>[0-9]{1,2})(?![0-9/])" WEEKDAY
	"(?:" SP1 "(?<H>[0-9]{1,2}):(?<M>[0-9]{2}))?",
};

static const char keyword_pattern[] =
	"公[開表](予定)?(日|期日)|公[開表](日程|スケジュール)|publication (date|schedule)"
	"|publish(ing)? date|date of publication|disclosure date";
static const char old_pattern[] =
	"旧|変更前|当初|\\bold\\b|\\bprevious|\\boriginal|\\bformer|\\bfrom\\b";
static const char new_pattern[] =
	"新|変更後|\\bnew\\b|\\brevised\\b|\\bto\\b|→|->";
static const char leads_on_pattern[] = "^[ \\t]*(から|→|->|=>|to\\b)";

typedef struct date_hit {
	int start, end;		/* byte offsets in the normalised text */
	gint64 when;
	gboolean yearless;	/* read relative to the received time */
	int year, month, day, hour, minute;	/* as written (year 0: none) */
	int written_wd;		/* GDateWeekday written in brackets, or 0 */
	int wd;			/* the date's own GDateWeekday */
} date_hit;

/* Eras: the Gregorian year of their first year (元年). */
static const struct {
	const char *name, *square, *letter;
	int first;
} eras[] = {
	{ "明治", "㍾", "M", 1868 }, { "大正", "㍽", "T", 1912 }, { "昭和", "㍼", "S", 1926 },
	{ "平成", "㍻", "H", 1989 }, { "令和", "㋿", "R", 2019 },
};

static const char *const weekdays_ja[] = { "月", "火", "水", "木", "金", "土", "日" };
static const char *const weekdays_en[] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };

/* GDateWeekday of "水", "水曜", "水曜日", "Wed", "Wednesday"; 0: not a weekday. */
static int
weekday_number(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	for (int i = 0; i < 7; i++) {
		size_t n = strlen(weekdays_ja[i]);

		if (strncmp(s, weekdays_ja[i], n) == 0 &&
		    (s[n] == '\0' || s[n] == ' ' || g_str_has_prefix(s + n, "曜")))
			return i + 1;
		if (g_ascii_strncasecmp(s, weekdays_en[i], 3) == 0 &&
		    !g_ascii_isalpha(s[3 + strspn(s + 3, "abcdefghijklmnopqrstuvwxyz"
						    "ABCDEFGHIJKLMNOPQRSTUVWXYZ")]))
			return i + 1;
	}
	return 0;
}

static int
era_first_year(const char *name)
{
	for (size_t i = 0; i < G_N_ELEMENTS(eras); i++)
		if (strcmp(name, eras[i].name) == 0 || strcmp(name, eras[i].square) == 0 ||
		    g_ascii_strcasecmp(name, eras[i].letter) == 0)
			return eras[i].first;
	return 0;
}

/*
 * The year of a date written without one: the first such day on or
 * after the day POC_YEARLESS_PAST_DAYS before receipt (Japan time). 0
 * when none (29 February in no year of the window).
 */
static int
yearless_year(gint64 received, int month, int day)
{
	GDateTime *r = g_date_time_new_from_unix_utc(received + POC_JST_OFFSET);
	GDate floor, cand;
	int year;

	if (!r)
		return 0;
	g_date_clear(&floor, 1);
	g_date_set_dmy(&floor, (GDateDay)g_date_time_get_day_of_month(r),
		       (GDateMonth)g_date_time_get_month(r), (GDateYear)g_date_time_get_year(r));
	year = g_date_time_get_year(r);
	g_date_time_unref(r);
	g_date_subtract_days(&floor, POC_YEARLESS_PAST_DAYS);
	for (int y = year - 1; y <= year + 4; y++) {
		if (!g_date_valid_dmy((GDateDay)day, (GDateMonth)month, (GDateYear)y))
			continue;
		g_date_clear(&cand, 1);
		g_date_set_dmy(&cand, (GDateDay)day, (GDateMonth)month, (GDateYear)y);
		if (g_date_compare(&cand, &floor) >= 0)
			return y;
	}
	return 0;
}

static GRegex *
compiled(GRegex **slot, const char *pattern)
{
	if (g_once_init_enter(slot)) {
		GError *error = NULL;
		GRegex *re = g_regex_new(pattern, G_REGEX_CASELESS | G_REGEX_OPTIMIZE, 0, &error);

		if (!re)
			g_error("dates.c: bad built-in pattern: %s", error->message);
		g_once_init_leave(slot, re);
	}
	return *slot;
}

static int
fetch_int(GMatchInfo *mi, const char *name, int unset)
{
	char *s = g_match_info_fetch_named(mi, name);
	int v = (s && *s) ? (int)g_ascii_strtoll(s, NULL, 10) : unset;

	g_free(s);
	return v;
}

static int
month_number(const char *name)
{
	static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";

	for (int i = 0; i < 12; i++)
		if (g_ascii_strncasecmp(name, months + 3 * i, 3) == 0)
			return i + 1;
	return 0;
}

/* Fill hit->when (Japan time; -1 when impossible) and hit->wd from its
 * fields; a date without a year takes the first such day on or after
 * POC_YEARLESS_PAST_DAYS before anchor (none without an anchor). */
static void
hit_resolve(date_hit *hit, gint64 anchor)
{
	int year = hit->year;

	hit->when = -1;
	hit->wd = 0;
	if (hit->yearless)
		year = anchor > 0 ? yearless_year(anchor, hit->month, hit->day) : 0;
	if (year >= 1989 && year <= 2100 && hit->month >= 1 && hit->month <= 12 && hit->day >= 1 &&
	    g_date_valid_dmy((GDateDay)hit->day, (GDateMonth)hit->month, (GDateYear)year) &&
	    hit->hour >= 0 && hit->hour <= 23 && hit->minute >= 0 && hit->minute <= 59) {
		GTimeZone *jst = g_time_zone_new_offset(POC_JST_OFFSET);
		GDateTime *dt = g_date_time_new(jst, year, hit->month, hit->day, hit->hour,
						 hit->minute, 0);

		if (dt) {
			hit->when = g_date_time_to_unix(dt);
			hit->wd = g_date_time_get_day_of_week(dt);
			g_date_time_unref(dt);
		}
		g_time_zone_unref(jst);
	}
}

/* The fields of one match; FALSE when it cannot be a date. */
static gboolean
hit_parse(GMatchInfo *mi, date_hit *hit)
{
	char *mon = g_match_info_fetch_named(mi, "mon");
	char *ap = g_match_info_fetch_named(mi, "ap");
	char *era = g_match_info_fetch_named(mi, "era");
	char *ey = g_match_info_fetch_named(mi, "ey");
	char *wd = g_match_info_fetch_named(mi, "wd");
	int year = fetch_int(mi, "y", 0);
	int month = (mon && *mon) ? month_number(mon) : fetch_int(mi, "m", 0);
	int day = fetch_int(mi, "d", 0);
	int hour = fetch_int(mi, "H", 0);
	int minute = fetch_int(mi, "M", 0);
	gboolean pm = ap && (strcmp(ap, "午後") == 0 || g_ascii_tolower(*ap) == 'p');
	gboolean am = ap && *ap && !pm;

	hit->yearless = FALSE;
	hit->written_wd = wd && *wd ? weekday_number(wd) : 0;
	if (era && *era) {
		int first = era_first_year(era);

		year = first && ey ? first - 1 + (strcmp(ey, "元") == 0 ? 1 : atoi(ey)) : 0;
		if (ey && strcmp(ey, "元") != 0 && atoi(ey) < 1)
			year = 0;
	} else if (year == 0) {
		hit->yearless = TRUE;
	}
	g_free(mon);
	g_free(ap);
	g_free(era);
	g_free(ey);
	g_free(wd);
	if ((am || pm) && (hour < 1 || hour > 12))
		hour = (hour == 0 && am) ? 0 : -1;
	else if (pm && hour < 12)
		hour += 12;
	else if (am && hour == 12)
		hour = 0;
	hit->year = year;
	hit->month = month;
	hit->day = day;
	hit->hour = hour;
	hit->minute = minute;
	if (hit->yearless) {
		/* possible in some year (2000 is a leap year) */
		hit->when = -1;
		return month >= 1 && month <= 12 && day >= 1 &&
		       g_date_valid_dmy((GDateDay)day, (GDateMonth)month, 2000) && hour >= 0 &&
		       hour <= 23 && minute >= 0 && minute <= 59;
	}
	hit_resolve(hit, 0);
	return hit->when >= 0;
}

static gint
hit_cmp(gconstpointer a, gconstpointer b)
{
	const date_hit *x = a, *y = b;

	return x->start != y->start ? (x->start > y->start) - (x->start < y->start)
				    : (y->end > x->end) - (y->end < x->end);
}

/* All dates, in order, overlaps dropped (the longest at a place wins). */
static GArray *
find_hits(const char *text, gint64 received)
{
	static GRegex *res[G_N_ELEMENTS(date_patterns)];
	GArray *all = g_array_new(FALSE, FALSE, sizeof(date_hit));
	GArray *hits = g_array_new(FALSE, FALSE, sizeof(date_hit));

	for (size_t i = 0; i < G_N_ELEMENTS(date_patterns); i++) {
		GMatchInfo *mi = NULL;
		guint found = 0;

		/* the first DATE_HITS_MAX overall are among each form's first */
		g_regex_match(compiled(&res[i], date_patterns[i]), text, 0, &mi);
		while (g_match_info_matches(mi) && found++ < DATE_HITS_MAX) {
			date_hit hit;

			g_match_info_fetch_pos(mi, 0, &hit.start, &hit.end);
			if (hit_parse(mi, &hit))
				g_array_append_val(all, hit);
			g_match_info_next(mi, NULL);
		}
		g_match_info_free(mi);
	}
	g_array_sort(all, hit_cmp);
	for (guint i = 0; i < all->len; i++) {
		date_hit *hit = &g_array_index(all, date_hit, i);

		if (hits->len == DATE_HITS_MAX)
			break;
		if (hits->len == 0 || hit->start >= g_array_index(hits, date_hit, hits->len - 1).end)
			g_array_append_val(hits, *hit);
	}
	g_array_unref(all);
	/* Dates without a year: after a dated one on the same line ("12月20日から
	 * 1月15日に変更", "2026年12月20日～1月15日"), read from it; else from
	 * the received time. Those left without a year are dropped. */
	for (guint i = 0; i < hits->len;) {
		date_hit *hit = &g_array_index(hits, date_hit, i);
		gint64 anchor = received;

		if (!hit->yearless) {
			i++;
			continue;
		}
		if (i > 0) {
			const date_hit *prev = &g_array_index(hits, date_hit, i - 1);

			if (!prev->yearless && prev->when >= 0 &&
			    !memchr(text + prev->end, '\n', (size_t)(hit->start - prev->end)))
				anchor = prev->when;
		}
		hit_resolve(hit, anchor);
		if (hit->when >= 0)
			i++;
		else
			g_array_remove_index(hits, i);
	}
	return hits;
}

static gboolean
span_matches(GRegex *re, const char *text, int from, int to)
{
	char *span;
	gboolean found;

	if (to <= from)
		return FALSE;
	span = g_strndup(text + from, (gsize)(to - from));
	found = g_regex_match(re, span, 0, NULL);
	g_free(span);
	return found;
}

static int
line_start(const char *text, int at)
{
	while (at > 0 && text[at - 1] != '\n')
		at--;
	return at;
}

static int
line_end(const char *text, int at)
{
	const char *nl = strchr(text + at, '\n');

	return nl ? (int)(nl - text) : (int)strlen(text);
}

static gboolean
hit_in(GArray *hits, int from, int to)
{
	for (guint i = 0; i < hits->len; i++) {
		const date_hit *hit = &g_array_index(hits, date_hit, i);

		if (hit->start >= from && hit->start < to)
			return TRUE;
	}
	return FALSE;
}

/* A keyword on the line, or on the nearest non-blank line above it when
 * that one is a heading (it holds no date); a line marked new after a
 * keyed line with a date is keyed too. */
static gboolean
keyed(const char *text, GArray *hits, int start, GRegex *keyword, GRegex *new_re)
{
	int ls = line_start(text, start);
	int prev_end, prev_start;

	if (span_matches(keyword, text, ls, line_end(text, start)))
		return TRUE;
	prev_end = ls - 1;
	while (prev_end > 0) {
		prev_start = line_start(text, prev_end);
		if (strspn(text + prev_start, " \t\r") < (size_t)(prev_end - prev_start)) {
			if (!hit_in(hits, prev_start, prev_end))
				return span_matches(keyword, text, prev_start, prev_end);
			/* "変更前: date" / "変更後: date" under one heading: the new
			 * line is keyed as the old one is */
			return span_matches(new_re, text, ls, start) &&
			       keyed(text, hits, prev_start, keyword, new_re);
		}
		prev_end = prev_start - 1;
	}
	return FALSE;
}

static int
hit_score(const char *text, GArray *hits, guint i, gboolean *is_keyed)
{
	static GRegex *keyword_re, *old_re, *new_re, *leads_on_re;
	const date_hit *hit = &g_array_index(hits, date_hit, i);
	int ls = line_start(text, hit->start), le = line_end(text, hit->start);
	int before = ls, after = le, score = 0;
	gboolean next_on_line = FALSE;

	if (i > 0 && g_array_index(hits, date_hit, i - 1).end > ls)
		before = g_array_index(hits, date_hit, i - 1).end;
	if (i + 1 < hits->len && g_array_index(hits, date_hit, i + 1).start < le) {
		after = g_array_index(hits, date_hit, i + 1).start;
		next_on_line = TRUE;
	}
	*is_keyed = keyed(text, hits, hit->start, compiled(&keyword_re, keyword_pattern),
			  compiled(&new_re, new_pattern));
	if (*is_keyed)
		score += 4;
	if (span_matches(compiled(&old_re, old_pattern), text, before, hit->start) ||
	    (next_on_line &&
	     span_matches(compiled(&leads_on_re, leads_on_pattern), text, hit->end, after)))
		score -= 2;
	else if (span_matches(compiled(&new_re, new_pattern), text, before, hit->start))
		score += 1;
	return score;
}

gint64
poc_text_read_publication_date(const char *text, gint64 received, GPtrArray *problems)
{
	char *norm;
	GArray *hits;
	gint64 best = 0;
	int best_score = G_MININT;
	const date_hit *chosen = NULL;

	if (!text)
		return 0;
	if (strlen(text) > DATE_TEXT_MAX) {
		const char *cut = g_utf8_find_prev_char(text, text + DATE_TEXT_MAX + 1);
		char *head = g_strndup(text, cut ? (gsize)(cut - text) : 0);

		norm = poc_text_normalise(head);
		explicit_bzero(head, strlen(head));
		g_free(head);
	} else {
		norm = poc_text_normalise(text);
	}
	hits = find_hits(norm, received);
	for (guint i = 0; i < hits->len; i++) {
		gboolean is_keyed = FALSE;
		int score = hit_score(norm, hits, i, &is_keyed);

		/* "1/2" in a sentence is no date: without a year, only by a keyword */
		if (g_array_index(hits, date_hit, i).yearless && !is_keyed)
			continue;
		if (score > best_score) {
			best_score = score;
			chosen = &g_array_index(hits, date_hit, i);
			best = chosen->when;
		}
	}
	if (chosen && chosen->written_wd && chosen->written_wd != chosen->wd && problems) {
		static const char *const names[] = { "", "Monday", "Tuesday", "Wednesday",
						     "Thursday", "Friday", "Saturday", "Sunday" };
		char when[POC_TIME_BUFSIZE];

		poc_time_format(chosen->when, when);
		g_ptr_array_add(problems,
				g_strdup_printf("publication date %.10s is a %s, but the text says "
						"%s: check the date",
						when, names[chosen->wd], names[chosen->written_wd]));
	}
	g_array_unref(hits);
	explicit_bzero(norm, strlen(norm));
	g_free(norm);
	return best;
}

gint64
poc_text_find_publication_date(const char *text)
{
	return poc_text_read_publication_date(text, 0, NULL);
}
