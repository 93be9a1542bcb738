/*
 * NAME
 *	mime.c - walking a GMime message for its text and its OpenPGP parts
 * SYNOPSIS
 *	#include "mime.h"
 * DESCRIPTION
 *	One recursive walk (walk_object) over the MIME tree. Each container
 *	kind has its handler:
 *	- multipart/encrypted (RFC 3156): decrypt the second part, parse the
 *	  plaintext as a MIME entity, recurse (this is also where a
 *	  multipart/signed inside the encryption is met: signed-then-
 *	  encrypted), and read protected headers (RFC 9788) from the entity;
 *	- multipart/signed: verify the first part as written on the wire,
 *	  canonicalised to CRLF (GMime keeps raw headers and content), with
 *	  the second part as detached signature, recurse into the first;
 *	- multipart/alternative: one child only, text/plain before HTML;
 *	- other multiparts, the Exchange-mangled form included
 *	  (application/pgp-encrypted "Version: 1" + an octet-stream holding
 *	  armour): every child, the control part skipped, the armour decrypted;
 *	- message/rfc822: the forwarded message's Subject and its parts, one
 *	  "level" deeper (its signature does not become the mail's);
 *	- leaves: text/plain (inline armour, clear-signed text, format=flowed,
 *	  legacy-display protected headers), text/html, text/rfc822-headers,
 *	  and OpenPGP files (.asc, .pgp, .gpg, application/pgp-encrypted).
 *
 *	Coverage: while the walk is inside what the message's signature
 *	signed (note_outcome() returned TRUE for it), in_sig is set and
 *	append_text() copies text to walk->covered too; text outside it
 *	(a sibling part, text around a clear-signed block, another signed
 *	part) is named in walk->outside by the "where" of the leaf.
 *
 *	Text is converted from the raw part bytes after transfer decoding by
 *	poc_charset_to_utf8(): GMime never converts charsets here, because
 *	ISO-2022-JP from Windows carries CP932 extensions iconv refuses.
 * DIAGNOSTICS
 *	Everything that could not be read goes to walk->problems as a short
 *	line that never quotes the mail.
 * SECURITY
 *	Decrypted bytes live in GByteArrays wiped before they are freed; the
 *	GMime objects parsed from them are dropped before the wipe. Text
 *	gathered in walk->body and walk->covered is wiped by
 *	poc_mime_walk_clear().
 */
#include "config.h"

#include <string.h>

#include "jis.h"
#include "mime.h"

#define ARMOR_MESSAGE	"-----BEGIN PGP MESSAGE-----"
#define ARMOR_MESSAGE_END "-----END PGP MESSAGE-----"
#define ARMOR_SIGNED	"-----BEGIN PGP SIGNED MESSAGE-----"
#define ARMOR_SIG_END	"-----END PGP SIGNATURE-----"

static void walk_object(poc_mime_walk *w, GMimeObject *obj, int depth, int level);

/* --- results ----------------------------------------------------------- */

void
poc_mime_walk_init(poc_mime_walk *w)
{
	memset(w, 0, sizeof *w);
	w->body = g_string_new(NULL);
	w->covered = g_string_new(NULL);
	w->outside = g_ptr_array_new_with_free_func(g_free);
	w->problems = g_ptr_array_new_with_free_func(g_free);
	w->max_size = 32 * 1024 * 1024;
	w->max_depth = 32;
	w->max_parts = 1000;
}

void
poc_mime_walk_clear(poc_mime_walk *w)
{
	if (w->body) {
		explicit_bzero(w->body->str, w->body->allocated_len);
		g_string_free(w->body, TRUE);
		w->body = NULL;
	}
	if (w->covered) {
		explicit_bzero(w->covered->str, w->covered->allocated_len);
		g_string_free(w->covered, TRUE);
		w->covered = NULL;
	}
	if (w->outside)
		g_ptr_array_unref(w->outside);
	w->outside = NULL;
	if (w->protected_subject) {
		explicit_bzero(w->protected_subject, strlen(w->protected_subject));
		g_free(w->protected_subject);
		w->protected_subject = NULL;
	}
	if (w->problems)
		g_ptr_array_unref(w->problems);
	w->problems = NULL;
}

G_GNUC_PRINTF(2, 3) static void
problem(poc_mime_walk *w, const char *fmt, ...)
{
	va_list ap;

	/* A hostile mail could make thousands; a hundred say enough. */
	if (w->problems->len >= 100)
		return;
	va_start(ap, fmt);
	g_ptr_array_add(w->problems, g_strdup_vprintf(fmt, ap));
	va_end(ap);
}

/*
 * TRUE when o became the message's signature: the caller then walks what
 * it signed with in_sig set (and restores in_sig after).
 */
static gboolean
note_outcome(poc_mime_walk *w, const poc_crypto_outcome *o, gboolean was_encrypted, int level)
{
	if (was_encrypted) {
		w->encrypted = TRUE;
		if (o->decryption == POC_DECRYPTION_OK)
			w->decrypt_ok = TRUE;
		else
			w->decrypt_failed = TRUE;
		w->outcome.decryption = w->decrypt_failed ? POC_DECRYPTION_FAILED
			: w->decrypt_ok ? POC_DECRYPTION_OK : POC_DECRYPTION_NONE;
	}
	if (o->signature == POC_SIGNATURE_NONE)
		return FALSE;
	if (level > 0) {
		problem(w, "forwarded message: signature %s%s%s",
			poc_signature_name(o->signature), o->signer[0] ? " by " : "", o->signer);
		return FALSE;
	}
	if (w->have_signature) {
		if (o->signature != w->outcome.signature)
			problem(w, "another signed part: signature %s",
				poc_signature_name(o->signature));
		else if (!w->in_sig)
			problem(w, "another signed part: its text is outside the message's signature");
		return FALSE;
	}
	w->have_signature = TRUE;
	{
		poc_decryption decryption = w->outcome.decryption;	/* the walk's, not o's */

		w->outcome = *o;
		w->outcome.decryption = decryption;
	}
	return TRUE;
}

