/* The library loaded with dlopen, used from several threads, unloaded with
 * dlclose — again and again, with a thread that outlives each unload. Under
 * AddressSanitizer this shows that nothing leaks across loads and that no
 * thread-exit hook points into unmapped code. Links only libdl and
 * pthreads: everything of toolgate comes through dlsym. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "toolgate/toolgate.h"

#ifndef TG_LIBRARY_PATH
#error "tests/CMakeLists.txt defines TG_LIBRARY_PATH for this test"
#endif

#define ROUNDS 100
#define THREADS 4
#define CHECKS 2000

typedef struct api {
    int (*gate_new)(tg_gate **, const char *, const char *);
    void (*gate_free)(tg_gate *);
    int (*check)(tg_gate *, const char *, const char *, tg_decision *);
    tg_decision *(*decision_new)(void);
    void (*decision_free)(tg_decision *);
    tg_verdict (*verdict)(const tg_decision *);
} api;

typedef struct worker {
    const api *a;
    tg_gate *g;
    int ok;
    int checked;  /* done with the library (under *lock for the lingering one) */
    /* The lingering worker waits here until the library is gone. */
    pthread_mutex_t *lock;
    pthread_cond_t *cond;
    int *released;
} worker;

static void die(const char *what)
{
    fprintf(stderr, "test_dlopen: %s\n", what);
    exit(1);
}

static void *sym(void *h, const char *name)
{
    void *p = dlsym(h, name);
    if (!p) {
        fprintf(stderr, "test_dlopen: no symbol %s\n", name);
        exit(1);
    }
    return p;
}

static void *work(void *arg)
{
    worker *w = arg;
    tg_decision *d = w->a->decision_new();
    int i;

    w->ok = d != NULL;
    for (i = 0; d && i < CHECKS; i++)
        if (w->a->check(w->g, "gmail_send", "user_123", d) != TG_OK ||
            w->a->verdict(d) != TG_VERDICT_ALLOW)
            w->ok = 0;
    w->a->decision_free(d);
    if (w->lock) {
        pthread_mutex_lock(w->lock);
        w->checked = 1;
        while (!*w->released)
            pthread_cond_wait(w->cond, w->lock);
        pthread_mutex_unlock(w->lock);
    }
    return NULL; /* thread exit: its toolgate record is released here */
}

int main(void)
{
    char dir[] = "/tmp/tg_dlopen_XXXXXX", accounts[64], config[256];
    FILE *f;
    int round;

    if (!mkdtemp(dir))
        die("mkdtemp");
    snprintf(accounts, sizeof accounts, "%s/accounts.json", dir);
    f = fopen(accounts, "w");
    if (!f)
        die("cannot write the accounts file");
    fputs("{\"link_base\":\"https://connect.example.com/authorize\",\"accounts\":["
          "{\"connection\":\"gmail\",\"identifier\":\"user_123\",\"status\":\"ACTIVE\"}]}",
          f);
    fclose(f);
    snprintf(config, sizeof config,
             "{\"provider\":{\"type\":\"file\",\"path\":\"%s\"},"
             "\"tools\":{\"prefixes\":{\"gmail_\":\"gmail\"}}}",
             accounts);

    for (round = 0; round < ROUNDS; round++) {
        pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
        pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
        pthread_t th[THREADS + 1];
        worker w[THREADS + 1];
        int released = 0, i;
        api a;
        tg_gate *g = NULL;
        void *h = dlopen(TG_LIBRARY_PATH, RTLD_NOW | RTLD_LOCAL);

        if (!h) {
            fprintf(stderr, "test_dlopen: round %d: dlopen: %s\n", round, dlerror());
            return 1;
        }
        *(void **)&a.gate_new = sym(h, "tg_gate_new_from_json");
        *(void **)&a.gate_free = sym(h, "tg_gate_free");
        *(void **)&a.check = sym(h, "tg_gate_check");
        *(void **)&a.decision_new = sym(h, "tg_decision_new");
        *(void **)&a.decision_free = sym(h, "tg_decision_free");
        *(void **)&a.verdict = sym(h, "tg_decision_verdict");
        if (a.gate_new(&g, config, NULL) != TG_OK)
            die("gate");

        for (i = 0; i <= THREADS; i++) {
            w[i].a = &a;
            w[i].g = g;
            w[i].ok = 0;
            w[i].checked = 0;
            /* The last one outlives the library. */
            w[i].lock = i == THREADS ? &lock : NULL;
            w[i].cond = &cond;
            w[i].released = &released;
            if (pthread_create(&th[i], NULL, work, &w[i]) != 0)
                die("pthread_create");
        }
        for (i = 0; i < THREADS; i++)
            pthread_join(th[i], NULL);
        /* Wait until the lingering worker is done with the library. */
        for (;;) {
            int done;
            pthread_mutex_lock(&lock);
            done = w[THREADS].checked;
            pthread_mutex_unlock(&lock);
            if (done)
                break;
            usleep(1000);
        }
        a.gate_free(g);
        if (dlclose(h) != 0)
            die("dlclose");
        /* Now the lingering thread exits, with the library gone. */
        pthread_mutex_lock(&lock);
        released = 1;
        pthread_cond_broadcast(&cond);
        pthread_mutex_unlock(&lock);
        pthread_join(th[THREADS], NULL);
        for (i = 0; i <= THREADS; i++)
            if (!w[i].ok) {
                fprintf(stderr, "test_dlopen: round %d: worker %d saw a wrong answer\n", round,
                        i);
                return 1;
            }
    }
    unlink(accounts);
    rmdir(dir);
    printf("test_dlopen: %d rounds of dlopen, %d threads x %d checks, dlclose: ok\n", ROUNDS,
           THREADS + 1, CHECKS);
    return 0;
}
