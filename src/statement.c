/*
 * NAME
 *	statement.c - composing the vendor statement (ベンダー声明)
 * SYNOPSIS
 *	#include "statement.h"
 *
 *	int poc_statement_compose(const poc_config *cfg,
 *		const poc_templates *t, poc_crypto *crypto, const poc_case *c,
 *		GPtrArray *messages, const poc_statement *st, gint64 now,
 *		poc_outbox_entry **out, GError **error);
 * DESCRIPTION
 *	The guideline's form (5.3.1): tracking number, vulnerability
 *	numbers, company name, status (該当製品あり / 該当製品なし /
 *	該当製品あり：調査中 / 該当製品なし：調査中) and the information
 *	provided; the template decides the layout. It answers the
 *	coordinator's publication notice (In-Reply-To), to its From, and is
 *	encrypted to the key that signed it (or AckEncryptTo), through
 *	ack.c's poc_reply_compose: one composing path for every reply.
 *
 *	A statement is a person's answer, so it has no Auto-Submitted
 *	header; it names its case in X-POC-Statement.
 * SECURITY
 *	The rendered text exists in memory only, until it is encrypted.
 */
#include "config.h"

#include <string.h>

#include "statement.h"

static const struct {
	const char *name, *label;
} statuses[] = {
	[POC_VENDOR_AFFECTED] = { "affected", "該当製品あり" },
	[POC_VENDOR_NOT_AFFECTED] = { "not-affected", "該当製品なし" },
	[POC_VENDOR_AFFECTED_INVESTIGATING] = { "affected-investigating", "該当製品あり：調査中" },
	[POC_VENDOR_NONE_INVESTIGATING] = { "none-investigating", "該当製品なし：調査中" },
};

const char *
poc_vendor_status_name(poc_vendor_status s)
{
	return (unsigned)s < G_N_ELEMENTS(statuses) ? statuses[s].name : "?";
}

const char *
poc_vendor_status_label(poc_vendor_status s)
{
	return (unsigned)s < G_N_ELEMENTS(statuses) ? statuses[s].label : "?";
}

int
poc_vendor_status_parse(const char *s)
{
	for (size_t i = 0; s && i < G_N_ELEMENTS(statuses); i++)
		if (strcmp(s, statuses[i].name) == 0)
			return (int)i;
	return -1;
}

const poc_message *
poc_statement_request(GPtrArray *messages)
{
	const poc_message *any = NULL;

	for (guint i = messages ? messages->len : 0; i-- > 0;) {
		const poc_message *m = g_ptr_array_index(messages, i);

		if (!m->from_coordinator)
			continue;
		if (m->kind == POC_KIND_PUBLICATION)
			return m;
		if (!any)
			any = m;
	}
	return any;
}

static char *
case_numbers(const poc_case *c)
{
	GPtrArray *all = g_ptr_array_new();
	char *s;

	for (guint i = 0; c->vuln_ids && i < c->vuln_ids->len; i++)
		g_ptr_array_add(all, g_ptr_array_index(c->vuln_ids, i));
	for (guint i = 0; c->cve_ids && i < c->cve_ids->len; i++)
		g_ptr_array_add(all, g_ptr_array_index(c->cve_ids, i));
	g_ptr_array_add(all, NULL);
	s = g_strjoinv(", ", (char **)all->pdata);
	g_ptr_array_free(all, TRUE);
	return s;
}

int
poc_statement_render(const poc_config *cfg, const poc_templates *t, const poc_case *c,
		     const poc_message *request, const poc_statement *st, gint64 now,
		     char **subject, char **body, GError **error)
{
	const char *tmpl = t ? poc_templates_get(t, POC_STATEMENT_TEMPLATE) : NULL;
	const char *tracking = c->tracking ? c->tracking : c->id;
	GHashTable *vars;
	poc_message empty = { 0 };
	char date[POC_TIME_BUFSIZE];

	*subject = *body = NULL;
	if (!tmpl) {
		g_set_error(error, POC_ERROR, POC_ERR_NOTFOUND,
			    "no template \"" POC_STATEMENT_TEMPLATE "\" (%s/%s/statement.tmpl)",
			    cfg->template_dir, cfg->template_lang);
		return POC_ERR_NOTFOUND;
	}
	if (poc_vendor_status_name(st->status)[0] == '?') {
		g_set_error(error, POC_ERROR, POC_ERR_INVAL, "unknown statement status");
		return POC_ERR_INVAL;
	}
	vars = poc_ack_vars(cfg, request ? request : &empty, now);
	g_hash_table_replace(vars, "tracking", g_strdup(tracking));
	g_hash_table_replace(vars, "case_id", g_strdup(c->id));
	g_hash_table_replace(vars, "vuln_ids", case_numbers(c));
	g_hash_table_replace(vars, "status", g_strdup(poc_vendor_status_label(st->status)));
	g_hash_table_replace(vars, "url", poc_header_sanitise(st->url ? st->url : "", 2000));
	g_hash_table_replace(vars, "text",
			     poc_text_sanitise(st->text, 20000, POC_SANITISE_LINES));
	g_hash_table_replace(vars, "publication_date",
			     c->publication_date ? g_strndup(poc_time_format(c->publication_date,
									     date), 10)
						 : g_strdup(""));
	*body = poc_template_render(tmpl, vars);
	g_hash_table_destroy(vars);

	/* The reply's subject, with the tracking number in it whatever the request's was. */
	if (request && request->subject && strstr(request->subject, tracking)) {
		*subject = poc_reply_subject(request->subject);
	} else {
		char *s = g_strdup_printf("[%s] ベンダー声明 / vendor statement", tracking);

		*subject = request ? poc_reply_subject(s) : g_strdup(s);
		g_free(s);
	}
	return POC_OK;
}

int
poc_statement_compose(const poc_config *cfg, const poc_templates *t, poc_crypto *crypto,
		      const poc_case *c, GPtrArray *messages, const poc_statement *st, gint64 now,
		      poc_outbox_entry **out, GError **error)
{
	const poc_message *request = poc_statement_request(messages);
	char *subject = NULL, *body = NULL;
	poc_reply r = { 0 };
	int status;

	*out = NULL;
	if (!request) {
		g_set_error(error, POC_ERROR, POC_ERR_NOTFOUND,
			    "case %s has no message from a coordinator to answer", c->id);
		return POC_ERR_NOTFOUND;
	}
	status = poc_statement_render(cfg, t, c, request, st, now, &subject, &body, error);
	if (status != POC_OK)
		return status;
	r.to = request->from;
	r.subject = subject;
	r.body = body;
	r.in_reply_to = request->message_id;
	r.case_id = c->id;
	r.case_header = "X-POC-Statement";
	r.message_id = request->message_id;
	r.template_name = POC_STATEMENT_TEMPLATE;
	r.auto_replied = FALSE;
	status = poc_reply_compose(cfg, crypto, &r, now, out, error);
	if (status == POC_OK)
		(*out)->kind = POC_OUTBOX_STATEMENT;
	/* our own text, but about an unpublished vulnerability: do not leave it around */
	if (body)
		memset(body, 0, strlen(body));
	g_free(body);
	g_free(subject);
	return status;
}
