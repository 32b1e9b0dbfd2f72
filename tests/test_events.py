"""Socket.IO semantics of wslab.events: who receives each emit, acks, listeners, connections."""

import re

import pytest

from wslab.events import AckTimeout, ConnectionRefused, NotConnected, ReservedEventName, Server

NAMES = ("alice", "bob", "carol", "dave")


def setup(rooms=None, cors=None):
    """Four connected clients; alice and bob in "red", bob and carol in "blue" unless told otherwise.

    Each client records (event, args); each server socket is kept by name.
    """
    rooms = rooms if rooms is not None else {"alice": ["red"], "bob": ["red", "blue"], "carol": ["blue"]}
    io = Server(cors)
    sockets, got = {}, {name: [] for name in NAMES}

    @io.on("connection")
    def on_connection(socket):
        sockets[socket.name] = socket
        socket.join(rooms.get(socket.name, []))

    for name in NAMES:
        client = io.client(name)
        client.on("news", lambda *args, name=name: got[name].append(args))
        client.connect()
    return io, sockets, got


def receivers(got):
    return [name for name in NAMES if got[name]]


def test_io_emit_reaches_every_connected_client():
    io, sockets, got = setup()
    io.emit("news", "all")
    assert receivers(got) == list(NAMES)
    assert io.trace[-1].pattern == "io.emit"
    assert io.trace[-1].recipients == NAMES
    assert io.trace[-1].packet == '42["news","all"]'


def test_socket_emit_reaches_only_that_client():
    io, sockets, got = setup()
    sockets["bob"].emit("news", "only you")
    assert receivers(got) == ["bob"]
    assert io.trace[-1].pattern == "socket.emit" and io.trace[-1].recipients == ("bob",)


def test_broadcast_skips_the_sender():
    io, sockets, got = setup()
    sockets["bob"].broadcast.emit("news", "not bob")
    assert receivers(got) == ["alice", "carol", "dave"]
    assert io.trace[-1].pattern == "broadcast" and io.trace[-1].socket == "bob"


def test_io_to_room_includes_the_sender_and_socket_to_room_excludes_it():
    io, sockets, got = setup()
    with io.handling(sockets["alice"]):
        io.to("red").emit("news", 1)
    assert receivers(got) == ["alice", "bob"]
    assert io.trace[-1].socket == "alice" and io.trace[-1].call == 'io.to("red").emit'
    for name in NAMES:
        got[name].clear()
    sockets["alice"].to("red").emit("news", 2)
    assert receivers(got) == ["bob"]
    assert io.trace[-1].pattern == "room" and io.trace[-1].call == 'socket.to("red").emit'


def test_several_rooms_are_a_union_and_each_socket_receives_once():
    io, sockets, got = setup()
    io.to("red").to("blue").emit("news", "x")
    assert {name: len(got[name]) for name in NAMES} == {"alice": 1, "bob": 1, "carol": 1, "dave": 0}
    assert io.trace[-1].recipients == ("alice", "bob", "carol")  # red in join order, then blue's rest
    io.to(["blue", "red"]).emit("news", "y")
    assert io.trace[-1].recipients == ("bob", "carol", "alice")
    sockets["carol"].to("red").to("blue").emit("news", "z")
    assert io.trace[-1].recipients == ("alice", "bob")


def test_except_leaves_a_room_out():
    io, sockets, got = setup()
    io.except_("red").emit("news", 1)
    assert receivers(got) == ["carol", "dave"]


def test_private_message_by_socket_id():
    io, sockets, got = setup()
    bob_id = io.clients["bob"].id
    assert bob_id in sockets["bob"].rooms and sockets["bob"].rooms[0] == bob_id
    sockets["alice"].to(bob_id).emit("news", "psst")  # to another socket's id: works
    assert receivers(got) == ["bob"]
    got["bob"].clear()
    sockets["bob"].to(bob_id).emit("news", "me?")  # to its own id: excluded, reaches nobody
    assert receivers(got) == [] and io.trace[-1].recipients == ()
    io.to(bob_id).emit("news", "me!")
    assert receivers(got) == ["bob"]


