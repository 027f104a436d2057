/*
 * Model-based test of the cache and the gate.
 *
 * Random sequences (fixed seeds) of provider status changes, provider
 * failures (status and link separately), webhook events (status changes,
 * deletions, out-of-order occurred_at, replayed ids, malformed bodies),
 * invalidations, clock moves, links and checks run against a gate over the
 * counting fake provider and, step by step, against a reference model.
 *
 * The model follows docs/design.md ("A check, step by step", "When the
 * provider fails", "Events") for each (connection, identifier): whether an
 * entry is cached, its status and expiry, its link and when the gate stops
 * reusing it, when the provider was asked for its status (its as-of time, a
 * wall-clock window), and the occurred_at of the last event applied to it —
 * kept after the entry is dropped (a tombstone). Per identifier it follows
 * the time of the last event without a connection. Where the
 * gate's behaviour is not fully determined from outside — which entry CLOCK
 * evicts, and the wall-clock jitter in a link's reuse time — the model keeps
 * every state still possible for the key and drops the ones the gate's answer
 * rules out. Every check must match one possible state exactly: verdict,
 * status, link (by its serial number), source, staleness, reason kind, and
 * which provider calls were made (a fresh entry must be a hit).
 *
 * Independently of that, each step checks the plain invariants: ALLOW only
 * when the provider's last answer or the last applied event for the key was
 * ACTIVE within active_ttl_ms (or the decision says stale/open, under that
 * policy, after a provider failure); NEEDS_AUTHORIZATION only with a link,
 * for a known non-ACTIVE status, never in a step where the provider failed;
 * UNAVAILABLE only when the provider failed; stats.entries <= max_entries.
 *
 * Everything in a run derives from its seed: on_provider_error is seed % 3,
 * a small cache (evictions) when (seed / 3) % 2. On failure the seed and step
 * are printed; replay one run with
 *   TG_MODEL_SEED=<seed> [TG_MODEL_STEPS=<n>] [TG_MODEL_TRACE=1] test_model
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "toolgate/provider.h"
#include "toolgate/toolgate.h"
#include "event_body.h"
#include "fake_provider.h"

#define DEFAULT_STEPS 20000
#define MAX_IDS 20
#define MAXP 16              /* possible states kept per key */
#define SEEN_RING 4096       /* event ids the gate remembers (gate.c TG__SEEN_EVENTS) */
#define RECENT_EVENTS 64     /* bodies kept for replays */
#define LINK_SLACK_MS 5000   /* wall-clock time allowed between get_link and the store */
#define LINK_MARGIN_MS 30000 /* gate.c TG__LINK_MARGIN_MS */
#define LINK_DEFAULT_REUSE_MS 300000 /* gate.c TG__LINK_DEFAULT_REUSE_MS */
#define HOT_KEYS 3

enum { POLICY_CLOSED = 0, POLICY_STALE = 1, POLICY_OPEN = 2 };
static const char *const policy_names[] = { "closed", "stale", "open" };

/* ---- tools and connections --------------------------------------------------- */

#define N_CONNS 6
/* zendesk: no tool rule names it; reached by check_connection and events. */
static const char *const conns[N_CONNS] = { "gmail", "slack", "gadmin", "gcal", "notion",
                                            "zendesk" };

static const struct {
    const char *name;
    int conn;
} exact_rules[] = { { "gmail_send_email", 0 }, { "calendar", 3 }, { "slack_admin", 0 } };

static const struct {
    const char *prefix;
    int conn;
} prefix_rules[] = { { "gmail_", 0 }, { "gmail_admin_", 2 }, { "slack_", 1 }, { "notion", 4 } };

static const char *const tools[] = { "gmail_send_email", "gmail_read",  "gmail_admin_reset",
                                     "gmail_admin_",     "slack_post",  "slack_admin",
                                     "calendar",         "calendar_list", "notion",
                                     "notion_page",      "weather",     "gmail" };
#define N_TOOLS (sizeof tools / sizeof tools[0])

/* The model's own reading of docs/design.md §3 step 2: exact names, then the longest
 * prefix; -1 for an unmapped tool. */
static int model_resolve(const char *tool)
{
    size_t i, best_len = 0;
    int best = -1;
    for (i = 0; i < sizeof exact_rules / sizeof exact_rules[0]; i++)
        if (strcmp(tool, exact_rules[i].name) == 0)
            return exact_rules[i].conn;
    for (i = 0; i < sizeof prefix_rules / sizeof prefix_rules[0]; i++) {
        size_t n = strlen(prefix_rules[i].prefix);
        if (n <= strlen(tool) && strncmp(tool, prefix_rules[i].prefix, n) == 0 && n > best_len) {
            best_len = n;
            best = prefix_rules[i].conn;
        }
    }
    return best;
}

