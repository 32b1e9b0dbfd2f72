"""What a conformance case is, and the verdicts it can get (as the Autobahn test suite judges).

A `Case` is data: the bytes a client sends (each piece with a label saying what
it is), what the server must send back before its Close frame, the close codes
it may use, and the RFC rule behind it. `wslab.conformance.runner` plays a case
against a server and judges what came back:

- ``OK``: exactly what the RFC asks for.
- ``NON-STRICT``: acceptable, but later than it could have been (e.g. a server
  that fails invalid UTF-8 only once the whole frame has arrived, not at the
  first bad byte; Autobahn's "fail fast" cases).
- ``WRONG CODE``: the server closed, but with another close code (or another
  HTTP status for a refused handshake).
- ``UNCLEAN``: the right behaviour, but the closing was not clean: no Close frame
  before TCP went, a TCP reset, or TCP left open after the Close exchange (§7.1.1).
- ``FAILED``: the wrong behaviour: a message lost or changed, a bad frame echoed,
  no answer at all.
- ``UNIMPLEMENTED``: the case needs an optional extension (permessage-deflate,
  RFC 7692) that the server did not accept; as in Autobahn, neither passed nor failed.

Extend the suite by writing more `Case` objects (see `rfc6455.py`) and adding the
function that builds them to `wslab.conformance.SUITES`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from wslab import frames
from wslab.codes import Opcode
from wslab.frames import Frame
from wslab.probe import PROBE_KEY

__all__ = ["Verdict", "Sent", "Deflated", "Case", "Result", "frame", "raw", "close_frame", "PASSING"]

# The opcodes by the short names the case tables write them with.
TEXT, BINARY, CONT, CLOSE, PING, PONG = (
    Opcode.TEXT,
    Opcode.BINARY,
    Opcode.CONTINUATION,
    Opcode.CLOSE,
    Opcode.PING,
    Opcode.PONG,
)


class Verdict(str, enum.Enum):
    """Autobahn's verdicts, best first."""

    OK = "OK"
    NON_STRICT = "NON-STRICT"
    WRONG_CODE = "WRONG CODE"
    UNCLEAN = "UNCLEAN"
    FAILED = "FAILED"
    UNIMPLEMENTED = "UNIMPLEMENTED"

    def __str__(self) -> str:
        return self.value


PASSING = frozenset({Verdict.OK, Verdict.NON_STRICT})  # Autobahn counts both as passed


@dataclass(frozen=True)
class Sent:
    """One piece of what a case sends: its bytes and what they are, in words."""

    label: str
    data: bytes


