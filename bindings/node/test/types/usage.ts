// Compiled with tsc --noEmit by types.test.mjs: the package's types describe
// its API and fit the runtimes' own types.
import { tool as agentsTool } from '@openai/agents';
import { tool as langchainTool } from '@langchain/core/tools';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { tool as aiTool } from 'ai';
import { z } from 'zod';

import {
  Gate,
  ToolgateError,
  ProviderError,
  guardAiSdkTool,
  guardLangChainTool,
  guardMcpToolHandler,
  guardOpenAIAgentsTool,
  type Decision,
  type Status,
  type WebhookResult,
} from 'toolgate';

export async function usage(): Promise<void> {
  const gate = Gate.fromFile('toolgate.json');
  const d: Decision = gate.check('gmail_send_email', 'user_123');
  if (d.verdict === 'NEEDS_AUTHORIZATION' && d.link !== null) console.log(d.reason, d.link.length);
  const later: Decision = await gate.checkAsync('gmail_send_email', 'user_123');
  const s: Status | null = gate.status('gmail', 'user_123');
  const l = await gate.linkAsync('gmail', 'user_123');
  const expires: string | null = l.link_expires_at;
  gate.invalidate('gmail');
  gate.invalidate();
  const controller = new AbortController();
  try {
    const w = await gate.wait('gmail', 'user_123', { timeoutMs: 1000, signal: controller.signal });
    console.log(w.status, later.source, s, expires);
  } catch (err) {
    if (err instanceof ProviderError) console.log(err.code, err.decision?.verdict);
    else if (err instanceof ToolgateError && err.code === 'ECANCELED') console.log('cancelled');
  }
  const r: WebhookResult = gate.applyWebhook({ secret: 'whsec_x', id: 'i', timestamp: 1, signature: 's', body: new Uint8Array() });
  console.log(r);

  const a = guardOpenAIAgentsTool(
    gate,
    agentsTool({ name: 'gmail_send_email', description: 'd', parameters: z.object({ to: z.string() }), execute: async ({ to }) => to }),
    { identifier: (_args, runContext) => String(runContext.context.userId) },
  );
  console.log(a.name);
  const lc = guardLangChainTool(
    gate,
    langchainTool(async ({ to }: { to: string }) => to, { name: 'gmail_send_email', schema: z.object({ to: z.string() }) }),
    { identifier: 'user_123' },
  );
  console.log(lc.name);
  const ai = guardAiSdkTool(
    gate,
    'gmail_send_email',
    aiTool({ description: 'd', inputSchema: z.object({ to: z.string() }), execute: async ({ to }) => ({ to }) }),
    { identifier: async () => 'user_123' },
  );
  console.log(typeof ai.execute);
  const server = new McpServer({ name: 'n', version: '1' });
  server.registerTool(
    'gmail_send_email',
    { inputSchema: { to: z.string() } },
    guardMcpToolHandler(gate, 'gmail_send_email', async ({ to }: { to: string }) => ({ content: [{ type: 'text' as const, text: to }] }), {
      identifier: 'user_123',
      server,
    }),
  );
  gate.close();
}
