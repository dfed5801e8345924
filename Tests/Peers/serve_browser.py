#!/usr/bin/env python3
"""Drives headless Chromium against `wstap serve` and logs what the browser received.

    serve_browser.py --ws ws://127.0.0.1:P/PATH --truth captures/X.truth.jsonl --log FILE [--timeout S]

Serves a page on a free loopback port whose script opens `new WebSocket(--ws)`, sends the recorded
client data messages of the truth file (as the page that recorded browser-chromium.pcap did: all
on open), closes with the recorded client close code and reason once it has received as many
messages as the recorded server sent, and reports everything it received (`onmessage`, full
payloads in base64) and the `onclose` event back with GET /log?d=.  The report is written to --log
as one JSON object; exit status 0 when the browser reported within --timeout seconds.
"""

import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>wstap serve</title></head><body><script>
const plan = %(plan)s, expected = %(expected)s, close = %(close)s;
function b64(bytes) { let s = ""; for (const b of bytes) s += String.fromCharCode(b); return btoa(s); }
function unb64(text) { return Uint8Array.from(atob(text), c => c.charCodeAt(0)); }
const received = [];
const ws = new WebSocket(%(url)s);
ws.binaryType = "arraybuffer";
ws.onopen = () => {
  for (const m of plan) ws.send(m.opcode === "text" ? new TextDecoder().decode(unb64(m.data_b64)) : unb64(m.data_b64).buffer);
  if (expected === 0) ws.close(close.code, close.reason);
};
ws.onmessage = (ev) => {
  const isText = typeof ev.data === "string";
  const bytes = isText ? new TextEncoder().encode(ev.data) : new Uint8Array(ev.data);
  received.push({opcode: isText ? "text" : "binary", data_b64: b64(bytes)});
  if (received.length === expected) ws.close(close.code, close.reason);
};
ws.onclose = async (ev) => {
  const report = {received, close_event: {code: ev.code, reason: ev.reason, wasClean: ev.wasClean},
                  protocol: ws.protocol, extensions: ws.extensions, userAgent: navigator.userAgent};
  const d = b64(new TextEncoder().encode(JSON.stringify(report))).replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  await fetch("/log?d=" + d);
};
</script></body></html>"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ws", required=True)
    parser.add_argument("--truth", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--timeout", type=float, default=30)
    args = parser.parse_args()
    lines = [json.loads(line) for line in open(args.truth) if line.strip()]
    plan = [{"opcode": l["opcode"], "data_b64": l["data_b64"]} for l in lines if l["from"] == "client" and l["opcode"] in ("text", "binary")]
    expected = sum(1 for l in lines if l["from"] == "server" and l["opcode"] in ("text", "binary"))
    close = {"code": 1000, "reason": ""}
    for l in lines:
        if l["from"] == "client" and l["opcode"] == "close":
            data = base64.b64decode(l["data_b64"])
            close = {"code": int.from_bytes(data[:2], "big"), "reason": data[2:].decode()}
    page = PAGE % {"plan": json.dumps(plan), "expected": expected, "close": json.dumps(close), "url": json.dumps(args.ws)}
    done = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            url = urlparse(self.path)
            if url.path == "/log":
                data = parse_qs(url.query)["d"][0]
                report = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
                with open(args.log, "wb") as f:
                    f.write(report)
                done.set()
                body = b"ok"
            else:
                body = page.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    profile = tempfile.mkdtemp(prefix="wstap-chromium-")
    browser = subprocess.Popen(
        [shutil.which("chromium") or "chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
         f"--user-data-dir={profile}", f"http://127.0.0.1:{server.server_address[1]}/"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        ok = done.wait(args.timeout)
    finally:
        browser.kill()
        browser.wait()
        server.shutdown()
        shutil.rmtree(profile, ignore_errors=True)
    sys.exit(0 if ok else 1)


main()
