/*
 * NAME
 *	statement.h - the vendor statement (ベンダー声明) to the coordinator
 * DESCRIPTION
 *	About a week before publication the coordinator asks for the
 *	vendor's status and statement (GUIDELINE.md, Timelines). The
 *	statement is rendered from the template "statement" (TemplateDir/
 *	LANG/statement.tmpl) with the case's tracking and vulnerability
 *	numbers, the company name, the status in the guideline's words and
 *	the information provided, then signed and encrypted exactly like an
 *	acknowledgement (poc_reply_compose) and queued in the same outbox
 *	as an entry of kind "statement".
 */
#ifndef POC_STATEMENT_H
#define POC_STATEMENT_H

#include "ack.h"

G_BEGIN_DECLS

typedef enum poc_vendor_status {
	POC_VENDOR_AFFECTED = 0,		/* 該当製品あり */
	POC_VENDOR_NOT_AFFECTED,		/* 該当製品なし */
	POC_VENDOR_AFFECTED_INVESTIGATING,	/* 該当製品あり：調査中 */
	POC_VENDOR_NONE_INVESTIGATING		/* 該当製品なし：調査中 */
} poc_vendor_status;

/* "affected", "not-affected", "affected-investigating", "none-investigating" */
const char *poc_vendor_status_name(poc_vendor_status);
int poc_vendor_status_parse(const char *);
/* The guideline's words: "該当製品あり", ... */
const char *poc_vendor_status_label(poc_vendor_status);

typedef struct poc_statement {
	poc_vendor_status status;
	const char *url;	/* or NULL */
	const char *text;	/* the information provided, or NULL */
} poc_statement;

#define POC_STATEMENT_TEMPLATE "statement"

/*
 * The coordinator's message a statement answers: the latest publication
 * notice from a coordinator, else the latest message from one; NULL if
 * none. messages: the case's, in order.
 */
const poc_message *poc_statement_request(GPtrArray *messages);

/* Subject and body (UTF-8, new strings) of the statement answering request. */
int poc_statement_render(const poc_config *cfg, const poc_templates *t, const poc_case *c,
			 const poc_message *request, const poc_statement *st, gint64 now,
			 char **subject, char **body, GError **error);

/*
 * The whole mail as a queued outbox entry of kind statement (give it to
 * poc_store_statement_add). Errors: POC_ERR_NOTFOUND (no template, no
 * coordinator message to answer, no key), POC_ERR_CRYPTO.
 */
int poc_statement_compose(const poc_config *cfg, const poc_templates *t, poc_crypto *crypto,
			  const poc_case *c, GPtrArray *messages, const poc_statement *st,
			  gint64 now, poc_outbox_entry **out, GError **error);

G_END_DECLS

#endif
