/*
 * NAME
 *	pocmilter - file and acknowledge vulnerability notices from inside
 *	the MTA (milter)
 * SYNOPSIS
 *	pocmilter [-f] [-v] [-c FILE]
 *	pocmilter -n [-c FILE]
 *	pocmilter -C
 * DESCRIPTION
 *	Callbacks (one libmilter thread per MTA connection) only collect
 *	and spool: mail to no Watch address leaves at DATA (no headers, no
 *	body are sent to us); POC mail is collected, spooled durably at end
 *	of message, then released. A worker thread decrypts, files and
 *	acknowledges what is spooled (worker.c), sends the outbox
 *	(outbox.c) and keeps the heartbeat. The main thread only waits for
 *	signals: SIGHUP reloads the configuration (a bad one keeps the old),
 *	SIGTERM and SIGINT stop.
 *
 *	Start order: config, database, socket, pid file, then the drop to
 *	User, then serve.
 * SECURITY
 *	Never rejects and never changes the body. Only an X-POC-Case header
 *	arriving from outside is removed (and ours added with AddHeader).
 *	Decrypted text exists only inside the worker, in memory.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "log.h"
#include "notice.h"
#include "outbox.h"
#include "page.h"
#include "worker.h"

/* --- shared state ------------------------------------------------------ */

static poc_runtime *runtime;		/* guarded by runtime_lock for cfg swaps */
static GRWLock runtime_lock;
static char *config_path;

static GMutex work_lock;
static GCond work_cond;
static gboolean work_pending;
static volatile gboolean stopping;

static void
wake_worker(void)
{
	g_mutex_lock(&work_lock);
	work_pending = TRUE;
	g_cond_signal(&work_cond);
	g_mutex_unlock(&work_lock);
}

/* --- per-message state --------------------------------------------------- */

typedef struct conn {
	char *sender;
	GPtrArray *rcpts;	/* watched recipients */
	gboolean own;		/* from AckFrom: look for our acknowledgement's Message-ID */
	char *own_message_id;
	GByteArray *raw;	/* POC mail: headers then body, LF line ends */
	gboolean too_big;
	gboolean in_body;
	int xpoc_headers;	/* X-POC-Case headers from outside, to remove */
	char *subject_tn;
} conn;

static void
conn_reset(conn *c)
{
	g_clear_pointer(&c->sender, g_free);
	g_clear_pointer(&c->own_message_id, g_free);
	g_clear_pointer(&c->subject_tn, g_free);
	if (c->rcpts)
		g_ptr_array_set_size(c->rcpts, 0);
	if (c->raw)
		g_byte_array_set_size(c->raw, 0);
	c->own = c->too_big = c->in_body = FALSE;
	c->xpoc_headers = 0;
}

static conn *
conn_get(SMFICTX *ctx)
{
	conn *c = smfi_getpriv(ctx);

	if (!c) {
		c = g_new0(conn, 1);
		c->rcpts = g_ptr_array_new_with_free_func(g_free);
		smfi_setpriv(ctx, c);
	}
	return c;
}

static void
append_raw(conn *c, const void *data, size_t len)
{
	const poc_config *cfg = runtime->cfg;

	if (c->too_big)
		return;
	if (c->raw->len + len > cfg->max_message_size) {
		c->too_big = TRUE;
		return;
	}
	g_byte_array_append(c->raw, data, len);
}

/* --- callbacks ------------------------------------------------------------ */

static sfsistat
cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
	     unsigned long f3, unsigned long *pf0, unsigned long *pf1, unsigned long *pf2,
	     unsigned long *pf3)
{
	/* Only what is used: no connect/helo/unknown callbacks; raw header values. */
	unsigned long want = SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NOUNKNOWN | SMFIP_HDR_LEADSPC;

	*pf0 = (SMFIF_ADDHDRS | SMFIF_CHGHDRS) & f0;
	*pf1 = want & f1;
	*pf2 = *pf3 = 0;
	(void)f2;
	(void)f3;
	smfi_setsymlist(ctx, SMFIM_EOM, "i");
	return SMFIS_CONTINUE;
}

