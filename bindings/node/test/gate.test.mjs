// The Gate against the file provider: decisions, errors, status, link,
// invalidate, webhooks and closing.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Gate, ToolgateError, InputError, ConfigError, SignatureError } from 'toolgate';
import { kDecideAsync } from '../lib/gate.js';
import { accountsDir, gmailGate, LINK_BASE } from './helpers/env.mjs';
import { SECRET, sign, statusEvent } from './helpers/webhook.mjs';

const KEYS = ['verdict', 'tool', 'connection', 'identifier', 'status', 'link', 'link_expires_at', 'reason', 'source', 'stale'];

/** The library's own JSON encoding of the decision a check gives. */
function libraryJson(gate, tool, identifier) {
  return gate[kDecideAsync](tool, identifier, (decision, encodeAs) => ({
    decision,
    json: JSON.parse(encodeAs('json')),
  }));
}

describe('check', () => {
  let g;
  before(() => {
    g = gmailGate({ tools: { prefixes: { gmail_: 'gmail' }, unmapped: 'deny' } });
  });
  after(() => g.close());

  test('an ACTIVE account is ALLOW, from the provider then from the cache', () => {
    const first = g.gate.check('gmail_send_email', 'user_123');
    assert.deepEqual(Object.keys(first), KEYS);
    assert.deepEqual(first, {
      verdict: 'ALLOW',
      tool: 'gmail_send_email',
      connection: 'gmail',
      identifier: 'user_123',
      status: 'ACTIVE',
      link: null,
      link_expires_at: null,
      reason: 'gmail account of user_123 is ACTIVE',
      source: 'provider',
      stale: false,
    });
    assert.equal(g.gate.check('gmail_send_email', 'user_123').source, 'cache');
  });

  test('an EXPIRED account is NEEDS_AUTHORIZATION with its link', () => {
    const d = g.gate.check('gmail_read', 'user_456');
    assert.equal(d.verdict, 'NEEDS_AUTHORIZATION');
    assert.equal(d.status, 'EXPIRED');
    assert.equal(d.link, g.expiredLink);
    assert.match(d.link_expires_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match(d.reason, /EXPIRED/);
  });

  test('an unmapped tool follows tools.unmapped (deny)', () => {
    const d = g.gate.check('calendar_list', 'user_123');
    assert.equal(d.verdict, 'DENY');
    assert.equal(d.connection, null);
    assert.equal(d.status, null);
    assert.equal(d.source, null);
  });

  test('every verdict equals the library JSON encoding, key for key', async () => {
    for (const [tool, id] of [
      ['gmail_send_email', 'user_123'],
      ['gmail_send_email', 'user_456'],
      ['calendar_list', 'user_123'],
      ['gmail_send_email', 'user_789'], // not listed: created, PENDING
      ['gmail_send_email', 'Zoë "quoted" \\ ☃ 𝄞'],
    ]) {
      const { decision, json } = await libraryJson(g.gate, tool, id);
      assert.deepEqual(decision, json, `${tool} ${id}`);
      assert.deepEqual(g.gate.check(tool, id), { ...json, source: json.source === null ? null : 'cache' });
    }
  });

  test('bad input is an InputError with code EINVAL naming what was wrong', () => {
    const cases = [
      [() => g.gate.check('gmail send', 'user_123'), /tool/],
      [() => g.gate.check('gmail_send_email', ''), /identifier/],
      [() => g.gate.check('gmail_send_email', 'user\u0001'), /identifier/],
      [() => g.gate.check('gmail_send_email', 'x'.repeat(513)), /identifier/],
      [() => g.gate.check('gmail_send_email', 'user_123\0admin'), /NUL/],
      [() => g.gate.check('gmail_send_email', 'user_\ud800'), /surrogate/],
      [() => g.gate.check('gmail_send_email', 123), /identifier must be a string/],
      [() => g.gate.check(undefined, 'user_123'), /tool must be a string/],
      [() => g.gate.status('gmail!', 'user_123'), /connection/],
    ];
    for (const [fn, message] of cases) {
      assert.throws(fn, (err) => {
        assert.ok(err instanceof InputError && err instanceof ToolgateError);
        assert.equal(err.code, 'EINVAL');
        assert.match(err.message, message);
        return true;
      });
    }
  });
});

describe('configuration', () => {
  test('an unknown key is a ConfigError naming the key', () => {
    assert.throws(
      () => Gate.fromJson({ provider: { type: 'file', path: 'a.json' }, cache: { ttl: 5 } }),
      (err) => err instanceof ConfigError && err.code === 'ECONFIG' && /ttl/.test(err.message),
    );
  });

  test('a missing configuration file is a ConfigError with code EIO', () => {
    assert.throws(
      () => Gate.fromFile('/nonexistent/toolgate.json'),
      (err) => err instanceof ConfigError && err.code === 'EIO' && /nonexistent/.test(err.message),
    );
  });

  test('fromJson resolves relative paths against baseDir', () => {
    const env = accountsDir([{ connection: 'gmail', identifier: 'ann', status: 'ACTIVE' }]);
    try {
      const gate = Gate.fromJson(JSON.stringify({ provider: { type: 'file', path: 'accounts.json' } }), env.dir);
      assert.equal(gate.status('gmail', 'ann'), 'ACTIVE');
      gate.close();
    } finally {
      env.remove();
    }
  });
});

describe('status, link and invalidate', () => {
  let env, gate;
  before(() => {
    env = accountsDir([{ connection: 'gmail', identifier: 'ann', status: 'EXPIRED' }], {
      cache: { active_ttl_ms: 600000, inactive_ttl_ms: 600000 },
    });
    gate = Gate.fromFile(env.config);
  });
  after(() => {
    gate.close();
    env.remove();
  });

  test('status and link of an account', () => {
    assert.equal(gate.status('gmail', 'ann'), 'EXPIRED');
    const link = gate.link('gmail', 'ann');
    assert.deepEqual(Object.keys(link), ['link', 'link_expires_at']);
    assert.equal(link.link, `${LINK_BASE}?connection=gmail&identifier=ann`);
    assert.match(link.link_expires_at, /Z$/);
  });

  test('the async forms give the same answers', async () => {
    assert.equal(await gate.statusAsync('gmail', 'ann'), 'EXPIRED');
    assert.deepEqual(await gate.linkAsync('gmail', 'ann'), gate.link('gmail', 'ann'));
    await assert.rejects(gate.statusAsync('gmail', 'a\u0000'), InputError);
    await assert.rejects(gate.linkAsync('bad name!', 'ann'), (e) => e.code === 'EINVAL' && /connection/.test(e.message));
  });

  test('invalidate makes the next check read the provider again', () => {
    writeFileSync(
      join(env.dir, 'accounts.json'),
      JSON.stringify({ link_base: LINK_BASE, accounts: [{ connection: 'gmail', identifier: 'ann', status: 'ACTIVE' }] }),
    );
    assert.equal(gate.status('gmail', 'ann'), 'EXPIRED', 'cached for 10 minutes');
    gate.invalidate('gmail', 'ann');
    assert.equal(gate.status('gmail', 'ann'), 'ACTIVE');
    gate.invalidate('gmail');
    gate.invalidate();
    assert.throws(() => gate.invalidate(undefined, 'ann'), InputError);
  });
});

describe('applyWebhook', () => {
  let g;
  before(() => {
    g = gmailGate({ cache: { active_ttl_ms: 600000, inactive_ttl_ms: 600000 } });
  });
  after(() => g.close());

  test('a signed status change is applied at once; its replay is a duplicate', () => {
    assert.equal(g.gate.check('gmail_send_email', 'user_456').verdict, 'NEEDS_AUTHORIZATION');
    const delivery = statusEvent('gmail', 'user_456', 'ACTIVE');
    assert.equal(g.gate.applyWebhook(delivery), 'applied');
    const d = g.gate.check('gmail_send_email', 'user_456');
    assert.equal(d.verdict, 'ALLOW');
    assert.equal(d.source, 'cache');
    assert.equal(g.gate.applyWebhook({ ...delivery, body: Buffer.from(delivery.body) }), 'duplicate');
  });

  test('a wrong signature or an old timestamp is a SignatureError and changes nothing', () => {
    const revoke = statusEvent('gmail', 'user_123', 'DISCONNECTED');
    assert.equal(g.gate.check('gmail_send_email', 'user_123').verdict, 'ALLOW');
    const forged = { ...revoke, signature: sign(`whsec_${Buffer.from('another key').toString('base64')}`, revoke.id, revoke.timestamp, revoke.body) };
    assert.throws(() => g.gate.applyWebhook(forged), (e) => e instanceof SignatureError && e.code === 'ESIGNATURE');
    assert.throws(
      () => g.gate.applyWebhook({ ...revoke, now: Number(revoke.timestamp) + 3600 }),
      (e) => e instanceof SignatureError && e.code === 'ETIMESTAMP',
    );
    assert.throws(() => g.gate.applyWebhook({ ...revoke, body: `${revoke.body} ` }), SignatureError);
    assert.equal(g.gate.check('gmail_send_email', 'user_123').verdict, 'ALLOW');
    assert.equal(g.gate.applyWebhook({ ...revoke, body: new Uint8Array(Buffer.from(revoke.body)) }), 'applied');
    assert.equal(g.gate.check('gmail_send_email', 'user_123').status, 'REVOKED');
  });

  test('malformed headers and bodies are InputErrors', () => {
    const ok = statusEvent('gmail', 'user_123', 'ACTIVE');
    assert.throws(() => g.gate.applyWebhook({ ...ok, signature: 'not a signature' }), InputError);
    assert.throws(() => g.gate.applyWebhook({ ...ok, secret: 'no prefix' }), InputError);
    assert.throws(() => g.gate.applyWebhook({ ...ok, body: 42 }), /body must be/);
    const junk = '{"id":"x"';
    const ts = ok.timestamp;
    assert.throws(
      () => g.gate.applyWebhook({ secret: SECRET, id: 'msg_1', timestamp: ts, signature: sign(SECRET, 'msg_1', ts, junk), body: junk }),
      (e) => e instanceof InputError && e.code === 'EINVAL',
    );
  });
});

describe('closing', () => {
  test('close is idempotent and later calls throw ECLOSED', async () => {
    const g = gmailGate();
    g.gate.check('gmail_send_email', 'user_123');
    g.close();
    g.close();
    assert.equal(g.gate.closed, true);
    assert.throws(() => g.gate.check('gmail_send_email', 'user_123'), (e) => e instanceof ToolgateError && e.code === 'ECLOSED');
    await assert.rejects(g.gate.checkAsync('gmail_send_email', 'user_123'), (e) => e.code === 'ECLOSED');
    await assert.rejects(g.gate.wait('gmail', 'user_123'), (e) => e.code === 'ECLOSED');
  });

  test('a gate closed while a wait runs frees itself once the wait ends', async () => {
    const g = gmailGate();
    const waiting = g.gate.wait('gmail', 'user_456', { timeoutMs: 60000, pollMs: 60000 });
    g.close();
    await assert.rejects(waiting, (e) => e.code === 'ECANCELED' && /closed/.test(e.message));
  });
});
