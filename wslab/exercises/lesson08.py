"""Exercises of lesson 08 · Socket.IO events: who receives each emit, on/once/off, the packets."""

from __future__ import annotations

from typing import Any

from wslab.events import RESERVED_EVENTS, Packet, PacketType, Server, emit_as, to_wire
from wslab.exercises import feedback as fb
from wslab.exercises.exercise import Checked, Predict
from wslab.exercises.feedback import Case

TITLE = "Socket.IO events"
STEM = "08_socketio_events"

NAMES = ("alice", "bob", "carol")


def _server() -> Server:
    io = Server()
    for name in NAMES:
        io.client(name).connect()
    return io


def recipients(pattern: str, sender: str = "alice", *, disconnected: tuple[str, ...] = ()) -> set[str]:
    """Who receives `pattern` sent by `sender`, on the simulated server (alice, bob, carol connected)."""
    io = _server()
    for name in disconnected:
        io.clients[name].disconnect()
    emit_as(io, pattern, sender, "chat", "hi")
    delivery = io.trace.last_event()
    assert delivery is not None
    return set(delivery.recipients)


def _heard() -> list:
    io = _server()
    bob, heard = io.clients["bob"], []
    loud = lambda msg: heard.append(("on", msg))  # noqa: E731
    quiet = lambda msg: heard.append(("once", msg))  # noqa: E731
    bob.on("news", loud)
    bob.once("news", quiet)
    socket = io.socket_of("bob")
    socket.emit("news", 1)
    socket.emit("news", 2)
    bob.off("news", loud)
    socket.emit("news", 3)
    return heard


def _ack_packets() -> list[str]:
    io = Server()
    io.on("connection", lambda socket: socket.on("sum", lambda a, b: a + b))
    alice = io.client("alice").connect()
    alice.emit("sum", 1, 2, callback=lambda total: None)
    return io.trace.packets()[-2:]


def _playground_check(ex, prediction: Any, playground: Any = None) -> fb.Feedback:
    io = getattr(playground, "io", None)
    if not isinstance(io, Server):
        return fb.failed(ex.id, "pass your EmitPlayground too: check(prediction, pg)")
    delivery = io.trace.last_event()
    if delivery is None:
        return fb.failed(ex.id, "press emit in the playground first (or call pg.emit())")
    actual = set(delivery.recipients)
    got = set(prediction) if isinstance(prediction, (list, tuple, set, frozenset)) else prediction
    if got == actual:
        return fb.passed(ex.id, f"{delivery.call} reached {', '.join(sorted(actual)) or 'nobody'}, as you predicted")
    return fb.failed(
        ex.id,
        f"the playground's last emit, {delivery.call}, reached someone else",
        Case(delivery.line(), actual, got, "Socket.IO: who an emit pattern reaches"),
    )


def _question(pattern: str, extra: str = "") -> str:
    return f"alice's handler runs {pattern}{extra}: who receives it?"


EXERCISES = [
    Predict(
        "08.io_emit",
        _question("io.emit('chat', 'hi')"),
        expected=lambda: recipients("io.emit"),
        source="the simulated Socket.IO server",
        question="a set of names",
        hints=["io is the whole server."],
        explanation="Every connected client, alice included.",
    ),
    Predict(
        "08.socket_emit",
        _question("socket.emit('chat', 'hi')"),
        expected=lambda: recipients("socket.emit"),
        source="the simulated Socket.IO server",
        question="a set of names",
        hints=["socket is the server's end of alice's connection."],
        explanation="Only alice.",
    ),
    Predict(
        "08.broadcast_emit",
        _question("socket.broadcast.emit('chat', 'hi')"),
        expected=lambda: recipients("socket.broadcast.emit"),
        source="the simulated Socket.IO server",
        question="a set of names",
        hints=["broadcast: everyone but this socket."],
        explanation="bob and carol: everyone but the sender.",
    ),
    Predict(
        "08.after_disconnect",
        _question("socket.broadcast.emit('chat', 'hi')", ", after carol has disconnected"),
        expected=lambda: recipients("socket.broadcast.emit", disconnected=("carol",)),
        source="the simulated Socket.IO server",
        question="a set of names",
        hints=["Does the server keep messages for a client that is away?"],
        explanation="bob only: carol is not connected, and nothing is kept for her.",
    ),
    Predict(
        "08.client_emit",
        "alice's client runs socket.emit('chat', 'hi'). Who receives that packet?",
        expected=lambda: recipients("client.emit"),
        source="the simulated Socket.IO server",
        question="a set of names",
        hints=[
            "A client has one connection: to the server. The other clients see it only if a server "
            "handler passes it on."
        ],
        explanation="{'server'}: a client's emit goes to the server, and nowhere else.",
    ),
    Checked(
        "08.playground",
        "Set up an emit in the EmitPlayground, predict who receives it, press emit, then check",
        kind="predict",
        checker=_playground_check,
        solution={"bob", "carol"},
        hints=[
            "Pick the sender and the pattern first; predict; press emit; then check(prediction, pg).",
            "The default (alice, socket.broadcast.emit) reaches bob and carol.",
        ],
        explanation="Any prediction that matches the playground's last emit passes.",
    ),
    Predict(
        "08.once_off",
        "bob.on('news', loud); bob.once('news', quiet); emit 1; emit 2; bob.off('news', loud); emit 3. What is heard?",
        expected=_heard,
        source="the simulated Socket.IO server",
        question="the list heard, e.g. [('on', 1), ...]",
        hints=["once runs the next time only; off removes that listener."],
        explanation="[('on', 1), ('once', 1), ('on', 2)]: nothing is left to hear 3.",
    ),
    Predict(
        "08.wire_packet",
        "What travels on the wire for socket.emit('chat', 'hi')?",
        expected=lambda: to_wire(Packet(PacketType.EVENT, ["chat", "hi"])),
        source="wslab.events.to_wire",
        question="the text of the packet",
        hints=["Engine.IO message type, then Socket.IO EVENT type, then JSON.", '4, 2, then ["chat","hi"].'],
        explanation='42["chat","hi"]',
    ),
    Predict(
        "08.ack_packets",
        "alice.emit('sum', 1, 2, callback=print), the server's handler returns a + b: which two packets travel?",
        expected=_ack_packets,
        source="the simulated Socket.IO server",
        question="a list of two packet texts",
        hints=[
            "The EVENT carries an ack id (the JavaScript client counts from 0).",
            "The answer is an ACK (type 3) with the same id and a JSON array.",
        ],
        explanation="['420[\"sum\",1,2]', '430[3]']",
    ),
    Predict(
        "08.reserved",
        "Which event names may an application not emit?",
        expected=lambda: set(RESERVED_EVENTS),
        source="wslab.events.RESERVED_EVENTS",
        question="a set of names",
        hints=["Six names: the connection's life cycle and the listener bookkeeping."],
        explanation="connect, connect_error, disconnect, disconnecting, newListener, removeListener.",
    ),
]
