/*
 * NAME
 *	fuzz_text.c - libFuzzer target for the text of a notice
 * SYNOPSIS
 *	./configure CC=clang --enable-fuzz \
 *	    CFLAGS="-g -O1 -fsanitize=fuzzer-no-link,address,undefined"
 *	make tests/fuzz/fuzz_text
 *	mkdir work && cp tests/fuzz/corpus/text/* work/
 *	tests/fuzz/fuzz_text -dict=tests/fuzz/text.dict -max_len=16384 \
 *	    -max_total_time=300 work
 * DESCRIPTION
 *	Input: a charset name, a newline, then the body bytes. Runs the
 *	whole text path the notice parser runs on outside input: charset
 *	conversion (also ISO-2022-JP directly), full-width folding,
 *	identifier scan, quoted-text stripping, the publication date and
 *	the kind, and what pocctl prints of the raw bytes
 *	(poc_text_for_terminal). Checks that every conversion gives valid
 *	UTF-8, that every identifier found is normalised (upper case, no
 *	blanks) and that the printed form has no control character.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jis.h"
#include "text.h"

static poc_kind_rules *rules;

static void
check_utf8(const char *s)
{
	if (!s || !g_utf8_validate(s, -1, NULL))
		abort();
}

static void
check_ids(GPtrArray *ids)
{
	for (guint i = 0; i < ids->len; i++) {
		const char *id = g_ptr_array_index(ids, i);

		for (const char *p = id; *p; p++)
			if (g_ascii_islower(*p) || *p == ' ' || *p == '\t')
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *bytes = (const char *)data;
	const char *nl = memchr(bytes, '\n', size < 40 ? size : 40);
	char *charset = nl ? g_strndup(bytes, (gsize)(nl - bytes)) : NULL;
	const char *body = nl ? nl + 1 : bytes;
	size_t body_len = nl ? size - (size_t)(nl + 1 - bytes) : size;
	GPtrArray *tns = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *vns = g_ptr_array_new_with_free_func(g_free);
	char *utf8, *jis, *norm, *stripped, *subject;

	if (!rules)
		rules = poc_kind_rules_default();

	jis = poc_jis_to_utf8(body, body_len);
	check_utf8(jis);
	utf8 = poc_charset_to_utf8(charset, body, body_len);
	check_utf8(utf8);

	norm = poc_text_normalise(utf8);
	check_utf8(norm);
	stripped = poc_text_strip_quoted(norm);
	check_utf8(stripped);
	poc_text_scan_ids(stripped, tns, vns);
	check_ids(tns);
	check_ids(vns);
	for (guint i = 0; i < vns->len; i++)
		if (g_str_has_prefix(g_ptr_array_index(vns, i), "JPCERT#"))
			abort();
	(void)poc_text_find_publication_date(stripped);
	{
		/* era dates and dates without a year, against a received time */
		GPtrArray *problems = g_ptr_array_new_with_free_func(g_free);
		gint64 when = poc_text_read_publication_date(stripped, 1795640998, problems);

		if (when < 0 || problems->len > 1)
			abort();
		g_ptr_array_unref(problems);
	}

	/* the first line as the subject */
	subject = g_strndup(norm, strcspn(norm, "\n"));
	if ((unsigned)poc_kind_classify(rules, TRUE, subject, stripped) >= POC_KIND_COUNT)
		abort();
	{
		char *rule = NULL;

		(void)poc_kind_classify_rule(rules, TRUE, subject, stripped, &rule);
		if (!rule)
			abort();
		g_free(rule);
	}
	if (poc_kind_classify(rules, FALSE, subject, stripped) != POC_KIND_DIRECT_REPORT)
		abort();

	/* What pocctl prints of the raw bytes: valid UTF-8, no control character. */
	{
		char *raw = g_strndup(body, body_len), *shown = poc_text_for_terminal(raw);

		check_utf8(shown);
		for (const unsigned char *p = (const unsigned char *)shown; *p; p++)
			if (*p < 0x20 || *p == 0x7f)
				abort();
		g_free(shown);
		g_free(raw);
	}

	g_free(subject);
	g_free(stripped);
	g_free(norm);
	g_free(utf8);
	g_free(jis);
	g_free(charset);
	g_ptr_array_unref(tns);
	g_ptr_array_unref(vns);
	return 0;
}
