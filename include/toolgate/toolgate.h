/*
 * toolgate — check a tool call against the end user's connected-account status.
 *
 * A gate maps a tool name to a connection (tool rules), looks up the status of
 * (connection, identifier) in an in-process cache and returns a verdict. Only a
 * cache miss asks the provider (the authorization service behind a plugin).
 *
 * Conventions (see docs/errors.md and docs/threading.md):
 * - Functions returning int return TG_OK (0) or a negative tg_err code. The
 *   detail of the last failure on the calling thread is tg_error_message().
 * - A blocked call is a verdict, not an error: tg_gate_check() returns TG_OK for
 *   ALLOW, NEEDS_AUTHORIZATION, UNAVAILABLE and DENY alike.
 * - Ownership is stated on every declaration: "caller frees" (with the type's
 *   _free), "borrowed" (valid until the stated event) or "caller buffer"
 *   (buf, len, *needed; TG_EBUFS when len is too small).
 * - Thread safety is stated on every function taking a gate or a decision.
 *   Functions that take neither (names, parsing, errors, webhook checks) keep
 *   no shared state and may be called from any thread.
 */
#ifndef TOOLGATE_TOOLGATE_H
#define TOOLGATE_TOOLGATE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TG_VERSION_MAJOR 0
#define TG_VERSION_MINOR 1
#define TG_VERSION_PATCH 0
#define TG_VERSION_STRING "0.1.0"

/* TG_API marks the exported symbols; everything else is hidden. Define
 * TG_STATIC when linking the static library on a platform that cares. */
#if defined(TG_STATIC)
#define TG_API
#elif defined(__GNUC__) || defined(__clang__)
#define TG_API __attribute__((visibility("default")))
#else
#define TG_API
#endif

#if defined(__GNUC__) || defined(__clang__)
#define TG_WARN_UNUSED __attribute__((warn_unused_result))
#else
#define TG_WARN_UNUSED
#endif

/* Error codes. Append only: a code is never renumbered or reused. */
typedef enum tg_err {
    TG_OK = 0,
    TG_EINVAL = -1,    /* an argument or input broke a rule (docs/design.md §9) */
    TG_ENOMEM = -2,    /* out of memory */
    TG_ECONFIG = -3,   /* the configuration is invalid */
    TG_EPROVIDER = -4, /* the provider failed (5xx, 429, bad answer, refused) */
    TG_ETIMEOUT = -5,  /* the provider did not answer in time */
    TG_EBUFS = -6,     /* the caller's buffer is too small; see *needed */
    TG_EIO = -7,       /* a file could not be read */
    TG_ENOTSUP = -8,   /* the operation is not supported (e.g. by a provider) */
    TG_EPLUGIN = -9,   /* a provider plugin could not be loaded or is incompatible */
    TG_ESIGNATURE = -10, /* a webhook signature does not match the body */
    TG_ETIMESTAMP = -11, /* a webhook timestamp is too far from now */
    TG_ECANCELED = -12,  /* a wait was cancelled by its caller */
    TG_EWOULDBLOCK = -13 /* tg_gate_try_check: the answer needs the provider */
} tg_err;

/* The verdict of a check. */
typedef enum tg_verdict {
    TG_VERDICT_ALLOW = 0,               /* the tool may run */
    TG_VERDICT_NEEDS_AUTHORIZATION = 1, /* blocked; the decision carries the link */
    TG_VERDICT_UNAVAILABLE = 2,         /* the provider could not answer; policy closed */
    TG_VERDICT_DENY = 3                 /* the configuration forbids the call */
} tg_verdict;

/* Connected-account status. Values 0–5 equal Scalekit's wire numbers. */
typedef enum tg_status {
    TG_STATUS_UNKNOWN = 0,
    TG_STATUS_ACTIVE = 1,
    TG_STATUS_EXPIRED = 2,
    TG_STATUS_PENDING = 3,
    TG_STATUS_PENDING_VERIFICATION = 4,
    TG_STATUS_REVOKED = 5,
    TG_STATUS_NOT_FOUND = 6
} tg_status;

