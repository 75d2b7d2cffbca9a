"""Asking the worker to apply the flushed counts, by actor name (analytics/tasks.py declares it):
at most one message pending, FLUSH_DELAY_MS after the first flush that needs it (core.upkeep)."""

from __future__ import annotations

from core.durablelog import DurableLog
from core.upkeep import send_once

APPLY_ANALYTICS = "apply_analytics"
FLUSH_DELAY_MS = 10_000  # how fresh the dashboard's numbers are
LOG = DurableLog("analytics")  # the web processes' flushed counts, waiting for the worker


def flush_soon() -> None:
    """Without a Redis broker there is no durable log and nothing to ask: the collector wrote the
    counts itself. A broker or cache that is down postpones it to a later flush (the counts wait in
    Redis meanwhile)."""
    send_once(APPLY_ANALYTICS, delay_ms=FLUSH_DELAY_MS)
