// Validates toolgate's MCP encodings (lines printed by emit.c) against the
// MCP JSON schemas of 2025-11-25 and 2026-07-28 with Ajv (draft 2020-12).
// Usage: node validate.mjs SCHEMA_2025_11_25 SCHEMA_2026_07_28 SAMPLES.jsonl
import { readFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const [schema2025, schema2026, samplesPath] = process.argv.slice(2);
if (!samplesPath) {
  console.error("usage: node validate.mjs SCHEMA_2025_11_25 SCHEMA_2026_07_28 SAMPLES.jsonl");
  process.exit(2);
}

// Strict, but the schemas use union types (RequestId is string or integer).
const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
addFormats(ajv);
ajv.addSchema(JSON.parse(readFileSync(schema2025, "utf8")), "mcp-2025-11-25");
ajv.addSchema(JSON.parse(readFileSync(schema2026, "utf8")), "mcp-2026-07-28");

const compiled = new Map();
function validator(version, pointer) {
  const ref = `mcp-${version}#/$defs/${pointer}`;
  if (!compiled.has(ref)) compiled.set(ref, ajv.compile({ $ref: ref }));
  return [ref, compiled.get(ref)];
}

let checks = 0;
const failures = [];

function fail(sample, what) {
  failures.push(`${sample.format} ${sample.verdict} id=${JSON.stringify(sample.request_id)} ` +
                `${sample.case}: ${what}`);
}

// The value must be valid against the definition (or fail to be, when
// expectValid is false: a negative check that the schema has teeth).
function check(sample, value, version, pointer, expectValid = true) {
  const [ref, validate] = validator(version, pointer);
  const ok = validate(value);
  checks++;
  if (ok !== expectValid) {
    fail(sample, expectValid ? `invalid against ${ref}: ${ajv.errorsText(validate.errors)}`
                             : `unexpectedly valid against ${ref}`);
  }
}

function expect(sample, cond, what) {
  checks++;
  if (!cond) fail(sample, what);
}

function checkToolResult(sample, result) {
  check(sample, result, "2025-11-25", "CallToolResult");
  check(sample, result, "2026-07-28", "CallToolResult");
  expect(sample, result.resultType === "complete", "resultType is not \"complete\"");
  expect(sample, result.isError === (sample.verdict !== "ALLOW"), "wrong isError");
  expect(sample, result.structuredContent?.verdict === sample.verdict,
         "structuredContent is not the decision");
  if (sample.verdict === "NEEDS_AUTHORIZATION") {
    expect(sample, result.content[0].text.includes(result.structuredContent.link),
           "the text does not hold the link");
  }
}

function checkSample(sample) {
  const out = sample.output;
  const wrapped = sample.request_id !== null;
  const member = sample.format === "mcp" && sample.verdict !== "ALLOW" ? "error" : "result";
  let inner = out;

  if (wrapped) {
    expect(sample, out.jsonrpc === "2.0" && out.id === sample.request_id && member in out,
           `not a JSON-RPC response with "${member}"`);
    inner = out[member];
  }

  switch (sample.format) {
  case "mcp":
    if (sample.verdict === "NEEDS_AUTHORIZATION") {
      if (wrapped) {
        check(sample, out, "2025-11-25", "URLElicitationRequiredError");
        check(sample, out, "2025-11-25", "JSONRPCErrorResponse");
        check(sample, out, "2026-07-28", "JSONRPCErrorResponse");
      }
      check(sample, inner, "2025-11-25", "URLElicitationRequiredError/properties/error");
      check(sample, inner, "2025-11-25", "Error");
      const el = inner.data.elicitations;
      expect(sample, el.length === 1, "not exactly one elicitation");
      check(sample, el[0], "2025-11-25", "ElicitRequestURLParams");
    } else if (sample.verdict === "ALLOW") {
      if (wrapped) check(sample, out, "2025-11-25", "JSONRPCResultResponse");
      check(sample, inner, "2025-11-25", "Result");
      expect(sample, inner.verdict === "ALLOW", "the result is not the decision");
    } else {
      if (wrapped) {
        check(sample, out, "2025-11-25", "JSONRPCErrorResponse");
        check(sample, out, "2026-07-28", "JSONRPCErrorResponse");
        check(sample, out, "2025-11-25", "URLElicitationRequiredError", false);
      }
      check(sample, inner, "2025-11-25", "Error");
      check(sample, inner, "2026-07-28", "InternalError");
      check(sample, inner, "2025-11-25", "URLElicitationRequiredError/properties/error", false);
      expect(sample, inner.data?.verdict === sample.verdict, "data is not the decision");
    }
    break;

  case "mcp-input-required":
    if (wrapped) {
      check(sample, out, "2026-07-28", "CallToolResultResponse");
      check(sample, out, "2026-07-28", "JSONRPCResultResponse");
    }
    if (sample.verdict === "NEEDS_AUTHORIZATION") {
      check(sample, inner, "2026-07-28", "InputRequiredResult");
      expect(sample, inner.resultType === "input_required", "resultType is not input_required");
      expect(sample, typeof inner.requestState === "string" && inner.requestState.length > 0,
             "no requestState");
      const requests = Object.values(inner.inputRequests ?? {});
      expect(sample, requests.length === 1, "not exactly one input request");
      for (const req of requests) {
        check(sample, req, "2026-07-28", "InputRequest");
        check(sample, req, "2026-07-28", "ElicitRequest");
        check(sample, req.params, "2026-07-28", "ElicitRequestURLParams");
        check(sample, req.params, "2026-07-28", "ElicitRequestFormParams", false);
      }
      check(sample, inner, "2026-07-28", "CallToolResult", false);
    } else {
      checkToolResult(sample, inner);
      expect(sample, !("inputRequests" in inner), "inputRequests outside NEEDS_AUTHORIZATION");
    }
    break;

  case "mcp-tool-result":
    if (wrapped) {
      check(sample, out, "2025-11-25", "JSONRPCResultResponse");
      check(sample, out, "2026-07-28", "CallToolResultResponse");
    }
    checkToolResult(sample, inner);
    break;

  default:
    fail(sample, "unknown format");
  }
}

const seen = new Set();
const lines = readFileSync(samplesPath, "utf8").split("\n").filter((l) => l.length > 0);
for (const [n, line] of lines.entries()) {
  let sample;
  try {
    sample = JSON.parse(line);
  } catch (e) {
    checks++;
    failures.push(`line ${n + 1}: not JSON (${e.message}): ${line.slice(0, 200)}`);
    continue;
  }
  seen.add(`${sample.format}/${sample.verdict}/${sample.request_id === null ? "bare" : "rpc"}`);
  checkSample(sample);
}

// Every format, verdict and envelope must have been seen: a driver that
// prints nothing must not pass.
for (const format of ["mcp", "mcp-input-required", "mcp-tool-result"]) {
  for (const verdict of ["ALLOW", "NEEDS_AUTHORIZATION", "UNAVAILABLE", "DENY"]) {
    for (const envelope of ["bare", "rpc"]) {
      checks++;
      if (!seen.has(`${format}/${verdict}/${envelope}`)) {
        failures.push(`no sample of ${format} ${verdict} ${envelope}`);
      }
    }
  }
}

for (const f of failures) console.error(`FAIL ${f}`);
console.log(`mcp_schema: ${lines.length} encodings, ${checks} checks against MCP ` +
            `2025-11-25 and 2026-07-28`);
console.log(`${checks - failures.length} passed, ${failures.length} failed`);
process.exit(failures.length === 0 ? 0 : 1);
