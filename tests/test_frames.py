"""wslab.frames against RFC 6455: the §5.7 examples, every frame-level rule, the parser."""

import time

import pytest

from wslab.codes import CloseCode, Opcode
from wslab.errors import IncompleteFrame, InvalidUTF8, PayloadTooBig, ProtocolError, WslabError
from wslab.frames import (
    Field,
    Frame,
    FrameParser,
    check_frame,
    close_payload,
    decode,
    encode,
    header_fields,
    header_size,
    parse_close,
    parse_header,
)
from wslab.masking import RFC_MASK_KEY
from wslab.viz.steps import Step, decode_steps, encode_steps

# --- §5.7 examples, both directions --------------------------------------------

BINARY_256 = bytes(range(256))
BINARY_64K = bytes(i % 251 for i in range(65536))

RFC_EXAMPLES = [
    # (name, frame, mask key, wire bytes as printed in §5.7)
    ("unmasked text Hello", Frame(Opcode.TEXT, b"Hello"), None, bytes.fromhex("810548656c6c6f")),
    ("masked text Hello", Frame(Opcode.TEXT, b"Hello"), RFC_MASK_KEY, bytes.fromhex("818537fa213d7f9f4d5158")),
    ("fragment 1: Hel", Frame(Opcode.TEXT, b"Hel", fin=False), None, bytes.fromhex("010348656c")),
    ("fragment 2: lo", Frame(Opcode.CONTINUATION, b"lo"), None, bytes.fromhex("80026c6f")),
    ("unmasked ping Hello", Frame(Opcode.PING, b"Hello"), None, bytes.fromhex("890548656c6c6f")),
    ("masked pong Hello", Frame(Opcode.PONG, b"Hello"), RFC_MASK_KEY, bytes.fromhex("8a8537fa213d7f9f4d5158")),
    ("256 bytes binary", Frame(Opcode.BINARY, BINARY_256), None, bytes.fromhex("827e0100") + BINARY_256),
    ("64 KiB binary", Frame(Opcode.BINARY, BINARY_64K), None, bytes.fromhex("827f0000000000010000") + BINARY_64K),
]


@pytest.mark.parametrize("name, frame, key, wire", RFC_EXAMPLES, ids=[e[0] for e in RFC_EXAMPLES])
def test_rfc_5_7_encode(name, frame, key, wire):
    assert encode(frame, mask_key=key) == wire


@pytest.mark.parametrize("name, frame, key, wire", RFC_EXAMPLES, ids=[e[0] for e in RFC_EXAMPLES])
def test_rfc_5_7_decode(name, frame, key, wire):
    role = "server" if key else "client"
    assert decode(wire, role=role) == (frame, len(wire))
    assert decode(wire) == (frame, len(wire))


def test_rfc_5_7_fragmented_message_through_parser():
    parser = FrameParser(role="client")
    parser.feed(bytes.fromhex("010348656c80026c6f"))
    frames = list(parser)
    assert [f.payload for f in frames] == [b"Hel", b"lo"]
    assert [f.fin for f in frames] == [False, True]
    assert b"".join(f.payload for f in frames).decode() == "Hello"


# --- every frame-level rule: class, close code, section, field, message ---------


def _opcode_case(opcode):
    kind = "non-control" if opcode < 8 else "control"
    return (
        f"reserved opcode {opcode}",
        bytes([0x80 | opcode, 0x00]),
        None,
        None,
        ProtocolError,
        1002,
        "5.2",
        "opcode",
        f"opcode {opcode} ({opcode:04b}) is reserved",
        kind,
    )


