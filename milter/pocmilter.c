/*
 * NAME
 *	pocmilter - file and acknowledge vulnerability notices from inside
 *	the MTA (milter)
 * SYNOPSIS
 *	pocmilter [-f] [-v] [-c FILE]
 *	pocmilter -n [-v] [-c FILE]
 *	pocmilter -C | -M | -V
 * DESCRIPTION
 *	Callbacks (one libmilter thread per MTA connection) only collect
 *	and spool: mail to no Watch address leaves at DATA (no headers, no
 *	body are sent to us); POC mail is collected, spooled durably at end
 *	of message, then released. Filer threads (Workers) decrypt, file
 *	and compose the acknowledgements of what is spooled (process.c; no
 *	other process files the spool, so the filers' claims are
 *	in-process); the sender thread sends the outbox (outbox.c) and keeps
 *	the heartbeat; its schedule (heartbeat every 30 s, AckGuard and the
 *	paging check every 60 s) runs on the monotonic clock, and a step of the wall clock (more than 120 s
 *	against the monotonic one) is logged and runs them at once. The
 *	main thread only waits for
 *	signals: SIGHUP reloads the configuration (a bad one keeps the old),
 *	SIGTERM and SIGINT stop. Each MTA connection pins the configuration
 *	current at its start (runtime.h) and its callbacks read only that
 *	one, so a reload never mixes two configurations in one message. Under systemd it says READY=1 once the
 *	socket listens and feeds the watchdog from the filers' and the
 *	sender's progress (notify.c).
 *
 *	Negotiation asks for what is used and no more: no connect, HELO or
 *	unknown-command events, no replies for MAIL, RCPT, headers, end of
 *	headers and body chunks (we always go on there), and only the
 *	macros {rcpt_addr} (RCPT) and i (DATA). libmilter keeps the macros
 *	of earlier stages of the message, so i read at end of message is the
 *	one sent at DATA: sendmail honours the list for RCPT and DATA but
 *	sends its own for end of message.
 *
 *	Start order (Postfix's single_server.c): read the config, check the
 *	database and hand it to User as root, open it with User's effective
 *	ids, open the socket as root, write the pid file, then drop to User
 *	and its groups, then serve.
 *
 *	Limits: MaxMessageSize bounds one POC message held in memory (a
 *	longer one is delivered whole, and its first MaxMessageSize bytes
 *	spooled and filed with a problem, paged too-large),
 *	MaxConnections the connections served at once; over it, POC mail
 *	gets a temporary failure at DATA (before any byte of it is sent),
 *	so memory stays under MaxConnections x MaxMessageSize.
 * DIAGNOSTICS
 *	Exit 0 after SIGTERM/SIGINT; 1 when the configuration or the
 *	environment is wrong (the message names the file, line and key).
 *	One log line per notice filed (process.c); errors of the spool are
 *	logged with the MTA's queue id.
 * SECURITY
 *	Never rejects and never changes the body. Only an X-POC-Case header
 *	arriving from outside is removed (and ours added with AddHeader).
 *	Decrypted text exists only inside the filer threads, in memory.
 *
 *	The pid file and the socket stay where root put them; at exit the
 *	unprivileged daemon removes them when their directory lets it
 *	(tmpfiles.d gives it /run/pocmilter), and otherwise empties the pid
 *	file so that no stale pid names a live process.
 *
 *	As root, nothing follows a name User could have replaced (User owns
 *	the database directory and may own the socket's):
 *	- database: the directory, data.mdb and lock.mdb must be plain
 *	  (no symbolic link, one hard link) and owned by root or User, or the
 *	  start is refused naming the path; they are opened with O_NOFOLLOW,
 *	  checked with fstat and given to User with fchown/fchmod on the
 *	  descriptor; LMDB then opens them with User's effective ids and
 *	  groups, so a link planted after the checks gains User nothing;
 *	- socket: bound (through /proc/self/fd) in a fresh 0700 directory of
 *	  root's next to the socket's path, chowned and chmodded there, and
 *	  renamed into place: it never exists with root's owner or a wider
 *	  mode; at exit only that socket (same inode) is removed;
 *	- pid file: O_NOFOLLOW, truncated and fchowned only when fstat shows
 *	  a plain file of root or User with one link.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "preflight.h"
#include "log.h"
#include "notify.h"
#include "notice.h"
#include "outbox.h"
#include "page.h"
#include "process.h"

/* --- shared state ------------------------------------------------------ */

static poc_runtime *runtime;		/* guarded by runtime_lock for cfg swaps (filers, sender) */
static GRWLock runtime_lock;
static char *config_path;

static GMutex work_lock;
static GCond work_cond;
static gboolean work_pending;
static volatile gboolean stopping;
static gint active_connections;	/* MTA connections open now (g_atomic) */

/* The last attempt to spool POC mail failed (g_atomic): the sender pages store-failed. */
static gint store_failing;

static GMutex send_lock;
static GCond send_cond;
static gboolean send_pending;

static void
wake_sender(void)
{
	g_mutex_lock(&send_lock);
	send_pending = TRUE;
	g_cond_signal(&send_cond);
	g_mutex_unlock(&send_lock);
}

/* New spooled mail (or a reload, or the stop): every filer and the sender look. */
static void
wake_filers_and_sender(void)
{
	g_mutex_lock(&work_lock);
	work_pending = TRUE;
	g_cond_broadcast(&work_cond);
	g_mutex_unlock(&work_lock);
	wake_sender();
}

/* --- per-message state --------------------------------------------------- */

/*
 * One MTA connection. Its configuration is pinned when it starts and
 * released when it closes: every callback reads that one, without a lock,
 * so a reload in the middle of a message never mixes two configurations;
 * the next connection gets the new one.
 */
typedef struct conn {
	poc_config_pin *pin;
	const poc_config *cfg;	/* the pinned configuration */
	char *sender;
	GPtrArray *rcpts;	/* watched recipients */
	gboolean own;		/* from AckFrom: look for our acknowledgement's Message-ID */
	char *own_message_id;
	GByteArray *raw;	/* POC mail: headers then body, LF line ends */
	gboolean too_big;
	gboolean in_body;
	int xpoc_headers;	/* X-POC-Case headers from outside, to remove */
	char *subject_tn;
	unsigned long no_reply;	/* SMFIP_NR_* the MTA agreed to */
	gboolean can_chgheader;	/* the MTA lets us remove headers */
	gsize max_size;		/* MaxMessageSize when DATA began */
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
		c->pin = poc_runtime_pin_config(runtime);
		c->cfg = poc_config_pin_get(c->pin);
		c->rcpts = g_ptr_array_new_with_free_func(g_free);
		smfi_setpriv(ctx, c);
	}
	return c;
}

