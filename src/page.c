/*
 * NAME
 *	page.c - the paging check: conditions, page state, PageCommand
 * SYNOPSIS
 *	#include "page.h"
 *
 *	int poc_page_check(poc_runtime *rt, gint64 now, gboolean send_pages,
 *			   gboolean from_daemon, poc_page_status *st,
 *			   GError **error);
 * DESCRIPTION
 *	One run has three steps. (1) Read: the open acknowledgements, the
 *	queued outbox entries that failed, the spool, the cases and the
 *	heartbeat become a list of conditions, each a reason code and a
 *	subject (a Message-ID, a spool id, or "daemon"). (2) Summarise:
 *	counts, the worst level, the monitoring-plugin line. (3) With
 *	send_pages, page: each holding condition is claimed in one write
 *	transaction on its state "page:REASON:SUBJECT" (new, risen in level,
 *	or due to repeat by the policy of claim_due: CRITICAL every
 *	PageRepeat at any hour, WARNING every PageWarningRepeat in business
 *	hours, reminders never), then sent; WARNING conditions last paged
 *	before today's business hours began are claimed together and sent
 *	as one morning-summary page; a state whose condition no longer holds
 *	is deleted in one transaction by whoever sends its "resolved" page.
 *	A page that could not be delivered is given back (the claim undone)
 *	and goes out on the next run.
 *
 *	ack-due-soon counts business time (poc_calendar_business_before):
 *	a notice of Friday 20:00 with its deadline on Monday 17:30 pages
 *	at Monday 13:30, not on Friday night; with PageEscalate (1h) or less
 *	left it is CRITICAL. ack-overdue counts wall time and pages at night
 *	too. When due-soon becomes overdue the due-soon
 *	state is dropped without a "resolved" page (it got worse, not
 *	better).
 *
 *	A reminder's page carries its publication or target date in "due";
 *	"deadline" is only ever the acknowledgement deadline.
 *
 *	Message conditions hold while the message's acknowledgement is
 *	open (held, queued, failed): an acknowledgement sent, or settled by
 *	a person (pocctl ack --none), resolves them.
 * DIAGNOSTICS
 *	Each page, resolved page and failure is logged (msg_info/msg_warn)
 *	with the reason, case and Message-ID. A failing PageCommand is not
 *	an error of the run: pages_failed counts it.
 * SECURITY
 *	A page holds only metadata: reason, case id, tracking number,
 *	Message-ID, times and counts; never a subject or body. PageCommand
 *	runs without a shell, with a timeout (PageTimeout) after which it
 *	is killed.
 */
#include "config.h"

#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>

#include "caserules.h"
#include "exec.h"
#include "handover.h"
#include "log.h"
#include "notice.h"
#include "page.h"
#include "publication.h"
#include "runtime.h"

#define PAGE_PREFIX "page:"
#define MAX_SUBJECT 300		/* longer subjects (Message-IDs) are hashed in the key */
#define SUMMARY_MAX 3		/* conditions named in the status line */
#define HEARTBEAT_AHEAD 60	/* a heartbeat further in the future is not fresh */

typedef enum {
	R_OVERDUE, R_SILENT, R_DECRYPT, R_TOO_LARGE, R_SEND, R_SPOOL, R_STORE, R_DUE_SOON, R_HELD,
	R_SIGNATURE, R_CLAIMED, R_STATEMENT_DUE, R_PUBLICATION_TODAY, R_TARGET_NEAR, R_COUNT,
	R_SUMMARY	/* not a condition: the morning-summary page */
} reason_code;

/* Publication reminders page once per due time, and need no "resolved" page. */
#define IS_REMINDER(r) ((r) >= R_STATEMENT_DUE && (r) < R_COUNT)

/* In the order the status line names them: the worst first. */
static const struct {
	const char *name;
	poc_page_level level;
} reasons[R_COUNT] = {
	[R_OVERDUE] = { "ack-overdue", POC_PAGE_CRITICAL },
	[R_SILENT] = { "filter-silent", POC_PAGE_CRITICAL },
	[R_DECRYPT] = { "decrypt-failed", POC_PAGE_CRITICAL },
	[R_TOO_LARGE] = { "too-large", POC_PAGE_CRITICAL },
	[R_SEND] = { "send-failed", POC_PAGE_CRITICAL },
	[R_SPOOL] = { "spool-stuck", POC_PAGE_CRITICAL },
	[R_STORE] = { "store-failed", POC_PAGE_CRITICAL },
	[R_DUE_SOON] = { "ack-due-soon", POC_PAGE_WARNING },
	[R_HELD] = { "ack-held", POC_PAGE_WARNING },
	[R_SIGNATURE] = { "signature-not-good", POC_PAGE_WARNING },
	[R_CLAIMED] = { "claimed-change", POC_PAGE_WARNING },
	[R_STATEMENT_DUE] = { "statement-due", POC_PAGE_WARNING },
	[R_PUBLICATION_TODAY] = { "publication-today", POC_PAGE_WARNING },
	[R_TARGET_NEAR] = { "target-near", POC_PAGE_WARNING },
};

static int
reason_parse(const char *name, size_t len)
{
	for (int r = 0; r < R_COUNT; r++)
		if (strlen(reasons[r].name) == len && memcmp(reasons[r].name, name, len) == 0)
			return r;
	return -1;
}

const char *
poc_page_level_name(poc_page_level level)
{
	static const char *const names[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };

	return (unsigned)level < G_N_ELEMENTS(names) ? names[level] : "UNKNOWN";
}

/* --- conditions --------------------------------------------------------- */

/* What a page says about its subject: also kept in the state for the resolved page. */
typedef struct page_info {
	char *case_id, *tracking, *message_id;
	gint64 deadline;	/* the acknowledgement deadline; 0: none */
	gint64 due;		/* a reminder's publication or target date; 0: none */
} page_info;

typedef struct condition {
	reason_code reason;
	poc_page_level level;	/* the reason's, or CRITICAL when escalated */
	char *key;		/* "page:REASON:SUBJECT" */
	page_info info;
	char *note;		/* for the long output: why, in a few words */
} condition;

