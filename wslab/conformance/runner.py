"""Play conformance cases against a server over real TCP and judge what comes back.

Each case gets a fresh connection (`wslab.probe.Probe`: exact bytes out, raw
bytes in). The server's frames are read as a client must read them (§5.1:
unmasked; every frame rule of §5.2), so a server that sends something invalid
is caught too.
"""

from __future__ import annotations

import asyncio
import fnmatch
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from wslab import deflate, frames, handshake
from wslab.codes import Opcode, close_code_name
from wslab.conformance.case import Case, Message, Result, Verdict, _payload_text
from wslab.errors import IncompleteFrame, NegotiationError, ProtocolError, WslabError
from wslab.probe import PROBE_KEY, Probe

__all__ = ["run_case", "run_cases", "select", "FAST_WAIT", "CLOSE_WAIT"]

FAST_WAIT = 2.0  # seconds a "fail fast" case waits for the failure before sending the rest
CLOSE_WAIT = 5.0  # seconds the server has to close TCP after its Close frame (§7.1.1)


class _Judged(Exception):
    """Ends a case early with its verdict."""

    def __init__(self, verdict: Verdict, detail: str) -> None:
        super().__init__(detail)
        self.verdict, self.detail = verdict, detail


@dataclass
class _Session:
    probe: Probe
    timeout: float
    received: list[str] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    fragments: list[bytes] = field(default_factory=list)
    fragment_opcode: int | None = None
    deflate: deflate.PerMessageDeflate | None = None  # permessage-deflate, when the server accepted it
    compressed: bool = False  # the message being received is compressed

    async def next_frame(self, timeout: float) -> frames.Frame | None:
        """The server's next frame; None when it closed TCP. Raises _Judged on a reset,
        a silence longer than `timeout`, or an invalid frame."""
        probe = self.probe
        while True:
            try:
                frame, used = frames.decode(bytes(probe.received), role="client", rsv1_allowed=self.deflate is not None)
            except IncompleteFrame:
                try:
                    if not await probe._fill(timeout):
                        if probe.received:
                            self.received.append(f"TCP closed inside a frame ({len(probe.received)} bytes)")
                        else:
                            self.received.append("TCP closed by the server")
                        return None
                except asyncio.TimeoutError:
                    raise _Judged(Verdict.FAILED, f"the server sent nothing for {timeout:g} s") from None
                except (ConnectionResetError, OSError):
                    self.received.append("TCP reset by the server")
                    raise _Judged(Verdict.UNCLEAN, "the server reset TCP instead of closing it") from None
                continue
            except WslabError as error:
                self.received.append(f"an invalid frame: {bytes(probe.received[:16]).hex(' ')}")
                raise _Judged(Verdict.FAILED, f"the server sent an invalid frame: {error}") from None
            del probe.received[:used]
            return frame

    def note(self, frame: frames.Frame) -> Message | None:
        """Record a frame; a whole message (or a pong) once one is complete. A compressed
        message is inflated as agreed (RFC 7692 §6.2); RSV1 out of place is the server's fault."""
        opcode = frame.opcode
        if frame.rsv1:
            try:
                frames.check_rsv1(opcode)
            except ProtocolError as error:
                self.received.append(f"{Opcode(opcode).name} with RSV1 = 1")
                raise _Judged(Verdict.FAILED, f"the server broke RFC 7692 §6.1: {error.message}") from None
        if opcode == Opcode.PONG:
            self.received.append(f"PONG {_payload_text(frame.payload)}")
            return (Opcode.PONG, frame.payload)
        if opcode == Opcode.PING:
            self.received.append(f"PING {_payload_text(frame.payload)} (from the server)")
            return None
        if opcode in (Opcode.TEXT, Opcode.BINARY) and self.fragment_opcode is None:
            self.fragment_opcode = opcode
            self.compressed = frame.rsv1
        self.fragments.append(frame.payload)
        if not frame.fin:
            return None
        message = (int(self.fragment_opcode or opcode), self._inflated(b"".join(self.fragments)))
        kind = Opcode(message[0]).name + (" compressed" if self.compressed else "")
        parts = f" in {len(self.fragments)} frames" if len(self.fragments) > 1 else ""
        self.received.append(f"{kind} {_payload_text(message[1])}{parts}")
        self.fragments, self.fragment_opcode = [], None
        return message

    def _inflated(self, payload: bytes) -> bytes:
        if not self.compressed or self.deflate is None:
            return payload
        try:
            return self.deflate.inflate_message(payload)
        except WslabError as error:
            self.received.append(f"a compressed message that does not inflate: {payload[:16].hex(' ')}")
            raise _Judged(
                Verdict.FAILED,
                f"the server's compressed message does not inflate with the agreed "
                f"parameters ({self.deflate.agreement}): {error}",
            ) from None


