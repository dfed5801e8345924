#!/usr/bin/env python3
"""Records captures/app/jsonrpc-cdp.pcap + jsonrpc-cdp.truth.jsonl: headless Chromium (Debian
package) with its DevTools Protocol endpoint (--remote-debugging-port), driven by a small python
`websockets` client, in a network namespace with tcpdump on its lo.

Run as root: `scripts/capture/app/record_jsonrpc.py` (deps: scripts/capture/app/install.sh).

The DevTools Protocol is JSON-RPC shaped without the "jsonrpc" member: requests
{"id", "method", "params"[, "sessionId"]}, responses {"id", "result"} or {"id", "error": {"code",
"message"}}, events {"method", "params"[, "sessionId"]} (notifications). The client
(port 9304, browser target): Browser.getVersion, Target.setDiscoverTargets (Target.* events),
Target.createTarget, Target.attachToTarget (flatten: a sessionId), Page.enable + Page.navigate on
that session (Page.* events), Runtime.evaluate, an unknown method (error -32601), bad params
(error -32602), a message that is not JSON (-32700, answered without id), several requests
written back to back before any answer, Target.closeTarget.
Chromium speaks no JSON-RPC batches; nor does it log what it sends, so the truth is the
client's: `sent` for its requests, `received` for Chromium's answers and events.
"""

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import appcap  # noqa: E402

PORT = 9304
METHODS = {}  # (client port, id) -> method, as the client sent it


def describe_one(msg, port):
    """JSON-RPC fields of one request / notification / response object (1.0, 2.0 or DevTools)."""
    out = {}
    if not isinstance(msg, dict):
        return {"rpc_kind": "invalid"}
    if "jsonrpc" in msg:
        out["jsonrpc"] = msg["jsonrpc"]
    if "method" in msg and not isinstance(msg["method"], str):
        out["rpc_kind"] = "invalid"  # JSON-RPC 2.0 section 4: method must be a string
        out["method"] = msg["method"]
    elif "method" in msg:
        out["method"] = msg["method"]
        if msg.get("id") is not None:
            out["rpc_kind"] = "request"
            out["id"] = msg["id"]
            if isinstance(msg["method"], str):
                METHODS[(port, json.dumps(msg["id"]))] = msg["method"]
        else:
            out["rpc_kind"] = "notification"
    elif "result" in msg or "error" in msg:
        out["id"] = msg.get("id")
        if msg.get("error") is not None:
            out["rpc_kind"] = "error"
            out["error_code"] = msg["error"].get("code")
            out["error_message"] = msg["error"].get("message")
        else:
            out["rpc_kind"] = "response"
        if (port, json.dumps(out["id"])) in METHODS:
            out["for_method"] = METHODS[(port, json.dumps(out["id"]))]
    else:
        out["rpc_kind"] = "invalid"
    if "sessionId" in msg:
        out["session_id"] = msg["sessionId"]
    return out


def describe(text, port):
    try:
        msg = json.loads(text)
    except ValueError:
        return {"rpc_kind": "invalid-json"}
    if isinstance(msg, list):
        return {"rpc_kind": "batch", "batch_size": len(msg), "items": [describe_one(m, port) for m in msg]}
    return describe_one(msg, port)


def install_hooks(log, server_port=PORT):
    """Wraps websockets' Connection.send / recv (client and server connections alike)."""
    from websockets.asyncio.connection import Connection
    from websockets.asyncio.server import ServerConnection
    o_send, o_recv = Connection.send, Connection.recv

    def conn(c):
        port = c.remote_address[1] if isinstance(c, ServerConnection) else c.local_address[1]
        return {"client_port": port, "server_port": server_port}

    async def send(self, message, *a, **k):
        ts = time.time_ns()
        c = conn(self)
        r = await o_send(self, message, *a, **k)
        log.write("sent", c, message, ts_ns=ts, **describe(message, c["client_port"]))
        return r

    async def recv(self, *a, **k):
        data = await o_recv(self, *a, **k)
        c = conn(self)
        log.write("received", c, data, **describe(data, c["client_port"]))
        return data
    Connection.send, Connection.recv = send, recv


