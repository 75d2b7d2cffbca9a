"""Sending the daily re-verification to the worker, by actor name (domains/tasks.py declares it)."""

from __future__ import annotations

from core.upkeep import send_once

RECHECK_DOMAINS = "recheck_domains"
RECHECK_EVERY_MS = 3600 * 1000  # hourly; each domain is looked up again once DOMAIN_RECHECK_HOURS have passed


def recheck_schedule(*, again: bool = False) -> None:
    """At most one pending message (core.upkeep). ``again``: the actor itself, carrying on while
    domains remain. The embedded setup has no long-lived worker to wait an hour: `manage.py
    recheck_domains` does it there."""
    send_once(RECHECK_DOMAINS, delay_ms=RECHECK_EVERY_MS, again=again)
