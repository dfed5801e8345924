#!/usr/bin/env python3
"""Seed corpora for the fuzz targets, extracted from the real captures in captures/.

read:        whole pcap/pcapng files (small ones: big seeds slow every execution)
decoder:     single packets, prefixed with the link-type choice byte FuzzPacketDecoder reads
reassembly:  each capture's TCP segments re-encoded in FuzzTCPReassembly's segment format
http:        the first bytes of each direction of each connection (handshake heads)
frames:      each direction's stream after the handshake, in FuzzFrames' chunk format
inflater:    raw-deflate messages made with zlib, in FuzzInflater's length-prefixed format

Usage: fuzz/make-seeds.py OUTPUT_DIR   (writes OUTPUT_DIR/<target>/…)
"""
import os
import struct
import sys
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CAPTURES = os.path.join(ROOT, "captures")
MAX_SEED = 16 * 1024
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


def main(output):
    for name in sorted(os.listdir(CAPTURES)):
        path = os.path.join(CAPTURES, name)
        if not name.endswith((".pcap", ".pcapng")):
            continue
        data = open(path, "rb").read()
        stem = name.rsplit(".", 1)[0]
        if len(data) <= 200 * 1024:
            write(os.path.join(output, "read"), name, data)
        if not name.endswith(".pcap"):
            continue
        streams, segments = {}, bytearray(struct.pack(">I", 0))
        hosts, base = {}, None
        for index, (link, sec, packet) in enumerate(pcap_packets(data)):
            if index < 8:
                write(os.path.join(output, "decoder"), f"{stem}-{index}", bytes([DECODER_INDEX[link], 0, 0]) + packet)
            tcp = tcp_of(link, packet)
            if tcp is None:
                continue
            src, dst, sport, dport, seq, ack, flags, payload = tcp
            key = (src, sport, dst, dport)
            if len(payload) and sum(len(p) for p in streams.get(key, [])) < MAX_SEED:
                streams.setdefault(key, []).append(payload)
            # Reassembly format: endpoints, flags, time step, seq/ack relative to the first, payload.
            a = hosts.setdefault((src, sport), len(hosts) % 4)
            b = hosts.setdefault((dst, dport), len(hosts) % 4)
            if base is None:
                base = seq
                segments[0:4] = struct.pack(">I", base)
            for piece in [payload[i:i + 255] for i in range(0, len(payload), 255)] or [b""]:
                if len(segments) > MAX_SEED:
                    break
                segments += bytes([a | b << 2, flags, 0]) + struct.pack(">HHB", (seq - base) & 0xFFFF, (ack - base) & 0xFFFF, len(piece)) + piece
                seq += len(piece)
        write(os.path.join(output, "reassembly"), stem, bytes(segments))
        deflate = "deflate" in stem
        for number, (key, pieces) in enumerate(streams.items()):
            stream = b"".join(pieces)
            write(os.path.join(output, "http"), f"{stem}-{number}", bytes([0]) + stream[:4096])
            head_end = stream.find(b"\r\n\r\n")
            body = stream[head_end + 4:] if head_end >= 0 else stream
            client = stream.startswith(b"GET ")
            settings = (0 if client else 1) | (0x72 if deflate else 0) | (0x80 if head_end < 0 else 0)
            write(os.path.join(output, "frames"), f"{stem}-{number}", chunked(body[:MAX_SEED], settings))
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


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "fuzz/seeds")
