"""Server speed and memory: the wslab server against a `websockets` server, same load.

    /work/venv/bin/python bench/bench_server.py [--clients 50] [--seconds 3] [--rounds 3]

1. Echo round trips per second: 50 concurrent `websockets` clients, each sending
   a 64-byte text message and waiting for its echo, in a loop, against (a) the
   wslab echo server and (b) a `websockets` echo server, each in its own
   subprocess (this machine has 2 cores: one for the server, one for the clients).
   Target: wslab >= 0.8 x websockets.
2. A 16 MiB binary message round trip through the wslab server, with the
   server's peak traced memory (tracemalloc, in the server process) during it.
   Target: peak <= 3 x the message size.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from websockets.asyncio.client import connect as ws_connect  # noqa: E402

MESSAGE = "x" * 64
BIG = 16 * 1024 * 1024


# --- the servers (run as subprocesses of this script) ------------------------------

async def run_wslab_server(trace: bool) -> None:
    from wslab.net import serve

    async def handler(ws):
        async for message in ws:
            if message == "peak?":
                await ws.send(str(tracemalloc.get_traced_memory()[1]))
            elif message == "reset peak":
                tracemalloc.reset_peak()
                await ws.send("ok")
            else:
                await ws.send(message)

    if trace:
        tracemalloc.start()
    server = await serve(handler, max_message_size=BIG + 1024)
    print(server.port, flush=True)
    await asyncio.Event().wait()


async def run_websockets_server() -> None:
    from websockets.asyncio.server import serve

    async def handler(ws):
        async for message in ws:
            await ws.send(message)

    server = await serve(handler, "127.0.0.1", 0, max_size=BIG + 1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()


def start(kind: str) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, __file__, "--serve", kind], stdout=subprocess.PIPE,
                               text=True, env=env, cwd=ROOT)
    port = process.stdout.readline().strip()
    return process, f"ws://127.0.0.1:{port}/"


# --- the load ----------------------------------------------------------------------

async def echo_rate(url: str, clients: int, seconds: float) -> float:
    """Round trips per second, all clients together, over `seconds` after a short warm-up."""
    count = 0
    stop_at = 0.0

    async def client():
        nonlocal count
        async with ws_connect(url, compression=None) as ws:
            for _ in range(20):                               # warm-up
                await ws.send(MESSAGE)
                await ws.recv()
            await ready.wait()
            while time.perf_counter() < stop_at:
                await ws.send(MESSAGE)
                await ws.recv()
                count += 1

    ready = asyncio.Event()
    tasks = [asyncio.ensure_future(client()) for _ in range(clients)]
    await asyncio.sleep(1.0)
    started = time.perf_counter()
    stop_at = started + seconds
    ready.set()
    await asyncio.gather(*tasks)
    return count / (time.perf_counter() - started)


async def big_round_trip(url: str) -> tuple[float, int]:
    payload = os.urandom(BIG)
    async with ws_connect(url, max_size=BIG + 1024, compression=None) as ws:
        await ws.send("reset peak")
        await ws.recv()
        started = time.perf_counter()
        await ws.send(payload)
        echoed = await ws.recv()
        elapsed = time.perf_counter() - started
        assert echoed == payload
        await ws.send("peak?")
        return elapsed, int(await ws.recv())


async def main(clients: int, seconds: float, rounds: int) -> int:
    rates: dict[str, list[float]] = {"wslab": [], "websockets": []}
    for _ in range(rounds):                 # alternate, so load from elsewhere hits both alike
        for kind in ("wslab", "websockets"):
            process, url = start(kind)
            try:
                rates[kind].append(await echo_rate(url, clients, seconds))
            finally:
                process.kill()
                process.wait()
    wslab_rate = statistics.median(rates["wslab"])
    reference = statistics.median(rates["websockets"])
    ratio = wslab_rate / reference
    print(f"echo round trips/s, {clients} concurrent websockets clients, 64-byte text, "
          f"{rounds} rounds of {seconds:g} s (median):")
    for kind, rate in (("wslab", wslab_rate), ("websockets", reference)):
        runs = ", ".join(f"{r:,.0f}" for r in rates[kind])
        print(f"  {kind + ' server':17s} {rate:9,.0f}/s  (runs: {runs})")
    print(f"  ratio {ratio:.2f}x (target >= 0.8x): {'PASS' if ratio >= 0.8 else 'MISSED'}")

    process, url = start("wslab-traced")
    try:
        elapsed, peak = await big_round_trip(url)
    finally:
        process.kill()
        process.wait()
    factor = peak / BIG
    print(f"16 MiB binary round trip through the wslab server: {elapsed:.2f} s; "
          f"server peak traced memory {peak / 2**20:.1f} MiB = {factor:.3f}x the message "
          f"(target <= 3x): {'PASS' if factor <= 3 else 'MISSED'}")
    return 0 if ratio >= 0.8 and factor <= 3 else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--serve", choices=["wslab", "wslab-traced", "websockets"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        if args.serve == "websockets":
            asyncio.run(run_websockets_server())
        else:
            asyncio.run(run_wslab_server(trace=args.serve == "wslab-traced"))
    else:
        sys.exit(asyncio.run(main(args.clients, args.seconds, args.rounds)))
