"""Exercises of lesson 09 · Rooms and acknowledgements, and the packets on the wire."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from wslab import frames
from wslab.events import Packet, PacketType, Server, to_wire
from wslab.events.packets import ENGINEIO_PING
from wslab.exercises import feedback as fb
from wslab.exercises import solutions
from wslab.exercises.exercise import Checked, FunctionExercise, Predict
from wslab.exercises.feedback import Case, described

TITLE = "Rooms and acknowledgements"
STEM = "09_rooms_and_acks"

ROOMS = {"alice": ("red",), "bob": ("red", "blue"), "carol": ("blue",), "dave": ()}
SETUP = "alice and bob are in 'red', bob and carol in 'blue', dave in no room"


def _server() -> Server:
    io = Server()
    for name, rooms in ROOMS.items():
        io.client(name).connect()
        for room in rooms:
            io.socket_of(name).join(room)
    return io


def reached(emit: Callable[[Server, Any], object], sender: str = "alice") -> set[str]:
    """Who `emit(io, socket)` reaches when run inside `sender`'s handler, in the rooms above."""
    io = _server()
    socket = io.socket_of(sender)
    with io.handling(socket):
        emit(io, socket)
    delivery = io.trace.last_event()
    assert delivery is not None
    return set(delivery.recipients)


def _ack_ids() -> list[str]:
    io = Server()
    io.on("connection", lambda socket: socket.on("sum", lambda a, b: a + b))
    calc = io.client("calc").connect()
    calc.emit("sum", 1, 2, callback=lambda total: None)
    calc.emit("sum", 10, 20, callback=lambda total: None)
    return io.trace.packets()[-4:]


def _packet_cases():
    rule = "Socket.IO v5: <type>[<ack id>]<JSON>, sent as an Engine.IO message (4); JSON as JSON.stringify writes it"
    edge: list[tuple[str, list[Any], int | None]] = [
        ("chat", ["hi"], None),
        ("sum", [1, 2], 0),
        ("say", ["red", "안녕 ✓"], None),
        ("ping", [], 12),
        ("data", [{"x": 1, "y": [True, None]}], None),
        ("quote", ['say "hi"\n'], 3),
    ]
    for event, args, ack in edge:
        yield "edge case", (event, args, ack), to_wire(Packet(PacketType.EVENT, [event, *args], id=ack)), rule
    rng = random.Random("09.event_packet")
    words = ["chat", "join", "say", "sum", "방", "news", "x y"]
    for _ in range(100):
        args = [
            rng.choice((rng.choice(words), rng.randrange(-1000, 1000), True, None, [rng.randrange(9)]))
            for _ in range(rng.randrange(0, 4))
        ]
        ack = rng.choice((None, rng.randrange(0, 200)))
        event = rng.choice(words)
        yield "random event", (event, args, ack), to_wire(Packet(PacketType.EVENT, [event, *args], id=ack)), rule


def _rooms_check(ex, on_connection) -> fb.Feedback:
    if not callable(on_connection):
        return fb.failed(ex.id, f"expected a function on_connection(socket), got {type(on_connection).__name__}")
    io = Server()
    try:
        io.on("connection", on_connection)
        clients = {name: io.client(name) for name in ("alice", "bob", "carol")}
        heard: dict[str, list] = {name: [] for name in clients}
        for name, client in clients.items():
            client.on("said", lambda text, name=name: heard[name].append(text))
            client.connect()
        clients["alice"].emit("join", "red")
        clients["bob"].emit("join", "red")
        clients["alice"].emit("say", "red", "hello red")
        answers: list = []
        clients["carol"].emit("sum", 2, 3, callback=answers.append)
    except Exception as exc:
        return fb.errored(ex.id, exc, "alice and bob join 'red'; alice says 'hello red'; carol asks sum(2, 3)")
    rooms = {room: set(members) for room, members in io.rooms.items()}
    if rooms.get("red") != {"alice", "bob"}:
        return fb.failed(
            ex.id,
            "after alice and bob emit 'join', 'red' does not hold them",
            Case(
                "alice.emit('join', 'red'); bob.emit('join', 'red')",
                {"alice", "bob"},
                rooms.get("red", set()),
                "socket.join(room)",
            ),
        )
    expected = {"alice": [], "bob": ["hello red"], "carol": []}
    if heard != expected:
        return fb.failed(
            ex.id,
            "'say' did not reach exactly the other members of the room",
            Case(
                "alice.emit('say', 'red', 'hello red')",
                expected,
                heard,
                "socket.to(room).emit: the room, without the sender",
            ),
        )
    if answers != [5]:
        return fb.failed(
            ex.id,
            "'sum' was not acknowledged with the total",
            Case(
                "carol.emit('sum', 2, 3, callback=...)",
                [5],
                answers or described("no answer"),
                "the handler's return value is the acknowledgement",
            ),
        )
    return fb.passed(ex.id, "'join' filled the room, 'say' reached bob only, and 'sum' answered 5")


