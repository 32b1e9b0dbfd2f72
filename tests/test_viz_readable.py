"""Pictures read at 100% zoom: no text under 12 px, nothing a lesson is about cut off, labels never over
lifelines, a broadcast arrow hops over the excluded sender (issue 13 §3)."""

import re

import pytest
from netutil import run

from wslab import chat, handshake
from wslab.events import Server
from wslab.frames import Frame, Opcode, encode
from wslab.masking import RFC_MASK_KEY
from wslab.net import connect, serve
from wslab.tap import Tap
from wslab.viz import emit_diagram, frame_diagram, handshake_view, hexdump, masking_view, overhead_chart, timeline
from wslab.viz.style import CHAR_WIDTH
from wslab.viz.tap import sequence_diagram

TEXT = re.compile(r'<text x="([\d.]+)" y="[\d.]+" font-size="([\d.]+)" text-anchor="(\w+)"[^>]*>([^<]*)</text>')


def _texts(svg: str) -> list[tuple[float, float, str, str]]:
    return [(float(x), float(size), anchor, content) for x, size, anchor, content in TEXT.findall(svg)]


def _extent(x: float, size: float, anchor: str, content: str) -> tuple[float, float]:
    width = len(content.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")) * size * CHAR_WIDTH
    return {"start": (x, x + width), "middle": (x - width / 2, x + width / 2), "end": (x - width, x)}[anchor]


def _chat_tap() -> Tap:
    async def scenario():
        room, tap = chat.ChatServer(), Tap()
        async with serve(room.handler, on_bytes=tap.server_hook) as server:
            members = [
                chat.ChatClient(name, await connect(server.url, mask_key=RFC_MASK_KEY)) for name in ("alice", "bob")
            ]
            for member in members:
                await member.join()
            await members[0].say("hello everyone, this message is long enough to wrap", to="everyone")
            for member in members:
                await member.receive()
            await tap.settle()
            return tap

    return run(scenario())


def _broadcast_server() -> Server:
    io = Server()

    @io.on("connection")
    def on_connection(socket):
        socket.on("chat", lambda msg: socket.broadcast.emit("chat", msg))

    for name in ("alice", "bob", "carol"):
        io.client(name).connect()
    io.clients["alice"].emit("chat", "hi")
    return io


REQUEST = handshake.build_request("example.com", "/chat", key=handshake.RFC_KEY, origin="http://example.com")


def gallery() -> dict[str, str]:
    io = _broadcast_server()
    tap = _chat_tap()
    return {
        "frame, masked 70000-byte continuation": frame_diagram(Frame(Opcode.CONTINUATION, bytes(70000)), RFC_MASK_KEY),
        "frame, invalid": frame_diagram(bytes.fromhex("c1 05 48 65 6c 6c 6f")),
        "hexdump": hexdump(encode(Frame(Opcode.TEXT, b"Hello"), RFC_MASK_KEY)),
        "handshake": handshake_view(REQUEST, handshake.answer(REQUEST).response),
        "masking": masking_view(b"Hello, WebSocket!", RFC_MASK_KEY),
        "overhead": overhead_chart(message_size=20, messages=20),
        "sequence": sequence_diagram(tap.frames()),
        "emit": emit_diagram(io),
        "timeline": timeline(io),
    }


@pytest.fixture(scope="module")
def pictures():
    return {name: svg.to_string() for name, svg in gallery().items()}


def test_no_text_under_12px(pictures):
    for name, svg in pictures.items():
        sizes = [size for _, size, _, _ in _texts(svg)]
        assert sizes and min(sizes) >= 12, f"{name}: text at {min(sizes)} px"


def test_what_the_lesson_is_about_is_not_cut_off(pictures):
    assert f"Sec-WebSocket-Accept: {handshake.RFC_ACCEPT}" in pictures["handshake"]
    frame = pictures["frame, masked 70000-byte continuation"]
    assert ">CONTINUATION<" in frame and ">masking key<" in frame and "CONTINUATI…" not in frame
    words = " ".join(content for *_, content in _texts(pictures["sequence"]))
    assert "hello everyone, this message is long enough to wrap" in words
    for name, svg in pictures.items():
        # "… 5 more bytes, same rule" says how much is left out; nothing else may end in an ellipsis
        cut = [content for *_, content in _texts(svg) if "…" in content and not re.match(r"… \d+ more", content)]
        assert cut == [], name


def _lifelines(svg: str, dash: str) -> list[float]:
    return [
        float(x)
        for x in re.findall(
            rf'<line x1="([\d.]+)" y1="[\d.]+" x2="\1" y2="[\d.]+" [^>]*'
            rf'stroke-dasharray="{dash}"',
            svg,
        )
    ]


@pytest.mark.parametrize("name, dash, label_top", [("sequence", "3 3", 40), ("timeline", "2 3", 30)])
def test_labels_never_over_lifelines(pictures, name, dash, label_top):
    svg = pictures[name]
    lines = _lifelines(svg, dash)
    assert len(lines) >= 3
    ys = dict(re.findall(r'<text x="([\d.]+)" y="([\d.]+)"', svg))
    for x, size, anchor, content in _texts(svg):
        if float(ys[f"{x:g}"] if f"{x:g}" in ys else 0) < label_top:
            continue  # the lifelines' own names, above them
        left, right = _extent(x, size, anchor, content)
        assert not [line for line in lines if left - 2 < line < right + 2], f"{name}: {content!r} crosses a lifeline"


def test_a_broadcast_arrow_hops_over_the_excluded_sender(pictures):
    svg = pictures["timeline"]
    server, alice, bob, carol = _lifelines(svg, "2 3")[:4]
    arrows = re.findall(r'<path d="([^"]+)" fill="none"', svg)
    broadcast = [d for d in arrows if abs(float(re.findall(r"L([\d.]+),", d)[-1]) - carol) < 20]
    assert broadcast, "no arrow to carol"
    hop = re.search(r"L([\d.]+),[\d.]+ A6,6", broadcast[-1])
    assert hop and abs(float(hop.group(1)) - (alice - 6)) < 0.01, broadcast[-1]
