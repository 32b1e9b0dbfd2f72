"""A WebSocket byte stream decoded the way its receiver reads it, sans-I/O.

A TCP connection carries two byte streams, client -> server and server ->
client, which arrive in chunks of any size. `StreamDecoder` decodes one of
them incrementally (RFC 6455 §4, §5):

1. the HTTP head (the opening handshake, §4.1 / §4.2.2), up to the blank line
   ``\\r\\n\\r\\n`` (`wslab.handshake.split_head`, with its MAX_HEAD bound);
2. after it, frames, read with `wslab.frames.FrameParser` in the receiver's
   role: client -> server frames as a server reads them (they MUST be masked),
   server -> client frames as a client reads them (they MUST NOT be, §5.1).

A broken frame becomes an "error" item, never an exception: a tap only watches.
`TapEntry` is one decoded item; `wslab.tap.Tap` records entries from real
connections, `wslab.viz.tap` draws them.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final, Literal

from wslab.codes import Opcode, close_code_name
from wslab.errors import HandshakeError, ProtocolError
from wslab.frames import Frame, FrameParser, Header, Role, header_size, parse_close, parse_header
from wslab.handshake import split_head

__all__ = [
    "TapEntry",
    "StreamDecoder",
    "describe",
    "summary",
    "preview",
    "wire_size",
    "CLIENT_TO_SERVER",
    "SERVER_TO_CLIENT",
    "Direction",
    "Kind",
]

Direction = Literal["client->server", "server->client"]
CLIENT_TO_SERVER: Final = "client->server"
SERVER_TO_CLIENT: Final = "server->client"
Kind = Literal["http", "body", "frame", "error", "data", "eof"]


@dataclass(frozen=True)
class TapEntry:
    """One item seen on the wire, in the order the tap saw it.

    kind: "http" (a handshake head), "body" (the HTTP body of a refused handshake),
    "frame", "error" (bytes that break a rule), "data" (bytes after an error, not decoded),
    "eof" (the sender closed its side of TCP; relay only).
    `data` holds exactly the bytes of this item as they were on the wire.
    `time` is seconds since the tap started: real, so it changes every run.
    """

    number: int
    connection: str
    direction: Direction
    kind: Kind
    data: bytes
    time: float = field(compare=False)
    frame: Frame | None = None
    header: Header | None = None
    error: Exception | None = None

    @property
    def sender(self) -> str:
        """ "client" or "server"."""
        return self.direction.split("->")[0]

    @property
    def opcode(self) -> Opcode | int | None:
        return self.frame.opcode if self.frame is not None else None

    @property
    def masked(self) -> bool | None:
        return self.header.masked if self.header is not None else None

    @property
    def mask_key(self) -> bytes | None:
        return self.header.mask_key if self.header is not None else None

    @property
    def head(self) -> str:
        """The text of an HTTP head (kind "http")."""
        return self.data.decode("latin-1") if self.kind == "http" else ""

    def text(self, hide: Iterable[str] = ()) -> str:
        """An HTTP head or body as text; the values of the headers named in `hide`
        are replaced (e.g. the random Sec-WebSocket-Key, to keep a page stable)."""
        if self.kind not in ("http", "body"):
            return ""
        text = self.data.decode("utf-8", "replace")
        hidden = {name.lower() for name in hide}
        lines = [
            f"{line.partition(':')[0]}: (not shown)" if line.partition(":")[0].strip().lower() in hidden else line
            for line in text.split("\r\n")
        ]
        return "\n".join(lines)

    @property
    def close(self) -> tuple[int | None, str] | None:
        """(code, reason) of a Close frame, else None."""
        if self.frame is None or self.frame.opcode != Opcode.CLOSE:
            return None
        return parse_close(self.frame.payload)

    def describe(self) -> str:
        """One line saying what this entry is, e.g. ``TEXT 'hi' (2 bytes)``."""
        return describe(self)

    def __repr__(self) -> str:
        return f"<#{self.number} {self.connection} {self.direction} {self.describe()}>"


def describe(entry: TapEntry) -> str:
    """A short deterministic description of an entry (no times, no addresses)."""
    if entry.kind == "http":
        return entry.head.split("\r\n", 1)[0]
    if entry.kind == "eof":
        return "end of stream (TCP FIN)"
    if entry.kind == "data":
        return f"{len(entry.data)} bytes after an error, not decoded"
    if entry.kind == "body":
        return f"HTTP body ({len(entry.data)} bytes)"
    if entry.kind == "error":
        return f"bad bytes: {entry.error}"
    frame = entry.frame
    assert frame is not None, "an entry of kind 'frame' has its frame"
    name = frame.opcode.name if isinstance(frame.opcode, Opcode) else f"opcode {frame.opcode:#x}"
    parts = [name if frame.fin else f"{name} (FIN=0)", summary(frame)]
    size = len(frame.payload)
    parts.append(f"({size} byte{'' if size == 1 else 's'}{', masked' if entry.masked else ''})")
    return " ".join(parts)


def summary(frame: Frame, limit: int = 24) -> str:
    """What a frame says, in a few words: a Close frame's code and reason, else a `preview` of its payload."""
    if frame.opcode != Opcode.CLOSE:
        return preview(frame, limit)
    code, reason = parse_close(frame.payload)
    said = close_code_name(code) if code is not None else "no code"
    return f"{said} {reason!r}" if reason else said


def preview(frame: Frame, limit: int = 24) -> str:
    """The payload as a student reads it: text for text, hex for the rest."""
    payload = frame.payload
    cut = payload[:limit]
    more = "…" if len(payload) > limit else ""
    if frame.opcode in (Opcode.TEXT, Opcode.CONTINUATION):
        try:
            return repr(cut.decode("utf-8")) + more
        except UnicodeDecodeError:
            pass  # not valid UTF-8 (or cut mid-character): show the bytes
    if frame.opcode in (Opcode.PING, Opcode.PONG):
        return repr(cut) + more
    return (cut.hex(" ") or "-") + more


