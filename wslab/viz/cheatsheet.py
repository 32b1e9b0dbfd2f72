"""A one-page printable cheat sheet: the handshake, the frame layout, opcodes, close codes, the emit table.

Every value on it is computed by wslab: the accept key by `wslab.handshake`,
the example frame by `wslab.frames.encode`, the meanings from `wslab.codes`,
and who receives each emit by running it on the simulated Socket.IO server
(`wslab.events`). The page is A4 at 96 px per inch (794 x 1123), black on
white, so it prints as it shows. ``docs/cheatsheet.svg`` is this picture.
"""

from __future__ import annotations

from wslab import frames, handshake
from wslab.codes import CloseCode, Opcode
from wslab.masking import RFC_MASK_KEY
from wslab.viz import style
from wslab.viz.svg import Svg

__all__ = ["cheatsheet", "emit_rows", "WIDTH", "HEIGHT"]

WIDTH, HEIGHT = 794, 1123
MARGIN = 36
INK, MUTED = style.INK, style.MUTED
SIZE = 12
LINE = 16

# The frame header of §5.2 as (label, bits), row by row of 32 bits.
FRAME_ROWS = [
    [
        ("FIN", 1),
        ("RSV1", 1),
        ("RSV2", 1),
        ("RSV3", 1),
        ("opcode", 4),
        ("MASK", 1),
        ("payload len", 7),
        ("extended payload length (16 bits if 126)", 16),
    ],
    [("extended payload length, continued (64 bits if 127)", 32)],
    [("extended payload length, continued", 16), ("masking key (if M = 1)", 16)],
    [("masking key, continued", 16), ("payload data ...", 16)],
]
FIELD_FILL = {
    "FIN": "FIN",
    "RSV1": "RSV1",
    "RSV2": "RSV2",
    "RSV3": "RSV3",
    "opcode": "opcode",
    "MASK": "MASK",
    "payload len": "payload length",
}


def _fill(label: str) -> str:
    if label in FIELD_FILL:
        return style.FIELD_FILL[FIELD_FILL[label]]
    if "extended" in label:
        return style.FIELD_FILL["extended payload length"]
    if "masking key" in label:
        return style.FIELD_FILL["masking key"]
    return style.FIELD_FILL["payload"]


def emit_rows() -> list[tuple[str, str]]:
    """(call, who receives it) for each emit pattern, run as alice with alice and bob in room "red", carol not."""
    from wslab.events import Server
    from wslab.events.patterns import PATTERN_CALLS, emit_as

    io = Server()
    for name in ("alice", "bob", "carol"):
        io.client(name).connect()
    io.socket_of("alice").join("red")
    io.socket_of("bob").join("red")
    rows = []
    for pattern, call in PATTERN_CALLS.items():
        emit_as(io, pattern, "alice", "chat", "hi", room="red" if "room" in pattern else None)
        delivery = io.trace.last_event()
        assert delivery is not None, "an emit is always traced"
        call = call.replace("room", '"red"').replace("event, ...", "…").replace("client: ", "client ")
        rows.append((call, ", ".join(delivery.recipients) or "nobody"))
    return rows


class _Page:
    def __init__(self) -> None:
        self.svg = Svg(WIDTH, HEIGHT, title="WebSocket (RFC 6455) and Socket.IO cheat sheet")
        self.svg.rect(0, 0, WIDTH, HEIGHT, fill="#ffffff")
        self.y: float = MARGIN

    def heading(self, text: str, *, x: float = MARGIN, right: float = WIDTH - MARGIN) -> None:
        self.svg.text(x, self.y + 24, text, size=15, font_weight="bold", fill=INK)
        self.svg.line(x, self.y + 30, right, self.y + 30, stroke=style.GRID)
        self.y += 38

    def line(self, text: str, *, x: float = MARGIN, fill: str = INK, **style_: str) -> None:
        self.svg.text(x, self.y + SIZE, text, size=SIZE, fill=fill, **style_)
        self.y += LINE

    def columns(self, rows: list[tuple[str, str]], *, x: float = MARGIN, split: float) -> None:
        for left, right in rows:
            self.svg.text(x, self.y + SIZE, left, size=SIZE, fill=INK, font_weight="bold")
            self.svg.text(x + split, self.y + SIZE, right, size=SIZE, fill=INK)
            self.y += LINE


