/*
 * NAME
 *	conf.c - pocmilter.conf: the key table, parsing, defaults
 * DESCRIPTION
 *	config_keys[] below is the single source of truth: name, type,
 *	default (as written in the file), where it goes in poc_config, and
 *	the description used for the sample file and the manual page.
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

typedef struct config_key {
	const char *name;
	key_type type;
	const char *def;	/* default as written in a file; NULL: unset */
	size_t offset;
	const char *example;	/* for the sample file when there is no default */
	const char *doc;
} config_key;

#define OFF(f) offsetof(poc_config, f)

static const config_key config_keys[] = {
	/* --- the milter --- */
	{ "Socket", T_STRING, "unix:/run/pocmilter/pocmilter.sock", OFF(socket), NULL,
	  "libmilter socket: unix:PATH (preferred: ~6x the throughput of loopback TCP with postfix) or inet:PORT@HOST." },
	{ "SocketMode", T_MODE, "0660", OFF(socket_mode), NULL,
	  "Mode of a unix socket, so that the MTA's group can connect." },
	{ "SocketGroup", T_STRING, NULL, OFF(socket_group), "postfix",
	  "Group of a unix socket (default: the group of User): postfix for Postfix. Sendmail's daemon connects as root and needs none (smmsp is its MSP's group)." },
	{ "User", T_STRING, NULL, OFF(user), "pocmilter",
	  "User (and its group) to run as after opening the socket and the database. Required when started as root." },
	{ "PidFile", T_PATH, NULL, OFF(pid_file), "/run/pocmilter/pocmilter.pid",
	  "Pid file, written before privileges are dropped." },
	{ "SyslogFacility", T_FACILITY, "mail", OFF(syslog_facility), NULL,
	  "Syslog facility (mail, daemon, local0..local7)." },
	{ "AddHeader", T_BOOL, "no", OFF(add_header), NULL,
	  "Add an X-POC-Case: header to POC mail. Any such header from outside is always removed." },
	{ "OnStoreFailure", T_STOREFAIL, "tempfail", OFF(on_store_failure), NULL,
	  "What POC mail gets when it cannot be spooled: tempfail (the sender retries) or accept." },
	{ "MaxMessageSize", T_SIZE, "32M", OFF(max_message_size), NULL,
	  "Largest POC message spooled whole; of a larger one (delivered whole) only the first MaxMessageSize bytes are spooled and filed, held and paged (too-large)." },
	{ "CoreDumps", T_BOOL, "no", OFF(core_dumps), NULL,
	  "A core dump holds the daemon's memory, decrypted notices included: with no (the default) the daemon is not dumpable (no core file, no ptrace by other processes of User). Set yes only to debug a crash, on a machine whose core files are as private as the notices (doc/OPERATIONS.md). Read at start." },
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
	  "GnuPG home with the POC secret key and the coordinator public keys." },
	{ "KindRules", T_PATH, NULL, OFF(kind_rules), "/etc/pocmilter/kinds.rules",
	  "Extra rules classifying notices, before the built-in ones (doc/KINDS.md). pocctl show names the rule that decided (FILE:LINE); after a change, pocctl reprocess reads a case again." },
	/* --- the database --- */
	{ "Database", T_PATH, "/var/lib/pocmilter/db", OFF(database), NULL,
	  "LMDB environment directory (doc/DATABASE.md)." },
	{ "DatabaseMode", T_MODE, "0600", OFF(database_mode), NULL,
	  "Mode of the database files: 0600, or 0640 to let a group of read-only operators and downstream readers in (the directory is then 0750 and lock.mdb 0660: an LMDB reader registers there)." },
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

