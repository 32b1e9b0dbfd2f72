"""The JavaScript side of the Socket.IO tests: Node, the npm packages of tests/js, and the test app.

The test app exists twice, once per server, handler for handler: `tests/js/node_server.mjs` on
Node's `socket.io` and `build_app()` below on `wslab.events.Server`. The scripts under tests/js
(the story, the differential scenario) talk to either and print JSON lines.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from wslab.events import ConnectionRefused, Server

JS = Path(__file__).resolve().parent / "js"
CLIENT_BUNDLE = JS / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"


def need_node() -> None:
    """Skip without Node or without `npm ci` in tests/js; under CI both must be there."""
    problem = None
    if shutil.which("node") is None:
        problem = "node is missing: install Node.js 18 or later"
    elif not (JS / "node_modules" / "socket.io").is_dir() or not CLIENT_BUNDLE.is_file():
        problem = "tests/js/node_modules is missing: run `npm ci` in tests/js"
    if problem:
        if os.environ.get("CI"):
            pytest.fail(problem)
        pytest.skip(problem)


async def node_lines(script: str, *args: str, timeout: float = 60) -> list[dict[str, Any]]:
    """Run a script of tests/js to its end; its stdout's JSON lines."""
    process = await asyncio.create_subprocess_exec(
        "node", str(JS / script), *args, cwd=JS, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode == 0, err.decode()
    return [json.loads(line) for line in out.decode().split("\n") if line.strip()]  # not splitlines: U+2028


class NodeServer:
    """`node_server.mjs` running: `.url`, and `.reports` (its server-side JSON lines so far)."""

    def __init__(self, process: asyncio.subprocess.Process, port: int) -> None:
        self.process, self.url, self.reports = process, f"http://127.0.0.1:{port}", []
        self.reader = asyncio.ensure_future(self._read_reports())

    async def _read_reports(self) -> None:
        async for line in self.process.stdout:
            self.reports.append(json.loads(line))

    async def exited(self, timeout: float = 10) -> list[dict[str, Any]]:
        """Wait until the server has closed itself (the app's "close-server") and every report is read."""
        await asyncio.wait_for(asyncio.gather(self.process.wait(), self.reader), timeout)
        return self.reports


@contextlib.asynccontextmanager
async def node_server(**options: Any) -> AsyncIterator[NodeServer]:
    process = await asyncio.create_subprocess_exec(
        "node",
        str(JS / "node_server.mjs"),
        json.dumps(options),
        cwd=JS,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        first = await asyncio.wait_for(process.stdout.readline(), 30)
        yield NodeServer(process, json.loads(first)["port"])
    finally:
        if process.returncode is None:
            process.stdin.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), 5)
        if process.returncode is None:
            process.kill()
            await process.wait()


# -- the test app on wslab's server (node_server.mjs, line for line) ----------------------------------


def build_app(**options: Any) -> tuple[Server, list[dict[str, Any]]]:
    """The test app on a `wslab.events.Server(**options)`, and the list its server-side reports go to."""
    io = Server(**options)
    reports: list[dict[str, Any]] = []

    def name(socket) -> str:
        return socket.handshake.auth.get("name", "?")

    def report_disconnect(socket, nsp: str) -> None:
        socket.on(
            "disconnect",
            lambda reason: reports.append({"server": "disconnect", "name": name(socket), "nsp": nsp, "reason": reason}),
        )

    @io.use
    def refuse_bad_token(socket) -> None:
        if socket.handshake.auth.get("token") == "bad":
            raise ConnectionRefused("not authorized", {"code": 42})

    @io.on("connection")
    def on_connection(socket) -> None:
        socket.emit("auth", socket.handshake.auth)

        def message(*args):
            socket.emit("message-back", *args)

        def join(room):
            socket.join(room)
            return f"joined {room}"

        def leave(room):
            socket.leave(room)
            return f"left {room}"

        socket.on("message", message)
        socket.on("message-with-ack", lambda *args: args)  # a tuple: that many ack arguments, () too
        socket.on("silent-with-ack", lambda *args: None)  # None: no acknowledgement at all
        socket.on("join", join)
        socket.on("leave", leave)
        socket.on("sync", lambda: ())
        socket.on("kick-me", lambda: socket.disconnect() and None)
        socket.on("close-server", lambda: asyncio.ensure_future(io.close()) and None)
        socket.on("do", lambda pattern: PATTERNS[pattern](io, socket))
        report_disconnect(socket, "/")

    @io.of("/custom").on("connection")
    def on_custom(socket) -> None:
        socket.emit("auth", socket.handshake.auth)
        socket.on("sync", lambda: ())
        report_disconnect(socket, "/custom")

    return io, reports


