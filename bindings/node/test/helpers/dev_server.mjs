// scalekit-dev (the Scalekit-compatible dev server) as a child process on a
// free loopback port, its admin API, and a gate whose scalekit provider
// talks to it. Always stopped: by stop(), or with this process.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

import { Gate } from 'toolgate';

const READY = 'scalekit-dev listening on ';
const running = new Set();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export const CLIENT_ID = 'dev_client';
export const CLIENT_SECRET = 'dev_secret';

export async function startDevServer() {
  const exe = process.env.TOOLGATE_SCALEKIT_DEV;
  assert.ok(exe, 'set TOOLGATE_SCALEKIT_DEV to the scalekit-dev binary');
  const child = spawn(exe, ['--port', '0', '--client-id', CLIENT_ID, '--client-secret', CLIENT_SECRET], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  running.add(child);
  const lines = createInterface({ input: child.stdout });
  const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
  let url = null;
  for await (const line of lines) {
    if (line.startsWith(READY)) {
      url = line.slice(READY.length).trim();
      break;
    }
  }
  clearTimeout(timer);
  assert.ok(url, 'scalekit-dev did not print its ready line');
  child.stdout.resume(); // keep draining, so a later write never blocks it

  async function admin(method, path, body) {
    const res = await fetch(url + path, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : method === 'POST' ? '{}' : undefined,
    });
    const text = await res.text();
    assert.equal(res.status, 200, `${method} ${path}: HTTP ${res.status} ${text}`);
    return JSON.parse(text);
  }

  return {
    url,
    setAccount: (connector, identifier, status) => admin('POST', '/_dev/accounts', { connector, identifier, status }),
    fault: (fault) => admin('POST', '/_dev/faults', fault),
    reset: () => admin('POST', '/_dev/reset'),
    stats: () => admin('GET', '/_dev/stats'),
    /** API requests the server counted for (connector, identifier). */
    async requestsFor(connector, identifier) {
      return (await admin('GET', '/_dev/stats')).keys[`${connector}|${identifier}`] ?? 0;
    },
    async route(name) {
      return (await admin('GET', '/_dev/stats')).routes[name] ?? 0;
    },
    gate(extra = {}) {
      return Gate.fromJson({
        provider: { type: 'scalekit', environment_url: url, client_id: CLIENT_ID, client_secret: CLIENT_SECRET, ...extra.provider },
        tools: { prefixes: { gmail_: 'gmail' } },
        ...extra.config,
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
      await once(child, 'exit');
      clearTimeout(kill);
      running.delete(child);
    },
  };
}
