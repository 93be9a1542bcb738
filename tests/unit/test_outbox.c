/*
 * NAME
 *	test_outbox - the outbox: atomic claims, retries with back-off,
 *	evidence, and entries left SENDING by a crash
 * DESCRIPTION
 *	AckSendmail is a small shell script written here, whose behaviour a
 *	test sets through files (exit status, count of runs); payloads are
 *	plain bytes: composing is test_ack's business.
 */
#include "config.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "outbox.h"
#include "testutil.h"

static char *dir;
static poc_store *store;
static poc_config *cfg;

#define T0 1795568400	/* 2026-11-25T10:00:00+09:00 */

static char *
path_in(const char *name)
{
	return g_build_filename(dir, name, NULL);
}

/* The fake sendmail: counts its runs, fails with the status in "status" while it exists. */
static void
write_sendmail(void)
{
	char *script = path_in("sendmail"), *text;

	text = g_strdup_printf("#!/bin/sh\n"
			       "d=%s\n"
			       "echo run >>\"$d/runs\"\n"
			       "cat >>\"$d/received\"\n"
			       "if [ -f \"$d/status\" ]; then echo 'queue file write error' >&2; "
			       "exit $(cat \"$d/status\"); fi\n"
			       "exit 0\n",
			       dir);
	g_file_set_contents(script, text, -1, NULL);
	chmod(script, 0755);
	g_free(cfg->ack_sendmail);
	cfg->ack_sendmail = g_strdup_printf("%s -i -t", script);
	g_free(text);
	g_free(script);
}

static int
runs(void)
{
	char *p = path_in("runs"), *text = NULL;
	int n = 0;

	if (g_file_get_contents(p, &text, NULL, NULL))
		for (char *c = text; *c; c++)
			n += *c == '\n';
	g_free(text);
	g_free(p);
	return n;
}

static void
set_status(int status)
{
	char *p = path_in("status");

	if (status) {
		char buf[16];
		g_snprintf(buf, sizeof(buf), "%d\n", status);
		g_file_set_contents(p, buf, -1, NULL);
	} else {
		unlink(p);
	}
	g_free(p);
}

static void
setup(void)
{
	dir = g_strdup("/tmp/poXXXXXX");
	ck_assert_ptr_nonnull(g_mkdtemp(dir));
	{
		char *db = path_in("db");
		ck_assert_int_eq(poc_store_open(db, 0, &store, NULL), POC_OK);
		g_free(db);
	}
	cfg = poc_config_new();
	cfg->ack_from = g_strdup("security@vendor.example");
	cfg->ack_retry = 60;
	write_sendmail();
	g_unsetenv("POC_FAKE_NOW");
}

static void
teardown(void)
{
	poc_store_close(store);
	poc_config_free(cfg);
	rmtree(dir);
	g_free(dir);
	g_unsetenv("POC_FAKE_NOW");
}

static void
fake_now(gint64 t)
{
	char buf[32];

	g_snprintf(buf, sizeof(buf), "%" G_GINT64_FORMAT, t);
	g_setenv("POC_FAKE_NOW", buf, TRUE);
}

/* File a notice with its acknowledgement queued, as the worker does; the entry's id. */
static guint64
file_with_ack(int i)
{
	poc_message *m = poc_message_new();
	poc_outbox_entry *e = poc_outbox_entry_new();
	guint64 id;

	m->message_id = g_strdup_printf("<n%d@jpcert.or.jp>", i);
	m->tracking = g_strdup_printf("JPCERT#%08d", 10000000 + i);
	m->from = g_strdup("vuls@jpcert.or.jp");
	m->received_at = T0;
	m->kind = POC_KIND_SUMMARY;
	m->signature = POC_SIGNATURE_GOOD;
	m->signature_covers = POC_COVERS_ALL;
	m->ack_required = TRUE;
	m->ack_deadline = T0 + 86400;
	m->ack_state = POC_ACK_QUEUED;
	e->message_id = g_strdup(m->message_id);
	e->ack_message_id = g_strdup_printf("<ack%d@vendor.example>", i);
	e->recipient = g_strdup("vuls@jpcert.or.jp");
	e->template_name = g_strdup("summary");
	e->payload = g_bytes_new_static("Subject: ack\n\nbody\n", 19);
	e->created_at = T0;
	e->next_attempt_at = T0;
	ck_assert_int_eq(poc_store_file(store, 0, m, e, NULL), POC_OK);
	id = e->id;
	poc_outbox_entry_free(e);
	poc_message_free(m);
	return id;
}

