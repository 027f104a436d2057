# shellcheck shell=bash
# Loading a sanitizer build of libtoolgate into a program that is not built
# with the sanitizer (node, python3): the sanitizer's runtime must be loaded
# first, so it is preloaded. Sourced by the Node.js and Python bindings' test
# scripts.

# toolgate_sanitizer_preload LIBRARY: when LIBRARY links AddressSanitizer's
# or ThreadSanitizer's runtime, export LD_PRELOAD with that runtime first.
# Leak checking is turned off there: at exit node and python leave their own
# allocations, which are not the library's (valgrind memcheck covers the
# library's).
toolgate_sanitizer_preload() {
    local runtime
    runtime="$(ldd "$1" | awk '/lib(asan|tsan)\.so/ {print $3; exit}')"
    if [ -z "$runtime" ]; then
        return 0
    fi
    echo "toolgate: $1 is a sanitizer build: preloading $runtime" >&2
    export LD_PRELOAD="$runtime${LD_PRELOAD:+:$LD_PRELOAD}"
    export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
}
