/*
 * NAME
 *	notice.c - from the raw bytes of a mail to a message record
 * SYNOPSIS
 *	#include "notice.h"
 * DESCRIPTION
 *	poc_notice_read() parses the mail with GMime (at most max_size bytes,
 *	at most max_parts nested headers and 2 * max_parts boundary lines:
 *	the rest is cut before GMime sees it), reads the envelope-ish headers
 *	itself, lets mime.c walk the body (decryption, verification, text),
 *	then reads the identifiers, the kind and the publication date from
 *	the text (text.h).
 *
 *	Tracking number: the protected Subject (RFC 9788), then the outer
 *	Subject, then the first POC_TRACKING_LINES lines of the body with
 *	quoted text stripped; failing those, the first in the rest of the
 *	body (quoted text included: it never overrides, only fills in).
 *	Every other tracking number met goes to related_tracking. At most
 *	POC_MAX_TRACKING_IDS tracking and POC_MAX_VULN_IDS vulnerability
 *	numbers are kept (text.h); more make the problem "over the id limit".
 *
 *	When the signature is good, all of these facts (tracking number,
 *	ids, kind, publication date) come only from what it signed (the
 *	walk's covered text and a protected Subject from inside it); the
 *	outer Subject and unsigned parts are not read for them. The
 *	coverage is msg->signature_covers (none, all, part); for part,
 *	each place text was outside the signature is a problem line
 *	"text outside the signature: ...".
 *
 *	auto_submitted is set for: Auto-Submitted other than "no"; a null
 *	("" or "<>") or MAILER-DAEMON envelope sender (NULL: unknown); From: mailer-daemon@ or postmaster@;
 *	a multipart/report; List-Id; Precedence bulk, list or junk;
 *	X-Autoreply / X-Autorespond; our own mail (From: one of
 *	own_addresses, or the POC_OWN_HEADER header), which also sets
 *	own_mail and the problem POC_PROBLEM_OWN_MAIL ("own mail").
 *	X-Auto-Response-Suppress alone is not enough: Outlook sets it on
 *	ordinary mail.
 * DIAGNOSTICS
 *	Only POC_ERR_INVAL (no reader, message or bytes) fails; everything
 *	the mail lacks or breaks is a line in msg->problems.
 * SECURITY
 *	Decrypted text stays in this call: the walk's buffers are wiped and
 *	freed before it returns; only identifiers, dates and the crypto
 *	outcome reach msg.
 */
#include "config.h"

#include <string.h>

#include "mime.h"
#include "notice.h"

#define POC_TRACKING_LINES 40

static gpointer
gmime_init_once(gpointer unused)
{
	g_mime_init();
	/*
	 * GMime decodes some headers itself while it parses (we read the raw
	 * values); its lenient RFC 2047 tokenizer takes time quadratic in a
	 * header of unterminated encoded words ("=?a?q?x " repeated: 128 KiB,
	 * 2 s). The strict one is linear. Every parser here uses the default.
	 */
	g_mime_parser_options_set_rfc2047_compliance_mode(g_mime_parser_options_get_default(),
							  GMIME_RFC_COMPLIANCE_STRICT);
	poc_charsets_init();
	return NULL;
}

void
poc_notice_init(void)
{
	static GOnce once = G_ONCE_INIT;

	g_once(&once, gmime_init_once, NULL);
}

static const poc_kind_rules *
default_rules(void)
{
	static gsize done;
	static poc_kind_rules *rules;

	if (g_once_init_enter(&done)) {
		rules = poc_kind_rules_default();
		g_once_init_leave(&done, 1);
	}
	return rules;
}

G_GNUC_PRINTF(2, 3) static void
add_problem(poc_message *msg, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_ptr_array_add(msg->problems, g_strdup_vprintf(fmt, ap));
	va_end(ap);
}

static GPtrArray *
ensure_array(GPtrArray **a)
{
	if (*a == NULL)
		*a = g_ptr_array_new_with_free_func(g_free);
	return *a;
}

static gboolean
in_list(const char *s, const char *const *list)
{
	if (s == NULL || list == NULL)
		return FALSE;
	for (; *list; list++)
		if (g_ascii_strcasecmp(s, *list) == 0)
			return TRUE;
	return FALSE;
}

static gboolean
ptr_array_has(GPtrArray *a, const char *s)
{
	for (guint i = 0; a && i < a->len; i++)
		if (strcmp(g_ptr_array_index(a, i), s) == 0)
			return TRUE;
	return FALSE;
}

