/*
 * NAME
 *	conf.c - pocmilter.conf: the key table, parsing, defaults
 * DESCRIPTION
 *	config_keys[] below is the single source of truth: name, type,
 *	default (as written in the file), where it goes in poc_config, and
 *	the description used for the sample file and the manual page,
 *	and whether only a restart applies it (poc_config_restart_keys).
 *	Each key type is described once, in key_types[]: its parser, the
 *	hint shown in the sample and the manual, and how its value is kept
 *	(which decides how it is freed, compared and printed).
 *
 *	poc_config_watched_recipient() decides which envelope recipients
 *	are watched, from the RCPT argument and {rcpt_addr} together (the
 *	rule of pocmilter(8), "Which recipients are watched"); its input
 *	comes from the MTA (fuzzed by tests/fuzz/fuzz_config.c).
 * DIAGNOSTICS
 *	"FILE:LINE: Key: what is wrong" for every error in a file.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "calendar.h"
#include "conf.h"
#include "log.h"
#include "smtp.h"

typedef enum {
	T_STRING,	/* free text */
	T_PATH,		/* relative to the config file's directory */
	T_COMMAND,	/* a command line; a relative first word is made absolute */
	T_ADDR,		/* one mail address */
	T_ADDRS,	/* list of mail addresses */
	T_FPRS,		/* list of 40-hex fingerprints */
	T_KINDS,	/* list of kinds */
	T_BOOL,
	T_INT,
	T_MODE,		/* octal file mode */
	T_SIZE,		/* bytes, with k/M/G */
	T_DURATION,	/* seconds, with s/m/h/d */
	T_ACKMODE,
	T_ENCRYPT,
	T_STOREFAIL,
	T_CHARSET,
	T_LANG,
	T_HOURS,	/* HH:MM-HH:MM */
	T_DAYS,		/* closures / working days spec */
	T_FACILITY,
	T_HOSTPORT,	/* HOST:PORT (port 25 when left out) */
} key_type;

/*
 * How a value is kept in poc_config: this decides how it is freed,
 * compared and printed.
 */
typedef enum {
	S_STRING,	/* char *, NULL when unset */
	S_LIST,		/* GPtrArray * of char * (poc_config_list_new) */
	S_BOOL,		/* gboolean */
	S_INT,		/* int */
	S_MODE,		/* guint, printed in octal */
	S_SIZE,		/* gsize */
	S_DURATION,	/* gint64 seconds */
	S_ENUM,		/* int: an index into the type's values */
} key_storage;

typedef struct key_type_desc key_type_desc;

/*
 * Set the field (a pointer into poc_config) from the text of a value;
 * dir anchors relative paths (NULL for defaults). Returns NULL or a
 * message saying what is wrong (the field is then unchanged, or a list
 * holds the values before the bad one).
 */
typedef char *(*key_parse_fn)(const key_type_desc *t, void *field, const char *value,
			      const char *dir);

/* One key type, described once: parse_* below, key_types[] after them. */
struct key_type_desc {
	const char *hint;		/* for the sample file and the manual */
	key_storage storage;
	key_parse_fn parse;
	const char *const *values;	/* the words an S_ENUM or a fixed string takes */
};

typedef struct config_key {
	const char *name;
	key_type type;
	const char *def;	/* default as written in a file; NULL: unset */
	size_t offset;
	const char *example;	/* for the sample file when there is no default */
	const char *doc;
	/* Read only at start: a reload that changes it warns (poc_config_restart_keys). */
	gboolean restart;
} config_key;

#define OFF(f) offsetof(poc_config, f)

