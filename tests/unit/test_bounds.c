/*
 * NAME
 *	test_bounds - the parsers of outside input stay linear (issue 22, 5)
 * DESCRIPTION
 *	Each case reads an adversarial mail through poc_notice_read() and an
 *	ordinary mail of the same size, and asserts that the adversarial one
 *	costs at most a small multiple of the ordinary one (time, or peak
 *	memory of a child process): a ratio, not an absolute time, so that
 *	the test means the same on a slow machine and under ASan. Each
 *	measurement is the best of a few runs. The cases: HTML of '&'
 *	without ';', a Subject of broken encoded words (outer and in a
 *	forwarded message), 100,000 identifiers, a million parts without
 *	Content-Type, a thousand inline OpenPGP blocks (empty and not).
 *	Timings go to stderr (the test's log) for the record.
 *
 *	POC_BOUNDS_SCALE=N (1..) divides the sizes, to measure code that is
 *	not linear without waiting for it. Under AddressSanitizer the sizes
 *	are 16 times smaller: its strstr() interceptor measures the whole
 *	haystack at every call, which makes g_strsplit() of a large text
 *	quadratic there (and only there).
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mime.h"
#include "notice.h"
#include "testutil.h"
#include "text.h"

#define MAX_RATIO 10.0

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifdef UNDER_ASAN
#define DEFAULT_SCALE 16
#else
#define DEFAULT_SCALE 1
#endif

static gsize scale = DEFAULT_SCALE;
static poc_crypto *crypto;
static char *gnupg_home;

static gsize
scaled(gsize n)
{
	return n / scale;
}

static poc_message *
read_mail(const GString *mail, poc_crypto *with)
{
	poc_reader reader = { .crypto = with };
	poc_message *msg = poc_message_new();
	GError *error = NULL;

	ck_assert_int_eq(poc_notice_read(&reader, mail->str, mail->len, msg, &error), POC_OK);
	return msg;
}

/* Best of three: seconds to read the mail. */
static double
time_read(const GString *mail, poc_crypto *with)
{
	double best = G_MAXDOUBLE;

	for (int run = 0; run < 3; run++) {
		gint64 t0 = g_get_monotonic_time();
		poc_message *msg = read_mail(mail, with);

		best = MIN(best, (g_get_monotonic_time() - t0) / 1e6);
		poc_message_free(msg);
	}
	return best;
}

static gboolean
has_problem(const poc_message *msg, const char *start)
{
	for (guint i = 0; i < msg->problems->len; i++)
		if (g_str_has_prefix(g_ptr_array_index(msg->problems, i), start))
			return TRUE;
	return FALSE;
}

/* The adversarial mail costs at most max_ratio times the ordinary one. */
static void
assert_time_ratio(const char *what, const GString *bad, const GString *good,
		  poc_crypto *with, double max_ratio)
{
	double t_good = time_read(good, with), t_bad = time_read(bad, with);
	/* Below a millisecond a ratio is noise. */
	double ratio = t_bad / MAX(t_good, 0.001);

	fprintf(stderr, "%s: %zu bytes: adversarial %.3f s, ordinary %.3f s, ratio %.1f\n", what,
		bad->len, t_bad, t_good, ratio);
	ck_assert_msg(ratio < max_ratio, "%s: %.3f s against %.3f s for an ordinary mail", what,
		      t_bad, t_good);
}

static GString *
mail_start(const char *subject, const char *content_type)
{
	GString *m = g_string_new(NULL);

	g_string_append_printf(m, "From: JPCERT/CC <vuls@jpcert.or.jp>\r\n"
			       "To: psirt@example.com\r\n"
			       "Subject: %s\r\n"
			       "Date: Tue, 1 Dec 2026 10:00:00 +0900\r\n"
			       "Message-ID: <bounds@example.com>\r\n"
			       "MIME-Version: 1.0\r\n"
			       "Content-Type: %s\r\n\r\n",
			       subject, content_type);
	return m;
}

/* Ordinary text (words and lines) up to n bytes. */
static void
append_prose(GString *m, gsize n)
{
	static const char line[] = "This is an ordinary line of a notice about a product.\r\n";

	while (m->len + sizeof line <= n)
		g_string_append(m, line);
	while (m->len < n)
		g_string_append_c(m, '.');
}

