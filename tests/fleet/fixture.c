/* cmocka fixtures for a fleet test binary (fixture.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fixture.h"

fl_fleet fleet;
int fl_workers = 3;

int fl_group_setup(void **state)
{
    (void)state;
    return fl_start(&fleet, fl_workers);
}

int fl_group_teardown(void **state)
{
    (void)state;
    return fl_stop(&fleet);
}

int fl_each_teardown(void **state)
{
    (void)state;
    if (fleet.n == 0)
        return 0;
    if (fleet.redis.paused)
        tg_redis_resume(&fleet.redis);
    if (fleet.redis.pid <= 0 && tg_redis_restart(&fleet.redis) != 0)
        return -1;
    if (fl_close_all(&fleet) == 0)
        return 0;
    fl_stop(&fleet); /* a worker out of step: a failed test left it mid-command */
    return -1;
}

void fl_workers_exit_clean(void **state)
{
    (void)state;
    assert_int_equal(fl_stop(&fleet), 0);
}
