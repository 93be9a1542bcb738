/*
 * NAME
 *	caserules.c - the case rules: filing, claims, acknowledgement and
 *	statement outcomes, case states; the event names
 * SYNOPSIS
 *	#include "caserules.h"
 *
 *	GArray *events = poc_case_events_new();
 *	poc_case_rules_file(c, m, new_case, now, events);
 *	...
 *	g_array_unref(events);
 * DESCRIPTION
 *	Each function changes the records it is given and appends the
 *	events that record the change; it reads nothing else (no database,
 *	no clock, no files). The store looks records up, calls a rule and
 *	writes records and events in one write transaction (store.c), so a
 *	rule runs again from fresh records when the transaction is retried.
 *
 *	The rules (doc/PUBLICATION.md, doc/DATABASE.md): a case opens with
 *	a target POC_TARGET_DAYS after its first message; CVE ids and other
 *	vulnerability numbers are kept apart (poc_text_is_cve); only a
 *	message with a good signature covering all, not a replay, changes a
 *	case's publication date or statement state, anything else records a
 *	claim for `pocctl accept`; every change of the date goes into the
 *	publication history; an acknowledgement sent is final.
 * DIAGNOSTICS
 *	poc_case_rules_claim_check() sets a GError (POC_ERROR domain) naming
 *	the message; the others cannot fail.
 * SECURITY
 *	Event details carry ids, dates, states and outbox errors, never
 *	notice text.
 */
#include "config.h"

#include <string.h>

#include "caserules.h"
#include "notice.h"
#include "text.h"

#define ACTOR "pocmilter"

static const char *const event_names[POC_EV_COUNT] = {
	[POC_EV_RECEIVED] = "received",
	[POC_EV_FILED] = "filed",
	[POC_EV_PUBLICATION_DATE] = "publication-date",
	[POC_EV_STATEMENT_REQUESTED] = "statement-requested",
	[POC_EV_CLAIMED_CHANGE] = "claimed-change",
	[POC_EV_CLAIM_ACCEPTED] = "claim-accepted",
	[POC_EV_ACK_QUEUED] = "ack-queued",
	[POC_EV_ACK_SENT] = "ack-sent",
	[POC_EV_ACK_FAILED] = "ack-failed",
	[POC_EV_STATEMENT_QUEUED] = "statement-queued",
	[POC_EV_STATEMENT_SENT] = "statement-sent",
	[POC_EV_STATEMENT_FAILED] = "statement-failed",
	[POC_EV_STATE] = "state",
	[POC_EV_NOTED] = "noted",
	[POC_EV_READ] = "read",
	[POC_EV_PAGED] = "paged",
	[POC_EV_REPROCESSED] = "reprocessed",
	[POC_EV_ACK_NONE] = "ack-none",
	[POC_EV_ACK_QUEUED_BY_PERSON] = "ack-queued-by-person",
	[POC_EV_ACK_SEND_FAILED] = "ack-send-failed",
	[POC_EV_ACK_OUTCOME_UNKNOWN] = "ack-outcome-unknown",
	[POC_EV_ACK_EVIDENCE] = "ack-evidence",
	[POC_EV_ACK_GUARD] = "ack-guard",
	[POC_EV_ACK_GUARD_FAILED] = "ack-guard-failed",
	[POC_EV_CLOSED] = "closed",
};

const char *
poc_event_name(poc_event_type type)
{
	return (unsigned)type < POC_EV_COUNT ? event_names[type] : "?";
}

int
poc_event_type_parse(const char *name)
{
	for (int i = 0; name && i < POC_EV_COUNT; i++)
		if (strcmp(name, event_names[i]) == 0)
			return i;
	return -1;
}

static void
event_clear(gpointer p)
{
	poc_event_clear(p);
}

GArray *
poc_case_events_new(void)
{
	GArray *a = g_array_new(FALSE, TRUE, sizeof(poc_event));

	g_array_set_clear_func(a, event_clear);
	return a;
}

