/*
 * NAME
 *	process.c - file one message, read a filed one again, claim spool
 *	entries
 * SYNOPSIS
 *	#include "process.h"
 * DESCRIPTION
 *	See process.h. A message is read once per path by read_notice (the
 *	same limits and trust everywhere); the acknowledgement is decided by
 *	ack.c and composed here when it goes out by itself, or the message's
 *	ack state becomes failed with the reason in ack_note.
 * DIAGNOSTICS
 *	One log line per message: queue id, Message-ID, case, tracking
 *	number, kind, crypto outcome, ack state. Never a subject or body.
 */
#include "config.h"

#include <string.h>

#include "caserules.h"
#include "log.h"
#include "notice.h"
#include "process.h"

static void
log_filed(const poc_message *m, const char *what)
{
	msg_info("event=%s queue_id=%s message_id=%s case=%s tracking=%s kind=%s decryption=%s "
		 "signature=%s ack=%s",
		 what, poc_log_q(m->queue_id ? m->queue_id : "-"),
		 poc_log_q(m->message_id ? m->message_id : "-"), poc_log_q(m->case_id ? m->case_id : "-"),
		 poc_log_q(m->tracking ? m->tracking : "-"),
		 poc_kind_name(m->kind), poc_decryption_name(m->decryption),
		 poc_signature_name(m->signature), poc_ack_state_name(m->ack_state));
}

/* A replay (store.h): filed and held in one transaction; said once in the log. */
static void
log_replay(const poc_message *msg)
{
	for (guint i = 0; msg->problems && i < msg->problems->len; i++) {
		const char *p = g_ptr_array_index(msg->problems, i);

		if (g_str_has_prefix(p, "replay: "))
			msg_warn("event=held message_id=%s problem=%s", poc_log_q(msg->message_id),
				 poc_log_q(p));
	}
}

/* The one place a notice is read: the same limits and trust for every path. */
static int
read_notice(poc_runtime *rt, poc_crypto *crypto, GBytes *raw, poc_message *msg, GError **error)
{
	const poc_config *cfg = rt->cfg;
	const char *own[2] = { cfg->ack_from, NULL };
	poc_reader reader = { 0 };

	reader.crypto = crypto;
	reader.coordinator_keys = poc_config_strv(cfg->coordinator_key);
	reader.coordinators = poc_config_strv(cfg->coordinator);
	reader.own_addresses = own;
	reader.rules = rt->rules;
	reader.max_size = cfg->max_message_size;
	reader.max_depth = 32;
	reader.max_parts = 1000;
	return poc_notice_read(&reader, g_bytes_get_data(raw, NULL), g_bytes_get_size(raw), msg,
			       error);
}

/* Keep from the old record what reading cannot know: reception and acknowledgement. */
static void
keep_reception(poc_message *fresh, const poc_message *old)
{
	fresh->case_id = g_strdup(old->case_id);
	fresh->received_at = old->received_at;
	fresh->queue_id = g_strdup(old->queue_id);
	fresh->size = old->size;
	fresh->ack_deadline = old->ack_deadline;
	fresh->ack_sent_at = old->ack_sent_at;
	fresh->ack_message_id = g_strdup(old->ack_message_id);
	/* A claim is made once, when filed (store.c); reading again does not change the case. */
	fresh->claimed_publication_date = old->claimed_publication_date;
	fresh->claimed_statement_request = old->claimed_statement_request;
	fresh->claim_accepted_at = old->claim_accepted_at;
	g_free(fresh->message_id);
	fresh->message_id = g_strdup(old->message_id);
}

/*
 * Compose the acknowledgement of msg (queued) into *ack. When it cannot
 * be composed (no templates, no key to encrypt to, GnuPG failed), msg's
 * acknowledgement becomes failed with the reason in ack_note, for paging.
 */
static gboolean
compose_or_fail(poc_runtime *rt, poc_crypto *crypto, poc_message *msg, poc_outbox_entry **ack)
{
	GError *cerr = NULL;

	if (rt->templates && poc_ack_compose(rt->cfg, rt->templates, crypto, msg, NULL, poc_now(),
					     ack, &cerr) == POC_OK)
		return TRUE;
	msg->ack_state = POC_ACK_FAILED;
	g_free(msg->ack_note);
	msg->ack_note = g_strdup_printf("acknowledgement not composed: %s",
					cerr ? cerr->message : "no templates");
	g_clear_error(&cerr);
	return FALSE;
}

