/*
 * NAME
 *	page.c - paging conditions and PageCommand
 * DESCRIPTION
 *	Placeholder until the paging module lands (issue 7): reports OK.
 */
#include "config.h"

#include <string.h>

#include "page.h"

void
poc_watch_status_clear(poc_watch_status *st)
{
	g_clear_pointer(&st->line, g_free);
}

int
poc_watch_run(poc_runtime *rt, gint64 now, gboolean send_pages, gboolean from_daemon,
	      poc_watch_status *st, GError **error)
{
	memset(st, 0, sizeof(*st));
	st->level = POC_WATCH_UNKNOWN;
	st->line = g_strdup("POCMILTER UNKNOWN - paging not implemented yet");
	return POC_OK;
}
