/*
 * test_conf - the config's lists: NULL-terminated as parsed, and read by
 * many threads at once without a write (the filers share one config); a
 * bare Closures is an empty list; which envelope recipients are watched
 * (RCPT argument and {rcpt_addr}); which keys a reload reports as
 * restart-only; every key type read back from what poc_config_dump prints.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "runtime.h"
#include "testutil.h"

static const char text[] = "Watch security@vendor.example\n"
			   "Coordinator vuls@jpcert.or.jp, other@jpcert.or.jp\n"
			   "Coordinator third@jpcert.or.jp\n";

START_TEST(test_lists_terminated)
{
	poc_config *cfg = NULL;
	GError *err = NULL;
	const char *const *v;

	ck_assert_int_eq(poc_config_parse(text, strlen(text), "t.conf", &cfg, &err), POC_OK);
	v = poc_config_strv(cfg->coordinator);
	ck_assert_str_eq(v[0], "vuls@jpcert.or.jp");
	ck_assert_str_eq(v[1], "other@jpcert.or.jp");
	ck_assert_str_eq(v[2], "third@jpcert.or.jp");
	ck_assert_ptr_null(v[3]);
	/* A default replaced, and an empty list. */
	ck_assert_ptr_null(poc_config_strv(cfg->coordinator_key)[0]);
	ck_assert_ptr_null(poc_config_strv(NULL)[0]);
	poc_config_free(cfg);
}
END_TEST

#define READERS 8
#define ROUNDS 200000
static poc_config *shared;

static gpointer
reader(gpointer unused)
{
	(void) unused;
	for (int i = 0; i < ROUNDS; i++) {
		const char *const *v = poc_config_strv(shared->coordinator);

		if (strcmp(v[0], "vuls@jpcert.or.jp") != 0 || strcmp(v[2], "third@jpcert.or.jp") != 0 ||
		    v[3] != NULL)
			return NULL;
	}
	return GINT_TO_POINTER(1);
}

/* Threads read one list at once: poc_config_strv never writes it (no NULL added and removed). */
START_TEST(test_strv_shared_by_threads)
{
	GThread *t[READERS];
	GError *err = NULL;

	ck_assert_int_eq(poc_config_parse(text, strlen(text), "t.conf", &shared, &err), POC_OK);
	for (int i = 0; i < READERS; i++)
		t[i] = g_thread_new("reader", reader, NULL);
	for (int i = 0; i < READERS; i++)
		ck_assert_msg(g_thread_join(t[i]) != NULL, "a reader saw the list change");
	ck_assert_uint_eq(shared->coordinator->len, 3);
	poc_config_free(shared);
}
END_TEST

/* doc/CALENDAR.md: an empty Closures value removes all closures; a bare key is that. */
START_TEST(test_bare_closures)
{
	const char *bare[] = { "Closures\n", "Closures =\n", "Closures ,\n" };

	for (guint i = 0; i < G_N_ELEMENTS(bare); i++) {
		poc_config *cfg = NULL;
		poc_calendar *cal = NULL;
		GError *err = NULL;

		ck_assert_msg(poc_config_parse(bare[i], strlen(bare[i]), "t.conf", &cfg, &err) ==
				      POC_OK,
			      "%s: %s", bare[i], err ? err->message : "?");
		ck_assert_int_eq(poc_runtime_calendar(cfg, &cal, &err), POC_OK);
		/* 2026-12-30, a Wednesday: a closure by default, a business day now */
		ck_assert(poc_calendar_is_business_day(cal, 2026, 12, 30));
		poc_calendar_free(cal);
		poc_config_free(cfg);
	}
	/* Other keys still want a value. */
	{
		poc_config *cfg = NULL;
		GError *err = NULL;

		ck_assert_int_ne(poc_config_parse("PageRepeat\n", 11, "t.conf", &cfg, &err), POC_OK);
		ck_assert_ptr_nonnull(strstr(err->message, "no value"));
		g_error_free(err);
	}
}
END_TEST