static void
page_info_clear(page_info *pi)
{
	g_clear_pointer(&pi->case_id, g_free);
	g_clear_pointer(&pi->tracking, g_free);
	g_clear_pointer(&pi->message_id, g_free);
	pi->deadline = 0;
	pi->due = 0;
}

static void
condition_free(condition *c)
{
	g_free(c->key);
	page_info_clear(&c->info);
	g_free(c->note);
	g_free(c);
}

static char *
state_key(reason_code r, const char *subject)
{
	if (strlen(subject) > MAX_SUBJECT) {
		char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, subject, -1);
		char *key = g_strdup_printf(PAGE_PREFIX "%s:sha256:%s", reasons[r].name, sum);

		g_free(sum);
		return key;
	}
	return g_strdup_printf(PAGE_PREFIX "%s:%s", reasons[r].name, subject);
}

typedef struct check_ctx {
	poc_runtime *rt;
	gint64 now;
	poc_page_status *st;
	GPtrArray *conditions;	/* condition * */
	GHashTable *holding;	/* key -> condition * (borrowed) */
	GHashTable *open_msgs;	/* message id -> page_info * (for outbox entries) */
} check_ctx;

static condition *
add_condition(check_ctx *w, reason_code r, const char *subject, const page_info *pi,
	      const char *note)
{
	condition *c;
	char *key = state_key(r, subject);

	if (g_hash_table_contains(w->holding, key)) {
		g_free(key);
		return NULL;
	}
	c = g_new0(condition, 1);
	c->reason = r;
	c->level = reasons[r].level;
	c->key = key;
	if (pi) {
		c->info.case_id = g_strdup(pi->case_id);
		c->info.tracking = g_strdup(pi->tracking);
		c->info.message_id = g_strdup(pi->message_id);
		c->info.deadline = pi->deadline;
		c->info.due = pi->due;
	}
	c->note = g_strdup(note);
	g_ptr_array_add(w->conditions, c);
	g_hash_table_insert(w->holding, c->key, c);
	return c;
}

static void
page_info_free(page_info *pi)
{
	page_info_clear(pi);
	g_free(pi);
}

static int
check_message(poc_message *m, void *data)
{
	check_ctx *w = data;
	poc_page_status *st = w->st;
	const poc_config *cfg = w->rt->cfg;
	page_info pi = { m->case_id, m->tracking, m->message_id, m->ack_deadline };
	page_info *copy;

	if (!m->message_id)
		return 0;
	copy = g_new0(page_info, 1);
	copy->case_id = g_strdup(m->case_id);
	copy->tracking = g_strdup(m->tracking);
	copy->message_id = g_strdup(m->message_id);
	copy->deadline = m->ack_deadline;
	g_hash_table_replace(w->open_msgs, copy->message_id, copy);

	st->unacked++;
	if (m->ack_state == POC_ACK_HELD) {
		st->held++;
		add_condition(w, R_HELD, m->message_id, &pi, m->ack_note);
	}
	if (m->ack_state == POC_ACK_FAILED) {
		st->failed++;
		add_condition(w, R_SEND, m->message_id, &pi, "acknowledgement failed");
	}
	if (poc_notice_too_large(m))
		add_condition(w, R_TOO_LARGE, m->message_id, &pi,
			      "over MaxMessageSize: only its start was read; read it in the mailbox");
	if (m->decryption == POC_DECRYPTION_FAILED)
		add_condition(w, R_DECRYPT, m->message_id, &pi, "could not be decrypted");
	else if (m->from_coordinator && m->signature != POC_SIGNATURE_GOOD)
		add_condition(w, R_SIGNATURE, m->message_id, &pi, poc_signature_name(m->signature));
	else if (m->from_coordinator && m->signature_covers != POC_COVERS_ALL)
		add_condition(w, R_SIGNATURE, m->message_id, &pi,
			      "good, but text outside the signature");
	/* A change of its case it may not make by itself: a person accepts it (pocctl accept). */
	if ((m->claimed_publication_date || m->claimed_statement_request) && !m->claim_accepted_at)
		add_condition(w, R_CLAIMED, m->message_id, &pi,
			      m->claimed_publication_date ? "claims a publication date"
							  : "claims a statement request");
	if (m->ack_deadline <= 0)
		return 0;
	if (w->now >= m->ack_deadline) {
		st->overdue++;
		add_condition(w, R_OVERDUE, m->message_id, &pi, NULL);
	} else {
		gint64 due_soon_at = poc_calendar_business_before(w->rt->cal, m->ack_deadline,
								  cfg->page_before);

		if (!st->next_deadline || m->ack_deadline < st->next_deadline)
			st->next_deadline = m->ack_deadline;
		if (due_soon_at >= 0 && w->now >= due_soon_at) {
			condition *c = add_condition(w, R_DUE_SOON, m->message_id, &pi, NULL);
			gint64 escalate_at = poc_calendar_business_before(
				w->rt->cal, m->ack_deadline,
				cfg->page_escalate > 0 ? cfg->page_escalate : 0);

			st->due_soon++;
			/* The last PageEscalate of business time: a WARNING no longer. */
			if (c && cfg->page_escalate > 0 && escalate_at >= 0 && w->now >= escalate_at) {
				c->level = POC_PAGE_CRITICAL;
				c->note = g_strdup("escalated: PageEscalate");
			}
		}
	}
	return 0;
}

