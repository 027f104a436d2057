/*
 * Changes reach every process of a fleet: a signed webhook applied in one
 * worker process blocks a revoked account, and lets an activated one
 * through, in all the others (each keeps checking; the time from the
 * delivery to the first check that saw the change is printed); an event
 * without connection_name drops that identifier's entries everywhere; and
 * tg_gate_invalidate() of an account, a connection or everything fans out.
 * Afterwards the fleet asks the provider once per account again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"
#include "toolgate/toolgate.h"

#define WORKERS 4
/* How long a change may take to reach every process: generous, against
 * loaded machines; the figures printed are what it took. */
#define PROMPT_MS 5000
#define DETAILS "GET /api/v1/connected_accounts/details"

/* Gates over a fresh prefix in every worker, the provider's counters zeroed. */
static void open_all(const char *prefix)
{
    char cfg[2048];
    fl_opts o = { 0 };
    o.prefix = prefix;
    fl_config(&fleet, &o, cfg, sizeof cfg);
    assert_int_equal(fl_open(&fleet, 0, WORKERS, cfg), 0);
    assert_int_equal(tg_dev_post(&fleet.dev, "/_dev/reset", NULL), 200);
}

/* Check in worker @p i; the verdict's name must be @p verdict. */
static void expect(int i, const char *tool, const char *id, const char *verdict)
{
    fl_worker *w = &fleet.w[i];
    assert_int_equal(fl_do(&fleet, w, 20000, "check\t%s\t%s", tool, id), 0);
    if (strcmp(fl_field(w, 1), verdict) != 0)
        fail_msg("worker %d: %s for %s: %s (%s, from %s); want %s", i, tool, id, fl_field(w, 1),
                 fl_field(w, 2), fl_field(w, 3), verdict);
}

static void expect_all(const char *tool, const char *id, const char *verdict)
{
    int i;
    for (i = 0; i < WORKERS; i++)
        expect(i, tool, id, verdict);
}

/* A revoked account is blocked everywhere, without a status request. */
static void webhook_revokes_everywhere(void **state)
{
    long long before;
    (void)state;

    open_all("chg-revoke:");
    assert_int_equal(tg_dev_set_account(&fleet.dev, "gmail", "rev-1", "ACTIVE"), 200);
    expect_all("gmail_send", "rev-1", "ALLOW");
    assert_int_equal(tg_dev_stat(&fleet.dev, "routes", DETAILS), 1);
    /* The user disconnects: Scalekit knows, and says so by webhook. */
    assert_int_equal(tg_dev_set_account(&fleet.dev, "gmail", "rev-1", "REVOKED"), 200);
    before = tg_dev_stat(&fleet.dev, "routes", DETAILS);
    assert_int_equal(fl_fanout(&fleet, "a revocation", 0, "evt_rev_1", "gmail", "rev-1",
                               "REVOKED", "gmail_send", "NEEDS_AUTHORIZATION", PROMPT_MS, NULL),
                     0);
    expect(0, "gmail_send", "rev-1", "NEEDS_AUTHORIZATION");
    assert_string_equal(fl_field(&fleet.w[0], 2), "REVOKED");
    /* Each blocked decision carries a link, but no process asked for the
     * status. */
    assert_true(strncmp(fl_field(&fleet.w[0], 5), "http", 4) == 0);
    assert_int_equal(tg_dev_stat(&fleet.dev, "routes", DETAILS), before);
}

/* An account authorized meanwhile is let through everywhere, with no
 * provider request at all; a process that had not seen it reads it from
 * the fleet. */
