/*
 * NAME
 *	outbox.c - handing acknowledgements to the MTA, once
 * DESCRIPTION
 *	See outbox.h for the state machine. A round's entries are handed to
 *	the MTA through one poc_handover (handover.c: AckSmtp over one SMTP
 *	connection, else AckSendmail per entry). Success marks the entry
 *	SENT; any failure (EX_TEMPFAIL included) puts it back in the queue
 *	with the back-off, its diagnostic kept as last_error. A sendmail
 *	killed on timeout may still have queued the mail: the milter's sight
 *	of our Message-ID decides (an entry seen passing the MTA is sent,
 *	and is never sent again).
 */
#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "caserules.h"
#include "handover.h"
#include "log.h"
#include "outbox.h"

#define MAX_BACKOFF 3600

/* The back-off after attempt n (1, 2, ...): AckRetry doubled, at most an hour. */
gint64
poc_outbox_backoff(gint64 retry, int attempts)
{
	gint64 delay = retry > 0 ? retry : 60;

	for (int i = 1; i < attempts && delay < MAX_BACKOFF; i++)
		delay *= 2;
	return MIN(delay, MAX_BACKOFF);
}

/* Wall time with microseconds, RFC 3339 in Japan time, for the latency figures (bench/bench_ack.sh). */
static const char *
handed_at(char buf[48])
{
	gint64 us = g_get_real_time();
	char t[POC_TIME_BUFSIZE];

	poc_time_format(us / G_USEC_PER_SEC, t);
	/* "2026-11-30T19:00:00+09:00" -> "2026-11-30T19:00:00.123456+09:00" */
	g_snprintf(buf, 48, "%.19s.%06d%s", t, (int)(us % G_USEC_PER_SEC), t + 19);
	return buf;
}

int
poc_outbox_run(poc_store *store, const poc_config *cfg, int *sent, GError **error)
{
	poc_outbox_entry *e = NULL;
	poc_handover *h = poc_handover_new(cfg);
	int status;

	*sent = 0;
	/* The claim marks the entry SENDING in the same transaction that finds it. */
	while ((status = poc_store_outbox_claim(store, poc_now(), &e, error)) == POC_OK) {
		char *diag = NULL;
		int rc;

		rc = poc_handover_send(h, e->recipient, e->payload, &diag);
		if (rc == POC_OK) {
			e->state = POC_OUTBOX_SENT;
			e->sent_at = poc_now();
			g_clear_pointer(&e->last_error, g_free);
			(*sent)++;
			char hbuf[48];

			msg_info("event=ack-sent case=%s ack=%s to=%s attempt=%d handed_at=%s",
				 poc_log_q(e->case_id ? e->case_id : "-"), poc_log_q(e->ack_message_id),
				 poc_log_q(e->recipient), e->attempts, handed_at(hbuf));
			status = poc_store_outbox_update(store, e, error);
			if (status == POC_ERR_EXISTS) {
				/* The milter saw it pass the MTA before the command returned. */
				g_clear_error(error);
				status = POC_OK;
			}
		} else {
			gint64 delay = poc_outbox_backoff(cfg->ack_retry, e->attempts);
			char detail[512];
			poc_event ev = { .type = (char *)poc_event_name(POC_EV_ACK_SEND_FAILED),
					 .actor = "pocmilter", .detail = detail };

			e->state = POC_OUTBOX_QUEUED;
			e->next_attempt_at = poc_now() + delay;
			g_free(e->last_error);
			e->last_error = diag;
			diag = NULL;
			g_snprintf(detail, sizeof(detail),
				   "outbox %" G_GUINT64_FORMAT " attempt %d: %s; retry in %" G_GINT64_FORMAT "s",
				   e->id, e->attempts, e->last_error, delay);
			msg_warn("event=ack-send-failed case=%s ack=%s attempt=%d retry_in=%" G_GINT64_FORMAT
				 "s error=%s",
				 poc_log_q(e->case_id ? e->case_id : "-"), poc_log_q(e->ack_message_id),
				 e->attempts, delay, poc_log_q(e->last_error));
			status = poc_store_outbox_update_event(store, e, &ev, error);
		}
		g_free(diag);
		poc_outbox_entry_free(e);
		e = NULL;
		if (status != POC_OK)
			break;
	}
	poc_handover_free(h);
	if (status == POC_ERR_NOTFOUND) {
		g_clear_error(error);
		return POC_OK;
	}
	return status;
}

