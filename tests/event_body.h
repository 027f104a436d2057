/* Test helper: a Scalekit connected_account.* webhook body, as the wire
 * carries it. */
#ifndef TG_TEST_EVENT_BODY_H
#define TG_TEST_EVENT_BODY_H

#include <stddef.h>

#include "toolgate/toolgate.h"

/* Write the body into @p buf: @p conn NULL leaves data.connection_name out;
 * @p status_json (JSON text: "\"ACTIVE\"" or 1) NULL leaves data.status out.
 * Returns buf. */
const char *event_body(char *buf, size_t len, const char *id, const char *type,
                       const char *occurred_at, const char *conn, const char *ident,
                       const char *status_json);

/* Build a body as above — @p status a word such as "ACTIVE" (quoted for the
 * body), or NULL — and apply it to @p g; tg_gate_apply_event's result. */
int event_apply(tg_gate *g, const char *id, const char *type, const char *occurred_at,
                const char *conn, const char *ident, const char *status);

#endif
