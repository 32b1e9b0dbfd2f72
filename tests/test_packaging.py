"""The set-up promises of the README hold: two commands, one dependency list, CI runs the README's command."""

import re
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parent.parent


def _readme_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    setup = readme.split("## Set up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", setup)


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!~ ;\[]", r, maxsplit=1)[0].strip().lower() for r in requirements}


def test_readme_gives_exactly_two_setup_commands():
    commands = _readme_commands()
    assert len(commands) == 2, commands
    opens, tests = commands
    assert "jupyter lab notebooks/00_start_here.ipynb" in opens
    assert ".[test]" in tests and "pytest" in tests


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert _readme_commands()[1] in ci.splitlines()


def test_environment_yml_mirrors_the_runtime_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    env = (ROOT / "environment.yml").read_text(encoding="utf-8")
    dependencies = env.split("dependencies:", 1)[1]
    listed = re.findall(r"^\s+- ([A-Za-z][\w.-]*)", dependencies, flags=re.MULTILINE)
    assert _names(project["dependencies"]) == _names(listed) - {"python", "pip"}
    assert "- -e ." in env, "Binder must install the package from the repo"


def _setup_section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("## Set up", 1)[1].split("\n## ", 1)[0]


def test_setup_is_the_first_section_of_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first = re.search(r"^## (.+)$", readme, flags=re.MULTILINE).group(1)
    assert first.startswith("Set up"), f"the first section is {first!r}: the two commands belong at the top"


def test_windows_form_of_both_commands():
    windows = re.findall(r"```powershell\n(.+?)\n```", _setup_section())
    assert len(windows) == 2, windows
    for bash, win in zip(_readme_commands(), windows, strict=True):
        assert ".venv/bin" not in win
        expected = bash.replace("python3 -m venv", "py -m venv").replace(".venv/bin/", ".venv\\Scripts\\")
        assert win == expected.replace("notebooks/", "notebooks\\"), (bash, win)


@pytest.mark.parametrize(
    "needle",
    [
        "--allow-root",
        "python3-venv",
        "fonts-noto-cjk",
        "fonts-nanum",
        "python -m wslab doctor",
        "localhost:8888",
        "token",
        "ssh -L 8888:localhost:8888",
    ],
)
def test_setup_section_answers_a_newcomers_questions(needle):
    assert needle in _setup_section()


MACHINE_PATH = re.compile(r"(/root/|/home/[a-z]|/tmp/[\w.-]+/|/Users/|/work/|[A-Z]:\\Users\\)")


def test_no_path_of_one_machine_in_code_or_docs():
    files = [
        *ROOT.glob("*.md"),
        *(ROOT / "bench").glob("*.py"),
        *(ROOT / "wslab").rglob("*.py"),
        *(ROOT / "tools").glob("*.py"),
    ]
    found = [
        f"{p.relative_to(ROOT)}: {m.group()}"
        for p in files
        for m in [MACHINE_PATH.search(p.read_text(encoding="utf-8"))]
        if m
    ]
    assert found == []
