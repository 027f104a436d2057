/* The access token; see token.h. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host.h"
#include "token.h"
#include "wipe.h"

#define TG__SK_TOKEN_DEFAULT_S 300       /* lifetime of a token whose answer gives none */
#define TG__SK_TOKEN_MARGIN_MAX_MS 60000 /* refresh this long before expiry at most… */
#define TG__SK_TOKEN_MARGIN_DIV 10       /* …and at most a tenth of the lifetime */

static const char tg__sk_form_head[] = "grant_type=client_credentials&client_id=";
static const char tg__sk_form_secret[] = "&client_secret=";

/* The client-credentials form body, values percent-encoded, as a heap
 * string to free with tg__sk_free_string(); NULL on OOM. */
static char *tg__sk_form(const tg__sk_config *cfg)
{
    size_t id_len = strlen(cfg->client_id), secret_len = strlen(cfg->client_secret);
    size_t cap = sizeof tg__sk_form_head + sizeof tg__sk_form_secret + 3 * (id_len + secret_len);
    char *form = malloc(cap);
    size_t at;

    if (!form)
        return NULL;
    memcpy(form, tg__sk_form_head, sizeof tg__sk_form_head - 1);
    at = sizeof tg__sk_form_head - 1;
    (void)tg__sk_pct_encode(cfg->client_id, form + at, cap - at); /* 3 × len + 1 fits */
    at += strlen(form + at);
    memcpy(form + at, tg__sk_form_secret, sizeof tg__sk_form_secret - 1);
    at += sizeof tg__sk_form_secret - 1;
    (void)tg__sk_pct_encode(cfg->client_secret, form + at, cap - at);
    return form;
}

/* One client-credentials round trip. No lock held. */
static int tg__sk_fetch_token(tg__sk_call *c, tg__sk_token *tok, int64_t *lifetime_ms)
{
    tg__sk_state *s = c->s;
    char why[TG__SK_ERR_MAX];
    char *form = tg__sk_form(&s->cfg);
    tg__sk_request rq;
    tg__sk_response resp;
    int rc;

    if (!form) {
        snprintf(c->err, sizeof c->err, "scalekit: out of memory");
        return TG_ENOMEM;
    }
    tg__sk_log(s->host, TG_LOG_DEBUG, "fetching an access token");
    memset(&rq, 0, sizeof rq);
    rq.method = "POST";
    rq.route = TG__SK_ROUTE_TOKEN;
    rq.url = s->token_url; /* the secret travels in the body only, never in a URL */
    rq.content_type = "application/x-www-form-urlencoded";
    rq.body = form;
    rq.body_len = strlen(form);
    rc = tg__sk_http_send(s->http, &rq, c->deadline, &resp);
    tg__sk_free_string(form);
    if (rc != TG_OK) {
        tg__sk_describe_net(TG__SK_ROUTE_TOKEN, &resp, s->cfg.timeout_ms, s->cfg.url.hostport,
                            &c->secrets, c->err, sizeof c->err);
        tg__sk_response_clear(&resp);
        return rc;
    }
    if (resp.status >= 200 && resp.status < 300) {
        rc = tg__sk_parse_token(resp.body, resp.len, &c->secrets, tok, why, sizeof why);
        if (rc != TG_OK) {
            tg__sk_describe_answer(TG__SK_ROUTE_TOKEN, why, c->err, sizeof c->err);
        } else {
            *lifetime_ms =
                (tok->expires_in_s >= 0 ? tok->expires_in_s : TG__SK_TOKEN_DEFAULT_S) * 1000;
            tg__sk_log(s->host, TG_LOG_DEBUG, "access token fetched, valid for %lld s",
                       (long long)(*lifetime_ms / 1000));
        }
    } else if (resp.status == 400 || resp.status == 401) {
        /* Not retried: the configuration is wrong, not the service. */
        snprintf(c->err, sizeof c->err,
                 "scalekit: HTTP %ld from " TG__SK_ROUTE_TOKEN ": the token endpoint refused "
                 "the client credentials (check provider.client_id and "
                 "provider.client_secret)",
                 resp.status);
        rc = TG_ECONFIG;
    } else {
        tg__sk_describe_status(TG__SK_ROUTE_TOKEN, &resp, &c->secrets, c->err, sizeof c->err);
        rc = TG_EPROVIDER;
    }
    tg__sk_response_clear(&resp);
    return rc;
}

