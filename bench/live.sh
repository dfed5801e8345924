#!/usr/bin/env bash
# Live decoding: `wstap sniff` decodes the benchmark's traffic while it is generated (as root).
#
#   bench/live.sh [--size-mb N] [--connections C]
#
# Runs bench/traffic.py's peers (16 connections, permessage-deflate, 10 B to 1 MiB messages) in
# record.py's network namespace (lo with MTU 1500 and offloads off, so real-link-sized segments)
# until N MiB (default 100) went over lo, with `wstap sniff -i lo --filter 'tcp port 9300'
# --format jsonl` (release build) instead of tcpdump; stops it with SIGINT, prints its pcap_stats
# (packets captured, dropped by the kernel) and the packet rate it held over the traffic's
# duration, and checks with check.py that every message the peers sent was decoded (count, bytes,
# SHA-256).  Exits 1 if the kernel dropped packets or a message is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

size_mb=100
connections=16
while [ $# -gt 0 ]; do
    case "$1" in
        --size-mb) size_mb="$2"; shift 2 ;;
        --connections) connections="$2"; shift 2 ;;
        -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench/live.sh: unknown argument $1 (try --help)" >&2; exit 64 ;;
    esac
done
if [ "$(id -u)" != 0 ]; then
    echo "bench/live.sh: run as root (it captures in a network namespace of its own)" >&2
    exit 1
fi
if [ -z "${WSTAP:-}" ]; then
    echo "== swift build -c release"
    swift build -c release 2>&1 | tail -1
    WSTAP="$(swift build -c release --show-bin-path)/wstap"
fi
mkdir -p bench/out
out="bench/out/live-${size_mb}MB.jsonl"
rm -f "$out" "$out.truth.jsonl" "$out.seconds"
echo "== wstap sniff live while the peers send $size_mb MiB ($connections connections)"
python3 bench/record.py "$out" --size-mb "$size_mb" --connections "$connections" --live "$WSTAP" \
    | tee bench/out/live.log
stats=$(grep '^\[record\] sniff:' bench/out/live.log)
read -r seconds bytes cpu < "$out.seconds"
read -r captured received dropped < <(sed -E 's/.* ([0-9]+) packets captured, ([0-9]+) received by filter, ([0-9]+) dropped by kernel.*/\1 \2 \3/' <<<"$stats")
echo "== checking that sniff found every message the peers sent"
status=0
python3 bench/check.py "$out.truth.jsonl" < "$out" || status=1
awk -v c="$captured" -v d="$dropped" -v s="$seconds" -v b="$bytes" -v u="$cpu" 'BEGIN {
    printf "live: %d packets (%.0f MiB) captured in %.1f s of traffic: %.0f packets/s, %.1f MiB/s held, %d dropped by kernel; sniff used %.1f s of CPU (%.0f%% of one core)\n",
        c, b / 1048576, s, c / s, b / 1048576 / s, d, u, 100 * u / s }' | tee bench/out/live-results.txt
[ "$dropped" = 0 ] || status=1
exit "$status"
