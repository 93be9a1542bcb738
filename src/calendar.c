/*
 * NAME
 *	calendar.c - national holidays of Japan, the business calendar and
 *	the acknowledgement deadline
 * SYNOPSIS
 *	#include "calendar.h"
 * DESCRIPTION
 *	The national holidays of 1948-2099 are computed once per process
 *	(GOnce) into a table of names per year and a bitmap of days. The
 *	rules follow the Act on National Holidays (昭和23年法律第178号) as
 *	amended; each rule below names the amendment it comes from, and
 *	doc/CALENDAR.md gives the whole list.
 *
 *	A poc_calendar owns a bitmap of the non-business days of 1948-2099,
 *	rebuilt by every setter from the one definition of a business day
 *	(business_day_md). Lookups then cost a bit test, so a deadline
 *	is a handful of them. Days outside the bitmap take the slow path,
 *	which has no national holidays there.
 *
 *	Days are numbered from 1970-01-01 on the proleptic Gregorian
 *	calendar; the Japan-time day of an instant t is floor((t + 9 h) /
 *	1 day). Nothing here reads the host's time zone.
 * DIAGNOSTICS
 *	Setters return POC_OK or a poc_status; the ones taking a GError
 *	set it to POC_ERROR/POC_ERR_CONFIG with the setting, or the file and
 *	line, that was wrong, and leave the calendar unchanged.
 * SEE ALSO
 *	doc/CALENDAR.md, calendar.h
 */
#include "config.h"

#include <string.h>

#include "calendar.h"

#define SECS_PER_DAY 86400

/* Day numbers of 1948-01-01 and 2100-01-01 (checked in national_build). */
#define FIRST_DAY (-8036)
#define END_DAY 47482
#define NDAYS (END_DAY - FIRST_DAY)
#define NYEARS (POC_HOLIDAY_LAST_YEAR - POC_HOLIDAY_FIRST_YEAR + 1)

/* A run of days without a business day longer than this means "never". */
#define MAX_DAYS_OFF 400

/* Holiday files are small (syukujitsu.csv is about 20 KB). */
#define MAX_HOLIDAY_FILE (1024 * 1024)

/* --- Day arithmetic --------------------------------------------------- */

static gint64
floor_div(gint64 a, gint64 b)
{
	gint64 q = a / b;

	if (a % b != 0 && (a < 0) != (b < 0))
		q--;
	return q;
}

