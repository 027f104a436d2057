/* Decisions: getters, the reason sentence and the JSON encoding (docs/design.md §5). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "decision.h"
#include "error.h"
#include "json_out.h"

tg_decision *tg_decision_new(void)
{
    tg_decision *d = calloc(1, sizeof *d);
    if (!d) {
        tg__set_error("tg_decision_new: out of memory");
        return NULL;
    }
    d->verdict = TG_VERDICT_DENY;
    d->why = TG__WHY_UNMAPPED_DENY;
    return d;
}

void tg_decision_free(tg_decision *d)
{
    free(d);
}

tg_verdict tg_decision_verdict(const tg_decision *d)
{
    return d ? d->verdict : TG_VERDICT_DENY;
}

tg_status tg_decision_status(const tg_decision *d)
{
    return d && d->has_status ? d->status : TG_STATUS_UNKNOWN;
}

int tg_decision_has_status(const tg_decision *d)
{
    return d ? d->has_status : 0;
}

const char *tg_decision_tool(const tg_decision *d)
{
    return d ? d->tool : NULL;
}

const char *tg_decision_identifier(const tg_decision *d)
{
    return d && d->identifier[0] ? d->identifier : NULL;
}

const char *tg_decision_connection(const tg_decision *d)
{
    return d ? d->connection : NULL;
}

const char *tg_decision_link(const tg_decision *d)
{
    return d && d->has_link ? d->link : NULL;
}

int64_t tg_decision_link_expires_at(const tg_decision *d)
{
    return d && d->has_link ? d->link_expires_at : 0;
}

tg_source tg_decision_source(const tg_decision *d)
{
    return d ? d->source : TG_SOURCE_NONE;
}

int tg_decision_stale(const tg_decision *d)
{
    return d ? d->stale : 0;
}

/* The second half of a sentence about the account's status. */
static const char *tg__status_phrase(tg_status s)
{
    switch (s) {
    case TG_STATUS_ACTIVE: return "is ACTIVE";
    case TG_STATUS_EXPIRED: return "is EXPIRED: the user must authorize again";
    case TG_STATUS_PENDING: return "is PENDING: the user has not finished authorizing";
    case TG_STATUS_PENDING_VERIFICATION:
        return "is PENDING_VERIFICATION: the user must finish verifying the connection";
    case TG_STATUS_REVOKED: return "was REVOKED: the user must authorize again";
    case TG_STATUS_NOT_FOUND: return "does not exist: the user must authorize";
    case TG_STATUS_UNKNOWN: break;
    }
    return "has an unknown status: the user must authorize";
}

void tg__decision_cause(tg_decision *d, const char *message)
{
    size_t i, n = 0;
    /* One plain ASCII line: a control character would break the reason, and
     * a cut could split a UTF-8 sequence. (Messages quote untrusted text
     * escaped already.) */
    for (i = 0; message && message[i] && n + 1 < sizeof d->cause; i++) {
        unsigned char c = (unsigned char)message[i];
        d->cause[n++] = c < 0x20 || c == 0x7F ? ' ' : c >= 0x80 ? '?' : (char)c;
    }
    if (n == 0) {
        snprintf(d->cause, sizeof d->cause, "no detail");
        return;
    }
    d->cause[n] = '\0';
}

static void tg__build_reason(tg_decision *d)
{
    char *r = d->reason;
    size_t n = sizeof d->reason;
    const char *tool = d->tool ? d->tool : "";
    const char *conn = d->connection ? d->connection : "";

    switch ((tg__why)d->why) {
    case TG__WHY_UNMAPPED_ALLOW:
        snprintf(r, n, "tool %s is not mapped to a connection, and unmapped tools are allowed",
                 tool);
        break;
    case TG__WHY_UNMAPPED_DENY:
        snprintf(r, n, "tool %s is not mapped to a connection, and unmapped tools are denied",
                 tool);
        break;
    case TG__WHY_UNAVAILABLE:
        if (d->has_status)
            snprintf(r, n,
                     "%s account of %s %s, but no authorization link could be fetched right "
                     "now (%s); try again later",
                     conn, d->identifier, tg__status_phrase(d->status), d->cause);
        else
            snprintf(r, n,
                     "the authorization service could not be reached to check the %s account "
                     "of %s (%s); try again later",
                     conn, d->identifier, d->cause);
        break;
    case TG__WHY_OPEN:
        snprintf(r, n,
                 "the authorization service could not be reached (%s), so the check of the %s "
                 "account of %s was skipped (on_provider_error is open)",
                 d->cause, conn, d->identifier);
        break;
    case TG__WHY_STALE:
        snprintf(r, n,
                 "%s account of %s was ACTIVE at the last check; the authorization service "
                 "could not be reached (%s), so that cached status was used",
                 conn, d->identifier, d->cause);
        break;
    case TG__WHY_STATUS:
    default:
        if (!d->connection)
            snprintf(r, n, "no decision has been made");
        else
            snprintf(r, n, "%s account of %s %s", conn, d->identifier,
                     tg__status_phrase(d->status));
        break;
    }
    d->reason_ready = 1;
}

const char *tg_decision_reason(const tg_decision *d)
{
    tg_decision *m = (tg_decision *)d; /* the reason is built on first use */
    if (!d)
        return "";
    if (!d->reason_ready)
        tg__build_reason(m);
    return d->reason;
}

/* ---- JSON ------------------------------------------------------------- */

int tg__format_rfc3339(int64_t unix_ms, char *buf, size_t len)
{
    time_t secs = (time_t)(unix_ms / 1000);
    struct tm tm;
    if (!gmtime_r(&secs, &tm) || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        return TG_EINVAL;
    return TG_OK;
}

void tg__decision_put_json(tg__out *o, const tg_decision *d)
{
    char when[40];

    tg__puts(o, "{");
    tg__put_key(o, "verdict", 1);
    tg__put_string(o, tg_verdict_name(d->verdict));
    tg__put_opt_string(o, "tool", tg_decision_tool(d));
    tg__put_opt_string(o, "connection", tg_decision_connection(d));
    tg__put_opt_string(o, "identifier", tg_decision_identifier(d));
    tg__put_opt_string(o, "status", d->has_status ? tg_status_name(d->status) : NULL);
    tg__put_opt_string(o, "link", tg_decision_link(d));
    tg__put_opt_string(o, "link_expires_at",
                       d->has_link && d->link_expires_at > 0 &&
                               tg__format_rfc3339(d->link_expires_at, when, sizeof when) == TG_OK
                           ? when
                           : NULL);
    tg__put_opt_string(o, "reason", tg_decision_reason(d));
    tg__put_key(o, "source", 0);
    if (d->source == TG_SOURCE_NONE)
        tg__puts(o, "null");
    else
        tg__put_string(o, d->source == TG_SOURCE_CACHE    ? "cache"
                          : d->source == TG_SOURCE_SHARED ? "shared"
                                                          : "provider");
    tg__put_key(o, "stale", 0);
    tg__puts(o, d->stale ? "true" : "false");
    tg__puts(o, "}");
}

int tg_decision_to_json(const tg_decision *d, char *buf, size_t len, size_t *needed)
{
    tg__out o = { buf, len, 0 };

    if (!d || (!buf && len > 0))
        return tg__fail(TG_EINVAL, "tg_decision_to_json: NULL argument");
    tg__decision_put_json(&o, d);
    return tg__out_end(&o, needed, "tg_decision_to_json");
}
