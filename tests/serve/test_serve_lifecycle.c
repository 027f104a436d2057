/*
 * `toolgate serve` over its life: flags refused before anything listens,
 * the unix socket, SIGHUP reloads (a bad configuration keeps the running
 * gate; a replaced gate serves its requests to the end), SIGTERM drains
 * (requests in flight finish, long polls end, at most 5 s) and exits 0.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "dev_server.h"
#include "harness.h"

#define ACCOUNTS_EXPIRED                                                                     \
    "{\"link_base\":\"https://connect.example.com/authorize\",\"accounts\":["                 \
    "{\"connection\":\"gmail\",\"identifier\":\"user_123\",\"status\":\"ACTIVE\"},"            \
    "{\"connection\":\"gmail\",\"identifier\":\"user_456\",\"status\":\"EXPIRED\"}]}"
#define ACCOUNTS_ACTIVE                                                                      \
    "{\"link_base\":\"https://connect.example.com/authorize\",\"accounts\":["                 \
    "{\"connection\":\"gmail\",\"identifier\":\"user_123\",\"status\":\"ACTIVE\"},"            \
    "{\"connection\":\"gmail\",\"identifier\":\"user_456\",\"status\":\"ACTIVE\"}]}"
#define DETAILS "GET /api/v1/connected_accounts/details"
#define CONFIG_ALLOW                                                                         \
    "{\"provider\":{\"type\":\"file\",\"path\":\"accounts.json\"},"                           \
    "\"tools\":{\"prefixes\":{\"gmail_\":\"gmail\"},\"unmapped\":\"allow\"}}"
#define CONFIG_DENY                                                                          \
    "{\"provider\":{\"type\":\"file\",\"path\":\"accounts.json\"},"                           \
    "\"tools\":{\"prefixes\":{\"gmail_\":\"gmail\"},\"unmapped\":\"deny\"}}"

typedef struct fixture {
    char dir[64];
} fixture;

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    if (!fx || sv_setup_dir(fx->dir, sizeof fx->dir, CONFIG_ALLOW, ACCOUNTS_EXPIRED) != 0) {
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    sv_rmdir(fx->dir);
    free(fx);
    return 0;
}

static char *verdict_of(const sv_server *s, const char *tool, const char *id, char *out,
                        size_t len)
{
    char body[256];
    sv_answer a;

    snprintf(body, sizeof body, "{\"tool\":\"%s\",\"identifier\":\"%s\"}", tool, id);
    out[0] = '\0';
    if (sv_http(s, "POST", "/v1/check", body, NULL, &a) == 0 && a.status == 200)
        sv_header(&a, "Toolgate-Verdict", out, len);
    sv_answer_free(&a);
    return out;
}

/* Wait (up to 30 s) for @p needle in the server's stderr. */
static int log_says(const sv_server *s, const char *needle)
{
    int64_t deadline = sv_now_ms() + 30000;
    int found = 0;

    while (!found && sv_now_ms() < deadline) {
        char *log = sv_server_log(s);
        found = strstr(log, needle) != NULL;
        free(log);
        if (!found)
            sv_sleep_ms(20);
    }
    return found;
}

/* ---- flags ------------------------------------------------------------------------ */

static void expect_refused(fixture *fx, const char *const *args, const char *const *env,
                           int code, const char *needle)
{
    sv_run r;

    assert_int_equal(sv_cli(fx->dir, args, env, &r), 0);
    if (r.code != code || !strstr(r.err, needle) || r.out[0] != '\0' ||
        strchr(r.err, '\n') - r.err + 1 != (long)strlen(r.err))
        fail_msg("toolgate serve %s: exit %d, stdout \"%s\", stderr \"%s\"; expected exit %d "
                 "and one line saying \"%s\"",
                 args[1] ? args[1] : "", r.code, r.out, r.err, code, needle);
    sv_run_free(&r);
}

