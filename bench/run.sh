#!/usr/bin/env bash
# The wstap benchmark: one command from a clean clone (as root, for the network namespace).
#
#   bench/run.sh [--size-mb N] [--runs R] [--shape many|single|short] [--connections C] [--tls]
#                [--replay] [--live] [--tcpreplay]
#
# --shape picks the traffic (bench/record.py): `many` (default) is C connections (default 16)
# sending at once; `single` the same bytes over one connection (nothing for --threads to spread);
# `short` C short connections (default 2,000: handshake with permessage-deflate, a handful of
# messages, close) that add up to N MiB. The capture is bench/out/capture-NMB[-single|-short].pcap.
# --tls records (and times) the same traffic over TLS 1.3 AES-128-GCM (wss://): the client's key
# log is written beside the capture, and wstap (--keylog) and tshark (-o tls.keylog_file:) both
# decrypt with it.
# --replay, --live and --tcpreplay also run bench/replay.sh, bench/live.sh and bench/tcpreplay.sh
# (replay speed, live decoding, live capture at line rate) with the same release build, after the
# table.
# 1. installs what it needs (tcpdump, tshark, GNU time, ethtool, libpcap, Python websockets),
# 2. builds wstap in release mode (WSTAP=path uses that binary instead, no build),
# 3. records bench/out/capture-NMB.pcap (N MiB, default 600) of real traffic between Python
#    `websockets` peers in a network namespace (see record.py) unless it is already there,
# 4. checks that `wstap read`, with --threads 1 and with the default threads, found every message
#    the peers logged (count, bytes, SHA-256),
# 5. times R runs (default 3) of each command (`read --format jsonl` and `sessions`, each with
#    --threads 1 and with the default: one thread per core), and prints the median wall time, the
#    median peak RSS, and the ratios to tshark, to the bare libpcap read (tcpdump -r F -w
#    /dev/null) and to the same command with --threads 1; the header gives the core count
#    (nproc) and the default thread count,
# 6. measures wstap's peak RSS on the first fifth of the capture too, to show that memory
#    does not grow with the file.
# The table is also written to bench/out/results-NMB[-single|-short][-tls].md.  Timings are wall
# clock on whatever else the machine is doing: compare runs on an idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."

size_mb=600
runs=3
connections=""
shape=many
also=()
tls=""
while [ $# -gt 0 ]; do
    case "$1" in
        --size-mb) size_mb="$2"; shift 2 ;;
        --runs) runs="$2"; shift 2 ;;
        --connections) connections="$2"; shift 2 ;;
        --shape) shape="$2"; shift 2 ;;
        --tls) tls="-tls"; shift ;;
        --replay) also+=(replay); shift ;;
        --live) also+=(live); shift ;;
        --tcpreplay) also+=(tcpreplay); shift ;;
        -h|--help) sed -n '2,35p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench/run.sh: unknown argument $1 (try --help)" >&2; exit 64 ;;
    esac
done
case "$shape" in
    many) suffix="" ;;
    single|short) suffix="-$shape" ;;
    *) echo "bench/run.sh: --shape is many, single or short" >&2; exit 64 ;;
esac
if [ "$(id -u)" != 0 ]; then
    echo "bench/run.sh: run as root (it records in a network namespace of its own)" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
missing=()
command -v tcpdump >/dev/null || missing+=(tcpdump)
command -v tshark >/dev/null || missing+=(tshark)
[ -x /usr/bin/time ] || missing+=(time)
command -v ethtool >/dev/null || missing+=(ethtool)
command -v ip >/dev/null || missing+=(iproute2)
[[ " ${also[*]} " != *" tcpreplay "* ]] || command -v tcpreplay >/dev/null || missing+=(tcpreplay)
if [ "${#missing[@]}" -gt 0 ]; then
    echo "== installing ${missing[*]}"
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# libpcap-dev, pkg-config and the peers' websockets (13 or later), as for the build and tests.
scripts/install-dependencies.sh

