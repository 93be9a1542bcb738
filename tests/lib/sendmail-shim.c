/*
 * NAME
 *	sendmail-shim.c - LD_PRELOAD shim for the test sendmail: its log to
 *	a file, and a qualified host name
 * SYNOPSIS
 *	cc -shared -fPIC -o sendmail-shim.so sendmail-shim.c
 *	SHIM_SYSLOG_FILE=/tmp/x/maillog SHIM_HOSTNAME=sm.vendor.example \
 *	    LD_PRELOAD=./sendmail-shim.so sendmail ...
 * DESCRIPTION
 *	For the private sendmail of tests/lib/sendmail.sh, which must
 *	neither share nor change anything of the host's:
 *
 *	A container has no /dev/log (and the host's is not ours): openlog,
 *	syslog, vsyslog, closelog and the _FORTIFY_SOURCE variants Debian's
 *	sendmail calls (__syslog_chk, __vsyslog_chk) are replaced; each
 *	message is appended, with its ident and pid, as one line to
 *	SHIM_SYSLOG_FILE (O_APPEND: sendmail's forked processes share the
 *	file without mixing lines).
 *
 *	sendmail looks up its host name before it reads its .cf, and sleeps
 *	60 s at every start when that name has no dot and no dotted alias
 *	("My unqualified host name ... unknown; sleeping for retry"), Dj or
 *	confDOMAIN_NAME notwithstanding: gethostname returns SHIM_HOSTNAME.
 *
 *	Both variables are read when the library is loaded: sendmail
 *	clears its environment early. Test code only; never installed.
 * DIAGNOSTICS
 *	None: without SHIM_SYSLOG_FILE, or when it cannot be opened,
 *	messages are dropped; without SHIM_HOSTNAME the real name is given.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static const char *log_ident = "sendmail";
static char *log_path;
static char *host_name;

__attribute__((constructor)) static void
shim_init(void)
{
	const char *v;

	if ((v = getenv("SHIM_SYSLOG_FILE")) && *v)
		log_path = strdup(v);
	if ((v = getenv("SHIM_HOSTNAME")) && *v)
		host_name = strdup(v);
}

int
gethostname(char *name, size_t len)
{
	int (*real)(char *, size_t);

	if (host_name) {
		if (strlen(host_name) >= len) {
			errno = ENAMETOOLONG;
			return -1;
		}
		strcpy(name, host_name);
		return 0;
	}
	real = (int (*)(char *, size_t))dlsym(RTLD_NEXT, "gethostname");
	return real ? real(name, len) : -1;
}

void
openlog(const char *ident, int option, int facility)
{
	(void)option;
	(void)facility;
	if (ident)
		log_ident = ident;
}

void
closelog(void)
{
}

void
vsyslog(int priority, const char *format, va_list ap)
{
	char line[8192];
	int n, fd;
	time_t now = time(NULL);
	struct tm tm;

	(void)priority;
	if (!log_path)
		return;
	localtime_r(&now, &tm);
	n = (int)strftime(line, sizeof line, "%b %e %H:%M:%S ", &tm);
	n += snprintf(line + n, sizeof line - n, "%s[%ld]: ", log_ident, (long)getpid());
	if (n < (int)sizeof line)
		n += vsnprintf(line + n, sizeof line - n, format, ap);
	if (n > (int)sizeof line - 2)
		n = (int)sizeof line - 2;
	line[n++] = '\n';
	fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write(fd, line, n) < 0) {
		/* nowhere to report it */
	}
	close(fd);
}

void
syslog(int priority, const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	vsyslog(priority, format, ap);
	va_end(ap);
}

void __syslog_chk(int priority, int flag, const char *format, ...);
void __vsyslog_chk(int priority, int flag, const char *format, va_list ap);

void
__vsyslog_chk(int priority, int flag, const char *format, va_list ap)
{
	(void)flag;
	vsyslog(priority, format, ap);
}

void
__syslog_chk(int priority, int flag, const char *format, ...)
{
	va_list ap;

	(void)flag;
	va_start(ap, format);
	vsyslog(priority, format, ap);
	va_end(ap);
}
