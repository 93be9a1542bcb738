/*
 * NAME
 *	cal.c - pocctl calendar (holidays, deadline, ics) and
 *	check-config
 * SYNOPSIS
 *	pocctl calendar holidays YEAR | calendar deadline TIME
 *	pocctl calendar ics [--days N] [--output FILE]
 *	pocctl check-config
 * DESCRIPTION
 *	The configuration and the Japanese business calendar built from it:
 *	holidays and deadline need no database (nor a configuration file
 *	without -c); ics reads the open cases and acknowledgements
 *	read-only and writes publication dates, statement and 45-day
 *	targets and acknowledgement deadlines as iCalendar. check-config
 *	runs pocmilter -n's checks.
 * SECURITY
 *	Tracking numbers and publication dates are confidential: an ics
 *	--output file is made 0600 (0640 when DatabaseMode lets a group
 *	read), whatever the umask, and replaced, not written through.
 * DIAGNOSTICS
 *	Exit 1 for a usage or configuration error (check-config: each error
 *	on stderr), codes of pocctl(1) otherwise.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pocctl.h"
#include "ics.h"
#include "preflight.h"
#include "publication.h"

/* --- calendar / check-config ---------------------------------------------------- */

typedef struct ics_ctx {
	const poc_calendar *cal;
	GString *out;
	gint64 now, from, until;
	const char *domain;
	int events;
} ics_ctx;

static void
ics_add(ics_ctx *ic, const char *what, const char *id, gint64 at, gboolean all_day,
	const char *summary, const char *description)
{
	char *uid, *safe;
	poc_ics_event ev = { 0 };

	if (at < ic->from || at > ic->until)
		return;
	safe = g_strdup(id);
	g_strcanon(safe, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.", '-');
	uid = g_strdup_printf("%s-%s@%s", what, safe, ic->domain);
	ev.uid = uid;
	ev.stamp = ic->now;
	ev.at = at;
	ev.all_day = all_day;
	ev.summary = summary;
	ev.description = description;
	ev.categories = what;
	poc_ics_event_write(ic->out, &ev);
	ic->events++;
	g_free(uid);
	g_free(safe);
}

static int
ics_case(poc_case *c, void *data)
{
	ics_ctx *ic = data;
	char buf[POC_TIME_BUFSIZE], *summary, *desc;
	gboolean open = g_strcmp0(c->state, "closed") != 0;
	gint64 pub = c->publication_date;

	if (!open)
		return 0;
	desc = g_strdup_printf("case %s, state %s, statement %s", c->id, c->state ? c->state : "-",
			       poc_statement_state_name(c->statement_state));
	if (pub) {
		/* a date without a time (00:00 Japan time) is an all-day event */
		gboolean date_only = (pub + POC_JST_OFFSET) % 86400 == 0;

		summary = g_strdup_printf("Publication: %s", c->id);
		ics_add(ic, "publication", c->id, pub, date_only, summary, desc);
		g_free(summary);
		if (c->statement_state != POC_STATEMENT_SENT &&
		    g_strcmp0(c->state, "statement-sent") != 0 && g_strcmp0(c->state, "published") != 0) {
			gint64 last = poc_statement_deadline(ic->cal, pub);

			summary = g_strdup_printf("Vendor statement due: %s (publication %.10s)", c->id,
						  poc_time_format(pub, buf));
			if (last > 0)
				ics_add(ic, "statement", c->id, last, TRUE, summary, desc);
			g_free(summary);
		}
	}
	if (g_strcmp0(c->state, "published") != 0) {
		summary = g_strdup_printf("45-day target: %s", c->id);
		ics_add(ic, "target", c->id, poc_case_target(c), TRUE, summary, desc);
		g_free(summary);
	}
	g_free(desc);
	return 0;
}

static int
ics_ack(poc_message *m, void *data)
{
	ics_ctx *ic = data;
	char *summary, *id;

	if (!m->ack_deadline)
		return 0;
	summary = g_strdup_printf("Acknowledgement due: %s", m->case_id ? m->case_id : "-");
	id = g_compute_checksum_for_string(G_CHECKSUM_SHA256, m->message_id ? m->message_id : "",
					   -1);
	id[16] = '\0';
	ics_add(ic, "ack", id, m->ack_deadline, FALSE, summary, NULL);
	g_free(id);
	g_free(summary);
	return 0;
}

/* pocctl calendar ics [--days N] [--output FILE] */
static int
cmd_calendar_ics(int argc, char **argv)
{
	static const struct option opts[] = { { "days", required_argument, NULL, 'd' },
					      { "output", required_argument, NULL, 'o' },
					      { NULL, 0, NULL, 0 } };
	const char *output = NULL;
	long days = 90;
	char *end;
	int ch, status;
	poc_runtime *rt;
	ics_ctx ic = { 0 };
	GError *err = NULL;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			days = strtol(optarg, &end, 10);
			if (*end || days < 0 || days > 3660)
				cli_die(EXIT_USAGE, "calendar ics --days: a number of days (0-3660)");
			break;
		case 'o': output = optarg; break;
		default: cli_die(EXIT_USAGE, "usage: pocctl calendar ics [--days N] [--output FILE]");
		}
	}
	if (optind != argc)
		cli_die(EXIT_USAGE, "usage: pocctl calendar ics [--days N] [--output FILE]");
	if (!cli_config_path)
		cli_config_path = SYSCONFDIR "/pocmilter/pocmilter.conf";
	rt = cli_open_runtime(POC_RUNTIME_STORE_RDONLY | POC_RUNTIME_NO_TEMPLATES);
	ic.cal = rt->cal;
	ic.out = g_string_new(NULL);
	ic.now = poc_now();
	ic.from = cli_jst_midnight(ic.now);
	ic.until = ic.now + (gint64)days * 86400;
	ic.domain = rt->cfg->ack_from && strchr(rt->cfg->ack_from, '@')
			    ? strchr(rt->cfg->ack_from, '@') + 1
			    : POC_INVALID_DOMAIN;
	poc_ics_begin(ic.out, "pocmilter deadlines");
	status = poc_store_foreach_case(rt->store, ics_case, &ic, &err);
	if (status == POC_OK)
		status = poc_store_foreach_open_ack(rt->store, ics_ack, &ic, &err);
	if (status != POC_OK)
		cli_die(cli_exit_for(status), "%s", err ? err->message : poc_strerror(status));
	poc_ics_end(ic.out);
	if (output) {
		/*
		 * Tracking numbers and publication dates are confidential: the file
		 * is made 0600 (0640 when DatabaseMode lets a group read), whatever
		 * the umask allows, and replaces what was there (not written through).
		 */
		mode_t mode = 0600 | (rt->cfg->database_mode & 0040);

		if (!g_file_set_contents_full(output, ic.out->str, (gssize)ic.out->len,
					      G_FILE_SET_CONTENTS_CONSISTENT, (int)mode, &err))
			cli_die(EXIT_FAIL, "%s", err->message);
		fprintf(stderr, "pocctl: %s: %d events\n", output, ic.events);
	} else {
		fwrite(ic.out->str, 1, ic.out->len, stdout);
	}
	g_string_free(ic.out, TRUE);
	poc_runtime_close(rt);
	return 0;
}

