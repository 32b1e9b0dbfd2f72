"""The wslab server beside a `websockets` server: CPU per message, throughput, memory.

    python bench/bench_server.py [--clients 50] [--seconds 3] [--rounds 5] [--idle 2000]

Both servers run at the same time, each in its own subprocess of this script,
and stay idle between rounds. The same client load (`--clients` websockets
clients, each sending a 64-byte text message and waiting for its echo, in a
loop) goes to one server, then the other, rounds interleaved (the order flips
each round), so load from elsewhere on the machine hits both alike.

1. Per round and server: the server process's CPU time (user + system, read
   from the OS: /proc/<pid>/stat) divided by the messages it echoed, and the
   round trips per second. Reported: median and spread (min-max) over the rounds.
   Target: wslab's CPU per echoed message <= 0.8 x websockets'.
2. A 16 MiB binary message round trip through each server: the server's peak
   resident memory (VmHWM, reset through /proc/<pid>/clear_refs before the
   message) above its resident memory before it. Target: <= 2 x the message.
3. Per connection: 2,000 silent TCP connections (no handshake yet), then 2,000
   idle WebSocket connections, and the server's resident memory for each.

Linux only (it reads /proc). On a shared machine the absolute figures move
from run to run; the ratios, measured in one run, are what to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchutil import cpu_seconds  # noqa: E402
from websockets.asyncio.client import connect as ws_connect  # noqa: E402

from wslab import frames, handshake  # noqa: E402
from wslab.masking import RFC_MASK_KEY  # noqa: E402

MESSAGE = "x" * 64
BIG = 16 * 1024 * 1024
SERVERS = ("wslab", "websockets")


# --- the servers (subprocesses of this script) -------------------------------------


async def run_server(kind: str) -> None:
    """An echo server of `kind` on a free port; prints the port, then serves forever."""
    if kind == "wslab":
        from wslab.net import echo, serve

        server = await serve(echo, max_message_size=BIG + 1024, handshake_timeout=600)
        port = server.port
    else:
        from websockets.asyncio.server import serve
        from websockets.exceptions import ConnectionClosed

        async def echo(ws):
            # The load's clients drop their TCP connections without a Close frame when a
            # round ends; wslab's echo ends quietly then, so this one does too.
            try:
                async for message in ws:
                    await ws.send(message)
            except ConnectionClosed:
                pass

        server = await serve(
            echo, "127.0.0.1", 0, max_size=BIG + 1024, compression=None, open_timeout=600, ping_interval=None
        )
        port = server.sockets[0].getsockname()[1]
    print(port, flush=True)
    await asyncio.Event().wait()


class Served:
    """One server subprocess and what the OS says about it."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve", kind],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            cwd=ROOT,
        )
        self.port = int(self.process.stdout.readline())
        self.url = f"ws://127.0.0.1:{self.port}/"

    def cpu(self) -> float:
        """Seconds of CPU (user + system) the server process has used."""
        return cpu_seconds(self.process.pid)

    def memory(self, name: str = "VmRSS") -> int:
        """Bytes of resident memory (VmRSS), or its peak (VmHWM)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1]) * 1024
        raise LookupError(name)

    def reset_peak(self) -> None:
        Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")  # VmHWM := VmRSS

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()


# --- 1. CPU per echoed message, throughput -----------------------------------------------


async def echo_round(served: Served, clients: int, seconds: float) -> tuple[int, float]:
    """Round trips completed by `clients` clients in `seconds` (after connecting and a warm-up),
    and the server's CPU seconds over exactly that window."""
    count = 0
    go, stop_at = asyncio.Event(), [0.0]

    async def client(ws):
        nonlocal count
        for _ in range(20):
            await ws.send(MESSAGE)
            await ws.recv()
        await go.wait()
        while time.perf_counter() < stop_at[0]:
            await ws.send(MESSAGE)
            await ws.recv()
            count += 1

    sockets = [await ws_connect(served.url, compression=None, ping_interval=None) for _ in range(clients)]
    try:
        tasks = [asyncio.ensure_future(client(ws)) for ws in sockets]
        await asyncio.sleep(0.5)
        cpu_before = served.cpu()
        stop_at[0] = time.perf_counter() + seconds
        go.set()
        await asyncio.gather(*tasks)
        cpu = served.cpu() - cpu_before
    finally:
        await asyncio.gather(*(ws.close() for ws in sockets))
    return count, cpu


async def measure_echo(
    servers: dict[str, Served], clients: int, seconds: float, rounds: int
) -> dict[str, list[tuple[float, float]]]:
    """Per server, one (CPU microseconds per message, round trips per second) per round."""
    results: dict[str, list[tuple[float, float]]] = {kind: [] for kind in servers}
    for number in range(rounds):
        order = SERVERS if number % 2 == 0 else SERVERS[::-1]
        for kind in order:
            served = servers[kind]
            await asyncio.sleep(0.5)  # both idle between rounds
            count, cpu = await echo_round(served, clients, seconds)
            results[kind].append((1e6 * cpu / count, count / seconds))
    return results


