/*
 * NAME
 *	ack.c - acknowledgements: policy, templates, composing PGP/MIME
 * DESCRIPTION
 *	The policy (poc_ack_decide) is a short list of reasons not to
 *	acknowledge by ourselves; the first that applies is recorded in
 *	ack_note so `pocctl show` says why a notice is held.
 *
 *	Templates are plain UTF-8 text with {{name}} placeholders. They are
 *	read and checked once (poc_templates_load) and kept in memory.
 *
 *	The composed mail is RFC 3156 multipart/encrypted: the inner MIME
 *	entity (text/plain in ISO-2022-JP or UTF-8, with a protected
 *	Subject per RFC 9788's legacy display) is signed and encrypted in
 *	one OpenPGP message by crypto.c. Everything happens in memory; the
 *	only copy kept is the encrypted mail in the outbox.
 *	A notice is acknowledged by itself only when its signature is good
 *	and covers the whole message (signature_covers all): what the
 *	tracking number and kind were read from is then signed. The reply's
 *	Subject echoes the notice's outer Subject only when that names no
 *	tracking number other than the one read ("Re: [TRACKING] kind"
 *	otherwise).
 *
 *	The hold-mode guard (poc_ack_guard_run) picks the held notices that
 *	could be acknowledged by themselves and whose business time left is
 *	under AckGuard, then composes and queues the default template for
 *	each; one that cannot be composed becomes failed (paged).
 * SECURITY
 *	Header values taken from a notice (subject, Message-ID, From) pass
 *	through poc_header_sanitise(): no CR/LF/NUL, bounded length; text
 *	a person gives (a statement) through poc_text_sanitise() with its
 *	line breaks kept.
 */
#include "config.h"

#include <string.h>

#include <gmime/gmime.h>

#include "ack.h"
#include "caserules.h"
#include "calendar.h"
#include "log.h"
#include "text.h"
#include "notice.h"
#include "store.h"

/* --- policy ----------------------------------------------------------- */

static gboolean
kind_listed(const poc_config *cfg, poc_kind kind)
{
	for (guint i = 0; cfg->ack_kinds && i < cfg->ack_kinds->len; i++)
		if (poc_kind_parse(g_ptr_array_index(cfg->ack_kinds, i)) == (int)kind)
			return TRUE;
	return FALSE;
}

/*
 * Why a notice may not be acknowledged by ourselves, or NULL when it may
 * (whatever AckMode says). The first reason that applies is the one kept.
 */
static const char *
not_auto_reason(const poc_config *cfg, const poc_message *msg)
{
	if (msg->auto_submitted)
		return msg->own_mail ? "our own mail: never acknowledged"
				     : "auto-submitted, bounce or list mail: never acknowledged by itself";
	if (!msg->from_coordinator)
		return "direct report (not from a coordinator): a person answers";
	if (msg->decryption == POC_DECRYPTION_FAILED)
		return "could not be decrypted";
	if (poc_notice_too_large(msg))
		return "over MaxMessageSize: only its start was read";
	if (msg->signature != POC_SIGNATURE_GOOD)
		return "signature is not good";
	if (msg->signature_covers != POC_COVERS_ALL)
		return "signature does not cover the whole message: text outside it (see problems)";
	if (poc_notice_tracking_unsigned(msg))
		return "tracking number only in the unsigned Subject: a person confirms it";
	if (!kind_listed(cfg, msg->kind))
		/* doc/KINDS.md: a coordinator's "other" is held and paged, never silent */
		return msg->kind == POC_KIND_OTHER
			       ? "kind not in AckKinds (other: no rule knew its words; a person reads it)"
			       : "kind not in AckKinds";
	return NULL;
}

gboolean
poc_ack_may_auto(const poc_config *cfg, poc_store *store, const poc_message *msg)
{
	char *first;

	if (not_auto_reason(cfg, msg))
		return FALSE;
	if (store && (first = poc_store_replay_of(store, msg))) {
		g_free(first);
		return FALSE;
	}
	return TRUE;
}

void
poc_ack_decide(const poc_config *cfg, poc_message *msg)
{
	const char *why;

	g_clear_pointer(&msg->ack_note, g_free);
	if (!msg->from_coordinator && !msg->auto_submitted && msg->kind != POC_KIND_DIRECT_REPORT) {
		/* Unknown sender but not read as a report: a person decides, in time. */
		msg->kind = POC_KIND_DIRECT_REPORT;
		g_free(msg->kind_rule);
		msg->kind_rule = g_strdup("acknowledgement policy: not from a coordinator");
	}
	/*
	 * Everything that reaches the POC needs a decision by the deadline:
	 * what we may not answer ourselves (spoofed, unsigned, undecryptable,
	 * reports, auto-replies, bounces, lists, our own mail) is held for a
	 * person and paged, never dropped silently.
	 */
	msg->ack_required = TRUE;
	why = not_auto_reason(cfg, msg);
	if (!why && cfg->ack_mode == POC_ACK_MODE_HOLD)
		why = "AckMode hold: waiting for a person";
	else if (!why && cfg->ack_mode == POC_ACK_MODE_OFF)
		why = "AckMode off";
	if (why) {
		msg->ack_state = POC_ACK_HELD;
		msg->ack_note = g_strdup(why);
	} else {
		msg->ack_state = POC_ACK_QUEUED;
	}
}

