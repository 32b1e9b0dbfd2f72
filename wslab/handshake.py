"""The opening handshake of RFC 6455 (§1.3, §4): an HTTP/1.1 Upgrade exchange.

The client sends a GET request with ``Upgrade: websocket``; the server answers
``101 Switching Protocols``; from then on the same TCP connection carries
WebSocket frames. Everything here is sans-I/O: bytes in, objects or bytes out.

Client side: `new_key`, `build_request`, `validate_response` (§4.1).
Server side: `split_head`, `parse_request` (every rule of §4.2.1),
`check_origin` (§10.2), `build_response` (§4.2.2), `build_rejection`, and
`answer`, which does all of a server's part in one call.
Both sides: `accept_key` and `accept_steps` (§1.3, §4.2.2 item 5.4).

What the key is for (and what it is not). ``Sec-WebSocket-Key`` is a random
nonce; ``Sec-WebSocket-Accept`` is SHA-1 of it plus a fixed GUID. Anyone can
compute it. It proves that the server read a WebSocket handshake and answered
it as a WebSocket server (§1.3: so that a plain HTTP server, or a cache, cannot
be talked into "accepting" a connection it does not understand; §10.3). It is
not authentication and not encryption: the data that follows is as readable as
the handshake. Use ``wss://`` (TLS) for secrecy and your own check (a cookie, a
token) for who is connecting.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import NoReturn
from urllib.parse import urlsplit

from wslab.errors import HandshakeError, InvalidResponse

__all__ = [
    "GUID",
    "MAX_HEAD",
    "WEBSOCKET_VERSION",
    "new_key",
    "accept_key",
    "accept_steps",
    "AcceptSteps",
    "Request",
    "Response",
    "InvalidResponse",
    "build_request",
    "split_head",
    "parse_request",
    "check_origin",
    "build_response",
    "build_rejection",
    "validate_response",
    "parse_response",
    "answer",
    "ServerAnswer",
    "explain",
    "header_meaning",
    "check_request",
    "replace_header",
    "parse_http_request",
    "WebSocketURI",
    "parse_uri",
    "Extension",
    "parse_extensions",
    "build_extensions",
    "check_subprotocols",
    "select_subprotocol",
    "choose_subprotocol",
    "RFC_KEY",
    "RFC_ACCEPT",
]

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # §1.3: fixed by the RFC, the same for everyone
WEBSOCKET_VERSION = "13"  # §4.1 item 9, §4.4: the only version RFC 6455 defines

#: The example ``Sec-WebSocket-Key`` of §1.3 and the ``Sec-WebSocket-Accept`` it yields.
#: Lessons, pictures, tests and benches use this one fixed key so their bytes are the
#: same every run (a real client draws a fresh random key, `new_key`).
RFC_KEY = "dGhlIHNhbXBsZSBub25jZQ=="
RFC_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

# A request head (request line + header lines + blank line) longer than this is
# refused with 431 Request Header Fields Too Large (RFC 6585 §5), so a peer that
# never sends the blank line cannot make us buffer without bound. 16 KiB is far
# more than any browser's WebSocket request (a few hundred bytes plus cookies).
MAX_HEAD = 16 * 1024

_CRLF = "\r\n"
_END_OF_HEAD = b"\r\n\r\n"
# RFC 7230 §3.2.6: characters allowed in a token (header names, methods, list items)
# Control bytes may not appear in a head line; horizontal tab is allowed (RFC 7230 §3.2)
_CONTROL_CHARACTERS = frozenset(chr(c) for c in [*range(0x20), 0x7F]) - {"\t"}
_TCHAR = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


# --- the accept key (§1.3, §4.2.2) -------------------------------------------------


def new_key() -> str:
    """A fresh ``Sec-WebSocket-Key``: 16 random bytes, base64-encoded (§4.1 item 7).

    The RFC asks for a nonce "randomly selected" for each connection. Lessons
    use the RFC's fixed example key instead so their outputs never change.
    """
    return base64.b64encode(os.urandom(16)).decode("ascii")


@dataclass(frozen=True)
class AcceptSteps:
    """Every intermediate value of `accept_key` (§1.3)."""

    key: str  # Sec-WebSocket-Key as the client sent it (surrounding spaces trimmed)
    concatenated: str  # key + GUID
    sha1: bytes  # SHA-1 of the concatenation (20 bytes)
    accept: str  # base64 of those 20 bytes: Sec-WebSocket-Accept

    @property
    def sha1_hex(self) -> str:
        return self.sha1.hex()

    def __str__(self) -> str:
        return "\n".join(
            [
                f"1. Sec-WebSocket-Key          {self.key}",
                f"2. + GUID                     {self.concatenated}",
                f"3. SHA-1 (20 bytes, hex)      {self.sha1_hex}",
                f"4. base64 of the 20 bytes     {self.accept}   <- Sec-WebSocket-Accept",
            ]
        )


def accept_steps(key: str) -> AcceptSteps:
    """Compute ``Sec-WebSocket-Accept`` step by step (§1.3, §4.2.2 item 5.4).

    The key is used as the text the client sent: it is *not* base64-decoded first.
    """
    key = key.strip()
    concatenated = key + GUID
    digest = hashlib.sha1(concatenated.encode("ascii")).digest()
    return AcceptSteps(key, concatenated, digest, base64.b64encode(digest).decode("ascii"))


def accept_key(key: str) -> str:
    """``Sec-WebSocket-Accept`` for a ``Sec-WebSocket-Key``: base64(SHA-1(key + GUID)) (§1.3)."""
    return accept_steps(key).accept


# --- URIs (§3) -----------------------------------------------------------------


@dataclass(frozen=True)
class WebSocketURI:
    """A ``ws://`` or ``wss://`` URI taken apart as §3 does: host, port, /resource name/."""

    secure: bool
    host: str
    port: int
    resource_name: str  # the path ("/" if empty) and the query, as the request line carries it

    @property
    def host_header(self) -> str:
        """The Host header for it (§4.1 item 4): the port only when it is not the scheme's default."""
        default = 443 if self.secure else 80
        return self.host if self.port == default else f"{self.host}:{self.port}"


