/*
 * NAME
 *	caserules.h - what a filed message, an outbox result or a person's
 *	decision does to a case and its messages; the event vocabulary
 * DESCRIPTION
 *	Pure functions of records and a time: no database, no I/O, no clock
 *	(the caller passes now). The store calls them inside its write
 *	transaction and writes what they changed, with the events they add,
 *	in that transaction; doc/DATABASE.md and doc/PUBLICATION.md state the
 *	rules.
 *
 *	Events are appended to a GArray of poc_event (poc_case_events_new()):
 *	every string in them is the array's (poc_event_clear frees them).
 *	They are to be written in array order (the event keys' sequence
 *	numbers keep that order among events of the same second).
 */
#ifndef POC_CASERULES_H
#define POC_CASERULES_H

#include "record.h"

G_BEGIN_DECLS

/*
 * Event types. (contract: the strings of poc_event_name() are the "type"
 * of the events table and of pocctl export, doc/DATABASE.md)
 */
typedef enum poc_event_type {
	POC_EV_RECEIVED = 0,		/* "received" */
	POC_EV_FILED,			/* "filed": "new case" / "existing case" */
	POC_EV_PUBLICATION_DATE,	/* "publication-date": "OLD -> NEW" */
	POC_EV_STATEMENT_REQUESTED,	/* "statement-requested" */
	POC_EV_CLAIMED_CHANGE,		/* "claimed-change" */
	POC_EV_CLAIM_ACCEPTED,		/* "claim-accepted" */
	POC_EV_ACK_QUEUED,		/* "ack-queued": "outbox N" */
	POC_EV_ACK_SENT,		/* "ack-sent" */
	POC_EV_ACK_FAILED,		/* "ack-failed" */
	POC_EV_STATEMENT_QUEUED,	/* "statement-queued" */
	POC_EV_STATEMENT_SENT,		/* "statement-sent" */
	POC_EV_STATEMENT_FAILED,	/* "statement-failed" */
	POC_EV_STATE,			/* "state": "OLD -> NEW" (pocctl state, pocctl close) */
	POC_EV_NOTED,			/* "noted" */
	POC_EV_READ,			/* "read" (pocctl show, export) */
	POC_EV_PAGED,			/* "paged" */
	POC_EV_REPROCESSED,		/* "reprocessed" */
	POC_EV_ACK_NONE,		/* "ack-none" (pocctl ack --none) */
	POC_EV_ACK_QUEUED_BY_PERSON,	/* "ack-queued-by-person" */
	POC_EV_ACK_SEND_FAILED,		/* "ack-send-failed": an attempt failed, retried */
	POC_EV_ACK_OUTCOME_UNKNOWN,	/* "ack-outcome-unknown": SENDING after a crash */
	POC_EV_ACK_EVIDENCE,		/* "ack-evidence" */
	POC_EV_ACK_GUARD,		/* "ack-guard" */
	POC_EV_ACK_GUARD_FAILED,	/* "ack-guard-failed" */
	POC_EV_CLOSED,			/* "closed": written by older versions of pocctl close */
	POC_EV_COUNT
} poc_event_type;

const char *poc_event_name(poc_event_type type);	/* "?" out of range */
int poc_event_type_parse(const char *name);		/* -1: not one of ours */

/* A new array of events (poc_event, cleared when freed). */
GArray *poc_case_events_new(void);

/* --- filing ------------------------------------------------------------------ */

/*
 * A new case for m: open, opened at m's reception (now when unknown),
 * its target POC_TARGET_DAYS days later, the tracking number m's. The
 * caller has set c->id (the tracking number, or a local id).
 */
void poc_case_rules_open(poc_case *c, const poc_message *m, gint64 now);

/*
 * May m change its case (publication date, statement state) by itself:
 * a good signature that covers all, and not a replay.
 */
gboolean poc_case_rules_may_change(const poc_message *m);

/* A replay of the message first filed as first: a "replay:" problem, held for a person. */
void poc_case_rules_mark_replay(poc_message *m, const char *first);

/*
 * File m in c (new_case: c was made by poc_case_rules_open()): m's case
 * id, c's message ids, CVE and other vulnerability numbers, related
 * tracking numbers; a publication date that differs becomes c's (history
 * and event) or, from an untrusted message, m's claim; a publication
 * notice requests the statement (or claims it); updated_at. Events:
 * received, filed, publication-date, statement-requested, claimed-change.
 */