BAD_FRAMES = [
    # (id, bytes, role, max_size, error class, close code, rfc section, field, message fragment, 2nd fragment)
    ("RSV1 set", b"\xc1\x00", None, None, ProtocolError, 1002, "5.2", "RSV1", "reserved bit RSV1 is set", "extension"),
    ("RSV2 set", b"\xa2\x00", None, None, ProtocolError, 1002, "5.2", "RSV2", "reserved bit RSV2 is set", "extension"),
    ("RSV3 set", b"\x91\x00", None, None, ProtocolError, 1002, "5.2", "RSV3", "reserved bit RSV3 is set", "extension"),
    *[_opcode_case(op) for op in (3, 4, 5, 6, 7, 11, 12, 13, 14, 15)],
    (
        "fragmented close",
        b"\x08\x00",
        None,
        None,
        ProtocolError,
        1002,
        "5.5",
        "FIN",
        "CLOSE frame has FIN = 0",
        "MUST NOT be fragmented",
    ),
    (
        "fragmented ping",
        b"\x09\x00",
        None,
        None,
        ProtocolError,
        1002,
        "5.5",
        "FIN",
        "PING frame has FIN = 0",
        "MUST NOT be fragmented",
    ),
    (
        "fragmented pong",
        b"\x0a\x00",
        None,
        None,
        ProtocolError,
        1002,
        "5.5",
        "FIN",
        "PONG frame has FIN = 0",
        "MUST NOT be fragmented",
    ),
    (
        "ping of 126 bytes",
        b"\x89\x7e\x00\x7e" + bytes(126),
        None,
        None,
        ProtocolError,
        1002,
        "5.5",
        "payload length",
        "PING frame has payload length field 126",
        "at most 125",
    ),
    (
        "close with a 64-bit length",
        b"\x88\x7f" + (65536).to_bytes(8, "big"),
        None,
        None,
        ProtocolError,
        1002,
        "5.5",
        "payload length",
        "CLOSE frame has payload length field 127",
        "at most 125",
    ),
    (
        "64-bit length with the top bit set",
        b"\x82\x7f\x80" + bytes(7),
        None,
        None,
        ProtocolError,
        1002,
        "5.2",
        "extended payload length",
        "most significant bit set",
        "MUST be 0",
    ),
    (
        "64-bit length, all bits set",
        b"\x82\x7f" + b"\xff" * 8,
        None,
        None,
        ProtocolError,
        1002,
        "5.2",
        "extended payload length",
        "most significant bit set",
        "MUST be 0",
    ),
    (
        "16-bit length 0",
        b"\x82\x7e\x00\x00",
        None,
        None,
        ProtocolError,
        1002,
        "5.2",
        "extended payload length",
        "payload length 0 is sent in the 16-bit extended field",
        "the 7-bit field",
    ),
    (
        "16-bit length 125",
        b"\x82\x7e\x00\x7d" + bytes(125),
        None,
        None,
        ProtocolError,
        1002,
        "5.2",
        "extended payload length",
        "payload length 125 is sent in the 16-bit",
        "minimal encoding MUST be used",
    ),
    (
        "64-bit length 125",
        b"\x82\x7f" + (125).to_bytes(8, "big"),
        None,
        None,
        ProtocolError,
        1002,
        "5.2",
        "extended payload length",
        "payload length 125 is sent in the 64-bit",
        "the 7-bit field",
    ),
    (
        "64-bit length 65535",
        b"\x82\x7f" + (65535).to_bytes(8, "big"),
        None,
        None,
        ProtocolError,
        1002,
        "5.2",
        "extended payload length",
        "payload length 65535 is sent in the 64-bit",
        "the 16-bit extended field",
    ),
    (
        "server gets an unmasked frame",
        b"\x81\x02hi",
        "server",
        None,
        ProtocolError,
        1002,
        "5.1",
        "MASK",
        "a client sent an unmasked frame",
        "MUST close",
    ),
    (
        "client gets a masked frame",
        b"\x81\x82" + RFC_MASK_KEY + b"\x00\x00",
        "client",
        None,
        ProtocolError,
        1002,
        "5.1",
        "MASK",
        "a server sent a masked frame",
        "MUST close",
    ),
    (
        "close payload of 1 byte",
        b"\x88\x01\x03",
        None,
        None,
        ProtocolError,
        1002,
        "5.5.1",
        "payload",
        "1-byte payload",
        "2-byte close code",
    ),
    (
        "close reason not UTF-8",
        b"\x88\x04\x03\xe8\xff\xfe",
        None,
        None,
        InvalidUTF8,
        1007,
        "5.5.1",
        "payload",
        "close reason is not valid UTF-8",
        "invalid start byte",
    ),
    (
        "close reason with a surrogate",
        b"\x88\x05\x03\xe8\xed\xa0\x80",
        None,
        None,
        InvalidUTF8,
        1007,
        "5.5.1",
        "payload",
        "close reason is not valid UTF-8",
        "reason",
    ),
    (
        "close reason cut mid-character",
        b"\x88\x03\x03\xe8\xc3",
        None,
        None,
        InvalidUTF8,
        1007,
        "5.5.1",
        "payload",
        "close reason is not valid UTF-8",
        "unexpected end",
    ),
    (
        "payload over max_size (7-bit)",
        b"\x82\x65" + bytes(101),
        None,
        100,
        PayloadTooBig,
        1009,
        "10.4",
        "payload length",
        "announces 101 byte(s) of payload",
        "limit of 100 byte(s)",
    ),
    (
        "payload over max_size (64-bit)",
        b"\x82\x7f" + (1 << 40).to_bytes(8, "big"),
        None,
        1 << 20,
        PayloadTooBig,
        1009,
        "10.4",
        "extended payload length",
        f"announces {1 << 40} byte(s)",
        "limit of 1048576 byte(s)",
    ),
]
_FORBIDDEN_CLOSE_CODES = [
    (0, "0-999 are not used"),
    (999, "0-999 are not used"),
    (1004, "1004 is reserved"),
    (1005, "1005 NO_STATUS_RECEIVED is for reporting only"),
    (1006, "1006 ABNORMAL_CLOSURE is for reporting only"),
    (1015, "1015 TLS_HANDSHAKE is for reporting only"),
    (1016, "1016-2999"),
    (2000, "1016-2999"),
    (2999, "1016-2999"),
    (5000, "above 4999"),
    (65535, "above 4999"),
]
BAD_FRAMES += [
    (
        f"close code {code}",
        b"\x88\x02" + code.to_bytes(2, "big"),
        None,
        None,
        ProtocolError,
        1002,
        "7.4.1",
        "payload",
        f"close code {code} may not be sent",
        why,
    )
    for code, why in _FORBIDDEN_CLOSE_CODES
]


