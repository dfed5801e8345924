#!/usr/bin/env python3
"""Records captures/app/socketio.pcap + socketio.truth.jsonl: a python-socketio AsyncServer
(aiohttp) and python-socketio AsyncClients, in a network namespace, tcpdump on its lo.

Run as root: `scripts/capture/app/record_socketio.py` (deps: scripts/capture/app/install.sh).
The same file is the server (`server`) and the clients (`client-upgrade`, `client-ws`), started
by the recorder inside the namespace.

Scenario (port 9301):
  client-upgrade  default transports: Engine.IO long-polling handshake, then the
                  polling->websocket upgrade (2probe / 3probe / 5); namespaces "/" and "/chat";
                  events with and without acks, ack from the server, server->client events,
                  a server->client event asking the client for an ack, binary attachments both
                  ways (BINARY_EVENT, BINARY_ACK), a namespace the server refuses (CONNECT_ERROR),
                  namespace disconnect, pings (server ping_interval 1 s), disconnect.
  client-ws       transports=['websocket'] only: connect "/" and "/chat", events, acks,
                  a binary event, disconnect.

Truth: every WebSocket message each peer sent or received, logged at the WebSocket library
boundary (aiohttp's send_str/send_bytes/receive on both sides), with the Engine.IO / Socket.IO
fields parsed by the peers' own library (engineio.packet / socketio.packet); HTTP long-polling
bodies are logged too with transport "polling" (one line per body).
"""

import asyncio
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import appcap  # noqa: E402

PORT = 9301
EIO_NAMES = ["open", "close", "ping", "pong", "message", "upgrade", "noop"]


def describe(data, state):
    """Engine.IO / Socket.IO fields of one WebSocket message (or polling packet), parsed by the
    libraries themselves. `state` counts outstanding binary attachments per connection."""
    from engineio import packet as eio_packet
    from socketio import packet as sio_packet
    out = {}
    if isinstance(data, (bytes, bytearray)):
        # Engine.IO v4 sends binary messages raw over websocket: a Socket.IO attachment.
        out["eio_type"] = "message"
        out["eio_binary"] = True
        pending = state.get("pending")
        if pending:
            out["sio_attachment_of"] = pending["key"]
            out["sio_attachment_index"] = pending["next"]
            pending["next"] += 1
            if pending["next"] >= pending["count"]:
                state["pending"] = None
        else:
            out["sio_attachment_of"] = None
        return out
    p = eio_packet.Packet(encoded_packet=data)
    out["eio_type"] = EIO_NAMES[p.packet_type]
    if p.packet_type == eio_packet.OPEN:
        out["eio_open"] = json.loads(p.data) if isinstance(p.data, str) else p.data
    elif p.packet_type in (eio_packet.PING, eio_packet.PONG) and p.data:
        out["eio_data"] = p.data
    elif p.packet_type == eio_packet.MESSAGE and isinstance(p.data, str):
        s = sio_packet.Packet(encoded_packet=p.data)
        out["sio_type"] = sio_packet.packet_names[s.packet_type]
        out["namespace"] = s.namespace or "/"
        if s.id is not None:
            out["ack_id"] = s.id
        if s.packet_type in (sio_packet.EVENT, sio_packet.BINARY_EVENT) and isinstance(s.data, list) and s.data:
            out["event"] = s.data[0]
            out["args"] = s.data[1:]
        elif s.data is not None:
            out["args" if s.packet_type in (sio_packet.ACK, sio_packet.BINARY_ACK) else "data"] = s.data
        if s.attachment_count:
            out["attachments"] = s.attachment_count
            state["pending"] = {"key": state.setdefault("n", 0), "count": s.attachment_count, "next": 0}
            out["sio_binary_key"] = state["pending"]["key"]
            state["n"] += 1
    return out


