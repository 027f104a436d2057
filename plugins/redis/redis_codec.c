/* Values and messages of the Redis tier; see redis_codec.h. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "redis_codec.h"

#define TG__RD_WHY(...) (snprintf(why, whycap, __VA_ARGS__), -1)

static int tg__rd_time_ok(int64_t t)
{
    return t >= -TG__RD_TIME_LIMIT && t <= TG__RD_TIME_LIMIT;
}

static int tg__rd_link_ok(const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F)
            return 0;
    return 1;
}

size_t tg__rd_value_encode(const tg__shared_record *rec, const char *connection,
                           const char *identifier, char *buf, size_t cap)
{
    size_t cl = strlen(connection), il = strlen(identifier), ll = strnlen(rec->link,
                                                                           TG_LINK_MAX + 1);
    char ev[24];
    int h;

    if (cl > TG_CONNECTION_MAX || il > TG_IDENTIFIER_MAX || ll > TG_LINK_MAX ||
        !tg__rd_link_ok(rec->link, ll) || !tg__rd_time_ok(rec->asof_ms) ||
        !tg__rd_time_ok(rec->expires_ms) || !tg__rd_time_ok(rec->link_expires_ms) ||
        (rec->event_ms != TG__NO_EVENT && !tg__rd_time_ok(rec->event_ms)) ||
        (rec->has_status && ((int)rec->status < 0 || (int)rec->status > 6)))
        return 0;
    if (rec->event_ms == TG__NO_EVENT)
        strcpy(ev, "-");
    else
        snprintf(ev, sizeof ev, "%" PRId64, rec->event_ms);
    h = snprintf(buf, cap, "tg1 %c %" PRId64 " %s %" PRId64 " %" PRId64 " %zu %zu %zu\n",
                 rec->has_status ? (char)('0' + (int)rec->status) : '-', rec->asof_ms, ev,
                 rec->expires_ms, rec->link_expires_ms, cl, il, ll);
    if (h < 0 || (size_t)h + cl + il + ll + 1 > cap)
        return 0;
    memcpy(buf + h, connection, cl);
    memcpy(buf + h + cl, identifier, il);
    memcpy(buf + h + cl + il, rec->link, ll);
    buf[h + cl + il + ll] = '\0';
    return (size_t)h + cl + il + ll;
}

/* A cursor over the header's fields. */
typedef struct tg__rd_cur {
    const char *p, *end;
} tg__rd_cur;

/* A decimal integer ending at @p stop: "0" or [-]?[1-9][0-9]*, within
 * +-2^53. */
static int tg__rd_int(tg__rd_cur *c, char stop, int64_t *out)
{
    const char *p = c->p;
    int neg = 0;
    int64_t v = 0;

    if (p < c->end && *p == '-') {
        neg = 1;
        p++;
    }
    if (p >= c->end || *p < '0' || *p > '9')
        return -1;
    if (*p == '0' && p + 1 < c->end && p[1] != stop)
        return -1; /* leading zero */
    if (*p == '0' && neg)
        return -1; /* "-0" */
    for (; p < c->end && *p >= '0' && *p <= '9'; p++) {
        v = v * 10 + (*p - '0');
        if (v > TG__RD_TIME_LIMIT)
            return -1;
    }
    if (p >= c->end || *p != stop)
        return -1;
    c->p = p + 1;
    *out = neg ? -v : v;
    return 0;
}

/* A length, 0 to @p max, ending at @p stop. */
static int tg__rd_len(tg__rd_cur *c, char stop, size_t max, size_t *out)
{
    int64_t v;
    if (c->p < c->end && *c->p == '-')
        return -1;
    if (tg__rd_int(c, stop, &v) != 0 || v > (int64_t)max)
        return -1;
    *out = (size_t)v;
    return 0;
}

