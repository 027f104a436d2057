/* The decision object, filled by the gate without allocating. */
#ifndef TG_SRC_DECISION_H
#define TG_SRC_DECISION_H

#include <stdint.h>
#include <string.h>

#include "toolgate/toolgate.h"
#include "bytes.h"

#define TG__CAUSE_MAX 256

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
    /* The small fields share one word, so a check sets them in one store. */
    union {
        struct {
            uint8_t verdict;  /* tg_verdict */
            uint8_t status;   /* tg_status */
            uint8_t source;   /* tg_source */
            uint8_t why;      /* tg__why */
            uint8_t has_status;
            uint8_t has_link;
            uint8_t stale;
            uint8_t reason_ready;
        };
        uint64_t flags;
    };
    int64_t link_expires_at;
    const char *tool;        /* NULL, tool_buf, or a name the gate keeps */
    const char *connection;  /* NULL or the gate's interned name */
    char tool_buf[TG_TOOL_MAX + 1];
    char identifier[TG_IDENTIFIER_MAX + 1];
    char link[TG_LINK_MAX + 1];
    /* What failed, for the reason of UNAVAILABLE and of the fail-open and
     * fail-stale ALLOWs; set on those paths only. */
    char cause[TG__CAUSE_MAX];
    char reason[TG_IDENTIFIER_MAX + TG_CONNECTION_MAX + TG_TOOL_MAX + TG__CAUSE_MAX + 256];
};

/* Record what failed (a provider's message) for the reason. */
void tg__decision_cause(tg_decision *d, const char *message);

/* Start filling; the caller copies the identifier (tg__hash_copy). */
static inline void tg__decision_begin(tg_decision *d)
{
    d->tool = NULL;
    d->connection = NULL;
    d->flags = 0; /* ALLOW, UNKNOWN, no source, WHY_STATUS, no status, link, staleness */
    d->link_expires_at = 0;
}

/* The flags of a decision made from a status (no link, not stale). */
static inline uint64_t tg__decision_status_flags(tg_status status, tg_source source)
{
    /* In the order of the fields above. */
    const uint8_t b[8] = {
        (uint8_t)(status == TG_STATUS_ACTIVE ? TG_VERDICT_ALLOW : TG_VERDICT_NEEDS_AUTHORIZATION),
        (uint8_t)status, (uint8_t)source, TG__WHY_STATUS, 1, 0, 0, 0
    };
    uint64_t w;
    memcpy(&w, b, sizeof w);
    return w;
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
TG_WARN_UNUSED int tg__format_rfc3339(int64_t unix_ms, char *buf, size_t len);

struct tg__out;
/* Write the JSON object of docs/design.md §5 (tg_decision_to_json's text) to @p o. */
void tg__decision_put_json(struct tg__out *o, const tg_decision *d);

#endif