static void
add_event(GArray *events, gint64 at, poc_event_type type, const char *actor,
	  const char *case_id, const char *message_id, const char *detail)
{
	poc_event ev = { at, g_strdup(case_id), g_strdup(poc_event_name(type)),
			 g_strdup(actor ? actor : ACTOR), g_strdup(message_id), g_strdup(detail) };

	g_array_append_val(events, ev);
}

static void
set_str(char **field, const char *value)
{
	char *copy = g_strdup(value);

	g_free(*field);
	*field = copy;
}

/* For short lists only (a message's problems). */
static gboolean
strv_has(const GPtrArray *v, const char *s)
{
	for (guint i = 0; v && i < v->len; i++)
		if (strcmp(g_ptr_array_index(v, i), s) == 0)
			return TRUE;
	return FALSE;
}

/* Add a copy of s to v unless set (the strings of v) has it; set follows. */
static void
strv_add_new(GPtrArray *v, GHashTable *set, const char *s)
{
	if (!g_hash_table_contains(set, s)) {
		char *copy = g_strdup(s);

		g_ptr_array_add(v, copy);
		g_hash_table_add(set, copy);
	}
}

/* c's publication date becomes date (from message_id): history and "OLD -> NEW[suffix]". */
static void
move_publication_date(poc_case *c, gint64 date, const char *message_id, const char *suffix,
		      const char *actor, gint64 now, GArray *events)
{
	poc_pub_change *pc = poc_pub_change_new();
	char from[POC_TIME_BUFSIZE] = "none", to[POC_TIME_BUFSIZE], detail[96];

	pc->at = now;
	pc->from = c->publication_date;
	pc->to = date;
	pc->message_id = g_strdup(message_id);
	g_ptr_array_add(c->publication_history, pc);
	c->publication_date = date;
	if (pc->from)
		poc_time_format(pc->from, from);
	g_snprintf(detail, sizeof(detail), "%s -> %s%s", from, poc_time_format(pc->to, to), suffix);
	add_event(events, now, POC_EV_PUBLICATION_DATE, actor, c->id, message_id, detail);
}

/* A publication notice asks for the vendor statement (GUIDELINE.md, Timelines). */
static gboolean
request_statement(poc_case *c, const char *message_id, const char *actor, gint64 now,
		  GArray *events)
{
	if (c->statement_state != POC_STATEMENT_NONE)
		return FALSE;
	c->statement_state = POC_STATEMENT_REQUESTED;
	add_event(events, now, POC_EV_STATEMENT_REQUESTED, actor, c->id, message_id, NULL);
	return TRUE;
}

/* "publication date 2026-12-15T11:00:00+09:00, statement request": what m claims. */
static void
claim_detail(const poc_message *m, char *buf, size_t size)
{
	char when[POC_TIME_BUFSIZE];

	g_snprintf(buf, size, "%s%s%s%s",
		   m->claimed_publication_date ? "publication date " : "",
		   m->claimed_publication_date ? poc_time_format(m->claimed_publication_date, when)
					       : "",
		   m->claimed_publication_date && m->claimed_statement_request ? ", " : "",
		   m->claimed_statement_request ? "statement request" : "");
}

/* --- filing ------------------------------------------------------------------ */

void
poc_case_rules_open(poc_case *c, const poc_message *m, gint64 now)
{
	if (m->tracking && *m->tracking)
		set_str(&c->tracking, m->tracking);
	set_str(&c->state, "open");
	c->opened_at = m->received_at ? m->received_at : now;
	c->target_date = c->opened_at + (gint64)POC_TARGET_DAYS * 86400;
}

gboolean
poc_case_rules_may_change(const poc_message *m)
{
	if (m->signature != POC_SIGNATURE_GOOD || m->signature_covers != POC_COVERS_ALL)
		return FALSE;
	/* A replay repeats an old notice: its date is old news. */
	return !poc_notice_has_problem(m, "replay:");
}

