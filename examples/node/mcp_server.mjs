// An MCP server (TypeScript SDK) whose Gmail tool is gated by toolgate, and a
// client calling it over the SDK's in-memory transport. The end user is read
// from the request's _meta. user_123's Gmail is connected: the tool runs.
// user_456's has EXPIRED: a client that takes URL elicitation gets -32042
// with the link to open; any other gets an isError result with the link.
//   node mcp_server.mjs      (TOOLGATE_LIBRARY=/path/to/libtoolgate.so if not installed)
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { Gate, guardMcpToolHandler } from 'toolgate';
import { z } from 'zod';

const gate = Gate.fromFile(new URL('toolgate.json', import.meta.url).pathname);

async function serve(clientCapabilities) {
  const server = new McpServer({ name: 'mail', version: '1.0.0' });
  server.registerTool(
    'gmail_send_email',
    { description: 'Send an email from the user’s Gmail account', inputSchema: { to: z.string() } },
    guardMcpToolHandler(
      gate,
      'gmail_send_email',
      async ({ to }, extra) => ({
        content: [{ type: 'text', text: `ran the tool for ${extra._meta.user_id}: sent to ${to}` }],
      }),
      { identifier: (args, extra) => extra._meta?.user_id, server },
    ),
  );
  const client = new Client({ name: 'example-client', version: '1.0.0' }, { capabilities: clientCapabilities });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  await client.connect(clientSide);
  return client;
}

const call = (client, userId) =>
  client.callTool({ name: 'gmail_send_email', arguments: { to: 'ann@example.com' }, _meta: { user_id: userId } });

const modern = await serve({ elicitation: { url: {} } });
console.log(`user_123: ${(await call(modern, 'user_123')).content[0].text}`);
try {
  await call(modern, 'user_456');
} catch (err) {
  // UrlElicitationRequiredError: the client opens err.elicitations[0].url for the user.
  console.log(`user_456 (URL elicitation): error ${err.code}, open ${err.elicitations[0].url}`);
}
const plain = await serve({});
const blocked = await call(plain, 'user_456');
console.log(`user_456 (isError ${blocked.isError}): ${blocked.content[0].text}`);
await modern.close();
await plain.close();
gate.close();
