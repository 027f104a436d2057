/* Messages for failed requests; see describe.h. */
#include <stdio.h>
#include <string.h>

#include "describe.h"
#include "quote.h"
#include "wire.h"

/* ", N attempts" style counts, empty for one. */
static void tg__sk_attempts(int attempts, const char *fmt, char *out, size_t cap)
{
    out[0] = '\0';
    if (attempts > 1)
        snprintf(out, cap, fmt, attempts);
}

void tg__sk_describe_net(const char *route, const tg__sk_response *resp, int64_t budget_ms,
                         const char *hostport, const tg__sk_secrets *secrets, char *out,
                         size_t cap)
{
    char why[TG__SK_DETAIL_MAX * 4 + 8], tries[48];

    tg__sk_quote(resp->detail, strlen(resp->detail), TG__SK_DETAIL_MAX, secrets, why,
                 sizeof why);
    switch (resp->net) {
    case TG__SK_NET_TIMEOUT:
        tg__sk_attempts(resp->attempts, "; %d attempts", tries, sizeof tries);
        if (resp->attempts == 0)
            snprintf(out, cap,
                     "scalekit: timed out after %lld ms before asking %s (provider.timeout_ms "
                     "bounds the whole check)",
                     (long long)budget_ms, route);
        else
            snprintf(out, cap,
                     "scalekit: timed out after %lld ms waiting for %s (provider.timeout_ms "
                     "bounds the whole check%s)",
                     (long long)budget_ms, route, tries);
        return;
    case TG__SK_NET_REFUSED:
        snprintf(out, cap, "scalekit: connection refused by %s (%s, %d attempt%s)", hostport,
                 route, resp->attempts, resp->attempts == 1 ? "" : "s");
        return;
    case TG__SK_NET_CONNECT:
        snprintf(out, cap, "scalekit: could not connect to %s (%s, %d attempt%s): %s", hostport,
                 route, resp->attempts, resp->attempts == 1 ? "" : "s", why);
        return;
    case TG__SK_NET_RESOLVE:
        snprintf(out, cap, "scalekit: cannot resolve the host name of %s (%s)", hostport, route);
        return;
    case TG__SK_NET_CLOSED:
        tg__sk_attempts(resp->attempts, " (%d attempts)", tries, sizeof tries);
        snprintf(out, cap, "scalekit: %s closed the connection without answering %s%s", hostport,
                 route, tries);
        return;
    case TG__SK_NET_CUT:
        snprintf(out, cap,
                 "scalekit: the answer of %s was cut short (the connection closed before its "
                 "end)",
                 route);
        return;
    case TG__SK_NET_TOO_LARGE:
        snprintf(out, cap, "scalekit: the answer of %s is larger than %d bytes", route,
                 TG__SK_BODY_MAX);
        return;
    case TG__SK_NET_TLS:
        snprintf(out, cap, "scalekit: TLS with %s failed (%s): \"%s\"", hostport, route, why);
        return;
    case TG__SK_NET_NOMEM:
        snprintf(out, cap, "scalekit: out of memory asking %s", route);
        return;
    case TG__SK_NET_OK:
    case TG__SK_NET_OTHER:
        break;
    }
    snprintf(out, cap, "scalekit: asking %s failed: \"%s\"", route, why);
}

/* The words after the status, for the statuses that need them. */
static const char *tg__sk_status_words(const char *route, long status)
{
    int token = strcmp(route, "/oauth/token") == 0;
    if (status == 429)
        return " (rate limited)";
    if (status == 401)
        return token ? " (the client credentials were refused)"
                     : " (a fresh access token was refused)";
    if (status == 403)
        return " (forbidden)";
    if (status == 404)
        return token ? " (not found: check provider.environment_url)" : " (not found)";
    if (status >= 300 && status < 400)
        return " (a redirect, not followed: check provider.environment_url)";
    if (status == 400)
        return " (bad request)";
    return "";
}

void tg__sk_describe_status(const char *route, const tg__sk_response *resp,
                            const tg__sk_secrets *secrets, char *out, size_t cap)
{
    char summary[TG__SK_SUMMARY_MAX * 4 + 8], tries[48];

    tg__sk_error_summary(resp->body, resp->len, secrets, summary, sizeof summary);
    tg__sk_attempts(resp->attempts, " after %d attempts", tries, sizeof tries);
    snprintf(out, cap, "scalekit: HTTP %ld%s from %s%s%s%s%s", resp->status,
             tg__sk_status_words(route, resp->status), route, tries, summary[0] ? ": \"" : "",
             summary, summary[0] ? "\"" : "");
}

void tg__sk_describe_answer(const char *route, const char *reason, char *out, size_t cap)
{
    snprintf(out, cap, "scalekit: the answer of %s %s", route, reason);
}
