"""Engine.IO v4's two transports on one asyncio port: HTTP long-polling and WebSocket.

One listening socket answers every request to the Engine.IO path (``/socket.io/``
for Socket.IO):

- ``GET ?EIO=4&transport=polling`` opens a session: the body is the ``open`` packet;
  ``GET ...&sid=S`` waits for what the server has to send (a long poll);
  ``POST ...&sid=S`` carries what the client sends (packets joined by ``\\x1e``).
- ``GET ?EIO=4&transport=websocket`` with ``Upgrade: websocket`` becomes a WebSocket
  (`wslab.net.WebSocket`, RFC 6455): a session of its own, or, with ``&sid=S``,
  the upgrade of a polling session (``2probe`` / ``3probe`` / ``5``).

Everything Engine.IO decides is in the sans-I/O `wslab.engineio` (packets,
payloads, request checks, the session and its heartbeat); HTTP heads are read
with `wslab.handshake`. This module only moves bytes and keeps time, and it
bounds what a client can make it hold: a head (``handshake.MAX_HEAD``), a body
(``max_payload``, else 413), the time to send a request (``request_timeout``), one
poll and one POST at a time per session, one WebSocket per session.

Where it answers differently from the JavaScript server (engine.io 6.6), on purpose:
a POST body that is not an Engine.IO payload gets ``400 {"code":3,...}`` (engine.io
answers ``200 ok`` and closes the session; here the session closes too, and the
client is told why); a POST without ``Content-Length`` (chunked) gets 411; a second
WebSocket for a session is closed with 1008 and a reason (engine.io closes it
without one).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus
from typing import TYPE_CHECKING, Literal
from urllib.parse import parse_qsl, urlsplit

from wslab import engineio, handshake
from wslab.codes import Opcode
from wslab.engineio import EngineIOError, ErrorCode, Packet, Session, SessionState
from wslab.errors import ConnectionClosed, HandshakeError
from wslab.net import WebSocket, _address

if TYPE_CHECKING:
    from wslab.tap import Tap, TapEntry

__all__ = ["EngineIOServer", "Handshake", "OriginPolicy", "TappedPacket", "tapped_packets"]

logger = logging.getLogger("wslab.engineio")

OriginPolicy = Literal["node", "python-socketio"]
"""``"node"``: the Origin header only decides CORS headers (socket.io's ``cors`` option); a foreign origin is
not refused. ``"python-socketio"``: an Origin not in ``cors_allowed_origins`` (default: the server's own origin)
is refused with HTTP 400, on both transports, as python-engineio does."""

OnBytes = Callable[[object, str, bytes], None]

_ids = itertools.count(1)


@dataclass
class Handshake:
    """What the server knew of a client when it connected: Socket.IO's ``socket.handshake``."""

    headers: dict[str, str]  # names in lower case, as Node gives them
    query: dict[str, str]
    address: str  # the client's IP address
    time: str  # when, as JavaScript's Date.toString() would say it (in UTC here)
    issued: int  # when, in milliseconds since the epoch
    url: str  # the request target of the first request
    xdomain: bool  # an Origin header was sent
    secure: bool = False  # TLS (never here: ws:// and http:// only)
    auth: dict = field(default_factory=dict)  # the CONNECT payload (Socket.IO), {} when none

    @property
    def origin(self) -> str | None:
        return self.headers.get("origin")


def _handshake_of(request: handshake.Request, address: str) -> Handshake:
    now = time.time()
    query = dict(parse_qsl(urlsplit(request.path).query))
    headers: dict[str, str] = {}
    for name, value in request.headers:
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    date = time.strftime("%a %b %d %Y %H:%M:%S GMT+0000 (Coordinated Universal Time)", time.gmtime(now))
    return Handshake(headers, query, address, date, int(now * 1000), request.path, "origin" in headers)


class _HttpConnection(asyncio.Protocol):
    """One TCP connection before (or instead of) a WebSocket: HTTP requests, one at a time."""

    def __init__(self, server: EngineIOServer) -> None:
        self.server = server
        self.id = f"c{next(_ids)}"
        self.role = "server"
        self.transport: asyncio.Transport = None  # type: ignore[assignment]  # set by connection_made
        self.buffer = bytearray()
        self.eof = False
        self.upgraded = False
        self.keep_alive = True
        self._waiter: asyncio.Future | None = None
        self._want = handshake.MAX_HEAD

    # what asyncio calls
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # a TCP connection: a Transport
        self.address = (_address(transport.get_extra_info("peername")) or ("", 0))[0]
        self.server._start(self)

    def data_received(self, data: bytes) -> None:
        self.server._tap(self, "received", data)
        self.buffer += data
        if len(self.buffer) >= self._want:  # nothing asked for that much: TCP pushes back
            self.transport.pause_reading()
        self._wake()

    def eof_received(self) -> bool:
        self.eof = True
        self._wake()
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof = True
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def _more(self) -> None:
        if self.eof:
            raise EOFError("the client closed the connection")
        self._waiter = asyncio.get_running_loop().create_future()
        await self._waiter

    # what the server uses
    async def read_head(self) -> bytes | None:
        """The next request head; None when the client closed the connection between requests."""
        self._want = handshake.MAX_HEAD
        self.transport.resume_reading()
        while (split := handshake.split_head(bytes(self.buffer))) is None:  # 431 past MAX_HEAD
            if self.eof:
                if self.buffer:
                    raise EOFError("the client closed the connection in the middle of a request head")
                return None
            await self._more()
        head, rest = split
        self.buffer = bytearray(rest)
        return head

    async def read_body(self, length: int) -> bytes:
        self._want = max(length, 1) + handshake.MAX_HEAD
        self.transport.resume_reading()
        while len(self.buffer) < length:
            await self._more()
        body, self.buffer = bytes(self.buffer[:length]), self.buffer[length:]
        return body

    def write(self, data: bytes) -> None:
        if not self.transport.is_closing():
            self.server._tap(self, "sent", data)
            self.transport.write(data)

    def close(self) -> None:
        self.transport.close()


@dataclass
class _Live:
    """The I/O side of one session: its WebSocket or its pending poll, its timer."""

    session: Session
    handshake: Handshake
    ws: WebSocket | None = None  # the WebSocket carrying the session (after an upgrade too)
    probing: WebSocket | None = None  # a WebSocket upgrading a polling session
    poll: asyncio.Future | None = None  # a GET waiting for packets
    posting: bool = False  # a POST being read
    timer: asyncio.TimerHandle | None = None
    writer: asyncio.Task | None = None
    closed: asyncio.Event = field(default_factory=asyncio.Event)


class EngineIOServer:
    """Engine.IO v4 over HTTP long-polling and WebSocket, on one port.

    ``on_session(session, handshake)`` is called for every new session, after its
    ``open`` packet is queued; it sets ``session.on_message`` / ``session.on_close``.
    ``cors_allowed_origins``: origins that get CORS headers on polling responses
    (``"*"`` any; None: no CORS headers, socket.io's default ``cors: false``).
    ``allow_request(handshake) -> bool`` refuses a new session: polling 403
    ``{"code":4,"message":"Forbidden"}``, WebSocket 400 ``Forbidden``.
    """

    def __init__(
        self,
        on_session: Callable[[Session, Handshake], None],
        *,
        path: str = "/socket.io/",
        ping_interval: float = engineio.DEFAULTS["ping_interval"],
        ping_timeout: float = engineio.DEFAULTS["ping_timeout"],
        max_payload: int = int(engineio.DEFAULTS["max_payload"]),
        upgrade_timeout: float = engineio.DEFAULTS["upgrade_timeout"],
        transports: Iterable[str] = engineio.TRANSPORTS,
        cors_allowed_origins: str | list[str] | None = None,
        cors_credentials: bool = False,
        allow_request: Callable[[Handshake], bool] | None = None,
        origin_policy: OriginPolicy = "node",
        request_timeout: float = 10.0,
        keep_alive_timeout: float = 5.0,
        close_timeout: float = 2.0,
        on_bytes: OnBytes | None = None,
    ) -> None:
        self.on_session = on_session
        self.path = "/" + path.strip("/") + "/"
        self.ping_interval, self.ping_timeout = ping_interval, ping_timeout
        self.max_payload, self.upgrade_timeout = max_payload, upgrade_timeout
        self.transports = tuple(transports)
        self.cors_allowed_origins = cors_allowed_origins
        self.cors_credentials = cors_credentials
        self.allow_request = allow_request
        self.origin_policy = origin_policy
        self.request_timeout, self.keep_alive_timeout = request_timeout, keep_alive_timeout
        self.close_timeout = close_timeout
        self.on_bytes = on_bytes
        self.sessions: dict[str, _Live] = {}
        self.host, self.port = "", 0
        self._server: asyncio.base_events.Server | None = None
        self._tasks: set[asyncio.Task] = set()
        self._connections: set[_HttpConnection] = set()
        self._websockets: set[WebSocket] = set()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> EngineIOServer:
        self._server = await asyncio.get_running_loop().create_server(lambda: _HttpConnection(self), host, port)
        self.host, self.port = _address(self._server.sockets[0].getsockname()) or (host, port)
        logger.info("Engine.IO listening on %s%s", self.url, self.path)
        return self

    async def close(self, reason: str = "server shutting down") -> None:
        """Stop listening; close every session (what is queued still goes out); drop what is left."""
        if self._server is None:
            return
        self._server.close()
        for live in list(self.sessions.values()):
            live.session.close(reason)
            self._flush(live)
        waits = [live.closed.wait() for live in self.sessions.values()]
        if waits:
            await asyncio.wait([asyncio.ensure_future(w) for w in waits], timeout=self.close_timeout)
        for live in list(self.sessions.values()):
            self._end(live, reason)
        await asyncio.gather(*(ws.close() for ws in list(self._websockets)), return_exceptions=True)
        for conn in list(self._connections):
            conn.transport.abort()
        for task in list(self._tasks):
            task.cancel()
        await self._server.wait_closed()
        self._server = None

    def __repr__(self) -> str:
        state = f"{self.url}{self.path}, {len(self.sessions)} sessions" if self._server else "closed"
        return f"<EngineIOServer {state}>"

    # --- bookkeeping ------------------------------------------------------------------

    def _tap(self, conn: object, direction: str, data: bytes) -> None:
        if self.on_bytes is not None and data:
            self.on_bytes(conn, direction, bytes(data))

    def _start(self, conn: _HttpConnection) -> None:
        self._connections.add(conn)
        task = asyncio.get_running_loop().create_task(self._serve_http(conn))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _new_session(self, transport: engineio.TransportName, shake: Handshake) -> _Live:
        loop = asyncio.get_running_loop()
        upgrades = ["websocket"] if transport == "polling" and "websocket" in self.transports else []
        session = Session(
            engineio.new_sid(),
            transport,
            loop.time(),
            ping_interval=self.ping_interval,
            ping_timeout=self.ping_timeout,
            max_payload=self.max_payload,
            upgrade_timeout=self.upgrade_timeout,
            upgrades=upgrades,
        )
        live = _Live(session, shake)
        self.sessions[session.sid] = live
        session.on_output = lambda: self._flush(live)
        close_hook: list[Callable[[str], None]] = []

        def on_close(reason: str) -> None:
            self._ended(live)
            for hook in close_hook:
                hook(reason)

        self.on_session(session, shake)
        if session.on_close is not None:
            close_hook.append(session.on_close)
        session.on_close = on_close
        self._schedule(live)
        return live

    def _schedule(self, live: _Live) -> None:
        """Call ``session.tick`` when its deadline comes (a ping to send, a pong or an upgrade overdue)."""
        if live.timer is not None:
            live.timer.cancel()
        deadline = live.session.deadline()
        if deadline is not None:
            live.timer = asyncio.get_running_loop().call_at(deadline, self._tick, live)

    def _tick(self, live: _Live) -> None:
        if not live.session.tick(asyncio.get_running_loop().time()) and live.probing is not None:
            probing, live.probing = live.probing, None  # the upgrade took longer than upgrade_timeout
            asyncio.ensure_future(probing.close())
        self._flush(live)
        self._schedule(live)

    def _receive(self, live: _Live, packet: Packet) -> None:
        live.session.receive(packet, asyncio.get_running_loop().time())
        self._schedule(live)

    def _ended(self, live: _Live) -> None:
        """The session is CLOSED: forget it, end its poll and WebSocket."""
        self.sessions.pop(live.session.sid, None)
        if live.timer is not None:
            live.timer.cancel()
        if live.poll is not None and not live.poll.done():
            live.poll.set_result(None)
        for ws in (live.ws, live.probing):
            if ws is not None:
                asyncio.ensure_future(ws.close())
        live.closed.set()

    def _end(self, live: _Live, reason: str) -> None:
        live.session.closed(reason)

    def _flush(self, live: _Live) -> None:
        """Packets are queued: wake the poll that waits for them, or the WebSocket writer."""
        if live.ws is not None:
            if live.writer is None or live.writer.done():
                live.writer = asyncio.ensure_future(self._write_websocket(live))
        elif live.poll is not None and not live.poll.done():
            live.poll.set_result(None)

    # --- HTTP ---------------------------------------------------------------------------

    async def _serve_http(self, conn: _HttpConnection) -> None:
        """Requests on one TCP connection, one after the other (HTTP/1.1 keep-alive)."""
        first = True
        try:
            while True:
                timeout = self.request_timeout if first else self.keep_alive_timeout
                try:
                    head = await asyncio.wait_for(conn.read_head(), timeout)
                except asyncio.TimeoutError:
                    if not first and not conn.buffer:
                        return  # an idle keep-alive connection: closed quietly
                    raise
                if head is None:
                    return
                first = False
                if not await self._request(conn, head):
                    return
        except HandshakeError as error:
            conn.write(handshake.build_rejection(error))
        except asyncio.TimeoutError:
            self._respond(conn, 408, "the request did not arrive in time", close=True)
        except (EOFError, ConnectionError):
            pass
        finally:
            self._connections.discard(conn)
            if not conn.upgraded:
                conn.close()

    async def _request(self, conn: _HttpConnection, head: bytes) -> bool:
        """Answer one request; False when the connection ends with it."""
        request = handshake.parse_http_request(head)
        target = urlsplit(request.path)
        if target.path not in (self.path, self.path.rstrip("/")):
            self._respond(conn, 404, f"{target.path} is not the Engine.IO path ({self.path})", close=True)
            return False
        query = dict(parse_qsl(target.query))
        if "websocket" in (request.header("Upgrade") or "").lower():
            await self._websocket(conn, request, query)
            return False
        conn.keep_alive = "close" not in (request.header("Connection") or "").lower()
        return await self._polling(conn, request, query) and conn.keep_alive

    def _respond(
        self,
        conn: _HttpConnection,
        status: int,
        body: str | bytes,
        *,
        content_type: str = "text/plain",
        headers: Iterable[tuple[str, str]] = (),
        close: bool = False,
    ) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        lines = [
            f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
            f"Content-Type: {content_type}",
            f"Content-Length: {len(data)}",
            *(f"{name}: {value}" for name, value in headers),
            f"Date: {formatdate(usegmt=True)}",
            "Connection: keep-alive" if conn.keep_alive and not close else "Connection: close",
        ]
        conn.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + data)

    def _cors_headers(self, request: handshake.Request) -> list[tuple[str, str]]:
        """The ``cors`` package's headers for a polling response (origin, credentials, Vary)."""
        allowed, origin = self.cors_allowed_origins, request.header("Origin")
        if allowed is None:
            return []
        if allowed == "*" and not self.cors_credentials:
            return [("Access-Control-Allow-Origin", "*")]
        allowed_list = [allowed] if isinstance(allowed, str) else list(allowed)
        headers = [("Vary", "Origin")]
        if origin is not None and (allowed == "*" or origin in allowed_list):
            headers.insert(0, ("Access-Control-Allow-Origin", origin))
            if self.cors_credentials:
                headers.append(("Access-Control-Allow-Credentials", "true"))
        return headers

    def _origin_refused(self, request: handshake.Request) -> str | None:
        """python-engineio's same-origin check (only with origin_policy="python-socketio")."""
        origin = request.header("Origin")
        if self.origin_policy != "python-socketio" or origin is None:
            return None
        allowed = self.cors_allowed_origins
        if allowed == "*":
            return None
        allowed_list = (
            ([allowed] if isinstance(allowed, str) else list(allowed))
            if allowed is not None
            else [f"http://{request.host}"]
        )
        return None if origin in allowed_list else f"{origin} is not an accepted origin."

    def _live(self, query: dict[str, str]) -> _Live | None:
        return self.sessions.get(query.get("sid", ""))

    def _allowed(self, shake: Handshake) -> bool:
        return self.allow_request is None or bool(self.allow_request(shake))

    async def _polling(self, conn: _HttpConnection, request: handshake.Request, query: dict[str, str]) -> bool:
        cors = self._cors_headers(request)
        if request.method == "OPTIONS" and self.cors_allowed_origins is not None:  # a CORS preflight
            asked = request.header("Access-Control-Request-Headers")
            extra = [("Access-Control-Allow-Methods", "GET,HEAD,PUT,PATCH,POST,DELETE")]
            extra += [("Access-Control-Allow-Headers", asked)] if asked else []
            self._respond(conn, 204, b"", headers=cors + extra)
            return True
        refused = self._origin_refused(request)
        if refused:
            self._respond(conn, 400, json.dumps(refused), close=True)
            return False
        live = self._live(query)
        try:
            engineio.verify_request(
                request.method, query, upgrade=False, transports=self.transports, session=live.session if live else None
            )
            if live is None:
                shake = _handshake_of(request, conn.address)
                if not self._allowed(shake):
                    raise EngineIOError(ErrorCode.FORBIDDEN, "allow_request refused this request")
                live = self._new_session("polling", shake)
                self._respond(
                    conn,
                    200,
                    engineio.encode_payload(live.session.take()),
                    content_type="text/plain; charset=UTF-8",
                    headers=cors,
                )
                return True
            if request.method == "GET":
                return await self._poll(conn, live, cors)
            if request.method == "POST":
                return await self._post(conn, request, live, cors)
            raise EngineIOError(ErrorCode.BAD_REQUEST, f"{request.method} is neither GET (poll) nor POST (send)")
        except EngineIOError as error:
            logger.info("%s refused: %s", conn.id, error)
            self._respond(conn, error.status, error.body(), content_type="application/json", headers=cors)
            return True

    async def _poll(self, conn: _HttpConnection, live: _Live, cors: list[tuple[str, str]]) -> bool:
        if live.poll is not None:
            live.session.closed("transport error")
            raise EngineIOError(
                ErrorCode.BAD_REQUEST,
                "overlap from client: a second GET while one is pending "
                "(engine.io-protocol: a client MUST NOT have more than one active GET)",
            )
        session = live.session
        if not session.buffer and session.state is SessionState.OPEN:
            live.poll = asyncio.get_running_loop().create_future()
            lost = asyncio.ensure_future(conn._more())  # the client going away ends the poll
            try:
                await asyncio.wait([live.poll, lost], return_when=asyncio.FIRST_COMPLETED)
            finally:
                live.poll = None
                lost.cancel()
            if conn.eof:
                session.closed("transport close")  # "poll connection closed prematurely"
                return False
        if session.transport != "polling":  # upgraded meanwhile: the WebSocket carries the rest
            self._respond(conn, 200, "6", content_type="text/plain; charset=UTF-8", headers=cors)
            return True
        packets = session.take()
        self._respond(
            conn, 200, engineio.encode_payload(packets) or "6", content_type="text/plain; charset=UTF-8", headers=cors
        )
        if session.state is SessionState.CLOSING and not session.buffer:
            session.closed("forced close")  # the close packet went out
        return True

    async def _post(
        self, conn: _HttpConnection, request: handshake.Request, live: _Live, cors: list[tuple[str, str]]
    ) -> bool:
        if live.posting:
            live.session.closed("transport error")
            raise EngineIOError(
                ErrorCode.BAD_REQUEST,
                "data request overlap: a second POST while one is "
                "being read (a client MUST NOT have more than one active POST)",
            )
        if request.header("Content-Type") == "application/octet-stream":
            live.session.closed("transport error")
            raise EngineIOError(
                ErrorCode.BAD_REQUEST,
                "invalid content: v4 polling bodies are text (binary packets travel as b + base64)",
            )
        length = request.header("Content-Length")
        if length is None or not length.isdigit():
            self._respond(
                conn,
                411,
                "a POST needs a Content-Length (chunked bodies are not accepted here)",
                headers=cors,
                close=True,
            )
            return False
        if int(length) > self.max_payload:
            self._respond(
                conn,
                413,
                f"the body has {length} bytes, more than maxHttpBufferSize ({self.max_payload})",
                headers=cors,
                close=True,
            )
            return False
        live.posting = True
        try:
            body = await asyncio.wait_for(conn.read_body(int(length)), self.request_timeout)
        finally:
            live.posting = False
        try:
            packets = engineio.decode_payload(body.decode("utf-8"))
        except (UnicodeDecodeError, engineio.PacketError) as error:
            live.session.closed("parse error")
            raise EngineIOError(ErrorCode.BAD_REQUEST, f"the body is not an Engine.IO payload: {error}") from None
        for packet in packets:
            self._receive(live, packet)
        self._respond(conn, 200, "ok", content_type="text/html", headers=cors)
        return True

    # --- WebSocket ----------------------------------------------------------------------------

    async def _websocket(self, conn: _HttpConnection, request: handshake.Request, query: dict[str, str]) -> None:
        live = self._live(query)
        try:
            refused = self._origin_refused(request)
            if refused:
                raise EngineIOError(ErrorCode.BAD_REQUEST, refused, message=json.dumps(refused))
            engineio.verify_request(
                request.method, query, upgrade=True, transports=self.transports, session=live.session if live else None
            )
            handshake.check_request(request)
            shake = _handshake_of(request, conn.address)
            if live is None and not self._allowed(shake):
                raise EngineIOError(ErrorCode.FORBIDDEN, "allow_request refused this request")
        except EngineIOError as error:
            # the JavaScript server's abortUpgrade: always 400, the message as the body
            logger.info("%s upgrade refused: %s", conn.id, error)
            body = error.message.encode()
            conn.write(
                b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-type: text/html\r\n"
                b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
            )
            return
        except HandshakeError as error:
            conn.write(handshake.build_rejection(error))
            return
        conn.upgraded = True
        self._connections.discard(conn)
        response = handshake.build_response(request)
        cors = self._cors_headers(request)  # socket.io's cors middleware runs for the upgrade request too
        if cors:
            response = response[:-2] + "".join(f"{name}: {value}\r\n" for name, value in cors).encode() + b"\r\n"
        ws = WebSocket.take_over(
            conn.transport,
            request,
            response,
            bytes(conn.buffer),
            id=conn.id,
            max_message_size=self.max_payload,  # one TCP connection, one id
            on_bytes=self.on_bytes,
        )
        self._websockets.add(ws)
        try:
            if live is None:
                await self._run_websocket(self._new_session("websocket", shake), ws)
            else:
                await self._upgrade(live, ws)
        finally:
            self._websockets.discard(ws)

    async def _run_websocket(self, live: _Live, ws: WebSocket) -> None:
        """The WebSocket carries the session: every message is one Engine.IO packet."""
        live.ws = ws
        self._flush(live)
        try:
            async for message in ws:
                try:
                    packet = engineio.decode_packet(message)
                except engineio.PacketError as error:
                    logger.info("%s: %s", ws.id, error)
                    live.session.closed("parse error")
                    break
                self._receive(live, packet)
                if live.session.state is SessionState.CLOSED:
                    break
        except ConnectionClosed:
            pass
        live.session.closed("transport close")
        await ws.close()

    async def _upgrade(self, live: _Live, ws: WebSocket) -> None:
        """``2probe`` -> ``3probe``, a ``6`` to the pending poll, then ``5``: the session moves to the WebSocket.
        A second WebSocket for one session is closed (engine.io-protocol: one WebSocket per session)."""
        if live.ws is not None or live.probing is not None:
            await ws.close(1008, "this session already has a WebSocket")
            return
        live.probing = ws
        self._schedule(live)
        try:
            while live.probing is ws:
                message = await ws.recv()
                loop = asyncio.get_running_loop()
                answer = live.session.probe(engineio.decode_packet(message), loop.time())
                self._schedule(live)
                self._flush(live)
                if answer is not None:
                    await ws.send(engineio.encode_packet(answer))
                    continue
                live.probing = None
                if live.poll is not None and not live.poll.done():
                    live.poll.set_result(None)
                await self._run_websocket(live, ws)
                return
        except (ConnectionClosed, engineio.PacketError) as error:
            logger.info("%s: upgrade abandoned: %s", ws.id, error)
        if live.probing is ws:
            live.probing = None
        await ws.close()

    async def _write_websocket(self, live: _Live) -> None:
        ws, session = live.ws, live.session
        if ws is None:
            return
        try:
            while session.buffer and ws is live.ws:
                for packet in session.take():
                    await ws.send(engineio.encode_packet(packet))
                    # one packet per turn of the loop, as the JavaScript server writes the next only once the
                    # previous write's callback ran: a client sees each in its own read
                    await asyncio.sleep(0)
            if session.state is SessionState.CLOSING:
                session.closed("forced close")  # ends the session, then closes its WebSocket (_ended)
        except ConnectionClosed:
            session.closed("transport close")


# --- the wire tap, read as Engine.IO ------------------------------------------------------------


@dataclass(frozen=True)
class TappedPacket:
    """One Engine.IO packet a `wslab.tap.Tap` saw: in which entry, carried how, and the packet."""

    entry: TapEntry  # the WebSocket frame or HTTP body it travelled in
    transport: Literal["websocket", "polling"]
    packet: Packet

    @property
    def sender(self) -> str:
        return self.entry.sender

    def line(self) -> str:
        """``#12 h3 client->server polling: message 2["chat","hi"]``"""
        return (
            f"#{self.entry.number} {self.entry.connection} {self.entry.direction} {self.transport}: "
            f"{engineio.describe_packet(self.packet)}"
        )


def tapped_packets(tap: Tap, connection: str | None = None) -> list[TappedPacket]:
    """The Engine.IO packets inside what ``tap`` recorded (a server started with ``on_bytes=tap.server_hook``):
    each WebSocket message frame holds one, each polling body (``\x1e``-joined) several. Frames that are
    not text or binary (ping, pong, close) and bodies that are not payloads (``ok``, errors) hold none."""
    out: list[TappedPacket] = []
    bodies: dict[tuple[str, str], tuple[TapEntry, bytes]] = {}  # a body that arrived in several chunks

    def body_done(key: tuple[str, str]) -> None:
        if key in bodies:
            first, data = bodies.pop(key)
            out.extend(TappedPacket(first, "polling", p) for p in engineio.packets_in(data, polling=True))

    for entry in tap.select(connection):
        key: tuple[str, str] = (entry.connection, entry.direction)
        if entry.kind == "body":
            first, so_far = bodies.get(key, (entry, b""))
            bodies[key] = (first, so_far + entry.data)
            continue
        body_done(key)
        if entry.kind == "frame":
            frame = entry.frame
            if frame is None or frame.opcode not in (Opcode.TEXT, Opcode.BINARY) or not frame.fin:
                continue
            message: str | bytes = (
                frame.payload if frame.opcode == Opcode.BINARY else frame.payload.decode("utf-8", "replace")
            )
            out += [TappedPacket(entry, "websocket", p) for p in engineio.packets_in(message, polling=False)]
    for pending in list(bodies):
        body_done(pending)
    return out
