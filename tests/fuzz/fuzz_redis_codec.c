/* Fuzz target: the Redis tier's values and messages (plugins/redis/
 * redis_codec.c), as Redis hands them back from keys and from the channel,
 * where anyone with access to Redis may have written them. The first byte
 * picks the parser (even: value, odd: message); the rest is the input.
 * Invariants:
 * - decoding never reads out of bounds and fails with a reason;
 * - the encoding is canonical: what decodes encodes back to the same bytes;
 * - a decoded message's kind carries what it must (a status for answers and
 *   events, an event time for events, tombstones and identifier changes). */
#include <string.h>

#include "toolgate/toolgate.h"
#include "horizon.h" /* after toolgate.h: conns.h needs TG_WARN_UNUSED */
#include "fuzz_check.h"
#include "fuzz_target.h"
#include "redis_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[256], out[TG__RD_MESSAGE_MAX + 1], origin[TG__RD_ORIGIN_LEN + 1];
    const char *s = (const char *)data + 1;
    size_t n, m;

    if (size < 1)
        return 0;
    n = size - 1;
    why[0] = '\0';
    if (data[0] % 2 == 0) {
        tg__rd_value v;
        if (tg__rd_value_decode(s, n, &v, why, sizeof why) != 0) {
            FZ_CHECK(why[0] != '\0', "a value refused without a reason");
            return 0;
        }
        m = tg__rd_value_encode(&v.rec, v.connection, v.identifier, out, sizeof out);
        FZ_CHECK(m == n && memcmp(out, s, n) == 0, "a value does not encode back: %zu/%zu", m,
                 n);
    } else {
        tg__shared_change c;
        if (tg__rd_message_decode(s, n, origin, &c, why, sizeof why) != 0) {
            FZ_CHECK(why[0] != '\0', "a message refused without a reason");
            return 0;
        }
        FZ_CHECK(strlen(origin) == TG__RD_ORIGIN_LEN, "an origin of another length");
        FZ_CHECK((c.kind != TG__CHANGE_ANSWER && c.kind != TG__CHANGE_EVENT) ||
                     c.record.has_status,
                 "a status change without a status");
        FZ_CHECK(c.kind == TG__CHANGE_ANSWER || c.kind == TG__CHANGE_INVALIDATE ||
                     c.record.event_ms != TG__NO_EVENT,
                 "an event without its time");
        m = tg__rd_message_encode(origin, &c, out, sizeof out);
        FZ_CHECK(m == n && memcmp(out, s, n) == 0, "a message does not encode back: %zu/%zu",
                 m, n);
    }
    return 0;
}
