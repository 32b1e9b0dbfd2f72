"""How long io.emit takes to reach 10,000 simulated clients (target: at most 50 ms).

Run: python bench/bench_events.py
Each client has one listener; the trace records one Delivery per emit.
"""

from __future__ import annotations

import statistics
import time

from wslab.events import Server

CLIENTS = 10_000
RUNS = 21


def main() -> None:
    io = Server()
    received = [0]

    def listener(message: str) -> None:
        received[0] += 1

    for i in range(CLIENTS):
        client = io.client(f"c{i}")
        client.on("news", listener)
        client.connect()
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        io.emit("news", "hello")
        times.append(time.perf_counter() - start)
    assert received[0] == CLIENTS * RUNS, received[0]
    assert len(io.trace[-1].recipients) == CLIENTS
    payload_times = []
    for _ in range(RUNS):  # an object payload: decoded afresh for each recipient
        start = time.perf_counter()
        io.emit("news", {"text": "hello", "n": [1, 2]})
        payload_times.append(time.perf_counter() - start)
    print(
        f"io.emit to {CLIENTS} clients, string payload: median {statistics.median(times) * 1000:.1f} ms, "
        f"max {max(times) * 1000:.1f} ms ({RUNS} runs)"
    )
    print(
        f"io.emit to {CLIENTS} clients, object payload: median {statistics.median(payload_times) * 1000:.1f} ms, "
        f"max {max(payload_times) * 1000:.1f} ms ({RUNS} runs)"
    )


if __name__ == "__main__":
    main()
