/*
 * NAME
 *	outbox.h - handing acknowledgements to the MTA, once
 * DESCRIPTION
 *	An entry is marked SENDING (committed) before the command runs and
 *	SENT after it exits 0, so an entry is never handed over twice by
 *	us: one left SENDING by a crash has an unknown outcome. The MTA
 *	passes our acknowledgement through pocmilter (non_smtpd_milters),
 *	which recognises its fixed Message-ID and records it as sent
 *	(poc_outbox_seen); one still unresolved after a grace time is
 *	paged, never resent by guess.
 *
 *	A failed send goes back to QUEUED with a back-off (AckRetry,
 *	doubling up to an hour), for ever: paging tells people.
 */
#ifndef POC_OUTBOX_H
#define POC_OUTBOX_H

#include "conf.h"
#include "store.h"

G_BEGIN_DECLS

/* Run the sendmail-compatible command with payload on stdin; sender: "-f sender" is added. */
int poc_outbox_exec(const char *command, const char *sender, GBytes *payload, char **diagnostic);

/* Send every due entry; returns how many were sent in *sent. */
int poc_outbox_run(poc_store *store, const poc_config *cfg, int *sent, GError **error);

/* Our own acknowledgement passed through the MTA: mark its entry sent. */
int poc_outbox_seen(poc_store *store, const char *message_id);

G_END_DECLS

#endif
