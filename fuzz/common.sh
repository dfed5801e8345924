# Sourced by run.sh and smoke.sh: how the targets are built, and the target list (targets.tsv).

# -parse-as-library: the targets define <Module>_main themselves (see FuzzerDriver.swift).
build_flags=(-c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library)

all_targets=()
declare -A corpus_of max_length_of
while read -r target corpus length _; do
    [[ -z "$target" || "$target" == \#* ]] && continue
    all_targets+=("$target")
    corpus_of[$target]=$corpus
    max_length_of[$target]=$length
done < targets.tsv

# The Swift runtime's backtracer must stay out of the way: it hangs reading a process AddressSanitizer
# watches, and libFuzzer prints the stack of a crash itself.
export SWIFT_BACKTRACE=enable=no

# The libFuzzer options shared by every run: a 10 s input counts as a hang, 1.5 GB as a leak.
common_options=(-timeout=10 -rss_limit_mb=1536 -print_final_stats=1)

# max_len for TARGET as an option (none when targets.tsv says "-").
length_option() {
    local length="${max_length_of[$1]}"
    [ "$length" != "-" ] && echo "-max_len=$length"
    return 0
}

# "executions seconds finding" from a libFuzzer log.
summarise_log() {
    local runs took finding
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$1" | grep -o '[0-9]*$' | tail -1)
    took=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$1" | awk '{print $5}' | tail -1)
    finding=$(grep -m1 -o 'ERROR: [A-Za-z]*Sanitizer: [a-z-]*\|ERROR: libFuzzer: [a-z-]*\|Fatal error.*\|Swift runtime failure.*' "$1")
    echo "${runs:-?} ${took:-?} ${finding:-no findings}"
}
