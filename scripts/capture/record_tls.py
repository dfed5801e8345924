#!/usr/bin/env python3
"""Records real wss:// traffic with its key log, for TLS decryption tests (issue 12).

    sudo python3 scripts/capture/record_tls.py [SCENARIO ...]     (as root; none: all)

Each scenario runs in a fresh network namespace (scripts/netns.py: lo with MTU 1500, TSO/GSO/GRO
off, so large messages span many records and segments) with tcpdump on lo, a python `websockets`
server and client over `ssl` (self-signed RSA certificate made with openssl), permessage-deflate
on, and the client's `SSLContext.keylog_filename` writing the NSS key log. Both peers log every
message they send with Tests/Peers/truthlog.py, exactly as the plain captures do.

TLS 1.3 suites are chosen with an OPENSSL_CONF holding `Ciphersuites` (this Python's ssl module
has no `set_ciphersuites`); TLS 1.2 suites with `SSLContext.set_ciphers` and a 1.2 maximum.

Output per scenario NAME, in captures/tls/ (a folder of its own: the plain-capture tests read every
truth file in captures/, and these need their key log):
    NAME.pcap, NAME.keylog, NAME.truth.jsonl

Peers (run by the orchestration inside the namespace):
    record_tls.py server NAME --port P --cert C --key K --log FILE --ready FILE
    record_tls.py client NAME --port P --log FILE --keylog FILE --lport N
"""

import argparse
import asyncio
import os
import random
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "Tests", "Peers"))
OUT = os.path.join(REPO, "captures", "tls")
PY = sys.executable

# name, port, TLS version, suite (TLS 1.3: IANA name for OPENSSL_CONF; TLS 1.2: OpenSSL name)
SCENARIOS = [
    ("tls13-aes128gcm", 9201, "1.3", "TLS_AES_128_GCM_SHA256"),
    ("tls13-aes256gcm", 9202, "1.3", "TLS_AES_256_GCM_SHA384"),
    ("tls13-chacha20", 9203, "1.3", "TLS_CHACHA20_POLY1305_SHA256"),
    ("tls12-aes128gcm", 9204, "1.2", "ECDHE-RSA-AES128-GCM-SHA256"),
    ("tls12-chacha20", 9205, "1.2", "ECDHE-RSA-CHACHA20-POLY1305"),
]

# Incompressible, so it stays above 100 KB on the wire (about eight full TLS records).
LARGE_BYTES = 100_000


def log(*a):
    print("[record_tls]", *a, flush=True)


def text(n, seed):
    rnd = random.Random(seed)
    return "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ0123456789.,;:-") for _ in range(n))


# --------------------------------------------------------------------------
# peers


def context(role, version, suite, cert=None, key=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if role == "server" else ssl.PROTOCOL_TLS_CLIENT)
    if role == "server":
        ctx.load_cert_chain(cert, key)
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["http/1.1"])
    if version == "1.2":
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers(suite)
    else:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    return ctx


