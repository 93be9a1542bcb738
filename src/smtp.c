/*
 * NAME
 *	smtp.c - handing mail to the local MTA over SMTP (AckSmtp)
 * DESCRIPTION
 *	See smtp.h. GIO does the socket work (GSocketClient with a time
 *	limit, a GBufferedInputStream for reply lines); this file speaks the
 *	protocol: EHLO (HELO as a fallback), MAIL, RCPT, DATA with
 *	dot-stuffing and CRLF, QUIT. A reply is at most MAX_REPLY_LINES
 *	lines of at most MAX_REPLY_LINE bytes (RFC 5321 allows 512): the
 *	memory a misbehaving peer can make us hold is bounded.
 */
#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "poc.h"
#include "smtp.h"

#define MAX_REPLY_LINES 100
#define MAX_REPLY_LINE  2048

struct poc_smtp {
	GSocketConnection *conn;
	GBufferedInputStream *in;
	GOutputStream *out;
};

/* One line without its LF; NULL with *error set on I/O failure, EOF or a line too long. */
static char *
read_line(poc_smtp *s, GError **error)
{
	for (;;) {
		gsize avail;
		const char *buf = g_buffered_input_stream_peek_buffer(s->in, &avail);
		const char *nl = memchr(buf, '\n', avail);
		gssize got;

		if (nl) {
			char *line = g_strndup(buf, (gsize)(nl - buf));

			if (g_input_stream_skip(G_INPUT_STREAM(s->in), (gsize)(nl - buf) + 1, NULL,
						error) < 0) {
				g_free(line);
				return NULL;
			}
			return line;
		}
		if (avail >= MAX_REPLY_LINE) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
				    "a reply line longer than %d bytes", MAX_REPLY_LINE);
			return NULL;
		}
		got = g_buffered_input_stream_fill(s->in, -1, NULL, error);
		if (got < 0)
			return NULL;
		if (got == 0) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_CLOSED, "connection closed");
			return NULL;
		}
	}
}

/* Read one reply (its lines, "250-..." then "250 ..."); the code, or -1 on I/O failure. */
static int
read_reply(poc_smtp *s, char **text)
{
	GError *err = NULL;
	int code = -1;

	*text = NULL;
	for (int n = 0; n < MAX_REPLY_LINES; n++) {
		char *line = read_line(s, &err);
		size_t len;

		if (!line) {
			*text = g_strdup(err ? err->message : "connection closed");
			g_clear_error(&err);
			return -1;
		}
		len = strlen(line);
		if (len && line[len - 1] == '\r')
			line[--len] = '\0';
		if (len < 3 || !g_ascii_isdigit(line[0]) || !g_ascii_isdigit(line[1]) ||
		    !g_ascii_isdigit(line[2]) || (len > 3 && line[3] != ' ' && line[3] != '-')) {
			*text = g_strdup_printf("not an SMTP reply: \"%.60s\"", line);
			g_free(line);
			return -1;
		}
		code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
		if (len <= 3 || line[3] == ' ') {
			*text = g_strndup(line, 200);
			g_free(line);
			return code;
		}
		g_free(line);
	}
	*text = g_strdup("reply too long");
	return -1;
}

static gboolean
write_all(poc_smtp *s, const void *data, gsize len, char **diagnostic)
{
	GError *err = NULL;

	if (!g_output_stream_write_all(s->out, data, len, NULL, NULL, &err)) {
		*diagnostic = g_strdup_printf("writing to the MTA: %s", err->message);
		g_error_free(err);
		return FALSE;
	}
	return TRUE;
}

/* Send a command, read its reply; POC_OK when the code is the one wanted (200: any 2xx). */
static int
command(poc_smtp *s, const char *cmd, int want, char **diagnostic)
{
	char *line = g_strdup_printf("%s\r\n", cmd), *reply = NULL;
	int code, status;
	gboolean ok = write_all(s, line, strlen(line), diagnostic);

	g_free(line);
	if (!ok)
		return POC_ERR_TEMP;
	code = read_reply(s, &reply);
	if (code == want || (want == 200 && code >= 200 && code < 300)) {
		status = POC_OK;
	} else {
		*diagnostic = g_strdup_printf("%.40s: %s", cmd, reply);
		status = code >= 500 && code < 600 ? POC_ERR_SEND : POC_ERR_TEMP;
	}
	g_free(reply);
	return status;
}

char *
poc_smtp_check_address(const char *hostport)
{
	GError *err = NULL;
	GSocketConnectable *a = g_network_address_parse(hostport, 25, &err);

	if (!a) {
		char *why = g_strdup_printf("\"%s\" is not HOST:PORT (%s)", hostport, err->message);

		g_error_free(err);
		return why;
	}
	g_object_unref(a);
	return NULL;
}

