"""Compressed frames drawn (RFC 7692): RSV1 means "compressed" once permessage-deflate is negotiated."""

import re

import pytest

from wslab.deflate import deflate_steps
from wslab.masking import RFC_MASK_KEY
from wslab.viz.frame import frame_diagram, frame_error
from wslab.widgets import FrameInspector


def texts(svg) -> list[str]:
    return re.findall(r">([^<]+)</text>", svg.to_string())


def test_rfc_7692_hello_is_drawn_compressed_and_inflated():
    frame = bytes.fromhex("c1 07 f2 48 cd c9 c9 07 00")  # RFC 7692 §7.2.3.1
    assert frame_error(frame, compressed=True) is None
    assert "RSV1" in str(frame_error(frame)) and "1002" in str(frame_error(frame))  # not negotiated: reserved
    words = " ".join(texts(frame_diagram(frame, compressed=True)))
    assert "1: compressed (permessage-deflate, §6)" in words and "inflates to 'Hello'" in words
    assert "compressed" in frame_diagram(frame, compressed=True).title


def test_a_masked_compressed_frame_is_unmasked_then_inflated():
    frame = deflate_steps("Hello", mask_key=RFC_MASK_KEY).frame
    assert frame[1] & 0x80 and "inflates to 'Hello'" in " ".join(texts(frame_diagram(frame, compressed=True)))


def test_context_takeover_is_named_when_a_payload_needs_the_earlier_window():
    words = " ".join(texts(frame_diagram(bytes.fromhex("c1 05 f2 00 11 00 00"), compressed=True)))
    assert "context takeover" in words


@pytest.mark.parametrize(
    "frame, where",
    [("c9 00", "control frame"), ("cb 00", "control frame"), ("c0 01 00", "continuation frame")],
)
def test_rsv1_only_on_a_data_messages_first_frame(frame, where):
    error = frame_error(bytes.fromhex(frame), compressed=True)
    assert where in str(error) and error.rfc == "RFC 7692" and error.close_code == 1002 and error.field == "RSV1"


def test_rsv1_on_a_reserved_non_control_opcode_is_the_opcode_error():
    error = frame_error(bytes.fromhex("c3 00"), compressed=True)
    assert error.field == "opcode" and "reserved" in str(error)


def test_frame_inspector_compresses_when_rsv1_is_set():
    w = FrameInspector("Hello", mask_key=None, deflate=True, rsv1=True)
    assert w.data.hex(" ") == "c1 07 f2 48 cd c9 c9 07 00" and w.error is None
    w.opcode.value = 0x9
    assert "control frame" in w.error
    w.opcode.value = 0x1
    w.deflate.value = False
    assert "no extension was negotiated" in w.error
