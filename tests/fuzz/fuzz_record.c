/*
 * NAME
 *	fuzz_record - libFuzzer target for the record codec (record.c)
 * SYNOPSIS
 *	./configure CC=clang --enable-fuzz \
 *	    CFLAGS="-g -O1 -fsanitize=fuzzer-no-link,address,undefined"
 *	make tests/fuzz/fuzz_record
 *	tests/fuzz/fuzz_record -max_total_time=300 tests/fuzz/corpus/record
 * DESCRIPTION
 *	Input: any bytes, read as each of the five records (message, case,
 *	outbox entry, event, spool entry) in turn: what a damaged or
 *	foreign database value, export line or libpocdb caller may hold.
 *	The reader must never crash nor leak; where it accepts the input,
 *	the record written back must read back to the same record (its
 *	text written again is the same, byte for byte), and so must that
 *	text laid out by poc_json_pretty(). The seeds in
 *	tests/fuzz/corpus/record are records the code wrote.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MESSAGE, CASE, OUTBOX, EVENT, SPOOL, KINDS };

/* Reads text as record kind k and writes it back to out; FALSE if refused. */
static gboolean
reencode(int k, const char *text, size_t len, GString *out)
{
	poc_message *m;
	poc_case *c;
	poc_outbox_entry *e;
	poc_event ev;
	poc_spool_info si;

	g_string_truncate(out, 0);
	switch (k) {
	case MESSAGE:
		if (!(m = poc_message_decode(text, len, NULL, NULL)))
			return FALSE;
		poc_message_encode(m, POC_ENCODE_VERSION, out);
		poc_message_free(m);
		return TRUE;
	case CASE:
		if (!(c = poc_case_decode(text, len, NULL, NULL)))
			return FALSE;
		poc_case_encode(c, NULL, POC_ENCODE_VERSION, out);
		poc_case_free(c);
		return TRUE;
	case OUTBOX:
		if (!(e = poc_outbox_entry_decode(text, len, NULL, NULL)))
			return FALSE;
		poc_outbox_entry_encode(e, POC_ENCODE_VERSION, out);
		poc_outbox_entry_free(e);
		return TRUE;
	case EVENT:
		if (poc_event_decode(text, len, &ev, NULL, NULL) != POC_OK)
			return FALSE;
		poc_event_encode(&ev, POC_ENCODE_VERSION, out);
		poc_event_clear(&ev);
		return TRUE;
	default:
		if (poc_spool_info_decode(text, len, &si, NULL, NULL) != POC_OK)
			return FALSE;
		poc_spool_info_encode(&si, POC_ENCODE_VERSION, out);
		poc_spool_info_clear(&si);
		return TRUE;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	GString *first = g_string_new(NULL), *again = g_string_new(NULL);
	GString *pretty = g_string_new(NULL);

	for (int k = 0; k < KINDS; k++) {
		if (!reencode(k, (const char *)data, size, first))
			continue;
		if (!g_utf8_validate(first->str, (gssize)first->len, NULL))
			abort();
		if (!reencode(k, first->str, first->len, again) || !g_string_equal(first, again))
			abort();
		g_string_truncate(pretty, 0);
		poc_json_pretty(first->str, first->len, pretty);
		if (!reencode(k, pretty->str, pretty->len, again) || !g_string_equal(first, again))
			abort();
	}
	g_string_free(first, TRUE);
	g_string_free(again, TRUE);
	g_string_free(pretty, TRUE);
	return 0;
}
