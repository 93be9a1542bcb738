/*
 * NAME
 *	test_smtp - the AckSmtp client against postfix's smtp-sink
 * DESCRIPTION
 *	smtp-sink (from the postfix package) is a real SMTP server that can
 *	dump what it receives and refuse chosen commands with a 4xx or 5xx
 *	or hang up: each test starts one on a free loopback port. Skipped
 *	when smtp-sink is not installed.
 */
#include "config.h"

#include <check.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>

#include "poc.h"
#include "smtp.h"
#include "testutil.h"

static char *sink_path;

/* A free port on 127.0.0.1 (bound, read, released). */
static int
free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

typedef struct sink {
	GPid pid;
	char *dir;		/* dumps */
	char *addr;		/* 127.0.0.1:PORT */
} sink;

/* smtp-sink with extra options (e.g. "-f", "DATA"), dumping into a temporary directory. */
static sink *
sink_start(const char *opt, const char *arg)
{
	sink *k = g_new0(sink, 1);
	int port = free_port();
	char *tmpl, *argv[12];
	int n = 0;
	GError *err = NULL;

	k->dir = tmpdir();
	chmod(k->dir, 0777);	/* smtp-sink drops to -u nobody when root */
	k->addr = g_strdup_printf("127.0.0.1:%d", port);
	tmpl = g_strdup_printf("%s/m.", k->dir);
	argv[n++] = sink_path;
	if (geteuid() == 0) {
		argv[n++] = (char *)"-u";
		argv[n++] = (char *)"nobody";
	}
	argv[n++] = (char *)"-d";
	argv[n++] = tmpl;
	if (opt) {
		argv[n++] = (char *)opt;
		argv[n++] = (char *)arg;
	}
	argv[n++] = k->addr;
	argv[n++] = (char *)"10";
	argv[n] = NULL;
	ck_assert_msg(g_spawn_async(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &k->pid,
				    &err),
		      "smtp-sink: %s", err ? err->message : "?");
	g_free(tmpl);
	/* Wait until it listens. */
	for (int i = 0; i < 100; i++) {
		GSocketClient *c = g_socket_client_new();
		GSocketConnection *conn = g_socket_client_connect_to_host(c, k->addr, 25, NULL, NULL);

		g_object_unref(c);
		if (conn) {
			g_object_unref(conn);
			return k;
		}
		g_usleep(50000);
	}
	ck_abort_msg("smtp-sink did not listen on %s", k->addr);
	return NULL;
}

static void
sink_stop(sink *k)
{
	char *argv[] = { (char *)"rm", (char *)"-rf", k->dir, NULL };

	kill(k->pid, SIGTERM);
	waitpid(k->pid, NULL, 0);
	g_spawn_close_pid(k->pid);
	g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
	g_free(k->dir);
	g_free(k->addr);
	g_free(k);
}

/* The dumped messages, concatenated (the order of files is not the order sent). */
static GString *
sink_dumps(sink *k, int *count)
{
	GString *all = g_string_new(NULL);
	GDir *d;
	const char *name;

	*count = 0;
	/* smtp-sink writes the dump after the final reply: give it a moment. */
	g_usleep(200000);
	d = g_dir_open(k->dir, 0, NULL);
	ck_assert_ptr_nonnull(d);
	while ((name = g_dir_read_name(d))) {
		char *path = g_build_filename(k->dir, name, NULL), *text = NULL;

		if (g_file_get_contents(path, &text, NULL, NULL)) {
			g_string_append(all, text);
			(*count)++;
		}
		g_free(text);
		g_free(path);
	}
	g_dir_close(d);
	return all;
}

static GBytes *
bytes(const char *s)
{
	return g_bytes_new(s, strlen(s));
}

START_TEST(test_two_messages_one_connection)
{
	sink *k = sink_start(NULL, NULL);
	poc_smtp *s = NULL;
	char *diag = NULL;
	/* LF line ends, lines that start with a dot, a lone dot: all must arrive as sent. */
	GBytes *m1 = bytes("From: a@x\nTo: b@y\nSubject: one\n\n.hidden line\n.\nlast\n");
	GBytes *m2 = bytes("From: a@x\r\nTo: b@y\r\nSubject: two\r\n\r\nbody two\r\n");
	GString *got;
	int n;

	ck_assert_int_eq(poc_smtp_open(k->addr, 10, &s, &diag), POC_OK);
	ck_assert_int_eq(poc_smtp_send(s, "security@vendor.example", "vuls@jpcert.example", m1, &diag),
			 POC_OK);
	ck_assert_int_eq(poc_smtp_send(s, "security@vendor.example", "vuls@jpcert.example", m2, &diag),
			 POC_OK);
	poc_smtp_close(s);
	got = sink_dumps(k, &n);
	ck_assert_int_eq(n, 2);
	ck_assert_ptr_nonnull(strstr(got->str, "Subject: one\n\n.hidden line\n.\nlast\n"));
	ck_assert_ptr_nonnull(strstr(got->str, "Subject: two\n\nbody two\n"));
	ck_assert_ptr_nonnull(strstr(got->str, "X-Mail-Args: <security@vendor.example>"));
	ck_assert_ptr_nonnull(strstr(got->str, "X-Rcpt-Args: <vuls@jpcert.example>"));
	g_string_free(got, TRUE);
	g_bytes_unref(m1);
	g_bytes_unref(m2);
	sink_stop(k);
}
END_TEST