static void webhook_activates_everywhere(void **state)
{
    long long before;
    char cfg[2048];
    fl_opts o = { 0 };
    (void)state;

    open_all("chg-activate:");
    assert_int_equal(tg_dev_set_account(&fleet.dev, "gmail", "act-1", "EXPIRED"), 200);
    expect_all("gmail_send", "act-1", "NEEDS_AUTHORIZATION");
    /* Its status and its link, once for the fleet. */
    assert_int_equal(fl_provider_requests(&fleet, "gmail", "act-1"), 2);
    assert_int_equal(tg_dev_set_account(&fleet.dev, "gmail", "act-1", "ACTIVE"), 200);
    before = fl_provider_requests(&fleet, "gmail", "act-1");
    assert_int_equal(fl_fanout(&fleet, "an activation", 0, "evt_act_1", "gmail", "act-1",
                               "ACTIVE", "gmail_send", "ALLOW", PROMPT_MS, NULL),
                     0);
    expect(0, "gmail_send", "act-1", "ALLOW");
    assert_int_equal(fl_provider_requests(&fleet, "gmail", "act-1"), before);

    /* A process that starts now is answered by the fleet. */
    assert_int_equal(fl_do(&fleet, &fleet.w[3], 20000, "close"), 0);
    o.prefix = "chg-activate:";
    fl_config(&fleet, &o, cfg, sizeof cfg);
    assert_int_equal(fl_open(&fleet, 3, 4, cfg), 0);
    expect(3, "gmail_send", "act-1", "ALLOW");
    assert_string_equal(fl_field(&fleet.w[3], 3), "shared");
    assert_int_equal(fl_provider_requests(&fleet, "gmail", "act-1"), before);
}

/* The monotonic time of the last change applied in a worker (its answer's
 * field @p i). */
static int64_t applied_at;

/* Wait in every worker until the entry is gone (try_check would need the
 * provider); print how long after applied_at each other than @p by saw it
 * gone. */
static void dropped(const char *what, int by, const char *tool, const char *id)
{
    int i;
    for (i = 0; i < WORKERS; i++)
        assert_int_equal(fl_send(&fleet.w[i], "untildrop\t%s\t%s\t%d", tool, id,
                                 PROMPT_MS * fleet.slow),
                         0);
    if (what)
        print_message("    %s reached the other processes in", what);
    for (i = 0; i < WORKERS; i++) {
        assert_int_equal(fl_recv(&fleet, &fleet.w[i], PROMPT_MS + 10000), 0);
        if (strcmp(fl_field(&fleet.w[i], 0), "ok") != 0)
            fail_msg("worker %d still holds %s for %s", i, tool, id);
        if (what && i != by)
            print_message(" %.1f", (double)(atoll(fl_field(&fleet.w[i], 1)) - applied_at) / 1000);
    }
    if (what)
        print_message(" ms\n");
}

/* After a drop, every process checks again: the fleet asks once. */
static void asked_once_more(const char *tool, const char *conn, const char *id,
                            const char *verdict)
{
    long long before = fl_provider_requests(&fleet, conn, id);
    expect_all(tool, id, verdict);
    if (fl_provider_requests(&fleet, conn, id) - before !=
        (strcmp(verdict, "ALLOW") == 0 ? 1 : 2))
        fail_msg("%s|%s: %lld requests after the drop", conn, id,
                 fl_provider_requests(&fleet, conn, id) - before);
}

/* An event that names no connection drops the identifier's entries in every
 * process, and the fleet's records of it; it sets no status. */
