/*
 * NAME
 *	store.c - the case database: one LMDB environment, typed tables
 * SYNOPSIS
 *	#include "store.h"
 *
 *	int poc_store_open(const char *dir, unsigned flags, poc_store **out,
 *			   GError **error);
 *	int poc_store_file(poc_store *store, guint64 spool_id, poc_message *msg,
 *			   poc_outbox_entry *ack, GError **error);
 *	...
 * DESCRIPTION
 *	The only file that includes lmdb.h. The layout (named databases,
 *	keys, values, schema version, migration policy) is documented for
 *	downstream readers in doc/DATABASE.md; keep the two in step.
 *
 *	The store keeps tables, keys, transactions and iteration; what a
 *	filed message, an outbox result or a person's decision does to a
 *	case is decided by the pure rules of caserules.c, which the write
 *	functions here call on records read in their transaction, writing
 *	back the records and the events the rules return.
 *
 *	Every public call is one transaction. Writes go through
 *	store_write(), which runs a function in a write transaction and,
 *	when the map is full, aborts, doubles the map and runs it again:
 *	so a write function must derive everything from the transaction
 *	(never from what an aborted run left behind).
 *
 *	The environment is opened with MDB_NOTLS (a read transaction is not
 *	tied to a thread) and without MDB_NOSYNC (a commit is on disk when
 *	it returns). The map size can change only while this process has
 *	no transaction open, so every transaction holds map_lock for
 *	reading and a resize takes it for writing. Iterations read a batch
 *	in a short read transaction, release it, then call back: readers
 *	never pin old pages for long and callbacks may write.
 *
 *	With POCMILTER_TXN_LOG=FILE in the environment, each transaction
 *	appends "PID r|w WAIT_US HOLD_US COMMIT_US WHAT" to FILE
 *	(measurements only).
 * DIAGNOSTICS
 *	Every failure sets a GError in the POC_ERROR domain that names the
 *	operation, the table and LMDB's own message (mdb_strerror).
 * SECURITY
 *	Values hold metadata and the message as received (ciphertext),
 *	never decrypted text. Files are created 0600 and the directory
 *	0700 unless the caller asks otherwise. A database directory,
 *	data.mdb or lock.mdb that is a symbolic link (or a file that is not
 *	a regular file) is refused: LMDB would follow it and write its lock
 *	data wherever it points (pocmilter checks owners too, as root).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <lmdb.h>

#include "caserules.h"
#include "store.h"
#include "text.h"

#define SCHEMA_VERSION 2		/* the major version in meta "schema_version" */
#define DEFAULT_MAP_SIZE (64 * 1024 * 1024)
#define DEFAULT_MAX_MAP_SIZE ((size_t)1 << 40)
#define MAX_KEY 480			/* LMDB's limit is 511; room for prefixes */
#define BATCH 512			/* records per read transaction in iterations */

/* An internal status: the map is full, grow it and run the write again. */
#define RETRY_MAP_FULL (-1)

enum {
	DB_META, DB_COUNTERS, DB_SPOOL, DB_RAW, DB_MESSAGES, DB_CASES, DB_EVENTS, DB_OUTBOX,
	DB_IDX_VULN, DB_IDX_STATE, DB_IDX_DEADLINE, DB_IDX_OUTBOX, DB_IDX_ACK, DB_COUNT
};

static const struct {
	const char *name;
	unsigned flags;
} db_def[DB_COUNT] = {
	[DB_META] = { "meta", 0 },
	[DB_COUNTERS] = { "counters", 0 },
	[DB_SPOOL] = { "spool", 0 },
	[DB_RAW] = { "raw", 0 },
	[DB_MESSAGES] = { "messages", 0 },
	[DB_CASES] = { "cases", 0 },
	[DB_EVENTS] = { "events", 0 },
	[DB_OUTBOX] = { "outbox", 0 },
	[DB_IDX_VULN] = { "idx_vuln", MDB_DUPSORT },
	[DB_IDX_STATE] = { "idx_state", MDB_DUPSORT },
	[DB_IDX_DEADLINE] = { "idx_deadline", 0 },
	[DB_IDX_OUTBOX] = { "idx_outbox", 0 },
	[DB_IDX_ACK] = { "idx_ack", MDB_DUPSORT },	/* schema version 2 */
};

struct poc_store {
	MDB_env *env;
	MDB_dbi dbi[DB_COUNT];
	gboolean have[DB_COUNT];	/* FALSE: absent (read-only open of an empty database) */
	char *dir;
	unsigned flags;
	size_t max_map_size;
	GRWLock map_lock;
	int txn_log;			/* POCMILTER_TXN_LOG: a line per transaction; -1: none */
};

/* --- errors --------------------------------------------------------------- */

static int
db_error(int rc, GError **error, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static int
db_error(int rc, GError **error, const char *fmt, ...)
{
	va_list ap;
	char *what;
	int status;

	if (rc == MDB_MAP_FULL)
		return RETRY_MAP_FULL;
	switch (rc) {
	case ENOSPC:
	case EDQUOT:
		status = POC_ERR_DB_FULL;
		break;
	case EACCES:
	case EPERM:
	case EROFS:
		status = POC_ERR_PERM;
		break;
	case MDB_NOTFOUND:
		status = POC_ERR_NOTFOUND;
		break;
	case ENOMEM:
		status = POC_ERR_NOMEM;
		break;
	default:
		status = POC_ERR_DB;
	}
	va_start(ap, fmt);
	what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, POC_ERROR, status, "database: %s: %s", what, mdb_strerror(rc));
	g_free(what);
	return status;
}

static int
fail(int status, GError **error, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static int
fail(int status, GError **error, const char *fmt, ...)
{
	va_list ap;
	char *what;

	va_start(ap, fmt);
	what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error_literal(error, POC_ERROR, status, what);
	g_free(what);
	return status;
}

/* --- keys ------------------------------------------------------------------ */

static void
be64_put(unsigned char *p, guint64 v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)(v & 0xff);
}