/* Where a decision's status came from. */
typedef enum tg_source {
    TG_SOURCE_NONE = 0,     /* no status was needed (unmapped tool, bad policy path) */
    TG_SOURCE_CACHE = 1,    /* a cached entry */
    TG_SOURCE_PROVIDER = 2, /* the provider, during this check */
    TG_SOURCE_SHARED = 3    /* the shared tier (Redis), filled by another process */
} tg_source;

/* Input limits (docs/design.md §9), in bytes. */
#define TG_IDENTIFIER_MAX 512
#define TG_CONNECTION_MAX 64
#define TG_TOOL_MAX 128
/* Longest authorization link a provider may hand out, without the NUL. */
#define TG_LINK_MAX 2048

typedef struct tg_gate tg_gate;
typedef struct tg_decision tg_decision;
struct tg_provider;

/* ---- gates ------------------------------------------------------------ */

/**
 * Create a gate from a JSON configuration file (docs/design.md §7). Relative paths in
 * the configuration are relative to the file's directory.
 * @param out          receives the gate; caller frees with tg_gate_free(). Set to
 *                     NULL on failure.
 * @param config_path  path of the file.
 * @return TG_OK; TG_EINVAL (NULL argument), TG_EIO (unreadable file),
 *         TG_ECONFIG (invalid configuration, unknown key, wrong type),
 *         TG_EPLUGIN (provider could not be loaded), TG_ENOMEM.
 * Thread safety: may be called from any thread.
 */
TG_API TG_WARN_UNUSED int tg_gate_new_from_file(tg_gate **out, const char *config_path);

/**
 * Create a gate from a JSON configuration held in memory.
 * @param config_json  NUL-terminated JSON text; "{}" gives every default.
 * @param base_dir     directory that relative paths are resolved against;
 *                     NULL means the current directory.
 * Ownership and errors as tg_gate_new_from_file(). Thread safety: any thread.
 */
TG_API TG_WARN_UNUSED int tg_gate_new_from_json(tg_gate **out, const char *config_json,
                                                const char *base_dir);

/**
 * Create a gate whose provider is given in process instead of by
 * "provider.type" (which is then ignored). The "provider" object of the
 * configuration, minus "type", is handed to provider->create with @p arg.
 * @param provider  borrowed; must stay valid until the gate is freed.
 * @param arg       passed unchanged to provider->create (may be NULL).
 * Ownership and errors as tg_gate_new_from_file(). Thread safety: any thread.
 */
TG_API TG_WARN_UNUSED int tg_gate_new_with_provider(tg_gate **out, const char *config_json,
                                                    const char *base_dir,
                                                    const struct tg_provider *provider,
                                                    void *arg);

/**
 * Free a gate and everything it owns. NULL is a no-op. No other call on this
 * gate may be running or follow. Thread safety: one thread, once.
 */
TG_API void tg_gate_free(tg_gate *gate);

/**
 * Check whether @p tool may run for the end user @p identifier, and fill @p d.
 * The tool is mapped to a connection by the tool rules; the status of
 * (connection, identifier) comes from the cache, or from the provider on a miss
 * (one provider request per key however many threads miss at once).
 * A cache hit allocates nothing and takes no lock a writer holds.
 * @param d  caller's decision (tg_decision_new()), overwritten; reuse it.
 * @return TG_OK for every verdict; TG_EINVAL for a NULL argument or a tool or
 *         identifier that breaks docs/design.md §9 (d is then left unspecified);
 *         TG_ECONFIG when the provider finds its configuration wrong on first
 *         use (e.g. the token endpoint refuses the client credentials) — not
 *         a verdict, since no policy can fix it; TG_ENOMEM.
 * Thread safety: any number of threads may check one gate at once.
 */
TG_API TG_WARN_UNUSED int tg_gate_check(tg_gate *gate, const char *tool, const char *identifier,
                                        tg_decision *d);