def _check(error, cls, code, section, field, fragment, fragment2):
    assert type(error) is cls
    assert error.close_code == code
    assert error.rfc_section == section
    assert error.field == field
    assert fragment in error.message
    assert fragment2 in error.message
    text = str(error)
    assert f"RFC 6455 §{section}" in text and f"closes with {code} {CloseCode(code).name}" in text


@pytest.mark.parametrize("case", BAD_FRAMES, ids=[c[0] for c in BAD_FRAMES])
def test_rule_decode(case):
    _, data, role, max_size, *expected = case
    with pytest.raises(ProtocolError) as info:
        decode(data, role=role, max_size=max_size)
    _check(info.value, *expected)


@pytest.mark.parametrize("case", BAD_FRAMES, ids=[c[0] for c in BAD_FRAMES])
def test_rule_parser_at_once_and_byte_by_byte(case):
    _, data, role, max_size, *expected = case
    good = encode(Frame(Opcode.BINARY, b"ok"), RFC_MASK_KEY if role == "server" else None)
    for pieces in ([good + data], [bytes([b]) for b in good + data]):
        parser = FrameParser(role=role, max_size=max_size)
        for piece in pieces:
            parser.feed(piece)
        assert parser.next_frame() == Frame(Opcode.BINARY, b"ok")  # the good frame before the bad one
        with pytest.raises(ProtocolError) as info:
            parser.next_frame()
        _check(info.value, *expected)
        assert parser.buffered == 0
        with pytest.raises(ProtocolError):  # §7.1.7: nothing more is processed
            parser.feed(good)