/* The raw (undecoded) value of the first header called name, or NULL. */
static const char *
raw_header(GMimeObject *obj, const char *name)
{
	GMimeHeaderList *list = g_mime_object_get_header_list(obj);
	GMimeHeader *h = list ? g_mime_header_list_get_header(list, name) : NULL;

	return h ? g_mime_header_get_raw_value(h) : NULL;
}

/* Unfolded and trimmed; a new string or NULL. */
static char *
header_trimmed(GMimeObject *obj, const char *name)
{
	const char *raw = raw_header(obj, name);
	GString *s;

	if (raw == NULL)
		return NULL;
	s = g_string_new(NULL);
	for (; *raw; raw++)
		if (*raw != '\r' && *raw != '\n')
			g_string_append_c(s, *raw == '\t' ? ' ' : *raw);
	g_strstrip(s->str);
	return g_string_free(s, FALSE);
}

/* "<id>" of a Message-ID-like header, or NULL. */
static char *
message_id_header(GMimeObject *obj, const char *name)
{
	char *value = header_trimmed(obj, name), *id, *result = NULL;

	if (value == NULL)
		return NULL;
	id = g_mime_utils_decode_message_id(value);
	if (id && *id && !strpbrk(id, " \t<>"))
		result = g_strdup_printf("<%s>", id);
	g_free(id);
	g_free(value);
	return result;
}

/* The addr-spec of the first mailbox, domain lower-cased. */
static char *
from_address(GMimeMessage *message)
{
	InternetAddressList *list = g_mime_message_get_from(message);
	char *addr = NULL, *at;

	for (int i = 0; list && i < internet_address_list_length(list); i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);

		if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
			const char *a = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));

			if (a && *a && strchr(a, '@')) {
				addr = g_strdup(a);
				break;
			}
		}
	}
	if (addr && (at = strrchr(addr, '@')) != NULL)
		for (char *c = at; *c; c++)
			*c = g_ascii_tolower(*c);
	return addr;
}

static gboolean
local_part_is(const char *addr, const char *name)
{
	size_t n = strlen(name);

	return addr && g_ascii_strncasecmp(addr, name, n) == 0 && addr[n] == '@';
}

/* Is this our own mail: From: one of own_addresses, or our POC_OWN_HEADER? */
static gboolean
is_own_mail(const poc_reader *reader, GMimeMessage *message, const poc_message *msg)
{
	return in_list(msg->from, reader->own_addresses) ||
	       raw_header(GMIME_OBJECT(message), POC_OWN_HEADER);
}

/* Why this mail (not our own) is automatic, or NULL. */
static const char *
automatic_reason(GMimeMessage *message, const poc_message *msg)
{
	GMimeObject *obj = GMIME_OBJECT(message);
	GMimeObject *body = g_mime_message_get_mime_part(message);
	const char *v;

	if ((v = raw_header(obj, "Auto-Submitted")) != NULL) {
		char *s = g_strstrip(g_ascii_strdown(v, -1));
		gboolean no = g_str_has_prefix(s, "no") && (s[2] == '\0' || s[2] == ';' || s[2] == ' ');

		g_free(s);
		if (!no)
			return "Auto-Submitted";
	}
	if (msg->envelope_from && (msg->envelope_from[0] == '\0'
				   || strcmp(msg->envelope_from, "<>") == 0))
		return "null envelope sender";
	if (local_part_is(msg->envelope_from, "mailer-daemon")
	    || local_part_is(msg->envelope_from, "<mailer-daemon"))
		return "MAILER-DAEMON envelope sender";
	if (local_part_is(msg->from, "mailer-daemon") || local_part_is(msg->from, "postmaster"))
		return "From: mailer-daemon or postmaster";
	if (body && g_mime_object_get_content_type(body)
	    && g_mime_content_type_is_type(g_mime_object_get_content_type(body), "multipart",
					   "report"))
		return "multipart/report";
	if (raw_header(obj, "List-Id"))
		return "List-Id";
	if ((v = raw_header(obj, "Precedence")) != NULL) {
		char *s = g_strstrip(g_ascii_strdown(v, -1));
		gboolean bulk = strcmp(s, "bulk") == 0 || strcmp(s, "list") == 0
			|| strcmp(s, "junk") == 0;

		g_free(s);
		if (bulk)
			return "Precedence";
	}
	if (raw_header(obj, "X-Autoreply") || raw_header(obj, "X-Autorespond"))
		return "X-Autoreply";
	return NULL;
}

