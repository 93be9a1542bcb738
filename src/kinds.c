/*
 * NAME
 *	kinds.c - the kind of a notice, from a table of rules
 * SYNOPSIS
 *	#include "text.h"
 *
 *	poc_kind_rules *poc_kind_rules_default(void);
 *	int poc_kind_rules_load(poc_kind_rules *rules, const char *path,
 *				GError **error);
 *	char *poc_kind_rules_describe(const poc_kind_rules *rules);
 *	void poc_kind_rules_free(poc_kind_rules *rules);
 *	poc_kind poc_kind_classify(const poc_kind_rules *rules,
 *				   gboolean from_coordinator,
 *				   const char *subject, const char *body);
 *	poc_kind poc_kind_classify_rule(const poc_kind_rules *rules,
 *				   gboolean from_coordinator,
 *				   const char *subject, const char *body,
 *				   char **rule);
 * DESCRIPTION
 *	A rule is one line "KIND FIELD ROLE [PATTERN]" (doc/KINDS.md):
 *	KIND a poc_kind name, FIELD subject|body|any, ROLE coordinator|
 *	non-coordinator|any, PATTERN a case-insensitive regular expression
 *	(keywords separated by '|') in which a space matches any run of
 *	white space; no PATTERN matches every message. The first rule that
 *	matches gives the kind; no rule, "other". poc_kind_classify_rule()
 *	also says which rule decided: "FILE:LINE" for a site rule,
 *	"built-in N" for row N of the built-in table (doc/KINDS.md), "no
 *	rule matched" for other (a new string).
 *
 *	The built-in rules below are written in that same syntax and read
 *	by the same parser as a site's file, so what doc/KINDS.md shows is
 *	what runs (a unit test checks the document against
 *	poc_kind_rules_describe()). Their order is the design:
 *	- a sender who is not a coordinator is a direct report (5.1.2),
 *	  whatever the words;
 *	- the subject decides before the body: JPCERT/CC puts the kind in
 *	  the subject ("【詳細情報】..."), while a body cites earlier steps
 *	  ("先日の概要情報に続き...");
 *	- within a field, the most specific first: a schedule change, then
 *	  the publication draft / status request, then detail, then
 *	  summary (a detail notice names the summary it follows, not the
 *	  reverse), then (subject only) the bare name of the schedule
 *	  (公表日程, publication schedule); in the body, a
 *	  summary's question "詳細情報が必要ですか" / "Do you need the
 *	  detailed information?" comes before the detail words.
 *	Text is compared after NFKC normalisation, so full-width letters and
 *	half-width katakana (ﾍﾞﾝﾀﾞｰ) match the patterns. Only the first
 *	POC_KIND_BODY_MAX bytes of the body are looked at.
 * DIAGNOSTICS
 *	poc_kind_rules_load() returns POC_ERR_IO when the file cannot be
 *	read, POC_ERR_CONFIG for a bad line; the GError (domain POC_ERROR,
 *	same code) names the file and the line. The rules are unchanged on
 *	error.
 * SECURITY
 *	Never logs the subject or the body.
 */
#include "config.h"

#include <string.h>

#include "text.h"

#define POC_KIND_BODY_MAX (64 * 1024)

typedef enum rule_field { FIELD_SUBJECT, FIELD_BODY, FIELD_ANY } rule_field;
typedef enum rule_role { ROLE_ANY, ROLE_COORDINATOR, ROLE_NON_COORDINATOR } rule_role;

static const char *const field_names[] = { "subject", "body", "any" };
static const char *const role_names[] = { "any", "coordinator", "non-coordinator" };

typedef struct kind_rule {
	poc_kind kind;
	rule_field field;
	rule_role role;
	char *pattern;	/* as written; NULL: any text */
	GRegex *re;
	char *origin;	/* "FILE:LINE" or "built-in N" */
} kind_rule;

struct poc_kind_rules {
	GPtrArray *site;	/* from files, in file order, before... */
	GPtrArray *builtin;	/* ...these */
};

/*
 * The built-in table, shown as is in doc/KINDS.md, where each word is
 * traced to the guideline section that names the step. The guideline
 * says 公表 (公表日, 公表予定日, 一般公表日時...), JVN and older mail 公開:
 * both are written (公[開表]).
 */
