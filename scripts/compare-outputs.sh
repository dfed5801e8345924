#!/usr/bin/env bash
# Compares what two wstap binaries print for every capture: `read` (text and JSON Lines), `sessions`
# (JSON Lines and `--details` text), `export --format har` and `--format session`, byte for byte (stdout,
# stderr and exit status). Used to show that a refactoring kept every output.
#
#   scripts/compare-outputs.sh OLD_BINARY NEW_BINARY [CAPTURE...]
#
# Without captures it takes captures/*.pcap* and, when present, ../shared/captures/public/*.pcap*.
# Exit status 0 when every output is identical, 1 otherwise (the differing commands are listed).
set -u
old=${1:?usage: compare-outputs.sh OLD_BINARY NEW_BINARY [CAPTURE...]}
new=${2:?usage: compare-outputs.sh OLD_BINARY NEW_BINARY [CAPTURE...]}
shift 2
cd "$(dirname "$0")/.."
if [ "$#" -eq 0 ]; then
    set -- captures/*.pcap captures/*.pcapng
    for file in ../shared/captures/public/*.pcap ../shared/captures/public/*.pcapng; do
        [ -e "$file" ] && set -- "$@" "$file"
    done
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
compared=0
differing=0
for capture in "$@"; do
    for command in "read --format jsonl" "sessions --format jsonl" "export --format har" "export --format session" \
        "read --color never" "sessions --details --color never"; do
        for side in old new; do
            binary=$old; [ "$side" = new ] && binary=$new
            # shellcheck disable=SC2086
            "$binary" $command "$capture" >"$work/$side.out" 2>"$work/$side.err"
            echo "exit $?" >>"$work/$side.err"
        done
        compared=$((compared + 1))
        if ! cmp -s "$work/old.out" "$work/new.out" || ! cmp -s "$work/old.err" "$work/new.err"; then
            differing=$((differing + 1))
            echo "DIFFERS: wstap $command $capture"
            diff "$work/old.err" "$work/new.err" | head -5
            cmp "$work/old.out" "$work/new.out" | head -2
        fi
    done
done
echo "compared $compared outputs of $# captures: $differing differ"
[ "$differing" -eq 0 ]
