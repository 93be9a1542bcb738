/*
 * NAME
 *	worker.h - the runtime (config, calendar, templates, store) and the
 *	processing of one spooled message
 * DESCRIPTION
 *	A poc_runtime holds what every part of a process shares: the
 *	config, the calendar built from it, the templates, the kind rules
 *	and the one store environment. pocmilter and pocctl both make one.
 *
 *	poc_process_spooled() is the whole path after the spool: parse
 *	(decrypt, verify, read ids), decide the acknowledgement, compute the
 *	deadline, compose the acknowledgement when it goes out by itself,
 *	and file everything in one transaction that also removes the spool
 *	entry. poc_process_message() is the same path for pocctl import,
 *	without the spool: the spool belongs to the daemon's filers alone
 *	(doc/DATABASE.md), so no other process can take an import's message.
 */
#ifndef POC_WORKER_H
#define POC_WORKER_H

#include "ack.h"
#include "calendar.h"
#include "conf.h"
#include "crypto.h"
#include "store.h"
#include "text.h"

G_BEGIN_DECLS

typedef struct poc_runtime {
	poc_config *cfg;
	poc_calendar *cal;
	poc_templates *templates;	/* NULL when AckMode is off or not loaded */
	poc_kind_rules *rules;
	poc_store *store;		/* NULL when not opened */
} poc_runtime;

#define POC_RUNTIME_NO_STORE     0x1
#define POC_RUNTIME_STORE_RDONLY 0x2
#define POC_RUNTIME_NO_TEMPLATES 0x4

/* path NULL: defaults. Everything a config names is loaded and checked. */
int poc_runtime_open(const char *path, unsigned flags, poc_runtime **out, GError **error);
void poc_runtime_close(poc_runtime *rt);
/* The calendar alone (pocctl calendar without a database). */
int poc_calendar_from_config(const poc_config *cfg, poc_calendar **out, GError **error);

/* What happened to one message (for logs and import summaries). */
typedef enum { POC_FILED, POC_DUPLICATE } poc_process_result;

int poc_process_spooled(poc_runtime *rt, poc_crypto *crypto, guint64 spool_id,
			poc_process_result *result, GError **error);
/*
 * The same for a message that is not in the spool (pocctl import): raw is
 * the message as received, info its reception (received_at, envelope_from,
 * source). Filed in one write transaction, or not at all.
 */
int poc_process_message(poc_runtime *rt, poc_crypto *crypto, GBytes *raw,
			const poc_spool_info *info, poc_process_result *result,
			GError **error);
/*
 * Read a filed message again from the message as received (after a key,
 * a rule or a config was fixed) and update its record. A message whose
 * acknowledgement was already queued or sent keeps it: never a second.
 * One that becomes acknowledgeable is acknowledged. *out (may be NULL)
 * gets the new record.
 */
int poc_reprocess_message(poc_runtime *rt, poc_crypto *crypto, const char *message_id,
			  const char *actor, poc_message **out, GError **error);

/*
 * AckMode hold: queue the default template for every held notice whose
 * business time left is under AckGuard (recorded and paged). *queued: how many.
 */
int poc_ack_guard_run(poc_runtime *rt, poc_crypto *crypto, gint64 now, int *queued,
		      GError **error);

/*
 * Claims on spool entries, shared by the filer threads: each claims one
 * entry at a time, so no entry is read twice at once. An entry whose
 * processing failed stays claimed (skipped) until the next retry round,
 * POC_SPOOL_RETRY seconds later.
 */
#define POC_SPOOL_RETRY 30
typedef struct poc_spool_claims poc_spool_claims;
poc_spool_claims *poc_spool_claims_new(void);
void poc_spool_claims_free(poc_spool_claims *claims);
/* The oldest pending entry nobody has claimed; FALSE when there is none. */
gboolean poc_spool_claim(poc_spool_claims *claims, poc_store *store, guint64 *id);
void poc_spool_release(poc_spool_claims *claims, guint64 id, gboolean failed);

/* Every pending spool entry, oldest first (only the daemon files the spool). */
int poc_process_pending(poc_runtime *rt, poc_crypto *crypto, int *done, GError **error);

G_END_DECLS

#endif
