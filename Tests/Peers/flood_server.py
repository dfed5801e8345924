#!/usr/bin/env python3
"""Hostile and heavy WebSocket servers for replay's resource tests (python `websockets`).

    flood_server.py --mode frames|pings --port P [--ready FILE] [--seconds S]
    flood_server.py --mode zeros --port P [--ready FILE] [--count N] [--size BYTES]

frames  completes the handshake, then writes endless one-byte text frames as fast as the socket
        takes them, for --seconds (default 60) per connection, then closes.  The frames are
        written as raw bytes after the upgrade so that Python is not the bottleneck.
pings   the same with empty ping frames (a replay client that kept or answered every one would
        grow without bound).
zeros   a normal permessage-deflate server (websockets' defaults) that answers the first message
        of each connection with --count (default 1000) binary messages of --size (default 1 MiB)
        zero bytes: each compresses about 1000:1, so a capture of it is small but inflates to
        count × size bytes.  scripts/replay/record_inflating.sh records captures/replay-inflating.pcap
        with it.

--ready FILE gets the bound port once listening (use --port 0 for a free one).  Every loop is
bounded in time or count: the server never runs forever on its own account, but it serves until
it is terminated.
"""

import argparse
import asyncio
import logging
import os
import signal
import time

from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

# One write of this many frames: large enough that the loop is not Python-bound.
FRAMES_PER_WRITE = 4096
# Stop writing while the kernel and asyncio buffers hold more than this (backpressure).
MAX_PENDING_BYTES = 1 << 20


async def flood(ws, frame, seconds):
    transport = ws.transport
    chunk = frame * FRAMES_PER_WRITE
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not transport.is_closing():
        try:
            transport.write(chunk)
        except (RuntimeError, ConnectionError):
            break  # the client closed (write after EOF)
        while transport.get_write_buffer_size() > MAX_PENDING_BYTES and not transport.is_closing():
            await asyncio.sleep(0.001)
            if time.monotonic() >= deadline:
                break
        await asyncio.sleep(0)
    transport.close()


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["frames", "pings", "zeros"], required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--ready")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--size", type=int, default=1 << 20)
    args = parser.parse_args()
    # A flooded client hangs up mid-write: websockets would log each such connection's end.
    logging.getLogger("websockets").setLevel(logging.CRITICAL)

    async def handler(ws):
        if args.mode == "frames":
            await flood(ws, b"\x81\x01x", args.seconds)
        elif args.mode == "pings":
            await flood(ws, b"\x89\x00", args.seconds)
        else:
            try:
                await ws.recv()
                zeros = bytes(args.size)
                for _ in range(args.count):
                    await ws.send(zeros)
                await ws.close(1000, "done")
            except ConnectionClosed:
                pass

    compression = "deflate" if args.mode == "zeros" else None
    async with serve(handler, args.host, args.port, ping_interval=None, max_size=None, compression=compression) as server:
        port = server.sockets[0].getsockname()[1]
        if args.ready:
            with open(args.ready + ".tmp", "w") as fh:
                fh.write(str(port))
            os.replace(args.ready + ".tmp", args.ready)
        await asyncio.get_running_loop().create_future()


if __name__ == "__main__":
    # A test runner may start us with SIGTERM blocked (the mask is inherited): unblock it.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
