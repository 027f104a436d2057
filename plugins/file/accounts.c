/* The file provider's accounts file: bytes in, accounts out (docs/design.md §7).
 * Uses only the tg_host table: this file is also built into the loadable
 * module, which must not link libtoolgate. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json_object.h>
#include <json-c/json_object_iterator.h>

#define HASH_NONFATAL_OOM 1
#include <uthash.h>

#include "accounts.h"

typedef struct tg__account {
    UT_hash_handle hh;
    tg_status status;
    uint32_t index;  /* position in the file's "accounts" array */
    unsigned keylen;
    char key[];      /* connection '\0' identifier; the NUL cannot occur in either */
} tg__account;

struct tg__accounts {
    tg__account *table;  /* uthash head */
    size_t count;
    char *link_base;
};

/* A key never exceeds this: the longest connection, a NUL, the longest identifier. */
#define TG__ACCOUNT_KEY_MAX (TG_CONNECTION_MAX + 1 + TG_IDENTIFIER_MAX)

tg__accounts *tg__accounts_new(void)
{
    return calloc(1, sizeof(tg__accounts));
}

void tg__accounts_free(tg__accounts *a)
{
    tg__account *e, *tmp;

    if (!a)
        return;
    HASH_ITER(hh, a->table, e, tmp) {
        HASH_DELETE(hh, a->table, e);
        free(e);
    }
    free(a->link_base);
    free(a);
}

size_t tg__accounts_count(const tg__accounts *a)
{
    return a ? a->count : 0;
}

const char *tg__accounts_link_base(const tg__accounts *a)
{
    return a ? a->link_base : NULL;
}

/* Join the names into a key buffer of TG__ACCOUNT_KEY_MAX bytes. 0 when a
 * name is too long to be a valid one (so it cannot be in any set). */
static size_t tg__account_key(char *key, const char *connection, size_t clen,
                              const char *identifier, size_t ilen)
{
    if (clen > TG_CONNECTION_MAX || ilen > TG_IDENTIFIER_MAX)
        return 0;
    memcpy(key, connection, clen);
    key[clen] = '\0';
    memcpy(key + clen + 1, identifier, ilen);
    return clen + 1 + ilen;
}

static const tg__account *tg__account_lookup(const tg__accounts *a, const char *key,
                                             size_t keylen)
{
    tg__account *e = NULL;
    /* uthash's HASH_FIND takes a non-const head; finding does not modify it. */
    tg__account *head = a->table;
    HASH_FIND(hh, head, key, (unsigned)keylen, e);
    return e;
}

/* Insert; on a duplicate, *existing points at the first entry and 1 is returned. */
static int tg__account_insert(tg__accounts *a, const char *connection, size_t clen,
                              const char *identifier, size_t ilen, tg_status status,
                              uint32_t index, const tg__account **existing)
{
    char key[TG__ACCOUNT_KEY_MAX];
    size_t keylen = tg__account_key(key, connection, clen, identifier, ilen);
    const tg__account *found;
    tg__account *e;

    if (keylen == 0)
        return TG_EINVAL;
    found = tg__account_lookup(a, key, keylen);
    if (found) {
        if (existing)
            *existing = found;
        return 1;
    }
    e = malloc(sizeof *e + keylen);
    if (!e)
        return TG_ENOMEM;
    memset(e, 0, sizeof *e);
    e->status = status;
    e->index = index;
    e->keylen = (unsigned)keylen;
    memcpy(e->key, key, keylen);
    HASH_ADD_KEYPTR(hh, a->table, e->key, e->keylen, e);
    if (e->hh.tbl == NULL) { /* HASH_NONFATAL_OOM: not added */
        free(e);
        return TG_ENOMEM;
    }
    a->count++;
    return 0;
}

int tg__accounts_add(tg__accounts *a, const char *connection, const char *identifier,
                     tg_status status)
{
    if (!a || !connection || !identifier)
        return TG_EINVAL;
    return tg__account_insert(a, connection, strlen(connection), identifier,
                              strlen(identifier), status, 0, NULL);
}

