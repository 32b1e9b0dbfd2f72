"""The frame header drawn as RFC 6455 §5.2 draws it: 32 bits to a row.

    frame_diagram(Frame(Opcode.TEXT, b"Hello"), mask_key=b"\\x37\\xfa\\x21\\x3d")
    frame_diagram(bytes.fromhex("c1 05 48 65 6c 6c 6f"))   # invalid: RSV1 set
    frame_diagram(bytes.fromhex("c1 07 f2 48 cd c9 c9 07 00"), compressed=True)
                                  # permessage-deflate negotiated: RSV1 = compressed (RFC 7692 §6)

Every field is a box over its bits, with the bits written in it, its name
under them and its decoded value under that; a table below repeats each field
with its meaning. An invalid or truncated frame is drawn as far as its bytes
go, the offending field outlined with a dashed border and marked "✗", and the
error message (RFC section, close code) written underneath.
"""

from __future__ import annotations

from dataclasses import replace

from wslab import frames, masking
from wslab.errors import IncompleteFrame, ProtocolError, WslabError
from wslab.frames import Frame, announced_length, header_fields
from wslab.viz import style
from wslab.viz.svg import Svg

BIT = 23  # width of one bit cell: two ruler digits at 12 px fit
LEFT = 12
RULER = 18  # height of the bit-number ruler
ROW = 70  # height of one 32-bit row: the bits, then up to three 12-px lines (name, value)
TEXT = 12  # no text under 12 px (readable at 100% zoom)
LINE = 17  # table line height
WIDTH = LEFT * 2 + 32 * BIT
PAYLOAD_BYTES_DRAWN = 8
SHORT = {
    "payload length": "payload len",
    "extended payload length": "extended payload length",
    "masking key": "masking key",
}


def frame_bytes(frame_or_bytes: Frame | bytes, mask_key: bytes | None = None) -> bytes:
    """The bytes a picture shows: `encode(frame, mask_key)` for a Frame, the bytes as given otherwise."""
    if isinstance(frame_or_bytes, Frame):
        return frames.encode(frame_or_bytes, mask_key)
    return bytes(frame_or_bytes)


def frame_error(data: bytes, role: frames.Role | None = None, *, compressed: bool = False) -> WslabError | None:
    """What is wrong with the frame at the start of `data`, or None if it decodes.

    `compressed`: permessage-deflate was negotiated, so RSV1 is its
    "Per-Message Compressed" bit (RFC 7692 §6), allowed on the first frame of a data message only.
    """
    try:
        if compressed and data and data[0] & 0x40:
            frames.check_rsv1(data[0] & 0x0F)
        frames.decode(data, role=role, rsv1_allowed=compressed)
    except (ProtocolError, IncompleteFrame) as error:
        return error
    return None


def error_field(error: WslabError | None) -> str | None:
    """The name of the field an error is about (ProtocolError.field), if it says."""
    if isinstance(error, IncompleteFrame):
        return None
    return getattr(error, "field", None)


def frame_diagram(
    frame_or_bytes: Frame | bytes,
    mask_key: bytes | None = None,
    *,
    role: frames.Role | None = None,
    compressed: bool = False,
) -> Svg:
    """Draw a frame (or raw bytes) in the §5.2 layout, with bits, names and values.

    `role` is the receiving endpoint ("server" or "client") when the masking
    rule of §5.1 should be checked too. `compressed`: permessage-deflate was
    negotiated, so RSV1 = 1 means "this message is compressed" (RFC 7692 §6)
    and the payload is inflated underneath.
    """
    data = frame_bytes(frame_or_bytes, mask_key)
    fields = header_fields(data)
    error = frame_error(data, role, compressed=compressed)
    if compressed:
        fields = [_compressed_meaning(f) for f in fields]
    bad = error_field(error)
    segments = list(_segments(fields, data))
    rows = max((seg[0] for seg in segments), default=0) + 1
    table_top = RULER + rows * ROW + 14
    table = _table_lines(fields, data, bad)
    message = _error_lines(error) if error is not None else _inflated_lines(fields, data) if compressed else []
    height = table_top + LINE * len(table) + (8 + LINE * len(message) if message else 0) + 26
    svg = Svg(WIDTH, height, title=_title(fields, data, error))
    _ruler(svg)
    for row, start, width, name, label, value, bits in segments:
        _box(svg, row, start, width, name, label, value, bits, marked=(name == bad))
    _write_table(svg, table, table_top)
    y = table_top + LINE * len(table) + 8
    for line in message:
        svg.text(
            LEFT, y + 12, line, size=TEXT, fill=style.ERROR if error is not None else style.INK, font_weight="bold"
        )
        y += LINE
    svg.text(LEFT, height - 8, _summary(fields, data), size=TEXT, fill=style.MUTED)
    return svg


