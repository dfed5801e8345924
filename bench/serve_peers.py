#!/usr/bin/env python3
"""The peers of the serve benchmark (bench/serve.sh runs them in a network namespace).

    serve_peers.py record-server --port P --ready FILE --messages N
        a Python `websockets` server that sends every client N small messages (text JSON and
        binary, 8 to 120 bytes, no compression; replay_peers.small_messages) as fast as it can,
        then closes with 1000: the recorded server.
    serve_peers.py record-client --port P --messages N
        a Python `websockets` client that reads until the server closes and checks it got N.
    serve_peers.py python-server --port P --ready FILE --session S.json
        the baseline: a Python `websockets` server that sends each client the session's server
        messages (same opcodes, same bytes) as fast as it can, then closes with 1000.
    serve_peers.py client --url URL --messages N
        the real client that is measured: a Python `websockets` client that reads N messages and
        prints one JSON line: messages, payload bytes, seconds from the 101 to the last message.
    serve_peers.py counter --url URL --messages N
        the same measurement without `websockets` on the receiving path (an asyncio Protocol that
        parses frame headers and counts), so that the client is not what limits the sender.
"""

import argparse
import asyncio
import base64
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from replay_peers import small_messages  # noqa: E402


def session_server_messages(path):
    with open(path) as f:
        doc = json.load(f)
    out = []
    for connection in doc["connections"]:
        for m in connection["messages"]:
            if m["from"] != "server" or m["opcode"] not in ("text", "binary"):
                continue
            payload = base64.b64decode(m["payload"])
            out.append(payload.decode() if m["opcode"] == "text" else payload)
    return out


async def sending_server(args, messages):
    from websockets.asyncio.server import serve

    async def handler(ws):
        for message in messages:
            await ws.send(message)
        await ws.close(1000, "done")

    async with serve(handler, "127.0.0.1", args.port, compression=None, max_size=None, ping_interval=None):
        open(args.ready, "w").close()
        await asyncio.Future()


async def record_client(args):
    from websockets.asyncio.client import connect
    count = 0
    async with connect(f"ws://127.0.0.1:{args.port}/bench/serve", compression=None, ping_interval=None,
                       max_size=None) as ws:
        async for _ in ws:
            count += 1
    if count != args.messages:
        sys.exit(f"serve_peers.py record-client: got {count} messages, not {args.messages}")


def report(messages, payload, start, last):
    seconds = (last or start) - start
    print(json.dumps({"messages": messages, "payload_bytes": payload, "seconds": seconds,
                      "messages_per_second": messages / seconds if seconds else 0}), flush=True)


async def client(args):
    from websockets.asyncio.client import connect
    count = payload = 0
    async with connect(args.url, compression=None, ping_interval=None, max_size=None) as ws:
        start = last = time.perf_counter()
        while count < args.messages:
            message = await asyncio.wait_for(ws.recv(), 60)
            count += 1
            payload += len(message)
        last = time.perf_counter()
    report(count, payload, start, last)


class Counter(asyncio.Protocol):
    def __init__(self, host, path, expected, done):
        self.host, self.path, self.expected, self.done = host, path, expected, done
        self.buf = bytearray()
        self.upgraded = False
        self.messages = self.payload = 0
        self.start = self.last = None

    def connection_made(self, transport):
        self.transport = transport
        key = base64.b64encode(os.urandom(16))
        transport.write(b"GET " + self.path.encode() + b" HTTP/1.1\r\nHost: " + self.host.encode() +
                        b"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
                        b"\r\nSec-WebSocket-Version: 13\r\n\r\n")

    def data_received(self, data):
        self.buf += data
        if not self.upgraded:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            if not self.buf.startswith(b"HTTP/1.1 101"):
                self.fail("no 101: " + bytes(self.buf[:80]).decode("latin-1"))
                return
            del self.buf[:end + 4]
            self.upgraded = True
            self.start = time.perf_counter()
        buf, pos, n = self.buf, 0, len(self.buf)
        while n - pos >= 2:
            b0, b1 = buf[pos], buf[pos + 1]
            length, head = b1 & 0x7F, 2
            if length == 126:
                if n - pos < 4:
                    break
                length, head = (buf[pos + 2] << 8) | buf[pos + 3], 4
            elif length == 127:
                if n - pos < 10:
                    break
                length, head = int.from_bytes(buf[pos + 2:pos + 10], "big"), 10
            if n - pos < head + length:
                break
            opcode = b0 & 0x0F
            if b0 & 0x80 and opcode in (0, 1, 2):
                self.messages += 1
                if self.messages == self.expected:
                    self.last = time.perf_counter()
            self.payload += length
            pos += head + length
            if opcode == 8:
                # Echo the close code and reason (masked with a zero key), as a client does, and stop.
                body = bytes(buf[pos - length:pos])[:125]
                self.transport.write(bytes([0x88, 0x80 | len(body), 0, 0, 0, 0]) + body)
                self.transport.close()
                break
        del buf[:pos]

    def fail(self, reason):
        self.transport.close()
        if not self.done.done():
            self.done.set_exception(RuntimeError(reason))

    def connection_lost(self, exc):
        if not self.done.done():
            self.done.set_result(None)


async def counter(args):
    from urllib.parse import urlsplit
    url = urlsplit(args.url)
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    protocol = Counter(url.netloc, url.path or "/", args.messages, done)
    await loop.create_connection(lambda: protocol, url.hostname, url.port)
    await asyncio.wait_for(done, 120)
    if protocol.messages != args.messages:
        sys.exit(f"serve_peers.py counter: got {protocol.messages} messages, not {args.messages}")
    report(protocol.messages, protocol.payload, protocol.start, protocol.last)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("role", choices=["record-server", "record-client", "python-server", "client", "counter"])
    p.add_argument("--port", type=int)
    p.add_argument("--url")
    p.add_argument("--ready")
    p.add_argument("--messages", type=int, default=100_000)
    p.add_argument("--session")
    args = p.parse_args()
    if args.role == "record-server":
        return asyncio.run(sending_server(args, small_messages(args.messages)))
    if args.role == "python-server":
        return asyncio.run(sending_server(args, session_server_messages(args.session)))
    return asyncio.run({"record-client": record_client, "client": client, "counter": counter}[args.role](args))


if __name__ == "__main__":
    sys.exit(main())
