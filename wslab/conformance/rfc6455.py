"""The RFC 6455 cases, in the Autobahn test suite's categories.

1 framing, 2 ping/pong, 3 reserved bits, 4 opcodes, 5 fragmentation, 6 UTF-8,
7 close, 9 limits (Autobahn's numbers; 8 is unused there too). Every case is
judged from the server's side of §5-§8: what a server MUST do with these bytes.
"""

from __future__ import annotations

import struct

from wslab.conformance.case import BINARY, CLOSE, CONT, PING, PONG, TEXT, Case, Sent, close_frame, frame, raw
from wslab.masking import mask
from wslab.probe import PROBE_KEY

__all__ = ["cases", "CATEGORIES"]

BYE = (close_frame(1000),)  # our Close once the expected answer is in: the server echoes 1000

CATEGORIES = {
    "1": "framing",
    "2": "ping/pong",
    "3": "reserved bits",
    "4": "opcodes",
    "5": "fragmentation",
    "6": "UTF-8",
    "7": "close",
    "9": "limits",
}

LENGTHS = [0, 1, 125, 126, 127, 128, 65535, 65536, 65537]
KOREAN = "웹소켓 핸드셰이크 κόσμε 𝄞".encode()
INVALID_UTF8 = {
    "a lone continuation byte": b"\x80",
    "0xFF, which never appears": b"\xff",
    "an overlong '/'": b"\xc0\xaf",
    "an overlong 3-byte form": b"\xe0\x80\xaf",
    "a UTF-16 surrogate": b"\xed\xa0\x80",
    "a code point beyond U+10FFFF": b"\xf4\x90\x80\x80",
    "a character cut off at the end": b"abc\xce",
}
VALID_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999]
INVALID_CODES = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535]

RULES = {
    "echo": "§5.6: a data frame carries the application's message; an echo server sends it back unchanged",
    "split": "§5.2, §6.2: frames are a byte stream; a server must reassemble a frame from any split",
    "mask": "§5.1: a server MUST close the connection upon receiving a frame that is not masked (1002)",
    "minimal": "§5.2: the minimal number of bytes MUST be used to encode the length; a receiver fails "
    "the connection (1002) or, tolerantly, reads it",
    "pong": "§5.5.2/§5.5.3: a Ping MUST be answered with a Pong carrying the identical payload, as soon as practical",
    "control-size": "§5.5: all control frames MUST have a payload length of 125 bytes or less (1002)",
    "unsolicited": "§5.5.3: a Pong MAY be sent unsolicited; no response is expected",
    "rsv": "§5.2: RSV1-3 MUST be 0 unless an extension defines them; else the receiver MUST Fail the Connection (1002)",
    "opcode": "§5.2: if an unknown opcode is received, the receiving endpoint MUST Fail the Connection (1002)",
    "fragments": "§5.4: a fragmented message is a first frame with FIN=0, continuations, the last with FIN=1",
    "interleave": "§5.4: control frames MAY be injected in the middle of a fragmented message",
    "orphan": "§5.4: a continuation frame must continue a message; nothing to continue: Fail (1002)",
    "intruder": "§5.4: fragments of one message MUST NOT be interleaved with another data frame (1002)",
    "control-fragment": "§5.5: control frames MUST NOT be fragmented (1002)",
    "utf8": "§8.1: text is UTF-8; on invalid UTF-8 the endpoint MUST Fail the Connection (1007)",
    "strict": "§5.2/§5.4 with §7.1.7: a message before a bad frame is the application's; Autobahn's strict "
    "verdict wants its answer sent before the failure's Close frame (without it: NON-STRICT)",
    "utf8-fragments": "§5.6/§8.1: text is checked over the whole message; a fragment may end inside a character",
    "utf8-fast": "§8.1 with §5.6: invalid UTF-8 can be found before the message ends; "
    "failing at once is strict (Autobahn 6.4)",
    "close-code": "§5.5.1/§7.4: a received Close is answered with a Close, usually echoing the status code",
    "close-invalid": "§7.4.1/§7.4.2: codes 0-999, 1004-1006, 1015, 1016-2999 and ≥ 5000 are invalid "
    "in a Close frame (1002)",
    "close-empty": "§5.5.1: a Close frame may have no body; the answer then has none or 1000",
    "close-short": "§5.5.1: a Close body starts with a 2-byte status code; 1 byte is malformed (1002)",
    "close-reason": "§5.5.1/§5.5: the reason is UTF-8 after the code, 123 bytes at most (125-byte control payload)",
    "close-utf8": "§5.5.1/§8.1: the close reason MUST be valid UTF-8 (1007)",
    "after-close": "§5.5.1: after sending a Close frame the endpoint MUST NOT send more data; frames after "
    "the peer's Close are not processed",
    "close-mid-message": "§5.4/§5.5.1: a Close may come between fragments; it is answered, the message dropped",
    "limit-echo": "§10.4: an implementation sets a message-size limit; a message within it is echoed",
    "limit-big": "§7.4.1/§10.4: a message too big to process is refused with 1009, before it is buffered",
}


