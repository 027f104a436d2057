'use strict';
// Gate: one libtoolgate gate in this process. Synchronous calls run on the
// calling (event-loop) thread; the *Async calls and wait() run the library on
// libuv's thread pool through koffi, so a provider round never blocks the
// event loop. checkAsync() answers cache hits at once, without leaving the
// loop (tg_gate_try_check), and sends only misses to the pool.

const { getNative } = require('./native');
const { readDecision, readStatus, rfc3339 } = require('./decision');
const { ToolgateError, InputError, errorFromCode, codeName } = require('./errors');

const TG_EWOULDBLOCK = -13;
const TG_ECANCELED = -12;
const TG_EPROVIDER = -4;
const TG_LINK_MAX = 2048;
const TG_WAIT_OPTIONS_VERSION = 1;
const EVENT_RESULTS = ['applied', 'stale', 'duplicate', 'ignored'];
const VERDICT_ALLOW = 'ALLOW';

// Internal entry point for the adapters (not part of the public API).
const kDecideAsync = Symbol('toolgate.decideAsync');

// Free the native gate of a Gate that was dropped without close().
const finalizer = new FinalizationRegistry(({ n, gate, decisions }) => {
  for (const d of decisions) n.decisionFree(d);
  n.gateFree(gate);
});

/** A caller's string for the library: a string, no NUL, well-formed UTF-16. */
function text(what, value, optional = false) {
  if (optional && (value === null || value === undefined)) return null;
  if (typeof value !== 'string') {
    throw new InputError('EINVAL', `${what} must be a string, not ${value === null ? 'null' : typeof value}`);
  }
  // A NUL would cut the C string short: a different identifier than asked.
  if (value.includes('\0')) throw new InputError('EINVAL', `${what} contains a NUL character`);
  // A lone surrogate would be sent as U+FFFD: a different identifier too.
  if (!value.isWellFormed()) {
    throw new InputError('EINVAL', `${what} is not well-formed UTF-16 (a lone surrogate)`);
  }
  return value;
}

function millis(what, value, fallback) {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InputError('EINVAL', `${what} must be a whole number of milliseconds >= 0`);
  }
  return value;
}

/** @p fn's promise; what it throws becomes a rejection (a Promise API never throws). */
function promised(fn) {
  try {
    return fn();
  } catch (err) {
    return Promise.reject(err);
  }
}

/** The error for a failed synchronous call: the detail is on this thread. */
function syncError(n, rc, op) {
  const detail = n.errorMessage();
  return errorFromCode(rc, `${op}: ${detail || n.strerror(rc)}`);
}

/**
 * The error for a failed call on the thread pool. The library keeps the
 * detail of a failure per thread, on the pool thread that ran it; only the
 * code crosses back. Input is validated on the loop thread first, so what
 * is left here are provider and configuration failures.
 */
function poolError(n, rc, op) {
  return errorFromCode(rc, `${op}: ${n.strerror(rc)} (${codeName(rc)})`);
}

class Gate {
  #n;
  #gate;
  #d; // the loop thread's decision, reused by every synchronous call
  #pool = []; // decisions free for calls on the thread pool
  #owned = []; // every decision allocated, freed with the gate
  #inflight = 0;
  #cancels = new Set(); // cancel flags of the waits in flight
  #closed = false;
  #token = {};