def test_rooms_and_leave():
    io, sockets, got = setup()
    assert io.rooms == {"red": ("alice", "bob"), "blue": ("bob", "carol")}
    sockets["bob"].leave("red")
    sockets["alice"].leave("red")
    assert io.rooms == {"blue": ("bob", "carol")}
    io.to("red").emit("news", 1)
    assert receivers(got) == []


def test_disconnected_client_misses_emits_and_gets_them_never():
    io, sockets, got = setup()
    carol = io.clients["carol"]
    carol.disconnect()
    io.emit("news", "while away")
    io.to("blue").emit("news", "room while away")
    assert io.rooms["blue"] == ("bob",)  # a disconnected socket leaves all its rooms
    carol.connect()  # the connection handler joins the new socket again
    assert got["carol"] == []
    assert "carol" not in io.trace.events()[-1].recipients
    assert io.rooms["blue"] == ("bob", "carol")
    io.emit("news", "back")
    assert got["carol"] == [("back",)]


def test_client_buffers_its_emits_while_disconnected():
    io, sockets, got = setup()
    heard = []
    io.on("connection", lambda socket: socket.on("note", heard.append))
    alice = io.clients["alice"]
    alice.disconnect()
    alice.emit("note", "written offline")
    assert heard == []
    alice.connect()
    assert heard == ["written offline"]


def test_reconnection_gives_a_new_20_character_id_and_disconnect_reasons():
    io, sockets, got = setup()
    alice = io.clients["alice"]
    reasons, server_reasons = [], []
    alice.on("disconnect", reasons.append)
    sockets["alice"].on("disconnecting", lambda r: server_reasons.append(("disconnecting", r)))
    sockets["alice"].on("disconnect", lambda r: server_reasons.append(("disconnect", r)))
    first = alice.id
    assert re.fullmatch(r"[A-Za-z0-9_-]{20}", first)
    alice.disconnect()
    assert alice.id is None and not alice.connected
    alice.connect()
    assert alice.connected and alice.id != first and re.fullmatch(r"[A-Za-z0-9_-]{20}", alice.id)
    assert reasons == ["io client disconnect"]
    assert server_reasons == [
        ("disconnecting", "client namespace disconnect"),
        ("disconnect", "client namespace disconnect"),
    ]
    sockets["alice"].disconnect()
    assert reasons == ["io client disconnect", "io server disconnect"]
    assert [d.packet for d in io.trace[-1:]] == ["41"] and io.trace[-1].sender == "server"


def test_ids_are_deterministic():
    ids = [[c.id for c in setup()[0].clients.values()] for _ in range(2)]
    assert ids[0] == ids[1] and len(set(ids[0])) == 4


def test_disconnecting_still_sees_rooms():
    io, sockets, got = setup()
    seen = []
    sockets["bob"].on("disconnecting", lambda reason: seen.append(sockets["bob"].rooms[1:]))
    io.clients["bob"].disconnect()
    assert seen == [("red", "blue")] and sockets["bob"].rooms == ()
    assert list(io.sockets) == [io.clients[n].id for n in ("alice", "carol", "dave")]


def test_connection_and_connect_alias_fire_per_client_connection():
    io = Server()
    fired = []
    io.on("connect", lambda s: fired.append(("connect", s.name)))
    io.on("connection", lambda s: fired.append(("connection", s.name)))
    assert fired == []  # nothing fires when the server starts
    for name in ("a", "b"):
        io.client(name).connect()
    assert fired == [("connect", "a"), ("connection", "a"), ("connect", "b"), ("connection", "b")]
    with pytest.raises(ValueError, match="socket.on"):
        io.on("chat", print)


def test_client_connect_event_and_packets():
    io = Server()
    alice = io.client("alice")
    events = []
    alice.on("connect", lambda: events.append(("connect", alice.connected, alice.id)))
    alice.connect()
    assert events == [("connect", True, alice.id)]
    assert io.trace.packets() == ["40", '40{"sid":"' + alice.id + '"}']
    alice.connect()  # already connected: nothing happens
    assert len(io.trace) == 2


