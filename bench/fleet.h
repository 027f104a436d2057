/* toolgate-bench: the figures of a fleet of gates on one Redis — the pieces
 * bench/fleet.c shares with the figures in bench/fleet_*.c. */
#ifndef TG_BENCH_FLEET_H
#define TG_BENCH_FLEET_H

#include <stddef.h>
#include <sys/types.h>

#include "bench.h"
#include "dev.h"
#include "redis_server.h"

/* Accounts the dev server is seeded with, all ACTIVE gmail accounts. */
#define FLEET_ACCOUNTS 1200
/* An account no figure measures: for warming up connections and tokens. */
#define FLEET_WARM_ACCOUNT (FLEET_ACCOUNTS - 1)
/* The account of the webhook figure. */
#define FLEET_HOOK_ACCOUNT (FLEET_ACCOUNTS - 2)
/* A TTL no figure outlives. */
#define FLEET_LONG_TTL_MS 600000L

typedef struct fleet_env {
    const bench_opts *o;
    bench_dev dev;     /* the provider */
    bench_redis redis;
} fleet_env;

/* Account @p i's identifier ("fleet_000123@example.com"). */
void fleet_identifier(int i, char *buf, size_t cap);

/* A gate of the scalekit provider on the dev server, both TTLs @p ttl_ms;
 * with @p prefix, on the shared tier under that key prefix (ACTIVE entries
 * trusted for the whole TTL even before the gate has subscribed, so that no
 * figure depends on when it did). Dies on failure. */
tg_gate *fleet_gate(const fleet_env *e, const char *prefix, long ttl_ms);

/* Check account @p i with gmail_send_email; dies unless it is ALLOW from
 * @p source. */
void fleet_check(tg_gate *g, tg_decision *d, int i, tg_source source);

/* Memory shared with forked children (zeroed); fleet_unshare frees it. */
void *fleet_share(size_t size);
void fleet_unshare(void *p, size_t size);
/* Fork @p n children, each running @p child(index, arg) and then _exit with
 * its return value; wait for all (SIGKILL after @p limit_s). 0 when every
 * child returned 0, else -1. */
int fleet_fork(int n, int (*child)(int index, void *arg), void *arg, int limit_s);

void fleet_miss_figures(const fleet_env *e, bench_results *r);
void fleet_webhook_figures(const fleet_env *e, bench_results *r);
void fleet_request_figures(const fleet_env *e, bench_results *r);

#endif