/* A date set or changed: subject and body. */
#define SCHEDULE_DATE_WORDS \
	"(一般)?公[開表](予定)?(日時?|期日|日程|スケジュール)[のをが]?\\s*(変更|延期|決定|確定|決ま[りっ]|再?設定|前倒し|繰り?上げ|繰り?下げ)" \
	"(?!次第|しだい|[しっ]?(まし)?たら|[しっ]?た際)" \
	"|新しい(一般)?公[開表](予定)?(日時?|期日)|変更後の(一般)?公[開表](予定)?(日時?|期日)" \
	"|公[開表]の?(延期|前倒し|繰り?上げ|繰り?下げ)" \
	"|(一般)?公[開表](予定)?(日時?|期日|日程)を[^。\n]{0,60}[にへ](変更|延期|前倒し|繰り?上げ|繰り?下げ)" \
	"|(一般)?公[開表](予定)?(日時?|期日)[はが][^。\n]{0,40}[とに](なりました|決まりました|決定しました|確定しました)" \
	"|publication( date| schedule)? (has been |was |is )?(changed|set|rescheduled|moved|postponed|delayed|fixed|updated|decided)\\b" \
	"|changes? (of|in|to) (the )?publication (date|schedule)|rescheduled publication|new publication date"
/* The bare name of the date or schedule: a subject only (a summary's body
 * says "公表日程は別途調整"), and after the other subject rules (a draft's
 * or a summary's subject may name the date it is for). */
#define SCHEDULE_WORDS \
	"(一般)?公[開表](予定)?(日時?|期日|日程|スケジュール)|publication (date|schedule)"
#define PUBLICATION_WORDS \
	"公[開表]情報の?(ドラフト|確認|草案|骨格)|(脆弱性情報|公表情報)の骨格|骨格(部分)?の?(草案|案)" \
	"|公[開表]前の?確認|ベンダー?ステータス|ベンダー?声明|対応状況の?(ご)?(連絡|提供|回答|確認)" \
	"|JVN(への)?(掲載|公表)(内容|情報|予定)|ベンダー?情報の?(ご)?(提供|提出|連絡|確認)" \
	"|vendor statement|vendor status|vendor information|status request|statement request" \
	"|request for (the )?(vendor )?(status|statement)|draft (of the )?(advisory|publication)" \
	"|advisory draft|skeleton of the (advisory|publication)"
/* The step's own name in a subject: 対応状況 alone there. */
#define PUBLICATION_SUBJECT_WORDS PUBLICATION_WORDS "|対応状況"
#define DETAIL_WORDS "詳細情報|detailed information|technical details|details of the vulnerabilit"
#define DETAIL_SUBJECT_WORDS DETAIL_WORDS "|\\bdetails?\\b"
#define SUMMARY_WORDS "概要情報|製品開発者(調整|連絡)|(overview|summary) of (the )?vulnerabilit"
#define SUMMARY_SUBJECT_WORDS SUMMARY_WORDS "|概要|\\bsummary\\b|\\boverview\\b"
/* 5.1.1 (1): a summary asks whether details are needed; the question
 * names the detail, so it is tried before the detail words. */
#define SUMMARY_QUESTION_WORDS \
	"詳細情報(の送付)?[がはを]?(必要|ご?入用|ご?希望)(ですか|でしょうか|の場合|な場合|であれば)" \
	"|実装(した)?製品(が|は)(あります|ございます)か" \
	"|(do|would) you (need|like|want) (to (receive|have) )?(the |more )?detail(s|ed information)" \
	"|products? implementing"

static const char *const builtin_rules[] = {
	"direct-report any non-coordinator",
	"schedule subject any " SCHEDULE_DATE_WORDS,
	"publication subject any " PUBLICATION_SUBJECT_WORDS,
	"detail subject any " DETAIL_SUBJECT_WORDS,
	"summary subject any " SUMMARY_SUBJECT_WORDS,
	"schedule subject any " SCHEDULE_WORDS,
	"schedule body any " SCHEDULE_DATE_WORDS,
	"publication body any " PUBLICATION_WORDS,
	"summary body any " SUMMARY_QUESTION_WORDS,
	"detail body any " DETAIL_WORDS,
	"summary body any " SUMMARY_WORDS,
};

static void
rule_free(gpointer p)
{
	kind_rule *rule = p;

	if (rule->re)
		g_regex_unref(rule->re);
	g_free(rule->pattern);
	g_free(rule->origin);
	g_free(rule);
}

static int
name_index(const char *const *names, size_t n, const char *word)
{
	for (size_t i = 0; i < n; i++)
		if (g_ascii_strcasecmp(names[i], word) == 0)
			return (int)i;
	return -1;
}

