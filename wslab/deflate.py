"""permessage-deflate (RFC 7692): compressed messages, sans-I/O.

A browser offers it in every handshake (``Sec-WebSocket-Extensions:
permessage-deflate; client_max_window_bits``). When the server accepts, each
data message may be sent compressed with DEFLATE (RFC 1951): its first frame
has RSV1 = 1 ("Per-Message Compressed", §6), the payload is the DEFLATE data
with its last four bytes ``00 00 ff ff`` removed (§7.2.1), and the receiver
puts them back before inflating (§7.2.2).

Negotiation (§5, §7.1), on top of `wslab.handshake.Extension`:

    Offer(...)                      what a client offers; ``str(offer)`` is the header element
    accept(extensions, config)      a server's choice among the client's offers -> `Acceptance`
    check_response(offers, exts)    a client's check of the server's answer -> `Agreement` or None
    parse_offer / parse_agreement   the parameters of one offer / one answer, every rule checked
    Agreement                       the agreed parameters, the same on both sides

Compression (§6, §7.2): `PerMessageDeflate(role, agreement)` with
``compress(payload)`` for a whole message and ``start_message`` /
``inflate(data, limit)`` / ``finish_message(limit)`` for what arrives, the size
limit applied to the inflated bytes as they come out (no decompression bombs).

Step by step, for the lessons: `deflate_steps(message)` (the DEFLATE bytes, the
stripped tail, the frame with RSV1, the bytes saved) and `inflate_steps(payload)`.

Why window bits 8 needs care: zlib refuses a raw DEFLATE compressor with
``wbits=-8`` (madler/zlib#171; websockets therefore refuses to compress with
8). A compressor whose matches never reach further back than 256 bytes
satisfies the limit all the same: zlib's ``Z_RLE`` strategy only uses distance
1, so with window 8 wslab compresses with ``wbits=-9, strategy=Z_RLE``. Inflating
with ``wbits=-8`` works in zlib.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from wslab.codes import Opcode
from wslab.errors import NegotiationError, PayloadTooBig, ProtocolError
from wslab.frames import Frame, Role, encode
from wslab.handshake import Extension

__all__ = [
    "NAME",
    "TAIL",
    "Offer",
    "ServerConfig",
    "Agreement",
    "Acceptance",
    "parse_offer",
    "parse_agreement",
    "accept",
    "check_response",
    "PerMessageDeflate",
    "DeflateSteps",
    "InflateSteps",
    "deflate_steps",
    "inflate_steps",
]

NAME = "permessage-deflate"
TAIL = b"\x00\x00\xff\xff"  # an empty stored block: the end of a sync flush (§7.2.1)
MIN_WINDOW_BITS, MAX_WINDOW_BITS = 8, 15  # §7.1.2: the LZ77 window is 2**8 to 2**15 bytes

_FLAGS = ("server_no_context_takeover", "client_no_context_takeover")
_WINDOWS = ("server_max_window_bits", "client_max_window_bits")
_SECTION = {
    "server_no_context_takeover": "7.1.1.1",
    "client_no_context_takeover": "7.1.1.2",
    "server_max_window_bits": "7.1.2.1",
    "client_max_window_bits": "7.1.2.2",
}


# --- negotiation: the parameters (§7.1) ----------------------------------------


@dataclass(frozen=True)
class Offer:
    """A client's permessage-deflate offer (§5.1, §7.1).

    ``client_max_window_bits``: False leaves it out, True sends it without a
    value ("I can limit my window if you ask", what browsers send), a number
    8-15 sends it with that value. ``server_max_window_bits`` None leaves it out.
    """

    server_no_context_takeover: bool = False
    client_no_context_takeover: bool = False
    server_max_window_bits: int | None = None
    client_max_window_bits: int | bool = True

    def __post_init__(self) -> None:
        _check_bits("server_max_window_bits", self.server_max_window_bits)
        if not isinstance(self.client_max_window_bits, bool):
            _check_bits("client_max_window_bits", self.client_max_window_bits)

    def extension(self) -> Extension:
        params: list[tuple[str, str | None]] = [(name, None) for name in _FLAGS if getattr(self, name)]
        if self.server_max_window_bits is not None:
            params.append(("server_max_window_bits", str(self.server_max_window_bits)))
        if self.client_max_window_bits is True:
            params.append(("client_max_window_bits", None))
        elif self.client_max_window_bits is not False:
            params.append(("client_max_window_bits", str(self.client_max_window_bits)))
        return Extension(NAME, tuple(params))

    def __str__(self) -> str:
        return str(self.extension())


@dataclass(frozen=True)
class ServerConfig:
    """What a server asks for when it accepts an offer (§7.1).

    The ``*_no_context_takeover`` flags are added to every answer (a server may,
    §7.1.1); the window bits cap what the server uses (``server_max_window_bits``,
    answered when below 15 or offered) and what it asks of a client that said it
    can limit its window (``client_max_window_bits``, §7.1.2.2).
    """

    server_no_context_takeover: bool = False
    client_no_context_takeover: bool = False
    server_max_window_bits: int = MAX_WINDOW_BITS
    client_max_window_bits: int = MAX_WINDOW_BITS

    def __post_init__(self) -> None:
        _check_bits("server_max_window_bits", self.server_max_window_bits)
        _check_bits("client_max_window_bits", self.client_max_window_bits)


@dataclass(frozen=True)
class Agreement:
    """The agreed parameters (§7.1): those of the server's answer, which both endpoints follow.

    A window of None was not named: the sender may use the full 2**15 bytes.
    """

    server_no_context_takeover: bool = False
    client_no_context_takeover: bool = False
    server_max_window_bits: int | None = None
    client_max_window_bits: int | None = None

    def extension(self) -> Extension:
        params: list[tuple[str, str | None]] = [(name, None) for name in _FLAGS if getattr(self, name)]
        params += [(name, str(getattr(self, name))) for name in _WINDOWS if getattr(self, name) is not None]
        return Extension(NAME, tuple(params))

    def __str__(self) -> str:
        return str(self.extension())

    def no_context_takeover(self, sender: Role) -> bool:
        """Whether `sender` starts every message with an empty LZ77 window (§7.1.1)."""
        return self.server_no_context_takeover if sender == "server" else self.client_no_context_takeover

    def window_bits(self, sender: Role) -> int:
        """The base-2 logarithm of `sender`'s largest LZ77 window (§7.1.2)."""
        bits = self.server_max_window_bits if sender == "server" else self.client_max_window_bits
        return MAX_WINDOW_BITS if bits is None else bits


