/*
 * NAME
 *	pocctl.h - what pocctl's verb files share: exit codes, the
 *	configuration path, the display zone, output and runtime helpers
 * DESCRIPTION
 *	pocctl is one file per verb group, each a thing that can be
 *	summarised in one line:
 *	main.c      the verb table, usage and --help, global options, main;
 *	common.c    the helpers below (used by two or more verb files);
 *	read.c      the reading verbs: list, show, export, reminders;
 *	write.c     the writing verbs on one case: note, close, ack,
 *	            accept, state, statement, reprocess;
 *	import.c    import (files, Maildirs, mboxes; its own parsing);
 *	cal.c       calendar (holidays, deadline, ics) and check-config:
 *	            the configuration and calendar, most without a store
 *	            (not calendar.c: that is the library's, src/calendar.c);
 *	watch.c     watch and metrics: what monitoring runs, on a timer.
 *	The verbs' entry points (cmd_*) are called from main.c's table only;
 *	what one file alone uses stays static in it.
 *
 *	The shared names carry the prefix cli_: pocctl links libpoc and
 *	shared libraries (GLib, GMime, GPGME), and a global named tty or die
 *	in the program would interpose on any library symbol of that name.
 * SECURITY
 *	Text read from mail is printed through cli_tty() (visible escapes
 *	for control characters); see main.c.
 * DIAGNOSTICS
 *	cli_die() prints "pocctl: " and the message on stderr and exits with
 *	the code given; cli_exit_for() maps a POC_ERR_* status to the exit
 *	codes below (pocctl(1)).
 */
#ifndef POCCTL_H
#define POCCTL_H

#include <stdio.h>

#include <glib.h>

#include "runtime.h"

enum { EXIT_USAGE = 1, EXIT_NOTFOUND = 2, EXIT_DB = 3, EXIT_DBVERSION = 4, EXIT_FAIL = 5 };

/* -c FILE; NULL until main sets the default (calendar works without one). */
extern const char *cli_config_path;

/* --utc, --local: the zone times are shown in; NULL is Japan (+09:00). */
extern GTimeZone *cli_display_zone;
extern const char *cli_display_zone_name;

/* cli_die - say "pocctl: MESSAGE" on stderr and exit with code */
G_NORETURN void cli_die(int code, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* cli_exit_for - the exit code of a POC_ERR_* status */
int cli_exit_for(int status);
/* cli_open_runtime - open the runtime of cli_config_path with flags, or die */
poc_runtime *cli_open_runtime(unsigned flags);
/* cli_actor - "pocctl:UID(NAME)", who did it, for events (free it) */
char *cli_actor(void);
/* cli_case_messages - the case's messages, in order (unref the array) */
GPtrArray *cli_case_messages(poc_runtime *rt, const poc_case *c);
/* cli_tty - s made safe for a terminal; lives until cli_tty_done() */
const char *cli_tty(const char *s);
/* cli_tty_done - free what cli_tty() returned */
void cli_tty_done(void);
/* cli_print_json - one JSON text and a newline on stdout, pretty or compact */
void cli_print_json(const GString *json, gboolean pretty);
/* cli_disp_time_fmt - t in the display zone, in full or brief (MM-DD HH:MM) */
char *cli_disp_time_fmt(gint64 t, gboolean brief, char buf[POC_TIME_BUFSIZE]);
/* cli_disp_time - t in the display zone, RFC 3339 */
char *cli_disp_time(gint64 t, char buf[POC_TIME_BUFSIZE]);
/* cli_jst_midnight - the start of the Japan day of t */
gint64 cli_jst_midnight(gint64 t);
/* cli_find_case - the case of a tracking number or case id, or die */
poc_case *cli_find_case(poc_runtime *rt, const char *id);
/* cli_audit_read - record that this user read these cases (db or syslog) */
void cli_audit_read(const char *verb, GPtrArray *case_ids);

/* The verbs: argv[0] is the verb (main.c's table). */
int cmd_list(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_reminders(int argc, char **argv);
int cmd_note_close(int argc, char **argv, gboolean closing);
int cmd_ack(int argc, char **argv);
int cmd_accept(int argc, char **argv);
int cmd_state(int argc, char **argv);
int cmd_statement(int argc, char **argv);
int cmd_reprocess(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_calendar(int argc, char **argv);
int cmd_check_config(int argc, char **argv);
int cmd_metrics(int argc, char **argv);
int cmd_watch(int argc, char **argv);

#endif