def cases(max_size: int = 1 << 20) -> list[Case]:
    """Every RFC 6455 frame-level case; `max_size` is the largest message the server accepts."""
    return [
        *_framing(),
        *_ping_pong(),
        *_reserved_bits(),
        *_opcodes(),
        *_fragmentation(),
        *_utf8(),
        *_close(),
        *_limits(max_size),
    ]


def _numbered(prefix: str, items: list[Case]) -> list[Case]:
    """Give each case its id "prefix.n" and its category, in order."""
    from dataclasses import replace

    return [replace(case, id=f"{prefix}.{n}", category=CATEGORIES[prefix]) for n, case in enumerate(items, 1)]


def _case(title: str, rule: str, **fields) -> Case:
    return Case(id="", category="", title=title, rule=RULES[rule], **fields)


def _echo(title: str, rule: str, send: tuple[Sent, ...], expect: tuple, **fields) -> Case:
    return _case(title, rule, send=send, expect=expect, finish=BYE, **fields)


def _fail(title: str, rule: str, send: tuple[Sent, ...], code: int, **fields) -> Case:
    return _case(title, rule, send=send, close_codes=(code,), **fields)


def _framing() -> list[Case]:
    items = []
    for opcode in (TEXT, BINARY):
        for length in LENGTHS:
            payload = b"*" * length
            items.append(
                _echo(
                    f"{opcode.name.lower()} message of {length} bytes",
                    "echo",
                    (frame(opcode, payload),),
                    ((opcode, payload),),
                )
            )
    for length in (0, 125, 126, 65536):
        payload = bytes(range(256)) * (length // 256) + bytes(length % 256)
        chunk = 1 if length <= 126 else 997
        items.append(
            _echo(
                f"binary frame of {length} bytes written {chunk} byte(s) at a time",
                "split",
                (frame(BINARY, payload),),
                ((BINARY, payload),),
                chunk=chunk,
            )
        )
    items.append(
        _echo(
            "50 frames in one write",
            "split",
            tuple(frame(TEXT, f"m{i}".encode()) for i in range(50)),
            tuple((TEXT, f"m{i}".encode()) for i in range(50)),
        )
    )
    items.append(_fail("an unmasked client frame", "mask", (frame(TEXT, b"hi", mask_key=None),), 1002))
    non_minimal = bytes([0x81, 0x80 | 126]) + struct.pack("!H", 5) + PROBE_KEY + mask(b"hello", PROBE_KEY)
    sent = (raw("TEXT 'hello' with its length in the 16-bit field (5 bytes)", non_minimal),)
    # The MUST binds the sender; a receiver that reads the length anyway is tolerated (NON-STRICT).
    items.append(
        _fail(
            "length 5 written in the 16-bit field",
            "minimal",
            sent,
            1002,
            lenient=_echo("the message is echoed (the length read anyway)", "minimal", sent, ((TEXT, b"hello"),)),
        )
    )
    return _numbered("1", items)


def _ping_pong() -> list[Case]:
    items = []
    for length in (0, 1, 125):
        payload = bytes(range(length))
        items.append(
            _echo(
                f"ping of {length} bytes (written 1 byte at a time)",
                "pong",
                (frame(PING, payload),),
                ((PONG, payload),),
                chunk=1 if length else None,
            )
        )
    items.append(_fail("ping of 126 bytes", "control-size", (frame(PING, b"x" * 126),), 1002))
    items.append(
        _echo(
            "an unsolicited pong, then a text message",
            "unsolicited",
            (frame(PONG, b"unasked"), frame(TEXT, b"after")),
            ((TEXT, b"after"),),
        )
    )
    items.append(
        _echo(
            "ten pings in one write: ten pongs in order",
            "pong",
            tuple(frame(PING, f"p{i}".encode()) for i in range(10)),
            tuple((PONG, f"p{i}".encode()) for i in range(10)),
        )
    )
    return _numbered("2", items)


def _reserved_bits() -> list[Case]:
    items = []
    for opcode in (TEXT, BINARY, PING):
        for bit in ("rsv1", "rsv2", "rsv3"):
            items.append(
                _fail(
                    f"{opcode.name.lower()} frame with {bit.upper()} set",
                    "rsv",
                    (frame(opcode, b"x", **{bit: True}),),
                    1002,
                )
            )
    items.append(
        _fail(
            "RSV1 set on the frame after a good message",
            "rsv",
            (frame(TEXT, b"bad", rsv1=True), frame(TEXT, b"never")),
            1002,
            before=((TEXT, b"good"),),
        )
    )
    items.append(_strict("a good message and a frame with RSV2 in one write", frame(BINARY, b"x", rsv2=True)))
    return _numbered("3", items)


def _strict(title: str, bad: Sent) -> Case:
    """A good message, a bad frame and a ping, all in one write (as Autobahn 3.2, 4.1.3, 5.x):
    the echo comes first, then the Close; a server that fails before echoing is NON-STRICT."""
    send = (frame(TEXT, b"good"), bad, frame(PING, b"never answered"))
    return _fail(
        title,
        "strict",
        send,
        1002,
        expect=((TEXT, b"good"),),
        lenient=_fail(f"{title} (failed without the echo)", "strict", send, 1002),
    )


def _opcodes() -> list[Case]:
    return _numbered(
        "4",
        [
            *[
                _fail(
                    f"reserved opcode {opcode} after a good message",
                    "opcode",
                    (frame(opcode, b"x"), frame(TEXT, b"never")),
                    1002,
                    before=((TEXT, b"good"),),
                )
                for opcode in (3, 4, 5, 6, 7, 11, 12, 13, 14, 15)
            ],
            *[
                _strict(f"a good message and reserved opcode {opcode} in one write", frame(opcode, b"x"))
                for opcode in (5, 13)
            ],
        ],
    )


def _fragmentation() -> list[Case]:
    items = [
        _echo(
            "text in three fragments",
            "fragments",
            (frame(TEXT, b"frag", fin=False), frame(CONT, b"men", fin=False), frame(CONT, b"ted")),
            ((TEXT, b"fragmented"),),
        ),
        _echo(
            "binary in three empty fragments",
            "fragments",
            (frame(BINARY, b"", fin=False), frame(CONT, b"", fin=False), frame(CONT, b"")),
            ((BINARY, b""),),
        ),
        _echo(
            "twenty 1-byte fragments written 1 byte at a time",
            "fragments",
            tuple(frame(TEXT if i == 0 else CONT, bytes([65 + i]), fin=i == 19) for i in range(20)),
            ((TEXT, bytes(range(65, 85))),),
            chunk=1,
        ),
        _echo(
            "a ping between two fragments: pong first, then the message",
            "interleave",
            (frame(TEXT, b"one ", fin=False), frame(PING, b"mid"), frame(CONT, b"two")),
            ((PONG, b"mid"), (TEXT, b"one two")),
        ),
        _echo(
            "a pong between two fragments",
            "interleave",
            (frame(TEXT, b"a", fin=False), frame(PONG, b"x"), frame(CONT, b"b")),
            ((TEXT, b"ab"),),
        ),
        _fail("a continuation with nothing to continue", "orphan", (frame(CONT, b"orphan"),), 1002),
        _fail(
            "a continuation (FIN=0) with nothing to continue, after a good message",
            "orphan",
            (frame(CONT, b"orphan", fin=False),),
            1002,
            before=((TEXT, b"ok"),),
        ),
    ]
    for opcode in (TEXT, BINARY):
        items.append(
            _fail(
                f"a new {opcode.name.lower()} frame inside a fragmented message",
                "intruder",
                (frame(TEXT, b"start", fin=False), frame(opcode, b"intruder")),
                1002,
            )
        )
    for opcode in (PING, PONG, CLOSE):
        items.append(
            _fail(
                f"a fragmented {opcode.name.lower()} frame (FIN=0)",
                "control-fragment",
                (frame(opcode, b"", fin=False),),
                1002,
            )
        )
    items.append(
        _strict("a good message and a continuation with nothing to continue in one write", frame(CONT, b"orphan"))
    )
    return _numbered("5", items)


def _utf8() -> list[Case]:
    items = []
    for size in (1, 2, 3, 5):
        pieces = [KOREAN[i : i + size] for i in range(0, len(KOREAN), size)]
        items.append(
            _echo(
                f"valid text in {size}-byte fragments, split inside characters",
                "utf8-fragments",
                tuple(frame(TEXT if i == 0 else CONT, p, fin=i == len(pieces) - 1) for i, p in enumerate(pieces)),
                ((TEXT, KOREAN),),
            )
        )
    for name, bad in INVALID_UTF8.items():
        items.append(_fail(f"text with {name}", "utf8", (frame(TEXT, b"hello " + bad),), 1007, before=((TEXT, b"ok"),)))
    for name, bad in (("0xFF", b"\xff"), ("a surrogate", b"\xed\xa0\x80"), ("an overlong form", b"\xc0\xaf")):
        items.append(
            _fail(
                f"the first fragment holds {name}: fail before the message ends",
                "utf8-fast",
                (frame(TEXT, b"hello " + bad + b" world", fin=False),),
                1007,
                then=(frame(CONT, b"end"),),
            )
        )
    whole = frame(TEXT, b"hello \xff" + b"x" * 993).data
    header = 2 + 2 + 4
    items.append(
        _fail(
            "a 1000-byte frame whose 7th byte is invalid: fail before the rest arrives",
            "utf8-fast",
            (raw("the header and first 10 bytes of TEXT 'hello \\xffxxx...' (1000 bytes)", whole[: header + 10]),),
            1007,
            then=(raw("the other 990 bytes of that frame", whole[header + 10 :]),),
        )
    )
    char = "한".encode()
    items.append(
        _echo(
            "a character split over three fragments",
            "utf8-fragments",
            (frame(TEXT, char[:1], fin=False), frame(CONT, char[1:2], fin=False), frame(CONT, char[2:])),
            ((TEXT, char),),
        )
    )
    items.append(
        _fail(
            "a message that ends inside a character",
            "utf8",
            (frame(TEXT, char[:1], fin=False), frame(CONT, char[1:2])),
            1007,
        )
    )
    return _numbered("6", items)


def _close() -> list[Case]:
    items = []
    for code in VALID_CODES:
        items.append(
            _case(f"close {code} is answered", "close-code", send=(close_frame(code, b"bye"),), close_codes=(code,))
        )
    for code in INVALID_CODES:
        items.append(_fail(f"close with invalid code {code}", "close-invalid", (close_frame(code),), 1002))
    items += [
        _case("an empty close", "close-empty", send=(close_frame(None),), close_codes=(None, 1000)),
        _fail("a close payload of 1 byte", "close-short", (frame(CLOSE, b"\x03"),), 1002),
        _case("a close reason of 123 bytes", "close-reason", send=(close_frame(1000, b"r" * 123),)),
        _fail("a close reason of 124 bytes", "close-reason", (close_frame(1000, b"r" * 124),), 1002),
        _fail("a close reason that is not UTF-8", "close-utf8", (close_frame(1000, b"bad \xff"),), 1007),
        _case(
            "a text and a ping after our close: neither is answered",
            "after-close",
            send=(close_frame(1000), frame(TEXT, b"late"), frame(PING, b"late")),
        ),
        _case(
            "a close in the middle of a fragmented message",
            "close-mid-message",
            send=(frame(TEXT, b"half", fin=False), close_frame(1000)),
        ),
    ]
    return _numbered("7", items)


def _limits(max_size: int) -> list[Case]:
    """Autobahn's 9.x send big messages; these are sized by the server's own limit."""
    payload = bytes(range(256)) * (max_size // 256) + bytes(max_size % 256)
    step = max(1, min(1 << 20, max_size // 8))
    parts = [payload[i : i + step] for i in range(0, max_size, step)]
    fragmented = tuple(
        frame(TEXT if i == 0 else CONT, b"a" * len(p), fin=i == len(parts) - 1) for i, p in enumerate(parts)
    )
    too_big = frame(BINARY, b"x" * (max_size + 1)).data
    header = 2 + (8 if max_size + 1 > 0xFFFF else 2 if max_size + 1 > 125 else 0) + 4
    timeout = 10 + max_size / (1 << 20)
    return _numbered(
        "9",
        [
            _echo(
                f"a binary message of {max_size} bytes (the limit)",
                "limit-echo",
                (frame(BINARY, payload),),
                ((BINARY, payload),),
                timeout=timeout,
            ),
            _echo(
                f"a text message of {max_size} bytes in {len(parts)} fragments",
                "limit-echo",
                fragmented,
                ((TEXT, b"a" * max_size),),
                timeout=timeout,
            ),
            _fail(
                f"a header announcing {max_size + 1} bytes: 1009 before the payload",
                "limit-big",
                (raw(f"the header of a BINARY frame of {max_size + 1} bytes", too_big[:header]),),
                1009,
                then=(raw(f"its {max_size + 1} payload bytes", too_big[header:]),),
                timeout=timeout,
            ),
            _fail(
                f"fragments adding up to {max_size + 1} bytes",
                "limit-big",
                (frame(BINARY, b"a" * (max_size - 10), fin=False), frame(CONT, b"b" * 11, fin=False)),
                1009,
                timeout=timeout,
            ),
        ],
    )
