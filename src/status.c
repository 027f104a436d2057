/* Status and verdict names, and status parsing (docs/design.md §4). */
#include <stddef.h>
#include <string.h>

#include "toolgate/toolgate.h"
#include "error.h"

static const char *const tg__status_names[] = {
    [TG_STATUS_UNKNOWN] = "UNKNOWN",
    [TG_STATUS_ACTIVE] = "ACTIVE",
    [TG_STATUS_EXPIRED] = "EXPIRED",
    [TG_STATUS_PENDING] = "PENDING",
    [TG_STATUS_PENDING_VERIFICATION] = "PENDING_VERIFICATION",
    [TG_STATUS_REVOKED] = "REVOKED",
    [TG_STATUS_NOT_FOUND] = "NOT_FOUND",
};

/* Every word the parser accepts: toolgate names, seed words, Scalekit wire
 * names and numbers. */
static const struct {
    const char *word;
    tg_status status;
} tg__status_words[] = {
    { "UNKNOWN", TG_STATUS_UNKNOWN },
    { "CONNECTION_STATUS_UNSPECIFIED", TG_STATUS_UNKNOWN },
    { "0", TG_STATUS_UNKNOWN },
    { "ACTIVE", TG_STATUS_ACTIVE },
    { "1", TG_STATUS_ACTIVE },
    { "EXPIRED", TG_STATUS_EXPIRED },
    { "2", TG_STATUS_EXPIRED },
    { "PENDING", TG_STATUS_PENDING },
    { "PENDING_AUTH", TG_STATUS_PENDING },
    { "3", TG_STATUS_PENDING },
    { "PENDING_VERIFICATION", TG_STATUS_PENDING_VERIFICATION },
    { "4", TG_STATUS_PENDING_VERIFICATION },
    { "REVOKED", TG_STATUS_REVOKED },
    { "DISCONNECTED", TG_STATUS_REVOKED },
    { "5", TG_STATUS_REVOKED },
    { "NOT_FOUND", TG_STATUS_NOT_FOUND },
};

const char *tg_status_name(tg_status s)
{
    if ((unsigned)s < sizeof tg__status_names / sizeof tg__status_names[0])
        return tg__status_names[s];
    return "UNKNOWN";
}

const char *tg_verdict_name(tg_verdict v)
{
    switch (v) {
    case TG_VERDICT_ALLOW: return "ALLOW";
    case TG_VERDICT_NEEDS_AUTHORIZATION: return "NEEDS_AUTHORIZATION";
    case TG_VERDICT_UNAVAILABLE: return "UNAVAILABLE";
    case TG_VERDICT_DENY: return "DENY";
    }
    return "UNKNOWN";
}

static int tg__is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int tg__ascii_upper(int c)
{
    return (c >= 'a' && c <= 'z') ? c - 'a' + 'A' : c;
}

int tg_status_parse(const char *text, tg_status *out)
{
    char shown[64 * 4 + 4];
    size_t start = 0, end, i, j;

    if (!text || !out)
        return tg__fail(TG_EINVAL, "tg_status_parse: NULL argument");
    end = strlen(text);
    while (start < end && tg__is_space(text[start]))
        start++;
    while (end > start && tg__is_space(text[end - 1]))
        end--;
    for (i = 0; i < sizeof tg__status_words / sizeof tg__status_words[0]; i++) {
        const char *w = tg__status_words[i].word;
        size_t n = strlen(w);
        if (n != end - start)
            continue;
        for (j = 0; j < n; j++)
            if (tg__ascii_upper((unsigned char)text[start + j]) != w[j])
                break;
        if (j == n) {
            *out = tg__status_words[i].status;
            return TG_OK;
        }
    }
    /* Quoted escaped and cut: the text may hold anything. */
    tg__excerpt(text, strnlen(text, 65), 64, shown, sizeof shown);
    return tg__fail(TG_EINVAL, "unknown status \"%s\"", shown);
}
