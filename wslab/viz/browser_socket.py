"""The browser's WebSocket beside the kernel's wire tap: what each side saw, and whether they agree.

Pure functions from two records to deterministic HTML:

* the browser's record: the events the page's JavaScript logged, each a dict
  (``{"type": "open", "protocol": "", "extensions": ""}``, ``{"type": "send",
  "kind": "text", "data": "hi"}``, ``{"type": "close", "code": 1000, ...}``,
  ``{"type": "exception", "call": "close(1001)", "name": "InvalidAccessError"}``);
* the kernel's record: `wslab.tap.TapEntry` items of the server's side.

`agreement(events, entries)` pairs them up connection by connection (the k-th
``new WebSocket(...)`` is the tap's k-th connection) and says, check by check,
whether the page and the wire tell the same story.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from wslab.codes import Opcode, close_code_name
from wslab.handshake import parse_response

# The tap's entries (`wslab.tap.TapEntry`) are read by their attributes only: pictures
# do not import the transport layer (ARCHITECTURE.md).
TapEntry = Any
CLIENT_TO_SERVER, SERVER_TO_CLIENT = "client->server", "server->client"

__all__ = [
    "READY_STATES",
    "Check",
    "BrowserView",
    "browser_code_allowed",
    "describe_event",
    "agreement",
    "connections_of",
    "wire_messages",
    "browser_view",
    "MAX_ROWS",
]

# WebSocket.readyState (WHATWG WebSockets Standard, "The WebSocket interface").
READY_STATES = {0: "CONNECTING", 1: "OPEN", 2: "CLOSING", 3: "CLOSED"}
MAX_ROWS = 40  # rows shown per side: the newest ones


def browser_code_allowed(code: int) -> bool:
    """Whether the browser's ``ws.close(code)`` accepts `code`: only 1000 and 3000-4999.

    The WebSockets Standard (close(), step 1) throws an "InvalidAccessError"
    DOMException for any other code before anything is sent: a page may not
    claim 1001 "going away" or 1011 "internal error", which only the browser or
    the server may send. RFC 6455 itself (§7.4.2) would allow more.
    """
    return code == 1000 or 3000 <= code <= 4999


def describe_event(event: dict) -> str:
    """One line for one event of the page, e.g. ``close: 4000 'bye', wasClean=true``."""
    kind = event.get("type", "?")
    if kind == "call":
        return str(event.get("call", ""))
    if kind == "readyState":
        value = event.get("value")
        return f"readyState → {value} {READY_STATES.get(value, '?') if isinstance(value, int) else '?'}"
    if kind == "open":
        return f"open: protocol {event.get('protocol', '')!r}, extensions {event.get('extensions', '')!r}"
    if kind == "send":
        return (
            f"send {event.get('kind')}: {_payload_text(event)} ({event.get('size', 0)} bytes); "
            f"bufferedAmount right after: {event.get('bufferedAmount', 0)}"
        )
    if kind == "message":
        return f"message: {event.get('dataType', '?')} {_payload_text(event)} ({event.get('size', 0)} bytes)"
    if kind == "error":
        return "error (the page is told nothing more; the close event follows)"
    if kind == "close":
        code = event.get("code")
        name = close_code_name(code) if isinstance(code, int) else str(code)
        clean = "true" if event.get("wasClean") else "false"
        return f"close: {name} {event.get('reason', '')!r}, wasClean={clean}"
    if kind == "exception":
        return f"{event.get('call', '')} threw {event.get('name', '')}: {event.get('message', '')}"
    if kind == "notice":
        return str(event.get("text", ""))
    return str(event)


def _payload_text(event: dict) -> str:
    if "data" in event:
        return _short(repr(event["data"]), 40)
    return _short(event.get("hex", "") or "-", 40)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- pairing the two records ------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One comparison between the page and the wire: `ok` is None when there is nothing to compare yet."""

    ok: bool | None
    text: str

    def __str__(self) -> str:
        mark = {True: "✓", False: "✗", None: "·"}[self.ok]
        return f"{mark} {self.text}"


def connections_of(events: Sequence[dict]) -> list[list[dict]]:
    """The page's events split at each ``new WebSocket(...)`` call, one list per connection attempt."""
    attempts: list[list[dict]] = []
    for event in events:
        if event.get("type") == "call" and str(event.get("call", "")).startswith("new WebSocket"):
            attempts.append([])
        if attempts:
            attempts[-1].append(event)
    return attempts


def wire_messages(entries: Sequence[TapEntry], direction: str) -> list[tuple[str, str]]:
    """The data messages in one direction, reassembled from their frames (§5.4):
    ``("text", the text)`` or ``("binary", hex)``."""
    messages: list[tuple[str, str]] = []
    parts: list[bytes] = []
    kind = None
    for entry in entries:
        if entry.kind != "frame" or entry.direction != direction or entry.frame.opcode.is_control:
            continue
        if entry.frame.opcode != Opcode.CONTINUATION:
            kind, parts = entry.frame.opcode, []
        parts.append(entry.frame.payload)
        if entry.frame.fin and kind is not None:
            payload = b"".join(parts)
            messages.append(
                ("text", payload.decode("utf-8", "replace")) if kind == Opcode.TEXT else ("binary", payload.hex(" "))
            )
    return messages