def test_acks_client_to_server_ids_count_from_zero_per_client():
    io = Server()
    io.on("connection", lambda s: s.on("sum", lambda a, b: a + b))
    alice, bob = io.client("alice").connect(), io.client("bob").connect()
    answers = []
    alice.emit("sum", 1, 2, callback=answers.append)
    alice.emit("sum", 3, 4, callback=answers.append)
    bob.emit("sum", 5, 6, callback=answers.append)
    assert answers == [3, 7, 11]
    packets = io.trace.packets()[4:]
    assert packets == ['420["sum",1,2]', "430[3]", '421["sum",3,4]', "431[7]", '420["sum",5,6]', "430[11]"]
    assert [d.recipients for d in io.trace[5::2]] == [("alice",), ("alice",), ("bob",)]  # only the emitter


def test_ack_values_and_no_ack_without_listener_or_answer():
    io = Server()
    io.on(
        "connection",
        lambda s: (s.on("none", lambda: None), s.on("empty", lambda: ()), s.on("many", lambda: ("OK", 123))),
    )
    alice = io.client("alice").connect()
    answers = []
    alice.emit("none", callback=lambda *a: answers.append(a))  # None: no ACK, as in socket.io 4.8
    alice.emit("empty", callback=lambda *a: answers.append(a))  # (): an ACK without arguments
    alice.emit("many", callback=lambda *a: answers.append(a))
    alice.emit("nobody-listens", callback=lambda *a: answers.append(a))
    assert answers == [(), ("OK", 123)]
    assert io.trace.packets()[2:] == [
        '420["none"]',
        '421["empty"]',
        "431[]",
        '422["many"]',
        '432["OK",123]',
        '423["nobody-listens"]',
    ]


def test_first_answer_wins_and_a_client_listener_answering_none_sends_no_ack():
    io, sockets, got = setup()
    bob = io.clients["bob"]
    bob.on("q", lambda: None).on("q", lambda: "second").on("q", lambda: "third")
    io.clients["alice"].on("q", lambda: None)
    answers = []
    sockets["bob"].emit("q", callback=answers.append)
    sockets["alice"].emit("q", callback=answers.append)
    assert answers == ["second"]
    assert io.trace.packets()[-3:] == ['420["q"]', '430["second"]', '421["q"]']


def test_acks_server_to_client_ids_count_per_namespace():
    io, sockets, got = setup()
    for name in NAMES:
        io.clients[name].on("question", lambda q, name=name: f"{name} answers {q}")
    answers = []
    sockets["bob"].emit("question", "q?", callback=answers.append)
    sockets["carol"].emit("question", "r?", callback=answers.append)
    assert answers == ["bob answers q?", "carol answers r?"]
    assert io.trace.packets()[-4:] == [
        '420["question","q?"]',
        '430["bob answers q?"]',
        '421["question","r?"]',
        '431["carol answers r?"]',
    ]
    assert io.trace[-3].recipients == ("server",) and io.trace[-3].sender == "bob"


def test_broadcast_acks_as_socket_io_4_8():
    io, sockets, got = setup()
    for name in NAMES:
        io.clients[name].on("q", lambda name=name: f"{name} answers")
    results = []
    io.timeout(5).emit("q", callback=lambda err, responses: results.append((err, responses)))
    assert results == [(None, ["alice answers", "bob answers", "carol answers", "dave answers"])]
    assert io.trace.events()[-1].packet == '420["q"]' and io.trace.events()[-1].call == "io.timeout(5000).emit"
    # without timeout() the wait is zero (JavaScript's setTimeout(fn, undefined)): the callback gets the
    # timeout error at once and no response, though every client answers on the wire
    results.clear()
    io.to("red").emit("q", callback=lambda err, responses: results.append((err, responses)))
    assert len(results) == 1 and isinstance(results[0][0], AckTimeout) and results[0][1] == []
    assert str(results[0][0]) == "operation has timed out"
    assert io.trace.packets()[-3:] == ['421["q"]', '431["alice answers"]', '431["bob answers"]']
    # some clients do not answer: err after the timeout, with the answers that came
    io.clients["dave"].off("q")
    results.clear()
    sockets["alice"].broadcast.timeout(1).emit("q", callback=lambda err, responses: results.append((err, responses)))
    assert isinstance(results[0][0], AckTimeout) and results[0][1] == ["bob answers", "carol answers"]
    # nobody to ask: (None, []) and nothing on the wire
    results.clear()
    io.timeout(1).to("nobody-here").emit("q", callback=lambda err, responses: results.append((err, responses)))
    assert results == [(None, [])] and io.trace.events()[-1].recipients == ()
    results.clear()
    io.to("nobody-here").emit("q", callback=lambda err, responses: results.append((err, responses)))
    assert results == [(None, [])]


