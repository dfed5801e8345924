#!/usr/bin/env python3
"""Hostile WebSocket clients for `wstap serve`, on raw sockets (no library would send these).

    hostile_client.py MODE --port P [--path /PATH] [--seconds S] [--bomb-bytes N]

MODE:
  garbage      sends bytes that are not an HTTP request
  silent       connects and sends nothing
  bad-frames   completes the upgrade, then sends bytes that are not WebSocket frames
  huge-frame   completes the upgrade, announces a binary frame of 2^63-1 bytes, then keeps sending
  deflate-bomb completes the upgrade offering permessage-deflate, sends one compressed message
               that inflates to --bomb-bytes (default 256 MiB)
  never-read   completes the upgrade with a tiny receive buffer and never reads again

Prints one JSON line: the status line answered, the close code the server sent (if any), how
many bytes this client got sent and whether/after how long the server closed the connection.
"""

import argparse
import base64
import json
import os
import socket
import struct
import time
import zlib


def frame(opcode, payload, rsv1=False):
    head = bytes([0x80 | (0x40 if rsv1 else 0) | opcode])
    mask = os.urandom(4)
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def upgrade(sock, path, deflate):
    key = base64.b64encode(os.urandom(16)).decode()
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" \
              f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
    if deflate:
        request += "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
    sock.sendall((request + "\r\n").encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head.split(b"\r\n")[0].decode(errors="replace"), rest


def drain(sock, seconds, rest=b""):
    """Reads until the server closes or `seconds` pass: (data, close code, closed, elapsed)."""
    start = time.time()
    data = rest
    sock.settimeout(0.2)
    closed = False
    while time.time() - start < seconds:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            continue
        except OSError:
            closed = True
            break
        if not chunk:
            closed = True
            break
        data += chunk
    code = None
    index = data.find(b"\x88\x02")
    if index >= 0 and len(data) >= index + 4:
        code = struct.unpack("!H", data[index + 2:index + 4])[0]
    return data, code, closed, round(time.time() - start, 2)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--bomb-bytes", type=int, default=256 << 20)
    args = parser.parse_args()
    sock = socket.socket()
    if args.mode == "never-read":
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", args.port))
    result = {"mode": args.mode}
    rest = b""
    if args.mode == "garbage":
        sock.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(200) + b"\r\n\r\n")
    elif args.mode == "silent":
        pass
    else:
        status, rest = upgrade(sock, args.path, args.mode == "deflate-bomb")
        result["status"] = status
        if args.mode == "bad-frames":
            sock.sendall(b"\xff" * 64 + os.urandom(64))
        elif args.mode == "huge-frame":
            sock.sendall(bytes([0x82, 0xFF]) + struct.pack("!Q", (1 << 63) - 1) + os.urandom(4))
            try:
                sock.settimeout(0.5)
                for _ in range(200):
                    sock.sendall(b"\x00" * 65536)
            except OSError as error:
                result["send_error"] = type(error).__name__
        elif args.mode == "deflate-bomb":
            compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
            block = b"\x00" * (1 << 20)
            body = b"".join(compressor.compress(block) for _ in range(args.bomb_bytes >> 20))
            body += compressor.flush(zlib.Z_SYNC_FLUSH)
            assert body.endswith(b"\x00\x00\xff\xff")
            result["bomb_wire_bytes"] = len(body) - 4
            sock.sendall(frame(0x2, body[:-4], rsv1=True))
        elif args.mode == "never-read":
            # Never reads: the server's writes pile up in this tiny receive buffer.
            time.sleep(args.seconds)
            print(json.dumps(result))
            return
    received, code, closed, elapsed = drain(sock, args.seconds, rest)
    result.update(received=len(received), close_code=code, closed=closed, elapsed=elapsed)
    if args.mode in ("garbage", "silent"):
        result["status"] = received.split(b"\r\n")[0].decode(errors="replace")
    print(json.dumps(result))


main()
