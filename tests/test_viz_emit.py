"""The emit pictures: deterministic, and arrows to exactly the recipients."""

import re

from wslab.events import Server
from wslab.viz import emit_diagram, timeline

HEAD = re.compile(r'<path d="M[^"]*Z" fill="#222"/>')


def world():
    io = Server()

    @io.on("connection")
    def on_connection(socket):
        socket.join({"alice": ["red"], "bob": ["red", "blue"], "carol": ["blue"]}.get(socket.name, []))
        socket.on("chat", lambda msg: socket.broadcast.emit("chat", msg))
        socket.on("sum", lambda a, b: a + b)

    for name in ("alice", "bob", "carol", "dave"):
        io.client(name).connect()
    return io


def test_diagram_is_deterministic_and_sized_for_a_notebook():
    a, b = world(), world()
    a.clients["alice"].emit("chat", "hi")
    b.clients["alice"].emit("chat", "hi")
    svg = emit_diagram(a)
    assert svg.to_string() == emit_diagram(b).to_string()
    assert svg.width <= 720
    assert repr(svg).startswith("<SVG 700x")


def test_diagram_draws_one_arrow_per_recipient_and_marks_the_sender():
    io = world()
    sockets = {s.name: s for s in io.sockets.values()}
    cases = [
        (lambda: io.emit("chat", 1), 4),
        (lambda: sockets["alice"].emit("chat", 1), 1),
        (lambda: sockets["alice"].broadcast.emit("chat", 1), 3),
        (lambda: sockets["alice"].to("blue").emit("chat", 1), 2),
        (lambda: sockets["bob"].to("red").emit("chat", 1), 1),
        (lambda: sockets["bob"].to(sockets["bob"].id).emit("chat", 1), 0),
    ]
    for emit, count in cases:
        emit()
        text = emit_diagram(io).to_string()
        assert len(HEAD.findall(text)) == count, io.trace[-1]
        assert text.count("✓") == count
        received = io.trace[-1].recipients
        assert f"received by: {', '.join(received) if received else 'nobody'}" in text
        assert io.trace[-1].packet.replace('"', "&quot;") in text or io.trace[-1].packet in text
    assert "sender" in emit_diagram(io).to_string()  # bob, the socket that sent the last one


def test_diagram_shows_rooms_and_offline_clients():
    io = world()
    io.clients["dave"].disconnect()
    text = emit_diagram(io).to_string()
    assert "room red" in text and "room blue" in text and "offline" in text
    assert "nothing emitted yet" in text


def test_many_clients_are_summarised():
    io = Server()
    for i in range(15):
        io.client(f"c{i}").connect()
    io.emit("x", 1)
    text = emit_diagram(io).to_string()
    assert "+ 5 more clients not drawn (5 of them received it)" in text
    assert len(HEAD.findall(text)) == 10


def test_timeline_has_a_row_per_packet():
    io = world()
    io.clients["alice"].emit("chat", "hi")
    io.clients["alice"].emit("sum", 1, 2, callback=lambda s: None)
    svg = timeline(io)
    text = svg.to_string()
    assert len(HEAD.findall(text)) == sum(len(d.recipients) for d in io.trace)
    for d in io.trace:
        assert f"#{d.step} " in text
    assert "430[3]" in text and "420[&quot;sum&quot;,1,2]" in text.replace('"sum"', "&quot;sum&quot;")
    assert svg.width <= 720
    assert len(re.findall(r">#\d+ ", timeline(io, last=3).to_string())) == 3
    assert timeline(io).to_string() == text
