"""Exercises of lesson 03 · Frames, bit by bit: decode by hand, the header parser, the length encoding."""

from __future__ import annotations

import random

from wslab import frames
from wslab.connection import TextMessage
from wslab.exercises import checks, solutions
from wslab.exercises import feedback as fb
from wslab.exercises.exercise import Checked, FunctionExercise, Predict
from wslab.exercises.feedback import Case, described
from wslab.frames import Frame, Opcode
from wslab.masking import RFC_MASK_KEY

TITLE = "Frames, bit by bit"
STEM = "03_frames"

RFC_FRAME = bytes.fromhex("81 85 37 fa 21 3d 7f 9f 4d 51 58")  # RFC 6455 §5.7: masked "Hello"


def _decoded() -> dict:
    header = frames.parse_header(RFC_FRAME)
    frame, _ = frames.decode(RFC_FRAME)
    assert header.mask_key is not None
    return {
        "fin": int(header.fin),
        "opcode": header.opcode,
        "mask": int(header.masked),
        "payload length": header.payload_length,
        "masking key": header.mask_key.hex(" "),
        "payload": frame.payload.decode(),
    }


def _normalize_field(value):
    """Accept 1/True, 0x81-style ints, b"Hello" or "Hello", b"7\\xfa!=" or "37 fa 21 3d"."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (bytes, bytearray)):
        return (
            bytes(value).hex(" ")
            if len(value) == 4 and not bytes(value).isascii()
            else bytes(value).decode("utf-8", "replace")
        )
    if isinstance(value, str):
        text = value.strip()
        compact = text.replace(" ", "").lower()
        if len(compact) == 8 and all(c in "0123456789abcdef" for c in compact):
            return " ".join(compact[i : i + 2] for i in range(0, 8, 2))
        return text
    return value


def _header_cases():
    rule = "RFC 6455 §5.2: the header layout (FIN, RSV1-3, opcode, MASK, 7/16/64-bit length, masking key)"

    def read(data):
        """The expected header: wslab's own parser for frames it accepts; for the rest the fields as they stand."""
        try:
            return frames.parse_header(data)
        except frames.ProtocolError:
            return solutions.parse_header(data)
        except frames.IncompleteFrame:
            return None

    def frame(opcode, size, *, masked, **bits):
        return frames.encode(Frame(opcode, bytes(size), **bits), RFC_MASK_KEY if masked else None)

    yield "RFC vector", (RFC_FRAME,), read(RFC_FRAME), rule
    unmasked_hello = bytes.fromhex("81 05 48 65 6c 6c 6f")
    yield "RFC vector", (unmasked_hello,), read(unmasked_hello), rule
    edge = [frame(Opcode.BINARY, n, masked=m) for n in (0, 125, 126, 65535, 65536) for m in (False, True)]
    edge += [
        frame(Opcode.TEXT, 3, masked=True, fin=False),
        frame(Opcode.PING, 0, masked=False),
        frame(Opcode.TEXT, 1, masked=False, rsv1=True, rsv2=True, rsv3=True),
        bytes([0x83, 0x00]),
        bytes([0x8F, 0x00]),  # reserved opcodes: read, not judged
        bytes([0x82, 0x7E, 0x00, 0x05]) + bytes(5),  # non-minimal: read as it stands
        bytes([0x82, 0xFF]) + (2**40).to_bytes(8, "big") + RFC_MASK_KEY,
    ]  # a 1 TiB frame's header
    for data in edge:
        yield "edge case", (data,), read(data), rule
    for data in (b"", b"\x81", RFC_FRAME[:5], bytes([0x82, 0x7E, 0x01]), bytes([0x82, 0x7F]) + bytes(7)):
        yield "incomplete header", (data,), None, "RFC 6455 §5.2: the header is 2, +2 or +8, +4 bytes"
    rng = random.Random("03.parse_header")
    for _ in range(200):
        data = frame(
            rng.choice(list(Opcode)) if rng.random() < 0.9 else rng.randrange(16),
            rng.choice((rng.randrange(126), rng.randrange(126, 65536), rng.randrange(65536, 70000))),
            masked=rng.random() < 0.5,
            fin=rng.random() < 0.8,
            rsv1=rng.random() < 0.1,
        )
        cut = rng.choice((len(data), len(data), rng.randrange(1, min(len(data), 14) + 1)))
        yield "random frame", (data[:cut],), read(data[:cut]), rule


