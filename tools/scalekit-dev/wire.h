/* Scalekit wire conventions the dev server speaks: connected-account
 * statuses, gRPC error codes, RFC 3339 times, input rules and bounded JSON
 * parsing. Pure functions: no sockets, no shared state. */
#ifndef SCALEKIT_DEV_WIRE_H
#define SCALEKIT_DEV_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <json-c/json.h>

/* The largest request body accepted, and the nesting limit for JSON. */
#define DEV_MAX_BODY (64u * 1024u)
#define DEV_MAX_JSON_DEPTH 32
/* Input bounds, as toolgate validates them (docs/design.md, input rules). */
#define DEV_MAX_CONNECTOR 64
#define DEV_MAX_IDENTIFIER 512

/* ConnectorStatus, numbered as on the wire. */
enum dev_status {
  DEV_STATUS_UNSPECIFIED = 0,
  DEV_STATUS_ACTIVE = 1,
  DEV_STATUS_EXPIRED = 2,
  DEV_STATUS_PENDING_AUTH = 3,
  DEV_STATUS_PENDING_VERIFICATION = 4,
  DEV_STATUS_DISCONNECTED = 5
};

/* gRPC status codes carried in the "code" field of error bodies. */
enum dev_grpc {
  DEV_GRPC_OK = 0,
  DEV_GRPC_UNKNOWN = 2,
  DEV_GRPC_INVALID_ARGUMENT = 3,
  DEV_GRPC_DEADLINE_EXCEEDED = 4,
  DEV_GRPC_NOT_FOUND = 5,
  DEV_GRPC_ALREADY_EXISTS = 6,
  DEV_GRPC_PERMISSION_DENIED = 7,
  DEV_GRPC_RESOURCE_EXHAUSTED = 8,
  DEV_GRPC_FAILED_PRECONDITION = 9,
  DEV_GRPC_UNIMPLEMENTED = 12,
  DEV_GRPC_INTERNAL = 13,
  DEV_GRPC_UNAVAILABLE = 14,
  DEV_GRPC_UNAUTHENTICATED = 16
};

/* The wire name of a status ("ACTIVE", "PENDING_AUTH", …). Static text. */
const char *dev_status_name(enum dev_status s);

/* Parse a status given as a wire name, a toolgate seed word (PENDING,
 * REVOKED), either case, or a wire number (JSON integer or digit string).
 * Returns 0, or -1 when it is none of those. */
int dev_status_parse(const json_object *v, enum dev_status *out);

/* The name of a gRPC code ("NOT_FOUND"). Static text. */
const char *dev_grpc_name(enum dev_grpc code);

/* The gRPC code a gateway would pair with an HTTP status. */
enum dev_grpc dev_grpc_for_http(int http_status);

/* The reason phrase of an HTTP status ("Not Found"); "Error" if unknown. */
const char *dev_http_reason(int http_status);

/* Format a UTC time as RFC 3339 ("2026-01-15T10:05:00Z") into buf. */
void dev_format_time(time_t t, char buf[32]);

/* Milliseconds of CLOCK_MONOTONIC. */
long long dev_now_ms(void);

/* Input rules. len is the byte length (a string with an embedded NUL has
 * strlen != len and is refused). */
bool dev_valid_connector(const char *s, size_t len);
bool dev_valid_identifier(const char *s, size_t len);

/* Parse a request body as one JSON object, with DEV_MAX_JSON_DEPTH, strict
 * syntax and UTF-8 validation; an empty body is an empty object. On success
 * returns 0 and *out (caller puts it). On failure returns -1 and writes a
 * one-line reason into err. */
int dev_json_parse_object(const char *buf, size_t len, json_object **out,
                          char *err, size_t errlen);

#endif