async def run_case(url: str, case: Case) -> Result:
    """Play one case against the server at `url` (ws://host:port/path) and judge it."""
    started = time.monotonic()
    received: list[str] = []
    try:
        verdict, detail = await asyncio.wait_for(_play(url, case, received), case.timeout + CLOSE_WAIT + FAST_WAIT)
    except _Judged as judged:
        verdict, detail = judged.verdict, judged.detail
    except asyncio.TimeoutError:
        verdict, detail = Verdict.FAILED, f"the case did not finish within {case.timeout + CLOSE_WAIT:g} s"
    except OSError as error:
        verdict, detail = Verdict.FAILED, f"could not talk to the server: {error}"
    if verdict is not Verdict.OK and case.lenient is not None:
        tolerated = await run_case(url, case.lenient)
        if tolerated.verdict is Verdict.OK:
            return Result(
                case,
                Verdict.NON_STRICT,
                f"tolerated: {case.lenient.title}",
                tolerated.received,
                time.monotonic() - started,
            )
    return Result(case, verdict, detail, received, time.monotonic() - started)


async def _play(url: str, case: Case, received: list[str]) -> tuple[Verdict, str]:
    probe = await Probe.open(url)
    try:
        session = _Session(probe, case.timeout, received)
        if case.status != 101:
            return await _refused(session, case)
        await _open(session, case)
        for message in case.before:
            await probe.send(frames.encode(frames.Frame(message[0], message[1]), mask_key=PROBE_KEY))
            echo = await _read_message(session)
            if echo != message:
                raise _Judged(Verdict.FAILED, f"the message before the case was not echoed (got {echo!r:.60})")
        await probe.send(case.data(session.deflate), chunk=case.chunk)
        return await _judge(session, case)
    finally:
        await probe.close()


async def _open(session: _Session, case: Case) -> None:
    probe = session.probe
    request = case.request.data if case.request else probe.request()
    if case.offer is not None:
        request = handshake.replace_header(request, "Sec-WebSocket-Extensions", case.offer)
    await probe.send(request, chunk=case.request_chunk)
    try:
        head = await probe.read_head(session.timeout)
    except EOFError:
        session.received.append("TCP closed before an HTTP response")
        raise _Judged(Verdict.FAILED, "the server closed TCP without answering the handshake") from None
    except asyncio.TimeoutError:
        raise _Judged(Verdict.FAILED, "no answer to the handshake") from None
    session.received.append(head.split(b"\r\n", 1)[0].decode("latin-1"))
    try:
        own_request = request.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
        response = handshake.validate_response(own_request, head)
    except WslabError as error:
        raise _Judged(Verdict.FAILED, f"the handshake failed: {error}") from None
    if case.offer is not None:
        session.deflate = _negotiated(session, case, response)


def _negotiated(session: _Session, case: Case, response: handshake.Response) -> deflate.PerMessageDeflate | None:
    """Check the server's answer to the case's offer as a client must (RFC 7692 §5.1)."""
    offers = []
    for extension in handshake.parse_extensions(case.offer or ""):
        try:
            offers.append(deflate.parse_offer(extension))
        except NegotiationError:
            pass  # a case's deliberately bad offer: the server must decline it
    try:
        agreement = deflate.check_response(offers, response.extensions)
    except (NegotiationError, WslabError) as error:
        raise _Judged(Verdict.FAILED, f"the server's permessage-deflate answer is wrong: {error}") from None
    answer = response.header("Sec-WebSocket-Extensions") or "no extension"
    session.received.append(f"Sec-WebSocket-Extensions: {answer}")
    if agreement is None and case.compressed:
        raise _Judged(Verdict.UNIMPLEMENTED, "the server did not accept permessage-deflate (RFC 7692)")
    if agreement is not None and case.compressed is False:
        raise _Judged(Verdict.FAILED, f"the server accepted an offer it must decline: {case.offer!r}")
    return None if agreement is None else deflate.PerMessageDeflate("client", agreement)


async def _read_message(session: _Session) -> Message | None:
    while True:
        frame = await session.next_frame(session.timeout)
        if frame is None or frame.opcode == Opcode.CLOSE:
            if frame is not None:
                session.received.append(_close_text(frame))
            return None
        message = session.note(frame)
        if message is not None:
            return message


async def _judge(session: _Session, case: Case) -> tuple[Verdict, str]:
    probe, expected = session.probe, list(case.expect)
    late = False
    if case.then:
        late = await probe.is_open(FAST_WAIT)
        if late:
            await probe.send(b"".join(piece.data for piece in case.then))
    if not expected and case.finish:
        await probe.send(b"".join(piece.data for piece in case.finish))
    while True:
        frame = await session.next_frame(session.timeout)
        if frame is None:
            return _no_close(session, expected)
        if frame.opcode == Opcode.CLOSE:
            session.received.append(_close_text(frame))
            break
        message = session.note(frame)
        if message is None:
            continue
        if not expected or message != expected[0]:
            want = f"{Opcode(expected[0][0]).name} {_payload_text(expected[0][1])}" if expected else "only a Close"
            return Verdict.FAILED, f"expected {want}, got {session.received[-1]}"
        expected.pop(0)
        if not expected and case.finish:
            await probe.send(b"".join(piece.data for piece in case.finish))
    if expected:
        return Verdict.FAILED, f"the server closed before sending {len(expected)} expected message(s)"
    code, _ = _close_of(frame)
    if code not in case.close_codes:
        want = " or ".join(_code_text(c) for c in case.close_codes)
        return Verdict.WRONG_CODE, f"closed with {_code_text(code)}, expected {want}"
    clean, why = await _closed_cleanly(session)
    if not clean:
        return Verdict.UNCLEAN, why
    if late:
        return Verdict.NON_STRICT, (
            f"closed with {_code_text(code)} only after the rest was sent (not within {FAST_WAIT:g} s of the bad bytes)"
        )
    return Verdict.OK, f"closed with {_code_text(code)}, then closed TCP"


