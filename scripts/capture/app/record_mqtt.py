#!/usr/bin/env python3
"""Records captures/app/mqtt.pcap + mqtt.truth.jsonl (+ mqtt.broker.log): a mosquitto broker
(Debian package) with a websockets listener, and paho-mqtt 2 clients over WebSocket, MQTT 3.1.1
and MQTT 5, in a network namespace with tcpdump on its lo.

Run as root: `scripts/capture/app/record_mqtt.py` (deps: scripts/capture/app/install.sh).

Peers (broker websockets listener on port 9302; mosquitto 2.0 needs a plain MQTT listener beside
it, port 9312, which no client uses):
  client-311  MQTT 3.1.1, client id wstap-sub-311, keep-alive 2 s (so PINGREQ/PINGRESP appear),
              a will; SUBSCRIBE with three filters (qos 2/1/0), receives QoS 0/1/2, publishes a QoS 2 reply, UNSUBSCRIBE, then drops its TCP connection
              without DISCONNECT so the broker publishes its will.
  client-5    MQTT 5, wstap-pub-5: CONNECT properties (session expiry, receive maximum, user
              property), SUBSCRIBE with options (no-local), PUBLISH QoS 0/1/2 with properties
              (content type, user property, message expiry, response topic, correlation data),
              a retained message, a binary payload, the 150 000-byte message, UNSUBSCRIBE,
              DISCONNECT with a reason code.
  client-late-5  MQTT 5, wstap-late-5: receives the 150 000-byte message, subscribes to
              retained/# late (gets the retained message with the retain flag set) and gets the
              will of client-311.

Truth: paho's own send path (`Client._sock_send`, one call per whole MQTT packet, which paho's
websocket wrapper puts in one WebSocket message) and its receive path (`Client._packet_handle`,
one call per whole MQTT packet it assembled), fields read by mqtt_fields.py (v5 properties by
paho's `Properties`), plus `dir: "app"` lines from paho's callbacks (on_connect, on_message,
on_subscribe, on_unsubscribe, on_publish). The broker does not write truth lines; its own log
(log_type all) is kept as mqtt.broker.log.
"""

import os
import shutil
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import appcap  # noqa: E402

PORT, PLAIN_PORT = 9302, 9312
BIG = 150_000


def install_hooks(log):
    import paho.mqtt.client as mqtt
    import mqtt_fields
    first_try = {}

    def conn(client):
        try:
            port = client._sock._socket.getsockname()[1]
        except Exception:
            port = None
        return {"client_port": port, "server_port": PORT}

    def fields(client, raw):
        f = mqtt_fields.describe(raw, client._protocol == mqtt.MQTTv5)
        f["mqtt_version"] = "5" if client._protocol == mqtt.MQTTv5 else "3.1.1"
        return f

    o_send = mqtt.Client._sock_send

    def _sock_send(self, buf):
        key = (id(self), bytes(buf))
        ts = first_try.setdefault(key, time.time_ns())
        n = o_send(self, buf)  # the websocket wrapper returns len(buf) once the whole frame is out, else 0
        if n == len(buf):
            first_try.pop(key, None)
            log.write("sent", conn(self), bytes(buf), ts_ns=ts, logged_by=self._client_id.decode(),
                      unit="mqtt-packet", **fields(self, bytes(buf)))
        return n
    mqtt.Client._sock_send = _sock_send

    o_handle = mqtt.Client._packet_handle

    def _packet_handle(self):
        ip = self._in_packet
        raw = bytes([ip["command"]]) + mqtt_fields.varint(ip["remaining_length"]) + bytes(ip["packet"])
        log.write("received", conn(self), raw, logged_by=self._client_id.decode(), unit="mqtt-packet",
                  **fields(self, raw))
        return o_handle(self)
    mqtt.Client._packet_handle = _packet_handle


