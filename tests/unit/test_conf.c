/*
 * test_conf - the config's lists: NULL-terminated as parsed, and read by
 * many threads at once without a write (the filers share one config); a
 * bare Closures is an empty list; which envelope recipients are watched
 * (RCPT argument and {rcpt_addr}).
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "runtime.h"

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

/* The old poc_config_strv added and removed a NULL: this crashed or read freed strings. */
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

int
main(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("lists");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_lists_terminated);
	tcase_add_test(tc, test_strv_shared_by_threads);
	tcase_add_test(tc, test_bare_closures);
	tcase_add_test(tc, test_watched_recipient);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
