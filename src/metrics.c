/*
 * NAME
 *	metrics.c - the database as Prometheus metrics (pocctl metrics)
 * SYNOPSIS
 *	#include "metrics.h"
 * DESCRIPTION
 *	poc_metrics_write() reads the database once, read-only, and writes
 *	the Prometheus text exposition format (version 0.0.4): every metric
 *	with its # HELP and # TYPE, always present (0 or NaN when there is
 *	nothing to count), so that dashboards and alerts never see a series
 *	appear or vanish. Names and labels are listed in pocctl(1).
 *
 *	Counters (pocmilter_events_total) are counts of the event log since
 *	the database was created: they never go down while the database
 *	lives.
 * SECURITY
 *	Counts and times only: no tracking number, address or subject.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "caserules.h"
#include "metrics.h"
#include "page.h"

/* Unacknowledged messages by wall age since received; upper bounds in seconds. */
static const struct {
	const char *label;
	gint64 upto;
} age_buckets[] = {
	{ "1h", 3600 }, { "4h", 4 * 3600 }, { "1d", 86400 }, { "3d", 3 * 86400 }, { "+Inf", G_MAXINT64 },
};

/* Event types counted; the last, POC_EV_COUNT, counts any other type as "other". */
static const poc_event_type counted_events[] = {
	POC_EV_FILED, POC_EV_ACK_QUEUED, POC_EV_ACK_SENT, POC_EV_ACK_FAILED, POC_EV_ACK_SEND_FAILED,
	POC_EV_PAGED, POC_EV_READ, POC_EV_COUNT,
};

typedef struct metrics_ctx {
	poc_runtime *rt;
	gint64 now;
	GHashTable *states;	/* case state -> count */
	guint cases, open_cases, held, overdue, unacked;
	guint age_count[G_N_ELEMENTS(age_buckets)];
	gint64 oldest_unacked;	/* received_at, 0: none */
	gint64 last_filed;
	guint64 events[G_N_ELEMENTS(counted_events)];
} metrics_ctx;

static gboolean
open_ack(const poc_message *m)
{
	return m->ack_required && m->ack_state != POC_ACK_SENT && m->ack_state != POC_ACK_NOT_REQUIRED;
}

static int
count_case(poc_case *c, GPtrArray *messages, void *data)
{
	metrics_ctx *mc = data;
	const char *state = c->state ? c->state : "unknown";
	gpointer n = g_hash_table_lookup(mc->states, state);

	mc->cases++;
	g_hash_table_replace(mc->states, g_strdup(state), GUINT_TO_POINTER(GPOINTER_TO_UINT(n) + 1));
	if (g_strcmp0(state, "closed") != 0)
		mc->open_cases++;
	for (guint i = 0; messages && i < messages->len; i++) {
		const poc_message *m = g_ptr_array_index(messages, i);

		if (m->received_at > mc->last_filed)
			mc->last_filed = m->received_at;
		if (m->ack_state == POC_ACK_HELD)
			mc->held++;
		if (!open_ack(m))
			continue;
		mc->unacked++;
		if (m->ack_deadline && m->ack_deadline < mc->now)
			mc->overdue++;
		for (guint b = 0; b < G_N_ELEMENTS(age_buckets); b++)
			if (mc->now - m->received_at <= age_buckets[b].upto)
				mc->age_count[b]++;
		if (!mc->oldest_unacked || m->received_at < mc->oldest_unacked)
			mc->oldest_unacked = m->received_at;
	}
	return 0;
}

static int
count_event(const poc_event *ev, void *data)
{
	metrics_ctx *mc = data;
	guint last = G_N_ELEMENTS(counted_events) - 1;

	for (guint i = 0; i < last; i++)
		if (g_strcmp0(ev->type, poc_event_name(counted_events[i])) == 0) {
			mc->events[i]++;
			return 0;
		}
	mc->events[last]++;
	return 0;
}

