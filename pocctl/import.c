/*
 * NAME
 *	import.c - pocctl import: file mail that arrived while the filter
 *	was down
 * SYNOPSIS
 *	pocctl import PATH...
 * DESCRIPTION
 *	PATH is a message file, a Maildir (cur/ and new/, in name order), a
 *	directory of message files or an mbox (messages start at "From "
 *	after a blank line; >From quoting is kept as stored). Each message is
 *	filed in one write transaction from the file's bytes
 *	(poc_process_message), never through the spool, which is the
 *	daemon's alone; a message already filed is skipped (duplicate). The
 *	envelope sender is the Return-Path header, or unknown.
 * SECURITY
 *	Decrypted text stays in memory. File names and errors are printed
 *	through cli_tty().
 * DIAGNOSTICS
 *	"imported: N filed, N duplicates skipped, N failed"; exit 5 if any
 *	message failed (each said on stderr), 0 otherwise.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pocctl.h"
#include "process.h"

/* --- import ------------------------------------------------------------------- */

typedef struct import_ctx {
	poc_runtime *rt;
	poc_crypto *crypto;
	int filed, duplicates, failed, seen;
} import_ctx;

/*
 * The envelope sender of a delivered message is its Return-Path header
 * (added at delivery). Without one the sender is unknown (NULL), not
 * empty: an empty sender means a bounce, which is never acknowledged.
 */
static char *
return_path(const char *data, gsize len)
{
	const char *p = data, *end = data + MIN(len, 65536);

	while (p < end && *p != '\n' && *p != '\r') {
		const char *eol = memchr(p, '\n', end - p);

		if (!eol)
			eol = end;
		if (eol - p > 12 && g_ascii_strncasecmp(p, "Return-Path:", 12) == 0) {
			const char *lt = memchr(p, '<', eol - p), *gt;

			if (lt && (gt = memchr(lt, '>', eol - lt)))
				return g_strndup(lt + 1, gt - lt - 1);
			return NULL;
		}
		p = eol + 1;
	}
	return NULL;
}

static void
import_bytes(import_ctx *ic, const char *data, gsize len, gint64 received_at, const char *source)
{
	poc_spool_info info = { 0 };
	GError *err = NULL;
	poc_process_result result = POC_FILED;
	char *sender = return_path(data, len);
	GBytes *raw = g_bytes_new_static(data, len);
	int status;

	info.received_at = received_at > 0 ? received_at : poc_now();
	info.source = (char *)source;
	info.envelope_from = sender;
	/*
	 * Not through the spool: the daemon's filers take whatever is spooled.
	 * One write transaction files it (or nothing, if we are killed); the
	 * mailbox keeps it until then, and a re-run skips what is filed.
	 */
	status = poc_process_message(ic->rt, ic->crypto, raw, &info, &result, &err);
	g_bytes_unref(raw);
	if (status != POC_OK) {
		fprintf(stderr, "pocctl: import %s: %s\n", cli_tty(source), err ? cli_tty(err->message) : "?");
		g_clear_error(&err);
		ic->failed++;
	} else if (result == POC_DUPLICATE) {
		ic->duplicates++;
	} else {
		ic->filed++;
	}
	g_free(sender);
	if (++ic->seen % 1000 == 0 && isatty(2))
		fprintf(stderr, "\rpocctl: %d messages read...", ic->seen);
}

static void
import_file(import_ctx *ic, const char *path)
{
	char *data;
	gsize len;
	GError *err = NULL;
	struct stat st;

	if (!g_file_get_contents(path, &data, &len, &err)) {
		fprintf(stderr, "pocctl: %s\n", err->message);
		g_error_free(err);
		ic->failed++;
		return;
	}
	if (len > 5 && strncmp(data, "From ", 5) == 0) {
		/* mbox: messages start at "From " after a blank line (or the file start). */
		const char *p = data, *end = data + len;

		while (p < end) {
			const char *body = memchr(p, '\n', end - p);
			const char *next = body;

			if (!body)
				break;
			body++;
			next = body;
			while ((next = g_strstr_len(next, end - next, "\nFrom ")) &&
			       !(next > data && next[-1] == '\n'))
				next++;
			{
				const char *stop = next ? next + 1 : end;
				/* Undo >From quoting is not done: the bytes are kept as stored. */
				import_bytes(ic, body, stop - body, poc_mbox_from_date(p, body - 1 - p),
					     path);
				p = stop;
			}
			if (!next)
				break;
		}
	} else {
		stat(path, &st);
		import_bytes(ic, data, len, st.st_mtime, path);
	}
	g_free(data);
}

static void
import_path(import_ctx *ic, const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "pocctl: %s: %s\n", path, g_strerror(errno));
		ic->failed++;
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		/* A Maildir (cur/ and new/), or a directory of message files. */
		static const char *const sub[] = { "cur", "new", NULL };
		gboolean maildir = FALSE;

		for (int i = 0; sub[i]; i++) {
			char *dir = g_build_filename(path, sub[i], NULL);
			GDir *d = g_dir_open(dir, 0, NULL);
			const char *name;
			GPtrArray *names = g_ptr_array_new_with_free_func(g_free);

			if (d) {
				maildir = TRUE;
				while ((name = g_dir_read_name(d)))
					if (name[0] != '.')
						g_ptr_array_add(names, g_build_filename(dir, name, NULL));
				g_dir_close(d);
			}
			g_ptr_array_sort(names, (GCompareFunc)g_strcmp0);
			for (guint j = 0; j < names->len; j++)
				import_file(ic, g_ptr_array_index(names, j));
			g_ptr_array_unref(names);
			g_free(dir);
		}
		if (!maildir) {
			GDir *d = g_dir_open(path, 0, NULL);
			const char *name;

			while (d && (name = g_dir_read_name(d))) {
				char *file = g_build_filename(path, name, NULL);
				if (name[0] != '.')
					import_path(ic, file);
				g_free(file);
			}
			if (d)
				g_dir_close(d);
		}
	} else {
		import_file(ic, path);
	}
}

int
cmd_import(int argc, char **argv)
{
	import_ctx ic = { 0 };
	GError *err = NULL;

	if (argc < 2)
		cli_die(EXIT_USAGE, "usage: pocctl import PATH...");
	ic.rt = cli_open_runtime(0);
	if (poc_crypto_new(ic.rt->cfg->gnupg_home, &ic.crypto, &err) != POC_OK) {
		fprintf(stderr, "pocctl: GnuPG home %s: %s: importing without decryption\n",
			ic.rt->cfg->gnupg_home, err ? err->message : "?");
		g_clear_error(&err);
	}
	for (int i = 1; i < argc; i++)
		import_path(&ic, argv[i]);
	if (ic.seen >= 1000 && isatty(2))
		fputc('\n', stderr);
	printf("imported: %d filed, %d duplicates skipped, %d failed\n", ic.filed, ic.duplicates,
	       ic.failed);
	if (ic.crypto)
		poc_crypto_free(ic.crypto);
	poc_runtime_close(ic.rt);
	return ic.failed ? EXIT_FAIL : 0;
}
