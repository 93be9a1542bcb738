/*
 * NAME
 *	store.h - the case database (LMDB); the only module that knows LMDB
 * DESCRIPTION
 *	One environment per process (open it once, share it between
 *	threads). Every call runs in its own transaction, so each one is
 *	atomic: a crash leaves the database as it was before the call or
 *	after it. Writers in several processes (pocmilter, pocctl ack,
 *	pocctl import) are serialised by LMDB's writer lock; readers never
 *	block. A full map grows instead of failing.
 *
 *	The layout (named databases, key and value formats, schema version)
 *	is in doc/DATABASE.md.
 *
 *	Records returned are the caller's to free (record.h).
 * ERRORS
 *	POC_ERR_DB (LMDB error; the GError says which), POC_ERR_DB_VERSION
 *	(a newer schema), POC_ERR_DB_FULL (disk full), POC_ERR_PERM (file
 *	modes), POC_ERR_NOTFOUND, POC_ERR_EXISTS (duplicate Message-ID).
 */
#ifndef POC_STORE_H
#define POC_STORE_H

#include "record.h"

G_BEGIN_DECLS

typedef struct poc_store poc_store;

#define POC_STORE_RDONLY 0x1	/* pocctl list/show/export, downstream readers */

int poc_store_open(const char *dir, unsigned flags, poc_store **out, GError **error);
void poc_store_close(poc_store *store);

/*
 * poc_store_open() with every option; zero fields take the default.
 * A writer creates dir (0700) when missing. mode is that of data.mdb and
 * lock.mdb: 0640 lets a group read, but a reader also needs write
 * access to lock.mdb (LMDB registers readers there), so 0660 + a group
 * is the usual way to let downstream tools in. map_size applies to a new
 * database only; an existing one keeps the size it has grown to.
 */
typedef struct poc_store_options {
	unsigned flags;		/* POC_STORE_RDONLY */
	unsigned mode;		/* default 0600 */
	size_t map_size;	/* initial map of a new database; default 64 MiB */
	size_t max_map_size;	/* the map doubles up to this (POC_ERR_DB_FULL); default 1 TiB */
} poc_store_options;
int poc_store_open_ex(const char *dir, const poc_store_options *opts, poc_store **out,
		      GError **error);
/* The current map size in bytes (it grows when full). */
size_t poc_store_map_size(poc_store *store);
/* The limit the map may double up to (DatabaseMaxSize; 0: the default), at a reload. */
void poc_store_set_max_map_size(poc_store *store, size_t max);

/* --- spool: messages received, not yet filed ------------------------- */

/* Durable (synced) before it returns POC_OK. */
int poc_store_spool_put(poc_store *store, const char *raw, size_t len,
			const poc_spool_info *info, guint64 *spool_id, GError **error);
/* Spooled ids in arrival order. */
int poc_store_spool_pending(poc_store *store, GArray *ids /* guint64 */, GError **error);
int poc_store_spool_get(poc_store *store, guint64 spool_id, GBytes **raw,
			poc_spool_info *info, GError **error);

/*
 * File one message in one transaction: the message, its case (found by
 * tracking number, or by a related message's case, or created; a local
 * id when there is no tracking number), the raw message as received,
 * the indexes, the events, the outbox entry when ack is not NULL (its id
 * is set), and the removal of the spool entry (spool_id 0: none).
 * A publication date that differs from the case's becomes the case's,
 * with a publication_history entry and a "publication-date" event; a
 * publication notice makes a case's statement_state "requested" (from
 * "none") with a "statement-requested" event. Both only when msg's
 * signature is good, covers all (signature_covers) and it is not a
 * replay (a "replay:" problem); otherwise the case is unchanged and msg
 * records the claim (claimed_publication_date, claimed_statement_request)
 * with a "claimed-change" event, for poc_store_accept_claim().
 * msg->case_id is set. A Message-ID already filed: POC_ERR_EXISTS, the
 * spool entry is removed all the same, and nothing else changes. A msg
 * without a Message-ID is filed under poc_text_message_key() of the raw
 * bytes (text.h); callers set it first, so that no write transaction
 * hashes a whole message.
 */
int poc_store_file(poc_store *store, guint64 spool_id, poc_message *msg,
		   poc_outbox_entry *ack, GError **error);
/*
 * The same without a spool entry: raw (the message as received) is kept
 * as the raw message. pocctl import files this way, so that no other
 * process ever sees (and files) a message it is importing: killed
 * midway, the message is filed or not, and it is still in the mailbox.
 */
int poc_store_file_raw(poc_store *store, GBytes *raw, poc_message *msg,
		       poc_outbox_entry *ack, GError **error);