static const config_key config_keys[] = {
	/* --- the milter --- */
	{ "Socket", T_STRING, "unix:/run/pocmilter/pocmilter.sock", OFF(socket), NULL,
	  "libmilter socket: unix:PATH (preferred: ~6x the throughput of loopback TCP with postfix) or inet:PORT@HOST.", TRUE },
	{ "SocketMode", T_MODE, "0660", OFF(socket_mode), NULL,
	  "Mode of a unix socket, so that the MTA's group can connect.", TRUE },
	{ "SocketGroup", T_STRING, NULL, OFF(socket_group), "postfix",
	  "Group of a unix socket (default: the group of User): postfix for Postfix. Sendmail's daemon connects as root and needs none (smmsp is its MSP's group).", TRUE },
	{ "User", T_STRING, NULL, OFF(user), "pocmilter",
	  "User (and its group) to run as after opening the socket and the database. Required when started as root.", TRUE },
	{ "PidFile", T_PATH, NULL, OFF(pid_file), "/run/pocmilter/pocmilter.pid",
	  "Pid file, written before privileges are dropped.", TRUE },
	{ "SyslogFacility", T_FACILITY, "mail", OFF(syslog_facility), NULL,
	  "Syslog facility (mail, daemon, local0..local7).", TRUE },
	{ "AddHeader", T_BOOL, "no", OFF(add_header), NULL,
	  "Add an X-POC-Case: header to POC mail. Any such header from outside is always removed." },
	{ "OnStoreFailure", T_STOREFAIL, "tempfail", OFF(on_store_failure), NULL,
	  "What POC mail gets when it cannot be spooled: tempfail (the sender retries) or accept." },
	{ "MaxMessageSize", T_SIZE, "32M", OFF(max_message_size), NULL,
	  "Largest POC message spooled whole; of a larger one (delivered whole) only the first MaxMessageSize bytes are spooled and filed, held and paged (too-large)." },
	{ "CoreDumps", T_BOOL, "no", OFF(core_dumps), NULL,
	  "A core dump holds the daemon's memory, decrypted notices included: with no (the default) the daemon is not dumpable (no core file, no ptrace by other processes of User). Set yes only to debug a crash, on a machine whose core files are as private as the notices (doc/OPERATIONS.md). Read at start.", TRUE },
	{ "MaxConnections", T_INT, "32", OFF(max_connections), NULL,
	  "MTA connections served at once; beyond, POC mail gets a temporary failure at DATA (other mail passes). Memory for POC mail is at most MaxConnections times MaxMessageSize." },
	{ "Workers", T_INT, "2", OFF(workers), NULL,
	  "Threads that decrypt, file and acknowledge spooled notices in parallel (one GnuPG context each); a further thread sends the outbox and runs the paging check. With 2, a notice does not wait behind another's GnuPG run (about 50 notices/s of 8 KB on 2 cores, doc/BENCHMARKS.md); more helps only with more cores." },
	/* --- what is watched, who is trusted --- */
	{ "Watch", T_ADDRS, NULL, OFF(watch), "security@vendor.example",
	  "POC recipient addresses, whole (local@domain), compared case-insensitively in both parts; see WatchSubaddress and pocmilter(8) for how an envelope recipient is matched. Required." },
	{ "WatchSubaddress", T_BOOL, "yes", OFF(watch_subaddress), NULL,
	  "yes: local+detail@domain is watched as local@domain (postfix with recipient_delimiter +, and sendmail, deliver it to the same mailbox); no: only the Watch address exactly." },
	{ "Coordinator", T_ADDRS, "vuls@jpcert.or.jp", OFF(coordinator), NULL,
	  "Sender addresses that speak for a coordinator." },
	{ "CoordinatorKey", T_FPRS, NULL, OFF(coordinator_key), "0123456789ABCDEF0123456789ABCDEF01234567",
	  "Fingerprints of trusted coordinator signing keys (40 hex digits). Only a signature by one of these is good." },
	{ "GnuPGHome", T_PATH, "/var/lib/pocmilter/gnupg", OFF(gnupg_home), NULL,
	  "GnuPG home with the POC secret key and the coordinator public keys.", TRUE },
	{ "KindRules", T_PATH, NULL, OFF(kind_rules), "/etc/pocmilter/kinds.rules",
	  "Extra rules classifying notices, before the built-in ones (doc/KINDS.md). pocctl show names the rule that decided (FILE:LINE); after a change, pocctl reprocess reads a case again." },
	/* --- the database --- */
	{ "Database", T_PATH, "/var/lib/pocmilter/db", OFF(database), NULL,
	  "LMDB environment directory (doc/DATABASE.md).", TRUE },
	{ "DatabaseMode", T_MODE, "0600", OFF(database_mode), NULL,
	  "Mode of the database files: 0600, or 0640 to let a group of read-only operators and downstream readers in (the directory is then 0750 and lock.mdb 0660: an LMDB reader registers there).", TRUE },
	{ "DatabaseMaxSize", T_SIZE, "1024G", OFF(database_max_size), NULL,
	  "Largest the database may grow (its LMDB map doubles up to this). Beyond, POC mail is refused like on a full disk (OnStoreFailure) and paged (store-failed); raise it and reload." },
	/* --- acknowledgements --- */
	{ "AckMode", T_ACKMODE, "auto", OFF(ack_mode), NULL,
	  "auto: acknowledge at once; hold: a person sends with pocctl ack, guarded by AckGuard; off: record only." },
	{ "AckFrom", T_ADDR, NULL, OFF(ack_from), "security@vendor.example",
	  "From: of acknowledgements. Required unless AckMode is off." },
	{ "AckSignKey", T_STRING, NULL, OFF(ack_sign_key), "security@vendor.example",
	  "Key that signs acknowledgements (fingerprint or address; default: the key of AckFrom)." },
	{ "AckEncryptTo", T_FPRS, NULL, OFF(ack_encrypt_to), "0123456789ABCDEF0123456789ABCDEF01234567",
	  "Encrypt acknowledgements to these keys instead of the CoordinatorKey keys (never to whichever key signed the notice)." },
	{ "AckEncrypt", T_ENCRYPT, "required", OFF(ack_encrypt), NULL,
	  "required: never send an acknowledgement in clear (a missing key fails and pages); optional: sign only when no key." },
	{ "AckCharset", T_CHARSET, "iso-2022-jp", OFF(ack_charset), NULL,
	  "Charset of acknowledgements: iso-2022-jp or utf-8." },
	{ "AckKinds", T_KINDS, "summary,detail,publication,schedule", OFF(ack_kinds), NULL,
	  "Kinds of coordinator notices acknowledged automatically. A coordinator's notice of another kind (other included) is held for a person and paged, never left silent (doc/KINDS.md)." },
	{ "AckSendmail", T_COMMAND, "/usr/sbin/sendmail -i -t", OFF(ack_sendmail), NULL,
	  "Sendmail-compatible submission command; the message on stdin. Exit 0 is success, 75 a temporary failure." },
	{ "AckSmtp", T_HOSTPORT, NULL, OFF(ack_smtp), "127.0.0.1:25",
	  "Hand acknowledgements and page mail to the MTA over SMTP at HOST:PORT, one connection for all that is due, instead of running AckSendmail for each (no sendmail and postdrop processes: faster under load). The MTA must relay for this host without authentication and pass the mail through pocmilter (smtpd_milters). A 4xx or a lost connection is retried like a failed AckSendmail." },
	{ "AckGuard", T_DURATION, "2h", OFF(ack_guard), NULL,
	  "In hold mode, business time before the deadline at which the default template is sent by itself." },
	{ "AckRetry", T_DURATION, "1m", OFF(ack_retry), NULL,
	  "First retry delay of a failed send; doubled each time up to an hour." },
	{ "TemplateDir", T_PATH, "/etc/pocmilter/templates", OFF(template_dir), NULL,
	  "Directory of acknowledgement templates (KIND.tmpl, KIND-NAME.tmpl)." },
	{ "TemplateLanguage", T_LANG, "ja", OFF(template_lang), NULL,
	  "Template set: ja (TemplateDir/ja) or en (TemplateDir/en)." },
	{ "Organization", T_STRING, "Vendor Example", OFF(organization), NULL,
	  "Organisation name in acknowledgements and statements." },
	{ "PocName", T_STRING, "PSIRT", OFF(poc_name), NULL,
	  "Name of the point of contact in acknowledgements." },
	/* --- the calendar --- */
	{ "BusinessHours", T_HOURS, "09:00-17:30", OFF(business_hours), NULL,
	  "Business hours in Japan time; the acknowledgement deadline is their end on the next business day." },
	{ "Closures", T_DAYS, "12-29..01-03", OFF(closures), NULL,
	  "Company closure days on top of national holidays: MM-DD, MM-DD..MM-DD, YYYY-MM-DD, ranges. A bare Closures (empty value) removes them all." },
	{ "WorkingDays", T_DAYS, NULL, OFF(working_days), "2026-12-29",
	  "Special working days: business days even if a holiday or closure." },
	{ "HolidayFile", T_PATH, NULL, OFF(holiday_file), "/etc/pocmilter/holidays.txt",
	  "Extra holidays (YYYY-MM-DD name) or the Cabinet Office syukujitsu.csv." },
	/* --- paging --- */
	{ "PageCommand", T_COMMAND, NULL, OFF(page_command), "/usr/local/bin/page-oncall",
	  "Run for each page with a JSON object on stdin." },
	{ "PageMail", T_ADDR, NULL, OFF(page_mail), "oncall@vendor.example",
	  "Also mail pages to this address (plain: pages hold nothing confidential)." },
	{ "PageBefore", T_DURATION, "4h", OFF(page_before), NULL,
	  "Page ack-due-soon when less than this much business time is left." },
	{ "PageRepeat", T_DURATION, "1h", OFF(page_repeat), NULL,
	  "Repeat a CRITICAL page (at any hour) while its condition holds." },
	{ "PageTimeout", T_DURATION, "30s", OFF(page_timeout), NULL,
	  "Kill a PageCommand that runs longer." },
	{ "HeartbeatMax", T_DURATION, "5m", OFF(heartbeat_max), NULL,
	  "Page filter-silent when the daemon's heartbeat is older." },
	{ "SpoolStuck", T_DURATION, "10m", OFF(spool_stuck), NULL,
	  "Page spool-stuck when a spooled message waits longer." },
	{ "StatementBefore", T_DURATION, "3d", OFF(statement_before), NULL,
	  "Business days before publication at which statement-due pages." },
	{ "PageWarningRepeat", T_DURATION, "1h", OFF(page_warning_repeat), NULL,
	  "Repeat a WARNING page while its condition holds, within business hours only; what waited outside them is paged once, as one morning-summary page, when business hours begin." },
	{ "PageEscalate", T_DURATION, "1h", OFF(page_escalate), NULL,
	  "ack-due-soon becomes CRITICAL (paged at once, then every PageRepeat at any hour) when this much business time or less is left before the deadline." },
};

