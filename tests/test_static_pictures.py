"""One picture per widget, also where no kernel runs: every saved widget output carries its static picture in
the same bundle, and a render without a kernel or widget support (nbconvert, as GitHub shows a notebook) shows it."""

import base64
import copy
from pathlib import Path

import nbformat
import pytest
from nbconvert import HTMLExporter

NOTEBOOKS = sorted(
    p
    for p in (Path(__file__).resolve().parents[1] / "notebooks").rglob("*.ipynb")
    if ".ipynb_checkpoints" not in p.parts
)
VIEW = "application/vnd.jupyter.widget-view+json"


def _widget_outputs(nb):
    return [
        (n, output)
        for n, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        for output in cell.outputs
        if VIEW in output.get("data", {})
    ]


WITH_WIDGETS = [p for p in NOTEBOOKS if _widget_outputs(nbformat.read(p, as_version=4))]


def test_some_lessons_have_widgets():
    assert len(WITH_WIDGETS) >= 5


@pytest.mark.parametrize("path", WITH_WIDGETS, ids=lambda p: p.stem)
def test_each_widget_output_carries_its_static_picture(path):
    nb = nbformat.read(path, as_version=4)
    for n, output in _widget_outputs(nb):
        static = {k for k in output["data"] if k in ("image/svg+xml", "text/html")}
        assert static, f"cell {n}: the widget output has no static picture"
        cell = nb.cells[n]
        pictures = {"image/svg+xml", "text/html"}
        others = [o for o in cell.outputs if o is not output and pictures & set(o.get("data", {}))]
        assert others == [], f"cell {n}: a second picture beside the widget"


@pytest.mark.parametrize("path", WITH_WIDGETS, ids=lambda p: p.stem)
def test_a_render_without_a_kernel_shows_the_static_picture(path):
    nb = nbformat.read(path, as_version=4)
    without_widgets = copy.deepcopy(nb)
    without_widgets.metadata.pop("widgets", None)  # a viewer with no widget support
    page, _ = HTMLExporter().from_notebook_node(without_widgets)
    for n, output in _widget_outputs(nb):
        if "image/svg+xml" in output["data"]:  # nbconvert writes an SVG as a data: image
            shown = base64.b64encode(output["data"]["image/svg+xml"].encode()).decode() in page
        else:
            shown = "No traffic yet" in page or "<table" in page
        assert shown, f"cell {n}: no static picture in the page"
    assert VIEW not in page
    # with the widget state, nbconvert embeds it: nbviewer's widget renderer draws each picture from it
    page, _ = HTMLExporter().from_notebook_node(nb)
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    for n, output in _widget_outputs(nb):
        assert output["data"][VIEW]["model_id"] in state, f"cell {n}: widget state missing"
    embedded = page.split('<script type="application/vnd.jupyter.widget-state+json">', 1)[1]
    assert "<svg xmlns=" in embedded.split("</script>", 1)[0]
