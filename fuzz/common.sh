# Sourced by run.sh and smoke.sh: how the targets are built, and the target list (targets.tsv).

# -parse-as-library: the program defines <Module>_main itself (see FuzzerDriver.swift).
build_flags=(-c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library)

# Builds the program and sets $bin to where the targets are: one symbolic link per target to the one
# program, which picks the target by the name it runs under. Build output goes to $1.
build_targets() {
    swift build "${build_flags[@]}" >"$1" 2>&1 || return 1
    bin="$(swift build "${build_flags[@]}" --show-bin-path)"
    local target
    for target in "${all_targets[@]}"; do ln -sf FuzzTargets "$bin/$target"; done
}

all_targets=()
declare -A corpus_of max_length_of dictionary_of
while read -r target corpus length dictionary _; do
    [[ -z "$target" || "$target" == \#* ]] && continue
    all_targets+=("$target")
    corpus_of[$target]=$corpus
    max_length_of[$target]=$length
    dictionary_of[$target]=$dictionary
done < targets.tsv

# The Swift runtime's backtracer must stay out of the way: it hangs reading a process AddressSanitizer
# watches, and libFuzzer prints the stack of a crash itself.
export SWIFT_BACKTRACE=enable=no

# Allocation and free stacks cost 10-15 % of the stream targets' runs; a crash still prints where
# it happened. Rerun an input with ASAN_OPTIONS=malloc_context_size=30 for them.
export ASAN_OPTIONS="${ASAN_OPTIONS:-malloc_context_size=0}"

# The libFuzzer options shared by every run: a 10 s input counts as a hang, 1.5 GB as a leak.
common_options=(-timeout=10 -rss_limit_mb=1536 -print_final_stats=1)

# TARGET's options from targets.tsv: -max_len and -dict, where given.
target_options() {
    local length="${max_length_of[$1]}" dictionary="${dictionary_of[$1]}"
    [ "$length" != "-" ] && echo "-max_len=$length"
    [ "$dictionary" != "-" ] && echo "-dict=dictionaries/$dictionary"
    return 0
}

# Runs TARGET with libFuzzer ARGS…, output to LOG; writes "user system" CPU seconds to LOG.cpu.
# CPU time, unlike libFuzzer's exec/s, does not depend on how busy the (shared) machine is.
run_target() {
    local target="$1" log="$2"
    shift 2
    local TIMEFORMAT="%U %S"
    { time "$bin/$target" "$@" >"$log" 2>&1; } 2>"$log.cpu"
}

# "executions seconds finding" from a libFuzzer log.
summarise_log() {
    local runs took finding
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$1" | grep -o '[0-9]*$' | tail -1)
    took=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$1" | awk '{print $5}' | tail -1)
    finding=$(grep -m1 -o 'ERROR: [A-Za-z]*Sanitizer: [a-z-]*\|ERROR: libFuzzer: [a-z-]*\|Fatal error.*\|Swift runtime failure.*' "$1")
    echo "${runs:-?} ${took:-?} ${finding:-no findings}"
}
