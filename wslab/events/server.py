"""A simulated Socket.IO server: ``io``, its sockets, rooms and broadcasts.

Everything happens in one process, with no I/O: the "network" is a first-in
first-out queue of packets. Each public call (``alice.emit``, ``io.emit`` ...)
puts packets in the queue and then delivers them until the queue is empty, so a
handler's own emits are delivered after the handler returns, in a defined order,
and a notebook prints the same thing every run.

Semantics follow Socket.IO v4 (server ``socket.ts``, ``broadcast-operator.ts``,
the in-memory adapter): who receives each emit, rooms, acknowledgement ids,
reserved names, disconnect reasons. Each delivery is recorded in ``io.trace``
with the packet exactly as Socket.IO v5 over Engine.IO v4 puts it on the wire.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections import deque
from typing import Any, Callable, Iterable

from wslab.events.client import Client, ack_arguments
from wslab.events.errors import (BroadcastAckError, ConnectError, ConnectionRefused, NotConnected,
                                 check_event_name)
from wslab.events.listeners import NodeListeners
from wslab.events.packets import Packet, PacketType, js_stringify, to_wire
from wslab.events.trace import SERVER, Delivery, Trace

DEFAULT_URL = "http://localhost:3000"


def _as_rooms(room: str | Iterable[str]) -> tuple[str, ...]:
    return (room,) if isinstance(room, str) else tuple(room)


def _js_call(name: str, rooms: tuple[str, ...]) -> str:
    arg = js_stringify(rooms[0]) if len(rooms) == 1 else js_stringify(list(rooms))
    return f"{name}({arg})"


class BroadcastOperator:
    """What ``io.to(...)``, ``socket.to(...)`` and ``socket.broadcast`` return (broadcast-operator.ts).

    ``rooms`` is a union: a socket in several of them receives once. ``except_rooms``
    are left out; ``socket.broadcast`` and ``socket.to`` leave out the socket's own room.
    """

    def __init__(self, server: Server, *, rooms: tuple[str, ...] = (), except_rooms: tuple[str, ...] = (),
                 socket: Socket | None = None, call: str = "io") -> None:
        self._server = server
        self._rooms = rooms
        self._except = except_rooms
        self._socket = socket
        self._call = call

    def _with(self, call: str, *, rooms: tuple[str, ...] = (), except_rooms: tuple[str, ...] = ()) -> BroadcastOperator:
        return BroadcastOperator(self._server, rooms=self._rooms + rooms, except_rooms=self._except + except_rooms,
                                 socket=self._socket, call=call)

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

    @property
    def pattern(self) -> str:
        if self._rooms:
            return "room"
        return "broadcast" if self._socket is not None else "io.emit"

    def recipients(self) -> list[Socket]:
        """The sockets an emit would reach now, in the adapter's order (rooms in the order given)."""
        server = self._server
        excluded: set[str] = set()
        for room in self._except:
            excluded.update(server._rooms.get(room, ()))
        if not self._rooms:
            if not excluded:
                return list(server._sockets.values())
            return [s for sid, s in server._sockets.items() if sid not in excluded]
        seen: set[str] = set()
        out = []
        for room in self._rooms:
            for sid, socket in server._rooms.get(room, {}).items():
                if sid not in seen and sid not in excluded:
                    seen.add(sid)
                    out.append(socket)
        return out

    def emit(self, event: str, *args: Any, callback: Callable[..., Any] | None = None) -> bool:
        """Send ``event`` to every recipient. Returns True, as Socket.IO does."""
        check_event_name(event)
        call = f"{self._call}.emit"
        if callback is not None:
            raise BroadcastAckError(call)
        packet = Packet(PacketType.EVENT, [event, *args])
        sender = self._socket.name if self._socket is not None else self._server._context_name()
        self._server._server_packet(self.recipients(), packet, pattern=self.pattern, call=call, socket=sender)
        self._server._pump()
        return True

    def __repr__(self) -> str:
        return f"<BroadcastOperator {self._call}>"


