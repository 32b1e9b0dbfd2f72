"""What every explorer widget shares: a picture, a status line, and a static copy.

The picture is SVG written into an `ipywidgets.HTML` (a core widget: no
front-end extension needed). Displaying an explorer also displays a static
SVG of its state at that moment, so a notebook saved with outputs shows the
picture on GitHub and nbviewer, where no kernel runs. No exception raised
while redrawing ever reaches the notebook: it is shown in the status line.
"""

from __future__ import annotations

from html import escape

import ipywidgets as W
from IPython.display import display

from wslab.viz import style
from wslab.viz.svg import Svg


class Explorer(W.VBox):
    """Base class: subclasses build `controls` and implement `pictures()`."""

    def __init__(self, controls: list[W.Widget]) -> None:
        self.picture = W.HTML(layout=W.Layout(overflow="auto"))
        self.picture.add_class("wslab-picture")  # the browser test finds pictures by this class
        self.status = W.HTML()
        self.error: str | None = None
        super().__init__([*controls, self.status, self.picture])
        for control in self._watched(controls):
            control.observe(self._changed, names="value")
        self.refresh()

    def pictures(self) -> list[Svg]:
        """The pictures of the current state (may raise: `refresh` reports it)."""
        raise NotImplementedError

    def describe(self) -> str:
        """A one-line summary of the state, shown when everything is fine."""
        return ""

    def refresh(self) -> None:
        """Redraw from the controls; any error goes to the status line, never further."""
        try:
            svgs = self.pictures()
            self.error = self.problem()
        except Exception as error:  # noqa: BLE001 - a widget callback must not raise into the notebook
            self.error = f"{type(error).__name__}: {error}"
            self.status.value = _line(f"✗ {self.error}", style.ERROR)
            return
        self.picture.value = "".join(f"<div>{svg.to_string()}</div>" for svg in svgs)
        if self.error:
            self.status.value = _line(f"✗ {self.error}", style.ERROR)
        else:
            self.status.value = _line(self.describe(), style.INK)

    def problem(self) -> str | None:
        """What is wrong with the state shown (an invalid frame, a failed check), if anything."""
        return None

    def static(self) -> list[Svg]:
        """The pictures as plain SVG objects, for viewers without a kernel."""
        try:
            return self.pictures()
        except Exception:  # noqa: BLE001
            return []

    def _ipython_display_(self) -> None:
        display(self._repr_mimebundle_(), raw=True)
        for svg in self.static():
            display(svg)

    def _changed(self, change: dict) -> None:
        self.refresh()

    @staticmethod
    def _watched(controls: list[W.Widget]) -> list[W.Widget]:
        found = []
        for control in controls:
            if isinstance(control, W.Box):
                found += Explorer._watched(list(control.children))
            elif isinstance(control, W.ValueWidget):
                found.append(control)
        return found


def _line(text: str, colour: str) -> str:
    return f'<span style="font-family:monospace;color:{colour}">{escape(text)}</span>'


def parse_hex(text: str, what: str = "bytes") -> bytes:
    """Bytes from hex text such as "81 85 37fa" (spaces, colons and 0x prefixes allowed)."""
    cleaned = text.replace("0x", " ").replace(":", " ").replace(",", " ")
    digits = "".join(cleaned.split())
    try:
        return bytes.fromhex(digits)
    except ValueError:
        bad = next((c for c in digits if c not in "0123456789abcdefABCDEF"), None)
        reason = f"{bad!r} is not a hex digit" if bad else f"an odd number of hex digits ({len(digits)})"
        raise ValueError(f"{what}: {reason}") from None


def parse_key(text: str) -> bytes:
    """A 4-byte masking key from hex text (§5.3)."""
    key = parse_hex(text, "masking key")
    if len(key) != 4:
        raise ValueError(f"masking key: exactly 4 bytes (8 hex digits) are needed (RFC 6455 §5.3), got {len(key)}")
    return key
