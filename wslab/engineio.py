"""Engine.IO v4, sans-I/O: packets, polling payloads, request checks and the session state machine.

Engine.IO (engine.io-protocol, version 4) is the layer under Socket.IO. It
carries packets over two transports, HTTP long-polling and WebSocket, and keeps
each connection alive with a heartbeat. A packet is one character for its type
and then its data::

    0 open  1 close  2 ping  3 pong  4 message  5 upgrade  6 noop

Over WebSocket each packet is one frame (``4hello`` in a text frame, binary data
as-is in a binary frame). Over polling, packets are joined with the record
separator ``\\x1e`` and binary data is written ``b`` + base64 ("Packet encoding").

Nothing here does I/O: the transport (`wslab.engineio_net`) reads the bytes,
gives them to a `Session` and writes what the session says; time is passed in
as numbers, so every rule is testable without sockets or clocks.
"""

from __future__ import annotations

import base64
import binascii
import enum
import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "PROTOCOL",
    "SEPARATOR",
    "PacketType",
    "Packet",
    "encode_packet",
    "decode_packet",
    "encode_payload",
    "decode_payload",
    "ErrorCode",
    "EngineIOError",
    "PacketError",
    "verify_request",
    "open_payload",
    "Session",
    "SessionState",
    "CloseReason",
    "new_sid",
    "DEFAULTS",
    "packets_in",
    "describe_packet",
]

PROTOCOL = "4"
"""The ``EIO`` query value of this protocol version."""

SEPARATOR = "\x1e"
"""The record separator joining packets in a polling payload (v4; v3 used ``<length>:``)."""

TransportName = Literal["polling", "websocket"]
TRANSPORTS: tuple[TransportName, ...] = ("polling", "websocket")

DEFAULTS = {"ping_interval": 25.0, "ping_timeout": 20.0, "max_payload": 1_000_000, "upgrade_timeout": 10.0}
"""The JavaScript server's defaults (engine.io ``server.ts``): pingInterval 25000 ms, pingTimeout 20000 ms,
maxHttpBufferSize 1e6 bytes, upgradeTimeout 10000 ms. Times here are in seconds."""


class PacketType(enum.IntEnum):
    """Engine.IO v4 packet types ("Protocol", the packet type table)."""

    OPEN = 0  # server -> client: the handshake, with its JSON payload
    CLOSE = 1  # the transport can be closed
    PING = 2  # v4: the server pings ...
    PONG = 3  # ... and the client answers
    MESSAGE = 4  # the payload (a Socket.IO packet, for Socket.IO)
    UPGRADE = 5  # client: "switch to the WebSocket now"
    NOOP = 6  # server: ends a pending poll during an upgrade


@dataclass(frozen=True)
class Packet:
    """One Engine.IO packet: its type and its data (text, bytes for binary, or None)."""

    type: PacketType
    data: str | bytes | None = None

    def __repr__(self) -> str:
        return f"Packet({self.type.name}, {self.data!r})"


class PacketError(ValueError):
    """Bytes that are not an Engine.IO packet: ``text`` is what arrived, ``rule`` what it broke."""

    def __init__(self, message: str, *, text: str | bytes, rule: str) -> None:
        self.text = text
        self.rule = rule
        super().__init__(f"{message} (engine.io-protocol v4, {rule})")


def encode_packet(packet: Packet) -> str | bytes:
    """The packet as one WebSocket message: text ``<type><data>``, or binary data as-is ("Packet encoding")."""
    if isinstance(packet.data, (bytes, bytearray)):
        if packet.type is not PacketType.MESSAGE:
            raise ValueError("only message packets carry binary data")
        return bytes(packet.data)
    return f"{int(packet.type)}{packet.data or ''}"


def decode_packet(data: str | bytes) -> Packet:
    """One packet from one WebSocket message; a binary message is a binary ``message`` packet."""
    if isinstance(data, (bytes, bytearray)):
        return Packet(PacketType.MESSAGE, bytes(data))
    if not data or data[0] not in "0123456":
        raise PacketError(f"{_show(data)} does not start with a packet type 0-6", text=data, rule="Protocol")
    return Packet(PacketType(int(data[0])), data[1:] if len(data) > 1 else None)


def encode_payload(packets: list[Packet]) -> str:
    """Packets for one HTTP long-polling body: joined with ``\\x1e``; binary as ``b`` + base64."""
    parts = []
    for packet in packets:
        if isinstance(packet.data, (bytes, bytearray)):
            parts.append("b" + base64.b64encode(packet.data).decode("ascii"))
        else:
            parts.append(f"{int(packet.type)}{packet.data or ''}")
    return SEPARATOR.join(parts)


