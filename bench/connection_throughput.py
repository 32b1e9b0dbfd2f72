"""How many small messages per second a server-side Connection turns into events.

    python bench/connection_throughput.py

The same masked client bytes (N text messages of 16 bytes, then N binary ones)
are fed in 4 KiB chunks to wslab's Connection, to wsproto's Connection and to
websockets' sans-I/O Protocol. websockets' Protocol stops at frames (no message
assembly, no UTF-8 check), so it does less work than the other two.
Best of 3 runs; figures vary with the machine.
"""

from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from websockets.protocol import Protocol, Side, State  # noqa: E402
from wsproto.connection import Connection as WspConnection  # noqa: E402
from wsproto.connection import ConnectionType

from wslab.connection import Connection  # noqa: E402
from wslab.masking import RFC_MASK_KEY  # noqa: E402

N = 50_000
CHUNK = 4096


def wire() -> bytes:
    client = Connection("client", mask_key=RFC_MASK_KEY)
    text = b"".join(client.send_text(f"{i:016d}") for i in range(N))
    binary = b"".join(client.send_binary(i.to_bytes(16, "big")) for i in range(N))
    return text + binary


def run_wslab(data: bytes) -> int:
    conn, count = Connection("server"), 0
    for i in range(0, len(data), CHUNK):
        count += len(conn.receive_data(data[i : i + CHUNK]))
    return count


def run_wsproto(data: bytes) -> int:
    conn, count = WspConnection(ConnectionType.SERVER), 0
    for i in range(0, len(data), CHUNK):
        conn.receive_data(data[i : i + CHUNK])
        count += sum(1 for e in conn.events() if e.message_finished)  # it also emits partial frames
    return count


def run_websockets(data: bytes) -> int:
    conn, count = Protocol(Side.SERVER, state=State.OPEN), 0
    for i in range(0, len(data), CHUNK):
        conn.receive_data(data[i : i + CHUNK])
        count += len(conn.events_received())
    return count


def main() -> None:
    data = wire()
    print(f"{2 * N} messages of 16 bytes ({len(data)} bytes on the wire), fed in {CHUNK}-byte chunks")
    for name, run in (("wslab", run_wslab), ("wsproto", run_wsproto), ("websockets (frames only)", run_websockets)):
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            count = run(data)
            best = min(best, time.perf_counter() - start)
        assert count == 2 * N, (name, count)
        print(f"{name:26} {2 * N / best:>10,.0f} messages/s")


if __name__ == "__main__":
    main()
