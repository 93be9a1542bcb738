/*
 * NAME
 *	ack.h - acknowledgements: who gets one, templates, composing the
 *	signed and encrypted PGP/MIME reply
 * DESCRIPTION
 *	poc_ack_decide() applies the policy of PRODUCT.md: only a notice
 *	from a Coordinator address, signed by a CoordinatorKey (good), of a
 *	kind in AckKinds, not an auto-reply, is acknowledged by itself;
 *	other notices that need an answer are held for a person.
 *
 *	Templates live in TemplateDir/LANG/NAME.tmpl: UTF-8 body text with
 *	{{placeholder}} fields (doc/TEMPLATES.md). All are loaded and
 *	checked at start: an unknown placeholder or a missing kind template
 *	is a configuration error then, not a broken mail later.
 *
 *	poc_ack_compose() builds the whole mail (RFC 3156 PGP/MIME:
 *	multipart/encrypted, signed and encrypted in one OpenPGP message)
 *	in memory and returns it as an outbox entry whose Message-ID is
 *	fixed, so that a send whose outcome is unknown can be recognised.
 */
#ifndef POC_ACK_H
#define POC_ACK_H

#include "conf.h"
#include "crypto.h"
#include "record.h"

G_BEGIN_DECLS

/*
 * Set msg->ack_required, ack_state (queued, or held with the reason in
 * ack_note). Auto-submitted mail, bounces, list mail and our own mail are
 * held too (a person decides), never queued.
 */
void poc_ack_decide(const poc_config *cfg, poc_message *msg);
/*
 * May it be acknowledged without a person (whatever AckMode says)? From a
 * coordinator, decrypted, signature good, kind in AckKinds, not automatic
 * mail, and (store not NULL) not a replay: its signature is owned by no
 * other Message-ID (store.h). The one rule of filing, pocctl reprocess
 * and the guard (AckGuard).
 */
struct poc_store;
gboolean poc_ack_may_auto(const poc_config *cfg, struct poc_store *store, const poc_message *msg);

typedef struct poc_templates poc_templates;

int poc_templates_load(const char *dir, const char *lang, poc_templates **out, GError **error);
void poc_templates_free(poc_templates *t);
gboolean poc_templates_has(const poc_templates *t, const char *name);
/* Names of the loaded templates (for pocctl). */
GPtrArray *poc_templates_names(const poc_templates *t);

/* The default template for a kind: "summary", "detail", ... */
const char *poc_ack_default_template(poc_kind kind);

/* Check one template text: every {{name}} known, braces closed. */
int poc_template_check(const char *text, gsize len, GError **error);
/* Render with the values of a notice; a new UTF-8 string. */
char *poc_template_render(const char *text, GHashTable *vars);
/* The placeholder values for a notice (keys: see doc/TEMPLATES.md). */
GHashTable *poc_ack_vars(const poc_config *cfg, const poc_message *notice, gint64 now);

/*
 * Compose the acknowledgement of notice with template name (NULL: the
 * kind's default). The entry is QUEUED with its payload, recipient and
 * ack_message_id. Errors: POC_ERR_NOTFOUND (no template, no key to
 * encrypt to when AckEncrypt is required), POC_ERR_CRYPTO.
 */
int poc_ack_compose(const poc_config *cfg, const poc_templates *t, poc_crypto *crypto,
		    const poc_message *notice, const char *name, gint64 now,
		    poc_outbox_entry **out, GError **error);

/* "iso-2022-jp" when wanted is and text fits JIS X 0208; "utf-8" otherwise. */
const char *poc_ack_charset_for(const char *text, const char *wanted);

/*
 * The raw, folded value (" ...\n") of header name with UTF-8 text in
 * charset: RFC 2047 B encoded words (ISO-2022-JP per RFC 1468, each word
 * ending in ASCII) of at most 75 characters, ASCII words left as they
 * are. NULL when the text does not convert to charset.
 */
char *poc_ack_encode_header(const char *name, const char *utf8, const char *charset);
/*
 * The signed and encrypted PGP/MIME mail of any reply whose text is
 * known (acknowledgements, vendor statements): To r->to, encrypted to
 * AckEncryptTo or else the pinned CoordinatorKey keys (never to whatever
 * key signed the notice), and to our own key; a queued outbox
 * entry (kind ack; the caller changes it) with its Message-ID fixed.
 */
typedef struct poc_reply {
	const char *to;		/* the coordinator's address */
	const char *subject;	/* UTF-8 */
	const char *body;	/* UTF-8 */
	const char *in_reply_to;	/* Message-ID threaded to, or NULL */
	const char *case_id;
	const char *case_header;	/* header naming the case; NULL: "X-POC-Ack" */
	const char *message_id;	/* the entry's message_id (the notice answered), or NULL */
	const char *template_name;
	gboolean auto_replied;	/* Auto-Submitted: auto-replied */
} poc_reply;
int poc_reply_compose(const poc_config *cfg, poc_crypto *crypto, const poc_reply *r, gint64 now,
		      poc_outbox_entry **out, GError **error);

/* A loaded template's text, or NULL. */
const char *poc_templates_get(const poc_templates *t, const char *name);
/* "Re: " + subject, once, sanitised for a header. */
char *poc_reply_subject(const char *subject);

/* What poc_text_sanitise keeps of line breaks. */
typedef enum {
	POC_SANITISE_HEADER,	/* one line: CR, LF and TAB each become a space */
	POC_SANITISE_LINES,	/* text a person gave: LF and TAB kept, CR dropped */
} poc_sanitise_mode;

/*
 * Outside text made safe for a mail we compose: NULL is "", other
 * control characters and DEL are dropped (line breaks as mode says), at
 * most max bytes are kept, and what is not UTF-8 is repaired (U+FFFD).
 * A new string.
 */
char *poc_text_sanitise(const char *value, gsize max, poc_sanitise_mode mode);

/* A header value from a notice made safe for ours: no CR, LF or NUL, bounded. */
static inline char *
poc_header_sanitise(const char *value, gsize max)
{
	return poc_text_sanitise(value, max, POC_SANITISE_HEADER);
}

/*
 * AckMode hold: queue the default template for every held notice whose
 * business time left (cal) is under AckGuard and that may be acknowledged
 * without a person (poc_ack_may_auto); recorded (ack-guard) and paged.
 * One that cannot be composed becomes failed (ack-guard-failed). Does
 * nothing unless AckMode is hold with templates, a store and crypto.
 * *queued: how many.
 */
struct poc_calendar;
int poc_ack_guard_run(const poc_config *cfg, const struct poc_calendar *cal,
		      const poc_templates *templates, struct poc_store *store, poc_crypto *crypto,
		      gint64 now, int *queued, GError **error);

G_END_DECLS

#endif
