#!/usr/bin/env bash
# Installs what wstap's build and tests need on a Debian-like machine, and nothing that is already
# there: libpcap's headers and pkg-config (build), openssl (the replay TLS test makes a certificate)
# and the Python `websockets` package that the test peers in Tests/Peers use. Run as root (or with
# sudo available); it is what README.md's build and test commands start with, and .ci/run runs it.
set -euo pipefail

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        echo "install-dependencies: need root to run: $*" >&2; exit 1
    fi
}

packages=()
command -v pkg-config >/dev/null || packages+=(pkg-config)
{ command -v pkg-config >/dev/null && pkg-config --exists libpcap; } || packages+=(libpcap-dev)
command -v openssl >/dev/null || packages+=(openssl)
command -v python3 >/dev/null || packages+=(python3 python3-pip)
if [ "${#packages[@]}" -gt 0 ]; then
    echo "install-dependencies: apt-get install ${packages[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq
    as_root apt-get install -y -qq "${packages[@]}" >/dev/null
fi

# The test peers need websockets 13 or later (its asyncio API).
if ! python3 -c 'import websockets, sys; sys.exit(int(websockets.__version__.split(".")[0]) < 13)' 2>/dev/null; then
    echo "install-dependencies: pip install websockets" >&2
    python3 -m pip --version >/dev/null 2>&1 || as_root apt-get install -y -qq python3-pip >/dev/null
    python3 -m pip install --quiet --upgrade 'websockets>=13' 2>/dev/null \
        || python3 -m pip install --quiet --upgrade --break-system-packages 'websockets>=13'
fi