#define FIELD(cfg, key, type) ((type *)((char *)(cfg) + (key)->offset))

static const char *const ackmode_values[] = { "auto", "hold", "off", NULL };
static const char *const encrypt_values[] = { "required", "optional", "never", NULL };
static const char *const storefail_values[] = { "tempfail", "accept", NULL };
static const char *const charset_values[] = { "iso-2022-jp", "utf-8", NULL };
static const char *const lang_values[] = { "ja", "en", NULL };
static const char *const facility_values[] = { "mail", "daemon", "user", "local0", "local1",
					       "local2", "local3", "local4", "local5",
					       "local6", "local7", NULL };

static int
enum_index(const char *const *values, const char *v)
{
	for (int i = 0; values[i]; i++)
		if (g_ascii_strcasecmp(values[i], v) == 0)
			return i;
	return -1;
}

gint64
poc_parse_duration(const char *text)
{
	gint64 total = 0;
	const char *p = text;

	if (!p || !*p)
		return -1;
	while (*p) {
		char *end;
		gint64 n;

		if (!g_ascii_isdigit(*p))
			return -1;
		n = g_ascii_strtoll(p, &end, 10);
		switch (*end) {
		case '\0': total += n; p = end; continue;
		case 's': total += n; break;
		case 'm': total += n * 60; break;
		case 'h': total += n * 3600; break;
		case 'd': total += n * 86400; break;
		default: return -1;
		}
		p = end + 1;
	}
	return total;
}

static gint64
parse_size(const char *text)
{
	char *end;
	gint64 n;

	if (!g_ascii_isdigit(*text))
		return -1;
	int shift;

	n = g_ascii_strtoll(text, &end, 10);
	switch (g_ascii_tolower(*end)) {
	case '\0': return n;
	case 'k': shift = 10; break;
	case 'm': shift = 20; break;
	case 'g': shift = 30; break;
	default: return -1;
	}
	/* "99999999999G" is too big, not a negative size. */
	if (end[1] != '\0' || n > (G_MAXINT64 >> shift))
		return -1;
	return n << shift;
}

