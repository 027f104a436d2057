/* Resolved tool names; see tool_memo.h. */
#include <stdlib.h>
#include <string.h>

#include "toolgate/toolgate.h"
#include "error.h"
#include "tool_memo.h"

int tg__tool_memo_init(tg__tool_memo *m, uint64_t seed)
{
    memset(m, 0, sizeof *m);
    m->seed = seed;
    m->slots = calloc(TG__TOOL_MEMO_SLOTS, sizeof m->slots[0]);
    if (!m->slots)
        return tg__fail(TG_ENOMEM, "gate: out of memory");
    if (pthread_mutex_init(&m->lock, NULL) != 0) {
        free((void *)m->slots);
        m->slots = NULL;
        return tg__fail(TG_ENOMEM, "gate: cannot create a mutex");
    }
    return TG_OK;
}

void tg__tool_memo_destroy(tg__tool_memo *m)
{
    size_t i;
    if (!m->slots)
        return;
    for (i = 0; i < TG__TOOL_MEMO_SLOTS; i++)
        free(atomic_load_explicit(&m->slots[i], memory_order_relaxed));
    free((void *)m->slots);
    m->slots = NULL;
    pthread_mutex_destroy(&m->lock);
}

const tg__tool *tg__tool_memo_add(tg__tool_memo *m, const char *tool, size_t len,
                                  uint64_t hash, const tg__conn *conn)
{
    size_t i;
    tg__tool *t;
    const tg__tool *known;

    /* Full: no lock for nothing (a flood of new names must not make every
     * check of a name the memo lacks queue on this lock). */
    if (atomic_load_explicit(&m->count, memory_order_relaxed) >= TG__TOOL_MEMO_MAX)
        return NULL;
    pthread_mutex_lock(&m->lock);
    known = tg__tool_memo_find(m, tool, len, hash);
    if (known || atomic_load_explicit(&m->count, memory_order_relaxed) >= TG__TOOL_MEMO_MAX) {
        pthread_mutex_unlock(&m->lock);
        return known;
    }
    t = malloc(sizeof *t + len + 1);
    if (t) {
        t->hash = hash;
        t->conn = conn;
        t->len = (uint32_t)len;
        tg__copy_cstr(t->name, tool, len);
        i = (size_t)hash & (TG__TOOL_MEMO_SLOTS - 1);
        while (atomic_load_explicit(&m->slots[i], memory_order_relaxed))
            i = (i + 1) & (TG__TOOL_MEMO_SLOTS - 1);
        atomic_store_explicit(&m->slots[i], t, memory_order_release);
        atomic_store_explicit(&m->count, atomic_load_explicit(&m->count, memory_order_relaxed) + 1,
                              memory_order_relaxed);
    }
    pthread_mutex_unlock(&m->lock);
    return t;
}
