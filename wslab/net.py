"""Real connections: an asyncio WebSocket server and client (RFC 6455).

Everything protocol-shaped comes from the sans-I/O core: `wslab.handshake`
reads and writes the opening handshake (§4), `wslab.connection.Connection`
turns bytes into messages and messages into bytes (§5-§8). This module only
moves those bytes between the core and a TCP socket:

    server = await serve(handler)            # in a notebook: top-level await
    ws = await connect(server.url)
    await ws.send("hello"); await ws.recv()
    await ws.close(); await server.close()

Both `serve(...)` and `connect(...)` can also be used as ``async with``.

Each `WebSocket` is the `asyncio.Protocol` of its TCP connection: asyncio calls
its `data_received(chunk)` as each chunk arrives, and that callback feeds the
Connection right away and hands finished messages to whoever awaits `recv()`.
One callback per chunk and one task woken per message: no reader task in
between (as asyncio streams would need), which is most of the cost of a small
message.

What the transport adds to the core, and why:
- a time limit on the opening handshake, so a silent client cannot hold a slot;
- a bounded queue of received messages: when the application stops calling
  `recv()`, reading pauses and TCP pushes back on the peer (§10.4);
- large sends written in pieces, each waiting until the socket has taken the
  previous one, so a message is never held twice;
- the TCP side of closing (§7.1.1): after the closing handshake the server
  closes TCP first, the client waits for it; a peer that vanishes without a
  Close frame leaves close code 1006 (§7.1.5);
- `on_bytes(ws, direction, data)`, called with every chunk read from or
  written to the socket ("sent" / "received", from that endpoint's view),
  handshake included: the hook a wire tap is built on;
- the strict order of a failure (§7.1.7 with Autobahn's strict verdict): when a
  bad frame follows messages the application has not answered yet, the Close
  frame waits until the application comes back to `recv()` (it has answered
  them), closes, or `close_timeout` passes; a failure with nothing to answer goes
  out at once.

What the handshake can agree on besides: permessage-deflate (RFC 7692;
`wslab.deflate`; a server accepts a client's offer by default, a client offers
when given ``compression=deflate.Offer()``), a subprotocol (§1.9, §4.2.2), and
TLS for ``wss://`` (``ssl=`` an `ssl.SSLContext`, §4.1, §10.6): the same code
paths, with the TLS layer under them.
"""

from __future__ import annotations

import asyncio
import collections
import enum
import itertools
import logging
import ssl as ssl_module
import time
from collections.abc import Awaitable, Callable, Coroutine, Generator, Iterable, Sequence
from typing import Any, Generic, TypeVar, cast

from wslab import deflate, handshake
from wslab.codes import CloseCode, close_code_name
from wslab.connection import MAX_FRAGMENTS, BinaryMessage, Connection, ConnectionFailed, Pong, State, TextMessage
from wslab.errors import ConnectionClosed, HandshakeError, InvalidResponse, NegotiationError

__all__ = ["serve", "connect", "echo", "Server", "WebSocket", "MAX_QUEUE"]

logger = logging.getLogger("wslab.net")

WRITE_CHUNK = 256 * 1024  # larger sends are written piece by piece, each taken by the socket first
MAX_QUEUE = 16  # received messages waiting for recv() before reading pauses
CLOSE_TIMEOUT = 5.0  # seconds to wait for the peer's part of closing before dropping TCP
ACCEPT_DEFLATE = deflate.ServerConfig()  # a server's default: accept permessage-deflate as offered

OnBytes = Callable[["WebSocket", str, bytes], None]
Handler = Callable[["WebSocket"], Awaitable[None]]

_client_ids = itertools.count(1)
T = TypeVar("T")


class _Phase(enum.Enum):
    """What the bytes read from TCP are for."""

    HEAD = "head"  # the opening handshake (§4)
    FRAMES = "frames"  # WebSocket frames, fed to the Connection (§5)
    DISCARD = "discard"  # after closing: read only to reach the peer's FIN (§7.1.1)


# As module names for the code that runs on every chunk read: on CPython 3.11,
# `_Phase.FRAMES` goes through EnumType's __getattr__ hook (~15 times a global).
_HEAD, _FRAMES = _Phase.HEAD, _Phase.FRAMES


async def echo(ws: WebSocket) -> None:
    """A handler that sends every message back as it came: text as text, binary as binary."""
    async for message in ws:
        await ws.send(message)


