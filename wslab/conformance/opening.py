"""The opening handshake cases (§4.2.1, §4.2.2): what a server does with each request.

Autobahn has no category for these; here they are "H.n". A refused request is
judged by its HTTP status (any other refusal status is WRONG CODE, a 101 is
FAILED); an accepted one must go on to echo a message.
"""

from __future__ import annotations

from wslab import handshake
from wslab.codes import Opcode
from wslab.conformance.case import Case, Sent, close_frame, frame

__all__ = ["cases", "CATEGORY", "request"]

CATEGORY = "handshake"
HOST = "127.0.0.1"  # the Host header's value; a server must accept any (it is not checked against itself)
KEY = handshake.RFC_KEY  # the RFC's example key: the same bytes every run
# Without the Upgrade tokens the request is plain HTTP; "426 Upgrade Required" (RFC 7231 §6.5.15) says as much
UPGRADE_REQUIRED = (426,)


def request(**changes: str | None) -> bytes:
    """A valid §4.1 request with some header fields replaced (name with '_' for '-') or removed (None)."""
    data = handshake.build_request(HOST, "/", key=KEY)
    for name, value in changes.items():
        data = handshake.replace_header(data, name.replace("_", "-"), value)
    return data


def _refused(
    title: str, rule: str, data: bytes, status: int, must_headers: tuple[str, ...] = (), also: tuple[int, ...] = ()
) -> Case:
    return Case(
        id="",
        category=CATEGORY,
        title=title,
        rule=rule,
        request=Sent(title, data),
        status=status,
        close_codes=(),
        must_headers=must_headers,
        also_ok=also,
    )


def _accepted(title: str, rule: str, data: bytes, *, chunk: int | None = None, pipelined: bytes = b"") -> Case:
    message = (Opcode.TEXT, b"after the handshake")
    send = () if pipelined else (frame(*message),)
    return Case(
        id="",
        category=CATEGORY,
        title=title,
        rule=rule,
        request=Sent(title, data + pipelined),
        request_chunk=chunk,
        send=send,
        expect=((Opcode.TEXT, b"eager" if pipelined else message[1]),),
        finish=(close_frame(1000),),
    )


def cases() -> list[Case]:
    good = request()
    padding = b"".join(b"X-Padding-%d: %s\r\n" % (i, b"p" * 100) for i in range(200))
    items = [
        _refused(
            "method POST",
            "§4.2.1 item 1: the request MUST be an HTTP GET (405)",
            good.replace(b"GET ", b"POST ", 1),
            405,
        ),
        _refused(
            "HTTP/1.0",
            "§4.2.1 item 1: HTTP/1.1 or higher (505 for a version not supported)",
            good.replace(b"HTTP/1.1\r\n", b"HTTP/1.0\r\n", 1),
            505,
        ),
        _refused("no Host", "§4.2.1 item 2: a Host header field (400)", request(Host=None), 400),
        _refused(
            "no Upgrade",
            "§4.2.1 item 3: Upgrade containing 'websocket' (400)",
            request(Upgrade=None),
            400,
            also=UPGRADE_REQUIRED,
        ),
        _refused(
            "Upgrade: h2c",
            "§4.2.1 item 3: Upgrade containing 'websocket' (400)",
            request(Upgrade="h2c"),
            400,
            also=UPGRADE_REQUIRED,
        ),
        _refused(
            "no Connection",
            "§4.2.1 item 4: Connection containing the token 'Upgrade' (400)",
            request(Connection=None),
            400,
            also=UPGRADE_REQUIRED,
        ),
        _refused(
            "Connection: keep-alive",
            "§4.2.1 item 4: Connection containing the token 'Upgrade' (400)",
            request(Connection="keep-alive"),
            400,
            also=UPGRADE_REQUIRED,
        ),
        _refused(
            "no Sec-WebSocket-Key", "§4.2.1 item 5: a Sec-WebSocket-Key (400)", request(Sec_WebSocket_Key=None), 400
        ),
        _refused(
            "a key of 15 bytes",
            "§4.2.1 item 5: the key is base64 of 16 bytes (400)",
            request(Sec_WebSocket_Key="AAAAAAAAAAAAAAAAAAAA"),
            400,
        ),
        _refused(
            "a key that is not base64",
            "§4.2.1 item 5: the key is base64 of 16 bytes (400)",
            request(Sec_WebSocket_Key="not base64 at all!!!!!=="),
            400,
        ),
        _refused(
            "no Sec-WebSocket-Version",
            "§4.2.1 item 6: Sec-WebSocket-Version 13 (400)",
            request(Sec_WebSocket_Version=None),
            400,
        ),
        _refused(
            "Sec-WebSocket-Version: 8",
            "§4.2.2 item 4, §4.4: another version is refused (such as 426) "
            "with a Sec-WebSocket-Version header naming the versions the server speaks",
            request(Sec_WebSocket_Version="8"),
            426,
            ("Sec-WebSocket-Version",),
        ),
        _refused(
            "a head of 20 KB (200 extra header fields)",
            "§4.2.1 with RFC 6585 §5: a head too large to process is refused (431)",
            good[:-2] + padding + b"\r\n",
            431,
        ),
        _accepted(
            "Connection: keep-alive, UPGRADE",
            "§4.2.1 item 4: Connection is a token list, compared case-insensitively",
            request(Connection="keep-alive, UPGRADE"),
        ),
        _accepted("the request written 1 byte at a time", "§4.2.1: the request may arrive in pieces", good, chunk=1),
        _accepted(
            "a frame right behind the request, in the same write",
            "§4.2.2/§5: the frames after the head belong to the connection and must not be lost",
            good,
            pipelined=frame(Opcode.TEXT, b"eager").data,
        ),
    ]
    from dataclasses import replace

    return [replace(case, id=f"H.{n}") for n, case in enumerate(items, 1)]
