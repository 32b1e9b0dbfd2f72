"""JupyterLab driven by Chromium, for the tests that run notebooks in it (test_browser_lessons,
test_browser_exercises): a server on loopback, one page on it, Run All of one notebook with its
checks, and each live widget driven once.

One JupyterLab and one page per test module (pytest-xdist runs each module on one worker: the
lessons on one, the exercises on the other). Each notebook is opened, its outputs are cleared,
all cells run, the results are read from the page, a screenshot is saved, and its kernel is shut
down. JupyterLab inherits this process's environment, so its kernels import wslab as the tests
do (PYTHONPATH locally, installed in CI).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
RUN_TIMEOUT_MS = 180_000

# User settings: render every cell (no virtual scrolling), no news prompt, and no
# autosave: the test clears and re-runs the repository's own notebooks, and a run
# that stalls must never be written back over a saved lesson.
SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
}


# nbgrader is in the test extra (for test_classroom), not in what a student installs: its server and
# JupyterLab extensions stay out of this JupyterLab, which then loads what a student's loads (and
# starts faster). Written to a config folder of the run's own, first on JUPYTER_CONFIG_PATH.
CONFIG = {
    "labconfig/page_config.json": {"disabledExtensions": {"@jupyter/nbgrader": True}},
    "jupyter_server_config.json": {
        "ServerApp": {
            "jpserver_extensions": {
                f"nbgrader.server_extensions.{name}": False
                for name in ("formgrader", "validate_assignment", "assignment_list", "course_list")
            }
        }
    },
}


def notebooks(exercises: bool) -> list[Path]:
    """The exercise notebooks (notebooks/exercises/), or every other notebook: found by globbing, so
    notebooks added later are covered too."""
    found = (p for p in NOTEBOOKS.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    return sorted(p for p in found if (p.relative_to(NOTEBOOKS).parts[0] == "exercises") == exercises)


def notebook_id(path: Path) -> str:
    return path.relative_to(NOTEBOOKS).as_posix()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def jupyterlab(tmp: Path) -> Iterator[tuple[str, str]]:
    """A JupyterLab server on loopback serving notebooks/: (base url, token)."""
    for folder, files in (("settings", SETTINGS), ("config", CONFIG)):
        for name, value in files.items():
            path = tmp / folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(value))
    port, token = _free_port(), secrets.token_hex(16)
    config_path = os.pathsep.join(filter(None, [str(tmp / "config"), os.environ.get("JUPYTER_CONFIG_PATH")]))
    env = dict(
        os.environ,
        JUPYTERLAB_SETTINGS_DIR=str(tmp / "settings"),
        JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
        JUPYTER_CONFIG_PATH=config_path,
    )
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        f"--port={port}",
        "--port-retries=0",
        "--ServerApp.ip=127.0.0.1",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={NOTEBOOKS}",
        f"--LabApp.workspaces_dir={tmp / 'workspaces'}",
        "--LabApp.expose_app_in_browser=True",
        "--LabApp.news_url=None",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log = open(tmp / "lab.log", "wb")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for_server(process, f"{base}/api/status?token={token}", tmp / "lab.log")
        yield base, token
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _wait_for_server(process: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"JupyterLab exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"JupyterLab did not answer within 60 s:\n{log.read_text()[-3000:]}")


@contextmanager
def lab_page(browser, base: str, token: str) -> Iterator[Any]:
    """One Chromium page with JupyterLab loaded and every plugin started."""
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    try:
        page.goto(f"{base}/lab?token={token}")
        page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell", timeout=60_000)
        page.wait_for_selector("#jp-main-statusbar", timeout=60_000)
        yield page
    finally:
        page.close()


OPEN_AND_RUN = """async (path) => {
  const app = window.jupyterapp;
  await app.restored;   // every plugin activated, every command registered
  // Naming the kernel avoids the kernel-selection dialog for a notebook without kernelspec metadata.
  const panel = await app.commands.execute('docmanager:open', {path, factory: 'Notebook', kernel: {name: 'python3'}});
  await panel.context.ready;
  await panel.sessionContext.ready;
  app.shell.activateById(panel.id);
  await app.commands.execute('notebook:clear-all-cell-outputs');
  window.__wslabPanel = panel;
  app.commands.execute('notebook:run-all-cells');
  return panel.content.widgets.length;
}"""

# Done when the kernel is idle and every code cell has run, or a cell failed
# (JupyterLab stops a run at an error unless the cell is tagged raises-exception).
RUN_FINISHED = """() => {
  const panel = window.__wslabPanel;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  if (!kernel || kernel.status !== 'idle') return false;
  const code = panel.content.widgets.filter(c => c.model.type === 'code');
  const failed = code.some(c => !(c.model.getMetadata('tags') || []).includes('raises-exception') &&
                                Array.from({length: c.model.outputs.length}, (_, i) => c.model.outputs.get(i))
                                     .some(o => o.type === 'error'));
  return failed || code.every(c => c.model.executionCount !== null);
}"""

# The DOM node of each widget-view output, found through the cell's own output area.
WIDGET_NODES = """
  const widgetNodes = (panel) => {
    const nodes = [];
    panel.content.widgets.filter(c => c.model.type === 'code').forEach(cell => {
      for (let i = 0; i < cell.model.outputs.length; i++) {
        const out = cell.model.outputs.get(i);
        if (out.data && out.data['application/vnd.jupyter.widget-view+json'])
          nodes.push(cell.outputArea.widgets[i] ? cell.outputArea.widgets[i].node : null);
      }
    });
    return nodes;
  };
  const rendered = (node) => node && node.querySelector('.jupyter-widgets') &&
                              !/Error displaying widget|Loading widget/.test(node.textContent);
