#!/usr/bin/env python3
"""Records wss:// traffic from OpenSSL's own client, for TLS decryption tests (issue 12).

    sudo python3 scripts/capture/record_tls_openssl.py [SCENARIO ...]     (as root; none: all)

Each scenario runs in a fresh network namespace (scripts/netns.py, lo MTU 1500) with tcpdump on lo.

openssl-keyupdate
    `openssl s_client -tls1_3 -ciphersuites TLS_AES_128_GCM_SHA256 -keylogfile FILE` against the
    python `websockets` TLS server of record_tls.py. This script types into s_client's standard
    input: the HTTP Upgrade request, then masked WebSocket frames it builds itself, and between
    them s_client's `K` command (a KeyUpdate that asks the server to update too, so both
    directions change keys) and `k` (only the client's keys). The key log holds only the
    first-generation secrets: decrypting past an update needs the KeyUpdate handled. Truth: the
    server's FrameHook log for what it sent, this script's log for what it typed (same format).
    Each write is one frame under 16 KiB (s_client reads 16 KiB at a time, and treats a read
    starting with K, k, Q or R as a command: frames start with 0x8x/0x0x bytes, never those).

openssl-hrr
    A HelloRetryRequest: the server (record_tls.py, TLS 1.3) gets an OPENSSL_CONF whose `Groups`
    is P-256 only, and `s_client -groups X25519:P-256` sends one key share, X25519; the script
    refuses a capture without the HelloRetryRequest random. Then four WebSocket messages.

openssl-resumed-tls13, openssl-resumed-tls12, openssl-resumed-tls12-id
    Session resumption: a first s_client connection saves its session (`-sess_out`), a second
    resumes it (`-sess_in`; the script refuses the recording unless s_client prints "Reused").
    TLS 1.3: PSK from a NewSessionTicket; TLS 1.2 (ECDHE-RSA-AES128-GCM-SHA256): an abbreviated
    handshake with a session ticket (-id: `-no_ticket`, resumed by session ID). Four WebSocket messages each way on each connection.

openssl-alpn-h2
    `openssl s_server -alpn h2 -tls1_2` and `openssl s_client -alpn h2 -tls1_2 -keylogfile FILE`
    exchanging one line each way: a TLS 1.2 connection whose server chose HTTP/2, so wstap must
    say that WebSocket over HTTP/2 is not decoded (with or without the key).

Output per scenario NAME, in captures/tls/openssl/ (a folder of its own: the tests of
captures/tls/ expect record_tls.py's messages): NAME.pcap, NAME.keylog (+ NAME.truth.jsonl).
"""

import base64
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))
OUT = os.path.join(REPO, "captures", "tls", "openssl")
PY = sys.executable
RECORD_TLS = os.path.join(HERE, "record_tls.py")


def log(*a):
    print("[record_tls_openssl]", *a, flush=True)


