/*
 * NAME
 *	preflight.c - the configuration checked against the machine
 * SYNOPSIS
 *	#include "preflight.h"
 * DESCRIPTION
 *	See preflight.h for what is checked. The checks that depend on who
 *	runs them (file access, the GnuPG home, commands) are made as User:
 *	called as root with User set, poc_check_config() forks a child that
 *	takes User's groups, gid and uid and sends its findings back over a
 *	pipe, one line each ("E text" or "W text"). Nothing is created or
 *	changed, except that gpg-agent may be started in the GnuPG home (a
 *	test signature proves that our key needs no passphrase).
 * DIAGNOSTICS
 *	Problems go to check->errors and check->warnings; the return value
 *	is the number of errors.
 * SECURITY
 *	The child drops privileges for good before it touches any path the
 *	configuration names.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <netdb.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "preflight.h"
#include "crypto.h"
#include <glib/gstdio.h>

void
poc_check_init(poc_check *check)
{
	check->errors = g_ptr_array_new_with_free_func(g_free);
	check->warnings = g_ptr_array_new_with_free_func(g_free);
}

void
poc_check_clear(poc_check *check)
{
	if (check->errors)
		g_ptr_array_unref(check->errors);
	if (check->warnings)
		g_ptr_array_unref(check->warnings);
	check->errors = check->warnings = NULL;
}

G_GNUC_PRINTF(4, 5) static void
add(poc_check *check, gboolean warning, const char *where, const char *fmt, ...)
{
	va_list ap;
	char *what;

	va_start(ap, fmt);
	what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_ptr_array_add(warning ? check->warnings : check->errors,
			g_strdup_printf("%s: %s", where, what));
	g_free(what);
}

#define ERROR(key, ...) do { char *w_ = poc_config_where(cfg, key); \
		add(check, FALSE, w_, __VA_ARGS__); g_free(w_); } while (0)
#define WARN(key, ...) do { char *w_ = poc_config_where(cfg, key); \
		add(check, TRUE, w_, __VA_ARGS__); g_free(w_); } while (0)

/* --- as root ------------------------------------------------------------ */

static gboolean
port_ok(const char *port)
{
	char *end;
	long n;

	if (*port == '\0')
		return FALSE;
	n = strtol(port, &end, 10);
	if (*end == '\0')
		return n > 0 && n < 65536;
	return getservbyname(port, "tcp") != NULL;
}

static void
check_socket(const poc_config *cfg, poc_check *check)
{
	const char *s = cfg->socket, *colon = s ? strchr(s, ':') : NULL;

	if (s == NULL || *s == '\0') {
		ERROR("Socket", "no socket");
		return;
	}
	if (colon == NULL || g_str_has_prefix(s, "unix:") || g_str_has_prefix(s, "local:")) {
		const char *path = colon ? colon + 1 : s;
		char *dir;
		GStatBuf st;

		if (!g_path_is_absolute(path)) {
			ERROR("Socket", "\"%s\": a unix socket needs an absolute path", s);
			return;
		}
		if (strlen(path) >= 108) {
			ERROR("Socket", "\"%s\": a unix socket path is at most 107 bytes", s);
			return;
		}
		dir = g_path_get_dirname(path);
		if (g_stat(dir, &st) != 0)
			ERROR("Socket", "directory %s: %s", dir, g_strerror(errno));
		else if (!S_ISDIR(st.st_mode))
			ERROR("Socket", "%s is not a directory", dir);
		g_free(dir);
		return;
	}
	if (g_str_has_prefix(s, "inet:") || g_str_has_prefix(s, "inet6:")) {
		char *spec = g_strdup(colon + 1), *at = strchr(spec, '@');
		const char *host = NULL;

		if (at) {
			*at = '\0';
			host = at + 1;
		}
		if (!port_ok(spec)) {
			ERROR("Socket", "\"%s\": \"%s\" is not a port (inet:PORT@HOST)", s, spec);
		} else if (host && *host) {
			struct addrinfo hints = { 0 }, *res = NULL;
			char *h = g_strdup(host);
			int rc;

			if (h[0] == '[' && h[strlen(h) - 1] == ']') {
				memmove(h, h + 1, strlen(h));
				h[strlen(h) - 1] = '\0';
			}
			hints.ai_family = g_str_has_prefix(s, "inet6:") ? AF_INET6 : AF_INET;
			hints.ai_socktype = SOCK_STREAM;
			if ((rc = getaddrinfo(h, NULL, &hints, &res)) != 0)
				ERROR("Socket", "\"%s\": host %s: %s", s, h, gai_strerror(rc));
			else
				freeaddrinfo(res);
			g_free(h);
		}
		g_free(spec);
		return;
	}
	ERROR("Socket", "\"%s\": not unix:PATH, local:PATH, inet:PORT@HOST or inet6:PORT@HOST", s);
}

