#!/usr/bin/env python3
"""Plays scripted TCP conversations on loopback, byte for byte, for `wstap sniff` tests.

    scripted_tcp.py --port P --script FILE [--host H]

FILE is JSON: a list of conversations, each a list of steps {"from": "client"|"server",
"data_b64": ...}.  For each conversation a listening socket on H:P accepts one client socket of
the same process; the steps are sent in order, each side reading what the other sent before the
next step, so the bytes reach the wire in script order; then both sides close (FIN).  Used for
traffic no real WebSocket library would produce (hostile handshakes, status lines, frames); no
`websockets` here on purpose, since it would refuse to send such bytes.
"""

import argparse
import base64
import json
import socket
import sys


def receive_exactly(sock, count):
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise EOFError(f"peer closed after {len(data)} of {count} bytes")
        data += chunk
    return data


def play(host, port, steps):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(1)
        client = socket.create_connection((host, port), timeout=10)
        server, _ = listener.accept()
        server.settimeout(10)
        with client, server:
            for step in steps:
                data = base64.b64decode(step["data_b64"])
                sender, receiver = (server, client) if step["from"] == "server" else (client, server)
                sender.sendall(data)
                if receive_exactly(receiver, len(data)) != data:
                    raise RuntimeError("loopback changed the bytes")
            client.shutdown(socket.SHUT_WR)
            server.recv(1)
            server.shutdown(socket.SHUT_WR)
            client.recv(1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--script", required=True)
    args = parser.parse_args()
    with open(args.script) as fh:
        conversations = json.load(fh)
    for steps in conversations:
        play(args.host, args.port, steps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
