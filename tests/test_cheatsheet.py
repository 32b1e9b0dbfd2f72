"""The printable cheat sheet (wslab.viz.cheatsheet): computed values, one A4 page, readable, saved in docs/."""

from __future__ import annotations

import re
from pathlib import Path

from wslab.handshake import RFC_ACCEPT
from wslab.viz import style
from wslab.viz.cheatsheet import HEIGHT, WIDTH, cheatsheet, emit_rows

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _text_width(text: str, size: float) -> float:
    """Width of `text` in the kit's monospace font at `size` px."""
    return len(text) * size * style.CHAR_WIDTH


TEXT = re.compile(r'<text x="([0-9.]+)" y="([0-9.]+)" font-size="([0-9.]+)" text-anchor="(\w+)"[^>]*>([^<]*)</text>')


def test_saved_copy_is_current():
    """docs/cheatsheet.svg is exactly what the code draws (regenerate: see docs/teaching.md)."""
    assert (DOCS / "cheatsheet.svg").read_text(encoding="utf-8") == cheatsheet().to_string()


def test_values_are_computed_by_wslab():
    page = cheatsheet().to_string()
    assert f"Sec-WebSocket-Accept: {RFC_ACCEPT}" in page  # RFC 6455 §1.3's example
    assert "81 85 37 fa 21 3d 7f 9f 4d 51 58" in page  # §5.7's masked "Hello"
    assert "1009  MESSAGE_TOO_BIG" in page and "0xA PONG" in page
    assert dict(emit_rows()) == {
        "io.emit(…)": "alice, bob, carol",
        "socket.emit(…)": "alice",
        "socket.broadcast.emit(…)": "bob, carol",
        'io.to("red").emit(…)': "alice, bob",
        'socket.to("red").emit(…)': "bob",
        "client socket.emit(…)": "server",
    }


def test_one_page_every_text_readable_and_inside():
    texts = TEXT.findall(cheatsheet().to_string())
    assert len(texts) > 100
    for x, y, size, anchor, content in texts:
        x, y, size = float(x), float(y), float(size)
        width = _text_width(content.replace("&amp;", "&").replace("&quot;", '"'), size)
        start = x - width / 2 if anchor == "middle" else x
        assert size >= 12, content
        assert 0 < start and start + width <= WIDTH - 20 and y <= HEIGHT - 20, content
        assert "…" not in content or content.endswith("(…)"), f"cut off: {content}"