/* --- templates -------------------------------------------------------- */

struct poc_templates {
	GHashTable *by_name;	/* name -> text */
};

static const char *const placeholders[] = {
	"tracking", "vuln_ids", "subject", "date", "message_id", "received_at", "deadline",
	"organization", "poc_name", "case_id", "kind", "from",
	/* the vendor statement (statement.c) */
	"status", "url", "text", "publication_date",
	NULL,
};

static const char *const kind_templates[] = { "summary", "detail", "publication", "schedule",
					      "other", "direct-report" };

const char *
poc_ack_default_template(poc_kind kind)
{
	return poc_kind_name(kind);
}

int
poc_template_check(const char *text, gsize len, GError **error)
{
	const char *p = text, *end = text + len;
	int line = 1;

	if (!g_utf8_validate(text, len, NULL)) {
		g_set_error(error, POC_ERROR, POC_ERR_TEMPLATE, "not UTF-8");
		return POC_ERR_TEMPLATE;
	}
	while (p < end) {
		if (*p == '\n')
			line++;
		if (p + 1 < end && p[0] == '{' && p[1] == '{') {
			const char *close = g_strstr_len(p + 2, end - p - 2, "}}");
			gboolean known = FALSE;
			char *name;

			if (!close || memchr(p + 2, '\n', close - p - 2)) {
				g_set_error(error, POC_ERROR, POC_ERR_TEMPLATE,
					    "line %d: \"{{\" without \"}}\"", line);
				return POC_ERR_TEMPLATE;
			}
			name = g_strstrip(g_strndup(p + 2, close - p - 2));
			for (int i = 0; placeholders[i]; i++)
				known |= strcmp(name, placeholders[i]) == 0;
			if (!known) {
				g_set_error(error, POC_ERROR, POC_ERR_TEMPLATE,
					    "line %d: unknown placeholder {{%s}}", line, name);
				g_free(name);
				return POC_ERR_TEMPLATE;
			}
			g_free(name);
			p = close + 2;
			continue;
		}
		p++;
	}
	return POC_OK;
}

char *
poc_template_render(const char *text, GHashTable *vars)
{
	GString *out = g_string_sized_new(strlen(text) + 256);
	const char *p = text;

	while (*p) {
		const char *close;

		if (p[0] == '{' && p[1] == '{' && (close = strstr(p + 2, "}}"))) {
			char *name = g_strstrip(g_strndup(p + 2, close - p - 2));
			const char *v = g_hash_table_lookup(vars, name);

			g_string_append(out, v ? v : "");
			g_free(name);
			p = close + 2;
		} else {
			g_string_append_c(out, *p++);
		}
	}
	return g_string_free(out, FALSE);
}

int
poc_templates_load(const char *dir, const char *lang, poc_templates **out, GError **error)
{
	char *path = g_build_filename(dir, lang, NULL);
	GDir *d;
	GError *derr = NULL;
	poc_templates *t;
	const char *name;
	int status = POC_OK;

	*out = NULL;
	d = g_dir_open(path, 0, &derr);
	if (!d) {
		g_set_error(error, POC_ERROR, POC_ERR_CONFIG, "TemplateDir: %s", derr->message);
		g_error_free(derr);
		g_free(path);
		return POC_ERR_CONFIG;
	}
	t = g_new0(poc_templates, 1);
	t->by_name = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	while ((name = g_dir_read_name(d)) && status == POC_OK) {
		char *file, *text;
		gsize len;
		GError *terr = NULL;

		if (!g_str_has_suffix(name, ".tmpl"))
			continue;
		file = g_build_filename(path, name, NULL);
		if (!g_file_get_contents(file, &text, &len, &terr)) {
			g_set_error(error, POC_ERROR, POC_ERR_CONFIG, "TemplateDir: %s", terr->message);
			g_error_free(terr);
			status = POC_ERR_CONFIG;
		} else if (poc_template_check(text, len, &terr) != POC_OK) {
			g_set_error(error, POC_ERROR, POC_ERR_CONFIG, "TemplateDir: %s: %s", file,
				    terr->message);
			g_error_free(terr);
			g_free(text);
			status = POC_ERR_CONFIG;
		} else {
			g_hash_table_insert(t->by_name, g_strndup(name, strlen(name) - 5), text);
		}
		g_free(file);
	}
	g_dir_close(d);
	for (size_t i = 0; status == POC_OK && i < G_N_ELEMENTS(kind_templates); i++)
		if (!g_hash_table_contains(t->by_name, kind_templates[i])) {
			g_set_error(error, POC_ERROR, POC_ERR_CONFIG,
				    "TemplateDir: %s/%s.tmpl: missing (one template per kind is needed)",
				    path, kind_templates[i]);
			status = POC_ERR_CONFIG;
		}
	g_free(path);
	if (status != POC_OK) {
		poc_templates_free(t);
		return status;
	}
	*out = t;
	return POC_OK;
}

