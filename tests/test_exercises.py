"""wslab.exercises: every exercise passes with its reference solution and fails, with the right
feedback data, on a wrong answer; placeholders are "not done yet"; student errors show no wslab frame."""

import json
from pathlib import Path

import pytest

from wslab import exercises, frames, handshake
from wslab.exercises import feedback as fb
from wslab.exercises import solutions
from wslab.exercises.feedback import FAILED, NOT_DONE, PASSED
from wslab.frames import Frame, Header, Opcode
from wslab.masking import RFC_MASK_KEY

ALL = exercises.all()
IDS = [e.id for e in ALL]


@pytest.fixture(autouse=True)
def _own_progress(progress_file):
    """Each test gets an empty progress file of its own."""


def test_at_least_50_exercises_over_lessons_01_to_09():
    counts = {n: len(ls) for n, ls in exercises.lessons().items()}
    assert set(counts) == {f"{n:02}" for n in range(1, 10)}
    assert all(c >= 5 for c in counts.values()), counts
    assert sum(counts.values()) >= 50
    assert len(set(IDS)) == len(IDS)


def _playground(pattern="socket.broadcast.emit"):
    from wslab.widgets import EmitPlayground

    pg = EmitPlayground()
    pg.pattern.value = pattern
    pg.emit()
    return pg


def _args(exercise):
    return (_playground(),) if exercise.id == "08.playground" else ()


@pytest.mark.parametrize("exercise", ALL, ids=IDS)
def test_reference_passes(exercise):
    result = exercise.evaluate(exercise.model_answer(), *_args(exercise))
    assert result.status == PASSED, repr(result)
    assert result.summary


# --- one wrong answer per exercise, and what its feedback must say -------------------


def _upper_wrong(ws):  # no async: not a handler
    return None


async def _echo_unchanged(ws):
    async for message in ws:
        await ws.send(message)


async def _global_count_handler(ws):  # counts over all connections: wrong
    async for _ in ws:
        _COUNTER.append(1)
        await ws.send(str(len(_COUNTER)))


_COUNTER: list = []


async def _two_pings(url):
    from wslab.net import connect

    ws = await connect(url)
    await ws.ping(b"1")
    await ws.ping(b"2")
    await ws.close()
    return 0.001


def _wrong_reassemble(message, frame):  # forgets to clear the message
    message.append(frame)
    return Frame(message[0].opcode, b"".join(f.payload for f in message)) if frame.fin else None


def _utf8_wrong(data, final=True):
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        return e.start
    return None


def _on_connection_broadcast(socket):
    socket.on("join", lambda room: socket.join(room))
    socket.on("say", lambda room, text: socket.broadcast.emit("said", text))
    socket.on("sum", lambda a, b: a + b)


def _validate_no_version_check(request):
    result = solutions.validate_request(request)
    return None if result and result[0] == 426 else result


def _check_header_no_mask_rule(header, max_size):
    return (
        None
        if not header.masked
        and solutions.check_header(header, max_size) == 1002
        and not (header.rsv1 or header.rsv2 or header.rsv3)
        and header.opcode in (0, 1, 2)
        else solutions.check_header(header, max_size)
    )