/**
 * tg_gate_check() without ever asking the provider: the answer when the cache
 * (or the tool rules alone) can give it, else TG_EWOULDBLOCK at once — for an
 * event loop that must not block, which then runs tg_gate_check() on a worker
 * thread. Costs what a hit costs.
 * @return as tg_gate_check(), and TG_EWOULDBLOCK (d unspecified).
 * Thread safety: as tg_gate_check().
 */
TG_API TG_WARN_UNUSED int tg_gate_try_check(tg_gate *gate, const char *tool,
                                            const char *identifier, tg_decision *d);

/**
 * Like tg_gate_check(), but names the connection directly instead of a tool.
 * The decision's tool is NULL. Thread safety: as tg_gate_check().
 */
TG_API TG_WARN_UNUSED int tg_gate_check_connection(tg_gate *gate, const char *connection,
                                                   const char *identifier, tg_decision *d);

/**
 * Get an authorization link for (connection, identifier) whatever its status:
 * the cached link while it is valid, else a new one from the provider.
 * @param buf, len, needed  caller buffer for the NUL-terminated link; *needed
 *                          (if not NULL) receives the size required, NUL included.
 * @param expires_at_ms     if not NULL, receives the link's expiry in Unix ms
 *                          (0 when the provider gave none).
 * @return TG_OK; TG_EINVAL; TG_EBUFS; TG_EPROVIDER or TG_ETIMEOUT (provider
 *         failed); TG_ENOTSUP (the provider has no links); TG_ENOMEM.
 * Thread safety: any thread.
 */
TG_API TG_WARN_UNUSED int tg_gate_link(tg_gate *gate, const char *connection,
                                       const char *identifier, char *buf, size_t len,
                                       size_t *needed, int64_t *expires_at_ms);

/**
 * Drop cached entries so the next check asks the provider.
 * connection and identifier given: that entry; identifier NULL: every entry of
 * the connection; both NULL: every entry.
 * @return TG_OK (also when nothing was cached); TG_EINVAL for an invalid name
 *         or an identifier without a connection.
 * Thread safety: any thread, concurrently with checks.
 */
TG_API TG_WARN_UNUSED int tg_gate_invalidate(tg_gate *gate, const char *connection, const char *identifier);

/* Returns the current time in monotonic milliseconds (any fixed origin). */
typedef int64_t (*tg_clock_fn)(void *ctx);

/**
 * Replace the gate's clock for TTLs and link expiry (tests move time with it).
 * NULL restores the default (CLOCK_MONOTONIC_COARSE). Must be called before
 * the gate is shared with other threads. The wall clock used to print
 * link_expires_at is unaffected.
 */
TG_API void tg_gate_set_clock(tg_gate *gate, tg_clock_fn fn, void *ctx);

#define TG_STATS_VERSION 2
/* Upper bounds, in seconds, of the provider-latency histogram's buckets; a
 * last, unbounded bucket follows them. */
#define TG_STATS_LATENCY_BOUNDS \
    { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0 }
#define TG_STATS_LATENCY_BUCKETS 14 /* the 13 bounds above, then +Inf */

/* Counters since the gate was created. Fill .version before the call: a
 * caller built for version 1 gets the version-1 fields only. */
typedef struct tg_stats {
    uint32_t version;          /* TG_STATS_VERSION */
    uint64_t hits;             /* checks answered from a fresh cache entry */
    uint64_t misses;           /* checks that needed the provider's answer */
    uint64_t provider_calls;   /* status and link requests sent to the provider */
    uint64_t provider_errors;  /* of those, the ones that failed */
    uint64_t evictions;        /* entries dropped to respect cache.max_entries */
    uint64_t entries;          /* entries cached now */
    uint64_t verdicts[4];      /* checks per tg_verdict */
    /* ---- version 2 ---- */
    /* Provider calls by duration: latency_buckets[i] counts the calls that
     * took more than bound[i-1] and at most bound[i] seconds (not
     * cumulative); the last bucket has no upper bound. */
    uint64_t provider_latency_buckets[TG_STATS_LATENCY_BUCKETS];
    double provider_latency_seconds_sum;
    /* Wall clock (Unix ms) of the provider's last successful answer and of
     * its last failure; 0 when there was none. */
    int64_t provider_last_ok_ms;
    int64_t provider_last_error_ms;
    uint64_t events[4];        /* tg_gate_apply_event() outcomes per tg_event_result */
    /* The shared tier (zero without one). */
    uint64_t shared_hits;      /* misses answered from the shared tier */
    uint64_t shared_misses;    /* misses the shared tier could not answer */
    uint64_t shared_errors;    /* shared-tier operations that failed or timed out */
    uint64_t shared_publishes; /* changes written and published to the fleet */
    uint64_t shared_received;  /* changes received from other processes */
} tg_stats;
#define TG_STATS_INIT                                                                   \
    { TG_STATS_VERSION, 0, 0, 0, 0, 0, 0, { 0, 0, 0, 0 }, { 0 }, 0.0, 0, 0, { 0, 0, 0, 0 },   \
      0, 0, 0, 0, 0 }

