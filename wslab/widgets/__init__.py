"""ipywidgets controls bound to the `wslab.viz` renderers."""

from wslab.widgets.emit_playground import EmitPlayground  # noqa: E402,F401
