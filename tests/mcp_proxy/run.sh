#!/usr/bin/env bash
# ctest mcp_proxy_sdk: the official MCP TypeScript SDK client drives
# `toolgate mcp-proxy` in front of the MCP reference server, with the
# scalekit provider against scalekit-dev (sdk.test.mjs, node --test).
# Node.js is required: without it the test fails (it does not skip). The
# packages are installed with `npm ci` from the committed package-lock.json
# into the build tree (tests/lib/npm_ci.sh).
#   run.sh TOOLGATE SCALEKIT_DEV SOURCE_DIR WORK_DIR
set -euo pipefail

toolgate=$1 dev=$2 src=$3 work=$4

# shellcheck source=SCRIPTDIR/../lib/npm_ci.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/npm_ci.sh"
toolgate_npm_ci mcp_proxy_sdk "$src" "$work" @modelcontextprotocol/sdk
cp "$src/sdk.test.mjs" "$work/sdk.test.mjs"

TOOLGATE="$toolgate" SCALEKIT_DEV="$dev" WORK_DIR="$work" \
    node --test --test-concurrency=1 "$work/sdk.test.mjs"
