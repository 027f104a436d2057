// ctest mcp_proxy_sdk: toolgate mcp-proxy between the official MCP TypeScript
// SDK client (StdioClientTransport) and the MCP reference server
// (@modelcontextprotocol/server-everything over stdio), with the scalekit
// provider against scalekit-dev on loopback. Run by run.sh with node --test.
//   env TOOLGATE     the toolgate command
//       SCALEKIT_DEV the scalekit-dev server
//       WORK_DIR     a scratch directory (node_modules is there)
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import {
  CreateMessageRequestSchema,
  ElicitationCompleteNotificationSchema,
  UrlElicitationRequiredError,
} from "@modelcontextprotocol/sdk/types.js";

const toolgate = process.env.TOOLGATE;
const scalekitDev = process.env.SCALEKIT_DEV;
const work = process.env.WORK_DIR;
const everything = path.join(
  work, "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js");
const serverCommand = [process.execPath, everything, "stdio"];

let dev; // the scalekit-dev child
let devUrl;
let tmp;
let config;
const clients = [];

// The config: "echo" and "get-structured-content" need the gmail account,
// "get-sum" the calc account; every other tool is allowed (unmapped).
function writeConfig() {
  config = path.join(tmp, "toolgate.json");
  writeFileSync(config, JSON.stringify({
    provider: { type: "scalekit", environment_url: devUrl, client_id: "dev_client",
                client_secret: "dev_secret", timeout_ms: 5000 },
    tools: { map: { "echo": "gmail", "get-structured-content": "gmail", "get-sum": "calc" },
             unmapped: "allow" },
    cache: { active_ttl_ms: 60000, inactive_ttl_ms: 60000 },
  }));
}

async function setAccount(connector, identifier, status) {
  const r = await fetch(`${devUrl}/_dev/accounts`, {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ connector, identifier, status }),
  });
  assert.equal(r.status, 200, `setting ${connector}/${identifier} to ${status}`);
}

const capabilities = (url) => ({
  sampling: {},
  elicitation: url ? { form: {}, url: {} } : { form: {} },
});

// A client on the proxy (identifier given) or straight on the server.
async function connect({ identifier, url, stderr }) {
  const client = new Client({ name: "toolgate-test", version: "1.0.0" },
                            { capabilities: capabilities(url) });
  // Sampling requests from the server are answered by the test: they must
  // cross the proxy both ways.
  client.setRequestHandler(CreateMessageRequestSchema, async (req) => ({
    model: "test-model", role: "assistant",
    content: { type: "text", text: `sampled: ${req.params.messages.length} message(s)` },
  }));
  const args = identifier
    ? ["mcp-proxy", "--config", config, "--identifier", identifier, "--poll-ms", "100", "--",
       ...serverCommand]
    : serverCommand.slice(1);
  const transport = new StdioClientTransport({
    command: identifier ? toolgate : serverCommand[0], args, stderr: stderr ?? "ignore",
    env: { ...process.env },
  });
  await client.connect(transport);
  // Every message the client receives, in order, as the transport hands it
  // over (the SDK dispatches notifications a microtask later than
  // responses, so its callbacks alone cannot show the order).
  client.received = [];
  const deliver = transport.onmessage;
  transport.onmessage = (m, extra) => {
    client.received.push(m);
    deliver(m, extra);
  };
  clients.push(client);
  return client;
}

// Tools as listed once the server has registered those that depend on the
// client's capabilities (it does so when initialized).
async function tools(client) {
  let last = null;
  for (let i = 0; i < 50; i++) {
    const list = (await client.listTools()).tools;
    if (last && JSON.stringify(list) === JSON.stringify(last)) return list;
    last = list;
    await new Promise((r) => setTimeout(r, 100));
  }
  return last;
}

before(async () => {
  tmp = mkdtempSync(path.join(work, "run-"));
  dev = spawn(scalekitDev, ["--port", "0", "--client-id", "dev_client",
                            "--client-secret", "dev_secret"],
              { stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: dev.stdout });
  const ready = new Promise((resolve, reject) => {
    lines.on("line", (line) => {
      const m = /^scalekit-dev listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
      if (m) resolve(m[1]);
    });
    dev.on("exit", (code) => reject(new Error(`scalekit-dev exited (${code})`)));
  });
  devUrl = await Promise.race([ready, new Promise((_, reject) =>
    setTimeout(() => reject(new Error("scalekit-dev did not start in 10 s")), 10000))]);
  writeConfig();
  await setAccount("calc", "alice", "ACTIVE");
  await setAccount("gmail", "alice", "EXPIRED");
  await setAccount("gmail", "bob", "EXPIRED");
});

after(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => {})));
  if (dev && dev.exitCode === null) {
    dev.kill("SIGTERM");
    await once(dev, "exit");
  }
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test("tools are listed exactly as the server lists them", async () => {
  const direct = await connect({ url: true });
  const proxied = await connect({ identifier: "alice", url: true });
  const want = await tools(direct);
  assert.ok(want.length >= 10, "the reference server lists its tools");
  assert.deepEqual(await tools(proxied), want);
});