static int tg__sk_cond_wait_until(pthread_cond_t *cond, pthread_mutex_t *lock, int64_t when_ms)
{
    struct timespec ts;
    ts.tv_sec = (time_t)(when_ms / 1000);
    ts.tv_nsec = (long)(when_ms % 1000) * 1000000L;
    return pthread_cond_timedwait(cond, lock, &ts);
}

/* Copy the shared token out (lock held). */
static void tg__sk_token_out(tg__sk_call *c)
{
    strcpy(c->token, c->s->token);
    c->token_gen = c->s->token_gen;
}

int tg__sk_token_get(tg__sk_call *c)
{
    tg__sk_state *s = c->s;
    tg__sk_token *tok;
    int64_t started, lifetime_ms = 0, margin;
    int rc;

    pthread_mutex_lock(&s->tok_lock);
    for (;;) {
        uint64_t seq;
        if (s->have_token && tg__sk_http_now_ms(s->http) < s->token_refresh_at) {
            tg__sk_token_out(c);
            pthread_mutex_unlock(&s->tok_lock);
            return TG_OK;
        }
        if (!s->fetching)
            break;
        seq = s->fetch_seq;
        while (s->fetching && s->fetch_seq == seq) {
            if (tg__sk_cond_wait_until(&s->tok_cond, &s->tok_lock, c->deadline) == ETIMEDOUT &&
                s->fetch_seq == seq) {
                pthread_mutex_unlock(&s->tok_lock);
                snprintf(c->err, sizeof c->err,
                         "scalekit: timed out after %lld ms waiting for an access token from "
                         TG__SK_ROUTE_TOKEN " (provider.timeout_ms bounds the whole check)",
                         (long long)s->cfg.timeout_ms);
                return TG_ETIMEOUT;
            }
        }
        if (s->fetch_seq != seq) {
            /* That fetch was made for us too: share its outcome. */
            if (s->fetch_rc == TG_OK && s->have_token) {
                tg__sk_token_out(c);
                rc = TG_OK;
            } else {
                rc = s->fetch_rc != TG_OK ? s->fetch_rc : TG_EPROVIDER;
                snprintf(c->err, sizeof c->err, "%s", s->fetch_err);
            }
            pthread_mutex_unlock(&s->tok_lock);
            return rc;
        }
    }
    s->fetching = 1;
    pthread_mutex_unlock(&s->tok_lock);

    tok = malloc(sizeof *tok);
    started = tg__sk_http_now_ms(s->http);
    if (!tok) {
        snprintf(c->err, sizeof c->err, "scalekit: out of memory");
        rc = TG_ENOMEM;
    } else {
        rc = tg__sk_fetch_token(c, tok, &lifetime_ms);
    }

    pthread_mutex_lock(&s->tok_lock);
    s->fetching = 0;
    s->fetch_seq++;
    s->fetch_rc = rc;
    if (rc == TG_OK) {
        margin = lifetime_ms / TG__SK_TOKEN_MARGIN_DIV;
        if (margin > TG__SK_TOKEN_MARGIN_MAX_MS)
            margin = TG__SK_TOKEN_MARGIN_MAX_MS;
        tg__sk_wipe(s->token, sizeof s->token);
        strcpy(s->token, tok->access_token);
        s->have_token = 1;
        s->token_gen++;
        s->token_refresh_at = started + lifetime_ms - margin;
        s->fetch_err[0] = '\0';
        tg__sk_token_out(c);
    } else {
        snprintf(s->fetch_err, sizeof s->fetch_err, "%s", c->err);
    }
    pthread_cond_broadcast(&s->tok_cond);
    pthread_mutex_unlock(&s->tok_lock);
    if (tok) {
        tg__sk_wipe(tok, sizeof *tok);
        free(tok);
    }
    return rc;
}

void tg__sk_token_drop(tg__sk_state *s, uint64_t gen)
{
    pthread_mutex_lock(&s->tok_lock);
    if (s->have_token && s->token_gen == gen) {
        s->have_token = 0;
        tg__sk_wipe(s->token, sizeof s->token);
    }
    pthread_mutex_unlock(&s->tok_lock);
}
