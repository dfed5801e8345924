#!/usr/bin/env bash
# Live capture at line rate: the bench capture replayed with tcpreplay while `wstap sniff` and
# `tcpdump -w /dev/null` capture it side by side (as root).
#
#   bench/tcpreplay.sh [--size-mb N] [--rates "250 500 1000 top"] [--threads "1 2"]
#                      [--buffer-mb B] [--queue-mb Q] [--shape many|single|short]
#
# Replays bench/out/capture-NMB.pcap (default 600; capture-NMB-single/-short.pcap with --shape;
# recorded by bench/record.py as run.sh does, if missing) with `tcpreplay --mbps R` (`top`:
# --topspeed) onto the lo of a network namespace of its own (MTU 1500, offloads off). In the same
# run, in that namespace, `wstap sniff -i lo --filter 'tcp port 9300' --format jsonl --threads T
# > FILE` and `tcpdump -B B*1024 -i lo -w /dev/null 'tcp port 9300'` capture (both with a B MiB
# kernel buffer, default 32; wstap's --queue-size is Q MiB, default 64, its own default). Each
# rate is replayed once per thread count T of --threads (default "1 2"), one after the other,
# each time beside a tcpdump of its own. For each rate and thread count it prints the rate
# tcpreplay held (packets/s), the machine's load (uptime), wstap's kernel and queue drops, its CPU
# time (all threads) and peak RSS, how many of the peers' data messages it printed byte for byte
# (bench/check.py against the peers' logs), and tcpdump's kernel drops. The table is also written
# to bench/out/tcpreplay-results.md. Exits 1 if wstap lost a packet or a message at any rate and
# thread count.
set -euo pipefail
cd "$(dirname "$0")/.."

size_mb=600
rates="250 500 1000 top"
buffer_mb=32
queue_mb=64
threads_list="1 2"
shape=many
while [ $# -gt 0 ]; do
    case "$1" in
        --size-mb) size_mb="$2"; shift 2 ;;
        --rates) rates="$2"; shift 2 ;;
        --buffer-mb) buffer_mb="$2"; shift 2 ;;
        --queue-mb) queue_mb="$2"; shift 2 ;;
        --threads) threads_list="$2"; shift 2 ;;
        --shape) shape="$2"; shift 2 ;;
        -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench/tcpreplay.sh: unknown argument $1 (try --help)" >&2; exit 64 ;;
    esac
done
case "$shape" in
    many) suffix="" ;;
    single|short) suffix="-$shape" ;;
    *) echo "bench/tcpreplay.sh: --shape is many, single or short" >&2; exit 64 ;;
esac
if [ "$(id -u)" != 0 ]; then
    echo "bench/tcpreplay.sh: run as root (it replays into a network namespace of its own)" >&2
    exit 1
fi
for tool in tcpreplay tcpdump ip; do
    command -v "$tool" >/dev/null || { echo "bench/tcpreplay.sh: needs $tool (apt-get install tcpreplay tcpdump iproute2)" >&2; exit 1; }
done
if [ -z "${WSTAP:-}" ]; then
    echo "== swift build -c release"
    swift build -c release 2>&1 | tail -1
    WSTAP="$(swift build -c release --show-bin-path)/wstap"
fi
mkdir -p bench/out
capture="bench/out/capture-${size_mb}MB${suffix}.pcap"
if [ ! -f "$capture" ] || [ ! -f "$capture.truth.jsonl" ]; then
    echo "== recording $capture ($size_mb MiB, shape $shape)"
    python3 bench/record.py "$capture" --size-mb "$size_mb" --shape "$shape"
fi
packets=$(tcpdump -r "$capture" -qn 2>/dev/null | wc -l)

ns=wstap-tcpreplay
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
}
trap cleanup EXIT
ip netns del "$ns" 2>/dev/null || true
ip netns add "$ns"
ip -n "$ns" link set lo mtu 1500 up
ip netns exec "$ns" ethtool -K lo tso off gso off gro off >/dev/null 2>&1 || true
in_ns() { ip netns exec "$ns" "$@"; }

