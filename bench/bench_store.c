/*
 * NAME
 *	bench_store - how fast the case database files and answers
 * SYNOPSIS
 *	make bench/bench_store
 *	bench/bench_store [N [DIR]]
 * DESCRIPTION
 *	Fills a new database in DIR (default: a new directory under
 *	$TMPDIR) with N cases (default 1000000), one realistic message
 *	each, filed with poc_store_file_batch() in transactions of 1000
 *	(one sync each; filing one per transaction is bound by the disk's
 *	sync time, measured below as spool_put). About 1% of the messages
 *	have an open acknowledgement, as in reality the unacked set is
 *	small. Raw messages are not stored (bytes per case is metadata,
 *	indexes and events).
 *
 *	Then prints: the insert rate; the time to list the open
 *	acknowledgements (poc_store_foreach_open_ack collecting them); the
 *	time of poc_store_get_case by tracking number, by vulnerability
 *	number and by Message-ID; an export (every case with its messages
 *	read and written as the export's JSON text, as `pocctl export` and
 *	libpocdb do, output discarded); the latency of a synced
 *	poc_store_spool_put of an 8 KiB message; data.mdb's size per
 *	case; and, in a database of its own (DIR/seen), the time of
 *	poc_outbox_seen() (the milter's check of our own mail passing
 *	through, on the libmilter thread) with SEEN_FAILED (10,000) failed
 *	acknowledgements in the outbox, for a Message-ID that is none of
 *	theirs (a page) and for one that is. DIR is left in place for
 *	inspection (mdb_stat -a DIR); given
 *	a DIR that holds a database filled by an earlier run with the same
 *	N, the fill is skipped and only the measurements run again.
 *
 *	Times are wall clock; the listing also shows CPU time, which is what
 *	an idle machine would see as wall time (the build hosts are shared).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <glib/gstdio.h>

#include "outbox.h"
#include "store.h"

#define BATCH_SIZE 1000
#define BASE_TIME 1700000000	/* 2023-11-15 */
#define SEEN_FAILED 10000

static double
ms_since(gint64 t0)
{
	return (double)(g_get_monotonic_time() - t0) / 1000.0;
}

static poc_message *
make_message(guint64 i, gboolean open)
{
	poc_message *m = poc_message_new();
	gint64 at = BASE_TIME + (gint64)i * 300;

	m->message_id = g_strdup_printf("<%" G_GUINT64_FORMAT ".%08" G_GINT64_MODIFIER "x@jpcert.or.jp>",
				       i, at);
	m->received_at = at;
	m->queue_id = g_strdup_printf("4Q%08" G_GINT64_MODIFIER "X", (gint64)i);
	m->envelope_from = g_strdup("vuls@jpcert.or.jp");
	m->from = g_strdup("vuls@jpcert.or.jp");
	m->subject = g_strdup_printf("[JPCERT#%08" G_GUINT64_FORMAT "] 脆弱性情報に関するご連絡（概要情報）",
				     i);
	m->date = g_strdup("Thu, 26 Nov 2026 10:00:00 +0900");
	m->kind = POC_KIND_SUMMARY;
	m->encrypted = TRUE;
	m->decryption = POC_DECRYPTION_OK;
	m->signature = POC_SIGNATURE_GOOD;
	m->signer = g_strdup("0123456789ABCDEF0123456789ABCDEF01234567");
	m->from_coordinator = TRUE;
	m->tracking = g_strdup_printf("JPCERT#%08" G_GUINT64_FORMAT, i);
	g_ptr_array_add(m->vuln_ids, g_strdup_printf("JVNVU#%08" G_GUINT64_FORMAT, i));
	g_ptr_array_add(m->vuln_ids, g_strdup_printf("CVE-2026-%06" G_GUINT64_FORMAT, i));
	m->ack_required = TRUE;
	m->ack_deadline = at + 86400;
	m->size = 9000;
	if (open) {
		m->ack_state = i % 2 ? POC_ACK_QUEUED : POC_ACK_HELD;
	} else {
		m->ack_state = POC_ACK_SENT;
		m->ack_sent_at = at + 60;
		m->ack_message_id = g_strdup_printf("<ack.%" G_GUINT64_FORMAT "@vendor.example>", i);
	}
	return m;
}

static int
collect(poc_message *m, void *data)
{
	g_ptr_array_add(data, g_strdup(m->message_id));
	return 0;
}

typedef struct export_ctx {
	poc_store *s;
	GString *out;
	guint64 cases, bytes;
} export_ctx;

