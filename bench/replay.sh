#!/usr/bin/env bash
# Replay speed: `wstap replay --pace asap` against a Python `websockets` client, same messages,
# same sink server, same run (as root, for the network namespace).
#
#   bench/replay.sh [--messages N] [--runs R]
#
# 1. records bench/out/replay-N.pcap (unless it is there): a Python `websockets` client sending N
#    (default 100000) small messages (8-120 B, text JSON and binary, no compression) to a
#    `websockets` server, captured by tcpdump on the `lo` of a network namespace of its own, and
#    exports it with `wstap export --format session` (real traffic, checked to hold N messages);
# 2. starts the sink (replay_peers.py sink: answers the handshake, counts frames, answers nothing)
#    and measures its ceiling with pre-encoded frames written in large writes (`blast`);
# 3. R times (default 3), in turn: `wstap replay SESSION --pace asap` (release build) and the
#    Python `websockets` client sending the same messages; the sink reports how many messages it
#    got and the time from its 101 to the last one.  Prints messages/s (median) and the ratio.
# Timings are wall clock on whatever else the machine is doing: compare the ratio, measured in
# the same run, rather than the absolute figures.
set -euo pipefail
cd "$(dirname "$0")/.."

messages=100000
runs=3
while [ $# -gt 0 ]; do
    case "$1" in
        --messages) messages="$2"; shift 2 ;;
        --runs) runs="$2"; shift 2 ;;
        -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench/replay.sh: unknown argument $1 (try --help)" >&2; exit 64 ;;
    esac
done
if [ "$(id -u)" != 0 ]; then
    echo "bench/replay.sh: run as root (it works in a network namespace of its own)" >&2
    exit 1
fi
command -v tcpdump >/dev/null || { apt-get update -qq; apt-get install -y -qq tcpdump >/dev/null; }
scripts/install-dependencies.sh

if [ -z "${WSTAP:-}" ]; then
    echo "== swift build -c release"
    swift build -c release 2>&1 | tail -1
    WSTAP="$(swift build -c release --show-bin-path)/wstap"
fi
peers="$(pwd)/bench/replay_peers.py"
ns=wstap-replay-bench
port=9400
work="$(mktemp -d)"
chmod 777 "$work"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
inns() { ip netns exec "$ns" "$@"; }
wait_file() { for _ in $(seq 300); do [ -e "$1" ] && return 0; sleep 0.1; done; echo "bench/replay.sh: timeout waiting for $1" >&2; exit 1; }

ip netns del "$ns" 2>/dev/null || true
ip netns add "$ns"
inns ip link set lo up

mkdir -p bench/out
pcap="bench/out/replay-${messages}.pcap"
session="bench/out/replay-${messages}.session.json"
if [ ! -f "$session" ]; then
    echo "== recording $pcap: a websockets client sending $messages small messages"
    # tcpdump first, then the server (sockets opened before the capture are not always seen on lo);
    # a 256 MiB kernel buffer so that no packet is dropped while the client sends at full speed.
    inns tcpdump -Z root -s 0 -U -B 262144 -i lo -w "$work/rec.pcap" "tcp port $port" 2>"$work/tcpdump.err" &
    dump=$!; pids+=("$dump")
    for _ in $(seq 100); do grep -q "listening on" "$work/tcpdump.err" && break; sleep 0.1; done
    inns python3 "$peers" record-server --port "$port" --ready "$work/rec-ready" &
    recserver=$!; pids+=("$recserver")
    wait_file "$work/rec-ready"
    inns python3 "$peers" record-client --port "$port" --messages "$messages"
    # Let tcpdump drain its buffer before SIGINT (it stops without draining).
    last=-1; while [ "$(stat -c %s "$work/rec.pcap")" != "$last" ]; do last=$(stat -c %s "$work/rec.pcap"); sleep 1; done
    kill -TERM "$dump" "$recserver"; wait "$dump" "$recserver" || true
    sed 's/^/   tcpdump: /' "$work/tcpdump.err" | grep -v "listening on"
    cp "$work/rec.pcap" "$pcap"
    "$WSTAP" export "$pcap" --format session -o "$session.partial"
    found=$(python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
print(sum(1 for c in doc["connections"] for m in c["messages"] if m["from"] == "client" and m["opcode"] in ("text", "binary") and not m["incomplete"]))' "$session.partial")
    if [ "$found" != "$messages" ]; then
        echo "bench/replay.sh: the recording holds $found complete client messages, not $messages" >&2
        exit 1
    fi
    mv "$session.partial" "$session"
fi
echo "== $session: $messages client messages ($(( $(stat -c %s "$session") >> 20 )) MiB)"

port=$((port + 1))
inns python3 "$peers" sink --port "$port" --ready "$work/sink-ready" > "$work/sink.jsonl" &
pids+=($!)
wait_file "$work/sink-ready"

# run NAME CMD...: runs CMD in the namespace; prints the sink's messages/s for it (and checks the count).
run() {
    local name="$1"; shift
    local before after line start end
    before=$(wc -l < "$work/sink.jsonl")
    start=$(date +%s.%N)
    inns "$@" > "$work/out.txt" 2>&1 || { echo "bench/replay.sh: $name failed:" >&2; tail -5 "$work/out.txt" >&2; exit 1; }
    end=$(date +%s.%N)
    for _ in $(seq 100); do after=$(wc -l < "$work/sink.jsonl"); [ "$after" -gt "$before" ] && break; sleep 0.05; done
    line=$(tail -1 "$work/sink.jsonl")
    python3 - "$name" "$messages" "$start" "$end" "$line" <<'PY'
import json, sys
name, expected, start, end, line = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
o = json.loads(line)
if o["messages"] != expected:
    sys.exit(f"bench/replay.sh: {name}: the sink got {o['messages']} messages, not {expected}")
print(f"   {name}: {o['messages']} messages in {o['seconds']:.3f} s = {o['messages_per_second']:,.0f} messages/s "
      f"(whole command {float(end) - float(start):.2f} s)", file=sys.stderr)
print(o["messages_per_second"])
PY
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "== the sink's ceiling (pre-encoded frames, large writes)"
ceiling=$(run "blast" python3 "$peers" blast --port "$port" --session "$session")
echo "== $runs runs each, alternating"
wstap_rates=(); python_rates=()
for i in $(seq "$runs"); do
    wstap_rates+=("$(run "wstap replay --pace asap, run $i" "$WSTAP" replay "$session" --target "ws://127.0.0.1:$port" --pace asap)")
    python_rates+=("$(run "python websockets client, run $i" python3 "$peers" python-client --port "$port" --session "$session")")
done
w=$(printf '%s\n' "${wstap_rates[@]}" | median)
p=$(printf '%s\n' "${python_rates[@]}" | median)
mkdir -p bench/out
results="bench/out/replay-results-${messages}.md"
awk -v n="$messages" -v w="$w" -v p="$p" -v c="$ceiling" -v r="$runs" -v d="$(date -u +%Y-%m-%d)" 'BEGIN {
    printf "%d small client messages (recorded), median of %d runs, %s\n\n", n, r, d
    print "| sender | messages/s | vs Python websockets |"
    print "|---|---|---|"
    printf "| `wstap replay --pace asap` | %.0f | %.2f× |\n", w, w / p
    printf "| Python `websockets` client | %.0f | 1× |\n", p
    printf "| sink ceiling (pre-encoded frames) | %.0f | %.2f× |\n", c, c / p
}' > "$results"
echo
cat "$results"
