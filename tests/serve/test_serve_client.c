/*
 * The command's client mode (--server URL, $TOOLGATE_SERVER) against a live
 * `toolgate serve`: check, status, link and wait print and exit exactly as
 * they do with a local gate on the same configuration — 0, 10, 11, 12 and 2
 * alike, stderr included — and a server that cannot be reached is exit 11.
 * Servers on free loopback ports or a unix socket, always stopped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dev_server.h"
#include "harness.h"

#define CONFIG                                                                               \
    "{\"provider\":{\"type\":\"file\",\"path\":\"accounts.json\"},"                           \
    "\"tools\":{\"map\":{\"gmail_send_email\":\"gmail\"},\"unmapped\":\"deny\"}}"
#define ACCOUNTS                                                                             \
    "{\"link_base\":\"https://connect.example.com/authorize\",\"accounts\":["                 \
    "{\"connection\":\"gmail\",\"identifier\":\"user_123\",\"status\":\"ACTIVE\"},"            \
    "{\"connection\":\"gmail\",\"identifier\":\"user_456\",\"status\":\"EXPIRED\"}]}"
#define TOKEN "client-test-token-0123456789"

static char dir[64];
static char config_refused[512];
static sv_server srv, down, tokened, unix_srv;

static int group_setup(void **state)
{
    char sock[128];
    (void)state;

    if (sv_setup_dir(dir, sizeof dir, CONFIG, ACCOUNTS) != 0)
        return -1;
    /* A provider nobody answers for: UNAVAILABLE, and link and wait fail. */
    snprintf(config_refused, sizeof config_refused,
             "{\"provider\":{\"type\":\"scalekit\",\"environment_url\":"
             "\"http://127.0.0.1:%d\",\"client_id\":\"a\",\"client_secret\":\"b\","
             "\"timeout_ms\":300},\"tools\":{\"map\":{\"gmail_send_email\":\"gmail\"}}}",
             tg_dev_closed_port());
    if (sv_write(dir, "refused.json", config_refused, NULL) != 0)
        return -1;
    snprintf(sock, sizeof sock, "%s/toolgate.sock", dir);
    if (sv_start(&srv, dir, SV_ARGS("serve", "--listen", "127.0.0.1:0"), NULL) != 0 ||
        sv_start(&down, dir,
                 SV_ARGS("serve", "--config", "refused.json", "--listen", "127.0.0.1:0"),
                 NULL) != 0 ||
        sv_start(&tokened, dir,
                 SV_ARGS("serve", "--listen", "127.0.0.1:0", "--api-token-env", "TG_TOKEN"),
                 SV_ARGS("TG_TOKEN=" TOKEN)) != 0 ||
        sv_start(&unix_srv, dir, SV_ARGS("serve", "--unix", sock), NULL) != 0)
        return -1;
    return 0;
}

static int group_teardown(void **state)
{
    int rc = 0;
    (void)state;
    rc |= sv_stop(&srv);
    rc |= sv_stop(&down);
    rc |= sv_stop(&tokened);
    rc |= sv_stop(&unix_srv);
    sv_rmdir(dir);
    return rc == 0 ? 0 : -1;
}

/* `toolgate CMD ARGS… --config CONFIG` and `toolgate CMD ARGS… --server URL`
 * (with @p env): the same exit code, stdout and stderr (but for times,
 * sources and retry counts: sv_normalised). Returns the exit code. */
static int both(const char *config, const sv_server *s, const char *const *env,
                const char *const *args)
{
    const char *local_args[24], *remote_args[24];
    size_t n = 0, i;
    sv_run l, r;
    char *lo, *ro, *le, *re;
    int code;

    for (i = 0; args[i]; i++, n++) {
        local_args[n] = args[i];
        remote_args[n] = args[i];
    }
    local_args[n] = "--config";
    local_args[n + 1] = config;
    local_args[n + 2] = NULL;
    remote_args[n] = "--server";
    remote_args[n + 1] = s->url;
    remote_args[n + 2] = NULL;
    assert_int_equal(sv_cli(dir, local_args, NULL, &l), 0);
    assert_int_equal(sv_cli(dir, remote_args, env, &r), 0);
    lo = sv_normalised(l.out);
    ro = sv_normalised(r.out);
    le = sv_normalised(l.err);
    re = sv_normalised(r.err);
    if (l.code != r.code || strcmp(lo, ro) != 0 || strcmp(le, re) != 0)
        fail_msg("toolgate %s ...: locally exit %d\n%s%s\nthrough %s exit %d\n%s%s", args[0],
                 l.code, l.out, l.err, s->url, r.code, r.out, r.err);
    code = l.code;
    free(lo);
    free(ro);
    free(le);
    free(re);
    sv_run_free(&l);
    sv_run_free(&r);
    return code;
}

