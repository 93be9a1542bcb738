/*
 * NAME
 *	log.h - messages by severity, to syslog or stderr
 * DESCRIPTION
 *	msg_info/msg_warn/msg_error report; msg_fatal reports and exits 1
 *	(the environment is wrong); msg_panic reports and aborts (our bug).
 *	Before poc_log_open() everything goes to stderr.
 * SECURITY
 *	Never pass notice text here: subjects and bodies of decrypted mail
 *	stay in memory.
 */
#ifndef POC_LOG_H
#define POC_LOG_H

#include <glib.h>

G_BEGIN_DECLS

/* facility: a syslog facility name ("mail", "local0", ...); stderr: log there instead. */
int poc_log_open(const char *ident, const char *facility, gboolean to_stderr);
int poc_log_facility_parse(const char *name);
void poc_log_set_verbose(int level);

/*
 * Lines are logfmt (pocmilter(8), LOGGING): "level=info event=NAME
 * key=value ...". A message that starts with "event=" is written as it
 * is; any other is written as msg="...". Values with spaces, quotes or
 * '=' go through poc_log_q(): quoted and escaped, in one of 8 per-thread
 * buffers (enough for one message).
 */
char *poc_log_quote(const char *s, char *out, size_t size);
const char *poc_log_q(const char *s);

void msg_info(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void msg_verbose(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void msg_warn(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void msg_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
G_NORETURN void msg_fatal(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
G_NORETURN void msg_panic(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

G_END_DECLS

#endif
