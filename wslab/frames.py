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

`encode` writes a frame exactly as given (so a lesson can build a broken one).
`read_header` is the one reader of the header: it reads it top to bottom,
yields each field as it reads it and applies each rule of §5 right after the
field the rule is about. `parse_header`, `decode`, `FrameParser` and
`header_fields` (the data behind the bit diagrams) all draw from it, so they
agree on every byte. Message-level rules (UTF-8 across fragments,
continuation order) belong to `wslab.connection`.
"""

from __future__ import annotations

import io
import struct
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from wslab.codes import NEVER_SENT, CloseCode, Opcode, close_code_allowed, close_code_name
from wslab.errors import IncompleteFrame, InvalidUTF8, PayloadTooBig, ProtocolError
from wslab.masking import Buffer, mask

__all__ = [
    "Opcode",
    "CloseCode",
    "Frame",
    "Header",
    "Role",
    "encode",
    "encode_fields",
    "encode_header",
    "decode",
    "read_header",
    "parse_header",
    "header_size",
    "check_frame",
    "check_rsv1",
    "FrameParser",
    "close_payload",
    "parse_close",
    "MAX_CONTROL_PAYLOAD",
    "Field",
    "header_fields",
    "announced_length",
]

Role = Literal["client", "server"]  # the endpoint that receives (or sends) a frame; §5.1 depends on it

MAX_CONTROL_PAYLOAD = 125  # §5.5: "All control frames MUST have a payload length of 125 bytes or less"
_LENGTH_16 = 126  # 7-bit length value announcing a 16-bit extended length
_LENGTH_64 = 127  # ... and a 64-bit one


@dataclass(frozen=True)
class Frame:
    """One frame as the application sees it: header bits and the unmasked payload."""

    opcode: Opcode | int  # a reserved opcode (3-7, 11-15) stays an int, so a broken frame can be built
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
    size: int  # bytes of header: 2, +2 or +8 extended length, +4 masking key (`header_size`)


def header_size(payload_length: int, *, masked: bool) -> int:
    """Bytes of header in front of a payload of `payload_length` bytes (§5.2): 2, plus 2
    or 8 for an extended length (payloads over 125 / 65535 bytes), plus 4 for a masking key."""
    if payload_length <= MAX_CONTROL_PAYLOAD:
        extended = 0
    elif payload_length <= 0xFFFF:
        extended = 2
    else:
        extended = 8
    return 2 + extended + (4 if masked else 0)


# --- writing -------------------------------------------------------------------


def encode(frame: Frame, mask_key: bytes | None = None) -> bytes:
    """The bytes of `frame` on the wire (§5.2), masked with `mask_key` if given (§5.3).

    The payload length uses the minimal encoding, as §5.2 requires:
    0-125 in the 7-bit field, up to 65535 in 16 bits (field = 126),
    anything larger in 64 bits (field = 127).
    """
    return encode_fields(
        int(frame.opcode), frame.payload, frame.fin, frame.rsv1, frame.rsv2, frame.rsv3, mask_key=mask_key
    )


def encode_fields(
    opcode: int,
    payload: bytes,
    fin: bool = True,
    rsv1: bool = False,
    rsv2: bool = False,
    rsv3: bool = False,
    *,
    mask_key: bytes | None = None,
) -> bytes:
    """`encode` from the fields themselves, without building a `Frame` first
    (what a connection sends, frame after frame)."""
    header = encode_header(opcode, len(payload), fin, rsv1, rsv2, rsv3, masked=mask_key is not None)
    if mask_key is None:
        return header + payload
    return header + mask_key + mask(payload, mask_key)


def encode_header(
    opcode: int,
    length: int,
    fin: bool = True,
    rsv1: bool = False,
    rsv2: bool = False,
    rsv3: bool = False,
    *,
    masked: bool = False,
) -> bytes:
    """The header of a frame with a payload of `length` bytes (§5.2), up to its masking key."""
    first = (fin << 7) | (rsv1 << 6) | (rsv2 << 5) | (rsv3 << 4) | opcode
    if length <= MAX_CONTROL_PAYLOAD:
        return struct.pack("!BB", first, (masked << 7) | length)
    if length <= 0xFFFF:
        return struct.pack("!BBH", first, (masked << 7) | _LENGTH_16, length)
    return struct.pack("!BBQ", first, (masked << 7) | _LENGTH_64, length)


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


# --- reading: the one header reader ----------------------------------------------

_EXTENDED_LENGTH_BYTES = {_LENGTH_16: 2, _LENGTH_64: 8}
_OPCODES = {int(opcode): opcode for opcode in Opcode}  # a dict lookup is faster than Opcode(value)


@dataclass(frozen=True)
class Field:
    """One field of a frame on the wire, where it sits and what it says (§5.2)."""

    name: str  # "FIN", "RSV1", "RSV2", "RSV3", "opcode", "MASK", "payload length",
    # "extended payload length", "masking key", "payload"
    offset: int  # bit offset from the first bit of the frame
    width: int  # width in bits (payload: 8 * the bytes present)
    bits: str  # the raw bits as "0"/"1" text ("" for the payload, to keep it small)
    value: object  # bool, Opcode (or int if reserved), int length, bytes key, bytes payload as on the wire
    meaning: str


def read_header(
    data: Buffer,
    *,
    role: Role | None = None,
    max_size: int | None = None,
    check: bool = True,
    rsv1_allowed: bool = False,
) -> Iterator[Field]:
    """Read the header at the start of `data` top to bottom (§5.2), yielding each field as it is read.

    With `check`, each rule is applied as soon as the fields it needs have been
    read (a bad first byte fails before the second is looked at): a broken rule
    raises `ProtocolError` (with `.field`), too few bytes raise `IncompleteFrame`.
    `role` is the endpoint that receives the frame (§5.1: a server requires masked
    frames, a client unmasked ones); `max_size` bounds the payload length (§10.4).
    `rsv1_allowed`: an extension that defines RSV1 was negotiated (permessage-deflate,
    RFC 7692 §6: "compressed"); where it may be set is `wslab.connection`'s rule.
    Without `check` nothing is judged and the reader stops quietly where the bytes
    end: that is how any bytes, valid or not, get drawn.
    """
    # First byte: FIN, RSV1-3, opcode.
    if len(data) < 1:
        if check:
            raise IncompleteFrame(2, exact=False)
        return
    b0 = data[0]
    fin, opcode = bool(b0 & 0x80), b0 & 0x0F
    yield Field("FIN", 0, 1, _bits(b0 >> 7, 1), fin, "final fragment" if fin else "not final: more fragments follow")
    for i, name in enumerate(("RSV1", "RSV2", "RSV3"), start=1):
        bit = bool(b0 & (0x80 >> i))
        yield Field(
            name,
            i,
            1,
            _bits(int(bit), 1),
            bit,
            "set: needs an extension that defines it" if bit else "reserved, 0 (no extension)",
        )
    yield Field("opcode", 4, 4, _bits(opcode, 4), _opcode_value(opcode), _opcode_meaning(opcode))
    if check:
        _check_reserved_bits(bool(b0 & 0x40) and not rsv1_allowed, bool(b0 & 0x20), bool(b0 & 0x10))
        _check_opcode(opcode)

    # Second byte: MASK, the 7-bit payload length.
    if len(data) < 2:
        if check:
            raise IncompleteFrame(1, exact=False)
        return
    b1 = data[1]
    masked, length_field = bool(b1 & 0x80), b1 & 0x7F
    yield Field(
        "MASK",
        8,
        1,
        _bits(int(masked), 1),
        masked,
        "payload masked (client to server)" if masked else "payload not masked (server to client)",
    )
    yield Field("payload length", 9, 7, _bits(length_field, 7), length_field, _length_field_meaning(length_field))
    if check:
        if opcode >= 0x8:
            _check_control(opcode, fin, length_field)
        _check_masking(masked, role)

    # The extended payload length, if the 7-bit field said 126 or 127.
    extra = _EXTENDED_LENGTH_BYTES.get(length_field, 0)
    size = 2 + extra + (4 if masked else 0)
    payload_length = length_field
    if extra:
        if len(data) < 2 + extra:
            if check:
                raise IncompleteFrame(size - len(data), exact=False)
            return
        payload_length = int.from_bytes(data[2 : 2 + extra], "big")
        yield Field(
            "extended payload length",
            16,
            8 * extra,
            _bits(payload_length, 8 * extra),
            payload_length,
            f"payload is {payload_length} bytes ({8 * extra}-bit big-endian)",
        )
        if check:
            _check_length_encoding(payload_length, length_field)
    if check:
        _check_size(payload_length, length_field, max_size)

    # The masking key, if MASK is set (§5.3).
    if masked:
        if len(data) < size:
            if check:
                raise IncompleteFrame(size + payload_length - len(data))
            return
        key = bytes(data[size - 4 : size])
        yield Field(
            "masking key",
            8 * (size - 4),
            32,
            "".join(_bits(b, 8) for b in key),
            key,
            f"payload[i] is XORed with key[i mod 4] (§5.3): {key.hex(' ')}",
        )


def parse_header(
    data: Buffer, *, role: Role | None = None, max_size: int | None = None, rsv1_allowed: bool = False
) -> Header:
    """Read and check the header at the start of `data` (§5.2): `read_header`'s fields as a `Header`.

    Raises `IncompleteFrame` when `data` is too short, `ProtocolError` (with
    `.field`) when a rule is broken.
    """
    values = {
        field.name: field.value for field in read_header(data, role=role, max_size=max_size, rsv1_allowed=rsv1_allowed)
    }
    masked = bool(values["MASK"])
    length_field = int(values["payload length"])  # type: ignore[call-overload]
    payload_length = int(values.get("extended payload length", length_field))  # type: ignore[call-overload]
    return Header(
        bool(values["FIN"]),
        bool(values["RSV1"]),
        bool(values["RSV2"]),
        bool(values["RSV3"]),
        int(values["opcode"]),  # type: ignore[call-overload]
        masked,
        length_field,
        payload_length,
        values.get("masking key"),  # type: ignore[arg-type]
        header_size(payload_length, masked=masked),
    )


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
    fields = list(read_header(data, check=False))
    if len(fields) < 7 or fields[-1].name != _last_header_field(fields):
        return fields  # the header is not complete: no payload to show yet
    payload_length = announced_length(fields) or 0
    pos = (fields[-1].offset + fields[-1].width) // 8
    payload = data[pos : pos + payload_length]
    if payload_length:
        present = "" if len(payload) == payload_length else f" ({len(payload)} of {payload_length} present)"
        how = "masked" if fields[5].value else "as sent, not masked"
        fields.append(
            Field("payload", 8 * pos, 8 * len(payload), "", payload, f"{payload_length} bytes, {how}{present}")
        )
    return fields


def announced_length(fields: list[Field]) -> int | None:
    """The payload length the header's fields announce (the 7-bit field, or the extended one), if read yet."""
    values = {f.name: f.value for f in fields}
    if "extended payload length" in values:
        return values["extended payload length"]  # type: ignore[return-value]
    length = values.get("payload length")
    return length if isinstance(length, int) and length <= MAX_CONTROL_PAYLOAD else None


