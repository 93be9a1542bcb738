/*
 * NAME
 *	log.c - messages by severity, to syslog or stderr
 * DESCRIPTION
 *	The small layer of Postfix's msg(3): one function per severity.
 *	In the foreground (or before poc_log_open) lines go to stderr with
 *	the program name and severity; otherwise to syslog. Thread-safe:
 *	each message is written with one call.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "log.h"
#include "poc.h"

static gboolean use_syslog;
static const char *log_ident = "pocmilter";
static int verbose_level;

static const struct {
	const char *name;
	int facility;
} facilities[] = {
	{ "mail", LOG_MAIL },	  { "daemon", LOG_DAEMON }, { "user", LOG_USER },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 },
	{ "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

int
poc_log_facility_parse(const char *name)
{
	for (size_t i = 0; i < G_N_ELEMENTS(facilities); i++)
		if (strcasecmp(name, facilities[i].name) == 0)
			return facilities[i].facility;
	return -1;
}

int
poc_log_open(const char *ident, const char *facility, gboolean to_stderr)
{
	int fac = facility ? poc_log_facility_parse(facility) : LOG_MAIL;

	if (fac < 0)
		return -1;
	log_ident = ident;
	use_syslog = !to_stderr;
	if (use_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, fac);
	return 0;
}

void
poc_log_set_verbose(int level)
{
	verbose_level = level;
}

/*
 * A value as logfmt writes it: bare when it is one word of printable
 * ASCII without '"', '=' or '\\', else in double quotes with '"' and '\\'
 * escaped. Into out, at most size bytes with the NUL; returns out.
 */
char *
poc_log_quote(const char *s, char *out, size_t size)
{
	gboolean bare = s && *s;
	size_t n = 0;

	if (size == 0)
		return out;
	if (!s)
		s = "";
	for (const char *p = s; *p && bare; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f || *p == '"' || *p == '=' ||
		    *p == '\\')
			bare = FALSE;
	if (bare) {
		g_strlcpy(out, s, size);
		return out;
	}
	out[n++] = '"';
	for (const char *p = s; *p && n + 3 < size; p++) {
		if (*p == '"' || *p == '\\')
			out[n++] = '\\';
		out[n++] = *p;
	}
	if (n < size - 1)
		out[n++] = '"';
	out[n] = '\0';
	return out;
}

const char *
poc_log_q(const char *s)
{
	/* A few per message, per thread: the caller formats them into one line. */
	static GPrivate ring_key = G_PRIVATE_INIT(g_free);
	struct ring { int next; char buf[8][1024]; } *r = g_private_get(&ring_key);

	if (!r) {
		r = g_new0(struct ring, 1);
		g_private_set(&ring_key, r);
	}
	r->next = (r->next + 1) % 8;
	return poc_log_quote(s, r->buf[r->next], sizeof r->buf[0]);
}

static void vlog(int priority, const char *level, const char *fmt, va_list ap) G_GNUC_PRINTF(3, 0);

/*
 * One logfmt line: level=LEVEL, then the message when it is logfmt already
 * (it starts with "event="), else msg="the message". On stderr a time=
 * (RFC 3339, Japan time) comes first; syslog stamps its own.
 */
static void
vlog(int priority, const char *level, const char *fmt, va_list ap)
{
	char buf[2048], quoted[2100];
	const char *body = buf;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	/* One line per message: a CR or LF must not start a forged line. */
	for (char *p = buf; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	if (!g_str_has_prefix(buf, "event=")) {
		memcpy(quoted, "msg=", 4);
		poc_log_quote(buf, quoted + 4, sizeof quoted - 4);
		body = quoted;
	}
	if (use_syslog) {
		syslog(priority, "level=%s %s", level, body);
	} else {
		char t[POC_TIME_BUFSIZE];

		fprintf(stderr, "%s: time=%s level=%s %s\n", log_ident,
			poc_time_format(g_get_real_time() / G_USEC_PER_SEC, t), level, body);
	}
}

#define LOG_FUNC(name, prio, tag)               \
	void name(const char *fmt, ...)         \
	{                                       \
		va_list ap;                     \
		va_start(ap, fmt);              \
		vlog(prio, tag, fmt, ap);       \
		va_end(ap);                     \
	}

LOG_FUNC(msg_info, LOG_INFO, "info")
LOG_FUNC(msg_warn, LOG_WARNING, "warning")
LOG_FUNC(msg_error, LOG_ERR, "error")

void
msg_verbose(const char *fmt, ...)
{
	va_list ap;

	if (verbose_level <= 0)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, "debug", fmt, ap);
	va_end(ap);
}

void
msg_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, "fatal", fmt, ap);
	va_end(ap);
	exit(1);
}

void
msg_panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, "panic", fmt, ap);
	va_end(ap);
	abort();
}
