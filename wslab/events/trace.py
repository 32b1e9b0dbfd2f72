"""The record of every delivery, in the order the simulated network carried them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SERVER = "server"

Kind = Literal["connect", "connect_error", "event", "ack", "disconnect", "engine.io"]
"""What a delivery was: a Socket.IO packet's kind, or ``engine.io`` for Engine.IO's own packets
(open, ping, pong, upgrade, noop, close) on a real connection."""


@dataclass(frozen=True, eq=False)
class Delivery:
    """One packet put on the wire, and who it reached.

    - ``sender``: who sent it: ``"server"`` or a client's name.
    - ``socket``: for a server emit made through a socket (``socket.emit``,
      ``socket.broadcast``, ``socket.to``), or from inside a socket's handler, the
      name of that socket's client: the sender a picture marks. Else None.
    - ``pattern``: ``io.emit``, ``socket.emit``, ``broadcast``, ``room``,
      ``client.emit``, or the kind for non-events (``connect``, ``ack`` ...).
    - ``call``: the JavaScript-like call that sent it, e.g. ``socket.to("lobby").emit``.
    - ``recipients``: names of who received it, in delivery order (``"server"`` for client packets).
    - ``packet``: the Engine.IO message exactly as on the wire, e.g. ``42["chat","hi"]``.
    """

    step: int
    kind: Kind
    sender: str
    socket: str | None
    pattern: str
    call: str
    recipients: tuple[str, ...]
    packet: str
    note: str = ""

    def __repr__(self) -> str:
        return f"Delivery({self.line()})"

    def line(self) -> str:
        """One readable line: ``#3 broadcast  server(alice) -> bob, carol  42["chat","hi"]``."""
        who = self.sender if self.socket is None or self.sender != SERVER else f"server[{self.socket}]"
        to = ", ".join(self.recipients) if self.recipients else "(nobody)"
        note = f"  ({self.note})" if self.note else ""
        return f"#{self.step} {self.call}: {who} -> {to}  {self.packet}{note}"


class Trace(list):
    """Every Delivery so far, oldest first. ``print(io.trace)`` shows one line each.

    A server with real clients runs for a long time: the trace keeps the last
    ``maxlen`` deliveries (their ``step`` numbers keep counting).
    """

    def __init__(self, items: tuple[Delivery, ...] = (), *, maxlen: int = 10_000) -> None:
        super().__init__(items)
        self.maxlen = maxlen
        self._steps = len(self)

    def next_step(self) -> int:
        return self._steps + 1

    def append(self, delivery: Delivery) -> None:
        self._steps += 1
        super().append(delivery)
        if len(self) > self.maxlen:
            del self[: len(self) - self.maxlen]

    def events(self) -> list[Delivery]:
        """Only the emits (``kind == "event"``)."""
        return [d for d in self if d.kind == "event"]

    def last_event(self) -> Delivery | None:
        for delivery in reversed(self):
            if delivery.kind == "event":
                return delivery
        return None

    def packets(self) -> list[str]:
        """The wire text of every delivery, in order."""
        return [d.packet for d in self]

    def __str__(self) -> str:
        return "\n".join(d.line() for d in self) if self else "(no deliveries yet)"

    def __repr__(self) -> str:
        return f"<Trace: {len(self)} deliveries>"
