#!/usr/bin/env python3
"""Seed corpora for the fuzz targets, extracted from the real captures in captures/.

read:        pcap files cut from each capture at packet boundaries (the start, and windows later
             on for mid-stream pickups), and the pcapng file cut at block boundaries
decoder:     single packets, prefixed with the link-type choice byte FuzzPacketDecoder reads
reassembly:  windows of each capture's TCP segments in FuzzTCPReassembly's segment format
http:        the first bytes of each direction of each connection (handshake heads)
peers:       the same, with FuzzPeerHandshake's side byte (a client's request or a server's answer)
frames:      windows of each direction's stream after the handshake, in FuzzFrames' chunk format
inflater:    raw-deflate messages made with zlib, in FuzzInflater's length-prefixed format
keylog:      the key logs of captures/tls/ whole, and cut at line boundaries
tls:         each TLS connection of captures/tls/: its key log, a NUL, then its segments in capture
             order in FuzzTLSRecords' chunk format (side byte, 12-bit length, bytes)
app:         the messages each real peer of captures/app/ logged (its truth log), one client's
             connection per seed, in FuzzAppDecoders' format with the decoder its capture needs
session, har, options: copied from the committed seeds in fuzz/seeds/ (make-json-seeds.py
             writes the session and HAR ones from `wstap export` of the captures)

Every seed fits its target's max_len in targets.tsv, so libFuzzer never cuts one mid-record.

Usage: fuzz/make-seeds.py OUTPUT_DIR   (writes OUTPUT_DIR/<corpus>/…)
"""
import os
import struct
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CAPTURES = os.path.join(ROOT, "captures")
COMMITTED = os.path.join(HERE, "seeds")
# Where a stream seed may start besides the beginning: windows later in a capture seed the
# mid-stream and resynchronisation paths. At most this many windows per capture or stream.
MAX_WINDOWS = 4


def max_lengths():
    """{corpus: max_len} from targets.tsv; None where libFuzzer's default applies."""
    lengths = {}
    with open(os.path.join(HERE, "targets.tsv")) as f:
        for line in f:
            fields = line.split()
            if fields and not fields[0].startswith("#"):
                lengths[fields[1]] = None if fields[2] == "-" else int(fields[2])
    return lengths


MAX = max_lengths()
# Index of each link type in FuzzPacketDecoder's table.
DECODER_INDEX = {0: 0, 1: 1, 12: 2, 14: 3, 101: 4, 108: 5, 113: 6, 228: 7, 229: 8, 276: 9}


def pcap_packets(data):
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    link = struct.unpack(endian + "I", data[20:24])[0]
    offset = 24
    while offset + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack(endian + "IIII", data[offset:offset + 16])
        yield link, sec, data[offset + 16:offset + 16 + incl]
        offset += 16 + incl


def tcp_of(link, packet):
    """(src, dst, sport, dport, seq, ack, flags, payload) or None."""
    if link == 1:
        ethertype, offset = struct.unpack(">H", packet[12:14])[0], 14
        while ethertype in (0x8100, 0x88A8):
            ethertype, offset = struct.unpack(">H", packet[offset + 2:offset + 4])[0], offset + 4
    elif link == 276:
        ethertype, offset = struct.unpack(">H", packet[0:2])[0], 20
    else:
        return None
    if ethertype == 0x0800:
        ihl = (packet[offset] & 0x0F) * 4
        if packet[offset + 9] != 6:
            return None
        src, dst = packet[offset + 12:offset + 16], packet[offset + 16:offset + 20]
        total = struct.unpack(">H", packet[offset + 2:offset + 4])[0]
        tcp, end = offset + ihl, offset + total
    elif ethertype == 0x86DD:
        if packet[offset + 6] != 6:
            return None
        src, dst = packet[offset + 8:offset + 24], packet[offset + 24:offset + 40]
        tcp, end = offset + 40, offset + 40 + struct.unpack(">H", packet[offset + 4:offset + 6])[0]
    else:
        return None
    sport, dport, seq, ack, off_flags = struct.unpack(">HHIIH", packet[tcp:tcp + 14])
    header = (off_flags >> 12) * 4
    return src, dst, sport, dport, seq, ack, off_flags & 0x3F, packet[tcp + header:end]


def chunked(stream, settings):
    """FuzzFrames' format: a settings byte, then (length - 1, bytes) chunks of up to 200 bytes."""
    out = bytearray([settings])
    for start in range(0, len(stream), 200):
        piece = stream[start:start + 200]
        out.append(len(piece) - 1)
        out += piece
    return bytes(out)


def write(directory, name, data):
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


