"""The wire tap: decoding known exchanges however they are chopped, and the relay."""

import asyncio
import random

import websockets
from netutil import run

from wslab.codes import Opcode
from wslab.errors import InvalidUTF8, ProtocolError
from wslab.frames import Frame, close_payload, encode
from wslab.handshake import RFC_ACCEPT, RFC_KEY
from wslab.masking import RFC_MASK_KEY
from wslab.tap import CLIENT_TO_SERVER, SERVER_TO_CLIENT, Relay, Tap, wiretap
from wslab.viz.tap import sequence_diagram, tap_table

REQUEST = (
    b"GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: " + RFC_KEY.encode() + b"\r\nSec-WebSocket-Version: 13\r\n\r\n"
)
RESPONSE = (
    b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Accept: " + RFC_ACCEPT.encode() + b"\r\n\r\n"
)
CLIENT_FRAMES = [
    Frame(Opcode.TEXT, b"Hel", fin=False),
    Frame(Opcode.PING, b"are you there?"),  # a control frame between fragments (§5.4)
    Frame(Opcode.CONTINUATION, b"lo"),
    Frame(Opcode.BINARY, bytes(range(256)) * 2),  # a 16-bit extended length
    Frame(Opcode.CLOSE, close_payload(1000, "bye")),
]
SERVER_FRAMES = [
    Frame(Opcode.PONG, b"are you there?"),
    Frame(Opcode.TEXT, "héllo".encode()),
    Frame(Opcode.CLOSE, close_payload(1000, "bye")),
]
CLIENT_WIRE = REQUEST + b"".join(encode(f, RFC_MASK_KEY) for f in CLIENT_FRAMES)
SERVER_WIRE = RESPONSE + b"".join(encode(f) for f in SERVER_FRAMES)


def chop(data, sizes):
    """`data` cut into consecutive pieces of the given sizes (cycled)."""
    pieces, i, n = [], 0, 0
    while i < len(data):
        size = sizes[n % len(sizes)]
        pieces.append(data[i : i + size])
        i, n = i + size, n + 1
    return pieces


def tapped(client_pieces, server_pieces):
    tap = Tap()
    for piece in client_pieces:
        tap.record("c1", CLIENT_TO_SERVER, piece)
    for piece in server_pieces:
        tap.record("c1", SERVER_TO_CLIENT, piece)
    return tap


def check_known_exchange(tap):
    client = [e for e in tap.entries if e.direction == CLIENT_TO_SERVER]
    server = [e for e in tap.entries if e.direction == SERVER_TO_CLIENT]
    assert [e.kind for e in client] == ["http"] + ["frame"] * len(CLIENT_FRAMES)
    assert [e.kind for e in server] == ["http"] + ["frame"] * len(SERVER_FRAMES)
    assert client[0].data == REQUEST and server[0].data == RESPONSE
    assert [e.frame for e in client[1:]] == CLIENT_FRAMES
    assert [e.frame for e in server[1:]] == SERVER_FRAMES
    # Every client frame masked with its key, no server frame masked (§5.1).
    assert all(e.masked and e.mask_key == RFC_MASK_KEY for e in client[1:])
    assert not any(e.masked for e in server[1:])
    # The bytes of each entry are exactly the bytes on the wire, in order.
    assert b"".join(e.data for e in client) == CLIENT_WIRE
    assert b"".join(e.data for e in server) == SERVER_WIRE
    assert tap.bytes("c1", CLIENT_TO_SERVER) == CLIENT_WIRE
    assert tap.bytes("c1", SERVER_TO_CLIENT) == SERVER_WIRE


def test_whole_exchange_decoded_both_directions():
    tap = tapped([CLIENT_WIRE], [SERVER_WIRE])
    check_known_exchange(tap)
    assert tap[2].describe() == "TEXT (FIN=0) 'Hel' (3 bytes, masked)"
    assert tap[3].describe() == "PING b'are you there?' (14 bytes, masked)"
    assert tap[6].close == (1000, "bye")
    assert tap[9].describe() == "TEXT 'héllo' (6 bytes)"
    assert [e.number for e in tap.entries] == list(range(1, 11))


