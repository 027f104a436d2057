// checkAsync, wait and the *Async calls against scalekit-dev over loopback:
// the event loop keeps running during a provider miss, hits never leave it,
// single flight and link reuse hold across the thread pool, a webhook wakes a
// wait at once, and provider failures come back as errors with codes.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, beforeEach, describe, test } from 'node:test';

import { ConfigError, ProviderError, InputError } from 'toolgate';
import { startDevServer } from './helpers/dev_server.mjs';
import { statusEvent } from './helpers/webhook.mjs';

const DETAILS = 'GET /api/v1/connected_accounts/details';
const MAGIC_LINK = 'POST /api/v1/connected_accounts/magic_link';

let dev;
before(async () => {
  dev = await startDevServer();
});
after(async () => {
  await dev.stop();
});
beforeEach(async () => {
  await dev.reset();
});

describe('checkAsync', () => {
  test('timers keep firing while a provider miss is in flight', async () => {
    await dev.setAccount('gmail', 'slow_user', 'ACTIVE');
    const gate = dev.gate();
    try {
      // Warm the access token, so the miss below is one slow request.
      await gate.checkAsync('gmail_send_email', 'warm_user');
      await dev.fault({ latency_ms: 1500, routes: '/api/v1/connected_accounts/details' });
      let ticks = 0;
      const timer = setInterval(() => ticks++, 20);
      const started = Date.now();
      const d = await gate.checkAsync('gmail_send_email', 'slow_user');
      clearInterval(timer);
      assert.ok(Date.now() - started >= 1400, 'the injected latency was served');
      assert.equal(d.verdict, 'ALLOW');
      assert.equal(d.source, 'provider');
      // 1.5 s at one tick per 20 ms is 75 ticks on an idle loop; a loop
      // blocked by the miss would see at most one. 10 leaves room for a
      // heavily loaded machine.
      assert.ok(ticks >= 10, `the interval fired ${ticks} times during the miss`);
    } finally {
      gate.close();
    }
  });

  test('a cache hit is answered without leaving the event loop; a miss is not', async () => {
    await dev.setAccount('gmail', 'hit_user', 'ACTIVE');
    const gate = dev.gate();
    try {
      let missDone = false;
      const miss = gate.checkAsync('gmail_send_email', 'hit_user').then(() => (missDone = true));
      await Promise.resolve();
      await Promise.resolve();
      assert.equal(missDone, false, 'a miss settles only after the thread pool answers');
      await miss;
      let hitDone = false;
      const hit = gate.checkAsync('gmail_send_email', 'hit_user').then((d) => {
        hitDone = true;
        return d;
      });
      await Promise.resolve();
      await Promise.resolve();
      assert.equal(hitDone, true, 'a hit settles within the same turn of the loop');
      assert.equal((await hit).source, 'cache');
    } finally {
      gate.close();
    }
  });

  test('64 concurrent misses on one account send one status request', async () => {
    await dev.setAccount('gmail', 'crowd_user', 'ACTIVE');
    const gate = dev.gate();
    try {
      await gate.checkAsync('gmail_send_email', 'warm_user');
      await dev.reset();
      await dev.fault({ latency_ms: 300, routes: '/api/v1/connected_accounts/details' });
      const all = await Promise.all(Array.from({ length: 64 }, () => gate.checkAsync('gmail_send_email', 'crowd_user')));
      assert.ok(all.every((d) => d.verdict === 'ALLOW'));
      assert.equal(await dev.route(DETAILS), 1);
      assert.equal(await dev.requestsFor('gmail', 'crowd_user'), 1);
    } finally {
      gate.close();
    }
  });

  test('a blocked account reuses its link: one magic_link request for many checks', async () => {
    await dev.setAccount('gmail', 'expired_user', 'EXPIRED');
    const gate = dev.gate({ config: { cache: { inactive_ttl_ms: 0 } } });
    try {
      const links = new Set();
      for (let i = 0; i < 5; i++) {
        const d = await gate.checkAsync('gmail_send_email', 'expired_user');
        assert.equal(d.verdict, 'NEEDS_AUTHORIZATION');
        assert.equal(d.source, 'provider', 'inactive_ttl_ms 0: every check asks for the status');
        links.add(d.link);
      }
      assert.equal(links.size, 1);
      assert.equal(await dev.route(DETAILS), 5);
      assert.equal(await dev.route(MAGIC_LINK), 1);
    } finally {
      gate.close();
    }
  });

  test('bad input is rejected with the library message, before the thread pool', async () => {
    const gate = dev.gate();
    try {
      await assert.rejects(gate.checkAsync('gmail_send_email', 'x'.repeat(600)), (e) => e instanceof InputError && /identifier/.test(e.message));
      await assert.rejects(gate.checkAsync('gmail send', 'ann'), (e) => e instanceof InputError && /tool/.test(e.message));
      assert.equal((await dev.stats()).requests, 0);
    } finally {
      gate.close();
    }
  });

  test('credentials the provider refuses are a ConfigError, sync and async', async () => {
    const gate = dev.gate({ provider: { client_secret: 'wrong_secret' } });
    try {
      assert.throws(
        () => gate.check('gmail_send_email', 'ann'),
        (e) => e instanceof ConfigError && e.code === 'ECONFIG' && !e.message.includes('wrong_secret'),
      );
      await assert.rejects(gate.checkAsync('gmail_send_email', 'bob'), (e) => e instanceof ConfigError && e.code === 'ECONFIG');
    } finally {
      gate.close();
    }
  });

  test('a provider failure is UNAVAILABLE (policy closed), and link() throws a ProviderError', async () => {
    const gate = dev.gate({ provider: { timeout_ms: 2000 } });
    try {
      await dev.fault({ status: 500, count: 20 });
      const d = await gate.checkAsync('gmail_send_email', 'down_user');
      assert.equal(d.verdict, 'UNAVAILABLE');
      assert.equal(d.status, null);
      await assert.rejects(gate.linkAsync('gmail', 'down_user'), (e) => e instanceof ProviderError && e.code === 'EPROVIDER');
      assert.throws(() => gate.link('gmail', 'down_user'), (e) => e instanceof ProviderError && /500|provider/.test(e.message));
    } finally {
      gate.close();
    }
  });
});

