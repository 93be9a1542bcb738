/*
 * NAME
 *	util.c - status codes, contract enum names, the library's clock
 * DESCRIPTION
 *	The string forms of the enums in poc.h are the contract values of
 *	the database and of `pocctl export`: change them never.
 *
 *	poc_now() honours POC_FAKE_NOW so tests can move time; the variable
 *	is read at every call, so a test may change it between calls.
 *	poc_mbox_from_date() reads the date of an mbox "From " line (pocctl
 *	import), local time.
 *
 *	poc_text_for_terminal() renders text read from mail for printing:
 *	nothing in it can move the cursor, hide text or start a new line.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "jst.h"
#include "poc.h"

static const char *const status_text[] = {
	[POC_OK] = "success",
	[POC_ERR_NOMEM] = "out of memory",
	[POC_ERR_IO] = "input/output error",
	[POC_ERR_CONFIG] = "configuration error",
	[POC_ERR_PARSE] = "cannot parse input",
	[POC_ERR_CRYPTO] = "GnuPG error",
	[POC_ERR_NOTFOUND] = "not found",
	[POC_ERR_EXISTS] = "already exists",
	[POC_ERR_DB] = "database error",
	[POC_ERR_DB_VERSION] = "database has a newer schema version than this program",
	[POC_ERR_DB_FULL] = "database or disk full",
	[POC_ERR_TEMPLATE] = "template error",
	[POC_ERR_SEND] = "submission command failed",
	[POC_ERR_LIMIT] = "input over a configured limit",
	[POC_ERR_INVAL] = "invalid argument",
	[POC_ERR_PERM] = "permission denied",
	[POC_ERR_TEMP] = "temporary failure, try again",
};

const char *
poc_strerror(int status)
{
	if (status < 0 || (size_t)status >= G_N_ELEMENTS(status_text) || !status_text[status])
		return "unknown error";
	return status_text[status];
}

G_DEFINE_QUARK(poc-error-quark, poc_error)

static const char *const decryption_names[] = { "none", "ok", "failed" };
static const char *const signature_names[] = { "none", "good", "untrusted", "bad", "unknown-key" };
static const char *const kind_names[] = { "other", "summary", "detail", "publication", "schedule",
					  "direct-report" };
static const char *const ack_state_names[] = { "not-required", "held", "queued", "sent", "failed" };
static const char *const ack_mode_names[] = { "auto", "hold", "off" };

#define NAME_FUNCS(type, table)                                                  \
	const char *poc_##type##_name(poc_##type v)                              \
	{                                                                        \
		if ((unsigned)v >= G_N_ELEMENTS(table))                          \
			return "?";                                              \
		return table[v];                                                 \
	}                                                                        \
	int poc_##type##_parse(const char *s)                                    \
	{                                                                        \
		for (size_t i = 0; s && i < G_N_ELEMENTS(table); i++)            \
			if (strcmp(s, table[i]) == 0)                            \
				return (int)i;                                   \
		return -1;                                                       \
	}

NAME_FUNCS(decryption, decryption_names)
NAME_FUNCS(signature, signature_names)
NAME_FUNCS(kind, kind_names)
NAME_FUNCS(ack_state, ack_state_names)
NAME_FUNCS(ack_mode, ack_mode_names)

gint64
poc_now(void)
{
	const char *fake = getenv("POC_FAKE_NOW");

	if (fake && *fake) {
		char *end;
		gint64 t = g_ascii_strtoll(fake, &end, 10);

		if (*end == '\0')
			return t;
		t = poc_time_parse(fake);
		if (t >= 0)
			return t;
	}
	return g_get_real_time() / G_USEC_PER_SEC;
}

char *
poc_time_format(gint64 t, char buf[POC_TIME_BUFSIZE])
{
	/* Japan has had no daylight saving time since 1951: a fixed +09:00. */
	GDateTime *dt;

	buf[0] = '\0';
	if (t == 0)
		return buf;
	dt = g_date_time_new_from_unix_utc(t + POC_JST_OFFSET);
	if (!dt)
		return buf;
	g_snprintf(buf, POC_TIME_BUFSIZE, "%04d-%02d-%02dT%02d:%02d:%02d+09:00",
		   g_date_time_get_year(dt), g_date_time_get_month(dt),
		   g_date_time_get_day_of_month(dt), g_date_time_get_hour(dt),
		   g_date_time_get_minute(dt), g_date_time_get_second(dt));
	g_date_time_unref(dt);
	return buf;
}

