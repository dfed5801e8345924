#!/usr/bin/env python3
"""Records captures/app/jsonrpc2.pcap + jsonrpc2.truth.jsonl: JSON-RPC 2.0 over WebSocket with
batches, between a server built on `jsonrpcserver` (its dispatcher answers single requests,
batches, notifications and every standard error) behind a python `websockets` server, and a
client that writes its requests with `jsonrpcclient`, in a network namespace with tcpdump on lo.

Run as root: `scripts/capture/app/record_jsonrpc2.py` (deps: scripts/capture/app/install.sh).

Port 9306, one connection: requests with positional and named params, a notification (no
answer), an application error (code 1001 with data), -32601 unknown method, -32602 bad params,
-32600 invalid request, -32700 not JSON (answered with id null), a batch of requests and a
notification (answers in one array, the notification unanswered), a batch of notifications only
(no answer at all), an empty batch (-32600), string ids, a request the server answers only after
pushing notifications of its own (server→client "tick"s, as in Ethereum-style subscriptions), and
requests answered out of order (a slow one written first).

Both peers log (the hooks of record_jsonrpc.py on websockets' Connection.send/recv); batch lines
carry `items`, one JSON-RPC description per element.
"""

import asyncio
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import appcap  # noqa: E402
import record_jsonrpc  # noqa: E402

PORT = 9306


async def server_main(logpath, ready):
    import websockets
    from jsonrpcserver import Error, InvalidParams, Success, async_dispatch, method
    log = appcap.TruthLog(logpath, "server")
    record_jsonrpc.install_hooks(log, server_port=PORT)

    @method
    async def add(a, b) -> object:
        return Success(a + b)

    @method
    async def subtract(minuend, subtrahend) -> object:
        return Success(minuend - subtrahend)

    @method
    async def log_line(text) -> object:  # called as a notification
        return Success(None)

    @method
    async def withdraw(amount) -> object:
        if amount > 100:
            return Error(1001, "insufficient funds", {"balance": 100, "asked": amount})
        return Success({"balance": 100 - amount})

    @method
    async def square(n) -> object:
        if not isinstance(n, (int, float)):
            return InvalidParams("n must be a number")
        return Success(n * n)

    @method
    async def slow(ms) -> object:
        await asyncio.sleep(ms / 1000)
        return Success(f"slept {ms} ms")

    async def handler(ws):
        pending = set()

        async def answer(message):
            try:
                req = json.loads(message)
            except ValueError:
                req = None
            if isinstance(req, dict) and req.get("method") == "subscribe":
                # server-initiated notifications first, then the answer
                for n in range(3):
                    await ws.send(json.dumps({"jsonrpc": "2.0", "method": "tick", "params": {"n": n}}))
                    await asyncio.sleep(0.02)
            response = await async_dispatch(message)
            if response:
                await ws.send(response)

        async for message in ws:
            t = asyncio.create_task(answer(message))
            pending.add(t)
            t.add_done_callback(pending.discard)
        if pending:
            await asyncio.gather(*pending)

    @method
    async def subscribe(topic) -> object:
        return Success(f"subscription:{topic}")

    async with websockets.serve(handler, "127.0.0.1", PORT, compression=None, ping_interval=None):
        open(ready, "w").close()
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(2, stop.set)
        await stop.wait()


async def client_main(logpath):
    import websockets
    from jsonrpcclient import notification, parse_json, request
    log = appcap.TruthLog(logpath, "client")
    record_jsonrpc.install_hooks(log, server_port=PORT)
    async with websockets.connect(f"ws://127.0.0.1:{PORT}/rpc", compression=None, ping_interval=None) as ws:
        async def call(obj, answers=1):
            await ws.send(obj if isinstance(obj, str) else json.dumps(obj))
            out = []
            for _ in range(answers):
                out.append(await asyncio.wait_for(ws.recv(), 5))
            return out

        async def expect_silence():
            try:
                extra = await asyncio.wait_for(ws.recv(), 0.3)
                raise RuntimeError(f"unexpected answer {extra!r}")
            except asyncio.TimeoutError:
                pass

        r = await call(request("add", params=[2, 3]))
        log.app("parsed", result=repr(parse_json(r[0])))
        await call(request("subtract", params={"minuend": 42, "subtrahend": 23}))
        await ws.send(json.dumps(notification("log_line", params={"text": "a notification"})))
        await expect_silence()
        await call(request("withdraw", params={"amount": 500}))
        await call(request("no_such_method"))
        await call(request("square", params=["x"]))
        await call('{"jsonrpc": "2.0", "method": 1, "params": "bar"}')  # -32600
        await call('{"jsonrpc": "2.0", "method": "add", "params": [1, 2], "id": 9')  # -32700
        batch = [request("add", params=[1, 1]), notification("log_line", params=["in a batch"]),
                 request("withdraw", params=[1000]), request("square", params=[7]),
                 request("no_such_method")]
        r = await call(batch)
        log.app("parsed", result=repr(parse_json(r[0])))
        await ws.send(json.dumps([notification("log_line", params=["n1"]), notification("log_line", params=["n2"])]))
        await expect_silence()
        await call("[]")  # -32600, a single error object
        await call(request("add", params=[10, 20], id="string-id-1"))
        await call(json.dumps({"jsonrpc": "2.0", "method": "subscribe", "params": ["ticks"], "id": "sub-1"}), answers=4)
        # Two requests written back to back; the first is slower, so the answers cross.
        await ws.send(json.dumps(request("slow", params=[120])))
        await ws.send(json.dumps(request("slow", params=[10])))
        await asyncio.wait_for(ws.recv(), 5)
        await asyncio.wait_for(ws.recv(), 5)
    await asyncio.sleep(0.2)


def scenario(ns, tmp):
    me = os.path.abspath(__file__)
    logs = [os.path.join(tmp, f"{r}.jsonl") for r in ("server", "client")]
    ready = os.path.join(tmp, "ready")
    appcap.run_peers(ns, [appcap.PY, me, "server", logs[0], ready], [[appcap.PY, me, "client", logs[1]]], ready)
    return logs


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "server":
        asyncio.run(server_main(sys.argv[2], sys.argv[3]))
    elif len(sys.argv) == 3 and sys.argv[1] == "client":
        asyncio.run(client_main(sys.argv[2]))
    elif len(sys.argv) == 1:
        appcap.record("jsonrpc2", [PORT], scenario)
    else:
        sys.exit("usage: record_jsonrpc2.py   (as root)")


if __name__ == "__main__":
    main()
