/* Starting libcurl, its memory functions wiping; see curl_start.h. */
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "curl_start.h"
#include "wipe.h"

static pthread_once_t tg__sk_curl_once = PTHREAD_ONCE_INIT;
static CURLcode tg__sk_curl_init_rc = CURLE_FAILED_INIT;

static void tg__sk_curl_free(void *p)
{
    if (p) {
        tg__sk_wipe(p, malloc_usable_size(p));
        free(p);
    }
}

static void *tg__sk_curl_realloc(void *p, size_t size)
{
    size_t old;
    void *n;
    if (!p)
        return malloc(size);
    if (size == 0) {
        tg__sk_curl_free(p);
        return NULL;
    }
    old = malloc_usable_size(p);
    if (old >= size)
        return p;
    n = malloc(size);
    if (!n)
        return NULL;
    memcpy(n, p, old);
    tg__sk_curl_free(p);
    return n;
}

static char *tg__sk_curl_strdup(const char *s)
{
    return strdup(s);
}

static void tg__sk_curl_init(void)
{
    tg__sk_curl_init_rc = curl_global_init_mem(CURL_GLOBAL_DEFAULT, malloc, tg__sk_curl_free,
                                               tg__sk_curl_realloc, tg__sk_curl_strdup, calloc);
}

int tg__sk_curl_start(char *err, size_t errlen)
{
    pthread_once(&tg__sk_curl_once, tg__sk_curl_init);
    if (tg__sk_curl_init_rc != CURLE_OK) {
        snprintf(err, errlen, "libcurl failed to start: %s",
                 curl_easy_strerror(tg__sk_curl_init_rc));
        return -1;
    }
    return 0;
}
