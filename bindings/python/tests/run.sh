#!/usr/bin/env bash
# Run the binding's pytest suites (ctest, bindings/python/CMakeLists.txt) with
# the given interpreter against $TOOLGATE_LIBRARY. A sanitizer build of the
# library gets its sanitizer's runtime preloaded into the interpreter
# (scripts/lib/sanitizer_preload.sh).
#   run.sh PYTHON PYTEST-ARGUMENT...
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
# shellcheck source=SCRIPTDIR/../../../scripts/lib/sanitizer_preload.sh
. "$root/scripts/lib/sanitizer_preload.sh"

python="$1"
shift
toolgate_sanitizer_preload "$TOOLGATE_LIBRARY"
exec "$python" -m pytest "$@"