static sfsistat
cb_envfrom(SMFICTX *ctx, char **argv)
{
	conn *c = conn_get(ctx);
	const poc_config *cfg;

	conn_reset(c);
	c->sender = g_strdup(argv[0] ? argv[0] : "");
	g_rw_lock_reader_lock(&runtime_lock);
	cfg = runtime->cfg;
	if (cfg->ack_from) {
		const GPtrArray one = { .pdata = (gpointer *)&cfg->ack_from, .len = 1 };
		c->own = poc_config_address_in(&one, c->sender);
	}
	g_rw_lock_reader_unlock(&runtime_lock);
	return SMFIS_CONTINUE;
}

static sfsistat
cb_envrcpt(SMFICTX *ctx, char **argv)
{
	conn *c = conn_get(ctx);

	/* Never SMFIS_ACCEPT here: it would accept the whole message, and a
	 * later watched recipient would be missed. */
	g_rw_lock_reader_lock(&runtime_lock);
	if (argv[0] && poc_config_address_in(runtime->cfg->watch, argv[0]))
		g_ptr_array_add(c->rcpts, g_strdup(argv[0]));
	g_rw_lock_reader_unlock(&runtime_lock);
	return SMFIS_CONTINUE;
}

static sfsistat
cb_data(SMFICTX *ctx)
{
	conn *c = conn_get(ctx);

	if (c->rcpts->len == 0 && !c->own)
		return SMFIS_ACCEPT;	/* not ours: no headers, no body */
	if (c->rcpts->len && !c->raw)
		c->raw = g_byte_array_sized_new(16384);
	return SMFIS_CONTINUE;
}

static sfsistat
cb_header(SMFICTX *ctx, char *name, char *value)
{
	conn *c = conn_get(ctx);

	if (c->own && g_ascii_strcasecmp(name, "Message-ID") == 0) {
		g_free(c->own_message_id);
		c->own_message_id = g_strstrip(g_strdup(value));
	}
	if (!c->rcpts->len)
		return SMFIS_CONTINUE;
	if (g_ascii_strcasecmp(name, "X-POC-Case") == 0)
		c->xpoc_headers++;
	append_raw(c, name, strlen(name));
	append_raw(c, ":", 1);
	/* Folded values come with CRLF from some MTAs: keep LF only. */
	for (const char *p = value; *p; p++)
		if (*p != '\r')
			append_raw(c, p, 1);
	append_raw(c, "\n", 1);
	return SMFIS_CONTINUE;
}

static sfsistat
cb_eoh(SMFICTX *ctx)
{
	conn *c = conn_get(ctx);

	if (c->rcpts->len)
		append_raw(c, "\n", 1);
	else if (c->own)
		return SMFIS_CONTINUE;
	return SMFIS_CONTINUE;
}

static sfsistat
cb_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	conn *c = conn_get(ctx);
	size_t start = 0;

	if (!c->rcpts->len)
		return SMFIS_CONTINUE;
	/* CRLF on the wire, LF in the spool. */
	for (size_t i = 0; i < len; i++) {
		if (chunk[i] == '\r' && i + 1 < len && chunk[i + 1] == '\n') {
			append_raw(c, chunk + start, i - start);
			start = i + 1;
		}
	}
	if (start < len) {
		/* A CR at the very end of a chunk whose LF starts the next one. */
		if (chunk[len - 1] == '\r') {
			append_raw(c, chunk + start, len - 1 - start);
		} else {
			append_raw(c, chunk + start, len - start);
		}
	}
	return SMFIS_CONTINUE;
}

static sfsistat
cb_eom(SMFICTX *ctx)
{
	conn *c = conn_get(ctx);
	poc_spool_info info = { 0 };
	GError *err = NULL;
	guint64 id = 0;
	int status;
	sfsistat verdict = SMFIS_CONTINUE;
	const char *qid = smfi_getsymval(ctx, "i");

	if (c->own && c->own_message_id)
		poc_outbox_seen(runtime->store, c->own_message_id);
	if (!c->rcpts->len)
		return SMFIS_CONTINUE;
	/* Whatever happens next, no X-POC-Case from outside reaches the mailbox. */
	for (int i = c->xpoc_headers; i >= 1; i--)
		smfi_chgheader(ctx, "X-POC-Case", i, NULL);
	if (c->too_big) {
		msg_error("queue_id=%s POC mail over MaxMessageSize: delivered, not spooled",
			  qid ? qid : "-");
		return SMFIS_CONTINUE;
	}
	info.received_at = poc_now();
	info.queue_id = (char *)qid;
	info.envelope_from = c->sender;
	info.recipients = c->rcpts;
	info.source = "milter";
	status = poc_store_spool_put(runtime->store, (const char *)c->raw->data, c->raw->len, &info,
				     &id, &err);
	if (status != POC_OK) {
		gboolean tempfail;

		g_rw_lock_reader_lock(&runtime_lock);
		tempfail = runtime->cfg->on_store_failure == POC_STOREFAIL_TEMPFAIL;
		g_rw_lock_reader_unlock(&runtime_lock);
		msg_error("queue_id=%s cannot spool POC mail (%s): %s", qid ? qid : "-",
			  err ? err->message : poc_strerror(status),
			  tempfail ? "temporary failure, the sender retries" : "accepted unspooled");
		g_clear_error(&err);
		if (tempfail) {
			smfi_setreply(ctx, "451", "4.3.0", "POC mail cannot be stored now, try again later");
			verdict = SMFIS_TEMPFAIL;
		}
		return verdict;
	}
	if (runtime->cfg->add_header)
		smfi_addheader(ctx, "X-POC-Case", "spooled");
	msg_verbose("queue_id=%s spooled as %" G_GUINT64_FORMAT, qid ? qid : "-", id);
	wake_worker();
	return verdict;
}