def test_byte_by_byte():
    check_known_exchange(tapped(chop(CLIENT_WIRE, [1]), chop(SERVER_WIRE, [1])))


def test_random_chops_give_the_same_entries():
    whole = tapped([CLIENT_WIRE], [SERVER_WIRE])
    rng = random.Random(6455)
    for _ in range(30):
        sizes = [rng.randint(1, 40) for _ in range(7)]
        tap = tapped(chop(CLIENT_WIRE, sizes), chop(SERVER_WIRE, sizes[::-1]))
        check_known_exchange(tap)
        assert tap.entries == whole.entries


def test_head_split_inside_the_blank_line():
    cut = REQUEST.index(b"\r\n\r\n") + 2
    tap = tapped([CLIENT_WIRE[:cut], CLIENT_WIRE[cut : cut + 1], CLIENT_WIRE[cut + 1 :]], [])
    assert tap[1].data == REQUEST and tap[2].frame == CLIENT_FRAMES[0]


def test_unmasked_client_frame_is_an_error_entry_not_an_exception():
    bad = encode(Frame(Opcode.TEXT, b"no mask"))
    tap = tapped([REQUEST, bad, encode(Frame(Opcode.TEXT, b"x"), RFC_MASK_KEY)], [])
    error = tap[2]
    assert error.kind == "error" and error.data == bad
    assert isinstance(error.error, ProtocolError) and error.error.rfc_section == "5.1"
    assert error.error.close_code == 1002
    # After a bad frame the receiver stops reading (§7.1.7): later bytes are kept, undecoded.
    assert tap[3].kind == "data" and tap.bytes("c1") == REQUEST + bad + tap[3].data


def test_masked_server_frame_is_an_error():
    tap = tapped([], [RESPONSE, encode(Frame(Opcode.TEXT, b"hi"), RFC_MASK_KEY)])
    error = tap[2].error
    assert tap[2].kind == "error" and error.rfc_section == "5.1" and error.field == "MASK"


def test_invalid_close_payload_is_an_error():
    tap = tapped([REQUEST, encode(Frame(Opcode.CLOSE, b"\x03\xe8\xff"), RFC_MASK_KEY)], [])
    assert tap[2].kind == "error" and isinstance(tap[2].error, InvalidUTF8)


def test_refused_handshake_body_is_not_decoded_as_frames():
    refusal = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 9\r\n\r\nForbidden"
    tap = tapped([REQUEST], chop(refusal, [5]))
    assert [e.kind for e in tap.entries] == ["http", "http", "body", "body"]
    assert tap[2].describe() == "HTTP/1.1 403 Forbidden"
    assert tap.bytes("c1", SERVER_TO_CLIENT) == refusal


def test_pictures_are_deterministic_and_show_masking():
    tap = tapped([CLIENT_WIRE], [SERVER_WIRE])
    html = tap_table(tap.entries)._repr_html_()
    assert html == tap_table(tapped(chop(CLIENT_WIRE, [3]), chop(SERVER_WIRE, [2])))._repr_html_()
    assert "1 (37 fa 21 3d)" in html and "#10" in html
    assert "37 fa" not in tap_table(tap.entries, keys=False)._repr_html_()
    svg = sequence_diagram(tap.entries).to_string()
    assert "#3 PING [masked]" in svg and "b'are you there?'" in svg  # what it is, then its payload under it
    assert "#8 PONG [unmasked]" in svg
    assert repr(tap) == "<Tap: 10 entries on 1 connection(s)>"


# --- the relay ---------------------------------------------------------------------


