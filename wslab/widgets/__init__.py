"""ipywidgets controls bound to the `wslab.viz` renderers."""

from wslab.widgets.frame import FrameInspector
from wslab.widgets.handshake import HandshakeExplorer
from wslab.widgets.masking import MaskingExplorer

__all__ = ["FrameInspector", "HandshakeExplorer", "MaskingExplorer"]

from wslab.widgets.emit_playground import EmitPlayground  # noqa: E402,F401
from wslab.widgets.live_console import LiveConsole  # noqa: E402,F401
