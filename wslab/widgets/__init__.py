"""ipywidgets controls bound to the `wslab.viz` renderers."""

from wslab.widgets.live_console import LiveConsole
