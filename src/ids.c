/*
 * NAME
 *	ids.c - tracking and vulnerability numbers, full-width folding,
 *	quoted text of replies
 * SYNOPSIS
 *	#include "text.h"
 *
 *	char *poc_text_normalise(const char *utf8);
 *	gboolean poc_text_scan_ids(const char *text, GPtrArray *tracking,
 *			       GPtrArray *vulns);
 *	gboolean poc_text_is_cve(const char *vn);
 *	char *poc_text_message_key(const char *raw, size_t len);
 *	char *poc_text_strip_quoted(const char *body);
 * DESCRIPTION
 *	poc_text_normalise() folds what Japanese mailers put in place of
 *	ASCII: full-width forms U+FF01..U+FF5E, the ideographic space
 *	U+3000, the music sharp sign U+266F and the small number sign
 *	U+FE5F (both typed for '#'), and the hyphen lookalikes U+2010..
 *	U+2013, U+2212, U+FE63 (typed for '-' in JVNDB- and CVE-). It is not
 *	NFKC on purpose: NFKC also turns ① into 1 and ㈱ into (株), which
 *	changes what a person reads and can make digits where there were
 *	none.
 *
 *	poc_text_scan_ids() runs one regular expression over the text from
 *	left to right, so that at any place the longest form wins and its
 *	characters are used up: "JPCERT-IPA#..." never also gives an IPA#
 *	number, "JVNVU#..." never a VU# number. An identifier must not touch
 *	an ASCII letter or digit on either side (no match inside a longer
 *	run). Each match is normalised by upper-casing it and removing the
 *	blanks that are tolerated around '#' ("jpcert # 12345678" becomes
 *	"JPCERT#12345678"). Forms (case-insensitive):
 *
 *	    JPCERT#digits          the tracking number (TN), never a VN
 *	    JPCERT-IPA#XXXXXXXX    8 hex digits, a blank before '#' allowed
 *	    JVN#XXXXXXXX           8 digits (or 8 hex, before 2012)
 *	    JVNVU#NNNNNNNN         8 digits, or 6 before 2012
 *	    JVNTA#NNNNNNNN         8 digits
 *	    IPA#XXXXXXXX           8 hex digits; not right after "JPCERT-"
 *	    VU#NNNN[.N]            CERT/CC: 4 to 6 digits, optional suffix
 *	    JVNDB-YYYY-NNNNNN
 *	    CVE-YYYY-NNNN...       4 digits, or 5 and more not starting 0
 *
 *	and, without '#', the JVN, JVNVU and JVNTA numbers of a JVN address
 *	(jvn.jp/vu/, /jp/, /ta/, /en/vu/, /en/jp/, /en/ta/ followed by
 *	JVNVU95000000: read as JVNVU#95000000); nowhere else is "JVNVU" and
 *	digits without '#' a number.
 *
 *	Duplicates are found in hash sets, so a scan is linear in the text.
 *	An array stops growing at POC_MAX_TRACKING_IDS or POC_MAX_VULN_IDS
 *	(text.h); the call then returns TRUE and the caller says so.
 *
 *	poc_text_strip_quoted() drops lines quoted with '>' (or '＞'), and
 *	everything from the first reply separator on: "-----Original
 *	Message-----" and its spacing variants, "-----元のメッセージ-----",
 *	an attribution line ending in "wrote:" or "書きました:" (with the
 *	"On ..." line before a lone "wrote:"), Gmail's Japanese attribution
 *	"2026年12月1日(火) 10:00 Name <addr>:", Outlook's "From:/差出人:"
 *	line followed by "Sent:/送信日時:" or preceded by a rule of
 *	underscores (a rule alone is content). A forwarded message
 *	("---------- Forwarded message ---------", "転送メッセージ") is content
 *	and is kept.
 * SECURITY
 *	Nothing here logs, keeps or prints the text it is given.
 */
#include "config.h"

#include <string.h>

#include "text.h"

#define ID_BEFORE "(?<![A-Za-z0-9])"
#define ID_AFTER "(?![A-Za-z0-9])"

#define JVN_URL_PATH \
	"(?<=jvn\\.jp/vu/|jvn\\.jp/jp/|jvn\\.jp/ta/|jvn\\.jp/en/vu/|jvn\\.jp/en/jp/" \
	"|jvn\\.jp/en/ta/)"

