/*
 * NAME
 *	pocdb.h - read the pocmilter case database from C
 * SYNOPSIS
 *	#include <pocdb.h>
 *
 *	cc tool.c -lpocdb $(pkg-config --libs glib-2.0 json-glib-1.0 lmdb)
 * DESCRIPTION
 *	A small read-only API for downstream tools. The database may be
 *	written by pocmilter while it is read: every call is its own short
 *	read transaction, so a reader never blocks the writer nor holds old
 *	pages. Open it in each process (not across fork()).
 *
 *	Cases come as JSON text, one object per case, exactly the line
 *	format of `pocctl export` (doc/DATABASE.md): id, tracking,
 *	vuln_ids[], cve_ids[], state, opened_at, publication_date,
 *	messages[] with their fields; times RFC 3339 in Japan time, absent
 *	values null.
 *
 *	Every call returns 0 or a status (POCDB_*); pocdb_errmsg() says
 *	what the last failure on a handle was.
 * ERRORS
 *	POCDB_NOTFOUND no database in the directory, or no such case;
 *	POCDB_PERM the directory or files are not readable (a reader also
 *	needs write access to lock.mdb); POCDB_VERSION the database has a
 *	schema this library does not know; POCDB_ERROR anything else.
 */
#ifndef POCDB_H
#define POCDB_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
	POCDB_OK = 0,
	POCDB_NOTFOUND = 1,
	POCDB_PERM = 2,
	POCDB_VERSION = 3,
	POCDB_ERROR = 4
};

typedef struct pocdb pocdb;

/*
 * Open the database in dir read-only. On failure *out is NULL and, when
 * errmsg is not NULL, *errmsg a message to free with pocdb_free().
 */
int pocdb_open(const char *dir, pocdb **out, char **errmsg);
void pocdb_close(pocdb *db);

/* The last failure on db; valid until the next call on db. */
const char *pocdb_errmsg(pocdb *db);

/*
 * One case as JSON (a new NUL-terminated string, free with pocdb_free()).
 * id: a case id, tracking number, vulnerability number or Message-ID.
 */
int pocdb_case_json(pocdb *db, const char *id, char **json);

/*
 * Calls fn for every case in id order with its JSON text (len bytes,
 * NUL-terminated, valid during the call) until fn returns non-zero.
 */
typedef int (*pocdb_case_fn)(const char *json, size_t len, void *data);
int pocdb_foreach_case(pocdb *db, pocdb_case_fn fn, void *data);

void pocdb_free(void *p);

#ifdef __cplusplus
}
#endif

#endif
