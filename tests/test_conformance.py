"""RFC 6455 conformance of the wslab server, judged byte by byte over real sockets.

The cases themselves live in `wslab.conformance` (Autobahn's categories: 1 framing,
2 ping/pong, 3 reserved bits, 4 opcodes, 5 fragmentation, 6 UTF-8, 7 close,
9 limits, and H, the opening handshake). Here every case must be OK against
wslab's own server: the right answer, at the right moment (e.g. as soon as the
bad byte arrives), followed by a clean TCP close. Then the judge itself is
tested: servers that break the rules in known ways get the verdicts they
deserve. The last tests are about wslab's server options (origins, timeouts).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest
from netutil import LogRecorder, ServerThread, echo, run

from wslab import conformance, frames, handshake
from wslab.conformance import Verdict, runner
from wslab.conformance.case import BINARY, CLOSE, CONT, PING, PONG, TEXT
from wslab.connection import BinaryMessage, Connection, ConnectionFailed, TextMessage
from wslab.frames import Frame
from wslab.probe import PROBE_KEY, Probe

MAX = 16 * 1024 * 1024  # the module server's max_message_size
CASES = conformance.all_cases(MAX)
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def url():
    server = ServerThread(echo, max_message_size=MAX, handshake_timeout=1.0)
    yield server.url
    server.stop()


@pytest.fixture(scope="module")
def strict_origin_url():
    server = ServerThread(echo, allowed_origins=["http://class.example"])
    yield server.url
    server.stop()


def wire(opcode, payload=b"", *, fin=True, rsv1=False, rsv2=False, rsv3=False, mask_key=PROBE_KEY) -> bytes:
    return frames.encode(Frame(opcode, payload, fin, rsv1, rsv2, rsv3), mask_key=mask_key)


async def opened(url: str) -> Probe:
    probe = await Probe.open(url)
    await probe.handshake()
    return probe


async def read_message(probe: Probe, timeout: float = 10) -> tuple[int, bytes]:
    """One whole data message from the server (its frames reassembled)."""
    first = await probe.read_frame(timeout)
    assert first.opcode in (TEXT, BINARY), f"expected a data frame, got {first}"
    parts = [first.payload]
    frame = first
    while not frame.fin:
        frame = await probe.read_frame(timeout)
        assert frame.opcode == CONT, f"expected a continuation frame, got {frame}"
        parts.append(frame.payload)
    return first.opcode, b"".join(parts)


async def expect_failure(probe: Probe, code: int) -> None:
    """The server sends Close `code`, then closes TCP cleanly, and nothing else."""
    got, _ = await probe.read_close()
    assert got == code, f"expected close {code}, got {got}"
    await probe.expect_eof()
    await probe.close()


# --- every case of the suite against wslab's server -----------------------------------


@pytest.mark.slow  # all together: the 16 MiB cases, the timeouts
@pytest.mark.parametrize("case", CASES, ids=[f"{case.id} {case.title}" for case in CASES])
def test_case(url, case):
    result = run(conformance.run_case(url, case))
    assert result.verdict is Verdict.OK, "\n".join(conformance.report._case_lines(result))


def test_suite_covers_every_category():
    assert [c for c in conformance.CATEGORIES] == list(dict.fromkeys(case.category for case in CASES))
    assert len({case.id for case in CASES}) == len(CASES) > 120
    assert all(case.rule.startswith("§") for case in CASES)


def test_select_by_pattern():
    ids = [case.id for case in conformance.select(CASES, "5.*,H.1")]
    assert ids[0] == "5.1" and ids[-1] == "H.1" and all(i.startswith("5.") for i in ids[:-1])
    assert conformance.select(CASES, ["6.1"])[0].title.startswith("valid text")


# --- the judge: servers that break rules get the verdict they deserve ------------------


class RuleBreaker:
    """A raw TCP server: wslab's handshake and Connection, except what it does when the client
    breaks a rule (`on_failure`), and optionally it echoes a message only once it is whole."""

    def __init__(self, on_failure: str) -> None:
        self.on_failure = on_failure

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        data = b""
        while handshake.split_head(data) is None:
            data += await reader.read(1 << 16)
        answer = handshake.answer(data)
        writer.write(answer.response)
        conn = Connection("server")
        chunk = answer.rest or await reader.read(1 << 16)
        while chunk:
            for event in conn.receive_data(chunk):
                if isinstance(event, ConnectionFailed):
                    await self.fail(writer, conn.data_to_send())
                    return
                if isinstance(event, TextMessage):
                    writer.write(conn.send_text(event.data))
                elif isinstance(event, BinaryMessage):
                    writer.write(conn.send_binary(event.data))
            writer.write(conn.data_to_send())
            chunk = await reader.read(1 << 16)
        writer.close()

    async def fail(self, writer: asyncio.StreamWriter, close: bytes) -> None:
        if self.on_failure == "drop":  # no Close frame: TCP just goes
            writer.transport.abort()
        elif self.on_failure == "code 1000":  # a Close, but the wrong code
            writer.write(frames.encode(Frame(CLOSE, frames.close_payload(1000))))
            writer.close()
        elif self.on_failure == "linger":  # the right Close, but TCP stays open
            writer.write(close)
            await asyncio.sleep(3)
            writer.close()
        elif self.on_failure == "ignore":  # nothing at all: the connection just hangs
            await asyncio.sleep(3)
            writer.close()
        else:  # as the RFC says: the Close frame, then TCP closed
            writer.write(close)
            writer.close()


async def judged(on_failure: str, case_id: str, **changes) -> conformance.Result:
    breaker = RuleBreaker(on_failure)
    server = await asyncio.start_server(breaker.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    case = dataclasses.replace(conformance.select(CASES, case_id)[0], **changes)
    try:
        return await conformance.run_case(f"ws://127.0.0.1:{port}/", case)
    finally:
        server.close()


@pytest.mark.parametrize(
    "on_failure, verdict",
    [
        ("drop", Verdict.UNCLEAN),
        ("code 1000", Verdict.WRONG_CODE),
        ("linger", Verdict.UNCLEAN),
        ("ignore", Verdict.FAILED),
        ("as the RFC says", Verdict.OK),
    ],
)
def test_judge_verdicts_for_a_reserved_bit(monkeypatch, on_failure, verdict):
    monkeypatch.setattr(runner, "CLOSE_WAIT", 1.0)
    result = run(judged(on_failure, "3.1", timeout=1.0))
    assert result.case.title == "text frame with RSV1 set"
    assert result.verdict is verdict, result.detail
    assert result.received[0] == "HTTP/1.1 101 Switching Protocols"
    if on_failure != "drop" and on_failure != "ignore":
        assert result.received[1].startswith("CLOSE 100")


def test_judge_failed_when_a_message_is_lost_or_changed():
    result = run(judged("as the RFC says", "1.1", expect=((TEXT, b"something else"),)))
    assert result.verdict is Verdict.FAILED
    assert "expected TEXT 'something else'" in result.detail and "got TEXT ''" in result.detail


@pytest.mark.parametrize("opcode", [PING, PONG, CLOSE, CONT])
def test_judge_fails_a_server_that_sets_rsv1_out_of_place(opcode):
    """RFC 7692 §6.1, as the client reads the server: RSV1 on a control or continuation frame."""
    session = runner._Session(probe=None, timeout=1.0)  # note() reads no socket
    with pytest.raises(runner._Judged) as judged:
        session.note(Frame(opcode, b"", rsv1=True))
    assert judged.value.verdict is Verdict.FAILED and "RFC 7692 §6.1" in judged.value.detail
    assert session.received == [f"{opcode.name} with RSV1 = 1"]


def test_judge_fail_fast_is_non_strict_with_a_server_that_waits_for_the_whole_frame(monkeypatch):
    """The websockets library checks UTF-8 once a frame is complete: 1007, but NON-STRICT."""
    websockets = pytest.importorskip("websockets")
    monkeypatch.setattr(runner, "FAST_WAIT", 0.5)

    async def go():
        async def handler(ws):
            async for message in ws:
                await ws.send(message)

        async with websockets.serve(handler, "127.0.0.1", 0) as server:
            port = server.sockets[0].getsockname()[1]
            return await conformance.run_async(f"ws://127.0.0.1:{port}/", "6.15,1.25")

    results = {result.case.id: result for result in run(go())}
    assert results["6.15"].verdict is Verdict.NON_STRICT, results["6.15"].detail
    assert "only after the rest was sent" in results["6.15"].detail
    assert results["1.25"].verdict is Verdict.NON_STRICT  # the non-minimal length is tolerated


def test_reports(url):
    results = run(conformance.run_async(url, "2.*,H.1"))
    text = conformance.summary(results)
    assert "ping/pong" in text and "handshake" in text and "7/7 passed" in text
    data = json.loads(conformance.to_json(results, server=url))
    assert data["categories"]["ping/pong"]["OK"] == 6
    assert data["cases"][0]["sent"] and data["cases"][0]["received"][0].startswith("HTTP/1.1 101")
    page = conformance.to_html(results, server=url)
    assert page.startswith("<!DOCTYPE html>") and "2.4" in page and "§5.5" in page
    assert "<script" not in page and "src=" not in page and "<link" not in page  # self-contained


def test_cli_against_a_server(url, tmp_path):
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "wslab",
            "conformance",
            url,
            "--cases",
            "4.*,7.1",
            "--json",
            str(tmp_path / "r.json"),
            "--html",
            str(tmp_path / "r.html"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "opcodes" in out.stdout and "13/13 passed" in out.stdout
    assert json.loads((tmp_path / "r.json").read_text())["score"].startswith("13/13")
    assert "reserved opcode 3" in (tmp_path / "r.html").read_text()


def test_cli_exit_status_when_cases_fail(tmp_path):
    """Against a port where nothing listens every case FAILS: exit status 1, the reason printed."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = subprocess.run(
        [sys.executable, "-m", "wslab", "conformance", f"ws://127.0.0.1:{port}/", "--cases", "1.1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 1
    assert "could not talk to the server" in out.stdout


# --- wslab's server: what the suite cannot judge from outside -------------------------


def test_7_client_that_vanishes_does_not_disturb_others(url):
    async def go():
        good = await opened(url)
        gone = await opened(url)
        await gone.send(wire(TEXT, b"half", fin=False))
        gone.writer.transport.abort()  # no Close frame: the server sees 1006
        bad = await opened(url)
        await bad.send(wire(TEXT, b"x", rsv2=True))
        await good.send(wire(TEXT, b"still here"))
        assert await read_message(good) == (TEXT, b"still here")
        await expect_failure(bad, 1002)
        await good.close()

    run(go())


def test_handshake_refused_origin_is_403_and_logged(strict_origin_url):
    async def go(origin):
        probe = await Probe.open(strict_origin_url)
        await probe.send(probe.request(origin=origin))
        status = await probe.read_status()
        await probe.close()
        return status

    with LogRecorder() as log:
        assert run(go("http://evil.example")) == 403
    assert any("403" in line for line in log.messages), log.messages
    assert run(go("http://class.example")) == 101


def test_handshake_silent_client_is_dropped(url):
    """handshake_timeout=1.0: a client that sends nothing is disconnected, without a reply."""

    async def go():
        probe = await Probe.open(url)
        loop = asyncio.get_running_loop()
        started = loop.time()
        await probe.expect_eof(timeout=5)
        return loop.time() - started

    assert 0.8 < run(go()) < 3


def test_handshake_slow_client_is_dropped(url):
    """Bytes keep arriving, but too slowly: the limit is on the whole handshake, not per read."""

    async def go():
        probe = await Probe.open(url)
        loop = asyncio.get_running_loop()
        started = loop.time()
        # 10 bytes/s: the ~200-byte request would take 20 s
        assert await probe.send_slowly(probe.request(), 0.1) == b""  # TCP closed, no HTTP answer
        return loop.time() - started

    assert 0.8 < run(go()) < 3