@pytest.mark.parametrize("case", BAD_FRAMES, ids=[c[0] for c in BAD_FRAMES])
def test_rule_decode_steps_stops_with_the_same_error(case):
    _, data, role, max_size, *expected = case
    last = decode_steps(data, role, max_size=max_size)[-1]
    _check(last.error, *expected)
    assert last.title.endswith(f"error in {expected[3]}")
    assert last.detail == str(last.error)


def test_unnegotiated_bits_fail_at_the_first_byte():
    with pytest.raises(ProtocolError) as info:
        decode(b"\xc1")  # the second byte has not arrived yet
    assert info.value.field == "RSV1"


ALLOWED_CLOSE_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999]


@pytest.mark.parametrize("code", ALLOWED_CLOSE_CODES)
def test_close_codes_accepted(code):
    wire = b"\x88\x05" + code.to_bytes(2, "big") + b"bye"
    frame, _ = decode(wire)
    assert parse_close(frame.payload) == (code, "bye")
    assert close_payload(code, "bye") == frame.payload


def test_close_payload_empty_and_utf8_reason():
    assert decode(b"\x88\x00") == (Frame(Opcode.CLOSE, b""), 2)
    assert parse_close(b"") == (None, "")
    payload = close_payload(1000, "잘 가")
    assert parse_close(payload) == (1000, "잘 가")


def test_close_payload_refuses_what_may_not_be_sent():
    for code in (999, 1005, 1006, 1015, 1016, 5000):
        with pytest.raises(ValueError, match=f"{code} may not be sent"):
            close_payload(code)
    with pytest.raises(ValueError, match="at most 123 bytes"):
        close_payload(1000, "x" * 124)
    with pytest.raises(ValueError, match="needs a close code"):
        close_payload(None, "why")


def test_check_frame_applies_the_same_rules_to_a_frame():
    with pytest.raises(ProtocolError) as info:
        check_frame(Frame(Opcode.PING, bytes(126)))
    assert (info.value.field, info.value.rfc_section) == ("payload length", "5.5")
    assert "126 bytes" in info.value.message
    with pytest.raises(ProtocolError) as info:
        check_frame(Frame(Opcode.PONG, b"", fin=False))
    assert info.value.field == "FIN"
    with pytest.raises(ProtocolError) as info:
        check_frame(Frame(5, b""))
    assert info.value.field == "opcode"
    with pytest.raises(ProtocolError) as info:
        check_frame(Frame(Opcode.TEXT, b"", rsv2=True))
    assert info.value.field == "RSV2"
    with pytest.raises(InvalidUTF8):
        check_frame(Frame(Opcode.CLOSE, b"\x03\xe8\xff"))
    check_frame(Frame(Opcode.PING, bytes(125)))


def test_encode_writes_a_broken_frame_as_given():
    wire = encode(Frame(Opcode.PING, b"", fin=False, rsv1=True))
    assert wire == b"\x49\x00"
    assert encode(Frame(11)) == b"\x8b\x00"
    with pytest.raises(ValueError, match="4 bits"):
        Frame(16)


# --- incomplete input ------------------------------------------------------------