int tg__accounts_find(const tg__accounts *a, const char *connection, const char *identifier,
                      tg_status *status)
{
    char key[TG__ACCOUNT_KEY_MAX];
    size_t clen, ilen, keylen;
    const tg__account *e;

    if (!a || !connection || !identifier || !a->table)
        return 0;
    clen = strnlen(connection, TG_CONNECTION_MAX + 1);
    ilen = strnlen(identifier, TG_IDENTIFIER_MAX + 1);
    keylen = tg__account_key(key, connection, clen, identifier, ilen);
    if (keylen == 0)
        return 0;
    e = tg__account_lookup(a, key, keylen);
    if (!e)
        return 0;
    if (status)
        *status = e->status;
    return 1;
}

/* ---- parsing ------------------------------------------------------------ */

typedef struct tg__parse {
    const tg_host *host;
    char *err;
    size_t errlen;
} tg__parse;

static int tg__parse_fail(tg__parse *p, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Write "accounts file: <detail>" into the caller's buffer. */
static int tg__parse_fail(tg__parse *p, int code, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (!p->err || p->errlen == 0)
        return code;
    n = snprintf(p->err, p->errlen, "accounts file: ");
    if (n < 0 || (size_t)n >= p->errlen)
        return code;
    va_start(ap, fmt);
    vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return code;
}

/* Bytes of a rejected value quoted in a message (the host's excerpt quoting):
 * 4 bytes out per byte in, at worst, plus "..." and the NUL fit
 * TG__ACCOUNTS_EXCERPT_BUF. */
#define TG__EXCERPT_MAX 64

/* Parse the whole buffer as one JSON value, through the host's bounded
 * parser (strict, every key once, nothing after the value). */
static int tg__parse_json(tg__parse *p, const char *bytes, size_t len, json_object **out)
{
    char why[TG__ACCOUNTS_ERR_MAX];
    int rc = p->host->parse_json(bytes, len, TG__ACCOUNTS_MAX_BYTES, TG__ACCOUNTS_MAX_DEPTH, 0,
                                 "accounts file", out, why, sizeof why);
    if (rc == TG_ENOMEM)
        return tg__parse_fail(p, TG_ENOMEM, "out of memory");
    if (rc != TG_OK) {
        /* The host's message names the file already. */
        if (p->err && p->errlen)
            snprintf(p->err, p->errlen, "%s", why);
        return TG_ECONFIG;
    }
    return TG_OK;
}

static int tg__ascii_prefix_ci(const char *s, const char *prefix)
{
    size_t i;
    for (i = 0; prefix[i]; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != prefix[i])
            return 0;
    }
    return 1;
}

static int tg__parse_link_base(tg__parse *p, json_object *v, tg__accounts *a)
{
    const char *s;
    size_t n, i, scheme;

    if (!json_object_is_type(v, json_type_string))
        return tg__parse_fail(p, TG_ECONFIG, "link_base: must be a string");
    s = json_object_get_string(v);
    n = (size_t)json_object_get_string_len(v);
    if (n > TG__ACCOUNTS_LINK_BASE_MAX)
        return tg__parse_fail(p, TG_ECONFIG, "link_base: longer than %u bytes",
                              (unsigned)TG__ACCOUNTS_LINK_BASE_MAX);
    if (tg__ascii_prefix_ci(s, "https://"))
        scheme = 8;
    else if (tg__ascii_prefix_ci(s, "http://"))
        scheme = 7;
    else
        return tg__parse_fail(p, TG_ECONFIG, "link_base: must start with http:// or https://");
    if (scheme >= n || s[scheme] == '/' || s[scheme] == '?')
        return tg__parse_fail(p, TG_ECONFIG, "link_base: has no host");
    /* The link is link_base plus a query: a fragment would swallow the query,
     * and raw spaces or controls make it no URL at all. */
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7F)
            return tg__parse_fail(p, TG_ECONFIG,
                                  "link_base: byte %zu is not printable ASCII (percent-encode it)",
                                  i);
        if (c == '#')
            return tg__parse_fail(p, TG_ECONFIG, "link_base: must not contain a fragment ('#')");
    }
    a->link_base = malloc(n + 1);
    if (!a->link_base)
        return tg__parse_fail(p, TG_ENOMEM, "out of memory");
    memcpy(a->link_base, s, n + 1);
    return TG_OK;
}

