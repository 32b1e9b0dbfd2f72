"""Class sets: ``python -m wslab classroom DIR [--no-solutions | --nbgrader]``.

A class set is a folder a teacher hands out: the lessons, the exercise
notebooks (same layout as ``notebooks/``, so the links between them work), the
cheat sheet and a short ``index.md``.

- ``--no-solutions`` adds ``wslab-classroom.json`` with ``{"solutions": false}``
  at the root: ``exercises.get(...).solution()`` then says the teacher has kept
  the solutions back. The installed package still contains them (a determined
  student can read its source); the marker only keeps them off the screen.
- ``--nbgrader`` writes the exercises as an nbgrader *source* assignment
  (``DIR/source/exNN/NN_<stem>.ipynb``, one assignment per lesson, plus
  ``nbgrader_config.py``): in each exercise the answer is a solution cell with
  the reference solution between ``### BEGIN SOLUTION`` and ``### END SOLUTION``,
  and the check is an autograded test cell (``assert ex.NAME.check(...)``, 1 point).
  ``nbgrader generate_assignment exNN`` makes the student version from it.
"""

from __future__ import annotations

import ast
import inspect
import json
import re
import shutil
import textwrap
import types
from pathlib import Path
from typing import Any

__all__ = ["write_class_set", "nbgrader_notebook", "solution_source", "notebooks_dir", "MARKER"]

MARKER = "wslab-classroom.json"
_CHECK = re.compile(r"^(?P<indent>\s*)(?P<lesson>\w+)\.(?P<name>\w+)\.check\((?P<args>.*)\)\s*$")


def notebooks_dir() -> Path:
    """The kit's ``notebooks/`` folder (beside the package in a source checkout or an editable install)."""
    folder = Path(__file__).resolve().parents[1] / "notebooks"
    if not (folder / "00_start_here.ipynb").is_file():
        raise FileNotFoundError(
            f"the lesson notebooks are not next to this wslab ({folder} is missing); "
            "install wslab from its source folder (pip install -e .) or pass --from"
        )
    return folder


def write_class_set(
    target: Path, *, solutions: bool = True, nbgrader: bool = False, source: Path | None = None
) -> list[Path]:
    """Write the class set into `target` (created; must be empty if it exists). Returns the files written."""
    source = source or notebooks_dir()
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise FileExistsError(f"{target} is not empty: choose a new folder for the class set")
    target.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    lessons = sorted(source.glob("[0-9][0-9]_*.ipynb"))
    exercise_books = sorted((source / "exercises").glob("[0-9][0-9]_*.ipynb"))
    for notebook in lessons:
        written.append(_copy(notebook, target / notebook.name))
    for notebook in exercise_books:
        written.append(_copy(notebook, target / "exercises" / notebook.name))
    cheatsheet = target / "cheatsheet.svg"
    from wslab.viz.cheatsheet import cheatsheet as draw

    cheatsheet.write_text(draw().to_string(), encoding="utf-8")
    written.append(cheatsheet)
    if not solutions:
        marker = target / MARKER
        marker.write_text(json.dumps({"solutions": False}) + "\n", encoding="utf-8")
        written.append(marker)
    if nbgrader:
        written += _write_nbgrader(target, exercise_books)
    index = target / "index.md"
    index.write_text(_index(lessons, exercise_books, solutions=solutions, nbgrader=nbgrader), encoding="utf-8")
    written.append(index)
    return written


