"""The Chromium session stored for the lessons is real and still current.

The capture (`wslab/captures/chromium.json`, made by tests/chromium_capture.py)
replays into a tap without a single error; and today's Chromium, captured the
same way, still offers the same extensions and sends the same request headers
(a new browser that changed them would make the lesson's "as captured" stale).
"""

from __future__ import annotations

import pytest
from chromium_capture import CAPTURES_MADE, capture, page_server

from wslab import capture as stored
from wslab.codes import Opcode
from wslab.handshake import parse_request


@pytest.fixture(scope="module")
def fresh(browser):
    """Today's Chromium, captured as each stored capture was."""
    with page_server() as origin:
        return {
            name: capture(browser, origin, protocols, **options) for name, (protocols, options) in CAPTURES_MADE.items()
        }


def _request(data: dict):
    first = next(bytes.fromhex(h) for _, d, h in data["chunks"] if d == "client->server")
    return parse_request(first[: first.index(b"\r\n\r\n") + 4])


def test_the_stored_capture_replays_without_errors():
    tap = stored.chromium_session()
    assert [e.kind for e in tap.entries][:2] == ["http", "http"]
    assert not [e for e in tap.entries if e.kind == "error"]
    opcodes = [e.opcode for e in tap.frames()]
    assert opcodes.count(Opcode.CLOSE) == 2 and Opcode.BINARY in opcodes
    assert all(e.masked for e in tap.frames() if e.sender == "client")
    assert not any(e.masked for e in tap.frames() if e.sender == "server")


@pytest.mark.parametrize("name", CAPTURES_MADE)
def test_todays_chromium_offers_the_same_extensions(fresh, name):
    then, now = _request(stored.load(name)), _request(fresh[name])
    assert (
        now.header("Sec-WebSocket-Extensions")
        == then.header("Sec-WebSocket-Extensions")
        == "permessage-deflate; client_max_window_bits"
    )
    names = lambda request: [name.lower() for name, _ in request.headers]  # noqa: E731
    assert names(now) == names(then), "Chromium changed its handshake headers: run tests/chromium_capture.py"


@pytest.mark.parametrize("name", CAPTURES_MADE)
def test_todays_chromium_sees_the_same_events(fresh, name):
    def without_url(events):  # the server's port differs from run to run
        return [{k: v for k, v in e.items() if k not in ("url", "call")} for e in events]

    assert without_url(fresh[name]["events"]) == without_url(stored.load(name)["events"])


def test_offered_subprotocols_that_the_server_ignores_fail_in_chromium():
    data = stored.load("chromium_protocols")
    assert _request(data).header("Sec-WebSocket-Protocol") == "chat.v2, chat.v1"
    assert data["events"][1:] == [{"type": "error"}, {"type": "close", "code": 1006, "reason": "", "wasClean": False}]


def test_the_subprotocol_the_server_picks_is_the_pages_ws_protocol():
    data = stored.load("chromium_subprotocol")
    assert data["events"][1] == {"type": "open", "protocol": "chat.v1", "extensions": ""}


def test_chromium_compresses_once_the_server_accepts_permessage_deflate():
    data = stored.load("chromium_deflate")
    assert data["events"][1] == {"type": "open", "protocol": "", "extensions": "permessage-deflate"}
    sent = stored.frames_of("chromium_deflate", "client->server")
    assert [f[0] for f in sent[:3]] == [0xC1, 0xC1, 0xC2]  # FIN + RSV1 + TEXT, TEXT, BINARY: all compressed
    assert all(f[1] & 0x80 for f in sent)  # and masked
    assert len(sent[1]) < len(sent[0])  # context takeover: the second "Hello" is shorter
    received = stored.frames_of("chromium_deflate", "server->client")
    assert [f.hex(" ") for f in received[:2]] == [
        "c1 07 f2 48 cd c9 c9 07 00",  # RFC 7692 §7.2.3.1
        "c1 05 f2 00 11 00 00",
    ]  # §7.2.3.2
