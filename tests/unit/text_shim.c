/*
 * NAME
 *	text_shim.c - stand-ins for text.h and jis.h, for the mime branch's
 *	tests only
 * DESCRIPTION
 *	The real identifier scanner, kinds, dates and JIS decoder are written
 *	on another branch. Until they are merged (src/ids.c and src/jis.c are
 *	empty), configure sets TEXT_SHIM and the notice tests link this file
 *	instead. It follows text.h and jis.h closely enough for the corpus
 *	expectations, which are written from the spec, not from this file.
 *	Never linked into libpoc.
 */
#include "config.h"

#include <string.h>
#include <time.h>

#include "jis.h"
#include "text.h"

char *
poc_text_normalise(const char *utf8)
{
	GString *out = g_string_new(NULL);

	for (const char *p = utf8; p && *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char_validated(p, -1);

		if (c == (gunichar) -1 || c == (gunichar) -2) {
			g_string_append_c(out, '?');
			continue;
		}
		if (c >= 0xFF01 && c <= 0xFF5E)
			c = c - 0xFF01 + 0x21;
		else if (c == 0x3000)
			c = ' ';
		g_string_append_unichar(out, c);
	}
	return g_string_free(out, FALSE);
}

static void
add_unique(GPtrArray *a, char *s)
{
	for (guint i = 0; i < a->len; i++)
		if (strcmp(g_ptr_array_index(a, i), s) == 0) {
			g_free(s);
			return;
		}
	g_ptr_array_add(a, s);
}

void
poc_text_scan_ids(const char *text, GPtrArray *tracking, GPtrArray *vulns)
{
	static const char pattern[] =
		"(?i)\\b(JPCERT-IPA|JPCERT|JVNVU|JVNTA|JVN|IPA|VU)[ \\t]*#[ \\t]*([0-9]+)"
		"|\\b(JVNDB-[0-9]{4}-[0-9]{6}|CVE-[0-9]{4}-[0-9]{4,})";
	GRegex *re = g_regex_new(pattern, G_REGEX_OPTIMIZE, 0, NULL);
	GMatchInfo *mi = NULL;

	g_regex_match(re, text, 0, &mi);
	while (g_match_info_matches(mi)) {
		char *prefix = g_match_info_fetch(mi, 1), *num = g_match_info_fetch(mi, 2);
		char *whole = g_match_info_fetch(mi, 3);

		if (prefix && *prefix) {
			char *up = g_ascii_strup(prefix, -1);
			char *id = g_strdup_printf("%s#%s", up, num);

			if (strcmp(up, "JPCERT") == 0) {
				if (tracking)
					add_unique(tracking, id);
				else
					g_free(id);
			} else if (vulns) {
				add_unique(vulns, id);
			} else {
				g_free(id);
			}
			g_free(up);
		} else if (whole && *whole && vulns) {
			add_unique(vulns, g_ascii_strup(whole, -1));
		}
		g_free(prefix);
		g_free(num);
		g_free(whole);
		g_match_info_next(mi, NULL);
	}
	g_match_info_free(mi);
	g_regex_unref(re);
}

gboolean
poc_text_is_cve(const char *vn)
{
	return vn && g_str_has_prefix(vn, "CVE-");
}

char *
poc_text_strip_quoted(const char *body)
{
	GString *out = g_string_new(NULL);
	char **lines = g_strsplit(body, "\n", -1);

	for (char **l = lines; *l; l++) {
		const char *line = *l;

		if (strstr(line, "-----Original Message-----") || strstr(line, "-----元のメッセージ-----")
		    || strstr(line, "さんは書きました") || (g_str_has_prefix(line, "On ")
							     && strstr(line, "wrote:")))
			break;
		if (line[0] == '>')
			continue;
		g_string_append(out, line);
		g_string_append_c(out, '\n');
	}
	g_strfreev(lines);
	return g_string_free(out, FALSE);
}

static gint64
jst(int y, int mo, int d, int h, int mi)
{
	GDateTime *t = g_date_time_new_utc(y, mo, d, h, mi, 0);
	gint64 v;

	if (t == NULL)
		return 0;
	v = g_date_time_to_unix(t) - 9 * 3600;
	g_date_time_unref(t);
	return v;
}

gint64
poc_text_find_publication_date(const char *text)
{
	static const char *months[] = { "January", "February", "March", "April", "May", "June",
		"July", "August", "September", "October", "November", "December" };
	GRegex *re = g_regex_new("([0-9]{4})(?:年|/|-)([0-9]{1,2})(?:月|/|-)([0-9]{1,2})日?"
				 "(?:\\([^)]*\\))?\\s*(?:([0-9]{1,2})(?:時|:)([0-9]{2})?)?"
				 "|(January|February|March|April|May|June|July|August|September"
				 "|October|November|December) ([0-9]{1,2}), ([0-9]{4})", 0, 0, NULL);
	const char *start = text;
	const char *kw[] = { "公開予定日", "公開日", "publication date", "Publication date" };
	GMatchInfo *mi = NULL;
	gint64 result = 0;

	for (size_t i = 0; i < G_N_ELEMENTS(kw); i++) {
		const char *k = strstr(text, kw[i]);

		if (k) {
			start = k;
			break;
		}
	}
	for (int pass = 0; pass < 2 && result == 0; pass++) {
		if (g_regex_match(re, pass == 0 ? start : text, 0, &mi)) {
			char *y = g_match_info_fetch(mi, 1);

			if (y && *y) {
				char *mo = g_match_info_fetch(mi, 2), *d = g_match_info_fetch(mi, 3);
				char *h = g_match_info_fetch(mi, 4), *m = g_match_info_fetch(mi, 5);

				result = jst(atoi(y), atoi(mo), atoi(d), h && *h ? atoi(h) : 0,
					     m && *m ? atoi(m) : 0);
				g_free(mo), g_free(d), g_free(h), g_free(m);
			} else {
				char *mn = g_match_info_fetch(mi, 6), *d = g_match_info_fetch(mi, 7);
				char *yy = g_match_info_fetch(mi, 8);

				for (int i = 0; i < 12; i++)
					if (strcmp(mn, months[i]) == 0)
						result = jst(atoi(yy), i + 1, atoi(d), 0, 0);
				g_free(mn), g_free(d), g_free(yy);
			}
			g_free(y);
		}
		g_match_info_free(mi);
		mi = NULL;
	}
	g_regex_unref(re);
	return result;
}

