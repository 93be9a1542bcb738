/*
 * NAME
 *	poc.h - the core library of pocmilter (libpoc): status codes and
 *	the value types shared by every module
 * SYNOPSIS
 *	#include "poc.h"
 * DESCRIPTION
 *	Every libpoc call that can fail returns an int: POC_OK (0) or one of
 *	the poc_status codes below; poc_strerror() explains any of them.
 *	Calls that have more to say (a config error's file and line, a gpg
 *	message) also take a GError ** in the POC_ERROR domain whose code is
 *	the same poc_status.
 *
 *	The enums here are the contract values of the case database and of
 *	`pocctl export`; their names are fixed (see doc/DATABASE.md).
 *	poc_*_name() gives the string form, poc_*_parse() the reverse
 *	(-1 when unknown).
 *
 *	Times are gint64 seconds since the epoch (UTC); they are shown in
 *	Japan time (RFC 3339 with +09:00) by poc_time_format().
 */
#ifndef POC_H
#define POC_H

#include <glib.h>
#include <stddef.h>

G_BEGIN_DECLS

typedef enum poc_status {
	POC_OK = 0,
	POC_ERR_NOMEM,		/* out of memory */
	POC_ERR_IO,		/* a file or pipe could not be read or written */
	POC_ERR_CONFIG,		/* the configuration is wrong */
	POC_ERR_PARSE,		/* outside input could not be parsed */
	POC_ERR_CRYPTO,		/* GnuPG failed (not: a bad signature) */
	POC_ERR_NOTFOUND,	/* no such case, message or key */
	POC_ERR_EXISTS,		/* already there (a duplicate) */
	POC_ERR_DB,		/* the database failed */
	POC_ERR_DB_VERSION,	/* the database is of a newer schema */
	POC_ERR_DB_FULL,	/* the database or disk is full */
	POC_ERR_TEMPLATE,	/* an acknowledgement template is wrong */
	POC_ERR_SEND,		/* the submission command failed */
	POC_ERR_LIMIT,		/* input is over a configured limit */
	POC_ERR_INVAL,		/* an argument is not valid */
	POC_ERR_PERM,		/* not allowed (file mode, user) */
	POC_ERR_TEMP		/* try again later */
} poc_status;

const char *poc_strerror(int status);

#define POC_ERROR (poc_error_quark())
GQuark poc_error_quark(void);

/* How a message's encryption went. (contract values) */
typedef enum poc_decryption {
	POC_DECRYPTION_NONE = 0,	/* it was not encrypted */
	POC_DECRYPTION_OK,
	POC_DECRYPTION_FAILED
} poc_decryption;

/* Who signed it. (contract values) */
typedef enum poc_signature {
	POC_SIGNATURE_NONE = 0,		/* not signed */
	POC_SIGNATURE_GOOD,		/* valid, by a CoordinatorKey */
	POC_SIGNATURE_UNTRUSTED,	/* valid, by another key */
	POC_SIGNATURE_BAD,		/* does not verify, expired, revoked */
	POC_SIGNATURE_UNKNOWN_KEY	/* the signing key is not in the keyring */
} poc_signature;

/* What the notice is. (contract values) */
typedef enum poc_kind {
	POC_KIND_OTHER = 0,
	POC_KIND_SUMMARY,	/* 概要情報 */
	POC_KIND_DETAIL,	/* 詳細情報 */
	POC_KIND_PUBLICATION,	/* draft of the publication, status request */
	POC_KIND_SCHEDULE,	/* publication date set or changed */
	POC_KIND_DIRECT_REPORT	/* not from a coordinator */
} poc_kind;
#define POC_KIND_COUNT 6

/* Where the acknowledgement of one message stands. (contract values) */
typedef enum poc_ack_state {
	POC_ACK_NOT_REQUIRED = 0,
	POC_ACK_HELD,
	POC_ACK_QUEUED,
	POC_ACK_SENT,
	POC_ACK_FAILED
} poc_ack_state;

typedef enum poc_ack_mode {
	POC_ACK_MODE_AUTO = 0,
	POC_ACK_MODE_HOLD,
	POC_ACK_MODE_OFF
} poc_ack_mode;

const char *poc_decryption_name(poc_decryption);
const char *poc_signature_name(poc_signature);
const char *poc_kind_name(poc_kind);
const char *poc_ack_state_name(poc_ack_state);
const char *poc_ack_mode_name(poc_ack_mode);
int poc_decryption_parse(const char *);
int poc_signature_parse(const char *);
int poc_kind_parse(const char *);
int poc_ack_state_parse(const char *);
int poc_ack_mode_parse(const char *);

/*
 * Time. poc_now() is the clock of the whole library: wall time, unless
 * the environment variable POC_FAKE_NOW (RFC 3339, or seconds since the
 * epoch) is set; tests set it, nothing else reads it.
 */
gint64 poc_now(void);
#define POC_TIME_BUFSIZE 32
/* "2026-11-26T17:30:00+09:00"; an absent time (0) gives "". */
char *poc_time_format(gint64 t, char buf[POC_TIME_BUFSIZE]);
/* RFC 3339 / ISO 8601 with an offset (or Z); -1 on error. */
gint64 poc_time_parse(const char *text);
/*
 * The date of an mbox "From " line of len bytes ("From addr Fri Oct 16
 * 20:00:00 2026", a zone name before the year is skipped) read in the
 * local time zone (TZ); 0 when it has none.
 */
gint64 poc_mbox_from_date(const char *line, gsize len);

/*
 * No core file and no ptrace by other processes of the same user: the
 * process holds decrypted notices. 0, or -1 with errno. pocmilter calls
 * it after dropping privileges (a uid change resets it) unless CoreDumps
 * is yes; pocctl at its start.
 */
int poc_forbid_core_dumps(void);

/*
 * Text read from mail, made safe to print on a terminal (a new string):
 * every C0 control (CR, LF and TAB included), DEL and invalid UTF-8 byte
 * as \xNN (\n, \r, \t for those three), a backslash as \\, C1 controls
 * and bidirectional or invisible format characters as \u{XXXX}. The
 * result is one line that shows everything the text holds. NULL: NULL.
 */
char *poc_text_for_terminal(const char *s);

/*
 * The strings of v as a set (borrowed, no copies; NULL v: empty), for
 * membership tests that stay linear however many ids a case gathered.
 * Free with g_hash_table_destroy before v changes.
 */
GHashTable *poc_strv_set(const GPtrArray *v);

G_END_DECLS

#endif
