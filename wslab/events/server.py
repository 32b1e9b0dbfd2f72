"""The Socket.IO server model: ``io``, its namespaces, sockets, rooms, broadcasts and acknowledgements.

One model serves two kinds of clients. Simulated clients (``io.client("alice")``)
live in the same process: the "network" is `Network`'s queue, and a notebook
prints the same thing every run. Real clients (python-socketio, socket.io-client
in Node or a browser) connect over Engine.IO once ``await io.listen(host, port)``
runs: each Engine.IO session is a `RemoteConnection`, and its packets go through
the same queue, rooms, acks and trace.

Semantics follow the JavaScript server, socket.io 4.8 (``socket.ts``, ``namespace.ts``,
``broadcast-operator.ts``, ``client.ts``, the in-memory adapter): who receives each
emit, rooms, acknowledgement ids and results, reserved names, disconnect reasons.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import inspect
import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from wslab.events.client import Client, ack_arguments
from wslab.events.errors import AckTimeout, ConnectError, ConnectionRefused, NotConnected, check_event_name
from wslab.events.listeners import NodeListeners
from wslab.events.network import Network
from wslab.events.packets import Packet, PacketType, js_stringify, to_wire
from wslab.events.trace import SERVER, Trace

if TYPE_CHECKING:
    from wslab.engineio_net import EngineIOServer, Handshake, OriginPolicy
    from wslab.events.remote import RemoteConnection

DEFAULT_URL = "http://localhost:3000"

logger = logging.getLogger("wslab.events")


def _as_rooms(room: str | Iterable[str]) -> tuple[str, ...]:
    return (room,) if isinstance(room, str) else tuple(room)


def _js_call(name: str, rooms: tuple[str, ...]) -> str:
    arg = js_stringify(rooms[0]) if len(rooms) == 1 else js_stringify(list(rooms))
    return f"{name}({arg})"


def _timeout_call(seconds: float) -> str:
    return f"timeout({js_stringify(round(seconds * 1000, 3))})"


class BroadcastOperator:
    """What ``io.to(...)``, ``socket.to(...)``, ``socket.broadcast`` and ``io.timeout(...)`` return
    (broadcast-operator.ts).

    ``rooms`` is a union: a socket in several of them receives once. ``except_rooms``
    are left out; ``socket.broadcast`` and ``socket.to`` leave out the socket's own room.
    """

    def __init__(
        self,
        nsp: Namespace,
        *,
        rooms: tuple[str, ...] = (),
        except_rooms: tuple[str, ...] = (),
        socket: Socket | None = None,
        call: str = "io",
        timeout: float | None = None,
    ) -> None:
        self._nsp = nsp
        self._rooms = rooms
        self._except = except_rooms
        self._socket = socket
        self._call = call
        self._timeout = timeout

    def _with(
        self,
        call: str,
        *,
        rooms: tuple[str, ...] = (),
        except_rooms: tuple[str, ...] = (),
        timeout: float | None = None,
    ) -> BroadcastOperator:
        return BroadcastOperator(
            self._nsp,
            rooms=self._rooms + rooms,
            except_rooms=self._except + except_rooms,
            socket=self._socket,
            call=call,
            timeout=timeout if timeout is not None else self._timeout,
        )

    def to(self, room: str | Iterable[str]) -> BroadcastOperator:
        """Target a room (or several): sockets in any of them receive, once each."""
        rooms = _as_rooms(room)
        return self._with(f"{self._call}.{_js_call('to', rooms)}", rooms=rooms)

    def in_(self, room: str | Iterable[str]) -> BroadcastOperator:
        """``in`` is a Python keyword: ``io.in_("room")`` is JavaScript's ``io.in("room")`` (same as ``to``)."""
        rooms = _as_rooms(room)
        return self._with(f"{self._call}.{_js_call('in', rooms)}", rooms=rooms)

    def except_(self, room: str | Iterable[str]) -> BroadcastOperator:
        """Leave out the sockets of a room (or several): JavaScript's ``except``."""
        rooms = _as_rooms(room)
        return self._with(f"{self._call}.{_js_call('except', rooms)}", except_rooms=rooms)

    def timeout(self, seconds: float) -> BroadcastOperator:
        """Wait at most ``seconds`` for the acknowledgements: the callback then gets ``(err, responses)``."""
        return self._with(f"{self._call}.{_timeout_call(seconds)}", timeout=seconds)

    @property
    def pattern(self) -> str:
        if self._rooms:
            return "room"
        return "broadcast" if self._socket is not None else "io.emit"

    def recipients(self) -> list[Socket]:
        """The sockets an emit would reach now, in the adapter's order (rooms in the order given)."""
        nsp = self._nsp
        excluded: set[str] = set()
        for room in self._except:
            excluded.update(nsp.adapter.get(room, ()))
        if not self._rooms:
            return [s for sid, s in nsp.connected.items() if sid not in excluded]
        seen: set[str] = set()
        out = []
        for room in self._rooms:
            for sid, socket in nsp.adapter.get(room, {}).items():
                if sid not in seen and sid not in excluded:
                    seen.add(sid)
                    out.append(socket)
        return out

    def emit(self, event: str, *args: Any, callback: Callable[..., Any] | None = None) -> bool:
        """Send ``event`` to every recipient. Returns True, as Socket.IO does.

        With ``callback`` (Socket.IO >= 4.5), every recipient is asked for an
        acknowledgement, and ``callback(err, responses)`` runs once: ``err`` None and
        one response per recipient when all answered in time, else an AckTimeout and
        the responses so far. Without ``timeout(...)`` the wait is zero, as in
        JavaScript (``setTimeout(fn, undefined)``): the callback gets the timeout at once.
        """
        check_event_name(event)
        nsp = self._nsp
        sender = self._socket.name if self._socket is not None else nsp.server._context_name()
        recipients = self.recipients()
        ack_id = None
        if callback is not None:
            ack_id = nsp.next_ack_id()
            _BroadcastAck(nsp.server, callback, recipients, ack_id, self._timeout)
        packet = Packet(PacketType.EVENT, [event, *args], nsp.name, ack_id)
        nsp.server.network.to_clients(
            recipients, packet, kind="event", pattern=self.pattern, call=f"{self._call}.emit", sender=sender
        )
        nsp.server.network.pump()
        return True

    def __repr__(self) -> str:
        return f"<BroadcastOperator {self._call}>"