/* Count decoded bytes against max_size; FALSE (and stop) when over. */
static gboolean
account(poc_mime_walk *w, gsize n)
{
	if (w->stopped)
		return FALSE;
	if (w->bytes + n > w->max_size) {
		problem(w, "over the size limit (%" G_GSIZE_FORMAT " bytes): the rest is not read",
			w->max_size);
		w->stopped = TRUE;
		return FALSE;
	}
	w->bytes += n;
	return TRUE;
}

/*
 * May one more OpenPGP block or part go to gpg (a process each)? At most
 * POC_MAX_OPENPGP_BLOCKS per message; the first one over says so.
 */
static gboolean
openpgp_budget(poc_mime_walk *w)
{
	if (w->openpgp_blocks++ < POC_MAX_OPENPGP_BLOCKS)
		return TRUE;
	if (w->openpgp_blocks == POC_MAX_OPENPGP_BLOCKS + 1)
		problem(w, "over the OpenPGP block limit (%d): the rest is not decrypted or verified",
			POC_MAX_OPENPGP_BLOCKS);
	w->openpgp_blocks = POC_MAX_OPENPGP_BLOCKS + 1;
	return FALSE;
}

/* --- bytes ------------------------------------------------------------- */

static void
bytes_free(GByteArray *a)
{
	if (a == NULL)
		return;
	if (a->len)
		explicit_bzero(a->data, a->len);
	g_byte_array_unref(a);
}

/* Never a NULL data pointer, even when empty: callers do pointer arithmetic. */
static GByteArray *
bytes_nonnull(GByteArray *a)
{
	if (a->data == NULL) {
		guint8 zero = 0;

		g_byte_array_append(a, &zero, 1);
		g_byte_array_set_size(a, 0);
	}
	return a;
}

/* The content of a leaf after transfer decoding (no charset conversion). */
static GByteArray *
part_bytes(GMimePart *part)
{
	GMimeDataWrapper *content = g_mime_part_get_content(part);
	GMimeStream *stream;
	GByteArray *a;

	if (content == NULL)
		return bytes_nonnull(g_byte_array_new());
	stream = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(content, stream);
	/* Take the array: the stream would free its data, whatever its refcount. */
	a = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(stream));
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream), FALSE);
	g_object_unref(stream);
	return bytes_nonnull(a);
}

static const char *
memstr(const char *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	if (n == 0 || len < n)
		return NULL;
	for (const char *p = hay; (p = memchr(p, needle[0], len - (p - hay) - n + 1)) != NULL; p++)
		if (memcmp(p, needle, n) == 0)
			return p;
	return NULL;
}

char *
poc_mime_text_to_utf8(const char *charset, const char *data, size_t len)
{
	char *copy = NULL, *out;

	if (memchr(data, '\0', len)) {
		copy = g_memdup2(data, len);
		for (size_t i = 0; i < len; i++)
			if (copy[i] == '\0')
				copy[i] = ' ';
		data = copy;
	}
	/* A "us-ascii" label on JIS or 8-bit text is a common lie. */
	if (charset == NULL || g_ascii_strcasecmp(charset, "us-ascii") == 0
	    || g_ascii_strcasecmp(charset, "ascii") == 0) {
		if (memstr(data, len, "\x1b$") || memstr(data, len, "\x1b("))
			charset = "ISO-2022-JP";
		else
			charset = NULL;
	}
	out = poc_charset_to_utf8(charset, data, len);
	if (copy) {
		explicit_bzero(copy, len);
		g_free(copy);
	}
	return out;
}

static void
append_to(GString *s, const char *text)
{
	if (s->len && s->str[s->len - 1] != '\n')
		g_string_append_c(s, '\n');
	g_string_append(s, text);
}

/* Text outside the message's signature that says something: where it was. */
static void
note_outside(poc_mime_walk *w, const char *text)
{
	const char *where = w->where[0] ? w->where : "unsigned text";
	const char *p = text;

	while (*p && (g_ascii_isspace(*p) || (guchar) *p == 0xc2 || (guchar) *p == 0xa0))
		p++;
	if (*p == '\0' || w->outside->len >= 8)
		return;
	if (w->outside->len
	    && strcmp(g_ptr_array_index(w->outside, w->outside->len - 1), where) == 0)
		return;
	g_ptr_array_add(w->outside, g_strdup(where));
}

static void
append_text(poc_mime_walk *w, const char *text)
{
	append_to(w->body, text);
	if (w->in_sig)
		append_to(w->covered, text);
	else
		note_outside(w, text);
}

/* Set where text appended next comes from (for outside). */
G_GNUC_PRINTF(2, 3) static void
set_where(poc_mime_walk *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_vsnprintf(w->where, sizeof w->where, fmt, ap);
	va_end(ap);
}

/* The first protected Subject, or a covered one after an uncovered one. */
static void
set_protected_subject(poc_mime_walk *w, char *subject)
{
	if (subject && *subject
	    && (w->protected_subject == NULL || (w->in_sig && !w->protected_subject_covered))) {
		if (w->protected_subject) {
			explicit_bzero(w->protected_subject, strlen(w->protected_subject));
			g_free(w->protected_subject);
		}
		w->protected_subject = subject;
		w->protected_subject_covered = w->in_sig;
	} else {
		g_free(subject);
	}
}

static void
append_wiped(poc_mime_walk *w, char *text)
{
	append_text(w, text);
	explicit_bzero(text, strlen(text));
	g_free(text);
}

/* --- headers ----------------------------------------------------------- */

static char *
bytes_to_utf8_guess(const char *charset, const char *data, size_t len)
{
	if (charset == NULL && g_utf8_validate(data, len, NULL) && !memchr(data, '\0', len)
	    && !memstr(data, len, "\x1b$"))
		return g_strndup(data, len);
	return poc_mime_text_to_utf8(charset, data, len);
}

/*
 * The next '?' from from in the encoded word starting at word, or NULL
 * past POC_MAX_ENCODED_WORD. No part of a word holds a '?' (RFC 2047 2):
 * a scan stops at the next one, which starts the next candidate word at
 * the latest, so that a header is read in time linear in its length.
 */