static const char ids_pattern[] =
	ID_BEFORE "(?:"
	"JPCERT-IPA[ \\t]*#[0-9A-F]{8}"
	"|JPCERT[ \\t]*#[ \\t]*[0-9]{1,16}"
	"|JVNVU[ \\t]?#[ \\t]?(?:[0-9]{8}|[0-9]{6})"
	"|JVNTA[ \\t]?#[ \\t]?[0-9]{8}"
	"|JVNDB-[0-9]{4}-[0-9]{6}"
	"|JVN[ \\t]?#[ \\t]?[0-9A-F]{8}"
	"|(?<!JPCERT-)IPA[ \\t]?#[ \\t]?[0-9A-F]{8}"
	"|VU[ \\t]?#[ \\t]?[0-9]{4,6}(?:\\.[0-9]{1,3})?"
	"|CVE-[0-9]{4}-(?:0[0-9]{3}|[1-9][0-9]{3,15})"
	/* in a JVN address, without '#': https://jvn.jp/vu/JVNVU95000000/ */
	"|" JVN_URL_PATH "(?:JVNVU(?:[0-9]{8}|[0-9]{6})|JVNTA[0-9]{8}|JVN[0-9A-F]{8})"
	")" ID_AFTER;

static GRegex *
compile_once(GRegex **slot, const char *pattern, GRegexCompileFlags flags)
{
	if (g_once_init_enter(slot)) {
		GError *error = NULL;
		GRegex *re = g_regex_new(pattern, flags | G_REGEX_OPTIMIZE, 0, &error);

		/* The patterns are constants of this file: failing is our bug. */
		if (!re)
			g_error("ids.c: bad built-in pattern: %s", error->message);
		g_once_init_leave(slot, re);
	}
	return *slot;
}

static GRegex *
ids_regex(void)
{
	static GRegex *re;

	return compile_once(&re, ids_pattern, G_REGEX_CASELESS);
}

char *
poc_text_normalise(const char *utf8)
{
	GString *out;
	char *valid = NULL;
	const char *p;

	if (!utf8)
		return g_strdup("");
	if (!g_utf8_validate(utf8, -1, NULL))
		utf8 = valid = g_utf8_make_valid(utf8, -1);
	out = g_string_sized_new(strlen(utf8));
	for (p = utf8; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (c >= 0xFF01 && c <= 0xFF5E)
			g_string_append_c(out, (char)(c - 0xFEE0));
		else if (c == 0x3000)
			g_string_append_c(out, ' ');
		else if (c == 0x266F || c == 0xFE5F)
			g_string_append_c(out, '#');
		else if ((c >= 0x2010 && c <= 0x2013) || c == 0x2212 || c == 0xFE63)
			g_string_append_c(out, '-');
		else
			g_string_append_len(out, p, g_utf8_next_char(p) - p);
	}
	g_free(valid);
	return g_string_free(out, FALSE);
}

/* A set of the strings already in array (borrowed), for linear de-duplication. */
static GHashTable *
array_set(GPtrArray *array)
{
	GHashTable *set = g_hash_table_new(g_str_hash, g_str_equal);

	for (guint i = 0; array && i < array->len; i++)
		g_hash_table_add(set, g_ptr_array_index(array, i));
	return set;
}

/* Upper case without the blanks tolerated around '#'; the '#' that a JVN
 * address leaves out put back (JVNVU95000000 is JVNVU#95000000). */
static char *
id_normalise(const char *match)
{
	GString *id = g_string_sized_new(strlen(match) + 1);

	for (const char *p = match; *p; p++)
		if (*p != ' ' && *p != '\t')
			g_string_append_c(id, g_ascii_toupper(*p));
	if (g_str_has_prefix(id->str, "JVN") && !strchr(id->str, '#') &&
	    !g_str_has_prefix(id->str, "JVNDB"))
		g_string_insert_c(id, g_str_has_prefix(id->str, "JVNVU") ||
					      g_str_has_prefix(id->str, "JVNTA") ? 5 : 3, '#');
	return g_string_free(id, FALSE);
}

gboolean
poc_text_scan_ids(const char *text, GPtrArray *tracking, GPtrArray *vulns)
{
	GMatchInfo *mi = NULL;
	char *valid = NULL;
	GHashTable *tracking_set, *vulns_set;
	gboolean over = FALSE;

	if (!text)
		return FALSE;
	if (!g_utf8_validate(text, -1, NULL))
		text = valid = g_utf8_make_valid(text, -1);
	tracking_set = array_set(tracking);
	vulns_set = array_set(vulns);
	g_regex_match(ids_regex(), text, 0, &mi);
	while (g_match_info_matches(mi)) {
		char *match = g_match_info_fetch(mi, 0);
		char *id = id_normalise(match);
		gboolean is_tracking = g_str_has_prefix(id, "JPCERT#");
		GPtrArray *into = is_tracking ? tracking : vulns;
		GHashTable *seen = is_tracking ? tracking_set : vulns_set;

		if (into && !g_hash_table_contains(seen, id)) {
			if (into->len < (is_tracking ? POC_MAX_TRACKING_IDS : POC_MAX_VULN_IDS)) {
				g_ptr_array_add(into, id);
				g_hash_table_add(seen, id);
				id = NULL;
			} else {
				over = TRUE;
			}
		}
		g_free(id);
		g_free(match);
		g_match_info_next(mi, NULL);
	}
	g_match_info_free(mi);
	g_hash_table_unref(tracking_set);
	g_hash_table_unref(vulns_set);
	g_free(valid);
	return over;
}