/* A tracking number read again that differs from the case's is a problem, not a move. */
static void
note_tracking_change(poc_message *fresh, const poc_message *old)
{
	if (!old->tracking || g_strcmp0(fresh->tracking, old->case_id) == 0 || !fresh->tracking ||
	    g_strcmp0(fresh->tracking, old->tracking) == 0)
		return;
	if (!fresh->problems)
		fresh->problems = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(fresh->problems,
			g_strdup_printf("reprocessing read tracking number %s; the message "
					"stays in case %s",
					fresh->tracking, old->case_id));
}

/*
 * The acknowledgement of a message read again. At most one per notice,
 * ever: a decided one (queued, sent, settled by a person) stays decided;
 * otherwise it is decided afresh, and composed into *ack when it goes out.
 */
static void
decide_again(poc_runtime *rt, poc_crypto *crypto, poc_message *fresh, const poc_message *old,
	     poc_outbox_entry **ack)
{
	if (old->ack_state == POC_ACK_SENT || old->ack_state == POC_ACK_QUEUED ||
	    (old->ack_state == POC_ACK_NOT_REQUIRED && old->ack_note && !old->ack_required)) {
		fresh->ack_required = old->ack_required;
		fresh->ack_state = old->ack_state;
		g_free(fresh->ack_note);
		fresh->ack_note = g_strdup(old->ack_note);
		return;
	}
	poc_ack_decide(rt->cfg, fresh);
	if (fresh->ack_state == POC_ACK_QUEUED && !poc_ack_may_auto(rt->cfg, rt->store, fresh)) {
		fresh->ack_state = POC_ACK_HELD;
		g_free(fresh->ack_note);
		fresh->ack_note = g_strdup("replay (same signature as a message filed "
					   "before): a person decides");
	}
	if (fresh->ack_required && !fresh->ack_deadline)
		fresh->ack_deadline = poc_calendar_ack_deadline(rt->cal, fresh->received_at);
	if (fresh->ack_state == POC_ACK_QUEUED)
		compose_or_fail(rt, crypto, fresh, ack);
}

/* Write the record read again, with its "reprocessed" event, and its acknowledgement. */
static int
update_reprocessed(poc_runtime *rt, poc_message *fresh, const poc_message *old,
		   poc_outbox_entry *ack, const char *actor, GError **error)
{
	poc_event ev = { 0 };
	char *detail;
	int status;

	detail = g_strdup_printf("decryption %s -> %s, signature %s -> %s, kind %s -> %s (%s), "
				 "ack %s -> %s",
				 poc_decryption_name(old->decryption),
				 poc_decryption_name(fresh->decryption),
				 poc_signature_name(old->signature), poc_signature_name(fresh->signature),
				 poc_kind_name(old->kind), poc_kind_name(fresh->kind),
				 fresh->kind_rule ? fresh->kind_rule : "-",
				 poc_ack_state_name(old->ack_state), poc_ack_state_name(fresh->ack_state));
	ev.at = poc_now();
	ev.case_id = fresh->case_id;
	ev.type = (char *)poc_event_name(POC_EV_REPROCESSED);
	ev.actor = (char *)actor;
	ev.message_id = fresh->message_id;
	ev.detail = detail;
	if (ack) {
		/* The outbox entry moves it to queued, and only if it is still held
		 * or failed when written (a person or the guard may have been first). */
		fresh->ack_state = old->ack_state;
	}
	status = poc_store_update_message(rt->store, fresh, &ev, error);
	if (status == POC_OK && ack) {
		status = poc_store_outbox_add_held(rt->store, ack, NULL, error);
		if (status == POC_OK)
			fresh->ack_state = POC_ACK_QUEUED;
	}
	g_free(detail);
	return status;
}

