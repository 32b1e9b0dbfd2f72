"""A hex dump with the frame header told apart from the payload.

Header bytes sit in shaded boxes with a solid border, masking-key bytes in a
dotted border, payload bytes plain; a legend under the dump says which is
which and how many of each there are, so it reads without colour too.
"""

from __future__ import annotations

from wslab.frames import Frame
from wslab.viz import style
from wslab.viz.frame import frame_bytes, header_fields
from wslab.viz.svg import Svg

CELL = 24
LEFT = 52
TOP = 18
LINE = 20
MAX_ROWS = 12


def hexdump(
    frame_or_bytes: Frame | bytes, mask_key: bytes | None = None, *, header_size: int | None = None, per_row: int = 16
) -> Svg:
    """Draw the bytes of a frame, 16 to a row, header and masking key marked.

    `header_size` overrides where the header ends (for bytes that are not a
    frame at all, pass 0); by default it comes from the frame's own fields.
    """
    data = frame_bytes(frame_or_bytes, mask_key)
    kinds = _byte_kinds(data, header_size)
    rows = (len(data) + per_row - 1) // per_row
    shown_rows = min(rows, MAX_ROWS)
    ascii_x = LEFT + per_row * CELL + 12 + 14
    width = ascii_x + per_row * 8 + 12
    height = TOP + shown_rows * LINE + (LINE if rows > shown_rows else 0) + 42
    counts = {k: kinds.count(k) for k in ("header", "key", "payload")}
    svg = Svg(
        width,
        height,
        title=f"hex dump: {len(data)} bytes ({counts['header'] + counts['key']} header, {counts['payload']} payload)",
    )
    for i in range(per_row):
        svg.text(_x(i), 12, f"{i:x}", size=12, anchor="middle", fill=style.MUTED)
    for row in range(shown_rows):
        y = TOP + row * LINE
        svg.text(LEFT - 8, y + 14, f"{row * per_row:04x}", size=12, anchor="end", fill=style.MUTED)
        for i, b in enumerate(data[row * per_row : (row + 1) * per_row]):
            _cell(svg, _x(i), y, b, kinds[row * per_row + i])
            svg.text(ascii_x + i * 8, y + 14, style.byte_char(b), size=12, fill=style.INK, style="white-space:pre")
    y = TOP + shown_rows * LINE
    if rows > shown_rows:
        svg.text(LEFT, y + 14, f"… {len(data) - shown_rows * per_row} more bytes not shown", size=12, fill=style.MUTED)
        y += LINE
    _legend(svg, y + 10, counts)
    return svg


def _x(i: int) -> float:
    return LEFT + i * CELL + (12 if i >= 8 else 0) + CELL / 2


def _byte_kinds(data: bytes, header_size: int | None) -> list[str]:
    if header_size is not None:
        return ["header" if i < header_size else "payload" for i in range(len(data))]
    kinds = ["payload"] * len(data)
    payload_start = len(data)
    for field in header_fields(data):
        start, end = field.offset // 8, (field.offset + field.width + 7) // 8
        if field.name == "payload":
            payload_start = start
            continue
        for i in range(start, min(end, len(data))):
            kinds[i] = "key" if field.name == "masking key" else "header"
    for i in range(min(payload_start, len(data))):
        if kinds[i] == "payload":
            kinds[i] = "header"
    return kinds


def _cell(svg: Svg, cx: float, y: float, b: int, kind: str) -> None:
    if kind == "header":
        svg.rect(cx - CELL / 2 + 1, y + 2, CELL - 2, LINE - 3, fill=style.HEADER_FILL, stroke=style.INK, stroke_width=1)
    elif kind == "key":
        svg.rect(
            cx - CELL / 2 + 1,
            y + 2,
            CELL - 2,
            LINE - 3,
            fill=style.KEY_FILL,
            stroke=style.INK,
            stroke_width=1,
            stroke_dasharray="2 2",
        )
    svg.text(
        cx,
        y + 14,
        f"{b:02x}",
        size=12,
        anchor="middle",
        fill=style.INK,
        font_weight="bold" if kind != "payload" else None,
    )


def _legend(svg: Svg, y: float, counts: dict[str, int]) -> None:
    x = LEFT
    svg.rect(x, y, 18, 14, fill=style.HEADER_FILL, stroke=style.INK, stroke_width=1)
    svg.text(x + 24, y + 11, f"header ({counts['header']} bytes)", size=12)
    x += 170
    if counts["key"]:
        svg.rect(x, y, 18, 14, fill=style.KEY_FILL, stroke=style.INK, stroke_width=1, stroke_dasharray="2 2")
        svg.text(x + 24, y + 11, f"masking key ({counts['key']} bytes)", size=12)
        x += 190
    svg.rect(x, y, 18, 14, fill=style.PAYLOAD_FILL, stroke=style.GRID, stroke_width=0.5)
    svg.text(x + 24, y + 11, f"payload ({counts['payload']} bytes)", size=12)
