"""The chat of lesson 06: the three Socket.IO delivery patterns over plain WebSocket."""

import json

import pytest
import websockets
from netutil import run, ws_url

from wslab.chat import ChatClient, ChatServer, envelope
from wslab.tap import CLIENT_TO_SERVER, wiretap


async def _three_members(connect, url):
    names = ["alice", "bob", "carol"]
    sockets = [await connect(url) for _ in names]
    clients = [ChatClient(n, ws) for n, ws in zip(names, sockets, strict=False)]
    welcomes = [await c.join() for c in clients]
    return clients, sockets, welcomes


async def _conversation(connect, url, server):
    clients, sockets, welcomes = await _three_members(connect, url)
    alice, bob, carol = clients
    assert welcomes[2] == {"type": "welcome", "name": "carol", "members": ["alice", "bob", "carol"]}
    await alice.say("hello all", to="everyone")
    got = {c.name: await c.receive() for c in clients}
    assert all(m["text"] == "hello all" and m["from"] == "alice" for m in got.values())
    await bob.say("note to self", to="me")
    assert (await bob.receive())["text"] == "note to self"
    await carol.say("psst", to="others")
    assert [(await alice.receive())["text"], (await bob.receive())["text"]] == ["psst", "psst"]
    # carol got nothing from her own broadcast: the next thing she receives is alice's next message
    await alice.say("last", to="everyone")
    assert (await carol.receive())["text"] == "last"
    for ws in sockets:
        await ws.close()
    return [str(d) for d in server.log]


def test_patterns_with_the_websockets_library_through_a_tap():
    async def scenario():
        server = ChatServer()
        async with websockets.serve(server.handler, "127.0.0.1", 0, compression=None) as srv:
            port = srv.sockets[0].getsockname()[1]
            async with wiretap(("127.0.0.1", port)) as tap:
                connect = lambda url: websockets.connect(url, compression=None)  # noqa: E731
                log = await _conversation(connect, tap.url, server)
                await tap.wait_for(lambda t: len(t.select(kinds=["eof"])) == 6)
        return log, tap, server

    log, tap, server = run(scenario())
    assert log == [
        "alice says 'hello all' to everyone (io.emit) -> alice, bob, carol",
        "bob says 'note to self' to me (socket.emit) -> bob",
        "carol says 'psst' to others (socket.broadcast.emit) -> alice, bob",
        "alice says 'last' to everyone (io.emit) -> alice, bob, carol",
    ]
    assert server.members == {}  # everyone left
    said = [
        json.loads(e.frame.payload) for e in tap.frames() if e.direction == CLIENT_TO_SERVER and e.frame.opcode == 1
    ]
    assert said[3] == {"type": "say", "to": "everyone", "text": "hello all"}
    assert not tap.select(kinds=["error"])


def test_bad_messages_get_an_error_not_a_crash():
    async def scenario():
        server = ChatServer()
        async with websockets.serve(server.handler, "127.0.0.1", 0, compression=None) as srv:
            url = ws_url(srv)
            async with websockets.connect(url, compression=None) as ws:
                replies = []
                for message in [
                    "not json",
                    envelope("say", to="everyone", text="too early"),
                    envelope("hello", name="dan"),
                    envelope("say", to="nobody", text="x"),
                    b"\x00",
                ]:
                    await ws.send(message)
                    replies.append(json.loads(await ws.recv())["type"])
                return replies

    assert run(scenario()) == ["error", "error", "welcome", "error", "error"]


def test_client_refuses_an_unknown_pattern():
    with pytest.raises(ValueError, match="to must be one of"):
        run(ChatClient("x", None).say("hi", to="all"))


def test_conversation_over_wslab_records_each_pattern_and_no_origin():
    from wslab.chat import conversation
    from wslab.net import connect, serve

    async def scenario():
        room = ChatServer()
        async with serve(room.handler) as server:
            members = [ChatClient(n, await connect(server.url)) for n in ("alice", "bob", "carol")]
            received = await conversation(*members)
            for member in members:
                await member.ws.close()
        return room, received

    room, received = run(scenario())
    assert received == {
        "alice": ["hello everyone", "psst"],
        "bob": ["hello everyone", "note to self", "psst"],
        "carol": ["hello everyone"],
    }
    assert room.origins == {"alice": None, "bob": None, "carol": None}  # non-browser clients send no Origin


def test_browser_snippet_is_valid_looking_javascript():
    from wslab.chat import browser_snippet

    js = browser_snippet("ws://127.0.0.1:8765/")
    assert js.splitlines()[0] == 'const ws = new WebSocket("ws://127.0.0.1:8765/");'
    assert '"{\\"type\\": \\"hello\\", \\"name\\": \\"browser\\"}"' in js