async def _raw_relay_roundtrip():
    """A raw TCP client and server through the relay: every byte arrives unchanged."""
    rng = random.Random(7)
    upstream = bytes(rng.randrange(256) for _ in range(50_000))
    downstream = bytes(rng.randrange(256) for _ in range(70_000))
    received = bytearray()

    async def server(reader, writer):
        writer.write(downstream)
        await writer.drain()
        writer.write_eof()
        while data := await reader.read(1000):
            received.extend(data)
        writer.close()

    srv = await asyncio.start_server(server, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    async with wiretap(("127.0.0.1", port)) as tap:
        reader, writer = await asyncio.open_connection(*tap.address)
        for piece in chop(upstream, [1, 7, 1000, 3]):
            writer.write(piece)
        await writer.drain()
        writer.write_eof()
        got = await reader.read()  # until the server's FIN, passed on by the relay
        writer.close()
        await tap.wait_for(lambda t: len(t.select(kinds=["eof"])) == 2)
    srv.close()
    await srv.wait_closed()
    return tap, upstream, downstream, bytes(received), got


def test_relay_passes_raw_bytes_unchanged_both_ways():
    tap, upstream, downstream, received, got = run(_raw_relay_roundtrip())
    assert received == upstream and got == downstream
    assert tap.bytes("c1", CLIENT_TO_SERVER) == upstream
    assert tap.bytes("c1", SERVER_TO_CLIENT) == downstream


async def _websockets_through_two_relays():
    """websockets client -> relay A -> relay B -> websockets server.

    Relay B records what relay A forwarded, so comparing the two taps shows
    that a relay changes nothing, in both directions.
    """

    async def echo(ws):
        async for message in ws:
            await ws.send(message)

    async with websockets.serve(echo, "127.0.0.1", 0, compression=None) as server:
        port = server.sockets[0].getsockname()[1]
        async with wiretap(("127.0.0.1", port)) as inner:
            async with wiretap(inner.url) as outer:
                async with websockets.connect(outer.url, compression=None) as ws:
                    await ws.send("hello")
                    assert await ws.recv() == "hello"
                    await ws.send(b"\x00\xff" * 40_000)
                    assert await ws.recv() == b"\x00\xff" * 40_000
                    pong = await ws.ping(b"p1")
                    await pong
                await outer.wait_for(lambda t: len(t.select(kinds=["eof"])) == 2)
                await inner.wait_for(lambda t: len(t.select(kinds=["eof"])) == 2)
    return outer, inner


def test_relay_is_transparent_to_websockets():
    outer, inner = run(_websockets_through_two_relays())
    for direction in (CLIENT_TO_SERVER, SERVER_TO_CLIENT):
        assert outer.bytes("c1", direction) == inner.bytes("c1", direction)
    frames_seen = [(e.direction, e.opcode, e.masked) for e in outer.frames()]
    assert frames_seen == [
        (CLIENT_TO_SERVER, Opcode.TEXT, True),
        (SERVER_TO_CLIENT, Opcode.TEXT, False),
        (CLIENT_TO_SERVER, Opcode.BINARY, True),
        (SERVER_TO_CLIENT, Opcode.BINARY, False),
        (CLIENT_TO_SERVER, Opcode.PING, True),
        (SERVER_TO_CLIENT, Opcode.PONG, False),
        (CLIENT_TO_SERVER, Opcode.CLOSE, True),
        (SERVER_TO_CLIENT, Opcode.CLOSE, False),
    ]
    assert not outer.select(kinds=["error", "data"])
    # The server closes TCP first (§7.1.1): its FIN comes before the client's.
    assert [e.direction for e in outer.select(kinds=["eof"])] == [SERVER_TO_CLIENT, CLIENT_TO_SERVER]


def test_relay_url_keeps_the_path():
    relay = Relay("ws://127.0.0.1:8765/chat?room=1")
    relay.port = 4000
    assert relay.url == "ws://127.0.0.1:4000/chat?room=1"
    assert (relay.target_host, relay.target_port) == ("127.0.0.1", 8765)


def test_negotiated_compression_is_explained():
    async def scenario():
        async def echo(ws):
            async for message in ws:
                await ws.send(message)

        async with websockets.serve(echo, "127.0.0.1", 0) as server:
            async with wiretap(("127.0.0.1", server.sockets[0].getsockname()[1])) as tap:
                async with websockets.connect(tap.url) as ws:
                    await ws.send("hello" * 20)
                    await ws.recv()
                await tap.wait_for(lambda t: len(t.select(kinds=["eof"])) == 2)
        return tap

    tap = run(scenario())
    errors = tap.select(kinds=["error"])
    assert errors and "permessage-deflate" in str(errors[0].error) and "compression=None" in str(errors[0].error)


# --- wslab's own connections, through the on_bytes hooks ------------------------------


async def _wslab_echo_tapped():
    from wslab.net import connect, serve

    async def echo(ws):
        async for message in ws:
            await ws.send(message)

    server_tap, client_tap = Tap(), Tap()
    async with serve(echo, on_bytes=server_tap.server_hook) as server:
        ws = await connect(server.url, mask_key=RFC_MASK_KEY, on_bytes=client_tap.client_hook)
        await ws.send("Hello")
        assert await ws.recv() == "Hello"
        await ws.ping(b"ping!")
        await ws.send(b"\x01\x02" * 100, fragment_size=128)
        assert await ws.recv() == b"\x01\x02" * 100
        await ws.close()
        await server_tap.wait_for(
            lambda t: t.frames() and t.frames()[-1].opcode == Opcode.CLOSE and t.frames()[-1].sender == "server"
        )
        # A raw socket sends an unmasked frame: the server fails the connection with 1002.
        reader, writer = await asyncio.open_connection(server.host, server.port)
        writer.write(REQUEST + encode(Frame(Opcode.TEXT, b"unmasked")))
        await reader.read()  # until the server closes TCP
        writer.close()
        await server_tap.wait_for(lambda t: len(t.select("c2", kinds=["frame"])) == 1)
    return server_tap, client_tap


def test_tap_on_wslab_hooks_sees_the_same_bytes_from_both_ends():
    server_tap, client_tap = run(_wslab_echo_tapped())
    client_label = client_tap.connections[0]
    for direction in (CLIENT_TO_SERVER, SERVER_TO_CLIENT):
        assert server_tap.bytes("c1", direction) == client_tap.bytes(client_label, direction)
    seen = [(e.sender, e.opcode.name, e.frame.fin, e.masked) for e in server_tap.frames("c1")]
    assert seen == [
        ("client", "TEXT", True, True),
        ("server", "TEXT", True, False),
        ("client", "PING", True, True),
        ("server", "PONG", True, False),
        ("client", "BINARY", False, True),
        ("client", "CONTINUATION", True, True),
        ("server", "BINARY", True, False),
        ("client", "CLOSE", True, True),
        ("server", "CLOSE", True, False),
    ]
    assert all(e.mask_key == RFC_MASK_KEY for e in server_tap.frames("c1") if e.sender == "client")
    bad, answer = server_tap.select("c2", kinds=["error", "frame"])
    assert bad.kind == "error" and bad.error.rfc_section == "5.1"
    assert answer.sender == "server" and answer.close[0] == 1002


def test_only_renumbers_one_connection():
    tap = Tap()
    tap.record("c1", CLIENT_TO_SERVER, REQUEST)
    tap.record("c2", CLIENT_TO_SERVER, REQUEST)
    tap.record("c2", SERVER_TO_CLIENT, RESPONSE)
    assert [(e.number, e.connection) for e in tap.only("c2")] == [(1, "c2"), (2, "c2")]
    assert [e.number for e in tap.select("c2")] == [2, 3]  # the tap itself is unchanged


def test_server_answer_reports_the_close_code_of_a_bad_frame():
    from wslab.net import serve
    from wslab.tap import server_answer

    async def echo(ws):
        async for message in ws:
            await ws.send(message)

    async def scenario():
        async with serve(echo) as server:
            return [
                await server_answer(server.url, data)
                for data in (
                    encode(Frame(Opcode.TEXT, b"hi", rsv1=True), RFC_MASK_KEY),
                    encode(Frame(Opcode.TEXT, b"\xff"), RFC_MASK_KEY),
                    encode(Frame(Opcode.CLOSE, close_payload(4000, "x")), RFC_MASK_KEY),
                )
            ]

    answers = run(scenario())
    assert [code for code, _ in answers] == [1002, 1007, 4000]


def test_a_head_without_its_blank_line_is_an_error_entry_past_max_head():
    from wslab.handshake import MAX_HEAD

    tap = Tap()
    tap.record("c1", CLIENT_TO_SERVER, b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * (MAX_HEAD // 6))
    [entry] = tap.entries
    assert entry.kind == "error" and entry.error.status == 431
    tap.record("c1", CLIENT_TO_SERVER, b"more")
    assert tap.entries[-1].kind == "data"