def window_starts(count):
    """Up to MAX_WINDOWS start indexes spread over `count` items, always including 0."""
    step = max(1, count // MAX_WINDOWS)
    return list(range(0, count, step))[:MAX_WINDOWS]


def pcap_windows(data, limit):
    """The global header plus consecutive records, at most `limit` bytes, from a few start points."""
    records, offset = [], 24
    endian = "<" if struct.unpack("<I", data[:4])[0] in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    while offset + 16 <= len(data):
        incl = struct.unpack(endian + "I", data[offset + 8:offset + 12])[0]
        records.append(data[offset:offset + 16 + incl])
        offset += 16 + incl
    for start in window_starts(len(records)):
        out = bytearray(data[:24])
        for record in records[start:]:
            if len(out) + len(record) > limit:
                break
            out += record
        if len(out) > 24:
            yield start, bytes(out)


def pcapng_prefix(data, limit):
    """Whole pcapng blocks from the start, at most `limit` bytes."""
    endian = "<" if data[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
    offset = 0
    while offset + 12 <= len(data):
        length = struct.unpack(endian + "I", data[offset + 4:offset + 8])[0]
        if length < 12 or offset + length > limit:
            break
        offset += length
    return data[:offset]


def reassembly_segments(link_packets):
    """(endpoints byte, flags, seq, ack, piece) per ≤255-byte piece of each TCP segment."""
    hosts, segments = {}, []
    for link, packet in link_packets:
        tcp = tcp_of(link, packet)
        if tcp is None:
            continue
        src, dst, sport, dport, seq, ack, flags, payload = tcp
        a = hosts.setdefault((src, sport), len(hosts) % 4)
        b = hosts.setdefault((dst, dport), len(hosts) % 4)
        for piece in [payload[i:i + 255] for i in range(0, len(payload), 255)] or [b""]:
            segments.append((a | b << 2, flags, seq, ack, piece))
            seq = (seq + len(piece)) & 0xFFFFFFFF
    return segments


def reassembly_window(segments, limit):
    """FuzzTCPReassembly's format: a base sequence number, then per segment endpoints, flags, time
    step, seq/ack relative to the base (16 bits), payload length, payload."""
    base = segments[0][2]
    out = bytearray(struct.pack(">I", base))
    for pair, flags, seq, ack, piece in segments:
        record = bytes([pair, flags, 0]) + struct.pack(">HHB", (seq - base) & 0xFFFF, (ack - base) & 0xFFFF, len(piece)) + piece
        if len(out) + len(record) > limit:
            break
        out += record
    return bytes(out)


def frames_windows(body, settings, limit):
    """Chunks of the stream after the handshake: the start (at a frame boundary, as the settings
    say) and later windows, which start mid-stream (settings bit 0x80)."""
    room = limit - 1  # the settings byte, then one length byte per chunk of up to 200
    while room + 1 + -(-room // 200) > limit:
        room -= 1
    starts = window_starts(max(1, len(body) // room + 1))
    for number, index in enumerate(starts):
        piece = body[index * room:index * room + room]
        if piece:
            yield number, chunked(piece, settings if index == 0 else settings | 0x80)


def tls_seeds(output):
    """The keylog and tls corpora from captures/tls/ (each capture beside its .keylog)."""
    folder = os.path.join(CAPTURES, "tls")
    for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
        if not name.endswith(".pcap"):
            continue
        stem = name.rsplit(".", 1)[0]
        keylog_path = os.path.join(folder, stem + ".keylog")
        keylog = open(keylog_path, "rb").read() if os.path.exists(keylog_path) else b""
        write(os.path.join(output, "keylog"), stem, keylog[:MAX["keylog"]])
        lines = keylog.splitlines(keepends=True)
        write(os.path.join(output, "keylog"), stem + "-tail", b"".join(lines[len(lines) // 2:])[:MAX["keylog"]])
        # Connections by their endpoint pair; the side that sent the first SYN (or the first bytes)
        # is the client, bit 0 clear.
        connections, clients = {}, {}
        for link, packet in ((link, packet) for link, _, packet in pcap_packets(open(os.path.join(folder, name), "rb").read())):
            tcp = tcp_of(link, packet)
            if tcp is None:
                continue
            src, dst, sport, dport, _, _, flags, payload = tcp
            key = frozenset([(src, sport), (dst, dport)])
            clients.setdefault(key, (src, sport))
            if payload:
                connections.setdefault(key, []).append((0 if (src, sport) == clients[key] else 1, payload))
        for number, pieces in enumerate(connections.values()):
            if not pieces or pieces[0][1][:1] != b"\x16":
                continue  # not TLS (mixed-plain-and-tls has plain connections too)
            out = bytearray(keylog + b"\0")
            chunks = [(side, payload[start:start + 0xFFF]) for side, payload in pieces for start in range(0, len(payload), 0xFFF)]
            for side, piece in chunks:
                if len(out) + 3 + len(piece) > MAX["tls"]:
                    break  # the streams end here, as a capture that stopped would
                out += bytes([side]) + struct.pack(">H", len(piece)) + piece
            write(os.path.join(output, "tls"), f"{stem}-{number}", bytes(out))


def app_seeds(output):
    """The app corpus from captures/app/*.truth.jsonl: a client's sent (to the server) and received
    (from it) messages in time order. The decoder choice byte is FuzzAppDecoders' table index."""
    import base64
    import json
    folder = os.path.join(CAPTURES, "app")
    choices = {"socketio": [0, 1], "mqtt": [2], "stomp": [3, 7], "jsonrpc": [6, 7]}
    for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
        if not name.endswith(".truth.jsonl"):
            continue
        stem = name[: -len(".truth.jsonl")]
        clients = {}
        for line in open(os.path.join(folder, name)):
            entry = json.loads(line)
            if entry.get("dir") not in ("sent", "received") or "data_b64" not in entry or entry.get("logged_by") == "server":
                continue
            clients.setdefault(entry["logged_by"], []).append(entry)
        for client, entries in sorted(clients.items()):
            if stem == "graphql":
                picks = [5] if "graphql-ws" in client else [4]
            else:
                picks = next((value for key, value in choices.items() if stem.startswith(key)), [7])
            for pick in picks:
                out = bytearray([pick])
                for entry in sorted(entries, key=lambda e: e["ts_ns"]):
                    payload = base64.b64decode(entry["data_b64"])[:0xFFF]
                    control = (0 if entry["dir"] == "sent" else 1) | (2 if entry.get("opcode") == "binary" else 0)
                    if len(out) + 3 + len(payload) > MAX["app"]:
                        break
                    out += bytes([control]) + struct.pack(">H", len(payload)) + payload
                write(os.path.join(output, "app"), f"{stem}-{client}-{pick}", bytes(out))


def copy_committed(output):
    for corpus in ("session", "har", "options"):
        source = os.path.join(COMMITTED, corpus)
        for name in sorted(os.listdir(source)) if os.path.isdir(source) else []:
            with open(os.path.join(source, name), "rb") as f:
                write(os.path.join(output, corpus), name, f.read())


def main(output):
    for name in sorted(os.listdir(CAPTURES)):
        path = os.path.join(CAPTURES, name)
        if not name.endswith((".pcap", ".pcapng")):
            continue
        data = open(path, "rb").read()
        stem = name.rsplit(".", 1)[0]
        if name.endswith(".pcapng"):
            write(os.path.join(output, "read"), name, pcapng_prefix(data, MAX["read"]))
            continue
        for start, window in pcap_windows(data, MAX["read"]):
            write(os.path.join(output, "read"), f"{stem}-{start}.pcap", window)
        packets = [(link, packet) for link, _, packet in pcap_packets(data)]
        for index, (link, packet) in enumerate(packets[:8]):
            write(os.path.join(output, "decoder"), f"{stem}-{index}", bytes([DECODER_INDEX[link], 0, 0]) + packet)
        segments = reassembly_segments(packets)
        for start in window_starts(len(segments)):
            write(os.path.join(output, "reassembly"), f"{stem}-{start}", reassembly_window(segments[start:], MAX["reassembly"]))
        streams = {}
        for link, packet in packets:
            tcp = tcp_of(link, packet)
            if tcp is not None and len(tcp[7]):
                src, dst, sport, dport = tcp[:4]
                streams.setdefault((src, sport, dst, dport), []).append(tcp[7])
        deflate = "deflate" in stem
        for number, pieces in enumerate(streams.values()):
            stream = b"".join(pieces)
            write(os.path.join(output, "http"), f"{stem}-{number}", bytes([0]) + stream[:4096])
            # FuzzPeerHandshake: 1 for a client's request (serve's side), 0 for a server's answer.
            write(os.path.join(output, "peers"), f"{stem}-{number}", bytes([1 if stream.startswith(b"GET ") else 0]) + stream[:4095])
            head_end = stream.find(b"\r\n\r\n")
            body = stream[head_end + 4:] if head_end >= 0 else stream
            client = stream.startswith(b"GET ")
            settings = (0 if client else 1) | (0x72 if deflate else 0) | (0x80 if head_end < 0 else 0)
            for window, seed in frames_windows(body, settings, MAX["frames"]):
                write(os.path.join(output, "frames"), f"{stem}-{number}-{window}", seed)
    messages = [b"hello", b"x" * 1000, bytes(range(256)) * 4, b'{"type":"ping","n":1}']
    for window in (9, 12, 15):
        out = bytearray([window - 8])
        compressor = zlib.compressobj(6, zlib.DEFLATED, -window)
        for message in messages:
            compressed = compressor.compress(message) + compressor.flush(zlib.Z_SYNC_FLUSH)
            compressed = compressed[:-4] if compressed.endswith(b"\x00\x00\xff\xff") else compressed
            while len(compressed) > 255:
                out += bytes([255]) + compressed[:255] + b"\x00"
                compressed = compressed[255:]
            out += bytes([len(compressed)]) + compressed + b"\x00"
        write(os.path.join(output, "inflater"), f"window{window}", bytes(out))
    tls_seeds(output)
    app_seeds(output)
    copy_committed(output)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "fuzz/seeds")