static void
metric(GString *out, const char *name, const char *type, const char *help)
{
	g_string_append_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
value(GString *out, const char *name, const char *labels, double v)
{
	char buf[G_ASCII_DTOSTR_BUF_SIZE];

	if (isnan(v))
		g_strlcpy(buf, "NaN", sizeof buf);
	else
		g_ascii_dtostr(buf, sizeof buf, v);
	g_string_append_printf(out, "%s%s%s%s %s\n", name, labels ? "{" : "", labels ? labels : "",
			       labels ? "}" : "", buf);
}

/* pocmilter_cases{state=...}: every known state, then "other" for any this list does not know. */
static void
write_cases(GString *out, GHashTable *states)
{
	GString *lab = g_string_new(NULL);
	GHashTableIter it;
	gpointer k, v;
	guint other = 0;

	metric(out, "pocmilter_cases", "gauge", "Cases in the database, by state.");
	for (const char *const *st = poc_case_states; *st; st++) {
		g_string_printf(lab, "state=\"%s\"", *st);
		value(out, "pocmilter_cases", lab->str, GPOINTER_TO_UINT(g_hash_table_lookup(states, *st)));
		g_hash_table_remove(states, *st);
	}
	/* A state this list does not know (a newer pocmilter) still counts. */
	g_hash_table_iter_init(&it, states);
	while (g_hash_table_iter_next(&it, &k, &v))
		other += GPOINTER_TO_UINT(v);
	value(out, "pocmilter_cases", "state=\"other\"", other);
	g_string_free(lab, TRUE);
}

/* Open cases and the acknowledgement gauges. */
static void
write_messages(GString *out, const metrics_ctx *mc, const poc_runtime *rt, gint64 now)
{
	metric(out, "pocmilter_cases_open", "gauge", "Cases not closed.");
	value(out, "pocmilter_cases_open", NULL, mc->open_cases);
	metric(out, "pocmilter_messages_held", "gauge",
	       "Messages whose acknowledgement waits for a person (held).");
	value(out, "pocmilter_messages_held", NULL, mc->held);
	metric(out, "pocmilter_messages_unacknowledged", "gauge",
	       "Messages whose acknowledgement is due and not sent (held, queued or failed).");
	value(out, "pocmilter_messages_unacknowledged", NULL, mc->unacked);
	metric(out, "pocmilter_messages_overdue", "gauge",
	       "Unacknowledged messages past their acknowledgement deadline.");
	value(out, "pocmilter_messages_overdue", NULL, mc->overdue);
	metric(out, "pocmilter_unacknowledged_age", "gauge",
	       "Unacknowledged messages received at most le ago (cumulative, like a histogram's buckets).");
	for (guint b = 0; b < G_N_ELEMENTS(age_buckets); b++) {
		char lab[32];

		g_snprintf(lab, sizeof lab, "le=\"%s\"", age_buckets[b].label);
		value(out, "pocmilter_unacknowledged_age", lab, mc->age_count[b]);
	}
	metric(out, "pocmilter_oldest_unacknowledged_business_seconds", "gauge",
	       "Business time since the oldest unacknowledged message was received (0: none).");
	value(out, "pocmilter_oldest_unacknowledged_business_seconds", NULL,
	      mc->oldest_unacked ? (double)poc_calendar_business_seconds(rt->cal, mc->oldest_unacked, now)
				: 0);
}

int
poc_metrics_write(poc_runtime *rt, gint64 now, GString *out, GError **error)
{
	metrics_ctx mc = { 0 };
	GArray *spool = g_array_new(FALSE, FALSE, sizeof(guint64));
	GPtrArray *outbox[2];
	gint64 beat;
	int status;

	mc.rt = rt;
	mc.now = now;
	mc.states = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (int i = 0; i < 2; i++)
		outbox[i] = g_ptr_array_new_with_free_func((GDestroyNotify)poc_outbox_entry_free);
	if ((status = poc_store_foreach_case_full(rt->store, count_case, NULL, &mc, error)) != POC_OK
	    || (status = poc_store_foreach_event(rt->store, NULL, count_event, &mc, error)) != POC_OK
	    || (status = poc_store_spool_pending(rt->store, spool, error)) != POC_OK
	    || (status = poc_store_outbox_list(rt->store, POC_OUTBOX_QUEUED, outbox[0], error)) != POC_OK
	    || (status = poc_store_outbox_list(rt->store, POC_OUTBOX_SENDING, outbox[1], error)) != POC_OK)
		goto done;
	beat = poc_store_get_heartbeat(rt->store);

	write_cases(out, mc.states);
	write_messages(out, &mc, rt, now);
	metric(out, "pocmilter_spool_depth", "gauge", "Messages spooled and not yet filed.");
	value(out, "pocmilter_spool_depth", NULL, spool->len);
	metric(out, "pocmilter_outbox_depth", "gauge", "Outbox entries waiting or being sent.");
	value(out, "pocmilter_outbox_depth", "state=\"queued\"", outbox[0]->len);
	value(out, "pocmilter_outbox_depth", "state=\"sending\"", outbox[1]->len);
	metric(out, "pocmilter_heartbeat_age_seconds", "gauge",
	       "Seconds since the daemon's last heartbeat (NaN: never; negative: the clock stepped back).");
	value(out, "pocmilter_heartbeat_age_seconds", NULL, beat ? (double)(now - beat) : NAN);
	metric(out, "pocmilter_last_received_timestamp_seconds", "gauge",
	       "When the newest filed message was received (Unix time; 0: none).");
	value(out, "pocmilter_last_received_timestamp_seconds", NULL, mc.last_filed);
	metric(out, "pocmilter_events_total", "counter",
	       "Events in the case log since the database was made, by type.");
	for (guint i = 0; i < G_N_ELEMENTS(counted_events); i++) {
		char lab[48];

		g_snprintf(lab, sizeof lab, "type=\"%s\"", counted_events[i] == POC_EV_COUNT
			   ? "other" : poc_event_name(counted_events[i]));
		value(out, "pocmilter_events_total", lab, (double)mc.events[i]);
	}
	metric(out, "pocmilter_metrics_timestamp_seconds", "gauge",
	       "When these metrics were read (Unix time).");
	value(out, "pocmilter_metrics_timestamp_seconds", NULL, now);
done:
	g_hash_table_destroy(mc.states);
	g_array_unref(spool);
	for (int i = 0; i < 2; i++)
		g_ptr_array_unref(outbox[i]);
	return status;
}
