/*
 * NAME
 *	test_exec - the timed command runner (exec.c) and the hand-over to
 *	AckSendmail built on it (handover.c)
 * DESCRIPTION
 *	The runner's verdicts (exit 0, a failed exit with stderr's first
 *	line, a command that cannot start or be split, a hung one killed on
 *	timeout, one that exits leaving a helper on stderr) and the sendmail
 *	hand-over's (EX_TEMPFAIL is temporary, "-f AckFrom" added), with a
 *	fake sendmail written here whose exit status a file sets.
 */
#include "config.h"

#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exec.h"
#include "handover.h"
#include "testutil.h"

START_TEST(test_exec)
{
	GBytes *in = g_bytes_new_static("{}\n", 3);
	char *diag = NULL;

	ck_assert_int_eq(poc_exec_run("/bin/true", in, 5, &diag), POC_OK);
	ck_assert_ptr_null(diag);
	ck_assert_int_eq(poc_exec_run("/bin/sh -c 'echo nope >&2; exit 3'", in, 5, &diag),
			 POC_ERR_SEND);
	ck_assert_str_eq(diag, "/bin/sh exited with 3: nope");
	g_free(diag);
	ck_assert_int_eq(poc_exec_run("/nonexistent/pager", in, 5, &diag), POC_ERR_SEND);
	g_free(diag);
	ck_assert_int_eq(poc_exec_run("'unbalanced", in, 5, &diag), POC_ERR_CONFIG);
	g_free(diag);
	/* Does not read stdin and exits: no SIGPIPE death (ignored, as the programs do). */
	ck_assert_int_eq(poc_exec_run("/bin/true", in, 5, &diag), POC_OK);
	/* A grandchild keeping stderr open does not keep us waiting past the timeout. */
	ck_assert_int_eq(poc_exec_run("/bin/sh -c 'sleep 30 & exec sleep 30'", in, 1, &diag),
			 POC_ERR_TEMP);
	g_free(diag);
	/* Exited 0, leaving a helper that holds stderr: success, without waiting for it. */
	{
		gint64 t0 = g_get_monotonic_time();

		ck_assert_int_eq(poc_exec_run("/bin/sh -c 'sleep 30 & exit 0'", in, 20, &diag),
				 POC_OK);
		ck_assert_msg(g_get_monotonic_time() - t0 < 5 * G_USEC_PER_SEC, "waited for the helper");
	}
	g_bytes_unref(in);
}
END_TEST

/* --- AckSendmail ------------------------------------------------------------ */

static char *dir;

static void
set_status(int status)
{
	char *p = g_build_filename(dir, "status", NULL);

	if (status) {
		char buf[16];
		g_snprintf(buf, sizeof(buf), "%d\n", status);
		g_file_set_contents(p, buf, -1, NULL);
	} else {
		unlink(p);
	}
	g_free(p);
}

/* The fake sendmail: records its arguments, fails with the status in "status" while it exists. */
static char *
write_sendmail(void)
{
	char *script = g_build_filename(dir, "sendmail", NULL), *text, *command;

	text = g_strdup_printf("#!/bin/sh\n"
			       "d=%s\n"
			       "echo \"$*\" >\"$d/args\"\n"
			       "cat >/dev/null\n"
			       "if [ -f \"$d/status\" ]; then echo 'queue file write error' >&2; "
			       "exit $(cat \"$d/status\"); fi\n"
			       "exit 0\n",
			       dir);
	g_file_set_contents(script, text, -1, NULL);
	chmod(script, 0755);
	command = g_strdup_printf("%s -i -t", script);
	g_free(text);
	g_free(script);
	return command;
}

static char *
last_args(void)
{
	char *p = g_build_filename(dir, "args", NULL), *text = NULL;

	g_file_get_contents(p, &text, NULL, NULL);
	g_free(p);
	return text ? g_strchomp(text) : g_strdup("");
}

START_TEST(test_sendmail_diagnostics)
{
	char *diag = NULL, *sendmail, *args;
	GBytes *payload = g_bytes_new_static("x\n", 2);

	dir = g_strdup("/tmp/poXXXXXX");
	ck_assert_ptr_nonnull(g_mkdtemp(dir));
	sendmail = write_sendmail();
	set_status(75);
	ck_assert_int_eq(poc_handover_sendmail(sendmail, "a@b.example", payload, &diag), POC_ERR_TEMP);
	ck_assert(strstr(diag, "75"));
	g_free(diag);
	/* The envelope sender is AckFrom, after the configured arguments. */
	args = last_args();
	ck_assert_str_eq(args, "-i -t -f a@b.example");
	g_free(args);
	set_status(1);
	ck_assert_int_eq(poc_handover_sendmail(sendmail, NULL, payload, &diag), POC_ERR_SEND);
	g_free(diag);
	ck_assert_int_eq(poc_handover_sendmail("/nonexistent/sendmail -t", NULL, payload, &diag),
			 POC_ERR_SEND);
	ck_assert_ptr_nonnull(diag);
	g_free(diag);
	ck_assert_int_eq(poc_handover_sendmail("'unclosed", NULL, payload, &diag), POC_ERR_CONFIG);
	g_free(diag);
	set_status(0);
	ck_assert_int_eq(poc_handover_sendmail(sendmail, NULL, payload, &diag), POC_OK);
	ck_assert_ptr_null(diag);
	g_bytes_unref(payload);
	g_free(sendmail);
	rmtree(dir);
	g_free(dir);
}
END_TEST

static Suite *
exec_suite(void)
{
	Suite *s = suite_create("exec");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_exec);
	tcase_add_test(tc, test_sendmail_diagnostics);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	return run_suite(exec_suite(), CK_FORK_GETENV);
}