class Socket(NodeListeners):
    """The server's side of one client connection (``socket`` in ``io.on("connection", socket => ...)``)."""

    def __init__(self, server: Server, client: Client, sid: str) -> None:
        super().__init__()
        self.server = server
        self.client = client
        self.id = sid
        self.connected = False
        self._rooms: dict[str, None] = {}  # insertion-ordered set, as a JavaScript Set
        self._acks: dict[int, Callable[..., Any]] = {}

    @property
    def name(self) -> str:
        """The simulated client's name (for pictures; a real server only knows ``socket.id``)."""
        return self.client.name

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
            self.server._rooms.setdefault(name, {})[self.id] = self

    def leave(self, room: str) -> None:
        self._rooms.pop(room, None)
        members = self.server._rooms.get(room)
        if members is not None:
            members.pop(self.id, None)
            if not members:  # Socket.IO deletes a room when its last socket leaves
                del self.server._rooms[room]

    # --- emitting ------------------------------------------------------------------

    def emit(self, event: str, *args: Any, callback: Callable[..., Any] | None = None) -> bool:
        """Send ``event`` to this one client; ``callback`` receives the client's acknowledgement."""
        check_event_name(event)
        ack_id = None
        if callback is not None:
            ack_id = self.server._ids  # ack ids are counted per namespace on the server (nsp._ids++)
            self.server._ids += 1
            self._acks[ack_id] = callback
        packet = Packet(PacketType.EVENT, [event, *args], id=ack_id)
        self.server._server_packet([self], packet, pattern="socket.emit", call="socket.emit", socket=self.name)
        self.server._pump()
        return True

    def send(self, *args: Any, callback: Callable[..., Any] | None = None) -> bool:
        return self.emit("message", *args, callback=callback)

    @property
    def broadcast(self) -> BroadcastOperator:
        """Every connected socket except this one."""
        return BroadcastOperator(self.server, except_rooms=(self.id,), socket=self, call="socket.broadcast")

    def to(self, room: str | Iterable[str]) -> BroadcastOperator:
        """Every socket in the room(s) except this one (``socket.to(socket.id)`` therefore reaches nobody)."""
        return BroadcastOperator(self.server, except_rooms=(self.id,), socket=self, call="socket").to(room)

    def in_(self, room: str | Iterable[str]) -> BroadcastOperator:
        return BroadcastOperator(self.server, except_rooms=(self.id,), socket=self, call="socket").in_(room)

    def except_(self, room: str | Iterable[str]) -> BroadcastOperator:
        return BroadcastOperator(self.server, except_rooms=(self.id,), socket=self, call="socket").except_(room)

    def disconnect(self) -> Socket:
        """Server-side disconnect: ``41`` to the client; reasons ``server namespace disconnect`` here,
        ``io server disconnect`` on the client."""
        if self.connected:
            self.server._server_packet([self], Packet(PacketType.DISCONNECT), pattern="disconnect",
                                       call="socket.disconnect", socket=self.name, kind="disconnect")
            self._onclose("server namespace disconnect")
            self.server._pump()
        return self

    # --- what the network delivers to this socket ------------------------------------

    def _on_event(self, event: str, args: list[Any], ack_id: int | None) -> None:
        if not self.connected:
            return  # "ignore packet received after disconnection"
        with self.server.handling(self):
            results = self._fire(event, *args)
        if ack_id is not None and results:
            packet = Packet(PacketType.ACK, ack_arguments(results[0]), id=ack_id)
            self.server._server_packet([self], packet, pattern="ack", call="server acks", socket=self.name, kind="ack")

    def _on_ack(self, ack_id: int, args: list[Any]) -> None:
        callback = self._acks.pop(ack_id, None)
        if callback is not None:
            with self.server.handling(self):
                callback(*args)

    def _onclose(self, reason: str) -> None:
        """As socket.ts ``_onclose``: ``disconnecting`` (still in its rooms), leave all, ``disconnect``."""
        if not self.connected:
            return
        with self.server.handling(self):
            self._fire("disconnecting", reason)
        for room in list(self._rooms):
            self.leave(room)
        self.server._sockets.pop(self.id, None)
        self.connected = False
        with self.server.handling(self):
            self._fire("disconnect", reason)


class _Handling:
    """Context manager: which socket's handler is running (the sender a picture marks)."""

    def __init__(self, server: Server, socket: Socket) -> None:
        self.server, self.socket = server, socket

    def __enter__(self) -> None:
        self.previous = self.server._context
        self.server._context = self.socket

    def __exit__(self, *exc: object) -> None:
        self.server._context = self.previous


