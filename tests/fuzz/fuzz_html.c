/*
 * NAME
 *	fuzz_html - libFuzzer target for poc_mime_html_to_text()
 * SYNOPSIS
 *	./configure CC=clang --enable-fuzz \
 *	    CFLAGS="-g -O1 -fsanitize=fuzzer-no-link,address,undefined"
 *	make tests/fuzz/fuzz_html
 *	tests/fuzz/fuzz_html -max_total_time=300 tests/fuzz/corpus/html
 * DESCRIPTION
 *	Input: the bytes of a text/html part. They go through the same two
 *	steps as in the walk: poc_mime_text_to_utf8() (no charset: UTF-8,
 *	else CP932), then poc_mime_html_to_text(). Checks that the text is
 *	valid UTF-8 and never longer than the HTML (a tag or an entity is
 *	never shorter than what replaces it). libFuzzer's -timeout catches
 *	input that is not read in linear time.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *html = poc_mime_text_to_utf8(NULL, (const char *) data, size);
	char *text;

	if (html == NULL || !g_utf8_validate(html, -1, NULL))
		abort();
	text = poc_mime_html_to_text(html);
	if (text == NULL || !g_utf8_validate(text, -1, NULL) || strlen(text) > strlen(html))
		abort();
	g_free(text);
	g_free(html);
	return 0;
}