static gboolean
valid_address(const char *a)
{
	const char *at = strchr(a, '@');

	return at && at != a && at[1] && !strchr(at + 1, '@') && !strpbrk(a, " \t<>\"\r\n");
}

static gboolean
valid_fpr(const char *f)
{
	size_t n = strlen(f);

	if (n != 40)
		return FALSE;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isxdigit(f[i]))
			return FALSE;
	return TRUE;
}

static char *
make_path(const char *dir, const char *value)
{
	if (g_path_is_absolute(value) || !dir)
		return g_strdup(value);
	return g_build_filename(dir, value, NULL);
}

/* --- one parser per key type (key_type_desc.parse) ------------------------- */

/* Replace a string field; takes s. */
static void
set_string(void *field, char *s)
{
	g_free(*(char **)field);
	*(char **)field = s;
}

static char *
parse_string(const key_type_desc *t, void *field, const char *value, const char *dir)
{
	set_string(field, g_strdup(value));
	return NULL;
}

static char *
parse_facility(const key_type_desc *t, void *field, const char *value, const char *dir)
{
	if (enum_index(t->values, value) < 0)
		return g_strdup_printf("unknown syslog facility \"%s\"", value);
	return parse_string(t, field, value, dir);
}

static char *
parse_path(const key_type_desc *t, void *field, const char *value, const char *dir)
{
	set_string(field, make_path(dir, value));
	return NULL;
}

static char *
parse_hostport(const key_type_desc *t, void *field, const char *value, const char *dir)
{
	char *why = poc_smtp_check_address(value);

	return why ? why : parse_string(t, field, value, dir);
}

static char *
parse_addr(const key_type_desc *t, void *field, const char *value, const char *dir)
{
	if (!valid_address(value))
		return g_strdup_printf("\"%s\" is not a mail address", value);
	set_string(field, g_ascii_strdown(value, -1));
	return NULL;
}

static char *
parse_command(const key_type_desc *t, void *field, const char *value, const char *dir)
{
	if (value[0] != '/' && dir && strchr(value, '/'))
		set_string(field, g_build_filename(dir, value, NULL));
	else
		set_string(field, g_strdup(value));
	return NULL;
}

/*
 * Append the words of value (separated by commas or blanks) to a list;
 * check says what is wrong with a word (or NULL), upper keeps a word in
 * upper case instead of lower.
 */
static char *
parse_words(void *field, const char *value, char *(*check)(const char *word), gboolean upper)
{
	GPtrArray **list = field;
	char **words = g_regex_split_simple("[,\\s]+", value, 0, 0);
	char *err = NULL;

	if (!*list)
		*list = poc_config_list_new();
	for (char **w = words; *w && !err; w++) {
		if (!**w)
			continue;
		err = check(*w);
		if (!err)
			g_ptr_array_add(*list, upper ? g_ascii_strup(*w, -1) : g_ascii_strdown(*w, -1));
	}
	g_strfreev(words);
	return err;
}

static char *
check_address(const char *w)
{
	return valid_address(w) ? NULL : g_strdup_printf("\"%s\" is not a mail address", w);
}

static char *
check_fpr(const char *w)
{
	return valid_fpr(w) ? NULL : g_strdup_printf("\"%s\" is not a 40-hex-digit fingerprint", w);
}

static char *
check_kind(const char *w)
{
	return poc_kind_parse(w) >= 0
		       ? NULL
		       : g_strdup_printf("\"%s\" is not a kind (summary, detail, publication, schedule, direct-report, other)", w);
}

static char *
parse_addrs(const key_type_desc *t, void *field, const char *value, const char *dir)
{
	return parse_words(field, value, check_address, FALSE);
}

static char *
parse_fprs(const key_type_desc *t, void *field, const char *value, const char *dir)
{
	return parse_words(field, value, check_fpr, TRUE);
}

static char *
parse_kinds(const key_type_desc *t, void *field, const char *value, const char *dir)
{
	return parse_words(field, value, check_kind, FALSE);
}

static char *
parse_bool(const key_type_desc *t, void *field, const char *value, const char *dir)
{
	static const char *const yes[] = { "yes", "true", "on", "1", NULL };
	static const char *const no[] = { "no", "false", "off", "0", NULL };

	if (enum_index(yes, value) >= 0)
		*(gboolean *)field = TRUE;
	else if (enum_index(no, value) >= 0)
		*(gboolean *)field = FALSE;
	else
		return g_strdup_printf("\"%s\" is not yes or no", value);
	return NULL;
}

static char *
parse_int(const key_type_desc *t, void *field, const char *value, const char *dir)
{
	char *end;
	gint64 n = g_ascii_strtoll(value, &end, 10);

	if (*end || n < 1 || n > 4096)
		return g_strdup_printf("\"%s\" is not a number from 1 to 4096", value);
	*(int *)field = (int)n;
	return NULL;
}

static char *
parse_mode(const key_type_desc *t, void *field, const char *value, const char *dir)
{
	char *end;
	guint64 n = g_ascii_strtoull(value, &end, 8);

	if (*end || n > 0777)
		return g_strdup_printf("\"%s\" is not an octal file mode", value);
	*(guint *)field = (guint)n;
	return NULL;
}

static char *
parse_size_value(const key_type_desc *t, void *field, const char *value, const char *dir)
{
	gint64 n = parse_size(value);

	if (n <= 0)
		return g_strdup_printf("\"%s\" is not a size (bytes, or with k, M, G)", value);
	*(gsize *)field = (gsize)n;
	return NULL;
}