/* A string member of an account: present, a string, no NUL inside. */
static int tg__account_string(tg__parse *p, json_object *acct, size_t idx, const char *key,
                              const char **out, size_t *out_len)
{
    json_object *v;

    if (!json_object_object_get_ex(acct, key, &v))
        return tg__parse_fail(p, TG_ECONFIG, "accounts[%zu]: missing \"%s\"", idx, key);
    if (!json_object_is_type(v, json_type_string))
        return tg__parse_fail(p, TG_ECONFIG, "accounts[%zu].%s: must be a string", idx, key);
    *out = json_object_get_string(v);
    *out_len = (size_t)json_object_get_string_len(v);
    if (strlen(*out) != *out_len)
        return tg__parse_fail(p, TG_ECONFIG, "accounts[%zu].%s: contains a NUL character", idx,
                              key);
    return TG_OK;
}

static int tg__account_status(tg__parse *p, json_object *acct, size_t idx, tg_status *out)
{
    json_object *v;
    char ex[TG__ACCOUNTS_EXCERPT_BUF];
    char num[24];
    const char *text;

    if (!json_object_object_get_ex(acct, "status", &v))
        return tg__parse_fail(p, TG_ECONFIG, "accounts[%zu]: missing \"status\"", idx);
    if (json_object_is_type(v, json_type_int)) {
        int64_t n = json_object_get_int64(v);
        snprintf(num, sizeof num, "%lld", (long long)n);
        text = num;
    } else if (json_object_is_type(v, json_type_string)) {
        text = json_object_get_string(v);
        if (strlen(text) != (size_t)json_object_get_string_len(v))
            return tg__parse_fail(p, TG_ECONFIG,
                                  "accounts[%zu].status: contains a NUL character", idx);
    } else {
        return tg__parse_fail(p, TG_ECONFIG,
                              "accounts[%zu].status: must be a string or an integer", idx);
    }
    if (p->host->status_parse(text, out) != TG_OK) {
        p->host->excerpt(text, strlen(text), TG__EXCERPT_MAX, ex, sizeof ex);
        return tg__parse_fail(p, TG_ECONFIG, "accounts[%zu].status: unknown status \"%s\"", idx,
                              ex);
    }
    return TG_OK;
}

static int tg__parse_account(tg__parse *p, json_object *acct, size_t idx, tg__accounts *a)
{
    struct json_object_iterator it, end;
    const char *conn, *ident;
    size_t clen, ilen;
    tg_status status;
    const tg__account *first = NULL;
    char ex[TG__ACCOUNTS_EXCERPT_BUF], ex2[TG__ACCOUNTS_EXCERPT_BUF];
    int rc;

    if (!json_object_is_type(acct, json_type_object))
        return tg__parse_fail(p, TG_ECONFIG, "accounts[%zu]: must be an object", idx);
    it = json_object_iter_begin(acct);
    end = json_object_iter_end(acct);
    for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
        const char *k = json_object_iter_peek_name(&it);
        if (strcmp(k, "connection") != 0 && strcmp(k, "identifier") != 0 &&
            strcmp(k, "status") != 0) {
            p->host->excerpt(k, strlen(k), TG__EXCERPT_MAX, ex, sizeof ex);
            return tg__parse_fail(p, TG_ECONFIG, "accounts[%zu]: unknown key \"%s\"", idx, ex);
        }
    }
    rc = tg__account_string(p, acct, idx, "connection", &conn, &clen);
    if (rc != TG_OK)
        return rc;
    if (!p->host->valid_connection(conn)) {
        p->host->excerpt(conn, clen, TG__EXCERPT_MAX, ex, sizeof ex);
        return tg__parse_fail(p, TG_ECONFIG,
                              "accounts[%zu].connection: invalid connection \"%s\" (must be 1-%d "
                              "characters of A-Z a-z 0-9 _ - : and space)",
                              idx, ex, TG_CONNECTION_MAX);
    }
    rc = tg__account_string(p, acct, idx, "identifier", &ident, &ilen);
    if (rc != TG_OK)
        return rc;
    if (!p->host->valid_identifier(ident)) {
        p->host->excerpt(ident, ilen, TG__EXCERPT_MAX, ex, sizeof ex);
        return tg__parse_fail(p, TG_ECONFIG,
                              "accounts[%zu].identifier: invalid identifier \"%s\" (must be 1-%d "
                              "bytes of UTF-8 without control characters)",
                              idx, ex, TG_IDENTIFIER_MAX);
    }
    rc = tg__account_status(p, acct, idx, &status);
    if (rc != TG_OK)
        return rc;
    rc = tg__account_insert(a, conn, clen, ident, ilen, status, (uint32_t)idx, &first);
    if (rc == 1) {
        p->host->excerpt(conn, clen, TG__EXCERPT_MAX, ex, sizeof ex);
        p->host->excerpt(ident, ilen, TG__EXCERPT_MAX, ex2, sizeof ex2);
        return tg__parse_fail(p, TG_ECONFIG,
                              "accounts[%zu]: duplicate account (connection \"%s\", identifier "
                              "\"%s\"), first listed at accounts[%u]",
                              idx, ex, ex2, (unsigned)first->index);
    }
    if (rc == TG_ENOMEM)
        return tg__parse_fail(p, TG_ENOMEM, "out of memory");
    if (rc != 0) /* names were validated: cannot happen */
        return tg__parse_fail(p, TG_ECONFIG, "accounts[%zu]: invalid account", idx);
    return TG_OK;
}