void
poc_case_rules_mark_replay(poc_message *m, const char *first)
{
	char *problem = g_strdup_printf("replay: the same signature as %s, filed before", first);

	if (!m->problems)
		m->problems = g_ptr_array_new_with_free_func(g_free);
	if (!strv_has(m->problems, problem))
		g_ptr_array_add(m->problems, problem);
	else
		g_free(problem);
	if (m->ack_required && (m->ack_state == POC_ACK_QUEUED || m->ack_state == POC_ACK_HELD)) {
		m->ack_state = POC_ACK_HELD;
		g_free(m->ack_note);
		m->ack_note = g_strdup_printf("replay of %s (same signature): a person decides", first);
	}
}

/* m's vulnerability numbers (CVE apart) and related tracking numbers join c's. */
static void
gather_ids(poc_case *c, const poc_message *m)
{
	GHashTable *cves = poc_strv_set(c->cve_ids), *vulns = poc_strv_set(c->vuln_ids);
	GHashTable *related = poc_strv_set(c->related_tracking);

	for (guint i = 0; m->vuln_ids && i < m->vuln_ids->len; i++) {
		const char *vn = g_ptr_array_index(m->vuln_ids, i);

		if (poc_text_is_cve(vn))
			strv_add_new(c->cve_ids, cves, vn);
		else
			strv_add_new(c->vuln_ids, vulns, vn);
	}
	for (guint i = 0; m->related_tracking && i < m->related_tracking->len; i++) {
		const char *tn = g_ptr_array_index(m->related_tracking, i);

		if (g_strcmp0(tn, c->id) != 0)
			strv_add_new(c->related_tracking, related, tn);
	}
	g_hash_table_unref(cves);
	g_hash_table_unref(vulns);
	g_hash_table_unref(related);
}

void
poc_case_rules_file(poc_case *c, poc_message *m, gboolean new_case, gint64 now, GArray *events)
{
	gboolean trusted = poc_case_rules_may_change(m);
	GArray *changes = poc_case_events_new();
	char detail[96];

	set_str(&m->case_id, c->id);
	g_ptr_array_add(c->message_ids, g_strdup(m->message_id));
	gather_ids(c, m);
	/*
	 * The case's state changes only from a message whose good signature
	 * covers what was read; anything else is a claim kept on the message
	 * for a person to accept (doc/PUBLICATION.md).
	 */
	if (m->publication_date && m->publication_date != c->publication_date) {
		if (trusted)
			move_publication_date(c, m->publication_date, m->message_id, "", NULL, now,
					      changes);
		else
			m->claimed_publication_date = m->publication_date;
	}
	if (m->kind == POC_KIND_PUBLICATION && c->statement_state == POC_STATEMENT_NONE) {
		if (!trusted || poc_notice_kind_unsigned(m))
			m->claimed_statement_request = TRUE;
		else
			request_statement(c, m->message_id, NULL, now, changes);
	}
	c->updated_at = now;

	add_event(events, m->received_at ? m->received_at : now, POC_EV_RECEIVED, NULL, c->id,
		  m->message_id, NULL);
	add_event(events, now, POC_EV_FILED, NULL, c->id, m->message_id,
		  new_case ? "new case" : "existing case");
	for (guint i = 0; i < changes->len; i++) {
		poc_event *ev = &g_array_index(changes, poc_event, i);

		g_array_append_val(events, *ev);
		memset(ev, 0, sizeof(*ev));	/* moved */
	}
	g_array_unref(changes);
	if (m->claimed_publication_date || m->claimed_statement_request) {
		claim_detail(m, detail, sizeof(detail));
		add_event(events, now, POC_EV_CLAIMED_CHANGE, NULL, c->id, m->message_id, detail);
	}
}

