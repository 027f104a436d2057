/*
 * A gate's life cycle: built from a configuration (a file, or JSON in
 * memory), freed once. The check itself is in check.c; gate.h lists the
 * other parts.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "error.h"
#include "gate.h"

static int tg__cond_init_monotonic(pthread_cond_t *c)
{
    pthread_condattr_t a;
    int rc = pthread_condattr_init(&a);
    if (rc != 0)
        return rc;
    rc = pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    if (rc == 0)
        rc = pthread_cond_init(c, &a);
    pthread_condattr_destroy(&a);
    return rc;
}

static uint64_t tg__random_seed(void)
{
    uint64_t seed = 0;
    if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) != (ssize_t)sizeof seed)
        seed = (uint64_t)tg__wall_ms() ^ (uint64_t)(uintptr_t)&seed ^ (uint64_t)tg__mono_us();
    return seed;
}

/* Build the gate. @p base_dir: what relative paths are relative to (NULL:
 * the current directory for data files; provider modules then need an
 * absolute path). @p from: the file the configuration came from, or NULL. */
static int tg__gate_create(tg_gate **out, const char *json, const char *base_dir,
                           const tg__config_file *from, const tg_provider *vt, void *arg)
{
    tg__config cfg;
    tg_gate *g;
    char cwd[PATH_MAX];
    const char *module_base = base_dir;
    int rc;

    if (!out)
        return tg__fail(TG_EINVAL, "gate: NULL out pointer");
    *out = NULL;
    if (!json)
        return tg__fail(TG_EINVAL, "gate: NULL configuration");
    if (!base_dir) {
        if (!getcwd(cwd, sizeof cwd))
            return tg__fail(TG_EIO, "gate: cannot get the current directory: %s",
                            strerror(errno));
        base_dir = cwd;
    }
    rc = tg__config_parse(json, strlen(json), &cfg);
    if (rc != TG_OK)
        return rc;

    g = aligned_alloc(TG__CACHE_LINE,
                      (sizeof *g + TG__CACHE_LINE - 1) / TG__CACHE_LINE * TG__CACHE_LINE);
    if (!g) {
        tg__config_free(&cfg);
        return tg__fail(TG_ENOMEM, "gate: out of memory");
    }
    memset(g, 0, sizeof *g);
    g->seed = tg__random_seed();
    g->active_ttl_ms = cfg.active_ttl_ms;
    g->inactive_ttl_ms = cfg.inactive_ttl_ms;
    g->stale_grace_ms = cfg.stale_grace_ms;
    g->policy = cfg.on_provider_error;
    g->unmapped_deny = cfg.unmapped_deny;
    tg__seen_init(&g->seen, tg__random_seed());

    rc = tg__tool_memo_init(&g->tools, tg__random_seed());
    if (rc != TG_OK)
        goto fail_memo;
    rc = tg__conns_init(&g->conns);
    if (rc != TG_OK)
        goto fail_conns;
    rc = tg__rules_build(&cfg, &g->conns, &g->rules_owned);
    if (rc != TG_OK)
        goto fail_rules;
    g->rules = g->rules_owned;
    rc = tg__cache_init(&g->cache, (size_t)cfg.max_entries);
    if (rc != TG_OK)
        goto fail_cache;
    if (tg__flights_init(&g->flights) != 0) {
        rc = tg__fail(TG_ENOMEM, "gate: cannot create a lock");
        goto fail_flights;
    }
    if (tg__cond_init_monotonic(&g->changed) != 0) {
        rc = tg__fail(TG_ENOMEM, "gate: cannot create a condition variable");
        goto fail_cond;
    }
    if (vt)
        rc = tg__plugin_open_table(&g->plugin, vt, cfg.provider_json, base_dir, arg);
    else
        rc = tg__plugin_open(&g->plugin, cfg.provider_type, cfg.provider_json, module_base,
                             from);
    if (rc != TG_OK)
        goto fail_plugin;
    /* Last: from here on the fleet may deliver changes to the gate. */
    rc = tg__fleet_open(g, &cfg);
    if (rc != TG_OK)
        goto fail_fleet;
    tg__config_free(&cfg);
    tg__set_error("%s", ""); /* built: no failure to report */
    *out = g;
    return TG_OK;

fail_fleet:
    tg__plugin_close(&g->plugin);
fail_plugin:
    pthread_cond_destroy(&g->changed);
fail_cond:
    tg__flights_destroy(&g->flights);
fail_flights:
    tg__cache_destroy(&g->cache);
fail_cache:
    tg__rules_free(g->rules_owned);
fail_rules:
    tg__conns_destroy(&g->conns);
fail_conns:
    tg__tool_memo_destroy(&g->tools);
fail_memo:
    free(g);
    tg__config_free(&cfg);
    return rc;
}

int tg_gate_new_from_json(tg_gate **out, const char *config_json, const char *base_dir)
{
    return tg__gate_create(out, config_json, base_dir, NULL, NULL, NULL);
}

int tg_gate_new_with_provider(tg_gate **out, const char *config_json, const char *base_dir,
                              const struct tg_provider *provider, void *arg)
{
    if (!provider) {
        if (out)
            *out = NULL;
        return tg__fail(TG_EINVAL, "tg_gate_new_with_provider: NULL provider");
    }
    return tg__gate_create(out, config_json, base_dir, NULL, provider, arg);
}

int tg_gate_new_from_file(tg_gate **out, const char *config_path)
{
    tg__config_file file;
    int rc;

    if (out)
        *out = NULL;
    if (!out || !config_path)
        return tg__fail(TG_EINVAL, "tg_gate_new_from_file: NULL argument");
    rc = tg__config_read_file(config_path, &file);
    if (rc != TG_OK)
        return rc;
    rc = tg__gate_create(out, file.text, file.dir, &file, NULL, NULL);
    tg__config_file_free(&file);
    return rc;
}

void tg_gate_set_clock(tg_gate *g, tg_clock_fn fn, void *ctx)
{
    if (!g)
        return;
    g->clock = fn;
    g->clock_ctx = fn ? ctx : NULL;
}

void tg_gate_free(tg_gate *g)
{
    if (!g)
        return;
    tg__fleet_close(g); /* first: no change arrives after it */
    tg__plugin_close(&g->plugin);
    tg__flights_destroy(&g->flights);
    pthread_cond_destroy(&g->changed);
    tg__cache_destroy(&g->cache);
    tg__rules_free(g->rules_owned);
    tg__conns_destroy(&g->conns);
    tg__tool_memo_destroy(&g->tools);
    free(g);
}
