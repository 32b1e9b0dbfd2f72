"""The capstone: an echo server assembled from the student's own functions, graded live.

    from wslab.exercises import capstone
    server = await capstone.start(accept_key=accept_key, validate_request=validate_request, ...)
    board = await capstone.grade(server)      # the conformance suite against it: a scoreboard
    await server.close()

The kit gives the I/O (TCP, asyncio, buffering, writing frames); every protocol
decision is one of the student's functions, with the signatures agreed in the
capstone API (the exercises of lessons 02-05):

=====================  ======================================================
``accept_key``          the 101's Sec-WebSocket-Accept (§4.2.2)
``validate_request``    refuse a bad request: (status, reason) or None (§4.2.1)
``parse_header``        read a frame header, None while incomplete (§5.2)
``check_header``        the close code for a header a server must refuse (§5)
``unmask``              the payload as the client meant it (§5.3)
``reassemble``          fragments into a message, or 1002 (§5.4)
``first_invalid_utf8``  where text stops being UTF-8, or None (§8.1)
``close_reply``         the payload of the Close frame sent back (§5.5.1)
=====================  ======================================================

A function still a placeholder (``raise NotImplementedError``) is "not done
yet": the server answers what needs it with 1011 (or HTTP 500) and the
scoreboard grades those cases NOT DONE. A function that raises or returns
something of the wrong type is reported the same way, with the student's own
line, never a traceback through wslab.
"""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from wslab import conformance, frames, handshake
from wslab.codes import Opcode
from wslab.frames import Frame

__all__ = [
    "FUNCTIONS",
    "reference_functions",
    "CapstoneServer",
    "start",
    "grade",
    "Scoreboard",
    "Problem",
    "NOT_DONE",
    "CATEGORIES",
    "client_check",
    "browser_snippet",
]

#: The student's functions, in the order the lessons teach them, with their exercise ids.
FUNCTIONS: dict[str, str] = {
    "accept_key": "02.accept_key",
    "validate_request": "02.validate_request",
    "parse_header": "03.parse_header",
    "unmask": "04.unmask",
    "check_header": "05.check_header",
    "reassemble": "05.reassemble",
    "first_invalid_utf8": "05.first_invalid_utf8",
    "close_reply": "05.close_reply",
}
NOT_DONE = "NOT DONE"
MAX_HEADER = 14  # 2 bytes, 8 of extended length, 4 of masking key: the longest frame header
HANDSHAKE_TIMEOUT = 10.0


def reference_functions() -> dict[str, Callable]:
    """The reference solutions of the eight exercises (from `wslab.exercises`)."""
    from wslab import exercises

    return {name: exercises.get(exercise_id).reference for name, exercise_id in FUNCTIONS.items()}


@dataclass(frozen=True)
class Problem:
    """A student function that was not written yet, raised, or returned the wrong type."""

    function: str
    kind: str  # "not done yet", "raised", "returned"
    detail: str  # the exception (type, message, the student's line) or what came back

    def __str__(self) -> str:
        if self.kind == "not done yet":
            return f"{self.function}: not done yet"
        return f"{self.function} {self.kind} {self.detail}"


