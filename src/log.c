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

static void vlog(int priority, const char *tag, const char *fmt, va_list ap) G_GNUC_PRINTF(3, 0);

static void
vlog(int priority, const char *tag, const char *fmt, va_list ap)
{
	char buf[2048];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	/* One line per message: a CR or LF must not start a forged line. */
	for (char *p = buf; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	if (use_syslog)
		syslog(priority, "%s%s", tag, buf);
	else
		fprintf(stderr, "%s: %s%s\n", log_ident, tag, buf);
}

#define LOG_FUNC(name, prio, tag)               \
	void name(const char *fmt, ...)         \
	{                                       \
		va_list ap;                     \
		va_start(ap, fmt);              \
		vlog(prio, tag, fmt, ap);       \
		va_end(ap);                     \
	}

LOG_FUNC(msg_info, LOG_INFO, "")
LOG_FUNC(msg_warn, LOG_WARNING, "warning: ")
LOG_FUNC(msg_error, LOG_ERR, "error: ")

void
msg_verbose(const char *fmt, ...)
{
	va_list ap;

	if (verbose_level <= 0)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, "", fmt, ap);
	va_end(ap);
}

void
msg_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, "fatal: ", fmt, ap);
	va_end(ap);
	exit(1);
}

void
msg_panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, "panic: ", fmt, ap);
	va_end(ap);
	abort();
}
