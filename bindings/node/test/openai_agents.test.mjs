// guardOpenAIAgentsTool through the Agents SDK's own Runner, with a scripted
// model that calls the tool: the ACTIVE user's call runs, the EXPIRED user's
// does not and the run's output carries the link.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { Agent, Runner, setTracingDisabled, tool, Usage } from '@openai/agents';
import { z } from 'zod';

import { guardOpenAIAgentsTool, InputError } from 'toolgate';
import { scriptedAgentsModel } from '../../../examples/node/scripted_models.mjs';
import { gmailGate } from './helpers/env.mjs';

setTracingDisabled(true);

let g;
const sent = [];
const sendEmail = tool({
  name: 'gmail_send_email',
  description: 'Send an email from the user’s Gmail account',
  parameters: z.object({ to: z.string(), body: z.string() }),
  execute: async ({ to }) => {
    sent.push(to);
    return `sent to ${to}`;
  },
});

before(() => {
  g = gmailGate();
});
after(() => g.close());

function run(userId) {
  const guarded = guardOpenAIAgentsTool(g.gate, sendEmail, {
    identifier: (args, runContext) => runContext.context.userId,
  });
  const agent = new Agent({
    name: 'mailer',
    instructions: 'Send the emails the user asks for.',
    tools: [guarded],
    model: scriptedAgentsModel({ Usage }, 'gmail_send_email', { to: 'ann@example.com', body: 'hello' }),
  });
  return new Runner({ tracingDisabled: true }).run(agent, 'Email Ann', { context: { userId } });
}

function toolOutputs(result) {
  return result.newItems.filter((item) => item.type === 'tool_call_output_item').map((item) => String(item.output));
}

test('the guarded tool is the same kind of tool', () => {
  const guarded = guardOpenAIAgentsTool(g.gate, sendEmail, { identifier: 'user_123' });
  assert.equal(guarded.type, 'function');
  assert.equal(guarded.name, sendEmail.name);
  assert.deepEqual(guarded.parameters, sendEmail.parameters);
  assert.notEqual(guarded.invoke, sendEmail.invoke);
});

test('an ACTIVE account: the Runner runs the tool', async () => {
  sent.length = 0;
  const result = await run('user_123');
  assert.deepEqual(sent, ['ann@example.com']);
  assert.deepEqual(toolOutputs(result), ['sent to ann@example.com']);
  assert.match(result.finalOutput, /sent to ann@example\.com/);
});

test('an EXPIRED account: the tool does not run and the model gets the reason and the link', async () => {
  sent.length = 0;
  const result = await run('user_456');
  assert.deepEqual(sent, []);
  const [output] = toolOutputs(result);
  assert.match(output, /^Authorization required: gmail account of user_456 is EXPIRED/);
  assert.ok(output.includes(g.expiredLink), output);
  assert.ok(result.finalOutput.includes(g.expiredLink), 'the model could hand the link to the user');
});

test('a gate that cannot decide is an error for the application, never a run of the tool', async () => {
  sent.length = 0;
  const guarded = guardOpenAIAgentsTool(g.gate, sendEmail, { identifier: () => 'bad\u0001id' });
  await assert.rejects(guarded.invoke({ context: {} }, JSON.stringify({ to: 'x', body: 'y' })), (e) => e instanceof InputError && /identifier/.test(e.message));
  const noUser = guardOpenAIAgentsTool(g.gate, sendEmail, { identifier: (args, rc) => rc.context.userId });
  await assert.rejects(noUser.invoke({ context: {} }, JSON.stringify({ to: 'x', body: 'y' })), /function returned undefined/);
  assert.deepEqual(sent, []);
  assert.throws(() => guardOpenAIAgentsTool(g.gate, { name: 'x' }, { identifier: 'u' }), InputError);
  assert.throws(() => guardOpenAIAgentsTool(g.gate, sendEmail, {}), InputError);
});
