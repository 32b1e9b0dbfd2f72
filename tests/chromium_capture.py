"""Capture a real Chromium WebSocket session byte for byte (the lessons show it; a test re-checks it).

    python tests/chromium_capture.py      # rewrites wslab/captures/chromium.json

The page (served over loopback HTTP) opens ``new WebSocket(url, protocols)``
to a wslab echo server whose tap records every chunk of bytes,
sends "Hello" twice (with permessage-deflate's context takeover the second
one compresses smaller, RFC 7692 §7.2.3.2) and four bytes of binary, then
closes with 1000 "done"; offered subprotocols the server does not pick, Chromium
fails the connection instead. Stored: the chunks as the server's hook saw them, and
the events the page saw.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from netutil import ServerThread, echo, static_site  # noqa: E402

from wslab.capture import CAPTURES  # noqa: E402
from wslab.tap import Tap  # noqa: E402

PAGE_DIR = Path(__file__).parent / "browser_page"
# Stored captures: name -> (the subprotocols the page offers, the server's options).
# "chromium": the server declines permessage-deflate, so the tap can read every frame;
# "chromium_deflate": it accepts (wslab's default), and Chromium compresses;
# "chromium_protocols": offered subprotocols the server ignores: Chromium fails the connection
# (WHATWG Fetch, "establish a WebSocket connection"; RFC 6455 would allow it);
# "chromium_subprotocol": the server picks one of them.
CAPTURES_MADE = {
    "chromium": ([], {"compression": None}),
    "chromium_deflate": ([], {}),
    "chromium_protocols": (["chat.v2", "chat.v1"], {"compression": None}),
    "chromium_subprotocol": (["chat.v2", "chat.v1"], {"compression": None, "subprotocols": ["chat.v1"]}),
}

SESSION = """async ([url, protocols]) => {
  const events = [{type: "call", call: `new WebSocket('${url}', [${protocols.map((p) => `'${p}'`).join(", ")}])`,
                   url, protocols}];
  const ws = new WebSocket(url, protocols);
  ws.binaryType = "arraybuffer";
  const next = (type) => new Promise((resolve) => ws.addEventListener(type, resolve, {once: true}));
  const hex = (buffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join(" ");
  ws.addEventListener("error", () => events.push({type: "error"}));
  const first = await Promise.race([next("open"), next("close")]);
  if (first.type === "close") {   // the handshake failed: the page learns only this
    events.push({type: "close", code: first.code, reason: first.reason, wasClean: first.wasClean});
    return {events, userAgent: navigator.userAgent};
  }
  events.push({type: "open", protocol: ws.protocol, extensions: ws.extensions});
  for (const data of ["Hello", "Hello", new Uint8Array([0, 1, 2, 3])]) {
    ws.send(data);
    events.push(typeof data === "string" ? {type: "send", kind: "text", data, size: data.length}
                                         : {type: "send", kind: "binary", hex: hex(data), size: data.length});
    const message = await next("message");
    events.push(typeof message.data === "string"
      ? {type: "message", dataType: "string", data: message.data, size: message.data.length}
      : {type: "message", dataType: "ArrayBuffer", hex: hex(message.data), size: message.data.byteLength});
  }
  ws.close(1000, "done");
  const closed = await next("close");
  events.push({type: "close", code: closed.code, reason: closed.reason, wasClean: closed.wasClean});
  return {events, userAgent: navigator.userAgent};
}"""


def page_server():
    """The test page over loopback HTTP: yields its origin."""
    return static_site(PAGE_DIR)


def capture(browser, origin: str, protocols: list[str] = (), **serve_options) -> dict:
    """One session from a fresh page of `browser` (a Playwright Browser) to a fresh tapped server."""
    tap = Tap()
    server = ServerThread(echo, on_bytes=tap.server_hook, **serve_options)
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{origin}/index.html")
        result = page.evaluate(SESSION, [server.url, list(protocols)])
        opened = any(e["type"] == "open" for e in result["events"])
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not (_server_closed(tap) if opened else _answered(tap)):
            time.sleep(0.05)
        time.sleep(0.2)  # and the TCP ends, if they come
    finally:
        context.close()
        server.stop()
    agent = result["userAgent"]
    browser_name = next((part for part in agent.split() if "Chrome/" in part), agent)
    return {
        "browser": browser_name,
        "captured_with": "tests/chromium_capture.py",
        "chunks": [[c, d, data.hex()] for c, d, data in tap.chunks],
        "events": result["events"],
    }


def _answered(tap: Tap) -> bool:
    return len([e for e in tap.entries if e.kind == "http"]) >= 2


def _server_closed(tap: Tap) -> bool:
    """The server's Close frame is in the tap. With permessage-deflate this plain tap cannot read the
    frames, so then: the server's last chunk starts with a Close frame (FIN, opcode 8; a control frame
    is never compressed, RFC 7692 §6.1)."""
    if any(e.kind == "frame" and e.sender == "server" and e.close for e in tap.entries):
        return True
    sent = [data for _, direction, data in tap.chunks if direction == "server->client"]
    return len(sent) > 1 and sent[-1][:1] == b"\x88"


def main() -> int:
    from conftest import CHROMIUM, CHROMIUM_ARGS
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p, page_server() as origin:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            for name, (protocols, options) in CAPTURES_MADE.items():
                data = capture(browser, origin, protocols, **options)
                path = CAPTURES / f"{name}.json"
                path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
                print(f"wrote {path.name}: {data['browser']}, {len(data['chunks'])} chunks")
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