WRONG = {
    "01.two_documents": "a",
    "01.frame_overhead": lambda size, masked: 2 + (4 if masked else 0),
    "01.header_1k": {"client": 6, "server": 2},
    "01.crossover_1k": 1,
    "01.bytes_100": {"polling": 1, "websocket": 2},
    "01.frame_metadata": "a",
    "01.latency": "c",
    "02.accept_key": lambda key: solutions.accept_key(key.strip() + " "),
    "02.key_bytes": 24,
    "02.validate_request": _validate_no_version_check,
    "02.status_codes": {
        "Sec-WebSocket-Version: 8": 400,
        "POST instead of GET": 405,
        "HTTP/1.0": 505,
        "no Sec-WebSocket-Key": 400,
        "Origin not on the allow-list": 403,
    },
    "02.failing_rule": {
        "PUT instead of GET": 1,
        "no Host header": 2,
        "Upgrade: h2c": 4,
        "Connection: keep-alive": 4,
        "a key of 15 bytes": 5,
        "no Sec-WebSocket-Version": 6,
    },
    "02.make_bad_request": handshake.replace_header(handshake.build_request("example.com", "/"), "Upgrade", None),
    "02.accept_proves": "a",
    "02.bad_accept": "a",
    "03.decode_by_hand": {
        "fin": 1,
        "opcode": 1,
        "mask": 1,
        "payload length": 5,
        "masking key": "37 fa 21 3d",
        "payload": "Hellp",
    },
    "03.parse_header": lambda data: solutions.parse_header(data) if len(data) >= 14 else None,
    "03.encode_length": lambda n: bytes([min(n, 127)]),
    "03.length_encoding": {5: 5, 125: 125, 126: 127, 1000: 126, 65535: 126, 65536: 127},
    "03.control_opcodes": {8, 9},
    "03.make_rsv2": frames.encode(Frame(Opcode.TEXT, b"hi", rsv1=True), RFC_MASK_KEY),  # RSV1, not RSV2
    "03.make_fragments": frames.encode(Frame(Opcode.TEXT, b"Hello")),
    "03.make_non_minimal": frames.encode(Frame(Opcode.BINARY, bytes(200)), RFC_MASK_KEY),
    "04.unmask": lambda payload, key: bytes(b ^ key[0] for b in payload),
    "04.why_mask": "b",
    "04.masked_byte": "0x2c",
    "04.key_index": 13,
    "04.unmasked_to_server": 1000,
    "04.server_masks": "a",
    "04.make_masked": frames.encode(Frame(Opcode.TEXT, b"ping"), RFC_MASK_KEY),
    "05.check_header": _check_header_no_mask_rule,
    "05.reassemble": _wrong_reassemble,
    "05.first_invalid_utf8": _utf8_wrong,
    "05.close_reply": lambda payload: payload,
    "05.ping_between": ["TEXT", "PONG"],
    "05.close_codes": {
        "RSV1 set, no extension": 1002,
        "text that is not UTF-8": 1002,
        "a 2 MiB message (the server's limit is 1 MiB)": 1009,
        "a ping with 126 bytes of payload": 1002,
        "close code 1005 in a Close frame": 1002,
        "a continuation with nothing to continue": 1002,
    },
    "05.never_sent": {1005, 1006},
    "05.make_long_ping": frames.encode(Frame(Opcode.PING, b"x" * 125), RFC_MASK_KEY),
    "06.asyncio_run": "b",
    "06.upper_echo": _echo_unchanged,
    "06.round_trip": _two_pings,
    "06.counting_echo": _global_count_handler,
    "06.tap_entries": 2,
    "06.header_sizes": {"client": 2, "server": 2},
    "07.origin_allowed": lambda origin, allowed: origin in allowed,
    "07.refused_status": 400,
    "07.page_origin": "http://localhost:8888/lab",
    "07.cswsh": "a",
    "07.forged": "a",
    "07.make_refused": handshake.build_request("chat.example", "/", origin="https://chat.example"),
    "07.cors_option": "a",
    "08.io_emit": {"bob", "carol"},
    "08.socket_emit": {"alice", "bob", "carol"},
    "08.broadcast_emit": {"alice", "bob", "carol"},
    "08.after_disconnect": {"bob", "carol"},
    "08.client_emit": {"bob", "carol"},
    "08.playground": {"alice", "bob", "carol"},
    "08.once_off": [("on", 1), ("once", 1), ("on", 2), ("once", 2)],
    "08.wire_packet": '2["chat","hi"]',
    "08.ack_packets": ['42["sum",1,2]', "43[3]"],
    "08.reserved": {"connect", "disconnect"},
    "09.io_to_room": {"bob"},
    "09.socket_to_room": {"alice", "bob"},
    "09.union": {"alice", "bob"},
    "09.except_room": {"alice"},
    "09.own_id": {"bob"},
    "09.ack_ids": ['420["sum",1,2]', "430[3]", '420["sum",10,20]', "430[30]"],
    "09.event_packet": lambda event, args, ack_id=None: "42" + json.dumps([event, *args]),
    "09.rooms_handler": _on_connection_broadcast,
    "09.heartbeat": "89 00",
}


def test_every_exercise_has_a_wrong_answer():
    assert set(WRONG) == set(IDS)


@pytest.mark.parametrize("exercise", ALL, ids=IDS)
def test_wrong_answer_fails_with_the_failing_case(exercise):
    result = exercise.evaluate(WRONG[exercise.id], *_args(exercise))
    assert result.status == FAILED, repr(result)
    assert not result
    if exercise.kind == "function":  # the first failing case: input, expected, got, the rule
        case = result.case
        assert case.input and case.rule.startswith(("RFC", "Socket.IO")), repr(result)
        assert not exercise.compare(case.got, case.expected)
        assert exercise.compare(exercise.call(exercise.reference, *_case_args(exercise, case)), case.expected)
    elif exercise.kind in ("predict", "choice") and exercise.id != "08.playground":
        assert result.case is not None and result.case.got is not None
        assert result.case.reveal is False  # a prediction's answer is not given away
    text, html = repr(result), result._repr_html_()
    assert text.startswith(f"✗ {exercise.id}") and "✗" in html


