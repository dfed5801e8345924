"""Ground-truth logging for the capture peers.

Each peer wraps its websockets protocol object's ``send_frame`` (the single
choke point through which *every* frame it sends passes, including automatic
pongs and close echoes) and writes one JSON line per complete message, before
any compression (extensions are applied later, in ``Frame.serialize``).

Fields (see record.sh header for the full description):
  client, server, from, opcode, data_b64, fragments, compressed,
  [code, reason]   for close,
  auto             true for frames the library sent on its own (pong reply,
                   close echo), false otherwise,
  seq              0-based message index per connection and direction,
  frame_first, frame_last
                   0-based index (per connection and direction) of the first
                   and last frame of the message -- a ping sent while a
                   fragmented message is in progress sits between them,
  ts               wall clock (time.time()) when the last frame was sent,
  extensions       the negotiated Sec-WebSocket-Extensions (only if compressed),
  logged_by        "client" | "server" | "browser-js" (who wrote the line).
"""

import base64
import hashlib
import json
import os
import time

from websockets.frames import Opcode

OPNAMES = {
    Opcode.TEXT: "text",
    Opcode.BINARY: "binary",
    Opcode.PING: "ping",
    Opcode.PONG: "pong",
    Opcode.CLOSE: "close",
}


def fmt_endpoint(addr):
    host, port = addr[0], addr[1]
    if ":" in host:
        return f"[{host}]:{port}"
    return f"{host}:{port}"


class TruthLog:
    """Append-only JSONL writer shared by all connections of one process."""

    def __init__(self, path, marker=None):
        self.fh = open(path, "a", buffering=1)
        # midstream: while `marker` does not exist, capture has not started.
        self.marker = marker

    def write(self, obj):
        if self.marker is not None:
            obj["before_capture"] = not os.path.exists(self.marker)
        self.fh.write(json.dumps(obj, ensure_ascii=False) + "\n")
        self.fh.flush()


# Payloads larger than this are logged as length + SHA-256 instead of base64.
MAX_LOGGED_PAYLOAD = 8 << 20


class FrameHook:
    """Wraps protocol.send_frame of one connection and logs messages."""

    def __init__(self, log, protocol, *, role, client, server, extensions_header=None):
        self.log = log
        self.protocol = protocol
        self.role = role  # who is sending through this protocol
        self.client = client
        self.server = server
        self.compressed = bool(protocol.extensions)
        self.extensions_header = extensions_header
        self.frame_idx = 0
        self.seq = 0
        self.pending = None  # (opname, [chunks], frame_first)
        self.explicit_pong = False
        self.close_echo_ts = None
        orig = protocol.send_frame

        def send_frame(frame):
            self.on_frame(frame)
            return orig(frame)

        protocol.send_frame = send_frame

    def _emit(self, opname, data, fragments, first, **extra):
        obj = {
            "client": self.client,
            "server": self.server,
            "from": self.role,
            "opcode": opname,
            "fragments": fragments,
            "compressed": self.compressed,
        }
        data = bytes(data)
        if len(data) > MAX_LOGGED_PAYLOAD:
            # A decompression-bomb payload would make a truth file of hundreds of MB: log its
            # length and digest instead of its bytes.
            obj["length"] = len(data)
            obj["data_sha256"] = hashlib.sha256(data).hexdigest()
        else:
            obj["data_b64"] = base64.b64encode(data).decode()
        obj.update(extra)
        obj.setdefault("auto", False)
        obj.update(
            seq=self.seq,
            frame_first=first,
            frame_last=self.frame_idx,
            ts=time.time(),
            logged_by=self.role,
        )
        if self.compressed and self.extensions_header:
            obj["extensions"] = self.extensions_header
        self.seq += 1
        self.log.write(obj)

    def on_frame(self, frame):
        op = frame.opcode
        if op in (Opcode.TEXT, Opcode.BINARY):
            if frame.fin:
                self._emit(OPNAMES[op], frame.data, 1, self.frame_idx)
            else:
                self.pending = (OPNAMES[op], [bytes(frame.data)], self.frame_idx)
        elif op == Opcode.CONT:
            name, chunks, first = self.pending
            chunks.append(bytes(frame.data))
            if frame.fin:
                self.pending = None
                self._emit(name, b"".join(chunks), len(chunks), first)
        elif op == Opcode.PING:
            self._emit("ping", frame.data, 1, self.frame_idx)
        elif op == Opcode.PONG:
            auto = not self.explicit_pong
            self.explicit_pong = False
            self._emit("pong", frame.data, 1, self.frame_idx, auto=auto)
        elif op == Opcode.CLOSE:
            data = bytes(frame.data)
            code = int.from_bytes(data[:2], "big") if len(data) >= 2 else None
            reason = data[2:].decode("utf-8", "replace")
            # A close sent after one was received is the library's echo.
            auto = self.protocol.close_rcvd is not None
            if auto:
                self.close_echo_ts = time.time()
            self._emit("close", data, 1, self.frame_idx, code=code, reason=reason, auto=auto)
        self.frame_idx += 1


def extensions_header(headers):
    try:
        return headers.get("Sec-WebSocket-Extensions")
    except Exception:
        return None
