"""ipywidgets controls bound to the `wslab.viz` renderers."""