def _copy(source: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target


def _title(notebook: Path) -> str:
    """The first heading of a notebook, without the '#'."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    for cell in cells:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return notebook.stem


def _index(lessons: list[Path], exercise_books: list[Path], *, solutions: bool, nbgrader: bool) -> str:
    lines = [
        "# wslab class set",
        "",
        "WebSocket (RFC 6455) and Socket.IO, lesson by lesson. Open a lesson in JupyterLab, run its cells "
        "from the top (Shift-Enter), then do its exercises. The cheat sheet: [cheatsheet.svg](cheatsheet.svg).",
        "",
        "| lesson | exercises |",
        "|---|---|",
    ]
    by_number = {book.name[:2]: book for book in exercise_books}
    for lesson in lessons:
        book = by_number.pop(lesson.name[:2], None)
        practice = f"[{_title(book)}](exercises/{book.name})" if book else ""
        lines.append(f"| [{_title(lesson)}]({lesson.name}) | {practice} |")
    for book in by_number.values():
        lines.append(f"| | [{_title(book)}](exercises/{book.name}) |")
    lines.append("")
    if not solutions:
        lines.append(
            "In this class set `solution()` shows no solutions: your teacher has kept them back (hints still work)."
        )
    if nbgrader:
        lines.append(
            "For the teacher: `source/` holds the exercises as nbgrader source assignments "
            "(`nbgrader generate_assignment ex03` from this folder makes the student version)."
        )
    return "\n".join(lines) + "\n"


# --- nbgrader ------------------------------------------------------------------


def _write_nbgrader(target: Path, exercise_books: list[Path]) -> list[Path]:
    written = []
    config = target / "nbgrader_config.py"
    config.write_text(
        'c = get_config()  # noqa: F821 (nbgrader provides it)\nc.CourseDirectory.root = "."\n', encoding="utf-8"
    )
    written.append(config)
    for book in exercise_books:
        notebook = json.loads(book.read_text(encoding="utf-8"))
        if not _exercise_cells(notebook):
            continue  # e.g. the capstone: graded live, not by nbgrader
        out = target / "source" / f"ex{book.name[:2]}" / book.name
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(nbgrader_notebook(notebook), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(out)
    return written


def _exercise_cells(notebook: dict) -> list[int]:
    return [i for i, cell in enumerate(notebook["cells"]) if cell["cell_type"] == "code" and _check_line(cell)]


def _check_line(cell: dict) -> re.Match | None:
    lines = "".join(cell["source"]).rstrip().splitlines()
    return _CHECK.match(lines[-1]) if lines else None


def nbgrader_notebook(notebook: dict) -> dict:
    """An exercise notebook as an nbgrader source notebook: each exercise cell becomes a solution
    cell (the reference between the markers) and an autograded test cell; outputs are cleared."""
    from wslab import exercises

    lesson = _lesson_number(notebook)
    cells = []
    for cell in notebook["cells"]:
        match = _check_line(cell) if cell["cell_type"] == "code" else None
        if match is None:
            cells.append(_plain(cell))
            continue
        exercise = exercises.get(f"{lesson}.{match['name']}")
        answer_lines = "".join(cell["source"]).rstrip().splitlines()[:-1]
        arguments = [a.strip() for a in match["args"].split(",")]
        check = f"{match['lesson']}.{match['name']}.check({match['args']})"
        solution = _solution(answer_lines, arguments[0], exercise)
        if len(arguments) > 1:
            # The check also reads a widget the student works (e.g. the emit playground): nothing for an
            # autograder to press, so the cell is graded by hand (nbgrader's "manually graded answer").
            cells.append(
                _nbgrader_cell(
                    "code",
                    f"{solution}\n\n{check}",
                    grade_id=_grade_id(exercise.id),
                    solution=True,
                    grade=True,
                    points=1,
                )
            )
            continue
        cells.append(_nbgrader_cell("code", solution, grade_id=f"{_grade_id(exercise.id)}-answer", solution=True))
        cells.append(_nbgrader_cell("code", f"assert {check}", grade_id=_grade_id(exercise.id), grade=True, points=1))
    return {**notebook, "cells": cells}


def _lesson_number(notebook: dict) -> str:
    for cell in notebook["cells"]:
        found = re.search(r'exercises\.lesson\("(\d\d)"\)', "".join(cell["source"]))
        if found:
            return found.group(1)
    raise ValueError('not an exercise notebook: no exercises.lesson("NN") cell')


def _plain(cell: dict) -> dict:
    cell = {**cell}
    if cell["cell_type"] == "code":
        cell["outputs"], cell["execution_count"] = [], None
    return cell


def _nbgrader_cell(
    kind: str, source: str, *, grade_id: str, solution: bool = False, grade: bool = False, points: int = 0
) -> dict:
    meta: dict[str, Any] = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": not solution,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if grade:
        meta["points"] = points
    return {
        "cell_type": kind,
        "execution_count": None,
        "id": grade_id,
        "metadata": {"nbgrader": meta},
        "outputs": [],
        "source": source,
    }


def _solution(answer_lines: list[str], argument: str, exercise) -> str:
    """The answer cell with the reference solution between nbgrader's markers."""
    reference = exercise.model_answer()
    define = next((i for i, line in enumerate(answer_lines) if re.match(rf"(async\s+)?def {argument}\(", line)), None)
    if define is not None and isinstance(reference, types.FunctionType):
        return _function_solution(answer_lines, define, reference, argument)
    keep = [line for line in answer_lines if line.startswith(("from ", "import "))]
    expression = _literal(reference) or f'exercises.get("{exercise.id}").model_answer()'
    return "\n".join([*keep, "### BEGIN SOLUTION", f"{argument} = {expression}", "### END SOLUTION"])


def _function_solution(answer_lines: list[str], define: int, reference: types.FunctionType, name: str) -> str:
    """The lines before the stub kept; then the reference's helpers and its `def` line (so the parameter
    names match its body) with the body between the markers: the student version keeps the signature."""
    head, body = _head_and_body(reference)
    head = re.sub(rf"\bdef {reference.__name__}\(", f"def {name}(", head, count=1)  # the name the check uses
    helpers = solution_source(reference, include_self=False)
    parts = [line for line in answer_lines[:define] if not line.lstrip().startswith("#")]
    if helpers:
        parts += ["### BEGIN SOLUTION", helpers, "### END SOLUTION", ""]
    parts += [head, "    ### BEGIN SOLUTION", textwrap.indent(body, "    "), "    ### END SOLUTION"]
    return "\n".join(parts)


def _head_and_body(function: types.FunctionType) -> tuple[str, str]:
    """A function's `def` line(s) and the statements of its body (dedented, without its docstring)."""
    source = textwrap.dedent(inspect.getsource(function))
    node = ast.parse(source).body[0]
    assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    statements = node.body
    if (
        statements
        and isinstance(statements[0], ast.Expr)
        and isinstance(statements[0].value, ast.Constant)
        and isinstance(statements[0].value.value, str)
        and len(statements) > 1
    ):
        statements = statements[1:]
    lines = source.splitlines()
    head = "\n".join(lines[node.lineno - 1 : node.body[0].lineno - 1]).rstrip()
    if node.body[0].lineno == node.lineno:  # a one-line function: "def f(x): return x"
        raise ValueError(f"{function.__name__}: write the reference with its body on its own lines")
    body = textwrap.dedent("\n".join(lines[statements[0].lineno - 1 : node.end_lineno]))
    return head, body


def solution_source(function: types.FunctionType, *, include_self: bool = True) -> str:
    """The source a notebook needs to define `function` on its own: the imports and module-level helpers
    (functions, constants) it uses, recursively, then the function itself."""
    module = inspect.getmodule(function)
    imports: dict[str, str] = {}
    helpers: dict[str, str] = {}

    def visit(fn: types.FunctionType) -> None:
        for name in _global_names(fn.__code__):
            value = fn.__globals__.get(name)
            if value is None or name in helpers or name in imports:
                continue
            if isinstance(value, types.ModuleType):
                imports[name] = f"import {value.__name__}" + (f" as {name}" if value.__name__ != name else "")
            elif getattr(value, "__module__", None) == getattr(module, "__name__", None) and isinstance(
                value, types.FunctionType
            ):
                helpers[name] = ""
                visit(value)
                helpers[name] = inspect.getsource(value).rstrip()
            elif getattr(value, "__module__", None) and not isinstance(value, (int, str, bytes, tuple, frozenset)):
                imports[name] = f"from {value.__module__} import {name}"
            elif isinstance(value, (int, str, bytes, tuple, frozenset)):
                helpers[name] = f"{name} = {value!r}"

    visit(function)
    parts = ["\n".join(sorted(imports.values())), *helpers.values()]
    if include_self:
        parts.append(inspect.getsource(function).rstrip())
    return "\n\n\n".join(part for part in parts if part)


def _global_names(code: types.CodeType) -> list[str]:
    names = list(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names += _global_names(const)
    return list(dict.fromkeys(names))


def _literal(value: Any) -> str | None:
    """`repr(value)` when it reads back as an equal value (plain data), else None."""
    text = repr(value)
    try:
        if ast.literal_eval(text) == value:
            return text
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        pass
    return None


def _grade_id(exercise_id: str) -> str:
    """nbgrader's ids are letters, digits, '_' and '-': "03.parse_header" -> "ex03_parse_header"."""
    return "ex" + exercise_id.replace(".", "_")
