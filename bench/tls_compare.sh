#!/usr/bin/env bash
# What wstap and tshark recover from the committed wss:// captures, each given the same key log
# (wstap --keylog, tshark -o tls.keylog_file:): WebSocket messages found, against the number the
# peers logged (their truth file). tshark counts frames, so a message is a frame whose opcode is
# not 0 (continuation). The pcapng with embedded secrets is read with no key log by both.
#
#   bench/tls_compare.sh [WSTAP]        (default: the release build, else the debug one)
set -euo pipefail
cd "$(dirname "$0")/.."
wstap="${1:-}"
[ -n "$wstap" ] || { [ -x .build/release/wstap ] && wstap=.build/release/wstap || wstap=.build/debug/wstap; }
command -v tshark >/dev/null || { echo "bench/tls_compare.sh: tshark missing (apt-get install tshark)" >&2; exit 1; }

echo '| capture | peers sent | wstap | tshark |'
echo '|---|---|---|---|'
for pcap in captures/tls/*.pcap captures/tls/*/*.pcap captures/tls/*.pcapng; do
    stem="${pcap%.pcap}"; stem="${stem%.dsb.pcapng}"
    truth="$stem.truth.jsonl"
    [ -f "$truth" ] || continue
    keys=() tkeys=()
    if [[ "$pcap" != *.pcapng ]]; then keys=(--keylog "$stem.keylog"); tkeys=(-o "tls.keylog_file:$stem.keylog"); fi
    sent=$(grep -c . "$truth")
    ours=$("$wstap" read --format jsonl "${keys[@]}" "$pcap" 2>/dev/null | grep -c '"event":"message"' || true)
    # Every TLS port of these captures is a WebSocket server's: decode it as TLS.
    ports=$(tshark -r "$pcap" -T fields -e tcp.dstport -Y 'tcp.flags.syn==1 && tcp.flags.ack==0' 2>/dev/null | sort -u)
    decode=()
    for port in $ports; do decode+=(-d "tcp.port==$port,tls"); done
    theirs=$(tshark -r "$pcap" "${tkeys[@]}" "${decode[@]}" -Y websocket -T fields -E occurrence=a -E aggregator=' ' \
        -e websocket.opcode 2>/dev/null | tr ' ' '\n' | grep -c '^[1-9]' || true)
    echo "| \`${pcap#captures/tls/}\` | $sent | $ours | $theirs |"
done
