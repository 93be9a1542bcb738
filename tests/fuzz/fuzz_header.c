/*
 * NAME
 *	fuzz_header - libFuzzer target for poc_mime_decode_header()
 * SYNOPSIS
 *	./configure CC=clang --enable-fuzz \
 *	    CFLAGS="-g -O1 -fsanitize=fuzzer-no-link,address,undefined"
 *	make tests/fuzz/fuzz_header
 *	tests/fuzz/fuzz_header -max_total_time=300 tests/fuzz/corpus/header
 * DESCRIPTION
 *	Input: the raw value of a header (Subject of the mail, of a forwarded
 *	message or of a decrypted entity), folded or not, encoded words in
 *	any charset or raw 8-bit. Checks that the result is valid UTF-8 and
 *	at most 16 times as long as the input (a byte becomes at most a few
 *	characters, in charsets such as TSCII). libFuzzer's -timeout catches
 *	input that is not read in linear time.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A header value is a C string: GMime ends it at a NUL. */
	char *raw = g_strndup((const char *) data, size);
	char *value = poc_mime_decode_header(raw);

	if (value == NULL || !g_utf8_validate(value, -1, NULL)
	    || strlen(value) > 16 * strlen(raw) + 16)
		abort();
	g_free(value);
	g_free(raw);
	return 0;
}