/*
 * Where GMime must stop so that it builds a bounded number of parts: the
 * start of the line with the (limit + 1)th "Content-Type:" at a line
 * start (each nesting level needs one, and GMime's parser recurses per
 * level), or of the (2 * limit + 1)th line starting with "--" (a part
 * without Content-Type still follows a boundary delimiter line, and
 * GMime builds every part before the walk's part limit applies; twice
 * the limit leaves room for closing delimiters and "-- " signature
 * lines). One pass over the lines.
 */
static size_t
bound_nesting(const char *raw, size_t len, int limit)
{
	int types = 0, delimiters = 0;

	for (size_t i = 0; i < len;) {
		const char *nl;

		if (i + 13 < len && (raw[i] == 'C' || raw[i] == 'c')
		    && g_ascii_strncasecmp(raw + i, "content-type:", 13) == 0 && ++types > limit)
			return i;
		if (i + 2 <= len && raw[i] == '-' && raw[i + 1] == '-' && ++delimiters > 2 * limit)
			return i;
		if ((nl = memchr(raw + i, '\n', len - i)) == NULL)
			break;
		i = (size_t) (nl - raw) + 1;
	}
	return len;
}

/*
 * Identifiers from subject(s) and body; body is normalised UTF-8.
 * outer_subject is NULL when the signature is what grants trust.
 */
static void
read_identifiers(poc_message *msg, const char *protected_subject, const char *outer_subject,
		 const char *body)
{
	GPtrArray *tn = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *vulns = ensure_array(&msg->vuln_ids);
	GPtrArray *related = ensure_array(&msg->related_tracking);
	const char *subjects[] = { protected_subject, outer_subject };
	char *stripped, *head;
	gboolean over = FALSE;	/* an id left out: POC_MAX_VULN_IDS, POC_MAX_TRACKING_IDS */

	/* Subjects first: a tracking number there wins. */
	for (size_t i = 0; i < G_N_ELEMENTS(subjects); i++) {
		char *norm;

		if (subjects[i] == NULL)
			continue;
		norm = poc_text_normalise(subjects[i]);
		over |= poc_text_scan_ids(norm, tn, vulns);
		g_free(norm);
	}
	/* Then the start of the body without quoted text. */
	stripped = poc_text_strip_quoted(body);
	{
		const char *p = stripped;

		for (int line = 0; line < POC_TRACKING_LINES && p && *p; line++) {
			p = strchr(p, '\n');
			if (p)
				p++;
		}
		head = g_strndup(stripped, p ? (gsize) (p - stripped) : strlen(stripped));
	}
	over |= poc_text_scan_ids(head, tn, NULL);
	/* Everything else: vulnerability numbers anywhere, other TNs as related. */
	over |= poc_text_scan_ids(body, tn, vulns);
	if (over)
		add_problem(msg, "over the id limit (%d vulnerability, %d tracking numbers): "
			    "the rest are not kept", POC_MAX_VULN_IDS, POC_MAX_TRACKING_IDS);
	if (tn->len > 0 && msg->tracking == NULL)
		msg->tracking = g_strdup(g_ptr_array_index(tn, 0));
	for (guint i = 0; i < tn->len; i++) {
		const char *t = g_ptr_array_index(tn, i);

		if (g_strcmp0(t, msg->tracking) != 0 && !ptr_array_has(related, t))
			g_ptr_array_add(related, g_strdup(t));
	}
	explicit_bzero(stripped, strlen(stripped));
	explicit_bzero(head, strlen(head));
	g_free(stripped);
	g_free(head);
	g_ptr_array_unref(tn);
}

/* How much of raw GMime may parse: max_size, then bound_nesting(); each cut is a problem. */
static size_t
parse_length(poc_message *msg, const char *raw, size_t len, gsize max_size, int max_parts)
{
	size_t parse_len = MIN(len, max_size), bounded;

	if (parse_len < len)
		add_problem(msg, POC_PROBLEM_TOO_LARGE " (%" G_GSIZE_FORMAT
			    " bytes): only its start is read", max_size);
	bounded = bound_nesting(raw, parse_len, max_parts);
	if (bounded < parse_len) {
		add_problem(msg, "over the part limit (%d): the rest is not read", max_parts);
		parse_len = bounded;
	}
	return parse_len;
}

