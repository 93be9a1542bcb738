/*
 * NAME
 *	fuzz_template.c - libFuzzer target for acknowledgement templates and
 *	the header values copied from a notice into an acknowledgement
 * SYNOPSIS
 *	./configure CC=clang --enable-fuzz \
 *	    CFLAGS="-g -O1 -fsanitize=fuzzer-no-link,address,undefined"
 *	make tests/fuzz/fuzz_template
 *	tests/fuzz/fuzz_template -max_len=8192 -max_total_time=300 \
 *	    work tests/fuzz/corpus/template
 * DESCRIPTION
 *	Input: a template text, then optionally a NUL byte and a value
 *	that plays the notice's subject, From and Message-ID (outside
 *	input: CR, LF, NUL, tabs, encoded words, invalid UTF-8).
 *	Checks: poc_template_check() accepts or refuses without crashing;
 *	a template it accepts renders to valid UTF-8; poc_header_sanitise() never lets CR, LF
 *	or NUL through, stays within its bound (plus the UTF-8 repair) and
 *	gives valid UTF-8 - so no value can add a header line to an
 *	acknowledgement; poc_text_sanitise() for a person's text keeps no
 *	CR, the same bound and valid UTF-8.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_header_value(const char *in, gsize max)
{
	char *out = poc_header_sanitise(in, max);

	if (!out || strchr(out, '\r') || strchr(out, '\n'))
		abort();
	if (!g_utf8_validate(out, -1, NULL))
		abort();
	/* Each byte over the bound can become at most one 3-byte U+FFFD. */
	if (strlen(out) > max * 3 + 3)
		abort();
	g_free(out);
	/* A person's text: line feeds may stay, never a CR. */
	out = poc_text_sanitise(in, max, POC_SANITISE_LINES);
	if (!out || strchr(out, '\r') || !g_utf8_validate(out, -1, NULL) || strlen(out) > max * 3 + 3)
		abort();
	g_free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const char *nul = memchr(data, '\0', size);
	gsize tlen = nul ? (gsize)(nul - text) : size;
	char *tmpl = g_strndup(text, tlen);
	char *value = nul ? g_strndup(nul + 1, size - tlen - 1) : g_strdup("Re: [JPCERT#1]\r\nBcc: x@y");
	GError *err = NULL;

	check_header_value(value, 400);
	check_header_value(value, 1);
	check_header_value(value, 0);
	if (poc_template_check(tmpl, tlen, &err) == POC_OK) {
		GHashTable *vars = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
		char *out;

		g_hash_table_insert(vars, "subject", poc_header_sanitise(value, 400));
		g_hash_table_insert(vars, "tracking", g_strdup("JPCERT#12345678"));
		g_hash_table_insert(vars, "from", poc_header_sanitise(value, 200));
		out = poc_template_render(tmpl, vars);
		if (!out || !g_utf8_validate(out, -1, NULL))
			abort();
		g_free(out);
		g_hash_table_destroy(vars);
	} else {
		if (!err || !err->message)
			abort();
		g_error_free(err);
	}
	g_free(tmpl);
	g_free(value);
	return 0;
}
