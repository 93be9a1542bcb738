/*
 * NAME
 *	conf.h - pocmilter.conf: the key table, parsing, defaults
 * DESCRIPTION
 *	One table (conf.c) lists every key with its type, default and
 *	description; it is the single source for the parser, for
 *	`pocmilter -n`, for the sample conf/pocmilter.conf and for
 *	pocmilter.conf(5) (tests/config-consistency.sh keeps them equal).
 *
 *	Syntax: "Key value" per line, '#' comments, blank lines. Keys are
 *	case-insensitive. List keys take comma/space separated values and may
 *	repeat. Unknown keys, bad values and repeated single keys are errors
 *	"FILE:LINE: Key: what is wrong". Relative paths are relative to the
 *	directory of the file.
 */
#ifndef POC_CONF_H
#define POC_CONF_H

#include <stdio.h>

#include "poc.h"

G_BEGIN_DECLS

typedef enum { POC_ENCRYPT_REQUIRED = 0, POC_ENCRYPT_OPTIONAL, POC_ENCRYPT_NEVER } poc_encrypt_policy;
typedef enum { POC_STOREFAIL_TEMPFAIL = 0, POC_STOREFAIL_ACCEPT } poc_storefail_policy;

typedef struct poc_config {
	char *file;		/* the file read, or NULL for defaults */
	GHashTable *key_lines;	/* key name as in the table -> line (GINT_TO_POINTER) */
	/* milter */
	char *socket;
	guint socket_mode;
	char *socket_group;
	char *user;
	char *pid_file;
	char *syslog_facility;
	gboolean add_header;
	gboolean core_dumps;
	poc_storefail_policy on_store_failure;
	gsize max_message_size;
	gsize database_max_size;	/* DatabaseMaxSize: the LMDB map's limit */
	int max_connections;
	int workers;
	/* what is watched, who is trusted */
	GPtrArray *watch;
	gboolean watch_subaddress;	/* WatchSubaddress: local+detail is local */
	GPtrArray *coordinator;
	GPtrArray *coordinator_key;
	char *gnupg_home;
	char *kind_rules;
	/* store */
	char *database;
	guint database_mode;
	/* acknowledgements */
	poc_ack_mode ack_mode;
	char *ack_from;
	char *ack_sign_key;
	GPtrArray *ack_encrypt_to;
	poc_encrypt_policy ack_encrypt;
	char *ack_charset;
	GPtrArray *ack_kinds;
	char *ack_sendmail;
	char *ack_smtp;		/* AckSmtp HOST:PORT; NULL: AckSendmail */
	char *template_dir;
	char *template_lang;
	gint64 ack_guard;
	gint64 ack_retry;
	char *organization;
	char *poc_name;
	/* calendar */
	char *business_hours;
	char *closures;
	char *working_days;
	char *holiday_file;
	/* paging */
	char *page_command;
	char *page_mail;
	gint64 page_before;
	gint64 page_repeat;
	gint64 page_timeout;
	gint64 heartbeat_max;
	gint64 spool_stuck;
	gint64 statement_before;
	gint64 page_warning_repeat;	/* WARNING repeats, within business hours only */
	gint64 page_escalate;	/* ack-due-soon is CRITICAL with this much business time left */
} poc_config;

/* The defaults (no file). */
poc_config *poc_config_new(void);
/* Read a file over the defaults. On error *out is NULL and error says FILE:LINE: Key: why. */
int poc_config_load(const char *path, poc_config **out, GError **error);
/* The same on text in memory; path names it in errors and anchors relative paths. */
int poc_config_parse(const char *text, gsize len, const char *path, poc_config **out,
		     GError **error);
void poc_config_free(poc_config *cfg);

/* Checks across keys (Watch set, AckFrom set when acknowledging, ...). */
int poc_config_validate(const poc_config *cfg, GError **error);

/*
 * Where a key was set, for messages: "FILE:LINE: Key", or "FILE: Key
 * (default)" when the file does not set it. A new string.
 */
char *poc_config_where(const poc_config *cfg, const char *key);

/* Is addr (any case, +detail tolerated) one of list? */
gboolean poc_config_address_in(const GPtrArray *list, const char *addr);
/*
 * Is an envelope recipient watched? rcpt_arg is the RCPT argument (<>,
 * a source route and ESMTP parameters are ignored), rcpt_addr the MTA's
 * {rcpt_addr} or NULL. Either, when it is a whole local@domain, matches
 * a Watch address case-insensitively (local+detail as local when
 * WatchSubaddress); a bare local part never matches. Returns the address
 * that matched (lower case, g_free it) or NULL.
 */
char *poc_config_watched_recipient(const poc_config *cfg, const char *rcpt_arg,
				   const char *rcpt_addr);
/*
 * A list of a config (Watch, Coordinator, ...): NULL-terminated as it
 * grows, so poc_config_strv() only reads and threads may share it.
 */
GPtrArray *poc_config_list_new(void);
/* NULL-terminated view of a list for APIs taking const char *const *. */
const char *const *poc_config_strv(const GPtrArray *list);

/* The key table, for the sample file, the man page and `pocmilter -n -v`. */
void poc_config_write_sample(FILE *fp);
void poc_config_write_man(FILE *fp);
void poc_config_dump(const poc_config *cfg, FILE *fp);

/*
 * The keys read only at start (Socket, User, Database, ...), comma
 * separated, when fresh differs from old in any of them; NULL when it
 * does not. A reload warns with this list (event=reload-needs-restart):
 * changes of these take effect at restart. A new string.
 */
char *poc_config_restart_keys(const poc_config *old, const poc_config *fresh);

/* "4h", "90m", "30s", "2d", "1h30m"; plain digits are seconds. -1 on error. */
gint64 poc_parse_duration(const char *text);

G_END_DECLS

#endif