# --- layout --------------------------------------------------------------------


def _segments(fields, data: bytes):
    """(row, first bit in row, width in bits, field name, label, value text, bits) per box."""
    for field in fields:
        if field.name == "payload":
            yield from _payload_segments(field, data, fields)
            continue
        bits = field.bits
        offset, left = field.offset, field.width
        first = True
        while left > 0:
            row, col = divmod(offset, 32)
            width = min(left, 32 - col)
            done = field.width - left
            label = SHORT.get(field.name, field.name) if first else f"{SHORT.get(field.name, field.name)} (cont.)"
            yield (row, col, width, field.name, label, _value_text(field) if first else "", bits[done : done + width])
            offset += width
            left -= width
            first = False


def _payload_segments(field, data: bytes, fields):
    start = field.offset // 8
    wire = data[start:]
    key = next((f.value for f in fields if f.name == "masking key"), None)
    shown = wire[:PAYLOAD_BYTES_DRAWN]
    for i, b in enumerate(shown):
        row, col = divmod(field.offset + 8 * i, 32)
        if key is not None:
            plain = b ^ key[i % 4]
            value = f"{b:02x}^{key[i % 4]:02x}={plain:02x} '{style.byte_char(plain)}'"
        else:
            value = f"0x{b:02x} '{style.byte_char(b)}'"
        yield row, col, 8, "payload", f"payload[{i}]", value, f"{b:08b}"
    rest = len(wire) - len(shown)
    if rest > 0:
        row, col = divmod(field.offset + 8 * len(shown), 32)
        yield row, col, 32 - col, "payload", f"… {rest} more payload byte{'s' if rest != 1 else ''}", "", ""
    expected = announced_length(fields)
    if expected is not None and expected > len(wire):
        row, col = divmod(field.offset + 8 * len(shown) + (32 if rest else 0), 32)
        yield row, col, 32 - col, "payload", f"{expected - len(wire)} bytes missing", "", ""


def _value_text(field) -> str:
    value = field.value
    if field.name == "opcode":
        name = getattr(value, "name", None)
        return f"0x{int(value):x} {name}" if name else f"0x{int(value):x} reserved"
    if field.name == "masking key":
        return " ".join(f"{b:02x}" for b in value)
    if field.name == "payload length":
        return {126: "126: 16 bits follow", 127: "127: 64 bits follow"}.get(value, f"{value} bytes")
    if field.name == "extended payload length":
        return f"{value} bytes"
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


# --- drawing -------------------------------------------------------------------


def _ruler(svg: Svg) -> None:
    for i in range(32):
        svg.text(LEFT + i * BIT + BIT / 2, 13, i, size=TEXT, anchor="middle", fill=style.MUTED)


def _box(
    svg: Svg, row: int, col: int, width: int, name: str, label: str, value: str, bits: str, *, marked: bool
) -> None:
    x, y, w = LEFT + col * BIT, RULER + row * ROW, width * BIT
    stroke = (
        {"stroke": style.ERROR, "stroke_width": 3, "stroke_dasharray": "5 3"}
        if marked
        else {"stroke": style.INK, "stroke_width": 1}
    )
    svg.rect(x, y, w, ROW - 4, fill=style.FIELD_FILL[name], **stroke)
    for i, bit in enumerate(bits):
        if i:
            svg.line(x + i * BIT, y + 2, x + i * BIT, y + 20, stroke=style.GRID, stroke_width=0.5)
        svg.text(x + i * BIT + BIT / 2, y + 15, bit, size=12, anchor="middle", fill=style.INK)
    ink = {"fill": style.ERROR if marked else style.INK, "font_weight": "bold" if marked else None}
    if width == 1:
        # One bit is too narrow for a name at 12 px: the name runs upwards, the bit above says the value.
        cx, cy = x + w / 2 + 4, y + 20 + (ROW - 24) / 2
        svg.text(
            cx,
            cy,
            ("✗" if marked else "") + label,
            size=TEXT,
            anchor="middle",
            transform=f"rotate(-90 {cx:g} {cy:g})",
            **ink,
        )
        return
    lines = [(text, True) for text in style.wrap(("✗ " if marked else "") + label, w - 2, TEXT)]
    lines += [(text, False) for text in (style.wrap(value, w - 2, TEXT) if value else [])]
    for i, (text, is_name) in enumerate(lines[:3]):
        svg.text(
            x + w / 2, y + 34 + 14 * i, text, size=TEXT, anchor="middle", **(ink if is_name else {"fill": style.INK})
        )