def _check_bits(name: str, bits: int | None) -> None:
    if bits is not None and not (isinstance(bits, int) and MIN_WINDOW_BITS <= bits <= MAX_WINDOW_BITS):
        raise ValueError(f"{name} is 8 to 15 (RFC 7692 §{_SECTION[name]}), got {bits!r}")


def _read_params(extension: Extension, *, side: Literal["offer", "response"]) -> dict[str, str | None]:
    """The parameters of one element, refusing the faults §5.1 names for both sides:
    an unknown name, a name given twice, a value where none belongs or a bad value."""
    if extension.name.lower() != NAME:
        raise ValueError(f"not a {NAME} element: {extension}")
    seen: dict[str, str | None] = {}
    for name, value in extension.params:
        if name not in _SECTION:
            raise NegotiationError(
                f"{NAME} has no parameter {name!r} (it defines {', '.join(_SECTION)})", rfc_section="7", parameter=name
            )
        if name in seen:
            raise NegotiationError(f"parameter {name} is given twice", rfc_section="7", parameter=name)
        section = _SECTION[name]
        if name in _FLAGS and value is not None:
            raise NegotiationError(f"{name} has no value, got {name}={value}", rfc_section=section, parameter=name)
        if name in _WINDOWS:
            if value is None and not (name == "client_max_window_bits" and side == "offer"):
                where = "an answer" if side == "response" else "an offer"
                raise NegotiationError(f"{name} needs a value 8-15 in {where}", rfc_section=section, parameter=name)
            if value is not None and value not in _BITS_VALUES:
                raise NegotiationError(
                    f"{name}={value} is not a decimal 8 to 15 without leading zeros",
                    rfc_section=section,
                    parameter=name,
                )
        seen[name] = value
    return seen


_BITS_VALUES = {str(bits) for bits in range(MIN_WINDOW_BITS, MAX_WINDOW_BITS + 1)}


