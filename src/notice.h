/*
 * NAME
 *	notice.h - from the raw bytes of a mail to a message record
 * DESCRIPTION
 *	poc_notice_read() parses a mail with GMime, decrypts and verifies
 *	every OpenPGP form a coordinator, a finder or a mail client sends
 *	(PGP/MIME encrypted or signed, inline armour, the Exchange-mangled
 *	form, forwarded message/rfc822, .asc attachments), converts every
 *	Japanese charset to UTF-8, and reads the tracking number, the
 *	vulnerability numbers, the kind and the publication date.
 *
 *	It fills the metadata fields of msg (message_id, from, subject,
 *	date, in_reply_to, kind, encrypted, decryption, signature, signer,
 *	tracking, related_tracking, vuln_ids, publication_date,
 *	auto_submitted, own_mail, from_coordinator, problems, size,
 *	kind_rule). The
 *	caller sets msg->envelope_from before the call (a null sender is a
 *	bounce) and msg->received_at (dates without a year are read against
 *	it; 0: now), and the other reception fields and the ack fields after.
 *
 *	Decrypted text lives in memory during the call and is gone when it
 *	returns. Bad input never fails the call: what could not be read is
 *	listed in msg->problems. Limits (size, depth, parts) are in
 *	poc_reader.
 */
#ifndef POC_NOTICE_H
#define POC_NOTICE_H

#include "crypto.h"
#include "record.h"
#include "text.h"

G_BEGIN_DECLS

typedef struct poc_reader {
	poc_crypto *crypto;			/* NULL: nothing is decrypted */
	const char *const *coordinator_keys;	/* trusted fingerprints */
	const char *const *coordinators;	/* coordinator addresses */
	const char *const *own_addresses;	/* AckFrom etc.: our own mail */
	const poc_kind_rules *rules;
	gsize max_size;				/* bytes parsed (default 32 MiB) */
	int max_depth;				/* MIME nesting (default 32) */
	int max_parts;				/* MIME parts (default 1000) */
} poc_reader;

/*
 * A header our acknowledgements carry: mail with it is our own (never
 * acked: msg->own_mail, and the problem POC_PROBLEM_OWN_MAIL), like mail
 * From: one of own_addresses.
 */
#define POC_OWN_HEADER "X-POC-Ack"
/* The problem line of our own mail, as records hold it. */
#define POC_PROBLEM_OWN_MAIL "own mail"

/*
 * msg->envelope_from: NULL when unknown (an import without one), "" or
 * "<>" for the null sender (a bounce).
 * Only POC_ERR_NOMEM / POC_ERR_INVAL fail; everything else is in msg->problems. */
int poc_notice_read(const poc_reader *reader, const char *raw, size_t len, poc_message *msg,
		    GError **error);

/* Call once per process before any thread parses (GMime init). */
void poc_notice_init(void);

/* Does one of msg's problem lines start with prefix? (The problems below are contracts.) */
static inline gboolean
poc_notice_has_problem(const poc_message *msg, const char *prefix)
{
	for (guint i = 0; msg->problems && i < msg->problems->len; i++)
		if (g_str_has_prefix(g_ptr_array_index(msg->problems, i), prefix))
			return TRUE;
	return FALSE;
}

/*
 * The problem of a message longer than max_size (only its start read; the
 * milter spools only the first MaxMessageSize bytes and one more): never
 * acknowledged by itself, paged as too-large.
 */
#define POC_PROBLEM_TOO_LARGE "message over the size limit"
static inline gboolean
poc_notice_too_large(const poc_message *msg)
{
	return poc_notice_has_problem(msg, POC_PROBLEM_TOO_LARGE);
}

/*
 * The problem of a signed notice whose kind only its unsigned outer
 * Subject gave (the Subject names the step, doc/KINDS.md; the signed text
 * alone says otherwise): the kind chooses the template, but a change of
 * the case it implies (the statement request of a publication notice) is
 * a claim for a person, never made by itself (doc/PUBLICATION.md).
 */
#define POC_KIND_RULE_UNSIGNED ", unsigned Subject"	/* the end of its kind_rule */
static inline gboolean
poc_notice_kind_unsigned(const poc_message *msg)
{
	return msg->kind_rule && g_str_has_suffix(msg->kind_rule, POC_KIND_RULE_UNSIGNED);
}

/*
 * The problem of a signed notice whose signed text names no tracking
 * number, filed under the one of its unsigned outer Subject: held until a
 * person confirms it (never acknowledged by itself).
 */
#define POC_PROBLEM_TN_UNSIGNED "tracking number only in the unsigned Subject"
static inline gboolean
poc_notice_tracking_unsigned(const poc_message *msg)
{
	return poc_notice_has_problem(msg, POC_PROBLEM_TN_UNSIGNED);
}

G_END_DECLS

#endif
