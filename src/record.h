/*
 * NAME
 *	record.h - the records of the case database: case, message, outbox
 *	entry, event, spool entry; and their JSON forms
 * DESCRIPTION
 *	These are plain structs owned by the caller; poc_*_free() frees one
 *	with everything it points to (NULL is fine). String fields are
 *	UTF-8 or NULL; GPtrArray fields hold char * and free them.
 *
 *	The JSON form of each record is the value format of the database
 *	(doc/DATABASE.md) and, for cases with their messages, the line
 *	format of `pocctl export` (field names in ../shared/spec/PRODUCT.md
 *	are the contract). Times are written as RFC 3339 in Japan time,
 *	absent values as null.
 *
 *	No record holds decrypted text: only metadata read from it.
 */
#ifndef POC_RECORD_H
#define POC_RECORD_H

#include <json-glib/json-glib.h>

#include "poc.h"

G_BEGIN_DECLS

/*
 * What the message's signature covers (doc/NOTICES.md). (contract values)
 * A record written before the field existed reads as none.
 */
typedef enum poc_sig_covers {
	POC_COVERS_NONE = 0,	/* no signature (or unknown: an older record) */
	POC_COVERS_ALL,		/* every text read, and any protected Subject used, is signed */
	POC_COVERS_PART		/* some text is outside the signature: see problems */
} poc_sig_covers;
const char *poc_sig_covers_name(poc_sig_covers);
int poc_sig_covers_parse(const char *);

typedef struct poc_message {
	char *message_id;	/* "<...>" from the header, or "<sha256-HEX@pocmilter.invalid>" */
	char *case_id;
	gint64 received_at;
	char *queue_id;		/* the MTA's, or NULL (import) */
	char *envelope_from;
	char *from;		/* addr-spec of From: */
	char *subject;		/* the outer Subject, decoded to UTF-8 */
	char *date;		/* Date: as sent */
	char *in_reply_to;
	poc_kind kind;
	char *kind_rule;	/* which rule decided kind: "FILE:LINE", "built-in N", ... */
	gboolean encrypted;
	poc_decryption decryption;
	poc_signature signature;
	char *signer;		/* fingerprint of the signing key, or NULL */
	char *signature_id;	/* "FPR@CREATED@DIGEST" of a valid signature: a replay has the same */
	poc_sig_covers signature_covers;
	char *tracking;		/* JPCERT#..., or NULL */
	GPtrArray *related_tracking;
	GPtrArray *vuln_ids;	/* every VN, CVE ids included */
	gint64 publication_date;
	/*
	 * A change of its case this message claimed but may not make by
	 * itself (its signature is not good, or does not cover all): kept
	 * here, the case unchanged, until `pocctl accept` (doc/PUBLICATION.md).
	 */
	gint64 claimed_publication_date;	/* 0: none */
	gboolean claimed_statement_request;	/* a publication notice's request */
	gint64 claim_accepted_at;		/* 0: not (yet) accepted */
	gboolean auto_submitted;	/* auto-reply, bounce, list mail: never acked */
	/*
	 * Our own mail (auto_submitted too), as poc_notice_read found it. Not
	 * in the record: there its problem line POC_PROBLEM_OWN_MAIL says so.
	 */
	gboolean own_mail;
	gboolean from_coordinator;
	gboolean ack_required;
	gint64 ack_deadline;
	poc_ack_state ack_state;
	gint64 ack_sent_at;
	char *ack_message_id;
	char *ack_note;		/* why held / why no ack (pocctl ack --none) */
	GPtrArray *problems;	/* what could not be read, one line each */
	gsize size;
} poc_message;

/* One change of a case's publication date: from (0: none) to, by a message. */
typedef struct poc_pub_change {
	gint64 at;		/* when the message was filed */
	gint64 from;
	gint64 to;
	char *message_id;
} poc_pub_change;
poc_pub_change *poc_pub_change_new(void);
void poc_pub_change_free(poc_pub_change *);

/* Where the vendor statement of a case stands. (contract values) */
typedef enum poc_statement_state {
	POC_STATEMENT_NONE = 0,		/* nobody asked for one yet */
	POC_STATEMENT_REQUESTED,	/* a publication notice asked for it */
	POC_STATEMENT_QUEUED,		/* in the outbox */
	POC_STATEMENT_SENT,
	POC_STATEMENT_FAILED
} poc_statement_state;
const char *poc_statement_state_name(poc_statement_state);
int poc_statement_state_parse(const char *);

/* JPCERT/CC's target: publication 45 days after handling starts (GUIDELINE.md). */
#define POC_TARGET_DAYS 45

typedef struct poc_case {
	char *id;		/* the tracking number, or a local id "LOCAL-YYYYMMDD-NNN" */
	char *tracking;		/* NULL for a local case */
	GPtrArray *vuln_ids;	/* VNs other than CVE */
	GPtrArray *cve_ids;
	GPtrArray *related_tracking;
	char *state;		/* "open", then poc_case_states[] (set by people) */
	gint64 opened_at;
	gint64 updated_at;
	gint64 publication_date;	/* as last announced */
	gint64 target_date;	/* opened_at + POC_TARGET_DAYS days */
	GPtrArray *publication_history;	/* poc_pub_change *, oldest first */
	poc_statement_state statement_state;
	char *statement_status;	/* "affected", ... as last queued, or NULL */
	gint64 statement_sent_at;
	GPtrArray *message_ids;	/* in order of arrival */
	GPtrArray *notes;	/* "TIME\tACTOR\tTEXT" */
} poc_case;

