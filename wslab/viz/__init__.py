"""Pictures: pure functions from protocol data to deterministic SVG/HTML objects."""

from wslab.viz.emit import emit_diagram, timeline  # noqa: E402,F401
