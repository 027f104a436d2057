/* Test helper: a gate over the fake provider (gate_env.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "event_body.h"
#include "gate_env.h"

static int64_t gate_env_clock(void *ctx)
{
    return ((gate_env *)ctx)->now;
}

gate_env *gate_env_new(const char *extra_json)
{
    char cfg[1024];
    gate_env *e = calloc(1, sizeof *e);
    int rc;

    assert_non_null(e);
    assert_int_equal(fake_init(&e->f, 256, TG_STATUS_PENDING, 1), 0);
    e->f.link_ttl_ms = 600000;
    e->now = 1000000;
    snprintf(cfg, sizeof cfg,
             "{\"tools\":{\"prefixes\":{\"gmail_\":\"gmail\",\"slack_\":\"slack\"}}%s%s}",
             extra_json ? "," : "", extra_json ? extra_json : "");
    rc = tg_gate_new_with_provider(&e->g, cfg, NULL, &fake_provider, &e->f);
    if (rc != TG_OK)
        fail_msg("gate: %s: %s", tg_strerror(rc), tg_error_message());
    tg_gate_set_clock(e->g, gate_env_clock, e);
    e->d = tg_decision_new();
    assert_non_null(e->d);
    return e;
}

void gate_env_free(gate_env *e)
{
    tg_decision_free(e->d);
    tg_gate_free(e->g);
    fake_destroy(&e->f);
    free(e);
}

tg_verdict gate_env_check(gate_env *e, const char *tool, const char *id)
{
    int rc = tg_gate_check(e->g, tool, id, e->d);
    if (rc != TG_OK)
        fail_msg("check %s %s: %s: %s", tool, id, tg_strerror(rc), tg_error_message());
    return tg_decision_verdict(e->d);
}

tg_stats gate_env_stats(gate_env *e)
{
    tg_stats s = TG_STATS_INIT;
    assert_int_equal(tg_gate_stats(e->g, &s), TG_OK);
    return s;
}

int gate_env_event(gate_env *e, const char *id, const char *type, const char *occurred_at,
                   const char *conn, const char *ident, const char *status)
{
    return event_apply(e->g, id, type, occurred_at, conn, ident, status);
}
