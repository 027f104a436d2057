/* Tool rules: exact names first, then the longest matching prefix. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>

#include "toolgate/toolgate.h"
#include "config.h"
#include "conns.h"
#include "rules.h"
#include "tool_memo.h"

typedef struct fixture {
    tg__config cfg;
    tg__conns conns;
    tg__rules *rules;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f || tg__conns_init(&f->conns) != TG_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    tg__rules_free(f->rules);
    tg__conns_destroy(&f->conns);
    tg__config_free(&f->cfg);
    free(f);
    return 0;
}

/* Parse a configuration and build its rules into the fixture. */
static void build(fixture *f, const char *json)
{
    int rc = tg__config_parse(json, strlen(json), &f->cfg);
    if (rc != TG_OK)
        fail_msg("config: %s", tg_error_message());
    rc = tg__rules_build(&f->cfg, &f->conns, &f->rules);
    if (rc != TG_OK)
        fail_msg("build: %d %s", rc, tg_error_message());
    assert_non_null(f->rules);
}

static const char *resolve(const fixture *f, const char *tool)
{
    const tg__conn *c = tg__rules_resolve(f->rules, tool, strlen(tool));
    return c ? c->name : NULL;
}

static void expect(const fixture *f, const char *tool, const char *want)
{
    const char *got = resolve(f, tool);
    if (!want && got)
        fail_msg("\"%s\" resolved to \"%s\", want no match", tool, got);
    if (want && (!got || strcmp(got, want) != 0))
        fail_msg("\"%s\" resolved to %s%s%s, want \"%s\"", tool, got ? "\"" : "",
                 got ? got : "no match", got ? "\"" : "", want);
}

static void test_no_rules(void **state)
{
    fixture *f = *state;
    build(f, "{}");
    expect(f, "gmail_send_email", NULL);
    expect(f, "a", NULL);
    assert_int_equal(f->conns.n, 0);
}

static void test_exact_beats_prefix(void **state)
{
    fixture *f = *state;
    build(f, "{\"tools\":{\"prefixes\":{\"gmail_\":\"gmail\",\"gmail_send_\":\"longer\"},"
             "\"map\":{\"gmail_send_email\":\"special\"}}}");
    expect(f, "gmail_send_email", "special");
    expect(f, "gmail_send_emails", "longer");
    expect(f, "gmail_send_email2", "longer");
    expect(f, "gmail_read", "gmail");
}

static void test_longest_prefix_wins(void **state)
{
    fixture *f = *state;
    /* document order must not matter: mixed lengths */
    build(f, "{\"tools\":{\"prefixes\":{\"gm\":\"b\",\"gmail_send_\":\"d\",\"g\":\"a\","
             "\"gmail_\":\"c\"}}}");
    expect(f, "gmail_send_email", "d");
    expect(f, "gmail_send_", "d");
    expect(f, "gmail_send", "c");
    expect(f, "gmail_read", "c");
    expect(f, "gmail", "b");
    expect(f, "gmx", "b");
    expect(f, "gm", "b");
    expect(f, "go", "a");
    expect(f, "g", "a");
    expect(f, "x", NULL);
    expect(f, "Gmail_send_email", NULL);
    expect(f, "agmail_send", NULL);
}

/* A prefix is a plain string prefix, not only up to a '_'. */
static void test_prefix_not_only_at_underscore(void **state)
{
    fixture *f = *state;
    build(f, "{\"tools\":{\"prefixes\":{\"gma\":\"gmail\",\"sl\":\"slack\",\"git.hub:\":\"gh\"}}}");
    expect(f, "gmail", "gmail");
    expect(f, "gmat", "gmail");
    expect(f, "slack_post", "slack");
    expect(f, "sleep", "slack");
    expect(f, "git.hub:issues", "gh");
    expect(f, "git.hub", NULL);
    expect(f, "gm", NULL);
}

