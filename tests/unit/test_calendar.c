/*
 * NAME
 *	test_calendar - unit tests of the holiday computation, the business
 *	calendar and the acknowledgement deadline
 * SYNOPSIS
 *	tests/unit/test_calendar	(srcdir in the environment, as make check sets it)
 * DESCRIPTION
 *	The holidays of 2015-2027 are compared, date and name, with
 *	tests/data/jp-holidays-2015-2027.tsv (a copy of the project's
 *	shared/reference list, from holiday_jp checked against the Cabinet
 *	Office's syukujitsu.csv). Older years are spot-checked against the
 *	amendments of the Act on National Holidays. Property tests walk
 *	every day of 1949-2099.
 *
 *	The deadline tests run once per time zone (UTC, America/Los_Angeles,
 *	Asia/Tokyo): each run sets TZ, calls tzset() and first proves that
 *	the C library now sees that zone, so a deadline that leaked the
 *	host's zone would fail in at least one of them.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "calendar.h"
#include "testutil.h"

#define TSV "jp-holidays-2015-2027.tsv"

static gint64
T(const char *rfc3339)
{
	gint64 t = poc_time_parse(rfc3339);

	ck_assert_msg(t != -1, "bad time in test: %s", rfc3339);
	return t;
}

/* The deadline of a receipt time, as pocctl prints it. */
static const char *
deadline_of(const poc_calendar *cal, const char *received, char buf[POC_TIME_BUFSIZE])
{
	return poc_time_format(poc_calendar_ack_deadline(cal, T(received)), buf);
}

#define ck_assert_deadline(cal, received, expected)                              \
	do {                                                                     \
		char buf_[POC_TIME_BUFSIZE];                                     \
		ck_assert_str_eq(deadline_of(cal, received, buf_), expected);    \
	} while (0)

static char *
data_path(const char *name)
{
	const char *srcdir = getenv("srcdir");

	return g_build_filename(srcdir ? srcdir : ".", "tests", "data", name, NULL);
}

static gboolean
is_furikae(const char *name)
{
	return name && g_str_has_suffix(name, " 振替休日");
}

static gboolean
is_kokumin(const char *name)
{
	return name && strcmp(name, "休日") == 0;
}

/* A 国民の祝日 (or a day of its own act): neither derived kind. */
static gboolean
is_shukujitsu(const char *name)
{
	return name && !is_furikae(name) && !is_kokumin(name);
}

/* --- National holidays ------------------------------------------------- */

START_TEST(test_reference_2015_2027)
{
	char *path = data_path(TSV), *text, **lines;
	GError *err = NULL;
	int year = 0, index = 0, checked = 0;
	poc_holiday list[POC_HOLIDAYS_MAX];
	int count = 0;

	ck_assert_msg(g_file_get_contents(path, &text, NULL, &err), "%s: %s", path,
		      err ? err->message : "");
	lines = g_strsplit(text, "\n", -1);
	for (int i = 0; lines[i]; i++) {
		int y, m, d;
		char name[128];

		if (lines[i][0] == '#' || lines[i][0] == '\0')
			continue;
		ck_assert_int_eq(sscanf(lines[i], "%d-%d-%d\t%127[^\n]", &y, &m, &d, name), 4);
		if (y != year) {
			if (year)
				ck_assert_int_eq(index, count);
			year = y;
			index = 0;
			count = poc_holidays_of_year(y, list, POC_HOLIDAYS_MAX);
		}
		ck_assert_msg(index < count, "%s: %d has only %d holidays", lines[i], y, count);
		ck_assert_msg(list[index].month == m && list[index].day == d,
			      "%s: got %04d-%02d-%02d", lines[i], y, list[index].month, list[index].day);
		ck_assert_str_eq(list[index].name, name);
		ck_assert_str_eq(poc_holiday_name(y, m, d), name);
		index++;
		checked++;
	}
	ck_assert_int_eq(index, count);
	ck_assert_int_eq(year, 2027);
	ck_assert_int_eq(checked, 236);
	g_strfreev(lines);
	g_free(text);
	g_free(path);
}
END_TEST

START_TEST(test_1948_law_takes_effect)
{
	poc_holiday list[POC_HOLIDAYS_MAX];

	/* In force from 1948-07-20: the spring days that year were not holidays. */
	ck_assert_int_eq(poc_holidays_of_year(1948, list, POC_HOLIDAYS_MAX), 3);
	ck_assert(list[0].month == 9 && list[0].day == 23);
	ck_assert_str_eq(list[0].name, "秋分の日");
	ck_assert_str_eq(list[1].name, "文化の日");
	ck_assert(list[1].month == 11 && list[1].day == 3);
	ck_assert_str_eq(list[2].name, "勤労感謝の日");
	ck_assert(list[2].month == 11 && list[2].day == 23);
	ck_assert_ptr_null(poc_holiday_name(1948, 4, 29));
	ck_assert_ptr_null(poc_holiday_name(1948, 5, 3));
	ck_assert_str_eq(poc_holiday_name(1949, 1, 1), "元日");
	ck_assert_str_eq(poc_holiday_name(1949, 1, 15), "成人の日");
	ck_assert_str_eq(poc_holiday_name(1949, 3, 21), "春分の日");
	ck_assert_str_eq(poc_holiday_name(1949, 4, 29), "天皇誕生日");
	ck_assert_int_eq(poc_holidays_of_year(1947, list, POC_HOLIDAYS_MAX), 0);
	ck_assert_int_eq(poc_holidays_of_year(2100, list, POC_HOLIDAYS_MAX), 0);
	ck_assert_ptr_null(poc_holiday_name(2100, 1, 1));
}
END_TEST