describe('wait', () => {
  test('a webhook applied to the gate ends the wait at once, without polling', async () => {
    await dev.setAccount('gmail', 'wait_user', 'EXPIRED');
    const gate = dev.gate();
    try {
      const started = Date.now();
      const waiting = gate.wait('gmail', 'wait_user', { timeoutMs: 60000, pollMs: 30000 });
      // The first look asks the provider; wait for it before the event.
      for (let i = 0; i < 500 && (await dev.route(DETAILS)) < 1; i++) await sleep(10);
      assert.equal(gate.applyWebhook(statusEvent('gmail', 'wait_user', 'ACTIVE')), 'applied');
      const d = await waiting;
      assert.equal(d.status, 'ACTIVE');
      assert.equal(d.verdict, 'ALLOW');
      assert.equal(d.tool, null);
      assert.ok(Date.now() - started < 20000, 'woken long before the next poll');
      assert.equal(await dev.route(DETAILS), 1, 'one look: the event ended the wait');
    } finally {
      gate.close();
    }
  });

  test('the account authorized at the provider is seen by polling', async () => {
    await dev.setAccount('gmail', 'poll_user', 'PENDING_AUTH');
    const gate = dev.gate();
    try {
      const waiting = gate.wait('gmail', 'poll_user', { timeoutMs: 30000, pollMs: 50, maxPollMs: 100 });
      for (let i = 0; i < 500 && (await dev.route(DETAILS)) < 1; i++) await sleep(10);
      await dev.setAccount('gmail', 'poll_user', 'ACTIVE');
      assert.equal((await waiting).status, 'ACTIVE');
    } finally {
      gate.close();
    }
  });

  test('at the timeout it resolves with the last status known, and its link', async () => {
    await dev.setAccount('gmail', 'late_user', 'EXPIRED');
    const gate = dev.gate();
    try {
      const d = await gate.wait('gmail', 'late_user', { timeoutMs: 300, pollMs: 100 });
      assert.equal(d.status, 'EXPIRED');
      assert.equal(d.verdict, 'NEEDS_AUTHORIZATION');
      assert.match(d.link, /^http:\/\/127\.0\.0\.1:\d+\/magic\//);
    } finally {
      gate.close();
    }
  });

  test('a provider that never answers is a ProviderError carrying the UNAVAILABLE decision', async () => {
    const gate = dev.gate({ provider: { timeout_ms: 1000 } });
    try {
      await dev.fault({ status: 503, count: 100 });
      await assert.rejects(gate.wait('gmail', 'gone_user', { timeoutMs: 300, pollMs: 100 }), (e) => {
        assert.ok(e instanceof ProviderError);
        assert.equal(e.code, 'EPROVIDER');
        assert.equal(e.decision.verdict, 'UNAVAILABLE');
        assert.match(e.message, /never answered/);
        return true;
      });
    } finally {
      gate.close();
    }
  });

  test('an AbortSignal cancels a wait; one already aborted asks the provider nothing', async () => {
    await dev.setAccount('gmail', 'abort_user', 'EXPIRED');
    const gate = dev.gate();
    try {
      await assert.rejects(gate.wait('gmail', 'abort_user', { signal: AbortSignal.abort() }), (e) => e.code === 'ECANCELED');
      assert.equal((await dev.stats()).requests, 0);
      const controller = new AbortController();
      const waiting = gate.wait('gmail', 'abort_user', { timeoutMs: 60000, pollMs: 30000, signal: controller.signal });
      setTimeout(() => controller.abort(new Error('user left')), 100);
      await assert.rejects(waiting, (e) => e.code === 'ECANCELED' && e.cause?.message === 'user left');
    } finally {
      gate.close();
    }
  });

  test('bad options and input are rejected before anything runs', async () => {
    const gate = dev.gate();
    try {
      await assert.rejects(gate.wait('gmail', 'ann', { timeoutMs: -1 }), InputError);
      await assert.rejects(gate.wait('gmail', 'ann', { timeoutMs: 1.5 }), InputError);
      await assert.rejects(gate.wait('gmail/x', 'ann'), (e) => e instanceof InputError && /connection/.test(e.message));
      assert.equal((await dev.stats()).requests, 0);
    } finally {
      gate.close();
    }
  });
});
