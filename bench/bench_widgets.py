"""Time from a control change to a new picture, Python side (goal: median <= 10 ms).

Run from the repository root:  python bench/bench_widgets.py
Each change sets a control's value, which runs the widget's observer: the
frame is encoded, the diagram and hex dump (or the table, or the handshake
picture) are drawn, and the HTML widget's value is replaced. Payload: 125 bytes.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from wslab.widgets import FrameInspector, HandshakeExplorer, MaskingExplorer  # noqa: E402
from wslab.widgets.handshake import TAMPERING  # noqa: E402

PAYLOAD = "x" * 125
ROUNDS = 200


def timed(change, rounds: int = ROUNDS) -> list[float]:
    samples = []
    for i in range(rounds):
        start = time.perf_counter()
        change(i)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def main() -> None:
    frame = FrameInspector(PAYLOAD)
    masking = MaskingExplorer(PAYLOAD)
    shake = HandshakeExplorer()
    tampering = list(TAMPERING)
    cases = {
        "FrameInspector: toggle FIN": lambda i: setattr(frame.fin, "value", i % 2 == 0),
        "FrameInspector: change opcode": lambda i: setattr(frame.opcode, "value", (1, 2, 9)[i % 3]),
        "FrameInspector: edit payload": lambda i: setattr(frame.payload, "value", PAYLOAD[:-1] + str(i % 10)),
        "FrameInspector: paste raw hex": lambda i: setattr(frame.raw, "value", f"81 05 48 65 6c 6c {i % 100:02x}"),
        "MaskingExplorer: edit key": lambda i: setattr(masking.key, "value", f"37 fa 21 {i % 256:02x}"),
        "HandshakeExplorer: tamper": lambda i: setattr(shake.tamper, "value", tampering[i % len(tampering)]),
    }
    print(f"control change -> new picture, {ROUNDS} changes each, 125-byte payload (milliseconds)")
    print(f"{'case':<34} {'median':>7} {'p90':>7} {'max':>7}")
    for name, change in cases.items():
        samples = sorted(timed(change))
        p90 = samples[int(len(samples) * 0.9)]
        print(f"{name:<34} {statistics.median(samples):7.2f} {p90:7.2f} {samples[-1]:7.2f}")


if __name__ == "__main__":
    main()
