"""One WebSocket connection as a state machine over bytes (RFC 6455 §5-§8), sans-I/O.

    conn = Connection("server")
    events = conn.receive_data(bytes_from_the_socket)   # any split of the stream
    socket.write(conn.data_to_send())                   # auto pongs, close echo, failure close
    socket.write(conn.send_text("hello"))               # frames the application sends

No sockets and no asyncio here: bytes go in, events and bytes come out, so
the same code drives the asyncio server, the lessons and the tests.
`wslab.frames.FrameParser` enforces the rules of a single frame; this module
adds the rules of messages and of the connection:

- §5.4 fragmentation: a message is a TEXT or BINARY frame, then CONTINUATION
  frames; control frames may come between them and are delivered at once.
- §5.5.2/§5.5.3 a Ping is answered with a Pong carrying the same payload.
- §5.5.1/§7 the closing handshake, and §7.1.7 failing the connection.
- §8.1 text must be UTF-8, checked as each byte arrives.
- §10.4 a limit on the size of a message, checked before buffering past it,
  and on the number of its fragments, so memory follows the message's bytes.
- §7.1.1 who closes TCP: `close_expected()` says when the transport should
  end the TCP connection, `closes_tcp_first` whether this endpoint goes first.

The transport must write `data_to_send()` as soon as `receive_data` returns,
before any later `send_*` bytes, so frames leave in the order they were made.
Once `close_expected()` is true (both Close frames exchanged, or a failure), a
server writes what is queued and closes TCP; a client waits for the server to
close it (§7.1.1), each with a timeout of its own. Whoever sees TCP end calls
`receive_eof()`: from then on `tcp_closed` is true, and only then is the
WebSocket connection really closed (§7.1.4).
"""

from __future__ import annotations

import codecs
import enum
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from wslab.codes import Opcode, close_code_name
from wslab.errors import ConnectionClosed, InvalidUTF8, PayloadTooBig, ProtocolError
from wslab.frames import (
    MAX_CONTROL_PAYLOAD,
    FrameParser,
    Role,
    check_rsv1,
    close_payload,
    encode_fields,
    encode_header,
    parse_close,
)

if TYPE_CHECKING:  # the core does not import the extension; it only calls what it is given
    from wslab.deflate import PerMessageDeflate

__all__ = [
    "State",
    "Connection",
    "Event",
    "TextMessage",
    "BinaryMessage",
    "Ping",
    "Pong",
    "CloseReceived",
    "ConnectionFailed",
]

MaskKey = bytes | Callable[[], bytes] | None

MAX_CLOSE_REASON = MAX_CONTROL_PAYLOAD - 2  # 125 bytes of payload minus the 2-byte code (§5.5.1)
# Frames one message may take, its first included: beyond that, 1009. Each frame
# costs work and bookkeeping even when empty, so the size limit alone does not
# bound a message of endless empty fragments. websockets' limit is the same.
MAX_FRAGMENTS = 4096


class State(enum.Enum):
    """The states of §4.1 and §7; the values are the browser API's ``readyState``."""

    CONNECTING = 0  # opening handshake in progress (done by wslab.handshake before a Connection)
    OPEN = 1  # messages flow both ways
    CLOSING = 2  # we sent a Close frame and wait for the peer's
    CLOSED = 3  # both Close frames exchanged, or the connection failed or was lost


# --- events --------------------------------------------------------------------


@dataclass(frozen=True)
class TextMessage:
    """A whole text message (opcode 0x1), its fragments joined and decoded (§5.6)."""

    data: str


@dataclass(frozen=True)
class BinaryMessage:
    """A whole binary message (opcode 0x2), its fragments joined (§5.6)."""

    data: bytes


@dataclass(frozen=True)
class Ping:
    """A Ping was received (§5.5.2); the Pong with the same payload is already queued."""

    payload: bytes


@dataclass(frozen=True)
class Pong:
    """A Pong was received (§5.5.3), answering our Ping or unsolicited (a heartbeat)."""

    payload: bytes


@dataclass(frozen=True)
class CloseReceived:
    """The peer sent a Close frame (§5.5.1).

    `code` is None when the frame had an empty payload (the connection's
    close code is then 1005, §7.1.5). If we had not sent a Close frame, the
    echo is already queued in `data_to_send()`.
    """

    code: int | None
    reason: str