/*
 * Replays (doc/DATABASE.md, meta sig:SIGNATURE_ID): the first message
 * filed with a signature owns it. poc_store_file() decides inside its
 * transaction: a message whose signature another Message-ID owns gets a
 * "replay: ..." problem, is held (ack_note says why) and its ack is not
 * queued. poc_store_replay_of() returns that other Message-ID (or NULL);
 * poc_store_signature_claim() makes an unowned signature msg's, or marks
 * msg a replay as filing does (pocctl reprocess).
 */
char *poc_store_replay_of(poc_store *store, const poc_message *msg);
int poc_store_signature_claim(poc_store *store, poc_message *msg, GError **error);

/*
 * Many messages in one transaction (one sync): pocctl import, the
 * benchmark. Each item is filed as by poc_store_file(); item->status is
 * POC_OK or POC_ERR_EXISTS (a duplicate, spool entry removed). Any other
 * failure rolls the whole batch back and is returned.
 */
typedef struct poc_store_item {
	guint64 spool_id;	/* 0: none */
	poc_message *msg;
	poc_outbox_entry *ack;	/* or NULL */
	int status;		/* out */
	const char *raw;	/* spool_id 0: the raw message, or NULL */
	size_t raw_len;
} poc_store_item;
int poc_store_file_batch(poc_store *store, poc_store_item *items, size_t n, GError **error);

/* Has a message with this Message-ID been filed? */
gboolean poc_store_has_message(poc_store *store, const char *message_id);

/* --- reading ---------------------------------------------------------- */

/* id: a case id, tracking number, vulnerability number or Message-ID. */
int poc_store_get_case(poc_store *store, const char *id, poc_case **out, GError **error);
int poc_store_get_message(poc_store *store, const char *message_id, poc_message **out,
			  GError **error);
int poc_store_get_raw(poc_store *store, const char *message_id, GBytes **raw, GError **error);

/* The case and its messages (poc_message *, in order of arrival) appended to messages. */
int poc_store_get_case_full(poc_store *store, const char *id, poc_case **out,
			    GPtrArray *messages, GError **error);

/*
 * Calls fn for each case (in id order) until it returns non-zero. Cases
 * are read in batches of short read transactions, so fn may write; the
 * walk is not one snapshot (each case is whole and consistent).
 */
typedef int (*poc_case_fn)(poc_case *c, void *data);	/* c is freed after the call */
int poc_store_foreach_case(poc_store *store, poc_case_fn fn, void *data, GError **error);
/* The same with each case's messages (pocctl export); give full or plain. */
typedef int (*poc_case_full_fn)(poc_case *c, GPtrArray *messages, void *data);
int poc_store_foreach_case_full(poc_store *store, poc_case_full_fn full, poc_case_fn plain,
				void *data, GError **error);

/* Messages whose acknowledgement is open (held, queued, failed), by deadline, earliest first. */
typedef int (*poc_message_fn)(poc_message *m, void *data);	/* m is freed after the call */
int poc_store_foreach_open_ack(poc_store *store, poc_message_fn fn, void *data, GError **error);

/* --- updates by people and by the sender ----------------------------- */

/*
 * Replace a message's record (ack state changes); indexes follow. ev (or
 * NULL) is added in the same transaction; its case_id and message_id
 * default to the record's. POC_ERR_NOTFOUND when not filed. A message
 * whose ack_state is sent keeps it (and ack_sent_at, ack_message_id,
 * ack_note): a record read before the send was recorded cannot undo it.
 * A record read
 * again with another publication date moves the case's (history and a
 * "publication-date" event), unless a later message of the case has one;
 * one that became a publication notice marks the statement requested.
 */
int poc_store_update_message(poc_store *store, const poc_message *msg, const poc_event *ev,
			     GError **error);
int poc_store_update_case(poc_store *store, const poc_case *c, const poc_event *ev,
			  GError **error);
int poc_store_add_event(poc_store *store, const poc_event *ev, GError **error);
/* n events in one write transaction (one commit instead of n). */
int poc_store_add_events(poc_store *store, const poc_event *evs, size_t n, GError **error);
typedef int (*poc_event_fn)(const poc_event *ev, void *data);
int poc_store_foreach_event(poc_store *store, const char *case_id, poc_event_fn fn, void *data,
			    GError **error);

/* --- outbox ---------------------------------------------------------- */

/*
 * Add an entry for an existing message (pocctl ack); sets entry->id,
 * entry->case_id, created_at (when 0) and the message's ack_state
 * (queued), and adds an ack-queued event.
 */
int poc_store_outbox_add(poc_store *store, poc_outbox_entry *entry, GError **error);
/* The first entry QUEUED with next_attempt_at <= now, or POC_ERR_NOTFOUND. */
int poc_store_outbox_next_due(poc_store *store, gint64 now, poc_outbox_entry **out, GError **error);
/* Entries in a state (e.g. SENDING after a crash). */
int poc_store_outbox_list(poc_store *store, poc_outbox_state state, GPtrArray *out, GError **error);
/*
 * The entries whose ack_message_id is this one (ASCII case ignored),
 * appended to out in id order, found through an index (no scan): the
 * milter asks for each of our own mails it sees. POC_ERR_NOTFOUND: none.
 */
