"""Every exercise notebook (notebooks/exercises/) in a real JupyterLab, driven by Chromium, with the same
checks as the lessons in test_browser_lessons: all cells run, no errors, widgets rendered and shown once,
live widgets working after Run All.

The capstone (exercises/10_your_own_server) is then checked further: with the placeholders the
scoreboard says what to write first, and a real Chromium WebSocket talks to the reference server the
notebook left running. One JupyterLab and one page for this module (labutil).
"""

from __future__ import annotations

import re

import pytest
from labutil import NOTEBOOKS, assert_ran_cleanly, notebook_id, notebooks, run_notebook

EXERCISES = notebooks(exercises=True)
CAPSTONE = NOTEBOOKS / "exercises" / "10_your_own_server.ipynb"

ECHO_FROM_THE_BROWSER = """(url) => new Promise((resolve) => {
    const ws = new WebSocket(url);
    const got = [];
    ws.onopen = () => ws.send("hello from the browser");
    ws.onmessage = (event) => { got.push(event.data); ws.close(1000); };
    ws.onclose = (event) => resolve({got, code: event.code});
    setTimeout(() => resolve({got, code: 'timeout'}), 10000);
})"""


@pytest.mark.parametrize("notebook", EXERCISES, ids=[notebook_id(p) for p in EXERCISES])
def test_exercise_runs_in_jupyterlab(lab_page, notebook, screenshots):
    after = capstone_check if notebook == CAPSTONE else None
    report, driven, capstone = run_notebook(lab_page, notebook, screenshots, after)
    assert_ran_cleanly(notebook, report, driven)
    if after is not None:
        text, echo = capstone
        assert report["pictures"] >= 3, report
        assert "wait for functions not written yet; write accept_key first" in text
        assert echo == {"got": ["hello from the browser"], "code": 1000}


def capstone_check(page) -> tuple[str, dict]:
    """After Run All of the capstone: the notebook's text, and what a browser WebSocket got back from the
    reference server (the second snippet the notebook prints)."""
    text = page.evaluate("() => window.__wslabPanel.content.node.innerText")
    reference_url = re.findall(r'new WebSocket\("(ws://127\.0\.0\.1:\d+/)"\)', text)[1]
    return text, page.evaluate(ECHO_FROM_THE_BROWSER, reference_url)