/* The states a person may set (pocctl state); a new case is "open". */
extern const char *const poc_case_states[];	/* NULL-terminated */
gboolean poc_case_state_valid(const char *state);

typedef enum poc_outbox_state {
	POC_OUTBOX_QUEUED = 0,
	POC_OUTBOX_SENDING,	/* handed to the command; outcome unknown if we crash */
	POC_OUTBOX_SENT,
	POC_OUTBOX_FAILED	/* gave up; paged */
} poc_outbox_state;
const char *poc_outbox_state_name(poc_outbox_state);
int poc_outbox_state_parse(const char *);

/* What an outbox entry carries. (contract values: "ack", "statement") */
typedef enum poc_outbox_kind {
	POC_OUTBOX_ACK = 0,	/* an acknowledgement of message_id */
	POC_OUTBOX_STATEMENT	/* the vendor statement of case_id (message_id: the request) */
} poc_outbox_kind;
const char *poc_outbox_kind_name(poc_outbox_kind);
int poc_outbox_kind_parse(const char *);

typedef struct poc_outbox_entry {
	guint64 id;		/* assigned by the store */
	poc_outbox_kind kind;
	char *message_id;	/* the notice acknowledged (answered, for a statement) */
	char *case_id;
	char *ack_message_id;	/* fixed before the first attempt */
	char *recipient;
	char *template_name;
	poc_outbox_state state;
	int attempts;
	gint64 created_at;
	gint64 next_attempt_at;
	gint64 sent_at;
	char *last_error;
	GBytes *payload;	/* the whole mail as handed to AckSendmail: signed and encrypted */
} poc_outbox_entry;

typedef struct poc_event {
	gint64 at;
	char *case_id;
	char *type;		/* received, filed, ack-queued, ack-sent, ack-failed, paged, noted, closed, read, ... */
	char *actor;		/* "pocmilter", "pocctl:UID(NAME)", ... */
	char *message_id;	/* or NULL */
	char *detail;		/* short text, never notice content */
} poc_event;

typedef struct poc_spool_info {
	gint64 received_at;
	char *queue_id;
	char *envelope_from;
	GPtrArray *recipients;
	char *source;		/* "milter", "import:PATH" */
} poc_spool_info;

poc_message *poc_message_new(void);
void poc_message_free(poc_message *);
poc_case *poc_case_new(void);
void poc_case_free(poc_case *);
poc_outbox_entry *poc_outbox_entry_new(void);
void poc_outbox_entry_free(poc_outbox_entry *);
void poc_event_clear(poc_event *);
void poc_spool_info_clear(poc_spool_info *);

/*
 * The JSON text of each record: the store's value format, and `pocctl
 * export`'s line (a case with its messages). *_encode appends one compact
 * object to out, members in the order above; with POC_ENCODE_VERSION it
 * starts with "v":POC_RECORD_VERSION. *_decode reads any JSON object
 * (unknown members are skipped, "v" goes to *version when not NULL, 0 if
 * absent) and fails with POC_ERR_PARSE saying where.
 *
 * The export object of a case is poc_case_encode(c, messages): the case
 * with messages[] embedded. The database value of a case has
 * message_ids[] only (messages are stored on their own).
 */
#define POC_RECORD_VERSION 1
#define POC_ENCODE_VERSION 0x1
void poc_message_encode(const poc_message *, unsigned flags, GString *out);
void poc_case_encode(const poc_case *, GPtrArray *messages /* poc_message *, or NULL */,
		     unsigned flags, GString *out);
void poc_outbox_entry_encode(const poc_outbox_entry *, unsigned flags, GString *out);
void poc_event_encode(const poc_event *, unsigned flags, GString *out);
void poc_spool_info_encode(const poc_spool_info *, unsigned flags, GString *out);
poc_message *poc_message_decode(const char *data, size_t len, int *version, GError **);
poc_case *poc_case_decode(const char *data, size_t len, int *version, GError **);
/* An outbox entry's payload is base64 in its JSON. */
poc_outbox_entry *poc_outbox_entry_decode(const char *data, size_t len, int *version, GError **);
int poc_event_decode(const char *data, size_t len, poc_event *out, int *version, GError **);
int poc_spool_info_decode(const char *data, size_t len, poc_spool_info *out, int *version,
			  GError **);

/* Appends compact JSON text (as *_encode writes it) laid out for people. */
void poc_json_pretty(const char *text, size_t len, GString *out);

/*
 * JSON that is not a record (page.c's state), through json-glib: a node
 * as JSON text (a new string).
 */
char *poc_json_to_string(JsonNode *node, gboolean pretty);
/* Parse text (len -1: NUL-terminated); a new node, or NULL and POC_ERR_PARSE. */
JsonNode *poc_json_parse(const char *text, gssize len, GError **error);

G_END_DECLS

#endif