if [ -n "${WSTAP:-}" ]; then
    wstap="$WSTAP"
    echo "== using $wstap (WSTAP)"
else
    echo "== swift build -c release"
    swift build -c release 2>&1 | tail -1
    wstap="$(swift build -c release --show-bin-path)/wstap"
fi
# The default --threads: one per core, at most the limit `--help` gives (DecodingThreads).
cores=$(nproc)
max_threads=$("$wstap" read --help | tr -s ' \n' ' ' | sed -nE 's/.*one per core, at most ([0-9]+).*/\1/p')
[ -n "$max_threads" ] || { echo "bench/run.sh: $wstap read --help does not describe --threads (too old?)" >&2; exit 1; }
default_threads=$(( cores < max_threads ? cores : max_threads ))

mkdir -p bench/out
capture="bench/out/capture-${size_mb}MB${suffix}${tls}.pcap"
keylog=() tshark_decode=(-d tcp.port==9300,http) record_tls=()
if [ -n "$tls" ]; then
    keylog=(--keylog "$capture.keylog")
    tshark_decode=(-o "tls.keylog_file:$capture.keylog" -d tcp.port==9300,tls)
    record_tls=(--tls)
fi
if [ -f "$capture" ] && [ -f "$capture.truth.jsonl" ]; then
    echo "== reusing $capture ($(( $(stat -c %s "$capture") >> 20 )) MiB)"
else
    echo "== recording $capture ($size_mb MiB, shape $shape${connections:+, $connections connections})"
    python3 bench/record.py "$capture" --size-mb "$size_mb" --shape "$shape" ${connections:+--connections "$connections"} "${record_tls[@]}"
fi
# From the peers' log (one line per connection and direction), so a reused capture is described right.
connections=$(( $(wc -l < "$capture.truth.jsonl") / 2 ))

for threads in 1 "$default_threads"; do
    echo "== checking that wstap read --threads $threads found every message the peers sent"
    "$wstap" read "$capture" "${keylog[@]}" --format jsonl --threads "$threads" | python3 bench/check.py "$capture.truth.jsonl"
done

# The first fifth of the capture (whole packets), for the memory-growth comparison.
small="bench/out/capture-${size_mb}MB${suffix}${tls}-first-fifth.pcap"
if [ ! -f "$small" ]; then
    python3 - "$capture" "$small" <<'EOF'