/* ---- random numbers ------------------------------------------------------------ */

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t rng_next(rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [0, n). */
static int64_t rng_below(rng *r, int64_t n)
{
    return n <= 0 ? 0 : (int64_t)(rng_next(r) % (uint64_t)n);
}

static int rng_pct(rng *r, int pct)
{
    return rng_below(r, 100) < pct;
}

/* ---- the model --------------------------------------------------------------------- */

/* One state the gate's cache may be in for a key. */
typedef struct mstate {
    int present;
    tg_status status;
    int64_t expires;        /* gate clock */
    int has_link;
    long link_n;            /* the fake's serial number of the cached link */
    int64_t link_exp;       /* its expires_at (wall ms) as the fake gave it */
    int64_t link_lo;        /* reused for now < link_lo for sure… */
    int64_t link_hi;        /* …and not for now >= link_hi */
    int64_t event_ms;       /* occurred_at of the last event applied (kept when the
                             * entry is dropped); NO_EVENT: none */
    int64_t asof_lo;        /* the provider was asked for the status at a wall time */
    int64_t asof_hi;        /* in [asof_lo, asof_hi] */
} mstate;

#define NO_EVENT INT64_MIN

typedef struct mkey {
    mstate p[MAXP];
    int np;
    int64_t allow_until;    /* invariant: ALLOW (not stale/open) only while now < this */
    int64_t stale_until;    /* invariant: stale ALLOW only while now < this */
} mkey;

/* What a check, a link call or an event did. */
typedef struct outcome {
    int rc;
    tg_verdict verdict;
    int has_status;
    tg_status status;
    long link_n;            /* 0: no link */
    int64_t link_exp;
    tg_source source;
    int stale;
    int why;                /* WHY_* below */
    int status_call, link_call, errors;
    int inserted;           /* a new cache entry was made (not observable) */
} outcome;

enum { WHY_STATUS, WHY_UNAVAILABLE, WHY_OPEN, WHY_STALE, WHY_UNMAPPED_ALLOW, WHY_UNMAPPED_DENY,
       WHY_OTHER };
static const char *const why_names[] = { "status", "unavailable", "open", "stale",
                                         "unmapped-allow", "unmapped-deny", "other" };

typedef struct run_cfg {
    unsigned long long seed;
    int policy;
    int small;
    long steps;
    int n_ids;
    int max_entries;
    int64_t active_ttl, inactive_ttl, grace, link_ttl;
    int unmapped_deny;
} run_cfg;

typedef struct recent_event {
    long serial;
    char body[1024];
} recent_event;

typedef struct model {
    run_cfg cfg;
    rng r;
    fake f;
    tg_gate *g;
    tg_decision *d;
    int64_t now;
    int trace;
    char ids[MAX_IDS][64];
    int hot[HOT_KEYS][2];    /* (connection, identifier) of the keys most steps use */
    mkey keys[N_CONNS][MAX_IDS];
    int fail_status, fail_link;     /* what the fake is told */
    /* events */
    int64_t ev_clock;               /* unix ms of the newest occurred_at so far */
    int64_t id_hz[MAX_IDS];         /* last event without a connection, per identifier */
    long ev_serial;
    long seen[SEEN_RING];           /* ids the gate remembers, a FIFO like its ring */
    size_t seen_n, seen_next;
    recent_event recent[RECENT_EVENTS];
    int n_recent, recent_next;
    /* counters the gate must agree with */
    uint64_t hits, misses, verdicts[4];
    uint64_t evictions;
    long step;
    char op[1200];
    /* figures */
    long n_checks, n_hits, n_events, n_evictions_seen, max_poss;
    long n_stale_allow, n_open_allow, n_unavailable;
} model;

static model *current; /* for the failure report */

static void dump_key(const model *m, int ci, int ii)
{
    const mkey *k = &m->keys[ci][ii];
    int j;
    fprintf(stderr, "  key %s/%s: %d possible state(s), allow_until %" PRId64 "\n", conns[ci],
            m->ids[ii], k->np, k->allow_until);
    for (j = 0; j < k->np; j++) {
        const mstate *s = &k->p[j];
        if (!s->present)
            fprintf(stderr, "    absent, event_ms %" PRId64 "\n", s->event_ms);
        else
            fprintf(stderr,
                    "    %s expires %" PRId64 " (now %+" PRId64 ") link %s n=%ld reuse<[%" PRId64
                    ",%" PRId64 ") event_ms %" PRId64 " asof [%" PRId64 ",%" PRId64 "]\n",
                    tg_status_name(s->status), s->expires, m->now - s->expires,
                    s->has_link ? "yes" : "no", s->link_n, s->link_lo, s->link_hi, s->event_ms,
                    s->asof_lo, s->asof_hi);
    }
}

static void print_outcome(const char *label, const outcome *o)
{
    fprintf(stderr,
            "  %s: rc %d verdict %s has_status %d status %s link_n %ld link_exp %" PRId64
            " source %d stale %d why %s calls status %d link %d errors %d\n",
            label, o->rc, tg_verdict_name(o->verdict), o->has_status, tg_status_name(o->status),
            o->link_n, o->link_exp, (int)o->source, o->stale, why_names[o->why], o->status_call,
            o->link_call, o->errors);
}

static void model_fail_at(model *m, int ci, int ii, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Report and stop: seed, step, operation, what differs, the key's states. */
static void model_fail_at(model *m, int ci, int ii, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr,
            "MODEL MISMATCH seed %llu step %ld (policy %s, max_entries %d, now %" PRId64
            ")\n  op: %s\n  %s\n",
            m->cfg.seed, m->step, policy_names[m->cfg.policy], m->cfg.max_entries, m->now, m->op,
            msg);
    if (ci >= 0 && ii >= 0)
        dump_key(m, ci, ii);
    fprintf(stderr, "  replay: TG_MODEL_SEED=%llu TG_MODEL_STEPS=%ld TG_MODEL_TRACE=1 test_model\n",
            m->cfg.seed, m->step + 1);
    fail_msg("model mismatch: seed %llu step %ld: %s", m->cfg.seed, m->step, msg);
}

#define FAIL(...) model_fail_at(m, -1, -1, __VA_ARGS__)
#define FAIL_KEY(ci, ii, ...) model_fail_at(m, ci, ii, __VA_ARGS__)

static int64_t model_clock(void *ctx)
{
    return ((model *)ctx)->now;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t ttl_of(const model *m, tg_status s)
{
    return s == TG_STATUS_ACTIVE ? m->cfg.active_ttl : m->cfg.inactive_ttl;
}

/* The gate's tg__link_refresh_at for a link fetched at @p now, as a window:
 * the provider's expiry and the gate's wall-clock read differ by 0 to
 * LINK_SLACK_MS. */
static int64_t link_reuse_for(int64_t left)
{
    int64_t margin;
    if (left <= 0)
        return 0;
    margin = left / 2 < LINK_MARGIN_MS ? left / 2 : LINK_MARGIN_MS;
    return left - margin;
}

static void new_link_window(const model *m, int64_t now, int64_t *lo, int64_t *hi)
{
    if (m->cfg.link_ttl == 0) {
        *lo = *hi = now + LINK_DEFAULT_REUSE_MS;
        return;
    }
    *lo = now + link_reuse_for(m->cfg.link_ttl - LINK_SLACK_MS);
    *hi = now + link_reuse_for(m->cfg.link_ttl);
}

static int state_equal(const mstate *a, const mstate *b)
{
    if (a->present != b->present || a->event_ms != b->event_ms)
        return 0;
    if (!a->present)
        return 1;
    if (a->status != b->status || a->expires != b->expires || a->has_link != b->has_link ||
        a->asof_lo != b->asof_lo || a->asof_hi != b->asof_hi)
        return 0;
    if (a->has_link && (a->link_n != b->link_n || a->link_exp != b->link_exp ||
                        a->link_lo != b->link_lo || a->link_hi != b->link_hi))
        return 0;
    return 1;
}

/* An absent key: nothing cached, its tombstone (if any) kept. */
static void make_absent(mstate *s)
{
    int64_t event_ms = s->event_ms;
    memset(s, 0, sizeof *s);
    s->event_ms = event_ms;
}

static void normalise(mstate *s)
{
    if (!s->present)
        make_absent(s);
    else if (!s->has_link)
        s->link_n = 0, s->link_exp = 0, s->link_lo = 0, s->link_hi = 0;
}

/* Add a state to a set, without duplicates. */
static void poss_add(model *m, int ci, int ii, mstate *set, int *n, const mstate *s)
{
    mstate t = *s;
    int j;
    normalise(&t);
    for (j = 0; j < *n; j++)
        if (state_equal(&set[j], &t))
            return;
    if (*n >= MAXP)
        FAIL_KEY(ci, ii, "the model holds more than %d possible states for a key", MAXP);
    set[(*n)++] = t;
}

/* The link-reuse answers possible at m->now: bit 0 "not reused", bit 1 "reused". */
static int link_branches(const model *m, const mstate *s)
{
    if (!s->present || !s->has_link || m->now >= s->link_hi)
        return 1;
    if (m->now < s->link_lo)
        return 2;
    return 3;
}

/* Record which answer the gate must have given about reusing the link. */
static void link_learned(const model *m, mstate *n, int reused)
{
    if (!n->has_link)
        return;
    if (reused) {
        if (n->link_lo < m->now + 1)
            n->link_lo = m->now + 1;
    } else {
        if (n->link_hi > m->now)
            n->link_hi = m->now;
        if (n->link_lo > n->link_hi)
            n->link_lo = n->link_hi;
    }
}

/* Inputs of a prediction that do not depend on the cache. */
typedef struct pctx {
    tg_status prov;     /* the provider's status for the key */
    long next_link;     /* serial of the next link the fake would hand out */
    int64_t new_link_exp;
    int64_t asof_lo, asof_hi; /* wall clock just before and after the call */
} pctx;

/* The cache's put: store a provider's status (and maybe a new link) for the
 * key. A new entry keeps the key's tombstone time. */
static void store_status(const model *m, mstate *n, outcome *o, const pctx *c, tg_status st,
                         int new_link, long link_n, int64_t link_exp)
{
    if (!n->present) {
        n->present = 1;
        n->has_link = 0;
        o->inserted = 1;
    }
    n->asof_lo = c->asof_lo;
    n->asof_hi = c->asof_hi;
    n->status = st;
    n->expires = m->now + ttl_of(m, st);
    if (new_link) {
        n->has_link = 1;
        n->link_n = link_n;
        n->link_exp = link_exp;
        new_link_window(m, m->now, &n->link_lo, &n->link_hi);
    } else if (st == TG_STATUS_ACTIVE) {
        n->has_link = 0;
    }
}

/* tg__fill_failure: a known status (from the provider when @p from_provider,
 * else from the cache) whose link failed is UNAVAILABLE under every policy;
 * an unknown one follows on_provider_error. */
static void predict_failure(const model *m, const mstate *s, int have_status, tg_status st,
                            int from_provider, outcome *o)
{
    o->has_status = have_status;
    o->status = have_status ? st : TG_STATUS_UNKNOWN;
    o->source = !have_status ? TG_SOURCE_NONE
                : from_provider ? TG_SOURCE_PROVIDER : TG_SOURCE_CACHE;
    o->link_n = 0;
    o->link_exp = 0;
    if (have_status) {
        o->verdict = TG_VERDICT_UNAVAILABLE;
        o->why = WHY_UNAVAILABLE;
        return;
    }
    if (m->cfg.policy == POLICY_OPEN) {
        o->verdict = TG_VERDICT_ALLOW;
        o->why = WHY_OPEN;
        return;
    }
    if (m->cfg.policy == POLICY_STALE && s->present &&
        s->status == TG_STATUS_ACTIVE && m->now - s->expires < m->cfg.grace) {
        o->verdict = TG_VERDICT_ALLOW;
        o->why = WHY_STALE;
        o->has_status = 1;
        o->status = TG_STATUS_ACTIVE;
        o->source = TG_SOURCE_CACHE;
        o->stale = 1;
        return;
    }
    o->verdict = TG_VERDICT_UNAVAILABLE;
    o->why = WHY_UNAVAILABLE;
}

/* A check of a mapped key in state @p s, with the link reused or not. */
static void predict_check(const model *m, const mstate *s, int reused, const pctx *c, outcome *o,
                          mstate *n)
{
    int fresh = s->present && m->now < s->expires;
    int need_status, fail_status = m->fail_status, fail_link = m->fail_link;
    tg_status st;

    memset(o, 0, sizeof *o);
    *n = *s;
    o->why = WHY_STATUS;
    o->has_status = 1;
    if (fresh && s->status == TG_STATUS_ACTIVE) {
        o->verdict = TG_VERDICT_ALLOW;
        o->status = TG_STATUS_ACTIVE;
        o->source = TG_SOURCE_CACHE;
        return;
    }
    link_learned(m, n, reused);
    if (fresh && reused) {
        o->verdict = TG_VERDICT_NEEDS_AUTHORIZATION;
        o->status = s->status;
        o->link_n = s->link_n;
        o->link_exp = s->link_exp;
        o->source = TG_SOURCE_CACHE;
        return;
    }
    need_status = !fresh;
    if (need_status) {
        o->status_call = 1;
        if (fail_status) {
            *n = *s; /* nothing learned, nothing stored */
            o->errors = 1;
            predict_failure(m, s, 0, TG_STATUS_UNKNOWN, 0, o);
            return;
        }
        st = c->prov;
    } else {
        st = s->status;
    }
    if (st != TG_STATUS_ACTIVE && !reused) {
        o->link_call = 1;
        if (fail_link) {
            o->errors = 1;
            if (need_status)
                store_status(m, n, o, c, st, 0, 0, 0);
            predict_failure(m, n, 1, st, need_status, o);
            return;
        }
        o->verdict = TG_VERDICT_NEEDS_AUTHORIZATION;
        o->status = st;
        o->link_n = c->next_link;
        o->link_exp = c->new_link_exp;
        o->source = need_status ? TG_SOURCE_PROVIDER : TG_SOURCE_CACHE;
        if (need_status) {
            store_status(m, n, o, c, st, 1, c->next_link, c->new_link_exp);
        } else {
            n->has_link = 1;
            n->link_n = c->next_link;
            n->link_exp = c->new_link_exp;
            new_link_window(m, m->now, &n->link_lo, &n->link_hi);
        }
        return;
    }
    o->status = st;
    o->source = TG_SOURCE_PROVIDER;
    if (st == TG_STATUS_ACTIVE) {
        o->verdict = TG_VERDICT_ALLOW;
    } else {
        o->verdict = TG_VERDICT_NEEDS_AUTHORIZATION;
        o->link_n = s->link_n;
        o->link_exp = s->link_exp;
    }
    store_status(m, n, o, c, st, 0, 0, 0);
}

/* tg_gate_link on a key in state @p s. */
static void predict_link(const model *m, const mstate *s, int reused, const pctx *c, outcome *o,
                         mstate *n)
{
    memset(o, 0, sizeof *o);
    *n = *s;
    link_learned(m, n, reused);
    if (s->present && s->has_link && reused) {
        o->link_n = s->link_n;
        o->link_exp = s->link_exp;
        return;
    }
    o->link_call = 1;
    if (m->fail_link) {
        o->errors = 1;
        o->rc = m->fail_link == FAKE_BAD ? TG_EPROVIDER : m->fail_link;
        return;
    }
    o->link_n = c->next_link;
    o->link_exp = c->new_link_exp;
    if (n->present) {
        n->has_link = 1;
        n->link_n = c->next_link;
        n->link_exp = c->new_link_exp;
        new_link_window(m, m->now, &n->link_lo, &n->link_hi);
    }
}

static int outcome_equal(const outcome *a, const outcome *b)
{
    return a->rc == b->rc && a->verdict == b->verdict && a->has_status == b->has_status &&
           a->status == b->status && a->link_n == b->link_n &&
           (a->link_n == 0 || a->link_exp == b->link_exp) && a->source == b->source &&
           a->stale == b->stale && a->why == b->why && a->status_call == b->status_call &&
           a->link_call == b->link_call && a->errors == b->errors;
}

/* ---- observing the gate ------------------------------------------------------------ */

/* The serial of a link the fake made for this key; fails on any other text
 * (a link of another key, or garbage). */
static long link_serial(model *m, int ci, int ii, const char *link)
{
    char prefix[256];
    size_t n;
    char *end;
    long k;
    if (!link)
        return 0;
    fake_link_prefix(prefix, sizeof prefix, conns[ci], m->ids[ii]);
    n = strlen(prefix);
    if (strncmp(link, prefix, n) != 0)
        FAIL_KEY(ci, ii, "link \"%s\" is not one of this key's links", link);
    k = strtol(link + n, &end, 10);
    if (*end || k <= 0)
        FAIL_KEY(ci, ii, "link \"%s\" has no serial", link);
    return k;
}

static int why_of(const char *reason)
{
    if (strstr(reason, "was skipped (on_provider_error is open)"))
        return WHY_OPEN;
    if (strstr(reason, "so that cached status was used"))
        return WHY_STALE;
    if (strstr(reason, "try again later"))
        return WHY_UNAVAILABLE;
    if (strstr(reason, "unmapped tools are allowed"))
        return WHY_UNMAPPED_ALLOW;
    if (strstr(reason, "unmapped tools are denied"))
        return WHY_UNMAPPED_DENY;
    if (strstr(reason, " account of "))
        return WHY_STATUS;
    return WHY_OTHER;
}

typedef struct snap {
    fake_account a;
    long status_calls, link_calls, errors;
} snap;

static snap take_snap(model *m, int ci, int ii)
{
    snap s;
    s.a = fake_get(&m->f, conns[ci], m->ids[ii]);
    fake_totals(&m->f, &s.status_calls, &s.link_calls, &s.errors);
    return s;
}

/* Provider calls of the step, which must all be for this key. */
static void observe_calls(model *m, int ci, int ii, const snap *before, const snap *after,
                          outcome *o)
{
    long sc = after->a.status_calls - before->a.status_calls;
    long lc = after->a.link_calls - before->a.link_calls;
    if (after->status_calls - before->status_calls != sc ||
        after->link_calls - before->link_calls != lc)
        FAIL_KEY(ci, ii, "provider calls for another key: status %ld link %ld, this key %ld %ld",
                 after->status_calls - before->status_calls,
                 after->link_calls - before->link_calls, sc, lc);
    if (sc > 1 || lc > 1)
        FAIL_KEY(ci, ii, "%ld status and %ld link calls in one check", sc, lc);
    o->status_call = (int)sc;
    o->link_call = (int)lc;
    o->errors = (int)(after->errors - before->errors);
}

/* ---- after every step: counters, bounds, evictions ------------------------------------ */

static void check_stats(model *m, int ins_ci, int ins_ii, int inserted_possible)
{
    tg_stats s = TG_STATS_INIT;
    long sc, lc, errs;
    uint64_t surely = 0, possibly = 0, delta;
    int ci, ii, j;

    if (tg_gate_stats(m->g, &s) != TG_OK)
        FAIL("tg_gate_stats: %s", tg_error_message());
    fake_totals(&m->f, &sc, &lc, &errs);
    if (s.entries > (uint64_t)m->cfg.max_entries)
        FAIL("stats.entries %" PRIu64 " > max_entries %d", s.entries, m->cfg.max_entries);
    if (s.hits != m->hits || s.misses != m->misses)
        FAIL("stats hits/misses %" PRIu64 "/%" PRIu64 ", model %" PRIu64 "/%" PRIu64, s.hits,
             s.misses, m->hits, m->misses);
    for (j = 0; j < 4; j++)
        if (s.verdicts[j] != m->verdicts[j])
            FAIL("stats.verdicts[%s] %" PRIu64 ", model %" PRIu64,
                 tg_verdict_name((tg_verdict)j), s.verdicts[j], m->verdicts[j]);
    if (s.provider_calls != (uint64_t)(sc + lc) || s.provider_errors != (uint64_t)errs)
        FAIL("stats provider calls/errors %" PRIu64 "/%" PRIu64 ", fake counted %ld/%ld",
             s.provider_calls, s.provider_errors, sc + lc, errs);

    delta = s.evictions - m->evictions;
    m->evictions = s.evictions;
    if (delta > 1)
        FAIL("%" PRIu64 " evictions in one step", delta);
    if (delta == 1) {
        if (!inserted_possible)
            FAIL("an eviction in a step that inserted nothing");
        m->n_evictions_seen++;
        /* Any other cached key may be the one CLOCK dropped. */
        for (ci = 0; ci < N_CONNS; ci++)
            for (ii = 0; ii < m->cfg.n_ids; ii++) {
                mkey *k = &m->keys[ci][ii];
                int n0 = k->np;
                if (ci == ins_ci && ii == ins_ii)
                    continue;
                /* Evicted, its event time kept as a tombstone. */
                for (j = 0; j < n0; j++)
                    if (k->p[j].present) {
                        mstate gone = k->p[j];
                        make_absent(&gone);
                        poss_add(m, ci, ii, k->p, &k->np, &gone);
                    }
            }
    }

    /* The entry count the model allows, and what it tells about uncertain keys. */
    for (ci = 0; ci < N_CONNS; ci++)
        for (ii = 0; ii < m->cfg.n_ids; ii++) {
            mkey *k = &m->keys[ci][ii];
            int any = 0, all = 1;
            for (j = 0; j < k->np; j++) {
                any |= k->p[j].present;
                all &= k->p[j].present;
            }
            surely += (uint64_t)all;
            possibly += (uint64_t)any;
        }
    if (s.entries < surely || s.entries > possibly)
        FAIL("stats.entries %" PRIu64 ", model allows %" PRIu64 "..%" PRIu64, s.entries, surely,
             possibly);
    if (surely != possibly && (s.entries == surely || s.entries == possibly)) {
        int keep_present = s.entries == possibly;
        for (ci = 0; ci < N_CONNS; ci++)
            for (ii = 0; ii < m->cfg.n_ids; ii++) {
                mkey *k = &m->keys[ci][ii];
                int w = 0;
                for (j = 0; j < k->np; j++)
                    if (k->p[j].present == keep_present)
                        k->p[w++] = k->p[j];
                if (w > 0)
                    k->np = w;
            }
    }
    for (ci = 0; ci < N_CONNS; ci++)
        for (ii = 0; ii < m->cfg.n_ids; ii++)
            if (m->keys[ci][ii].np > m->max_poss)
                m->max_poss = m->keys[ci][ii].np;
}

/* ---- steps ----------------------------------------------------------------------------- */

static void invariants_after_check(model *m, int ci, int ii, const outcome *o, const char *link)
{
    const mkey *k = &m->keys[ci][ii];
    switch (o->verdict) {
    case TG_VERDICT_ALLOW:
        if (o->why == WHY_OPEN) {
            if (m->cfg.policy != POLICY_OPEN || o->errors == 0)
                FAIL_KEY(ci, ii, "ALLOW \"check skipped\" without an open policy and a failure");
        } else if (o->stale) {
            if (m->cfg.policy != POLICY_STALE || o->errors == 0 || o->why != WHY_STALE ||
                o->status != TG_STATUS_ACTIVE)
                FAIL_KEY(ci, ii, "stale ALLOW without a stale policy and a failure");
            if (!(m->now < k->stale_until))
                FAIL_KEY(ci, ii, "stale ALLOW, but the last ACTIVE answer is older than "
                                 "active_ttl + stale_grace");
            m->n_stale_allow++;
        } else {
            if (o->why != WHY_STATUS || o->status != TG_STATUS_ACTIVE)
                FAIL_KEY(ci, ii, "ALLOW whose decision does not say ACTIVE");
            if (!(m->now < k->allow_until))
                FAIL_KEY(ci, ii, "ALLOW, but the provider's last answer and the last applied "
                                 "event were not ACTIVE within active_ttl_ms");
        }
        if (link)
            FAIL_KEY(ci, ii, "ALLOW with a link");
        break;
    case TG_VERDICT_NEEDS_AUTHORIZATION:
        if (!link)
            FAIL_KEY(ci, ii, "NEEDS_AUTHORIZATION without a link");
        if (!o->has_status || o->status == TG_STATUS_ACTIVE)
            FAIL_KEY(ci, ii, "NEEDS_AUTHORIZATION without a known non-ACTIVE status");
        if (o->errors)
            FAIL_KEY(ci, ii, "NEEDS_AUTHORIZATION in a step where the provider failed");
        break;
    case TG_VERDICT_UNAVAILABLE:
        if (!o->errors)
            FAIL_KEY(ci, ii, "UNAVAILABLE but the provider did not fail");
        if (link)
            FAIL_KEY(ci, ii, "UNAVAILABLE with a link");
        m->n_unavailable++;
        break;
    default:
        FAIL_KEY(ci, ii, "verdict %s for a mapped tool", tg_verdict_name(o->verdict));
    }
    if (o->why == WHY_OPEN)
        m->n_open_allow++;
}

/* What the invariants learn from a provider answer in this step. */
static void invariants_learn_answer(model *m, int ci, int ii, const snap *before, const snap *after)
{
    mkey *k = &m->keys[ci][ii];
    long sc = after->a.status_calls - before->a.status_calls;
    int failed = m->fail_status != 0;
    if (sc == 1 && !failed) {
        if (before->a.status == TG_STATUS_ACTIVE) {
            k->allow_until = m->now + m->cfg.active_ttl;
            k->stale_until = k->allow_until + m->cfg.grace;
        } else {
            k->allow_until = k->stale_until = INT64_MIN;
        }
    }
}

/* A check (through a tool, or of a connection when @p tool is NULL). */
static void step_check(model *m, const char *tool, int ci, int ii)
{
    mkey *k;
    snap before, after;
    outcome obs, pred;
    mstate next[MAXP], n;
    int nn = 0, j, b, matched = 0, inserted = 0, rc;
    pctx c;
    const char *link;

    before = take_snap(m, ci >= 0 ? ci : 0, ii);
    c.asof_lo = wall_ms();
    rc = tool ? tg_gate_check(m->g, tool, m->ids[ii], m->d)
              : tg_gate_check_connection(m->g, conns[ci], m->ids[ii], m->d);
    c.asof_hi = wall_ms();
    if (rc != TG_OK)
        FAIL("check returned %d: %s", rc, tg_error_message());
    m->n_checks++;
    m->verdicts[tg_decision_verdict(m->d)]++;

    /* The decision names what was asked. */
    if (strcmp(tg_decision_identifier(m->d), m->ids[ii]) != 0)
        FAIL("decision identifier \"%s\"", tg_decision_identifier(m->d));
    if ((tool && (!tg_decision_tool(m->d) || strcmp(tg_decision_tool(m->d), tool) != 0)) ||
        (!tool && tg_decision_tool(m->d)))
        FAIL("decision tool \"%s\"", tg_decision_tool(m->d) ? tg_decision_tool(m->d) : "(null)");

    if (ci < 0) { /* unmapped tool */
        after = take_snap(m, 0, ii);
        if (tg_decision_connection(m->d))
            FAIL("unmapped tool %s got connection %s", tool, tg_decision_connection(m->d));
        if (after.status_calls != before.status_calls || after.link_calls != before.link_calls)
            FAIL("unmapped tool %s asked the provider", tool);
        if (tg_decision_verdict(m->d) !=
                (m->cfg.unmapped_deny ? TG_VERDICT_DENY : TG_VERDICT_ALLOW) ||
            tg_decision_link(m->d) || tg_decision_has_status(m->d) ||
            why_of(tg_decision_reason(m->d)) !=
                (m->cfg.unmapped_deny ? WHY_UNMAPPED_DENY : WHY_UNMAPPED_ALLOW))
            FAIL("unmapped tool %s: verdict %s, reason \"%s\"", tool,
                 tg_verdict_name(tg_decision_verdict(m->d)), tg_decision_reason(m->d));
        check_stats(m, -1, -1, 0);
        return;
    }

    k = &m->keys[ci][ii];
    after = take_snap(m, ci, ii);
    if (!tg_decision_connection(m->d) || strcmp(tg_decision_connection(m->d), conns[ci]) != 0)
        FAIL_KEY(ci, ii, "decision connection %s, model %s",
                 tg_decision_connection(m->d) ? tg_decision_connection(m->d) : "(null)",
                 conns[ci]);
    memset(&obs, 0, sizeof obs);
    observe_calls(m, ci, ii, &before, &after, &obs);
    obs.verdict = tg_decision_verdict(m->d);
    obs.has_status = tg_decision_has_status(m->d);
    obs.status = tg_decision_status(m->d);
    link = tg_decision_link(m->d);
    obs.link_n = link_serial(m, ci, ii, link);
    obs.link_exp = tg_decision_link_expires_at(m->d);
    obs.source = tg_decision_source(m->d);
    obs.stale = tg_decision_stale(m->d);
    obs.why = why_of(tg_decision_reason(m->d));
    if (obs.why == WHY_OTHER)
        FAIL_KEY(ci, ii, "reason \"%s\"", tg_decision_reason(m->d));
    if (obs.why == WHY_STATUS) {
        char want[256];
        snprintf(want, sizeof want, "%s account of %s ", conns[ci], m->ids[ii]);
        if (strncmp(tg_decision_reason(m->d), want, strlen(want)) != 0)
            FAIL_KEY(ci, ii, "reason \"%s\" does not name the account", tg_decision_reason(m->d));
    }

    invariants_learn_answer(m, ci, ii, &before, &after);
    invariants_after_check(m, ci, ii, &obs, link);

    c.prov = before.a.status;
    c.next_link = before.a.links + 1;
    c.new_link_exp = after.a.link_expires_at;
    for (j = 0; j < k->np; j++) {
        int br = link_branches(m, &k->p[j]);
        for (b = 0; b < 2; b++) {
            if (!(br & (1 << b)))
                continue;
            predict_check(m, &k->p[j], b, &c, &pred, &n);
            if (!outcome_equal(&pred, &obs))
                continue;
            matched = 1;
            inserted |= pred.inserted;
            poss_add(m, ci, ii, next, &nn, &n);
        }
    }
    if (!matched) {
        print_outcome("gate ", &obs);
        for (j = 0; j < k->np; j++) {
            int br = link_branches(m, &k->p[j]);
            for (b = 0; b < 2; b++)
                if (br & (1 << b)) {
                    char label[64];
                    predict_check(m, &k->p[j], b, &c, &pred, &n);
                    snprintf(label, sizeof label, "model[%d]%s", j, b ? " (link reused)" : "");
                    print_outcome(label, &pred);
                }
        }
        FAIL_KEY(ci, ii, "the check's outcome matches no state the model allows "
                         "(provider status %s, failing status %d link %d)",
                 tg_status_name(c.prov), m->fail_status, m->fail_link);
    }
    memcpy(k->p, next, sizeof next[0] * (size_t)nn);
    k->np = nn;
    if (obs.status_call || obs.link_call)
        m->misses++;
    else
        m->hits++, m->n_hits++;
    check_stats(m, ci, ii, inserted);
}

static void step_link(model *m, int ci, int ii)
{
    mkey *k = &m->keys[ci][ii];
    snap before, after;
    outcome obs, pred;
    mstate next[MAXP], n;
    char buf[TG_LINK_MAX + 1];
    size_t needed = 0;
    int64_t exp = -1;
    int nn = 0, j, b, matched = 0;
    pctx c;

    before = take_snap(m, ci, ii);
    memset(&obs, 0, sizeof obs);
    c.asof_lo = c.asof_hi = 0; /* a link call stores no status */
    obs.rc = tg_gate_link(m->g, conns[ci], m->ids[ii], buf, sizeof buf, &needed, &exp);
    after = take_snap(m, ci, ii);
    observe_calls(m, ci, ii, &before, &after, &obs);
    if (obs.rc == TG_OK) {
        if (needed != strlen(buf) + 1)
            FAIL_KEY(ci, ii, "tg_gate_link: needed %zu for \"%s\"", needed, buf);
        obs.link_n = link_serial(m, ci, ii, buf);
        obs.link_exp = exp;
    }
    c.prov = before.a.status;
    c.next_link = before.a.links + 1;
    c.new_link_exp = after.a.link_expires_at;
    for (j = 0; j < k->np; j++) {
        int br = link_branches(m, &k->p[j]);
        for (b = 0; b < 2; b++) {
            if (!(br & (1 << b)))
                continue;
            predict_link(m, &k->p[j], b, &c, &pred, &n);
            if (!outcome_equal(&pred, &obs))
                continue;
            matched = 1;
            poss_add(m, ci, ii, next, &nn, &n);
        }
    }
    if (!matched) {
        print_outcome("gate ", &obs);
        FAIL_KEY(ci, ii, "tg_gate_link's outcome matches no state the model allows");
    }
    memcpy(k->p, next, sizeof next[0] * (size_t)nn);
    k->np = nn;
    check_stats(m, -1, -1, 0);
}

/* The key's entry is dropped, whatever state it was in; each state's event
 * time stays as its tombstone. */
static void key_dropped(model *m, int ci, int ii)
{
    mkey *k = &m->keys[ci][ii];
    mstate next[MAXP];
    int j, nn = 0;
    for (j = 0; j < k->np; j++) {
        mstate n = k->p[j];
        make_absent(&n);
        poss_add(m, ci, ii, next, &nn, &n);
    }
    memcpy(k->p, next, sizeof next[0] * (size_t)nn);
    k->np = nn;
}

static void step_invalidate(model *m, int ci, int ii)
{
    int c0, c1, i0, i1, x, y;
    int rc = tg_gate_invalidate(m->g, ci >= 0 ? conns[ci] : NULL, ii >= 0 ? m->ids[ii] : NULL);
    if (rc != TG_OK)
        FAIL("tg_gate_invalidate: %d", rc);
    c0 = ci >= 0 ? ci : 0;
    c1 = ci >= 0 ? ci + 1 : N_CONNS;
    i0 = ii >= 0 ? ii : 0;
    i1 = ii >= 0 ? ii + 1 : m->cfg.n_ids;
    /* Dropped; each entry's event time stays as its tombstone. */
    for (x = c0; x < c1; x++)
        for (y = i0; y < i1; y++) {
            key_dropped(m, x, y);
        }
    check_stats(m, -1, -1, 0);
}

/* ---- events ------------------------------------------------------------------------------- */

static const char *status_text(rng *r, tg_status s, char *buf, size_t len)
{
    static const char *const names[][3] = {
        [TG_STATUS_UNKNOWN] = { "CONNECTION_STATUS_UNSPECIFIED", "UNKNOWN", NULL },
        [TG_STATUS_ACTIVE] = { "ACTIVE", "active", NULL },
        [TG_STATUS_EXPIRED] = { "EXPIRED", "expired", NULL },
        [TG_STATUS_PENDING] = { "PENDING_AUTH", "PENDING", NULL },
        [TG_STATUS_PENDING_VERIFICATION] = { "PENDING_VERIFICATION", NULL, NULL },
        [TG_STATUS_REVOKED] = { "DISCONNECTED", "REVOKED", NULL },
        [TG_STATUS_NOT_FOUND] = { "NOT_FOUND", NULL, NULL },
    };
    int pick = (int)rng_below(r, 3);
    if (pick == 2 && s != TG_STATUS_NOT_FOUND) { /* the wire number */
        snprintf(buf, len, "%d", (int)s);
        return buf;
    }
    if (pick == 1 && names[s][1])
        snprintf(buf, len, "\"%s\"", names[s][1]);
    else
        snprintf(buf, len, "\"%s\"", names[s][0]);
    return buf;
}

static void format_time(int64_t unix_ms, char *buf, size_t len)
{
    time_t secs = (time_t)(unix_ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(unix_ms % 1000));
}

static void model_event_body(char *body, size_t len, long serial, const char *type,
                             int64_t at_ms, const char *conn, const char *id,
                             const char *status_json)
{
    char at[64], evt[32];
    format_time(at_ms, at, sizeof at);
    snprintf(evt, sizeof evt, "evt_%ld", serial);
    event_body(body, len, evt, type, at, conn, id, status_json);
}

/* The gate's ring of event ids: 1 when @p serial is in it, else remember it. */
static int model_seen(model *m, long serial)
{
    size_t i;
    for (i = 0; i < m->seen_n; i++)
        if (m->seen[i] == serial)
            return 1;
    m->seen[m->seen_next] = serial;
    m->seen_next = (m->seen_next + 1) % SEEN_RING;
    if (m->seen_n < SEEN_RING)
        m->seen_n++;
    return 0;
}

enum { EV_STALE, EV_APPLIED };

/* An event naming its account, on a key in state @p s: STALE, or APPLIED
 * with the one or two states the key may be in after it (two when the event
 * falls inside the window of the provider's as-of time). */
static int predict_event(const model *m, int ii, const mstate *s, int deleted, tg_status st,
                         int64_t at_ms, mstate out[2], int *n_out)
{
    int64_t hz = s->event_ms > m->id_hz[ii] ? s->event_ms : m->id_hz[ii];
    mstate dropped = *s, updated = *s;

    *n_out = 1;
    out[0] = *s;
    if (at_ms <= hz)
        return EV_STALE;
    /* A tombstone at the event's time, the entry gone. */
    make_absent(&dropped);
    dropped.event_ms = at_ms;
    if (deleted) {
        out[0] = dropped;
        return EV_APPLIED;
    }
    if (!s->present)
        return EV_APPLIED; /* events never create entries */
    updated.status = st;
    updated.expires = m->now + ttl_of(m, st);
    if (st == TG_STATUS_ACTIVE)
        updated.has_link = 0;
    updated.event_ms = at_ms;
    if (at_ms <= s->asof_lo) {
        out[0] = dropped;  /* older than the provider's answer */
    } else if (at_ms > s->asof_hi) {
        out[0] = updated;
    } else {
        out[0] = dropped;
        out[1] = updated;
        *n_out = 2;
    }
    return EV_APPLIED;
}

static void invariants_learn_event(model *m, int ci, int ii, int deleted, tg_status st,
                                   int certain)
{
    mkey *k = &m->keys[ci][ii];
    if (!deleted && st == TG_STATUS_ACTIVE) {
        int64_t until = m->now + m->cfg.active_ttl;
        if (until > k->allow_until || certain) {
            k->allow_until = until;
            k->stale_until = until + m->cfg.grace;
        }
    } else if (certain) {
        k->allow_until = k->stale_until = INT64_MIN;
    }
}

static void step_event(model *m, int ci, int ii)
{
    char body[1024], stbuf[64];
    int kind = (int)rng_below(&m->r, 100), conn_given = 1, deleted = 0, rc, want;
    int x, j;
    tg_status st = TG_STATUS_UNKNOWN;
    int64_t at;
    long serial;
    size_t len;

    m->n_events++;
    /* occurred_at: mostly later than any so far (and than any provider answer),
     * sometimes older, sometimes equal, sometimes about when the provider
     * answered. */
    x = (int)rng_below(&m->r, 100);
    if (x < 65)
        m->ev_clock += 1 + rng_below(&m->r, 5000);
    at = x < 65   ? m->ev_clock
         : x < 82 ? m->ev_clock - rng_below(&m->r, 20000)
         : x < 90 ? m->ev_clock
                  : wall_ms() - rng_below(&m->r, 3000);

    if (kind < 10 && m->n_recent > 0) {
        /* A replay: the same id, as received before or with a new body. */
        recent_event *e = &m->recent[rng_below(&m->r, m->n_recent)];
        if (rng_pct(&m->r, 50)) {
            snprintf(body, sizeof body, "%s", e->body);
        } else {
            st = (tg_status)rng_below(&m->r, 7);
            model_event_body(body, sizeof body, e->serial, "connected_account.status_updated",
                       m->ev_clock + 1, conns[ci], m->ids[ii],
                       status_text(&m->r, st, stbuf, sizeof stbuf));
        }
        snprintf(m->op, sizeof m->op, "event replay of evt_%ld: %s", e->serial, body);
        if (m->trace)
            printf("  %s\n", m->op);
        rc = tg_gate_apply_event(m->g, body, strlen(body));
        want = model_seen(m, e->serial) ? TG_EVENT_DUPLICATE : -100;
        if (want == -100)
            FAIL("model: a replayed id fell out of the ring of ids");
        if (rc != want)
            FAIL("replayed event: %d, want TG_EVENT_DUPLICATE", rc);
        check_stats(m, -1, -1, 0);
        return;
    }

    serial = ++m->ev_serial;
    if (kind < 15) {
        /* Malformed: refused, remembered nowhere. */
        if (rng_pct(&m->r, 50))
            model_event_body(body, sizeof body, serial, "connected_account.status_updated", at,
                       conns[ci], m->ids[ii], "\"SORT_OF_ACTIVE\"");
        else {
            model_event_body(body, sizeof body, serial, "connected_account.status_updated", at,
                       conns[ci], m->ids[ii], "\"ACTIVE\"");
            memcpy(strstr(body, "\"occurred_at\":\"") + 15, "yesterday!", 10);
        }
        snprintf(m->op, sizeof m->op, "malformed event: %s", body);
        if (m->trace)
            printf("  %s\n", m->op);
        rc = tg_gate_apply_event(m->g, body, strlen(body));
        if (rc != TG_EINVAL)
            FAIL("malformed event: %d, want TG_EINVAL", rc);
        check_stats(m, -1, -1, 0);
        return;
    }
    if (kind < 20) {
        /* A type that changes no status. */
        if (rng_pct(&m->r, 50))
            model_event_body(body, sizeof body, serial, "connected_account.magic_link_generated", at,
                       conns[ci], m->ids[ii], NULL);
        else
            model_event_body(body, sizeof body, serial, "organization.created", at, NULL, m->ids[ii],
                       "\"ACTIVE\"");
        want = TG_EVENT_IGNORED;
    } else {
        deleted = kind < 35;
        conn_given = kind < 30 || (kind >= 35 && kind < 88);
        if (!deleted)
            st = rng_pct(&m->r, 40) ? TG_STATUS_ACTIVE : (tg_status)rng_below(&m->r, 7);
        model_event_body(body, sizeof body, serial,
                   deleted ? "connected_account.deleted" : "connected_account.status_updated", at,
                   conn_given ? conns[ci] : NULL, m->ids[ii],
                   deleted ? NULL : status_text(&m->r, st, stbuf, sizeof stbuf));
        want = -1; /* decided by the keys */
    }
    len = strlen(body);
    snprintf(m->op, sizeof m->op, "event: %s", body);
    if (m->trace)
        printf("  %s\n", m->op);
    rc = tg_gate_apply_event(m->g, body, len);
    if (model_seen(m, serial))
        FAIL("model: fresh event id already seen");
    {
        /* The last RECENT_EVENTS ids, far fewer than the gate remembers. */
        recent_event *e = &m->recent[m->recent_next];
        m->recent_next = (m->recent_next + 1) % RECENT_EVENTS;
        if (m->n_recent < RECENT_EVENTS)
            m->n_recent++;
        e->serial = serial;
        snprintf(e->body, sizeof e->body, "%s", body);
    }
    if (want == TG_EVENT_IGNORED) {
        if (rc != want)
            FAIL("event of a type that changes nothing: %d", rc);
        check_stats(m, -1, -1, 0);
        return;
    }

    if (conn_given) {
        mkey *k = &m->keys[ci][ii];
        mstate next[MAXP], n[2];
        int nn = 0, matched = 0, q, nq;
        for (j = 0; j < k->np; j++) {
            int r = predict_event(m, ii, &k->p[j], deleted, st, at, n, &nq);
            if ((r == EV_APPLIED ? TG_EVENT_APPLIED : TG_EVENT_STALE) != rc)
                continue;
            matched = 1;
            for (q = 0; q < nq; q++)
                poss_add(m, ci, ii, next, &nn, &n[q]);
        }
        if (!matched)
            FAIL_KEY(ci, ii, "event result %d matches no state the model allows", rc);
        memcpy(k->p, next, sizeof next[0] * (size_t)nn);
        k->np = nn;
        if (rc == TG_EVENT_APPLIED)
            invariants_learn_event(m, ci, ii, deleted, st, 1);
        check_stats(m, -1, -1, 0);
        return;
    }

    /* No connection: it cannot be tied to one account. Every entry of the
     * identifier is dropped (their event times kept), nothing is set, and
     * the identifier's own time rises; STALE when not newer than that. */
    if (at <= m->id_hz[ii]) {
        if (rc != TG_EVENT_STALE)
            FAIL("event without a connection: %d, want STALE", rc);
        check_stats(m, -1, -1, 0);
        return;
    }
    if (rc != TG_EVENT_APPLIED)
        FAIL("event without a connection: %d, want APPLIED", rc);
    m->id_hz[ii] = at;
    for (x = 0; x < N_CONNS; x++) {
        key_dropped(m, x, ii);
        /* Whatever it said, the next check asks the provider. */
        m->keys[x][ii].allow_until = m->keys[x][ii].stale_until = INT64_MIN;
    }
    check_stats(m, -1, -1, 0);
}

/* ---- the run ----------------------------------------------------------------------------- */

/* A key: most of the time one of a few hot keys (so entries live long enough
 * to be hit, served stale and evicted by CLOCK), otherwise any. */
static void pick_key(model *m, int *ci, int *ii)
{
    int h = (int)rng_below(&m->r, HOT_KEYS);
    if (rng_pct(&m->r, 60)) {
        *ci = m->hot[h][0];
        *ii = m->hot[h][1];
        return;
    }
    *ci = (int)rng_below(&m->r, N_CONNS);
    *ii = (int)rng_below(&m->r, m->cfg.n_ids);
    if (rng_pct(&m->r, 10)) {
        m->hot[h][0] = *ci;
        m->hot[h][1] = *ii;
    }
}

static void clock_step(model *m)
{
    int x = (int)rng_below(&m->r, 100);
    if (x < 60) {
        m->now += rng_below(&m->r, 300);
    } else if (x < 80) {
        m->now += rng_below(&m->r, 2 * m->cfg.inactive_ttl);
    } else if (x < 88) {
        m->now += rng_below(&m->r, m->cfg.active_ttl + m->cfg.grace);
    } else {
        /* To a boundary of some cached key: an expiry, the end of the stale
         * grace, a link's reuse window; one before or exactly on it. */
        int ci, ii;
        const mkey *k;
        const mstate *s;
        int64_t t[6], target;
        pick_key(m, &ci, &ii);
        k = &m->keys[ci][ii];
        s = &k->p[rng_below(&m->r, k->np)];
        t[0] = s->expires - 1;
        t[1] = s->expires;
        t[2] = s->expires + m->cfg.grace - 1;
        t[3] = s->expires + m->cfg.grace;
        t[4] = s->link_lo - 1;
        t[5] = s->link_hi;
        target = t[rng_below(&m->r, 6)];
        if (s->present && target > m->now)
            m->now = target;
        else
            m->now += rng_below(&m->r, 100);
    }
}

/* A tool that maps to connection @p ci, mostly; sometimes any tool. NULL when
 * no tool maps to it (check the connection directly). */
static const char *pick_tool(model *m, int ci)
{
    const char *fits[N_TOOLS];
    size_t i, n = 0;
    if (rng_pct(&m->r, 15))
        return tools[rng_below(&m->r, N_TOOLS)];
    for (i = 0; i < N_TOOLS; i++)
        if (model_resolve(tools[i]) == ci)
            fits[n++] = tools[i];
    return n ? fits[rng_below(&m->r, (int64_t)n)] : NULL;
}

static void run_model(model *m)
{
    int h;
    for (h = 0; h < HOT_KEYS; h++) {
        m->hot[h][0] = (int)rng_below(&m->r, N_CONNS);
        m->hot[h][1] = (int)rng_below(&m->r, m->cfg.n_ids);
    }
    for (m->step = 0; m->step < m->cfg.steps; m->step++) {
        int x = (int)rng_below(&m->r, 100), ci, ii;
        pick_key(m, &ci, &ii);
        if (x < 44) {
            const char *tool = x < 36 ? pick_tool(m, ci) : NULL;
            if (tool) {
                ci = model_resolve(tool);
                snprintf(m->op, sizeof m->op, "check %s %s", tool, m->ids[ii]);
            } else {
                snprintf(m->op, sizeof m->op, "check_connection %s %s", conns[ci], m->ids[ii]);
            }
            if (m->trace)
                printf("%6ld now %" PRId64 ": %s\n", m->step, m->now, m->op);
            step_check(m, tool, ci, ii);
        } else if (x < 55) {
            tg_status st = rng_pct(&m->r, 45) ? TG_STATUS_ACTIVE : (tg_status)rng_below(&m->r, 7);
            snprintf(m->op, sizeof m->op, "provider: %s/%s is %s", conns[ci], m->ids[ii],
                     tg_status_name(st));
            if (m->trace)
                printf("%6ld now %" PRId64 ": %s\n", m->step, m->now, m->op);
            fake_set(&m->f, conns[ci], m->ids[ii], st);
        } else if (x < 59) {
            /* Provider failures, status and link separately: a failure lasts
             * about 50 steps and starts again after about 125. */
            static const int modes[] = { TG_EPROVIDER, TG_ETIMEOUT, FAKE_BAD };
            int which = rng_pct(&m->r, 50);
            int *mode = which ? &m->fail_status : &m->fail_link;
            *mode = *mode || !rng_pct(&m->r, 40) ? 0 : modes[rng_below(&m->r, 3)];
            fake_fail(&m->f, m->fail_status, m->fail_link);
            snprintf(m->op, sizeof m->op, "provider fails: status %d link %d", m->fail_status,
                     m->fail_link);
            if (m->trace)
                printf("%6ld now %" PRId64 ": %s\n", m->step, m->now, m->op);
        } else if (x < 71) {
            if (m->trace)
                printf("%6ld now %" PRId64 ":", m->step, m->now);
            step_event(m, ci, ii);
        } else if (x < 75) {
            int scope = (int)rng_below(&m->r, 10);
            snprintf(m->op, sizeof m->op, "invalidate %s %s", scope < 9 ? conns[ci] : "(all)",
                     scope < 5 ? m->ids[ii] : "(all)");
            if (m->trace)
                printf("%6ld now %" PRId64 ": %s\n", m->step, m->now, m->op);
            step_invalidate(m, scope < 9 ? ci : -1, scope < 5 ? ii : -1);
        } else if (x < 78) {
            snprintf(m->op, sizeof m->op, "link %s %s", conns[ci], m->ids[ii]);
            if (m->trace)
                printf("%6ld now %" PRId64 ": %s\n", m->step, m->now, m->op);
            step_link(m, ci, ii);
        } else {
            int64_t was = m->now;
            clock_step(m);
            snprintf(m->op, sizeof m->op, "clock %+" PRId64 " ms", m->now - was);
            if (m->trace)
                printf("%6ld now %" PRId64 ": %s\n", m->step, m->now, m->op);
        }
    }
}

static void config_for(run_cfg *c, unsigned long long seed, long steps)
{
    rng r = { seed * 0x2545F4914F6CDD1Dull + 1 };
    static const int64_t link_ttls[] = { 0, 20000, 120000 };
    memset(c, 0, sizeof *c);
    c->seed = seed;
    c->policy = (int)(seed % 3);
    c->small = (int)((seed / 3) % 2);
    c->steps = steps;
    c->n_ids = c->small ? 12 + (int)rng_below(&r, MAX_IDS - 11) : 4 + (int)rng_below(&r, 5);
    c->max_entries = c->small ? 2 + (int)rng_below(&r, 10) : 1000;
    c->active_ttl = 1000 + rng_below(&r, 60000);
    c->inactive_ttl = 100 + rng_below(&r, 5000);
    c->grace = 500 + rng_below(&r, 10000);
    c->link_ttl = link_ttls[rng_below(&r, 3)];
    c->unmapped_deny = rng_pct(&r, 50);
}

static void model_run_seed(unsigned long long seed, long steps, int trace)
{
    model *m = calloc(1, sizeof *m);
    char cfg[2048], *p;
    size_t i;
    int ci, ii, rc;

    assert_non_null(m);
    current = m;
    config_for(&m->cfg, seed, steps);
    m->r.s = seed;
    m->trace = trace;
    m->now = 1000000;
    /* Events well after every provider answer of the run, but for those dated
     * near the wall clock (see step_event). */
    m->ev_clock = wall_ms() + 3600 * 1000;
    for (ii = 0; ii < MAX_IDS; ii++)
        m->id_hz[ii] = NO_EVENT;
    for (ii = 0; ii < m->cfg.n_ids; ii++) {
        if (ii == 1)
            snprintf(m->ids[ii], sizeof m->ids[ii], "ann+x@example.com");
        else if (ii == 2)
            snprintf(m->ids[ii], sizeof m->ids[ii], "d\xc3\xa9j\xc3\xa0 vu");
        else
            snprintf(m->ids[ii], sizeof m->ids[ii], "user_%d", ii);
    }
    assert_int_equal(fake_init(&m->f, N_CONNS * MAX_IDS, TG_STATUS_PENDING, 1), 0);
    m->f.link_ttl_ms = m->cfg.link_ttl;
    for (ci = 0; ci < N_CONNS; ci++)
        for (ii = 0; ii < m->cfg.n_ids; ii++) {
            fake_set(&m->f, conns[ci], m->ids[ii],
                     rng_pct(&m->r, 50) ? TG_STATUS_ACTIVE : (tg_status)rng_below(&m->r, 7));
            m->keys[ci][ii].np = 1; /* absent, no tombstone */
            m->keys[ci][ii].p[0].event_ms = NO_EVENT;
            m->keys[ci][ii].allow_until = m->keys[ci][ii].stale_until = INT64_MIN;
        }

    p = cfg;
    p += sprintf(p, "{\"on_provider_error\":\"%s\",\"stale_grace_ms\":%" PRId64 ","
                    "\"cache\":{\"max_entries\":%d,\"active_ttl_ms\":%" PRId64
                    ",\"inactive_ttl_ms\":%" PRId64 "},\"tools\":{\"unmapped\":\"%s\",\"map\":{",
                 policy_names[m->cfg.policy], m->cfg.grace, m->cfg.max_entries, m->cfg.active_ttl,
                 m->cfg.inactive_ttl, m->cfg.unmapped_deny ? "deny" : "allow");
    for (i = 0; i < sizeof exact_rules / sizeof exact_rules[0]; i++)
        p += sprintf(p, "%s\"%s\":\"%s\"", i ? "," : "", exact_rules[i].name,
                     conns[exact_rules[i].conn]);
    p += sprintf(p, "},\"prefixes\":{");
    for (i = 0; i < sizeof prefix_rules / sizeof prefix_rules[0]; i++)
        p += sprintf(p, "%s\"%s\":\"%s\"", i ? "," : "", prefix_rules[i].prefix,
                     conns[prefix_rules[i].conn]);
    sprintf(p, "}}}");

    rc = tg_gate_new_with_provider(&m->g, cfg, NULL, &fake_provider, &m->f);
    if (rc != TG_OK)
        fail_msg("gate: %s: %s", tg_strerror(rc), tg_error_message());
    tg_gate_set_clock(m->g, model_clock, m);
    m->d = tg_decision_new();
    assert_non_null(m->d);

    run_model(m);

    print_message("seed %2llu: %-6s max_entries %4d ids %2d ttl %" PRId64 "/%" PRId64
                  " grace %" PRId64 " link_ttl %6" PRId64 ": %ld steps, %ld checks (%ld hits), "
                  "%ld events, %ld evictions, %ld stale ALLOW, %ld open ALLOW, %ld UNAVAILABLE, "
                  "at most %ld states per key\n",
                  seed, policy_names[m->cfg.policy], m->cfg.max_entries, m->cfg.n_ids,
                  m->cfg.active_ttl, m->cfg.inactive_ttl, m->cfg.grace, m->cfg.link_ttl,
                  m->cfg.steps, m->n_checks, m->n_hits, m->n_events, m->n_evictions_seen,
                  m->n_stale_allow, m->n_open_allow, m->n_unavailable, m->max_poss);
    /* Every kind of answer must have happened, or the run tested little. */
    assert_true(m->n_hits > 0 && m->n_hits < m->n_checks);
    if (m->cfg.small)
        assert_true(m->n_evictions_seen > 0);
    if (m->cfg.policy == POLICY_STALE)
        assert_true(m->n_stale_allow > 0);
    if (m->cfg.policy == POLICY_OPEN)
        assert_true(m->n_open_allow > 0);
    else
        assert_true(m->n_unavailable > 0);

    tg_decision_free(m->d);
    tg_gate_free(m->g);
    fake_destroy(&m->f);
    current = NULL;
    free(m);
}

/* ---- cmocka ------------------------------------------------------------------------------ */

static long env_long(const char *name, long dflt)
{
    const char *v = getenv(name);
    return v && *v ? strtol(v, NULL, 10) : dflt;
}

static void test_seed(void **state)
{
    unsigned long long seed = (unsigned long long)(uintptr_t)*state;
    model_run_seed(seed, env_long("TG_MODEL_STEPS", DEFAULT_STEPS),
                   (int)env_long("TG_MODEL_TRACE", 0));
}

#define SEED_TEST(n) { "seed_" #n, test_seed, NULL, NULL, (void *)(uintptr_t)(n) }

int main(void)
{
    /* Seeds 1-12: every policy (seed % 3) with a large and a small cache
     * ((seed / 3) % 2), twice. */
    const struct CMUnitTest all[] = {
        SEED_TEST(1), SEED_TEST(2), SEED_TEST(3),  SEED_TEST(4),  SEED_TEST(5),  SEED_TEST(6),
        SEED_TEST(7), SEED_TEST(8), SEED_TEST(9), SEED_TEST(10), SEED_TEST(11), SEED_TEST(12),
    };
    const char *one = getenv("TG_MODEL_SEED"), *range = getenv("TG_MODEL_SEEDS");
    if (one && *one) {
        const struct CMUnitTest single[] = {
            { "seed", test_seed, NULL, NULL, (void *)(uintptr_t)strtoull(one, NULL, 10) },
        };
        return cmocka_run_group_tests(single, NULL, NULL);
    }
    if (range && *range) {
        /* TG_MODEL_SEEDS=first-last: a longer soak. */
        char *dash;
        unsigned long long first = strtoull(range, &dash, 10), last = first, i;
        struct CMUnitTest *many;
        int rc;
        if (*dash == '-')
            last = strtoull(dash + 1, NULL, 10);
        if (last < first || last - first > 1000000) {
            fprintf(stderr, "TG_MODEL_SEEDS: want first-last\n");
            return 2;
        }
        many = calloc((size_t)(last - first + 1), sizeof *many);
        if (!many)
            return 2;
        for (i = first; i <= last; i++) {
            many[i - first].name = "seed";
            many[i - first].test_func = test_seed;
            many[i - first].initial_state = (void *)(uintptr_t)i;
        }
        rc = _cmocka_run_group_tests("model", many, (size_t)(last - first + 1), NULL, NULL);
        free(many);
        return rc;
    }
    return cmocka_run_group_tests(all, NULL, NULL);
}