static guint64
be64_get(const unsigned char *p)
{
	guint64 v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* Times before 1970 sort first; they do not occur. */
static guint64
time_key(gint64 t)
{
	return t < 0 ? 0 : (guint64)t;
}

/*
 * The key of a message in messages, raw and idx_deadline: its Message-ID,
 * or for one too long for an LMDB key, a digest of it.
 */
static char *
msg_key(const char *message_id)
{
	if (strlen(message_id) <= MAX_KEY)
		return g_strdup(message_id);
	return poc_text_message_key(message_id, strlen(message_id));
}

static MDB_val
str_val(const char *s)
{
	MDB_val v = { strlen(s), (void *)s };

	return v;
}

/* --- transactions ------------------------------------------------------------ */

/* The caller holds map_lock: mdb_env_info reads the meta pages inside the
 * map, which mdb_env_set_mapsize (map_grow, map_adopt) unmaps. */
static size_t
map_size_locked(poc_store *s)
{
	MDB_envinfo info;

	mdb_env_info(s->env, &info);
	return info.me_mapsize;
}

static size_t
map_size(poc_store *s)
{
	size_t n;

	g_rw_lock_reader_lock(&s->map_lock);
	n = map_size_locked(s);
	g_rw_lock_reader_unlock(&s->map_lock);
	return n;
}

/* Take another process's larger map (MDB_MAP_RESIZED). */
static int
map_adopt(poc_store *s, GError **error)
{
	int rc;

	g_rw_lock_writer_lock(&s->map_lock);
	rc = mdb_env_set_mapsize(s->env, 0);
	g_rw_lock_writer_unlock(&s->map_lock);
	return rc ? db_error(rc, error, "adopting the map size of another process") : POC_OK;
}

/* Double the map, unless another thread did since we saw it full. */
static int
map_grow(poc_store *s, size_t seen, GError **error)
{
	int rc = 0, status = POC_OK;
	size_t now, want;

	g_rw_lock_writer_lock(&s->map_lock);
	now = map_size_locked(s);
	if (now <= seen) {
		want = MIN(now * 2, s->max_map_size);
		if (want <= now)
			status = fail(POC_ERR_DB_FULL, error,
				      "database: map size limit %zu bytes reached in %s (DatabaseMaxSize)",
				      s->max_map_size, s->dir);
		else if ((rc = mdb_env_set_mapsize(s->env, want)) != 0)
			status = db_error(rc, error, "growing the map to %zu bytes", want);
	}
	g_rw_lock_writer_unlock(&s->map_lock);
	return status;
}

/*
 * POCMILTER_TXN_LOG: one line per transaction,
 * "PID r|w WAIT_US HOLD_US COMMIT_US WHAT", appended with one write()
 * (atomic with O_APPEND, so processes can share the file). WAIT: beginning
 * it (for a write, LMDB's writer lock); HOLD: from then to the end of the
 * commit, of which COMMIT is the commit itself (writes only).
 */
static void
txn_log(poc_store *s, char rw, gint64 wait, gint64 hold, gint64 commit, const char *what)
{
	char line[160];
	int n = g_snprintf(line, sizeof(line), "%d %c %" G_GINT64_FORMAT " %" G_GINT64_FORMAT
			   " %" G_GINT64_FORMAT " %s\n", (int)getpid(), rw, wait, hold, commit,
			   what);

	if (write(s->txn_log, line, MIN(n, (int)sizeof(line) - 1)) < 0) {
		/* Only a measurement: nothing to do. */
	}
}

static int
txn_begin(poc_store *s, gboolean write, MDB_txn **txn, GError **error)
{
	for (;;) {
		int rc, status;
		gint64 t0 = s->txn_log >= 0 ? g_get_monotonic_time() : 0;

		g_rw_lock_reader_lock(&s->map_lock);
		rc = mdb_txn_begin(s->env, NULL, write ? 0 : MDB_RDONLY, txn);
		if (rc == 0 && !write && s->txn_log >= 0)
			txn_log(s, 'r', g_get_monotonic_time() - t0, 0, 0, "read");
		if (rc == 0)
			return POC_OK;
		g_rw_lock_reader_unlock(&s->map_lock);
		if (rc != MDB_MAP_RESIZED)
			return db_error(rc, error, "beginning a %s transaction in %s",
					write ? "write" : "read", s->dir);
		if ((status = map_adopt(s, error)) != POC_OK)
			return status;
	}
}

static void
txn_abort(poc_store *s, MDB_txn *txn)
{
	mdb_txn_abort(txn);
	g_rw_lock_reader_unlock(&s->map_lock);
}

static int
txn_commit(poc_store *s, MDB_txn *txn)
{
	int rc = mdb_txn_commit(txn);

	g_rw_lock_reader_unlock(&s->map_lock);
	return rc;
}

typedef int (*write_fn)(poc_store *s, MDB_txn *txn, void *ctx, GError **error);

/* Run fn in a write transaction and commit; a full map grows and fn runs again. */
static int
store_write(poc_store *s, const char *what, write_fn fn, void *ctx, GError **error)
{
	if (s->flags & POC_STORE_RDONLY)
		return fail(POC_ERR_PERM, error, "database: %s: %s is open read-only", what, s->dir);
	for (;;) {
		MDB_txn *txn;
		size_t seen = map_size(s);
		int status, rc;
		gint64 t0 = s->txn_log >= 0 ? g_get_monotonic_time() : 0, t1 = 0, t2 = 0;

		if ((status = txn_begin(s, TRUE, &txn, error)) != POC_OK)
			return status;
		if (s->txn_log >= 0)
			t1 = g_get_monotonic_time();
		status = fn(s, txn, ctx, error);
		if (s->txn_log >= 0)
			t2 = g_get_monotonic_time();
		if (status != POC_OK) {
			txn_abort(s, txn);
		} else if ((rc = txn_commit(s, txn)) != 0) {
			status = db_error(rc, error, "committing (%s) in %s", what, s->dir);
		}
		if (s->txn_log >= 0) {
			gint64 t3 = g_get_monotonic_time();

			txn_log(s, 'w', t1 - t0, t3 - t1, t3 - t2, what);
		}
		if (status != RETRY_MAP_FULL)
			return status;
		if ((status = map_grow(s, seen, error)) != POC_OK)
			return status;
	}
}

/* --- small table helpers ------------------------------------------------------ */

static int
put(poc_store *s, MDB_txn *txn, int db, MDB_val *k, MDB_val *v, unsigned flags, GError **error)
{
	int rc = mdb_put(txn, s->dbi[db], k, v, flags);

	if (rc == MDB_KEYEXIST && (flags & (MDB_NODUPDATA | MDB_NOOVERWRITE)))
		return POC_ERR_EXISTS;
	return rc ? db_error(rc, error, "writing to %s", db_def[db].name) : POC_OK;
}

static int
put_text(poc_store *s, MDB_txn *txn, int db, const char *key, GString *value, GError **error)
{
	MDB_val k = str_val(key), v = { value->len, value->str };

	return put(s, txn, db, &k, &v, 0, error);
}

/* Deleting what is not there is fine. */
static int
del(poc_store *s, MDB_txn *txn, int db, MDB_val *k, MDB_val *v, GError **error)
{
	int rc = mdb_del(txn, s->dbi[db], k, v);

	if (rc == MDB_NOTFOUND)
		return POC_OK;
	return rc ? db_error(rc, error, "deleting from %s", db_def[db].name) : POC_OK;
}

/* POC_ERR_NOTFOUND without an error set: callers decide whether it is one. */
static int
get(poc_store *s, MDB_txn *txn, int db, MDB_val *k, MDB_val *v, GError **error)
{
	int rc;

	if (!s->have[db])
		return POC_ERR_NOTFOUND;
	rc = mdb_get(txn, s->dbi[db], k, v);
	if (rc == MDB_NOTFOUND)
		return POC_ERR_NOTFOUND;
	return rc ? db_error(rc, error, "reading %s", db_def[db].name) : POC_OK;
}

static int
counter_next(poc_store *s, MDB_txn *txn, const char *name, guint64 *out, GError **error)
{
	MDB_val k = str_val(name), v;
	unsigned char buf[8];
	int status = get(s, txn, DB_COUNTERS, &k, &v, error);

	if (status == POC_OK && v.mv_size == 8)
		*out = be64_get(v.mv_data) + 1;
	else if (status == POC_OK || status == POC_ERR_NOTFOUND)
		*out = 1;
	else
		return status;
	be64_put(buf, *out);
	v.mv_size = 8;
	v.mv_data = buf;
	return put(s, txn, DB_COUNTERS, &k, &v, 0, error);
}

static int
get_message_txn(poc_store *s, MDB_txn *txn, const char *message_id, poc_message **out,
		GError **error)
{
	char *key = msg_key(message_id);
	MDB_val k = str_val(key), v;
	int status = get(s, txn, DB_MESSAGES, &k, &v, error);

	*out = NULL;
	if (status == POC_OK && !(*out = poc_message_decode(v.mv_data, v.mv_size, NULL, error)))
		status = POC_ERR_DB;
	g_free(key);
	return status;
}

static int
get_case_txn(poc_store *s, MDB_txn *txn, const char *id, poc_case **out, GError **error)
{
	MDB_val k = str_val(id), v;
	int status = get(s, txn, DB_CASES, &k, &v, error);

	*out = NULL;
	if (status == POC_OK && !(*out = poc_case_decode(v.mv_data, v.mv_size, NULL, error)))
		status = POC_ERR_DB;
	return status;
}

static poc_message *
message_copy(const poc_message *m)
{
	GString *buf = g_string_sized_new(1024);
	poc_message *copy;

	poc_message_encode(m, 0, buf);
	copy = poc_message_decode(buf->str, buf->len, NULL, NULL);
	g_string_free(buf, TRUE);
	return copy;
}

static gboolean
ack_is_open(poc_ack_state st)
{
	return st == POC_ACK_HELD || st == POC_ACK_QUEUED || st == POC_ACK_FAILED;
}

/*
 * idx_deadline: be64(deadline) + message key -> the message JSON, a copy
 * of its value in messages: a covering index, so listing the open
 * acknowledgements reads one small table in order instead of looking up
 * each message in a table of millions.
 */
static int
deadline_index(poc_store *s, MDB_txn *txn, const poc_message *m, GString *value,
	       GError **error)
{
	char *key = msg_key(m->message_id);
	size_t len = strlen(key);
	unsigned char *buf = g_malloc(8 + len);
	MDB_val k = { 8 + len, buf }, v = { value ? value->len : 0, value ? value->str : "" };
	int status;

	be64_put(buf, time_key(m->ack_deadline));
	memcpy(buf + 8, key, len);
	status = value ? put(s, txn, DB_IDX_DEADLINE, &k, &v, 0, error)
		       : del(s, txn, DB_IDX_DEADLINE, &k, NULL, error);
	g_free(buf);
	g_free(key);
	return status;
}

static int
put_message(poc_store *s, MDB_txn *txn, const poc_message *m, const poc_message *old,
	    GError **error)
{
	GString *buf = g_string_sized_new(1024);
	char *key = msg_key(m->message_id);
	int status = POC_OK;

	poc_message_encode(m, POC_ENCODE_VERSION, buf);
	if (old && ack_is_open(old->ack_state))
		status = deadline_index(s, txn, old, NULL, error);
	if (status == POC_OK && ack_is_open(m->ack_state))
		status = deadline_index(s, txn, m, buf, error);
	if (status == POC_OK)
		status = put_text(s, txn, DB_MESSAGES, key, buf, error);
	g_string_free(buf, TRUE);
	g_free(key);
	return status;
}

static int
vuln_index(poc_store *s, MDB_txn *txn, const char *vn, const char *case_id, gboolean add,
	   GError **error)
{
	MDB_val k = str_val(vn), v = str_val(case_id);
	int status;

	if (k.mv_size == 0 || k.mv_size > MAX_KEY || v.mv_size > MAX_KEY)
		return POC_OK;
	if (!add)
		return del(s, txn, DB_IDX_VULN, &k, &v, error);
	status = put(s, txn, DB_IDX_VULN, &k, &v, MDB_NODUPDATA, error);
	return status == POC_ERR_EXISTS ? POC_OK : status;
}

static int
state_index(poc_store *s, MDB_txn *txn, const char *state, const char *case_id, gboolean add,
	    GError **error)
{
	MDB_val k = str_val(state ? state : ""), v = str_val(case_id);
	int status;

	if (k.mv_size == 0)
		return POC_OK;
	if (!add)
		return del(s, txn, DB_IDX_STATE, &k, &v, error);
	status = put(s, txn, DB_IDX_STATE, &k, &v, MDB_NODUPDATA, error);
	return status == POC_ERR_EXISTS ? POC_OK : status;
}

/* Index entries for every VN and CVE id of new that old (or NULL) lacks, and the reverse. */
static int
case_vuln_index(poc_store *s, MDB_txn *txn, const poc_case *old, const poc_case *c,
		GError **error)
{
	const GPtrArray *lists[2][2] = { { c->vuln_ids, c->cve_ids },
					 { old ? old->vuln_ids : NULL, old ? old->cve_ids : NULL } };
	int status = POC_OK;

	for (int l = 0; l < 2 && status == POC_OK; l++) {
		const GPtrArray *now = lists[0][l], *before = lists[1][l];
		GHashTable *now_set = poc_strv_set(now), *before_set = poc_strv_set(before);

		for (guint i = 0; now && i < now->len && status == POC_OK; i++)
			if (!g_hash_table_contains(before_set, g_ptr_array_index(now, i)))
				status = vuln_index(s, txn, g_ptr_array_index(now, i), c->id, TRUE,
						    error);
		for (guint i = 0; before && i < before->len && status == POC_OK; i++)
			if (!g_hash_table_contains(now_set, g_ptr_array_index(before, i)))
				status = vuln_index(s, txn, g_ptr_array_index(before, i), c->id,
						    FALSE, error);
		g_hash_table_unref(now_set);
		g_hash_table_unref(before_set);
	}
	return status;
}

static int
put_case(poc_store *s, MDB_txn *txn, const poc_case *c, const poc_case *old, GError **error)
{
	GString *buf = g_string_sized_new(512);
	int status = case_vuln_index(s, txn, old, c, error);

	if (status == POC_OK && (!old || g_strcmp0(old->state, c->state) != 0)) {
		if (old)
			status = state_index(s, txn, old->state, c->id, FALSE, error);
		if (status == POC_OK)
			status = state_index(s, txn, c->state, c->id, TRUE, error);
	}
	if (status == POC_OK) {
		poc_case_encode(c, NULL, POC_ENCODE_VERSION, buf);
		status = put_text(s, txn, DB_CASES, c->id, buf, error);
	}
	g_string_free(buf, TRUE);
	return status;
}

/* events: case id + NUL + be64(at) + be64(seq) -> JSON */
static int
put_event(poc_store *s, MDB_txn *txn, const poc_event *ev, GError **error)
{
	const char *case_id = ev->case_id ? ev->case_id : "";
	size_t len = strlen(case_id);
	unsigned char *kbuf;
	GString *buf;
	guint64 seq;
	poc_event copy = *ev;
	MDB_val k, v;
	int status;

	if (len > MAX_KEY)
		return fail(POC_ERR_INVAL, error, "database: event: case id too long");
	if ((status = counter_next(s, txn, "event", &seq, error)) != POC_OK)
		return status;
	if (copy.at == 0)
		copy.at = poc_now();
	kbuf = g_malloc(len + 17);
	memcpy(kbuf, case_id, len);
	kbuf[len] = '\0';
	be64_put(kbuf + len + 1, time_key(copy.at));
	be64_put(kbuf + len + 9, seq);
	buf = g_string_sized_new(256);
	poc_event_encode(&copy, POC_ENCODE_VERSION, buf);
	k.mv_size = len + 17;
	k.mv_data = kbuf;
	v.mv_size = buf->len;
	v.mv_data = buf->str;
	status = put(s, txn, DB_EVENTS, &k, &v, 0, error);
	g_string_free(buf, TRUE);
	g_free(kbuf);
	return status;
}

/* idx_outbox: state byte + be64(next_attempt_at) + be64(id) -> empty */
static void
outbox_index_key(const poc_outbox_entry *e, unsigned char key[17])
{
	key[0] = (unsigned char)e->state;
	be64_put(key + 1, time_key(e->next_attempt_at));
	be64_put(key + 9, e->id);
}

/*
 * idx_ack: the entry's ack_message_id in ASCII lower case (a digest of it,
 * as for a message key, when too long) -> be64(id), MDB_DUPSORT: the
 * milter finds the entry of a Message-ID it sees without a scan.
 */
static int
ack_index(poc_store *s, MDB_txn *txn, const poc_outbox_entry *e, gboolean add, GError **error)
{
	char *lower, *key;
	unsigned char id[8];
	MDB_val k, v = { 8, id };
	int status;

	if (!e->ack_message_id || !*e->ack_message_id)
		return POC_OK;
	lower = g_ascii_strdown(e->ack_message_id, -1);
	key = msg_key(lower);
	k = str_val(key);
	be64_put(id, e->id);
	if (add) {
		status = put(s, txn, DB_IDX_ACK, &k, &v, MDB_NODUPDATA, error);
		if (status == POC_ERR_EXISTS)
			status = POC_OK;
	} else {
		status = del(s, txn, DB_IDX_ACK, &k, &v, error);
	}
	g_free(key);
	g_free(lower);
	return status;
}

/* outbox: be64(id) -> JSON (payload in base64) */
static int
outbox_put(poc_store *s, MDB_txn *txn, const poc_outbox_entry *e, const poc_outbox_entry *old,
	   GError **error)
{
	unsigned char ikey[17], okey[8];
	MDB_val k = { 17, ikey }, v = { 0, "" };
	GString *buf;
	int status = POC_OK;

	if (old) {
		outbox_index_key(old, ikey);
		status = del(s, txn, DB_IDX_OUTBOX, &k, NULL, error);
	}
	outbox_index_key(e, ikey);
	if (status == POC_OK)
		status = put(s, txn, DB_IDX_OUTBOX, &k, &v, 0, error);
	if (status == POC_OK && (!old || g_strcmp0(old->ack_message_id, e->ack_message_id) != 0)) {
		if (old)
			status = ack_index(s, txn, old, FALSE, error);
		if (status == POC_OK)
			status = ack_index(s, txn, e, TRUE, error);
	}
	if (status != POC_OK)
		return status;
	buf = g_string_sized_new(e->payload ? g_bytes_get_size(e->payload) * 4 / 3 + 512 : 512);
	poc_outbox_entry_encode(e, POC_ENCODE_VERSION, buf);
	be64_put(okey, e->id);
	k.mv_size = 8;
	k.mv_data = okey;
	v.mv_size = buf->len;
	v.mv_data = buf->str;
	status = put(s, txn, DB_OUTBOX, &k, &v, 0, error);
	g_string_free(buf, TRUE);
	return status;
}

static int
outbox_get_txn(poc_store *s, MDB_txn *txn, guint64 id, poc_outbox_entry **out, GError **error)
{
	unsigned char key[8];
	MDB_val k = { 8, key }, v;
	int status;

	be64_put(key, id);
	*out = NULL;
	status = get(s, txn, DB_OUTBOX, &k, &v, error);
	if (status == POC_OK && !(*out = poc_outbox_entry_decode(v.mv_data, v.mv_size, NULL, error)))
		status = POC_ERR_DB;
	return status;
}

/* --- schema --------------------------------------------------------------------- */

/*
 * Migrations: migrations[n] takes a database from schema version n to
 * n + 1 inside the open's write transaction. Version 0 is an empty
 * environment. A reader (read-only open) never migrates: it refuses an
 * older schema with a message saying how to migrate.
 */
static int
migrate_0_to_1(poc_store *s, MDB_txn *txn, GError **error)
{
	char buf[POC_TIME_BUFSIZE];
	MDB_val k = str_val("created_at"), v = str_val(poc_time_format(poc_now(), buf));

	return put(s, txn, DB_META, &k, &v, 0, error);
}

/*
 * Version 2 adds idx_ack, built here from the outbox. It is a version
 * because an older writer would add outbox entries without it, and the
 * milter would then miss their evidence.
 */
static int
migrate_1_to_2(poc_store *s, MDB_txn *txn, GError **error)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc, status = POC_OK;

	if ((rc = mdb_cursor_open(txn, s->dbi[DB_OUTBOX], &cur)) != 0)
		return db_error(rc, error, "reading outbox");
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && status == POC_OK;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		poc_outbox_entry *e = poc_outbox_entry_decode(v.mv_data, v.mv_size, NULL, error);

		if (!e) {
			status = POC_ERR_DB;
			break;
		}
		status = ack_index(s, txn, e, TRUE, error);
		poc_outbox_entry_free(e);
	}
	mdb_cursor_close(cur);
	if (status == POC_OK && rc != 0 && rc != MDB_NOTFOUND)
		status = db_error(rc, error, "reading outbox");
	return status;
}