@dataclass(frozen=True)
class ConnectionFailed:
    """The peer broke a rule; we "Fail the WebSocket Connection" (§7.1.7).

    The Close frame with `error.close_code` is queued in `data_to_send()`
    and the connection is CLOSED: nothing more is processed.
    """

    error: ProtocolError

    @property
    def close_code(self) -> int:
        return int(self.error.close_code)

    def __repr__(self) -> str:
        error = self.error
        return f"ConnectionFailed({close_code_name(error.close_code)}: {error.message!r} §{error.rfc_section})"


Event = TextMessage | BinaryMessage | Ping | Pong | CloseReceived | ConnectionFailed

# The members the per-frame code compares with, as module names. On CPython 3.11,
# reading `Opcode.TEXT` goes through EnumType's __getattr__ hook, about 15 times the
# cost of a global, and one small message read and answered took a dozen of them.
_TEXT, _BINARY, _CONTINUATION, _PING, _PONG = Opcode.TEXT, Opcode.BINARY, Opcode.CONTINUATION, Opcode.PING, Opcode.PONG
_OPEN, _CLOSING, _CLOSED = State.OPEN, State.CLOSING, State.CLOSED

_DATA_OPCODES = (_TEXT, _BINARY, _CONTINUATION)
_MESSAGE_OPCODES = (_TEXT, _BINARY)  # the first frame of a message


# --- the connection ------------------------------------------------------------


