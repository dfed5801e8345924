"""impl_tornado.py — Tornado server and client in one process, for scripts/capture/implementations.py.

Runs the shared conversation (see implementations.py) over three connections: uncompressed;
permessage-deflate with context takeover both ways (Tornado's default: each message may refer to
earlier ones, so a mid-stream capture cannot inflate them until the window is known); and
permessage-deflate without context takeover. Tornado's client offers only `client_max_window_bits`
and its server echoes the offer, so for the third connection the server adds
`server_no_context_takeover; client_no_context_takeover` to the parameters it echoes (both sides
then build their compressors from them). Every message is logged by its sender before it is sent.
Usage: python3 impl_tornado.py PORT TRUTH.jsonl
"""

import asyncio
import os
import sys

import tornado.web
import tornado.websocket

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from impl_truth import Truth, payload, ROUNDS, BIG  # noqa: E402

PORT = int(sys.argv[1])
truth = Truth(sys.argv[2], "tornado")
MODE = {"compressed": False, "takeover": True}

_parse = tornado.websocket.WebSocketProtocol13._parse_extensions_header


def parse_extensions(self, headers):
    extensions = _parse(self, headers)
    if MODE["compressed"] and not MODE["takeover"]:
        for name, params in extensions:
            if name == "permessage-deflate":
                params["server_no_context_takeover"] = None
                params["client_no_context_takeover"] = None
    return extensions


tornado.websocket.WebSocketProtocol13._parse_extensions_header = parse_extensions


def ends(stream, server_side):
    sock = stream.socket.getsockname()
    peer = stream.socket.getpeername()
    mine, theirs = f"{sock[0]}:{sock[1]}", f"{peer[0]}:{peer[1]}"
    return (theirs, mine) if server_side else (mine, theirs)


class Handler(tornado.websocket.WebSocketHandler):
    def get_compression_options(self):
        return {} if MODE["compressed"] else None

    def open(self):
        self.round = 0
        self.ends = ends(self.ws_connection.stream, True)

    async def on_message(self, message):
        if isinstance(message, bytes):
            return
        client, server = self.ends
        compressed, takeover = MODE["compressed"], MODE["takeover"]
        size = BIG["server"].get(self.round)
        if size:
            data = payload(size, compressed)
            truth.log(client, server, "server", "binary", data, compressed, context_takeover=compressed and takeover)
            await self.write_message(data, binary=True)
        text = f"server reply {self.round} ✓ {'x' * (self.round * 7)}"
        truth.log(client, server, "server", "text", text.encode(), compressed, context_takeover=compressed and takeover)
        await self.write_message(text)
        self.round += 1

    def on_close(self):
        # Tornado answers the client's close with the client's code and no reason.
        client, server = self.ends
        truth.log(client, server, "server", "close", b"\x03\xe8", False, auto=True, code=1000, reason="")


async def conversation(compressed, takeover):
    MODE["compressed"], MODE["takeover"] = compressed, takeover
    app = tornado.web.Application([(r"/", Handler)])
    server = app.listen(PORT, address="127.0.0.1")
    ws = await tornado.websocket.websocket_connect(
        f"ws://127.0.0.1:{PORT}/", compression_options={} if compressed else None)
    client, srv = ends(ws.protocol.stream, False)
    for rnd in range(ROUNDS):
        size = BIG["client"].get(rnd)
        if size:
            data = payload(size, compressed)
            truth.log(client, srv, "client", "binary", data, compressed, context_takeover=compressed and takeover)
            await ws.write_message(data, binary=True)
        text = f"client says {rnd} — {'y' * (rnd * 5)}"
        truth.log(client, srv, "client", "text", text.encode(), compressed, context_takeover=compressed and takeover)
        await ws.write_message(text)
        while True:
            message = await ws.read_message()
            if message is None or isinstance(message, str):
                break
        await asyncio.sleep(0.005)
    truth.log(client, srv, "client", "close", b"\x03\xe8client done", False, code=1000, reason="client done")
    ws.close(code=1000, reason="client done")
    while await ws.read_message() is not None:
        pass
    await asyncio.sleep(0.1)
    server.stop()


async def main():
    await conversation(False, True)
    await conversation(True, True)
    await conversation(True, False)


asyncio.run(main())
