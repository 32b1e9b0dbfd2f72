"""The network between a Server and its clients, simulated or real: one owner of queue, trace and delivery.

Every packet goes through `Network`:

- ``to_clients(sockets, packet, ...)``: from the server to some sockets (one encoding, however many);
- ``to_server(client, socket, packet, ...)``: from a simulated client to its socket on the server;
- ``from_remote(socket, packet, wire)``: a packet a real client sent, already read by Engine.IO;
- ``later(step)``: any other step that must wait its turn (a refusal, an ack timer).

Each is a step in one first-in first-out queue; ``pump()`` runs the steps until none
is left, so a handler's own emits are delivered after the handler returns, in a
defined order, and a notebook prints the same thing every run. Each delivery is
recorded in the `Trace` when it happens, with the packet as it is on the wire.
Simulated clients receive their packets from the queue; real clients (Engine.IO
sessions) receive theirs when the step runs, as bytes queued on their transport.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from wslab.events.packets import Packet, PacketType, encode_binary, reconstruct
from wslab.events.trace import SERVER, Delivery, Kind, Trace

if TYPE_CHECKING:
    from wslab.events.client import Client
    from wslab.events.server import Socket

Step = Callable[[], None]


class Network:
    """The queue, the pump and the trace of one Server."""

    def __init__(self, trace: Trace | None = None) -> None:
        self.trace = trace if trace is not None else Trace()
        self._queue: deque[Step] = deque()
        self._pumping = False
        self._errors: list[BaseException] = []
        self._when_idle: list[Step] = []

    def later(self, step: Step) -> None:
        """Run ``step`` after everything queued before it."""
        self._queue.append(step)

    def when_idle(self, step: Step) -> None:
        """Run ``step`` once the queue is empty: when nothing simulated can still answer."""
        self._when_idle.append(step)

    def pump(self) -> None:
        """Run queued steps until none is left (a call from inside a step just returns).

        A listener that raises does not stop the others: every step runs, then the
        first error is raised to the caller.
        """
        if self._pumping:
            return
        self._pumping = True
        try:
            while self._queue or self._when_idle:
                while self._queue:
                    self._run(self._queue.popleft())
                idle, self._when_idle = self._when_idle, []
                for step in idle:
                    self._run(step)
        finally:
            self._pumping = False
        if self._errors:
            first, self._errors = self._errors[0], []
            raise first

    def _run(self, step: Step) -> None:
        try:
            step()
        except Exception as exc:
            self._errors.append(exc)

    def record(
        self,
        kind: Kind,
        sender: str,
        socket: str | None,
        pattern: str,
        call: str,
        recipients: tuple[str, ...],
        packet: str,
        note: str = "",
    ) -> Delivery:
        """Add one Delivery to the trace."""
        delivery = Delivery(self.trace.next_step(), kind, sender, socket, pattern, call, recipients, packet, note)
        self.trace.append(delivery)
        return delivery

    # --- server -> clients -------------------------------------------------------------

    def to_clients(
        self, sockets: list[Socket], packet: Packet, *, kind: Kind, pattern: str, call: str, sender: str | None
    ) -> None:
        """Queue one packet from the server to ``sockets``; encoded once, for all of them."""
        wire, attachments = encode_binary(packet)
        self.later(lambda: self._deliver_to_clients(sockets, packet, wire, attachments, kind, pattern, call, sender))

    def _deliver_to_clients(
        self,
        sockets: list[Socket],
        packet: Packet,
        wire: str,
        attachments: list[bytes],
        kind: Kind,
        pattern: str,
        call: str,
        sender: str | None,
    ) -> None:
        # a socket closed since the emit misses it: no buffering on the server ("at most once")
        if kind == "disconnect":
            live = sockets
        elif kind == "connect":
            live = [s for s in sockets if s.connected]  # the CONNECT answer makes the client reachable
        else:
            live = [s for s in sockets if s.reachable]
        if not live and kind == "event":
            # nothing goes on the wire; the trace keeps the emit, marked as reaching nobody
            self.record(kind, SERVER, sender, pattern, call, (), wire, note=_note(attachments, "not sent"))
            return
        self.record(kind, SERVER, sender, pattern, call, tuple(s.name for s in live), wire, note=_note(attachments))
        data = _decoder(packet, wire, attachments)
        for socket in live:
            try:
                socket.conn.deliver(socket, packet, wire, attachments, data)
            except Exception as exc:
                self._errors.append(exc)

    # --- clients -> server -------------------------------------------------------------

    def to_server(self, client: Client, socket: Socket | None, packet: Packet, *, kind: Kind, call: str) -> None:
        """Queue one packet from a simulated client to its socket on the server."""
        wire, attachments = encode_binary(packet)
        self.later(lambda: self._deliver_to_server(client.name, socket, packet, wire, attachments, kind, call))

    def from_remote(self, socket: Socket, packet: Packet, wire: str, attachments: list[bytes]) -> None:
        """A packet a real client sent (Engine.IO has read it): recorded and handled like a simulated one."""
        kind: Kind = _KINDS.get(packet.type, "event")
        self.later(
            lambda: self._deliver_to_server(
                socket.name, socket, packet, wire, attachments, kind, f"{socket.name}.{_CALLS[kind]}"
            )
        )
        self.pump()

    def _deliver_to_server(
        self,
        name: str,
        socket: Socket | None,
        packet: Packet,
        wire: str,
        attachments: list[bytes],
        kind: Kind,
        call: str,
    ) -> None:
        pattern = "client.emit" if kind == "event" else kind
        self.record(kind, name, None, pattern, call, (SERVER,), wire, note=_note(attachments))
        if socket is None:
            return
        data = _decoder(packet, wire, attachments)
        if kind == "disconnect":
            socket.handle_close("client namespace disconnect")
        elif kind == "ack":
            socket.handle_ack(packet.id or 0, data())
        else:
            event, *args = data()
            socket.handle_event(event, args, packet.id)


_KINDS: dict[PacketType, Kind] = {
    PacketType.EVENT: "event",
    PacketType.BINARY_EVENT: "event",
    PacketType.ACK: "ack",
    PacketType.BINARY_ACK: "ack",
    PacketType.DISCONNECT: "disconnect",
    PacketType.CONNECT: "connect",
}
_CALLS = {"event": "emit", "ack": "acks", "disconnect": "disconnect", "connect": "connect"}


def _note(attachments: list[bytes], extra: str = "") -> str:
    parts = []
    if attachments:
        parts.append(f"+ {len(attachments)} binary attachment{'s' if len(attachments) > 1 else ''}")
    if extra:
        parts.append(extra)
    return "; ".join(parts)


def _decoder(packet: Packet, wire: str, attachments: list[bytes]) -> Callable[[], list[Any]]:
    """The receiver's side of JSON: each recipient gets what the wire carried.

    A payload of only strings, numbers, booleans and null is decoded once and shared
    (nothing in it can be changed); one with arrays, objects or binary attachments is
    decoded afresh for each recipient, so a listener that changes its copy changes
    nobody else's.
    """
    start = wire.find("[")
    if start < 0:
        return lambda: []
    text = wire[start:]
    data = json.loads(text)
    if attachments:
        return lambda: reconstruct(json.loads(text), attachments)
    if any(isinstance(item, (list, dict)) for item in data):
        return lambda: json.loads(text)
    return lambda: list(data)
