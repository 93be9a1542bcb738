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
 *	poc_config_pin *poc_runtime_pin_config(poc_runtime *rt);
 *	const poc_config *poc_config_pin_get(const poc_config_pin *pin);
 *	void poc_config_pin_release(poc_config_pin *pin);
 *	int poc_runtime_calendar(const poc_config *cfg, poc_calendar **out,
 *				 GError **error);
 * DESCRIPTION
 *	Opening loads the configuration (or the defaults), builds the
 *	calendar (business hours, closures, working days, holiday file),
 *	loads the kind rules, the templates when acknowledgements are on,
 *	and opens the store; the first failure closes what was opened and is
 *	returned.
 *
 *	The configuration becomes reference-counted at its first pin: the
 *	runtime holds one reference while it is current, each pin one more.
 *	A swap hands the runtime's reference to the runtime being closed, so
 *	the old configuration is freed by whichever lets go last: the reload,
 *	or the last connection that pinned it. A runtime never pinned frees
 *	its configuration itself.
 * DIAGNOSTICS
 *	The error of the part that failed (config file and line, template,
 *	holiday file, store).
 */
#include "config.h"

#include "runtime.h"

int
poc_runtime_calendar(const poc_config *cfg, poc_calendar **out, GError **error)
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
	if ((status = poc_runtime_calendar(rt->cfg, &rt->cal, error)) != POC_OK)
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
	if (rt->pin)
		poc_config_pin_release(rt->pin);	/* frees cfg unless still pinned */
	else
		poc_config_free(rt->cfg);
	g_free(rt);
}

/* --- pinned configurations ------------------------------------------------- */

struct poc_config_pin {
	gatomicrefcount refs;	/* the runtime's (while current), and one per pin */
	poc_config *cfg;
};

/* Guards rt->pin and rt->cfg against a pin taken while a swap runs. */
static GMutex pin_lock;

poc_config_pin *
poc_runtime_pin_config(poc_runtime *rt)
{
	poc_config_pin *pin;

	g_mutex_lock(&pin_lock);
	if (!rt->pin) {
		/* The first pin: the runtime's configuration becomes counted. */
		rt->pin = g_new0(poc_config_pin, 1);
		g_atomic_ref_count_init(&rt->pin->refs);
		rt->pin->cfg = rt->cfg;
	}
	pin = rt->pin;
	g_atomic_ref_count_inc(&pin->refs);
	g_mutex_unlock(&pin_lock);
	return pin;
}

const poc_config *
poc_config_pin_get(const poc_config_pin *pin)
{
	return pin->cfg;
}

void
poc_config_pin_release(poc_config_pin *pin)
{
	if (pin && g_atomic_ref_count_dec(&pin->refs)) {
		poc_config_free(pin->cfg);
		g_free(pin);
	}
}

void
poc_runtime_swap_config(poc_runtime *rt, poc_runtime *fresh)
{
	poc_runtime old;

	g_mutex_lock(&pin_lock);
	old = *rt;
	rt->cfg = fresh->cfg;
	rt->pin = fresh->pin;
	rt->cal = fresh->cal;
	rt->templates = fresh->templates;
	rt->rules = fresh->rules;
	fresh->cfg = old.cfg;
	fresh->pin = old.pin;	/* closing fresh drops the runtime's reference */
	fresh->cal = old.cal;
	fresh->templates = old.templates;
	fresh->rules = old.rules;
	g_mutex_unlock(&pin_lock);
}