/*
 * Over MaxMessageSize, keep the first MaxMessageSize bytes and one more:
 * that start (envelope, headers) is spooled and filed, and the reader sees
 * a message longer than its limit (POC_PROBLEM_TOO_LARGE: paged too-large).
 */
static void
append_raw(conn *c, const void *data, size_t len)
{
	if (c->too_big)
		return;
	if (c->raw->len + len > c->max_size) {
		c->too_big = TRUE;
		len = c->max_size + 1 - c->raw->len;
	}
	g_byte_array_append(c->raw, data, len);
}

/* What a callback returns where it always goes on: no reply when agreed. */
static sfsistat
go_on(const conn *c, unsigned long nr_bit)
{
	return (c->no_reply & nr_bit) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

/* --- callbacks ------------------------------------------------------------ */

static sfsistat
cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
	     unsigned long f3, unsigned long *pf0, unsigned long *pf1, unsigned long *pf2,
	     unsigned long *pf3)
{
	/* Events we have no callback for, raw header values. */
	const unsigned long skip = SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NOUNKNOWN | SMFIP_HDR_LEADSPC;
	/*
	 * Where we always go on, the MTA need not wait for us. Not DATA (the
	 * watched/unwatched decision, and back-pressure) and not end of message.
	 */
	const unsigned long no_reply = SMFIP_NR_MAIL | SMFIP_NR_RCPT | SMFIP_NR_HDR |
				       SMFIP_NR_EOH | SMFIP_NR_BODY;
	conn *c = conn_get(ctx);

	g_atomic_int_inc(&active_connections);
	*pf0 = (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_SETSYMLIST) & f0;
	*pf1 = (skip | no_reply) & f1;
	*pf2 = *pf3 = 0;
	(void)f2;
	(void)f3;
	c->no_reply = no_reply & f1;
	c->can_chgheader = (f0 & SMFIF_CHGHDRS) != 0;
	/* Only the macros used; an MTA that cannot narrow them sends its defaults. */
	if (f0 & SMFIF_SETSYMLIST) {
		smfi_setsymlist(ctx, SMFIM_ENVRCPT, "{rcpt_addr}");
		smfi_setsymlist(ctx, SMFIM_DATA, "i");
		smfi_setsymlist(ctx, SMFIM_EOM, "i");
	}
	return SMFIS_CONTINUE;
}

static sfsistat
cb_envfrom(SMFICTX *ctx, char **argv)
{
	conn *c = conn_get(ctx);
	const poc_config *cfg = c->cfg;

	conn_reset(c);
	c->sender = g_strdup(argv[0] ? argv[0] : "");
	if (cfg->ack_from) {
		const GPtrArray one = { .pdata = (gpointer *)&cfg->ack_from, .len = 1 };
		c->own = poc_config_address_in(&one, c->sender);
	}
	return go_on(c, SMFIP_NR_MAIL);
}

static sfsistat
cb_envrcpt(SMFICTX *ctx, char **argv)
{
	conn *c = conn_get(ctx);
	/*
	 * The argument as the client sent it, and {rcpt_addr} as the MTA
	 * resolved it (postfix: the same address; sendmail: after its
	 * rewriting, only the local part for a mailbox it delivers itself).
	 * Either may match; a bare local part never does (conf.c).
	 */
	const char *rcpt_addr = smfi_getsymval(ctx, "{rcpt_addr}");
	char *watched;

	/* Never SMFIS_ACCEPT here: it would accept the whole message, and a
	 * later watched recipient would be missed. */
	watched = poc_config_watched_recipient(c->cfg, argv[0], rcpt_addr);
	if (watched)
		g_ptr_array_add(c->rcpts, watched);
	return go_on(c, SMFIP_NR_RCPT);
}

static sfsistat
cb_data(SMFICTX *ctx)
{
	conn *c = conn_get(ctx);
	int limit, active;
	const char *qid;

	if (c->rcpts->len == 0 && !c->own)
		return SMFIS_ACCEPT;	/* not ours: no headers, no body */
	if (c->rcpts->len == 0)
		return SMFIS_CONTINUE;	/* our own acknowledgement: only its Message-ID */
	limit = c->cfg->max_connections;
	c->max_size = c->cfg->max_message_size;
	active = g_atomic_int_get(&active_connections);
	if (active > limit) {
		/* Back-pressure: the MTA keeps the mail and retries; our memory stays bounded. */
		qid = smfi_getsymval(ctx, "i");
		msg_warn("event=busy queue_id=%s connections=%d max_connections=%d action=tempfail",
			 poc_log_q(qid ? qid : "-"), active, limit);
		smfi_setreply(ctx, "451", "4.3.2", "POC filter busy, try again later");
		return SMFIS_TEMPFAIL;
	}
	if (!c->raw)
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
		return go_on(c, SMFIP_NR_HDR);
	if (g_ascii_strcasecmp(name, "X-POC-Case") == 0)
		c->xpoc_headers++;
	append_raw(c, name, strlen(name));
	append_raw(c, ":", 1);
	/* Folded values come with CRLF from some MTAs: keep LF only. */
	for (const char *p = value; *p;) {
		size_t run = strcspn(p, "\r");

		append_raw(c, p, run);
		p += run;
		if (*p == '\r')
			p++;
	}
	append_raw(c, "\n", 1);
	return go_on(c, SMFIP_NR_HDR);
}

static sfsistat
cb_eoh(SMFICTX *ctx)
{
	conn *c = conn_get(ctx);

	if (c->rcpts->len)
		append_raw(c, "\n", 1);
	return go_on(c, SMFIP_NR_EOH);
}