void
poc_templates_free(poc_templates *t)
{
	if (!t)
		return;
	g_hash_table_destroy(t->by_name);
	g_free(t);
}

gboolean
poc_templates_has(const poc_templates *t, const char *name)
{
	return g_hash_table_contains(t->by_name, name);
}

GPtrArray *
poc_templates_names(const poc_templates *t)
{
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	GHashTableIter it;
	gpointer key;

	g_hash_table_iter_init(&it, t->by_name);
	while (g_hash_table_iter_next(&it, &key, NULL))
		g_ptr_array_add(names, g_strdup(key));
	g_ptr_array_sort(names, (GCompareFunc)g_strcmp0);
	return names;
}

/* --- composing -------------------------------------------------------- */

char *
poc_text_sanitise(const char *value, gsize max, poc_sanitise_mode mode)
{
	GString *out;

	if (!value)
		return g_strdup("");
	out = g_string_sized_new(strlen(value));
	for (const char *p = value; *p && out->len < max; p++) {
		gboolean blank = *p == '\r' || *p == '\n' || *p == '\t';

		if (blank && mode == POC_SANITISE_HEADER)
			g_string_append_c(out, ' ');
		else if (*p == '\n' || *p == '\t' || ((unsigned char)*p >= 0x20 && *p != 0x7f))
			g_string_append_c(out, *p);
	}
	if (!g_utf8_validate(out->str, out->len, NULL)) {
		char *valid = g_utf8_make_valid(out->str, out->len);
		g_string_free(out, TRUE);
		return valid;
	}
	return g_string_free(out, FALSE);
}

/* Only reads ids: filer threads may read the same list at once. */
static char *
join_ids(const GPtrArray *ids)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; ids && i < ids->len; i++)
		g_string_append_printf(s, "%s%s", i ? ", " : "", (const char *)g_ptr_array_index(ids, i));
	return g_string_free(s, FALSE);
}

GHashTable *
poc_ack_vars(const poc_config *cfg, const poc_message *notice, gint64 now)
{
	GHashTable *v = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
	char buf[POC_TIME_BUFSIZE];

	g_hash_table_insert(v, "tracking", g_strdup(notice->tracking ? notice->tracking : ""));
	g_hash_table_insert(v, "vuln_ids", join_ids(notice->vuln_ids));
	g_hash_table_insert(v, "subject", poc_header_sanitise(notice->subject, 400));
	g_hash_table_insert(v, "date", poc_header_sanitise(notice->date, 100));
	g_hash_table_insert(v, "message_id", poc_header_sanitise(notice->message_id, 400));
	g_hash_table_insert(v, "received_at", g_strdup(poc_time_format(notice->received_at, buf)));
	g_hash_table_insert(v, "deadline", g_strdup(poc_time_format(notice->ack_deadline, buf)));
	g_hash_table_insert(v, "organization", g_strdup(cfg->organization ? cfg->organization : ""));
	g_hash_table_insert(v, "poc_name", g_strdup(cfg->poc_name ? cfg->poc_name : ""));
	g_hash_table_insert(v, "case_id", g_strdup(notice->case_id ? notice->case_id : ""));
	g_hash_table_insert(v, "kind", g_strdup(poc_kind_name(notice->kind)));
	g_hash_table_insert(v, "from", poc_header_sanitise(notice->from, 200));
	(void)now;
	return v;
}

/*
 * "Re: " once, however many the notice had; the tracking number kept (put
 * in front in brackets when the notice's subject did not carry it).
 */
static char *
reply_subject(const char *subject, const char *tracking)
{
	char *s = poc_header_sanitise(subject, 400);
	const char *p = s;

	for (;;) {
		while (*p == ' ')
			p++;
		if (g_ascii_strncasecmp(p, "re:", 3) == 0)
			p += 3;
		else if (g_str_has_prefix(p, "Ｒｅ："))
			p += strlen("Ｒｅ：");
		else
			break;
	}
	char *r = tracking && *tracking && !strstr(p, tracking)
			  ? g_strconcat("Re: [", tracking, "] ", p, NULL)
			  : g_strconcat("Re: ", p, NULL);
	g_free(s);
	return r;
}

