#!/usr/bin/env python3
"""The client side of captures/replay-echo.pcap (python `websockets`).

    record_client.py --port P --truth FILE [--lport N]   (--lport: binding a local port hides the
    connection from tcpdump on lo in some sandboxes; record.sh does not use it)

Connects to ws://127.0.0.1:P/chat?room=7 offering subprotocol chat.v1, with Origin, Cookie,
User-Agent and a custom header, without compression; sends text, JSON, binary, a ping, a
fragmented text and a fragmented binary message, waiting for each answer, then closes with
4001 "replay done".  Logs what it sends in the captures/ truth format.
"""

import argparse
import asyncio
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "Tests", "Peers"))

from websockets.asyncio.client import connect  # noqa: E402

from truthlog import FrameHook, TruthLog, fmt_endpoint  # noqa: E402


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--truth", required=True)
    parser.add_argument("--lport", type=int, default=0)
    args = parser.parse_args()
    log = TruthLog(args.truth)
    headers = {"Origin": "http://app.example", "Cookie": "session=abc123; theme=dark", "X-Session": "replay-42"}
    async with connect(f"ws://127.0.0.1:{args.port}/chat?room=7", subprotocols=["chat.v1"], compression=None,
                       additional_headers=headers, user_agent_header="wstap-recorder/1.0", ping_interval=None,
                       local_addr=("127.0.0.1", args.lport), max_size=None) as ws:
        FrameHook(log, ws.protocol, role="client", client=fmt_endpoint(ws.local_address),
                  server=fmt_endpoint(ws.remote_address))
        for message in ["hello", '{"op": "subscribe", "topic": "prices", "ids": [1, 2, 3]}', "héllo wörld ✓",
                        bytes(range(256)), b""]:
            await ws.send(message)
            await ws.recv()
        pong = await ws.ping(b"are you there")
        await pong
        await ws.send(["frag", "mented ", "téxt"])
        await ws.recv()
        await ws.send([bytes(range(10)), bytes(200), b"\xff"])
        await ws.recv()
        await ws.close(4001, "replay done")


if __name__ == "__main__":
    asyncio.run(main())
