"""permessage-deflate (RFC 7692): the wslab server against a `websockets` server, same load.

    python bench/bench_deflate.py [--clients 10] [--messages 2000] [--rounds 5]

Both servers run as subprocesses, each an echo server with compression on
(wslab's defaults; websockets' ``compression="deflate"``). The same load goes to
each: `clients` wslab clients offering ``permessage-deflate;
client_max_window_bits`` (what browsers offer), each sending text messages and
waiting for every echo; 64-byte chat-like JSON and 64 KiB JSON-like text. Rounds
alternate between the servers (wslab, websockets, wslab, ...), so load from
elsewhere on the machine falls on both alike.

Reported per message size and server, median over rounds with the spread (min-max):
- server CPU per message: user + system time of the server process, read from
  the OS (/proc/PID/stat, Linux), divided by the messages echoed;
- echo round trips per second;
- compression ratio: bytes on the wire (both ways, frame headers included,
  counted by the clients) / message bytes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchutil import cpu_seconds  # beside this script

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SIZES = {"64 B": 64, "64 KiB": 64 * 1024}
WORDS = (
    "frame",
    "mask",
    "opcode",
    "payload",
    "deflate",
    "window",
    "context",
    "message",
    "server",
    "client",
    "handshake",
    "close",
    "ping",
    "pong",
    "text",
    "binary",
    "fragment",
    "extension",
    "socket",
    "room",
)


def message(size: int, n: int) -> str:
    """A text message of exactly `size` bytes: JSON-like, different for each `n` (seeded)."""
    rng = random.Random(n)
    if size <= 128:
        text = f'{{"type":"chat","id":{n},"user":"u{rng.randrange(100)}","text":"{rng.choice(WORDS)} '
        return (text + "x" * size)[: size - 2] + '"}'
    parts = []
    while sum(map(len, parts)) < size:
        parts.append(f'{{"id":{rng.randrange(10**6)},"word":"{rng.choice(WORDS)}","n":{rng.random():.4f}}},')
    return "".join(parts)[:size]


# --- the servers (subprocesses of this script) ----------------------------------------


async def run_server(kind: str) -> None:
    async def handler(ws):
        async for data in ws:
            await ws.send(data)

    if kind == "wslab":
        from wslab.net import serve

        server = await serve(handler, max_message_size=1 << 20)
        port = server.port
    else:
        from websockets.asyncio.server import serve as ws_serve

        server = await ws_serve(handler, "127.0.0.1", 0, compression="deflate", max_size=1 << 20)
        port = server.sockets[0].getsockname()[1]
    print(port, flush=True)
    await asyncio.Event().wait()


def start(kind: str) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve", kind], stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT
    )
    port = process.stdout.readline().strip()
    return process, f"ws://127.0.0.1:{port}/"


# --- the load ------------------------------------------------------------------------


class WireCount:
    def __init__(self) -> None:
        self.bytes = 0

    def __call__(self, ws, direction: str, data: bytes) -> None:
        if ws.connection is not None:  # frames only: the handshake is not part of the ratio
            self.bytes += len(data)


async def load(url: str, size: int, clients: int, messages: int, start: int) -> tuple[float, int, int, str]:
    """Echo `messages` messages spread over `clients` connections; (seconds, wire bytes, payload bytes, agreed)."""
    from wslab.deflate import Offer
    from wslab.net import connect

    wire = WireCount()
    per_client = messages // clients
    payloads = [message(size, start + i) for i in range(per_client)]
    sockets = [await connect(url, on_bytes=wire, max_message_size=1 << 20, compression=Offer()) for _ in range(clients)]
    agreed = sockets[0].extensions

    async def client(ws) -> None:
        for payload in payloads:
            await ws.send(payload)
            assert await ws.recv() == payload

    began = time.perf_counter()
    await asyncio.gather(*(client(ws) for ws in sockets))
    elapsed = time.perf_counter() - began
    await asyncio.gather(*(ws.close() for ws in sockets))
    return elapsed, wire.bytes, 2 * per_client * clients * size, agreed


def spread(values: list[float], fmt: str) -> str:
    return f"{format(statistics.median(values), fmt)} ({format(min(values), fmt)}-{format(max(values), fmt)})"


async def main(clients: int, messages: int, rounds: int) -> None:
    servers = {kind: start(kind) for kind in ("wslab", "websockets")}
    results: dict[tuple[str, str], dict[str, list[float]]] = {}
    agreed: dict[str, str] = {}
    try:
        for name, size in SIZES.items():
            count = messages if size <= 128 else max(clients, messages // 20)
            for _process, url in servers.values():  # warm-up: imports, first compressors
                await load(url, size, clients, clients * 5, 0)
            for r in range(rounds):
                for kind, (process, url) in servers.items():
                    before = cpu_seconds(process.pid)
                    elapsed, wire, payload, agreed[kind] = await load(url, size, clients, count, 10**6 * (r + 1))
                    cpu = cpu_seconds(process.pid) - before
                    done = count // clients * clients
                    row = results.setdefault((name, kind), {"cpu": [], "rate": [], "ratio": []})
                    row["cpu"].append(cpu / done * 1e6)
                    row["rate"].append(done / elapsed)
                    row["ratio"].append(wire / payload)
    finally:
        for process, _ in servers.values():
            process.kill()
            process.wait()

    print(f"echo with permessage-deflate, {clients} wslab clients, {rounds} rounds alternating (median, min-max):")
    for kind, text in agreed.items():
        print(f"  {kind} server answers: {text}")
    print(f"  {'message':8s} {'server':11s} {'server CPU/msg (us)':>24s} {'round trips/s':>24s} {'wire/payload':>22s}")
    for (name, kind), row in results.items():
        print(
            f"  {name:8s} {kind:11s} {spread(row['cpu'], '.0f'):>24s} {spread(row['rate'], ',.0f'):>24s} "
            f"{spread(row['ratio'], '.3f'):>22s}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--messages", type=int, default=2000, help="64-byte messages per round (64 KiB: 1/20)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--serve", choices=["wslab", "websockets"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(run_server(args.serve))
    else:
        asyncio.run(main(args.clients, args.messages, args.rounds))
