/*
 * The README's Python example (examples/serve_check.py, standard library
 * only) against a live `toolgate serve`, run by Debian's /usr/bin/python3:
 * an allowed call runs, a blocked one prints the reason and the link.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

#define PYTHON "/usr/bin/python3"
#define SCRIPT TG_EXAMPLES_DIR "/serve_check.py"
#define LINK "https://connect.example.com/authorize?connection=gmail&identifier=user_456"

static void test_python_example(void **state)
{
    char dir[64], env[256];
    sv_server s;
    sv_run r;
    (void)state;

    assert_int_equal(sv_tmpdir(dir, sizeof dir), 0);
    assert_int_equal(
        sv_write(dir, "toolgate.json",
                 "{\"provider\":{\"type\":\"file\",\"path\":\"accounts.json\"},"
                 "\"tools\":{\"map\":{\"gmail_send_email\":\"gmail\"}}}",
                 NULL),
        0);
    assert_int_equal(
        sv_write(dir, "accounts.json",
                 "{\"link_base\":\"https://connect.example.com/authorize\",\"accounts\":["
                 "{\"connection\":\"gmail\",\"identifier\":\"user_123\",\"status\":\"ACTIVE\"},"
                 "{\"connection\":\"gmail\",\"identifier\":\"user_456\",\"status\":\"EXPIRED\"}]}",
                 NULL),
        0);
    assert_int_equal(sv_start(&s, dir, SV_ARGS("serve", "--listen", "127.0.0.1:0"), NULL), 0);
    snprintf(env, sizeof env, "TOOLGATE_SERVER=%s", s.url);

    assert_int_equal(sv_program(dir, PYTHON, SV_ARGS(SCRIPT, "gmail_send_email", "user_123"),
                                SV_ARGS(env), &r),
                     0);
    if (r.code != 0)
        fail_msg("%s exited %d: %s", PYTHON, r.code, r.err);
    assert_string_equal(r.out, "run the tool\n");
    sv_run_free(&r);

    assert_int_equal(sv_program(dir, PYTHON, SV_ARGS(SCRIPT, "gmail_send_email", "user_456"),
                                SV_ARGS(env), &r),
                     0);
    assert_int_equal(r.code, 0);
    assert_string_equal(r.out, "blocked: gmail account of user_456 is EXPIRED: the user must "
                               "authorize again " LINK "\n");
    sv_run_free(&r);

    assert_int_equal(sv_stop(&s), 0);
    sv_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_python_example),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
