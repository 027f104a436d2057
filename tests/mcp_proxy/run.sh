#!/usr/bin/env bash
# ctest mcp_proxy_sdk: the official MCP TypeScript SDK client drives
# `toolgate mcp-proxy` in front of the MCP reference server, with the
# scalekit provider against scalekit-dev (sdk.test.mjs, node --test).
# Node.js is required: without it the test fails (it does not skip). The
# packages are installed into the build tree from the committed
# package-lock.json by scripts/lib/npm-ci (npm ci, again only when the lock
# file changes).
#   run.sh TOOLGATE SCALEKIT_DEV SOURCE_DIR WORK_DIR
set -euo pipefail

toolgate=$1 dev=$2 src=$3 work=$4

mkdir -p "$work"
cp "$src/package.json" "$src/package-lock.json" "$src/sdk.test.mjs" "$work/"
"$src/../../scripts/lib/npm-ci" "$work"

TOOLGATE="$toolgate" SCALEKIT_DEV="$dev" WORK_DIR="$work" \
    node --test --test-concurrency=1 "$work/sdk.test.mjs"