def _case_args(exercise, case):
    for _, args, _expected, _rule in exercise.cases():
        if exercise.show_input(*args) == case.input:
            return args
    raise AssertionError("the failing case is not one of the exercise's cases")


# --- the feedback's data, for a few exercises in detail -------------------------------------


def test_accept_key_feedback_names_input_expected_got_rule():
    result = exercises.get("02.accept_key").evaluate(lambda key: key[::-1])
    assert result.case.input == f"accept_key({handshake.RFC_KEY!r})"
    assert result.case.expected == handshake.RFC_ACCEPT
    assert result.case.got == handshake.RFC_KEY[::-1]
    assert "§1.3" in result.case.rule
    passed = exercises.get("02.accept_key").evaluate(solutions.accept_key)
    assert passed.proven == {"RFC vector": 1, "edge case": 3, "random key": 200}
    assert "websockets" in passed.summary


def test_make_bytes_names_the_rule_actually_broken():
    result = exercises.get("03.make_rsv2").evaluate(WRONG["03.make_rsv2"])
    assert "1002" in str(result.case.got) and "[RSV1]" in str(result.case.got) and "§5.2" in str(result.case.got)
    assert "RSV2" in str(result.case.expected)


def test_set_prediction_says_who_is_missing_and_who_is_extra():
    result = exercises.get("08.broadcast_emit").evaluate({"alice", "bob"})
    assert result.case.got == {"alice", "bob"} and result.case.expected == {"bob", "carol"}
    assert "carol also receives it" in result.summary and "alice does not" in result.summary


def test_table_prediction_names_the_first_wrong_entry():
    result = exercises.get("02.status_codes").evaluate(WRONG["02.status_codes"])
    assert result.case.input == "'Sec-WebSocket-Version: 8'" and result.case.got == 400
    assert result.case.expected == 426


def test_live_handler_failure_shows_what_the_client_got():
    result = exercises.get("06.upper_echo").evaluate(_echo_unchanged)
    assert result.case.expected == "HELLO" and result.case.got == "hello"


# --- placeholders ----------------------------------------------------------------------


def _stub_ellipsis(x): ...


def _stub_pass(x):
    """A docstring, then pass."""
    pass


def _stub_raise(x):
    raise NotImplementedError


async def _stub_async(ws): ...


@pytest.mark.parametrize(
    "answer",
    [..., None, _stub_ellipsis, _stub_pass, _stub_raise, _stub_async, {"a": ...}, [1, ...]],
    ids=[
        "ellipsis",
        "None",
        "body ...",
        "body pass",
        "raise NotImplementedError",
        "async ...",
        "dict with ...",
        "list with ...",
    ],
)
def test_placeholders_are_not_done_yet(answer):
    for exercise in (exercises.get("02.accept_key"), exercises.get("06.upper_echo"), exercises.get("01.crossover_1k")):
        result = exercise.evaluate(answer)
        assert result.status == NOT_DONE and result.summary.startswith("not done yet")
        assert not result


def test_a_not_done_check_records_no_attempt(progress_file):
    assert exercises.get("02.accept_key").check(...) is False
    assert not progress_file.exists()


# --- a student's exception ------------------------------------------------------------


def _student_accept_key(key):
    digest = key.encode() + 1  # the student's own mistake
    return digest


def _student_calls_wslab(payload, key):
    from wslab import masking

    return masking.mask(payload, key[:3])  # a 3-byte key: wslab raises inside its own code


@pytest.mark.parametrize(
    "exercise_id, answer, line",
    [
        ("02.accept_key", _student_accept_key, "digest = key.encode() + 1"),
        ("04.unmask", _student_calls_wslab, "return masking.mask(payload, key[:3])"),
    ],
)
def test_student_exception_shows_type_message_and_own_line_only(exercise_id, answer, line):
    result = exercises.get(exercise_id).evaluate(answer)
    assert result.status == fb.ERROR and result.error is not None
    assert result.error.line.startswith(line)
    text = repr(result) + result._repr_html_()
    assert "Traceback" not in text and "wslab/" not in text and "site-packages" not in text
    assert result.error.type in text and result.error.message in text


