#!/usr/bin/env python3
"""Orchestrates the capture scenarios (called by record.sh, runs as root).

Each scenario runs in a fresh network namespace wstap-cap-N whose `lo` has
MTU 1500 and TSO/GSO/GRO off, so TCP segments look like a real link.
"""

import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from netns import Netns as _Netns, sh, wait_for  # noqa: E402


def Netns(idx):
    return _Netns(f"wstap-cap-{idx}")
REPO = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(REPO, "captures")
PY = sys.executable

# name, port, capture ("lo" tcpdump | "any" tcpdump -i any | "dumpcap"), host, extension, kind
SCENARIOS = [
    ("plain", 9101, "lo", "127.0.0.1", "pcap", "peers"),
    ("fragmented", 9102, "lo", "127.0.0.1", "pcap", "peers"),
    ("binary", 9103, "lo", "127.0.0.1", "pcap", "peers"),
    ("large", 9104, "lo", "127.0.0.1", "pcap", "peers"),
    ("ipv6", 9105, "lo", "::1", "pcap", "peers"),
    ("concurrent", 9106, "lo", "127.0.0.1", "pcap", "peers"),
    ("any-sll2", 9107, "any", "127.0.0.1", "pcap", "peers"),
    ("pcapng", 9108, "dumpcap", "127.0.0.1", "pcapng", "peers"),
    ("keepalive-then-upgrade", 9109, "lo", "127.0.0.1", "pcap", "keepalive"),
    ("refused", 9110, "lo", "127.0.0.1", "pcap", "peers"),
    ("browser-chromium", 9111, "lo", "127.0.0.1", "pcap", "browser"),
    ("browser-chromium-deflate", 9112, "lo", "127.0.0.1", "pcap", "browser"),
    ("deflate-default", 9113, "lo", "127.0.0.1", "pcap", "peers"),
    ("deflate-no-context", 9114, "lo", "127.0.0.1", "pcap", "peers"),
    ("deflate-small-window", 9115, "lo", "127.0.0.1", "pcap", "peers"),
    ("deflate-fragmented", 9116, "lo", "127.0.0.1", "pcap", "peers"),
    ("midstream", 9117, "lo", "127.0.0.1", "pcap", "midstream"),
    ("midstream-deflate-nocontext", 9118, "lo", "127.0.0.1", "pcap", "midstream"),
    ("deflate-bomb", 9119, "lo", "127.0.0.1", "pcap", "peers"),
    ("midstream-deflate-context", 9120, "lo", "127.0.0.1", "pcap", "midstream"),
    ("auth-headers", 9121, "lo", "127.0.0.1", "pcap", "peers"),
    ("browser-firefox", 9122, "lo", "127.0.0.1", "pcap", "browser"),
    ("browser-firefox-deflate", 9123, "lo", "127.0.0.1", "pcap", "browser"),
    ("server-push", 9124, "lo", "127.0.0.1", "pcap", "peers"),
]



def log(*a):
    print("[record]", *a, flush=True)


class Capture:
    """tcpdump / dumpcap running inside the namespace until stop()."""

    def __init__(self, ns, mode, port, path, tmp):
        self.path = path
        self.errpath = os.path.join(tmp, "capture.stderr")
        self.err = open(self.errpath, "w")
        filt = f"tcp port {port}"
        if mode == "dumpcap":
            args = ["dumpcap", "-q", "-B", "32", "-i", "lo", "-f", filt, "-w", path]
            ready = "Capturing on"
        else:
            args = ["tcpdump", "-Z", "root", "-U", "--immediate-mode", "-s", "0", "-B", "32768",
                    "-i", "lo" if mode == "lo" else "any", "-w", path, filt]
            ready = "listening on"
        self.proc = ns.popen(*args, stdout=subprocess.DEVNULL, stderr=self.err)
        wait_for(lambda: ready in open(self.errpath).read() or self.proc.poll() is not None, 15, "capture start")
        if self.proc.poll() is not None:
            raise RuntimeError("capture died: " + open(self.errpath).read())
        wait_for(lambda: os.path.exists(path), 10, "capture file")
        time.sleep(1.0)

    def stop(self):
        time.sleep(0.5)
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=20)
        self.err.close()
        log("  capture:", open(self.errpath).read().strip().replace("\n", " | "))


