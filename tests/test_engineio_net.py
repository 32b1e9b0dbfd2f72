"""Engine.IO's transports on a real port, spoken to byte by byte: the protocol exchanges of socket.io-protocol's
test suite, every refusal the JavaScript server makes, CORS, and hostile clients (others keep being served)."""

from __future__ import annotations

import asyncio
import json

import pytest
import socketio
from netutil import run, socketio_test_app

from wslab import engineio, handshake
from wslab.errors import ConnectionClosed
from wslab.net import connect


def make_io(**options):
    """socket.io-protocol's test app, with short timings."""
    return socketio_test_app(**{"ping_interval": 0.3, "ping_timeout": 0.2, "connect_timeout": 0.5, **options})


async def http(port, method, query="EIO=4&transport=polling", *, headers=(), body=b"", path="/socket.io/"):
    """One HTTP/1.1 request on its own connection: (status, headers dict, body)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    lines = [f"{method} {path}?{query} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close", *headers]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    data = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    head, _, rest = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    fields = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        fields[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), fields, rest.decode()


async def open_polling(port, **kw):
    status, _, body = await http(port, "GET", **kw)
    assert status == 200 and body.startswith("0{")
    return json.loads(body[1:])["sid"]


async def websocket(port, query="EIO=4&transport=websocket", **kw):
    return await connect(f"ws://127.0.0.1:{port}/socket.io/?{query}", **kw)


async def upgrade_request(port, query, origin=None):
    """A WebSocket upgrade request, raw: (status, body) of the answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(handshake.build_request(f"127.0.0.1:{port}", f"/socket.io/?{query}", origin=origin))
    data = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body.decode()


def test_websocket_only_exchange_as_in_the_protocol_test_suite():
    async def go():
        io = make_io()
        server = await io.listen()
        ws = await websocket(server.port)
        opened = json.loads((await ws.recv())[1:])
        assert opened["upgrades"] == [] and opened["pingInterval"] == 300 and opened["pingTimeout"] == 200
        assert opened["maxPayload"] == 1_000_000 and len(opened["sid"]) == 20
        await ws.send('40{"token":"123"}')
        granted = await ws.recv()
        sid = json.loads(granted[2:])["sid"]
        assert granted.startswith('40{"sid":') and sid != opened["sid"]  # v5: not the Engine.IO sid
        assert await ws.recv() == '42["auth",{"token":"123"}]'
        await ws.send('42456["message-with-ack",1,"2",{"3":[false]}]')
        assert await ws.recv() == '43456[1,"2",{"3":[false]}]'
        assert await ws.recv() == "2"  # the server pings ...
        await ws.send("3")  # ... the client answers
        await ws.send("40/random")
        assert await ws.recv() == '44/random,{"message":"Invalid namespace"}'
        await ws.send("40/custom,")
        assert json.loads((await ws.recv())[len("40/custom,") :])["sid"]
        assert await ws.recv() == '42/custom,["auth",{}]'
        await ws.send("41")  # leave the main namespace
        await asyncio.sleep(0.05)
        assert not io.sockets and len(io.of("/custom").sockets) == 1
        await ws.close()
        await server.close()

    run(go())


@pytest.mark.parametrize("garbage", ["4abc", "hello", "45[", "4" + "9" * 5000])
def test_a_packet_that_is_not_socket_io_closes_the_connection(garbage):
    async def go():
        io = make_io()
        server = await io.listen()
        ws = await websocket(server.port)
        await ws.recv()
        await ws.send(garbage)
        with pytest.raises(ConnectionClosed):
            while True:
                await asyncio.wait_for(ws.recv(), 3)
        assert not server.sessions
        await server.close()

    run(go())


def test_no_connect_packet_closes_after_connect_timeout():
    async def go():
        io = make_io(connect_timeout=0.3, ping_interval=5)
        server = await io.listen()
        ws = await websocket(server.port)
        await ws.recv()
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 3)
        await server.close()

    run(go())