static sfsistat
cb_abort(SMFICTX *ctx)
{
	conn *c = smfi_getpriv(ctx);

	if (c)
		conn_reset(c);
	return SMFIS_CONTINUE;
}

static sfsistat
cb_close(SMFICTX *ctx)
{
	conn *c = smfi_getpriv(ctx);

	if (c) {
		conn_reset(c);
		g_ptr_array_unref(c->rcpts);
		if (c->raw)
			g_byte_array_unref(c->raw);
		g_free(c);
		smfi_setpriv(ctx, NULL);
	}
	return SMFIS_CONTINUE;
}

static struct smfiDesc filter = {
	.xxfi_name = "pocmilter",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS,
	.xxfi_envfrom = cb_envfrom,
	.xxfi_envrcpt = cb_envrcpt,
	.xxfi_header = cb_header,
	.xxfi_eoh = cb_eoh,
	.xxfi_body = cb_body,
	.xxfi_eom = cb_eom,
	.xxfi_abort = cb_abort,
	.xxfi_close = cb_close,
	.xxfi_data = cb_data,
	.xxfi_negotiate = cb_negotiate,
};

/* --- the worker ----------------------------------------------------------- */

static gpointer
worker_main(gpointer unused)
{
	poc_crypto *crypto = NULL;
	GError *err = NULL;
	gint64 last_beat = 0, last_watch = 0, last_recover = 0;
	gboolean first = TRUE;

	if (poc_crypto_new(runtime->cfg->gnupg_home, &crypto, &err) != POC_OK) {
		msg_error("GnuPG home %s: %s: notices are filed as not decrypted",
			  runtime->cfg->gnupg_home, err ? err->message : "?");
		g_clear_error(&err);
	}
	while (!stopping) {
		int done = 0, sent = 0;
		gint64 now;

		g_rw_lock_reader_lock(&runtime_lock);
		if (poc_process_pending(runtime, crypto, &done, &err) != POC_OK) {
			msg_error("processing the spool: %s", err ? err->message : "?");
			g_clear_error(&err);
		}
		now = poc_now();
		if (first || now - last_recover >= 10) {
			int unknown = 0;

			/* Entries a previous run left SENDING: evidence, or FAILED after the grace. */
			if (poc_outbox_recover(runtime->store, now, POC_OUTBOX_GRACE, first, &unknown,
					       &err) != POC_OK) {
				msg_error("outbox recovery: %s", err ? err->message : "?");
				g_clear_error(&err);
			}
			last_recover = now;
			first = FALSE;
		}
		if (runtime->cfg->ack_mode != POC_ACK_MODE_OFF &&
		    poc_outbox_run(runtime->store, runtime->cfg, &sent, &err) != POC_OK) {
			msg_error("outbox: %s", err ? err->message : "?");
			g_clear_error(&err);
		}
		now = poc_now();
		if (now - last_beat >= 30) {
			if (poc_store_heartbeat(runtime->store, now, &err) != POC_OK) {
				msg_error("heartbeat: %s", err ? err->message : "?");
				g_clear_error(&err);
			}
			last_beat = now;
		}
		if (now - last_watch >= 60) {
			poc_watch_status st;
			int queued = 0;

			/* Hold mode's guard, then the paging check, once a minute. */
			if (poc_ack_guard_run(runtime, crypto, now, &queued, &err) != POC_OK) {
				msg_error("ack guard: %s", err ? err->message : "?");
				g_clear_error(&err);
			}
			if (poc_watch_run(runtime, now, TRUE, TRUE, &st, &err) != POC_OK) {
				msg_error("paging check: %s", err ? err->message : "?");
				g_clear_error(&err);
			}
			poc_watch_status_clear(&st);
			last_watch = now;
		}
		g_rw_lock_reader_unlock(&runtime_lock);

		g_mutex_lock(&work_lock);
		if (!work_pending && !stopping)
			g_cond_wait_until(&work_cond, &work_lock,
					  g_get_monotonic_time() + G_TIME_SPAN_SECOND);
		work_pending = FALSE;
		g_mutex_unlock(&work_lock);
	}
	if (crypto)
		poc_crypto_free(crypto);
	return NULL;
}

