"""Encoding and decoding a frame one step at a time, as text (RFC 6455 §5.2, §5.3).

    for step in encode_steps(Frame(Opcode.TEXT, b"Hello"), mask_key=key):
        print(step)   # 1. first byte: FIN, RSV1-3, opcode: FIN=1 RSV=000 opcode=0001 ... -> 0x81

The steps are drawn from the core: `decode_steps` walks the fields that
`wslab.frames.read_header` yields, so it checks each rule exactly where
`decode` does and stops with the very error `decode` raises.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from wslab.codes import Opcode, close_code_name
from wslab.errors import IncompleteFrame, ProtocolError, WslabError
from wslab.frames import (
    MAX_CONTROL_PAYLOAD,
    Field,
    Frame,
    Role,
    encode,
    header_fields,
    header_size,
    parse_close,
    read_header,
)
from wslab.masking import mask

__all__ = ["Step", "encode_steps", "decode_steps"]


@dataclass(frozen=True)
class Step:
    """One step of encoding or decoding a frame: what was done, and the bytes it produced or read.

    `error` is set on the step that stops a decode: the `ProtocolError` (or
    `IncompleteFrame`) that `wslab.frames.decode` raises for the same bytes.
    """

    title: str
    detail: str
    data: bytes = b""
    error: WslabError | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return f"{self.title}: {self.detail}"


def encode_steps(frame: Frame, mask_key: bytes | None = None) -> list[Step]:
    """`encode` one step at a time (§5.2, §5.3); the steps' data joined is ``encode(frame, mask_key)``."""
    steps: list[Step] = []

    def step(title: str, detail: str, data: bytes) -> None:
        steps.append(Step(f"{len(steps) + 1}. {title}", detail, data))

    wire = encode(frame, mask_key)
    b0, b1 = wire[0], wire[1]
    opcode = int(frame.opcode)
    step(
        "first byte: FIN, RSV1-3, opcode",
        f"FIN={int(frame.fin)} RSV={int(frame.rsv1)}{int(frame.rsv2)}{int(frame.rsv3)} "
        f"opcode={opcode:04b} ({header_fields(wire)[4].meaning}) -> {b0:#04x}",
        wire[:1],
    )
    length = len(frame.payload)
    masked = mask_key is not None
    length_field = b1 & 0x7F
    if length_field <= MAX_CONTROL_PAYLOAD:
        why = f"payload length {length} fits in the 7 bits"
    else:
        bits = 16 if length_field == 126 else 64
        limit = "125" if bits == 16 else "65535"
        why = f"payload length {length} > {limit}: field {length_field}, a {bits}-bit length follows"
    step("second byte: MASK, payload length", f"MASK={int(masked)}, {why} -> {b1:#04x}", wire[1:2])
    pos = header_size(length, masked=False)
    if pos > 2:
        step(
            "extended payload length",
            f"{length} as a {8 * (pos - 2)}-bit big-endian integer -> {wire[2:pos].hex(' ')}",
            wire[2:pos],
        )
    if mask_key is not None:
        step(
            "masking key",
            f"4 bytes the client picks at random for this frame (§5.3): {mask_key.hex(' ')}",
            bytes(mask_key),
        )
        pos += 4
        step(
            "mask the payload", f"payload[i] XOR key[i mod 4]: {_hex(frame.payload)} -> {_hex(wire[pos:])}", wire[pos:]
        )
    else:
        step("payload", f"{length} bytes as they are (not masked): {_hex(frame.payload)}", wire[pos:])
    return steps


def decode_steps(data: bytes, role: Role | None = None, *, max_size: int | None = None) -> list[Step]:
    """`decode` one step at a time, each rule checked where `decode` checks it (§5.2, §5.5, §7.4).

    Stops with a step whose `.error` is the error `decode` raises for the same
    bytes (a broken rule, or too few bytes). Otherwise the last step names the frame.
    """
    data = bytes(data)
    steps: list[Step] = []

    def step(title: str, detail: str, data: bytes = b"", error: WslabError | None = None) -> None:
        steps.append(Step(f"{len(steps) + 1}. {title}", detail, data, error))

    values: dict[str, object] = {}
    try:
        for item in read_header(data, role=role, max_size=max_size):
            values[item.name] = item.value
            _header_step(item, data, step)
        masked, opcode = bool(values["MASK"]), int(values["opcode"])  # type: ignore[call-overload]
        payload_length = int(values.get("extended payload length", values["payload length"]))  # type: ignore[call-overload]
        size = header_size(payload_length, masked=masked)
        end = size + payload_length
        if len(data) < end:
            raise IncompleteFrame(end - len(data))
        payload = data[size:end]
        step("payload", f"{payload_length} bytes, {'masked' if masked else 'not masked'}: {_hex(payload)}", payload)
        key = values.get("masking key")
        if isinstance(key, bytes):
            payload = mask(payload, key)
            step("unmask", f"payload[i] XOR key[i mod 4] -> {_hex(payload)}", payload)
        if opcode == Opcode.CLOSE:
            code, reason = parse_close(payload)
            said = "no code (reported as 1005)" if code is None else f"code {close_code_name(code)}, reason {reason!r}"
            step("close payload: 2-byte code, UTF-8 reason", said, payload)
    except (ProtocolError, IncompleteFrame) as error:
        title = "incomplete" if isinstance(error, IncompleteFrame) else f"error in {error.field or 'the frame'}"
        step(title, str(error), b"", error)
        return steps
    step("frame", f"{Opcode(opcode).name}, fin={values['FIN']}, {payload_length} bytes of payload; {end} bytes read")
    return steps


def _header_step(item: Field, data: bytes, step) -> None:
    """The step a header field completes, if it completes one (a byte, a length, the key)."""
    if item.name == "opcode":
        b0 = data[0]
        step(
            "first byte: FIN, RSV1-3, opcode",
            f"{b0:#04x} -> FIN={b0 >> 7} RSV={(b0 >> 4) & 0b111:03b} opcode={b0 & 0x0F:04b} ({item.meaning})",
            data[:1],
        )
    elif item.name == "payload length":
        b1 = data[1]
        step(
            "second byte: MASK, payload length",
            f"{b1:#04x} -> MASK={b1 >> 7}, payload length field {item.value} ({item.meaning})",
            data[1:2],
        )
    elif item.name == "extended payload length":
        raw = data[2 : 2 + item.width // 8]
        step("extended payload length", f"{raw.hex(' ')} -> {item.value} ({item.width}-bit big-endian)", raw)
    elif item.name == "masking key":
        key = bytes(item.value)  # type: ignore[call-overload]
        step("masking key", key.hex(" "), key)


def _hex(data: bytes, limit: int = 16) -> str:
    """Bytes as hex pairs, the first `limit` of them for a long payload."""
    if len(data) <= limit:
        return data.hex(" ") if data else "(empty)"
    return f"{data[:limit].hex(' ')} ... ({len(data)} bytes)"
