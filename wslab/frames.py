"""WebSocket frames: the base framing protocol of RFC 6455 §5.2.

      0                   1                   2                   3
      0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
     +-+-+-+-+-------+-+-------------+-------------------------------+
     |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
     |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
     |N|V|V|V|       |S|             |   (if payload len==126/127)   |
     | |1|2|3|       |K|             |                               |
     +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
     |     Extended payload length continued, if payload len == 127  |
     + - - - - - - - - - - - - - - - +-------------------------------+
     |                               |Masking-key, if MASK set to 1  |
     +-------------------------------+-------------------------------+
     | Masking-key (continued)       |          Payload Data         |
     +-------------------------------- - - - - - - - - - - - - - - - +

`encode` writes a frame exactly as given (so a lesson can build a broken one);
`parse_header`, `decode` and `FrameParser` read frames and enforce every
frame-level MUST of §5 and §7.4. Message-level rules (UTF-8 across fragments,
continuation order) belong to `wslab.connection`.
"""

from __future__ import annotations

import struct
from collections import deque
from dataclasses import dataclass, field
from typing import Iterator, Literal

from wslab.codes import NEVER_SENT, CloseCode, Opcode, close_code_allowed, close_code_name
from wslab.errors import IncompleteFrame, InvalidUTF8, PayloadTooBig, ProtocolError, WslabError
from wslab.masking import mask

__all__ = [
    "Opcode", "CloseCode", "Frame", "Header", "encode", "decode", "parse_header",
    "check_frame", "FrameParser", "close_payload", "parse_close", "MAX_CONTROL_PAYLOAD",
    "Field", "header_fields", "Step", "encode_steps", "decode_steps",
]

Role = Literal["client", "server"]

MAX_CONTROL_PAYLOAD = 125  # §5.5: "All control frames MUST have a payload length of 125 bytes or less"
_LENGTH_16 = 126  # 7-bit length value announcing a 16-bit extended length
_LENGTH_64 = 127  # ... and a 64-bit one


@dataclass(frozen=True)
class Frame:
    """One frame as the application sees it: header bits and the unmasked payload."""

    opcode: Opcode
    payload: bytes = b""
    fin: bool = True
    rsv1: bool = False
    rsv2: bool = False
    rsv3: bool = False

    def __post_init__(self) -> None:
        if type(self.payload) is not bytes:
            object.__setattr__(self, "payload", bytes(self.payload))
        if type(self.opcode) is Opcode:  # the common case, checked first: frames are decoded by the thousand
            return
        try:
            object.__setattr__(self, "opcode", Opcode(self.opcode))
        except ValueError:
            if not 0 <= int(self.opcode) <= 0xF:
                raise ValueError(f"an opcode is 4 bits (0-15), got {self.opcode}") from None
            # A reserved opcode (3-7, 11-15) stays a plain int, so an invalid
            # frame can still be built, encoded and drawn.


@dataclass(frozen=True)
class Header:
    """The fields of a frame header as they stand on the wire (§5.2)."""

    fin: bool
    rsv1: bool
    rsv2: bool
    rsv3: bool
    opcode: int
    masked: bool
    length_field: int  # the 7-bit "Payload len": the length itself, or 126 / 127
    payload_length: int
    mask_key: bytes | None
    size: int  # bytes of header: 2, +2 or +8 extended length, +4 masking key


# --- writing -------------------------------------------------------------------

def encode(frame: Frame, mask_key: bytes | None = None) -> bytes:
    """The bytes of `frame` on the wire (§5.2), masked with `mask_key` if given (§5.3).

    The payload length uses the minimal encoding, as §5.2 requires:
    0-125 in the 7-bit field, up to 65535 in 16 bits (field = 126),
    anything larger in 64 bits (field = 127).
    """
    first = (frame.fin << 7) | (frame.rsv1 << 6) | (frame.rsv2 << 5) | (frame.rsv3 << 4) | int(frame.opcode)
    masked = mask_key is not None
    length = len(frame.payload)
    if length <= 125:
        header = struct.pack("!BB", first, (masked << 7) | length)
    elif length <= 0xFFFF:
        header = struct.pack("!BBH", first, (masked << 7) | _LENGTH_16, length)
    else:
        header = struct.pack("!BBQ", first, (masked << 7) | _LENGTH_64, length)
    if not masked:
        return header + frame.payload
    return header + mask_key + mask(frame.payload, mask_key)