def _last_header_field(fields: list[Field]) -> str:
    """The name of the field that ends the header these fields announce."""
    if fields[5].value:  # MASK
        return "masking key"
    return "payload length" if int(fields[6].value) <= MAX_CONTROL_PAYLOAD else "extended payload length"  # type: ignore[call-overload]


def decode(
    data: Buffer, *, role: Role | None = None, max_size: int | None = None, rsv1_allowed: bool = False
) -> tuple[Frame, int]:
    """Decode one frame from the start of `data`: ``(frame, bytes consumed)``.

    The payload comes back unmasked. Raises `IncompleteFrame` (with how many
    more bytes are needed: exactly, once the header is complete; at least,
    before) or `ProtocolError` (with `.close_code`, `.rfc_section`, `.field`).
    """
    common = _decode_common(data, role, max_size, rsv1_allowed)
    if common is not None:
        return _checked_frame(*common[:4]), common[4]
    header = parse_header(data, role=role, max_size=max_size, rsv1_allowed=rsv1_allowed)
    end = header.size + header.payload_length
    if len(data) < end:
        raise IncompleteFrame(end - len(data))
    return _frame(header, bytes(_unmask(header, data[header.size : end]))), end


_COMMON_OPCODES = frozenset({0x0, 0x1, 0x2, 0x9, 0xA})  # data frames, Ping, Pong (Close: parse_close too)