def _no_close(session: _Session, expected: list[Message]) -> tuple[Verdict, str]:
    if expected:
        return Verdict.FAILED, f"TCP closed before {len(expected)} expected message(s) came"
    return Verdict.UNCLEAN, "TCP closed without a Close frame (§7.1.1: the closing handshake was skipped)"


async def _closed_cleanly(session: _Session) -> tuple[bool, str]:
    """After its Close frame the server closes TCP, sending nothing more (§5.5.1, §7.1.1)."""
    probe = session.probe
    try:
        more = await probe._fill(CLOSE_WAIT)
    except asyncio.TimeoutError:
        session.received.append(f"TCP still open {CLOSE_WAIT:g} s after the Close")
        return False, f"the server did not close TCP within {CLOSE_WAIT:g} s of the closing handshake (§7.1.1)"
    except (ConnectionResetError, OSError):
        session.received.append("TCP reset by the server")
        return False, "the server reset TCP after its Close frame instead of closing it"
    if more or probe.received:
        session.received.append(f"{len(probe.received)} more bytes after the Close frame")
        return False, "the server sent bytes after its Close frame (§5.5.1)"
    session.received.append("TCP closed by the server")
    return True, ""


async def _refused(session: _Session, case: Case) -> tuple[Verdict, str]:
    probe = session.probe
    assert case.request is not None
    try:
        await probe.send(case.request.data, chunk=case.request_chunk)
    except (ConnectionError, OSError):
        session.received.append("TCP closed while the request was being sent")
        return Verdict.WRONG_CODE, "the server closed TCP before the whole request was sent, without a status"
    try:
        head = await probe.read_head(session.timeout)
    except (EOFError, ConnectionError, OSError):
        session.received.append("TCP closed without an HTTP response")
        return Verdict.WRONG_CODE, f"the server closed TCP without answering (expected {case.status})"
    except asyncio.TimeoutError:
        return Verdict.FAILED, f"no HTTP answer within {session.timeout:g} s"
    status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
    session.received.append(status_line)
    try:
        status = handshake.parse_response(head).status
    except WslabError as error:
        return Verdict.FAILED, f"the answer is not HTTP: {error}"
    if status == 101:
        return Verdict.FAILED, f"the server accepted a request it must refuse (expected {case.status})"
    response = handshake.parse_response(head)
    for name in case.must_headers:
        if response.header(name) is None:
            return Verdict.FAILED, f"refused with {status}, but without the {name} header the rule requires"
    if status == case.status or status in case.also_ok:
        return Verdict.OK, f"refused with {status}"
    if 400 <= status < 500:  # §4.2.1: "an appropriate error code (such as 400 Bad Request)": a client error
        return Verdict.NON_STRICT, f"refused with {status}; {case.status} says more exactly what was wrong"
    return Verdict.WRONG_CODE, f"answered {status}, expected {case.status} (a refusal of a bad request is a 4xx)"


def _close_of(frame: frames.Frame) -> tuple[int | None, str]:
    """The code and reason of the server's Close, read leniently (what it sent is reported as is)."""
    payload = frame.payload
    code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else None
    return code, payload[2:].decode("utf-8", "replace")


def _close_text(frame: frames.Frame) -> str:
    code, reason = _close_of(frame)
    return f"CLOSE {_code_text(code)}" + (f" {reason!r}" if reason else "")


def _code_text(code: int | None) -> str:
    return "(no code)" if code is None else close_code_name(code)


def select(cases: Iterable[Case], patterns: str | Sequence[str] | None) -> list[Case]:
    """The cases whose id matches one of the glob patterns ("5.*", "6.1*", "H.*"); all for None."""
    if patterns is None:
        return list(cases)
    if isinstance(patterns, str):
        patterns = [p.strip() for p in patterns.split(",") if p.strip()]
    return [case for case in cases if any(fnmatch.fnmatchcase(case.id, p) for p in patterns)]


async def run_cases(url: str, cases: Iterable[Case], progress: Callable[[Result], None] | None = None) -> list[Result]:
    """Run the cases one after another (each on its own connection); `progress` sees each result."""
    results = []
    for case in cases:
        result = await run_case(url, case)
        results.append(result)
        if progress is not None:
            progress(result)
    return results
