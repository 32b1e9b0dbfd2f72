"""A real client's connection: one Engine.IO session carrying Socket.IO packets (socket.io's server ``Client``).

It reads Socket.IO packets out of Engine.IO ``message`` packets (a binary event's
attachments are the binary messages that follow it), connects the client to the
namespaces it asks for, hands everything else to the `Network` like a simulated
client's packets, and writes what the server sends into the session.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from wslab import engineio
from wslab.events.errors import ConnectionRefused
from wslab.events.packets import Packet, PacketType, decode_packet, reconstruct, to_wire
from wslab.events.server import Connection, Socket
from wslab.events.trace import SERVER

if TYPE_CHECKING:
    from wslab.engineio_net import Handshake
    from wslab.events.server import Server

logger = logging.getLogger("wslab.events")

MAX_ATTACHMENTS = 1000  # a binary packet announcing more is refused (the bytes would be held until they come)


class RemoteConnection(Connection):
    """The sockets of one real client (one per namespace it joined), over one Engine.IO session."""

    remote = True

    def __init__(self, server: Server, session: engineio.Session, handshake: Handshake) -> None:
        self.server = server
        self.session = session
        self.handshake = handshake
        self.sockets: dict[str, Socket] = {}  # namespace name -> socket
        self._pending: Packet | None = None  # a binary packet waiting for its attachments
        self._pending_text = ""
        self._buffers: list[bytes] = []
        self._closed = False
        session.on_message = self._on_message
        session.on_close = self._on_close
        session.on_packet = self._trace_engine_packet
        for packet in session.buffer:  # the open packet, queued before this connection was made
            self._trace_engine_packet("sent", packet)
        self._timer = asyncio.get_running_loop().call_later(server.connect_timeout, self._connect_timeout)

    def __repr__(self) -> str:
        return f"<RemoteConnection {self.session.sid} over {self.session.transport}: {list(self.sockets)}>"

    @property
    def label(self) -> str:
        """How the trace names this client before it has a socket: its Engine.IO session id."""
        return f"eio:{self.session.sid}"

    # --- Connection -------------------------------------------------------------------

    def name(self, socket: Socket) -> str:
        return socket.id

    def carries(self, socket: Socket) -> bool:
        return not self._closed and self.sockets.get(socket.nsp.name) is socket

    def deliver(
        self, socket: Socket, packet: Packet, wire: str, attachments: list[bytes], data: Callable[[], list[Any]]
    ) -> None:
        self._write(wire, attachments)

    def joined(self) -> list[Socket]:
        return list(self.sockets.values())

    def forget(self, socket: Socket) -> None:
        if self.sockets.get(socket.nsp.name) is socket:
            del self.sockets[socket.nsp.name]

    def close(self, reason: str = "forced close") -> None:
        self.session.close(reason)

    # --- the session's callbacks ------------------------------------------------------------

    def _write(self, wire: str, attachments: list[bytes]) -> None:
        self.session.message(wire[1:])  # the Socket.IO packet, without the Engine.IO "4" that `message` adds
        for attachment in attachments:
            self.session.message(attachment)

    def _on_message(self, data: str | bytes) -> None:
        try:
            read = self._read(data)
        except (ValueError, TypeError) as error:
            # client.ts onerror: a packet that cannot be decoded closes the connection
            logger.info("%s: not a Socket.IO packet: %s", self.label, error)
            self.session.close("parse error")
            return
        if read is None:
            return
        try:
            self._dispatch(*read)
        except Exception:  # an application handler failed: say so, keep serving this client and the others
            logger.exception("%s: a handler raised", self.label)

    def _read(self, data: str | bytes) -> tuple[Packet, str, list[bytes]] | None:
        """The next whole packet (a binary one once all its attachments are here), or None."""
        if isinstance(data, bytes):
            if self._pending is None:
                raise ValueError("a binary message arrived, but no binary packet is waiting for attachments")
            self._buffers.append(data)
            if sum(map(len, self._buffers)) > self.server.max_http_buffer_size:
                raise ValueError(f"the attachments of one packet pass {self.server.max_http_buffer_size} bytes")
            if len(self._buffers) < self._pending.attachments:
                return None
            packet, buffers, text = self._pending, self._buffers, self._pending_text
            self._pending, self._buffers = None, []
            data_ = reconstruct(packet.data, buffers)
            return Packet(_plain(packet.type), data_, packet.namespace, packet.id), "4" + text, buffers
        if self._pending is not None:
            raise ValueError(
                f"a text packet {data[:40]!r} arrived while {self._pending.attachments} attachment(s) were awaited"
            )
        packet = decode_packet(data)
        if packet.type is PacketType.CONNECT_ERROR:
            raise ValueError("CONNECT_ERROR is the server's packet")
        if packet.type in (PacketType.BINARY_EVENT, PacketType.BINARY_ACK):
            if packet.attachments > MAX_ATTACHMENTS:
                raise ValueError(f"{packet.attachments} attachments announced; at most {MAX_ATTACHMENTS}")
            if packet.attachments:
                self._pending, self._pending_text = packet, data
                return None
            packet = Packet(_plain(packet.type), packet.data, packet.namespace, packet.id)
        return packet, "4" + data, []

    def _dispatch(self, packet: Packet, wire: str, attachments: list[bytes]) -> None:
        socket = self.sockets.get(packet.namespace)
        if packet.type is PacketType.CONNECT:
            if socket is None:
                self._connect(packet, wire)
        elif socket is not None:
            self.server.network.from_remote(socket, packet, wire, attachments)
        # a packet for a namespace this client has not joined is ignored (client.ts ondecoded)

    def _connect(self, packet: Packet, wire: str) -> None:
        name = packet.namespace
        self.server.network.record("connect", self.label, None, "connect", "connect", (SERVER,), wire)
        nsp = self.server.namespaces.get(name)
        if nsp is None:
            self._refuse(name, {"message": "Invalid namespace"})
            return
        handshake = copy.copy(self.handshake)

        def refuse(refused: ConnectionRefused) -> None:
            self._refuse(name, refused.payload())

        def added(socket: Socket) -> None:
            self.sockets[name] = socket
            self._timer.cancel()

        nsp.connect(self, engineio.new_sid(), packet.data if packet.data is not None else {}, handshake, refuse, added)
        self.server.network.pump()

    def _refuse(self, namespace: str, payload: dict) -> None:
        wire = to_wire(Packet(PacketType.CONNECT_ERROR, payload, namespace))
        self.server.network.record("connect_error", SERVER, None, "connect_error", "next(err)", (self.label,), wire)
        self._write(wire, [])

    def _connect_timeout(self) -> None:
        if not self.sockets and not self._closed:
            logger.info("%s: no CONNECT within connect_timeout (%ss)", self.label, self.server.connect_timeout)
            self.session.close("forced close")

    def _on_close(self, reason: str) -> None:
        """The Engine.IO session ended: every socket of this client disconnects with its reason."""
        self._closed = True
        self._timer.cancel()
        for socket in list(self.sockets.values()):
            socket.handle_close(reason)
        self.sockets.clear()
        self.server.remotes.discard(self)
        self.server.network.pump()

    def _trace_engine_packet(self, direction: str, packet: engineio.Packet) -> None:
        """Engine.IO's own packets (open, ping, pong, upgrade, noop, close) in ``io.trace``."""
        if packet.type is engineio.PacketType.MESSAGE:
            return
        text = engineio.encode_packet(packet)
        note = self.session.transport
        if direction == "sent":
            self.server.network.record(
                "engine.io", SERVER, None, packet.type.name.lower(), "engine.io", (self.label,), str(text), note=note
            )
        else:
            self.server.network.record(
                "engine.io", self.label, None, packet.type.name.lower(), "engine.io", (SERVER,), str(text), note=note
            )


def _plain(packet_type: PacketType) -> PacketType:
    return {PacketType.BINARY_EVENT: PacketType.EVENT, PacketType.BINARY_ACK: PacketType.ACK}.get(
        packet_type, packet_type
    )
