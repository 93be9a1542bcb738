/*
 * NAME
 *	mime.h - walking a GMime message for its text and its OpenPGP parts
 * DESCRIPTION
 *	poc_mime_walk_message() visits every part of a parsed message once,
 *	decrypts and verifies what is OpenPGP (PGP/MIME encrypted or signed,
 *	inline armour, the Exchange-mangled form, .asc/.pgp/.gpg attachments),
 *	recurses into decrypted MIME entities and forwarded message/rfc822
 *	parts, and gathers the readable text as UTF-8 (every Japanese charset
 *	through jis.h, format=flowed joined, HTML reduced to text).
 *
 *	The walk stops at the limits (decoded bytes, depth, parts) and says
 *	so in problems; what was read so far is kept. At most
 *	POC_MAX_OPENPGP_BLOCKS blocks and parts go to gpg, never an empty
 *	armour block. Malformed MIME is read as far as it goes, never fatal.
 *
 *	Crypto outcome of the walk (doc/NOTICES.md):
 *	- encrypted: some part was OpenPGP-encrypted;
 *	- outcome.decryption: failed if any encrypted part could not be
 *	  decrypted, else ok if one was, else none;
 *	- outcome's signature, signer, sig_created, signed_digest: those of
 *	  the first signature met in walk order (outer layers before inner
 *	  ones, then document order), outside forwarded messages; a
 *	  forwarded message's signature is only noted in problems.
 *
 *	Coverage (doc/NOTICES.md, "What the signature covers"): text read
 *	inside what the message's signature signed (the first part of a
 *	multipart/signed, the plaintext of a signed OpenPGP message, the
 *	text of a clear-signed block) also goes to covered; any other text
 *	with more than white space is outside the signature and outside
 *	names where it was ("unsigned part 2 (text/plain)", "text before
 *	the clear-signed block"). Text under another signature is outside
 *	too. protected_subject_covered says whether the protected Subject
 *	came from inside the signed data.
 * SECURITY
 *	body, covered and protected_subject hold decrypted text:
 *	poc_mime_walk_clear() wipes them. Problems never quote the text.
 */
#ifndef POC_MIME_H
#define POC_MIME_H

#include <gmime/gmime.h>

#include "crypto.h"

G_BEGIN_DECLS

typedef struct poc_mime_walk {
	/* set by the caller */
	poc_crypto *crypto;			/* NULL: nothing is decrypted or verified */
	const char *const *trusted;		/* trusted signing fingerprints */
	gsize max_size;				/* decoded bytes, decrypted included */
	int max_depth;
	int max_parts;

	/* results */
	GString *body;				/* UTF-8 text of the readable parts, in order */
	char *protected_subject;		/* RFC 9788 / memory-hole Subject, or NULL */
	GString *covered;			/* the part of body the message's signature signed */
	gboolean protected_subject_covered;	/* protected_subject is from inside it */
	GPtrArray *outside;			/* char *: where text outside it was (at most 8) */
	gboolean encrypted;
	/*
	 * decryption: of all encrypted parts together; the rest: the
	 * message's signature (the first at the top level), or none.
	 */
	poc_crypto_outcome outcome;
	GPtrArray *problems;			/* char *, one line each */

	/* bookkeeping */
	gsize bytes;
	int parts;
	int openpgp_blocks;			/* given to gpg (POC_MAX_OPENPGP_BLOCKS) */
	gboolean stopped;			/* a limit was reached */
	gboolean decrypt_ok, decrypt_failed, have_signature;
	gboolean in_sig;			/* walking what the message's signature signed */
	char where[96];				/* what text appended now is, for outside */
} poc_mime_walk;

/*
 * Keep GMime's table of charset names bounded (charsets.c); call once
 * before threads parse. poc_notice_init() does.
 */
void poc_charsets_init(void);
/* Names passed on to GMime so far, and how many of them iconv did not know. */
void poc_charsets_stats(guint *names, guint *other);
#define POC_CHARSET_OTHER   256
#define POC_CHARSET_UNKNOWN "x-pocmilter-unknown-charset"

/* Zero the results; the caller then sets crypto, trusted and the limits. */
void poc_mime_walk_init(poc_mime_walk *walk);
/* Wipe and free the results (problems too, unless stolen: set to NULL). */
void poc_mime_walk_clear(poc_mime_walk *walk);
void poc_mime_walk_message(poc_mime_walk *walk, GMimeMessage *message);

/*
 * Bounds of the parsers (doc/NOTICES.md, Limits): bytes of one encoded
 * word (RFC 2047 says 75; mailers write longer ones), encoded words
 * decoded per header, OpenPGP blocks and parts decrypted or verified per
 * message (gpg runs once for each).
 */
#define POC_MAX_ENCODED_WORD	512
#define POC_MAX_ENCODED_WORDS	256
#define POC_MAX_OPENPGP_BLOCKS	16

/*
 * A header value (raw, possibly folded, RFC 2047 encoded words in any
 * charset, or raw 8-bit) to UTF-8, unfolded and trimmed. Encoded words
 * are decoded here, not by GMime, so that ISO-2022-JP with the Windows
 * extensions (①, ㈱) goes through poc_charset_to_utf8(). A new string.
 * Linear in raw: a word longer than POC_MAX_ENCODED_WORD, and every word
 * after the first POC_MAX_ENCODED_WORDS, is kept as it is, undecoded.
 */
char *poc_mime_decode_header(const char *raw);

/*
 * HTML to plain text: tags dropped, block ends as newlines, entities
 * decoded (an entity is at most 10 bytes, "&" to ";"). Linear in html.
 */
char *poc_mime_html_to_text(const char *html);

/* RFC 3676 format=flowed to plain lines. */
char *poc_mime_unflow(const char *text, gboolean delsp);

/* Bytes in charset (NULL: guess) to UTF-8 with NULs made spaces. A new string. */
char *poc_mime_text_to_utf8(const char *charset, const char *data, size_t len);

G_END_DECLS

#endif
