#!/usr/bin/env python3
"""Real WebSocket peers (python `websockets`) for the wstap capture scenarios.

    peers.py server SCENARIO --host H --port P --log FILE --ready FILE [--marker FILE]
    peers.py client SCENARIO --host H --port P --log FILE --lport N [--marker FILE --connected FILE]

Both sides log every message they send (see truthlog.py) to their own JSONL
file; record.py merges them.  Payloads are deterministic (fixed seeds).
"""

import argparse
import asyncio
import base64
import hashlib
import json
import os
import random
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from websockets.asyncio.client import connect  # noqa: E402
from websockets.asyncio.server import serve  # noqa: E402
from websockets.datastructures import Headers  # noqa: E402
from websockets.exceptions import ConnectionClosed, InvalidStatus  # noqa: E402
from websockets.extensions.permessage_deflate import (  # noqa: E402
    ClientPerMessageDeflateFactory,
    ServerPerMessageDeflateFactory,
)
from websockets.http11 import Response  # noqa: E402

from truthlog import FrameHook, TruthLog, extensions_header, fmt_endpoint  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

# --------------------------------------------------------------------------
# deterministic payloads


def ascii_text(n, seed):
    rnd = random.Random(seed)
    alphabet = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,;:-"
    return "".join(rnd.choice(alphabet) for _ in range(n))


def rand_bytes(n, seed):
    return random.Random(seed).randbytes(n)


def json_text(i, who):
    """Compressible JSON (repeated keys) for the deflate scenarios."""
    obj = {
        "type": "telemetry",
        "from": who,
        "seq": i,
        "items": [
            {"sensor": f"sensor-{k}", "unit": "celsius", "value": round(20 + (i * 7 + k) % 13 * 0.5, 1),
             "status": "ok" if (i + k) % 5 else "degraded"}
            for k in range(8)
        ],
        "note": "the quick brown fox jumps over the lazy dog " * 3,
    }
    return json.dumps(obj)


PLAIN_CLIENT = [ascii_text(n, 100 + n) for n in (0, 1, 125, 126, 65535, 65536, 70000)] + [
    "héllo wörld — ünïcödé ✓",
    "日本語のテキスト 🚀🎉 emoji",
    "short",
]
# server replies are smaller (size budget) but still cover 7/16/64-bit lengths
PLAIN_SERVER = [ascii_text(n, 200 + n) for n in (0, 1, 125, 126, 127, 65536, 3000)] + [
    "réponse: ça marche ✓",
    "Ответ сервера 🙂",
    "bye soon",
]
SMALL_CLIENT = ["hello", "héllo ✓ ünïcödé", ascii_text(300, 7)]
SMALL_SERVER = ["hi", "réponse ✓", ascii_text(200, 8)]

# --------------------------------------------------------------------------
# per-scenario settings


def compression_kwargs(scenario, side):
    if scenario in ("deflate-default", "deflate-fragmented", "midstream-deflate-context"):
        return {"compression": "deflate"}
    if scenario in ("deflate-no-context", "midstream-deflate-nocontext"):
        if side == "client":
            f = ClientPerMessageDeflateFactory(client_no_context_takeover=True, server_no_context_takeover=True)
        else:
            f = ServerPerMessageDeflateFactory(client_no_context_takeover=True, server_no_context_takeover=True)
        return {"compression": None, "extensions": [f]}
    if scenario == "deflate-small-window":
        if side == "client":
            f = ClientPerMessageDeflateFactory(server_max_window_bits=10, client_max_window_bits=12)
        else:
            f = ServerPerMessageDeflateFactory(server_max_window_bits=10, client_max_window_bits=12)
        return {"compression": None, "extensions": [f]}
    if scenario == "browser-chromium-deflate":
        return {"compression": "deflate"}
    if scenario == "deflate-bomb":
        return {"compression": "deflate"}
    return {"compression": None}


NCONN = {"concurrent": 5}

