/*
 * NAME
 *	pocdb.c - the read-only C API for downstream tools (pocdb.h)
 * DESCRIPTION
 *	A thin layer over store.c opened with POC_STORE_RDONLY: status
 *	codes become POCDB_*, GErrors become a message kept on the handle,
 *	and records become the export JSON (poc_case_encode with messages).
 */
#include "config.h"

#include <stdlib.h>

#include "pocdb.h"
#include "store.h"

struct pocdb {
	poc_store *store;
	char *errmsg;
};

static int
status_of(int st)
{
	switch (st) {
	case POC_OK:
		return POCDB_OK;
	case POC_ERR_NOTFOUND:
		return POCDB_NOTFOUND;
	case POC_ERR_PERM:
		return POCDB_PERM;
	case POC_ERR_DB_VERSION:
		return POCDB_VERSION;
	default:
		return POCDB_ERROR;
	}
}

static int
keep_error(pocdb *db, int st, GError *err)
{
	g_free(db->errmsg);
	db->errmsg = g_strdup(err ? err->message : poc_strerror(st));
	g_clear_error(&err);
	return status_of(st);
}

int
pocdb_open(const char *dir, pocdb **out, char **errmsg)
{
	GError *err = NULL;
	poc_store *store;
	int st = poc_store_open(dir, POC_STORE_RDONLY, &store, &err);

	*out = NULL;
	if (errmsg)
		*errmsg = NULL;
	if (st != POC_OK) {
		if (errmsg)
			*errmsg = g_strdup(err ? err->message : poc_strerror(st));
		g_clear_error(&err);
		return status_of(st);
	}
	*out = g_new0(pocdb, 1);
	(*out)->store = store;
	return POCDB_OK;
}

void
pocdb_close(pocdb *db)
{
	if (!db)
		return;
	poc_store_close(db->store);
	g_free(db->errmsg);
	g_free(db);
}

const char *
pocdb_errmsg(pocdb *db)
{
	return db && db->errmsg ? db->errmsg : "";
}

int
pocdb_case_json(pocdb *db, const char *id, char **json)
{
	GPtrArray *msgs = g_ptr_array_new_with_free_func((GDestroyNotify)poc_message_free);
	GError *err = NULL;
	poc_case *c;
	int st = poc_store_get_case_full(db->store, id, &c, msgs, &err);

	*json = NULL;
	if (st == POC_OK) {
		GString *buf = g_string_sized_new(2048);

		poc_case_encode(c, msgs, 0, buf);
		*json = g_string_free(buf, FALSE);
		poc_case_free(c);
	}
	g_ptr_array_unref(msgs);
	return st == POC_OK ? POCDB_OK : keep_error(db, st, err);
}

typedef struct walk {
	pocdb_case_fn fn;
	void *data;
	GString *buf;
} walk;

static int
each(poc_case *c, GPtrArray *msgs, void *data)
{
	walk *w = data;

	g_string_truncate(w->buf, 0);
	poc_case_encode(c, msgs, 0, w->buf);
	return w->fn(w->buf->str, w->buf->len, w->data);
}

int
pocdb_foreach_case(pocdb *db, pocdb_case_fn fn, void *data)
{
	walk w = { fn, data, g_string_sized_new(4096) };
	GError *err = NULL;
	int st = poc_store_foreach_case_full(db->store, each, NULL, &w, &err);

	g_string_free(w.buf, TRUE);
	return st == POC_OK ? POCDB_OK : keep_error(db, st, err);
}

void
pocdb_free(void *p)
{
	g_free(p);
}