int tg__rd_value_decode(const char *s, size_t n, tg__rd_value *out, char *why, size_t whycap)
{
    tg__rd_cur c = { s, s + n };
    tg__shared_record *r = &out->rec;
    size_t cl, il, ll;
    const char *body;

    memset(out, 0, sizeof *out);
    if (n > TG__RD_VALUE_MAX)
        return TG__RD_WHY("a value of %zu bytes (at most %d)", n, TG__RD_VALUE_MAX);
    if (n < 6 || memcmp(s, "tg1 ", 4) != 0)
        return TG__RD_WHY("a value that does not start with \"tg1 \"");
    c.p = s + 4;
    if (c.p[0] == '-')
        r->has_status = 0;
    else if (c.p[0] >= '0' && c.p[0] <= '6') {
        r->has_status = 1;
        r->status = (tg_status)(c.p[0] - '0');
    } else
        return TG__RD_WHY("a value with an unknown status");
    if (c.p[1] != ' ')
        return TG__RD_WHY("a value with an unknown status");
    c.p += 2;
    if (tg__rd_int(&c, ' ', &r->asof_ms) != 0)
        return TG__RD_WHY("a value with a malformed as-of time");
    if (c.p + 1 < c.end && c.p[0] == '-' && c.p[1] == ' ') {
        r->event_ms = TG__NO_EVENT;
        c.p += 2;
    } else if (tg__rd_int(&c, ' ', &r->event_ms) != 0) {
        return TG__RD_WHY("a value with a malformed event time");
    }
    if (tg__rd_int(&c, ' ', &r->expires_ms) != 0)
        return TG__RD_WHY("a value with a malformed expiry");
    if (tg__rd_int(&c, ' ', &r->link_expires_ms) != 0)
        return TG__RD_WHY("a value with a malformed link expiry");
    if (tg__rd_len(&c, ' ', TG_CONNECTION_MAX, &cl) != 0 ||
        tg__rd_len(&c, ' ', TG_IDENTIFIER_MAX, &il) != 0 ||
        tg__rd_len(&c, '\n', TG_LINK_MAX, &ll) != 0)
        return TG__RD_WHY("a value with malformed or too large lengths");
    body = c.p;
    if ((size_t)(c.end - body) != cl + il + ll)
        return TG__RD_WHY("a value whose lengths do not add up to its size");
    if (memchr(body, '\0', cl + il + ll))
        return TG__RD_WHY("a value holding a NUL character");
    if (!tg__rd_link_ok(body + cl + il, ll))
        return TG__RD_WHY("a value whose link holds a control character");
    memcpy(out->connection, body, cl);
    memcpy(out->identifier, body + cl, il);
    memcpy(r->link, body + cl + il, ll);
    return 0;
}

size_t tg__rd_message_encode(const char *origin, const tg__shared_change *c, char *buf,
                             size_t cap)
{
    size_t n;

    if (cap < 24 + TG__RD_ORIGIN_LEN || strlen(origin) != TG__RD_ORIGIN_LEN ||
        (int)c->kind < 0 || (int)c->kind > 4)
        return 0;
    n = (size_t)snprintf(buf, cap, "tgm1 %s %d ", origin, (int)c->kind);
    if (n >= cap)
        return 0;
    {
        size_t v = tg__rd_value_encode(&c->record, c->connection, c->identifier, buf + n,
                                       cap - n);
        return v ? n + v : 0;
    }
}

static int tg__rd_hex16(const char *s)
{
    int i;
    for (i = 0; i < TG__RD_ORIGIN_LEN; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

int tg__rd_message_decode(const char *s, size_t n, char *origin, tg__shared_change *out,
                          char *why, size_t whycap)
{
    const size_t head = 5 + TG__RD_ORIGIN_LEN + 3; /* "tgm1 " ORIGIN " " K " " */
    tg__rd_value v;
    int kind, has_conn, has_id, has_ev;

    memset(out, 0, sizeof *out);
    origin[0] = '\0';
    if (n > TG__RD_MESSAGE_MAX)
        return TG__RD_WHY("a message of %zu bytes (at most %d)", n, TG__RD_MESSAGE_MAX);
    if (n < head || memcmp(s, "tgm1 ", 5) != 0)
        return TG__RD_WHY("a message that does not start with \"tgm1 \"");
    if (!tg__rd_hex16(s + 5) || s[5 + TG__RD_ORIGIN_LEN] != ' ')
        return TG__RD_WHY("a message with a malformed origin");
    kind = s[head - 2] - '0';
    if (kind < 0 || kind > 4 || s[head - 1] != ' ')
        return TG__RD_WHY("a message of an unknown kind");
    if (tg__rd_value_decode(s + head, n - head, &v, why, whycap) != 0)
        return -1;
    has_conn = v.connection[0] != '\0';
    has_id = v.identifier[0] != '\0';
    has_ev = v.rec.event_ms != TG__NO_EVENT;
    switch ((tg__change_kind)kind) {
    case TG__CHANGE_ANSWER:
    case TG__CHANGE_EVENT:
        if (!v.rec.has_status)
            return TG__RD_WHY("a message of a status change without a status");
        if (kind == TG__CHANGE_EVENT && !has_ev)
            return TG__RD_WHY("a message of an event without an event time");
        if (!has_conn || !has_id)
            return TG__RD_WHY("a message without its account");
        break;
    case TG__CHANGE_TOMBSTONE:
    case TG__CHANGE_IDENTIFIER:
        if (v.rec.has_status)
            return TG__RD_WHY("a message of a deletion carrying a status");
        if (!has_ev)
            return TG__RD_WHY("a message of a deletion without an event time");
        if (!has_id || has_conn != (kind == TG__CHANGE_TOMBSTONE))
            return TG__RD_WHY("a message of a deletion naming the wrong account");
        break;
    case TG__CHANGE_INVALIDATE:
        if (v.rec.has_status)
            return TG__RD_WHY("a message of an invalidation carrying a status");
        if (has_id && !has_conn)
            return TG__RD_WHY("a message of an invalidation with an identifier but no "
                              "connection");
        break;
    }
    memcpy(origin, s + 5, TG__RD_ORIGIN_LEN);
    origin[TG__RD_ORIGIN_LEN] = '\0';
    out->kind = (tg__change_kind)kind;
    memcpy(out->connection, v.connection, sizeof out->connection);
    memcpy(out->identifier, v.identifier, sizeof out->identifier);
    out->record = v.rec;
    return 0;
}