def parse_uri(uri: str) -> WebSocketURI:
    """Take apart a WebSocket URI (§3); ValueError says what is wrong with it.

    ``ws`` defaults to port 80, ``wss`` to 443; a fragment MUST NOT be used.
    """
    parts = urlsplit(uri)
    if parts.scheme not in ("ws", "wss"):
        raise ValueError(f"{uri!r}: a WebSocket URI starts with ws:// or wss:// (RFC 6455 §3)")
    if parts.fragment:
        raise ValueError(f"{uri!r}: fragment identifiers MUST NOT be used in WebSocket URIs (RFC 6455 §3)")
    if not parts.hostname:
        raise ValueError(f"{uri!r}: a WebSocket URI names a host (RFC 6455 §3)")
    secure = parts.scheme == "wss"
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return WebSocketURI(secure, parts.hostname, parts.port or (443 if secure else 80), path)


# --- heads: parsed requests and responses ---------------------------------------


class _Head:
    headers: list[tuple[str, str]]

    def header(self, name: str) -> str | None:
        """The value of a header field, names compared case-insensitively (RFC 7230 §3.2).

        A field sent more than once gives its values joined with ", " (RFC 7230 §3.2.2).
        """
        values = self.header_values(name)
        return ", ".join(values) if values else None

    def header_values(self, name: str) -> list[str]:
        """Every value of a header field, in the order they arrived."""
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]

    def _head_lines(self) -> list[str]:
        return [f"{name}: {value}" for name, value in self.headers]


@dataclass
class Request(_Head):
    """A client's opening handshake as the server read it (§4.1, §4.2.1).

    ``str(request)`` shows the head as it reads on the wire (each line ends
    with CR LF there). ``path`` is the /resource name/ (§3): path and query.
    """

    method: str
    path: str
    version: str
    headers: list[tuple[str, str]] = field(default_factory=list)

    @property
    def host(self) -> str | None:
        return self.header("Host")

    @property
    def key(self) -> str | None:
        value = self.header("Sec-WebSocket-Key")
        return None if value is None else value.strip()

    @property
    def origin(self) -> str | None:
        return self.header("Origin")

    @property
    def subprotocols(self) -> list[str]:
        """The subprotocols the client offered, in its order of preference (§4.1 item 10)."""
        return _split_list(self.header("Sec-WebSocket-Protocol"))

    @property
    def extensions(self) -> list[Extension]:
        """The extensions the client offered, in its order of preference (§4.1 item 11, §9.1).

        The field may be sent several times: the lists are joined (§11.3.2).
        Raises HandshakeError (400) if the value breaks the grammar of §9.1.
        """
        value = self.header("Sec-WebSocket-Extensions")
        return [] if value is None else parse_extensions(value)

    def __str__(self) -> str:
        return "\n".join([f"{self.method} {self.path} {self.version}", *self._head_lines()])


@dataclass
class Response(_Head):
    """A server's answer to the opening handshake, as the client read it (§4.1, §4.2.2)."""

    status: int
    reason: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    version: str = "HTTP/1.1"

    @property
    def accept(self) -> str | None:
        value = self.header("Sec-WebSocket-Accept")
        return None if value is None else value.strip()

    @property
    def subprotocol(self) -> str | None:
        value = self.header("Sec-WebSocket-Protocol")
        return None if value is None else value.strip()

    @property
    def extensions(self) -> list[Extension]:
        """The extensions the server accepted (§4.2.2 /extensions/); InvalidResponse if malformed."""
        value = self.header("Sec-WebSocket-Extensions")
        return [] if value is None else parse_extensions(value, side="response")

    def __str__(self) -> str:
        return "\n".join([f"{self.version} {self.status} {self.reason}", *self._head_lines()])


def explain(head: Request | Response) -> str:
    """The head line by line, each header with what it means in the handshake."""
    lines = []
    first, *header_lines = str(head).split("\n")
    lines.append(f"{first:<50} {_FIRST_LINE_MEANING[type(head)]}")
    for (name, _), text in zip(head.headers, header_lines, strict=False):
        meaning = header_meaning(name)
        lines.append(f"{text:<50} {meaning}")
    return "\n".join(lines)


def header_meaning(name: str) -> str:
    """What a header means in the opening handshake, with the RFC rule that names it."""
    return _HEADER_MEANINGS.get(name.lower(), "not part of the WebSocket handshake")


