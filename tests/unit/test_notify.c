/*
 * NAME
 *	test_notify - unit tests of the readiness and watchdog messages (notify.c)
 * DESCRIPTION
 *	systemd is played by a datagram socket named in NOTIFY_SOCKET, with
 *	WATCHDOG_USEC 200 ms. The watchdog must answer only for threads that
 *	make progress: a thread noting its progress gets pings, a thread
 *	that stopped gets none, and a thread that never registered counts as
 *	stopped. A second thread ends poc_notify_sigwait() with SIGUSR1.
 */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "notify.h"
#include "testutil.h"

static int sock = -1;
static char *dir;

static void
setup(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char *path;

	dir = tmpdir();
	path = g_build_filename(dir, "notify", NULL);
	g_strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	ck_assert_int_ge(sock, 0);
	ck_assert_int_eq(bind(sock, (struct sockaddr *)&sun, sizeof(sun)), 0);
	g_setenv("NOTIFY_SOCKET", path, TRUE);
	g_setenv("WATCHDOG_USEC", "200000", TRUE);
	g_free(path);
}

static void
teardown(void)
{
	char *path = g_build_filename(dir, "notify", NULL);

	close(sock);
	g_unlink(path);
	g_rmdir(dir);
	g_free(path);
	g_free(dir);
}

/* Every message received so far, appended to all (made when NULL). */
static GString *
drain_into(GString *all)
{
	char buf[512];
	ssize_t n;

	if (!all)
		all = g_string_new(NULL);
	while ((n = recv(sock, buf, sizeof(buf) - 1, 0)) > 0) {
		buf[n] = '\0';
		g_string_append_printf(all, "%s|", buf);
	}
	return all;
}

static GString *
drain(void)
{
	return drain_into(NULL);
}

static int
count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

typedef struct worker_args {
	int slot;
	gboolean beat;		/* note progress every 20 ms */
	int ms;			/* then SIGUSR1 to the waiting thread after this */
	pthread_t waiter;
	GString *got;		/* what "systemd" received meanwhile */
} worker_args;

static gpointer
worker(gpointer p)
{
	worker_args *a = p;

	for (int t = 0; t < a->ms; t += 20) {
		if (a->beat)
			poc_notify_alive(a->slot);
		/* Read as systemd does: a unix datagram queue holds only 10. */
		drain_into(a->got);
		g_usleep(20 * 1000);
	}
	pthread_kill(a->waiter, SIGUSR1);
	return NULL;
}

/* poc_notify_sigwait() for ms milliseconds while a thread beats (or not). */
static GString *
wait_with(int slot, gboolean beat, int ms)
{
	worker_args a = { .slot = slot, .beat = beat, .ms = ms, .waiter = pthread_self(),
			  .got = g_string_new(NULL) };
	sigset_t set;
	GThread *t;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	t = g_thread_new("worker", worker, &a);
	sig = poc_notify_sigwait(&set);
	g_thread_join(t);
	ck_assert_int_eq(sig, SIGUSR1);
	return drain_into(a.got);
}

START_TEST(test_ready_and_stopping)
{
	GString *got;

	poc_notify_ready("serving on unix:/x");
	poc_notify_stopping();
	got = drain();
	ck_assert_msg(strstr(got->str, "READY=1\nSTATUS=serving on unix:/x|"), "%s", got->str);
	ck_assert_msg(strstr(got->str, "STOPPING=1"), "%s", got->str);
	g_string_free(got, TRUE);
}
END_TEST

START_TEST(test_pings_while_progress)
{
	GString *got;
	int slot;

	poc_notify_expect(1);
	slot = poc_notify_register();
	got = wait_with(slot, TRUE, 600);
	/* Every 50 ms for 600 ms: about 12; at least 6 under load. */
	ck_assert_msg(count(got->str, "WATCHDOG=1") >= 6, "%s", got->str);
	g_string_free(got, TRUE);
}
END_TEST

START_TEST(test_no_ping_when_stuck)
{
	GString *got;
	int slot, fresh;

	poc_notify_expect(2);
	slot = poc_notify_register();
	fresh = poc_notify_register();
	(void)fresh;
	/* Both beat once at registration; then only "slot" goes on. After
	 * 200 ms the other is stale: pings stop. */
	got = wait_with(slot, TRUE, 700);
	{
		int n = count(got->str, "WATCHDOG=1");

		ck_assert_msg(n >= 1 && n <= 6, "%d pings: %s", n, got->str);
	}
	g_string_free(got, TRUE);
	got = wait_with(slot, TRUE, 400);
	ck_assert_msg(count(got->str, "WATCHDOG=1") == 0, "pings with a stuck thread: %s", got->str);
	g_string_free(got, TRUE);
	/* It makes progress again: pings again. */
	poc_notify_alive(fresh);
	got = wait_with(fresh, TRUE, 150);
	ck_assert_msg(count(got->str, "WATCHDOG=1") >= 1, "no ping after progress again: %s", got->str);
	g_string_free(got, TRUE);
}
END_TEST

START_TEST(test_unregistered_thread_is_stuck)
{
	GString *got;
	int slot;

	poc_notify_expect(2);	/* the second never starts */
	slot = poc_notify_register();
	got = wait_with(slot, TRUE, 300);
	ck_assert_msg(count(got->str, "WATCHDOG=1") == 0, "%s", got->str);
	g_string_free(got, TRUE);
}
END_TEST

START_TEST(test_decision)
{
	gint64 beats[3] = { 1000, 900, 500 };
	int stale = -1;

	ck_assert(poc_notify_all_alive(beats, 3, 3, 1000, 500, &stale));
	ck_assert_int_eq(stale, 0);
	ck_assert(!poc_notify_all_alive(beats, 3, 3, 1001, 500, &stale));
	ck_assert_int_eq(stale, 1);
	ck_assert(!poc_notify_all_alive(beats, 2, 3, 1000, 500, &stale));
	ck_assert_int_eq(stale, 1);
	ck_assert(!poc_notify_all_alive(beats, 3, 3, 2000, 500, &stale));
	ck_assert_int_eq(stale, 3);
}
END_TEST

START_TEST(test_no_systemd)
{
	sigset_t set;

	/* Without NOTIFY_SOCKET nothing is sent and the wait is a plain one. */
	g_unsetenv("NOTIFY_SOCKET");
	g_unsetenv("WATCHDOG_USEC");
	poc_notify_ready("x");
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	raise(SIGUSR2);
	ck_assert_int_eq(poc_notify_sigwait(&set), SIGUSR2);
	{
		GString *got = drain();

		ck_assert_int_eq(got->len, 0);
		g_string_free(got, TRUE);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("notify");
	TCase *tc = tcase_create("notify");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_ready_and_stopping);
	tcase_add_test(tc, test_pings_while_progress);
	tcase_add_test(tc, test_no_ping_when_stuck);
	tcase_add_test(tc, test_unregistered_thread_is_stuck);
	tcase_add_test(tc, test_decision);
	tcase_add_test(tc, test_no_systemd);
	suite_add_tcase(s, tc);
	return run_suite(s, CK_FORK_GETENV);
}
