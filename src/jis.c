/*
 * NAME
 *	jis.c - Japanese mail charsets to UTF-8, never failing
 * SYNOPSIS
 *	#include "jis.h"
 *
 *	char *poc_jis_to_utf8(const char *in, size_t len);
 *	char *poc_charset_to_utf8(const char *charset, const char *in,
 *				  size_t len);
 * DESCRIPTION
 *	poc_jis_to_utf8() reads ISO-2022-JP and the Microsoft variants
 *	(CP50220/50221/50222, "ISO-2022-JP-MS") that glibc's iconv lacks:
 *
 *	    ESC ( B, ESC ( J   ASCII, JIS X 0201 Roman (read as ASCII)
 *	    ESC ( I, SO .. SI  JIS X 0201 katakana (half-width, U+FF61..)
 *	    ESC $ @, ESC $ B   JIS X 0208 (ESC & @ before it is ignored)
 *	    ESC $ ( D          JIS X 0212, through iconv EUC-JP (0x8F prefix)
 *
 *	Each JIS X 0208 code is turned into its Shift_JIS code by the
 *	standard arithmetic and decoded by iconv's CP932, which knows the
 *	NEC specials of row 13 (①, ㈱, Ⅰ) and the NEC-selected IBM
 *	extensions of rows 89-92. So the few codes where CP932 and JIS
 *	differ decode the Windows way (row 1: 〜 as U+FF5E, ∥ as U+2225,
 *	－ as U+FF0D, ￠￡￢), as Windows mailers meant them.
 *
 *	A line break returns to ASCII (RFC 1468 requires it of the sender;
 *	a sender that forgot would otherwise turn every later line into
 *	kanji). Anything that cannot be decoded (an 8-bit byte, a lone byte
 *	of a pair, an unknown or truncated escape, a code CP932 does not
 *	map) becomes one U+FFFD and decoding goes on.
 *
 *	poc_charset_to_utf8() maps the charset names mail uses:
 *	iso-2022-jp(-2, -ms), cp5022x to poc_jis_to_utf8(); shift_jis,
 *	x-sjis, sjis, cp932, windows-31j, ms932 to CP932 (the superset: ①
 *	decodes); euc-jp, x-euc-jp to EUC-JP-MS (or EUC-JP); utf-8 as is;
 *	us-ascii, a missing or unknown name by looking at the bytes:
 *	ISO-2022-JP if 7-bit with a JIS X 0208 escape, else UTF-8 if valid,
 *	else CP932 if it decodes cleanly, else UTF-8 with replacements. A label of
 *	ISO-2022-JP on 8-bit text without an escape (a common mislabel) is
 *	read by looking at the bytes too. Any other name goes to iconv.
 * DIAGNOSTICS
 *	None: the result is always a new, valid UTF-8 string without
 *	embedded NULs (a NUL byte becomes U+FFFD).
 * SECURITY
 *	Nothing is logged. Input is untrusted: every length is checked.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "jis.h"

#define REPLACEMENT "\xEF\xBF\xBD"	/* U+FFFD */
#define ESC 0x1B
#define SO 0x0E
#define SI 0x0F

typedef enum jis_mode { MODE_ASCII, MODE_KANA, MODE_X0208, MODE_X0212 } jis_mode;

/* Append what iconv makes of in[0..len), or U+FFFD if it cannot. */
static void
decode_one(GIConv cd, const unsigned char *in, size_t len, GString *out)
{
	char buf[16];
	gchar *inp = (gchar *)in, *outp = buf;
	gsize inleft = len, outleft = sizeof(buf);

	if (cd == (GIConv)-1 || g_iconv(cd, &inp, &inleft, &outp, &outleft) == (gsize)-1 ||
	    inleft != 0 || outp == buf) {
		g_iconv(cd, NULL, NULL, NULL, NULL);
		g_string_append(out, REPLACEMENT);
		return;
	}
	g_string_append_len(out, buf, outp - buf);
}

/* JIS X 0208 row/cell bytes (0x21..0x7E each) to Shift_JIS. */
static void
jis_to_sjis(unsigned j1, unsigned j2, unsigned char sjis[2])
{
	sjis[0] = (unsigned char)(((j1 + 1) >> 1) + (j1 <= 0x5E ? 0x70 : 0xB0));
	if (j1 & 1)
		sjis[1] = (unsigned char)(j2 + (j2 >= 0x60 ? 0x20 : 0x1F));
	else
		sjis[1] = (unsigned char)(j2 + 0x7E);
}

