#!/usr/bin/env bash
# Builds the libFuzzer targets and runs each in turn, single process, for SECONDS each (default 120),
# then prints executions, seconds, runs a second and findings per target. Crashing inputs go to
# fuzz/artifacts/ (minimise one with -minimize_crash=1, then add it to fuzz/crashes/TARGET/).
#   fuzz/run.sh [SECONDS] [TARGET…]      e.g. fuzz/run.sh 600   or   fuzz/run.sh 60 FuzzHTTPHead
# The corpus grows in fuzz/.corpus/ (seeded by make-seeds.py), kept between runs.
set -uo pipefail
cd "$(dirname "$0")"
source ./common.sh
seconds="${1:-120}"
shift || true
targets=("${@:-${all_targets[@]}}")

swift build "${build_flags[@]}" || exit 1
bin="$(swift build "${build_flags[@]}" --show-bin-path)"

mkdir -p .corpus artifacts logs
python3 make-seeds.py .seeds >/dev/null
summary=()
for target in "${targets[@]}"; do
    corpus=".corpus/${corpus_of[$target]}"
    mkdir -p "$corpus"
    echo "== $target: ${seconds}s"
    # shellcheck disable=SC2046
    "$bin/$target" "$corpus" ".seeds/${corpus_of[$target]}" $(length_option "$target") -max_total_time="$seconds" \
        "${common_options[@]}" -artifact_prefix="artifacts/$target-" >"logs/$target.log" 2>&1
    status=$?
    read -r runs took finding <<<"$(summarise_log "logs/$target.log")"
    rate=$([ "$took" != "?" ] && [ "$took" -gt 0 ] && echo $((runs / took)) || echo "?")
    summary+=("$(printf '%-18s %12s execs %6ss %8s/s  exit %s  %s' "$target" "$runs" "$took" "$rate" "$status" "$finding")")
done
printf '%s\n' "${summary[@]}"
