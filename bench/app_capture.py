#!/usr/bin/env python3
"""Builds a larger capture of application-protocol traffic for timing the decoders: the real-peer
recordings in captures/app/ (Socket.IO, MQTT, STOMP, GraphQL, JSON-RPC) repeated COPIES times one
after the other, each copy's client ports moved so that every connection stays distinct.

    python3 bench/app_capture.py bench/out/app-traffic.pcap --copies 200

The bytes of every message are the peers' own; only client ports and timestamps change (TCP
checksums are not recomputed: wstap, like most offline analysers, does not check them on
loopback captures whose checksums were offloaded anyway).
"""
import argparse
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
APP = os.path.join(HERE, "..", "captures", "app")
SERVER_PORTS = {9301, 9302, 9303, 9304, 9305, 9306}


def packets(path):
    with open(path, "rb") as f:
        header = f.read(24)
        magic, = struct.unpack("<I", header[:4])
        assert magic == 0xA1B2C3D4, f"{path}: only little-endian microsecond pcap"
        while True:
            record = f.read(16)
            if len(record) < 16:
                return header,
            seconds, micros, caplen, length = struct.unpack("<IIII", record)
            yield seconds * 1_000_000 + micros, caplen, length, f.read(caplen)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--copies", type=int, default=200)
    args = parser.parse_args()
    names = sorted(n for n in os.listdir(APP) if n.endswith(".pcap"))
    recordings = []
    for name in names:
        path = os.path.join(APP, name)
        with open(path, "rb") as f:
            header = f.read(24)
        recordings.append(list(p for p in packets(path) if isinstance(p, tuple) and len(p) == 4))
    start = min(r[0][0] for r in recordings)
    span = max(r[-1][0] for r in recordings) - start + 1_000_000
    with open(args.out, "wb") as out:
        out.write(header)
        for copy in range(args.copies):
            for index, recording in enumerate(recordings):
                for micros, caplen, length, data in recording:
                    data = bytearray(data)
                    if len(data) >= 34 and data[12:14] == b"\x08\x00":
                        ihl = (data[14] & 0x0F) * 4
                        tcp = 14 + ihl
                        if data[23] == 6 and len(data) >= tcp + 4:
                            source, destination = struct.unpack(">HH", data[tcp:tcp + 4])
                            shift = lambda port: 10000 + (port + copy * 613 + index * 97) % 50000
                            if source in SERVER_PORTS:
                                destination = shift(destination)
                            else:
                                source = shift(source)
                            data[tcp:tcp + 4] = struct.pack(">HH", source, destination)
                    when = micros - start + copy * span
                    out.write(struct.pack("<IIII", 1_700_000_000 + when // 1_000_000, when % 1_000_000, caplen, length))
                    out.write(data)


if __name__ == "__main__":
    main()
