"""LiveConsole: a WebSocket client you drive with buttons, with a wire tap beside it.

Connect to a server, type a message, send it as text or binary, ping, or
close with a code; every byte of the connection appears in the tap's table
and sequence diagram as it happens.

Why tasks: a button's callback is an ordinary (synchronous) function, but
sending is asynchronous. Inside Jupyter the kernel's asyncio event loop is
already running, so the callback must not block on it (``asyncio.run`` would
raise "cannot be called from a running event loop"). Instead each click
schedules a task on that running loop and returns at once; the loop runs the
task right after. Every task is guarded: an error becomes a line in the
console's status, never an exception in the notebook.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from html import escape

import ipywidgets as widgets

from wslab.codes import close_code_name
from wslab.tap import Tap, TapEntry
from wslab.viz.tap import entry_diagram, sequence_diagram, tap_table
from wslab.widgets.base import StaticCopy

__all__ = ["LiveConsole", "CLOSE_CODES"]

# 1005 is in the list on purpose: it may never be sent (§7.4.1), and the console says so.
CLOSE_CODES = (1000, 1001, 1003, 1008, 1011, 3000, 4000, 1005)


class LiveConsole(StaticCopy, widgets.VBox):
    """A live WebSocket client (wslab.net) with buttons, and the tap of its connection.

    console = LiveConsole(server.url)
    console                       # in a cell: shows it
    await console.connect()       # or click "connect"; the same for send/ping/close
    """

    def __init__(
        self, url: str, *, tap: Tap | None = None, origin: str | None = None, mask_key: bytes | None = None
    ) -> None:
        self.tap = tap if tap is not None else Tap()
        self.origin = origin
        self.mask_key = mask_key  # None: a fresh random key per frame, as §5.3 asks
        self.ws = None
        self.lines: list[str] = []  # what happened, oldest first
        self._tasks: set[asyncio.Future] = set()  # actions in flight: idle() waits for these
        self._receiver: asyncio.Future | None = None  # reads messages until the connection closes
        self._loop = _current_loop()

        self.url = widgets.Text(value=url, description="server")
        self.message = widgets.Text(value="hello", description="message")
        self.close_code = widgets.Dropdown(
            options=[(close_code_name(c), c) for c in CLOSE_CODES], value=1000, description="close code"
        )
        self.close_reason = widgets.Text(value="", description="reason")
        self.buttons = {
            name: widgets.Button(description=name) for name in ("connect", "send text", "send binary", "ping", "close")
        }
        self.status = widgets.HTML()
        self.table = widgets.HTML()
        self.sequence = widgets.HTML()
        self.entry_number = widgets.BoundedIntText(value=1, min=1, max=1, description="entry #")
        self.detail = widgets.HTML()
        actions = {
            "connect": self.connect,
            "send text": self.send_text,
            "send binary": self.send_binary,
            "ping": self.ping,
            "close": self.close,
        }
        for name, button in self.buttons.items():
            button.on_click(lambda _button, action=actions[name]: self.spawn(action))
        self.entry_number.observe(lambda _change: self._show_detail(), names="value")
        self.tap.listeners.append(self._on_entry)

        views = widgets.Tab(children=[self.table, self.sequence, widgets.VBox([self.entry_number, self.detail])])
        views.titles = ("frames", "sequence", "one entry")
        b = self.buttons
        super().__init__(
            [
                widgets.HBox([self.url, b["connect"]]),
                widgets.HBox([self.message, b["send text"], b["send binary"], b["ping"]]),
                widgets.HBox([self.close_code, self.close_reason, b["close"]]),
                self.status,
                views,
            ]
        )
        self.add_class("wslab-live-console")
        self._refresh()

    # --- actions (coroutines; the buttons schedule them) ---------------------------

    async def connect(self) -> None:
        from wslab.net import connect

        if self.ws is not None and self.ws.state != "CLOSED":
            self._say("already connected: close first")
            return
        try:
            self.ws = await connect(
                self.url.value, origin=self.origin, mask_key=self.mask_key, on_bytes=self.tap.client_hook
            )
        except ConnectionRefusedError:
            raise ConnectionRefusedError(
                f"nothing listens at {self.url.value}: was its server stopped? Run the "
                "cell that starts it again (or restart the kernel and run all)"
            ) from None
        self._say(f"connected to {self.url.value}")
        self._receiver = self.spawn(self._receive, background=True)

    async def send_text(self) -> None:
        await self._open().send(self.message.value)
        self._say(f"sent text {self.message.value!r}")

    async def send_binary(self) -> None:
        data = self.message.value.encode("utf-8")
        await self._open().send(data)
        self._say(f"sent binary {data.hex(' ') or '(empty)'}")

    async def ping(self) -> None:
        payload = self.message.value.encode("utf-8")
        if len(payload) > 125:
            raise ValueError(f"a ping payload is at most 125 bytes (RFC 6455 §5.5), this one is {len(payload)}")
        ws = self._open()
        self._say(f"sent ping {payload!r}")
        await ws.ping(payload)  # returns when the Pong arrives (the tap logs it)

    async def close(self) -> None:
        code, reason = self.close_code.value, self.close_reason.value
        await self._open().close(code, reason)
        self._say(
            f"closed: {close_code_name(self.ws.close_code) if self.ws.close_code else 'no code'}"
            f"{' ' + repr(self.ws.close_reason) if self.ws.close_reason else ''}"
        )

    async def _receive(self) -> None:
        """Read every message, so the connection never stalls (they are logged from the tap)."""
        async for _message in self.ws:
            pass

    # --- running them -----------------------------------------------------------------

    def spawn(self, action: Callable[[], Awaitable[None]], *, background: bool = False) -> asyncio.Future | None:
        """Run `action()` as a task on the kernel's event loop and return at once.

        From a widget callback (synchronous, on the loop's own thread) this is
        ``loop.create_task``; from another thread, ``run_coroutine_threadsafe``.
        """
        coroutine = self._guard(action)
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not None:
            future = running.create_task(coroutine)
        elif self._loop is not None and self._loop.is_running():
            future = asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, self._loop), loop=self._loop)
        else:
            coroutine.close()
            self._say("error: no running event loop (use the console inside Jupyter or an asyncio program)")
            return None
        if not background:
            self._tasks.add(future)
            future.add_done_callback(self._tasks.discard)
        return future

    async def idle(self, timeout: float = 10.0) -> None:
        """Wait until every scheduled action has finished (the receiver excepted)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while pending := [t for t in self._tasks if not t.done()]:
            await asyncio.wait(pending, timeout=max(0.0, deadline - loop.time()))
            if loop.time() >= deadline:
                raise TimeoutError(f"the console's actions did not finish within {timeout} s")
        await self.tap.settle(0.02)

    async def _guard(self, action: Callable[[], Awaitable[None]]) -> None:
        try:
            await action()
        except Exception as error:  # noqa: BLE001 - the console reports every error, raises none
            self._say(f"error: {type(error).__name__}: {error}")

    def _open(self):
        if self.ws is None:
            raise RuntimeError("not connected: click connect first")
        return self.ws

    # --- display --------------------------------------------------------------------

    def _say(self, line: str) -> None:
        self.lines.append(line)
        shown = self.lines[-8:]
        self.status.value = (
            "<pre style='margin:0;font-size:13px'>" + "\n".join(escape(text) for text in shown) + "</pre>"
        )

    def _on_entry(self, entry: TapEntry) -> None:
        # Logged as the bytes arrive, frame by frame, so the log's order is the wire's.
        if (
            entry.kind == "frame"
            and entry.sender == "server"
            and self.ws is not None
            and entry.connection == self.ws.id
        ):
            self._say(f"received {entry.describe()}")
        self._refresh()

    def empty_state(self) -> str:
        """What the console shows before any traffic: what to do, not an empty table."""
        return (
            '<div class="wslab-empty" style="padding:10px 12px;border:1px dashed #999;font-size:13px;'
            f'color:#444">No traffic yet. Click <b>connect</b> to open a connection to '
            f"<code>{escape(self.url.value)}</code>; every byte of it (the handshake, then each frame) "
            "will appear here, numbered in the order it crossed the wire.</div>"
        )

    def _refresh(self) -> None:
        entries = self.tap.entries
        self.table.value = tap_table(entries)._repr_html_() if entries else self.empty_state()
        self.sequence.value = sequence_diagram(entries).to_string() if entries else self.empty_state()
        self.entry_number.max = max(1, len(entries))
        self._show_detail()

    def _show_detail(self) -> None:
        number = self.entry_number.value
        if not 1 <= number <= len(self.tap.entries):
            self.detail.value = self.empty_state() if not self.tap.entries else ""
            return
        entry = self.tap[number]
        try:
            self.detail.value = f"<div>{escape(repr(entry))}</div>" + entry_diagram(entry).to_string()
        except ValueError as error:
            self.detail.value = f"<div>{escape(str(error))}</div>"

    def static_bundle(self) -> dict[str, str]:
        """The static copy (viewers without a kernel): the tap table, or the empty state."""
        entries = self.tap.entries
        return {"text/html": tap_table(entries)._repr_html_() if entries else self.empty_state()}

    def __repr__(self) -> str:
        return f"LiveConsole(url={self.url.value!r}, {len(self.tap.entries)} tapped entries)"


def _current_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
