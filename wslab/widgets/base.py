"""What every explorer widget shares: a picture, a status line, and one static copy.

The picture is SVG written into an `ipywidgets.HTML` (a core widget: no
front-end extension needed). A widget is displayed as ONE output whose bundle
carries both the live view and a static copy of its picture (`StaticCopy`):
JupyterLab draws the live widget, a viewer without a kernel or without widget
support (GitHub, nbconvert without widget state) draws the static picture, so
no page shows the same picture twice. No exception raised while redrawing ever
reaches the notebook: input the widget cannot use is shown in place of the
picture (an old picture would look current).
"""

from __future__ import annotations

from html import escape
from typing import Any

import ipywidgets as W

from wslab.viz import style
from wslab.viz.svg import Svg, stack


class StaticCopy:
    """Mixin for a widget: its display bundle also carries `static_bundle()` (SVG or HTML)."""

    def static_bundle(self) -> dict[str, str]:
        raise NotImplementedError

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = super()._repr_mimebundle_(**kwargs)  # type: ignore[misc]
        try:
            bundle.update(self.static_bundle())
        except Exception:  # noqa: BLE001 - a missing static copy must not stop the widget from showing
            pass
        return bundle


def error_box(message: str) -> str:
    """What a widget shows in place of its picture when its input cannot be drawn."""
    return (
        f'<div class="wslab-input-error" style="border:2px dashed {style.ERROR};padding:8px 12px;'
        f'font-family:monospace;font-size:13px;color:{style.ERROR}">✗ {escape(message)}<br>'
        f'<span style="color:{style.MUTED}">no picture until the input above is fixed</span></div>'
    )


class Explorer(StaticCopy, W.VBox):
    """Base class: subclasses build `controls` and implement `pictures()`."""

    def __init__(self, controls: list[W.Widget]) -> None:
        self.picture = W.HTML(layout=W.Layout(overflow="auto"))
        self.picture.add_class("wslab-picture")  # the browser test finds pictures by this class
        self.status = W.HTML()
        self.error: str | None = None
        self.input_error = False
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
        """Redraw from the controls. Input that cannot be drawn replaces the picture with its error
        (said once, there); a drawable but invalid state is drawn with the broken rule marked in it."""
        try:
            svgs = self.pictures()
            self.error = self.problem()
        except Exception as error:  # noqa: BLE001 - a widget callback must not raise into the notebook
            self.error = str(error) if isinstance(error, ValueError) else f"{type(error).__name__}: {error}"
            self.input_error = True
            self.picture.value = error_box(self.error)
            self.status.value = ""
            return
        self.input_error = False
        self.picture.value = "".join(f"<div>{svg.to_string()}</div>" for svg in svgs)
        if self.error:
            self.status.value = _line("✗ invalid: the picture marks the broken rule", style.ERROR)
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

    def static_bundle(self) -> dict[str, str]:
        pictures = self.static()
        if not pictures:
            return {"text/html": error_box(self.error or "nothing to draw")}
        return {"image/svg+xml": stack(pictures).to_string()}

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