struct poc_kind_rules {
	int unused;
};

poc_kind_rules *
poc_kind_rules_default(void)
{
	return g_new0(poc_kind_rules, 1);
}

int
poc_kind_rules_load(poc_kind_rules *rules, const char *path, GError **error)
{
	return POC_OK;
}

void
poc_kind_rules_free(poc_kind_rules *rules)
{
	g_free(rules);
}

poc_kind
poc_kind_classify(const poc_kind_rules *rules, gboolean from_coordinator, const char *subject,
		  const char *body)
{
	const char *texts[] = { subject ? subject : "", body ? body : "" };

	if (!from_coordinator)
		return POC_KIND_DIRECT_REPORT;
	for (int i = 0; i < 2; i++) {
		const char *t = texts[i];

		if (strstr(t, "公開日") && (strstr(t, "変更") || strstr(t, "決定")))
			return POC_KIND_SCHEDULE;
		if (strstr(t, "概要情報"))
			return POC_KIND_SUMMARY;
		if (strstr(t, "詳細情報"))
			return POC_KIND_DETAIL;
		if (strstr(t, "公開") && (strstr(t, "原稿") || strstr(t, "ステータス")))
			return POC_KIND_PUBLICATION;
	}
	return POC_KIND_OTHER;
}

/* --- jis.h --- */

static char *
convert_or_replace(const char *in, size_t len, const char *charset)
{
	char *out = g_convert(in, len, "UTF-8", charset, NULL, NULL, NULL);

	return out ? out : g_utf8_make_valid(in, len);
}

char *
poc_jis_to_utf8(const char *in, size_t len)
{
	GByteArray *sjis = g_byte_array_new();
	enum { ASCII, KANJI, KANA } mode = ASCII;
	char *out;

	for (size_t i = 0; i < len; i++) {
		guint8 c = in[i];

		if (c == 0x1b && i + 2 < len) {
			if (in[i + 1] == '$' && (in[i + 2] == 'B' || in[i + 2] == '@'))
				mode = KANJI;
			else if (in[i + 1] == '(' && in[i + 2] == 'I')
				mode = KANA;
			else if (in[i + 1] == '(')
				mode = ASCII;
			i += 2;
			continue;
		}
		if (c == '\n' || c == '\r')
			mode = mode == KANJI ? ASCII : mode;
		if (mode == KANJI && c >= 0x21 && c <= 0x7e && i + 1 < len) {
			guint8 j1 = c, j2 = in[++i], s[2];

			s[0] = ((j1 + 1) >> 1) + (j1 <= 0x5e ? 0x70 : 0xb0);
			s[1] = j2 + ((j1 & 1) ? (j2 >= 0x60 ? 0x20 : 0x1f) : 0x7e);
			g_byte_array_append(sjis, s, 2);
		} else if (mode == KANA && c >= 0x21 && c <= 0x5f) {
			guint8 k = c + 0x80;

			g_byte_array_append(sjis, &k, 1);
		} else {
			g_byte_array_append(sjis, &c, 1);
		}
	}
	out = convert_or_replace((const char *) sjis->data, sjis->len, "CP932");
	g_byte_array_unref(sjis);
	return out;
}

char *
poc_charset_to_utf8(const char *charset, const char *in, size_t len)
{
	if (charset && (g_ascii_strncasecmp(charset, "iso-2022-jp", 11) == 0
			|| g_ascii_strcasecmp(charset, "csISO2022JP") == 0))
		return poc_jis_to_utf8(in, len);
	if (charset && (g_ascii_strcasecmp(charset, "shift_jis") == 0
			|| g_ascii_strcasecmp(charset, "x-sjis") == 0
			|| g_ascii_strcasecmp(charset, "shift-jis") == 0
			|| g_ascii_strcasecmp(charset, "windows-31j") == 0))
		charset = "CP932";
	if (charset && g_ascii_strcasecmp(charset, "euc-jp") == 0)
		charset = "EUC-JP-MS";
	if (charset && g_ascii_strcasecmp(charset, "utf-8") != 0) {
		char *out = g_convert(in, len, "UTF-8", charset, NULL, NULL, NULL);

		if (out)
			return out;
	}
	if (g_utf8_validate(in, len, NULL))
		return g_strndup(in, len);
	return convert_or_replace(in, len, "CP932");
}
