#!/usr/bin/env python3
"""A real WebSocket client (python `websockets`) that plays the recorded client side of a capture
against `wstap serve`, and logs what it receives.

    serve_client.py --url ws://127.0.0.1:P/PATH --truth captures/X.truth.jsonl --log FILE
                    [--change N] [--swap N] [--respace N] [--subprotocol P] [--no-compression]
                    [--cafile CERT.pem]

Walks the truth file (what the recorded peers sent, in order): a client line is sent again (text,
binary, fragmented into as many frames as recorded, ping, close), a server data line is awaited
with recv().  --change N alters the Nth client data message (0-based; one byte flipped, or "n"
+1000 in a JSON object), as a client with a regression would.  --swap N sends client data messages
N and N+1 in the other order (a client that reorders two requests).  --respace N sends the JSON
text message N compactly re-serialised: the same JSON, other bytes.  --cafile trusts that
certificate for a wss:// URL (the certificate is verified, host name included).

--log FILE gets one JSON line per message received: {"opcode", "data_b64", "t" (seconds since the 101)}; for a ping the pong
that answered it; first {"event": "open", "subprotocol", "extensions", "headers": [[name, value]…]}
(the 101's headers in order); at the end {"event": "closed", "code", "reason"}.  Exit status 0 when the
conversation ran to its close, 1 otherwise (the log says how far it got).
"""

import argparse
import asyncio
import base64
import json
import ssl
import sys
import time

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed


def changed(opcode, data):
    if opcode == "text":
        try:
            value = json.loads(data)
            if isinstance(value, dict):
                value["n"] = value.get("n", 0) + 1000 if isinstance(value.get("n", 0), int) else 1000
                return json.dumps(value).encode()
        except ValueError:
            pass
        return data + b"!"
    return bytes([data[0] ^ 0xFF]) + data[1:] if data else b"\x00"


def fragments(data, count):
    if count <= 1 or len(data) < count:
        return None
    size = -(-len(data) // count)
    return [data[i:i + size] for i in range(0, len(data), size)]


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--truth", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--change", type=int, default=-1)
    parser.add_argument("--swap", type=int, default=-1)
    parser.add_argument("--respace", type=int, default=-1)
    parser.add_argument("--subprotocol")
    parser.add_argument("--cafile")
    parser.add_argument("--no-compression", action="store_true")
    parser.add_argument("--timeout", type=float, default=10)
    parser.add_argument("--extra-ping", help="first send a ping the recording does not hold, with this payload, and await its pong")
    args = parser.parse_args()

    lines = [json.loads(line) for line in open(args.truth) if line.strip()]
    if args.swap >= 0:
        data_lines = [i for i, line in enumerate(lines)
                      if line["from"] == "client" and line["opcode"] in ("text", "binary")]
        first, second = data_lines[args.swap], data_lines[args.swap + 1]
        lines[first], lines[second] = lines[second], lines[first]
    log = open(args.log, "w")

    def record(entry):
        log.write(json.dumps(entry) + "\n")
        log.flush()

    options = {"compression": None if args.no_compression else "deflate", "ping_interval": None, "max_size": None}
    if args.subprotocol:
        options["subprotocols"] = [args.subprotocol]
    if args.cafile:
        options["ssl"] = ssl.create_default_context(cafile=args.cafile)
    data_index = 0
    ok = False
    async with connect(args.url, **options) as ws:
        opened = time.monotonic()
        record({"event": "open", "subprotocol": ws.subprotocol,
                "extensions": ws.response.headers.get("Sec-WebSocket-Extensions"),
                "headers": [[name, value] for name, value in ws.response.headers.raw_items()]})
        try:
            if args.extra_ping is not None:
                waiter = await ws.ping(args.extra_ping.encode())
                await asyncio.wait_for(waiter, args.timeout)
                record({"event": "extra_pong", "data_b64": base64.b64encode(args.extra_ping.encode()).decode()})
            for line in lines:
                opcode = line["opcode"]
                data = base64.b64decode(line["data_b64"])
                if line["from"] == "server":
                    if opcode in ("text", "binary"):
                        message = await asyncio.wait_for(ws.recv(), args.timeout)
                        raw = message.encode() if isinstance(message, str) else message
                        record({"opcode": "text" if isinstance(message, str) else "binary",
                                "data_b64": base64.b64encode(raw).decode(), "t": time.monotonic() - opened})
                    continue
                if opcode in ("text", "binary"):
                    if data_index == args.change:
                        data = changed(opcode, data)
                    if data_index == args.respace:
                        data = json.dumps(json.loads(data), separators=(",", ":")).encode()
                    data_index += 1
                    payload = data.decode() if opcode == "text" else data
                    parts = fragments(data, line.get("fragments", 1))
                    if parts:
                        await ws.send([p.decode("utf-8", "surrogateescape") for p in parts] if opcode == "text" and
                                      all(_is_utf8(p) for p in parts) else parts if opcode == "binary" else payload)
                    else:
                        await ws.send(payload)
                elif opcode == "ping":
                    waiter = await ws.ping(data)
                    await asyncio.wait_for(waiter, args.timeout)
                    record({"opcode": "pong", "data_b64": base64.b64encode(data).decode()})
                elif opcode == "close":
                    code = int.from_bytes(data[:2], "big") if len(data) >= 2 else 1000
                    await asyncio.wait_for(ws.close(code, data[2:].decode()), args.timeout)
            await asyncio.wait_for(ws.wait_closed(), args.timeout)
            ok = True
        except (ConnectionClosed, asyncio.TimeoutError) as error:
            record({"event": "error", "error": repr(error)})
        record({"event": "closed", "code": ws.close_code, "reason": ws.close_reason})
    sys.exit(0 if ok else 1)


def _is_utf8(part):
    try:
        part.decode()
        return True
    except UnicodeDecodeError:
        return False


asyncio.run(main())