def parse_offer(extension: Extension) -> Offer:
    """A client's offer, every rule of §5.1 and §7.1 checked; NegotiationError if the
    server must decline it."""
    params = _read_params(extension, side="offer")
    client_bits = params.get("client_max_window_bits", False)
    server_bits = params.get("server_max_window_bits")
    return Offer(
        server_no_context_takeover="server_no_context_takeover" in params,
        client_no_context_takeover="client_no_context_takeover" in params,
        server_max_window_bits=None if server_bits is None else int(server_bits),
        client_max_window_bits=True if client_bits is None else (False if client_bits is False else int(client_bits)),
    )


def parse_agreement(extension: Extension) -> Agreement:
    """A server's answer read as parameters, the rules of one element checked
    (NegotiationError: the client fails the connection). Whether it fits the
    client's offer is `check_response`'s part."""
    params = _read_params(extension, side="response")
    return Agreement(
        server_no_context_takeover="server_no_context_takeover" in params,
        client_no_context_takeover="client_no_context_takeover" in params,
        **{name: int(value) for name in _WINDOWS if (value := params.get(name)) is not None},
    )


# --- negotiation: the server's choice, the client's check (§5) ------------------


@dataclass
class Acceptance:
    """What a server made of a client's offers (`accept`)."""

    agreement: Agreement | None  # what it answers, or None: no compression
    offer: Offer | None = None  # the offer it accepted
    declined: list[tuple[Extension, NegotiationError]] = field(default_factory=list)  # and why

    @property
    def response(self) -> Extension | None:
        """The element of the server's ``Sec-WebSocket-Extensions`` answer, if any."""
        return None if self.agreement is None else self.agreement.extension()


def accept(extensions: Sequence[Extension], config: ServerConfig | None = None) -> Acceptance:
    """A server's choice (§5.1): the first permessage-deflate offer it can accept.

    Offers are tried in the client's order of preference; an offer that breaks a
    rule is declined (kept in `Acceptance.declined` with the reason), and the
    next one is tried. Elements of other extensions are not this module's to
    answer and are skipped. No acceptable offer: the connection goes on uncompressed.
    """
    config = config or ServerConfig()
    result = Acceptance(None)
    for extension in extensions:
        if extension.name.lower() != NAME:
            continue
        try:
            offer = parse_offer(extension)
        except NegotiationError as error:
            result.declined.append((extension, error))
            continue
        result.agreement, result.offer = _answer(offer, config), offer
        return result
    return result


def _answer(offer: Offer, config: ServerConfig) -> Agreement:
    """The agreed parameters for an acceptable offer (§7.1)."""
    server_bits = min(offer.server_max_window_bits or MAX_WINDOW_BITS, config.server_max_window_bits)
    if offer.client_max_window_bits is False:  # §7.1.2.2: not offered, not answered
        client_bits = None
    elif offer.client_max_window_bits is True:  # "ask me for any limit": named only if below 15
        client_bits = config.client_max_window_bits if config.client_max_window_bits < MAX_WINDOW_BITS else None
    else:  # the client's own cap: answered, or a lower one
        client_bits = min(offer.client_max_window_bits, config.client_max_window_bits)
    return Agreement(
        # §7.1.1.1: accepting an offer of server_no_context_takeover means answering it
        server_no_context_takeover=offer.server_no_context_takeover or config.server_no_context_takeover,
        # §7.1.1.2: the client's hint is echoed, which lets the server drop its inflater between messages
        client_no_context_takeover=offer.client_no_context_takeover or config.client_no_context_takeover,
        # §7.1.2.1: the same or a smaller value than offered; a limit of our own may always be named
        server_max_window_bits=(
            server_bits if offer.server_max_window_bits is not None or server_bits < MAX_WINDOW_BITS else None
        ),
        client_max_window_bits=client_bits,
    )


