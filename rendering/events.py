"""Server-Sent Events for work that progresses (a render job, a batch): one mechanism for both.

A stream opens with the current state, sends an event each time the state changes, ends with the
final event, and otherwise ends cleanly after ``SSE_STREAM_SECONDS`` with ``retry`` set so the
client reconnects (a web worker is never held by one client for long)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.http import StreamingHttpResponse

POLL_SECONDS = 0.25
HEARTBEAT_SECONDS = 15
RECONNECT_MS = 1000


@dataclass
class State:
    key: Hashable  # an event is sent whenever this changes
    event: str  # "progress" or the final event's name
    body: dict
    final: bool


def event_schema(names: list[str], data: str) -> dict:
    """The OpenAPI schema of one event as clients parse it: its name and its data, a JSON text
    (``data`` says what it holds)."""
    return {
        "type": "object",
        "properties": {
            "event": {"type": "string", "enum": names},
            "data": {"type": "string", "description": data},
        },
        "required": ["event", "data"],
    }


def event_lines(read: Callable[[], State]) -> Iterator[str]:
    """The stream's text: ``read()`` is polled for the current state until it is final or the
    stream's time is up."""
    started = last_beat = time.monotonic()
    last = None
    yield f"retry: {RECONNECT_MS}\n\n"
    while time.monotonic() - started < settings.SSE_STREAM_SECONDS:
        state = read()
        if state.key != last:
            last = state.key
            yield f"event: {state.event}\ndata: {json.dumps(state.body, default=str)}\n\n"
            if state.final:
                return
        elif time.monotonic() - last_beat > HEARTBEAT_SECONDS:
            last_beat = time.monotonic()
            yield ": keep-alive\n\n"
        time.sleep(POLL_SECONDS)


def event_stream_response(read: Callable[[], State]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(event_lines(read), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response
