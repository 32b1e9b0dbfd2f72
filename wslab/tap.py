"""A wire tap: every byte of a WebSocket connection, recorded and decoded.

A tap sees the two byte streams of a TCP connection, client -> server and
server -> client, as they arrive in chunks of any size. Each stream is decoded
incrementally, the way its receiver reads it (RFC 6455 §4, §5):

1. the HTTP head (the opening handshake, §4.1 / §4.2.2), up to the blank line
   ``\\r\\n\\r\\n``;
2. after it, frames, read with `wslab.frames.FrameParser` in the receiver's
   role: client -> server frames as a server reads them (they MUST be masked),
   server -> client frames as a client reads them (they MUST NOT be, §5.1).

A broken frame becomes an "error" entry, never an exception: a tap only watches.

Two ways to feed a tap:

* wslab's own connections call ``tap.server_hook`` / ``tap.client_hook``
  through the ``on_bytes`` option of `wslab.net.serve` / `wslab.net.connect`;
* any other client and server (e.g. the ``websockets`` library) talk through a
  loopback TCP relay: ``async with wiretap(("127.0.0.1", 8765)) as tap:`` then
  connect to ``tap.url`` instead of the server.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field, replace
from typing import Callable, Iterable, Literal

from wslab.codes import Opcode, close_code_name
from wslab.errors import ProtocolError
from wslab.handshake import parse_uri
from wslab.frames import Frame, FrameParser, Header, header_size, parse_close, parse_header

__all__ = ["TapEntry", "StreamDecoder", "Tap", "Relay", "wiretap", "server_answer", "CLIENT_TO_SERVER",
           "SERVER_TO_CLIENT"]

CLIENT_TO_SERVER = "client->server"
SERVER_TO_CLIENT = "server->client"
Direction = Literal["client->server", "server->client"]
Kind = Literal["http", "body", "frame", "error", "data", "eof"]

END_OF_HEAD = b"\r\n\r\n"
MAX_HEAD = 16 * 1024  # the same bound a server puts on a request head


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
        """"client" or "server"."""
        return self.direction.split("->")[0]

    @property
    def opcode(self) -> Opcode | None:
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
        lines = [f"{line.partition(':')[0]}: (not shown)" if line.partition(":")[0].strip().lower() in hidden
                 else line for line in text.split("\r\n")]
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

    def diagram(self, **options: object):
        """The full frame diagram of this entry (the bytes exactly as on the wire)."""
        from wslab.viz.tap import entry_diagram

        return entry_diagram(self, **options)

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


class StreamDecoder:
    """Decodes one direction of one connection, however its bytes are chopped.

    `feed(data)` returns the items completed by these bytes as
    ``(kind, bytes, frame, header, error)`` tuples, in order.
    """

    def __init__(self, direction: Direction) -> None:
        self.direction = direction
        # The receiver's role: a server reads client->server frames (§5.1).
        self.role = "server" if direction == CLIENT_TO_SERVER else "client"
        self.state = "head"  # -> "frames", or "raw" after an error / a refused handshake
        self._pending = bytearray()  # bytes fed but not yet part of an item
        self._parser = FrameParser(role=self.role)
        self.extensions = ""  # Sec-WebSocket-Extensions of a 101 response (server->client only)

    def feed(self, data: bytes) -> list[tuple]:
        if self.state in ("raw", "body"):
            return [("data" if self.state == "raw" else "body", bytes(data), None, None, None)] if data else []
        if self.state == "frames":
            return self._read_frames(data)
        self._pending += data
        items = self._read_head()
        if self.state == "frames":
            rest, self._pending = bytes(self._pending), bytearray()
            items += self._read_frames(rest)
        return items

    def _read_head(self) -> list[tuple]:
        end = self._pending.find(END_OF_HEAD)
        if end < 0:
            if len(self._pending) > MAX_HEAD:
                self.state = "raw"
                error = ValueError(f"no end of the HTTP head (a blank line) within {MAX_HEAD} bytes")
                data, self._pending = bytes(self._pending), bytearray()
                return [("error", data, None, None, error)]
            return []
        head = bytes(self._pending[:end + len(END_OF_HEAD)])
        del self._pending[:len(head)]
        refused = self.direction == SERVER_TO_CLIENT and not head.startswith(b"HTTP/1.1 101")
        for line in head.decode("latin-1").split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "sec-websocket-extensions":
                self.extensions = value.strip()
        if not refused:
            self.state = "frames"
            return [("http", head, None, None, None)]
        # §4.1: a response other than 101 ends the WebSocket attempt; what
        # follows is an HTTP body, not frames.
        self.state = "body"
        items = [("http", head, None, None, None)]
        if self._pending:
            items.append(("body", bytes(self._pending), None, None, None))
            self._pending = bytearray()
        return items

    def _read_frames(self, data: bytes) -> list[tuple]:
        self._pending += data
        self._parser.feed(data)
        items = []
        while True:
            try:
                frame = self._parser.next_frame()
            except ProtocolError as error:
                # The parser stops at a bad frame (§7.1.7): so does decoding.
                self.state = "raw"
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


class Tap:
    """Records the bytes of connections and the entries decoded from them.

        tap = Tap()
        server = await serve(handler, on_bytes=tap.server_hook)
        ...
        tap.entries          # every TapEntry, in order
        tap.frames()         # only the frames
        tap.table()          # an HTML table; tap.sequence() the sequence diagram
    """

    def __init__(self) -> None:
        self.entries: list[TapEntry] = []
        self.chunks: list[tuple[str, Direction, bytes]] = []  # every chunk, as seen
        self._decoders: dict[tuple[str, Direction], StreamDecoder] = {}
        self._labels: dict[int, str] = {}
        self._start = time.monotonic()
        self.relay: Relay | None = None  # set by `wiretap`
        self.listeners: list[Callable[[TapEntry], None]] = []  # called with each new entry

    @property
    def url(self) -> str:
        """The relay's ws:// URL: connect here to be tapped (relay taps only)."""
        if self.relay is None:
            raise AttributeError("this tap has no relay; it is fed through on_bytes hooks")
        return self.relay.url

    @property
    def address(self) -> tuple[str, int]:
        """The relay's (host, port)."""
        if self.relay is None:
            raise AttributeError("this tap has no relay; it is fed through on_bytes hooks")
        return self.relay.address

    # --- feeding ----------------------------------------------------------

    def record(self, connection: str, direction: Direction, data: bytes) -> list[TapEntry]:
        """Take one chunk of bytes seen on `connection` going in `direction`."""
        data = bytes(data)
        self.chunks.append((connection, direction, data))
        decoder = self._decoders.get((connection, direction))
        if decoder is None:
            decoder = self._decoders[(connection, direction)] = StreamDecoder(direction)
        return [self._add(connection, direction, *self._explain(connection, item)) for item in decoder.feed(data)]

    def _explain(self, connection: str, item: tuple) -> tuple:
        """A frame with RSV1 set is legal once an extension such as permessage-deflate
        (RFC 7692) was negotiated; the tap does not decode extensions, so it says so."""
        kind, data, frame, header, error = item
        if kind != "error" or getattr(error, "field", None) not in ("RSV1", "RSV2", "RSV3"):
            return item
        response = self._decoders.get((connection, SERVER_TO_CLIENT))
        extensions = response.extensions if response is not None else ""
        if not extensions:
            return item
        note = ValueError(f"RSV bit set: the handshake negotiated the extension {extensions!r}, which the "
                          f"tap does not decode (with the websockets library, connect with compression=None)")
        return kind, data, frame, header, note

    def record_eof(self, connection: str, direction: Direction) -> TapEntry:
        """The sender in `direction` closed its side of TCP."""
        return self._add(connection, direction, "eof", b"", None, None, None)

    def server_hook(self, ws: object, direction: str, data: bytes) -> None:
        """`on_bytes` for `wslab.net.serve`: "received" there means client -> server."""
        self.record(self._label(ws), CLIENT_TO_SERVER if direction == "received" else SERVER_TO_CLIENT, data)

    def client_hook(self, ws: object, direction: str, data: bytes) -> None:
        """`on_bytes` for `wslab.net.connect`: "sent" there means client -> server."""
        self.record(self._label(ws), CLIENT_TO_SERVER if direction == "sent" else SERVER_TO_CLIENT, data)

    def _label(self, ws: object) -> str:
        label = getattr(ws, "id", None)
        if label is None:
            label = self._labels.setdefault(id(ws), f"c{len(self._labels) + 1}")
        return str(label)

    def _add(self, connection, direction, kind, data, frame, header, error) -> TapEntry:
        entry = TapEntry(len(self.entries) + 1, connection, direction, kind, data,
                         time.monotonic() - self._start, frame, header, error)
        self.entries.append(entry)
        for listener in list(self.listeners):
            listener(entry)
        return entry

    # --- reading ----------------------------------------------------------

    def bytes(self, connection: str | None = None, direction: Direction = CLIENT_TO_SERVER) -> bytes:
        """Every byte seen going in `direction` (on one connection, or all), in order."""
        return b"".join(data for conn, d, data in self.chunks
                        if d == direction and (connection is None or conn == connection))

    def frames(self, connection: str | None = None) -> list[TapEntry]:
        return [e for e in self.select(connection) if e.kind == "frame"]

    def select(self, connection: str | None = None, kinds: Iterable[str] | None = None) -> list[TapEntry]:
        kinds = set(kinds) if kinds is not None else None
        return [e for e in self.entries
                if (connection is None or e.connection == connection) and (kinds is None or e.kind in kinds)]

    def only(self, connection: str) -> list[TapEntry]:
        """The entries of one connection, numbered again from #1.

        Across several TCP connections the order in which a relay reads them is
        up to the OS; within one connection it is fixed by the protocol. So a
        page that must look the same every run shows one connection at a time.
        """
        return [replace(e, number=i) for i, e in enumerate(self.select(connection), start=1)]

    @property
    def connections(self) -> list[str]:
        """Connection labels in the order they first appeared."""
        return list(dict.fromkeys(conn for conn, _, _ in self.chunks))

    def __getitem__(self, number: int) -> TapEntry:
        """``tap[3]`` is entry #3 (numbers start at 1, as in the table)."""
        return self.entries[number - 1]

    def __len__(self) -> int:
        return len(self.entries)

    def clear(self) -> None:
        """Forget the entries so far (numbering starts again at #1); decoding continues."""
        self.entries.clear()
        self.chunks.clear()

    async def wait_for(self, predicate: Callable[["Tap"], bool] | int, timeout: float = 5.0) -> None:
        """Wait until `predicate(tap)` is true, or until the tap holds that many entries.

        Bytes arrive on the event loop after a send returns; a cell awaits this
        before it prints, so what it shows is complete.
        """
        if isinstance(predicate, int):
            count = predicate
            predicate = lambda tap: len(tap.entries) >= count  # noqa: E731
        deadline = time.monotonic() + timeout
        while not predicate(self):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the tap did not see what was expected within {timeout} s "
                                   f"({len(self.entries)} entries so far)")
            await asyncio.sleep(0.005)

    async def settle(self, quiet: float = 0.05, timeout: float = 5.0) -> None:
        """Wait until no new bytes arrived for `quiet` seconds."""
        deadline = time.monotonic() + timeout
        seen = -1
        while seen != len(self.chunks) and time.monotonic() < deadline:
            seen = len(self.chunks)
            await asyncio.sleep(quiet)

    # --- pictures ---------------------------------------------------------

    def table(self, connection: str | None = None, **options: object):
        """The entries as an HTML table (`wslab.viz.tap.tap_table`)."""
        from wslab.viz.tap import tap_table

        return tap_table(self.select(connection), **options)

    def sequence(self, connection: str | None = None, **options: object):
        """The exchange as a sequence diagram (`wslab.viz.tap.sequence_diagram`)."""
        from wslab.viz.tap import sequence_diagram

        return sequence_diagram(self.select(connection), **options)

    def _repr_html_(self) -> str:
        return self.table()._repr_html_()

    def __repr__(self) -> str:
        return f"<Tap: {len(self.entries)} entries on {len(self.connections)} connection(s)>"