def _length_cases():
    rule = "RFC 6455 §5.2: 0-125 in 7 bits; 126 + 16 bits up to 65535; 127 + 64 bits beyond; minimal encoding"

    def expected(n):
        wire = frames.encode(Frame(Opcode.BINARY, bytes(n)))
        return wire[1 : len(wire) - n]

    for n in (0, 1, 125, 126, 127, 255, 256, 65535, 65536, 100_000):
        yield "edge case", (n,), expected(n), rule
    rng = random.Random("03.encode_length")
    for _ in range(60):
        n = rng.choice((rng.randrange(126), rng.randrange(126, 65536), rng.randrange(65536, 300_000)))
        yield "random length", (n,), expected(n), rule


def _length_fields() -> dict:
    fields = {}
    for size in (5, 125, 126, 1000, 65535, 65536):
        fields[size] = frames.parse_header(frames.encode(Frame(Opcode.BINARY, bytes(size)))).length_field
    return fields


def _fragments_check(ex, answer):
    data = checks.as_bytes(answer)
    if data is None:
        return fb.failed(ex.id, f"expected bytes (or hex text), got {type(answer).__name__}")
    wanted = "two unmasked frames that a client reads as one text message 'Hello'"
    events = checks.receive("client", data)
    shown = data.hex(" ")
    try:
        count = len(checks.frames_in(data))
    except frames.ProtocolError:
        count = 0
    if events != [TextMessage("Hello")]:
        return fb.failed(
            ex.id,
            "a client does not read one message 'Hello' from these bytes",
            Case(shown, described(wanted), described(checks.describe_events(events)), "RFC 6455 §5.4"),
        )
    if count != 2:
        return fb.failed(
            ex.id,
            f"'Hello' arrives, but in {count} frame(s), not 2",
            Case(shown, described(wanted), described(f"{count} frame(s)"), "RFC 6455 §5.4"),
        )
    return fb.passed(
        ex.id, "a client reads the two frames as the text message 'Hello' (TEXT FIN=0, then CONTINUATION FIN=1)"
    )


