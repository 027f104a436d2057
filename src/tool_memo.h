/*
 * Resolved tool names: tool → connection (or "no rule"), remembered after the
 * first check of each distinct valid tool name, so later checks skip the
 * character validation and the prefix probes: one hash and one probe.
 *
 * Insert-only and bounded (TG__TOOL_MEMO_MAX names; past that, tools are
 * resolved through the rules on every check). Readers take no lock: slots
 * are published with release stores and entries live until the gate is freed.
 */
#ifndef TG_SRC_TOOL_MEMO_H
#define TG_SRC_TOOL_MEMO_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "bytes.h"
#include "conns.h"

#define TG__TOOL_MEMO_MAX 4096
#define TG__TOOL_MEMO_SLOTS (2 * TG__TOOL_MEMO_MAX)

typedef struct tg__tool {
    uint64_t hash;
    const tg__conn *conn;  /* NULL: no rule maps the tool */
    uint32_t len;
    char name[];
} tg__tool;

typedef struct tg__tool_memo {
    tg__tool *_Atomic *slots;  /* TG__TOOL_MEMO_SLOTS */
    uint64_t seed;
    pthread_mutex_t lock;      /* inserts */
    _Atomic size_t count;      /* written under the lock */
} tg__tool_memo;

TG_WARN_UNUSED int tg__tool_memo_init(tg__tool_memo *m, uint64_t seed);
void tg__tool_memo_destroy(tg__tool_memo *m);

/* Tool names come from a model, and a model can be talked into any name: the
 * whole name is hashed, with the gate's random seed, so no crafted set of
 * names can pile into one run of slots and slow every check down. */
static inline uint64_t tg__tool_hash(const tg__tool_memo *m, const char *tool, size_t len)
{
    return tg__hash_bytes(tool, len, m->seed);
}

/* The remembered tool, or NULL. Takes no lock, allocates nothing. */
static inline const tg__tool *tg__tool_memo_find(const tg__tool_memo *m, const char *tool,
                                                 size_t len, uint64_t hash)
{
    size_t i = (size_t)hash & (TG__TOOL_MEMO_SLOTS - 1);
    for (;;) {
        const tg__tool *t = atomic_load_explicit(&m->slots[i], memory_order_acquire);
        if (!t)
            return NULL;
        if (t->hash == hash && t->len == len && tg__bytes_equal(t->name, tool, len))
            return t;
        i = (i + 1) & (TG__TOOL_MEMO_SLOTS - 1);
    }
}

/* Remember a valid tool's resolution and return the kept tool; NULL when
 * the memo is full or out of memory (the caller has its answer anyway).
 * Thread safe. */
const tg__tool *tg__tool_memo_add(tg__tool_memo *m, const char *tool, size_t len, uint64_t hash,
                       const tg__conn *conn);

#endif
