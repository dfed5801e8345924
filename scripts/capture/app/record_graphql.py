#!/usr/bin/env python3
"""Records captures/app/graphql.pcap + graphql.truth.jsonl: a strawberry-graphql server (aiohttp
view, both WebSocket subprotocols enabled) and the `gql` client (its websockets transport), in a
network namespace with tcpdump on its lo.

Run as root: `scripts/capture/app/record_graphql.py` (deps: scripts/capture/app/install.sh).

Server (port 9303, path /graphql): Query hello(name), broken (raises: a result with errors),
Subscription count(to, delay) and ticker(delay) (endless). graphql-ws keep-alive ("ka") every 0.5 s.

Clients, one connection each:
  client-transport-ws  Sec-WebSocket-Protocol graphql-transport-ws, gql ping_interval 0.7 s:
                       connection_init/ack, query Hello, query Broken (next with errors), an invalid
                       query (error), subscription CountToThree, two subscriptions running at once
                       (interleaved ids), an invalid subscription (error), a Ticker subscription the
                       client stops (complete from the client), pings/pongs.
  client-graphql-ws    Sec-WebSocket-Protocol graphql-ws (subscriptions-transport-ws): the same
                       operations with start/data/complete/stop/error, ka, connection_terminate
                       (strawberry refuses queries on this protocol: "queries are not allowed").

Truth: every WebSocket message, logged at aiohttp's WebSocketResponse send_str/receive on the
server and websockets' Connection.send/recv on the client, fields from json.loads of the message
and graphql-core's parser for the operation (name and type).
"""

import asyncio
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import appcap  # noqa: E402

PORT = 9303


OPS = {}  # (client port, id) -> (operation name, type), from the subscribe/start this peer saw


def describe(text, subprotocol, port=None):
    from graphql import parse
    from graphql.language import OperationDefinitionNode
    out = {"gql_protocol": subprotocol}
    try:
        msg = json.loads(text)
    except ValueError:
        out["gql_unparsed"] = True
        return out
    out["gql_type"] = msg.get("type")
    if "id" in msg:
        out["id"] = msg["id"]
    payload = msg.get("payload")
    if out["gql_type"] in ("subscribe", "start") and isinstance(payload, dict):
        out["operation_name"] = payload.get("operationName")
        try:
            ops = [d for d in parse(payload.get("query", "")).definitions if isinstance(d, OperationDefinitionNode)]
            op = next((d for d in ops if d.name and d.name.value == payload.get("operationName")), ops[0] if ops else None)
            if op is not None:
                out["operation_type"] = op.operation.value
                if out["operation_name"] is None and op.name:
                    out["operation_name"] = op.name.value
        except Exception as e:  # the invalid query on purpose
            out["query_parse_error"] = str(e).splitlines()[0]
        if payload.get("variables"):
            out["variables"] = payload["variables"]
        OPS[(port, out.get("id"))] = (out.get("operation_name"), out.get("operation_type"))
    elif (port, out.get("id")) in OPS:
        # answers and client stops: which operation they belong to, as this peer knows it
        out["for_operation"], out["for_operation_type"] = OPS[(port, out["id"])]
    if out["gql_type"] in ("next", "data"):
        errors = payload.get("errors") if isinstance(payload, dict) else None
        out["has_errors"] = bool(errors)
        if isinstance(payload, dict) and payload.get("data") is not None:
            out["data"] = payload["data"]
    elif out["gql_type"] == "error":
        out["has_errors"] = True
        out["errors_count"] = len(payload) if isinstance(payload, list) else 1
    return out


def install_server_hooks(log):
    from aiohttp import web
    cls = web.WebSocketResponse
    o_send, o_recv = cls.send_str, cls.receive

    def conn(ws):
        peer = ws._req.transport.get_extra_info("peername") if ws._req and ws._req.transport else None
        return {"client_port": peer[1] if peer else None, "server_port": PORT}

    async def send_str(self, data, *a, **k):
        ts = time.time_ns()
        c = conn(self)
        r = await o_send(self, data, *a, **k)
        log.write("sent", c, data, ts_ns=ts, **describe(data, self.ws_protocol, c["client_port"]))
        return r

    async def receive(self, *a, **k):
        msg = await o_recv(self, *a, **k)
        if isinstance(msg.data, str) and msg.type.name == "TEXT":
            c = conn(self)
            log.write("received", c, msg.data, **describe(msg.data, self.ws_protocol, c["client_port"]))
        return msg
    cls.send_str, cls.receive = send_str, receive


def install_client_hooks(log):
    from websockets.asyncio.connection import Connection
    o_send, o_recv = Connection.send, Connection.recv

    def conn(c):
        return {"client_port": c.local_address[1], "server_port": PORT}

    async def send(self, message, *a, **k):
        ts = time.time_ns()
        r = await o_send(self, message, *a, **k)
        c = conn(self)
        log.write("sent", c, message, ts_ns=ts, **describe(message, self.subprotocol, c["client_port"]))
        return r

    async def recv(self, *a, **k):
        data = await o_recv(self, *a, **k)
        c = conn(self)
        log.write("received", c, data, **describe(data, self.subprotocol, c["client_port"]))
        return data
    Connection.send, Connection.recv = send, recv


