"""Exercises of lesson 04 · Masking: unmask, why a proxy needs it, the XOR table."""

from __future__ import annotations

import random

from wslab import frames, masking
from wslab.codes import CloseCode
from wslab.connection import ConnectionFailed, TextMessage
from wslab.exercises import checks, solutions
from wslab.exercises import feedback as fb
from wslab.exercises.exercise import Checked, Choice, FunctionExercise, Predict
from wslab.exercises.feedback import Case, described
from wslab.frames import Frame, Opcode
from wslab.masking import RFC_MASK_KEY

TITLE = "Masking"
STEM = "04_masking"

TEXT = b"Hello, WebSocket!"


def _mask_oracle(payload: bytes, key: bytes) -> bytes:
    expected = masking.mask(payload, key)
    try:
        from websockets.utils import apply_mask
    except ImportError:  # pragma: no cover - websockets is a dependency
        return expected
    if apply_mask(payload, key) != expected:  # pragma: no cover - would be a bug in wslab
        raise AssertionError("wslab and websockets disagree on masking")
    return expected


def _unmask_cases():
    rule = "RFC 6455 §5.3: transformed[i] = original[i] XOR key[i MOD 4]"
    yield "RFC vector", (bytes.fromhex("7f 9f 4d 51 58"), RFC_MASK_KEY), b"Hello", rule
    for payload, key in (
        (b"", RFC_MASK_KEY),
        (b"\x00", RFC_MASK_KEY),
        (bytes(7), b"\xff\xff\xff\xff"),
        (b"abcd", bytes(4)),
        (bytes(range(256)), b"\x01\x02\x03\x04"),
    ):
        yield "edge case", (payload, key), _mask_oracle(payload, key), rule
    rng = random.Random("04.unmask")
    for _ in range(200):
        payload, key = rng.randbytes(rng.randrange(0, 300)), rng.randbytes(4)
        yield "random payload", (payload, key), _mask_oracle(payload, key), rule


def _unmasked_close_code() -> int:
    events = checks.receive("server", frames.encode(Frame(Opcode.TEXT, b"hello")))
    failure = next(e for e in events if isinstance(e, ConnectionFailed))
    return failure.close_code


def _normalize_byte(value):
    if isinstance(value, str):
        text = value.strip().lower().removeprefix("0x")
        try:
            return int(text, 16)
        except ValueError:
            return value
    return value


def _masked_check(ex, answer):
    data = checks.as_bytes(answer)
    if data is None:
        return fb.failed(ex.id, f"expected bytes (or hex text), got {type(answer).__name__}")
    wanted = "one masked client frame with key 01 02 03 04 that a server reads as the text 'ping'"
    shown = data.hex(" ")
    events = checks.receive("server", data)
    if events != [TextMessage("ping")]:
        return fb.failed(
            ex.id,
            "a server does not read the text message 'ping' from these bytes",
            Case(shown, described(wanted), described(checks.describe_events(events)), "RFC 6455 §5.3"),
        )
    header = frames.parse_header(data)
    if header.mask_key != b"\x01\x02\x03\x04":
        used = header.mask_key.hex(" ") if header.mask_key else "none"
        return fb.failed(
            ex.id,
            "'ping' arrives, but masked with another key",
            Case(shown, described(wanted), described(f"masking key {used}"), "RFC 6455 §5.3"),
        )
    return fb.passed(ex.id, "a server unmasks it with key 01 02 03 04 and reads the text 'ping'")


