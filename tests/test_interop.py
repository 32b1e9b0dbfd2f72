"""wslab talks to the `websockets` library over real loopback sockets, both ways.

A `websockets` client against the wslab server, and the wslab client against a
`websockets` server: messages of every length class, fragmented messages,
ping/pong, every close code, and a refused Origin.
"""

from __future__ import annotations

import asyncio

import pytest
import websockets
from netutil import echo, run, ws_url  # echo: wslab.net's, which serves a websockets server too
from websockets.asyncio.client import connect as ws_connect
from websockets.asyncio.server import serve as ws_serve

from wslab import handshake
from wslab.errors import ConnectionClosed
from wslab.net import connect, serve

SIZES = [0, 125, 126, 65535, 65536, 1 << 20]
LIMIT = 2 << 20
CLOSE_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999]


def text_of(size: int) -> str:
    """A str whose UTF-8 encoding is exactly `size` bytes, with 2-byte characters in it."""
    return "é" * (size // 2) + "a" * (size % 2)


def binary_of(size: int) -> bytes:
    return bytes(i % 251 for i in range(size))


def message_of(kind: str, size: int) -> str | bytes:
    return text_of(size) if kind == "text" else binary_of(size)


# --- websockets client -> wslab server --------------------------------------------


@pytest.mark.parametrize("kind", ["text", "binary"])
@pytest.mark.parametrize("size", SIZES)
def test_websockets_client_to_wslab_server(kind, size):
    async def go():
        async with serve(echo, max_message_size=LIMIT) as server:
            async with ws_connect(server.url, max_size=LIMIT) as client:
                message = message_of(kind, size)
                await client.send(message)
                assert await client.recv() == message

    run(go())


@pytest.mark.parametrize("size", SIZES)
def test_wslab_client_to_websockets_server(size):
    async def go():
        async with ws_serve(echo, "127.0.0.1", 0, max_size=LIMIT) as server:
            async with connect(ws_url(server), max_message_size=LIMIT) as ws:
                for message in (text_of(size), binary_of(size)):
                    await ws.send(message)
                    assert await ws.recv() == message
            assert ws.close_code == 1000

    run(go())


def test_fragmented_messages_both_ways():
    async def go():
        async with serve(echo) as server:
            async with ws_connect(server.url) as client:
                await client.send(["웹", "소켓 ", "fragments"])  # websockets fragments an iterable
                assert await client.recv() == "웹소켓 fragments"
                await client.send([b"\x00", b"", b"\xff" * 1000])
                assert await client.recv() == b"\x00" + b"\xff" * 1000
        async with ws_serve(echo, "127.0.0.1", 0) as server:
            async with connect(ws_url(server)) as ws:
                await ws.send("한국어 텍스트" * 100, fragment_size=7)  # fragments cut inside characters
                assert await ws.recv() == "한국어 텍스트" * 100
                await ws.send(binary_of(5000), fragment_size=1000)
                assert await ws.recv() == binary_of(5000)

    run(go())


def test_websockets_server_fragments_to_wslab_client():
    async def fragmenting(ws):
        async for message in ws:
            await ws.send([message[:3], message[3:]])

    async def go():
        async with ws_serve(fragmenting, "127.0.0.1", 0) as server:
            async with connect(ws_url(server)) as ws:
                await ws.send("fragmented")
                assert await ws.recv() == "fragmented"

    run(go())


def test_ping_pong_both_ways():
    pinged = []

    async def pinging_handler(ws):
        pinged.append(await ws.ping(b"from wslab server"))  # the websockets client answers
        await echo(ws)

    async def go():
        async with serve(pinging_handler) as server:
            async with ws_connect(server.url) as client:
                pong = await client.ping(b"from websockets")
                await asyncio.wait_for(pong, 5)
                await client.send("after pings")
                assert await client.recv() == "after pings"
        assert len(pinged) == 1 and pinged[0] >= 0

        async def ws_pinging(ws):
            await asyncio.wait_for(await ws.ping(b"from websockets server"), 5)
            await echo(ws)

        async with ws_serve(ws_pinging, "127.0.0.1", 0) as server:
            async with connect(ws_url(server)) as ws:
                assert await ws.ping(b"from wslab client") >= 0
                await ws.send("ok")
                assert await ws.recv() == "ok"

    run(go())


@pytest.mark.parametrize("code", CLOSE_CODES)
def test_close_codes_both_ways(code):
    reason = f"code {code}"
    seen = {}

    async def record(ws):
        async for _ in ws:
            pass
        seen["wslab server"] = (ws.close_code, ws.close_reason)

    async def ws_record(ws):
        try:
            await ws.wait_closed()
        finally:
            seen["websockets server"] = (ws.close_code, ws.close_reason)

    async def closing(ws):
        await ws.close(code, reason)

    async def go():
        async with serve(record) as server:  # websockets client closes
            async with ws_connect(server.url) as client:
                await client.close(code, reason)
            await asyncio.sleep(0.05)
        assert seen["wslab server"] == (code, reason)

        async with serve(closing) as server:  # wslab server closes
            async with ws_connect(server.url) as client:
                with pytest.raises(websockets.ConnectionClosed) as info:
                    await client.recv()
        assert (info.value.rcvd.code, info.value.rcvd.reason) == (code, reason)

        async with ws_serve(ws_record, "127.0.0.1", 0) as server:  # wslab client closes
            ws = await connect(ws_url(server))
            await ws.close(code, reason)
            assert (ws.close_code, ws.close_reason) == (code, reason)
            await asyncio.sleep(0.05)
        assert seen["websockets server"] == (code, reason)

        async def ws_closing(ws):
            await ws.close(code, reason)

        async with ws_serve(ws_closing, "127.0.0.1", 0) as server:  # websockets server closes
            ws = await connect(ws_url(server))
            with pytest.raises(ConnectionClosed) as info:
                await ws.recv()
            assert (info.value.code, info.value.reason) == (code, reason)
            assert (ws.close_code, ws.close_reason, ws.state) == (code, reason, "CLOSED")

    run(go())


def test_refused_origin_both_ways():
    async def go():
        async with serve(echo, allowed_origins=["http://class.example"]) as server:
            with pytest.raises(websockets.InvalidStatus) as info:
                async with ws_connect(server.url, origin="http://evil.example"):
                    pass
            assert info.value.response.status_code == 403
            async with ws_connect(server.url, origin="http://class.example") as client:
                await client.send("welcome")
                assert await client.recv() == "welcome"

        async with ws_serve(echo, "127.0.0.1", 0, origins=["http://class.example"]) as server:
            url = ws_url(server)
            with pytest.raises(handshake.HandshakeError, match="403"):
                await connect(url, origin="http://evil.example")
            async with connect(url, origin="http://class.example") as ws:
                await ws.send("welcome")
                assert await ws.recv() == "welcome"

    run(go())


def test_too_big_is_1009_both_ways():
    async def go():
        async with serve(echo, max_message_size=1000) as server:
            async with ws_connect(server.url) as client:
                await client.send(b"x" * 1001)
                with pytest.raises(websockets.ConnectionClosed) as info:
                    await client.recv()
                assert info.value.rcvd.code == 1009
        async with ws_serve(echo, "127.0.0.1", 0) as server:
            async with connect(ws_url(server), max_message_size=1000) as ws:
                await ws.send(b"x" * 1001)
                with pytest.raises(ConnectionClosed):
                    await ws.recv()
            assert ws.close_code == 1009

    run(go())


def test_peer_that_vanishes_gives_1006():

    async def go():
        done = asyncio.Event()
        codes = []

        async def record(ws):
            async for _ in ws:
                pass
            codes.append(ws.close_code)
            done.set()

        async with serve(record) as server:
            async with ws_connect(server.url) as client:
                await client.send("hi")
                client.transport.abort()
            await asyncio.wait_for(done.wait(), 5)
        assert codes == [1006]

        async def vanish(ws):
            ws.transport.abort()

        async with ws_serve(vanish, "127.0.0.1", 0) as server:
            ws = await connect(ws_url(server))
            with pytest.raises(ConnectionClosed):
                await ws.recv()
            assert ws.close_code == 1006

    run(go())
