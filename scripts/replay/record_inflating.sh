#!/usr/bin/env bash
# Records captures/replay-inflating.pcap: a python `websockets` client offering permessage-deflate
# sends one text message "go" to Tests/Peers/flood_server.py --mode zeros, which answers with
# COUNT (default 1000) binary messages of 1 MiB of zero bytes, then closes. Each message deflates
# about 1000:1, so the capture stays near 1 MB while its messages inflate to about 1 GiB: the input
# of replay's recording-budget test (Tests/EndToEndTests/ReplayResourceTests.swift).
# Run as root from anywhere; overwrites the capture.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
peers="$here/../../Tests/Peers"
out="$here/../../captures/replay-inflating.pcap"
count="${COUNT:-1000}"
work="$(mktemp -d)"
trap 'kill "${server_pid:-}" "${dump_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
port=9211
# As in record.sh: no BPF filter while capturing, the port filter is applied offline.
tcpdump -Z root -i lo -s 0 -U -w "$work/all.pcap" 2>/dev/null &
dump_pid=$!
sleep 2
python3 "$peers/flood_server.py" --mode zeros --port "$port" --count "$count" --ready "$work/ready" &
server_pid=$!
for _ in $(seq 50); do [ -f "$work/ready" ] && break; sleep 0.1; done
python3 - "$port" "$count" <<'PY'
import asyncio, sys
from websockets.asyncio.client import connect

async def main(port, count):
    async with connect(f"ws://127.0.0.1:{port}/zeros", compression="deflate", max_size=None, ping_interval=None) as ws:
        await ws.send("go")
        for _ in range(count):
            message = await ws.recv()
            assert message == bytes(len(message)) and len(message) == 1 << 20
        await ws.wait_closed()

asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
PY
sleep 0.5
kill -TERM "$dump_pid"; wait "$dump_pid" || true
tcpdump -r "$work/all.pcap" -w "$out" "tcp port $port" 2>/dev/null
echo "wrote $out ($(stat -c %s "$out") bytes)"
