#!/usr/bin/env bash
# Makes the pcapng capture with an embedded key log (a Decryption Secrets Block, type TLS key
# log) from a recorded wss:// capture and the key log its client wrote, with Wireshark's editcap:
#     scripts/capture/inject_secrets.sh [NAME]     (default tls13-aes256gcm)
# Output: captures/tls/NAME.dsb.pcapng. wstap decrypts it without --keylog; its truth file is
# NAME.truth.jsonl (the packets are the same).
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
name="${1:-tls13-aes256gcm}"
folder="$here/captures/tls"
command -v editcap >/dev/null || { echo "inject_secrets: editcap missing (apt-get install wireshark-common)" >&2; exit 1; }
editcap --inject-secrets "tls,$folder/$name.keylog" -F pcapng "$folder/$name.pcap" "$folder/$name.dsb.pcapng"
echo "wrote $folder/$name.dsb.pcapng"