class _StudentFailed(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def _is_placeholder(function: Callable) -> bool:
    from wslab.exercises.exercise import is_placeholder

    return is_placeholder(function)


def _student_line(error: BaseException) -> str:
    """The last line of the traceback that is not wslab's: where the student's code raised."""
    package = str(Path(__file__).resolve().parents[1])
    frames_ = [f for f in traceback.extract_tb(error.__traceback__) if not f.filename.startswith(package)]
    if not frames_:
        return ""
    last = frames_[-1]
    return f" (line {last.lineno}: {last.line})" if last.line else f" (line {last.lineno})"


class CapstoneServer:
    """An echo server whose protocol decisions are the student's functions (see the module docstring)."""

    def __init__(self, functions: Mapping[str, Callable], *, max_size: int = 1 << 20) -> None:
        missing = [name for name in FUNCTIONS if name not in functions]
        if missing:
            raise TypeError(f"the capstone server needs these functions too: {', '.join(missing)}")
        self.functions = dict(functions)
        self.max_size = max_size
        self.problems: list[Problem] = []
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task] = set()

    @property
    def not_done(self) -> list[str]:
        """The functions still placeholders, in the order the lessons teach them."""
        return [name for name in FUNCTIONS if _is_placeholder(self.functions[name])]

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> CapstoneServer:
        self._server = await asyncio.start_server(self._connection, host, port)
        return self

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the server first"
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"ws://{host}:{port}/"

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> CapstoneServer:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        where = self.url if self._server is not None else "not started"
        return f"<capstone echo server {where}>"

    # --- calling the student's code ------------------------------------------------

    def _call(self, name: str, *args, returns: tuple[type, ...]):
        """The student's function, called; a placeholder, an exception or a wrong type is a Problem."""
        function = self.functions[name]
        if _is_placeholder(function):
            problem = Problem(name, "not done yet", "")
        else:
            try:
                value = function(*args)
            except Exception as error:  # the student's code may fail in any way: report it
                message = f": {error}" if str(error) else ""
                problem = Problem(name, "raised", f"{type(error).__name__}{message}{_student_line(error)}")
            else:
                if isinstance(value, returns) and not (isinstance(value, bool) and int in returns):
                    return value
                allowed = " or ".join("None" if t is type(None) else t.__name__ for t in returns)
                problem = Problem(name, "returned", f"{value!r:.60} (expected {allowed})")
        self.problems.append(problem)
        raise _StudentFailed(problem)

    # --- one connection ------------------------------------------------------------

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            rest = await asyncio.wait_for(self._handshake(reader, writer), HANDSHAKE_TIMEOUT)
            if rest is not None:
                await _Session(self, reader, writer).run(rest)
        except (asyncio.TimeoutError, ConnectionError, OSError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            if task is not None:
                self._tasks.discard(task)

    async def _handshake(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bytes | None:
        """Read the request; refuse it (None) or send the 101 and return the bytes after the head."""
        data = b""
        try:
            while (parts := handshake.split_head(data)) is None:
                chunk = await reader.read(1 << 16)
                if not chunk:
                    return None
                data += chunk
            head, rest = parts
            request = handshake.parse_http_request(head)
        except handshake.HandshakeError as error:  # not HTTP, or a head too long: the kit's part
            writer.write(handshake.build_rejection(error))
            return None
        try:
            problem = self._call("validate_request", request, returns=(tuple, type(None)))
            if problem is not None:
                status, reason = problem
                headers = (("Sec-WebSocket-Version", "13"),) if status == 426 else ()
                writer.write(
                    handshake.build_rejection(
                        handshake.HandshakeError(str(reason), rfc_section="4.2.1", status=int(status), headers=headers)
                    )
                )
                return None
            accept = self._call("accept_key", request.key or "", returns=(str,))
        except (_StudentFailed, ValueError, TypeError) as error:
            message = str(error.problem) if isinstance(error, _StudentFailed) else f"validate_request: {error}"
            writer.write(handshake.build_rejection(handshake.HandshakeError(message, rfc_section="4.2", status=500)))
            return None
        writer.write(
            (
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Accept: {accept}\r\n\r\n"
            ).encode("latin-1")
        )
        return rest


@dataclass
class _Session:
    """The frames of one connection after the handshake: read, judged by the student's functions, echoed."""

    server: CapstoneServer
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    buffer: bytearray = field(default_factory=bytearray)
    message: list[Frame] = field(default_factory=list)
    text_tail: bytes = b""  # the end of the text so far that may be an unfinished character

    async def run(self, rest: bytes) -> None:
        self.buffer += rest
        try:
            while await self._one_frame():
                pass
        except _StudentFailed as failed:
            self._send(Frame(Opcode.CLOSE, frames.close_payload(1011, _short(str(failed.problem)))))
        await self.writer.drain()

    async def _more(self) -> bool:
        chunk = await self.reader.read(1 << 16)
        self.buffer += chunk
        return bool(chunk)

    def _send(self, frame: Frame) -> None:
        self.writer.write(frames.encode(frame))  # a server never masks (§5.1)

    def _fail(self, code: int) -> bool:
        self._send(Frame(Opcode.CLOSE, frames.close_payload(code)))
        return False

    async def _one_frame(self) -> bool:
        """Handle the next frame; False once the connection is over."""
        call = self.server._call
        while (
            header := call("parse_header", bytes(self.buffer[:MAX_HEADER]), returns=(frames.Header, type(None)))
        ) is None:
            if not await self._more():
                return False
        code = call("check_header", header, self.server.max_size, returns=(int, type(None)))
        if code is not None:
            return self._fail(code)
        is_text = header.opcode == Opcode.TEXT or (
            header.opcode == Opcode.CONTINUATION and bool(self.message) and self.message[0].opcode == Opcode.TEXT
        )
        if (
            header.opcode in (Opcode.TEXT, Opcode.BINARY, Opcode.CONTINUATION)
            and sum(len(f.payload) for f in self.message) + header.payload_length > self.server.max_size
        ):
            return self._fail(1009)  # the whole message over the limit (§10.4): the kit's part
        payload = await self._payload(header, is_text)
        if payload is None:
            return False
        return self._handle(Frame(header.opcode, payload, header.fin, header.rsv1, header.rsv2, header.rsv3), is_text)

    async def _payload(self, header: frames.Header, is_text: bool) -> bytes | None:
        """The unmasked payload; for text, checked as each piece arrives so bad UTF-8 fails at once."""
        end = header.size + header.payload_length
        key = header.mask_key or b"\0\0\0\0"
        checked = header.size
        while True:
            if is_text and len(self.buffer) > checked:
                upto = min(len(self.buffer), end)
                piece = self._unmask(bytes(self.buffer[checked:upto]), key, checked - header.size)
                if not self._text_ok(piece, final=False):
                    self._fail(1007)
                    return None
                checked = upto
            if len(self.buffer) >= end:
                break
            if not await self._more():
                return None
        masked = bytes(self.buffer[header.size : end])
        del self.buffer[:end]
        return self._unmask(masked, key, 0)

    def _unmask(self, data: bytes, key: bytes, offset: int) -> bytes:
        """The student's unmask, for a piece that starts `offset` bytes into the payload (key turned to match)."""
        turn = offset % 4
        return self.server._call("unmask", data, key[turn:] + key[:turn], returns=(bytes,))

    def _text_ok(self, piece: bytes, *, final: bool) -> bool:
        """Check the next piece of text with the student's first_invalid_utf8, carrying an unfinished character."""
        data = self.text_tail + piece
        bad = self.server._call("first_invalid_utf8", data, final, returns=(int, type(None)))
        if bad is not None:
            return False
        self.text_tail = _unfinished_character(data) if not final else b""
        return True

    def _handle(self, frame: Frame, is_text: bool) -> bool:
        call = self.server._call
        if frame.opcode == Opcode.PING:
            self._send(Frame(Opcode.PONG, frame.payload))
            return True
        if frame.opcode == Opcode.PONG:
            return True
        if frame.opcode == Opcode.CLOSE:
            self._send(Frame(Opcode.CLOSE, call("close_reply", frame.payload, returns=(bytes,))))
            return False
        if is_text and frame.fin and not self._text_ok(b"", final=True):
            return self._fail(1007)
        whole = call("reassemble", self.message, frame, returns=(Frame, int, type(None)))
        if isinstance(whole, int):
            return self._fail(whole)
        if whole is not None:
            self.text_tail = b""
            self._send(Frame(whole.opcode, whole.payload))
        return True


def _unfinished_character(data: bytes) -> bytes:
    """The last bytes of `data` if they start a UTF-8 character that has not ended yet (at most 3)."""
    for back in range(1, min(4, len(data) + 1)):
        byte = data[-back]
        if byte & 0xC0 != 0x80:  # a lead byte (or ASCII): its character's length
            length = 4 if byte >= 0xF0 else 3 if byte >= 0xE0 else 2 if byte >= 0xC0 else 1
            return data[-back:] if length > back else b""
    return b""


def _short(text: str) -> str:
    data = text.encode("utf-8")[:100]
    return data.decode("utf-8", "ignore")


_running: dict[str, CapstoneServer] = {}


async def start(
    functions: Mapping[str, Callable] | None = None, *, name: str = "yours", max_size: int = 1 << 20, **named: Callable
) -> CapstoneServer:
    """Start a capstone server on 127.0.0.1 (a free port) with these functions.

    Starting one again under the same `name` first closes the one before, so a notebook
    cell can be re-run after each change to a function.
    """
    previous = _running.pop(name, None)
    if previous is not None:
        await previous.close()
    server = await CapstoneServer({**(functions or {}), **named}, max_size=max_size).start()
    _running[name] = server
    return server


# --- grading -------------------------------------------------------------------


@dataclass
class Scoreboard:
    """The suite's results against a capstone server, with the problems of the student's functions."""

    results: list[conformance.Result]
    problems: dict[str, list[Problem]]  # case id -> problems while it ran
    not_done: list[str]

    def grade(self, result: conformance.Result) -> str:
        """A case's grade: the Autobahn verdict, or NOT DONE when a function it needed is still a placeholder."""
        if any(p.kind == "not done yet" for p in self.problems.get(result.case.id, ())):
            return NOT_DONE
        return result.verdict.value

    @property
    def passed(self) -> int:
        return sum(result.passed for result in self.results)

    def failed(self) -> list[conformance.Result]:
        return [r for r in self.results if not r.passed and self.grade(r) != NOT_DONE]

    def summary(self) -> str:
        done = f"{self.passed}/{len(self.results)} cases passed"
        if self.not_done:
            return f"{done}; not done yet: {', '.join(self.not_done)} (write {self.not_done[0]} first)"
        return done

    def picture(self):
        from wslab.viz.scoreboard import scoreboard

        return scoreboard(self)

    def _repr_svg_(self) -> str:
        return self.picture().to_string()

    def __repr__(self) -> str:
        return f"<Scoreboard: {self.summary()}>"

    def details(self, limit: int = 10) -> str:
        """The failed cases (at most `limit`): what was sent, what came back, the rule, and the student's problems."""
        lines = []
        for result in self.failed()[:limit]:
            lines += conformance.report._case_lines(result)
            lines += [f"  your code: {p}" for p in self.problems.get(result.case.id, ())]
            lines.append("")
        more = len(self.failed()) - limit
        if more > 0:
            lines.append(f"... and {more} more failed cases")
        waiting = sum(self.grade(r) == NOT_DONE for r in self.results)
        if waiting:
            lines.append(
                f"{waiting} cases wait for functions not written yet; write {self.not_done[0]} first."
                if self.not_done
                else f"{waiting} cases wait for functions not written yet."
            )
        return "\n".join(lines).strip() or "No case failed."


#: The categories the capstone is graded on: all of RFC 6455 and the opening handshake. The compression
#: categories (RFC 7692) are left out: permessage-deflate is an extension this skeleton does not offer.
CATEGORIES = (
    "framing",
    "ping/pong",
    "reserved bits",
    "opcodes",
    "fragmentation",
    "UTF-8",
    "close",
    "limits",
    "handshake",
)


async def grade(server: CapstoneServer, cases: str | None = None) -> Scoreboard:
    """Run the suite's cases of `CATEGORIES` (or those matching `cases`) against a running capstone server."""
    results, problems = [], {}
    chosen = [case for case in conformance.all_cases(server.max_size) if case.category in CATEGORIES]
    for case in conformance.select(chosen, cases):
        mark = len(server.problems)
        results.append(await conformance.run_case(server.url, case))
        await asyncio.sleep(0)  # the server's side of the connection finishes its last step
        if server.problems[mark:]:
            problems[case.id] = list(dict.fromkeys(server.problems[mark:]))
    return Scoreboard(results, problems, server.not_done)


# --- real clients ----------------------------------------------------------------


async def client_check(url: str, text: str = "안녕, server!") -> str:
    """Connect the `websockets` library's client, echo a text and a binary message, close: one line of result."""
    import websockets

    try:
        async with websockets.connect(url, open_timeout=5, close_timeout=5) as ws:
            await ws.send(text)
            echoed_text = await asyncio.wait_for(ws.recv(), 5)
            await ws.send(b"\x00\x01\xff")
            echoed_bytes = await asyncio.wait_for(ws.recv(), 5)
        closed = ws.close_code
    except websockets.InvalidStatus as error:
        body = error.response.body.decode("utf-8", "replace").strip()
        return f"✗ the handshake was refused: HTTP {error.response.status_code}: {body}"
    except websockets.ConnectionClosed as error:
        code = error.rcvd.code if error.rcvd else "no Close frame"
        reason = f" {error.rcvd.reason!r}" if error.rcvd and error.rcvd.reason else ""
        return f"✗ the server closed the connection: {code}{reason}"
    except (OSError, asyncio.TimeoutError, websockets.InvalidHandshake) as error:
        return f"✗ {type(error).__name__}: {error}"
    ok = echoed_text == text and echoed_bytes == b"\x00\x01\xff" and closed == 1000
    mark = "✓" if ok else "✗"
    return (
        f"{mark} websockets client: sent {text!r}, got {echoed_text!r}; sent b'\\x00\\x01\\xff', "
        f"got {echoed_bytes!r}; closed with {closed}"
    )


def browser_snippet(url: str) -> str:
    """JavaScript for a browser tab's developer console: connect, send a text, log the echo, close."""
    return "\n".join(
        [
            f'const ws = new WebSocket("{url}");',
            'ws.onopen = () => ws.send("hello from the browser");',
            'ws.onmessage = (event) => { console.log("echo:", event.data); ws.close(1000); };',
            'ws.onclose = (event) => console.log("closed", event.code);',
        ]
    )
