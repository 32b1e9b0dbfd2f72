"""Exercises of lesson 05 · Control frames and closing: the frame rules, reassembly, UTF-8, the close reply."""

from __future__ import annotations

import codecs
import random

from wslab import frames
from wslab.codes import close_code_allowed
from wslab.connection import BinaryMessage, Connection, ConnectionFailed, Ping, TextMessage
from wslab.errors import ProtocolError
from wslab.exercises import checks, solutions
from wslab.exercises.exercise import Checked, FunctionExercise, Predict
from wslab.frames import Frame, Header, Opcode
from wslab.masking import RFC_MASK_KEY

TITLE = "Control frames and closing"
STEM = "05_control_and_close"

MAX_SIZE = 1 << 20


# --- check_header ------------------------------------------------------------------


def _head(
    opcode: int,
    length: int,
    *,
    masked: bool = True,
    fin: bool = True,
    rsv: tuple = (0, 0, 0),
    length_field: int | None = None,
) -> bytes:
    """Header bytes as given (non-minimal encodings too): what a misbehaving client can send."""
    if length_field is None:
        length_field = length if length <= 125 else 126 if length <= 0xFFFF else 127
    b0 = fin << 7 | rsv[0] << 6 | rsv[1] << 5 | rsv[2] << 4 | opcode
    extended = length.to_bytes({126: 2, 127: 8}[length_field], "big") if length_field >= 126 else b""
    return bytes([b0, masked << 7 | length_field]) + extended + (RFC_MASK_KEY if masked else b"")


def _server_verdict(data: bytes, max_size: int) -> int | None:
    try:
        frames.parse_header(data, role="server", max_size=max_size)
    except ProtocolError as error:
        return int(error.close_code)
    return None


_FLAWS = {
    "valid": lambda n: _head(1, n),
    "RSV1": lambda n: _head(1, n, rsv=(1, 0, 0)),
    "RSV2": lambda n: _head(2, n, rsv=(0, 1, 0)),
    "RSV3": lambda n: _head(1, n, rsv=(0, 0, 1)),
    "opcode 3": lambda n: _head(3, n),
    "opcode 11": lambda n: _head(11, min(n, 125)),
    "unmasked": lambda n: _head(2, n, masked=False),
    "ping FIN=0": lambda n: _head(9, min(n, 125), fin=False),
    "ping > 125": lambda n: _head(9, 126 + n % 1000),
    "non-minimal 16-bit": lambda n: _head(2, n % 126, length_field=126),
    "non-minimal 64-bit": lambda n: _head(2, n % 65536, length_field=127),
}


def _check_header_cases():
    rule = "RFC 6455 §5.1 (masking), §5.2 (RSV, opcodes, minimal length), §5.5 (control frames), §10.4 (size)"
    edge = [
        _head(1, 5),
        _head(2, 125),
        _head(2, 126),
        _head(2, 65536),
        _head(8, 125),
        _head(10, 0),
        _head(1, 5, rsv=(1, 0, 0)),
        _head(1, 5, rsv=(0, 1, 0)),
        _head(1, 5, rsv=(0, 0, 1)),
        _head(3, 1),
        _head(7, 1),
        _head(11, 1),
        _head(15, 1),
        _head(1, 5, masked=False),
        _head(9, 5, fin=False),
        _head(8, 126),
        _head(2, 5, length_field=126),
        _head(2, 100, length_field=127),
        _head(2, 65535, length_field=127),
        _head(2, 1 << 63, length_field=127),
        _head(0, 5, fin=False),
        _head(2, MAX_SIZE),
        _head(2, MAX_SIZE + 1),
    ]
    for data in edge:
        yield "edge case", (solutions.parse_header(data), MAX_SIZE), _server_verdict(data, MAX_SIZE), rule
    rng = random.Random("05.check_header")
    for _ in range(200):
        flaw = rng.choice(list(_FLAWS))
        n = rng.choice((rng.randrange(126), rng.randrange(126, 65536), rng.randrange(65536, 3 * MAX_SIZE)))
        data = _FLAWS[flaw](n)
        limit = rng.choice((MAX_SIZE, 1000, 100_000))
        yield "random header", (solutions.parse_header(data), limit), _server_verdict(data, limit), rule