static void test_refused_flags(void **state)
{
    fixture *fx = *state;
    sv_server s;

    expect_refused(fx, SV_ARGS("serve", "--listen", "0.0.0.0:0"), NULL, 2, "--api-token-env");
    expect_refused(fx, SV_ARGS("serve", "--listen", "10.1.2.3:8777"), NULL, 2, "loopback");
    expect_refused(fx, SV_ARGS("serve", "--listen", "127.0.0.1"), NULL, 2, "HOST:PORT");
    expect_refused(fx, SV_ARGS("serve", "--listen", "127.0.0.1:65536"), NULL, 2, "port");
    expect_refused(fx, SV_ARGS("serve", "--listen", "127.0.0.1:-1"), NULL, 2, "port");
    expect_refused(fx, SV_ARGS("serve", "--listen", "example.com:80"), NULL, 2, "localhost");
    expect_refused(fx, SV_ARGS("serve", "--listen", "localhost.:80"), NULL, 2, "localhost");
    expect_refused(fx, SV_ARGS("serve", "--listen", "[::1:80"), NULL, 2, "[IPv6]");
    expect_refused(fx, SV_ARGS("serve", "--listen", "[zz]:80"), NULL, 2, "IPv6");
    expect_refused(fx, SV_ARGS("serve", "--listen", "127.0.0.1:0", "--unix", "/tmp/x.sock"),
                   NULL, 2, "exclude each other");
    expect_refused(fx, SV_ARGS("serve", "--api-token-env", "TG_NOT_SET_ANYWHERE"), NULL, 2,
                   "TG_NOT_SET_ANYWHERE");
    expect_refused(fx, SV_ARGS("serve", "--api-token-env", "TG_TOKEN"),
                   SV_ARGS("TG_TOKEN=has space"), 2, "printable ASCII");
    expect_refused(fx, SV_ARGS("serve", "--webhook-secret-env", "TG_SECRET"),
                   SV_ARGS("TG_SECRET=not-a-secret"), 2, "whsec_");
    expect_refused(fx, SV_ARGS("serve", "--webhook-secret-env", "A=B"), NULL, 2,
                   "environment variable");
    expect_refused(fx, SV_ARGS("serve", "--tool", "x"), NULL, 2, "not an option");
    expect_refused(fx, SV_ARGS("serve", "--config", "missing.json"), NULL, 2, "missing.json");
    assert_int_equal(sv_write(fx->dir, "bad.json", "{\"cache\":{\"nope\":1}}", NULL), 0);
    expect_refused(fx, SV_ARGS("serve", "--config", "bad.json"), NULL, 2, "cache.nope");

    /* A port in use: exit 1. */
    assert_int_equal(sv_start(&s, fx->dir, SV_ARGS("serve", "--listen", "127.0.0.1:0"), NULL), 0);
    {
        char listen[200];
        snprintf(listen, sizeof listen, "%.60s", s.url + strlen("http://"));
        expect_refused(fx, SV_ARGS("serve", "--listen", listen), NULL, 1, "cannot listen");
    }
    assert_int_equal(sv_stop(&s), 0);
}

/* Not loopback, with a token: every /v1/ request but the webhook needs it. */
static void test_token_on_all_interfaces(void **state)
{
    fixture *fx = *state;
    const char *good[] = { "Authorization: Bearer t0k3n-0123456789abcdef", NULL };
    const char *bad[] = { "Authorization: Bearer t0k3n-0123456789abcdeF", NULL };
    const char *basic[] = { "Authorization: Basic dDA6azNu", NULL };
    char port[200], challenge[32];
    sv_server s;
    sv_answer a;
    char *log;

    assert_int_equal(sv_start(&s, fx->dir,
                              SV_ARGS("serve", "--listen", "0.0.0.0:0", "--api-token-env",
                                      "TG_TOKEN"),
                              SV_ARGS("TG_TOKEN=t0k3n-0123456789abcdef")),
                     0);
    assert_int_equal(strncmp(s.url, "http://0.0.0.0:", 15), 0);
    snprintf(port, sizeof port, "%.8s", s.url + 15);
    snprintf(s.base, sizeof s.base, "http://127.0.0.1:%.8s", port);

    assert_int_equal(sv_http(&s, "GET", "/v1/status?connection=gmail&identifier=user_123", NULL,
                             NULL, &a),
                     0);
    assert_int_equal(a.status, 401);
    assert_non_null(strstr(a.body, "EUNAUTHORIZED"));
    assert_true(sv_header(&a, "WWW-Authenticate", challenge, sizeof challenge));
    assert_string_equal(challenge, "Bearer");
    sv_answer_free(&a);
    assert_int_equal(sv_http(&s, "POST", "/v1/check",
                             "{\"tool\":\"gmail_x\",\"identifier\":\"user_123\"}", bad, &a),
                     0);
    assert_int_equal(a.status, 401);
    sv_answer_free(&a);
    assert_int_equal(sv_http(&s, "POST", "/v1/invalidate", "{\"connection\":\"gmail\"}", basic,
                             &a),
                     0);
    assert_int_equal(a.status, 401);
    sv_answer_free(&a);
    assert_int_equal(sv_http(&s, "POST", "/v1/check",
                             "{\"tool\":\"gmail_x\",\"identifier\":\"user_123\"}", good, &a),
                     0);
    assert_int_equal(a.status, 200);
    sv_answer_free(&a);
    /* Operations routes need no token. */
    assert_int_equal(sv_http(&s, "GET", "/healthz", NULL, NULL, &a), 0);
    assert_int_equal(a.status, 200);
    sv_answer_free(&a);
    assert_int_equal(sv_http(&s, "GET", "/metrics", NULL, NULL, &a), 0);
    assert_int_equal(a.status, 200);
    assert_non_null(strstr(a.body, "toolgate_http_requests_total{route=\"/v1/check\",code=\"401\"} 1"));
    sv_answer_free(&a);

    assert_int_equal(sv_stop(&s), 0);
    log = sv_server_log(&s);
    assert_null(strstr(log, "t0k3n"));
    free(log);
}