def peers_cmd(role, name, host, port, logf, **extra):
    cmd = [PY, os.path.join(REPO, "Tests", "Peers", "peers.py"), role, name, "--host", host, "--port", str(port), "--log", logf]
    for k, v in extra.items():
        cmd += [f"--{k}", str(v)]
    return cmd


def merge_truth(paths, dest):
    lines = []
    for p in paths:
        if os.path.exists(p):
            with open(p) as f:
                lines += [json.loads(line) for line in f if line.strip()]
    lines.sort(key=lambda o: o["ts"])
    with open(dest, "w") as f:
        for o in lines:
            f.write(json.dumps(o, ensure_ascii=False) + "\n")
    return len(lines)


def run_scenario(idx, name, port, mode, host, ext, kind):
    tmp = tempfile.mkdtemp(prefix=f"wstap-{name}-")
    os.chmod(tmp, 0o777)
    pcap_tmp = os.path.join(tmp, f"{name}.{ext}")
    slog, clog = os.path.join(tmp, "server.jsonl"), os.path.join(tmp, "client.jsonl")
    ready = os.path.join(tmp, "ready")
    marker = os.path.join(tmp, "capturing")
    connected = os.path.join(tmp, "connected")
    lport = 40000 + idx * 10
    log(f"== {name} (port {port}, {mode}, {host})")
    procs = []
    with Netns(idx) as ns:
        try:
            if kind == "peers":
                cap = Capture(ns, mode, port, pcap_tmp, tmp)
                srv = ns.popen(*peers_cmd("server", name, host, port, slog, ready=ready))
                procs.append(srv)
                wait_for(lambda: os.path.exists(ready), 15, "server ready")
                ns.run(*peers_cmd("client", name, host, port, clog, lport=lport), timeout=90)
                srv.wait(timeout=30)
                cap.stop()
            elif kind == "midstream":
                srv = ns.popen(*peers_cmd("server", name, host, port, slog, ready=ready, marker=marker))
                procs.append(srv)
                wait_for(lambda: os.path.exists(ready), 15, "server ready")
                cli = ns.popen(*peers_cmd("client", name, host, port, clog, lport=lport,
                                          marker=marker, connected=connected))
                procs.append(cli)
                wait_for(lambda: os.path.exists(connected), 20, "client connected")
                cap = Capture(ns, mode, port, pcap_tmp, tmp)
                open(marker, "w").close()
                cli.wait(timeout=60)
                srv.wait(timeout=30)
                cap.stop()
            elif kind == "keepalive":
                cap = Capture(ns, mode, port, pcap_tmp, tmp)
                srv = ns.popen(PY, os.path.join(HERE, "keepalive.py"), "server", "--port", str(port),
                               "--log", slog, "--ready", ready)
                procs.append(srv)
                wait_for(lambda: os.path.exists(ready), 15, "server ready")
                ns.run(PY, os.path.join(HERE, "keepalive.py"), "client", "--port", str(port),
                       "--log", clog, "--lport", str(lport), timeout=60)
                srv.wait(timeout=30)
                cap.stop()
            elif kind == "browser":
                cap = Capture(ns, mode, port, pcap_tmp, tmp)
                srv = ns.popen(PY, os.path.join(HERE, "browser_server.py"), name, "--port", str(port),
                               "--log", slog, "--ready", ready)
                procs.append(srv)
                wait_for(lambda: os.path.exists(ready), 15, "server ready")
                if name.startswith("browser-firefox"):
                    # Firefox ESR (Debian firefox-esr), headless, with a fresh profile.
                    profile = os.path.join(tmp, "firefox-profile")
                    os.makedirs(profile, exist_ok=True)
                    browser = ["firefox-esr", "--headless", "--no-remote", "--profile", profile]
                else:
                    profile = os.path.join(tmp, "chromium-profile")
                    browser = ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu",
                               "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
                               "--disable-component-update", "--disable-sync", "--disable-extensions",
                               "--disable-dev-shm-usage", f"--user-data-dir={profile}"]
                chrome = ns.popen(
                    *browser, f"http://127.0.0.1:{port}/",
                    stdout=open(os.path.join(tmp, "browser.log"), "w"), stderr=subprocess.STDOUT,
                    start_new_session=True)
                procs.append(chrome)
                try:
                    srv.wait(timeout=60)
                finally:
                    try:
                        os.killpg(chrome.pid, signal.SIGTERM)
                    except ProcessLookupError:
                        pass
                    chrome.wait(timeout=20)
                cap.stop()
        finally:
            for p in procs:
                if p.poll() is None:
                    p.terminate()
                    try:
                        p.wait(timeout=5)
                    except subprocess.TimeoutExpired:
                        p.kill()
    dest = os.path.join(OUT, f"{name}.{ext}")
    shutil.copyfile(pcap_tmp, dest)
    n = merge_truth([slog, clog], os.path.join(OUT, f"{name}.truth.jsonl"))
    if name == "refused":
        info = json.load(open(slog + ".refused.json"))
        info["client_result"] = json.load(open(clog + ".refused-client.json"))
        with open(os.path.join(OUT, "refused.http.json"), "w") as f:
            json.dump(info, f, indent=2)
            f.write("\n")
    log(f"  {dest}: {os.path.getsize(dest)} bytes, {n} truth lines")
    shutil.rmtree(tmp, ignore_errors=True)