def _show_header(header: Header, max_size: int) -> str:
    bits = "".join(f" {name}" for name in ("rsv1", "rsv2", "rsv3") if getattr(header, name))
    return (
        f"check_header(Header(fin={header.fin},{bits and ' set:' + bits + ','} opcode={header.opcode}, "
        f"masked={header.masked}, length_field={header.length_field}, payload_length={header.payload_length}"
        f"), max_size={max_size})"
    )


# --- reassemble ----------------------------------------------------------------------


def _reassembly_oracle(sequence: list[Frame]) -> list:
    """What a server's Connection makes of each frame: None (more to come), the whole message, or 1002."""
    connection = Connection("server", max_message_size=None)
    results: list = []
    for frame in sequence:
        events = connection.receive_data(frames.encode(frame, RFC_MASK_KEY))
        if any(isinstance(e, ConnectionFailed) for e in events):
            results.append(next(e.close_code for e in events if isinstance(e, ConnectionFailed)))
            break
        message = next((e for e in events if isinstance(e, (TextMessage, BinaryMessage))), None)
        if isinstance(message, TextMessage):
            results.append(Frame(Opcode.TEXT, message.data.encode()))
        elif isinstance(message, BinaryMessage):
            results.append(Frame(Opcode.BINARY, message.data))
        else:
            results.append(None)
    return results


def _run_reassembly(function, sequence: list[Frame]) -> list:
    message: list[Frame] = []
    results = []
    for frame in sequence:
        result = function(message, frame)
        results.append(result)
        if isinstance(result, int) and not isinstance(result, bool):
            break
    return results


def _fragments(rng: random.Random, opcode: Opcode, payload: bytes) -> list[Frame]:
    cuts = (
        sorted(rng.sample(range(1, len(payload)), k=min(rng.randrange(0, 4), len(payload) - 1)))
        if len(payload) > 1
        else []
    )
    pieces = [payload[a:b] for a, b in zip([0, *cuts], [*cuts, len(payload)], strict=True)]
    return [
        Frame(opcode if i == 0 else Opcode.CONTINUATION, piece, fin=i == len(pieces) - 1)
        for i, piece in enumerate(pieces)
    ]


def _reassemble_cases():
    rule = "RFC 6455 §5.4: a message is a TEXT/BINARY frame, then CONTINUATION frames; FIN = 1 on the last"
    t, c, b = Opcode.TEXT, Opcode.CONTINUATION, Opcode.BINARY
    edge = [
        [Frame(t, b"Hello")],
        [Frame(t, b"Hel", fin=False), Frame(c, b"lo")],
        [Frame(b, b"\x00\x01", fin=False), Frame(c, b"", fin=False), Frame(c, b"\x02")],
        [Frame(t, b"one"), Frame(t, b"two", fin=False), Frame(c, b"!")],
        [Frame(c, b"nothing to continue")],
        [Frame(t, b"Hel", fin=False), Frame(t, b"lo")],
        [Frame(t, b"Hel", fin=False), Frame(b, b"lo")],
        [Frame(t, "café".encode()[:4], fin=False), Frame(c, "café".encode()[4:])],
    ]
    for sequence in edge:
        yield "edge case", (sequence,), _reassembly_oracle(sequence), rule
    rng = random.Random("05.reassemble")
    for _ in range(100):
        sequence = []
        for _ in range(rng.randrange(1, 4)):
            opcode = rng.choice((t, b))
            payload = (
                rng.choice(("hello", "안녕하세요", "fragmented world", "✓")).encode()
                if opcode == t
                else rng.randbytes(rng.randrange(0, 20))
            )
            sequence += _fragments(rng, opcode, payload)
        if rng.random() < 0.2:  # a new message where it does not belong (between or inside messages)
            sequence.insert(rng.randrange(len(sequence) + 1), Frame(t, b"x", fin=rng.random() < 0.5))
        elif rng.random() < 0.1:
            sequence.insert(0, Frame(c, b"x"))
        yield "random sequence", (sequence,), _reassembly_oracle(sequence), rule


