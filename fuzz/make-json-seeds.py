#!/usr/bin/env python3
"""Writes the committed seeds of FuzzSessionFile and FuzzHAR (fuzz/seeds/session, fuzz/seeds/har)
from real files: `wstap export --format session` and `--format har` of every capture in captures/.

Each export is cut to fit the targets' max_len (targets.tsv) while staying valid JSON: the first
connections, the first messages of each, payloads shortened (base64 kept a multiple of 4), and
written compactly. An export that already fits is kept as wstap wrote it (pretty, sorted keys).
Run it again when the formats change:   fuzz/make-json-seeds.py path/to/wstap
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CAPTURES = os.path.join(os.path.dirname(HERE), "captures")
MAX_PAYLOAD_CHARACTERS = 120


def max_length(corpus):
    with open(os.path.join(HERE, "targets.tsv")) as f:
        for line in f:
            fields = line.split()
            if fields and not fields[0].startswith("#") and fields[1] == corpus:
                return int(fields[2])
    raise SystemExit(f"no {corpus} line in targets.tsv")


def shorten_base64(text):
    return text[:MAX_PAYLOAD_CHARACTERS - MAX_PAYLOAD_CHARACTERS % 4]


def cut_session(document, connections, messages):
    document = json.loads(json.dumps(document))
    document["connections"] = document["connections"][:connections]
    for connection in document["connections"]:
        connection["messages"] = connection["messages"][:messages]
        for message in connection["messages"]:
            message["payload"] = shorten_base64(message["payload"])
    return document


def cut_har(document, connections, messages):
    document = json.loads(json.dumps(document))
    document["log"]["entries"] = document["log"]["entries"][:connections]
    for entry in document["log"]["entries"]:
        entry["_webSocketMessages"] = entry.get("_webSocketMessages", [])[:messages]
        for message in entry["_webSocketMessages"]:
            base64 = message.get("opcode") != 1 or message.get("_wstapBase64")
            data = message["data"]
            message["data"] = shorten_base64(data) if base64 else data[:MAX_PAYLOAD_CHARACTERS]
    return document


def fitted(raw, cut, limit):
    """The export as written when it fits, else the largest cut of it that does."""
    if len(raw) <= limit:
        return raw
    document = json.loads(raw)
    for connections in (3, 2, 1):
        for messages in (8, 6, 4, 3, 2, 1, 0):
            text = json.dumps(cut(document, connections, messages), separators=(",", ":"), sort_keys=True).encode()
            if len(text) <= limit:
                return text
    return None


def main(wstap):
    for corpus, format_name, cut, suffix in (("session", "session", cut_session, ".json"), ("har", "har", cut_har, ".har")):
        limit = max_length(corpus)
        directory = os.path.join(HERE, "seeds", corpus)
        os.makedirs(directory, exist_ok=True)
        for name in sorted(os.listdir(CAPTURES)):
            if not name.endswith((".pcap", ".pcapng")):
                continue
            result = subprocess.run([wstap, "export", os.path.join(CAPTURES, name), "--format", format_name],
                                    capture_output=True, check=False)
            if result.returncode != 0:
                print(f"skipped {name}: {result.stderr.decode().strip()}", file=sys.stderr)
                continue
            seed = fitted(result.stdout.strip(), cut, limit)
            if seed is None:
                print(f"skipped {name}: no cut fits {limit} bytes", file=sys.stderr)
                continue
            with open(os.path.join(directory, name.rsplit(".", 1)[0] + suffix), "wb") as f:
                f.write(seed)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(sys.argv[1])
