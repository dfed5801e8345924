"""impl_truth.py — the conversation and truth log shared by the implementation peers of
scripts/capture/implementations.py (the Node peer, impl_node.js, follows the same plan).

Truth line (one per message, written by its sender before sending):
  {"client": "IP:PORT", "server": "IP:PORT", "from": "client"|"server", "opcode": ...,
   "length": N, "data_b64": ... (payloads up to 4 KiB) | "fnv1a64": hex (larger ones; a hash the
   Swift tests compute without a crypto library), "compressed": bool, "context_takeover": false, "fragments": n, "auto": bool, ["code", "reason"], "ts", "logged_by"}
`context_takeover` is true for a compressed message whose sender keeps its window between
messages (Tornado's second connection); every other compressed message is sent without it.
"""

import base64
import json
import os
import time

ROUNDS = 12
#: round -> size of a binary message sent before that round's text (64-bit lengths).
BIG = {"client": {3: 66000, 8: 90000}, "server": {5: 150000, 10: 70000}}


def fnv1a64(data):
    value = 0xCBF29CE484222325
    for byte in data:
        value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{value:016x}"


def payload(size, compressible):
    data = bytearray(os.urandom(size))
    if compressible:
        for i in range(size):
            data[i] &= 0x0F
    return bytes(data)


class Truth:
    def __init__(self, path, implementation):
        self.fh = open(path, "a", buffering=1)
        self.implementation = implementation

    def log(self, client, server, sender, opcode, data, compressed, auto=False, code=None, reason=None, fragments=1,
            context_takeover=False):
        line = {"client": client, "server": server, "from": sender, "opcode": opcode, "length": len(data),
                "compressed": compressed, "context_takeover": context_takeover, "fragments": fragments, "auto": auto, "ts": time.time(),
                "logged_by": f"{self.implementation}-{sender}"}
        if len(data) <= 4096:
            line["data_b64"] = base64.b64encode(data).decode()
        else:
            line["fnv1a64"] = fnv1a64(data)
        if code is not None:
            line["code"], line["reason"] = code, reason
        self.fh.write(json.dumps(line, ensure_ascii=False) + "\n")
