"""What a student has passed, kept in a small JSON file.

The file is ``progress.json`` in the user's data directory (platformdirs:
``~/.local/share/wslab`` on Linux), or the path in the environment variable
``WSLAB_PROGRESS``. The test suite points that variable at a temporary file,
so running the tests never touches a student's progress and saved notebook
outputs stay the same. A file that cannot be read or written never stops a
check: progress is then simply not kept.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from html import escape
from pathlib import Path

from wslab.exercises.feedback import Feedback

ENV = "WSLAB_PROGRESS"
BAR = 20  # characters of the text bar


def progress_path() -> Path:
    """Where progress is kept: ``$WSLAB_PROGRESS``, else the user data directory."""
    override = os.environ.get(ENV)
    if override:
        return Path(override)
    from platformdirs import user_data_path

    return user_data_path("wslab", appauthor=False) / "progress.json"


def load() -> dict:
    """``{"passed": [ids], "attempts": {id: n}}``; empty when there is no readable file."""
    try:
        data = json.loads(progress_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"passed": [], "attempts": {}}
    if not isinstance(data, dict):
        return {"passed": [], "attempts": {}}
    passed = [p for p in data.get("passed", []) if isinstance(p, str)]
    attempts = {k: v for k, v in dict(data.get("attempts", {})).items() if isinstance(v, int)}
    return {"passed": passed, "attempts": attempts}


def record(result: Feedback) -> None:
    """Count an attempt (not a placeholder) and remember a pass. Never raises."""
    if result.status == "not done":
        return
    data = load()
    data["attempts"][result.exercise] = data["attempts"].get(result.exercise, 0) + 1
    if result.passed and result.exercise not in data["passed"]:
        data["passed"].append(result.exercise)
        data["passed"].sort()
    path = progress_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        temporary.replace(path)  # atomic: a crash never leaves half a file
    except OSError:
        pass


def reset() -> None:
    """Forget all progress (deletes the file)."""
    try:
        progress_path().unlink()
    except OSError:
        pass


@dataclass(frozen=True)
class Row:
    lesson: str
    title: str
    passed: int
    total: int

    @property
    def bar(self) -> str:
        filled = round(BAR * self.passed / self.total) if self.total else 0
        return "█" * filled + "░" * (BAR - filled)


@dataclass(frozen=True)
class Progress:
    """The progress table: one row per lesson, with a bar."""

    rows: tuple[Row, ...]
    passed_ids: tuple[str, ...]

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.rows)

    @property
    def total(self) -> int:
        return sum(r.total for r in self.rows)

    def __repr__(self) -> str:
        lines = [f"{'lesson':<32} {'passed':>7}"]
        for r in self.rows:
            lines.append(f"{r.lesson + ' ' + r.title:<32} {r.passed:>3}/{r.total:<3} {r.bar}")
        lines.append(f"{'all':<32} {self.passed:>3}/{self.total:<3}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        body = ""
        for r in self.rows:
            width = round(100 * r.passed / r.total) if r.total else 0
            bar = (
                f"<div style='width:160px;height:10px;background:#eaeef2;border-radius:3px'>"
                f"<div style='width:{width}%;height:10px;background:#1a7f37;border-radius:3px'></div></div>"
            )
            body += (
                f"<tr><td>{escape(r.lesson)}</td><td>{escape(r.title)}</td>"
                f"<td style='text-align:right'>{r.passed}/{r.total}</td><td>{bar}</td></tr>"
            )
        body += (
            f"<tr><td></td><td><b>all</b></td><td style='text-align:right'><b>{self.passed}/{self.total}</b></td>"
            "<td></td></tr>"
        )
        return f"<table style='font-size:13px'><tr><th>lesson</th><th></th><th>passed</th><th></th></tr>{body}</table>"


def table(lessons: dict[str, tuple[str, list[str]]]) -> Progress:
    """The table for ``{lesson: (title, [exercise ids])}`` from the progress file."""
    passed = set(load()["passed"])
    rows = tuple(Row(lesson, title, len(passed & set(ids)), len(ids)) for lesson, (title, ids) in lessons.items())
    known = {i for _, ids in lessons.values() for i in ids}
    return Progress(rows, tuple(sorted(passed & known)))