# auth-headers: secrets a HAR export must be able to redact (Cookie, Authorization, Set-Cookie)
AUTH_PATH = "/feed?room=42&user=alice"
AUTH_HEADERS = {"Cookie": "session=s3cr3t-cookie-value; theme=dark", "Authorization": "Bearer s3cr3t-bearer-token"}
AUTH_SET_COOKIE = "sid=s3cr3t-set-cookie-value; Path=/; HttpOnly"
AUTH_SUBPROTOCOL = "chat.v1"

# --------------------------------------------------------------------------
# server


async def server_handler(scenario, ws):
    """Server side behaviour; runs for each connection."""
    if scenario == "plain":
        for reply in PLAIN_SERVER:
            await ws.recv()
            await ws.send(reply)
        await ws.wait_closed()
    elif scenario == "fragmented":
        await ws.recv()  # fragmented text from client
        await ws.send(["Server ", "fragmented ", "text ", "réponse ✓"])
        await ws.recv()  # fragmented binary from client
        await ws.send([rand_bytes(700, 1), rand_bytes(1, 2), rand_bytes(3000, 3)])
        await ws.recv()  # async-iterable fragmented message with ping inside
        # text message whose UTF-8 character "é" (c3 a9) is split across frames
        await ws.send([b"caf\xc3", b"\xa9 au lait \xe2\x9c", b"\x93"], text=True)
        await ws.recv()  # "done?"
        await ws.close(1001, "server going away")
    elif scenario == "binary":
        while True:
            try:
                msg = await ws.recv()
            except ConnectionClosed:
                break
            await ws.send(bytes(reversed(msg)) if isinstance(msg, bytes) else msg)
    elif scenario == "deflate-bomb":
        # 64 MiB of zeros deflate to about 64 KB on the wire: a decompression bomb made by a real
        # compressor, then an ordinary message that must still decode after it.
        await ws.recv()
        await ws.send(bytes(64 << 20))
        await ws.send("after the bomb ✓")
        await ws.wait_closed()
    elif scenario == "server-push":
        # A subscription answered at once, then pushes on a 0.25 s timer (not answers to anything),
        # then an ordinary request and answer: what serve must replay with the recorded rhythm.
        await ws.recv()
        await ws.send('{"ack": "subscribe", "topic": "prices"}')
        for tick in range(4):
            await asyncio.sleep(0.25)
            await ws.send(json.dumps({"tick": tick, "price": 100 + tick}))
        await ws.recv()
        await ws.send('{"ack": "bye"}')
        await ws.wait_closed()
    elif scenario == "large":
        msg = await ws.recv()
        await ws.send(f"got {len(msg)} bytes sha256={hashlib.sha256(msg).hexdigest()}")
        await ws.wait_closed()
    elif scenario in ("deflate-default", "deflate-no-context", "deflate-small-window"):
        i = 0
        while True:
            try:
                await ws.recv()
            except ConnectionClosed:
                break
            await ws.send(json_text(i, "server"))
            i += 1
    elif scenario == "deflate-fragmented":
        i = 0
        while True:
            try:
                await ws.recv()
            except ConnectionClosed:
                break
            t = json_text(i, "server")
            await ws.send([t[:100], t[100:400], t[400:]])
            i += 1
    elif scenario.startswith("midstream"):
        i = 0
        while True:
            try:
                await ws.recv()
            except ConnectionClosed:
                break
            await ws.send(json_text(i, "server") if "deflate" in scenario else f"server reply {i} ✓")
            i += 1
    else:  # small exchanges: ipv6, any-sll2, pcapng, concurrent
        i = 0
        while True:
            try:
                msg = await ws.recv()
            except ConnectionClosed:
                break
            if scenario == "concurrent":
                await ws.send(f"echo[{i}]: {msg}")
            else:
                await ws.send(SMALL_SERVER[i % len(SMALL_SERVER)])
            i += 1


