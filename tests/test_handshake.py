"""The opening handshake (RFC 6455 §1.3, §4): wslab.handshake, checked against the RFC's
vector, every §4.2.1 / §4.1 rule broken on its own, and two reference implementations
(websockets' and wsproto's sans-I/O protocols) on real handshake bytes."""

from __future__ import annotations

import base64
import hashlib

import pytest

from wslab import handshake
from wslab.errors import HandshakeError
from wslab.handshake import RFC_ACCEPT, RFC_KEY, InvalidResponse

OTHER_KEY = "AQIDBAUGBwgJCgsMDQ4PEA=="  # RFC 6455 §4.1 (as corrected by erratum 3150)


def request_bytes(**kwargs) -> bytes:
    kwargs.setdefault("key", RFC_KEY)
    return handshake.build_request("example.com", "/chat", **kwargs)


def raw(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


VALID_LINES = (
    "GET /chat HTTP/1.1",
    "Host: example.com",
    "Upgrade: websocket",
    "Connection: Upgrade",
    f"Sec-WebSocket-Key: {RFC_KEY}",
    "Sec-WebSocket-Version: 13",
)


def with_lines(replace: dict[int, str | None] | None = None, extra: tuple[str, ...] = ()) -> bytes:
    """VALID_LINES with line i replaced (None: removed) and extra lines appended."""
    replace = replace or {}
    lines = [replace.get(i, line) for i, line in enumerate(VALID_LINES)]
    return raw(*[line for line in lines if line is not None], *extra)


# --- the accept key (§1.3) ------------------------------------------------------


def test_rfc_example_key_constants():
    # The one place the tests spell out the example of §1.3: the constants everything else uses.
    assert RFC_KEY == "dGhlIHNhbXBsZSBub25jZQ=="
    assert RFC_ACCEPT == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_rfc_vector_and_every_step():
    steps = handshake.accept_steps(RFC_KEY)
    assert steps.key == RFC_KEY
    assert steps.concatenated == RFC_KEY + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
    assert steps.sha1_hex == "b37a4f2cc0624f1690f64606cf385945b2bec4ea"
    assert steps.sha1 == bytes.fromhex(steps.sha1_hex) and len(steps.sha1) == 20
    assert steps.accept == RFC_ACCEPT
    assert handshake.accept_key(RFC_KEY) == RFC_ACCEPT
    assert RFC_ACCEPT in str(steps)


def test_accept_key_uses_the_key_as_text_not_decoded():
    decoded_way = base64.b64encode(hashlib.sha1(base64.b64decode(RFC_KEY) + handshake.GUID.encode()).digest()).decode()
    assert handshake.accept_key(RFC_KEY) != decoded_way
    assert handshake.accept_key(f"  {RFC_KEY} ") == RFC_ACCEPT  # §4.1: surrounding whitespace ignored


def test_new_key_is_16_random_bytes_in_base64():
    keys = {handshake.new_key() for _ in range(50)}
    assert len(keys) == 50
    assert all(len(base64.b64decode(k, validate=True)) == 16 for k in keys)


# --- the server side: valid requests ------------------------------------------------


def test_built_request_parses_and_exposes_its_fields():
    data = request_bytes(origin="http://example.com", subprotocols=["chat", "superchat"])
    assert data.startswith(b"GET /chat HTTP/1.1\r\nHost: example.com\r\n")
    request = handshake.parse_request(data)
    assert (request.method, request.path, request.version) == ("GET", "/chat", "HTTP/1.1")
    assert request.host == "example.com" and request.key == RFC_KEY
    assert request.origin == "http://example.com"
    assert request.subprotocols == ["chat", "superchat"]
    assert request.header("sec-websocket-VERSION") == "13"
    assert str(request).splitlines()[0] == "GET /chat HTTP/1.1"
    assert "\r" not in str(request)


@pytest.mark.parametrize(
    "data",
    [
        raw(
            *(
                line.upper() if i and ":" in line and not line.startswith("Sec-WebSocket-Key") else line
                for i, line in enumerate(VALID_LINES)
            )
        ),  # names and values upper case
        raw(
            "GET /chat HTTP/1.1",
            *(line.split(":")[0].lower() + ":" + line.split(":", 1)[1] for line in VALID_LINES[1:]),
        ),  # names lower case
        with_lines({3: "Connection: keep-alive, Upgrade"}),
        with_lines({3: "Connection: keep-alive"}, extra=("Connection: upgrade",)),
        with_lines({2: "Upgrade: WebSocket"}),
        with_lines({2: "Upgrade:websocket"}),  # no space after ':'
        with_lines({4: f"Sec-WebSocket-Key:   {RFC_KEY}  "}),  # optional whitespace
        with_lines({0: "GET /chat HTTP/1.2"}),  # RFC 7230 §2.6: a later 1.x
        with_lines({0: "GET http://example.com/chat HTTP/1.1"}),  # absolute-form (§4.2.1 item 1)
        with_lines(extra=("Sec-WebSocket-Extensions: permessage-deflate", "Cookie: a=b")),
    ],
)
def test_valid_variants_are_accepted(data):
    request = handshake.parse_request(data)
    assert request.path == "/chat"
    assert handshake.accept_key(request.key) == RFC_ACCEPT


def test_query_is_part_of_the_resource_name():
    request = handshake.parse_request(with_lines({0: "GET /chat?room=1 HTTP/1.1"}))
    assert request.path == "/chat?room=1"


# --- the server side: every §4.2.1 rule broken on its own ----------------------

FIFTEEN_BYTE_KEY = base64.b64encode(b"fifteen bytes!!").decode()
SEVENTEEN_BYTE_KEY = base64.b64encode(b"seventeen bytes!!").decode()

BROKEN = [
    # (id, request bytes, status, rfc section, words in the message, extra headers)
    ("POST", with_lines({0: "POST /chat HTTP/1.1"}), 405, "4.2.1 item 1", "POST, not GET", (("Allow", "GET"),)),
    ("HTTP/1.0", with_lines({0: "GET /chat HTTP/1.0"}), 505, "4.2.1 item 1", "HTTP/1.0", ()),
    ("HTTP/2.0", with_lines({0: "GET /chat HTTP/2.0"}), 505, "4.2.1 item 1", "HTTP/2.0", ()),
    ("bad version token", with_lines({0: "GET /chat HTTX/1.1"}), 400, "4.2.1", "HTTX/1.1", ()),
    ("two-field request line", with_lines({0: "GET /chat"}), 400, "4.2.1", "request line", ()),
    ("extra space in request line", with_lines({0: "GET  /chat HTTP/1.1"}), 400, "4.2.1", "request line", ()),
    ("relative target", with_lines({0: "GET chat HTTP/1.1"}), 400, "4.2.1 item 1", "'chat'", ()),
    ("no Host", with_lines({1: None}), 400, "4.2.1 item 2", "no Host", ()),
    ("two Hosts", with_lines(extra=("Host: evil.example",)), 400, "4.2.1 item 2", "2 Host", ()),
    ("no Upgrade", with_lines({2: None}), 400, "4.2.1 item 3", "no Upgrade header", ()),
    ("Upgrade: h2c", with_lines({2: "Upgrade: h2c"}), 400, "4.2.1 item 3", "Upgrade: h2c", ()),
    ("no Connection", with_lines({3: None}), 400, "4.2.1 item 4", "no Connection", ()),
    (
        "Connection without Upgrade",
        with_lines({3: "Connection: keep-alive"}),
        400,
        "4.2.1 item 4",
        "Connection: keep-alive",
        (),
    ),
    ("Connection: Upgraded", with_lines({3: "Connection: Upgraded"}), 400, "4.2.1 item 4", "token 'Upgrade'", ()),
    ("no key", with_lines({4: None}), 400, "4.2.1 item 5", "no Sec-WebSocket-Key", ()),
    (
        "15-byte key",
        with_lines({4: f"Sec-WebSocket-Key: {FIFTEEN_BYTE_KEY}"}),
        400,
        "4.2.1 item 5",
        "15 bytes, not 16",
        (),
    ),
    (
        "17-byte key",
        with_lines({4: f"Sec-WebSocket-Key: {SEVENTEEN_BYTE_KEY}"}),
        400,
        "4.2.1 item 5",
        "17 bytes, not 16",
        (),
    ),
    (
        "key not base64",
        with_lines({4: f"Sec-WebSocket-Key: {RFC_KEY[:-2]}!!"}),
        400,
        "4.2.1 item 5",
        "not valid base64",
        (),
    ),
    ("two keys", with_lines(extra=(f"Sec-WebSocket-Key: {OTHER_KEY}",)), 400, "11.3.1", "2 times", ()),
    ("no version", with_lines({5: None}), 400, "4.2.1 item 6", "no Sec-WebSocket-Version", ()),
    (
        "version 8",
        with_lines({5: "Sec-WebSocket-Version: 8"}),
        426,
        "4.4",
        "'8'",
        (("Sec-WebSocket-Version", "13"), ("Upgrade", "websocket")),
    ),
    (
        "version list",
        with_lines({5: "Sec-WebSocket-Version: 13, 8"}),
        426,
        "4.4",
        "'13, 8'",
        (("Sec-WebSocket-Version", "13"), ("Upgrade", "websocket")),
    ),
    ("two versions", with_lines(extra=("Sec-WebSocket-Version: 13",)), 400, "11.3.5", "2 times", ()),
    ("header without colon", with_lines(extra=("X-Broken",)), 400, "4.2.1", "no ':'", ()),
    ("space before colon", with_lines(extra=("X-Broken : 1",)), 400, "4.2.1", "not a token", ()),
    ("obsolete line folding", with_lines(extra=("X-Folded: a", " b")), 400, "4.2.1", "whitespace", ()),
    (
        "lone LF inside a value",
        with_lines({1: "Host: example.com\nX-Injected: 1"}),
        400,
        "4.2.1",
        "control character '\\n'",
        (),
    ),
    ("NUL in the target", with_lines({0: "GET /ch\x00at HTTP/1.1"}), 400, "4.2.1", "control character", ()),
]


@pytest.mark.parametrize(
    "data, status, section, words, headers", [case[1:] for case in BROKEN], ids=[case[0] for case in BROKEN]
)
def test_each_broken_rule_gives_its_status_section_and_message(data, status, section, words, headers):
    with pytest.raises(HandshakeError) as caught:
        handshake.parse_request(data)
    error = caught.value
    assert (error.status, error.rfc_section, tuple(error.headers)) == (status, section, headers)
    assert words in error.message
    assert f"§{section}" in str(error) and f"HTTP {status}" in str(error)


def test_every_broken_request_is_accepted_once_repaired():
    """Guards the table above: each case differs from a valid request in one place."""
    assert handshake.parse_request(with_lines()).key == RFC_KEY


def test_incomplete_head_and_trailing_bytes():
    with pytest.raises(HandshakeError) as caught:
        handshake.parse_request(with_lines()[:-2])
    assert caught.value.status == 400 and "incomplete" in caught.value.message
    with pytest.raises(ValueError, match="split_head"):
        handshake.parse_request(with_lines() + b"\x81\x80")


# --- rejections and responses -----------------------------------------------------


def parse_http(data: bytes) -> tuple[str, dict[str, str], bytes]:
    head, body = data.split(b"\r\n\r\n", 1)
    status_line, *lines = head.decode().split("\r\n")
    return status_line, dict(line.split(": ", 1) for line in lines), body


@pytest.mark.parametrize(
    "data, status, section, words, headers", [case[1:] for case in BROKEN], ids=[case[0] for case in BROKEN]
)
def test_rejection_is_a_complete_http_response(data, status, section, words, headers):
    with pytest.raises(HandshakeError) as caught:
        handshake.parse_request(data)
    status_line, fields, body = parse_http(handshake.build_rejection(caught.value))
    assert status_line.startswith(f"HTTP/1.1 {status} ")
    assert int(fields["Content-Length"]) == len(body)
    assert "close" in fields["Connection"]
    assert body.decode() == str(caught.value) + "\n"
    for name, value in headers:
        assert fields[name] == value
    if status == 426:  # RFC 7231 §6.5.15: Upgrade; RFC 7230 §6.7: then also Connection: upgrade
        assert fields["Connection"] == "Upgrade, close"


def test_rejection_status_lines():
    for status, line in [
        (405, "HTTP/1.1 405 Method Not Allowed"),
        (403, "HTTP/1.1 403 Forbidden"),
        (431, "HTTP/1.1 431 Request Header Fields Too Large"),
        (505, "HTTP/1.1 505 HTTP Version Not Supported"),
    ]:
        error = HandshakeError("x", rfc_section="4.2.1", status=status)
        assert handshake.build_rejection(error).startswith(line.encode() + b"\r\n")


def test_build_response_is_the_rfc_example():
    request = handshake.parse_request(request_bytes())
    assert handshake.build_response(request) == (
        b"HTTP/1.1 101 Switching Protocols\r\n"
        b"Upgrade: websocket\r\n"
        b"Connection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: " + RFC_ACCEPT.encode() + b"\r\n\r\n"
    )


def test_build_response_subprotocol_must_have_been_offered():
    request = handshake.parse_request(request_bytes(subprotocols=["chat", "superchat"]))
    assert b"Sec-WebSocket-Protocol: superchat\r\n" in handshake.build_response(request, subprotocol="superchat")
    with pytest.raises(ValueError, match="not offered"):
        handshake.build_response(request, subprotocol="mqtt")


def test_answer_accepts_chooses_subprotocol_and_keeps_pipelined_bytes():
    frame = b"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"  # RFC 6455 §5.7 masked "Hello"
    result = handshake.answer(request_bytes(subprotocols=["mqtt", "chat"]) + frame, subprotocols=["chat", "mqtt"])
    assert result.accepted and result.rest == frame
    # §4.2.2: the server's choice, by its own order of preference (as websockets does)
    assert (
        handshake.validate_response(request_bytes(subprotocols=["mqtt", "chat"]), result.response).subprotocol == "chat"
    )
    assert str(result).startswith("accepted")


def test_answer_refuses_with_the_rejection_bytes():
    result = handshake.answer(request_bytes().replace(b"GET", b"PUT", 1))
    assert not result.accepted and result.request is None
    assert result.error.status == 405
    assert result.response == handshake.build_rejection(result.error)
    assert result.response.startswith(b"HTTP/1.1 405 Method Not Allowed\r\nAllow: GET\r\n")


# --- origin policy (§10.2) -------------------------------------------------------


def test_check_origin():
    handshake.check_origin("https://evil.example", None)
    handshake.check_origin("https://evil.example", "*")
    handshake.check_origin("https://app.example", ["https://app.example"])
    handshake.check_origin("https://APP.example", ["https://app.example"])
    handshake.check_origin(None, ["https://app.example"])  # not a browser: let through
    for origin in ["https://evil.example", "https://app.example.evil", "http://app.example", "null"]:
        with pytest.raises(HandshakeError) as caught:
            handshake.check_origin(origin, ["https://app.example"])
        assert (caught.value.status, caught.value.rfc_section) == (403, "10.2")
        assert repr(origin) in caught.value.message


def test_answer_applies_the_origin_policy():
    data = request_bytes(origin="https://evil.example")
    refused = handshake.answer(data, allowed_origins=["https://app.example"])
    assert refused.error.status == 403
    assert refused.response.startswith(b"HTTP/1.1 403 Forbidden\r\n")
    assert handshake.answer(data, allowed_origins="*").accepted


# --- heads arriving in pieces, and the cap -----------------------------------------


def test_split_head_in_pieces_and_byte_by_byte():
    frame = b"\x89\x80\x00\x00\x00\x00"  # a masked empty ping right behind the request
    data = request_bytes() + frame
    end = len(request_bytes())
    buffer = b""
    for i in range(len(data)):
        buffer += data[i : i + 1]
        result = handshake.split_head(buffer)
        if i + 1 < end:
            assert result is None, i
        else:
            head, rest = result
            assert head == request_bytes() and rest == data[end : i + 1]
    for cut in range(len(data)):
        head, rest = handshake.split_head(data[:cut] + data[cut:])
        assert (head, rest) == (request_bytes(), frame)


def test_split_head_cap():
    assert handshake.MAX_HEAD == 16 * 1024
    head = raw("GET / HTTP/1.1", "X-Pad: " + "a" * (handshake.MAX_HEAD - 100))
    assert handshake.split_head(head) is not None
    exact = raw("GET / HTTP/1.1", "X-Pad: " + "a" * (handshake.MAX_HEAD - 27))
    assert len(exact) == handshake.MAX_HEAD and handshake.split_head(exact)[0] == exact
    assert handshake.split_head(exact[:-1]) is None
    too_long = raw("GET / HTTP/1.1", "X-Pad: " + "a" * (handshake.MAX_HEAD - 26))
    with pytest.raises(HandshakeError) as caught:
        handshake.split_head(too_long)
    assert caught.value.status == 431
    # never buffers past the limit: a flood without a blank line fails at the limit
    with pytest.raises(HandshakeError):
        handshake.split_head(b"a" * handshake.MAX_HEAD)
    assert handshake.split_head(b"a" * (handshake.MAX_HEAD - 1)) is None
    with pytest.raises(HandshakeError):
        handshake.split_head(b"GET / HTTP/1.1\r\n", limit=10)
    with pytest.raises(InvalidResponse, match="client fails"):
        handshake.split_head(b"HTTP/1.1 101 x" + b"a" * 50, limit=32, side="response")


def test_answer_refuses_an_oversized_head_with_431():
    result = handshake.answer(b"GET / HTTP/1.1\r\nX: " + b"a" * handshake.MAX_HEAD)
    assert result.error.status == 431
    assert result.response.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n")


# --- the client side: validate_response (§4.1) ---------------------------------

GOOD_RESPONSE = handshake.build_response(handshake.parse_request(request_bytes()))


def test_validate_response_accepts_the_good_one():
    response = handshake.validate_response(request_bytes(), GOOD_RESPONSE)
    assert (response.status, response.reason, response.accept) == (101, "Switching Protocols", RFC_ACCEPT)
    lenient = GOOD_RESPONSE.replace(b"Upgrade: websocket", b"upgrade: WebSocket").replace(
        b"Connection: Upgrade", b"Connection: keep-alive, upgrade"
    )
    assert handshake.validate_response(request_bytes(), lenient).status == 101


@pytest.mark.parametrize(
    "mutate, check, words",
    [
        (lambda r: r.replace(b"101 Switching Protocols", b"200 OK"), 1, "200 OK, not 101"),
        (lambda r: handshake.replace_header(r, "Upgrade", None), 2, "no Upgrade"),
        (lambda r: handshake.replace_header(r, "Upgrade", "h2c"), 2, "Upgrade: h2c"),
        (lambda r: handshake.replace_header(r, "Connection", None), 3, "no Connection"),
        (lambda r: handshake.replace_header(r, "Connection", "close"), 3, "Connection: close"),
        (lambda r: handshake.replace_header(r, "Sec-WebSocket-Accept", None), 4, "no Sec-WebSocket-Accept"),
        (lambda r: handshake.replace_header(r, "Sec-WebSocket-Accept", handshake.accept_key(OTHER_KEY)), 4, RFC_ACCEPT),
        (lambda r: handshake.replace_header(r, "Sec-WebSocket-Accept", RFC_KEY), 4, "expected"),
        (lambda r: handshake.replace_header(r, "Sec-WebSocket-Extensions", "permessage-deflate"), 5, "did not offer"),
        (lambda r: handshake.replace_header(r, "Sec-WebSocket-Protocol", "chat"), 6, "did not offer (offered: none)"),
    ],
)
def test_validate_response_failures(mutate, check, words):
    with pytest.raises(InvalidResponse) as caught:
        handshake.validate_response(request_bytes(), mutate(GOOD_RESPONSE))
    assert isinstance(caught.value, HandshakeError)
    assert caught.value.rfc_section == f"4.1 response check {check}"
    assert words in caught.value.message
    assert "the client fails the WebSocket connection" in str(caught.value)


def test_validate_response_subprotocols():
    offered = request_bytes(subprotocols=["chat", "superchat"])
    request = handshake.parse_request(offered)
    good = handshake.build_response(request, subprotocol="chat")
    assert handshake.validate_response(offered, good).subprotocol == "chat"
    wrong = handshake.replace_header(good, "Sec-WebSocket-Protocol", "mqtt")
    with pytest.raises(InvalidResponse, match="'mqtt', which the client did not offer"):
        handshake.validate_response(offered, wrong)
    two = handshake.replace_header(good, "Sec-WebSocket-Protocol", "chat, superchat")
    with pytest.raises(InvalidResponse, match="at most one"):
        handshake.validate_response(offered, two)


def test_validate_response_malformed():
    with pytest.raises(InvalidResponse, match="status line"):
        handshake.validate_response(request_bytes(), b"HTTP/1.1 1O1 Switching\r\n\r\n")
    with pytest.raises(InvalidResponse, match="incomplete"):
        handshake.validate_response(request_bytes(), GOOD_RESPONSE[:-2])


def test_replace_header_and_explain():
    data = request_bytes()
    assert handshake.replace_header(data, "sec-websocket-version", "8").count(b"Version: 8") == 1
    assert b"Origin" not in handshake.replace_header(data, "Origin", None)
    assert handshake.replace_header(data, "Origin", "https://a").endswith(b"Origin: https://a\r\n\r\n")
    text = handshake.explain(handshake.parse_request(data))
    assert len(text.splitlines()) == 6 and "§4.1 item 7" in text


# --- differential: websockets (sans-I/O) ----------------------------------------


def test_websockets_client_request_is_accepted_and_our_response_accepted_by_it():
    from websockets.client import ClientProtocol
    from websockets.protocol import State
    from websockets.uri import parse_uri

    client = ClientProtocol(
        parse_uri("ws://example.com:8765/chat?x=1"), origin="http://example.com", subprotocols=["chat"]
    )
    client.send_request(client.connect())
    (data,) = client.data_to_send()
    request = handshake.parse_request(data)
    assert (request.path, request.host, request.subprotocols) == ("/chat?x=1", "example.com:8765", ["chat"])
    handshake.check_origin(request.origin, ["http://example.com"])
    client.receive_data(handshake.build_response(request, subprotocol="chat"))
    assert client.handshake_exc is None
    assert client.state is State.OPEN and client.subprotocol == "chat"


def test_websockets_client_rejects_our_tampered_response():
    from websockets.client import ClientProtocol
    from websockets.uri import parse_uri

    client = ClientProtocol(parse_uri("ws://example.com/"))
    client.send_request(client.connect())
    request = handshake.parse_request(b"".join(client.data_to_send()))
    good = handshake.build_response(request)
    client.receive_data(handshake.replace_header(good, "Sec-WebSocket-Accept", handshake.accept_key(OTHER_KEY)))
    assert client.handshake_exc is not None  # the reference agrees with our failure case


def test_our_request_is_accepted_by_websockets_server():
    from websockets.protocol import State
    from websockets.server import ServerProtocol

    data = handshake.build_request(
        "example.com", "/chat", origin="http://example.com", subprotocols=["superchat", "chat"]
    )
    server = ServerProtocol(origins=["http://example.com"], subprotocols=["chat"])
    server.receive_data(data)
    (ws_request,) = server.events_received()
    ws_response = server.accept(ws_request)
    server.send_response(ws_response)
    assert ws_response.status_code == 101 and server.state is State.OPEN
    response = handshake.validate_response(data, b"".join(server.data_to_send()))
    assert response.subprotocol == "chat"
    assert response.header("Date") is not None  # their extra headers are tolerated


def test_websockets_server_rejects_what_we_reject():
    from websockets.server import ServerProtocol

    data = handshake.replace_header(request_bytes(), "Sec-WebSocket-Key", FIFTEEN_BYTE_KEY)
    server = ServerProtocol()
    server.receive_data(data)
    (ws_request,) = server.events_received()
    assert server.accept(ws_request).status_code == 400
    with pytest.raises(HandshakeError):
        handshake.parse_request(data)


# --- differential: wsproto (h11-based) ------------------------------------------


def test_our_request_is_accepted_by_wsproto_server():
    from wsproto import ConnectionType, WSConnection
    from wsproto.events import AcceptConnection, Request

    data = handshake.build_request("example.com", "/chat", subprotocols=["chat"])
    server = WSConnection(ConnectionType.SERVER)
    server.receive_data(data)
    (event,) = list(server.events())
    assert isinstance(event, Request) and event.target == "/chat"
    assert event.subprotocols == ["chat"]
    reply = server.send(AcceptConnection(subprotocol="chat"))
    response = handshake.validate_response(data, reply)
    assert response.status == 101 and response.subprotocol == "chat"


def test_wsproto_client_accepts_our_response():
    from wsproto import ConnectionType, WSConnection
    from wsproto.events import AcceptConnection, Request

    client = WSConnection(ConnectionType.CLIENT)
    data = client.send(Request(host="example.com", target="/chat", subprotocols=["chat"]))
    request = handshake.parse_request(data)
    client.receive_data(handshake.build_response(request, subprotocol="chat"))
    (event,) = list(client.events())
    assert isinstance(event, AcceptConnection) and event.subprotocol == "chat"


def test_builders_refuse_header_injection():
    with pytest.raises(ValueError, match="control character"):
        handshake.build_request("example.com\r\nX-Injected: 1")
    with pytest.raises(ValueError, match="control character"):
        handshake.replace_header(request_bytes(), "Origin", "https://a\r\n\r\nGET /")