def close_payload(code: int | None = None, reason: str = "") -> bytes:
    """The payload of a Close frame: a 2-byte code, then a UTF-8 reason (§5.5.1).

    No code means an empty payload (the peer then reports 1005).
    """
    if code is None:
        if reason:
            raise ValueError("a close reason needs a close code before it (RFC 6455 §5.5.1)")
        return b""
    if not close_code_allowed(code):
        raise ValueError(f"{code} may not be sent in a Close frame (RFC 6455 §7.4)")
    data = struct.pack("!H", code) + reason.encode("utf-8")
    if len(data) > MAX_CONTROL_PAYLOAD:
        raise ValueError(f"a close reason may be at most 123 bytes of UTF-8, got {len(data) - 2} (RFC 6455 §5.5)")
    return data


# --- reading -------------------------------------------------------------------

_EXTENDED_LENGTH_BYTES = {_LENGTH_16: 2, _LENGTH_64: 8}
_OPCODES = {int(opcode): opcode for opcode in Opcode}  # a dict lookup is faster than Opcode(value)


def parse_header(data: bytes, *, role: Role | None = None, max_size: int | None = None) -> Header:
    """Read and check the header at the start of `data` (§5.2).

    `role` is the role of the endpoint that receives the frame: a server
    requires masked frames, a client unmasked ones (§5.1). `max_size` bounds the
    payload length, checked here before any payload is buffered (§10.4).
    Each rule is checked as soon as the bytes it needs are there, so a bad
    first byte fails at once. Raises `IncompleteFrame` when `data` is too
    short, `ProtocolError` (with `.field`) when a rule is broken.
    """
    if len(data) < 1:
        raise IncompleteFrame(2, exact=False)
    b0 = data[0]
    fin, rsv1, rsv2, rsv3 = bool(b0 & 0x80), bool(b0 & 0x40), bool(b0 & 0x20), bool(b0 & 0x10)
    opcode = b0 & 0x0F
    if b0 & 0x70:
        _check_reserved_bits(rsv1, rsv2, rsv3)
    if opcode not in _OPCODES:
        _check_opcode(opcode)
    if len(data) < 2:
        raise IncompleteFrame(1, exact=False)

    b1 = data[1]
    masked = bool(b1 & 0x80)
    length_field = b1 & 0x7F
    if opcode >= 0x8:
        _check_control(opcode, fin, length_field)
    _check_masking(masked, role)

    extra = _EXTENDED_LENGTH_BYTES.get(length_field, 0)
    size = 2 + extra + (4 if masked else 0)
    if len(data) < 2 + extra:
        raise IncompleteFrame(size - len(data), exact=False)
    payload_length = _read_length(data, length_field)
    _check_size(payload_length, length_field, max_size)
    if len(data) < size:
        raise IncompleteFrame(size + payload_length - len(data))
    mask_key = bytes(data[2 + extra:size]) if masked else None
    return Header(fin, rsv1, rsv2, rsv3, opcode, masked, length_field, payload_length, mask_key, size)


def decode(data: bytes, *, role: Role | None = None, max_size: int | None = None) -> tuple[Frame, int]:
    """Decode one frame from the start of `data`: ``(frame, bytes consumed)``.

    The payload comes back unmasked. Raises `IncompleteFrame` (with how many
    more bytes are needed: exactly, once the header is complete; at least,
    before) or `ProtocolError` (with `.close_code`, `.rfc_section`, `.field`).
    """
    header = parse_header(data, role=role, max_size=max_size)
    end = header.size + header.payload_length
    if len(data) < end:
        raise IncompleteFrame(end - len(data))
    return _frame(header, _unmask(header, data[header.size:end])), end


def check_frame(frame: Frame) -> None:
    """Raise `ProtocolError` if `frame` breaks a frame-level rule of §5 or §7.4."""
    _check_reserved_bits(frame.rsv1, frame.rsv2, frame.rsv3)
    _check_opcode(int(frame.opcode))
    if frame.opcode >= 0x8:
        _check_control(int(frame.opcode), frame.fin, min(len(frame.payload), 127), len(frame.payload))
    if frame.opcode == Opcode.CLOSE:
        parse_close(frame.payload)


