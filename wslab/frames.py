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
from dataclasses import dataclass
from typing import Iterator, Literal

from wslab.codes import CloseCode, Opcode, close_code_allowed
from wslab.errors import IncompleteFrame, InvalidUTF8, PayloadTooBig, ProtocolError
from wslab.masking import mask

__all__ = [
    "Opcode", "CloseCode", "Frame", "Header", "encode", "decode", "parse_header",
    "check_frame", "FrameParser", "close_payload", "parse_close", "MAX_CONTROL_PAYLOAD",
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
        if not isinstance(self.payload, bytes):
            object.__setattr__(self, "payload", bytes(self.payload))
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

def parse_header(data: bytes, *, role: Role | None = None, max_size: int | None = None) -> Header:
    """Read and check the header at the start of `data` (§5.2).

    `role` is the role of the endpoint that receives the frame: a server
    requires masked frames, a client unmasked ones (§5.1). `max_size` bounds the
    payload length, checked here before any payload is buffered (§10.4).
    Raises `IncompleteFrame` when `data` is too short, `ProtocolError` when a rule is broken.
    """
    if len(data) < 2:
        raise IncompleteFrame(2 - len(data))
    b0, b1 = data[0], data[1]
    fin, rsv1, rsv2, rsv3 = bool(b0 & 0x80), bool(b0 & 0x40), bool(b0 & 0x20), bool(b0 & 0x10)
    opcode = b0 & 0x0F
    masked = bool(b1 & 0x80)
    length_field = b1 & 0x7F

    _check_reserved_bits(rsv1, rsv2, rsv3)
    _check_opcode(opcode)
    if opcode >= 0x8:
        _check_control(fin, length_field)
    _check_masking(masked, role)

    extra = {_LENGTH_16: 2, _LENGTH_64: 8}.get(length_field, 0)
    if len(data) < 2 + extra:
        raise IncompleteFrame(2 + extra - len(data) + (4 if masked else 0))
    payload_length = _read_length(data, length_field)
    size = 2 + extra + (4 if masked else 0)
    if len(data) < size:
        raise IncompleteFrame(size - len(data))
    if max_size is not None and payload_length > max_size:
        raise PayloadTooBig(f"frame payload of {payload_length} bytes exceeds the limit of {max_size} bytes",
                            rfc_section="10.4")
    mask_key = bytes(data[2 + extra:size]) if masked else None
    return Header(fin, rsv1, rsv2, rsv3, opcode, masked, length_field, payload_length, mask_key, size)


def decode(data: bytes, *, role: Role | None = None, max_size: int | None = None) -> tuple[Frame, int]:
    """Decode one frame from the start of `data`: ``(frame, bytes consumed)``.

    The payload comes back unmasked. Raises `IncompleteFrame` (with how many
    more bytes are needed) or `ProtocolError` (with `.close_code`, `.rfc_section`).
    """
    header = parse_header(data, role=role, max_size=max_size)
    end = header.size + header.payload_length
    if len(data) < end:
        raise IncompleteFrame(end - len(data))
    return _frame(header, bytes(data[header.size:end])), end


def check_frame(frame: Frame) -> None:
    """Raise `ProtocolError` if `frame` breaks a frame-level rule of §5 or §7.4."""
    _check_reserved_bits(frame.rsv1, frame.rsv2, frame.rsv3)
    _check_opcode(int(frame.opcode))
    if frame.opcode >= 0x8:
        _check_control(frame.fin, min(len(frame.payload), 127))
    if frame.opcode == Opcode.CLOSE:
        parse_close(frame.payload)


def parse_close(payload: bytes) -> tuple[int | None, str]:
    """The ``(code, reason)`` of a Close frame's payload (§5.5.1, §7.4).

    An empty payload means no code was given: ``(None, "")`` (reported as 1005, §7.1.5).
    """
    if len(payload) == 0:
        return None, ""
    if len(payload) == 1:
        raise ProtocolError("a Close frame payload of 1 byte: the close code needs 2 bytes", rfc_section="5.5.1")
    if len(payload) > MAX_CONTROL_PAYLOAD:
        raise ProtocolError(f"a Close frame payload of {len(payload)} bytes; control frames carry at most 125",
                            rfc_section="5.5")
    (code,) = struct.unpack("!H", payload[:2])
    if not close_code_allowed(code):
        raise ProtocolError(f"close code {code} may not be sent in a Close frame", rfc_section="7.4.1")
    try:
        reason = payload[2:].decode("utf-8")
    except UnicodeDecodeError as e:
        raise InvalidUTF8(f"the close reason is not valid UTF-8 ({e.reason} at byte {e.start})",
                          rfc_section="5.5.1") from None
    return code, reason


class FrameParser:
    """Turns a byte stream, split anywhere, into frames.

        parser = FrameParser(role="server", max_size=2**20)
        parser.feed(data)            # as bytes arrive, in any split
        for frame in parser:         # every frame now complete, in order
            ...

    Iterating stops at the first incomplete frame and raises `ProtocolError`
    at the first bad one, after yielding every good frame before it. Each
    byte is looked at a bounded number of times, so parsing is linear however
    the input is chopped. The payload length is checked against `max_size` as
    soon as the header is complete, before the payload is buffered. After an
    error the parser refuses further input, as §7.1.7 says to stop processing.
    """

    def __init__(self, *, role: Role | None = None, max_size: int | None = None) -> None:
        self.role = role
        self.max_size = max_size
        self._buffer = bytearray()
        self._header: Header | None = None
        self.error: ProtocolError | None = None

    @property
    def buffered(self) -> int:
        """Bytes received but not yet part of a complete frame."""
        return len(self._buffer)

    def feed(self, data: bytes) -> None:
        """Add bytes as they arrive."""
        if self.error is not None:
            raise self.error
        self._buffer += data

    def __iter__(self) -> Iterator[Frame]:
        while (frame := self.next_frame()) is not None:
            yield frame

    def next_frame(self) -> Frame | None:
        """The next complete frame, or None if more bytes are needed."""
        if self.error is not None:
            raise self.error
        try:
            return self._next_frame()
        except ProtocolError as error:
            self.error = error
            self._buffer.clear()
            raise

    def _next_frame(self) -> Frame | None:
        if self._header is None:
            if len(self._buffer) < 2:
                return None
            try:
                self._header = parse_header(self._buffer[:14], role=self.role, max_size=self.max_size)
            except IncompleteFrame:
                return None
            del self._buffer[:self._header.size]  # O(1): CPython moves a bytearray's start
        header = self._header
        if len(self._buffer) < header.payload_length:
            return None
        payload = bytes(self._buffer[:header.payload_length])
        del self._buffer[:header.payload_length]
        self._header = None
        return _frame(header, payload)

    # --- the frame in progress (for checks that cannot wait for the whole frame) ---

    @property
    def pending_header(self) -> Header | None:
        """The header of the frame being received, once its header bytes are all in.

        Set after `next_frame()` returned None for want of payload bytes; None
        between frames. `wslab.connection` uses it to refuse a frame by its header
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


# --- the rules -----------------------------------------------------------------

def _frame(header: Header, payload: bytes) -> Frame:
    if header.mask_key is not None:
        payload = mask(payload, header.mask_key)
    frame = Frame(Opcode(header.opcode), payload, header.fin, header.rsv1, header.rsv2, header.rsv3)
    if frame.opcode == Opcode.CLOSE:
        parse_close(payload)
    return frame


def _check_reserved_bits(rsv1: bool, rsv2: bool, rsv3: bool) -> None:
    for name, bit in (("RSV1", rsv1), ("RSV2", rsv2), ("RSV3", rsv3)):
        if bit:
            raise ProtocolError(f"reserved bit {name} is set but no extension was negotiated that defines it",
                                rfc_section="5.2")


def _check_opcode(opcode: int) -> None:
    if opcode not in Opcode._value2member_map_:
        kind = "non-control" if opcode < 0x8 else "control"
        raise ProtocolError(f"opcode {opcode:#x} is reserved for further {kind} frames", rfc_section="5.2")


def _check_control(fin: bool, length_field: int) -> None:
    if not fin:
        raise ProtocolError("a control frame has FIN = 0: control frames MUST NOT be fragmented",
                            rfc_section="5.5")
    if length_field > MAX_CONTROL_PAYLOAD:
        raise ProtocolError("a control frame announces more than 125 bytes of payload", rfc_section="5.5")


def _check_masking(masked: bool, role: Role | None) -> None:
    if role == "server" and not masked:
        raise ProtocolError("a client sent an unmasked frame: client frames MUST be masked", rfc_section="5.1")
    if role == "client" and masked:
        raise ProtocolError("a server sent a masked frame: server frames MUST NOT be masked", rfc_section="5.1")


def _read_length(data: bytes, length_field: int) -> int:
    if length_field == _LENGTH_16:
        (length,) = struct.unpack("!H", data[2:4])
        if length <= 125:
            raise ProtocolError(f"length {length} sent in 16 bits; the minimal encoding is the 7-bit field",
                                rfc_section="5.2")
        return length
    if length_field == _LENGTH_64:
        (length,) = struct.unpack("!Q", data[2:10])
        if length >> 63:
            raise ProtocolError("the 64-bit payload length has its most significant bit set", rfc_section="5.2")
        if length <= 0xFFFF:
            raise ProtocolError(f"length {length} sent in 64 bits; the minimal encoding is "
                                f"{'the 7-bit field' if length <= 125 else '16 bits'}", rfc_section="5.2")
        return length
    return length_field
