/*
 * Starting libcurl for the scalekit provider, once per process.
 *
 * curl_global_init() must run once before any other libcurl call and, before
 * libcurl 7.84, not concurrently with anything else in libcurl. pthread_once
 * gives both for our own calls. It is never undone: the process (or another
 * library in it) may still use libcurl after our last provider is gone.
 *
 * libcurl copies what it sends and receives — the form body with the client
 * secret, the Authorization header, answers that echo them — into buffers of
 * its own. So that those copies are cleared too, libcurl gets memory
 * functions that wipe every block before it is freed or moved. They take
 * effect only when this is the first libcurl start in the process (an
 * application that started libcurl earlier keeps its own functions); they are
 * the C library's malloc family otherwise, so memory passes freely between
 * libcurl and its callers either way.
 *
 * Thread safety: any thread.
 */
#ifndef TG_PLUGINS_SCALEKIT_CURL_START_H
#define TG_PLUGINS_SCALEKIT_CURL_START_H

#include <stddef.h>

/* Start libcurl (the first call does it). 0, or -1 with the reason in @p err. */
int tg__sk_curl_start(char *err, size_t errlen);

#endif
