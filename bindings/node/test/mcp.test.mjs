// guardMcpToolHandler: an MCP Client and McpServer over the SDK's in-memory
// transport. The ACTIVE user's call runs the handler; the EXPIRED user's does
// not: a client that declared URL elicitation gets -32042
// (UrlElicitationRequiredError) with the link, any other an isError result
// whose text carries the link.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, UrlElicitationRequiredError } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

import { guardMcpToolHandler } from 'toolgate';
import { gmailGate } from './helpers/env.mjs';

let g;
const sent = [];
const open = [];

before(() => {
  g = gmailGate({ tools: { prefixes: { gmail_: 'gmail' }, unmapped: 'deny' } });
});
after(async () => {
  for (const c of open) await c.close();
  g.close();
});

/** A server with two guarded tools and a client connected to it. */
async function connect(clientCapabilities, passServer = true) {
  const server = new McpServer({ name: 'mail', version: '1.0.0' });
  const identifier = (args, extra) => extra._meta?.user_id;
  server.registerTool(
    'gmail_send_email',
    { description: 'Send an email', inputSchema: { to: z.string() } },
    guardMcpToolHandler(
      g.gate,
      'gmail_send_email',
      async ({ to }) => {
        sent.push(to);
        return { content: [{ type: 'text', text: `sent to ${to}` }] };
      },
      { identifier, server: passServer ? server : undefined },
    ),
  );
  server.registerTool(
    'calendar_list',
    { description: 'List events (unmapped: denied)' },
    guardMcpToolHandler(g.gate, 'calendar_list', async () => ({ content: [{ type: 'text', text: 'ran' }] }), {
      identifier: 'user_123',
      server,
    }),
  );
  const client = new Client({ name: 'test-client', version: '1.0.0' }, { capabilities: clientCapabilities });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  await client.connect(clientSide);
  open.push(client, server);
  return client;
}

const send = (client, user) =>
  client.callTool({ name: 'gmail_send_email', arguments: { to: 'ann@example.com' }, _meta: { user_id: user } });

test('an ACTIVE account: the handler runs', async () => {
  sent.length = 0;
  const client = await connect({ elicitation: { url: {} } });
  const result = await send(client, 'user_123');
  assert.deepEqual(result.content, [{ type: 'text', text: 'sent to ann@example.com' }]);
  assert.notEqual(result.isError, true);
  assert.deepEqual(sent, ['ann@example.com']);
});

test('an EXPIRED account, client with URL elicitation: -32042 carrying the link', async () => {
  sent.length = 0;
  const client = await connect({ elicitation: { url: {} } });
  await assert.rejects(send(client, 'user_456'), (err) => {
    assert.ok(err instanceof UrlElicitationRequiredError, `got ${err}`);
    assert.equal(err.code, ErrorCode.UrlElicitationRequired);
    assert.equal(err.code, -32042);
    const [elicitation] = err.elicitations;
    assert.equal(elicitation.mode, 'url');
    assert.equal(elicitation.url, g.expiredLink);
    assert.match(elicitation.elicitationId, /^tg-[0-9a-f]{32}$/);
    assert.match(elicitation.message, /EXPIRED/);
    return true;
  });
  assert.deepEqual(sent, []);
});

test('an EXPIRED account, client without URL elicitation: an isError result with the link', async () => {
  sent.length = 0;
  for (const client of [await connect({}), await connect({ elicitation: { url: {} } }, false)]) {
    const result = await send(client, 'user_456');
    assert.equal(result.isError, true);
    assert.match(result.content[0].text, /^Authorization required: gmail account of user_456 is EXPIRED/);
    assert.ok(result.content[0].text.includes(g.expiredLink));
    assert.equal(result.structuredContent.link, g.expiredLink);
  }
  assert.deepEqual(sent, []);
});

test('DENY is an isError result, never an elicitation', async () => {
  const client = await connect({ elicitation: { url: {} } });
  const result = await client.callTool({ name: 'calendar_list', arguments: {} });
  assert.equal(result.isError, true);
  assert.match(result.content[0].text, /^The tool did not run: tool calendar_list is not mapped/);
});

test('a call without the end user is an error result, not a run', async () => {
  sent.length = 0;
  const client = await connect({});
  const result = await client.callTool({ name: 'gmail_send_email', arguments: { to: 'x' } });
  assert.equal(result.isError, true);
  assert.match(result.content[0].text, /identifier function returned undefined/);
  assert.deepEqual(sent, []);
});
