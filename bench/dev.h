/* toolgate-bench: the Scalekit dev server (tools/scalekit-dev) as the
 * provider of the figures that need HTTP: started on a free loopback port,
 * its admin API, and gates of the scalekit provider pointed at it. */
#ifndef TG_BENCH_DEV_H
#define TG_BENCH_DEV_H

#include <stddef.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "toolgate/toolgate.h"

typedef struct bench_dev {
    pid_t pid;
    int port;
    char base[64]; /* "http://127.0.0.1:PORT" */
} bench_dev;

/* Start @p path on a free port, seeded with the accounts of @p state_file
 * unless NULL (scalekit-dev --state). 0, or -1 (nothing left running). */
int bench_dev_start(bench_dev *s, const char *path, const char *state_file);
/* SIGTERM and wait. */
void bench_dev_stop(bench_dev *s);

/* A libcurl write callback appending to a bench_buf (NUL-terminated). */
typedef struct bench_buf {
    char *data;
    size_t len;
} bench_buf;
size_t bench_buf_write(char *p, size_t size, size_t n, void *arg);

/* One admin request with a fresh handle: the parsed answer (json_object_put
 * it), or NULL. */
json_object *bench_dev_call(const bench_dev *s, const char *method, const char *path,
                            const char *body);
/* Set a gmail account's status; dies on failure. */
void bench_dev_account(const bench_dev *s, const char *identifier, const char *status);
/* Requests the provider made so far: those of @p only_route ("GET /api/…"),
 * or every /api/ and /oauth/ route when NULL. Dies on failure. */
long bench_dev_api_requests(const bench_dev *s, const char *only_route);

/* A gate of the scalekit provider on the dev server: tool prefix gmail_,
 * both TTLs @p ttl_ms, and @p extra_json (members to add to the
 * configuration's object, starting with a comma; "" for none). Dies on
 * failure. Caller frees with tg_gate_free(). */
tg_gate *bench_dev_gate(const bench_dev *s, long ttl_ms, const char *extra_json);

#endif
