"""Upkeep messages without a scheduler: whoever does work that an upkeep actor follows up on asks
for it, and at most one message is pending, ``delay_ms`` after the first ask (a cache marker that
lives as long). Best effort: a broker or cache that is down only postpones it to a later ask.
Without a long-lived worker (the embedded StubBroker setup) nothing is sent: the callers do that
work themselves there."""

from __future__ import annotations

import logging

import dramatiq
from django.core.cache import cache
from dramatiq.brokers.stub import StubBroker

logger = logging.getLogger(__name__)


def send_once(actor_name: str, *, delay_ms: int, again: bool = False) -> None:
    """``again``: the actor itself, carrying on (its own message is the pending one, now taken)."""
    broker = dramatiq.get_broker()
    if isinstance(broker, StubBroker):
        return
    marker = f"upkeep:{actor_name}-scheduled"
    try:
        if again:
            cache.delete(marker)
        if cache.add(marker, 1, timeout=delay_ms // 1000):
            broker.get_actor(actor_name).send_with_options(delay=delay_ms)
    except Exception:
        logger.warning("could not schedule %s", actor_name, exc_info=True)
