/* Test helper: a gate over the counting fake provider (fake_provider.h), with
 * an injected clock and a decision, plus event bodies to apply. Plain C with
 * cmocka assertions; one env per test. */
#ifndef TG_TEST_GATE_ENV_H
#define TG_TEST_GATE_ENV_H

#include <stdint.h>

#include "toolgate/toolgate.h"
#include "fake_provider.h"
#include "when.h"

typedef struct gate_env {
    fake f;
    int64_t now;     /* the gate's clock, ms; tests move it */
    tg_gate *g;
    tg_decision *d;
} gate_env;

/* A gate with tools gmail_* → gmail and slack_* → slack, unknown accounts
 * PENDING, links valid 10 minutes; @p extra_json is more top-level members
 * (e.g. "\"on_provider_error\":\"open\"") or NULL. */
gate_env *gate_env_new(const char *extra_json);
void gate_env_free(gate_env *e);

/* Check @p tool for @p id into e->d (failing the test on an error). */
tg_verdict gate_env_check(gate_env *e, const char *tool, const char *id);
tg_stats gate_env_stats(gate_env *e);

/* Apply a connected_account.* event; @p conn NULL leaves connection_name
 * out, @p status NULL leaves the status out. Returns tg_gate_apply_event's
 * result. */
int gate_env_event(gate_env *e, const char *id, const char *type, const char *occurred_at,
                   const char *conn, const char *ident, const char *status);

#endif