def test_check_never_raises_and_returns_bool(capsys):
    exercise = exercises.get("03.parse_header")
    assert exercise.check(lambda data: 1 / 0) is False
    assert exercise.check(42) is False
    assert exercise.check(solutions.parse_header) is True
    out = capsys.readouterr().out
    assert "ZeroDivisionError" in out and "expected a function" in out and "✓ 03.parse_header" in out


def test_feedback_is_deterministic():
    first = exercises.get("05.first_invalid_utf8").evaluate(_utf8_wrong)
    second = exercises.get("05.first_invalid_utf8").evaluate(_utf8_wrong)
    assert repr(first) == repr(second) and first._repr_html_() == second._repr_html_()


# --- hints, solutions, withheld solutions ----------------------------------------------


def test_hints_say_more_each_time(capsys):
    exercise = exercises.lesson("04").unmask
    exercise._hints_shown = 0
    exercise.hint()
    exercise.hint()
    exercise.hint()  # no third hint: the last one again
    out = capsys.readouterr().out
    assert out.count("Hint 1 of 2") == 1 and out.count("Hint 2 of 2") == 2
    exercise.hint(1)
    assert "Hint 1 of 2" in capsys.readouterr().out


def test_solution_is_highlighted_source():
    note = exercises.get("04.unmask").solution_note()
    assert "def unmask(payload: bytes, key: bytes) -> bytes:" in note.code
    assert "<span" in note._repr_html_()  # pygments' highlighting


def test_withheld_solutions(tmp_path, monkeypatch):
    (tmp_path / "wslab-classroom.json").write_text('{"solutions": false}')
    (tmp_path / "exercises").mkdir()
    monkeypatch.chdir(tmp_path / "exercises")
    note = exercises.get("04.unmask").solution_note()
    assert "kept the solutions back" in note.title and not note.code
    (tmp_path / "wslab-classroom.json").write_text('{"solutions": true}')
    assert exercises.get("04.unmask").solution_note().code


# --- progress ---------------------------------------------------------------------------


def test_progress_file(progress_file):
    exercise = exercises.get("02.accept_key")
    exercise.check(WRONG["02.accept_key"])
    data = json.loads(progress_file.read_text())
    assert data == {"attempts": {"02.accept_key": 1}, "passed": []}
    exercise.check(solutions.accept_key)
    exercise.check(solutions.accept_key)
    data = json.loads(progress_file.read_text())
    assert data == {"attempts": {"02.accept_key": 3}, "passed": ["02.accept_key"]}
    table = exercises.progress()
    row = next(r for r in table.rows if r.lesson == "02")
    assert (row.passed, row.total) == (1, len(exercises.lesson("02")))
    assert table.passed == 1 and table.total == len(ALL)
    assert "█" in repr(table) and "<table" in table._repr_html_()
    assert [r.lesson for r in exercises.progress("02").rows] == ["02"]


def test_progress_survives_a_broken_or_unwritable_file(progress_file, tmp_path, monkeypatch):
    progress_file.write_text("{not json")
    assert exercises.progress().passed == 0
    assert exercises.get("02.key_bytes").check(16) is True
    assert json.loads(progress_file.read_text())["passed"] == ["02.key_bytes"]
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    monkeypatch.setenv("WSLAB_PROGRESS", str(blocked / "progress.json"))  # its parent is a file
    assert exercises.get("02.key_bytes").check(16) is True


def test_default_progress_path_is_the_user_data_dir(monkeypatch):
    from wslab.exercises.progress_file import progress_path

    monkeypatch.delenv("WSLAB_PROGRESS")
    assert progress_path().name == "progress.json" and "wslab" in progress_path().parts


# --- lessons, ids, the capstone API -------------------------------------------------------


def test_lookup():
    assert exercises.lesson("02") is exercises.lesson(2) is exercises.lesson("02_handshake")
    assert exercises.get("02.accept_key") is exercises.lesson("02").accept_key
    with pytest.raises(AttributeError, match="has no exercise 'nope'"):
        _ = exercises.lesson("02").nope
    assert "accept_key" in dir(exercises.lesson("02"))


CAPSTONE = {  # CAPSTONE_API: id -> the reference's parameters
    "02.accept_key": ["key"],
    "02.validate_request": ["request"],
    "03.parse_header": ["data"],
    "04.unmask": ["payload", "key"],
    "05.check_header": ["header", "max_size"],
    "05.reassemble": ["message", "frame"],
    "05.first_invalid_utf8": ["data", "final"],
    "05.close_reply": ["payload"],
}


