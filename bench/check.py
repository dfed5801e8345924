#!/usr/bin/env python3
"""Checks that wstap decoded every message the peers sent.

    wstap read CAPTURE --format jsonl | check.py CAPTURE.truth.jsonl

For each connection (by client endpoint) and direction, the data messages wstap printed must
match the peers' log exactly: count, payload bytes, and the digest over every payload's SHA-256
in order (traffic.py's Tally).  Exits 1 and says which connection differs otherwise.
"""

import base64
import hashlib
import json
import sys


def main():
    truth = {}
    with open(sys.argv[1]) as f:
        for line in f:
            o = json.loads(line)
            key = (o["client"], o["from"])
            if key in truth:
                # Two connections from one client endpoint would be merged here: refuse.
                print(f"check: the peers' log has {key[0]} from {key[1]} twice", file=sys.stderr)
                return 1
            truth[key] = o
    seen = {}
    anomalies = 0
    for line in sys.stdin:
        o = json.loads(line)
        if o["event"] == "anomaly" or o["event"] == "gap":
            anomalies += 1
            if anomalies <= 5:
                print("check: " + line.strip()[:300], file=sys.stderr)
            continue
        if o["event"] != "message" or o["opcode"] not in ("text", "binary"):
            continue
        if "text" in o:
            payload = o["text"].encode()
        else:
            payload = base64.b64decode(o["data"])
        key = (o["client"], o["from"])
        tally = seen.setdefault(key, [0, 0, hashlib.sha256()])
        tally[0] += 1
        tally[1] += len(payload)
        tally[2].update(hashlib.sha256(payload).digest())
    bad = 0
    messages = 0
    for key, o in sorted(truth.items()):
        got = seen.get(key, [0, 0, hashlib.sha256()])
        messages += o["messages"]
        if (got[0], got[1], got[2].hexdigest()) != (o["messages"], o["bytes"], o["digest"]):
            bad += 1
            print(f"check: {key[0]} from {key[1]}: sent {o['messages']} messages / {o['bytes']} B, "
                  f"wstap found {got[0]} / {got[1]} B"
                  + ("" if got[0] != o["messages"] or got[1] != o["bytes"] else " (payloads differ)"),
                  file=sys.stderr)
    # Printed first, pass or fail: the live benches report how many of the messages came out.
    print(f"check: printed {sum(v[0] for v in seen.values())} of {messages} data messages")
    extra = set(seen) - set(truth)
    if extra:
        bad += len(extra)
        print(f"check: wstap found connections the peers did not log: {sorted(extra)}",
              file=sys.stderr)
    if bad or anomalies:
        print(f"check: FAILED: {bad} of {len(truth)} connection directions differ, "
              f"{anomalies} anomalies/gaps", file=sys.stderr)
        return 1
    print(f"check: ok: all {messages} messages in {len(truth) // 2} connections match the peers' "
          f"logs (count, bytes, SHA-256), no anomalies")
    return 0


if __name__ == "__main__":
    sys.exit(main())