static const char *
word_next_question(const char *word, const char *from)
{
	for (const char *c = from; *c && c - word < POC_MAX_ENCODED_WORD; c++)
		if (*c == '?')
			return c;
	return NULL;
}

/* Decode the payload of one encoded word into out; FALSE if it is not one. */
static gboolean
decode_word(const char *p, const char **end, char **charset, GByteArray *out)
{
	const char *cs, *q1, *q2, *q3;

	if (p[0] != '=' || p[1] != '?')
		return FALSE;
	cs = p + 2;
	if ((q1 = word_next_question(p, cs)) == NULL || q1 == cs)
		return FALSE;
	if (!(q1[1] && q1[2] == '?'))
		return FALSE;
	q2 = q1 + 2;
	if ((q3 = word_next_question(p, q2 + 1)) == NULL || q3[1] != '=')
		return FALSE;
	for (const char *c = cs; c < q1; c++)
		if (*c == ' ' || *c == '\t' || *c == '\n')
			return FALSE;
	*charset = g_strndup(cs, q1 - cs);
	{
		char *star = strchr(*charset, '*');	/* RFC 2231 language */

		if (star)
			*star = '\0';
	}
	if (g_ascii_toupper(q1[1]) == 'B') {
		gint state = 0;
		guint save = 0;
		size_t n = q3 - (q2 + 1);
		guchar *buf = g_malloc(n + 3);
		gsize got = g_base64_decode_step(q2 + 1, n, buf, &state, &save);

		g_byte_array_append(out, buf, got);
		g_free(buf);
	} else if (g_ascii_toupper(q1[1]) == 'Q') {
		for (const char *c = q2 + 1; c < q3; c++) {
			guint8 b = (guint8) *c;

			if (*c == '_')
				b = ' ';
			else if (*c == '=' && c + 2 < q3 + 1 && g_ascii_isxdigit(c[1])
				 && g_ascii_isxdigit(c[2])) {
				b = (g_ascii_xdigit_value(c[1]) << 4) | g_ascii_xdigit_value(c[2]);
				c += 2;
			}
			g_byte_array_append(out, &b, 1);
		}
	} else {
		g_free(*charset);
		*charset = NULL;
		return FALSE;
	}
	*end = q3 + 2;
	return TRUE;
}

/*
 * Encoded words decoded but not yet converted: adjacent words of one
 * charset are joined before conversion, since a JIS escape or a UTF-8
 * sequence may be split between them.
 */
typedef struct word_run {
	GByteArray *bytes;
	char *charset;		/* NULL: no word pending */
} word_run;

/* Convert the pending words to UTF-8 onto out; none pending after. */
static void
run_flush(word_run *run, GString *out)
{
	if (run->bytes->len) {
		char *t = poc_mime_text_to_utf8(run->charset, (const char *)run->bytes->data,
						run->bytes->len);

		g_string_append(out, t);
		g_free(t);
		g_byte_array_set_size(run->bytes, 0);
	}
	g_free(run->charset);
	run->charset = NULL;
}

/* Decode the encoded word at p into run: where it ends, or NULL when p starts none. */
static const char *
run_take_word(word_run *run, GString *out, const char *p)
{
	const char *end;
	char *cs = NULL;
	GByteArray *word = g_byte_array_new();

	if (!decode_word(p, &end, &cs, word)) {
		g_free(cs);
		g_byte_array_unref(word);
		return NULL;
	}
	if (run->charset && g_ascii_strcasecmp(run->charset, cs) != 0)
		run_flush(run, out);
	if (run->charset == NULL)
		run->charset = g_strdup(cs);
	g_byte_array_append(run->bytes, word->data, word->len);
	g_free(cs);
	g_byte_array_unref(word);
	return end;
}

/*
 * Whitespace between two encoded words is dropped (RFC 2047 6.2): when
 * blanks at p are followed by an encoded word (and words is below the
 * limit), where that word starts; otherwise NULL.
 */
static const char *
blanks_before_word(const char *p, int words)
{
	const char *q = p, *e2;
	char *cs2 = NULL;
	GByteArray *probe;
	gboolean is_word;

	if (*p != ' ' && *p != '\t')
		return NULL;
	while (*q == ' ' || *q == '\t')
		q++;
	if (q[0] != '=' || q[1] != '?' || words >= POC_MAX_ENCODED_WORDS)
		return NULL;
	probe = g_byte_array_new();
	is_word = decode_word(q, &e2, &cs2, probe);
	g_free(cs2);
	g_byte_array_unref(probe);
	return is_word ? q : NULL;
}

/* A run of plain text from p up to the next possible encoded word, onto out: where it ends. */
static const char *
append_plain(const char *p, GString *out)
{
	const char *q = p + 1;
	char *t;

	while (*q && !(q[0] == '=' && q[1] == '?'))
		q++;
	t = bytes_to_utf8_guess(NULL, p, q - p);
	g_string_append(out, t);
	g_free(t);
	return q;
}

char *
poc_mime_decode_header(const char *raw)
{
	GString *unfolded, *out;
	word_run run = { NULL, NULL };
	const char *p, *next, *gap = NULL;
	int words = 0;		/* decoded; the rest is text (POC_MAX_ENCODED_WORDS) */

	if (raw == NULL)
		return NULL;
	unfolded = g_string_new(NULL);
	for (p = raw; *p; p++)
		if (*p != '\r' && *p != '\n')
			g_string_append_c(unfolded, *p);
	out = g_string_new(NULL);
	run.bytes = g_byte_array_new();
	p = unfolded->str;
	while (*p) {
		if (words < POC_MAX_ENCODED_WORDS && (next = run_take_word(&run, out, p)) != NULL) {
			words++;
			gap = p = next;
			continue;
		}
		if (gap && (next = blanks_before_word(p, words)) != NULL) {
			p = next;
			continue;
		}
		run_flush(&run, out);
		gap = NULL;
		p = append_plain(p, out);
	}
	run_flush(&run, out);
	g_byte_array_unref(run.bytes);
	g_string_free(unfolded, TRUE);
	/* Tabs from folding become spaces; trim. */
	for (char *c = out->str; *c; c++)
		if (*c == '\t')
			*c = ' ';
	return g_strstrip(g_string_free(out, FALSE));
}