static int
count_case(poc_case *c, void *data)
{
	static const reason_code reminder_reason[] = {
		[POC_REMINDER_STATEMENT_DUE] = R_STATEMENT_DUE,
		[POC_REMINDER_PUBLICATION_TODAY] = R_PUBLICATION_TODAY,
		[POC_REMINDER_TARGET_NEAR] = R_TARGET_NEAR,
	};
	check_ctx *w = data;
	poc_reminder due[POC_REMINDERS_MAX];
	int n;

	if (!c->state || strcmp(c->state, "closed") != 0)
		w->st->open++;
	/* Publication reminders (doc/PUBLICATION.md): one page per case and due time. */
	n = poc_publication_reminders(w->rt->cal,
				      poc_statement_before_days(w->rt->cfg->statement_before), c,
				      w->now, due, G_N_ELEMENTS(due));
	for (int i = 0; i < n && i < (int)G_N_ELEMENTS(due); i++) {
		reason_code r = reminder_reason[due[i].reason];
		/* deadline is the acknowledgement's: a reminder has none, its date is "due". */
		page_info pi = { c->id, c->tracking, NULL, 0,
				 r == R_TARGET_NEAR ? due[i].target_date : due[i].publication_date };
		char *subject = g_strdup_printf("%s@%" G_GINT64_FORMAT, c->id, due[i].due_at);

		add_condition(w, r, subject, &pi, NULL);
		g_free(subject);
	}
	return 0;
}

/* Queued entries that failed at least once: the outbox cannot deliver. */
static int
check_outbox(check_ctx *w, GError **error)
{
	GPtrArray *list = g_ptr_array_new_with_free_func((GDestroyNotify)poc_outbox_entry_free);
	int status = poc_store_outbox_list(w->rt->store, POC_OUTBOX_QUEUED, list, error);

	for (guint i = 0; status == POC_OK && i < list->len; i++) {
		poc_outbox_entry *e = g_ptr_array_index(list, i);
		page_info *pi, own = { e->case_id, NULL, e->message_id, 0, 0 };

		if (e->attempts == 0 || !e->message_id)
			continue;
		pi = g_hash_table_lookup(w->open_msgs, e->message_id);
		if (add_condition(w, R_SEND, e->message_id, pi ? pi : &own, "outbox retrying"))
			w->st->failed++;
	}
	g_ptr_array_unref(list);
	return status;
}

static int
check_spool(check_ctx *w, GError **error)
{
	GArray *ids = g_array_new(FALSE, FALSE, sizeof(guint64));
	gint64 limit = w->rt->cfg->spool_stuck > 0 ? w->rt->cfg->spool_stuck : 600;
	int status = poc_store_spool_pending(w->rt->store, ids, error);

	w->st->spooled = status == POC_OK ? (int)ids->len : 0;
	for (guint i = 0; status == POC_OK && i < ids->len; i++) {
		guint64 id = g_array_index(ids, guint64, i);
		poc_spool_info info = { 0 };
		GBytes *raw = NULL;
		int rc = poc_store_spool_get(w->rt->store, id, &raw, &info, NULL);

		/* The raw message (as received, ciphertext) is dropped unread. */
		if (raw)
			g_bytes_unref(raw);
		if (rc == POC_OK && w->now - info.received_at >= limit) {
			char subject[32], note[64];
			page_info pi = { NULL, NULL, NULL, 0, 0 };

			g_snprintf(subject, sizeof(subject), "spool:%" G_GUINT64_FORMAT, id);
			g_snprintf(note, sizeof(note), "spooled %" G_GINT64_FORMAT "s ago",
				   w->now - info.received_at);
			w->st->stuck++;
			add_condition(w, R_SPOOL, subject, &pi, note);
		}
		poc_spool_info_clear(&info);
	}
	g_array_free(ids, TRUE);
	return status;
}

/* --- the status line ------------------------------------------------------ */

/* "2026-11-26T17:30+09:00": minutes are enough for people and plugins. */
static const char *
short_time(gint64 t, char buf[POC_TIME_BUFSIZE])
{
	char full[POC_TIME_BUFSIZE];

	poc_time_format(t, full);
	if (strlen(full) == 25)	/* YYYY-MM-DDTHH:MM:SS+09:00 */
		g_snprintf(buf, POC_TIME_BUFSIZE, "%.16s%s", full, full + 19);
	else
		g_strlcpy(buf, full, POC_TIME_BUFSIZE);
	return buf;
}

/* "4h 00m", "25m", "-1h 30m": business time for people. */
static char *
duration_text(gint64 seconds)
{
	gint64 a = seconds < 0 ? -seconds : seconds;
	const char *sign = seconds < 0 ? "-" : "";

	if (a >= 3600)
		return g_strdup_printf("%s%" G_GINT64_FORMAT "h %02" G_GINT64_FORMAT "m", sign,
				       a / 3600, a % 3600 / 60);
	return g_strdup_printf("%s%" G_GINT64_FORMAT "m", sign, a / 60);
}

/* Business seconds to the deadline; negative (business time since) once it has passed. */
static gint64
business_left(const poc_calendar *cal, gint64 now, gint64 deadline)
{
	if (now < deadline)
		return poc_calendar_business_seconds(cal, now, deadline);
	return -poc_calendar_business_seconds(cal, deadline, now);
}

static const char *
subject_name(const condition *c)
{
	if (c->info.case_id)
		return c->info.case_id;
	if (c->info.tracking)
		return c->info.tracking;
	if (c->info.message_id)
		return c->info.message_id;
	return strchr(c->key + strlen(PAGE_PREFIX), ':') + 1;
}

static gint
condition_order(gconstpointer a, gconstpointer b)
{
	const condition *x = *(condition *const *)a, *y = *(condition *const *)b;

	if (x->reason != y->reason)
		return (int)x->reason - (int)y->reason;
	return strcmp(x->key, y->key);
}

