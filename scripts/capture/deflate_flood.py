#!/usr/bin/env python3
"""A hostile but valid conversation from real peers, for memory tests of `wstap export`.

A python `websockets` server with permessage-deflate sends COUNT binary messages of SIZE zero bytes
(each inflates about 1000x from the wire) to a client on 127.0.0.1:PORT; the client checks each.
Record it with tcpdump on lo, e.g. (as root):

    tcpdump -i lo -U -w flood.pcap 'tcp port 21000' &
    scripts/capture/deflate_flood.py --port 21000 --count 1000 --size 1048576
    kill -INT %1

Tests/EndToEndTests/ExportStreamingTests.swift does exactly this. Exits 0 when the client received
every message intact.
"""

import argparse
import asyncio
import socket
import sys

from websockets.asyncio.client import connect
from websockets.asyncio.server import serve


async def main(args):
    payload = bytes(args.size)

    async def handler(ws):
        # Small frames: without TCP_NODELAY each waits for the client's delayed ACK (40 ms).
        ws.transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for _ in range(args.count):
            await ws.send(payload)
            # Compressed, the frames are small: without a pause the sender never yields and the
            # client (same event loop) never reads.
            await asyncio.sleep(0)
        await ws.close()

    received = 0
    async with serve(handler, "127.0.0.1", args.port, compression="deflate", max_size=None):
        async with connect(f"ws://127.0.0.1:{args.port}/flood", compression="deflate", max_size=None) as ws:
            async for message in ws:
                if message != payload:
                    sys.exit(f"message {received} differs")
                received += 1
    if received != args.count:
        sys.exit(f"received {received} of {args.count} messages")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--size", type=int, default=1 << 20)
    asyncio.run(main(parser.parse_args()))