void
poc_case_rules_ack_queued(poc_message *m, poc_outbox_entry *ack, const char *actor, gint64 now,
			  GArray *events)
{
	char detail[48];

	set_str(&ack->message_id, m->message_id);
	if (!ack->case_id)
		ack->case_id = g_strdup(m->case_id);
	if (!ack->created_at)
		ack->created_at = now;
	m->ack_state = POC_ACK_QUEUED;
	g_snprintf(detail, sizeof(detail), "outbox %" G_GUINT64_FORMAT, ack->id);
	add_event(events, now, POC_EV_ACK_QUEUED, actor, m->case_id, m->message_id, detail);
}

/* --- a message read again ---------------------------------------------------------- */

gboolean
poc_case_rules_reread_needed(const poc_message *m, const poc_message *old)
{
	return m->case_id && (m->publication_date != old->publication_date ||
			      (m->kind == POC_KIND_PUBLICATION && old->kind != POC_KIND_PUBLICATION));
}

gboolean
poc_case_rules_reread(poc_case *c, const poc_message *m, gboolean later_date, gint64 now,
		      GArray *events)
{
	gboolean changed = FALSE;

	if (m->publication_date && m->publication_date != c->publication_date && !later_date) {
		move_publication_date(c, m->publication_date, m->message_id, " (reprocessed)", NULL,
				      now, events);
		changed = TRUE;
	}
	if (m->kind == POC_KIND_PUBLICATION && request_statement(c, m->message_id, NULL, now, events))
		changed = TRUE;
	if (changed)
		c->updated_at = now;
	return changed;
}

void
poc_case_rules_keep_sent(poc_message *m, const poc_message *old)
{
	/*
	 * A caller that read the record before the send was recorded (pocctl
	 * reprocess decrypting meanwhile) must not put the acknowledgement
	 * back to queued.
	 */
	if (old->ack_state == POC_ACK_SENT && m->ack_state != POC_ACK_SENT) {
		m->ack_state = old->ack_state;
		m->ack_sent_at = old->ack_sent_at;
		m->ack_message_id = old->ack_message_id;
		m->ack_note = old->ack_note;
	}
}

/* --- claims ----------------------------------------------------------------------- */

int
poc_case_rules_claim_check(const poc_message *m, GError **error)
{
	if (!m->claimed_publication_date && !m->claimed_statement_request) {
		g_set_error(error, POC_ERROR, POC_ERR_INVAL, "message %s claims no change of its case",
			    m->message_id);
		return POC_ERR_INVAL;
	}
	if (m->claim_accepted_at) {
		g_set_error(error, POC_ERROR, POC_ERR_EXISTS,
			    "message %s: its claim was accepted before", m->message_id);
		return POC_ERR_EXISTS;
	}
	return POC_OK;
}

void
poc_case_rules_accept_claim(poc_case *c, poc_message *m, const char *actor, gint64 now,
			    GArray *events)
{
	char detail[96];

	if (m->claimed_publication_date && m->claimed_publication_date != c->publication_date)
		move_publication_date(c, m->claimed_publication_date, m->message_id, "", actor, now,
				      events);
	if (m->claimed_statement_request)
		request_statement(c, m->message_id, actor, now, events);
	c->updated_at = now;
	m->claim_accepted_at = now;
	claim_detail(m, detail, sizeof(detail));
	add_event(events, now, POC_EV_CLAIM_ACCEPTED, actor, c->id, m->message_id, detail);
}

/* --- the outbox ---------------------------------------------------------------------- */

gboolean
poc_case_rules_ack_queueable(const poc_message *m)
{
	return m->ack_required && (m->ack_state == POC_ACK_HELD || m->ack_state == POC_ACK_FAILED);
}

