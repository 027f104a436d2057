#!/usr/bin/env bash
# Install check: install a built tree into a temporary prefix, then build and
# run a consumer against it with find_package(toolgate) and with pkg-config,
# also after moving the prefix elsewhere (the installed tree is relocatable).
#
#   tests/install/run.sh BUILD_DIR
#
# BUILD_DIR must be fully built (`cmake --build BUILD_DIR`). Temporary
# directories are removed on exit.
set -euo pipefail

if [ $# -ne 1 ] || [ ! -f "$1/CMakeCache.txt" ]; then
    echo "usage: $0 BUILD_DIR (a configured and built toolgate build tree)" >&2
    exit 2
fi
BUILD=$(cd "$1" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/toolgate-install.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

fail() {
    echo "install check: $*" >&2
    exit 1
}

step() {
    echo "== $*"
}

# Run a command quietly; show its output only when it fails.
quiet() {
    local log="$TMP/last.log"
    if ! "$@" >"$log" 2>&1; then
        cat "$log" >&2
        fail "command failed: $*"
    fi
}

# A sanitizer build installs instrumented libraries: consumers need the flags.
SANITIZE=$(sed -n 's/^TOOLGATE_SANITIZE:[A-Z]*=//p' "$BUILD/CMakeCache.txt")
SAN_FLAGS=""
if [ -n "$SANITIZE" ]; then
    SAN_FLAGS="-fsanitize=$SANITIZE -fno-omit-frame-pointer"
fi
CC=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$BUILD/CMakeCache.txt")
CC=${CC:-cc}

EXPECTED="$TMP/expected.txt"
cat >"$EXPECTED" <<'EOF'
toolgate 0.1.0
gmail_send_email user_123 ALLOW
gmail_send_email user_456 NEEDS_AUTHORIZATION https://connect.example.com/authorize?connection=gmail&identifier=user_456
slack_post_message user_123 NEEDS_AUTHORIZATION https://connect.example.com/authorize?connection=slack&identifier=user_123
calendar_create_event user_123 DENY
gmail_send_email user_123 ALLOW
json ok
EOF

# expect_verdicts NAME [--module PATH] [VAR=VALUE...] BINARY
# Run a consumer (through the loadable provider module when --module is
# given) and compare what it prints with the expected verdicts.
expect_verdicts() {
    local name=$1 module=()
    shift
    if [ "$1" = --module ]; then
        module=("$2")
        shift 2
    fi
    local data="$TMP/data-$name" out="$TMP/out-$name.txt" err="$TMP/err-$name.txt"
    mkdir -p "$data"
    if ! env "$@" "$data" "${module[@]}" >"$out" 2>"$err"; then
        cat "$out" "$err" >&2
        fail "$name: the consumer failed"
    fi
    diff -u "$EXPECTED" "$out" >&2 || fail "$name: unexpected verdicts"
    echo "   $name: verdicts as expected"
}

# ---- install ---------------------------------------------------------------
PREFIX="$TMP/prefix"
step "install into $PREFIX"
quiet cmake --install "$BUILD" --prefix "$PREFIX"

PC=$(find "$PREFIX" -name toolgate.pc -path '*/pkgconfig/*' -print -quit)
[ -n "$PC" ] || fail "no toolgate.pc installed"
PCDIR=$(dirname "$PC")
LIBDIR=$(dirname "$PCDIR")
LIBREL=${LIBDIR#"$PREFIX"/}
for f in include/toolgate/toolgate.h include/toolgate/provider.h \
         "$LIBREL/libtoolgate.so" "$LIBREL/libtoolgate.a" \
         "$LIBREL/cmake/toolgate/toolgateConfig.cmake" \
         "$LIBREL/cmake/toolgate/toolgateConfigVersion.cmake" \
         "$LIBREL/cmake/toolgate/toolgateTargets.cmake" \
         "$LIBREL/toolgate/toolgate-provider-file.so" bin/toolgate bin/scalekit-dev; do
    [ -e "$PREFIX/$f" ] || fail "not installed: $f"
done
# Internal headers stay internal. (Lists are captured first: with pipefail,
# an early-exiting `grep -q` could turn a match into a failed pipeline.)
HEADERS=$(cd "$PREFIX/include" && find . -name '*.h' | sort | tr '\n' ' ')
[ "$HEADERS" = "./toolgate/provider.h ./toolgate/toolgate.h " ] ||
    fail "installed headers: $HEADERS"
# shellcheck disable=SC2016 # a literal ${pcfiledir}
grep -q '^prefix=${pcfiledir}' "$PC" || fail "toolgate.pc is not relocatable: $(grep '^prefix=' "$PC")"
# Only the public API leaves the shared library.
LIB_SYMS=$(nm -D --defined-only "$LIBDIR/libtoolgate.so" | awk '{print $3}')
BAD_SYMS=$(printf '%s\n' "$LIB_SYMS" | grep -v -e '^tg_' -e '^_' -e '^$' || true)
[ -z "$BAD_SYMS" ] || fail "libtoolgate.so exports non-tg_ symbols: $BAD_SYMS"
BAD_SYMS=$(printf '%s\n' "$LIB_SYMS" | grep '^tg__' || true)
[ -z "$BAD_SYMS" ] || fail "libtoolgate.so exports internal symbols: $BAD_SYMS"
MODULE_SYMS=$(nm -D --defined-only "$LIBDIR/toolgate/toolgate-provider-file.so" |
    awk '$3 !~ /^_/ {print $3}')
[ "$MODULE_SYMS" = "tg_provider_entry" ] || fail "the provider module exports: $MODULE_SYMS"
MODULE_DEPS=$(ldd "$LIBDIR/toolgate/toolgate-provider-file.so")
case "$MODULE_DEPS" in
    *libtoolgate*) fail "the provider module links libtoolgate" ;;
esac

# ---- find_package ------------------------------------------------------------
build_cmake_consumer() {
    local name=$1 prefix=$2
    quiet cmake -S "$HERE/consumer" -B "$TMP/cmake-$name" \
        -DCMAKE_C_COMPILER="$CC" -DCMAKE_PREFIX_PATH="$prefix" \
        -DCMAKE_C_FLAGS="$SAN_FLAGS" -DCMAKE_EXE_LINKER_FLAGS="$SAN_FLAGS"
    quiet cmake --build "$TMP/cmake-$name"
}

step "find_package(toolgate) against $PREFIX"
build_cmake_consumer installed "$PREFIX"
expect_verdicts cmake-shared "$TMP/cmake-installed/consumer"
expect_verdicts cmake-static "$TMP/cmake-installed/consumer_static"
expect_verdicts cmake-module --module "$LIBDIR/toolgate/toolgate-provider-file.so" \
    "$TMP/cmake-installed/consumer"

# ---- pkg-config --------------------------------------------------------------
build_pc_consumer() {
    local name=$1 pcdir=$2 flags
    flags=$(PKG_CONFIG_PATH="$pcdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}" \
        pkg-config --cflags --libs toolgate) || fail "pkg-config --cflags --libs toolgate failed"
    # shellcheck disable=SC2086 # flags are words
    quiet "$CC" -std=c99 -Wall -Wextra -Werror $SAN_FLAGS -o "$TMP/pc-$name" \
        "$HERE/consumer/main.c" $flags
}

step "pkg-config against $PREFIX"
build_pc_consumer installed "$PCDIR"
expect_verdicts pkgconfig LD_LIBRARY_PATH="$LIBDIR" "$TMP/pc-installed"

# ---- the prefix moved --------------------------------------------------------
MOVED="$TMP/elsewhere/toolgate"
step "prefix moved to $MOVED"
mkdir -p "$(dirname "$MOVED")"
mv "$PREFIX" "$MOVED"
MPCDIR="$MOVED/${PCDIR#"$PREFIX"/}"
MLIBDIR="$MOVED/$LIBREL"
[ ! -e "$PREFIX" ] || fail "the old prefix still exists"

CFLAGS_MOVED=$(PKG_CONFIG_PATH="$MPCDIR${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}" pkg-config --cflags toolgate)
case " $CFLAGS_MOVED " in
    *" -I$MPCDIR/../../include "* | *" -I$MOVED/include "*) ;;
    *) fail "pkg-config --cflags after the move: $CFLAGS_MOVED" ;;
esac
build_pc_consumer moved "$MPCDIR"
expect_verdicts pkgconfig-moved LD_LIBRARY_PATH="$MLIBDIR" "$TMP/pc-moved"
# The binary built before the move finds the library at its new place too.
expect_verdicts pkgconfig-moved-old-binary LD_LIBRARY_PATH="$MLIBDIR" "$TMP/pc-installed"

build_cmake_consumer moved "$MOVED"
expect_verdicts cmake-moved "$TMP/cmake-moved/consumer"
expect_verdicts cmake-moved-static "$TMP/cmake-moved/consumer_static"
expect_verdicts cmake-moved-module --module "$MLIBDIR/toolgate/toolgate-provider-file.so" \
    "$TMP/cmake-moved/consumer"

# The installed command finds its library relative to itself.
VERSION_OUT=$("$MOVED/bin/toolgate" --version 2>&1) || fail "toolgate --version failed: $VERSION_OUT"
case "$VERSION_OUT" in
    *0.1.0*) echo "   bin/toolgate --version: $VERSION_OUT" ;;
    *) fail "toolgate --version printed: $VERSION_OUT" ;;
esac

echo "install check: all passed"
