"""The capstone's scoreboard: one row per category of the conformance suite, one box per case.

Each box is coloured by the case's grade (Autobahn's verdicts, and NOT DONE
while a function is still a placeholder); the row also says its counts in
words, so the picture reads without colour.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Protocol

from wslab.viz import style
from wslab.viz.svg import Svg

__all__ = ["scoreboard", "GRADE_FILL", "GRADES"]


def _text_width(text: str, size: float) -> float:
    """Width of `text` in the kit's monospace font at `size` px."""
    return len(text) * size * style.CHAR_WIDTH


GRADES = ["OK", "NON-STRICT", "WRONG CODE", "UNCLEAN", "FAILED", "UNIMPLEMENTED", "NOT DONE"]
GRADE_FILL = {
    "OK": "#2e7d32",
    "NON-STRICT": "#9ccc65",
    "WRONG CODE": "#f9a825",
    "UNCLEAN": "#ef6c00",
    "FAILED": "#c62828",
    "UNIMPLEMENTED": "#90a4ae",
    "NOT DONE": "#d0d0d0",
}

BOX, GAP, ROW = 11, 2, 24
LEFT, PAD = 132, 12
SIZE = 12


class _Board(Protocol):
    not_done: list[str]

    @property
    def results(self) -> Sequence: ...

    def grade(self, result) -> str: ...

    def summary(self) -> str: ...


def scoreboard(board: _Board, *, title: str = "Your server against the conformance suite") -> Svg:
    """The scoreboard of a `wslab.exercises.capstone.Scoreboard` (or anything with results, grade, summary)."""
    rows: dict[str, list[str]] = {}
    for result in board.results:
        rows.setdefault(result.case.category, []).append(board.grade(result))
    widest = max((len(grades) for grades in rows.values()), default=1)
    boxes_width = widest * (BOX + GAP)
    words_x = LEFT + boxes_width + PAD
    words = {category: _words(grades) for category, grades in rows.items()}
    width = words_x + max((_text_width(w, SIZE) for w in words.values()), default=100) + PAD
    legend = sum(BOX + 4 + _text_width(grade, SIZE) + 16 for grade in GRADES)
    width = max(width, _text_width(board.summary(), SIZE + 1) + 2 * PAD, legend + 2 * PAD)
    height = 2 * PAD + 44 + len(rows) * ROW + 40
    svg = Svg(width, height, title=title)
    svg.rect(0, 0, width, height, fill="#ffffff", stroke=style.GRID)
    svg.text(PAD, PAD + 14, title, size=SIZE + 2, font_weight="bold", fill=style.INK)
    svg.text(PAD, PAD + 34, board.summary(), size=SIZE + 1, fill=style.INK)
    y = PAD + 50
    for category, grades in rows.items():
        svg.text(PAD, y + BOX, category, size=SIZE, fill=style.INK)
        for i, grade in enumerate(grades):
            svg.rect(
                LEFT + i * (BOX + GAP), y, BOX, BOX + 3, fill=GRADE_FILL[grade], stroke="#555555", stroke_width=0.5
            )
        svg.text(words_x, y + BOX, words[category], size=SIZE, fill=style.INK)
        y += ROW
    x: float = PAD
    y += 14
    for grade in GRADES:
        svg.rect(x, y - BOX, BOX, BOX, fill=GRADE_FILL[grade], stroke="#555555", stroke_width=0.5)
        svg.text(x + BOX + 4, y, grade, size=SIZE, fill=style.INK)
        x += BOX + 4 + _text_width(grade, SIZE) + 16
    return svg


def _words(grades: list[str]) -> str:
    """``"23/25 OK; 2 FAILED"``: the row's counts in words."""
    counts = Counter(grades)
    passed = counts["OK"] + counts["NON-STRICT"]
    rest = [f"{counts[g]} {g}" for g in GRADES[1:] if counts[g]]
    return f"{passed}/{len(grades)} passed" + (f"; {', '.join(rest)}" if rest else "")
