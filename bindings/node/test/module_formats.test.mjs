// The package from CommonJS and from ES modules: the same exports, and an
// MCP adapter whose error is the application's own SDK build in each, so the
// server turns it into -32042 rather than a generic tool error.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';

import * as esm from 'toolgate';
import { accountsDir, gmailGate } from './helpers/env.mjs';

const require = createRequire(import.meta.url);
const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const EXPORTS = [
  'ConfigError',
  'Gate',
  'InputError',
  'ProviderError',
  'SignatureError',
  'ToolgateError',
  'guardAiSdkTool',
  'guardLangChainTool',
  'guardMcpToolHandler',
  'guardOpenAIAgentsTool',
];

let g;
before(() => {
  g = gmailGate();
});
after(() => g.close());

test('require and import give the same API; classes are shared', () => {
  const cjs = require('toolgate');
  assert.deepEqual(Object.keys(cjs).sort(), EXPORTS);
  assert.deepEqual(Object.keys(esm).filter((k) => k !== 'default').sort(), EXPORTS);
  assert.equal(esm.Gate, cjs.Gate);
  assert.equal(esm.ToolgateError, cjs.ToolgateError);
  assert.equal(esm.default.Gate, cjs.Gate);
});

test('a CommonJS MCP server gets -32042 from its own SDK build', () => {
  const env = accountsDir([{ connection: 'gmail', identifier: 'user_456', status: 'EXPIRED' }]);
  try {
    const out = execFileSync(process.execPath, [here('fixtures/cjs_mcp.cjs'), env.config], { encoding: 'utf8' });
    assert.deepEqual(JSON.parse(out), { code: -32042, url: g.expiredLink });
  } finally {
    env.remove();
  }
});