def make_client(log, client_id, version, keepalive=60, **connect_kw):
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=version, transport="websockets")
    c.ws_set_options(path="/mqtt")
    events = {k: threading.Event() for k in ("connect", "subscribe", "unsubscribe")}
    c.got = []
    c.got_event = threading.Condition()

    def props(p):
        return p.json() if p is not None and not p.isEmpty() else {}

    def on_connect(client, userdata, flags, reason_code, properties):
        log.app("on_connect", client_id, reason_code=int(reason_code.value), session_present=flags.session_present,
                properties=props(properties))
        events["connect"].set()

    def on_message(client, userdata, msg):
        import mqtt_fields
        log.app("on_message", client_id, topic=msg.topic, qos=msg.qos, retain=bool(msg.retain), mid=msg.mid,
                properties=props(getattr(msg, "properties", None)), **mqtt_fields.payload_fields(msg.payload))
        with c.got_event:
            c.got.append(msg.topic)
            c.got_event.notify_all()

    def on_subscribe(client, userdata, mid, reason_codes, properties):
        log.app("on_subscribe", client_id, mid=mid, reason_codes=[int(r.value) for r in reason_codes])
        events["subscribe"].set()

    def on_unsubscribe(client, userdata, mid, reason_codes, properties):
        log.app("on_unsubscribe", client_id, mid=mid, reason_codes=[int(r.value) for r in reason_codes])
        events["unsubscribe"].set()

    def on_publish(client, userdata, mid, reason_code, properties):
        log.app("on_publish", client_id, mid=mid, reason_code=int(reason_code.value))

    c.on_connect, c.on_message, c.on_subscribe = on_connect, on_message, on_subscribe
    c.on_unsubscribe, c.on_publish = on_unsubscribe, on_publish
    c.events = events
    c.connect("127.0.0.1", PORT, keepalive=keepalive, **connect_kw)
    c.loop_start()
    wait(events["connect"], "connect " + client_id)
    return c


def wait(ev, what, timeout=10):
    if not ev.wait(timeout):
        raise RuntimeError("timeout: " + what)
    ev.clear()


def wait_topic(c, topic, timeout=10):
    end = time.time() + timeout
    with c.got_event:
        while topic not in c.got:
            if time.time() > end:
                raise RuntimeError(f"timeout waiting for {topic}")
            c.got_event.wait(0.1)
        c.got.remove(topic)


def publish(log, c, topic, payload, qos, retain=False, properties=None):
    info = c.publish(topic, payload, qos=qos, retain=retain, properties=properties)
    log.app("publish-call", c._client_id.decode(), topic=topic, qos=qos, retain=retain, mid=info.mid)
    info.wait_for_publish(10)
    return info


