/*
 * NAME
 *	jis.h - Japanese charsets to UTF-8, including what iconv lacks
 * DESCRIPTION
 *	glibc's iconv has ISO-2022-JP and CP932 but not ISO-2022-JP-MS
 *	(CP50220/50221): mail from Windows puts NEC and IBM extensions
 *	(①, ㈱, Ⅰ, the IBM kanji) inside ISO-2022-JP. poc_jis_to_utf8()
 *	decodes ISO-2022-JP escapes itself, maps every JIS X 0208 row/cell
 *	(the extensions included) to a Shift_JIS/CP932 code and lets iconv's
 *	CP932 decode it. Other charsets go through iconv (with aliases
 *	mail uses: x-sjis, shift-jis, cp932, windows-31j, euc-jp, ...).
 *	Undecodable bytes become U+FFFD; the result is always valid UTF-8.
 */
#ifndef POC_JIS_H
#define POC_JIS_H

#include "poc.h"

G_BEGIN_DECLS

/* ISO-2022-JP (and -MS) to UTF-8. A new string. */
char *poc_jis_to_utf8(const char *in, size_t len);

/* Any charset name mail uses to UTF-8 (NULL or unknown: try UTF-8, then CP932). */
char *poc_charset_to_utf8(const char *charset, const char *in, size_t len);

G_END_DECLS

#endif
