"""permessage-deflate over real loopback sockets: wslab with the `websockets` library
(both directions, every parameter), and raw bytes a server must refuse.

websockets is run with ``compression="deflate"`` (its defaults) and with explicit
extension factories for no context takeover and smaller windows. The bytes on the
wire are counted, so "compressed" means fewer bytes went over TCP, not just an
agreed header.
"""

from __future__ import annotations

import asyncio

import pytest
from netutil import echo, run, ws_url  # echo: wslab.net's, which serves a websockets server too
from websockets.asyncio.client import connect as ws_connect
from websockets.asyncio.server import serve as ws_serve
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory, ServerPerMessageDeflateFactory

from wslab import deflate, handshake
from wslab.codes import Opcode
from wslab.deflate import Offer, PerMessageDeflate, ServerConfig
from wslab.errors import InvalidResponse
from wslab.frames import Frame, encode
from wslab.net import connect, serve
from wslab.probe import PROBE_KEY, Probe

TEXT = (
    "permessage-deflate compresses each message with DEFLATE; the window carries over from one message to the next. "
) * 40
LIMIT = 1 << 20


class Counter:
    """on_bytes hook: bytes each way after the handshake."""

    def __init__(self) -> None:
        self.sent = self.received = 0

    def __call__(self, ws, direction: str, data: bytes) -> None:
        if ws.connection is not None:
            setattr(self, direction, getattr(self, direction) + len(data))


MESSAGES = [TEXT, TEXT.encode() * 3, "", b"", "é" * 3000, bytes(range(256)) * 8, TEXT[:10]]
TOTAL = sum(len(m) for m in MESSAGES)


async def echo_all(ws, **send_options) -> None:
    """Send each of MESSAGES and check its echo (either library's connection)."""
    for message in MESSAGES:
        await ws.send(message, **send_options)
        assert await ws.recv() == message


def assert_compressed(counter: Counter, name: str) -> None:
    # A 256-byte window compresses by runs only (see wslab.deflate): less, but still less
    shrink = 0.7 if "8" in name else 1 / 3
    assert counter.sent < TOTAL * shrink and counter.received < TOTAL / 3


# --- websockets client -> wslab server ------------------------------------------------

CLIENT_FACTORIES = {
    "websockets defaults": None,
    "no context takeover both ways": ClientPerMessageDeflateFactory(
        server_no_context_takeover=True, client_no_context_takeover=True
    ),
    "window 9 both ways": ClientPerMessageDeflateFactory(server_max_window_bits=9, client_max_window_bits=9),
    "server window 8": ClientPerMessageDeflateFactory(server_max_window_bits=8),
}


@pytest.mark.parametrize("name", CLIENT_FACTORIES)
def test_websockets_client_to_wslab_server(name):
    factory = CLIENT_FACTORIES[name]
    counter = Counter()

    async def go():
        async with serve(echo, on_bytes=counter) as server:
            options = {"compression": "deflate"} if factory is None else {"compression": None, "extensions": [factory]}
            async with ws_connect(server.url, max_size=LIMIT, **options) as client:
                assert [e.name for e in client.protocol.extensions] == ["permessage-deflate"]
                await echo_all(client)
                (ws,) = server.connections
                assert ws.extensions.startswith("permessage-deflate")
                agreement = ws.connection.deflate.agreement
                if factory is not None and factory.server_no_context_takeover:
                    assert agreement.server_no_context_takeover and agreement.client_no_context_takeover
                if factory is not None and factory.server_max_window_bits:
                    assert agreement.server_max_window_bits == factory.server_max_window_bits
        assert_compressed(counter, name)

    run(go())


def test_websockets_client_without_compression_gets_none():
    async def go():
        async with serve(echo) as server:
            async with ws_connect(server.url, compression=None) as client:
                await client.send(TEXT)
                assert await client.recv() == TEXT
                assert server.connections[0].extensions == ""
                assert server.connections[0].connection.deflate is None

    run(go())