START_TEST(test_one_off_days)
{
	ck_assert_str_eq(poc_holiday_name(1959, 4, 10), "皇太子明仁親王の結婚の儀");
	ck_assert_str_eq(poc_holiday_name(1989, 2, 24), "昭和天皇の大喪の礼");
	ck_assert_str_eq(poc_holiday_name(1990, 11, 12), "即位礼正殿の儀");
	ck_assert_str_eq(poc_holiday_name(1993, 6, 9), "皇太子徳仁親王の結婚の儀");
	ck_assert_str_eq(poc_holiday_name(2019, 5, 1), "休日（祝日扱い）");
	ck_assert_str_eq(poc_holiday_name(2019, 10, 22), "休日（祝日扱い）");
	/* Deemed 国民の祝日, so the days around 05-01 became 国民の休日. */
	ck_assert_str_eq(poc_holiday_name(2019, 4, 30), "休日");
	ck_assert_str_eq(poc_holiday_name(2019, 5, 2), "休日");
	ck_assert_str_eq(poc_holiday_name(2019, 5, 6), "こどもの日 振替休日");
	ck_assert_ptr_null(poc_holiday_name(2019, 12, 23));
	ck_assert_ptr_null(poc_holiday_name(2019, 2, 23));
	ck_assert_ptr_null(poc_holiday_name(1960, 4, 10));
}
END_TEST

START_TEST(test_furikae_and_kokumin_history)
{
	/* The first 振替休日; Sunday holidays before 1973-04-12 had none. */
	ck_assert_str_eq(poc_holiday_name(1973, 4, 29), "天皇誕生日");
	ck_assert_str_eq(poc_holiday_name(1973, 4, 30), "天皇誕生日 振替休日");
	ck_assert_str_eq(poc_holiday_name(1972, 1, 15), "成人の日");	/* a Saturday */
	ck_assert_str_eq(poc_holiday_name(1967, 1, 15), "成人の日");	/* a Sunday */
	ck_assert_ptr_null(poc_holiday_name(1967, 1, 16));
	/* The first 国民の休日 (law of 1985-12-27). */
	ck_assert_str_eq(poc_holiday_name(1988, 5, 4), "休日");
	ck_assert_ptr_null(poc_holiday_name(1985, 5, 4));	/* a Saturday, law not yet */
	/* Until 2006 only the next day: 1997-05-04 Sunday, nothing on 05-06. */
	ck_assert_ptr_null(poc_holiday_name(1997, 5, 4));
	ck_assert_ptr_null(poc_holiday_name(1997, 5, 6));
	ck_assert_str_eq(poc_holiday_name(1992, 5, 4), "憲法記念日 振替休日");
	/* From 2007 the next day that is not a holiday. */
	ck_assert_str_eq(poc_holiday_name(2008, 5, 6), "こどもの日 振替休日");
	ck_assert_str_eq(poc_holiday_name(2020, 5, 6), "憲法記念日 振替休日");
}
END_TEST

START_TEST(test_amendments)
{
	ck_assert_ptr_null(poc_holiday_name(1965, 9, 15));
	ck_assert_str_eq(poc_holiday_name(1966, 9, 15), "敬老の日");
	ck_assert_str_eq(poc_holiday_name(1966, 10, 10), "体育の日");
	ck_assert_ptr_null(poc_holiday_name(1966, 2, 11));
	ck_assert_str_eq(poc_holiday_name(1967, 2, 11), "建国記念の日");
	ck_assert_str_eq(poc_holiday_name(1988, 4, 29), "天皇誕生日");
	ck_assert_str_eq(poc_holiday_name(1989, 4, 29), "みどりの日");
	ck_assert_str_eq(poc_holiday_name(1989, 12, 23), "天皇誕生日");
	ck_assert_ptr_null(poc_holiday_name(1995, 7, 20));
	ck_assert_str_eq(poc_holiday_name(1996, 7, 20), "海の日");
	ck_assert_str_eq(poc_holiday_name(1999, 1, 15), "成人の日");
	ck_assert_str_eq(poc_holiday_name(2000, 1, 10), "成人の日");
	ck_assert_str_eq(poc_holiday_name(2000, 10, 9), "体育の日");
	ck_assert_str_eq(poc_holiday_name(2002, 9, 15), "敬老の日");
	ck_assert_str_eq(poc_holiday_name(2003, 7, 21), "海の日");
	ck_assert_str_eq(poc_holiday_name(2003, 9, 15), "敬老の日");
	ck_assert_str_eq(poc_holiday_name(2006, 4, 29), "みどりの日");
	ck_assert_str_eq(poc_holiday_name(2007, 4, 29), "昭和の日");
	ck_assert_str_eq(poc_holiday_name(2007, 5, 4), "みどりの日");
	ck_assert_ptr_null(poc_holiday_name(2015, 8, 11));
	ck_assert_str_eq(poc_holiday_name(2016, 8, 11), "山の日");
	ck_assert_str_eq(poc_holiday_name(2018, 12, 23), "天皇誕生日");
	ck_assert_str_eq(poc_holiday_name(2020, 2, 23), "天皇誕生日");
	ck_assert_str_eq(poc_holiday_name(2020, 7, 23), "海の日");
	ck_assert_str_eq(poc_holiday_name(2020, 7, 24), "スポーツの日");
	ck_assert_str_eq(poc_holiday_name(2020, 8, 10), "山の日");
	ck_assert_ptr_null(poc_holiday_name(2020, 10, 12));
	ck_assert_str_eq(poc_holiday_name(2021, 7, 22), "海の日");
	ck_assert_str_eq(poc_holiday_name(2021, 7, 23), "スポーツの日");
	ck_assert_str_eq(poc_holiday_name(2021, 8, 8), "山の日");
	ck_assert_str_eq(poc_holiday_name(2021, 8, 9), "山の日 振替休日");
	ck_assert_str_eq(poc_holiday_name(2022, 10, 10), "スポーツの日");
	/* Equinoxes: both formula variants, and the far end. */
	ck_assert_str_eq(poc_holiday_name(1960, 3, 20), "春分の日");
	ck_assert_str_eq(poc_holiday_name(1979, 9, 24), "秋分の日");
	ck_assert_str_eq(poc_holiday_name(2099, 3, 20), "春分の日");
	ck_assert_str_eq(poc_holiday_name(2099, 9, 22), "休日");
	ck_assert_str_eq(poc_holiday_name(2099, 9, 23), "秋分の日");
}
END_TEST