"""

WIDGETS_RENDERED = (
    "() => {"
    + WIDGET_NODES
    + """
  return widgetNodes(window.__wslabPanel).every(rendered);
}"""
)

REPORT = (
    "() => {"
    + WIDGET_NODES
    + """
  const panel = window.__wslabPanel;
  const cells = panel.content.widgets.filter(c => c.model.type === 'code');
  const errors = [], unrun = [];
  cells.forEach((cell, n) => {
    const tags = cell.model.getMetadata('tags') || [];
    if (cell.model.executionCount === null) unrun.push(n);
    for (let i = 0; i < cell.model.outputs.length; i++) {
      const out = cell.model.outputs.get(i).toJSON();
      if (out.output_type === 'error' && !tags.includes('raises-exception'))
        errors.push(`code cell ${n}: ${out.ename}: ${out.evalue}`);
    }
  });
  const views = widgetNodes(panel);
  const pictures = Array.from(panel.node.querySelectorAll(
      '.wslab-picture, .jp-OutputArea-output[data-mime-type="image/svg+xml"]'));
  // One picture per widget: a cell that shows a widget shows no other picture beside it.
  const doubled = [];
  cells.forEach((cell, n) => {
    const outs = Array.from({length: cell.model.outputs.length}, (_, i) => cell.model.outputs.get(i));
    if (!outs.some(o => o.data && o.data['application/vnd.jupyter.widget-view+json'])) return;
    outs.forEach((o, i) => {
      const node = cell.outputArea.widgets[i] && cell.outputArea.widgets[i].node;
      if (o.data && o.data['application/vnd.jupyter.widget-view+json']) {
        if (node && !node.querySelector('.jupyter-widgets')) doubled.push(`code cell ${n}: static copy shown`);
      } else if (node && node.querySelector('svg, img')) {
        doubled.push(`code cell ${n}: a second picture beside the widget`);
      }
    });
  });
  return {
    errors, unrun, doubled,
    widgetViews: views.length,
    wslabWidgets: views.filter(v => v && v.querySelector('.wslab-frame-inspector, .wslab-masking-explorer, ' +
      '.wslab-handshake-explorer, .wslab-live-console, .wslab-emit-playground')).length,
    brokenViews: views.filter(v => !rendered(v)).length,
    pictures: pictures.length,
    picturesWithoutSvg: pictures.filter(p => !p.querySelector('svg, img[src^="data:image/svg"]')).length,
  };
}"""
)

CLOSE = """async () => {
  const panel = window.__wslabPanel;
  await panel.sessionContext.shutdown();
  panel.context.model.dirty = false;   // the run changed outputs; the file on disk stays as it is
  panel.dispose();
}"""


def run_notebook(page, notebook: Path, screenshots: Path, after: Callable[[Any], Any] | None = None):
    """Open `notebook`, clear its outputs, Run All, and read the page: (report, driven, extra).

    `report` is what REPORT finds; `driven` is (what, it worked) for each live widget, driven once
    after Run All; `extra` is what `after(page)` returns (a notebook's own check, while its kernel
    still runs), or None. The widgets are driven and `after` runs only when every cell ran without an
    error. The kernel is shut down at the end whatever happened.
    """
    page.evaluate(OPEN_AND_RUN, notebook_id(notebook))
    extra = None
    try:
        try:
            page.wait_for_function(RUN_FINISHED, timeout=RUN_TIMEOUT_MS, polling=250)
        except Exception:  # noqa: BLE001 - the report below says which cells never finished
            pass
        try:
            page.wait_for_function(WIDGETS_RENDERED, timeout=20_000, polling=250)
        except Exception:  # noqa: BLE001 - reported precisely by the assertions below
            pass
        report = page.evaluate(REPORT)
        page.screenshot(path=str(screenshots / f"{notebook.parent.name}-{notebook.stem}.png"))
        clean = not report["errors"] and not report["unrun"]
        driven = drive_live_widgets(page) if clean else []
        if after is not None and clean:
            extra = after(page)
    finally:
        page.evaluate(CLOSE)
    return report, driven, extra


def assert_ran_cleanly(notebook: Path, report: dict, driven: list[tuple[str, bool]]) -> None:
    """No error output, every code cell run, every widget rendered and shown once, every live widget working."""
    assert report["errors"] == [], f"{notebook.name}: error outputs {report['errors']}"
    assert report["unrun"] == [], f"{notebook.name}: code cells that never ran: {report['unrun']}"
    assert report["brokenViews"] == 0, f"{notebook.name}: widget views not rendered: {report}"
    assert report["picturesWithoutSvg"] == 0, f"{notebook.name}: pictures without an SVG: {report}"
    assert report["doubled"] == [], f"{notebook.name}: a widget shown as two pictures: {report['doubled']}"
    assert len([what for what, _ in driven if what.startswith("wslab-")]) == report["wslabWidgets"], driven
    failed = [what for what, ok in driven if not ok]
    assert failed == [], f"{notebook.name}: after Run All these live widgets did not work: {failed}"


# --- after Run All, drive every live widget once -------------------------------------------


def _field(widget, label: str):
    """The input of the ipywidgets control whose description is `label`, inside `widget`."""
    return widget.locator(f".widget-inline-hbox:has(> label:text-is('{label}'))").locator("input, textarea, select")


def _becomes(page, widget, selector: str, text: str, timeout: float = 15_000) -> bool:
    try:
        widget.locator(selector).filter(has_text=text).first.wait_for(state="attached", timeout=timeout)
        return True
    except Exception:  # noqa: BLE001 - the caller reports which widget failed
        return False


def _drive_frame_inspector(page, w) -> bool:
    _field(w, "payload").fill("WS!")
    return _becomes(page, w, ".wslab-picture", "'W'")


def _drive_masking_explorer(page, w) -> bool:
    _field(w, "masking key").fill("12 34")
    shows_error = _becomes(page, w, ".wslab-picture", "exactly 4 bytes")
    _field(w, "masking key").fill("00 00 00 00")
    return shows_error and _becomes(page, w, ".wslab-picture", "00 00 00 00")


def _drive_handshake_explorer(page, w) -> bool:
    _field(w, "response").select_option(label="status 200 OK instead of 101")
    return _becomes(page, w, ".wslab-picture", "200 OK")


def _drive_live_console(page, w) -> bool:
    _field(w, "message").fill("after run all")
    w.locator("button", has_text="send text").click()
    return _becomes(page, w, "pre", "received TEXT 'after run all'")


def _drive_emit_playground(page, w) -> bool:
    w.locator("button", has_text="emit").first.click()
    return _becomes(page, w, ".widget-html", "recipient")


DRIVERS = {
    "wslab-frame-inspector": _drive_frame_inspector,
    "wslab-masking-explorer": _drive_masking_explorer,
    "wslab-handshake-explorer": _drive_handshake_explorer,
    "wslab-live-console": _drive_live_console,
    "wslab-emit-playground": _drive_emit_playground,
}

BROWSER_CHAT = """async (url) => new Promise((resolve) => {
  const ws = new WebSocket(url);
  const timer = setTimeout(() => resolve('no answer'), 10000);
  ws.onopen = () => ws.send(JSON.stringify({type: 'hello', name: 'browser-test'}));
  ws.onmessage = (event) => { clearTimeout(timer); ws.close(); resolve(JSON.parse(event.data).type); };
  ws.onerror = () => { clearTimeout(timer); resolve('error'); };
})"""


CHAT_SNIPPET = r'new WebSocket\("(ws://[^"]+)"\);\s*ws\.onopen = \(\) => \{ ws\.send\("\{\\"type\\": \\"hello'


def drive_live_widgets(page) -> list[tuple[str, bool]]:
    """Use each live widget of the open notebook once; (what, it worked) per widget."""
    results = []
    for css, drive in DRIVERS.items():
        for i, widget in enumerate(page.locator(f".jp-NotebookPanel .{css}").all()):
            widget.scroll_into_view_if_needed()
            results.append((f"{css} #{i + 1}", drive(page, widget)))
    # Lesson 06's last part: a browser tab joins the chat server the lesson left running
    # (its snippet says hello in the chat's JSON; other lessons print plain echo snippets).
    for output in page.locator(".jp-OutputArea-output", has_text="new WebSocket(").all():
        chat_snippet = re.search(CHAT_SNIPPET, output.inner_text())
        if chat_snippet:
            welcome = page.evaluate(BROWSER_CHAT, chat_snippet.group(1)) == "welcome"
            results.append(("the chat server, from the browser", welcome))
    return results
