#!/usr/bin/env bash
# Builds the libFuzzer targets and runs each in turn, single process, for SECONDS each (default 120),
# then prints executions and findings per target. Crashing inputs go to fuzz/artifacts/.
#   fuzz/run.sh [SECONDS] [TARGET…]      e.g. fuzz/run.sh 600   or   fuzz/run.sh 60 FuzzHTTPHead
# The corpus grows in fuzz/.corpus/ (seeded from captures/ by make-seeds.py), kept between runs.
set -uo pipefail
cd "$(dirname "$0")"
seconds="${1:-120}"
shift || true
all=(FuzzPacketDecoder FuzzTCPReassembly FuzzHTTPHead FuzzFrames FuzzInflater FuzzRead)
targets=("${@:-${all[@]}}")
declare -A seeds=([FuzzPacketDecoder]=decoder [FuzzTCPReassembly]=reassembly [FuzzHTTPHead]=http
                  [FuzzFrames]=frames [FuzzInflater]=inflater [FuzzRead]=read)
# Stream targets slow down to a few hundred runs a second on 64 KB seeds; 16 KB still spans many
# segments and frames. The others take libFuzzer's default (the largest seed).
declare -A maxLength=([FuzzTCPReassembly]=16384 [FuzzFrames]=16384)

swift build -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library || exit 1
bin="$(swift build -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library --show-bin-path)"

mkdir -p .corpus artifacts logs
python3 make-seeds.py .seeds >/dev/null
summary=()
for target in "${targets[@]}"; do
    corpus=".corpus/${seeds[$target]}"
    mkdir -p "$corpus"
    echo "== $target: ${seconds}s"
    # One process (no -jobs/-workers fork), a 10 s per-input timeout counts as a hang, 1.5 GB as a leak.
    lengthOption=()
    [ -n "${maxLength[$target]:-}" ] && lengthOption=(-max_len="${maxLength[$target]}")
    "$bin/$target" "$corpus" ".seeds/${seeds[$target]}" "${lengthOption[@]}" -max_total_time="$seconds" -timeout=10 \
        -rss_limit_mb=1536 -print_final_stats=1 -artifact_prefix="artifacts/$target-" \
        >"logs/$target.log" 2>&1
    status=$?
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "logs/$target.log" | grep -o '[0-9]*$' | tail -1)
    took=$(grep -o 'Done [0-9]* runs in [0-9]* second' "logs/$target.log" | awk '{print $5}' | tail -1)
    finding=$(grep -m1 -o 'ERROR: [A-Za-z]*Sanitizer: [a-z-]*\|ERROR: libFuzzer: [a-z-]*\|Fatal error.*' "logs/$target.log")
    summary+=("$(printf '%-18s %12s execs %6ss  exit %s  %s' "$target" "${runs:-?}" "${took:-?}" "$status" "${finding:-no findings}")")
done
printf '%s\n' "${summary[@]}"