_FIRST_LINE_MEANING = {
    Request: "an HTTP/1.1 GET for the resource (§4.1 items 2-3)",
    Response: "101: the server switches this connection to WebSocket (§4.2.2)",
}
_HEADER_MEANINGS = {
    "host": "which server the client means (§4.1 item 4)",
    "upgrade": "the protocol to switch to: websocket (§4.1 item 5, §4.2.2)",
    "connection": "'Upgrade' makes the Upgrade header count (§4.1 item 6, RFC 7230 §6.7)",
    "sec-websocket-key": "random nonce, base64 of 16 bytes (§4.1 item 7)",
    "sec-websocket-version": "protocol version; RFC 6455 is 13 (§4.1 item 9)",
    "sec-websocket-accept": "base64(SHA-1(key + GUID)): proof the server understood (§4.2.2)",
    "origin": "the web page's origin, sent by browsers (§4.1 item 8, §10.2)",
    "sec-websocket-protocol": "subprotocols offered / the one chosen (§4.1 item 10, §4.2.2)",
    "sec-websocket-extensions": "extensions offered / accepted (§4.1 item 11, §9)",
}


# --- building and splitting -------------------------------------------------------


def build_request(
    host: str,
    path: str = "/",
    *,
    origin: str | None = None,
    subprotocols: Sequence[str] = (),
    key: str | None = None,
    extensions: Sequence[Extension] = (),
) -> bytes:
    """The client's opening handshake (§4.1), as bytes ready to send.

    ``key`` defaults to `new_key()`; pass a fixed one (the RFC's, `RFC_KEY`)
    to get the same bytes every time.
    ``subprotocols`` are offered in order of preference (§4.1 item 10: non-empty
    tokens, each once; ValueError otherwise); ``extensions`` likewise (§9.1).
    """
    check_subprotocols(subprotocols)
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {host}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key if key is not None else new_key()}",
        f"Sec-WebSocket-Version: {WEBSOCKET_VERSION}",
    ]
    if origin is not None:
        lines.append(f"Origin: {origin}")
    if subprotocols:
        lines.append(f"Sec-WebSocket-Protocol: {', '.join(subprotocols)}")
    if extensions:
        lines.append(f"Sec-WebSocket-Extensions: {build_extensions(extensions)}")
    return _encode_head(lines)


def check_subprotocols(subprotocols: Sequence[str]) -> None:
    """§4.1 item 10: subprotocol names are non-empty tokens (characters U+0021-U+007E, no
    separators) and unique. Raises ValueError saying which one is not."""
    if isinstance(subprotocols, str):
        raise TypeError("subprotocols is a list of names, e.g. ['chat.v1'], not one string")
    for name in subprotocols:
        if not _is_token(name):
            raise ValueError(
                f"subprotocol {name!r} is not a token: a name is non-empty, of the characters "
                "U+0021-U+007E without separators such as ',' ';' or spaces (RFC 6455 §4.1 item 10)"
            )
    duplicates = sorted({name for name in subprotocols if list(subprotocols).count(name) > 1})
    if duplicates:
        raise ValueError(
            f"subprotocol {duplicates[0]!r} is offered twice: the names MUST all be unique (RFC 6455 §4.1 item 10)"
        )


def select_subprotocol(offered: Sequence[str], supported: Sequence[str]) -> str | None:
    """The subprotocol a server picks (§4.2.2 /subprotocol/): the first of its own
    `supported` list, in the server's order of preference, that the client offered; None if none."""
    return next((name for name in supported if name in offered), None)


def split_head(data: bytes, limit: int = MAX_HEAD, *, side: str = "request") -> tuple[bytes, bytes] | None:
    """Find the end of an HTTP head that may arrive in pieces.

    Returns ``(head, rest)`` once the blank line (CR LF CR LF) has arrived:
    ``head`` includes the blank line, ``rest`` is every byte after it (e.g. a
    frame the peer pipelined right behind its handshake; it belongs to the
    WebSocket connection and must not be lost). Returns None while the head is
    incomplete. Raises HandshakeError once more than ``limit`` bytes have
    arrived without the blank line: 431 for a request (RFC 6585 §5); for a
    response (``side="response"``) the client fails the connection.
    """
    end = bytes(data).find(_END_OF_HEAD, 0, limit)
    if end >= 0:
        end += len(_END_OF_HEAD)
        return bytes(data[:end]), bytes(data[end:])
    if len(data) < limit:
        return None
    message = (
        f"the {side} head is longer than {limit} bytes: no blank line "
        f"(CR LF CR LF) in the first {limit} bytes (a limit of this implementation"
        + (", answered as RFC 6585 §5 says)" if side == "request" else ")")
    )
    if side == "response":
        raise InvalidResponse(message)
    raise HandshakeError(message, rfc_section="4.2.1", status=431)


def replace_header(head: bytes, name: str, value: str | None) -> bytes:
    """A copy of ``head`` with header ``name`` set to ``value`` (first field of
    that name, case-insensitive; added at the end if absent) or removed when
    ``value`` is None. For lessons and tests that break one rule at a time."""
    first, *lines = head[: -len(_END_OF_HEAD)].decode("latin-1").split(_CRLF)
    kept, done = [], False
    for line in lines:
        field_name = line.split(":", 1)[0].strip()
        if not done and field_name.lower() == name.lower():
            done = True
            if value is not None:
                kept.append(f"{field_name}: {value}")  # keeps the name as it was written
        else:
            kept.append(line)
    if not done and value is not None:
        kept.append(f"{name}: {value}")
    return _encode_head([first, *kept])


