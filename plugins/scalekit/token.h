/*
 * The scalekit provider's access token: fetched with the client-credentials
 * grant (POST /oauth/token, the secret in a form body, never in a URL), kept
 * until shortly before it expires, shared by every thread; one thread fetches
 * while the others that need it wait for that fetch (single flight). A 401
 * from the API drops the token it was sent with.
 *
 * Copies of the client secret and of tokens made here are wiped before they
 * are freed or replaced.
 *
 * Thread safety: any thread; s->tok_lock guards the shared fields.
 */
#ifndef TG_PLUGINS_SCALEKIT_TOKEN_H
#define TG_PLUGINS_SCALEKIT_TOKEN_H

#include "state.h"

/**
 * A valid access token into c->token and its generation into c->token_gen:
 * the cached one, the answer of a fetch another thread is making, or a fetch
 * of our own — before c->deadline.
 * @return TG_OK; TG_ECONFIG (the token endpoint refused the credentials);
 *         TG_EPROVIDER; TG_ETIMEOUT; TG_ENOMEM — with the message in c->err.
 */
int tg__sk_token_get(tg__sk_call *c);

/* The API refused token generation @p gen: forget it unless it was replaced. */
void tg__sk_token_drop(tg__sk_state *s, uint64_t gen);

#endif
