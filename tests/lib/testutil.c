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
 * DESCRIPTION
 *	tmpdir makes a new directory under TMPDIR (g_dir_make_tmp);
 *	rmtree removes one with everything below it. mkmsg builds the
 *	message most tests start from (see testutil.h); a test sets the
 *	fields it is about on the result.
 *
 *	Linked into every Check unit test (Makefile.am, UNIT_LIBS).
 * DIAGNOSTICS
 *	A directory that cannot be made or removed fails the running test
 *	(Check's ck_assert), so call these inside a test or its fixture.
 * SECURITY
 *	rmtree runs rm without a shell: the name is one argument, never
 *	parsed.
 */
#include "config.h"

#include <check.h>
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
