"""Subprotocols (RFC 6455 §1.9, §4.1 item 10, §4.2.2): offered by the client in its
order, chosen by the server in its own (or by a selector), checked by the client.

Real loopback sockets, wslab with itself and with the `websockets` library.
"""

from __future__ import annotations

import pytest
from netutil import echo, run
from websockets.asyncio.client import connect as ws_connect
from websockets.asyncio.server import serve as ws_serve

from wslab import handshake
from wslab.errors import InvalidResponse
from wslab.net import connect, serve
from wslab.probe import Probe


def port_of(server) -> int:
    return server.sockets[0].getsockname()[1]


async def ws_echo(ws) -> None:
    async for message in ws:
        await ws.send(message)


def test_server_picks_by_its_own_order():
    async def go():
        async with serve(echo, subprotocols=["chat.v2", "chat.v1"]) as server:
            async with connect(server.url, subprotocols=["chat.v1", "chat.v2"]) as ws:
                assert ws.subprotocol == "chat.v2"
                assert server.connections[0].subprotocol == "chat.v2"
            async with connect(server.url, subprotocols=["chat.v1", "other"]) as ws:
                assert ws.subprotocol == "chat.v1"
            async with connect(server.url, subprotocols=["other"]) as ws:  # no match: none, not a refusal
                assert ws.subprotocol is None
                assert ws.response.header("Sec-WebSocket-Protocol") is None
            async with connect(server.url) as ws:
                assert ws.subprotocol is None

    run(go())


def test_selector_function_chooses():
    seen = []

    def choose(offered: list[str]) -> str | None:
        seen.append(offered)
        return offered[-1] if offered else None

    async def go():
        async with serve(echo, subprotocols=choose) as server:
            async with connect(server.url, subprotocols=["a", "b", "c"]) as ws:
                assert ws.subprotocol == "c"

    run(go())
    assert seen == [["a", "b", "c"]]


def test_selector_choosing_an_unoffered_protocol_is_a_server_error():
    async def go():
        async with serve(echo, subprotocols=lambda offered: "never-offered") as server:
            with pytest.raises(InvalidResponse) as info:
                await connect(server.url, subprotocols=["a"])
            assert "500" in str(info.value)

    run(go())


@pytest.mark.parametrize(
    "names, problem",
    [
        (["a b"], "not a token"),
        ([""], "not a token"),
        (["a,b"], "not a token"),
        (["x", "x"], "twice"),
        (["é"], "not a token"),
    ],
)
def test_client_refuses_to_offer_bad_names(names, problem):
    with pytest.raises(ValueError, match=problem):
        handshake.build_request("h", subprotocols=names)

    async def go():
        async with serve(echo) as server:
            with pytest.raises(ValueError, match=problem):
                await connect(server.url, subprotocols=names)

    run(go())


def test_server_refuses_a_bad_list_with_400():
    async def go():
        async with serve(echo, subprotocols=["chat"]) as server:
            probe = await Probe.open(server.url)
            await probe.send(handshake.replace_header(probe.request(), "Sec-WebSocket-Protocol", "chat, chat"))
            assert await probe.read_status() == 400
            await probe.close()

    run(go())


def test_client_fails_when_the_server_chooses_what_it_did_not_offer():
    """§4.1: a protocol "that was not present in the client's handshake": the client MUST fail."""

    async def go():
        # websockets' server answers what its selector returns, offered or not
        async with ws_serve(ws_echo, "127.0.0.1", 0, select_subprotocol=lambda conn, offered: "mqtt") as server:
            with pytest.raises(InvalidResponse) as info:
                await connect(f"ws://127.0.0.1:{port_of(server)}/", subprotocols=["chat"])
            assert info.value.rfc_section == "4.1 response check 6"
            assert "did not offer" in str(info.value)

    run(go())


def test_websockets_client_and_server_interoperate():
    async def go():
        async with serve(echo, subprotocols=["chat", "mqtt"]) as server:
            async with ws_connect(server.url, subprotocols=["mqtt", "chat"]) as client:
                assert client.subprotocol == "chat"
                await client.send("hi")
                assert await client.recv() == "hi"
        async with ws_serve(ws_echo, "127.0.0.1", 0, subprotocols=["mqtt", "chat"]) as server:
            async with connect(f"ws://127.0.0.1:{port_of(server)}/", subprotocols=["chat", "mqtt"]) as ws:
                assert ws.subprotocol == "mqtt"
            # websockets refuses a client that offers none of its protocols (400); wslab reports it
            with pytest.raises(InvalidResponse, match="400"):
                await connect(f"ws://127.0.0.1:{port_of(server)}/", subprotocols=["stomp"])

    run(go())
