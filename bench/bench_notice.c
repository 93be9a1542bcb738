/*
 * NAME
 *	bench_notice - time poc_notice_read() (parse + decrypt + verify) per mail
 * SYNOPSIS
 *	bench_notice [-g gnupghome] [-t fpr]... [-n runs] file...
 * DESCRIPTION
 *	Reads each file runs times (default 20) with one crypto context, as
 *	the worker does, and prints per file the median and the 99th
 *	percentile in milliseconds, then the same over all reads.
 *	bench/run-bench.sh makes the corpus and calls this.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "notice.h"

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *) a, y = *(const double *) b;

	return x < y ? -1 : x > y;
}

static double
percentile(double *v, int n, double p)
{
	int i = (int) (p * (n - 1) + 0.5);

	return v[i < n ? i : n - 1];
}

int
main(int argc, char **argv)
{
	GPtrArray *trusted = g_ptr_array_new();
	const char *coordinators[] = { "vuls@jpcert.or.jp", NULL };
	poc_reader reader = { .coordinators = coordinators };
	const char *home = NULL;
	int opt, runs = 20, total = 0;
	GArray *all = g_array_new(FALSE, FALSE, sizeof(double));
	GError *error = NULL;

	while ((opt = getopt(argc, argv, "g:t:n:")) != -1) {
		switch (opt) {
		case 'g': home = optarg; break;
		case 't': g_ptr_array_add(trusted, optarg); break;
		case 'n': runs = atoi(optarg) > 0 ? atoi(optarg) : 1; break;
		default:
			fprintf(stderr, "usage: bench_notice [-g home] [-t fpr] [-n runs] file...\n");
			return 2;
		}
	}
	g_ptr_array_add(trusted, NULL);
	reader.coordinator_keys = (const char *const *) trusted->pdata;
	poc_notice_init();
	if (home && poc_crypto_new(home, &reader.crypto, &error) != POC_OK) {
		fprintf(stderr, "bench_notice: %s\n", error->message);
		return 1;
	}
	printf("%-36s %10s %10s %10s\n", "notice", "bytes", "median_ms", "p99_ms");
	for (int i = optind; i < argc; i++) {
		char *raw = NULL;
		gsize len = 0;
		double *t = g_new(double, runs);

		if (!g_file_get_contents(argv[i], &raw, &len, NULL))
			continue;
		for (int r = 0; r < runs; r++) {
			poc_message *msg = poc_message_new();
			gint64 start = g_get_monotonic_time();

			msg->envelope_from = g_strdup("vuls@jpcert.or.jp");
			poc_notice_read(&reader, raw, len, msg, NULL);
			t[r] = (g_get_monotonic_time() - start) / 1000.0;
			g_array_append_val(all, t[r]);
			poc_message_free(msg);
		}
		qsort(t, runs, sizeof *t, cmp_double);
		printf("%-36.36s %10zu %10.2f %10.2f\n", g_path_get_basename(argv[i]), (size_t) len,
		       percentile(t, runs, 0.5), percentile(t, runs, 0.99));
		total += runs;
		g_free(t);
		g_free(raw);
	}
	g_array_sort(all, cmp_double);
	if (all->len)
		printf("%-36s %10d %10.2f %10.2f\n", "ALL (reads)", total,
		       percentile((double *) all->data, all->len, 0.5),
		       percentile((double *) all->data, all->len, 0.99));
	poc_crypto_free(reader.crypto);
	return 0;
}
