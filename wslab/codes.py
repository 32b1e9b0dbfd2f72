"""The numbers RFC 6455 gives names to: opcodes (§5.2, §11.8) and close codes (§7.4)."""

from __future__ import annotations

from enum import IntEnum


class Opcode(IntEnum):
    """The 4-bit opcode of a frame (RFC 6455 §5.2). 3-7 and 11-15 are reserved."""

    CONTINUATION = 0x0
    TEXT = 0x1
    BINARY = 0x2
    CLOSE = 0x8
    PING = 0x9
    PONG = 0xA

    @property
    def is_control(self) -> bool:
        """Control frames have the high opcode bit set (§5.5)."""
        return self >= 0x8

    @property
    def meaning(self) -> str:
        return _OPCODE_MEANINGS[self]


_OPCODE_MEANINGS = {
    Opcode.CONTINUATION: "continuation of a fragmented message",
    Opcode.TEXT: "text message (UTF-8)",
    Opcode.BINARY: "binary message",
    Opcode.CLOSE: "close (control)",
    Opcode.PING: "ping (control)",
    Opcode.PONG: "pong (control)",
}


class CloseCode(IntEnum):
    """Status codes of a Close frame (RFC 6455 §7.4.1) and two later ones (IANA registry)."""

    NORMAL_CLOSURE = 1000
    GOING_AWAY = 1001
    PROTOCOL_ERROR = 1002
    UNSUPPORTED_DATA = 1003
    NO_STATUS_RECEIVED = 1005
    ABNORMAL_CLOSURE = 1006
    INVALID_PAYLOAD_DATA = 1007
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009
    MANDATORY_EXTENSION = 1010
    INTERNAL_ERROR = 1011
    SERVICE_RESTART = 1012
    TRY_AGAIN_LATER = 1013
    BAD_GATEWAY = 1014
    TLS_HANDSHAKE = 1015

    @property
    def meaning(self) -> str:
        return _CLOSE_MEANINGS[self]


_CLOSE_MEANINGS = {
    CloseCode.NORMAL_CLOSURE: "normal closure: the purpose of the connection is fulfilled",
    CloseCode.GOING_AWAY: "going away: server shutting down or page navigated away",
    CloseCode.PROTOCOL_ERROR: "protocol error",
    CloseCode.UNSUPPORTED_DATA: "unsupported data: a type of data the endpoint cannot accept",
    CloseCode.NO_STATUS_RECEIVED: "no status received (never sent on the wire)",
    CloseCode.ABNORMAL_CLOSURE: "abnormal closure: connection lost without a Close frame (never sent)",
    CloseCode.INVALID_PAYLOAD_DATA: "invalid payload data, e.g. text that is not UTF-8",
    CloseCode.POLICY_VIOLATION: "policy violation",
    CloseCode.MESSAGE_TOO_BIG: "message too big to process",
    CloseCode.MANDATORY_EXTENSION: "client expected an extension the server did not negotiate",
    CloseCode.INTERNAL_ERROR: "internal server error",
    CloseCode.SERVICE_RESTART: "service restart (IANA registry)",
    CloseCode.TRY_AGAIN_LATER: "try again later (IANA registry)",
    CloseCode.BAD_GATEWAY: "bad gateway (IANA registry)",
    CloseCode.TLS_HANDSHAKE: "TLS handshake failed (never sent on the wire)",
}

# §7.4.1: "designated for use in applications expecting a status code to indicate
# that no status code was actually present" and the like: never in a Close frame.
NEVER_SENT = frozenset({1004, 1005, 1006, 1015})


def close_code_allowed(code: int) -> bool:
    """Whether `code` may appear in a Close frame (RFC 6455 §7.4.1, §7.4.2).

    1000-1003 and 1007-1014 are defined; 3000-3999 are registered with IANA
    and 4000-4999 are private use. Everything else is invalid on the wire.
    """
    if 1000 <= code <= 1014:
        return code not in NEVER_SENT
    return 3000 <= code <= 4999


def close_code_name(code: int) -> str:
    """A readable name for any close code, e.g. ``1009 MESSAGE_TOO_BIG``."""
    try:
        return f"{code} {CloseCode(code).name}"
    except ValueError:
        if 3000 <= code <= 3999:
            return f"{code} (registered for libraries and frameworks)"
        if 4000 <= code <= 4999:
            return f"{code} (private use)"
        return f"{code} (not a valid close code)"
