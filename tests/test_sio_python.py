"""wslab's Socket.IO server with python-socketio's real AsyncClient, over polling + upgrade and websocket-only."""

from __future__ import annotations

import asyncio

import pytest
import socketio
from netutil import run, socketio_test_app, until

from wslab.events import ConnectionRefused, Server
from wslab.net import connect

TRANSPORTS = {"polling+upgrade": None, "websocket": ["websocket"]}


@pytest.fixture(params=TRANSPORTS.values(), ids=TRANSPORTS.keys())
def transports(request):
    """Each test below runs twice: polling then the upgrade, and websocket only."""
    return request.param


def make_server(**options):
    """socket.io-protocol's test app (netutil.socketio_test_app), plus rooms and a question the server asks."""
    io = socketio_test_app(**options)

    @io.on("connection")
    def on_connection(socket):
        socket.on("join", lambda room: (socket.join(room), f"joined {room}")[1])
        socket.on("say", lambda room, text: socket.to(room).emit("said", text))
        socket.on(
            "ask-me", lambda: socket.emit("question", "why?", callback=lambda answer: socket.emit("answer-was", answer))
        )

    return io


class Recorder:
    """A python-socketio client whose events land in a queue."""

    def __init__(self, namespaces=("/",)):
        self.client = socketio.AsyncClient(reconnection=False)
        self.events: asyncio.Queue = asyncio.Queue()
        for nsp in namespaces:
            for name in ("auth", "message-back", "said", "answer-was", "bye"):
                self.client.on(
                    name, lambda *args, name=name, nsp=nsp: self.events.put_nowait((nsp, name, args)), namespace=nsp
                )
            self.client.on(
                "disconnect", lambda *args, nsp=nsp: self.events.put_nowait((nsp, "disconnect", args)), namespace=nsp
            )

    async def next(self, timeout=3.0):
        return await asyncio.wait_for(self.events.get(), timeout)

    async def connect(self, url, transports, **options):
        """Connect, and return the first event the server sends (its connection handler's)."""
        await self.client.connect(url, transports=transports, wait_timeout=3, **options)
        return await self.next()


def test_connect_with_auth_emits_and_acks_both_ways(transports):
    async def go():
        io = make_server()
        server = await io.listen("127.0.0.1", 0)
        rec = Recorder()
        rec.client.on("question", lambda q: f"because {q}")
        assert await rec.connect(server.url, transports, auth={"token": "123"}) == ("/", "auth", ({"token": "123"},))
        await rec.client.emit("message", [1, "2", {"3": [False]}])
        assert await rec.next() == ("/", "message-back", ([1, "2", {"3": [False]}],))
        assert await rec.client.call("message-with-ack", (1, "2", {"3": [False]}), timeout=3) == (
            1,
            "2",
            {"3": [False]},
        )
        await rec.client.emit("ask-me")  # the server asks, the client's handler answers
        assert await rec.next() == ("/", "answer-was", ("because why?",))
        socket = next(iter(io.sockets.values()))
        assert socket.id == rec.client.get_sid("/") and socket.handshake.auth == {"token": "123"}
        assert socket.handshake.query["EIO"] == "4" and socket.handshake.address == "127.0.0.1"
        if transports is None:
            await until(lambda: rec.client.transport() == "websocket", 2.5)
            assert rec.client.transport() == "websocket"
            kinds = [d.pattern for d in io.trace if d.kind == "engine.io"]
            assert kinds[:1] == ["open"] and "upgrade" in kinds and "noop" in kinds
            assert [d.packet for d in io.trace if d.kind == "engine.io"][1:4] == ["2probe", "3probe", "6"]
        await rec.client.disconnect()
        await server.close()

    run(go())


def test_binary_both_ways(transports):
    async def go():
        io = make_server()
        server = await io.listen("127.0.0.1", 0)
        rec = Recorder()
        await rec.connect(server.url, transports)
        await rec.client.emit("message", {"file": b"\x00\x01\xff", "name": "x"})
        assert await rec.next() == ("/", "message-back", ({"file": b"\x00\x01\xff", "name": "x"},))
        assert await rec.client.call("message-with-ack", (b"a", b"b"), timeout=3) == (b"a", b"b")
        assert any(d.packet.startswith("451-") for d in io.trace)
        assert any(d.packet.startswith("462-") and d.note == "+ 2 binary attachments" for d in io.trace)
        await rec.client.disconnect()
        await server.close()

    run(go())


