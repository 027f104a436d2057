'use strict';
// A native decision read into the plain object of the library's JSON encoding:
// exactly the keys verdict, tool, connection, identifier, status, link,
// link_expires_at, reason, source, stale, absent values null.

const VERDICT_ALLOW = 0;
const VERDICT_NEEDS_AUTHORIZATION = 1;
const STATUS_UNKNOWN = 0;
const SOURCE_NAMES = [null, 'cache', 'provider', 'shared'];

function pad(n, width) {
  return String(n).padStart(width, '0');
}

/** Unix milliseconds as RFC 3339 UTC to the second, as the library prints it. */
function rfc3339(ms) {
  const t = new Date(Math.floor(ms / 1000) * 1000);
  return (
    `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1, 2)}-${pad(t.getUTCDate(), 2)}` +
    `T${pad(t.getUTCHours(), 2)}:${pad(t.getUTCMinutes(), 2)}:${pad(t.getUTCSeconds(), 2)}Z`
  );
}

/** The status of @p d: its name, or null when it has none. */
function readStatus(n, d) {
  const status = n.status(d);
  // UNKNOWN is also what a decision without a status reports.
  if (status === STATUS_UNKNOWN && !n.hasStatus(d)) return null;
  return n.statusNames[status];
}

/**
 * Read native decision @p d. The tool and identifier are the caller's own
 * strings (the decision holds equal copies), so they are not read back. Each
 * getter is a call into the library: read only what the verdict can hold.
 */
function readDecision(n, d, tool, identifier) {
  const verdict = n.verdict(d);
  let link = null;
  let expires = null;
  if (verdict === VERDICT_NEEDS_AUTHORIZATION) {
    link = n.link(d);
    const ms = Number(n.linkExpiresAt(d));
    if (link !== null && ms > 0) expires = rfc3339(ms);
  }
  return {
    verdict: n.verdictNames[verdict],
    tool,
    connection: n.connection(d),
    identifier,
    status: readStatus(n, d),
    link,
    link_expires_at: expires,
    reason: n.reason(d),
    source: SOURCE_NAMES[n.source(d)] ?? null,
    stale: verdict === VERDICT_ALLOW && n.stale(d) !== 0, // only an ALLOW is ever stale
  };
}

module.exports = { readDecision, readStatus, rfc3339 };