/**
 * Read the gate's counters. Counts from threads checking at the same time may
 * be missing from this snapshot. @return TG_OK; TG_EINVAL (NULL, a version
 * of 0 or above TG_STATS_VERSION). Thread safety: any thread.
 */
TG_API TG_WARN_UNUSED int tg_gate_stats(const tg_gate *gate, tg_stats *out);

/* ---- waiting for an authorization --------------------------------------- */

#define TG_WAIT_OPTIONS_VERSION 1
typedef struct tg_wait_options {
    uint32_t version;     /* TG_WAIT_OPTIONS_VERSION */
    int64_t timeout_ms;   /* how long to wait in all, >= 0 (0: look once) */
    int64_t poll_ms;      /* first pause between provider looks; 0: 250 */
    int64_t max_poll_ms;  /* longest pause (each is 1.5x the last); 0: 5000 */
    /* When not NULL, the wait ends with TG_ECANCELED within 100 ms of
     * *cancel becoming non-zero — set by a signal handler, or by another
     * thread with an atomic store (e.g. __atomic_store_n). */
    const volatile int *cancel;
    /* When not NULL, called on the waiting thread after each look, with the
     * decision it gave and the milliseconds left. */
    void (*on_poll)(void *ctx, const tg_decision *d, int64_t left_ms);
    void *ctx;
} tg_wait_options;
#define TG_WAIT_OPTIONS_INIT { TG_WAIT_OPTIONS_VERSION, 300000, 0, 0, NULL, NULL, NULL }

/**
 * Wait until the account (connection, identifier) is ACTIVE. The first look
 * asks the provider (a fresh cached status is not trusted for this); later
 * looks follow with backoff. An event or invalidation that reaches this gate
 * for the account wakes the wait at once: a webhook that makes it ACTIVE
 * ends the wait without a provider request.
 * @param opts  NULL: TG_WAIT_OPTIONS_INIT.
 * @param d     receives the last decision that carried a status from the
 *              provider or an event (the link included while not ACTIVE).
 * @return TG_OK when the wait ended with a known status: ACTIVE, or the last
 *         one known when the time ran out (check tg_decision_status());
 *         TG_EPROVIDER when the provider never answered (d then holds the
 *         UNAVAILABLE decision, tg_error_message() the last failure);
 *         TG_ECANCELED; TG_EINVAL; TG_ECONFIG; TG_ENOMEM.
 * Thread safety: any number of threads, concurrently with checks.
 */
TG_API TG_WARN_UNUSED int tg_gate_wait(tg_gate *gate, const char *connection,
                                       const char *identifier, const tg_wait_options *opts,
                                       tg_decision *d);

/* ---- diagnostics -------------------------------------------------------- */

typedef enum tg_log_level {
    TG_LOG_ERROR = 0,
    TG_LOG_WARN = 1,
    TG_LOG_INFO = 2,
    TG_LOG_DEBUG = 3  /* e.g. each provider request: method, path, status, time */
} tg_log_level;

/* Receives one diagnostic line (no newline; never a secret). The message is
 * borrowed for the call. May be called from any thread that uses the library,
 * one line at a time. It must not call tg_log_set(); lines caused by library
 * calls it makes are dropped. */
