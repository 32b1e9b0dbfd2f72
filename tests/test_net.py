"""wslab.net on its own: the API lessons use, closing from either side, limits, the wire tap."""

from __future__ import annotations

import asyncio
import contextlib
import ssl

import pytest
from netutil import echo, run

from wslab import frames
from wslab.errors import ConnectionClosed, HandshakeError
from wslab.masking import RFC_MASK_KEY
from wslab.net import MAX_QUEUE, connect, serve
from wslab.probe import Probe


def test_send_recv_iterate_and_reprs():
    async def go():
        server = await serve(echo)  # as in a notebook cell: no async with
        assert repr(server) == f"Server(url='ws://127.0.0.1:{server.port}/', connections=0)"
        ws = await connect(server.url, id="alice", mask_key=RFC_MASK_KEY)
        assert repr(ws) == "WebSocket(id='alice', role='client', state='OPEN')"
        assert ws.request.path == "/" and ws.response.status == 101
        await ws.send("one")
        await ws.send(b"two")
        assert [await ws.recv(), await ws.recv()] == ["one", b"two"]
        assert [repr(c) for c in server.connections] == ["WebSocket(id='c1', role='server', state='OPEN')"]
        await ws.close(4000, "bye")
        assert repr(ws) == "WebSocket(id='alice', role='client', state='CLOSED', close_code=4000, close_reason='bye')"
        with pytest.raises(ConnectionClosed):
            await ws.send("too late")
        with pytest.raises(ConnectionClosed):
            await ws.recv()
        await server.close()
        assert repr(server) == "Server(closed)"

    run(go())


def test_async_for_ends_at_close_and_server_side_close():
    async def handler(ws):
        for i in range(3):
            await ws.send(f"m{i}")
        await ws.close(1001, "done")

    async def go():
        async with serve(handler) as server:
            async with connect(server.url) as ws:
                received = [message async for message in ws]
            assert received == ["m0", "m1", "m2"]
            assert (ws.close_code, ws.close_reason) == (1001, "done")

    run(go())


def test_handler_error_closes_with_1011_and_others_continue():
    async def handler(ws):
        message = await ws.recv()
        if message == "crash":
            raise RuntimeError("boom")
        await ws.send(message)

    async def go():
        async with serve(handler) as server:
            good = await connect(server.url)
            bad = await connect(server.url)
            await bad.send("crash")
            with pytest.raises(ConnectionClosed):
                await bad.recv()
            assert bad.close_code == 1011
            await good.send("fine")
            assert await good.recv() == "fine"
            await good.close()

    run(go())


def test_server_close_sends_1001_to_every_client():
    async def go():
        server = await serve(echo)
        clients = [await connect(server.url) for _ in range(3)]
        await server.close()
        for ws in clients:
            await ws.wait_closed()
            assert ws.close_code == 1001

    run(go())


def test_on_bytes_sees_every_byte_both_ways():
    seen = {"server": [], "client": []}

    def tap(side):
        return lambda ws, direction, data: seen[side].append((ws.id, direction, bytes(data)))

    async def go():
        async with serve(echo, on_bytes=tap("server")) as server:
            async with connect(server.url, mask_key=RFC_MASK_KEY, on_bytes=tap("client"), id="c9") as ws:
                await ws.send("Hello")
                assert await ws.recv() == "Hello"

    run(go())
    client_sent = b"".join(d for _, direction, d in seen["client"] if direction == "sent")
    server_received = b"".join(d for _, direction, d in seen["server"] if direction == "received")
    assert client_sent == server_received  # handshake and frames, byte for byte
    assert client_sent.startswith(b"GET / HTTP/1.1\r\n")
    assert frames.encode(frames.Frame(frames.Opcode.TEXT, b"Hello"), RFC_MASK_KEY) in client_sent  # RFC §5.7 bytes
    server_sent = b"".join(d for _, direction, d in seen["server"] if direction == "sent")
    assert server_sent.startswith(b"HTTP/1.1 101 Switching Protocols\r\n")
    assert bytes.fromhex("810548656c6c6f") in server_sent
    assert {i for i, _, _ in seen["client"]} == {"c9"} and {i for i, _, _ in seen["server"]} == {"c1"}


@contextlib.asynccontextmanager
async def flooded(data: bytes, most: int):
    """A server whose handler never reads, and a client that sends `data` to it until one send stalls
    for 0.5 s (or `most` sends went through): yields (sends that went through, the server's WebSocket)."""
    holder = {}

    async def lazy(ws):
        holder["ws"] = ws
        await asyncio.sleep(3600)

    async with serve(lazy, close_timeout=0.5) as server:
        probe = await Probe.open(server.url)
        await probe.handshake()
        sent = 0
        try:
            while sent < most:
                await asyncio.wait_for(probe.send(data), 0.5)
                sent += 1
        except asyncio.TimeoutError:
            pass
        try:
            yield sent, holder["ws"]
        finally:
            probe.writer.transport.abort()


