/*
 * NAME
 *	text.h - reading identifiers, kinds and dates out of notice text
 * DESCRIPTION
 *	All input is UTF-8 (mime.c converts every charset before). Nothing
 *	here keeps, logs or writes the text it is given.
 *
 *	poc_text_normalise() folds full-width ASCII (U+FF01..U+FF5E), the
 *	ideographic space, '♯' and the hyphen lookalikes to ASCII, so that
 *	ＪＰＣＥＲＴ＃１２３４５６７８ reads as JPCERT#12345678. It is not NFKC
 *	(① stays ①). Invalid UTF-8 is repaired (U+FFFD) by every function.
 *
 *	Identifiers:
 *	- tracking number (TN): "JPCERT#" + digits, stray spaces around '#'
 *	  tolerated, returned as "JPCERT#12345678";
 *	- vulnerability numbers (VN): JVN#, JVNVU#, JVNTA#, JPCERT-IPA#, IPA#,
 *	  VU#, JVNDB-YYYY-NNNNNN, CVE-YYYY-NNNN..., normalised (upper case,
 *	  no spaces), de-duplicated, in order of appearance. "JPCERT#..." is
 *	  never a VN and "JPCERT-IPA#..." is never a TN.
 */
#ifndef POC_TEXT_H
#define POC_TEXT_H

#include "poc.h"

G_BEGIN_DECLS

/* A new string: text with full-width forms folded. */
char *poc_text_normalise(const char *utf8);

/*
 * Identifiers kept per message (doc/NOTICES.md, Limits): vulnerability
 * numbers, and tracking numbers (the message's own and related ones).
 */
#define POC_MAX_VULN_IDS	1000
#define POC_MAX_TRACKING_IDS	100

/*
 * Scan normalised text. Appends (g_strdup'd, de-duplicated against what
 * is already in the arrays) to tracking and vulns; either may be NULL.
 * An array holding POC_MAX_TRACKING_IDS or POC_MAX_VULN_IDS takes no
 * more: TRUE when an identifier was left out for that. Linear in the
 * text and the arrays.
 */
gboolean poc_text_scan_ids(const char *text, GPtrArray *tracking, GPtrArray *vulns);

/* Is this VN a CVE id? */
gboolean poc_text_is_cve(const char *vn);

/*
 * The domain of the Message-IDs pocmilter makes up (the key of a message
 * without one, pages, acknowledgements without a From domain): reserved,
 * never deliverable (RFC 2606). (contract)
 */
#define POC_INVALID_DOMAIN "pocmilter.invalid"
/*
 * The key of a message without a Message-ID (and of one too long for a
 * database key): "<sha256-HEX@pocmilter.invalid>", the lower-case hex
 * SHA-256 of the bytes. A new string.
 */
char *poc_text_message_key(const char *raw, size_t len);

/*
 * The body without quoted text: lines starting with '>' and everything
 * from a reply separator ("-----Original Message-----", "On ... wrote:",
 * "-----元のメッセージ-----", "... さんは書きました:" and the like) on.
 * A new string.
 */
char *poc_text_strip_quoted(const char *body);

/*
 * The first publication date in text (Japanese and English forms:
 * 2026年12月15日, 2026年12月15日(火) 11時, 2026/12/15 11:00, 2026-12-15,
 * December 15, 2026), preferring one near a keyword such as 公開日,
 * 公開予定日, publication date. A date without a time is 00:00 that day in
 * Japan time. 0 when none.
 */
gint64 poc_text_find_publication_date(const char *text);

/*
 * The same, with era dates (令和9年2月3日, 令和元年, R9.2.3, H31.4.30) and
 * dates without a year (2月10日(水), 2/10 11:00), which are read only on a
 * line a keyword names, as the first such day on or after 92 days before
 * received (Unix time; 0: dates without a year are not read). A weekday in
 * brackets that is not the chosen date's own adds a line to problems
 * (may be NULL); the date stays as written.
 */
gint64 poc_text_read_publication_date(const char *text, gint64 received, GPtrArray *problems);

/*
 * Kinds are a table of rules (see doc/KINDS.md); the first that matches
 * wins. A rules file adds rules before the built-in ones; loading returns
 * POC_OK, POC_ERR_IO (unreadable) or POC_ERR_CONFIG (a bad line: the
 * GError names file and line), and leaves the rules unchanged on error.
 * Pass the body with quoted text stripped; NULL subject or body is "".
 * The rules are read-only after loading and may be shared by threads.
 */
typedef struct poc_kind_rules poc_kind_rules;
poc_kind_rules *poc_kind_rules_default(void);
int poc_kind_rules_load(poc_kind_rules *rules, const char *path, GError **error);
void poc_kind_rules_free(poc_kind_rules *rules);
/* The rules in force, one per line in the file syntax, site rules first. */
char *poc_kind_rules_describe(const poc_kind_rules *rules);
poc_kind poc_kind_classify(const poc_kind_rules *rules, gboolean from_coordinator,
			   const char *subject, const char *body);
/* The same, and *rule (a new string, may be NULL) says which rule decided:
 * "FILE:LINE", "built-in N" (row N of doc/KINDS.md) or "no rule matched". */
poc_kind poc_kind_classify_rule(const poc_kind_rules *rules, gboolean from_coordinator,
				const char *subject, const char *body, char **rule);

G_END_DECLS

#endif
