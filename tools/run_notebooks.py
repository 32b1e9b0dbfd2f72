"""Re-run notebooks from a clean kernel and save them with their outputs.

    python tools/run_notebooks.py notebooks/03_frames.ipynb [more.ipynb ...]
    python tools/run_notebooks.py --all

Each notebook runs in a fresh kernel with its own folder as the working
directory (as JupyterLab runs it), widget state is stored so GitHub and
nbviewer can draw the widgets, the per-cell timing metadata nbclient adds is
dropped, and a cell's consecutive prints are saved as one output (as Jupyter
shows them), so a re-run changes only what really changed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]


def run(path: Path, timeout: int = 600) -> None:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        store_widget_state=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if "outputs" in cell:
            cell.outputs = coalesced(cell.outputs)
    nbformat.write(nb, path)


def coalesced(outputs: list) -> list:
    """Consecutive stream outputs of one stream as one, as Jupyter shows them (and nbval compares them):
    where a busy kernel happened to flush its prints must not change a saved lesson."""
    merged: list = []
    for output in outputs:
        last = merged[-1] if merged else None
        if last is not None and output.output_type == last.output_type == "stream" and output.name == last.name:
            last.text += output.text
        else:
            merged.append(output)
    return merged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--all", action="store_true", help="every notebook under notebooks/")
    args = parser.parse_args(argv)
    paths = sorted((REPO / "notebooks").rglob("*.ipynb")) if args.all else args.paths
    paths = [p for p in paths if ".ipynb_checkpoints" not in p.parts]
    for path in paths:
        print(f"running {path.relative_to(REPO) if path.is_absolute() else path} ...", flush=True)
        run(path.resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