def clients_main(logpath):
    import paho.mqtt.client as mqtt
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties
    from paho.mqtt.reasoncodes import ReasonCode
    from paho.mqtt.subscribeoptions import SubscribeOptions
    log = appcap.TruthLog(logpath, "clients")
    install_hooks(log)

    cp = Properties(PacketTypes.CONNECT)
    cp.SessionExpiryInterval = 60
    cp.ReceiveMaximum = 20
    cp.UserProperty = ("app", "wstap")

    def with_will(c):
        c.will_set("clients/wstap-sub-311/status", "offline (will)", qos=1, retain=False)

    m = mqtt
    # will_set must come before connect: make_client connects, so build this one by hand.
    orig_connect = m.Client.connect

    def connect_with_will(self, *a, **k):
        if self._client_id == b"wstap-sub-311":
            with_will(self)
        return orig_connect(self, *a, **k)
    m.Client.connect = connect_with_will

    c311 = make_client(log, "wstap-sub-311", m.MQTTv311, keepalive=2)
    c311.subscribe([("sensors/#", 2), ("retained/#", 1), ("never/#", 0)])
    wait(c311.events["subscribe"], "suback 311")

    # MQTT 5 observer (keep-alive 60 s: paho needs seconds to read a 150 kB frame, longer than
    # client-311's 2 s keep-alive allows): receives the big message, later the retained one and the will.
    late = make_client(log, "wstap-late-5", m.MQTTv5, clean_start=True)
    late.subscribe([("big/#", SubscribeOptions(qos=1)), ("clients/#", SubscribeOptions(qos=1))])
    wait(late.events["subscribe"], "suback late")

    c5 = make_client(log, "wstap-pub-5", m.MQTTv5, clean_start=True, properties=cp)
    c5.subscribe("replies/#", options=SubscribeOptions(qos=2, noLocal=True))
    wait(c5.events["subscribe"], "suback 5")

    publish(log, c5, "sensors/1", "21.5", 0)
    wait_topic(c311, "sensors/1")
    pp = Properties(PacketTypes.PUBLISH)
    pp.ContentType = "text/plain"
    pp.MessageExpiryInterval = 120
    pp.UserProperty = [("unit", "C"), ("room", "lab")]
    publish(log, c5, "sensors/2", "22.0", 1, properties=pp)
    wait_topic(c311, "sensors/2")
    publish(log, c5, "sensors/3", bytes([0, 1, 2, 0xFF, 0xFE, 0x80]) + "é".encode(), 2)
    wait_topic(c311, "sensors/3")
    rp = Properties(PacketTypes.PUBLISH)
    rp.ResponseTopic = "replies/wstap-pub-5"
    rp.CorrelationData = b"\x01\x02req-1"
    publish(log, c5, "sensors/4", '{"want":"reply"}', 1, properties=rp)
    wait_topic(c311, "sensors/4")
    publish(log, c311, "replies/wstap-pub-5", "reply to req-1", 2)
    wait_topic(c5, "replies/wstap-pub-5")
    publish(log, c5, "retained/config", '{"rate": 5}', 1, retain=True)
    wait_topic(c311, "retained/config")
    big = bytes((i * 7 + 3) % 251 for i in range(BIG))
    # paho 2.2's websocket wrapper reports a partly written frame as 0 bytes written and
    # _packet_write then drops the packet (it never reaches the broker): give the socket a send
    # buffer that takes the whole frame at once.
    c5.socket()._socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    publish(log, c5, "big/blob", big, 1)
    wait_topic(late, "big/blob", 30)

    time.sleep(2.6)  # c311's keep-alive is 2 s: PINGREQ / PINGRESP
    c311.unsubscribe("sensors/#")
    wait(c311.events["unsubscribe"], "unsuback 311")
    publish(log, c5, "sensors/5", "nobody subscribed any more", 1)

    late.subscribe("retained/#", options=SubscribeOptions(qos=1))
    wait(late.events["subscribe"], "suback late retained")
    wait_topic(late, "retained/config")

    c5.unsubscribe(["replies/#", "not/subscribed"])
    wait(c5.events["unsubscribe"], "unsuback 5")
    # A v5 DISCONNECT with a reason code and a property.
    dp = Properties(PacketTypes.DISCONNECT)
    dp.SessionExpiryInterval = 0
    c5.disconnect(reasoncode=ReasonCode(PacketTypes.DISCONNECT, "Normal disconnection"), properties=dp)
    c5.loop_stop()

    # client-311 vanishes without DISCONNECT: the broker publishes its will to wstap-late-5.
    c311.loop_stop()
    c311.socket().close()
    log.app("socket-closed-without-disconnect", "wstap-sub-311")
    wait_topic(late, "clients/wstap-sub-311/status", 15)
    late.disconnect()
    late.loop_stop()
    time.sleep(0.3)


def with_broker(ns, tmp, run_clients, broker_log_name):
    """Runs mosquitto in the namespace while `run_clients(ns, tmp)` runs; returns the truth-log
    path(s) it gives and keeps the broker's log as captures/app/BROKER_LOG_NAME."""
    conf = os.path.join(tmp, "mosquitto.conf")
    broker_log = os.path.join(tmp, "mosquitto.log")
    with open(conf, "w") as f:
        f.write(f"listener {PLAIN_PORT} 127.0.0.1\nprotocol mqtt\n"
                f"listener {PORT}\nprotocol websockets\n"
                "allow_anonymous true\npersistence false\n"
                f"log_dest file {broker_log}\nlog_type all\nlog_timestamp true\n"
                "log_timestamp_format %Y-%m-%dT%H:%M:%S\n")
    broker = ns.popen("mosquitto", "-c", conf, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        appcap.wait_for(lambda: os.path.exists(broker_log) and "running" in open(broker_log).read(), 15,
                        "mosquitto running")
        logpath = run_clients(ns, tmp)
    finally:
        broker.terminate()
        broker.wait(timeout=10)
    shutil.copyfile(broker_log, os.path.join(appcap.OUT, broker_log_name))
    return [logpath]


def run_paho_clients(ns, tmp):
    logpath = os.path.join(tmp, "clients.jsonl")
    ns.run(appcap.PY, os.path.abspath(__file__), "clients", logpath, timeout=120)
    return logpath


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "clients":
        clients_main(sys.argv[2])
    elif len(sys.argv) == 1:
        if not shutil.which("mosquitto"):
            sys.exit("mosquitto not installed (scripts/capture/app/install.sh)")
        appcap.record("mqtt", [PORT], lambda ns, tmp: with_broker(ns, tmp, run_paho_clients, "mqtt.broker.log"))
    else:
        sys.exit("usage: record_mqtt.py   (as root)")


if __name__ == "__main__":
    main()
