"""Errors a user of the simulated Socket.IO can cause, each saying what Socket.IO does."""

from __future__ import annotations

from typing import Any

from wslab.errors import WslabError

RESERVED_EVENTS = frozenset(
    {"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"}
)
"""Event names Socket.IO keeps for itself (emit cheatsheet, "Reserved events")."""


class EventsError(WslabError):
    """Base of the errors of `wslab.events`."""


class ReservedEventName(EventsError, ValueError):
    """Emitting a reserved name: Socket.IO throws ``"disconnect" is a reserved event name``."""

    def __init__(self, event: str) -> None:
        self.event = event
        super().__init__(f'"{event}" is a reserved event name')


class AckTimeout(EventsError, TimeoutError):
    """What an acknowledgement callback gets as ``err`` when the answers did not all come in time:
    JavaScript's ``new Error("operation has timed out")``."""

    def __init__(self) -> None:
        self.message = "operation has timed out"
        super().__init__(self.message)

    def __repr__(self) -> str:
        return "AckTimeout('operation has timed out')"


class NotConnected(EventsError, RuntimeError):
    """Something needs a connected socket and the client is not connected."""


class ConnectionRefused(EventsError):
    """Raise it in a middleware (``io.use``) to refuse a connection.

    The server answers with a CONNECT_ERROR packet ``44{"message":...}`` and the
    client's ``connect_error`` listeners receive a ConnectError.
    """

    def __init__(self, message: str, data: Any = None) -> None:
        self.message = message
        self.data = data
        super().__init__(message)

    def payload(self) -> dict[str, Any]:
        """The CONNECT_ERROR payload: ``{"message":...}``, with ``"data"`` when there is some."""
        return {"message": self.message} if self.data is None else {"message": self.message, "data": self.data}


class ConnectError:
    """What a client's ``connect_error`` listener receives (an ``Error`` in JavaScript)."""

    def __init__(self, message: str, data: Any = None, *, http_status: int | None = None) -> None:
        self.message = message
        self.data = data
        self.http_status = http_status

    def __repr__(self) -> str:
        return f"ConnectError({self.message!r})"

    def __str__(self) -> str:
        return self.message


def check_event_name(event: object) -> str:
    """Refuse what Socket.IO refuses to emit: reserved names and non-strings."""
    if not isinstance(event, str):
        raise TypeError(f"an event name is a string, not {type(event).__name__}")
    if event in RESERVED_EVENTS:
        raise ReservedEventName(event)
    return event
