#include "stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

int dev_stats_init(struct dev_stats *s, size_t nroutes)
{
  memset(s, 0, sizeof *s);
  s->routes = calloc(nroutes ? nroutes : 1, sizeof *s->routes);
  if (s->routes == NULL)
    return -1;
  s->nroutes = nroutes;
  return 0;
}

static void clear_keys(struct dev_stats *s)
{
  struct dev_key_count *k, *tmp;
  HASH_ITER(hh, s->keys, k, tmp) {
    HASH_DELETE(hh, s->keys, k);
    free(k);
  }
  s->keys = NULL;
}

void dev_stats_free(struct dev_stats *s)
{
  clear_keys(s);
  free(s->routes);
  s->routes = NULL;
}

void dev_stats_reset(struct dev_stats *s)
{
  clear_keys(s);
  s->requests = s->token_requests = s->connections = 0;
  memset(s->routes, 0, s->nroutes * sizeof *s->routes);
}

void dev_stats_count_key(struct dev_stats *s, const char *connector, const char *identifier)
{
  char key[DEV_MAX_CONNECTOR + 1 + DEV_MAX_IDENTIFIER + 1];
  int len = snprintf(key, sizeof key, "%s|%s", connector, identifier);
  if (len < 0 || (size_t)len >= sizeof key)
    return;
  struct dev_key_count *k = NULL;
  HASH_FIND(hh, s->keys, key, (size_t)len, k);
  if (k == NULL) {
    if (HASH_COUNT(s->keys) >= DEV_MAX_STAT_KEYS)
      return;
    k = calloc(1, sizeof *k + (size_t)len + 1);
    if (k == NULL)
      return;
    memcpy(k->key, key, (size_t)len + 1);
    HASH_ADD(hh, s->keys, key, (size_t)len, k);
    if (k->hh.tbl == NULL) { /* HASH_NONFATAL_OOM: not added */
      free(k);
      return;
    }
  }
  k->n++;
}

json_object *dev_stats_json(const struct dev_stats *s, const char *const *route_names)
{
  json_object *o = json_object_new_object();
  json_object *routes = json_object_new_object();
  json_object *keys = json_object_new_object();
  if (o == NULL || routes == NULL || keys == NULL) {
    json_object_put(o);
    json_object_put(routes);
    json_object_put(keys);
    return NULL;
  }
  json_object_object_add(o, "requests", json_object_new_int64((int64_t)s->requests));
  json_object_object_add(o, "token_requests", json_object_new_int64((int64_t)s->token_requests));
  json_object_object_add(o, "connections", json_object_new_int64((int64_t)s->connections));
  for (size_t i = 0; i < s->nroutes; i++)
    json_object_object_add(routes, route_names[i], json_object_new_int64((int64_t)s->routes[i]));
  const struct dev_key_count *k, *tmp;
  HASH_ITER(hh, s->keys, k, tmp)
    json_object_object_add(keys, k->key, json_object_new_int64((int64_t)k->n));
  json_object_object_add(o, "routes", routes);
  json_object_object_add(o, "keys", keys);
  return o;
}
