// guardLangChainTool through LangChain's own tool invocation with a tool call
// (what an agent's tool node does with the model's AIMessage.tool_calls): the
// ACTIVE user's call runs, the EXPIRED user's does not and the ToolMessage
// carries the reason and the link.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { ToolMessage } from '@langchain/core/messages';
import { DynamicStructuredTool, tool } from '@langchain/core/tools';
import { z } from 'zod';

import { guardLangChainTool, InputError } from 'toolgate';
import { scriptedLangChainToolCall } from '../../../examples/node/scripted_models.mjs';
import { gmailGate } from './helpers/env.mjs';

let g;
const sent = [];
const sendEmail = tool(
  async ({ to }) => {
    sent.push(to);
    return `sent to ${to}`;
  },
  {
    name: 'gmail_send_email',
    description: 'Send an email from the user’s Gmail account',
    schema: z.object({ to: z.string(), body: z.string() }),
  },
);

before(() => {
  g = gmailGate();
});
after(() => g.close());

const guarded = () =>
  guardLangChainTool(g.gate, sendEmail, { identifier: (input, config) => config.configurable.userId });
const call = scriptedLangChainToolCall('gmail_send_email', { to: 'ann@example.com', body: 'hello' });

test('the guarded tool is a tool of the same class, name and schema', () => {
  const t = guarded();
  assert.ok(t instanceof DynamicStructuredTool);
  assert.equal(t.name, 'gmail_send_email');
  assert.equal(t.schema, sendEmail.schema);
  assert.equal(t.description, sendEmail.description);
});

test('an ACTIVE account: invoking with a tool call runs the tool', async () => {
  sent.length = 0;
  const msg = await guarded().invoke(call, { configurable: { userId: 'user_123' } });
  assert.ok(msg instanceof ToolMessage);
  assert.equal(msg.tool_call_id, 'call_1');
  assert.equal(msg.content, 'sent to ann@example.com');
  assert.deepEqual(sent, ['ann@example.com']);
});

test('an EXPIRED account: the tool does not run; the ToolMessage carries the link', async () => {
  sent.length = 0;
  const msg = await guarded().invoke(call, { configurable: { userId: 'user_456' } });
  assert.ok(msg instanceof ToolMessage);
  assert.equal(msg.tool_call_id, 'call_1');
  assert.match(msg.content, /^Authorization required: gmail account of user_456 is EXPIRED/);
  assert.ok(msg.content.includes(g.expiredLink));
  assert.deepEqual(sent, []);
});

test('content_and_artifact tools get the decision as the artifact', async () => {
  const withArtifact = tool(async () => ['ran', { ok: true }], {
    name: 'gmail_read',
    description: 'Read mail',
    schema: z.object({}),
    responseFormat: 'content_and_artifact',
  });
  const t = guardLangChainTool(g.gate, withArtifact, { identifier: 'user_456' });
  const msg = await t.invoke({ type: 'tool_call', id: 'c2', name: 'gmail_read', args: {} });
  assert.ok(msg.content.includes(g.expiredLink));
  assert.equal(msg.artifact.verdict, 'NEEDS_AUTHORIZATION');
  assert.equal(msg.artifact.link, g.expiredLink);
});

test('arguments that fail the schema never reach the gate or the tool', async () => {
  sent.length = 0;
  await assert.rejects(guarded().invoke({ ...call, args: { to: 42 } }, { configurable: { userId: 'user_123' } }));
  assert.deepEqual(sent, []);
  assert.throws(() => guardLangChainTool(g.gate, { name: 'x' }, { identifier: 'u' }), InputError);
});
