#!/usr/bin/env python3
"""Records captures/app/stomp.pcap + stomp.truth.jsonl: RabbitMQ (Debian rabbitmq-server, plugin
rabbitmq_web_stomp, endpoint ws://127.0.0.1:9305/ws) and stomp.py's WebSocket connection
(`stomp.WSConnection`, on websocket-client), in a network namespace with tcpdump on its lo.

Run as root: `scripts/capture/app/record_stomp.py` (deps: scripts/capture/app/install.sh).
The broker runs from a scratch directory (its own config, plugins file, mnesia, logs, node
wstap@localhost, its own epmd), never the Debian service.

Clients (STOMP 1.2):
  client-v12      offers Sec-WebSocket-Protocol v12.stomp, v11.stomp, v10.stomp; heart-beats 500,500
                  (heart-beat frames both ways while idle); SUBSCRIBE a queue (ack
                  client-individual) and a topic (ack auto); SEND with receipts, custom headers,
                  a JSON body, a body with NUL bytes (content-length framing); MESSAGE, ACK, NACK and the
                  redelivery; BEGIN/SEND/COMMIT; UNSUBSCRIBE; DISCONNECT with a receipt.
  client-plain    no subprotocol offered, stomp.py binary mode (its frames go in binary WebSocket
                  messages; RabbitMQ answers in text ones): publishes to the topic client-v12
                  listens to.
  client-error    sends to an invalid destination: the broker answers ERROR and closes.

Truth: each WebSocket message the client sent or received, logged at stomp.py's WebSocket
transport (`WSTransport.send` / `.receive`), with STOMP fields from stomp.py's own frame parser
(`stomp.utils.parse_frame`). RabbitMQ logs nothing per frame: its frames are the clients'
`received` lines.
"""

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import appcap  # noqa: E402

PORT = 9305
ROLE = threading.local()


