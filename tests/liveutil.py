"""Helpers for the live tests (tap, chat, console)."""

import asyncio
import concurrent.futures


def run(coro, timeout: float = 30):
    """`asyncio.run(coro)` in a worker thread, with a time limit.

    A thread of its own, because a session-scoped Playwright browser (sync
    API) leaves an event loop marked as running in the main thread, where
    asyncio.run() then refuses to start.
    """
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, asyncio.wait_for(coro, timeout)).result()