test("URL elicitation: blocked, authorized through the link, completed, retried", async () => {
  const direct = await connect({ url: true });
  const client = await connect({ identifier: "alice", url: true });
  const completions = [];
  let completed;
  const completion = new Promise((resolve) => { completed = resolve; });
  client.setNotificationHandler(ElicitationCompleteNotificationSchema, (n) => {
    completions.push(n.params.elicitationId);
    completed(n.params.elicitationId);
  });

  // Allowed: the server's own answer, the same as without the proxy.
  const sum = await client.callTool({ name: "get-sum", arguments: { a: 2, b: 3 } });
  assert.deepEqual(sum, await direct.callTool({ name: "get-sum", arguments: { a: 2, b: 3 } }));
  assert.equal(sum.content[0].text, "The sum of 2 and 3 is 5.");

  // Blocked: the SDK's UrlElicitationRequiredError, the link as its URL.
  const blocked = async () => {
    try {
      await client.callTool({ name: "echo", arguments: { message: "hello" } });
    } catch (e) {
      return e;
    }
    assert.fail("echo ran on an EXPIRED account");
  };
  const err = await blocked();
  assert.ok(err instanceof UrlElicitationRequiredError, `got ${err}`);
  assert.equal(err.code, -32042);
  assert.equal(err.elicitations.length, 1);
  const [el] = err.elicitations;
  assert.equal(el.mode, "url");
  assert.match(el.url, new RegExp(`^${devUrl.replace(/\./g, "\\.")}/magic/`));
  assert.match(el.elicitationId, /^tg-[0-9a-f]{32}$/);
  // The same account and link: the same elicitation id.
  const again = await blocked();
  assert.equal(again.elicitations[0].elicitationId, el.elicitationId);
  assert.equal(again.elicitations[0].url, el.url);

  // The user opens the link (scalekit-dev plays the consent screen).
  const page = await fetch(el.url);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /Authorized gmail for alice/);

  // The client learns it is done, with the same id, and only once.
  const id = await Promise.race([completion, new Promise((_, reject) =>
    setTimeout(() => reject(new Error("no elicitation/complete within 30 s")), 30000))]);
  assert.equal(id, el.elicitationId);

  // The retry reaches the server and returns its real result.
  const echoed = await client.callTool({ name: "echo", arguments: { message: "hello" } });
  assert.deepEqual(echoed, await direct.callTool({ name: "echo", arguments: { message: "hello" } }));
  assert.equal(echoed.content[0].text, "Echo: hello");
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(completions, [el.elicitationId]);
});

test("a client without URL elicitation gets an isError result with the link", async () => {
  const client = await connect({ identifier: "bob", url: false });
  const r = await client.callTool({ name: "echo", arguments: { message: "hi" } });
  assert.equal(r.isError, true);
  const text = r.content.map((c) => c.text).join(" ");
  assert.match(text, /Authorization required: gmail account of bob is EXPIRED/);
  assert.match(text, new RegExp(`${devUrl.replace(/\./g, "\\.")}/magic/`));
  // A tool with an outputSchema: the blocked answer must still be accepted
  // by the SDK (no structuredContent to check against the schema).
  const s = await client.callTool({ name: "get-structured-content",
                                    arguments: { location: "New York" } });
  assert.equal(s.isError, true);
  assert.equal(s.structuredContent, undefined);
});

test("server-to-client requests and progress pass through the proxy", async () => {
  const client = await connect({ identifier: "alice", url: true });
  const sampled = await client.callTool({ name: "trigger-sampling-request",
                                          arguments: { prompt: "hi", maxTokens: 5 } });
  assert.match(JSON.stringify(sampled.content), /sampled: 1 message/);
  client.received.length = 0;
  const r = await client.callTool(
    { name: "trigger-long-running-operation", arguments: { duration: 1, steps: 3 } },
    undefined, { onprogress: () => {} });
  assert.ok(!r.isError);
  // The server's progress notifications, then its result, in its order.
  const seen = client.received.map((m) =>
    m.method === "notifications/progress" ? `progress ${m.params.progress}`
      : m.result ? "result" : m.method);
  assert.deepEqual(seen, ["progress 1", "progress 2", "progress 3", "result"]);
});

test("the proxy ends with the server's exit status when the client goes away", async () => {
  const child = spawn(toolgate, ["mcp-proxy", "--config", config, "--identifier", "alice", "--",
                                 process.execPath, "-e", "process.stdin.resume(); process.stdin.on('end', () => process.exit(3))"],
                      { stdio: ["pipe", "pipe", "inherit"] });
  child.stdin.end();
  const [code] = await once(child, "exit");
  assert.equal(code, 3);
});
