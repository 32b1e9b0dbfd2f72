"""The capstone server (wslab.exercises.capstone) graded by the conformance suite, over real sockets.

With the reference solutions it passes every case; with one planted mistake the
scoreboard shows which cases catch it; placeholders grade NOT DONE; a student
function that raises or returns the wrong type is reported with the student's
own line. The notebook itself runs in JupyterLab, and a real Chromium connects to it, in
test_browser_exercises.
"""

from __future__ import annotations

import pytest
from netutil import run

from wslab.conformance import Verdict
from wslab.exercises import capstone
from wslab.viz.scoreboard import scoreboard

REFERENCE = capstone.reference_functions()


async def graded(functions, cases=None) -> tuple[capstone.Scoreboard, capstone.CapstoneServer, str]:
    server = await capstone.start(functions, name="test")
    try:
        board = await capstone.grade(server, cases)
        client = await capstone.client_check(server.url)
    finally:
        await server.close()
    return board, server, client


@pytest.mark.slow  # the whole conformance suite, 16 MiB cases included
def test_reference_solutions_pass_every_case():
    board, _, client = run(graded(REFERENCE))
    not_ok = [(r.case.id, r.verdict.value, r.detail) for r in board.results if r.verdict is not Verdict.OK]
    assert not_ok == []
    assert len(board.results) > 120 and board.summary() == f"{len(board.results)}/{len(board.results)} cases passed"
    assert client.startswith("✓ websockets client")
    assert board.details() == "No case failed."


def test_forgetting_to_unmask_is_caught():
    def unmask(payload: bytes, key: bytes) -> bytes:
        return payload

    board, _, client = run(graded({**REFERENCE, "unmask": unmask}))
    grades = {r.case.id: board.grade(r) for r in board.results}
    assert grades["1.2"] == "FAILED"  # a 1-byte text comes back as the masked byte
    assert "got TEXT '\\x1d'" in next(r.detail for r in board.results if r.case.id == "1.2")
    assert grades["3.1"] == "OK"  # caught by check_header before any payload is read
    assert grades["H.1"] == "OK"  # the handshake needs no unmasking
    by_category = {}
    for result in board.results:
        by_category.setdefault(result.case.category, []).append(result.passed)
    assert not any(by_category["opcodes"])  # each needs a good message echoed first
    assert sum(by_category["framing"]) <= 3 and all(by_category["reserved bits"][:9])
    assert client.startswith("✗")
    assert "1.1 WRONG CODE" in board.details(limit=2) and "rule:" in board.details(limit=2)


def test_placeholders_grade_not_done_and_say_what_to_write_first():
    def stub(*args): ...

    board, server, client = run(graded(dict.fromkeys(capstone.FUNCTIONS, stub)))
    grades = [board.grade(r) for r in board.results]
    assert set(grades) <= {"NOT DONE", "OK"} and grades.count("NOT DONE") > 120
    assert board.not_done == list(capstone.FUNCTIONS)
    assert board.summary().endswith("(write accept_key first)")
    assert board.failed() == []
    assert "wait for functions not written yet; write accept_key first" in board.details()
    assert client.startswith("✗ the handshake was refused: HTTP 500: validate_request: not done yet")


def test_a_function_that_raises_is_reported_with_the_students_line():
    def parse_header(data: bytes):
        return data[99]  # the student's bug: IndexError

    board, server, _ = run(graded({**REFERENCE, "parse_header": parse_header}, "1.2"))
    (result,) = board.results
    assert result.verdict is Verdict.FAILED and "CLOSE 1011 INTERNAL_ERROR" in result.received[1]
    (problem,) = board.problems["1.2"]
    assert problem.function == "parse_header" and problem.kind == "raised"
    assert "IndexError: index out of range" in problem.detail and "return data[99]" in problem.detail
    assert "your code: parse_header raised IndexError" in board.details()


def test_a_wrong_return_type_is_reported():
    def check_header(header, max_size):
        return "1002"

    board, _, _ = run(graded({**REFERENCE, "check_header": check_header}, "3.1"))
    (problem,) = board.problems["3.1"]
    assert str(problem) == "check_header returned '1002' (expected int or None)"


def test_missing_function_is_a_clear_error():
    with pytest.raises(TypeError, match="needs these functions too: close_reply"):
        capstone.CapstoneServer({name: f for name, f in REFERENCE.items() if name != "close_reply"})


def test_scoreboard_picture_is_deterministic_and_complete():
    board, _, _ = run(graded(REFERENCE, "1.1,2.*,H.1"))
    picture = scoreboard(board).to_string()
    assert picture == scoreboard(board).to_string()
    for text in ("framing", "ping/pong", "handshake", "1/1 passed", "6/6 passed", "NOT DONE", "UNCLEAN"):
        assert text in picture
    assert board._repr_svg_() == picture
