/*
 * testutil.h - helpers shared by the unit tests (tests/unit/test_*.c)
 */
#ifndef POC_TESTUTIL_H
#define POC_TESTUTIL_H

#include <check.h>
#include <glib.h>

#include "record.h"

/* tmpdir - a new, empty directory under TMPDIR; g_free the name */
char *tmpdir(void);

/* rmtree - remove a directory and all below it (rm -rf); the test fails if rm does */
void rmtree(const char *dir);

/*
 * mkmsg - a notice as the filer leaves it: Message-ID id, tracking number
 * tracking (NULL: none) also in the subject, vulnerability ids vulns
 * (space-separated, NULL: none), received at received; a summary from
 * vuls@jpcert.or.jp, encrypted and decrypted, signature good over all of
 * it. from_coordinator stays FALSE. Free with poc_message_free.
 */
poc_message *mkmsg(const char *id, const char *tracking, const char *vulns, gint64 received);

/*
 * keys_make - a new directory under /tmp (short: gpg-agent's socket path) with
 * the throwaway keys of tests/make-keys.sh (found under $srcdir); exits 99, a
 * hard error to the test driver, when it cannot. For a fixture's set-up.
 */
char *keys_make(void);

/* keys_env - the value of name (e.g. "FPR_COORD") in dir/keys.env, or NULL; g_free */
char *keys_env(const char *dir, const char *name);

/* keys_remove - stop the gpg-agents of dir's GnuPG homes and remove dir */
void keys_remove(const char *dir);

/*
 * run_suite - run every test of s, each in a process of its own unless fork
 * is CK_NOFORK (CK_FORK_GETENV: as the environment's CK_FORK says); frees s.
 * Returns the exit status for main: EXIT_SUCCESS when none failed.
 */
int run_suite(Suite *s, enum fork_status fork);

#endif
