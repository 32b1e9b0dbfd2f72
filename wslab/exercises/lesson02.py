"""Exercises of lesson 02 · The opening handshake: the accept key, the §4.2.1 rules, who refuses what."""

from __future__ import annotations

import base64
import random

from wslab import handshake
from wslab.errors import HandshakeError
from wslab.exercises import checks, solutions
from wslab.exercises.exercise import Checked, Choice, FunctionExercise, Predict

TITLE = "The opening handshake"
STEM = "02_handshake"

REQUEST = handshake.build_request("example.com", "/chat", key=handshake.RFC_KEY, origin="http://example.com")


def _accept_oracle(key: str) -> str:
    expected = handshake.accept_key(key)
    try:
        from websockets.utils import accept_key as websockets_accept
    except ImportError:  # pragma: no cover - websockets is a dependency
        return expected
    if websockets_accept(key) != expected:  # pragma: no cover - would be a bug in wslab
        raise AssertionError(f"wslab and websockets disagree on the accept key of {key!r}")
    return expected


def _accept_cases():
    rule = "RFC 6455 §1.3, §4.2.2 item 5.4: base64(SHA-1(key + GUID)), the key taken as text"
    yield "RFC vector", (handshake.RFC_KEY,), handshake.RFC_ACCEPT, rule
    for key in ("AQIDBAUGBwgJCgsMDQ4PEA==", "AAAAAAAAAAAAAAAAAAAAAA==", "/////////////////////w=="):
        yield "edge case", (key,), _accept_oracle(key), rule
    rng = random.Random("02.accept_key")
    for _ in range(200):
        key = base64.b64encode(rng.randbytes(16)).decode()
        yield "random key", (key,), _accept_oracle(key), rule


# One broken rule per request: (description, how to break it)
_BREAKS = [
    ("POST", lambda r: r.replace(b"GET", b"POST", 1)),
    ("HTTP/1.0", lambda r: r.replace(b"HTTP/1.1", b"HTTP/1.0", 1)),
    ("HTTP/2.0", lambda r: r.replace(b"HTTP/1.1", b"HTTP/2.0", 1)),
    ("no Host", lambda r: handshake.replace_header(r, "Host", None)),
    ("two Host", lambda r: r.replace(b"\r\n\r\n", b"\r\nHost: other.example\r\n\r\n")),
    ("no Upgrade", lambda r: handshake.replace_header(r, "Upgrade", None)),
    ("Upgrade: h2c", lambda r: handshake.replace_header(r, "Upgrade", "h2c")),
    ("Connection: keep-alive", lambda r: handshake.replace_header(r, "Connection", "keep-alive")),
    ("no key", lambda r: handshake.replace_header(r, "Sec-WebSocket-Key", None)),
    ("key not base64", lambda r: handshake.replace_header(r, "Sec-WebSocket-Key", "not*base64!")),
    ("15-byte key", lambda r: handshake.replace_header(r, "Sec-WebSocket-Key", "ZmlmdGVlbiBieXRlcyEh")),
    ("two keys", lambda r: r.replace(b"\r\n\r\n", b"\r\nSec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEA==\r\n\r\n")),
    ("version 8", lambda r: handshake.replace_header(r, "Sec-WebSocket-Version", "8")),
    ("no version", lambda r: handshake.replace_header(r, "Sec-WebSocket-Version", None)),
]
# Allowed variations that keep a request valid
_FINE = [
    ("as built", lambda r: r),
    ("Connection: keep-alive, Upgrade", lambda r: handshake.replace_header(r, "Connection", "keep-alive, Upgrade")),
    ("upgrade: WebSocket", lambda r: handshake.replace_header(r, "Upgrade", "WebSocket")),
    ("HTTP/1.2", lambda r: r.replace(b"HTTP/1.1", b"HTTP/1.2", 1)),
    ("no Origin", lambda r: handshake.replace_header(r, "Origin", None)),
]


def _read(data: bytes) -> handshake.Request:
    """A Request as parsed but not judged: the kit reads the head, the student's function judges it."""
    request_line, *lines = data.decode("latin-1").split("\r\n\r\n")[0].split("\r\n")
    method, path, version = request_line.split(" ")
    headers = [(name.strip(), value.strip()) for name, _, value in (line.partition(":") for line in lines)]
    return handshake.Request(method, path, version, headers)


def _refused(data: bytes) -> HandshakeError | None:
    try:
        handshake.parse_request(data)
    except HandshakeError as error:
        return error
    return None