class _BroadcastAck:
    """One ``callback(err, responses)`` for a broadcast with acknowledgements (broadcast-operator.ts emit)."""

    def __init__(
        self, server: Server, callback: Callable[..., Any], recipients: list[Socket], ack_id: int, timeout: float | None
    ) -> None:
        self.callback = callback
        self.expected = len(recipients)
        self.responses: list[Any] = []
        self.done = False
        for socket in recipients:
            socket.expect_ack(ack_id, self.answer)
        if self.expected == 0:  # nobody to ask: (null, []) at once, as broadcast-operator.ts checkCompleteness
            server.network.later(lambda: self.finish(None))
        else:
            _start_timer(server, recipients, timeout, lambda: self.finish(AckTimeout()))

    def answer(self, *args: Any) -> None:
        if self.done:
            return
        self.responses.append(args[0] if args else None)
        if len(self.responses) == self.expected:
            self.finish(None)

    def finish(self, err: AckTimeout | None) -> None:
        if not self.done:
            self.done = True
            self.callback(err, list(self.responses))


def _start_timer(server: Server, recipients: list[Socket], timeout: float | None, fire: Callable[[], None]) -> None:
    """When a wait for acknowledgements ends. ``None``: at once, before any answer can arrive (JavaScript's
    ``setTimeout(fn, undefined)``). Only simulated recipients: when the queue is empty (nothing can answer
    later). Real ones: after ``timeout`` seconds on the event loop."""
    if timeout is None:
        server.network.later(fire)
    elif all(not s.remote for s in recipients):
        server.network.when_idle(fire)
    else:

        def expire() -> None:
            fire()
            server.network.pump()

        asyncio.get_running_loop().call_later(timeout, expire)


