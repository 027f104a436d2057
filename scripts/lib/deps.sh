# shellcheck shell=bash
# The Debian packages toolgate needs to build and test, and how to install the
# missing ones. Sourced by scripts/demo, scripts/test, scripts/fuzz and
# .ci/run: the list lives here only.

TOOLGATE_PACKAGES=(
    build-essential
    cmake
    pkg-config
    libjson-c-dev
    libcurl4-openssl-dev
    uthash-dev
    libcmocka-dev
    libmicrohttpd-dev
    libssl-dev
    libhiredis-dev
    redis-server
    valgrind
    curl
    # promtool, which checks the metrics of `toolgate serve` (a test);
    # installing it on a machine with systemd also starts a Prometheus there.
    prometheus
    # The Python binding's tests (bindings/python): Debian's interpreter with
    # pytest and mypy; venv, setuptools and wheel for its pip-install test.
    python3-pytest
    python3-mypy
    python3-venv
    python3-setuptools
    python3-wheel
)

# Node.js and npm run the MCP schema test (tests/mcp_schema/run.sh); Debian 12
# names their packages nodejs and npm. What is needed is the commands, not
# these exact packages: an image may carry another build of Node.js whose
# nodejs package bundles npm and conflicts with Debian's npm, so each package
# here is installed only when its command is missing. Entries: command:package.
TOOLGATE_COMMAND_PACKAGES=(
    node:nodejs
    npm:npm
)

# Run a command as root: directly when we are root, else through sudo.
toolgate_as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        echo "toolgate: need root (or sudo) to run: $*" >&2
        return 1
    fi
}

# Print the packages of TOOLGATE_COMMAND_PACKAGES whose command is missing.
toolgate_missing_command_packages() {
    local entry
    for entry in "${TOOLGATE_COMMAND_PACKAGES[@]}"; do
        if ! command -v "${entry%%:*}" >/dev/null 2>&1; then
            echo "${entry#*:}"
        fi
    done
}

# Succeed when the Debian package is installed. (Not `dpkg -s | grep -q`:
# grep stops at the first match, and under pipefail the SIGPIPE dpkg then
# gets on a long status, such as prometheus's, would read as "missing".)
toolgate_package_installed() {
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

# Print the packages of TOOLGATE_PACKAGES that are not installed, and those of
# TOOLGATE_COMMAND_PACKAGES whose command is missing, one a line.
toolgate_missing_packages() {
    local p
    for p in "${TOOLGATE_PACKAGES[@]}"; do
        if ! toolgate_package_installed "$p"; then
            echo "$p"
        fi
    done
    toolgate_missing_command_packages
}

# apt-get update and install all of TOOLGATE_PACKAGES, and the command
# packages whose command is missing (CI: always).
toolgate_install_all_packages() {
    local commands
    mapfile -t commands < <(toolgate_missing_command_packages)
    toolgate_as_root env DEBIAN_FRONTEND=noninteractive apt-get update
    toolgate_as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y --no-install-recommends "${TOOLGATE_PACKAGES[@]}" "${commands[@]}"
}

# apt-get update and install the packages given; do nothing (and need no
# root) when none is given.
toolgate_apt_install() {
    if [ "$#" -eq 0 ]; then
        return 0
    fi
    echo "toolgate: installing missing packages: $*" >&2
    toolgate_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    toolgate_as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "$@"
}

# Install only what is missing; do nothing (and need no root) when all is there.
toolgate_install_missing_packages() {
    local missing
    mapfile -t missing < <(toolgate_missing_packages)
    toolgate_apt_install "${missing[@]}"
}

# Install those of the packages given that are missing: what one script needs
# beyond TOOLGATE_PACKAGES (scripts/fuzz: clang and its libFuzzer runtime).
toolgate_install_extra_packages() {
    local p missing=()
    for p in "$@"; do
        if ! toolgate_package_installed "$p"; then
            missing+=("$p")
        fi
    done
    toolgate_apt_install "${missing[@]}"
}
