"""Pictures of what a wire tap saw: a table of frames and a sequence diagram.

Pure functions from tap entries (`wslab.stream.TapEntry`: a list of them, or a
`wslab.tap.Tap`, which iterates over its entries) to deterministic HTML/SVG:
entries are shown by their order (#1, #2, ...), never by wall-clock time,
so a saved lesson output is the same on every run.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from wslab.codes import Opcode
from wslab.stream import CLIENT_TO_SERVER, TapEntry, summary
from wslab.viz.frame import frame_diagram
from wslab.viz.style import wrap
from wslab.viz.svg import Svg, num

__all__ = ["TapTable", "tap_table", "sequence_diagram", "entry_diagram"]

CLIENT_COLOR = "#dbeafe"  # client -> server rows and arrows: blue
SERVER_COLOR = "#dcfce7"  # server -> client: green
ERROR_COLOR = "#fee2e2"  # bytes that break a rule: red
CLIENT_INK = "#1d4ed8"
SERVER_INK = "#15803d"
ERROR_INK = "#b91c1c"
MUTED_INK = "#6b7280"


class TapTable:
    """An HTML table of tap entries; displays itself in Jupyter."""

    def __init__(self, html: str, count: int) -> None:
        self.html = html
        self.count = count

    def _repr_html_(self) -> str:
        return self.html

    def __str__(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return f"<TapTable: {self.count} entries>"


_COLUMNS = ("#", "conn", "direction", "what", "FIN", "length", "MASK (key)", "payload / detail")


def tap_table(entries: Iterable[TapEntry], *, limit: int = 24, keys: bool = True) -> TapTable:
    """One row per entry: order, connection, direction, opcode, FIN, length, mask, payload preview.

    Client frames show MASK=1 and their key; server frames MASK=0 (RFC 6455 §5.1).
    `keys=False` leaves the masking keys out: a client that follows §5.3 picks
    a fresh random key per frame, so a saved table of its traffic would change every run.
    """
    entries = list(entries)
    head = "".join(f'<th style="{_CELL}text-align:left">{escape(c)}</th>' for c in _COLUMNS)
    rows = "".join(_row(e, limit, keys) for e in entries)
    html = (
        f'<table class="wslab-tap" style="border-collapse:collapse;font-family:monospace;font-size:12px">'
        f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
    )
    return TapTable(html, len(entries))


_CELL = "border:1px solid #d1d5db;padding:2px 6px;"


def _row(entry: TapEntry, limit: int, keys: bool) -> str:
    color = (
        ERROR_COLOR if entry.kind == "error" else CLIENT_COLOR if entry.direction == CLIENT_TO_SERVER else SERVER_COLOR
    )
    arrow = "client → server" if entry.direction == CLIENT_TO_SERVER else "client ← server"
    what, fin, length, mask, detail = _cells(entry, limit, keys)
    cells = (f"#{entry.number}", entry.connection, arrow, what, fin, length, mask, detail)
    tds = "".join(f'<td style="{_CELL}">{escape(str(c))}</td>' for c in cells)
    return f'<tr style="background:{color}">{tds}</tr>'


def _cells(entry: TapEntry, limit: int, keys: bool) -> tuple[str, str, str, str, str]:
    if entry.kind == "frame":
        frame, header = entry.frame, entry.header
        assert frame is not None and header is not None, "an entry of kind 'frame' has its frame and header"
        name = frame.opcode.name if isinstance(frame.opcode, Opcode) else hex(frame.opcode)
        mask = "0" if header.mask_key is None else f"1 ({header.mask_key.hex(' ')})" if keys else "1"
        detail = summary(frame, limit)
        return f"{name} ({int(frame.opcode):#x})", str(int(frame.fin)), str(len(frame.payload)), mask, detail
    if entry.kind == "http":
        return "HTTP", "", str(len(entry.data)), "", entry.describe()
    if entry.kind == "eof":
        return "TCP FIN", "", "", "", "the sender closed its side of the TCP connection"
    if entry.kind == "error":
        return "ERROR", "", str(len(entry.data)), "", f"{entry.data[:8].hex(' ')}: {entry.error}"
    if entry.kind == "body":
        return "HTTP body", "", str(len(entry.data)), "", _short(entry.data.decode("utf-8", "replace").strip(), 60)
    return "bytes", "", str(len(entry.data)), "", "after an error: not decoded (the receiver stops reading, §7.1.7)"


# --- sequence diagram --------------------------------------------------------------

TOP = 46
LANE_GAP = 70
SPAN = 520  # distance from the last client lifeline to the server's: the labels live there
LINE = 15  # one label line (12 px text)
TEXT = 12  # no text under 12 px


def sequence_diagram(entries: Iterable[TapEntry], *, title: str = "", limit: int = 160) -> Svg:
    """The exchange drawn as arrows between the client(s) and the server, in order.

    One lifeline per connection on the left (c1, c2, ...), the server on the
    right. Each arrow is one entry, labelled with its number: the handshake
    (HTTP), every frame (masked or not), errors in red, TCP FIN dashed. The
    labels sit between the last client lifeline and the server's, so they never
    cross a lifeline, and wrap instead of being cut (`limit`: characters of a
    payload shown).
    """
    entries = list(entries)
    connections = list(dict.fromkeys(e.connection for e in entries)) or ["c1"]
    lanes = {conn: 40 + i * LANE_GAP for i, conn in enumerate(connections)}
    label_left = lanes[connections[-1]] + 12
    server_x = lanes[connections[-1]] + SPAN
    width = server_x + 60
    room = server_x - label_left - 16
    labels = [_label_lines(entry, limit, room) for entry in entries]
    height = TOP + sum(LINE * len(lines) + 14 for lines in labels) + 20
    svg = Svg(width, height, title=title or f"sequence of {len(entries)} entries")
    svg.rect(0, 0, width, height, fill="white")
    bottom = height - 10
    for conn, x in lanes.items():
        svg.text(x, 18, "client", anchor="middle", size=TEXT, fill=CLIENT_INK)
        svg.text(x, 32, conn, anchor="middle", size=TEXT, fill=CLIENT_INK)
        svg.line(x, 38, x, bottom, stroke=CLIENT_INK, stroke_width=1, stroke_dasharray="3 3")
    svg.text(server_x, 25, "server", anchor="middle", size=TEXT, fill=SERVER_INK)
    svg.line(server_x, 38, server_x, bottom, stroke=SERVER_INK, stroke_width=1, stroke_dasharray="3 3")
    y = TOP
    for entry, lines in zip(entries, labels, strict=True):
        y += LINE * len(lines) + 4
        _arrow(svg, entry, lanes[entry.connection], server_x, y, lines, (label_left + server_x) / 2)
        y += 10
    return svg


def _arrow(
    svg: Svg, entry: TapEntry, client_x: float, server_x: float, y: float, lines: list[str], label_x: float
) -> None:
    to_server = entry.direction == CLIENT_TO_SERVER
    start, end = (client_x, server_x) if to_server else (server_x, client_x)
    ink = (
        ERROR_INK
        if entry.kind == "error"
        else MUTED_INK
        if entry.kind == "eof"
        else CLIENT_INK
        if to_server
        else SERVER_INK
    )
    dash = "5 3" if entry.kind in ("eof", "data", "body") else None
    svg.line(start, y, end - (6 if to_server else -6), y, stroke=ink, stroke_width=1.5, stroke_dasharray=dash)
    tip = -1 if to_server else 1
    svg.path(f"M {_n(end)} {_n(y)} l {6 * tip} -4 l 0 8 z", fill=ink)
    weight = "bold" if entry.kind == "http" else None
    for i, line in enumerate(lines):
        svg.text(
            label_x,
            y - 5 - LINE * (len(lines) - 1 - i),
            line,
            anchor="middle",
            size=TEXT,
            fill=ink,
            font_weight=weight if i == 0 else None,
            style="white-space:pre",
        )


def _label_lines(entry: TapEntry, limit: int, room: float) -> list[str]:
    """The label of one arrow: what it is on the first line, the payload preview wrapped under it."""
    if entry.kind == "frame":
        frame = entry.frame
        assert frame is not None, "an entry of kind 'frame' has its frame"
        name = frame.opcode.name if isinstance(frame.opcode, Opcode) else hex(frame.opcode)
        if not frame.fin:
            name += " FIN=0"
        masked = "masked" if entry.masked else "unmasked"
        head, body = f"#{entry.number} {name} [{masked}]", summary(frame, limit)
    elif entry.kind == "error":
        head, body = f"#{entry.number} ERROR", str(entry.error)
    else:
        head, body = f"#{entry.number} {entry.describe()}", ""
    lines = wrap(head, room, TEXT)
    return lines + (wrap(body, room, TEXT) if body else [])


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _n(x: float) -> str:
    return num(x)


# --- one entry in full ---------------------------------------------------------------


def entry_diagram(entry: TapEntry, *, hide: Iterable[str] = ()) -> Svg:
    """The full picture of one entry: `wslab.viz.frame_diagram` for a frame or a
    bad frame (its bytes exactly as captured, masking key included, checked in
    the receiver's role so a broken rule is marked), the head for HTTP
    (``hide=["Sec-WebSocket-Key"]`` leaves out the values of those headers)."""
    if entry.kind in ("http", "body"):
        return _head_picture(entry, hide=hide)
    if entry.kind == "eof":
        raise ValueError(f"#{entry.number} is the end of a TCP stream: it has no bytes to draw")
    return frame_diagram(entry.data, role="server" if entry.direction == CLIENT_TO_SERVER else "client")


def _head_picture(entry: TapEntry, hide: Iterable[str] = ()) -> Svg:
    lines = entry.text(hide=hide).rstrip("\n").split("\n")
    width = 20 + 7.2 * max(len(line) for line in lines)
    svg = Svg(width, 16 * len(lines) + 14, title=f"#{entry.number} HTTP {'head' if entry.kind == 'http' else 'body'}")
    ink = CLIENT_INK if entry.direction == CLIENT_TO_SERVER else SERVER_INK
    svg.rect(0, 0, svg.width, svg.height, fill="white", stroke=ink)
    for i, line in enumerate(lines):
        svg.text(10, 20 + 16 * i, line, size=12, fill=ink, font_weight="bold" if i == 0 else None)
    return svg
