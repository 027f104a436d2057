// guardAiSdkTool through the AI SDK's generateText with its mock language
// model (ai/test) scripted to call the tool, then answer: the ACTIVE user's
// call runs, the EXPIRED user's does not and the output carries the link.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { generateText, stepCountIs, tool } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { z } from 'zod';

import { guardAiSdkTool, InputError } from 'toolgate';
import { scriptedAiSdkGenerate } from '../../../examples/node/scripted_models.mjs';
import { gmailGate } from './helpers/env.mjs';

let g;
const sent = [];
const sendEmail = tool({
  description: 'Send an email from the user’s Gmail account',
  inputSchema: z.object({ to: z.string(), body: z.string() }),
  execute: async ({ to }) => {
    sent.push(to);
    return { sent: to };
  },
});

before(() => {
  g = gmailGate();
});
after(() => g.close());

function run(userId, toolDef = sendEmail) {
  const tools = {
    gmail_send_email: guardAiSdkTool(g.gate, 'gmail_send_email', toolDef, {
      identifier: (input, options) => options.experimental_context.userId,
    }),
  };
  return generateText({
    model: new MockLanguageModelV3({
      doGenerate: scriptedAiSdkGenerate('gmail_send_email', { to: 'ann@example.com', body: 'hello' }),
    }),
    tools,
    prompt: 'Email Ann',
    stopWhen: stepCountIs(3),
    experimental_context: { userId },
  });
}

test('an ACTIVE account: generateText runs the tool', async () => {
  sent.length = 0;
  const result = await run('user_123');
  assert.deepEqual(sent, ['ann@example.com']);
  assert.deepEqual(result.steps[0].toolResults[0].output, { sent: 'ann@example.com' });
  assert.match(result.text, /ann@example\.com/);
});

test('an EXPIRED account: the tool does not run; the output and the answer carry the link', async () => {
  sent.length = 0;
  const result = await run('user_456');
  assert.deepEqual(sent, []);
  const { output } = result.steps[0].toolResults[0];
  assert.equal(output.blocked, true);
  assert.equal(output.decision.verdict, 'NEEDS_AUTHORIZATION');
  assert.equal(output.decision.link, g.expiredLink);
  assert.ok(output.message.includes(g.expiredLink));
  assert.ok(result.text.includes(g.expiredLink), 'the model could hand the link to the user');
});

test("a tool with its own toModelOutput: the model reads the blocked call's message", async () => {
  sent.length = 0;
  const custom = tool({
    ...sendEmail,
    toModelOutput: ({ output }) => ({ type: 'text', value: `mailed ${output.sent}` }),
  });
  const blocked = await run('user_456', custom);
  assert.deepEqual(sent, []);
  assert.match(blocked.text, /^The tool answered: Authorization required: /);
  assert.ok(blocked.text.includes(g.expiredLink));
  const allowed = await run('user_123', custom);
  assert.equal(allowed.text, 'The tool answered: mailed ann@example.com');
});

test('misuse is an InputError when the tool is wrapped', () => {
  assert.throws(() => guardAiSdkTool(g.gate, '', sendEmail, { identifier: 'u' }), InputError);
  assert.throws(() => guardAiSdkTool(g.gate, 'x', { description: 'no execute' }, { identifier: 'u' }), InputError);
  assert.throws(() => guardAiSdkTool({}, 'x', sendEmail, { identifier: 'u' }), InputError);
});