def frame(opcode, payload, rnd):
    """One masked, final client frame."""
    head = bytes([0x80 | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + n.to_bytes(2, "big")
    else:
        head += bytes([0x80 | 127]) + n.to_bytes(8, "big")
    mask = rnd.randbytes(4)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def certificate(tmp):
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=localhost"], check=True, capture_output=True)
    return cert, key


def start_tcpdump(ns, tmp, pcap, port):
    from netns import wait_for
    err = open(os.path.join(tmp, "tcpdump.stderr"), "w")
    cap = ns.popen("tcpdump", "-Z", "root", "-U", "--immediate-mode", "-s", "0", "-i", "lo", "-w", pcap,
                   f"tcp port {port}", stdout=subprocess.DEVNULL, stderr=err)
    wait_for(lambda: "listening on" in open(err.name).read() or cap.poll() is not None, 15, "tcpdump")
    time.sleep(1.0)
    return cap


def stop_tcpdump(cap):
    time.sleep(0.5)
    cap.send_signal(signal.SIGINT)
    cap.wait(timeout=20)


HRR_RANDOM = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")


def server_conf(path, groups):
    """An OPENSSL_CONF for the server alone: `Groups` limits the key shares it accepts."""
    with open(path, "w") as f:
        f.write("openssl_conf = default_conf\n[default_conf]\nssl_conf = ssl_sect\n[ssl_sect]\n"
                "system_default = system_default_sect\n[system_default_sect]\n"
                f"Groups = {groups}\n")


def request_bytes(name, port):
    return (f"GET /tls/{name} HTTP/1.1\r\nHost: localhost:{port}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n").encode()


def sclient_conversation(name, port, netns, server_args, connections, server_groups=None, check=None):
    """Runs record_tls.py's server and one s_client per entry of `connections` (in turn), typing
    the Upgrade request then each step: ("command", "K") is an s_client command, other kinds are
    frames. Each entry: {"args": extra s_client arguments, "steps": [...], "stdout": text s_client
    must print (e.g. "Reused")}. `{sess}` in args names a session file shared by the connections.
    `check(pcap, outputs)` may refuse the recording. Truth: the server's log and the typed frames."""
    from netns import Netns, wait_for
    tmp = tempfile.mkdtemp(prefix=f"wstap-{name}-")
    pcap, keylog = os.path.join(tmp, "c.pcap"), os.path.join(tmp, "keys.txt")
    slog, clog, ready = os.path.join(tmp, "server.jsonl"), os.path.join(tmp, "client.jsonl"), os.path.join(tmp, "ready")
    session = os.path.join(tmp, "session.pem")
    cert, key = certificate(tmp)
    rnd = random.Random(21)
    env = dict(os.environ)
    if server_groups:
        server_conf(os.path.join(tmp, "server.cnf"), server_groups)
        env["OPENSSL_CONF"] = os.path.join(tmp, "server.cnf")
    typed, outputs, errors = [], [], []
    with Netns(netns) as ns:
        cap = start_tcpdump(ns, tmp, pcap, port)
        srv = ns.popen(PY, RECORD_TLS, "server", name, *server_args, "--port", str(port), "--cert", cert, "--key", key,
                       "--log", slog, "--ready", ready, "--connections", str(len(connections)), env=env)
        try:
            wait_for(lambda: os.path.exists(ready), 15, "server ready")
            for index, connection in enumerate(connections):
                out, err = os.path.join(tmp, f"s_client{index}.out"), os.path.join(tmp, f"s_client{index}.stderr")
                args = [arg.replace("{sess}", session) for arg in connection["args"]]
                cli = ns.popen("openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", "localhost",
                               "-alpn", "http/1.1", "-keylogfile", keylog, *args, stdin=subprocess.PIPE,
                               stdout=open(out, "wb"), stderr=open(err, "w"))
                time.sleep(1.5)
                cli.stdin.write(request_bytes(name, port))
                cli.stdin.flush()
                time.sleep(0.7)
                for kind, value in connection["steps"]:
                    if kind == "command":
                        cli.stdin.write(value.encode() + b"\n")
                    else:
                        payload = value.encode() if isinstance(value, str) else value
                        cli.stdin.write(frame({"text": 1, "binary": 2, "close": 8}[kind], payload, rnd))
                        typed.append((index, kind, payload, time.time()))
                    cli.stdin.flush()
                    time.sleep(0.7)
                time.sleep(1.0)
                cli.stdin.close()
                cli.wait(timeout=20)
                outputs.append(open(out, errors="replace").read())
                errors.append(open(err, errors="replace").read())
                if connection.get("stdout") and connection["stdout"] not in outputs[-1]:
                    sys.exit(f"s_client {index} did not print {connection['stdout']!r}: {outputs[-1][-2000:]}")
            srv.wait(timeout=20)
        finally:
            if srv.poll() is None:
                srv.terminate()
            stop_tcpdump(cap)
    if check:
        check(pcap, outputs, errors)
    server_lines = [json.loads(line) for line in open(slog) if line.strip()]
    endpoints = []
    for line in server_lines:
        if (line["client"], line["server"]) not in endpoints:
            endpoints.append((line["client"], line["server"]))
    if len(endpoints) != len(connections):
        sys.exit(f"the server logged {len(endpoints)} connections, not {len(connections)}")
    with open(clog, "w") as f:
        for seq, (index, kind, payload, ts) in enumerate(typed):
            client_endpoint, server_endpoint = endpoints[index]
            f.write(json.dumps({"client": client_endpoint, "server": server_endpoint, "from": "client", "opcode": kind,
                                "data_b64": base64.b64encode(payload).decode(), "fragments": 1, "compressed": False,
                                "auto": False, "seq": seq, "ts": ts, "logged_by": "client"}, ensure_ascii=False) + "\n")
    save(name, pcap, keylog, [slog, clog])
    shutil.rmtree(tmp, ignore_errors=True)


TLS13 = ["--version", "1.3", "--suite", "TLS_AES_128_GCM_SHA256"]


def keyupdate(name, port):
    rnd = random.Random(22)
    steps = [
        ("text", "hello before any key update"),
        ("command", "K"),
        ("text", "after a KeyUpdate of both sides ✓"),
        ("binary", rnd.randbytes(15_000)),
        ("command", "k"),
        ("text", "after a second client KeyUpdate " + "x" * 12_000),
        ("command", "K"),
        ("text", "after the third"),
        ("close", (1000).to_bytes(2, "big") + "openssl done".encode()),
    ]

    def check(pcap, outputs, errors):
        if errors[0].count("KEYUPDATE") != 3:
            sys.exit(f"s_client did not send 3 KeyUpdates: {errors[0]}")

    sclient_conversation(name, port, "wstap-tls-ku", TLS13,
                         [{"args": ["-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256"], "steps": steps}], check=check)


def short_steps(label):
    return [("text", f"{label}: first message ✓"), ("binary", random.Random(label).randbytes(3_000)),
            ("text", f"{label}: " + "y" * 20_000), ("close", (1000).to_bytes(2, "big") + f"{label} done".encode())]


def hello_retry(name, port):
    """The server accepts only P-256; s_client offers X25519 first (its only key share), so the
    server answers with a HelloRetryRequest and s_client sends a second ClientHello."""
    def check(pcap, outputs, errors):
        if HRR_RANDOM not in open(pcap, "rb").read():
            sys.exit("no HelloRetryRequest in the capture")

    sclient_conversation(name, port, "wstap-tls-hrr", TLS13,
                         [{"args": ["-tls1_3", "-groups", "X25519:P-256"], "steps": short_steps("after HRR")}],
                         server_groups="P-256", check=check)


def resumption(name, port, version, ticket=True):
    """Two s_client connections: the first saves its session (-sess_out), the second resumes it
    (-sess_in; s_client prints "Reused"). TLS 1.3: a PSK from a NewSessionTicket, the key log
    holds fresh secrets for the resumed connection; TLS 1.2: an abbreviated handshake (ticket),
    the key log holds CLIENT_RANDOM with the resumed master secret."""
    if version == "1.3":
        server, flags = TLS13, ["-tls1_3"]
    else:
        server, flags = ["--version", "1.2", "--suite", "ECDHE-RSA-AES128-GCM-SHA256"], ["-tls1_2"]
        if not ticket:
            flags.append("-no_ticket")  # resumed by session ID from the server's session cache
    sclient_conversation(name, port, f"wstap-tls-res{version[-1]}{'' if ticket else 'id'}", server, [
        {"args": [*flags, "-sess_out", "{sess}"], "steps": short_steps("full handshake"), "stdout": "New, TLS"},
        {"args": [*flags, "-sess_in", "{sess}"], "steps": short_steps("resumed"), "stdout": "Reused, TLS"},
    ])


def alpn_h2(name, port):
    from netns import Netns
    tmp = tempfile.mkdtemp(prefix=f"wstap-{name}-")
    pcap, keylog = os.path.join(tmp, "c.pcap"), os.path.join(tmp, "keys.txt")
    cert, key = certificate(tmp)
    with Netns("wstap-tls-h2") as ns:
        cap = start_tcpdump(ns, tmp, pcap, port)
        srv = ns.popen("openssl", "s_server", "-accept", str(port), "-cert", cert, "-key", key, "-alpn", "h2",
                       "-tls1_2", "-naccept", "1", stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        try:
            time.sleep(1.0)
            cli = ns.popen("openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", "h2.example",
                           "-alpn", "h2", "-tls1_2", "-keylogfile", keylog, stdin=subprocess.PIPE,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1.0)
            cli.stdin.write(b"hello from an h2 client\n")
            cli.stdin.flush()
            time.sleep(0.5)
            srv.stdin.write(b"hello from an h2 server\n")
            srv.stdin.flush()
            time.sleep(0.5)
            cli.stdin.close()
            cli.wait(timeout=20)
            srv.wait(timeout=20)
        finally:
            if srv.poll() is None:
                srv.terminate()
            stop_tcpdump(cap)
    save(name, pcap, keylog, [])
    shutil.rmtree(tmp, ignore_errors=True)


def save(name, pcap, keylog, truth_logs):
    os.makedirs(OUT, exist_ok=True)
    shutil.copyfile(pcap, os.path.join(OUT, f"{name}.pcap"))
    shutil.copyfile(keylog, os.path.join(OUT, f"{name}.keylog"))
    n = 0
    if truth_logs:
        from record import merge_truth
        n = merge_truth(truth_logs, os.path.join(OUT, f"{name}.truth.jsonl"))
    log(f"  {name}.pcap: {os.path.getsize(pcap)} bytes, {n} truth lines")


SCENARIOS = {"openssl-keyupdate": (keyupdate, 9211), "openssl-alpn-h2": (alpn_h2, 9212),
             "openssl-hrr": (hello_retry, 9213),
             "openssl-resumed-tls13": (lambda name, port: resumption(name, port, "1.3"), 9214),
             "openssl-resumed-tls12": (lambda name, port: resumption(name, port, "1.2"), 9215),
             "openssl-resumed-tls12-id": (lambda name, port: resumption(name, port, "1.2", ticket=False), 9216)}


def main():
    sys.path.insert(0, HERE)
    only = sys.argv[1:] or list(SCENARIOS)
    for name in only:
        if name not in SCENARIOS:
            sys.exit(f"usage: record_tls_openssl.py [SCENARIO ...]\nscenarios: {' '.join(SCENARIOS)}")
        function, port = SCENARIOS[name]
        log(f"== {name}")
        function(name, port)


if __name__ == "__main__":
    main()
