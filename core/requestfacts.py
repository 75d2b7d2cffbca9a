"""What a request did, noted by the code that knows it (the account it acted for, the template it
rendered, the format, the render cache's answer), for the API analytics to count once the response
is out. One dict per request in a context variable: code deep in a service notes a fact without
being handed the request, and outside a request (the worker, a batch) noting does nothing."""

from __future__ import annotations

import contextvars
from typing import Any

_facts: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("request_facts", default=None)


def start() -> tuple[dict[str, Any], contextvars.Token]:
    facts: dict[str, Any] = {}
    return facts, _facts.set(facts)


def end(token: contextvars.Token) -> None:
    _facts.reset(token)


def current() -> dict[str, Any] | None:
    """The current request's facts so far (None outside a request). Read only."""
    return _facts.get()


def note(**facts: Any) -> None:
    """Records facts of the current request; the first value noted for a name stays (a render's
    own template, not one a later step looked at)."""
    current = _facts.get()
    if current is not None:
        for name, value in facts.items():
            current.setdefault(name, value)