int
poc_smtp_open(const char *hostport, guint timeout, poc_smtp **out, char **diagnostic)
{
	GSocketClient *client = g_socket_client_new();
	GError *err = NULL;
	poc_smtp *s;
	char *reply = NULL, *host;
	int code, status;

	*out = NULL;
	*diagnostic = NULL;
	g_socket_client_set_timeout(client, timeout ? timeout : 120);
	s = g_new0(poc_smtp, 1);
	s->conn = g_socket_client_connect_to_host(client, hostport, 25, NULL, &err);
	g_object_unref(client);
	if (!s->conn) {
		*diagnostic = g_strdup_printf("connecting to %s: %s", hostport, err->message);
		g_error_free(err);
		g_free(s);
		return POC_ERR_TEMP;
	}
	s->in = G_BUFFERED_INPUT_STREAM(g_buffered_input_stream_new_sized(
		g_io_stream_get_input_stream(G_IO_STREAM(s->conn)), 2 * MAX_REPLY_LINE));
	s->out = g_io_stream_get_output_stream(G_IO_STREAM(s->conn));
	code = read_reply(s, &reply);
	if (code != 220) {
		*diagnostic = g_strdup_printf("greeting of %s: %s", hostport, reply);
		g_free(reply);
		status = code >= 500 && code < 600 ? POC_ERR_SEND : POC_ERR_TEMP;
		poc_smtp_close(s);
		return status;
	}
	g_free(reply);
	host = g_strdup_printf("EHLO %s", g_get_host_name());
	status = command(s, host, 200, diagnostic);
	if (status == POC_ERR_SEND) {
		g_clear_pointer(diagnostic, g_free);
		host[0] = 'H';	/* an MTA without ESMTP */
		status = command(s, host, 200, diagnostic);
	}
	g_free(host);
	if (status != POC_OK) {
		poc_smtp_close(s);
		return status;
	}
	*out = s;
	return POC_OK;
}

/* The message with CRLF line ends and dot-stuffing, and the final dot. */
static GString *
data_text(GBytes *payload)
{
	gsize len;
	const char *p = g_bytes_get_data(payload, &len), *end = p + len;
	GString *d = g_string_sized_new(len + len / 32 + 8);

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *stop = nl ? nl : end;
		gsize n = (gsize)(stop - p);

		if (n && stop[-1] == '\r')
			n--;
		if (*p == '.')
			g_string_append_c(d, '.');
		g_string_append_len(d, p, (gssize)n);
		g_string_append(d, "\r\n");
		p = nl ? nl + 1 : end;
	}
	g_string_append(d, ".\r\n");
	return d;
}

int
poc_smtp_send(poc_smtp *s, const char *from, const char *rcpt, GBytes *payload,
	      char **diagnostic)
{
	char *cmd, *reply = NULL;
	GString *data;
	int status, code;

	*diagnostic = NULL;
	if (strpbrk(from, "<>\r\n") || strpbrk(rcpt, "<>\r\n")) {
		*diagnostic = g_strdup("an address with <, > or a line break");
		return POC_ERR_SEND;
	}
	/* After a message accepted, the next transaction starts at MAIL. */
	cmd = g_strdup_printf("MAIL FROM:<%s>", from);
	status = command(s, cmd, 200, diagnostic);
	g_free(cmd);
	if (status != POC_OK)
		return status;
	cmd = g_strdup_printf("RCPT TO:<%s>", rcpt);
	status = command(s, cmd, 200, diagnostic);	/* 250, or 251 (will forward) */
	g_free(cmd);
	if (status != POC_OK)
		return status;
	if ((status = command(s, "DATA", 354, diagnostic)) != POC_OK)
		return status;
	data = data_text(payload);
	if (!write_all(s, data->str, data->len, diagnostic)) {
		g_string_free(data, TRUE);
		return POC_ERR_TEMP;
	}
	g_string_free(data, TRUE);
	code = read_reply(s, &reply);
	if (code == 250) {
		status = POC_OK;
	} else {
		*diagnostic = g_strdup_printf("end of data: %s", reply);
		status = code >= 500 && code < 600 ? POC_ERR_SEND : POC_ERR_TEMP;
	}
	g_free(reply);
	return status;
}

void
poc_smtp_close(poc_smtp *s)
{
	if (!s)
		return;
	if (s->out && !g_output_stream_is_closed(s->out)) {
		char *diag = NULL, *reply = NULL;

		if (write_all(s, "QUIT\r\n", 6, &diag))
			g_free((read_reply(s, &reply), reply));
		g_free(diag);
	}
	if (s->in)
		g_object_unref(s->in);
	if (s->conn) {
		g_io_stream_close(G_IO_STREAM(s->conn), NULL, NULL);
		g_object_unref(s->conn);
	}
	g_free(s);
}
