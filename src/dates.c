/*
 * NAME
 *	dates.c - the publication date of a notice
 * SYNOPSIS
 *	#include "text.h"
 *
 *	gint64 poc_text_find_publication_date(const char *text);
 * DESCRIPTION
 *	Reads the date forms JPCERT/CC and CERT/CC write, after folding
 *	full-width digits (poc_text_normalise()):
 *
 *	    2026年12月15日, 2026年12月15日(火) 11時, 2026年12月15日 11時00分,
 *	    2026年12月15日 午後3時, 2026/12/15, 2026/12/15 11:00, 2026-12-15,
 *	    2026-12-15 11:00, 2026-12-15T11:00, December 15, 2026 (Dec 15,
 *	    Dec. 15th), 15 December 2026, each English form with an optional
 *	    "11:00" or "11:00 AM".
 *
 *	Every date is in Japan time (UTC+9, fixed: the host's TZ is never
 *	consulted); a date without a time is 00:00 that day. Impossible
 *	dates and times (2026-02-30, 25:00) and years outside 1990-2100 are
 *	not dates.
 *
 *	Which date: each found date scores
 *	- 4 when a keyword (公開日, 公開予定日, 公開日時, 公表日,
 *	  publication/publish/disclosure date) is on its line, or on the
 *	  nearest non-blank line above when that line holds no date (a
 *	  heading such as "■公開予定日");
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

#include <string.h>

#include "text.h"

#define JST_OFFSET (9 * 3600)
/* Bounds on the work: a publication date is near the top of a notice. */
#define DATE_TEXT_MAX (256 * 1024)
#define DATE_HITS_MAX 64

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
#define WEEKDAY "(?:" SP "\\([^()\\n]{1,9}\\))?"

/* Named groups: y, m (or mon), d, H, M, ap (午前/午後 or a/p). */
static const char *const date_patterns[] = {
	"(?<![0-9])(?<y>[0-9]{4})" SP "年" SP "(?<m>[0-9]{1,2})" SP "月" SP "(?<d>[0-9]{1,2})"
	SP "日" WEEKDAY "(?:" SP "(?:(?<ap>午前|午後)" SP ")?(?<H>[0-9]{1,2})" SP "(?:時|:)"
	"(?:" SP "(?<M>[0-9]{1,2})(?:" SP "分)?)?)?",

	"(?<![0-9/])(?<y>[0-9]{4})/(?<m>[0-9]{1,2})/(?<d>[0-9]{1,2})(?![0-9/])" WEEKDAY
	"(?:" SP1 "(?<H>[0-9]{1,2}):(?<M>[0-9]{2}))?",

	"(?<![0-9A-Za-z-])(?<y>[0-9]{4})-(?<m>[0-9]{1,2})-(?<d>[0-9]{1,2})(?![0-9])"
	"(?:(?:T|" SP1 ")(?<H>[0-9]{1,2}):(?<M>[0-9]{2}))?",

	"(?<![A-Za-z])" MONTHS SP1 "(?<d>[0-9]{1,2})(?:st|nd|rd|th)?,?" SP1 "(?<y>[0-9]{4})"
	"(?![0-9])" EN_TIME,

	"(?<![0-9])(?<d>[0-9]{1,2})(?:st|nd|rd|th)?" SP1 MONTHS ",?" SP1 "(?<y>[0-9]{4})"
	"(?![0-9])" EN_TIME,
};

static const char keyword_pattern[] =
	"公開日|公開予定日|公表日|publication date|publish(ing)? date|date of publication"
	"|disclosure date";
static const char old_pattern[] =
	"旧|変更前|当初|\\bold\\b|\\bprevious|\\boriginal|\\bformer|\\bfrom\\b";
static const char new_pattern[] =
	"新|変更後|\\bnew\\b|\\brevised\\b|\\bto\\b|→|->";
static const char leads_on_pattern[] = "^[ \\t]*(から|→|->|=>|to\\b)";

typedef struct date_hit {
	int start, end;		/* byte offsets in the normalised text */
	gint64 when;
} date_hit;

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

/* The time of one match in Japan time, or -1 when impossible. */
static gint64
hit_time(GMatchInfo *mi)
{
	char *mon = g_match_info_fetch_named(mi, "mon");
	char *ap = g_match_info_fetch_named(mi, "ap");
	int year = fetch_int(mi, "y", 0);
	int month = (mon && *mon) ? month_number(mon) : fetch_int(mi, "m", 0);
	int day = fetch_int(mi, "d", 0);
	int hour = fetch_int(mi, "H", 0);
	int minute = fetch_int(mi, "M", 0);
	gboolean pm = ap && (strcmp(ap, "午後") == 0 || g_ascii_tolower(*ap) == 'p');
	gboolean am = ap && *ap && !pm;
	gint64 when = -1;

	g_free(mon);
	g_free(ap);
	if ((am || pm) && (hour < 1 || hour > 12))
		hour = (hour == 0 && am) ? 0 : -1;
	else if (pm && hour < 12)
		hour += 12;
	else if (am && hour == 12)
		hour = 0;
	if (year >= 1990 && year <= 2100 && month >= 1 && month <= 12 && day >= 1 &&
	    g_date_valid_dmy((GDateDay)day, (GDateMonth)month, (GDateYear)year) && hour >= 0 &&
	    hour <= 23 && minute >= 0 && minute <= 59) {
		GTimeZone *jst = g_time_zone_new_offset(JST_OFFSET);
		GDateTime *dt = g_date_time_new(jst, year, month, day, hour, minute, 0);

		if (dt) {
			when = g_date_time_to_unix(dt);
			g_date_time_unref(dt);
		}
		g_time_zone_unref(jst);
	}
	return when;
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
find_hits(const char *text)
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
			hit.when = hit_time(mi);
			if (hit.when >= 0)
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
 * that one is a heading (it holds no date). */
static gboolean
keyed(const char *text, GArray *hits, int start, GRegex *keyword)
{
	int ls = line_start(text, start);
	int prev_end, prev_start;

	if (span_matches(keyword, text, ls, line_end(text, start)))
		return TRUE;
	prev_end = ls - 1;
	while (prev_end > 0) {
		prev_start = line_start(text, prev_end);
		if (strspn(text + prev_start, " \t\r") < (size_t)(prev_end - prev_start))
			return !hit_in(hits, prev_start, prev_end) &&
			       span_matches(keyword, text, prev_start, prev_end);
		prev_end = prev_start - 1;
	}
	return FALSE;
}

static int
hit_score(const char *text, GArray *hits, guint i)
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
	if (keyed(text, hits, hit->start, compiled(&keyword_re, keyword_pattern)))
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
poc_text_find_publication_date(const char *text)
{
	char *norm;
	GArray *hits;
	gint64 best = 0;
	int best_score = G_MININT;

	if (!text)
		return 0;
	if (strlen(text) > DATE_TEXT_MAX) {
		const char *cut = g_utf8_find_prev_char(text, text + DATE_TEXT_MAX + 1);
		char *head = g_strndup(text, cut ? (gsize)(cut - text) : 0);

		norm = poc_text_normalise(head);
		g_free(head);
	} else {
		norm = poc_text_normalise(text);
	}
	hits = find_hits(norm);
	for (guint i = 0; i < hits->len; i++) {
		int score = hit_score(norm, hits, i);

		if (score > best_score) {
			best_score = score;
			best = g_array_index(hits, date_hit, i).when;
		}
	}
	g_array_unref(hits);
	g_free(norm);
	return best;
}
