"""Chromium's own WebSocket against the wslab server: permessage-deflate (which Chromium
offers in every handshake), subprotocols (`ws.protocol`), and wss://.

The page comes over loopback HTTP; the wslab server runs on its own loop in a
thread (`netutil.ServerThread`). What the browser reports (`ws.extensions`,
`ws.protocol`, the echoes) is checked against what the server saw and sent.
"""

from __future__ import annotations

import http.server
import ssl

import pytest
import trustme
from netutil import ServerThread, http_site

from wslab.deflate import ServerConfig

PAGE = b"<!doctype html><title>wslab deflate</title>"

ECHO_JS = """
async ([url, protocols, messages]) => {
  const ws = new WebSocket(url, protocols);
  ws.binaryType = "arraybuffer";
  const opened = await new Promise(resolve => {
    ws.onopen = () => resolve(true);
    ws.onclose = () => resolve(false);
  });
  if (!opened) return {opened};
  const echoes = [];
  for (const m of messages) {
    const data = m.binary ? new Uint8Array(m.size).map((_, i) => (i * 7) % 251) : m.text.repeat(m.times);
    const echo = await new Promise(resolve => { ws.onmessage = e => resolve(e.data); ws.send(data); });
    echoes.push(m.binary ? (echo.byteLength === m.size && new Uint8Array(echo).every((b, i) => b === (i * 7) % 251))
                         : echo === data);
  }
  const extensions = ws.extensions, protocol = ws.protocol;
  const closed = await new Promise(resolve => { ws.onclose = e => resolve([e.code, e.wasClean]); ws.close(1000); });
  return {opened, extensions, protocol, echoes, closed};
}
"""

MESSAGES = [
    {"text": "Hello", "times": 1},
    {"text": "the same words again and again ", "times": 3000},
    {"text": "웹소켓 ", "times": 100},
    {"text": "", "times": 1},
    {"binary": True, "size": 70000},
    {"binary": True, "size": 0},
]


class Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def page_url():
    with http_site(Page) as origin:
        yield f"{origin}/"


@pytest.fixture
def page(browser, page_url):
    context = browser.new_context(ignore_https_errors=True)
    page = context.new_page()
    page.goto(page_url)
    yield page
    context.close()


class Recorder:
    """Server side: what each connection agreed on and how many frame bytes it sent."""

    def __init__(self) -> None:
        self.offers: list[str | None] = []
        self.agreed: list[str] = []
        self.sent = 0

    async def handler(self, ws) -> None:
        self.offers.append(ws.request.header("Sec-WebSocket-Extensions"))
        self.agreed.append(ws.extensions)
        async for message in ws:
            await ws.send(message)

    def on_bytes(self, ws, direction: str, data: bytes) -> None:
        if direction == "sent" and ws.connection is not None:
            self.sent += len(data)


def echo_in_browser(page, url: str, protocols: list[str] = ()) -> dict:
    return page.evaluate(ECHO_JS, [url, list(protocols), MESSAGES])


def browse(page, protocols: list[str] = (), **options) -> tuple[dict, Recorder]:
    """Run the page's echo against a wslab server made with `options`; what the page saw, what the server did."""
    recorder = Recorder()
    server = ServerThread(recorder.handler, on_bytes=recorder.on_bytes, **options)
    try:
        return echo_in_browser(page, server.url, protocols), recorder
    finally:
        server.stop()


PLAIN_SIZE = 5 + 31 * 3000 + len("웹소켓 ".encode()) * 100 + 70000


@pytest.mark.parametrize(
    "config, answer",
    [
        (ServerConfig(), "permessage-deflate"),
        (
            ServerConfig(server_no_context_takeover=True, client_no_context_takeover=True),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
        ),
        (
            ServerConfig(server_max_window_bits=9, client_max_window_bits=9),
            "permessage-deflate; server_max_window_bits=9; client_max_window_bits=9",
        ),
        (
            ServerConfig(server_max_window_bits=8, client_max_window_bits=8),
            "permessage-deflate; server_max_window_bits=8; client_max_window_bits=8",
        ),
    ],
)
def test_chromium_negotiates_and_compresses(page, config, answer):
    result, recorder = browse(page, compression=config)
    assert recorder.offers == ["permessage-deflate; client_max_window_bits"]  # what Chromium offers
    assert result["extensions"] == answer == recorder.agreed[0]
    assert result["echoes"] == [True] * len(MESSAGES)
    assert result["closed"] == [1000, True]
    # Small windows find fewer matches: 8 bits only runs (see wslab.deflate); with 9 bits zlib reaches
    # back 250 bytes, just short of the binary message's period of 251
    shrink = 0.8 if "bits=8" in answer else 0.5 if "bits=9" in answer else 0.2
    assert recorder.sent < PLAIN_SIZE * shrink


def test_chromium_without_compression(page):
    result, recorder = browse(page, compression=None)
    assert result["extensions"] == "" and result["echoes"] == [True] * len(MESSAGES)
    assert recorder.sent > PLAIN_SIZE


@pytest.mark.parametrize(
    "offered, chosen",
    [
        (["chat.v1", "chat.v2"], "chat.v2"),  # the server's order decides
        (["chat.v1"], "chat.v1"),
        ([], ""),
    ],
)
def test_chromium_sees_the_chosen_subprotocol(page, offered, chosen):
    result, _ = browse(page, offered, subprotocols=["chat.v2", "chat.v1"])
    assert result["opened"] and result["protocol"] == chosen


def test_chromium_fails_an_answer_without_the_subprotocols_it_offered(page):
    """RFC 6455 §4.1 lets a server answer without a subprotocol (wslab's server does, when none
    of the client's is its own); the browser's WebSocket API (WHATWG) then fails the connection:
    Chromium closes before open. A server that serves browsers should speak what they offer."""
    result, _ = browse(page, ["mqtt"], subprotocols=["chat.v2"])
    assert result == {"opened": False}


def test_chromium_over_wss(page):
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    result, _ = browse(page, ssl=context)  # the page's context trusts it: ignore_https_errors
    assert result["opened"] and result["extensions"] == "permessage-deflate"
    assert result["echoes"] == [True] * len(MESSAGES)