# --- the relay: a tap for clients and servers wslab does not drive --------------

class Relay:
    """A loopback TCP relay that passes bytes through unchanged and shows them to a `Tap`.

    The client connects to the relay (`.host`, `.port`, `.url`); for each such
    connection the relay opens one to the target and copies bytes both ways,
    chunk by chunk, recording each chunk before it forwards it. It never
    changes, adds or drops a byte: a handshake made through it is the one the
    client and the server really exchanged (the Host header names the relay).
    """

    def __init__(self, target: tuple[str, int] | str, tap: Tap | None = None, *, host: str = "127.0.0.1") -> None:
        self.target_host, self.target_port, self.path = _target(target)
        self.tap = tap if tap is not None else Tap()
        self.host = host
        self.port: int | None = None
        self._server: asyncio.base_events.Server | None = None
        self._tasks: set[asyncio.Task] = set()
        self._count = 0

    @property
    def url(self) -> str:
        """The ws:// URL to connect to instead of the target's."""
        return f"ws://{self.host}:{self.port}{self.path}"

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    async def start(self) -> "Relay":
        self._server = await asyncio.start_server(self._accept, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        """Stop accepting, and end every relayed connection."""
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def __aenter__(self) -> Tap:
        await self.start()
        return self.tap

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self._tasks.add(task)
        self._count += 1
        label = f"c{self._count}"
        try:
            try:
                server_reader, server_writer = await asyncio.open_connection(self.target_host, self.target_port)
            except OSError:
                client_writer.close()
                return
            await asyncio.gather(
                self._pump(label, CLIENT_TO_SERVER, client_reader, server_writer),
                self._pump(label, SERVER_TO_CLIENT, server_reader, client_writer),
            )
            for writer in (client_writer, server_writer):
                writer.close()
        finally:
            self._tasks.discard(task)

    async def _pump(self, label: str, direction: Direction, reader: asyncio.StreamReader,
                    writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                self.tap.record(label, direction, data)
                writer.write(data)
                await writer.drain()
            self.tap.record_eof(label, direction)
            if writer.can_write_eof():
                writer.write_eof()  # pass the half-close on: the peer sees the same FIN
        except (ConnectionError, OSError):
            writer.close()


def _target(target: tuple[str, int] | str) -> tuple[str, int, str]:
    if isinstance(target, str):
        if target.startswith("http://"):
            target = "ws://" + target[len("http://"):]
        uri = parse_uri(target)
        if uri.secure:
            raise ValueError("the relay speaks plain TCP: use a ws:// URL, not wss://")
        return uri.host, uri.port, uri.resource_name
    host, port = target
    return host, int(port), "/"


def wiretap(target: tuple[str, int] | str, tap: Tap | None = None) -> Relay:
    """``async with wiretap(target) as tap:`` a relay to `target`, recorded by `tap`.

    `target` is ``(host, port)`` or a ``ws://`` URL. Inside the block connect to
    ``tap.relay.url`` (also ``tap.url``): the tap records both directions.
    """
    relay = Relay(target, tap)
    relay.tap.relay = relay
    return relay


async def server_answer(url: str, data: bytes, *, timeout: float = 5.0) -> tuple[int | None, str]:
    """What a server answers to raw bytes: open a plain TCP connection, make a
    valid handshake (§4.1), send `data` exactly as given, and return the
    ``(code, reason)`` of the server's Close frame (None, "" if it sent none).

    Real clients only send valid frames; this is how a lesson sends a broken one.
    """
    from wslab.probe import Probe

    probe = await Probe.open(url)
    try:
        await probe.handshake()
        await probe.send(data)
        return await probe.read_close(timeout)
    except EOFError:
        return None, ""
    finally:
        await probe.close()
