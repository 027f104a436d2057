/* The connected-accounts API calls; see api.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json_object.h>

#include "api.h"
#include "host.h"
#include "token.h"
#include "wipe.h"

/* ---- a call ------------------------------------------------------------- */

int tg__sk_call_begin(tg__sk_call *c, tg__sk_state *s)
{
    int64_t started = tg__sk_check_started_ms(s->host);

    memset(c, 0, sizeof *c);
    c->s = s;
    if (started == 0)
        started = tg__sk_http_now_ms(s->http);
    c->deadline = started + s->cfg.timeout_ms;
    c->token = malloc(TG__SK_TOKEN_MAX + 1);
    if (!c->token) {
        snprintf(c->err, sizeof c->err, "scalekit: out of memory");
        return TG_ENOMEM;
    }
    c->token[0] = '\0';
    c->secrets.item[0] = s->cfg.client_secret;
    c->secrets.item[1] = c->token;
    return TG_OK;
}

void tg__sk_call_end(tg__sk_call *c)
{
    if (c->token) { /* only a NUL-terminated token was ever written to it */
        tg__sk_wipe(c->token, strnlen(c->token, TG__SK_TOKEN_MAX) + 1);
        free(c->token);
    }
    c->token = NULL;
    c->secrets.item[1] = NULL;
}

/* ---- requests ----------------------------------------------------------- */

/* Send an authorized request; on a 401, get a new token once and send once
 * more. TG_OK: an answer (any status) in resp. */
static int tg__sk_api(tg__sk_call *c, const char *method, const char *route, const char *url,
                      const char *json, tg__sk_response *resp)
{
    tg__sk_state *s = c->s;
    tg__sk_request rq;
    int rc = TG_OK, round;

    memset(resp, 0, sizeof *resp);
    for (round = 0; round < 2; round++) {
        rc = tg__sk_token_get(c);
        if (rc != TG_OK)
            break;
        memset(&rq, 0, sizeof rq);
        rq.method = method;
        rq.route = route;
        rq.url = url;
        rq.bearer = c->token;
        if (json) {
            rq.content_type = "application/json";
            rq.body = json;
            rq.body_len = strlen(json);
        }
        rc = tg__sk_http_send(s->http, &rq, c->deadline, resp);
        if (rc != TG_OK) {
            tg__sk_describe_net(route, resp, s->cfg.timeout_ms, s->cfg.url.hostport, &c->secrets,
                                c->err, sizeof c->err);
            break;
        }
        if (resp->status != 401 || round == 1)
            break;
        tg__sk_log(s->host, TG_LOG_INFO,
                   "%s %s: HTTP 401, the access token was refused: fetching a new one", method,
                   route);
        tg__sk_token_drop(s, c->token_gen);
        tg__sk_response_clear(resp);
    }
    return rc;
}

static int tg__sk_ok(long status)
{
    return status >= 200 && status < 300;
}

char *tg__sk_join(const char *first, ...)
{
    va_list ap;
    const char *p;
    size_t len = 0, at = 0, n;
    char *s;

    va_start(ap, first);
    for (p = first; p; p = va_arg(ap, const char *))
        len += strlen(p);
    va_end(ap);
    s = malloc(len + 1);
    if (!s)
        return NULL;
    va_start(ap, first);
    for (p = first; p; p = va_arg(ap, const char *)) {
        n = strlen(p);
        memcpy(s + at, p, n);
        at += n;
    }
    va_end(ap);
    s[at] = '\0';
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

/* Add @p v (NULL: out of memory) to @p o as @p key. 0, or -1 with @p v freed. */
static int tg__sk_add(json_object *o, const char *key, json_object *v)
{
    if (!v)
        return -1;
    if (json_object_object_add(o, key, v) != 0) {
        json_object_put(v);
        return -1;
    }
    return 0;
}

char *tg__sk_api_body(const char *connection, const char *identifier, int with_account)
{
    json_object *o = json_object_new_object(), *acct, *details;
    const char *text;
    char *copy = NULL;

    if (!o)
        return NULL;
    if (tg__sk_add(o, "connector", json_object_new_string(connection)) != 0 ||
        tg__sk_add(o, "identifier", json_object_new_string(identifier)) != 0)
        goto out;
    if (with_account) {
        /* As the official SDKs send it: an OAuth account, no credentials yet. */
        acct = json_object_new_object();
        if (tg__sk_add(o, "connected_account", acct) != 0)
            goto out;
        details = json_object_new_object();
        if (tg__sk_add(acct, "authorization_details", details) != 0 ||
            tg__sk_add(details, "oauth_token", json_object_new_object()) != 0)
            goto out;
    }
    text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                 JSON_C_TO_STRING_NOSLASHESCAPE);
    if (text)
        copy = strdup(text);
out:
    json_object_put(o);
    return copy;
}