static void test_unix_socket(void **state)
{
    fixture *fx = *state;
    char path[128], verdict[32];
    struct stat st;
    sv_server s;
    sv_run r;

    snprintf(path, sizeof path, "%s/gate.sock", fx->dir);
    assert_int_equal(sv_start(&s, fx->dir, SV_ARGS("serve", "--unix", path), NULL), 0);
    assert_int_equal(strncmp(s.url, "unix:", 5), 0);
    assert_string_equal(s.url + 5, path);
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_string_equal(verdict_of(&s, "gmail_x", "user_123", verdict, sizeof verdict), "ALLOW");

    /* Another server on the same path: refused, the first one goes on. */
    assert_int_equal(sv_cli(fx->dir, SV_ARGS("serve", "--unix", path), NULL, &r), 0);
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(r.err, "another server"));
    sv_run_free(&r);
    assert_string_equal(verdict_of(&s, "gmail_x", "user_123", verdict, sizeof verdict), "ALLOW");

    /* Killed without a chance to clean up: the next one replaces the file. */
    kill(s.pid, SIGKILL);
    waitpid(s.pid, NULL, 0);
    s.pid = 0;
    sv_stop(&s);
    assert_int_equal(lstat(path, &st), 0);
    assert_int_equal(sv_start(&s, fx->dir, SV_ARGS("serve", "--unix", path), NULL), 0);
    assert_string_equal(verdict_of(&s, "gmail_x", "user_123", verdict, sizeof verdict), "ALLOW");
    assert_int_equal(sv_stop(&s), 0);
    /* A clean stop removes it. */
    assert_int_equal(lstat(path, &st), -1);

    /* Something that is not a socket is left alone. */
    assert_int_equal(sv_write(fx->dir, "plain", "x", NULL), 0);
    snprintf(path, sizeof path, "%s/plain", fx->dir);
    assert_int_equal(sv_cli(fx->dir, SV_ARGS("serve", "--unix", path), NULL, &r), 0);
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(r.err, "not a socket"));
    sv_run_free(&r);
}

/* ---- SIGHUP ---------------------------------------------------------------------- */

typedef struct waiter {
    const sv_server *s;
    char target[200];
    sv_answer a;
} waiter;

static void *wait_run(void *p)
{
    waiter *w = p;
    sv_http(w->s, "GET", w->target, NULL, NULL, &w->a);
    return NULL;
}