@pytest.mark.parametrize(
    "data, needed, exact",
    [
        (b"", 2, False),
        (b"\x81", 1, False),
        (b"\x81\x05He", 3, True),
        (b"\x81\x85", 9, True),  # 4 key bytes + 5 payload bytes, all known
        (b"\x81\x85\x37\xfa", 7, True),
        (b"\x82\x7e\x01", 1, False),  # the 16-bit length is not complete
        (b"\x82\xfe\x01", 5, False),  # ... nor the masking key after it
        (b"\x82\x7e\x01\x00", 256, True),
        (b"\x82\x7f\x00\x00\x00\x00\x00\x01\x00", 1, False),
        (b"\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00" + bytes(10), 65526, True),
    ],
)
def test_incomplete_frame_says_how_many_more_bytes(data, needed, exact):
    with pytest.raises(IncompleteFrame) as info:
        decode(data)
    assert (info.value.needed, info.value.exact) == (needed, exact)
    assert f"{needed} more byte(s)" in str(info.value)
    assert ("at least" in str(info.value)) is not exact
    # ... and that many more bytes are indeed enough when exact
    if exact:
        frame, used = decode(data + bytes(needed))
        assert used == len(data) + needed


# --- lengths at the boundaries of the encodings ---------------------------------


@pytest.mark.parametrize(
    "length, header",
    [
        (0, b"\x82\x00"),
        (125, b"\x82\x7d"),
        (126, b"\x82\x7e\x00\x7e"),
        (65535, b"\x82\x7e\xff\xff"),
        (65536, b"\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00"),
    ],
)
def test_length_boundaries(length, header):
    payload = bytes(i % 256 for i in range(length))
    frame = Frame(Opcode.BINARY, payload)
    wire = encode(frame)
    assert wire[: len(header)] == header and len(wire) == len(header) + length
    assert decode(wire) == (frame, len(wire))
    masked = encode(frame, RFC_MASK_KEY)
    assert masked[1] & 0x80 and masked[len(header) : len(header) + 4] == RFC_MASK_KEY
    assert decode(masked, role="server") == (frame, len(masked))
    parser = FrameParser(role="server", max_size=length)
    parser.feed(masked)
    assert list(parser) == [frame]
    too_small = FrameParser(role="server", max_size=length - 1) if length else None
    if too_small:
        too_small.feed(masked[: len(header)])
        with pytest.raises(PayloadTooBig):
            too_small.next_frame()


# --- the parser -------------------------------------------------------------------


def _stream():
    frames = [
        Frame(Opcode.TEXT, b"Hel", fin=False),
        Frame(Opcode.PING, b"are you there?"),
        Frame(Opcode.CONTINUATION, b"lo"),
        Frame(Opcode.BINARY, b""),
        Frame(Opcode.BINARY, bytes(300)),
        Frame(Opcode.PONG, b""),
        Frame(Opcode.BINARY, bytes(range(256)) * 300),
        Frame(Opcode.CLOSE, close_payload(1000, "bye")),
    ]
    keys = [bytes([i, 255 - i, i * 7 % 256, 42]) for i in range(len(frames))]
    return frames, b"".join(encode(f, k) for f, k in zip(frames, keys, strict=False))


def test_parser_any_split_gives_the_same_frames():
    frames, wire = _stream()
    at_once = FrameParser(role="server")
    at_once.feed(wire)
    assert list(at_once) == frames
    byte_by_byte = FrameParser(role="server")
    got = []
    for i in range(len(wire)):
        byte_by_byte.feed(wire[i : i + 1])
        got.extend(byte_by_byte)
    assert got == frames
    for size in (2, 3, 7, 13, 1000):
        parser = FrameParser(role="server")
        for i in range(0, len(wire), size):
            parser.feed(wire[i : i + size])
        assert list(parser) == frames and parser.buffered == 0


def test_parser_checks_the_limit_before_buffering_the_payload():
    parser = FrameParser(role="client", max_size=1 << 20)
    parser.feed(b"\x82\x7f" + (1 << 40).to_bytes(8, "big") + bytes(5000))
    assert parser.buffered == 0
    with pytest.raises(PayloadTooBig) as info:
        parser.next_frame()
    assert info.value.close_code == 1009


def test_parser_buffers_only_the_frame_being_read():
    parser = FrameParser(role="client", max_size=1000)
    wire = encode(Frame(Opcode.BINARY, bytes(1000)))
    parser.feed(wire[:500])
    assert parser.buffered == 500 - 4  # the header is parsed and dropped, the payload kept
    parser.feed(wire[500:])
    assert parser.buffered == 0 and next(iter(parser)).payload == bytes(1000)