def _encode_head(lines: Iterable[str]) -> bytes:
    lines = list(lines)
    for line in lines:
        if any(c in _CONTROL_CHARACTERS for c in line):
            # a CR or LF inside a value would start a header line of its own
            raise ValueError(f"control character in head line {line!r}")
    return (_CRLF.join(lines) + _CRLF + _CRLF).encode("latin-1")


# --- reading a head (RFC 7230 §3) ----------------------------------------------


def _head_lines(data: bytes, side: str) -> list[str]:
    """The lines of one complete head, without the blank line that ends it."""
    parts = split_head(data, side=side)  # the same MAX_HEAD cap as for a head read in pieces
    if parts is None:
        raise _malformed(side, "the head is incomplete: it must end with a blank line (CR LF CR LF)")
    head, rest = parts
    if rest:
        raise ValueError(
            f"{len(rest)} byte(s) follow the blank line that ends the head; "
            "split them off with split_head() first (they belong to the "
            "WebSocket connection)"
        )
    # latin-1 maps every byte to a character, so a stray non-ASCII byte is
    # reported by the checks below instead of crashing the decoder.
    lines = head[: -len(_END_OF_HEAD)].decode("latin-1").split(_CRLF)
    for number, line in enumerate(lines):
        bad = next((c for c in line if c in _CONTROL_CHARACTERS), None)
        if bad is not None:
            raise _malformed(
                side,
                f"line {line!r} contains the control character {bad!r} "
                "(a lone CR or LF, or another control byte; RFC 7230 §3)",
                header=line.partition(":")[0].strip() if number else None,
            )
    return lines


def _parse_headers(lines: list[str], side: str) -> list[tuple[str, str]]:
    headers = []
    for line in lines:
        if line[:1] in (" ", "\t"):
            raise _malformed(
                side,
                f"header line {line!r} starts with whitespace (obsolete line folding is not allowed, RFC 7230 §3.2.4)",
                header=line.partition(":")[0].strip(),
            )
        name, colon, value = line.partition(":")
        if not colon:
            raise _malformed(side, f"header line {line!r} has no ':'", header=line.strip())
        if not name or not _is_token(name):
            raise _malformed(
                side,
                f"header name {name!r} is not a token (no spaces before the ':', RFC 7230 §3.2.4)",
                header=name.strip(),
            )
        headers.append((name, value.strip(" \t")))
    return headers


def _malformed(side: str, message: str, *, header: str | None = None) -> HandshakeError:
    if side == "response":
        return InvalidResponse(f"malformed response: {message}", header=header)
    return HandshakeError(f"malformed request: {message}", rfc_section="4.2.1", status=400, header=header)


def _is_token(text: str) -> bool:
    return bool(text) and all(c in _TCHAR for c in text)


def _split_list(value: str | None) -> list[str]:
    """A comma-separated header list (RFC 7230 §7), empty items dropped."""
    if value is None:
        return []
    return [item.strip(" \t") for item in value.split(",") if item.strip(" \t")]


def _has_token(value: str | None, token: str) -> bool:
    return token.lower() in (item.lower() for item in _split_list(value))


# --- the server side (§4.2) -----------------------------------------------------


def parse_request(data: bytes) -> Request:
    """Read a client's opening handshake and check every rule of §4.2.1.

    ``data`` is one complete head (see `split_head`). Raises HandshakeError
    naming the rule that failed and the HTTP status the server answers with.
    """
    request_line, *header_lines = _head_lines(data, "request")
    request = _parse_request_line(request_line)
    request.headers = _parse_headers(header_lines, "request")
    check_request(request)
    return request


def parse_http_request(data: bytes) -> Request:
    """Read any HTTP/1.1 request head (request line and header fields, RFC 7230 §3), without the
    WebSocket rules of `parse_request`: for servers that also answer plain HTTP on the same port
    (Engine.IO's long-polling). Raises HandshakeError (400, 431, 505) for a malformed head."""
    request_line, *header_lines = _head_lines(data, "request")
    parts = request_line.split(" ")
    if len(parts) != 3 or not all(parts) or not _is_token(parts[0]):
        raise _malformed("request", f"request line {request_line!r} is not 'METHOD SP TARGET SP HTTP/x.y'")
    _check_http_version(parts[2])
    request = Request(parts[0], _resource_name(parts[1]), parts[2])
    request.headers = _parse_headers(header_lines, "request")
    return request


def _parse_request_line(line: str) -> Request:
    """``method SP request-target SP HTTP-version`` (RFC 7230 §3.1.1)."""
    parts = line.split(" ")
    if len(parts) != 3 or not all(parts):
        raise _malformed("request", f"request line {line!r} is not 'METHOD SP TARGET SP HTTP/x.y'")
    method, target, version = parts
    if not _is_token(method):
        raise _malformed("request", f"method {method!r} is not a token")
    _check_http_version(version)
    if method != "GET":
        raise HandshakeError(
            f"the method is {method}, not GET: a WebSocket handshake is a GET request",
            rfc_section="4.2.1 item 1",
            status=405,
            headers=(("Allow", "GET"),),
        )
    return Request(method, _resource_name(target), version)


