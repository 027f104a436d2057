/* cmocka fixtures for a fleet test binary: one fleet (harness.h), started
 * before the first test and stopped after the last; between tests Redis is
 * brought back (resumed, restarted) and every gate closed. The last test
 * (FL_LAST) stops the workers and fails unless each exited 0 — no
 * sanitizer or valgrind report, nothing leaked — and no output of one
 * shows a secret: a failing group teardown would not fail the run. */
#ifndef TG_TEST_FLEET_FIXTURE_H
#define TG_TEST_FLEET_FIXTURE_H

#include "harness.h"

extern fl_fleet fleet;
/* How many workers fl_group_setup starts; set it before running. */
extern int fl_workers;

int fl_group_setup(void **state);
int fl_group_teardown(void **state);
int fl_each_teardown(void **state);
void fl_workers_exit_clean(void **state);

#define FL_TEST(fn) cmocka_unit_test_teardown(fn, fl_each_teardown)
#define FL_LAST cmocka_unit_test(fl_workers_exit_clean)

#endif
