"""TEMPORARY stand-in for `frames.header_fields` (CONTRACTS.md) until core-frames lands."""

from __future__ import annotations

from dataclasses import dataclass

from wslab.codes import Opcode


@dataclass(frozen=True)
class Field:
    name: str
    offset: int
    width: int
    bits: str
    value: object
    meaning: str


def header_fields(data, mask_key=None):
    from wslab.frames import Frame, encode
    if isinstance(data, Frame):
        data = encode(data, mask_key)
    data = bytes(data)
    out = []
    if not data:
        return out
    b0 = data[0]
    bits0 = f"{b0:08b}"
    out.append(Field("FIN", 0, 1, bits0[0], bool(b0 & 0x80), "final fragment" if b0 & 0x80 else "more fragments follow"))
    for i, n in enumerate(("RSV1", "RSV2", "RSV3")):
        out.append(Field(n, 1 + i, 1, bits0[1 + i], bits0[1 + i] == "1", "reserved"))
    op = b0 & 0xF
    try:
        opv = Opcode(op)
        meaning = opv.meaning
    except ValueError:
        opv, meaning = op, "reserved"
    out.append(Field("opcode", 4, 4, bits0[4:], opv, meaning))
    if len(data) < 2:
        return out
    b1 = data[1]
    bits1 = f"{b1:08b}"
    masked = bool(b1 & 0x80)
    out.append(Field("MASK", 8, 1, bits1[0], masked, "masked" if masked else "not masked"))
    lf = b1 & 0x7F
    out.append(Field("payload length", 9, 7, bits1[1:], lf, "length"))
    pos = 2
    length = lf
    if lf in (126, 127):
        n = 2 if lf == 126 else 8
        if len(data) < 2 + n:
            return out
        length = int.from_bytes(data[2:2 + n], "big")
        out.append(Field("extended payload length", 16, 8 * n, "".join(f"{b:08b}" for b in data[2:2 + n]), length, "length"))
        pos += n
    if masked:
        if len(data) < pos + 4:
            return out
        out.append(Field("masking key", pos * 8, 32, "".join(f"{b:08b}" for b in data[pos:pos + 4]), data[pos:pos + 4], "key"))
        pos += 4
    out.append(Field("payload", pos * 8, 8 * length, "", data[pos:pos + length], "payload"))
    return out
