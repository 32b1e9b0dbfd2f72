"""Pictures: pure functions from protocol data to deterministic SVG/HTML objects."""

from wslab.viz.emit import emit_diagram, timeline
from wslab.viz.frame import frame_diagram
from wslab.viz.handshake import handshake_view
from wslab.viz.hexdump import hexdump
from wslab.viz.masking import masking_view
from wslab.viz.overhead import overhead, overhead_chart
from wslab.viz.steps import decode_steps, encode_steps
from wslab.viz.svg import Svg
from wslab.viz.tap import sequence_diagram, tap_table

__all__ = [
    "Svg",
    "decode_steps",
    "emit_diagram",
    "encode_steps",
    "frame_diagram",
    "handshake_view",
    "hexdump",
    "masking_view",
    "overhead",
    "overhead_chart",
    "sequence_diagram",
    "tap_table",
    "timeline",
]
