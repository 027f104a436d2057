/* Test helper: webhook bodies (event_body.h). */
#include <stdio.h>
#include <string.h>

#include "event_body.h"

const char *event_body(char *buf, size_t len, const char *id, const char *type,
                       const char *occurred_at, const char *conn, const char *ident,
                       const char *status_json)
{
    char connpart[128] = "", statuspart[96] = "";

    if (conn)
        snprintf(connpart, sizeof connpart, "\"connection_name\":\"%s\",", conn);
    if (status_json)
        snprintf(statuspart, sizeof statuspart, ",\"status\":%s", status_json);
    snprintf(buf, len,
             "{\"spec_version\":\"1\",\"id\":\"%s\",\"type\":\"%s\",\"object\":\"ConnectedAccount\","
             "\"occurred_at\":\"%s\",\"environment_id\":\"env_1\",\"data\":{\"id\":\"ca_1\","
             "%s\"identifier\":\"%s\",\"connection_id\":\"conn_1\",\"provider\":\"GMAIL\"%s}}",
             id, type, occurred_at, connpart, ident, statuspart);
    return buf;
}

int event_apply(tg_gate *g, const char *id, const char *type, const char *occurred_at,
                const char *conn, const char *ident, const char *status)
{
    char body[2048], st[64];

    if (status)
        snprintf(st, sizeof st, "\"%s\"", status);
    event_body(body, sizeof body, id, type, occurred_at, conn, ident, status ? st : NULL);
    return tg_gate_apply_event(g, body, strlen(body));
}