gint64
poc_time_parse(const char *text)
{
	GDateTime *dt;
	gint64 t;

	if (!text)
		return -1;
	dt = g_date_time_new_from_iso8601(text, NULL);
	if (!dt)
		return -1;
	t = g_date_time_to_unix(dt);
	g_date_time_unref(dt);
	return t;
}

int
poc_forbid_core_dumps(void)
{
	struct rlimit none = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &none) != 0)
		return -1;
	return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

/*
 * The date of an mbox "From " line ("From addr Fri Oct 16 20:00:00 2026",
 * asctime(3), maybe a zone name before the year), in the local time zone
 * (TZ) as mbox writers put it; 0 when there is none. Outside input
 * (tests/fuzz/fuzz_mbox.c).
 */
gint64
poc_mbox_from_date(const char *line, gsize len)
{
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	char *text = g_strndup(line, MIN(len, 512));
	char **w = g_strsplit_set(text, " \t\r", -1);
	char *f[8];
	int n = 0, mon = -1, day, hh, mm, ss, year;
	gint64 t = 0;

	/* the words after "From" and the address, empty ones (double spaces) left out */
	for (int i = 2; w[0] && w[1] && w[i] && n < (int)G_N_ELEMENTS(f); i++)
		if (*w[i])
			f[n++] = w[i];
	if (n >= 5) {
		for (int i = 0; i < 12; i++)
			if (g_ascii_strcasecmp(f[1], months[i]) == 0)
				mon = i + 1;
		day = atoi(f[2]);
		year = atoi(f[n >= 6 && !g_ascii_isdigit(f[4][0]) ? 5 : 4]);
		if (mon > 0 && sscanf(f[3], "%d:%d:%d", &hh, &mm, &ss) == 3 && year >= 1970) {
			GDateTime *dt = g_date_time_new_local(year, mon, day, hh, mm, ss);

			if (dt) {
				t = g_date_time_to_unix(dt);
				g_date_time_unref(dt);
			}
		}
	}
	g_strfreev(w);
	g_free(text);
	return t;
}

/* Characters that change how the rest of a line reads: C1, bidi, zero-width. */
static gboolean
format_char(gunichar c)
{
	return (c >= 0x80 && c <= 0x9f) || c == 0x061c || c == 0x200b || c == 0x200e ||
	       c == 0x200f || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
	       c == 0xfeff;
}

char *
poc_text_for_terminal(const char *s)
{
	GString *out;
	const char *p, *end;

	if (!s)
		return NULL;
	end = s + strlen(s);
	out = g_string_sized_new(end - s + 8);
	for (p = s; p < end;) {
		unsigned char b = (unsigned char)*p;
		gunichar c;

		if (b == '\\') {
			g_string_append(out, "\\\\");
			p++;
		} else if (b == '\n' || b == '\r' || b == '\t') {
			g_string_append(out, b == '\n' ? "\\n" : b == '\r' ? "\\r" : "\\t");
			p++;
		} else if (b < 0x20 || b == 0x7f) {
			g_string_append_printf(out, "\\x%02x", b);
			p++;
		} else if (b < 0x80) {
			g_string_append_c(out, (char)b);
			p++;
		} else if ((c = g_utf8_get_char_validated(p, end - p)) == (gunichar)-1 ||
			   c == (gunichar)-2) {
			g_string_append_printf(out, "\\x%02x", b);
			p++;
		} else {
			const char *next = g_utf8_next_char(p);

			if (format_char(c))
				g_string_append_printf(out, "\\u{%04x}", c);
			else
				g_string_append_len(out, p, next - p);
			p = next;
		}
	}
	return g_string_free(out, FALSE);
}

GHashTable *
poc_strv_set(const GPtrArray *v)
{
	GHashTable *set = g_hash_table_new(g_str_hash, g_str_equal);

	for (guint i = 0; v && i < v->len; i++)
		g_hash_table_add(set, g_ptr_array_index(v, i));
	return set;
}
