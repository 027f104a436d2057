/* The dev server: its shared state, the request a handler answers, the
 * route tables, and the libmicrohttpd daemon around them. */
#ifndef SCALEKIT_DEV_SERVER_H
#define SCALEKIT_DEV_SERVER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "accounts.h"
#include "faults.h"
#include "reply.h"
#include "stats.h"
#include "tokens.h"

/* Live bearer tokens and magic links kept; the oldest go beyond these. */
#define DEV_MAX_ACCESS_TOKENS 65536u
#define DEV_MAX_LINKS 100000u

struct MHD_Connection;
struct MHD_Daemon;

struct dev_config {
  unsigned port;              /* 0: pick a free one */
  const char *client_id;      /* borrowed from argv */
  const char *client_secret;  /* borrowed from argv; never printed */
  long long token_ttl_s;
  const char *state_path;     /* NULL: start empty */
  bool log;                   /* one line per request on stderr */
};

/* Everything the handlers share. One mutex guards all of it. */
struct dev_state {
  pthread_mutex_t lock;
  pthread_cond_t wake;        /* signalled when stopping: ends fault sleeps */
  bool stopping;
  struct dev_config cfg;
  unsigned port;              /* the port actually bound */
  struct dev_accounts accounts;
  struct dev_tokens access_tokens;
  struct dev_tokens links;
  struct dev_faults faults;
  struct dev_stats stats;
};

/* One request being answered. */
struct dev_call {
  struct dev_state *st;
  struct MHD_Connection *conn;
  const char *method;
  const char *path;
  const char *body;           /* the request body, NUL-terminated; may hold NULs */
  size_t body_len;
  struct dev_reply reply;
};

struct dev_route {
  const char *method;
  const char *path;
  const char *name;           /* the key in /_dev/stats "routes" */
  bool prefix;                /* path is a prefix (the magic-link page) */
  bool auth;                  /* needs a bearer token this server issued */
  void (*handle)(struct dev_call *c);
};

/* routes.c: the Scalekit API, the token endpoint and the magic-link page. */
extern const struct dev_route dev_api_routes[];
extern const size_t dev_api_route_count;
/* admin.c: /_dev/… */
extern const struct dev_route dev_admin_routes[];
extern const size_t dev_admin_route_count;

/* ---- call.c: a request's inputs ---------------------------------------- */

/* What a string input must look like. */
enum dev_field { DEV_FIELD_CONNECTOR, DEV_FIELD_IDENTIFIER, DEV_FIELD_ANY };

/* A query argument (URL-decoded); NULL if absent. */
const char *dev_call_query(const struct dev_call *c, const char *name, size_t *len);
/* A request header; NULL if absent. */
const char *dev_call_header(const struct dev_call *c, const char *name);

/* A required query argument of the given kind; NULL after replying 400. */
const char *dev_call_need_query(struct dev_call *c, const char *name, enum dev_field kind);

/* The body as a JSON object (caller puts it); NULL after replying 400. */
json_object *dev_call_json_body(struct dev_call *c);

/* A string member of a body. Absent (or "" or null) and required: 400 and
 * NULL. Absent and optional: NULL with no reply. Wrong type or shape: 400
 * and NULL. Check c->reply.status after an optional one. */
const char *dev_call_body_string(struct dev_call *c, json_object *body, const char *name,
                                 enum dev_field kind, bool required);

/* Whether the Authorization header holds a live token; replies 401 if not. */
bool dev_call_authorized(struct dev_call *c);

/* ---- server.c ----------------------------------------------------------- */

/* Sleep ms unless the server is stopping. Returns false if it is. */
bool dev_sleep_ms(struct dev_state *st, long long ms);

int dev_state_init(struct dev_state *st, const struct dev_config *cfg);
void dev_state_free(struct dev_state *st);

/* Start listening on 127.0.0.1; sets st->port. Returns the daemon, or NULL
 * with the reason (the address, the port and the system's error) in err. */
struct MHD_Daemon *dev_server_start(struct dev_state *st, char *err, size_t errlen);
/* Wake sleepers, close every connection and join every thread. */
void dev_server_stop(struct dev_state *st, struct MHD_Daemon *d);

#endif
