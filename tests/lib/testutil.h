/*
 * testutil.h - helpers shared by the unit tests (tests/unit/test_*.c)
 */
#ifndef POC_TESTUTIL_H
#define POC_TESTUTIL_H

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

#endif