def test_wslab_server_with_compression_off_declines():
    async def go():
        async with serve(echo, compression=None) as server:
            async with ws_connect(server.url, compression="deflate") as client:
                assert client.protocol.extensions == []
                await client.send(TEXT)
                assert await client.recv() == TEXT

    run(go())


def test_wslab_server_config_is_answered():
    async def go():
        config = ServerConfig(server_no_context_takeover=True, server_max_window_bits=10, client_max_window_bits=11)
        async with serve(echo, compression=config) as server:
            async with ws_connect(server.url, compression="deflate") as client:
                (extension,) = client.protocol.extensions
                assert extension.local_no_context_takeover is False  # websockets' client keeps its own
                assert extension.remote_no_context_takeover is True  # ... and knows the server drops its
                assert extension.remote_max_window_bits == 10
                assert extension.local_max_window_bits == 11
                await echo_all(client)

    run(go())


# --- wslab client -> websockets server ------------------------------------------------

SERVER_FACTORIES = {
    "websockets defaults (window 12)": None,
    "no context takeover both ways": ServerPerMessageDeflateFactory(
        server_no_context_takeover=True, client_no_context_takeover=True
    ),
    "window 9 both ways": ServerPerMessageDeflateFactory(server_max_window_bits=9, client_max_window_bits=9),
    "client window 8": ServerPerMessageDeflateFactory(client_max_window_bits=8),
}


@pytest.mark.parametrize("name", SERVER_FACTORIES)
def test_wslab_client_to_websockets_server(name):
    factory = SERVER_FACTORIES[name]
    counter = Counter()

    async def go():
        options = {"compression": "deflate"} if factory is None else {"compression": None, "extensions": [factory]}
        async with ws_serve(echo, "127.0.0.1", 0, max_size=LIMIT, **options) as server:
            async with connect(ws_url(server), on_bytes=counter, compression=Offer()) as ws:
                assert ws.extensions.startswith("permessage-deflate")
                await echo_all(ws)
                agreement = ws.connection.deflate.agreement
                if factory is not None and factory.client_max_window_bits:
                    assert agreement.client_max_window_bits == factory.client_max_window_bits
        assert_compressed(counter, name)

    run(go())


@pytest.mark.parametrize(
    "offer",
    [
        Offer(server_no_context_takeover=True, client_no_context_takeover=True),
        Offer(server_max_window_bits=9, client_max_window_bits=9),
        Offer(server_max_window_bits=10),
    ],
)
def test_wslab_client_offers_are_honoured_by_websockets(offer):
    async def go():
        async with ws_serve(echo, "127.0.0.1", 0, compression="deflate") as server:
            async with connect(ws_url(server), compression=offer) as ws:
                agreement = ws.connection.deflate.agreement
                if offer.server_no_context_takeover:
                    assert agreement.server_no_context_takeover
                if offer.server_max_window_bits:
                    assert agreement.server_max_window_bits <= offer.server_max_window_bits
                await echo_all(ws, fragment_size=100)

    run(go())


def test_websockets_server_declines_a_window_of_8_which_wslab_accepts():
    """zlib has no raw compressor for window 8; websockets declines server_max_window_bits=8
    ("use 9"), wslab's server accepts it and compresses with matches of distance 1 (Z_RLE)."""

    async def go():
        async with ws_serve(echo, "127.0.0.1", 0, compression="deflate") as server:
            async with connect(ws_url(server), compression=Offer(server_max_window_bits=8)) as ws:
                assert ws.extensions == "" and ws.connection.deflate is None
        async with serve(echo) as server:
            async with connect(server.url, compression=Offer(server_max_window_bits=8)) as ws:
                assert ws.extensions == "permessage-deflate; server_max_window_bits=8"
                await ws.send(TEXT)
                assert await ws.recv() == TEXT

    run(go())


def test_wslab_client_without_compression():
    async def go():
        async with ws_serve(echo, "127.0.0.1", 0, compression="deflate") as server:
            async with connect(ws_url(server), compression=None) as ws:
                assert ws.extensions == "" and ws.connection.deflate is None
                assert ws.request.header("Sec-WebSocket-Extensions") is None
                await ws.send(TEXT)
                assert await ws.recv() == TEXT

    run(go())