/* The length of the escape sequence at p (ESC included) and its mode. */
static size_t
escape_len(const unsigned char *p, size_t left, jis_mode *mode, gboolean *ignore)
{
	static const struct {
		const char *seq;
		jis_mode mode;
		gboolean ignore;
	} escapes[] = {
		{ "\x1b(B", MODE_ASCII, FALSE },  { "\x1b(J", MODE_ASCII, FALSE },
		{ "\x1b(H", MODE_ASCII, FALSE },  { "\x1b(I", MODE_KANA, FALSE },
		{ "\x1b$@", MODE_X0208, FALSE },  { "\x1b$B", MODE_X0208, FALSE },
		{ "\x1b$(B", MODE_X0208, FALSE }, { "\x1b$(@", MODE_X0208, FALSE },
		{ "\x1b$(Q", MODE_X0208, FALSE }, { "\x1b$(O", MODE_X0208, FALSE },
		{ "\x1b$(D", MODE_X0212, FALSE }, { "\x1b&@", MODE_ASCII, TRUE },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(escapes); i++) {
		size_t n = strlen(escapes[i].seq);

		if (n <= left && memcmp(p, escapes[i].seq, n) == 0) {
			*mode = escapes[i].mode;
			*ignore = escapes[i].ignore;
			return n;
		}
	}
	return 0;
}

static GString *
jis_decode(const char *in, size_t len)
{
	const unsigned char *p = (const unsigned char *)(in ? in : "");
	const unsigned char *end = p + (in ? len : 0);
	GString *out = g_string_sized_new((in ? len : 0) * 3 / 2 + 1);
	GIConv cp932 = g_iconv_open("UTF-8", "CP932");
	GIConv eucjp = (GIConv)-1;
	jis_mode mode = MODE_ASCII, before_so = MODE_ASCII;

	while (p < end) {
		unsigned c = *p;

		if (c == ESC) {
			jis_mode next;
			gboolean ignore;
			size_t n = escape_len(p, (size_t)(end - p), &next, &ignore);

			if (n == 0) {
				g_string_append(out, REPLACEMENT);
				p++;
			} else {
				if (!ignore)
					mode = next;
				p += n;
			}
		} else if (c == SO) {
			before_so = mode == MODE_KANA ? before_so : mode;
			mode = MODE_KANA;
			p++;
		} else if (c == SI) {
			mode = before_so;
			p++;
		} else if (c == '\n' || c == '\r') {
			mode = MODE_ASCII;
			g_string_append_c(out, (char)c);
			p++;
		} else if (c >= 0x80 || c == 0) {
			g_string_append(out, REPLACEMENT);
			p++;
		} else if (c < 0x21 || c == 0x7F || mode == MODE_ASCII) {
			g_string_append_c(out, (char)c);
			p++;
		} else if (mode == MODE_KANA) {
			if (c <= 0x5F)
				g_string_append_unichar(out, 0xFF61 + (c - 0x21));
			else
				g_string_append(out, REPLACEMENT);
			p++;
		} else if (p + 1 >= end || p[1] < 0x21 || p[1] > 0x7E) {
			/* a lone byte of a pair: replace it, read what follows afresh */
			g_string_append(out, REPLACEMENT);
			p++;
		} else if (mode == MODE_X0208) {
			unsigned char sjis[2];

			jis_to_sjis(c, p[1], sjis);
			decode_one(cp932, sjis, 2, out);
			p += 2;
		} else {
			unsigned char euc[3] = { 0x8F, (unsigned char)(c | 0x80),
						 (unsigned char)(p[1] | 0x80) };

			if (eucjp == (GIConv)-1)
				eucjp = g_iconv_open("UTF-8", "EUC-JP");
			decode_one(eucjp, euc, 3, out);
			p += 2;
		}
	}
	if (cp932 != (GIConv)-1)
		g_iconv_close(cp932);
	if (eucjp != (GIConv)-1)
		g_iconv_close(eucjp);
	return out;
}

/*
 * Convert with iconv; an undecodable or truncated sequence becomes
 * U+FFFD and one byte is skipped. strict: give up (NULL) instead.
 */
static GString *
convert(const char *in, size_t len, const char *from, gboolean strict)
{
	GIConv cd = g_iconv_open("UTF-8", from);
	GString *out;
	gchar *inp = (gchar *)in;
	gsize inleft = len;
	char buf[4096];

	if (cd == (GIConv)-1)
		return NULL;
	out = g_string_sized_new(len * 3 / 2 + 1);
	while (inleft > 0) {
		gchar *outp = buf;
		gsize outleft = sizeof(buf);
		gsize r = g_iconv(cd, &inp, &inleft, &outp, &outleft);
		int saved = errno;

		g_string_append_len(out, buf, outp - buf);
		if (r != (gsize)-1 || saved == E2BIG)
			continue;
		/* EILSEQ, or EINVAL: a sequence cut short at the end */
		if (strict) {
			g_string_free(out, TRUE);
			out = NULL;
			break;
		}
		g_string_append(out, REPLACEMENT);
		inp++;
		inleft--;
		g_iconv(cd, NULL, NULL, NULL, NULL);
	}
	if (out) {
		/* flush the shift state of stateful encodings */
		gchar *outp = buf;
		gsize outleft = sizeof(buf);

		if (g_iconv(cd, NULL, NULL, &outp, &outleft) != (gsize)-1)
			g_string_append_len(out, buf, outp - buf);
	}
	g_iconv_close(cd);
	return out;
}

