/* The Scalekit routes the dev server answers: the client-credentials token
 * endpoint, the connected-accounts API, execute_tool, and the magic-link page
 * that plays the user's consent. Shapes follow agentkit-openapi.json. */
#include "server.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Magic links live ten minutes. */
#define LINK_TTL_S 600
#define LINK_TOKEN_BYTES 24
#define DEFAULT_PAGE_SIZE 10
#define MAX_PAGE_SIZE 100
#define MAX_TOOL_NAME 128

/* ---- shared pieces -------------------------------------------------------- */

static void reply_account(struct dev_call *c, int status, const struct dev_account *a,
                          enum dev_account_view view)
{
  json_object *o = json_object_new_object();
  json_object *acc = dev_account_json(a, view);
  if (o == NULL || acc == NULL) {
    json_object_put(o);
    json_object_put(acc);
    dev_reply_json(&c->reply, 500, NULL);
    return;
  }
  json_object_object_add(o, "connected_account", acc);
  dev_reply_json(&c->reply, status, o);
}

static void reply_not_found(struct dev_call *c)
{
  dev_reply_error(&c->reply, 404, DEV_GRPC_NOT_FOUND, "connected account not found");
}

/* connector and identifier from a JSON body; false after a 400. */
static bool body_account(struct dev_call *c, json_object *body, const char **connector,
                         const char **identifier)
{
  *connector = dev_call_body_string(c, body, "connector", DEV_FIELD_CONNECTOR, true);
  if (*connector == NULL)
    return false;
  *identifier = dev_call_body_string(c, body, "identifier", DEV_FIELD_IDENTIFIER, true);
  return *identifier != NULL;
}

/* ---- POST /oauth/token ------------------------------------------------------ */