def test_rooms_and_a_simulated_client_on_the_same_server(transports):
    async def go():
        io = make_server()
        server = await io.listen("127.0.0.1", 0)
        a, b, c = Recorder(), Recorder(), Recorder()
        for rec in (a, b, c):
            await rec.connect(server.url, transports)
        sim = io.client("sim").connect()
        heard = []
        sim.on("said", heard.append)
        for rec in (a, b):
            assert await rec.client.call("join", "red", timeout=3) == "joined red"
        sim.emit("join", "red")
        await a.client.emit("say", ("red", "hello red"))
        assert await b.next() == ("/", "said", ("hello red",))
        await asyncio.sleep(0.1)
        assert c.events.empty() and a.events.empty() and heard == ["hello red"]
        io.emit("said", "everyone")
        for rec in (a, b, c):
            assert await rec.next() == ("/", "said", ("everyone",))
        for rec in (a, b, c):
            await rec.client.disconnect()
        await server.close()

    run(go())


def test_namespaces_and_an_unknown_namespace(transports):
    async def go():
        io = make_server()
        server = await io.listen("127.0.0.1", 0)
        rec = Recorder(namespaces=("/", "/custom"))
        first = await rec.connect(server.url, transports, auth={"k": 1}, namespaces=["/", "/custom"])
        assert sorted([first, await rec.next()]) == [("/", "auth", ({"k": 1},)), ("/custom", "auth", ({"k": 1},))]
        assert len(io.of("/custom").sockets) == 1
        await rec.client.disconnect()
        bad = socketio.AsyncClient(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await bad.connect(server.url, namespaces=["/random"], transports=transports, wait_timeout=1)
        assert any(d.packet == '44/random,{"message":"Invalid namespace"}' for d in io.trace)
        await server.close()

    run(go())


def test_middleware_refusal_reaches_connect_error(transports):
    async def go():
        io = make_server()

        @io.use
        def check(socket):
            if socket.handshake.auth.get("token") != "good":
                raise ConnectionRefused("not authorized", {"code": 42})

        server = await io.listen("127.0.0.1", 0)
        errors = []
        client = socketio.AsyncClient(reconnection=False)
        client.on("connect_error", errors.append)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await client.connect(server.url, auth={"token": "bad"}, transports=transports, wait_timeout=1)
        assert errors == [{"message": "not authorized", "data": {"code": 42}}]
        assert any(d.packet == '44{"message":"not authorized","data":{"code":42}}' for d in io.trace)
        await server.close()

    run(go())


def test_disconnect_from_either_side_with_node_reasons(transports):
    async def go():
        io = make_server()
        reasons = []
        io.on("connection", lambda socket: socket.on("disconnect", reasons.append))
        server = await io.listen("127.0.0.1", 0)
        rec = Recorder()
        await rec.connect(server.url, transports)
        socket = next(iter(io.sockets.values()))
        socket.disconnect()  # the server's side: 41 to the client
        assert (await rec.next())[1] == "disconnect"
        assert reasons == ["server namespace disconnect"]
        await rec.client.disconnect()
        rec2 = Recorder()
        await rec2.connect(server.url, transports)
        await rec2.client.disconnect()  # python-socketio closes its transport
        await until(lambda: len(reasons) == 2, 2)
        assert reasons[1] in ("client namespace disconnect", "transport close")
        rec3 = Recorder()
        await rec3.connect(server.url, transports)
        await io.close()  # io.close(): "server shutting down" on the server's side
        assert reasons[2] == "server shutting down"
        assert (await rec3.next(timeout=5))[1] == "disconnect"
        assert not io.engines

    run(go())


def test_heartbeat_keeps_an_idle_connection_alive(transports):
    async def go():
        io = make_server(ping_interval=0.2, ping_timeout=0.3)
        server = await io.listen("127.0.0.1", 0)
        rec = Recorder()
        await rec.connect(server.url, transports)
        await asyncio.sleep(1.2)  # several ping intervals, nothing else said
        assert rec.client.connected and len(io.sockets) == 1
        pings = [d for d in io.trace if d.kind == "engine.io" and d.packet == "2"]
        pongs = [d for d in io.trace if d.kind == "engine.io" and d.packet == "3"]
        assert len(pings) >= 3 and len(pongs) >= 3
        assert pings[0].sender == "server" and pongs[0].recipients == ("server",)
        await rec.client.disconnect()
        await server.close()

    run(go())


def test_a_client_that_stops_answering_pings_is_dropped_after_ping_timeout(transports):
    async def go():
        io = make_server(ping_interval=0.2, ping_timeout=0.2)
        reasons = []
        io.on("connection", lambda socket: socket.on("disconnect", reasons.append))
        server = await io.listen("127.0.0.1", 0)
        rec = Recorder()
        await rec.connect(server.url, transports)
        eio = rec.client.eio
        original = eio._send_packet

        async def no_pongs(packet):
            if packet.packet_type != 3:  # engineio.packet.PONG
                await original(packet)

        eio._send_packet = no_pongs
        await until(lambda: reasons, 2)
        assert reasons == ["ping timeout"] and not io.sockets
        await rec.client.disconnect()
        await server.close()

    run(go())


def test_async_handlers_and_a_failing_handler_do_not_stop_the_server():
    async def go():
        io = Server()

        @io.on("connection")
        async def on_connection(socket):
            await asyncio.sleep(0.01)
            socket.emit("said", "welcome")

            async def slow_double(x):
                await asyncio.sleep(0.01)
                return x * 2

            socket.on("double", slow_double)
            socket.on("fail", lambda: 1 / 0)

        server = await io.listen()
        rec = Recorder()
        assert await rec.connect(server.url, ["websocket"]) == ("/", "said", ("welcome",))
        assert await rec.client.call("double", 21, timeout=3) == 42
        await rec.client.emit("fail")  # logged; the connection stays
        assert await rec.client.call("double", 1, timeout=3) == 2
        await rec.client.disconnect()
        await server.close()

    run(go())


def test_server_disconnect_with_close_leaves_every_namespace_then_closes():
    async def go():
        io = make_server()
        reasons = []
        for nsp in ("/", "/custom"):
            io.of(nsp).on(
                "connection",
                lambda socket, nsp=nsp: socket.on("disconnect", lambda reason: reasons.append((nsp, reason))),
            )
        server = await io.listen()
        rec = Recorder(namespaces=("/", "/custom"))
        await rec.connect(server.url, ["websocket"], namespaces=["/", "/custom"]), await rec.next()
        next(iter(io.sockets.values())).disconnect(True)
        assert sorted(reasons) == [("/", "server namespace disconnect"), ("/custom", "server namespace disconnect")]
        assert [d.packet for d in io.trace if d.kind == "disconnect"] == ["41", "41/custom,"]
        await until(lambda: not server.sessions, 2)
        assert not server.sessions
        await server.close()

    run(go())


def test_broadcast_and_single_acks_with_timeout_to_real_clients():
    async def go():
        from wslab.events import AckTimeout

        io = make_server()
        server = await io.listen()
        answering, silent = Recorder(), Recorder()
        answering.client.on("q", lambda: "answer")
        silent.client.on("q", lambda: None)  # python-socketio acks None as an empty ACK
        for rec in (answering, silent):
            await rec.connect(server.url, ["websocket"])
        done = asyncio.get_running_loop().create_future()
        io.timeout(2).emit("q", callback=lambda err, responses: done.set_result((err, sorted(map(str, responses)))))
        assert await asyncio.wait_for(done, 3) == (None, ["None", "answer"])
        await silent.client.disconnect()
        # python-socketio answers every event that asks for an ACK (an empty one without a handler);
        # a raw client that never answers stands for a JavaScript listener that never calls its ack
        deaf = await connect(f"ws://127.0.0.1:{server.port}/socket.io/?EIO=4&transport=websocket")
        await deaf.recv()
        await deaf.send("40")
        await deaf.recv(), await deaf.recv()
        sockets = list(io.sockets.values())
        done = asyncio.get_running_loop().create_future()
        io.timeout(0.3).emit("q", callback=lambda err, responses: done.set_result((err, responses)))
        err, responses = await asyncio.wait_for(done, 3)
        assert isinstance(err, AckTimeout) and responses == ["answer"]
        single = asyncio.get_running_loop().create_future()
        sockets[-1].timeout(0.3).emit("q", callback=lambda err, *args: single.set_result((err, args)))
        err, args = await asyncio.wait_for(single, 3)
        assert isinstance(err, AckTimeout) and args == ()
        await answering.client.disconnect()
        await deaf.close()
        await server.close()

    run(go())