def test_parser_accepts_bytearray_and_memoryview():
    parser = FrameParser()
    parser.feed(bytearray(b"\x81\x02hi"))
    parser.feed(memoryview(b"\x82\x01!"))
    assert list(parser) == [Frame(Opcode.TEXT, b"hi"), Frame(Opcode.BINARY, b"!")]


def test_parser_is_linear_byte_by_byte():
    def feed_time(n):
        wire = encode(Frame(Opcode.BINARY, bytes(n)), RFC_MASK_KEY)
        best = float("inf")
        for _ in range(3):
            parser = FrameParser(role="server")
            start = time.perf_counter()
            for i in range(len(wire)):
                parser.feed(wire[i : i + 1])
            best = min(best, time.perf_counter() - start)
            assert next(iter(parser)).payload == bytes(n)
        return best

    # 4 times the bytes: ~4 times the time if linear, ~16 if quadratic.
    assert feed_time(80_000) / feed_time(20_000) < 8


# --- header_fields -----------------------------------------------------------------


def test_header_fields_masked_hello():
    fields = header_fields(Frame(Opcode.TEXT, b"Hello"), RFC_MASK_KEY)
    assert [(f.name, f.offset, f.width, f.bits) for f in fields] == [
        ("FIN", 0, 1, "1"),
        ("RSV1", 1, 1, "0"),
        ("RSV2", 2, 1, "0"),
        ("RSV3", 3, 1, "0"),
        ("opcode", 4, 4, "0001"),
        ("MASK", 8, 1, "1"),
        ("payload length", 9, 7, "0000101"),
        ("masking key", 16, 32, "00110111111110100010000100111101"),
        ("payload", 48, 40, ""),
    ]
    values = {f.name: f.value for f in fields}
    assert values["opcode"] is Opcode.TEXT and values["FIN"] is True and values["MASK"] is True
    assert values["masking key"] == RFC_MASK_KEY and values["payload"] == bytes.fromhex("7f9f4d5158")
    assert all(isinstance(f, Field) and f.meaning for f in fields)
    assert header_fields(bytes.fromhex("818537fa213d7f9f4d5158")) == fields