  constructor(n, gate) {
    this.#n = n;
    this.#gate = gate;
    this.#d = this.#newDecision();
    finalizer.register(this, { n, gate, decisions: this.#owned }, this.#token);
  }

  /** A gate from a JSON configuration file; relative paths are relative to it. */
  static fromFile(path) {
    const n = getNative();
    const p = text('path', path);
    const out = [null];
    const rc = n.gateNewFromFile(out, p);
    if (rc !== 0) throw syncError(n, rc, 'Gate.fromFile');
    return new Gate(n, out[0]);
  }

  /**
   * A gate from a JSON configuration given as text (or an object, written
   * as JSON); relative paths are relative to @p baseDir (default: the
   * current directory).
   */
  static fromJson(config, baseDir) {
    const n = getNative();
    const json = typeof config === 'string' ? config : JSON.stringify(config);
    const cfg = text('configuration', json);
    const base = text('baseDir', baseDir, true);
    const out = [null];
    const rc = n.gateNewFromJson(out, cfg, base);
    if (rc !== 0) throw syncError(n, rc, 'Gate.fromJson');
    return new Gate(n, out[0]);
  }

  #newDecision() {
    const d = this.#n.decisionNew();
    if (!d) throw new ToolgateError('ENOMEM', 'toolgate: out of memory allocating a decision');
    this.#owned.push(d);
    return d;
  }

  #live(op) {
    if (this.#closed) throw new ToolgateError('ECLOSED', `${op}: the gate is closed`);
    return this.#gate;
  }

  /**
   * Run native function @p fn with @p args on the thread pool, holding a
   * decision of its own, and settle with what @p done makes of the return
   * code and that decision (read on the loop thread).
   */
  #onPool(fn, args, done) {
    const d = this.#pool.pop() || this.#newDecision();
    this.#inflight++;
    return new Promise((resolve, reject) => {
      const finish = (err, rc) => {
        try {
          if (err) reject(new ToolgateError('ENOMEM', `toolgate: ${err.message}`, { cause: err }));
          else resolve(done(rc, d));
        } catch (e) {
          reject(e);
        } finally {
          this.#pool.push(d);
          this.#inflight--;
          if (this.#closed && this.#inflight === 0) this.#free();
        }
      };
      try {
        fn.async(...args(d), finish);
      } catch (err) {
        finish(err);
      }
    });
  }

  /**
   * Check whether @p tool may run for end user @p identifier: the decision
   * as a plain object. A cache miss asks the provider on this thread (use
   * checkAsync() on a server's event loop).
   */
  check(tool, identifier) {
    const n = this.#n;
    const g = this.#live('check');
    const t = text('tool', tool);
    const id = text('identifier', identifier);
    const rc = n.gateCheck(g, t, id, this.#d);
    if (rc !== 0) throw syncError(n, rc, 'check');
    return readDecision(n, this.#d, t, id);
  }

  /**
   * check() without blocking the event loop: a cache hit is answered at
   * once; a miss runs on the thread pool.
   */
  checkAsync(tool, identifier) {
    return promised(() => this.#checkAsync(tool, identifier, null));
  }

  #checkAsync(tool, identifier, encode) {
    const n = this.#n;
    const g = this.#live('checkAsync');
    const t = text('tool', tool);
    const id = text('identifier', identifier);
    const rc = n.gateTryCheck(g, t, id, this.#d);
    if (rc === 0) return Promise.resolve(this.#answer(this.#d, t, id, encode));
    if (rc !== TG_EWOULDBLOCK) return Promise.reject(syncError(n, rc, 'checkAsync'));
    return this.#onPool(
      n.gateCheck,
      (d) => [g, t, id, d],
      (code, d) => {
        if (code !== 0) throw poolError(n, code, 'checkAsync');
        return this.#answer(d, t, id, encode);
      },
    );
  }

  #answer(d, tool, identifier, encode) {
    const decision = readDecision(this.#n, d, tool, identifier);
    return encode ? encode(decision, (format) => this.#encode(d, format)) : decision;
  }

  /** @p d encoded in a format of the library ("mcp", "mcp-tool-result", …). */
  #encode(d, format) {
    const n = this.#n;
    const f = [0];
    if (n.formatParse(format, f) !== 0) throw new InputError('EINVAL', `unknown format "${format}"`);
    let buf = Buffer.alloc(4096);
    const needed = [0];
    let rc = n.encode(d, f[0], null, buf, buf.length, needed);
    if (rc === -6) {
      buf = Buffer.alloc(Number(needed[0]));
      rc = n.encode(d, f[0], null, buf, buf.length, needed);
    }
    if (rc !== 0) throw syncError(n, rc, 'encode');
    return buf.toString('utf8', 0, Number(needed[0]) - 1);
  }

  /**
   * For the adapters: checkAsync(), then @p encode(decision, encodeAs) on the
   * loop thread while the native decision is current, so a blocked decision
   * can be written in the library's own encodings.
   */
  [kDecideAsync](tool, identifier, encode) {
    return promised(() => this.#checkAsync(tool, identifier, encode));
  }

  /**
   * The status of (connection, identifier): "ACTIVE", "EXPIRED", …, or null
   * when the provider could not tell. A cache miss asks the provider.
   */
  status(connection, identifier) {
    const n = this.#n;
    const g = this.#live('status');
    const c = text('connection', connection);
    const id = text('identifier', identifier);
    const rc = n.gateCheckConnection(g, c, id, this.#d);
    if (rc !== 0) throw syncError(n, rc, 'status');
    return readStatus(this.#n, this.#d);
  }

  /** status() on the thread pool. */
  statusAsync(connection, identifier) {
    return promised(() => {
      const n = this.#n;
      const g = this.#live('statusAsync');
      const c = text('connection', connection);
      const id = text('identifier', identifier);
      this.#validateKey(g, c, id, 'statusAsync');
      return this.#onPool(
        n.gateCheckConnection,
        (d) => [g, c, id, d],
        (rc, d) => {
          if (rc !== 0) throw poolError(n, rc, 'statusAsync');
          return readStatus(n, d);
        },
      );
    });
  }

  #linkCall(op, g, c, id, run) {
    const n = this.#n;
    const buf = Buffer.alloc(TG_LINK_MAX + 1);
    const needed = [0];
    const expires = [0];
    const finish = (rc, fail) => {
      if (rc !== 0) throw fail(n, rc, op);
      const ms = Number(expires[0]);
      return {
        link: buf.toString('utf8', 0, Number(needed[0]) - 1),
        link_expires_at: ms > 0 ? rfc3339(ms) : null,
      };
    };
    return run([g, c, id, buf, buf.length, needed, expires], finish);
  }

  /**
   * An authorization link for (connection, identifier), whatever its status:
   * {link, link_expires_at}. The cached link while valid, else the provider's.
   */
  link(connection, identifier) {
    const g = this.#live('link');
    const c = text('connection', connection);
    const id = text('identifier', identifier);
    return this.#linkCall('link', g, c, id, (args, finish) =>
      finish(this.#n.gateLink(...args), syncError),
    );
  }

  /** link() on the thread pool. */
  linkAsync(connection, identifier) {
    return promised(() => {
      const n = this.#n;
      const g = this.#live('linkAsync');
      const c = text('connection', connection);
      const id = text('identifier', identifier);
      this.#validateKey(g, c, id, 'linkAsync');
      return this.#linkCall('linkAsync', g, c, id, (args, finish) =>
        this.#onPool(n.gateLink, () => args, (rc) => finish(rc, poolError)),
      );
    });
  }

  /**
   * Drop cached entries so the next check asks the provider: one account,
   * every account of a connection (no identifier), or everything (neither).
   */
  invalidate(connection, identifier) {
    const n = this.#n;
    const g = this.#live('invalidate');
    const c = text('connection', connection, true);
    const id = text('identifier', identifier, true);
    const rc = n.gateInvalidate(g, c, id);
    if (rc !== 0) throw syncError(n, rc, 'invalidate');
  }

  /**
   * Check (connection, identifier) on the loop thread without asking the
   * provider, so that bad input fails with the library's own message: a
   * wait whose cancel flag is already set validates its arguments and ends
   * at once with TG_ECANCELED.
   */
  #validateKey(g, c, id, op) {
    const n = this.#n;
    const flag = n.koffi.alloc('int', 1);
    try {
      n.koffi.encode(flag, 'int', 1);
      const opts = {
        version: TG_WAIT_OPTIONS_VERSION,
        timeout_ms: 0,
        poll_ms: 0,
        max_poll_ms: 0,
        cancel: flag,
        on_poll: null,
        ctx: null,
      };
      const rc = n.gateWait(g, c, id, opts, this.#d);
      if (rc !== TG_ECANCELED) throw syncError(n, rc, op);
    } finally {
      n.koffi.free(flag);
    }
  }

  /**
   * Wait until (connection, identifier) is ACTIVE, at most timeoutMs
   * (default 300000): resolves with the last decision (status ACTIVE, or
   * the last one known at the timeout). The first look asks the provider;
   * later ones follow with backoff (pollMs, then 1.5 times longer up to
   * maxPollMs); applyWebhook() or invalidate() on this gate wakes it at
   * once. Rejects with a ProviderError (its decision attached) when the
   * provider never answered, and with code ECANCELED when @p signal aborts
   * or the gate is closed.
   */
  wait(connection, identifier, options = {}) {
    return promised(() => this.#wait(connection, identifier, options));
  }

  #wait(connection, identifier, { timeoutMs, pollMs, maxPollMs, signal } = {}) {
    const n = this.#n;
    const g = this.#live('wait');
    const c = text('connection', connection);
    const id = text('identifier', identifier);
    const opts = {
      version: TG_WAIT_OPTIONS_VERSION,
      timeout_ms: millis('timeoutMs', timeoutMs, 300000),
      poll_ms: millis('pollMs', pollMs, 0),
      max_poll_ms: millis('maxPollMs', maxPollMs, 0),
      cancel: null,
      on_poll: null,
      ctx: null,
    };
    this.#validateKey(g, c, id, 'wait');
    if (signal?.aborted) return Promise.reject(this.#aborted(c, signal));
    const flag = n.koffi.alloc('int', 1);
    n.koffi.encode(flag, 'int', 0);
    opts.cancel = flag;
    const cancel = () => n.koffi.encode(flag, 'int', 1);
    this.#cancels.add(cancel);
    signal?.addEventListener('abort', cancel, { once: true });
    return this.#onPool(
      n.gateWait,
      (d) => [g, c, id, opts, d],
      (rc, d) => {
        signal?.removeEventListener('abort', cancel);
        this.#cancels.delete(cancel);
        n.koffi.free(flag);
        if (rc === 0) return readDecision(n, d, null, id);
        if (rc === TG_ECANCELED) {
          if (signal?.aborted) throw this.#aborted(c, signal);
          throw new ToolgateError('ECANCELED', `wait for the ${c} account: the gate was closed`);
        }
        if (rc === TG_EPROVIDER) {
          const decision = readDecision(n, d, null, id);
          throw errorFromCode(rc, `wait: the provider never answered: ${decision.reason}`, {
            decision,
          });
        }
        throw poolError(n, rc, 'wait');
      },
    );
  }

  #aborted(connection, signal) {
    return new ToolgateError('ECANCELED', `wait for the ${connection} account: aborted`, {
      cause: signal.reason,
    });
  }

  /**
   * Verify a webhook delivery (Standard Webhooks: HMAC-SHA256 of
   * "id.timestamp.body" with the "whsec_…" secret, timestamp within 300 s
   * of @p now, Unix seconds, default the current time) and apply its event.
   * @p body is the raw request body: a Buffer, Uint8Array or string.
   * Returns "applied", "stale", "duplicate" or "ignored"; throws a
   * SignatureError when the signature or timestamp does not hold (nothing
   * is applied), an InputError for malformed headers or a malformed event.
   */
  applyWebhook({ secret, id, timestamp, signature, body, now } = {}) {
    const n = this.#n;
    const g = this.#live('applyWebhook');
    let bytes;
    if (typeof body === 'string') bytes = Buffer.from(text('body', body));
    else if (body instanceof Uint8Array) bytes = body;
    else throw new InputError('EINVAL', 'body must be a Buffer, a Uint8Array or a string');
    const when = now === undefined ? Math.floor(Date.now() / 1000) : now;
    if (!Number.isSafeInteger(when)) {
      throw new InputError('EINVAL', 'now must be a whole number of Unix seconds');
    }
    const rc = n.gateApplyWebhook(
      g,
      text('secret', secret),
      text('id', id),
      text('timestamp', String(timestamp ?? '')),
      text('signature', signature),
      bytes,
      bytes.length,
      when,
    );
    if (rc < 0) throw syncError(n, rc, 'applyWebhook');
    return EVENT_RESULTS[rc];
  }

  /**
   * Free the gate. Calls in flight on the thread pool finish first (waits
   * are cancelled); every later call throws code ECLOSED. Idempotent.
   */
  close() {
    if (this.#closed) return;
    this.#closed = true;
    for (const cancel of this.#cancels) cancel();
    if (this.#inflight === 0) this.#free();
  }

  #free() {
    finalizer.unregister(this.#token);
    for (const d of this.#owned) this.#n.decisionFree(d);
    this.#owned.length = 0;
    this.#pool.length = 0;
    this.#n.gateFree(this.#gate);
    this.#gate = null;
  }

  /** True once close() was called. */
  get closed() {
    return this.#closed;
  }
}

// `using gate = Gate.fromFile(…)` where the runtime has explicit resource management.
if (typeof Symbol.dispose === 'symbol') {
  Gate.prototype[Symbol.dispose] = function dispose() {
    this.close();
  };
}

module.exports = { Gate, kDecideAsync, VERDICT_ALLOW };
