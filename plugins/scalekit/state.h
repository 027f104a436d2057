/*
 * The scalekit provider's state, shared by its parts (token.c, api.c,
 * scalekit_provider.c), and the context of one method call.
 *
 * Thread safety: the state is shared by every thread calling the provider;
 * tok_lock guards the token fields. A call context belongs to one thread.
 */
#ifndef TG_PLUGINS_SCALEKIT_STATE_H
#define TG_PLUGINS_SCALEKIT_STATE_H

#include <pthread.h>
#include <stdint.h>

#include "toolgate/provider.h"
#include "describe.h"
#include "http.h"
#include "provider_config.h"
#include "scrub.h"
#include "wire.h"

#define TG__SK_ROUTE_TOKEN "/oauth/token"
#define TG__SK_ROUTE_DETAILS "/api/v1/connected_accounts/details"
#define TG__SK_ROUTE_CREATE "/api/v1/connected_accounts"
#define TG__SK_ROUTE_LINK "/api/v1/connected_accounts/magic_link"

typedef struct tg__sk_state {
    const tg_host *host;
    tg__sk_config cfg;
    tg__sk_http *http;
    char *token_url;

    pthread_mutex_t tok_lock; /* guards everything below */
    pthread_cond_t tok_cond;  /* a fetch finished; CLOCK_MONOTONIC */
    int have_token;
    char token[TG__SK_TOKEN_MAX + 1];
    int64_t token_refresh_at; /* tg__sk_http_now_ms() scale */
    uint64_t token_gen;       /* bumped by every new token */
    int fetching;             /* a thread is fetching a token */
    uint64_t fetch_seq;       /* bumped when a fetch ends */
    int fetch_rc;             /* result of the last fetch… */
    char fetch_err[TG__SK_MSG_MAX]; /* …and its message */
} tg__sk_state;

/* One get_status or get_link call. */
typedef struct tg__sk_call {
    tg__sk_state *s;
    int64_t deadline;        /* tg__sk_http_now_ms() scale */
    char *token;             /* TG__SK_TOKEN_MAX + 1 bytes: the token in hand */
    uint64_t token_gen;
    tg__sk_secrets secrets;  /* the client secret and the token in hand */
    char err[TG__SK_MSG_MAX]; /* the failure's message */
} tg__sk_call;

/**
 * Start a call: its deadline is provider.timeout_ms after the current check
 * began asking the provider (host->check_started_ms()), or after now outside
 * a check — so one check's status and link, token and retries included, end
 * within timeout_ms together.
 * @return TG_OK, or TG_ENOMEM.
 */
int tg__sk_call_begin(tg__sk_call *c, tg__sk_state *s);

/* End a call: the token copy wiped and freed. */
void tg__sk_call_end(tg__sk_call *c);

#endif
