"""The official client (socket.io-client's browser bundle) in headless Chromium against wslab's server.

A test page (tests/js/story.html) is served over loopback HTTP and runs the same story as the Node
test (tests/js/story.js): default transports (polling, then the upgrade) and WebSocket only. The
page's origin is not the server's (another port), so its polling requests are cross-origin.

Then what `cors` and `allow_request` really do, seen from a page of a foreign origin:
- polling is blocked by the browser's CORS unless `cors_allowed_origins` lets that origin read the
  answers; the server itself refuses nothing;
- a WebSocket is not subject to CORS: accepted, unless `allow_request` refuses it.
"""

from __future__ import annotations

import asyncio
import threading

import pytest
from netutil import static_site
from sio_jsutil import JS, need_node, wslab_server
from test_sio_node import TIMINGS, check

from wslab.viz.socketio_tab import BrowserTab

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def origins():
    """Two page servers (tests/js over HTTP): the page's home origin and a foreign one."""
    need_node()
    with static_site(JS) as home, static_site(JS) as foreign:
        yield [home, foreign]


class SocketIOThread:
    """wslab's test app on its own event loop in a thread (Playwright's sync API holds this thread's loop)."""

    def __init__(self, **options) -> None:
        self.loop = asyncio.new_event_loop()
        self.started = threading.Event()
        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(self._serve(options),), daemon=True)
        self.thread.start()
        assert self.started.wait(10), "the Socket.IO server did not start"

    async def _serve(self, options) -> None:
        self.stop = asyncio.Event()
        async with wslab_server(**options) as (self.io, self.reports, self.url):
            self.started.set()
            await self.stop.wait()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.stop.set)
        self.thread.join(10)

    def __enter__(self) -> SocketIOThread:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


@pytest.fixture(scope="module")
def page(browser, origins):
    page = browser.new_page()
    yield page
    page.close()


def open_page(page, origin):
    page.goto(f"{origin}/story.html")
    page.wait_for_function("window.ready === true")
    return page


@pytest.mark.parametrize("transports", [None, ["websocket"]], ids=["default", "websocket-only"])
def test_story_in_chromium(page, origins, transports):
    home, _ = origins
    with SocketIOThread(cors_allowed_origins=[home], **TIMINGS) as server:
        lines = open_page(page, home).evaluate("([url, t]) => story(url, t)", [server.url, transports])
    check(lines, "websocket" if transports else "polling")


def test_cors_decides_whether_a_foreign_page_may_poll(page, origins):
    home, foreign = origins
    with SocketIOThread(cors_allowed_origins=[home], **TIMINGS) as server:
        from_home = open_page(page, home).evaluate("(url) => connectOnce(url, ['polling'])", server.url)
        from_foreign = open_page(page, foreign).evaluate("(url) => connectOnce(url, ['polling'])", server.url)
        default_foreign = page.evaluate("(url) => connectOnce(url, null)", server.url)
    assert from_home == {"result": "connect", "transport": "polling"}
    # The server answered; the browser would not let the foreign page read it (no Access-Control-Allow-Origin).
    assert from_foreign == {"result": "connect_error", "message": "xhr poll error"}
    assert default_foreign == {"result": "connect_error", "message": "xhr poll error"}


def test_cors_star_lets_any_page_poll(page, origins):
    _, foreign = origins
    with SocketIOThread(cors_allowed_origins="*", **TIMINGS) as server:
        result = open_page(page, foreign).evaluate("(url) => connectOnce(url, ['polling'])", server.url)
    assert result == {"result": "connect", "transport": "polling"}


def test_cors_does_not_stop_a_foreign_websocket(page, origins):
    home, foreign = origins
    with SocketIOThread(cors_allowed_origins=[home], **TIMINGS) as server:
        result = open_page(page, foreign).evaluate("(url) => connectOnce(url, ['websocket'])", server.url)
    assert result == {"result": "connect", "transport": "websocket"}


def test_allow_request_is_the_origin_check(page, origins):
    home, foreign = origins
    seen = []

    def allow_request(handshake) -> bool:
        seen.append(handshake.headers.get("origin"))
        return handshake.headers.get("origin") == home

    with SocketIOThread(cors_allowed_origins=[home], allow_request=allow_request, **TIMINGS) as server:
        from_foreign = open_page(page, foreign).evaluate("(url) => connectOnce(url, ['websocket'])", server.url)
        from_home = open_page(page, home).evaluate("(url) => connectOnce(url, ['websocket'])", server.url)
        upgraded_home = page.evaluate("(url) => connectAndUpgrade(url)", server.url)
    assert from_foreign == {"result": "connect_error", "message": "websocket error"}
    assert from_home == {"result": "connect", "transport": "websocket"}
    assert upgraded_home == {"result": "upgraded", "transport": "websocket"}
    # Called for each new Engine.IO session, with the page's Origin; not again for the upgrade.
    assert seen == [foreign, home, home]


@pytest.mark.parametrize(
    "transports, last",
    [(None, "connect_error: xhr poll error"), (["websocket"], "over websocket")],
    ids=["default", "websocket-only"],
)
def test_lesson_10_browser_tab(page, origins, transports, last):
    # Lesson 10's browser_tab output, with the client bundle served locally instead of from the CDN; like
    # JupyterLab's page, this page's origin is not the server's, and the server has no cors.
    home, _ = origins
    with SocketIOThread(**TIMINGS) as server:
        tab = BrowserTab(server.url, transports, cdn=f"{home}/node_modules/socket.io-client/dist/socket.io.min.js")
        page.goto(f"{home}/blank.html")
        page.evaluate("(html) => { document.body.innerHTML = html; }", tab._repr_html_().split("<script>")[0])
        page.add_script_tag(content=tab.script)
        page.wait_for_function("(id) => document.getElementById(id).children.length >= 3", arg=tab.id)
        lines = page.evaluate("(id) => Array.from(document.getElementById(id).children, d => d.textContent)", tab.id)
    assert lines[1] == f"page origin {home}: connecting with transports " + (
        "websocket" if transports else "polling, then websocket (the default)"
    )
    assert lines[2].endswith(last)
