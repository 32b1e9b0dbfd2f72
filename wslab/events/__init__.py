"""Socket.IO's event model: a server, its clients (simulated in one process, or real), rooms, acknowledgements.

    from wslab.events import Server
    io = Server()

    @io.on("connection")
    def on_connection(socket):
        socket.on("chat", lambda msg: socket.broadcast.emit("chat", msg))

    alice = io.client("alice"); alice.on("chat", print); alice.connect()
    alice.emit("chat", "hi")

For simulated clients nothing does I/O: the network is a queue, deliveries happen
in a defined order, and ``io.trace`` records each packet as Socket.IO v5 over
Engine.IO v4 puts it on the wire. ``server = await io.listen(host, port)`` lets real
clients (python-socketio, socket.io-client) connect to the same server model.
"""

from wslab.events.client import Client
from wslab.events.errors import (
    RESERVED_EVENTS,
    AckTimeout,
    ConnectError,
    ConnectionRefused,
    EventsError,
    NotConnected,
    ReservedEventName,
)
from wslab.events.network import Network
from wslab.events.packets import (
    Packet,
    PacketType,
    decode_packet,
    encode_packet,
    engineio_open,
    from_wire,
    js_stringify,
    to_wire,
)
from wslab.events.patterns import PATTERN_CALLS, emit_as
from wslab.events.server import BroadcastOperator, Namespace, Server, Socket
from wslab.events.trace import Delivery, Trace

__all__ = [
    "Server",
    "Namespace",
    "Socket",
    "Client",
    "BroadcastOperator",
    "Delivery",
    "Trace",
    "Network",
    "AckTimeout",
    "Packet",
    "PacketType",
    "encode_packet",
    "decode_packet",
    "to_wire",
    "from_wire",
    "engineio_open",
    "js_stringify",
    "RESERVED_EVENTS",
    "EventsError",
    "ReservedEventName",
    "NotConnected",
    "ConnectionRefused",
    "ConnectError",
    "PATTERN_CALLS",
    "emit_as",
]
