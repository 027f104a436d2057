'use strict';
// libtoolgate through koffi: finding the library and declaring the functions
// the binding calls. Loaded on first use, so importing the package never
// fails on a machine without the library.

const { ToolgateError } = require('./errors');

// The shared library's names, most specific first (the soname, then the
// development link); the dynamic loader searches its usual paths.
const SYSTEM_NAMES = {
  linux: ['libtoolgate.so.0', 'libtoolgate.so'],
  darwin: ['libtoolgate.0.dylib', 'libtoolgate.dylib'],
};

let native = null;

// The library keeps per-thread state whose destructors run when a thread
// ends (libuv's pool threads included, at exit). koffi unloads a library when
// the process tears down, before those threads end; pinning it with
// RTLD_NODELETE keeps its code mapped for as long as the process lives.
const PIN = {
  linux: { libc: ['libc.so.6', 'libc.so'], mode: 0x1002 }, // RTLD_NOW | RTLD_NODELETE
  darwin: { libc: ['libSystem.B.dylib'], mode: 0x82 },
};

function pinLibrary(koffi, name) {
  const how = PIN[process.platform];
  if (!how) return;
  for (const libcName of how.libc) {
    let libc;
    try {
      libc = koffi.load(libcName);
    } catch {
      continue;
    }
    const dlopen = libc.func('void *dlopen(const char *path, int mode)');
    if (!dlopen(name, how.mode)) {
      throw new ToolgateError('ELIBRARY', `toolgate: cannot pin ${name} in memory`);
    }
    return;
  }
}

function loadLibrary(koffi) {
  const explicit = process.env.TOOLGATE_LIBRARY;
  const names = explicit ? [explicit] : SYSTEM_NAMES[process.platform] || ['libtoolgate.so'];
  const failures = [];
  for (const name of names) {
    try {
      const lib = koffi.load(name);
      pinLibrary(koffi, name);
      return lib;
    } catch (err) {
      failures.push(`${name}: ${err.message}`);
    }
  }
  const where = explicit ? 'TOOLGATE_LIBRARY' : 'the system library path';
  throw new ToolgateError(
    'ELIBRARY',
    `toolgate: cannot load libtoolgate from ${where} (${failures.join('; ')}); ` +
      'install it or set TOOLGATE_LIBRARY to the path of libtoolgate.so',
  );
}

function declare(koffi, lib) {
  koffi.opaque('tg_gate');
  koffi.opaque('tg_decision');
  const waitOptions = koffi.struct('tg_wait_options', {
    version: 'uint32_t',
    timeout_ms: 'int64_t',
    poll_ms: 'int64_t',
    max_poll_ms: 'int64_t',
    cancel: 'void *',
    on_poll: 'void *',
    ctx: 'void *',
  });
  const f = (proto) => lib.func(proto);
  const n = {
    koffi,
    waitOptions,
    gateNewFromFile: f('int tg_gate_new_from_file(_Out_ tg_gate **out, const char *path)'),
    gateNewFromJson: f(
      'int tg_gate_new_from_json(_Out_ tg_gate **out, const char *json, const char *base_dir)',
    ),
    gateFree: f('void tg_gate_free(tg_gate *gate)'),
    gateCheck: f('int tg_gate_check(tg_gate *g, const char *tool, const char *id, tg_decision *d)'),
    gateTryCheck: f(
      'int tg_gate_try_check(tg_gate *g, const char *tool, const char *id, tg_decision *d)',
    ),
    gateCheckConnection: f(
      'int tg_gate_check_connection(tg_gate *g, const char *conn, const char *id, tg_decision *d)',
    ),
    gateLink: f(
      'int tg_gate_link(tg_gate *g, const char *conn, const char *id, _Out_ uint8_t *buf, ' +
        'size_t len, _Out_ size_t *needed, _Out_ int64_t *expires_at_ms)',
    ),
    gateInvalidate: f('int tg_gate_invalidate(tg_gate *g, const char *conn, const char *id)'),
    gateWait: f(
      'int tg_gate_wait(tg_gate *g, const char *conn, const char *id, ' +
        'const tg_wait_options *opts, tg_decision *d)',
    ),
    gateApplyWebhook: f(
      'int tg_gate_apply_webhook(tg_gate *g, const char *secret, const char *id, ' +
        'const char *timestamp, const char *signature, const uint8_t *body, size_t len, ' +
        'int64_t now_unix)',
    ),
    decisionNew: f('tg_decision *tg_decision_new(void)'),
    decisionFree: f('void tg_decision_free(tg_decision *d)'),
    verdict: f('int tg_decision_verdict(const tg_decision *d)'),
    status: f('int tg_decision_status(const tg_decision *d)'),
    hasStatus: f('int tg_decision_has_status(const tg_decision *d)'),
    connection: f('const char *tg_decision_connection(const tg_decision *d)'),
    link: f('const char *tg_decision_link(const tg_decision *d)'),
    linkExpiresAt: f('int64_t tg_decision_link_expires_at(const tg_decision *d)'),
    reason: f('const char *tg_decision_reason(const tg_decision *d)'),
    source: f('int tg_decision_source(const tg_decision *d)'),
    stale: f('int tg_decision_stale(const tg_decision *d)'),
    encode: f(
      'int tg_decision_encode(const tg_decision *d, int format, const char *request_id, ' +
        '_Out_ uint8_t *buf, size_t len, _Out_ size_t *needed)',
    ),
    formatParse: f('int tg_format_parse(const char *name, _Out_ int *out)'),
    statusName: f('const char *tg_status_name(int s)'),
    verdictName: f('const char *tg_verdict_name(int v)'),
    strerror: f('const char *tg_strerror(int code)'),
    errorMessage: f('const char *tg_error_message(void)'),
    version: f('const char *tg_version(void)'),
  };
  // Names are static text of the library: read once.
  n.verdictNames = [0, 1, 2, 3].map((v) => n.verdictName(v));
  n.statusNames = [0, 1, 2, 3, 4, 5, 6].map((s) => n.statusName(s));
  return n;
}

/** The library's functions, loading it on first use. */
function getNative() {
  if (native) return native;
  const koffi = require('koffi');
  const lib = loadLibrary(koffi);
  const n = declare(koffi, lib);
  const major = Number(String(n.version()).split('.')[0]);
  if (major !== 0) {
    throw new ToolgateError(
      'ELIBRARY',
      `toolgate: libtoolgate ${n.version()} is not compatible with this binding (needs 0.x)`,
    );
  }
  native = n;
  return native;
}

module.exports = { getNative };