static char *
parse_duration(const key_type_desc *t, void *field, const char *value, const char *dir)
{
	gint64 n = poc_parse_duration(value);

	if (n < 0)
		return g_strdup_printf("\"%s\" is not a duration (like 30s, 5m, 4h, 3d)", value);
	*(gint64 *)field = n;
	return NULL;
}

/* One of t->values, kept as its index. */
static char *
parse_enum(const key_type_desc *t, void *field, const char *value, const char *dir)
{
	int i = enum_index(t->values, value);

	if (i < 0) {
		char *all = g_strjoinv(", ", (char **)t->values);
		char *msg = g_strdup_printf("\"%s\" is not one of %s", value, all);

		g_free(all);
		return msg;
	}
	*(int *)field = i;
	return NULL;
}

/* One of the two t->values, kept as that string (in its case). */
static char *
parse_choice(const key_type_desc *t, void *field, const char *value, const char *dir)
{
	int i = enum_index(t->values, value);

	if (i < 0)
		return g_strdup_printf("\"%s\" is not one of %s, %s", value, t->values[0], t->values[1]);
	set_string(field, g_strdup(t->values[i]));
	return NULL;
}

static char *
parse_hours(const key_type_desc *t, void *field, const char *value, const char *dir)
{
	int start, end;

	if (poc_calendar_parse_business_hours(value, &start, &end) != POC_OK)
		return g_strdup_printf("\"%s\" is not HH:MM-HH:MM with start before end", value);
	return parse_string(t, field, value, dir);
}

static char *
parse_days(const key_type_desc *t, void *field, const char *value, const char *dir)
{
	poc_calendar *cal = poc_calendar_new();
	GError *cerr = NULL;
	char *msg = NULL;

	if (poc_calendar_set_closures(cal, value, &cerr) != POC_OK) {
		msg = g_strdup(cerr ? cerr->message : "not a list of days");
		g_clear_error(&cerr);
	} else {
		parse_string(t, field, value, dir);
	}
	poc_calendar_free(cal);
	return msg;
}

static const key_type_desc key_types[] = {
	[T_STRING] = { "text", S_STRING, parse_string, NULL },
	[T_PATH] = { "path", S_STRING, parse_path, NULL },
	[T_COMMAND] = { "command", S_STRING, parse_command, NULL },
	[T_ADDR] = { "address", S_STRING, parse_addr, NULL },
	[T_ADDRS] = { "addresses", S_LIST, parse_addrs, NULL },
	[T_FPRS] = { "fingerprints", S_LIST, parse_fprs, NULL },
	[T_KINDS] = { "kinds", S_LIST, parse_kinds, NULL },
	[T_BOOL] = { "yes|no", S_BOOL, parse_bool, NULL },
	[T_INT] = { "number", S_INT, parse_int, NULL },
	[T_MODE] = { "octal mode", S_MODE, parse_mode, NULL },
	[T_SIZE] = { "size", S_SIZE, parse_size_value, NULL },
	[T_DURATION] = { "duration", S_DURATION, parse_duration, NULL },
	[T_ACKMODE] = { "auto|hold|off", S_ENUM, parse_enum, ackmode_values },
	[T_ENCRYPT] = { "required|optional|never", S_ENUM, parse_enum, encrypt_values },
	[T_STOREFAIL] = { "tempfail|accept", S_ENUM, parse_enum, storefail_values },
	[T_CHARSET] = { "iso-2022-jp|utf-8", S_STRING, parse_choice, charset_values },
	[T_LANG] = { "ja|en", S_STRING, parse_choice, lang_values },
	[T_HOURS] = { "HH:MM-HH:MM", S_STRING, parse_hours, NULL },
	[T_DAYS] = { "days", S_STRING, parse_days, NULL },
	[T_FACILITY] = { "facility", S_STRING, parse_facility, facility_values },
	[T_HOSTPORT] = { "host:port", S_STRING, parse_hostport, NULL },
};

static const key_type_desc *
type_of(const config_key *key)
{
	return &key_types[key->type];
}

/* Set one key from its text. Returns NULL or a message saying what is wrong. */
static char *
set_key(poc_config *cfg, const config_key *key, const char *value, const char *dir)
{
	return type_of(key)->parse(type_of(key), FIELD(cfg, key, void), value, dir);
}

static const config_key *
find_key(const char *name)
{
	for (size_t i = 0; i < G_N_ELEMENTS(config_keys); i++)
		if (g_ascii_strcasecmp(config_keys[i].name, name) == 0)
			return &config_keys[i];
	return NULL;
}

static gboolean
is_list(const config_key *key)
{
	return type_of(key)->storage == S_LIST;
}

poc_config *
poc_config_new(void)
{
	poc_config *cfg = g_new0(poc_config, 1);

	cfg->key_lines = g_hash_table_new(g_str_hash, g_str_equal);

	for (size_t i = 0; i < G_N_ELEMENTS(config_keys); i++) {
		const config_key *key = &config_keys[i];
		char *err;

		if (is_list(key))
			*FIELD(cfg, key, GPtrArray *) = poc_config_list_new();
		if (!key->def)
			continue;
		err = set_key(cfg, key, key->def, NULL);
		if (err)
			g_error("default of %s is wrong: %s", key->name, err);
	}
	return cfg;
}