class Socket(NodeListeners):
    """The server's side of one client in one namespace (``socket`` in ``io.on("connection", socket => ...)``)."""

    def __init__(self, nsp: Namespace, conn: Connection, sid: str, handshake: Handshake | None = None) -> None:
        super().__init__()
        self.nsp = nsp
        self.server = nsp.server
        self.conn = conn
        self.id = sid
        self.handshake = handshake
        self.connected = False
        self.data: dict[str, Any] = {}  # socket.data: anything the application keeps with the socket
        self._rooms: dict[str, None] = {}  # insertion-ordered set, as a JavaScript Set
        self._acks: dict[int, Callable[..., Any]] = {}
        self._timeout: float | None = None

    @property
    def name(self) -> str:
        """Who this is in the trace and the pictures: the simulated client's name, or the socket id."""
        return self.conn.name(self)

    @property
    def client(self) -> Client | None:
        """The simulated client (None for a real one)."""
        return getattr(self.conn, "client", None)

    @property
    def remote(self) -> bool:
        return self.conn.remote

    @property
    def reachable(self) -> bool:
        """Connected now, through the connection it was made on (packets to it are delivered)."""
        return self.connected and self.conn.carries(self)

    def __repr__(self) -> str:
        return f"<Socket {self.id} of {self.name}{'' if self.connected else ' (disconnected)'}>"

    @property
    def rooms(self) -> tuple[str, ...]:
        """The rooms this socket is in, its own id first (JavaScript returns a Set in this order)."""
        return tuple(self._rooms)

    def join(self, room: str | Iterable[str]) -> None:
        """Join a room (or several). After a disconnection it does nothing, as in Socket.IO."""
        if not self.connected:
            return
        for name in _as_rooms(room):
            self._rooms[name] = None
            self.nsp.adapter.setdefault(name, {})[self.id] = self

    def leave(self, room: str) -> None:
        self._rooms.pop(room, None)
        members = self.nsp.adapter.get(room)
        if members is not None:
            members.pop(self.id, None)
            if not members:  # Socket.IO deletes a room when its last socket leaves
                del self.nsp.adapter[room]

    # --- emitting ------------------------------------------------------------------

    def emit(self, event: str, *args: Any, callback: Callable[..., Any] | None = None) -> bool:
        """Send ``event`` to this one client; ``callback`` receives the client's acknowledgement
        (after ``socket.timeout(seconds)``: ``callback(err, *args)``)."""
        check_event_name(event)
        ack_id = None
        timeout, self._timeout = self._timeout, None
        if callback is not None:
            ack_id = self.nsp.next_ack_id()  # ack ids are counted per namespace on the server (nsp._ids++)
            self._acks[ack_id] = callback if timeout is None else self._timed_ack(ack_id, callback, timeout)
        packet = Packet(PacketType.EVENT, [event, *args], self.nsp.name, ack_id)
        call = "socket.emit" if timeout is None else f"socket.{_timeout_call(timeout)}.emit"
        self.server.network.to_clients([self], packet, kind="event", pattern="socket.emit", call=call, sender=self.name)
        self.server.network.pump()
        return True

    def _timed_ack(self, ack_id: int, callback: Callable[..., Any], timeout: float) -> Callable[..., Any]:
        state = {"done": False}

        def answer(*args: Any) -> None:
            if not state["done"]:
                state["done"] = True
                callback(None, *args)

        def expire() -> None:
            if not state["done"]:
                state["done"] = True
                self._acks.pop(ack_id, None)
                callback(AckTimeout())

        _start_timer(self.server, [self], timeout, expire)
        return answer

    def timeout(self, seconds: float) -> Socket:
        """``socket.timeout(ms).emit(..., cb)``: the next emit's callback gets ``(err, *args)``; err is an
        AckTimeout when no answer came within ``seconds``."""
        self._timeout = seconds
        return self

    def send(self, *args: Any, callback: Callable[..., Any] | None = None) -> bool:
        return self.emit("message", *args, callback=callback)

    @property
    def broadcast(self) -> BroadcastOperator:
        """Every connected socket except this one."""
        return BroadcastOperator(self.nsp, except_rooms=(self.id,), socket=self, call="socket.broadcast")

    def to(self, room: str | Iterable[str]) -> BroadcastOperator:
        """Every socket in the room(s) except this one (``socket.to(socket.id)`` therefore reaches nobody)."""
        return BroadcastOperator(self.nsp, except_rooms=(self.id,), socket=self, call="socket").to(room)

    def in_(self, room: str | Iterable[str]) -> BroadcastOperator:
        return BroadcastOperator(self.nsp, except_rooms=(self.id,), socket=self, call="socket").in_(room)

    def except_(self, room: str | Iterable[str]) -> BroadcastOperator:
        return BroadcastOperator(self.nsp, except_rooms=(self.id,), socket=self, call="socket").except_(room)

    def disconnect(self, close: bool = False) -> Socket:
        """Server-side disconnect: ``41`` to the client; reasons ``server namespace disconnect`` here,
        ``io server disconnect`` on the client. ``close=True`` (``socket.disconnect(true)``) disconnects the
        client from every namespace, each as above, then closes its connection."""
        if close:
            for socket in self.conn.joined():
                socket.disconnect()
            self.conn.close()
            return self
        if self.connected:
            self.server.network.to_clients(
                [self],
                Packet(PacketType.DISCONNECT, namespace=self.nsp.name),
                kind="disconnect",
                pattern="disconnect",
                call="socket.disconnect",
                sender=self.name,
            )
            self.handle_close("server namespace disconnect")
            self.server.network.pump()
        return self

    # --- what the network delivers to this socket ------------------------------------

    def handle_event(self, event: str, args: list[Any], ack_id: int | None) -> None:
        """An EVENT from the client: the listeners run; the first answer that is not None is the ACK."""
        if not self.connected:
            return  # "ignore packet received after disconnection"
        with self.server.handling(self):
            results = self._fire(event, *args)
        _answer(self.server, results, None if ack_id is None else (lambda value: self._send_ack(ack_id, value)))

    def _send_ack(self, ack_id: int, value: Any) -> None:
        packet = Packet(PacketType.ACK, ack_arguments(value), self.nsp.name, ack_id)
        self.server.network.to_clients([self], packet, kind="ack", pattern="ack", call="server acks", sender=self.name)
        self.server.network.pump()

    def expect_ack(self, ack_id: int, callback: Callable[..., Any]) -> None:
        """Run ``callback`` with the arguments of the client's ACK ``ack_id``."""
        self._acks[ack_id] = callback

    def handle_ack(self, ack_id: int, args: list[Any]) -> None:
        """An ACK from the client: the callback waiting for it runs."""
        callback = self._acks.pop(ack_id, None)
        if callback is not None:
            with self.server.handling(self):
                callback(*args)

    def handle_close(self, reason: str) -> None:
        """As socket.ts ``_onclose``: ``disconnecting`` (still in its rooms), leave all, ``disconnect``."""
        if not self.connected:
            return
        with self.server.handling(self):
            self._fire("disconnecting", reason)
        for room in list(self._rooms):
            self.leave(room)
        self.nsp.connected.pop(self.id, None)
        self.connected = False
        self._acks.clear()
        self.conn.forget(self)
        with self.server.handling(self):
            self._fire("disconnect", reason)