@dataclass(frozen=True)
class Deflated:
    """A message the runner compresses when the case runs (RFC 7692 §7.2.1), with the
    compressor the server's answer calls for (its window, its context takeover).

    The compressed payload goes out in `frames` frames (§6.1: RSV1 on the first
    only); `rsv1_on_all` sets it on the continuations too, which breaks §6.1.
    """

    opcode: int
    message: bytes
    frames: int = 1
    rsv1_on_all: bool = False

    @property
    def label(self) -> str:
        how = f" in {self.frames} frames" if self.frames > 1 else ""
        wrong = ", RSV1 on every frame" if self.rsv1_on_all else ""
        return f"{Opcode(self.opcode).name} compressed{how}{wrong} {_payload_text(self.message)}"

    def encode(self, compressor) -> bytes:
        """The frames, compressed by `compressor` (a client-side `wslab.deflate.PerMessageDeflate`)."""
        payload = compressor.compress(self.message)
        step = max(1, -(-len(payload) // self.frames))
        pieces = [payload[i : i + step] for i in range(0, len(payload), step)] or [b""]
        pieces += [b""] * (self.frames - len(pieces))
        return b"".join(
            frames.encode(
                Frame(
                    Opcode(self.opcode) if i == 0 else Opcode.CONTINUATION,
                    piece,
                    i == len(pieces) - 1,
                    rsv1=i == 0 or self.rsv1_on_all,
                ),
                mask_key=PROBE_KEY,
            )
            for i, piece in enumerate(pieces)
        )


def _payload_text(payload: bytes, limit: int = 24) -> str:
    shown = payload[:limit]
    text = repr(shown)[1:]
    more = f"... ({len(payload)} bytes)" if len(payload) > limit else f" ({len(payload)} bytes)"
    return text + more


def frame(
    opcode: int,
    payload: bytes = b"",
    *,
    fin: bool = True,
    rsv1: bool = False,
    rsv2: bool = False,
    rsv3: bool = False,
    mask_key: bytes | None = PROBE_KEY,
) -> Sent:
    """A client frame exactly as given, masked with the probe's fixed key unless `mask_key` is None."""
    data = frames.encode(Frame(opcode, payload, fin, rsv1, rsv2, rsv3), mask_key=mask_key)
    name = Opcode(opcode).name if opcode in Opcode._value2member_map_ else f"opcode {opcode}"
    bits = [] if fin else ["FIN=0"]
    bits += [name.upper() + "=1" for name, on in (("rsv1", rsv1), ("rsv2", rsv2), ("rsv3", rsv3)) if on]
    if mask_key is None:
        bits.append("unmasked")
    flags = f" [{', '.join(bits)}]" if bits else ""
    return Sent(f"{name}{flags} {_payload_text(payload)}", data)


def raw(label: str, data: bytes) -> Sent:
    """Bytes that no frame encoder would write (a wrong length encoding, half a frame)."""
    return Sent(label, data)


def close_frame(code: int | None = 1000, reason: bytes = b"") -> Sent:
    """A client Close frame; `code` None gives an empty payload. The code is not checked: cases send bad ones."""
    payload = b"" if code is None else code.to_bytes(2, "big") + reason
    sent = frame(Opcode.CLOSE, payload)
    label = "CLOSE (empty)" if code is None else f"CLOSE {code} {_payload_text(reason)}"
    return Sent(label, sent.data)


Message = tuple[int, bytes]  # (opcode, payload): a whole message, or (PONG, payload)


@dataclass(frozen=True)
class Case:
    """One conformance case.

    The runner opens a connection (the standard §4.1 request, or `request`),
    sends `before` messages one at a time and waits for each echo, sends `send`
    (in `chunk`-byte writes if set), then reads. Once the server has sent
    `expect` it sends `finish` (usually our Close 1000). The server must end
    with a Close frame whose code is in `close_codes` and then close TCP.
    `then` is sent only if the server is still silent after a short wait: a
    server that fails only after it is NON-STRICT. With `offer`, the request
    offers those extensions; `Deflated` pieces of `send` are compressed as the
    server's answer says, and the server's compressed messages are inflated.
    A case with `status` other than 101 is a refused handshake: that HTTP status
    (or one of `also_ok`) is OK, another 4xx NON-STRICT (§4.2.1 only says "such
    as 400"), a 101 FAILED.
    """

    id: str
    category: str
    title: str
    rule: str
    send: tuple[Sent | Deflated, ...] = ()
    expect: tuple[Message, ...] = ()
    close_codes: tuple[int | None, ...] = (1000,)
    finish: tuple[Sent, ...] = ()
    before: tuple[Message, ...] = ()
    then: tuple[Sent, ...] = ()
    chunk: int | None = None
    offer: str | None = None  # the request's Sec-WebSocket-Extensions (RFC 7692 cases)
    compressed: bool | None = None  # True: the server must accept the offer; False: decline it
    request: Sent | None = None
    request_chunk: int | None = None
    status: int = 101
    also_ok: tuple[int, ...] = ()  # other refusal statuses that are just as right
    must_headers: tuple[str, ...] = ()  # header fields a refusal must carry
    lenient: Case | None = None  # a behaviour the RFC tolerates: if this case passes, NON-STRICT
    timeout: float = 10.0

    def data(self, compressor=None) -> bytes:
        """The bytes of `send`; `Deflated` pieces compressed by `compressor`."""
        return b"".join(piece.encode(compressor) if isinstance(piece, Deflated) else piece.data for piece in self.send)


@dataclass
class Result:
    """What happened when a case ran: the verdict, why, and both sides of the exchange."""

    case: Case
    verdict: Verdict
    detail: str  # why this verdict, in one sentence
    received: list[str] = field(default_factory=list)  # what came back, in order, in words
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.verdict in PASSING

    def sent(self) -> list[str]:
        """What the case sent, in order, in words."""
        case = self.case
        lines = [f"request: {case.request.label}" if case.request else "request: a valid §4.1 handshake"]
        lines += [f"message {_payload_text(payload)}, waited for its echo" for _, payload in case.before]
        lines += [piece.label for piece in case.send]
        lines += [f"(after a pause, if still open) {piece.label}" for piece in case.then]
        lines += [f"(after the expected answer) {piece.label}" for piece in case.finish]
        return lines

    def as_dict(self) -> dict:
        case = self.case
        return {
            "id": case.id,
            "category": case.category,
            "title": case.title,
            "rule": case.rule,
            "verdict": self.verdict.value,
            "passed": self.passed,
            "detail": self.detail,
            "sent": self.sent(),
            "received": self.received,
            "seconds": round(self.seconds, 3),
        }