def test_unread_messages_stop_the_reading():
    """Backpressure: a handler that never reads holds at most MAX_QUEUE messages, and the
    rest waits in TCP buffers rather than in the server's memory."""

    async def go():
        frame = frames.encode(frames.Frame(frames.Opcode.BINARY, b"x" * 60000), RFC_MASK_KEY)
        async with flooded(frame, 400) as (sent, ws):  # 24 MB, far more than the queue
            assert sent < 400, "the server kept reading although nobody consumed the messages"
            assert len(ws._messages) <= MAX_QUEUE

    run(go())


def test_refused_handshake_raises_handshake_error_with_status():
    async def go():
        async with serve(echo, allowed_origins=["http://a.example"]) as server:
            with pytest.raises(HandshakeError, match="403"):
                await connect(server.url, origin="http://b.example")
            async with connect(server.url, origin="http://a.example") as ws:
                await ws.send("in")
                assert await ws.recv() == "in"

    run(go())


def test_uri_rules():
    async def go():
        with pytest.raises(ValueError, match="wss://"):
            await connect("ws://127.0.0.1:1/", ssl=ssl.create_default_context())
        with pytest.raises(ValueError, match="ws://"):
            await connect("http://127.0.0.1:1/")
        with pytest.raises(ValueError, match="fragment"):
            await connect("ws://127.0.0.1:1/#frag")

    run(go())


def test_path_and_query_reach_the_handler():
    async def handler(ws):
        await ws.send(ws.request.path)

    async def go():
        async with serve(handler) as server:
            async with connect(server.url + "room/7?user=kim") as ws:
                assert await ws.recv() == "/room/7?user=kim"

    run(go())


def test_server_close_does_not_wait_for_a_client_stuck_in_the_handshake():
    async def go():
        server = await serve(echo, handshake_timeout=30)
        probe = await Probe.open(server.url)
        await probe.send(b"GET / HTTP/1.1\r\n")  # and then nothing
        await asyncio.sleep(0.1)
        loop = asyncio.get_running_loop()
        started = loop.time()
        await server.close()
        assert loop.time() - started < 1
        await probe.expect_eof()

    run(go())


def test_both_sides_send_a_large_message_at_once():
    """Neither side stops reading while its own large send waits for the socket:
    otherwise both write buffers fill and neither peer drains the other's."""
    size = 8 * 1024 * 1024

    async def handler(ws):
        await asyncio.gather(ws.send(b"s" * size), ws.recv())

    async def go():
        async with serve(handler, max_message_size=size + 100) as server:
            async with connect(server.url, max_message_size=size + 100) as ws:
                _, echoed = await asyncio.wait_for(asyncio.gather(ws.send(b"c" * size), ws.recv()), 10)
                assert echoed == b"s" * size

    run(go())


def test_pongs_nobody_reads_stop_the_reading():
    """A peer that floods pings and never reads the pongs: the server stops reading
    rather than piling up pongs in its write buffer (§10.4: bounded memory)."""

    async def go():
        pings = frames.encode(frames.Frame(frames.Opcode.PING, b"p" * 125), RFC_MASK_KEY) * 100
        async with flooded(pings, 2000) as (sent, ws):  # 26 MB of pings, 26 MB of pongs
            assert sent < 2000, "the server kept reading although nobody read its pongs"
            assert ws._transport.get_write_buffer_size() < 1024 * 1024

    run(go())


def test_a_peer_that_stops_reading_cannot_hold_the_server_after_closing():
    """The closing handshake is done but the peer never reads what the server still
    has buffered: TCP is dropped after close_timeout instead of waiting forever."""
    done = asyncio.Event()

    async def flood(ws):
        try:
            await ws.send(b"x" * (8 * 1024 * 1024))  # more than the socket buffers take
        except ConnectionClosed:
            pass
        await ws.wait_closed()
        done.set()

    async def go():
        async with serve(flood, close_timeout=0.5, max_message_size=None) as server:
            probe = await Probe.open(server.url)
            await probe.handshake()
            await asyncio.sleep(0.2)  # the server's buffers fill; we read nothing
            await probe.send(frames.encode(frames.Frame(frames.Opcode.CLOSE, frames.close_payload(1000)), RFC_MASK_KEY))
            probe.writer.write_eof()  # our FIN, and still we read nothing
            await asyncio.wait_for(done.wait(), 5)
            probe.writer.transport.abort()

    run(go())