static poc_message *
message(int i)
{
	char *mid = g_strdup_printf("<n%d@jpcert.or.jp>", i);
	poc_message *m = NULL;

	ck_assert_int_eq(poc_store_get_message(store, mid, &m, NULL), POC_OK);
	g_free(mid);
	return m;
}

static int
count_state(poc_outbox_state state)
{
	GPtrArray *list = g_ptr_array_new_with_free_func((GDestroyNotify)poc_outbox_entry_free);
	int n;

	ck_assert_int_eq(poc_store_outbox_list(store, state, list, NULL), POC_OK);
	n = list->len;
	g_ptr_array_unref(list);
	return n;
}

typedef struct count_ctx {
	const char *type;
	int n;
	char *last_detail;
} count_ctx;

static int
count_one(const poc_event *ev, void *data)
{
	count_ctx *c = data;

	if (strcmp(ev->type, c->type) == 0) {
		c->n++;
		g_free(c->last_detail);
		c->last_detail = g_strdup(ev->detail);
	}
	return 0;
}

static int
count_events(int i, const char *type, char **detail)
{
	char *case_id = g_strdup_printf("JPCERT#%08d", 10000000 + i);
	count_ctx c = { type, 0, NULL };

	poc_store_foreach_event(store, case_id, count_one, &c, NULL);
	if (detail)
		*detail = c.last_detail;
	else
		g_free(c.last_detail);
	g_free(case_id);
	return c.n;
}

/* --- tests ------------------------------------------------------------------------ */

START_TEST(test_claim_once)
{
	poc_outbox_entry *e = NULL;
	GError *err = NULL;

	file_with_ack(1);
	ck_assert_int_eq(poc_store_outbox_claim(store, T0 - 1, &e, &err), POC_ERR_NOTFOUND);
	g_clear_error(&err);
	ck_assert_int_eq(poc_store_outbox_claim(store, T0 + 5, &e, NULL), POC_OK);
	ck_assert_int_eq(e->state, POC_OUTBOX_SENDING);
	ck_assert_int_eq(e->attempts, 1);
	ck_assert_int_eq(e->next_attempt_at, T0 + 5);
	poc_outbox_entry_free(e);
	/* Claimed: nobody else gets it. */
	ck_assert_int_eq(poc_store_outbox_claim(store, T0 + 3600, &e, &err), POC_ERR_NOTFOUND);
	ck_assert_ptr_null(e);
	g_clear_error(&err);
	ck_assert_int_eq(count_state(POC_OUTBOX_SENDING), 1);
	ck_assert_int_eq(count_state(POC_OUTBOX_QUEUED), 0);
}
END_TEST