static void
append_repeated(GString *m, const char *unit, gsize n)
{
	size_t k = strlen(unit);

	while (m->len + k <= n)
		g_string_append(m, unit);
}

START_TEST(test_html_ampersands)
{
	gsize n = scaled(1024 * 1024);
	GString *bad = mail_start("JPCERT#12345678", "text/html; charset=us-ascii");
	GString *good = mail_start("JPCERT#12345678", "text/html; charset=us-ascii");

	append_repeated(bad, "&a", n);
	append_repeated(good, "<p>An ordinary &amp; paragraph of a notice.</p>\r\n", n);
	append_prose(good, n);
	assert_time_ratio("html &", bad, good, NULL, MAX_RATIO);
	g_string_free(bad, TRUE);
	g_string_free(good, TRUE);
}
END_TEST

START_TEST(test_html_entities_still_read)
{
	/* The look-ahead bound keeps every entity we know. */
	char *t = poc_mime_html_to_text("&hellip;&#x1F600;&#12354;&amp &amp;&#1234567890123;x");

	ck_assert_str_eq(t, "\xe2\x80\xa6\xf0\x9f\x98\x80\xe3\x81\x82&amp &&#1234567890123;x");
	g_free(t);
}
END_TEST

/* A Subject of n bytes made of unit, folded like a mailer would. */
static char *
long_subject(const char *unit, gsize n)
{
	GString *s = g_string_new("JPCERT#12345678 ");
	gsize line = 0;
	size_t k = strlen(unit);

	while (s->len + k + 3 <= n) {
		if (line + k > 900) {
			g_string_append(s, "\r\n ");
			line = 0;
		}
		g_string_append(s, unit);
		line += k;
	}
	return g_string_free(s, FALSE);
}

static void
subject_case(const char *what, gboolean forwarded)
{
	gsize n = scaled(256 * 1024);
	char *bad_subject = long_subject("=?a?q?x ", n), *good_subject = long_subject("subject ", n);
	GString *bad, *good;

	if (!forwarded) {
		bad = mail_start(bad_subject, "text/plain");
		good = mail_start(good_subject, "text/plain");
		append_prose(bad, bad->len + 1000);
		append_prose(good, good->len + 1000);
	} else {
		bad = mail_start("JPCERT#12345678", "message/rfc822");
		good = mail_start("JPCERT#12345678", "message/rfc822");
		g_string_append_printf(bad, "From: a@example.com\r\nSubject: %s\r\n\r\nbody\r\n",
				       bad_subject);
		g_string_append_printf(good, "From: a@example.com\r\nSubject: %s\r\n\r\nbody\r\n",
				       good_subject);
	}
	assert_time_ratio(what, bad, good, NULL, MAX_RATIO);
	g_string_free(bad, TRUE);
	g_string_free(good, TRUE);
	g_free(bad_subject);
	g_free(good_subject);
}

START_TEST(test_subject_broken_words)
{
	subject_case("subject =?a?q?x", FALSE);
}
END_TEST

START_TEST(test_forwarded_subject_broken_words)
{
	subject_case("forwarded subject =?a?q?x", TRUE);
}
END_TEST

START_TEST(test_header_word_bounds)
{
	GString *raw = g_string_new(NULL), *want = g_string_new(NULL);
	char *got;

	/* Words over the per-header limit stay as they are, undecoded. */
	for (int i = 0; i < POC_MAX_ENCODED_WORDS + 2; i++)
		g_string_append(raw, "=?utf-8?q?a?= ");
	for (int i = 0; i < POC_MAX_ENCODED_WORDS; i++)
		g_string_append_c(want, 'a');
	g_string_append(want, " =?utf-8?q?a?= =?utf-8?q?a?=");
	got = poc_mime_decode_header(raw->str);
	ck_assert_str_eq(got, want->str);
	g_free(got);
	g_string_free(want, TRUE);
	/* A word longer than the look-ahead is text; a long valid one is read. */
	g_string_assign(raw, "=?utf-8?q?");
	for (int i = 0; i < POC_MAX_ENCODED_WORD; i++)
		g_string_append_c(raw, 'b');
	g_string_append(raw, "?=");
	got = poc_mime_decode_header(raw->str);
	ck_assert_str_eq(got, raw->str);
	g_free(got);
	got = poc_mime_decode_header("=?utf-8?q?JPCERT=2312345678_related_to_JVNVU=2399999999_and_"
				     "CVE-2026-12345_and_a_long_tail_of_words_over_75_characters?=");
	ck_assert_str_eq(got, "JPCERT#12345678 related to JVNVU#99999999 and CVE-2026-12345 and a "
			 "long tail of words over 75 characters");
	g_free(got);
	g_string_free(raw, TRUE);
}
END_TEST

