"""Self-checking exercises for lessons 01-09, in the style of Kaggle Learn's notebooks.

    from wslab import exercises
    ex = exercises.lesson("02")            # the exercises of lesson 02
    ex.accept_key.check(my_accept_key)     # shows ✓/✗ feedback, returns True/False, never raises
    ex.accept_key.hint()                   # hint(1), hint(2): more help each time
    ex.accept_key.solution()               # the reference answer, highlighted
    exercises.get("02.accept_key")         # the same object by id; exercises.all() lists every one
    exercises.progress()                   # what this student has passed, lesson by lesson

The exercises are defined lesson by lesson in ``lessonNN.py``; every reference
solution lives in `wslab.exercises.solutions` (the capstone server imports
the same functions); `progress` keeps what was passed; `withheld` honours a
class set written without solutions.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator

from wslab.exercises.exercise import Exercise
from wslab.exercises.feedback import Feedback
from wslab.exercises.progress_file import Progress

__all__ = ["lesson", "get", "all", "progress", "lessons", "Exercise", "Feedback", "Lesson", "LESSONS"]

LESSONS = ("01", "02", "03", "04", "05", "06", "07", "08", "09")


class Lesson:
    """The exercises of one lesson, by attribute: ``lesson("03").parse_header``."""

    def __init__(self, number: str, title: str, stem: str, exercises: list[Exercise]) -> None:
        self.number = number
        self.title = title
        self.stem = stem
        self._by_name = {e.name: e for e in exercises}

    def __getattr__(self, name: str) -> Exercise:
        try:
            return self.__dict__["_by_name"][name]
        except KeyError:
            names = ", ".join(self.__dict__.get("_by_name", {}))
            raise AttributeError(
                f"lesson {self.__dict__.get('number')} has no exercise {name!r}; it has: {names}"
            ) from None

    def __dir__(self) -> list[str]:
        return [*super().__dir__(), *self._by_name]

    def __iter__(self) -> Iterator[Exercise]:
        return iter(self._by_name.values())

    def __len__(self) -> int:
        return len(self._by_name)

    def __repr__(self) -> str:
        lines = [f"Lesson {self.number} · {self.title}: {len(self)} exercises"]
        lines += [f"  {e.name:<22} {e.kind:<9} {e.title}" for e in self]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from html import escape

        rows = "".join(
            f"<tr><td><code>{escape(e.name)}</code></td><td>{escape(e.kind)}</td><td>{escape(e.title)}</td></tr>"
            for e in self
        )
        return (
            f"<b>Lesson {escape(self.number)} · {escape(self.title)}</b>: {len(self)} exercises"
            f"<table style='font-size:13px'>{rows}</table>"
        )


_lessons: dict[str, Lesson] = {}


def lessons() -> dict[str, Lesson]:
    """Every lesson's exercises, loaded once: ``{"01": Lesson, ...}``."""
    if not _lessons:
        for number in LESSONS:
            module = importlib.import_module(f"wslab.exercises.lesson{number}")
            _lessons[number] = Lesson(number, module.TITLE, module.STEM, list(module.EXERCISES))
    return _lessons


def lesson(number: str | int) -> Lesson:
    """The exercises of one lesson: ``lesson("02")``, ``lesson(2)`` or ``lesson("02_handshake")``."""
    key = str(number).split("_", 1)[0].zfill(2)
    try:
        return lessons()[key]
    except KeyError:
        raise KeyError(f"no exercises for lesson {number!r}; lessons with exercises: {', '.join(LESSONS)}") from None


def get(exercise_id: str) -> Exercise:
    """One exercise by id, e.g. ``get("02.accept_key")``."""
    number, _, name = exercise_id.partition(".")
    return getattr(lesson(number), name)


def all() -> list[Exercise]:  # noqa: A001 - the name the issue's API asks for
    """Every exercise, lesson by lesson."""
    return [e for ls in lessons().values() for e in ls]


def progress(number: str | int | None = None) -> Progress:
    """The student's progress: a table with a bar per lesson (or only lesson `number`)."""
    from wslab.exercises import progress_file as _progress

    chosen = lessons() if number is None else {lesson(number).number: lesson(number)}
    return _progress.table({n: (ls.title, [e.id for e in ls]) for n, ls in chosen.items()})
