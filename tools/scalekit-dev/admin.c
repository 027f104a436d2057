/* The admin API under /_dev/: no authentication (the server listens on
 * loopback only). Tests and the demo use it to set an account's status, to
 * inject faults, to revoke tokens and to read the request counters. */
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* POST /_dev/accounts {"connector","identifier","status"}: set (or create). */
static void handle_set_account(struct dev_call *c)
{
  json_object *body = dev_call_json_body(c);
  if (body == NULL)
    return;
  const char *connector = dev_call_body_string(c, body, "connector", DEV_FIELD_CONNECTOR, true);
  const char *identifier = connector == NULL ? NULL :
    dev_call_body_string(c, body, "identifier", DEV_FIELD_IDENTIFIER, true);
  json_object *sv = NULL;
  enum dev_status status = DEV_STATUS_UNSPECIFIED;
  if (identifier != NULL &&
      (!json_object_object_get_ex(body, "status", &sv) || dev_status_parse(sv, &status) != 0)) {
    dev_reply_error(&c->reply, 400, DEV_GRPC_INVALID_ARGUMENT,
                    "status is required: a name such as ACTIVE, EXPIRED, PENDING_AUTH, "
                    "PENDING_VERIFICATION, DISCONNECTED, or a number 0-5");
    identifier = NULL;
  }
  if (identifier == NULL) {
    json_object_put(body);
    return;
  }
  struct dev_state *st = c->st;
  time_t now = time(NULL);
  struct dev_account *a = NULL;
  pthread_mutex_lock(&st->lock);
  int rc = dev_accounts_add(&st->accounts, connector, identifier, status, now, &a);
  if (rc == DEV_ACCOUNTS_EXISTS) {
    dev_account_set_status(a, status, now);
    rc = 0;
  }
  json_object *o = NULL;
  if (rc == 0) {
    o = json_object_new_object();
    if (o != NULL)
      json_object_object_add(o, "connected_account", dev_account_json(a, DEV_VIEW_DETAILS));
  }
  pthread_mutex_unlock(&st->lock);
  json_object_put(body);
  if (rc == DEV_ACCOUNTS_FULL)
    dev_reply_error(&c->reply, 429, DEV_GRPC_RESOURCE_EXHAUSTED, "too many connected accounts");
  else
    dev_reply_json(&c->reply, 200, o);
}

/* POST /_dev/faults: queue one fault for the next `count` matching requests. */
static void handle_faults(struct dev_call *c)
{
  json_object *body = dev_call_json_body(c);
  if (body == NULL)
    return;
  struct dev_fault f;
  char err[256];
  int rc = dev_fault_parse(body, &f, err, sizeof err);
  json_object_put(body);
  if (rc != 0) {
    dev_reply_error(&c->reply, 400, DEV_GRPC_INVALID_ARGUMENT, "%s", err);
    return;
  }
  struct dev_state *st = c->st;
  pthread_mutex_lock(&st->lock);
  rc = dev_faults_push(&st->faults, &f);
  size_t queued = st->faults.n;
  pthread_mutex_unlock(&st->lock);
  if (rc != 0) {
    dev_reply_error(&c->reply, 429, DEV_GRPC_RESOURCE_EXHAUSTED,
                    "the fault queue is full (%d faults)", DEV_MAX_FAULTS);
    return;
  }
  json_object *o = json_object_new_object();
  if (o != NULL)
    json_object_object_add(o, "queued", json_object_new_int64((int64_t)queued));
  dev_reply_json(&c->reply, 200, o);
}

/* POST /_dev/reset: drop queued faults and zero the counters. */
static void handle_reset(struct dev_call *c)
{
  struct dev_state *st = c->st;
  pthread_mutex_lock(&st->lock);
  dev_faults_clear(&st->faults);
  dev_stats_reset(&st->stats);
  pthread_mutex_unlock(&st->lock);
  dev_reply_json(&c->reply, 200, json_object_new_object());
}

/* POST /_dev/tokens/revoke: every bearer token issued so far stops working. */
static void handle_revoke(struct dev_call *c)
{
  struct dev_state *st = c->st;
  pthread_mutex_lock(&st->lock);
  size_t n = dev_tokens_clear(&st->access_tokens);
  pthread_mutex_unlock(&st->lock);
  json_object *o = json_object_new_object();
  if (o != NULL)
    json_object_object_add(o, "revoked", json_object_new_int64((int64_t)n));
  dev_reply_json(&c->reply, 200, o);
}

/* GET /_dev/tokens: the live access tokens, so a test can check that a
 * client never shows one. */
static void handle_tokens(struct dev_call *c)
{
  json_object *o = json_object_new_object();
  json_object *list = json_object_new_array();
  if (o == NULL || list == NULL) {
    json_object_put(o);
    json_object_put(list);
    dev_reply_json(&c->reply, 500, NULL);
    return;
  }
  struct dev_state *st = c->st;
  long long now = dev_now_ms();
  pthread_mutex_lock(&st->lock);
  const struct dev_token *t, *tmp;
  HASH_ITER(hh, st->access_tokens.table, t, tmp) {
    if (t->expires_ms > now)
      json_object_array_add(list, json_object_new_string(t->token));
  }
  pthread_mutex_unlock(&st->lock);
  json_object_object_add(o, "access_tokens", list);
  dev_reply_json(&c->reply, 200, o);
}

/* GET /_dev/stats */
static void handle_stats(struct dev_call *c)
{
  const char **names = malloc(dev_api_route_count * sizeof *names);
  if (names == NULL) {
    dev_reply_json(&c->reply, 500, NULL);
    return;
  }
  for (size_t i = 0; i < dev_api_route_count; i++)
    names[i] = dev_api_routes[i].name;
  struct dev_state *st = c->st;
  pthread_mutex_lock(&st->lock);
  json_object *o = dev_stats_json(&st->stats, names);
  if (o != NULL) {
    json_object_object_add(o, "accounts",
                           json_object_new_int64((int64_t)dev_accounts_count(&st->accounts)));
    json_object_object_add(o, "faults_queued", json_object_new_int64((int64_t)st->faults.n));
  }
  pthread_mutex_unlock(&st->lock);
  free(names);
  dev_reply_json(&c->reply, 200, o);
}

const struct dev_route dev_admin_routes[] = {
  {"POST", "/_dev/accounts", "POST /_dev/accounts", false, false, handle_set_account},
  {"POST", "/_dev/faults", "POST /_dev/faults", false, false, handle_faults},
  {"POST", "/_dev/reset", "POST /_dev/reset", false, false, handle_reset},
  {"POST", "/_dev/tokens/revoke", "POST /_dev/tokens/revoke", false, false, handle_revoke},
  {"GET", "/_dev/stats", "GET /_dev/stats", false, false, handle_stats},
  {"GET", "/_dev/tokens", "GET /_dev/tokens", false, false, handle_tokens},
};
const size_t dev_admin_route_count = sizeof dev_admin_routes / sizeof dev_admin_routes[0];
