"""A real browser's native WebSocket against the wslab server.

pytest serves `tests/browser_page/index.html` over loopback HTTP and runs the
wslab server on its own loop in a thread (Playwright's sync API cannot run
inside a running asyncio loop); the system Chromium loads the page and its
JavaScript talks to the server: text and ArrayBuffer echo, a close code and
reason the page observes, and the Origin check.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from netutil import LogRecorder, ServerThread, static_site

PAGE_DIR = Path(__file__).parent / "browser_page"
closes: list[tuple[int | None, str]] = []


async def handler(ws):
    """Echo; "close CODE REASON" makes the server close with that code and reason."""
    async for message in ws:
        if isinstance(message, str) and message.startswith("close "):
            _, code, reason = message.split(" ", 2)
            await ws.close(int(code), reason)
        else:
            await ws.send(message)
    closes.append((ws.close_code, ws.close_reason))


@pytest.fixture(scope="module")
def page_origin():
    with static_site(PAGE_DIR) as origin:
        yield origin


@pytest.fixture(scope="module")
def servers(page_origin):
    allowing = ServerThread(handler, allowed_origins=[page_origin])
    refusing = ServerThread(handler, allowed_origins=["http://elsewhere.example"])
    yield allowing, refusing
    allowing.stop()
    refusing.stop()


@pytest.fixture
def page(browser, page_origin):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{page_origin}/index.html")
    yield page
    context.close()


def test_browser_echoes_text_and_binary(page, servers):
    closes.clear()
    result = page.evaluate("url => echo(url)", servers[0].url)
    assert result["text"] == "héllo 웹소켓 ✓" and result["textType"] == "string"
    assert result["binary"] == [0, 1, 2, 254, 255] and result["binaryIsArrayBuffer"]
    assert result["close"] == {"code": 1000, "reason": "page done", "wasClean": True}
    servers[0].call(_settle())
    assert closes == [(1000, "page done")]


@pytest.mark.parametrize("code, reason", [(1000, "bye"), (1001, "going away"), (4000, "학생 퇴장")])
def test_browser_observes_server_close_code_and_reason(page, servers, code, reason):
    result = page.evaluate("([url, code, reason]) => serverClose(url, code, reason)", [servers[0].url, code, reason])
    assert result == {"code": code, "reason": reason, "wasClean": True}


def test_browser_origin_check(page, servers, page_origin):
    assert page.evaluate("url => tryOpen(url)", servers[0].url) == {"opened": True}
    with LogRecorder() as log:
        result = page.evaluate("url => tryOpen(url)", servers[1].url)
    assert result == {"opened": False, "code": 1006, "wasClean": False}  # the browser sees a failed connection
    assert any("refused: HTTP 403" in line and page_origin in line for line in log.messages), log.messages


async def _settle() -> None:
    """Let the server's handler finish after the browser's close."""
    import asyncio

    await asyncio.sleep(0.2)
