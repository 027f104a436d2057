// toolgate-bench for Node.js: a cache hit through the binding (Gate.check,
// the whole decision built as a plain object) beside a bare Map lookup of the
// same composite keys, in the same run — the same 10,000 accounts, tools,
// rules and fixed shuffle as bench/common.c. Run by scripts/bench.
//
//   TOOLGATE_LIBRARY=…/libtoolgate.so node bench/node/hit.mjs [--json] [--quick]
//
// --json prints the figures as JSON members (",\"key\": value" lines) for
// scripts/bench to append to toolgate-bench's object.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Gate } from '../../bindings/node/index.mjs';

const ACCOUNTS = 10000;
const TOOLS = ['gmail_send_email', 'slack_post_message', 'notion_create_page', 'github_create_issue'];
const CONNECTIONS = ['gmail', 'slack', 'notion', 'github'];
const RULES = {
  map: { calendar_create_event: 'gcal', drive_upload: 'gdrive' },
  prefixes: { gmail_: 'gmail', slack_: 'slack', notion_: 'notion', github_: 'github', gmail_admin_: 'gadmin', jira_: 'jira' },
};

const json = process.argv.includes('--json');
const quick = process.argv.includes('--quick');
const reps = quick ? 5 : 9;
const rounds = quick ? 20 : 50; // passes over the 10,000 keys per repetition

/** The keys of bench/common.c, in its fixed shuffle. */
function keys() {
  const tool = [];
  const connection = [];
  const identifier = [];
  const order = [];
  for (let i = 0; i < ACCOUNTS; i++) {
    tool.push(TOOLS[i % 4]);
    connection.push(CONNECTIONS[i % 4]);
    identifier.push(`user_${String(i).padStart(6, '0')}@example.com`);
    order.push(i);
  }
  let seed = 12345;
  for (let i = ACCOUNTS - 1; i > 0; i--) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const j = (seed >>> 8) % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order.map((i) => ({ tool: tool[i], connection: connection[i], identifier: identifier[i] }));
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return { median: s[s.length >> 1], min: s[0], max: s[s.length - 1] };
}

/** ns per call of @p body(i) over every key, @p rounds times; median of the repetitions. */
function measure(count, body) {
  const per = [];
  for (let r = 0; r <= reps; r++) {
    const start = process.hrtime.bigint();
    for (let n = 0; n < rounds; n++) for (let i = 0; i < count; i++) body(i);
    const ns = Number(process.hrtime.bigint() - start) / (rounds * count);
    if (r > 0) per.push(ns); // the first repetition warms up
  }
  return median(per);
}

async function measureAsync(count, body) {
  const per = [];
  for (let r = 0; r <= reps; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < count; i++) await body(i);
    const ns = Number(process.hrtime.bigint() - start) / count;
    if (r > 0) per.push(ns);
  }
  return median(per);
}

const dir = mkdtempSync(join(tmpdir(), 'toolgate-bench-node-'));
try {
  const ks = keys();
  writeFileSync(
    join(dir, 'accounts.json'),
    JSON.stringify({
      link_base: 'https://connect.example.com/authorize',
      accounts: ks.map((k) => ({ connection: k.connection, identifier: k.identifier, status: 'ACTIVE' })),
    }),
  );
  const gate = Gate.fromJson(
    { provider: { type: 'file', path: 'accounts.json' }, tools: RULES, cache: { active_ttl_ms: 3600000, max_entries: 100000 } },
    dir,
  );
  for (const k of ks) {
    if (gate.check(k.tool, k.identifier).verdict !== 'ALLOW') throw new Error(`not ALLOW: ${k.identifier}`);
  }
  const map = new Map(ks.map((k) => [`${k.connection}\x1f${k.identifier}`, { status: 'ACTIVE' }]));
  const composite = ks.map((k) => `${k.connection}\x1f${k.identifier}`);
  let sink = 0;
  const hit = measure(ks.length, (i) => {
    const k = ks[i];
    sink += gate.check(k.tool, k.identifier).stale ? 1 : 0;
  });
  const base = measure(ks.length, (i) => {
    sink += map.get(composite[i]).status.length;
  });
  const asyncHit = await measureAsync(ks.length, async (i) => {
    const k = ks[i];
    sink += (await gate.checkAsync(k.tool, k.identifier)).stale ? 1 : 0;
  });
  const last = gate.check(ks[0].tool, ks[0].identifier);
  if (last.source !== 'cache' || sink < 0) throw new Error('the measured checks were not cache hits');
  gate.close();

  const ratio = hit.median / base.median;
  if (json) {
    const f = (key, v) => console.log(`  ,"${key}": ${Number(v.toPrecision(4))}`);
    f('node_hit_ns', hit.median);
    f('node_hit_ns_min', hit.min);
    f('node_hit_ns_max', hit.max);
    f('node_baseline_map_ns', base.median);
    f('node_hit_ratio', ratio);
    f('node_check_async_hit_ns', asyncHit.median);
  } else {
    const row = (what, v, note) =>
      console.log(
        `${what.padEnd(34)} ${v.median.toFixed(1).padStart(12)} ${v.min.toFixed(1).padStart(12)} ${v.max.toFixed(1).padStart(12)}  ${'ns'.padEnd(6)} ${note}`,
      );
    row('node hit: Gate.check, ALLOW', hit, `ratio to Map ${ratio.toFixed(1)} (<= 1000 ns)`);
    row('baseline: Map.get, same keys', base, '');
    row('node hit: await checkAsync', asyncHit, '');
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