static void
summarise(check_ctx *w)
{
	poc_page_status *st = w->st;
	GString *line = g_string_new("POCMILTER ");
	char tbuf[POC_TIME_BUFSIZE];
	guint named = 0;

	g_ptr_array_sort(w->conditions, condition_order);
	st->level = POC_PAGE_OK;
	for (guint i = 0; i < w->conditions->len; i++) {
		condition *c = g_ptr_array_index(w->conditions, i);
		GString *d = g_string_new(NULL);

		if (c->level > st->level)
			st->level = c->level;
		g_string_append_printf(d, "%s %s", poc_page_level_name(c->level),
				       reasons[c->reason].name);
		if (c->info.case_id)
			g_string_append_printf(d, " case=%s", c->info.case_id);
		if (c->info.message_id)
			g_string_append_printf(d, " message_id=%s", c->info.message_id);
		if (c->info.deadline) {
			char *left = duration_text(business_left(w->rt->cal, w->now, c->info.deadline));

			g_string_append_printf(d, " deadline=%s business_time_left=%s",
					       short_time(c->info.deadline, tbuf), left);
			g_free(left);
		}
		if (c->info.due)
			g_string_append_printf(d, " due=%s", short_time(c->info.due, tbuf));
		if (c->note)
			g_string_append_printf(d, " (%s)", c->note);
		g_ptr_array_add(st->conditions, g_string_free(d, FALSE));
	}
	g_string_append_printf(line, "%s - ", poc_page_level_name(st->level));
	for (guint i = 0; i < w->conditions->len && named < SUMMARY_MAX; i++, named++) {
		condition *c = g_ptr_array_index(w->conditions, i);

		g_string_append_printf(line, "%s%s %s", named ? ", " : "", reasons[c->reason].name,
				       subject_name(c));
	}
	if (w->conditions->len > named)
		g_string_append_printf(line, " and %u more", w->conditions->len - named);
	if (named)
		g_string_append(line, "; ");
	g_string_append_printf(line, "%d open case%s", st->open, st->open == 1 ? "" : "s");
	if (st->next_deadline)
		g_string_append_printf(line, ", next deadline %s", short_time(st->next_deadline, tbuf));
	g_string_append_printf(line,
			       " | open=%d overdue=%d held=%d unacked=%d due_soon=%d failed=%d"
			       " spooled=%d",
			       st->open, st->overdue, st->held, st->unacked, st->due_soon, st->failed,
			       st->spooled);
	/* Always the same labels (monitoring-plugins guidelines): U when not known. */
	if (st->heartbeat)
		g_string_append_printf(line, " heartbeat_age=%" G_GINT64_FORMAT "s;;%" G_GINT64_FORMAT,
				       MAX(w->now - st->heartbeat, 0), w->rt->cfg->heartbeat_max);
	else
		g_string_append_printf(line, " heartbeat_age=U;;%" G_GINT64_FORMAT,
				       w->rt->cfg->heartbeat_max);
	st->line = g_string_free(line, FALSE);
}

/* --- page state ------------------------------------------------------------- */

typedef struct page_state {
	gint64 first_seen, last_paged;
	int count;
	int level;		/* the level last paged (poc_page_level); -1: not recorded */
	page_info info;
} page_state;

static void
add_time(JsonBuilder *b, const char *name, gint64 t)
{
	char buf[POC_TIME_BUFSIZE];

	json_builder_set_member_name(b, name);
	if (t)
		json_builder_add_string_value(b, poc_time_format(t, buf));
	else
		json_builder_add_null_value(b);
}

static void
add_str(JsonBuilder *b, const char *name, const char *value)
{
	json_builder_set_member_name(b, name);
	if (value)
		json_builder_add_string_value(b, value);
	else
		json_builder_add_null_value(b);
}

static char *
builder_text(JsonBuilder *b)
{
	JsonNode *node = json_builder_get_root(b);
	char *text = poc_json_to_string(node, FALSE);

	json_node_unref(node);
	g_object_unref(b);
	return text;
}

static char *
state_encode(const page_state *ps)
{
	JsonBuilder *b = json_builder_new();

	json_builder_begin_object(b);
	add_time(b, "first_seen", ps->first_seen);
	add_time(b, "last_paged", ps->last_paged);
	json_builder_set_member_name(b, "count");
	json_builder_add_int_value(b, ps->count);
	add_str(b, "case", ps->info.case_id);
	add_str(b, "tracking", ps->info.tracking);
	add_str(b, "message_id", ps->info.message_id);
	add_time(b, "deadline", ps->info.deadline);
	add_time(b, "due", ps->info.due);
	if (ps->level >= 0)
		add_str(b, "level", poc_page_level_name(ps->level));
	json_builder_end_object(b);
	return builder_text(b);
}

static gint64
obj_time(JsonObject *o, const char *name)
{
	const char *text = json_object_get_string_member_with_default(o, name, NULL);
	gint64 t = text ? poc_time_parse(text) : 0;

	return t < 0 ? 0 : t;
}

static char *
obj_str(JsonObject *o, const char *name)
{
	return g_strdup(json_object_get_string_member_with_default(o, name, NULL));
}

/* A state that cannot be read counts as none: it is rewritten on the next claim. */
static gboolean
state_decode(const char *text, page_state *ps)
{
	JsonNode *node = text ? poc_json_parse(text, -1, NULL) : NULL;
	JsonObject *o;

	memset(ps, 0, sizeof(*ps));
	if (!node)
		return FALSE;
	if (!JSON_NODE_HOLDS_OBJECT(node)) {
		json_node_unref(node);
		return FALSE;
	}
	o = json_node_get_object(node);
	ps->first_seen = obj_time(o, "first_seen");
	ps->last_paged = obj_time(o, "last_paged");
	ps->count = (int)json_object_get_int_member_with_default(o, "count", 0);
	ps->info.case_id = obj_str(o, "case");
	ps->info.tracking = obj_str(o, "tracking");
	ps->info.message_id = obj_str(o, "message_id");
	ps->info.deadline = obj_time(o, "deadline");
	ps->info.due = obj_time(o, "due");
	ps->level = -1;
	for (int l = POC_PAGE_OK; l <= POC_PAGE_UNKNOWN; l++)
		if (g_strcmp0(json_object_get_string_member_with_default(o, "level", NULL),
			      poc_page_level_name(l)) == 0)
			ps->level = l;
	json_node_unref(node);
	return TRUE;
}