/* Days since 1970-01-01 (H. Hinnant's days_from_civil). */
static gint64
day_number(int year, int month, int day)
{
	gint64 y = (gint64)year - (month <= 2);
	gint64 era = floor_div(y, 400);
	gint64 yoe = y - era * 400;
	gint64 doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
	gint64 doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

static void
civil_date(gint64 z, int *year, int *month, int *day)
{
	gint64 era, doe, yoe, doy, mp;

	z += 719468;
	era = floor_div(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*day = (int)(doy - (153 * mp + 2) / 5 + 1);
	*month = (int)(mp < 10 ? mp + 3 : mp - 9);
	*year = (int)(yoe + era * 400 + (*month <= 2));
}

/* 0 = Sunday .. 6 = Saturday; day 0 (1970-01-01) was a Thursday. */
static int
weekday(gint64 day)
{
	return (int)(((day % 7) + 11) % 7);
}

static gint64
jst_day(gint64 t)
{
	return floor_div(t + POC_JST_OFFSET, SECS_PER_DAY);
}

/* The instant of minute `min` of a Japan-time day. */
static gint64
jst_instant(gint64 day, int min)
{
	return day * SECS_PER_DAY - POC_JST_OFFSET + (gint64)min * 60;
}

static gboolean
valid_date(int year, int month, int day)
{
	return year >= 1 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 &&
	       day <= g_date_get_days_in_month((GDateMonth)month, (GDateYear)year);
}

/* --- The law: national holidays 1948-2099 ------------------------------ */

enum holiday_id {
	H_GANJITSU, H_SEIJIN, H_KENKOKU, H_SHUNBUN, H_TENNO, H_MIDORI, H_SHOWA,
	H_KENPO, H_KODOMO, H_UMI, H_YAMA, H_KEIRO, H_SHUUBUN, H_TAIIKU,
	H_TAIIKU_2019, H_SPORTS, H_BUNKA, H_KINRO,
	H_KONREI_1959, H_TAISO_1989, H_SOKUI_1990, H_KONREI_1993, H_SOKUI_2019,
	H_COUNT
};

static const struct {
	const char *name;
	const char *substitute;	/* its 振替休日 */
} holiday_names[H_COUNT] = {
#define NAME(id, s) [id] = { s, s " 振替休日" }
	NAME(H_GANJITSU, "元日"),
	NAME(H_SEIJIN, "成人の日"),
	NAME(H_KENKOKU, "建国記念の日"),
	NAME(H_SHUNBUN, "春分の日"),
	NAME(H_TENNO, "天皇誕生日"),
	NAME(H_MIDORI, "みどりの日"),
	NAME(H_SHOWA, "昭和の日"),
	NAME(H_KENPO, "憲法記念日"),
	NAME(H_KODOMO, "こどもの日"),
	NAME(H_UMI, "海の日"),
	NAME(H_YAMA, "山の日"),
	NAME(H_KEIRO, "敬老の日"),
	NAME(H_SHUUBUN, "秋分の日"),
	NAME(H_TAIIKU, "体育の日"),
	/* The Cabinet Office's label for 2019, the year the 2018 amendment passed. */
	NAME(H_TAIIKU_2019, "体育の日（スポーツの日）"),
	NAME(H_SPORTS, "スポーツの日"),
	NAME(H_BUNKA, "文化の日"),
	NAME(H_KINRO, "勤労感謝の日"),
	NAME(H_KONREI_1959, "皇太子明仁親王の結婚の儀"),
	NAME(H_TAISO_1989, "昭和天皇の大喪の礼"),
	NAME(H_SOKUI_1990, "即位礼正殿の儀"),
	NAME(H_KONREI_1993, "皇太子徳仁親王の結婚の儀"),
	/* 2019-05-01 and 2019-10-22, as the Cabinet Office labels them. */
	NAME(H_SOKUI_2019, "休日（祝日扱い）"),
#undef NAME
};

#define KOKUMIN_NO_KYUJITSU "休日"

/*
 * What a day of a year is. A holiday of its own law ("休日" by a special
 * act) is not a 国民の祝日 and so makes no 振替休日 or 国民の休日; the
 * 2019 days are deemed 国民の祝日 by their act (平成30年法律第99号).
 */
enum day_kind { D_NONE, D_SHUKUJITSU, D_OWN_LAW, D_FURIKAE, D_KOKUMIN };

struct year_days {
	int year, ndays;
	gint64 jan1;
	guint8 kind[366];
	guint8 id[366];
};

static void
add_day(struct year_days *yd, int month, int day, enum holiday_id id, enum day_kind kind)
{
	int doy = (int)(day_number(yd->year, month, day) - yd->jan1);

	/* The Act took effect on 1948-07-20: nothing earlier that year. */
	if (yd->year == 1948 && month * 100 + day < 720)
		return;
	yd->kind[doy] = (guint8)kind;
	yd->id[doy] = (guint8)id;
}

static void
add_shukujitsu(struct year_days *yd, int month, int day, enum holiday_id id)
{
	add_day(yd, month, day, id, D_SHUKUJITSU);
}

static int
nth_monday(int year, int month, int n)
{
	int first = weekday(day_number(year, month, 1));

	return 1 + (8 - first) % 7 + 7 * (n - 1);
}

/*
 * The equinox day by the usual approximation (in integer millionths so
 * no rounding can move a day): 1980-2099 and the variant for 1900-1979.
 * The law names only "春分日"/"秋分日"; the official day is the one the
 * National Astronomical Observatory publishes each February for the
 * next year, which this formula matches for every year so far.
 */
static int
equinox_day(int year, gint64 base1980, gint64 base1900)
{
	gint64 v;

	if (year >= 1980)
		v = base1980 + 242194 * (gint64)(year - 1980) - 1000000 * floor_div(year - 1980, 4);
	else
		/* This variant's int((Y - 1983) / 4) truncates toward zero. */
		v = base1900 + 242194 * (gint64)(year - 1980) - 1000000 * (gint64)((year - 1983) / 4);
	return (int)floor_div(v, 1000000);
}

/*
 * The year's days, in three parts so that each law's history reads on its
 * own: January to May, July to November, and the days of their own acts.
 */
static void
spring_days(struct year_days *yd, int y)
{
	/* 昭和23年法律第178号 (1948-07-20) and its amendments. */
	add_shukujitsu(yd, 1, 1, H_GANJITSU);
	/* 成人の日: 01-15; 2nd Monday from 2000 (平成10年法律第141号). */
	add_shukujitsu(yd, 1, y < 2000 ? 15 : nth_monday(y, 1, 2), H_SEIJIN);
	/* 建国記念の日 from 1967 (昭和41年法律第86号, 政令第376号). */
	if (y >= 1967)
		add_shukujitsu(yd, 2, 11, H_KENKOKU);
	add_shukujitsu(yd, 3, equinox_day(y, 20843100, 20835700), H_SHUNBUN);
	/* 天皇誕生日 follows the reign (平成元年法律第5号, 平成29年法律第63号). */
	if (y <= 1988)
		add_shukujitsu(yd, 4, 29, H_TENNO);
	else if (y <= 2018)
		add_shukujitsu(yd, 12, 23, H_TENNO);
	else if (y >= 2020)
		add_shukujitsu(yd, 2, 23, H_TENNO);
	/* みどりの日 04-29 from 1989; 昭和の日 takes it in 2007 (平成17年法律第43号). */
	if (y >= 1989 && y <= 2006)
		add_shukujitsu(yd, 4, 29, H_MIDORI);
	if (y >= 2007) {
		add_shukujitsu(yd, 4, 29, H_SHOWA);
		add_shukujitsu(yd, 5, 4, H_MIDORI);
	}
	add_shukujitsu(yd, 5, 3, H_KENPO);
	add_shukujitsu(yd, 5, 5, H_KODOMO);
}

static void
summer_autumn_days(struct year_days *yd, int y)
{
	/*
	 * 海の日 07-20 from 1996 (平成7年法律第22号), 3rd Monday from 2003
	 * (平成13年法律第59号); moved for the Olympics in 2020 and 2021 by
	 * the Olympic special measures act (平成27年法律第33号 art. 32 as
	 * amended in 2018 and 2020), as were 山の日 and スポーツの日.
	 */
	if (y == 2020)
		add_shukujitsu(yd, 7, 23, H_UMI);
	else if (y == 2021)
		add_shukujitsu(yd, 7, 22, H_UMI);
	else if (y >= 2003)
		add_shukujitsu(yd, 7, nth_monday(y, 7, 3), H_UMI);
	else if (y >= 1996)
		add_shukujitsu(yd, 7, 20, H_UMI);
	/* 山の日 from 2016 (平成26年法律第43号). */
	if (y == 2020)
		add_shukujitsu(yd, 8, 10, H_YAMA);
	else if (y == 2021)
		add_shukujitsu(yd, 8, 8, H_YAMA);
	else if (y >= 2016)
		add_shukujitsu(yd, 8, 11, H_YAMA);
	/* 敬老の日 from 1966 (昭和41年法律第86号), 3rd Monday from 2003. */
	if (y >= 2003)
		add_shukujitsu(yd, 9, nth_monday(y, 9, 3), H_KEIRO);
	else if (y >= 1966)
		add_shukujitsu(yd, 9, 15, H_KEIRO);
	add_shukujitsu(yd, 9, equinox_day(y, 23248800, 23258800), H_SHUUBUN);
	/*
	 * 体育の日 10-10 from 1966, 2nd Monday from 2000; スポーツの日 from
	 * 2020 (平成30年法律第57号).
	 */
	if (y == 2020)
		add_shukujitsu(yd, 7, 24, H_SPORTS);
	else if (y == 2021)
		add_shukujitsu(yd, 7, 23, H_SPORTS);
	else if (y >= 2022)
		add_shukujitsu(yd, 10, nth_monday(y, 10, 2), H_SPORTS);
	else if (y >= 2000)
		add_shukujitsu(yd, 10, nth_monday(y, 10, 2), y == 2019 ? H_TAIIKU_2019 : H_TAIIKU);
	else if (y >= 1966)
		add_shukujitsu(yd, 10, 10, H_TAIIKU);
	add_shukujitsu(yd, 11, 3, H_BUNKA);
	add_shukujitsu(yd, 11, 23, H_KINRO);
}

static void
own_act_days(struct year_days *yd, int y)
{
	/* Days of their own acts. */
	if (y == 1959)
		add_day(yd, 4, 10, H_KONREI_1959, D_OWN_LAW);
	if (y == 1989)
		add_day(yd, 2, 24, H_TAISO_1989, D_OWN_LAW);
	if (y == 1990)
		add_day(yd, 11, 12, H_SOKUI_1990, D_OWN_LAW);
	if (y == 1993)
		add_day(yd, 6, 9, H_KONREI_1993, D_OWN_LAW);
	if (y == 2019) {
		add_day(yd, 5, 1, H_SOKUI_2019, D_SHUKUJITSU);
		add_day(yd, 10, 22, H_SOKUI_2019, D_SHUKUJITSU);
	}
}

static void
compute_year(struct year_days *yd, int y)
{
	memset(yd, 0, sizeof *yd);
	yd->year = y;
	yd->jan1 = day_number(y, 1, 1);
	yd->ndays = (int)(day_number(y + 1, 1, 1) - yd->jan1);
	spring_days(yd, y);
	summer_autumn_days(yd, y);
	own_act_days(yd, y);
}

/*
 * 振替休日 (昭和48年法律第10号, in force 1973-04-12): a 国民の祝日 on a
 * Sunday makes the next day a holiday; from 2007 (平成17年法律第43号)
 * the next day that is not a 国民の祝日.
 *
 * It is named after the holiday just before it, as holiday_jp and our
 * reference list (tests/data/jp-holidays-2015-2027.tsv) do: 2015-05-06 is
 * "こどもの日 振替休日" though 05-03 was the Sunday. The one date those
 * lists name otherwise is kept here as data. (The Cabinet Office itself
 * just says "休日".)
 */
static const struct {
	int year, month, day;
	enum holiday_id after;
} furikae_named_otherwise[] = {
	{ 2020, 5, 6, H_KENPO },
};

static void
add_furikae(struct year_days *yd)
{
	gint64 law = day_number(1973, 4, 12);

	for (int doy = 0; doy < yd->ndays; doy++) {
		int next = doy + 1, m, d, y;

		if (yd->kind[doy] != D_SHUKUJITSU || weekday(yd->jan1 + doy) != 0 ||
		    yd->jan1 + doy < law)
			continue;
		if (yd->year < 2007) {
			if (next < yd->ndays && yd->kind[next] == D_NONE) {
				yd->kind[next] = D_FURIKAE;
				yd->id[next] = yd->id[doy];
			}
			continue;
		}
		while (next < yd->ndays && yd->kind[next] == D_SHUKUJITSU)
			next++;
		if (next >= yd->ndays || yd->kind[next] != D_NONE)
			continue;
		yd->kind[next] = D_FURIKAE;
		yd->id[next] = yd->id[next - 1];
		civil_date(yd->jan1 + next, &y, &m, &d);
		for (size_t i = 0; i < G_N_ELEMENTS(furikae_named_otherwise); i++)
			if (furikae_named_otherwise[i].year == y && furikae_named_otherwise[i].month == m &&
			    furikae_named_otherwise[i].day == d)
				yd->id[next] = (guint8)furikae_named_otherwise[i].after;
	}
}

/*
 * 国民の休日 (昭和60年法律第103号, in force 1985-12-27): a day between two
 * 国民の祝日 that is none itself; until 2006 not a Sunday nor a 振替休日.
 */
static void
add_kokumin_no_kyujitsu(struct year_days *yd)
{
	gint64 law = day_number(1985, 12, 27);

	for (int doy = 1; doy + 1 < yd->ndays; doy++) {
		if (yd->kind[doy] != D_NONE || yd->kind[doy - 1] != D_SHUKUJITSU ||
		    yd->kind[doy + 1] != D_SHUKUJITSU || yd->jan1 + doy < law)
			continue;
		if (yd->year < 2007 && weekday(yd->jan1 + doy) == 0)
			continue;
		yd->kind[doy] = D_KOKUMIN;
	}
}

static struct {
	int count;
	poc_holiday list[POC_HOLIDAYS_MAX];
} national[NYEARS];
/* 1 = a national holiday, indexed by day - FIRST_DAY. */
static guint8 national_bits[(NDAYS + 7) / 8];

#define BIT_TEST(bits, i) (((bits)[(i) >> 3] >> ((i) & 7)) & 1)
#define BIT_SET(bits, i) ((bits)[(i) >> 3] |= (guint8)(1u << ((i) & 7)))

static gpointer
national_build(gpointer unused)
{
	struct year_days yd;

	g_assert(day_number(POC_HOLIDAY_FIRST_YEAR, 1, 1) == FIRST_DAY);
	g_assert(day_number(POC_HOLIDAY_LAST_YEAR + 1, 1, 1) == END_DAY);
	for (int y = POC_HOLIDAY_FIRST_YEAR; y <= POC_HOLIDAY_LAST_YEAR; y++) {
		int n = 0;

		compute_year(&yd, y);
		add_furikae(&yd);
		add_kokumin_no_kyujitsu(&yd);
		for (int doy = 0; doy < yd.ndays; doy++) {
			poc_holiday *h = &national[y - POC_HOLIDAY_FIRST_YEAR].list[n];
			int year;

			switch (yd.kind[doy]) {
			case D_NONE:
				continue;
			case D_SHUKUJITSU:
			case D_OWN_LAW:
				h->name = holiday_names[yd.id[doy]].name;
				break;
			case D_FURIKAE:
				h->name = holiday_names[yd.id[doy]].substitute;
				break;
			case D_KOKUMIN:
				h->name = KOKUMIN_NO_KYUJITSU;
				break;
			}
			civil_date(yd.jan1 + doy, &year, &h->month, &h->day);
			BIT_SET(national_bits, yd.jan1 + doy - FIRST_DAY);
			n++;
			g_assert(n < POC_HOLIDAYS_MAX);
		}
		national[y - POC_HOLIDAY_FIRST_YEAR].count = n;
	}
	return NULL;
}

static void
national_init(void)
{
	static GOnce once = G_ONCE_INIT;

	g_once(&once, national_build, NULL);
}

static gboolean
national_holiday_on(gint64 day)
{
	if (day < FIRST_DAY || day >= END_DAY)
		return FALSE;
	national_init();
	return BIT_TEST(national_bits, day - FIRST_DAY);
}

const char *
poc_holiday_name(int year, int month, int day)
{
	if (year < POC_HOLIDAY_FIRST_YEAR || year > POC_HOLIDAY_LAST_YEAR)
		return NULL;
	national_init();
	for (int i = 0; i < national[year - POC_HOLIDAY_FIRST_YEAR].count; i++) {
		const poc_holiday *h = &national[year - POC_HOLIDAY_FIRST_YEAR].list[i];

		if (h->month == month && h->day == day)
			return h->name;
	}
	return NULL;
}

int
poc_holidays_of_year(int year, poc_holiday out[], int max)
{
	int n;

	if (year < POC_HOLIDAY_FIRST_YEAR || year > POC_HOLIDAY_LAST_YEAR)
		return 0;
	national_init();
	n = national[year - POC_HOLIDAY_FIRST_YEAR].count;
	if (max > 0)
		memcpy(out, national[year - POC_HOLIDAY_FIRST_YEAR].list,
		       (size_t)MIN(n, max) * sizeof *out);
	return n;
}

/* --- A site's calendar ------------------------------------------------- */

/* MM-DD..MM-DD every year (from/to as month*100+day), or absolute days. */
typedef struct day_range {
	gboolean annual;
	int from, to;
	gint64 first, last;
} day_range;

struct poc_calendar {
	int start_min, end_min;
	GArray *closures;	/* of day_range */
	GArray *working;	/* of day_range */
	GHashTable *added;	/* day -> name (owned; "" when none given) */
	GHashTable *removed;	/* set of days */
	guint8 off[(NDAYS + 7) / 8];	/* 1 = not a business day */
};

#define DAY_KEY(day) GINT_TO_POINTER((gint)(day))

static gboolean
in_ranges(const GArray *ranges, gint64 day, int mmdd)
{
	for (guint i = 0; i < ranges->len; i++) {
		const day_range *r = &g_array_index(ranges, day_range, i);

		if (!r->annual) {
			if (day >= r->first && day <= r->last)
				return TRUE;
		} else if (r->from <= r->to) {
			if (mmdd >= r->from && mmdd <= r->to)
				return TRUE;
		} else if (mmdd >= r->from || mmdd <= r->to) {
			return TRUE;
		}
	}
	return FALSE;
}

/* The definition of a business day; the bitmap caches it. */
static gboolean
business_day_md(const poc_calendar *cal, gint64 day, int month, int mday)
{
	int wd = weekday(day), mmdd = month * 100 + mday;

	if (in_ranges(cal->working, day, mmdd))
		return TRUE;
	if (wd == 0 || wd == 6 || in_ranges(cal->closures, day, mmdd))
		return FALSE;
	if (day < G_MININT || day > G_MAXINT)
		return TRUE;
	if (g_hash_table_size(cal->added) && g_hash_table_contains(cal->added, DAY_KEY(day)))
		return FALSE;
	if (national_holiday_on(day))
		return g_hash_table_contains(cal->removed, DAY_KEY(day));
	return TRUE;
}

static gboolean
business_day(const poc_calendar *cal, gint64 day)
{
	int y, m, d;

	if (day >= FIRST_DAY && day < END_DAY)
		return !BIT_TEST(cal->off, day - FIRST_DAY);
	civil_date(day, &y, &m, &d);
	return business_day_md(cal, day, m, d);
}

/* Walks the dates along with the day numbers: civil_date() per day is the slow part. */
static void
rebuild(poc_calendar *cal)
{
	int y = POC_HOLIDAY_FIRST_YEAR, m = 1, d = 1;

	memset(cal->off, 0, sizeof cal->off);
	for (gint64 day = FIRST_DAY; day < END_DAY; day++) {
		if (!business_day_md(cal, day, m, d))
			BIT_SET(cal->off, day - FIRST_DAY);
		if (++d > g_date_get_days_in_month((GDateMonth)m, (GDateYear)y)) {
			d = 1;
			if (++m > 12)
				m = 1, y++;
		}
	}
}

/*
 * Parse "YYYY-MM-DD", "YYYY/M/D" or, when annual_ok, "MM-DD" at *p and
 * advance *p past it. *year is 0 for MM-DD.
 */
static gboolean
parse_date(const char **p, gboolean annual_ok, int *year, int *month, int *day)
{
	const char *s = *p;
	int num[3], digits[3], n = 0;
	char sep = 0;

	for (;;) {
		num[n] = 0;
		digits[n] = 0;
		while (g_ascii_isdigit(*s) && digits[n] < 5) {
			num[n] = num[n] * 10 + (*s++ - '0');
			digits[n]++;
		}
		if (digits[n] == 0 || g_ascii_isdigit(*s))
			return FALSE;
		n++;
		if (n == 3 || (*s != '-' && *s != '/') || (sep && *s != sep) ||
		    !g_ascii_isdigit(s[1]))
			break;
		sep = *s++;
	}
	if (n == 3 && digits[0] == 4 && digits[1] <= 2 && digits[2] <= 2 &&
	    valid_date(num[0], num[1], num[2])) {
		*year = num[0], *month = num[1], *day = num[2];
	} else if (n == 2 && annual_ok && sep == '-' && digits[0] <= 2 && digits[1] <= 2 &&
		   valid_date(2000, num[0], num[1])) {
		*year = 0, *month = num[0], *day = num[1];
	} else {
		return FALSE;
	}
	*p = s;
	return TRUE;
}

/* Parse a closures/working-days spec into a new array of day_range. */
static GArray *
parse_day_spec(const char *what, const char *spec, GError **error)
{
	GArray *ranges = g_array_new(FALSE, FALSE, sizeof(day_range));
	const char *p = spec ? spec : "";

	for (;;) {
		const char *token;
		int y1, m1, d1, y2, m2, d2;
		day_range r = { 0 };

		while (*p == ',' || g_ascii_isspace(*p))
			p++;
		if (*p == '\0')
			return ranges;
		token = p;
		if (!parse_date(&p, TRUE, &y1, &m1, &d1))
			goto bad;
		y2 = y1, m2 = m1, d2 = d1;
		if (p[0] == '.' && p[1] == '.') {
			p += 2;
			if (!parse_date(&p, TRUE, &y2, &m2, &d2) || (y1 == 0) != (y2 == 0))
				goto bad;
		}
		if (*p != '\0' && *p != ',' && !g_ascii_isspace(*p))
			goto bad;
		r.annual = y1 == 0;
		r.from = m1 * 100 + d1;
		r.to = m2 * 100 + d2;
		if (!r.annual) {
			r.first = day_number(y1, m1, d1);
			r.last = day_number(y2, m2, d2);
			if (r.first > r.last)
				goto bad;
		}
		g_array_append_val(ranges, r);
		continue;
bad:
		{
			size_t len = strcspn(token, ", \t\r\n");

			g_set_error(error, POC_ERROR, POC_ERR_CONFIG,
				    "%s: \"%.*s\" is not MM-DD, YYYY-MM-DD or a range A..B of them",
				    what, (int)len, token);
			g_array_unref(ranges);
			return NULL;
		}
	}
}

poc_calendar *
poc_calendar_new(void)
{
	poc_calendar *cal = g_new0(poc_calendar, 1);

	national_init();
	cal->start_min = 9 * 60;
	cal->end_min = 17 * 60 + 30;
	cal->closures = parse_day_spec("closures", "12-29..01-03", NULL);
	cal->working = g_array_new(FALSE, FALSE, sizeof(day_range));
	cal->added = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	cal->removed = g_hash_table_new(g_direct_hash, g_direct_equal);
	rebuild(cal);
	return cal;
}

void
poc_calendar_free(poc_calendar *cal)
{
	if (!cal)
		return;
	g_array_unref(cal->closures);
	g_array_unref(cal->working);
	g_hash_table_destroy(cal->added);
	g_hash_table_destroy(cal->removed);
	g_free(cal);
}

int
poc_calendar_set_business_hours(poc_calendar *cal, int start_min, int end_min)
{
	if (start_min < 0 || start_min >= end_min || end_min > 24 * 60)
		return POC_ERR_INVAL;
	cal->start_min = start_min;
	cal->end_min = end_min;
	return POC_OK;
}

static gboolean
parse_hhmm(const char **p, int *minutes)
{
	const char *s = *p;
	int h = 0, m = 0, digits = 0;

	while (g_ascii_isdigit(*s) && digits < 2)
		h = h * 10 + (*s++ - '0'), digits++;
	if (digits == 0 || *s++ != ':')
		return FALSE;
	if (!g_ascii_isdigit(s[0]) || !g_ascii_isdigit(s[1]))
		return FALSE;
	m = (s[0] - '0') * 10 + (s[1] - '0');
	s += 2;
	if (m > 59 || h > 24 || (h == 24 && m != 0))
		return FALSE;
	*minutes = h * 60 + m;
	*p = s;
	return TRUE;
}

int
poc_calendar_parse_business_hours(const char *text, int *start_min, int *end_min)
{
	const char *p = text;
	int start, end;

	if (!p)
		return POC_ERR_CONFIG;
	while (g_ascii_isspace(*p))
		p++;
	if (!parse_hhmm(&p, &start))
		return POC_ERR_CONFIG;
	while (g_ascii_isspace(*p))
		p++;
	if (*p++ != '-')
		return POC_ERR_CONFIG;
	while (g_ascii_isspace(*p))
		p++;
	if (!parse_hhmm(&p, &end))
		return POC_ERR_CONFIG;
	while (g_ascii_isspace(*p))
		p++;
	if (*p != '\0' || start >= end)
		return POC_ERR_CONFIG;
	*start_min = start;
	*end_min = end;
	return POC_OK;
}

int
poc_calendar_set_closures(poc_calendar *cal, const char *spec, GError **error)
{
	GArray *ranges = parse_day_spec("closures", spec, error);

	if (!ranges)
		return POC_ERR_CONFIG;
	g_array_unref(cal->closures);
	cal->closures = ranges;
	rebuild(cal);
	return POC_OK;
}

int
poc_calendar_set_working_days(poc_calendar *cal, const char *spec, GError **error)
{
	GArray *ranges = parse_day_spec("working days", spec, error);

	if (!ranges)
		return POC_ERR_CONFIG;
	g_array_unref(cal->working);
	cal->working = ranges;
	rebuild(cal);
	return POC_OK;
}

/* One line of a holiday file: a day off with a name, or a removal (name NULL). */
typedef struct holiday_line {
	gint64 day;
	char *name;
} holiday_line;

static void
holiday_line_clear(gpointer p)
{
	g_free(((holiday_line *)p)->name);
}

/* The file as UTF-8: as it is, or converted from Shift_JIS (CP932). */
static char *
holiday_file_text(const char *path, GError **error)
{
	GError *err = NULL;
	char *raw, *text;
	gsize len;

	if (!g_file_get_contents(path, &raw, &len, &err)) {
		g_set_error(error, POC_ERROR, POC_ERR_CONFIG, "holiday file %s: %s", path, err->message);
		g_error_free(err);
		return NULL;
	}
	if (len > MAX_HOLIDAY_FILE) {
		g_set_error(error, POC_ERROR, POC_ERR_CONFIG, "holiday file %s: larger than %d bytes",
			    path, MAX_HOLIDAY_FILE);
		g_free(raw);
		return NULL;
	}
	if (memchr(raw, '\0', len)) {
		g_set_error(error, POC_ERROR, POC_ERR_CONFIG, "holiday file %s: contains NUL bytes",
			    path);
		g_free(raw);
		return NULL;
	}
	if (g_utf8_validate(raw, (gssize)len, NULL))
		return raw;
	text = g_convert(raw, (gssize)len, "UTF-8", "CP932", NULL, NULL, &err);
	g_free(raw);
	if (!text) {
		g_set_error(error, POC_ERROR, POC_ERR_CONFIG,
			    "holiday file %s: neither UTF-8 nor Shift_JIS (%s)", path, err->message);
		g_error_free(err);
	}
	return text;
}

/*
 * Read every line first so that a bad line leaves the calendar as it
 * was; then apply them in order.
 */
int
poc_calendar_load_holiday_file(poc_calendar *cal, const char *path, GError **error)
{
	GArray *lines;
	char *text, **rows;
	gboolean seen_content = FALSE;
	int status = POC_OK;

	text = holiday_file_text(path, error);
	if (!text)
		return POC_ERR_CONFIG;
	rows = g_strsplit(g_str_has_prefix(text, "\xEF\xBB\xBF") ? text + 3 : text, "\n", -1);
	g_free(text);
	lines = g_array_new(FALSE, FALSE, sizeof(holiday_line));
	g_array_set_clear_func(lines, holiday_line_clear);
	for (int i = 0; rows[i]; i++) {
		char *row = g_strstrip(rows[i]);
		const char *p = row;
		int y, m, d;
		holiday_line hl;

		if (*row == '\0' || *row == '#')
			continue;
		/* syukujitsu.csv begins with a header: "国民の祝日・休日月日,…". */
		if (!seen_content && !g_ascii_isdigit(*row) && strchr(row, ',')) {
			seen_content = TRUE;
			continue;
		}
		seen_content = TRUE;
		if (!parse_date(&p, FALSE, &y, &m, &d) ||
		    (*p != '\0' && *p != ',' && !g_ascii_isspace(*p))) {
			g_set_error(error, POC_ERROR, POC_ERR_CONFIG,
				    "%s:%d: expected \"YYYY-MM-DD [name]\" or \"YYYY/M/D,name\", got \"%s\"",
				    path, i + 1, row);
			status = POC_ERR_CONFIG;
			break;
		}
		if (*p == ',')
			p++;
		while (g_ascii_isspace(*p))
			p++;
		/* A comment may follow the name after white space. */
		for (char *c = (char *)p; (c = strchr(c, '#')) != NULL; c++)
			if (c == p || g_ascii_isspace(c[-1])) {
				*c = '\0';
				g_strchomp((char *)p);
				break;
			}
		hl.day = day_number(y, m, d);
		hl.name = strcmp(p, "-") == 0 ? NULL : g_strdup(p);
		g_array_append_val(lines, hl);
	}
	g_strfreev(rows);
	if (status == POC_OK) {
		for (guint i = 0; i < lines->len; i++) {
			holiday_line *hl = &g_array_index(lines, holiday_line, i);

			if (hl->name) {
				g_hash_table_remove(cal->removed, DAY_KEY(hl->day));
				g_hash_table_replace(cal->added, DAY_KEY(hl->day), hl->name);
				hl->name = NULL;
			} else {
				g_hash_table_remove(cal->added, DAY_KEY(hl->day));
				g_hash_table_add(cal->removed, DAY_KEY(hl->day));
			}
		}
		rebuild(cal);
	}
	g_array_unref(lines);
	return status;
}

static gint
holiday_compare(gconstpointer a, gconstpointer b)
{
	const poc_holiday *x = a, *y = b;

	return (x->month * 100 + x->day) - (y->month * 100 + y->day);
}

int
poc_calendar_holidays_of_year(const poc_calendar *cal, int year, poc_holiday out[], int max)
{
	GArray *all = g_array_new(FALSE, FALSE, sizeof(poc_holiday));
	poc_holiday national_list[POC_HOLIDAYS_MAX];
	GHashTableIter iter;
	gpointer key, value;
	int n = poc_holidays_of_year(year, national_list, POC_HOLIDAYS_MAX);

	for (int i = 0; i < n; i++) {
		gint64 day = day_number(year, national_list[i].month, national_list[i].day);

		if (!g_hash_table_contains(cal->removed, DAY_KEY(day)) &&
		    !g_hash_table_contains(cal->added, DAY_KEY(day)))
			g_array_append_val(all, national_list[i]);
	}
	g_hash_table_iter_init(&iter, cal->added);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		poc_holiday h;
		int y;

		civil_date(GPOINTER_TO_INT(key), &y, &h.month, &h.day);
		if (y != year)
			continue;
		h.name = poc_holiday_name(y, h.month, h.day);
		if (!h.name)
			h.name = *(const char *)value ? value : KOKUMIN_NO_KYUJITSU;
		g_array_append_val(all, h);
	}
	g_array_sort(all, holiday_compare);
	n = (int)all->len;
	if (max > 0)
		memcpy(out, all->data, (size_t)MIN(n, max) * sizeof *out);
	g_array_unref(all);
	return n;
}

gboolean
poc_calendar_is_business_day(const poc_calendar *cal, int year, int month, int day)
{
	return business_day(cal, day_number(year, month, day));
}

gint64
poc_calendar_ack_deadline(const poc_calendar *cal, gint64 received)
{
	gint64 day = jst_day(received);

	for (int i = 1; i <= MAX_DAYS_OFF; i++)
		if (business_day(cal, day + i))
			return jst_instant(day + i, cal->end_min);
	return -1;
}

gint64
poc_calendar_business_seconds(const poc_calendar *cal, gint64 from, gint64 to)
{
	gint64 total = 0;

	if (to <= from)
		return 0;
	for (gint64 day = jst_day(from); day <= jst_day(to - 1); day++) {
		gint64 start, end;

		if (!business_day(cal, day))
			continue;
		start = MAX(from, jst_instant(day, cal->start_min));
		end = MIN(to, jst_instant(day, cal->end_min));
		if (end > start)
			total += end - start;
	}
	return total;
}

gint64
poc_calendar_business_before(const poc_calendar *cal, gint64 deadline, gint64 business_seconds)
{
	gint64 remaining = business_seconds;
	int days_off = 0;

	if (remaining <= 0)
		return deadline;
	for (gint64 day = jst_day(deadline); days_off <= MAX_DAYS_OFF; day--) {
		gint64 start = jst_instant(day, cal->start_min);
		gint64 end = MIN(deadline, jst_instant(day, cal->end_min));

		if (!business_day(cal, day) || end <= start) {
			days_off++;
			continue;
		}
		days_off = 0;
		if (remaining <= end - start)
			return end - remaining;
		remaining -= end - start;
	}
	return -1;
}

gint64
poc_calendar_day_start(const poc_calendar *cal, gint64 t)
{
	return jst_instant(jst_day(t), cal->start_min);
}
