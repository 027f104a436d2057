// Test environment: the library under test and gates over small account files.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Gate } from 'toolgate';

// The tests never fall back to a system library: they test the build they are given.
assert.ok(process.env.TOOLGATE_LIBRARY, 'set TOOLGATE_LIBRARY to the libtoolgate.so under test');

export const LINK_BASE = 'https://connect.example.com/authorize';

/** A temporary directory holding toolgate.json and accounts.json; remove() when done. */
export function accountsDir(accounts, extraConfig = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'toolgate-node-'));
  writeFileSync(join(dir, 'accounts.json'), JSON.stringify({ link_base: LINK_BASE, accounts }));
  const config = {
    provider: { type: 'file', path: 'accounts.json' },
    tools: { prefixes: { gmail_: 'gmail', slack_: 'slack' } },
    ...extraConfig,
  };
  writeFileSync(join(dir, 'toolgate.json'), JSON.stringify(config));
  return { dir, config: join(dir, 'toolgate.json'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The two accounts every adapter test uses: user_123 ACTIVE, user_456 EXPIRED. */
export function gmailGate(extraConfig) {
  const env = accountsDir(
    [
      { connection: 'gmail', identifier: 'user_123', status: 'ACTIVE' },
      { connection: 'gmail', identifier: 'user_456', status: 'EXPIRED' },
    ],
    extraConfig,
  );
  const gate = Gate.fromFile(env.config);
  return {
    gate,
    expiredLink: `${LINK_BASE}?connection=gmail&identifier=user_456`,
    close() {
      gate.close();
      env.remove();
    },
  };
}