static sfsistat
cb_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	conn *c = conn_get(ctx);
	size_t start = 0;

	if (!c->rcpts->len || c->too_big)
		return go_on(c, SMFIP_NR_BODY);
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
	return go_on(c, SMFIP_NR_BODY);
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
	if (c->xpoc_headers && !c->can_chgheader)
		msg_warn("event=header-kept queue_id=%s header=X-POC-Case detail=\"the MTA does not "
			 "let us remove it\"", poc_log_q(qid ? qid : "-"));
	for (int i = c->xpoc_headers; i >= 1 && c->can_chgheader; i--)
		smfi_chgheader(ctx, "X-POC-Case", i, NULL);
	if (c->too_big)
		msg_error("event=too-large queue_id=%s max_message_size=%" G_GSIZE_FORMAT
			  " action=delivered detail=\"its start is spooled, filed and paged\"",
			  poc_log_q(qid ? qid : "-"), c->max_size);
	info.received_at = poc_now();
	info.queue_id = (char *)qid;
	info.envelope_from = c->sender;
	info.recipients = c->rcpts;
	info.source = "milter";
	status = poc_store_spool_put(runtime->store, (const char *)c->raw->data, c->raw->len, &info,
				     &id, &err);
	if (status != POC_OK) {
		gboolean tempfail = c->cfg->on_store_failure == POC_STOREFAIL_TEMPFAIL;

		msg_error("event=spool-failed queue_id=%s error=%s action=%s", poc_log_q(qid ? qid : "-"),
			  poc_log_q(err ? err->message : poc_strerror(status)),
			  tempfail ? "tempfail" : "accepted-unspooled");
		g_clear_error(&err);
		g_atomic_int_set(&store_failing, 1);
		wake_sender();
		if (tempfail) {
			smfi_setreply(ctx, "451", "4.3.0", "POC mail cannot be stored now, try again later");
			verdict = SMFIS_TEMPFAIL;
		}
		return verdict;
	}
	if (c->cfg->add_header) {
		char value[32];

		g_snprintf(value, sizeof(value), "spooled %" G_GUINT64_FORMAT, id);
		smfi_addheader(ctx, "X-POC-Case", value);
	}
	msg_verbose("event=spooled queue_id=%s spool_id=%" G_GUINT64_FORMAT, poc_log_q(qid ? qid : "-"),
		    id);
	if (g_atomic_int_get(&store_failing) && g_atomic_int_compare_and_exchange(&store_failing, 1, 0))
		msg_info("event=spool-recovered");
	wake_filers_and_sender();
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
		g_atomic_int_add(&active_connections, -1);
		conn_reset(c);
		g_ptr_array_unref(c->rcpts);
		if (c->raw)
			g_byte_array_unref(c->raw);
		poc_config_pin_release(c->pin);
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

/* --- the filers and the sender ---------------------------------------------- */

/* The filers' claims on spool entries (process.h). */
static poc_process_claims *spool_claims;

static gboolean
spool_idle_wait(void)
{
	g_mutex_lock(&work_lock);
	if (!work_pending && !stopping)
		g_cond_wait_until(&work_cond, &work_lock, g_get_monotonic_time() + G_TIME_SPAN_SECOND);
	work_pending = FALSE;
	g_mutex_unlock(&work_lock);
	return !stopping;
}

/* A filer: decrypt, read, file and compose, one spooled message at a time. */
static gpointer
filer_main(gpointer unused)
{
	poc_crypto *crypto = NULL;
	GError *err = NULL;
	int live = poc_notify_register();

	if (poc_crypto_new(runtime->cfg->gnupg_home, &crypto, &err) != POC_OK) {
		msg_error("event=gnupg-failed gnupg_home=%s error=%s detail=\"notices are filed as not "
			  "decrypted\"", poc_log_q(runtime->cfg->gnupg_home), poc_log_q(err ? err->message : "?"));
		g_clear_error(&err);
	}
	do {
		guint64 id;

		poc_notify_alive(live);

		while (!stopping && poc_process_claim(spool_claims, runtime->store, &id)) {
			int status;

			g_rw_lock_reader_lock(&runtime_lock);
			status = poc_process_spooled(runtime, crypto, id, NULL, &err);
			g_rw_lock_reader_unlock(&runtime_lock);
			if (status != POC_OK) {
				msg_error("event=filing-failed spool_id=%" G_GUINT64_FORMAT " error=%s", id,
					  poc_log_q(err ? err->message : poc_strerror(status)));
				g_clear_error(&err);
			}
			poc_process_release(spool_claims, id, status != POC_OK);
			poc_notify_alive(live);
			/* The sender thread has an acknowledgement to hand over. */
			wake_sender();
		}
	} while (spool_idle_wait());
	if (crypto)
		poc_crypto_free(crypto);
	return NULL;
}

/* A wall clock that moved this much more or less than the monotonic one was stepped. */
#define CLOCK_STEP_MAX 120

/*
 * The wall clock's step since the last call (seconds; 0: none): the change
 * of wall time less that of monotonic time. Measured call to call, so that
 * NTP's slow slewing never adds up to a step; a suspend counts as a step
 * forward (the monotonic clock stood still).
 */
static gint64
clock_step(gint64 *last_wall, gint64 *last_mono, gint64 wall, gint64 mono)
{
	gint64 drift = *last_mono ? (wall - *last_wall) - (mono - *last_mono) : 0;

	*last_wall = wall;
	*last_mono = mono;
	return drift > CLOCK_STEP_MAX || drift < -CLOCK_STEP_MAX ? drift : 0;
}

/* Entries a previous run left SENDING: evidence, or FAILED after the grace. */
static void
recover_outbox(gint64 now, gboolean at_start)
{
	GError *err = NULL;
	int unknown = 0;

	if (poc_outbox_recover(runtime->store, now, POC_OUTBOX_GRACE, at_start, &unknown, &err) !=
	    POC_OK) {
		msg_error("event=outbox-recovery-failed error=%s", poc_log_q(err ? err->message : "?"));
		g_clear_error(&err);
	}
}

/* Hold mode's guard, then the paging check (once a minute). */
static void
guard_and_page(poc_crypto *crypto, gint64 now)
{
	GError *err = NULL;
	poc_page_status st;
	int queued = 0;

	if (poc_ack_guard_run(runtime->cfg, runtime->cal, runtime->templates, runtime->store, crypto,
			      now, &queued, &err) != POC_OK) {
		msg_error("event=ack-guard-failed error=%s", poc_log_q(err ? err->message : "?"));
		g_clear_error(&err);
	}
	if (poc_page_check(runtime, now, TRUE, TRUE, &st, &err) != POC_OK) {
		msg_error("event=paging-check-failed error=%s", poc_log_q(err ? err->message : "?"));
		g_clear_error(&err);
	}
	poc_page_status_clear(&st);
}

