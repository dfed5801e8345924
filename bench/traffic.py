#!/usr/bin/env python3
"""Real WebSocket peers (Python `websockets`) that make the benchmark's traffic.

    traffic.py server --port P --log FILE --ready FILE
    traffic.py client --port P --log FILE --connections N --stop FILE

The client opens N connections at once with permessage-deflate; on every connection both sides
send a mix of compressible JSON text and incompressible binary messages (10 B to 256 KiB, a few of
1 MiB) until the file STOP exists (record.py creates it when the capture file is big enough), then
the client closes with 1000.  Each side writes one JSON line per connection and direction to its
log: the client endpoint, who sent, the number of data messages, their payload bytes and a digest
(SHA-256 over the SHA-256 of every payload, in order), which check.py compares with what wstap
decoded.  Payloads come from a fixed-seed pool with the message number in front, so no two
messages are the same and generating them costs little next to compressing and sending them.

    traffic.py client --port P --log FILE --connections N --short --target-bytes B --progress FILE

--short (the bench's `--shape short`) makes N short connections instead, at most --concurrency
(default 16) open at once: each one connects from a port of its own (FIRST_SHORT_PORT + k, so no
two share a client endpoint in the logs), handshakes with permessage-deflate, sends SHORT_ROUNDS
messages and reads the server's answer to each, then closes with 1000.  Sizes are set so the
capture ends near B bytes: before each connection the client reads the capture's current size
from the --progress file (record.py rewrites it) and shares what is left among the connections
still to come, scaled by the bytes on the wire per payload byte seen so far.  The wanted answer
size travels in the request path (/short/K/ANSWER_BYTES); the server's --connections N tells it
when the last connection is done.
"""

import argparse
import asyncio
import hashlib
import json
import os
import random
import sys

from websockets.asyncio.client import connect
from websockets.asyncio.server import serve


