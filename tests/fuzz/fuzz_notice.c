/*
 * NAME
 *	fuzz_notice - libFuzzer target for poc_notice_read()
 * DESCRIPTION
 *	Outside input goes straight to the parser: GMime, our walk, header
 *	decoding, charsets, identifiers. reader->crypto is NULL, so armour
 *	and PGP/MIME are recognised but not given to gpg (that would make
 *	each run cost a process round trip). Limits are small so deep and
 *	wide inputs reach them.
 *
 *	configure --enable-fuzz CC=clang \
 *	    CFLAGS="-g -O1 -fsanitize=fuzzer-no-link,address,undefined"
 *	make tests/fuzz/fuzz_notice
 *	tests/fuzz/fuzz_notice -max_total_time=600 tests/fuzz/corpus/notice
 */
#include "config.h"

#include <stdint.h>

#include "notice.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const coordinators[] = { "vuls@jpcert.or.jp", NULL };
	static const char *const own[] = { "security@vendor.example", NULL };
	poc_reader reader = {
		.crypto = NULL,
		.coordinators = coordinators,
		.own_addresses = own,
		.max_size = 1024 * 1024,
		.max_depth = 16,
		.max_parts = 200,
	};
	poc_message *msg = poc_message_new();

	msg->envelope_from = g_strdup("vuls@jpcert.or.jp");
	(void) poc_notice_read(&reader, (const char *) data, size, msg, NULL);
	poc_message_free(msg);
	return 0;
}
