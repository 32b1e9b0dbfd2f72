"""Exercises of lesson 06 · A live connection: handlers and clients checked on loopback."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

from wslab import frames
from wslab.exercises import checks, solutions
from wslab.exercises import feedback as fb
from wslab.exercises.exercise import Checked, Choice, Predict
from wslab.exercises.feedback import Case, described
from wslab.frames import Frame, Opcode
from wslab.masking import RFC_MASK_KEY

TITLE = "A live connection"
STEM = "06_live_connection"

RECV_TIMEOUT = 3.0


def _not_coroutine(ex, answer, what: str):
    if not inspect.iscoroutinefunction(answer):
        return fb.failed(
            ex.id, f"expected an async function ({what}), got {type(answer).__name__}: write it with async def"
        )
    return None


class _Student:
    """Collects exceptions raised in the student's handler while real clients talk to it."""

    def __init__(self, handler):
        self.handler = handler
        self.errors: list[BaseException] = []

    async def __call__(self, ws):
        try:
            await self.handler(ws)
        except Exception as exc:  # kept for the feedback; not re-raised, so no traceback is logged
            self.errors.append(exc)
            await ws.close(1011, "the handler raised an exception")


async def _exchange(url: str, messages, *, library: bool = False) -> list:
    """Send each message on one connection and collect the answers (None: no answer in time)."""
    ws: Any
    if library:
        import websockets

        ws = await websockets.connect(url, compression=None)
    else:
        from wslab.net import connect

        ws = await connect(url)
    answers: list[Any] = []
    try:
        for message in messages:
            await ws.send(message)
            try:
                answers.append(await asyncio.wait_for(ws.recv(), RECV_TIMEOUT))
            except asyncio.TimeoutError:
                answers.append(None)
                break
    finally:
        await ws.close()
    return answers


def _live_handler_check(*, plan, expect, what: str):
    """Serve the student's handler with wslab, connect the plan's clients, compare what they received."""

    def check(ex, answer):
        wrong = _not_coroutine(ex, answer, "a handler: async def handler(ws)")
        if wrong:
            return wrong
        student = _Student(answer)

        async def run():
            from wslab.net import serve

            async with serve(student) as server:
                return await asyncio.gather(
                    *(_exchange(server.url, messages, library=library) for library, messages in plan)
                )

        try:
            received = checks.run_live(run)
        except Exception as exc:
            if student.errors:
                return fb.errored(ex.id, student.errors[0], _plan_text(plan))
            return fb.failed(ex.id, f"a client could not finish: {type(exc).__name__}: {exc}")
        if student.errors:
            return fb.errored(ex.id, student.errors[0], _plan_text(plan))
        for (library, messages), answers in zip(plan, received, strict=True):
            client = "a websockets client" if library else "a wslab client"
            for message, answer in zip(messages, answers + [None] * (len(messages) - len(answers)), strict=True):
                wanted = expect(message, messages)
                if answer != wanted:
                    return fb.failed(
                        ex.id,
                        f"{client} sent {message!r} and got the wrong answer",
                        Case(
                            f"{client} sends {message!r}",
                            wanted,
                            described("no answer within 3 s") if answer is None else answer,
                            "",
                            what,
                        ),
                    )
        clients = len(plan)
        total = sum(len(m) for _, m in plan)
        return fb.passed(
            ex.id,
            f"{clients} real clients on loopback (wslab and websockets) sent {total} messages; every answer was right",
        )

    return check


def _plan_text(plan) -> str:
    return "; ".join(
        f"{'a websockets' if library else 'a wslab'} client sends " + ", ".join(map(repr, messages))
        for library, messages in plan
    )


_UPPER_PLAN = [(False, ["hello", "Grüße, ✓", b"\x00\x01binary"]), (True, ["websockets too", "", b"\xff"])]
_COUNT_PLAN = [(False, ["a", "b", "c"]), (True, ["x", "y"]), (False, ["only one"])]


def _upper(message, messages):
    return message.upper() if isinstance(message, str) else message


def _count(message, messages):
    return str(messages.index(message) + 1)


