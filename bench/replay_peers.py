#!/usr/bin/env python3
"""The peers of the replay benchmark (bench/replay.sh runs them in a network namespace).

    replay_peers.py record-server --port P --ready FILE
        a Python `websockets` server that reads every message and answers nothing; the recording's
        server (real peer, real handshake).
    replay_peers.py record-client --port P --messages N
        a Python `websockets` client that sends N small messages (text JSON and binary, 8 to 120
        bytes, no compression) as fast as it can, then closes with 1000: the recorded traffic.
    replay_peers.py sink --port P --ready FILE
        the sink replay and the Python client send to: it answers the handshake, then only parses
        frame headers (no unmasking, no answers) and counts data messages; when the client sends its
        close frame it answers it and prints one JSON line: messages, payload bytes, and the seconds
        from the 101 to the last data message.  It is an asyncio Protocol (no websockets library on
        the receiving path) so that it is not what limits the measurement: `blast` checks that.
    replay_peers.py python-client --port P --session S.json
        the baseline: a Python `websockets` client that sends the session's client messages (same
        opcodes, same bytes) as fast as it can, then closes.
    replay_peers.py blast --port P --session S.json
        the sink's ceiling: one socket writes the session's client messages as pre-encoded masked
        frames in large writes, then a close frame.
"""

import argparse
import asyncio
import base64
import hashlib
import json
import os
import random
import socket
import struct
import sys
import time

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def small_messages(n):
    """N distinct small messages, about half text JSON and half binary, 8 to 120 bytes."""
    rnd = random.Random(11)
    out = []
    for i in range(n):
        if rnd.random() < 0.5:
            out.append(json.dumps({"n": i, "v": round(rnd.random(), 4), "k": "s-%d" % rnd.randrange(99)})[:120])
        else:
            out.append(i.to_bytes(4, "big") + rnd.randbytes(rnd.randrange(4, 116)))
    return out


def session_client_messages(path):
    """The text/binary client messages of every connection in a session file, as websockets sends them."""
    with open(path) as f:
        doc = json.load(f)
    out = []
    for connection in doc["connections"]:
        for m in connection["messages"]:
            if m["from"] != "client" or m["opcode"] not in ("text", "binary"):
                continue
            payload = base64.b64decode(m["payload"])
            out.append(payload.decode() if m["opcode"] == "text" else payload)
    return out


async def record_server(args):
    from websockets.asyncio.server import serve

    async def handler(ws):
        async for _ in ws:
            pass

    async with serve(handler, "127.0.0.1", args.port, compression=None, max_size=None, ping_interval=None):
        open(args.ready, "w").close()
        await asyncio.Future()


async def record_client(args):
    from websockets.asyncio.client import connect
    async with connect(f"ws://127.0.0.1:{args.port}/bench/replay", compression=None,
                       ping_interval=None) as ws:
        for message in small_messages(args.messages):
            await ws.send(message)
        await ws.close(1000, "done")


class Sink(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
        self.buf = bytearray()
        self.upgraded = False
        self.messages = 0
        self.payload = 0
        self.start = self.last = None

    def data_received(self, data):
        self.buf += data
        if not self.upgraded:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            key = b""
            for line in bytes(self.buf[:end]).split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"sec-websocket-key":
                    key = value.strip()
            accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
            self.transport.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                                 b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n")
            del self.buf[:end + 4]
            self.upgraded = True
            self.start = time.perf_counter()
        buf = self.buf
        pos, n = 0, len(buf)
        messages, payload = 0, 0
        while n - pos >= 2:
            b0, b1 = buf[pos], buf[pos + 1]
            length = b1 & 0x7F
            head = 2
            if length == 126:
                if n - pos < 4:
                    break
                length = (buf[pos + 2] << 8) | buf[pos + 3]
                head = 4
            elif length == 127:
                if n - pos < 10:
                    break
                length = int.from_bytes(buf[pos + 2:pos + 10], "big")
                head = 10
            if b1 & 0x80:
                head += 4
            if n - pos < head + length:
                break
            opcode = b0 & 0x0F
            if opcode == 8:
                self.messages += messages
                self.payload += payload
                self.finish(bytes(buf[pos + head:pos + head + length]), b1 & 0x80, buf[pos + head - 4:pos + head])
                return
            if b0 & 0x80 and opcode in (0, 1, 2):
                messages += 1
            payload += length
            pos += head + length
        if messages:
            self.last = time.perf_counter()
        self.messages += messages
        self.payload += payload
        del buf[:pos]

    def finish(self, body, masked, key):
        if masked:
            body = bytes(b ^ key[i % 4] for i, b in enumerate(body))
        self.transport.write(bytes([0x88, len(body)]) + body)
        self.transport.close()
        seconds = (self.last or self.start) - self.start
        print(json.dumps({"messages": self.messages, "payload_bytes": self.payload, "seconds": seconds,
                          "messages_per_second": self.messages / seconds if seconds else 0}), flush=True)


async def sink(args):
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Sink, "127.0.0.1", args.port)
    open(args.ready, "w").close()
    async with server:
        await server.serve_forever()


async def python_client(args):
    from websockets.asyncio.client import connect
    messages = session_client_messages(args.session)
    async with connect(f"ws://127.0.0.1:{args.port}/bench/replay", compression=None,
                       ping_interval=None, max_size=None) as ws:
        for message in messages:
            await ws.send(message)
        await ws.close(1000, "done")


def frame(opcode, payload):
    key = os.urandom(4)
    n = len(payload)
    head = bytes([0x80 | opcode]) + (bytes([0x80 | n]) if n < 126 else
                                     bytes([0xFE]) + struct.pack(">H", n) if n < 65536 else
                                     bytes([0xFF]) + struct.pack(">Q", n))
    masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return head + key + masked


def blast(args):
    messages = session_client_messages(args.session)
    wire = b"".join(frame(1, m.encode()) if isinstance(m, str) else frame(2, m) for m in messages)
    wire += frame(8, struct.pack(">H", 1000))
    s = socket.create_connection(("127.0.0.1", args.port))
    key = base64.b64encode(os.urandom(16))
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              b"Sec-WebSocket-Key: " + key + b"\r\nSec-WebSocket-Version: 13\r\n\r\n")
    s.recv(4096)
    s.sendall(wire)
    while s.recv(65536):
        pass
    s.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("role", choices=["record-server", "record-client", "sink", "python-client", "blast"])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ready")
    p.add_argument("--messages", type=int, default=100_000)
    p.add_argument("--session")
    args = p.parse_args()
    if args.role == "blast":
        return blast(args)
    asyncio.run({"record-server": record_server, "record-client": record_client, "sink": sink,
                 "python-client": python_client}[args.role](args))


if __name__ == "__main__":
    sys.exit(main())