def test_wslab_to_wslab_every_window():
    async def go():
        for bits in range(8, 16):
            config = ServerConfig(server_max_window_bits=bits, client_max_window_bits=bits)
            async with serve(echo, compression=config) as server:
                async with connect(server.url, compression=Offer(client_max_window_bits=True)) as ws:
                    assert ws.connection.deflate.local_window_bits == bits
                    await echo_all(ws)

    run(go())


async def _answering_server(answer: str):
    """A server that accepts every handshake with this Sec-WebSocket-Extensions answer, fitting or not."""

    async def session(reader, writer):
        head = await reader.readuntil(b"\r\n\r\n")
        request = handshake.parse_request(head)
        response = handshake.build_response(request)
        writer.write(handshake.replace_header(response, "Sec-WebSocket-Extensions", answer))
        await writer.drain()
        await reader.read()
        writer.close()

    return await asyncio.start_server(session, "127.0.0.1", 0)


@pytest.mark.parametrize(
    "offer, answer, section",
    [
        (Offer(server_max_window_bits=10), "permessage-deflate; server_max_window_bits=12", "7.1.2.1"),
        (Offer(server_no_context_takeover=True), "permessage-deflate", "7.1.1.1"),
        (Offer(client_max_window_bits=False), "permessage-deflate; client_max_window_bits=10", "7.1.2.2"),
        (Offer(), "permessage-deflate; x_unknown", "7"),
        (Offer(), "permessage-deflate, permessage-deflate", "5.1"),
    ],
)
def test_client_fails_on_an_answer_it_did_not_allow(offer, answer, section):
    async def go():
        server = await _answering_server(answer)
        async with server:
            url = ws_url(server)
            with pytest.raises(InvalidResponse) as info:
                await connect(url, compression=offer)
            assert info.value.rfc == "RFC 7692" and info.value.rfc_section == section
            assert "client fails the WebSocket connection" in str(info.value)

    run(go())


def test_an_answer_without_an_offer_fails_by_rfc_6455():
    async def go():
        server = await _answering_server("permessage-deflate")
        async with server:
            with pytest.raises(InvalidResponse) as info:
                await connect(ws_url(server))
            assert info.value.rfc_section == "4.1 response check 5"

    run(go())


# --- what a server must refuse: raw bytes ---------------------------------------------


async def _open_deflate(url: str) -> Probe:
    probe = await Probe.open(url)
    request = handshake.replace_header(probe.request(), "Sec-WebSocket-Extensions", "permessage-deflate")
    await probe.send(request)
    head = await probe.read_head()
    assert b"permessage-deflate" in head
    return probe


def _compressed(opcode: int, payload: bytes, *, fin: bool = True, rsv1: bool = True) -> bytes:
    return encode(Frame(opcode, payload, fin, rsv1=rsv1), PROBE_KEY)


@pytest.mark.parametrize(
    "what, data, code",
    [
        ("RSV1 on a ping", _compressed(Opcode.PING, b"x"), 1002),
        ("RSV1 on a pong", _compressed(Opcode.PONG, b"x"), 1002),
        ("RSV1 on a close", _compressed(Opcode.CLOSE, b"\x03\xe8"), 1002),
        (
            "RSV1 on a continuation",
            _compressed(Opcode.TEXT, b"\xf2\x48", fin=False)
            + _compressed(Opcode.CONTINUATION, b"\xcd\xc9\xc9\x07\x00"),
            1002,
        ),
        ("not DEFLATE data", _compressed(Opcode.BINARY, b"\xff\xff\xff"), 1007),
        ("inflates to invalid UTF-8", _compressed(Opcode.TEXT, PerMessageDeflate("client").compress(b"ok \xff")), 1007),
    ],
)
def test_server_refuses(what, data, code):
    async def go():
        async with serve(echo) as server:
            probe = await _open_deflate(server.url)
            await probe.send(data)
            assert (await probe.read_close())[0] == code, what
            await probe.expect_eof()
            await probe.close()

    run(go())


