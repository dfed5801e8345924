#!/usr/bin/env python3
"""A WebSocket client (python `websockets`) that talks slowly, for sniff's latency test.

    paced_client.py --port P [--host H] [--count N] [--interval SECONDS]

Connects to ws://H:P/ and sends N text messages (default 8), one every SECONDS (default 0.4),
each "probe <i> sent-at <unix time>" with the wall-clock time just before the send, then closes.
The test reads the time back from the message sniff printed and compares it with when the line
reached it: on a quiet link that is wstap's whole capture-to-output latency.
"""

import argparse
import asyncio
import time

from websockets.asyncio.client import connect


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--count", type=int, default=8)
    parser.add_argument("--interval", type=float, default=0.4)
    a = parser.parse_args()
    async with connect(f"ws://{a.host}:{a.port}/", compression=None) as ws:
        for i in range(a.count):
            await asyncio.sleep(a.interval)
            await ws.send(f"probe {i} sent-at {time.time():.6f}")
            await ws.recv()


asyncio.run(main())