START_TEST(test_holidays_of_year_counts)
{
	poc_holiday few[3], all[POC_HOLIDAYS_MAX];

	/* Like snprintf: the count of the year, whatever max is. */
	ck_assert_int_eq(poc_holidays_of_year(2019, few, 3), 22);
	ck_assert_int_eq(poc_holidays_of_year(2019, all, POC_HOLIDAYS_MAX), 22);
	ck_assert_int_eq(memcmp(few, all, sizeof few), 0);
	ck_assert_int_eq(poc_holidays_of_year(2019, NULL, 0), 22);
}
END_TEST

/* Walk every day of 1949-2099 and check the derived days against their rules. */
START_TEST(test_property_derived_days)
{
	GDate date;
	int furikae = 0, kokumin = 0;

	g_date_clear(&date, 1);
	g_date_set_dmy(&date, 1, 1, 1949);
	while (g_date_get_year(&date) <= 2099) {
		int y = g_date_get_year(&date), m = g_date_get_month(&date), d = g_date_get_day(&date);
		const char *name = poc_holiday_name(y, m, d);
		GDate prev = date, next = date;

		g_date_subtract_days(&prev, 1);
		g_date_add_days(&next, 1);
		if (is_furikae(name)) {
			/* It follows a Sunday 国民の祝日, with only 国民の祝日 in between. */
			GDate back = prev;
			const char *back_name;

			furikae++;
			ck_assert_msg(y > 1973 || (y == 1973 && m >= 4), "%d-%d-%d: before the law", y, m, d);
			for (;;) {
				back_name = poc_holiday_name(g_date_get_year(&back), g_date_get_month(&back),
							     g_date_get_day(&back));
				ck_assert_msg(is_shukujitsu(back_name), "%d-%02d-%02d %s: no Sunday holiday before",
					      y, m, d, name);
				if (g_date_get_weekday(&back) == G_DATE_SUNDAY)
					break;
				ck_assert_msg(y >= 2007, "%d-%02d-%02d: a chain before 2007", y, m, d);
				g_date_subtract_days(&back, 1);
			}
		}
		if (is_kokumin(name)) {
			kokumin++;
			ck_assert_msg(y >= 1986, "%d-%02d-%02d: before the law", y, m, d);
			ck_assert_msg(is_shukujitsu(poc_holiday_name(g_date_get_year(&prev),
								     g_date_get_month(&prev),
								     g_date_get_day(&prev))) &&
					      is_shukujitsu(poc_holiday_name(g_date_get_year(&next),
									     g_date_get_month(&next),
									     g_date_get_day(&next))),
				      "%d-%02d-%02d: 休日 next to a day that is no 国民の祝日", y, m, d);
		}
		/* Conversely: a Sunday 国民の祝日 since 1973-04-12 gets its 振替休日. */
		if (is_shukujitsu(name) && g_date_get_weekday(&date) == G_DATE_SUNDAY &&
		    (y > 1973 || (y == 1973 && (m > 4 || (m == 4 && d >= 12))))) {
			GDate fwd = next;
			const char *fwd_name;

			while (is_shukujitsu(fwd_name = poc_holiday_name(g_date_get_year(&fwd),
									 g_date_get_month(&fwd),
									 g_date_get_day(&fwd))) &&
			       y >= 2007)
				g_date_add_days(&fwd, 1);
			ck_assert_msg(is_furikae(fwd_name) || (y < 2007 && fwd_name),
				      "%d-%02d-%02d %s: Sunday without 振替休日", y, m, d, name);
		}
		date = next;
	}
	ck_assert_int_gt(furikae, 100);
	ck_assert_int_gt(kokumin, 20);
}
END_TEST

static gint64
jst_day_of(gint64 t)
{
	gint64 local = t + POC_JST_OFFSET;

	return local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
}