int
poc_process_again(poc_runtime *rt, poc_crypto *crypto, const char *message_id,
		  const char *actor, poc_message **out, GError **error)
{
	poc_message *old = NULL, *fresh = NULL;
	poc_outbox_entry *ack = NULL;
	GBytes *raw = NULL;
	int status;

	if ((status = poc_store_get_message(rt->store, message_id, &old, error)) != POC_OK ||
	    (status = poc_store_get_raw(rt->store, message_id, &raw, error)) != POC_OK)
		goto out;
	fresh = poc_message_new();
	fresh->envelope_from = g_strdup(old->envelope_from);
	fresh->received_at = old->received_at;	/* dates without a year read against it */
	if ((status = read_notice(rt, crypto, raw, fresh, error)) != POC_OK)
		goto out;
	keep_reception(fresh, old);
	/* The same replay rule as filing: a signature another message owns is a replay. */
	if ((status = poc_store_signature_claim(rt->store, fresh, error)) != POC_OK)
		goto out;
	note_tracking_change(fresh, old);
	decide_again(rt, crypto, fresh, old, &ack);
	status = update_reprocessed(rt, fresh, old, ack, actor, error);
	if (status == POC_OK)
		log_filed(fresh, "reprocessed");
	if (status == POC_OK && out) {
		*out = fresh;
		fresh = NULL;
	}
out:
	poc_outbox_entry_free(ack);
	poc_message_free(old);
	poc_message_free(fresh);
	if (raw)
		g_bytes_unref(raw);
	return status;
}

/* File msg: with spool entry spool_id, or (0) straight from raw. */
static int
file_message(poc_runtime *rt, guint64 spool_id, GBytes *raw, poc_message *msg,
	     poc_outbox_entry *ack, GError **error)
{
	if (!msg->message_id || !*msg->message_id) {
		/* The key hashes the whole message: here, not in the write transaction. */
		gsize len;
		const char *data = g_bytes_get_data(raw, &len);

		g_free(msg->message_id);
		msg->message_id = poc_text_message_key(data ? data : "", len);
	}
	return spool_id ? poc_store_file(rt->store, spool_id, msg, ack, error)
			: poc_store_file_raw(rt->store, raw, msg, ack, error);
}

/* Everything after the spool, for an entry (spool_id) or an import (0). */
static int
process_one(poc_runtime *rt, poc_crypto *crypto, guint64 spool_id, GBytes *raw,
	    const poc_spool_info *info, poc_process_result *result, GError **error)
{
	const poc_config *cfg = rt->cfg;
	poc_message *msg = NULL;
	poc_outbox_entry *ack = NULL;
	int status;

	msg = poc_message_new();
	msg->envelope_from = g_strdup(info->envelope_from);
	msg->received_at = info->received_at;	/* dates without a year read against it */
	if ((status = read_notice(rt, crypto, raw, msg, error)) != POC_OK)
		goto out;
	msg->queue_id = g_strdup(info->queue_id);
	msg->size = g_bytes_get_size(raw);

	/* A duplicate (a retry, two MX hosts, an import): filed once, acknowledged once. */
	if (msg->message_id && poc_store_has_message(rt->store, msg->message_id)) {
		status = file_message(rt, spool_id, raw, msg, NULL, error);
		if (status == POC_ERR_EXISTS) {
			g_clear_error(error);
			status = POC_OK;
		}
		if (result)
			*result = POC_DUPLICATE;
		log_filed(msg, "duplicate");
		goto out;
	}
	/* A replay is decided inside the filing transaction (poc_store_file). */
	poc_ack_decide(cfg, msg);
	if (msg->ack_required)
		msg->ack_deadline = poc_calendar_ack_deadline(rt->cal, msg->received_at);
	if (msg->ack_state == POC_ACK_QUEUED) {
		/* The case id is known only once filed; the tracking number stands for it. */
		if (!msg->case_id && msg->tracking)
			msg->case_id = g_strdup(msg->tracking);
		if (!compose_or_fail(rt, crypto, msg, &ack))
			msg_warn("event=ack-not-composed message_id=%s note=%s", poc_log_q(msg->message_id),
				 poc_log_q(msg->ack_note));
	}
	status = file_message(rt, spool_id, raw, msg, ack, error);
	if (status == POC_ERR_EXISTS) {
		g_clear_error(error);
		status = POC_OK;
		if (result)
			*result = POC_DUPLICATE;
		log_filed(msg, "duplicate");
	} else if (status == POC_OK) {
		if (result)
			*result = POC_FILED;
		log_replay(msg);
		log_filed(msg, "filed");
	}
out:
	poc_outbox_entry_free(ack);
	poc_message_free(msg);
	return status;
}