def _page_messages(events: Sequence[dict], kind: str) -> list[tuple[str, str]]:
    found = []
    for event in events:
        if event.get("type") != kind:
            continue
        if "data" in event:
            found.append(("text", event["data"]))
        else:
            found.append(("binary", event.get("hex", "")))
    return found


def _closes(entries: Sequence[TapEntry], direction: str) -> list[tuple[int | None, str]]:
    return [e.close for e in entries if e.kind == "frame" and e.direction == direction and e.close is not None]


def _header(entries: Sequence[TapEntry], name: str) -> str | None:
    """A header of the server's 101 response ("" when absent), None when the tap has not seen the response."""
    for entry in entries:
        if entry.kind == "http" and entry.direction != CLIENT_TO_SERVER:
            return parse_response(entry.data).header(name) or ""
    return None


def agreement(events: Sequence[dict], entries: Sequence[TapEntry]) -> list[Check]:
    """Compare the page's record with the tap's, for the latest connection attempt."""
    attempts = connections_of(events)
    if not attempts:
        return [Check(None, "nothing to compare yet: click connect")]
    tapped = list(dict.fromkeys(e.connection for e in entries))
    number = len(attempts)
    page = attempts[-1]
    if len(tapped) < number:
        opened = any(e.get("type") == "open" for e in page)
        return [
            Check(
                False if opened else None,
                f"connection attempt {number}: the tap has seen only {len(tapped)} connection(s)"
                + ("" if opened else " (the browser did not reach the server, or not yet)"),
            )
        ]
    wire = [e for e in entries if e.connection == tapped[number - 1]]
    checks = [Check(None, f"connection attempt {number} is the tap's connection {tapped[number - 1]}")]
    checks += _handshake_checks(page, wire)
    negotiated = _header(wire, "Sec-WebSocket-Extensions") or ""
    if negotiated and any(e.kind in ("error", "data") for e in wire):
        checks.append(
            Check(
                None,
                f"the frames are compressed ({negotiated!r}): the tap shows their bytes, "
                "but does not inflate them, so only the page's side of the messages is readable",
            )
        )
        return checks
    for label, kind, direction in (
        ("sent by the page", "send", CLIENT_TO_SERVER),
        ("received by the page", "message", SERVER_TO_CLIENT),
    ):
        said, seen = _page_messages(page, kind), wire_messages(wire, direction)
        if not said and not seen:
            continue
        sender = "client" if direction == CLIENT_TO_SERVER else "server"
        checks.append(
            Check(
                said == seen,
                f"{len(said)} message(s) {label}, {len(seen)} data message(s) "
                f"in the {sender}'s frames" + ("" if said == seen else ": they differ"),
            )
        )
    checks += _close_checks(page, wire)
    return checks


def _handshake_checks(page: Sequence[dict], wire: Sequence[TapEntry]) -> list[Check]:
    opened = next((e for e in page if e.get("type") == "open"), None)
    if opened is None:
        return []
    checks = []
    for name, attribute in (("Sec-WebSocket-Protocol", "protocol"), ("Sec-WebSocket-Extensions", "extensions")):
        header = _header(wire, name)
        if header is None:
            continue
        value = opened.get(attribute, "")
        checks.append(Check(value == header, f"ws.{attribute} {value!r}, the server's {name} {header!r}"))
    return checks


def _close_checks(page: Sequence[dict], wire: Sequence[TapEntry]) -> list[Check]:
    checks = []
    refused = [e for e in page if e.get("type") == "exception"]
    calls = [e for e in page if e.get("type") == "call" and str(e.get("call", "")).startswith("close")]
    client_closes = _closes(wire, CLIENT_TO_SERVER)
    if refused:
        checks.append(Check(None, f"{len(refused)} call(s) the browser refused itself; nothing of them is on the wire"))
    if calls:
        first = calls[0]
        expected = (first.get("code"), first.get("reason", ""))
        ok = bool(client_closes) and client_closes[0] == expected
        shown = client_closes[0] if client_closes else "none yet"
        checks.append(
            Check(ok if client_closes else None, f"the page's {first.get('call')} → the client's Close frame: {shown}")
        )
    closed = next((e for e in page if e.get("type") == "close"), None)
    if closed is not None:
        server_closes = _closes(wire, SERVER_TO_CLIENT)
        if server_closes:
            code, reason = server_closes[0]
            expected = (1005 if code is None else code, reason)
            ok = (closed.get("code"), closed.get("reason", "")) == expected
            checks.append(
                Check(
                    ok,
                    f"CloseEvent code {closed.get('code')} reason {closed.get('reason', '')!r}: "
                    f"the server's Close frame said {expected[0]} {expected[1]!r}",
                )
            )
        else:
            checks.append(
                Check(
                    None,
                    f"CloseEvent code {closed.get('code')}: no Close frame from the server "
                    f"(1006 means the TCP connection ended without one)",
                )
            )
    return checks


# --- the picture ---------------------------------------------------------------------