static void test_prefix_equal_to_tool(void **state)
{
    fixture *f = *state;
    build(f, "{\"tools\":{\"prefixes\":{\"slack\":\"slack\",\"notion_page\":\"notion\"}}}");
    expect(f, "slack", "slack");
    expect(f, "slack_post", "slack");
    /* a prefix longer than the tool never matches */
    expect(f, "notion", NULL);
    expect(f, "notion_pag", NULL);
    expect(f, "notion_page", "notion");
    expect(f, "slac", NULL);
}

/* An exact name matches only itself; it is not a prefix. */
static void test_exact_is_not_prefix(void **state)
{
    fixture *f = *state;
    build(f, "{\"tools\":{\"map\":{\"gmail\":\"x\",\"a_\":\"exact\"},\"prefixes\":{\"a_\":\"pre\"}}}");
    expect(f, "gmail", "x");
    expect(f, "gmail_send", NULL);
    expect(f, "gmai", NULL);
    /* the same text as exact name and as prefix */
    expect(f, "a_", "exact");
    expect(f, "a_b", "pre");
}

static void test_length_not_nul(void **state)
{
    fixture *f = *state;
    const tg__conn *c;
    build(f, "{\"tools\":{\"map\":{\"gmail_send\":\"exact\"},\"prefixes\":{\"slack_\":\"slack\"}}}");
    c = tg__rules_resolve(f->rules, "gmail_send_email", 10);
    assert_non_null(c);
    assert_string_equal(c->name, "exact");
    c = tg__rules_resolve(f->rules, "slack_post", 5);
    assert_null(c);
    c = tg__rules_resolve(f->rules, "slack_post", 6);
    assert_non_null(c);
    assert_string_equal(c->name, "slack");
    assert_null(tg__rules_resolve(f->rules, "gmail_send", 0));
    assert_null(tg__rules_resolve(NULL, "gmail_send", 10));
}

/* Rules naming the same connection share one interned object. */
static void test_connections_interned(void **state)
{
    fixture *f = *state;
    const tg__conn *a, *b, *c;
    build(f, "{\"tools\":{\"map\":{\"x\":\"gmail\",\"y\":\"slack\"},"
             "\"prefixes\":{\"gmail_\":\"gmail\",\"slack_\":\"slack\"}}}");
    a = tg__rules_resolve(f->rules, "x", 1);
    b = tg__rules_resolve(f->rules, "gmail_send", 10);
    c = tg__rules_resolve(f->rules, "slack_post", 10);
    assert_non_null(a);
    assert_ptr_equal(a, b);
    assert_ptr_equal(a, tg__conns_find(&f->conns, "gmail", 5));
    assert_ptr_equal(c, tg__conns_find(&f->conns, "slack", 5));
    assert_int_equal(f->conns.n, 2);
}

static void test_every_prefix_length(void **state)
{
    fixture *f = *state;
    char tool[TG_TOOL_MAX + 1], conn[16];
    size_t i, n;

    /* prefixes "x", "xx", ..., 128 x's → c1 .. c128; built by hand */
    f->cfg.prefixes = calloc(TG_TOOL_MAX, sizeof *f->cfg.prefixes);
    assert_non_null(f->cfg.prefixes);
    for (i = 0; i < TG_TOOL_MAX; i++) {
        n = i + 1;
        f->cfg.prefixes[i].match = calloc(n + 1, 1);
        memset(f->cfg.prefixes[i].match, 'x', n);
        snprintf(conn, sizeof conn, "c%zu", n);
        f->cfg.prefixes[i].connection = strdup(conn);
    }
    f->cfg.n_prefixes = TG_TOOL_MAX;
    assert_int_equal(tg__rules_build(&f->cfg, &f->conns, &f->rules), TG_OK);
    for (n = 1; n <= TG_TOOL_MAX; n++) {
        memset(tool, 'x', n);
        tool[n] = '\0';
        snprintf(conn, sizeof conn, "c%zu", n);
        expect(f, tool, conn);
        /* a different last byte falls back to the next shorter prefix */
        if (n > 1) {
            tool[n - 1] = 'y';
            snprintf(conn, sizeof conn, "c%zu", n - 1);
            expect(f, tool, conn);
        }
    }
    expect(f, "y", NULL);
}

