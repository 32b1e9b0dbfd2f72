"""Stands in for the `rfc3987-syntax` package in the test run's processes (tests/conftest.py puts this
folder first on PYTHONPATH): importing the real one builds some 35 Earley parsers with lark, about
2 s of CPU in every process that imports nbformat or jupyter_server (each pytest worker, each
JupyterLab, each nbgrader step). jsonschema imports it only to check the `iri` and `iri-reference`
formats, which no notebook, JupyterLab or nbgrader schema uses; when the import fails jsonschema
skips those two formats (jsonschema/_format.py, upstream issue python-jsonschema/jsonschema#1428).
"""

raise ImportError("rfc3987_syntax is kept out of the test run: see tests/fast_imports/rfc3987_syntax.py")
