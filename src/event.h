/* Scalekit webhook events: parsed from bytes, no I/O (tg_gate_apply_event). */
#ifndef TG_SRC_EVENT_H
#define TG_SRC_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "toolgate/toolgate.h"

#define TG__EVENT_ID_MAX 128
#define TG__EVENT_TYPE_MAX 96
#define TG__EVENT_TIME_MAX 64
/* Largest event body accepted. */
#define TG__EVENT_BODY_MAX (64 * 1024)

typedef enum tg__event_kind {
    TG__EVENT_STATUS = 0,  /* a connected_account.* event carrying data.status */
    TG__EVENT_DELETED = 1, /* connected_account.deleted */
    TG__EVENT_OTHER = 2    /* any other type, or no status: changes nothing */
} tg__event_kind;

typedef struct tg__event {
    char id[TG__EVENT_ID_MAX + 1];       /* "evt_…", required */
    char type[TG__EVENT_TYPE_MAX + 1];   /* required */
    tg__event_kind kind;
    int64_t occurred_at_ms;              /* RFC 3339 occurred_at, Unix ms; required */
    char occurred_at[TG__EVENT_TIME_MAX + 1]; /* as received */
    char connection[TG_CONNECTION_MAX + 1]; /* data.connection_name; "" when absent */
    char identifier[TG_IDENTIFIER_MAX + 1]; /* data.identifier; required for STATUS/DELETED */
    tg_status status;                    /* STATUS only (also accepts wire numbers) */
} tg__event;

/**
 * Parse an event body (need not be NUL-terminated). Bounded: at most
 * TG__EVENT_BODY_MAX bytes, JSON depth 16. Names are validated by docs/design.md §9.
 * @return TG_OK; TG_EINVAL with a message naming the field ("event: data.status:
 *         unknown status \"X\"").
 */
TG_WARN_UNUSED int tg__event_parse(const char *body, size_t len, tg__event *out);

#endif
