// An OpenAI Agents SDK agent whose Gmail tool is gated by toolgate.
// user_123's Gmail is connected: the tool runs. user_456's has EXPIRED: the
// tool does not run, and the model is told why and which link to hand over.
//   node openai_agents.mjs      (TOOLGATE_LIBRARY=/path/to/libtoolgate.so if not installed)
import { Agent, Runner, setTracingDisabled, tool, Usage } from '@openai/agents';
import { Gate, guardOpenAIAgentsTool } from 'toolgate';
import { z } from 'zod';

import { scriptedAgentsModel } from './scripted_models.mjs';

setTracingDisabled(true);
const gate = Gate.fromFile(new URL('toolgate.json', import.meta.url).pathname);

const sendEmail = tool({
  name: 'gmail_send_email',
  description: 'Send an email from the user’s Gmail account',
  parameters: z.object({ to: z.string(), body: z.string() }),
  execute: async ({ to }, runContext) => `ran the tool for ${runContext.context.userId}: sent to ${to}`,
});

const agent = new Agent({
  name: 'mailer',
  instructions: 'Send the emails the user asks for.',
  // The end user is your application's: here, the run's context carries it.
  tools: [guardOpenAIAgentsTool(gate, sendEmail, { identifier: (args, runContext) => runContext.context.userId })],
  // A scripted model stands in for a real one (no network); it calls the tool once.
  model: scriptedAgentsModel({ Usage }, 'gmail_send_email', { to: 'ann@example.com', body: 'Hello!' }),
});

for (const userId of ['user_123', 'user_456']) {
  const result = await new Runner().run(agent, 'Email Ann hello', { context: { userId } });
  console.log(`${userId}: ${result.finalOutput}`);
}
gate.close();