def _show_sequence(sequence: list[Frame]) -> str:
    return "frames: " + ", ".join(f"{Opcode(f.opcode).name} {f.payload!r}{'' if f.fin else ' FIN=0'}" for f in sequence)


# --- UTF-8 -------------------------------------------------------------------------


def _utf8_oracle(data: bytes, final: bool) -> int | None:
    """Python's own UTF-8 decoder, incrementally, plus the surrogate it waits on (see Connection._decode)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(data, final)
    except UnicodeDecodeError as e:
        return e.start
    pending = decoder.getstate()[0]
    if len(pending) >= 2 and pending[0] == 0xED and pending[1] >= 0xA0:
        return len(data) - len(pending)
    return None


def _utf8_cases():
    rule = "RFC 6455 §8.1 and RFC 3629: no overlong forms, no surrogates (U+D800-DFFF), nothing above U+10FFFF"
    edge = [
        b"",
        b"Hello",
        "café".encode(),
        "안녕".encode(),
        "😀".encode(),
        b"\xff",
        b"\x80",
        b"\xc0\xaf",
        b"\xc1\xbf",
        b"ab\xe2\x82",
        b"\xe0\x80\xaf",
        b"\xed\xa0\x80",
        b"\xed\x9f\xbf",
        b"\xf4\x8f\xbf\xbf",
        b"\xf4\x90\x80\x80",
        b"\xf5\x80\x80\x80",
        b"ok\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80",
    ]
    for data in edge:
        for final in (True, False):
            yield "edge case", (data, final), _utf8_oracle(data, final), rule
    rng = random.Random("05.first_invalid_utf8")
    alphabet = ["a", "é", "한", "😀", "\u07ff", "\uffff", "\U0010ffff"]
    for _ in range(200):
        text = bytearray("".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 8))).encode())
        if text and rng.random() < 0.6:
            text[rng.randrange(len(text))] = rng.randrange(256)
        if text and rng.random() < 0.3:
            del text[rng.randrange(len(text)) :]
        final = rng.random() < 0.5
        yield "random text", (bytes(text), final), _utf8_oracle(bytes(text), final), rule


# --- close reply ---------------------------------------------------------------------


def _close_oracle(payload: bytes) -> bytes:
    try:
        code, _ = frames.parse_close(payload)
    except ProtocolError as error:
        return int(error.close_code).to_bytes(2, "big")
    return b"" if code is None else code.to_bytes(2, "big")


def _close_cases():
    rule = "RFC 6455 §5.5.1 (a 2-byte code, then UTF-8), §7.4.1 and §7.4.2 (which codes may be sent)"
    edge = [
        b"",
        b"\x03",
        b"\x03\xe8",
        b"\x03\xe8bye",
        b"\x03\xe9",
        b"\x0f\xa0lesson over",
        b"\x03\xe7",
        b"\x03\xec",
        b"\x03\xed",
        b"\x03\xee",
        b"\x03\xf7",
        b"\x03\xf8",
        b"\x0b\xb7",
        b"\x0b\xb8",
        b"\x13\x87",
        b"\x13\x88",
        b"\xff\xff",
        b"\x03\xe8\xff",
        b"\x03\xe8caf\xc3\xa9",
        b"\x03\xe8caf\xc3",
    ]
    for payload in edge:
        yield "edge case", (payload,), _close_oracle(payload), rule
    rng = random.Random("05.close_reply")
    for _ in range(150):
        code = rng.choice((rng.randrange(1000, 1016), rng.randrange(3000, 5000), rng.randrange(65536)))
        reason = rng.choice((b"", b"bye", "안녕".encode(), b"\xc3", b"\xed\xa0\x80"))
        yield "random close", (code.to_bytes(2, "big") + reason,), _close_oracle(code.to_bytes(2, "big") + reason), rule


# --- predictions ---------------------------------------------------------------------


def _ping_between() -> list[str]:
    connection = Connection("server")
    fragments = (Frame(Opcode.TEXT, b"Hel", fin=False), Frame(Opcode.PING, b"x"), Frame(Opcode.CONTINUATION, b"lo"))
    data = b"".join(frames.encode(f, RFC_MASK_KEY) for f in fragments)
    sent = []
    for event in connection.receive_data(data):
        if isinstance(event, Ping):
            sent.append("PONG")  # queued by the connection itself
        elif isinstance(event, TextMessage):
            sent.append("TEXT")  # the echo server's answer
    return sent


def _close_code_of(data: bytes) -> int:
    events = checks.receive("server", data)
    return next(e.close_code for e in events if isinstance(e, ConnectionFailed))


def _close_codes() -> dict:
    masked = lambda frame: frames.encode(frame, RFC_MASK_KEY)  # noqa: E731
    return {
        "RSV1 set, no extension": _close_code_of(masked(Frame(Opcode.TEXT, b"hi", rsv1=True))),
        "text that is not UTF-8": _close_code_of(masked(Frame(Opcode.TEXT, b"\xff"))),
        "a 2 MiB message (the server's limit is 1 MiB)": _close_code_of(_head(2, 2 << 20)),
        "a ping with 126 bytes of payload": _close_code_of(masked(Frame(Opcode.PING, b"x" * 126))),
        "close code 1005 in a Close frame": _close_code_of(masked(Frame(Opcode.CLOSE, b"\x03\xed"))),
        "a continuation with nothing to continue": _close_code_of(masked(Frame(Opcode.CONTINUATION, b"x"))),
    }


EXERCISES = [
    FunctionExercise(
        "05.check_header",
        "Write check_header(header, max_size): the close code a server fails with, or None",
        cases=_check_header_cases,
        oracles="wslab's frames.parse_header(role='server')",
        show_input=_show_header,
        solution=solutions.check_header,
        hints=[
            "Every rule of lesson 03 and 05 that a header alone decides; all but one give 1002.",
            "1002: RSV bits set; opcodes 3-7 and 11-15; MASK = 0 (a server receives); a control frame "
            "(opcode >= 8) with FIN = 0 or more than 125 bytes; 126 carrying <= 125; 127 carrying <= 65535 "
            "or with its top bit set.",
            "1009 when payload_length > max_size; None when nothing is wrong.",
        ],
        explanation="Each §5 rule a header decides, in the order wslab checks them.",
        rule="RFC 6455 §5.2",
    ),
    FunctionExercise(
        "05.reassemble",
        "Write reassemble(message, frame): join fragments; the whole message at FIN, 1002 if out of order",
        cases=_reassemble_cases,
        call=_run_reassembly,
        show_input=_show_sequence,
        oracles="wslab's Connection (one frame at a time)",
        solution=solutions.reassemble,
        hints=[
            "`message` is a list you keep between calls: append each data frame to it.",
            "A CONTINUATION with an empty `message`, or a TEXT/BINARY with a non-empty one, is 1002.",
            "At FIN: Frame(message[0].opcode, b''.join(f.payload for f in message)), then message.clear().",
        ],
        explanation="The first frame's opcode, every payload joined, at the frame with FIN = 1.",
        rule="RFC 6455 §5.4",
    ),
    FunctionExercise(
        "05.first_invalid_utf8",
        "Write first_invalid_utf8(data, final=True): the index of the first invalid byte",
        cases=_utf8_cases,
        oracles="Python's UTF-8 decoder and wslab's Connection",
        solution=solutions.first_invalid_utf8,
        hints=[
            "Lead bytes: 00-7F alone; C2-DF + 1; E0-EF + 2; F0-F4 + 3 continuation bytes (80-BF). "
            "80-C1 and F5-FF never start a character.",
            "Narrower second bytes: E0 A0-BF (no overlong), ED 80-9F (no surrogate), F0 90-BF, F4 80-8F "
            "(nothing above U+10FFFF).",
            "Return the index where the bad sequence starts. At the end of data, a cut-short sequence is "
            "an error only when final is True.",
        ],
        explanation="Walk the sequences of RFC 3629 §4; fail at the start of the first that cannot be valid.",
        rule="RFC 6455 §8.1",
    ),
    FunctionExercise(
        "05.close_reply",
        "Write close_reply(payload): the payload of the Close frame a server sends back",
        cases=_close_cases,
        oracles="wslab's frames.parse_close",
        solution=solutions.close_reply,
        hints=[
            "Empty stays empty (no code was given). A 1-byte payload is a protocol error.",
            "Allowed codes: 1000-1003, 1007-1014, 3000-4999. Anything else: answer 1002.",
            "A reason that is not UTF-8: 1007. Otherwise echo the 2-byte code.",
        ],
        explanation="Echo the code; 1002 for a code that may not be sent; 1007 for a reason that is not UTF-8.",
        rule="RFC 6455 §5.5.1, §7.4",
    ),
    Predict(
        "05.ping_between",
        "TEXT 'Hel' FIN=0, PING 'x', CONTINUATION 'lo': what does an echo server send back, in order?",
        expected=_ping_between,
        source="wslab's Connection",
        question="a list of opcode names, e.g. ['TEXT']",
        hints=[
            "Control frames may come between the fragments of a message (§5.4).",
            "The Pong goes out at once; the echo waits for the message to be complete.",
        ],
        explanation="['PONG', 'TEXT']: the Pong at once, the echo of 'Hello' at the end.",
        rule="RFC 6455 §5.4, §5.5.2",
    ),
    Predict(
        "05.close_codes",
        "Choose the close code a server sends for each bad input",
        expected=_close_codes,
        source="wslab's Connection",
        question="a dict: bad input -> close code",
        hints=[
            "Three codes are enough: 1002, 1007 and 1009.",
            "1007 is for data that is not what the type says (text not UTF-8); 1009 for too big; the rest 1002.",
        ],
        explanation="1002 for every broken framing rule, 1007 for invalid UTF-8, 1009 for a message too big.",
        rule="RFC 6455 §7.4.1",
    ),
    Predict(
        "05.never_sent",
        "Which codes from 1000 to 1015 may never appear in a Close frame?",
        expected=lambda: {c for c in range(1000, 1016) if not close_code_allowed(c)},
        source="wslab.codes",
        question="a set of ints",
        hints=[
            "Three of them are only reported by an endpoint: no status, connection lost, TLS failed.",
            "And one is reserved without any meaning yet.",
        ],
        explanation="1004 (reserved), 1005, 1006, 1015 (reported, never sent).",
        rule="RFC 6455 §7.4.1",
    ),
    Checked(
        "05.make_long_ping",
        "Make a ping a server must fail because of its length",
        kind="bytes",
        checker=checks.frame_breaks(
            "server",
            code=1002,
            field="payload length",
            wanted="a 1002 close because the ping carries more than 125 bytes",
            rule="RFC 6455 §5.5: control frames carry at most 125 bytes",
        ),
        solution=solutions.long_ping,
        hints=[
            "frames.encode writes even an invalid frame exactly as given.",
            "frames.encode(Frame(Opcode.PING, b'x' * 126), mask_key=...): masked, so only §5.5 is broken.",
        ],
        explanation="A masked ping of 126 bytes: length field 126, which a control frame may not use.",
    ),
]