static void test_reload(void **state)
{
    fixture *fx = *state;
    char verdict[32];
    double decisions_before, decisions_after;
    waiter w;
    pthread_t t;
    sv_server s;
    int64_t deadline;

    assert_int_equal(sv_start(&s, fx->dir, SV_ARGS("serve", "--listen", "127.0.0.1:0"), NULL), 0);
    assert_string_equal(verdict_of(&s, "calendar_add", "user_123", verdict, sizeof verdict),
                        "ALLOW");
    assert_string_equal(verdict_of(&s, "gmail_x", "user_456", verdict, sizeof verdict),
                        "NEEDS_AUTHORIZATION");

    /* A long poll holds the old gate across the reload. */
    memset(&w, 0, sizeof w);
    w.s = &s;
    snprintf(w.target, sizeof w.target,
             "/v1/wait?connection=gmail&identifier=user_456&timeout_ms=30000");
    assert_int_equal(pthread_create(&t, NULL, wait_run, &w), 0);
    deadline = sv_now_ms() + 30000;
    while (sv_metric(&s, "toolgate_waits") != 1 && sv_now_ms() < deadline)
        sv_sleep_ms(20);
    assert_int_equal(sv_metric(&s, "toolgate_waits"), 1);

    decisions_before = sv_metric(&s, "toolgate_decisions_total{verdict=\"ALLOW\"}");
    assert_int_equal(sv_write(fx->dir, "toolgate.json", CONFIG_DENY, NULL), 0);
    kill(s.pid, SIGHUP);
    assert_true(log_says(&s, "reloaded the configuration"));
    assert_string_equal(verdict_of(&s, "calendar_add", "user_123", verdict, sizeof verdict),
                        "DENY");
    /* Counters are running totals across gates: never down. */
    decisions_after = sv_metric(&s, "toolgate_decisions_total{verdict=\"ALLOW\"}");
    assert_true(decisions_after >= decisions_before);
    assert_true(decisions_before >= 1);

    /* The old gate still serves the wait: the user authorizes, it sees it. */
    assert_int_equal(sv_write(fx->dir, "accounts.json", ACCOUNTS_ACTIVE, NULL), 0);
    pthread_join(t, NULL);
    assert_int_equal(w.a.status, 200);
    assert_string_equal(w.a.body,
                        "{\"connection\":\"gmail\",\"identifier\":\"user_456\",\"status\":\"ACTIVE\"}\n");
    sv_answer_free(&w.a);

    /* A bad configuration: said on stderr, the running gate goes on. */
    assert_int_equal(sv_write(fx->dir, "toolgate.json", "{\"tools\":{\"unmapped\":\"maybe\"}}",
                              NULL),
                     0);
    kill(s.pid, SIGHUP);
    assert_true(log_says(&s, "reload failed, still serving the previous configuration"));
    assert_true(log_says(&s, "tools.unmapped"));
    assert_string_equal(verdict_of(&s, "calendar_add", "user_123", verdict, sizeof verdict),
                        "DENY");
    assert_int_equal(sv_metric(&s, "toolgate_config_reloads_total{result=\"ok\"}"), 1);
    assert_int_equal(sv_metric(&s, "toolgate_config_reloads_total{result=\"failed\"}"), 1);
    assert_int_equal(sv_stop(&s), 0);
}

/* ---- SIGTERM ------------------------------------------------------------------------ */

typedef struct call {
    const sv_server *s;
    const char *method, *target, *body;
    sv_answer a;
} call;

static void *call_run(void *p)
{
    call *c = p;
    sv_http(c->s, c->method, c->target, c->body, NULL, &c->a);
    return NULL;
}

/* Wait (30 s at most) for the server to end; its exit code, -1 if not. */
static int reap(sv_server *s, int64_t *ended)
{
    int64_t deadline = sv_now_ms() + 30000;
    int status = 0;

    while (sv_now_ms() < deadline) {
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            *ended = sv_now_ms();
            s->pid = 0;
            sv_stop(s);
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        }
        sv_sleep_ms(5);
    }
    return -1;
}

