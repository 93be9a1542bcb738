/*
 * NAME
 *	charsets.c - GMime's table of charset names, kept bounded
 * DESCRIPTION
 *	GMime maps a charset name to iconv's with g_mime_charset_iconv_name()
 *	and keeps every name it is asked about in a table that lives as long
 *	as the process. Its parser asks about the charset of each encoded
 *	word in every address header (From, To, Cc and the rest, of the mail
 *	and of every message/rfc822 part in it). Mail that names new
 *	charsets ("=?x1?Q?a?= =?x2?Q?a?= ...") would grow the daemon for
 *	good: some hundred bytes per name, thousands of names per message.
 *
 *	This file defines g_mime_charset_iconv_name() in the program; the
 *	definition takes the place of GMime's, which GMime itself calls
 *	through its PLT (as libmilter calls sigwait, milter/pocmilter.c).
 *	A name is passed on to GMime's function, and so into its table, only
 *	when it is plain (1..64 letters, digits, '-', '_', '.', ':', which
 *	glibc's iconv keeps as they are) and
 *	- iconv opens it as it is (a finite set: iconv's names and aliases,
 *	  compared without case, as GMime compares them), or
 *	- it is one of the first POC_CHARSET_OTHER other names seen (GMime's
 *	  own aliases, such as "x-sjis" or "ks_c_5601-1987").
 *	Any other name is answered with POC_CHARSET_UNKNOWN, which iconv
 *	refuses, as it would have refused the name: the text reads as it
 *	would have read. GMime's table is then bounded: its own entries,
 *	iconv's names and POC_CHARSET_OTHER more.
 *
 *	poc_charsets_init() finds GMime's function; poc_notice_init() calls
 *	it. tests/unit/test_mime.c checks that the definition is the one
 *	in use (memory stays flat) and that known names still decode.
 */
#include "config.h"

#include <dlfcn.h>
#include <iconv.h>
#include <string.h>

#include "mime.h"

#define POC_CHARSET_MAX_LEN 64

typedef const char *(*iconv_name_fn)(const char *);

static iconv_name_fn gmime_iconv_name;	/* GMime's, found by poc_charsets_init */
static GMutex lock;
static GHashTable *admitted;		/* lower-case name -> GINT_TO_POINTER(1) */
static guint others;			/* admitted without iconv's word */

const char *g_mime_charset_iconv_name(const char *charset);

void
poc_charsets_init(void)
{
	static gsize done;

	if (g_once_init_enter(&done)) {
		gmime_iconv_name = (iconv_name_fn) dlsym(RTLD_NEXT, "g_mime_charset_iconv_name");
		/* Found ourselves (a static GMime): nothing to pass on to. */
		if (gmime_iconv_name == g_mime_charset_iconv_name)
			gmime_iconv_name = NULL;
		admitted = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
		g_once_init_leave(&done, 1);
	}
}

static gboolean
plain_name(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (n >= POC_CHARSET_MAX_LEN ||
		    !(g_ascii_isalnum(s[n]) || s[n] == '-' || s[n] == '_' || s[n] == '.' || s[n] == ':'))
			return FALSE;
	return n > 0;
}

static gboolean
iconv_knows(const char *name)
{
	iconv_t cd = iconv_open("UTF-8", name);

	if (cd == (iconv_t) -1)
		return FALSE;
	iconv_close(cd);
	return TRUE;
}

static gboolean
admit(const char *charset)
{
	char *lower;
	gboolean ok;

	if (!plain_name(charset))
		return FALSE;
	lower = g_ascii_strdown(charset, -1);
	g_mutex_lock(&lock);
	ok = g_hash_table_contains(admitted, lower);
	g_mutex_unlock(&lock);
	if (ok) {
		g_free(lower);
		return TRUE;
	}
	/* iconv_open() loads modules: not under the lock */
	ok = iconv_knows(charset);
	g_mutex_lock(&lock);
	if (g_hash_table_contains(admitted, lower)) {
		ok = TRUE;		/* another thread was first */
		g_free(lower);
	} else if (ok || others < POC_CHARSET_OTHER) {
		if (!ok)
			others++;
		ok = TRUE;
		g_hash_table_add(admitted, lower);
	} else {
		g_free(lower);
	}
	g_mutex_unlock(&lock);
	return ok;
}

const char *
g_mime_charset_iconv_name(const char *charset)
{
	poc_charsets_init();
	if (!charset)
		return NULL;
	if (!gmime_iconv_name || !admit(charset))
		return POC_CHARSET_UNKNOWN;
	return gmime_iconv_name(charset);
}

void
poc_charsets_stats(guint *names, guint *other)
{
	poc_charsets_init();
	g_mutex_lock(&lock);
	*names = g_hash_table_size(admitted);
	*other = others;
	g_mutex_unlock(&lock);
}
