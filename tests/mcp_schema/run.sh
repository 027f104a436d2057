#!/usr/bin/env bash
# ctest mcp_schema: print every MCP encoding with the driver and validate each
# against the MCP JSON schemas with Ajv. Node.js is required: without it the
# test fails (it does not skip). Ajv is installed with `npm ci` from the
# committed package-lock.json into the build tree (tests/lib/npm_ci.sh).
#   run.sh EMITTER SOURCE_DIR DATA_DIR WORK_DIR
set -euo pipefail

emit=$1 src=$2 data=$3 work=$4

# shellcheck source=SCRIPTDIR/../lib/npm_ci.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/npm_ci.sh"
toolgate_npm_ci mcp_schema "$src" "$work" ajv
cp "$src/validate.mjs" "$work/validate.mjs"

"$emit" >"$work/samples.jsonl"
node "$work/validate.mjs" "$data/mcp-schema-2025-11-25.json" "$data/mcp-schema-2026-07-28.json" \
    "$work/samples.jsonl"