static char *
header_decoded(GMimeObject *obj, const char *name)
{
	GMimeHeaderList *list = g_mime_object_get_header_list(obj);
	GMimeHeader *h = list ? g_mime_header_list_get_header(list, name) : NULL;
	const char *raw = h ? g_mime_header_get_raw_value(h) : NULL;

	return raw ? poc_mime_decode_header(raw) : NULL;
}

/* "Subject: ..." in a block of header lines (a legacy-display part). */
static void
subject_from_header_text(poc_mime_walk *w, const char *text)
{
	char **lines = g_strsplit(text, "\n", -1);

	for (char **l = lines; *l; l++)
		if (g_ascii_strncasecmp(*l, "Subject:", 8) == 0) {
			set_protected_subject(w, poc_mime_decode_header(*l + 8));
			break;
		}
	for (char **l = lines; *l; l++)
		explicit_bzero(*l, strlen(*l));
	g_strfreev(lines);
}

/* --- text transforms --------------------------------------------------- */

char *
poc_mime_unflow(const char *text, gboolean delsp)
{
	GString *out = g_string_new(NULL);
	char **lines = g_strsplit(text, "\n", -1);
	gboolean joining = FALSE;

	for (char **l = lines; *l; l++) {
		char *line = *l;
		size_t n = strlen(line);

		if (n && line[n - 1] == '\r')
			line[--n] = '\0';
		/* Space-stuffed lines lose their first space (RFC 3676 4.4). */
		if (line[0] == ' ' && !joining) {
			line++;
			n--;
		}
		if (n && line[n - 1] == ' ' && strcmp(line, "-- ") != 0) {
			/* A soft break: the paragraph goes on. */
			g_string_append_len(out, line, delsp ? n - 1 : n);
			joining = TRUE;
			continue;
		}
		g_string_append(out, line);
		if (l[1])
			g_string_append_c(out, '\n');
		joining = FALSE;
	}
	g_strfreev(lines);
	return g_string_free(out, FALSE);
}

static const struct {
	const char *name;
	const char *utf8;
} entities[] = {
	{ "amp", "&" }, { "lt", "<" }, { "gt", ">" }, { "quot", "\"" }, { "apos", "'" },
	{ "nbsp", " " }, { "copy", "\xc2\xa9" }, { "reg", "\xc2\xae" }, { "yen", "\xc2\xa5" },
	{ "ndash", "\xe2\x80\x93" }, { "mdash", "\xe2\x80\x94" }, { "hellip", "\xe2\x80\xa6" },
};

/* Bytes from '&' to ';' of the longest entity read. */
#define HTML_ENTITY_MAX 10

static gboolean
tag_is(const char *tag, size_t n, const char *name)
{
	size_t k = strlen(name);

	return n >= k && g_ascii_strncasecmp(tag, name, k) == 0
		&& (n == k || !g_ascii_isalnum(tag[k]));
}

/*
 * The tag or comment at p ('<'): a line break or a space for the tags
 * that make one, nothing for the others, script and style skipped with
 * their content. Where the text goes on, or NULL when the tag has no
 * '>' (the rest is dropped).
 */
static const char *
html_tag(const char *p, GString *out)
{
	const char *end = strchr(p, '>');
	const char *name = p + 1;
	gboolean closing = FALSE;
	size_t n;

	if (end == NULL)
		return NULL;
	if (strncmp(p, "<!--", 4) == 0) {
		const char *c = strstr(p + 4, "-->");

		return c ? c + 3 : p + strlen(p);
	}
	if (*name == '/') {
		closing = TRUE;
		name++;
	}
	n = end - name;
	if (!closing && (tag_is(name, n, "script") || tag_is(name, n, "style"))) {
		const char *c = tag_is(name, n, "script") ? "</script" : "</style";

		for (const char *s = end; *s; s++)
			if (g_ascii_strncasecmp(s, c, strlen(c)) == 0)
				return s;
		return p + strlen(p);
	}
	if (tag_is(name, n, "br") || tag_is(name, n, "p") || tag_is(name, n, "div")
	    || tag_is(name, n, "tr") || tag_is(name, n, "li") || tag_is(name, n, "h1")
	    || tag_is(name, n, "h2") || tag_is(name, n, "h3") || tag_is(name, n, "table")
	    || tag_is(name, n, "blockquote") || tag_is(name, n, "pre"))
		g_string_append_c(out, '\n');
	else if (tag_is(name, n, "td") || tag_is(name, n, "th"))
		g_string_append_c(out, ' ');
	return end + 1;
}

/* The character reference at p ('&') onto out, or the '&' when none is known: where the text goes on. */
static const char *
html_entity(const char *p, GString *out)
{
	const char *semi = NULL;

	/* Look no further than the longest entity, "&#x10FFFF;": linear. */
	for (int i = 1; i <= HTML_ENTITY_MAX && p[i]; i++)
		if (p[i] == ';') {
			semi = p + i;
			break;
		}
	if (semi && p[1] == '#') {
		gunichar c = (p[2] == 'x' || p[2] == 'X')
			? (gunichar) g_ascii_strtoull(p + 3, NULL, 16)
			: (gunichar) g_ascii_strtoull(p + 2, NULL, 10);
		char buf[8];

		if (c == 0 || !g_unichar_validate(c))
			c = 0xFFFD;
		g_string_append_len(out, buf, g_unichar_to_utf8(c, buf));
		return semi + 1;
	}
	for (size_t i = 0; semi && i < G_N_ELEMENTS(entities); i++)
		if ((size_t) (semi - p - 1) == strlen(entities[i].name)
		    && strncmp(p + 1, entities[i].name, semi - p - 1) == 0) {
			g_string_append(out, entities[i].utf8);
			return semi + 1;
		}
	g_string_append_c(out, *p);
	return p + 1;
}