/* RCPT argument, {rcpt_addr} (NULL: not sent), WatchSubaddress, the address watched or NULL. */
static const struct {
	const char *arg, *rcpt_addr;
	gboolean subaddress;
	const char *watched;
} rcpt_cases[] = {
	/* postfix: {rcpt_addr} is the argument without <> */
	{ "<security@vendor.example>", "security@vendor.example", TRUE, "security@vendor.example" },
	{ "<Security@Vendor.EXAMPLE>", "Security@Vendor.EXAMPLE", TRUE, "security@vendor.example" },
	{ "<info@vendor.example>", "info@vendor.example", TRUE, NULL },
	/* sendmail, local mailbox: {rcpt_addr} is only the local part */
	{ "<security@vendor.example>", "security", TRUE, "security@vendor.example" },
	{ "<security+jpcert@vendor.example>", "security+jpcert", TRUE, "security+jpcert@vendor.example" },
	{ "<security+jpcert@vendor.example>", "security+jpcert", FALSE, NULL },
	/* never from a bare local part: another domain's security is not ours */
	{ "<security@other.example>", "security", TRUE, NULL },
	{ "<info@vendor.example>", "security", TRUE, NULL },
	/* the MTA rewrote the recipient to the POC address (virtusertable, canonical) */
	{ "<psirt@vendor.example>", "security@vendor.example", TRUE, "security@vendor.example" },
	/* no macro; ESMTP parameters and a source route ignored */
	{ "<security@vendor.example> NOTIFY=NEVER", NULL, TRUE, "security@vendor.example" },
	{ "<@relay.example:security@vendor.example>", NULL, TRUE, "security@vendor.example" },
	{ "security@vendor.example", "", TRUE, "security@vendor.example" },
	/* not addresses */
	{ "<>", "", TRUE, NULL },
	{ "<security@>", "security", TRUE, NULL },
	{ "<@vendor.example>", NULL, TRUE, NULL },
	{ "<security+@vendor.example>", NULL, TRUE, "security+@vendor.example" },
	{ "<security.x@vendor.example>", NULL, TRUE, NULL },
	{ NULL, NULL, TRUE, NULL },
};

START_TEST(test_watched_recipient)
{
	static const char watch[] = "Watch security@vendor.example\n";
	GError *err = NULL;
	poc_config *cfg = NULL;

	ck_assert_int_eq(poc_config_parse(watch, strlen(watch), "t.conf", &cfg, &err), POC_OK);
	ck_assert_msg(cfg->watch_subaddress, "WatchSubaddress is yes by default");
	for (gsize i = 0; i < G_N_ELEMENTS(rcpt_cases); i++) {
		char *got;

		cfg->watch_subaddress = rcpt_cases[i].subaddress;
		got = poc_config_watched_recipient(cfg, rcpt_cases[i].arg, rcpt_cases[i].rcpt_addr);
		ck_assert_msg(g_strcmp0(got, rcpt_cases[i].watched) == 0,
			      "RCPT %s {rcpt_addr}=%s WatchSubaddress %d: %s, not %s",
			      rcpt_cases[i].arg, rcpt_cases[i].rcpt_addr, rcpt_cases[i].subaddress,
			      got ? got : "(not watched)",
			      rcpt_cases[i].watched ? rcpt_cases[i].watched : "(not watched)");
		g_free(got);
	}
	poc_config_free(cfg);
}
END_TEST

/* Each key read only at start, a value other than its default, in the order the log names them. */
static const char *const restart_only[][2] = {
	{ "Socket", "inet:12345@127.0.0.1" }, { "SocketMode", "0600" },
	{ "SocketGroup", "mail" },	      { "User", "nobody" },
	{ "PidFile", "/tmp/other.pid" },      { "SyslogFacility", "local3" },
	{ "CoreDumps", "yes" },		      { "GnuPGHome", "/tmp/other-gnupg" },
	{ "Database", "/tmp/other-db" },      { "DatabaseMode", "0640" },
};