def _check_http_version(version: str) -> None:
    """HTTP/1.1 or higher (§4.2.1 item 1). Per RFC 7230 §2.6 a later 1.x minor
    version is read as 1.1; another major version is refused with 505."""
    name, _, number = version.partition("/")
    major, dot, minor = number.partition(".")
    if name != "HTTP" or not dot or not (major.isdigit() and minor.isdigit()) or len(major) != 1 or len(minor) != 1:
        raise _malformed("request", f"{version!r} is not an HTTP version like 'HTTP/1.1'")
    if (int(major), int(minor)) < (1, 1) or int(major) > 1:
        raise HandshakeError(
            f"the request is {version}; the handshake needs HTTP/1.1 (a later 1.x is read as 1.1)",
            rfc_section="4.2.1 item 1",
            status=505,
        )


def _resource_name(target: str) -> str:
    """The /resource name/ (§3): an origin-form target, or an absolute http(s) URI
    whose path and query are taken (§4.2.1 item 1)."""
    if target.startswith("/"):
        return target
    parts = urlsplit(target)
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    raise HandshakeError(
        f"request target {target!r} is neither a path starting with '/' nor an absolute http(s) URI",
        rfc_section="4.2.1 item 1",
        status=400,
    )


def check_request(request: Request) -> None:
    """Check the header fields of §4.2.1 items 2-6 (order of fields does not matter)."""
    hosts = request.header_values("Host")
    if len(hosts) != 1 or not hosts[0]:
        what = (
            "no Host header"
            if not hosts
            else ("an empty Host header" if len(hosts) == 1 else f"{len(hosts)} Host headers")
        )
        raise HandshakeError(
            f"the request has {what}; it needs exactly one (RFC 7230 §5.4)",
            rfc_section="4.2.1 item 2",
            status=400,
            header="Host",
        )

    upgrade = request.header("Upgrade")
    if not _has_token(upgrade, "websocket"):
        got = "no Upgrade header" if upgrade is None else f"Upgrade: {upgrade}"
        raise HandshakeError(
            f"the request has {got}; it needs 'Upgrade: websocket' (case-insensitive)",
            rfc_section="4.2.1 item 3",
            status=400,
            header="Upgrade",
        )

    connection = request.header("Connection")
    if not _has_token(connection, "upgrade"):
        got = "no Connection header" if connection is None else f"Connection: {connection}"
        raise HandshakeError(
            f"the request has {got}; the Connection header must contain the token 'Upgrade' (case-insensitive)",
            rfc_section="4.2.1 item 4",
            status=400,
            header="Connection",
        )

    _check_key(request.header_values("Sec-WebSocket-Key"))
    _check_version(request.header_values("Sec-WebSocket-Version"))


def _check_key(values: list[str]) -> None:
    """§4.2.1 item 5: base64 that decodes to exactly 16 bytes; §11.3.1: sent once."""
    if not values:
        raise HandshakeError(
            "the request has no Sec-WebSocket-Key header",
            rfc_section="4.2.1 item 5",
            status=400,
            header="Sec-WebSocket-Key",
        )
    if len(values) > 1:
        raise HandshakeError(
            f"Sec-WebSocket-Key is sent {len(values)} times; it must appear only once",
            rfc_section="11.3.1",
            status=400,
            header="Sec-WebSocket-Key",
        )
    key = values[0]
    try:
        raw = base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError):
        raise HandshakeError(
            f"Sec-WebSocket-Key {key!r} is not valid base64",
            rfc_section="4.2.1 item 5",
            status=400,
            header="Sec-WebSocket-Key",
        ) from None
    if len(raw) != 16:
        raise HandshakeError(
            f"Sec-WebSocket-Key {key!r} decodes to {len(raw)} bytes, not 16",
            rfc_section="4.2.1 item 5",
            status=400,
            header="Sec-WebSocket-Key",
        )


def _check_version(values: list[str]) -> None:
    """§4.2.1 item 6: ``Sec-WebSocket-Version: 13``. Another version is answered
    with 426 and the version the server speaks (§4.2.2 /version/, §4.4)."""
    if not values:
        raise HandshakeError(
            "the request has no Sec-WebSocket-Version header",
            rfc_section="4.2.1 item 6",
            status=400,
            header="Sec-WebSocket-Version",
        )
    if len(values) > 1:
        raise HandshakeError(
            f"Sec-WebSocket-Version is sent {len(values)} times; it must appear only once",
            rfc_section="11.3.5",
            status=400,
            header="Sec-WebSocket-Version",
        )
    if values[0] != WEBSOCKET_VERSION:
        raise HandshakeError(
            f"Sec-WebSocket-Version is {values[0]!r}; this server speaks only version {WEBSOCKET_VERSION}",
            rfc_section="4.4",
            header="Sec-WebSocket-Version",
            status=426,
            headers=(("Sec-WebSocket-Version", WEBSOCKET_VERSION), ("Upgrade", "websocket")),
        )


