"""Lesson 10's view of the wire: the tap reads HTTP/1.1 keep-alive (long polling) as well as WebSocket
frames, and `engineio_view` reads both as Engine.IO / Socket.IO packets, the same on every run."""

import asyncio

import pytest
import socketio

from wslab.events import Server
from wslab.tap import CLIENT_TO_SERVER, SERVER_TO_CLIENT, Tap
from wslab.viz.engineio_view import engineio_view
from wslab.viz.socketio_tab import CDN, browser_tab

pytestmark = pytest.mark.timeout(60)

POLL = b"GET /socket.io/?EIO=4&transport=polling&t=123 HTTP/1.1\r\nHost: x\r\n\r\n"
OPEN = b'0{"sid":"abcDEF","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}'
ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Length: %d\r\n\r\n" % len(OPEN)
POST_BODY = b'42["a",1]\x1ebAAEC'
POST = (
    b"POST /socket.io/?EIO=4&transport=polling&sid=abcDEF HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % len(POST_BODY)
    + POST_BODY
)
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
UPGRADE = (
    b"GET /socket.io/?EIO=4&transport=websocket&sid=abcDEF HTTP/1.1\r\nUpgrade: websocket\r\n"
    b"Connection: Upgrade\r\n\r\n"
)
SWITCH = b"HTTP/1.1 101 Switching Protocols\r\n\r\n"
PROBE = bytes.fromhex("8186") + b"\x00\x00\x00\x00" + b"2probe"  # a masked text frame, key 0


def keep_alive_tap(pieces_size=None):
    tap = Tap()
    client, server = POLL + POST + UPGRADE + PROBE, ANSWER + OPEN + OK + SWITCH + b"\x81\x063probe"
    for direction, data in ((CLIENT_TO_SERVER, client), (SERVER_TO_CLIENT, server)):
        step = pieces_size or len(data)
        for i in range(0, len(data), step):
            tap.record("c1", direction, data[i : i + step])
    return tap


@pytest.mark.parametrize("size", [None, 1, 7])
def test_the_tap_reads_several_http_messages_on_one_connection(size):
    tap = keep_alive_tap(size)
    client = [e for e in tap.entries if e.direction == CLIENT_TO_SERVER]
    heads = [e.describe() for e in client if e.kind == "http"]
    assert heads[0].startswith("GET") and heads[1].startswith("POST") and heads[2].startswith("GET")
    assert b"".join(e.data for e in client if e.kind == "body") == POST_BODY
    assert [e.frame.payload for e in client if e.kind == "frame"] == [b"2probe"]
    server = [e for e in tap.entries if e.direction == SERVER_TO_CLIENT]
    assert b"".join(e.data for e in server if e.kind == "body") == OPEN + b"ok"
    assert [e.frame.payload for e in server if e.kind == "frame"] == [b"3probe"]
    assert not [e for e in tap.entries if e.kind == "error"]


def test_the_view_reads_polling_bodies_and_frames_and_hides_what_varies():
    text = str(engineio_view(keep_alive_tap(3)))
    assert "GET /socket.io/?EIO=4&transport=polling HTTP" not in text  # the status word is dropped
    assert "GET /socket.io/?EIO=4&transport=polling\n" in text  # t=123 left out
    assert '0{"sid":"SID1","upgrades":["websocket"]' in text and "abcDEF" not in text
    assert "sid=SID1" in text
    lines = [line.split() for line in text.splitlines()]
    assert ['42["a",1]', "message", "·", "Socket.IO", "EVENT"] in lines
    assert ["b<base64", "of", "3", "bytes>", "binary", "attachment", "of", "the", "packet", "before"] in lines
    assert ["2probe", "ping", "(the", "upgrade's", "probe)"] in lines


def test_the_view_of_a_real_session_is_the_same_every_run():
    async def session():
        io = Server()
        io.on("connection", lambda socket: socket.on("sum", lambda a, b: a + b))
        tap = Tap()
        server = await io.listen("127.0.0.1", 0, on_bytes=tap.server_hook)
        client = socketio.AsyncClient()
        await client.connect(server.url, auth={"token": "abc"})
        assert await client.call("sum", (1, 2)) == 3
        await client.disconnect()
        await io.close()
        return tap

    views = [str(engineio_view(asyncio.run(session()), first=14)) for _ in range(2)]
    assert views[0] == views[1]
    assert views[0].count("SID1") == 2 and '40{"sid":"SID2"}' in views[0]
    assert '421["sum",1,2]' in views[0] and "431[3]" in views[0]


def test_the_browser_tab_output_is_deterministic_text_and_a_script():
    tab = browser_tab("http://127.0.0.1:3000", ["websocket"])
    page = tab._repr_html_()
    assert CDN in tab.script and '"websocket"' in tab.script and "http://127.0.0.1:3000" in tab.script
    assert page.startswith(f'<div id="{tab.id}"') and "<script>" in page
    assert "websocket" in repr(tab) and "default transports" in repr(browser_tab("http://127.0.0.1:3000"))
