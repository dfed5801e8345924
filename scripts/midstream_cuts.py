#!/usr/bin/env python3
"""midstream_cuts.py — cut recorded captures as if tcpdump had started late, and count what
wstap and tshark decode from each cut against what the peers sent (issue #16).

Usage: python3 scripts/midstream_cuts.py [--wstap PATH] [--no-tshark] [--misses] [--jobs N] [--json FILE] CAPTURE.pcap ...

Each CAPTURE.pcap needs its CAPTURE.truth.jsonl beside it (the messages the peers sent, as
scripts/capture writes them). The cuts are the ones of Tests/EndToEndTests/MidstreamCutTests.swift:
at the packet holding every 1 % of the file, and inside the TCP payload at offsets 0, 1, 2, 5 and 9
into every 64-bit-length frame header and at the middle of that frame.

Counted per capture, summed over its cuts:
  recoverable  messages whose first frame starts on the wire after the cut (found by parsing the
               uncut streams from their handshakes), sent uncompressed or without context takeover
  wstap/tshark messages printed; of them `correct` (equal to a message sent on that connection and
               direction, in order), `labelled` (printed as undecodable/incomplete: matched by
               opcode only), `invented` (no such message was sent); `recovered` recoverable ones
  connections  connections with payload after the cut, and how many of them the tool shows at all
  takeover     messages after the cut compressed with context takeover (not recoverable in general:
               they may refer to bytes sent before the cut), and how many wstap printed exactly
tshark runs twice on every cut file: as is (it decodes a connection only when its handshake is in
the file) and with `-d tcp.port==PORT,websocket` on the server ports ("Decode As"). Its messages
(data messages at their FIN frame, control frames) are matched by opcode and order only, so its
`correct` counts are upper bounds. Without tshark installed its figures are skipped (one line says so).
With --misses the recoverable messages wstap missed are listed per cut.
"""

import argparse
import base64
import concurrent.futures
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def fnv1a64(data):
    value = 0xCBF29CE484222325
    for byte in data:
        value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{value:016x}"


class Packet:
    __slots__ = ("file_offset", "ts_sec", "ts_usec", "data", "payload_offset", "payload_length", "flow", "seq")


def read_pcap(path):
    data = open(path, "rb").read()
    if data[:4] != b"\xd4\xc3\xb2\xa1":
        raise SystemExit(f"{path}: not a little-endian classic pcap")
    header, packets, offset = data[:24], [], 24
    while offset + 16 <= len(data):
        sec, usec, captured, _ = struct.unpack_from("<IIII", data, offset)
        start = offset + 16
        if start + captured > len(data):
            break
        p = Packet()
        p.file_offset, p.ts_sec, p.ts_usec = offset, sec, usec
        p.data = bytearray(data[start:start + captured])
        p.payload_offset = p.payload_length = 0
        p.flow, p.seq = None, 0
        b = p.data
        if len(b) >= 54 and b[12:14] == b"\x08\x00" and b[23] == 6:
            ihl = (b[14] & 0x0F) * 4
            total = struct.unpack_from(">H", b, 16)[0]
            tcp = 14 + ihl
            thl = (b[tcp + 12] >> 4) * 4
            p.payload_offset = tcp + thl
            p.payload_length = max(0, min(14 + total, len(b)) - p.payload_offset)
            src = ".".join(map(str, b[26:30])) + ":" + str(struct.unpack_from(">H", b, tcp)[0])
            dst = ".".join(map(str, b[30:34])) + ":" + str(struct.unpack_from(">H", b, tcp + 2)[0])
            p.flow = (src, dst)
            p.seq = struct.unpack_from(">I", b, tcp + 4)[0]
        packets.append(p)
        offset = start + captured
    return header, packets, len(data)