char *
poc_mime_html_to_text(const char *html)
{
	GString *out = g_string_new(NULL);
	const char *p = html;

	while (p && *p) {
		if (*p == '<')
			p = html_tag(p, out);
		else if (*p == '&')
			p = html_entity(p, out);
		else if (*p == '\r')
			p++;
		else
			g_string_append_c(out, *p++);
	}
	return g_string_free(out, FALSE);
}

/* <meta charset="..."> or content="...; charset=..." in the first 2 KiB. */
static char *
html_meta_charset(const char *data, size_t len)
{
	char *head = g_ascii_strdown(data, MIN(len, 2048));
	char *p = strstr(head, "charset="), *cs = NULL;

	if (p) {
		p += 8;
		while (*p == '"' || *p == '\'' || *p == ' ')
			p++;
		size_t n = strcspn(p, "\"' ;/>");

		if (n > 0 && n < 40)
			cs = g_strndup(p, n);
	}
	g_free(head);
	return cs;
}

/* --- OpenPGP ----------------------------------------------------------- */

/* Parse decrypted bytes as a MIME entity, read its protected Subject, walk it. */
static void
walk_plaintext_entity(poc_mime_walk *w, GByteArray *plain, int depth, int level)
{
	GMimeStream *stream = g_mime_stream_mem_new_with_byte_array(plain);
	GMimeParser *parser;
	GMimeObject *entity;

	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream), FALSE);
	parser = g_mime_parser_new_with_stream(stream);
	entity = g_mime_parser_construct_part(parser, NULL);
	if (entity == NULL) {
		problem(w, "decrypted content is not a MIME entity");
	} else {
		char *subject = header_decoded(entity, "Subject");

		if (level == 0)
			set_protected_subject(w, subject);
		else
			g_free(subject);
		walk_object(w, entity, depth + 1, level);
		g_object_unref(entity);
	}
	g_object_unref(parser);
	g_object_unref(stream);
}

/* Does the decrypted text start like a MIME entity (a header line)? */
static gboolean
looks_like_mime(const guint8 *data, size_t len)
{
	char *head = g_ascii_strdown((const char *) data, MIN(len, 512));
	gboolean yes = g_str_has_prefix(head, "content-type:")
		|| strstr(head, "\ncontent-type:") != NULL;

	yes = yes && (g_str_has_prefix(head, "content-") || g_str_has_prefix(head, "subject:")
		      || g_str_has_prefix(head, "mime-version:") || g_str_has_prefix(head, "from:")
		      || g_str_has_prefix(head, "date:") || g_str_has_prefix(head, "message-id:")
		      || g_str_has_prefix(head, "to:"));
	g_free(head);
	return yes;
}

/*
 * Decrypt (and verify) an OpenPGP message; walk the plaintext as MIME when
 * it is MIME (PGP/MIME, Exchange), else append it as text in charset.
 */
static void
decrypt_and_walk(poc_mime_walk *w, const void *data, size_t len, const char *charset,
		 gboolean expect_mime, int depth, int level)
{
	poc_crypto_outcome o;
	GBytes *plain = NULL;
	GError *error = NULL;
	GByteArray *copy;
	gsize n;
	const guint8 *p;
	gboolean saved_in_sig;

	w->encrypted = TRUE;
	if (w->crypto == NULL) {
		memset(&o, 0, sizeof o);
		o.decryption = POC_DECRYPTION_FAILED;
		note_outcome(w, &o, TRUE, level);
		problem(w, "encrypted part not decrypted: no crypto context");
		return;
	}
	if (!openpgp_budget(w)) {
		w->decrypt_failed = TRUE;
		w->outcome.decryption = POC_DECRYPTION_FAILED;
		return;
	}
	if (poc_crypto_decrypt_verify(w->crypto, data, len, w->trusted, &plain, &o, &error)
	    != POC_OK) {
		note_outcome(w, &o, TRUE, level);
		problem(w, "encrypted part: %s", error ? error->message : "decryption failed");
		g_clear_error(&error);
		return;
	}
	saved_in_sig = w->in_sig;
	if (note_outcome(w, &o, o.decryption != POC_DECRYPTION_NONE, level))
		w->in_sig = TRUE;	/* the plaintext is the signed data */
	p = g_bytes_get_data(plain, &n);
	if (!account(w, n)) {
		g_bytes_unref(plain);
		w->in_sig = saved_in_sig;
		return;
	}
	copy = g_byte_array_sized_new(n + 1);
	g_byte_array_append(copy, p, n);
	g_bytes_unref(plain);	/* wiped by crypto.c */
	if ((expect_mime || looks_like_mime(copy->data, copy->len)) && depth + 1 <= w->max_depth) {
		walk_plaintext_entity(w, copy, depth, level);
	} else if (memchr(copy->data, '\0', MIN(copy->len, 4096)) == NULL) {
		char *text = poc_mime_text_to_utf8(charset, (const char *) copy->data, copy->len);

		append_wiped(w, text);
	} else {
		problem(w, "decrypted content is binary: not read");
	}
	bytes_free(copy);
	w->in_sig = saved_in_sig;
}

/* TRUE when this block's signature became the message's. */
static gboolean
verify_inline_and_append(poc_mime_walk *w, const char *data, size_t len, const char *charset,
			 int level)
{
	poc_crypto_outcome o;
	GBytes *plain = NULL;
	GError *error = NULL;
	gboolean taken;

	if (w->crypto == NULL) {
		problem(w, "signed text not verified: no crypto context");
		return FALSE;
	}
	if (!openpgp_budget(w))
		return FALSE;
	if (poc_crypto_verify_inline(w->crypto, data, len, w->trusted, &plain, &o, &error)
	    != POC_OK) {
		taken = note_outcome(w, &o, FALSE, level);
		problem(w, "signed text: %s", error ? error->message : "verification failed");
		g_clear_error(&error);
	} else {
		taken = note_outcome(w, &o, FALSE, level);
	}
	if (plain)
		g_bytes_unref(plain);	/* the text itself is appended from the part */
	(void) charset;
	return taken;
}

/*
 * Does the armour from its BEGIN line (the signature's, for a clear-signed
 * block) to after hold a data line, neither blank nor "Header: value"?
 * An empty block is not worth a gpg process.
 */
