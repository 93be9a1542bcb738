/*
 * NAME
 *	ics.c - writing iCalendar (RFC 5545) text
 * SYNOPSIS
 *	#include "ics.h"
 *
 *	GString *out = g_string_new(NULL);
 *	poc_ics_begin(out, "pocmilter");
 *	poc_ics_event_write(out, &(poc_ics_event){ ... });
 *	poc_ics_end(out);
 * DESCRIPTION
 *	RFC 5545 3.1: content lines are CRLF-terminated and "SHOULD NOT be
 *	longer than 75 octets, excluding the line break"; a longer line is
 *	folded by CRLF + one space, and a fold never splits a multi-octet
 *	UTF-8 character. 3.3.11: TEXT escapes backslash, semicolon, comma
 *	and newline. All-day events are DATE values of the Japan date with
 *	DTEND the next day (3.6.1); instants are UTC (FORM #2, "Z"), so no
 *	VTIMEZONE is needed.
 */
#include "config.h"

#include <string.h>

#include "calendar.h"
#include "ics.h"

#define FOLD 75

void
poc_ics_line(GString *out, const char *name, const char *value)
{
	GString *line = g_string_new(name);
	gsize col = 0;

	g_string_append_c(line, ':');
	g_string_append(line, value);
	for (const char *p = line->str; *p;) {
		const char *next = g_utf8_next_char(p);
		gsize len = (gsize)(next - p);

		/* first line: 75 octets; continuation lines: the space + 74 */
		if (col + len > FOLD) {
			g_string_append(out, "\r\n ");
			col = 1;
		}
		g_string_append_len(out, p, len);
		col += len;
		p = next;
	}
	g_string_append(out, "\r\n");
	g_string_free(line, TRUE);
}

void
poc_ics_escape_text(GString *out, const char *value)
{
	for (const char *p = value ? value : ""; *p; p++) {
		switch (*p) {
		case '\\': g_string_append(out, "\\\\"); break;
		case ';': g_string_append(out, "\\;"); break;
		case ',': g_string_append(out, "\\,"); break;
		case '\n': g_string_append(out, "\\n"); break;
		case '\r': break;
		default:
			/* other controls are not allowed in TEXT */
			if ((unsigned char)*p >= 0x20 && *p != 0x7f)
				g_string_append_c(out, *p);
		}
	}
}

static void
text_line(GString *out, const char *name, const char *value)
{
	GString *v = g_string_new(NULL);

	poc_ics_escape_text(v, value);
	poc_ics_line(out, name, v->str);
	g_string_free(v, TRUE);
}

void
poc_ics_begin(GString *out, const char *name)
{
	poc_ics_line(out, "BEGIN", "VCALENDAR");
	poc_ics_line(out, "VERSION", "2.0");
	poc_ics_line(out, "PRODID", "-//pocmilter//pocctl calendar ics//EN");
	poc_ics_line(out, "CALSCALE", "GREGORIAN");
	poc_ics_line(out, "METHOD", "PUBLISH");
	if (name)
		text_line(out, "X-WR-CALNAME", name);
}

void
poc_ics_end(GString *out)
{
	poc_ics_line(out, "END", "VCALENDAR");
}

static void
utc_stamp(gint64 t, char buf[32])
{
	GDateTime *dt = g_date_time_new_from_unix_utc(t);
	char *s = g_date_time_format(dt, "%Y%m%dT%H%M%SZ");

	g_strlcpy(buf, s, 32);
	g_free(s);
	g_date_time_unref(dt);
}

/* The Japan date of t (+ days) as YYYYMMDD. */
static void
jst_date(gint64 t, int days, char buf[32])
{
	GDateTime *dt = g_date_time_new_from_unix_utc(t + POC_JST_OFFSET + (gint64)days * 86400);
	char *s = g_date_time_format(dt, "%Y%m%d");

	g_strlcpy(buf, s, 32);
	g_free(s);
	g_date_time_unref(dt);
}

void
poc_ics_event_write(GString *out, const poc_ics_event *ev)
{
	char buf[32];

	poc_ics_line(out, "BEGIN", "VEVENT");
	text_line(out, "UID", ev->uid);
	utc_stamp(ev->stamp, buf);
	poc_ics_line(out, "DTSTAMP", buf);
	if (ev->all_day) {
		jst_date(ev->at, 0, buf);
		poc_ics_line(out, "DTSTART;VALUE=DATE", buf);
		jst_date(ev->at, 1, buf);
		poc_ics_line(out, "DTEND;VALUE=DATE", buf);
	} else {
		utc_stamp(ev->at, buf);
		poc_ics_line(out, "DTSTART", buf);
	}
	text_line(out, "SUMMARY", ev->summary);
	if (ev->description)
		text_line(out, "DESCRIPTION", ev->description);
	if (ev->categories)
		text_line(out, "CATEGORIES", ev->categories);
	poc_ics_line(out, "TRANSP", "TRANSPARENT");
	poc_ics_line(out, "END", "VEVENT");
}