void poc_case_rules_file(poc_case *c, poc_message *m, gboolean new_case, gint64 now,
			 GArray *events);

/*
 * m's acknowledgement ack (its id set by the caller) is queued: ack's
 * message and case, created_at (when 0), m's ack_state; an ack-queued
 * event by actor (NULL: "pocmilter").
 */
void poc_case_rules_ack_queued(poc_message *m, poc_outbox_entry *ack, const char *actor,
			       gint64 now, GArray *events);

/* --- a message read again (pocctl reprocess) ---------------------------------- */

/*
 * Must the case follow m, updated from old: another publication date, or
 * m became a publication notice.
 */
gboolean poc_case_rules_reread_needed(const poc_message *m, const poc_message *old);
/*
 * The case follows m: m's publication date becomes c's unless a later
 * message of c has one (later_date, the caller looked), with history and a
 * "(reprocessed)" event; a publication notice requests the statement.
 * Returns whether c changed.
 */
gboolean poc_case_rules_reread(poc_case *c, const poc_message *m, gboolean later_date, gint64 now,
			       GArray *events);
/*
 * An acknowledgement sent is final: m (a new record of the message) keeps
 * old's ack_state, ack_sent_at, ack_message_id and ack_note (borrowed
 * from old) when old's was sent.
 */
void poc_case_rules_keep_sent(poc_message *m, const poc_message *old);

/* --- claims (pocctl accept) ---------------------------------------------------- */

/* Can m's claim be accepted: POC_ERR_INVAL (claims nothing), POC_ERR_EXISTS (accepted before). */
int poc_case_rules_claim_check(const poc_message *m, GError **error);
/*
 * Accept m's claim on c by actor: the publication date (history), the
 * statement request, m's claim_accepted_at, c's updated_at. Events:
 * publication-date, statement-requested, claim-accepted.
 */
void poc_case_rules_accept_claim(poc_case *c, poc_message *m, const char *actor, gint64 now,
				 GArray *events);

/* --- the outbox ------------------------------------------------------------------ */

/* Is m's acknowledgement open for a person or the guard to queue (held or failed)? */
gboolean poc_case_rules_ack_queueable(const poc_message *m);

/* What an outbox entry's new state (e, from old) does. */
typedef enum poc_outbox_outcome {
	POC_OUTCOME_NONE = 0,	/* the entry alone changes (claimed, retried) */
	POC_OUTCOME_ACK,	/* sent or failed: the message's ack_state follows */
	POC_OUTCOME_STATEMENT,	/* sent or failed: the case's statement_state follows */
	POC_OUTCOME_FINAL	/* old was sent: refused (at most one send) */
} poc_outbox_outcome;
poc_outbox_outcome poc_case_rules_outbox_outcome(const poc_outbox_entry *old,
						 const poc_outbox_entry *e);

/* An acknowledgement sent or failed (e): m's ack state; ack-sent / ack-failed. */
void poc_case_rules_ack_outcome(poc_message *m, const poc_outbox_entry *e, gint64 now,
				GArray *events);
/* A statement sent or failed (e, for request message_id): c's statement state; an event. */
void poc_case_rules_statement_outcome(poc_case *c, const poc_outbox_entry *e,
				      const char *message_id, gint64 now, GArray *events);
/*
 * A statement (e, its id set) is queued with statement_status by actor
 * (NULL: "pocmilter"): e's kind and created_at (when 0, now), c's
 * statement state and status; statement-queued.
 */
void poc_case_rules_statement_queued(poc_case *c, poc_outbox_entry *e,
				     const char *statement_status, const char *actor, gint64 now,
				     GArray *events);

/* --- people ---------------------------------------------------------------------- */

/*
 * Set c's state (one of poc_case_states[]) by actor (NULL: "pocmilter"),
 * with a "state" event "OLD -> NEW". FALSE: c is in that state already
 * (no change, no event).
 */
gboolean poc_case_rules_set_state(poc_case *c, const char *state, const char *actor, gint64 now,
				  GArray *events);

G_END_DECLS

#endif