static gboolean
armour_has_data(const char *start, const char *after, gboolean is_sig)
{
	const char *p = is_sig ? memstr(start, after - start, "-----BEGIN PGP SIGNATURE-----")
			       : start;
	const char *nl;

	if (p == NULL || (nl = memchr(p, '\n', after - p)) == NULL)
		return FALSE;
	for (p = nl + 1; p < after && !(after - p >= 5 && memcmp(p, "-----", 5) == 0); p = nl + 1) {
		const char *eol = (nl = memchr(p, '\n', after - p)) ? nl : after;
		gboolean blank = TRUE, header = FALSE;

		for (const char *c = p; c < eol; c++) {
			if (*c == ':')
				header = TRUE;
			if (!g_ascii_isspace(*c))
				blank = FALSE;
		}
		if (!blank && !header)
			return TRUE;
		if (nl == NULL)
			break;
	}
	return FALSE;
}

/*
 * Text of an inline-OpenPGP part outside any armour block, appended as
 * the part's; side ("before", "after" or NULL) names where it is
 * relative to a clear-signed block, for outside.
 */
static void
append_outside_armour(poc_mime_walk *w, const char *p, size_t n, const char *charset,
		      gboolean flowed, gboolean delsp, const char *side, const char *part_where)
{
	char *t = poc_mime_text_to_utf8(charset, p, n);
	char *u = flowed ? poc_mime_unflow(t, delsp) : NULL;

	if (side)
		set_where(w, "text %s the clear-signed block (%s)", side, part_where);
	append_text(w, u ? u : t);
	memcpy(w->where, part_where, sizeof w->where);
	g_free(u);
	g_free(t);
}

/*
 * The signed text of a clear-signed block from start to after: after
 * the armour headers, up to the signature, dash-escaped lines ("- -----")
 * without their escape.
 */
static void
append_clear_signed(poc_mime_walk *w, const char *start, const char *after, const char *charset)
{
	const char *body = memstr(start, after - start, "\n\n"), *sigstart, *tend;
	char *t, **lines;
	GString *undashed;

	if (body == NULL)
		body = memstr(start, after - start, "\r\n\r\n");
	sigstart = memstr(start, after - start, "-----BEGIN PGP SIGNATURE-----");
	if (!body || (sigstart && body >= sigstart))
		return;
	tend = sigstart ? sigstart : after;
	t = poc_mime_text_to_utf8(charset, body, tend - body);
	undashed = g_string_new(NULL);
	lines = g_strsplit(t, "\n", -1);
	for (char **l = lines; *l; l++) {
		g_string_append(undashed, g_str_has_prefix(*l, "- ") ? *l + 2 : *l);
		if (l[1])
			g_string_append_c(undashed, '\n');
	}
	g_strfreev(lines);
	append_text(w, undashed->str);
	explicit_bzero(undashed->str, undashed->len);
	g_string_free(undashed, TRUE);
	g_free(t);
}

/*
 * A text part that may carry inline OpenPGP: text outside the armour is
 * kept as it is; an armoured message is decrypted, a clear-signed block
 * verified (its text is the part's, minus the armour lines). Linear in
 * the part: each armour line is searched for once from where the last
 * one was found; an empty block is not given to gpg, and no more than
 * POC_MAX_OPENPGP_BLOCKS per message are (openpgp_budget()).
 */
static void
walk_inline_text(poc_mime_walk *w, const char *data, size_t len, const char *charset,
		 gboolean flowed, gboolean delsp, int depth, int level)
{
	const char *p = data, *end = data + len;
	/* The next BEGIN line of each kind at or after p, or NULL: none left. */
	const char *msg = memstr(data, len, ARMOR_MESSAGE), *sig = memstr(data, len, ARMOR_SIGNED);
	char part_where[sizeof w->where];
	gboolean after_signed = FALSE;

	memcpy(part_where, w->where, sizeof part_where);
	while (p < end) {
		const char *start, *stop, *after;
		gboolean is_sig, run_gpg;

		if (msg && msg < p)
			msg = memstr(p, end - p, ARMOR_MESSAGE);
		if (sig && sig < p)
			sig = memstr(p, end - p, ARMOR_SIGNED);
		if (msg == NULL && sig == NULL)
			break;
		is_sig = sig && (msg == NULL || sig < msg);
		start = is_sig ? sig : msg;
		/* The text before the armour. */
		if (start > p)
			append_outside_armour(w, p, start - p, charset, flowed, delsp,
					      is_sig ? "before" : after_signed ? "after" : NULL,
					      part_where);
		stop = memstr(start, end - start, is_sig ? ARMOR_SIG_END : ARMOR_MESSAGE_END);
		if (stop == NULL) {
			problem(w, "inline OpenPGP block without its end line");
			after = end;
		} else {
			after = stop + strlen(is_sig ? ARMOR_SIG_END : ARMOR_MESSAGE_END);
		}
		run_gpg = stop && armour_has_data(start, after, is_sig);
		if (stop && !run_gpg)
			problem(w, "empty inline OpenPGP block: not read");
		if (is_sig) {
			gboolean saved_in_sig = w->in_sig;

			if (run_gpg && verify_inline_and_append(w, start, after - start, charset, level))
				w->in_sig = TRUE;
			after_signed = TRUE;
			append_clear_signed(w, start, after, charset);
			w->in_sig = saved_in_sig;
		} else if (run_gpg) {
			decrypt_and_walk(w, start, after - start, charset, FALSE, depth, level);
		} else {
			w->encrypted = TRUE;
			w->decrypt_failed = TRUE;
			w->outcome.decryption = POC_DECRYPTION_FAILED;
		}
		p = after;
	}
	if (p < end)
		append_outside_armour(w, p, end - p, charset, flowed, delsp,
				      after_signed ? "after" : NULL, part_where);
}

