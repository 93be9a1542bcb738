/*
 * NAME
 *	runtime.h - what a process shares: configuration, calendar,
 *	templates, kind rules and the store
 * DESCRIPTION
 *	A poc_runtime holds what every part of a process shares: the
 *	config, the calendar built from it, the templates, the kind rules
 *	and the one store environment. pocmilter and pocctl both make one.
 *	A reload (pocmilter, SIGHUP) builds a fresh runtime without a store
 *	and swaps its configuration in (poc_runtime_swap_config); the store
 *	stays open.
 *
 *	A reader that must see one configuration over a span of time (a
 *	milter connection, from its start to its close) pins it
 *	(poc_runtime_pin_config): the pin is a counted reference to the
 *	configuration current then, which a reload replaces in the runtime
 *	but does not free while it is pinned. As in OpenDKIM (its
 *	configuration handle carries a reference count taken by each
 *	connection): reads need no lock, and a reload in the middle of a
 *	message cannot mix two configurations.
 */
#ifndef POC_RUNTIME_H
#define POC_RUNTIME_H

#include "ack.h"
#include "calendar.h"
#include "conf.h"
#include "store.h"
#include "text.h"

G_BEGIN_DECLS

typedef struct poc_config_pin poc_config_pin;

typedef struct poc_runtime {
	poc_config *cfg;	/* owned by pin once pinned */
	poc_config_pin *pin;	/* NULL until the first poc_runtime_pin_config */
	poc_calendar *cal;
	poc_templates *templates;	/* NULL when AckMode is off or not loaded */
	poc_kind_rules *rules;
	poc_store *store;		/* NULL when not opened */
} poc_runtime;

#define POC_RUNTIME_NO_STORE     0x1
#define POC_RUNTIME_STORE_RDONLY 0x2
#define POC_RUNTIME_NO_TEMPLATES 0x4

/* path NULL: defaults. Everything a config names is loaded and checked. */
int poc_runtime_open(const char *path, unsigned flags, poc_runtime **out, GError **error);
void poc_runtime_close(poc_runtime *rt);
/*
 * Exchange the configuration (cfg, cal, templates, rules) of rt with
 * fresh's; the store stays. Closing fresh then frees the old one. The
 * caller keeps the users of rt out meanwhile.
 */
void poc_runtime_swap_config(poc_runtime *rt, poc_runtime *fresh);
/*
 * The current configuration, pinned until poc_config_pin_release; it
 * stays valid and unchanged whatever reloads meanwhile. Thread-safe
 * against poc_runtime_swap_config and other pins.
 */
poc_config_pin *poc_runtime_pin_config(poc_runtime *rt);
const poc_config *poc_config_pin_get(const poc_config_pin *pin);
/* NULL is fine. The last release of a configuration swapped out frees it. */
void poc_config_pin_release(poc_config_pin *pin);
/* The calendar alone (pocctl calendar without a database). */
int poc_runtime_calendar(const poc_config *cfg, poc_calendar **out, GError **error);

G_END_DECLS

#endif
