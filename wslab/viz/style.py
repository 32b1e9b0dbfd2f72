"""Colours and small text helpers shared by the pictures.

Colour is a help, never the only carrier of meaning: every field is also
labelled and its value written out, so the pictures read in greyscale too.
"""

from __future__ import annotations

import textwrap

FIELD_FILL = {
    "FIN": "#fde2e4",
    "RSV1": "#e9e9e9",
    "RSV2": "#e9e9e9",
    "RSV3": "#e9e9e9",
    "opcode": "#cfe6f3",
    "MASK": "#fff0bf",
    "payload length": "#d6efd0",
    "extended payload length": "#bfe3b8",
    "masking key": "#f1d7f8",
    "payload": "#e6e6fb",
}
INK = "#222222"
MUTED = "#666666"
GRID = "#9a9a9a"
ERROR = "#b00020"
OK = "#1b6e20"
HEADER_FILL = "#fff0bf"
KEY_FILL = "#f1d7f8"
PAYLOAD_FILL = "#ffffff"

# DejaVu Sans Mono advances 0.602 em per character.
CHAR_WIDTH = 0.602


def fit(text: str, width: float, size: float) -> str:
    """`text` cut (with an ellipsis) so it fits in `width` px at `size` px."""
    room = int(width / (size * CHAR_WIDTH))
    if len(text) <= room:
        return text
    return text[: max(room - 1, 0)] + "…"


def wrap(text: str, width: float, size: float) -> list[str]:
    """`text` broken into lines that fit in `width` px at `size` px."""
    return textwrap.wrap(text, max(int(width / (size * CHAR_WIDTH)), 10)) or [""]


def byte_char(b: int) -> str:
    """A byte as a printable ASCII character, or '.' as hex dumps do."""
    return chr(b) if 0x20 <= b < 0x7F else "."