def parse_close(payload: bytes) -> tuple[int | None, str]:
    """The ``(code, reason)`` of a Close frame's payload (§5.5.1, §7.4).

    An empty payload means no code was given: ``(None, "")`` (reported as 1005, §7.1.5).
    """
    if len(payload) == 0:
        return None, ""
    if len(payload) == 1:
        raise ProtocolError("a Close frame has a 1-byte payload: a close payload is either empty "
                            "or starts with a 2-byte close code", rfc_section="5.5.1", field="payload")
    if len(payload) > MAX_CONTROL_PAYLOAD:
        raise ProtocolError(f"a Close frame has {len(payload)} bytes of payload; control frames carry at most 125",
                            rfc_section="5.5", field="payload length")
    (code,) = struct.unpack("!H", payload[:2])
    if not close_code_allowed(code):
        raise ProtocolError(f"close code {code} may not be sent in a Close frame: {_close_code_problem(code)}",
                            rfc_section="7.4.1", field="payload")
    try:
        reason = bytes(payload[2:]).decode("utf-8")
    except UnicodeDecodeError as e:
        raise InvalidUTF8(f"the close reason is not valid UTF-8 ({e.reason} at byte {e.start} of the reason)",
                          rfc_section="5.5.1", field="payload") from None
    return code, reason


class FrameParser:
    """Turns a byte stream, split anywhere, into frames.

        parser = FrameParser(role="server", max_size=2**20)
        parser.feed(data)            # as bytes arrive, in any split
        for frame in parser:         # every frame now complete, in order
            ...

    `feed` reads the bytes at once: it keeps only the frame being read (its
    header, then its payload) and queues the frames it completes. Each byte
    is copied a bounded number of times, so parsing is linear however the
    input is chopped, one byte at a time included. The payload length is
    checked against `max_size` as soon as the header is complete, before any
    payload is buffered, so `buffered` never exceeds ``max(14, max_size)``.

    Iterating yields the queued frames, then raises the `ProtocolError` of
    the first bad frame, if any. After an error nothing more is processed
    (§7.1.7): later bytes are dropped, and `feed` raises once the error has
    been reported.
    """

    def __init__(self, *, role: Role | None = None, max_size: int | None = None) -> None:
        self.role = role
        self.max_size = max_size
        self.error: ProtocolError | None = None   # the error, once reported
        self._buffer = bytearray()   # the frame being read: its header, then its payload
        self._header: Header | None = None   # its header, once complete
        self._frames: deque[Frame] = deque()
        self._pending: ProtocolError | None = None   # found, reported after the frames before it

    @property
    def buffered(self) -> int:
        """Bytes received but not yet part of a complete frame."""
        return len(self._buffer)

    def feed(self, data: bytes) -> None:
        """Add bytes as they arrive."""
        if self.error is not None:
            raise self.error
        if self._pending is not None:
            return
        try:
            self._read(memoryview(data))
        except ProtocolError as error:
            self._pending = error
            self._buffer.clear()
            self._header = None

    def __iter__(self) -> Iterator[Frame]:
        while (frame := self.next_frame()) is not None:
            yield frame

    def next_frame(self) -> Frame | None:
        """The next complete frame, or None if more bytes are needed."""
        if self._frames:
            return self._frames.popleft()
        if self._pending is not None:
            self.error, self._pending = self._pending, None
        if self.error is not None:
            raise self.error
        return None

    # --- the frame in progress (for checks that cannot wait for the whole frame) ---

    @property
    def pending_header(self) -> Header | None:
        """The header of the frame being received, once its header bytes are all in.

        Set by `feed` while the payload of the last frame fed is incomplete;
        None between frames. `wslab.connection` uses it to refuse a frame by its header
        (a message too big, a continuation of nothing) before its payload arrives.
        """
        return self._header

    def pending_payload(self, start: int = 0) -> bytes:
        """The payload bytes of the frame in progress received so far, from `start` on, unmasked.

        Asking only for the bytes after those already seen keeps the caller linear:
        §8.1 wants invalid UTF-8 caught as soon as it arrives, even mid-frame.
        Masking restarts at key byte ``start % 4`` (§5.3: byte i uses key[i mod 4]).
        """
        header = self._header
        if header is None:
            return b""
        data = bytes(self._buffer[start:header.payload_length])
        if header.mask_key is None or not data:
            return data
        shift = start % 4
        return mask(data, header.mask_key[shift:] + header.mask_key[:shift])

    def _read(self, view: memoryview) -> None:
        pos, end = 0, len(view)
        while pos < end:
            if self._header is None and not self._buffer:
                # Fast path: a whole frame in the input is decoded from it directly.
                try:
                    frame, used = decode(view[pos:], role=self.role, max_size=self.max_size)
                except IncompleteFrame:
                    pass
                else:
                    self._frames.append(frame)
                    pos += used
                    continue
            if self._header is None:
                pos = self._read_header(view, pos)
            else:
                pos = self._read_payload(view, pos)

    def _read_header(self, view: memoryview, pos: int) -> int:
        buffer = self._buffer
        # 2 bytes tell how long the header is; take no more than that.
        wanted = 2 if len(buffer) < 2 else _header_size(buffer[0], buffer[1])
        chunk = view[pos:pos + wanted - len(buffer)]
        buffer += chunk
        try:
            header = parse_header(buffer, role=self.role, max_size=self.max_size)
        except IncompleteFrame:
            return pos + len(chunk)
        buffer.clear()
        if header.payload_length == 0:
            self._frames.append(_frame(header, b""))
        else:
            self._header = header
        return pos + len(chunk)

    def _read_payload(self, view: memoryview, pos: int) -> int:
        header = self._header
        assert header is not None
        chunk = view[pos:pos + header.payload_length - len(self._buffer)]
        self._buffer += chunk
        if len(self._buffer) == header.payload_length:
            payload = _unmask(header, self._buffer)
            self._buffer.clear()
            self._header = None
            self._frames.append(_frame(header, payload))
        return pos + len(chunk)


