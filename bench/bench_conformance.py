"""Conformance scores of `python -m wslab serve` and of the websockets library's server, side by side.

    python bench/bench_conformance.py [--max-size BYTES] [--json FILE]

Both servers run as echo servers on 127.0.0.1 (free ports) with the same
message-size limit, and the whole suite (`wslab.conformance`) runs against each
in the same run. Prints a Markdown table (the one in the README) and, per
server, every case that was not OK.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import re
import subprocess
import sys
from pathlib import Path

import websockets

from wslab import conformance
from wslab.conformance.report import VERDICTS, by_category

ROOT = Path(__file__).resolve().parents[1]


def start_wslab(max_size: int) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "wslab", "serve", "--port", "0", "--max-size", str(max_size)],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = process.stderr.readline()
    match = re.search(r"ws://127\.0\.0\.1:\d+/", line)
    if not match:
        process.kill()
        raise RuntimeError(f"python -m wslab serve did not start: {line!r}")
    return process, match.group(0)


async def echo(ws) -> None:
    async for message in ws:
        await ws.send(message)


def cell(results: list[conformance.Result], category: str | None = None) -> str:
    chosen = [r for r in results if category is None or r.case.category == category]
    counts = by_category(chosen).get(category) if category else None
    if counts is None:
        from collections import Counter

        counts = Counter(r.verdict for r in chosen)
    passed = sum(r.passed for r in chosen)
    others = ", ".join(f"{counts[v]} {v.value}" for v in VERDICTS[1:] if counts[v])
    return f"{passed}/{len(chosen)}" + (f" ({others})" if others else "")


async def main(max_size: int) -> dict[str, list[conformance.Result]]:
    logging.getLogger("websockets").setLevel(logging.CRITICAL)  # it logs every protocol error it refuses
    process, wslab_url = start_wslab(max_size)
    try:
        async with websockets.serve(echo, "127.0.0.1", 0, max_size=max_size) as server:
            port = server.sockets[0].getsockname()[1]
            return {
                "python -m wslab serve": await conformance.run_async(wslab_url, max_size=max_size),
                f"websockets {websockets.__version__} (asyncio server)": await conformance.run_async(
                    f"ws://127.0.0.1:{port}/", max_size=max_size
                ),
            }
    finally:
        process.terminate()
        process.communicate(timeout=15)


def table(runs: dict[str, list[conformance.Result]]) -> str:
    names = list(runs)
    categories = list(dict.fromkeys(r.case.category for results in runs.values() for r in results))
    lines = ["| category | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for category in categories:
        lines.append(f"| {category} | " + " | ".join(cell(runs[n], category) for n in names) + " |")
    lines.append("| **all** | " + " | ".join(f"**{cell(runs[n])}**" for n in names) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-size", type=int, default=1 << 20, help="both servers' message-size limit (1 MiB)")
    parser.add_argument("--json", metavar="FILE", help="also write both runs as JSON")
    args = parser.parse_args()
    runs = asyncio.run(main(args.max_size))
    print(table(runs))
    for name, results in runs.items():
        print(f"\n{name}: cases not OK")
        for result in results:
            if result.verdict is not conformance.Verdict.OK:
                print(f"  {result.case.id} {result.verdict.value}: {result.case.title} — {result.detail}")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {name: json.loads(conformance.to_json(results, server=name)) for name, results in runs.items()},
                indent=2,
                ensure_ascii=False,
            )
        )