static gboolean
name_in(const char *name, const char *const *names)
{
	for (; *names; names++)
		if (strcmp(name, *names) == 0)
			return TRUE;
	return FALSE;
}

static gboolean
has_8bit(const char *in, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)in[i] >= 0x80)
			return TRUE;
	return FALSE;
}

static gboolean
has_jis_escape(const char *in, size_t len)
{
	for (size_t i = 0; i + 2 < len; i++)
		if (in[i] == ESC && in[i + 1] == '$' && (in[i + 2] == 'B' || in[i + 2] == '@'))
			return TRUE;
	return FALSE;
}

/* Valid UTF-8 but for NUL bytes (which finish() replaces)? */
static gboolean
utf8_but_nul(const char *in, size_t len)
{
	const char *p = in, *end = in + len, *stop;

	while (p < end) {
		if (g_utf8_validate_len(p, (gsize)(end - p), &stop))
			return TRUE;
		if (*stop != '\0')
			return FALSE;
		p = stop + 1;
	}
	return TRUE;
}

static GString *
bytes(const char *in, size_t len)
{
	return g_string_new_len(in, (gssize)len);
}

/* No charset to trust: look at the bytes. */
static GString *
guess(const char *in, size_t len)
{
	GString *out;

	/* 7-bit ISO-2022-JP is valid UTF-8 too: the escape decides */
	if (has_jis_escape(in, len) && !has_8bit(in, len))
		return jis_decode(in, len);
	if (utf8_but_nul(in, len))
		return bytes(in, len);
	if ((out = convert(in, len, "CP932", TRUE)))
		return out;
	return bytes(in, len);
}

/* Valid UTF-8 without embedded NULs, whatever came out. */
static char *
finish(GString *s)
{
	char *valid;

	if (g_utf8_validate_len(s->str, s->len, NULL))
		return g_string_free(s, FALSE);
	/* replaces NUL bytes too: validation with a length stops at them */
	valid = g_utf8_make_valid(s->str, (gssize)s->len);
	g_string_free(s, TRUE);
	return valid;
}

char *
poc_jis_to_utf8(const char *in, size_t len)
{
	return finish(jis_decode(in, len));
}

char *
poc_charset_to_utf8(const char *charset, const char *in, size_t len)
{
	static const char *const jis_names[] = { "iso-2022-jp", "iso-2022-jp-1", "iso-2022-jp-2",
						 "iso-2022-jp-3", "iso-2022-jp-ms", "csiso2022jp",
						 "cp50220", "cp50221", "cp50222", NULL };
	static const char *const sjis_names[] = { "shift_jis", "shift-jis", "x-sjis", "sjis",
						  "cp932", "windows-31j", "ms932", "ms_kanji",
						  "csshiftjis", "x-ms-cp932", NULL };
	static const char *const euc_names[] = { "euc-jp", "x-euc-jp", "eucjp", "euc_jp",
						 "cseucpkdfmtjapanese", NULL };
	static const char *const utf8_names[] = { "utf-8", "utf8", NULL };
	static const char *const ascii_names[] = { "us-ascii", "ascii", "ansi_x3.4-1968", NULL };
	char *name = NULL;
	GString *out = NULL;

	if (!in)
		return g_strdup("");
	if (charset) {
		name = g_ascii_strdown(charset, -1);
		g_strstrip(g_strdelimit(name, "\"'", ' '));
		/* only plain names reach iconv_open(): no "//" suffixes, no paths */
		if (strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789._:-") != strlen(name))
			name[0] = '\0';
	}
	if (!name || !*name || name_in(name, ascii_names))
		out = guess(in, len);
	else if (name_in(name, jis_names))
		/* 8-bit text labelled ISO-2022-JP is mislabelled: look at it */
		out = (has_8bit(in, len) && !has_jis_escape(in, len)) ? guess(in, len)
								      : jis_decode(in, len);
	else if (name_in(name, sjis_names))
		out = convert(in, len, "CP932", FALSE);
	else if (name_in(name, euc_names)) {
		out = convert(in, len, "EUC-JP-MS", FALSE);
		if (!out)
			out = convert(in, len, "EUC-JP", FALSE);
	} else if (name_in(name, utf8_names))
		out = bytes(in, len);
	else
		out = convert(in, len, name, FALSE);
	if (!out)
		out = guess(in, len);
	g_free(name);
	return finish(out);
}
