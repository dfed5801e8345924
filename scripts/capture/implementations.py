#!/usr/bin/env python3
"""implementations.py — record captures of other WebSocket implementations talking to each other,
for the mid-stream cut tests (Tests/EndToEndTests/MidstreamCutTests.swift).

Usage (root): python3 scripts/capture/implementations.py [node-ws] [aiohttp] [tornado] [gorilla]

Each implementation runs its own server and client (impl_node.js: Node `ws` from Debian's node-ws;
impl_aiohttp.py: aiohttp from PyPI; impl_tornado.py: Tornado from PyPI, with a third connection
compressed with context takeover; impl_gorilla.go: Go gorilla/websocket from Debian) in a fresh network namespace whose lo has MTU 1500 (Netns), with
tcpdump on lo. The conversation (impl_truth.py): two connections, uncompressed then
permessage-deflate without context takeover; 12 rounds of client text / server text, binary
messages of 66–150 KB (64-bit lengths) from both sides, a fragmented text from the Node client, a
close from the client. Random binary payloads hold chance "frame headers", which is the point.
Writes captures/implementations/NAME.pcap and NAME.truth.jsonl (sorted by send time); each capture
stays under 1 MB.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "scripts"))
sys.path.insert(0, os.path.join(REPO, "scripts", "capture"))
from netns import Netns  # noqa: E402
from record import Capture  # noqa: E402

OUT = os.path.join(REPO, "captures", "implementations")
PEERS = {
    "node-ws": (9301, lambda port, truth: ["node", os.path.join(HERE, "impl_node.js"), str(port), truth]),
    "aiohttp": (9302, lambda port, truth: [sys.executable, os.path.join(HERE, "impl_aiohttp.py"), str(port), truth]),
    "tornado": (9303, lambda port, truth: [sys.executable, os.path.join(HERE, "impl_tornado.py"), str(port), truth]),
    # Built into the temporary folder by record() before it runs.
    "gorilla": (9304, lambda port, truth: [os.path.join(os.path.dirname(truth), "impl_gorilla"), str(port), truth]),
}


def ensure_dependencies():
    # Without ethtool, lo keeps TSO/GSO and segments grow to 64 KB: not what a real link gives.
    if shutil.which("ethtool") is None or shutil.which("tcpdump") is None:
        subprocess.run(["apt-get", "install", "-y", "-qq", "ethtool", "tcpdump"], check=True)
    if shutil.which("node") is None or not os.path.exists("/usr/share/nodejs/ws"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "nodejs", "node-ws"], check=True)
    if shutil.which("go") is None or not os.path.isdir("/usr/share/gocode/src/github.com/gorilla/websocket"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "golang-go", "golang-github-gorilla-websocket-dev"], check=True)
    for module in ["aiohttp", "tornado"]:
        try:
            __import__(module)
        except ImportError:
            subprocess.run([sys.executable, "-m", "pip", "install", "-q", module], check=False)


def record(name):
    port, command = PEERS[name]
    tmp = tempfile.mkdtemp(prefix=f"wstap-impl-{name}-")
    pcap, truth = os.path.join(tmp, f"{name}.pcap"), os.path.join(tmp, "truth.jsonl")
    if name == "gorilla":
        # Debian packages gorilla for GOPATH builds (no module download).
        environment = dict(os.environ, GOPATH="/usr/share/gocode", GO111MODULE="off", GOCACHE=os.path.join(tmp, "gocache"))
        subprocess.run(["go", "build", "-o", os.path.join(tmp, "impl_gorilla"), os.path.join(HERE, "impl_gorilla.go")],
                       check=True, env=environment)
    with Netns(f"wstap-impl-{name}") as ns:
        cap = Capture(ns, "lo", port, pcap, tmp)
        ns.run(*command(port, truth), timeout=120)
        cap.stop()
    lines = [json.loads(line) for line in open(truth) if line.strip()]
    lines.sort(key=lambda o: o["ts"])
    os.makedirs(OUT, exist_ok=True)
    shutil.copy(pcap, os.path.join(OUT, f"{name}.pcap"))
    with open(os.path.join(OUT, f"{name}.truth.jsonl"), "w") as f:
        for o in lines:
            f.write(json.dumps(o, ensure_ascii=False) + "\n")
    size = os.path.getsize(os.path.join(OUT, f"{name}.pcap"))
    print(f"{name}: {len(lines)} messages, {size} bytes")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    if os.geteuid() != 0:
        sys.exit("implementations.py: must run as root (network namespaces, packet capture)")
    ensure_dependencies()
    for name in sys.argv[1:] or list(PEERS):
        record(name)