class BrowserView:
    """HTML of both records side by side; displays itself in Jupyter (and on GitHub)."""

    def __init__(self, html: str, title: str) -> None:
        self.html = html
        self.title = title

    def _repr_html_(self) -> str:
        return self.html

    def __str__(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return f"<BrowserView: {self.title}>"


_BOX = "flex:1 1 440px;min-width:0;border:1px solid #d1d5db;border-radius:4px;padding:6px 8px;background:#fff"
_LINE = "margin:1px 0;font-family:monospace;font-size:12px;white-space:pre-wrap;overflow-wrap:anywhere"
PAGE_INK, CLIENT_INK, SERVER_INK, ERROR_INK, MUTED_INK = "#6b21a8", "#1d4ed8", "#15803d", "#b91c1c", "#4b5563"


def browser_view(
    events: Sequence[dict],
    entries: Sequence[TapEntry],
    *,
    state: dict | None = None,
    status: bool = True,
    notice: str = "",
) -> BrowserView:
    """The page's events (left), the kernel's tap (right), the checks under them;
    above them the socket's `state` (readyState, bufferedAmount, ...) unless `status` is False."""
    state = state or {}
    left = "".join(_event_line(i, e) for i, e in list(enumerate(events, 1))[-MAX_ROWS:]) or _muted(
        "no events yet: in JupyterLab, click connect (the page's JavaScript opens the WebSocket)"
    )
    right = "".join(_entry_lines(e) for e in entries[-MAX_ROWS:]) or _muted(
        "no bytes yet: the server in the kernel has seen no connection"
    )
    checks = "".join(
        f'<div style="{_LINE};color:{_check_ink(c)}">{escape(str(c))}</div>' for c in agreement(events, entries)
    )
    line = f'<div style="{_LINE};color:{MUTED_INK}">{escape(_status(state))}</div>' if status else ""
    warn = (
        (
            f'<div class="wslab-notice" style="{_LINE};color:{ERROR_INK};font-weight:bold;margin:4px 0">'
            f"{escape(notice)}</div>"
        )
        if notice
        else ""
    )
    html = (
        f'<div class="wslab-browser-view" style="font-size:12px">{warn}'
        f'{line}<div style="display:flex;flex-wrap:wrap;gap:8px;margin-top:4px">'
        f'<div style="{_BOX}"><div style="font-weight:bold;color:{PAGE_INK};font-size:13px">'
        f"in the browser: the page's WebSocket events</div>{left}</div>"
        f'<div style="{_BOX}"><div style="font-weight:bold;color:{SERVER_INK};font-size:13px">'
        f"on the wire: the kernel's tap (server side), byte for byte</div>{right}</div></div>"
        f'<div style="margin-top:4px">{checks}</div></div>'
    )
    return BrowserView(html, f"{len(events)} page events, {len(entries)} tapped entries")


def _status(state: dict) -> str:
    if not state:
        return "readyState: no WebSocket yet"
    ready = state.get("readyState")
    name = READY_STATES.get(ready, "") if isinstance(ready, int) else ""
    return (
        f"readyState {ready} {name} · bufferedAmount {state.get('bufferedAmount', 0)} · "
        f"protocol {state.get('protocol', '')!r} · extensions {state.get('extensions', '')!r} · "
        f"binaryType {state.get('binaryType', '')!r}"
    )


def _event_line(number: int, event: dict) -> str:
    kind = event.get("type")
    ink = ERROR_INK if kind in ("exception", "error") else MUTED_INK if kind in ("readyState", "notice") else PAGE_INK
    weight = "bold" if kind in ("open", "close", "exception") else "normal"
    return (
        f'<div class="wslab-event" data-type="{escape(str(kind))}" style="{_LINE};color:{ink};'
        f'font-weight:{weight}">{number:>2} {escape(describe_event(event))}</div>'
    )


def _entry_lines(entry: TapEntry) -> str:
    arrow = "→" if entry.direction == CLIENT_TO_SERVER else "←"
    ink = ERROR_INK if entry.kind == "error" else CLIENT_INK if entry.direction == CLIENT_TO_SERVER else SERVER_INK
    what = entry.describe() if entry.kind != "http" else f"HTTP {entry.describe()} ({len(entry.data)} bytes)"
    wire = _hex_lines(entry.data) if entry.kind in ("frame", "error", "data") else ""
    return (
        f'<div class="wslab-entry" style="{_LINE};color:{ink}">#{entry.number} {entry.connection} {arrow} '
        f"{escape(what)}</div>{wire}"
    )


def _hex_lines(data: bytes, limit: int = 48) -> str:
    shown = data[:limit].hex(" ") + (f" … (+{len(data) - limit} bytes)" if len(data) > limit else "")
    return f'<div style="{_LINE};color:{MUTED_INK};padding-left:2em">{escape(shown)}</div>'


def _muted(text: str) -> str:
    return f'<div style="{_LINE};color:{MUTED_INK};font-style:italic">{escape(text)}</div>'


def _check_ink(check: Check) -> str:
    return {True: SERVER_INK, False: ERROR_INK, None: MUTED_INK}[check.ok]