class Connection:
    """An open WebSocket connection seen from one endpoint (`role` "client" or "server").

    `max_message_size` bounds a whole message, across its fragments (None: no
    limit); a message that would grow past it fails the connection with 1009.
    `max_fragments` bounds the frames of one message (None: no limit), also 1009.
    `mask_key` (client only): fixed 4 bytes (for stable lesson output), a callable
    returning 4 bytes, or None for ``os.urandom(4)`` per frame, as §5.3 asks.

    `deflate`: permessage-deflate, when the handshake agreed on it (RFC 7692,
    `wslab.deflate`): messages are sent compressed (RSV1 on their first frame),
    and a message whose first frame has RSV1 is inflated as it arrives, the size
    limit applied to the inflated bytes. RSV1 anywhere else fails with 1002 (§6.1).

    `hold_failure`: when the peer breaks a rule, the Close frame of the failure
    waits in `held_failure` instead of `data_to_send()`, and sending stays
    possible, until `release_failure()`. A transport uses it to let the application
    answer the messages that came before the bad frame first, as Autobahn's
    strict verdict expects; it must release it as soon as those are answered.
    """

    def __init__(
        self,
        role: Role,
        *,
        max_message_size: int | None = 1 << 20,
        max_fragments: int | None = MAX_FRAGMENTS,
        mask_key: MaskKey = None,
        deflate: PerMessageDeflate | None = None,
        hold_failure: bool = False,
    ) -> None:
        if role not in ("client", "server"):
            raise ValueError(f"role is 'client' or 'server', got {role!r}")
        if role == "server" and mask_key is not None:
            raise ValueError("a server MUST NOT mask the frames it sends (RFC 6455 §5.1): no mask_key")
        if isinstance(mask_key, (bytes, bytearray)) and len(mask_key) != 4:
            raise ValueError(f"a masking key is exactly 4 bytes (RFC 6455 §5.3), got {len(mask_key)}")
        if max_message_size is not None and max_message_size < 0:
            raise ValueError(f"max_message_size must be >= 0 or None, got {max_message_size}")
        if max_fragments is not None and max_fragments < 1:
            raise ValueError(f"max_fragments must be >= 1 or None, got {max_fragments}")
        self.role: Role = role
        self.max_message_size = max_message_size
        self.max_fragments = max_fragments
        self.mask_key = bytes(mask_key) if isinstance(mask_key, (bytes, bytearray)) else mask_key
        self.state = State.OPEN
        self.close_code: int | None = None
        self.close_reason: str = ""
        self.close_sent = False  # we sent a Close frame
        self.tcp_closed = False  # receive_eof() was called: TCP is closed (§7.1.4)
        self.deflate = deflate
        self.hold_failure = hold_failure
        self.held_failure: ProtocolError | None = None  # failed, its Close frame not released yet
        self._held_close = b""
        # A server receives from clients, so its parser requires masked frames (§5.1).
        # The parser refuses a too-big frame by its header; a control frame (at most
        # 125 bytes, §5.5) is never part of a message, so it is never refused for size.
        frame_limit = None if max_message_size is None else max(max_message_size, MAX_CONTROL_PAYLOAD)
        if frame_limit is not None and deflate is not None:
            # DEFLATE may make incompressible data a little longer (5 bytes per stored
            # block of up to 64 KiB, RFC 1951 §3.2.4): such a message must still get in.
            frame_limit += frame_limit // 1000 + 64
        self._parser = FrameParser(role=role, max_size=frame_limit, rsv1_allowed=deflate is not None)
        self._outgoing = bytearray()
        self._message_opcode: Opcode | None = None
        self._message_size = 0  # payload bytes of the complete frames of this message
        self._fragments = 0  # frames of this message so far
        # The message's bytes, in one buffer: memory follows its bytes, not its frame
        # count (a list of one piece per fragment would cost ~50 bytes per empty one).
        self._data = bytearray()
        self._decoded = 0  # bytes given to the UTF-8 decoder so far
        self._decoder: codecs.IncrementalDecoder | None = None
        self._compressed = False  # its first frame had RSV1: permessage-deflate (RFC 7692 §6)
        self._frame_started = False  # the frame in progress passed _start_frame
        self._frame_seen = 0  # payload bytes of that frame already decoded

    def __repr__(self) -> str:
        text = f"Connection(role={self.role!r}, state={self.state.name}"
        if self.close_code is not None:
            text += f", close_code={self.close_code}, close_reason={self.close_reason!r}"
        return text + ")"

    # --- receiving -------------------------------------------------------------

    def receive_data(self, data: bytes) -> list[Event]:
        """Feed bytes from the peer, split anywhere; return the events they complete.

        A broken rule becomes a `ConnectionFailed` event after the events of
        the good bytes before it. Once CLOSED, bytes are ignored (§1.4, §7.1.7).
        """
        events: list[Event] = []
        if self.state is _CLOSED or self.held_failure is not None:
            return events
        try:
            if (fields := self._parser.whole_frame(data)) is not None:  # the usual chunk: one whole frame
                self._receive_frame(*fields, events)
                return events
            self._parser.feed(data)
            while self.state is not _CLOSED and (frame := self._parser.next_frame()) is not None:
                self._receive_frame(frame.opcode, frame.payload, frame.fin, frame.rsv1, events)
            if self.state is not _CLOSED:
                self._check_frame_in_progress()
        except ProtocolError as error:
            events.append(self._fail(error))
        return events

    def receive_eof(self) -> list[Event]:
        """TCP is closed (the peer closed it, or we did). Without a closing handshake
        the close code is 1006 (§7.1.5, §7.4.1)."""
        if self.close_code is None:
            self.close_code = 1006
            self.close_reason = ""
        self.state = State.CLOSED
        self.tcp_closed = True
        self._reset_message()
        return []

    @property
    def buffered(self) -> int:
        """Bytes of the unfinished message held so far (at most `max_message_size`)."""
        return len(self._data)

    # --- TCP: what the transport does about it (§7.1.1, §7.1.4) -------------------

    def close_expected(self) -> bool:
        """Whether the TCP connection should end now: the closing handshake is over, the
        connection failed (§7.1.1, §7.1.7) or the peer already closed TCP.

        The transport then writes `data_to_send()` and ends TCP: first if
        `closes_tcp_first`, else by waiting for the peer to, within a timeout;
        then it calls `receive_eof()` if it has not yet.
        """
        return self.state is _CLOSED

    @property
    def closes_tcp_first(self) -> bool:
        """§7.1.1: "the server SHOULD close the underlying TCP connection first";
        the client waits for it (so the server, not the client, holds TIME_WAIT)."""
        return self.role == "server"

    def data_to_send(self) -> bytes:
        """The bytes this connection produced on its own: auto pongs, the close echo,
        the Close frame of a failure. Drains the buffer."""
        if not self._outgoing:
            return b""
        data = bytes(self._outgoing)
        self._outgoing.clear()
        return data

    def _receive_frame(self, opcode: Opcode | int, payload: bytes, fin: bool, rsv1: bool, events: list[Event]) -> None:
        """A whole frame (its fields, read and checked by the parser): its events."""
        if fin and not rsv1 and self._message_opcode is None and not self._frame_started and opcode in _MESSAGE_OPCODES:
            if self._fits(len(payload)):
                # The usual message, whole in one frame with nothing in progress: none of
                # `_start_frame`'s rules can apply (no continuation, no RSV1, no message to
                # interrupt, within the size limit), so it is not called for every message.
                events.append(self._single_frame_message(opcode, payload))
                return
        if not self._frame_started:
            self._start_frame(opcode, len(payload), rsv1)
        self._frame_started = False
        if fin and opcode in _MESSAGE_OPCODES and self._frame_seen == 0:
            events.append(self._single_frame_message(opcode, payload))
        elif opcode in _DATA_OPCODES:
            self._take_payload(payload[self._frame_seen :])
            self._frame_seen = 0
            self._message_size += len(payload)
            if fin:
                events.append(self._finish_message())
        elif opcode == _PING:
            self._outgoing += self._frame(_PONG, payload)  # §5.5.2: same payload
            events.append(Ping(payload))
        elif opcode == _PONG:
            events.append(Pong(payload))
        else:
            events.append(self._receive_close(payload))

    def _start_frame(self, opcode: int, payload_length: int, rsv1: bool = False) -> None:
        """The message-level rules a frame's header alone decides (§5.4, §10.4; RFC 7692 §6.1)."""
        self._frame_started = True
        if opcode == _CONTINUATION and self._message_opcode is None:
            raise ProtocolError(
                "a continuation frame arrived but no fragmented message was started", rfc_section="5.4", field="opcode"
            )
        if rsv1:  # only reaches here with permessage-deflate on
            check_rsv1(opcode)
        if opcode == _CONTINUATION:
            self._fragments += 1
            if self.max_fragments is not None and self._fragments > self.max_fragments:
                raise PayloadTooBig(
                    f"a message of more than {self.max_fragments} frames exceeds the limit of "
                    f"{self.max_fragments} frames per message",
                    rfc_section="10.4",
                    field="FIN",
                )
        if opcode in _MESSAGE_OPCODES:
            if self._message_opcode is not None:
                raise ProtocolError(
                    f"a new {Opcode(opcode).name} frame arrived in the middle of a fragmented "
                    "message; only CONTINUATION or control frames may come before its end",
                    rfc_section="5.4",
                    field="opcode",
                )
            self._message_opcode = _TEXT if opcode == _TEXT else _BINARY
            self._fragments = 1
            if rsv1:
                self._compressed = True
                self.deflate.start_message()  # type: ignore[union-attr]  # RSV1 passes the parser only with it
        if opcode in _DATA_OPCODES and not self._compressed and not self._fits(payload_length):
            size = self._message_size + payload_length
            raise PayloadTooBig(
                f"message of at least {size} bytes exceeds the limit of {self.max_message_size} bytes",
                rfc_section="10.4",
                field="payload length",
            )

    def _fits(self, payload_length: int) -> bool:
        """Whether this message may grow by `payload_length` bytes (§10.4: `max_message_size`)."""
        return self.max_message_size is None or self._message_size + payload_length <= self.max_message_size

    def _check_frame_in_progress(self) -> None:
        """Apply the rules that need not wait for the rest of the frame."""
        header = self._parser.pending_header
        if header is None:
            return
        if not self._frame_started:
            self._start_frame(header.opcode, header.payload_length, header.rsv1)
        # Text is checked as it arrives (§8.1); compressed data is inflated as it arrives,
        # so a bomb is stopped at the limit before its frame is even complete.
        if header.opcode in _DATA_OPCODES and (self._message_opcode == Opcode.TEXT or self._compressed):
            new = self._parser.pending_payload(self._frame_seen)
            self._frame_seen += len(new)
            self._take_payload(new)

    # --- messages --------------------------------------------------------------

    def _reset_message(self) -> None:
        self._message_opcode = None
        self._message_size = 0
        self._fragments = 0
        self._data = bytearray()
        self._decoded = 0
        self._decoder = None
        self._compressed = False

    def _room(self) -> int | None:
        """How many more (inflated) bytes this message may grow by."""
        return None if self.max_message_size is None else self.max_message_size - len(self._data)

    def _take_payload(self, data: bytes) -> None:
        if self._compressed:
            data = self.deflate.inflate(data, self._room())  # type: ignore[union-attr]
        self._take_data(data)

    def _take_data(self, data: bytes) -> None:
        if not data:
            return  # e.g. a single-frame message seen mid-frame before its payload: it may end on the fast path
        if self._message_opcode == Opcode.TEXT:
            self._decode(data)  # checks §8.1 as the bytes arrive; the text is decoded once, at the end
        self._data += data

    def _decode(self, data: bytes, final: bool = False) -> str:
        """Decode the next bytes of a text message, failing at the first invalid byte (§8.1)."""
        if self._decoder is None:
            self._decoder = codecs.getincrementaldecoder("utf-8")()
        pending = self._decoder.getstate()[0]
        try:
            text = self._decoder.decode(data, final)
        except UnicodeDecodeError as e:
            raise _invalid_utf8(pending + data, e, self._decoded - len(pending)) from None
        self._decoded += len(data)
        # Python's decoder waits for a third byte after ED A0-BF, but every
        # completion is a UTF-16 surrogate (U+D800-U+DFFF), which UTF-8 forbids.
        pending = self._decoder.getstate()[0]
        if _starts_surrogate(pending):
            raise _utf8_error("a UTF-16 surrogate", self._decoded - len(pending))
        return text

    def _single_frame_message(self, opcode: Opcode | int, payload: bytes) -> TextMessage | BinaryMessage:
        """The common case, a whole message in one frame seen at once: decoded in
        one call. Same rules as the incremental path, which handles the rest."""
        if self._compressed:
            payload = self._inflate_whole(payload)
        self._message_opcode = None
        if opcode == _BINARY:
            return BinaryMessage(payload)
        try:
            return TextMessage(payload.decode("utf-8"))
        except UnicodeDecodeError as e:
            raise _invalid_utf8(payload, e, 0) from None

    def _inflate_whole(self, payload: bytes) -> bytes:
        """A compressed message in one frame: inflated, then the tail put back (RFC 7692 §7.2.2)."""
        deflate, limit = self.deflate, self.max_message_size
        assert deflate is not None
        data = deflate.inflate(payload, limit)
        rest = deflate.finish_message(None if limit is None else limit - len(data))
        self._compressed = False
        return data + rest if rest else data

    def _finish_message(self) -> TextMessage | BinaryMessage:
        if self._compressed:
            self._take_data(self.deflate.finish_message(self._room()))  # type: ignore[union-attr]
        if self._message_opcode == Opcode.TEXT:
            self._decode(b"", final=True)  # a character cut off at the end of the message
            message: TextMessage | BinaryMessage = TextMessage(self._data.decode("utf-8"))
        else:
            message = BinaryMessage(bytes(self._data))
        self._reset_message()
        return message

    # --- closing ---------------------------------------------------------------

    def _receive_close(self, payload: bytes) -> CloseReceived:
        """The peer's Close frame (§5.5.1, §7.1.5): echo it unless we started, then stop reading.

        A Close may come between the fragments of a message (it is a control
        frame, §5.4): the unfinished message is dropped, as nothing after a Close
        is processed (§1.4).

        An empty payload carries no code: the event says None and the close code
        is 1005 (§7.1.5). The echo is then also empty: §5.5.1 says a reply
        "typically echos the status code it received", and none was received;
        answering 1000 would claim a status the peer never stated. websockets and
        wsproto echo an empty payload too.
        """
        code, reason = parse_close(payload)
        self.close_code = 1005 if code is None else code
        self.close_reason = reason
        if not self.close_sent:
            self._outgoing += self._frame(Opcode.CLOSE, payload)
            self.close_sent = True
        self.state = State.CLOSED
        self._reset_message()
        return CloseReceived(code, reason)

    def _fail(self, error: ProtocolError) -> ConnectionFailed:
        """Fail the WebSocket Connection (§7.1.7): send the Close frame the error names
        (unless one was sent already), then stop processing. With `hold_failure`, the
        Close frame waits for `release_failure()`."""
        reason = _trim_reason(error.message)
        self._reset_message()
        if self.hold_failure and not self.close_sent:
            self.held_failure = error
            self._held_close = self._frame(Opcode.CLOSE, close_payload(int(error.close_code), reason))
            return ConnectionFailed(error)
        if not self.close_sent:
            self._outgoing += self._frame(Opcode.CLOSE, close_payload(int(error.close_code), reason))
            self.close_sent = True
        self.close_code = int(error.close_code)
        self.close_reason = reason
        self.state = State.CLOSED
        return ConnectionFailed(error)

    def release_failure(self) -> None:
        """Send the held failure's Close frame now (see `hold_failure`): it goes to
        `data_to_send()`, after whatever the application sent meanwhile, and the
        connection is CLOSED (§7.1.7)."""
        error = self.held_failure
        if error is None:
            return
        self.held_failure = None
        self._outgoing += self._held_close
        self.close_sent = True
        self.close_code = int(error.close_code)
        self.close_reason = _trim_reason(error.message)
        self.state = State.CLOSED

    # --- sending ---------------------------------------------------------------

    def send_text(self, text: str, *, fragment_size: int | None = None, compress: bool = True) -> bytes:
        """The frames of a text message (§5.6), split into `fragment_size`-byte fragments (§5.4).

        With permessage-deflate on, the message is compressed first (RFC 7692 §6.1)
        and the compressed bytes are what is split; ``compress=False`` sends it as
        is (RSV1 = 0), which a sender may always do.
        """
        if not isinstance(text, str):
            raise TypeError(f"send_text takes str, got {type(text).__name__}; use send_binary for bytes")
        return self._send_message(_TEXT, text.encode("utf-8"), fragment_size, compress)

    def send_binary(self, data: bytes, *, fragment_size: int | None = None, compress: bool = True) -> bytes:
        """The frames of a binary message (§5.6), split into `fragment_size`-byte fragments (§5.4);
        compressed first when permessage-deflate is on, as `send_text`."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"send_binary takes bytes, got {type(data).__name__}; use send_text for str")
        return self._send_message(_BINARY, bytes(data), fragment_size, compress)

    def send_pieces(self, message: str | bytes) -> list[bytes]:
        """The frame `send_text` (str) or `send_binary` (bytes) would make, as pieces to write
        in order: its header, then the payload itself rather than a copy of it behind the
        header, so sending a large message holds it once, not twice (§10.4). A client masks,
        and permessage-deflate compresses, into new bytes anyway: then it is one piece."""
        if isinstance(message, str):
            opcode, payload = _TEXT, message.encode("utf-8")
        else:
            opcode, payload = _BINARY, bytes(message)
        if self.role == "client" or self.deflate is not None:
            return [self._send_message(opcode, payload, None)]
        if self.state is not _OPEN:
            self._check_can_send("a data frame", allow_closing=False)
        return [encode_header(opcode, len(payload)), payload]

    def send_ping(self, payload: bytes = b"") -> bytes:
        """A Ping frame (§5.5.2). Allowed while CLOSING: it is not a data frame."""
        self._check_control_payload("ping", payload)
        self._check_can_send("a Ping", allow_closing=True)
        return self._frame(Opcode.PING, bytes(payload))

    def send_pong(self, payload: bytes = b"") -> bytes:
        """A Pong frame (§5.5.3), e.g. an unsolicited heartbeat. Pings are answered automatically."""
        self._check_control_payload("pong", payload)
        self._check_can_send("a Pong", allow_closing=True)
        return self._frame(Opcode.PONG, bytes(payload))

    def send_close(self, code: int | None = 1000, reason: str = "") -> bytes:
        """Start the closing handshake (§5.5.1, §7.1.2): OPEN -> CLOSING.

        `code` None sends an empty payload (the peer reports 1005). Codes the
        peer may not receive (1005, 1006, 1015, undefined ones) and reasons over
        123 bytes of UTF-8 raise ValueError. While a failure is held, closing
        sends the failure's Close frame instead (its code is the one that counts).
        """
        payload = close_payload(code, reason)  # raises ValueError citing §5.5 / §7.4
        self._check_can_send("a Close frame", allow_closing=False)
        if self.held_failure is not None:
            self.release_failure()
            return self.data_to_send()
        self.close_sent = True
        self.state = State.CLOSING
        return self._frame(Opcode.CLOSE, payload)

    def _send_message(self, opcode: Opcode, payload: bytes, fragment_size: int | None, compress: bool = True) -> bytes:
        if self.state is not _OPEN:
            self._check_can_send("a data frame", allow_closing=False)
        if fragment_size is not None and fragment_size < 1:
            raise ValueError(f"fragment_size must be at least 1 byte, got {fragment_size}")
        rsv1 = compress and self.deflate is not None
        if rsv1:
            payload = self.deflate.compress(payload)  # type: ignore[union-attr]
        if fragment_size is None or len(payload) <= fragment_size:
            return self._frame(opcode, payload, True, rsv1)
        # §5.4: the first fragment carries the opcode, the rest are CONTINUATION;
        # only the last has FIN set.
        chunks = [payload[i : i + fragment_size] for i in range(0, len(payload), fragment_size)]
        out = bytearray()
        for i, chunk in enumerate(chunks):
            # RFC 7692 §6.1: RSV1 on the first frame of a compressed message only
            out += self._frame(
                opcode if i == 0 else _CONTINUATION, chunk, fin=i == len(chunks) - 1, rsv1=rsv1 and i == 0
            )
        return bytes(out)

    def _frame(self, opcode: Opcode, payload: bytes, fin: bool = True, rsv1: bool = False) -> bytes:
        """Encode one frame; a client masks every frame it sends, a server none (§5.1, §5.3)."""
        if self.role == "server":
            return encode_header(opcode, len(payload), fin, rsv1) + payload
        return encode_fields(opcode, payload, fin, rsv1, mask_key=self._next_mask_key())

    def _next_mask_key(self) -> bytes:
        if self.mask_key is None:
            return os.urandom(4)  # §5.3: unpredictable, fresh for every frame
        if callable(self.mask_key):
            return self.mask_key()
        return self.mask_key

    def _check_can_send(self, what: str, *, allow_closing: bool) -> None:
        if self.state is _OPEN or (self.state is _CLOSING and allow_closing):
            return
        if self.state is _CLOSING:
            detail = f"cannot send {what} after sending a Close frame (RFC 6455 §5.5.1)"
        else:
            detail = f"cannot send {what}: the connection is closed"
        raise ConnectionClosed(self.close_code, self.close_reason, detail)

    @staticmethod
    def _check_control_payload(kind: str, payload: bytes) -> None:
        if not isinstance(payload, (bytes, bytearray, memoryview)):
            raise TypeError(f"a {kind} payload is bytes, got {type(payload).__name__}")
        if len(payload) > MAX_CONTROL_PAYLOAD:
            raise ValueError(
                f"a {kind} payload may be at most {MAX_CONTROL_PAYLOAD} bytes "
                f"(RFC 6455 §5.5: control frames), got {len(payload)}"
            )


def _starts_surrogate(data: bytes) -> bool:
    """ED A0-BF: the start of a UTF-16 surrogate (U+D800-U+DFFF), which UTF-8 forbids (§8.1)."""
    return len(data) >= 2 and data[0] == 0xED and 0xA0 <= data[1] <= 0xBF


def _invalid_utf8(data: bytes, error: UnicodeDecodeError, offset: int) -> InvalidUTF8:
    """The §8.1 failure for `error`, raised decoding `data`, which starts at byte `offset` of the
    message. A surrogate is named as such whether Python saw all of it at once ("invalid
    continuation byte") or only its start, so the reason is the same however the bytes arrived."""
    reason = "a UTF-16 surrogate" if _starts_surrogate(data[error.start : error.start + 2]) else error.reason
    return _utf8_error(reason, offset + error.start)


def _utf8_error(reason: str, at: int) -> InvalidUTF8:
    return InvalidUTF8(
        f"text is not valid UTF-8: {reason} at byte {at} of the message", rfc_section="8.1", field="payload"
    )


def _trim_reason(reason: str) -> str:
    """`reason` cut to the 123 bytes of UTF-8 a Close frame has room for, never inside a character."""
    data = reason.encode("utf-8")[:MAX_CLOSE_REASON]
    return data.decode("utf-8", errors="ignore")  # drops only a cut-off last character