def check_origin(origin: str | None, allowed: str | Iterable[str] | None) -> None:
    """Refuse a handshake whose ``Origin`` is not allowed: 403 Forbidden (§10.2, §4.2.2).

    ``allowed``: None or ``"*"`` allows every origin; a list allows exactly
    those strings (ASCII case-insensitive, as §4.2.2 item 4's origin
    serialization is lowercase), e.g. ``["https://app.example"]``.

    Why a WebSocket server checks Origin itself: browsers do not apply CORS
    to WebSocket connections. A page from any site may open
    ``new WebSocket("wss://your.server")``, and the browser sends the user's
    cookies with it; the browser only reports the page's origin in the
    ``Origin`` header. Only the server can refuse (§10.2).

    A request without ``Origin`` is let through even by an allow-list: only
    browsers must send it (§4.1 item 8, §4.2.1 item 7), so its absence means a
    non-browser client, and such a client could send any Origin it likes.
    Origin protects browser users from other web pages; it is no defence
    against programs, which need real authentication.
    """
    if origin is None or allowed is None or allowed == "*":
        return
    if isinstance(allowed, str):
        allowed = [allowed]
    allowed = list(allowed)
    if "*" in allowed or origin.lower() in (a.lower() for a in allowed):
        return
    raise HandshakeError(
        f"Origin {origin!r} is not allowed (allowed: {', '.join(allowed)})",
        rfc_section="10.2",
        status=403,
        header="Origin",
    )


def build_response(request: Request, *, subprotocol: str | None = None, extensions: Sequence[Extension] = ()) -> bytes:
    """The server's ``101 Switching Protocols`` answer (§4.2.2 item 5).

    ``subprotocol`` must be one the client offered (§4.2.2 /subprotocol/);
    ``extensions`` are those the server accepts, each of a name the client offered
    (§4.2.2 /extensions/, §9.1), in one header field (§11.3.2).
    """
    if request.key is None:
        raise ValueError("the request has no Sec-WebSocket-Key: validate it with parse_request()")
    lines = [
        "HTTP/1.1 101 Switching Protocols",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Accept: {accept_key(request.key)}",
    ]
    if subprotocol is not None:
        if subprotocol not in request.subprotocols:
            raise ValueError(
                f"subprotocol {subprotocol!r} was not offered by the client (offered: {request.subprotocols})"
            )
        lines.append(f"Sec-WebSocket-Protocol: {subprotocol}")
    if extensions:
        offered = {offer.name.lower() for offer in request.extensions}
        for extension in extensions:
            if extension.name.lower() not in offered:
                raise ValueError(f"extension {extension.name!r} was not offered by the client")
        lines.append(f"Sec-WebSocket-Extensions: {build_extensions(extensions)}")
    return _encode_head(lines)


def build_rejection(error: HandshakeError) -> bytes:
    """A complete HTTP response refusing the handshake: the error's status, its
    extra headers, and a short text body saying what was wrong. The server
    closes the TCP connection after sending it."""
    status = error.status if error.status is not None else 400
    body = (str(error) + "\n").encode("utf-8")
    lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}"]
    lines += [f"{name}: {value}" for name, value in error.headers]
    # RFC 7230 §6.7: whoever sends Upgrade (426 must, §6.5.15 of RFC 7231) also
    # lists "Upgrade" in Connection; "close" says this TCP connection ends here.
    sends_upgrade = any(name.lower() == "upgrade" for name, _ in error.headers)
    lines += [
        "Content-Type: text/plain; charset=utf-8",
        f"Content-Length: {len(body)}",
        "Connection: Upgrade, close" if sends_upgrade else "Connection: close",
    ]
    return _encode_head(lines) + body


@dataclass
class ServerAnswer:
    """What a server does with the bytes of a handshake (`answer`)."""

    request: Request | None  # the accepted request, or None
    error: HandshakeError | None  # why it was refused, or None
    response: bytes  # the bytes the server sends back
    rest: bytes = b""  # bytes after the head: the first WebSocket frames

    @property
    def accepted(self) -> bool:
        return self.error is None

    def __str__(self) -> str:
        if self.error is None:
            verdict = "accepted; the server sends:"
        else:
            verdict = f"refused: {self.error}\nthe server sends, then closes the connection:"
        return f"{verdict}\n\n{_show(self.response)}"


def answer(
    data: bytes,
    *,
    allowed_origins: str | Iterable[str] | None = None,
    subprotocols: Subprotocols = (),
    extensions: ExtensionChooser | None = None,
) -> ServerAnswer:
    """A server's whole part of the handshake: read the head, check §4.2.1 and
    the origin, then accept (101) or refuse (4xx/5xx with a text body).

    ``subprotocols``: those the server speaks, in its order of preference, or a
    function choosing from the client's list (`choose_subprotocol`).
    ``extensions``: a function from the client's offers to the elements the
    server accepts (e.g. ``lambda offers: [r] if (r := deflate.accept(offers).response) else []``).
    """
    try:
        parts = split_head(data)
        if parts is None:
            raise HandshakeError(
                "the request head is incomplete: no blank line (CR LF CR LF) yet", rfc_section="4.2.1", status=400
            )
        head, rest = parts
        request = parse_request(head)
        check_origin(request.origin, allowed_origins)
        chosen = choose_subprotocol(request, subprotocols)
        accepted = extensions(request.extensions) if extensions is not None else []
    except HandshakeError as error:
        return ServerAnswer(None, error, build_rejection(error))
    return ServerAnswer(request, None, build_response(request, subprotocol=chosen, extensions=accepted), rest)