void
poc_config_free(poc_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < G_N_ELEMENTS(config_keys); i++) {
		const config_key *key = &config_keys[i];

		if (is_list(key)) {
			GPtrArray **list = FIELD(cfg, key, GPtrArray *);
			if (*list)
				g_ptr_array_unref(*list);
		} else if (type_of(key)->storage == S_STRING) {
			g_free(*FIELD(cfg, key, char *));
		}
	}
	if (cfg->key_lines)
		g_hash_table_destroy(cfg->key_lines);
	g_free(cfg->file);
	g_free(cfg);
}

int
poc_config_load(const char *path, poc_config **out, GError **error)
{
	char *text = NULL;
	gsize len;
	GError *ferr = NULL;
	int status;

	*out = NULL;
	if (!g_file_get_contents(path, &text, &len, &ferr)) {
		g_set_error(error, POC_ERROR, POC_ERR_IO, "%s: %s", path, ferr->message);
		g_error_free(ferr);
		return POC_ERR_IO;
	}
	status = poc_config_parse(text, len, path, out, error);
	g_free(text);
	return status;
}

/*
 * One line of a file (n: its number, from 1) into cfg; seen holds the
 * keys given so far. POC_OK, or POC_ERR_CONFIG with "FILE:LINE: Key: why".
 */
static int
parse_line(poc_config *cfg, GHashTable *seen, char *line, int n, const char *path,
	   const char *dir, GError **error)
{
	char *sep, *value, *err;
	const config_key *key;

	line = g_strstrip(line);
	if (*line == '\0' || *line == '#')
		return POC_OK;
	sep = line + strcspn(line, " \t=");
	value = sep;
	if (*sep) {
		*sep = '\0';
		value = g_strstrip(sep + 1);
		if (*value == '=')
			value = g_strstrip(value + 1);
	}
	key = find_key(line);
	if (!key) {
		g_set_error(error, POC_ERROR, POC_ERR_CONFIG, "%s:%d: %s: unknown key", path, n, line);
		return POC_ERR_CONFIG;
	}
	/* A bare Closures / WorkingDays is an empty list: no such days. */
	if (*value == '\0' && key->type != T_DAYS) {
		g_set_error(error, POC_ERROR, POC_ERR_CONFIG, "%s:%d: %s: no value", path, n,
			    key->name);
		return POC_ERR_CONFIG;
	}
	if (g_hash_table_contains(seen, key) && !is_list(key)) {
		g_set_error(error, POC_ERROR, POC_ERR_CONFIG,
			    "%s:%d: %s: given twice (it takes one value)", path, n, key->name);
		return POC_ERR_CONFIG;
	}
	/* The first occurrence of a list key replaces its default. */
	if (is_list(key) && !g_hash_table_contains(seen, key)) {
		GPtrArray **list = FIELD(cfg, key, GPtrArray *);
		if (*list)
			g_ptr_array_set_size(*list, 0);
	}
	g_hash_table_add(seen, (gpointer)key);
	if (!g_hash_table_contains(cfg->key_lines, key->name))
		g_hash_table_insert(cfg->key_lines, (gpointer)key->name, GINT_TO_POINTER(n));
	err = set_key(cfg, key, value, dir);
	if (err) {
		g_set_error(error, POC_ERROR, POC_ERR_CONFIG, "%s:%d: %s: %s", path, n, key->name,
			    err);
		g_free(err);
		return POC_ERR_CONFIG;
	}
	return POC_OK;
}

int
poc_config_parse(const char *input, gsize len, const char *path, poc_config **out,
		 GError **error)
{
	char *text, *dir, *abspath;
	poc_config *cfg;
	GHashTable *seen;
	char **lines;
	int status = POC_OK;

	*out = NULL;
	if (memchr(input, '\0', len) || !g_utf8_validate(input, len, NULL)) {
		g_set_error(error, POC_ERROR, POC_ERR_CONFIG, "%s: not a UTF-8 text file", path);
		return POC_ERR_CONFIG;
	}
	text = g_strndup(input, len);
	abspath = g_canonicalize_filename(path, NULL);
	dir = g_path_get_dirname(abspath);
	cfg = poc_config_new();
	cfg->file = abspath;
	seen = g_hash_table_new(g_direct_hash, g_direct_equal);
	lines = g_strsplit(text, "\n", -1);
	for (int n = 0; lines[n] && status == POC_OK; n++)
		status = parse_line(cfg, seen, lines[n], n + 1, path, dir, error);
	g_strfreev(lines);
	g_hash_table_destroy(seen);
	g_free(dir);
	g_free(text);
	if (status != POC_OK) {
		poc_config_free(cfg);
		return status;
	}
	*out = cfg;
	return POC_OK;
}

int
poc_config_validate(const poc_config *cfg, GError **error)
{
	const char *file = cfg->file ? cfg->file : "(defaults)";

	if (!cfg->watch || cfg->watch->len == 0) {
		g_set_error(error, POC_ERROR, POC_ERR_CONFIG, "%s: Watch: no POC address is watched", file);
		return POC_ERR_CONFIG;
	}
	if (cfg->ack_mode != POC_ACK_MODE_OFF && !cfg->ack_from) {
		g_set_error(error, POC_ERROR, POC_ERR_CONFIG,
			    "%s: AckFrom: required unless AckMode is off", file);
		return POC_ERR_CONFIG;
	}
	return POC_OK;
}

