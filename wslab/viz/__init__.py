"""Pictures: pure functions from protocol data to deterministic SVG/HTML objects."""