/* The headers after Message-ID: ours to read, never GMime's charset guesses. */
static void
read_headers(const poc_reader *reader, GMimeMessage *message, poc_message *msg)
{
	const char *s;

	msg->in_reply_to = message_id_header(GMIME_OBJECT(message), "In-Reply-To");
	msg->date = header_trimmed(GMIME_OBJECT(message), "Date");
	s = raw_header(GMIME_OBJECT(message), "Subject");
	msg->subject = s ? poc_mime_decode_header(s) : NULL;
	msg->from = from_address(message);
	if (msg->from == NULL)
		add_problem(msg, "no sender address in From:");
	msg->from_coordinator = in_list(msg->from, reader->coordinators);
	if (is_own_mail(reader, message, msg)) {
		msg->own_mail = msg->auto_submitted = TRUE;
		add_problem(msg, POC_PROBLEM_OWN_MAIL);
	} else if (automatic_reason(message, msg)) {
		msg->auto_submitted = TRUE;
	}
}

/* What the walk found of encryption and signature, and the signature's coverage. */
static void
note_crypto(poc_message *msg, const poc_mime_walk *walk)
{
	const poc_crypto_outcome *o = &walk->outcome;

	msg->encrypted = walk->encrypted;
	msg->decryption = o->decryption;
	msg->signature = o->signature;
	g_free(msg->signer);
	msg->signer = o->signer[0] ? g_strdup(o->signer) : NULL;
	/* A valid signature is unique to what was signed, when: a replay shows it again. */
	g_free(msg->signature_id);
	msg->signature_id = o->signer[0] && o->sig_created > 0 &&
					    (o->signature == POC_SIGNATURE_GOOD ||
					     o->signature == POC_SIGNATURE_UNTRUSTED)
				    ? g_strdup_printf("%s@%" G_GINT64_FORMAT "@%s", o->signer,
						      o->sig_created, o->signed_digest)
				    : NULL;
	for (guint i = 0; i < walk->problems->len; i++)
		g_ptr_array_add(msg->problems, g_strdup(g_ptr_array_index(walk->problems, i)));
	msg->signature_covers = !walk->have_signature ? POC_COVERS_NONE
		: walk->outside->len == 0 && (walk->protected_subject == NULL
					      || walk->protected_subject_covered)
		? POC_COVERS_ALL : POC_COVERS_PART;
	if (walk->have_signature) {
		for (guint i = 0; i < walk->outside->len; i++)
			add_problem(msg, "text outside the signature: %s",
				    (const char *)g_ptr_array_index(walk->outside, i));
		if (walk->protected_subject && !walk->protected_subject_covered)
			add_problem(msg, "protected Subject outside the signature");
	}
}

/*
 * A signed notice whose signed text names no tracking number: filed
 * under its unsigned Subject's, so that its case is found, but held
 * for a person (notice.h).
 */
static void
tracking_from_unsigned_subject(poc_message *msg)
{
	GPtrArray *tn = g_ptr_array_new_with_free_func(g_free);
	char *norm = poc_text_normalise(msg->subject);

	poc_text_scan_ids(norm, tn, NULL);
	if (tn->len > 0) {
		msg->tracking = g_strdup(g_ptr_array_index(tn, 0));
		add_problem(msg, POC_PROBLEM_TN_UNSIGNED " (%s): a person confirms it",
			    msg->tracking);
	}
	g_free(norm);
	g_ptr_array_unref(tn);
}

/*
 * msg->kind and kind_rule from subject (normalised: the result, to wipe
 * and free) and body. A signed notice without a signed Subject
 * (signed_no_subject): the coordinator names the step in the outer
 * Subject (doc/KINDS.md), which is not signed. Its kind is read with
 * that Subject, and checked against the signed text alone; where they
 * differ the kind is a label only (notice.h).
 */
static char *
read_kind(const poc_reader *reader, poc_message *msg, const char *subject, const char *body,
	  gboolean signed_no_subject)
{
	const poc_kind_rules *rules = reader->rules ? reader->rules : default_rules();
	char *subject_norm = poc_text_normalise(subject);

	g_free(msg->kind_rule);
	msg->kind = poc_kind_classify_rule(rules, msg->from_coordinator, subject_norm, body,
					   &msg->kind_rule);
	if (signed_no_subject && msg->subject) {
		char *outer = poc_text_normalise(msg->subject), *rule = NULL;
		poc_kind with = poc_kind_classify_rule(rules, msg->from_coordinator, outer, body,
						       &rule);

		if (with != msg->kind) {
			msg->kind = with;
			g_free(msg->kind_rule);
			msg->kind_rule = g_strdup_printf("%s" POC_KIND_RULE_UNSIGNED, rule ? rule : "?");
		} else {
			g_free(msg->kind_rule);
			msg->kind_rule = g_strdup(rule);
		}
		g_free(rule);
		explicit_bzero(outer, strlen(outer));
		g_free(outer);
	}
	return subject_norm;
}

