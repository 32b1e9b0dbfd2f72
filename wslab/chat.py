"""A small chat over plain WebSocket: the three delivery patterns of Socket.IO,
done by hand with a JSON envelope.

Socket.IO names three ways a server answers an event (seed §7):

=========================  ====================  ===========================
Socket.IO (JavaScript)     who receives it        here: ``"to"`` in a ``say``
=========================  ====================  ===========================
``io.emit(...)``           every client           ``"everyone"``
``socket.emit(...)``       only the sender        ``"me"``
``socket.broadcast.emit``  all but the sender     ``"others"``
=========================  ====================  ===========================

Plain WebSocket (RFC 6455) has none of this: it carries messages between one
client and the server. A fan-out is the server's own loop over its
connections, and the message format is ours to choose. This one is JSON text
messages (opcode 0x1):

client -> server  ``{"type": "hello", "name": "alice"}``
server -> client  ``{"type": "welcome", "name": "alice", "members": ["alice"]}``
client -> server  ``{"type": "say", "to": "others", "text": "hi"}``
server -> client  ``{"type": "said", "from": "alice", "to": "others", "text": "hi"}``
server -> client  ``{"type": "error", "text": "..."}`` for a message it cannot use

`ChatServer.handler` works with any connection object that has ``await
ws.send(str)`` and ``async for message in ws``: wslab's (`wslab.net`) and
the ``websockets`` library's alike. `ChatClient` likewise wraps either client.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["PATTERNS", "ChatServer", "ChatClient", "Delivery", "envelope", "conversation", "browser_snippet"]

# "to" value -> (Socket.IO call it mirrors, who gets it)
PATTERNS = {
    "everyone": ("io.emit", "every connected client, the sender included"),
    "me": ("socket.emit", "only the client that sent it"),
    "others": ("socket.broadcast.emit", "every client except the sender"),
}


def envelope(kind: str, **fields: Any) -> str:
    """One JSON message, keys in a fixed order so its bytes are the same every run."""
    return json.dumps({"type": kind, **fields}, ensure_ascii=False, separators=(", ", ": "))


@dataclass(frozen=True)
class Delivery:
    """One ``say`` and who it was delivered to (the server's log)."""

    sender: str
    to: str
    text: str
    recipients: tuple[str, ...]

    def __str__(self) -> str:
        call = PATTERNS[self.to][0]
        return f"{self.sender} says {self.text!r} to {self.to} ({call}) -> {', '.join(self.recipients) or 'nobody'}"


@dataclass
class ChatServer:
    """The chat's state: who is connected (by name) and what was delivered to whom."""

    members: dict[str, Any] = field(default_factory=dict)  # name -> connection, in join order
    log: list[Delivery] = field(default_factory=list)
    origins: dict[str, str | None] = field(default_factory=dict)  # name -> Origin of its handshake

    async def handler(self, ws: Any) -> None:
        """Serve one connection: a ``hello`` first, then any number of ``say``."""
        name = None
        try:
            async for message in ws:
                request = _parse(message)
                if request is None:
                    await ws.send(envelope("error", text='expected a JSON object with a "type"'))
                elif name is None:
                    name = await self._hello(ws, request)
                else:
                    await self._say(ws, name, request)
        finally:
            if name is not None and self.members.get(name) is ws:
                del self.members[name]

    async def _hello(self, ws: Any, request: dict) -> str | None:
        name = request.get("name")
        if request.get("type") != "hello" or not isinstance(name, str) or not name:
            await ws.send(envelope("error", text='say hello first: {"type": "hello", "name": ...}'))
            return None
        if name in self.members:
            await ws.send(envelope("error", text=f"the name {name!r} is taken"))
            return None
        self.members[name] = ws
        self.origins[name] = _origin(ws)
        await ws.send(envelope("welcome", name=name, members=list(self.members)))
        return name

    async def _say(self, ws: Any, name: str, request: dict) -> None:
        to, text = request.get("to", "everyone"), request.get("text")
        if request.get("type") != "say" or to not in PATTERNS or not isinstance(text, str):
            await ws.send(
                envelope("error", text=f'expected {{"type": "say", "to": one of {list(PATTERNS)}, "text": ...}}')
            )
            return
        recipients = self.recipients(name, to)
        self.log.append(Delivery(name, to, text, tuple(recipients)))
        message = envelope("said", **{"from": name, "to": to, "text": text})
        for recipient in recipients:
            await self.members[recipient].send(message)

    def recipients(self, sender: str, to: str) -> list[str]:
        """Who receives a ``say`` from `sender` with this ``to``, in join order."""
        if to == "everyone":
            return list(self.members)
        if to == "me":
            return [sender]
        return [name for name in self.members if name != sender]


def _origin(ws: Any) -> str | None:
    """The Origin header of the connection's handshake (wslab's or websockets' request)."""
    request = getattr(ws, "request", None)
    if request is None:
        return None
    if hasattr(request, "origin"):
        return request.origin
    return request.headers.get("Origin")


def _parse(message: str | bytes) -> dict | None:
    if isinstance(message, bytes):
        return None
    try:
        value = json.loads(message)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


class ChatClient:
    """One chat member over an open WebSocket client connection (wslab's or websockets')."""

    def __init__(self, name: str, ws: Any) -> None:
        self.name = name
        self.ws = ws
        self.inbox: list[dict] = []

    async def join(self) -> dict:
        """Say hello and wait for the welcome (so the server knows us before we speak)."""
        await self.ws.send(envelope("hello", name=self.name))
        return await self.receive()

    async def say(self, text: str, to: str = "everyone") -> None:
        if to not in PATTERNS:
            raise ValueError(f"to must be one of {list(PATTERNS)}, not {to!r}")
        await self.ws.send(envelope("say", to=to, text=text))

    async def receive(self) -> dict:
        """The next message from the server, decoded."""
        message = json.loads(await self.ws.recv())
        self.inbox.append(message)
        return message

    def __repr__(self) -> str:
        return f"<ChatClient {self.name}: {len(self.inbox)} received>"


async def conversation(alice: ChatClient, bob: ChatClient, carol: ChatClient) -> dict[str, list[str]]:
    """The lesson's conversation, one pattern each, every reply awaited:
    alice to everyone, bob to himself, carol to the others. Returns what each received."""
    for member in (alice, bob, carol):
        await member.join()
    await alice.say("hello everyone", to="everyone")
    for member in (alice, bob, carol):
        await member.receive()
    await bob.say("note to self", to="me")
    await bob.receive()
    await carol.say("psst", to="others")
    for member in (alice, bob):
        await member.receive()
    return {m.name: [msg["text"] for msg in m.inbox if msg["type"] == "said"] for m in (alice, bob, carol)}


def browser_snippet(url: str, name: str = "browser") -> str:
    """JavaScript to paste in a browser tab's developer console to join the chat at `url`.

    The browser adds the page's origin as the Origin header by itself (§4.1 item 8).
    """
    hello = envelope("hello", name=name)
    say = envelope("say", to="everyone", text=f"hi from {name}")
    return "\n".join(
        [
            f'const ws = new WebSocket("{url}");',
            f"ws.onopen = () => {{ ws.send({json.dumps(hello)}); ws.send({json.dumps(say)}); }};",
            'ws.onmessage = (event) => console.log("received", JSON.parse(event.data));',
            'ws.onclose = (event) => console.log("closed", event.code, event.reason);',
        ]
    )