/*
 * The sender: outbox, recovery, heartbeat, hold-mode guard and paging.
 * Its schedule runs on the monotonic clock (a wall clock stepped back by
 * NTP must not stop it); the wall clock (poc_now) only stamps and judges
 * deadlines. A step of the wall clock is logged and runs the heartbeat,
 * AckGuard and the paging check at once.
 */
static gpointer
sender_main(gpointer unused)
{
	poc_crypto *crypto = NULL;
	GError *err = NULL;
	/* monotonic seconds of the last run of each; 0: never */
	gint64 last_beat = 0, last_watch = 0, last_recover = 0;
	gint64 wall_seen = 0, mono_seen = 0;
	poc_store_alarm store_alarm = { 0 };
	gboolean first = TRUE;
	int live = poc_notify_register();

	if (poc_crypto_new(runtime->cfg->gnupg_home, &crypto, &err) != POC_OK) {
		msg_error("event=gnupg-failed gnupg_home=%s error=%s detail=\"notices are filed as not "
			  "decrypted\"", poc_log_q(runtime->cfg->gnupg_home), poc_log_q(err ? err->message : "?"));
		g_clear_error(&err);
	}
	while (!stopping) {
		int sent = 0;
		gint64 now, mono, step;

		poc_notify_alive(live);
		g_rw_lock_reader_lock(&runtime_lock);
		now = poc_now();
		mono = g_get_monotonic_time() / G_USEC_PER_SEC + 1;	/* never 0 */
		if ((step = clock_step(&wall_seen, &mono_seen, now, mono)) != 0) {
			msg_warn("event=clock-step step=%s%" G_GINT64_FORMAT "s detail=\"the wall clock "
				 "moved against the monotonic clock: heartbeat, ack guard and paging "
				 "check now\"", step > 0 ? "+" : "", step);
			last_beat = last_watch = last_recover = 0;
		}
		if (first || !last_recover || mono - last_recover >= 10) {
			recover_outbox(now, first);
			last_recover = mono;
			first = FALSE;
		}
		if (runtime->cfg->ack_mode != POC_ACK_MODE_OFF &&
		    poc_outbox_run(runtime->store, runtime->cfg, &sent, &err) != POC_OK) {
			msg_error("event=outbox-failed error=%s", poc_log_q(err ? err->message : "?"));
			g_clear_error(&err);
		}
		now = poc_now();
		mono = g_get_monotonic_time() / G_USEC_PER_SEC + 1;
		if (!last_beat || mono - last_beat >= 30) {
			if (poc_store_heartbeat(runtime->store, now, &err) != POC_OK) {
				msg_error("event=heartbeat-failed error=%s", poc_log_q(err ? err->message : "?"));
				g_clear_error(&err);
			}
			last_beat = mono;
		}
		/* Spooling failed (or works again after a page): say so now, not in a minute. */
		poc_page_store_alarm(runtime, &store_alarm, g_atomic_int_get(&store_failing), now);
		if (!last_watch || mono - last_watch >= 60) {
			guard_and_page(crypto, now);
			last_watch = mono;
		}
		g_rw_lock_reader_unlock(&runtime_lock);

		g_mutex_lock(&send_lock);
		if (!send_pending && !stopping)
			g_cond_wait_until(&send_cond, &send_lock,
					  g_get_monotonic_time() + G_TIME_SPAN_SECOND);
		send_pending = FALSE;
		g_mutex_unlock(&send_lock);
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
	char *restart_keys;

	if (poc_runtime_open(config_path, POC_RUNTIME_NO_STORE, &fresh, &err) != POC_OK ||
	    poc_config_validate(fresh->cfg, &err) != POC_OK) {
		msg_error("event=reload-failed error=%s action=kept", poc_log_q(err ? err->message : "?"));
		g_clear_error(&err);
		poc_runtime_close(fresh);
		return;
	}
	restart_keys = poc_config_restart_keys(runtime->cfg, fresh->cfg);
	if (restart_keys)
		msg_warn("event=reload-needs-restart keys=%s detail=\"changes of these take effect "
			 "at restart\"", restart_keys);
	g_free(restart_keys);
	g_rw_lock_writer_lock(&runtime_lock);
	/* Swap everything but the store, which stays open. */
	poc_runtime_swap_config(runtime, fresh);
	g_rw_lock_writer_unlock(&runtime_lock);
	poc_store_set_max_map_size(runtime->store, runtime->cfg->database_max_size);
	poc_runtime_close(fresh);
	msg_info("event=reloaded config=%s", poc_log_q(config_path));
	wake_filers_and_sender();
}

/* Refuse to start beside a running pocmilter: libmilter would unlink its socket. */
static void
refuse_second_instance(const poc_config *cfg)
{
	char *text = NULL;
	long pid;

	if (cfg->pid_file && g_file_get_contents(cfg->pid_file, &text, NULL, NULL)) {
		pid = strtol(text, NULL, 10);
		g_free(text);
		if (pid > 1 && pid != (long)getpid() && (kill((pid_t)pid, 0) == 0 || errno == EPERM))
			msg_fatal("pid file %s: pocmilter %ld is running", cfg->pid_file, pid);
	}
	if (g_str_has_prefix(cfg->socket, "unix:") || g_str_has_prefix(cfg->socket, "local:")) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		const char *path = strchr(cfg->socket, ':') + 1;
		int fd;

		if (strlen(path) >= sizeof(sun.sun_path))
			msg_fatal("Socket %s: path too long", cfg->socket);
		strcpy(sun.sun_path, path);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
			msg_fatal("Socket %s: another filter is listening there", cfg->socket);
		if (fd >= 0)
			close(fd);
	}
}

