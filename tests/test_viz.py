"""The pictures: deterministic, every field drawn and labelled, invalid frames drawn with their error."""

import re

import pytest

from wslab import handshake
from wslab.codes import Opcode
from wslab.frames import Frame, encode
from wslab.handshake import RFC_KEY
from wslab.masking import RFC_MASK_KEY
from wslab.viz import frame_diagram, handshake_view, hexdump, masking_view, overhead, overhead_chart
from wslab.viz.overhead import handshake_bytes, polling_request, polling_response


def texts(svg) -> str:
    """All the words a reader sees in a picture."""
    return " ".join(re.findall(r">([^<>]+)</text>", svg.to_string()))


@pytest.mark.parametrize(
    "size, length_text, header",
    [(5, "5 bytes", 2), (200, "126: 16 bits follow", 4), (70000, "127: 64 bits follow", 10)],
)
@pytest.mark.parametrize("key", [None, RFC_MASK_KEY])
def test_frame_diagram_every_length_encoding(size, length_text, header, key):
    svg = frame_diagram(Frame(Opcode.BINARY, bytes(size)), mask_key=key)
    words = texts(svg)
    for name in ("FIN", "RSV1", "RSV2", "RSV3", "opcode", "MASK", "payload len", "payload[0]"):
        assert name in words
    assert length_text in words
    if size > 125:
        assert "extended payload length" in words and f"{size} bytes" in words
    else:
        assert "extended payload length" not in words
    if key:
        assert "masking key" in words and "37 fa 21 3d" in words
        header += 4
    assert f"{header}-byte header + {size}-byte payload = {header + size} bytes on the wire" in words
    assert "✗" not in words


@pytest.mark.parametrize("opcode", list(Opcode))
def test_frame_diagram_names_every_opcode(opcode):
    words = texts(frame_diagram(Frame(opcode, b"")))
    assert f"0x{opcode:x} {opcode.name}" in words and opcode.meaning in words


def test_frame_diagram_bits_are_the_wire_bits():
    svg = frame_diagram(Frame(Opcode.TEXT, b"Hi"), mask_key=RFC_MASK_KEY)
    cells = re.findall(r'font-size="12" text-anchor="middle" fill="#222222">([01])</text>', svg.to_string())
    wire = encode(Frame(Opcode.TEXT, b"Hi"), RFC_MASK_KEY)
    assert "".join(cells) == "".join(f"{b:08b}" for b in wire)


def test_frame_diagram_is_deterministic():
    a = frame_diagram(Frame(Opcode.TEXT, b"Hello"), mask_key=RFC_MASK_KEY)
    b = frame_diagram(encode(Frame(Opcode.TEXT, b"Hello"), RFC_MASK_KEY))
    assert a.to_string() == b.to_string() and repr(a) == repr(b)
    assert repr(a) == "<SVG 760x455: frame diagram: valid TEXT frame, masked, 11 bytes>"


@pytest.mark.parametrize(
    "hex_bytes, field, words",
    [
        ("c1 05 48 65 6c 6c 6f", "RSV1", "RSV1 is set"),
        ("83 00", "opcode", "is reserved"),
        ("09 00", "FIN", "MUST NOT be fragmented"),
        ("81 7e 00 05 48 65 6c 6c 6f", "extended payload length", "minimal"),
        ("88 01 03", "payload", "Close"),
    ],
)
def test_invalid_frames_are_drawn_with_field_marked_and_error(hex_bytes, field, words):
    svg = frame_diagram(bytes.fromhex(hex_bytes))
    text = texts(svg)
    assert "invalid frame" in text and words in text and "RFC 6455 §" in text and "1002" in text
    assert f"✗ {field}" in text  # the table row of the offending field
    assert 'stroke-dasharray="5 3"' in svg.to_string()  # its box outlined
    assert repr(svg).startswith("<SVG") and "invalid" in repr(svg)


def test_masking_rule_checked_when_role_given():
    unmasked = encode(Frame(Opcode.TEXT, b"hi"))
    assert "✗" not in texts(frame_diagram(unmasked))
    text = texts(frame_diagram(unmasked, role="server"))
    assert "✗ MASK" in text and "not masked" in text


def test_truncated_frame_is_drawn_as_incomplete():
    text = texts(frame_diagram(bytes.fromhex("81 05 48 65")))
    assert "incomplete frame" in text and "3 more byte" in text and "(3 not arrived)" in text


def test_hexdump_tells_header_from_payload():
    svg = hexdump(Frame(Opcode.TEXT, b"Hello"), mask_key=RFC_MASK_KEY)
    text = texts(svg)
    assert "header (2 bytes)" in text and "masking key (4 bytes)" in text and "payload (5 bytes)" in text
    assert svg.to_string().count("<rect") == 6 + 3  # 6 boxed header/key bytes + 3 legend swatches
    assert "81 85".split()[0] in text
    long = hexdump(bytes(1000), header_size=0)
    assert "more bytes not shown" in texts(long)


def test_masking_view_rows_and_round_trip():
    svg = masking_view(b"Hello, WebSocket!", RFC_MASK_KEY)
    text = texts(svg)
    assert "01001000" in text and "00110111" in text and "01111111" in text  # 'H' XOR 0x37 = 0x7f, in bits
    assert "0x6f 'o'" in text and "0x58" in text  # row 4: key byte 0 again
    assert "masking twice gives back the payload: True" in text
    assert "5 more bytes" in text
    with pytest.raises(ValueError):
        masking_view(b"x", b"abc")


def test_handshake_view_valid_exchange():
    request = handshake.build_request("example.com", "/chat", key=RFC_KEY)
    response = handshake.build_response(handshake.parse_request(request))
    text = texts(handshake_view(request, response))
    assert "258EAFA5-E914-47DA-95CA-C5AB0DC85B11" in text
    assert "b37a4f2cc0624f1690f64606cf385945b2bec4ea" in text and handshake.RFC_ACCEPT in text
    assert "✓ server" in text and "✓ client" in text and "✗" not in text


def test_handshake_view_names_failing_rule():
    request = handshake.build_request("example.com", "/chat", key=RFC_KEY)
    response = handshake.build_response(handshake.parse_request(request))
    tampered = handshake.replace_header(response, "Connection", "keep-alive")
    text = texts(handshake_view(request, tampered))
    assert "✗ Connection: keep-alive" in text and "response check 3" in text
    refused = texts(handshake_view(handshake.replace_header(request, "Sec-WebSocket-Version", "8"), response))
    assert "✗ Sec-WebSocket-Version: 8" in refused and "426" in refused


def test_overhead_sizes_are_measured_bytes():
    o = overhead(20)
    request, response = handshake_bytes()
    assert o.handshake == len(request) + len(response)
    assert o.poll_request == len(polling_request())
    assert o.poll_response_head + 20 == len(polling_response(b"x" * 20))
    assert (o.frame_header, o.masked_frame_header) == (2, 6)
    assert (overhead(200).frame_header, overhead(70000).masked_frame_header) == (4, 14)
    n = o.crossover
    assert o.polling_bytes(n) > o.websocket_bytes(n) and o.polling_bytes(n - 1) <= o.websocket_bytes(n - 1)


def test_overhead_chart_shows_numbers_and_is_deterministic():
    a, b = overhead_chart(20, 20), overhead_chart(20, 20)
    assert a.to_string() == b.to_string()
    o = overhead(20)
    text = texts(a)
    assert f"crossover: from N = {o.crossover}" in text and f"ratio {o.ratio(20):.1f} : 1" in text
    assert f"{o.handshake} B handshake once" in text