/* An independent check of a business day under the default calendar. */
static gboolean
default_business_day(GDate *date)
{
	GDateWeekday wd = g_date_get_weekday(date);
	int m = g_date_get_month(date), d = g_date_get_day(date);

	if (wd == G_DATE_SATURDAY || wd == G_DATE_SUNDAY)
		return FALSE;
	if ((m == 12 && d >= 29) || (m == 1 && d <= 3))
		return FALSE;
	return poc_holiday_name(g_date_get_year(date), m, d) == NULL;
}

START_TEST(test_property_deadlines)
{
	poc_calendar *cal = poc_calendar_new();
	GDate date;

	g_date_clear(&date, 1);
	g_date_set_dmy(&date, 1, 1, 1949);
	while (g_date_get_year(&date) <= 2099) {
		int y = g_date_get_year(&date), m = g_date_get_month(&date), d = g_date_get_day(&date);
		/* Noon Japan time of that day. */
		GDateTime *noon = g_date_time_new_utc(y, m, d, 3, 0, 0);
		gint64 received = g_date_time_to_unix(noon);
		gint64 deadline = poc_calendar_ack_deadline(cal, received);
		GDate walk = date;
		int days = 0;

		g_date_time_unref(noon);
		ck_assert_int_gt(deadline, received);
		/* 17:30 Japan time. */
		ck_assert_int_eq(deadline + POC_JST_OFFSET - jst_day_of(deadline) * 86400, 17 * 3600 + 1800);
		for (;;) {
			g_date_add_days(&walk, 1);
			days++;
			if (default_business_day(&walk))
				break;
		}
		ck_assert_msg(days <= 12, "%d-%02d-%02d: %d days", y, m, d, days);
		ck_assert_int_eq(jst_day_of(deadline), jst_day_of(received) + days);
		g_date_add_days(&date, 1);
	}
	poc_calendar_free(cal);
}
END_TEST

/* --- Deadlines, in three time zones ------------------------------------ */

static const struct {
	const char *tz;
	long utc_offset;	/* on 2026-01-01 */
} zones[] = {
	{ "UTC", 0 },
	{ "America/Los_Angeles", -8 * 3600 },
	{ "Asia/Tokyo", 9 * 3600 },
};

static void
use_zone(int i)
{
	time_t t = 1767225600;	/* 2026-01-01T00:00:00Z */
	struct tm tm;

	ck_assert_int_eq(setenv("TZ", zones[i].tz, 1), 0);
	tzset();
	ck_assert_ptr_nonnull(localtime_r(&t, &tm));
	ck_assert_msg(tm.tm_gmtoff == zones[i].utc_offset, "TZ=%s not in effect (offset %ld)",
		      zones[i].tz, (long)tm.tm_gmtoff);
}

START_TEST(test_deadline_golden_week_2019)
{
	poc_calendar *cal = poc_calendar_new();

	use_zone(_i);
	/* Ten days off, 04-27 to 05-06. */
	ck_assert_deadline(cal, "2019-04-25T23:59:00+09:00", "2019-04-26T17:30:00+09:00");
	ck_assert_deadline(cal, "2019-04-26T09:00:00+09:00", "2019-05-07T17:30:00+09:00");
	ck_assert_deadline(cal, "2019-04-30T12:00:00+09:00", "2019-05-07T17:30:00+09:00");
	ck_assert_deadline(cal, "2019-05-06T23:59:59+09:00", "2019-05-07T17:30:00+09:00");
	ck_assert_deadline(cal, "2019-05-07T00:00:00+09:00", "2019-05-08T17:30:00+09:00");
	poc_calendar_free(cal);
}
END_TEST

START_TEST(test_deadline_year_end)
{
	poc_calendar *cal = poc_calendar_new();

	use_zone(_i);
	ck_assert_deadline(cal, "2025-12-26T10:00:00+09:00", "2026-01-05T17:30:00+09:00");
	ck_assert_deadline(cal, "2025-12-29T10:00:00+09:00", "2026-01-05T17:30:00+09:00");
	ck_assert_deadline(cal, "2026-01-02T10:00:00+09:00", "2026-01-05T17:30:00+09:00");
	ck_assert_deadline(cal, "2026-12-28T10:00:00+09:00", "2027-01-04T17:30:00+09:00");
	/* 2027-01-11 is 成人の日. */
	ck_assert_deadline(cal, "2027-01-08T10:00:00+09:00", "2027-01-12T17:30:00+09:00");
	poc_calendar_free(cal);
}
END_TEST

START_TEST(test_deadline_weekend_and_midnight)
{
	poc_calendar *cal = poc_calendar_new();

	use_zone(_i);
	/* Friday after hours, Saturday, Sunday: Monday. */
	ck_assert_deadline(cal, "2026-11-27T20:00:00+09:00", "2026-11-30T17:30:00+09:00");
	ck_assert_deadline(cal, "2026-11-28T10:00:00+09:00", "2026-11-30T17:30:00+09:00");
	ck_assert_deadline(cal, "2026-11-29T23:59:59+09:00", "2026-11-30T17:30:00+09:00");
	/* Japan's midnight decides, in any notation of the instant. */
	ck_assert_deadline(cal, "2026-11-25T23:59:00+09:00", "2026-11-26T17:30:00+09:00");
	ck_assert_deadline(cal, "2026-11-26T00:00:00+09:00", "2026-11-27T17:30:00+09:00");
	ck_assert_deadline(cal, "2026-11-25T14:59:59Z", "2026-11-26T17:30:00+09:00");
	ck_assert_deadline(cal, "2026-11-25T15:00:00Z", "2026-11-27T17:30:00+09:00");
	ck_assert_deadline(cal, "2026-11-25T06:59:00-08:00", "2026-11-26T17:30:00+09:00");
	ck_assert_deadline(cal, "2026-11-25T07:01:00-08:00", "2026-11-27T17:30:00+09:00");
	/* Received during business hours: still the next day. */
	ck_assert_deadline(cal, "2026-11-26T10:00:00+09:00", "2026-11-27T17:30:00+09:00");
	/* A Saturday in summer time over there. */
	ck_assert_deadline(cal, "2026-07-04T12:00:00-07:00", "2026-07-06T17:30:00+09:00");
	poc_calendar_free(cal);
}
END_TEST

