/* What the gate accepts as an authorization link from a provider: an
 * absolute http(s) URL with a host, nothing that could break out of a page,
 * a shell or a message, and not already expired. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "toolgate/provider.h"
#include "toolgate/toolgate.h"

static const char *g_link;      /* what the provider answers */
static int64_t g_expires_in_ms; /* from now, wall clock; 0: no expiry */
static const tg_host *g_host;
static int64_t g_now = 1000000;

static int p_create(const tg_host *host, const char *c, const char *b, void *arg, void **state)
{
    (void)c;
    (void)b;
    (void)arg;
    g_host = host;
    *state = NULL;
    return TG_OK;
}

static void p_destroy(void *state)
{
    (void)state;
}

static int p_status(void *state, const char *conn, const char *id, tg_status *st)
{
    (void)state;
    (void)conn;
    (void)id;
    *st = TG_STATUS_EXPIRED;
    return TG_OK;
}

static int p_link(void *state, const char *conn, const char *id, char *buf, size_t len,
                  int64_t *expires_at_ms)
{
    (void)state;
    (void)conn;
    (void)id;
    snprintf(buf, len, "%s", g_link);
    *expires_at_ms = g_expires_in_ms ? g_host->wall_ms() + g_expires_in_ms : 0;
    return TG_OK;
}

static const tg_provider links_provider = { TG_PROVIDER_ABI_VERSION, sizeof(tg_provider),
                                            "links", p_create, p_destroy, p_status, p_link };

static int64_t clock_fn(void *ctx)
{
    (void)ctx;
    return g_now;
}

static tg_gate *gate_new(void)
{
    tg_gate *g = NULL;
    assert_int_equal(tg_gate_new_with_provider(&g, "{}", NULL, &links_provider, NULL), TG_OK);
    tg_gate_set_clock(g, clock_fn, NULL);
    return g;
}

static void expect_refused(const char *link, const char *why)
{
    tg_gate *g = gate_new();
    tg_decision *d = tg_decision_new();
    char buf[TG_LINK_MAX + 1];

    g_link = link;
    assert_int_equal(tg_gate_check_connection(g, "gmail", "u", d), TG_OK);
    if (tg_decision_verdict(d) != TG_VERDICT_UNAVAILABLE)
        fail_msg("link \"%s\": verdict %s", link, tg_verdict_name(tg_decision_verdict(d)));
    assert_null(tg_decision_link(d));
    assert_int_equal(tg_decision_status(d), TG_STATUS_EXPIRED);
    if (!strstr(tg_decision_reason(d), why))
        fail_msg("link \"%s\": reason \"%s\" lacks \"%s\"", link, tg_decision_reason(d), why);
    assert_int_equal(tg_gate_link(g, "gmail", "u", buf, sizeof buf, NULL, NULL), TG_EPROVIDER);
    assert_non_null(strstr(tg_error_message(), why));
    tg_decision_free(d);
    tg_gate_free(g);
}

static void expect_accepted(const char *link)
{
    tg_gate *g = gate_new();
    tg_decision *d = tg_decision_new();

    g_link = link;
    assert_int_equal(tg_gate_check_connection(g, "gmail", "u", d), TG_OK);
    if (tg_decision_verdict(d) != TG_VERDICT_NEEDS_AUTHORIZATION)
        fail_msg("link \"%s\": verdict %s: %s", link, tg_verdict_name(tg_decision_verdict(d)),
                 tg_decision_reason(d));
    assert_string_equal(tg_decision_link(d), link);
    tg_decision_free(d);
    tg_gate_free(g);
}

static void test_bad_links_are_provider_failures(void **state)
{
    (void)state;
    g_expires_in_ms = 0;
    expect_refused("http://", "has no host");
    expect_refused("https:///path", "has no host");
    expect_refused("https://:443/x", "has no host");
    expect_refused("https://a.com/\"><script>alert(1)</script>", "may not hold");
    expect_refused("https://a.com/<x>", "may not hold");
    expect_refused("https://a.com/x y", "may not hold");
    expect_refused("https://a.com/'", "may not hold");
    expect_refused("https://a.com/\\x", "may not hold");
    expect_refused("https://a.com/caf\xC3\xA9", "may not hold");
    expect_refused("javascript:alert(1)", "not an absolute http(s) URL");
    expect_refused("/authorize?x=1", "not an absolute http(s) URL");
    expect_refused("ftp://a.com/x", "not an absolute http(s) URL");
    expect_refused("https://user@evil.example/x", "user information");
    expect_refused("", "is empty");
}

static void test_good_links(void **state)
{
    (void)state;
    g_expires_in_ms = 600000;
    expect_accepted("https://a.com");
    expect_accepted("http://127.0.0.1:8080/authorize?connection=gmail&identifier=a%40b");
    expect_accepted("https://acme.scalekit.dev/magicLink/abc?x=1&y=2#frag");
    expect_accepted("https://a.com/user@domain"); /* '@' after the host is a path */
}

/* A link that has already expired is refused; one about to expire is used
 * for this answer but never reused. */
static void test_expired_links(void **state)
{
    tg_gate *g;
    tg_decision *d = tg_decision_new();
    (void)state;

    g_expires_in_ms = -1000;
    expect_refused("https://a.com/old", "already expired");

    g = gate_new();
    g_link = "https://a.com/short";
    g_expires_in_ms = 2000;
    assert_int_equal(tg_gate_check_connection(g, "gmail", "u", d), TG_OK);
    assert_int_equal(tg_decision_verdict(d), TG_VERDICT_NEEDS_AUTHORIZATION);
    g_link = "https://a.com/next";
    g_now += 1500; /* the status is still fresh; the link is within a second of expiry */
    assert_int_equal(tg_gate_check_connection(g, "gmail", "u", d), TG_OK);
    assert_string_equal(tg_decision_link(d), "https://a.com/next");
    tg_decision_free(d);
    tg_gate_free(g);
}

/* A gate built without a failure leaves no stale message behind (it used to
 * say a provider's create() had failed). */
static void test_no_message_after_success(void **state)
{
    tg_gate *g = NULL;
    (void)state;
    assert_int_equal(tg_gate_new_from_json(&g, "{\"cache\":7}", NULL), TG_ECONFIG);
    assert_true(tg_error_message()[0] != '\0');
    g = gate_new();
    assert_string_equal(tg_error_message(), "");
    tg_gate_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_links_are_provider_failures),
        cmocka_unit_test(test_good_links),
        cmocka_unit_test(test_expired_links),
        cmocka_unit_test(test_no_message_after_success),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