/* --- start, reload, stop -------------------------------------------------- */

static void
reload(void)
{
	poc_runtime *fresh = NULL;
	GError *err = NULL;

	if (poc_runtime_open(config_path, POC_RUNTIME_NO_STORE, &fresh, &err) != POC_OK ||
	    poc_config_validate(fresh->cfg, &err) != POC_OK) {
		msg_error("reload: %s: keeping the configuration in force", err ? err->message : "?");
		g_clear_error(&err);
		poc_runtime_close(fresh);
		return;
	}
	if (g_strcmp0(fresh->cfg->database, runtime->cfg->database) ||
	    g_strcmp0(fresh->cfg->socket, runtime->cfg->socket))
		msg_warn("reload: Database and Socket changes take effect at restart");
	g_rw_lock_writer_lock(&runtime_lock);
	/* Swap everything but the store, which stays open. */
	{
		poc_runtime old = *runtime;

		runtime->cfg = fresh->cfg;
		runtime->cal = fresh->cal;
		runtime->templates = fresh->templates;
		runtime->rules = fresh->rules;
		fresh->cfg = old.cfg;
		fresh->cal = old.cal;
		fresh->templates = old.templates;
		fresh->rules = old.rules;
	}
	g_rw_lock_writer_unlock(&runtime_lock);
	poc_runtime_close(fresh);
	msg_info("reloaded %s", config_path);
	wake_worker();
}

static void
write_pid_file(const char *path)
{
	FILE *fp;

	if (!path)
		return;
	fp = fopen(path, "w");
	if (!fp)
		msg_fatal("pid file %s: %s", path, g_strerror(errno));
	fprintf(fp, "%ld\n", (long)getpid());
	if (fclose(fp) != 0)
		msg_fatal("pid file %s: %s", path, g_strerror(errno));
}

static void
chown_tree(const char *dir, uid_t uid, gid_t gid)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	if (chown(dir, uid, gid) != 0)
		msg_fatal("chown %s: %s", dir, g_strerror(errno));
	while (d && (name = g_dir_read_name(d))) {
		char *path = g_build_filename(dir, name, NULL);
		if (chown(path, uid, gid) != 0)
			msg_fatal("chown %s: %s", path, g_strerror(errno));
		g_free(path);
	}
	if (d)
		g_dir_close(d);
}

static void
prepare_socket(const poc_config *cfg, struct passwd *pw)
{
	const char *path;
	gid_t gid = pw ? pw->pw_gid : (gid_t)-1;

	if (!g_str_has_prefix(cfg->socket, "unix:") && !g_str_has_prefix(cfg->socket, "local:"))
		return;
	path = strchr(cfg->socket, ':') + 1;
	if (cfg->socket_group) {
		struct group *gr = getgrnam(cfg->socket_group);
		if (!gr)
			msg_fatal("SocketGroup %s: no such group", cfg->socket_group);
		gid = gr->gr_gid;
	}
	if (chmod(path, cfg->socket_mode) != 0)
		msg_fatal("chmod %s: %s", path, g_strerror(errno));
	if ((pw || cfg->socket_group) && chown(path, pw ? pw->pw_uid : (uid_t)-1, gid) != 0)
		msg_fatal("chown %s: %s", path, g_strerror(errno));
}

static void
drop_privileges(struct passwd *pw)
{
	if (!pw)
		return;
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0)
		msg_fatal("cannot become user %s: %s", pw->pw_name, g_strerror(errno));
	if (setuid(0) == 0)
		msg_fatal("privileges could be regained after dropping to %s", pw->pw_name);
	g_setenv("HOME", pw->pw_dir, TRUE);
}

