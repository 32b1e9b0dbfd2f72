"""Checks shared by the make-bytes and live exercises.

Make bytes: the student's bytes go through wslab itself (a `Connection`, or
`handshake.answer` for a request), and the feedback names the rule the bytes
actually broke, from the error's attributes (`close_code`, `field`,
`rfc_section`, `status`), never from its text.

Live: the student's handler or client runs against real clients or a real
server on the loopback interface, in a thread with an event loop of its own,
so a check is a plain call even inside a notebook whose loop is running.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any

from wslab import handshake
from wslab.codes import close_code_name
from wslab.connection import BinaryMessage, Connection, ConnectionFailed, Event, Ping, Pong, TextMessage
from wslab.exercises import feedback as fb
from wslab.exercises.feedback import Case, Feedback, described
from wslab.frames import FrameParser

LIVE_TIMEOUT = 10.0  # seconds for one live check, all clients included


def as_bytes(answer: Any) -> bytes | None:
    """bytes, a bytearray, or hex text such as ``"81 05 48 65 6c 6c 6f"``; None if it is none of those."""
    if isinstance(answer, (bytes, bytearray, memoryview)):
        return bytes(answer)
    if isinstance(answer, str):
        try:
            return bytes.fromhex(answer)
        except ValueError:
            return None
    return None


def describe_events(events: list[Event]) -> str:
    if not events:
        return "no event: the receiver waits for more bytes"
    return ", ".join(_event(e) for e in events)


def _event(event: Event) -> str:
    if isinstance(event, TextMessage):
        return f"a text message {event.data!r}"
    if isinstance(event, BinaryMessage):
        return f"a binary message {event.data!r}"
    if isinstance(event, (Ping, Pong)):
        return f"a {type(event).__name__} {event.payload!r}"
    if isinstance(event, ConnectionFailed):
        return failure_text(event)
    return f"a Close frame (code {event.code})"


def failure_text(event: ConnectionFailed) -> str:
    error = event.error
    field = f" [{error.field}]" if error.field else ""
    return f"fails with {close_code_name(error.close_code)}{field}: {error.message} (§{error.rfc_section})"


def receive(role: str, data: bytes, max_message_size: int | None = 1 << 20) -> list[Event]:
    """What a `Connection` of `role` makes of `data`."""
    return Connection(role, max_message_size=max_message_size).receive_data(data)  # type: ignore[arg-type]


def frame_breaks(receiver: str, *, code: int, field: str | None, wanted: str, rule: str) -> Callable[..., Feedback]:
    """A check: the bytes make a `receiver` ("server"/"client") fail with `code` because of `field`."""

    def check(ex: Any, answer: Any) -> Feedback:
        data = as_bytes(answer)
        if data is None:
            return fb.failed(ex.id, f"expected bytes (or hex text), got {type(answer).__name__}")
        events = receive(receiver, data)
        shown = data.hex(" ")
        failure = next((e for e in events if isinstance(e, ConnectionFailed)), None)
        if failure is None:
            return fb.failed(
                ex.id,
                f"the {receiver} accepts these bytes",
                Case(shown, described(wanted), described(describe_events(events)), rule),
            )
        error = failure.error
        if error.close_code == code and (field is None or error.field == field):
            return fb.passed(ex.id, f"the {receiver} {failure_text(failure)}")
        return fb.failed(
            ex.id,
            "your bytes break another rule first",
            Case(shown, described(wanted), described(f"the {receiver} " + failure_text(failure)), rule),
        )

    return check


def frames_in(data: bytes) -> list:
    """The frames in `data` (read without role rules), for counting them."""
    parser = FrameParser()
    parser.feed(data)
    return list(parser)


def request_refused(
    *, status: int, section: str | None, wanted: str, rule: str, allowed_origins: list[str] | None = None
) -> Callable[..., Feedback]:
    """A check: `handshake.answer` refuses the request bytes with `status` (and rule `section`)."""

    def check(ex: Any, answer: Any) -> Feedback:
        data = answer.encode("latin-1") if isinstance(answer, str) else as_bytes(answer)
        if data is None:
            return fb.failed(ex.id, f"expected the request as bytes, got {type(answer).__name__}")
        shown = data.decode("latin-1").replace("\r\n", "⏎ ")
        verdict = handshake.answer(data, allowed_origins=allowed_origins)
        if verdict.error is None:
            return fb.failed(
                ex.id,
                "the server accepts this request (101 Switching Protocols)",
                Case(shown, described(wanted), described("101 Switching Protocols"), rule),
            )
        error = verdict.error
        if error.status == status and (section is None or error.rfc_section == section):
            return fb.passed(ex.id, f"the server answers HTTP {error.status}: {error.message} (§{error.rfc_section})")
        return fb.failed(
            ex.id,
            "the server refuses it for another reason",
            Case(
                shown,
                described(wanted),
                described(f"HTTP {error.status}: {error.message} (§{error.rfc_section})"),
                rule,
            ),
        )

    return check


class LiveTimeout(Exception):
    """A live check took longer than `LIVE_TIMEOUT`."""


def run_live(make: Callable[[], Coroutine[Any, Any, Any]], timeout: float = LIVE_TIMEOUT) -> Any:
    """Run a coroutine on a fresh event loop in a thread of its own; its result, or its exception raised here."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = asyncio.run(asyncio.wait_for(make(), timeout))
        except BaseException as exc:  # handed to the caller, which turns it into feedback
            box["error"] = exc

    thread = threading.Thread(target=target, name="wslab-exercise-check", daemon=True)
    thread.start()
    thread.join(timeout + 5)
    if thread.is_alive():
        raise LiveTimeout(f"the check did not finish within {timeout:.0f} s")
    if "error" in box:
        raise box["error"]
    return box.get("result")