static int (*const migrations[SCHEMA_VERSION])(poc_store *, MDB_txn *, GError **) = {
	migrate_0_to_1,
	migrate_1_to_2,
};

static int
read_version(poc_store *s, MDB_txn *txn, int *version, GError **error)
{
	MDB_val k = str_val("schema_version"), v;
	int status = get(s, txn, DB_META, &k, &v, error);
	char text[16];
	char *end;

	*version = 0;
	if (status == POC_ERR_NOTFOUND)
		return POC_OK;
	if (status != POC_OK)
		return status;
	if (v.mv_size == 0 || v.mv_size >= sizeof(text))
		return fail(POC_ERR_DB, error, "database: %s: bad schema_version in meta", s->dir);
	memcpy(text, v.mv_data, v.mv_size);
	text[v.mv_size] = '\0';
	*version = (int)strtol(text, &end, 10);	/* "2" or "2.1": the major number counts */
	if (end == text || *version < 0)
		return fail(POC_ERR_DB, error, "database: %s: bad schema_version \"%s\" in meta",
			    s->dir, text);
	if (*version > SCHEMA_VERSION)
		return fail(POC_ERR_DB_VERSION, error,
			    "database: %s has schema version %d, this program knows up to %d: "
			    "use a newer pocmilter/pocctl (or restore a backup)",
			    s->dir, *version, SCHEMA_VERSION);
	return POC_OK;
}

static int
open_tables(poc_store *s, MDB_txn *txn, unsigned create, GError **error)
{
	for (int i = 0; i < DB_COUNT; i++) {
		int rc = mdb_dbi_open(txn, db_def[i].name, db_def[i].flags | create, &s->dbi[i]);

		s->have[i] = rc == 0;
		if (rc == MDB_NOTFOUND && !create)
			continue;
		if (rc)
			return db_error(rc, error, "opening table %s in %s", db_def[i].name, s->dir);
	}
	return POC_OK;
}

static int
setup_write(poc_store *s, MDB_txn *txn, void *ctx, GError **error)
{
	int version, status;
	char text[16];
	MDB_val k, v;

	if ((status = open_tables(s, txn, MDB_CREATE, error)) != POC_OK)
		return status;
	if ((status = read_version(s, txn, &version, error)) != POC_OK)
		return status;
	if (version == SCHEMA_VERSION)
		return POC_OK;
	for (; version < SCHEMA_VERSION; version++)
		if ((status = migrations[version](s, txn, error)) != POC_OK)
			return status;
	g_snprintf(text, sizeof(text), "%d", SCHEMA_VERSION);
	k = str_val("schema_version");
	v = str_val(text);
	return put(s, txn, DB_META, &k, &v, 0, error);
}

static int
setup_read(poc_store *s, GError **error)
{
	MDB_txn *txn;
	int status, version, rc;

	if ((status = txn_begin(s, FALSE, &txn, error)) != POC_OK)
		return status;
	status = open_tables(s, txn, 0, error);
	if (status == POC_OK)
		status = read_version(s, txn, &version, error);
	if (status == POC_OK && version < SCHEMA_VERSION)
		status = fail(POC_ERR_DB_VERSION, error,
			      "database: %s has schema version %d, older than %d: open it once "
			      "read-write (start pocmilter, or run any pocctl verb that writes) "
			      "to migrate it",
			      s->dir, version, SCHEMA_VERSION);
	if (status != POC_OK) {
		txn_abort(s, txn);
		return status;
	}
	/* Committing a read transaction keeps the table handles it opened. */
	if ((rc = txn_commit(s, txn)) != 0)
		return db_error(rc, error, "opening tables in %s", s->dir);
	return POC_OK;
}

/* --- open, close ------------------------------------------------------------------ */

static int
errno_status(int e)
{
	return e == EACCES || e == EPERM || e == EROFS ? POC_ERR_PERM
	       : e == ENOENT				 ? POC_ERR_NOTFOUND
	       : e == ENOSPC				 ? POC_ERR_DB_FULL
							 : POC_ERR_IO;
}

/* A link in place of the directory or a file would make LMDB write elsewhere. */
static int
check_no_links(const char *dir, GError **error)
{
	static const char *const names[] = { "", "data.mdb", "lock.mdb", NULL };
	int status = POC_OK;

	for (int i = 0; names[i] && status == POC_OK; i++) {
		char *p = *names[i] ? g_build_filename(dir, names[i], NULL) : g_strdup(dir);
		GStatBuf lst;

		if (g_lstat(p, &lst) == 0 && S_ISLNK(lst.st_mode))
			status = fail(POC_ERR_PERM, error,
				      "database: %s is a symbolic link: refusing to open it", p);
		else if (g_lstat(p, &lst) == 0 && *names[i] && !S_ISREG(lst.st_mode))
			status = fail(POC_ERR_PERM, error,
				      "database: %s is not a regular file: refusing to open it", p);
		g_free(p);
	}
	return status;
}

/*
 * The directory: made by a writer when missing (only the last component: a
 * typo must not start a new, empty database), accessible; *fresh: no
 * data.mdb yet (a reader refuses).
 */
static int
check_dir(const char *dir, gboolean rdonly, gboolean *fresh, GError **error)
{
	char *data_path;
	GStatBuf st;
	int e;

	if (!rdonly && g_mkdir(dir, 0700) != 0 && errno != EEXIST) {
		e = errno;
		return fail(errno_status(e), error, "database: cannot create directory %s: %s%s",
			    dir, g_strerror(e),
			    e == ENOENT ? " (its parent directory is not created)" : "");
	}
	if (g_access(dir, rdonly ? R_OK | X_OK : R_OK | W_OK | X_OK) != 0) {
		e = errno;
		return fail(errno_status(e), error, "database: cannot %s directory %s: %s",
			    rdonly ? "read" : "write to", dir, g_strerror(e));
	}
	data_path = g_build_filename(dir, "data.mdb", NULL);
	*fresh = g_stat(data_path, &st) != 0 || st.st_size == 0;
	e = errno;
	g_free(data_path);
	if (rdonly && *fresh)
		return fail(e == EACCES ? POC_ERR_PERM : POC_ERR_NOTFOUND, error,
			    "database: no database in %s (data.mdb: %s)", dir,
			    e == EACCES ? g_strerror(e) : "missing or empty");
	return POC_OK;
}

/* The LMDB environment of s in s->dir (map_size: a fresh database's). */
static int
env_open(poc_store *s, gboolean rdonly, gboolean fresh, const poc_store_options *o,
	 GError **error)
{
	int rc, dead = 0;

	if ((rc = mdb_env_create(&s->env)) != 0)
		return db_error(rc, error, "creating an environment");
	mdb_env_set_maxdbs(s->env, DB_COUNT + 4);
	/* An existing database keeps the map size it has grown to. */
	if (fresh && (rc = mdb_env_set_mapsize(s->env, o->map_size)) != 0)
		return db_error(rc, error, "setting the map size");
	rc = mdb_env_open(s->env, s->dir, MDB_NOTLS | (rdonly ? MDB_RDONLY : 0), o->mode);
	if (rc == EACCES || rc == EPERM)
		return fail(POC_ERR_PERM, error,
			    "database: cannot open %s: %s (a reader needs read access to "
			    "data.mdb and write access to lock.mdb)",
			    s->dir, g_strerror(rc));
	if (rc != 0)
		return db_error(rc, error, "opening %s", s->dir);
	mdb_reader_check(s->env, &dead);	/* slots of readers that died */
	return POC_OK;
}

int
poc_store_open_ex(const char *dir, const poc_store_options *opts, poc_store **out,
		  GError **error)
{
	poc_store_options o = { 0 };
	poc_store *s;
	gboolean rdonly, fresh;
	const char *log = g_getenv("POCMILTER_TXN_LOG");
	int status;

	*out = NULL;
	if (opts)
		o = *opts;
	rdonly = (o.flags & POC_STORE_RDONLY) != 0;
	if (!o.mode)
		o.mode = 0600;
	if (!o.map_size)
		o.map_size = DEFAULT_MAP_SIZE;
	if (!o.max_map_size)
		o.max_map_size = DEFAULT_MAX_MAP_SIZE;
	if (o.map_size > o.max_map_size)
		o.map_size = o.max_map_size;
	if (!dir || !*dir)
		return fail(POC_ERR_INVAL, error, "database: no directory given");
	if ((status = check_no_links(dir, error)) != POC_OK ||
	    (status = check_dir(dir, rdonly, &fresh, error)) != POC_OK)
		return status;

	s = g_new0(poc_store, 1);
	s->dir = g_strdup(dir);
	s->txn_log = log && *log ? open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600) : -1;
	s->flags = o.flags;
	s->max_map_size = o.max_map_size;
	g_rw_lock_init(&s->map_lock);
	status = env_open(s, rdonly, fresh, &o, error);
	if (status == POC_OK)
		status = rdonly ? setup_read(s, error)
				: store_write(s, "setup", setup_write, NULL, error);
	if (status != POC_OK) {
		poc_store_close(s);
		return status;
	}
	*out = s;
	return POC_OK;
}

