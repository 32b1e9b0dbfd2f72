"""The emit patterns by name, for the playground and the pictures.

Each pattern is one line of Socket.IO, run as if inside ``sender``'s handlers on
the server (so ``socket`` is the sender's socket, and ``io.emit`` knows who
triggered it). ``client.emit`` is the sender's own client emitting to the server.
"""

from __future__ import annotations

from typing import Any

from wslab.events.server import Server

PATTERN_CALLS = {
    "io.emit": "io.emit(event, ...)",
    "socket.emit": "socket.emit(event, ...)",
    "socket.broadcast.emit": "socket.broadcast.emit(event, ...)",
    "io.to(room).emit": "io.to(room).emit(event, ...)",
    "socket.to(room).emit": "socket.to(room).emit(event, ...)",
    "client.emit": "client: socket.emit(event, ...)",
}
"""Pattern name -> the JavaScript line it stands for."""

NEEDS_ROOM = ("io.to(room).emit", "socket.to(room).emit")


def emit_as(io: Server, pattern: str, sender: str, event: str, *args: Any, room: str | None = None) -> None:
    """Run ``pattern`` with ``sender``'s socket as ``socket``; raise a clear error when it cannot run."""
    if pattern not in PATTERN_CALLS:
        raise ValueError(f"unknown pattern {pattern!r}; choose one of {', '.join(PATTERN_CALLS)}")
    if pattern in NEEDS_ROOM and not room:
        raise ValueError(f"{pattern} needs a room name")
    if pattern == "client.emit":
        if sender not in io.clients:
            raise KeyError(f"no client called {sender!r}")
        io.clients[sender].emit(event, *args)
        return
    socket = io.socket_of(sender)
    with io.handling(socket):
        if pattern == "io.emit":
            io.emit(event, *args)
        elif pattern == "socket.emit":
            socket.emit(event, *args)
        elif pattern == "socket.broadcast.emit":
            socket.broadcast.emit(event, *args)
        elif pattern == "io.to(room).emit":
            io.to(room or "").emit(event, *args)
        else:
            socket.to(room or "").emit(event, *args)