/* Set one key from its text. Returns NULL or a message saying what is wrong. */
static char *
set_key(poc_config *cfg, const config_key *key, const char *value, const char *dir)
{
	switch (key->type) {
	case T_STRING:
	case T_FACILITY:
		if (key->type == T_FACILITY) {
			static const char *const fac[] = { "mail", "daemon", "user", "local0", "local1",
							   "local2", "local3", "local4", "local5",
							   "local6", "local7", NULL };
			if (enum_index(fac, value) < 0)
				return g_strdup_printf("unknown syslog facility \"%s\"", value);
		}
		g_free(*FIELD(cfg, key, char *));
		*FIELD(cfg, key, char *) = g_strdup(value);
		return NULL;
	case T_PATH:
		g_free(*FIELD(cfg, key, char *));
		*FIELD(cfg, key, char *) = make_path(dir, value);
		return NULL;
	case T_HOSTPORT: {
		char *why = poc_smtp_check_address(value);

		if (why)
			return why;
		g_free(*FIELD(cfg, key, char *));
		*FIELD(cfg, key, char *) = g_strdup(value);
		return NULL;
	}
	case T_ADDR:
		if (!valid_address(value))
			return g_strdup_printf("\"%s\" is not a mail address", value);
		g_free(*FIELD(cfg, key, char *));
		*FIELD(cfg, key, char *) = g_ascii_strdown(value, -1);
		return NULL;
	case T_COMMAND: {
		g_free(*FIELD(cfg, key, char *));
		if (value[0] != '/' && dir && strchr(value, '/')) {
			*FIELD(cfg, key, char *) = g_build_filename(dir, value, NULL);
		} else {
			*FIELD(cfg, key, char *) = g_strdup(value);
		}
		return NULL;
	}
	case T_ADDRS:
	case T_FPRS:
	case T_KINDS: {
		GPtrArray **list = FIELD(cfg, key, GPtrArray *);
		char **words = g_regex_split_simple("[,\\s]+", value, 0, 0);
		char *err = NULL;

		if (!*list)
			*list = poc_config_list_new();
		for (char **w = words; *w && !err; w++) {
			if (!**w)
				continue;
			if (key->type == T_ADDRS && !valid_address(*w))
				err = g_strdup_printf("\"%s\" is not a mail address", *w);
			else if (key->type == T_FPRS && !valid_fpr(*w))
				err = g_strdup_printf("\"%s\" is not a 40-hex-digit fingerprint", *w);
			else if (key->type == T_KINDS && poc_kind_parse(*w) < 0)
				err = g_strdup_printf("\"%s\" is not a kind (summary, detail, publication, schedule, direct-report, other)", *w);
			else
				g_ptr_array_add(*list, key->type == T_FPRS ? g_ascii_strup(*w, -1)
									   : g_ascii_strdown(*w, -1));
		}
		g_strfreev(words);
		return err;
	}
	case T_BOOL: {
		static const char *const yes[] = { "yes", "true", "on", "1", NULL };
		static const char *const no[] = { "no", "false", "off", "0", NULL };

		if (enum_index(yes, value) >= 0)
			*FIELD(cfg, key, gboolean) = TRUE;
		else if (enum_index(no, value) >= 0)
			*FIELD(cfg, key, gboolean) = FALSE;
		else
			return g_strdup_printf("\"%s\" is not yes or no", value);
		return NULL;
	}
	case T_INT: {
		char *end;
		gint64 n = g_ascii_strtoll(value, &end, 10);

		if (*end || n < 1 || n > 4096)
			return g_strdup_printf("\"%s\" is not a number from 1 to 4096", value);
		*FIELD(cfg, key, int) = (int)n;
		return NULL;
	}
	case T_MODE: {
		char *end;
		guint64 n = g_ascii_strtoull(value, &end, 8);

		if (*end || n > 0777)
			return g_strdup_printf("\"%s\" is not an octal file mode", value);
		*FIELD(cfg, key, guint) = (guint)n;
		return NULL;
	}
	case T_SIZE: {
		gint64 n = parse_size(value);

		if (n <= 0)
			return g_strdup_printf("\"%s\" is not a size (bytes, or with k, M, G)", value);
		*FIELD(cfg, key, gsize) = (gsize)n;
		return NULL;
	}
	case T_DURATION: {
		gint64 n = poc_parse_duration(value);

		if (n < 0)
			return g_strdup_printf("\"%s\" is not a duration (like 30s, 5m, 4h, 3d)", value);
		*FIELD(cfg, key, gint64) = n;
		return NULL;
	}
	case T_ACKMODE:
	case T_ENCRYPT:
	case T_STOREFAIL: {
		const char *const *values = key->type == T_ACKMODE  ? ackmode_values
					    : key->type == T_ENCRYPT ? encrypt_values
								     : storefail_values;
		int i = enum_index(values, value);

		if (i < 0) {
			char *all = g_strjoinv(", ", (char **)values);
			char *msg = g_strdup_printf("\"%s\" is not one of %s", value, all);
			g_free(all);
			return msg;
		}
		*FIELD(cfg, key, int) = i;
		return NULL;
	}
	case T_CHARSET:
	case T_LANG: {
		const char *const *values = key->type == T_CHARSET ? charset_values : lang_values;
		int i = enum_index(values, value);

		if (i < 0)
			return g_strdup_printf("\"%s\" is not one of %s, %s", value, values[0], values[1]);
		g_free(*FIELD(cfg, key, char *));
		*FIELD(cfg, key, char *) = g_strdup(values[i]);
		return NULL;
	}
	case T_HOURS: {
		int start, end;

		if (poc_calendar_parse_business_hours(value, &start, &end) != POC_OK)
			return g_strdup_printf("\"%s\" is not HH:MM-HH:MM with start before end", value);
		g_free(*FIELD(cfg, key, char *));
		*FIELD(cfg, key, char *) = g_strdup(value);
		return NULL;
	}
	case T_DAYS: {
		poc_calendar *cal = poc_calendar_new();
		GError *cerr = NULL;
		char *msg = NULL;

		if (poc_calendar_set_closures(cal, value, &cerr) != POC_OK) {
			msg = g_strdup(cerr ? cerr->message : "not a list of days");
			g_clear_error(&cerr);
		} else {
			g_free(*FIELD(cfg, key, char *));
			*FIELD(cfg, key, char *) = g_strdup(value);
		}
		poc_calendar_free(cal);
		return msg;
	}
	}
	return g_strdup("internal error: unknown key type");
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
	return key->type == T_ADDRS || key->type == T_FPRS || key->type == T_KINDS;
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
		} else if (key->type == T_STRING || key->type == T_PATH || key->type == T_ADDR || key->type == T_COMMAND ||
			   key->type == T_CHARSET || key->type == T_LANG || key->type == T_HOURS ||
			   key->type == T_DAYS || key->type == T_FACILITY || key->type == T_HOSTPORT) {
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
	for (int n = 0; lines[n] && status == POC_OK; n++) {
		char *line = g_strstrip(lines[n]);
		char *sep, *value, *err;
		const config_key *key;

		if (*line == '\0' || *line == '#')
			continue;
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
			g_set_error(error, POC_ERROR, POC_ERR_CONFIG, "%s:%d: %s: unknown key", path,
				    n + 1, line);
			status = POC_ERR_CONFIG;
			break;
		}
		/* A bare Closures / WorkingDays is an empty list: no such days. */
		if (*value == '\0' && key->type != T_DAYS) {
			g_set_error(error, POC_ERROR, POC_ERR_CONFIG, "%s:%d: %s: no value", path,
				    n + 1, key->name);
			status = POC_ERR_CONFIG;
			break;
		}
		if (g_hash_table_contains(seen, key) && !is_list(key)) {
			g_set_error(error, POC_ERROR, POC_ERR_CONFIG,
				    "%s:%d: %s: given twice (it takes one value)", path, n + 1,
				    key->name);
			status = POC_ERR_CONFIG;
			break;
		}
		/* The first occurrence of a list key replaces its default. */
		if (is_list(key) && !g_hash_table_contains(seen, key)) {
			GPtrArray **list = FIELD(cfg, key, GPtrArray *);
			if (*list)
				g_ptr_array_set_size(*list, 0);
		}
		g_hash_table_add(seen, (gpointer)key);
		if (!g_hash_table_contains(cfg->key_lines, key->name))
			g_hash_table_insert(cfg->key_lines, (gpointer)key->name, GINT_TO_POINTER(n + 1));
		err = set_key(cfg, key, value, dir);
		if (err) {
			g_set_error(error, POC_ERROR, POC_ERR_CONFIG, "%s:%d: %s: %s", path, n + 1,
				    key->name, err);
			g_free(err);
			status = POC_ERR_CONFIG;
		}
	}
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
 * Only reads: the config is shared by the filer threads. (This used to
 * add a NULL and take it off again, in every filer at once: two filers
 * freed each other's elements, which was the crash with Workers 2.)
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

static const char *
type_hint(key_type t)
{
	switch (t) {
	case T_ADDR: return "address";
	case T_HOSTPORT: return "host:port";
	case T_ADDRS: return "addresses";
	case T_FPRS: return "fingerprints";
	case T_KINDS: return "kinds";
	case T_BOOL: return "yes|no";
	case T_DURATION: return "duration";
	case T_SIZE: return "size";
	case T_MODE: return "octal mode";
	case T_INT: return "number";
	case T_PATH: return "path";
	case T_COMMAND: return "command";
	case T_ACKMODE: return "auto|hold|off";
	case T_ENCRYPT: return "required|optional|never";
	case T_STOREFAIL: return "tempfail|accept";
	case T_CHARSET: return "iso-2022-jp|utf-8";
	case T_LANG: return "ja|en";
	case T_HOURS: return "HH:MM-HH:MM";
	case T_DAYS: return "days";
	case T_FACILITY: return "facility";
	case T_STRING: return "text";
	}
	return "?";
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
		doc = g_strdup_printf("%s (%s%s)", key->doc, type_hint(key->type),
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
		fprintf(fp, ".TP\n.BI %s \" %s%s\"\n", key->name, type_hint(key->type),
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

void
poc_config_dump(const poc_config *cfg, FILE *fp)
{
	for (size_t i = 0; i < G_N_ELEMENTS(config_keys); i++) {
		const config_key *key = &config_keys[i];
		const char *base = (const char *)cfg;

		fprintf(fp, "%s ", key->name);
		switch (key->type) {
		case T_ADDRS:
		case T_FPRS:
		case T_KINDS: {
			GPtrArray *list = *(GPtrArray *const *)(base + key->offset);
			for (guint j = 0; list && j < list->len; j++)
				fprintf(fp, "%s%s", j ? "," : "", (char *)g_ptr_array_index(list, j));
			break;
		}
		case T_BOOL: fputs(*(const gboolean *)(base + key->offset) ? "yes" : "no", fp); break;
		case T_INT: fprintf(fp, "%d", *(const int *)(base + key->offset)); break;
		case T_MODE: fprintf(fp, "%04o", *(const guint *)(base + key->offset)); break;
		case T_SIZE: fprintf(fp, "%zu", *(const gsize *)(base + key->offset)); break;
		case T_DURATION: fprintf(fp, "%" G_GINT64_FORMAT "s", *(const gint64 *)(base + key->offset)); break;
		case T_ACKMODE: fputs(ackmode_values[*(const int *)(base + key->offset)], fp); break;
		case T_ENCRYPT: fputs(encrypt_values[*(const int *)(base + key->offset)], fp); break;
		case T_STOREFAIL: fputs(storefail_values[*(const int *)(base + key->offset)], fp); break;
		default: {
			const char *s = *(char *const *)(base + key->offset);
			fputs(s ? s : "", fp);
		}
		}
		fputc('\n', fp);
	}
}
