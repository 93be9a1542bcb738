/*
 * NAME
 *	watch.c - pocctl watch and metrics: what monitoring runs
 * SYNOPSIS
 *	pocctl watch [--page]
 *	pocctl metrics [--output FILE]
 * DESCRIPTION
 *	watch is the paging check once, as a monitoring plugin; metrics is
 *	the database as Prometheus metrics (text format), written by a
 *	rename so that a textfile collector never reads half a file.
 * SECURITY
 *	Metrics are counts and times only, no notice content. watch's lines
 *	are printed through cli_tty().
 * DIAGNOSTICS
 *	watch exits with the monitoring plugin codes (0 OK, 1 WARNING,
 *	2 CRITICAL, 3 UNKNOWN), metrics with those of pocctl(1).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "pocctl.h"
#include "metrics.h"
#include "page.h"

/* --- metrics ------------------------------------------------------------------- */

int
cmd_metrics(int argc, char **argv)
{
	static const struct option opts[] = { { "output", required_argument, NULL, 'o' },
					      { NULL, 0, NULL, 0 } };
	const char *output = NULL;
	poc_runtime *rt;
	GString *text = g_string_new(NULL);
	GError *err = NULL;
	int ch, status;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		if (ch != 'o')
			cli_die(EXIT_USAGE, "usage: pocctl metrics [--output FILE]");
		output = optarg;
	}
	if (optind != argc)
		cli_die(EXIT_USAGE, "usage: pocctl metrics [--output FILE]");
	rt = cli_open_runtime(POC_RUNTIME_STORE_RDONLY | POC_RUNTIME_NO_TEMPLATES);
	status = poc_metrics_write(rt, poc_now(), text, &err);
	poc_runtime_close(rt);
	if (status != POC_OK)
		cli_die(cli_exit_for(status), "metrics: %s", err ? err->message : poc_strerror(status));
	if (output == NULL) {
		fputs(text->str, stdout);
	} else {
		/* node_exporter's textfile collector must never read half a file: write, then rename. */
		char *tmp = g_strdup_printf("%s.%ld.tmp", output, (long)getpid());

		if (!g_file_set_contents_full(tmp, text->str, (gssize)text->len,
					      G_FILE_SET_CONTENTS_CONSISTENT, 0644, &err) ||
		    rename(tmp, output) != 0) {
			int e = errno;

			unlink(tmp);
			cli_die(EXIT_FAIL, "metrics: %s: %s", output, err ? err->message : g_strerror(e));
		}
		g_free(tmp);
	}
	g_string_free(text, TRUE);
	return 0;
}

/*
 * watch [--page]: the paging check once, as a monitoring plugin: one status
 * line (and one line per condition), exit 0 OK, 1 WARNING, 2 CRITICAL,
 * 3 UNKNOWN (configuration or database unreadable). --page also sends the
 * pages that are due, sharing the page state with the daemon.
 */
int
cmd_watch(int argc, char **argv)
{
	static const struct option opts[] = { { "page", no_argument, NULL, 'p' },
					      { NULL, 0, NULL, 0 } };
	gboolean send_pages = FALSE;
	poc_runtime *rt = NULL;
	poc_page_status st;
	GError *err = NULL;
	int c, status;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'p') {
			printf("POCMILTER UNKNOWN - usage: pocctl watch [--page]\n");
			return POC_PAGE_UNKNOWN;
		}
		send_pages = TRUE;
	}
	if (optind != argc) {
		printf("POCMILTER UNKNOWN - usage: pocctl watch [--page]\n");
		return POC_PAGE_UNKNOWN;
	}
	/* A PageCommand that does not read its stdin must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	status = poc_runtime_open(cli_config_path,
				  POC_RUNTIME_NO_TEMPLATES | (send_pages ? 0 : POC_RUNTIME_STORE_RDONLY),
				  &rt, &err);
	if (status != POC_OK) {
		printf("POCMILTER UNKNOWN - %s\n", err ? err->message : poc_strerror(status));
		g_clear_error(&err);
		return POC_PAGE_UNKNOWN;
	}
	status = poc_page_check(rt, poc_now(), send_pages, FALSE, &st, &err);
	printf("%s\n", cli_tty(st.line));
	for (guint i = 0; st.conditions && i < st.conditions->len; i++)
		printf("%s\n", cli_tty(g_ptr_array_index(st.conditions, i)));
	if (status != POC_OK && st.level != POC_PAGE_UNKNOWN)
		fprintf(stderr, "pocctl: watch --page: %s\n", err ? err->message : poc_strerror(status));
	g_clear_error(&err);
	c = st.level;
	poc_page_status_clear(&st);
	poc_runtime_close(rt);
	return c;
}
