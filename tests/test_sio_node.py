"""The official JavaScript client (socket.io-client 4.8, in Node) against wslab's Socket.IO server.

One story (tests/js/story.js): connect with auth, emits both ways, acks both ways (several, one, no
arguments; a handler that never answers), rooms, binary attachments, namespaces, a middleware's
refusal, the heartbeat past ping_interval, a disconnect from either side; with the client's default
transports (HTTP long-polling, then the upgrade to WebSocket) and WebSocket only. The same story runs
against Node's own `socket.io` server, so every expectation below is first of all Node's behaviour.
"""

import asyncio

import pytest
from netutil import until
from sio_jsutil import need_node, node_lines, node_server, wslab_server

pytestmark = pytest.mark.timeout(90)

# Pings every 0.3 s (the story waits for three); a pong may take 2 s on a loaded machine.
TIMINGS = {"ping_interval": 0.3, "ping_timeout": 2, "connect_timeout": 5}
NODE_TIMINGS = {"pingInterval": 300, "pingTimeout": 2000, "connectTimeout": 5000}
SOME_ARGS = [1, "2", {"3": [False]}]


def expected_story(first_transport):
    steps = [
        {"step": "auth", "auth": {"token": "abc", "name": "A"}, "id": "string", "first_transport": first_transport},
        {"step": "upgrade", "transport": "websocket"},
        {"step": "transport", "name": "websocket"},
        {"step": "message-back", "args": SOME_ARGS},
        {"step": "ack", "several": SOME_ARGS, "one": ["x"], "none": []},
        {"step": "ack-timeout", "error": "operation has timed out"},
        {"step": "server-ack", "result": [None, "A answers q?"]},
        {"step": "join", "answer": ["joined r"]},
        {"step": "rooms", "seen": {"A": [["room_not_sender", "socket.to(r)"], ["room", "io.to(r)"]], "B": []}},
        {
            "step": "binary",
            "back": [{"bytes": [1, 2, 3]}, "text"],
            "ack": [{"data": {"bytes": [4, 5]}}],
            "from_server": [{"bytes": [0, 1, 2, 255]}, {"nested": [{"bytes": [104, 105]}]}],
        },
        {"step": "namespaces", "custom_auth": {"name": "A-custom"}, "unknown": "Invalid namespace"},
        {"step": "middleware", "message": "not authorized", "data": {"code": 42}},
        {"step": "heartbeat", "pings": True, "connected": True},
        {"step": "disconnect", "server_side": "io server disconnect", "client_side": "io client disconnect"},
        {"step": "end"},
    ]
    return [s for s in steps if first_transport == "polling" or s["step"] != "upgrade"]


SERVER_REASONS = [
    {"server": "disconnect", "name": "B", "nsp": "/", "reason": "server namespace disconnect"},
    {"server": "disconnect", "name": "A-custom", "nsp": "/custom", "reason": "client namespace disconnect"},
    {"server": "disconnect", "name": "A", "nsp": "/", "reason": "client namespace disconnect"},
]

TRANSPORTS = {"default": (), "websocket-only": ("websocket",)}


def check(lines, first_transport):
    assert [line for line in lines if line["step"] == "error"] == []
    assert lines == expected_story(first_transport)


@pytest.fixture(scope="module", autouse=True)
def node_and_packages():
    need_node()


@pytest.mark.parametrize("transports", TRANSPORTS, ids=str)
def test_story_against_wslab(transports):
    async def main():
        async with wslab_server(**TIMINGS) as (io, reports, url):
            lines = await node_lines("run_story.mjs", url, *TRANSPORTS[transports])
            await until(lambda: len(reports) >= len(SERVER_REASONS))
            return lines, reports

    lines, reports = asyncio.run(main())
    check(lines, "websocket" if TRANSPORTS[transports] else "polling")
    assert reports == SERVER_REASONS


@pytest.mark.parametrize("transports", TRANSPORTS, ids=str)
def test_story_against_node_itself(transports):
    async def main():
        async with node_server(**NODE_TIMINGS) as server:
            lines = await node_lines("run_story.mjs", server.url, *TRANSPORTS[transports])
            await until(lambda: len(server.reports) >= len(SERVER_REASONS))
            return lines, server.reports

    lines, reports = asyncio.run(main())
    check(lines, "websocket" if TRANSPORTS[transports] else "polling")
    assert reports == SERVER_REASONS


def test_websocket_only_server_refuses_polling():
    async def main():
        async with wslab_server(transports=("websocket",), **TIMINGS) as (io, reports, url):
            ws = await node_lines("run_story.mjs", url, "websocket")
            # Refused at once (HTTP 400): a second without "auth" shows it, not the story's 5 s per step.
            polling = await node_lines("run_story.mjs", url, "polling", "1000")
            return ws, polling

    ws, polling = asyncio.run(main())
    check(ws, "websocket")
    assert polling[0]["step"] == "error" and 'no "auth"' in polling[0]["message"]
