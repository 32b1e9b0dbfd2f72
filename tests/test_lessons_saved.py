"""Every lesson is saved the way readers and nbval need it (checked without running it)."""

import json
import re
from pathlib import Path

import pytest

FOLDER = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(p for p in FOLDER.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)  # exercises/ too
MACHINE_PATH = re.compile(r"(/root/|/home/[a-z]|/tmp/[\w.-]+/|/Users/|/work/)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.relative_to(FOLDER).as_posix())
def test_saved_from_a_clean_run(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    counts = [c["execution_count"] for c in code]
    assert counts == list(range(1, len(code) + 1)), "save after Restart and Run All"
    for cell in code:
        tags = cell.get("metadata", {}).get("tags", [])
        for output in cell["outputs"]:
            if output["output_type"] == "error":
                assert "raises-exception" in tags, f"unexpected error saved: {output['ename']}"
            assert not MACHINE_PATH.search(json.dumps(output)), "an output shows a path of this machine"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.relative_to(FOLDER).as_posix())
def test_widget_state_renders_on_github(path):
    # GitHub refuses a notebook whose metadata.widgets lacks "state".
    widgets = json.loads(path.read_text(encoding="utf-8"))["metadata"].get("widgets")
    if widgets:
        assert "state" in widgets["application/vnd.jupyter.widget-state+json"]


def test_every_lesson_of_the_map_exists():
    names = {p.stem for p in NOTEBOOKS}
    expected = {
        "00_start_here",
        "01_why_websocket",
        "02_handshake",
        "03_frames",
        "04_masking",
        "05_control_and_close",
        "06_live_connection",
        "07_origin_and_cors",
        "08_socketio_events",
        "09_rooms_and_acks",
    }
    assert expected <= names, f"missing: {sorted(expected - names)}"
