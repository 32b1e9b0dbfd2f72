"""An exercise: a question, a check, hints that say more each time, and the reference solution.

The kinds differ only in how they check an answer:

- `FunctionExercise`: the student writes a function; it runs on the RFC's own
  vectors, edge cases and seeded random cases, compared with wslab's result.
- `Predict`: the student predicts a value, a set or a table (a length encoding,
  a close code, who receives an emit); compared with wslab's own computation.
- `Choice`: one answer of several ("a", "b", ...): the one-sentence "why" questions.
- `MakeBytes`: the student makes bytes that break (or keep) one rule; the bytes go
  through `wslab.connection.Connection` or `wslab.handshake.answer`, and the
  feedback names the rule they actually broke.
- `Live`: a handler or a client, checked by real clients or a real server on loopback.

No check ever raises: an exception in the student's code becomes feedback
showing its type, message and the student's own line.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from html import escape
from typing import Any

from wslab.exercises import feedback as fb
from wslab.exercises import progress_file
from wslab.exercises.feedback import Case, Feedback
from wslab.exercises.withheld import solutions_withheld

# --- placeholders ----------------------------------------------------------------


def is_placeholder(answer: Any) -> bool:
    """``...``, None, or a function whose body is only ``...``, ``pass`` or ``raise NotImplementedError``
    (after an optional docstring): the stubs an exercise notebook is saved with."""
    if answer is None or answer is Ellipsis:
        return True
    if isinstance(answer, (list, tuple, set, frozenset)):
        return any(a is Ellipsis for a in answer)
    if isinstance(answer, dict):
        return any(v is Ellipsis for v in answer.values())
    if inspect.isfunction(answer):
        return _empty_body(answer)
    return False


def _empty_body(function: Callable) -> bool:
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return False
    node = next((n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))), None)
    if node is None:
        return False
    body = node.body
    first = body[0] if body else None
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
        and len(body) > 1
    ):
        body = body[1:]  # a docstring before the placeholder
    return all(_stub_statement(s) for s in body)


def _stub_statement(statement: ast.stmt) -> bool:
    if isinstance(statement, ast.Pass):
        return True
    if isinstance(statement, ast.Expr):
        return isinstance(statement.value, ast.Constant) and statement.value.value is Ellipsis
    if isinstance(statement, ast.Raise) and statement.exc is not None:
        exc = statement.exc.func if isinstance(statement.exc, ast.Call) else statement.exc
        return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"
    return False


# --- display ---------------------------------------------------------------------


def show(obj: Any) -> None:
    """Display `obj` in a notebook (HTML and text), or print its text elsewhere."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython comes with JupyterLab
        print(repr(obj))
        return
    if get_ipython() is None:
        print(repr(obj))
    else:
        display(obj)


@dataclass(frozen=True)
class Note:
    """A hint or a solution as shown in the notebook: a title, text, and optionally code."""

    title: str
    text: str = ""
    code: str = ""

    def __repr__(self) -> str:
        parts = [self.title]
        if self.text:
            parts.append(self.text)
        if self.code:
            parts.append(self.code.rstrip())
        return "\n".join(parts)

    def _repr_html_(self) -> str:
        html = f"<div style='border-left:4px solid #0969da;padding:4px 8px;margin:2px 0'><b>{escape(self.title)}</b>"
        if self.text:
            html += f"<div>{escape(self.text)}</div>"
        if self.code:
            html += _highlight(self.code)
        return html + "</div>"


def _highlight(code: str) -> str:
    try:
        from pygments import highlight
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import PythonLexer
    except ImportError:  # pragma: no cover - pygments comes with JupyterLab
        return f"<pre>{escape(code)}</pre>"
    return highlight(code, PythonLexer(), HtmlFormatter(noclasses=True, nobackground=True))


# --- the exercise ------------------------------------------------------------------


