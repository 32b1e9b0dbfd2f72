"""The layers of ARCHITECTURE.md, enforced: every import of every wslab module,
function-level imports included, goes only where the layer table allows.

The table is read from ARCHITECTURE.md itself, so the document and the rule
cannot drift apart; a new module needs only a row (or a pattern) there.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "wslab"


def layer_table() -> list[dict]:
    """The rows of the table after the ``<!-- layers`` marker of ARCHITECTURE.md."""
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    lines = text.split("<!-- layers", 1)[1].splitlines()[1:]
    rows = []
    for line in lines:
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells[0] in ("layer", "---") or set(cells[0]) <= {"-"}:
            continue
        name, modules, allowed, never = cells
        rows.append(
            {
                "layer": name,
                "modules": re.findall(r"`([^`]+)`", modules),
                "may": {part.strip() for part in allowed.split(",") if part.strip()} | {name},
                "never": {part.strip() for part in never.split(",") if part.strip()},
            }
        )
    return rows


LAYERS = layer_table()


def layer_of(module: str) -> str | None:
    """The layer a module name belongs to: a row naming it exactly, else a row whose pattern matches it."""
    exact = [row["layer"] for row in LAYERS if module in row["modules"]]
    if exact:
        return exact[0]
    for row in LAYERS:
        for pattern in row["modules"]:
            if pattern.endswith(".*") and module.startswith(pattern[:-1]):
                return row["layer"]
    return None


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return (
        path.with_suffix(".py").exists()
        or (path / "__init__.py").exists()
        or any(path.parent.glob(path.name + ".*.so"))
        or path.with_suffix(".c").exists()
    )


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, imported module) for every import statement anywhere in the file."""
    module = module_name(path)
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                child = f"{base}.{alias.name}"
                found.append((node.lineno, child if is_module(child) else base))
    return found


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_the_table_is_read():
    assert {"core", "transport", "pictures", "widgets"} <= {row["layer"] for row in LAYERS}
    assert layer_of("wslab.frames") == "core" and layer_of("wslab.viz.frame") == "pictures"
    assert layer_of("wslab.events.packets") == "wire" and layer_of("wslab.events.server") == "events"


@pytest.mark.parametrize("path", MODULES, ids=[module_name(p) for p in MODULES])
def test_every_import_respects_the_layers(path):
    module = module_name(path)
    layer = layer_of(module)
    assert layer is not None, f"{module} has no row in ARCHITECTURE.md's layer table: add it there"
    row = next(r for r in LAYERS if r["layer"] == layer)
    problems = []
    for line, target in imports(path):
        top = target.split(".")[0]
        if top != "wslab":
            if top in row["never"]:
                problems.append(f"line {line}: imports {target}, which the {layer} layer never imports")
            continue
        target_layer = layer_of(target)
        if target_layer is None:
            problems.append(f"line {line}: imports {target}, which has no row in the layer table")
        elif target_layer not in row["may"]:
            problems.append(
                f"line {line}: imports {target} ({target_layer}); the {layer} layer may import "
                f"only {', '.join(sorted(row['may']))}"
            )
    assert not problems, f"{module} ({layer}):\n" + "\n".join(problems)


def test_the_walker_sees_function_level_imports(tmp_path):
    source = tmp_path / "wslab_x.py"
    source.write_text("def f():\n    from wslab.viz import tap\n")
    tree = ast.parse(source.read_text())
    assert any(isinstance(n, ast.ImportFrom) and n.module == "wslab.viz" for n in ast.walk(tree))