int
cmd_calendar(int argc, char **argv)
{
	poc_config *cfg = NULL;
	poc_calendar *cal = NULL;
	GError *err = NULL;
	int status;

	if (argc >= 2 && strcmp(argv[1], "ics") == 0)
		return cmd_calendar_ics(argc - 1, argv + 1);
	if (cli_config_path)
		status = poc_config_load(cli_config_path, &cfg, &err);
	else
		cfg = poc_config_new(), status = POC_OK;
	if (status != POC_OK || poc_runtime_calendar(cfg, &cal, &err) != POC_OK)
		cli_die(EXIT_USAGE, "%s", err ? err->message : "?");
	if (argc == 3 && strcmp(argv[1], "holidays") == 0) {
		char *end;
		long year = strtol(argv[2], &end, 10);
		poc_holiday hs[POC_HOLIDAYS_MAX];
		int n;

		if (*end || year < 1948 || year > 2099)
			cli_die(EXIT_USAGE, "calendar holidays: YEAR from 1948 to 2099");
		/* National holidays, as the site sees them (its holiday file's corrections). */
		n = poc_calendar_holidays_of_year(cal, (int)year, hs, G_N_ELEMENTS(hs));
		for (int i = 0; i < n && i < (int)G_N_ELEMENTS(hs); i++)
			printf("%04ld-%02d-%02d\t%s\n", year, hs[i].month, hs[i].day, hs[i].name);
	} else if (argc == 3 && strcmp(argv[1], "deadline") == 0) {
		gint64 t = poc_time_parse(argv[2]);
		char buf[POC_TIME_BUFSIZE];

		if (t < 0)
			cli_die(EXIT_USAGE, "calendar deadline: \"%s\" is not an RFC 3339 time", argv[2]);
		puts(poc_time_format(poc_calendar_ack_deadline(cal, t), buf));
	} else {
		cli_die(EXIT_USAGE, "usage: pocctl calendar holidays YEAR | calendar deadline RFC3339-TIME | "
				"calendar ics [--days N] [--output FILE]");
	}
	poc_calendar_free(cal);
	poc_config_free(cfg);
	return 0;
}

int
cmd_check_config(int argc, char **argv)
{
	poc_runtime *rt = NULL;
	GError *err = NULL;
	const char *path = cli_config_path ? cli_config_path : SYSCONFDIR "/pocmilter/pocmilter.conf";

	poc_check check;
	int errors;

	if (poc_runtime_open(path, POC_RUNTIME_NO_STORE, &rt, &err) != POC_OK ||
	    poc_config_validate(rt->cfg, &err) != POC_OK) {
		fprintf(stderr, "pocctl: %s\n", err->message);
		g_error_free(err);
		poc_runtime_close(rt);
		return EXIT_USAGE;
	}
	poc_check_init(&check);
	errors = poc_check_config(rt->cfg, &check);
	for (guint i = 0; i < check.errors->len; i++)
		fprintf(stderr, "pocctl: %s\n", (char *)g_ptr_array_index(check.errors, i));
	for (guint i = 0; i < check.warnings->len; i++)
		fprintf(stderr, "pocctl: warning: %s\n", (char *)g_ptr_array_index(check.warnings, i));
	poc_check_clear(&check);
	if (errors > 0) {
		poc_runtime_close(rt);
		return EXIT_USAGE;
	}
	printf("%s: OK\n", path);
	poc_runtime_close(rt);
	return 0;
}