EXERCISES = [
    Predict(
        "03.decode_by_hand",
        "Decode 81 85 37 fa 21 3d 7f 9f 4d 51 58 by hand",
        expected=_decoded,
        normalize=_normalize_field,
        source="frames.decode",
        question="{'fin', 'opcode', 'mask', 'payload length', 'masking key', 'payload'} of the RFC's frame",
        hints=[
            "Byte 0x81 = 1000 0001: FIN, three RSV bits, then the 4-bit opcode.",
            "Byte 0x85 = 1000 0101: MASK, then a 7-bit length. Then 4 bytes of masking key.",
            "The last 5 bytes XOR the key, byte by byte: 0x7f ^ 0x37 = 0x48 = 'H'.",
        ],
        explanation="The RFC's own example (§5.7): a masked text frame carrying 'Hello'.",
        rule="RFC 6455 §5.2, §5.7",
    ),
    FunctionExercise(
        "03.parse_header",
        "Write parse_header(data): the frame header at the start of data, or None if incomplete",
        cases=_header_cases,
        oracles="wslab's frames.parse_header (fields read as they stand)",
        solution=solutions.parse_header,
        hints=[
            "Return frames.Header(fin, rsv1, rsv2, rsv3, opcode, masked, length_field, payload_length, "
            "mask_key, size). Read every field; judging them is lesson 05's check_header.",
            "b0 & 0x80 is FIN, b0 & 0x0F the opcode; b1 & 0x80 is MASK, b1 & 0x7F the length field.",
            "length_field 126: a 16-bit length follows, 127: 64 bits (int.from_bytes(..., 'big')). "
            "size = 2 + (0, 2 or 8) + (4 if masked); None while len(data) < size.",
        ],
        explanation="Read the two fixed bytes, the extended length, then the masking key.",
        rule="RFC 6455 §5.2",
    ),
    FunctionExercise(
        "03.encode_length",
        "Write encode_length(n): the second header byte (MASK = 0) and the extended length",
        cases=_length_cases,
        oracles="wslab's frames.encode",
        solution=solutions.encode_length,
        hints=[
            "Three cases: n <= 125, n <= 65535, larger.",
            "bytes([126]) + n.to_bytes(2, 'big') for the middle case; 127 and 8 bytes for the last.",
        ],
        explanation="The minimal encoding: one byte, three bytes or nine bytes.",
        rule="RFC 6455 §5.2",
    ),
    Predict(
        "03.length_encoding",
        "Choose the 7-bit payload length value for each payload size",
        expected=_length_fields,
        source="frames.encode",
        question="a dict: payload size -> the 7-bit field",
        hints=[
            "The field is the length itself while it fits in 0-125.",
            "126 announces a 16-bit length (up to 65535), 127 a 64-bit one.",
        ],
        explanation="5 and 125 stand as they are; 126 to 65535 use 126; from 65536 on, 127.",
        rule="RFC 6455 §5.2",
    ),
    Predict(
        "03.control_opcodes",
        "Which opcodes are control frames?",
        expected=lambda: {int(o) for o in Opcode if o.is_control},
        source="wslab.codes.Opcode",
        question="the set of control opcodes (as ints)",
        hints=["Control frames have the high bit of the opcode set (§5.5).", "Close, Ping, Pong: 0x8, 0x9, 0xA."],
        explanation="{8, 9, 10}: Close, Ping, Pong. 11-15 are reserved for future control frames.",
        rule="RFC 6455 §5.5",
    ),
    Checked(
        "03.make_rsv2",
        "Make a frame a server must fail with 1002 because of RSV2",
        kind="bytes",
        checker=checks.frame_breaks(
            "server",
            code=1002,
            field="RSV2",
            wanted="a 1002 close because of RSV2",
            rule="RFC 6455 §5.2: RSV1-3 MUST be 0 unless an extension defines them",
        ),
        solution=solutions.rsv2_frame,
        hints=[
            "RSV2 is bit 0x20 of the first byte.",
            "Mask it too: a client frame without a mask breaks a second rule (§5.1).",
            "frames.encode(Frame(Opcode.TEXT, b'hi', rsv2=True), mask_key=RFC_MASK_KEY), after "
            "from wslab.masking import RFC_MASK_KEY (the key of §5.7)",
        ],
        explanation="0xa1 = FIN + RSV2 + text, masked, so RSV2 is the only broken rule.",
    ),
    Checked(
        "03.make_fragments",
        "Make the two frames a server sends for 'Hello' as 'Hel' + 'lo'",
        kind="bytes",
        checker=_fragments_check,
        solution=solutions.hello_in_two_fragments,
        hints=[
            "The first frame carries the opcode (TEXT) with FIN = 0; the second is a CONTINUATION with FIN = 1.",
            "A server does not mask. Lesson 03 shows the hex: 01 03 48 65 6c 80 02 6c 6f.",
        ],
        explanation="01 03 'Hel', then 80 02 'lo'.",
        rule="RFC 6455 §5.4",
    ),
    Checked(
        "03.make_non_minimal",
        "Make a frame a server must fail because its length is not minimally encoded",
        kind="bytes",
        checker=checks.frame_breaks(
            "server",
            code=1002,
            field="extended payload length",
            wanted="a 1002 close because of a non-minimal length",
            rule="RFC 6455 §5.2: the minimal number of bytes MUST be used",
        ),
        solution=solutions.non_minimal_length,
        hints=[
            "Send a short payload (say 5 bytes) with length field 126 and a 16-bit length of 5.",
            "Mask it: second byte 0xFE = MASK + 126, then 00 05, then 4 key bytes and 5 payload bytes.",
        ],
        explanation="82 fe 00 05 + key + 5 bytes: 5 fits in 7 bits, so 126 is not allowed.",
    ),
]
