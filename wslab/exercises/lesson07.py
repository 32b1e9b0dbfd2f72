"""Exercises of lesson 07 · Origin and CORS: the allow-list, its 403, and what it cannot stop."""

from __future__ import annotations

import random
from urllib.parse import urlsplit

from wslab import handshake
from wslab.errors import HandshakeError
from wslab.exercises import checks, solutions
from wslab.exercises.exercise import Checked, Choice, FunctionExercise, Predict

TITLE = "Origin and CORS"
STEM = "07_origin_and_cors"

ALLOWED = ["https://chat.example"]
PAGE = "http://localhost:8888/lab/tree/07_origin_and_cors.ipynb"


def _allowed_oracle(origin, allowed) -> bool:
    try:
        handshake.check_origin(origin, allowed)
    except HandshakeError:
        return False
    return True


def _origin_cases():
    rule = "RFC 6455 §10.2 (refuse unexpected origins with 403), §4.1 item 8 (only browsers must send Origin)"
    edge = [
        (None, ALLOWED),
        ("https://chat.example", ALLOWED),
        ("HTTPS://CHAT.EXAMPLE", ALLOWED),
        ("http://chat.example", ALLOWED),
        ("https://chat.example:8443", ALLOWED),
        ("https://evil.example", ALLOWED),
        ("null", ALLOWED),
        ("https://chat.example.evil.example", ALLOWED),
        ("https://evil.example", ["*"]),
        ("http://localhost:8888", ["http://localhost:8888", "https://chat.example"]),
        ("https://a.example", []),
    ]
    for origin, allowed in edge:
        yield "edge case", (origin, allowed), _allowed_oracle(origin, allowed), rule
    rng = random.Random("07.origin_allowed")
    hosts = ["chat.example", "evil.example", "localhost:8888", "127.0.0.1:5000", "Chat.Example"]
    for _ in range(100):
        allowed = [f"{rng.choice(('http', 'https'))}://{rng.choice(hosts)}" for _ in range(rng.randrange(0, 3))]
        origin = rng.choice((None, f"{rng.choice(('http', 'https', 'HTTP'))}://{rng.choice(hosts)}"))
        yield "random origin", (origin, allowed), _allowed_oracle(origin, allowed), rule


def _refusal_status(request: bytes) -> int | None:
    error = handshake.answer(request, allowed_origins=ALLOWED).error
    return None if error is None else error.status


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


EXERCISES = [
    FunctionExercise(
        "07.origin_allowed",
        "Write origin_allowed(origin, allowed): the server's Origin check",
        cases=_origin_cases,
        oracles="wslab's handshake.check_origin",
        solution=solutions.origin_allowed,
        hints=[
            "A request without Origin (None) comes from a program, not a browser: let it through.",
            "Compare case-insensitively; '*' in the list allows every origin.",
            "The scheme and the port are part of the origin: http:// and https:// differ.",
        ],
        explanation="None passes, '*' passes, else a case-insensitive exact match.",
        rule="RFC 6455 §10.2",
    ),
    Predict(
        "07.refused_status",
        "A server's allow-list is ['https://chat.example']; a page from "
        "https://evil.example connects. Which HTTP status does it answer?",
        expected=lambda: _refusal_status(handshake.build_request("chat.example", "/", origin="https://evil.example")),
        source="handshake.answer",
        hints=["It is the status for 'I understood you, and the answer is no'."],
        explanation="403 Forbidden (§10.2, §4.2.2).",
        rule="RFC 6455 §10.2",
    ),
    Predict(
        "07.page_origin",
        f"What Origin does a browser send for a page at {PAGE}?",
        expected=lambda: _origin_of(PAGE),
        source="the origin of the URL (scheme://host:port)",
        hints=["An origin is scheme, host and port.", "No path."],
        explanation="'http://localhost:8888': the path is not part of the origin.",
        rule="RFC 6455 §4.1 item 8",
    ),
    Choice(
        "07.cswsh",
        "You are logged in to bank.example. A page on evil.example runs "
        "new WebSocket('wss://bank.example/live'). What stops it from acting as you?",
        options={
            "a": "CORS: the browser blocks cross-site WebSocket connections",
            "b": "only the bank's server, checking Origin against its allow-list and answering 403",
            "c": "Sec-WebSocket-Key: the evil page cannot compute the accept value",
            "d": "nothing can stop it",
        },
        answer="b",
        why_not={
            "a": "Browsers apply no CORS to WebSocket; they send the bank's cookies with the handshake.",
            "c": "The browser computes and checks the key for the page; it is not a secret.",
            "d": "The server sees Origin: https://evil.example, which the page cannot change.",
        },
        hints=["What does the browser add to the handshake that the evil page's script cannot change?"],
        explanation="Cross-site WebSocket hijacking is stopped by the server's Origin check (§10.2).",
        rule="RFC 6455 §10.2",
    ),
    Choice(
        "07.forged",
        "Does the allow-list stop a Python script that sends Origin: https://chat.example?",
        options={
            "a": "yes: the Origin is checked",
            "b": "no: a program may send any Origin; only real "
            "authentication (a token, a session) says who is connecting",
        },
        answer="b",
        why_not={"a": "Lesson 07 section 4: the forged client was accepted and echoed."},
        hints=["Who writes the Origin header when the client is not a browser?"],
        explanation="Origin protects browser users from other pages, nothing more.",
        rule="RFC 6455 §10.5",
    ),
    Checked(
        "07.make_refused",
        "Make a handshake request that a server with the allow-list ['https://chat.example'] refuses with 403",
        kind="bytes",
        checker=checks.request_refused(
            status=403,
            section="10.2",
            allowed_origins=ALLOWED,
            wanted="HTTP 403 because of the Origin (§10.2)",
            rule="RFC 6455 §10.2",
        ),
        solution=solutions.foreign_origin_request,
        hints=[
            "handshake.build_request(host, path, origin=...) builds a valid request.",
            "Every rule of §4.2.1 kept: only the Origin is not on the list.",
        ],
        explanation="A valid request with Origin: https://evil.example.",
    ),
    Choice(
        "07.cors_option",
        "What does Socket.IO's cors: { origin: '*', methods: ['GET', 'POST'] } control?",
        options={
            "a": "which pages may open a WebSocket to the server",
            "b": "the CORS headers on the HTTP long-polling requests (GET polls, POST sends)",
            "c": "nothing at all",
        },
        answer="b",
        why_not={
            "a": "CORS does not apply to WebSocket; restrict those with an Origin check (allowRequest).",
            "c": "It matters for long-polling from another origin.",
        },
        hints=["Which of Socket.IO's transports is plain HTTP requests made by script?"],
        explanation="CORS governs fetch/XHR: Socket.IO's polling transport.",
        rule="",
    ),
]
