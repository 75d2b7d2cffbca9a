"""Sending the daily re-verification to the worker, by actor name (domains/tasks.py declares it)."""

from __future__ import annotations

import logging

import dramatiq
from django.core.cache import cache
from dramatiq.brokers.stub import StubBroker

logger = logging.getLogger(__name__)
RECHECK_DOMAINS = "recheck_domains"
RECHECK_EVERY_MS = 3600 * 1000  # hourly; each domain is looked up again once DOMAIN_RECHECK_HOURS have passed
_SCHEDULED = "domains:recheck-scheduled"


def recheck_schedule(*, again: bool = False) -> None:
    """At most one pending message; best effort (a broker or cache that is down postpones it to the
    next verification). ``again``: the actor itself, carrying on while domains remain."""
    broker = dramatiq.get_broker()
    if isinstance(broker, StubBroker):
        return  # the embedded setup has no long-lived worker to wait an hour; `manage.py recheck_domains`
    try:
        if again:
            cache.delete(_SCHEDULED)
        if cache.add(_SCHEDULED, 1, timeout=RECHECK_EVERY_MS // 1000):
            broker.get_actor(RECHECK_DOMAINS).send_with_options(delay=RECHECK_EVERY_MS)
    except Exception:
        logger.warning("could not schedule the domain re-verification", exc_info=True)