gboolean
poc_text_is_cve(const char *vn)
{
	return vn && g_ascii_strncasecmp(vn, "CVE-", 4) == 0;
}

char *
poc_text_message_key(const char *raw, size_t len)
{
	char *hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)raw, len);
	char *key = g_strdup_printf("<sha256-%s@" POC_INVALID_DOMAIN ">", hex);

	g_free(hex);
	return key;
}

/*
 * Quoting and reply separators, one line at a time. SEP_* lines end the
 * new text; the "On ..." line before a lone "wrote:" goes with it.
 */
static const char quoted_pattern[] = "^[ \\t\\x{3000}]*[>\\x{FF1E}]";
static const char separator_pattern[] =
	"^[ \\t]*(?:"
	"-{2,}[ \\t]*(?:Original[ \\t]+Message|元のメッセージ|オリジナル[ \\t]*メッセージ)[ \\t]*-{2,}"
	"|.*\\bwrote[ \\t]*[:\\x{FF1A}][ \\t]*$"
	"|.*書きました[ \\t]*[:\\x{FF1A}][ \\t]*$"
	"|[0-9]{4}年[0-9]{1,2}月[0-9]{1,2}日.*<[^<>@ ]+@[^<> ]+>[ \\t]*[:\\x{FF1A}][ \\t]*$"
	")";
static const char outlook_from_pattern[] = "^[ \\t]*(?:From|差出人)[ \\t]*[:\\x{FF1A}]";
static const char outlook_sent_pattern[] = "^[ \\t]*(?:Sent|送信日時)[ \\t]*[:\\x{FF1A}]";
static const char rule_pattern[] = "^[ \\t]*_{10,}[ \\t]*\r?$";
static const char on_pattern[] = "^[ \\t]*On[ \\t]";
static const char wrote_pattern[] = "^[ \\t]*wrote[ \\t]*[:\\x{FF1A}]";

static gboolean
line_matches(GRegex **slot, const char *pattern, const char *line)
{
	return g_regex_match(compile_once(slot, pattern, G_REGEX_CASELESS), line, 0, NULL);
}

static gboolean
is_quoted(const char *line)
{
	static GRegex *re;

	return line_matches(&re, quoted_pattern, line);
}

static gboolean
is_separator(char **lines, guint i)
{
	static GRegex *sep, *from, *sent, *rule;

	if (line_matches(&sep, separator_pattern, lines[i]))
		return TRUE;
	if (!lines[i + 1])
		return FALSE;
	/* Outlook: "____" then "From:", or "From:" then "Sent:" */
	if (line_matches(&rule, rule_pattern, lines[i]))
		return line_matches(&from, outlook_from_pattern, lines[i + 1]);
	return line_matches(&from, outlook_from_pattern, lines[i]) &&
	       line_matches(&sent, outlook_sent_pattern, lines[i + 1]);
}

char *
poc_text_strip_quoted(const char *body)
{
	static GRegex *on_re, *wrote_re;
	GString *out;
	char **lines;
	char *valid = NULL;
	gsize last_kept = G_MAXSIZE;	/* offset in out of the last kept line */

	if (!body)
		return g_strdup("");
	if (!g_utf8_validate(body, -1, NULL))
		body = valid = g_utf8_make_valid(body, -1);
	out = g_string_sized_new(strlen(body));
	lines = g_strsplit(body, "\n", -1);
	for (guint i = 0; lines[i]; i++) {
		char *line = lines[i];
		gsize n = strlen(line);
		gboolean last = lines[i + 1] == NULL;

		/* Match without the CR of a CRLF; keep it in the output. */
		if (n && line[n - 1] == '\r')
			line[n - 1] = '\0';
		if (is_separator(lines, i)) {
			/* "On Mon, 1 Dec 2026, Name <addr>" + "wrote:" on its own line */
			if (last_kept != G_MAXSIZE && line_matches(&wrote_re, wrote_pattern, line) &&
			    line_matches(&on_re, on_pattern, out->str + last_kept))
				g_string_truncate(out, last_kept);
			break;
		}
		if (n && line[n - 1] == '\0')
			line[n - 1] = '\r';
		if (is_quoted(line))
			continue;
		last_kept = out->len;
		g_string_append(out, line);
		if (!last)
			g_string_append_c(out, '\n');
	}
	g_strfreev(lines);
	g_free(valid);
	return g_string_free(out, FALSE);
}