def _answer(server: Server, results: list[Any], send: Callable[[Any], None] | None) -> None:
    """The acknowledgement of a handled event: the first listener's answer that is not None wins (as the
    first call of the ack function does in Socket.IO); None from all: no ACK at all. A coroutine handler
    (``async def``) runs as a task on the event loop, and answers when it finishes."""
    if any(inspect.isawaitable(result) for result in results):

        async def wait() -> None:
            answers = [await result if inspect.isawaitable(result) else result for result in results]
            answer = next((a for a in answers if a is not None), None)
            if send is not None and answer is not None:
                send(answer)

        _background(wait())
        return
    answer = next((result for result in results if result is not None), None)
    if send is not None and answer is not None:
        send(answer)


_tasks: set[asyncio.Task] = set()  # handlers running as tasks: kept until they finish


def _background(coro: Any) -> None:
    task = asyncio.ensure_future(coro)
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)
    task.add_done_callback(_log_failure)


def _log_failure(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("an async handler raised", exc_info=task.exception())


class Connection:
    """What stands between sockets and one client (socket.io's server ``Client``): simulated or real."""

    remote = False

    def name(self, socket: Socket) -> str:
        raise NotImplementedError

    def carries(self, socket: Socket) -> bool:
        return True

    def deliver(
        self, socket: Socket, packet: Packet, wire: str, attachments: list[bytes], data: Callable[[], list[Any]]
    ) -> None:
        raise NotImplementedError

    def joined(self) -> list[Socket]:
        """The connected sockets of this client, one per namespace it joined."""
        return []

    def forget(self, socket: Socket) -> None:
        """``socket`` left its namespace."""

    def close(self) -> None:
        """Close the whole connection (every namespace)."""


class SimulatedConnection(Connection):
    """A simulated client's connection: packets go straight to the Client object."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def name(self, socket: Socket) -> str:
        return self.client.name

    def carries(self, socket: Socket) -> bool:
        return self.client.server_socket is socket

    def joined(self) -> list[Socket]:
        socket = self.client.server_socket
        return [socket] if socket is not None else []

    def deliver(
        self, socket: Socket, packet: Packet, wire: str, attachments: list[bytes], data: Callable[[], list[Any]]
    ) -> None:
        client = self.client
        if packet.type == PacketType.DISCONNECT:
            if client.server_socket is socket:
                client.handle_close("io server disconnect")
        elif packet.type == PacketType.ACK:
            client.handle_ack(packet.id or 0, data())
        elif packet.type == PacketType.CONNECT:
            if socket.connected:
                client.handle_connect(socket)
        else:
            event, *args = data()
            client.handle_event(socket, event, args, packet.id)

    def close(self) -> None:
        if self.client.server_socket is not None:
            self.client.handle_close("transport close")


class _Handling:
    """Context manager: which socket's handler is running (the sender a picture marks)."""

    def __init__(self, server: Server, socket: Socket) -> None:
        self.server, self.socket = server, socket

    def __enter__(self) -> None:
        self.previous = self.server._context
        self.server._context = self.socket

    def __exit__(self, *exc: object) -> None:
        self.server._context = self.previous


class Namespace:
    """One namespace (``io.of("/chat")``): its sockets, rooms (the adapter), listeners, middlewares, ack ids."""

    def __init__(self, server: Server, name: str) -> None:
        self.server = server
        self.name = name
        self.connected: dict[str, Socket] = {}  # connected sockets, in connection order
        self.adapter: dict[str, dict[str, Socket]] = {}  # room -> sockets, in join order
        self._listeners = NodeListeners()  # "connection" and its alias "connect"
        self._middlewares: list[Callable[[Socket], Any]] = []
        self._ids = 0

    def __repr__(self) -> str:
        return f"<Namespace {self.name}: {len(self.connected)} connected>"

    def next_ack_id(self) -> int:
        ack_id, self._ids = self._ids, self._ids + 1
        return ack_id

    def on(self, event: str, handler: Callable[[Socket], Any] | None = None) -> Any:
        """``nsp.on("connection", handler)``; ``"connect"`` is its alias. Usable as a decorator."""
        if event not in ("connection", "connect"):
            raise ValueError(
                f'io.on({event!r}): the server itself only emits "connection" (alias "connect"). '
                f"Listen to a client's {event!r} on its socket, inside the connection handler: "
                f"socket.on({event!r}, ...)"
            )
        return self._listeners.on(event, handler) if handler else self._listeners._decorator(self.on, event)

    def use(self, middleware: Callable[[Socket], Any]) -> Callable[[Socket], Any]:
        """Run ``middleware(socket)`` before each connection; raise ConnectionRefused in it to refuse."""
        self._middlewares.append(middleware)
        return middleware

    def emit(self, event: str, *args: Any, callback: Callable[..., Any] | None = None) -> bool:
        """Every connected client (the sender included, if this runs in a socket's handler)."""
        return BroadcastOperator(self).emit(event, *args, callback=callback)

    def to(self, room: str | Iterable[str]) -> BroadcastOperator:
        return BroadcastOperator(self).to(room)

    def in_(self, room: str | Iterable[str]) -> BroadcastOperator:
        return BroadcastOperator(self).in_(room)

    def except_(self, room: str | Iterable[str]) -> BroadcastOperator:
        return BroadcastOperator(self).except_(room)

    def timeout(self, seconds: float) -> BroadcastOperator:
        return BroadcastOperator(self).timeout(seconds)

    def send(self, *args: Any) -> bool:
        return self.emit("message", *args)

    @property
    def sockets(self) -> dict[str, Socket]:
        """The connected sockets by id, in connection order (JavaScript: ``io.sockets.sockets``)."""
        return dict(self.connected)

    def connect(
        self,
        conn: Connection,
        sid: str,
        auth: Any,
        handshake: Handshake | None,
        refuse: Callable[[ConnectionRefused], None],
        added: Callable[[Socket], None] | None = None,
    ) -> Socket | None:
        """A CONNECT for this namespace: middlewares, then (socket.ts ``_onconnect``) join its own room, the
        CONNECT answer ``40{"sid":...}`` queued, ``added(socket)``, then ``connection`` fires.
        None when a middleware refused."""
        if handshake is not None:
            handshake.auth = auth if isinstance(auth, dict) else {}
        socket = Socket(self, conn, sid, handshake)
        try:
            for middleware in self._middlewares:
                middleware(socket)
        except ConnectionRefused as refused:
            refuse(refused)
            return None
        self.connected[socket.id] = socket
        socket.connected = True
        socket.join(socket.id)
        self.server.network.to_clients(
            [socket],
            Packet(PacketType.CONNECT, {"sid": socket.id}, self.name),
            kind="connect",
            pattern="connect",
            call="CONNECT granted",
            sender=socket.name,
        )
        if added is not None:
            added(socket)
        with self.server.handling(socket):
            results = self._listeners._fire("connect", socket) + self._listeners._fire("connection", socket)
        _answer(self.server, results, None)  # an async connection handler runs as a task
        return socket


class Server:
    """The Socket.IO server ``io``; its methods act on the main namespace ``/`` (``io.of("/")``).

    Simulated clients: ``io.client(name)``. Real clients: ``await io.listen(host, port)``.

    Origin checks, as socket.io does it: ``cors_allowed_origins`` only decides which
    origins get CORS headers on polling responses (``"*"``: any; None: none), it does
    not refuse anything; ``allow_request(handshake) -> bool`` refuses (HTTP 403 for
    polling, 400 for a WebSocket). ``origin_policy="python-socketio"`` refuses a
    foreign Origin with HTTP 400 as python-socketio does (None then means: the
    server's own origin, ``url``). Clients that send no Origin are never refused
    for it. ``seed`` fixes the simulated socket ids, so every run prints the same ids.
    """

    def __init__(
        self,
        cors_allowed_origins: str | list[str] | None = None,
        *,
        ping_interval: float = 25,
        ping_timeout: float = 20,
        connect_timeout: float = 45,
        max_http_buffer_size: int = 1_000_000,
        allow_request: Callable[[Handshake], bool] | None = None,
        origin_policy: OriginPolicy = "node",
        cors_credentials: bool = False,
        url: str = DEFAULT_URL,
        seed: str = "wslab",
    ) -> None:
        self.cors_allowed_origins = cors_allowed_origins
        self.cors_credentials = cors_credentials
        self.ping_interval, self.ping_timeout = ping_interval, ping_timeout
        self.connect_timeout = connect_timeout
        self.max_http_buffer_size = max_http_buffer_size
        self.allow_request = allow_request
        if origin_policy not in ("node", "python-socketio"):
            raise ValueError(f'origin_policy is "node" or "python-socketio", not {origin_policy!r}')
        self.origin_policy = origin_policy
        self.url = url
        self.seed = seed
        self.network = Network()
        self.clients: dict[str, Client] = {}
        self.namespaces: dict[str, Namespace] = {}
        self.sockets_nsp = self.of("/")
        self.engines: list[EngineIOServer] = []
        self.remotes: set[RemoteConnection] = set()  # real clients' connections
        self._id_count = 0
        self._context: Socket | None = None

    @property
    def trace(self) -> Trace:
        """Every delivery, oldest first (see `Trace`)."""
        return self.network.trace

    def __repr__(self) -> str:
        main = self.sockets_nsp
        return f"<Server {self.url}: {len(main.connected)} connected of {len(self.clients)} clients>"

    # --- namespaces ------------------------------------------------------------------

    def of(self, name: str) -> Namespace:
        """The namespace ``name`` (made on first use). A client asking for one never made is refused
        with ``44/name,{"message":"Invalid namespace"}``."""
        if not name.startswith("/"):
            name = "/" + name
        if name not in self.namespaces:
            self.namespaces[name] = Namespace(self, name)
        return self.namespaces[name]

    # --- the main namespace's calls ------------------------------------------------------

    def on(self, event: str, handler: Callable[[Socket], Any] | None = None) -> Any:
        return self.sockets_nsp.on(event, handler)

    def use(self, middleware: Callable[[Socket], Any]) -> Callable[[Socket], Any]:
        return self.sockets_nsp.use(middleware)

    def emit(self, event: str, *args: Any, callback: Callable[..., Any] | None = None) -> bool:
        """Every connected client (the sender included, if this runs in a socket's handler)."""
        return self.sockets_nsp.emit(event, *args, callback=callback)

    def to(self, room: str | Iterable[str]) -> BroadcastOperator:
        """The sockets in the room(s): the sender too, if it is in one of them."""
        return self.sockets_nsp.to(room)

    def in_(self, room: str | Iterable[str]) -> BroadcastOperator:
        return self.sockets_nsp.in_(room)

    def except_(self, room: str | Iterable[str]) -> BroadcastOperator:
        return self.sockets_nsp.except_(room)

    def timeout(self, seconds: float) -> BroadcastOperator:
        """``io.timeout(ms).emit(ev, cb)``: ``cb(err, responses)`` once every client answered, or after ``seconds``."""
        return self.sockets_nsp.timeout(seconds)

    def send(self, *args: Any) -> bool:
        return self.emit("message", *args)

    @property
    def sockets(self) -> dict[str, Socket]:
        """The connected sockets of ``/`` by id, in connection order (JavaScript: ``io.sockets.sockets``)."""
        return self.sockets_nsp.sockets

    @property
    def rooms(self) -> dict[str, tuple[str, ...]]:
        """Rooms of ``/`` joined with ``socket.join``, each with its members' names in join order.

        Leaves out each socket's private room (named after its id), which every socket has.
        """
        main = self.sockets_nsp
        return {
            room: tuple(s.name for s in members.values())
            for room, members in main.adapter.items()
            if room not in main.connected
        }

    # --- simulated clients -----------------------------------------------------------

    def client(self, name: str, origin: str | None = None) -> Client:
        """A new simulated client called ``name`` (not yet connected)."""
        if not isinstance(name, str) or not name.strip():
            raise ValueError("a client needs a non-empty name")
        if name in self.clients:
            raise ValueError(f"there is already a client called {name!r}")
        client = Client(self, name, origin)
        self.clients[name] = client
        return client

    def remove_client(self, name: str) -> None:
        """Disconnect the client ``name`` and forget it."""
        client = self.clients.get(name)
        if client is None:
            raise KeyError(f"no client called {name!r}")
        client.disconnect()
        del self.clients[name]

    def socket_of(self, name: str) -> Socket:
        """The server's socket for client ``name``; NotConnected if it has none now."""
        client = self.clients.get(name)
        if client is None:
            raise KeyError(f"no client called {name!r}")
        socket = client.server_socket
        if socket is None:
            raise NotConnected(f"{name} is not connected, so the server has no socket for {name}")
        return socket

    def origin_refused(self, origin: str | None) -> str | None:
        """Why python-socketio would refuse this Origin (only under ``origin_policy="python-socketio"``)."""
        if origin is None or self.origin_policy != "python-socketio":
            return None
        allowed = self.cors_allowed_origins if self.cors_allowed_origins is not None else [self.url]
        if allowed == "*" or origin in ([allowed] if isinstance(allowed, str) else allowed):
            return None
        return f"{origin} is not an accepted origin."

    def handling(self, socket: Socket) -> _Handling:
        """``with io.handling(socket): ...`` runs code as if inside ``socket``'s event handler,
        so the trace and the pictures name that socket's client as the sender."""
        return _Handling(self, socket)

    def _context_name(self) -> str | None:
        return self._context.name if self._context is not None else None

    def _new_id(self) -> str:
        """A 20-character id shaped like Socket.IO's (base64id: 15 bytes, base64 with - and _), from a counter."""
        self._id_count += 1
        digest = hashlib.sha256(f"{self.seed}:{self._id_count}".encode()).digest()
        return base64.urlsafe_b64encode(digest[:15]).decode("ascii")

    def _sim_handshake(self, client: Client) -> Handshake:
        from wslab.engineio_net import Handshake

        headers = {"host": self.url.split("//", 1)[-1]}
        if client.origin is not None:
            headers["origin"] = client.origin
        return Handshake(
            headers,
            {"EIO": "4", "transport": "websocket"},
            "127.0.0.1",
            "",
            0,
            "/socket.io/?EIO=4&transport=websocket",
            client.origin is not None,
        )

    def accept(self, client: Client) -> None:
        """A simulated client opens its Engine.IO session (the checks a real handshake gets) and sends ``40``."""
        shake = self._sim_handshake(client)
        refused = self.origin_refused(client.origin)
        status = 400
        if refused is None and self.allow_request is not None and not self.allow_request(shake):
            refused, status = "Forbidden (allow_request refused the handshake)", 403
        if refused is not None:
            self.network.later(lambda: self._refuse_handshake(client, refused, status))
            return
        self.network.later(lambda: self._on_connect_packet(client, shake))

    def _refuse_handshake(self, client: Client, reason: str, status: int) -> None:
        message = (
            f"{reason} The server refused the Engine.IO handshake with HTTP {status}, "
            "so no Socket.IO packet was exchanged"
        )
        self.network.record(
            "connect_error",
            SERVER,
            None,
            "connect_error",
            "handshake",
            (client.name,),
            f"HTTP {status}",
            note=f"Origin {client.origin} refused" if status == 400 else "",
        )
        client.handle_connect_error(ConnectError(message, http_status=status))

    def _on_connect_packet(self, client: Client, shake: Handshake) -> None:
        self.network.record(
            "connect",
            client.name,
            None,
            "connect",
            f"{client.name}.connect",
            (SERVER,),
            to_wire(Packet(PacketType.CONNECT)),
        )
        conn = SimulatedConnection(client)

        def refuse(refused: ConnectionRefused) -> None:
            wire = to_wire(Packet(PacketType.CONNECT_ERROR, refused.payload()))

            def deliver() -> None:
                self.network.record("connect_error", SERVER, None, "connect_error", "next(err)", (client.name,), wire)
                client.handle_connect_error(ConnectError(refused.message, refused.data))

            self.network.later(deliver)

        self.sockets_nsp.connect(conn, self._new_id(), {}, shake, refuse)

    # --- real clients ------------------------------------------------------------------

    async def listen(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        path: str = "/socket.io/",
        transports: Iterable[str] = ("polling", "websocket"),
        on_bytes: Callable[[object, str, bytes], None] | None = None,
    ) -> EngineIOServer:
        """Serve real Socket.IO clients: Engine.IO v4 polling and WebSocket on one port.
        Returns the Engine.IO server (``.url``, ``.port``, ``await .close()``)."""
        from wslab.engineio_net import EngineIOServer
        from wslab.events.remote import RemoteConnection

        def on_session(session, handshake) -> None:
            self.remotes.add(RemoteConnection(self, session, handshake))

        engine = EngineIOServer(
            on_session,
            path=path,
            ping_interval=self.ping_interval,
            ping_timeout=self.ping_timeout,
            max_payload=self.max_http_buffer_size,
            transports=transports,
            cors_allowed_origins=self.cors_allowed_origins,
            cors_credentials=self.cors_credentials,
            allow_request=self.allow_request,
            origin_policy=self.origin_policy,
            on_bytes=on_bytes,
        )
        await engine.start(host, port)
        self.engines.append(engine)
        return engine

    async def close(self) -> None:
        """``io.close()``: every socket disconnects with ``server shutting down``, the clients' connections
        close (``transport close`` on their side), the listening servers stop."""
        for nsp in self.namespaces.values():
            for socket in list(nsp.connected.values()):
                socket.handle_close("server shutting down")
        for conn in list(self.remotes):
            conn.close()
        for client in self.clients.values():
            if client.server_socket is not None or client.connected:
                client.handle_close("transport close")
        engines, self.engines = self.engines, []
        for engine in engines:
            await engine.close()