/* Keys a reload applies: a change of these is no reason to restart. */
static const char *const reloadable[] = {
	"AckMode hold",	   "PageRepeat 2h",	  "Coordinator a@b.example", "Workers 4",
	"MaxMessageSize 1M", "AckCharset utf-8", "HolidayFile /tmp/h.txt", "Closures 05-01",
};

static poc_config *
parse_or_fail(const char *conf)
{
	poc_config *cfg = NULL;
	GError *err = NULL;

	ck_assert_msg(poc_config_parse(conf, strlen(conf), "/etc/t.conf", &cfg, &err) == POC_OK,
		      "%s: %s", conf, err ? err->message : "?");
	return cfg;
}

/* pocmilter's reload warns (event=reload-needs-restart keys=...) for exactly these keys. */
START_TEST(test_restart_keys)
{
	static const char base[] = "Watch security@vendor.example\n";
	poc_config *old = parse_or_fail(base), *same = parse_or_fail(base);
	GString *expect = g_string_new(NULL);

	for (guint i = 0; i < G_N_ELEMENTS(restart_only); i++)
		g_string_append_printf(expect, "%s%s", i ? "," : "", restart_only[i][0]);
	ck_assert_str_eq(expect->str, "Socket,SocketMode,SocketGroup,User,PidFile,"
				      "SyslogFacility,CoreDumps,GnuPGHome,Database,DatabaseMode");
	ck_assert_ptr_null(poc_config_restart_keys(old, same));
	for (guint i = 0; i < G_N_ELEMENTS(restart_only); i++) {
		char *conf = g_strdup_printf("%s%s %s\n", base, restart_only[i][0], restart_only[i][1]);
		poc_config *fresh = parse_or_fail(conf);
		char *keys = poc_config_restart_keys(old, fresh);

		ck_assert_msg(keys != NULL, "a change of %s is not reported", restart_only[i][0]);
		ck_assert_str_eq(keys, expect->str);
		g_free(keys);
		/* and back: the change either way */
		keys = poc_config_restart_keys(fresh, old);
		ck_assert_ptr_nonnull(keys);
		g_free(keys);
		poc_config_free(fresh);
		g_free(conf);
	}
	for (guint i = 0; i < G_N_ELEMENTS(reloadable); i++) {
		char *conf = g_strdup_printf("%s%s\n", base, reloadable[i]);
		poc_config *fresh = parse_or_fail(conf);
		char *keys = poc_config_restart_keys(old, fresh);

		ck_assert_msg(keys == NULL, "%s: reported as restart-only (%s)", reloadable[i], keys);
		poc_config_free(fresh);
		g_free(conf);
	}
	g_string_free(expect, TRUE);
	poc_config_free(same);
	poc_config_free(old);
}
END_TEST

static char *
dump(const poc_config *cfg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	poc_config_dump(cfg, fp);
	fclose(fp);
	return buf;
}

/* parse -> dump -> parse -> dump gives the same conf, and the values read are those given. */
static char *
round_trip(const char *conf)
{
	poc_config *cfg = parse_or_fail(conf), *again;
	char *first = dump(cfg), *second;

	/*
	 * An unset key dumps as "Key " and a file cannot say that: a bare key
	 * is an error, but for the day lists, where it is an empty list.
	 */
	{
		char **lines = g_strsplit(first, "\n", -1);
		GString *set = g_string_new(NULL);

		for (char **l = lines; *l; l++)
			if (!g_str_has_suffix(*l, " ") || g_str_has_prefix(*l, "Closures ") ||
			    g_str_has_prefix(*l, "WorkingDays "))
				g_string_append_printf(set, "%s\n", *l);
		again = parse_or_fail(set->str);
		g_string_free(set, TRUE);
		g_strfreev(lines);
	}
	second = dump(again);
	ck_assert_str_eq(first, second);
	g_free(second);
	poc_config_free(again);
	poc_config_free(cfg);
	return first;
}