def install_hooks(log, role):
    """Wraps the WebSocket send/receive calls of this process (client: aiohttp's
    ClientWebSocketResponse; server: engineio's aiohttp WebSocket wrapper) and Engine.IO's
    long-polling payload encode/decode, logging one truth line per message."""
    import aiohttp
    from engineio import payload as eio_payload
    states = {}

    def emit(direction, conn, data, ts):
        key = (conn.get("client_port"), direction)
        fields = describe(data, states.setdefault(key, {}))
        log.write(direction, conn, data, ts_ns=ts, transport="websocket", **fields)

    if role == "server":
        from engineio.async_drivers import aiohttp as drv
        orig_send, orig_wait = drv.WebSocket.send, drv.WebSocket.wait

        def conn_of(ws):
            peer = ws.environ["aiohttp.request"].transport.get_extra_info("peername")
            return {"client_port": peer[1], "server_port": PORT}

        async def send(self, message):
            ts = time.time_ns()
            r = await orig_send(self, message)
            emit("sent", conn_of(self), message, ts)
            return r

        async def wait(self):
            data = await orig_wait(self)
            emit("received", conn_of(self), data, time.time_ns())
            return data
        drv.WebSocket.send, drv.WebSocket.wait = send, wait
    else:
        cls = aiohttp.ClientWebSocketResponse
        o_str, o_bytes, o_recv = cls.send_str, cls.send_bytes, cls.receive

        def conn_of(ws):
            me = ws.get_extra_info("sockname")
            return {"client_port": me[1] if me else None, "server_port": PORT}

        async def send_str(self, data, *a, **k):
            ts = time.time_ns()
            r = await o_str(self, data, *a, **k)
            emit("sent", conn_of(self), data, ts)
            return r

        async def send_bytes(self, data, *a, **k):
            ts = time.time_ns()
            r = await o_bytes(self, data, *a, **k)
            emit("sent", conn_of(self), data, ts)
            return r

        async def receive(self, *a, **k):
            msg = await o_recv(self, *a, **k)
            if msg.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                emit("received", conn_of(self), msg.data, time.time_ns())
            return msg
        cls.send_str, cls.send_bytes, cls.receive = send_str, send_bytes, receive
        o_close = cls.close

        async def close(self, *a, **k):
            # engineio's disconnect() queues DISCONNECT + CLOSE packets and closes the socket at
            # once, racing its own write loop; a short pause lets the library's queued packets
            # reach the wire so the capture shows a clean Socket.IO/Engine.IO goodbye.
            await asyncio.sleep(0.2)
            return await o_close(self, *a, **k)
        cls.close = close

    # Long-polling bodies (HTTP, not WebSocket): logged for completeness, per body.
    o_encode, o_decode = eio_payload.Payload.encode, eio_payload.Payload.decode
    out_dir = "sent"

    def encode(self, *a, **k):
        body = o_encode(self, *a, **k)
        log.write(out_dir, {"client_port": None, "server_port": PORT}, body, transport="polling",
                  eio_types=[EIO_NAMES[p.packet_type] for p in self.packets])
        return body

    def decode(self, encoded_payload):
        r = o_decode(self, encoded_payload)
        log.write("received", {"client_port": None, "server_port": PORT}, encoded_payload,
                  transport="polling", eio_types=[EIO_NAMES[p.packet_type] for p in self.packets])
        return r
    eio_payload.Payload.encode, eio_payload.Payload.decode = encode, decode


def note(log, role, what, **fields):
    """A line for something the application itself did or saw (an ack callback firing, an
    event handler running): `dir` "app", no payload digest of its own."""
    obj = {"ts_ns": time.time_ns(), "logged_by": role, "dir": "app", "what": what}
    obj.update(fields)
    log.fh.write(json.dumps(obj, ensure_ascii=False, default=lambda b: {"bytes_sha256": appcap.sha256(b)}) + "\n")


async def server_main(logpath, ready):
    import socketio
    from aiohttp import web
    log = appcap.TruthLog(logpath, "server")
    install_hooks(log, "server")
    sio = socketio.AsyncServer(async_mode="aiohttp", ping_interval=1, ping_timeout=5)
    app = web.Application()
    sio.attach(app)

    @sio.event
    async def connect(sid, environ, auth):
        note(log, "server", "connect", namespace="/", sid=sid, auth=auth)

    @sio.on("connect", namespace="/chat")
    async def chat_connect(sid, environ, auth):
        note(log, "server", "connect", namespace="/chat", sid=sid)

    @sio.on("connect", namespace="/private")
    async def private_connect(sid, environ, auth):
        note(log, "server", "refuse", namespace="/private", sid=sid)
        raise socketio.exceptions.ConnectionRefusedError("not allowed", {"reason": "no token"})

    @sio.on("chat")
    async def on_chat(sid, text, n):
        note(log, "server", "event", namespace="/", event="chat", args=[text, n])
        return {"ok": True, "echo": text, "n": n}

    @sio.on("hello")
    async def on_hello(sid, data):
        note(log, "server", "event", namespace="/", event="hello", args=[data])
        await sio.emit("news", {"headline": "wstap decodes socket.io", "id": 7}, to=sid)

        def got_ack(*args):
            note(log, "server", "ack-callback", namespace="/", event="question", args=list(args))
        await sio.emit("question", "ready?", to=sid, callback=got_ack)

    @sio.on("upload")
    async def on_upload(sid, name, blob):
        note(log, "server", "event", namespace="/", event="upload", args=[name, blob])
        return {"name": name, "size": len(blob)}, bytes(reversed(blob[:16]))

    @sio.on("message", namespace="/chat")
    async def on_chat_message(sid, data):
        note(log, "server", "event", namespace="/chat", event="message", args=[data])
        await sio.emit("message", {"from": "server", "text": "re: " + data["text"]}, to=sid, namespace="/chat")
        await sio.emit("image", {"png": b"\x89PNG\r\n\x1a\n" + bytes(range(32))}, to=sid, namespace="/chat")

    @sio.on("no-ack", namespace="/chat")
    async def on_no_ack(sid, *args):
        note(log, "server", "event", namespace="/chat", event="no-ack", args=list(args))

    @sio.on("leave", namespace="/chat")
    async def on_leave(sid):
        note(log, "server", "event", namespace="/chat", event="leave", args=[])
        await sio.disconnect(sid, namespace="/chat")

    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", PORT).start()
    open(ready, "w").close()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(2, stop.set)
    await stop.wait()
    await runner.cleanup()