/* A binary OpenPGP message starts with a PKESK, SKESK, compressed or signed packet. */
static gboolean
looks_like_openpgp(const guint8 *data, size_t len, const char *filename)
{
	const char *s = (const char *) data;
	size_t skip = 0;

	while (skip < len && skip < 64 && g_ascii_isspace(s[skip]))
		skip++;
	if (len - skip >= strlen(ARMOR_MESSAGE)
	    && memcmp(s + skip, ARMOR_MESSAGE, strlen(ARMOR_MESSAGE)) == 0)
		return TRUE;
	if (filename && len > 0 && (data[0] & 0x80)
	    && (g_str_has_suffix(filename, ".pgp") || g_str_has_suffix(filename, ".gpg"))) {
		int tag = (data[0] & 0x40) ? (data[0] & 0x3f) : ((data[0] >> 2) & 0x0f);

		return tag == 1 || tag == 3 || tag == 8 || tag == 4 || tag == 2;
	}
	return FALSE;
}

/* --- walking ------------------------------------------------------------ */

static gboolean
type_is(GMimeObject *obj, const char *type, const char *subtype)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);

	return ct && g_mime_content_type_is_type(ct, type, subtype);
}

static const char *
param(GMimeObject *obj, const char *name)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);

	return ct ? g_mime_content_type_get_parameter(ct, name) : NULL;
}

static void
walk_encrypted(poc_mime_walk *w, GMimeMultipart *mp, int depth, int level)
{
	GMimeObject *control = g_mime_multipart_get_count(mp) >= 1
		? g_mime_multipart_get_part(mp, 0) : NULL;
	GMimeObject *enc = g_mime_multipart_get_count(mp) >= 2
		? g_mime_multipart_get_part(mp, 1) : NULL;
	GByteArray *bytes;

	w->encrypted = TRUE;
	if (control && !type_is(control, "application", "pgp-encrypted"))
		problem(w, "multipart/encrypted without an application/pgp-encrypted part");
	if (enc == NULL || !GMIME_IS_PART(enc)) {
		problem(w, "multipart/encrypted without its encrypted part");
		w->decrypt_failed = TRUE;
		w->outcome.decryption = POC_DECRYPTION_FAILED;
		return;
	}
	bytes = part_bytes(GMIME_PART(enc));
	set_where(w, "unsigned encrypted text (part %d)", w->parts);
	if (account(w, bytes->len))
		decrypt_and_walk(w, bytes->data, bytes->len, NULL, TRUE, depth, level);
	bytes_free(bytes);
}

/* The first part exactly as signed: as on the wire, lines ending in CRLF. */
static GByteArray *
signed_bytes(GMimeObject *content)
{
	GMimeStream *mem = g_mime_stream_mem_new();
	GMimeStream *filtered = g_mime_stream_filter_new(mem);
	GMimeFilter *crlf = g_mime_filter_unix2dos_new(FALSE);
	GByteArray *a;

	g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered), crlf);
	g_object_unref(crlf);
	g_mime_object_write_to_stream(content, NULL, filtered);
	g_mime_stream_flush(filtered);
	g_object_unref(filtered);
	a = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
	g_object_unref(mem);
	return bytes_nonnull(a);
}

static void
walk_signed(poc_mime_walk *w, GMimeMultipart *mp, int depth, int level)
{
	GMimeObject *content = g_mime_multipart_get_count(mp) >= 1
		? g_mime_multipart_get_part(mp, 0) : NULL;
	GMimeObject *sigpart = g_mime_multipart_get_count(mp) >= 2
		? g_mime_multipart_get_part(mp, 1) : NULL;

	gboolean saved_in_sig = w->in_sig;

	if (content == NULL)
		return;
	if (sigpart == NULL || !GMIME_IS_PART(sigpart)) {
		problem(w, "multipart/signed without its signature part");
		poc_crypto_outcome o = { .signature = POC_SIGNATURE_BAD };

		if (note_outcome(w, &o, FALSE, level))
			w->in_sig = TRUE;
	} else if (w->crypto == NULL) {
		problem(w, "signature not verified: no crypto context");
	} else if (!openpgp_budget(w)) {
		/* Not verified: over POC_MAX_OPENPGP_BLOCKS (a problem says so). */
	} else {
		GByteArray *text = signed_bytes(content), *sig = part_bytes(GMIME_PART(sigpart));
		poc_crypto_outcome o;
		GError *error = NULL;

		if (poc_crypto_verify_detached(w->crypto, text->data, text->len, sig->data, sig->len,
					       w->trusted, &o, &error) != POC_OK) {
			problem(w, "signature: %s", error ? error->message : "verification failed");
			g_clear_error(&error);
		}
		if (note_outcome(w, &o, FALSE, level))
			w->in_sig = TRUE;
		bytes_free(text);
		bytes_free(sig);
	}
	walk_object(w, content, depth + 1, level);
	w->in_sig = saved_in_sig;
}

static int
alternative_rank(GMimeObject *obj)
{
	if (type_is(obj, "text", "plain"))
		return 3;
	if (GMIME_IS_MULTIPART(obj))
		return 2;	/* multipart/related holding HTML, or encrypted */
	if (type_is(obj, "text", "html"))
		return 1;
	return 0;
}

static void
walk_multipart(poc_mime_walk *w, GMimeMultipart *mp, int depth, int level)
{
	int n = g_mime_multipart_get_count(mp);

	if (type_is(GMIME_OBJECT(mp), "multipart", "alternative") && n > 0) {
		GMimeObject *best = NULL;
		int best_rank = -1;

		for (int i = 0; i < n; i++) {
			GMimeObject *child = g_mime_multipart_get_part(mp, i);
			int r = alternative_rank(child);

			if (r > best_rank) {
				best = child;
				best_rank = r;
			}
		}
		walk_object(w, best, depth + 1, level);
		return;
	}
	if (n == 0 && !type_is(GMIME_OBJECT(mp), "multipart", "report"))
		problem(w, "multipart without parts (missing or wrong boundary?)");
	for (int i = 0; i < n && !w->stopped; i++)
		walk_object(w, g_mime_multipart_get_part(mp, i), depth + 1, level);
}

