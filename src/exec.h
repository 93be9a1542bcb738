/*
 * NAME
 *	exec.h - run a command with a time limit (PageCommand, AckSendmail)
 * DESCRIPTION
 *	poc_exec_run() runs command (split like a shell would, no shell) with
 *	input on stdin and stdout discarded, and kills it after timeout
 *	seconds. A command that exited is judged by its exit status even when
 *	something it left running still holds its stderr (read for a second
 *	more, then abandoned).
 * ERRORS
 *	POC_OK when it exited 0; otherwise *diagnostic (to free) says why:
 *	POC_ERR_CONFIG: the command cannot be split;
 *	POC_ERR_SEND: non-zero exit, killed by a signal, or cannot start;
 *	POC_ERR_TEMP: exit 75 (EX_TEMPFAIL), or killed on timeout.
 *	The diagnostic of a failed exit carries the first line of stderr.
 */
#ifndef POC_EXEC_H
#define POC_EXEC_H

#include <glib.h>

G_BEGIN_DECLS

/* timeout in seconds; <= 0: 30. */
int poc_exec_run(const char *command, GBytes *input, gint64 timeout, char **diagnostic);

G_END_DECLS

#endif