class WebSocket(asyncio.Protocol):
    """One open WebSocket connection, server side or client side.

    Made by `serve` (passed to the handler) and by `connect`; not created directly.
    It is also the asyncio protocol of its TCP connection: the methods under
    "what asyncio calls" run inside the event loop as bytes arrive.
    """

    # Slots, not an instance dict: CPython 3.11 shares dict keys between instances only
    # up to 30 attributes, and beyond that every `self.x` on the per-message path is a
    # dict lookup; a slot is a fixed offset (and an idle connection smaller).
    __slots__ = (
        "role", "id", "remote", "request", "response", "connection", "subprotocol", "extensions",
        "close_timeout", "max_queue", "_on_bytes", "_on_connected", "_loop", "_transport", "_phase",
        "_head", "_head_waiter", "_messages", "_backlog", "_getters", "_pings",
        "_reading_paused", "_writing_paused", "_drainers", "_send_lock", "_writing_large", "_deferred",
        "_output_blocked", "_closing", "_close_code", "_closer", "_answering", "_failure_timer",
        "_eof", "_lost", "_done",
    )  # fmt: skip

    def __init__(
        self,
        *,
        role: str,
        id: str,
        on_bytes: OnBytes | None = None,
        close_timeout: float = CLOSE_TIMEOUT,
        max_queue: int = MAX_QUEUE,
        on_connected: Callable[[WebSocket], None] | None = None,
    ) -> None:
        self.role = role
        self.id = id
        self.remote: tuple[str, int] | None = None
        self.request: handshake.Request | None = None
        self.response: handshake.Response | bytes | None = None
        self.connection: Connection | None = None
        self.subprotocol: str | None = None  # the one agreed in the handshake (§1.9), like ws.protocol
        self.extensions = ""  # the accepted Sec-WebSocket-Extensions, like ws.extensions
        self.close_timeout = close_timeout
        self.max_queue = max_queue
        self._on_bytes = on_bytes
        self._on_connected = on_connected
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self._phase = _Phase.HEAD
        self._head = bytearray()  # handshake bytes read so far
        self._head_waiter: asyncio.Future | None = None
        self._messages: collections.deque = collections.deque()  # at most max_queue, for recv()
        self._backlog: collections.deque = collections.deque()  # read while the queue was full
        self._getters: list[asyncio.Future] = []  # recv() calls waiting
        self._pings: dict[bytes, list[asyncio.Future]] = {}
        self._reading_paused = False
        self._writing_paused = False  # the transport's buffer is full
        self._drainers: list[asyncio.Future] = []
        self._send_lock = asyncio.Lock()  # orders messages written in pieces
        self._writing_large = False  # a large send is between two of its pieces
        self._deferred = bytearray()  # control frames made meanwhile, sent right after it
        self._output_blocked = False  # the Connection's own output is waiting to go out
        self._closing = False  # close() was called: stop pausing reads
        self._close_code: int | None = None  # when there was never a Connection (failed handshake)
        self._closer: asyncio.Task | None = None
        self._answering = False  # recv() gave a message and was not called again yet
        self._failure_timer: asyncio.TimerHandle | None = None
        self._eof = self._loop.create_future()  # the peer closed its side (or TCP is gone)
        self._lost = self._loop.create_future()  # TCP is closed
        self._done = self._loop.create_future()

    # --- what the application uses ---------------------------------------------

    async def send(self, message: str | bytes, *, fragment_size: int | None = None) -> None:
        """Send a text (str) or binary (bytes) message (§5.6), split into frames of
        at most `fragment_size` payload bytes if given (§5.4)."""
        connection = self._require_connection()
        if fragment_size is None and type(message) in (bytes, str) and len(message) > WRITE_CHUNK:
            await self._send(*connection.send_pieces(message))  # not copied behind its header
            return
        if isinstance(message, str):
            data = connection.send_text(message, fragment_size=fragment_size)
        elif isinstance(message, (bytes, bytearray, memoryview)):
            data = connection.send_binary(bytes(message), fragment_size=fragment_size)
        else:
            raise TypeError(f"a WebSocket message is str (text) or bytes (binary), not {type(message).__name__}")
        if not self._write_small(data):
            await self._send(data)
        elif self._writing_paused or self._lost.done():
            await self._wait_taken()
        # else: written, and nothing to wait for (most sends): no coroutine call in between

    async def recv(self) -> str | bytes:
        """The next message: str for a text message, bytes for a binary one.

        Raises `ConnectionClosed` (with the close code and reason) once the
        connection is closed and every message received before has been read.
        """
        return await self._next_message(iterating=False)

    def __aiter__(self) -> WebSocket:
        return self

    def __anext__(self) -> Coroutine[Any, Any, str | bytes]:
        """``async for message in ws``: every message until the connection closes.

        Not ``await self.recv()``: a handler waits here for every message, and this
        makes and resumes one coroutine less each time.
        """
        return self._next_message(iterating=True)

    async def _next_message(self, *, iterating: bool) -> str | bytes:
        self._answering = False
        while not self._messages:
            if self.connection is not None and self.connection.held_failure is not None:
                self._release_failure()  # everything before the bad frame is answered
            if self._done.done():
                if iterating:
                    raise StopAsyncIteration
                raise ConnectionClosed(self.close_code, self.close_reason)
            getter = self._loop.create_future()
            self._getters.append(getter)
            await getter
        message = self._messages.popleft()
        self._answering = True
        if self._backlog or self._reading_paused:
            self._make_room()
        return message

    async def ping(self, payload: bytes = b"") -> float:
        """Send a Ping (§5.5.2) and wait for the Pong that echoes its payload (§5.5.3).

        Returns the round-trip time in seconds.
        """
        connection = self._require_connection()
        waiter = self._loop.create_future()
        self._pings.setdefault(bytes(payload), []).append(waiter)
        started = time.perf_counter()
        await self._send(connection.send_ping(bytes(payload)))
        await waiter
        return time.perf_counter() - started

    async def close(self, code: int = CloseCode.NORMAL_CLOSURE, reason: str = "") -> None:
        """Start (or finish) the closing handshake (§7.1.2) and wait until TCP is closed.

        Every wait is bounded by `close_timeout` seconds: sending our Close frame (a
        peer that stopped reading may never take it), then the peer's part of
        closing. Past either, TCP is dropped and the close code is 1006.
        """
        self._closing = True
        self._update_reading()  # read on: the peer's Close frame must get through
        if self.connection is None:  # never opened: just drop TCP
            self._tcp.close()
            return
        if self.connection.held_failure is not None:
            self._release_failure()  # the failure's code, not ours: the peer broke a rule
        if self.connection.state is State.OPEN:
            try:
                await asyncio.wait_for(self._send(self.connection.send_close(code, reason)), self.close_timeout)
            except ConnectionClosed:
                pass
            except asyncio.TimeoutError:
                logger.info("%s: the Close frame was not taken within %ss; dropping TCP", self.id, self.close_timeout)
                self.abort()
        try:
            await asyncio.wait_for(asyncio.shield(self._done), 2 * self.close_timeout)
        except asyncio.TimeoutError:
            self.abort()
            await asyncio.shield(self._done)

    def abort(self) -> None:
        """Drop the TCP connection at once, without any closing handshake (close code 1006)."""
        if self._transport is not None:
            self._tcp.abort()

    async def wait_closed(self) -> None:
        """Wait until the connection is closed, whoever closes it."""
        await asyncio.shield(self._done)

    @property
    def state(self) -> str:
        """CONNECTING, OPEN, CLOSING or CLOSED (§4.1 and §7)."""
        if self._done.done():
            return "CLOSED"
        if self.connection is None:
            return "CONNECTING"
        return self.connection.state.name

    @property
    def close_code(self) -> int | None:
        """The close code once the connection is closed (1006 if TCP closed without a Close frame)."""
        if self.connection is not None:
            return self.connection.close_code
        return self._close_code

    @property
    def secure(self) -> bool:
        """Whether this connection runs over TLS (``wss://``, §4.1, §10.6)."""
        return self._transport is not None and self._tcp.get_extra_info("sslcontext") is not None

    @property
    def close_reason(self) -> str:
        return self.connection.close_reason if self.connection is not None else ""

    def __repr__(self) -> str:
        parts = [f"id={self.id!r}", f"role={self.role!r}", f"state={self.state!r}"]
        if self.state == "CLOSED" and self.close_code is not None:
            parts += [f"close_code={self.close_code}", f"close_reason={self.close_reason!r}"]
        return f"WebSocket({', '.join(parts)})"

    @classmethod
    def take_over(
        cls,
        transport: asyncio.Transport,
        request: handshake.Request,
        response: bytes,
        rest: bytes = b"",
        *,
        id: str,
        max_message_size: int | None = 1 << 20,
        on_bytes: OnBytes | None = None,
        close_timeout: float = CLOSE_TIMEOUT,
    ) -> WebSocket:
        """The server side of a TCP connection whose opening handshake another HTTP server read and
        checked (Engine.IO's transports answer polling and WebSocket on one port): writes the 101
        ``response`` and carries on as a WebSocket, with ``rest`` as the first bytes of frames."""
        ws = cls(role="server", id=id, on_bytes=on_bytes, close_timeout=close_timeout)
        transport.set_protocol(ws)
        ws.connection_made(transport)
        ws.request, ws.response = request, response
        ws._write_now(response)
        ws._head = bytearray(rest)
        ws._open(Connection("server", max_message_size=max_message_size))
        transport.resume_reading()
        return ws

    @property
    def _tcp(self) -> asyncio.Transport:
        """The TCP transport: set by `connection_made`, before anything else runs."""
        assert self._transport is not None
        return self._transport

    @property
    def _open_connection(self) -> Connection:
        """The Connection, in the phases that have one (after the opening handshake)."""
        assert self.connection is not None
        return self.connection

    # --- what asyncio calls (the Protocol) ---------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self.remote = _address(transport.get_extra_info("peername"))
        if self._on_connected is not None:
            self._on_connected(self)

    def data_received(self, data: bytes) -> None:
        """A chunk arrived: hand it on at once, in this callback (no task in between)."""
        if self._on_bytes is not None:
            self._tap("received", data)
        if self._phase is _FRAMES:
            connection = self.connection
            assert connection is not None  # (not `_open_connection`: this runs for every chunk read)
            self._handle(connection.receive_data(data))
        elif self._phase is _HEAD:
            self._head += data
            self._wake_head_reader()
            self._update_reading()
        # "discard": after closing, bytes are read only to reach the peer's FIN (§7.1.1)

    def eof_received(self) -> bool:
        """The peer half-closed TCP (sent FIN); without a closing handshake first, that is 1006 (§7.1.5)."""
        _resolve(self._eof)
        self._wake_head_reader()
        if self._phase is _FRAMES:
            self._handle(self._open_connection.receive_eof())
        return True  # keep our side open: `_close_tcp` closes it

    def connection_lost(self, exc: Exception | None) -> None:
        """TCP is closed, by us or by a reset: every waiter wakes; a vanished peer leaves 1006 (§7.1.5)."""
        _resolve(self._eof)
        _resolve(self._lost)
        self._wake_head_reader()
        for drainer in self._drainers:
            if not drainer.done():
                drainer.set_exception(ConnectionResetError("the TCP connection is closed"))
        self._drainers.clear()
        if self._phase is _FRAMES:
            self._handle(self._open_connection.receive_eof())

    def pause_writing(self) -> None:
        """The transport's write buffer passed its high-water mark: `_drain` waits from now on."""
        self._writing_paused = True

    def resume_writing(self) -> None:
        self._writing_paused = False
        for drainer in self._drainers:
            if not drainer.done():
                drainer.set_result(None)
        self._drainers.clear()
        if self._output_blocked and not self._writing_large:
            self._output_blocked = False
            self._update_reading()

    # --- bytes in ------------------------------------------------------------------

    def _handle(self, events: list) -> None:
        """Act on the events of what was just read, then close TCP if the Connection is CLOSED."""
        connection = self.connection
        assert connection is not None  # (not `_open_connection`: this runs for every chunk read)
        if output := connection.data_to_send():  # pongs, the close echo, a failure's close frame
            self._write(output)
        for event in events:
            self._on_event(event)
        if connection.held_failure is not None:
            self._hold_or_release_failure()
        if connection.close_expected() and self._closer is None:
            self._closer = self._loop.create_task(self._shut_down())
        self._update_reading()

    def _hold_or_release_failure(self) -> None:
        """A bad frame came after messages the application may still answer (Autobahn's
        strict order): hold the Close frame while a message waits in the queue or is
        being answered (recv() returned it and was not called again); at most
        `close_timeout` seconds. Nothing to answer: fail at once."""
        if not (self._messages or self._backlog or self._answering):
            self._release_failure(handle=False)
        elif self._failure_timer is None:
            self._failure_timer = self._loop.call_later(self.close_timeout, self._release_failure)

    def _release_failure(self, handle: bool = True) -> None:
        if self._failure_timer is not None:
            self._failure_timer.cancel()
            self._failure_timer = None
        if self.connection is not None and self.connection.held_failure is not None:
            self.connection.release_failure()
            if handle:
                self._handle([])
            else:
                self._write(self.connection.data_to_send())

    def _on_event(self, event: object) -> None:
        if type(event) is TextMessage or type(event) is BinaryMessage:  # the usual event, tested first
            self._deliver(event.data)
        elif isinstance(event, Pong):
            for waiter in self._pings.pop(event.payload, []):  # unsolicited pongs wake no one (§5.5.3)
                if not waiter.done():
                    waiter.set_result(None)
        elif isinstance(event, ConnectionFailed):
            logger.info("%s failed: %s", self.id, event.error)
        # Ping, CloseReceived: the Connection already queued the Pong / the Close echo

    def _deliver(self, message: str | bytes) -> None:
        """Queue a message for recv(); past max_queue it waits in the backlog and reading pauses."""
        if self._backlog or len(self._messages) >= self.max_queue:
            if not self._closing:  # closing and nobody reads: drop rather than grow without bound
                self._backlog.append(message)
            return
        self._messages.append(message)
        self._wake_getters()

    def _make_room(self) -> None:
        """recv() took a message: move the backlog up, and read again once there is room (§10.4)."""
        while self._backlog and len(self._messages) < self.max_queue:
            self._messages.append(self._backlog.popleft())
        self._update_reading()

    def _update_reading(self) -> None:
        """Pause reading while what is read has nowhere to go, so TCP pushes back on the peer."""
        if self._phase is _HEAD:
            full = len(self._head) >= handshake.MAX_HEAD
        elif self._phase is _FRAMES:
            queue_full = len(self._backlog) > 0 or len(self._messages) >= self.max_queue
            full = self._output_blocked or (queue_full and not self._closing)
        else:
            full = False
        if full != self._reading_paused and self._transport is not None:
            self._reading_paused = full
            if full:
                self._tcp.pause_reading()
            else:
                self._tcp.resume_reading()

    def _wake_getters(self) -> None:
        for getter in self._getters:
            if not getter.done():
                getter.set_result(None)
        self._getters.clear()

    def _wake_head_reader(self) -> None:
        if self._head_waiter is not None and not self._head_waiter.done():
            self._head_waiter.set_result(None)

    async def _read_head(self, side: str = "request") -> bytes:
        """Wait for a whole HTTP head (bounded by handshake.MAX_HEAD); later bytes stay buffered."""
        while (split := handshake.split_head(bytes(self._head), side=side)) is None:
            if self._eof.done():
                raise EOFError("the peer closed TCP during the opening handshake")
            self._head_waiter = self._loop.create_future()
            await self._head_waiter
        head, rest = split
        self._head = bytearray(rest)
        return head

    def _open(self, connection: Connection) -> None:
        """The opening handshake is done: bytes are frames from now on, those already read first."""
        self.connection = connection
        self._phase = _Phase.FRAMES
        rest, self._head = bytes(self._head), bytearray()
        self._handle(connection.receive_data(rest) if rest else [])
        if self._eof.done() and not connection.tcp_closed:
            self._handle(connection.receive_eof())

    # --- the opening handshake (§4) ------------------------------------------------

    async def accept(
        self,
        *,
        allowed_origins: Iterable[str] | str | None = None,
        max_message_size: int | None = 1 << 20,
        max_fragments: int | None = MAX_FRAGMENTS,
        compression: deflate.ServerConfig | None = ACCEPT_DEFLATE,
        subprotocols: handshake.Subprotocols = (),
    ) -> bool:
        """The server's part of the opening handshake (§4.2): read the client's request,
        then answer 101 and open, or answer the HTTP error it deserves and close TCP.

        `compression`: accept the client's first acceptable permessage-deflate offer
        with these wishes (`wslab.deflate.accept`), or None to decline every offer.
        `subprotocols`: the server's, in its order of preference, or a selector
        (`wslab.handshake.choose_subprotocol`). Returns True once the connection is OPEN.
        """
        try:
            head = await self._read_head()
            request = handshake.parse_request(head)
            self.request = request
            handshake.check_origin(request.origin, allowed_origins)
            self.subprotocol = _choose_subprotocol(request, subprotocols)
            acceptance = deflate.accept(request.extensions, compression) if compression is not None else None
        except HandshakeError as error:
            await self._refuse(error)
            return False
        except EOFError:
            self._tcp.close()
            return False
        for offer, why in acceptance.declined if acceptance else []:
            logger.info("%s: declined the offer %r: %s", self.id, str(offer), why)
        accepted = acceptance.response if acceptance else None
        self.extensions = "" if accepted is None else str(accepted)
        response = handshake.build_response(
            request, subprotocol=self.subprotocol, extensions=[accepted] if accepted else []
        )
        self.response = response
        await self._send(response)
        self._open(
            Connection(
                "server",
                max_message_size=max_message_size,
                max_fragments=max_fragments,
                deflate=_compressor("server", acceptance.agreement if acceptance else None),
                hold_failure=True,
            )
        )
        logger.info(
            "%s open: %s %s from %s%s",
            self.id,
            request.method,
            request.path,
            _origin_text(request.origin),
            _agreed_text(self),
        )
        return True

    async def _refuse(self, error: HandshakeError) -> None:
        """Answer a bad handshake with its HTTP status (§4.2.1, §10.2) and close TCP."""
        self.response = handshake.build_rejection(error)
        logger.info("%s refused: HTTP %d: %s", self.id, error.status, error.message)
        try:
            await self._send(self.response)
            self._closing = True
            await self._close_tcp()
        except ConnectionClosed:
            pass

    async def open_handshake(
        self,
        uri: handshake.WebSocketURI,
        *,
        origin: str | None = None,
        max_message_size: int | None = 1 << 20,
        max_fragments: int | None = MAX_FRAGMENTS,
        mask_key: bytes | Callable[[], bytes] | None = None,
        compression: deflate.Offer | Sequence[deflate.Offer] | None = None,
        subprotocols: Sequence[str] = (),
    ) -> None:
        """The client's part of the opening handshake (§4.1): send the request, read and
        check the response; OPEN afterwards. A refusal raises `InvalidResponse`, and so
        does an answer to our offers that RFC 7692 §5.1 or §4.1 says to fail on."""
        offers = [compression] if isinstance(compression, deflate.Offer) else list(compression or ())
        request = handshake.build_request(
            uri.host_header,
            uri.resource_name,
            origin=origin,
            subprotocols=subprotocols,
            extensions=[offer.extension() for offer in offers],
        )
        self.request = handshake.parse_request(request)
        await self._send(request)
        try:
            head = await self._read_head(side="response")
        except EOFError:
            raise handshake.InvalidResponse("the server closed TCP before answering the handshake") from None
        self.response = handshake.parse_response(head)
        response = handshake.validate_response(request, head)  # a refusal (e.g. 403) raises InvalidResponse
        try:
            agreement = deflate.check_response(offers, response.extensions)
        except NegotiationError as error:
            raise InvalidResponse(
                f"the permessage-deflate answer {response.header('Sec-WebSocket-Extensions')!r} "
                f"does not fit the offer: {error.message}",
                rfc="RFC 7692",
                rfc_section=error.rfc_section,
                check=5,
                header="Sec-WebSocket-Extensions",
            ) from None
        self.subprotocol = response.subprotocol
        self.extensions = response.header("Sec-WebSocket-Extensions") or ""
        self._open(
            Connection(
                "client",
                max_message_size=max_message_size,
                max_fragments=max_fragments,
                mask_key=mask_key,
                deflate=_compressor("client", agreement),
                hold_failure=True,
            )
        )

    # --- bytes out -------------------------------------------------------------------

    def _require_connection(self) -> Connection:
        if self.connection is None or self._done.done():
            raise ConnectionClosed(self.close_code, self.close_reason, "the connection is not open")
        return self.connection

    def _tap(self, direction: str, data: bytes | memoryview) -> None:
        if self._on_bytes is not None and data:
            self._on_bytes(self, direction, bytes(data))

    def _write(self, data: bytes) -> None:
        """Write the Connection's own output (pongs, close echo) without waiting.

        One call per output keeps frames whole; while a large message is being
        written piece by piece, the output waits until its last piece is out.
        While it cannot go out, reading pauses: a peer that sends pings and
        never reads the pongs cannot make them pile up here.
        """
        if not data:
            return
        if self._writing_large:
            self._deferred += data
        else:
            self._write_now(data)
        if self._writing_large or self._writing_paused:
            self._output_blocked = True

    def _write_now(self, data: bytes | memoryview) -> None:
        tcp = self._transport
        assert tcp is not None  # (not `_tcp`: this runs for every write)
        if data and not tcp.is_closing():
            if self._on_bytes is not None:
                self._tap("sent", data)
            tcp.write(data)

    def _write_small(self, data: bytes) -> bool:
        """Write `data` in one piece (its frames stay whole) if it is small and no large
        send is in progress; whether it was written."""
        if len(data) > WRITE_CHUNK or self._writing_large:  # (set while the large send holds _send_lock)
            return False
        self._write_now(data)
        return True

    async def _send(self, data: bytes, *more: bytes) -> None:
        """Write frames the application made (`data`, then `more` if given) and wait
        while the socket's buffer is full.

        A large message goes out in WRITE_CHUNK pieces, each taken by the socket
        before the next, so the transport never holds a second copy of it (§10.4).
        """
        if more or not self._write_small(data):
            try:
                async with self._send_lock:
                    await self._write_in_pieces(data, *more)
            except (ConnectionError, OSError) as error:
                raise self._lost_error(error) from None
        await self._wait_taken()

    async def _wait_taken(self) -> None:
        """`_drain`, with a lost TCP connection reported as `ConnectionClosed`."""
        try:
            await self._drain()
        except (ConnectionError, OSError) as error:
            raise self._lost_error(error) from None

    def _lost_error(self, error: Exception) -> ConnectionClosed:
        return ConnectionClosed(
            self.close_code or CloseCode.ABNORMAL_CLOSURE, self.close_reason, f"TCP connection lost ({error})"
        )

    async def _write_in_pieces(self, *buffers: bytes) -> None:
        self._writing_large = True
        try:
            for buffer in buffers:
                view = memoryview(buffer)
                for start in range(0, len(view), WRITE_CHUNK):
                    self._write_now(view[start : start + WRITE_CHUNK])
                    await self._drain()
        finally:
            self._writing_large = False
            deferred, self._deferred = bytes(self._deferred), bytearray()
            self._write_now(deferred)
            if self._output_blocked and not self._writing_paused:
                self._output_blocked = False
                self._update_reading()

    async def _drain(self) -> None:
        """Wait until the transport's buffer is below its high-water mark again."""
        if self._lost.done():
            raise ConnectionResetError("the TCP connection is closed")
        if self._writing_paused:
            drainer = self._loop.create_future()
            self._drainers.append(drainer)
            await drainer

    # --- closing -----------------------------------------------------------------

    async def _close_tcp(self) -> None:
        """Close TCP after the closing handshake (§7.1.1).

        The server closes first: it half-closes (FIN), then reads and discards
        until the client closes too, so no unread byte turns its FIN into a
        reset. The client waits for the server's FIN before closing its side.
        """
        self._phase = _Phase.DISCARD
        self._update_reading()
        try:
            await asyncio.wait_for(self._half_close_and_wait(), self.close_timeout)
        except (asyncio.TimeoutError, ConnectionError, OSError):
            self._tcp.abort()
        self._tcp.close()  # sends what is still buffered, then closes
        try:
            await asyncio.wait_for(asyncio.shield(self._lost), self.close_timeout)
        except asyncio.TimeoutError:
            self._tcp.abort()  # the peer stopped reading: drop what it never took
            await self._lost

    async def _shut_down(self) -> None:
        """The Connection is CLOSED: close TCP, then tell everyone waiting."""
        await self._close_tcp()
        self._finish()

    async def _half_close_and_wait(self) -> None:
        await self._drain()
        closes_first = self.connection.closes_tcp_first if self.connection is not None else True
        if closes_first and self._tcp.can_write_eof():
            self._tcp.write_eof()
        elif closes_first:
            self._tcp.close()  # TLS has no half-close: close_notify, then FIN (RFC 8446 §6.1)
        await asyncio.shield(self._eof)

    def _finish(self) -> None:
        if self.connection is not None and not self.connection.tcp_closed:
            self.connection.receive_eof()
        error = ConnectionClosed(self.close_code, self.close_reason, "closed before the Pong arrived")
        for waiters in self._pings.values():
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_exception(error)
        self._pings.clear()
        _resolve(self._done)
        self._wake_getters()