def test_single_emit_with_timeout():
    io, sockets, got = setup()
    io.clients["bob"].on("q", lambda x: x * 2)
    results = []
    sockets["bob"].timeout(1).emit("q", 21, callback=lambda err, *args: results.append((err, args)))
    sockets["carol"].timeout(1).emit("q", 1, callback=lambda err, *args: results.append((err, args)))
    assert results[0] == (None, (42,)) and isinstance(results[1][0], AckTimeout) and results[1][1] == ()


def test_binary_arguments_travel_as_attachments():
    io, sockets, got = setup()
    sockets["bob"].emit("news", b"\x01\x02", {"file": b"abc", "n": 1})
    assert got["bob"] == [(b"\x01\x02", {"file": b"abc", "n": 1})]
    last = io.trace.events()[-1]
    assert last.packet == '452-["news",{"_placeholder":true,"num":0},{"file":{"_placeholder":true,"num":1},"n":1}]'
    assert last.note == "+ 2 binary attachments"
    heard = []
    sockets["alice"].on("up", lambda data: (heard.append(data), b"back")[1])
    io.clients["alice"].emit("up", bytearray(b"xyz"), callback=heard.append)
    assert heard == [b"xyz", b"back"]
    assert io.trace.packets()[-2:] == [
        '451-0["up",{"_placeholder":true,"num":0}]',
        '461-0[{"_placeholder":true,"num":0}]',
    ]


def test_integers_beyond_2_53_are_written_as_javascript_does():
    io, sockets, got = setup()
    io.emit("news", 2**53, 2**53 + 1, -(2**53 + 1), 10**21, 10**400)
    assert io.trace.events()[-1].packet == ('42["news",9007199254740992,9007199254740992,-9007199254740992,1e+21,null]')


def test_an_emit_that_reaches_nobody_is_marked_not_sent():
    io, sockets, got = setup()
    io.to("nobody-here").emit("news", 1)
    last = io.trace[-1]
    assert last.recipients == () and last.note == "not sent" and "(nobody)" in last.line()


def test_namespaces_have_their_own_sockets_rooms_and_emits():
    io = Server()
    chat = io.of("/chat")
    assert io.of("chat") is chat and io.of("/") is io.sockets_nsp
    assert repr(chat) == "<Namespace /chat: 0 connected>"


@pytest.mark.parametrize(
    "name", ["connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"]
)
def test_reserved_names_cannot_be_emitted(name):
    io, sockets, got = setup()
    message = f'"{name}" is a reserved event name'
    for emit in (
        io.clients["alice"].emit,
        io.emit,
        sockets["alice"].emit,
        sockets["alice"].broadcast.emit,
        io.to("red").emit,
    ):
        with pytest.raises(ReservedEventName) as info:
            emit(name)
        assert str(info.value) == message


def test_once_runs_once_and_on_every_time():
    io, sockets, got = setup()
    alice = io.clients["alice"]
    counts = {"on": 0, "once": 0}
    alice.on("tick", lambda: counts.__setitem__("on", counts["on"] + 1))
    alice.once("tick", lambda: counts.__setitem__("once", counts["once"] + 1))
    sockets["alice"].emit("tick")
    sockets["alice"].emit("tick")
    assert counts == {"on": 2, "once": 1}


