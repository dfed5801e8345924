#!/usr/bin/env python3
"""Deterministic WebSocket server for recording and replay tests (python `websockets`).

    echo_server.py --port P [--host H] [--ready FILE] [--received FILE] [--truth FILE]
                   [--changed] [--cert PEM --key PEM]

Answers every data message with JSON {"echo": <text or base64>, "kind": "text"|"binary",
"n": <message number>, "ts": <time>}: everything but "ts" is deterministic, so a replay compared
with `--ignore '$.ts'` matches.  `--changed` makes the answers differ ("n" counts from 100), as a
server with a regression would.  Subprotocol "chat.v1" is accepted when offered; permessage-deflate
is accepted when offered (websockets' default).

--received FILE logs, one JSON line each, what the server *received*: a "connect" line (path,
subprotocol, extensions, selected request headers) and one line per message with its opcode,
payload (base64), frame count and per-frame payload lengths (after decompression).  Replay tests
compare that log with the recording.  --truth FILE logs what it sent, in the captures/ truth format.
--ready FILE gets the bound port once listening (use --port 0 for a free one).
"""

import argparse
import asyncio
import base64
import json
import os
import ssl
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from websockets.asyncio.server import serve  # noqa: E402
from websockets.exceptions import ConnectionClosed  # noqa: E402
from websockets.frames import Opcode  # noqa: E402

from truthlog import FrameHook, TruthLog, extensions_header, fmt_endpoint  # noqa: E402

OPNAMES = {Opcode.TEXT: "text", Opcode.BINARY: "binary", Opcode.PING: "ping", Opcode.PONG: "pong", Opcode.CLOSE: "close"}


class ReceiveLog:
    """Wraps protocol.recv_frame (every frame the server receives, after extensions decode it)."""

    def __init__(self, fh, conn, protocol):
        self.fh, self.conn, self.pending = fh, conn, None
        orig = protocol.recv_frame

        def recv_frame(frame):
            self.on_frame(frame)
            return orig(frame)

        protocol.recv_frame = recv_frame

    def write(self, obj):
        if self.fh:
            self.fh.write(json.dumps(obj) + "\n")
            self.fh.flush()

    def on_frame(self, frame):
        op = frame.opcode
        if op in (Opcode.TEXT, Opcode.BINARY):
            self.pending = (OPNAMES[op], [bytes(frame.data)])
        elif op == Opcode.CONT and self.pending:
            self.pending[1].append(bytes(frame.data))
        else:
            self.write({"event": "message", "conn": self.conn, "opcode": OPNAMES.get(op, str(op)),
                        "data_b64": base64.b64encode(bytes(frame.data)).decode(), "frames": 1,
                        "frame_lengths": [len(frame.data)]})
            return
        if frame.fin and self.pending:
            name, chunks = self.pending
            self.pending = None
            self.write({"event": "message", "conn": self.conn, "opcode": name,
                        "data_b64": base64.b64encode(b"".join(chunks)).decode(), "frames": len(chunks),
                        "frame_lengths": [len(c) for c in chunks]})


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--ready")
    parser.add_argument("--received")
    parser.add_argument("--truth")
    parser.add_argument("--changed", action="store_true")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    args = parser.parse_args()
    received = open(args.received, "a", buffering=1) if args.received else None
    truth = TruthLog(args.truth) if args.truth else None
    counter = {"conn": 0}

    async def handler(ws):
        counter["conn"] += 1
        conn = counter["conn"]
        log = ReceiveLog(received, conn, ws.protocol)
        headers = ws.request.headers
        log.write({"event": "connect", "conn": conn, "path": ws.request.path, "subprotocol": ws.subprotocol,
                   "extensions": extensions_header(ws.response.headers),
                   "headers": {name: headers.get(name) for name in
                               ("Host", "Origin", "Cookie", "User-Agent", "X-Session", "Authorization")}})
        if truth:
            FrameHook(truth, ws.protocol, role="server", client=fmt_endpoint(ws.remote_address),
                      server=fmt_endpoint(ws.local_address), extensions_header=extensions_header(ws.response.headers))
        n = 100 if args.changed else 0
        try:
            async for message in ws:
                n += 1
                if isinstance(message, str):
                    answer = {"echo": message, "kind": "text"}
                else:
                    answer = {"echo": base64.b64encode(message).decode(), "kind": "binary"}
                answer.update(n=n, ts=time.time())
                await ws.send(json.dumps(answer, ensure_ascii=False))
        except ConnectionClosed:
            pass

    ssl_context = None
    if args.cert:
        ssl_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ssl_context.load_cert_chain(args.cert, args.key)
    def select_subprotocol(connection, offered):
        # websockets' default refuses clients that offer none when subprotocols are configured.
        return "chat.v1" if "chat.v1" in offered else None

    async with serve(handler, args.host, args.port, select_subprotocol=select_subprotocol, ping_interval=None,
                     max_size=None, ssl=ssl_context) as server:
        port = server.sockets[0].getsockname()[1]
        if args.ready:
            with open(args.ready + ".tmp", "w") as fh:
                fh.write(str(port))
            os.replace(args.ready + ".tmp", args.ready)
        await asyncio.get_running_loop().create_future()


if __name__ == "__main__":
    # A parent such as a test runner may start us with SIGTERM blocked (the mask is inherited):
    # unblock it so that terminating the server works.
    import signal
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
