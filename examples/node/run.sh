#!/usr/bin/env bash
# ctest node_examples: install the examples' packages from package-lock.json
# (toolgate itself copied from bindings/node, as from the registry), run each
# example against the library given, and check that the connected user's
# call ran and the expired user's was blocked with the link.
#   run.sh LIBTOOLGATE
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
binding="$here/../../bindings/node"
mapfile -t sources < <(cd "$binding" && find package.json index.js index.mjs index.d.ts lib -type f | sort)
"$here/../../scripts/lib/npm-ci" "$here" "${sources[@]/#/$binding/}"
TOOLGATE_LIBRARY="$(realpath "$1")"
export TOOLGATE_LIBRARY
# shellcheck source=SCRIPTDIR/../../scripts/lib/sanitizer_preload.sh
. "$here/../../scripts/lib/sanitizer_preload.sh"
link='https://connect.example.com/authorize?connection=gmail&identifier=user_456'
status=0
for example in openai_agents langchain ai_sdk mcp_server; do
    out="$(cd "$here" && toolgate_sanitizer_preload "$TOOLGATE_LIBRARY" && node "$example.mjs")" || { echo "$example: exit $?" >&2; status=1; continue; }
    printf '%s\n' "$out"
    if ! grep -q '^user_123: .*ran the tool for user_123' <<<"$out"; then
        echo "$example: user_123's call did not run the tool" >&2
        status=1
    fi
    if grep -q 'ran the tool for user_456' <<<"$out" || ! grep -q "^user_456.*$link" <<<"$out"; then
        echo "$example: user_456's call was not blocked with its link" >&2
        status=1
    fi
done
exit "$status"
