"""Asking the worker to apply the flushed counts, by actor name (analytics/tasks.py declares it):
at most one message pending, FLUSH_DELAY_MS after the first flush that needs it."""

from __future__ import annotations

import logging

import dramatiq
from django.core.cache import cache
from dramatiq.brokers.stub import StubBroker

from core.durablelog import DurableLog

logger = logging.getLogger(__name__)
APPLY_ANALYTICS = "apply_analytics"
FLUSH_DELAY_MS = 10_000  # how fresh the dashboard's numbers are
_SCHEDULED = "analytics:apply-scheduled"
LOG = DurableLog("analytics")  # the web processes' flushed counts, waiting for the worker


def flush_soon() -> None:
    """Best effort: a broker or cache that is down postpones it to a later flush (the counts wait
    in Redis meanwhile)."""
    broker = dramatiq.get_broker()
    if isinstance(broker, StubBroker):
        return  # no durable log without a Redis broker: the collector wrote the counts itself
    try:
        if cache.add(_SCHEDULED, 1, timeout=FLUSH_DELAY_MS // 1000):
            broker.get_actor(APPLY_ANALYTICS).send_with_options(delay=FLUSH_DELAY_MS)
    except Exception:
        logger.warning("could not schedule the analytics flush", exc_info=True)