DERIVED = [
    # name, source, mangle args, sidecar
    ("reordered-duplicated", "concurrent", ["reorder", "--seed", "6455"], "reordered-duplicated.mangle.json"),
    ("lost-packets", "binary", ["drop", "--port", "9103"], "lost-packets.dropped.json"),
]

HOW = {
    "plain": "python websockets client+server, tcpdump -i lo (netns, MTU 1500)",
    "fragmented": "websockets send(iterable / async iterable); ping inside a fragmented message",
    "binary": "websockets, binary incl. all byte values 0..255",
    "large": "websockets, 1 MiB + 4 KiB binary client->server (64-bit length)",
    "ipv6": "websockets over [::1]",
    "concurrent": "5 concurrent websockets connections, interleaved",
    "any-sll2": "websockets, tcpdump -i any (LINUX_SLL2)",
    "pcapng": "websockets, dumpcap (pcapng)",
    "keepalive-then-upgrade": "GET /health (keep-alive) then upgrade on the same TCP connection; websockets Sans-I/O on both sides",
    "refused": "websockets client, server process_request -> 401 (see refused.http.json)",
    "browser-chromium": "headless Chromium page <-> websockets server (compression=None)",
    "browser-chromium-deflate": "headless Chromium page <-> websockets server (permessage-deflate)",
    "browser-firefox": "headless Firefox ESR page <-> websockets server (compression=None)",
    "browser-firefox-deflate": "headless Firefox ESR page <-> websockets server (permessage-deflate)",
    "deflate-default": "websockets, permessage-deflate default params (context takeover)",
    "deflate-no-context": "permessage-deflate client/server_no_context_takeover",
    "deflate-small-window": "permessage-deflate server_max_window_bits=10, client_max_window_bits=12",
    "deflate-fragmented": "permessage-deflate, messages sent fragmented",
    "midstream": "tcpdump started after handshake + 3 exchanges (before_capture lines)",
    "midstream-deflate-nocontext": "as midstream, permessage-deflate no context takeover",
    "deflate-bomb": "websockets server sends 64 MiB of zeros with permessage-deflate (~65 KB on the wire), then a text; truth logs length + SHA-256 for payloads over 8 MiB",
    "midstream-deflate-context": "as midstream, permessage-deflate with context takeover: messages that refer to uncaptured history cannot be inflated (see .subsequence)",
    "auth-headers": "websockets client with Cookie/Authorization (additional_headers), server Set-Cookie and subprotocol chat.v1; pings with payloads",
    "server-push": "websockets peers: a subscription answered at once, then 4 server pushes on a 0.25 s timer, then a request and answer (serve's recorded push timing)",
    "reordered-duplicated": "mangle.py reorder of concurrent.pcap (window 5, seed 6455, ~10% dups)",
    "lost-packets": "mangle.py drop of binary.pcap: 3 client->server data packets removed",
}