# --- 2. peak resident memory for a 16 MiB round trip ---------------------------------------


async def big_round_trip(served: Served) -> tuple[float, int]:
    """Seconds for a 16 MiB binary echo, and the server's resident memory peak above its level before."""
    payload = os.urandom(BIG)
    async with ws_connect(served.url, max_size=BIG + 1024, compression=None, ping_interval=None) as ws:
        await ws.send(b"warm")
        await ws.recv()
        await asyncio.sleep(0.3)
        served.reset_peak()
        before = served.memory("VmRSS")
        started = time.perf_counter()
        await ws.send(payload)
        echoed = await ws.recv()
        elapsed = time.perf_counter() - started
        assert echoed == payload
        return elapsed, served.memory("VmHWM") - before


# --- 3. memory per connection --------------------------------------------------------------


def idle_connections(served: Served, count: int) -> tuple[float, float]:
    """Server bytes per silent TCP connection (before any handshake), then per idle WebSocket."""
    time.sleep(0.3)
    base = served.memory()
    sockets = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", served.port))
        sockets.append(sock)
    time.sleep(1.0)
    silent = served.memory()
    request = handshake.build_request(f"127.0.0.1:{served.port}", "/", key=handshake.new_key())
    for sock in sockets:
        sock.sendall(request)
    for sock in sockets:
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(4096)
        assert head.startswith(b"HTTP/1.1 101"), head[:40]
    ping = frames.encode(frames.Frame(frames.Opcode.TEXT, b"hi"), mask_key=RFC_MASK_KEY)
    for sock in sockets:  # one message each: the connection has been used once
        sock.sendall(ping)
    for sock in sockets:
        sock.recv(64)
    time.sleep(1.0)
    idle = served.memory()
    for sock in sockets:
        sock.close()
    return (silent - base) / count, (idle - base) / count


# --- report --------------------------------------------------------------------------------


def spread(values: list[float]) -> str:
    return f"median {statistics.median(values):,.1f} (min {min(values):,.1f}, max {max(values):,.1f})"


async def main(clients: int, seconds: float, rounds: int, idle: int) -> int:
    servers = {kind: Served(kind) for kind in SERVERS}
    try:
        results = await measure_echo(servers, clients, seconds, rounds)
        big = {kind: await big_round_trip(served) for kind, served in servers.items()}
        per_connection = {kind: idle_connections(served, idle) for kind, served in servers.items()}
    finally:
        for served in servers.values():
            served.stop()

    print(f"echo: {clients} websockets clients, 64-byte text, {rounds} interleaved rounds of {seconds:g} s")
    cpu = {kind: statistics.median(c for c, _ in runs) for kind, runs in results.items()}
    for kind, runs in results.items():
        print(f"  {kind:10s} server CPU per echoed message (us): {spread([c for c, _ in runs])}")
        print(f"  {kind:10s} round trips per second:          {spread([r for _, r in runs])}")
    cpu_ratio = cpu["wslab"] / cpu["websockets"]
    rate_ratio = statistics.median(r for _, r in results["wslab"]) / statistics.median(
        r for _, r in results["websockets"]
    )
    print(
        f"  ratio wslab / websockets: CPU per message {cpu_ratio:.2f}x (target <= 0.8x: "
        f"{'PASS' if cpu_ratio <= 0.8 else 'MISSED'}), throughput {rate_ratio:.2f}x"
    )

    print("16 MiB binary round trip: server peak resident memory above its level before")
    for kind, (elapsed, peak) in big.items():
        print(f"  {kind:10s} {elapsed:.2f} s, peak +{peak / 2**20:.1f} MiB = {peak / BIG:.2f}x the message")
    big_factor = big["wslab"][1] / BIG
    print(f"  wslab target <= 2x: {'PASS' if big_factor <= 2 else 'MISSED'}")

    print(f"server resident memory per connection, {idle} connections")
    for kind, (silent, idle_ws) in per_connection.items():
        print(
            f"  {kind:10s} silent TCP (before its handshake) {silent / 1024:6.1f} KiB, "
            f"idle WebSocket {idle_ws / 1024:6.1f} KiB"
        )
    return 0 if cpu_ratio <= 0.8 and big_factor <= 2 else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--idle", type=int, default=2000, help="connections for the per-connection memory")
    parser.add_argument("--serve", choices=SERVERS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(run_server(args.serve))
    else:
        sys.exit(asyncio.run(main(args.clients, args.seconds, args.rounds, args.idle)))