int
poc_store_open(const char *dir, unsigned flags, poc_store **out, GError **error)
{
	poc_store_options o = { .flags = flags };

	return poc_store_open_ex(dir, &o, out, error);
}

void
poc_store_close(poc_store *s)
{
	if (!s)
		return;
	if (s->env)
		mdb_env_close(s->env);
	if (s->txn_log >= 0)
		close(s->txn_log);
	g_rw_lock_clear(&s->map_lock);
	g_free(s->dir);
	g_free(s);
}

size_t
poc_store_map_size(poc_store *s)
{
	return map_size(s);
}

void
poc_store_set_max_map_size(poc_store *s, size_t max)
{
	g_rw_lock_writer_lock(&s->map_lock);
	s->max_map_size = max ? max : DEFAULT_MAX_MAP_SIZE;
	g_rw_lock_writer_unlock(&s->map_lock);
}

/* --- spool ------------------------------------------------------------------- */

typedef struct spool_put_ctx {
	const char *raw;
	size_t len;
	const poc_spool_info *info;
	guint64 id;
} spool_put_ctx;

/* spool: be64(id) -> spool info JSON, "\n", the raw bytes */
static int
spool_put_fn(poc_store *s, MDB_txn *txn, void *ctx, GError **error)
{
	spool_put_ctx *c = ctx;
	unsigned char key[8];
	GString *hdr = g_string_sized_new(256);
	poc_spool_info empty = { 0 };
	MDB_val k = { 8, key }, v;
	int status;

	if ((status = counter_next(s, txn, "spool", &c->id, error)) != POC_OK)
		goto out;
	be64_put(key, c->id);
	poc_spool_info_encode(c->info ? c->info : &empty, POC_ENCODE_VERSION, hdr);
	g_string_append_c(hdr, '\n');
	v.mv_size = hdr->len + c->len;
	if ((status = put(s, txn, DB_SPOOL, &k, &v, MDB_RESERVE, error)) != POC_OK)
		goto out;
	memcpy(v.mv_data, hdr->str, hdr->len);
	memcpy((char *)v.mv_data + hdr->len, c->raw, c->len);
out:
	g_string_free(hdr, TRUE);
	return status;
}

int
poc_store_spool_put(poc_store *s, const char *raw, size_t len, const poc_spool_info *info,
		    guint64 *spool_id, GError **error)
{
	spool_put_ctx c = { raw, len, info, 0 };
	int status = store_write(s, "spool", spool_put_fn, &c, error);

	if (status == POC_OK && spool_id)
		*spool_id = c.id;
	return status;
}

int
poc_store_spool_pending(poc_store *s, GArray *ids, GError **error)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	int status, rc;

	if (!s->have[DB_SPOOL])
		return POC_OK;
	if ((status = txn_begin(s, FALSE, &txn, error)) != POC_OK)
		return status;
	if ((rc = mdb_cursor_open(txn, s->dbi[DB_SPOOL], &cur)) != 0) {
		txn_abort(s, txn);
		return db_error(rc, error, "reading spool");
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
		if (k.mv_size == 8) {
			guint64 id = be64_get(k.mv_data);

			g_array_append_val(ids, id);
		}
	mdb_cursor_close(cur);
	txn_abort(s, txn);
	return rc == MDB_NOTFOUND ? POC_OK : db_error(rc, error, "reading spool");
}

/* Splits a spool value; raw and info may be NULL. */
static int
spool_parse(MDB_val *v, guint64 id, GBytes **raw, poc_spool_info *info, GError **error)
{
	const char *data = v->mv_data;
	const char *nl = memchr(data, '\n', v->mv_size);

	if (!nl)
		return fail(POC_ERR_DB, error, "database: spool entry %" G_GUINT64_FORMAT
			    " has no header", id);
	if (info && poc_spool_info_decode(data, nl - data, info, NULL, error) != POC_OK)
		return POC_ERR_DB;
	if (raw)
		*raw = g_bytes_new(nl + 1, v->mv_size - (nl + 1 - data));
	return POC_OK;
}

int
poc_store_spool_get(poc_store *s, guint64 spool_id, GBytes **raw, poc_spool_info *info,
		    GError **error)
{
	MDB_txn *txn;
	unsigned char key[8];
	MDB_val k = { 8, key }, v;
	int status;

	be64_put(key, spool_id);
	if ((status = txn_begin(s, FALSE, &txn, error)) != POC_OK)
		return status;
	status = get(s, txn, DB_SPOOL, &k, &v, error);
	if (status == POC_ERR_NOTFOUND)
		fail(status, error, "database: no spool entry %" G_GUINT64_FORMAT, spool_id);
	else if (status == POC_OK)
		status = spool_parse(&v, spool_id, raw, info, error);
	txn_abort(s, txn);
	return status;
}

/* --- filing ------------------------------------------------------------------ */

static void
set_str(char **field, const char *value)
{
	char *copy = g_strdup(value);

	g_free(*field);
	*field = copy;
}

/* A new local case id, "LOCAL-YYYYMMDD-NNN" by the Japan date of t. */
static int
new_local_id(poc_store *s, MDB_txn *txn, gint64 t, char **out, GError **error)
{
	char date[POC_TIME_BUFSIZE], name[32];
	guint64 n;
	int status;

	poc_time_format(t, date);	/* 2026-11-26T... */
	for (;;) {
		MDB_val k, v;
		char *id;

		g_snprintf(name, sizeof(name), "local:%.4s%.2s%.2s", date, date + 5, date + 8);
		if ((status = counter_next(s, txn, name, &n, error)) != POC_OK)
			return status;
		id = g_strdup_printf("LOCAL-%.4s%.2s%.2s-%03" G_GUINT64_FORMAT, date, date + 5,
				     date + 8, n);
		k = str_val(id);
		status = get(s, txn, DB_CASES, &k, &v, error);
		if (status == POC_ERR_NOTFOUND) {
			*out = id;
			return POC_OK;
		}
		g_free(id);
		if (status != POC_OK)
			return status;
	}
}

/* The case a message belongs to: by tracking number, by its parent, or a new one. */
static int
find_case(poc_store *s, MDB_txn *txn, const poc_message *m, gint64 now, poc_case **out,
	  poc_case **old, GError **error)
{
	int status;
	poc_case *c = NULL;

	*out = *old = NULL;
	if (m->tracking && *m->tracking) {
		status = get_case_txn(s, txn, m->tracking, &c, error);
		if (status != POC_OK && status != POC_ERR_NOTFOUND)
			return status;
	} else if (m->in_reply_to && *m->in_reply_to) {
		poc_message *parent;

		status = get_message_txn(s, txn, m->in_reply_to, &parent, error);
		if (status == POC_OK && parent->case_id)
			status = get_case_txn(s, txn, parent->case_id, &c, error);
		poc_message_free(parent);
		if (status != POC_OK && status != POC_ERR_NOTFOUND)
			return status;
	}
	if (c) {
		GString *copy = g_string_new(NULL);

		/* old: the case as stored, for the indexes to follow the changes */
		poc_case_encode(c, NULL, 0, copy);
		*old = poc_case_decode(copy->str, copy->len, NULL, NULL);
		g_string_free(copy, TRUE);
		if (!*old) {
			poc_case_free(c);
			return fail(POC_ERR_DB, error, "database: case copy failed");
		}
		*out = c;
		return POC_OK;
	}
	c = poc_case_new();
	if (m->tracking && *m->tracking) {
		c->id = g_strdup(m->tracking);
	} else if ((status = new_local_id(s, txn, m->received_at ? m->received_at : now, &c->id,
					  error)) != POC_OK) {
		poc_case_free(c);
		return status;
	}
	poc_case_rules_open(c, m, now);
	*out = c;
	return POC_OK;
}

/* --- replays: the first message filed with a signature owns it ---------------- */

#define SIG_PREFIX "sig:"

/*
 * The Message-ID that first filed m's signature when it is not m's own
 * (a replay), else NULL. With claim, a signature nobody owns yet becomes
 * m's in this transaction: two copies filed at the same moment cannot
 * both be first.
 */
static int
replay_of_txn(poc_store *s, MDB_txn *txn, const poc_message *m, gboolean claim, char **first,
	      GError **error)
{
	char *key;
	MDB_val k, v;
	int status;

	*first = NULL;
	if (!m->signature_id || !*m->signature_id || !m->message_id)
		return POC_OK;
	key = g_strconcat(SIG_PREFIX, m->signature_id, NULL);
	if (strlen(key) > MAX_KEY) {
		g_free(key);
		return POC_OK;
	}
	k = str_val(key);
	status = get(s, txn, DB_META, &k, &v, error);
	if (status == POC_OK) {
		if (v.mv_size != strlen(m->message_id) || memcmp(v.mv_data, m->message_id, v.mv_size))
			*first = g_strndup(v.mv_data, v.mv_size);
	} else if (status == POC_ERR_NOTFOUND) {
		status = POC_OK;
		if (claim) {
			v = str_val(m->message_id);
			status = put(s, txn, DB_META, &k, &v, 0, error);
		}
	}
	g_free(key);
	return status;
}

static int
signature_claim_fn(poc_store *s, MDB_txn *txn, void *ctx, GError **error)
{
	poc_store_item *it = ctx;
	char *first = NULL;
	int status = replay_of_txn(s, txn, it->msg, TRUE, &first, error);

	if (status == POC_OK && first)
		poc_case_rules_mark_replay(it->msg, first);
	g_free(first);
	return status;
}

int
poc_store_signature_claim(poc_store *s, poc_message *msg, GError **error)
{
	poc_store_item it = { 0, msg, NULL, POC_OK };

	return store_write(s, "signature", signature_claim_fn, &it, error);
}

char *
poc_store_replay_of(poc_store *s, const poc_message *msg)
{
	MDB_txn *txn;
	char *first = NULL;

	if (!msg->signature_id || txn_begin(s, FALSE, &txn, NULL) != POC_OK)
		return NULL;
	replay_of_txn(s, txn, msg, FALSE, &first, NULL);
	txn_abort(s, txn);
	return first;
}

/* Write each event of events (poc_event) in order. */
static int
put_events(poc_store *s, MDB_txn *txn, GArray *events, GError **error)
{
	int status = POC_OK;

	for (guint i = 0; status == POC_OK && i < events->len; i++)
		status = put_event(s, txn, &g_array_index(events, poc_event, i), error);
	return status;
}

/*
 * The raw message of an item: its spool entry's bytes after the header
 * line, or it->raw. *raw NULL: none. m gets its key when it has no
 * Message-ID (hashing the whole message: callers set it first).
 */
static int
file_raw(poc_store *s, MDB_txn *txn, poc_store_item *it, MDB_val *sk, const char **raw,
	 size_t *raw_len, GError **error)
{
	poc_message *m = it->msg;
	MDB_val sv;
	int status;

	*raw = it->raw;
	*raw_len = it->raw_len;
	if (it->spool_id) {
		status = get(s, txn, DB_SPOOL, sk, &sv, error);
		if (status == POC_ERR_NOTFOUND)
			return fail(status, error, "database: no spool entry %" G_GUINT64_FORMAT,
				    it->spool_id);
		if (status != POC_OK)
			return status;
		/* The header ends at the first newline; the bytes after it are the message. */
		if ((*raw = memchr(sv.mv_data, '\n', sv.mv_size))) {
			(*raw)++;
			*raw_len = sv.mv_size - (*raw - (char *)sv.mv_data);
		}
	}
	if (!m->message_id || !*m->message_id) {
		if (!*raw)
			return fail(POC_ERR_INVAL, error,
				    "database: filing a message with neither Message-ID nor raw bytes");
		g_free(m->message_id);
		m->message_id = poc_text_message_key(*raw, *raw_len);
	}
	return POC_OK;
}

