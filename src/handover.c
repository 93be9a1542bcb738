/*
 * NAME
 *	handover.c - handing a message to the MTA: AckSmtp or AckSendmail
 * SYNOPSIS
 *	#include "handover.h"
 *
 *	poc_handover *poc_handover_new(const poc_config *cfg);
 *	int poc_handover_send(poc_handover *h, const char *rcpt,
 *			      GBytes *payload, char **diagnostic);
 *	void poc_handover_free(poc_handover *h);
 *	int poc_handover_submit(const poc_config *cfg, const char *rcpt,
 *				GBytes *payload, char **diagnostic);
 *	int poc_handover_sendmail(const char *command, const char *sender,
 *				  GBytes *payload, char **diagnostic);
 * DESCRIPTION
 *	See handover.h. AckSendmail runs through poc_exec_run (exec.c):
 *	exit 0 is success, 75 (EX_TEMPFAIL) a temporary failure, anything
 *	else a failure; the first line of stderr is the diagnostic. AckSmtp
 *	goes through smtp.c.
 * SECURITY
 *	The envelope sender is AckFrom, never the daemon's login name; it is
 *	shell-quoted into the command line that g_shell_parse_argv splits,
 *	and no shell runs.
 */
#include "config.h"

#include "exec.h"
#include "handover.h"
#include "smtp.h"

struct poc_handover {
	const poc_config *cfg;
	poc_smtp *smtp;		/* AckSmtp: opened at the round's first message */
};

int
poc_handover_sendmail(const char *command, const char *sender, GBytes *payload, char **diagnostic)
{
	char *line, *quoted = sender ? g_shell_quote(sender) : NULL;
	int status;

	line = quoted ? g_strdup_printf("%s -f %s", command, quoted) : g_strdup(command);
	status = poc_exec_run(line, payload, POC_SENDMAIL_TIMEOUT, diagnostic);
	g_free(line);
	g_free(quoted);
	return status;
}

poc_handover *
poc_handover_new(const poc_config *cfg)
{
	poc_handover *h = g_new0(poc_handover, 1);

	h->cfg = cfg;
	return h;
}

int
poc_handover_send(poc_handover *h, const char *rcpt, GBytes *payload, char **diagnostic)
{
	const poc_config *cfg = h->cfg;
	int status;

	if (!cfg->ack_smtp)
		return poc_handover_sendmail(cfg->ack_sendmail, cfg->ack_from, payload, diagnostic);
	if (!h->smtp &&
	    (status = poc_smtp_open(cfg->ack_smtp, POC_SENDMAIL_TIMEOUT, &h->smtp, diagnostic)) !=
		    POC_OK)
		return status;
	status = poc_smtp_send(h->smtp, cfg->ack_from ? cfg->ack_from : "", rcpt, payload,
			       diagnostic);
	if (status != POC_OK) {
		/* The session is in an unknown state: the next message gets a new one. */
		poc_smtp_close(h->smtp);
		h->smtp = NULL;
	}
	return status;
}

void
poc_handover_free(poc_handover *h)
{
	if (!h)
		return;
	poc_smtp_close(h->smtp);
	g_free(h);
}

int
poc_handover_submit(const poc_config *cfg, const char *rcpt, GBytes *payload, char **diagnostic)
{
	poc_handover *h = poc_handover_new(cfg);
	int status = poc_handover_send(h, rcpt, payload, diagnostic);

	poc_handover_free(h);
	return status;
}
