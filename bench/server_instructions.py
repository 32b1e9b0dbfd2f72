"""User-space instructions a server executes per echoed message, counted by callgrind.

    python bench/server_instructions.py [--messages 2000] [--connections 10]

CPU time read from the OS (`bench_server.py`) moves with whatever else the machine
does; an instruction count does not. Each server (wslab, `websockets`, and a bare
asyncio floor) runs under ``valgrind --tool=callgrind``; a raw-socket client
opens `--connections` WebSocket connections and sends 64-byte masked text
messages, one waiting echo per connection. After a warm-up the counters are
zeroed (`callgrind_control -z`), `--messages` round trips run, and the total is
dumped (`callgrind_control -d`). Reported: instructions per echoed message,
and the ratio to `websockets`. Kernel work (the syscalls) is not counted.

The floor is an asyncio Protocol that answers the handshake, unmasks each frame
and echoes it from a handler task, with no WebSocket rule checked: what the
event loop, the task switch and the socket calls cost by themselves.

Needs valgrind (Debian: ``apt-get install valgrind``); Linux only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import selectors
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from wslab import frames, handshake  # noqa: E402
from wslab.masking import RFC_MASK_KEY, mask  # noqa: E402

SERVERS = ("wslab", "websockets", "floor")
MESSAGE = frames.encode(frames.Frame(frames.Opcode.TEXT, b"x" * 64), mask_key=RFC_MASK_KEY)
ECHO_SIZE = 2 + 64  # the server's unmasked echo


class Floor(asyncio.Protocol):
    """The floor: handshake, then one small masked frame per chunk, unmasked and echoed by a task."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.head = b""
        self.messages: list[bytes] = []
        self.waiter: asyncio.Future | None = None
        asyncio.get_running_loop().create_task(self.handler())

    def data_received(self, data: bytes) -> None:
        if self.head is not None:
            self.head += data
            if b"\r\n\r\n" in self.head:
                self.transport.write(handshake.build_response(handshake.parse_request(self.head)))
                self.head = None
            return
        self.messages.append(mask(data[6:], data[2:6]))
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError())

    async def handler(self) -> None:
        try:
            while True:
                while not self.messages:
                    self.waiter = asyncio.get_running_loop().create_future()
                    await self.waiter
                payload = self.messages.pop(0)
                self.transport.write(bytes((0x81, len(payload))) + payload)
        except ConnectionError:
            pass


async def serve(kind: str) -> None:
    """Serve `kind` on a free port, print the port, serve forever (the process under callgrind)."""
    if kind == "floor":
        server = await asyncio.get_running_loop().create_server(Floor, "127.0.0.1", 0)
        print(server.sockets[0].getsockname()[1], flush=True)
        await asyncio.Event().wait()
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_server import run_server

    await run_server(kind)


def round_trips(port: int, total: int, connections: int) -> None:
    """`total` echoes over `connections` connections, each with one message in flight."""
    socks = []
    for _ in range(connections):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(handshake.build_request(f"127.0.0.1:{port}", "/", key=handshake.new_key()))
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(4096)
        socks.append(sock)
    selector = selectors.DefaultSelector()
    pending = {sock: 0 for sock in socks}
    sent = done = 0
    for sock in socks:
        selector.register(sock, selectors.EVENT_READ)
        sock.sendall(MESSAGE)
        sent += 1
    while done < total:
        for key, _ in selector.select():
            sock = key.fileobj
            pending[sock] += len(sock.recv(65536))
            while pending[sock] >= ECHO_SIZE:
                pending[sock] -= ECHO_SIZE
                done += 1
                if sent < total:
                    sock.sendall(MESSAGE)
                    sent += 1
    for sock in socks:
        sock.close()
    selector.close()


def instructions(kind: str, messages: int, connections: int) -> float:
    """Instructions per echoed message of server `kind`, under callgrind."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        process = subprocess.Popen(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, __file__, "--serve", kind],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )
        try:
            port = int(process.stdout.readline())
            round_trips(port, 300, connections)  # warm-up: imports, first calls, specialisation
            subprocess.run(["callgrind_control", "-z", str(process.pid)], check=True, capture_output=True)
            round_trips(port, messages, connections)
            subprocess.run(["callgrind_control", "-d", str(process.pid)], check=True, capture_output=True)
        finally:
            process.kill()
            process.wait()
        dumps = sorted(Path(tmp).glob("callgrind.out*"), key=lambda p: p.stat().st_mtime)
        for line in dumps[-1].read_text().splitlines():
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1]) / messages
    raise RuntimeError(f"no callgrind totals for {kind}")


def main(messages: int, connections: int) -> int:
    counts = {kind: instructions(kind, messages, connections) for kind in SERVERS}
    print(f"user-space instructions per echoed 64-byte message ({connections} connections, {messages} messages)")
    for kind, count in counts.items():
        print(f"  {kind:10s} {count / 1000:7.1f}k  {count / counts['websockets']:.2f}x websockets")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--serve", choices=SERVERS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.serve))
    else:
        sys.exit(main(args.messages, args.connections))
