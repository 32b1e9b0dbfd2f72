"""The permessage-deflate cases (RFC 7692), after the Autobahn test suite's 12.x and 13.x.

12 compressed messages of many sizes and in fragments, 13 the offers of
Autobahn's 13.x (window bits, no context takeover, several offers at once) and
offers a server must decline, 14 (wslab's own) RSV1 misuse, bombs and bad DEFLATE
data. Each case offers permessage-deflate in its request; messages the case
compresses are compressed as the server's answer says, and every compressed
message the server sends is inflated as the agreed parameters say: a server that
uses a larger window or keeps a context it agreed to drop is caught.
"""

from __future__ import annotations

from dataclasses import replace

from wslab.conformance.case import BINARY, CLOSE, CONT, PING, PONG, TEXT, Case, Deflated, close_frame, frame, raw
from wslab.deflate import PerMessageDeflate
from wslab.frames import Frame, encode
from wslab.probe import PROBE_KEY

__all__ = ["cases", "CATEGORIES"]

BYE = (close_frame(1000),)
OFFER = "permessage-deflate; client_max_window_bits"  # what browsers offer

CATEGORIES = {"12": "compression: messages", "13": "compression: parameters", "14": "compression: rules"}

SIZES = [16, 64, 256, 1024, 4096, 8192, 16384, 32768, 65536, 131072]
MESSAGES = 10  # per case: Autobahn sends 1000; ten already make the context carry over nine times

RULES = {
    "echo": "§6 of RFC 7692: a compressed message (RSV1 on its first frame) is inflated to the application's "
    "message; the echo may come back compressed or not",
    "fragments": "§6.1 of RFC 7692: a compressed message may be fragmented; RSV1 is set on the first frame only",
    "uncompressed": "§6 of RFC 7692: with the extension on, a message may still be sent uncompressed (RSV1 = 0)",
    "empty": "§7.2.3.6 of RFC 7692: an empty message compresses to the single byte 00",
    "offer": "§7.1 of RFC 7692: the server accepts the offer with an answer that fits it (window no larger than "
    "offered, no_context_takeover answered), and then compresses as agreed",
    "decline": "§5.1 of RFC 7692: a server MUST decline an offer with an unknown parameter, a bad value or a "
    "parameter twice; the connection goes on without compression (or with a later offer)",
    "rsv1-cont": "§6.1 of RFC 7692: RSV1 MUST NOT be set on a non-first fragment; the receiver MUST Fail the "
    "Connection (1002)",
    "rsv1-control": "§6.1 of RFC 7692: RSV1 MUST NOT be set on a control frame; the receiver MUST Fail the "
    "Connection (1002)",
    "bomb": "§10.4 of RFC 6455 with §8 of RFC 7692: the size limit applies to the inflated message; a few bytes that "
    "inflate past it are refused with 1009, without inflating it all",
    "bad-deflate": "§6.2 of RFC 7692: a compressed message that is not valid DEFLATE data cannot be inflated; the "
    "connection fails (1007 as the data does not fit its type, or 1002)",
    "utf8": "§8.1 of RFC 6455: the inflated text must be UTF-8 (1007)",
}


def cases(max_size: int = 1 << 20) -> list[Case]:
    """Every permessage-deflate case; `max_size` is the largest message the server accepts."""
    return [*_messages(max_size), *_parameters(), *_rules(max_size)]


def _numbered(prefix: str, items: list[Case]) -> list[Case]:
    return [replace(case, id=f"{prefix}.{n}", category=CATEGORIES[prefix]) for n, case in enumerate(items, 1)]


def _case(title: str, rule: str, *, offer: str = OFFER, compressed: bool | None = True, **fields) -> Case:
    return Case(id="", category="", title=title, rule=RULES[rule], offer=offer, compressed=compressed, **fields)


