/* See encode_env.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toolgate/provider.h"
#include "decision.h"
#include "encode_env.h"
#include "pct.h"

static const tg_host *enc_host;

static void enc_die(const char *what, int rc)
{
    fprintf(stderr, "encode_env: %s: %s (%s)\n", what, tg_strerror(rc), tg_error_message());
    abort();
}

static int enc_create(const tg_host *host, const char *config_json, const char *base_dir,
                      void *arg, void **state)
{
    (void)config_json;
    (void)base_dir;
    enc_host = host;
    *state = arg;
    return TG_OK;
}

static void enc_destroy(void *state)
{
    (void)state;
}

static int enc_get_status(void *state, const char *connection, const char *identifier,
                          tg_status *status)
{
    enc_env *e = state;
    (void)connection;
    (void)identifier;
    e->status_calls++;
    if (e->fail)
        return TG_EPROVIDER;
    *status = e->status;
    return TG_OK;
}

/* Percent-encode everything but RFC 3986 unreserved characters. */

static int enc_get_link(void *state, const char *connection, const char *identifier, char *buf,
                        size_t len, int64_t *expires_at_ms)
{
    enc_env *e = state;
    char id[3 * TG_IDENTIFIER_MAX + 1];
    int n;

    e->link_calls++;
    pct_encode(id, sizeof id, identifier);
    n = snprintf(buf, len, "https://auth.example/authorize?connection=%s&identifier=%s",
                 connection, id);
    if (n < 0 || (size_t)n >= len)
        return TG_EPROVIDER;
    *expires_at_ms = e->link_ttl_ms ? enc_host->wall_ms() + e->link_ttl_ms : 0;
    return TG_OK;
}

static const tg_provider enc_provider = {
    TG_PROVIDER_ABI_VERSION, sizeof(tg_provider), "encode-test", enc_create, enc_destroy,
    enc_get_status, enc_get_link,
};

enc_env *enc_env_new(void)
{
    static const char config[] =
        "{\"provider\":{},\"tools\":{\"map\":{\"" ENC_TOOL "\":\"gmail\"},\"unmapped\":\"deny\"}}";
    enc_env *e = calloc(1, sizeof *e);
    int rc;

    if (!e)
        abort();
    e->link_ttl_ms = 600000;
    rc = tg_gate_new_with_provider(&e->gate, config, NULL, &enc_provider, e);
    if (rc != TG_OK)
        enc_die("gate", rc);
    e->d = tg_decision_new();
    if (!e->d)
        abort();
    return e;
}

void enc_env_free(enc_env *e)
{
    if (!e)
        return;
    tg_decision_free(e->d);
    tg_gate_free(e->gate);
    free(e);
}

void enc_env_decide(enc_env *e, tg_verdict v, const char *identifier)
{
    const char *tool = v == TG_VERDICT_DENY ? ENC_UNMAPPED_TOOL : ENC_TOOL;
    int rc;

    e->fail = v == TG_VERDICT_UNAVAILABLE;
    e->status = v == TG_VERDICT_ALLOW ? TG_STATUS_ACTIVE : TG_STATUS_EXPIRED;
    rc = tg_gate_invalidate(e->gate, NULL, NULL);
    if (rc == TG_OK)
        rc = tg_gate_check(e->gate, tool, identifier, e->d);
    if (rc != TG_OK)
        enc_die("check", rc);
    if (tg_decision_verdict(e->d) != v) {
        fprintf(stderr, "encode_env: wanted %s, got %s\n", tg_verdict_name(v),
                tg_verdict_name(tg_decision_verdict(e->d)));
        abort();
    }
    if (v == TG_VERDICT_NEEDS_AUTHORIZATION && e->link_mode != ENC_LINK_ENCODED) {
        /* The gate refuses links no provider should send (quotes, angle
         * brackets, bytes outside ASCII…); the encodings must stay sound
         * even so, so such links are written into the decision directly. */
        int n;
        if (e->link_mode == ENC_LINK_FIXED)
            n = snprintf(e->d->link, sizeof e->d->link, "%s", e->fixed_link);
        else
            n = snprintf(e->d->link, sizeof e->d->link,
                         "https://auth.example/authorize?connection=gmail&identifier=%s",
                         identifier);
        if (n < 0 || (size_t)n >= sizeof e->d->link)
            enc_die("link too long", TG_EBUFS);
    }
}

char *enc_encode(const tg_decision *d, tg_format f, const char *request_id)
{
    size_t needed = 0, again = 0;
    char *buf;
    int rc = tg_decision_encode(d, f, request_id, NULL, 0, &needed);

    if (rc != TG_EBUFS || needed == 0)
        enc_die("measuring an encoding", rc);
    buf = malloc(needed);
    if (!buf)
        abort();
    rc = tg_decision_encode(d, f, request_id, buf, needed, &again);
    if (rc != TG_OK)
        enc_die("encoding", rc);
    if (again != needed || strlen(buf) + 1 != needed) {
        fprintf(stderr, "encode_env: needed %zu, then %zu, wrote %zu bytes\n", needed, again,
                strlen(buf) + 1);
        abort();
    }
    return buf;
}
