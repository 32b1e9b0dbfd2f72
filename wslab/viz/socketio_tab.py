"""A browser tab as a Socket.IO client: the official `socket.io-client`, run by the page showing the output.

    browser_tab("http://127.0.0.1:3000")                       # default transports: polling, then WebSocket
    browser_tab("http://127.0.0.1:3000", ["websocket"])        # WebSocket only

In JupyterLab the output's script runs in JupyterLab's own page, a real browser tab whose origin
(e.g. ``http://127.0.0.1:8888``) is not the server's: its polling requests are cross-origin, so the
browser applies CORS to them; its WebSocket is not subject to CORS. The script loads the client from
the Socket.IO CDN (as the docs show), connects, and writes what happened into the output itself.
Without a browser (nbval, GitHub) the output is only its text, the same on every run.
"""

from __future__ import annotations

import html
import itertools
import json
from collections.abc import Sequence

CDN = "https://cdn.socket.io/4.8.3/socket.io.min.js"
_ids = itertools.count(1)

_SCRIPT = """
(() => {
  const out = document.getElementById(%(id)s);
  const say = (text) => { const line = document.createElement("div"); line.textContent = text; out.appendChild(line); };
  const run = () => {
    say("page origin " + location.origin + ": connecting with transports " + %(shown)s);
    const socket = io(%(url)s, { transports: %(transports)s, reconnection: false, forceNew: true,
                                 auth: { from: "a browser tab" } });
    socket.on("connect", () => say("connect: socket.id " + socket.id + " over " + socket.io.engine.transport.name));
    socket.io.engine.on("upgrade", (t) => say("upgrade: now over " + t.name));
    socket.on("connect_error", (err) => say("connect_error: " + err.message));
    socket.on("disconnect", (reason) => say("disconnect: " + reason));
  };
  if (window.io) return run();
  const script = document.createElement("script");
  script.src = %(cdn)s;
  script.onload = run;
  script.onerror = () => say("the client could not be loaded from " + %(cdn)s + " (offline?)");
  document.head.appendChild(script);
})();
"""


class BrowserTab:
    """An HTML output whose script connects this page to a Socket.IO server."""

    def __init__(self, url: str, transports: Sequence[str] | None = None, cdn: str = CDN) -> None:
        self.url, self.transports, self.cdn = url, list(transports) if transports else None, cdn
        self.id = f"wslab-socketio-tab-{next(_ids)}"

    @property
    def script(self) -> str:
        shown = ", ".join(self.transports) if self.transports else "polling, then websocket (the default)"
        return _SCRIPT % {
            "id": json.dumps(self.id),
            "url": json.dumps(self.url),
            "cdn": json.dumps(self.cdn),
            "transports": json.dumps(self.transports),
            "shown": json.dumps(shown),
        }

    def __repr__(self) -> str:
        which = ", ".join(self.transports) if self.transports else "default transports"
        return f"<browser tab: socket.io-client connects to {self.url} ({which}); runs in JupyterLab>"

    def _repr_html_(self) -> str:
        return (
            f'<div id="{self.id}" style="font-family:monospace;font-size:12px">'
            f"<div>{html.escape(repr(self))}</div></div><script>{self.script}</script>"
        )


def browser_tab(url: str, transports: Sequence[str] | None = None) -> BrowserTab:
    """The official client in this notebook's browser tab, connecting to `url` (see the module docstring)."""
    return BrowserTab(url, transports)
