"""What the lessons say: the statements issue reviews corrected stay corrected (read from the saved notebooks)."""

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def prose(stem: str) -> str:
    """A lesson's markdown, with line breaks and emphasis flattened so a phrase matches across lines."""
    cells = json.loads((NOTEBOOKS / f"{stem}.ipynb").read_text(encoding="utf-8"))["cells"]
    text = " ".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return re.sub(r"\s+", " ", text.replace("**", "").replace("*", "").replace("\n>", " "))


def code(stem: str) -> str:
    cells = json.loads((NOTEBOOKS / f"{stem}.ipynb").read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


SAYS = {
    "01_why_websocket": [
        "HyBi working group",
        "December 2011",
        "the JavaScript API stayed with the WHATWG",
        '"came with HTML5", is fair',
        "WebSocket does not shrink HTTP headers",
        "It stops sending HTTP after the `101`",
        "holds for HTTP/1.1",
        "HTTP/2 has header compression",
        "Long polling",
        "persistent connection",
    ],
    "02_handshake": [
        '"an appropriate HTTP error code (such as 400 Bad Request)"',
        "426 Upgrade Required with a `Sec-WebSocket-Version`",
        "this server's choice",
        "SHOULD NOT be treated as coming from a browser client",
    ],
    "03_frames": [
        "0x3-0x7 for further non-control frames, 0xB-0xF for further control frames",
        "bit 0 is the most significant bit",
        "network byte order",
        "the 64-bit length's most significant bit must be 0",
        "RSV1 is the bit permessage-deflate",
    ],
    "04_masking": [
        "a server MUST close the connection when a client frame arrives unmasked",
        "a client MUST close the connection when a server frame arrives masked",
        "Appendix (optional): why the fast path is fast",
    ],
    "05_control_and_close": [
        "unless it already received a Close frame",
        "1004 is reserved",
        "need not delay a Ping, if the sender fragments it",
        "while six bytes of the frame are still missing",
        "top-level await",
        "1009 (message too big",
        "as binary (opcode `0x2`) are fine",
    ],
    "06_live_connection": ["Clean-up (optional)", "keep working after Run All"],
    "07_origin_and_cors": [
        "`SameSite=Strict` and `SameSite=Lax` cookies are withheld",
        "`SameSite=None` cookies",
        "once for each new session",
        "is not asked again",
    ],
}

NEVER = {
    "01_why_websocket": ["The protocol was never part of HTML"],
    "02_handshake": ["comes from a program, not a browser"],
    "03_frames": ["the others are reserved."],
    "04_masking": [],
    "05_control_and_close": ["a long message never delays a Ping", "as soon as it can"],
    "06_live_connection": ["Finally, stop both servers"],
    "07_origin_and_cors": ["WebSocket upgrades included", "The browser sends that handshake with your"],
}


@pytest.mark.parametrize("stem", sorted(SAYS))
def test_lesson_says_it_exactly(stem):
    text = prose(stem)
    missing = [phrase for phrase in SAYS[stem] if phrase.replace("**", "").replace("*", "") not in text]
    assert missing == []
    wrong = [phrase for phrase in NEVER[stem] if phrase in text]
    assert wrong == []


def test_speed_material_is_an_appendix_after_the_lesson():
    cells = json.loads((NOTEBOOKS / "04_masking.ipynb").read_text(encoding="utf-8"))["cells"]
    sources = ["".join(c["source"]) for c in cells]
    appendix = next(i for i, s in enumerate(sources) if "## Appendix (optional)" in s)
    assert any("## Summary" in s for s in sources[:appendix])
    assert all("timeit" not in s and "_speedups" not in s for s in sources[:appendix])


def test_lesson_05_shows_utf8_failing_mid_frame_and_1009():
    source = code("05_control_and_close")
    assert "await probe.send(wire[:6 + 3])" in source and "max_message_size=16" in source
    cells = json.loads((NOTEBOOKS / "05_control_and_close.ipynb").read_text(encoding="utf-8"))["cells"]
    outputs = json.dumps([c.get("outputs", []) for c in cells])
    assert "sent 9 of 15 bytes" in outputs and "1007 INVALID_PAYLOAD_DATA" in outputs
    assert "1009 MESSAGE_TOO_BIG" in outputs


def test_lesson_06_leaves_its_servers_running():
    assert "await server.close()" not in code("06_live_connection")


@pytest.mark.parametrize(
    "n, stem",
    [
        (1, "01_why_websocket"),
        (2, "02_handshake"),
        (3, "03_frames"),
        (4, "04_masking"),
        (5, "05_control_and_close"),
        (6, "06_live_connection"),
        (7, "07_origin_and_cors"),
    ],
)
def test_lesson_links_its_exercises(n, stem):
    assert f"](exercises/{stem}.ipynb)" in prose(stem)


HEADER = re.compile(r"^# \d\d · .+\n\n\*About (\d+) minutes \(reading and running; .+\) · before this: (.+)\*\n\n")


LESSONS = sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("stem", LESSONS)
def test_lesson_header_says_how_long_and_what_comes_before(stem):
    import sys

    sys.path.insert(0, str(NOTEBOOKS.parent / "bench"))
    from lesson_times import lesson_time

    cells = json.loads((NOTEBOOKS / f"{stem}.ipynb").read_text(encoding="utf-8"))["cells"]
    header = HEADER.match("".join(cells[0]["source"]))
    assert header, "the first cell: title, then *About N minutes (...) · before this: ...*"
    reading_only = lesson_time(NOTEBOOKS / f"{stem}.ipynb", run=False).minutes
    assert reading_only <= int(header.group(1)) <= reading_only + 5, "re-measure with bench/lesson_times.py"
    if stem != "00_start_here":
        assert re.search(r"`\d\d_\w+`", header.group(2))
