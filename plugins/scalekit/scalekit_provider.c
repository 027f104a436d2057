/*
 * The "scalekit" provider (DESIGN §7, SCALEKIT_WIRE.md): get-or-create the
 * connected account, read its status, make its authorization link.
 *
 * Status comes from GET /api/v1/connected_accounts/details, the route that
 * returns no credentials. Each method call has provider.timeout_ms in total,
 * token fetch and retries included.
 *
 * Thread safety: every method but create/destroy may run on many threads at
 * once. The access token is shared; one thread fetches it while the others
 * that need it wait for that fetch (single flight). HTTP handles come from a
 * pool (http.h), so connections are reused across calls and threads.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json_object.h>

#include "toolgate/provider.h"
#include "http.h"
#include "provider_config.h"
#include "scalekit_provider.h"
#include "wire.h"

#define TG__SK_MSG_MAX 512
#define TG__SK_TOKEN_DEFAULT_S 300      /* lifetime of a token whose answer gives none */
#define TG__SK_TOKEN_MARGIN_MAX_MS 60000 /* refresh this long before expiry at most… */
#define TG__SK_TOKEN_MARGIN_DIV 10       /* …and at most a tenth of the lifetime */

#define TG__SK_ROUTE_TOKEN "/oauth/token"
#define TG__SK_ROUTE_DETAILS "/api/v1/connected_accounts/details"
#define TG__SK_ROUTE_CREATE "/api/v1/connected_accounts"
#define TG__SK_ROUTE_LINK "/api/v1/connected_accounts/magic_link"

typedef struct tg__sk_state {
    const tg_host *host;
    tg__sk_config cfg;
    tg__sk_http *http;
    char *token_url;

    pthread_mutex_t tok_lock; /* guards everything below */
    pthread_cond_t tok_cond;  /* a fetch finished; CLOCK_MONOTONIC */
    int have_token;
    char token[TG__SK_TOKEN_MAX + 1];
    int64_t token_refresh_at; /* tg__sk_now_ms() scale */
    uint64_t token_gen;       /* bumped by every new token */
    int fetching;             /* a thread is fetching a token */
    uint64_t fetch_seq;       /* bumped when a fetch ends */
    int fetch_rc;             /* result of the last fetch… */
    char fetch_err[TG__SK_MSG_MAX]; /* …and its message */
} tg__sk_state;

