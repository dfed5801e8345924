#!/usr/bin/env python3
"""Cross-checks an application capture against its truth log at the WebSocket level:
every text/binary message `wstap read --format jsonl` finds must be one a peer logged as sent
(same client port, same direction, same SHA-256), and every message a peer logged as sent over
websocket must be in the capture. For a peer that logs nothing (a broker), the lines its
counterpart logged as received stand in (then the timestamp differences are negative). Prints the counts and the capture-minus-peer timestamp
differences, exits 1 on a mismatch.

usage: check.py CAPTURE.pcap [WSTAP]   (truth: CAPTURE with .truth.jsonl)
"""

import base64
import hashlib
import json
import subprocess
import sys


def main():
    pcap = sys.argv[1]
    wstap = sys.argv[2] if len(sys.argv) > 2 else ".build/debug/wstap"
    truth_path = pcap.rsplit(".", 1)[0] + ".truth.jsonl"
    truth = [json.loads(x) for x in open(truth_path) if x.strip()]
    out = subprocess.run([wstap, "read", "--format", "jsonl", pcap], capture_output=True, text=True, check=True).stdout
    wire = []
    for line in out.splitlines():
        e = json.loads(line)
        if e.get("event") != "message" or e.get("opcode") not in ("text", "binary"):
            continue
        raw = e["text"].encode() if "text" in e else base64.b64decode(e.get("data", ""))
        port = int(e["client"].rsplit(":", 1)[1])
        wire.append((port, e["from"], hashlib.sha256(raw).hexdigest(), e["ts"]))
    # The sender's `sent` lines are the reference; for a side that writes no lines (a broker)
    # the receiver's `received` lines stand in.
    def side(t):
        return "server" if t["logged_by"] in ("server", "broker") else "client"
    pools = {"sent": {}, "received": {}}
    # Where a peer logs WebSocket messages and protocol packets separately (MQTT.js), only the
    # former describe WebSocket messages.
    ws_lines_only = any(t.get("unit") == "ws-message" for t in truth)
    for t in truth:
        if "sha256" not in t or (ws_lines_only and t.get("unit") != "ws-message"):
            continue
        if t.get("dir") not in pools or t.get("transport", "websocket") != "websocket" or t.get("client_port") is None:
            continue
        frm = side(t) if t["dir"] == "sent" else ("client" if side(t) == "server" else "server")
        pools[t["dir"]].setdefault((t["client_port"], frm), {}).setdefault(t["sha256"], []).append(t["ts_ns"])
    sent = {}
    for key in set(pools["sent"]) | set(pools["received"]):
        chosen = pools["sent"].get(key) or pools["received"][key]
        for digest, stamps in chosen.items():
            sent[(key[0], key[1], digest)] = stamps
    unmatched, deltas = [], []
    for port, frm, digest, ts in wire:
        lst = sent.get((port, frm, digest))
        if not lst:
            unmatched.append((port, frm, digest))
            continue
        deltas.append(ts * 1e9 - lst.pop(0))
    missing = sum(len(v) for v in sent.values())
    deltas.sort()
    print(f"{pcap}: {len(wire)} data messages in capture, {len(wire) - len(unmatched)} matched a peer's sent line, "
          f"{len(unmatched)} unmatched; {missing} logged-sent lines not in capture")
    if deltas:
        print(f"  capture ts - sender ts_ns: min {deltas[0] / 1e6:.3f} ms, median {deltas[len(deltas) // 2] / 1e6:.3f} ms, "
              f"max {deltas[-1] / 1e6:.3f} ms (capture ts printed with microsecond precision); "
              f"{sum(1 for d in deltas if abs(d) > 1e6)} beyond 1 ms")
    for u in unmatched[:10]:
        print("  unmatched:", u)
    sys.exit(1 if unmatched or missing else 0)


if __name__ == "__main__":
    main()