def check_response(offers: Sequence[Offer], extensions: Sequence[Extension]) -> Agreement | None:
    """A client's check of the server's ``Sec-WebSocket-Extensions`` answer (§5.1, §7.1).

    `extensions` is the whole answer; its permessage-deflate element, if any,
    must read correctly and fit one of `offers`. Returns the agreed parameters
    (with the client's own window cap filled in when the server named none), or
    None when the server did not accept compression. NegotiationError says what
    is wrong: the client then fails the WebSocket connection.
    """
    answers = [extension for extension in extensions if extension.name.lower() == NAME]
    if not answers:
        return None
    if len(answers) > 1:
        raise NegotiationError(
            f"the server answered {NAME} {len(answers)} times; it may accept one offer only", rfc_section="5.1"
        )
    if not offers:
        raise NegotiationError(
            f"the server accepted {NAME} ({answers[0]}), which the client did not offer", rfc_section="5.1"
        )
    agreement = parse_agreement(answers[0])
    problems = []
    for offer in offers:
        problem = _misfit(offer, agreement)
        if problem is None:
            if agreement.client_max_window_bits is None and not isinstance(offer.client_max_window_bits, bool):
                return replace(agreement, client_max_window_bits=offer.client_max_window_bits)
            return agreement
        problems.append(problem)
    raise problems[0]


def _misfit(offer: Offer, answer: Agreement) -> NegotiationError | None:
    """Why `answer` does not accept `offer` (§7.1.1.1, §7.1.2.1, §7.1.2.2), or None."""
    if offer.server_no_context_takeover and not answer.server_no_context_takeover:
        return NegotiationError(
            "the client offered server_no_context_takeover; the answer leaves it out, so it does not accept that offer",
            rfc_section="7.1.1.1",
            parameter="server_no_context_takeover",
        )
    if offer.server_max_window_bits is not None and (
        answer.server_max_window_bits is None or answer.server_max_window_bits > offer.server_max_window_bits
    ):
        got = (
            "no server_max_window_bits"
            if answer.server_max_window_bits is None
            else f"server_max_window_bits={answer.server_max_window_bits}"
        )
        return NegotiationError(
            f"the client offered server_max_window_bits={offer.server_max_window_bits}; "
            f"the answer has {got}: it must name the same or a smaller value",
            rfc_section="7.1.2.1",
            parameter="server_max_window_bits",
        )
    if answer.client_max_window_bits is not None:
        if offer.client_max_window_bits is False:
            return NegotiationError(
                f"the answer has client_max_window_bits={answer.client_max_window_bits}, "
                "but the client did not offer client_max_window_bits",
                rfc_section="7.1.2.2",
                parameter="client_max_window_bits",
            )
        if offer.client_max_window_bits is not True and answer.client_max_window_bits > offer.client_max_window_bits:
            return NegotiationError(
                f"the answer has client_max_window_bits={answer.client_max_window_bits}, "
                f"above the {offer.client_max_window_bits} the client offered",
                rfc_section="7.1.2.2",
                parameter="client_max_window_bits",
            )
    return None


# --- compressing and inflating (§6, §7.2) ---------------------------------------


