"""Shared plumbing for the application-protocol captures (issue 14): a network namespace with
tcpdump on its `lo`, and the truth-log writer every peer uses.

Every recording script in this folder runs as root, creates namespace `wstap-app-NAME` (MTU 1500,
TSO/GSO/GRO off, see scripts/netns.py), starts tcpdump on its `lo` for the given TCP ports, runs
real peers inside it, and writes captures/app/NAME.pcap plus captures/app/NAME.truth.jsonl (the
merged logs of all peers, sorted by `ts_ns`). The truth format is described in docs/captures.md
("Application protocols").
"""

import base64
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, os.path.join(REPO, "scripts"))
from netns import Netns, wait_for  # noqa: E402

# WSTAP_APP_OUT redirects the output (to try a script without replacing the committed captures).
OUT = os.environ.get("WSTAP_APP_OUT") or os.path.join(REPO, "captures", "app")
PY = sys.executable


def log(*a):
    print("[app-record]", *a, flush=True)


def sha256(data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(bytes(data)).hexdigest()


class TruthLog:
    """One JSON line per application message a peer sent or received. Writes are line-buffered so
    a crashed peer still leaves what it logged."""

    def __init__(self, path, logged_by):
        self.fh = open(path, "a", buffering=1)
        self.logged_by = logged_by
        self.lock = threading.Lock()  # peers with several threads (paho's network loops) share it

    def write(self, direction, conn, payload, ts_ns=None, **fields):
        """`direction` is "sent" or "received" as seen by this peer; `conn` identifies the TCP
        connection (dict with client_port / server_port, plus protocol ids such as an Engine.IO
        sid); `payload` is the whole WebSocket message (bytes or str) or, for HTTP long-polling,
        the whole HTTP body."""
        ts = ts_ns if ts_ns is not None else time.time_ns()
        if isinstance(payload, str):
            raw, opcode = payload.encode("utf-8"), "text"
        else:
            raw, opcode = bytes(payload), "binary"
        obj = {"ts_ns": ts, "logged_by": self.logged_by, "dir": direction}
        obj.update(conn)
        obj.update({"opcode": opcode, "len": len(raw), "sha256": sha256(raw)})
        if len(raw) <= 2048:
            obj["data_b64"] = base64.b64encode(raw).decode()
        obj.update(fields)
        self.line(obj)

    def line(self, obj):
        with self.lock:
            self.fh.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")

    def app(self, what, logged_by=None, **fields):
        """A line for something the application itself did or saw (a callback firing, an API
        call returning): `dir` "app", no payload of its own."""
        obj = {"ts_ns": time.time_ns(), "logged_by": logged_by or self.logged_by, "dir": "app", "what": what}
        obj.update(fields)
        self.line(obj)


class Capture:
    """tcpdump on the namespace's lo, filtered to `ports`, until stop()."""

    def __init__(self, ns, ports, path, tmp):
        self.errpath = os.path.join(tmp, "tcpdump.stderr")
        self.err = open(self.errpath, "w")
        filt = " or ".join(f"tcp port {p}" for p in ports)
        self.proc = ns.popen("tcpdump", "-Z", "root", "-U", "--immediate-mode", "-s", "0", "-B", "32768",
                             "-i", "lo", "-w", path, filt, stdout=subprocess.DEVNULL, stderr=self.err)
        wait_for(lambda: "listening on" in open(self.errpath).read() or self.proc.poll() is not None,
                 15, "tcpdump start")
        if self.proc.poll() is not None:
            raise RuntimeError("tcpdump died: " + open(self.errpath).read())
        time.sleep(0.5)

    def stop(self):
        time.sleep(0.5)
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=20)
        self.err.close()
        log("  tcpdump:", open(self.errpath).read().strip().replace("\n", " | "))


def merge_truth(paths, dest):
    lines = []
    for p in paths:
        if os.path.exists(p):
            with open(p) as f:
                lines += [json.loads(line) for line in f if line.strip()]
    lines.sort(key=lambda o: o["ts_ns"])
    with open(dest, "w") as f:
        for o in lines:
            f.write(json.dumps(o, ensure_ascii=False, sort_keys=False) + "\n")
    return len(lines)


def record(name, ports, scenario):
    """Runs `scenario(ns, tmp)` inside a fresh namespace while tcpdump records `ports`; the
    scenario returns the list of truth-log paths its peers wrote. Must run as root."""
    if os.geteuid() != 0:
        sys.exit("run as root (needs ip netns and tcpdump)")
    os.makedirs(OUT, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f"wstap-app-{name}-")
    os.chmod(tmp, 0o777)
    pcap_tmp = os.path.join(tmp, f"{name}.pcap")
    log(f"== {name} (ports {ports})")
    with Netns(f"wstap-app-{name}"[:15]) as ns:
        cap = Capture(ns, ports, pcap_tmp, tmp)
        try:
            logs = scenario(ns, tmp)
        finally:
            cap.stop()
    dest = os.path.join(OUT, f"{name}.pcap")
    shutil.copyfile(pcap_tmp, dest)
    n = merge_truth(logs, os.path.join(OUT, f"{name}.truth.jsonl"))
    log(f"  {dest}: {os.path.getsize(dest)} bytes, {n} truth lines")
    shutil.rmtree(tmp, ignore_errors=True)


def run_peers(ns, server_cmd, client_cmds, ready, timeout=120):
    """Starts the server command, waits for its `ready` file, runs each client command to its end
    (in order), then stops the server with SIGINT (so it can flush its log)."""
    srv = ns.popen(*server_cmd)
    try:
        wait_for(lambda: os.path.exists(ready) or srv.poll() is not None, 30, "server ready")
        if srv.poll() is not None:
            raise RuntimeError(f"server exited early ({srv.returncode})")
        for cmd in client_cmds:
            ns.run(*cmd, timeout=timeout)
    finally:
        if srv.poll() is None:
            srv.send_signal(signal.SIGINT)
            try:
                srv.wait(timeout=10)
            except subprocess.TimeoutExpired:
                srv.kill()
                srv.wait()