static void
walk_forwarded(poc_mime_walk *w, GMimeMessagePart *mpart, int depth, int level)
{
	GMimeMessage *inner = g_mime_message_part_get_message(mpart);
	GMimeObject *body;
	char *subject;

	if (inner == NULL)
		return;
	subject = header_decoded(GMIME_OBJECT(inner), "Subject");
	if (subject) {
		char *line = g_strconcat("Subject: ", subject, NULL);

		set_where(w, "the Subject of forwarded part %d", w->parts);
		append_text(w, line);
		g_free(line);
		g_free(subject);
	}
	if ((body = g_mime_message_get_mime_part(inner)) != NULL)
		walk_object(w, body, depth + 1, level + 1);
}

static void
walk_leaf(poc_mime_walk *w, GMimePart *part, int depth, int level)
{
	GMimeObject *obj = GMIME_OBJECT(part);
	const char *filename = g_mime_part_get_filename(part);
	const char *charset = param(obj, "charset");
	GByteArray *bytes;
	gboolean is_attachment;

	if (type_is(obj, "application", "pgp-signature") || type_is(obj, "application", "pgp-keys"))
		return;
	is_attachment = g_mime_part_is_attachment(part);
	{
		/* The type names the part in problems: token characters only. */
		GMimeContentType *ct = g_mime_object_get_content_type(obj);
		const char *mt = ct ? g_mime_content_type_get_media_type(ct) : NULL;
		const char *st = ct ? g_mime_content_type_get_media_subtype(ct) : NULL;
		char *t = g_strndup(mt ? mt : "text", 30), *u = g_strndup(st ? st : "plain", 30);

		g_strcanon(t, G_CSET_a_2_z G_CSET_A_2_Z G_CSET_DIGITS "+-.", '?');
		g_strcanon(u, G_CSET_a_2_z G_CSET_A_2_Z G_CSET_DIGITS "+-.", '?');
		set_where(w, "unsigned part %d (%s/%s)", w->parts, t, u);
		g_free(t);
		g_free(u);
	}
	bytes = part_bytes(part);
	if (!account(w, bytes->len)) {
		bytes_free(bytes);
		return;
	}
	if (type_is(obj, "text", "rfc822-headers")
	    || (type_is(obj, "text", "plain") && param(obj, "hp-legacy-display"))) {
		/* Protected headers shown for legacy clients: identifiers only. */
		char *t = poc_mime_text_to_utf8(charset, (const char *) bytes->data, bytes->len);

		if (level == 0)
			subject_from_header_text(w, t);
		explicit_bzero(t, strlen(t));
		g_free(t);
	} else if (type_is(obj, "application", "pgp-encrypted")
		   && !looks_like_openpgp(bytes->data, bytes->len, filename)) {
		/* The "Version: 1" control part (Exchange keeps it in multipart/mixed). */
	} else if (type_is(obj, "text", "plain")) {
		const char *format = param(obj, "format"), *delsp = param(obj, "delsp");
		gboolean flowed = format && g_ascii_strcasecmp(format, "flowed") == 0;

		walk_inline_text(w, (const char *) bytes->data, bytes->len, charset, flowed,
				 delsp && g_ascii_strcasecmp(delsp, "yes") == 0, depth, level);
	} else if (type_is(obj, "text", "html")) {
		char *cs = charset ? NULL : html_meta_charset((const char *) bytes->data, bytes->len);
		char *html = poc_mime_text_to_utf8(charset ? charset : cs,
						   (const char *) bytes->data, bytes->len);
		char *text = poc_mime_html_to_text(html);

		append_wiped(w, text);
		explicit_bzero(html, strlen(html));
		g_free(html);
		g_free(cs);
	} else if (looks_like_openpgp(bytes->data, bytes->len, filename)) {
		/* The Exchange octet-stream, an .asc/.pgp/.gpg file. */
		gboolean mime = !is_attachment || type_is(obj, "application", "octet-stream");

		decrypt_and_walk(w, bytes->data, bytes->len, NULL, FALSE, depth, level);
		(void) mime;
	} else if (filename && g_str_has_suffix(filename, ".asc")
		   && memstr((const char *) bytes->data, bytes->len, ARMOR_SIGNED)) {
		walk_inline_text(w, (const char *) bytes->data, bytes->len, charset, FALSE, FALSE,
				 depth, level);
	} else if (type_is(obj, "text", "*") && !type_is(obj, "text", "calendar")
		   && !type_is(obj, "text", "x-vcard") && !type_is(obj, "text", "vcard")) {
		char *t = poc_mime_text_to_utf8(charset, (const char *) bytes->data, bytes->len);

		append_wiped(w, t);
	}
	bytes_free(bytes);
}

static void
walk_object(poc_mime_walk *w, GMimeObject *obj, int depth, int level)
{
	if (obj == NULL || w->stopped)
		return;
	if (++w->parts > w->max_parts) {
		problem(w, "over the part limit (%d): the rest is not read", w->max_parts);
		w->stopped = TRUE;
		return;
	}
	if (depth > w->max_depth) {
		problem(w, "over the nesting limit (%d): deeper parts not read", w->max_depth);
		return;
	}
	if (GMIME_IS_MULTIPART_ENCRYPTED(obj))
		walk_encrypted(w, GMIME_MULTIPART(obj), depth, level);
	else if (GMIME_IS_MULTIPART_SIGNED(obj))
		walk_signed(w, GMIME_MULTIPART(obj), depth, level);
	else if (GMIME_IS_MULTIPART(obj))
		walk_multipart(w, GMIME_MULTIPART(obj), depth, level);
	else if (GMIME_IS_MESSAGE_PART(obj))
		walk_forwarded(w, GMIME_MESSAGE_PART(obj), depth, level);
	else if (GMIME_IS_PART(obj))
		walk_leaf(w, GMIME_PART(obj), depth, level);
}

void
poc_mime_walk_message(poc_mime_walk *w, GMimeMessage *message)
{
	GMimeObject *body = g_mime_message_get_mime_part(message);

	if (body == NULL) {
		problem(w, "message without a body");
		return;
	}
	walk_object(w, body, 0, 0);
	w->outcome.decryption = w->decrypt_failed ? POC_DECRYPTION_FAILED
		: w->decrypt_ok ? POC_DECRYPTION_OK : POC_DECRYPTION_NONE;
}
