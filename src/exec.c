/*
 * NAME
 *	exec.c - run a command with a time limit
 * SYNOPSIS
 *	#include "exec.h"
 *
 *	int poc_exec_run(const char *command, GBytes *input, gint64 timeout,
 *			 char **diagnostic);
 * DESCRIPTION
 *	The command is started with GSubprocess (no shell; argv from
 *	g_shell_parse_argv). Writing stdin, reading stderr and waiting for
 *	the exit run asynchronously on a private main context, so that a
 *	timer can stop them (g_subprocess_communicate would drop the stderr
 *	of a command that exits without reading its stdin). The caller's
 *	thread needs no main loop of its own.
 * DIAGNOSTICS
 *	"ARGV0 exited with N: FIRST LINE OF STDERR", "ARGV0 killed by signal
 *	N: ...", "ARGV0 killed after Ns", or why it could not start.
 * SECURITY
 *	No shell: the command's words are not interpreted. A hung command is
 *	killed (SIGKILL) at the timeout; stderr is kept to 300 bytes, first
 *	line only.
 */
#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "exec.h"
#include "poc.h"

#define DEFAULT_TIMEOUT 30
#define DIAGNOSTIC_MAX 300	/* bytes of stderr looked at for the first line */

/* The three asynchronous parts of one run, and the timers' flags. */
typedef struct exec_wait {
	int pending;		/* operations not yet finished */
	gboolean timed_out, exited, grace_over;
	GOutputStream *errbuf;	/* GMemoryOutputStream */
	GBytes *input;
} exec_wait;

static void
exec_written(GObject *source, GAsyncResult *res, gpointer data)
{
	exec_wait *x = data;

	/* EPIPE: the command did not read its stdin; its exit status decides. */
	g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), res, NULL, NULL);
	g_output_stream_close(G_OUTPUT_STREAM(source), NULL, NULL);
	x->pending--;
}

static void
exec_spliced(GObject *source, GAsyncResult *res, gpointer data)
{
	g_output_stream_splice_finish(G_OUTPUT_STREAM(source), res, NULL);
	((exec_wait *)data)->pending--;
}

static void
exec_exited(GObject *source, GAsyncResult *res, gpointer data)
{
	exec_wait *x = data;

	if (g_subprocess_wait_finish(G_SUBPROCESS(source), res, NULL))
		x->exited = TRUE;
	x->pending--;
}

static gboolean
exec_timeout(gpointer data)
{
	((exec_wait *)data)->timed_out = TRUE;
	return G_SOURCE_REMOVE;
}

static gboolean
exec_grace(gpointer data)
{
	((exec_wait *)data)->grace_over = TRUE;
	return G_SOURCE_REMOVE;
}

/* Split and start command; NULL (with *status and *diagnostic) when it cannot be. */
static GSubprocess *
exec_start(const char *command, char ***argv, int *status, char **diagnostic)
{
	GError *err = NULL;
	GSubprocess *proc;

	if (!g_shell_parse_argv(command, NULL, argv, &err)) {
		*diagnostic = g_strdup_printf("cannot split the command line: %s", err->message);
		g_error_free(err);
		*status = POC_ERR_CONFIG;
		return NULL;
	}
	proc = g_subprocess_newv((const char *const *)*argv,
				 G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
					 G_SUBPROCESS_FLAGS_STDERR_PIPE,
				 &err);
	if (!proc) {
		*diagnostic = g_strdup(err->message);
		g_error_free(err);
		*status = POC_ERR_SEND;
	}
	return proc;
}

/*
 * Feed stdin, collect stderr and wait for the exit on ctx, killing proc
 * after timeout seconds. TRUE when it was killed.
 */
