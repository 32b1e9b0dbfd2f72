"""What a wire tap saw on a Socket.IO server, read as Engine.IO v4 / Socket.IO v5 packets.

    tap = Tap()
    server = await io.listen("127.0.0.1", 0, on_bytes=tap.server_hook)
    ...
    engineio_view(tap)                 # every HTTP request, response, body and WebSocket frame

One row per thing on the wire: an HTTP request line or status line (long-polling, the upgrade), an
HTTP body read as an Engine.IO payload (packets separated by ``\\x1e``, ``b`` + base64 for binary), a
WebSocket frame read as one Engine.IO packet (a binary frame is an attachment). Each packet gets its
meaning: the Engine.IO type, and for a ``message`` the Socket.IO type inside it.

The view prints only what is the same on every run: session ids (Engine.IO's and Socket.IO's,
random by design) become ``SID1``, ``SID2`` ... in order of appearance; python-socketio's cache-busting
query parameter ``t`` (a timestamp) is left out; TCP connections are numbered from 1 in this view.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence

from wslab import engineio
from wslab.codes import Opcode
from wslab.events.packets import PacketType as SocketIOType
from wslab.stream import CLIENT_TO_SERVER, TapEntry

_SID = re.compile(r'("sid":"|sid=)([A-Za-z0-9_-]+)')
_T = re.compile(r"([?&])t=[^& ]*(&?)")


class Row:
    """One line of the view: connection, direction, what it is, its packets and their meanings."""

    def __init__(self, connection: str, direction: str, what: str, packets: Sequence[tuple[str, str]] = ()) -> None:
        self.connection, self.direction, self.what, self.packets = connection, direction, what, list(packets)

    def __repr__(self) -> str:
        return f"Row({self.connection}, {self.direction}, {self.what!r}, {self.packets!r})"


class EngineIOView:
    """The rows, as an HTML table in JupyterLab and as plain text elsewhere."""

    def __init__(self, rows: list[Row]) -> None:
        self.rows = rows

    def __str__(self) -> str:
        lines = []
        for row in self.rows:
            arrow = "->" if row.direction == CLIENT_TO_SERVER else "<-"
            lines.append(f"TCP {row.connection} {arrow} {row.what}")
            lines += [f"      {packet:40} {meaning}" for packet, meaning in row.packets]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        head = "".join(
            f"<th style='text-align:left;padding:2px 8px'>{h}</th>"
            for h in ("TCP", "", "on the wire", "Engine.IO packet", "meaning")
        )
        body = []
        for row in self.rows:
            arrow = "client → server" if row.direction == CLIENT_TO_SERVER else "server → client"
            packets = row.packets or [("", "")]
            cells = [(row.connection, arrow, row.what)] + [("", "", "")] * (len(packets) - 1)
            for (conn, direction, what), (packet, meaning) in zip(cells, packets, strict=True):
                body.append(
                    "<tr>"
                    + "".join(
                        f"<td style='padding:1px 8px;white-space:pre'>{html.escape(v)}</td>"
                        for v in (conn, direction, what, packet, meaning)
                    )
                    + "</tr>"
                )
        return (
            "<table class='wslab-engineio' style='border-collapse:collapse;font-family:monospace;"
            f"font-size:12px'><tr>{head}</tr>{''.join(body)}</table>"
        )


def engineio_view(
    tap: Iterable[TapEntry],
    *,
    since: int = 0,
    heartbeat: bool = True,
    headers: Sequence[str] = (),
    first: int | None = None,
    refusals: bool = False,
) -> EngineIOView:
    """The view of the tap's entries numbered above `since` (`first`: only that many rows;
    `refusals`: only the answers with a 4xx status, and their bodies).
    `heartbeat=False` leaves out pings and pongs (they come whenever the interval says, so a page that
    must read the same every run can hide them); `headers` names HTTP headers to show under their
    request or status line."""
    entries = [e for e in tap if e.number > since and e.kind != "eof"]  # a Tap iterates over its entries
    names = _Names()
    rows: list[Row] = []
    for group in _messages(entries):
        row = _row(group, names, headers)
        if refusals and not _refused(row.what):
            continue
        if heartbeat or not _only_heartbeat(row):
            rows.append(row)
    rows = rows[:first]
    for row in rows:  # TCP connections numbered as they appear in this view
        row.connection = names.connection(row.connection)
    return EngineIOView(rows)


def _messages(entries: list[TapEntry]) -> list[list[TapEntry]]:
    """Entries grouped: an HTTP head with its body pieces; each frame or error on its own."""
    groups: list[list[TapEntry]] = []
    open_heads: dict[tuple[str, str], list[TapEntry]] = {}
    for entry in entries:
        key = (entry.connection, entry.direction)
        if entry.kind == "body" and key in open_heads:
            open_heads[key].append(entry)
            continue
        group = [entry]
        groups.append(group)
        if entry.kind == "http":
            open_heads[key] = group
        else:
            open_heads.pop(key, None)
    return groups


class _Names:
    """Stable names for what varies between runs: session ids and connections."""

    def __init__(self) -> None:
        self.sids: dict[str, str] = {}
        self.connections: dict[str, str] = {}

    def connection(self, label: str) -> str:
        return self.connections.setdefault(label, str(len(self.connections) + 1))

    def text(self, text: str) -> str:
        def sid(match: re.Match) -> str:
            name = self.sids.setdefault(match.group(2), f"SID{len(self.sids) + 1}")
            return match.group(1) + name

        return _SID.sub(sid, _T.sub(lambda m: m.group(1) if m.group(2) else "", text))


def _row(group: list[TapEntry], names: _Names, headers: Sequence[str]) -> Row:
    first = group[0]
    connection = first.connection
    if first.kind == "http":
        lines = first.head.split("\r\n")
        what = names.text(lines[0].removesuffix(" HTTP/1.1"))
        wanted = {h.lower() for h in headers}
        shown = [line for line in lines[1:] if line.partition(":")[0].strip().lower() in wanted]
        if shown:
            what += "".join(f"\n  {names.text(line)}" for line in shown)
        body = b"".join(e.data for e in group[1:])
        if body and _refused(what):
            return Row(connection, first.direction, what, [(body.decode("utf-8", "replace"), "the refusal's body")])
        return Row(connection, first.direction, what, _body_packets(body, names) if body else [])
    if first.kind == "frame" and first.frame is not None:
        frame = first.frame
        if frame.opcode == Opcode.TEXT:
            text = frame.payload.decode("utf-8", "replace")
            return Row(connection, first.direction, "WebSocket text frame", [_packet(text, names)])
        if frame.opcode == Opcode.BINARY:
            return Row(
                connection,
                first.direction,
                "WebSocket binary frame",
                [(f"<{len(frame.payload)} bytes>", "binary attachment of the packet before")],
            )
        return Row(connection, first.direction, f"WebSocket {first.describe()}")
    return Row(connection, first.direction, first.describe())


def _body_packets(body: bytes, names: _Names) -> list[tuple[str, str]]:
    text = body.decode("utf-8", "replace")
    if text == "ok":
        return [("ok", "(the server took the POST's packets)")]
    packets = engineio.packets_in(body, polling=True)
    if not packets:
        return [(names.text(text), "(not an Engine.IO payload)")]
    out = []
    for packet in packets:
        if isinstance(packet.data, (bytes, bytearray)):
            out.append((f"b<base64 of {len(packet.data)} bytes>", "binary attachment of the packet before"))
        else:
            out.append(_packet(str(engineio.encode_packet(packet)), names))
    return out


def _packet(text: str, names: _Names) -> tuple[str, str]:
    types = {str(t.value): t.name.lower() for t in engineio.PacketType}
    meaning = types.get(text[:1], "(not an Engine.IO packet)")
    if text == "2probe" or text == "3probe":
        meaning += " (the upgrade's probe)"
    elif text[:1] == "4" and text[1:2].isdigit():
        meaning += f" · Socket.IO {SocketIOType(int(text[1])).name}" if int(text[1]) <= 6 else ""
    return names.text(text), meaning


def _refused(what: str) -> bool:
    return what.startswith("HTTP/1.1 4")


def _only_heartbeat(row: Row) -> bool:
    return bool(row.packets) and all(meaning in ("ping", "pong") for _, meaning in row.packets)
