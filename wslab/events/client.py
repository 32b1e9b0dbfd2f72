"""A simulated Socket.IO client: the browser side of ``io()``.

Mirrors socket.io-client v4's Socket: ``on``/``once``/``off``/``remove_all_listeners``,
``emit`` (with an optional acknowledgement callback), ``connect``/``disconnect``,
``connected``, ``id``. While disconnected, ``emit`` keeps packets in a send buffer
and sends them on the next connection (the client buffers; the server does not).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from wslab.events.errors import ConnectError, check_event_name
from wslab.events.listeners import Listeners
from wslab.events.packets import Packet, PacketType, encode_binary

if TYPE_CHECKING:
    from wslab.events.server import Server, Socket


class Client(Listeners):
    """One simulated client of a Server, named for the pictures (``io.client("alice")``)."""

    def __init__(self, server: Server, name: str, origin: str | None = None) -> None:
        super().__init__()
        self.server = server
        self.name = name
        self.origin = origin  # the Origin header a browser would send; None: a non-browser client
        self.connected = False
        self.id: str | None = None  # socket.id: set on each connection, gone on disconnect
        self._socket: Socket | None = None  # the server's Socket for the current connection
        self._ids = 0  # ack ids, counted per client from 0 as socket.io-client does
        self._acks: dict[int, Callable[..., Any]] = {}
        self._send_buffer: list[Packet] = []

    def __repr__(self) -> str:
        state = f"connected, id={self.id}" if self.connected else "disconnected"
        return f"<Client {self.name}: {state}>"

    # --- the application's calls ---------------------------------------------------

    def connect(self) -> Client:
        """Open the connection: ``40`` to the server, ``40{"sid":...}`` back, then ``connect`` fires."""
        if not self.connected:
            self.server.accept(self)
            self.server.network.pump()
        return self

    open = connect

    def disconnect(self) -> Client:
        """Close it: ``41`` to the server; ``disconnect`` fires here with ``"io client disconnect"``."""
        if self.connected:
            socket = self._socket
            self.server.network.to_server(
                self, socket, Packet(PacketType.DISCONNECT), kind="disconnect", call=f"{self.name}.disconnect"
            )
            self.handle_close("io client disconnect")
            self.server.network.pump()
        return self

    close = disconnect

    def emit(self, event: str, *args: Any, callback: Callable[..., Any] | None = None) -> Client:
        """Send ``event`` with ``args`` to the server; ``callback`` receives the server's acknowledgement."""
        check_event_name(event)
        ack_id = None
        if callback is not None:
            ack_id = self._ids
            self._ids += 1
            self._acks[ack_id] = callback
        packet = Packet(PacketType.EVENT, [event, *args], id=ack_id)
        encode_binary(packet)  # fail now, in the caller, if an argument cannot travel
        if self.connected:
            self.server.network.to_server(self, self._socket, packet, kind="event", call=f"{self.name}.emit")
            self.server.network.pump()
        else:
            self._send_buffer.append(packet)
        return self

    def send(self, *args: Any, callback: Callable[..., Any] | None = None) -> Client:
        """``socket.send(...)`` is ``socket.emit("message", ...)``."""
        return self.emit("message", *args, callback=callback)

    @property
    def disconnected(self) -> bool:
        return not self.connected

    # --- what the network delivers to this client ---------------------------------

    @property
    def server_socket(self) -> Socket | None:
        """The server's Socket for the current connection (a simulation can see both ends), or None."""
        return self._socket

    def handle_connect(self, socket: Socket) -> None:
        """CONNECT ``40{"sid":...}`` received: as socket.io-client's onconnect."""
        self.id = socket.id
        self._socket = socket
        self.connected = True
        buffered, self._send_buffer = self._send_buffer, []
        for packet in buffered:
            self.server.network.to_server(self, socket, packet, kind="event", call=f"{self.name}.emit")
        self._fire("connect")

    def handle_close(self, reason: str) -> None:
        """The connection ended (``reason`` as socket.io-client names it): ``disconnect`` fires."""
        self.connected = False
        self.id = None
        self._socket = None
        self._fire("disconnect", reason)

    def handle_event(self, socket: Socket, event: str, args: list[Any], ack_id: int | None) -> None:
        """An EVENT from the server: the listeners run; the first answer that is not None is the ACK."""
        results = self._fire(event, *args)
        answer = next((result for result in results if result is not None), None)
        if ack_id is not None and answer is not None:
            # the first answer is the acknowledgement (as the first call of the ack function wins in
            # Socket.IO); a listener that answers None does not acknowledge at all
            packet = Packet(PacketType.ACK, ack_arguments(answer), id=ack_id)
            self.server.network.to_server(self, socket, packet, kind="ack", call=f"{self.name} acks")

    def handle_ack(self, ack_id: int, args: list[Any]) -> None:
        """An ACK from the server: the callback given to ``emit`` runs."""
        callback = self._acks.pop(ack_id, None)
        if callback is not None:
            callback(*args)

    def handle_connect_error(self, error: ConnectError) -> None:
        """The server refused the connection: ``connect_error`` fires with ``error``."""
        self._fire("connect_error", error)


def ack_arguments(value: Any) -> list[Any]:
    """A handler's answer as acknowledgement arguments: a tuple -> several (``()``: none), anything else
    -> one. (A handler that returns None sends no acknowledgement, as a JavaScript listener that never
    calls its ack function.)"""
    if isinstance(value, tuple):
        return list(value)
    return [value]
