"""ipywidgets controls bound to the `wslab.viz` renderers."""

from wslab.widgets.browser_socket import BrowserSocket
from wslab.widgets.emit_playground import EmitPlayground
from wslab.widgets.frame import FrameInspector
from wslab.widgets.handshake import HandshakeExplorer
from wslab.widgets.live_console import LiveConsole
from wslab.widgets.masking import MaskingExplorer

__all__ = ["BrowserSocket", "EmitPlayground", "FrameInspector", "HandshakeExplorer", "LiveConsole", "MaskingExplorer"]
