"""The reference solutions of every exercise: the one place they live.

Each function is what a student is asked to write (or, for a make-bytes
exercise, makes the bytes asked for), in the way a student can
write it: plain Python and the RFC's names; the functions use no help from the
rest of wslab (the checks compare them with wslab's own implementation, which
is written differently), the bytes makers use its encoders as the lessons do.
The capstone server (`notebooks/exercises/10_your_own_server`) plugs the
functions of lessons 02-05 into its I/O skeleton, with exactly the signatures
of ``CAPSTONE_API``: pure, never raising on what a peer sends.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import time

from wslab import frames, handshake
from wslab.frames import Frame, Header, Opcode
from wslab.handshake import Request
from wslab.masking import RFC_MASK_KEY

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 §1.3


# --- lesson 01 -----------------------------------------------------------------


def frame_overhead(size: int, masked: bool) -> int:
    """Bytes of frame header for a payload of `size` bytes (§5.2); +4 for a masking key."""
    if size <= 125:
        header = 2
    elif size <= 0xFFFF:
        header = 4
    else:
        header = 10
    return header + (4 if masked else 0)


# --- lesson 02 -----------------------------------------------------------------


def accept_key(key: str) -> str:
    """Sec-WebSocket-Accept: base64(SHA-1(key + GUID)) (§1.3, §4.2.2 item 5.4)."""
    digest = hashlib.sha1((key + GUID).encode("ascii")).digest()
    return base64.b64encode(digest).decode("ascii")


def validate_request(request: Request) -> tuple[int, str] | None:
    """None when the request meets §4.2.1, else (HTTP status, reason)."""
    if request.method != "GET":
        return 405, "the method must be GET (§4.2.1 item 1)"
    name, _, number = request.version.partition("/")
    major, _, minor = number.partition(".")
    if (
        name != "HTTP"
        or not (major.isdigit() and minor.isdigit())
        or (int(major), int(minor)) < (1, 1)
        or int(major) > 1
    ):
        return 505, "HTTP/1.1 or a later 1.x is needed (§4.2.1 item 1)"
    hosts = request.header_values("Host")
    if len(hosts) != 1 or not hosts[0]:
        return 400, "exactly one Host header (§4.2.1 item 2)"
    if not _has_token(request.header("Upgrade"), "websocket"):
        return 400, "Upgrade must contain websocket (§4.2.1 item 3)"
    if not _has_token(request.header("Connection"), "upgrade"):
        return 400, "Connection must contain Upgrade (§4.2.1 item 4)"
    keys = request.header_values("Sec-WebSocket-Key")
    if len(keys) != 1 or not _is_16_bytes_of_base64(keys[0]):
        return 400, "one Sec-WebSocket-Key, base64 of 16 bytes (§4.2.1 item 5)"
    versions = request.header_values("Sec-WebSocket-Version")
    if len(versions) != 1:
        return 400, "one Sec-WebSocket-Version header (§4.2.1 item 6)"
    if versions[0] != "13":
        return 426, "only version 13 exists (§4.2.1 item 6, §4.4)"
    return None


def request_without_upgrade_token() -> bytes:
    """A request whose only flaw is a Connection header without the Upgrade token (§4.2.1 item 4)."""
    request = handshake.build_request("example.com", "/chat")
    return handshake.replace_header(request, "Connection", "keep-alive")


def _has_token(value: str | None, token: str) -> bool:
    return value is not None and token in (t.strip().lower() for t in value.split(","))


def _is_16_bytes_of_base64(key: str) -> bool:
    try:
        return len(base64.b64decode(key, validate=True)) == 16
    except (binascii.Error, ValueError):
        return False


# --- lesson 03 -----------------------------------------------------------------


def parse_header(data: bytes) -> Header | None:
    """Read (not judge) the frame header at the start of `data` (§5.2); None while it is incomplete."""
    if len(data) < 2:
        return None
    b0, b1 = data[0], data[1]
    masked = bool(b1 & 0x80)
    length_field = b1 & 0x7F
    extra = {126: 2, 127: 8}.get(length_field, 0)
    size = 2 + extra + (4 if masked else 0)
    if len(data) < size:
        return None
    if length_field == 126:
        payload_length = int.from_bytes(data[2:4], "big")
    elif length_field == 127:
        payload_length = int.from_bytes(data[2:10], "big")
    else:
        payload_length = length_field
    mask_key = bytes(data[2 + extra : size]) if masked else None
    return Header(
        fin=bool(b0 & 0x80),
        rsv1=bool(b0 & 0x40),
        rsv2=bool(b0 & 0x20),
        rsv3=bool(b0 & 0x10),
        opcode=b0 & 0x0F,
        masked=masked,
        length_field=length_field,
        payload_length=payload_length,
        mask_key=mask_key,
        size=size,
    )


def encode_length(length: int) -> bytes:
    """The second header byte (MASK = 0) and the extended length, minimal encoding (§5.2)."""
    if length <= 125:
        return bytes([length])
    if length <= 0xFFFF:
        return bytes([126]) + length.to_bytes(2, "big")
    return bytes([127]) + length.to_bytes(8, "big")


def rsv2_frame() -> bytes:
    """A masked client frame with RSV2 set: its only flaw (§5.2)."""
    return frames.encode(Frame(Opcode.TEXT, b"hi", rsv2=True), mask_key=RFC_MASK_KEY)


def hello_in_two_fragments() -> bytes:
    """'Hello' as a server sends it in two fragments: TEXT 'Hel' FIN=0, CONTINUATION 'lo' FIN=1 (§5.4)."""
    return frames.encode(Frame(Opcode.TEXT, b"Hel", fin=False)) + frames.encode(Frame(Opcode.CONTINUATION, b"lo"))


def non_minimal_length() -> bytes:
    """5 bytes of payload announced in the 16-bit extended length (126): not the minimal encoding (§5.2)."""
    return bytes([0x82, 0x80 | 126]) + (5).to_bytes(2, "big") + RFC_MASK_KEY + unmask(bytes(5), RFC_MASK_KEY)


# --- lesson 04 -----------------------------------------------------------------


def unmask(payload: bytes, key: bytes) -> bytes:
    """payload[i] XOR key[i mod 4] (§5.3); the same function masks."""
    return bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def masked_ping_text() -> bytes:
    """The client frame carrying the text 'ping', masked with the key 01 02 03 04 (§5.2, §5.3)."""
    key = b"\x01\x02\x03\x04"
    return bytes([0x81, 0x80 | 4]) + key + unmask(b"ping", key)


# --- lesson 05 -----------------------------------------------------------------


def check_header(header: Header, max_size: int) -> int | None:
    """The close code a server fails the connection with for this header, or None (§5.1, §5.2, §5.5, §10.4)."""
    if header.rsv1 or header.rsv2 or header.rsv3:
        return 1002  # no extension negotiated (§5.2)
    if header.opcode not in (0x0, 0x1, 0x2, 0x8, 0x9, 0xA):
        return 1002  # reserved opcode (§5.2)
    if header.opcode >= 0x8 and (not header.fin or header.payload_length > 125):
        return 1002  # control frames: not fragmented, at most 125 bytes (§5.5)
    if not header.masked:
        return 1002  # a client MUST mask (§5.1)
    if header.length_field == 126 and header.payload_length <= 125:
        return 1002  # not the minimal encoding (§5.2)
    if header.length_field == 127 and (header.payload_length <= 0xFFFF or header.payload_length >> 63):
        return 1002
    if header.payload_length > max_size:
        return 1009  # too big for this server (§7.4.1, §10.4)
    return None


def reassemble(message: list[Frame], frame: Frame) -> Frame | int | None:
    """Add a data frame to the message in progress (§5.4): the whole message at FIN, 1002 out of order."""
    if frame.opcode == Opcode.CONTINUATION and not message:
        return 1002  # nothing to continue
    if frame.opcode != Opcode.CONTINUATION and message:
        return 1002  # a new message before the last one ended
    message.append(frame)
    if not frame.fin:
        return None
    whole = Frame(message[0].opcode, b"".join(f.payload for f in message))
    message.clear()
    return whole


def first_invalid_utf8(data: bytes, final: bool = True) -> int | None:
    """Index of the first byte that cannot be part of valid UTF-8 (RFC 3629 §4), or None (§8.1).

    With ``final=False`` a sequence cut short by the end of `data` may still be completed.
    """
    i = 0
    while i < len(data):
        start, b = i, data[i]
        if b < 0x80:
            i += 1
            continue
        if 0xC2 <= b <= 0xDF:
            need, low, high = 1, 0x80, 0xBF
        elif 0xE0 <= b <= 0xEF:
            need = 2
            low, high = {0xE0: (0xA0, 0xBF), 0xED: (0x80, 0x9F)}.get(b, (0x80, 0xBF))  # no overlong, no surrogate
        elif 0xF0 <= b <= 0xF4:
            need = 3
            low, high = {0xF0: (0x90, 0xBF), 0xF4: (0x80, 0x8F)}.get(b, (0x80, 0xBF))  # no overlong, <= U+10FFFF
        else:
            return start  # 80-C1 and F5-FF never start a character
        for n in range(need):
            i += 1
            if i == len(data):
                return None if not final else start
            lo, hi = (low, high) if n == 0 else (0x80, 0xBF)
            if not lo <= data[i] <= hi:
                return start
        i += 1
    return None


def close_reply(payload: bytes) -> bytes:
    """The payload of the Close frame a server sends back (§5.5.1, §7.4)."""
    if not payload:
        return b""
    if len(payload) == 1:
        return (1002).to_bytes(2, "big")
    code = int.from_bytes(payload[:2], "big")
    allowed = (1000 <= code <= 1014 and code not in (1004, 1005, 1006)) or 3000 <= code <= 4999
    if not allowed:
        return (1002).to_bytes(2, "big")
    try:
        payload[2:].decode("utf-8")
    except UnicodeDecodeError:
        return (1007).to_bytes(2, "big")
    return payload[:2]


def long_ping() -> bytes:
    """A masked ping with 126 bytes of payload: control frames carry at most 125 (§5.5)."""
    return frames.encode(Frame(Opcode.PING, b"x" * 126), mask_key=RFC_MASK_KEY)


# --- lesson 06 -----------------------------------------------------------------


async def upper_echo(ws):
    """Echo every message: text upper-cased, binary unchanged."""
    async for message in ws:
        await ws.send(message.upper() if isinstance(message, str) else message)


async def round_trip(url: str) -> float:
    """Connect, ping once, close; the round trip in seconds."""
    from wslab.net import connect

    ws = await connect(url)
    start = time.perf_counter()
    await ws.ping(b"rtt")
    elapsed = time.perf_counter() - start
    await ws.close()
    return elapsed


async def counting_echo(ws):
    """Answer each message with how many messages this connection has sent so far."""
    count = 0
    async for _ in ws:
        count += 1
        await ws.send(str(count))


# --- lesson 07 -----------------------------------------------------------------


def origin_allowed(origin: str | None, allowed: list[str]) -> bool:
    """A server's Origin check (§10.2): no Origin (not a browser) passes; else it must be listed."""
    if origin is None or "*" in allowed:
        return True
    return origin.lower() in (a.lower() for a in allowed)


