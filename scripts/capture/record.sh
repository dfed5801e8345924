#!/usr/bin/env bash
# record.sh — regenerate every capture in captures/ from real WebSocket peers.
#
# Usage: sudo scripts/capture/record.sh [SCENARIO...]   (no args = everything)
#
# Needs root (network namespaces + packet capture). Installs what is missing:
# tcpdump, tshark (+dumpcap, capinfos), ethtool, chromium (apt) and python
# `websockets` (pip). Each scenario runs in a fresh netns wstap-cap-N (lo up,
# MTU 1500, TSO/GSO/GRO off), deleted afterwards; nothing touches real NICs.
#
# Output per scenario NAME (see captures/README.md for the table):
#   captures/NAME.pcap | .pcapng   the capture (tcpdump -i lo unless noted)
#   captures/NAME.truth.jsonl      ground truth, one JSON object per message sent,
#                                  written by the sending peer itself:
#     {"client": "IP:PORT", "server": "IP:PORT", "from": "client"|"server",
#      "opcode": "text"|"binary"|"ping"|"pong"|"close", "data_b64": "...",
#      "fragments": N, "compressed": bool, ["code": int, "reason": str,]  (close)
#      "auto": bool (library auto-reply: pong / close echo), "seq": n,
#      "frame_first": i, "frame_last": j, "ts": float, "logged_by": "...",
#      ["extensions": "permessage-deflate; ...",] ["before_capture": bool,]
#      ["cross_checked": true]}
#   Lines are sorted by ts (=> send order per connection and direction).
#
# Files: peers.py (websockets client/server scenarios), keepalive.py (HTTP
# keep-alive then upgrade, Sans-I/O), browser_server.py + browser_page.html
# (headless Chromium), truthlog.py (the truth hook), mangle.py (derived
# reordered/duplicated and lost-packet captures), record.py (orchestration,
# README generation), README.template.md.
set -euo pipefail

if [[ $EUID -ne 0 ]]; then
  echo "record.sh: must run as root (network namespaces, packet capture)" >&2
  exit 1
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

need_apt=()
command -v tcpdump  >/dev/null || need_apt+=(tcpdump)
command -v tshark   >/dev/null || need_apt+=(tshark)
command -v dumpcap  >/dev/null || need_apt+=(wireshark-common)
command -v capinfos >/dev/null || need_apt+=(wireshark-common)
command -v ethtool  >/dev/null || need_apt+=(ethtool)
command -v chromium >/dev/null || need_apt+=(chromium)
command -v ip       >/dev/null || need_apt+=(iproute2)
if ((${#need_apt[@]})); then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
fi
python3 -c 'import websockets, sys; sys.exit(int(websockets.__version__.split(".")[0]) < 14)' 2>/dev/null \
  || python3 -m pip install -q 'websockets>=14' \
  || python3 -m pip install -q --break-system-packages 'websockets>=14'

# stale namespaces from an interrupted run
for ns in $(ip netns list | awk '/^wstap-cap-/{print $1}'); do ip netns del "$ns"; done

exec python3 "$here/record.py" "$@"