# wait_for_line FILE TEXT: until FILE contains TEXT (at most 20 s).
wait_for_line() {
    for _ in $(seq 200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
    echo "bench/tcpreplay.sh: no '$2' in $1:" >&2; cat "$1" >&2; exit 1
}

results=bench/out/tcpreplay-results.md
{
    printf '%s (%s packets, %s MiB, %s connections), wstap and tcpdump with %s MiB kernel buffers, wstap queue %s MiB, %s cores (nproc), %s\n\n' \
        "$capture" "$packets" "$(( $(stat -c %s "$capture") >> 20 ))" "$(( $(wc -l < "$capture.truth.jsonl") / 2 ))" \
        "$buffer_mb" "$queue_mb" "$(nproc)" "$(date -u '+%Y-%m-%d %H:%M UTC')"
    echo '| rate | wstap --threads | packets/s held | load (1 min) | wstap kernel drops | wstap queue drops (high-water) | data messages printed | wstap CPU, peak RSS | tcpdump kernel drops |'
    echo '|---|---|---|---|---|---|---|---|---|'
} > "$results"
status=0
for rate in $rates; do
  for threads in $threads_list; do
    out="bench/out/tcpreplay-$rate.jsonl"
    rm -f "$out"
    echo "== $rate, --threads $threads: tcpreplay while wstap sniff and tcpdump capture"
    # Started directly (not through a shell function, which would fork a subshell): `ip netns exec`
    # execs the command, so $! is wstap itself and gets the SIGINT.
    ip netns exec "$ns" "$WSTAP" sniff -i lo --filter 'tcp port 9300' --format jsonl -B "$buffer_mb" --queue-size "$queue_mb" --stats-interval 0 \
        --threads "$threads" > "$out" 2> bench/out/tcpreplay-wstap.stderr &
    pids+=($!); wstap_pid=$!
    ip netns exec "$ns" tcpdump -i lo -B $(( buffer_mb * 1024 )) -w /dev/null 'tcp port 9300' 2> bench/out/tcpreplay-tcpdump.stderr &
    pids+=($!); tcpdump_pid=$!
    wait_for_line bench/out/tcpreplay-wstap.stderr "listening on"
    wait_for_line bench/out/tcpreplay-tcpdump.stderr "listening on"
    load_before=$(cut -d' ' -f1 /proc/loadavg)
    if [ "$rate" = top ]; then speed=(--topspeed); else speed=(--mbps "$rate"); fi
    in_ns tcpreplay -i lo "${speed[@]}" "$capture" > bench/out/tcpreplay.log 2>&1
    load_after=$(cut -d' ' -f1 /proc/loadavg)
    # Let both drain their buffers (blocks time out after 50 ms), then stop them.
    sleep 2
    # wstap's CPU time (user + system ticks) and peak RSS, read before it exits.
    cpu=$(awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$wstap_pid/stat")
    rss=$(awk '/^VmHWM:/ {print $2}' "/proc/$wstap_pid/status")
    kill -INT "$wstap_pid" "$tcpdump_pid"
    wait "$wstap_pid" || true
    wait "$tcpdump_pid" || true
    pids=()
    pps=$(sed -nE 's/.*Rated: .*, ([0-9.]+) pps.*/\1/p' bench/out/tcpreplay.log | head -1)
    mbps=$(sed -nE 's/.*Rated: .*, ([0-9.]+) Mbps,.*/\1/p' bench/out/tcpreplay.log | head -1)
    final=$(grep -h '"event":"stats"' "$out" | tail -1)
    kernel=$(sed -nE 's/.*"kernel_drops":([0-9]+).*/\1/p' <<<"$final")
    queue=$(sed -nE 's/.*"queue_drops":([0-9]+).*/\1/p' <<<"$final")
    high=$(sed -nE 's/.*"queue_high_water_packets":([0-9]+).*/\1/p' <<<"$final")
    tcpdump_drops=$(sed -nE 's/^([0-9]+) packets dropped by kernel.*/\1/p' bench/out/tcpreplay-tcpdump.stderr)
    check=$(python3 bench/check.py "$capture.truth.jsonl" < "$out" 2>&1) && ok=ok || { ok=FAILED; status=1; }
    printed=$(sed -nE 's/^check: printed ([0-9]+ of [0-9]+) data messages.*/\1/p' <<<"$check")
    [ "${kernel:-1}" = 0 ] && [ "${queue:-1}" = 0 ] || status=1
    label=$([ "$rate" = top ] && echo "top ($mbps Mbit/s)" || echo "$rate Mbit/s")
    printf '| %s | %s | %.0f | %s–%s | %s | %s (%s packets) | %s (%s) | %.1f s, %d MiB | %s |\n' \
        "$label" "$threads" "$pps" "$load_before" "$load_after" "$kernel" "$queue" "$high" "$printed" "$ok" \
        "$cpu" "$(( rss / 1024 ))" "${tcpdump_drops:-?}" | tee -a "$results"
    grep -h 'final stats' bench/out/tcpreplay-wstap.stderr || true
    grep -v '^check: printed' <<<"$check" | head -3
    rm -f "$out"
  done
done
echo
cat "$results"
exit "$status"