/* The records of a filing: outbox entry (ack or NULL), message, raw bytes, case, events. */
static int
file_write(poc_store *s, MDB_txn *txn, poc_message *m, poc_outbox_entry *ack, poc_case *c,
	   const poc_case *old, const char *raw, size_t raw_len, GArray *events, gint64 now,
	   GError **error)
{
	int status = POC_OK;

	if (ack) {
		if ((status = counter_next(s, txn, "outbox", &ack->id, error)) != POC_OK)
			return status;
		set_str(&ack->case_id, c->id);
		poc_case_rules_ack_queued(m, ack, NULL, now, events);
		if ((status = outbox_put(s, txn, ack, NULL, error)) != POC_OK)
			return status;
	}
	if ((status = put_message(s, txn, m, NULL, error)) != POC_OK)
		return status;
	if (raw) {
		char *key = msg_key(m->message_id);
		MDB_val k = str_val(key), v = { raw_len, (char *)raw };

		status = put(s, txn, DB_RAW, &k, &v, 0, error);
		g_free(key);
		if (status != POC_OK)
			return status;
	}
	if ((status = put_case(s, txn, c, old, error)) != POC_OK)
		return status;
	return put_events(s, txn, events, error);
}

/*
 * File one item: a duplicate only drops its spool entry; the replay
 * decision, the case (caserules.c) and the records are one transaction.
 */
static int
file_fn(poc_store *s, MDB_txn *txn, poc_store_item *it, GError **error)
{
	poc_message *m = it->msg, *dup = NULL;
	poc_outbox_entry *ack = it->ack;
	unsigned char skey[8];
	MDB_val sk = { 8, skey };
	const char *raw;
	size_t raw_len;
	poc_case *c = NULL, *old = NULL;
	char *first = NULL;
	gint64 now = poc_now();
	GArray *events;
	int status;

	it->status = POC_OK;
	be64_put(skey, it->spool_id);
	if ((status = file_raw(s, txn, it, &sk, &raw, &raw_len, error)) != POC_OK)
		return status;
	status = get_message_txn(s, txn, m->message_id, &dup, error);
	if (status == POC_OK) {
		set_str(&m->case_id, dup->case_id);
		poc_message_free(dup);
		it->status = POC_ERR_EXISTS;
		return it->spool_id ? del(s, txn, DB_SPOOL, &sk, NULL, error) : POC_OK;
	}
	if (status != POC_ERR_NOTFOUND)
		return status;
	if ((status = replay_of_txn(s, txn, m, TRUE, &first, error)) != POC_OK)
		return status;
	if (first) {
		poc_case_rules_mark_replay(m, first);
		ack = NULL;	/* its acknowledgement is dropped with the decision */
		g_free(first);
	}
	if ((status = find_case(s, txn, m, now, &c, &old, error)) != POC_OK)
		return status;
	events = poc_case_events_new();
	poc_case_rules_file(c, m, old == NULL, now, events);
	status = file_write(s, txn, m, ack, c, old, raw, raw_len, events, now, error);
	if (status == POC_OK && it->spool_id)
		status = del(s, txn, DB_SPOOL, &sk, NULL, error);
	g_array_unref(events);
	poc_case_free(c);
	poc_case_free(old);
	return status;
}

typedef struct file_batch_ctx {
	poc_store_item *items;
	size_t n;
} file_batch_ctx;

static int
file_batch_fn(poc_store *s, MDB_txn *txn, void *ctx, GError **error)
{
	file_batch_ctx *c = ctx;

	for (size_t i = 0; i < c->n; i++) {
		int status = file_fn(s, txn, &c->items[i], error);

		if (status != POC_OK)
			return status;
	}
	return POC_OK;
}

int
poc_store_file_batch(poc_store *s, poc_store_item *items, size_t n, GError **error)
{
	file_batch_ctx c = { items, n };

	for (size_t i = 0; i < n; i++)
		if (!items[i].msg)
			return fail(POC_ERR_INVAL, error, "database: filing: item %zu has no message",
				    i);
	return store_write(s, "filing", file_batch_fn, &c, error);
}

static int
file_item(poc_store *s, poc_store_item *it, GError **error)
{
	poc_message *msg = it->msg;
	int status = poc_store_file_batch(s, it, 1, error);

	if (status == POC_OK && it->status == POC_ERR_EXISTS)
		return fail(POC_ERR_EXISTS, error, "database: message %s is filed already (case %s)",
			    msg->message_id, msg->case_id ? msg->case_id : "?");
	return status;
}

int
poc_store_file(poc_store *s, guint64 spool_id, poc_message *msg, poc_outbox_entry *ack,
	       GError **error)
{
	poc_store_item it = { spool_id, msg, ack, POC_OK, NULL, 0 };

	return file_item(s, &it, error);
}

int
poc_store_file_raw(poc_store *s, GBytes *raw, poc_message *msg, poc_outbox_entry *ack,
		   GError **error)
{
	poc_store_item it = { 0, msg, ack, POC_OK, NULL, 0 };

	if (raw && !(it.raw = g_bytes_get_data(raw, &it.raw_len)))
		it.raw = "";	/* empty, not absent */
	return file_item(s, &it, error);
}

gboolean
poc_store_has_message(poc_store *s, const char *message_id)
{
	MDB_txn *txn;
	char *key;
	MDB_val k, v;
	gboolean found;

	if (!message_id || txn_begin(s, FALSE, &txn, NULL) != POC_OK)
		return FALSE;
	key = msg_key(message_id);
	k = str_val(key);
	found = get(s, txn, DB_MESSAGES, &k, &v, NULL) == POC_OK;
	txn_abort(s, txn);
	g_free(key);
	return found;
}

/* --- reading ------------------------------------------------------------------ */

/* A case by its id, tracking number, vulnerability number or a Message-ID. */
static int
resolve_case(poc_store *s, MDB_txn *txn, const char *id, poc_case **out, GError **error)
{
	char *forms[3] = { (char *)id, g_ascii_strup(id, -1), g_strdup_printf("<%s>", id) };
	int status = POC_ERR_NOTFOUND;

	*out = NULL;
	for (int i = 0; i < 2 && status == POC_ERR_NOTFOUND; i++) {
		MDB_val k = str_val(forms[i]), v;

		if (k.mv_size == 0 || k.mv_size > MAX_KEY)
			continue;
		status = get_case_txn(s, txn, forms[i], out, error);
		if (status != POC_ERR_NOTFOUND)
			break;
		status = get(s, txn, DB_IDX_VULN, &k, &v, error);
		if (status == POC_OK) {
			char *case_id = g_strndup(v.mv_data, v.mv_size);

			status = get_case_txn(s, txn, case_id, out, error);
			g_free(case_id);
		}
	}
	for (int i = 0; i < 3 && status == POC_ERR_NOTFOUND; i += 2) {
		poc_message *m;

		status = get_message_txn(s, txn, forms[i], &m, error);
		if (status == POC_OK) {
			status = m->case_id ? get_case_txn(s, txn, m->case_id, out, error)
					    : POC_ERR_NOTFOUND;
			poc_message_free(m);
		}
	}
	if (status == POC_ERR_NOTFOUND)
		fail(status, error, "no case, vulnerability number or message %s", id);
	g_free(forms[1]);
	g_free(forms[2]);
	return status;
}

static int
case_messages_txn(poc_store *s, MDB_txn *txn, const poc_case *c, GPtrArray *out,
		  GError **error)
{
	for (guint i = 0; i < c->message_ids->len; i++) {
		poc_message *m;
		int status = get_message_txn(s, txn, g_ptr_array_index(c->message_ids, i), &m, error);

		if (status == POC_ERR_NOTFOUND)
			continue;	/* cannot happen: filed in the same transaction */
		if (status != POC_OK)
			return status;
		g_ptr_array_add(out, m);
	}
	return POC_OK;
}

int
poc_store_get_case_full(poc_store *s, const char *id, poc_case **out, GPtrArray *messages,
			GError **error)
{
	MDB_txn *txn;
	int status;

	*out = NULL;
	if (!id)
		return fail(POC_ERR_INVAL, error, "no case id given");
	if ((status = txn_begin(s, FALSE, &txn, error)) != POC_OK)
		return status;
	status = resolve_case(s, txn, id, out, error);
	if (status == POC_OK && messages)
		status = case_messages_txn(s, txn, *out, messages, error);
	txn_abort(s, txn);
	if (status != POC_OK) {
		poc_case_free(*out);
		*out = NULL;
	}
	return status;
}

int
poc_store_get_case(poc_store *s, const char *id, poc_case **out, GError **error)
{
	return poc_store_get_case_full(s, id, out, NULL, error);
}

int
poc_store_get_message(poc_store *s, const char *message_id, poc_message **out, GError **error)
{
	MDB_txn *txn;
	int status;

	*out = NULL;
	if (!message_id)
		return fail(POC_ERR_INVAL, error, "no Message-ID given");
	if ((status = txn_begin(s, FALSE, &txn, error)) != POC_OK)
		return status;
	status = get_message_txn(s, txn, message_id, out, error);
	txn_abort(s, txn);
	if (status == POC_ERR_NOTFOUND)
		fail(status, error, "no message %s", message_id);
	return status;
}

int
poc_store_get_raw(poc_store *s, const char *message_id, GBytes **raw, GError **error)
{
	MDB_txn *txn;
	char *key;
	MDB_val k, v;
	int status;

	*raw = NULL;
	if (!message_id)
		return fail(POC_ERR_INVAL, error, "no Message-ID given");
	if ((status = txn_begin(s, FALSE, &txn, error)) != POC_OK)
		return status;
	key = msg_key(message_id);
	k = str_val(key);
	status = get(s, txn, DB_RAW, &k, &v, error);
	if (status == POC_OK)
		*raw = g_bytes_new(v.mv_data, v.mv_size);	/* copied before the txn ends */
	txn_abort(s, txn);
	if (status == POC_ERR_NOTFOUND)
		fail(status, error, "no raw message %s", message_id);
	g_free(key);
	return status;
}

/*
 * Iteration: up to BATCH records are read in one short read transaction,
 * then handed to the callback outside it; the next batch starts after
 * the last key seen. A long listing therefore does not pin old pages,
 * and is not one snapshot (a case written meanwhile may or may not be
 * seen; each record is whole).
 */
typedef struct cursor_walk {
	int db;
	GByteArray *prefix;	/* keys must start with it; NULL: all */
	GByteArray *last;	/* resume after this key */
	gboolean done;
} cursor_walk;

typedef int (*walk_fn)(poc_store *s, MDB_txn *txn, MDB_val *k, MDB_val *v, void *ctx,
		       GError **error);

