# shellcheck shell=bash
# Sourced by the npm-backed tests' run.sh: install a test's node packages with
# `npm ci` from its committed package-lock.json into a build-tree directory,
# once (again when the lock file changes). Needs the npm registry, or npm's
# cache. Node.js is required: without it the test fails (it does not skip).
#   toolgate_npm_ci TEST_NAME SOURCE_DIR WORK_DIR MARKER_PACKAGE
toolgate_npm_ci() {
    local name=$1 src=$2 work=$3 marker=$4

    if ! command -v node >/dev/null 2>&1; then
        echo "$name: node is not installed (Debian: nodejs and npm, see scripts/lib/deps.sh)" >&2
        return 1
    fi
    mkdir -p "$work"
    if [ ! -f "$work/node_modules/$marker/package.json" ] ||
        ! cmp -s "$src/package-lock.json" "$work/package-lock.json"; then
        if ! command -v npm >/dev/null 2>&1; then
            echo "$name: npm is not installed (Debian: npm, see scripts/lib/deps.sh)" >&2
            return 1
        fi
        cp "$src/package.json" "$src/package-lock.json" "$work/"
        npm ci --prefix "$work" --no-audit --no-fund --loglevel=error
    fi
}