/* --- A site's calendar ------------------------------------------------- */

START_TEST(test_business_hours)
{
	poc_calendar *cal = poc_calendar_new();
	int start = -1, end = -1;

	ck_assert_int_eq(poc_calendar_parse_business_hours("09:00-17:30", &start, &end), POC_OK);
	ck_assert_int_eq(start, 540);
	ck_assert_int_eq(end, 1050);
	ck_assert_int_eq(poc_calendar_parse_business_hours(" 8:30 - 24:00 ", &start, &end), POC_OK);
	ck_assert_int_eq(start, 510);
	ck_assert_int_eq(end, 1440);
	ck_assert_int_eq(poc_calendar_parse_business_hours("17:00-09:00", &start, &end), POC_ERR_CONFIG);
	ck_assert_int_eq(poc_calendar_parse_business_hours("25:00-26:00", &start, &end), POC_ERR_CONFIG);
	ck_assert_int_eq(poc_calendar_parse_business_hours("09:60-10:00", &start, &end), POC_ERR_CONFIG);
	ck_assert_int_eq(poc_calendar_parse_business_hours("0900-1700", &start, &end), POC_ERR_CONFIG);
	ck_assert_int_eq(poc_calendar_parse_business_hours("09:00-17:30x", &start, &end), POC_ERR_CONFIG);
	ck_assert_int_eq(poc_calendar_parse_business_hours("", &start, &end), POC_ERR_CONFIG);
	ck_assert_int_eq(poc_calendar_parse_business_hours(NULL, &start, &end), POC_ERR_CONFIG);
	ck_assert_int_eq(start, 510);

	ck_assert_int_eq(poc_calendar_set_business_hours(cal, 600, 600), POC_ERR_INVAL);
	ck_assert_int_eq(poc_calendar_set_business_hours(cal, -1, 600), POC_ERR_INVAL);
	ck_assert_int_eq(poc_calendar_set_business_hours(cal, 0, 1441), POC_ERR_INVAL);
	ck_assert_int_eq(poc_calendar_set_business_hours(cal, 600, 1080), POC_OK);
	ck_assert_deadline(cal, "2026-11-26T10:00:00+09:00", "2026-11-27T18:00:00+09:00");
	ck_assert_int_eq(poc_calendar_day_start(cal, T("2026-11-26T23:00:00+09:00")),
			 T("2026-11-26T10:00:00+09:00"));
	poc_calendar_free(cal);
}
END_TEST

START_TEST(test_closures)
{
	poc_calendar *cal = poc_calendar_new();
	GError *err = NULL;

	ck_assert(!poc_calendar_is_business_day(cal, 2025, 12, 29));
	ck_assert(!poc_calendar_is_business_day(cal, 2026, 1, 2));
	ck_assert(poc_calendar_is_business_day(cal, 2025, 12, 26));

	ck_assert_int_eq(poc_calendar_set_closures(cal, "", &err), POC_OK);
	ck_assert(poc_calendar_is_business_day(cal, 2025, 12, 29));
	ck_assert(!poc_calendar_is_business_day(cal, 2026, 1, 1));	/* 元日 stays */

	ck_assert_int_eq(poc_calendar_set_closures(cal, "08-13..08-16, 12-25..01-05 2026-05-07,"
						   "2026-06-01..2026-06-02", &err), POC_OK);
	ck_assert(!poc_calendar_is_business_day(cal, 2026, 8, 13));
	ck_assert(!poc_calendar_is_business_day(cal, 2031, 8, 14));
	ck_assert(!poc_calendar_is_business_day(cal, 2026, 12, 25));
	ck_assert(!poc_calendar_is_business_day(cal, 2027, 1, 5));
	ck_assert(poc_calendar_is_business_day(cal, 2027, 1, 6));
	ck_assert(!poc_calendar_is_business_day(cal, 2026, 5, 7));
	ck_assert(poc_calendar_is_business_day(cal, 2027, 5, 7));
	ck_assert(!poc_calendar_is_business_day(cal, 2026, 6, 2));
	ck_assert(poc_calendar_is_business_day(cal, 2026, 6, 3));
	ck_assert_deadline(cal, "2026-05-06T10:00:00+09:00", "2026-05-08T17:30:00+09:00");
	/* Outside the cached years the same rules hold. */
	ck_assert(!poc_calendar_is_business_day(cal, 2105, 8, 14));
	ck_assert(poc_calendar_is_business_day(cal, 2105, 8, 17));
	ck_assert(!poc_calendar_is_business_day(cal, 1900, 12, 25));

	static const char *const bad[] = {
		"13-01", "02-30", "12-29..", "2026-01-05..2026-01-01", "12-29..2026-01-03",
		"holidays", "12-29...01-03", "2026-1-32", "12/29", "1229", "2026-02-29",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		ck_assert_int_eq(poc_calendar_set_closures(cal, bad[i], &err), POC_ERR_CONFIG);
		ck_assert(g_error_matches(err, POC_ERROR, POC_ERR_CONFIG));
		ck_assert_msg(strstr(err->message, "closures"), "%s", err->message);
		g_clear_error(&err);
	}
	/* A failed set leaves the closures as they were. */
	ck_assert(!poc_calendar_is_business_day(cal, 2026, 8, 13));
	poc_calendar_free(cal);
}
END_TEST

