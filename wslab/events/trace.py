"""The record of every delivery, in the order the simulated network carried them."""

from __future__ import annotations

from dataclasses import dataclass

SERVER = "server"

# What a delivery was. Emits carry a pattern; the rest are the connection's own packets.
PATTERNS = ("io.emit", "socket.emit", "broadcast", "room", "client.emit")
KINDS = ("connect", "connect_error", "event", "ack", "disconnect")


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
    kind: str
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
    """Every Delivery so far, oldest first. ``print(io.trace)`` shows one line each."""

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