char *
poc_config_where(const poc_config *cfg, const char *name)
{
	const config_key *key = find_key(name);
	const char *file = cfg->file ? cfg->file : "(defaults)";
	int line;

	if (key)
		name = key->name;
	line = GPOINTER_TO_INT(g_hash_table_lookup(cfg->key_lines, name));
	return line > 0 ? g_strdup_printf("%s:%d: %s", file, line, name)
			: g_strdup_printf("%s: %s (%s)", file, name,
					  key && key->def ? "default" : "not set");
}

/*
 * An envelope address as an MTA gives it (RCPT argument or {rcpt_addr}):
 * lower case, without <>, a source route (@a,@b:) or anything after the
 * address (ESMTP parameters). NULL unless it is local@domain: a bare
 * local part (sendmail's {rcpt_addr} for a local mailbox) says nothing
 * of the domain.
 */
static char *
envelope_address(const char *text)
{
	const char *p = text, *end, *at;
	char *addr;

	if (!p)
		return NULL;
	while (g_ascii_isspace(*p))
		p++;
	if (*p == '<') {
		p++;
		end = strchr(p, '>');
		if (!end)
			end = p + strlen(p);
	} else {
		end = p + strcspn(p, " \t");
	}
	if (*p == '@') {	/* source route: @a,@b:local@domain */
		const char *colon = memchr(p, ':', end - p);

		if (colon)
			p = colon + 1;
	}
	addr = g_ascii_strdown(p, end - p);
	at = strrchr(addr, '@');
	if (!at || at == addr || !at[1]) {
		g_free(addr);
		return NULL;
	}
	return addr;
}

static gboolean
watch_has(const poc_config *cfg, const char *addr)
{
	const char *at = strrchr(addr, '@');
	const char *plus = strchr(addr, '+');
	char *base = NULL;
	gboolean found = FALSE;

	if (cfg->watch_subaddress && plus && plus < at)
		base = g_strdup_printf("%.*s%s", (int)(plus - addr), addr, at);
	for (guint i = 0; cfg->watch && i < cfg->watch->len && !found; i++) {
		const char *item = g_ptr_array_index(cfg->watch, i);

		found = strcmp(item, addr) == 0 || (base && strcmp(item, base) == 0);
	}
	g_free(base);
	return found;
}

char *
poc_config_watched_recipient(const poc_config *cfg, const char *rcpt_arg, const char *rcpt_addr)
{
	char *addr = envelope_address(rcpt_arg);

	if (addr && watch_has(cfg, addr))
		return addr;
	g_free(addr);
	addr = envelope_address(rcpt_addr);
	if (addr && watch_has(cfg, addr))
		return addr;
	g_free(addr);
	return NULL;
}

/* Compare local@domain with an address that may carry +detail. */
gboolean
poc_config_address_in(const GPtrArray *list, const char *addr)
{
	const char *at, *plus;
	char *lower, *bare = NULL;
	gboolean found = FALSE;

	if (!list || !addr)
		return FALSE;
	lower = g_ascii_strdown(addr, -1);
	/* Strip <> of an envelope address. */
	if (lower[0] == '<') {
		size_t n = strlen(lower);
		memmove(lower, lower + 1, n);
		if (n > 1 && lower[n - 2] == '>')
			lower[n - 2] = '\0';
	}
	at = strrchr(lower, '@');
	plus = strchr(lower, '+');
	if (at && plus && plus < at)
		bare = g_strdup_printf("%.*s%s", (int)(plus - lower), lower, at);
	for (guint i = 0; i < list->len && !found; i++) {
		const char *item = g_ptr_array_index(list, i);
		found = strcmp(item, lower) == 0 || (bare && strcmp(item, bare) == 0);
	}
	g_free(bare);
	g_free(lower);
	return found;
}

GPtrArray *
poc_config_list_new(void)
{
	return g_ptr_array_new_null_terminated(0, g_free, TRUE);
}

/*
 * Only reads, never writes the list, not even to add a NULL and take it
 * off again: the filer threads share one config and call this at once.
 */
const char *const *
poc_config_strv(const GPtrArray *list)
{
	static const char *const empty[] = { NULL };

	if (!list || list->len == 0)
		return empty;
	if (!g_ptr_array_is_null_terminated((GPtrArray *) list))
		msg_panic("poc_config_strv: a list not made by poc_config_list_new");
	return (const char *const *) list->pdata;
}

/* Headings of the sample file and the manual, before the key they start at. */
static const struct {
	const char *first_key;
	const char *title;
} config_sections[] = {
	{ "Socket", "The milter" },
	{ "Watch", "What is watched, who is trusted" },
	{ "Database", "The database" },
	{ "AckMode", "Acknowledgements" },
	{ "BusinessHours", "The calendar" },
	{ "PageCommand", "Paging" },
};

static const char *
section_at(const config_key *key)
{
	for (size_t i = 0; i < G_N_ELEMENTS(config_sections); i++)
		if (strcmp(config_sections[i].first_key, key->name) == 0)
			return config_sections[i].title;
	return NULL;
}

/* Words of text as "# " lines of at most 76 columns. */
static void
write_comment(FILE *fp, const char *text)
{
	char **words = g_strsplit(text, " ", -1);
	size_t col = 0;

	for (char **w = words; *w; w++) {
		size_t n = strlen(*w);

		if (col && col + 1 + n > 76) {
			fputc('\n', fp);
			col = 0;
		}
		col += fprintf(fp, col ? " %s" : "# %s", *w);
	}
	if (col)
		fputc('\n', fp);
	g_strfreev(words);
}