static void test_check_exit_codes(void **state)
{
    static const char *const formats[] = { "json", "text", "mcp", "mcp-input-required",
                                           "mcp-tool-result" };
    size_t f;
    (void)state;

    for (f = 0; f < sizeof formats / sizeof formats[0]; f++) {
        assert_int_equal(both("toolgate.json", &srv, NULL,
                              SV_ARGS("check", "--tool", "gmail_send_email", "--identifier",
                                      "user_123", "--format", formats[f])),
                         0);
        assert_int_equal(both("toolgate.json", &srv, NULL,
                              SV_ARGS("check", "--tool", "gmail_send_email", "--identifier",
                                      "user_456", "--format", formats[f])),
                         10);
        assert_int_equal(both("toolgate.json", &srv, NULL,
                              SV_ARGS("check", "--tool", "calendar_add", "--identifier",
                                      "user_123", "--format", formats[f])),
                         12);
        assert_int_equal(both("refused.json", &down, NULL,
                              SV_ARGS("check", "--tool", "gmail_send_email", "--identifier",
                                      "user_123", "--format", formats[f])),
                         11);
    }
    assert_int_equal(both("toolgate.json", &srv, NULL,
                          SV_ARGS("check", "--tool", "gmail_send_email", "--identifier",
                                  "user_456", "--format", "mcp", "--request-id",
                                  "\"r\\u00e9q\"")),
                     10);
    /* Bad input: the server's 400 is the local exit 2, with the same line. */
    assert_int_equal(both("toolgate.json", &srv, NULL,
                          SV_ARGS("check", "--tool", "gmail_send_email", "--identifier",
                                  "user\x01")),
                     2);
    assert_int_equal(both("toolgate.json", &srv, NULL,
                          SV_ARGS("check", "--tool", "no spaces", "--identifier", "u")),
                     2);
}

static void test_status_link_wait(void **state)
{
    static const char *const fmts[] = { "json", "text" };
    size_t f;
    (void)state;

    for (f = 0; f < 2; f++) {
        assert_int_equal(both("toolgate.json", &srv, NULL,
                              SV_ARGS("status", "--connection", "gmail", "--identifier",
                                      "user_123", "--format", fmts[f])),
                         0);
        assert_int_equal(both("toolgate.json", &srv, NULL,
                              SV_ARGS("status", "--connection", "gmail", "--identifier",
                                      "user_456", "--format", fmts[f])),
                         10);
        assert_int_equal(both("refused.json", &down, NULL,
                              SV_ARGS("status", "--connection", "gmail", "--identifier",
                                      "user_123", "--format", fmts[f])),
                         11);
        assert_int_equal(both("toolgate.json", &srv, NULL,
                              SV_ARGS("link", "--connection", "gmail", "--identifier",
                                      "user_456", "--format", fmts[f])),
                         0);
        assert_int_equal(both("toolgate.json", &srv, NULL,
                              SV_ARGS("wait", "--connection", "gmail", "--identifier",
                                      "user_123", "--format", fmts[f])),
                         0);
        assert_int_equal(both("toolgate.json", &srv, NULL,
                              SV_ARGS("wait", "--connection", "gmail", "--identifier",
                                      "user_456", "--timeout", "0.4", "--format", fmts[f])),
                         10);
    }
    assert_int_equal(both("toolgate.json", &srv, NULL,
                          SV_ARGS("status", "--connection", "gm@il", "--identifier", "u")),
                     2);
}

/* The provider fails: link and wait say so on one stderr line and exit 11,
 * as locally; only the detail (how many attempts fitted in the time) may
 * differ, so stderr is compared up to it. */
static void test_provider_failures(void **state)
{
    static const char *const link_args[] = { "link", "--connection", "gmail", "--identifier",
                                             "u1", NULL };
    static const char *const wait_args[] = { "wait", "--connection", "gmail", "--identifier",
                                             "u1", "--timeout", "0.5", NULL };
    static const struct {
        const char *const *args;
        const char *out, *err_prefix;
    } cases[] = {
        { link_args, "", "toolgate: link: " },
        { wait_args, "{\"connection\":\"gmail\",\"identifier\":\"u1\",\"status\":null}\n",
          "toolgate: wait: the provider failed: " },
    };
    const char *args[16];
    size_t c, i;
    sv_run r;
    (void)state;

    for (c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (int mode = 0; mode < 2; mode++) {
            for (i = 0; cases[c].args[i]; i++)
                args[i] = cases[c].args[i];
            args[i++] = mode ? "--server" : "--config";
            args[i++] = mode ? down.url : "refused.json";
            args[i] = NULL;
            assert_int_equal(sv_cli(dir, args, NULL, &r), 0);
            print_message("    %s %s: exit %d, %s", cases[c].args[0],
                          mode ? "through the server" : "locally", r.code, r.err);
            assert_int_equal(r.code, 11);
            assert_string_equal(r.out, cases[c].out);
            assert_int_equal(strncmp(r.err, cases[c].err_prefix, strlen(cases[c].err_prefix)),
                             0);
            assert_non_null(strstr(r.err, "127.0.0.1"));
            assert_int_equal(strchr(r.err, '\n') - r.err + 1, (long)strlen(r.err));
            sv_run_free(&r);
        }
    }
}