/*
 * The notice's outer Subject is not signed: when it names a tracking
 * number other than the one read from the notice (from signed text when
 * the signature is good), it is not echoed; the reply's Subject is then
 * "Re: [TRACKING]" with the kind, from what was read.
 */
static const char *
subject_for_reply(const poc_message *notice)
{
	static const char *const kind_words[POC_KIND_COUNT] = {
		[POC_KIND_OTHER] = "notice", [POC_KIND_SUMMARY] = "summary information",
		[POC_KIND_DETAIL] = "detailed information",
		[POC_KIND_PUBLICATION] = "publication", [POC_KIND_SCHEDULE] = "schedule",
		[POC_KIND_DIRECT_REPORT] = "report",
	};
	GPtrArray *tn;
	char *norm;
	gboolean other = FALSE;

	if (!notice->subject)
		return "";
	tn = g_ptr_array_new_with_free_func(g_free);
	norm = poc_text_normalise(notice->subject);
	poc_text_scan_ids(norm, tn, NULL);
	for (guint i = 0; i < tn->len; i++)
		other |= g_strcmp0(g_ptr_array_index(tn, i), notice->tracking) != 0;
	g_free(norm);
	g_ptr_array_unref(tn);
	if (!other)
		return notice->subject;
	return (unsigned)notice->kind < POC_KIND_COUNT ? kind_words[notice->kind] : "notice";
}

static GMimePart *
part_from_bytes(const char *type, const char *subtype, const void *data, gsize len,
		GMimeContentEncoding enc)
{
	GMimePart *part = g_mime_part_new_with_type(type, subtype);
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(data, len);
	GMimeDataWrapper *w = g_mime_data_wrapper_new_with_stream(stream, GMIME_CONTENT_ENCODING_DEFAULT);

	g_mime_part_set_content(part, w);
	g_mime_part_set_content_encoding(part, enc);
	g_object_unref(w);
	g_object_unref(stream);
	return part;
}

/*
 * The charset a text goes out in: ISO-2022-JP when asked for and every
 * character is in JIS X 0208 (or ASCII); otherwise UTF-8. glibc's
 * ISO-2022-JP is exactly that repertoire: ①, ㈱, half-width katakana,
 * emoji fail the conversion and the text falls back to UTF-8.
 */
const char *
poc_ack_charset_for(const char *text, const char *wanted)
{
	char *converted;

	if (!wanted || g_ascii_strcasecmp(wanted, "iso-2022-jp") != 0)
		return "utf-8";
	converted = g_convert(text, -1, "ISO-2022-JP", "UTF-8", NULL, NULL, NULL);
	if (!converted)
		return "utf-8";
	g_free(converted);
	return "iso-2022-jp";
}

/* Does a word have to be encoded: 8-bit, or text a reader would take for an encoded word? */
static gboolean
word_needs_encoding(const char *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)w[i] >= 0x80 || (w[i] == '=' && i + 1 < n && w[i + 1] == '?'))
			return TRUE;
	return FALSE;
}

/* One encoded word, or NULL if the text does not convert to the charset. */
static char *
encoded_word(const char *text, size_t n, const char *charset)
{
	gsize len = 0;
	char *bytes, *b64, *word;

	if (g_ascii_strcasecmp(charset, "iso-2022-jp") == 0) {
		/* g_convert ends in ASCII (ESC ( B): every word stands alone, as RFC 1468 asks. */
		bytes = g_convert(text, n, "ISO-2022-JP", "UTF-8", NULL, &len, NULL);
		if (!bytes)
			return NULL;
	} else {
		bytes = g_strndup(text, n);
		len = n;
	}
	b64 = g_base64_encode((const guchar *)bytes, len);
	word = g_strdup_printf("=?%s?B?%s?=", g_ascii_strcasecmp(charset, "iso-2022-jp") == 0
						    ? "ISO-2022-JP" : "UTF-8", b64);
	g_free(b64);
	g_free(bytes);
	return word;
}

/* Encode a run of text as B encoded words of at most 75 characters, split between characters. */
static gboolean
encode_run(const char *run, size_t n, const char *charset, GPtrArray *words)
{
	/* 75 - len("=?ISO-2022-JP?B?") - len("?=") = 57 base64 chars = 42 bytes (45 for UTF-8). */
	const size_t max_bytes = g_ascii_strcasecmp(charset, "iso-2022-jp") == 0 ? 42 : 45;
	const char *start = run, *end = run + n;

	while (start < end) {
		const char *stop = start, *next;
		char *word = NULL;

		/* Grow character by character while the encoded bytes fit. */
		while (stop < end) {
			gsize len = 0;
			char *bytes;

			next = g_utf8_next_char(stop);
			if (g_ascii_strcasecmp(charset, "iso-2022-jp") == 0) {
				bytes = g_convert(start, next - start, "ISO-2022-JP", "UTF-8", NULL, &len,
						  NULL);
				if (!bytes)
					return FALSE;
				g_free(bytes);
			} else {
				len = next - start;
			}
			if (len > max_bytes && stop > start)
				break;
			stop = next;
		}
		if (!(word = encoded_word(start, stop - start, charset)))
			return FALSE;
		g_ptr_array_add(words, word);
		start = stop;
	}
	return TRUE;
}