static gpointer
milter_main(gpointer unused)
{
	int rc = smfi_main();

	if (rc != MI_SUCCESS)
		msg_error("libmilter stopped with an error");
	stopping = TRUE;
	/* Let the main thread's sigwait return. */
	kill(getpid(), SIGTERM);
	return GINT_TO_POINTER(rc);
}

static void
usage(void)
{
	fprintf(stderr, "usage: pocmilter [-f] [-v] [-c FILE]   run the milter\n"
			"       pocmilter -n [-c FILE]          check the configuration\n"
			"       pocmilter -C                    print a sample configuration\n"
			"       pocmilter -M                    print the key table for the manual\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	gboolean foreground = FALSE, check_only = FALSE;
	int verbose = 0, ch;
	GError *err = NULL;
	struct passwd *pw = NULL;
	sigset_t set;
	GThread *milter_thread, *worker_thread;
	gboolean keep_running = TRUE;

	config_path = g_strdup(SYSCONFDIR "/pocmilter/pocmilter.conf");
	while ((ch = getopt(argc, argv, "c:fnvCMV")) != -1) {
		switch (ch) {
		case 'c': g_free(config_path); config_path = g_strdup(optarg); break;
		case 'f': foreground = TRUE; break;
		case 'n': check_only = TRUE; break;
		case 'v': verbose++; break;
		case 'C': poc_config_write_sample(stdout); return 0;
		case 'M': poc_config_write_man(stdout); return 0;
		case 'V': printf("pocmilter %s\n", PACKAGE_VERSION); return 0;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	poc_log_set_verbose(verbose);
	poc_notice_init();

	if (poc_runtime_open(config_path, check_only ? POC_RUNTIME_NO_STORE : 0, &runtime, &err) !=
		    POC_OK ||
	    poc_config_validate(runtime->cfg, &err) != POC_OK) {
		fprintf(stderr, "pocmilter: %s\n", err->message);
		return 1;
	}
	if (check_only) {
		if (verbose)
			poc_config_dump(runtime->cfg, stdout);
		printf("%s: OK\n", config_path);
		return 0;
	}
	if (poc_log_open("pocmilter", runtime->cfg->syslog_facility, foreground) != 0)
		msg_fatal("SyslogFacility %s: unknown", runtime->cfg->syslog_facility);

	if (geteuid() == 0) {
		if (!runtime->cfg->user)
			msg_fatal("refusing to run as root: set User in %s", config_path);
		if (!(pw = getpwnam(runtime->cfg->user)))
			msg_fatal("User %s: no such user", runtime->cfg->user);
		chown_tree(runtime->cfg->database, pw->pw_uid, pw->pw_gid);
	}
	if (smfi_setconn(runtime->cfg->socket) != MI_SUCCESS)
		msg_fatal("Socket %s: not a valid socket", runtime->cfg->socket);
	if (smfi_register(filter) != MI_SUCCESS)
		msg_fatal("smfi_register failed");
	if (smfi_opensocket(1) != MI_SUCCESS)
		msg_fatal("Socket %s: cannot open (is another pocmilter running?)", runtime->cfg->socket);
	prepare_socket(runtime->cfg, pw);
	write_pid_file(runtime->cfg->pid_file);
	drop_privileges(pw);

	/* Signals belong to this thread alone: block them before any thread starts. */
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	msg_info("pocmilter %s starting: socket %s, database %s, ack mode %s", PACKAGE_VERSION,
		 runtime->cfg->socket, runtime->cfg->database,
		 poc_ack_mode_name(runtime->cfg->ack_mode));
	worker_thread = g_thread_new("worker", worker_main, NULL);
	milter_thread = g_thread_new("milter", milter_main, NULL);
	while (keep_running) {
		int sig = 0;

		if (sigwait(&set, &sig) != 0)
			continue;
		switch (sig) {
		case SIGHUP:
			if (!stopping)
				reload();
			break;
		default:
			keep_running = FALSE;
			break;
		}
	}
	msg_info("stopping");
	stopping = TRUE;
	smfi_stop();
	wake_worker();
	g_thread_join(milter_thread);
	g_thread_join(worker_thread);
	if (runtime->cfg->pid_file)
		unlink(runtime->cfg->pid_file);
	poc_runtime_close(runtime);
	g_free(config_path);
	msg_info("stopped");
	return 0;
}