Subprotocols = Sequence[str] | Callable[[list[str]], str | None]
ExtensionChooser = Callable[[list["Extension"]], Sequence["Extension"]]


def choose_subprotocol(request: Request, supported: Subprotocols) -> str | None:
    """The server's choice of subprotocol for `request` (§4.2.2 /subprotocol/, §1.9).

    `supported`: the server's names in its order of preference (the first the
    client offered wins, `select_subprotocol`), or a function given the client's
    list that returns one of them or None. A client list that breaks §4.1 item 10
    (a name that is not a token, a name twice) is refused with 400.
    """
    offered = request.subprotocols
    try:
        check_subprotocols(offered)
    except ValueError as error:
        raise HandshakeError(
            f"Sec-WebSocket-Protocol {request.header('Sec-WebSocket-Protocol')!r}: {error}",
            rfc_section="4.1 item 10",
            status=400,
        ) from None
    if not callable(supported):
        return select_subprotocol(offered, supported)
    chosen = supported(offered)
    if chosen is not None and chosen not in offered:
        raise ValueError(
            f"the subprotocol selector chose {chosen!r}, which the client did not offer "
            f"(offered: {offered}); a server may only choose one of the client's (§4.2.2)"
        )
    return chosen


def _show(data: bytes) -> str:
    """Bytes of a head as text, one line per CR LF (the CR LF are not shown)."""
    return data.decode("utf-8", "backslashreplace").replace(_CRLF, "\n").rstrip("\n")


# --- the client side (§4.1) -----------------------------------------------------


def parse_response(data: bytes) -> Response:
    """Read a server's response head (status line and header fields) without
    judging it; `validate_response` applies §4.1."""
    status_line, *header_lines = _head_lines(data, "response")
    version, _, rest = status_line.partition(" ")
    code, _, reason = rest.partition(" ")
    if not version.startswith("HTTP/1.") or not (len(code) == 3 and code.isdigit()):
        raise InvalidResponse(f"malformed response: status line {status_line!r} is not 'HTTP/1.1 CODE REASON'")
    return Response(int(code), reason, _parse_headers(header_lines, "response"), version)


def validate_response(request: bytes | Request, data: bytes) -> Response:
    """Check a server's answer against the request the client sent (§4.1, last list).

    Raises `InvalidResponse` (a HandshakeError) naming the rule that failed;
    the client then fails the WebSocket connection.
    """
    if isinstance(request, (bytes, bytearray)):
        request = _read_own_request(bytes(request))
    response = parse_response(data)
    if response.status != 101:
        raise InvalidResponse(
            f"the server answered {response.status} {response.reason}, not 101 Switching Protocols",
            rfc_section="4.1 response check 1",
            check=1,
        )
    upgrade = response.header("Upgrade")
    if upgrade is None or upgrade.strip().lower() != "websocket":
        got = "no Upgrade header" if upgrade is None else f"Upgrade: {upgrade}"
        raise InvalidResponse(
            f"the response has {got}; it needs 'Upgrade: websocket'",
            rfc_section="4.1 response check 2",
            check=2,
            header="Upgrade",
        )
    connection = response.header("Connection")
    if not _has_token(connection, "upgrade"):
        got = "no Connection header" if connection is None else f"Connection: {connection}"
        raise InvalidResponse(
            f"the response has {got}; it must contain the token 'Upgrade'",
            rfc_section="4.1 response check 3",
            check=3,
            header="Connection",
        )
    expected = accept_key(request.key or "")
    if response.accept != expected:
        got = "no Sec-WebSocket-Accept" if response.accept is None else f"Sec-WebSocket-Accept {response.accept!r}"
        raise InvalidResponse(
            f"the response has {got}; expected {expected!r} (base64 of SHA-1 of our key + GUID)",
            rfc_section="4.1 response check 4",
            check=4,
            header="Sec-WebSocket-Accept",
        )
    _check_accepted_extensions(request, response)
    _check_chosen_subprotocol(request, response)
    return response


def _check_accepted_extensions(request: Request, response: Response) -> None:
    """§4.1 response check 5: only extensions the client offered; §11.3.2: one header field.
    Whether an extension's parameters fit the offer is that extension's rule (RFC 7692 §5.1)."""
    fields = response.header_values("Sec-WebSocket-Extensions")
    if len(fields) > 1:
        raise InvalidResponse(
            f"the response has {len(fields)} Sec-WebSocket-Extensions header fields; it MUST NOT have more than one",
            rfc_section="11.3.2",
            check=5,
            header="Sec-WebSocket-Extensions",
        )
    offered = {extension.name.lower() for extension in request.extensions}
    for extension in response.extensions:
        if extension.name.lower() not in offered:
            names = ", ".join(sorted(offered)) or "none"
            raise InvalidResponse(
                f"the response accepts extension {extension.name!r}, which the client did not offer (offered: {names})",
                rfc_section="4.1 response check 5",
                check=5,
                header="Sec-WebSocket-Extensions",
            )