async def client_main(logpath):
    import websockets
    log = appcap.TruthLog(logpath, "client")
    install_hooks(log)
    with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/json/version", timeout=10) as r:
        version = json.load(r)
    log.app("json-version", browser=version.get("Browser"), protocol=version.get("Protocol-Version"))
    url = version["webSocketDebuggerUrl"]
    async with websockets.connect(url, max_size=16 << 20, compression=None, ping_interval=None) as ws:
        next_id = [0]
        pending = {}
        events = []

        async def reader():
            async for raw in ws:
                msg = json.loads(raw)
                if msg.get("id") in pending:
                    pending.pop(msg["id"]).set_result(msg)
                elif "id" not in msg and "method" not in msg:
                    # The answer to the non-JSON message carries no id.
                    pending.pop("noid").set_result(msg)
                else:
                    events.append(msg)
        task = asyncio.create_task(reader())

        async def send(method, params=None, session=None, wait=True):
            next_id[0] += 1
            msg = {"id": next_id[0], "method": method}
            if params is not None:
                msg["params"] = params
            if session:
                msg["sessionId"] = session
            fut = asyncio.get_running_loop().create_future()
            pending[next_id[0]] = fut
            await ws.send(json.dumps(msg))
            return (await asyncio.wait_for(fut, 10)) if wait else fut

        await send("Browser.getVersion")
        await send("Target.setDiscoverTargets", {"discover": True})
        created = await send("Target.createTarget", {"url": "about:blank"})
        target = created["result"]["targetId"]
        attached = await send("Target.attachToTarget", {"targetId": target, "flatten": True})
        session = attached["result"]["sessionId"]
        await send("Page.enable", session=session)
        await send("Runtime.enable", session=session)
        page = "data:text/html,<title>wstap</title><script>console.log('hello from the page')</script><p>hi</p>"
        await send("Page.navigate", {"url": page}, session=session)
        await asyncio.sleep(0.5)  # load events
        r = await send("Runtime.evaluate", {"expression": "6 * 7", "returnByValue": True}, session=session)
        log.app("evaluate", result=r.get("result"))
        await send("Nope.notAMethod")  # -32601
        await send("Target.createTarget", {"url": 42})  # -32602
        fut = asyncio.get_running_loop().create_future()
        pending["noid"] = fut
        await ws.send("this is not json")  # -32700
        await asyncio.wait_for(fut, 10)
        # Several requests written before any answer: answers matched by id.
        futs = [await send(m, p, session=session, wait=False) for m, p in (
            ("Runtime.evaluate", {"expression": "navigator.userAgent.length", "returnByValue": True}),
            ("Page.getFrameTree", None),
            ("Runtime.evaluate", {"expression": "await new Promise(r => setTimeout(() => r(1), 50))",
                                  "awaitPromise": True, "returnByValue": True}),
            ("Runtime.evaluate", {"expression": "document.title", "returnByValue": True}))]
        await asyncio.wait_for(asyncio.gather(*futs), 10)
        await send("Target.closeTarget", {"targetId": target})
        await asyncio.sleep(0.3)
        log.app("events-seen", count=len(events), methods=sorted({e.get("method") for e in events}))
        task.cancel()


def scenario(ns, tmp):
    logpath = os.path.join(tmp, "client.jsonl")
    profile = os.path.join(tmp, "profile")
    chrome = ns.popen("chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                      "--no-default-browser-check", "--disable-background-networking",
                      "--disable-component-update", "--disable-sync", "--disable-extensions",
                      "--disable-dev-shm-usage", f"--user-data-dir={profile}",
                      f"--remote-debugging-port={PORT}", "--remote-debugging-address=127.0.0.1", "about:blank",
                      stdout=open(os.path.join(tmp, "chromium.log"), "w"), stderr=subprocess.STDOUT,
                      start_new_session=True)
    try:
        def up():
            r = subprocess.run(["ip", "netns", "exec", ns.name, "curl", "-s", "-o", "/dev/null",
                                f"http://127.0.0.1:{PORT}/json/version"], capture_output=True)
            return r.returncode == 0
        appcap.wait_for(up, 30, "chromium devtools endpoint")
        ns.run(appcap.PY, os.path.abspath(__file__), "client", logpath, timeout=60)
    finally:
        try:
            os.killpg(chrome.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        chrome.wait(timeout=20)
    return [logpath]


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "client":
        asyncio.run(client_main(sys.argv[2]))
    elif len(sys.argv) == 1:
        appcap.record("jsonrpc-cdp", [PORT], scenario)
    else:
        sys.exit("usage: record_jsonrpc.py   (as root)")


if __name__ == "__main__":
    main()