typedef void (*tg_log_fn)(void *ctx, tg_log_level level, const char *message);

/**
 * Hand the library's diagnostic lines (its providers' included) at @p level
 * and more severe to @p fn; fn NULL turns them off (the default).
 * Process-wide. Thread safety: any thread; a line being delivered while the
 * callback is replaced goes to the old one.
 */
TG_API void tg_log_set(tg_log_level level, tg_log_fn fn, void *ctx);

/* "ERROR", "WARN", "INFO", "DEBUG"; "UNKNOWN" otherwise. Static text. */
TG_API const char *tg_log_level_name(tg_log_level level);

/* ---- decisions ---------------------------------------------------------- */

/**
 * Allocate an empty decision. Caller frees with tg_decision_free(). Reuse it
 * across checks: filling it never allocates. NULL when out of memory.
 * Thread safety: a decision belongs to one thread at a time.
 */
TG_API tg_decision *tg_decision_new(void);
/* Free a decision; NULL is a no-op. */
TG_API void tg_decision_free(tg_decision *d);

/* Getters. Strings are borrowed: valid until @p d is next filled or freed, and
 * no longer than the gate that filled it. */
TG_API tg_verdict tg_decision_verdict(const tg_decision *d);
/* TG_STATUS_UNKNOWN when no status is known (unmapped tool, provider failed). */
TG_API tg_status tg_decision_status(const tg_decision *d);
/* 1 when the decision carries a status, 0 when its status is JSON null. */
TG_API TG_WARN_UNUSED int tg_decision_has_status(const tg_decision *d);
TG_API const char *tg_decision_tool(const tg_decision *d);       /* NULL for connection checks */
TG_API const char *tg_decision_identifier(const tg_decision *d);
TG_API const char *tg_decision_connection(const tg_decision *d); /* NULL when unmapped */
TG_API const char *tg_decision_link(const tg_decision *d);       /* NULL unless NEEDS_AUTHORIZATION */
/* Unix ms at which the link expires; 0 when there is no link or no expiry. */
TG_API int64_t tg_decision_link_expires_at(const tg_decision *d);
/* One plain sentence, safe to show to a user or a model. Never NULL. */
TG_API const char *tg_decision_reason(const tg_decision *d);
TG_API tg_source tg_decision_source(const tg_decision *d);
/* 1 when a fail-stale policy served an expired ACTIVE entry. */
TG_API TG_WARN_UNUSED int tg_decision_stale(const tg_decision *d);

/**
 * Encode the decision as the JSON object of docs/design.md §5 (every key present,
 * absent values null) into a caller buffer.
 * @param needed  if not NULL, receives the size required, NUL included.
 * @return TG_OK; TG_EBUFS (buf holds a truncated, NUL-terminated prefix when
 *         len > 0); TG_EINVAL (NULL d, or buf NULL with len > 0).
 * Thread safety: as the decision.
 */
TG_API TG_WARN_UNUSED int tg_decision_to_json(const tg_decision *d, char *buf, size_t len, size_t *needed);

/* ---- encodings of a decision ------------------------------------------- */

/* How a decision is handed to a runtime, a model or a person. */
typedef enum tg_format {
    TG_FORMAT_JSON = 0,               /* the object of docs/design.md §5 */
    TG_FORMAT_TEXT = 1,               /* one line for a person */
    TG_FORMAT_MCP = 2,                /* MCP 2025-11-25 URLElicitationRequiredError (-32042) */
    TG_FORMAT_MCP_INPUT_REQUIRED = 3, /* MCP 2026-07-28 input_required result */
    TG_FORMAT_MCP_TOOL_RESULT = 4     /* CallToolResult with isError and the link in text */
} tg_format;

/* "json", "text", "mcp", "mcp-input-required", "mcp-tool-result"; NULL otherwise.
 * Static text. Thread safety: any thread. */
TG_API const char *tg_format_name(tg_format f);
/* Parse a format name (exactly as tg_format_name() spells it).
 * @return TG_OK; TG_EINVAL (NULL or unknown; *out untouched). Any thread. */
