/* A gate over a tiny in-process provider that makes a decision of any
 * verdict on demand, for the encoding tests (test_encode.c) and the MCP
 * schema driver (mcp_schema/emit.c). Failures abort with a message. */
#ifndef TG_TESTS_ENCODE_ENV_H
#define TG_TESTS_ENCODE_ENV_H

#include <stdint.h>

#include "toolgate/toolgate.h"

/* How the provider builds a link for (connection, identifier). */
typedef enum enc_link_mode {
    ENC_LINK_ENCODED = 0, /* https://auth.example/authorize?connection=…&identifier=<%XX> */
    /* Links the gate would refuse, written into the decision (see
     * enc_env_decide): */
    ENC_LINK_RAW = 1,     /* the same with the identifier pasted in as it is */
    ENC_LINK_FIXED = 2    /* enc_env.fixed_link */
} enc_link_mode;

typedef struct enc_env {
    tg_gate *gate;
    tg_decision *d;
    /* What the provider answers; set before enc_env_decide(). */
    enc_link_mode link_mode;
    const char *fixed_link;
    int64_t link_ttl_ms; /* from now, wall clock; 0 = no expiry */
    /* Set by the env. */
    tg_status status;
    int fail;
    int status_calls;
    int link_calls;
} enc_env;

#define ENC_TOOL "gmail_send_email"       /* mapped to "gmail" */
#define ENC_UNMAPPED_TOOL "unmapped_tool" /* denied: tools.unmapped is "deny" */

enc_env *enc_env_new(void);
void enc_env_free(enc_env *e);

/* Drop the cache and check so that e->d gets verdict @p v for @p identifier. */
void enc_env_decide(enc_env *e, tg_verdict v, const char *identifier);

/* tg_decision_encode() into a new NUL-terminated string (caller frees), after
 * checking that *needed is exact. Aborts unless the encoding succeeds. */
char *enc_encode(const tg_decision *d, tg_format f, const char *request_id);

#endif