def _resolve(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)


def _compressor(role: str, agreement: deflate.Agreement | None) -> deflate.PerMessageDeflate | None:
    return None if agreement is None else deflate.PerMessageDeflate(role, agreement)  # type: ignore[arg-type]


def _choose_subprotocol(request: handshake.Request, subprotocols: handshake.Subprotocols) -> str | None:
    """The server's subprotocol choice; a selector that fails is the server's fault: 500."""
    try:
        return handshake.choose_subprotocol(request, subprotocols)
    except HandshakeError:
        raise
    except Exception as error:
        logger.exception("the subprotocol selector failed")
        raise HandshakeError(
            f"the server's subprotocol selector failed: {error}", rfc_section="4.2.2", status=500
        ) from None


def _agreed_text(ws: WebSocket) -> str:
    parts = [f"subprotocol {ws.subprotocol}"] if ws.subprotocol else []
    parts += [ws.extensions] if ws.extensions else []
    return f" ({'; '.join(parts)})" if parts else ""


# --- server --------------------------------------------------------------------


class Server:
    """A listening WebSocket server: `serve(...)` makes and starts one."""

    def __init__(
        self,
        handler: Handler,
        *,
        allowed_origins: Iterable[str] | str | None = None,
        max_message_size: int | None = 1 << 20,
        max_fragments: int | None = MAX_FRAGMENTS,
        handshake_timeout: float = 10.0,
        close_timeout: float = CLOSE_TIMEOUT,
        on_bytes: OnBytes | None = None,
        compression: deflate.ServerConfig | None = ACCEPT_DEFLATE,
        subprotocols: handshake.Subprotocols = (),
        ssl: ssl_module.SSLContext | None = None,
    ) -> None:
        self.handler = handler
        self.compression = compression
        self.subprotocols = subprotocols
        self.ssl = ssl
        self.allowed_origins = allowed_origins if allowed_origins in (None, "*") else list(allowed_origins)
        self.max_message_size = max_message_size
        self.max_fragments = max_fragments
        self.handshake_timeout = handshake_timeout
        self.close_timeout = close_timeout
        self.on_bytes = on_bytes
        self.connections: list[WebSocket] = []  # open, in the order they connected
        self.host = ""
        self.port = 0
        self._ids = itertools.count(1)
        self._tasks: set[asyncio.Task] = set()  # one per accepted TCP connection
        self._handshaking: set[asyncio.Task] = set()  # those still in the opening handshake
        self._server: asyncio.base_events.Server | None = None

    @property
    def url(self) -> str:
        return f"{'wss' if self.ssl else 'ws'}://{self.host}:{self.port}/"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> Server:
        self._server = await asyncio.get_running_loop().create_server(
            self._new_websocket,
            host,
            port,
            ssl=self.ssl,
            ssl_handshake_timeout=self.handshake_timeout if self.ssl else None,
        )
        address = _address(self._server.sockets[0].getsockname())
        assert address is not None  # a TCP listening socket has (host, port)
        self.host, self.port = address
        logger.info("listening on %s", self.url)
        return self

    async def close(self, code: int = CloseCode.GOING_AWAY, reason: str = "server shutting down") -> None:
        """Stop listening, close every connection with `code` (1001 "going away") and wait for handlers."""
        if self._server is None:
            return
        self._server.close()
        for task in self._handshaking:  # not a WebSocket yet: nothing to close politely
            task.cancel()
        await asyncio.gather(*(ws.close(code, reason) for ws in list(self.connections)), return_exceptions=True)
        for task in list(self._tasks):
            if not task.done() and task is not asyncio.current_task():
                try:
                    await asyncio.wait_for(asyncio.shield(task), self.close_timeout)
                except (asyncio.TimeoutError, Exception):
                    task.cancel()
        await self._server.wait_closed()
        self._server = None
        logger.info("stopped")

    async def __aenter__(self) -> Server:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        if self._server is None:
            return "Server(closed)"
        return f"Server(url={self.url!r}, connections={len(self.connections)})"

    def _new_websocket(self) -> WebSocket:
        """asyncio's protocol factory: one WebSocket per accepted TCP connection."""
        return WebSocket(
            role="server",
            id=f"c{next(self._ids)}",
            on_bytes=self.on_bytes,
            close_timeout=self.close_timeout,
            on_connected=self._start,
        )

    def _start(self, ws: WebSocket) -> None:
        task = asyncio.get_running_loop().create_task(self._serve(ws))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self, ws: WebSocket) -> None:
        """A connection's task: the opening handshake, then the handler.

        The handler runs in this coroutine itself, not one awaited below it: every
        message wakes the task, and each coroutine between the task and `recv()`
        is one more frame to resume.
        """
        if not await self._accept(ws):
            return
        self.connections.append(ws)
        try:
            await self.handler(ws)
        except ConnectionClosed:
            pass
        except Exception:
            logger.exception("%s: the handler raised", ws.id)
            await ws.close(CloseCode.INTERNAL_ERROR, "internal error")
        finally:
            await ws.close()  # a handler that returns ends the connection with 1000
            self.connections.remove(ws)
            logger.info(
                "%s closed: %s%s",
                ws.id,
                close_code_name(ws.close_code or CloseCode.ABNORMAL_CLOSURE),
                f" {ws.close_reason!r}" if ws.close_reason else "",
            )

    async def _accept(self, ws: WebSocket) -> bool:
        """The opening handshake within `handshake_timeout`; whether the connection opened."""
        task = asyncio.current_task()
        assert task is not None  # started by `_start` as a task
        self._handshaking.add(task)
        try:
            opened = await asyncio.wait_for(
                ws.accept(
                    allowed_origins=self.allowed_origins,
                    max_message_size=self.max_message_size,
                    max_fragments=self.max_fragments,
                    compression=self.compression,
                    subprotocols=self.subprotocols,
                ),
                self.handshake_timeout,
            )
        except asyncio.TimeoutError:
            logger.info("%s dropped: no complete handshake within %ss", ws.id, self.handshake_timeout)
            ws.abort()
            return False
        except asyncio.CancelledError:  # the server is closing
            ws.abort()
            return False
        finally:
            self._handshaking.discard(task)
        return opened