/* The parent directory of path exists: the last component alone may be made. */
static void
check_parent(const poc_config *cfg, poc_check *check, const char *key, const char *path)
{
	char *dir;
	GStatBuf st;

	if (path == NULL)
		return;
	dir = g_path_get_dirname(path);
	if (g_stat(dir, &st) != 0)
		ERROR(key, "directory %s: %s (it is not created)", dir, g_strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		ERROR(key, "%s is not a directory", dir);
	g_free(dir);
}

static void
check_database(const poc_config *cfg, poc_check *check)
{
	GStatBuf st;

	if (g_lstat(cfg->database, &st) == 0) {
		if (S_ISLNK(st.st_mode))
			ERROR("Database", "%s is a symbolic link: refusing to start", cfg->database);
		else if (!S_ISDIR(st.st_mode))
			ERROR("Database", "%s is not a directory", cfg->database);
		return;
	}
	check_parent(cfg, check, "Database", cfg->database);
}

/* --- as User ------------------------------------------------------------- */

static char *
first_word(const char *command)
{
	char **argv = NULL;
	char *word = NULL;

	if (g_shell_parse_argv(command, NULL, &argv, NULL) && argv[0])
		word = g_strdup(argv[0]);
	g_strfreev(argv);
	return word;
}

static void
check_command(const poc_config *cfg, poc_check *check, const char *key, const char *command)
{
	char *prog;

	if (command == NULL)
		return;
	if ((prog = first_word(command)) == NULL) {
		ERROR(key, "\"%s\": no program", command);
		return;
	}
	if (!g_path_is_absolute(prog)) {
		char *found = g_find_program_in_path(prog);

		if (found == NULL)
			ERROR(key, "%s: not found in PATH", prog);
		g_free(found);
	} else if (access(prog, X_OK) != 0) {
		ERROR(key, "%s: %s", prog, g_strerror(errno));
	}
	g_free(prog);
}

static void
check_key(const poc_config *cfg, poc_check *check, poc_crypto *crypto, const char *key_name,
	  const char *name)
{
	poc_crypto_key_info info;
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;

	if (poc_crypto_key_info_get(crypto, name, FALSE, &info, NULL) != POC_OK || !info.found) {
		ERROR(key_name, "%s: no such public key in GnuPGHome %s", name, cfg->gnupg_home);
		return;
	}
	if (info.revoked)
		ERROR(key_name, "%s: the key is revoked", name);
	else if (info.expired || (info.expires && info.expires <= now))
		ERROR(key_name, "%s: the key has expired", name);
	else if (info.expires && info.expires - now < POC_CHECK_EXPIRY_WARN_DAYS * 86400) {
		char t[POC_TIME_BUFSIZE];

		WARN(key_name, "%s: the key expires on %s", name, poc_time_format(info.expires, t));
	}
}

static void
check_gnupg(const poc_config *cfg, poc_check *check)
{
	poc_crypto *crypto = NULL;
	GError *err = NULL;
	GStatBuf st;
	int n;

	if (g_stat(cfg->gnupg_home, &st) != 0) {
		ERROR("GnuPGHome", "%s: %s", cfg->gnupg_home, g_strerror(errno));
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		ERROR("GnuPGHome", "%s is not a directory", cfg->gnupg_home);
		return;
	}
	if (access(cfg->gnupg_home, R_OK | W_OK | X_OK) != 0) {
		ERROR("GnuPGHome", "%s: %s", cfg->gnupg_home, g_strerror(errno));
		return;
	}
	if (poc_crypto_new(cfg->gnupg_home, &crypto, &err) != POC_OK) {
		ERROR("GnuPGHome", "%s: %s", cfg->gnupg_home, err ? err->message : "GnuPG failed");
		g_clear_error(&err);
		return;
	}
	if ((n = poc_crypto_secret_key_count(crypto)) <= 0)
		ERROR("GnuPGHome", "%s holds no secret key: no notice can be decrypted",
		      cfg->gnupg_home);
	for (guint i = 0; cfg->coordinator_key && i < cfg->coordinator_key->len; i++)
		check_key(cfg, check, crypto, "CoordinatorKey",
			  g_ptr_array_index(cfg->coordinator_key, i));
	for (guint i = 0; cfg->ack_encrypt_to && i < cfg->ack_encrypt_to->len; i++)
		check_key(cfg, check, crypto, "AckEncryptTo",
			  g_ptr_array_index(cfg->ack_encrypt_to, i));
	if (cfg->ack_mode != POC_ACK_MODE_OFF && n > 0) {
		/* One test signature, encrypted to whom acknowledgements go. */
		const char *signer = cfg->ack_sign_key ? cfg->ack_sign_key : cfg->ack_from;
		const char *key = cfg->ack_sign_key ? "AckSignKey" : "AckFrom";
		const GPtrArray *to = cfg->ack_encrypt_to && cfg->ack_encrypt_to->len
			? cfg->ack_encrypt_to : cfg->coordinator_key;
		GBytes *out = NULL;
		int rc;

		if (to && to->len)
			rc = poc_crypto_sign_encrypt(crypto, signer, poc_config_strv(to), "check", 5,
						     &out, &err);
		else
			rc = poc_crypto_sign_detached(crypto, signer, "check", 5, &out, &err);
		if (rc != POC_OK)
			ERROR(key, "%s: cannot sign%s an acknowledgement: %s", signer,
			      to && to->len ? " and encrypt" : "", err ? err->message : "GnuPG failed");
		g_clear_error(&err);
		if (out)
			g_bytes_unref(out);
	}
	poc_crypto_free(crypto);
}

static void
check_as_user(const poc_config *cfg, poc_check *check, gboolean gnupg)
{
	if (cfg->file && access(cfg->file, R_OK) != 0) {
		const char *who = cfg->user ? cfg->user : g_get_user_name();

		add(check, FALSE, cfg->file, "%s cannot read it (%s): a reload would fail", who,
		    g_strerror(errno));
	}
	if (gnupg)
		check_gnupg(cfg, check);
	if (cfg->ack_mode != POC_ACK_MODE_OFF && !cfg->ack_smtp)
		check_command(cfg, check, "AckSendmail", cfg->ack_sendmail);
	check_command(cfg, check, "PageCommand", cfg->page_command);
	if (cfg->template_dir && cfg->ack_mode != POC_ACK_MODE_OFF
	    && access(cfg->template_dir, R_OK | X_OK) != 0)
		ERROR("TemplateDir", "%s: %s", cfg->template_dir, g_strerror(errno));
}

/* Run check_as_user as pw in a child; its lines come back over a pipe. */
static void
check_in_child(const poc_config *cfg, poc_check *check, const struct passwd *pw)
{
	int fds[2], status;
	pid_t pid;
	FILE *in;
	char line[4096];

	fflush(NULL);
	if (pipe(fds) != 0 || (pid = fork()) < 0) {
		add(check, FALSE, "check", "cannot start a process as %s: %s", pw->pw_name,
		    g_strerror(errno));
		return;
	}
	if (pid == 0) {
		poc_check sub;
		FILE *out;

		close(fds[0]);
		if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0
		    || setuid(pw->pw_uid) != 0)
			_exit(2);
		/* GnuPG finds its agent by HOME only when the home is not given. */
		g_setenv("HOME", pw->pw_dir ? pw->pw_dir : "/", TRUE);
		out = fdopen(fds[1], "w");
		poc_check_init(&sub);
		check_as_user(cfg, &sub, TRUE);
		for (guint i = 0; i < sub.errors->len; i++)
			fprintf(out, "E%s\n", (char *)g_ptr_array_index(sub.errors, i));
		for (guint i = 0; i < sub.warnings->len; i++)
			fprintf(out, "W%s\n", (char *)g_ptr_array_index(sub.warnings, i));
		fclose(out);
		_exit(0);
	}
	close(fds[1]);
	in = fdopen(fds[0], "r");
	while (fgets(line, sizeof line, in)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == 'E' || line[0] == 'W')
			g_ptr_array_add(line[0] == 'E' ? check->errors : check->warnings,
					g_strdup(line + 1));
	}
	fclose(in);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		add(check, FALSE, "check", "the checks as %s did not finish (status %d)", pw->pw_name,
		    status);
}