def derive():
    for name, src, args, sidecar in DERIVED:
        srcp = os.path.join(OUT, f"{src}.pcap")
        if not os.path.exists(srcp):
            continue
        sh(PY, os.path.join(HERE, "mangle.py"), args[0], srcp, os.path.join(OUT, f"{name}.pcap"),
           os.path.join(OUT, sidecar), *args[1:])
        # same truth as the source; a relative symlink keeps captures/ small
        link = os.path.join(OUT, f"{name}.truth.jsonl")
        if os.path.lexists(link):
            os.remove(link)
        os.symlink(f"{src}.truth.jsonl", link)


def tshark_lines(path, *args):
    r = subprocess.run(["tshark", "-r", path, *args], capture_output=True, text=True)
    return [line for line in r.stdout.splitlines() if line.strip()]


def readme():
    rows = []
    total = 0
    for fn in sorted(os.listdir(OUT)):
        if not os.path.islink(os.path.join(OUT, fn)):
            total += os.path.getsize(os.path.join(OUT, fn))
    names = [sc[0] + "." + sc[4] for sc in SCENARIOS] + [d[0] + ".pcap" for d in DERIVED]
    for fn in names:
        path = os.path.join(OUT, fn)
        if not os.path.exists(path):
            continue
        name = fn.rsplit(".", 1)[0]
        encap = tshark_lines(path, "-c", "1", "-T", "fields", "-e", "frame.encap_type")
        cap = subprocess.run(["capinfos", "-t", "-E", "-c", "-M", path], capture_output=True, text=True).stdout
        ftype = enc = npk = "?"
        for line in cap.splitlines():
            k, _, v = line.partition(":")
            v = v.strip()
            if k.strip() == "File type":
                ftype = v.split(" ")[0]
            elif k.strip() == "File encapsulation":
                enc = v
            elif k.strip() == "Number of packets":
                npk = v
        streams = len(set(tshark_lines(path, "-Y", "tcp", "-T", "fields", "-e", "tcp.stream")))
        wsframes = len(tshark_lines(path, "-Y", "websocket", "-T", "fields", "-e", "websocket.opcode"))
        truth = [json.loads(x) for x in open(os.path.join(OUT, f"{name}.truth.jsonl"))]
        conns = len({t["client"] for t in truth})
        c2s = sum(1 for t in truth if t["from"] == "client")
        s2c = sum(1 for t in truth if t["from"] == "server")
        pre = sum(1 for t in truth if t.get("before_capture"))
        msgs = f"{c2s} / {s2c}" + (f" ({pre} before capture)" if pre else "")
        rows.append(f"| `{fn}` | {os.path.getsize(path)} | {ftype} / {enc} (wtap encap {encap[0] if encap else '?'}) | "
                    f"{npk} | {streams} | {conns} | {msgs} | {wsframes} | {HOW.get(name, '')} |")
    with open(os.path.join(HERE, "README.template.md")) as f:
        tpl = f.read()
    table = "\n".join([
        "| file | bytes | format / link type | packets | TCP streams | WS conns (truth) | msgs client / server (truth) | tshark `websocket` frames | how |",
        "|---|---|---|---|---|---|---|---|---|",
    ] + rows)
    with open(os.path.join(OUT, "README.md"), "w") as f:
        f.write(tpl.replace("@TABLE@", table))
    log(f"README written; captures/ total {total} bytes before README")


def main():
    only = set(sys.argv[1:])
    unknown = only - {sc[0] for sc in SCENARIOS} - {"derive"}
    if unknown:
        # Also catches --help: a stray argument must not re-record nothing and rewrite the README.
        names = " ".join(sc[0] for sc in SCENARIOS)
        sys.exit(f"usage: record.py [SCENARIO ...]  (as root; none: all)\nscenarios: {names} derive\n"
                 f"unknown: {' '.join(sorted(unknown))}")
    os.makedirs(OUT, exist_ok=True)
    for idx, sc in enumerate(SCENARIOS, start=1):
        if only and sc[0] not in only:
            continue
        run_scenario(idx, *sc)
    if not only or only & {"concurrent", "binary", "derive"}:
        derive()
    readme()


if __name__ == "__main__":
    main()