def _origin_text(origin: str | None) -> str:
    return f"Origin {origin}" if origin else "no Origin"


def _address(sockname: object) -> tuple[str, int] | None:
    if isinstance(sockname, tuple) and len(sockname) >= 2:
        return sockname[0], sockname[1]
    return None


class _Opening(Generic[T]):
    """What `serve` and `connect` return: await it, or use it with ``async with``."""

    def __init__(self, opener: Callable[[], Awaitable[T]], closer: Callable[[T], Awaitable[None]]) -> None:
        self._opener = opener
        self._closer = closer
        self._value: T | None = None

    def __await__(self) -> Generator[Any, None, T]:
        return self._opener().__await__()

    async def __aenter__(self) -> T:
        self._value = await self._opener()
        return self._value

    async def __aexit__(self, *exc_info: object) -> None:
        if self._value is not None:
            await self._closer(self._value)


def serve(
    handler: Handler,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    allowed_origins: Iterable[str] | str | None = None,
    max_message_size: int | None = 1 << 20,
    max_fragments: int | None = MAX_FRAGMENTS,
    handshake_timeout: float = 10.0,
    close_timeout: float = CLOSE_TIMEOUT,
    on_bytes: OnBytes | None = None,
    compression: deflate.ServerConfig | None = ACCEPT_DEFLATE,
    subprotocols: handshake.Subprotocols = (),
    ssl: ssl_module.SSLContext | None = None,
) -> _Opening[Server]:
    """Start a WebSocket server on the running event loop.

        server = await serve(handler)              # a notebook cell or any coroutine
        async with serve(handler) as server: ...   # closed at the end of the block

    `handler(ws)` runs for every accepted connection; when it returns, the
    connection is closed with 1000. `allowed_origins`: None or "*" accepts any
    Origin, a list accepts exactly those, others get HTTP 403 (§10.2).
    `max_message_size` bounds a message (larger: close 1009, §7.4.1; for a compressed
    message, its inflated size), `max_fragments` the frames of one message (more:
    1009 too; `wslab.connection.MAX_FRAGMENTS`).

    `compression`: permessage-deflate is accepted when a client offers it (every
    browser does), with these wishes (`wslab.deflate.ServerConfig`); None declines
    it. `subprotocols`: the server's, in its order of preference (the first the
    client also offered is chosen), or a function from the client's list to one of
    them or None (§1.9, §4.2.2); ``ws.subprotocol`` says which. `ssl`: an
    `ssl.SSLContext` with the server's certificate: the server speaks ``wss://``.
    """
    server = Server(
        handler,
        allowed_origins=allowed_origins,
        max_message_size=max_message_size,
        max_fragments=max_fragments,
        handshake_timeout=handshake_timeout,
        close_timeout=close_timeout,
        on_bytes=on_bytes,
        compression=compression,
        subprotocols=subprotocols,
        ssl=ssl,
    )
    return _Opening(lambda: server.start(host, port), lambda s: s.close())