/* Written as root; given to User so that it can empty it at exit. */
static void
write_pid_file(const char *path, const struct passwd *pw)
{
	char line[32];
	struct stat st;
	int fd;

	if (!path)
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0644);
	if (fd < 0)
		msg_fatal("pid file %s: %s", path, g_strerror(errno));
	/* Truncated only once known to be a file of ours, not a link to another. */
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	    (st.st_uid != 0 && st.st_uid != geteuid() && (!pw || st.st_uid != pw->pw_uid)))
		msg_fatal("pid file %s: not a plain file of root or User: refusing to start", path);
	if (ftruncate(fd, 0) != 0)
		msg_fatal("pid file %s: %s", path, g_strerror(errno));
	g_snprintf(line, sizeof(line), "%ld\n", (long)getpid());
	/* On the descriptor: the name may be replaced meanwhile. */
	if (pw && fchown(fd, pw->pw_uid, pw->pw_gid) != 0)
		msg_warn("event=pidfile-chown-failed path=%s error=%s", poc_log_q(path),
			 poc_log_q(g_strerror(errno)));
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line) || close(fd) != 0)
		msg_fatal("pid file %s: %s", path, g_strerror(errno));
}

/*
 * Without privileges, the pid file can be removed only if its directory
 * is ours (tmpfiles.d makes /run/pocmilter so). Otherwise empty it: a
 * stale pid must not name a live process for init scripts.
 */
static void
remove_pid_file(const char *path)
{
	int fd;

	if (!path || unlink(path) == 0 || errno == ENOENT)
		return;
	if ((fd = open(path, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC)) >= 0) {
		close(fd);
		msg_info("event=pidfile-emptied path=%s detail=\"its directory is not writable by "
			 "this user\"", poc_log_q(path));
	} else {
		msg_warn("event=pidfile-remove-failed path=%s error=%s", poc_log_q(path),
			 poc_log_q(g_strerror(errno)));
	}
}

/*
 * Whose a database file or directory may be: root's (made by an earlier
 * root pocctl, or before the first start) or User's. Anything else, a
 * symbolic link or not the expected type is refused, naming the path.
 */
static void
check_owned(const char *path, const struct stat *st, mode_t type, const struct passwd *pw)
{
	if (S_ISLNK(st->st_mode))
		msg_fatal("Database: %s is a symbolic link: refusing to start (remove it; the "
			  "database must be a plain directory with plain files)", path);
	if ((st->st_mode & S_IFMT) != type)
		msg_fatal("Database: %s is not a %s: refusing to start", path,
			  type == S_IFDIR ? "directory" : "regular file");
	if (st->st_uid != 0 && st->st_uid != (pw ? pw->pw_uid : geteuid()))
		msg_fatal("Database: %s is owned by uid %ld, not by root or %s: refusing to start",
			  path, (long)st->st_uid, pw ? pw->pw_name : g_get_user_name());
	if (type == S_IFREG && st->st_nlink != 1)
		msg_fatal("Database: %s has %ld hard links: refusing to start", path,
			  (long)st->st_nlink);
}

/*
 * The database as User will find it: owned by User, files in DatabaseMode.
 * Nothing here follows a name User could have replaced: the directory and
 * each file are opened with O_NOFOLLOW, checked with fstat, and changed
 * with fchown/fchmod on the descriptor. The store itself is then opened
 * with User's effective ids (open_database), so that a link planted after
 * these checks gives nothing User could not do already.
 */
/*
 * DatabaseMode, except that a reading group (DatabaseMode 0640) may write
 * lock.mdb: an LMDB reader registers in its reader table there, and never
 * writes data.mdb.
 */
static mode_t
file_mode(const poc_config *cfg, const char *name)
{
	mode_t mode = cfg->database_mode;

	if (strcmp(name, "lock.mdb") == 0 && (mode & 0040))
		mode |= 0020;
	return mode;
}