static void test_prefix_length_gaps(void **state)
{
    fixture *f = *state;
    build(f, "{\"tools\":{\"prefixes\":{\"aaaaaaaaaa\":\"ten\",\"aaa\":\"three\","
             "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\":\"fortyone\"}}}");
    expect(f, "aa", NULL);
    expect(f, "aaa", "three");
    expect(f, "aaaaaaaaa", "three");
    expect(f, "aaaaaaaaaa", "ten");
    expect(f, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "ten");
    expect(f, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "fortyone");
    expect(f, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "fortyone");
}

/* 400 connections, each with a prefix and two exact names. */
static void test_many_rules(void **state)
{
    fixture *f = *state;
    size_t cap = 1 << 20, n, i;
    char *json = malloc(cap);
    char tool[64], want[64];

    assert_non_null(json);
    n = (size_t)sprintf(json, "{\"tools\":{\"prefixes\":{");
    for (i = 0; i < 400; i++)
        n += (size_t)sprintf(json + n, "%s\"svc%zu_\":\"conn%zu\"", i ? "," : "", i, i);
    n += (size_t)sprintf(json + n, "},\"map\":{");
    for (i = 0; i < 400; i++)
        n += (size_t)sprintf(json + n, "%s\"svc%zu_special\":\"special%zu\",\"tool%zu\":\"conn%zu\"",
                             i ? "," : "", i, i, i, (i * 7) % 400);
    sprintf(json + n, "}}}");
    build(f, json);
    free(json);

    assert_int_equal(f->conns.n, 800);
    for (i = 0; i < 400; i++) {
        snprintf(tool, sizeof tool, "svc%zu_send_message", i);
        snprintf(want, sizeof want, "conn%zu", i);
        expect(f, tool, want);
        snprintf(tool, sizeof tool, "svc%zu_", i);
        expect(f, tool, want);
        snprintf(tool, sizeof tool, "svc%zu_special", i);
        snprintf(want, sizeof want, "special%zu", i);
        expect(f, tool, want);
        snprintf(tool, sizeof tool, "svc%zu_special_x", i);
        snprintf(want, sizeof want, "conn%zu", i);
        expect(f, tool, want);
        snprintf(tool, sizeof tool, "tool%zu", i);
        snprintf(want, sizeof want, "conn%zu", (i * 7) % 400);
        expect(f, tool, want);
        snprintf(tool, sizeof tool, "svc%zu", i);
        expect(f, tool, NULL);
        snprintf(tool, sizeof tool, "tool%zux", i);
        expect(f, tool, NULL);
    }
    expect(f, "svc400_x", NULL);
    expect(f, "svc_x", NULL);
}

static void test_too_many_connections(void **state)
{
    fixture *f = *state;
    size_t i, n = TG__MAX_CONNECTIONS + 1;
    char buf[32];

    f->cfg.map = calloc(n, sizeof *f->cfg.map);
    assert_non_null(f->cfg.map);
    for (i = 0; i < n; i++) {
        snprintf(buf, sizeof buf, "t%zu", i);
        f->cfg.map[i].match = strdup(buf);
        snprintf(buf, sizeof buf, "c%zu", i);
        f->cfg.map[i].connection = strdup(buf);
    }
    f->cfg.n_map = n;
    f->rules = (tg__rules *)&f->rules; /* must be reset on failure */
    assert_int_equal(tg__rules_build(&f->cfg, &f->conns, &f->rules), TG_ECONFIG);
    assert_null(f->rules);
    assert_non_null(strstr(tg_error_message(), "connections"));

    /* exactly the bound is fine */
    f->cfg.n_map = TG__MAX_CONNECTIONS;
    tg__conns_destroy(&f->conns);
    assert_int_equal(tg__conns_init(&f->conns), TG_OK);
    f->cfg.n_map = TG__MAX_CONNECTIONS;
    assert_int_equal(tg__rules_build(&f->cfg, &f->conns, &f->rules), TG_OK);
    expect(f, "t4095", "c4095");
    f->cfg.n_map = n; /* so teardown frees every string */
}