START_TEST(test_many_ids)
{
	gsize count = scaled(100000);
	GString *bad = mail_start("JPCERT#12345678", "text/plain; charset=us-ascii");
	GString *good;
	poc_message *msg;

	for (gsize i = 0; i < count; i++)
		g_string_append_printf(bad, "CVE-2026-%06zu JPCERT#%08zu JVNVU#%08zu text\r\n",
				       100000 + i, 20000000 + i, 30000000 + i);
	good = mail_start("JPCERT#12345678", "text/plain; charset=us-ascii");
	append_prose(good, bad->len);
	assert_time_ratio("ids", bad, good, NULL, MAX_RATIO);

	msg = read_mail(bad, NULL);
	ck_assert_str_eq(msg->tracking, "JPCERT#12345678");
	ck_assert_uint_eq(msg->vuln_ids->len, MIN(POC_MAX_VULN_IDS, 2 * count));
	ck_assert_uint_eq(msg->related_tracking->len, MIN(POC_MAX_TRACKING_IDS - 1, count));
	ck_assert(has_problem(msg, "over the id limit") == (count > POC_MAX_VULN_IDS / 2));
	poc_message_free(msg);
	g_string_free(bad, TRUE);
	g_string_free(good, TRUE);
}
END_TEST

START_TEST(test_ids_under_limit)
{
	GPtrArray *tn = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *vn = g_ptr_array_new_with_free_func(g_free);

	/* Duplicates count once, across calls too. */
	g_ptr_array_add(vn, g_strdup("CVE-2026-0001"));
	ck_assert(!poc_text_scan_ids("CVE-2026-0001 cve-2026-0001 JVN#12345678 JPCERT#1 jpcert#1",
				     tn, vn));
	ck_assert_uint_eq(vn->len, 2);
	ck_assert_uint_eq(tn->len, 1);
	g_ptr_array_unref(tn);
	g_ptr_array_unref(vn);
}
END_TEST

/* Peak resident memory (KiB) of a child that reads the mail. */
static long
peak_kib(const GString *mail)
{
	struct rusage ru;
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		poc_message *msg = read_mail(mail, NULL);

		poc_message_free(msg);
		_exit(0);
	}
	ck_assert_int_eq(wait4(pid, &status, 0, &ru), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return ru.ru_maxrss;
}

START_TEST(test_parts_without_content_type)
{
	gsize n = scaled(10 * 1000 * 1000);
	GString *bad = mail_start("JPCERT#12345678", "multipart/mixed; boundary=b");
	GString *good = mail_start("JPCERT#12345678", "text/plain; charset=us-ascii");
	long kib_bad, kib_good;
	poc_message *msg;

	append_repeated(bad, "--b\n\n", n);
	append_prose(good, bad->len);
	kib_good = peak_kib(good);
	kib_bad = peak_kib(bad);
	fprintf(stderr, "parts: %zu bytes: adversarial %ld KiB, ordinary %ld KiB peak\n", bad->len,
		kib_bad, kib_good);
	ck_assert_msg(kib_bad < 2 * kib_good, "parts: %ld KiB against %ld KiB", kib_bad, kib_good);
	assert_time_ratio("parts", bad, good, NULL, MAX_RATIO);
	msg = read_mail(bad, NULL);
	ck_assert(has_problem(msg, "over the part limit"));
	poc_message_free(msg);
	g_string_free(bad, TRUE);
	g_string_free(good, TRUE);
}
END_TEST