void
poc_config_write_sample(FILE *fp)
{
	fputs("# pocmilter.conf - sample configuration; see pocmilter.conf(5).\n"
	      "# Generated from the key table in src/conf.c by `pocmilter -C`: do not\n"
	      "# edit by hand (tests/config-consistency.sh compares them).\n"
	      "#\n"
	      "# \"Key value\" per line, '#' comments. Keys with several values take them\n"
	      "# separated by commas or blanks, and may repeat. Relative paths are\n"
	      "# relative to this file's directory. A commented key shows its default,\n"
	      "# or an example when it has none.\n", fp);
	for (size_t i = 0; i < G_N_ELEMENTS(config_keys); i++) {
		const config_key *key = &config_keys[i];
		const char *section = section_at(key);
		char *doc;

		if (section)
			fprintf(fp, "\n# === %s ===\n", section);
		doc = g_strdup_printf("%s (%s%s)", key->doc, type_of(key)->hint,
				      is_list(key) ? ", several" : "");
		fputc('\n', fp);
		write_comment(fp, doc);
		g_free(doc);
		fprintf(fp, "#%s %s\n", key->name,
			key->def ? key->def : key->example ? key->example : "");
	}
}

/* Text safe for roff: backslashes escaped, no control line at the start. */
static void
write_roff(FILE *fp, const char *text)
{
	if (*text == '.' || *text == '\'')
		fputs("\\&", fp);
	for (const char *p = text; *p; p++) {
		if (*p == '\\')
			fputs("\\e", fp);
		else if (*p == '-')
			fputs("\\-", fp);
		else
			fputc(*p, fp);
	}
}

void
poc_config_write_man(FILE *fp)
{
	fputs(".\\\" Generated from the key table in src/conf.c by `pocmilter -M`.\n", fp);
	for (size_t i = 0; i < G_N_ELEMENTS(config_keys); i++) {
		const config_key *key = &config_keys[i];
		const char *section = section_at(key);

		if (section)
			fprintf(fp, ".SS %s\n", section);
		fprintf(fp, ".TP\n.BI %s \" %s%s\"\n", key->name, type_of(key)->hint,
			is_list(key) ? ", ..." : "");
		write_roff(fp, key->doc);
		fputc('\n', fp);
		if (key->def) {
			fputs("Default: \\fB", fp);
			write_roff(fp, key->def);
			fputs("\\fR.\n", fp);
		} else if (key->example) {
			fputs("No default; for example \\fB", fp);
			write_roff(fp, key->example);
			fputs("\\fR.\n", fp);
		}
	}
}

/* A key's value as the file would give it (what poc_config_dump prints). */
static void
print_value(const poc_config *cfg, const config_key *key, FILE *fp)
{
	const void *field = (const char *)cfg + key->offset;

	switch (type_of(key)->storage) {
	case S_LIST: {
		const GPtrArray *list = *(GPtrArray *const *)field;

		for (guint j = 0; list && j < list->len; j++)
			fprintf(fp, "%s%s", j ? "," : "", (char *)g_ptr_array_index(list, j));
		break;
	}
	case S_BOOL: fputs(*(const gboolean *)field ? "yes" : "no", fp); break;
	case S_INT: fprintf(fp, "%d", *(const int *)field); break;
	case S_MODE: fprintf(fp, "%04o", *(const guint *)field); break;
	case S_SIZE: fprintf(fp, "%zu", *(const gsize *)field); break;
	case S_DURATION: fprintf(fp, "%" G_GINT64_FORMAT "s", *(const gint64 *)field); break;
	case S_ENUM: fputs(type_of(key)->values[*(const int *)field], fp); break;
	case S_STRING: {
		const char *s = *(char *const *)field;

		fputs(s ? s : "", fp);
		break;
	}
	}
}

void
poc_config_dump(const poc_config *cfg, FILE *fp)
{
	for (size_t i = 0; i < G_N_ELEMENTS(config_keys); i++) {
		fprintf(fp, "%s ", config_keys[i].name);
		print_value(cfg, &config_keys[i], fp);
		fputc('\n', fp);
	}
}

/* Do two configs hold the same value for a key? */
static gboolean
same_value(const poc_config *a, const poc_config *b, const config_key *key)
{
	const void *fa = (const char *)a + key->offset, *fb = (const char *)b + key->offset;

	switch (type_of(key)->storage) {
	case S_LIST: {
		const char *const *va = poc_config_strv(*(GPtrArray *const *)fa);
		const char *const *vb = poc_config_strv(*(GPtrArray *const *)fb);

		return g_strv_equal((const char *const *)va, (const char *const *)vb);
	}
	case S_BOOL: return !*(const gboolean *)fa == !*(const gboolean *)fb;
	case S_INT:
	case S_ENUM: return *(const int *)fa == *(const int *)fb;
	case S_MODE: return *(const guint *)fa == *(const guint *)fb;
	case S_SIZE: return *(const gsize *)fa == *(const gsize *)fb;
	case S_DURATION: return *(const gint64 *)fa == *(const gint64 *)fb;
	case S_STRING: return g_strcmp0(*(char *const *)fa, *(char *const *)fb) == 0;
	}
	return FALSE;
}

char *
poc_config_restart_keys(const poc_config *old, const poc_config *fresh)
{
	GString *names = g_string_new(NULL);
	gboolean changed = FALSE;

	for (size_t i = 0; i < G_N_ELEMENTS(config_keys); i++) {
		const config_key *key = &config_keys[i];

		if (!key->restart)
			continue;
		g_string_append_printf(names, "%s%s", names->len ? "," : "", key->name);
		if (!same_value(old, fresh, key))
			changed = TRUE;
	}
	return g_string_free(names, !changed);
}
