#!/usr/bin/env bash
# Records captures/replay-echo.pcap and its truth file: record_client.py talking to echo_server.py
# on lo, captured with tcpdump. Run as root from anywhere; overwrites both files.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../../captures"
work="$(mktemp -d)"
trap 'kill "${server_pid:-}" "${dump_pid:-}" 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
port=9201
# No BPF filter while capturing (kernel filtering on lo drops everything in some sandboxes);
# the port filter is applied offline below.
tcpdump -Z root -i lo -s 0 -U -w "$work/all.pcap" &
dump_pid=$!
sleep 2
# The server starts after tcpdump: in some sandboxes only sockets opened after the capture began
# are seen on lo.
python3 "$here/../../Tests/Peers/echo_server.py" --port "$port" --ready "$work/ready" --truth "$work/server.jsonl" &
server_pid=$!
for _ in $(seq 50); do [ -f "$work/ready" ] && break; sleep 0.1; done
python3 "$here/record_client.py" --port "$port" --truth "$work/client.jsonl"
sleep 0.5
kill -TERM "$dump_pid"; wait "$dump_pid" || true
tcpdump -r "$work/all.pcap" -w "$out/replay-echo.pcap" "tcp port $port"
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
# Both peers' lines, in send order (the format of the other truth files).
cat "$work/client.jsonl" "$work/server.jsonl" | python3 -c '
import json, sys
lines = [json.loads(l) for l in sys.stdin if l.strip()]
lines.sort(key=lambda o: o["ts"])
for o in lines: print(json.dumps(o, ensure_ascii=False))
' > "$out/replay-echo.truth.jsonl"
echo "wrote $out/replay-echo.pcap and replay-echo.truth.jsonl"
