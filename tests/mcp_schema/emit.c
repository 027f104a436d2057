/*
 * Driver of the mcp_schema test: prints every MCP encoding of a decision —
 * each verdict, each MCP format, with and without a request id, for plain and
 * awkward identifiers and the longest link — one JSON object a line:
 *   {"format":"mcp","verdict":"DENY","request_id":7,"case":"plain","output":{…}}
 * validate.mjs checks each output against the MCP schemas.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toolgate/toolgate.h"
#include "encode_env.h"

static void emit(enc_env *e, const char *case_name, const char *identifier)
{
    static const tg_verdict verdicts[] = { TG_VERDICT_ALLOW, TG_VERDICT_NEEDS_AUTHORIZATION,
                                           TG_VERDICT_UNAVAILABLE, TG_VERDICT_DENY };
    static const tg_format formats[] = { TG_FORMAT_MCP, TG_FORMAT_MCP_INPUT_REQUIRED,
                                         TG_FORMAT_MCP_TOOL_RESULT };
    static const char *const ids[] = { NULL, "7", "\"req-1\"" };
    size_t v, f, i;

    for (v = 0; v < sizeof verdicts / sizeof verdicts[0]; v++) {
        enc_env_decide(e, verdicts[v], identifier);
        for (f = 0; f < sizeof formats / sizeof formats[0]; f++) {
            for (i = 0; i < sizeof ids / sizeof ids[0]; i++) {
                char *out = enc_encode(e->d, formats[f], ids[i]);
                printf("{\"format\":\"%s\",\"verdict\":\"%s\",\"request_id\":%s,"
                       "\"case\":\"%s\",\"output\":%s}\n",
                       tg_format_name(formats[f]), tg_verdict_name(verdicts[v]),
                       ids[i] ? ids[i] : "null", case_name, out);
                free(out);
            }
        }
    }
}

int main(void)
{
    static char longest_link[TG_LINK_MAX + 1];
    char longest_id[TG_IDENTIFIER_MAX + 1];
    enc_env *e = enc_env_new();
    size_t i;

    /* The provider percent-encodes the identifier, as real ones do, so the
     * link is a URI whatever the identifier holds. */
    emit(e, "plain", "user_456");
    emit(e, "awkward", "O'Brien \"q\" \\ caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80");

    for (i = 0; i + 2 <= TG_IDENTIFIER_MAX; i += 2)
        memcpy(longest_id + i, "\xC3\xA9", 2);
    longest_id[TG_IDENTIFIER_MAX] = '\0';
    memset(longest_link, 'a', TG_LINK_MAX);
    memcpy(longest_link, "https://auth.example/authorize?state=", 37);
    longest_link[TG_LINK_MAX] = '\0';
    e->link_mode = ENC_LINK_FIXED;
    e->fixed_link = longest_link;
    emit(e, "longest", longest_id);

    enc_env_free(e);
    return fflush(stdout) == 0 ? 0 : 1;
}