/*
 * Claiming a page of a holding condition (doc/PAGING.md, "When it pages"):
 * a new condition, or one whose level rose, pages at once at any hour; a
 * CRITICAL one repeats every PageRepeat at any hour; a WARNING one repeats
 * every PageWarningRepeat within business hours only, and when business
 * hours begin, what was last paged before them goes into one
 * morning-summary page; a reminder never repeats. A last page in the
 * future (the clock was stepped back) counts as long ago.
 */
typedef struct claim {
	const condition *cond;
	gint64 now, repeat, warning_repeat;
	gboolean in_business;	/* now is within business hours */
	gint64 day_start;	/* start of today's business hours */
	/* out (overwritten on every call: the store may run the update twice) */
	gboolean claimed, summary;
	page_state prev, next;
} claim;

static gboolean
claim_due(claim *cl, gboolean known)
{
	const page_state *ps = &cl->prev;
	poc_page_level level = cl->cond->level;

	if (!known || !ps->last_paged || ps->last_paged > cl->now)
		return TRUE;
	if (ps->level >= 0 && (int)level > ps->level)
		return TRUE;	/* escalated */
	if (IS_REMINDER(cl->cond->reason))
		return FALSE;
	if (level >= POC_PAGE_CRITICAL)
		return cl->now - ps->last_paged >= cl->repeat;
	if (!cl->in_business)
		return FALSE;
	if (ps->last_paged < cl->day_start) {
		cl->summary = TRUE;	/* waited outside business hours */
		return TRUE;
	}
	return cl->now - ps->last_paged >= cl->warning_repeat;
}

static int
claim_fn(const char *old_value, char **new_value, void *data)
{
	claim *cl = data;
	gboolean known;

	page_info_clear(&cl->prev.info);
	cl->claimed = cl->summary = FALSE;
	known = state_decode(old_value, &cl->prev);
	if (!claim_due(cl, known))
		return POC_META_KEEP;
	cl->next.first_seen = cl->prev.first_seen ? cl->prev.first_seen : cl->now;
	cl->next.last_paged = cl->now;
	cl->next.count = cl->prev.count + 1;
	cl->next.level = cl->cond->level;
	cl->next.info = cl->cond->info;		/* borrowed for the encoding */
	*new_value = state_encode(&cl->next);
	cl->claimed = TRUE;
	return POC_META_WRITE;
}

/* Giving a claim back (the page was not delivered): only if it is still ours. */
static int
unclaim_fn(const char *old_value, char **new_value, void *data)
{
	claim *cl = data;
	page_state cur;
	int verdict = POC_META_KEEP;

	if (state_decode(old_value, &cur) && cur.last_paged == cl->next.last_paged &&
	    cur.count == cl->next.count) {
		cur.last_paged = cl->prev.last_paged;
		cur.count = cl->prev.count;
		cur.level = cl->prev.level;
		*new_value = state_encode(&cur);
		verdict = POC_META_WRITE;
	}
	page_info_clear(&cur.info);
	return verdict;
}

/* Claiming the resolved page: the state is deleted by the one who sends it. */
typedef struct resolve {
	gboolean send;
	char *old_value;
	page_state old;
} resolve;

static int
resolve_fn(const char *old_value, char **new_value, void *data)
{
	resolve *rs = data;

	rs->send = FALSE;
	g_clear_pointer(&rs->old_value, g_free);
	page_info_clear(&rs->old.info);
	if (!old_value)
		return POC_META_KEEP;
	rs->old_value = g_strdup(old_value);
	/* Never paged (every attempt failed): nothing to take back. */
	rs->send = state_decode(old_value, &rs->old) && rs->old.count > 0;
	*new_value = NULL;
	return POC_META_WRITE;
}

static int
restore_fn(const char *old_value, char **new_value, void *data)
{
	if (old_value)
		return POC_META_KEEP;	/* the condition came back meanwhile */
	*new_value = g_strdup(((resolve *)data)->old_value);
	return POC_META_WRITE;
}

static int
drop_fn(const char *old_value, char **new_value, void *data)
{
	*new_value = NULL;
	return old_value ? POC_META_WRITE : POC_META_KEEP;
}

/* --- sending ------------------------------------------------------------------- */

typedef struct page_out {
	reason_code reason;	/* R_SUMMARY: the morning summary of the conditions in waiting */
	gboolean resolved;
	const page_info *info;
	gint64 first_seen;
	int count;
	poc_page_level level;	/* when firing */
	GPtrArray *waiting;	/* R_SUMMARY: the claims (claim *) it stands for */
} page_out;

static const char *
out_level(const page_out *p)
{
	return p->resolved ? "OK" : poc_page_level_name(p->level);
}

static const char *
out_reason(const page_out *p)
{
	return p->reason == R_SUMMARY ? "morning-summary" : reasons[p->reason].name;
}

/* The JSON of a page: these fields, nothing else (doc/PAGING.md). */
static char *
page_json(const poc_runtime *rt, gint64 now, const page_out *p)
{
	JsonBuilder *b = json_builder_new();

	json_builder_begin_object(b);
	add_str(b, "reason", out_reason(p));
	add_str(b, "status", p->resolved ? "resolved" : "firing");
	add_str(b, "level", out_level(p));
	add_str(b, "case", p->info->case_id);
	add_str(b, "tracking", p->info->tracking);
	add_str(b, "message_id", p->info->message_id);
	add_time(b, "deadline", p->info->deadline);
	json_builder_set_member_name(b, "business_time_left");
	if (p->info->deadline) {
		gint64 left = business_left(rt->cal, now, p->info->deadline);
		char *text = duration_text(left);

		json_builder_add_int_value(b, left);
		add_str(b, "business_time_left_text", text);
		g_free(text);
	} else {
		json_builder_add_null_value(b);
		add_str(b, "business_time_left_text", NULL);
	}
	add_time(b, "first_seen", p->first_seen);
	json_builder_set_member_name(b, "count");
	json_builder_add_int_value(b, p->count);
	add_time(b, "at", now);
	add_time(b, "due", p->info->due);
	if (p->waiting) {
		json_builder_set_member_name(b, "waiting");
		json_builder_begin_array(b);
		for (guint i = 0; i < p->waiting->len; i++) {
			const claim *cl = g_ptr_array_index(p->waiting, i);
			const page_info *pi = &cl->cond->info;

			json_builder_begin_object(b);
			add_str(b, "reason", reasons[cl->cond->reason].name);
			add_str(b, "case", pi->case_id);
			add_str(b, "tracking", pi->tracking);
			add_str(b, "message_id", pi->message_id);
			add_time(b, "deadline", pi->deadline);
			add_time(b, "first_seen", cl->next.first_seen);
			json_builder_set_member_name(b, "count");
			json_builder_add_int_value(b, cl->next.count);
			json_builder_end_object(b);
		}
		json_builder_end_array(b);
	}
	json_builder_end_object(b);
	return builder_text(b);
}

