/*
 * NAME
 *	common.c - pocctl's shared helpers: dying with an exit code, the
 *	runtime, the actor, terminal-safe text, JSON, times, the read audit
 * SYNOPSIS
 *	#include "pocctl.h"
 * DESCRIPTION
 *	What two or more verb files use (pocctl.h lists it). Times for
 *	people are shown in Japan time unless --utc or --local chose another
 *	zone; JSON keeps +09:00.
 * SECURITY
 *	Every string that comes from mail or from a person's note is printed
 *	through cli_tty() (poc_text_for_terminal): control characters,
 *	escapes and newlines show as visible escapes. Reading a case is
 *	recorded (cli_audit_read): in its event log, or in syslog
 *	(authpriv) for a user who cannot write the database.
 * DIAGNOSTICS
 *	cli_die() and the helpers that call it (cli_open_runtime,
 *	cli_find_case) exit with the codes of pocctl(1): 1 usage or
 *	configuration, 2 unknown id, 3 database cannot be opened, 4 newer
 *	schema, 5 other failure. A read event that cannot be recorded is
 *	said on stderr; the read still succeeds.
 */
#include "config.h"

#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <unistd.h>

#include "pocctl.h"
#include "caserules.h"

const char *cli_config_path;

void
cli_die(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("pocctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

int
cli_exit_for(int status)
{
	switch (status) {
	case POC_ERR_NOTFOUND: return EXIT_NOTFOUND;
	case POC_ERR_DB_VERSION: return EXIT_DBVERSION;
	case POC_ERR_DB:
	case POC_ERR_PERM:
	case POC_ERR_IO: return EXIT_DB;
	case POC_ERR_CONFIG: return EXIT_USAGE;
	default: return EXIT_FAIL;
	}
}

poc_runtime *
cli_open_runtime(unsigned flags)
{
	poc_runtime *rt = NULL;
	GError *err = NULL;
	int status = poc_runtime_open(cli_config_path, flags, &rt, &err);

	/* A database that is not there is an unreadable database, not an unknown id. */
	if (status == POC_ERR_NOTFOUND)
		status = POC_ERR_DB;
	if (status != POC_OK)
		cli_die(cli_exit_for(status), "%s", err ? err->message : poc_strerror(status));
	return rt;
}

char *
cli_actor(void)
{
	struct passwd *pw = getpwuid(getuid());
	return g_strdup_printf("pocctl:%ld(%s)", (long)getuid(), pw ? pw->pw_name : "?");
}

static void
record_event(poc_runtime *rt, const char *case_id, const char *type, const char *message_id,
	     const char *detail)
{
	poc_event ev = { 0 };
	GError *err = NULL;

	ev.at = poc_now();
	ev.case_id = (char *)case_id;
	ev.type = (char *)type;
	ev.actor = cli_actor();
	ev.message_id = (char *)message_id;
	ev.detail = (char *)detail;
	if (poc_store_add_event(rt->store, &ev, &err) != POC_OK) {
		fprintf(stderr, "pocctl: cannot record the %s event: %s\n", type,
			err ? err->message : "?");
		g_clear_error(&err);
	}
	g_free(ev.actor);
}

/* Messages of a case, in order. */
GPtrArray *
cli_case_messages(poc_runtime *rt, const poc_case *c)
{
	GPtrArray *msgs = g_ptr_array_new_with_free_func((GDestroyNotify)poc_message_free);

	for (guint i = 0; c->message_ids && i < c->message_ids->len; i++) {
		poc_message *m = NULL;

		if (poc_store_get_message(rt->store, g_ptr_array_index(c->message_ids, i), &m, NULL) ==
		    POC_OK)
			g_ptr_array_add(msgs, m);
	}
	return msgs;
}

/*
 * Every string that comes from mail (or from a person's note) is printed
 * through cli_tty(): control characters, escapes and newlines inside a field
 * show as visible escapes (poc_text_for_terminal), so a crafted Subject
 * cannot add or hide lines. The copies live until cli_tty_done().
 */
static GPtrArray *tty_pool;

const char *
cli_tty(const char *s)
{
	char *r;

	if (!s)
		return NULL;
	r = poc_text_for_terminal(s);
	if (!tty_pool)
		tty_pool = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(tty_pool, r);
	return r;
}

void
cli_tty_done(void)
{
	if (tty_pool)
		g_ptr_array_set_size(tty_pool, 0);
}

void
cli_print_json(const GString *json, gboolean pretty)
{
	GString *s = g_string_sized_new(pretty ? json->len * 2 : 0);

	if (pretty)
		poc_json_pretty(json->str, json->len, s);
	puts(pretty ? s->str : json->str);
	g_string_free(s, TRUE);
}

/*
 * Times for people: Japan time by default (deadlines are Japanese business
 * days), or UTC (--utc) or the local zone (--local). RFC 3339 in full, or
 * "MM-DD HH:MM" where a table must fit 80 columns. JSON keeps +09:00.
 */
GTimeZone *cli_display_zone;	/* NULL: Japan */
const char *cli_display_zone_name = "+09:00";

char *
cli_disp_time_fmt(gint64 t, gboolean brief, char buf[POC_TIME_BUFSIZE])
{
	GDateTime *utc, *dt;
	char *s;

	if (cli_display_zone == NULL && !brief)
		return poc_time_format(t, buf);
	buf[0] = '\0';
	if (t == 0 || (utc = g_date_time_new_from_unix_utc(t)) == NULL)
		return buf;
	dt = cli_display_zone ? g_date_time_to_timezone(utc, cli_display_zone)
			  : g_date_time_add_seconds(utc, POC_JST_OFFSET);
	s = g_date_time_format(dt, brief ? "%m-%d %H:%M"
			       : cli_display_zone && g_date_time_get_utc_offset(dt) == 0 && cli_display_zone_name[0] == 'U'
				       ? "%Y-%m-%dT%H:%M:%SZ"
				       : "%Y-%m-%dT%H:%M:%S%:z");
	g_strlcpy(buf, s ? s : "", POC_TIME_BUFSIZE);
	g_free(s);
	g_date_time_unref(dt);
	g_date_time_unref(utc);
	return buf;
}

char *
cli_disp_time(gint64 t, char buf[POC_TIME_BUFSIZE])
{
	return cli_disp_time_fmt(t, FALSE, buf);
}

gint64
cli_jst_midnight(gint64 t)
{
	gint64 local = t + POC_JST_OFFSET;

	return local - (local % 86400 + 86400) % 86400 - POC_JST_OFFSET;
}

poc_case *
cli_find_case(poc_runtime *rt, const char *id)
{
	poc_case *c = NULL;
	GError *err = NULL;
	char *norm = poc_text_normalise(id);
	int status = poc_store_get_case(rt->store, norm, &c, &err);

	g_free(norm);
	if (status != POC_OK)
		cli_die(cli_exit_for(status), "%s: %s", id, err ? err->message : poc_strerror(status));
	return c;
}

/*
 * Reading a case is recorded: who read what, for the guideline's audit
 * trail. In the case's event log when this user may write the database,
 * a few hundred events per write transaction (an export of many cases
 * must not take the writer lock, and sync, once per case, nor hold it for
 * the whole export); otherwise (an operator with read access only) in
 * syslog's authpriv facility, with the uid, the verb and the cases, and a
 * note on stderr. Either way the read succeeds: never the data printed
 * and then a failure.
 */
#define AUDIT_BATCH 512

void
cli_audit_read(const char *verb, GPtrArray *case_ids)
{
	poc_runtime *rt = NULL;
	GError *err = NULL;
	poc_event *evs;
	char *who;
	gint64 now = poc_now();

	if (case_ids->len == 0)
		return;
	if (poc_runtime_open(cli_config_path, POC_RUNTIME_NO_TEMPLATES, &rt, &err) != POC_OK) {
		who = cli_actor();
		openlog("pocctl", LOG_PID, LOG_AUTHPRIV);
		for (guint i = 0; i < case_ids->len; i++)
			syslog(LOG_AUTHPRIV | LOG_NOTICE, "read verb=%s case=%s actor=%s uid=%ld", verb,
			       (char *)g_ptr_array_index(case_ids, i), who, (long)getuid());
		closelog();
		fprintf(stderr, "pocctl: this read is recorded in syslog (authpriv), not in the "
				"database, which uid %ld cannot write (%s)\n",
			(long)getuid(), err ? err->message : "?");
		g_clear_error(&err);
		g_free(who);
		return;
	}
	if (case_ids->len == 1) {
		record_event(rt, g_ptr_array_index(case_ids, 0), poc_event_name(POC_EV_READ), NULL,
			     verb);
		poc_runtime_close(rt);
		return;
	}
	who = cli_actor();
	evs = g_new0(poc_event, AUDIT_BATCH);
	for (guint i = 0; i < case_ids->len; i += AUDIT_BATCH) {
		guint n = MIN(AUDIT_BATCH, case_ids->len - i);

		for (guint j = 0; j < n; j++)
			evs[j] = (poc_event){ .at = now, .case_id = g_ptr_array_index(case_ids, i + j),
					      .type = (char *)poc_event_name(POC_EV_READ),
					      .actor = who, .detail = (char *)verb };
		if (poc_store_add_events(rt->store, evs, n, &err) != POC_OK) {
			fprintf(stderr, "pocctl: cannot record the read events: %s\n",
				err ? err->message : "?");
			g_clear_error(&err);
		}
	}
	g_free(evs);
	g_free(who);
	poc_runtime_close(rt);
}