int poc_store_outbox_find_ack(poc_store *store, const char *ack_message_id, GPtrArray *out,
			      GError **error);
/*
 * Write the entry's new state; on SENT also the message's ack_state,
 * ack_sent_at (entry->sent_at, or now) and ack_message_id, and an
 * ack-sent event; on FAILED the message's ack_state failed and an
 * ack-failed event; all in one transaction. An entry already SENT is
 * final: POC_ERR_EXISTS.
 */
int poc_store_outbox_update(poc_store *store, const poc_outbox_entry *entry, GError **error);
/* The same, with ev (or NULL; case and message default to the entry's) in the same transaction. */
int poc_store_outbox_update_event(poc_store *store, const poc_outbox_entry *entry,
				  const poc_event *ev, GError **error);
/*
 * Take the first due QUEUED entry and mark it SENDING (attempts + 1,
 * next_attempt_at = now, the time of the claim) in one write transaction:
 * two processes can never claim the same entry. POC_ERR_NOTFOUND: none due.
 */
int poc_store_outbox_claim(poc_store *store, gint64 now, poc_outbox_entry **out, GError **error);
/*
 * poc_store_outbox_add() only if the message's acknowledgement is still
 * open (ack_required, ack_state held or failed), checked in the same
 * transaction, with ev (or NULL) recorded there too. Otherwise
 * POC_ERR_EXISTS: queued or sent already (at most one acknowledgement
 * per notice, whoever asks: pocctl ack, the guard).
 */
int poc_store_outbox_add_held(poc_store *store, poc_outbox_entry *entry, const poc_event *ev,
			      GError **error);

/*
 * Apply the change of its case message_id claimed but could not make by
 * itself (claimed_publication_date, claimed_statement_request: its
 * signature was not good or did not cover all), by actor, in one write
 * transaction: the case's publication date (with a publication_history
 * entry) and statement state; the message's claim_accepted_at; events
 * publication-date / statement-requested and claim-accepted.
 * *out (or NULL) gets the message as written. POC_ERR_NOTFOUND: no such
 * message; POC_ERR_INVAL: it claims nothing; POC_ERR_EXISTS: accepted
 * before.
 */
int poc_store_accept_claim(poc_store *store, const char *message_id, const char *actor,
			   poc_message **out, GError **error);

/*
 * Queue a vendor statement (kind POC_OUTBOX_STATEMENT; case_id set,
 * message_id the request it answers or NULL): sets entry->id, the case's
 * statement_state (queued) and statement_status, and adds a
 * statement-queued event by actor (NULL: "pocmilter"). Its SENT or
 * FAILED update through poc_store_outbox_update() sets the case's
 * statement_state and statement_sent_at, never a message's ack_state.
 */
int poc_store_statement_add(poc_store *store, poc_outbox_entry *entry,
			    const char *statement_status, const char *actor, GError **error);

/*
 * Set a case's state (one of poc_case_states[]; POC_ERR_INVAL otherwise)
 * with a "state" event "OLD -> NEW" by actor; no change, no event.
 */
int poc_store_set_state(poc_store *store, const char *case_id, const char *state,
			const char *actor, GError **error);

/* --- meta ------------------------------------------------------------ */

int poc_store_heartbeat(poc_store *store, gint64 now, GError **error);
gint64 poc_store_get_heartbeat(poc_store *store);
/*
 * A small key/value area for other modules (paging state). Text values;
 * value NULL deletes. The store's own keys: schema_version, created_at,
 * heartbeat.
 */
int poc_store_meta_put(poc_store *store, const char *key, const char *value, GError **error);
char *poc_store_meta_get(poc_store *store, const char *key);

/*
 * Read-modify-write of one meta key in one write transaction (paging
 * claims a page this way, so two processes never both send it). fn gets
 * the current value (NULL: absent) and either returns POC_META_KEEP
 * (nothing is written) or POC_META_WRITE with *new_value set to a
 * g_malloc'd string (the store frees it) or NULL (delete the key). fn
 * may run more than once (the map grew): it must derive its output
 * from old_value and data only, and overwrite what it reports in data.
 */
#define POC_META_KEEP 0
#define POC_META_WRITE 1
typedef int (*poc_meta_update_fn)(const char *old_value, char **new_value, void *data);
int poc_store_meta_update(poc_store *store, const char *key, poc_meta_update_fn fn, void *data,
			  GError **error);
/* Calls fn for each meta key starting with prefix (key order) until it returns non-zero. */
typedef int (*poc_meta_fn)(const char *key, const char *value, void *data);
int poc_store_meta_foreach(poc_store *store, const char *prefix, poc_meta_fn fn, void *data,
			   GError **error);

G_END_DECLS

#endif
