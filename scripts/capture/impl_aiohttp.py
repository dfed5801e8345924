"""impl_aiohttp.py — aiohttp server and client in one process, for scripts/capture/implementations.py.

Runs the shared conversation (see implementations.py) over two connections: uncompressed, then
permessage-deflate. aiohttp's client never offers `server_no_context_takeover` and its server never
sends `client_no_context_takeover`, so the offer is patched to ask for the former and the client's
writer is told to reset its own window per message (always allowed to a sender): both directions
then compress without context takeover. Every message is logged by its sender before it is sent.
Usage: python3 impl_aiohttp.py PORT TRUTH.jsonl
"""

import asyncio
import os
import sys

import aiohttp
import aiohttp.client
from aiohttp import web

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from impl_truth import Truth, payload, ROUNDS, BIG  # noqa: E402

PORT = int(sys.argv[1])
truth = Truth(sys.argv[2], "aiohttp")
aiohttp.client.ws_ext_gen = lambda compress=15, isserver=False, server_notakeover=False: \
    "permessage-deflate; server_no_context_takeover"


def ends(transport_owner, server_side):
    sock = transport_owner.get_extra_info("sockname")
    peer = transport_owner.get_extra_info("peername")
    return (f"{peer[0]}:{peer[1]}", f"{sock[0]}:{sock[1]}") if server_side else (f"{sock[0]}:{sock[1]}", f"{peer[0]}:{peer[1]}")


async def handler(request):
    compressed = request.app["compressed"]
    ws = web.WebSocketResponse(compress=compressed, autoclose=True)
    await ws.prepare(request)
    client, server = ends(request.transport, True)
    rnd = 0
    async for msg in ws:
        if msg.type != aiohttp.WSMsgType.TEXT:
            continue
        size = BIG["server"].get(rnd)
        if size:
            data = payload(size, compressed)
            truth.log(client, server, "server", "binary", data, compressed)
            await ws.send_bytes(data)
        text = f"server reply {rnd} ✓ {'x' * (rnd * 7)}"
        truth.log(client, server, "server", "text", text.encode(), compressed)
        await ws.send_str(text)
        rnd += 1
    # aiohttp answers the client's close with 1000 and no reason.
    truth.log(client, server, "server", "close", b"\x03\xe8", False, auto=True, code=1000, reason="")
    return ws


async def conversation(compressed):
    app = web.Application()
    app["compressed"] = compressed
    app.router.add_get("/", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", PORT)
    await site.start()
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(f"http://127.0.0.1:{PORT}/", compress=15 if compressed else 0) as ws:
            if compressed:
                ws._writer.notakeover = True
            client, server = ends(ws._response.connection.transport, False)
            for rnd in range(ROUNDS):
                size = BIG["client"].get(rnd)
                if size:
                    data = payload(size, compressed)
                    truth.log(client, server, "client", "binary", data, compressed)
                    await ws.send_bytes(data)
                text = f"client says {rnd} — {'y' * (rnd * 5)}"
                truth.log(client, server, "client", "text", text.encode(), compressed)
                await ws.send_str(text)
                while True:
                    msg = await ws.receive()
                    if msg.type == aiohttp.WSMsgType.TEXT:
                        break
                await asyncio.sleep(0.005)
            truth.log(client, server, "client", "close", b"\x03\xe8client done", False, code=1000, reason="client done")
            await ws.close(code=1000, message=b"client done")
    await asyncio.sleep(0.1)
    await runner.cleanup()


async def main():
    await conversation(False)
    await conversation(True)


asyncio.run(main())
