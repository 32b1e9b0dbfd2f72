"""Socket.IO v5 packets over Engine.IO v4, encoded exactly as the JS library writes them.

The Socket.IO protocol (socket.io-protocol, version 5) encodes a packet as::

    <packet type>[<# of binary attachments>-][<namespace>,][<ack id>][JSON payload]

where the namespace is written only when it is not the main namespace ``/``.
Each Socket.IO packet travels as one Engine.IO v4 ``message`` packet, whose type
is ``4``: so ``2["foo"]`` goes on the wire as ``42["foo"]``.

The JSON is the one JavaScript's ``JSON.stringify`` writes: no spaces, non-ASCII
characters written as themselves (not ``\\uXXXX``), numbers in JavaScript's format
(``1.0`` is ``1``, ``1e-7`` is ``1e-7``, ``NaN`` is ``null``).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum
from typing import Any

ENGINEIO_MESSAGE = "4"
"""Engine.IO v4 packet type `message`: the prefix of every Socket.IO packet on the wire."""

ENGINEIO_PING = "2"
ENGINEIO_PONG = "3"
"""Engine.IO v4 heartbeat: the server sends ``2``, the client answers ``3``.
These are ordinary text frames, not RFC 6455 ping/pong control frames (opcodes 0x9/0xA)."""


class PacketType(IntEnum):
    """Socket.IO v5 packet types (socket.io-protocol, "Packet types")."""

    CONNECT = 0
    DISCONNECT = 1
    EVENT = 2
    ACK = 3
    CONNECT_ERROR = 4
    BINARY_EVENT = 5
    BINARY_ACK = 6


@dataclass(frozen=True)
class Packet:
    """One Socket.IO packet: type, namespace, optional payload, optional ack id."""

    type: PacketType
    data: Any = None
    namespace: str = "/"
    id: int | None = None
    attachments: int = 0

    def __repr__(self) -> str:
        return f"Packet({self.type.name}, {encode_packet(self)!r})"


# --- JSON exactly as JavaScript's JSON.stringify writes it -------------------------

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def js_number(x: int | float) -> str:
    """A number as JavaScript's ``Number.prototype.toString`` writes it (ECMA-262 Number::toString).

    Python and JavaScript both print the shortest digits that round-trip; they
    differ in where they switch to exponent form and in integral floats (``1.0``).
    """
    if isinstance(x, bool):
        raise TypeError("booleans are not numbers here")
    if isinstance(x, int):
        if abs(x) <= 2**53:
            return str(x)
        try:
            x = float(x)  # a JavaScript number is a double: 2**53 + 1 is written 9007199254740992
        except OverflowError:
            return "null"  # beyond the largest double: Infinity, which JSON.stringify writes as null
    if math.isnan(x) or math.isinf(x):
        return "null"  # JSON.stringify(NaN) === "null"
    if x == 0:
        return "0"  # also -0: JSON.stringify(-0) === "0"
    sign = "-" if x < 0 else ""
    decimal = Decimal(repr(abs(x))).as_tuple()
    digits_tuple, exponent = decimal.digits, int(decimal.exponent)  # finite here: never "n", "N" or "F"
    digits = "".join(map(str, digits_tuple)).rstrip("0") or "0"
    k = len(digits)
    n = len(digits_tuple) + exponent  # value = 0.d1d2...dk * 10**n
    if k <= n <= 21:
        body = digits + "0" * (n - k)
    elif 0 < n <= 21:
        body = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        body = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
        body = f"{mantissa}e{'+' if e > 0 else '-'}{abs(e)}"
    return sign + body


def js_string(s: str) -> str:
    """A string as JSON.stringify writes it: only ``"``, ``\\`` and control characters escaped.

    Well-formed JSON.stringify (ES2019) escapes lone surrogates as ``\\udXXX``.
    """
    text = json.dumps(s, ensure_ascii=False)
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def js_stringify(value: Any) -> str:
    """``JSON.stringify(value)`` for JSON-like Python values (None, bool, numbers, str, list, tuple, dict)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return js_number(value)
    if isinstance(value, str):
        return js_string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(js_stringify(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{js_string(_js_key(k))}:{js_stringify(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError(
            "bytes cannot be written as JSON: a packet with binary data is a BINARY_EVENT "
            "(type 5) whose bytes travel as attachments (see encode_binary)"
        )
    if callable(value):
        raise TypeError(
            "a function cannot travel in a packet: pass an acknowledgement as callback=..., not as the last argument"
        )
    raise TypeError(f"{type(value).__name__} is not JSON-serializable, so it cannot travel in a packet")


def _js_key(key: object) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, (int, float)) and not isinstance(key, bool):
        return js_number(key)  # JavaScript object keys are strings: {1: "a"} -> {"1":"a"}
    raise TypeError(f"object keys must be strings or numbers, not {type(key).__name__}")


# --- Socket.IO packet encoding ---------------------------------------------------


def encode_packet(packet: Packet) -> str:
    """The Socket.IO v5 encoding of one packet (without the Engine.IO ``4`` prefix).

    >>> encode_packet(Packet(PacketType.EVENT, ["foo"], id=12))
    '212["foo"]'
    """
    text = str(int(packet.type))
    if packet.type in (PacketType.BINARY_EVENT, PacketType.BINARY_ACK):
        text += f"{packet.attachments}-"
    if packet.namespace != "/":
        text += packet.namespace + ","
    if packet.id is not None:
        text += str(packet.id)
    if packet.data is not None:
        text += js_stringify(packet.data)
    return text


def decode_packet(text: str) -> Packet:
    """Parse one Socket.IO v5 packet (without the Engine.IO ``4`` prefix).

    Raises ValueError, naming the rule, when the text is not a valid packet.
    """
    if not text or not text[0].isdigit() or int(text[0]) > 6:
        raise ValueError(f"unknown Socket.IO packet type in {text!r} (types are 0..6)")
    packet_type = PacketType(int(text[0]))
    i = 1
    attachments = 0
    if packet_type in (PacketType.BINARY_EVENT, PacketType.BINARY_ACK):
        dash = text.find("-", i)
        if dash < 0 or not text[i:dash].isdigit():
            raise ValueError(f"binary packet {text!r} lacks '<# of attachments>-'")
        attachments, i = int(text[i:dash]), dash + 1
    namespace = "/"
    if text.startswith("/", i):
        comma = text.find(",", i)
        end = comma if comma >= 0 else len(text)
        namespace, i = text[i:end], end + 1
    start = i
    while i < len(text) and text[i].isdigit():
        i += 1
    ack_id = int(text[start:i]) if i > start else None
    data = json.loads(text[i:], parse_constant=_not_json) if i < len(text) else None
    _check_payload(packet_type, data, text)
    return Packet(packet_type, data, namespace, ack_id, attachments)


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not JSON (RFC 8259); JavaScript's JSON.parse refuses it")


def _check_payload(packet_type: PacketType, data: Any, text: str) -> None:
    """Payload rules of socket.io-protocol v5 ("Packet types")."""
    if packet_type in (PacketType.EVENT, PacketType.BINARY_EVENT):
        if not isinstance(data, list) or not data or not isinstance(data[0], str):
            raise ValueError(f"EVENT payload MUST be a non-empty array starting with the event name: {text!r}")
    elif packet_type in (PacketType.ACK, PacketType.BINARY_ACK):
        if not isinstance(data, list):
            raise ValueError(f"ACK payload MUST be an array (possibly empty): {text!r}")
    elif packet_type == PacketType.CONNECT_ERROR and not isinstance(data, dict):
        raise ValueError(f"CONNECT_ERROR payload MUST be an object: {text!r}")


# --- binary attachments (socket.io-parser's deconstructPacket / reconstructPacket) -----------


def deconstruct(data: Any, buffers: list[bytes]) -> Any:
    """``data`` with every bytes value replaced by ``{"_placeholder":true,"num":N}``; the bytes go to ``buffers``."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        buffers.append(bytes(data))
        return {"_placeholder": True, "num": len(buffers) - 1}
    if isinstance(data, (list, tuple)):
        return [deconstruct(item, buffers) for item in data]
    if isinstance(data, dict):
        return {key: deconstruct(value, buffers) for key, value in data.items()}
    return data


def reconstruct(data: Any, buffers: list[bytes]) -> Any:
    """The other way: each placeholder replaced by its attachment (a bad ``num`` raises ValueError)."""
    if isinstance(data, dict):
        if (
            data.get("_placeholder") is True
            and isinstance(data.get("num"), int)
            and not isinstance(data.get("num"), bool)
        ):
            if not 0 <= data["num"] < len(buffers):
                raise ValueError(f"placeholder {data['num']} but the packet has {len(buffers)} attachment(s)")
            return buffers[data["num"]]
        return {key: reconstruct(value, buffers) for key, value in data.items()}
    if isinstance(data, list):
        return [reconstruct(item, buffers) for item in data]
    return data


def has_binary(data: Any) -> bool:
    if isinstance(data, (bytes, bytearray, memoryview)):
        return True
    if isinstance(data, (list, tuple)):
        return any(has_binary(item) for item in data)
    if isinstance(data, dict):
        return any(has_binary(value) for value in data.values())
    return False


def encode_binary(packet: Packet) -> tuple[str, list[bytes]]:
    """The packet on the wire with its attachments: an EVENT or ACK whose data holds bytes becomes a
    BINARY_EVENT / BINARY_ACK (``451-["up",{"_placeholder":true,"num":0}]``) followed by the bytes, each
    its own Engine.IO message (a binary WebSocket frame, or ``b`` + base64 when polling)."""
    if packet.type in (PacketType.EVENT, PacketType.ACK) and has_binary(packet.data):
        buffers: list[bytes] = []
        data = deconstruct(packet.data, buffers)
        binary_type = PacketType.BINARY_EVENT if packet.type is PacketType.EVENT else PacketType.BINARY_ACK
        return to_wire(Packet(binary_type, data, packet.namespace, packet.id, len(buffers))), buffers
    return to_wire(packet), []


def to_wire(packet: Packet) -> str:
    """The packet as it travels: an Engine.IO ``message`` (``4``) carrying the Socket.IO encoding."""
    return ENGINEIO_MESSAGE + encode_packet(packet)


def from_wire(text: str) -> Packet:
    """Parse an Engine.IO ``message`` packet carrying one Socket.IO packet."""
    if not text.startswith(ENGINEIO_MESSAGE):
        raise ValueError(
            f"{text!r} is not an Engine.IO message packet (type 4); "
            "2 and 3 are the Engine.IO heartbeat, 0 the Engine.IO open packet"
        )
    return decode_packet(text[1:])


def engineio_open(
    sid: str, *, ping_interval: int = 25000, ping_timeout: int = 20000, max_payload: int = 1000000
) -> str:
    """The Engine.IO v4 `open` packet of a WebSocket-only session (no upgrades to offer)."""
    handshake = {
        "sid": sid,
        "upgrades": [],
        "pingInterval": ping_interval,
        "pingTimeout": ping_timeout,
        "maxPayload": max_payload,
    }
    return "0" + js_stringify(handshake)