START_TEST(test_parts_counted_delimiters)
{
	/* A legitimate multipart with a few hundred parts is read whole. */
	GString *m = mail_start("JPCERT#12345678", "multipart/mixed; boundary=b");
	poc_message *msg;

	for (int i = 0; i < 400; i++)
		g_string_append_printf(m, "--b\r\n\r\npart %d\r\n-- \r\nsig\r\n", i);
	g_string_append(m, "--b\r\n\r\nCVE-2026-99999\r\n--b--\r\n");
	msg = read_mail(m, NULL);
	ck_assert(!has_problem(msg, "over the part limit"));
	ck_assert_uint_eq(msg->vuln_ids->len, 1);
	poc_message_free(msg);
	g_string_free(m, TRUE);
}
END_TEST

static const char armour_data[] = "-----BEGIN PGP MESSAGE-----\r\n\r\n"
	"hQEMA8h9yqB3mkbZAQf/bm90IGEgbWVzc2FnZSBhdCBhbGw=\r\n=abcd\r\n"
	"-----END PGP MESSAGE-----\r\n";
static const char armour_empty[] = "-----BEGIN PGP MESSAGE-----\r\n\r\n-----END PGP MESSAGE-----\r\n";

static void
armour_case(const char *what, const char *unit, double max_ratio)
{
	gsize n = scaled(60 * 1024);
	GString *bad = mail_start("JPCERT#12345678", "text/plain; charset=us-ascii");
	GString *good = mail_start("JPCERT#12345678", "text/plain; charset=us-ascii");
	poc_message *msg;

	ck_assert_ptr_nonnull(crypto);
	append_repeated(bad, unit, n);
	/* The ordinary mail: one armoured block in text. */
	g_string_append(good, armour_data);
	append_prose(good, bad->len);
	assert_time_ratio(what, bad, good, crypto, max_ratio);
	msg = read_mail(bad, crypto);
	ck_assert(msg->decryption == POC_DECRYPTION_FAILED);
	ck_assert(has_problem(msg, unit == armour_empty ? "empty inline OpenPGP block"
				   : "over the OpenPGP block limit"));
	poc_message_free(msg);
	g_string_free(bad, TRUE);
	g_string_free(good, TRUE);
}

START_TEST(test_armour_empty_blocks)
{
	armour_case("armour empty", armour_empty, MAX_RATIO);
}
END_TEST

START_TEST(test_armour_blocks)
{
	/* At most POC_MAX_OPENPGP_BLOCKS calls of gpg against one. */
	armour_case("armour", armour_data, 2.0 * POC_MAX_OPENPGP_BLOCKS);
}
END_TEST

static void
crypto_setup(void)
{
	GError *error = NULL;

	gnupg_home = g_strdup("/tmp/pbXXXXXX");
	if (g_mkdtemp(gnupg_home) == NULL || poc_crypto_new(gnupg_home, &crypto, &error) != POC_OK) {
		fprintf(stderr, "crypto: %s\n", error ? error->message : "mkdtemp failed");
		exit(99);
	}
}

static void
crypto_teardown(void)
{
	char *argv[] = { "sh", "-c", "gpgconf --homedir \"$0\" --kill all; rm -rf \"$0\"",
			 gnupg_home, NULL };

	poc_crypto_free(crypto);
	g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
	g_free(gnupg_home);
}

static Suite *
bounds_suite(void)
{
	Suite *s = suite_create("bounds");
	TCase *tc = tcase_create("parsers");
	TCase *gpg = tcase_create("armour");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_html_ampersands);
	tcase_add_test(tc, test_html_entities_still_read);
	tcase_add_test(tc, test_subject_broken_words);
	tcase_add_test(tc, test_forwarded_subject_broken_words);
	tcase_add_test(tc, test_header_word_bounds);
	tcase_add_test(tc, test_many_ids);
	tcase_add_test(tc, test_ids_under_limit);
	tcase_add_test(tc, test_parts_without_content_type);
	tcase_add_test(tc, test_parts_counted_delimiters);
	suite_add_tcase(s, tc);
	tcase_set_timeout(gpg, 600);
	tcase_add_unchecked_fixture(gpg, crypto_setup, crypto_teardown);
	tcase_add_test(gpg, test_armour_empty_blocks);
	tcase_add_test(gpg, test_armour_blocks);
	suite_add_tcase(s, gpg);
	return s;
}

int
main(void)
{
	const char *env = g_getenv("POC_BOUNDS_SCALE");

	if (env && atoi(env) > 0)
		scale = (gsize) atoi(env);
	poc_notice_init();
	return run_suite(bounds_suite(), CK_FORK_GETENV);
}
