#!/usr/bin/env bash
# Serve speed: messages/s that `wstap serve --pace asap` sends to a real Python `websockets`
# client, against a Python `websockets` server sending the same messages, same run (as root, for
# the network namespace).
#
#   bench/serve.sh [--messages N] [--runs R]
#
# 1. records bench/out/serve-N.pcap (unless it is there): a Python `websockets` server sending N
#    (default 100000) small messages (8-120 B, text JSON and binary, no compression) to a
#    `websockets` client, captured by tcpdump on the `lo` of a network namespace of its own, and
#    exports it with `wstap export --format session` (real traffic, checked to hold N messages);
# 2. R times (default 3), in turn, each sender serves one client: `wstap serve SESSION --pace asap`
#    (release build, or $WSTAP) and the Python `websockets` server sending the session's server
#    messages (serve_peers.py python-server); each is read once by the real Python `websockets`
#    client and once by a counting client without `websockets` on its receiving path (so the
#    client is not what limits the sender). The clients check they got all N messages and
#    measure from their 101 to the last one.  Prints messages/s (medians) and the ratios.
# Timings are wall clock on whatever else the machine is doing: compare the ratios, measured in
# the same run, rather than the absolute figures.
set -euo pipefail
cd "$(dirname "$0")/.."

messages=100000
runs=3
while [ $# -gt 0 ]; do
    case "$1" in
        --messages) messages="$2"; shift 2 ;;
        --runs) runs="$2"; shift 2 ;;
        -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench/serve.sh: unknown argument $1 (try --help)" >&2; exit 64 ;;
    esac
done
if [ "$(id -u)" != 0 ]; then
    echo "bench/serve.sh: run as root (it works in a network namespace of its own)" >&2
    exit 1
fi
command -v tcpdump >/dev/null || { apt-get update -qq; apt-get install -y -qq tcpdump >/dev/null; }
scripts/install-dependencies.sh

if [ -z "${WSTAP:-}" ]; then
    echo "== swift build -c release"
    swift build -c release --product wstap 2>&1 | tail -1
    WSTAP="$(swift build -c release --show-bin-path)/wstap"
fi
peers="$(pwd)/bench/serve_peers.py"
ns=wstap-serve-bench
port=9500
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
wait_file() { for _ in $(seq 300); do [ -e "$1" ] && return 0; sleep 0.1; done; echo "bench/serve.sh: timeout waiting for $1" >&2; exit 1; }

ip netns del "$ns" 2>/dev/null || true
ip netns add "$ns"
inns ip link set lo up

