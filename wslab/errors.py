"""The errors wslab raises: one family, each saying what was wrong, which RFC 6455
rule it breaks, and what the peer does about it (an HTTP status or a close code)."""

from __future__ import annotations

from http import HTTPStatus

from wslab.codes import CloseCode, close_code_name


class WslabError(Exception):
    """Base of every error wslab raises on purpose."""


class HandshakeError(WslabError):
    """The opening handshake is invalid (RFC 6455 §4).

    `status` is the HTTP status a server answers with; `headers` are extra
    response header lines it must add (e.g. ``Sec-WebSocket-Version: 13`` with 426).
    `header` names the header field the error is about, as the request or
    response spells it (e.g. "Sec-WebSocket-Key"), or None when it is about the
    request or status line, or the head as a whole. `check` is the number of the
    check in §4.1's list of what a client verifies in the response (1-6), or None.
    """

    def __init__(
        self,
        message: str,
        *,
        rfc_section: str,
        status: int | None = 400,
        headers: tuple[tuple[str, str], ...] = (),
        header: str | None = None,
        check: int | None = None,
        rfc: str = "RFC 6455",
    ) -> None:
        self.message = message
        self.rfc_section = rfc_section
        self.rfc = rfc  # "RFC 7692" for the rules of permessage-deflate
        self.status = status
        self.headers = headers
        self.header = header
        self.check = check
        super().__init__(str(self))

    def __str__(self) -> str:
        phrase = HTTPStatus(self.status or 400).phrase
        return f"{self.message} ({self.rfc} §{self.rfc_section}; the server answers HTTP {self.status} {phrase})"


class InvalidResponse(HandshakeError):
    """The server's response breaks §4.1: the client MUST fail the WebSocket connection.

    There is no HTTP status to answer (the client is the one reading), so
    ``status`` is None.
    """

    def __init__(
        self,
        message: str,
        *,
        rfc_section: str = "4.1",
        rfc: str = "RFC 6455",
        header: str | None = None,
        check: int | None = None,
    ) -> None:
        super().__init__(message, rfc_section=rfc_section, status=None, header=header, check=check, rfc=rfc)

    def __str__(self) -> str:
        return f"{self.message} ({self.rfc} §{self.rfc_section}; the client fails the WebSocket connection)"


class NegotiationError(WslabError):
    """An extension offer or answer that breaks RFC 7692's negotiation rules (§5, §7.1).

    A server that finds one in an offer declines that offer (the handshake goes
    on, without the extension, or with a later offer); a client that finds one
    in the server's answer fails the WebSocket connection (§5.1).
    `parameter` names the extension parameter at fault, or None.
    """

    def __init__(self, message: str, *, rfc_section: str, parameter: str | None = None) -> None:
        self.message = message
        self.rfc_section = rfc_section
        self.parameter = parameter
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.message} (RFC 7692 §{self.rfc_section})"


class ProtocolError(WslabError):
    """A frame or message breaks RFC 6455 after the handshake.

    `close_code` is the code the endpoint that detects it sends before it
    closes the connection (§7.1.7 "Fail the WebSocket Connection"). `field`
    names the header field the error is about, as `wslab.frames.Field.name`
    spells it ("RSV1", "opcode", "MASK", "payload length", ...), or None.
    """

    default_close_code = CloseCode.PROTOCOL_ERROR

    def __init__(
        self,
        message: str,
        *,
        rfc_section: str,
        close_code: int | None = None,
        field: str | None = None,
        rfc: str = "RFC 6455",
    ) -> None:
        self.message = message
        self.rfc_section = rfc_section
        self.close_code = CloseCode(close_code or self.default_close_code)
        self.field = field
        self.rfc = rfc  # "RFC 7692" for the rules of permessage-deflate
        super().__init__(str(self))

    def __str__(self) -> str:
        return (
            f"{self.message} ({self.rfc} §{self.rfc_section}; "
            f"the endpoint closes with {close_code_name(self.close_code)})"
        )


class InvalidUTF8(ProtocolError):
    """Text that is not valid UTF-8 (§8.1): close code 1007."""

    default_close_code = CloseCode.INVALID_PAYLOAD_DATA


class PayloadTooBig(ProtocolError):
    """A frame or message larger than the endpoint accepts (§7.4.1): close code 1009."""

    default_close_code = CloseCode.MESSAGE_TOO_BIG


class IncompleteFrame(WslabError):
    """Not enough bytes yet for a whole frame. `needed` is how many more, when known.

    While the header is incomplete the payload length is not known yet: then
    `exact` is False and `needed` is only what completes the header (a minimum).
    """

    def __init__(self, needed: int | None = None, *, exact: bool = True) -> None:
        self.needed = needed
        self.exact = exact
        if needed is None:
            message = "incomplete frame: more bytes needed before it can be decoded"
        elif exact:
            message = f"incomplete frame: {needed} more byte(s) needed before it can be decoded"
        else:
            message = (
                f"incomplete frame: at least {needed} more byte(s) needed; the header is not "
                f"complete yet, so the payload length is not known"
            )
        super().__init__(message)


class ConnectionClosed(WslabError):
    """The connection is closed (or closing) and cannot send or receive that."""

    def __init__(self, code: int | None = None, reason: str = "", detail: str = "") -> None:
        self.code = code
        self.reason = reason
        what = f"connection closed with {close_code_name(code)}" if code else "connection closed"
        if reason:
            what += f" ({reason!r})"
        if detail:
            what += f": {detail}"
        super().__init__(what)