import struct, sys
src, dst = sys.argv[1], sys.argv[2]
limit = __import__("os").path.getsize(src) // 5
with open(src, "rb") as f, open(dst + ".partial", "wb") as out:
    header = f.read(24)
    out.write(header)
    endian = "<" if header[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    while out.tell() < limit:
        head = f.read(16)
        if len(head) < 16:
            break
        length = struct.unpack(endian + "IIII", head)[2]
        out.write(head + f.read(length))
__import__("os").rename(dst + ".partial", dst)
EOF
fi

# measure NAME CMD...: runs CMD $runs times (stdout to /dev/null); prints "median_seconds peak_kib".
measure() {
    local name="$1"; shift
    local times=() rss=() i
    for i in $(seq "$runs"); do
        /usr/bin/time -f '%e %M' -o bench/out/time.txt "$@" >/dev/null 2>bench/out/stderr.txt || {
            echo "bench/run.sh: $name failed:" >&2; cat bench/out/stderr.txt >&2; exit 1; }
        read -r t m < bench/out/time.txt
        times+=("$t"); rss+=("$m")
        echo "   $name run $i: ${t} s, $(( m / 1024 )) MiB" >&2
    done
    printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {printf "%s ", a[int((NR+1)/2)]}'
    printf '%s\n' "${rss[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

echo "== timing, $runs runs each (median)"
floor=$(measure "tcpdump -r (libpcap floor)" tcpdump -r "$capture" -w /dev/null)
read_one=$(measure "wstap read --format jsonl --threads 1" "$wstap" read "$capture" "${keylog[@]}" --format jsonl --threads 1)
read_jsonl=$(measure "wstap read --format jsonl" "$wstap" read "$capture" "${keylog[@]}" --format jsonl)
sessions_one=$(measure "wstap sessions --threads 1" "$wstap" sessions "$capture" "${keylog[@]}" --threads 1)
sessions=$(measure "wstap sessions" "$wstap" sessions "$capture" "${keylog[@]}")
small_read=$(measure "wstap read --format jsonl (first fifth)" "$wstap" read "$small" "${keylog[@]}" --format jsonl)
# tshark prints text payloads (websocket.payload.text) and binary ones in hex (data.data), so
# both tools write out every payload they decoded.
tshark=$(measure "tshark -Y websocket -T fields" tshark -r "$capture" "${tshark_decode[@]}" \
    -Y websocket -T fields -e frame.number -e websocket.opcode -e websocket.payload.text -e data.data)

results="bench/out/results-${size_mb}MB${suffix}${tls}.md"
{
    big=$(( $(stat -c %s "$capture") >> 20 ))
    little=$(( $(stat -c %s "$small") >> 20 ))
    printf '%s MiB capture (shape %s: %s connection%s), median of %s runs, %s cores (nproc), default --threads %s, %s\n\n' \
        "$big" "$shape" "$connections" "$([ "$connections" = 1 ] || echo s)" "$runs" "$cores" "$default_threads" "$(date -u +%Y-%m-%d)"
    echo '| command | time | peak RSS | vs tshark | vs libpcap floor | vs --threads 1 |'
    echo '|---|---|---|---|---|---|'
    # row LABEL TIME KIB [TIME_WITH_ONE_THREAD]: the last column is that time / TIME (a speed-up).
    row() {
        local label="$1" t="$2" m="$3" one="${4:-}"
        read -r tt _ <<<"$tshark"; read -r ft _ <<<"$floor"
        awk -v l="$label" -v t="$t" -v m="$m" -v tt="$tt" -v ft="$ft" -v one="$one" 'BEGIN {
            versus = (t == tt) ? "1×" : (t < tt ? sprintf("%.1f× faster", tt / t) : sprintf("%.1f× slower", t / tt))
            speedup = (one == "") ? "–" : (t > 0 ? sprintf("%.2f×", one / t) : "?")
            printf "| %s | %.2f s | %.0f MiB | %s | %.2f× | %s |\n", l, t, m / 1024, versus, t / ft, speedup }'
    }
    k=${tls:+ --keylog K}
    read -r t1 m <<<"$read_one"; row "\`wstap read$k --format jsonl --threads 1\`" "$t1" "$m" "$t1"
    read -r t m <<<"$read_jsonl"; row "\`wstap read$k --format jsonl\` (default: $default_threads threads)" "$t" "$m" "$t1"
    read -r t1 m <<<"$sessions_one"; row "\`wstap sessions$k --threads 1\`" "$t1" "$m" "$t1"
    read -r t m <<<"$sessions"; row "\`wstap sessions$k\` (default: $default_threads threads)" "$t" "$m" "$t1"
    read -r t m <<<"$tshark"; row "\`tshark${tls:+ -o tls.keylog_file:K} -Y websocket -T fields -e websocket.payload.text -e data.data\`" "$t" "$m"
    read -r t m <<<"$floor"; row '`tcpdump -r FILE -w /dev/null` (libpcap floor)' "$t" "$m"
    read -r t m <<<"$small_read"; row "\`wstap read$k --format jsonl\` (default threads) on the first ${little} MiB" "$t" "$m"
} > "$results"
echo
cat "$results"
for script in "${also[@]}"; do
    echo
    echo "== bench/$script.sh"
    if [ "$script" = tcpreplay ]; then
        WSTAP="$wstap" bench/tcpreplay.sh --size-mb "$size_mb" --shape "$shape"
    else
        WSTAP="$wstap" "bench/$script.sh"
    fi
done