def _round_trip_check(ex, answer):
    wrong = _not_coroutine(ex, answer, "a client: async def measure(url) -> float")
    if wrong:
        return wrong
    errors: list[BaseException] = []

    async def run():
        from wslab.net import serve
        from wslab.tap import Tap

        async def quiet(ws):
            async for _ in ws:
                pass

        tap = Tap()
        async with serve(quiet, on_bytes=tap.server_hook) as server:
            try:
                value = await answer(server.url)
            except Exception as exc:
                errors.append(exc)
                return None, []
            await asyncio.sleep(0.05)
            return value, [e.frame.opcode for e in tap.frames() if e.sender == "client" and e.frame]

    try:
        value, opcodes = checks.run_live(run)
    except Exception as exc:
        return fb.failed(ex.id, f"the check could not finish: {type(exc).__name__}: {exc}")
    if errors:
        return fb.errored(ex.id, errors[0], "measure(url)")
    pings = opcodes.count(Opcode.PING)
    if pings != 1:
        return fb.failed(
            ex.id,
            f"the server received {pings} Ping frames",
            Case(
                "measure(url)",
                described("exactly one Ping"),
                described(f"{pings} Ping(s) among {len(opcodes)} frames"),
                "RFC 6455 §5.5.2",
            ),
        )
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 < value < checks.LIVE_TIMEOUT:
        return fb.failed(
            ex.id,
            "the value returned is not a round trip in seconds",
            Case("measure(url)", described("a float, seconds, > 0"), value),
        )
    return fb.passed(
        ex.id, "a real server received exactly one Ping from your client, and you returned a round trip in seconds"
    )


def _tap_entries() -> int:
    async def run():
        from wslab.net import connect, serve
        from wslab.tap import Tap

        async def echo(ws):
            async for message in ws:
                await ws.send(message)

        tap = Tap()
        async with serve(echo, on_bytes=tap.server_hook) as server:
            ws = await connect(server.url, mask_key=RFC_MASK_KEY)
            await ws.send("Hello")
            await ws.recv()
            await tap.wait_for(4)
            count = len(tap.entries)
            await ws.close()
        return count

    return checks.run_live(run)


def _header_sizes() -> dict:
    return {
        "client": len(frames.encode(Frame(Opcode.TEXT, b"Hello"), RFC_MASK_KEY)) - 5,
        "server": len(frames.encode(Frame(Opcode.TEXT, b"Hello"))) - 5,
    }


EXERCISES = [
    Choice(
        "06.asyncio_run",
        "Why does asyncio.run(main()) fail in a notebook cell?",
        options={
            "a": "the kernel already runs an event loop in this thread, and asyncio.run wants its own",
            "b": "notebooks cannot run asyncio code at all",
            "c": "the server has not been started yet",
        },
        answer="a",
        why_not={
            "b": "They can: write await main() at the top level of a cell.",
            "c": "asyncio.run fails before any of your code runs.",
        },
        hints=["The error says: asyncio.run() cannot be called from a running event loop."],
        explanation="ipykernel runs cells on its own loop; top-level await uses it.",
        rule="",
    ),
    Checked(
        "06.upper_echo",
        "Write an echo handler that upper-cases text (binary comes back unchanged)",
        kind="live",
        checker=_live_handler_check(plan=_UPPER_PLAN, expect=_upper, what="text upper-cased, binary unchanged"),
        solution=solutions.upper_echo,
        hints=[
            "Start from the lesson's echo: async for message in ws: await ws.send(message).",
            "A text message arrives as str, a binary one as bytes: isinstance(message, str).",
        ],
        explanation="Lesson 06's echo with one change.",
    ),
    Checked(
        "06.round_trip",
        "Write a client measure(url): connect, ping once, close, return the round trip in seconds",
        kind="live",
        checker=_round_trip_check,
        solution=solutions.round_trip,
        hints=[
            "from wslab.net import connect; ws = await connect(url).",
            "await ws.ping(b'...') returns when the Pong arrives; time.perf_counter() before and after.",
            "Close with await ws.close() before you return.",
        ],
        explanation="perf_counter around one ping.",
        rule="RFC 6455 §5.5.2",
    ),
    Checked(
        "06.counting_echo",
        "Write a handler that answers each message with how many this connection has sent",
        kind="live",
        checker=_live_handler_check(plan=_COUNT_PLAN, expect=_count, what="'1', '2', ... counted per connection"),
        solution=solutions.counting_echo,
        hints=[
            "The handler runs once per connection: a local variable in it belongs to that connection.",
            "count = 0; async for _ in ws: count += 1; await ws.send(str(count))",
        ],
        explanation="A local counter: each connection has its own handler call.",
    ),
    Predict(
        "06.tap_entries",
        "Connect, send 'Hello', receive the echo: how many entries has the server's tap recorded?",
        expected=_tap_entries,
        source="a real wslab server and tap",
        hints=["Lesson 06 section 2: the handshake is two entries.", "Then one frame each way."],
        explanation="4: the request, the 101, the client's frame, the server's frame.",
    ),
    Predict(
        "06.header_sizes",
        "How many bytes of header has the frame carrying 'Hello' from each side?",
        expected=_header_sizes,
        source="frames.encode",
        question="{'client': ..., 'server': ...}",
        hints=["Both fit the 7-bit length; only one side masks."],
        explanation="6 from the client (2 + 4 key bytes), 2 from the server.",
        rule="RFC 6455 §5.2, §5.3",
    ),
]
