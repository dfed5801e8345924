#!/usr/bin/env python3
"""Records a real browser's wss:// traffic with its key log, for TLS decryption tests (issue 12).

    sudo python3 scripts/capture/record_tls_browser.py

In a fresh network namespace (scripts/netns.py, lo MTU 1500) with tcpdump on lo: browser_server.py
serves browser_page.html over https:// with a self-signed certificate (python `ssl`, ALPN
http/1.1, permessage-deflate), and headless Chromium, started with SSLKEYLOGFILE and
--ignore-certificate-errors, loads it; the page opens a wss:// WebSocket, sends its messages,
closes, and reports what it sent. Truth as for the plain browser captures (record.py): the
server's FrameHook for what it sent, the page's own log, cross-checked against what the server
received, for what the browser sent.

Output in captures/tls/browser/: browser-chromium-tls.pcap, .keylog, .truth.jsonl. The key log
holds every TLS connection Chromium made (the page, the WebSocket, the report requests).
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)
OUT = os.path.join(REPO, "captures", "tls", "browser")
PY = sys.executable
NAME, PORT = "browser-chromium-tls", 9213


def log(*a):
    print("[record_tls_browser]", *a, flush=True)


def main():
    from netns import Netns, wait_for
    from record import merge_truth
    from record_tls_openssl import certificate, start_tcpdump, stop_tcpdump

    tmp = tempfile.mkdtemp(prefix=f"wstap-{NAME}-")
    os.chmod(tmp, 0o777)
    pcap, keylog = os.path.join(tmp, "c.pcap"), os.path.join(tmp, "keys.txt")
    slog, ready = os.path.join(tmp, "server.jsonl"), os.path.join(tmp, "ready")
    cert, key = certificate(tmp)
    with Netns("wstap-tls-browser") as ns:
        cap = start_tcpdump(ns, tmp, pcap, PORT)
        srv = ns.popen(PY, os.path.join(HERE, "browser_server.py"), NAME, "--port", str(PORT), "--log", slog,
                       "--ready", ready, "--cert", cert, "--key", key)
        chrome = None
        try:
            wait_for(lambda: os.path.exists(ready), 15, "server ready")
            env = dict(os.environ, SSLKEYLOGFILE=keylog)
            chrome = ns.popen(
                "chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--ignore-certificate-errors",
                "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-extensions",
                "--disable-dev-shm-usage", f"--user-data-dir={os.path.join(tmp, 'profile')}",
                f"https://127.0.0.1:{PORT}/", env=env,
                stdout=open(os.path.join(tmp, "chromium.log"), "w"), stderr=subprocess.STDOUT, start_new_session=True)
            srv.wait(timeout=60)
        finally:
            if chrome is not None:
                try:
                    os.killpg(chrome.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
                chrome.wait(timeout=20)
            if srv.poll() is None:
                srv.terminate()
            stop_tcpdump(cap)
    if srv.returncode != 0:
        sys.exit(f"browser_server failed ({srv.returncode}); see {tmp}")
    os.makedirs(OUT, exist_ok=True)
    shutil.copyfile(pcap, os.path.join(OUT, f"{NAME}.pcap"))
    shutil.copyfile(keylog, os.path.join(OUT, f"{NAME}.keylog"))
    n = merge_truth([slog], os.path.join(OUT, f"{NAME}.truth.jsonl"))
    log(f"  {NAME}.pcap: {os.path.getsize(pcap)} bytes, {n} truth lines, key log {os.path.getsize(keylog)} bytes")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
