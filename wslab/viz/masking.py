"""Masking (RFC 6455 §5.3) drawn byte by byte: ``masked[i] = payload[i] XOR key[i mod 4]``."""

from __future__ import annotations

from wslab import masking
from wslab.viz import style
from wslab.viz.svg import Svg

WIDTH = 720
ROW = 20
BIT_ROWS = 4  # bytes whose XOR is written out bit by bit
TABLE_ROWS = 12  # bytes listed in the table


def masking_view(payload: bytes, key: bytes, *, bit_rows: int = BIT_ROWS, limit: int = TABLE_ROWS) -> Svg:
    """The masking of `payload` with the 4-byte `key`: per byte i, key byte ``i mod 4``,
    the XOR bit by bit for the first `bit_rows` bytes, the result, and the round trip."""
    rows = masking.mask_table(payload, key, limit=limit)
    masked = masking.mask(payload, key)
    back = masking.mask(masked, key)
    lines = _summary(payload, key, masked, back)
    height = 40 + ROW * (len(rows) + 1) + (ROW if len(payload) > len(rows) else 0) + 18 * len(lines) + 16
    svg = Svg(WIDTH, height, title=f"masking: {len(payload)} bytes with key {key.hex(' ')}")
    svg.text(12, 18, "masked[i] = payload[i] XOR key[i mod 4]   (RFC 6455 §5.3)", size=12, font_weight="bold")
    _key_strip(svg, key)
    y = 40
    for x, head in _COLUMNS_HEAD:
        svg.text(x, y + 14, head, size=12, font_weight="bold")
    for i, j, p, k, m in rows:
        y += ROW
        fill = style.FIELD_FILL["masking key"] if j % 2 == 0 else "#ffffff"
        svg.rect(10, y + 2, WIDTH - 20, ROW - 2, fill=fill, stroke="none")
        bits = i < bit_rows
        cells = [
            (40, f"{i}", "end"),
            (100, f"{j}", "end"),
            (120, f"{p:08b}" if bits else "", "start"),
            (190, f"0x{p:02x} '{style.byte_char(p)}'", "start"),
            (290, "XOR", "start"),
            (325, f"{k:08b}" if bits else "", "start"),
            (395, f"0x{k:02x}", "start"),
            (450, "=", "start"),
            (475, f"{m:08b}" if bits else "", "start"),
            (545, f"0x{m:02x} '{style.byte_char(m)}'", "start"),
        ]
        for x, text, anchor in cells:
            if text:
                svg.text(x, y + 15, text, size=12, anchor=anchor, style="white-space:pre")
    if len(payload) > len(rows):
        y += ROW
        svg.text(12, y + 15, f"… {len(payload) - len(rows)} more bytes, same rule", size=12, fill=style.MUTED)
    y += ROW + 10
    for line, ok in lines:
        svg.text(
            12,
            y + 12,
            style.fit(line, WIDTH - 24, 12),
            size=12,
            fill=(style.OK if ok else style.ERROR) if ok is not None else style.INK,
            style="white-space:pre",
        )
        y += 18
    return svg


_COLUMNS_HEAD = [(12, "i"), (60, "i mod 4"), (120, "payload byte"), (325, "key byte"), (475, "masked byte")]


def _key_strip(svg: Svg, key: bytes) -> None:
    x = WIDTH - 12 - 4 * 54
    svg.text(x - 6, 34, "key:", size=12, anchor="end")
    for j, b in enumerate(key):
        svg.rect(x + j * 54, 21, 52, 18, fill=style.FIELD_FILL["masking key"], stroke=style.INK, stroke_width=1)
        svg.text(x + j * 54 + 26, 34, f"[{j}] {b:02x}", size=12, anchor="middle")


def _summary(payload: bytes, key: bytes, masked: bytes, back: bytes) -> list[tuple[str, bool | None]]:
    def show(data: bytes) -> str:
        return data[:24].hex(" ") + (" …" if len(data) > 24 else "")

    same = back == payload
    return [
        (f"payload : {show(payload)}", None),
        (f"key x n : {show((key * (len(payload) // 4 + 1))[: len(payload)])}", None),
        (f"masked  : {show(masked)}", None),
        (f"unmasked: {show(back)}", None),
        (f"masking twice gives back the payload: {same}" + (" (XOR is its own inverse)" if same else ""), same),
    ]
