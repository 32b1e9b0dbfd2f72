"""`HandshakeExplorer`: edit the request, change the key, tamper with the response,
and see which rule of §4.2.1 (server) or §4.1 (client) fails."""

from __future__ import annotations

import ipywidgets as W

from wslab import handshake
from wslab.viz.handshake import handshake_view, verdicts
from wslab.viz.svg import Svg
from wslab.widgets.base import Explorer

OTHER_KEY = "AQIDBAUGBwgJCgsMDQ4PEA=="


def _set(name: str, value: str | None):
    return lambda head: handshake.replace_header(head, name, value)


def _status_200(head: bytes) -> bytes:
    first, rest = head.split(b"\r\n", 1)
    return b"HTTP/1.1 200 OK\r\n" + rest


# Ways a response can be broken; each one breaks one check of §4.1.
TAMPERING = {
    "none: the server's own answer": lambda head: head,
    "status 200 OK instead of 101": _status_200,
    "Upgrade: h2c": _set("Upgrade", "h2c"),
    "Connection: keep-alive": _set("Connection", "keep-alive"),
    "Sec-WebSocket-Accept for another key": _set("Sec-WebSocket-Accept", handshake.accept_key(OTHER_KEY)),
    "no Sec-WebSocket-Accept": _set("Sec-WebSocket-Accept", None),
    "an extension the client did not ask for": _set("Sec-WebSocket-Extensions", "permessage-deflate"),
    "a subprotocol the client did not offer": _set("Sec-WebSocket-Protocol", "chat"),
}


def head_from_text(text: str) -> bytes:
    """An HTTP head from text typed one line per header: lines joined with CR LF, blank line added."""
    lines = [line.rstrip("\r") for line in text.strip("\n").split("\n")]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")


def head_to_text(head: bytes) -> str:
    return head.decode("latin-1").split("\r\n\r\n", 1)[0].replace("\r\n", "\n")


class HandshakeExplorer(Explorer):
    """The request (editable), the key, and a way to tamper with the server's response."""

    def __init__(
        self,
        host: str = "example.com",
        path: str = "/chat",
        key: str = handshake.RFC_KEY,
        origin: str | None = "http://example.com",
    ) -> None:
        request = handshake.build_request(host, path, origin=origin, key=key)
        self.key = W.Text(value=key, description="key", layout=W.Layout(width="60%"))
        self.request = W.Textarea(
            value=head_to_text(request), description="request", layout=W.Layout(width="95%", height="9em")
        )
        self.tamper = W.Dropdown(options=list(TAMPERING), description="response", layout=W.Layout(width="60%"))
        self.response = b""
        self._request_bytes = request
        super().__init__([self.key, self.request, self.tamper])
        self.add_class("wslab-handshake-explorer")

    def _changed(self, change: dict) -> None:
        if change["owner"] is self.key:
            head = head_from_text(self.request.value)
            text = head_to_text(handshake.replace_header(head, "Sec-WebSocket-Key", change["new"]))
            if text != self.request.value:
                self.request.value = text  # observing the request redraws
                return
        self.refresh()

    def exchange(self) -> tuple[bytes, bytes]:
        """The request as edited, and the response: the server's answer to it, then tampered with."""
        request = head_from_text(self.request.value)
        answer = handshake.answer(request)
        head, _, body = answer.response.partition(b"\r\n\r\n")
        return request, TAMPERING[self.tamper.value](head + b"\r\n\r\n") + body

    def pictures(self) -> list[Svg]:
        request, self.response = self.exchange()
        self._request_bytes = request
        return [handshake_view(request, self.response)]

    def problem(self) -> str | None:
        server, client = verdicts(self._request_bytes, self.response)
        if server is not None:
            return f"server: {server}"
        return None if client is None else f"client: {client}"

    def describe(self) -> str:
        return "✓ the handshake succeeds: both sides now speak WebSocket frames"

    def __repr__(self) -> str:
        return f"HandshakeExplorer(key={self.key.value!r}, response={self.tamper.value!r})"
