/*
 * The connected-accounts API calls the scalekit provider makes, each bounded
 * by the call's deadline: read an account's status (the route that returns
 * no credentials), create an account, make an authorization link. Every
 * request carries the access token; a 401 gets a new token once and the
 * request once more.
 *
 * Thread safety: any thread, each with its own call context.
 */
#ifndef TG_PLUGINS_SCALEKIT_API_H
#define TG_PLUGINS_SCALEKIT_API_H

#include "state.h"

/* GET details. *found is 0 on a 404. TG_OK, or a failure with c->err. */
int tg__sk_api_read(tg__sk_call *c, const char *connection, const char *identifier, int *found,
                    tg_status *status);

/* POST create, with the body the official SDKs send:
 * {"connector","identifier","connected_account":{"authorization_details":
 * {"oauth_token":{}}}}. *has_status is 0 when the answer gave none (a 409
 * included): the caller reads the account again. */
int tg__sk_api_create(tg__sk_call *c, const char *connection, const char *identifier,
                      int *has_status, tg_status *status);

/* POST magic_link. *found is 0 on a 404. */
int tg__sk_api_link(tg__sk_call *c, const char *connection, const char *identifier, int *found,
                    tg__sk_link *link);

/* The JSON body of a create (with_account 1) or magic-link request, as a
 * heap string; NULL on OOM. */
char *tg__sk_api_body(const char *connection, const char *identifier, int with_account);

/* The strings up to a NULL joined into a heap string; NULL on OOM. */
char *tg__sk_join(const char *first, ...);

#endif