int
poc_outbox_recover(poc_store *store, gint64 now, gint64 grace, gboolean at_start, int *failed,
		   GError **error)
{
	GPtrArray *list = g_ptr_array_new_with_free_func((GDestroyNotify)poc_outbox_entry_free);
	int status;

	*failed = 0;
	if ((status = poc_store_outbox_list(store, POC_OUTBOX_SENDING, list, error)) != POC_OK)
		goto out;
	for (guint i = 0; i < list->len; i++) {
		poc_outbox_entry *e = g_ptr_array_index(list, i);
		char since[POC_TIME_BUFSIZE], detail[512];
		poc_event ev = { .type = (char *)poc_event_name(POC_EV_ACK_OUTCOME_UNKNOWN),
				 .actor = "pocmilter", .detail = detail };

		poc_time_format(e->next_attempt_at, since);
		if (now - e->next_attempt_at < grace) {
			if (at_start)
				msg_warn("event=ack-outcome-unknown case=%s ack=%s since=%s detail=\"it was "
					 "being handed to the MTA when the daemon stopped: waiting for the "
					 "MTA to show it\"",
					 poc_log_q(e->case_id ? e->case_id : "-"), poc_log_q(e->ack_message_id),
					 poc_log_q(since));
			continue;
		}
		e->state = POC_OUTBOX_FAILED;
		g_free(e->last_error);
		e->last_error = g_strdup_printf(
			"outcome unknown: handed to AckSendmail at %s, the daemon stopped before it "
			"returned, and the MTA has not passed Message-ID %s through the milter "
			"since; not resent (check the mail log, then pocctl ack)",
			since, e->ack_message_id);
		g_snprintf(detail, sizeof(detail), "outbox %" G_GUINT64_FORMAT ": %s", e->id,
			   e->last_error);
		msg_error("event=ack-failed case=%s ack=%s error=%s",
			  poc_log_q(e->case_id ? e->case_id : "-"), poc_log_q(e->ack_message_id),
			  poc_log_q(e->last_error));
		status = poc_store_outbox_update_event(store, e, &ev, error);
		if (status == POC_ERR_EXISTS) {
			/* Seen (and so sent) meanwhile. */
			g_clear_error(error);
			status = POC_OK;
			continue;
		}
		if (status != POC_OK)
			goto out;
		(*failed)++;
	}
out:
	g_ptr_array_free(list, TRUE);
	return status;
}

int
poc_outbox_seen(poc_store *store, const char *message_id)
{
	GPtrArray *list = g_ptr_array_new_with_free_func((GDestroyNotify)poc_outbox_entry_free);
	poc_outbox_entry *e = NULL;
	poc_event ev = { .type = (char *)poc_event_name(POC_EV_ACK_EVIDENCE),
			 .actor = "pocmilter",
			 .detail = "seen passing through the MTA's filter (pocmilter)" };
	int status;

	if (!message_id || !*message_id) {
		g_ptr_array_free(list, TRUE);
		return POC_ERR_NOTFOUND;
	}
	/* The store's index by Message-ID: no scan on the libmilter thread. */
	status = poc_store_outbox_find_ack(store, message_id, list, NULL);
	if (status != POC_OK && status != POC_ERR_NOTFOUND)
		status = POC_ERR_DB;
	/* SENDING: an unknown outcome; FAILED: given up on for want of evidence, which came late. */
	for (guint i = 0; status == POC_OK && !e && i < list->len; i++)
		if (((poc_outbox_entry *)g_ptr_array_index(list, i))->state == POC_OUTBOX_SENDING)
			e = g_ptr_array_index(list, i);
	for (guint i = 0; status == POC_OK && !e && i < list->len; i++)
		if (((poc_outbox_entry *)g_ptr_array_index(list, i))->state == POC_OUTBOX_FAILED)
			e = g_ptr_array_index(list, i);
	if (status == POC_OK && !e)
		status = POC_ERR_NOTFOUND;
	if (e) {
		e->state = POC_OUTBOX_SENT;
		e->sent_at = poc_now();
		status = poc_store_outbox_update_event(store, e, &ev, NULL);
		if (status == POC_ERR_EXISTS)
			status = POC_OK;
		msg_info("event=ack-seen case=%s ack=%s detail=\"seen passing the MTA's filter: "
			 "recorded as sent\"",
			 poc_log_q(e->case_id ? e->case_id : "-"), poc_log_q(e->ack_message_id));
	}
	g_ptr_array_free(list, TRUE);
	return status;
}
