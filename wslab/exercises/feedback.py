"""What a check says: ✓ with what was proven, ✗ with the first failing case, or "not done yet".

Every result is a `Feedback` carrying its facts as attributes (the tests read
those, never the text) and rendered both as HTML and as plain text, the same
bytes on every run so exercise notebooks pass strict nbval.
"""

from __future__ import annotations

import sysconfig
import traceback
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from wslab.frames import Frame, Opcode

_PACKAGE = Path(__file__).resolve().parent.parent  # the wslab package
_STDLIB = Path(sysconfig.get_paths()["stdlib"]).resolve()

PASSED, FAILED, NOT_DONE, ERROR = "passed", "failed", "not done", "error"


@dataclass(frozen=True)
class StudentError:
    """An exception raised by the student's code: its type, message and the student's own line."""

    type: str
    message: str
    lineno: int | None = None
    line: str = ""

    def __str__(self) -> str:
        where = f" (line {self.lineno}: {self.line})" if self.line else ""
        return f"{self.type}: {self.message}{where}"


def student_error(exc: BaseException) -> StudentError:
    """The exception as a student needs it: no traceback, no frame of wslab or of the libraries.

    The line shown is the innermost frame of the student's own code (a notebook
    cell or their own file), so a mistake inside a call they made into wslab
    points at their call.
    """
    own = [f for f in traceback.extract_tb(exc.__traceback__) if not _is_library(f.filename)]
    frame = own[-1] if own else None
    message = str(exc) if str(exc) else "(no message)"
    if frame is None:
        return StudentError(type(exc).__name__, message)
    return StudentError(type(exc).__name__, message, frame.lineno, (frame.line or "").strip())


def _is_library(filename: str) -> bool:
    """Whether a traceback frame belongs to wslab, the standard library or an installed package."""
    if filename.startswith("<"):  # <frozen ...>, <string>: not something the student wrote
        return True
    try:
        path = Path(filename).resolve()
    except (OSError, ValueError):
        return False
    if _PACKAGE in path.parents or "site-packages" in path.parts or "dist-packages" in path.parts:
        return True
    return _STDLIB in path.parents


@dataclass(frozen=True)
class Case:
    """One failing case: what went in, what should have come out, what came out, and why."""

    input: str  # shown as the student would write it
    expected: Any
    got: Any
    rule: str = ""  # e.g. "RFC 6455 §1.3"
    note: str = ""  # one sentence a teacher would add
    reveal: bool = True  # False for predictions: the expected value is not printed


@dataclass(frozen=True)
class Feedback:
    """The result of one check. ``bool(feedback)`` is whether it passed."""

    exercise: str  # the exercise id, e.g. "02.accept_key"
    status: str  # PASSED, FAILED, NOT_DONE or ERROR
    summary: str  # the one line shown after ✓ / ✗ / …
    case: Case | None = None  # the first failing case
    error: StudentError | None = None
    proven: dict[str, int] = field(default_factory=dict)  # what a pass proved: group -> count

    def __bool__(self) -> bool:
        return self.status == PASSED

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    @property
    def rule(self) -> str:
        return self.case.rule if self.case else ""

    @property
    def mark(self) -> str:
        return {PASSED: "✓", NOT_DONE: "…"}.get(self.status, "✗")

    def lines(self) -> list[tuple[str, str]]:
        """(label, text) rows under the summary line."""
        rows: list[tuple[str, str]] = []
        if self.case is not None:
            c = self.case
            rows.append(("input", c.input))
            if c.reveal:
                rows.append(("expected", _show(c.expected)))
            rows.append(("got", _show(c.got)))
            if c.rule:
                rows.append(("rule", c.rule))
            if c.note:
                rows.append(("why", c.note))
        if self.error is not None:
            rows.append(("error", f"{self.error.type}: {self.error.message}"))
            if self.error.line:
                rows.append(("your line", f"{self.error.lineno}: {self.error.line}"))
        return rows

    def __repr__(self) -> str:
        text = [f"{self.mark} {self.exercise}: {self.summary}"]
        text += [f"    {label + ':':<10} {value}" for label, value in self.lines()]
        return "\n".join(text)

    def _repr_html_(self) -> str:
        colour = {PASSED: "#1a7f37", NOT_DONE: "#6e7781"}.get(self.status, "#cf222e")
        rows = "".join(
            f"<tr><td style='padding:0 8px 0 0;color:#57606a'>{escape(label)}</td>"
            f"<td style='font-family:monospace;white-space:pre-wrap'>{escape(value)}</td></tr>"
            for label, value in self.lines()
        )
        table = f"<table style='margin:4px 0 0 18px;font-size:13px'>{rows}</table>" if rows else ""
        return (
            f"<div style='border-left:4px solid {colour};padding:4px 8px;margin:2px 0'>"
            f"<b style='color:{colour}'>{self.mark}</b> <code>{escape(self.exercise)}</code>: "
            f"{escape(self.summary)}{table}</div>"
        )


