/*
 * NAME
 *	test_runtime - pinned configurations across a reload (runtime.c)
 * DESCRIPTION
 *	A pin keeps the configuration current when it was taken, unchanged
 *	and alive, after poc_runtime_swap_config put another in place and
 *	the old runtime was closed; a pin taken after the swap gets the new
 *	one; the last release frees the old (checked under ASan and
 *	valgrind). Two runtimes made from the defaults, told apart by
 *	AddHeader.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>

#include "runtime.h"
#include "testutil.h"

static poc_runtime *
open_defaults(gboolean add_header)
{
	poc_runtime *rt = NULL;

	ck_assert_int_eq(poc_runtime_open(NULL, POC_RUNTIME_NO_STORE | POC_RUNTIME_NO_TEMPLATES, &rt,
					  NULL),
			 POC_OK);
	rt->cfg->add_header = add_header;
	return rt;
}

START_TEST(test_pin_survives_reload)
{
	poc_runtime *rt = open_defaults(TRUE), *fresh = open_defaults(FALSE);
	poc_config_pin *before, *again, *after;

	before = poc_runtime_pin_config(rt);
	again = poc_runtime_pin_config(rt);
	ck_assert_ptr_eq(poc_config_pin_get(before), rt->cfg);
	ck_assert_ptr_eq(poc_config_pin_get(again), poc_config_pin_get(before));

	poc_runtime_swap_config(rt, fresh);
	poc_runtime_close(fresh);	/* the reload's end: the old runtime's parts go */
	ck_assert(!rt->cfg->add_header);
	/* Pinned before the swap: still the old configuration, still readable. */
	ck_assert(poc_config_pin_get(before)->add_header);
	poc_config_pin_release(again);
	ck_assert(poc_config_pin_get(before)->add_header);
	/* Pinned after: the new one. */
	after = poc_runtime_pin_config(rt);
	ck_assert_ptr_eq(poc_config_pin_get(after), rt->cfg);
	ck_assert(!poc_config_pin_get(after)->add_header);
	poc_config_pin_release(before);	/* the last of the old: freed */

	/* A pin outliving the runtime keeps its configuration. */
	poc_runtime_close(rt);
	ck_assert(!poc_config_pin_get(after)->add_header);
	poc_config_pin_release(after);
	poc_config_pin_release(NULL);
}
END_TEST

START_TEST(test_swap_unpinned)
{
	poc_runtime *rt = open_defaults(TRUE), *fresh = open_defaults(FALSE);

	/* Never pinned: the swap and the closes free each configuration once. */
	poc_runtime_swap_config(rt, fresh);
	ck_assert(!rt->cfg->add_header);
	ck_assert(fresh->cfg->add_header);
	ck_assert_ptr_null(rt->pin);
	poc_runtime_close(fresh);
	poc_runtime_close(rt);
}
END_TEST

static Suite *
runtime_suite(void)
{
	Suite *s = suite_create("runtime");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_pin_survives_reload);
	tcase_add_test(tc, test_swap_unpinned);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return run_suite(runtime_suite(), CK_FORK_GETENV);
}