/*
 * The raw value (" ...\n", folded) of a Subject in charset: ASCII words as
 * they are, every run of words that needs it as B encoded words (RFC 2047;
 * ISO-2022-JP per RFC 1468). NULL if the text does not convert.
 */
char *
poc_ack_encode_header(const char *name, const char *utf8, const char *charset)
{
	GPtrArray *tokens = g_ptr_array_new_with_free_func(g_free);
	GString *out = g_string_new(" ");
	size_t col = strlen(name) + 2;
	const char *p = utf8;
	gboolean ok = TRUE, first = TRUE;

	while (ok && *p) {
		const char *w = p, *run_end;
		size_t n = strcspn(w, " ");

		if (n == 0) {
			p++;
			continue;
		}
		if (!word_needs_encoding(w, n)) {
			g_ptr_array_add(tokens, g_strndup(w, n));
			p = w + n;
			continue;
		}
		/* The run: this word and the next ones that need encoding, with their spaces. */
		run_end = w + n;
		for (;;) {
			const char *q = run_end;
			size_t m;

			while (*q == ' ')
				q++;
			m = strcspn(q, " ");
			if (m == 0 || !word_needs_encoding(q, m))
				break;
			run_end = q + m;
		}
		ok = encode_run(w, run_end - w, charset, tokens);
		p = run_end;
	}
	for (guint i = 0; ok && i < tokens->len; i++) {
		const char *t = g_ptr_array_index(tokens, i);
		size_t len = strlen(t);

		if (!first && col + 1 + len > 76) {
			g_string_append(out, "\n ");
			col = 1;
		} else if (!first) {
			g_string_append_c(out, ' ');
			col++;
		}
		g_string_append(out, t);
		col += len;
		first = FALSE;
	}
	g_string_append_c(out, '\n');
	g_ptr_array_free(tokens, TRUE);
	if (!ok) {
		g_string_free(out, TRUE);
		return NULL;
	}
	return g_string_free(out, FALSE);
}

/* Set a header of ours to text, encoded as poc_ack_encode_header() does. */
static void
set_encoded_header(GMimeObject *obj, const char *name, const char *utf8, const char *charset)
{
	char *raw = poc_ack_encode_header(name, utf8, charset);
	GMimeHeader *h;

	if (!raw)
		raw = poc_ack_encode_header(name, utf8, "utf-8");
	g_mime_object_set_header(obj, name, "-", NULL);
	h = g_mime_header_list_get_header(g_mime_object_get_header_list(obj), name);
	g_mime_header_set_raw_value(h, raw);
	g_free(raw);
}

/* The inner, to-be-encrypted entity: text/plain with a protected Subject. */
static GBytes *
inner_entity(const char *body_utf8, const char *subject, const char *charset)
{
	char *converted = NULL;
	gsize clen = 0;
	const char *cs = charset;
	GMimePart *part;
	GMimeFormatOptions *fmt;
	char *text;
	GBytes *out;

	if (g_ascii_strcasecmp(charset, "iso-2022-jp") == 0) {
		/* Characters outside JIS X 0208 (①, ㈱ from a subject): fall back to UTF-8. */
		converted = g_convert(body_utf8, -1, "ISO-2022-JP", "UTF-8", NULL, &clen, NULL);
		if (!converted)
			cs = "utf-8";
		else
			cs = "ISO-2022-JP";
	}
	if (!converted) {
		converted = g_strdup(body_utf8);
		clen = strlen(converted);
	}
	part = part_from_bytes("text", "plain", converted, clen,
			       g_ascii_strcasecmp(cs, "utf-8") == 0 ? GMIME_CONTENT_ENCODING_BASE64
								   : GMIME_CONTENT_ENCODING_7BIT);
	g_mime_object_set_content_type_parameter(GMIME_OBJECT(part), "charset", cs);
	g_mime_object_set_content_type_parameter(GMIME_OBJECT(part), "protected-headers", "v1");
	set_encoded_header(GMIME_OBJECT(part), "Subject", subject,
			   poc_ack_charset_for(subject, charset));
	fmt = g_mime_format_options_new();
	g_mime_format_options_set_newline_format(fmt, GMIME_NEWLINE_FORMAT_DOS);
	text = g_mime_object_to_string(GMIME_OBJECT(part), fmt);
	out = g_bytes_new_take(text, strlen(text));
	g_mime_format_options_free(fmt);
	g_object_unref(part);
	g_free(converted);
	return out;
}

