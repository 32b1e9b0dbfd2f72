"""Socket.IO servers side by side: wslab, Node's `socket.io` and python-socketio (aiohttp).

Run from the repository root (the Node server needs `npm ci` in tests/js first):

    python bench/bench_socketio.py [--clients 1000] [--rounds 15] [--round-trips 200]

1. Broadcast: `io.emit("tick", n)` to N real loopback WebSocket clients; the time from the moment a
   client sends `42["go",n]` until the last of the N clients has `42["tick",n]`. Median and spread
   (10th-90th percentile) over the rounds, and the server process's CPU time per emit.
2. Round trips: one client emits `echo` with an ack and waits for the ack, over WebSocket and over
   HTTP long-polling (a long-poll GET waiting while a POST carries the event).

Every server runs in its own process; one load generator drives all three: raw Engine.IO v4
websocket-only clients (`40` to connect, `3` for each ping), one asyncio Protocol each, in this
process, so no client library's speed is part of the figures. Rounds are interleaved (wslab, Node,
python-socketio, wslab, ...) so a slow moment of a shared machine hits all three alike.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchutil import cpu_seconds  # beside this script

REPO = Path(__file__).resolve().parents[1]
NODE_SERVER = REPO / "tests" / "js" / "bench_server.mjs"
PATH = "/socket.io/?EIO=4&transport="


# -- the servers, each in its own process ---------------------------------------------------------------


async def serve_wslab() -> None:
    from wslab.events import Server

    io = Server()

    @io.on("connection")
    def on_connection(socket):
        socket.on("go", lambda n: io.emit("tick", n) and None)
        socket.on("echo", lambda x: x)

    server = await io.listen("127.0.0.1", 0)
    await _serve_until_stdin_ends(server.port)


async def serve_python_socketio() -> None:
    import socketio
    from aiohttp import web

    sio = socketio.AsyncServer(async_mode="aiohttp")
    app = web.Application()
    sio.attach(app)

    @sio.on("go")
    async def go(sid, n):
        await sio.emit("tick", n)

    @sio.on("echo")
    async def echo(sid, x):
        return x

    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    await _serve_until_stdin_ends(runner.addresses[0][1])


async def _serve_until_stdin_ends(port: int) -> None:
    print(json.dumps({"port": port}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    os._exit(0)  # the bench is over: no graceful goodbye to a thousand clients


def start(name: str) -> tuple[subprocess.Popen, int]:
    if name == "node":
        command = ["node", str(NODE_SERVER)]
    else:
        command = [sys.executable, __file__, "--serve", name]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO)
    return process, json.loads(process.stdout.readline())["port"]


# -- the load generator: raw Engine.IO websocket-only clients ---------------------------------------


def _frame(payload: bytes) -> bytes:
    """A masked text frame (RFC 6455 §5.2) for payloads under 126 bytes."""
    key = os.urandom(4)
    masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return bytes([0x81, 0x80 | len(payload)]) + key + masked


class RawClient(asyncio.Protocol):
    """One Engine.IO v4 / Socket.IO v5 client over WebSocket, just enough for the bench."""

    def __init__(self, on_tick) -> None:
        self.on_tick, self.buffer, self.upgraded = on_tick, b"", False
        self.connected = asyncio.get_running_loop().create_future()
        self.acks: dict[int, asyncio.Future] = {}

    def connection_made(self, transport) -> None:
        self.transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write(
            (
                f"GET {PATH}websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.upgraded:
            head, sep, rest = self.buffer.partition(b"\r\n\r\n")
            if not sep:
                return
            if not head.startswith(b"HTTP/1.1 101"):
                raise ConnectionError(head.decode(errors="replace"))
            self.upgraded, self.buffer = True, rest
        while len(self.buffer) >= 2:
            length, start = self.buffer[1] & 0x7F, 2
            if length == 126:
                length, start = int.from_bytes(self.buffer[2:4], "big"), 4
            elif length == 127:
                length, start = int.from_bytes(self.buffer[2:10], "big"), 10
            if len(self.buffer) < start + length:
                return
            payload, self.buffer = self.buffer[start : start + length], self.buffer[start + length :]
            self.packet(payload)

    def packet(self, payload: bytes) -> None:
        if payload.startswith(b"42"):
            self.on_tick(json.loads(payload[2:])[1])
        elif payload == b"2":
            self.transport.write(_frame(b"3"))
        elif payload.startswith(b"0{"):
            self.transport.write(_frame(b"40"))
        elif payload.startswith(b"40"):
            self.connected.set_result(None)
        elif payload.startswith(b"43"):
            ack_id = int(payload[2 : payload.index(b"[")])
            self.acks.pop(ack_id).set_result(json.loads(payload[payload.index(b"[") :]))

    def emit(self, event: str, *args, ack_id: int | None = None) -> None:
        self.transport.write(
            _frame(
                b"42"
                + (b"%d" % ack_id if ack_id is not None else b"")
                + json.dumps([event, *args], separators=(",", ":")).encode()
            )
        )


class Crowd:
    """N raw clients of one server, counting who has which tick."""

    def __init__(self, port: int, clients: int) -> None:
        self.port, self.size, self.count, self.want = port, clients, 0, None
        self.done: asyncio.Future | None = None

    def on_tick(self, n: int) -> None:
        if n == self.want:
            self.count += 1
            if self.count == self.size:
                self.done.set_result(time.perf_counter())

    async def connect(self) -> None:
        loop = asyncio.get_running_loop()
        self.clients = []
        for start in range(0, self.size, 100):  # in batches: no accept-queue overflow
            made = [
                loop.create_connection(lambda: RawClient(self.on_tick), "127.0.0.1", self.port)
                for _ in range(min(100, self.size - start))
            ]
            self.clients += [protocol for _, protocol in await asyncio.gather(*made)]
        await asyncio.wait_for(asyncio.gather(*(c.connected for c in self.clients)), 30)

    async def broadcast(self, n: int) -> float:
        self.want, self.count = n, 0
        self.done = asyncio.get_running_loop().create_future()
        sent = time.perf_counter()
        self.clients[0].emit("go", n)
        return await asyncio.wait_for(self.done, 30) - sent

    async def websocket_round_trip(self, ack_id: int) -> float:
        client = self.clients[0]
        client.acks[ack_id] = asyncio.get_running_loop().create_future()
        sent = time.perf_counter()
        client.emit("echo", "x", ack_id=ack_id)
        await asyncio.wait_for(client.acks[ack_id], 10)
        return time.perf_counter() - sent

    def close(self) -> None:
        for client in self.clients:
            client.transport.close()


# -- HTTP long-polling round trips ------------------------------------------------------------------


class Http:
    """One keep-alive HTTP/1.1 connection (Content-Length bodies only)."""

    def __init__(self, port: int) -> None:
        self.port = port

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)

    async def request(self, method: str, target: str, body: bytes = b"") -> bytes:
        self.writer.write(
            (
                f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n"
                f"Content-Type: text/plain;charset=UTF-8\r\n\r\n"
            ).encode()
            + body
        )
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
        length = int(head.split("content-length:")[1].split("\r\n")[0])
        return await self.reader.readexactly(length)


async def polling_round_trips(port: int, count: int) -> list[float]:
    poll, post = Http(port), Http(port)
    await poll.open()
    await post.open()
    sid = json.loads((await poll.request("GET", PATH + "polling"))[1:])["sid"]
    target = f"{PATH}polling&sid={sid}"
    await post.request("POST", target, b"40")
    await poll.request("GET", target)  # 40{"sid":...}
    times = []
    for ack_id in range(count):
        waiting = asyncio.ensure_future(poll.request("GET", target))
        await asyncio.sleep(0)
        sent = time.perf_counter()
        await post.request("POST", target, b'42%d["echo","x"]' % ack_id)
        body = await waiting
        while b"43%d[" % ack_id not in body:  # a ping came first: answer, poll on
            if b"2" in body.split(b"\x1e"):
                await post.request("POST", target, b"3")
            body = await poll.request("GET", target)
        times.append(time.perf_counter() - sent)
    poll.writer.close()
    post.writer.close()
    return times


# -- the run ----------------------------------------------------------------------------------------


def spread(values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    low, high = ms[len(ms) // 10], ms[(len(ms) * 9) // 10 - (1 if len(ms) % 10 == 0 else 0)]
    return f"{statistics.median(ms):8.2f} ms  ({low:.2f}-{high:.2f})"


async def run(names: list[str], clients: int, rounds: int, round_trips: int) -> dict:
    servers = {name: start(name) for name in names}
    crowds = {}
    try:
        for name, (_, port) in servers.items():
            crowds[name] = Crowd(port, clients)
            await crowds[name].connect()
        results = {name: {"broadcast": [], "cpu": 0.0} for name in names}
        for n in range(rounds):
            for name in names:
                before = cpu_seconds(servers[name][0].pid)
                results[name]["broadcast"].append(await crowds[name].broadcast(n))
                results[name]["cpu"] += cpu_seconds(servers[name][0].pid) - before
        for name in names:
            results[name]["websocket"] = [await crowds[name].websocket_round_trip(i) for i in range(round_trips)]
            results[name]["polling"] = await polling_round_trips(servers[name][1], round_trips)
        return results
    finally:
        for crowd in crowds.values():
            crowd.close()
        for process, _ in servers.values():
            process.stdin.close()
            process.wait(10)


def report(results: dict, clients: int, rounds: int) -> None:
    print(f"io.emit to {clients} WebSocket clients, {rounds} rounds: median (10th-90th percentile), server CPU")
    for name, r in results.items():
        print(f"  {name:16} {spread(r['broadcast'])}   CPU {r['cpu'] / rounds * 1000:6.1f} ms per emit")
    print("ack round trip, one client: median (10th-90th percentile)")
    for name, r in results.items():
        print(
            f"  {name:16} websocket {spread(r['websocket'])}   polling {spread(r['polling'])}"
            f"   polling/websocket {statistics.median(r['polling']) / statistics.median(r['websocket']):.1f}x"
        )
    if "wslab" in results:
        wslab = statistics.median(results["wslab"]["broadcast"])
        for name in results:
            if name != "wslab":
                print(f"  broadcast wslab / {name}: {wslab / statistics.median(results[name]['broadcast']):.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--round-trips", type=int, default=200)
    parser.add_argument("--servers", default="wslab,node,python-socketio")
    parser.add_argument("--serve", choices=["wslab", "python-socketio"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve_wslab() if args.serve == "wslab" else serve_python_socketio())
        return
    names = args.servers.split(",")
    report(asyncio.run(run(names, args.clients, args.rounds, args.round_trips)), args.clients, args.rounds)


if __name__ == "__main__":
    main()
