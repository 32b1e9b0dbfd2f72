"""BrowserSocket's Python side, headless (ipywidgets uses a dummy comm): traits, the two
records side by side, the checks that compare them, and the static copy.

The page's events here are the ones real Chromium logged (the stored capture, or
typed as its JavaScript writes them); the tap is fed by a real loopback connection.
"""

from __future__ import annotations

import pytest
import traitlets
from netutil import run

from wslab import capture
from wslab.net import connect
from wslab.viz.browser_socket import agreement, browser_code_allowed, browser_view, describe_event
from wslab.widgets.browser_socket import MAX_EVENTS, STATIC, BrowserSocket

CALL = {"type": "call", "call": "new WebSocket('ws://127.0.0.1:1/', [])", "url": "ws://127.0.0.1:1/", "protocols": []}


def test_the_front_end_ships_with_the_package():
    assert (STATIC / "browser_socket.js").read_text().count("new WebSocket(") >= 1
    assert BrowserSocket._esm and "export default" in str(BrowserSocket("ws://127.0.0.1:1/")._esm)
    assert (STATIC / "browser_socket.css").exists()


def test_traits_and_their_defaults():
    w = BrowserSocket("ws://127.0.0.1:1/", protocols=["chat.v2", "chat.v1"])
    assert (w.url, w.protocols, w.binary_type, w.close_code) == (
        "ws://127.0.0.1:1/",
        "chat.v2, chat.v1",
        "blob",
        "1000",
    )
    w.binary_type = "arraybuffer"
    with pytest.raises(traitlets.TraitError):
        w.binary_type = "text"  # the WebSocket API has only these two
    assert "no events yet" in w.picture and "nothing to compare yet" in w.picture


def test_one_output_bundle_live_widget_and_static_copy():
    w = BrowserSocket("ws://127.0.0.1:1/", protocols=["chat"])
    data, _ = w._repr_mimebundle_()
    assert set(data) == {"text/plain", "text/html", "application/vnd.jupyter.widget-view+json"}
    assert "new WebSocket('ws://127.0.0.1:1/', ['chat'])" in data["text/html"]
    assert "0x" not in data["text/plain"], "no memory address: nbval compares text/plain"


def test_the_page_log_is_bounded():
    w = BrowserSocket("ws://127.0.0.1:1/")
    w.events = [CALL] + [{"type": "readyState", "value": 0}] * (MAX_EVENTS + 50)
    assert len(w.events) == MAX_EVENTS


def test_the_close_codes_a_page_may_use():
    assert [c for c in (999, 1000, 1001, 1005, 1011, 2999, 3000, 4999, 5000) if browser_code_allowed(c)] == [
        1000,
        3000,
        4999,
    ]


def test_the_captured_chromium_session_agrees_with_its_tap():
    events = capture.load()["events"]
    checks = agreement(events, capture.chromium_session().entries)
    assert checks and all(c.ok is not False for c in checks), [str(c) for c in checks]
    assert sum(c.ok is True for c in checks) >= 4
    assert "close: 1000 NORMAL_CLOSURE 'done', wasClean=true" in [describe_event(e) for e in events]


def test_a_page_that_says_otherwise_is_caught():
    events = capture.load()["events"]
    sent = next(e for e in events if e.get("type") == "send")
    sent["data"] = "Hallo"
    checks = agreement(events, capture.chromium_session().entries)
    assert any(c.ok is False and "sent by the page" in c.text for c in checks)


async def _live_session():
    w = await BrowserSocket.start()
    try:
        ws = await connect(w.url)
        await ws.send("héllo")
        await ws.recv()
        await ws.send(b"\x00\xff")
        await ws.recv()
        await ws.close(4000, "bye")
        await w.tap.settle()
        before = w.picture
        w.events = [
            CALL,
            {"type": "readyState", "value": 0},
            {"type": "open", "protocol": "", "extensions": ""},
            {"type": "send", "kind": "text", "data": "héllo", "size": 6, "bufferedAmount": 0},
            {"type": "message", "dataType": "string", "data": "héllo", "size": 6},
            {"type": "send", "kind": "binary", "hex": "00 ff", "size": 2, "bufferedAmount": 0},
            {"type": "message", "dataType": "Blob", "hex": "00 ff", "size": 2},
            {
                "type": "exception",
                "call": "close(1001)",
                "code": 1001,
                "reason": "",
                "name": "InvalidAccessError",
                "message": "The close code must be either 1000, or between 3000 and 4999. 1001 is neither.",
            },
            {"type": "call", "call": "close(4000, 'bye')", "code": 4000, "reason": "bye"},
            {"type": "close", "code": 4000, "reason": "bye", "wasClean": True},
        ]
        return w, before
    finally:
        await w.stop()


def test_a_live_tap_and_the_page_record_side_by_side():
    w, before = run(_live_session())
    assert "81 86" in before, "the tap's frames are shown byte for byte as they arrive"
    checks = w.checks()
    assert not [c for c in checks if c.startswith("✗")], checks
    assert any("2 message(s) sent by the page, 2 data message(s)" in c for c in checks)
    assert any("close(4000, 'bye') → the client's Close frame: (4000, 'bye')" in c for c in checks)
    assert "threw InvalidAccessError" in w.picture and "1001 is neither" in w.picture
    html = w.view().html
    assert "in the browser" in html and "on the wire" in html


def test_a_failed_connection_is_said_plainly():
    events = [
        CALL,
        {"type": "readyState", "value": 0},
        {"type": "error"},
        {"type": "readyState", "value": 3},
        {"type": "close", "code": 1006, "reason": "", "wasClean": False},
    ]
    checks = agreement(events, [])
    assert checks[0].ok is None and "did not reach the server" in checks[0].text
    page = browser_view(events, [], notice="This page comes from hub.example.org").html
    assert "hub.example.org" in page and "1006 ABNORMAL_CLOSURE" in page


def test_a_normal_install_ships_the_front_end_and_the_captures():
    # Not Python files: they reach a wheel only through [tool.setuptools.package-data].
    import fnmatch
    from pathlib import Path

    import tomllib

    root = Path(__file__).resolve().parents[1]
    data = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    files = [*(root / "wslab/widgets/static").iterdir(), *(root / "wslab/captures").iterdir()]
    for path in files:
        package = "wslab.widgets" if "widgets" in path.parts else "wslab"
        base = root / package.replace(".", "/")
        assert any(fnmatch.fnmatch(str(path.relative_to(base)), g) for g in data[package]), path.name
