// A Vercel AI SDK generateText run whose Gmail tool is gated by toolgate.
// user_123's Gmail is connected: the tool runs. user_456's has EXPIRED: the
// tool's output is {blocked, message, decision} and the model relays the link.
//   node ai_sdk.mjs      (TOOLGATE_LIBRARY=/path/to/libtoolgate.so if not installed)
import { generateText, stepCountIs, tool } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { Gate, guardAiSdkTool } from 'toolgate';
import { z } from 'zod';

import { scriptedAiSdkGenerate } from './scripted_models.mjs';

const gate = Gate.fromFile(new URL('toolgate.json', import.meta.url).pathname);

const tools = {
  gmail_send_email: guardAiSdkTool(
    gate,
    'gmail_send_email',
    tool({
      description: 'Send an email from the user’s Gmail account',
      inputSchema: z.object({ to: z.string(), body: z.string() }),
      execute: async ({ to }, { experimental_context: ctx }) => `ran the tool for ${ctx.userId}: sent to ${to}`,
    }),
    // The end user travels in the run's experimental_context.
    { identifier: (input, { experimental_context: ctx }) => ctx.userId },
  ),
};

for (const userId of ['user_123', 'user_456']) {
  const result = await generateText({
    // A scripted mock model stands in for a real one (no network).
    model: new MockLanguageModelV3({
      doGenerate: scriptedAiSdkGenerate('gmail_send_email', { to: 'ann@example.com', body: 'Hello!' }),
    }),
    tools,
    prompt: 'Email Ann hello',
    stopWhen: stepCountIs(3),
    experimental_context: { userId },
  });
  console.log(`${userId}: ${result.text}`);
}
gate.close();