def _ack_result(err, *answer) -> tuple:
    """What node_server.mjs acks for an emit with acknowledgement: [error message or null, answer]."""
    value = answer[0] if answer else None
    return (err.message if err else None, sorted(value) if isinstance(value, list) else value)


def _asking(emit_with_callback):
    async def ask():
        result = asyncio.get_running_loop().create_future()
        emit_with_callback(lambda *args: result.done() or result.set_result(_ack_result(*args)))
        return await result

    return ask()


PATTERNS = {
    "io.emit": lambda io, s: (io.emit("all", "io.emit"), ())[1],
    "socket.emit": lambda io, s: (s.emit("only", "socket.emit"), ())[1],
    "socket.broadcast.emit": lambda io, s: (s.broadcast.emit("bcast", "socket.broadcast.emit"), ())[1],
    "io.to(r).emit": lambda io, s: (io.to("r").emit("room", "io.to(r)"), ())[1],
    "socket.to(r).emit": lambda io, s: (s.to("r").emit("room_not_sender", "socket.to(r)"), ())[1],
    "io.to(r).to(c).emit": lambda io, s: (io.to("r").to("c").emit("union", "r+c"), ())[1],
    "io.except(r).emit": lambda io, s: (io.except_("r").emit("except_r", "except r"), ())[1],
    "io.to(r).except(c).emit": lambda io, s: (io.to("r").except_("c").emit("r_except_c", "r-c"), ())[1],
    "socket.to(socket.id).emit": lambda io, s: (s.to(s.id).emit("to_own_id", "nobody"), ())[1],
    "io.to(socket.id).emit": lambda io, s: (io.to(s.id).emit("io_to_own_id", "me"), ())[1],
    "io.to(nobody).emit": lambda io, s: (io.to("empty-room").emit("nobody", "x"), ())[1],
    "io.of(/custom).emit": lambda io, s: (io.of("/custom").emit("custom_all", "custom"), ())[1],
    "binary": lambda io, s: (s.emit("binary", bytes([0, 1, 2, 255]), {"nested": [b"hi"]}), ())[1],
    "numbers": lambda io, s: (s.emit("numbers", 1.0, -0.0, 2**53 + 1, 0.1, 1e21, math.nan), ())[1],
    "strings": lambda io, s: (s.emit("strings", "é ☃ 😀", "\u2028", "</script>", "\u0000"), ())[1],
    "ask one": lambda io, s: _asking(lambda cb: s.timeout(2).emit("question", "q?", callback=cb)),
    "ask one, no answer": lambda io, s: _asking(lambda cb: s.timeout(0.3).emit("silent-question", callback=cb)),
    "ask all": lambda io, s: _asking(lambda cb: io.timeout(2).emit("question", "all?", callback=cb)),
    "ask all, one silent": lambda io, s: _asking(lambda cb: io.timeout(0.3).emit("question-a-only", callback=cb)),
    "ask room": lambda io, s: _asking(lambda cb: io.to("r").timeout(2).emit("question", "r?", callback=cb)),
    "ask all, no timeout": lambda io, s: _asking(lambda cb: io.emit("question", "now?", callback=cb)),
}


@contextlib.asynccontextmanager
async def wslab_server(transports: tuple[str, ...] = ("polling", "websocket"), **options: Any):
    """The test app listening on a free loopback port: (io, reports, url)."""
    io, reports = build_app(**options)
    server = await io.listen("127.0.0.1", 0, transports=transports)
    try:
        yield io, reports, f"http://127.0.0.1:{server.port}"
    finally:
        await io.close()
