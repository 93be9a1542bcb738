/*
 * NAME
 *	noop-milter - a milter that continues at every step
 * SYNOPSIS
 *	noop-milter SOCKET		(unix:/path or inet:PORT@127.0.0.1)
 * DESCRIPTION
 *	The floor for any milter in bench/run.sh: it asks for every
 *	callback (connect, helo, envelope, headers, body, end of message)
 *	and answers CONTINUE to each, doing no work. What a postfix pays
 *	for talking the milter protocol at all, per connection and per
 *	message, is what this program costs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libmilter/mfapi.h>

static sfsistat
on_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *addr)
{
	(void)ctx, (void)host, (void)addr;
	return SMFIS_CONTINUE;
}

static sfsistat
on_helo(SMFICTX *ctx, char *name)
{
	(void)ctx, (void)name;
	return SMFIS_CONTINUE;
}

static sfsistat
on_argv(SMFICTX *ctx, char **argv)
{
	(void)ctx, (void)argv;
	return SMFIS_CONTINUE;
}

static sfsistat
on_header(SMFICTX *ctx, char *name, char *value)
{
	(void)ctx, (void)name, (void)value;
	return SMFIS_CONTINUE;
}

static sfsistat
on_step(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

static sfsistat
on_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	(void)ctx, (void)chunk, (void)len;
	return SMFIS_CONTINUE;
}

static sfsistat
on_unknown(SMFICTX *ctx, const char *cmd)
{
	(void)ctx, (void)cmd;
	return SMFIS_CONTINUE;
}

static struct smfiDesc filter = {
	.xxfi_name = "noop-milter",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = 0,
	.xxfi_connect = on_connect,
	.xxfi_helo = on_helo,
	.xxfi_envfrom = on_argv,
	.xxfi_envrcpt = on_argv,
	.xxfi_header = on_header,
	.xxfi_eoh = on_step,
	.xxfi_body = on_body,
	.xxfi_eom = on_step,
	.xxfi_abort = on_step,
	.xxfi_close = on_step,
	.xxfi_unknown = on_unknown,
	.xxfi_data = on_step,
};

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: noop-milter unix:/path|inet:PORT@HOST\n");
		return 2;
	}
	if (strncmp(argv[1], "unix:", 5) == 0 || strncmp(argv[1], "local:", 6) == 0)
		(void)remove(strchr(argv[1], ':') + 1);
	if (smfi_setconn(argv[1]) != MI_SUCCESS || smfi_register(filter) != MI_SUCCESS) {
		fprintf(stderr, "noop-milter: bad socket %s\n", argv[1]);
		return 1;
	}
	/* The socket must be reachable by postfix's unprivileged smtpd. */
	if (smfi_opensocket(1) != MI_SUCCESS) {
		fprintf(stderr, "noop-milter: cannot open %s\n", argv[1]);
		return 1;
	}
	if (strncmp(argv[1], "unix:", 5) == 0 || strncmp(argv[1], "local:", 6) == 0)
		(void)chmod(strchr(argv[1], ':') + 1, 0666);
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
