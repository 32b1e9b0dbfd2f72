"""`MaskingExplorer`: type a payload and a key, see every byte XORed (§5.3)."""

from __future__ import annotations

import ipywidgets as W

from wslab.masking import RFC_MASK_KEY
from wslab.viz.masking import masking_view
from wslab.viz.svg import Svg
from wslab.widgets.base import Explorer, parse_key


class MaskingExplorer(Explorer):
    """A payload (text) and a 4-byte masking key (hex); the XOR table follows."""

    def __init__(self, payload: str = "Hello", key: bytes = RFC_MASK_KEY) -> None:
        self.payload = W.Text(value=payload, description="payload")
        self.key = W.Text(value=key.hex(" "), description="masking key")
        super().__init__([W.HBox([self.payload, self.key])])
        self.add_class("wslab-masking-explorer")

    def pictures(self) -> list[Svg]:
        return [masking_view(self.payload.value.encode("utf-8"), parse_key(self.key.value))]

    def describe(self) -> str:
        return f"✓ {len(self.payload.value.encode('utf-8'))} bytes masked with key {self.key.value}"

    def __repr__(self) -> str:
        return f"MaskingExplorer(payload={self.payload.value!r}, key={self.key.value!r})"