static gboolean
exec_wait_for(GSubprocess *proc, GMainContext *ctx, exec_wait *x, gint64 timeout)
{
	GCancellable *cancel = g_cancellable_new();
	GSource *timer, *grace = NULL;
	gboolean killed = FALSE;

	x->pending = 3;
	g_output_stream_write_all_async(g_subprocess_get_stdin_pipe(proc),
					g_bytes_get_data(x->input, NULL), g_bytes_get_size(x->input),
					G_PRIORITY_DEFAULT, cancel, exec_written, x);
	g_output_stream_splice_async(x->errbuf, g_subprocess_get_stderr_pipe(proc),
				     G_OUTPUT_STREAM_SPLICE_CLOSE_SOURCE |
					     G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET,
				     G_PRIORITY_DEFAULT, cancel, exec_spliced, x);
	g_subprocess_wait_async(proc, cancel, exec_exited, x);
	timer = g_timeout_source_new_seconds((guint)MIN(timeout, 86400));
	g_source_set_callback(timer, exec_timeout, x, NULL);
	g_source_attach(timer, ctx);
	while (x->pending > 0) {
		if (x->timed_out && !x->exited && !killed) {
			/* Hung: kill it, and stop feeding and reading it. */
			g_subprocess_force_exit(proc);
			g_cancellable_cancel(cancel);
			killed = TRUE;
		}
		if (x->exited && !grace) {
			/*
			 * It exited but something it started still holds stderr
			 * (a backgrounded helper): judge it by its exit after a
			 * second, do not wait for the helper.
			 */
			grace = g_timeout_source_new(1000);
			g_source_set_callback(grace, exec_grace, x, NULL);
			g_source_attach(grace, ctx);
		}
		if (x->grace_over)
			g_cancellable_cancel(cancel);
		g_main_context_iteration(ctx, TRUE);
	}
	g_source_destroy(timer);
	g_source_unref(timer);
	if (grace) {
		g_source_destroy(grace);
		g_source_unref(grace);
	}
	g_object_unref(cancel);
	return killed;
}

/* The outcome of a command that was not killed: its exit status, and stderr's first line. */
static int
exec_verdict(GSubprocess *proc, const char *name, GOutputStream *errbuf, char **diagnostic)
{
	GMemoryOutputStream *mem = G_MEMORY_OUTPUT_STREAM(errbuf);
	gsize n = g_memory_output_stream_get_data_size(mem);
	const char *text;
	char *first;
	gboolean exited = g_subprocess_get_if_exited(proc);

	if (exited && g_subprocess_get_exit_status(proc) == 0)
		return POC_OK;
	text = g_memory_output_stream_get_data(mem);
	first = g_strndup(text ? text : "", MIN(n, DIAGNOSTIC_MAX));
	first[strcspn(first, "\r\n")] = '\0';
	if (exited)
		*diagnostic = g_strdup_printf("%s exited with %d%s%s", name,
					      g_subprocess_get_exit_status(proc), *first ? ": " : "",
					      first);
	else
		*diagnostic = g_strdup_printf("%s killed by signal %d%s%s", name,
					      g_subprocess_get_term_sig(proc), *first ? ": " : "",
					      first);
	g_free(first);
	/* 75 is EX_TEMPFAIL (sysexits.h): sendmail's "try again later". */
	return exited && g_subprocess_get_exit_status(proc) == 75 ? POC_ERR_TEMP : POC_ERR_SEND;
}

int
poc_exec_run(const char *command, GBytes *input, gint64 timeout, char **diagnostic)
{
	char **argv = NULL;
	GSubprocess *proc;
	GMainContext *ctx;
	exec_wait x = { 0 };
	int status = POC_OK;

	*diagnostic = NULL;
	if (timeout <= 0)
		timeout = DEFAULT_TIMEOUT;
	if (!(proc = exec_start(command, &argv, &status, diagnostic))) {
		g_strfreev(argv);
		return status;
	}
	/* A private main context: the daemon's threads have no main loop. */
	ctx = g_main_context_new();
	g_main_context_push_thread_default(ctx);
	x.input = input ? g_bytes_ref(input) : g_bytes_new_static("", 0);
	x.errbuf = g_memory_output_stream_new_resizable();
	if (exec_wait_for(proc, ctx, &x, timeout)) {
		g_subprocess_wait(proc, NULL, NULL);
		*diagnostic = g_strdup_printf("%s killed after %" G_GINT64_FORMAT "s", argv[0], timeout);
		status = POC_ERR_TEMP;
	} else {
		g_subprocess_wait(proc, NULL, NULL);
		status = exec_verdict(proc, argv[0], x.errbuf, diagnostic);
	}
	g_object_unref(x.errbuf);
	g_bytes_unref(x.input);
	g_object_unref(proc);
	g_main_context_pop_thread_default(ctx);
	g_main_context_unref(ctx);
	g_strfreev(argv);
	return status;
}