async def client_main(logpath, role, transports):
    import socketio
    log = appcap.TruthLog(logpath, role)
    install_hooks(log, "client")
    sio = socketio.AsyncClient(reconnection=False)
    done = asyncio.Event()

    @sio.on("news")
    async def on_news(data):
        note(log, role, "event", namespace="/", event="news", args=[data])

    @sio.on("question")
    async def on_question(text):
        note(log, role, "event", namespace="/", event="question", args=[text])
        return "yes", 42

    @sio.on("message", namespace="/chat")
    async def on_msg(data):
        note(log, role, "event", namespace="/chat", event="message", args=[data])

    @sio.on("image", namespace="/chat")
    async def on_image(data):
        note(log, role, "event", namespace="/chat", event="image", args=[data])
        done.set()

    url = f"http://127.0.0.1:{PORT}"
    kw = {"transports": transports} if transports else {}
    await sio.connect(url, namespaces=["/", "/chat"], auth={"user": role}, **kw)
    note(log, role, "connected", transport=sio.transport(), sid=sio.sid)
    if transports is None:
        # Let the polling->websocket upgrade finish before the interesting traffic.
        for _ in range(100):
            if sio.transport() == "websocket":
                break
            await asyncio.sleep(0.05)
        note(log, role, "transport", transport=sio.transport())

    r = await sio.call("chat", ("hi from " + role, 1))
    note(log, role, "ack-callback", namespace="/", event="chat", args=[r])
    await sio.emit("hello", {"client": role})
    await sio.emit("message", {"text": "hello /chat"}, namespace="/chat")
    await asyncio.wait_for(done.wait(), 10)
    blob = bytes(range(256)) * 4
    r = await sio.call("upload", ("blob.bin", blob))
    note(log, role, "ack-callback", namespace="/", event="upload", args=list(r) if isinstance(r, tuple) else [r])
    await sio.emit("no-ack", ("x", [1, 2, {"deep": [True, None]}], "ünï©ødé ✓"), namespace="/chat")
    if transports is None:
        await asyncio.sleep(2.5)  # two server pings (ping_interval 1 s)
        # The server disconnects this client from /chat only (a DISCONNECT for one namespace).
        await sio.emit("leave", namespace="/chat")
    await asyncio.sleep(0.3)
    await sio.disconnect()
    await asyncio.sleep(0.3)


async def refused_main(logpath, role):
    """A websocket-only client asking for a namespace the server refuses: CONNECT_ERROR."""
    import socketio
    log = appcap.TruthLog(logpath, role)
    install_hooks(log, "client")
    sio = socketio.AsyncClient(reconnection=False)
    try:
        await sio.connect(f"http://127.0.0.1:{PORT}", namespaces=["/private"], transports=["websocket"],
                          wait_timeout=3)
    except socketio.exceptions.ConnectionError as e:
        note(log, role, "connect-error", namespace="/private", error=str(e))
    await asyncio.sleep(0.3)
    try:
        await sio.disconnect()
    except Exception:
        pass
    await asyncio.sleep(0.3)


def scenario(ns, tmp):
    me = os.path.abspath(__file__)
    logs = [os.path.join(tmp, f"{r}.jsonl") for r in ("server", "client-upgrade", "client-ws", "client-refused")]
    ready = os.path.join(tmp, "ready")
    appcap.run_peers(ns, [appcap.PY, me, "server", logs[0], ready],
                     [[appcap.PY, me, "client-upgrade", logs[1]],
                      [appcap.PY, me, "client-ws", logs[2]],
                      [appcap.PY, me, "client-refused", logs[3]]], ready)
    return logs


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "server":
        asyncio.run(server_main(sys.argv[2], sys.argv[3]))
    elif len(sys.argv) >= 2 and sys.argv[1] == "client-upgrade":
        asyncio.run(client_main(sys.argv[2], "client-upgrade", None))
    elif len(sys.argv) >= 2 and sys.argv[1] == "client-ws":
        asyncio.run(client_main(sys.argv[2], "client-ws", ["websocket"]))
    elif len(sys.argv) >= 2 and sys.argv[1] == "client-refused":
        asyncio.run(refused_main(sys.argv[2], "client-refused"))
    elif len(sys.argv) == 1:
        appcap.record("socketio", [PORT], scenario)
    else:
        sys.exit("usage: record_socketio.py   (as root)")


if __name__ == "__main__":
    main()