def _decode_common(
    data: Buffer, role: Role | None, max_size: int | None, rsv1_allowed: bool = False
) -> tuple[Opcode, bytes, bool, bool, int] | None:
    """`decode` for the common case only: a valid data, Ping or Pong frame, whole in `data`:
    its ``(opcode, payload, fin, rsv1, bytes consumed)``.

    Why a second path: a server decodes frames by the thousand, and `read_header`
    builds a `Field` (bits, meaning) for every field of every header. This path
    only ever accepts: anything it does not recognise at once as valid and complete
    (a reserved bit, a Close frame, a short buffer, ...) returns None and goes to
    `read_header`, so every error still comes from the one reader, and the fuzz
    tests check that both paths agree on every input.
    """
    if len(data) < 2:
        return None
    b0, b1 = data[0], data[1]
    opcode, length = b0 & 0x0F, b1 & 0x7F
    reserved = 0x30 if rsv1_allowed else 0x70
    if b0 & reserved or opcode not in _COMMON_OPCODES or (opcode >= 0x8 and (not b0 & 0x80 or length > 125)):
        return None
    masked = b1 & 0x80
    if (role == "server" and not masked) or (role == "client" and masked):
        return None
    pos = 2
    if length == _LENGTH_16:
        if len(data) < 4:
            return None
        length, pos = (data[2] << 8) | data[3], 4
        if length <= MAX_CONTROL_PAYLOAD:
            return None
    elif length == _LENGTH_64:
        if len(data) < 10:
            return None
        length, pos = int.from_bytes(data[2:10], "big"), 10
        if length <= 0xFFFF or length >> 63:
            return None
    if max_size is not None and length > max_size:
        return None
    end = pos + length + (4 if masked else 0)
    if len(data) < end:
        return None
    if masked:
        payload = mask(data[pos + 4 : end], bytes(data[pos : pos + 4]))
    else:
        payload = bytes(data[pos:end])
    return _OPCODES[opcode], payload, b0 >= 0x80, (b0 & 0x40) != 0, end