def cheatsheet() -> Svg:
    """The whole page."""
    page = _Page()
    page.svg.text(
        MARGIN, page.y + 20, "WebSocket (RFC 6455) · Socket.IO — cheat sheet", size=20, font_weight="bold", fill=INK
    )
    page.y += 26
    page.line("wslab teaching kit · every value on this page is computed by wslab", fill=MUTED)
    _handshake(page)
    _frame(page)
    _close_codes(page)
    _opcodes_and_emits(page)
    return page.svg


def _handshake(page: _Page) -> None:
    page.heading("Opening handshake (§4)")
    request_bytes = handshake.build_request("server.example", "/chat", key=handshake.RFC_KEY)
    request = request_bytes.decode().split("\r\n")[:6]
    response = handshake.build_response(handshake.parse_request(request_bytes)).decode().split("\r\n")[:4]
    top = page.y
    for text in request:
        page.line(text)
    page.y, bottom = top, page.y
    for text in response:
        page.line(text, x=WIDTH / 2 - 20)
    page.y = max(bottom, page.y) + 4
    page.line('Sec-WebSocket-Accept = base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))')
    page.line("refused: 400 a rule of §4.2.1 · 403 Origin not allowed (§10.2) · 426 other version (§4.4)", fill=MUTED)


def _frame(page: _Page) -> None:
    page.heading("Frame header (§5.2): bit 0 is the most significant")
    svg, left = page.svg, MARGIN
    bit = (WIDTH - 2 * MARGIN) / 32
    for n in range(32):
        svg.text(left + n * bit + bit / 2, page.y + SIZE, n % 10, size=SIZE, anchor="middle", fill=MUTED)
    page.y += 16
    for row in FRAME_ROWS:
        x: float = left
        for label, width in row:
            w = width * bit
            svg.rect(x, page.y, w, 26, fill=_fill(label), stroke=INK, stroke_width=0.8)
            svg.text(x + w / 2, page.y + 17, SHORT.get(label, label), size=SIZE, anchor="middle", fill=INK)
            x += w
        page.y += 26
    page.y += 6
    wire = frames.encode(frames.Frame(Opcode.TEXT, b"Hello"), mask_key=RFC_MASK_KEY)
    for text in [
        "R1-R3 = RSV1-RSV3: 0 unless an extension defines them (RSV1: permessage-deflate) · M = MASK",
        "payload len 0-125: the length · 126: a 16-bit length follows · 127: a 64-bit one (minimal: MUST)",
        "client → server: MUST be masked; server → client: MUST NOT (§5.1)",
        "masked[i] = data[i] XOR key[i mod 4] (§5.3) · control frames: FIN = 1, payload ≤ 125 (§5.5)",
        f'"Hello" from a client, masked: {wire.hex(" ")}  (§5.7)',
    ]:
        page.line(text)


def _close_codes(page: _Page) -> None:
    page.heading("Close codes (§7.4)")
    codes = [(f"{int(code)}  {code.name}", code.meaning) for code in CloseCode]
    codes += [
        ("3000-3999", "registered for libraries and frameworks (IANA)"),
        ("4000-4999", "private use"),
        ("other", "invalid in a Close frame: the receiver answers 1002"),
    ]
    page.columns(codes, split=230)


def _opcodes_and_emits(page: _Page) -> None:
    half = WIDTH / 2
    top = page.y
    page.heading("Opcodes (§5.2)", right=half - 16)
    rows = [(f"0x{int(op):X} {op.name}", _OPCODE_SHORT[op]) for op in Opcode]
    rows.append(("0x3-7, 0xB-F", "reserved: 1002"))
    page.columns(rows, split=150)
    bottom, page.y = page.y, top
    page.heading("Socket.IO: who receives?", x=half, right=WIDTH - MARGIN)
    page.columns(emit_rows(), x=half, split=208)
    page.line('alice emits; alice, bob in room "red"', x=half, fill=MUTED)
    page.y = max(bottom, page.y)
    page.line('on the wire: 42["chat","hi"] (Engine.IO 4 = message, Socket.IO 2 = event)', fill=MUTED)


SHORT = {"FIN": "FIN", "RSV1": "R1", "RSV2": "R2", "RSV3": "R3", "MASK": "M"}
_OPCODE_SHORT = {
    Opcode.CONTINUATION: "continues a message",
    Opcode.TEXT: "text (UTF-8)",
    Opcode.BINARY: "binary",
    Opcode.CLOSE: "close",
    Opcode.PING: "ping",
    Opcode.PONG: "pong",
}
