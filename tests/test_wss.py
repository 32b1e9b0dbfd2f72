"""wss:// (RFC 6455 §3, §4.1 item 2 of the client's steps, §10.6): the same server and
client code over TLS, with a certificate authority made for the test (`trustme`).

wslab with itself, with the `websockets` library both ways, and a client that
refuses a certificate it cannot verify, saying so.
"""

from __future__ import annotations

import ssl

import pytest
import trustme
from netutil import echo, run
from websockets.asyncio.client import connect as ws_connect
from websockets.asyncio.server import serve as ws_serve

from wslab.deflate import Offer
from wslab.net import connect, serve

TEXT = "over TLS, the frames are the same: " * 20


@pytest.fixture(scope="module")
def ca():
    return trustme.CA()


@pytest.fixture(scope="module")
def server_context(ca):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


@pytest.fixture(scope="module")
def client_context(ca):
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    ca.configure_trust(context)
    return context


async def ws_echo(ws) -> None:
    async for message in ws:
        await ws.send(message)


def test_wslab_server_and_client_over_tls(server_context, client_context):
    async def go():
        async with serve(echo, ssl=server_context) as server:
            assert server.url.startswith("wss://")
            async with connect(server.url, ssl=client_context, compression=Offer()) as ws:
                assert ws.secure
                assert ws.extensions.startswith("permessage-deflate")  # compression works over TLS too
                for message in (TEXT, TEXT.encode(), "", b"\x00" * 70000):
                    await ws.send(message)
                    assert await ws.recv() == message
                assert server.connections[0].secure
            assert ws.close_code == 1000

    run(go())


def test_websockets_client_to_wslab_wss_server(server_context, client_context):
    async def go():
        async with serve(echo, ssl=server_context) as server:
            async with ws_connect(server.url, ssl=client_context) as client:
                await client.send(TEXT)
                assert await client.recv() == TEXT

    run(go())


def test_wslab_client_to_websockets_wss_server(server_context, client_context):
    async def go():
        async with ws_serve(ws_echo, "127.0.0.1", 0, ssl=server_context) as server:
            port = server.sockets[0].getsockname()[1]
            async with connect(f"wss://localhost:{port}/", ssl=client_context) as ws:
                await ws.send(TEXT)
                assert await ws.recv() == TEXT
                assert ws.request.host == f"localhost:{port}"

    run(go())


def test_client_refuses_an_untrusted_certificate(server_context):
    """Without the test CA in its trust store the client cannot verify the server: refused, clearly."""

    async def go():
        async with serve(echo, ssl=server_context) as server:
            untrusting = ssl.create_default_context()  # the system's CAs only
            with pytest.raises(ssl.SSLCertVerificationError) as info:
                await connect(server.url, ssl=untrusting)
            assert "certificate verify failed" in str(info.value)
            assert server.connections == []

    run(go())


def test_client_refuses_a_certificate_for_another_host(ca, client_context):
    async def go():
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("elsewhere.example").configure_cert(context)
        async with serve(echo, ssl=context) as server:
            with pytest.raises(ssl.SSLCertVerificationError, match="127.0.0.1|mismatch|match"):
                await connect(server.url, ssl=client_context)

    run(go())


def test_wss_uri_without_a_context_uses_the_default_one(server_context):
    """``wss://`` alone verifies with the system's CAs: our test CA is not among them."""

    async def go():
        async with serve(echo, ssl=server_context) as server:
            with pytest.raises(ssl.SSLCertVerificationError):
                await connect(server.url)

    run(go())


def test_ssl_context_with_a_ws_uri_is_refused():
    async def go():
        with pytest.raises(ValueError, match="wss://"):
            await connect("ws://127.0.0.1:1/", ssl=ssl.create_default_context())

    run(go())
