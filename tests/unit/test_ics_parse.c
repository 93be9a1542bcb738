/*
 * NAME
 *	test_ics_parse - read pocmilter's iCalendar output back with libical
 * SYNOPSIS
 *	tests/unit/test_ics_parse		(self-test; make check)
 *	tests/unit/test_ics_parse FILE		(print what FILE holds; e2e tests)
 * DESCRIPTION
 *	Without arguments: write a calendar with ics.c (folded lines,
 *	escaped TEXT, Japanese, all-day and UTC events), parse it with
 *	libical (icalparser_parse_string) and check that every VEVENT comes
 *	back with its UID, DTSTART and unescaped SUMMARY.
 *
 *	With FILE: parse it and print "events N", then one line per VEVENT:
 *	"UID<TAB>DTSTART<TAB>SUMMARY" with DTSTART as libical formats it
 *	(20261215 for a date, 20261127T083000Z for a UTC time). Exit 1 when
 *	libical cannot parse it.
 * DIAGNOSTICS
 *	Exit 77 (skipped) when built without libical (Debian libical-dev).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ics.h"

#ifndef HAVE_LIBICAL
int
main(void)
{
	fprintf(stderr, "SKIP: built without libical (apt-get install libical-dev)\n");
	return 77;
}
#else
#include <libical/ical.h>

/* Parse text; print or collect "UID\tDTSTART\tSUMMARY" lines; -1 if it does not parse. */
static int
read_back(const char *text, GPtrArray *lines)
{
	icalcomponent *cal = icalparser_parse_string(text), *ev;
	int n = 0;

	if (!cal || icalcomponent_isa(cal) != ICAL_VCALENDAR_COMPONENT)
		return -1;
	for (ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT); ev;
	     ev = icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT)) {
		struct icaltimetype start = icalcomponent_get_dtstart(ev);
		const char *uid = icalcomponent_get_uid(ev);
		const char *summary = icalcomponent_get_summary(ev);

		if (icalcomponent_count_errors(ev) > 0 || icaltime_is_null_time(start)) {
			icalcomponent_free(cal);
			return -1;
		}
		g_ptr_array_add(lines, g_strdup_printf("%s\t%s\t%s", uid ? uid : "",
						       icaltime_as_ical_string(start),
						       summary ? summary : ""));
		n++;
	}
	icalcomponent_free(cal);
	return n;
}

static int
failed(const char *what, const char *got)
{
	fprintf(stderr, "FAIL: %s: %s\n", what, got ? got : "(null)");
	return 1;
}

int
main(int argc, char **argv)
{
	GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
	GString *out = g_string_new(NULL);
	int n, bad = 0;

	if (argc == 2) {
		char *text;

		if (!g_file_get_contents(argv[1], &text, NULL, NULL))
			return failed("cannot read", argv[1]);
		if ((n = read_back(text, lines)) < 0)
			return failed("libical cannot parse", argv[1]);
		printf("events %d\n", n);
		for (guint i = 0; i < lines->len; i++)
			printf("%s\n", (char *)g_ptr_array_index(lines, i));
		g_free(text);
		return 0;
	}

	{
		/* 2026-12-15T00:00+09:00, 2026-11-27T17:30+09:00, stamp 2026-11-26T11:30+09:00 */
		poc_ics_event a = { "publication-JPCERT-12345678@vendor.example", 1795660200, 1797260400,
				    TRUE,
				    "公開日: JPCERT#12345678, 「脆弱性」; a summary long enough to be "
				    "folded twice, with commas, semicolons; and a backslash \\ too",
				    "line one\nline two", "publication" };
		poc_ics_event b = { "ack-0123456789abcdef@vendor.example", 1795660200, 1795768200,
				    FALSE, "Acknowledgement due: JPCERT#12345678", NULL, "ack" };

		poc_ics_begin(out, "pocmilter test");
		poc_ics_event_write(out, &a);
		poc_ics_event_write(out, &b);
		poc_ics_end(out);
		n = read_back(out->str, lines);
		if (n != 2)
			return failed("events read back", out->str);
		{
			char *want_a = g_strdup_printf("%s\t20261215\t%s", a.uid, a.summary);

			if (strcmp(g_ptr_array_index(lines, 0), want_a) != 0)
				bad |= failed("all-day event", g_ptr_array_index(lines, 0));
			g_free(want_a);
		}
		if (strcmp(g_ptr_array_index(lines, 1),
			   "ack-0123456789abcdef@vendor.example\t20261127T083000Z\t"
			   "Acknowledgement due: JPCERT#12345678") != 0)
			bad |= failed("timed event", g_ptr_array_index(lines, 1));
	}
	g_string_free(out, TRUE);
	g_ptr_array_unref(lines);
	if (!bad)
		printf("ok: libical reads back 2 events, folded and escaped\n");
	return bad;
}
#endif
