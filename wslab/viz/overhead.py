"""Bytes on the wire: N messages of S bytes by HTTP polling versus over one WebSocket.

Every size comes from real bytes built here and measured with ``len``:
the polling request and response heads a browser and a typical server send,
the opening handshake from `wslab.handshake` with the same browser headers,
and the frame headers from `wslab.frames.encode` (a client's frames are
masked, so 4 bytes longer). Only application-layer bytes are counted; TCP/IP
and TLS add the same kind of per-packet cost to both.

Polling here means one HTTP request and response per message delivered
(long polling at its best); short polling also pays for every empty answer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from wslab import frames, handshake
from wslab.masking import RFC_MASK_KEY
from wslab.viz import style
from wslab.viz.svg import Svg

HOST = "chat.example.com"
# What a desktop Chrome sends with every request to the same site (values shortened to typical lengths).
BROWSER_HEADERS = (
    (
        "User-Agent",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    ),
    ("Accept-Language", "ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7"),
    ("Accept-Encoding", "gzip, deflate, br"),
    ("Cookie", "session=3f2a9c1e7b5d4e8fa0c6b2d1e9f7a3c5"),
)


def polling_request(path: str = "/api/messages?since=41") -> bytes:
    """One poll: the GET a browser's fetch() sends for new messages."""
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {HOST}",
        *(f"{k}: {v}" for k, v in BROWSER_HEADERS),
        "Accept: application/json",
        f"Referer: https://{HOST}/room/7",
        "Connection: keep-alive",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