int
poc_check_config(const poc_config *cfg, poc_check *check)
{
	struct passwd *pw = NULL;

	check_socket(cfg, check);
	if (cfg->user) {
		if ((pw = getpwnam(cfg->user)) == NULL)
			ERROR("User", "%s: no such user", cfg->user);
		else if (pw->pw_uid == 0)
			ERROR("User", "%s: refusing to run as uid 0", cfg->user);
	} else if (geteuid() == 0) {
		ERROR("User", "required when started as root");
	}
	if (cfg->socket_group && getgrnam(cfg->socket_group) == NULL)
		ERROR("SocketGroup", "%s: no such group", cfg->socket_group);
	check_database(cfg, check);
	check_parent(cfg, check, "PidFile", cfg->pid_file);
	if (cfg->ack_mode == POC_ACK_MODE_AUTO
	    && (!cfg->coordinator_key || cfg->coordinator_key->len == 0))
		WARN("CoordinatorKey", "not set with AckMode auto: no signature can be good, so "
		     "every notice is held for a person");
	if (geteuid() == 0 && pw && pw->pw_uid != 0) {
		struct passwd copy = *pw;

		copy.pw_name = g_strdup(pw->pw_name);
		copy.pw_dir = g_strdup(pw->pw_dir);
		check_in_child(cfg, check, &copy);
		g_free(copy.pw_name);
		g_free(copy.pw_dir);
	} else {
		/*
		 * Not root: as whoever runs this. Root without a usable User: the
		 * rest, but not the GnuPG home, where root would start a gpg-agent
		 * that User could not use afterwards.
		 */
		check_as_user(cfg, check, geteuid() != 0);
	}
	return (int)check->errors->len;
}
