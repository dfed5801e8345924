#!/usr/bin/env python3
"""keepalive-then-upgrade: one TCP connection carries a plain HTTP/1.1
request/response (GET /health, Content-Length body, keep-alive) and THEN the
WebSocket upgrade on the same connection.

Neither websockets' asyncio server nor client can do that, so both sides use
the library's Sans-I/O protocol objects (websockets.server.ServerProtocol /
websockets.client.ClientProtocol) for the handshake and all framing, after
the raw-socket HTTP exchange.  Framing, masking and the handshake bytes are
therefore the library's own; only the socket plumbing is ours.

    keepalive.py server --port P --log FILE --ready FILE
    keepalive.py client --port P --log FILE --lport N
"""

import argparse
import os
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tests", "Peers"))

from websockets.client import ClientProtocol  # noqa: E402
from websockets.frames import Opcode  # noqa: E402
from websockets.http11 import Request, Response  # noqa: E402
from websockets.server import ServerProtocol  # noqa: E402
from websockets.uri import parse_uri  # noqa: E402

from truthlog import FrameHook, TruthLog, fmt_endpoint  # noqa: E402

HOST = "127.0.0.1"
CLIENT_MSGS = ["hello after keep-alive", "second message ✓", "x" * 300]
SERVER_MSGS = ["welcome (upgraded on a reused connection)", "réponse ✓", "y" * 200]


def read_http_head(sock, buf):
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError("eof in HTTP head")
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    return head.decode("latin-1"), rest


def flush(sock, proto):
    for data in proto.data_to_send():
        if data:
            sock.sendall(data)
        else:
            sock.shutdown(socket.SHUT_WR)


def server(a):
    log = TruthLog(a.log)
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((HOST, a.port))
    ls.listen(1)
    open(a.ready, "w").close()
    ls.settimeout(30)
    sock, peer = ls.accept()
    sock.settimeout(30)
    # 1) plain HTTP request on a keep-alive connection
    head, buf = read_http_head(sock, b"")
    assert head.startswith("GET /health "), head
    body = b'{"status":"ok"}\n'
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                 + str(len(body)).encode() + b"\r\nConnection: keep-alive\r\n\r\n" + body)
    # 2) WebSocket upgrade on the same connection, handled by websockets' Sans-I/O server
    proto = ServerProtocol(extensions=None, max_size=None)
    proto.receive_data(buf)
    hook = None
    replies = iter(SERVER_MSGS)
    while True:
        for ev in proto.events_received():
            if isinstance(ev, Request):
                proto.send_response(proto.accept(ev))
                hook = FrameHook(log, proto, role="server", client=fmt_endpoint(peer),
                                 server=fmt_endpoint(sock.getsockname()))
            elif ev.opcode in (Opcode.TEXT, Opcode.BINARY):
                proto.send_text(next(replies).encode())
        flush(sock, proto)
        if proto.close_expected() or proto.state.name == "CLOSED":
            break
        data = sock.recv(65536)
        if not data:
            proto.receive_eof()
            flush(sock, proto)
            break
        proto.receive_data(data)
    assert hook is not None
    sock.close()
    ls.close()


def client(a):
    log = TruthLog(a.log)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, a.lport))
    sock.connect((HOST, a.port))
    sock.settimeout(30)
    sock.sendall(f"GET /health HTTP/1.1\r\nHost: {HOST}:{a.port}\r\nUser-Agent: wstap-capture\r\n"
                 "Accept: application/json\r\nConnection: keep-alive\r\n\r\n".encode())
    head, buf = read_http_head(sock, b"")
    clen = int([line.split(":", 1)[1] for line in head.split("\r\n") if line.lower().startswith("content-length:")][0])
    while len(buf) < clen:
        buf += sock.recv(65536)
    assert buf[clen:] == b""
    proto = ClientProtocol(parse_uri(f"ws://{HOST}:{a.port}/chat"), extensions=None, max_size=None)
    proto.send_request(proto.connect())
    flush(sock, proto)
    msgs = iter(CLIENT_MSGS)
    hook = None
    while True:
        data = sock.recv(65536)
        if not data:
            proto.receive_eof()
            flush(sock, proto)
            break
        proto.receive_data(data)
        for ev in proto.events_received():
            if isinstance(ev, Response):
                hook = FrameHook(log, proto, role="client", client=fmt_endpoint(sock.getsockname()),
                                 server=fmt_endpoint(sock.getpeername()))
                proto.send_text(next(msgs).encode())
            elif ev.opcode == Opcode.TEXT:
                nxt = next(msgs, None)
                if nxt is not None:
                    proto.send_text(nxt.encode())
                else:
                    proto.send_ping(b"keepalive-ping")
            elif ev.opcode == Opcode.PONG:
                proto.send_close(1000, "keep-alive test done")
        flush(sock, proto)
        if proto.state.name == "CLOSED":
            break
    assert hook is not None
    sock.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("role", choices=["server", "client"])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--lport", type=int, default=0)
    p.add_argument("--log", required=True)
    p.add_argument("--ready")
    a = p.parse_args()
    (server if a.role == "server" else client)(a)


if __name__ == "__main__":
    main()
