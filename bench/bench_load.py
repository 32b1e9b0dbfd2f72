"""Load test: 200 concurrent well-behaved clients and misbehaving ones against `python -m wslab serve`.

    python bench/bench_load.py [--clients 200] [--messages 100] [--bad 40]

The server runs as a subprocess (the CLI echo server, as in class). Good
clients (wslab.net) each pipeline their messages (text and binary) and check
that every one comes back exactly once, in order, then close with 1000.
Mixed in, at the same time: clients sending a frame with RSV1 set (expect 1002),
invalid UTF-8 (1007), an oversized message (1009), a handshake dribbled one
byte at a time (dropped after the handshake timeout), a silent TCP connection
(dropped), and clients that vanish mid-message (the server logs 1006).
Exit status 0 only if every expectation held.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from wslab import frames  # noqa: E402
from wslab.codes import Opcode  # noqa: E402
from wslab.net import connect  # noqa: E402
from wslab.probe import Probe  # noqa: E402

MAX_SIZE = 64 * 1024
HANDSHAKE_TIMEOUT = 2.0


def start_server(log_path: Path) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    log = open(log_path, "w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "wslab",
            "serve",
            "--port",
            "0",
            "--max-size",
            str(MAX_SIZE),
            "--handshake-timeout",
            str(HANDSHAKE_TIMEOUT),
        ],
        cwd=ROOT,
        env=env,
        stderr=log,
    )
    for _ in range(100):
        time.sleep(0.05)
        match = re.search(r"ws://127\.0\.0\.1:\d+/", log_path.read_text())
        if match:
            return process, match.group(0)
    raise RuntimeError("the server did not start: " + log_path.read_text())


async def good_client(url: str, n: int, messages: int) -> tuple[str, int]:
    sent = [f"client {n} message {i}" if i % 2 else f"client {n} message {i}".encode() for i in range(messages)]
    async with connect(url, max_message_size=MAX_SIZE) as ws:

        async def sender():
            for message in sent:
                await ws.send(message)

        sending = asyncio.ensure_future(sender())
        received = [await ws.recv() for _ in sent]
        await sending
    if received != sent:
        return "good: messages lost, duplicated or reordered", len(received)
    if ws.close_code != 1000:
        return f"good: closed with {ws.close_code}", len(received)
    return "good: all echoed in order, closed 1000", len(received)


async def bad_frame(url: str, kind: str) -> tuple[str, int]:
    probe = await Probe.open(url)
    await probe.handshake()
    await probe.send_frame(Opcode.TEXT, b"a good message first")
    echoed = await probe.read_frame(10)
    if kind == "rsv1":
        await probe.send_frame(Opcode.TEXT, b"x", rsv1=True)
        expected = 1002
    elif kind == "utf8":
        await probe.send_frame(Opcode.TEXT, b"bad \xff text")
        expected = 1007
    else:
        await probe.send(frames.encode(frames.Frame(Opcode.BINARY, b"x" * (MAX_SIZE + 1)), mask_key=b"abcd")[:14])
        expected = 1009
    code, _ = await probe.read_close(10)
    await probe.expect_eof(10)
    await probe.close()
    ok = code == expected and echoed.payload == b"a good message first"
    return f"{kind}: close {expected} as required" if ok else f"{kind}: got close {code}", 1


async def slow_handshake(url: str) -> tuple[str, int]:
    probe = await Probe.open(url)
    data = await probe.send_slowly(probe.request(), 0.2)
    await probe.close()
    return ("slow handshake: dropped" if data == b"" else "slow handshake: answered!"), 0


async def silent(url: str) -> tuple[str, int]:
    probe = await Probe.open(url)
    data = await asyncio.wait_for(probe.reader.read(1 << 16), HANDSHAKE_TIMEOUT + 5)
    await probe.close()
    return ("silent: dropped" if data == b"" else "silent: answered!"), 0


async def vanish(url: str) -> tuple[str, int]:
    probe = await Probe.open(url)
    await probe.handshake()
    await probe.send(frames.encode(frames.Frame(Opcode.TEXT, b"half a mess", fin=False), mask_key=b"abcd"))
    probe.writer.transport.abort()
    return "vanish: TCP dropped mid-message", 0


async def main(clients: int, messages: int, bad: int) -> int:
    log_path = Path("/tmp/wslab_bench_load.log")
    process, url = start_server(log_path)
    try:
        kinds = ["rsv1", "utf8", "size", "slow", "silent", "vanish"]
        tasks = [good_client(url, n, messages) for n in range(clients)]
        for i in range(bad):
            kind = kinds[i % len(kinds)]
            tasks.append(
                {"slow": slow_handshake, "silent": silent, "vanish": vanish}.get(
                    kind, lambda u, k=kind: bad_frame(u, k)
                )(url)
            )
        started = time.perf_counter()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        elapsed = time.perf_counter() - started
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(20)
    outcomes = collections.Counter(r[0] if isinstance(r, tuple) else f"error: {r!r}" for r in results)
    echoed = sum(r[1] for r in results[:clients] if isinstance(r, tuple))
    log = log_path.read_text()
    server_codes = collections.Counter(re.findall(r"closed: (\d+ \w+)", log))
    dropped = log.count("no complete handshake")

    print(f"{clients} good clients x {messages} messages + {bad} misbehaving clients, concurrently")
    print(f"wall time {elapsed:.2f} s; {echoed} messages echoed ({2 * echoed / elapsed:,.0f} messages/s both ways)")
    for outcome, count in sorted(outcomes.items()):
        print(f"  {count:4d} x {outcome}")
    print(
        "server log: close codes "
        + ", ".join(f"{c} x {n}" for n, c in sorted(server_codes.items()))
        + f"; {dropped} dropped in the handshake; server exit status {process.returncode}"
    )
    expected_good = outcomes["good: all echoed in order, closed 1000"] == clients
    expected_bad = all(not (k.endswith("!") or k.startswith("error") or "got close" in k) for k in outcomes)
    ok = expected_good and expected_bad and echoed == clients * messages and process.returncode == 0
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--messages", type=int, default=100)
    parser.add_argument("--bad", type=int, default=42)
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.clients, args.messages, args.bad)))