static int tg__parse_root(tg__parse *p, json_object *root, tg__accounts *a)
{
    struct json_object_iterator it, end;
    json_object *v;
    char ex[TG__ACCOUNTS_EXCERPT_BUF];
    size_t i, n;
    int rc;

    if (!json_object_is_type(root, json_type_object))
        return tg__parse_fail(p, TG_ECONFIG, "the top level must be a JSON object");
    it = json_object_iter_begin(root);
    end = json_object_iter_end(root);
    for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
        const char *k = json_object_iter_peek_name(&it);
        if (strcmp(k, "link_base") != 0 && strcmp(k, "accounts") != 0) {
            p->host->excerpt(k, strlen(k), TG__EXCERPT_MAX, ex, sizeof ex);
            return tg__parse_fail(p, TG_ECONFIG,
                                  "unknown key \"%s\" (expected \"link_base\" and \"accounts\")",
                                  ex);
        }
    }
    if (!json_object_object_get_ex(root, "link_base", &v))
        return tg__parse_fail(p, TG_ECONFIG, "missing \"link_base\"");
    rc = tg__parse_link_base(p, v, a);
    if (rc != TG_OK)
        return rc;
    if (!json_object_object_get_ex(root, "accounts", &v))
        return TG_OK;
    if (!json_object_is_type(v, json_type_array))
        return tg__parse_fail(p, TG_ECONFIG, "accounts: must be an array");
    n = json_object_array_length(v);
    if (n > UINT32_MAX)
        return tg__parse_fail(p, TG_ECONFIG, "accounts: too many entries");
    for (i = 0; i < n; i++) {
        rc = tg__parse_account(p, json_object_array_get_idx(v, i), i, a);
        if (rc != TG_OK)
            return rc;
    }
    return TG_OK;
}

static int tg__host_usable(const tg_host *host)
{
    return host && host->struct_size >= offsetof(tg_host, excerpt) + sizeof host->excerpt &&
           host->status_parse && host->valid_connection && host->valid_identifier &&
           host->parse_json && host->excerpt;
}

int tg__accounts_parse(const tg_host *host, const char *bytes, size_t len, tg__accounts **out,
                       char *err, size_t errlen)
{
    tg__parse p;
    tg__accounts *a;
    json_object *root = NULL;
    int rc;

    if (err && errlen)
        err[0] = '\0';
    p.host = host;
    p.err = err;
    p.errlen = errlen;
    if (!out)
        return tg__parse_fail(&p, TG_EINVAL, "no place for the result");
    *out = NULL;
    if (!tg__host_usable(host))
        return tg__parse_fail(&p, TG_EINVAL, "host services missing");
    if (!bytes && len > 0)
        return tg__parse_fail(&p, TG_EINVAL, "no input");
    if (len > TG__ACCOUNTS_MAX_BYTES)
        return tg__parse_fail(&p, TG_ECONFIG, "larger than %u bytes",
                              (unsigned)TG__ACCOUNTS_MAX_BYTES);
    if (len == 0)
        return tg__parse_fail(&p, TG_ECONFIG, "empty");
    rc = tg__parse_json(&p, bytes, len, &root);
    if (rc != TG_OK)
        return rc;
    a = tg__accounts_new();
    if (!a) {
        json_object_put(root);
        return tg__parse_fail(&p, TG_ENOMEM, "out of memory");
    }
    rc = tg__parse_root(&p, root, a);
    json_object_put(root);
    if (rc != TG_OK) {
        tg__accounts_free(a);
        return rc;
    }
    *out = a;
    return TG_OK;
}
