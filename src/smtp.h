/*
 * NAME
 *	smtp.h - handing mail to the local MTA over SMTP (AckSmtp)
 * DESCRIPTION
 *	A plain SMTP client for one purpose: giving our acknowledgements and
 *	page mails to the MTA on this host (or a submission port) without a
 *	sendmail and a postdrop process per message. One connection carries
 *	any number of messages, one after the other; the outbox opens it for
 *	a round and closes it (QUIT) at the end.
 *
 *	No TLS and no AUTH: it is meant for the MTA on this host
 *	(127.0.0.1:25, or a submission port) that relays for it.
 * ERRORS
 *	POC_ERR_TEMP: a 4xx reply, a connection or I/O failure, a timeout
 *	(the message may be retried); POC_ERR_SEND: a 5xx reply. *diagnostic
 *	says which command got which reply.
 */
#ifndef POC_SMTP_H
#define POC_SMTP_H

#include <glib.h>

G_BEGIN_DECLS

typedef struct poc_smtp poc_smtp;

/* HOST:PORT (port 25 when left out); timeout in seconds per read or write. */
int poc_smtp_open(const char *hostport, guint timeout, poc_smtp **out, char **diagnostic);

/*
 * One message: MAIL FROM:<from>, RCPT TO:<rcpt>, DATA with payload (LF
 * or CRLF line ends; dot-stuffed here). POC_OK once the MTA answered 250
 * after the final dot. After an error the connection is unusable: close it.
 */
int poc_smtp_send(poc_smtp *s, const char *from, const char *rcpt, GBytes *payload,
		  char **diagnostic);

/* QUIT (best effort) and free; NULL is fine. */
void poc_smtp_close(poc_smtp *s);

/* Validate HOST:PORT for the configuration; NULL when fine, else why (to free). */
char *poc_smtp_check_address(const char *hostport);

G_END_DECLS

#endif
