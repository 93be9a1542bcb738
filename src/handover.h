/*
 * NAME
 *	handover.h - handing a message to the MTA: AckSmtp or AckSendmail
 * DESCRIPTION
 *	The one way our mail (acknowledgements, page mail) reaches the MTA:
 *	over SMTP to AckSmtp when it is set (envelope sender AckFrom), else
 *	by running AckSendmail with "-f AckFrom" and the message on stdin.
 *	A poc_handover is one round: its SMTP connection is opened at the
 *	first message, carries the others, and is closed by
 *	poc_handover_free(); after a failed message the next one opens a
 *	new connection (the session is in an unknown state).
 *
 *	Both ways are bounded by POC_SENDMAIL_TIMEOUT: a sendmail that hangs
 *	is killed, an SMTP read or write that hangs times out. A message
 *	handed to a sendmail killed on timeout may still have been queued;
 *	the caller decides (the outbox waits for the milter to see it).
 * ERRORS
 *	POC_OK (sendmail exited 0; SMTP 250 after the data); POC_ERR_TEMP
 *	(EX_TEMPFAIL, timeout, a 4xx reply, a connection failure) or
 *	POC_ERR_SEND (anything else), with *diagnostic to free;
 *	POC_ERR_CONFIG when AckSendmail cannot be split into words.
 */
#ifndef POC_HANDOVER_H
#define POC_HANDOVER_H

#include "conf.h"

G_BEGIN_DECLS

#define POC_SENDMAIL_TIMEOUT 120	/* seconds */

typedef struct poc_handover poc_handover;

/* A round of hand-overs with cfg (which must outlive it). */
poc_handover *poc_handover_new(const poc_config *cfg);
/* One message for rcpt. */
int poc_handover_send(poc_handover *h, const char *rcpt, GBytes *payload, char **diagnostic);
/* Ends the round (QUIT on its SMTP connection); NULL is fine. */
void poc_handover_free(poc_handover *h);

/* A round of one message. */
int poc_handover_submit(const poc_config *cfg, const char *rcpt, GBytes *payload,
			char **diagnostic);

/*
 * Run the sendmail-compatible command with payload on stdin; sender: "-f
 * sender" is added (shell-quoted, but run without a shell).
 */
int poc_handover_sendmail(const char *command, const char *sender, GBytes *payload,
			  char **diagnostic);

G_END_DECLS

#endif
