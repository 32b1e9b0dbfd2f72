"""Exercises of lesson 01 · Why WebSocket: the two documents, the overhead measured."""

from __future__ import annotations

import random

from wslab import frames
from wslab.exercises import solutions
from wslab.exercises.exercise import Choice, FunctionExercise, Predict
from wslab.masking import RFC_MASK_KEY
from wslab.viz.overhead import overhead

TITLE = "Why WebSocket"
STEM = "01_why_websocket"

KIB = 1024


def _overhead_cases():
    def case(group, size, masked):
        frame = frames.Frame(frames.Opcode.BINARY, bytes(size))
        expected = len(frames.encode(frame, RFC_MASK_KEY if masked else None)) - size
        return group, (size, masked), expected, "RFC 6455 §5.2 (7-bit, 16-bit or 64-bit length), §5.3 (+4 key bytes)"

    for size in (0, 1, 125, 126, 127, 1024, 65535, 65536, 70000):
        for masked in (False, True):
            yield case("edge case", size, masked)
    rng = random.Random("01.frame_overhead")
    for _ in range(100):
        yield case(
            "random size",
            rng.choice((rng.randrange(126), rng.randrange(65536), rng.randrange(200_000))),
            rng.random() < 0.5,
        )


EXERCISES = [
    Choice(
        "01.two_documents",
        "Which document defines the bytes a WebSocket connection puts on the wire?",
        options={"a": "the HTML5 specification", "b": "RFC 6455, from the IETF", "c": "the WHATWG WebSockets Standard"},
        answer="b",
        why_not={
            "a": "HTML5-era HTML only ever held the JavaScript API, never the protocol.",
            "c": "The WHATWG standard defines the browser's JavaScript API (new WebSocket, send, onmessage).",
        },
        hints=[
            "Two documents are both called 'WebSocket': one for the wire, one for JavaScript.",
            "The protocol (handshake, frames) is an Internet standard; the API is a web standard.",
        ],
        explanation="RFC 6455 (IETF, 2011) defines the protocol; the WHATWG WebSockets Standard the browser API.",
        rule="RFC 6455 §1",
    ),
    FunctionExercise(
        "01.frame_overhead",
        "Write frame_overhead(size, masked): bytes of frame header for a payload of `size` bytes",
        cases=_overhead_cases,
        oracles="len(frames.encode(...)) - size",
        solution=solutions.frame_overhead,
        hints=[
            "The 7-bit length field holds 0-125; 126 and 127 announce a 16-bit or a 64-bit length.",
            "So the header is 2, 4 or 10 bytes; a client (masked=True) adds its 4-byte masking key.",
            "if size <= 125: 2, elif size <= 65535: 4, else 10; then + 4 if masked.",
        ],
        explanation="The length field picks 2, 4 or 10 bytes; masking adds 4.",
        rule="RFC 6455 §5.2",
    ),
    Predict(
        "01.header_1k",
        "How many bytes of frame header carry a 1 KiB (1024-byte) message?",
        expected=lambda: {"client": overhead(KIB).masked_frame_header, "server": overhead(KIB).frame_header},
        source="wslab.viz.overhead",
        question="{'client': ..., 'server': ...} for a 1024-byte message",
        hints=[
            "1024 does not fit in the 7-bit length field (0-125), but it fits in 16 bits.",
            "2 bytes + a 2-byte extended length; a client adds 4 bytes of masking key.",
        ],
        explanation="1024 needs the 16-bit extended length: 4 bytes from the server, 4 + 4 from a client.",
        rule="RFC 6455 §5.2",
    ),
    Predict(
        "01.crossover_1k",
        "From how many 1 KiB messages does WebSocket send fewer bytes than polling?",
        expected=lambda: overhead(KIB).crossover,
        source="wslab.viz.overhead",
        question="the crossover N for 1024-byte messages",
        hints=[
            "print(overhead(1024)) gives every size; polling pays request + response head per message.",
            "WebSocket pays the handshake once, then 4 bytes of header per 1024-byte message.",
            "Find the smallest N with N * per_poll > handshake + N * per_frame.",
        ],
        explanation="One poll costs about as much as the handshake: from N = 2 WebSocket is cheaper.",
    ),
    Predict(
        "01.bytes_100",
        "100 messages of 1 KiB: how many bytes in all for polling and for WebSocket?",
        expected=lambda: {"polling": overhead(KIB).polling_bytes(100), "websocket": overhead(KIB).websocket_bytes(100)},
        source="wslab.viz.overhead",
        question="{'polling': ..., 'websocket': ...} for 100 messages of 1024 bytes",
        hints=[
            "Polling: 100 × (request + response head + 1024).",
            "WebSocket: handshake request + handshake response, then 100 × (4 + 1024).",
        ],
        explanation="The sizes of print(overhead(1024)), multiplied out.",
    ),
    Choice(
        "01.frame_metadata",
        "After the handshake, what does each WebSocket message carry besides its data?",
        options={
            "a": "nothing: no metadata at all",
            "b": "a binary frame header of 2 to 14 bytes",
            "c": "a full set of HTTP headers, like polling",
        },
        answer="b",
        why_not={
            "a": "That is seed §3-2's loose statement: every frame still has a small binary header.",
            "c": "HTTP headers are sent once, in the handshake; never again on this connection.",
        },
        hints=["Look at the table of frame header sizes in lesson 01, section 3."],
        explanation="2, 4 or 10 bytes of header, plus a 4-byte masking key from a client: 2 to 14 bytes.",
        rule="RFC 6455 §5.2",
    ),
    Choice(
        "01.latency",
        "Why does a WebSocket deliver a server's news sooner than polling?",
        options={
            "a": "its frames are smaller",
            "b": "the server sends as soon as it has something: it does not wait for the client's next request",
            "c": "it runs over UDP instead of TCP",
        },
        answer="b",
        why_not={
            "a": "Smaller frames save bytes, not waiting time.",
            "c": "WebSocket runs over the same TCP connection the handshake used.",
        },
        hints=["With polling, who has to ask before news can travel?"],
        explanation="A persistent two-way connection lets the server push at once (seed §2-3).",
    ),
]
