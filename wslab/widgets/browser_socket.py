"""BrowserSocket: the browser's own ``WebSocket``, live in the notebook, beside the kernel's wire tap.

The page that shows the notebook runs ``new WebSocket(url, protocols)``
itself (the widget's JavaScript, ``static/browser_socket.js``, an anywidget
module), against a server the kernel runs. Buttons connect, send text or
binary and close with a code and reason; the page logs every ``readyState``
change and every ``open``/``message``/``error``/``close`` event, and every
exception the browser throws (``close(1001)`` is refused by the browser
itself: a page may close with 1000 or 3000-4999 only). The kernel's tap of
the same connection is drawn beside it, byte for byte, with the checks that
say whether both records agree (`wslab.viz.browser_socket.agreement`).

    sock = await BrowserSocket.start(protocols=["chat.v2", "chat.v1"])
    sock                # in a cell: the live widget (a static copy where no kernel runs)

Where the page does not come from the kernel's machine (JupyterHub, Binder),
the browser cannot reach the kernel's 127.0.0.1: the widget says so, and
docs/jupyter-server-proxy.md explains the proxy that makes it reachable.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anywidget
import traitlets as t

from wslab.tap import Tap, TapEntry
from wslab.viz.browser_socket import MAX_ROWS, BrowserView, agreement, browser_view

if TYPE_CHECKING:
    from wslab.net import Server

__all__ = ["BrowserSocket", "STATIC"]

STATIC = Path(__file__).parent / "static"
MAX_EVENTS = 200  # the page keeps the newest 200 events; the kernel never holds more


class BrowserSocket(anywidget.AnyWidget):
    """The page's WebSocket (front end) and the tap of the kernel's server (Python side)."""

    _esm = STATIC / "browser_socket.js"
    _css = STATIC / "browser_socket.css"

    url = t.Unicode("").tag(sync=True)
    protocols = t.Unicode("").tag(sync=True)  # comma-separated, as typed
    binary_type = t.Enum(("blob", "arraybuffer"), default_value="blob").tag(sync=True)
    message = t.Unicode("hello").tag(sync=True)
    close_code = t.Unicode("1000").tag(sync=True)  # text: the browser judges the number, not the widget
    close_reason = t.Unicode("").tag(sync=True)
    events = t.List(t.Dict()).tag(sync=True)  # written by the page, in order
    state = t.Dict().tag(sync=True)  # readyState, bufferedAmount, protocol, extensions, ...
    page = t.Dict().tag(sync=True)  # the page's origin, and whether it is loopback
    picture = t.Unicode("").tag(sync=True)  # drawn here, shown by the page

    def __init__(
        self,
        url: str,
        *,
        tap: Tap | None = None,
        protocols: Iterable[str] = (),
        binary_type: str = "blob",
        message: str = "hello",
        server: Server | None = None,
    ) -> None:
        self.tap = tap if tap is not None else Tap()
        self.server = server
        super().__init__(url=url, protocols=", ".join(protocols), binary_type=binary_type, message=message)
        self.tap.listeners.append(self._on_entry)
        self.observe(self._redraw, names=["events"])
        self._redraw()

    @classmethod
    async def start(
        cls, host: str = "127.0.0.1", port: int = 0, *, protocols: Iterable[str] = (), **serve_options: Any
    ) -> BrowserSocket:
        """Start an echo server with a tap (`wslab.net.serve`) and a widget pointed at it.

        The server declines permessage-deflate unless `serve_options` say otherwise
        (``compression=...``): the tap shows compressed frames byte for byte but does
        not inflate them, so the two records could not be compared message by message.
        """
        import inspect

        from wslab.net import echo, serve

        if "compression" in inspect.signature(serve).parameters:
            serve_options.setdefault("compression", None)
        tap = Tap()
        server = await serve(echo, host, port, on_bytes=tap.server_hook, **serve_options)
        return cls(server.url, tap=tap, protocols=protocols, server=server)

    async def stop(self) -> None:
        """Stop the server `start` made (each connection gets 1001 "going away")."""
        if self.server is not None:
            await self.server.close()

    # --- what the two records say ----------------------------------------------------

    @t.validate("events")
    def _bounded(self, proposal: dict) -> list[dict]:
        return list(proposal["value"])[-MAX_EVENTS:]

    def entries(self) -> list[TapEntry]:
        """The tap's entries, newest last."""
        return list(self.tap.entries)

    def checks(self) -> list[str]:
        """Whether the page's record and the tap's agree, one line per check."""
        return [str(check) for check in agreement(self.events, self.tap.entries)]

    def view(self, *, status: bool = True) -> BrowserView:
        """The picture of both records now (static HTML: what a viewer without a kernel sees)."""
        return browser_view(
            self.events,
            self.tap.entries[-MAX_ROWS:],
            state=self.state if status else None,
            status=status,
            notice=self.page.get("notice", ""),
        )

    def _on_entry(self, entry: TapEntry) -> None:
        self._redraw()

    def _redraw(self, change: dict | None = None) -> None:
        self.picture = self.view(status=False).html  # the page draws its own live status line

    # --- display: one output, the live widget or its static copy ---------------------------

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict, dict]:
        data, metadata = super()._repr_mimebundle_(**kwargs) or ({}, {})
        data["text/html"] = _static(self)
        return data, metadata

    def __repr__(self) -> str:
        return (
            f"BrowserSocket(url={self.url!r}, {len(self.events)} page events, {len(self.tap.entries)} tapped entries)"
        )


def _static(widget: BrowserSocket) -> str:
    """The widget as a viewer without a kernel (GitHub, nbviewer) shows it: its settings and the picture."""
    from html import escape

    protocols = ", ".join(repr(p.strip()) for p in widget.protocols.split(",") if p.strip())
    settings = f"new WebSocket({widget.url!r}, [{protocols}]) · binaryType {widget.binary_type!r}"
    return (
        f'<div class="wslab-browser-static" style="font-size:12px">'
        f'<div style="font-family:monospace;font-size:12px;color:#4b5563">BrowserSocket (live in JupyterLab '
        f"with a running kernel): {escape(settings, quote=False)}</div>{widget.view().html}</div>"
    )