static int
export_one(poc_case *c, void *data)
{
	export_ctx *ec = data;
	GPtrArray *msgs = g_ptr_array_new_with_free_func((GDestroyNotify)poc_message_free);

	for (guint i = 0; i < c->message_ids->len; i++) {
		poc_message *m;

		if (poc_store_get_message(ec->s, g_ptr_array_index(c->message_ids, i), &m, NULL) ==
		    POC_OK)
			g_ptr_array_add(msgs, m);
	}
	g_string_truncate(ec->out, 0);
	poc_case_encode(c, msgs, 0, ec->out);
	ec->cases++;
	ec->bytes += ec->out->len;
	g_ptr_array_unref(msgs);
	return 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
time_lookups(poc_store *s, const char *what, guint64 n, char *(*make_id)(guint64))
{
	const int rounds = 1000;
	double total = 0, worst = 0;

	for (int r = 0; r < rounds; r++) {
		char *id = make_id(((guint64)g_random_int() * 7919u) % n);
		poc_case *c;
		GError *err = NULL;
		gint64 t0 = g_get_monotonic_time();
		double ms;

		if (poc_store_get_case(s, id, &c, &err) != POC_OK) {
			fprintf(stderr, "get_case %s: %s\n", id, err->message);
			exit(1);
		}
		ms = ms_since(t0);
		total += ms;
		worst = MAX(worst, ms);
		poc_case_free(c);
		g_free(id);
	}
	printf("get_case by %-15s %8.4f ms mean, %8.4f ms worst (%d lookups)\n", what,
	       total / rounds, worst, rounds);
}

static char *
by_tracking(guint64 i)
{
	return g_strdup_printf("JPCERT#%08" G_GUINT64_FORMAT, i);
}

static char *
by_vn(guint64 i)
{
	return g_strdup_printf("JVNVU#%08" G_GUINT64_FORMAT, i);
}

static char *
by_message_id(guint64 i)
{
	return g_strdup_printf("<%" G_GUINT64_FORMAT ".%08" G_GINT64_MODIFIER "x@jpcert.or.jp>", i,
			       (gint64)(BASE_TIME + (gint64)i * 300));
}

/*
 * poc_outbox_seen() with SEEN_FAILED failed acknowledgements in a new
 * database in dir: 200 Message-IDs that are not theirs, then 50 that are
 * (each recorded as sent: one synced write transaction).
 */
static void
time_seen(const char *dir)
{
	poc_store *s;
	GError *err = NULL;
	double unknown = 0, known = 0;

	for (int i = 0; i < 2; i++) {	/* a new database each run */
		char *p = g_build_filename(dir, i ? "lock.mdb" : "data.mdb", NULL);

		g_unlink(p);
		g_free(p);
	}
	if (poc_store_open(dir, 0, &s, &err) != POC_OK) {
		fprintf(stderr, "seen: %s\n", err->message);
		exit(1);
	}
	for (guint64 i = 0; i < SEEN_FAILED; i += BATCH_SIZE) {
		poc_store_item items[BATCH_SIZE];
		size_t k = 0;

		for (guint64 j = i; j < SEEN_FAILED && k < BATCH_SIZE; j++, k++) {
			poc_outbox_entry *e = poc_outbox_entry_new();

			e->ack_message_id =
				g_strdup_printf("<ack.%" G_GUINT64_FORMAT ".x@vendor.example>", j);
			e->recipient = g_strdup("vuls@jpcert.or.jp");
			e->state = POC_OUTBOX_FAILED;	/* filed failed: what the sender leaves */
			e->attempts = 8;
			e->last_error = g_strdup("AckSendmail exited 75");
			e->payload = g_bytes_new_take(g_malloc0(6000), 6000);
			items[k] = (poc_store_item){ 0, make_message(j, TRUE), e, 0 };
		}
		if (poc_store_file_batch(s, items, k, &err) != POC_OK) {
			fprintf(stderr, "seen: file: %s\n", err->message);
			exit(1);
		}
		for (size_t j = 0; j < k; j++) {
			poc_message_free(items[j].msg);
			poc_outbox_entry_free(items[j].ack);
		}
	}
	for (int r = 0; r < 200; r++) {
		char *id = g_strdup_printf("<page.%d@vendor.example>", r);
		gint64 t0 = g_get_monotonic_time();

		if (poc_outbox_seen(s, id) != POC_ERR_NOTFOUND)
			exit(1);
		unknown += ms_since(t0);
		g_free(id);
	}
	for (int r = 0; r < 50; r++) {
		char *id = g_strdup_printf("<ack.%d.x@vendor.example>", r * 97);
		gint64 t0 = g_get_monotonic_time();

		if (poc_outbox_seen(s, id) != POC_OK)
			exit(1);
		known += ms_since(t0);
		g_free(id);
	}
	printf("outbox_seen, %d failed: %8.3f ms mean (not ours), %.3f ms mean (ours, "
	       "recorded sent)\n", SEEN_FAILED, unknown / 200, known / 50);
	poc_store_close(s);
}

int
main(int argc, char **argv)
{
	guint64 n = argc > 1 ? g_ascii_strtoull(argv[1], NULL, 10) : 1000000;
	char *dir = argc > 2 ? g_strdup(argv[2]) : g_dir_make_tmp("pocbench-XXXXXX", NULL);
	char *data_path = g_build_filename(dir, "data.mdb", NULL);
	poc_store *s;
	GError *err = NULL;
	GStatBuf st;
	gint64 t0;
	double ms;
	guint64 open_count = 0;

	if (n == 0) {
		fprintf(stderr, "usage: %s [N [DIR]]\n", argv[0]);
		return 2;
	}
	if (g_stat(data_path, &st) == 0) {
		printf("%s holds a database: measuring it as filled with %" G_GUINT64_FORMAT
		       " cases\n", dir, n);
		open_count = n / 100;
		goto measure;
	}
	if (poc_store_open(dir, 0, &s, &err) != POC_OK) {
		fprintf(stderr, "%s: %s\n", argv[0], err->message);
		return 1;
	}
	printf("filing %" G_GUINT64_FORMAT " cases into %s, %d per transaction\n", n, dir,
	       BATCH_SIZE);
	t0 = g_get_monotonic_time();
	for (guint64 i = 0; i < n; i += BATCH_SIZE) {
		poc_store_item items[BATCH_SIZE];
		size_t k = 0;

		for (guint64 j = i; j < n && k < BATCH_SIZE; j++, k++) {
			gboolean open = j % 100 == 37;

			open_count += open;
			items[k] = (poc_store_item){ 0, make_message(j, open), NULL, 0 };
		}
		if (poc_store_file_batch(s, items, k, &err) != POC_OK) {
			fprintf(stderr, "file: %s\n", err->message);
			return 1;
		}
		for (size_t j = 0; j < k; j++)
			poc_message_free(items[j].msg);
	}
	ms = ms_since(t0);
	printf("insert:                  %8.0f cases/s (%.1f s)\n", n / (ms / 1000.0), ms / 1000.0);
	poc_store_close(s);
measure:
	if (poc_store_open(dir, POC_STORE_RDONLY, &s, &err) != POC_OK) {
		fprintf(stderr, "%s: %s\n", argv[0], err->message);
		return 1;
	}
	for (int r = 0; r < 3; r++) {
		GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
		struct timespec c0, c1;

		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
		t0 = g_get_monotonic_time();
		poc_store_foreach_open_ack(s, collect, ids, NULL);
		ms = ms_since(t0);
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
		printf("list unacked (run %d):    %8.2f ms (%.2f ms CPU) for %u open of %" G_GUINT64_FORMAT
		       " (expected %" G_GUINT64_FORMAT ")\n", r + 1, ms,
		       (c1.tv_sec - c0.tv_sec) * 1e3 + (c1.tv_nsec - c0.tv_nsec) / 1e6, ids->len, n,
		       open_count);
		g_ptr_array_unref(ids);
	}
	time_lookups(s, "tracking", n, by_tracking);
	time_lookups(s, "VN", n, by_vn);
	time_lookups(s, "Message-ID", n, by_message_id);
	{
		export_ctx ec = { s, g_string_sized_new(4096), 0, 0 };
		struct timespec c0, c1;

		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
		t0 = g_get_monotonic_time();
		poc_store_foreach_case(s, export_one, &ec, NULL);
		ms = ms_since(t0);
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
		printf("export:                  %8.2f s (%.2f s CPU) for %" G_GUINT64_FORMAT
		       " cases, %.1f MiB of JSON\n", ms / 1000.0,
		       (double)(c1.tv_sec - c0.tv_sec) + (c1.tv_nsec - c0.tv_nsec) / 1e9, ec.cases,
		       ec.bytes / 1048576.0);
		g_string_free(ec.out, TRUE);
	}
	poc_store_close(s);

	/* the milter's synced spool write, one transaction each */
	if (poc_store_open(dir, 0, &s, &err) == POC_OK) {
		char *raw = g_malloc(8192);
		double lat[200];
		GArray *ids = g_array_new(FALSE, FALSE, sizeof(guint64));

		memset(raw, 'm', 8192);
		for (int i = 0; i < 200; i++) {
			t0 = g_get_monotonic_time();
			poc_store_spool_put(s, raw, 8192, NULL, NULL, NULL);
			lat[i] = ms_since(t0);
		}
		qsort(lat, 200, sizeof(double), cmp_double);
		printf("spool_put 8 KiB synced:  %8.2f ms median, %.2f ms p99\n", lat[100], lat[197]);
		g_free(raw);
		g_array_unref(ids);
		poc_store_close(s);
	}
	if (g_stat(data_path, &st) == 0)
		printf("data.mdb:                %8.0f bytes per case (%.1f MiB)\n",
		       (double)st.st_size / n, st.st_size / 1048576.0);
	{
		char *seen_dir = g_build_filename(dir, "seen", NULL);

		time_seen(seen_dir);
		g_free(seen_dir);
	}
	g_free(dir);
	g_free(data_path);
	return 0;
}
