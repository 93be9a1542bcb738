/*
 * NAME
 *	preflight.h - everything about a configuration that can be checked
 *	before mail arrives (pocmilter -n, pocctl check-config, the
 *	daemon's start)
 * DESCRIPTION
 *	poc_check_config() goes beyond the parser (conf.c), which checks
 *	each value alone: it looks at the machine the way the daemon will
 *	meet it. As root: the Socket (syntax, and that a unix socket's
 *	directory exists), User and SocketGroup exist, the parents of
 *	Database and PidFile exist (they are never created: a typo would
 *	start on a new, empty database). As User (a child process that
 *	drops to User when called as root): the config file is readable
 *	(a reload reads it as User), the GnuPG home is a usable directory
 *	with a secret key, every CoordinatorKey is in it and neither
 *	expired nor revoked (a warning 30 days before it expires), our key
 *	signs without a passphrase and encrypts to every coordinator key,
 *	AckSendmail and PageCommand are executable.
 *
 *	Every problem is a line "FILE:LINE: Key: what is wrong" (or
 *	"FILE: Key (default): ..."), an error or a warning. Errors make
 *	pocmilter -n exit 1 and the daemon refuse to start; warnings are
 *	printed (risky choices: AckMode auto without a CoordinatorKey).
 */
#ifndef POC_PREFLIGHT_H
#define POC_PREFLIGHT_H

#include "conf.h"

G_BEGIN_DECLS

typedef struct poc_check {
	GPtrArray *errors;	/* char * */
	GPtrArray *warnings;	/* char * */
} poc_check;

void poc_check_init(poc_check *check);
void poc_check_clear(poc_check *check);
/* Days before a CoordinatorKey's expiry at which a warning starts. */
#define POC_CHECK_EXPIRY_WARN_DAYS 30
/* Run every check; returns the number of errors. */
int poc_check_config(const poc_config *cfg, poc_check *check);

G_END_DECLS

#endif
