"""The set-up promises of the README hold: two commands, one dependency list, CI runs the README's command."""

import re
from pathlib import Path

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
    assert '.[test]' in tests and "pytest" in tests


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