TG_API TG_WARN_UNUSED int tg_format_parse(const char *name, tg_format *out);

/**
 * Encode a decision in @p format into a caller buffer (docs/encodings.md).
 * Always valid JSON (except TG_FORMAT_TEXT, one line of UTF-8), whatever the
 * identifier or link holds. UNAVAILABLE and DENY are never encoded as an
 * elicitation. What the verdicts become:
 *  - TG_FORMAT_MCP: NEEDS_AUTHORIZATION → JSON-RPC error -32042 with one URL
 *    elicitation; UNAVAILABLE and DENY → error -32603 with the decision as
 *    data; ALLOW → the decision as the result.
 *  - TG_FORMAT_MCP_INPUT_REQUIRED: NEEDS_AUTHORIZATION → an input_required
 *    result with one URL elicitation; the others as TG_FORMAT_MCP_TOOL_RESULT.
 *  - TG_FORMAT_MCP_TOOL_RESULT: a CallToolResult ("resultType":"complete",
 *    the decision as structuredContent); isError is false only for ALLOW.
 * The elicitation id is the same for the same connection, identifier and link.
 * @param request_id_json  JSON text of a JSON-RPC id — a string, or an integer
 *                         that fits in 64 bits; at most 1024 bytes — or NULL.
 *                         With an id, the MCP formats are wrapped in a
 *                         complete JSON-RPC 2.0 response; without, they are the
 *                         error object or the result alone. JSON and text
 *                         ignore the id (it must still be valid).
 * @param needed  if not NULL, receives the size required, NUL included.
 * @return TG_OK; TG_EBUFS (buf holds a truncated, NUL-terminated prefix when
 *         len > 0); TG_EINVAL (NULL d, buf NULL with len > 0, bad format, bad
 *         request id); TG_ENOMEM (the elicitation id could not be computed).
 * Thread safety: as the decision.
 */
TG_API TG_WARN_UNUSED int tg_decision_encode(const tg_decision *d, tg_format format, const char *request_id_json,
                              char *buf, size_t len, size_t *needed);

/* ---- wrapping a dispatcher ------------------------------------------------ */

/* What a dispatch function returns when the upstream API rejected the
 * account's credentials (e.g. HTTP 401 from Gmail). Any other value is passed
 * back to the caller unchanged. */
#define TG_DISPATCH_CREDENTIALS_REJECTED (-401)

/* Runs the tool. @p args_json is the caller's, passed through unchanged. */
typedef int (*tg_dispatch_fn)(void *user_ctx, const char *tool, const char *identifier,
                              const char *args_json);

/**
 * Check, and run @p dispatch only on ALLOW. When dispatch returns
 * TG_DISPATCH_CREDENTIALS_REJECTED, the cached entry is dropped and the check
 * made again against the provider; @p d then holds that fresh decision (so a
 * token revoked between two checks becomes one NEEDS_AUTHORIZATION). The tool
 * is never dispatched twice by one call.
 * @param dispatch_rc  if not NULL, receives dispatch's return value; left
 *                     untouched when dispatch did not run.
 * @return as tg_gate_check(); TG_EINVAL also for a NULL dispatch.
 * Thread safety: as tg_gate_check().
 */
TG_API TG_WARN_UNUSED int tg_gate_invoke(tg_gate *gate, const char *tool, const char *identifier,
                                         const char *args_json, tg_dispatch_fn dispatch,
                                         void *user_ctx, tg_decision *d, int *dispatch_rc);

/* ---- webhook events ----------------------------------------------------- */

/**
 * Verify a Scalekit (Standard Webhooks) signature: HMAC-SHA256 over
 * "<webhook_id>.<webhook_timestamp>.<body>" keyed with the base64 part of
 * "whsec_<base64>", compared in constant time with every "v1,<base64>" entry
 * of the space-separated @p webhook_signature.
 * @param now_unix  the current time, Unix seconds; the timestamp must be
 *                  within 300 s of it.
 * @return TG_OK; TG_ESIGNATURE (no entry matches); TG_ETIMESTAMP (too old or
 *         too far ahead); TG_EINVAL (NULL, malformed secret, id, timestamp or
 *         signature header).
 * Thread safety: any thread.
 */
