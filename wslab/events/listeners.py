"""Event listeners: ``on``, ``once``, ``off``, ``remove_all_listeners``.

Two flavours, because Socket.IO uses two emitters:
- the client Socket uses ``@socket.io/component-emitter``: ``off(event, fn)``
  removes the *first* matching listener, ``off(event)`` all of that event,
  ``off()`` all of every event; ``removeAllListeners`` is the same function.
- the server Socket extends Node's ``EventEmitter``: ``off(event, fn)`` removes
  the *most recently added* matching listener.
Either way, an emit calls a copy of the listener list, so a listener removed
during an emit still runs in that emit, and a ``once`` listener is removed just
before it runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Listener = Callable[..., Any]


class _Once:
    """Wraps a ``once`` listener; ``off(event, fn)`` matches the wrapper through ``fn``."""

    __slots__ = ("fn",)

    def __init__(self, fn: Listener) -> None:
        self.fn = fn


class Listeners:
    """Listener lists per event name, with component-emitter's removal rule."""

    remove_latest = False  # Node's EventEmitter removes the most recent match instead

    def __init__(self) -> None:
        self._callbacks: dict[str, list[Listener | _Once]] = {}

    def on(self, event: str, handler: Listener | None = None) -> Any:
        """Register ``handler`` for ``event``; also usable as a decorator ``@x.on("chat")``."""
        if handler is None:
            return self._decorator(self.on, event)
        self._check_callable(handler)
        self._callbacks.setdefault(event, []).append(handler)
        return self

    def once(self, event: str, handler: Listener | None = None) -> Any:
        """Register a one-time listener: removed, then called, the next time ``event`` fires."""
        if handler is None:
            return self._decorator(self.once, event)
        self._check_callable(handler)
        self._callbacks.setdefault(event, []).append(_Once(handler))
        return self

    def off(self, event: str | None = None, handler: Listener | None = None) -> Any:
        """Remove ``handler`` from ``event``; all of ``event``'s listeners without it; everything without both."""
        if event is None:
            self._callbacks.clear()
        elif handler is None:
            self._callbacks.pop(event, None)
        else:
            self._remove_one(event, handler)
        return self

    def remove_all_listeners(self, event: str | None = None) -> Any:
        """``removeAllListeners([event])``: every listener of ``event``, or of every event."""
        return self.off(event)

    def listeners(self, event: str) -> list[Listener]:
        """The listeners of ``event`` (``once`` ones shown as the function given)."""
        return [cb.fn if isinstance(cb, _Once) else cb for cb in self._callbacks.get(event, [])]

    def _remove_one(self, event: str, handler: Listener | _Once) -> None:
        callbacks = self._callbacks.get(event, [])
        order = range(len(callbacks) - 1, -1, -1) if self.remove_latest else range(len(callbacks))
        for i in order:
            cb = callbacks[i]
            if cb is handler or (isinstance(cb, _Once) and cb.fn is handler):
                del callbacks[i]
                break
        if not callbacks:
            self._callbacks.pop(event, None)

    def _fire(self, event: str, *args: Any) -> list[Any]:
        """Call every listener of ``event`` (a copy of the list); return their return values."""
        callbacks = self._callbacks.get(event)
        if not callbacks:
            return []
        results = []
        for cb in tuple(callbacks):
            if isinstance(cb, _Once):
                self._remove_one(event, cb)  # this very wrapper, before it runs
                results.append(cb.fn(*args))
            else:
                results.append(cb(*args))
        return results

    @staticmethod
    def _decorator(register: Callable[[str, Listener], Any], event: str) -> Callable[[Listener], Listener]:
        def decorate(fn: Listener) -> Listener:
            register(event, fn)
            return fn

        return decorate

    @staticmethod
    def _check_callable(handler: object) -> None:
        if not callable(handler):
            raise TypeError(f"a listener must be callable, not {type(handler).__name__}")


class NodeListeners(Listeners):
    """Node's EventEmitter flavour (server side)."""

    remove_latest = True