def test_polling_exchange_bodies_and_upgrade():
    async def go():
        io = make_io(ping_interval=5)
        server = await io.listen()
        sid = await open_polling(server.port)
        q = f"EIO=4&transport=polling&sid={sid}"
        assert (await http(server.port, "POST", q, body=b"40"))[::2] == (200, "ok")
        status, fields, body = await http(server.port, "POST", q, body='42["message","é",1]'.encode())
        assert (status, fields["content-type"], body) == (200, "text/html", "ok")
        status, fields, body = await http(server.port, "GET", q)
        assert fields["content-type"] == "text/plain; charset=UTF-8"
        packets = body.split("\x1e")
        assert packets[0].startswith('40{"sid":') and packets[1:] == ['42["auth",{}]', '42["message-back","é",1]']
        # the upgrade: a WebSocket with the sid, 2probe / 3probe, a 6 to the pending poll, 5
        ws = await websocket(server.port, f"EIO=4&transport=websocket&sid={sid}")
        poll = asyncio.ensure_future(http(server.port, "GET", q))
        await asyncio.sleep(0.05)
        await ws.send("2probe")
        assert await ws.recv() == "3probe"
        assert (await poll)[2] == "6"
        await ws.send("5")
        await ws.send('42["message",1]')
        assert await ws.recv() == '42["message-back",1]'
        status, _, body = await http(server.port, "GET", q)  # polling is over for this session
        assert status == 400 and json.loads(body)["code"] == 3
        second = await websocket(server.port, f"EIO=4&transport=websocket&sid={sid}")
        with pytest.raises(ConnectionClosed):  # one WebSocket per session
            await asyncio.wait_for(second.recv(), 3)
        assert second.close_code == 1008
        await ws.send('42["message",2]')
        assert await ws.recv() == '42["message-back",2]'
        await server.close()

    run(go())


@pytest.mark.parametrize(
    "method, query, status, code",
    [
        ("GET", "EIO=4&transport=carrier-pigeon", 400, 0),
        ("GET", "EIO=4&transport=polling&sid=unknown", 400, 1),
        ("POST", "EIO=4&transport=polling", 400, 2),
        ("PUT", "EIO=4&transport=polling", 400, 2),
        ("GET", "EIO=4&transport=websocket", 400, 3),
        ("GET", "EIO=3&transport=polling", 400, 5),
        ("GET", "transport=polling", 400, 5),
    ],
)
def test_polling_refusals_carry_engine_io_json(method, query, status, code):
    async def go():
        server = await make_io().listen()
        got_status, fields, body = await http(server.port, method, query)
        assert (got_status, fields["content-type"]) == (status, "application/json")
        assert json.loads(body)["code"] == code and json.loads(body)["message"]
        await server.close()

    run(go())


def test_allow_request_refuses_polling_with_403_and_websocket_with_400():
    async def go():
        io = make_io(allow_request=lambda shake: shake.origin in (None, "http://good.example"))
        server = await io.listen()
        status, _, body = await http(server.port, "GET", headers=["Origin: http://evil.example"])
        assert (status, body) == (403, '{"code":4,"message":"Forbidden"}')
        assert await upgrade_request(server.port, "EIO=4&transport=websocket", "http://evil.example") == (
            400,
            "Forbidden",
        )
        await open_polling(server.port, headers=["Origin: http://good.example"])
        ws = await websocket(server.port, origin="http://good.example")
        assert (await ws.recv()).startswith("0{")
        await server.close()

    run(go())


