/*
 * NAME
 *	record.c - the records of the case database and their JSON text
 * SYNOPSIS
 *	#include "record.h"
 *
 *	poc_message *poc_message_new(void);
 *	void poc_message_encode(const poc_message *msg, unsigned flags, GString *out);
 *	poc_message *poc_message_decode(const char *data, size_t len, int *version,
 *					GError **error);
 *	(and the same for poc_case, poc_outbox_entry, poc_event,
 *	poc_spool_info)
 *	void poc_json_pretty(const char *text, size_t len, GString *out);
 * DESCRIPTION
 *	The JSON text of a record is both the value format of the database
 *	(with "v": the record version) and the line format of `pocctl
 *	export` and libpocdb; `show --json` and `list --json` print the same
 *	through poc_json_pretty(). One codec, driven by one table per
 *	record, reads and writes it. The rules, the same for every record:
 *
 *	- every field is always written, absent values as null, so a
 *	  reader never has to tell "missing" from "empty";
 *	- times are RFC 3339 strings in Japan time (+09:00), 0 is null;
 *	- enums are their contract names (poc.h);
 *	- string lists are arrays, never null (an absent list is []);
 *	- strings are UTF-8 (invalid bytes become U+FFFD), every control
 *	  character escaped.
 *
 *	Readers accept any JSON object, take null or a missing member as
 *	the default, and ignore members they do not know, so a newer minor
 *	version stays readable.
 * DIAGNOSTICS
 *	*_decode() fails with POC_ERR_PARSE naming the record and the byte
 *	where the text is not JSON, or holds a member of the wrong type or
 *	value.
 * SECURITY
 *	No record holds decrypted text, only metadata read from it; nothing
 *	here logs. The reader is fed anything by tests/fuzz/fuzz_record.c;
 *	it nests at most 64 levels deep.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "jst.h"
#include "record.h"

/* --- life cycle ------------------------------------------------------- */

static GPtrArray *
strv_new(void)
{
	return g_ptr_array_new_with_free_func(g_free);
}

poc_message *
poc_message_new(void)
{
	poc_message *msg = g_new0(poc_message, 1);

	msg->related_tracking = strv_new();
	msg->vuln_ids = strv_new();
	msg->problems = strv_new();
	return msg;
}

void
poc_message_free(poc_message *msg)
{
	if (!msg)
		return;
	g_free(msg->message_id);
	g_free(msg->case_id);
	g_free(msg->queue_id);
	g_free(msg->envelope_from);
	g_free(msg->from);
	g_free(msg->subject);
	g_free(msg->date);
	g_free(msg->in_reply_to);
	g_free(msg->kind_rule);
	g_free(msg->signer);
	g_free(msg->signature_id);
	g_free(msg->tracking);
	if (msg->related_tracking)
		g_ptr_array_unref(msg->related_tracking);
	if (msg->vuln_ids)
		g_ptr_array_unref(msg->vuln_ids);
	g_free(msg->ack_message_id);
	g_free(msg->ack_note);
	if (msg->problems)
		g_ptr_array_unref(msg->problems);
	g_free(msg);
}

poc_case *
poc_case_new(void)
{
	poc_case *c = g_new0(poc_case, 1);

	c->vuln_ids = strv_new();
	c->cve_ids = strv_new();
	c->related_tracking = strv_new();
	c->publication_history = g_ptr_array_new_with_free_func((GDestroyNotify)poc_pub_change_free);
	c->message_ids = strv_new();
	c->notes = strv_new();
	return c;
}

poc_pub_change *
poc_pub_change_new(void)
{
	return g_new0(poc_pub_change, 1);
}

void
poc_pub_change_free(poc_pub_change *pc)
{
	if (!pc)
		return;
	g_free(pc->message_id);
	g_free(pc);
}

void
poc_case_free(poc_case *c)
{
	if (!c)
		return;
	g_free(c->id);
	g_free(c->tracking);
	if (c->vuln_ids)
		g_ptr_array_unref(c->vuln_ids);
	if (c->cve_ids)
		g_ptr_array_unref(c->cve_ids);
	if (c->related_tracking)
		g_ptr_array_unref(c->related_tracking);
	g_free(c->state);
	if (c->publication_history)
		g_ptr_array_unref(c->publication_history);
	g_free(c->statement_status);
	if (c->message_ids)
		g_ptr_array_unref(c->message_ids);
	if (c->notes)
		g_ptr_array_unref(c->notes);
	g_free(c);
}

poc_outbox_entry *
poc_outbox_entry_new(void)
{
	return g_new0(poc_outbox_entry, 1);
}

void
poc_outbox_entry_free(poc_outbox_entry *e)
{
	if (!e)
		return;
	g_free(e->message_id);
	g_free(e->case_id);
	g_free(e->ack_message_id);
	g_free(e->recipient);
	g_free(e->template_name);
	g_free(e->last_error);
	if (e->payload)
		g_bytes_unref(e->payload);
	g_free(e);
}

void
poc_event_clear(poc_event *ev)
{
	if (!ev)
		return;
	g_free(ev->case_id);
	g_free(ev->type);
	g_free(ev->actor);
	g_free(ev->message_id);
	g_free(ev->detail);
	memset(ev, 0, sizeof(*ev));
}

void
poc_spool_info_clear(poc_spool_info *info)
{
	if (!info)
		return;
	g_free(info->queue_id);
	g_free(info->envelope_from);
	if (info->recipients)
		g_ptr_array_unref(info->recipients);
	g_free(info->source);
	memset(info, 0, sizeof(*info));
}