async def server(a):
    from truthlog import FrameHook, TruthLog, extensions_header, fmt_endpoint
    from websockets.asyncio.server import serve
    from websockets.exceptions import ConnectionClosed

    truth = TruthLog(a.log)
    done = asyncio.Event()
    finished = []

    async def handler(ws):
        FrameHook(truth, ws.protocol, role="server", client=fmt_endpoint(ws.remote_address),
                  server=fmt_endpoint(ws.local_address), extensions_header=extensions_header(ws.response.headers))
        try:
            count = 0
            async for message in ws:
                count += 1
                if count == 2:
                    # A fragmented reply, and one large enough for several records.
                    await ws.send(["server ", "fragmented ", "reply ✓"])
                elif count == 3:
                    await ws.send(random.Random(14).randbytes(LARGE_BYTES // 4))
                else:
                    kind = "bytes" if isinstance(message, bytes) else "characters"
                    await ws.send(f"got {len(message)} {kind}")
        except ConnectionClosed:
            pass
        finally:
            # --connections N: stay up for N connections (session resumption needs a second one
            # to the same context, whose ticket key resumes the first's session).
            finished.append(ws)
            if len(finished) >= (a.connections or 1):
                done.set()

    ctx = context("server", a.version, a.suite, a.cert, a.key)
    async with serve(handler, "127.0.0.1", a.port, ssl=ctx, ping_interval=None, max_size=None, compression="deflate"):
        open(a.ready, "w").close()
        await done.wait()
        await asyncio.sleep(0.3)


async def client(a):
    import socket

    from truthlog import FrameHook, TruthLog, extensions_header, fmt_endpoint
    from websockets.asyncio.client import connect

    truth = TruthLog(a.log)
    ctx = context("client", a.version, a.suite)
    ctx.keylog_filename = a.keylog
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", a.lport))
    sock.connect(("127.0.0.1", a.port))
    ws = await connect(f"wss://localhost:{a.port}/tls/{a.scenario}", sock=sock, ssl=ctx, server_hostname="localhost",
                       ping_interval=None, max_size=None, compression="deflate")
    FrameHook(truth, ws.protocol, role="client", client=fmt_endpoint(ws.local_address),
              server=fmt_endpoint(ws.remote_address), extensions_header=extensions_header(ws.response.headers))
    await ws.send("hello over TLS ✓")
    await ws.recv()
    await ws.send(["frag", "mented ", "over ", "TLS"])
    await ws.recv()
    await ws.send(random.Random(12).randbytes(LARGE_BYTES))
    await ws.recv()
    await ws.send(text(10_000, 13))
    await ws.recv()
    pong = await ws.ping(b"tls-ping")
    await pong
    await ws.close(1000, "tls done")


# --------------------------------------------------------------------------
# orchestration


def openssl_conf(path, suite):
    with open(path, "w") as f:
        f.write("openssl_conf = default_conf\n[default_conf]\nssl_conf = ssl_sect\n[ssl_sect]\n"
                "system_default = system_default_sect\n[system_default_sect]\n"
                f"Ciphersuites = {suite}\n")


def run_scenario(idx, name, port, version, suite):
    from netns import Netns, wait_for

    tmp = tempfile.mkdtemp(prefix=f"wstap-{name}-")
    pcap, keylog = os.path.join(tmp, f"{name}.pcap"), os.path.join(tmp, f"{name}.keylog")
    slog, clog, ready = os.path.join(tmp, "server.jsonl"), os.path.join(tmp, "client.jsonl"), os.path.join(tmp, "ready")
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=localhost"], check=True, capture_output=True)
    env = dict(os.environ)
    if version == "1.3":
        openssl_conf(os.path.join(tmp, "openssl.cnf"), suite)
        env["OPENSSL_CONF"] = os.path.join(tmp, "openssl.cnf")
    common = ["--version", version, "--suite", suite, "--port", str(port)]
    log(f"== {name} (TLS {version}, {suite})")
    with Netns(f"wstap-tls-{idx}") as ns:
        err = open(os.path.join(tmp, "tcpdump.stderr"), "w")
        cap = ns.popen("tcpdump", "-Z", "root", "-U", "--immediate-mode", "-s", "0", "-i", "lo", "-w", pcap,
                       f"tcp port {port}", stdout=subprocess.DEVNULL, stderr=err)
        wait_for(lambda: "listening on" in open(err.name).read() or cap.poll() is not None, 15, "tcpdump")
        time.sleep(1.0)
        srv = ns.popen(PY, __file__, "server", name, *common, "--cert", cert, "--key", key, "--log", slog,
                       "--ready", ready, env=env)
        try:
            wait_for(lambda: os.path.exists(ready), 15, "server ready")
            ns.run(PY, __file__, "client", name, *common, "--log", clog, "--keylog", keylog,
                   "--lport", str(41000 + idx), timeout=60, env=env)
            srv.wait(timeout=30)
        finally:
            if srv.poll() is None:
                srv.terminate()
            time.sleep(0.5)
            cap.send_signal(signal.SIGINT)
            cap.wait(timeout=20)
    os.makedirs(OUT, exist_ok=True)
    from record import merge_truth
    shutil.copyfile(pcap, os.path.join(OUT, f"{name}.pcap"))
    shutil.copyfile(keylog, os.path.join(OUT, f"{name}.keylog"))
    n = merge_truth([slog, clog], os.path.join(OUT, f"{name}.truth.jsonl"))
    log(f"  {name}.pcap: {os.path.getsize(pcap)} bytes, {n} truth lines")
    shutil.rmtree(tmp, ignore_errors=True)


def main():
    if len(sys.argv) > 1 and sys.argv[1] in ("server", "client"):
        p = argparse.ArgumentParser()
        p.add_argument("role")
        p.add_argument("scenario")
        for flag in ("--version", "--suite", "--cert", "--key", "--log", "--ready", "--keylog"):
            p.add_argument(flag)
        p.add_argument("--port", type=int)
        p.add_argument("--lport", type=int)
        p.add_argument("--connections", type=int, default=1)
        a = p.parse_args()
        asyncio.run(server(a) if a.role == "server" else client(a))
        return
    sys.path.insert(0, HERE)
    only = set(sys.argv[1:])
    unknown = only - {s[0] for s in SCENARIOS}
    if unknown:
        sys.exit(f"usage: record_tls.py [SCENARIO ...]\nscenarios: {' '.join(s[0] for s in SCENARIOS)}")
    for idx, scenario in enumerate(SCENARIOS, start=1):
        if not only or scenario[0] in only:
            run_scenario(idx, *scenario)


if __name__ == "__main__":
    main()
