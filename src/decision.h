/* The decision object, filled by the gate without allocating. */
#ifndef TG_SRC_DECISION_H
#define TG_SRC_DECISION_H

#include <stdint.h>
#include <string.h>

#include "toolgate/toolgate.h"
#include "bytes.h"

/* Why the verdict is what it is: selects the reason sentence. */
typedef enum tg__why {
    TG__WHY_STATUS = 0,        /* the account's status decided */
    TG__WHY_UNMAPPED_ALLOW,    /* no tool rule; tools.unmapped = allow */
    TG__WHY_UNMAPPED_DENY,     /* no tool rule; tools.unmapped = deny */
    TG__WHY_UNAVAILABLE,       /* provider failed; policy closed (or stale without entry) */
    TG__WHY_OPEN,              /* provider failed; policy open */
    TG__WHY_STALE              /* provider failed; expired ACTIVE entry served */
} tg__why;

struct tg_decision {
    tg_verdict verdict;
    tg_status status;
    tg_source source;
    uint8_t why;
    uint8_t has_status;
    uint8_t has_link;
    uint8_t stale;
    uint8_t reason_ready;
    int64_t link_expires_at;
    const char *tool;        /* NULL, tool_buf, or a name the gate keeps */
    const char *connection;  /* NULL or the gate's interned name */
    char tool_buf[TG_TOOL_MAX + 1];
    char identifier[TG_IDENTIFIER_MAX + 1];
    char link[TG_LINK_MAX + 1];
    char reason[TG_IDENTIFIER_MAX + TG_CONNECTION_MAX + TG_TOOL_MAX + 256];
};

/* Start filling: the identifier (length known by the caller). */
static inline void tg__decision_begin(tg_decision *d, const char *id, size_t id_len)
{
    tg__copy_cstr(d->identifier, id, id_len);
    d->tool = NULL;
    d->connection = NULL;
    d->has_status = 0;
    d->has_link = 0;
    d->stale = 0;
    d->reason_ready = 0;
    d->link_expires_at = 0;
    d->status = TG_STATUS_UNKNOWN;
    d->source = TG_SOURCE_NONE;
    d->why = TG__WHY_STATUS;
}

/* The tool: a name that lives as long as the gate, or a copy. */
static inline void tg__decision_tool(tg_decision *d, const char *kept, const char *tool,
                                     size_t len)
{
    if (!kept) {
        tg__copy_cstr(d->tool_buf, tool, len);
        kept = d->tool_buf;
    }
    d->tool = kept;
}

/* "2026-11-25T15:10:00Z" for a Unix time in ms. TG_OK or TG_EINVAL. */
int tg__format_rfc3339(int64_t unix_ms, char *buf, size_t len);

#endif