static void test_build_arguments(void **state)
{
    fixture *f = *state;
    tg__rules *r = NULL;
    assert_int_equal(tg__rules_build(NULL, &f->conns, &r), TG_EINVAL);
    assert_null(r);
    assert_int_equal(tg__rules_build(&f->cfg, NULL, &r), TG_EINVAL);
    assert_int_equal(tg__rules_build(&f->cfg, &f->conns, NULL), TG_EINVAL);
    tg__rules_free(NULL);
}

/* Lookups from many threads on one built table. */
static void *resolve_many(void *arg)
{
    const fixture *f = arg;
    char tool[64], want[64];
    size_t round, i;

    for (round = 0; round < 50; round++) {
        for (i = 0; i < 100; i++) {
            const tg__conn *c;
            snprintf(tool, sizeof tool, "p%zu_tool", i);
            snprintf(want, sizeof want, "c%zu", i);
            c = tg__rules_resolve(f->rules, tool, strlen(tool));
            if (!c || strcmp(c->name, want) != 0)
                return (void *)1;
        }
    }
    return NULL;
}

static void test_concurrent_resolve(void **state)
{
    fixture *f = *state;
    char *json = malloc(1 << 16);
    pthread_t t[4];
    size_t n, i;

    assert_non_null(json);
    n = (size_t)sprintf(json, "{\"tools\":{\"prefixes\":{");
    for (i = 0; i < 100; i++)
        n += (size_t)sprintf(json + n, "%s\"p%zu_\":\"c%zu\"", i ? "," : "", i, i);
    sprintf(json + n, "}}}");
    build(f, json);
    free(json);
    for (i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, resolve_many, f), 0);
    for (i = 0; i < 4; i++) {
        void *ret = (void *)1;
        assert_int_equal(pthread_join(t[i], &ret), 0);
        assert_null(ret);
    }
}

/* Names alike in their first and last 8 bytes and their length (as a model
 * can be made to produce): their memo hashes differ, and the memo finds each
 * one after thousands of them. */
static void test_tool_memo_hash_whole_name(void **state)
{
    enum { N = 4000 };
    tg__tool_memo m;
    char name[32];
    uint64_t *h = malloc(N * sizeof *h);
    size_t i, distinct = 0;
    (void)state;

    assert_non_null(h);
    assert_int_equal(tg__tool_memo_init(&m, 0x1234567u), TG_OK);
    for (i = 0; i < N; i++) {
        snprintf(name, sizeof name, "gmail_se%06zu_email_01", i);
        h[i] = tg__tool_hash(&m, name, strlen(name));
        assert_non_null(tg__tool_memo_add(&m, name, strlen(name), h[i], NULL));
    }
    for (i = 1; i < N; i++)
        distinct += h[i] != h[0];
    assert_true(distinct >= N - 2);
    for (i = 0; i < N; i++) {
        const tg__tool *t;
        snprintf(name, sizeof name, "gmail_se%06zu_email_01", i);
        t = tg__tool_memo_find(&m, name, strlen(name), h[i]);
        assert_non_null(t);
        assert_string_equal(t->name, name);
    }
    /* Another seed, other hashes: they cannot be worked out from outside. */
    {
        tg__tool_memo m2;
        assert_int_equal(tg__tool_memo_init(&m2, 0x7654321u), TG_OK);
        assert_true(tg__tool_hash(&m2, name, strlen(name)) != h[N - 1]);
        tg__tool_memo_destroy(&m2);
    }
    tg__tool_memo_destroy(&m);
    free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_no_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exact_beats_prefix, setup, teardown),
        cmocka_unit_test_setup_teardown(test_longest_prefix_wins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prefix_not_only_at_underscore, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prefix_equal_to_tool, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exact_is_not_prefix, setup, teardown),
        cmocka_unit_test_setup_teardown(test_length_not_nul, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connections_interned, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_prefix_length, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prefix_length_gaps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_many_connections, setup, teardown),
        cmocka_unit_test_setup_teardown(test_build_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_resolve, setup, teardown),
        cmocka_unit_test(test_tool_memo_hash_whole_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