# --- step by step: the data behind the bit diagrams and the traces ------------

@dataclass(frozen=True)
class Field:
    """One field of a frame on the wire, where it sits and what it says (§5.2)."""

    name: str      # "FIN", "RSV1", "RSV2", "RSV3", "opcode", "MASK", "payload length",
                   # "extended payload length", "masking key", "payload"
    offset: int    # bit offset from the first bit of the frame
    width: int     # width in bits (payload: 8 * the bytes present)
    bits: str      # the raw bits as "0"/"1" text ("" for the payload, to keep it small)
    value: object  # bool, Opcode (or int if reserved), int length, bytes key, bytes payload as on the wire
    meaning: str


def header_fields(frame_or_bytes: Frame | bytes, mask_key: bytes | None = None) -> list[Field]:
    """The fields of a frame, in wire order, for drawing its bit diagram (§5.2).

    A `Frame` gives the fields of ``encode(frame, mask_key)``. Bytes give the
    fields of whatever is there, valid or not: nothing is checked, and a
    truncated frame lists only the fields that are complete (its payload: the
    bytes present). A frame with no payload has no "payload" field.
    """
    if isinstance(frame_or_bytes, Frame):
        data = encode(frame_or_bytes, mask_key)
    elif mask_key is not None:
        raise ValueError("mask_key goes with a Frame; encoded bytes carry their own masking key")
    else:
        data = bytes(frame_or_bytes)
    fields: list[Field] = []
    if len(data) < 1:
        return fields
    b0 = data[0]
    fin, opcode = bool(b0 & 0x80), b0 & 0x0F
    fields.append(Field("FIN", 0, 1, _bits(b0 >> 7, 1), fin,
                        "final fragment" if fin else "not final: more fragments follow"))
    for i, name in enumerate(("RSV1", "RSV2", "RSV3"), start=1):
        bit = bool(b0 & (0x80 >> i))
        fields.append(Field(name, i, 1, _bits(int(bit), 1), bit,
                            "set: needs an extension that defines it" if bit else "reserved, 0 (no extension)"))
    fields.append(Field("opcode", 4, 4, _bits(opcode, 4), _opcode_value(opcode), _opcode_meaning(opcode)))
    if len(data) < 2:
        return fields
    b1 = data[1]
    masked, length_field = bool(b1 & 0x80), b1 & 0x7F
    fields.append(Field("MASK", 8, 1, _bits(int(masked), 1), masked,
                        "payload masked (client to server)" if masked else "payload not masked (server to client)"))
    fields.append(Field("payload length", 9, 7, _bits(length_field, 7), length_field,
                        _length_field_meaning(length_field)))
    pos = 2
    payload_length = length_field
    extra = _EXTENDED_LENGTH_BYTES.get(length_field, 0)
    if extra:
        if len(data) < pos + extra:
            return fields
        payload_length = int.from_bytes(data[pos:pos + extra], "big")
        fields.append(Field("extended payload length", 8 * pos, 8 * extra, _bits(payload_length, 8 * extra),
                            payload_length, f"payload is {payload_length} bytes ({8 * extra}-bit big-endian)"))
        pos += extra
    if masked:
        if len(data) < pos + 4:
            return fields
        key = data[pos:pos + 4]
        fields.append(Field("masking key", 8 * pos, 32, "".join(_bits(b, 8) for b in key), key,
                            f"payload[i] is XORed with key[i mod 4] (§5.3): {key.hex(' ')}"))
        pos += 4
    payload = data[pos:pos + payload_length]
    if payload_length:
        present = "" if len(payload) == payload_length else f" ({len(payload)} of {payload_length} present)"
        how = "masked" if masked else "as sent, not masked"
        fields.append(Field("payload", 8 * pos, 8 * len(payload), "", payload,
                            f"{payload_length} bytes, {how}{present}"))
    return fields


