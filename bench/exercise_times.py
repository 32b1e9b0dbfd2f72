"""How long each exercise set takes a newcomer: reading and running (as for a lesson) plus solving time.

    python bench/exercise_times.py                 # every notebooks/exercises/*.ipynb
    python bench/exercise_times.py --no-run        # without running the notebooks (fast)

Reading and running come from `bench/lesson_times.py` (`lesson_time`: words at its reading
rate, plus one measured run from a clean kernel). Solving is an allowance per exercise, by
the kind of exercise `wslab.exercises` gives it (SOLVING below, in minutes: a choice is
read and picked, a prediction worked out on paper, bytes built with the kit, a function
written and fixed until its check passes, a live handler run against real clients). The
capstone's solving allowance is for pasting the eight functions and fixing what the
scoreboard shows. These allowances are a model, stated here so a teacher can change them;
no student was timed. Prints a table; the teacher's guide (docs/teaching.md) quotes it.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lesson_times import arguments, lesson_time, rounded  # noqa: E402  (the lessons' script, beside this one)

REPO = Path(__file__).resolve().parents[1]
SOLVING = {"choice": 1, "predict": 3, "bytes": 5, "function": 8, "live": 8}  # minutes per exercise
CAPSTONE_SOLVING = 30


def solving_minutes(path: Path) -> tuple[int, int]:
    """(number of exercises, solving minutes) of one exercise notebook."""
    from wslab import exercises

    number = path.name[:2]
    if number not in exercises.LESSONS:
        return 0, CAPSTONE_SOLVING
    chosen = list(exercises.lesson(number))
    return len(chosen), sum(SOLVING[exercise.kind] for exercise in chosen)


def main(argv: list[str] | None = None) -> int:
    paths, args = arguments(argv, __doc__, REPO / "notebooks" / "exercises")
    print(f"{'exercise set':<28} {'count':>5} {'reading':>8} {'running':>8} {'solving':>8} {'figure (min)':>13}")
    for path in paths:
        read = lesson_time(path, rate=args.rate, run=not args.no_run)
        count, solving = solving_minutes(path)
        total = read.reading_minutes + (read.run_seconds or 0) / 60 + solving
        figure = rounded(total)
        running = "—" if read.run_seconds is None else f"{read.run_seconds:.0f} s"
        print(
            f"{path.stem:<28} {count or '':>5} {read.reading_minutes:>6.1f} m {running:>8} {solving:>6} m {figure:>13}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