/* Wipe and free decrypted text. */
static void
wipe(char *text)
{
	if (text) {
		explicit_bzero(text, strlen(text));
		g_free(text);
	}
}

/*
 * Identifiers, kind, date: from normalised text. When the signature is
 * good (what grants trust), only from what it signed: the covered text
 * and a protected Subject from inside it, never the outer Subject or
 * unsigned parts (doc/NOTICES.md).
 */
static void
read_facts(const poc_reader *reader, const poc_mime_walk *walk, poc_message *msg)
{
	gboolean good = walk->outcome.signature == POC_SIGNATURE_GOOD;
	const char *facts = good ? walk->covered->str : walk->body->str;
	const char *facts_subject = !good || walk->protected_subject_covered
					    ? walk->protected_subject : NULL;
	const char *outer_subject = good ? NULL : msg->subject;
	char *body = poc_text_normalise(facts), *subject_norm, *text_all;

	read_identifiers(msg, facts_subject, outer_subject, body);
	if (good && msg->tracking == NULL && msg->subject)
		tracking_from_unsigned_subject(msg);
	subject_norm = read_kind(reader, msg,
				 facts_subject ? facts_subject : outer_subject ? outer_subject : "",
				 body, good && !facts_subject);
	text_all = g_strconcat(subject_norm, "\n", body, NULL);
	/* Dates without a year are read against the received time (now, unset). */
	msg->publication_date = poc_text_read_publication_date(
		text_all, msg->received_at > 0 ? msg->received_at : poc_now(), msg->problems);
	wipe(text_all);
	wipe(subject_norm);
	wipe(body);
}

int
poc_notice_read(const poc_reader *reader, const char *raw, size_t len, poc_message *msg,
		GError **error)
{
	gsize max_size = reader && reader->max_size ? reader->max_size : 32 * 1024 * 1024;
	int max_parts = reader && reader->max_parts > 0 ? reader->max_parts : 1000;
	GMimeStream *stream = NULL;
	GMimeParser *parser = NULL;
	GMimeMessage *message = NULL;
	poc_mime_walk walk;

	if (reader == NULL || msg == NULL || (raw == NULL && len > 0)) {
		g_set_error(error, POC_ERROR, POC_ERR_INVAL, "poc_notice_read: missing argument");
		return POC_ERR_INVAL;
	}
	poc_notice_init();
	ensure_array(&msg->problems);
	ensure_array(&msg->vuln_ids);
	ensure_array(&msg->related_tracking);
	msg->size = len;

	stream = g_mime_stream_mem_new_with_buffer(raw ? raw : "",
						   parse_length(msg, raw, len, max_size, max_parts));
	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	message = g_mime_parser_construct_message(parser, NULL);
	if (message == NULL) {
		add_problem(msg, "not a mail message: nothing could be parsed");
		msg->message_id = poc_text_message_key(raw ? raw : "", len);
		msg->auto_submitted = FALSE;
		goto cleanup;
	}

	/* Headers: ours to read, never GMime's charset guesses. */
	msg->message_id = message_id_header(GMIME_OBJECT(message), "Message-ID");
	if (msg->message_id == NULL)
		msg->message_id = poc_text_message_key(raw, len);
	read_headers(reader, message, msg);

	/* The body: decryption, signatures, text. */
	poc_mime_walk_init(&walk);
	if (reader->crypto)
		poc_crypto_set_max_plaintext(reader->crypto, max_size);
	walk.crypto = reader->crypto;
	walk.trusted = reader->coordinator_keys;
	walk.max_size = max_size;
	if (reader->max_depth > 0)
		walk.max_depth = reader->max_depth;
	walk.max_parts = max_parts;
	poc_mime_walk_message(&walk, message);
	note_crypto(msg, &walk);
	read_facts(reader, &walk, msg);
	poc_mime_walk_clear(&walk);

cleanup:
	if (message)
		g_object_unref(message);
	if (parser)
		g_object_unref(parser);
	if (stream)
		g_object_unref(stream);
	return POC_OK;
}
