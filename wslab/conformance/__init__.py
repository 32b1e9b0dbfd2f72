"""The conformance suite: RFC 6455 (and RFC 7692) cases anyone can run against any WebSocket server.

    from wslab import conformance
    results = conformance.run("ws://127.0.0.1:9001/", cases="5.*,6.*")   # blocking; run_async in a loop
    print(conformance.summary(results))

Cases are organised and judged as the Autobahn test suite does (`Verdict`:
OK, NON-STRICT, WRONG CODE, UNCLEAN, FAILED); each `Result` says what was
sent, what came back and the RFC rule. `report.to_html` writes a page that
reads without the kit, `report.to_json` the same as data.

The suite is the cases of every function in `SUITES`, in order: `rfc6455`,
`rfc7692` (permessage-deflate, Autobahn's 12.x and 13.x, and 14.x for its rules),
`opening`. A new category is a module with a ``cases(max_size) -> list[Case]``
function appended to `SUITES`.

Command line: ``python -m wslab conformance URL [--cases 5.*,6.*] [--json FILE] [--html FILE]``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from wslab.conformance import opening, rfc6455, rfc7692
from wslab.conformance.case import PASSING, Case, Result, Sent, Verdict, close_frame, frame, raw
from wslab.conformance.report import by_category, summary, to_html, to_json
from wslab.conformance.runner import run_case, run_cases, select

__all__ = [
    "Case",
    "Result",
    "Sent",
    "Verdict",
    "PASSING",
    "frame",
    "raw",
    "close_frame",
    "SUITES",
    "CATEGORIES",
    "all_cases",
    "select",
    "run",
    "run_async",
    "run_case",
    "run_cases",
    "summary",
    "by_category",
    "to_html",
    "to_json",
]

#: Functions building the cases of each part of the suite, given the server's message-size limit.
SUITES: list[Callable[[int], list[Case]]] = [rfc6455.cases, rfc7692.cases, lambda max_size: opening.cases()]

#: Category names in report order (Autobahn's numbers, then the handshake).
CATEGORIES: list[str] = [*rfc6455.CATEGORIES.values(), *rfc7692.CATEGORIES.values(), opening.CATEGORY]


def all_cases(max_size: int = 1 << 20) -> list[Case]:
    """Every case of the suite; `max_size` is the largest message the server under test accepts."""
    return [case for build in SUITES for case in build(max_size)]


async def run_async(
    url: str,
    cases: str | Sequence[str] | None = None,
    *,
    max_size: int = 1 << 20,
    progress: Callable[[Result], None] | None = None,
) -> list[Result]:
    """Run the cases matching `cases` (glob patterns on ids, e.g. "5.*,6.*"; None: all) against `url`."""
    return await run_cases(url, select(all_cases(max_size), cases), progress)


def run(
    url: str,
    cases: str | Sequence[str] | None = None,
    *,
    max_size: int = 1 << 20,
    progress: Callable[[Result], None] | None = None,
) -> list[Result]:
    """`run_async` from code that has no event loop running (a script, the command line)."""
    return asyncio.run(run_async(url, cases, max_size=max_size, progress=progress))