def split_frames(raw):
    """Cuts one WebSocket message into STOMP frames the way the protocol does: headers end at a
    blank line, the body is content-length bytes when that header is present, else up to the
    first NUL; end-of-line bytes between frames are heart-beats."""
    frames, i = [], 0
    while i < len(raw):
        while i < len(raw) and raw[i:i + 1] in (b"\n", b"\r"):
            i += 1
        if i >= len(raw):
            break
        sep = raw.find(b"\n\n", i)
        sep_len = 2
        crlf = raw.find(b"\r\n\r\n", i)
        if crlf >= 0 and (sep < 0 or crlf < sep):
            sep, sep_len = crlf, 4
        if sep < 0:
            frames.append(raw[i:])
            break
        length = None
        for line in raw[i:sep].split(b"\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1].strip())
        start = sep + sep_len
        end = start + length if length is not None else raw.find(b"\x00", start)
        if end < 0:
            end = len(raw)
        frames.append(raw[i:end])
        i = end + 1
    return frames


def describe(data):
    from stomp.utils import parse_frame
    raw = data if isinstance(data, bytes) else data.encode("utf-8")
    if raw.strip(b"\r\n") == b"":
        return {"stomp_command": "HEARTBEAT"}
    frames = []
    for fr in split_frames(raw):
        f = parse_frame(fr)  # stomp.py's own parser, given a frame without its NUL
        body = f.body if isinstance(f.body, bytes) else (f.body or "").encode()
        frames.append({"stomp_command": f.cmd, "headers": dict(f.headers), "body_len": len(body),
                       "body_sha256": hashlib.sha256(body).hexdigest(),
                       **({"body_text": body.decode()} if len(body) <= 256 and _utf8(body) else {})})
    if len(frames) == 1:
        return frames[0]
    return {"stomp_command": "MULTIPLE", "frames": frames}


def _utf8(b):
    try:
        b.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def install_hooks(log):
    from stomp.adapter.ws import WSTransport
    o_send, o_recv = WSTransport.send, WSTransport.receive

    def conn(t):
        try:
            port = t.socket.sock.getsockname()[1]
        except Exception:
            port = None
        return {"client_port": port, "server_port": PORT}

    def send(self, encoded_frame):
        ts = time.time_ns()
        c = conn(self)
        r = o_send(self, encoded_frame)
        binary = getattr(self, "_WSTransport__binary_mode", False)
        log.write("sent", c, encoded_frame if binary else encoded_frame.decode("utf-8"),
                  ts_ns=ts, logged_by=self.wstap_role, **describe(encoded_frame))
        return r

    def receive(self):
        # websocket-client's recv_data also returns close frames (code + reason as data): note
        # each message's opcode so only text/binary messages are logged.
        sock = self.socket
        if sock is not None and not getattr(sock, "wstap_wrapped", False):
            orig = sock.recv_data

            def recv_data(*a, **k):
                op, payload = orig(*a, **k)
                sock.wstap_last_opcode = op
                return op, payload
            sock.recv_data, sock.wstap_wrapped = recv_data, True
        data = o_recv(self)
        if data and getattr(sock, "wstap_last_opcode", None) in (1, 2):
            log.write("received", conn(self), data.decode("utf-8") if sock.wstap_last_opcode == 1 else data,
                      logged_by=self.wstap_role, **describe(data))
        return data
    WSTransport.send, WSTransport.receive = send, receive


def connect(log, role, subprotocols, heartbeats=(0, 0), binary_mode=False):
    import stomp
    import websocket
    o_create = websocket.create_connection

    def create(url, **kw):
        if subprotocols:
            kw["subprotocols"] = subprotocols
        return o_create(url, **kw)
    websocket.create_connection = create
    try:
        c = stomp.WSConnection([("127.0.0.1", PORT)], ws_path="/ws", heartbeats=heartbeats, vhost="/",
                               reconnect_attempts_max=1, binary_mode=binary_mode)
        c.transport.wstap_role = role
        listener = Collector(log, role)
        c.set_listener("collector", listener)
        c.connect("guest", "guest", wait=True)
    finally:
        websocket.create_connection = o_create
    c.collector = listener
    return c


class Collector:
    def __init__(self, log, role):
        self.log, self.role = log, role
        self.cv = threading.Condition()
        self.messages, self.receipts, self.errors = [], [], []

    def on_message(self, frame):
        with self.cv:
            self.messages.append(frame)
            self.cv.notify_all()

    def on_receipt(self, frame):
        with self.cv:
            self.receipts.append(frame.headers.get("receipt-id"))
            self.cv.notify_all()

    def on_error(self, frame):
        self.log.app("on_error", self.role, message=frame.headers.get("message"))
        with self.cv:
            self.errors.append(frame)
            self.cv.notify_all()

    def wait(self, pred, what, timeout=10):
        with self.cv:
            if not self.cv.wait_for(pred, timeout):
                raise RuntimeError("timeout: " + what)


def clients_main(logpath):
    log = appcap.TruthLog(logpath, "clients")
    install_hooks(log)
    v12 = connect(log, "client-v12", ["v12.stomp", "v11.stomp", "v10.stomp"], heartbeats=(500, 500))
    col = v12.collector
    v12.subscribe("/queue/wstap", id="sub-q", ack="client-individual")
    v12.subscribe("/topic/news", id="sub-t", ack="auto", headers={"receipt": "r-sub-t"})
    col.wait(lambda: "r-sub-t" in col.receipts, "subscribe receipt")

    plain = connect(log, "client-plain", None, binary_mode=True)
    plain.send("/topic/news", "breaking: wstap decodes STOMP", headers={"receipt": "r-news-1"})
    plain.collector.wait(lambda: "r-news-1" in plain.collector.receipts, "news receipt")
    plain.send("/topic/news", json.dumps({"headline": "second", "n": 2}), content_type="application/json")
    col.wait(lambda: len(col.messages) >= 2, "topic messages")
    plain.disconnect(receipt="r-plain-bye")

    v12.send("/queue/wstap", "hello queue", headers={"receipt": "r-1", "x-wstap": "custom header: with colon"})
    v12.send("/queue/wstap", "NUL\x00inside\x00the body ✓", content_type="text/plain;charset=utf-8",
             headers={"receipt": "r-2"})
    col.wait(lambda: len(col.messages) >= 4, "queue messages")
    first, second = col.messages[2], col.messages[3]
    v12.ack(first.headers["ack"])
    v12.nack(second.headers["ack"])  # requeued: delivered again with redelivered:true
    col.wait(lambda: len(col.messages) >= 5, "redelivery")
    v12.ack(col.messages[4].headers["ack"], receipt="r-ack")
    col.wait(lambda: "r-ack" in col.receipts, "ack receipt")

    v12.begin("tx-1")
    v12.send("/queue/wstap", "in a transaction", transaction="tx-1")
    v12.commit("tx-1", headers={"receipt": "r-commit"})
    col.wait(lambda: len(col.messages) >= 6, "transacted message")
    v12.ack(col.messages[5].headers["ack"])
    time.sleep(1.6)  # idle: heart-beats both ways (500 ms)
    v12.unsubscribe("sub-t", headers={"receipt": "r-unsub"})
    col.wait(lambda: "r-unsub" in col.receipts, "unsubscribe receipt")
    v12.disconnect(receipt="r-bye")
    log.app("messages", "client-v12", count=len(col.messages),
            ids=[m.headers.get("message-id") for m in col.messages])

    bad = connect(log, "client-error", ["v12.stomp"])
    bad.send("/nonsense/destination", "goes nowhere")
    bad.collector.wait(lambda: bad.collector.errors, "ERROR frame")
    time.sleep(0.5)
    try:
        bad.disconnect()
    except Exception:
        pass
    time.sleep(0.3)


def rabbit_env(tmp):
    return dict(os.environ, HOME=tmp, RABBITMQ_NODENAME="wstap@localhost",
                RABBITMQ_CONFIG_FILE=os.path.join(tmp, "rabbitmq"),
                RABBITMQ_ENABLED_PLUGINS_FILE=os.path.join(tmp, "enabled_plugins"),
                RABBITMQ_MNESIA_BASE=os.path.join(tmp, "mnesia"), RABBITMQ_LOG_BASE=os.path.join(tmp, "log"),
                RABBITMQ_PID_FILE=os.path.join(tmp, "rabbit.pid"), RABBITMQ_DIST_PORT="25672",
                ERL_EPMD_ADDRESS="127.0.0.1")


def scenario(ns, tmp):
    with open(os.path.join(tmp, "rabbitmq.conf"), "w") as f:
        f.write(f"listeners.tcp.default = 127.0.0.1:9315\nweb_stomp.tcp.port = {PORT}\n"
                "web_stomp.tcp.ip = 127.0.0.1\nloopback_users = none\n")
    with open(os.path.join(tmp, "enabled_plugins"), "w") as f:
        f.write("[rabbitmq_web_stomp].\n")
    env = rabbit_env(tmp)
    out = open(os.path.join(tmp, "rabbit.out"), "w")
    epmd = ns.popen("epmd", "-address", "127.0.0.1", env=env, stdout=out, stderr=subprocess.STDOUT)
    rabbit = ns.popen("/usr/lib/rabbitmq/bin/rabbitmq-server", env=env, stdout=out, stderr=subprocess.STDOUT)
    logpath = os.path.join(tmp, "clients.jsonl")
    try:
        def listening():
            r = subprocess.run(["ip", "netns", "exec", ns.name, "ss", "-ltn", f"sport = :{PORT}"],
                               capture_output=True, text=True)
            return str(PORT) in r.stdout
        appcap.wait_for(listening, 120, "rabbitmq web-stomp listener")
        ns.run(appcap.PY, os.path.abspath(__file__), "clients", logpath, timeout=120)
    finally:
        subprocess.run(["ip", "netns", "exec", ns.name, "/usr/lib/rabbitmq/bin/rabbitmqctl", "stop"], env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        for p in (rabbit, epmd):
            if p.poll() is None:
                p.terminate()
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    return [logpath]


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "clients":
        clients_main(sys.argv[2])
    elif len(sys.argv) == 1:
        if not os.path.exists("/usr/lib/rabbitmq/bin/rabbitmq-server"):
            sys.exit("rabbitmq-server not installed (scripts/capture/app/install.sh)")
        appcap.record("stomp", [PORT], scenario)
    else:
        sys.exit("usage: record_stomp.py   (as root)")


if __name__ == "__main__":
    main()
