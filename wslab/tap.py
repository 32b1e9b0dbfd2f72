"""A wire tap: every byte of a WebSocket connection, recorded and decoded.

The decoding is sans-I/O, in `wslab.stream` (one `StreamDecoder` per direction
of each connection, reading as that direction's receiver does); this module
feeds it real bytes. A broken frame becomes an "error" entry, never an
exception: a tap only watches. The pictures of what it saw are functions of
`wslab.viz.tap`: ``tap_table(tap)``, ``sequence_diagram(tap)``, ``entry_diagram(tap[2])``.

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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace

from wslab.handshake import parse_uri
from wslab.stream import (
    CLIENT_TO_SERVER,
    SERVER_TO_CLIENT,
    Direction,
    StreamDecoder,
    TapEntry,
    describe,
    preview,
    summary,
    wire_size,
)

__all__ = [
    "TapEntry",
    "StreamDecoder",
    "Tap",
    "Relay",
    "wiretap",
    "server_answer",
    "CLIENT_TO_SERVER",
    "SERVER_TO_CLIENT",
    "describe",
    "preview",
    "summary",
    "wire_size",
]


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
        note = ValueError(
            f"RSV bit set: the handshake negotiated the extension {extensions!r}, which the "
            f"tap does not decode (with the websockets library, connect with compression=None)"
        )
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
        entry = TapEntry(
            len(self.entries) + 1,
            connection,
            direction,
            kind,
            data,
            time.monotonic() - self._start,
            frame,
            header,
            error,
        )
        self.entries.append(entry)
        for listener in list(self.listeners):
            listener(entry)
        return entry

    # --- reading ----------------------------------------------------------

    def bytes(self, connection: str | None = None, direction: Direction = CLIENT_TO_SERVER) -> bytes:
        """Every byte seen going in `direction` (on one connection, or all), in order."""
        return b"".join(
            data for conn, d, data in self.chunks if d == direction and (connection is None or conn == connection)
        )

    def frames(self, connection: str | None = None) -> list[TapEntry]:
        return [e for e in self.select(connection) if e.kind == "frame"]

    def select(self, connection: str | None = None, kinds: Iterable[str] | None = None) -> list[TapEntry]:
        kinds = set(kinds) if kinds is not None else None
        return [
            e
            for e in self.entries
            if (connection is None or e.connection == connection) and (kinds is None or e.kind in kinds)
        ]

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

    async def wait_for(self, predicate: Callable[[Tap], bool] | int, timeout: float = 5.0) -> None:
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
                raise TimeoutError(
                    f"the tap did not see what was expected within {timeout} s ({len(self.entries)} entries so far)"
                )
            await asyncio.sleep(0.005)

    async def settle(self, quiet: float = 0.05, timeout: float = 5.0) -> None:
        """Wait until no new bytes arrived for `quiet` seconds."""
        deadline = time.monotonic() + timeout
        seen = -1
        while seen != len(self.chunks) and time.monotonic() < deadline:
            seen = len(self.chunks)
            await asyncio.sleep(quiet)

    def __iter__(self) -> Iterator[TapEntry]:
        """The entries in order: pictures take a tap as they take a list of entries
        (`wslab.viz.tap.tap_table(tap)`, `sequence_diagram(tap)`)."""
        return iter(self.entries)

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
        if self.port is None:
            raise RuntimeError("the relay is not started")
        return self.host, self.port

    async def start(self) -> Relay:
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
        assert task is not None  # asyncio runs each accepted connection in a task
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

    async def _pump(
        self, label: str, direction: Direction, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
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
            target = "ws://" + target[len("http://") :]
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
