"""MQTT control-packet fields for the truth log of record_mqtt.py.

The bytes come from the peer itself (what paho handed to its WebSocket wrapper, or the packet
paho's reader assembled), never from the capture. Fixed headers, packet ids, topics and reason
codes are read here; MQTT 5 properties are unpacked by paho's own `Properties` class.
"""

import base64
import hashlib

from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

NAMES = {1: "CONNECT", 2: "CONNACK", 3: "PUBLISH", 4: "PUBACK", 5: "PUBREC", 6: "PUBREL", 7: "PUBCOMP",
         8: "SUBSCRIBE", 9: "SUBACK", 10: "UNSUBSCRIBE", 11: "UNSUBACK", 12: "PINGREQ", 13: "PINGRESP",
         14: "DISCONNECT", 15: "AUTH"}


def varint(n):
    out = bytearray()
    while True:
        b = n % 128
        n //= 128
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


class Reader:
    def __init__(self, data, pos):
        self.d, self.p = data, pos

    def u8(self):
        v = self.d[self.p]
        self.p += 1
        return v

    def u16(self):
        v = int.from_bytes(self.d[self.p:self.p + 2], "big")
        self.p += 2
        return v

    def blob(self):
        n = self.u16()
        v = self.d[self.p:self.p + n]
        self.p += n
        return bytes(v)

    def text(self):
        return self.blob().decode("utf-8")

    def props(self, ptype):
        props = Properties(ptype)
        length = props.unpack(self.d[self.p:])[1]
        self.p += length
        return props.json() if not props.isEmpty() else {}

    def left(self):
        return len(self.d) - self.p


def payload_fields(data):
    out = {"payload_len": len(data), "payload_sha256": hashlib.sha256(data).hexdigest()}
    try:
        text = data.decode("utf-8")
        if len(text) <= 256:
            out["payload_text"] = text
    except UnicodeDecodeError:
        if len(data) <= 256:
            out["payload_b64"] = base64.b64encode(data).decode()
    return out


def describe(packet, v5):
    """Fields of one whole MQTT control packet (fixed header included)."""
    b0 = packet[0]
    ptype, flags = b0 >> 4, b0 & 0x0F
    mult, rl, pos = 1, 0, 1
    while True:
        byte = packet[pos]
        pos += 1
        rl += (byte & 0x7F) * mult
        mult *= 128
        if not byte & 0x80:
            break
    r = Reader(packet[:pos + rl], pos)
    out = {"mqtt_type": NAMES.get(ptype, f"reserved-{ptype}"), "mqtt_flags": flags, "remaining_length": rl}
    if ptype == 1:
        out["protocol_name"] = r.text()
        level = r.u8()
        out["protocol_level"] = level
        v5 = level == 5
        cf = r.u8()
        out["keep_alive"] = r.u16()
        out["clean_start"] = bool(cf & 0x02)
        if v5:
            out["properties"] = r.props(PacketTypes.CONNECT)
        out["client_id"] = r.text()
        if cf & 0x04:
            will = {"qos": (cf >> 3) & 3, "retain": bool(cf & 0x20)}
            if v5:
                will["properties"] = r.props(PacketTypes.WILLMESSAGE)
            will["topic"] = r.text()
            will.update(payload_fields(r.blob()))
            out["will"] = will
        if cf & 0x80:
            out["username"] = r.text()
        if cf & 0x40:
            out["password_len"] = len(r.blob())
    elif ptype == 2:
        out["session_present"] = bool(r.u8() & 1)
        out["reason_code"] = r.u8()
        if v5 and r.left():
            out["properties"] = r.props(PacketTypes.CONNACK)
    elif ptype == 3:
        out["dup"], out["qos"], out["retain"] = bool(flags & 8), (flags >> 1) & 3, bool(flags & 1)
        out["topic"] = r.text()
        if out["qos"]:
            out["packet_id"] = r.u16()
        if v5:
            out["properties"] = r.props(PacketTypes.PUBLISH)
        out.update(payload_fields(bytes(r.d[r.p:])))
    elif ptype in (4, 5, 6, 7):
        out["packet_id"] = r.u16()
        if v5 and r.left():
            out["reason_code"] = r.u8()
            if r.left():
                out["properties"] = r.props(ptype)
    elif ptype in (8, 10):
        out["packet_id"] = r.u16()
        if v5:
            out["properties"] = r.props(ptype)
        topics = []
        while r.left():
            t = {"topic": r.text()}
            if ptype == 8:
                o = r.u8()
                t["qos"] = o & 3
                if v5:
                    t.update(no_local=bool(o & 4), retain_as_published=bool(o & 8), retain_handling=(o >> 4) & 3)
            topics.append(t)
        out["topics"] = topics
    elif ptype in (9, 11):
        out["packet_id"] = r.u16()
        if v5:
            out["properties"] = r.props(ptype)
        out["reason_codes"] = list(r.d[r.p:])
    elif ptype in (14, 15):
        if v5 and r.left():
            out["reason_code"] = r.u8()
            if r.left():
                out["properties"] = r.props(ptype)
    return out
