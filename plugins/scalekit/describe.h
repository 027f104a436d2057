/*
 * What the scalekit provider says when a request fails: one sentence that
 * names what failed and where — "scalekit: HTTP 503 from
 * /api/v1/connected_accounts/details after 3 attempts", "scalekit: connection
 * refused by 127.0.0.1:9 (/oauth/token, 5 attempts)", "scalekit: timed out
 * after 5000 ms waiting for /api/v1/connected_accounts/magic_link …", "scalekit:
 * the answer of /oauth/token is not JSON …". Provider text in it (an error
 * body's message, libcurl's reason) is quoted through tg__sk_quote(), secrets
 * scrubbed. Never a query string: identifiers are user data.
 *
 * Pure: builds text from what it is given. Thread safety: reentrant.
 */
#ifndef TG_PLUGINS_SCALEKIT_DESCRIBE_H
#define TG_PLUGINS_SCALEKIT_DESCRIBE_H

#include <stddef.h>
#include <stdint.h>

#include "http.h"
#include "scrub.h"

#define TG__SK_MSG_MAX 512 /* bytes of a message */

/* A request to @p route that got no usable answer (resp->net is not
 * TG__SK_NET_OK). @p budget_ms is provider.timeout_ms, @p hostport the
 * environment URL's "host:port". */
void tg__sk_describe_net(const char *route, const tg__sk_response *resp, int64_t budget_ms,
                         const char *hostport, const tg__sk_secrets *secrets, char *out,
                         size_t cap);

/* An answer from @p route whose HTTP status the caller does not take, with
 * the error body's message quoted. */
void tg__sk_describe_status(const char *route, const tg__sk_response *resp,
                            const tg__sk_secrets *secrets, char *out, size_t cap);

/* A 2xx answer from @p route that did not parse: @p reason is the parser's
 * predicate ("is not JSON …"). */
void tg__sk_describe_answer(const char *route, const char *reason, char *out, size_t cap);

#endif
