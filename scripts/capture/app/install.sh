#!/usr/bin/env bash
# Installs what is needed to RE-RECORD the application-protocol captures (captures/app/) with the
# scripts in this folder. The test suite does not need any of it: it reads the committed captures.
# Idempotent; run as root.
set -euo pipefail
need_apt=()
for pkg in tcpdump iproute2 ethtool curl mosquitto rabbitmq-server chromium nodejs node-mqtt; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need_apt[@]}"
fi
# The recording scripts start their brokers themselves; the Debian packages' own services are not used.
python3 -m pip install -q \
    'python-socketio>=5.11' 'aiohttp>=3.9' \
    'paho-mqtt>=2.1' \
    'strawberry-graphql>=0.240' 'gql[websockets]>=3.5' \
    'websockets>=12' 'jsonrpcserver>=5' 'jsonrpcclient>=4' \
    'stomp.py>=8.1'
