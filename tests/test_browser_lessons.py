"""Every lesson (notebooks/ outside exercises/) in a real JupyterLab, driven by Chromium: runs all cells,
no errors, widgets rendered, each widget shown as exactly one picture, and, after Run All, every live
widget still works (each is driven once: a field typed, a button clicked, and its picture or log checked).

Lesson 11's BrowserSocket widget is then clicked as a student would (connect, send text and binary with
both binaryTypes, a close code the browser refuses, a close with 4000), and the page's events are
compared with the kernel's wire tap. The exercise notebooks are in test_browser_exercises; the machinery
(one JupyterLab and one page for this module) is in labutil.
"""

from __future__ import annotations

import json

import pytest
from labutil import NOTEBOOKS, assert_ran_cleanly, notebook_id, notebooks, run_notebook
from playwright.sync_api import expect

LESSONS = notebooks(exercises=False)
BROWSER_SOCKET_LESSON = NOTEBOOKS / "11_browser_and_extensions.ipynb"
MESSAGE = "héllo 웹소켓"


@pytest.mark.parametrize("notebook", LESSONS, ids=[notebook_id(p) for p in LESSONS])
def test_lesson_runs_in_jupyterlab(lab_page, notebook, screenshots):
    after = browser_socket_check(screenshots) if notebook == BROWSER_SOCKET_LESSON else None
    report, driven, tap = run_notebook(lab_page, notebook, screenshots, after)
    assert_ran_cleanly(notebook, report, driven)
    if notebook == NOTEBOOKS / "06_live_connection.ipynb":
        assert ("the chat server, from the browser", True) in driven, driven
    if after is not None:
        assert_browser_socket_agrees_with_the_kernels_tap(tap)


# --- lesson 11: BrowserSocket, the page's own WebSocket, against the kernel's tap ------------

# Run code in the notebook's kernel and return what it printed.
KERNEL = """async (code) => {
  const kernel = window.__wslabPanel.sessionContext.session.kernel;
  const future = kernel.requestExecute({code, store_history: false});
  let out = "";
  future.onIOPub = (msg) => {
    if (msg.header.msg_type === "stream") out += msg.content.text;
    if (msg.header.msg_type === "error") out += "ERROR " + msg.content.ename + ": " + msg.content.evalue;
  };
  await future.done;
  return out;
}"""

TAP_REPORT = """
import json
print(json.dumps({"events": sock.events, "checks": sock.checks(), "state": sock.state,
                  "frames": [[e.sender, e.frame.opcode.name, e.frame.payload.hex(), e.close, e.masked]
                             for e in sock.tap.frames()]}))
"""


def _drive(widget, page) -> None:
    picture = widget.locator(".wslab-bs-picture")
    status = widget.locator(".wslab-bs-status")
    expect(status).to_contain_text("no WebSocket yet")
    widget.locator('[data-trait="message"]').fill(MESSAGE)
    widget.locator('[data-action="connect"]').click()
    expect(status).to_contain_text("readyState 1 OPEN", timeout=10_000)
    widget.locator('[data-action="send text"]').click()
    expect(picture).to_contain_text(f"message: string '{MESSAGE}'", timeout=10_000)  # drawn by the kernel
    for binary_type, shown in (("arraybuffer", "ArrayBuffer"), ("blob", "Blob")):
        widget.locator('[data-trait="binary_type"]').select_option(binary_type)
        widget.locator('[data-action="send binary"]').click()
        expect(picture).to_contain_text(f"message: {shown}", timeout=10_000)
    widget.locator('[data-trait="close_code"]').fill("1001")
    widget.locator('[data-action="close"]').click()
    expect(picture.locator('.wslab-event[data-type="exception"]')).to_contain_text("InvalidAccessError", timeout=10_000)
    expect(status).to_contain_text("readyState 1 OPEN")  # refused: nothing happened to the connection
    widget.locator('[data-trait="close_code"]').fill("4000")
    widget.locator('[data-trait="close_reason"]').fill("bye")
    widget.locator('[data-action="close"]').click()
    expect(picture).to_contain_text("wasClean=true", timeout=10_000)
    expect(status).to_contain_text("readyState 3 CLOSED")


def browser_socket_check(screenshots):
    """After Run All of lesson 11: drive its BrowserSocket widget, then read the kernel's record of it."""

    def check(page) -> dict:
        widget = page.locator(".wslab-bs").first
        expect(widget).to_be_visible(timeout=20_000)
        expect(widget.locator(".wslab-bs-notice")).to_be_hidden()  # the page is on loopback: no warning
        _drive(widget, page)
        widget.screenshot(path=str(screenshots / "browser_socket.png"))
        return json.loads(page.evaluate(KERNEL, TAP_REPORT))

    return check


def assert_browser_socket_agrees_with_the_kernels_tap(report: dict) -> None:
    events, frames = report["events"], report["frames"]
    assert not [c for c in report["checks"] if c.startswith("✗")], report["checks"]
    assert sum(c.startswith("✓") for c in report["checks"]) >= 5, report["checks"]

    ready = [e["value"] for e in events if e["type"] == "readyState"]
    assert ready == [0, 1, 2, 3], ready
    opened = next(e for e in events if e["type"] == "open")
    assert opened == {"type": "open", "protocol": "", "extensions": ""}  # this server accepts no extension
    sends = [e for e in events if e["type"] == "send"]
    assert [s["kind"] for s in sends] == ["text", "binary", "binary"]
    assert all(isinstance(s["bufferedAmount"], int) and s["bufferedAmount"] >= 0 for s in sends)
    received = [(e["dataType"], e.get("data", e.get("hex"))) for e in events if e["type"] == "message"]
    wire = MESSAGE.encode().hex(" ")
    assert received == [("string", MESSAGE), ("ArrayBuffer", wire), ("Blob", wire)]
    refused = next(e for e in events if e["type"] == "exception")
    assert refused["name"] == "InvalidAccessError" and "1001" in refused["message"]
    closed = next(e for e in events if e["type"] == "close")
    assert (closed["code"], closed["reason"], closed["wasClean"]) == (4000, "bye", True)

    # The tap, byte for byte: the browser's frames masked, the server's not; no Close frame for the refused 1001.
    client = [(op, payload, close) for sender, op, payload, close, masked in frames if sender == "client" and masked]
    server = [
        (op, payload, close) for sender, op, payload, close, masked in frames if sender == "server" and not masked
    ]
    assert len(client) + len(server) == len(frames)
    body = MESSAGE.encode().hex()
    assert [list(c[:2]) for c in client[:3]] == [["TEXT", body], ["BINARY", body], ["BINARY", body]]
    closes = [c[2] for c in client if c[0] == "CLOSE"]
    assert closes == [[4000, "bye"]], closes
    assert [s[2] for s in server if s[0] == "CLOSE"] == [[4000, "bye"]]
