#!/usr/bin/env bash
# Re-records every application-protocol capture in captures/app/ (as root; needs what
# install.sh installs). Set WSTAP_APP_OUT=DIR to write somewhere else instead.
# Usage: scripts/capture/app/record_all.sh [socketio|mqtt|mqttjs|graphql|jsonrpc|jsonrpc2|stomp ...]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(socketio mqtt mqttjs graphql jsonrpc jsonrpc2 stomp)
for n in "${names[@]}"; do
    python3 "$here/record_$n.py"
done