@dataclass(frozen=True)
class Step:
    """One step of encoding or decoding a frame: what was done, and the bytes it produced or read.

    `error` is set on the step that stops a decode: the `ProtocolError` (or
    `IncompleteFrame`) that `decode` raises for the same bytes.
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
    step("first byte: FIN, RSV1-3, opcode",
         f"FIN={int(frame.fin)} RSV={int(frame.rsv1)}{int(frame.rsv2)}{int(frame.rsv3)} "
         f"opcode={opcode:04b} ({_opcode_meaning(opcode)}) -> {b0:#04x}", wire[:1])
    length = len(frame.payload)
    masked = mask_key is not None
    length_field = b1 & 0x7F
    if length_field <= MAX_CONTROL_PAYLOAD:
        why = f"payload length {length} fits in the 7 bits"
    else:
        bits = 16 if length_field == _LENGTH_16 else 64
        limit = "125" if bits == 16 else "65535"
        why = f"payload length {length} > {limit}: field {length_field}, a {bits}-bit length follows"
    step("second byte: MASK, payload length", f"MASK={int(masked)}, {why} -> {b1:#04x}", wire[1:2])
    pos = 2
    extra = _EXTENDED_LENGTH_BYTES.get(length_field, 0)
    if extra:
        step("extended payload length", f"{length} as a {8 * extra}-bit big-endian integer -> "
             f"{wire[2:2 + extra].hex(' ')}", wire[2:2 + extra])
        pos += extra
    if mask_key is not None:
        step("masking key", f"4 bytes the client picks at random for this frame (§5.3): {mask_key.hex(' ')}",
             bytes(mask_key))
        pos += 4
        step("mask the payload", f"payload[i] XOR key[i mod 4]: {_hex(frame.payload)} -> {_hex(wire[pos:])}",
             wire[pos:])
    else:
        step("payload", f"{length} bytes as they are (not masked): {_hex(frame.payload)}", wire[pos:])
    return steps


def decode_steps(data: bytes, role: Role | None = None, *, max_size: int | None = None) -> list[Step]:
    """`decode` one step at a time, checking each rule where `decode` does (§5.2, §5.5, §7.4).

    Stops with a step whose `.error` is the error `decode` raises for the same
    bytes (a broken rule, or too few bytes). Otherwise the last step names the frame.
    """
    data = bytes(data)
    steps: list[Step] = []

    def step(title: str, detail: str, data: bytes = b"", error: WslabError | None = None) -> None:
        steps.append(Step(f"{len(steps) + 1}. {title}", detail, data, error))

    try:
        # The same rules in the same order as parse_header and decode.
        if len(data) < 1:
            raise IncompleteFrame(2, exact=False)
        b0 = data[0]
        fin, opcode = bool(b0 & 0x80), b0 & 0x0F
        step("first byte: FIN, RSV1-3, opcode", f"{b0:#04x} -> FIN={b0 >> 7} RSV={(b0 >> 4) & 0b111:03b} "
             f"opcode={opcode:04b} ({_opcode_meaning(opcode)})", data[:1])
        _check_reserved_bits(bool(b0 & 0x40), bool(b0 & 0x20), bool(b0 & 0x10))
        _check_opcode(opcode)
        if len(data) < 2:
            raise IncompleteFrame(1, exact=False)

        b1 = data[1]
        masked, length_field = bool(b1 & 0x80), b1 & 0x7F
        step("second byte: MASK, payload length", f"{b1:#04x} -> MASK={b1 >> 7}, payload length field "
             f"{length_field} ({_length_field_meaning(length_field)})", data[1:2])
        if opcode >= 0x8:
            _check_control(opcode, fin, length_field)
        _check_masking(masked, role)

        extra = _EXTENDED_LENGTH_BYTES.get(length_field, 0)
        size = 2 + extra + (4 if masked else 0)
        if len(data) < 2 + extra:
            raise IncompleteFrame(size - len(data), exact=False)
        if extra:
            step("extended payload length", f"{data[2:2 + extra].hex(' ')} -> "
                 f"{int.from_bytes(data[2:2 + extra], 'big')} ({8 * extra}-bit big-endian)", data[2:2 + extra])
        payload_length = _read_length(data, length_field)
        _check_size(payload_length, length_field, max_size)
        if len(data) < size:
            raise IncompleteFrame(size + payload_length - len(data))

        mask_key = data[2 + extra:size] if masked else None
        if mask_key is not None:
            step("masking key", mask_key.hex(" "), mask_key)
        end = size + payload_length
        if len(data) < end:
            raise IncompleteFrame(end - len(data))
        payload = data[size:end]
        step("payload", f"{payload_length} bytes, {'masked' if masked else 'not masked'}: {_hex(payload)}",
             payload)
        if mask_key is not None:
            payload = mask(payload, mask_key)
            step("unmask", f"payload[i] XOR key[i mod 4] -> {_hex(payload)}", payload)
        if opcode == Opcode.CLOSE:
            code, reason = parse_close(payload)
            said = ("no code (reported as 1005)" if code is None
                    else f"code {close_code_name(code)}, reason {reason!r}")
            step("close payload: 2-byte code, UTF-8 reason", said, payload)
    except (ProtocolError, IncompleteFrame) as error:
        title = "incomplete" if isinstance(error, IncompleteFrame) else f"error in {error.field or 'the frame'}"
        step(title, str(error), b"", error)
        return steps
    step("frame", f"{Opcode(opcode).name}, fin={fin}, {payload_length} bytes of payload; {end} bytes read")
    return steps


def _bits(value: int, width: int) -> str:
    return format(value, f"0{width}b")


def _hex(data: bytes, limit: int = 16) -> str:
    """Bytes as hex pairs, the first `limit` of them for a long payload."""
    if len(data) <= limit:
        return data.hex(" ") if data else "(empty)"
    return f"{data[:limit].hex(' ')} ... ({len(data)} bytes)"


def _opcode_value(opcode: int) -> Opcode | int:
    return Opcode(opcode) if opcode in _OPCODES else opcode


def _opcode_meaning(opcode: int) -> str:
    if opcode in _OPCODES:
        return Opcode(opcode).meaning
    return f"reserved {'non-control' if opcode < 0x8 else 'control'} opcode: a receiver fails the connection"


def _length_field_meaning(length_field: int) -> str:
    if length_field == _LENGTH_16:
        return "a 16-bit length follows"
    if length_field == _LENGTH_64:
        return "a 64-bit length follows"
    return f"payload is {length_field} bytes"


# --- the rules -----------------------------------------------------------------

def _unmask(header: Header, payload: bytes | bytearray | memoryview) -> bytes:
    """The payload as bytes, unmasked if it was masked: one copy, whatever the input."""
    if header.mask_key is None:
        return bytes(payload)
    return mask(payload, header.mask_key)


def _frame(header: Header, payload: bytes) -> Frame:
    """A frame from its header and its unmasked payload."""
    if header.opcode == 0x8:  # Close
        parse_close(payload)
    return Frame(_OPCODES[header.opcode], payload, header.fin, header.rsv1, header.rsv2, header.rsv3)


def _header_size(b0: int, b1: int) -> int:
    """Bytes of header announced by the first two bytes."""
    return 2 + _EXTENDED_LENGTH_BYTES.get(b1 & 0x7F, 0) + (4 if b1 & 0x80 else 0)


def _check_reserved_bits(rsv1: bool, rsv2: bool, rsv3: bool) -> None:
    """§5.2: RSV1-3 MUST be 0 unless an extension defines them; none is negotiated here."""
    for name, bit in (("RSV1", rsv1), ("RSV2", rsv2), ("RSV3", rsv3)):
        if bit:
            raise ProtocolError(f"reserved bit {name} is set, but no extension was negotiated that defines it",
                                rfc_section="5.2", field=name)


def _check_opcode(opcode: int) -> None:
    """§5.2: an unknown opcode (3-7, 11-15) MUST fail the connection."""
    if opcode not in _OPCODES:
        kind, first, last = ("non-control", 3, 7) if opcode < 0x8 else ("control", 11, 15)
        raise ProtocolError(f"opcode {opcode} ({opcode:04b}) is reserved: {first}-{last} are kept for future "
                            f"{kind} frames and mean nothing yet", rfc_section="5.2", field="opcode")


def _check_control(opcode: int, fin: bool, length_field: int, payload_length: int | None = None) -> None:
    """§5.5: control frames MUST NOT be fragmented and carry at most 125 bytes."""
    name = Opcode(opcode).name
    if not fin:
        raise ProtocolError(f"a {name} frame has FIN = 0: control frames MUST NOT be fragmented",
                            rfc_section="5.5", field="FIN")
    if payload_length is not None and payload_length > MAX_CONTROL_PAYLOAD:
        raise ProtocolError(f"a {name} frame carries {payload_length} bytes of payload; control frames carry "
                            f"at most 125", rfc_section="5.5", field="payload length")
    if length_field > MAX_CONTROL_PAYLOAD:
        raise ProtocolError(f"a {name} frame has payload length field {length_field} (an extended length "
                            f"follows); control frames carry at most 125 bytes", rfc_section="5.5",
                            field="payload length")


def _check_masking(masked: bool, role: Role | None) -> None:
    """§5.1: a server fails on an unmasked client frame, a client on a masked server frame."""
    if role == "server" and not masked:
        raise ProtocolError("a client sent an unmasked frame (MASK = 0): a server MUST close the connection "
                            "on any client frame that is not masked", rfc_section="5.1", field="MASK")
    if role == "client" and masked:
        raise ProtocolError("a server sent a masked frame (MASK = 1): a client MUST close the connection "
                            "on any masked server frame", rfc_section="5.1", field="MASK")


def _read_length(data: bytes, length_field: int) -> int:
    """The payload length (§5.2), refusing a set top bit and non-minimal encodings."""
    if length_field == _LENGTH_16:
        (length,) = struct.unpack("!H", data[2:4])
        if length <= MAX_CONTROL_PAYLOAD:
            raise ProtocolError(f"payload length {length} is sent in the 16-bit extended field; the minimal "
                                f"encoding MUST be used: the 7-bit field", rfc_section="5.2",
                                field="extended payload length")
        return length
    if length_field == _LENGTH_64:
        (length,) = struct.unpack("!Q", data[2:10])
        if length >> 63:
            raise ProtocolError("the 64-bit extended payload length has its most significant bit set; "
                                "that bit MUST be 0", rfc_section="5.2", field="extended payload length")
        if length <= 0xFFFF:
            minimal = "the 7-bit field" if length <= MAX_CONTROL_PAYLOAD else "the 16-bit extended field"
            raise ProtocolError(f"payload length {length} is sent in the 64-bit extended field; the minimal "
                                f"encoding MUST be used: {minimal}", rfc_section="5.2",
                                field="extended payload length")
        return length
    return length_field


def _check_size(payload_length: int, length_field: int, max_size: int | None) -> None:
    """§10.4: an endpoint may refuse frames larger than it accepts (close code 1009)."""
    if max_size is not None and payload_length > max_size:
        where = "payload length" if length_field <= MAX_CONTROL_PAYLOAD else "extended payload length"
        raise PayloadTooBig(f"the frame announces {payload_length} byte(s) of payload, over this endpoint's "
                            f"limit of {max_size} byte(s)", rfc_section="10.4", field=where)


def _close_code_problem(code: int) -> str:
    """Why `code` may not appear in a Close frame (§7.4.1, §7.4.2)."""
    if code == 1004:
        return "1004 is reserved (a meaning may be defined in the future)"
    if code in NEVER_SENT:
        return f"{close_code_name(code)} is for reporting only and MUST NOT be set as a status code in a Close frame"
    if code < 1000:
        return "codes 0-999 are not used"
    if code < 3000:
        return "codes 1016-2999 are reserved for future revisions of the protocol and unassigned"
    return "codes above 4999 are not defined"
