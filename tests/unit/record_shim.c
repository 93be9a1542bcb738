/*
 * NAME
 *	record_shim.c - poc_message_new/free for the mime branch's tests
 * DESCRIPTION
 *	src/record.c is written on another branch; until it is merged
 *	(configure: RECORD_SHIM), the notice tests link these two.
 */
#include "config.h"

#include "record.h"

poc_message *
poc_message_new(void)
{
	poc_message *m = g_new0(poc_message, 1);

	m->related_tracking = g_ptr_array_new_with_free_func(g_free);
	m->vuln_ids = g_ptr_array_new_with_free_func(g_free);
	m->problems = g_ptr_array_new_with_free_func(g_free);
	return m;
}

void
poc_message_free(poc_message *m)
{
	if (m == NULL)
		return;
	g_free(m->message_id);
	g_free(m->case_id);
	g_free(m->queue_id);
	g_free(m->envelope_from);
	g_free(m->from);
	g_free(m->subject);
	g_free(m->date);
	g_free(m->in_reply_to);
	g_free(m->signer);
	g_free(m->tracking);
	g_free(m->ack_message_id);
	g_free(m->ack_note);
	if (m->related_tracking)
		g_ptr_array_unref(m->related_tracking);
	if (m->vuln_ids)
		g_ptr_array_unref(m->vuln_ids);
	if (m->problems)
		g_ptr_array_unref(m->problems);
	g_free(m);
}
