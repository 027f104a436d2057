#!/usr/bin/env bash
# ctest mcp_schema: print every MCP encoding with the driver and validate each
# against the MCP JSON schemas with Ajv. Node.js is required: without it the
# test fails (it does not skip). Ajv is installed with `npm ci` from the
# committed package-lock.json into the build tree, once (again when the lock
# file changes); that needs the npm registry, or npm's cache.
#   run.sh EMITTER SOURCE_DIR DATA_DIR WORK_DIR
set -euo pipefail

emit=$1 src=$2 data=$3 work=$4

if ! command -v node >/dev/null 2>&1; then
    echo "mcp_schema: node is not installed (Debian: nodejs and npm, see scripts/lib/deps.sh)" >&2
    exit 1
fi
mkdir -p "$work"
if [ ! -f "$work/node_modules/ajv/package.json" ] ||
    ! cmp -s "$src/package-lock.json" "$work/package-lock.json"; then
    if ! command -v npm >/dev/null 2>&1; then
        echo "mcp_schema: npm is not installed (Debian: npm, see scripts/lib/deps.sh)" >&2
        exit 1
    fi
    cp "$src/package.json" "$src/package-lock.json" "$work/"
    npm ci --prefix "$work" --no-audit --no-fund --loglevel=error
fi
cp "$src/validate.mjs" "$work/validate.mjs"

"$emit" >"$work/samples.jsonl"
node "$work/validate.mjs" "$data/mcp-schema-2025-11-25.json" "$data/mcp-schema-2026-07-28.json" \
    "$work/samples.jsonl"