def _checked_frame(opcode: Opcode, payload: bytes, fin: bool, rsv1: bool) -> Frame:
    """``Frame(opcode, payload, fin, rsv1)`` for values the reader has already checked.

    Why not `Frame(...)`: a frozen dataclass sets each of its six fields through
    ``object.__setattr__`` and then runs `__post_init__`, which is most of what a
    small frame costs; here the fields are filled in one step, with the same result.
    """
    frame = object.__new__(Frame)
    frame.__dict__.update(opcode=opcode, payload=payload, fin=fin, rsv1=rsv1, rsv2=False, rsv3=False)
    return frame


def check_frame(frame: Frame) -> None:
    """Raise `ProtocolError` if `frame` breaks a frame-level rule of §5 or §7.4."""
    _check_reserved_bits(frame.rsv1, frame.rsv2, frame.rsv3)
    _check_opcode(int(frame.opcode))
    if frame.opcode >= 0x8:
        _check_control(int(frame.opcode), frame.fin, min(len(frame.payload), 127), len(frame.payload))
    if frame.opcode == Opcode.CLOSE:
        parse_close(frame.payload)


def check_rsv1(opcode: int) -> None:
    """RFC 7692 §6.1: with permessage-deflate, RSV1 ("Per-Message Compressed") belongs on the first frame
    of a message only; on a control frame or a continuation frame the receiver fails (1002).

    Call it for a frame whose RSV1 is set: `wslab.connection` does on a live stream, `wslab.viz.frame`
    for the one frame a picture shows.
    """
    if opcode == Opcode.CONTINUATION:
        kind = "a continuation frame"
    elif opcode >= 0x8:
        kind = "a control frame"
    else:
        return  # the first frame of a message (a reserved opcode 3-7 is `_check_opcode`'s to report)
    name = _OPCODES[opcode].name if opcode in _OPCODES else f"reserved opcode {opcode}"
    raise ProtocolError(
        f'RSV1 ("Per-Message Compressed") is set on {kind} ({name}); only the first frame '
        "of a compressed message carries it",
        rfc_section="6.1",
        rfc="RFC 7692",
        field="RSV1",
    )


