/*
 * NAME
 *	outbox.h - handing acknowledgements to the MTA, once
 * DESCRIPTION
 *	An entry is marked SENDING (committed) before the command runs and
 *	SENT after it exits 0, so an entry is never handed over twice by
 *	us: one left SENDING by a crash has an unknown outcome. The MTA
 *	passes our acknowledgement through pocmilter (postfix: smtpd_milters
 *	or non_smtpd_milters; sendmail: its daemon's filters, also for what
 *	its MSP submits), which recognises its fixed Message-ID and records it as sent
 *	(poc_outbox_seen); one still unresolved after a grace time is
 *	marked FAILED (poc_outbox_recover) and paged, never resent by guess.
 *
 *	A failed send goes back to QUEUED with a back-off (AckRetry,
 *	doubling up to an hour), for ever: paging tells people.
 */
#ifndef POC_OUTBOX_H
#define POC_OUTBOX_H

#include "conf.h"
#include "store.h"

G_BEGIN_DECLS

/*
 * Send every due entry; returns how many were sent in *sent. Each entry
 * is claimed (QUEUED -> SENDING) atomically in the store; a failure is
 * recorded as an ack-send-failed event and retried after the back-off.
 */
int poc_outbox_run(poc_store *store, const poc_config *cfg, int *sent, GError **error);
/* Seconds to wait after attempt n failed: AckRetry, doubling, at most an hour. */
gint64 poc_outbox_backoff(gint64 retry, int attempts);

/*
 * Entries left SENDING by a process that stopped while AckSendmail ran:
 * those claimed more than grace seconds before now are marked FAILED
 * (last_error says why, an ack-outcome-unknown event is recorded, the
 * message's ack_state becomes failed, for paging); younger ones keep
 * waiting for evidence. Never resent. Call it only when this process is
 * not itself sending. at_start: log the ones still waiting.
 */
#define POC_OUTBOX_GRACE 600
int poc_outbox_recover(poc_store *store, gint64 now, gint64 grace, gboolean at_start, int *failed,
		       GError **error);

/*
 * Our own acknowledgement passed through the MTA (the milter saw its
 * Message-ID): mark its SENDING entry sent, or a FAILED one whose outcome
 * was unknown. POC_ERR_NOTFOUND: not one of ours waiting for evidence.
 */
int poc_outbox_seen(poc_store *store, const char *message_id);

G_END_DECLS

#endif