def test_off_removes_one_listener_or_all_of_an_event_or_all():
    io, sockets, got = setup()
    alice = io.clients["alice"]
    calls = []
    a, b = (lambda: calls.append("a")), (lambda: calls.append("b"))
    alice.on("x", a).on("x", b).on("y", a)
    alice.off("x", a)
    sockets["alice"].emit("x")
    assert calls == ["b"]
    alice.off("x")
    sockets["alice"].emit("x")
    sockets["alice"].emit("y")
    assert calls == ["b", "a"]
    alice.off()
    sockets["alice"].emit("y")
    sockets["alice"].emit("news", 1)
    assert calls == ["b", "a"] and got["alice"] == []


def test_off_removes_a_once_listener_by_its_function_and_remove_all_listeners():
    io, sockets, got = setup()
    alice = io.clients["alice"]
    calls = []
    f = lambda: calls.append("f")  # noqa: E731
    alice.once("x", f)
    alice.off("x", f)
    alice.on("y", f).on("z", f)
    alice.remove_all_listeners("y")
    for event in "xyz":
        sockets["alice"].emit(event)
    assert calls == ["f"]
    alice.remove_all_listeners()
    sockets["alice"].emit("z")
    assert calls == ["f"]


def test_off_removes_first_match_on_client_and_last_on_server():
    io, sockets, got = setup()
    order = []
    f = lambda tag: order.append(tag)  # noqa: E731
    alice = io.clients["alice"]
    alice.on("x", f).once("x", f)
    alice.off("x", f)  # component-emitter: the first match, the plain one; the once one remains
    assert len(alice.listeners("x")) == 1
    sockets["alice"].emit("x", 1)
    sockets["alice"].emit("x", 2)
    assert order == [1]
    server_socket = sockets["alice"]
    server_socket.on("y", f).once("y", f)
    server_socket.off("y", f)  # Node: the most recent match, the once one; the plain one remains
    alice.emit("y", 3)
    alice.emit("y", 4)
    assert order == [1, 3, 4]


def test_a_listener_removed_during_an_emit_still_runs_in_that_emit():
    io, sockets, got = setup()
    alice = io.clients["alice"]
    calls = []
    second = lambda: calls.append("second")  # noqa: E731
    alice.on("x", lambda: (calls.append("first"), alice.off("x", second)))
    alice.on("x", second)
    sockets["alice"].emit("x")
    sockets["alice"].emit("x")
    assert calls == ["first", "second", "first"]


def test_deliveries_follow_a_defined_order():
    io = Server()

    @io.on("connection")
    def on_connection(socket):
        socket.on("chat", lambda msg: (socket.broadcast.emit("chat", msg), socket.emit("echo", msg)))

    log = []
    for name in ("a", "b", "c"):
        client = io.client(name)
        client.on("chat", lambda m, name=name: log.append((name, "chat", m)))
        client.on("echo", lambda m, name=name: log.append((name, "echo", m)))
        client.connect()
    io.clients["b"].emit("chat", "hi")
    assert log == [("a", "chat", "hi"), ("c", "chat", "hi"), ("b", "echo", "hi")]
    assert [d.call for d in io.trace[-3:]] == ["b.emit", "socket.broadcast.emit", "socket.emit"]


def test_each_recipient_gets_its_own_copy_of_the_payload():
    io, sockets, got = setup()
    io.clients["alice"].on("obj", lambda d: d["items"].append("alice was here"))
    seen = []
    io.clients["bob"].on("obj", lambda d: seen.append(d))
    payload = {"items": [1], "t": (1, 2)}
    io.emit("obj", payload)
    assert seen == [{"items": [1], "t": [1, 2]}] and payload == {"items": [1], "t": (1, 2)}


def test_cors_does_not_refuse_a_foreign_origin_as_in_node():
    io = Server(cors_allowed_origins=["https://good.example"])
    assert io.client("evil", origin="https://evil.example").connect().connected