def _show(value: Any) -> str:
    if isinstance(value, list) and any(isinstance(v, Frame) for v in value):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, Frame):  # the fields that matter, not the dataclass's full repr
        bits = "".join(f", {name}=True" for name in ("rsv1", "rsv2", "rsv3") if getattr(value, name))
        opcode = value.opcode.name if isinstance(value.opcode, Opcode) else value.opcode
        return f"Frame({opcode}, {value.payload!r}{'' if value.fin else ', fin=False'}{bits})"
    if isinstance(value, (bytes, bytearray)):
        return f"bytes {bytes(value).hex(' ') or '(empty)'}" if value else "b'' (empty)"
    if isinstance(value, (set, frozenset)):
        return "{" + ", ".join(repr(v) for v in _sorted(value)) + "}" if value else "set() (nobody)"
    if isinstance(value, str) and value.startswith("\x00"):
        return value[1:]  # a description, not a value
    return repr(value)


def described(text: str) -> str:
    """A value shown as a description (e.g. "a 1002 close because of RSV2") rather than its repr."""
    return "\x00" + text


def passed(exercise: str, proven: dict[str, int] | str) -> Feedback:
    """✓ with what was proven: {"RFC vector": 1, "random key": 200} or a sentence."""
    if isinstance(proven, str):
        return Feedback(exercise, PASSED, proven)
    return Feedback(
        exercise, PASSED, "all " + _and(f"{n} {_plural(group, n)}" for group, n in proven.items()), proven=dict(proven)
    )


def counted(proven: dict[str, int]) -> str:
    """``{"RFC vector": 1, "random key": 200}`` -> "1 RFC vector and 200 random keys"."""
    return _and(f"{n} {_plural(group, n)}" for group, n in proven.items())


def failed(exercise: str, summary: str, case: Case | None = None) -> Feedback:
    return Feedback(exercise, FAILED, summary, case=case)


def errored(exercise: str, exc: BaseException, input: str = "", expected: Any = None) -> Feedback:
    error = student_error(exc)
    case = Case(input, expected, described("an exception"), reveal=expected is not None) if input else None
    summary = f"your code raised {error.type}" + (f" on {input}" if input and len(input) <= 60 else "")
    return Feedback(exercise, ERROR, summary, case=case, error=error)


def not_done(exercise: str, what: str = "") -> Feedback:
    return Feedback(
        exercise,
        NOT_DONE,
        "not done yet" + (f": {what}" if what else ": replace the ... with your answer, then run the cell"),
    )


def _plural(word: str, n: int) -> str:
    if n == 1 or word.endswith("s"):
        return word
    if word.endswith("y") and not word.endswith("ey"):
        return word[:-1] + "ies"
    return word + "s"


def _and(parts: Any) -> str:
    parts = list(parts)
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _sorted(values) -> list:
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=repr)