def make_pool(seed):
    rnd = random.Random(seed)
    sizes = [10, 60, 200, 700, 1400, 3000, 9000, 20000, 64000, 130000, 256000]
    texts, blobs = [], []
    for i in range(48):
        n = sizes[i % len(sizes)]
        words = [f'{{"sensor":"s-{rnd.randrange(500)}","value":{rnd.random():.4f},"ok":{str(rnd.random() > .1).lower()}}}'
                 for _ in range(max(1, n // 52))]
        texts.append(("[" + ",".join(words) + "]")[:n] if n > 60 else "héllo ✓ " + str(i))
        blobs.append(rnd.randbytes(n))
    # A few big ones.
    blobs.append(rnd.randbytes(1 << 20))
    texts.append(("x" * 1000 + "ünïcode ") * 1000)
    return texts, blobs


class Tally:
    """Counts, bytes and a running digest of what one side sent on one connection."""

    def __init__(self):
        self.count = 0
        self.bytes = 0
        self.digest = hashlib.sha256()

    def add(self, payload: bytes):
        self.count += 1
        self.bytes += len(payload)
        self.digest.update(hashlib.sha256(payload).digest())

    def line(self, client, side):
        return json.dumps({"client": client, "from": side, "messages": self.count,
                           "bytes": self.bytes, "digest": self.digest.hexdigest()})


async def pump(ws, side, seed, stop_path, tally):
    """Sends messages until the stop file appears; the server then sends END."""
    texts, blobs = POOL
    rnd = random.Random(seed)
    i = 0
    try:
        while True:
            if os.path.exists(stop_path):
                if side == "server":
                    # Tells the client that nothing more comes, so its close races no send.
                    await ws.send(END)
                    tally.add(END.encode())
                return
            i += 1
            prefix = f"{side}-{seed}-{i}:"
            # Mostly binary (the bulk of the bytes), text in between; small messages are common.
            if rnd.random() < 0.45:
                msg = prefix + texts[rnd.randrange(len(texts))]
                payload = msg.encode()
            else:
                msg = prefix.encode() + blobs[rnd.randrange(len(blobs))]
                payload = msg
            await ws.send(msg)
            tally.add(payload)
            # send() returns without yielding while the socket takes the bytes, so without this
            # the first connection to get going starves the others (one carried 93 % of a capture).
            await asyncio.sleep(0)
    except Exception as error:
        print(f"traffic.py: {side} send failed: {error!r}", file=sys.stderr)


async def run_server(args):
    done = asyncio.Event()
    finished = 0
    log = open(args.log, "w")

    async def handler(ws):
        nonlocal finished
        client = "%s:%d" % ws.remote_address[:2]
        tally = Tally()
        if ws.request.path.startswith("/short/"):
            await answer(ws, tally)
        else:
            task = asyncio.create_task(pump(ws, "server", ws.remote_address[1], args.stop, tally))
            try:
                async for _ in ws:
                    pass
            except Exception:
                pass
            await task
        log.write(tally.line(client, "server") + "\n")
        log.flush()
        # Counted, not "none open": short connections come and go, so none may be open for a
        # moment before the last one arrives.
        finished += 1
        if finished == args.connections:
            done.set()

    async with serve(handler, "127.0.0.1", args.port, compression="deflate", max_size=None,
                     ping_interval=None, ssl=tls_context(args, server=True)):
        open(args.ready, "w").close()
        await done.wait()


async def run_client(args):
    if args.short:
        return await run_short_client(args)
    log = open(args.log, "w")

    async def one(k):
        ctx = tls_context(args, server=False)
        async with connect(f"{'wss' if ctx else 'ws'}://127.0.0.1:{args.port}/bench/{k}", compression="deflate",
                           max_size=None, ping_interval=None, open_timeout=30, ssl=ctx,
                           server_hostname="localhost" if ctx else None) as ws:
            client = "%s:%d" % ws.local_address[:2]
            tally = Tally()
            reader = asyncio.create_task(drain(ws))
            await pump(ws, "client", ws.local_address[1], args.stop, tally)
            await asyncio.wait_for(reader, 120)
            await ws.close(1000, "bench done")
            log.write(tally.line(client, "client") + "\n")
            log.flush()

    await asyncio.gather(*(one(k) for k in range(args.connections)))


SHORT_ROUNDS = 3
FIRST_SHORT_PORT = 10000
MAX_SHORT_CONNECTIONS = 20000  # ports 10000-29999: above 9300, below the ephemeral range (32768)
MAX_SHORT_MESSAGE = 1 << 20
SHORT_OVERHEAD = 3000  # wire bytes a short connection costs besides its payloads (handshakes, acks, close)


def short_payload(side, k, i, size, text):
    """A message of about SIZE bytes from the pool, unique by its prefix."""
    texts, blobs = POOL
    prefix = f"{side}-{k}-{i}:"
    size = max(1, min(size, MAX_SHORT_MESSAGE))
    if text:
        body = next((t for t in texts if len(t) >= size), texts[-1])
        return prefix + body[(k * 7 + i) % 50:][:size]
    body = next((b for b in blobs if len(b) >= size), blobs[-1])
    return prefix.encode() + body[(k * 7 + i) % 50:][:size]


def payload_bytes(message):
    return message.encode() if isinstance(message, str) else message


async def answer(ws, tally):
    """Server side of a short connection: one answer of the size the path asks for per message."""
    _, _, k, size = ws.request.path.split("/")[:4]
    i = 0
    try:
        async for _ in ws:
            i += 1
            # Binary and text answers in turn (the client's requests take the other type).
            reply = short_payload("server", int(k), i, int(size), text=i % 2 == 0)
            await ws.send(reply)
            tally.add(payload_bytes(reply))
    except Exception as error:
        print(f"traffic.py: server short connection {k} failed: {error!r}", file=sys.stderr)


async def run_short_client(args):
    log = open(args.log, "w")
    gate = asyncio.Semaphore(args.concurrency)
    sent = {"payload": 0}
    base = read_progress(args.progress)

    def budget(k):
        """Payload bytes for connection K: what is left of the target, shared among the
        connections still to come and those still open (not in the capture's size yet), scaled
        by the wire bytes per payload byte so far, and at most 4× an even share, so that the
        capture's lag behind the traffic cannot make the last connections huge."""
        wire = read_progress(args.progress) - base
        left = max(0, args.target_bytes - wire)
        ratio = wire / sent["payload"] if sent["payload"] > 100_000 and wire > 0 else 1.0
        per_connection = min(left / (args.connections - k + args.concurrency),
                             4 * args.target_bytes / args.connections) - SHORT_OVERHEAD
        return max(2 * SHORT_ROUNDS * 16, int(per_connection / ratio))

    async def one(k):
        async with gate:
            total = budget(k)
            # Requests a quarter of the bytes, answers three quarters, as in request/response.
            request, reply = total // (4 * SHORT_ROUNDS), 3 * total // (4 * SHORT_ROUNDS)
            ctx = tls_context(args, server=False)
            url = f"{'wss' if ctx else 'ws'}://127.0.0.1:{args.port}/short/{k}/{reply}"
            async with connect(url, compression="deflate", max_size=None, ping_interval=None,
                               open_timeout=30, ssl=ctx, server_hostname="localhost" if ctx else None,
                               local_addr=("127.0.0.1", FIRST_SHORT_PORT + k)) as ws:
                client = "%s:%d" % ws.local_address[:2]
                tally = Tally()
                for i in range(1, SHORT_ROUNDS + 1):
                    message = short_payload("client", k, i, request, text=i % 2 == 1)
                    await ws.send(message)
                    tally.add(payload_bytes(message))
                    got = await asyncio.wait_for(ws.recv(), 120)
                    sent["payload"] += len(payload_bytes(got))
                sent["payload"] += tally.bytes
                await ws.close(1000, "bench done")
                log.write(tally.line(client, "client") + "\n")
                log.flush()

    await asyncio.gather(*(one(k) for k in range(args.connections)))


def read_progress(path):
    """The capture's size as record.py last wrote it (0 before the first write)."""
    try:
        with open(path) as f:
            return int(f.read() or 0)
    except (OSError, ValueError):
        return 0


def tls_context(args, server):
    """--tls: TLS 1.3 (the suite comes from OPENSSL_CONF, set by record.py: AES-128-GCM); the
    client writes the key log the TLS bench decrypts with."""
    if not args.tls:
        return None
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if server else ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.set_alpn_protocols(["http/1.1"])
    if server:
        ctx.load_cert_chain(args.cert, args.key)
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.keylog_filename = args.keylog
    return ctx


async def drain(ws):
    """Reads what the server sends until its END message."""
    async for message in ws:
        if message == END:
            return


END = "END"


POOL = make_pool(7)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("role", choices=["server", "client"])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--ready")
    p.add_argument("--stop")
    p.add_argument("--connections", type=int, default=16,
                   help="client: connections to open; server: connections to serve before it exits")
    p.add_argument("--short", action="store_true", help="client: short connections (see above)")
    p.add_argument("--concurrency", type=int, default=16, help="--short: most connections open at once")
    p.add_argument("--target-bytes", type=int, default=0, help="--short: capture size to aim for")
    p.add_argument("--progress", help="--short: file holding the capture's current size")
    p.add_argument("--tls", action="store_true", help="wss:// (TLS 1.3); needs --cert/--key (server), --keylog (client)")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--keylog")
    args = p.parse_args()
    if args.short and not 1 <= args.connections <= MAX_SHORT_CONNECTIONS:
        p.error(f"--short takes 1 to {MAX_SHORT_CONNECTIONS} connections (one client port each)")
    asyncio.run(run_server(args) if args.role == "server" else run_client(args))


if __name__ == "__main__":
    sys.exit(main())
