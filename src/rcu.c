/* Epoch-based reclamation; see rcu.h for the protocol. */
#include <errno.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rcu.h"

_Atomic uint64_t tg__rcu_epoch = 1;
int tg__rcu_fast;
_Thread_local tg__reader *tg__rcu_self __attribute__((tls_model("initial-exec")));

static pthread_mutex_t tg__rcu_lock = PTHREAD_MUTEX_INITIALIZER;
static tg__reader *_Atomic tg__rcu_readers;
static uint32_t tg__rcu_next_id;
static pthread_once_t tg__rcu_once = PTHREAD_ONCE_INIT;
static pthread_key_t tg__rcu_key;

static long tg__membarrier(int cmd)
{
#ifdef __NR_membarrier
    return syscall(__NR_membarrier, cmd, 0, 0);
#else
    (void)cmd;
    errno = ENOSYS;
    return -1;
#endif
}

static int tg__rcu_have_key;

static void tg__rcu_thread_exit(void *arg)
{
    tg__reader *r = arg;
    tg__rcu_self = NULL;
    atomic_store_explicit(&r->epoch, 0, memory_order_release);
    atomic_store_explicit(&r->in_use, 0, memory_order_release);
}

static void tg__rcu_init(void)
{
    long mask = tg__membarrier(MEMBARRIER_CMD_QUERY);
    if (mask > 0 && (mask & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
        tg__membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0)
        tg__rcu_fast = 1;
    tg__rcu_have_key = pthread_key_create(&tg__rcu_key, tg__rcu_thread_exit) == 0;
}

/* The library is being unloaded (dlclose) or the process is ending: no
 * thread may be inside the library any more. Delete the thread-exit hook,
 * which would otherwise point into unmapped code for threads that outlive
 * the library, and free the records. */
__attribute__((destructor)) static void tg__rcu_unload(void)
{
    tg__reader *r, *next;

    if (tg__rcu_have_key) {
        (void)pthread_key_delete(tg__rcu_key);
        tg__rcu_have_key = 0;
    }
    tg__rcu_self = NULL;
    r = atomic_exchange_explicit(&tg__rcu_readers, NULL, memory_order_acq_rel);
    for (; r; r = next) {
        next = r->next;
        /* Pairs with the exit hook's release store: a thread the host never
         * joined (Python's, for one) wrote the record last. */
        (void)atomic_load_explicit(&r->in_use, memory_order_acquire);
        free(r);
    }
}

void tg__rcu_use_fences(void)
{
    pthread_once(&tg__rcu_once, tg__rcu_init);
    tg__rcu_fast = 0;
}

tg__reader *tg__rcu_register(void)
{
    tg__reader *r;

    pthread_once(&tg__rcu_once, tg__rcu_init);
    /* Reuse the record of a thread that has exited. */
    for (r = atomic_load_explicit(&tg__rcu_readers, memory_order_acquire); r; r = r->next) {
        int free_slot = 0;
        if (atomic_compare_exchange_strong(&r->in_use, &free_slot, 1))
            break;
    }
    if (!r) {
        r = aligned_alloc(TG__CACHE_LINE, sizeof *r);
        if (!r)
            return NULL;
        atomic_init(&r->epoch, 0);
        atomic_init(&r->in_use, 1);
        pthread_mutex_lock(&tg__rcu_lock);
        r->id = tg__rcu_next_id++;
        r->next = atomic_load_explicit(&tg__rcu_readers, memory_order_relaxed);
        atomic_store_explicit(&tg__rcu_readers, r, memory_order_release);
        pthread_mutex_unlock(&tg__rcu_lock);
    }
    if (tg__rcu_have_key)
        (void)pthread_setspecific(tg__rcu_key, r);
    tg__rcu_self = r;
    return r;
}

/* Smallest epoch of a reader inside its section; UINT64_MAX when none. */
static uint64_t tg__rcu_oldest_reader(void)
{
    uint64_t oldest = UINT64_MAX;
    tg__reader *r;

    if (tg__rcu_fast)
        (void)tg__membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED);
    else
#if defined(__SANITIZE_THREAD__)
        (void)atomic_fetch_add_explicit(&tg__rcu_epoch, 0, memory_order_seq_cst); /* see rcu.h */
#else
        atomic_thread_fence(memory_order_seq_cst); /* pairs with the readers' fence */
#endif
    for (r = atomic_load_explicit(&tg__rcu_readers, memory_order_acquire); r; r = r->next) {
        uint64_t e = atomic_load_explicit(&r->epoch, memory_order_seq_cst);
        if (e != 0 && e < oldest)
            oldest = e;
    }
    return oldest;
}

void tg__rcu_retire(tg__limbo *l, tg__rcu_head *h, void (*free_fn)(void *), void *obj)
{
    h->free_fn = free_fn;
    h->obj = obj;
    h->epoch = atomic_fetch_add_explicit(&tg__rcu_epoch, 1, memory_order_seq_cst);
    h->next = l->head;
    l->head = h;
    l->count++;
}

void tg__rcu_reclaim(tg__limbo *l, int wait)
{
    for (;;) {
        uint64_t oldest;
        tg__rcu_head **pp, *h;

        if (!l->head)
            return;
        oldest = tg__rcu_oldest_reader();
        /* Retired at epoch E: a reader that entered at E or before may still
         * hold it; one that entered later cannot have found it. */
        pp = &l->head;
        while ((h = *pp) != NULL) {
            if (h->epoch < oldest) {
                *pp = h->next;
                l->count--;
                h->free_fn(h->obj);
            } else {
                pp = &h->next;
            }
        }
        if (!wait || !l->head)
            return;
        sched_yield();
    }
}
