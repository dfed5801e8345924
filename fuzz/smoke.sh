#!/usr/bin/env bash
# The CI check of the fuzz targets (.ci/run calls it after the tests): builds them, replays every
# input that once crashed one (fuzz/crashes/TARGET/*: each must now run clean), then fuzzes each
# target for SECONDS (default 10) from its seeds, in a fresh corpus, with a fixed seed so that a
# run is repeatable. Fails on a build error or on any crash, hang, leak or out-of-memory; prints one
# line per target and the time taken.
#   fuzz/smoke.sh [SECONDS]
set -uo pipefail
cd "$(dirname "$0")"
source ./common.sh
seconds="${1:-10}"
started=$SECONDS

mkdir -p logs artifacts
if ! build_targets logs/build.log; then
    grep -E "error:" logs/build.log || tail -20 logs/build.log
    echo "fuzz/smoke.sh: the fuzz targets do not build (fuzz/logs/build.log)" >&2
    exit 1
fi
built=$((SECONDS - started))
python3 make-seeds.py .seeds >/dev/null
failures=0
summary=()

for target in "${all_targets[@]}"; do
    crashes=(crashes/"$target"/*)
    [ -e "${crashes[0]}" ] || continue
    # Inputs given as files are each run once; a crash fails the run.
    if run_target "$target" "logs/$target.crashes.log" "${crashes[@]}" "${common_options[@]}"; then
        summary+=("$(printf '%-18s %3d crash-corpus inputs run clean' "$target" "${#crashes[@]}")")
    else
        summary+=("$(printf '%-18s a crash-corpus input fails again: fuzz/logs/%s.crashes.log' "$target" "$target")")
        failures=$((failures + 1))
    fi
done

for target in "${all_targets[@]}"; do
    corpus=$(mktemp -d)
    # shellcheck disable=SC2046
    run_target "$target" "logs/$target.smoke.log" "$corpus" ".seeds/${corpus_of[$target]}" $(target_options "$target") \
        -seed=1 -max_total_time="$seconds" "${common_options[@]}" -artifact_prefix="artifacts/smoke-$target-"
    status=$?
    rm -rf "$corpus"
    read -r runs took finding <<<"$(summarise_log "logs/$target.smoke.log")"
    summary+=("$(printf '%-18s %10s execs in %3ss  %s' "$target" "$runs" "$took" "$finding")")
    if [ "$status" -ne 0 ]; then
        summary+=("  exit $status: fuzz/logs/$target.smoke.log; the input is in fuzz/artifacts/")
        failures=$((failures + 1))
    fi
done

printf '%s\n' "${summary[@]}"
echo "fuzz/smoke.sh: build ${built}s, total $((SECONDS - started))s, $failures failure(s)"
[ "$failures" -eq 0 ]