def wire_size(frame: Frame, *, masked: bool) -> int:
    """Bytes a valid frame takes on the wire: its header (`wslab.frames.header_size`) and payload (§5.2)."""
    return header_size(len(frame.payload), masked=masked) + len(frame.payload)


class _Reading(enum.Enum):
    """What the next bytes of a stream are, for its receiver."""

    HEAD = "head"  # the HTTP head of the opening handshake (§4)
    FRAMES = "frames"  # WebSocket frames (§5)
    BODY = "body"  # the HTTP body of a refused handshake, to the end of the stream: not frames (§4.1)
    MESSAGE_BODY = "message body"  # a Content-Length body; then the next head (HTTP/1.1 keep-alive)
    RAW = "raw"  # after an error: the receiver stops reading (§7.1.7), so the decoder stops decoding


class StreamDecoder:
    """Decodes one direction of one connection, however its bytes are chopped (sans-I/O).

    `feed(data)` returns the items completed by these bytes as
    ``(kind, bytes, frame, header, error)`` tuples, in order. The head is split
    off with `wslab.handshake.split_head` and frames are read with
    `wslab.frames.FrameParser` in the receiver's role, as the receiver reads them.
    """

    def __init__(self, direction: Direction) -> None:
        self.direction = direction
        # The receiver's role: a server reads client->server frames (§5.1).
        self.role: Role = "server" if direction == CLIENT_TO_SERVER else "client"
        self.state = _Reading.HEAD
        self._pending = bytearray()  # bytes fed but not yet part of an item
        self._parser = FrameParser(role=self.role)
        self.extensions = ""  # Sec-WebSocket-Extensions of a 101 response (server->client only)
        self._body_left = 0  # bytes of the current HTTP message body still to come

    def feed(self, data: bytes) -> list[tuple]:
        if self.state is _Reading.RAW:
            return [("data", bytes(data), None, None, None)] if data else []
        if self.state is _Reading.BODY:
            return [("body", bytes(data), None, None, None)] if data else []
        if self.state is _Reading.FRAMES:
            return self._read_frames(data)
        self._pending += data
        items: list[tuple] = []
        while self._pending and self.state in (_Reading.HEAD, _Reading.MESSAGE_BODY):
            if self.state is _Reading.MESSAGE_BODY:
                items += self._read_body()
                continue
            done = self._read_head()
            items += done
            if not done:
                break
        if self._pending and self.state in (_Reading.FRAMES, _Reading.BODY):
            rest, self._pending = bytes(self._pending), bytearray()
            items += self._read_frames(rest) if self.state is _Reading.FRAMES else [("body", rest, None, None, None)]
        return items

    def _read_body(self) -> list[tuple]:
        """Up to the rest of a Content-Length body (RFC 9112 §6.3); then the next head (HTTP/1.1 keep-alive)."""
        piece = bytes(self._pending[: self._body_left])
        del self._pending[: len(piece)]
        self._body_left -= len(piece)
        if self._body_left == 0:
            self.state = _Reading.HEAD
        return [("body", piece, None, None, None)]

    def _read_head(self) -> list[tuple]:
        side = "request" if self.direction == CLIENT_TO_SERVER else "response"
        try:
            split = split_head(bytes(self._pending), side=side)
        except HandshakeError as error:  # no blank line within MAX_HEAD bytes
            self.state = _Reading.RAW
            data, self._pending = bytes(self._pending), bytearray()
            return [("error", data, None, None, error)]
        if split is None:
            return []
        head, rest = split
        self._pending = bytearray(rest)
        headers = {}
        for line in head.decode("latin-1").split("\r\n")[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if self.direction == SERVER_TO_CLIENT:
            self.extensions = headers.get("sec-websocket-extensions", self.extensions)
            upgrade = head.startswith(b"HTTP/1.1 101")
        else:
            # A request without `Upgrade: websocket` is plain HTTP (Engine.IO's long polling, say): a body,
            # then the next request on the same connection. An upgrade request is followed by frames.
            upgrade = "websocket" in headers.get("upgrade", "").lower()
        if upgrade:
            self.state = _Reading.FRAMES
            return [("http", head, None, None, None)]
        # §4.1: a response other than 101 ends the WebSocket attempt; what follows is an HTTP body, not
        # frames: Content-Length bytes of it, then the next message; without a length, the rest of the stream.
        length = headers.get("content-length", "0" if self.direction == CLIENT_TO_SERVER else None)
        if length is None or not length.isdigit():
            self.state = _Reading.BODY
        elif int(length):
            self.state, self._body_left = _Reading.MESSAGE_BODY, int(length)
        return [("http", head, None, None, None)]

    def _read_frames(self, data: bytes) -> list[tuple]:
        self._pending += data
        self._parser.feed(data)
        items: list[tuple] = []
        while True:
            try:
                frame = self._parser.next_frame()
            except ProtocolError as error:
                # The parser stops at a bad frame (§7.1.7): so does decoding.
                self.state = _Reading.RAW
                bad, self._pending = bytes(self._pending), bytearray()
                items.append(("error", bad, None, None, error))
                return items
            if frame is None:
                return items
            # The frame's size on the wire: the parser enforced the minimal
            # length encoding and the masking rule of this direction (§5.2, §5.1).
            size = wire_size(frame, masked=self.role == "server")
            raw = bytes(self._pending[:size])
            del self._pending[:size]
            items.append(("frame", raw, frame, parse_header(raw), None))
