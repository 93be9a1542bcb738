/*
 * NAME
 *	outbox.c - handing acknowledgements to the MTA, once
 * DESCRIPTION
 *	See outbox.h for the state machine. The command is run with
 *	GSubprocess (no shell): its argv comes from g_shell_parse_argv of
 *	AckSendmail. Exit 0 is success; anything else (75 = EX_TEMPFAIL
 *	included) is a failure retried later; stderr is kept as the
 *	diagnostic (first line, bounded).
 */
#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "log.h"
#include "outbox.h"

#define MAX_BACKOFF 3600

int
poc_outbox_exec(const char *command, const char *sender, GBytes *payload, char **diagnostic)
{
	char **argv = NULL;
	GError *err = NULL;
	GSubprocess *proc = NULL;
	GBytes *errout = NULL;
	int status = POC_OK;

	*diagnostic = NULL;
	if (!g_shell_parse_argv(command, NULL, &argv, &err)) {
		*diagnostic = g_strdup_printf("AckSendmail: %s", err->message);
		g_error_free(err);
		return POC_ERR_CONFIG;
	}
	if (sender) {
		/* The envelope sender is AckFrom, not the daemon's login name. */
		guint n = g_strv_length(argv);

		argv = g_renew(char *, argv, n + 3);
		argv[n] = g_strdup("-f");
		argv[n + 1] = g_strdup(sender);
		argv[n + 2] = NULL;
	}
	proc = g_subprocess_newv((const char *const *)argv,
				 G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
					 G_SUBPROCESS_FLAGS_STDERR_PIPE,
				 &err);
	if (!proc) {
		*diagnostic = g_strdup(err->message);
		status = POC_ERR_SEND;
		goto out;
	}
	if (!g_subprocess_communicate(proc, payload, NULL, NULL, &errout, &err)) {
		*diagnostic = g_strdup(err->message);
		g_subprocess_force_exit(proc);
		status = POC_ERR_SEND;
		goto out;
	}
	if (!g_subprocess_get_if_exited(proc) || g_subprocess_get_exit_status(proc) != 0) {
		gsize n = errout ? g_bytes_get_size(errout) : 0;
		const char *text = errout ? g_bytes_get_data(errout, NULL) : "";
		int code = g_subprocess_get_if_exited(proc) ? g_subprocess_get_exit_status(proc) : -1;
		char *first = g_strndup(text, MIN(n, 300));

		first[strcspn(first, "\r\n")] = '\0';
		*diagnostic = g_strdup_printf("%s exited with %d%s%s", argv[0], code,
					      *first ? ": " : "", first);
		g_free(first);
		status = code == 75 ? POC_ERR_TEMP : POC_ERR_SEND;
	}
out:
	if (err)
		g_error_free(err);
	if (errout)
		g_bytes_unref(errout);
	if (proc)
		g_object_unref(proc);
	g_strfreev(argv);
	return status;
}

int
poc_outbox_run(poc_store *store, const poc_config *cfg, int *sent, GError **error)
{
	poc_outbox_entry *e = NULL;
	int status;

	*sent = 0;
	while ((status = poc_store_outbox_next_due(store, poc_now(), &e, error)) == POC_OK) {
		char *diag = NULL;
		int rc;

		e->state = POC_OUTBOX_SENDING;
		e->attempts++;
		if ((status = poc_store_outbox_update(store, e, error)) != POC_OK) {
			poc_outbox_entry_free(e);
			return status;
		}
		rc = poc_outbox_exec(cfg->ack_sendmail, cfg->ack_from, e->payload, &diag);
		if (rc == POC_OK) {
			e->state = POC_OUTBOX_SENT;
			e->sent_at = poc_now();
			g_clear_pointer(&e->last_error, g_free);
			(*sent)++;
			msg_info("case=%s ack=%s sent to %s", e->case_id ? e->case_id : "-",
				 e->ack_message_id, e->recipient);
		} else {
			gint64 delay = cfg->ack_retry > 0 ? cfg->ack_retry : 60;

			for (int i = 1; i < e->attempts && delay < MAX_BACKOFF; i++)
				delay *= 2;
			e->state = POC_OUTBOX_QUEUED;
			e->next_attempt_at = poc_now() + MIN(delay, MAX_BACKOFF);
			g_free(e->last_error);
			e->last_error = diag;
			diag = NULL;
			msg_warn("case=%s ack=%s send failed (attempt %d, retry in %" G_GINT64_FORMAT
				 "s): %s",
				 e->case_id ? e->case_id : "-", e->ack_message_id, e->attempts,
				 MIN(delay, MAX_BACKOFF), e->last_error);
		}
		g_free(diag);
		status = poc_store_outbox_update(store, e, error);
		if (status == POC_ERR_EXISTS && rc == POC_OK) {
			/* The milter saw our copy pass the MTA (poc_outbox_seen) before
			 * the command exited, and recorded it as sent: that is success,
			 * and the rest of the outbox must not wait for the next round. */
			g_clear_error(error);
			status = POC_OK;
		}
		poc_outbox_entry_free(e);
		e = NULL;
		if (status != POC_OK)
			return status;
	}
	if (status == POC_ERR_NOTFOUND) {
		g_clear_error(error);
		return POC_OK;
	}
	return status;
}

int
poc_outbox_seen(poc_store *store, const char *message_id)
{
	GPtrArray *list = g_ptr_array_new_with_free_func((GDestroyNotify)poc_outbox_entry_free);
	int status = POC_ERR_NOTFOUND;

	if (poc_store_outbox_list(store, POC_OUTBOX_SENDING, list, NULL) != POC_OK) {
		g_ptr_array_free(list, TRUE);
		return POC_ERR_DB;
	}
	for (guint i = 0; i < list->len; i++) {
		poc_outbox_entry *e = g_ptr_array_index(list, i);

		if (e->ack_message_id && g_ascii_strcasecmp(e->ack_message_id, message_id) == 0) {
			e->state = POC_OUTBOX_SENT;
			e->sent_at = poc_now();
			status = poc_store_outbox_update(store, e, NULL);
			msg_info("case=%s ack=%s seen passing the MTA: recorded as sent",
				 e->case_id ? e->case_id : "-", e->ack_message_id);
			break;
		}
	}
	g_ptr_array_free(list, TRUE);
	return status;
}
