"""``python -m wslab classroom``: class sets with and without solutions, and the nbgrader source assignment,
run through nbgrader's own generate_assignment and autograde steps with the reference solutions."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from wslab import exercises
from wslab.classroom import nbgrader_notebook, solution_source
from wslab.exercises.withheld import solutions_withheld

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


def env() -> dict[str, str]:
    """This process's environment with this venv's bin first on PATH (nbgrader runs `alembic` from PATH)
    and a progress file of its own: the reference solutions graded here must not count as the saved
    exercise notebooks' progress, which the session's WSLAB_PROGRESS file holds."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    progress = Path(tempfile.mkdtemp(prefix="wslab-classroom-")) / "progress.json"
    return {
        **os.environ,
        "PATH": path,
        "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]),
        "PYTHONIOENCODING": "utf-8",
        "WSLAB_PROGRESS": str(progress),
    }


def classroom(target: Path, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "wslab", "classroom", str(target), *options],
        cwd=ROOT,
        env=env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_class_set_has_lessons_exercises_index_and_no_marker(tmp_path):
    out = classroom(tmp_path / "set")
    assert out.returncode == 0, out.stderr
    root = tmp_path / "set"
    lessons = sorted(p.name for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    assert sorted(p.name for p in root.glob("*.ipynb")) == lessons
    assert (root / "exercises" / "10_your_own_server.ipynb").is_file()
    copied, original = root / "exercises" / "03_frames.ipynb", NOTEBOOKS / "exercises" / "03_frames.ipynb"
    assert copied.read_bytes() == original.read_bytes()
    index = (root / "index.md").read_text(encoding="utf-8")
    assert "[03 · " in index and "(exercises/03_frames.ipynb)" in index and "cheatsheet.svg" in index
    assert (root / "cheatsheet.svg").read_text(encoding="utf-8").startswith("<svg")
    assert not (root / "wslab-classroom.json").exists()
    assert not solutions_withheld(root / "exercises")


def test_no_solutions_writes_the_marker_and_solution_says_so(tmp_path):
    out = classroom(tmp_path / "set", "--no-solutions")
    assert out.returncode == 0 and "solutions kept back" in out.stdout
    root = tmp_path / "set"
    assert json.loads((root / "wslab-classroom.json").read_text()) == {"solutions": False}
    assert solutions_withheld(root / "exercises")
    # What a student sees: solution() run in the class set's exercise folder, as a kernel there would.
    code = "from wslab import exercises; exercises.get('03.parse_header').solution()"
    shown = subprocess.run(
        [sys.executable, "-c", code], cwd=root / "exercises", env=env(), capture_output=True, text=True, timeout=60
    )
    assert "kept the solutions back" in shown.stdout and "def parse_header" not in shown.stdout


def test_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "x.txt").write_text("mine")
    out = classroom(tmp_path)
    assert out.returncode == 2 and "is not empty" in out.stderr


def test_solution_source_brings_its_helpers_and_imports():
    source = solution_source(exercises.get("02.validate_request").reference)
    assert "import base64" in source and "def _has_token(" in source and source.rstrip().endswith("return None")
    namespace: dict = {}
    exec(source, namespace)  # runs on its own, as it will in a notebook cell
    assert namespace["validate_request"].__name__ == "validate_request"


def test_nbgrader_cells_have_markers_and_points():
    notebook = json.loads((NOTEBOOKS / "exercises" / "05_control_and_close.ipynb").read_text(encoding="utf-8"))
    graded = nbgrader_notebook(notebook)
    meta = [c["metadata"].get("nbgrader") for c in graded["cells"]]
    tests = [m for m in meta if m and m["grade"] and not m["solution"]]
    answers = [c for c, m in zip(graded["cells"], meta, strict=True) if m and m["solution"]]
    assert len(tests) == len(exercises.lesson("05")) and all(m["points"] == 1 for m in tests)
    assert all("### BEGIN SOLUTION" in c["source"] and "### END SOLUTION" in c["source"] for c in answers)
    assert all(c.get("outputs", []) == [] for c in graded["cells"])


@pytest.mark.slow
@pytest.mark.timeout(900)  # nbgrader runs each notebook in a kernel of its own: slow on a loaded machine
@pytest.mark.skipif(
    shutil.which("nbgrader", path=str(Path(sys.executable).parent)) is None,
    reason="nbgrader is in the test extra: pip install -e '.[test]'",
)
def test_nbgrader_generates_and_autogrades_the_reference_solutions(tmp_path):
    """nbgrader's own steps: generate_assignment for every lesson's exercises (the student version has no
    solution left), then autograde two sets (02 and 05, where the capstone's functions are written) with
    the reference solutions as the submission."""
    root = tmp_path / "course"
    assert classroom(root, "--nbgrader").returncode == 0
    nbgrader = str(Path(sys.executable).parent / "nbgrader")
    assignments = sorted(p.name for p in (root / "source").iterdir())
    assert assignments == [f"ex{n:02d}" for n in range(1, 10)]
    done = subprocess.run(
        [nbgrader, "generate_assignment", "ex0*"], cwd=root, env=env(), capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0 and "ERROR" not in done.stderr, done.stderr[-2000:]
    for assignment in assignments:
        (released,) = (root / "release" / assignment).glob("*.ipynb")
        text = released.read_text(encoding="utf-8")
        assert "BEGIN SOLUTION" not in text and "raise NotImplementedError()" in text
    graded = ["ex02", "ex05"]
    for assignment in graded:
        shutil.copytree(root / "source" / assignment, root / "submitted" / "alice" / assignment)
    # One autograde for both (nbgrader globs the assignment id): one nbgrader start-up, not two.
    done = subprocess.run(
        [nbgrader, "autograde", "ex0[25]", "--create"],
        cwd=root,
        env=env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as book:
        for assignment in graded:
            submission = book.find_submission(assignment, "alice")
            assert submission.max_score == len(exercises.lesson(assignment[2:]))
            assert submission.score == submission.max_score, assignment
