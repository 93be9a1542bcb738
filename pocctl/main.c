/*
 * NAME
 *	pocctl - cases, acknowledgements, paging check, calendar and import
 *	for people and scripts
 * SYNOPSIS
 *	pocctl [-c FILE] VERB [ARGS]   (see pocctl(1))
 * DESCRIPTION
 *	Reading verbs (list, show, export, calendar ics) read the database
 *	without waiting for the daemon; show and export then record who read
 *	which case (read events, 512 to a write transaction; syslog authpriv
 *	for a reader who cannot write). Writing verbs (import, ack, note,
 *	close, state, statement, accept) are serialised with the daemon by
 *	LMDB's writer lock. Acknowledgements queued here are sent by the
 *	daemon's outbox. import never uses the spool (the daemon's alone):
 *	each message is filed in one write transaction from the file's bytes
 *	(poc_process_message).
 *
 *	This file holds the verb table, usage and --help, the global options
 *	(-c, --utc, --local) and main; the verbs are in the files that
 *	pocctl.h lists, one per verb group.
 * SECURITY
 *	Text read from mail (subjects, addresses, Message-IDs, problems,
 *	notes, events) is printed through poc_text_for_terminal(): control
 *	characters, escape sequences and newlines inside a field show as
 *	visible escapes, so a crafted notice cannot add, hide or recolour
 *	lines. JSON output is record.c's, every control character
 *	escaped. The file of calendar ics --output is created 0600 (0640 with a
 *	group-readable DatabaseMode).
 * DIAGNOSTICS
 *	Exit 0 on success; 1 usage or configuration error; 2 unknown id;
 *	3 database cannot be opened; 4 database of a newer schema; 5 other
 *	failures. `watch` uses the monitoring plugin codes instead.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pocctl.h"
#include "log.h"
#include "notice.h"

static const struct verb {
	const char *name;
	int (*fn)(int, char **);
	const char *usage;
	const char *help;	/* what it does, then its options: `pocctl VERB --help` */
} verbs[] = {
	{ "list", cmd_list,
	  "list [--unacked|--overdue|--open|--publishing [--days N]] [--wide] [--json]",
	  "One line per case: id, kind, received, deadline, acknowledgement, business time left;\n"
	  "80 columns (times MM-DD HH:MM), or full RFC 3339 times with --wide.\n"
	  "  --unacked      cases with a message still to acknowledge\n"
	  "  --overdue      cases past their acknowledgement deadline\n"
	  "  --open         cases not closed\n"
	  "  --publishing   cases whose publication date is within --days (default 14)\n"
	  "  --days N       with --publishing: how many days ahead\n"
	  "  --wide         full RFC 3339 times and wider columns\n"
	  "  --json         a JSON array instead of lines\n" },
	{ "show", cmd_show, "show ID [--json]",
	  "A case with its messages and its event log; the read is recorded.\n"
	  "  --json         the case as JSON, with its events\n" },
	{ "export", cmd_export, "export",
	  "Every case as one JSON object per line (NDJSON); the reads are recorded.\n" },
	{ "ack", cmd_ack, "ack ID [--template NAME | --none REASON]",
	  "Queue the acknowledgement of the case's waiting message.\n"
	  "  --template NAME  send KIND-NAME.tmpl instead of the kind's default\n"
	  "  --none REASON    record that no acknowledgement will be sent, and why\n" },
	{ "note", NULL, "note ID TEXT", "Add a note to the case's event log.\n" },
	{ "close", NULL, "close ID", "Close the case.\n" },
	{ "state", cmd_state, "state ID investigating|affected|not-affected|fixing|statement-sent|"
			      "published|closed",
	  "Set the case's state (recorded in its event log).\n" },
	{ "statement", cmd_statement, "statement ID --status affected|not-affected|"
				      "affected-investigating|none-investigating [--url URL] "
				      "[--text TEXT] [--dry-run]",
	  "Send the vendor statement (status) to the coordinator, signed and encrypted.\n"
	  "  --status S     affected, not-affected, affected-investigating, none-investigating\n"
	  "  --url URL      the vendor's advisory\n"
	  "  --text TEXT    free text of the statement\n"
	  "  --dry-run      print the statement, queue nothing\n" },
	{ "reminders", cmd_reminders, "reminders",
	  "Publication reminders due now: statement-due, publication-today, target-near.\n" },
	{ "import", cmd_import, "import PATH...",
	  "File mail that arrived while the filter was down: files, Maildirs or mboxes.\n" },
	{ "reprocess", cmd_reprocess, "reprocess ID",
	  "Read the case's messages again (after a key, rule or config was fixed).\n" },
	{ "accept", cmd_accept, "accept MESSAGE-ID|CASE",
	  "Apply the change of its case that a message claimed but could not make by itself\n"
	  "(a publication date or statement request from mail that is not fully signed).\n"
	  "With a CASE, every claim of it not yet accepted.\n" },
	{ "calendar", cmd_calendar,
	  "calendar holidays YEAR | calendar deadline TIME | calendar ics [--days N] [--output FILE]",
	  "The Japanese business calendar as configured.\n"
	  "  holidays YEAR    the year's non-business days\n"
	  "  deadline TIME    the acknowledgement deadline of a notice received at TIME\n"
	  "  ics              publication dates and deadlines as iCalendar\n"
	  "  --days N         with ics: how many days ahead\n"
	  "  --output FILE    with ics: write FILE (mode 0600) instead of standard output\n" },
	{ "check-config", cmd_check_config, "check-config",
	  "Check the configuration against this machine, as pocmilter -n does.\n" },
	{ "metrics", cmd_metrics, "metrics [--output FILE]",
	  "The database as Prometheus metrics (text format), for node_exporter's textfile\n"
	  "collector or a scrape; no notice content, counts and times only.\n"
	  "  --output FILE  write FILE (0644) by a rename, never half-written\n" },
	{ "watch", cmd_watch, "watch [--page]",
	  "Monitoring plugin: one status line with performance data; exit 0 OK, 1 WARNING,\n"
	  "2 CRITICAL, 3 UNKNOWN (--help exits 3 too, as monitoring plugins do).\n"
	  "  --page         also run PageCommand for what it finds\n" },
};