/* Header-safe: no control characters, bounded. */
static char *
header_safe(const char *s)
{
	char *out = g_strndup(s ? s : "-", 200);

	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return out;
}

/* RFC 5322 date in Japan time, English names whatever the locale. */
static char *
mail_date(gint64 now)
{
	static const char *const days[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	GDateTime *jst = g_date_time_new_from_unix_utc(now + POC_JST_OFFSET);
	char *date = g_strdup_printf("%s, %02d %s %04d %02d:%02d:%02d +0900",
				     days[g_date_time_get_day_of_week(jst) - 1],
				     g_date_time_get_day_of_month(jst),
				     months[g_date_time_get_month(jst) - 1], g_date_time_get_year(jst),
				     g_date_time_get_hour(jst), g_date_time_get_minute(jst),
				     g_date_time_get_second(jst));

	g_date_time_unref(jst);
	return date;
}

/* A plain mail: it holds the page's JSON and nothing else of the notice. */
static char *
page_mail(const poc_config *cfg, const page_out *p, const char *json, gint64 now)
{
	const char *at = cfg->ack_from ? strchr(cfg->ack_from, '@') : NULL;
	char *count = p->waiting ? g_strdup_printf("%u waiting", p->waiting->len) : NULL;
	char *subject = header_safe(count		   ? count
				    : p->info->case_id ? p->info->case_id
						       : p->info->message_id);
	char *date = mail_date(now);
	char *mail;

	mail = g_strdup_printf("From: %s\nTo: %s\nSubject: [pocmilter] %s %s %s\nDate: %s\n"
			       "Message-ID: <page.%" G_GINT64_FORMAT ".%08x%s>\n"
			       "Auto-Submitted: auto-generated\nMIME-Version: 1.0\n"
			       "Content-Type: text/plain; charset=utf-8\n"
			       "Content-Transfer-Encoding: 8bit\n\n"
			       "pocmilter page (no notice content; see pocctl show).\n\n%s\n",
			       cfg->ack_from ? cfg->ack_from : "pocmilter", cfg->page_mail,
			       p->resolved ? "RESOLVED" : out_level(p), out_reason(p), subject, date,
			       now, g_random_int(), at ? at : "@" POC_INVALID_DOMAIN, json);
	g_free(count);
	g_free(subject);
	g_free(date);
	return mail;
}

static char *
actor_name(gboolean from_daemon)
{
	struct passwd *pw;

	if (from_daemon)
		return g_strdup("pocmilter");
	pw = getpwuid(getuid());
	return g_strdup_printf("pocctl:%ld(%s)", (long)getuid(), pw ? pw->pw_name : "?");
}

/* The morning summary is recorded in the log of each case it names. */
static void
record_summary(poc_runtime *rt, gint64 now, gboolean from_daemon, const page_out *p)
{
	for (guint i = 0; i < p->waiting->len; i++) {
		const claim *cl = g_ptr_array_index(p->waiting, i);
		poc_event ev = { 0 };
		GError *err = NULL;

		ev.at = now;
		ev.case_id = cl->cond->info.case_id;
		ev.type = (char *)poc_event_name(POC_EV_PAGED);
		ev.actor = actor_name(from_daemon);
		ev.message_id = cl->cond->info.message_id;
		ev.detail = g_strdup_printf("%s (morning-summary)", reasons[cl->cond->reason].name);
		msg_info("event=page reason=%s page_level=WARNING case=%s message_id=%s count=%d "
			 "summary=morning-summary",
			 reasons[cl->cond->reason].name, poc_log_q(ev.case_id ? ev.case_id : "-"),
			 poc_log_q(ev.message_id ? ev.message_id : "-"), cl->next.count);
		if (poc_store_add_event(rt->store, &ev, &err) != POC_OK) {
			msg_warn("event=page-record-failed summary=morning-summary case=%s error=%s",
				 poc_log_q(ev.case_id ? ev.case_id : "-"),
				 poc_log_q(err ? err->message : "?"));
			g_clear_error(&err);
		}
		g_free(ev.actor);
		g_free(ev.detail);
	}
}

/* A page delivered: logged, and recorded in its case's event log (a summary: in each). */
static void
record_page(poc_runtime *rt, gint64 now, gboolean from_daemon, const page_out *p)
{
	const char *what = p->resolved ? "resolved" : "page";
	const char *case_id = p->info->case_id ? p->info->case_id : "-";
	const char *mid = p->info->message_id ? p->info->message_id : "-";
	poc_event ev = { 0 };
	GError *err = NULL;
	char *detail = p->resolved ? g_strdup_printf("%s resolved", out_reason(p))
				   : g_strdup(out_reason(p));

	msg_info("event=%s reason=%s page_level=%s case=%s message_id=%s count=%d", what,
		 out_reason(p), out_level(p), poc_log_q(case_id), poc_log_q(mid), p->count);
	if (p->waiting) {
		record_summary(rt, now, from_daemon, p);
		g_free(detail);
		return;
	}
	ev.at = now;
	ev.case_id = p->info->case_id;
	ev.type = (char *)poc_event_name(POC_EV_PAGED);
	ev.actor = actor_name(from_daemon);
	ev.message_id = p->info->message_id;
	ev.detail = detail;
	if (poc_store_add_event(rt->store, &ev, &err) != POC_OK) {
		msg_warn("event=page-record-failed status=%s reason=%s case=%s error=%s", what,
			 out_reason(p), poc_log_q(case_id), poc_log_q(err ? err->message : "?"));
		g_clear_error(&err);
	}
	g_free(ev.actor);
	g_free(detail);
}

/*
 * Deliver one page: PageCommand decides (a failure is retried next
 * round); PageMail goes along, best effort. Without either, the log
 * line is the page.
 */
static gboolean
deliver(poc_runtime *rt, gint64 now, gboolean from_daemon, const page_out *p)
{
	const poc_config *cfg = rt->cfg;
	char *json = page_json(rt, now, p);
	const char *what = p->resolved ? "resolved" : "page";
	const char *case_id = p->info->case_id ? p->info->case_id : "-";
	const char *mid = p->info->message_id ? p->info->message_id : "-";
	gboolean ok = TRUE;

	if (cfg->page_command) {
		GString *in = g_string_new(json);
		GBytes *input;
		char *diag = NULL;

		g_string_append_c(in, '\n');
		input = g_string_free_to_bytes(in);
		if (poc_exec_run(cfg->page_command, input, cfg->page_timeout, &diag) != POC_OK) {
			msg_warn("event=page-command-failed status=%s reason=%s case=%s message_id=%s "
				 "error=%s action=retry-next-round",
				 what, out_reason(p), poc_log_q(case_id), poc_log_q(mid),
				 poc_log_q(diag ? diag : "?"));
			ok = FALSE;
		}
		g_free(diag);
		g_bytes_unref(input);
	}
	if (ok && cfg->page_mail) {
		char *mail = page_mail(cfg, p, json, now);
		GBytes *payload = g_bytes_new_take(mail, strlen(mail));
		char *diag = NULL;

		if (poc_handover_submit(cfg, cfg->page_mail, payload, &diag) != POC_OK)
			msg_warn("event=page-mail-failed status=%s reason=%s case=%s to=%s error=%s", what,
				 out_reason(p), poc_log_q(case_id), poc_log_q(cfg->page_mail),
				 poc_log_q(diag ? diag : "?"));
		g_free(diag);
		g_bytes_unref(payload);
	}
	if (ok)
		record_page(rt, now, from_daemon, p);
	g_free(json);
	return ok;
}

/*
 * The database refused POC mail (disk full, the map at its limit, I/O
 * error): the daemon pages from its memory, since the page state lives in
 * the database that failed. A failed PageCommand is tried again a minute
 * later; "resolved" follows the first message spooled again.
 */
void
poc_page_store_alarm(poc_runtime *rt, poc_store_alarm *a, gboolean failing, gint64 now)
{
	page_info none = { 0 };
	page_out p = { R_STORE, !failing, &none, 0, 0, POC_PAGE_CRITICAL, NULL };
	gint64 repeat = rt->cfg->page_repeat > 0 ? rt->cfg->page_repeat : 3600;

	if (!failing && !a->first_seen)
		return;
	if (failing && !a->first_seen)
		a->first_seen = now;
	if (a->last_try && now - a->last_try < 60 && now >= a->last_try)
		return;		/* the last attempt failed: not again at once */
	if (failing && a->count && now - a->last_paged < repeat && now >= a->last_paged)
		return;
	if (!failing && a->count == 0) {
		memset(a, 0, sizeof *a);	/* never paged: nothing to resolve */
		return;
	}
	p.first_seen = a->first_seen;
	p.count = failing ? a->count + 1 : a->count;
	if (!deliver(rt, now, TRUE, &p)) {
		a->last_try = now;
		return;
	}
	if (failing) {
		a->count++;
		a->last_paged = now;
		a->last_try = 0;
	} else {
		memset(a, 0, sizeof *a);
	}
}

static void
claim_free(claim *cl)
{
	page_info_clear(&cl->prev.info);
	g_free(cl);
}

/* In business hours now, and when today's began. */
static gboolean
business_now(const poc_calendar *cal, gint64 now, gint64 *day_start)
{
	*day_start = poc_calendar_day_start(cal, now);
	return poc_calendar_business_seconds(cal, now, now + 1) > 0;
}

static int
page_holding(check_ctx *w, gboolean from_daemon, GError **error)
{
	poc_runtime *rt = w->rt;
	const poc_config *cfg = rt->cfg;
	GPtrArray *waiting = g_ptr_array_new_with_free_func((GDestroyNotify)claim_free);
	gint64 day_start;
	gboolean in_business = business_now(rt->cal, w->now, &day_start);
	int status = POC_OK;

	for (guint i = 0; status == POC_OK && i < w->conditions->len; i++) {
		condition *c = g_ptr_array_index(w->conditions, i);
		claim *cl = g_new0(claim, 1);
		page_out p = { c->reason, FALSE, &c->info, 0, 0, c->level, NULL };

		cl->cond = c;
		cl->now = w->now;
		cl->repeat = cfg->page_repeat > 0 ? cfg->page_repeat : 3600;
		cl->warning_repeat = cfg->page_warning_repeat > 0 ? cfg->page_warning_repeat : 3600;
		cl->in_business = in_business;
		cl->day_start = day_start;
		status = poc_store_meta_update(rt->store, c->key, claim_fn, cl, error);
		if (status == POC_OK && cl->claimed && cl->summary) {
			g_ptr_array_add(waiting, cl);	/* paged below, in one summary */
			continue;
		}
		if (status == POC_OK && cl->claimed) {
			p.first_seen = cl->next.first_seen;
			p.count = cl->next.count;
			if (deliver(rt, w->now, from_daemon, &p)) {
				w->st->pages_sent++;
			} else {
				w->st->pages_failed++;
				status = poc_store_meta_update(rt->store, c->key, unclaim_fn, cl, error);
			}
		}
		claim_free(cl);
	}
	if (waiting->len > 0) {
		page_info none = { 0 };
		page_out p = { R_SUMMARY, FALSE, &none, w->now, (int)waiting->len,
			       POC_PAGE_WARNING, waiting };

		if (deliver(rt, w->now, from_daemon, &p)) {
			w->st->pages_sent++;
		} else {
			w->st->pages_failed++;
			for (guint i = 0; i < waiting->len; i++) {
				claim *cl = g_ptr_array_index(waiting, i);
				int rc = poc_store_meta_update(rt->store, cl->cond->key, unclaim_fn,
							       cl, status == POC_OK ? error : NULL);

				if (status == POC_OK)
					status = rc;
			}
		}
	}
	g_ptr_array_unref(waiting);
	return status;
}

static int
collect_state_key(const char *key, const char *value, void *data)
{
	g_ptr_array_add(data, g_strdup(key));
	return 0;
}

/* States whose condition no longer holds: one "resolved" page each. */
static int
page_resolved(check_ctx *w, gboolean from_daemon, GError **error)
{
	poc_runtime *rt = w->rt;
	GPtrArray *keys = g_ptr_array_new_with_free_func(g_free);
	int status = poc_store_meta_foreach(rt->store, PAGE_PREFIX, collect_state_key, keys, error);

	for (guint i = 0; status == POC_OK && i < keys->len; i++) {
		const char *key = g_ptr_array_index(keys, i);
		const char *rname = key + strlen(PAGE_PREFIX), *subject = strchr(rname, ':');
		int r = subject ? reason_parse(rname, (size_t)(subject - rname)) : -1;
		resolve rs = { FALSE, NULL, { 0 } };

		if (g_hash_table_contains(w->holding, key))
			continue;
		if (r >= 0 && IS_REMINDER(r)) {
			/* A reminder that is no longer due was acted on or has passed. */
			status = poc_store_meta_update(rt->store, key, drop_fn, NULL, error);
			continue;
		}
		if (r == R_DUE_SOON) {
			char *overdue = g_strdup_printf(PAGE_PREFIX "%s%s", reasons[R_OVERDUE].name,
							subject);
			gboolean worse = g_hash_table_contains(w->holding, overdue);

			g_free(overdue);
			if (worse) {
				/* Due soon became overdue: not resolved, superseded. */
				status = poc_store_meta_update(rt->store, key, drop_fn, NULL, error);
				continue;
			}
		}
		if (r < 0) {
			/* Not ours to judge (a reason of a newer version): left alone. */
			continue;
		}
		status = poc_store_meta_update(rt->store, key, resolve_fn, &rs, error);
		if (status == POC_OK && rs.send) {
			page_out p = { (reason_code)r, TRUE, &rs.old.info, rs.old.first_seen,
				       rs.old.count, POC_PAGE_OK, NULL };

			if (deliver(rt, w->now, from_daemon, &p)) {
				w->st->pages_sent++;
			} else {
				w->st->pages_failed++;
				status = poc_store_meta_update(rt->store, key, restore_fn, &rs, error);
			}
		}
		g_free(rs.old_value);
		page_info_clear(&rs.old.info);
	}
	g_ptr_array_unref(keys);
	return status;
}

/* --- the run ------------------------------------------------------------------ */

void
poc_page_status_clear(poc_page_status *st)
{
	g_clear_pointer(&st->line, g_free);
	g_clear_pointer(&st->conditions, g_ptr_array_unref);
}

int
poc_page_check(poc_runtime *rt, gint64 now, gboolean send_pages, gboolean from_daemon,
	       poc_page_status *st, GError **error)
{
	check_ctx w = { rt, now, st, NULL, NULL, NULL };
	int status = POC_OK;

	memset(st, 0, sizeof(*st));
	st->conditions = g_ptr_array_new_with_free_func(g_free);
	if (!rt || !rt->store) {
		st->level = POC_PAGE_UNKNOWN;
		st->line = g_strdup("POCMILTER UNKNOWN - no database open");
		g_set_error(error, POC_ERROR, POC_ERR_INVAL, "paging check: no database open");
		return POC_ERR_INVAL;
	}
	w.conditions = g_ptr_array_new_with_free_func((GDestroyNotify)condition_free);
	w.holding = g_hash_table_new(g_str_hash, g_str_equal);
	w.open_msgs = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
					    (GDestroyNotify)page_info_free);

	if ((status = poc_store_foreach_open_ack(rt->store, check_message, &w, error)) != POC_OK ||
	    (status = check_outbox(&w, error)) != POC_OK ||
	    (status = check_spool(&w, error)) != POC_OK ||
	    (status = poc_store_foreach_case(rt->store, count_case, &w, error)) != POC_OK) {
		st->level = POC_PAGE_UNKNOWN;
		st->line = g_strdup_printf("POCMILTER UNKNOWN - cannot read the database: %s",
					   error && *error ? (*error)->message : poc_strerror(status));
		goto out;
	}
	st->heartbeat = poc_store_get_heartbeat(rt->store);
	if (st->heartbeat > now + HEARTBEAT_AHEAD) {
		char note[96];

		/* Not fresh: written before the clock was stepped back, and none since. */
		g_snprintf(note, sizeof(note),
			   "heartbeat %" G_GINT64_FORMAT "s in the future: clock stepped back?",
			   st->heartbeat - now);
		add_condition(&w, R_SILENT, "daemon", NULL, note);
	} else if (!st->heartbeat || now - st->heartbeat > rt->cfg->heartbeat_max) {
		char note[64];

		if (st->heartbeat)
			g_snprintf(note, sizeof(note), "no heartbeat for %" G_GINT64_FORMAT "s",
				   now - st->heartbeat);
		else
			g_strlcpy(note, "no heartbeat ever", sizeof(note));
		add_condition(&w, R_SILENT, "daemon", NULL, note);
	}
	summarise(&w);
	if (send_pages && (status = page_holding(&w, from_daemon, error)) == POC_OK)
		status = page_resolved(&w, from_daemon, error);
out:
	g_hash_table_unref(w.open_msgs);
	g_hash_table_unref(w.holding);
	g_ptr_array_unref(w.conditions);
	return status;
}
