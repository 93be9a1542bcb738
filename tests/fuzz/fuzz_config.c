/*
 * NAME
 *	fuzz_config.c - libFuzzer target for the configuration parser
 * SYNOPSIS
 *	./configure CC=clang --enable-fuzz \
 *	    CFLAGS="-g -O1 -fsanitize=fuzzer-no-link,address,undefined"
 *	make tests/fuzz/fuzz_config
 *	tests/fuzz/fuzz_config -max_len=4096 -max_total_time=300 \
 *	    work tests/fuzz/corpus/config
 * DESCRIPTION
 *	Input: the text of a configuration file. poc_config_parse() either
 *	fails with a message naming the file, a line and a key, or returns
 *	a configuration that survives validate, dump and free. Relative
 *	paths resolve against a directory that does not exist, so nothing
 *	on disk is read or written (HolidayFile and KindRules are only
 *	stored by the parser, read later by the runtime).
 *
 *	The same bytes are also an envelope recipient (RCPT argument and
 *	{rcpt_addr}, from the MTA) for poc_config_watched_recipient().
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

static FILE *devnull;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	poc_config *cfg = NULL;
	GError *err = NULL;
	int status;

	if (!devnull)
		devnull = fopen("/dev/null", "w");
	{
		static poc_config *watching;
		char *rcpt = g_strndup((const char *)data, size);

		if (!watching) {
			static const char w[] = "Watch security@vendor.example\n";

			if (poc_config_parse(w, strlen(w), "/nonexistent/w.conf", &watching, NULL) != POC_OK)
				abort();
		}
		g_free(poc_config_watched_recipient(watching, rcpt, rcpt));
		g_free(rcpt);
	}
	status = poc_config_parse((const char *)data, size, "/nonexistent/fuzz.conf", &cfg, &err);
	if (status == POC_OK) {
		if (!cfg || err)
			abort();
		if (poc_config_validate(cfg, &err) != POC_OK) {
			if (!err || !err->message)
				abort();
			g_clear_error(&err);
		}
		if (devnull)
			poc_config_dump(cfg, devnull);
		if (cfg->watch)
			(void)poc_config_address_in(cfg->watch, "Security+x@Vendor.Example");
		poc_config_free(cfg);
	} else {
		/* A failure says where: "FILE..." and nothing half-built is returned. */
		if (cfg || !err || !err->message || !g_str_has_prefix(err->message, "/nonexistent/"))
			abort();
		g_error_free(err);
	}
	return 0;
}
