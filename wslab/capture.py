"""A real browser's WebSocket session, as captured byte for byte, replayed into a wire tap.

`tests/chromium_capture.py` opens a connection from headless Chromium to a
wslab server with a tap, sends a few messages, closes, and stores every chunk
of bytes the server received and sent (``wslab/captures/chromium.json``). A
lesson shows that capture instead of a live one, so its outputs are the same on
every run; a test captures again with today's Chromium and checks that the
browser still offers the same extensions (RFC 7692) in its handshake.

    tap = chromium_session()      # a Tap holding the captured entries
    tap[1].head                   # Chromium's upgrade request, as it was on the wire
"""

from __future__ import annotations

import json
from pathlib import Path

from wslab.frames import Role, decode
from wslab.tap import CLIENT_TO_SERVER, Tap

__all__ = ["CAPTURES", "load", "chromium_session", "frames_of"]

CAPTURES = Path(__file__).parent / "captures"


def load(name: str = "chromium") -> dict:
    """The stored capture: ``browser``, ``chunks`` ([connection, direction, hex], in order), ``events``."""
    return json.loads((CAPTURES / f"{name}.json").read_text(encoding="utf-8"))


def chromium_session(name: str = "chromium") -> Tap:
    """A fresh `Tap` fed with the captured chunks, exactly as the server's hook saw them."""
    tap = Tap()
    for connection, direction, data in load(name)["chunks"]:
        tap.record(connection, direction, bytes.fromhex(data))
    return tap


def frames_of(name: str, direction: str, connection: str = "c1") -> list[bytes]:
    """The frames one side sent, each exactly as on the wire, split with `wslab.frames.decode`
    (RSV1 allowed: a capture with permessage-deflate has compressed frames, which a tap does not inflate)."""
    stream = b"".join(
        bytes.fromhex(data) for conn, way, data in load(name)["chunks"] if conn == connection and way == direction
    )
    rest = stream[stream.index(b"\r\n\r\n") + 4 :]
    receiver: Role = "server" if direction == CLIENT_TO_SERVER else "client"
    found = []
    while rest:
        _, used = decode(rest, role=receiver, rsv1_allowed=True)
        found.append(rest[:used])
        rest = rest[used:]
    return found
