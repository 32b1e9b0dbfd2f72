"""Shared fixtures: the system Chromium for browser tests."""

import os

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
