"""The LiveConsole widget, driven headless (no kernel: ipywidgets uses a dummy comm)
against a live wslab server, by clicking its buttons."""

import asyncio

from netutil import run

from wslab.codes import Opcode
from wslab.masking import RFC_MASK_KEY
from wslab.net import serve
from wslab.widgets.live_console import LiveConsole


async def echo(ws):
    async for message in ws:
        await ws.send(message)


async def _session(clicks):
    async with serve(echo) as server:
        console = LiveConsole(server.url, mask_key=RFC_MASK_KEY)
        for setup, button in clicks:
            setup(console)
            console.buttons[button].click()  # a synchronous callback, as in JupyterLab
            await console.idle()
        if console.ws is not None:
            await asyncio.wait_for(console.ws.wait_closed(), 5) if console.ws.state == "CLOSING" else None
        await console.tap.settle()
        return console


def keep(console):
    pass


def test_buttons_drive_a_live_connection_and_the_tap_updates():
    def message(text):
        return lambda console: setattr(console.message, "value", text)

    def close_with(code, reason):
        def setup(console):
            console.close_code.value = code
            console.close_reason.value = reason

        return setup

    console = run(
        _session(
            [
                (keep, "connect"),
                (message("hi"), "send text"),
                (message("é"), "send binary"),
                (message("are you there?"), "ping"),
                (close_with(4000, "done"), "close"),
            ]
        )
    )
    frames = [(e.sender, e.opcode, e.frame.payload) for e in console.tap.frames()]
    assert frames == [
        ("client", Opcode.TEXT, b"hi"),
        ("server", Opcode.TEXT, b"hi"),
        ("client", Opcode.BINARY, "é".encode()),
        ("server", Opcode.BINARY, "é".encode()),
        ("client", Opcode.PING, b"are you there?"),
        ("server", Opcode.PONG, b"are you there?"),
        ("client", Opcode.CLOSE, b"\x0f\xa0done"),
        ("server", Opcode.CLOSE, b"\x0f\xa0done"),
    ]
    assert all(e.mask_key == RFC_MASK_KEY for e in console.tap.frames() if e.sender == "client")
    assert console.lines[0].startswith("connected to ws://127.0.0.1:")
    assert console.lines[1:] == [
        "sent text 'hi'",
        "received TEXT 'hi' (2 bytes)",
        "sent binary c3 a9",
        "received BINARY c3 a9 (2 bytes)",
        "sent ping b'are you there?'",
        "received PONG b'are you there?' (14 bytes)",
        "received CLOSE 4000 (private use) 'done' (6 bytes)",
        "closed: 4000 (private use) 'done'",
    ]
    # the views were refreshed by the tap
    assert "#10" in console.table.value and "PONG" in console.sequence.value
    console.entry_number.value = 3
    assert "<svg" in console.detail.value and "TEXT" in console.detail.value
    assert repr(console).startswith("LiveConsole(url='ws://127.0.0.1:")


def test_errors_are_reported_in_the_console_not_raised():
    console = run(
        _session(
            [
                (keep, "send text"),  # not connected yet
                (keep, "connect"),
                (lambda c: setattr(c.message, "value", "x" * 126), "ping"),  # control frame too long
                (lambda c: setattr(c.close_code, "value", 1005), "close"),  # may not be sent
                (keep, "connect"),  # already connected
                (lambda c: setattr(c.close_code, "value", 1000), "close"),
                (keep, "send text"),  # closed
            ]
        )
    )
    errors = [line for line in console.lines if line.startswith("error") or "already" in line]
    assert errors[0] == "error: RuntimeError: not connected: click connect first"
    assert "125 bytes" in errors[1] and "§5.5" in errors[1]
    assert "1005" in errors[2]
    assert errors[3] == "already connected: close first"
    assert errors[4].startswith("error: ConnectionClosed")
    assert console.lines[-3:-1] == ["received CLOSE 1000 NORMAL_CLOSURE (2 bytes)", "closed: 1000 NORMAL_CLOSURE"]


def test_refused_connection_is_reported():
    async def scenario():
        async with serve(echo, allowed_origins=["https://good.example"]) as server:
            console = LiveConsole(server.url, origin="https://evil.example")
            console.buttons["connect"].click()
            await console.idle()
            await console.tap.settle()
            return console

    console = run(scenario())
    assert "403 Forbidden" in console.lines[-1] and console.lines[-1].startswith("error:")
    assert [e.describe() for e in console.tap.entries][:2] == ["GET / HTTP/1.1", "HTTP/1.1 403 Forbidden"]


def test_before_any_traffic_a_friendly_empty_state():
    async def scenario():
        async with serve(echo) as server:
            console = LiveConsole(server.url)
            bundle = console._repr_mimebundle_()
            return console, bundle, server.url

    console, bundle, url = run(scenario())
    for view in (console.table, console.sequence, console.detail):
        assert "No traffic yet" in view.value and "<th" not in view.value and url in view.value
    assert "No traffic yet" in bundle["text/html"] and "application/vnd.jupyter.widget-view+json" in bundle


def test_a_stopped_server_is_said_plainly():
    async def scenario():
        async with serve(echo) as server:
            url = server.url
        console = LiveConsole(url)  # the server above is closed now
        console.buttons["connect"].click()
        await console.idle()
        return console

    console = run(scenario())
    assert any("nothing listens at" in line and "run the" in line.lower() for line in console.lines), console.lines