static const char *const outbox_state_names[] = { "queued", "sending", "sent", "failed" };
static const char *const outbox_kind_names[] = { "ack", "statement" };
static const char *const statement_state_names[] = { "none", "requested", "queued", "sent",
						     "failed" };

static const char *const sig_covers_names[] = { "none", "all", "part" };

const char *const poc_case_states[] = { "open", "investigating", "affected", "not-affected",
					"fixing", "statement-sent", "published", "closed", NULL };

gboolean
poc_case_state_valid(const char *state)
{
	for (int i = 0; state && poc_case_states[i]; i++)
		if (strcmp(state, poc_case_states[i]) == 0)
			return TRUE;
	return FALSE;
}

static int
name_index(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; s && i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

const char *
poc_outbox_kind_name(poc_outbox_kind k)
{
	return (unsigned)k < G_N_ELEMENTS(outbox_kind_names) ? outbox_kind_names[k] : "?";
}

int
poc_outbox_kind_parse(const char *s)
{
	return name_index(outbox_kind_names, G_N_ELEMENTS(outbox_kind_names), s);
}

const char *
poc_statement_state_name(poc_statement_state st)
{
	return (unsigned)st < G_N_ELEMENTS(statement_state_names) ? statement_state_names[st] : "?";
}

int
poc_statement_state_parse(const char *s)
{
	return name_index(statement_state_names, G_N_ELEMENTS(statement_state_names), s);
}

const char *
poc_sig_covers_name(poc_sig_covers c)
{
	return (unsigned)c < G_N_ELEMENTS(sig_covers_names) ? sig_covers_names[c] : "?";
}

int
poc_sig_covers_parse(const char *s)
{
	return name_index(sig_covers_names, G_N_ELEMENTS(sig_covers_names), s);
}

const char *
poc_outbox_state_name(poc_outbox_state s)
{
	if ((unsigned)s >= G_N_ELEMENTS(outbox_state_names))
		return "?";
	return outbox_state_names[s];
}

int
poc_outbox_state_parse(const char *s)
{
	for (size_t i = 0; s && i < G_N_ELEMENTS(outbox_state_names); i++)
		if (strcmp(s, outbox_state_names[i]) == 0)
			return (int)i;
	return -1;
}

/* --- the field tables --------------------------------------------------- */

/*
 * Each record is described once, as a table of its members, in the
 * order the writer writes them; the writer and the reader are both
 * driven by these tables, so they cannot drift apart.
 */
typedef enum ftype {
	F_STR,		/* char * */
	F_TIME,		/* gint64, RFC 3339 string or null */
	F_BOOL,		/* gboolean */
	F_INT,		/* int */
	F_SIZE,		/* gsize */
	F_U64,		/* guint64 */
	F_STRV,		/* GPtrArray * of char * */
	F_ENUM,		/* an enum, by its contract name */
	F_BASE64,	/* GBytes *, base64 string or null */
	F_OBJV		/* GPtrArray * of sub-records described by field.sub */
} ftype;

typedef struct field field;
/* The record type of an F_OBJV member: its table, size and destructor. */
typedef struct subrecord {
	const field *fields;
	size_t n;
	size_t size;
	GDestroyNotify free;
} subrecord;

struct field {
	const char *name;
	size_t name_len;
	ftype type;
	size_t off;
	const char *(*enum_name)(int);
	int (*enum_parse)(const char *);
	const subrecord *sub;
};

static const char *sig_covers_name(int v) { return poc_sig_covers_name((poc_sig_covers)v); }
static const char *kind_name(int v) { return poc_kind_name((poc_kind)v); }
static const char *decryption_name(int v) { return poc_decryption_name((poc_decryption)v); }
static const char *signature_name(int v) { return poc_signature_name((poc_signature)v); }
static const char *ack_state_name(int v) { return poc_ack_state_name((poc_ack_state)v); }
static const char *outbox_state_name(int v) { return poc_outbox_state_name((poc_outbox_state)v); }
static const char *outbox_kind_name(int v) { return poc_outbox_kind_name((poc_outbox_kind)v); }
static const char *statement_state_name(int v)
{
	return poc_statement_state_name((poc_statement_state)v);
}

#define F(T, name, member, type) \
	{ name, sizeof(name) - 1, type, offsetof(T, member), NULL, NULL, NULL }
#define E(T, name, member, what) \
	{ name, sizeof(name) - 1, F_ENUM, offsetof(T, member), what##_name, poc_##what##_parse, NULL }
#define O(T, name, member, subrec) \
	{ name, sizeof(name) - 1, F_OBJV, offsetof(T, member), NULL, NULL, &subrec }

static const field pub_change_fields[] = {
	F(poc_pub_change, "at", at, F_TIME),
	F(poc_pub_change, "from", from, F_TIME),
	F(poc_pub_change, "to", to, F_TIME),
	F(poc_pub_change, "message_id", message_id, F_STR),
};
static const subrecord pub_change_record = { pub_change_fields, G_N_ELEMENTS(pub_change_fields),
					     sizeof(poc_pub_change),
					     (GDestroyNotify)poc_pub_change_free };

static const field message_fields[] = {
	F(poc_message, "message_id", message_id, F_STR),
	F(poc_message, "case_id", case_id, F_STR),
	F(poc_message, "received_at", received_at, F_TIME),
	F(poc_message, "queue_id", queue_id, F_STR),
	F(poc_message, "envelope_from", envelope_from, F_STR),
	F(poc_message, "from", from, F_STR),
	F(poc_message, "subject", subject, F_STR),
	F(poc_message, "date", date, F_STR),
	F(poc_message, "in_reply_to", in_reply_to, F_STR),
	E(poc_message, "kind", kind, kind),
	F(poc_message, "kind_rule", kind_rule, F_STR),
	F(poc_message, "encrypted", encrypted, F_BOOL),
	E(poc_message, "decryption", decryption, decryption),
	E(poc_message, "signature", signature, signature),
	F(poc_message, "signer", signer, F_STR),
	F(poc_message, "signature_id", signature_id, F_STR),
	E(poc_message, "signature_covers", signature_covers, sig_covers),
	F(poc_message, "tracking", tracking, F_STR),
	F(poc_message, "related_tracking", related_tracking, F_STRV),
	F(poc_message, "vuln_ids", vuln_ids, F_STRV),
	F(poc_message, "publication_date", publication_date, F_TIME),
	F(poc_message, "claimed_publication_date", claimed_publication_date, F_TIME),
	F(poc_message, "claimed_statement_request", claimed_statement_request, F_BOOL),
	F(poc_message, "claim_accepted_at", claim_accepted_at, F_TIME),
	F(poc_message, "auto_submitted", auto_submitted, F_BOOL),
	F(poc_message, "from_coordinator", from_coordinator, F_BOOL),
	F(poc_message, "ack_required", ack_required, F_BOOL),
	F(poc_message, "ack_deadline", ack_deadline, F_TIME),
	E(poc_message, "ack_state", ack_state, ack_state),
	F(poc_message, "ack_sent_at", ack_sent_at, F_TIME),
	F(poc_message, "ack_message_id", ack_message_id, F_STR),
	F(poc_message, "ack_note", ack_note, F_STR),
	F(poc_message, "problems", problems, F_STRV),
	F(poc_message, "size", size, F_SIZE),
};

static const field case_fields[] = {
	F(poc_case, "id", id, F_STR),
	F(poc_case, "tracking", tracking, F_STR),
	F(poc_case, "vuln_ids", vuln_ids, F_STRV),
	F(poc_case, "cve_ids", cve_ids, F_STRV),
	F(poc_case, "related_tracking", related_tracking, F_STRV),
	F(poc_case, "state", state, F_STR),
	F(poc_case, "opened_at", opened_at, F_TIME),
	F(poc_case, "updated_at", updated_at, F_TIME),
	F(poc_case, "publication_date", publication_date, F_TIME),
	F(poc_case, "target_date", target_date, F_TIME),
	O(poc_case, "publication_history", publication_history, pub_change_record),
	E(poc_case, "statement_state", statement_state, statement_state),
	F(poc_case, "statement_status", statement_status, F_STR),
	F(poc_case, "statement_sent_at", statement_sent_at, F_TIME),
	F(poc_case, "message_ids", message_ids, F_STRV),
	F(poc_case, "notes", notes, F_STRV),
};

static const field outbox_fields[] = {
	F(poc_outbox_entry, "id", id, F_U64),
	E(poc_outbox_entry, "kind", kind, outbox_kind),
	F(poc_outbox_entry, "message_id", message_id, F_STR),
	F(poc_outbox_entry, "case_id", case_id, F_STR),
	F(poc_outbox_entry, "ack_message_id", ack_message_id, F_STR),
	F(poc_outbox_entry, "recipient", recipient, F_STR),
	F(poc_outbox_entry, "template", template_name, F_STR),
	E(poc_outbox_entry, "state", state, outbox_state),
	F(poc_outbox_entry, "attempts", attempts, F_INT),
	F(poc_outbox_entry, "created_at", created_at, F_TIME),
	F(poc_outbox_entry, "next_attempt_at", next_attempt_at, F_TIME),
	F(poc_outbox_entry, "sent_at", sent_at, F_TIME),
	F(poc_outbox_entry, "last_error", last_error, F_STR),
	F(poc_outbox_entry, "payload", payload, F_BASE64),
};

static const field event_fields[] = {
	F(poc_event, "at", at, F_TIME),
	F(poc_event, "case_id", case_id, F_STR),
	F(poc_event, "type", type, F_STR),
	F(poc_event, "actor", actor, F_STR),
	F(poc_event, "message_id", message_id, F_STR),
	F(poc_event, "detail", detail, F_STR),
};

static const field spool_fields[] = {
	F(poc_spool_info, "received_at", received_at, F_TIME),
	F(poc_spool_info, "queue_id", queue_id, F_STR),
	F(poc_spool_info, "envelope_from", envelope_from, F_STR),
	F(poc_spool_info, "recipients", recipients, F_STRV),
	F(poc_spool_info, "source", source, F_STR),
};

#define MEMBER(rec, f, T) ((T *)((char *)(rec) + (f)->off))
#define CMEMBER(rec, f, T) ((const T *)((const char *)(rec) + (f)->off))

/* --- time, fast ----------------------------------------------------------- */

/*
 * poc_time_format/poc_time_parse go through GDateTime, which costs more
 * than the rest of a record; these do the common forms with plain
 * arithmetic (proleptic Gregorian, Howard Hinnant's algorithms) and
 * fall back to them for anything else.
 */
static gint64
days_from_civil(gint64 y, int m, int d)
{
	gint64 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(gint64 z, gint64 *y, int *m, int *d)
{
	gint64 era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* Same output as poc_time_format(). */
static const char *
time_format_fast(gint64 t, char buf[POC_TIME_BUFSIZE])
{
	gint64 local = t + POC_JST_OFFSET, days, secs, y;
	int m, d;

	days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
	secs = local - days * 86400;
	civil_from_days(days, &y, &m, &d);
	if (t == 0 || y < 1 || y > 9999)
		return poc_time_format(t, buf);
	g_snprintf(buf, POC_TIME_BUFSIZE, "%04d-%02d-%02dT%02d:%02d:%02d+09:00", (int)y, m, d,
		   (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
	return buf;
}

static gint64 time_parse_fast1(const char *s);

static int
digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!g_ascii_isdigit(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/*
 * "YYYY-MM-DDTHH:MM:SS" + "Z" or "+HH:MM"/"-HH:MM"; else poc_time_parse()
 * (whose -1 is its error, so a time one second before 1970 is refused).
 */
static gboolean
time_parse_fast(const char *s, gint64 *out)
{
	*out = time_parse_fast1(s);
	return *out != -1 || strcmp(s, "1970-01-01T08:59:59+09:00") == 0;
}

static gint64
time_parse_fast1(const char *s)
{
	size_t len = strlen(s);
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 1;
	gint64 days;
	gint64 cy;
	int cm, cd;

	if (len != 20 && len != 25)
		return poc_time_parse(s);
	y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
	h = digits(s + 11, 2), mi = digits(s + 14, 2), sec = digits(s + 17, 2);
	if (s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
		return poc_time_parse(s);
	if (len == 20 && s[19] != 'Z')
		return poc_time_parse(s);
	if (len == 25) {
		if ((s[19] != '+' && s[19] != '-') || s[22] != ':')
			return poc_time_parse(s);
		sign = s[19] == '-' ? -1 : 1;
		oh = digits(s + 20, 2), om = digits(s + 23, 2);
	}
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 ||
	    mi > 59 || sec < 0 || sec > 59 || oh < 0 || oh > 23 || om < 0 || om > 59)
		return poc_time_parse(s);
	days = days_from_civil(y, mo, d);
	civil_from_days(days, &cy, &cm, &cd);
	if (cm != mo || cd != d)	/* 2026-02-30 */
		return poc_time_parse(s);
	return days * 86400 + h * 3600 + mi * 60 + sec - sign * (oh * 3600 + om * 60);
}

/* Fields a case written before they existed lacks, derived from those it has. */
static void
case_derive(poc_case *c)
{
	if (!c->target_date && c->opened_at)
		c->target_date = c->opened_at + (gint64)POC_TARGET_DAYS * 86400;
}

/* --- the JSON text ------------------------------------------------------- */

/*
 * One codec for every record, driven by the field tables: the store
 * reads and writes a record per call and listings read thousands, so it
 * builds no tree (through json-glib, bench/bench_store at a million cases
 * filed 4x, listed 12x and exported 6x slower; doc/BENCHMARKS.md). The writer
 * emits compact JSON, members in table order, escaped as json-glib
 * escapes (so `pocctl export` and `show --json` print what they printed
 * when they went through json-glib); the reader takes any valid JSON
 * object and skips members it does not know. tests/fuzz/fuzz_record.c
 * feeds it anything.
 */
static void
put_json_string(GString *out, const char *s)
{
	char *valid = NULL;
	const char *run;

	if (!g_utf8_validate(s, -1, NULL))
		s = valid = g_utf8_make_valid(s, -1);
	g_string_append_c(out, '"');
	for (run = s; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
			continue;
		g_string_append_len(out, run, s - run);
		run = s + 1;
		switch (c) {
		case '"':
			g_string_append(out, "\\\"");
			break;
		case '\\':
			g_string_append(out, "\\\\");
			break;
		case '\n':
			g_string_append(out, "\\n");
			break;
		case '\r':
			g_string_append(out, "\\r");
			break;
		case '\t':
			g_string_append(out, "\\t");
			break;
		case '\b':
			g_string_append(out, "\\b");
			break;
		case '\f':
			g_string_append(out, "\\f");
			break;
		default:
			g_string_append_printf(out, "\\u%04x", c);
		}
	}
	g_string_append_len(out, run, s - run);
	g_string_append_c(out, '"');
	g_free(valid);
}

static void
put_member_name(GString *out, const char *name)
{
	if (out->len && out->str[out->len - 1] != '{')
		g_string_append_c(out, ',');
	g_string_append_c(out, '"');
	g_string_append(out, name);
	g_string_append(out, "\":");
}

static void
encode_strv(GString *out, const GPtrArray *v)
{
	g_string_append_c(out, '[');
	for (guint j = 0; v && j < v->len; j++) {
		if (j)
			g_string_append_c(out, ',');
		put_json_string(out, g_ptr_array_index(v, j));
	}
	g_string_append_c(out, ']');
}

static void
encode_base64(GString *out, GBytes *b)
{
	gsize len;
	const guchar *data;
	char *b64;

	if (!b) {
		g_string_append(out, "null");
		return;
	}
	data = g_bytes_get_data(b, &len);
	b64 = g_base64_encode(data, len);
	g_string_append_c(out, '"');
	g_string_append(out, b64);
	g_string_append_c(out, '"');
	g_free(b64);
}

static void encode_fields(GString *out, const field *fields, size_t n, const void *rec);

static void
encode_objv(GString *out, const subrecord *sub, const GPtrArray *v)
{
	g_string_append_c(out, '[');
	for (guint j = 0; v && j < v->len; j++) {
		if (j)
			g_string_append_c(out, ',');
		g_string_append_c(out, '{');
		encode_fields(out, sub->fields, sub->n, g_ptr_array_index(v, j));
		g_string_append_c(out, '}');
	}
	g_string_append_c(out, ']');
}

static void
encode_fields(GString *out, const field *fields, size_t n, const void *rec)
{
	char buf[POC_TIME_BUFSIZE];

	for (size_t i = 0; i < n; i++) {
		const field *f = &fields[i];

		put_member_name(out, f->name);
		switch (f->type) {
		case F_STR: {
			const char *s = *CMEMBER(rec, f, char *);

			if (s)
				put_json_string(out, s);
			else
				g_string_append(out, "null");
			break;
		}
		case F_TIME: {
			gint64 t = *CMEMBER(rec, f, gint64);

			if (t)
				put_json_string(out, time_format_fast(t, buf));
			else
				g_string_append(out, "null");
			break;
		}
		case F_BOOL:
			g_string_append(out, *CMEMBER(rec, f, gboolean) ? "true" : "false");
			break;
		case F_INT:
			g_string_append_printf(out, "%d", *CMEMBER(rec, f, int));
			break;
		case F_SIZE:
			g_string_append_printf(out, "%" G_GSIZE_FORMAT, *CMEMBER(rec, f, gsize));
			break;
		case F_U64:
			g_string_append_printf(out, "%" G_GUINT64_FORMAT, *CMEMBER(rec, f, guint64));
			break;
		case F_STRV:
			encode_strv(out, *CMEMBER(rec, f, GPtrArray *));
			break;
		case F_ENUM:
			put_json_string(out, f->enum_name(*CMEMBER(rec, f, int)));
			break;
		case F_BASE64:
			encode_base64(out, (GBytes *)*CMEMBER(rec, f, GBytes *));
			break;
		case F_OBJV:
			encode_objv(out, f->sub, *CMEMBER(rec, f, GPtrArray *));
			break;
		}
	}
}

static void
encode_record(GString *out, const field *fields, size_t n, const void *rec, unsigned flags)
{
	g_string_append_c(out, '{');
	if (flags & POC_ENCODE_VERSION)
		g_string_append_printf(out, "\"v\":%d", POC_RECORD_VERSION);
	encode_fields(out, fields, n, rec);
	g_string_append_c(out, '}');
}

void
poc_message_encode(const poc_message *m, unsigned flags, GString *out)
{
	encode_record(out, message_fields, G_N_ELEMENTS(message_fields), m, flags);
}

void
poc_case_encode(const poc_case *c, GPtrArray *messages, unsigned flags, GString *out)
{
	g_string_append_c(out, '{');
	if (flags & POC_ENCODE_VERSION)
		g_string_append_printf(out, "\"v\":%d", POC_RECORD_VERSION);
	encode_fields(out, case_fields, G_N_ELEMENTS(case_fields), c);
	if (messages) {
		put_member_name(out, "messages");
		g_string_append_c(out, '[');
		for (guint i = 0; i < messages->len; i++) {
			if (i)
				g_string_append_c(out, ',');
			poc_message_encode(g_ptr_array_index(messages, i), 0, out);
		}
		g_string_append_c(out, ']');
	}
	g_string_append_c(out, '}');
}

void
poc_outbox_entry_encode(const poc_outbox_entry *e, unsigned flags, GString *out)
{
	encode_record(out, outbox_fields, G_N_ELEMENTS(outbox_fields), e, flags);
}

void
poc_event_encode(const poc_event *ev, unsigned flags, GString *out)
{
	encode_record(out, event_fields, G_N_ELEMENTS(event_fields), ev, flags);
}

void
poc_spool_info_encode(const poc_spool_info *info, unsigned flags, GString *out)
{
	encode_record(out, spool_fields, G_N_ELEMENTS(spool_fields), info, flags);
}

/*
 * The writer's compact JSON laid out for people, as json-glib lays it out
 * (`pocctl show --json`, `list --json`): two spaces per level, one member
 * or element a line, " : " after a name; [] and {  } stay on their line.
 * Strings are copied as they are, so the escapes do not change.
 */
static void
pretty_indent(GString *out, int depth)
{
	g_string_append_c(out, '\n');
	for (int i = 0; i < depth; i++)
		g_string_append(out, "  ");
}

void
poc_json_pretty(const char *text, size_t len, GString *out)
{
	int depth = 0;

	for (size_t i = 0; i < len; i++) {
		char c = text[i];

		switch (c) {
		case '"': {
			size_t j = i + 1;

			while (j < len && text[j] != '"')
				j += text[j] == '\\' ? 2 : 1;
			j = MIN(j, len - 1);
			g_string_append_len(out, text + i, (gssize)(j - i + 1));
			i = j;
			break;
		}
		case '{':
		case '[':
			if (i + 1 < len && text[i + 1] == (c == '{' ? '}' : ']')) {
				g_string_append_c(out, c);
				for (int k = 0; c == '{' && k < depth; k++)
					g_string_append(out, "  ");
				g_string_append_c(out, text[++i]);
				break;
			}
			g_string_append_c(out, c);
			pretty_indent(out, ++depth);
			break;
		case '}':
		case ']':
			pretty_indent(out, --depth);
			g_string_append_c(out, c);
			break;
		case ',':
			g_string_append_c(out, ',');
			pretty_indent(out, depth);
			break;
		case ':':
			g_string_append(out, " : ");
			break;
		default:
			g_string_append_c(out, c);
		}
	}
}

/* A scanner over one JSON text; fails at the first byte it does not like. */
typedef struct scan {
	const char *p, *end, *start;
	GString *buf;	/* the last string read */
	const char *record;
	GError *error;
} scan;

static gboolean
scan_fail(scan *s, const char *why)
{
	if (!s->error)
		s->error = g_error_new(POC_ERROR, POC_ERR_PARSE, "%s: bad JSON at byte %ld: %s",
				       s->record, (long)(s->p - s->start), why);
	return FALSE;
}

static void
scan_ws(scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static gboolean
scan_char(scan *s, char c)
{
	scan_ws(s);
	if (s->p >= s->end || *s->p != c)
		return FALSE;
	s->p++;
	return TRUE;
}

static gboolean
scan_literal(scan *s, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0)
		return FALSE;
	s->p += n;
	return TRUE;
}

static int
hex4(const char *p)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		int c = g_ascii_xdigit_value(p[i]);

		if (c < 0)
			return -1;
		v = v * 16 + c;
	}
	return v;
}

/*
 * A string without escapes, in place: str and len point into the input.
 * FALSE (and nothing consumed) when it has escapes: use scan_string().
 */
static gboolean
scan_plain(scan *s, const char **str, size_t *len)
{
	const char *q;

	scan_ws(s);
	if (s->p >= s->end || *s->p != '"')
		return FALSE;
	/* memchr is vectorised; a raw control character is let through here */
	q = memchr(s->p + 1, '"', s->end - (s->p + 1));
	if (!q || memchr(s->p + 1, '\\', q - (s->p + 1)))
		return FALSE;
	*str = s->p + 1;
	*len = (size_t)(q - (s->p + 1));
	s->p = q + 1;
	return TRUE;
}

/* A string into s->buf (after scan_ws). */
static gboolean
scan_string(scan *s)
{
	g_string_truncate(s->buf, 0);
	if (!scan_char(s, '"'))
		return scan_fail(s, "a string was expected");
	for (;;) {
		const char *q = s->p;

		while (q < s->end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20)
			q++;
		g_string_append_len(s->buf, s->p, q - s->p);
		s->p = q;
		if (s->p >= s->end)
			return scan_fail(s, "unterminated string");
		if (*s->p == '"') {
			s->p++;
			return TRUE;
		}
		if ((unsigned char)*s->p < 0x20)
			return scan_fail(s, "control character in a string");
		if (s->end - s->p < 2)
			return scan_fail(s, "unterminated escape");
		switch (s->p[1]) {
		case '"': case '\\': case '/':
			g_string_append_c(s->buf, s->p[1]);
			break;
		case 'b': g_string_append_c(s->buf, '\b'); break;
		case 'f': g_string_append_c(s->buf, '\f'); break;
		case 'n': g_string_append_c(s->buf, '\n'); break;
		case 'r': g_string_append_c(s->buf, '\r'); break;
		case 't': g_string_append_c(s->buf, '\t'); break;
		case 'u': {
			int u, lo;

			if (s->end - s->p < 6 || (u = hex4(s->p + 2)) < 0)
				return scan_fail(s, "bad \\u escape");
			if (u >= 0xD800 && u < 0xDC00) {
				if (s->end - s->p < 12 || s->p[6] != '\\' || s->p[7] != 'u' ||
				    (lo = hex4(s->p + 8)) < 0xDC00 || lo > 0xDFFF)
					return scan_fail(s, "lone surrogate");
				u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
				s->p += 6;
			} else if (u >= 0xDC00 && u < 0xE000) {
				return scan_fail(s, "lone surrogate");
			}
			g_string_append_unichar(s->buf, (gunichar)u);
			s->p += 4;
			break;
		}
		default:
			return scan_fail(s, "bad escape");
		}
		s->p += 2;
	}
}

/* A string into s->buf, through the in-place path when it has no escapes. */
static gboolean
scan_short(scan *s)
{
	const char *str;
	size_t len;

	if (!scan_plain(s, &str, &len))
		return scan_string(s);
	g_string_truncate(s->buf, 0);
	g_string_append_len(s->buf, str, len);
	return TRUE;
}

static gboolean
scan_number(scan *s, gint64 *out, gboolean *integral)
{
	const char *q = s->p;
	gboolean neg = FALSE;
	guint64 v = 0;

	*integral = TRUE;
	if (q < s->end && *q == '-')
		neg = TRUE, q++;
	if (q >= s->end || !g_ascii_isdigit(*q))
		return scan_fail(s, "a number was expected");
	while (q < s->end && g_ascii_isdigit(*q)) {
		if (v > (G_MAXINT64 - 9) / 10)
			*integral = FALSE;
		v = v * 10 + (guint64)(*q++ - '0');
	}
	if (q < s->end && (*q == '.' || *q == 'e' || *q == 'E')) {
		*integral = FALSE;
		q++;
		while (q < s->end && (g_ascii_isdigit(*q) || *q == '.' || *q == 'e' || *q == 'E' ||
				      *q == '+' || *q == '-'))
			q++;
	}
	s->p = q;
	*out = neg ? -(gint64)v : (gint64)v;
	return TRUE;
}

static gboolean
scan_skip(scan *s, int depth)
{
	gint64 n;
	gboolean integral;

	if (depth > 64)
		return scan_fail(s, "nested too deep");
	scan_ws(s);
	if (s->p >= s->end)
		return scan_fail(s, "a value was expected");
	switch (*s->p) {
	case '"':
		return scan_string(s);
	case '{':
	case '[': {
		char close = *s->p == '{' ? '}' : ']';
		gboolean object = close == '}';

		s->p++;
		if (scan_char(s, close))
			return TRUE;
		do {
			if (object && (!scan_string(s) || !scan_char(s, ':')))
				return scan_fail(s, "a member was expected");
			if (!scan_skip(s, depth + 1))
				return FALSE;
		} while (scan_char(s, ','));
		return scan_char(s, close) ? TRUE : scan_fail(s, "unterminated object or array");
	}
	default:
		if (scan_literal(s, "true") || scan_literal(s, "false") || scan_literal(s, "null"))
			return TRUE;
		return scan_number(s, &n, &integral);
	}
}

static gboolean scan_object(scan *s, const field *fields, size_t n, void *rec, gboolean top,
			    int *version);

/* A string member (F_STR, F_TIME, F_ENUM, F_BASE64) into rec. */
static gboolean
scan_text(scan *s, const field *f, void *rec)
{
	const char *str;
	size_t len;
	gint64 t;
	int e;

	switch (f->type) {
	case F_STR:
		g_free(*MEMBER(rec, f, char *));
		*MEMBER(rec, f, char *) = NULL;
		if (scan_plain(s, &str, &len)) {
			*MEMBER(rec, f, char *) = g_strndup(str, len);
			return TRUE;
		}
		if (!scan_string(s))
			return FALSE;
		*MEMBER(rec, f, char *) = g_strndup(s->buf->str, s->buf->len);
		return TRUE;
	case F_TIME:
		if (!scan_short(s))
			return FALSE;
		if (!time_parse_fast(s->buf->str, &t))
			return scan_fail(s, "not an RFC 3339 time");
		*MEMBER(rec, f, gint64) = t;
		return TRUE;
	case F_ENUM:
		if (!scan_short(s))
			return FALSE;
		if ((e = f->enum_parse(s->buf->str)) < 0)
			return scan_fail(s, "unknown enum value");
		*MEMBER(rec, f, int) = e;
		return TRUE;
	default: {	/* F_BASE64 */
		guchar *data;

		if (!scan_string(s))
			return FALSE;
		data = g_base64_decode(s->buf->str, &len);
		if (*MEMBER(rec, f, GBytes *))
			g_bytes_unref(*MEMBER(rec, f, GBytes *));
		*MEMBER(rec, f, GBytes *) = g_bytes_new_take(data, len);
		return TRUE;
	}
	}
}

/* A whole number that is not negative (F_INT, F_SIZE, F_U64) into rec. */
static gboolean
scan_count(scan *s, const field *f, void *rec)
{
	gint64 n;
	gboolean integral;

	if (!scan_number(s, &n, &integral))
		return FALSE;
	if (!integral || n < 0)
		return scan_fail(s, "a whole number was expected");
	if (f->type == F_INT && n > G_MAXINT)
		return scan_fail(s, "number too large");
	if (f->type == F_INT)
		*MEMBER(rec, f, int) = (int)n;
	else if (f->type == F_SIZE)
		*MEMBER(rec, f, gsize) = (gsize)n;
	else
		*MEMBER(rec, f, guint64) = (guint64)n;
	return TRUE;
}

/* An array of strings, appended to *pv (made when NULL). */
static gboolean
scan_strv(scan *s, GPtrArray **pv)
{
	if (!*pv)
		*pv = strv_new();
	if (!scan_char(s, '['))
		return scan_fail(s, "an array was expected");
	if (scan_char(s, ']'))
		return TRUE;
	do {
		const char *str;
		size_t len;

		if (scan_plain(s, &str, &len)) {
			g_ptr_array_add(*pv, g_strndup(str, len));
			continue;
		}
		scan_ws(s);
		if (!scan_string(s))
			return FALSE;
		g_ptr_array_add(*pv, g_strndup(s->buf->str, s->buf->len));
	} while (scan_char(s, ','));
	return scan_char(s, ']') ? TRUE : scan_fail(s, "unterminated array");
}

/* An array of f->sub records, appended to *pv (made when NULL). */
static gboolean
scan_objv(scan *s, const field *f, GPtrArray **pv)
{
	if (!*pv)
		*pv = g_ptr_array_new_with_free_func(f->sub->free);
	if (!scan_char(s, '['))
		return scan_fail(s, "an array was expected");
	if (scan_char(s, ']'))
		return TRUE;
	do {
		void *sub = g_malloc0(f->sub->size);

		/* added first, so that a failure half-way frees it with the rest */
		g_ptr_array_add(*pv, sub);
		if (!scan_object(s, f->sub->fields, f->sub->n, sub, FALSE, NULL))
			return FALSE;
	} while (scan_char(s, ','));
	return scan_char(s, ']') ? TRUE : scan_fail(s, "unterminated array");
}

/* One member's value into rec; null leaves the member as it is. */
static gboolean
scan_value(scan *s, const field *f, void *rec)
{
	scan_ws(s);
	if (scan_literal(s, "null"))
		return TRUE;
	switch (f->type) {
	case F_STR:
	case F_TIME:
	case F_ENUM:
	case F_BASE64:
		return scan_text(s, f, rec);
	case F_BOOL:
		if (scan_literal(s, "true"))
			*MEMBER(rec, f, gboolean) = TRUE;
		else if (scan_literal(s, "false"))
			*MEMBER(rec, f, gboolean) = FALSE;
		else
			return scan_fail(s, "true or false was expected");
		return TRUE;
	case F_INT:
	case F_SIZE:
	case F_U64:
		return scan_count(s, f, rec);
	case F_STRV:
		return scan_strv(s, MEMBER(rec, f, GPtrArray *));
	case F_OBJV:
		return scan_objv(s, f, MEMBER(rec, f, GPtrArray *));
	}
	return scan_fail(s, "internal: unknown field type");
}

static gboolean
name_is(const field *f, const char *name, size_t len)
{
	return len == f->name_len && memcmp(f->name, name, len) == 0;
}

/*
 * One object's members into rec. top: the record itself, whose "v" is
 * the version (to *version when not NULL); a sub-record's "v" is just
 * an unknown member.
 */
static gboolean
scan_object(scan *s, const field *fields, size_t n, void *rec, gboolean top, int *version)
{
	size_t next = 0;

	if (!scan_char(s, '{'))
		return scan_fail(s, "an object was expected");
	if (scan_char(s, '}'))
		return TRUE;
	do {
		const field *f = NULL;
		const char *name;
		size_t name_len;

		if (!scan_plain(s, &name, &name_len)) {
			scan_ws(s);
			if (!scan_string(s))
				return FALSE;
			name = s->buf->str;
			name_len = s->buf->len;
		}
		if (!scan_char(s, ':'))
			return scan_fail(s, "':' was expected");
		/* Members usually come in table order: try the next one first. */
		if (next < n && name_is(&fields[next], name, name_len))
			f = &fields[next];
		for (size_t i = 0; !f && i < n; i++)
			if (name_is(&fields[i], name, name_len))
				f = &fields[i];
		if (f)
			next = (size_t)(f - fields) + 1;
		if (f) {
			if (!scan_value(s, f, rec))
				return FALSE;
		} else if (top && name_len == 1 && name[0] == 'v') {
			gint64 v;
			gboolean integral;

			scan_ws(s);
			if (!scan_number(s, &v, &integral))
				return FALSE;
			if (version)
				*version = (int)CLAMP(v, 0, G_MAXINT);
		} else if (!scan_skip(s, 0)) {
			return FALSE;
		}
	} while (scan_char(s, ','));
	return scan_char(s, '}') ? TRUE : scan_fail(s, "',' or '}' was expected");
}

/* Reads a record's members into rec; *version gets "v" (0 when absent). */
static gboolean
decode_record(const char *data, size_t len, const field *fields, size_t n, void *rec,
	      const char *record, int *version, GError **error)
{
	GString *buf = g_string_sized_new(128);
	scan s = { data, data + len, data, buf, record, NULL };

	if (version)
		*version = 0;
	if (scan_object(&s, fields, n, rec, TRUE, version)) {
		scan_ws(&s);
		if (s.p != s.end)
			scan_fail(&s, "trailing bytes");
	}
	g_string_free(buf, TRUE);
	if (s.error) {
		g_propagate_error(error, s.error);
		return FALSE;
	}
	return TRUE;
}

poc_message *
poc_message_decode(const char *data, size_t len, int *version, GError **error)
{
	poc_message *m = poc_message_new();

	if (!decode_record(data, len, message_fields, G_N_ELEMENTS(message_fields), m, "message",
			   version, error)) {
		poc_message_free(m);
		return NULL;
	}
	return m;
}

poc_case *
poc_case_decode(const char *data, size_t len, int *version, GError **error)
{
	poc_case *c = poc_case_new();

	if (!decode_record(data, len, case_fields, G_N_ELEMENTS(case_fields), c, "case", version,
			   error)) {
		poc_case_free(c);
		return NULL;
	}
	if (!c->id) {
		g_set_error(error, POC_ERROR, POC_ERR_PARSE, "case: member \"id\" is missing");
		poc_case_free(c);
		return NULL;
	}
	case_derive(c);
	return c;
}

poc_outbox_entry *
poc_outbox_entry_decode(const char *data, size_t len, int *version, GError **error)
{
	poc_outbox_entry *e = poc_outbox_entry_new();

	if (!decode_record(data, len, outbox_fields, G_N_ELEMENTS(outbox_fields), e,
			   "outbox entry", version, error)) {
		poc_outbox_entry_free(e);
		return NULL;
	}
	return e;
}

int
poc_event_decode(const char *data, size_t len, poc_event *ev, int *version, GError **error)
{
	memset(ev, 0, sizeof(*ev));
	if (!decode_record(data, len, event_fields, G_N_ELEMENTS(event_fields), ev, "event",
			   version, error)) {
		poc_event_clear(ev);
		return POC_ERR_PARSE;
	}
	return POC_OK;
}

int
poc_spool_info_decode(const char *data, size_t len, poc_spool_info *info, int *version,
		      GError **error)
{
	memset(info, 0, sizeof(*info));
	info->recipients = strv_new();
	if (!decode_record(data, len, spool_fields, G_N_ELEMENTS(spool_fields), info,
			   "spool entry", version, error)) {
		poc_spool_info_clear(info);
		return POC_ERR_PARSE;
	}
	return POC_OK;
}

/* --- JSON that is not a record ------------------------------------------ */

char *
poc_json_to_string(JsonNode *node, gboolean pretty)
{
	return json_to_string(node, pretty);
}

JsonNode *
poc_json_parse(const char *text, gssize len, GError **error)
{
	JsonParser *parser = json_parser_new_immutable();
	GError *perr = NULL;
	JsonNode *root = NULL;

	if (!json_parser_load_from_data(parser, text, len, &perr)) {
		g_set_error(error, POC_ERROR, POC_ERR_PARSE, "bad JSON: %s", perr->message);
		g_error_free(perr);
	} else if (!(root = json_parser_steal_root(parser))) {
		g_set_error(error, POC_ERROR, POC_ERR_PARSE, "bad JSON: empty");
	}
	g_object_unref(parser);
	return root;
}