static void tg__sk_msg(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void tg__sk_msg(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static void tg__sk_wipe(void *p, size_t n)
{
    volatile unsigned char *b = p;
    while (n--)
        *b++ = 0;
}

/* a b c d e joined into a heap string; NULL on OOM. */
static char *tg__sk_concat(const char *a, const char *b, const char *c, const char *d,
                           const char *e)
{
    size_t na = strlen(a), nb = strlen(b), nc = strlen(c), nd = strlen(d), ne = strlen(e);
    char *s = malloc(na + nb + nc + nd + ne + 1);
    if (!s)
        return NULL;
    memcpy(s, a, na);
    memcpy(s + na, b, nb);
    memcpy(s + na + nb, c, nc);
    memcpy(s + na + nb + nc, d, nd);
    memcpy(s + na + nb + nc + nd, e, ne);
    s[na + nb + nc + nd + ne] = '\0';
    return s;
}

/* A percent-encoded heap copy of s; NULL on OOM. */
static char *tg__sk_encoded(const char *s)
{
    size_t cap = strlen(s) * 3 + 1;
    char *out = malloc(cap);
    if (out && tg__sk_pct_encode(s, out, cap) != TG_OK) {
        free(out);
        out = NULL;
    }
    return out;
}

/* Drop a server's message that quotes a secret of ours. */
static void tg__sk_scrub(const tg__sk_state *s, char *text, const char *token)
{
    if ((s->cfg.client_secret[0] && strstr(text, s->cfg.client_secret)) ||
        (token && token[0] && strstr(text, token)))
        text[0] = '\0';
}

/* ---- access token ------------------------------------------------------- */

/* One client-credentials round trip. No lock held. */
static int tg__sk_fetch_token(tg__sk_state *s, int64_t deadline, tg__sk_token *tok,
                              int64_t *lifetime_ms, char *err, size_t errlen)
{
    char why[TG__SK_MSG_MAX], summary[160];
    char *id = tg__sk_encoded(s->cfg.client_id), *secret = tg__sk_encoded(s->cfg.client_secret);
    char *form = NULL;
    tg__sk_request rq;
    tg__sk_response resp;
    int rc;

    if (id && secret)
        form = tg__sk_concat("grant_type=client_credentials&client_id=", id, "&client_secret=",
                             secret, "");
    if (secret) {
        tg__sk_wipe(secret, strlen(secret));
        free(secret);
    }
    free(id);
    if (!form) {
        tg__sk_msg(err, errlen, "out of memory");
        return TG_ENOMEM;
    }
    memset(&rq, 0, sizeof rq);
    rq.method = "POST";
    rq.url = s->token_url; /* the secret travels in the body only, never in a URL */
    rq.content_type = "application/x-www-form-urlencoded";
    rq.body = form;
    rq.body_len = strlen(form);
    rc = tg__sk_http_send(s->http, &rq, deadline, &resp, why, sizeof why);
    tg__sk_wipe(form, strlen(form));
    free(form);
    if (rc != TG_OK) {
        if (rc == TG_ETIMEOUT)
            tg__sk_msg(err, errlen,
                       "scalekit: POST " TG__SK_ROUTE_TOKEN ": %s (provider.timeout_ms is %lld)",
                       why, (long long)s->cfg.timeout_ms);
        else
            tg__sk_msg(err, errlen, "scalekit: POST " TG__SK_ROUTE_TOKEN ": %s", why);
        return rc;
    }
    if (resp.status >= 200 && resp.status < 300) {
        rc = tg__sk_parse_token(resp.body, resp.len, tok, why, sizeof why);
        if (rc != TG_OK)
            tg__sk_msg(err, errlen, "scalekit: POST " TG__SK_ROUTE_TOKEN ": %s", why);
        else
            *lifetime_ms = (tok->expires_in_s >= 0 ? tok->expires_in_s : TG__SK_TOKEN_DEFAULT_S) *
                           1000;
    } else if (resp.status == 400 || resp.status == 401) {
        tg__sk_msg(err, errlen,
                   "scalekit: the token endpoint refused the client credentials (check "
                   "client_id and client_secret)");
        rc = TG_ECONFIG;
    } else {
        tg__sk_error_summary(resp.body, resp.len, summary, sizeof summary);
        tg__sk_scrub(s, summary, NULL);
        char retried[48] = "";
        if (resp.attempts > 1)
            snprintf(retried, sizeof retried, ", after %d attempts", resp.attempts);
        tg__sk_msg(err, errlen, "scalekit: POST " TG__SK_ROUTE_TOKEN ": HTTP %ld%s%s%s%s",
                   resp.status, retried,
                   resp.status == 404 ? " (check provider.environment_url)" : "",
                   summary[0] ? ": " : "", summary);
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

/* A valid access token into out (TG__SK_TOKEN_MAX + 1 bytes) and its
 * generation into *gen: the cached one, the answer of a fetch another thread
 * is making, or a fetch of our own. */
static int tg__sk_get_token(tg__sk_state *s, int64_t deadline, char *out, uint64_t *gen,
                            char *err, size_t errlen)
{
    tg__sk_token *tok;
    int64_t started, lifetime_ms = 0, margin;
    int rc;

    pthread_mutex_lock(&s->tok_lock);
    for (;;) {
        uint64_t seq;
        if (s->have_token && tg__sk_now_ms() < s->token_refresh_at) {
            strcpy(out, s->token);
            *gen = s->token_gen;
            pthread_mutex_unlock(&s->tok_lock);
            return TG_OK;
        }
        if (!s->fetching)
            break;
        seq = s->fetch_seq;
        while (s->fetching && s->fetch_seq == seq) {
            if (tg__sk_cond_wait_until(&s->tok_cond, &s->tok_lock, deadline) == ETIMEDOUT &&
                s->fetch_seq == seq) {
                pthread_mutex_unlock(&s->tok_lock);
                tg__sk_msg(err, errlen, "scalekit: timed out waiting for an access token");
                return TG_ETIMEOUT;
            }
        }
        if (s->fetch_seq != seq) {
            /* That fetch was made for us too: share its outcome. */
            if (s->fetch_rc == TG_OK && s->have_token) {
                strcpy(out, s->token);
                *gen = s->token_gen;
                rc = TG_OK;
            } else {
                rc = s->fetch_rc != TG_OK ? s->fetch_rc : TG_EPROVIDER;
                tg__sk_msg(err, errlen, "%s", s->fetch_err);
            }
            pthread_mutex_unlock(&s->tok_lock);
            return rc;
        }
    }
    s->fetching = 1;
    pthread_mutex_unlock(&s->tok_lock);

    tok = malloc(sizeof *tok);
    started = tg__sk_now_ms();
    if (!tok) {
        tg__sk_msg(err, errlen, "out of memory");
        rc = TG_ENOMEM;
    } else {
        rc = tg__sk_fetch_token(s, deadline, tok, &lifetime_ms, err, errlen);
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
        strcpy(out, s->token);
        *gen = s->token_gen;
    } else {
        snprintf(s->fetch_err, sizeof s->fetch_err, "%s", err);
    }
    pthread_cond_broadcast(&s->tok_cond);
    pthread_mutex_unlock(&s->tok_lock);
    if (tok) {
        tg__sk_wipe(tok, sizeof *tok);
        free(tok);
    }
    return rc;
}

/* The API refused token generation gen: forget it unless it was replaced. */
static void tg__sk_drop_token(tg__sk_state *s, uint64_t gen)
{
    pthread_mutex_lock(&s->tok_lock);
    if (s->have_token && s->token_gen == gen)
        s->have_token = 0;
    pthread_mutex_unlock(&s->tok_lock);
}

/* ---- API calls ---------------------------------------------------------- */

/* Send an authorized request; on a 401, get a new token once and send once
 * more. TG_OK: an answer (any status) in resp. */
static int tg__sk_api(tg__sk_state *s, const char *method, const char *route, const char *url,
                      const char *json, int64_t deadline, tg__sk_response *resp, char *err,
                      size_t errlen)
{
    char *token = malloc(TG__SK_TOKEN_MAX + 1);
    char why[TG__SK_MSG_MAX];
    tg__sk_request rq;
    uint64_t gen = 0;
    int rc, round;

    memset(resp, 0, sizeof *resp);
    if (!token) {
        tg__sk_msg(err, errlen, "out of memory");
        return TG_ENOMEM;
    }
    for (round = 0; round < 2; round++) {
        rc = tg__sk_get_token(s, deadline, token, &gen, err, errlen);
        if (rc != TG_OK)
            break;
        memset(&rq, 0, sizeof rq);
        rq.method = method;
        rq.url = url;
        rq.bearer = token;
        if (json) {
            rq.content_type = "application/json";
            rq.body = json;
            rq.body_len = strlen(json);
        }
        rc = tg__sk_http_send(s->http, &rq, deadline, resp, why, sizeof why);
        if (rc == TG_ETIMEOUT) {
            tg__sk_msg(err, errlen, "scalekit: %s %s: %s (provider.timeout_ms is %lld)", method,
                       route, why, (long long)s->cfg.timeout_ms);
            break;
        }
        if (rc != TG_OK) {
            tg__sk_msg(err, errlen, "scalekit: %s %s: %s", method, route, why);
            break;
        }
        if (resp->status != 401 || round == 1)
            break;
        tg__sk_drop_token(s, gen);
        tg__sk_response_clear(resp);
    }
    tg__sk_wipe(token, TG__SK_TOKEN_MAX + 1);
    free(token);
    return rc;
}

/* The error for an answer whose status the caller does not handle. */
static int tg__sk_answer_error(const tg__sk_state *s, const char *method, const char *route,
                               const tg__sk_response *r, char *err, size_t errlen)
{
    char summary[160], retried[48] = "";
    const char *what;

    tg__sk_error_summary(r->body, r->len, summary, sizeof summary);
    tg__sk_scrub(s, summary, NULL);
    if (r->status == 429)
        what = "rate limited";
    else if (r->status == 401)
        what = "a fresh access token was refused";
    else if (r->status == 403)
        what = "forbidden";
    else if (r->status >= 500)
        what = "server error";
    else if (r->status >= 300 && r->status < 400)
        what = "redirected (not followed; check provider.environment_url)";
    else
        what = "unexpected answer";
    if (r->attempts > 1)
        snprintf(retried, sizeof retried, ", after %d attempts", r->attempts);
    tg__sk_msg(err, errlen, "scalekit: %s %s: %s (HTTP %ld%s)%s%s", method, route, what,
               r->status, retried, summary[0] ? ": " : "", summary);
    return TG_EPROVIDER;
}

static int tg__sk_ok(long status)
{
    return status >= 200 && status < 300;
}

/* {"connector":…,"identifier":…[,"connected_account":{}]} as a heap string. */
static char *tg__sk_body(const char *connection, const char *identifier, int with_account)
{
    json_object *o = json_object_new_object();
    const char *text;
    char *copy = NULL;

    if (!o)
        return NULL;
    if (json_object_object_add(o, "connector", json_object_new_string(connection)) != 0 ||
        json_object_object_add(o, "identifier", json_object_new_string(identifier)) != 0 ||
        (with_account &&
         json_object_object_add(o, "connected_account", json_object_new_object()) != 0))
        goto out;
    text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                 JSON_C_TO_STRING_NOSLASHESCAPE);
    if (text)
        copy = strdup(text);
out:
    json_object_put(o);
    return copy;
}

/* GET details. *found is 0 on a 404. */
static int tg__sk_read(tg__sk_state *s, const char *connection, const char *identifier,
                       int64_t deadline, int *found, tg_status *status, char *err,
                       size_t errlen)
{
    char *conn = tg__sk_encoded(connection), *id = tg__sk_encoded(identifier), *url = NULL;
    char why[TG__SK_ERR_MAX];
    tg__sk_response resp;
    tg__sk_account acct;
    int rc;

    *found = 0;
    if (conn && id)
        url = tg__sk_concat(s->cfg.environment_url, TG__SK_ROUTE_DETAILS "?connector=", conn,
                            "&identifier=", id);
    free(conn);
    free(id);
    if (!url) {
        tg__sk_msg(err, errlen, "out of memory");
        return TG_ENOMEM;
    }
    rc = tg__sk_api(s, "GET", TG__SK_ROUTE_DETAILS, url, NULL, deadline, &resp, err, errlen);
    free(url);
    if (rc != TG_OK)
        return rc;
    if (tg__sk_ok(resp.status)) {
        rc = tg__sk_parse_account(s->host, resp.body, resp.len, &acct, why, sizeof why);
        if (rc == TG_OK && !acct.has_status) {
            snprintf(why, sizeof why, "the answer has no status");
            rc = TG_EPROVIDER;
        }
        if (rc != TG_OK) {
            tg__sk_msg(err, errlen, "scalekit: GET " TG__SK_ROUTE_DETAILS ": %s", why);
        } else {
            *found = 1;
            *status = acct.status;
        }
    } else if (resp.status == 404) {
        rc = TG_OK;
    } else {
        rc = tg__sk_answer_error(s, "GET", TG__SK_ROUTE_DETAILS, &resp, err, errlen);
    }
    tg__sk_response_clear(&resp);
    return rc;
}

/* POST create. *has_status is 0 when the answer gave none (a 409 included):
 * the caller reads the account again. */
static int tg__sk_create_account(tg__sk_state *s, const char *connection,
                                 const char *identifier, int64_t deadline, int *has_status,
                                 tg_status *status, char *err, size_t errlen)
{
    char *body = tg__sk_body(connection, identifier, 1), *url;
    char why[TG__SK_ERR_MAX];
    tg__sk_response resp;
    tg__sk_account acct;
    int rc;

    *has_status = 0;
    url = tg__sk_concat(s->cfg.environment_url, TG__SK_ROUTE_CREATE, "", "", "");
    if (!body || !url) {
        free(body);
        free(url);
        tg__sk_msg(err, errlen, "out of memory");
        return TG_ENOMEM;
    }
    rc = tg__sk_api(s, "POST", TG__SK_ROUTE_CREATE, url, body, deadline, &resp, err, errlen);
    free(url);
    free(body);
    if (rc != TG_OK)
        return rc;
    if (tg__sk_ok(resp.status)) {
        rc = tg__sk_parse_account(s->host, resp.body, resp.len, &acct, why, sizeof why);
        if (rc != TG_OK) {
            tg__sk_msg(err, errlen, "scalekit: POST " TG__SK_ROUTE_CREATE ": %s", why);
        } else if (acct.has_status) {
            *has_status = 1;
            *status = acct.status;
        }
    } else if (resp.status != 409) { /* 409: it exists already */
        rc = tg__sk_answer_error(s, "POST", TG__SK_ROUTE_CREATE, &resp, err, errlen);
    }
    tg__sk_response_clear(&resp);
    return rc;
}

/* POST magic_link. *found is 0 on a 404. */
static int tg__sk_magic_link(tg__sk_state *s, const char *connection, const char *identifier,
                             int64_t deadline, int *found, tg__sk_link *link, char *err,
                             size_t errlen)
{
    char *body = tg__sk_body(connection, identifier, 0), *url;
    char why[TG__SK_ERR_MAX];
    tg__sk_response resp;
    int rc;

    *found = 0;
    url = tg__sk_concat(s->cfg.environment_url, TG__SK_ROUTE_LINK, "", "", "");
    if (!body || !url) {
        free(body);
        free(url);
        tg__sk_msg(err, errlen, "out of memory");
        return TG_ENOMEM;
    }
    rc = tg__sk_api(s, "POST", TG__SK_ROUTE_LINK, url, body, deadline, &resp, err, errlen);
    free(url);
    free(body);
    if (rc != TG_OK)
        return rc;
    if (tg__sk_ok(resp.status)) {
        rc = tg__sk_parse_link(resp.body, resp.len, link, why, sizeof why);
        if (rc != TG_OK)
            tg__sk_msg(err, errlen, "scalekit: POST " TG__SK_ROUTE_LINK ": %s", why);
        else
            *found = 1;
    } else if (resp.status != 404) {
        rc = tg__sk_answer_error(s, "POST", TG__SK_ROUTE_LINK, &resp, err, errlen);
    }
    tg__sk_response_clear(&resp);
    return rc;
}

/* ---- methods ------------------------------------------------------------ */

static int tg__sk_host_usable(const tg_host *host)
{
    return host && host->abi_version == TG_PROVIDER_ABI_VERSION &&
           host->struct_size >= offsetof(tg_host, valid_identifier) + sizeof host->valid_identifier &&
           host->set_error && host->status_parse && host->wall_ms && host->valid_connection &&
           host->valid_identifier;
}

static void tg__sk_destroy(void *state);

static const char *tg__sk_getenv(const char *name)
{
    return getenv(name);
}

static int tg__sk_create(const tg_host *host, const char *config_json, const char *base_dir,
                         void *arg, void **state)
{
    tg__sk_state *s;
    pthread_condattr_t attr;
    char why[TG__SK_MSG_MAX];
    int rc;

    (void)base_dir;
    (void)arg;
    if (!state)
        return TG_EINVAL;
    *state = NULL;
    if (!tg__sk_host_usable(host)) {
        if (host && host->set_error)
            host->set_error("scalekit provider: incompatible host services table");
        return TG_EPLUGIN;
    }
    s = calloc(1, sizeof *s);
    if (!s) {
        host->set_error("out of memory");
        return TG_ENOMEM;
    }
    s->host = host;
    if (pthread_mutex_init(&s->tok_lock, NULL) != 0) {
        free(s);
        host->set_error("scalekit provider: cannot create a mutex");
        return TG_ENOMEM;
    }
    if (pthread_condattr_init(&attr) != 0) {
        pthread_mutex_destroy(&s->tok_lock);
        free(s);
        host->set_error("scalekit provider: cannot create a condition variable");
        return TG_ENOMEM;
    }
    rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0 &&
                 pthread_cond_init(&s->tok_cond, &attr) == 0
             ? TG_OK
             : TG_ENOMEM;
    pthread_condattr_destroy(&attr);
    if (rc != TG_OK) {
        pthread_mutex_destroy(&s->tok_lock);
        free(s);
        host->set_error("scalekit provider: cannot create a condition variable");
        return rc;
    }
    rc = tg__sk_config_parse(host, config_json ? config_json : "{}", tg__sk_getenv, &s->cfg);
    if (rc != TG_OK)
        goto fail;
    s->token_url = tg__sk_concat(s->cfg.environment_url, TG__SK_ROUTE_TOKEN, "", "", "");
    if (!s->token_url) {
        host->set_error("out of memory");
        rc = TG_ENOMEM;
        goto fail;
    }
    s->http = tg__sk_http_new(s->cfg.loopback, why, sizeof why);
    if (!s->http) {
        host->set_error("scalekit provider: %s", why);
        rc = TG_ENOMEM;
        goto fail;
    }
    *state = s;
    return TG_OK;
fail:
    tg__sk_destroy(s);
    return rc;
}

static void tg__sk_destroy(void *state)
{
    tg__sk_state *s = state;
    if (!s)
        return;
    tg__sk_http_free(s->http);
    free(s->token_url);
    tg__sk_config_clear(&s->cfg);
    tg__sk_wipe(s->token, sizeof s->token);
    pthread_cond_destroy(&s->tok_cond);
    pthread_mutex_destroy(&s->tok_lock);
    free(s);
}

static int tg__sk_check_names(const tg_host *host, const char *connection,
                              const char *identifier)
{
    if (!connection || !host->valid_connection(connection)) {
        host->set_error("scalekit provider: invalid connection name");
        return TG_EINVAL;
    }
    if (!identifier || !host->valid_identifier(identifier)) {
        host->set_error("scalekit provider: invalid identifier");
        return TG_EINVAL;
    }
    return TG_OK;
}

static int tg__sk_get_status(void *state, const char *connection, const char *identifier,
                             tg_status *status)
{
    tg__sk_state *s = state;
    char err[TG__SK_MSG_MAX] = "";
    int64_t deadline;
    int rc, found = 0, has = 0;
    tg_status st = TG_STATUS_UNKNOWN;

    if (!s || !status)
        return TG_EINVAL;
    rc = tg__sk_check_names(s->host, connection, identifier);
    if (rc != TG_OK)
        return rc;
    deadline = tg__sk_now_ms() + s->cfg.timeout_ms;
    rc = tg__sk_read(s, connection, identifier, deadline, &found, &st, err, sizeof err);
    if (rc == TG_OK && !found) {
        if (!s->cfg.create_missing) {
            *status = TG_STATUS_NOT_FOUND;
            return TG_OK;
        }
        rc = tg__sk_create_account(s, connection, identifier, deadline, &has, &st, err,
                                   sizeof err);
        if (rc == TG_OK && !has) {
            rc = tg__sk_read(s, connection, identifier, deadline, &found, &st, err, sizeof err);
            if (rc == TG_OK && !found) {
                snprintf(err, sizeof err, "scalekit: GET " TG__SK_ROUTE_DETAILS
                                          ": the account was created but reads as missing "
                                          "(HTTP 404)");
                rc = TG_EPROVIDER;
            }
        }
    }
    if (rc != TG_OK) {
        s->host->set_error("%s", err);
        return rc;
    }
    *status = st;
    return TG_OK;
}

static int tg__sk_get_link(void *state, const char *connection, const char *identifier,
                           char *buf, size_t len, int64_t *expires_at_ms)
{
    tg__sk_state *s = state;
    char err[TG__SK_MSG_MAX] = "";
    tg__sk_link *link;
    int64_t deadline;
    int rc, found = 0, has = 0;
    tg_status st;
    size_t n;

    if (!s || !buf || len == 0)
        return TG_EINVAL;
    buf[0] = '\0';
    if (expires_at_ms)
        *expires_at_ms = 0;
    rc = tg__sk_check_names(s->host, connection, identifier);
    if (rc != TG_OK)
        return rc;
    link = malloc(sizeof *link);
    if (!link) {
        s->host->set_error("out of memory");
        return TG_ENOMEM;
    }
    deadline = tg__sk_now_ms() + s->cfg.timeout_ms;
    rc = tg__sk_magic_link(s, connection, identifier, deadline, &found, link, err, sizeof err);
    if (rc == TG_OK && !found && s->cfg.create_missing) {
        rc = tg__sk_create_account(s, connection, identifier, deadline, &has, &st, err,
                                   sizeof err);
        if (rc == TG_OK)
            rc = tg__sk_magic_link(s, connection, identifier, deadline, &found, link, err,
                                   sizeof err);
    }
    if (rc == TG_OK && !found) {
        snprintf(err, sizeof err, "scalekit: POST " TG__SK_ROUTE_LINK
                                  ": no such connected account (HTTP 404)%s",
                 s->cfg.create_missing ? "" : "; provider.create_missing is false");
        rc = TG_EPROVIDER;
    }
    if (rc == TG_OK) {
        n = strlen(link->link);
        if (n >= len) {
            snprintf(err, sizeof err,
                     "scalekit: POST " TG__SK_ROUTE_LINK ": the link is longer than %zu bytes",
                     len - 1);
            rc = TG_EPROVIDER;
        } else {
            memcpy(buf, link->link, n + 1);
            if (expires_at_ms)
                *expires_at_ms = link->expires_at_ms;
        }
    }
    free(link);
    if (rc != TG_OK)
        s->host->set_error("%s", err);
    return rc;
}

static const tg_provider tg__sk_provider = {
    TG_PROVIDER_ABI_VERSION,
    (uint32_t)sizeof(tg_provider),
    "scalekit",
    tg__sk_create,
    tg__sk_destroy,
    tg__sk_get_status,
    tg__sk_get_link,
};

static const tg_provider *tg__sk_entry(uint32_t host_abi_version)
{
    return host_abi_version == TG_PROVIDER_ABI_VERSION ? &tg__sk_provider : NULL;
}

#ifdef TG_PROVIDER_BUILTIN
const tg_provider *tg__scalekit_provider_entry(uint32_t host_abi_version)
{
    return tg__sk_entry(host_abi_version);
}
#else
__attribute__((visibility("default"))) const tg_provider *
tg_provider_entry(uint32_t host_abi_version);
__attribute__((visibility("default"))) const tg_provider *
tg_provider_entry(uint32_t host_abi_version)
{
    return tg__sk_entry(host_abi_version);
}
#endif