EXERCISES = [
    Predict(
        "09.io_to_room",
        f"{SETUP}. alice's handler runs io.to('red').emit(...): who receives it?",
        expected=lambda: reached(lambda io, socket: io.to("red").emit("said", "hi")),
        source="the simulated Socket.IO server",
        question="a set of names",
        hints=["io.to(room) is everyone in the room: is the sender excluded?"],
        explanation="alice and bob.",
    ),
    Predict(
        "09.socket_to_room",
        f"{SETUP}. alice's handler runs socket.to('red').emit(...): who receives it?",
        expected=lambda: reached(lambda io, socket: socket.to("red").emit("said", "hi")),
        source="the simulated Socket.IO server",
        question="a set of names",
        hints=["socket.to leaves the socket itself out."],
        explanation="bob only.",
    ),
    Predict(
        "09.union",
        f"{SETUP}. io.to('red').to('blue').emit(...): who receives it, and how many times each?",
        expected=lambda: reached(lambda io, socket: io.to("red").to("blue").emit("said", "hi")),
        source="the simulated Socket.IO server",
        question="a set of names",
        hints=["Several to() calls make a union; nobody receives it twice."],
        explanation="alice, bob and carol, once each.",
    ),
    Predict(
        "09.except_room",
        f"{SETUP}. io.except_('blue').emit(...): who receives it?",
        expected=lambda: reached(lambda io, socket: io.except_("blue").emit("said", "hi")),
        source="the simulated Socket.IO server",
        question="a set of names",
        hints=["Everyone connected, minus the members of blue."],
        explanation="alice and dave.",
    ),
    Predict(
        "09.own_id",
        f"{SETUP}. bob's handler runs socket.to(socket.id).emit(...): who receives it?",
        expected=lambda: reached(lambda io, socket: socket.to(socket.id).emit("said", "hi"), sender="bob"),
        source="the simulated Socket.IO server",
        question="a set of names (set() for nobody)",
        hints=["Each socket is in the room named by its own id. And socket.to excludes ..."],
        explanation="Nobody: use io.to(socket.id) or socket.emit instead.",
    ),
    Predict(
        "09.ack_ids",
        "calc emits sum(1, 2) and then sum(10, 20), each with a callback. Which four packets travel?",
        expected=_ack_ids,
        source="the simulated Socket.IO server",
        question="a list of 4 texts",
        hints=[
            "Each EVENT with a callback carries the next ack id: 0, then 1.",
            "Each ACK (type 3) repeats its event's id.",
        ],
        explanation="['420[\"sum\",1,2]', '430[3]', '421[\"sum\",10,20]', '431[30]']",
    ),
    FunctionExercise(
        "09.event_packet",
        "Write event_packet(event, args, ack_id=None): the EVENT packet as it travels",
        cases=_packet_cases,
        oracles="wslab.events.to_wire",
        solution=solutions.event_packet,
        hints=[
            "'4' (Engine.IO message) + '2' (Socket.IO EVENT) + the ack id, if any, + a JSON array.",
            "The array is [event, *args]; JSON.stringify writes no spaces and non-ASCII as it is.",
            "json.dumps([event, *args], separators=(',', ':'), ensure_ascii=False)",
        ],
        explanation="4, 2, the ack id, then compact JSON.",
        rule="Socket.IO v5 packet encoding",
    ),
    Checked(
        "09.rooms_handler",
        "Write on_connection(socket): 'join' joins a room, 'say' tells the room's other "
        "members ('said'), 'sum' answers a + b",
        kind="live",
        checker=_rooms_check,
        solution=solutions.on_connection,
        hints=[
            "socket.on('join', lambda room: socket.join(room))",
            "socket.on('say', lambda room, text: socket.to(room).emit('said', text))",
            "A handler's return value is the acknowledgement: lambda a, b: a + b.",
        ],
        explanation="Three listeners, one per event.",
    ),
    Predict(
        "09.heartbeat",
        "Engine.IO's ping from the server: the bytes of the WebSocket frame that carries it",
        expected=lambda: frames.encode(frames.Frame(frames.Opcode.TEXT, ENGINEIO_PING.encode())).hex(" "),
        source="frames.encode",
        question="hex text like '81 01 ..'",
        normalize=lambda v: (
            bytes(v).hex(" ")
            if isinstance(v, (bytes, bytearray))
            else " ".join(str(v).lower().split())
            if isinstance(v, str)
            else v
        ),
        hints=[
            "It is a text frame (opcode 1), not an RFC 6455 Ping control frame.",
            "The payload is the one character '2'.",
        ],
        explanation="81 01 32: FIN + text, length 1, '2'.",
        rule="Engine.IO v4 heartbeat",
    ),
]