def _text(size: int, seed: int) -> bytes:
    """`size` bytes of text that compresses as prose does, different for each `seed`."""
    words = ("frame", "mask", "opcode", "deflate", "window", "context", "message", "payload", "웹소켓")
    out, i = bytearray(), seed
    while len(out) < size:
        out += words[(i * 7 + i // 3) % len(words)].encode() + b" "
        i += 1
    return bytes(out[:size]).decode("utf-8", "ignore").encode().ljust(size, b".")


def _binary(size: int, seed: int) -> bytes:
    return bytes((i * i + seed) % 251 if i % 3 else seed % 256 for i in range(size))


def _payload(opcode: int, size: int, seed: int) -> bytes:
    return _text(size, seed) if opcode == TEXT else _binary(size, seed)


def _echoes(title: str, rule: str, opcode: int, size: int, *, count: int = MESSAGES, frames: int = 1, **fields) -> Case:
    messages = [(opcode, _payload(opcode, size, seed)) for seed in range(count)]
    return _case(
        title,
        rule,
        send=tuple(Deflated(op, data, frames) for op, data in messages),
        expect=tuple(messages),
        finish=BYE,
        timeout=10 + size * count / (1 << 20),
        **fields,
    )


def _messages(max_size: int) -> list[Case]:
    items = []
    for opcode in (TEXT, BINARY):
        for size in (s for s in SIZES if s <= max_size):
            items.append(
                _echoes(f"{MESSAGES} compressed {opcode.name.lower()} messages of {size} bytes", "echo", opcode, size)
            )
    for frames in (2, 5, 64):
        items.append(
            _echoes(
                f"{MESSAGES} compressed text messages of 4096 bytes in {frames} fragments",
                "fragments",
                TEXT,
                4096,
                frames=frames,
            )
        )
    items.append(
        _echoes(
            "a compressed binary message of 65536 bytes in 1000 fragments",
            "fragments",
            BINARY,
            65536,
            count=1,
            frames=1000,
        )
    )
    items.append(
        _case(
            "an uncompressed message between compressed ones",
            "uncompressed",
            send=(Deflated(TEXT, b"first " * 20), frame(TEXT, b"plain " * 20), Deflated(TEXT, b"first " * 20)),
            expect=((TEXT, b"first " * 20), (TEXT, b"plain " * 20), (TEXT, b"first " * 20)),
            finish=BYE,
        )
    )
    items.append(
        _case(
            "an empty compressed message",
            "empty",
            send=(
                raw(
                    "TEXT compressed, RSV1=1, payload 00 (the empty message)",
                    encode(Frame(TEXT, b"\x00", rsv1=True), PROBE_KEY),
                ),
                Deflated(BINARY, b""),
            ),
            expect=((TEXT, b""), (BINARY, b"")),
            finish=BYE,
        )
    )
    # A first message of under 256 bytes: its matches fit any window the server may ask for.
    message = b"a ping comes between the two fragments of this compressed message"
    payload = PerMessageDeflate("client").compress(message)
    items.append(
        _case(
            "a ping between the fragments of a compressed message",
            "fragments",
            send=(
                raw(
                    "TEXT compressed, RSV1=1, FIN=0: the first half",
                    encode(Frame(TEXT, payload[:10], False, rsv1=True), PROBE_KEY),
                ),
                frame(PING, b"between"),
                raw("CONTINUATION: the second half", encode(Frame(CONT, payload[10:]), PROBE_KEY)),
            ),
            expect=((PONG, b"between"), (TEXT, message)),
            finish=BYE,
        )
    )
    return _numbered("12", items)


# Autobahn 13.x: (server_no_context_takeover, server_max_window_bits) offers, and the client's own.
_OFFERS = [
    "permessage-deflate",
    "permessage-deflate; server_no_context_takeover",
    "permessage-deflate; server_max_window_bits=8",
    "permessage-deflate; server_max_window_bits=15",
    "permessage-deflate; server_no_context_takeover; server_max_window_bits=8",
    "permessage-deflate; server_no_context_takeover; server_max_window_bits=15",
    "permessage-deflate; server_no_context_takeover; server_max_window_bits=8, "
    "permessage-deflate; server_no_context_takeover, permessage-deflate",
    "permessage-deflate; server_max_window_bits=9; client_max_window_bits",
    "permessage-deflate; client_no_context_takeover",
    "permessage-deflate; client_max_window_bits=9",
    "permessage-deflate; client_no_context_takeover; client_max_window_bits=8",
]
_BAD_OFFERS = {
    "an unknown parameter": "permessage-deflate; no_such_parameter",
    "server_max_window_bits=7": "permessage-deflate; server_max_window_bits=7",
    "server_max_window_bits without a value": "permessage-deflate; server_max_window_bits",
    "client_max_window_bits=16": "permessage-deflate; client_max_window_bits=16",
    "a parameter twice": "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
    "a value on server_no_context_takeover": "permessage-deflate; server_no_context_takeover=1",
}


def _parameters() -> list[Case]:
    items = []
    for offer in _OFFERS:
        for size in (64, 4096):
            items.append(
                _echoes(f"offer '{offer}': {MESSAGES} text messages of {size} bytes", "offer", TEXT, size, offer=offer)
            )
    for what, offer in _BAD_OFFERS.items():
        items.append(
            _case(
                f"an offer with {what} is declined",
                "decline",
                offer=offer,
                compressed=False,
                send=(frame(TEXT, b"uncompressed"),),
                expect=((TEXT, b"uncompressed"),),
                finish=BYE,
            )
        )
    items.append(
        _echoes(
            "a bad offer, then a good one: the good one is accepted",
            "decline",
            TEXT,
            1024,
            offer="permessage-deflate; server_max_window_bits=7, permessage-deflate",
        )
    )
    return _numbered("13", items)


def _rules(max_size: int) -> list[Case]:
    hello = PerMessageDeflate("client").compress(b"Hello")
    bomb_size = max_size + 1
    bomb = PerMessageDeflate("client").compress(b"\0" * bomb_size)  # a fresh stream: any receiver reads it
    half = len(bomb) // 2
    items = [
        _case(
            "RSV1 on the continuation of a compressed message",
            "rsv1-cont",
            send=(Deflated(TEXT, b"Hello, fragments " * 10, frames=2, rsv1_on_all=True),),
            close_codes=(1002,),
        ),
        _case(
            "RSV1 on the continuation of an uncompressed message",
            "rsv1-cont",
            send=(frame(TEXT, b"Hel", fin=False), frame(CONT, b"lo", rsv1=True)),
            close_codes=(1002,),
        ),
        *[
            _case(
                f"RSV1 on a {op.name.lower()} frame",
                "rsv1-control",
                send=(frame(op, b"x", rsv1=True),),
                close_codes=(1002,),
            )
            for op in (PING, PONG)
        ],
        _case(
            "RSV1 on a close frame",
            "rsv1-control",
            send=(frame(CLOSE, (1000).to_bytes(2, "big"), rsv1=True),),
            close_codes=(1002,),
        ),
        _case(
            "RSV1 on a ping after a good compressed message",
            "rsv1-control",
            send=(Deflated(TEXT, b"good"), frame(PING, b"x", rsv1=True)),
            expect=((TEXT, b"good"),),
            close_codes=(1002,),
        ),
        _case(
            f"{len(bomb)} compressed bytes that inflate to {bomb_size} (one over the limit)",
            "bomb",
            send=(
                raw(
                    f"BINARY compressed, RSV1=1, {len(bomb)} bytes inflating to {bomb_size} zero bytes",
                    encode(Frame(BINARY, bomb, rsv1=True), PROBE_KEY),
                ),
            ),
            close_codes=(1009,),
        ),
        _case(
            "a bomb in two fragments",
            "bomb",
            send=(
                raw("its first half, RSV1=1, FIN=0", encode(Frame(BINARY, bomb[:half], False, rsv1=True), PROBE_KEY)),
                raw("its second half (CONTINUATION)", encode(Frame(CONT, bomb[half:]), PROBE_KEY)),
            ),
            close_codes=(1009,),
        ),
        _case(
            "a compressed message that is not DEFLATE data",
            "bad-deflate",
            send=(
                raw(
                    "TEXT compressed, RSV1=1, payload ff ff ff",
                    encode(Frame(TEXT, b"\xff\xff\xff", rsv1=True), PROBE_KEY),
                ),
            ),
            close_codes=(1007, 1002),
        ),
        _case(
            "compressed text that inflates to invalid UTF-8",
            "utf8",
            send=(Deflated(TEXT, b"hello \xff world"),),
            close_codes=(1007,),
        ),
        _case(
            "the RFC's 'Hello' (f2 48 cd c9 c9 07 00)",
            "echo",
            send=(raw("TEXT compressed, RSV1=1: " + hello.hex(" "), encode(Frame(TEXT, hello, rsv1=True), PROBE_KEY)),),
            expect=((TEXT, b"Hello"),),
            finish=BYE,
        ),
    ]
    return _numbered("14", items)