mkdir -p bench/out
pcap="bench/out/serve-${messages}.pcap"
session="bench/out/serve-${messages}.session.json"
if [ ! -f "$session" ]; then
    echo "== recording $pcap: a websockets server sending $messages small messages"
    # `ip netns exec` itself (not the inns function) so that $! is the process to stop.
    ip netns exec "$ns" tcpdump -Z root -s 0 -U -B 262144 -i lo -w "$work/rec.pcap" "tcp port $port" 2>"$work/tcpdump.err" &
    dump=$!; pids+=("$dump")
    for _ in $(seq 100); do grep -q "listening on" "$work/tcpdump.err" && break; sleep 0.1; done
    ip netns exec "$ns" python3 "$peers" record-server --port "$port" --ready "$work/rec-ready" --messages "$messages" &
    recserver=$!; pids+=("$recserver")
    wait_file "$work/rec-ready"
    inns python3 "$peers" record-client --port "$port" --messages "$messages"
    last=-1; while [ "$(stat -c %s "$work/rec.pcap")" != "$last" ]; do last=$(stat -c %s "$work/rec.pcap"); sleep 1; done
    kill -TERM "$dump" "$recserver"; wait "$dump" "$recserver" || true
    cp "$work/rec.pcap" "$pcap"
    "$WSTAP" export "$pcap" --format session -o "$session.partial"
    found=$(python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
print(sum(1 for c in doc["connections"] for m in c["messages"] if m["from"] == "server" and m["opcode"] in ("text", "binary") and not m["incomplete"]))' "$session.partial")
    if [ "$found" != "$messages" ]; then
        echo "bench/serve.sh: the recording holds $found complete server messages, not $messages" >&2
        exit 1
    fi
    mv "$session.partial" "$session"
fi
echo "== $session: $messages server messages ($(( $(stat -c %s "$session") >> 20 )) MiB)"

port=$((port + 1))
ip netns exec "$ns" python3 "$peers" python-server --port "$port" --ready "$work/py-ready" --session "$session" &
pids+=($!)
wait_file "$work/py-ready"
serve_port=$((port + 1))

# measure NAME CLIENT URL: runs the client (client|counter) against URL; prints its messages/s.
measure() {
    local name="$1" kind="$2" url="$3"
    inns python3 "$peers" "$kind" --url "$url" --messages "$messages" > "$work/client.json" 2> "$work/client.err" \
        || { echo "bench/serve.sh: $name: the client failed:" >&2; tail -5 "$work/client.err" >&2; exit 1; }
    python3 - "$name" "$(cat "$work/client.json")" <<'PY'
import json, sys
o = json.loads(sys.argv[2])
print(f"   {sys.argv[1]}: {o['messages']} messages in {o['seconds']:.3f} s = {o['messages_per_second']:,.0f} messages/s", file=sys.stderr)
print(o["messages_per_second"])
PY
}

# wstap NAME CLIENT: one `wstap serve` for one client.
wstap() {
    ip netns exec "$ns" "$WSTAP" serve "$session" --pace asap --listen "127.0.0.1:$serve_port" --max-clients 1 > "$work/serve.out" 2> "$work/serve.err" &
    local pid=$!
    for _ in $(seq 300); do grep -q "serving " "$work/serve.err" && break; sleep 0.05; done
    measure "$1" "$2" "ws://127.0.0.1:$serve_port/bench/serve"
    wait "$pid" || { echo "bench/serve.sh: wstap serve exited $? (a client message differed?):" >&2; tail -3 "$work/serve.out" >&2; }
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "== $runs runs each, alternating"
wc=(); pc=(); wr=(); pr=()
for i in $(seq "$runs"); do
    wc+=("$(wstap "wstap serve --pace asap → Python websockets client, run $i" client)")
    pc+=("$(measure "Python websockets server → Python websockets client, run $i" client "ws://127.0.0.1:$port/bench/serve")")
    wr+=("$(wstap "wstap serve --pace asap → counting client, run $i" counter)")
    pr+=("$(measure "Python websockets server → counting client, run $i" counter "ws://127.0.0.1:$port/bench/serve")")
done
w1=$(printf '%s\n' "${wc[@]}" | median); p1=$(printf '%s\n' "${pc[@]}" | median)
w2=$(printf '%s\n' "${wr[@]}" | median); p2=$(printf '%s\n' "${pr[@]}" | median)
results="bench/out/serve-results-${messages}.md"
awk -v n="$messages" -v w1="$w1" -v p1="$p1" -v w2="$w2" -v p2="$p2" -v r="$runs" -v d="$(date -u +%Y-%m-%d)" 'BEGIN {
    printf "%d small server messages (recorded), median of %d runs, %s\n\n", n, r, d
    print "| sender | client | messages/s | vs Python websockets server |"
    print "|---|---|---|---|"
    printf "| `wstap serve --pace asap` | Python `websockets` | %.0f | %.2f× |\n", w1, w1 / p1
    printf "| Python `websockets` server | Python `websockets` | %.0f | 1× |\n", p1
    printf "| `wstap serve --pace asap` | counting client | %.0f | %.2f× |\n", w2, w2 / p2
    printf "| Python `websockets` server | counting client | %.0f | 1× |\n", p2
}' > "$results"
echo
cat "$results"