class _StatusOnly:
    """Compare a validate_request result by its status (the reason is the student's own words)."""

    def __call__(self, got, expected) -> bool:
        if expected is None:
            return got is None
        return isinstance(got, tuple) and len(got) == 2 and got[0] == expected[0]


def _case(group: str, data: bytes) -> tuple:
    """(group, args, expected, rule): the status and the rule wslab's own check names for these bytes."""
    error = _refused(data)
    if error is None:
        return group, (_read(data),), None, "RFC 6455 §4.2.1: every rule holds, so the server answers 101"
    return group, (_read(data),), (error.status, "any reason"), f"RFC 6455 §{error.rfc_section}: {error.message}"


def _validate_cases():
    for _name, make in _FINE:
        yield _case("valid request", make(REQUEST))
    for _name, make in _BREAKS:
        yield _case("broken rule", make(REQUEST))
    rng = random.Random("02.validate_request")
    for _ in range(100):
        key = base64.b64encode(rng.randbytes(16)).decode()
        base = handshake.build_request(f"host{rng.randrange(100)}.example", "/", key=key)
        _name, make = rng.choice(_BREAKS + _FINE)
        yield _case("random request", make(base))


def _show_request(request: handshake.Request) -> str:
    return "validate_request(" + " ⏎ ".join(str(request).split("\n")) + ")"


def _refusal(data: bytes, allowed=None) -> int | None:
    error = handshake.answer(data, allowed_origins=allowed).error
    return None if error is None else error.status


def _item(data: bytes) -> int:
    error = _refused(data)
    assert error is not None and error.rfc_section.startswith("4.2.1 item ")
    return int(error.rfc_section.rsplit(" ", 1)[1])


def _failing_items():
    return {
        "PUT instead of GET": _item(REQUEST.replace(b"GET", b"PUT", 1)),
        "no Host header": _item(handshake.replace_header(REQUEST, "Host", None)),
        "Upgrade: h2c": _item(handshake.replace_header(REQUEST, "Upgrade", "h2c")),
        "Connection: keep-alive": _item(handshake.replace_header(REQUEST, "Connection", "keep-alive")),
        "a key of 15 bytes": _item(handshake.replace_header(REQUEST, "Sec-WebSocket-Key", "ZmlmdGVlbiBieXRlcyEh")),
        "no Sec-WebSocket-Version": _item(handshake.replace_header(REQUEST, "Sec-WebSocket-Version", None)),
    }


def _item_number(value):
    """Accept 3, "3", "item 3" or "4.2.1 item 3"."""
    if isinstance(value, str) and value.strip().rsplit(" ", 1)[-1].isdigit():
        return int(value.strip().rsplit(" ", 1)[-1])
    return value


def _statuses():
    return {
        "Sec-WebSocket-Version: 8": _refusal(handshake.replace_header(REQUEST, "Sec-WebSocket-Version", "8")),
        "POST instead of GET": _refusal(REQUEST.replace(b"GET", b"POST", 1)),
        "HTTP/1.0": _refusal(REQUEST.replace(b"HTTP/1.1", b"HTTP/1.0", 1)),
        "no Sec-WebSocket-Key": _refusal(handshake.replace_header(REQUEST, "Sec-WebSocket-Key", None)),
        "Origin not on the allow-list": _refusal(REQUEST, ["https://chat.example"]),
    }