class Exercise:
    """One exercise. `check(answer)` shows feedback and returns True/False; it never raises."""

    kind = "exercise"

    def __init__(
        self, id: str, title: str, *, hints: Iterable[str], solution: Any, explanation: str = "", rule: str = ""
    ) -> None:
        self.id = id
        self.lesson, self.name = id.split(".", 1)
        self.title = title
        self.hints = tuple(hints)
        self.reference = solution
        self.explanation = explanation
        self.rule = rule
        self._hints_shown = 0

    def __repr__(self) -> str:
        return f"<exercise {self.id} ({self.kind}): {self.title}>"

    # what the student calls

    def check(self, answer: Any = ..., *args: Any) -> bool:
        """Check `answer`, show the feedback, record a pass in the progress file."""
        result = self.evaluate(answer, *args)
        progress_file.record(result)
        show(result)
        return result.passed

    def evaluate(self, answer: Any = ..., *args: Any) -> Feedback:
        """The feedback for `answer`, without showing or recording it."""
        if is_placeholder(answer):
            return fb.not_done(self.id)
        try:
            return self._check(answer, *args)
        except Exception as exc:  # the student's object misbehaved outside a case (e.g. __eq__ raised)
            return fb.errored(self.id, exc)

    def _check(self, answer: Any, *args: Any) -> Feedback:
        raise NotImplementedError

    def model_answer(self) -> Any:
        """An answer that passes: the reference solution (what the tests check it with)."""
        return self.reference

    def hint(self, n: int | None = None) -> None:
        """Show the next hint (or hint `n`): each says more than the one before."""
        if not self.hints:
            show(Note(f"{self.id}: no hint for this one; try .solution()"))
            return
        if n is None:
            self._hints_shown = min(self._hints_shown + 1, len(self.hints))
            n = self._hints_shown
        n = max(1, min(n, len(self.hints)))
        more = "" if n == len(self.hints) else " (.hint() again for more)"
        show(Note(f"Hint {n} of {len(self.hints)} for {self.id}{more}", self.hints[n - 1]))

    def solution(self) -> None:
        """Show the reference answer, highlighted, unless the teacher has kept the solutions back."""
        show(self.solution_note())

    def solution_note(self) -> Note:
        if solutions_withheld():
            return Note(
                f"{self.id}: the teacher has kept the solutions back for this class.",
                "Ask your teacher, or try .hint() once more.",
            )
        return Note(f"Solution of {self.id}", self.explanation, self._solution_code())

    def _solution_code(self) -> str:
        return f"{self.reference!r}"