/* "a b" matches "a  b" and "a\nb": a space in a pattern is \s+. */
static char *
pattern_to_regex(const char *pattern)
{
	GString *re = g_string_sized_new(strlen(pattern) + 16);

	for (const char *p = pattern; *p; p++) {
		if (*p == ' ') {
			while (p[1] == ' ')
				p++;
			g_string_append(re, "\\s+");
		} else {
			g_string_append_c(re, *p);
		}
	}
	return g_string_free(re, FALSE);
}

/* One rule line (no comment, not blank). NULL and *why set on error. */
static kind_rule *
rule_parse(const char *line, char **why)
{
	char *words[3];
	const char *p = line;
	kind_rule *rule;
	int kind, field, role;
	size_t n;

	for (int i = 0; i < 3; i++) {
		while (*p == ' ' || *p == '\t')
			p++;
		n = strcspn(p, " \t");
		if (n == 0) {
			for (int j = 0; j < i; j++)
				g_free(words[j]);
			*why = g_strdup("expected KIND FIELD ROLE [PATTERN]");
			return NULL;
		}
		words[i] = g_strndup(p, n);
		p += n;
	}
	while (*p == ' ' || *p == '\t')
		p++;
	kind = poc_kind_parse(words[0]);
	field = name_index(field_names, G_N_ELEMENTS(field_names), words[1]);
	role = name_index(role_names, G_N_ELEMENTS(role_names), words[2]);
	if (kind < 0)
		*why = g_strdup_printf("unknown kind \"%s\" (summary, detail, publication, "
				       "schedule, direct-report, other)", words[0]);
	else if (field < 0)
		*why = g_strdup_printf("unknown field \"%s\" (subject, body, any)", words[1]);
	else if (role < 0)
		*why = g_strdup_printf("unknown role \"%s\" (coordinator, non-coordinator, any)",
				       words[2]);
	for (int j = 0; j < 3; j++)
		g_free(words[j]);
	if (kind < 0 || field < 0 || role < 0)
		return NULL;

	rule = g_new0(kind_rule, 1);
	rule->kind = kind;
	rule->field = field;
	rule->role = role;
	if (*p) {
		GError *error = NULL;
		char *re_text, *nfkc;


		rule->pattern = g_strchomp(g_strdup(p));
		/* The text is compared in NFKC: so must the pattern be. */
		nfkc = g_utf8_normalize(rule->pattern, -1, G_NORMALIZE_NFKC);
		re_text = pattern_to_regex(nfkc ? nfkc : rule->pattern);
		g_free(nfkc);
		rule->re = g_regex_new(re_text, G_REGEX_CASELESS | G_REGEX_OPTIMIZE, 0, &error);
		g_free(re_text);
		if (!rule->re) {
			*why = g_strdup_printf("bad pattern: %s", error->message);
			g_error_free(error);
			rule_free(rule);
			return NULL;
		}
	}
	return rule;
}

poc_kind_rules *
poc_kind_rules_default(void)
{
	poc_kind_rules *rules = g_new0(poc_kind_rules, 1);

	rules->site = g_ptr_array_new_with_free_func(rule_free);
	rules->builtin = g_ptr_array_new_with_free_func(rule_free);
	for (size_t i = 0; i < G_N_ELEMENTS(builtin_rules); i++) {
		char *why = NULL;
		kind_rule *rule = rule_parse(builtin_rules[i], &why);

		if (!rule)
			g_error("kinds.c: built-in rule %zu: %s", i + 1, why);
		rule->origin = g_strdup_printf("built-in %zu", i + 1);
		g_ptr_array_add(rules->builtin, rule);
	}
	return rules;
}

int
poc_kind_rules_load(poc_kind_rules *rules, const char *path, GError **error)
{
	GError *local = NULL;
	GPtrArray *loaded;
	char *contents;
	char **lines;
	int status = POC_OK;

	g_return_val_if_fail(rules && path, POC_ERR_INVAL);
	if (!g_file_get_contents(path, &contents, NULL, &local)) {
		g_set_error(error, POC_ERROR, POC_ERR_IO, "%s: %s", path, local->message);
		g_error_free(local);
		return POC_ERR_IO;
	}
	if (!g_utf8_validate(contents, -1, NULL)) {
		g_set_error(error, POC_ERROR, POC_ERR_CONFIG, "%s: not UTF-8 text", path);
		g_free(contents);
		return POC_ERR_CONFIG;
	}
	loaded = g_ptr_array_new_with_free_func(rule_free);
	lines = g_strsplit(contents, "\n", -1);
	for (guint i = 0; lines[i] && status == POC_OK; i++) {
		char *line = g_strstrip(lines[i]);
		char *why = NULL;
		kind_rule *rule;

		if (*line == '\0' || *line == '#')
			continue;
		rule = rule_parse(line, &why);
		if (!rule) {
			g_set_error(error, POC_ERROR, POC_ERR_CONFIG, "%s:%u: %s", path, i + 1, why);
			g_free(why);
			status = POC_ERR_CONFIG;
			break;
		}
		rule->origin = g_strdup_printf("%s:%u", path, i + 1);
		g_ptr_array_add(loaded, rule);
	}
	if (status == POC_OK) {
		/* Move the rules over; the array keeps no free function then. */
		g_ptr_array_set_free_func(loaded, NULL);
		for (guint i = 0; i < loaded->len; i++)
			g_ptr_array_add(rules->site, g_ptr_array_index(loaded, i));
	}
	g_ptr_array_unref(loaded);
	g_strfreev(lines);
	g_free(contents);
	return status;
}