@pytest.mark.parametrize("length, ext_width", [(126, 16), (65535, 16), (65536, 64)])
def test_header_fields_extended_lengths(length, ext_width):
    wire = encode(Frame(Opcode.BINARY, bytes(length)))
    fields = header_fields(wire)
    names = [f.name for f in fields]
    assert names == [
        "FIN",
        "RSV1",
        "RSV2",
        "RSV3",
        "opcode",
        "MASK",
        "payload length",
        "extended payload length",
        "payload",
    ]
    ext = fields[7]
    assert (ext.offset, ext.width, ext.value) == (16, ext_width, length)
    assert ext.bits == format(length, f"0{ext_width}b")
    assert fields[6].value == (126 if ext_width == 16 else 127)
    assert fields[8].offset == 16 + ext_width and fields[8].width == 8 * length
    # the bits of every header field, in order, are the header bytes
    header_bits = "".join(f.bits for f in fields[:-1])
    assert header_bits == "".join(format(b, "08b") for b in wire[: len(header_bits) // 8])


def test_header_fields_of_invalid_and_truncated_bytes():
    fields = header_fields(b"\xf3\x7f\x80")  # RSV bits, reserved opcode, cut in the 64-bit length
    assert [f.name for f in fields] == ["FIN", "RSV1", "RSV2", "RSV3", "opcode", "MASK", "payload length"]
    assert fields[4].value == 3 and "reserved" in fields[4].meaning
    assert fields[1].value is True and "extension" in fields[1].meaning
    assert header_fields(b"") == []
    assert [f.name for f in header_fields(b"\x81")] == ["FIN", "RSV1", "RSV2", "RSV3", "opcode"]
    cut = header_fields(b"\x81\x05He")
    assert cut[-1].name == "payload" and cut[-1].value == b"He" and "2 of 5" in cut[-1].meaning
    assert [f.name for f in header_fields(b"\x88\x00")][-1] == "payload length"  # no payload, no field


def test_header_fields_key_only_with_a_frame():
    with pytest.raises(ValueError, match="mask_key goes with a Frame"):
        header_fields(b"\x81\x00", RFC_MASK_KEY)


# --- encode_steps / decode_steps ----------------------------------------------------


def test_encode_steps_masked_hello():
    steps = encode_steps(Frame(Opcode.TEXT, b"Hello"), RFC_MASK_KEY)
    assert [str(s) for s in steps] == [
        "1. first byte: FIN, RSV1-3, opcode: FIN=1 RSV=000 opcode=0001 (text message (UTF-8)) -> 0x81",
        "2. second byte: MASK, payload length: MASK=1, payload length 5 fits in the 7 bits -> 0x85",
        "3. masking key: 4 bytes the client picks at random for this frame (§5.3): 37 fa 21 3d",
        "4. mask the payload: payload[i] XOR key[i mod 4]: 48 65 6c 6c 6f -> 7f 9f 4d 51 58",
    ]
    assert all(isinstance(s, Step) for s in steps)


@pytest.mark.parametrize("name, frame, key, wire", RFC_EXAMPLES, ids=[e[0] for e in RFC_EXAMPLES])
def test_encode_steps_join_to_the_wire(name, frame, key, wire):
    steps = encode_steps(frame, key)
    assert b"".join(s.data for s in steps) == wire
    if len(frame.payload) > 125:
        assert "extended payload length" in steps[2].title
        assert f"{len(frame.payload)} as a {16 if len(frame.payload) < 65536 else 64}-bit" in steps[2].detail


def test_decode_steps_masked_hello():
    steps = decode_steps(bytes.fromhex("818537fa213d7f9f4d5158"), "server")
    assert [str(s) for s in steps] == [
        "1. first byte: FIN, RSV1-3, opcode: 0x81 -> FIN=1 RSV=000 opcode=0001 (text message (UTF-8))",
        "2. second byte: MASK, payload length: 0x85 -> MASK=1, payload length field 5 (payload is 5 bytes)",
        "3. masking key: 37 fa 21 3d",
        "4. payload: 5 bytes, masked: 7f 9f 4d 51 58",
        "5. unmask: payload[i] XOR key[i mod 4] -> 48 65 6c 6c 6f",
        "6. frame: TEXT, fin=True, 5 bytes of payload; 11 bytes read",
    ]
    assert steps[4].data == b"Hello" and all(s.error is None for s in steps)


def test_decode_steps_close_and_incomplete():
    steps = decode_steps(b"\x88\x05\x03\xe8bye")
    assert str(steps[-2]) == "4. close payload: 2-byte code, UTF-8 reason: code 1000 NORMAL_CLOSURE, reason 'bye'"
    steps = decode_steps(b"\x82\x7e\x01\x00" + bytes(10))
    assert steps[-1].title == "4. incomplete" and isinstance(steps[-1].error, IncompleteFrame)
    assert steps[-1].error.needed == 246


def test_every_error_is_a_wslab_error():
    assert issubclass(ProtocolError, WslabError) and issubclass(IncompleteFrame, WslabError)
    with pytest.raises(IncompleteFrame):
        parse_header(b"\x81\xfe\x00")


@pytest.mark.parametrize("length", [0, 125, 126, 65535, 65536])
@pytest.mark.parametrize("masked", [False, True])
def test_header_size_is_the_size_parse_header_reads(length, masked):
    wire = encode(Frame(Opcode.BINARY, bytes(length)), RFC_MASK_KEY if masked else None)
    assert header_size(length, masked=masked) == parse_header(wire).size == len(wire) - length