def cut_pcap(header, packets, index, trim):
    out = bytearray(header)
    for position, p in enumerate(packets[index:]):
        b = bytearray(p.data)
        if position == 0 and 0 < trim < p.payload_length:
            del b[p.payload_offset:p.payload_offset + trim]
            struct.pack_into(">H", b, 16, struct.unpack_from(">H", b, 16)[0] - trim)
            tcp = 14 + (b[14] & 0x0F) * 4
            struct.pack_into(">I", b, tcp + 4, (struct.unpack_from(">I", b, tcp + 4)[0] + trim) & 0xFFFFFFFF)
        out += struct.pack("<IIII", p.ts_sec, p.ts_usec, len(b), len(b)) + b
    return bytes(out)


def streams(packets):
    """Per flow (src, dst): the payload bytes in order, and per packet index its stream offset."""
    result, first_seq = {}, {}
    for index, p in enumerate(packets):
        if not p.flow or p.payload_length == 0:
            continue
        flow = p.flow
        if flow not in first_seq:
            first_seq[flow] = p.seq
            result[flow] = (bytearray(), {})
        buf, offsets = result[flow]
        relative = (p.seq - first_seq[flow]) & 0xFFFFFFFF
        payload = p.data[p.payload_offset:p.payload_offset + p.payload_length]
        offsets[index] = relative
        if relative == len(buf):
            buf += payload
        elif relative + len(payload) > len(buf) >= relative:
            buf += payload[len(buf) - relative:]
    return result