int
poc_process_spooled(poc_runtime *rt, poc_crypto *crypto, guint64 spool_id,
		    poc_process_result *result, GError **error)
{
	GBytes *raw = NULL;
	poc_spool_info info = { 0 };
	int status;

	if ((status = poc_store_spool_get(rt->store, spool_id, &raw, &info, error)) != POC_OK)
		return status;
	status = process_one(rt, crypto, spool_id, raw, &info, result, error);
	poc_spool_info_clear(&info);
	g_bytes_unref(raw);
	return status;
}

int
poc_process_message(poc_runtime *rt, poc_crypto *crypto, GBytes *raw,
		    const poc_spool_info *info, poc_process_result *result, GError **error)
{
	return process_one(rt, crypto, 0, raw, info, result, error);
}

/* --- claims on spool entries (filer threads) ------------------------------- */

struct poc_process_claims {
	GMutex lock;
	GHashTable *claimed;	/* spool id -> GINT_TO_POINTER(1 busy, 2 failed) */
	gint64 retry_at;
};

poc_process_claims *
poc_process_claims_new(void)
{
	poc_process_claims *c = g_new0(poc_process_claims, 1);

	g_mutex_init(&c->lock);
	c->claimed = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	return c;
}

void
poc_process_claims_free(poc_process_claims *c)
{
	if (!c)
		return;
	g_hash_table_destroy(c->claimed);
	g_mutex_clear(&c->lock);
	g_free(c);
}

gboolean
poc_process_claim(poc_process_claims *c, poc_store *store, guint64 *id)
{
	GArray *ids = g_array_new(FALSE, FALSE, sizeof(guint64));
	gboolean found = FALSE;
	GError *err = NULL;

	g_mutex_lock(&c->lock);
	if (poc_now() >= c->retry_at) {
		/* Let failed entries be tried again now and then. */
		GHashTableIter it;
		gpointer k, v;

		g_hash_table_iter_init(&it, c->claimed);
		while (g_hash_table_iter_next(&it, &k, &v))
			if (GPOINTER_TO_INT(v) == 2)
				g_hash_table_iter_remove(&it);
		c->retry_at = poc_now() + POC_PROCESS_RETRY;
	}
	if (poc_store_spool_pending(store, ids, &err) != POC_OK) {
		msg_error("event=spool-read-failed error=%s", poc_log_q(err ? err->message : "?"));
		g_clear_error(&err);
	}
	for (guint i = 0; i < ids->len && !found; i++) {
		guint64 cand = g_array_index(ids, guint64, i);

		if (g_hash_table_contains(c->claimed, &cand))
			continue;
		g_hash_table_insert(c->claimed, g_memdup2(&cand, sizeof cand), GINT_TO_POINTER(1));
		*id = cand;
		found = TRUE;
	}
	g_mutex_unlock(&c->lock);
	g_array_free(ids, TRUE);
	return found;
}

void
poc_process_release(poc_process_claims *c, guint64 id, gboolean failed)
{
	g_mutex_lock(&c->lock);
	if (failed)
		g_hash_table_insert(c->claimed, g_memdup2(&id, sizeof id), GINT_TO_POINTER(2));
	else
		g_hash_table_remove(c->claimed, &id);
	g_mutex_unlock(&c->lock);
}

int
poc_process_pending(poc_runtime *rt, poc_crypto *crypto, int *done, GError **error)
{
	GArray *ids = g_array_new(FALSE, FALSE, sizeof(guint64));
	int status;

	*done = 0;
	status = poc_store_spool_pending(rt->store, ids, error);
	for (guint i = 0; status == POC_OK && i < ids->len; i++) {
		status = poc_process_spooled(rt, crypto, g_array_index(ids, guint64, i), NULL, error);
		if (status == POC_OK)
			(*done)++;
	}
	g_array_free(ids, TRUE);
	return status;
}
