/* Request counters that tests read back through GET /_dev/stats. Not
 * thread-safe: the server holds its lock around every call. */
#ifndef SCALEKIT_DEV_STATS_H
#define SCALEKIT_DEV_STATS_H

#include <stddef.h>

#include <json-c/json.h>

#define HASH_NONFATAL_OOM 1
#include <uthash.h>

/* Distinct account keys counted; requests for further keys are not. */
#define DEV_MAX_STAT_KEYS 100000u

struct dev_key_count {
  UT_hash_handle hh;
  unsigned long long n;
  char key[];                 /* "connector|identifier" */
};

struct dev_stats {
  unsigned long long requests;        /* every request but /_dev/ ones */
  unsigned long long token_requests;  /* POST /oauth/token */
  unsigned long long connections;     /* TCP connections accepted */
  unsigned long long *routes;         /* per route of the API table */
  size_t nroutes;
  struct dev_key_count *keys;
};

/* Returns 0, or -1 when memory is out. */
int dev_stats_init(struct dev_stats *s, size_t nroutes);
void dev_stats_free(struct dev_stats *s);
void dev_stats_reset(struct dev_stats *s);

/* One API request about the account (connector, identifier). */
void dev_stats_count_key(struct dev_stats *s, const char *connector, const char *identifier);

/* {"requests","token_requests","connections","routes":{name:n},"keys":{key:n}}.
 * route_names[i] names s->routes[i]. Caller puts the result; NULL if out of memory. */
json_object *dev_stats_json(const struct dev_stats *s, const char *const *route_names);

#endif
