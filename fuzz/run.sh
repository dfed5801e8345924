#!/usr/bin/env bash
# Builds the libFuzzer targets and runs each in turn, single process, for SECONDS each (default 120),
# then prints per target: executions, seconds, runs a second (wall clock), CPU seconds, runs per
# CPU second (what the target costs, however busy the machine) and findings.
#   fuzz/run.sh [SECONDS] [TARGET…]      e.g. fuzz/run.sh 600   or   fuzz/run.sh 60 FuzzHTTPHead
# The corpus grows in fuzz/.corpus/ (seeded by make-seeds.py), kept between runs. Crashing inputs go
# to fuzz/artifacts/: minimise one with -minimize_crash=1 and add it to fuzz/crashes/TARGET/.
set -uo pipefail
cd "$(dirname "$0")"
source ./common.sh
seconds="${1:-120}"
shift || true
targets=("${@:-${all_targets[@]}}")

mkdir -p logs
build_targets logs/build.log || { grep -E "error:" logs/build.log || tail -20 logs/build.log; exit 1; }

mkdir -p .corpus artifacts logs
python3 make-seeds.py .seeds >/dev/null
summary=()
for target in "${targets[@]}"; do
    corpus=".corpus/${corpus_of[$target]}"
    mkdir -p "$corpus"
    echo "== $target: ${seconds}s"
    # shellcheck disable=SC2046
    run_target "$target" "logs/$target.log" "$corpus" ".seeds/${corpus_of[$target]}" $(target_options "$target") \
        -max_total_time="$seconds" "${common_options[@]}" -artifact_prefix="artifacts/$target-"
    status=$?
    read -r runs took finding <<<"$(summarise_log "logs/$target.log")"
    read -r cpu rate per_cpu <<<"$(awk -v runs="$runs" -v took="$took" '{ cpu = $1 + $2;
        printf "%.1f %s %s", cpu, (took > 0 ? int(runs / took) : "?"), (cpu > 0 ? int(runs / cpu) : "?") }' "logs/$target.log.cpu")"
    summary+=("$(printf '%-18s %11s execs %5ss %7s/s  cpu %5ss %7s/cpu-s  exit %s  %s' \
        "$target" "$runs" "$took" "$rate" "$cpu" "$per_cpu" "$status" "$finding")")
done
printf '%s\n' "${summary[@]}"