class FunctionExercise(Exercise):
    """Write a function. `cases()` yields ``(group, args, expected, rule)``; the first mismatch is shown.

    `oracles` names what the expected values agree with (e.g. "wslab and websockets"),
    `compare(got, expected)` decides equality (default ``==``, and same type for bytes/str),
    `call(function, *args)` runs one case (default: ``function(*args)``; e.g. a sequence of calls).
    """

    kind = "function"

    def __init__(
        self,
        id: str,
        title: str,
        *,
        cases: Callable[[], Iterable[tuple]],
        oracles: str = "wslab",
        compare: Callable[[Any, Any], bool] | None = None,
        show_input: Callable[..., str] | None = None,
        call: Callable[..., Any] | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(id, title, **kw)
        self.call = call or (lambda function, *args: function(*args))
        self.cases = cases
        self.oracles = oracles
        self.compare = compare or _same
        self.show_input = show_input or _call_text(self.name)

    def _check(self, answer: Any, *args: Any) -> Feedback:
        if not callable(answer):
            return fb.failed(self.id, f"expected a function, got {type(answer).__name__}")
        proven: dict[str, int] = {}
        for group, case_args, expected, rule in self.cases():
            shown = self.show_input(*case_args)
            try:
                got = self.call(answer, *case_args)
            except Exception as exc:
                return fb.errored(self.id, exc, shown, expected)
            if not self.compare(got, expected):
                return fb.failed(self.id, f"wrong result for {_short(shown)}", Case(shown, expected, got, rule))
            proven[group] = proven.get(group, 0) + 1
        counts = fb.counted(proven)
        return fb.Feedback(self.id, fb.PASSED, f"{counts}: all agree with {self.oracles}", proven=proven)

    def _solution_code(self) -> str:
        try:
            return textwrap.dedent(inspect.getsource(self.reference))
        except (OSError, TypeError):  # pragma: no cover
            return repr(self.reference)


def _same(got: Any, expected: Any) -> bool:
    if isinstance(expected, (bytes, bytearray)):
        return isinstance(got, (bytes, bytearray)) and bytes(got) == bytes(expected)
    if expected is None:
        return got is None
    return (
        type(got) is type(expected) and got == expected if isinstance(expected, (str, int, bool)) else got == expected
    )


def _call_text(name: str) -> Callable[..., str]:
    def text(*args: Any) -> str:
        return f"{name}({', '.join(_arg(a) for a in args)})"

    return text


def _arg(value: Any) -> str:
    if isinstance(value, (bytes, bytearray)) and len(value) > 24:
        return f"bytes.fromhex('{bytes(value[:12]).hex(' ')} …') ({len(value)} bytes)"
    if isinstance(value, (bytes, bytearray)):
        return f"bytes.fromhex('{bytes(value).hex(' ')}')"
    text = repr(value)
    return text if len(text) <= 90 else text[:87] + "..."


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


class Predict(Exercise):
    """Predict a value. `expected()` computes it with wslab; `normalize` turns an answer into a comparable.

    A table (a dict) is checked entry by entry and the first wrong entry is named;
    a set names who is missing or who is extra.
    """

    kind = "predict"

    def __init__(
        self,
        id: str,
        title: str,
        *,
        expected: Callable[[], Any],
        source: str = "wslab",
        normalize: Callable[[Any], Any] | None = None,
        question: str = "",
        **kw: Any,
    ) -> None:
        kw.setdefault("solution", None)
        super().__init__(id, title, **kw)
        self.expected = expected
        self.source = source
        self.normalize = normalize or (lambda v: v)
        self.question = question

    def _check(self, answer: Any, *args: Any) -> Feedback:
        expected = self.expected()
        if isinstance(expected, dict):
            return self._check_table(answer, expected)
        got = self.normalize(answer)
        if isinstance(expected, (set, frozenset)):
            got = set(got) if isinstance(got, (list, tuple, set, frozenset)) else got
            if got == set(expected):
                return fb.passed(self.id, f"{_fmt(expected)}: right (checked against {self.source})")
            return fb.failed(
                self.id, _set_difference(got, expected), Case(self.title, set(expected), got, self.rule, reveal=False)
            )
        if _equal(got, expected):
            return fb.passed(self.id, f"{_fmt(expected)}: right (checked against {self.source})")
        return fb.failed(self.id, f"{answer!r} is not it", Case(self.title, expected, answer, self.rule, reveal=False))

    def model_answer(self) -> Any:
        return self.expected()

    def _check_table(self, answer: Any, expected: dict) -> Feedback:
        if not isinstance(answer, dict):
            return fb.failed(self.id, f"expected a dict with the keys {list(expected)}, got {type(answer).__name__}")
        missing = [k for k in expected if k not in answer]
        if missing:
            return fb.failed(self.id, f"your dict has no entry {missing[0]!r}")
        for key, value in expected.items():
            got = self.normalize(answer[key])
            if isinstance(value, (set, frozenset)) and isinstance(got, (list, tuple, set, frozenset)):
                got = set(got)
            if not _equal(got, value):
                why = _set_difference(got, value) if isinstance(value, (set, frozenset)) else ""
                rule = self.rule(key) if callable(self.rule) else self.rule
                return fb.failed(
                    self.id,
                    f"the entry {key!r} is not right" + (f": {why}" if why else ""),
                    Case(repr(key), value, answer[key], rule, reveal=False),
                )
        return fb.passed(self.id, f"all {len(expected)} entries right (checked against {self.source})")

    def _solution_code(self) -> str:
        value = self.expected()
        if isinstance(value, dict):
            body = "".join(f"    {k!r}: {_fmt(v)},\n" for k, v in value.items())
            return "{\n" + body + "}"
        return _fmt(value)


def _equal(got: Any, expected: Any) -> bool:
    if isinstance(expected, float):
        return isinstance(got, (int, float)) and not isinstance(got, bool) and abs(got - expected) < 0.05
    if isinstance(expected, bool) or isinstance(got, bool):
        return type(got) is type(expected) and got == expected
    return got == expected


def _fmt(value: Any) -> str:
    if isinstance(value, (set, frozenset)):
        return "{" + ", ".join(repr(v) for v in _sorted(value)) + "}" if value else "set()"
    return repr(value)


def _set_difference(got: Any, expected: Any) -> str:
    if not isinstance(got, (set, frozenset)):
        return f"expected a set, got {type(got).__name__}"
    extra, missing = sorted(set(got) - set(expected), key=repr), sorted(set(expected) - set(got), key=repr)
    parts = []
    if missing:
        parts.append(
            f"{', '.join(map(str, missing))} also receive{'s' if len(missing) == 1 else ''} it"
            if all(isinstance(m, str) for m in missing)
            else f"missing {', '.join(map(repr, missing))}"
        )
    if extra:
        parts.append(
            f"{', '.join(map(str, extra))} do{'es' if len(extra) == 1 else ''} not"
            if all(isinstance(e, str) for e in extra)
            else f"not {', '.join(map(repr, extra))}"
        )
    return "; ".join(parts)


class Choice(Exercise):
    """One of several answers, given by its letter. Each wrong letter has its own explanation."""

    kind = "choice"

    def __init__(
        self, id: str, title: str, *, options: dict[str, str], answer: str, why_not: dict[str, str], **kw: Any
    ) -> None:
        kw.setdefault("solution", answer)
        super().__init__(id, title, **kw)
        self.options = options
        self.answer = answer
        self.why_not = why_not

    def _check(self, answer: Any, *args: Any) -> Feedback:
        letter = str(answer).strip().lower().strip("()")
        if letter not in self.options:
            return fb.failed(self.id, f"answer with one of the letters {', '.join(map(repr, self.options))}")
        if letter == self.answer:
            return fb.passed(self.id, f"({letter}) {self.options[letter]}")
        return fb.failed(
            self.id,
            f"({letter}) is not it",
            Case(
                f"({letter}) {self.options[letter]}",
                self.answer,
                letter,
                self.rule,
                self.why_not.get(letter, ""),
                reveal=False,
            ),
        )

    def _solution_code(self) -> str:
        return f'"{self.answer}"   # {self.options[self.answer]}'


class Checked(Exercise):
    """An exercise with its own check function: ``check(answer, *args) -> Feedback``.

    Used by the make-bytes and live kinds, whose checks feed bytes to a
    `Connection` or connect real clients (see `wslab.exercises.checks`).
    """

    def __init__(self, id: str, title: str, *, kind: str, checker: Callable[..., Feedback], **kw: Any) -> None:
        super().__init__(id, title, **kw)
        self.kind = kind
        self.checker = checker

    def _check(self, answer: Any, *args: Any) -> Feedback:
        return self.checker(self, answer, *args)

    def model_answer(self) -> Any:
        """For make-bytes the reference is a function that makes the bytes: its result passes."""
        return self.reference() if self.kind == "bytes" else self.reference

    def _solution_code(self) -> str:
        if callable(self.reference):
            try:
                return textwrap.dedent(inspect.getsource(self.reference))
            except (OSError, TypeError):  # pragma: no cover
                pass
        if isinstance(self.reference, (bytes, bytearray)):
            return f'bytes.fromhex("{bytes(self.reference).hex(" ")}")'
        return repr(self.reference)


def _sorted(values) -> list:
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=repr)