def polling_response(body: bytes) -> bytes:
    """The server's answer to a poll carrying one message as its body."""
    lines = [
        "HTTP/1.1 200 OK",
        "Date: Mon, 01 Jan 2024 09:00:00 GMT",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        "Cache-Control: no-cache, no-store",
        "Connection: keep-alive",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + body


def handshake_bytes() -> tuple[bytes, bytes]:
    """The opening handshake a browser sends (with its usual headers) and the server's 101."""
    request = handshake.build_request(HOST, "/chat", origin=f"https://{HOST}", key=handshake.RFC_KEY)
    for name, value in BROWSER_HEADERS:
        request = handshake.replace_header(request, name, value)
    response = handshake.build_response(handshake.parse_request(request))
    return request, response


@dataclass(frozen=True)
class Overhead:
    """Measured sizes for messages of `message_size` bytes."""

    message_size: int
    poll_request: int  # bytes of one polling request
    poll_response_head: int  # bytes of one polling response, without its body
    handshake_request: int
    handshake_response: int
    frame_header: int  # server -> client frame: unmasked
    masked_frame_header: int  # client -> server frame: masked (+4 key bytes)

    @property
    def handshake(self) -> int:
        return self.handshake_request + self.handshake_response

    @property
    def per_poll(self) -> int:
        """Bytes of one polling exchange delivering one message."""
        return self.poll_request + self.poll_response_head + self.message_size

    @property
    def per_frame(self) -> int:
        return self.frame_header + self.message_size

    def polling_bytes(self, n: int) -> int:
        return n * self.per_poll

    def websocket_bytes(self, n: int) -> int:
        """The handshake once, then one server frame per message."""
        return self.handshake + n * self.per_frame

    @property
    def crossover(self) -> int:
        """The smallest N from which polling needs more bytes than WebSocket."""
        return math.floor(self.handshake / (self.per_poll - self.per_frame)) + 1

    def ratio(self, n: int) -> float:
        return self.polling_bytes(n) / self.websocket_bytes(n)

    def __str__(self) -> str:
        s = self.message_size
        return "\n".join(
            [
                f"message size S                       {s:>6} bytes",
                f"HTTP polling, per message:  request  {self.poll_request:>6} bytes",
                f"                            response {self.poll_response_head:>6} bytes of head + {s} of body",
                f"WebSocket, once:  handshake request  {self.handshake_request:>6} bytes",
                f"                  handshake response {self.handshake_response:>6} bytes",
                f"WebSocket, per message: frame header {self.frame_header:>6} bytes (server -> client, unmasked)",
                f"                        frame header {self.masked_frame_header:>6} bytes (client -> server, masked)",
            ]
        )


def overhead(message_size: int = 20) -> Overhead:
    """Measure every size for messages of `message_size` bytes."""
    body = b"x" * message_size
    request, response = handshake_bytes()
    frame = frames.Frame(frames.Opcode.TEXT, body)
    return Overhead(
        message_size=message_size,
        poll_request=len(polling_request()),
        poll_response_head=len(polling_response(body)) - message_size,
        handshake_request=len(request),
        handshake_response=len(response),
        frame_header=len(frames.encode(frame)) - message_size,
        masked_frame_header=len(frames.encode(frame, RFC_MASK_KEY)) - message_size,
    )


# --- the chart ------------------------------------------------------------------

W, H = 720, 380
X0, Y0, X1, Y1 = 78, 40, 700, 300  # plot area


def overhead_chart(message_size: int = 20, messages: int = 20) -> Svg:
    """Total bytes on the wire against N, for polling and for one WebSocket; crossover and ratio marked."""
    o = overhead(message_size)
    top = _nice(o.polling_bytes(messages))
    svg = Svg(
        W,
        H,
        title=f"overhead: {messages} messages of {message_size} bytes, "
        f"polling {o.polling_bytes(messages)} B vs WebSocket {o.websocket_bytes(messages)} B",
    )
    svg.text(X0, 20, f"Bytes on the wire to deliver N messages of {message_size} bytes", size=13, font_weight="bold")
    _axes(svg, messages, top)

    def point(n: int, value: int) -> str:
        return f"{_x(n, messages):.1f},{_y(value, top):.1f}"

    polling = " ".join(point(n, o.polling_bytes(n)) for n in range(messages + 1))
    socket = " ".join(point(n, o.websocket_bytes(n)) for n in range(messages + 1))
    svg.add(f'<polyline points="{polling}" fill="none" stroke="#c0392b" stroke-width="2.5"/>')
    svg.add(f'<polyline points="{socket}" fill="none" stroke="#1f5fa8" stroke-width="2.5" stroke-dasharray="8 4"/>')
    for n in range(messages + 1):
        _marker(svg, _x(n, messages), _y(o.polling_bytes(n), top), "#c0392b", square=True)
        _marker(svg, _x(n, messages), _y(o.websocket_bytes(n), top), "#1f5fa8", square=False)
    _labels(svg, o, messages, top)
    _crossover(svg, o, messages, top)
    return svg


def _nice(value: float) -> int:
    step = 10 ** max(int(math.log10(max(value, 1))), 1)
    return int(math.ceil(value / step) * step)


def _x(n: float, messages: int) -> float:
    return X0 + (X1 - X0) * n / messages


def _y(value: float, top: int) -> float:
    return Y1 - (Y1 - Y0) * value / top


def _axes(svg: Svg, messages: int, top: int) -> None:
    svg.line(X0, Y1, X1, Y1, stroke=style.INK, stroke_width=1)
    svg.line(X0, Y0, X0, Y1, stroke=style.INK, stroke_width=1)
    for i in range(6):
        value = top * i / 5
        y = _y(value, top)
        svg.line(X0, y, X1, y, stroke="#dddddd", stroke_width=0.5)
        svg.text(X0 - 6, y + 4, f"{int(value):,}", size=12, anchor="end", fill=style.MUTED)
    step = max(1, messages // 10)
    for n in range(0, messages + 1, step):
        svg.text(_x(n, messages), Y1 + 15, n, size=12, anchor="middle", fill=style.MUTED)
    svg.text((X0 + X1) / 2, Y1 + 32, "N = messages delivered", size=12, anchor="middle")
    svg.text(14, (Y0 + Y1) / 2, "bytes", size=12, anchor="middle", transform=f"rotate(-90 14 {(Y0 + Y1) / 2:.0f})")


def _marker(svg: Svg, x: float, y: float, colour: str, *, square: bool) -> None:
    if square:
        svg.rect(x - 3, y - 3, 6, 6, fill=colour)
    else:
        svg.add(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="white" stroke="{colour}" stroke-width="1.5"/>')


def _labels(svg: Svg, o: Overhead, messages: int, top: int) -> None:
    svg.rect(X0 + 10, Y0 + 4, 10, 10, fill="#c0392b")
    svg.text(
        X0 + 26,
        Y0 + 13,
        f"HTTP polling: N × {o.per_poll} B "
        f"({o.poll_request} request + {o.poll_response_head} response head + {o.message_size})",
        size=12,
    )
    svg.text(
        X0 + 26,
        Y0 + 30,
        f"WebSocket: {o.handshake} B handshake once + N × {o.per_frame} B "
        f"({o.frame_header} frame header + {o.message_size})",
        size=12,
    )
    svg.add(f'<circle cx="{X0 + 15}" cy="{Y0 + 26}" r="4" fill="white" stroke="#1f5fa8" stroke-width="1.5"/>')
    n = messages
    svg.text(
        X1,
        Y1 + 52,
        f"at N = {n}: polling {o.polling_bytes(n):,} B, WebSocket {o.websocket_bytes(n):,} B, "
        f"ratio {o.ratio(n):.1f} : 1",
        size=12,
        anchor="end",
        font_weight="bold",
    )
    svg.text(
        X1,
        Y1 + 68,
        f"client -> server frames are masked: {o.masked_frame_header}-byte header instead of {o.frame_header}",
        size=12,
        anchor="end",
        fill=style.MUTED,
    )


def _crossover(svg: Svg, o: Overhead, messages: int, top: int) -> None:
    n = o.crossover
    if n > messages:
        return
    x = _x(n, messages)
    svg.line(x, Y0 + 40, x, Y1, stroke=style.INK, stroke_width=1, stroke_dasharray="3 3")
    svg.text(x + 6, Y0 + 54, f"crossover: from N = {n} polling costs more", size=12)


# --- the alternatives (lesson 11): the same messages by other means ---------------------


def sse_request() -> bytes:
    """The GET an `EventSource` sends to open a Server-Sent Events stream (WHATWG HTML, "Server-sent events")."""
    lines = [
        "GET /events HTTP/1.1",
        f"Host: {HOST}",
        *(f"{k}: {v}" for k, v in BROWSER_HEADERS),
        "Accept: text/event-stream",
        "Cache-Control: no-cache",
        f"Referer: https://{HOST}/room/7",
        "Connection: keep-alive",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


def sse_response_head() -> bytes:
    """The head of the never-ending response: chunked, because its length is not known (RFC 9112 §7.1)."""
    lines = [
        "HTTP/1.1 200 OK",
        "Date: Mon, 01 Jan 2024 09:00:00 GMT",
        "Content-Type: text/event-stream",
        "Cache-Control: no-cache",
        "Transfer-Encoding: chunked",
        "Connection: keep-alive",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


def sse_event(body: bytes) -> bytes:
    """One event, ``data: ...`` and a blank line, in its own HTTP/1.1 chunk (size in hex, CRLF, data, CRLF)."""
    event = b"data: " + body + b"\n\n"
    return f"{len(event):x}\r\n".encode("ascii") + event + b"\r\n"


def h2_frame(frame_type: int, flags: int, stream: int, payload: bytes) -> bytes:
    """An HTTP/2 frame: 24-bit length, type, flags, 31-bit stream id, payload (RFC 9113 §4.1)."""
    return len(payload).to_bytes(3, "big") + bytes([frame_type, flags]) + stream.to_bytes(4, "big") + payload


def _hpack_literal(headers: list[tuple[str, str]]) -> bytes:
    """Headers as HPACK "literal without indexing, new name", no Huffman (RFC 7541 §6.2.2):
    valid, and the longest encoding; a real browser's is shorter. Every string here is under 127 bytes."""
    out = bytearray()
    for name, value in headers:
        out += b"\x00" + bytes([len(name)]) + name.encode("ascii") + bytes([len(value)]) + value.encode("ascii")
    return bytes(out)


def h2_connect_request(stream: int = 1) -> bytes:
    """The extended CONNECT that opens a WebSocket on one HTTP/2 stream (RFC 8441 §4): a HEADERS frame."""
    headers = [
        (":method", "CONNECT"),
        (":protocol", "websocket"),
        (":scheme", "https"),
        (":path", "/chat"),
        (":authority", HOST),
        ("sec-websocket-version", "13"),
        ("origin", f"https://{HOST}"),
        *((k.lower(), v) for k, v in BROWSER_HEADERS),
    ]
    return h2_frame(0x1, 0x4, stream, _hpack_literal(headers))  # END_HEADERS


def h2_connect_response(stream: int = 1) -> bytes:
    """The server's ``:status 200`` (RFC 8441 §5: no 101, no Sec-WebSocket-Accept on HTTP/2)."""
    return h2_frame(0x1, 0x4, stream, _hpack_literal([(":status", "200")]))


@dataclass(frozen=True)
class Alternative:
    """One way to deliver messages: bytes to open it once, bytes per message after that."""

    name: str
    opening: int
    per_message: int
    note: str

    def total(self, n: int) -> int:
        return self.opening + n * self.per_message


def alternatives(message_size: int = 20) -> list[Alternative]:
    """Long polling, Server-Sent Events, WebSocket over HTTP/1.1 and over HTTP/2 (RFC 8441), measured in bytes
    the same way as `overhead` (application layer only; server -> client messages)."""
    body = b"x" * message_size
    o = overhead(message_size)
    ws_frame = frames.encode(frames.Frame(frames.Opcode.TEXT, body))
    return [
        Alternative("long polling (HTTP/1.1)", 0, o.per_poll, "a request and a response head for every message"),
        Alternative(
            "Server-Sent Events",
            len(sse_request()) + len(sse_response_head()),
            len(sse_event(body)),
            "one response that never ends; server to client only",
        ),
        Alternative("WebSocket (HTTP/1.1 Upgrade)", o.handshake, len(ws_frame), "the handshake once, then frames"),
        Alternative(
            "WebSocket over HTTP/2 (RFC 8441)",
            len(h2_connect_request()) + len(h2_connect_response()),
            len(h2_frame(0x0, 0x0, 1, ws_frame)),
            "a stream of a shared connection: HTTP/2 DATA frames carry the WebSocket frames",
        ),
    ]


# Colour and dash pattern per series: the lines stay apart in greyscale too.
_SERIES = (("#c0392b", "none"), ("#8e44ad", "2 3"), ("#1f5fa8", "8 4"), ("#16a085", "12 3 2 3"))


def alternatives_chart(message_size: int = 20, messages: int = 20) -> Svg:
    """Total bytes against N for each of `alternatives(message_size)`; WebTransport is named, not drawn."""
    options = alternatives(message_size)
    top = _nice(max(a.total(messages) for a in options))
    note = style.wrap(
        "WebTransport (HTTP/3 over QUIC) is not drawn: QUIC encrypts its packets, headers "
        "included, so no bytes can be counted here",
        X1 - X0 + 60,
        12,
    )
    height = Y1 + 52 + 18 * (len(options) + len(note)) + 10
    svg = Svg(
        W,
        height,
        title=f"alternatives: {messages} messages of {message_size} bytes, "
        + ", ".join(f"{a.name} {a.total(messages)} B" for a in options),
    )
    svg.text(
        X0,
        20,
        f"Bytes on the wire to deliver N messages of {message_size} bytes, server to client",
        size=13,
        font_weight="bold",
    )
    _axes(svg, messages, top)
    for (colour, dash), option in zip(_SERIES, options, strict=True):
        points = " ".join(f"{_x(n, messages):.1f},{_y(option.total(n), top):.1f}" for n in range(messages + 1))
        svg.add(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2.5" stroke-dasharray="{dash}"/>'
        )
    y = Y1 + 52
    for (colour, dash), option in zip(_SERIES, options, strict=True):
        svg.line(X0 - 62, y - 4, X0 - 40, y - 4, stroke=colour, stroke_width=2.5, stroke_dasharray=dash)
        svg.text(
            X0 - 34,
            y,
            f"{option.name}: {option.opening} B once + N × {option.per_message} B "
            f"(at N = {messages}: {option.total(messages):,} B)",
            size=12,
        )
        y += 18
    for line in note:
        svg.text(X0 - 62, y, line, size=12, fill=style.MUTED)
        y += 18
    return svg