class PerMessageDeflate:
    """The compressor and the inflater of one endpoint, as `agreement` says.

    `role` is this endpoint's: a server compresses with the server_* parameters
    and inflates with the client_* ones, a client the other way round.
    With context takeover (the default) the LZ77 window carries over from one
    message to the next, so repeated text compresses better each time (§7.1.1).
    """

    def __init__(
        self,
        role: Role,
        agreement: Agreement | None = None,
        *,
        level: int = zlib.Z_DEFAULT_COMPRESSION,
        mem_level: int = 8,
    ) -> None:
        if role not in ("client", "server"):
            raise ValueError(f"role is 'client' or 'server', got {role!r}")
        self.role: Role = role
        self.agreement = agreement or Agreement()
        peer: Role = "client" if role == "server" else "server"
        self.local_no_context_takeover = self.agreement.no_context_takeover(role)
        self.remote_no_context_takeover = self.agreement.no_context_takeover(peer)
        self.local_window_bits = self.agreement.window_bits(role)
        self.remote_window_bits = self.agreement.window_bits(peer)
        self.level = level
        self.mem_level = mem_level
        self._compressor: zlib._Compress | None = None
        self._inflater: zlib._Decompress | None = None
        self._trailer: zlib._Decompress | None = None  # reads what follows a final block

    def __repr__(self) -> str:
        return f"PerMessageDeflate(role={self.role!r}, agreement={str(self.agreement)!r})"

    # --- sending ---------------------------------------------------------------

    def compress(self, payload: bytes) -> bytes:
        """The payload of a compressed message (§7.2.1): DEFLATE, flushed to a byte
        boundary, its last four bytes ``00 00 ff ff`` removed."""
        deflated = self.deflate(payload)
        return deflated[: -len(TAIL)]

    def deflate(self, payload: bytes) -> bytes:
        """DEFLATE output of one message, ending with the sync flush's empty stored block
        (``00 00 ff ff``). `compress` removes those four bytes; this is the step before."""
        if self._compressor is None or self.local_no_context_takeover:
            self._compressor = self._new_compressor()
        data = self._compressor.compress(payload) + self._compressor.flush(zlib.Z_SYNC_FLUSH)
        assert data.endswith(TAIL), "a sync flush ends with an empty stored block"
        return data

    def _new_compressor(self) -> zlib._Compress:
        if self.local_window_bits == MIN_WINDOW_BITS:
            # zlib has no raw compressor for window 8 (see the module docstring); matches
            # at distance 1 only (Z_RLE) never reach past a 256-byte window.
            return zlib.compressobj(self.level, zlib.DEFLATED, -9, self.mem_level, zlib.Z_RLE)
        return zlib.compressobj(self.level, zlib.DEFLATED, -self.local_window_bits, self.mem_level)

    # --- receiving -------------------------------------------------------------

    def start_message(self) -> None:
        """A compressed message begins (its first frame has RSV1 = 1)."""
        if self._inflater is None or self.remote_no_context_takeover or self._inflater.eof:
            # After a final block (BFINAL = 1) zlib's stream is over: the next message
            # starts with an empty window (a sender that flushes that way keeps none).
            self._inflater = zlib.decompressobj(-self.remote_window_bits)
        self._trailer = None

    def inflate(self, data: bytes, limit: int | None = None) -> bytes:
        """Inflate the next compressed bytes of the message, at most `limit` bytes out.

        zlib is asked for at most ``limit + 1`` bytes, so a bomb (a few bytes that
        would inflate to gigabytes) is stopped after ``limit + 1`` bytes: 1009
        (RFC 6455 §7.4.1, §10.4), the rest never produced. Data that is not
        DEFLATE fails the connection with 1007 (the message's data does not fit its type).
        """
        inflater = self._inflater
        if inflater is None:
            raise RuntimeError("inflate() before start_message()")
        if inflater.eof:
            self._after_final_block(data)
            return b""
        try:
            out = inflater.decompress(data, 0 if limit is None else limit + 1)
        except zlib.error as error:
            raise _not_deflate(str(error)) from None
        if limit is not None and len(out) > limit:
            raise PayloadTooBig(
                f"the compressed message inflates past the limit of {limit} more byte(s); inflating stopped there",
                rfc_section="10.4",
                field="payload",
            )
        if inflater.eof and inflater.unused_data:
            self._after_final_block(inflater.unused_data)
        return out

    def _after_final_block(self, data: bytes) -> None:
        """Bytes after a block with BFINAL = 1 may only be empty blocks: RFC 7692 §7.2.3.3
        ends "Hello" with a final block and then ``00``, which with the tail put back
        is an empty stored block."""
        if self._trailer is None:
            self._trailer = zlib.decompressobj(-MAX_WINDOW_BITS)
        try:
            out = self._trailer.decompress(data, 1)
        except zlib.error as error:
            raise _not_deflate(f"after the final block: {error}") from None
        if out:
            raise _not_deflate("data follows the final block (BFINAL = 1) of the message")

    def finish_message(self, limit: int | None = None) -> bytes:
        """The message's last frame is in: put back ``00 00 ff ff`` and inflate what
        it releases (§7.2.2). `limit` as for `inflate`."""
        out = self.inflate(TAIL, limit)
        if self.remote_no_context_takeover:
            self._inflater = None
        return out

    def inflate_message(self, payload: bytes, limit: int | None = None) -> bytes:
        """A whole compressed message (all its frames' payloads joined) inflated."""
        self.start_message()
        out = self.inflate(payload, limit)
        return out + self.finish_message(None if limit is None else limit - len(out))


def _not_deflate(problem: str) -> ProtocolError:
    return ProtocolError(
        f"the compressed message is not valid DEFLATE data ({problem})",
        rfc_section="6.2",
        rfc="RFC 7692",
        close_code=1007,
        field="payload",
    )


# --- step by step (for the lessons) ---------------------------------------------