/* One "<left@right>" token, bounded, nothing that could start another header or id. */
static gboolean
msg_id_usable(const char *id)
{
	size_t n = strlen(id);

	if (n < 5 || n > 250 || id[0] != '<' || id[n - 1] != '>' || !strchr(id, '@'))
		return FALSE;
	for (size_t i = 1; i + 1 < n; i++)
		if ((unsigned char)id[i] <= 0x20 || (unsigned char)id[i] >= 0x7f || id[i] == '<' ||
		    id[i] == '>')
			return FALSE;
	return !g_str_has_suffix(id, "@" POC_INVALID_DOMAIN ">");
}

static const char *
domain_of(const char *addr)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;
	return at ? at + 1 : POC_INVALID_DOMAIN;
}

char *poc_ack_new_message_id(const char *from);

char *
poc_ack_new_message_id(const char *from)
{
	guint32 r1 = g_random_int(), r2 = g_random_int();
	return g_strdup_printf("pocmilter.%" G_GINT64_FORMAT ".%08x%08x@%s", poc_now(), r1, r2,
			       domain_of(from));
}

/*
 * The keys to encrypt to, NULL-terminated (pointers into cfg): the
 * coordinator's pinned keys (AckEncryptTo, else CoordinatorKey) and us;
 * never the key that signed the notice, which may be anybody's key in
 * the keyring, or only a key id. NULL when there is none to the
 * coordinator and AckEncrypt is required.
 */
static GPtrArray *
encryption_recipients(const poc_config *cfg, GError **error)
{
	GPtrArray *recipients = g_ptr_array_new();
	const GPtrArray *keys = cfg->ack_encrypt_to && cfg->ack_encrypt_to->len
					? cfg->ack_encrypt_to
					: cfg->coordinator_key;

	for (guint i = 0; keys && i < keys->len; i++)
		g_ptr_array_add(recipients, g_ptr_array_index(keys, i));
	if (recipients->len == 0 && cfg->ack_encrypt == POC_ENCRYPT_REQUIRED) {
		g_set_error(error, POC_ERROR, POC_ERR_NOTFOUND,
			    "no key to encrypt to (neither AckEncryptTo nor CoordinatorKey is set)");
		g_ptr_array_free(recipients, TRUE);
		return NULL;
	}
	g_ptr_array_add(recipients, cfg->ack_sign_key ? cfg->ack_sign_key : cfg->ack_from);
	g_ptr_array_add(recipients, NULL);
	return recipients;
}

/* RFC 3156 multipart/encrypted around an armoured OpenPGP message. */
static GMimeMultipart *
pgp_mime_encrypted(GBytes *armoured)
{
	static const char version[] = "Version: 1\n";
	GMimeMultipart *mp = g_mime_multipart_new_with_subtype("encrypted");
	GMimePart *ver = part_from_bytes("application", "pgp-encrypted", version,
					 sizeof(version) - 1, GMIME_CONTENT_ENCODING_7BIT);
	GMimePart *data = part_from_bytes("application", "octet-stream",
					  g_bytes_get_data(armoured, NULL),
					  g_bytes_get_size(armoured), GMIME_CONTENT_ENCODING_7BIT);

	g_mime_object_set_content_type_parameter(GMIME_OBJECT(mp), "protocol",
						 "application/pgp-encrypted");
	g_mime_object_set_disposition(GMIME_OBJECT(data), "inline");
	g_mime_part_set_filename(data, "encrypted.asc");
	g_mime_multipart_add(mp, GMIME_OBJECT(ver));
	g_mime_multipart_add(mp, GMIME_OBJECT(data));
	g_object_unref(ver);
	g_object_unref(data);
	return mp;
}

/* The reply's outer headers: From, To, Subject, Date (JST), Message-ID, threading, ours. */
static void
set_reply_headers(GMimeMessage *m, const poc_config *cfg, const poc_reply *r, const char *to,
		  const char *msgid, gint64 now)
{
	GTimeZone *jst = g_time_zone_new_offset(POC_JST_OFFSET);
	GDateTime *date = g_date_time_new_from_unix_local(now);
	GDateTime *jdate = g_date_time_to_timezone(date, jst);

	g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_FROM, cfg->poc_name, cfg->ack_from);
	g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_TO, NULL, to);
	set_encoded_header(GMIME_OBJECT(m), "Subject", r->subject,
			   poc_ack_charset_for(r->subject, cfg->ack_charset));
	g_mime_message_set_date(m, jdate);
	g_date_time_unref(jdate);
	g_date_time_unref(date);
	g_time_zone_unref(jst);
	g_mime_message_set_message_id(m, msgid);
	/* Thread to the notice, unless its id is our stand-in for a missing one, or not an id. */
	if (r->in_reply_to && msg_id_usable(r->in_reply_to)) {
		char *mid = poc_header_sanitise(r->in_reply_to, 998);
		g_mime_object_set_header(GMIME_OBJECT(m), "In-Reply-To", mid, NULL);
		g_mime_object_set_header(GMIME_OBJECT(m), "References", mid, NULL);
		g_free(mid);
	}
	if (r->auto_replied)
		g_mime_object_set_header(GMIME_OBJECT(m), "Auto-Submitted", "auto-replied", NULL);
	g_mime_object_set_header(GMIME_OBJECT(m), r->case_header ? r->case_header : "X-POC-Ack",
				 r->case_id ? r->case_id : "", NULL);
}