def frame_starts(buf):
    """Stream offsets of the first frame of every message (data messages and control frames)."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return []
    pos, starts, in_message = end + 4, [], False
    while pos + 2 <= len(buf):
        b0, b1 = buf[pos], buf[pos + 1]
        length, header = b1 & 0x7F, 2
        if length == 126:
            length, header = struct.unpack_from(">H", buf, pos + 2)[0], 4
        elif length == 127:
            length, header = struct.unpack_from(">Q", buf, pos + 2)[0], 10
        if b1 & 0x80:
            header += 4
        opcode = b0 & 0x0F
        if opcode >= 8 or not in_message:
            starts.append(pos)
        if opcode < 8:
            in_message = not (b0 & 0x80)
        pos += header + length
    return starts


class Truth:
    def __init__(self, path, packets):
        self.messages = {}
        self.connections = set()
        for line in open(path):
            if not line.strip():
                continue
            o = json.loads(line)
            key = (o["client"], o["server"], o["from"])
            data = base64.b64decode(o["data_b64"]) if "data_b64" in o else None
            extensions = o.get("extensions", "") or ""
            no_takeover = o.get("context_takeover") is False or f"{o['from']}_no_context_takeover" in extensions
            o["independent"] = not o.get("compressed", False) or no_takeover
            o["data"] = data
            o.setdefault("length", len(data) if data is not None else 0)
            self.messages.setdefault(key, []).append(o)
            self.connections.add((o["client"], o["server"]))
        # Wire positions: the n-th message of a direction starts at the n-th message start parsed
        # from the uncut stream (the truth logs every message, close and ping included).
        self.streams = streams(packets)
        self.wire = {}
        for (client, server, sender), list_ in self.messages.items():
            flow = (client, server) if sender == "client" else (server, client)
            buf = self.streams.get(flow, (bytearray(), {}))[0]
            starts = frame_starts(buf)
            if len(starts) != len(list_):
                print(f"  note: {client}>{server} {sender}: {len(list_)} truth messages, {len(starts)} on the wire",
                      file=sys.stderr)
            self.wire[(client, server, sender)] = starts

    def cut_offsets(self, packets, index, trim):
        """Per flow, the stream offset at which the cut starts (None: no payload after the cut)."""
        result = {}
        for i in range(index, len(packets)):
            p = packets[i]
            if not p.flow or p.payload_length == 0 or p.flow in result:
                continue
            skip = trim if i == index else 0
            if skip >= p.payload_length:
                continue
            result[p.flow] = self.streams[p.flow][1][i] + skip
        return result

    def recoverable(self, cut_offsets, independent=True):
        """(key, n) of the messages whose first frame starts after the cut: decodable alone
        (`independent`), or compressed with context takeover (`independent=False`)."""
        found = set()
        for key, list_ in self.messages.items():
            client, server, sender = key
            flow = (client, server) if sender == "client" else (server, client)
            start = cut_offsets.get(flow)
            if start is None:
                continue
            for n, message in enumerate(list_):
                wire = self.wire[key]
                if n < len(wire) and wire[n] >= start and message["independent"] == independent:
                    found.add((key, n))
        return found


def verdict(truth, events, recoverable, traffic):
    v = {"printed": 0, "correct": 0, "labelled": 0, "invented": [], "recovered": set(), "opened": set()}
    nxt = {}
    for e in events:
        kind = e.get("event")
        if kind == "open":
            v["opened"].add((e["client"], e["server"]))
            v["opened"].add((e["server"], e["client"]))
        if kind != "message":
            continue
        v["printed"] += 1
        key = (e["client"], e["server"], e["from"])
        data = e["text"].encode() if "text" in e else base64.b64decode(e.get("data", "") or "")
        labelled = e.get("incomplete") or e.get("truncated") or (e.get("compressed") and e.get("decompressed") is False)
        found = None
        candidates = truth.messages.get(key, [])
        for n in range(nxt.get(key, 0), len(candidates)):
            t = candidates[n]
            if t["opcode"] != e["opcode"]:
                continue
            if labelled or t["data"] == data or (t["data"] is None and t["length"] == len(data) and t.get("fnv1a64") == fnv1a64(data)):
                found = n
                break
        if found is None:
            v["invented"].append(f"{key} {e['opcode']} {len(data)} bytes {data[:40]!r}")
            continue
        nxt[key] = found + 1
        if labelled:
            v["labelled"] += 1
        else:
            v["correct"] += 1
            if (key, found) in recoverable:
                v["recovered"].add((key, found))
    v["missing"] = sorted(c for c in traffic if c not in v["opened"])
    return v


def tshark_events(path, decode_as_ports=()):
    """wstap-like message events from tshark: one per data message (its last frame, FIN set) and
    per control frame, with the roles taken from the masking (tshark shows both). `decode_as_ports`
    adds `-d tcp.port==P,websocket` (Wireshark's "Decode As", what a user does for a capture
    without the handshake)."""
    fields = ["ip.src", "tcp.srcport", "ip.dst", "tcp.dstport", "websocket.fin", "websocket.opcode", "websocket.mask"]
    command = ["tshark", "-r", path, "-Y", "websocket", "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a",
               "-E", "aggregator=|"]
    for port in decode_as_ports:
        command += ["-d", f"tcp.port=={port},websocket"]
    for f in fields:
        command += ["-e", f]
    out = subprocess.run(command, capture_output=True, text=True, timeout=600).stdout
    names = {1: "text", 2: "binary", 8: "close", 9: "ping", 10: "pong"}
    events, started = [], {}
    for line in out.splitlines():
        cols = line.split("\t")
        if len(cols) < len(fields):
            continue
        a, b = f"{cols[0]}:{cols[1]}", f"{cols[2]}:{cols[3]}"
        for fin, opcode, mask in zip(cols[4].split("|"), cols[5].split("|"), cols[6].split("|")):
            try:
                code = int(opcode, 0)
            except ValueError:
                continue
            masked = mask in ("1", "True", "true")
            client, server, sender = (a, b, "client") if masked else (b, a, "server")
            final = fin in ("1", "True", "true")
            if code in (1, 2):
                started[(a, b)] = names[code]
                if not final:
                    continue
                name = names[code]
            elif code == 0:
                if not final:
                    continue
                name = started.pop((a, b), "continuation")
            else:
                name = names.get(code, f"reserved-{code}")
            events.append({"client": client, "server": server, "from": sender, "opcode": name})
    return events


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("captures", nargs="+")
    parser.add_argument("--wstap", default=os.path.join(REPO, ".build", "debug", "wstap"))
    parser.add_argument("--no-tshark", action="store_true")
    parser.add_argument("--misses", action="store_true")
    parser.add_argument("--json", help="append one JSON line per capture to this file")
    parser.add_argument("--jobs", type=int, default=4, help="cuts run at once (default 4)")
    args = parser.parse_args()
    use_tshark = not args.no_tshark and shutil.which("tshark") is not None
    if not args.no_tshark and not use_tshark:
        print("midstream_cuts.py: tshark not found; tshark figures skipped (apt-get install tshark)")
    tmp = tempfile.mkdtemp(prefix="wstap-cuts-")
    grand = {}
    try:
        for capture in args.captures:
            header, packets, size = read_pcap(capture)
            truth = Truth(capture.replace(".pcapng", ".truth.jsonl").replace(".pcap", ".truth.jsonl"), packets)
            cuts, seen = [], set()
            for percent in range(1, 100):
                target, index = size * percent // 100, 0
                while index + 1 < len(packets) and packets[index + 1].file_offset <= target:
                    index += 1
                if index not in seen:
                    seen.add(index)
                    cuts.append((index, 0, f"{percent}%"))
            for index, p in enumerate(packets):
                payload = bytes(p.data[p.payload_offset:p.payload_offset + p.payload_length])
                for pos in range(0, max(0, len(payload) - 9)):
                    b0, b1 = payload[pos], payload[pos + 1]
                    if b0 & 0x80 and b0 & 0x0F in (1, 2) and b1 & 0x7F == 127 and payload[pos + 2:pos + 7] == b"\0" * 5:
                        length = int.from_bytes(payload[pos + 7:pos + 10], "big")
                        if length < 1 << 16:
                            continue
                        base = truth.streams[p.flow][1][index] + pos
                        for into, label in [(0, "header+0"), (1, "header+1"), (2, "header+2"), (5, "header+5"),
                                            (9, "header+9"), (length // 2, "frame-middle")]:
                            target = base + into
                            for j in range(index, len(packets)):
                                q = packets[j]
                                if q.flow != p.flow or q.payload_length == 0:
                                    continue
                                start = truth.streams[q.flow][1][j]
                                if start <= target < start + q.payload_length:
                                    cuts.append((j, target - start, f"{label}@{index}"))
                                    break
            total = {"cuts": len(cuts), "recoverable": 0, "connections": 0}
            for tool in ["wstap"]:
                for k in ["printed", "correct", "labelled", "invented", "recovered", "shown"]:
                    total[f"{tool}_{k}"] = 0
            ports = sorted({c[1].rsplit(":", 1)[1] for c in truth.connections})

            def run_cut(number, cut):
                index, trim, label = cut
                path = os.path.join(tmp, f"cut-{number}.pcap")
                with open(path, "wb") as f:
                    f.write(cut_pcap(header, packets, index, trim))
                offsets = truth.cut_offsets(packets, index, trim)
                recoverable = truth.recoverable(offsets)
                takeover = truth.recoverable(offsets, independent=False)
                traffic = {c for c in truth.connections if (c[0], c[1]) in offsets or (c[1], c[0]) in offsets}
                run = subprocess.run([args.wstap, "read", "--format", "jsonl", path], capture_output=True, text=True, timeout=300)
                events = [json.loads(line) for line in run.stdout.splitlines() if line.strip()]
                tools = {}
                if use_tshark:
                    for tool, decode_as in [("tshark", ()), ("tshark_decode_as", ports)]:
                        tools[tool] = verdict_counts(truth, tshark_events(path, decode_as), recoverable, traffic)
                os.unlink(path)
                v = verdict(truth, events, recoverable | takeover, traffic)
                v["takeover_total"] = len(takeover)
                v["takeover_decoded"] = len(v["recovered"] & takeover)
                v["recovered"] -= takeover
                return cut, recoverable, traffic, v, tools

            with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
                results = list(pool.map(run_cut, range(len(cuts)), cuts))
            for (index, trim, label), recoverable, traffic, v, tools in results:
                total["recoverable"] += len(recoverable)
                total["connections"] += len(traffic)
                for k in ["printed", "correct", "labelled"]:
                    total[f"wstap_{k}"] += v[k]
                total["wstap_invented"] += len(v["invented"])
                total["wstap_recovered"] += len(v["recovered"])
                total["wstap_shown"] += len(traffic) - len(v["missing"])
                total["takeover_after_cut"] = total.get("takeover_after_cut", 0) + v["takeover_total"]
                total["takeover_decoded"] = total.get("takeover_decoded", 0) + v["takeover_decoded"]
                if v["invented"]:
                    print(f"  {label} (packet {index}, trim {trim}): INVENTED {v['invented'][:3]}")
                if v["missing"]:
                    print(f"  {label} (packet {index}, trim {trim}): connections missing {v['missing']}")
                if args.misses:
                    missed = sorted(recoverable - v["recovered"])
                    if missed:
                        described = []
                        for (key, n) in missed:
                            t = truth.messages[key][n]
                            described.append(f"{key[2]}#{n}/{len(truth.messages[key])} {t['opcode']} {t['length']}B"
                                             f"{' z' if t.get('compressed') else ''}")
                        print(f"  {label} (packet {index}, trim {trim}): missed {', '.join(described)}")
                for tool, counts in tools.items():
                    for k, val in counts.items():
                        total[f"{tool}_{k}"] = total.get(f"{tool}_{k}", 0) + val
            if total["recoverable"]:
                total["wstap_recall"] = round(total["wstap_recovered"] / total["recoverable"], 4)
                for tool in ["tshark", "tshark_decode_as"]:
                    if f"{tool}_recovered" in total:
                        total[f"{tool}_recall"] = round(total[f"{tool}_recovered"] / total["recoverable"], 4)
            name = os.path.relpath(capture, REPO) if capture.startswith("/") else capture
            line = {"capture": name, **total}
            print(json.dumps(line))
            for k, val in total.items():
                if not k.endswith("_recall"):
                    grand[k] = grand.get(k, 0) + val
            if args.json:
                with open(args.json, "a") as f:
                    f.write(json.dumps(line) + "\n")
        if len(args.captures) > 1:
            if grand.get("recoverable"):
                for tool in ["wstap", "tshark", "tshark_decode_as"]:
                    if f"{tool}_recovered" in grand:
                        grand[f"{tool}_recall"] = round(grand[f"{tool}_recovered"] / grand["recoverable"], 4)
            print(json.dumps({"capture": "all", **grand}))
            if args.json:
                with open(args.json, "a") as f:
                    f.write(json.dumps({"capture": "all", **grand}) + "\n")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def verdict_counts(truth, events, recoverable, traffic):
    """tshark's frames against the truth by opcode and order only (its payload fields are not
    compared): `correct` counts frames that line up with a sent message of that opcode."""
    counts = {"printed": 0, "correct": 0, "labelled": 0, "invented": 0, "recovered": 0, "shown": 0}
    nxt, recovered, opened = {}, set(), set()
    for e in events:
        counts["printed"] += 1
        key = (e["client"], e["server"], e["from"])
        opened.add((e["client"], e["server"]))
        candidates = truth.messages.get(key, [])
        found = next((n for n in range(nxt.get(key, 0), len(candidates)) if candidates[n]["opcode"] == e["opcode"]), None)
        if found is None:
            counts["invented"] += 1
            continue
        nxt[key] = found + 1
        counts["correct"] += 1
        if (key, found) in recoverable:
            recovered.add((key, found))
    counts["recovered"] = len(recovered)
    counts["shown"] = len([c for c in traffic if c in opened])
    return counts


if __name__ == "__main__":
    main()
