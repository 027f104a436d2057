#!/usr/bin/env bash
# ctest node_binding: the package's test suite (node's test runner) against
# the library given, its npm packages installed from package-lock.json.
#   run.sh LIBTOOLGATE SCALEKIT_DEV
set -euo pipefail

pkg="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$pkg/../../scripts/lib/npm-ci" "$pkg"
cd "$pkg"
TOOLGATE_LIBRARY="$(realpath "$1")" TOOLGATE_SCALEKIT_DEV="$(realpath "$2")"
export TOOLGATE_LIBRARY TOOLGATE_SCALEKIT_DEV
# shellcheck source=SCRIPTDIR/../../../scripts/lib/sanitizer_preload.sh
. "$pkg/../../scripts/lib/sanitizer_preload.sh"
toolgate_sanitizer_preload "$TOOLGATE_LIBRARY"
exec node --test test/*.test.mjs