/* Calls fn for up to n records of the next batch, inside one read transaction. */
static int
walk_batch(poc_store *s, cursor_walk *w, guint n, walk_fn fn, void *ctx, GError **error)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	int status, rc;
	guint count = 0;

	if (!s->have[w->db]) {
		w->done = TRUE;
		return POC_OK;
	}
	if ((status = txn_begin(s, FALSE, &txn, error)) != POC_OK)
		return status;
	if ((rc = mdb_cursor_open(txn, s->dbi[w->db], &cur)) != 0) {
		txn_abort(s, txn);
		return db_error(rc, error, "reading %s", db_def[w->db].name);
	}
	if (w->last) {
		k.mv_size = w->last->len;
		k.mv_data = w->last->data;
		rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
		if (rc == 0 && k.mv_size == w->last->len && memcmp(k.mv_data, w->last->data, k.mv_size) == 0)
			rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_NODUP);
	} else if (w->prefix && w->prefix->len) {
		k.mv_size = w->prefix->len;
		k.mv_data = w->prefix->data;
		rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	} else {
		rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	}
	for (; rc == 0 && count < n; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_NODUP), count++) {
		if (w->prefix && (k.mv_size < w->prefix->len ||
				  memcmp(k.mv_data, w->prefix->data, w->prefix->len) != 0)) {
			rc = MDB_NOTFOUND;
			break;
		}
		if ((status = fn(s, txn, &k, &v, ctx, error)) != POC_OK)
			break;
		if (!w->last)
			w->last = g_byte_array_new();
		g_byte_array_set_size(w->last, 0);
		g_byte_array_append(w->last, k.mv_data, k.mv_size);
	}
	if (status == POC_OK && rc != 0 && rc != MDB_NOTFOUND)
		status = db_error(rc, error, "reading %s", db_def[w->db].name);
	w->done = rc == MDB_NOTFOUND;
	mdb_cursor_close(cur);
	txn_abort(s, txn);
	return status;
}

static void
walk_clear(cursor_walk *w)
{
	if (w->prefix)
		g_byte_array_unref(w->prefix);
	if (w->last)
		g_byte_array_unref(w->last);
}

typedef struct case_batch {
	GPtrArray *cases;	/* poc_case * */
	GPtrArray *messages;	/* GPtrArray * of poc_message *, or NULL */
} case_batch;

static int
collect_case(poc_store *s, MDB_txn *txn, MDB_val *k, MDB_val *v, void *ctx, GError **error)
{
	case_batch *b = ctx;
	poc_case *c = poc_case_decode(v->mv_data, v->mv_size, NULL, error);
	GPtrArray *msgs;
	int status;

	if (!c)
		return POC_ERR_DB;
	g_ptr_array_add(b->cases, c);
	if (!b->messages)
		return POC_OK;
	msgs = g_ptr_array_new_with_free_func((GDestroyNotify)poc_message_free);
	g_ptr_array_add(b->messages, msgs);
	status = case_messages_txn(s, txn, c, msgs, error);
	return status;
}

int
poc_store_foreach_case_full(poc_store *s, poc_case_full_fn full, poc_case_fn plain, void *data,
			    GError **error)
{
	cursor_walk w = { DB_CASES, NULL, NULL, FALSE };
	int status = POC_OK;
	gboolean stop = FALSE;

	while (status == POC_OK && !stop && !w.done) {
		case_batch b = { g_ptr_array_new_with_free_func((GDestroyNotify)poc_case_free),
				 full ? g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref)
				      : NULL };

		status = walk_batch(s, &w, BATCH, collect_case, &b, error);
		for (guint i = 0; status == POC_OK && !stop && i < b.cases->len; i++)
			stop = full ? full(g_ptr_array_index(b.cases, i),
					   g_ptr_array_index(b.messages, i), data) != 0
				    : plain(g_ptr_array_index(b.cases, i), data) != 0;
		g_ptr_array_unref(b.cases);
		if (b.messages)
			g_ptr_array_unref(b.messages);
	}
	walk_clear(&w);
	return status;
}

int
poc_store_foreach_case(poc_store *s, poc_case_fn fn, void *data, GError **error)
{
	return poc_store_foreach_case_full(s, NULL, fn, data, error);
}

static int
collect_open_ack(poc_store *s, MDB_txn *txn, MDB_val *k, MDB_val *v, void *ctx, GError **error)
{
	GPtrArray *out = ctx;
	poc_message *m;

	if (k->mv_size <= 8 || v->mv_size == 0)
		return POC_OK;
	if (!(m = poc_message_decode(v->mv_data, v->mv_size, NULL, error)))
		return POC_ERR_DB;
	g_ptr_array_add(out, m);
	return POC_OK;
}

int
poc_store_foreach_open_ack(poc_store *s, poc_message_fn fn, void *data, GError **error)
{
	cursor_walk w = { DB_IDX_DEADLINE, NULL, NULL, FALSE };
	int status = POC_OK;
	gboolean stop = FALSE;

	while (status == POC_OK && !stop && !w.done) {
		GPtrArray *batch = g_ptr_array_new_with_free_func((GDestroyNotify)poc_message_free);

		status = walk_batch(s, &w, 4 * BATCH, collect_open_ack, batch, error);
		for (guint i = 0; status == POC_OK && !stop && i < batch->len; i++)
			stop = fn(g_ptr_array_index(batch, i), data) != 0;
		g_ptr_array_unref(batch);
	}
	walk_clear(&w);
	return status;
}

static void
event_free(gpointer p)
{
	poc_event_clear(p);
	g_free(p);
}

static int
collect_event(poc_store *s, MDB_txn *txn, MDB_val *k, MDB_val *v, void *ctx, GError **error)
{
	poc_event *ev = g_new0(poc_event, 1);

	if (poc_event_decode(v->mv_data, v->mv_size, ev, NULL, error) != POC_OK) {
		g_free(ev);
		return POC_ERR_DB;
	}
	g_ptr_array_add(ctx, ev);
	return POC_OK;
}

int
poc_store_foreach_event(poc_store *s, const char *case_id, poc_event_fn fn, void *data,
			GError **error)
{
	cursor_walk w = { DB_EVENTS, NULL, NULL, FALSE };
	int status = POC_OK;
	gboolean stop = FALSE;

	if (case_id) {
		w.prefix = g_byte_array_new();
		g_byte_array_append(w.prefix, (const guint8 *)case_id, strlen(case_id) + 1);
	}
	while (status == POC_OK && !stop && !w.done) {
		GPtrArray *batch = g_ptr_array_new_with_free_func(event_free);

		status = walk_batch(s, &w, BATCH, collect_event, batch, error);
		for (guint i = 0; status == POC_OK && !stop && i < batch->len; i++)
			stop = fn(g_ptr_array_index(batch, i), data) != 0;
		g_ptr_array_unref(batch);
	}
	walk_clear(&w);
	return status;
}

/* --- updates ------------------------------------------------------------------ */

typedef struct update_ctx {
	const poc_message *msg;
	const poc_case *c;
	const poc_event *ev;
} update_ctx;

static int
put_event_for(poc_store *s, MDB_txn *txn, const poc_event *ev, const char *case_id,
	      const char *message_id, GError **error)
{
	poc_event copy;

	if (!ev)
		return POC_OK;
	copy = *ev;
	if (!copy.case_id)
		copy.case_id = (char *)case_id;
	if (!copy.message_id)
		copy.message_id = (char *)message_id;
	return put_event(s, txn, &copy, error);
}

/*
 * A message read again (pocctl reprocess) with another publication date or
 * now a publication notice: the case follows (poc_case_rules_reread), as
 * when it was filed; here, whether a later message of the case has a date.
 */
static int
reread_case(poc_store *s, MDB_txn *txn, const poc_message *m, GError **error)
{
	poc_case *c = NULL, *old = NULL;
	gboolean later = FALSE;
	GArray *events = poc_case_events_new();
	int status;

	if ((status = get_case_txn(s, txn, m->case_id, &c, error)) != POC_OK ||
	    (status = get_case_txn(s, txn, m->case_id, &old, error)) != POC_OK)
		goto out;
	for (guint i = 0; m->publication_date && c->message_ids && i < c->message_ids->len && !later;
	     i++) {
		poc_message *other = NULL;
		const char *mid = g_ptr_array_index(c->message_ids, i);

		if (strcmp(mid, m->message_id) == 0)
			continue;
		if (get_message_txn(s, txn, mid, &other, NULL) == POC_OK)
			later = other->publication_date && other->received_at > m->received_at;
		poc_message_free(other);
	}
	if (poc_case_rules_reread(c, m, later, poc_now(), events) &&
	    (status = put_case(s, txn, c, old, error)) == POC_OK)
		status = put_events(s, txn, events, error);
out:
	g_array_unref(events);
	poc_case_free(c);
	poc_case_free(old);
	return status;
}

static int
update_message_fn(poc_store *s, MDB_txn *txn, void *ctx, GError **error)
{
	update_ctx *u = ctx;
	poc_message *old, copy = *u->msg;
	int status = get_message_txn(s, txn, u->msg->message_id, &old, error);

	if (status == POC_ERR_NOTFOUND)
		return fail(status, error, "database: no message %s to update",
			    u->msg->message_id);
	if (status != POC_OK)
		return status;
	if (!copy.case_id)
		copy.case_id = old->case_id;
	poc_case_rules_keep_sent(&copy, old);	/* sent is final */
	status = put_message(s, txn, &copy, old, error);
	if (status == POC_OK)
		status = put_event_for(s, txn, u->ev, copy.case_id, copy.message_id, error);
	if (status == POC_OK && poc_case_rules_reread_needed(&copy, old))
		status = reread_case(s, txn, &copy, error);
	poc_message_free(old);
	return status;
}

int
poc_store_update_message(poc_store *s, const poc_message *msg, const poc_event *ev,
			 GError **error)
{
	update_ctx u = { msg, NULL, ev };

	if (!msg || !msg->message_id)
		return fail(POC_ERR_INVAL, error, "database: update of a message without Message-ID");
	return store_write(s, "message update", update_message_fn, &u, error);
}

static int
update_case_fn(poc_store *s, MDB_txn *txn, void *ctx, GError **error)
{
	update_ctx *u = ctx;
	poc_case *old;
	int status = get_case_txn(s, txn, u->c->id, &old, error);

	if (status == POC_ERR_NOTFOUND)
		return fail(status, error, "database: no case %s to update", u->c->id);
	if (status != POC_OK)
		return status;
	status = put_case(s, txn, u->c, old, error);
	if (status == POC_OK)
		status = put_event_for(s, txn, u->ev, u->c->id, NULL, error);
	poc_case_free(old);
	return status;
}

int
poc_store_update_case(poc_store *s, const poc_case *c, const poc_event *ev, GError **error)
{
	update_ctx u = { NULL, c, ev };

	if (!c || !c->id)
		return fail(POC_ERR_INVAL, error, "database: update of a case without id");
	return store_write(s, "case update", update_case_fn, &u, error);
}

typedef struct accept_ctx {
	const char *message_id;
	const char *actor;
	poc_message *out;
} accept_ctx;

static int
accept_claim_fn(poc_store *s, MDB_txn *txn, void *ctx, GError **error)
{
	accept_ctx *a = ctx;
	poc_message *m = NULL, *old = NULL;
	poc_case *c = NULL, *cold = NULL;
	GArray *events = poc_case_events_new();
	int status;

	if ((status = get_message_txn(s, txn, a->message_id, &m, error)) != POC_OK ||
	    (status = poc_case_rules_claim_check(m, error)) != POC_OK)
		goto out;
	if (!m->case_id || (status = get_case_txn(s, txn, m->case_id, &c, error)) != POC_OK) {
		if (!m->case_id)
			status = fail(POC_ERR_NOTFOUND, error, "message %s has no case",
				      a->message_id);
		goto out;
	}
	if ((status = get_case_txn(s, txn, m->case_id, &cold, error)) != POC_OK ||
	    (status = get_message_txn(s, txn, a->message_id, &old, error)) != POC_OK)
		goto out;
	poc_case_rules_accept_claim(c, m, a->actor, poc_now(), events);
	if ((status = put_case(s, txn, c, cold, error)) != POC_OK ||
	    (status = put_message(s, txn, m, old, error)) != POC_OK ||
	    (status = put_events(s, txn, events, error)) != POC_OK)
		goto out;
	a->out = m;
	m = NULL;
out:
	g_array_unref(events);
	poc_message_free(m);
	poc_message_free(old);
	poc_case_free(c);
	poc_case_free(cold);
	return status;
}