EXERCISES = [
    FunctionExercise(
        "04.unmask",
        "Write unmask(payload, key): XOR each byte with key[i % 4]",
        cases=_unmask_cases,
        oracles="wslab's masking.mask and the websockets library's apply_mask",
        solution=solutions.unmask,
        hints=[
            "Byte i of the payload is XORed with byte i % 4 of the key (Python's ^ operator).",
            "bytes(b ^ key[i % 4] for i, b in enumerate(payload))",
        ],
        explanation="One XOR per byte; the same function masks and unmasks.",
        rule="RFC 6455 §5.3",
    ),
    Choice(
        "04.why_mask",
        "Why must a browser mask every frame it sends? (one sentence)",
        options={
            "a": "so that a script cannot choose the bytes on the wire, which a proxy that does not "
            "understand WebSocket could take for an HTTP request and cache (cache poisoning)",
            "b": "to encrypt the data so that nobody on the path can read it",
            "c": "to prove to the server which client is connecting",
            "d": "to make the frames smaller",
        },
        answer="a",
        why_not={
            "b": "The key travels in the frame itself: anyone can unmask. Secrecy needs wss:// (TLS).",
            "c": "The key is random per frame and proves nothing about the client.",
            "d": "Masking adds 4 bytes and never shrinks anything.",
        },
        hints=[
            "Who chooses the key: the page's script or the browser?",
            "RFC 6455 §10.3 describes an attack on intermediaries such as transparent caching proxies.",
        ],
        explanation="§10.3: an unpredictable key per frame keeps attacker-chosen bytes off the wire.",
        rule="RFC 6455 §10.3",
    ),
    Predict(
        "04.masked_byte",
        "Mask 'Hello, WebSocket!' with 37 fa 21 3d: what is byte 5 on the wire?",
        expected=lambda: masking.mask_table(TEXT, RFC_MASK_KEY)[5][4],
        normalize=_normalize_byte,
        source="masking.mask_table",
        question="masked byte 5 (an int, or hex text like '0x..')",
        hints=[
            "Byte 5 of the payload is ','; which key byte goes with index 5?",
            "5 % 4 = 1, so key[1] = 0xfa; ',' is 0x2c. Now XOR them.",
        ],
        explanation="0x2c XOR 0xfa = 0xd6 (214).",
        rule="RFC 6455 §5.3",
    ),
    Predict(
        "04.key_index",
        "Which key byte (0-3) masks payload byte 13?",
        expected=lambda: masking.mask_table(TEXT, RFC_MASK_KEY)[13][1],
        source="masking.mask_table",
        hints=["The key repeats every 4 bytes."],
        explanation="13 % 4 = 1.",
        rule="RFC 6455 §5.3",
    ),
    Predict(
        "04.unmasked_to_server",
        "A client sends a text frame with MASK = 0. Which close code does the server send?",
        expected=_unmasked_close_code,
        source="wslab.connection.Connection",
        hints=["A broken framing rule; lesson 05 shows the server's answer byte by byte."],
        explanation=f"{int(CloseCode.PROTOCOL_ERROR)} protocol error: a server MUST close on an unmasked frame.",
        rule="RFC 6455 §5.1",
    ),
    Choice(
        "04.server_masks",
        "Does a server mask the frames it sends?",
        options={
            "a": "yes, with a key of its own",
            "b": "no: a server MUST NOT mask, and a client fails the connection on a masked frame from the server",
            "c": "only text frames",
        },
        answer="b",
        why_not={
            "a": "§5.1: 'A server MUST NOT mask any frames that it sends to the client.'",
            "c": "The rule is about who sends, not the opcode.",
        },
        hints=["The attack masking prevents needs attacker-chosen bytes from a browser."],
        explanation="Only clients mask (§5.1); the attack of §10.3 comes from script in a browser.",
        rule="RFC 6455 §5.1",
    ),
    Checked(
        "04.make_masked",
        "Make the client frame carrying the text 'ping', masked with the key 01 02 03 04",
        kind="bytes",
        checker=_masked_check,
        solution=solutions.masked_ping_text,
        hints=[
            "First byte 0x81 (FIN + text); second byte 0x80 | 4 (MASK + length 4).",
            "Then the key 01 02 03 04, then b'ping' XOR the key: your unmask() does that too.",
        ],
        explanation="81 84 01 02 03 04 then 'ping' masked.",
        rule="RFC 6455 §5.2, §5.3",
    ),
]