async def run_server(a):
    log = TruthLog(a.log, marker=a.marker)
    remaining = NCONN.get(a.scenario, 1)
    done = asyncio.Event()

    async def handler(ws):
        nonlocal remaining
        FrameHook(
            log, ws.protocol, role="server",
            client=fmt_endpoint(ws.remote_address), server=fmt_endpoint(ws.local_address),
            extensions_header=extensions_header(ws.response.headers),
        )
        try:
            await server_handler(a.scenario, ws)
        except ConnectionClosed:
            pass
        finally:
            await ws.wait_closed()
            remaining -= 1
            if remaining == 0:
                done.set()

    def process_request(conn, request):
        if a.scenario == "refused":
            refused = {
                "client": fmt_endpoint(conn.remote_address),
                "server": fmt_endpoint(conn.local_address),
                "path": request.path,
                "status": 401,
            }
            with open(a.log + ".refused.json", "w") as f:
                json.dump(refused, f)
            done.set()
            resp = conn.respond(401, "Unauthorized: this WebSocket endpoint requires a token\n")
            resp.headers["WWW-Authenticate"] = 'Bearer realm="wstap"'
            return resp
        return None

    def process_response(conn, request, response):
        if a.scenario == "auth-headers":
            response.headers["Set-Cookie"] = AUTH_SET_COOKIE
        return None

    kw = compression_kwargs(a.scenario, "server")
    if a.scenario == "auth-headers":
        kw["subprotocols"] = [AUTH_SUBPROTOCOL]
    async with serve(handler, a.host, a.port, ping_interval=None, max_size=None,
                     process_request=process_request, process_response=process_response, **kw):
        open(a.ready, "w").close()
        await done.wait()
        await asyncio.sleep(0.3)


# --------------------------------------------------------------------------
# client


def bound_socket(host, port, lport):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, lport))
    s.connect((host, port))
    return s


async def open_client(a, log, idx=0, path="/"):
    host = f"[{a.host}]" if ":" in a.host else a.host
    sock = bound_socket(a.host, a.port, a.lport + idx)
    kw = compression_kwargs(a.scenario, "client")
    if a.scenario == "auth-headers":
        path = AUTH_PATH
        kw["additional_headers"] = AUTH_HEADERS
        kw["subprotocols"] = [AUTH_SUBPROTOCOL]
    ws = await connect(f"ws://{host}:{a.port}{path}", sock=sock, ping_interval=None,
                       max_size=None, **kw)
    FrameHook(log, ws.protocol, role="client",
              client=fmt_endpoint(ws.local_address), server=fmt_endpoint(ws.remote_address),
              extensions_header=extensions_header(ws.response.headers))
    return ws


async def client_plain(ws):
    for m in PLAIN_CLIENT:
        await ws.send(m)
        await ws.recv()
    pong = await ws.ping(b"ping-payload-\x00\x01\xff")
    await pong
    await ws.close(1000, "normal closure: client done ✓")


async def client_fragmented(ws):
    await ws.send(["Hel", "lo, ", "fragmented ", "wörld"])
    await ws.recv()
    await ws.send([rand_bytes(10, 11), rand_bytes(2000, 12), b"\x00\xff"])
    await ws.recv()

    async def gen():
        yield "async "
        yield "fragments "
        await asyncio.sleep(0.05)
        pong = await ws.ping(b"ping-inside-fragmented")  # control frame between data frames
        await pong
        yield "with a ping in the middle"
        yield ascii_text(1500, 13)

    await ws.send(gen())
    await ws.recv()
    await ws.send("done?")
    try:
        await ws.recv()
    except ConnectionClosed:
        pass
    await ws.wait_closed()


async def client_binary(ws):
    msgs = [bytes(range(256)), b"", b"\x00", rand_bytes(125, 21), rand_bytes(126, 22),
            rand_bytes(127, 23), bytes(range(256)) * 40, rand_bytes(65536, 24)]
    for m in msgs:
        await ws.send(m)
        await ws.recv()
    await ws.close(1000, "binary done")


async def client_large(ws):
    await ws.send(rand_bytes(1052672, 31))  # 1 MiB + 4 KiB (64-bit length)
    await ws.recv()
    await ws.close(1000, "large done")


async def client_small(ws, n=3):
    for i in range(n):
        await ws.send(SMALL_CLIENT[i % len(SMALL_CLIENT)])
        await ws.recv()
    pong = await ws.ping("small-ping")
    await pong
    await ws.close(1000, "small done")