int
poc_store_accept_claim(poc_store *s, const char *message_id, const char *actor,
		       poc_message **out, GError **error)
{
	accept_ctx a = { message_id, actor ? actor : "pocmilter", NULL };
	int status;

	if (!message_id)
		return fail(POC_ERR_INVAL, error, "database: accept: no Message-ID");
	status = store_write(s, "accept claim", accept_claim_fn, &a, error);
	if (status == POC_OK && out)
		*out = a.out;
	else
		poc_message_free(a.out);
	return status;
}

static int
add_event_fn(poc_store *s, MDB_txn *txn, void *ctx, GError **error)
{
	return put_event(s, txn, ctx, error);
}

int
poc_store_add_event(poc_store *s, const poc_event *ev, GError **error)
{
	if (!ev || !ev->type)
		return fail(POC_ERR_INVAL, error, "database: an event needs a type");
	return store_write(s, "event", add_event_fn, (void *)ev, error);
}

typedef struct events_ctx {
	const poc_event *evs;
	size_t n;
} events_ctx;

static int
add_events_fn(poc_store *s, MDB_txn *txn, void *ctx, GError **error)
{
	events_ctx *c = ctx;
	int status = POC_OK;

	for (size_t i = 0; status == POC_OK && i < c->n; i++)
		status = put_event(s, txn, &c->evs[i], error);
	return status;
}

int
poc_store_add_events(poc_store *s, const poc_event *evs, size_t n, GError **error)
{
	events_ctx c = { evs, n };

	for (size_t i = 0; i < n; i++)
		if (!evs[i].type)
			return fail(POC_ERR_INVAL, error, "database: an event needs a type");
	return n ? store_write(s, "events", add_events_fn, &c, error) : POC_OK;
}

/* --- outbox ------------------------------------------------------------------ */

typedef struct outbox_ctx {
	poc_outbox_entry *entry;
	const poc_outbox_entry *update;
} outbox_ctx;

static int
outbox_add_fn(poc_store *s, MDB_txn *txn, void *ctx, GError **error)
{
	poc_outbox_entry *e = ((outbox_ctx *)ctx)->entry;
	poc_message *m, *old;
	GArray *events;
	int status = get_message_txn(s, txn, e->message_id, &old, error);

	if (status == POC_ERR_NOTFOUND)
		return fail(status, error, "database: no message %s to acknowledge", e->message_id);
	if (status != POC_OK)
		return status;
	m = message_copy(old);
	events = poc_case_events_new();
	if ((status = counter_next(s, txn, "outbox", &e->id, error)) != POC_OK)
		goto out;
	poc_case_rules_ack_queued(m, e, NULL, poc_now(), events);
	if ((status = outbox_put(s, txn, e, NULL, error)) != POC_OK ||
	    (status = put_message(s, txn, m, old, error)) != POC_OK)
		goto out;
	status = put_events(s, txn, events, error);
out:
	g_array_unref(events);
	poc_message_free(m);
	poc_message_free(old);
	return status;
}

int
poc_store_outbox_add(poc_store *s, poc_outbox_entry *entry, GError **error)
{
	outbox_ctx c = { entry, NULL };

	if (!entry || !entry->message_id)
		return fail(POC_ERR_INVAL, error, "database: an outbox entry needs a message_id");
	return store_write(s, "outbox add", outbox_add_fn, &c, error);
}

typedef struct statement_ctx {
	poc_outbox_entry *entry;
	const char *status;
	const char *actor;
} statement_ctx;

static int
statement_add_fn(poc_store *s, MDB_txn *txn, void *ctx, GError **error)
{
	statement_ctx *sc = ctx;
	poc_outbox_entry *e = sc->entry;
	poc_case *c = NULL, *before = NULL;
	GArray *events = poc_case_events_new();
	int status = get_case_txn(s, txn, e->case_id, &c, error);

	if (status == POC_ERR_NOTFOUND)
		status = fail(status, error, "database: no case %s for a statement", e->case_id);
	if (status != POC_OK)
		goto out;
	if ((status = get_case_txn(s, txn, e->case_id, &before, error)) != POC_OK ||
	    (status = counter_next(s, txn, "outbox", &e->id, error)) != POC_OK)
		goto out;
	poc_case_rules_statement_queued(c, e, sc->status, sc->actor, poc_now(), events);
	if ((status = outbox_put(s, txn, e, NULL, error)) != POC_OK ||
	    (status = put_case(s, txn, c, before, error)) != POC_OK)
		goto out;
	status = put_events(s, txn, events, error);
out:
	g_array_unref(events);
	poc_case_free(c);
	poc_case_free(before);
	return status;
}

int
poc_store_statement_add(poc_store *s, poc_outbox_entry *entry, const char *statement_status,
			const char *actor, GError **error)
{
	statement_ctx c = { entry, statement_status, actor };

	if (!entry || !entry->case_id)
		return fail(POC_ERR_INVAL, error, "database: a statement needs a case_id");
	return store_write(s, "statement add", statement_add_fn, &c, error);
}

typedef struct state_ctx {
	const char *case_id, *state, *actor;
} state_ctx;

static int
set_state_fn(poc_store *s, MDB_txn *txn, void *ctx, GError **error)
{
	state_ctx *sc = ctx;
	poc_case *c = NULL, *before = NULL;
	GArray *events = poc_case_events_new();
	int status = get_case_txn(s, txn, sc->case_id, &c, error);

	if (status == POC_ERR_NOTFOUND)
		status = fail(status, error, "database: no case %s", sc->case_id);
	if (status != POC_OK)
		goto out;
	if ((status = get_case_txn(s, txn, sc->case_id, &before, error)) != POC_OK)
		goto out;
	/* No change, no event. */
	if (poc_case_rules_set_state(c, sc->state, sc->actor, poc_now(), events) &&
	    (status = put_case(s, txn, c, before, error)) == POC_OK)
		status = put_events(s, txn, events, error);
out:
	g_array_unref(events);
	poc_case_free(c);
	poc_case_free(before);
	return status;
}

int
poc_store_set_state(poc_store *s, const char *case_id, const char *state, const char *actor,
		    GError **error)
{
	state_ctx c = { case_id, state, actor };

	if (!case_id || !poc_case_state_valid(state))
		return fail(POC_ERR_INVAL, error, "database: \"%s\" is not a case state",
			    state ? state : "");
	return store_write(s, "case state", set_state_fn, &c, error);
}

int
poc_store_outbox_next_due(poc_store *s, gint64 now, poc_outbox_entry **out, GError **error)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	unsigned char first = POC_OUTBOX_QUEUED;
	MDB_val k = { 1, &first }, v;
	int status, rc;

	*out = NULL;
	if (!s->have[DB_IDX_OUTBOX])
		return fail(POC_ERR_NOTFOUND, error, "no outbox entry is due");
	if ((status = txn_begin(s, FALSE, &txn, error)) != POC_OK)
		return status;
	if ((rc = mdb_cursor_open(txn, s->dbi[DB_IDX_OUTBOX], &cur)) != 0) {
		txn_abort(s, txn);
		return db_error(rc, error, "reading idx_outbox");
	}
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	if (rc == 0 && k.mv_size == 17 && ((unsigned char *)k.mv_data)[0] == POC_OUTBOX_QUEUED &&
	    be64_get((unsigned char *)k.mv_data + 1) <= time_key(now))
		status = outbox_get_txn(s, txn, be64_get((unsigned char *)k.mv_data + 9), out, error);
	else if (rc == 0 || rc == MDB_NOTFOUND)
		status = fail(POC_ERR_NOTFOUND, error, "no outbox entry is due");
	else
		status = db_error(rc, error, "reading idx_outbox");
	mdb_cursor_close(cur);
	txn_abort(s, txn);
	return status;
}

typedef struct outbox_list_ctx {
	GPtrArray *out;
} outbox_list_ctx;

static int
collect_outbox(poc_store *s, MDB_txn *txn, MDB_val *k, MDB_val *v, void *ctx, GError **error)
{
	poc_outbox_entry *e;
	int status;

	if (k->mv_size != 17)
		return POC_OK;
	status = outbox_get_txn(s, txn, be64_get((unsigned char *)k->mv_data + 9), &e, error);
	if (status == POC_OK)
		g_ptr_array_add(((outbox_list_ctx *)ctx)->out, e);
	return status == POC_ERR_NOTFOUND ? POC_OK : status;
}

int
poc_store_outbox_list(poc_store *s, poc_outbox_state state, GPtrArray *out, GError **error)
{
	cursor_walk w = { DB_IDX_OUTBOX, g_byte_array_new(), NULL, FALSE };
	outbox_list_ctx c = { out };
	guint8 prefix = (guint8)state;
	int status = POC_OK;

	g_byte_array_append(w.prefix, &prefix, 1);
	while (status == POC_OK && !w.done)
		status = walk_batch(s, &w, BATCH, collect_outbox, &c, error);
	walk_clear(&w);
	return status;
}

/* A statement entry was sent or failed: the case's statement_state follows, with an event. */
static int
statement_outcome(poc_store *s, MDB_txn *txn, const poc_outbox_entry *old,
		  const poc_outbox_entry *e, GError **error)
{
	poc_case *c = NULL, *before = NULL;
	GArray *events = poc_case_events_new();
	int status = get_case_txn(s, txn, old->case_id, &c, error);

	if (status == POC_ERR_NOTFOUND)
		status = fail(status, error, "database: outbox entry %" G_GUINT64_FORMAT
			      " is a statement for case %s, which is not filed", e->id, old->case_id);
	if (status == POC_OK)
		status = get_case_txn(s, txn, old->case_id, &before, error);
	if (status == POC_OK) {
		poc_case_rules_statement_outcome(c, e, old->message_id, poc_now(), events);
		status = put_case(s, txn, c, before, error);
	}
	if (status == POC_OK)
		status = put_events(s, txn, events, error);
	g_array_unref(events);
	poc_case_free(c);
	poc_case_free(before);
	return status;
}

/* An acknowledgement entry was sent or failed: the message's ack_state follows. */
static int
ack_outcome(poc_store *s, MDB_txn *txn, const poc_outbox_entry *old, const poc_outbox_entry *e,
	    GError **error)
{
	poc_message *m = NULL, *oldm = NULL;
	GArray *events = poc_case_events_new();
	int status = get_message_txn(s, txn, old->message_id, &oldm, error);

	if (status == POC_ERR_NOTFOUND)
		status = fail(status, error, "database: outbox entry %" G_GUINT64_FORMAT
			      " is for message %s, which is not filed", e->id, old->message_id);
	if (status == POC_OK) {
		m = message_copy(oldm);
		poc_case_rules_ack_outcome(m, e, poc_now(), events);
		status = put_message(s, txn, m, oldm, error);
	}
	if (status == POC_OK)
		status = put_events(s, txn, events, error);
	g_array_unref(events);
	poc_message_free(m);
	poc_message_free(oldm);
	return status;
}

static int
outbox_update_fn(poc_store *s, MDB_txn *txn, void *ctx, GError **error)
{
	const poc_outbox_entry *e = ((outbox_ctx *)ctx)->update;
	poc_outbox_entry *old;
	poc_outbox_outcome outcome;
	int status = outbox_get_txn(s, txn, e->id, &old, error);

	if (status == POC_ERR_NOTFOUND)
		return fail(status, error, "database: no outbox entry %" G_GUINT64_FORMAT, e->id);
	if (status != POC_OK)
		return status;
	outcome = poc_case_rules_outbox_outcome(old, e);
	if (outcome == POC_OUTCOME_FINAL)
		status = fail(POC_ERR_EXISTS, error,
			      "database: outbox entry %" G_GUINT64_FORMAT " was sent already", e->id);
	else
		status = outbox_put(s, txn, e, old, error);
	if (status == POC_OK && outcome == POC_OUTCOME_STATEMENT)
		status = statement_outcome(s, txn, old, e, error);
	else if (status == POC_OK && outcome == POC_OUTCOME_ACK)
		status = ack_outcome(s, txn, old, e, error);
	poc_outbox_entry_free(old);
	return status;
}