def test_allow_request_refuses_with_403():
    io = Server(allow_request=lambda handshake: handshake.origin in (None, "https://good.example"))
    errors = []
    evil = io.client("evil", origin="https://evil.example").on("connect_error", errors.append).connect()
    assert not evil.connected and errors[0].http_status == 403
    assert io.trace[-1].packet == "HTTP 403" and io.trace[-1].kind == "connect_error"
    assert io.client("good", origin="https://good.example").connect().connected
    assert io.client("script").connect().connected  # no Origin: not a browser


def test_python_socketio_origin_policy_refuses_a_foreign_origin_with_connect_error():
    io = Server(cors_allowed_origins=["https://good.example"], origin_policy="python-socketio")
    errors = []
    evil = io.client("evil", origin="https://evil.example")
    evil.on("connect_error", errors.append)
    evil.connect()
    assert not evil.connected
    assert "https://evil.example is not an accepted origin." in errors[0].message
    assert errors[0].http_status == 400
    assert io.trace[-1].packet == "HTTP 400" and io.trace[-1].kind == "connect_error"
    good = io.client("good", origin="https://good.example").connect()
    assert good.connected
    spoof = io.client("spoof", origin="https://good.example").connect()  # non-browsers can send any Origin
    assert spoof.connected


def test_python_socketio_default_is_same_origin_and_star_allows_all():
    io = Server(origin_policy="python-socketio")
    assert io.client("same", origin="http://localhost:3000").connect().connected
    assert not io.client("other", origin="http://other.example").connect().connected
    io = Server(cors_allowed_origins="*", origin_policy="python-socketio")
    assert io.client("other", origin="http://other.example").connect().connected


def test_middleware_refusal_sends_connect_error_packet():
    io = Server()

    @io.use
    def only_friends(socket):
        if socket.name != "friend":
            raise ConnectionRefused("Not authorized", {"code": 42})

    errors = []
    stranger = io.client("stranger").on("connect_error", errors.append).connect()
    assert not stranger.connected and errors[0].message == "Not authorized" and errors[0].data == {"code": 42}
    assert io.trace.packets() == ["40", '44{"message":"Not authorized","data":{"code":42}}']
    assert io.client("friend").connect().connected


def test_emit_to_a_disconnected_socket_reaches_nobody():
    io, sockets, got = setup()
    old = sockets["alice"]
    io.clients["alice"].disconnect()
    io.clients["alice"].connect()
    old.emit("news", "to the old socket")
    assert got["alice"] == [] and io.trace[-1].recipients == ()


def test_listener_errors_surface_after_delivery_to_everyone():
    io, sockets, got = setup()
    io.clients["alice"].on("news", lambda *a: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        io.emit("news", "x")
    assert receivers(got) == list(NAMES)


def test_socket_of_and_bad_names():
    io, sockets, got = setup()
    io.clients["dave"].disconnect()
    with pytest.raises(NotConnected, match="dave is not connected"):
        io.socket_of("dave")
    with pytest.raises(ValueError, match="already"):
        io.client("alice")
    io.remove_client("dave")
    assert "dave" not in io.clients
    with pytest.raises(TypeError, match="callback="):
        io.clients["alice"].emit("x", print)


def test_reprs_are_deterministic():
    io, sockets, got = setup()
    assert repr(io) == "<Server http://localhost:3000: 4 connected of 4 clients>"
    assert repr(io.clients["alice"]) == f"<Client alice: connected, id={io.clients['alice'].id}>"
    assert "0x" not in repr(io.trace[-1]) and repr(io.trace) == "<Trace: 8 deliveries>"


def test_the_trace_keeps_the_last_maxlen_deliveries():
    io, sockets, got = setup()
    io.trace.maxlen = 5
    for i in range(10):
        io.emit("news", i)
    assert len(io.trace) == 5 and io.trace[-1].step == 18 and io.trace[0].step == 14
    assert io.trace[-1].packet == '42["news",9]'


def test_handlers_and_namespace_of_a_simulated_socket():
    io, sockets, got = setup()
    shake = sockets["alice"].handshake
    assert shake.auth == {} and shake.query["EIO"] == "4" and shake.headers["host"] == "localhost:3000"
    assert sockets["alice"].nsp is io.of("/") and sockets["alice"].client is io.clients["alice"]