TG_API TG_WARN_UNUSED int tg_webhook_verify(const char *secret, const char *webhook_id,
                                            const char *webhook_timestamp,
                                            const char *webhook_signature, const char *body,
                                            size_t len, int64_t now_unix);

/* What tg_gate_apply_event() did with a well-formed event. */
typedef enum tg_event_result {
    TG_EVENT_APPLIED = 0,   /* the cache follows the event */
    TG_EVENT_STALE = 1,     /* older than what the cache knows for the account: ignored */
    TG_EVENT_DUPLICATE = 2, /* an event id seen before: ignored */
    TG_EVENT_IGNORED = 3    /* a type that does not change a status: ignored */
} tg_event_result;

/**
 * Apply a verified connected_account.* event to the cache: a status change
 * stores the new status at once, a deletion drops the entry.
 * Verify the signature first (tg_webhook_verify); this call trusts the body.
 * @return a tg_event_result (>= 0); TG_EINVAL for a malformed body (detail in
 *         tg_error_message()); TG_ENOMEM.
 * Thread safety: any thread, concurrently with checks.
 */
TG_API TG_WARN_UNUSED int tg_gate_apply_event(tg_gate *gate, const char *body, size_t len);

/**
 * A webhook delivery in one call: tg_webhook_verify(), then, only when the
 * signature holds, tg_gate_apply_event(). A delivery that fails verification
 * changes nothing.
 * @return a tg_event_result (>= 0); the errors of tg_webhook_verify()
 *         (TG_ESIGNATURE, TG_ETIMESTAMP, TG_EINVAL) or tg_gate_apply_event().
 * Thread safety: any thread, concurrently with checks.
 */
TG_API TG_WARN_UNUSED int tg_gate_apply_webhook(tg_gate *gate, const char *secret,
                                                const char *webhook_id,
                                                const char *webhook_timestamp,
                                                const char *webhook_signature, const char *body,
                                                size_t len, int64_t now_unix);

/**
 * Parse an event body and write its normalised form as one JSON object:
 * {"id","type","occurred_at" (as received),"connection","identifier",
 *  "status" (toolgate name; null unless the event carries a status change),
 *  "kind":"status"|"deleted"|"other"}; absent values are null.
 * @return TG_OK; TG_EBUFS; TG_EINVAL (malformed body, detail in
 *         tg_error_message()).
 * Thread safety: any thread.
 */
TG_API TG_WARN_UNUSED int tg_event_to_json(const char *body, size_t len, char *buf, size_t buflen,
                            size_t *needed);

/* ---- names and errors --------------------------------------------------- */

/* "ACTIVE", "PENDING", …; "UNKNOWN" for values outside the enum. Static text. */
TG_API const char *tg_status_name(tg_status s);

/**
 * Parse a status: toolgate names, the seed's words, Scalekit wire names and
 * wire numbers (docs/design.md §4), ASCII case-insensitive, surrounding spaces ignored.
 * @return TG_OK; TG_EINVAL (NULL or unrecognised text; *out untouched).
 */
TG_API TG_WARN_UNUSED int tg_status_parse(const char *text, tg_status *out);

/* "ALLOW", "NEEDS_AUTHORIZATION", "UNAVAILABLE", "DENY"; "UNKNOWN" otherwise. */
TG_API const char *tg_verdict_name(tg_verdict v);

/* Static text for every code, including unknown ones. Never NULL. */
TG_API const char *tg_strerror(int code);

/**
 * Detail of the last failure on the calling thread ("" when none). Borrowed:
 * valid until the next toolgate call on this thread. Never contains secrets.
 */
TG_API const char *tg_error_message(void);

/* The library's version string, e.g. "0.1.0". */
TG_API const char *tg_version(void);

#ifdef __cplusplus
}
#endif

#endif /* TOOLGATE_TOOLGATE_H */