async def server_main(logpath, ready):
    import typing
    import strawberry
    from aiohttp import web
    from strawberry.aiohttp.views import GraphQLView
    log = appcap.TruthLog(logpath, "server")
    install_server_hooks(log)

    @strawberry.type
    class Query:
        @strawberry.field
        def hello(self, name: str = "world") -> str:
            return f"Hello, {name}!"

        @strawberry.field
        def broken(self) -> typing.Optional[str]:
            raise ValueError("this resolver always fails")

    @strawberry.type
    class Subscription:
        @strawberry.subscription
        async def count(self, to: int = 3, delay: float = 0.05) -> typing.AsyncGenerator[int, None]:
            for i in range(1, to + 1):
                await asyncio.sleep(delay)
                yield i

        @strawberry.subscription
        async def ticker(self, delay: float = 0.1) -> typing.AsyncGenerator[str, None]:
            n = 0
            while True:
                await asyncio.sleep(delay)
                n += 1
                yield f"tick {n}"

    schema = strawberry.Schema(query=Query, subscription=Subscription)
    app = web.Application()
    app.router.add_route("*", "/graphql", GraphQLView(schema=schema, keep_alive=True, keep_alive_interval=0.5))
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", PORT).start()
    open(ready, "w").close()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(2, stop.set)
    await stop.wait()
    await runner.cleanup()


async def client_main(logpath, role, subprotocol):
    from gql import Client, gql
    from gql.transport.exceptions import TransportQueryError
    from gql.transport.websockets import WebsocketsTransport
    log = appcap.TruthLog(logpath, role)
    install_client_hooks(log)
    kw = {"ping_interval": 0.7} if subprotocol == "graphql-transport-ws" else {}
    transport = WebsocketsTransport(url=f"ws://127.0.0.1:{PORT}/graphql", subprotocols=[subprotocol],
                                    init_payload={"client": role}, **kw)
    async with Client(transport=transport, fetch_schema_from_transport=False) as session:
        async def query(name, text, variables=None):
            # strawberry answers queries over graphql-ws (legacy) with an error message: logged too.
            try:
                r = await session.execute(gql(text), variable_values=variables, operation_name=name)
                log.app("result", operation_name=name, result=r)
            except TransportQueryError as e:
                log.app("result", operation_name=name, errors=e.errors, data=e.data)
        await query("Hello", "query Hello($name: String!) { hello(name: $name) }", {"name": role})
        await query("Broken", "query Broken { broken hello }")
        await query("Invalid", "query Invalid { noSuchField }")
        try:
            got = [r async for r in session.subscribe(gql("subscription Bad { noSuchSubscription }"),
                                                      operation_name="Bad")]
        except TransportQueryError as e:
            log.app("result", operation_name="Bad", errors=e.errors)
        got = [r async for r in session.subscribe(gql("subscription CountToThree { count(to: 3) }"),
                                                  operation_name="CountToThree")]
        log.app("result", operation_name="CountToThree", results=got)

        async def collect(name, to, delay):
            out = [r async for r in session.subscribe(
                gql(f"subscription {name} {{ count(to: {to}, delay: {delay}) }}"), operation_name=name)]
            log.app("result", operation_name=name, results=out)
        await asyncio.gather(collect("CountSlow", 4, 0.12), collect("CountFast", 5, 0.05))

        n = 0
        async for r in session.subscribe(gql("subscription Ticker { ticker(delay: 0.1) }"), operation_name="Ticker"):
            log.app("result", operation_name="Ticker", result=r)
            n += 1
            if n == 3:
                break  # gql tells the server to stop: complete / stop
        await asyncio.sleep(1.2)  # pings (graphql-transport-ws) or ka (graphql-ws)
    await asyncio.sleep(0.2)


def scenario(ns, tmp):
    me = os.path.abspath(__file__)
    logs = [os.path.join(tmp, f"{r}.jsonl") for r in ("server", "client-transport-ws", "client-graphql-ws")]
    ready = os.path.join(tmp, "ready")
    appcap.run_peers(ns, [appcap.PY, me, "server", logs[0], ready],
                     [[appcap.PY, me, "client", logs[1], "client-transport-ws", "graphql-transport-ws"],
                      [appcap.PY, me, "client", logs[2], "client-graphql-ws", "graphql-ws"]], ready)
    return logs


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "server":
        asyncio.run(server_main(sys.argv[2], sys.argv[3]))
    elif len(sys.argv) == 5 and sys.argv[1] == "client":
        asyncio.run(client_main(sys.argv[2], sys.argv[3], sys.argv[4]))
    elif len(sys.argv) == 1:
        appcap.record("graphql", [PORT], scenario)
    else:
        sys.exit("usage: record_graphql.py   (as root)")


if __name__ == "__main__":
    main()