START_TEST(test_working_days)
{
	poc_calendar *cal = poc_calendar_new();
	GError *err = NULL;

	ck_assert_int_eq(poc_calendar_set_working_days(cal, "2019-05-01..2019-05-02 2026-01-03", &err),
			 POC_OK);
	ck_assert(poc_calendar_is_business_day(cal, 2019, 5, 1));
	ck_assert(poc_calendar_is_business_day(cal, 2026, 1, 3));	/* a Saturday in the closure */
	ck_assert_deadline(cal, "2019-04-26T09:00:00+09:00", "2019-05-01T17:30:00+09:00");
	ck_assert_deadline(cal, "2026-01-02T09:00:00+09:00", "2026-01-03T17:30:00+09:00");
	ck_assert_int_eq(poc_calendar_set_working_days(cal, "yesterday", &err), POC_ERR_CONFIG);
	ck_assert(g_error_matches(err, POC_ERROR, POC_ERR_CONFIG));
	ck_assert_msg(strstr(err->message, "\"yesterday\""), "%s", err->message);
	g_clear_error(&err);
	ck_assert(poc_calendar_is_business_day(cal, 2019, 5, 1));
	poc_calendar_free(cal);
}
END_TEST

START_TEST(test_closed_forever)
{
	poc_calendar *cal = poc_calendar_new();

	ck_assert_int_eq(poc_calendar_set_closures(cal, "01-01..12-31", NULL), POC_OK);
	ck_assert_int_eq(poc_calendar_ack_deadline(cal, T("2026-11-26T10:00:00+09:00")), -1);
	ck_assert_int_eq(poc_calendar_business_before(cal, T("2026-11-26T10:00:00+09:00"), 60), -1);
	ck_assert_int_eq(poc_calendar_business_seconds(cal, T("2026-01-01T00:00:00+09:00"),
						       T("2027-01-01T00:00:00+09:00")), 0);
	poc_calendar_free(cal);
}
END_TEST

static char *
write_temp(const char *contents, gssize len)
{
	GError *err = NULL;
	char *path = NULL;
	int fd = g_file_open_tmp("test_calendar-XXXXXX", &path, &err);

	ck_assert_msg(fd >= 0, "%s", err ? err->message : "");
	close(fd);
	ck_assert(g_file_set_contents(path, contents, len, &err));
	return path;
}

START_TEST(test_holiday_file)
{
	poc_calendar *cal = poc_calendar_new();
	poc_holiday list[POC_HOLIDAYS_MAX];
	GError *err = NULL;
	char *path = write_temp("# site holidays\n"
				"\n"
				"2026-08-13 お盆 # summer\n"
				"2026/8/14\n"
				"  2026-11-03 -\t# 文化の日, a correction\n", -1);
	int n;

	ck_assert_int_eq(poc_calendar_load_holiday_file(cal, path, &err), POC_OK);
	ck_assert(!poc_calendar_is_business_day(cal, 2026, 8, 13));
	ck_assert(!poc_calendar_is_business_day(cal, 2026, 8, 14));
	ck_assert(poc_calendar_is_business_day(cal, 2026, 11, 3));
	g_free(path);

	/* Files add up; CRLF is fine. */
	path = write_temp("2026-12-25 クリスマス\r\n", -1);
	ck_assert_int_eq(poc_calendar_load_holiday_file(cal, path, &err), POC_OK);
	ck_assert(!poc_calendar_is_business_day(cal, 2026, 12, 25));
	ck_assert(!poc_calendar_is_business_day(cal, 2026, 8, 13));
	ck_assert_deadline(cal, "2026-08-12T10:00:00+09:00", "2026-08-17T17:30:00+09:00");
	n = poc_calendar_holidays_of_year(cal, 2026, list, POC_HOLIDAYS_MAX);
	ck_assert_int_eq(n, poc_holidays_of_year(2026, NULL, 0) + 3 - 1);
	for (int i = 0; i < n; i++) {
		if (list[i].month == 8 && list[i].day == 13)
			ck_assert_str_eq(list[i].name, "お盆");
		if (list[i].month == 8 && list[i].day == 14)
			ck_assert_str_eq(list[i].name, "休日");
		if (list[i].month == 12 && list[i].day == 25)
			ck_assert_str_eq(list[i].name, "クリスマス");
		ck_assert(!(list[i].month == 11 && list[i].day == 3));
		if (i > 0)
			ck_assert_int_lt(list[i - 1].month * 100 + list[i - 1].day,
					 list[i].month * 100 + list[i].day);
	}
	/* The national list itself is untouched. */
	ck_assert_str_eq(poc_holiday_name(2026, 11, 3), "文化の日");
	g_free(path);
	poc_calendar_free(cal);
}
END_TEST