async def client_auth(ws):
    """Authenticated feed: text and binary both ways, two pings with distinct payloads, then close."""
    await ws.send('{"subscribe": "room-42"}')
    await ws.recv()
    pong = await ws.ping(b"rtt-1")
    await pong
    await ws.send(rand_bytes(300, 41))
    await ws.recv()
    pong = await ws.ping(b"rtt-2")
    await pong
    await ws.send('{"say": "hello room"}')
    await ws.recv()
    await ws.close(1000, "auth done")


async def client_deflate(ws, scenario):
    for i in range(24):
        t = json_text(i, "client")
        if scenario == "deflate-fragmented":
            await ws.send([t[:50], t[50:600], t[600:]])
        else:
            await ws.send(t)
        await ws.recv()
    await ws.close(1000, "deflate done")


async def run_client(a):
    log = TruthLog(a.log, marker=a.marker)
    s = a.scenario
    if s == "refused":
        host = a.host
        sock = bound_socket(a.host, a.port, a.lport)
        info = {"client": fmt_endpoint(sock.getsockname()), "server": fmt_endpoint(sock.getpeername())}
        try:
            await connect(f"ws://{host}:{a.port}/admin/stream", sock=sock, ping_interval=None, compression=None)
            info["result"] = "unexpectedly accepted"
        except InvalidStatus as e:
            info["result"] = f"InvalidStatus {e.response.status_code}"
        with open(a.log + ".refused-client.json", "w") as f:
            json.dump(info, f)
        return
    if s == "concurrent":
        async def one(i):
            ws = await open_client(a, log, i)
            rnd = random.Random(500 + i)
            for k in range(6):
                await asyncio.sleep(rnd.uniform(0.01, 0.12))
                await ws.send(f"conn{i} msg{k} " + ascii_text(rnd.randrange(5, 400), 600 + 10 * i + k))
                await ws.recv()
            await ws.close(1000, f"conn{i} done")
        await asyncio.gather(*(one(i) for i in range(5)))
        return
    ws = await open_client(a, log)
    if s == "plain":
        await client_plain(ws)
    elif s == "fragmented":
        await client_fragmented(ws)
    elif s == "binary":
        await client_binary(ws)
    elif s == "large":
        await client_large(ws)
    elif s == "deflate-bomb":
        await ws.send("send the bomb")
        await ws.recv()
        await ws.recv()
        await ws.close(1000, "bomb done")
    elif s.startswith("deflate"):
        await client_deflate(ws, s)
    elif s == "auth-headers":
        await client_auth(ws)
    elif s == "server-push":
        await ws.send('{"op": "subscribe", "topic": "prices"}')
        for _ in range(5):
            await ws.recv()
        await ws.send('{"op": "bye"}')
        await ws.recv()
        await ws.close(1000, "push done")
    elif s.startswith("midstream"):
        for i in range(3):
            await ws.send(json_text(100 + i, "client") if "deflate" in s else f"before capture {i}")
            await ws.recv()
        await asyncio.sleep(0.2)
        open(a.connected, "w").close()
        for _ in range(600):
            if os.path.exists(a.marker):
                break
            await asyncio.sleep(0.05)
        else:
            raise SystemExit("capture marker never appeared")
        await asyncio.sleep(0.2)
        for i in range(6):
            await ws.send(json_text(i, "client") if "deflate" in s else f"after capture {i} ✓")
            await ws.recv()
        pong = await ws.ping(b"midstream-ping")
        await pong
        await ws.close(1000, "midstream done")
    else:
        await client_small(ws)
    await ws.wait_closed()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("role", choices=["server", "client"])
    p.add_argument("scenario")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--lport", type=int, default=0)
    p.add_argument("--log", required=True)
    p.add_argument("--ready")
    p.add_argument("--marker")
    p.add_argument("--connected")
    a = p.parse_args()
    coro = run_server(a) if a.role == "server" else run_client(a)
    asyncio.run(asyncio.wait_for(coro, 60))


if __name__ == "__main__":
    main()
