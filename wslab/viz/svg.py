"""A tiny SVG writer shared by every picture.

Output is deterministic byte for byte (nbval compares saved SVG exactly): no
random ids, numbers written with a fixed format, attributes in the order given.
"""

from __future__ import annotations

from html import escape

FONT = "DejaVu Sans Mono, Menlo, Consolas, monospace"


def num(x: float) -> str:
    """A coordinate written the same way every time: at most 2 decimals, no trailing zeros."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def attrs(**kwargs: object) -> str:
    """XML attributes from keyword arguments; `class_` -> class, `font_size` -> font-size."""
    parts = []
    for key, value in kwargs.items():
        if value is None:
            continue
        name = key.rstrip("_").replace("_", "-")
        text = num(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)
        parts.append(f'{name}="{escape(text, quote=True)}"')
    return " ".join(parts)


class Svg:
    """An SVG document built element by element; displays itself in Jupyter."""

    def __init__(self, width: float, height: float, *, title: str = "") -> None:
        self.width = width
        self.height = height
        self.title = title
        self.elements: list[str] = []

    def add(self, element: str) -> None:
        self.elements.append(element)

    def rect(self, x: float, y: float, w: float, h: float, **style: object) -> None:
        self.add(f"<rect {attrs(x=x, y=y, width=w, height=h, **style)}/>")

    def line(self, x1: float, y1: float, x2: float, y2: float, **style: object) -> None:
        self.add(f"<line {attrs(x1=x1, y1=y1, x2=x2, y2=y2, **style)}/>")

    def path(self, d: str, **style: object) -> None:
        self.add(f"<path {attrs(d=d, **style)}/>")

    def text(
        self, x: float, y: float, content: object, *, size: float = 12, anchor: str = "start", **style: object
    ) -> None:
        self.add(
            f"<text {attrs(x=x, y=y, font_size=size, text_anchor=anchor, **style)}>"
            f"{escape(str(content), quote=False)}</text>"
        )

    def to_string(self) -> str:
        title = f"<title>{escape(self.title, quote=False)}</title>" if self.title else ""
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{num(self.width)}" height="{num(self.height)}" '
            f'viewBox="0 0 {num(self.width)} {num(self.height)}" font-family="{FONT}">'
        )
        return head + title + "".join(self.elements) + "</svg>"

    def _repr_svg_(self) -> str:
        return self.to_string()

    def __str__(self) -> str:
        return self.to_string()

    def __repr__(self) -> str:
        # Jupyter shows repr() as the text/plain fallback, and nbval compares it:
        # the default repr would carry a memory address that changes every run.
        return f"<SVG {num(self.width)}x{num(self.height)}: {self.title or 'picture'}>"


def stack(pictures: list[Svg], *, gap: float = 12, title: str = "") -> Svg:
    """Several pictures as one, one below the other (a widget's static copy is one picture)."""
    if len(pictures) == 1:
        return pictures[0]
    width = max((p.width for p in pictures), default=0)
    height = sum(p.height for p in pictures) + gap * max(len(pictures) - 1, 0)
    joined = Svg(width, height, title=title or " + ".join(p.title for p in pictures if p.title))
    y = 0.0
    for picture in pictures:
        joined.add(
            f"<svg {attrs(x=0, y=y, width=picture.width, height=picture.height)} "
            f'viewBox="0 0 {num(picture.width)} {num(picture.height)}">{"".join(picture.elements)}</svg>'
        )
        y += picture.height + gap
    return joined
