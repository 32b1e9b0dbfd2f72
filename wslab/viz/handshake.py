"""The opening handshake (RFC 6455 §4) drawn as it crosses the wire.

The client's request and the server's response, one header per line with
what it does; the accept computation key -> + GUID -> SHA-1 -> base64; and
the verdicts: the server's (§4.2.1) on the request, the client's (§4.1) on
the response, naming the rule that fails.
"""

from __future__ import annotations

from wslab import handshake
from wslab.errors import HandshakeError
from wslab.viz import style
from wslab.viz.svg import Svg

WIDTH = 760
LINE = 17
TEXT = 12  # no text under 12 px


def verdicts(request: bytes, response: bytes) -> tuple[HandshakeError | None, HandshakeError | None]:
    """The server's error about the request (§4.2.1) and the client's about the response (§4.1), or None."""
    return _server_verdict(request)[0], _client_verdict(request, response)


def handshake_view(request: bytes, response: bytes) -> Svg:
    """Draw a handshake exchange, annotated, with the accept key computed and both verdicts."""
    request_error, parsed = _server_verdict(request)
    response_error = _client_verdict(request, response)
    bad_line = _failing_line(response_error)
    key = parsed.key if parsed is not None else _raw_header(request, "sec-websocket-key")
    blocks = [
        ("client → server: the HTTP Upgrade request", _annotated(request), _named_line(request, request_error)),
        ("server → client: the response", _annotated(response), bad_line),
    ]
    steps = _accept_lines(key)
    verdicts = _verdict_lines(request_error, response_error)
    svg = Svg(WIDTH, 0, title=f"handshake: {'valid' if not (request_error or response_error) else 'invalid'}")
    y = 8
    for heading, lines, bad in blocks:
        svg.text(12, y + 13, heading, size=TEXT, font_weight="bold")
        y += LINE
        rows = [
            (
                name,
                style.wrap(("✗ " if bad is not None and name == bad else "") + text, WIDTH - 32, TEXT),
                style.wrap(meaning, WIDTH - 48, TEXT) if meaning else [],
            )
            for name, text, meaning in lines
        ]
        height = sum(LINE * (len(head) + len(note)) for _, head, note in rows)
        svg.rect(10, y + 1, WIDTH - 20, height + 4, fill="#f7f7f7", stroke=style.GRID, stroke_width=0.5)
        for name, head, note in rows:
            # The header line in full, what it does on the line(s) under it: nothing cut off.
            marked = bad is not None and name == bad
            if marked:
                svg.rect(
                    11,
                    y + 3,
                    WIDTH - 22,
                    LINE * (len(head) + len(note)),
                    fill="#fde2e4",
                    stroke=style.ERROR,
                    stroke_width=2,
                    stroke_dasharray="5 3",
                )
            for part in head:
                svg.text(
                    16,
                    y + 15,
                    part,
                    size=TEXT,
                    fill=style.ERROR if marked else style.INK,
                    font_weight="bold" if marked else None,
                    style="white-space:pre",
                )
                y += LINE
            for part in note:
                svg.text(36, y + 15, part, size=TEXT, fill=style.MUTED)
                y += LINE
        y += 12
    svg.text(12, y + 13, "Sec-WebSocket-Accept, step by step (§1.3, §4.2.2)", size=TEXT, font_weight="bold")
    y += LINE
    for line in steps:
        for part in style.wrap(line, WIDTH - 28, TEXT):
            svg.text(16, y + 13, part, size=TEXT, style="white-space:pre")
            y += LINE
    y += 8
    for line, ok in verdicts:
        for part in style.wrap(line, WIDTH - 24, TEXT):
            svg.text(12, y + 13, part, size=TEXT, fill=style.OK if ok else style.ERROR, font_weight="bold")
            y += LINE
    svg.height = y + 10
    return svg


def _server_verdict(request: bytes) -> tuple[HandshakeError | None, handshake.Request | None]:
    try:
        return None, handshake.parse_request(request)
    except HandshakeError as error:
        return error, None


def _client_verdict(request: bytes, response: bytes) -> HandshakeError | None:
    head = response.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"  # a refusal has a body after its head
    try:
        handshake.validate_response(request, head)
    except HandshakeError as error:
        return error
    return None


def _failing_line(error: HandshakeError | None) -> str | None:
    """The line of the response the client's error is about: the status line for §4.1's first check."""
    if error is None:
        return None
    if error.check == 1:
        return "(status line)"
    return error.header.lower() if error.header is not None and error.check is not None else None


def _named_line(request: bytes, error: HandshakeError | None) -> str | None:
    """The request header a server's error is about (`HandshakeError.header`)."""
    if error is None or error.header is None:
        return None
    return error.header.lower()


def _head_lines(data: bytes) -> list[str]:
    head = data.split(b"\r\n\r\n", 1)[0]
    return head.decode("latin-1").split("\r\n")


def _raw_header(data: bytes, name: str) -> str | None:
    for line in _head_lines(data)[1:]:
        key, _, value = line.partition(":")
        if key.strip().lower() == name:
            return value.strip()
    return None


def _annotated(data: bytes) -> list[tuple[str, str, str]]:
    """(lowercase header name or "(status line)", the line, what it means) per line of a head."""
    first, *rest = _head_lines(data)
    if first.startswith("HTTP/"):
        meaning = (
            "101: the server switches this connection to WebSocket (§4.2.2)"
            if " 101 " in f"{first} "
            else "not 101: the handshake is refused or failed (§4.1)"
        )
    else:
        meaning = "an HTTP/1.1 GET for the resource (§4.1 items 2-3)"
    lines = [("(status line)", first, meaning)]
    for line in rest:
        name = line.partition(":")[0].strip()
        lines.append((name.lower(), line, handshake.header_meaning(name)))
    body = data.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in data else b""
    for line in body.decode("utf-8", "replace").splitlines():
        lines.append(("(body)", line, "the body: why, for a human reader"))
    return lines


def _accept_lines(key: str | None) -> list[str]:
    if not key:
        return ["(no Sec-WebSocket-Key in the request: nothing to compute)"]
    steps = handshake.accept_steps(key)
    return [
        f"1. key             {steps.key}",
        f"2. key + GUID      {steps.concatenated}",
        f"3. SHA-1 (hex)     {steps.sha1_hex}",
        f"4. base64          {steps.accept}   = the expected Sec-WebSocket-Accept",
    ]


def _verdict_lines(
    request_error: HandshakeError | None, response_error: HandshakeError | None
) -> list[tuple[str, bool]]:
    lines = []
    if request_error is None:
        lines.append(("✓ server (§4.2.1): the request is a valid opening handshake", True))
    else:
        lines += [(text, False) for text in style.wrap(f"✗ server: {request_error}", WIDTH - 24, 11)]
    if response_error is None:
        lines.append(("✓ client (§4.1): the response is valid: the connection is OPEN", True))
    else:
        lines += [(text, False) for text in style.wrap(f"✗ client: {response_error}", WIDTH - 24, 11)]
    return lines