static void
print_usage(FILE *fp)
{
	fprintf(fp, "usage: pocctl [-c FILE] [--utc | --local] VERB [ARGS]\n"
		    "       pocctl --help | VERB --help | --version\n"
		    "  --utc, --local  show times in UTC or the local zone (default: Japan, +09:00)\n");
	for (size_t i = 0; i < G_N_ELEMENTS(verbs); i++)
		fprintf(fp, "  pocctl %s\n", verbs[i].usage);
}

static G_NORETURN void
usage(void)
{
	print_usage(stderr);
	exit(EXIT_USAGE);
}

/* `pocctl VERB --help`: on stdout, exit 0 (watch: 3, the plugin code for "no check made"). */
static G_NORETURN void
verb_help(const struct verb *v)
{
	printf("usage: pocctl [-c FILE] %s\n%s", v->usage, v->help);
	printf("Exit status: %s\nSee pocctl(1).\n",
	       strcmp(v->name, "watch") == 0
		       ? "0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN"
		       : "0 success, 1 usage or configuration, 2 unknown id, 3 database cannot be "
			 "opened, 4 newer schema, 5 other failure");
	exit(strcmp(v->name, "watch") == 0 ? 3 : 0);
}

static gboolean
wants_help(const char *verb, int argc, char **argv)
{
	/* A note's text may be anything: only its first word asks for help. */
	int last = strcmp(verb, "note") == 0 ? MIN(argc, 2) : argc;

	for (int i = 1; i < last; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return TRUE;
	}
	return FALSE;
}

int
main(int argc, char **argv)
{
	int i = 1;

	/* reprocess and ack decrypt notices: no core file of them. */
	if (poc_forbid_core_dumps() != 0)
		fprintf(stderr, "pocctl: cannot forbid core dumps: %s\n", g_strerror(errno));
	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
			cli_config_path = argv[i + 1];
			i += 2;
		} else if (strcmp(argv[i], "-V") == 0 || strcmp(argv[i], "--version") == 0) {
			printf("pocctl %s\n", PACKAGE_VERSION);
			return 0;
		} else if (strcmp(argv[i], "--utc") == 0) {
			cli_display_zone = g_time_zone_new_utc();
			cli_display_zone_name = "UTC";
			i++;
		} else if (strcmp(argv[i], "--local") == 0) {
			cli_display_zone = g_time_zone_new_local();
			cli_display_zone_name = "local";
			i++;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			print_usage(stdout);
			printf("Run 'pocctl VERB --help' for a verb's options; see pocctl(1).\n");
			return 0;
		} else {
			usage();
		}
	}
	if (i >= argc)
		usage();
	if (strcmp(argv[i], "help") == 0) {
		for (size_t v = 0; i + 1 < argc && v < G_N_ELEMENTS(verbs); v++)
			if (strcmp(argv[i + 1], verbs[v].name) == 0)
				verb_help(&verbs[v]);
		print_usage(stdout);
		return 0;
	}
	for (size_t v = 0; v < G_N_ELEMENTS(verbs); v++)
		if (strcmp(argv[i], verbs[v].name) == 0 && wants_help(verbs[v].name, argc - i, argv + i))
			verb_help(&verbs[v]);
	if (!cli_config_path && strcmp(argv[i], "calendar") != 0)
		cli_config_path = SYSCONFDIR "/pocmilter/pocmilter.conf";
	poc_log_open("pocctl", NULL, TRUE);	/* library messages: stderr, named pocctl */
	poc_notice_init();
	if (strcmp(argv[i], "note") == 0)
		return cmd_note_close(argc - i, argv + i, FALSE);
	if (strcmp(argv[i], "close") == 0)
		return cmd_note_close(argc - i, argv + i, TRUE);
	for (size_t v = 0; v < G_N_ELEMENTS(verbs); v++)
		if (verbs[v].fn && strcmp(argv[i], verbs[v].name) == 0)
			return verbs[v].fn(argc - i, argv + i);
	fprintf(stderr, "pocctl: unknown verb \"%s\"\n", argv[i]);
	usage();
}