EXERCISES = [
    FunctionExercise(
        "02.accept_key",
        "Write accept_key(key): the Sec-WebSocket-Accept value for a Sec-WebSocket-Key",
        cases=_accept_cases,
        oracles="wslab and the websockets library",
        solution=solutions.accept_key,
        hints=[
            "Four steps: the key as text, + the GUID 258EAFA5-E914-47DA-95CA-C5AB0DC85B11, SHA-1, base64.",
            "hashlib.sha1(text.encode('ascii')).digest() gives the 20 bytes; do not base64-decode the key first.",
            "base64.b64encode(digest).decode('ascii') is the answer (28 characters).",
        ],
        explanation="base64(SHA-1(key + GUID)); the key is used as the text the client sent.",
        rule="RFC 6455 §1.3",
    ),
    Predict(
        "02.key_bytes",
        "How many bytes does a Sec-WebSocket-Key decode to?",
        expected=lambda: len(base64.b64decode(handshake.new_key())),
        source="handshake.new_key()",
        hints=["The key is written in base64: 24 characters.", "24 base64 characters with '==' padding: 16 bytes."],
        explanation="A nonce of 16 random bytes, base64-encoded (§4.1 item 7).",
        rule="RFC 6455 §4.1 item 7",
    ),
    FunctionExercise(
        "02.validate_request",
        "Write validate_request(request): None for a valid handshake request, else (HTTP status, reason)",
        cases=_validate_cases,
        oracles="wslab's handshake.parse_request (statuses compared)",
        compare=_StatusOnly(),
        show_input=_show_request,
        solution=solutions.validate_request,
        hints=[
            "§4.2.1 lists the rules in order: GET + HTTP/1.1, Host, Upgrade, Connection, key, version.",
            "Header names are case-insensitive and Connection is a list: 'keep-alive, Upgrade' is fine. "
            "request.header(name) and request.header_values(name) help.",
            "405 for another method, 505 below HTTP/1.1, 426 for a version other than 13, 400 for the rest. "
            "The key must be base64 (base64.b64decode(key, validate=True)) of exactly 16 bytes.",
        ],
        explanation="Each §4.2.1 rule in order; the status is what the server answers.",
        rule="RFC 6455 §4.2.1",
    ),
    Predict(
        "02.status_codes",
        "Which HTTP status does a server answer each broken request with?",
        expected=_statuses,
        source="handshake.answer",
        question="a dict: broken request -> HTTP status",
        hints=[
            "400 Bad Request is the default; three rules have a status of their own, and so does Origin.",
            "Wrong version: 426 Upgrade Required. Wrong method: 405. Old HTTP: 505. Foreign Origin: 403.",
        ],
        explanation="Lesson 02, section 5: each refusal names its rule and status.",
        rule="RFC 6455 §4.2.1, §4.4, §10.2",
    ),
    Predict(
        "02.failing_rule",
        "Name the §4.2.1 rule (its item number) each broken request fails",
        expected=_failing_items,
        normalize=_item_number,
        source="handshake.parse_request",
        question="a dict: broken request -> item number of §4.2.1",
        hints=[
            "§4.2.1 lists what the server checks, in order: 1 the request line (GET, HTTP/1.1), 2 Host, "
            "3 Upgrade, 4 Connection, 5 Sec-WebSocket-Key, 6 Sec-WebSocket-Version.",
            "The item is the header (or line) that is missing or wrong.",
        ],
        explanation="1 method, 2 Host, 3 Upgrade, 4 Connection, 5 key, 6 version.",
        rule="RFC 6455 §4.2.1",
    ),
    Checked(
        "02.make_bad_request",
        "Make the bytes of a request a server refuses because Connection lacks the Upgrade token",
        kind="bytes",
        checker=checks.request_refused(
            status=400,
            section="4.2.1 item 4",
            wanted="HTTP 400 because of §4.2.1 item 4 (Connection)",
            rule="RFC 6455 §4.2.1 item 4",
        ),
        solution=solutions.request_without_upgrade_token,
        hints=[
            "Start from handshake.build_request('example.com', '/chat') and change one header.",
            "handshake.replace_header(request, 'Connection', 'keep-alive') changes just that line.",
        ],
        explanation="Every other rule kept, only Connection broken: 400, §4.2.1 item 4.",
    ),
    Choice(
        "02.accept_proves",
        "What does a correct Sec-WebSocket-Accept prove to the client?",
        options={
            "a": "that the connection is encrypted",
            "b": "that the server read this very request as a WebSocket handshake",
            "c": "that the client is who it says it is",
            "d": "that the key stayed secret",
        },
        answer="b",
        why_not={
            "a": "Nothing is hidden: secrecy needs wss:// (TLS).",
            "c": "Anyone can compute the value; it authenticates nobody.",
            "d": "The key travels in clear text; it is a nonce, not a secret.",
        },
        hints=[
            "Who could compute base64(SHA-1(key + GUID))?",
            "Only a server that implements RFC 6455 answers with the value matching this request's key.",
        ],
        explanation="It proves the server understood the WebSocket handshake (not a cache, not a plain HTTP server).",
        rule="RFC 6455 §1.3, §10.3",
    ),
    Choice(
        "02.bad_accept",
        "The 101 response carries an accept value computed from another key. What happens?",
        options={
            "a": "the server answers 400 Bad Request",
            "b": "the client fails the WebSocket connection",
            "c": "nothing: the value is informational",
        },
        answer="b",
        why_not={
            "a": "The server has already answered; it is the client that reads the response.",
            "c": "§4.1: a client MUST fail the connection if the value is not the expected one.",
        },
        hints=["Who reads the response, and what does §4.1 tell it to check?"],
        explanation="§4.1: the client checks status, Upgrade, Connection and the accept value, else fails.",
        rule="RFC 6455 §4.1",
    ),
]