START_TEST(test_holiday_file_errors)
{
	poc_calendar *cal = poc_calendar_new();
	GError *err = NULL;
	char *path = write_temp("2026-08-13 お盆\n# fine so far\n2026-13-01 bad month\n", -1);

	ck_assert_int_eq(poc_calendar_load_holiday_file(cal, path, &err), POC_ERR_CONFIG);
	ck_assert(g_error_matches(err, POC_ERROR, POC_ERR_CONFIG));
	{
		char *where = g_strdup_printf("%s:3:", path);

		ck_assert_msg(strstr(err->message, where), "%s", err->message);
		g_free(where);
	}
	g_clear_error(&err);
	/* Nothing of a bad file is applied. */
	ck_assert(poc_calendar_is_business_day(cal, 2026, 8, 13));
	g_free(path);

	path = write_temp("2026-08-13x\n", -1);
	ck_assert_int_eq(poc_calendar_load_holiday_file(cal, path, &err), POC_ERR_CONFIG);
	ck_assert_msg(strstr(err->message, ":1:"), "%s", err->message);
	g_clear_error(&err);
	g_free(path);

	path = write_temp("2026-08-13\n\0002026-08-14\n", 23);
	ck_assert_int_eq(poc_calendar_load_holiday_file(cal, path, &err), POC_ERR_CONFIG);
	ck_assert_msg(strstr(err->message, "NUL"), "%s", err->message);
	g_clear_error(&err);
	g_free(path);

	ck_assert_int_eq(poc_calendar_load_holiday_file(cal, "/nonexistent/holidays.txt", &err),
			 POC_ERR_CONFIG);
	ck_assert(g_error_matches(err, POC_ERROR, POC_ERR_CONFIG));
	ck_assert_msg(strstr(err->message, "/nonexistent/holidays.txt"), "%s", err->message);
	g_clear_error(&err);
	poc_calendar_free(cal);
}
END_TEST

/* The Cabinet Office's syukujitsu.csv: Shift_JIS, CRLF, a header line. */
START_TEST(test_syukujitsu_csv)
{
	const char *utf8 = "国民の祝日・休日月日,国民の祝日・休日名称\r\n"
			   "2026/1/1,元日\r\n"
			   "2026/6/15,臨時の休日\r\n"
			   "2026/9/22,休日\r\n";
	poc_calendar *cal = poc_calendar_new();
	poc_holiday list[POC_HOLIDAYS_MAX];
	GError *err = NULL;
	gsize sjis_len;
	char *sjis = g_convert(utf8, -1, "CP932", "UTF-8", NULL, &sjis_len, &err);
	char *path;
	gboolean found = FALSE;
	int n;

	ck_assert_msg(sjis, "%s", err ? err->message : "");
	ck_assert(!g_utf8_validate(sjis, (gssize)sjis_len, NULL));
	path = write_temp(sjis, (gssize)sjis_len);
	ck_assert_int_eq(poc_calendar_load_holiday_file(cal, path, &err), POC_OK);
	ck_assert(!poc_calendar_is_business_day(cal, 2026, 6, 15));
	n = poc_calendar_holidays_of_year(cal, 2026, list, POC_HOLIDAYS_MAX);
	for (int i = 0; i < n; i++)
		if (list[i].month == 6 && list[i].day == 15) {
			ck_assert_str_eq(list[i].name, "臨時の休日");
			found = TRUE;
		}
	ck_assert(found);
	g_free(path);

	/* The same in UTF-8 with a byte order mark. */
	path = write_temp("\xEF\xBB\xBF" "国民の祝日・休日月日,国民の祝日・休日名称\n2027/6/15,臨時の休日\n", -1);
	ck_assert_int_eq(poc_calendar_load_holiday_file(cal, path, &err), POC_OK);
	ck_assert(!poc_calendar_is_business_day(cal, 2027, 6, 15));
	g_free(path);

	/* A header is only a header at the top. */
	path = write_temp("2027/6/16,休日\n国民の祝日・休日月日,国民の祝日・休日名称\n", -1);
	ck_assert_int_eq(poc_calendar_load_holiday_file(cal, path, &err), POC_ERR_CONFIG);
	ck_assert_msg(strstr(err->message, ":2:"), "%s", err->message);
	g_clear_error(&err);
	g_free(path);
	g_free(sjis);
	poc_calendar_free(cal);
}
END_TEST

/* --- Business time ----------------------------------------------------- */

START_TEST(test_business_seconds)
{
	poc_calendar *cal = poc_calendar_new();

	ck_assert_int_eq(poc_calendar_business_seconds(cal, T("2026-11-26T10:00:00+09:00"),
						       T("2026-11-26T12:00:00+09:00")), 7200);
	ck_assert_int_eq(poc_calendar_business_seconds(cal, T("2026-11-26T00:00:00+09:00"),
						       T("2026-11-27T00:00:00+09:00")), 30600);
	/* Friday 17:00 to Monday 10:00: half an hour plus an hour. */
	ck_assert_int_eq(poc_calendar_business_seconds(cal, T("2026-11-27T17:00:00+09:00"),
						       T("2026-11-30T10:00:00+09:00")), 5400);
	ck_assert_int_eq(poc_calendar_business_seconds(cal, T("2026-11-30T10:00:00+09:00"),
						       T("2026-11-27T17:00:00+09:00")), 0);
	/* Golden Week 2019 has none. */
	ck_assert_int_eq(poc_calendar_business_seconds(cal, T("2019-04-26T17:30:00+09:00"),
						       T("2019-05-07T09:00:00+09:00")), 0);
	poc_calendar_free(cal);
}
END_TEST

