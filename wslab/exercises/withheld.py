"""Class sets without solutions: a ``wslab-classroom.json`` marker with ``{"solutions": false}``.

``python -m wslab classroom DIR --no-solutions`` writes the marker at the root
of the class set; an exercise notebook runs with its own folder as the working
directory, so the marker is found in that folder or one of its parents. The
package itself still contains the solutions (a determined student can read
them); the marker only keeps ``.solution()`` from showing them.
"""

from __future__ import annotations

import json
from pathlib import Path

MARKER = "wslab-classroom.json"


def find_marker(start: Path | None = None) -> Path | None:
    """The nearest ``wslab-classroom.json`` in `start` (default: the working directory) or its parents."""
    start = (start or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        candidate = folder / MARKER
        if candidate.is_file():
            return candidate
    return None


def solutions_withheld(start: Path | None = None) -> bool:
    """True when the nearest marker says ``"solutions": false``. An unreadable marker withholds them too."""
    marker = find_marker(start)
    if marker is None:
        return False
    try:
        return json.loads(marker.read_text(encoding="utf-8")).get("solutions", True) is False
    except (OSError, ValueError, AttributeError):
        return True