static void test_unreachable_server(void **state)
{
    char url[64];
    sv_run r;
    (void)state;

    snprintf(url, sizeof url, "http://127.0.0.1:%d", tg_dev_closed_port());
    assert_int_equal(sv_cli(dir,
                            SV_ARGS("check", "--server", url, "--tool", "gmail_send_email",
                                    "--identifier", "user_123"),
                            NULL, &r),
                     0);
    assert_int_equal(r.code, 11);
    assert_string_equal(r.out, "");
    assert_int_equal(strncmp(r.err, "toolgate: check: server http://127.0.0.1:", 41), 0);
    sv_run_free(&r);
    assert_int_equal(sv_cli(dir,
                            SV_ARGS("wait", "--server", "unix:/nonexistent/toolgate.sock",
                                    "--connection", "gmail", "--identifier", "user_123"),
                            NULL, &r),
                     0);
    assert_int_equal(r.code, 11);
    sv_run_free(&r);
}

static void test_server_selection(void **state)
{
    char env[256];
    sv_run r;
    (void)state;

    /* $TOOLGATE_SERVER, unless --config asks for a local gate. */
    snprintf(env, sizeof env, "TOOLGATE_SERVER=%s", down.url);
    assert_int_equal(sv_cli(dir,
                            SV_ARGS("check", "--tool", "gmail_send_email", "--identifier",
                                    "user_123"),
                            SV_ARGS(env), &r),
                     0);
    assert_int_equal(r.code, 11); /* asked the server whose provider is down */
    sv_run_free(&r);
    assert_int_equal(sv_cli(dir,
                            SV_ARGS("check", "--config", "toolgate.json", "--tool",
                                    "gmail_send_email", "--identifier", "user_123"),
                            SV_ARGS(env), &r),
                     0);
    assert_int_equal(r.code, 0); /* the local gate */
    sv_run_free(&r);

    /* Both flags, or a URL of another kind: bad arguments. */
    assert_int_equal(sv_cli(dir,
                            SV_ARGS("status", "--config", "toolgate.json", "--server", srv.url,
                                    "--connection", "gmail", "--identifier", "u"),
                            NULL, &r),
                     0);
    assert_int_equal(r.code, 2);
    assert_non_null(strstr(r.err, "exclude each other"));
    sv_run_free(&r);
    assert_int_equal(sv_cli(dir,
                            SV_ARGS("link", "--server", "ftp://127.0.0.1:1", "--connection",
                                    "gmail", "--identifier", "u"),
                            NULL, &r),
                     0);
    assert_int_equal(r.code, 2);
    assert_non_null(strstr(r.err, "http://HOST:PORT or unix:/PATH"));
    sv_run_free(&r);

    /* A unix socket. */
    assert_int_equal(both("toolgate.json", &unix_srv, NULL,
                          SV_ARGS("check", "--tool", "gmail_send_email", "--identifier",
                                  "user_456")),
                     10);
}

static void test_api_token(void **state)
{
    sv_run r;
    (void)state;

    assert_int_equal(sv_cli(dir,
                            SV_ARGS("check", "--server", tokened.url, "--tool",
                                    "gmail_send_email", "--identifier", "user_123"),
                            NULL, &r),
                     0);
    assert_int_equal(r.code, 2);
    assert_non_null(strstr(r.err, "refused the API token"));
    assert_null(strstr(r.err, TOKEN));
    sv_run_free(&r);
    assert_int_equal(sv_cli(dir,
                            SV_ARGS("check", "--server", tokened.url, "--tool",
                                    "gmail_send_email", "--identifier", "user_123"),
                            SV_ARGS("TOOLGATE_API_TOKEN=wrong-" TOKEN), &r),
                     0);
    assert_int_equal(r.code, 2);
    sv_run_free(&r);
    assert_int_equal(both("toolgate.json", &tokened, SV_ARGS("TOOLGATE_API_TOKEN=" TOKEN),
                          SV_ARGS("check", "--tool", "gmail_send_email", "--identifier",
                                  "user_123")),
                     0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_exit_codes),
        cmocka_unit_test(test_status_link_wait),
        cmocka_unit_test(test_provider_failures),
        cmocka_unit_test(test_unreachable_server),
        cmocka_unit_test(test_server_selection),
        cmocka_unit_test(test_api_token),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