static void
prepare_database(const poc_config *cfg, const struct passwd *pw)
{
	static const char *const files[] = { "data.mdb", "lock.mdb", NULL };
	guint dir_mode = 0700 | ((cfg->database_mode & 0060) ? 0050 : 0);
	struct stat st;
	int dfd;

	/*
	 * Only the last component is made (pocmilter -n refuses a missing
	 * parent: a typo must not start a new, empty database); 0700 below.
	 */
	if (lstat(cfg->database, &st) != 0 && errno == ENOENT && mkdir(cfg->database, 0700) != 0)
		msg_fatal("Database: cannot create %s: %s", cfg->database, g_strerror(errno));
	if (lstat(cfg->database, &st) != 0)
		msg_fatal("Database: %s: %s", cfg->database, g_strerror(errno));
	check_owned(cfg->database, &st, S_IFDIR, pw);
	dfd = open(cfg->database, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		msg_fatal("Database: %s: %s", cfg->database,
			  errno == ELOOP || errno == ENOTDIR ? "a symbolic link or not a directory: "
							       "refusing to start"
							     : g_strerror(errno));
	if (fstat(dfd, &st) != 0)
		msg_fatal("Database: %s: %s", cfg->database, g_strerror(errno));
	check_owned(cfg->database, &st, S_IFDIR, pw);
	if (pw && fchown(dfd, pw->pw_uid, pw->pw_gid) != 0)
		msg_fatal("chown %s: %s", cfg->database, g_strerror(errno));
	if (fchmod(dfd, dir_mode) != 0)
		msg_fatal("chmod %s: %s", cfg->database, g_strerror(errno));
	for (int i = 0; files[i]; i++) {
		char *path = g_build_filename(cfg->database, files[i], NULL);
		struct stat fst;
		int fd;

		if (fstatat(dfd, files[i], &st, AT_SYMLINK_NOFOLLOW) != 0) {
			if (errno != ENOENT)
				msg_fatal("Database: %s: %s", path, g_strerror(errno));
			g_free(path);
			continue;
		}
		check_owned(path, &st, S_IFREG, pw);
		/* O_NONBLOCK: a FIFO swapped in meanwhile does not hang the start. */
		fd = openat(dfd, files[i], O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (fd < 0)
			msg_fatal("Database: %s: %s", path,
				  errno == ELOOP ? "a symbolic link: refusing to start" : g_strerror(errno));
		if (fstat(fd, &fst) != 0)
			msg_fatal("Database: %s: %s", path, g_strerror(errno));
		if (fst.st_dev != st.st_dev || fst.st_ino != st.st_ino)
			msg_fatal("Database: %s changed while it was checked: refusing to start", path);
		check_owned(path, &fst, S_IFREG, pw);
		if (pw && fchown(fd, pw->pw_uid, pw->pw_gid) != 0)
			msg_fatal("chown %s: %s", path, g_strerror(errno));
		/* An existing database follows a changed DatabaseMode. */
		if (fchmod(fd, file_mode(cfg, files[i])) != 0)
			msg_fatal("chmod %s: %s", path, g_strerror(errno));
		close(fd);
		g_free(path);
	}
	close(dfd);
}

/* The store, opened (and its files created) with User's effective ids. */
static void
open_database(const poc_config *cfg, const struct passwd *pw, poc_store **out)
{
	poc_store_options store_opts = { 0 };
	GError *err = NULL;
	int status;

	store_opts.mode = cfg->database_mode;
	store_opts.max_map_size = cfg->database_max_size;
	/* User's groups too: root's supplementary groups must not open anything. */
	if (pw && (initgroups(pw->pw_name, pw->pw_gid) != 0 || setegid(pw->pw_gid) != 0 ||
		   seteuid(pw->pw_uid) != 0))
		msg_fatal("cannot act as user %s: %s", pw->pw_name, g_strerror(errno));
	status = poc_store_open_ex(cfg->database, &store_opts, out, &err);
	if (status == POC_OK && (cfg->database_mode & 0040)) {
		/* A lock file just made has DatabaseMode: let the reading group register. */
		int dfd = open(cfg->database, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int fd = dfd < 0 ? -1
				 : openat(dfd, "lock.mdb", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

		if (fd >= 0 && fchmod(fd, file_mode(cfg, "lock.mdb")) != 0)
			msg_warn("event=chmod-failed path=%s/lock.mdb error=%s", poc_log_q(cfg->database),
				 poc_log_q(g_strerror(errno)));
		if (fd >= 0)
			close(fd);
		if (dfd >= 0)
			close(dfd);
	}
	if (pw && (seteuid(0) != 0 || setegid(0) != 0))
		msg_fatal("cannot return to root after opening the database: %s", g_strerror(errno));
	if (status != POC_OK)
		msg_fatal("%s", err->message);
}

/*
 * The socket appears with its owner and mode, never with root's: it is
 * bound in a fresh directory only root can enter (made next to it, so on
 * the same file system), given its owner and mode there, then renamed
 * into place. prepare_socket_dir returns what libmilter is to bind
 * (the directory by its descriptor, whatever its name points to later).
 */
static char *socket_tmpdir_name;
static int socket_tmp_fd = -1, socket_parent_fd = -1;
static ino_t socket_ino;	/* the socket we made, to remove only it at exit */
static dev_t socket_dev;
static char *socket_base;	/* its name in its directory (socket_parent_fd) */

static const char *
socket_path(const poc_config *cfg)
{
	if (!g_str_has_prefix(cfg->socket, "unix:") && !g_str_has_prefix(cfg->socket, "local:"))
		return NULL;
	return strchr(cfg->socket, ':') + 1;
}

static char *
prepare_socket_dir(const poc_config *cfg)
{
	const char *path = socket_path(cfg);
	char *parent, *tmpl, *bind_path;
	struct stat st;

	if (!path)
		return g_strdup(cfg->socket);
	parent = g_path_get_dirname(path);
	socket_parent_fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (socket_parent_fd < 0)
		msg_fatal("Socket %s: directory %s: %s", cfg->socket, parent, g_strerror(errno));
	tmpl = g_build_filename(parent, ".pocmilter-XXXXXX", NULL);
	if (!g_mkdtemp_full(tmpl, 0700))
		msg_fatal("Socket %s: cannot make a directory in %s: %s", cfg->socket, parent,
			  g_strerror(errno));
	socket_tmpdir_name = g_path_get_basename(tmpl);
	socket_tmp_fd = openat(socket_parent_fd, socket_tmpdir_name,
			       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (socket_tmp_fd < 0 || fstat(socket_tmp_fd, &st) != 0 || st.st_uid != geteuid() ||
	    (st.st_mode & 0077))
		msg_fatal("Socket %s: the directory %s was changed under us", cfg->socket, tmpl);
	/* Through the descriptor: whatever the name points to now. */
	bind_path = g_strdup_printf("unix:/proc/self/fd/%d/s", socket_tmp_fd);
	g_free(tmpl);
	g_free(parent);
	return bind_path;
}

static void
finish_socket(const poc_config *cfg, const struct passwd *pw)
{
	const char *path = socket_path(cfg);
	char *base;
	gid_t gid = pw ? pw->pw_gid : (gid_t)-1;
	struct stat st;

	if (!path)
		return;
	if (cfg->socket_group) {
		struct group *gr = getgrnam(cfg->socket_group);
		if (!gr)
			msg_fatal("SocketGroup %s: no such group", cfg->socket_group);
		gid = gr->gr_gid;
	}
	/* Only root can enter the directory: these names are ours. */
	if (fchmodat(socket_tmp_fd, "s", cfg->socket_mode, 0) != 0)
		msg_fatal("chmod %s: %s", path, g_strerror(errno));
	if ((pw || cfg->socket_group) &&
	    fchownat(socket_tmp_fd, "s", pw ? pw->pw_uid : (uid_t)-1, gid, AT_SYMLINK_NOFOLLOW) != 0)
		msg_fatal("chown %s: %s", path, g_strerror(errno));
	if (fstatat(socket_tmp_fd, "s", &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISSOCK(st.st_mode))
		msg_fatal("Socket %s: not created", cfg->socket);
	socket_ino = st.st_ino;
	socket_dev = st.st_dev;
	base = g_path_get_basename(path);
	if (renameat(socket_tmp_fd, "s", socket_parent_fd, base) != 0)
		msg_fatal("Socket %s: cannot move it into place: %s", cfg->socket, g_strerror(errno));
	socket_base = base;
	/* socket_tmp_fd stays open: libmilter's name for the socket then names nothing. */
	unlinkat(socket_parent_fd, socket_tmpdir_name, AT_REMOVEDIR);
	g_clear_pointer(&socket_tmpdir_name, g_free);
}

/* At exit: the socket we made, if it is still there and still ours. */
static void
remove_socket(void)
{
	struct stat st;

	if (!socket_base || socket_parent_fd < 0)
		return;
	if (fstatat(socket_parent_fd, socket_base, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISSOCK(st.st_mode) && st.st_ino == socket_ino && st.st_dev == socket_dev)
		unlinkat(socket_parent_fd, socket_base, 0);
	g_clear_pointer(&socket_base, g_free);
}

/* OpenSMTPD's order: groups, gid, uid; then prove there is no way back. */
static void
drop_privileges(const struct passwd *pw)
{
	if (!pw)
		return;
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) != 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0)
		msg_fatal("cannot become user %s: %s", pw->pw_name, g_strerror(errno));
	if (setuid(0) == 0 || seteuid(0) == 0 || setgid(0) == 0)
		msg_fatal("privileges could be regained after dropping to %s", pw->pw_name);
	g_setenv("HOME", pw->pw_dir, TRUE);
}

/*
 * Decrypted notices live in this process's memory: a core file would put
 * them on disk, and ptrace by another process of User would read them.
 * Not dumpable unless CoreDumps says so (gpg-agent does the same).
 */
static void
forbid_core_dumps(const poc_config *cfg)
{
	if (!cfg->core_dumps && poc_forbid_core_dumps() != 0)
		msg_fatal("cannot forbid core dumps: %s", g_strerror(errno));
}

static int milter_status = MI_SUCCESS;

/*
 * libmilter starts its own thread that sigwait()s for SIGHUP, SIGTERM and
 * SIGINT and stops the filter on any of them, SIGHUP included: a reload
 * would then be a shutdown whenever that thread, not ours, took the signal.
 * Signals are the main thread's (sigwaitinfo below). This definition takes
 * the place of libc's sigwait for libmilter and parks its thread for good;
 * nothing else in the program calls sigwait.
 */
int
sigwait(const sigset_t *restrict set, int *restrict sig)
{
	(void)set;
	(void)sig;
	for (;;)
		pause();
}

static pthread_t milter_tid;
static volatile gboolean milter_done;

/* SIGUSR1 only interrupts the listener's poll(); the handler does nothing. */
static void
wake_listener(int sig)
{
	(void)sig;
}

static gpointer
call_smfi_stop(gpointer unused)
{
	smfi_stop();
	return NULL;
}

static gpointer
milter_main(gpointer unused)
{
	int rc;

	milter_tid = pthread_self();
	rc = smfi_main();
	milter_done = TRUE;

	if (rc != MI_SUCCESS && !stopping) {
		msg_error("event=libmilter-failed detail=\"libmilter stopped with an error\"");
		milter_status = rc;
	}
	stopping = TRUE;
	/* Let the main thread's sigwait return. */
	kill(getpid(), SIGTERM);
	return GINT_TO_POINTER(rc);
}

static void
print_usage(FILE *fp)
{
	fprintf(fp, "usage: pocmilter [-f] [-v] [-c FILE]   run the milter\n"
		    "       pocmilter -n [-v] [-c FILE]     check the configuration against this machine\n"
		    "       pocmilter -C                    print a sample configuration\n"
		    "       pocmilter -M                    print the key table for the manual\n"
		    "       pocmilter -V                    print the version\n"
		    "       pocmilter -h                    print this help\n"
		    "  -c FILE  the configuration (default " SYSCONFDIR "/pocmilter/pocmilter.conf)\n"
		    "  -f       stay in the foreground, log to standard error too\n"
		    "  -v       more detail (-n -v: every key's value)\n"
		    "Exit status: 0 stopped by SIGTERM/SIGINT, or -n found no error; 1 the configuration\n"
		    "or the machine is wrong (every problem is printed as FILE:LINE: Key: why); 2 usage.\n"
		    "See pocmilter(8) and pocmilter.conf(5).\n");
}

static void
usage(void)
{
	print_usage(stderr);
	exit(2);
}

/*
 * 1. The configuration: everything it names is loaded and checked, and
 * everything that can be checked before mail arrives (preflight.h), for
 * -n and the start alike. Returns an exit status when the program is done
 * (-n, or an error), -1 to go on.
 */
static int
load_config(gboolean check_only, int verbose)
{
	GError *err = NULL;
	poc_check check;
	int errors;

	if (poc_runtime_open(config_path, POC_RUNTIME_NO_STORE, &runtime, &err) != POC_OK ||
	    poc_config_validate(runtime->cfg, &err) != POC_OK) {
		fprintf(stderr, "pocmilter: %s\n", err->message);
		return 1;
	}
	poc_check_init(&check);
	errors = poc_check_config(runtime->cfg, &check);
	for (guint i = 0; i < check.errors->len; i++)
		fprintf(stderr, "pocmilter: %s\n", (char *)g_ptr_array_index(check.errors, i));
	for (guint i = 0; i < check.warnings->len; i++)
		fprintf(stderr, "pocmilter: warning: %s\n",
			(char *)g_ptr_array_index(check.warnings, i));
	poc_check_clear(&check);
	if (errors > 0) {
		if (!check_only)
			fprintf(stderr, "pocmilter: not started: %d error%s in %s\n", errors,
				errors == 1 ? "" : "s", config_path);
		return 1;
	}
	if (check_only) {
		if (verbose)
			poc_config_dump(runtime->cfg, stdout);
		printf("%s: OK\n", config_path);
		return 0;
	}
	return -1;
}

/* User, as root; NULL when not root. Kept: later getpw* calls (GnuPG, glib) reuse the static buffer. */
static struct passwd *
run_as_user(const poc_config *cfg)
{
	static struct passwd run_as;
	struct passwd *pw;

	if (geteuid() != 0)
		return NULL;
	if (!cfg->user)
		msg_fatal("refusing to run as root: set User in %s", config_path);
	if (!(pw = getpwnam(cfg->user)))
		msg_fatal("User %s: no such user", cfg->user);
	if (pw->pw_uid == 0)
		msg_fatal("User %s: refusing to run as uid 0", cfg->user);
	run_as = *pw;
	run_as.pw_name = g_strdup(pw->pw_name);
	run_as.pw_dir = g_strdup(pw->pw_dir);
	return &run_as;
}

/*
 * 2.-6. The privileged set-up, in Postfix's order: the database checked and
 * handed to User by root and opened as User, the socket, the pid file,
 * then the drop of privileges. Returns User (NULL: not started as root).
 */
static struct passwd *
privileged_setup(const poc_config *cfg, gboolean foreground)
{
	struct passwd *pw;
	char *bind_conn;

	if (poc_log_open("pocmilter", cfg->syslog_facility, foreground) != 0)
		msg_fatal("SyslogFacility %s: unknown", cfg->syslog_facility);
	pw = run_as_user(cfg);
	refuse_second_instance(cfg);

	/* 2. The database: checked and handed to User by root, opened as User. */
	prepare_database(cfg, pw);
	open_database(cfg, pw, &runtime->store);

	/* 3. The socket, with the owner and mode the MTA needs from its first moment. */
	bind_conn = prepare_socket_dir(cfg);
	if (smfi_setconn(bind_conn) != MI_SUCCESS)	/* libmilter keeps a copy */
		msg_fatal("Socket %s: not a valid socket", cfg->socket);
	g_free(bind_conn);
	if (smfi_register(filter) != MI_SUCCESS)
		msg_fatal("smfi_register failed");
	/* The MTA waits in the listen queue rather than failing under a burst. */
	smfi_setbacklog(128);
	if (smfi_opensocket(1) != MI_SUCCESS)
		msg_fatal("Socket %s: cannot open", cfg->socket);
	finish_socket(cfg, pw);

	/* 4. The pid file, 5. the drop, 6. no core dump (after the drop, which resets it). */
	write_pid_file(cfg->pid_file, pw);
	drop_privileges(pw);
	forbid_core_dumps(cfg);
	return pw;
}

/* Signals belong to the main thread alone: blocked before any thread starts. */
static void
block_signals(sigset_t *set)
{
	struct sigaction sa = { .sa_handler = wake_listener };

	sigemptyset(set);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	pthread_sigmask(SIG_BLOCK, set, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
}

/* The threads that serve. */
typedef struct threads {
	GPtrArray *filers;	/* GThread *, Workers of them */
	GThread *sender;
	GThread *milter;
} threads;

/* 7. Serve: the filers, the sender, then libmilter's listener; READY=1 once it listens. */
static void
start_threads(const poc_config *cfg, threads *t)
{
	char *status;

	spool_claims = poc_process_claims_new();
	poc_notify_expect(MAX(1, cfg->workers) + 1);
	t->filers = g_ptr_array_new();
	for (int i = 0; i < MAX(1, cfg->workers); i++)
		g_ptr_array_add(t->filers, g_thread_new("filer", filer_main, NULL));
	t->sender = g_thread_new("sender", sender_main, NULL);
	t->milter = g_thread_new("milter", milter_main, NULL);
	/* The socket listens (smfi_opensocket): systemd may start the MTA. */
	status = g_strdup_printf("serving on %s", cfg->socket);
	poc_notify_ready(status);
	g_free(status);
}

/* SIGHUP reloads; SIGTERM and SIGINT return (and libmilter's end, which sends SIGTERM). */
static void
wait_for_signals(const sigset_t *set)
{
	for (;;) {
		int sig = poc_notify_sigwait(set);

		if (sig < 0)
			continue;
		if (sig != SIGHUP)
			return;
		if (!stopping)
			reload();
	}
}

/* Stop libmilter, the sender and the filers; remove the pid file and the socket. */
static void
stop_threads(threads *t)
{
	GThread *stopper;

	msg_info("event=stopping detail=\"spooled messages not yet filed are filed at the next "
		 "start\"");
	poc_notify_stopping();
	stopping = TRUE;
	wake_filers_and_sender();
	/*
	 * smfi_stop() waits for a lock that libmilter's listener holds across
	 * its poll() of up to 5 s, and the listener looks at the stop flag only
	 * after it: interrupt its poll until it is gone, so that SIGTERM takes
	 * effect at once.
	 */
	stopper = g_thread_new("stop", call_smfi_stop, NULL);
	for (int i = 0; i < 100 && !milter_done; i++) {
		pthread_kill(milter_tid, SIGUSR1);
		g_usleep(50 * 1000);
	}
	g_thread_join(stopper);
	g_thread_join(t->milter);
	g_thread_join(t->sender);
	for (guint i = 0; i < t->filers->len; i++)
		g_thread_join(g_ptr_array_index(t->filers, i));
	g_ptr_array_free(t->filers, TRUE);
	poc_process_claims_free(spool_claims);
	remove_pid_file(runtime->cfg->pid_file);
	remove_socket();
}

int
main(int argc, char **argv)
{
	gboolean foreground = FALSE, check_only = FALSE;
	int verbose = 0, ch, done;
	struct passwd *pw;
	sigset_t set;
	threads t = { 0 };
	poc_config *cfg;

	static const struct option long_opts[] = { { "help", no_argument, NULL, 'h' },
						   { "version", no_argument, NULL, 'V' },
						   { NULL, 0, NULL, 0 } };

	config_path = g_strdup(SYSCONFDIR "/pocmilter/pocmilter.conf");
	while ((ch = getopt_long(argc, argv, "c:fhnvCMV", long_opts, NULL)) != -1) {
		switch (ch) {
		case 'c': g_free(config_path); config_path = g_strdup(optarg); break;
		case 'f': foreground = TRUE; break;
		case 'n': check_only = TRUE; break;
		case 'v': verbose++; break;
		case 'C': poc_config_write_sample(stdout); return 0;
		case 'M': poc_config_write_man(stdout); return 0;
		case 'V': printf("pocmilter %s\n", PACKAGE_VERSION); return 0;
		case 'h': print_usage(stdout); return 0;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	poc_log_set_verbose(verbose);
	/* Library set-up that must not race other threads (setlocale, GMime). */
	poc_crypto_init();
	poc_notice_init();

	if ((done = load_config(check_only, verbose)) >= 0)
		return done;
	cfg = runtime->cfg;
	pw = privileged_setup(cfg, foreground);
	block_signals(&set);
	msg_info("event=starting version=%s socket=%s database=%s ack_mode=%s user=%s",
		 PACKAGE_VERSION, poc_log_q(cfg->socket), poc_log_q(cfg->database),
		 poc_ack_mode_name(cfg->ack_mode), poc_log_q(pw ? pw->pw_name : g_get_user_name()));
	start_threads(cfg, &t);
	wait_for_signals(&set);
	stop_threads(&t);
	poc_runtime_close(runtime);
	g_free(config_path);
	msg_info("event=stopped");
	return milter_status == MI_SUCCESS ? 0 : 1;
}
