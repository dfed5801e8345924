#!/usr/bin/env python3
"""A WebSocket server (python `websockets`) whose every answer tries to act on the terminal of
whoever replays a recording against it, for `wstap replay` tests.

    hostile_server.py --mode accept|refuse|bad-extension --port P [--host H] [--ready FILE]

The hostile string carries ESC [2J (clear screen), ESC ]0;... BEL (window title), CR, C1 CSI
(U+009B), the bidi controls, DEL, a literal backslash-x and printable non-ASCII text.

accept         101 whose reason phrase and Sec-WebSocket-Protocol carry it; the first message
               is answered with JSON carrying it in a key and a value, the second with text
               carrying it, then the server closes with a close frame whose reason carries it.
refuse         403 whose reason phrase carries it.
bad-extension  101 accepting an extension "x-evil" whose parameter carries it (replay cannot
               speak it: a failure that quotes the header).

--ready FILE gets the bound port once listening (use --port 0 for a free one).
"""

import argparse
import asyncio
import json
import os
import signal
import sys

from websockets.asyncio.server import serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Response

HOSTILE = ("\x1b[2J\x1b]0;pwned\x07\r\u009b31m\u202eevil\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069"
           "\u200e\u200f\u061c\u2028\x7f\"\\x1b \u00e9\u4e2d\U0001f389")


def latin1(text):
    """`text` as the str whose ISO-8859-1 encoding is its UTF-8 bytes: websockets writes reason
    phrases and header values as ISO-8859-1, and the bytes on the wire must be UTF-8."""
    return text.encode("utf-8").decode("iso-8859-1")


def raw_header(headers, name, value):
    """Adds a header without websockets' value check, which refuses control characters: writing
    them is the point of this server."""
    headers._dict.setdefault(name.lower(), []).append(value)
    headers._list.append((name, value))


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--mode", choices=["accept", "refuse", "bad-extension"], required=True)
    parser.add_argument("--ready")
    args = parser.parse_args()

    def process_request(connection, request):
        if args.mode == "refuse":
            headers = Headers()
            headers["Content-Length"] = "0"
            return Response(403, latin1("Forbidden" + HOSTILE), headers, b"")
        return None

    def process_response(connection, request, response):
        if response.status_code != 101:
            return None
        response.reason_phrase = latin1("Switching" + HOSTILE)
        if args.mode == "accept":
            if "Sec-WebSocket-Protocol" in response.headers:
                del response.headers["Sec-WebSocket-Protocol"]
            raw_header(response.headers, "Sec-WebSocket-Protocol", latin1("chat" + HOSTILE))
        else:
            if "Sec-WebSocket-Extensions" in response.headers:
                del response.headers["Sec-WebSocket-Extensions"]
            raw_header(response.headers, "Sec-WebSocket-Extensions", latin1("x-evil; p=" + HOSTILE))
        return None

    async def handler(ws):
        try:
            # A JSON answer (its differences are compared and shown by JSON path), then plain text.
            await ws.recv()
            await ws.send(json.dumps({"echo": "now" + HOSTILE, HOSTILE: 1}, ensure_ascii=False))
            await ws.recv()
            await ws.send("now" + HOSTILE)
            await ws.close(1000, "ok" + HOSTILE)
        except ConnectionClosed:
            pass

    async with serve(handler, args.host, args.port, process_request=process_request,
                     process_response=process_response, ping_interval=None, max_size=None,
                     compression=None) as server:
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