static int hexval(char ch)
{
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

/* URL-decode src[0..len) (form rules: '+' is a space) into dst (len + 1
 * bytes); returns the decoded length, or -1 for a bad escape or a NUL. */
static long form_decode(const char *src, size_t len, char *dst)
{
  size_t o = 0;
  for (size_t i = 0; i < len; i++) {
    char ch = src[i];
    if (ch == '+') {
      ch = ' ';
    } else if (ch == '%') {
      if (i + 2 >= len)
        return -1;
      int hi = hexval(src[i + 1]), lo = hexval(src[i + 2]);
      if (hi < 0 || lo < 0)
        return -1;
      ch = (char)(hi * 16 + lo);
      i += 2;
    }
    if (ch == '\0')
      return -1;
    dst[o++] = ch;
  }
  dst[o] = '\0';
  return (long)o;
}

/* The first value of key in a form body, decoded into a new string (caller
 * frees); NULL when absent. *bad is set for an undecodable value. */
static char *form_value(const char *body, size_t len, const char *key, bool *bad)
{
  size_t klen = strlen(key);
  size_t i = 0;
  while (i < len) {
    const char *amp = memchr(body + i, '&', len - i);
    size_t end = amp ? (size_t)(amp - body) : len;
    const char *pair = body + i;
    size_t plen = end - i;
    const char *eq = memchr(pair, '=', plen);
    size_t nlen = eq ? (size_t)(eq - pair) : plen;
    if (nlen == klen && memcmp(pair, key, klen) == 0) {
      const char *v = eq ? eq + 1 : pair + plen;
      size_t vlen = (size_t)(pair + plen - v);
      char *out = malloc(vlen + 1);
      if (out == NULL || form_decode(v, vlen, out) < 0) {
        free(out);
        *bad = true;
        return NULL;
      }
      return out;
    }
    i = end + 1;
  }
  return NULL;
}

/* Compare without an early exit, so timing does not tell how much matched. */
static bool same_secret(const char *a, const char *b)
{
  size_t la = strlen(a), lb = strlen(b);
  unsigned char diff = (unsigned char)(la != lb);
  for (size_t i = 0; i < la; i++)
    diff |= (unsigned char)(a[i] ^ (i < lb ? b[i] : 0));
  return diff == 0;
}

static void handle_token(struct dev_call *c)
{
  const char *type = dev_call_header(c, "Content-Type");
  if (type == NULL || strncasecmp(type, "application/x-www-form-urlencoded", 33) != 0) {
    dev_reply_oauth_error(&c->reply, 400, "invalid_request",
                          "the body must be application/x-www-form-urlencoded");
    return;
  }
  bool bad = false;
  char *grant = form_value(c->body, c->body_len, "grant_type", &bad);
  char *id = form_value(c->body, c->body_len, "client_id", &bad);
  char *secret = form_value(c->body, c->body_len, "client_secret", &bad);
  struct dev_state *st = c->st;
  if (bad) {
    dev_reply_oauth_error(&c->reply, 400, "invalid_request", "the form body is malformed");
  } else if (grant == NULL || grant[0] == '\0') {
    dev_reply_oauth_error(&c->reply, 400, "invalid_request", "grant_type is required");
  } else if (strcmp(grant, "client_credentials") != 0) {
    dev_reply_oauth_error(&c->reply, 400, "unsupported_grant_type",
                          "only client_credentials is supported");
  } else if (id == NULL || secret == NULL ||
             !same_secret(id, st->cfg.client_id) ||
             !same_secret(secret, st->cfg.client_secret)) {
    dev_reply_oauth_error(&c->reply, 401, "invalid_client", "invalid client credentials");
  } else {
    char token[DEV_TOKEN_MAX];
    pthread_mutex_lock(&st->lock);
    int rc = dev_tokens_issue(&st->access_tokens, "skdev_", 24, dev_now_ms(),
                              st->cfg.token_ttl_s * 1000, NULL, 0, token, sizeof token);
    pthread_mutex_unlock(&st->lock);
    json_object *o = rc == 0 ? json_object_new_object() : NULL;
    if (o != NULL) {
      json_object_object_add(o, "access_token", json_object_new_string(token));
      json_object_object_add(o, "token_type", json_object_new_string("Bearer"));
      json_object_object_add(o, "expires_in", json_object_new_int64(st->cfg.token_ttl_s));
      json_object_object_add(o, "scope", json_object_new_string("openid"));
    }
    dev_reply_json(&c->reply, 200, o);
    c->reply.no_store = true;
  }
  free(grant);
  free(id);
  free(secret);
}

/* ---- GET /api/v1/connected_accounts/details and /auth ----------------------- */

static void get_account(struct dev_call *c, enum dev_account_view view)
{
  const char *connector = dev_call_need_query(c, "connector", DEV_FIELD_CONNECTOR);
  if (connector == NULL)
    return;
  const char *identifier = dev_call_need_query(c, "identifier", DEV_FIELD_IDENTIFIER);
  if (identifier == NULL)
    return;
  struct dev_state *st = c->st;
  pthread_mutex_lock(&st->lock);
  dev_stats_count_key(&st->stats, connector, identifier);
  const struct dev_account *a = dev_accounts_find(&st->accounts, connector, identifier);
  if (a != NULL)
    reply_account(c, 200, a, view);
  pthread_mutex_unlock(&st->lock);
  if (a == NULL)
    reply_not_found(c);
}

static void handle_details(struct dev_call *c) { get_account(c, DEV_VIEW_DETAILS); }
static void handle_auth(struct dev_call *c) { get_account(c, DEV_VIEW_AUTH); }

/* ---- GET /api/v1/connected_accounts ------------------------------------------ */

/* A non-negative decimal of at most 9 digits; -1 otherwise. */
static long small_number(const char *s, size_t len)
{
  if (len == 0 || len > 9)
    return -1;
  long n = 0;
  for (size_t i = 0; i < len; i++) {
    if (!isdigit((unsigned char)s[i]))
      return -1;
    n = n * 10 + (s[i] - '0');
  }
  return n;
}

static void handle_list(struct dev_call *c)
{
  size_t len = 0;
  const char *connector = dev_call_query(c, "connector", &len);
  if (connector != NULL && len == 0)
    connector = NULL;
  if (connector != NULL && !dev_valid_connector(connector, len)) {
    dev_reply_error(&c->reply, 400, DEV_GRPC_INVALID_ARGUMENT, "connector is invalid");
    return;
  }
  const char *identifier = dev_call_query(c, "identifier", &len);
  if (identifier != NULL && len == 0)
    identifier = NULL;
  if (identifier != NULL && !dev_valid_identifier(identifier, len)) {
    dev_reply_error(&c->reply, 400, DEV_GRPC_INVALID_ARGUMENT, "identifier is invalid");
    return;
  }
  long page_size = DEFAULT_PAGE_SIZE;
  const char *v = dev_call_query(c, "page_size", &len);
  if (v != NULL && len > 0) {
    page_size = small_number(v, len);
    if (page_size < 0 || page_size > MAX_PAGE_SIZE) {
      dev_reply_error(&c->reply, 400, DEV_GRPC_INVALID_ARGUMENT,
                      "page_size must be an integer between 0 and %d", MAX_PAGE_SIZE);
      return;
    }
    if (page_size == 0)
      page_size = DEFAULT_PAGE_SIZE;
  }
  long offset = 0;
  v = dev_call_query(c, "page_token", &len);
  if (v != NULL && len > 0) {
    offset = small_number(v, len);
    if (offset < 0) {
      dev_reply_error(&c->reply, 400, DEV_GRPC_INVALID_ARGUMENT, "page_token is invalid");
      return;
    }
  }

  json_object *o = json_object_new_object();
  json_object *items = json_object_new_array();
  if (o == NULL || items == NULL) {
    json_object_put(o);
    json_object_put(items);
    dev_reply_json(&c->reply, 500, NULL);
    return;
  }
  long total = 0;
  struct dev_state *st = c->st;
  pthread_mutex_lock(&st->lock);
  const struct dev_account *a, *tmp;
  HASH_ITER(hh, st->accounts.table, a, tmp) {
    if (connector != NULL && strcmp(a->connector, connector) != 0)
      continue;
    if (identifier != NULL && strcmp(a->identifier, identifier) != 0)
      continue;
    if (total >= offset && total < offset + page_size)
      json_object_array_add(items, dev_account_json(a, DEV_VIEW_LIST));
    total++;
  }
  pthread_mutex_unlock(&st->lock);
  if (offset > total) {
    json_object_put(o);
    json_object_put(items);
    dev_reply_error(&c->reply, 400, DEV_GRPC_INVALID_ARGUMENT, "page_token is invalid");
    return;
  }
  char next[24] = "", prev[24] = "";
  if (offset + page_size < total)
    snprintf(next, sizeof next, "%ld", offset + page_size);
  if (offset > 0)
    snprintf(prev, sizeof prev, "%ld", offset > page_size ? offset - page_size : 0);
  json_object_object_add(o, "connected_accounts", items);
  json_object_object_add(o, "total_size", json_object_new_int64(total));
  json_object_object_add(o, "next_page_token", json_object_new_string(next));
  json_object_object_add(o, "prev_page_token", json_object_new_string(prev));
  dev_reply_json(&c->reply, 200, o);
}

/* ---- POST /api/v1/connected_accounts ------------------------------------------ */

/* The create body's "connected_account", as the document types it: an
 * object; in it "api_config" and "authorization_details" objects, and in
 * the latter "oauth_token" (what the official SDKs send), "static_auth",
 * "google_dwd" and "trusted_idp" objects. True when it is acceptable (absent
 * or null included); else false with the reason in err. */
static bool account_shape_ok(json_object *body, char *err, size_t errlen)
{
  static const char *const auth_kinds[] = {"oauth_token", "static_auth", "google_dwd",
                                           "trusted_idp"};
  json_object *acct = NULL, *details = NULL, *v = NULL;
  if (!json_object_object_get_ex(body, "connected_account", &acct) || acct == NULL)
    return true;
  if (!json_object_is_type(acct, json_type_object)) {
    snprintf(err, errlen, "connected_account must be an object");
    return false;
  }
  if (json_object_object_get_ex(acct, "api_config", &v) && v != NULL &&
      !json_object_is_type(v, json_type_object)) {
    snprintf(err, errlen, "connected_account.api_config must be an object");
    return false;
  }
  if (!json_object_object_get_ex(acct, "authorization_details", &details) || details == NULL)
    return true;
  if (!json_object_is_type(details, json_type_object)) {
    snprintf(err, errlen, "connected_account.authorization_details must be an object");
    return false;
  }
  for (size_t i = 0; i < sizeof auth_kinds / sizeof auth_kinds[0]; i++)
    if (json_object_object_get_ex(details, auth_kinds[i], &v) && v != NULL &&
        !json_object_is_type(v, json_type_object)) {
      snprintf(err, errlen, "connected_account.authorization_details.%s must be an object",
               auth_kinds[i]);
      return false;
    }
  return true;
}

static void handle_create(struct dev_call *c)
{
  json_object *body = dev_call_json_body(c);
  if (body == NULL)
    return;
  const char *connector, *identifier;
  if (!body_account(c, body, &connector, &identifier)) {
    json_object_put(body);
    return;
  }
  char why[128];
  if (!account_shape_ok(body, why, sizeof why)) {
    json_object_put(body);
    dev_reply_error(&c->reply, 400, DEV_GRPC_INVALID_ARGUMENT, "%s", why);
    return;
  }
  struct dev_state *st = c->st;
  struct dev_account *a = NULL;
  pthread_mutex_lock(&st->lock);
  dev_stats_count_key(&st->stats, connector, identifier);
  int rc = dev_accounts_add(&st->accounts, connector, identifier, DEV_STATUS_PENDING_AUTH,
                            time(NULL), &a);
  if (rc == 0)
    reply_account(c, 201, a, DEV_VIEW_DETAILS);
  pthread_mutex_unlock(&st->lock);
  json_object_put(body);
  if (rc == DEV_ACCOUNTS_EXISTS)
    dev_reply_error(&c->reply, 409, DEV_GRPC_ALREADY_EXISTS, "connected account already exists");
  else if (rc == DEV_ACCOUNTS_FULL)
    dev_reply_error(&c->reply, 429, DEV_GRPC_RESOURCE_EXHAUSTED,
                    "too many connected accounts (at most %u)", DEV_MAX_ACCOUNTS);
  else if (rc != 0)
    dev_reply_error(&c->reply, 500, DEV_GRPC_INTERNAL, "out of memory");
}

/* ---- POST /api/v1/connected_accounts/magic_link --------------------------------- */

static void handle_magic_link(struct dev_call *c)
{
  json_object *body = dev_call_json_body(c);
  if (body == NULL)
    return;
  const char *connector, *identifier;
  bool ok = body_account(c, body, &connector, &identifier);
  /* Optional; only their types are checked. */
  if (ok)
    dev_call_body_string(c, body, "state", DEV_FIELD_ANY, false);
  if (ok && c->reply.status == 0)
    dev_call_body_string(c, body, "user_verify_url", DEV_FIELD_ANY, false);
  if (!ok || c->reply.status != 0) {
    json_object_put(body);
    return;
  }
  struct dev_state *st = c->st;
  char token[DEV_TOKEN_MAX];
  int rc = -1;
  pthread_mutex_lock(&st->lock);
  dev_stats_count_key(&st->stats, connector, identifier);
  const struct dev_account *a = dev_accounts_find(&st->accounts, connector, identifier);
  if (a != NULL)
    rc = dev_tokens_issue(&st->links, "", LINK_TOKEN_BYTES, dev_now_ms(), LINK_TTL_S * 1000LL,
                          a->key, a->key_len, token, sizeof token);
  unsigned port = st->port;
  pthread_mutex_unlock(&st->lock);
  json_object_put(body);
  if (a == NULL) {
    reply_not_found(c);
    return;
  }
  if (rc != 0) {
    dev_reply_error(&c->reply, 500, DEV_GRPC_INTERNAL, "could not make a link");
    return;
  }
  char link[128], expiry[32];
  snprintf(link, sizeof link, "http://127.0.0.1:%u/magic/%s", port, token);
  dev_format_time(time(NULL) + LINK_TTL_S, expiry);
  json_object *o = json_object_new_object();
  if (o != NULL) {
    json_object_object_add(o, "link", json_object_new_string(link));
    json_object_object_add(o, "expiry", json_object_new_string(expiry));
  }
  dev_reply_json(&c->reply, 200, o);
}

/* ---- POST /api/v1/connected_accounts:delete -------------------------------------- */

static void handle_delete(struct dev_call *c)
{
  json_object *body = dev_call_json_body(c);
  if (body == NULL)
    return;
  const char *connector, *identifier;
  if (!body_account(c, body, &connector, &identifier)) {
    json_object_put(body);
    return;
  }
  struct dev_state *st = c->st;
  pthread_mutex_lock(&st->lock);
  dev_stats_count_key(&st->stats, connector, identifier);
  struct dev_account *a = dev_accounts_find(&st->accounts, connector, identifier);
  bool found = a != NULL;
  if (found)
    dev_accounts_remove(&st->accounts, a);
  pthread_mutex_unlock(&st->lock);
  json_object_put(body);
  if (!found)
    reply_not_found(c);
  else
    dev_reply_json(&c->reply, 200, json_object_new_object());
}

/* ---- POST /api/v1/execute_tool ---------------------------------------------------- */

static void handle_execute_tool(struct dev_call *c)
{
  json_object *body = dev_call_json_body(c);
  if (body == NULL)
    return;
  const char *tool = dev_call_body_string(c, body, "tool_name", DEV_FIELD_ANY, true);
  const char *connector = NULL, *identifier = NULL;
  json_object *params = NULL;
  if (tool != NULL && strlen(tool) > MAX_TOOL_NAME) {
    dev_reply_error(&c->reply, 400, DEV_GRPC_INVALID_ARGUMENT,
                    "tool_name is longer than %d bytes", MAX_TOOL_NAME);
    tool = NULL;
  }
  if (tool == NULL || !body_account(c, body, &connector, &identifier)) {
    json_object_put(body);
    return;
  }
  if (json_object_object_get_ex(body, "params", &params) && params != NULL &&
      !json_object_is_type(params, json_type_object)) {
    json_object_put(body);
    dev_reply_error(&c->reply, 400, DEV_GRPC_INVALID_ARGUMENT, "params must be an object");
    return;
  }
  struct dev_state *st = c->st;
  enum dev_status status = DEV_STATUS_UNSPECIFIED;
  pthread_mutex_lock(&st->lock);
  dev_stats_count_key(&st->stats, connector, identifier);
  struct dev_account *a = dev_accounts_find(&st->accounts, connector, identifier);
  if (a != NULL) {
    status = a->status;
    if (status == DEV_STATUS_ACTIVE)
      a->last_used_at = time(NULL);
  }
  pthread_mutex_unlock(&st->lock);
  if (a == NULL) {
    reply_not_found(c);
  } else if (status != DEV_STATUS_ACTIVE) {
    dev_reply_error(&c->reply, 403, DEV_GRPC_PERMISSION_DENIED,
                    "connected account is %s: the user must authorize it first",
                    dev_status_name(status));
  } else {
    char id[64];
    json_object *o = json_object_new_object();
    json_object *data = json_object_new_object();
    if (o == NULL || data == NULL || dev_random_hex(id, 12) != 0) {
      json_object_put(o);
      json_object_put(data);
      o = NULL;
    } else {
      json_object_object_add(data, "tool_name", json_object_new_string(tool));
      json_object_object_add(data, "params",
                             params ? json_object_get(params) : json_object_new_object());
      json_object_object_add(o, "data", data);
      char exec_id[80];
      snprintf(exec_id, sizeof exec_id, "exec_%s", id);
      json_object_object_add(o, "execution_id", json_object_new_string(exec_id));
    }
    dev_reply_json(&c->reply, 200, o);
  }
  json_object_put(body);
}

/* ---- GET /magic/<token>: the user's consent ------------------------------------------ */

static void handle_magic_page(struct dev_call *c)
{
  const char *token = c->path + strlen("/magic/");
  struct dev_state *st = c->st;
  char connector[DEV_MAX_CONNECTOR + 1] = "";
  char identifier[DEV_MAX_IDENTIFIER + 1] = "";
  bool link_ok = false, account_ok = false;
  pthread_mutex_lock(&st->lock);
  const struct dev_token *t = dev_tokens_find(&st->links, token, strlen(token), dev_now_ms());
  if (t != NULL) {
    link_ok = true;
    /* The payload is the account key: connector, NUL, identifier. */
    snprintf(connector, sizeof connector, "%s", t->payload);
    size_t clen = strlen(t->payload);
    if (clen < t->payload_len)
      snprintf(identifier, sizeof identifier, "%s", t->payload + clen + 1);
    struct dev_account *a = dev_accounts_find(&st->accounts, connector, identifier);
    if (a != NULL) {
      dev_account_set_status(a, DEV_STATUS_ACTIVE, time(NULL));
      account_ok = true;
    }
  }
  pthread_mutex_unlock(&st->lock);
  if (!link_ok) {
    dev_reply_html(&c->reply, 404, "Link not found",
                   "This authorization link is unknown or has expired.");
  } else if (!account_ok) {
    dev_reply_html(&c->reply, 404, "Account not found",
                   "The connected account of this link no longer exists.");
  } else {
    char text[DEV_MAX_CONNECTOR + DEV_MAX_IDENTIFIER + 32];
    snprintf(text, sizeof text, "Authorized %s for %s", connector, identifier);
    dev_reply_html(&c->reply, 200, "Authorized", text);
  }
}

/* ---- the table ------------------------------------------------------------------------ */

const struct dev_route dev_api_routes[] = {
  {"POST", "/oauth/token", "POST /oauth/token", false, false, handle_token},
  {"GET", "/api/v1/connected_accounts/details", "GET /api/v1/connected_accounts/details",
   false, true, handle_details},
  {"GET", "/api/v1/connected_accounts/auth", "GET /api/v1/connected_accounts/auth",
   false, true, handle_auth},
  {"GET", "/api/v1/connected_accounts", "GET /api/v1/connected_accounts",
   false, true, handle_list},
  {"POST", "/api/v1/connected_accounts", "POST /api/v1/connected_accounts",
   false, true, handle_create},
  {"POST", "/api/v1/connected_accounts/magic_link", "POST /api/v1/connected_accounts/magic_link",
   false, true, handle_magic_link},
  {"POST", "/api/v1/connected_accounts:delete", "POST /api/v1/connected_accounts:delete",
   false, true, handle_delete},
  {"POST", "/api/v1/execute_tool", "POST /api/v1/execute_tool", false, true, handle_execute_tool},
  {"GET", "/magic/", "GET /magic/{token}", true, false, handle_magic_page},
};
const size_t dev_api_route_count = sizeof dev_api_routes / sizeof dev_api_routes[0];