/* Every key of every type: the sample file with each key's default or example set. */
START_TEST(test_round_trip_sample)
{
	char *sample = NULL, *first;
	size_t len = 0;
	FILE *fp = open_memstream(&sample, &len);
	GString *conf = g_string_new(NULL);
	char **lines;
	guint keys = 0;

	poc_config_write_sample(fp);
	fclose(fp);
	lines = g_strsplit(sample, "\n", -1);
	for (char **l = lines; *l; l++)
		if ((*l)[0] == '#' && g_ascii_isupper((*l)[1])) {
			g_string_append_printf(conf, "%s\n", *l + 1);
			keys++;
		}
	ck_assert_uint_gt(keys, 40);
	first = round_trip(conf->str);
	/* every key dumped with a value */
	lines = (g_strfreev(lines), g_strsplit(first, "\n", -1));
	ck_assert_uint_eq(g_strv_length(lines), keys + 1);
	for (char **l = lines; **l; l++)
		ck_assert_msg(strchr(*l, ' ') && strchr(*l, ' ')[1], "no value: %s", *l);
	g_strfreev(lines);
	g_free(first);
	g_string_free(conf, TRUE);
	free(sample);
}
END_TEST

/* Values other than the defaults, in other spellings: read as meant, and dumped so. */
START_TEST(test_round_trip_values)
{
	static const char conf[] =
		"Watch Security@Vendor.Example, psirt@vendor.example\n"
		"CoordinatorKey 0123456789abcdef0123456789abcdef01234567\n"
		"AckKinds summary detail\n"
		"AddHeader on\nCoreDumps 0\nWorkers 7\nSocketMode 640\n"
		"MaxMessageSize 3k\nAckGuard 1h30m\nAckMode HOLD\nAckEncrypt never\n"
		"OnStoreFailure accept\nAckCharset UTF-8\nTemplateLanguage EN\n"
		"BusinessHours 10:00-18:00\nClosures\nSyslogFacility local5\n"
		"AckSmtp 127.0.0.1:2525\nAckFrom Security@Vendor.Example\n"
		"AckSendmail bin/send -t\nHolidayFile h.txt\n";
	char *out = round_trip(conf);
	static const char *const want[] = {
		"\nWatch security@vendor.example,psirt@vendor.example\n",
		"\nCoordinatorKey 0123456789ABCDEF0123456789ABCDEF01234567\n",
		"\nAckKinds summary,detail\n",
		"\nAddHeader yes\n", "\nCoreDumps no\n", "\nWorkers 7\n", "SocketMode 0640\n",
		"\nMaxMessageSize 3072\n", "\nAckGuard 5400s\n", "\nAckMode hold\n",
		"\nAckEncrypt never\n", "\nOnStoreFailure accept\n", "\nAckCharset utf-8\n",
		"\nTemplateLanguage en\n", "\nBusinessHours 10:00-18:00\n", "\nClosures \n",
		"\nSyslogFacility local5\n", "\nAckSmtp 127.0.0.1:2525\n",
		"\nAckFrom security@vendor.example\n", "\nAckSendmail /etc/bin/send -t\n",
		"\nHolidayFile /etc/h.txt\n",
	};

	for (guint i = 0; i < G_N_ELEMENTS(want); i++)
		ck_assert_msg(strstr(out, want[i]), "no %s in:\n%s", want[i], out);
	free(out);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("lists");

	tcase_add_test(tc, test_lists_terminated);
	tcase_add_test(tc, test_strv_shared_by_threads);
	tcase_add_test(tc, test_bare_closures);
	tcase_add_test(tc, test_watched_recipient);
	tcase_add_test(tc, test_restart_keys);
	tcase_add_test(tc, test_round_trip_sample);
	tcase_add_test(tc, test_round_trip_values);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return run_suite(s, CK_FORK_GETENV);
}