def test_cors_sets_headers_and_answers_preflights_but_refuses_nothing():
    async def go():
        io = make_io(cors_allowed_origins=["http://good.example"])
        server = await io.listen()
        status, fields, _ = await http(server.port, "GET", headers=["Origin: http://good.example"])
        assert status == 200 and fields["access-control-allow-origin"] == "http://good.example"
        status, fields, body = await http(server.port, "GET", headers=["Origin: http://evil.example"])
        assert status == 200 and body.startswith("0{") and "access-control-allow-origin" not in fields
        status, fields, _ = await http(
            server.port,
            "OPTIONS",
            headers=[
                "Origin: http://good.example",
                "Access-Control-Request-Method: POST",
                "Access-Control-Request-Headers: content-type",
            ],
        )
        assert status == 204 and fields["access-control-allow-origin"] == "http://good.example"
        assert "POST" in fields["access-control-allow-methods"]
        assert fields["access-control-allow-headers"] == "content-type"
        ws = await websocket(server.port, origin="http://evil.example")  # CORS does not apply to WebSocket
        assert (await ws.recv()).startswith("0{") and ws.response.header("Access-Control-Allow-Origin") is None
        ws = await websocket(server.port, origin="http://good.example")  # the header rides on the 101 too
        assert ws.response.header("Access-Control-Allow-Origin") == "http://good.example"
        no_cors = await make_io().listen()
        _, fields, _ = await http(no_cors.port, "GET", headers=["Origin: http://good.example"])
        assert "access-control-allow-origin" not in fields
        await server.close()
        await no_cors.close()

    run(go())


def test_python_socketio_origin_policy_refuses_foreign_origins_with_400():
    async def go():
        io = make_io(cors_allowed_origins=["http://good.example"], origin_policy="python-socketio")
        server = await io.listen()
        status, _, body = await http(server.port, "GET", headers=["Origin: http://evil.example"])
        assert (status, body) == (400, '"http://evil.example is not an accepted origin."')
        status, body = await upgrade_request(server.port, "EIO=4&transport=websocket", "http://evil.example")
        assert status == 400 and "not an accepted origin" in body
        await open_polling(server.port, headers=["Origin: http://good.example"])
        await open_polling(server.port)  # no Origin: not a browser
        await server.close()

    run(go())


def test_hostile_clients_get_clear_errors_and_others_keep_being_served():
    async def go():
        io = make_io(ping_interval=5, max_http_buffer_size=1000)
        server = await io.listen()
        server.request_timeout = 0.3
        good = socketio.AsyncClient(reconnection=False)
        await good.connect(server.url, transports=["websocket"], wait_timeout=3)
        sid = await open_polling(server.port)
        q = f"EIO=4&transport=polling&sid={sid}"
        status, _, body = await http(server.port, "POST", q, body=b"x" * 1001)  # over maxHttpBufferSize
        assert status == 413 and "1001 bytes" in body
        status, _, body = await http(server.port, "POST", q, body=b"\xff\xfe")  # not UTF-8, not packets
        assert (status, json.loads(body)["code"]) == (400, 3)
        assert sid not in server.sessions  # that session is closed
        status, _, body = await http(server.port, "GET", q)
        assert (status, json.loads(body)["code"]) == (400, 1)
        status, _, _ = await http(server.port, "GET", path="/elsewhere")
        assert status == 404
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n")  # never finished
        assert (await asyncio.wait_for(reader.read(), 3)).startswith(b"HTTP/1.1 408")
        reader2, writer2 = await asyncio.open_connection("127.0.0.1", server.port)
        writer2.write(b"G" * 20000)  # a head without an end
        assert (await asyncio.wait_for(reader2.read(), 3)).startswith(b"HTTP/1.1 431")
        # two polls at once: the second is refused and the session closed (engine.io-protocol)
        sid2 = await open_polling(server.port)
        q2 = f"EIO=4&transport=polling&sid={sid2}"
        first = asyncio.ensure_future(http(server.port, "GET", q2))
        await asyncio.sleep(0.05)
        status, _, _ = await http(server.port, "GET", q2)
        assert status == 400 and (await first)[0] == 200 and sid2 not in server.sessions
        ws = await websocket(server.port)
        await ws.recv()
        await ws.send("4" + "x" * 2000)  # over maxPayload
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 3)
        assert ws.close_code == 1009
        assert await good.call("message-with-ack", "still here", timeout=3) == "still here"
        await good.disconnect()
        for w in (writer, writer2):
            w.close()
        await server.close()

    run(go())


