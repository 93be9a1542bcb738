/*
 * NAME
 *	read_notice - print what poc_notice_read() makes of mail files
 * SYNOPSIS
 *	read_notice [-g gnupghome] [-t fpr]... [-c coordinator]... [-o own]...
 *		[-e envelope-from] [-s max-size] [-d max-depth] [-p max-parts]
 *		[-r received] file...
 * DESCRIPTION
 *	For each file, "key: value" lines (the fields of notice.h) and a
 *	blank line; lists are comma-separated, absent values "null". The
 *	corpus test compares these with tests/corpus/src/NN-name.expect.
 *	An envelope sender of "-" means unknown (NULL). -r gives the time
 *	of receipt (RFC 3339; default now), against which dates without a
 *	year are read. "kind_rule" names the rule that decided the kind;
 *	"ack" is the decision of poc_ack_decide() under the default
 *	configuration (AckMode auto, AckKinds summary..schedule): the
 *	ack_state, and " - " and the note when held.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ack.h"
#include "notice.h"

static void
print_list(const char *key, GPtrArray *a)
{
	printf("%s: ", key);
	for (guint i = 0; a && i < a->len; i++)
		printf("%s%s", i ? "," : "", (char *) g_ptr_array_index(a, i));
	printf("\n");
}

int
main(int argc, char **argv)
{
	GPtrArray *trusted = g_ptr_array_new(), *coords = g_ptr_array_new(), *own = g_ptr_array_new();
	poc_reader reader = { 0 };
	const char *home = NULL, *envfrom = "vuls@jpcert.or.jp";
	gint64 received = 0;
	poc_config *cfg = poc_config_new();
	int opt, failed = 0;
	GError *error = NULL;

	while ((opt = getopt(argc, argv, "g:t:c:o:e:s:d:p:r:")) != -1) {
		switch (opt) {
		case 'g': home = optarg; break;
		case 't': g_ptr_array_add(trusted, optarg); break;
		case 'c': g_ptr_array_add(coords, optarg); break;
		case 'o': g_ptr_array_add(own, optarg); break;
		case 'e': envfrom = optarg; break;
		case 's': reader.max_size = g_ascii_strtoull(optarg, NULL, 10); break;
		case 'd': reader.max_depth = atoi(optarg); break;
		case 'p': reader.max_parts = atoi(optarg); break;
		case 'r': {
			GDateTime *dt = g_date_time_new_from_iso8601(optarg, NULL);

			if (!dt) {
				fprintf(stderr, "read_notice: -r %s: not an RFC 3339 time\n", optarg);
				return 2;
			}
			received = g_date_time_to_unix(dt);
			g_date_time_unref(dt);
			break;
		}
		default:
			fprintf(stderr, "usage: read_notice [-g home] [-t fpr] [-c addr] file...\n");
			return 2;
		}
	}
	g_ptr_array_add(trusted, NULL);
	g_ptr_array_add(coords, NULL);
	g_ptr_array_add(own, NULL);
	reader.coordinator_keys = (const char *const *) trusted->pdata;
	reader.coordinators = (const char *const *) coords->pdata;
	reader.own_addresses = (const char *const *) own->pdata;
	poc_notice_init();
	if (home && poc_crypto_new(home, &reader.crypto, &error) != POC_OK) {
		fprintf(stderr, "read_notice: %s\n", error->message);
		return 1;
	}
	for (int i = optind; i < argc; i++) {
		char *raw = NULL, when[POC_TIME_BUFSIZE];
		gsize len = 0;
		poc_message *msg;

		if (!g_file_get_contents(argv[i], &raw, &len, &error)) {
			fprintf(stderr, "read_notice: %s\n", error->message);
			g_clear_error(&error);
			failed = 1;
			continue;
		}
		msg = poc_message_new();
		msg->envelope_from = g_strcmp0(envfrom, "-") ? g_strdup(envfrom) : NULL;
		msg->received_at = received;
		if (poc_notice_read(&reader, raw, len, msg, &error) != POC_OK) {
			fprintf(stderr, "read_notice: %s: %s\n", argv[i], error->message);
			g_clear_error(&error);
			failed = 1;
		}
		printf("file: %s\n", argv[i]);
		printf("message_id: %s\n", msg->message_id ? msg->message_id : "null");
		printf("from: %s\n", msg->from ? msg->from : "null");
		printf("subject: %s\n", msg->subject ? msg->subject : "null");
		printf("date: %s\n", msg->date ? msg->date : "null");
		printf("in_reply_to: %s\n", msg->in_reply_to ? msg->in_reply_to : "null");
		printf("tracking: %s\n", msg->tracking ? msg->tracking : "null");
		print_list("related_tracking", msg->related_tracking);
		print_list("vuln_ids", msg->vuln_ids);
		printf("kind: %s\n", poc_kind_name(msg->kind));
		printf("kind_rule: %s\n", msg->kind_rule ? msg->kind_rule : "null");
		printf("encrypted: %s\n", msg->encrypted ? "yes" : "no");
		printf("decryption: %s\n", poc_decryption_name(msg->decryption));
		printf("signature: %s\n", poc_signature_name(msg->signature));
		printf("signer: %s\n", msg->signer ? msg->signer : "null");
		printf("signature_covers: %s\n", poc_sig_covers_name(msg->signature_covers));
		printf("publication_date: %s\n",
		       msg->publication_date ? poc_time_format(msg->publication_date, when) : "null");
		printf("auto_submitted: %s\n", msg->auto_submitted ? "yes" : "no");
		printf("from_coordinator: %s\n", msg->from_coordinator ? "yes" : "no");
		printf("problems: %u\n", msg->problems ? msg->problems->len : 0);
		{
			/* the decision on a copy: the problems above are the reader's own */
			poc_ack_decide(cfg, msg);
			printf("ack: %s%s%s\n", poc_ack_state_name(msg->ack_state),
			       msg->ack_note ? " - " : "", msg->ack_note ? msg->ack_note : "");
		}
		for (guint j = 0; msg->problems && j < msg->problems->len; j++)
			printf("problem: %s\n", (char *) g_ptr_array_index(msg->problems, j));
		printf("\n");
		fflush(stdout);
		poc_message_free(msg);
		g_free(raw);
	}
	poc_config_free(cfg);
	poc_crypto_free(reader.crypto);
	g_ptr_array_free(trusted, TRUE);
	g_ptr_array_free(coords, TRUE);
	g_ptr_array_free(own, TRUE);
	return failed;
}