def parse_close(payload: bytes) -> tuple[int | None, str]:
    """The ``(code, reason)`` of a Close frame's payload (§5.5.1, §7.4).

    An empty payload means no code was given: ``(None, "")`` (reported as 1005, §7.1.5).
    """
    if len(payload) == 0:
        return None, ""
    if len(payload) == 1:
        raise ProtocolError(
            "a Close frame has a 1-byte payload: a close payload is either empty or starts with a 2-byte close code",
            rfc_section="5.5.1",
            field="payload",
        )
    if len(payload) > MAX_CONTROL_PAYLOAD:
        raise ProtocolError(
            f"a Close frame has {len(payload)} bytes of payload; control frames carry at most 125",
            rfc_section="5.5",
            field="payload length",
        )
    (code,) = struct.unpack("!H", payload[:2])
    if not close_code_allowed(code):
        raise ProtocolError(
            f"close code {code} may not be sent in a Close frame: {_close_code_problem(code)}",
            rfc_section="7.4.1",
            field="payload",
        )
    try:
        reason = bytes(payload[2:]).decode("utf-8")
    except UnicodeDecodeError as e:
        raise InvalidUTF8(
            f"the close reason is not valid UTF-8 ({e.reason} at byte {e.start} of the reason)",
            rfc_section="5.5.1",
            field="payload",
        ) from None
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

    def __init__(self, *, role: Role | None = None, max_size: int | None = None, rsv1_allowed: bool = False) -> None:
        self.role = role
        self.max_size = max_size
        self.rsv1_allowed = rsv1_allowed  # permessage-deflate was negotiated (RFC 7692 §6)
        self.error: ProtocolError | None = None  # the error, once reported
        self._buffer = bytearray()  # the header of the frame being read
        # Its payload, unmasked as it arrives: BytesIO hands its bytes over without a
        # copy once complete, so a large frame is held once, not masked and unmasked.
        self._payload = io.BytesIO()
        self._header: Header | None = None  # its header, once complete
        self._frames: deque[Frame] = deque()
        self._pending: ProtocolError | None = None  # found, reported after the frames before it

    @property
    def buffered(self) -> int:
        """Bytes received but not yet part of a complete frame."""
        return len(self._buffer) + self._payload.tell()

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
            self._payload = io.BytesIO()

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

    def whole_frame(self, data: bytes) -> tuple[Opcode, bytes, bool, bool] | None:
        """``(opcode, payload, fin, rsv1)`` of `data` if it is exactly one whole common
        frame (data, Ping or Pong) and nothing is buffered: the usual chunk of a small
        message. Else None, and nothing is consumed: `feed` then takes `data` as always.

        Why: one small message per chunk is what a server reads most. This skips the
        buffering and the `Frame` object, and reads the frame with the same fast path
        `feed` uses (`_decode_common`), so no rule is written twice.
        """
        if self._buffer or self._header is not None or self._frames or self._pending is not None:
            return None
        if self.error is not None:
            raise self.error
        common = _decode_common(data, self.role, self.max_size, self.rsv1_allowed)
        if common is None or common[4] != len(data):
            return None
        return common[:4]

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
        (The parser unmasks each chunk as it arrives, `_unmask`.)
        """
        if self._header is None:
            return b""
        with self._payload.getbuffer() as received:  # (released at once: BytesIO cannot grow while viewed)
            return bytes(received[start:])

    def _read(self, view: memoryview) -> None:
        pos, end = 0, len(view)
        while pos < end:
            if self._header is None and not self._buffer:
                # Fast path: a whole common frame in the input is decoded from it directly
                # (`_decode_common`); anything else goes through `read_header` below.
                common = _decode_common(view[pos:], self.role, self.max_size, self.rsv1_allowed)
                if common is not None:
                    self._frames.append(_checked_frame(*common[:4]))
                    pos += common[4]
                    continue
            if self._header is None:
                pos = self._read_header(view, pos)
            else:
                pos = self._read_payload(view, pos)

    def _read_header(self, view: memoryview, pos: int) -> int:
        buffer = self._buffer
        # 2 bytes tell how long the header is; take no more than that.
        wanted = 2 if len(buffer) < 2 else _header_size(buffer[0], buffer[1])
        chunk = view[pos : pos + wanted - len(buffer)]
        buffer += chunk
        try:
            header = parse_header(buffer, role=self.role, max_size=self.max_size, rsv1_allowed=self.rsv1_allowed)
        except IncompleteFrame:
            return pos + len(chunk)
        buffer.clear()
        if header.payload_length == 0:
            self._frames.append(_frame(header, b""))
        else:
            self._header = header
        return pos + len(chunk)

    def _read_payload(self, view: memoryview, pos: int) -> int:
        header, payload = self._header, self._payload
        assert header is not None
        received = payload.tell()
        chunk = view[pos : pos + header.payload_length - received]
        payload.write(_unmask(header, chunk, received))
        if received + len(chunk) == header.payload_length:
            self._header = None
            self._payload = io.BytesIO()
            self._frames.append(_frame(header, payload.getvalue()))
        return pos + len(chunk)


# --- meanings of the fields ------------------------------------------------------


def _bits(value: int, width: int) -> str:
    return format(value, f"0{width}b")


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


def _unmask(header: Header, chunk: Buffer, start: int = 0) -> Buffer:
    """`chunk`, the payload bytes from byte `start` on, unmasked if the frame is masked:
    masking restarts at key byte ``start % 4`` (§5.3: byte i uses key[i mod 4])."""
    if header.mask_key is None or not chunk:
        return chunk
    shift = start % 4
    return mask(chunk, header.mask_key[shift:] + header.mask_key[:shift])


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
            raise ProtocolError(
                f"reserved bit {name} is set, but no extension was negotiated that defines it",
                rfc_section="5.2",
                field=name,
            )


def _check_opcode(opcode: int) -> None:
    """§5.2: an unknown opcode (3-7, 11-15) MUST fail the connection."""
    if opcode not in _OPCODES:
        kind, first, last = ("non-control", 3, 7) if opcode < 0x8 else ("control", 11, 15)
        raise ProtocolError(
            f"opcode {opcode} ({opcode:04b}) is reserved: {first}-{last} are kept for future "
            f"{kind} frames and mean nothing yet",
            rfc_section="5.2",
            field="opcode",
        )


def _check_control(opcode: int, fin: bool, length_field: int, payload_length: int | None = None) -> None:
    """§5.5: control frames MUST NOT be fragmented and carry at most 125 bytes."""
    name = Opcode(opcode).name
    if not fin:
        raise ProtocolError(
            f"a {name} frame has FIN = 0: control frames MUST NOT be fragmented", rfc_section="5.5", field="FIN"
        )
    if payload_length is not None and payload_length > MAX_CONTROL_PAYLOAD:
        raise ProtocolError(
            f"a {name} frame carries {payload_length} bytes of payload; control frames carry at most 125",
            rfc_section="5.5",
            field="payload length",
        )
    if length_field > MAX_CONTROL_PAYLOAD:
        raise ProtocolError(
            f"a {name} frame has payload length field {length_field} (an extended length "
            f"follows); control frames carry at most 125 bytes",
            rfc_section="5.5",
            field="payload length",
        )


def _check_masking(masked: bool, role: Role | None) -> None:
    """§5.1: a server fails on an unmasked client frame, a client on a masked server frame."""
    if role == "server" and not masked:
        raise ProtocolError(
            "a client sent an unmasked frame (MASK = 0): a server MUST close the connection "
            "on any client frame that is not masked",
            rfc_section="5.1",
            field="MASK",
        )
    if role == "client" and masked:
        raise ProtocolError(
            "a server sent a masked frame (MASK = 1): a client MUST close the connection on any masked server frame",
            rfc_section="5.1",
            field="MASK",
        )


def _check_length_encoding(length: int, length_field: int) -> None:
    """§5.2: the minimal encoding of the payload length, and the 64-bit length's top bit 0."""
    if length_field == _LENGTH_16 and length <= MAX_CONTROL_PAYLOAD:
        raise ProtocolError(
            f"payload length {length} is sent in the 16-bit extended field; the minimal "
            f"encoding MUST be used: the 7-bit field",
            rfc_section="5.2",
            field="extended payload length",
        )
    if length_field == _LENGTH_64:
        if length >> 63:
            raise ProtocolError(
                "the 64-bit extended payload length has its most significant bit set; that bit MUST be 0",
                rfc_section="5.2",
                field="extended payload length",
            )
        if length <= 0xFFFF:
            minimal = "the 7-bit field" if length <= MAX_CONTROL_PAYLOAD else "the 16-bit extended field"
            raise ProtocolError(
                f"payload length {length} is sent in the 64-bit extended field; the minimal "
                f"encoding MUST be used: {minimal}",
                rfc_section="5.2",
                field="extended payload length",
            )


def _check_size(payload_length: int, length_field: int, max_size: int | None) -> None:
    """§10.4: an endpoint may refuse frames larger than it accepts (close code 1009)."""
    if max_size is not None and payload_length > max_size:
        where = "payload length" if length_field <= MAX_CONTROL_PAYLOAD else "extended payload length"
        raise PayloadTooBig(
            f"the frame announces {payload_length} byte(s) of payload, over this endpoint's "
            f"limit of {max_size} byte(s)",
            rfc_section="10.4",
            field=where,
        )


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