/* What a refusal or a hang-up gives: 5xx is final, 4xx and lost connections are retried. */
static void
expect_failure(const char *opt, const char *arg, int want, const char *words)
{
	sink *k = sink_start(opt, arg);
	poc_smtp *s = NULL;
	char *diag = NULL;
	GBytes *m = bytes("Subject: x\n\nx\n");
	int st = poc_smtp_open(k->addr, 10, &s, &diag);

	if (st == POC_OK) {
		st = poc_smtp_send(s, "a@x.example", "b@y.example", m, &diag);
		poc_smtp_close(s);
	}
	ck_assert_int_eq(st, want);
	ck_assert_ptr_nonnull(diag);
	ck_assert_msg(strstr(diag, words) != NULL, "diagnostic \"%s\" lacks \"%s\"", diag, words);
	g_free(diag);
	g_bytes_unref(m);
	sink_stop(k);
}

START_TEST(test_refusals)
{
	expect_failure("-f", "RCPT", POC_ERR_SEND, "RCPT TO:<b@y.example>: 5");
	expect_failure("-r", "MAIL", POC_ERR_TEMP, "MAIL FROM:<a@x.example>: 4");
	expect_failure("-f", ".", POC_ERR_SEND, "end of data: 5");
	expect_failure("-r", ".", POC_ERR_TEMP, "end of data: 4");
	expect_failure("-q", "DATA", POC_ERR_TEMP, "DATA");
	expect_failure("-r", "CONNECT", POC_ERR_TEMP, "greeting");
}
END_TEST

START_TEST(test_no_server)
{
	poc_smtp *s = NULL;
	char *diag = NULL;
	char *addr = g_strdup_printf("127.0.0.1:%d", free_port());

	ck_assert_int_eq(poc_smtp_open(addr, 5, &s, &diag), POC_ERR_TEMP);
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(strstr(diag, "connecting to"));
	g_free(diag);
	g_free(addr);
}
END_TEST

START_TEST(test_addresses)
{
	char *why;

	ck_assert_ptr_null(poc_smtp_check_address("127.0.0.1:25"));
	ck_assert_ptr_null(poc_smtp_check_address("localhost"));
	ck_assert_ptr_null(poc_smtp_check_address("[::1]:2525"));
	why = poc_smtp_check_address("127.0.0.1:x");
	ck_assert_ptr_nonnull(why);
	g_free(why);
}
END_TEST

/* An address with angle brackets or a line break is refused before anything is sent. */
START_TEST(test_address_injection)
{
	sink *k = sink_start(NULL, NULL);
	poc_smtp *s = NULL;
	char *diag = NULL;
	GBytes *m = bytes("Subject: x\n\nx\n");
	GString *got;
	int n;

	ck_assert_int_eq(poc_smtp_open(k->addr, 10, &s, &diag), POC_OK);
	ck_assert_int_eq(poc_smtp_send(s, "a@x.example", "b@y.example>\r\nRCPT TO:<c@z.example", m, &diag),
			 POC_ERR_SEND);
	g_free(diag);
	poc_smtp_close(s);
	got = sink_dumps(k, &n);
	ck_assert_int_eq(n, 0);
	g_string_free(got, TRUE);
	g_bytes_unref(m);
	sink_stop(k);
}
END_TEST

/*
 * A peer that greets with one endless line: smtp-sink cannot, so a thread
 * here listens on loopback, writes 64 KiB without a line end and waits.
 * The client gives up after MAX_REPLY_LINE bytes instead of holding it all.
 */
static int long_fd;

static gpointer
long_greeter(gpointer unused)
{
	int c = accept(long_fd, NULL, NULL);
	char *junk = g_malloc(65536);
	char b;

	(void) unused;
	memset(junk, 'x', 65536);
	memcpy(junk, "220 ", 4);
	if (c >= 0) {
		ssize_t w = write(c, junk, 65536);

		(void) w;
		/* until the client hangs up */
		while (read(c, &b, 1) > 0)
			;
		close(c);
	}
	g_free(junk);
	return NULL;
}

START_TEST(test_reply_line_too_long)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	poc_smtp *s = NULL;
	char *diag = NULL, *addr;
	GThread *t;

	long_fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(long_fd, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(listen(long_fd, 1), 0);
	ck_assert_int_eq(getsockname(long_fd, (struct sockaddr *)&a, &len), 0);
	addr = g_strdup_printf("127.0.0.1:%d", ntohs(a.sin_port));
	t = g_thread_new("greeter", long_greeter, NULL);
	ck_assert_int_eq(poc_smtp_open(addr, 10, &s, &diag), POC_ERR_TEMP);
	ck_assert_ptr_null(s);
	ck_assert_msg(strstr(diag, "longer than 2048 bytes") != NULL, "diagnostic: %s", diag);
	g_thread_join(t);
	close(long_fd);
	g_free(diag);
	g_free(addr);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("smtp");
	TCase *tc = tcase_create("smtp");
	int failed;

	sink_path = g_find_program_in_path("smtp-sink");
	if (!sink_path && g_file_test("/usr/sbin/smtp-sink", G_FILE_TEST_IS_EXECUTABLE))
		sink_path = g_strdup("/usr/sbin/smtp-sink");
	if (!sink_path) {
		fprintf(stderr, "SKIP: no smtp-sink (postfix)\n");
		return 77;
	}
	signal(SIGPIPE, SIG_IGN);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_two_messages_one_connection);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_no_server);
	tcase_add_test(tc, test_addresses);
	tcase_add_test(tc, test_address_injection);
	tcase_add_test(tc, test_reply_line_too_long);
	suite_add_tcase(s, tc);
	failed = run_suite(s, CK_FORK_GETENV);
	g_free(sink_path);
	return failed;
}
