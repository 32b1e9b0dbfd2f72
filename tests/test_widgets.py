"""Widgets without a kernel (ipywidgets uses a dummy comm): controls change the picture; nothing raises."""

import pytest

from wslab import handshake
from wslab.masking import RFC_MASK_KEY
from wslab.widgets import FrameInspector, HandshakeExplorer, MaskingExplorer
from wslab.widgets.handshake import TAMPERING


def test_frame_inspector_follows_its_controls():
    w = FrameInspector("Hello")
    assert w.error is None and w.data.hex() == "818537fa213d7f9f4d5158"
    before = w.picture.value
    w.masked.value = False
    assert w.data == b"\x81\x05Hello" and w.picture.value != before and "masking key" not in w.picture.value
    w.opcode.value = 0x2
    assert w.data[0] == 0x82 and "0x2 BINARY" in w.picture.value
    w.payload_as.value = "hex"
    w.payload.value = "00 " * 300
    assert w.data[1] == 126 and "extended payload length" in w.picture.value
    w.fin.value = False
    assert w.data[0] == 0x02 and w.error is None


def test_frame_inspector_shows_rule_errors():
    w = FrameInspector()
    w.rsv2.value = True
    assert "RSV2" in w.error and "1002" in w.error and "✗" in w.status.value
    assert "invalid frame" in w.picture.value
    assert "1002" not in w.status.value, "the error is printed once, in the picture"
    w.rsv2.value = False
    w.opcode.value = 0x9
    w.fin.value = False
    assert "fragmented" in w.error


def test_frame_inspector_decodes_pasted_hex():
    w = FrameInspector()
    w.raw.value = "81 05 48 65 6c 6c 6f"
    assert w.source.value == "decode raw bytes" and w.data == b"\x81\x05Hello" and w.error is None
    w.raw.value = "c1 05 48 65 6c 6c 6f"
    assert "RSV1" in w.error and "✗ RSV1" in w.picture.value


def test_bad_input_is_shown_never_raised():
    w = FrameInspector()
    good = w.picture.value
    w.raw.value = "81 0G"
    # the error replaces the picture (an old picture would look current) and is said once
    assert "'G' is not a hex digit" in w.error and w.input_error
    assert "<svg" not in w.picture.value and "is not a hex digit" in w.picture.value and good != w.picture.value
    assert w.status.value == ""
    w.raw.value = "81 0"
    assert "odd number" in w.error
    w.source.value = "build from fields"
    w.key.value = "37 fa"
    assert "4 bytes" in w.error
    m = MaskingExplorer()
    m.key.value = "12 34"
    assert "exactly 4 bytes" in m.error and "<svg" not in m.picture.value and "exactly 4 bytes" in m.picture.value
    m.key.value = "xyz"
    assert "hex digit" in m.error
    m.key.value = "37 fa 21 3d"
    assert m.error is None and "<svg" in m.picture.value and "✓" in m.status.value


def test_masking_explorer_redraws():
    m = MaskingExplorer("Hi")
    before = m.picture.value
    m.key.value = "00 00 00 00"
    assert m.error is None and m.picture.value != before and "0x48 'H'" in m.picture.value


def test_handshake_explorer_names_failing_rule():
    h = HandshakeExplorer()
    assert h.error is None and handshake.RFC_ACCEPT in h.picture.value
    for name in TAMPERING:
        if name.startswith("none"):
            continue
        h.tamper.value = name
        assert h.error.startswith("client:") and "response check" in h.error, name
    h.tamper.value = next(iter(TAMPERING))
    h.key.value = "AQIDBAUGBwgJCgsMDQ4PEA=="
    assert "Sec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEA==" in h.request.value and h.error is None
    assert handshake.accept_key("AQIDBAUGBwgJCgsMDQ4PEA==") in h.picture.value
    h.request.value = h.request.value.replace("Upgrade: websocket", "Upgrade: h2c")
    assert h.error.startswith("server:") and "Upgrade" in h.error


def test_frame_inspector_shows_only_the_controls_of_its_mode():
    w = FrameInspector()
    assert all(box.layout.display is None for box in w.build_controls) and w.raw.layout.display == "none"
    w.source.value = "decode raw bytes"
    assert all(box.layout.display == "none" for box in w.build_controls) and w.raw.layout.display is None
    w.raw.value = "zz"
    assert w.picture.value.count("not a hex digit") == 1 and "not a hex digit" not in w.status.value


@pytest.mark.parametrize("make", [FrameInspector, MaskingExplorer, HandshakeExplorer])
def test_one_output_carries_the_widget_and_its_static_picture(make):
    bundle = make()._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "application/vnd.jupyter.widget-view+json", "image/svg+xml"}
    assert bundle["image/svg+xml"].startswith("<svg") and bundle["image/svg+xml"].count("<svg") >= 1


def test_static_copy_of_a_widget_with_bad_input_says_so():
    m = MaskingExplorer(key=RFC_MASK_KEY)
    m.key.value = "12 34"
    bundle = m._repr_mimebundle_()
    assert "image/svg+xml" not in bundle and "exactly 4 bytes" in bundle["text/html"]


def test_emit_playground_bad_json_greys_the_old_picture():
    from wslab.widgets import EmitPlayground

    pg = EmitPlayground()
    pg.emit_button.click()
    good = pg.diagram.value
    pg.payload.value = "{not json"
    pg.emit_button.click()
    assert "not valid JSON" in pg.status.value and "stale" in pg.status.value
    assert "wslab-stale" in pg.diagram.value and "opacity" in pg.diagram.value
    pg.payload.value = '"hi"'
    pg.emit_button.click()
    assert "wslab-stale" not in pg.diagram.value and pg.diagram.value == good
    assert set(pg._repr_mimebundle_()) >= {"application/vnd.jupyter.widget-view+json", "image/svg+xml"}


def test_widget_display_includes_a_static_svg():
    from IPython.core.formatters import DisplayFormatter

    w = MaskingExplorer()
    assert [type(s).__name__ for s in w.static()] == ["Svg"]
    assert repr(w) == "MaskingExplorer(payload='Hello', key='37 fa 21 3d')"
    assert "widget-view+json" in str(w._repr_mimebundle_().keys())
    assert DisplayFormatter  # display itself is exercised by the lessons under nbval and in the browser