# --- client --------------------------------------------------------------------


def connect(
    uri: str,
    *,
    origin: str | None = None,
    mask_key: bytes | Callable[[], bytes] | None = None,
    max_message_size: int | None = 1 << 20,
    max_fragments: int | None = MAX_FRAGMENTS,
    open_timeout: float = 10.0,
    close_timeout: float = CLOSE_TIMEOUT,
    on_bytes: OnBytes | None = None,
    id: str | None = None,
    compression: deflate.Offer | Sequence[deflate.Offer] | None = None,
    subprotocols: Sequence[str] = (),
    ssl: ssl_module.SSLContext | None = None,
) -> _Opening[WebSocket]:
    """Open a WebSocket connection to a ``ws://`` or ``wss://`` URI (§4.1).

        ws = await connect("ws://127.0.0.1:8765/")
        async with connect(url) as ws: ...        # closed with 1000 at the end

    `mask_key`: fixed 4 bytes (lessons, for stable output) or None for a fresh
    random key per frame, as §5.3 requires of real clients. A refused handshake
    raises `HandshakeError` with the server's status; no open connection within
    `open_timeout` seconds raises `TimeoutError` saying which step did not finish.

    `compression`: the permessage-deflate offer(s) to make, in order of preference:
    ``deflate.Offer()`` sends what browsers send; None (the default, so the
    lessons' frames stay readable) offers nothing. `subprotocols`: offered in
    order of preference (§4.1 item 10); an answer naming one not offered fails
    the handshake. ``wss://`` runs over TLS: `ssl` is the `ssl.SSLContext` that
    verifies the server (default: the system's trusted CAs); a certificate that
    does not verify raises `ssl.SSLCertVerificationError`.
    """

    async def opener() -> WebSocket:
        target = handshake.parse_uri(uri)
        if ssl is not None and not target.secure:
            raise ValueError(f"{uri!r}: an ssl context goes with a wss:// URI (TLS, RFC 6455 §3); ws:// is plain TCP")
        handshake.check_subprotocols(subprotocols)
        context = ssl if ssl is not None else (ssl_module.create_default_context() if target.secure else None)
        step = ["the TCP connection" + (" and its TLS handshake" if target.secure else "")]
        try:
            return await asyncio.wait_for(
                _open_client(
                    target,
                    step,
                    origin=origin,
                    mask_key=mask_key,
                    max_message_size=max_message_size,
                    max_fragments=max_fragments,
                    close_timeout=close_timeout,
                    on_bytes=on_bytes,
                    id=id,
                    compression=compression,
                    subprotocols=subprotocols,
                    ssl=context,
                ),
                open_timeout,
            )
        except asyncio.TimeoutError:
            raise TimeoutError(
                f"connecting to {uri} timed out after {open_timeout} s (open_timeout): {step[0]} did not complete"
            ) from None

    return _Opening(opener, lambda ws: ws.close())


async def _open_client(
    uri: handshake.WebSocketURI,
    step: list[str],
    *,
    origin,
    mask_key,
    max_message_size,
    max_fragments,
    close_timeout,
    on_bytes,
    id,
    compression,
    subprotocols,
    ssl,
) -> WebSocket:
    """Open TCP (and TLS), then the handshake; `step[0]` says which is under way (for a timeout's message)."""
    id = id or f"client{next(_client_ids)}"
    tls = {"ssl": ssl, "server_hostname": uri.host} if ssl is not None else {}
    _, ws = await asyncio.get_running_loop().create_connection(
        lambda: WebSocket(role="client", id=id, on_bytes=on_bytes, close_timeout=close_timeout),
        uri.host,
        uri.port,
        **tls,
    )
    step[0] = "the opening handshake (no HTTP response from the server, RFC 6455 §4.1)"
    try:
        await ws.open_handshake(
            uri,
            origin=origin,
            max_message_size=max_message_size,
            max_fragments=max_fragments,
            mask_key=mask_key,
            compression=compression,
            subprotocols=subprotocols,
        )
    except BaseException:
        ws.abort()
        raise
    return ws
