"""Reports of a conformance run: a text table, JSON, and an HTML page that needs nothing else.

Everything here is a pure function of the results, so the same run gives the
same report (the seconds each case took are in the JSON only).
"""

from __future__ import annotations

import html
import json
from collections import Counter
from collections.abc import Sequence

from wslab.conformance.case import Result, Verdict

__all__ = ["by_category", "summary", "to_json", "to_html", "score"]

VERDICTS = list(Verdict)


def by_category(results: Sequence[Result]) -> dict[str, Counter]:
    """Verdict counts per category, categories in the order their first case ran."""
    table: dict[str, Counter] = {}
    for result in results:
        table.setdefault(result.case.category, Counter())[result.verdict] += 1
    return table


def score(results: Sequence[Result]) -> str:
    """``"148/150 passed (OK or NON-STRICT)"``."""
    passed = sum(result.passed for result in results)
    return f"{passed}/{len(results)} passed (OK or NON-STRICT)"


def summary(results: Sequence[Result], *, details: bool = True) -> str:
    """A text table of verdicts per category, then each case that is not OK with what happened."""
    header = ["category", "cases", *[v.value for v in VERDICTS]]
    rows = []
    for category, counts in by_category(results).items():
        rows.append([category, str(sum(counts.values())), *[str(counts[v] or "") for v in VERDICTS]])
    totals = Counter(result.verdict for result in results)
    rows.append(["all", str(len(results)), *[str(totals[v] or "") for v in VERDICTS]])
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(row: list[str]) -> str:
        return "  ".join(cell.ljust(widths[0]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row))

    lines = [
        line(header),
        "  ".join("-" * w for w in widths),
        *map(line, rows[:-1]),
        "  ".join("-" * w for w in widths),
        line(rows[-1]),
        "",
        score(results),
    ]
    if details:
        for result in results:
            if result.verdict is not Verdict.OK:
                lines += ["", *_case_lines(result)]
    return "\n".join(lines)


def _case_lines(result: Result) -> list[str]:
    case = result.case
    return [
        f"{case.id} {result.verdict.value}: {case.title}",
        f"  why:      {result.detail}",
        f"  rule:     {case.rule}",
        *[f"  sent:     {line}" for line in result.sent()],
        *[f"  received: {line}" for line in result.received],
    ]


def to_json(results: Sequence[Result], *, server: str = "") -> str:
    """The run as JSON: the server, the counts per category and every case."""
    data = {
        "server": server,
        "score": score(results),
        "categories": {
            category: {v.value: counts[v] for v in VERDICTS} for category, counts in by_category(results).items()
        },
        "cases": [result.as_dict() for result in results],
    }
    return json.dumps(data, indent=2, ensure_ascii=False)


_COLOURS = {
    Verdict.OK: "#1b7f3b",
    Verdict.NON_STRICT: "#6b8e23",
    Verdict.WRONG_CODE: "#b8860b",
    Verdict.UNCLEAN: "#c05f00",
    Verdict.FAILED: "#b00020",
    Verdict.UNIMPLEMENTED: "#666666",
}

_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 60em; color: #222; padding: 0 1em; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
td.n { text-align: right; }
.verdict { color: #fff; font-weight: bold; padding: 0.1em 0.4em; border-radius: 3px; white-space: nowrap; }
details { margin: 0.3em 0; } summary { cursor: pointer; }
pre { background: #f6f6f6; padding: 0.5em; white-space: pre-wrap; margin: 0.3em 0; }
@media print { details { display: block; } }
"""


def _badge(verdict: Verdict) -> str:
    return f'<span class="verdict" style="background:{_COLOURS[verdict]}">{verdict.value}</span>'


def to_html(results: Sequence[Result], *, server: str = "", title: str = "WebSocket conformance report") -> str:
    """A self-contained page (no script, no external file): the table per category, then every case."""
    esc = html.escape
    head_cells = "".join(f"<th>{v.value}</th>" for v in VERDICTS)
    rows = []
    for category, counts in by_category(results).items():
        cells = "".join(f'<td class="n">{counts[v] or ""}</td>' for v in VERDICTS)
        rows.append(f'<tr><td>{esc(category)}</td><td class="n">{sum(counts.values())}</td>{cells}</tr>')
    cases = []
    for result in results:
        case = result.case
        body = "\n".join(
            [
                f"<p><b>Why:</b> {esc(result.detail)}</p>",
                f"<p><b>Rule:</b> {esc(case.rule)}</p>",
                "<p><b>Sent:</b></p><pre>" + esc("\n".join(result.sent())) + "</pre>",
                "<p><b>Received:</b></p><pre>" + esc("\n".join(result.received) or "(nothing)") + "</pre>",
            ]
        )
        opened = " open" if result.verdict is not Verdict.OK else ""
        cases.append(
            f"<details{opened}><summary>{_badge(result.verdict)} <b>{esc(case.id)}</b> "
            f"{esc(case.category)}: {esc(case.title)}</summary>\n{body}\n</details>"
        )
    server_line = f"<p>Server: <code>{esc(server)}</code></p>" if server else ""
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{esc(title)}</title><style>{_STYLE}</style></head><body>",
            f"<h1>{esc(title)}</h1>",
            server_line,
            f"<p><b>{esc(score(results))}</b></p>",
            "<p>Verdicts as the Autobahn test suite gives them: OK (as the RFC asks), NON-STRICT (acceptable, "
            "but later than it could be), WRONG CODE (another close code or HTTP status), UNCLEAN (the closing "
            "was not clean), FAILED (wrong behaviour).</p>",
            f"<table><tr><th>category</th><th>cases</th>{head_cells}</tr>",
            *rows,
            "</table>",
            "<h2>Cases</h2>",
            *cases,
            "</body></html>",
        ]
    )
