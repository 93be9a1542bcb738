/*
 * NAME
 *	runtime.c - open and close what a process shares; swap a reloaded
 *	configuration in
 * SYNOPSIS
 *	#include "runtime.h"
 *
 *	int poc_runtime_open(const char *path, unsigned flags,
 *			     poc_runtime **out, GError **error);
 *	void poc_runtime_close(poc_runtime *rt);
 *	void poc_runtime_swap_config(poc_runtime *rt, poc_runtime *fresh);
 * DESCRIPTION
 *	Opening loads the configuration (or the defaults), builds the
 *	calendar (business hours, closures, working days, holiday file),
 *	loads the kind rules, the templates when acknowledgements are on,
 *	and opens the store; the first failure closes what was opened and is
 *	returned.
 * DIAGNOSTICS
 *	The error of the part that failed (config file and line, template,
 *	holiday file, store).
 */
#include "config.h"

#include "runtime.h"

int
poc_calendar_from_config(const poc_config *cfg, poc_calendar **out, GError **error)
{
	poc_calendar *cal = poc_calendar_new();
	int start, end, status = POC_OK;

	*out = NULL;
	if (cfg->business_hours &&
	    poc_calendar_parse_business_hours(cfg->business_hours, &start, &end) == POC_OK)
		poc_calendar_set_business_hours(cal, start, end);
	if ((status = poc_calendar_set_closures(cal, cfg->closures ? cfg->closures : "", error)) ||
	    (cfg->working_days &&
	     (status = poc_calendar_set_working_days(cal, cfg->working_days, error))) ||
	    (cfg->holiday_file &&
	     (status = poc_calendar_load_holiday_file(cal, cfg->holiday_file, error)))) {
		poc_calendar_free(cal);
		return status;
	}
	*out = cal;
	return POC_OK;
}

int
poc_runtime_open(const char *path, unsigned flags, poc_runtime **out, GError **error)
{
	poc_runtime *rt = g_new0(poc_runtime, 1);
	int status;

	*out = NULL;
	if (path)
		status = poc_config_load(path, &rt->cfg, error);
	else
		rt->cfg = poc_config_new(), status = POC_OK;
	if (status != POC_OK)
		goto fail;
	if ((status = poc_calendar_from_config(rt->cfg, &rt->cal, error)) != POC_OK)
		goto fail;
	rt->rules = poc_kind_rules_default();
	if (rt->cfg->kind_rules &&
	    (status = poc_kind_rules_load(rt->rules, rt->cfg->kind_rules, error)) != POC_OK)
		goto fail;
	if (!(flags & POC_RUNTIME_NO_TEMPLATES) && rt->cfg->ack_mode != POC_ACK_MODE_OFF &&
	    (status = poc_templates_load(rt->cfg->template_dir, rt->cfg->template_lang,
					 &rt->templates, error)) != POC_OK)
		goto fail;
	if (!(flags & POC_RUNTIME_NO_STORE) &&
	    (status = poc_store_open(rt->cfg->database,
				     (flags & POC_RUNTIME_STORE_RDONLY) ? POC_STORE_RDONLY : 0,
				     &rt->store, error)) != POC_OK)
		goto fail;
	*out = rt;
	return POC_OK;
fail:
	poc_runtime_close(rt);
	return status;
}

void
poc_runtime_close(poc_runtime *rt)
{
	if (!rt)
		return;
	if (rt->store)
		poc_store_close(rt->store);
	poc_templates_free(rt->templates);
	if (rt->rules)
		poc_kind_rules_free(rt->rules);
	if (rt->cal)
		poc_calendar_free(rt->cal);
	poc_config_free(rt->cfg);
	g_free(rt);
}

void
poc_runtime_swap_config(poc_runtime *rt, poc_runtime *fresh)
{
	poc_runtime old = *rt;

	rt->cfg = fresh->cfg;
	rt->cal = fresh->cal;
	rt->templates = fresh->templates;
	rt->rules = fresh->rules;
	fresh->cfg = old.cfg;
	fresh->cal = old.cal;
	fresh->templates = old.templates;
	fresh->rules = old.rules;
}