START_TEST(test_business_before)
{
	poc_calendar *cal = poc_calendar_new();
	gint64 deadline = T("2026-11-30T17:30:00+09:00");	/* a Monday */

	ck_assert_int_eq(poc_calendar_business_before(cal, deadline, 0), deadline);
	ck_assert_int_eq(poc_calendar_business_before(cal, deadline, 4 * 3600),
			 T("2026-11-30T13:30:00+09:00"));
	/* Exactly a day's worth: 09:00 that day, not Friday 17:30. */
	ck_assert_int_eq(poc_calendar_business_before(cal, deadline, 30600),
			 T("2026-11-30T09:00:00+09:00"));
	ck_assert_int_eq(poc_calendar_business_before(cal, deadline, 9 * 3600),
			 T("2026-11-27T17:00:00+09:00"));
	/* A deadline outside business hours counts from the end of the day. */
	ck_assert_int_eq(poc_calendar_business_before(cal, T("2026-11-30T20:00:00+09:00"), 3600),
			 T("2026-11-30T16:30:00+09:00"));
	ck_assert_int_eq(poc_calendar_business_before(cal, T("2019-05-07T10:00:00+09:00"), 2 * 3600),
			 T("2019-04-26T16:30:00+09:00"));
	for (gint64 secs = 1; secs < 10 * 30600; secs += 3571) {
		gint64 t = poc_calendar_business_before(cal, deadline, secs);

		ck_assert_int_eq(poc_calendar_business_seconds(cal, t, deadline), secs);
	}
	poc_calendar_free(cal);
}
END_TEST

START_TEST(test_day_start)
{
	poc_calendar *cal = poc_calendar_new();

	ck_assert_int_eq(poc_calendar_day_start(cal, T("2026-11-26T23:30:00+09:00")),
			 T("2026-11-26T09:00:00+09:00"));
	ck_assert_int_eq(poc_calendar_day_start(cal, T("2026-11-26T14:59:59Z")),
			 T("2026-11-26T09:00:00+09:00"));
	ck_assert_int_eq(poc_calendar_day_start(cal, T("2026-11-26T15:00:00Z")),
			 T("2026-11-27T09:00:00+09:00"));
	/* A Sunday too. */
	ck_assert_int_eq(poc_calendar_day_start(cal, T("2026-11-29T12:00:00+09:00")),
			 T("2026-11-29T09:00:00+09:00"));
	poc_calendar_free(cal);
}
END_TEST

START_TEST(test_far_years)
{
	poc_calendar *cal = poc_calendar_new();
	char buf[POC_TIME_BUFSIZE];

	/* No national holidays out there; weekends and closures still hold. */
	ck_assert_str_eq(deadline_of(cal, "2100-12-31T12:00:00+09:00", buf),
			 "2101-01-04T17:30:00+09:00");
	ck_assert_str_eq(deadline_of(cal, "2099-12-28T12:00:00+09:00", buf),
			 "2100-01-04T17:30:00+09:00");
	ck_assert_str_eq(deadline_of(cal, "1947-12-26T12:00:00+09:00", buf),
			 "1948-01-05T17:30:00+09:00");
	ck_assert(poc_calendar_is_business_day(cal, 1948, 4, 29));
	poc_calendar_free(cal);
}
END_TEST

static Suite *
calendar_suite(void)
{
	Suite *s = suite_create("calendar");
	TCase *tc;

	tc = tcase_create("national");
	tcase_add_test(tc, test_reference_2015_2027);
	tcase_add_test(tc, test_1948_law_takes_effect);
	tcase_add_test(tc, test_one_off_days);
	tcase_add_test(tc, test_furikae_and_kokumin_history);
	tcase_add_test(tc, test_amendments);
	tcase_add_test(tc, test_holidays_of_year_counts);
	suite_add_tcase(s, tc);

	tc = tcase_create("properties");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_property_derived_days);
	tcase_add_test(tc, test_property_deadlines);
	suite_add_tcase(s, tc);

	tc = tcase_create("deadline");
	tcase_add_loop_test(tc, test_deadline_golden_week_2019, 0, G_N_ELEMENTS(zones));
	tcase_add_loop_test(tc, test_deadline_year_end, 0, G_N_ELEMENTS(zones));
	tcase_add_loop_test(tc, test_deadline_weekend_and_midnight, 0, G_N_ELEMENTS(zones));
	suite_add_tcase(s, tc);

	tc = tcase_create("site");
	tcase_add_test(tc, test_business_hours);
	tcase_add_test(tc, test_closures);
	tcase_add_test(tc, test_working_days);
	tcase_add_test(tc, test_closed_forever);
	tcase_add_test(tc, test_holiday_file);
	tcase_add_test(tc, test_holiday_file_errors);
	tcase_add_test(tc, test_syukujitsu_csv);
	suite_add_tcase(s, tc);

	tc = tcase_create("business-time");
	tcase_add_test(tc, test_business_seconds);
	tcase_add_test(tc, test_business_before);
	tcase_add_test(tc, test_day_start);
	tcase_add_test(tc, test_far_years);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return run_suite(calendar_suite(), CK_FORK_GETENV);
}
