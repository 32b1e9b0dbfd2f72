"""EmitPlayground: add clients, join rooms, emit with a pattern, and see who receives it.

The widget only binds controls; the model is `wslab.events` and the pictures are
`wslab.viz.emit_diagram` / `timeline`. No exception escapes to the notebook: a
bad action is shown in the status line instead.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from html import escape
from typing import Any

import ipywidgets as W

from wslab.events import PATTERN_CALLS, Server, emit_as
from wslab.viz.emit import emit_diagram, timeline
from wslab.viz.svg import Svg
from wslab.widgets.base import StaticCopy

LOG_LINES = 12


def chat_server(io: Server | None = None) -> Server:
    """The playground's default server: a relay that answers nothing by itself."""
    return io if io is not None else Server()


class EmitPlayground(StaticCopy, W.VBox):
    """Controls around a `Server`: clients, rooms, connections, and an emit button."""

    def __init__(self, io: Server | None = None, *, clients: tuple[str, ...] = ("alice", "bob", "carol")) -> None:
        self.io = chat_server(io)
        for name in clients:
            if name not in self.io.clients:
                self.io.client(name).connect()
        self.received: list[str] = []
        for client in self.io.clients.values():
            self._listen(client)
        layout = W.Layout(width="150px")
        self.name = W.Text(value="dave", description="name", layout=layout)
        self.add_button = W.Button(description="add client")
        self.client = W.Dropdown(options=list(self.io.clients), description="client", layout=W.Layout(width="190px"))
        self.remove_button = W.Button(description="remove")
        self.connect_button = W.Button(description="connect")
        self.disconnect_button = W.Button(description="disconnect")
        self.room = W.Text(value="lobby", description="room", layout=layout)
        self.join_button = W.Button(description="join")
        self.leave_button = W.Button(description="leave")
        self.pattern = W.Dropdown(
            options=list(PATTERN_CALLS),
            value="socket.broadcast.emit",
            description="pattern",
            layout=W.Layout(width="300px"),
        )
        self.event = W.Text(value="chat", description="event", layout=layout)
        self.payload = W.Text(
            value='"hi"', description="JSON", layout=W.Layout(width="220px"), tooltip="the payload, as JSON"
        )
        self.emit_button = W.Button(description="emit", button_style="primary")
        self.status = W.HTML()
        self.diagram = W.HTML()
        self.log_view = W.HTML()
        bind: list[tuple[W.Button, Callable[[], Any]]] = [
            (self.add_button, self.add_client),
            (self.remove_button, self.remove_client),
            (self.connect_button, self.connect),
            (self.disconnect_button, self.disconnect),
            (self.join_button, self.join),
            (self.leave_button, self.leave),
            (self.emit_button, self.emit),
        ]
        for button, action in bind:
            button.on_click(self._safely(action))
        super().__init__(
            [
                W.HBox([self.name, self.add_button, self.client, self.remove_button]),
                W.HBox([self.connect_button, self.disconnect_button, self.room, self.join_button, self.leave_button]),
                W.HBox([self.pattern, self.event, self.payload, self.emit_button]),
                self.status,
                self.diagram,
                self.log_view,
            ]
        )
        self.add_class("wslab-emit-playground")
        self._refresh("ready: choose a sender, a pattern and a payload, then press emit")

    def __repr__(self) -> str:
        return f"EmitPlayground(clients={list(self.io.clients)}, rooms={list(self.io.rooms)})"

    # --- actions (each one also callable from code) ----------------------------------

    def add_client(self) -> None:
        client = self.io.client(self.name.value.strip())
        self._listen(client)
        client.connect()
        self.client.options = list(self.io.clients)
        self.client.value = client.name
        self._refresh(f"{client.name} added and connected")

    def remove_client(self) -> None:
        name = self._selected()
        self.io.remove_client(name)
        self.client.options = list(self.io.clients)
        self._refresh(f"{name} removed")

    def connect(self) -> None:
        name = self._selected()
        self.io.clients[name].connect()
        self._refresh(f"{name} connected with a new id: {self.io.clients[name].id}")

    def disconnect(self) -> None:
        name = self._selected()
        self.io.clients[name].disconnect()
        self._refresh(f"{name} disconnected: it left its rooms and misses what is emitted meanwhile")

    def join(self) -> None:
        name, room = self._selected(), self._room()
        self.io.socket_of(name).join(room)
        self._refresh(f"{name} joined {room}")

    def leave(self) -> None:
        name, room = self._selected(), self._room()
        self.io.socket_of(name).leave(room)
        self._refresh(f"{name} left {room}")

    def emit(self) -> None:
        try:
            payload = json.loads(self.payload.value)
        except json.JSONDecodeError as exc:
            raise ValueError(f'the payload is not valid JSON ({exc.msg}); e.g. "hi" or {{"x": 1}}') from None
        self.received.clear()
        room = self.room.value.strip() or None
        emit_as(self.io, self.pattern.value, self._selected(), self.event.value, payload, room=room)
        delivery = self.io.trace.last_event()
        self._refresh(f"{delivery.call}: {len(delivery.recipients)} recipient(s)")

    def snapshot(self) -> Svg:
        """The current diagram as a static picture (shown without a kernel, e.g. on GitHub)."""
        return emit_diagram(self.io)

    def static_bundle(self) -> dict[str, str]:
        return {"image/svg+xml": self.snapshot().to_string()}

    # --- plumbing --------------------------------------------------------------------

    def _listen(self, client: Any) -> None:
        client.on("chat", lambda *args, name=client.name: self.received.append(name))

    def _selected(self) -> str:
        if not self.client.value:
            raise ValueError("no client selected: add one first")
        return self.client.value

    def _room(self) -> str:
        room = self.room.value.strip()
        if not room:
            raise ValueError("type a room name first")
        return room

    def _safely(self, action: Callable[[], Any]) -> Callable[[Any], None]:
        def run(_button: Any) -> None:
            try:
                action()
            except Exception as exc:  # shown in the widget: nothing may escape to the notebook
                self._show_stale(exc)

        return run

    def _show_stale(self, exc: Exception) -> None:
        """The error, and the last picture greyed out and labelled stale: it no longer shows the input."""
        what = str(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"
        self.status.value = (
            f'<span style="color:#b00020"><b>✗ error:</b> {escape(what)}</span>'
            "<br><i>Nothing happened; the picture below is stale: it shows the state before.</i>"
        )
        try:
            picture = emit_diagram(self.io).to_string()
        except Exception:  # noqa: BLE001 - a picture must never take the widget down
            picture = ""
        self.diagram.value = (
            f'<div class="wslab-stale" style="opacity:0.35;filter:grayscale(1)" '
            f'title="stale: the last emit that worked">{picture}</div>'
        )

    def _refresh(self, message: str) -> None:
        self.status.value = escape(message)
        self.diagram.value = emit_diagram(self.io).to_string()
        lines = [escape(d.line()) for d in self.io.trace[-LOG_LINES:]]
        self.log_view.value = "<pre style='font-size:12px;margin:0'>" + "\n".join(lines) + "</pre>"


__all__ = ["EmitPlayground", "timeline"]
