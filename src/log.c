/* Diagnostic lines for the host. The sink is process-wide, like a trace
 * hook: providers reach it through the host table (host->log). Lines are
 * delivered one at a time, so a host's callback need not lock. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "log.h"

#define TG__LOG_LINE_MAX 1024

/* -1: off. Read without the lock so a disabled level costs one load. */
static _Atomic int tg__log_level = -1;
static tg_log_fn tg__log_fn;
static void *tg__log_ctx;
static pthread_mutex_t tg__log_lock = PTHREAD_MUTEX_INITIALIZER;
/* Set while this thread is inside the callback: a line the callback causes
 * (it called into the library) is dropped instead of deadlocking. */
static _Thread_local int tg__log_busy;

void tg_log_set(tg_log_level level, tg_log_fn fn, void *ctx)
{
    pthread_mutex_lock(&tg__log_lock);
    tg__log_fn = fn;
    tg__log_ctx = fn ? ctx : NULL;
    atomic_store_explicit(&tg__log_level, fn ? (int)level : -1, memory_order_relaxed);
    pthread_mutex_unlock(&tg__log_lock);
}

const char *tg_log_level_name(tg_log_level level)
{
    switch (level) {
    case TG_LOG_ERROR: return "ERROR";
    case TG_LOG_WARN: return "WARN";
    case TG_LOG_INFO: return "INFO";
    case TG_LOG_DEBUG: return "DEBUG";
    }
    return "UNKNOWN";
}

int tg__log_enabled(tg_log_level level)
{
    return (int)level <= atomic_load_explicit(&tg__log_level, memory_order_relaxed);
}

void tg__log_v(tg_log_level level, const char *fmt, va_list ap)
{
    char line[TG__LOG_LINE_MAX];
    size_t i;

    if (!tg__log_enabled(level))
        return;
    vsnprintf(line, sizeof line, fmt, ap);
    /* One line whatever the text holds. */
    for (i = 0; line[i]; i++)
        if ((unsigned char)line[i] < 0x20 || line[i] == 0x7F)
            line[i] = '?';
    if (tg__log_busy)
        return;
    pthread_mutex_lock(&tg__log_lock);
    if (tg__log_fn && (int)level <= atomic_load_explicit(&tg__log_level, memory_order_relaxed)) {
        tg__log_busy = 1;
        tg__log_fn(tg__log_ctx, level, line);
        tg__log_busy = 0;
    }
    pthread_mutex_unlock(&tg__log_lock);
}

void tg__log(tg_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tg__log_v(level, fmt, ap);
    va_end(ap);
}
