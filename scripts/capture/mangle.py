#!/usr/bin/env python3
"""Derive damaged captures from real ones by rewriting classic pcap files
(own parser; no scapy).  Only Ethernet (linktype 1) + IPv4/IPv6 + TCP needed.

    mangle.py reorder SRC.pcap DST.pcap SIDECAR.json [--seed N]
        Within consecutive windows of 5 packets, permute the packets
        deterministically (timestamps stay in their original slots, so the file
        stays time-ordered but TCP sequence order is broken) and duplicate ~10%
        of the data-bearing packets (copy inserted right after, same timestamp).
    mangle.py drop SRC.pcap DST.pcap SIDECAR.json --port SERVER_PORT
        Drop 3 data-bearing packets in the middle of the client->server
        direction.  The sidecar lists them and which truth messages (by "seq"
        of the client direction) lose bytes.
"""

import argparse
import json
import random
import struct


def read_pcap(path):
    data = open(path, "rb").read()
    magic = data[:4]
    if magic == b"\xd4\xc3\xb2\xa1":
        e = "<"
    elif magic == b"\xa1\xb2\xc3\xd4":
        e = ">"
    else:
        raise SystemExit(f"{path}: not a microsecond classic pcap")
    linktype = struct.unpack(e + "I", data[20:24])[0]
    assert linktype == 1, f"linktype {linktype} unsupported"
    pkts, off = [], 24
    while off < len(data):
        sec, usec, incl, orig = struct.unpack(e + "IIII", data[off:off + 16])
        pkts.append({"sec": sec, "usec": usec, "orig": orig, "data": data[off + 16:off + 16 + incl]})
        off += 16 + incl
    return data[:24], e, pkts


def write_pcap(path, header, e, pkts):
    with open(path, "wb") as f:
        f.write(header)
        for p in pkts:
            f.write(struct.pack(e + "IIII", p["sec"], p["usec"], len(p["data"]), p["orig"]))
            f.write(p["data"])


def tcp_info(frame):
    """(src_port, dst_port, seq, payload_bytes) or None."""
    etype = struct.unpack("!H", frame[12:14])[0]
    ip = frame[14:]
    if etype == 0x0800:
        ihl = (ip[0] & 15) * 4
        total = struct.unpack("!H", ip[2:4])[0]
        if ip[9] != 6:
            return None
        tcp, end = ip[ihl:total], total - ihl
    elif etype == 0x86DD:
        if ip[6] != 6:
            return None
        plen = struct.unpack("!H", ip[4:6])[0]
        tcp, end = ip[40:40 + plen], plen
    else:
        return None
    sport, dport, seq = struct.unpack("!HHI", tcp[:8])
    doff = (tcp[12] >> 4) * 4
    return sport, dport, seq, tcp[doff:end]


def reorder(a):
    header, e, pkts = read_pcap(a.src)
    rnd = random.Random(a.seed)
    out, mapping, dups = [], [], []
    for w in range(0, len(pkts), 5):
        idx = list(range(w, min(w + 5, len(pkts))))
        perm = idx[:]
        rnd.shuffle(perm)
        for slot, src in zip(idx, perm):
            p = dict(pkts[src], sec=pkts[slot]["sec"], usec=pkts[slot]["usec"])
            out.append(p)
            mapping.append(src + 1)
            info = tcp_info(p["data"])
            if info and info[3] and rnd.random() < 0.10:
                out.append(dict(p))
                mapping.append(src + 1)
                dups.append(src + 1)
    write_pcap(a.dst, header, e, out)
    json.dump({
        "source": a.src.split("/")[-1], "seed": a.seed, "window": 5,
        "note": "out_frame_from_source_frame[i] = 1-based source frame number of output frame i+1; "
                "timestamps keep their original slots; duplicates follow their original immediately",
        "source_frames": len(pkts), "output_frames": len(out),
        "duplicated_source_frames": dups,
        "out_frame_from_source_frame": mapping,
    }, open(a.sidecar, "w"), indent=1)
    print(f"reorder: {len(pkts)} -> {len(out)} frames, {len(dups)} duplicates")


def ws_frames(stream, masked):
    """Yield (start, end, opcode, fin) of WebSocket frames after the HTTP head."""
    pos = stream.index(b"\r\n\r\n") + 4
    while pos + 2 <= len(stream):
        b0, b1 = stream[pos], stream[pos + 1]
        n, hl = b1 & 127, 2
        if n == 126:
            n, hl = struct.unpack("!H", stream[pos + 2:pos + 4])[0], 4
        elif n == 127:
            n, hl = struct.unpack("!Q", stream[pos + 2:pos + 10])[0], 10
        if b1 & 128:
            hl += 4
        yield pos, pos + hl + n, b0 & 15, bool(b0 & 128)
        pos += hl + n


def drop(a):
    header, e, pkts = read_pcap(a.src)
    c2s = []  # (frame index, seq, payload)
    isn = None
    for i, p in enumerate(pkts):
        info = tcp_info(p["data"])
        if info and info[1] == a.port:
            if isn is None:
                isn = info[2]  # SYN
            if info[3]:
                c2s.append((i, info[2], info[3]))
    # reassemble the (loss-free) client->server stream to map bytes to frames
    stream = bytearray()
    for _, seq, pl in sorted(c2s, key=lambda t: t[1]):
        off = (seq - isn - 1) % 2**32
        if off == len(stream):
            stream += pl
    frames = list(ws_frames(bytes(stream), masked=True))
    mid = len(c2s) // 2
    victims = [c2s[mid], c2s[mid + 1], c2s[mid + 4]]
    dropped, affected = [], set()
    for i, seq, pl in victims:
        off = (seq - isn - 1) % 2**32
        dropped.append({"source_frame": i + 1, "tcp_seq_relative": off + 1, "bytes": len(pl),
                        "stream_offset": off})
        # message seq == frame index here: the source has no fragmented messages
        for k, (s, end, _op, _fin) in enumerate(frames):
            if s < off + len(pl) and off < end:
                affected.add(k)
    vic = {v[0] for v in victims}
    out = [p for i, p in enumerate(pkts) if i not in vic]
    write_pcap(a.dst, header, e, out)
    json.dump({
        "source": a.src.split("/")[-1], "direction": "client->server", "server_port": a.port,
        "note": "source_frame is 1-based in the source capture; the receiver's ACKs still cover the "
                "dropped bytes (they were lost by the capture, not by the network). "
                "affected_client_message_seqs = 'seq' values of from=client truth lines that lose bytes.",
        "dropped": dropped, "dropped_bytes_total": sum(d["bytes"] for d in dropped),
        "affected_client_message_seqs": sorted(affected),
    }, open(a.sidecar, "w"), indent=1)
    print(f"drop: removed frames {[d['source_frame'] for d in dropped]}, affected msgs {sorted(affected)}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["reorder", "drop"])
    p.add_argument("src")
    p.add_argument("dst")
    p.add_argument("sidecar")
    p.add_argument("--seed", type=int, default=6455)
    p.add_argument("--port", type=int)
    a = p.parse_args()
    (reorder if a.mode == "reorder" else drop)(a)


if __name__ == "__main__":
    main()