def _read_own_request(data: bytes) -> Request:
    """The client's own request, read back for its key and offers (not re-validated)."""
    request_line, *header_lines = _head_lines(data, "request")
    method, target, version = (request_line.split(" ") + ["", "", ""])[:3]
    return Request(method, target, version, _parse_headers(header_lines, "request"))


def _check_chosen_subprotocol(request: Request, response: Response) -> None:
    values = response.header_values("Sec-WebSocket-Protocol")
    if not values:
        return
    chosen = _split_list(", ".join(values))
    if len(chosen) != 1:
        raise InvalidResponse(
            f"the response names {len(chosen)} subprotocols ({', '.join(chosen)}); a server chooses at most one",
            rfc_section="4.1 response check 6",
            check=6,
            header="Sec-WebSocket-Protocol",
        )
    if chosen[0] not in request.subprotocols:
        offered = ", ".join(request.subprotocols) or "none"
        raise InvalidResponse(
            f"the server chose subprotocol {chosen[0]!r}, which the client did not offer (offered: {offered})",
            rfc_section="4.1 response check 6",
            check=6,
            header="Sec-WebSocket-Protocol",
        )


# --- extensions: the Sec-WebSocket-Extensions header (§9.1) -------------------------


@dataclass(frozen=True)
class Extension:
    """One element of a ``Sec-WebSocket-Extensions`` list (§9.1): a name and its parameters.

    ``params`` keeps their order; a parameter without a value has the value None
    (``client_max_window_bits`` offered without a number, RFC 7692 §7.1.2.2).
    ``str(extension)`` is the element as it is written in the header.
    """

    name: str
    params: tuple[tuple[str, str | None], ...] = ()

    def __str__(self) -> str:
        parts = [self.name]
        parts += [name if value is None else f"{name}={_token_or_quoted(value)}" for name, value in self.params]
        return "; ".join(parts)


def parse_extensions(value: str, *, side: str = "request") -> list[Extension]:
    """The elements of a ``Sec-WebSocket-Extensions`` value, in order (§9.1).

    The grammar: ``extension-list = 1#extension``, ``extension = extension-token
    *( ";" extension-param )``, ``extension-param = token [ "=" (token |
    quoted-string) ]``; a quoted value, unescaped, must be a token too. Several
    elements may name the same extension: a client lists alternative offers in
    its order of preference. A value that breaks the grammar raises
    HandshakeError (400 for a request; for a response, ``side="response"``,
    the client fails the connection).
    """
    scanner = _ListScanner(value, side)
    extensions = []
    while scanner.take(","):
        pass  # RFC 7230 §7: empty list elements are ignored
    while True:
        name = scanner.token("an extension name")
        params = []
        while scanner.take(";"):
            param = scanner.token(f"a parameter name of {name}")
            param_value = scanner.param_value(param) if scanner.take("=") else None
            params.append((param, param_value))
        extensions.append(Extension(name, tuple(params)))
        scanner.expect(",")
        while scanner.take(","):
            pass
        if scanner.at_end():
            return extensions


def build_extensions(extensions: Iterable[Extension]) -> str:
    """A ``Sec-WebSocket-Extensions`` value listing `extensions` (§9.1)."""
    return ", ".join(str(extension) for extension in extensions)


def _token_or_quoted(value: str) -> str:
    if _is_token(value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class _ListScanner:
    """Reads the §9.1 grammar left to right, whitespace (OWS) allowed around ``,`` ``;`` ``=``."""

    def __init__(self, text: str, side: str) -> None:
        self.text, self.side, self.pos = text, side, 0

    def _skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t":
            self.pos += 1

    def at_end(self) -> bool:
        self._skip_space()
        return self.pos == len(self.text)

    def take(self, char: str) -> bool:
        self._skip_space()
        if self.text.startswith(char, self.pos):
            self.pos += 1
            return True
        return False

    def expect(self, char: str) -> None:
        if not self.take(char) and not self.at_end():
            self._fail(f"expected {char!r}")

    def token(self, what: str) -> str:
        self._skip_space()
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] in _TCHAR:
            self.pos += 1
        if self.pos == start:
            self._fail(f"expected {what} (a token)")
        return self.text[start : self.pos]

    def param_value(self, param: str) -> str:
        self._skip_space()
        if not self.text.startswith('"', self.pos):
            return self.token(f"a value of {param}")
        value, self.pos = [], self.pos + 1
        while self.pos < len(self.text) and self.text[self.pos] != '"':
            if self.text[self.pos] == "\\":
                self.pos += 1
            value.append(self.text[self.pos : self.pos + 1])
            self.pos += 1
        if self.pos >= len(self.text):
            self._fail(f"the quoted value of {param} has no closing '\"'")
        self.pos += 1
        unquoted = "".join(value)
        if not _is_token(unquoted):
            self._fail(
                f"the quoted value of {param}, {unquoted!r}, is not a token "
                "(§9.1: unescaped, a quoted value must be a token)"
            )
        return unquoted

    def _fail(self, problem: str) -> NoReturn:
        message = f"Sec-WebSocket-Extensions {self.text!r} is malformed at character {self.pos}: {problem}"
        if self.side == "response":
            raise InvalidResponse(message, rfc_section="9.1", header="Sec-WebSocket-Extensions")
        raise HandshakeError(message, rfc_section="9.1", status=400, header="Sec-WebSocket-Extensions")