def test_bomb_is_refused_with_1009_without_inflating_it():
    """16 MiB of zeros compress to ~16 KiB: a frame well inside the 1 MiB limit inflates
    past it. The server stops at the limit (1009); its memory never held 16 MiB."""
    bomb = PerMessageDeflate("client").compress(b"\0" * (16 << 20))
    assert len(bomb) < 20_000

    async def go():
        async with serve(echo, max_message_size=LIMIT) as server:
            probe = await _open_deflate(server.url)
            await probe.send(_compressed(Opcode.BINARY, bomb))
            code, reason = await probe.read_close()
            assert code == 1009 and "inflates past" in reason
            await probe.close()

    run(go())


def test_rsv1_without_negotiation_is_1002():
    async def go():
        async with serve(echo) as server:
            probe = await Probe.open(server.url)
            await probe.handshake()
            await probe.send(_compressed(Opcode.TEXT, deflate.PerMessageDeflate("client").compress(b"Hello")))
            assert (await probe.read_close())[0] == 1002
            await probe.close()

    run(go())


def test_compressed_message_within_the_limit_is_echoed_compressed():
    async def go():
        async with serve(echo, max_message_size=1000) as server:
            probe = await _open_deflate(server.url)
            inflater = PerMessageDeflate("client")
            await probe.send(_compressed(Opcode.TEXT, PerMessageDeflate("client").compress(b"a" * 1000)))
            echoed = await _read_raw_frame(probe)
            assert echoed[0] == 0xC1  # FIN, RSV1, TEXT: the echo is compressed too
            assert inflater.inflate_message(echoed[2:]) == b"a" * 1000
            await probe.close()

    run(go())


async def _read_raw_frame(probe: Probe) -> bytes:
    """One short server frame as raw bytes (its 7-bit length < 126)."""
    while len(probe.received) < 2 or len(probe.received) < 2 + (probe.received[1] & 0x7F):
        assert await probe._fill(5)
    size = 2 + (probe.received[1] & 0x7F)
    data = bytes(probe.received[:size])
    del probe.received[:size]
    return data


# --- strict order: the answer before the failure's Close, and no longer than that ------------


def test_the_answer_goes_before_the_failures_close():
    async def go():
        async with serve(echo) as server:
            probe = await Probe.open(server.url)
            await probe.handshake()
            await probe.send(encode(Frame(Opcode.TEXT, b"good"), PROBE_KEY) + encode(Frame(3, b""), PROBE_KEY))
            answer = await probe.read_frame()
            assert (answer.opcode, answer.payload) == (Opcode.TEXT, b"good")
            assert (await probe.read_close())[0] == 1002
            await probe.close()

    run(go())


def test_a_failure_with_nothing_to_answer_goes_out_at_once():
    async def go():
        async with serve(echo) as server:
            probe = await Probe.open(server.url)
            await probe.handshake()
            started = asyncio.get_running_loop().time()
            await probe.send(encode(Frame(3, b""), PROBE_KEY))
            assert (await probe.read_close())[0] == 1002
            assert asyncio.get_running_loop().time() - started < 1
            await probe.close()

    run(go())


def test_a_busy_application_holds_the_failure_at_most_close_timeout():
    """The handler takes a message and never asks for the next: the Close waits for its answer
    only `close_timeout` seconds, then goes out with the failure's code."""

    async def busy(ws):
        await ws.recv()
        await asyncio.sleep(30)

    async def go():
        async with serve(busy, close_timeout=0.5) as server:
            probe = await Probe.open(server.url)
            await probe.handshake()
            started = asyncio.get_running_loop().time()
            await probe.send(encode(Frame(Opcode.TEXT, b"work"), PROBE_KEY) + encode(Frame(3, b""), PROBE_KEY))
            assert (await probe.read_close(timeout=5))[0] == 1002
            assert 0.4 < asyncio.get_running_loop().time() - started < 3
            await probe.close()

    run(go())