/* The composed mail m as a queued outbox entry. */
static poc_outbox_entry *
queued_entry(GMimeMessage *m, const poc_reply *r, const char *to, const char *msgid, gint64 now)
{
	GMimeFormatOptions *fmt = g_mime_format_options_new();
	char *text = g_mime_object_to_string(GMIME_OBJECT(m), fmt);
	poc_outbox_entry *e = poc_outbox_entry_new();

	e->payload = g_bytes_new_take(text, strlen(text));
	e->message_id = g_strdup(r->message_id);
	e->case_id = g_strdup(r->case_id);
	e->ack_message_id = g_strdup_printf("<%s>", msgid);
	e->recipient = g_strdup(to);
	e->template_name = g_strdup(r->template_name);
	e->state = POC_OUTBOX_QUEUED;
	e->created_at = now;
	e->next_attempt_at = now;
	g_mime_format_options_free(fmt);
	return e;
}

/*
 * The reply itself, once its text is known: sign and encrypt the inner
 * entity, wrap it in RFC 3156 multipart/encrypted with our headers, and
 * return it as a queued outbox entry with its Message-ID fixed. Shared by
 * acknowledgements and vendor statements (statement.c).
 */
int
poc_reply_compose(const poc_config *cfg, poc_crypto *crypto, const poc_reply *r, gint64 now,
		  poc_outbox_entry **out, GError **error)
{
	GPtrArray *recipients = NULL;
	char *to = NULL, *msgid = NULL;
	GBytes *inner = NULL, *armoured = NULL;
	GMimeMessage *m = NULL;
	GMimeMultipart *mp = NULL;
	int status = POC_OK;

	*out = NULL;
	to = poc_header_sanitise(r->to, 254);
	if (!strchr(to, '@') || strpbrk(to, " <>\",;")) {
		g_set_error(error, POC_ERROR, POC_ERR_INVAL, "notice has no usable From address");
		status = POC_ERR_INVAL;
		goto cleanup;
	}
	recipients = encryption_recipients(cfg, error);
	if (!recipients) {
		status = POC_ERR_NOTFOUND;
		goto cleanup;
	}
	inner = inner_entity(r->body, r->subject, cfg->ack_charset ? cfg->ack_charset : "iso-2022-jp");
	status = poc_crypto_sign_encrypt(crypto, cfg->ack_sign_key ? cfg->ack_sign_key : cfg->ack_from,
					 (const char *const *)recipients->pdata,
					 g_bytes_get_data(inner, NULL), g_bytes_get_size(inner),
					 &armoured, error);
	if (status != POC_OK)
		goto cleanup;

	mp = pgp_mime_encrypted(armoured);
	m = g_mime_message_new(TRUE);
	g_mime_message_set_mime_part(m, GMIME_OBJECT(mp));
	msgid = poc_ack_new_message_id(cfg->ack_from);
	set_reply_headers(m, cfg, r, to, msgid, now);
	*out = queued_entry(m, r, to, msgid, now);

cleanup:
	if (m)
		g_object_unref(m);
	if (mp)
		g_object_unref(mp);
	if (inner) {
		/* The body is plaintext of our own making; still, do not leave it around. */
		g_bytes_unref(inner);
	}
	if (armoured)
		g_bytes_unref(armoured);
	if (recipients)
		g_ptr_array_free(recipients, TRUE);
	g_free(to);
	g_free(msgid);
	return status;
}

int
poc_ack_compose(const poc_config *cfg, const poc_templates *t, poc_crypto *crypto,
		const poc_message *notice, const char *name, gint64 now, poc_outbox_entry **out,
		GError **error)
{
	const char *tmpl_name = name ? name : poc_ack_default_template(notice->kind);
	const char *tmpl = g_hash_table_lookup(t->by_name, tmpl_name);
	GHashTable *vars;
	poc_reply r = { 0 };
	char *body, *subject;
	int status;

	*out = NULL;
	if (!tmpl) {
		g_set_error(error, POC_ERROR, POC_ERR_NOTFOUND, "no template \"%s\"", tmpl_name);
		return POC_ERR_NOTFOUND;
	}
	vars = poc_ack_vars(cfg, notice, now);
	body = poc_template_render(tmpl, vars);
	subject = reply_subject(subject_for_reply(notice), notice->tracking);
	r.to = notice->from;
	r.subject = subject;
	r.body = body;
	r.in_reply_to = notice->message_id;
	r.case_id = notice->case_id;
	r.message_id = notice->message_id;
	r.template_name = tmpl_name;
	r.auto_replied = TRUE;
	status = poc_reply_compose(cfg, crypto, &r, now, out, error);
	g_hash_table_destroy(vars);
	g_free(body);
	g_free(subject);
	return status;
}

