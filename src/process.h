/*
 * NAME
 *	process.h - file one message: read, decide the acknowledgement,
 *	compose it, file; read a filed one again; the filers' spool claims
 * DESCRIPTION
 *	poc_process_spooled() is the whole path after the spool: parse
 *	(decrypt, verify, read ids), decide the acknowledgement, compute the
 *	deadline, compose the acknowledgement when it goes out by itself,
 *	and file everything in one transaction that also removes the spool
 *	entry. poc_process_message() is the same path for pocctl import,
 *	without the spool: the spool belongs to the daemon's filers alone
 *	(doc/DATABASE.md), so no other process can take an import's message.
 */
#ifndef POC_PROCESS_H
#define POC_PROCESS_H

#include "crypto.h"
#include "runtime.h"

G_BEGIN_DECLS

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
int poc_process_again(poc_runtime *rt, poc_crypto *crypto, const char *message_id,
		      const char *actor, poc_message **out, GError **error);

/*
 * Claims on spool entries, shared by the filer threads: each claims one
 * entry at a time, so no entry is read twice at once. An entry whose
 * processing failed stays claimed (skipped) until the next retry round,
 * POC_PROCESS_RETRY seconds later.
 */
#define POC_PROCESS_RETRY 30
typedef struct poc_process_claims poc_process_claims;
poc_process_claims *poc_process_claims_new(void);
void poc_process_claims_free(poc_process_claims *claims);
/* The oldest pending entry nobody has claimed; FALSE when there is none. */
gboolean poc_process_claim(poc_process_claims *claims, poc_store *store, guint64 *id);
void poc_process_release(poc_process_claims *claims, guint64 id, gboolean failed);

/* Every pending spool entry, oldest first (only the daemon files the spool). */
int poc_process_pending(poc_runtime *rt, poc_crypto *crypto, int *done, GError **error);

G_END_DECLS

#endif