int tg__sk_api_read(tg__sk_call *c, const char *connection, const char *identifier, int *found,
                    tg_status *status)
{
    tg__sk_state *s = c->s;
    char *conn = tg__sk_encoded(connection), *id = tg__sk_encoded(identifier), *url = NULL;
    char why[TG__SK_ERR_MAX];
    tg__sk_response resp;
    tg__sk_account acct;
    int rc;

    *found = 0;
    if (conn && id)
        url = tg__sk_join(s->cfg.environment_url, TG__SK_ROUTE_DETAILS "?connector=", conn,
                          "&identifier=", id, (char *)NULL);
    free(conn);
    free(id);
    if (!url) {
        snprintf(c->err, sizeof c->err, "scalekit: out of memory");
        return TG_ENOMEM;
    }
    rc = tg__sk_api(c, "GET", TG__SK_ROUTE_DETAILS, url, NULL, &resp);
    free(url);
    if (rc != TG_OK)
        return rc;
    if (tg__sk_ok(resp.status)) {
        rc = tg__sk_parse_account(s->host, resp.body, resp.len, &c->secrets, &acct, why,
                                  sizeof why);
        if (rc == TG_OK && !acct.has_status) {
            snprintf(why, sizeof why, "has no status");
            rc = TG_EPROVIDER;
        }
        if (rc != TG_OK) {
            tg__sk_describe_answer(TG__SK_ROUTE_DETAILS, why, c->err, sizeof c->err);
        } else {
            *found = 1;
            *status = acct.status;
        }
    } else if (resp.status == 404) {
        rc = TG_OK;
    } else {
        tg__sk_describe_status(TG__SK_ROUTE_DETAILS, &resp, &c->secrets, c->err, sizeof c->err);
        rc = TG_EPROVIDER;
    }
    tg__sk_response_clear(&resp);
    return rc;
}

/* POST a JSON body about (connection, identifier) to @p route: TG_OK and
 * the answer (any status) in resp, or a failure with c->err. */
static int tg__sk_api_post(tg__sk_call *c, const char *route, const char *connection,
                           const char *identifier, int with_account, tg__sk_response *resp)
{
    char *body = tg__sk_api_body(connection, identifier, with_account);
    char *url = tg__sk_join(c->s->cfg.environment_url, route, (char *)NULL);
    int rc = TG_ENOMEM;

    memset(resp, 0, sizeof *resp);
    if (body && url)
        rc = tg__sk_api(c, "POST", route, url, body, resp);
    else
        snprintf(c->err, sizeof c->err, "scalekit: out of memory");
    free(url);
    free(body);
    return rc;
}

int tg__sk_api_create(tg__sk_call *c, const char *connection, const char *identifier,
                      int *has_status, tg_status *status)
{
    char why[TG__SK_ERR_MAX];
    tg__sk_response resp;
    tg__sk_account acct;
    int rc;

    *has_status = 0;
    rc = tg__sk_api_post(c, TG__SK_ROUTE_CREATE, connection, identifier, 1, &resp);
    if (rc != TG_OK)
        return rc;
    if (tg__sk_ok(resp.status)) {
        rc = tg__sk_parse_account(c->s->host, resp.body, resp.len, &c->secrets, &acct, why,
                                  sizeof why);
        if (rc != TG_OK) {
            tg__sk_describe_answer(TG__SK_ROUTE_CREATE, why, c->err, sizeof c->err);
        } else if (acct.has_status) {
            *has_status = 1;
            *status = acct.status;
        }
    } else if (resp.status != 409) { /* 409: it exists already */
        tg__sk_describe_status(TG__SK_ROUTE_CREATE, &resp, &c->secrets, c->err, sizeof c->err);
        rc = TG_EPROVIDER;
    }
    tg__sk_response_clear(&resp);
    return rc;
}

int tg__sk_api_link(tg__sk_call *c, const char *connection, const char *identifier, int *found,
                    tg__sk_link *link)
{
    char why[TG__SK_ERR_MAX];
    tg__sk_response resp;
    int rc;

    *found = 0;
    rc = tg__sk_api_post(c, TG__SK_ROUTE_LINK, connection, identifier, 0, &resp);
    if (rc != TG_OK)
        return rc;
    if (tg__sk_ok(resp.status)) {
        rc = tg__sk_parse_link(c->s->host, resp.body, resp.len, c->s->host->wall_ms(),
                               &c->secrets, link, why, sizeof why);
        if (rc != TG_OK)
            tg__sk_describe_answer(TG__SK_ROUTE_LINK, why, c->err, sizeof c->err);
        else
            *found = 1;
    } else if (resp.status != 404) {
        tg__sk_describe_status(TG__SK_ROUTE_LINK, &resp, &c->secrets, c->err, sizeof c->err);
        rc = TG_EPROVIDER;
    }
    tg__sk_response_clear(&resp);
    return rc;
}
