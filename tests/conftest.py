"""Shared fixtures: the system Chromium for browser tests, JupyterLab, the progress file; the order
in which pytest-xdist hands out the test files."""

import os
import sys

import pytest

CHROMIUM = "/usr/bin/chromium"
# As root in a container Chromium needs --no-sandbox; the rest keep it from
# reaching for Google's services, which this machine's closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    """A headless Debian Chromium driven by Playwright (no browser download).

    Module scope, not session: while Playwright's sync API is open it keeps an
    event loop marked as running in the main thread, and every `asyncio.run()`
    in a later test module would fail with "cannot be called from a running event loop".
    """
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} is missing: install the Debian package `chromium`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# --- exercise progress (wslab.exercises) ------------------------------------------
# The whole run, and every kernel nbval or JupyterLab starts from it, keeps progress
# in a temporary file: a student's own progress is never touched, and the exercise
# notebooks (saved unsolved) show the same empty progress table every run.


def pytest_configure(config):
    import tempfile

    # Every process started from here on (the xdist workers, JupyterLab, kernels, nbgrader, the CLI)
    # finds tests/fast_imports first: see tests/fast_imports/rfc3987_syntax.py for why.
    fast = os.path.join(os.path.dirname(__file__), "fast_imports")
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if fast not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([fast, *paths])
    # Some machines set PYTHONDONTWRITEBYTECODE: then each of the run's ~50 processes
    # compiles wslab, the tests and JupyterLab's packages again (about 4 s of CPU for a
    # worker's collection alone). The run caches bytecode as Python does by default.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    sys.dont_write_bytecode = False

    folder = tempfile.mkdtemp(prefix="wslab-progress-")
    os.environ["WSLAB_PROGRESS"] = os.path.join(folder, "progress.json")
    config._wslab_progress_folder = folder


def pytest_unconfigure(config):
    import shutil

    folder = getattr(config, "_wslab_progress_folder", None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def progress_file(tmp_path, monkeypatch):
    """A fresh, empty progress file for one test (`WSLAB_PROGRESS` points at it)."""
    path = tmp_path / "progress.json"
    monkeypatch.setenv("WSLAB_PROGRESS", str(path))
    return path


# --- JupyterLab (tests/labutil.py) ---------------------------------------------------
# Module scope, like `browser`: each test module that runs notebooks in JupyterLab starts
# one server and loads one page; the lessons and the exercises are two modules, so the
# two pytest-xdist workers each run half of them.


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on loopback serving notebooks/: (base url, token)."""
    from labutil import jupyterlab

    with jupyterlab(tmp_path_factory.mktemp("lab")) as server:
        yield server


@pytest.fixture(scope="module")
def lab_page(browser, lab):
    """A Chromium page with JupyterLab loaded."""
    from labutil import lab_page

    with lab_page(browser, *lab) as page:
        yield page


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory):
    return tmp_path_factory.mktemp("screenshots")


# --- the order of the run ---------------------------------------------------------
# pytest-xdist (`--dist loadfile --no-loadscope-reorder`, pyproject) hands whole files to the
# two workers in collection order, each worker taking the next file when it is almost done.
# The longest files go first, so that no long file starts last and keeps one worker busy
# while the other is idle: the files that run notebooks in JupyterLab, then the files with
# a test marked `slow`, the files that start Chromium, the notebooks (nbval: a kernel each);
# the many short files last, in their usual order, to even out the end.


def _cost_rank(item) -> int:
    fixtures = getattr(item, "fixturenames", ())
    if "lab_page" in fixtures:
        return 0
    if item.get_closest_marker("slow"):
        return 1
    if "browser" in fixtures:
        return 2
    if item.nodeid.split("::", 1)[0].endswith(".ipynb"):
        return 3
    return 4


def pytest_collection_modifyitems(config, items):
    rank: dict[str, int] = {}
    for item in items:
        file = item.nodeid.split("::", 1)[0]
        rank[file] = min(rank.get(file, 4), _cost_rank(item))
    items.sort(key=lambda item: rank[item.nodeid.split("::", 1)[0]])  # stable: each file keeps its order