def test_polling_only_client_and_server_shutdown():
    async def go():
        io = make_io(ping_interval=0.3, ping_timeout=0.5)
        reasons = []
        io.on("connection", lambda socket: socket.on("disconnect", reasons.append))
        server = await io.listen()
        client = socketio.AsyncClient(reconnection=False)
        gone = asyncio.Event()
        client.on("disconnect", lambda *args: gone.set())
        await client.connect(server.url, transports=["polling"], wait_timeout=3)
        assert await client.call("message-with-ack", {"b": b"\x00\xff"}, timeout=3) == {"b": b"\x00\xff"}
        await asyncio.sleep(1)  # heartbeats over polling
        assert client.connected and client.transport() == "polling"
        await io.close()
        assert reasons == ["server shutting down"]
        await asyncio.wait_for(gone.wait(), 5)

    run(go())


def test_the_wire_tap_shows_engine_io_packets_inside_websocket_frames():
    async def go():
        from wslab.engineio_net import tapped_packets
        from wslab.tap import Tap

        tap = Tap()
        io = make_io(ping_interval=0.2)
        server = await io.listen(on_bytes=tap.server_hook)
        ws = await websocket(server.port)
        await ws.recv()
        await ws.send("40")
        await ws.recv(), await ws.recv()
        await ws.send('451-["message",{"_placeholder":true,"num":0}]')
        await ws.send(b"\x01\x02")  # its attachment: a binary Engine.IO message, in a binary frame
        assert await ws.recv() == '451-["message-back",{"_placeholder":true,"num":0}]'
        assert await ws.recv() == b"\x01\x02"
        assert await ws.recv() == "2"
        await ws.send("3")
        await asyncio.sleep(0.05)
        lines = [(p.sender, p.transport, engineio.describe_packet(p.packet)) for p in tapped_packets(tap)]
        assert lines[0][:2] == ("server", "websocket") and lines[0][2].startswith('open {"sid":')
        assert lines[1:] == [
            ("client", "websocket", "message 0"),
            ("server", "websocket", "message 0{" + lines[2][2][len("message 0{") :]),
            ("server", "websocket", 'message 2["auth",{}]'),
            ("client", "websocket", 'message 51-["message",{"_placeholder":true,"num":0}]'),
            ("client", "websocket", "message <2 bytes>"),
            ("server", "websocket", 'message 51-["message-back",{"_placeholder":true,"num":0}]'),
            ("server", "websocket", "message <2 bytes>"),
            ("server", "websocket", "ping"),
            ("client", "websocket", "pong"),
        ]
        await server.close()

    run(go())


def test_the_wire_tap_shows_engine_io_packets_inside_polling_bodies():
    async def go():
        from wslab.engineio_net import tapped_packets
        from wslab.tap import Tap

        tap = Tap()
        io = make_io(ping_interval=5)
        server = await io.listen(on_bytes=tap.server_hook)
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)  # one keep-alive connection

        async def request(method, query, body=b""):
            writer.write(
                f"{method} /socket.io/?{query} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(
                next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
            )
            return (await reader.readexactly(length)).decode()

        sid = json.loads((await request("GET", "EIO=4&transport=polling"))[1:])["sid"]
        q = f"EIO=4&transport=polling&sid={sid}"
        assert await request("POST", q, b'40\x1e42["message","hi"]') == "ok"
        body = await request("GET", q)
        assert body.split("\x1e")[1:] == ['42["auth",{}]', '42["message-back","hi"]']
        writer.close()
        await asyncio.sleep(0.05)
        seen = [(p.sender, p.transport, engineio.describe_packet(p.packet)) for p in tapped_packets(tap)]
        assert seen[0][:2] == ("server", "polling") and seen[0][2].startswith("open ")
        assert seen[1:3] == [("client", "polling", "message 0"), ("client", "polling", 'message 2["message","hi"]')]
        assert seen[3][2].startswith("message 0{") and seen[4:] == [
            ("server", "polling", 'message 2["auth",{}]'),
            ("server", "polling", 'message 2["message-back","hi"]'),
        ]
        assert [e.kind for e in tap.entries if e.direction == "client->server"] == ["http", "http", "body", "http"]
        await server.close()

    run(go())
