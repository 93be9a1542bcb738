/*
 * NAME
 *	testutil - helpers shared by the unit tests
 * SYNOPSIS
 *	#include "testutil.h"
 *
 *	char *tmpdir(void);
 *	void rmtree(const char *dir);
 *	poc_message *mkmsg(const char *id, const char *tracking,
 *		const char *vulns, gint64 received);
 *
 *	char *keys_make(void);
 *	char *keys_env(const char *dir, const char *name);
 *	void keys_remove(const char *dir);
 *
 *	int run_suite(Suite *s, enum fork_status fork);
 * DESCRIPTION
 *	tmpdir makes a new directory under TMPDIR (g_dir_make_tmp);
 *	rmtree removes one with everything below it. mkmsg builds the
 *	message most tests start from (see testutil.h); a test sets the
 *	fields it is about on the result.
 *
 *	keys_make runs tests/make-keys.sh (the coordinator's and the
 *	vendor's GnuPG homes, third, unknown, expired and revoked keys)
 *	into a new directory; keys_env reads a fingerprint from its
 *	keys.env; keys_remove stops the homes' agents and removes it.
 *
 *	run_suite runs a Check suite and gives main its exit status.
 *
 *	Linked into every Check unit test (Makefile.am, UNIT_LIBS).
 * DIAGNOSTICS
 *	A directory that cannot be made or removed fails the running test
 *	(Check's ck_assert), so call these inside a test or its fixture.
 *	keys_make prints what failed and exits 99 (a hard error).
 * SECURITY
 *	rmtree runs rm without a shell: the name is one argument, never
 *	parsed.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "testutil.h"

char *
tmpdir(void)
{
	char *d = g_dir_make_tmp("poctest-XXXXXX", NULL);

	ck_assert_ptr_nonnull(d);
	return d;
}

void
rmtree(const char *dir)
{
	char *argv[] = { "rm", "-rf", (char *)dir, NULL };
	GError *err = NULL;
	int status = -1;

	if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &status,
			  &err))
		ck_abort_msg("rm -rf %s: %s", dir, err->message);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "rm -rf %s failed", dir);
}

poc_message *
mkmsg(const char *id, const char *tracking, const char *vulns, gint64 received)
{
	poc_message *m = poc_message_new();

	m->message_id = g_strdup(id);
	m->tracking = g_strdup(tracking);
	m->received_at = received;
	m->from = g_strdup("vuls@jpcert.or.jp");
	m->subject = g_strdup_printf("[%s] 脆弱性情報", tracking ? tracking : "-");
	m->kind = POC_KIND_SUMMARY;
	m->encrypted = TRUE;
	m->decryption = POC_DECRYPTION_OK;
	m->signature = POC_SIGNATURE_GOOD;
	m->signature_covers = POC_COVERS_ALL;
	if (vulns) {
		char **v = g_strsplit(vulns, " ", -1);

		for (char **p = v; *p; p++)
			g_ptr_array_add(m->vuln_ids, g_strdup(*p));
		g_strfreev(v);
	}
	return m;
}

char *
keys_make(void)
{
	const char *srcdir = g_getenv("srcdir") ? g_getenv("srcdir") : ".";
	char *dir = g_strdup("/tmp/pkXXXXXX");
	char *script = g_build_filename(srcdir, "tests", "make-keys.sh", NULL);
	char *argv[] = { "bash", script, dir, NULL };
	int status = -1;

	if (!g_mkdtemp(dir) ||
	    !g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &status,
			  NULL) || status != 0) {
		fprintf(stderr, "%s %s failed\n", script, dir);
		exit(99);
	}
	g_free(script);
	return dir;
}

char *
keys_env(const char *dir, const char *name)
{
	char *file = g_build_filename(dir, "keys.env", NULL), *env = NULL, *value = NULL;
	size_t n = strlen(name);

	if (!g_file_get_contents(file, &env, NULL, NULL)) {
		fprintf(stderr, "%s: cannot read\n", file);
		exit(99);
	}
	char **lines = g_strsplit(env, "\n", -1);

	for (char **l = lines; *l; l++)
		if (strncmp(*l, name, n) == 0 && (*l)[n] == '=')
			value = g_strdup(*l + n + 1);
	g_strfreev(lines);
	g_free(env);
	g_free(file);
	return value;
}

void
keys_remove(const char *dir)
{
	char *argv[] = { "sh", "-c",
			 "for h in \"$0\"/*/; do gpgconf --homedir \"$h\" --kill gpg-agent; done; rm -rf \"$0\"",
			 (char *)dir, NULL };

	g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
}

int
run_suite(Suite *s, enum fork_status fork)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_set_fork_status(sr, fork);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