@pytest.mark.parametrize("exercise_id", CAPSTONE)
def test_capstone_functions_are_plain_references(exercise_id):
    import inspect

    reference = exercises.get(exercise_id).reference
    assert list(inspect.signature(reference).parameters) == CAPSTONE[exercise_id]
    assert reference.__module__ == "wslab.exercises.solutions"


def test_reference_utf8_agrees_with_the_connection():
    """The byte walker of the solution gives the same verdict as wslab's Connection on every case."""
    from wslab.connection import Connection, ConnectionFailed

    for _group, (data, final), expected, _rule in exercises.get("05.first_invalid_utf8").cases():
        connection = Connection("server", max_message_size=None)
        events = connection.receive_data(frames.encode(Frame(Opcode.TEXT, data, fin=final), RFC_MASK_KEY))
        failed_ = any(isinstance(e, ConnectionFailed) and e.close_code == 1007 for e in events)
        assert failed_ == (expected is not None), (data, final)


def test_parse_header_reads_what_wslab_reads():
    for data in (bytes.fromhex("81 85 37 fa 21 3d 7f 9f 4d 51 58"), frames.encode(Frame(Opcode.BINARY, bytes(70000)))):
        assert solutions.parse_header(data) == frames.parse_header(data)
    assert isinstance(solutions.parse_header(b"\x81\x00"), Header)


# --- the saved notebooks ------------------------------------------------------------------

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks" / "exercises").glob("0*.ipynb"))


def test_a_notebook_for_each_lesson_01_to_09():
    stems = [p.stem for p in NOTEBOOKS]
    assert stems == [exercises.lesson(n).stem for n in exercises.LESSONS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_saved_unsolved_notebook_says_only_not_done_yet(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    number = path.stem[:2]
    checked = set()
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        for output in cell["outputs"]:
            assert output["output_type"] != "error", source
            text = "".join(output.get("text", "")) + "".join(output.get("data", {}).get("text/plain", ""))
            if ".check(" in source:
                assert "✓" not in text and "✗" not in text, source
        if ".check(" in source:
            texts = ["".join(o.get("data", {}).get("text/plain", "")) for o in cell["outputs"]]
            assert any(t.startswith("… ") and "not done yet" in t for t in texts), source
            checked.add(source.split(".check(")[0].rsplit("ex.", 1)[1])
    assert checked == {e.name for e in exercises.lesson(number)}, "every exercise has its check cell"
    markdown = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert f"](../{exercises.lesson(number).stem}.ipynb)" in markdown, "links back to its lesson"


async def _raising_handler(ws):
    async for message in ws:
        await ws.send(message.uppercase())  # the student's mistake


def test_live_handler_exception_is_feedback_not_a_logged_traceback(caplog):
    import logging

    with caplog.at_level(logging.DEBUG):
        result = exercises.get("06.upper_echo").evaluate(_raising_handler)
    assert result.status == fb.ERROR and result.error.type == "AttributeError"
    assert result.error.line.startswith("await ws.send(message.uppercase())")
    assert "Traceback" not in caplog.text and not any(r.exc_info for r in caplog.records)


def test_checks_inside_a_running_kernel(tmp_path):
    """In a real kernel (whose event loop is running): a live check works, and a student's error shows
    the line of their own cell, no path and no traceback."""
    from nbclient import NotebookClient
    from nbformat.v4 import new_code_cell, new_notebook

    cells = [
        "from wslab import exercises\nfrom wslab.exercises import solutions",
        "exercises.get('06.upper_echo').check(solutions.upper_echo)",
        "def accept_key(key):\n    extra = 1\n    return key + extra\n\n"
        "exercises.get('02.accept_key').check(accept_key)",
    ]
    nb = new_notebook(cells=[new_code_cell(c) for c in cells])
    NotebookClient(nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    live, error = (["".join(o.get("data", {}).get("text/plain", "")) for o in c.outputs] for c in nb.cells[1:])
    assert live[0].startswith("✓ 06.upper_echo") and live[-1] == "True"
    assert error[0].startswith("✗ 02.accept_key: your code raised TypeError")
    assert "your line: 3: return key + extra" in error[0]
    everything = json.dumps([c.outputs for c in nb.cells])
    assert "Traceback" not in everything and "ipykernel" not in everything and "/tmp" not in everything
