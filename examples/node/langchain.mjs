// A LangChain.js tool gated by toolgate, invoked with a model's tool call as
// an agent's tool node does. user_123's Gmail is connected: the tool runs.
// user_456's has EXPIRED: the ToolMessage carries the reason and the link.
//   node langchain.mjs      (TOOLGATE_LIBRARY=/path/to/libtoolgate.so if not installed)
import { tool } from '@langchain/core/tools';
import { Gate, guardLangChainTool } from 'toolgate';
import { z } from 'zod';

import { scriptedLangChainToolCall } from './scripted_models.mjs';

const gate = Gate.fromFile(new URL('toolgate.json', import.meta.url).pathname);

const sendEmail = tool(async ({ to }, config) => `ran the tool for ${config.configurable.userId}: sent to ${to}`, {
  name: 'gmail_send_email',
  description: 'Send an email from the user’s Gmail account',
  schema: z.object({ to: z.string(), body: z.string() }),
});
// The end user comes from the run's configurable settings.
const guarded = guardLangChainTool(gate, sendEmail, { identifier: (input, config) => config.configurable.userId });

// The tool call a chat model would put in its AIMessage.tool_calls.
const call = scriptedLangChainToolCall('gmail_send_email', { to: 'ann@example.com', body: 'Hello!' });
for (const userId of ['user_123', 'user_456']) {
  const message = await guarded.invoke(call, { configurable: { userId } });
  console.log(`${userId}: ${message.content}`);
}
gate.close();