void
poc_kind_rules_free(poc_kind_rules *rules)
{
	if (!rules)
		return;
	g_ptr_array_unref(rules->site);
	g_ptr_array_unref(rules->builtin);
	g_free(rules);
}

static void
describe_rules(GString *out, GPtrArray *array)
{
	for (guint i = 0; i < array->len; i++) {
		const kind_rule *rule = g_ptr_array_index(array, i);

		g_string_append_printf(out, "%s %s %s%s%s\n", poc_kind_name(rule->kind),
				       field_names[rule->field], role_names[rule->role],
				       rule->pattern ? " " : "",
				       rule->pattern ? rule->pattern : "");
	}
}

char *
poc_kind_rules_describe(const poc_kind_rules *rules)
{
	GString *out = g_string_new(NULL);

	describe_rules(out, rules->site);
	describe_rules(out, rules->builtin);
	return g_string_free(out, FALSE);
}

/* NFKC of at most max bytes of text, cut at a character boundary. */
static char *
prepare(const char *text, gsize max)
{
	gsize len;
	char *valid, *norm;

	if (!text)
		return g_strdup("");
	len = strlen(text);
	if (len > max) {
		const char *cut = g_utf8_find_prev_char(text, text + max + 1);

		len = cut ? (gsize)(cut - text) : 0;
	}
	valid = g_utf8_make_valid(text, (gssize)len);
	norm = g_utf8_normalize(valid, -1, G_NORMALIZE_NFKC);
	g_free(valid);
	return norm ? norm : g_strdup("");
}

static gboolean
rule_matches(const kind_rule *rule, gboolean from_coordinator, const char *subject,
	     const char *body)
{
	if (rule->role == ROLE_COORDINATOR && !from_coordinator)
		return FALSE;
	if (rule->role == ROLE_NON_COORDINATOR && from_coordinator)
		return FALSE;
	if (!rule->re)
		return TRUE;
	if (rule->field != FIELD_BODY && g_regex_match(rule->re, subject, 0, NULL))
		return TRUE;
	return rule->field != FIELD_SUBJECT && g_regex_match(rule->re, body, 0, NULL);
}

static const kind_rule *
first_match(GPtrArray *array, gboolean from_coordinator, const char *subject,
	    const char *body)
{
	for (guint i = 0; i < array->len; i++) {
		const kind_rule *rule = g_ptr_array_index(array, i);

		if (rule_matches(rule, from_coordinator, subject, body))
			return rule;
	}
	return NULL;
}

poc_kind
poc_kind_classify_rule(const poc_kind_rules *rules, gboolean from_coordinator,
		       const char *subject, const char *body, char **rule_out)
{
	const kind_rule *rule;
	char *subject_n, *body_n;

	if (rule_out)
		*rule_out = NULL;
	g_return_val_if_fail(rules, POC_KIND_OTHER);
	subject_n = prepare(subject, POC_KIND_BODY_MAX);
	body_n = prepare(body, POC_KIND_BODY_MAX);
	rule = first_match(rules->site, from_coordinator, subject_n, body_n);
	if (!rule)
		rule = first_match(rules->builtin, from_coordinator, subject_n, body_n);
	explicit_bzero(subject_n, strlen(subject_n));
	explicit_bzero(body_n, strlen(body_n));
	g_free(subject_n);
	g_free(body_n);
	if (rule_out)
		*rule_out = g_strdup(rule ? rule->origin : "no rule matched");
	return rule ? rule->kind : POC_KIND_OTHER;
}

poc_kind
poc_kind_classify(const poc_kind_rules *rules, gboolean from_coordinator, const char *subject,
		  const char *body)
{
	return poc_kind_classify_rule(rules, from_coordinator, subject, body, NULL);
}