def decode_payload(body: str) -> list[Packet]:
    """The packets of one polling body (a POST's): split at ``\\x1e``, ``b...`` decoded from base64."""
    if not body:
        raise PacketError(
            "the body is empty: a payload has at least one packet", text=body, rule="Packet encoding, HTTP long-polling"
        )
    packets = []
    for part in body.split(SEPARATOR):
        if part.startswith("b"):
            try:
                packets.append(Packet(PacketType.MESSAGE, base64.b64decode(part[1:], validate=True)))
            except binascii.Error:
                raise PacketError(
                    f"{_show(part)} starts with 'b' but the rest is not base64",
                    text=part,
                    rule="Packet encoding, HTTP long-polling",
                ) from None
        else:
            packets.append(decode_packet(part))
    return packets


def _show(data: str | bytes, limit: int = 40) -> str:
    text = repr(data)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- errors a request can cause (the JavaScript server's `Server.errors`) -------------


class ErrorCode(enum.IntEnum):
    """Engine.IO's error codes, as its server writes them in ``{"code":N,"message":"..."}``."""

    UNKNOWN_TRANSPORT = 0
    UNKNOWN_SID = 1
    BAD_HANDSHAKE_METHOD = 2
    BAD_REQUEST = 3
    FORBIDDEN = 4
    UNSUPPORTED_PROTOCOL_VERSION = 5

    @property
    def message(self) -> str:
        return _MESSAGES[self]


_MESSAGES = {
    ErrorCode.UNKNOWN_TRANSPORT: "Transport unknown",
    ErrorCode.UNKNOWN_SID: "Session ID unknown",
    ErrorCode.BAD_HANDSHAKE_METHOD: "Bad handshake method",
    ErrorCode.BAD_REQUEST: "Bad request",
    ErrorCode.FORBIDDEN: "Forbidden",
    ErrorCode.UNSUPPORTED_PROTOCOL_VERSION: "Unsupported protocol version",
}


class EngineIOError(Exception):
    """A request the server refuses, with what the JavaScript server answers.

    ``code`` is the Engine.IO error code, ``status`` the HTTP status (403 for
    FORBIDDEN, 400 for the rest), ``detail`` says what was wrong in this request,
    ``body()`` is the JSON the server sends to a polling request. A refused
    WebSocket upgrade gets ``400 Bad Request`` with ``message`` as a text body.
    """

    def __init__(
        self, code: ErrorCode, detail: str, *, message: str | None = None, status: int | None = None, rule: str = ""
    ) -> None:
        self.code = ErrorCode(code)
        self.detail = detail
        self.message = message or self.code.message
        self.status = status or (403 if self.code is ErrorCode.FORBIDDEN else 400)
        self.rule = rule
        super().__init__(f"{self.message} (code {int(self.code)}, HTTP {self.status}): {detail}")

    def body(self) -> str:
        """``{"code":N,"message":"..."}``, as the JavaScript server's ``abortRequest`` writes it."""
        return json.dumps({"code": int(self.code), "message": self.message}, separators=(",", ":"))


def verify_request(
    method: str,
    query: Mapping[str, str],
    *,
    upgrade: bool,
    transports: tuple[str, ...] = TRANSPORTS,
    session: Session | None = None,
) -> None:
    """The JavaScript server's checks of a request to the Engine.IO path, in its order (``verify``,
    ``handshake``). ``upgrade``: the request asks for a WebSocket upgrade. ``session``: the one its
    ``sid`` names, if the server knows it. Raises EngineIOError."""
    transport = query.get("transport")
    if transport not in transports:
        raise EngineIOError(
            ErrorCode.UNKNOWN_TRANSPORT,
            f"transport={transport!r}; this server offers {', '.join(transports)}",
            rule="Transports: the transport query parameter is mandatory",
        )
    sid = query.get("sid")
    if sid:
        if session is None:
            raise EngineIOError(
                ErrorCode.UNKNOWN_SID,
                f"no session has sid {sid!r} (closed, or never opened)",
                rule="the server MUST return an HTTP 400 response if the session ID is not known",
            )
        if not upgrade and session.transport != transport:
            raise EngineIOError(
                ErrorCode.BAD_REQUEST,
                f"session {sid} uses {session.transport}, this request says transport={transport}",
                rule="TRANSPORT_MISMATCH",
            )
        return
    if method != "GET":
        raise EngineIOError(
            ErrorCode.BAD_HANDSHAKE_METHOD, f"a handshake is a GET request, this one is {method}", rule="Handshake"
        )
    if transport == "websocket" and not upgrade:
        raise EngineIOError(
            ErrorCode.BAD_REQUEST,
            "transport=websocket but the request is not a WebSocket upgrade",
            rule="TRANSPORT_HANDSHAKE_ERROR",
        )
    if query.get("EIO") != PROTOCOL:
        raise EngineIOError(
            ErrorCode.UNSUPPORTED_PROTOCOL_VERSION,
            f"EIO={query.get('EIO')!r}; this server speaks Engine.IO v4 (EIO=4)",
            rule="Transports: the EIO query parameter is mandatory",
        )


def new_sid() -> str:
    """A 20-character session id like the JavaScript server's (base64id: 15 random bytes, URL-safe base64)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(15)).decode("ascii")


def open_payload(sid: str, *, upgrades: list[str], ping_interval: float, ping_timeout: float, max_payload: int) -> str:
    """The JSON of the ``open`` packet (Handshake): times in milliseconds, in the JavaScript server's key order."""
    return json.dumps(
        {
            "sid": sid,
            "upgrades": upgrades,
            "pingInterval": round(ping_interval * 1000),
            "pingTimeout": round(ping_timeout * 1000),
            "maxPayload": max_payload,
        },
        separators=(",", ":"),
    )


# --- the session ------------------------------------------------------------------------


class SessionState(enum.Enum):
    OPEN = "open"
    CLOSING = "closing"  # close() called: what is buffered still goes out
    CLOSED = "closed"


CloseReason = Literal[
    "transport close",
    "transport error",
    "ping timeout",
    "parse error",
    "forced close",
    "server shutting down",
    "client close",
]
"""Why a session ended, as the JavaScript server's engine socket names it (``socket.ts`` ``onClose``)."""


@dataclass
class Session:
    """One Engine.IO session: what it must send, what it received, and its heartbeat.

    The transport calls ``receive(packet, now)`` with every packet that arrives,
    ``tick(now)`` when ``deadline()`` has come, and sends what ``take(...)`` hands
    it. ``on_message(data)`` and ``on_close(reason)`` are the layer above
    (Socket.IO). The heartbeat (Heartbeat, v4): every ``ping_interval`` the
    server sends ``2``; the client must answer ``3`` within ``ping_timeout``, or
    the session closes with reason ``ping timeout``.
    """

    sid: str
    transport: TransportName
    now: float
    ping_interval: float = DEFAULTS["ping_interval"]
    ping_timeout: float = DEFAULTS["ping_timeout"]
    max_payload: int = int(DEFAULTS["max_payload"])
    upgrade_timeout: float = DEFAULTS["upgrade_timeout"]
    upgrades: list[str] = field(default_factory=list)
    max_buffer: int = 0  # bytes waiting to be sent beyond which the session closes (0: 16 x max_payload)
    on_message: Callable[[str | bytes], None] | None = None
    on_close: Callable[[str], None] | None = None
    on_packet: Callable[[str, Packet], None] | None = None  # ("sent" / "received", packet): for the trace
    on_output: Callable[[], None] | None = None  # something was queued: the transport should send it

    def __post_init__(self) -> None:
        self.state = SessionState.OPEN
        self.close_reason: str | None = None
        self.buffer: list[Packet] = []
        self._buffered = 0
        self._next_ping = self.now + self.ping_interval
        self._pong_due: float | None = None
        self.upgrading = False  # a WebSocket sent 2probe and was answered 3probe
        self._upgrade_due: float | None = None
        self.max_buffer = self.max_buffer or 16 * self.max_payload
        self.send(
            Packet(
                PacketType.OPEN,
                open_payload(
                    self.sid,
                    upgrades=self.upgrades,
                    ping_interval=self.ping_interval,
                    ping_timeout=self.ping_timeout,
                    max_payload=self.max_payload,
                ),
            )
        )

    # --- sending ---------------------------------------------------------------------

    def send(self, packet: Packet) -> None:
        """Queue a packet for the client. A client that does not take what it is sent cannot make the
        queue grow without bound: beyond ``max_buffer`` bytes the session closes (``transport error``)."""
        if self.state is SessionState.CLOSED:
            return
        self.buffer.append(packet)
        self._buffered += len(packet.data or "")
        if self.on_packet is not None:
            self.on_packet("sent", packet)
        if self._buffered > self.max_buffer:
            self.buffer.clear()
            self._close("transport error")
        elif self.on_output is not None:
            self.on_output()

    def message(self, data: str | bytes) -> None:
        """Send one ``message`` packet (a Socket.IO packet, or one of its binary attachments)."""
        self.send(Packet(PacketType.MESSAGE, data))

    def take(self) -> list[Packet]:
        """Everything queued, oldest first, for one poll response or a run of WebSocket frames."""
        packets, self.buffer, self._buffered = self.buffer, [], 0
        return packets

    def close(self, reason: str = "forced close") -> None:
        """Close from the server side: over polling a ``1`` packet tells the client; over WebSocket the
        transport just closes (as the JavaScript server does). What is already queued still goes out."""
        if self.state is SessionState.OPEN:
            self.state = SessionState.CLOSING
            self.close_reason = reason
            if self.transport == "polling":
                self.send(Packet(PacketType.CLOSE))
            elif self.on_output is not None:
                self.on_output()  # nothing to queue over WebSocket: the transport closes after what is queued

    def closed(self, reason: str) -> None:
        """The transport is gone (TCP closed, a poll failed ...): the session ends with ``reason``."""
        self._close(reason)

    def _close(self, reason: str) -> None:
        if self.state is SessionState.CLOSED:
            return
        self.state = SessionState.CLOSED
        self.close_reason = self.close_reason or reason  # the server's own reason, if it closed first
        self._pong_due = self._upgrade_due = None
        if self.on_close is not None:
            self.on_close(self.close_reason)

    # --- receiving -------------------------------------------------------------------

    def receive(self, packet: Packet, now: float) -> None:
        """A packet from the client (``socket.ts`` ``onPacket``)."""
        if self.state is SessionState.CLOSED:
            return
        if self.on_packet is not None:
            self.on_packet("received", packet)
        if packet.type is PacketType.PONG:
            self._pong_due = None
            self._next_ping = now + self.ping_interval
        elif packet.type is PacketType.MESSAGE:
            if self.on_message is not None and packet.data is not None:
                self.on_message(packet.data)
        elif packet.type is PacketType.CLOSE:
            self._close("transport close")
        elif packet.type is PacketType.PING:
            self._close("transport error")  # v4: "invalid heartbeat direction" (the server pings)
        else:  # open, upgrade, noop are the server's packets (upgrade comes on the new transport)
            self._close("parse error")

    # --- the upgrade (Upgrade) -------------------------------------------------------------

    def probe(self, packet: Packet, now: float) -> Packet | None:
        """A packet on the WebSocket that is upgrading this session: ``2probe`` gets ``3probe`` back, ``5``
        completes the upgrade (True is returned as ``None``; the caller switches). Anything else aborts it."""
        if self.on_packet is not None:
            self.on_packet("received", packet)
        if packet.type is PacketType.PING and packet.data == "probe" and not self.upgrading:
            self.upgrading = True
            self._upgrade_due = now + self.upgrade_timeout
            answer = Packet(PacketType.PONG, "probe")  # the caller sends it on the probing WebSocket
            if self.on_packet is not None:
                self.on_packet("sent", answer)
            if self.transport == "polling":
                self.send(Packet(PacketType.NOOP))  # ends the pending GET at once: the client can upgrade
            return answer
        if packet.type is PacketType.UPGRADE and self.upgrading:
            self.upgrading = False
            self._upgrade_due = None
            self.transport = "websocket"
            return None
        raise PacketError(f"{packet!r} during the upgrade; expected 2probe, then 5", text=str(packet), rule="Upgrade")

    # --- time ------------------------------------------------------------------------

    def deadline(self) -> float | None:
        """When ``tick`` must next be called."""
        if self.state is SessionState.CLOSED:
            return None
        times = [t for t in (self._pong_due, self._upgrade_due) if t is not None]
        if self._pong_due is None:
            times.append(self._next_ping)
        return min(times)

    def tick(self, now: float) -> bool:
        """Time has passed: send the next ping, or close on a missing pong. Returns False once the
        upgrade timed out (the transport then drops the probing WebSocket)."""
        if self.state is SessionState.CLOSED:
            return True
        if self._upgrade_due is not None and now >= self._upgrade_due:
            self.upgrading = False
            self._upgrade_due = None
            return False
        if self._pong_due is not None:
            if now >= self._pong_due:
                self._close("ping timeout")
        elif now >= self._next_ping:
            self.send(Packet(PacketType.PING))
            self._pong_due = now + self.ping_timeout
        return True


# --- reading captured bytes (for the wire tap) ---------------------------------------------


def packets_in(data: str | bytes, *, polling: bool) -> list[Packet]:
    """The Engine.IO packets in one captured item: a WebSocket message (text, or binary = one binary
    ``message``), or a polling body (``polling=True``: packets joined by ``\\x1e``). Text that is not
    Engine.IO gives an empty list (a tap only watches; it never raises)."""
    try:
        if polling:
            text = data.decode("utf-8") if isinstance(data, (bytes, bytearray)) else data
            return decode_payload(text) if text not in ("", "ok") else []
        return [decode_packet(data)]
    except (PacketError, UnicodeDecodeError):
        return []


def describe_packet(packet: Packet) -> str:
    """One line for a picture or a tap: ``ping``, ``pong probe``, ``message 2["chat","hi"]``, ``message <3 bytes>``."""
    name = packet.type.name.lower()
    if isinstance(packet.data, bytes):
        return f"{name} <{len(packet.data)} bytes>"
    return f"{name} {packet.data}" if packet.data else name