const char *
poc_templates_get(const poc_templates *t, const char *name)
{
	return g_hash_table_lookup(t->by_name, name);
}

char *
poc_reply_subject(const char *subject)
{
	return reply_subject(subject ? subject : "", NULL);
}

/* --- the hold-mode guard ---------------------------------------------------- */

typedef struct guard_ctx {
	const poc_config *cfg;
	const poc_calendar *cal;
	poc_store *store;
	gint64 now;
	GPtrArray *due;		/* Message-IDs to acknowledge now */
} guard_ctx;

static int
guard_pick(poc_message *m, void *data)
{
	guard_ctx *g = data;
	gint64 left;

	if (m->ack_state != POC_ACK_HELD || !m->ack_required || m->ack_deadline <= 0)
		return 0;
	/* Spoofed, unsigned, undecryptable, reports, automatic mail, replays: stay held for a person. */
	if (!poc_ack_may_auto(g->cfg, g->store, m))
		return 0;
	left = poc_calendar_business_seconds(g->cal, g->now, m->ack_deadline);
	if (left < g->cfg->ack_guard)
		g_ptr_array_add(g->due, g_strdup(m->message_id));
	return 0;
}

int
poc_ack_guard_run(const poc_config *cfg, const poc_calendar *cal, const poc_templates *templates,
		  poc_store *store, poc_crypto *crypto, gint64 now, int *queued, GError **error)
{
	guard_ctx g = { cfg, cal, store, now, NULL };
	int status;

	*queued = 0;
	if (cfg->ack_mode != POC_ACK_MODE_HOLD || !templates || !store || !crypto)
		return POC_OK;
	g.due = g_ptr_array_new_with_free_func(g_free);
	/* Pick first, write after: the walk is by deadline, which the writes change. */
	status = poc_store_foreach_open_ack(store, guard_pick, &g, error);
	for (guint i = 0; status == POC_OK && i < g.due->len; i++) {
		const char *mid = g_ptr_array_index(g.due, i);
		poc_message *m = NULL;
		poc_outbox_entry *e = NULL;
		GError *err = NULL;
		char detail[256], left[POC_TIME_BUFSIZE];
		poc_event ev = { .type = (char *)poc_event_name(POC_EV_ACK_GUARD),
				 .actor = "pocmilter", .detail = detail };
		int rc;

		if (poc_store_get_message(store, mid, &m, &err) != POC_OK) {
			msg_warn("event=ack-guard-failed message_id=%s error=%s", poc_log_q(mid),
				 poc_log_q(err ? err->message : "?"));
			g_clear_error(&err);
			continue;
		}
		poc_time_format(m->ack_deadline, left);
		rc = poc_ack_compose(cfg, templates, crypto, m, NULL, now, &e, &err);
		if (rc == POC_OK) {
			g_snprintf(detail, sizeof(detail),
				   "still held %" G_GINT64_FORMAT "m of business time before the "
				   "deadline %s: template %s queued by the guard",
				   cfg->ack_guard / 60, left, e->template_name);
			rc = poc_store_outbox_add_held(store, e, &ev, &err);
		} else {
			poc_event fev = { .type = (char *)poc_event_name(POC_EV_ACK_GUARD_FAILED),
					  .actor = "pocmilter",
					  .detail = detail };

			/* No key to encrypt to, or GnuPG failed: recorded, and paging tells people. */
			g_snprintf(detail, sizeof(detail), "the guard could not compose: %s",
				   err ? err->message : "?");
			m->ack_state = POC_ACK_FAILED;
			g_free(m->ack_note);
			m->ack_note = g_strdup(detail);
			poc_store_update_message(store, m, &fev, NULL);
		}
		if (rc == POC_OK) {
			(*queued)++;
			msg_info("event=ack-guard case=%s message_id=%s result=%s",
				 poc_log_q(m->case_id ? m->case_id : "-"), poc_log_q(m->message_id),
				 poc_log_q(detail));
		} else if (rc == POC_ERR_EXISTS) {
			/* A person acted meanwhile: nothing to do. */
		} else {
			msg_warn("event=ack-guard-failed case=%s message_id=%s error=%s",
				 poc_log_q(m->case_id ? m->case_id : "-"), poc_log_q(m->message_id),
				 poc_log_q(err ? err->message : poc_strerror(rc)));
		}
		g_clear_error(&err);
		poc_outbox_entry_free(e);
		poc_message_free(m);
	}
	g_ptr_array_free(g.due, TRUE);
	return status;
}