def foreign_origin_request() -> bytes:
    """A valid request from a page on another site: refused with 403 by an allow-list (§10.2)."""
    return handshake.build_request("chat.example", "/", origin="https://evil.example")


# --- lesson 09 -----------------------------------------------------------------


def event_packet(event: str, args: list, ack_id: int | None = None) -> str:
    """An EVENT as it travels: Engine.IO "4", Socket.IO "2", the ack id, then the JSON array."""
    data = json.dumps([event, *args], separators=(",", ":"), ensure_ascii=False)
    return "42" + ("" if ack_id is None else str(ack_id)) + data


def on_connection(socket):
    """Rooms: "join" puts the socket in a room; "say" sends to the room's other members; "sum" answers."""
    socket.on("join", lambda room: socket.join(room))
    socket.on("say", lambda room, text: socket.to(room).emit("said", text))
    socket.on("sum", lambda a, b: a + b)


__all__ = [
    "frame_overhead",
    "accept_key",
    "validate_request",
    "parse_header",
    "encode_length",
    "unmask",
    "request_without_upgrade_token",
    "rsv2_frame",
    "hello_in_two_fragments",
    "non_minimal_length",
    "masked_ping_text",
    "long_ping",
    "foreign_origin_request",
    "check_header",
    "reassemble",
    "first_invalid_utf8",
    "close_reply",
    "upper_echo",
    "round_trip",
    "counting_echo",
    "origin_allowed",
    "event_packet",
    "on_connection",
]