poc_outbox_outcome
poc_case_rules_outbox_outcome(const poc_outbox_entry *old, const poc_outbox_entry *e)
{
	if (old->state == POC_OUTBOX_SENT)
		return POC_OUTCOME_FINAL;
	if (e->state == old->state || (e->state != POC_OUTBOX_SENT && e->state != POC_OUTBOX_FAILED))
		return POC_OUTCOME_NONE;
	/* A statement's outcome belongs to its case, never to a message's ack_state. */
	return old->kind == POC_OUTBOX_STATEMENT ? POC_OUTCOME_STATEMENT : POC_OUTCOME_ACK;
}

void
poc_case_rules_ack_outcome(poc_message *m, const poc_outbox_entry *e, gint64 now, GArray *events)
{
	char detail[256];

	if (e->state == POC_OUTBOX_SENT) {
		m->ack_state = POC_ACK_SENT;
		m->ack_sent_at = e->sent_at ? e->sent_at : now;
		set_str(&m->ack_message_id, e->ack_message_id);
		g_snprintf(detail, sizeof(detail), "outbox %" G_GUINT64_FORMAT " %s", e->id,
			   e->ack_message_id ? e->ack_message_id : "");
		add_event(events, m->ack_sent_at, POC_EV_ACK_SENT, NULL, m->case_id, m->message_id,
			  detail);
	} else {
		m->ack_state = POC_ACK_FAILED;
		g_snprintf(detail, sizeof(detail), "outbox %" G_GUINT64_FORMAT ": %s", e->id,
			   e->last_error ? e->last_error : "failed");
		add_event(events, now, POC_EV_ACK_FAILED, NULL, m->case_id, m->message_id, detail);
	}
}

void
poc_case_rules_statement_outcome(poc_case *c, const poc_outbox_entry *e, const char *message_id,
				 gint64 now, GArray *events)
{
	char detail[256];

	if (e->state == POC_OUTBOX_SENT) {
		c->statement_state = POC_STATEMENT_SENT;
		c->statement_sent_at = e->sent_at ? e->sent_at : now;
		g_snprintf(detail, sizeof(detail), "outbox %" G_GUINT64_FORMAT " %s %s", e->id,
			   e->ack_message_id ? e->ack_message_id : "",
			   c->statement_status ? c->statement_status : "");
	} else {
		c->statement_state = POC_STATEMENT_FAILED;
		g_snprintf(detail, sizeof(detail), "outbox %" G_GUINT64_FORMAT ": %s", e->id,
			   e->last_error ? e->last_error : "failed");
	}
	c->updated_at = now;
	add_event(events, e->state == POC_OUTBOX_SENT ? c->statement_sent_at : now,
		  e->state == POC_OUTBOX_SENT ? POC_EV_STATEMENT_SENT : POC_EV_STATEMENT_FAILED, NULL,
		  c->id, message_id, detail);
}

void
poc_case_rules_statement_queued(poc_case *c, poc_outbox_entry *e, const char *statement_status,
				const char *actor, gint64 now, GArray *events)
{
	char detail[160];

	e->kind = POC_OUTBOX_STATEMENT;
	if (!e->created_at)
		e->created_at = now;
	c->statement_state = POC_STATEMENT_QUEUED;
	set_str(&c->statement_status, statement_status);
	c->updated_at = e->created_at;
	g_snprintf(detail, sizeof(detail), "outbox %" G_GUINT64_FORMAT " %s", e->id,
		   statement_status ? statement_status : "");
	add_event(events, e->created_at, POC_EV_STATEMENT_QUEUED, actor, c->id, e->message_id,
		  detail);
}

/* --- people ----------------------------------------------------------------------------- */

gboolean
poc_case_rules_set_state(poc_case *c, const char *state, const char *actor, gint64 now,
			 GArray *events)
{
	char detail[96];

	if (g_strcmp0(c->state, state) == 0)
		return FALSE;
	g_snprintf(detail, sizeof(detail), "%s -> %s", c->state ? c->state : "none", state);
	set_str(&c->state, state);
	c->updated_at = now;
	add_event(events, now, POC_EV_STATE, actor, c->id, NULL, detail);
	return TRUE;
}
