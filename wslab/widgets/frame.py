"""`FrameInspector`: set every header field of a frame and watch its bytes change (§5.2)."""

from __future__ import annotations

import ipywidgets as W

from wslab.codes import Opcode
from wslab.frames import Frame
from wslab.masking import RFC_MASK_KEY
from wslab.viz.frame import frame_diagram, frame_error
from wslab.viz.hexdump import hexdump
from wslab.viz.svg import Svg
from wslab.widgets.base import Explorer, parse_hex, parse_key

FIELDS, RAW = "build from fields", "decode raw bytes"


def _opcode_options() -> list[tuple[str, int]]:
    options = []
    for value in range(16):
        try:
            name = Opcode(value).name
        except ValueError:
            name = "reserved " + ("non-control" if value < 8 else "control")
        options.append((f"0x{value:x} {name}", value))
    return options


class FrameInspector(Explorer):
    """Toggles for FIN and RSV1-3, an opcode, MASK and its key, a payload as text or hex;
    or raw frame bytes pasted as hex. The diagram and the hex dump follow every change.

    With "permessage-deflate" ticked the extension counts as negotiated: RSV1
    then means "compressed" (RFC 7692 §6), and a frame built with RSV1 carries
    its payload compressed (DEFLATE, the tail 00 00 ff ff removed, §7.2.1)."""

    def __init__(
        self,
        payload: str = "Hello",
        *,
        opcode: int = Opcode.TEXT,
        fin: bool = True,
        mask_key: bytes | None = RFC_MASK_KEY,
        raw: str = "",
        deflate: bool = False,
        rsv1: bool = False,
    ) -> None:
        small = W.Layout(width="auto")
        self.fin = W.Checkbox(value=fin, description="FIN", indent=False, layout=small)
        self.rsv1 = W.Checkbox(value=rsv1, description="RSV1", indent=False, layout=small)
        self.rsv2 = W.Checkbox(value=False, description="RSV2", indent=False, layout=small)
        self.rsv3 = W.Checkbox(value=False, description="RSV3", indent=False, layout=small)
        self.opcode = W.Dropdown(options=_opcode_options(), value=int(opcode), description="opcode")
        self.deflate = W.Checkbox(
            value=deflate, description="permessage-deflate negotiated", indent=False, layout=small
        )
        self.masked = W.Checkbox(value=mask_key is not None, description="MASK", indent=False, layout=small)
        self.key = W.Text(value=(mask_key or RFC_MASK_KEY).hex(" "), description="masking key")
        self.payload = W.Text(value=payload, description="payload")
        self.payload_as = W.ToggleButtons(options=["text", "hex"], value="text", description="payload as")
        self.source = W.ToggleButtons(options=[FIELDS, RAW], value=RAW if raw else FIELDS, description="show")
        self.raw = W.Text(
            value=raw,
            description="raw bytes",
            placeholder="hex, e.g. 81 05 48 65 6c 6c 6f",
            layout=W.Layout(width="95%"),
        )
        self.data = b""
        self.build_controls = [
            W.HBox([self.fin, self.rsv1, self.rsv2, self.rsv3, self.opcode]),
            W.HBox([self.masked, self.key]),
            W.HBox([self.payload, self.payload_as]),
        ]
        super().__init__([self.source, self.deflate, *self.build_controls, self.raw])  # deflate: both modes
        self.add_class("wslab-frame-inspector")
        self.raw.observe(self._raw_typed, names="value")
        self.source.observe(self._show_mode, names="value")
        self._show_mode()

    def frame(self) -> Frame:
        """The frame the field controls describe."""
        text = self.payload.value
        payload = parse_hex(text, "payload") if self.payload_as.value == "hex" else text.encode("utf-8")
        if self.deflate.value and self.rsv1.value and self.opcode.value in (Opcode.TEXT, Opcode.BINARY):
            from wslab.deflate import deflate_steps

            payload = deflate_steps(payload).payload  # a fresh window: the message's first compression
        return Frame(
            self.opcode.value,
            payload,
            fin=self.fin.value,
            rsv1=self.rsv1.value,
            rsv2=self.rsv2.value,
            rsv3=self.rsv3.value,
        )

    def mask_key(self) -> bytes | None:
        return parse_key(self.key.value) if self.masked.value else None

    def pictures(self) -> list[Svg]:
        if self.source.value == RAW:
            self.data = parse_hex(self.raw.value, "raw bytes")
            return [frame_diagram(self.data, compressed=self.deflate.value), hexdump(self.data)]
        frame, key = self.frame(), self.mask_key()
        from wslab.frames import encode

        self.data = encode(frame, key)
        return [frame_diagram(self.data, compressed=self.deflate.value), hexdump(self.data)]

    def problem(self) -> str | None:
        error = frame_error(self.data, compressed=self.deflate.value)
        return None if error is None else str(error)

    def describe(self) -> str:
        shown = self.data[:16].hex(" ") + (" …" if len(self.data) > 16 else "")
        return f"✓ a valid frame, {len(self.data)} bytes: {shown}"

    def _show_mode(self, change: dict | None = None) -> None:
        """Only the controls of the chosen mode: the field controls build a frame, the raw box decodes one."""
        raw = self.source.value == RAW
        for box in self.build_controls:
            box.layout.display = "none" if raw else None
        self.raw.layout.display = None if raw else "none"

    def _raw_typed(self, change: dict) -> None:
        if change["new"].strip() and self.source.value != RAW:
            self.source.value = RAW  # observing source redraws

    def __repr__(self) -> str:
        return f"FrameInspector({self.source.value}, {len(self.data)} bytes)"
