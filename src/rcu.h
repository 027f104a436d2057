/*
 * Epoch-based reclamation for the cache's lock-free read path.
 *
 * Readers (threads in tg_gate_check) publish the global epoch in their own
 * cache line on entry and clear it on exit; they take no lock and write no
 * shared line. Writers (under their own lock) unlink an object, then retire it
 * with the epoch it was unlinked in; it is freed only once every reader that
 * could have seen it has left its read section.
 *
 * Where the kernel offers membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED), the
 * reader's store→load ordering is enforced by the writer's membarrier() before
 * it scans the readers, so the read side needs no fence. Elsewhere the reader
 * stores its epoch and then issues a sequentially consistent fence, and the
 * writer issues one before it scans: of two threads that each store and then
 * fence, at least one sees the other's store (C11 7.17.4), so a writer never
 * misses a reader that may hold what it frees.
 *
 * Thread exit clears the thread's record; unloading the library (dlclose)
 * deletes the thread-exit hook and frees the records, so a library loaded and
 * unloaded again leaves nothing behind in threads that outlive it.
 */
#ifndef TG_SRC_RCU_H
#define TG_SRC_RCU_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define TG__CACHE_LINE 64

typedef struct tg__reader {
    _Alignas(TG__CACHE_LINE) _Atomic uint64_t epoch; /* 0: not reading */
    uint32_t id;                                     /* dense, reused after thread exit */
    _Atomic int in_use;
    struct tg__reader *next;                         /* registry; never unlinked */
} tg__reader;

/* Something retired: embedded in the retired object. */
typedef struct tg__rcu_head {
    struct tg__rcu_head *next;
    uint64_t epoch;
    void (*free_fn)(void *obj);
    void *obj;
} tg__rcu_head;

/* A writer's list of retired objects. Serialised by the writer's own lock. */
typedef struct tg__limbo {
    tg__rcu_head *head;
    size_t count;
} tg__limbo;

extern _Atomic uint64_t tg__rcu_epoch;
extern int tg__rcu_fast; /* membarrier available: readers need no fence */
extern _Thread_local tg__reader *tg__rcu_self __attribute__((tls_model("initial-exec")));

/* Tests: use the fence-based protocol even where membarrier is available. */
void tg__rcu_use_fences(void);

/* Register the calling thread (first read section); NULL when out of memory. */
tg__reader *tg__rcu_register(void);

static inline tg__reader *tg__rcu_reader(void)
{
    tg__reader *r = tg__rcu_self;
    return r ? r : tg__rcu_register();
}

static inline void tg__rcu_enter(tg__reader *r)
{
    uint64_t e = atomic_load_explicit(&tg__rcu_epoch, memory_order_acquire);
#if defined(__SANITIZE_THREAD__)
    /* ThreadSanitizer does not model fences (gcc refuses them with
     * -fsanitize=thread): a sequentially consistent exchange, which it does
     * model, gives the same order there. */
    (void)atomic_exchange_explicit(&r->epoch, e, memory_order_seq_cst);
#else
    atomic_store_explicit(&r->epoch, e, memory_order_release);
    if (tg__rcu_fast)
        atomic_signal_fence(memory_order_seq_cst); /* the compiler keeps the order */
    else
        atomic_thread_fence(memory_order_seq_cst); /* store before the loads that follow */
#endif
}

static inline void tg__rcu_exit(tg__reader *r)
{
    atomic_store_explicit(&r->epoch, 0, memory_order_release);
}

/* Retire @p obj, whose head is @p h (already unreachable for new readers);
 * tg__rcu_reclaim calls free_fn(obj) once no reader can hold it. */
void tg__rcu_retire(tg__limbo *l, tg__rcu_head *h, void (*free_fn)(void *), void *obj);

/* Free the retired objects no reader can still see. With @p wait, wait for
 * the readers in their sections to leave and free everything. */
void tg__rcu_reclaim(tg__limbo *l, int wait);

#endif