VALUE_COLUMN = 2 + 24 + 23  # characters before the meaning: mark, field, value


def _table_lines(fields, data: bytes, bad: str | None) -> list[tuple[str, bool]]:
    """The field table: name, value, meaning; a long meaning continues on the next lines (nothing cut)."""
    room = int((WIDTH - 2 * LEFT) / (TEXT * style.CHAR_WIDTH)) - VALUE_COLUMN
    lines = [(f"  {'field':<23} {'value':<22} meaning", False)]
    for field in fields:
        if field.name == "payload":
            n = len(data) - field.offset // 8
            expected = announced_length(fields)
            value = f"{n} bytes" if expected is None or expected <= n else f"{n} of {expected} bytes"
        else:
            value = _value_text(field)
        mark = "✗ " if field.name == bad else "  "
        meaning = style.wrap(field.meaning, room * TEXT * style.CHAR_WIDTH, TEXT)
        lines.append((f"{mark}{field.name:<23} {value:<22} {meaning[0]}", field.name == bad))
        lines += [(" " * VALUE_COLUMN + more, field.name == bad) for more in meaning[1:]]
    return lines


def _write_table(svg: Svg, lines: list[tuple[str, bool]], top: float) -> None:
    for i, (line, marked) in enumerate(lines):
        svg.text(
            LEFT,
            top + LINE * i + 12,
            line,
            size=TEXT,
            fill=style.ERROR if marked else style.INK,
            font_weight="bold" if (marked or i == 0) else None,
            style="white-space:pre",
        )


def _error_lines(error: WslabError) -> list[str]:
    kind = "incomplete frame" if isinstance(error, IncompleteFrame) else "invalid frame"
    return style.wrap(f"✗ {kind}: {error}", WIDTH - 2 * LEFT, TEXT)


def _summary(fields, data: bytes) -> str:
    payload = next((f for f in fields if f.name == "payload"), None)
    header = payload.offset // 8 if payload is not None else len(data)
    size = announced_length(fields) or 0
    present = len(data) - header
    missing = f" ({header + size - len(data)} not arrived)" if present < size else ""
    return f"{header}-byte header + {size}-byte payload = {header + size} bytes on the wire{missing}"


def _title(fields, data: bytes, error: WslabError | None) -> str:
    values = {f.name: f.value for f in fields}
    opcode = values.get("opcode")
    name = getattr(opcode, "name", "reserved opcode" if opcode is not None else "no opcode")
    masked = "masked" if values.get("MASK") else "unmasked"
    state = "invalid" if isinstance(error, ProtocolError) else "incomplete" if error else "valid"
    compressed = ", compressed" if values.get("RSV1") and "compressed" in _meaning(fields, "RSV1") else ""
    return f"frame diagram: {state} {name} frame{compressed}, {masked}, {len(data)} bytes"


def _meaning(fields, name: str) -> str:
    return next((f.meaning for f in fields if f.name == name), "")


def _compressed_meaning(field):
    """RSV1 as permessage-deflate defines it (RFC 7692 §6)."""
    if field.name != "RSV1":
        return field
    meaning = "1: compressed (permessage-deflate, §6)" if field.value else "0: not compressed (deflate negotiated)"
    return replace(field, meaning=meaning)


def _inflated_lines(fields, data: bytes) -> list[str]:
    """What a compressed first frame's payload inflates to (RFC 7692 §7.2.2), if it inflates on its own."""
    values = {f.name: f.value for f in fields}
    payload_field = next((f for f in fields if f.name == "payload"), None)
    if not values.get("RSV1") or payload_field is None or not values.get("FIN"):
        return []
    from wslab.deflate import inflate_steps

    payload = data[payload_field.offset // 8 :]
    key = next((f.value for f in fields if f.name == "masking key"), None)
    if key is not None:
        payload = masking.mask(payload, key)
    try:
        message = inflate_steps(payload, limit=1 << 20).message
    except WslabError:
        return style.wrap(
            "RSV1 = 1: the payload does not inflate on its own: with context takeover it needs "
            "the window of the messages before it (RFC 7692 §7.1.1)",
            WIDTH - 2 * LEFT,
            TEXT,
        )
    shown = message.decode("utf-8", "replace") if values.get("opcode") == frames.Opcode.TEXT else message.hex(" ")
    return style.wrap(
        f"RSV1 = 1: payload + 00 00 ff ff inflates to {shown[:60]!r} ({len(message)} bytes, "
        f"{len(payload)} on the wire; RFC 7692 §7.2.2)",
        WIDTH - 2 * LEFT,
        TEXT,
    )