@dataclass(frozen=True)
class DeflateSteps:
    """Every intermediate value of sending one compressed message (§6.1, §7.2.1)."""

    message: bytes  # the payload before compression (UTF-8 for text)
    deflated: bytes  # DEFLATE output after a sync flush: ends with 00 00 ff ff
    tail: bytes  # the four bytes removed (always 00 00 ff ff)
    payload: bytes  # what the frame carries: `deflated` without the tail
    frame: bytes  # the frame with RSV1 = 1 ("Per-Message Compressed")
    plain_frame: bytes  # the same message sent uncompressed (RSV1 = 0), for comparison

    @property
    def saved(self) -> int:
        """Bytes on the wire saved by compressing (negative: compression made it longer)."""
        return len(self.plain_frame) - len(self.frame)

    @property
    def ratio(self) -> float:
        """Compressed payload size / original size (1.0 for an empty message)."""
        return len(self.payload) / len(self.message) if self.message else 1.0

    def __str__(self) -> str:
        return _steps(
            [
                ("1. the message", self.message, ""),
                ("2. DEFLATE, sync flush", self.deflated, "ends with 00 00 ff ff"),
                ("3. tail removed", self.payload, "the payload (RFC 7692 §7.2.1)"),
                (
                    "4. frame, RSV1 = 1",
                    self.frame,
                    f"{self.saved} bytes saved vs. {len(self.plain_frame)} uncompressed"
                    if self.saved >= 0
                    else f"{-self.saved} bytes MORE than {len(self.plain_frame)} uncompressed",
                ),
            ]
        )


@dataclass(frozen=True)
class InflateSteps:
    """Every intermediate value of receiving one compressed message (§6.2, §7.2.2)."""

    payload: bytes  # the payload of the frame(s), as received
    restored: bytes  # with 00 00 ff ff put back
    message: bytes  # inflated

    def __str__(self) -> str:
        return _steps(
            [
                ("1. payload received", self.payload, ""),
                ("2. tail put back", self.restored, "00 00 ff ff appended (RFC 7692 §7.2.2)"),
                ("3. inflated", self.message, "the message"),
            ]
        )


def _steps(rows: list[tuple[str, bytes, str]]) -> str:
    """Step rows, aligned: what, how many bytes, the bytes (hex, cut at 16), a note."""
    lines = []
    for title, data, note in rows:
        line = f"{title:<24} {len(data):>5} B  {_hex(data, 16)}"
        lines.append(f"{line}   <- {note}" if note else line)
    return "\n".join(lines)


def deflate_steps(
    message: str | bytes, *, compressor: PerMessageDeflate | None = None, mask_key: bytes | None = None
) -> DeflateSteps:
    """Compress one message step by step (§7.2.1) and frame it with RSV1 = 1 (§6).

    `compressor` carries the LZ77 window from message to message (context
    takeover): pass the same one twice to see the second message shrink. By
    default a fresh server-side one (no masking); a `mask_key` masks both frames.
    The RFC's example: ``deflate_steps("Hello").payload.hex(" ")`` is
    ``'f2 48 cd c9 c9 07 00'`` (RFC 7692 §7.2.3.1).
    """
    compressor = compressor or PerMessageDeflate("server")
    opcode = Opcode.TEXT if isinstance(message, str) else Opcode.BINARY
    data = message.encode("utf-8") if isinstance(message, str) else bytes(message)
    deflated = compressor.deflate(data)
    payload = deflated[: -len(TAIL)]
    return DeflateSteps(
        data,
        deflated,
        deflated[-len(TAIL) :],
        payload,
        encode(Frame(opcode, payload, rsv1=True), mask_key),
        encode(Frame(opcode, data), mask_key),
    )


def inflate_steps(
    payload: bytes, *, inflater: PerMessageDeflate | None = None, limit: int | None = None
) -> InflateSteps:
    """Inflate one compressed message's payload step by step (§7.2.2).

    `inflater` keeps the window between messages (the peer's context takeover);
    by default a fresh client-side one. `limit` bounds the inflated size (1009 past it).
    """
    inflater = inflater or PerMessageDeflate("client")
    return InflateSteps(bytes(payload), bytes(payload) + TAIL, inflater.inflate_message(bytes(payload), limit))


def _hex(data: bytes, limit: int = 24) -> str:
    shown = data[:limit].hex(" ")
    return shown + (f" ... (+{len(data) - limit})" if len(data) > limit else "")
