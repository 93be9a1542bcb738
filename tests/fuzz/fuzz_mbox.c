/*
 * NAME
 *	fuzz_mbox.c - libFuzzer target for the date of an mbox "From " line
 * SYNOPSIS
 *	./configure CC=clang --enable-fuzz \
 *	    CFLAGS="-g -O1 -fsanitize=fuzzer-no-link,address,undefined"
 *	make tests/fuzz/fuzz_mbox
 *	tests/fuzz/fuzz_mbox -max_len=1024 -max_total_time=60
 * DESCRIPTION
 *	Input: one line as `pocctl import` finds it in an mbox (not NUL
 *	terminated). poc_mbox_from_date() must not read past it, and gives
 *	0 or a time after 1970.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "poc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly size bytes: ASan sees any read past the line */
	char *line = malloc(size ? size : 1);
	gint64 t;

	if (!line)
		return 0;
	for (size_t i = 0; i < size; i++)
		line[i] = (char)data[i];
	t = poc_mbox_from_date(line, size);
	if (t < 0)
		abort();
	free(line);
	return 0;
}