int
poc_store_outbox_update(poc_store *s, const poc_outbox_entry *entry, GError **error)
{
	outbox_ctx c = { NULL, entry };

	if (!entry || !entry->id)
		return fail(POC_ERR_INVAL, error, "database: outbox update without an id");
	return store_write(s, "outbox update", outbox_update_fn, &c, error);
}

int
poc_store_outbox_find_ack(poc_store *s, const char *ack_message_id, GPtrArray *out,
			  GError **error)
{
	char *lower, *key;
	MDB_txn *txn;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	int rc, status;

	if (!ack_message_id || !*ack_message_id || !s->have[DB_IDX_ACK])
		return POC_ERR_NOTFOUND;
	if ((status = txn_begin(s, FALSE, &txn, error)) != POC_OK)
		return status;
	lower = g_ascii_strdown(ack_message_id, -1);
	key = msg_key(lower);
	k = str_val(key);
	status = POC_ERR_NOTFOUND;
	rc = mdb_cursor_open(txn, s->dbi[DB_IDX_ACK], &cur);
	for (rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_SET); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_DUP)) {
		poc_outbox_entry *e;

		if (v.mv_size != 8 ||
		    outbox_get_txn(s, txn, be64_get(v.mv_data), &e, NULL) != POC_OK)
			continue;
		if (e->ack_message_id && g_ascii_strcasecmp(e->ack_message_id, ack_message_id) == 0) {
			g_ptr_array_add(out, e);
			status = POC_OK;
		} else {
			poc_outbox_entry_free(e);
		}
	}
	if (rc != 0 && rc != MDB_NOTFOUND)
		status = db_error(rc, error, "reading idx_ack");
	if (cur)
		mdb_cursor_close(cur);
	txn_abort(s, txn);
	g_free(key);
	g_free(lower);
	return status;
}

/* --- meta -------------------------------------------------------------------- */

typedef struct meta_ctx {
	const char *key, *value;
} meta_ctx;

static int
meta_put_fn(poc_store *s, MDB_txn *txn, void *ctx, GError **error)
{
	meta_ctx *c = ctx;
	MDB_val k = str_val(c->key), v;

	if (!c->value)
		return del(s, txn, DB_META, &k, NULL, error);
	v = str_val(c->value);
	return put(s, txn, DB_META, &k, &v, 0, error);
}

int
poc_store_meta_put(poc_store *s, const char *key, const char *value, GError **error)
{
	meta_ctx c = { key, value };

	if (!key || !*key || strlen(key) > MAX_KEY)
		return fail(POC_ERR_INVAL, error, "database: bad meta key");
	return store_write(s, "meta", meta_put_fn, &c, error);
}

char *
poc_store_meta_get(poc_store *s, const char *key)
{
	MDB_txn *txn;
	MDB_val k, v;
	char *value = NULL;

	if (!key || !*key || strlen(key) > MAX_KEY || txn_begin(s, FALSE, &txn, NULL) != POC_OK)
		return NULL;
	k = str_val(key);
	if (get(s, txn, DB_META, &k, &v, NULL) == POC_OK)
		value = g_strndup(v.mv_data, v.mv_size);
	txn_abort(s, txn);
	return value;
}

int
poc_store_heartbeat(poc_store *s, gint64 now, GError **error)
{
	char buf[POC_TIME_BUFSIZE];

	return poc_store_meta_put(s, "heartbeat", poc_time_format(now ? now : poc_now(), buf),
				  error);
}

gint64
poc_store_get_heartbeat(poc_store *s)
{
	char *text = poc_store_meta_get(s, "heartbeat");
	gint64 t = text ? poc_time_parse(text) : 0;

	g_free(text);
	return t < 0 ? 0 : t;
}

/* --- outbox: atomic claim, guarded add, update with an event ---------------- */

/*
 * Appended by the acknowledgement branch; the rest of this file belongs to
 * the store module. Each function is one write transaction, so that two
 * processes (a daemon and its restart, pocctl and the guard) cannot both
 * take the same entry or queue two acknowledgements for one notice.
 */

typedef struct claim_ctx {
	gint64 now;
	poc_outbox_entry *entry;
} claim_ctx;

static int
outbox_claim_fn(poc_store *s, MDB_txn *txn, void *ctx, GError **error)
{
	claim_ctx *c = ctx;
	MDB_cursor *cur;
	unsigned char first = POC_OUTBOX_QUEUED;
	MDB_val k = { 1, &first }, v;
	poc_outbox_entry *old = NULL;
	guint64 id = 0;
	int rc, status;

	/* Run again after the map grew: start from nothing. */
	g_clear_pointer(&c->entry, poc_outbox_entry_free);
	if (!s->have[DB_IDX_OUTBOX])
		return fail(POC_ERR_NOTFOUND, error, "no outbox entry is due");
	if ((rc = mdb_cursor_open(txn, s->dbi[DB_IDX_OUTBOX], &cur)) != 0)
		return db_error(rc, error, "reading idx_outbox");
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	if (rc == 0 && k.mv_size == 17 && ((unsigned char *)k.mv_data)[0] == POC_OUTBOX_QUEUED &&
	    be64_get((unsigned char *)k.mv_data + 1) <= time_key(c->now))
		id = be64_get((unsigned char *)k.mv_data + 9);
	mdb_cursor_close(cur);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return db_error(rc, error, "reading idx_outbox");
	if (id == 0)
		return fail(POC_ERR_NOTFOUND, error, "no outbox entry is due");
	if ((status = outbox_get_txn(s, txn, id, &old, error)) != POC_OK)
		return status;
	if ((status = outbox_get_txn(s, txn, id, &c->entry, error)) == POC_OK) {
		c->entry->state = POC_OUTBOX_SENDING;
		c->entry->attempts++;
		/* While SENDING, next_attempt_at is when the entry was claimed. */
		c->entry->next_attempt_at = c->now;
		status = outbox_put(s, txn, c->entry, old, error);
	}
	poc_outbox_entry_free(old);
	return status;
}

int
poc_store_outbox_claim(poc_store *s, gint64 now, poc_outbox_entry **out, GError **error)
{
	claim_ctx c = { now, NULL };
	int status = store_write(s, "outbox claim", outbox_claim_fn, &c, error);

	if (status != POC_OK)
		g_clear_pointer(&c.entry, poc_outbox_entry_free);
	*out = c.entry;
	return status;
}

typedef struct add_held_ctx {
	poc_outbox_entry *entry;
	const poc_event *ev;
} add_held_ctx;

static int
outbox_add_held_fn(poc_store *s, MDB_txn *txn, void *ctx, GError **error)
{
	add_held_ctx *c = ctx;
	outbox_ctx oc = { c->entry, NULL };
	poc_message *m;
	int status = get_message_txn(s, txn, c->entry->message_id, &m, error);

	if (status == POC_ERR_NOTFOUND)
		return fail(status, error, "database: no message %s to acknowledge",
			    c->entry->message_id);
	if (status != POC_OK)
		return status;
	if (!poc_case_rules_ack_queueable(m)) {
		status = fail(POC_ERR_EXISTS, error,
			      "message %s: acknowledgement is %s, not held: nothing queued",
			      m->message_id, poc_ack_state_name(m->ack_state));
		poc_message_free(m);
		return status;
	}
	if ((status = outbox_add_fn(s, txn, &oc, error)) == POC_OK)
		status = put_event_for(s, txn, c->ev, m->case_id, m->message_id, error);
	poc_message_free(m);
	return status;
}

int
poc_store_outbox_add_held(poc_store *s, poc_outbox_entry *entry, const poc_event *ev,
			  GError **error)
{
	add_held_ctx c = { entry, ev };

	if (!entry || !entry->message_id)
		return fail(POC_ERR_INVAL, error, "database: an outbox entry needs a message_id");
	return store_write(s, "outbox add held", outbox_add_held_fn, &c, error);
}

typedef struct update_event_ctx {
	const poc_outbox_entry *entry;
	const poc_event *ev;
} update_event_ctx;

static int
outbox_update_event_fn(poc_store *s, MDB_txn *txn, void *ctx, GError **error)
{
	update_event_ctx *c = ctx;
	outbox_ctx oc = { NULL, c->entry };
	int status = outbox_update_fn(s, txn, &oc, error);

	if (status == POC_OK)
		status = put_event_for(s, txn, c->ev, c->entry->case_id, c->entry->message_id, error);
	return status;
}

int
poc_store_outbox_update_event(poc_store *s, const poc_outbox_entry *entry, const poc_event *ev,
			      GError **error)
{
	update_event_ctx c = { entry, ev };

	if (!entry || !entry->id)
		return fail(POC_ERR_INVAL, error, "database: outbox update without an id");
	return store_write(s, "outbox update", outbox_update_event_fn, &c, error);
}

/*
 * --- meta: read-modify-write and listing by prefix (paging state) ----------
 *
 * Appended for page.c: a page is claimed by one write transaction that
 * reads its state and writes the next one, so two processes running the
 * check at the same time (the daemon and `pocctl watch --page`) never
 * both send it.
 */

typedef struct meta_update_ctx {
	const char *key;
	poc_meta_update_fn fn;
	void *data;
} meta_update_ctx;

static int
meta_update_fn(poc_store *s, MDB_txn *txn, void *ctx, GError **error)
{
	meta_update_ctx *c = ctx;
	MDB_val k = str_val(c->key), v;
	char *old = NULL, *new_value = NULL;
	int status = get(s, txn, DB_META, &k, &v, error);
	int verdict;

	if (status == POC_OK)
		old = g_strndup(v.mv_data, v.mv_size);
	else if (status != POC_ERR_NOTFOUND)
		return status;
	verdict = c->fn(old, &new_value, c->data);
	g_free(old);
	if (verdict == POC_META_KEEP) {
		status = POC_OK;
	} else if (!new_value) {
		status = s->have[DB_META] ? del(s, txn, DB_META, &k, NULL, error) : POC_OK;
	} else {
		v = str_val(new_value);
		status = put(s, txn, DB_META, &k, &v, 0, error);
	}
	g_free(new_value);
	return status;
}

int
poc_store_meta_update(poc_store *s, const char *key, poc_meta_update_fn fn, void *data,
		      GError **error)
{
	meta_update_ctx c = { key, fn, data };

	if (!key || !*key || strlen(key) > MAX_KEY)
		return fail(POC_ERR_INVAL, error, "database: bad meta key");
	return store_write(s, "meta update", meta_update_fn, &c, error);
}

static int
collect_meta(poc_store *s, MDB_txn *txn, MDB_val *k, MDB_val *v, void *ctx, GError **error)
{
	GPtrArray *pairs = ctx;

	g_ptr_array_add(pairs, g_strndup(k->mv_data, k->mv_size));
	g_ptr_array_add(pairs, g_strndup(v->mv_data, v->mv_size));
	return POC_OK;
}

int
poc_store_meta_foreach(poc_store *s, const char *prefix, poc_meta_fn fn, void *data,
		       GError **error)
{
	cursor_walk w = { DB_META, g_byte_array_new(), NULL, FALSE };
	int status = POC_OK;
	gboolean stop = FALSE;

	g_byte_array_append(w.prefix, (const guint8 *)prefix, strlen(prefix));
	while (status == POC_OK && !stop && !w.done) {
		GPtrArray *pairs = g_ptr_array_new_with_free_func(g_free);

		status = walk_batch(s, &w, BATCH, collect_meta, pairs, error);
		for (guint i = 0; status == POC_OK && !stop && i + 1 < pairs->len; i += 2)
			stop = fn(g_ptr_array_index(pairs, i), g_ptr_array_index(pairs, i + 1),
				  data) != 0;
		g_ptr_array_unref(pairs);
	}
	walk_clear(&w);
	return status;
}