class Server:
    """The Socket.IO server ``io`` with its main namespace ``/``.

    ``cors_allowed_origins`` follows python-socketio: None (default) accepts only the
    server's own origin (``url``), a list accepts those origins, ``"*"`` any. Clients
    that send no Origin header (non-browser clients) are always accepted.
    ``seed`` fixes the socket ids, so every run prints the same ids.
    """

    def __init__(self, cors_allowed_origins: str | list[str] | None = None, *, url: str = DEFAULT_URL,
                 seed: str = "wslab") -> None:
        self.cors_allowed_origins = cors_allowed_origins
        self.url = url
        self.seed = seed
        self.trace = Trace()
        self.clients: dict[str, Client] = {}
        self._sockets: dict[str, Socket] = {}  # connected sockets, in connection order
        self._rooms: dict[str, dict[str, Socket]] = {}  # the adapter: room -> sockets, in join order
        self._listeners = NodeListeners()  # "connection" and its alias "connect"
        self._middlewares: list[Callable[[Socket], Any]] = []
        self._ids = 0  # server-side ack ids (nsp._ids)
        self._id_count = 0
        self._queue: deque[Callable[[], None]] = deque()
        self._pumping = False
        self._errors: list[BaseException] = []
        self._context: Socket | None = None

    def __repr__(self) -> str:
        return f"<Server {self.url}: {len(self._sockets)} connected of {len(self.clients)} clients>"

    # --- the application's calls ------------------------------------------------------

    def on(self, event: str, handler: Callable[[Socket], Any] | None = None) -> Any:
        """``io.on("connection", handler)``; ``"connect"`` is its alias. Usable as a decorator."""
        if event not in ("connection", "connect"):
            raise ValueError(
                f'io.on({event!r}): the server itself only emits "connection" (alias "connect"). '
                f"Listen to a client's {event!r} on its socket, inside the connection handler: "
                f'socket.on({event!r}, ...)')
        return self._listeners.on(event, handler) if handler else self._listeners._decorator(self.on, event)

    def use(self, middleware: Callable[[Socket], Any]) -> Callable[[Socket], Any]:
        """Run ``middleware(socket)`` before each connection; raise ConnectionRefused in it to refuse."""
        self._middlewares.append(middleware)
        return middleware

    def emit(self, event: str, *args: Any, callback: Callable[..., Any] | None = None) -> bool:
        """Every connected client (the sender included, if this runs in a socket's handler)."""
        return BroadcastOperator(self).emit(event, *args, callback=callback)

    def to(self, room: str | Iterable[str]) -> BroadcastOperator:
        """The sockets in the room(s): the sender too, if it is in one of them."""
        return BroadcastOperator(self).to(room)

    def in_(self, room: str | Iterable[str]) -> BroadcastOperator:
        return BroadcastOperator(self).in_(room)

    def except_(self, room: str | Iterable[str]) -> BroadcastOperator:
        return BroadcastOperator(self).except_(room)

    def send(self, *args: Any) -> bool:
        return self.emit("message", *args)

    @property
    def sockets(self) -> dict[str, Socket]:
        """The connected sockets by id, in connection order (JavaScript: ``io.sockets.sockets``)."""
        return dict(self._sockets)

    @property
    def rooms(self) -> dict[str, tuple[str, ...]]:
        """Rooms joined with ``socket.join``, each with its members' names in join order.

        Leaves out each socket's private room (named after its id), which every socket has.
        """
        return {room: tuple(s.name for s in members.values())
                for room, members in self._rooms.items() if room not in self._sockets}

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
        if client._socket is None:
            raise NotConnected(f"{name} is not connected, so the server has no socket for {name}")
        return client._socket

    def origin_allowed(self, origin: str | None) -> bool:
        """python-socketio's Origin check, made at the Engine.IO handshake (HTTP request or WebSocket upgrade)."""
        if origin is None:
            return True  # no Origin header: not a browser, nothing to check
        allowed = self.cors_allowed_origins
        if allowed is None:
            allowed = [self.url]
        if allowed == "*":
            return True
        return origin in ([allowed] if isinstance(allowed, str) else allowed)

    # --- the simulated network -----------------------------------------------------

    def _new_id(self) -> str:
        """A 20-character id shaped like Socket.IO's (base64id: 15 bytes, base64 with - and _), from a counter."""
        self._id_count += 1
        digest = hashlib.sha256(f"{self.seed}:{self._id_count}".encode()).digest()
        return base64.urlsafe_b64encode(digest[:15]).decode("ascii")

    def handling(self, socket: Socket) -> _Handling:
        """``with io.handling(socket): ...`` runs code as if inside ``socket``'s event handler,
        so the trace and the pictures name that socket's client as the sender."""
        return _Handling(self, socket)

    def _context_name(self) -> str | None:
        return self._context.name if self._context is not None else None

    def _record(self, kind: str, sender: str, socket: str | None, pattern: str, call: str,
                recipients: tuple[str, ...], packet: str, note: str = "") -> None:
        self.trace.append(Delivery(len(self.trace) + 1, kind, sender, socket, pattern, call, recipients,
                                   packet, note))

    def _pump(self) -> None:
        """Deliver queued packets until none is left (re-entrant calls just return)."""
        if self._pumping:
            return
        self._pumping = True
        try:
            while self._queue:
                try:
                    self._queue.popleft()()
                except Exception as exc:  # a listener failed: deliver the rest, then raise it
                    self._errors.append(exc)
        finally:
            self._pumping = False
        if self._errors:
            first, self._errors = self._errors[0], []
            raise first

    def _open(self, client: Client) -> None:
        """The client opens the Engine.IO session and sends CONNECT ``40``."""
        if not self.origin_allowed(client.origin):
            self._queue.append(lambda: self._refuse_origin(client))
            return
        self._queue.append(lambda: self._on_connect_packet(client))

    def _refuse_origin(self, client: Client) -> None:
        allowed = self.cors_allowed_origins if self.cors_allowed_origins is not None else [self.url]
        reason = (f"{client.origin!r} is not an accepted origin (allowed: {allowed!r}); the server refused "
                  f"the Engine.IO handshake with HTTP 400, so no Socket.IO packet was exchanged")
        self._record("connect_error", SERVER, None, "connect_error", "handshake", (client.name,), "HTTP 400",
                     note=f"Origin {client.origin} refused")
        client._fire("connect_error", ConnectError(reason, http_status=400))

    def _on_connect_packet(self, client: Client) -> None:
        self._record("connect", client.name, None, "connect", f"{client.name}.connect", (SERVER,), to_wire(Packet(PacketType.CONNECT)))
        socket = Socket(self, client, self._new_id())
        try:
            for middleware in self._middlewares:
                middleware(socket)
        except ConnectionRefused as refused:
            self._refuse(client, refused)
            return
        # socket.ts _onconnect: join its own room, send CONNECT with the sid, then "connection"
        self._sockets[socket.id] = socket
        socket.connected = True
        socket.join(socket.id)
        granted = to_wire(Packet(PacketType.CONNECT, {"sid": socket.id}))
        self._queue.append(lambda: self._deliver_connect(socket, granted))
        with self.handling(socket):
            self._listeners._fire("connect", socket)
            self._listeners._fire("connection", socket)

    def _refuse(self, client: Client, refused: ConnectionRefused) -> None:
        data: dict[str, Any] = {"message": refused.message}
        if refused.data is not None:
            data["data"] = refused.data
        wire = to_wire(Packet(PacketType.CONNECT_ERROR, data))

        def deliver() -> None:
            self._record("connect_error", SERVER, None, "connect_error", "next(err)", (client.name,), wire)
            client._fire("connect_error", ConnectError(refused.message, refused.data))
        self._queue.append(deliver)

    def _deliver_connect(self, socket: Socket, wire: str) -> None:
        self._record("connect", SERVER, socket.name, "connect", "CONNECT granted", (socket.name,), wire)
        if socket.connected:
            socket.client._onconnect(socket)

    def _server_packet(self, sockets: list[Socket], packet: Packet, *, pattern: str, call: str,
                       socket: str | None, kind: str = "event") -> None:
        """Queue one packet from the server to some sockets (encoded once, however many)."""
        wire = to_wire(packet)
        self._queue.append(lambda: self._deliver_to_clients(sockets, packet, wire, kind, pattern, call, socket))

    def _deliver_to_clients(self, sockets: list[Socket], packet: Packet, wire: str, kind: str, pattern: str,
                            call: str, sender: str | None) -> None:
        # a socket closed since the emit misses it: no buffering on the server ("at most once")
        if kind == "disconnect":
            live = sockets
        else:
            live = [s for s in sockets if s.connected and s.client._socket is s]
        self._record(kind, SERVER, sender, pattern, call, tuple(s.name for s in live), wire)
        if kind == "disconnect":
            for s in live:
                if s.client._socket is s:
                    s.client._onclose("io server disconnect")
            return
        data = _decoder(wire)
        for s in live:
            try:
                if kind == "ack":
                    s.client._on_ack(packet.id, data())
                else:
                    event, *args = data()
                    s.client._on_event(s, event, args, packet.id)
            except Exception as exc:
                self._errors.append(exc)

    def _client_packet(self, client: Client, socket: Socket | None, packet: Packet, *, kind: str,
                       call: str) -> None:
        """Queue one packet from a client to its socket on the server."""
        wire = to_wire(packet)
        self._queue.append(lambda: self._deliver_to_server(client, socket, packet, wire, kind, call))

    def _deliver_to_server(self, client: Client, socket: Socket | None, packet: Packet, wire: str, kind: str,
                           call: str) -> None:
        pattern = "client.emit" if kind == "event" else kind
        self._record(kind, client.name, None, pattern, call, (SERVER,), wire)
        if socket is None:
            return
        if kind == "disconnect":
            socket._onclose("client namespace disconnect")
        elif kind == "ack":
            socket._on_ack(packet.id, _decoder(wire)())
        else:
            event, *args = _decoder(wire)()
            socket._on_event(event, args, packet.id)


def _decoder(wire: str) -> Callable[[], list[Any]]:
    """The receiver's side of JSON: each recipient gets what the wire carried.

    A payload of only strings, numbers, booleans and null is decoded once and shared
    (nothing in it can be changed); one with arrays or objects is decoded afresh for
    each recipient, so a listener that changes its copy changes nobody else's.
    """
    start = wire.index("[")
    text = wire[start:]
    data = json.loads(text)
    if any(isinstance(item, (list, dict)) for item in data):
        return lambda: json.loads(text)
    return lambda: list(data)
