/*
 * NAME
 *	bench_calendar - how fast deadlines and holiday lists are
 * SYNOPSIS
 *	make bench/bench_calendar && bench/bench_calendar [millions]
 * DESCRIPTION
 *	Prints calls per second of poc_calendar_ack_deadline() over receipt
 *	times spread across 2015-2035, of poc_holidays_of_year() over
 *	1948-2099, of poc_calendar_business_seconds() over a week, and of
 *	poc_calendar_new() (which builds the calendar's cache). The
 *	argument scales the iteration counts (default 10: ten million
 *	deadlines). Timing only: it asserts nothing.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "calendar.h"

static double
seconds_since(gint64 start_us)
{
	return (double)(g_get_monotonic_time() - start_us) / G_USEC_PER_SEC;
}

static void
report(const char *what, long calls, double secs)
{
	printf("%-36s %12.0f calls/s  %9.1f ns/call\n", what, calls / secs, secs * 1e9 / calls);
}

int
main(int argc, char **argv)
{
	long millions = argc > 1 ? strtol(argv[1], NULL, 10) : 10;
	long n = millions > 0 ? millions * 1000000 : 10000000;
	poc_calendar *cal = poc_calendar_new();
	poc_holiday list[POC_HOLIDAYS_MAX];
	gint64 base = poc_time_parse("2015-01-01T00:00:00+09:00");
	gint64 span = poc_time_parse("2035-01-01T00:00:00+09:00") - base;
	gint64 sink = 0, start;
	long i;

	/* The national table is built on first use: keep it out of the timing. */
	sink += poc_holidays_of_year(2026, list, POC_HOLIDAYS_MAX);

	start = g_get_monotonic_time();
	for (i = 0; i < n; i++)
		sink += poc_calendar_ack_deadline(cal, base + (i * 104729) % span);
	report("poc_calendar_ack_deadline", n, seconds_since(start));

	start = g_get_monotonic_time();
	for (i = 0; i < n / 10; i++)
		sink += poc_holidays_of_year(1948 + (int)(i % 152), list, POC_HOLIDAYS_MAX);
	report("poc_holidays_of_year", n / 10, seconds_since(start));

	start = g_get_monotonic_time();
	for (i = 0; i < n / 10; i++)
		sink += poc_holiday_name(1948 + (int)(i % 152), 1 + (int)(i % 12), 1 + (int)(i % 28)) != NULL;
	report("poc_holiday_name", n / 10, seconds_since(start));

	start = g_get_monotonic_time();
	for (i = 0; i < n / 10; i++) {
		gint64 from = base + (i * 104729) % span;

		sink += poc_calendar_business_seconds(cal, from, from + 7 * 86400);
	}
	report("poc_calendar_business_seconds (1 wk)", n / 10, seconds_since(start));

	start = g_get_monotonic_time();
	for (i = 0; i < 200; i++) {
		poc_calendar *c = poc_calendar_new();

		sink += poc_calendar_ack_deadline(c, base);
		poc_calendar_free(c);
	}
	report("poc_calendar_new", 200, seconds_since(start));

	poc_calendar_free(cal);
	/* Printed so the compiler cannot drop the loops. */
	printf("checksum %" G_GINT64_FORMAT "\n", sink);
	return 0;
}
