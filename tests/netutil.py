"""Helpers shared by the network tests.

Tests are plain functions that call `run` (asyncio.run with a time limit); a server
that lives for a whole module (or that Playwright's sync API talks to) runs on a
loop of its own (`ServerThread`). Also here: `until` (wait for a condition),
`socketio_test_app` (socket.io-protocol's test server), `ws_url`, and the pages of
the browser tests over loopback HTTP (`http_site`, `static_site`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import http.server
import logging
import threading
from collections.abc import Iterator

from wslab.net import echo, serve  # noqa: F401  (echo: the one echo handler, for the tests)


class ServerThread:
    """`serve(handler, **options)` running in a daemon thread until `stop()`."""

    def __init__(self, handler, **options) -> None:
        self.loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(handler, options), daemon=True)
        self._thread.start()
        if not self._started.wait(10):
            raise RuntimeError("the server thread did not start")

    def _run(self, handler, options) -> None:
        asyncio.set_event_loop(self.loop)

        async def start():
            self.server = await serve(handler, **options)

        self.loop.run_until_complete(start())
        self._started.set()
        self.loop.run_forever()

    @property
    def url(self) -> str:
        return self.server.url

    def call(self, coro, timeout: float = 10):
        """Run a coroutine on the server's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        self.call(self.server.close(), timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


class LogRecorder(logging.Handler):
    """Collects the messages of the `wslab.net` logger while installed."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

    def __enter__(self) -> LogRecorder:
        logger = logging.getLogger("wslab.net")
        self._level = logger.level
        logger.setLevel(logging.INFO)
        logger.addHandler(self)
        return self

    def __exit__(self, *exc_info) -> None:
        logger = logging.getLogger("wslab.net")
        logger.removeHandler(self)
        logger.setLevel(self._level)


def run(coro, timeout: float = 30):
    """asyncio.run with a time limit, so a hung socket fails one test quickly.

    Once the session's Playwright `browser` fixture has started, Playwright's sync
    API leaves its own loop marked as running in the main thread, and asyncio.run
    refuses to start there; the coroutine then runs in a thread of its own.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(asyncio.wait_for(coro, timeout))
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, asyncio.wait_for(coro, timeout)).result()


async def until(predicate, timeout: float = 10) -> None:
    """Wait until `predicate()` holds, for at most `timeout` seconds; the caller then asserts it (what a
    peer reports comes a moment after the action)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            return
        await asyncio.sleep(0.02)


def socketio_test_app(**options):
    """The server of socket.io-protocol's test suite on a `wslab.events.Server(**options)`: on connection (to "/"
    and to "/custom") it emits "auth" with the client's auth; "message" comes back as "message-back", and
    "message-with-ack" is acknowledged with its own arguments."""
    from wslab.events import Server

    io = Server(**options)

    @io.on("connection")
    def on_connection(socket):
        socket.emit("auth", socket.handshake.auth)
        socket.on("message", lambda *args: socket.emit("message-back", *args))
        socket.on("message-with-ack", lambda *args: args)

    io.of("/custom").on("connection", lambda socket: socket.emit("auth", socket.handshake.auth))
    return io


def ws_url(server) -> str:
    """The ws:// URL of a loopback server: a wslab one (`.port`) or an asyncio one, as `websockets` serves."""
    port = server.sockets[0].getsockname()[1] if hasattr(server, "sockets") else server.port
    return f"ws://127.0.0.1:{port}/"


class _QuietFiles(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # no line per request in the test output
        pass


@contextlib.contextmanager
def http_site(handler) -> Iterator[str]:
    """An HTTP server on a free loopback port, in a thread, `handler` (a request handler class)
    answering: the pages browser tests load. Yields its origin, http://127.0.0.1:PORT."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        thread.join(5)


def static_site(directory) -> contextlib.AbstractContextManager[str]:
    """The files of `directory` over loopback HTTP (`http_site`); yields the origin."""
    return http_site(functools.partial(_QuietFiles, directory=str(directory)))
