#!/usr/bin/env python3
"""Server for the headless-browser captures (Chromium, Firefox ESR).

Serves browser_page.html at /, accepts the page's WebSocket at /ws (replies to
each message), then receives the page's own log of what it sent at /log and
exits after /done.

Truth: server->browser lines come from the server's FrameHook (like peers.py);
browser->server lines come from the page's JS report (logged_by "browser-js"),
cross-checked byte for byte against what the server actually received
("cross_checked": true; the script aborts on a mismatch).  Their "ts" is the
server's receipt time.  Chromium sends each send() as one unfragmented frame
at these sizes, so "fragments" is 1 (verified with tshark in record.py's
README table).

    browser_server.py SCENARIO --port P --log FILE --ready FILE [--cert C --key K]

With --cert and --key it serves https:// and wss:// (TLS, ALPN http/1.1): the page then opens
its WebSocket with wss:// (record_tls_browser.py).
"""

import argparse
import asyncio
import base64
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tests", "Peers"))

from websockets.asyncio.server import serve  # noqa: E402
from websockets.datastructures import Headers  # noqa: E402
from websockets.exceptions import ConnectionClosed  # noqa: E402
from websockets.http11 import Response  # noqa: E402

from truthlog import FrameHook, TruthLog, extensions_header, fmt_endpoint  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


async def main(a):
    log = TruthLog(a.log)
    page = open(os.path.join(HERE, "browser_page.html"), "rb").read()
    state = {"received": [], "report": None, "conn": None}
    done = asyncio.Event()

    def html(body, ctype="text/html; charset=utf-8", status=200, reason="OK"):
        return Response(status, reason, Headers([("Content-Type", ctype), ("Content-Length", str(len(body))),
                                                 ("Cache-Control", "no-store")]), body)

    def process_request(conn, request):
        path = request.path
        if path == "/":
            return html(page)
        if path.startswith("/log?d="):
            d = path[len("/log?d="):]
            state["report"] = json.loads(base64.urlsafe_b64decode(d + "=" * (-len(d) % 4)))
            return html(b"", "text/plain", 204, "No Content")
        if path == "/done":
            done.set()
            return html(b"ok\n", "text/plain")
        if path == "/ws":
            return None
        return html(b"not found\n", "text/plain", 404, "Not Found")

    async def handler(ws):
        client, server = fmt_endpoint(ws.remote_address), fmt_endpoint(ws.local_address)
        ext = extensions_header(ws.response.headers)
        hook = FrameHook(log, ws.protocol, role="server", client=client, server=server, extensions_header=ext)
        state["conn"] = dict(client=client, server=server, compressed=hook.compressed, extensions=ext)
        try:
            while True:
                msg = await ws.recv()
                state["received"].append((time.time(), "text" if isinstance(msg, str) else "binary",
                                          msg.encode() if isinstance(msg, str) else msg))
                if isinstance(msg, str):
                    await ws.send(f"server echo ({len(msg.encode())} bytes): {msg[:40]}")
                else:
                    await ws.send(bytes(reversed(msg)))
        except ConnectionClosed:
            pass
        rc = ws.protocol.close_rcvd
        # the browser's close arrived just before the server echoed it
        close_ts = hook.close_echo_ts - 1e-6 if hook.close_echo_ts else time.time()
        state["received"].append((close_ts, "close", (rc.code, rc.reason) if rc else None))

    ctx = None
    if a.cert:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.cert, a.key)
        ctx.set_alpn_protocols(["http/1.1"])
    async with serve(handler, "127.0.0.1", a.port, ping_interval=None, max_size=None,
                     process_request=process_request, ssl=ctx,
                     # The wss recording (record_tls_browser.py) was made with permessage-deflate.
                     compression="deflate" if a.scenario.endswith(("-deflate", "-tls")) else None):
        open(a.ready, "w").close()
        await asyncio.wait_for(done.wait(), 45)

    rep, conn, recv = state["report"], state["conn"], state["received"]
    assert rep is not None and conn is not None, "no report from the page"
    assert len(rep["sent"]) == len(recv), (len(rep["sent"]), len(recv))
    for seq, (m, (ts, op, data)) in enumerate(zip(rep["sent"], recv)):
        assert m["opcode"] == op, (m, op)
        line = {"client": conn["client"], "server": conn["server"], "from": "client", "opcode": op}
        if op == "close":
            assert data == (m["code"], m["reason"]), (data, m)
            payload = m["code"].to_bytes(2, "big") + m["reason"].encode()
            line.update(data_b64=base64.b64encode(payload).decode(), fragments=1,
                        compressed=conn["compressed"], code=m["code"], reason=m["reason"])
        else:
            assert base64.b64decode(m["data_b64"]) == data, "page log != bytes received"
            line.update(data_b64=m["data_b64"], fragments=1, compressed=conn["compressed"])
        line.update(auto=False, seq=seq, ts=ts, logged_by="browser-js", cross_checked=True)
        if conn["compressed"]:
            line["extensions"] = conn["extensions"]
        log.write(line)
    with open(a.log + ".browser.json", "w") as f:
        json.dump({k: rep[k] for k in ("close_event", "extensions", "userAgent")}, f)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("scenario")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--ready", required=True)
    p.add_argument("--cert")
    p.add_argument("--key")
    asyncio.run(main(p.parse_args()))