static void test_drain(void **state)
{
    fixture *fx = *state;
    char config[512];
    tg_dev dev = { 0, -1, "" };
    call slow, waiting;
    pthread_t t1, t2;
    sv_server s;
    int64_t term, ended, deadline;
    int fd;

    assert_int_equal(tg_dev_start(&dev, TG_SCALEKIT_DEV_PATH, "dev_client", "dev_secret"), 0);
    snprintf(config, sizeof config,
             "{\"provider\":{\"type\":\"scalekit\",\"environment_url\":\"%s\","
             "\"client_id\":\"dev_client\",\"client_secret\":\"dev_secret\","
             "\"timeout_ms\":20000},\"tools\":{\"prefixes\":{\"gmail_\":\"gmail\"}}}",
             dev.url);
    assert_int_equal(sv_write(fx->dir, "scalekit.json", config, NULL), 0);
    assert_int_equal(tg_dev_set_account(&dev, "gmail", "slow_user", "ACTIVE"), 200);
    assert_int_equal(tg_dev_set_account(&dev, "gmail", "wait_user", "EXPIRED"), 200);
    assert_int_equal(tg_dev_post(&dev, "/_dev/reset", "{}"), 200);
    assert_int_equal(sv_start(&s, fx->dir,
                              SV_ARGS("serve", "--config", "scalekit.json", "--listen",
                                      "127.0.0.1:0"),
                              NULL),
                     0);

    /* In flight at SIGTERM: a check the provider holds 1.5 s, and a long poll. */
    assert_int_equal(tg_dev_post(&dev, "/_dev/faults",
                                 "{\"latency_ms\":1500,\"count\":1,"
                                 "\"routes\":\"/api/v1/connected_accounts/details\"}"),
                     200);
    slow = (call){ &s, "POST", "/v1/check",
                   "{\"tool\":\"gmail_send\",\"identifier\":\"slow_user\"}", { 0 } };
    waiting = (call){ &s, "GET", "/v1/wait?connection=gmail&identifier=wait_user&timeout_ms=60000",
                      NULL, { 0 } };
    assert_int_equal(pthread_create(&t1, NULL, call_run, &slow), 0);
    deadline = sv_now_ms() + 30000;
    /* The dev server counts a route before it sleeps in the fault. */
    while (tg_dev_stat(&dev, "routes", DETAILS) < 1 && sv_now_ms() < deadline)
        sv_sleep_ms(5);
    assert_int_equal(pthread_create(&t2, NULL, call_run, &waiting), 0);
    while (sv_metric(&s, "toolgate_waits") != 1 && sv_now_ms() < deadline)
        sv_sleep_ms(5);

    term = sv_now_ms();
    kill(s.pid, SIGTERM);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    /* Finished, not cut: the check got its answer; the wait was told why. */
    assert_int_equal(slow.a.status, 200);
    assert_non_null(strstr(slow.a.body, "\"verdict\":\"ALLOW\""));
    assert_true(slow.a.ms >= 1400); /* it was held, and finished */
    assert_int_equal(waiting.a.status, 503);
    assert_non_null(strstr(waiting.a.body, "ESHUTDOWN"));
    sv_answer_free(&slow.a);
    sv_answer_free(&waiting.a);
    assert_int_equal(reap(&s, &ended), 0);
    print_message("    exit 0 %lld ms after SIGTERM\n", (long long)(ended - term));
    assert_true(log_says(&s, "SIGTERM: shutting down"));
    /* No longer listening. */
    fd = sv_connect(&s);
    assert_int_equal(fd, -1);

    /* A request the provider holds past the drain: the server does not
     * wait for it (20 s) beyond its 5 s. */
    assert_int_equal(sv_start(&s, fx->dir,
                              SV_ARGS("serve", "--config", "scalekit.json", "--listen",
                                      "127.0.0.1:0"),
                              NULL),
                     0);
    assert_int_equal(tg_dev_set_account(&dev, "gmail", "stuck_user", "ACTIVE"), 200);
    assert_int_equal(tg_dev_post(&dev, "/_dev/reset", "{}"), 200);
    assert_int_equal(tg_dev_post(&dev, "/_dev/faults",
                                 "{\"latency_ms\":20000,\"count\":1,"
                                 "\"routes\":\"/api/v1/connected_accounts/details\"}"),
                     200);
    slow = (call){ &s, "POST", "/v1/check",
                   "{\"tool\":\"gmail_send\",\"identifier\":\"stuck_user\"}", { 0 } };
    assert_int_equal(pthread_create(&t1, NULL, call_run, &slow), 0);
    deadline = sv_now_ms() + 30000;
    while (tg_dev_stat(&dev, "routes", DETAILS) < 1 && sv_now_ms() < deadline)
        sv_sleep_ms(5);
    term = sv_now_ms();
    kill(s.pid, SIGINT);
    assert_int_equal(reap(&s, &ended), 0);
    print_message("    exit 0 %lld ms after SIGINT, a request still in flight\n",
                  (long long)(ended - term));
    assert_true(ended - term >= 4500); /* it did give the request its time */
    assert_true(ended - term < 15000);
    assert_true(log_says(&s, "unfinished"));
    pthread_join(t1, NULL);
    sv_answer_free(&slow.a);
    tg_dev_stop(&dev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_refused_flags, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_on_all_interfaces, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unix_socket, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_drain, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
