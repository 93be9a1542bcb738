/*
 * NAME
 *	stress_filer - the filer path of pocmilter in many threads at once,
 *	without libmilter or an MTA in the way
 * SYNOPSIS
 *	stress_filer -c conf [-w workers] [-r rounds] file...
 * DESCRIPTION
 *	One spooler thread puts every file in the spool, rounds times (each
 *	round's copy gets its own Message-ID: "<garbage-" becomes "<rNNNNNN-"),
 *	as the milter's threads do; workers filer threads at the same time
 *	claim entries and call poc_process_spooled() on them, as pocmilter's
 *	filers do, with the same code (poc_process_claim, one crypto context
 *	each). The database, GnuPG home and templates are the config's.
 *
 *	It exists to look for races between filers at a rate the MTA cannot
 *	feed (tests/e2e/stress.sh runs it). It found the Workers 2 crash:
 *	poc_config_strv() wrote to the config every filer shares.
 *	Prints messages spooled and filed, errors, and messages per second;
 *	exits 1 when a message was not filed.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "notice.h"
#include "process.h"

static poc_runtime *rt;
static GPtrArray *files;	/* GBytes */
static int rounds = 1;
static GMutex lock;
static GCond cond;
static poc_process_claims *claims;	/* pocmilter's own claims (process.h) */
static gboolean spooling_done;
static gint spooled, filed, errors;

static gpointer
spooler(gpointer unused)
{
	(void) unused;
	for (int r = 0; r < rounds; r++) {
		for (guint i = 0; i < files->len; i++) {
			gsize len;
			const char *data = g_bytes_get_data(files->pdata[i], &len);
			char *raw = g_memdup2(data, len);
			char *mid = g_strstr_len(raw, MIN(len, 65536), "<garbage-");
			poc_spool_info info = { .received_at = poc_now(), .source = (char *) "stress" };
			guint64 id;
			GError *err = NULL;

			if (mid) {
				char tag[9];

				g_snprintf(tag, sizeof tag, "<r%06d", r % 1000000);
				memcpy(mid, tag, 8);
			}
			info.envelope_from = (char *) "finder@jpcert.example";
			if (poc_store_spool_put(rt->store, raw, len, &info, &id, &err) != POC_OK) {
				fprintf(stderr, "stress_filer: spooling: %s\n", err->message);
				g_clear_error(&err);
				g_atomic_int_inc(&errors);
			} else {
				g_atomic_int_inc(&spooled);
			}
			g_free(raw);
			g_mutex_lock(&lock);
			g_cond_broadcast(&cond);
			g_mutex_unlock(&lock);
		}
	}
	g_mutex_lock(&lock);
	spooling_done = TRUE;
	g_cond_broadcast(&cond);
	g_mutex_unlock(&lock);
	return NULL;
}

static gpointer
filer(gpointer unused)
{
	poc_crypto *crypto = NULL;
	GError *err = NULL;

	(void) unused;
	if (poc_crypto_new(rt->cfg->gnupg_home, &crypto, &err) != POC_OK) {
		fprintf(stderr, "stress_filer: %s\n", err->message);
		g_clear_error(&err);
	}
	for (;;) {
		guint64 id;
		gboolean done;

		g_mutex_lock(&lock);
		done = spooling_done;
		g_mutex_unlock(&lock);
		if (poc_process_claim(claims, rt->store, &id)) {
			int status = poc_process_spooled(rt, crypto, id, NULL, &err);

			if (status != POC_OK) {
				fprintf(stderr, "stress_filer: spool entry %" G_GUINT64_FORMAT ": %s\n",
					id, err ? err->message : "?");
				g_clear_error(&err);
				g_atomic_int_inc(&errors);
			} else {
				g_atomic_int_inc(&filed);
			}
			/* A failure stays claimed (pocmilter retries it later): counted once. */
			poc_process_release(claims, id, status != POC_OK);
			continue;
		}
		/* Nothing to claim: finished once the spooler is, else wait for it. */
		if (done)
			break;
		g_mutex_lock(&lock);
		if (!spooling_done)
			g_cond_wait_until(&cond, &lock, g_get_monotonic_time() + G_TIME_SPAN_SECOND / 10);
		g_mutex_unlock(&lock);
	}
	if (crypto)
		poc_crypto_free(crypto);
	return NULL;
}

int
main(int argc, char **argv)
{
	const char *conf = NULL;
	int opt, workers = 2, total;
	GPtrArray *threads = g_ptr_array_new();
	GThread *sp;
	GError *err = NULL;
	gint64 start;
	double secs;

	while ((opt = getopt(argc, argv, "c:w:r:")) != -1) {
		switch (opt) {
		case 'c': conf = optarg; break;
		case 'w': workers = MAX(1, atoi(optarg)); break;
		case 'r': rounds = MAX(1, atoi(optarg)); break;
		default:
			fprintf(stderr, "usage: stress_filer -c conf [-w workers] [-r rounds] file...\n");
			return 2;
		}
	}
	if (!conf || optind >= argc) {
		fprintf(stderr, "usage: stress_filer -c conf [-w workers] [-r rounds] file...\n");
		return 2;
	}
	poc_log_open("stress_filer", NULL, TRUE);
	poc_crypto_init();
	poc_notice_init();
	if (poc_runtime_open(conf, 0, &rt, &err) != POC_OK) {
		fprintf(stderr, "stress_filer: %s\n", err->message);
		return 1;
	}
	files = g_ptr_array_new_with_free_func((GDestroyNotify) g_bytes_unref);
	for (int i = optind; i < argc; i++) {
		char *raw;
		gsize len;

		if (!g_file_get_contents(argv[i], &raw, &len, &err)) {
			fprintf(stderr, "stress_filer: %s\n", err->message);
			return 1;
		}
		g_ptr_array_add(files, g_bytes_new_take(raw, len));
	}
	claims = poc_process_claims_new();
	start = g_get_monotonic_time();
	sp = g_thread_new("spooler", spooler, NULL);
	for (int i = 0; i < workers; i++)
		g_ptr_array_add(threads, g_thread_new("filer", filer, NULL));
	g_thread_join(sp);
	for (guint i = 0; i < threads->len; i++)
		g_thread_join(threads->pdata[i]);
	secs = (g_get_monotonic_time() - start) / 1e6;
	total = (int) files->len * rounds;
	printf("stress_filer: %d workers: %d spooled, %d filed, %d errors of %d in %.1f s (%.0f msgs/s)\n",
	       workers, spooled, filed, errors, total, secs, filed / secs);
	poc_process_claims_free(claims);
	g_ptr_array_free(threads, TRUE);
	g_ptr_array_free(files, TRUE);
	poc_runtime_close(rt);
	return filed == total && errors == 0 ? 0 : 1;
}
