"""How long each lesson takes a newcomer: reading time from its word count, plus its measured run time.

    python bench/lesson_times.py                       # every lesson under notebooks/ (not exercises/)
    python bench/lesson_times.py notebooks/exercises/*.ipynb --rate 100
    python bench/lesson_times.py --no-run              # reading time only (fast)

Reading: the words of the markdown and code cells (what a student reads; outputs are not
counted), at RATE words per minute. The default, 120, is a careful reader of technical English
as a second language working through code (about half the ~240 words per minute of ordinary
prose). Running: the notebook executed once from a clean kernel (nbclient, as
tools/run_notebooks.py runs it), wall-clock seconds. A lesson's figure is reading + running,
rounded up to 5 minutes; time spent playing with widgets or on the exercises is extra.

`lesson_time(path)` is the function other scripts reuse (the teacher's guide uses it for the
exercise sets). Prints a table.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RATE = 120  # words per minute, see the docstring
ROUND_TO = 5  # minutes
WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")


@dataclass(frozen=True)
class LessonTime:
    name: str
    words: int
    reading_minutes: float
    run_seconds: float | None  # None when not measured (--no-run)

    @property
    def minutes(self) -> int:
        """Reading plus running, rounded up to ROUND_TO minutes."""
        return rounded(self.reading_minutes + (self.run_seconds or 0) / 60)


def rounded(minutes: float) -> int:
    """A figure as the tables give it: rounded up to ROUND_TO minutes, and at least ROUND_TO."""
    return max(ROUND_TO, math.ceil(minutes / ROUND_TO) * ROUND_TO)


def word_count(path: Path) -> int:
    """Words in the markdown and code cells of a notebook (outputs excluded)."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    read = [cell for cell in cells if cell["cell_type"] in ("markdown", "code")]
    return sum(len(WORD.findall("".join(cell["source"]))) for cell in read)


def run_seconds(path: Path, timeout: int = 600) -> float:
    """Wall-clock seconds to run the notebook from a clean kernel (nothing is saved)."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def lesson_time(path: Path, *, rate: float = RATE, run: bool = True) -> LessonTime:
    words = word_count(path)
    return LessonTime(path.stem, words, words / rate, run_seconds(path) if run else None)


def table(times: list[LessonTime], rate: float = RATE) -> str:
    lines = [
        f"{'lesson':<28} {'words':>6} {'reading':>9} {'running':>9} {'figure':>7}",
        f"{'':<28} {'':>6} {f'@{rate:g} w/min':>9} {'measured':>9} {'(min)':>7}",
    ]
    for t in times:
        running = "—" if t.run_seconds is None else f"{t.run_seconds:.0f} s"
        lines.append(f"{t.name:<28} {t.words:>6} {t.reading_minutes:>7.1f} m {running:>9} {t.minutes:>7}")
    return "\n".join(lines)


def arguments(argv: list[str] | None, doc: str, folder: Path) -> tuple[list[Path], argparse.Namespace]:
    """The command line both scripts take: notebooks (default: every one in `folder`), --rate, --no-run."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--rate", type=float, default=RATE, help=f"reading rate, words per minute ({RATE})")
    parser.add_argument("--no-run", action="store_true", help="do not run the notebooks (no running time)")
    args = parser.parse_args(argv)
    return args.paths or sorted(folder.glob("*.ipynb")), args


def main(argv: list[str] | None = None) -> int:
    paths, args = arguments(argv, __doc__, REPO / "notebooks")
    times = [lesson_time(p, rate=args.rate, run=not args.no_run) for p in paths]
    print(table(times, args.rate))
    return 0


if __name__ == "__main__":
    sys.exit(main())