/* Two processes claiming from one queue: each entry is taken exactly once. */
START_TEST(test_claim_two_processes)
{
	enum { N = 40 };
	int fds[2][2];
	pid_t pids[2];
	GHashTable *seen = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	guint64 ids[N];
	int total = 0;

	for (int i = 0; i < N; i++)
		ids[i] = file_with_ack(i);
	poc_store_close(store);
	store = NULL;
	for (int p = 0; p < 2; p++) {
		ck_assert_int_eq(pipe(fds[p]), 0);
		pids[p] = fork();
		if (pids[p] == 0) {
			poc_store *s;
			poc_outbox_entry *e;
			char *db = path_in("db");

			close(fds[p][0]);
			if (poc_store_open(db, 0, &s, NULL) != POC_OK)
				_exit(3);
			while (poc_store_outbox_claim(s, T0 + 10, &e, NULL) == POC_OK) {
				if (write(fds[p][1], &e->id, sizeof(e->id)) != sizeof(e->id))
					_exit(4);
				poc_outbox_entry_free(e);
				g_usleep(g_random_int_range(0, 500));
			}
			poc_store_close(s);
			_exit(0);
		}
		close(fds[p][1]);
	}
	for (int p = 0; p < 2; p++) {
		guint64 id;
		int st;

		while (read(fds[p][0], &id, sizeof(id)) == sizeof(id)) {
			gint64 *key = g_new(gint64, 1);

			*key = (gint64)id;
			ck_assert_msg(!g_hash_table_contains(seen, key), "entry %" G_GUINT64_FORMAT
				      " claimed twice", id);
			g_hash_table_add(seen, key);
			total++;
		}
		close(fds[p][0]);
		waitpid(pids[p], &st, 0);
		ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	ck_assert_int_eq(total, N);
	for (int i = 0; i < N; i++) {
		gint64 key = (gint64)ids[i];
		ck_assert(g_hash_table_contains(seen, &key));
	}
	g_hash_table_unref(seen);
	{
		char *db = path_in("db");
		ck_assert_int_eq(poc_store_open(db, 0, &store, NULL), POC_OK);
		g_free(db);
	}
	ck_assert_int_eq(count_state(POC_OUTBOX_SENDING), N);
}
END_TEST

/* AckSendmail fails with 75, then works: retried after the back-off, sent once, recorded. */
START_TEST(test_retry_then_sent)
{
	int sent = -1;
	poc_message *m;
	GPtrArray *list = g_ptr_array_new_with_free_func((GDestroyNotify)poc_outbox_entry_free);
	poc_outbox_entry *e;
	char *detail = NULL;

	file_with_ack(1);
	set_status(75);
	fake_now(T0 + 1);
	ck_assert_int_eq(poc_outbox_run(store, cfg, &sent, NULL), POC_OK);
	ck_assert_int_eq(sent, 0);
	ck_assert_int_eq(runs(), 1);
	ck_assert_int_eq(poc_store_outbox_list(store, POC_OUTBOX_QUEUED, list, NULL), POC_OK);
	ck_assert_uint_eq(list->len, 1);
	e = g_ptr_array_index(list, 0);
	ck_assert_int_eq(e->attempts, 1);
	ck_assert_int_eq(e->next_attempt_at, T0 + 1 + 60);
	ck_assert_msg(strstr(e->last_error, "exited with 75: queue file write error"), "%s",
		      e->last_error);
	ck_assert_int_eq(count_events(1, "ack-send-failed", &detail), 1);
	ck_assert(strstr(detail, "attempt 1") && strstr(detail, "retry in 60s"));
	g_free(detail);

	/* Not due yet: nothing is run. */
	set_status(0);
	fake_now(T0 + 30);
	ck_assert_int_eq(poc_outbox_run(store, cfg, &sent, NULL), POC_OK);
	ck_assert_int_eq(runs(), 1);

	/* Due: sent, and only once. */
	fake_now(T0 + 61);
	ck_assert_int_eq(poc_outbox_run(store, cfg, &sent, NULL), POC_OK);
	ck_assert_int_eq(sent, 1);
	ck_assert_int_eq(runs(), 2);
	fake_now(T0 + 7200);
	ck_assert_int_eq(poc_outbox_run(store, cfg, &sent, NULL), POC_OK);
	ck_assert_int_eq(sent, 0);
	ck_assert_int_eq(runs(), 2);
	ck_assert_int_eq(count_state(POC_OUTBOX_SENT), 1);
	m = message(1);
	ck_assert_int_eq(m->ack_state, POC_ACK_SENT);
	ck_assert_int_eq(m->ack_sent_at, T0 + 61);
	ck_assert_str_eq(m->ack_message_id, "<ack1@vendor.example>");
	poc_message_free(m);
	ck_assert_int_eq(count_events(1, "ack-sent", NULL), 1);
	g_ptr_array_unref(list);
}
END_TEST

START_TEST(test_backoff)
{
	ck_assert_int_eq(poc_outbox_backoff(60, 1), 60);
	ck_assert_int_eq(poc_outbox_backoff(60, 2), 120);
	ck_assert_int_eq(poc_outbox_backoff(60, 3), 240);
	ck_assert_int_eq(poc_outbox_backoff(60, 10), 3600);
	ck_assert_int_eq(poc_outbox_backoff(0, 1), 60);
	ck_assert_int_eq(poc_outbox_backoff(5, 2), 10);
}
END_TEST

/*
 * A crash while AckSendmail ran leaves the entry SENDING. It waits for the
 * MTA's evidence for the grace time, then is FAILED (paged), never resent.
 */
START_TEST(test_recover_unknown_outcome)
{
	poc_outbox_entry *e = NULL;
	poc_message *m;
	int failed = -1, sent = -1;
	char *detail = NULL;

	file_with_ack(1);
	file_with_ack(2);
	/* Both claimed, as by a daemon that was then killed. */
	ck_assert_int_eq(poc_store_outbox_claim(store, T0 + 10, &e, NULL), POC_OK);
	poc_outbox_entry_free(e);
	ck_assert_int_eq(poc_store_outbox_claim(store, T0 + 10, &e, NULL), POC_OK);
	poc_outbox_entry_free(e);

	/* The restarted daemon: within the grace, nothing changes, nothing is sent. */
	ck_assert_int_eq(poc_outbox_recover(store, T0 + 20, POC_OUTBOX_GRACE, TRUE, &failed, NULL),
			 POC_OK);
	ck_assert_int_eq(failed, 0);
	fake_now(T0 + 20);
	ck_assert_int_eq(poc_outbox_run(store, cfg, &sent, NULL), POC_OK);
	ck_assert_int_eq(sent, 0);
	ck_assert_int_eq(runs(), 0);

	/* Evidence for the first: the milter saw it pass the MTA. */
	ck_assert_int_eq(poc_outbox_seen(store, "<ack1@vendor.example>"), POC_OK);
	ck_assert_int_eq(poc_outbox_seen(store, "<ack1@vendor.example>"), POC_ERR_NOTFOUND);
	ck_assert_int_eq(poc_outbox_seen(store, "<unknown@vendor.example>"), POC_ERR_NOTFOUND);
	m = message(1);
	ck_assert_int_eq(m->ack_state, POC_ACK_SENT);
	poc_message_free(m);
	ck_assert_int_eq(count_events(1, "ack-evidence", NULL), 1);

	/* None for the second: after the grace it is FAILED with a clear reason. */
	ck_assert_int_eq(poc_outbox_recover(store, T0 + 10 + POC_OUTBOX_GRACE, POC_OUTBOX_GRACE, FALSE,
					    &failed, NULL),
			 POC_OK);
	ck_assert_int_eq(failed, 1);
	ck_assert_int_eq(count_state(POC_OUTBOX_SENDING), 0);
	ck_assert_int_eq(count_state(POC_OUTBOX_FAILED), 1);
	ck_assert_int_eq(count_state(POC_OUTBOX_SENT), 1);
	m = message(2);
	ck_assert_int_eq(m->ack_state, POC_ACK_FAILED);
	poc_message_free(m);
	ck_assert_int_eq(count_events(2, "ack-outcome-unknown", &detail), 1);
	ck_assert_msg(strstr(detail, "outcome unknown") && strstr(detail, "<ack2@vendor.example>") &&
			      strstr(detail, "not resent"),
		      "%s", detail);
	g_free(detail);
	ck_assert_int_eq(count_events(2, "ack-failed", NULL), 1);
	fake_now(T0 + 86400);
	ck_assert_int_eq(poc_outbox_run(store, cfg, &sent, NULL), POC_OK);
	ck_assert_int_eq(runs(), 0);

	/* Evidence that comes late still counts: it was sent. */
	ck_assert_int_eq(poc_outbox_seen(store, "<ack2@vendor.example>"), POC_OK);
	m = message(2);
	ck_assert_int_eq(m->ack_state, POC_ACK_SENT);
	poc_message_free(m);
	ck_assert_int_eq(count_state(POC_OUTBOX_FAILED), 0);
}
END_TEST

/* The milter's evidence can win the race with sendmail's exit: still one send, no error. */
START_TEST(test_seen_before_exit)
{
	poc_outbox_entry *e = NULL;
	GError *err = NULL;

	file_with_ack(1);
	ck_assert_int_eq(poc_store_outbox_claim(store, T0 + 1, &e, NULL), POC_OK);
	ck_assert_int_eq(poc_outbox_seen(store, "<ack1@vendor.example>"), POC_OK);
	e->state = POC_OUTBOX_SENT;
	e->sent_at = T0 + 2;
	ck_assert_int_eq(poc_store_outbox_update(store, e, &err), POC_ERR_EXISTS);
	g_clear_error(&err);
	ck_assert_int_eq(count_events(1, "ack-sent", NULL), 1);
	poc_outbox_entry_free(e);
}
END_TEST

static Suite *
outbox_suite(void)
{
	Suite *s = suite_create("outbox");
	TCase *tc = tcase_create("outbox");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_claim_once);
	tcase_add_test(tc, test_claim_two_processes);
	tcase_add_test(tc, test_retry_then_sent);
	tcase_add_test(tc, test_backoff);
	tcase_add_test(tc, test_recover_unknown_outcome);
	tcase_add_test(tc, test_seen_before_exit);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return run_suite(outbox_suite(), CK_FORK_GETENV);
}