static void identifier_event_drops_everywhere(void **state)
{
    (void)state;

    open_all("chg-ident:");
    assert_int_equal(tg_dev_set_account(&fleet.dev, "gmail", "idn-1", "ACTIVE"), 200);
    assert_int_equal(tg_dev_set_account(&fleet.dev, "slack", "idn-1", "ACTIVE"), 200);
    expect_all("gmail_send", "idn-1", "ALLOW");
    expect_all("slack_post", "idn-1", "ALLOW");
    assert_int_equal(tg_dev_set_account(&fleet.dev, "gmail", "idn-1", "REVOKED"), 200);
    assert_int_equal(fl_send_webhook(&fleet, &fleet.w[0], "evt_idn_1",
                                     "connected_account.status_updated", 0, NULL, "idn-1",
                                     "ACTIVE"),
                     0);
    assert_int_equal(fl_recv(&fleet, &fleet.w[0], 20000), 0);
    assert_string_equal(fl_field(&fleet.w[0], 0), "ok");
    assert_string_equal(fl_field(&fleet.w[0], 1), "0"); /* TG_EVENT_APPLIED */
    applied_at = atoll(fl_field(&fleet.w[0], 2));
    dropped("an event without connection_name", 0, "gmail_send", "idn-1");
    dropped(NULL, 0, "slack_post", "idn-1");
    /* Not ACTIVE from the event: REVOKED, from the provider, once. */
    asked_once_more("gmail_send", "gmail", "idn-1", "NEEDS_AUTHORIZATION");
    asked_once_more("slack_post", "slack", "idn-1", "ALLOW");
}

static void invalidate_in(int i, const char *conn, const char *id)
{
    assert_int_equal(fl_do(&fleet, &fleet.w[i], 20000, "invalidate\t%s\t%s", conn, id), 0);
    applied_at = atoll(fl_field(&fleet.w[i], 1));
}

/* tg_gate_invalidate() in one process, for an account, a connection and
 * everything: every process drops what it held, and the fleet asks again
 * once per account. */
static void invalidation_fans_out(void **state)
{
    static const char *const ids[] = { "inv-1", "inv-2", "inv-3" };
    int i;
    (void)state;

    open_all("chg-inv:");
    for (i = 0; i < 3; i++) {
        assert_int_equal(tg_dev_set_account(&fleet.dev, "gmail", ids[i], "ACTIVE"), 200);
        assert_int_equal(tg_dev_set_account(&fleet.dev, "slack", ids[i], "ACTIVE"), 200);
        expect_all("gmail_send", ids[i], "ALLOW");
        expect_all("slack_post", ids[i], "ALLOW");
    }
    /* One account. */
    invalidate_in(1, "gmail", "inv-1");
    dropped("an account's invalidation", 1, "gmail_send", "inv-1");
    for (i = 0; i < WORKERS; i++) {
        assert_int_equal(fl_do(&fleet, &fleet.w[i], 20000, "try\tgmail_send\tinv-2"), 0);
        assert_string_equal(fl_field(&fleet.w[i], 3), "cache");
    }
    asked_once_more("gmail_send", "gmail", "inv-1", "ALLOW");
    /* A connection. */
    invalidate_in(2, "gmail", "-");
    for (i = 0; i < 3; i++)
        dropped(i ? NULL : "a connection's invalidation", 2, "gmail_send", ids[i]);
    for (i = 0; i < WORKERS; i++) {
        assert_int_equal(fl_do(&fleet, &fleet.w[i], 20000, "try\tslack_post\tinv-2"), 0);
        assert_string_equal(fl_field(&fleet.w[i], 3), "cache");
    }
    assert_int_equal(tg_dev_set_account(&fleet.dev, "gmail", "inv-2", "EXPIRED"), 200);
    asked_once_more("gmail_send", "gmail", "inv-2", "NEEDS_AUTHORIZATION");
    /* Everything. */
    invalidate_in(3, "-", "-");
    for (i = 0; i < 3; i++)
        dropped(i ? NULL : "invalidating everything", 3, "slack_post", ids[i]);
    dropped(NULL, 3, "gmail_send", "inv-2");
    asked_once_more("slack_post", "slack", "inv-3", "ALLOW");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        FL_TEST(webhook_revokes_everywhere),
        FL_TEST(webhook_activates_everywhere),
        FL_TEST(identifier_event_drops_everywhere),
        FL_TEST(invalidation_fans_out),
        FL_LAST,
    };
    fl_workers = WORKERS;
    return cmocka_run_group_tests(tests, fl_group_setup, fl_group_teardown);
}
