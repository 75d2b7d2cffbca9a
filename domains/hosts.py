"""Which account a host name serves, asked on every request whose Host is not one of ours.

Each process keeps the whole table of verified domains (name → account) in memory, with the
version it was read at; the version is a counter in the cache (Redis, shared by every process)
that any change of a domain bumps. A request with a foreign Host costs one cache read; the table is
read again from the database only after a change (or after ``TTL``, should a bump not reach Redis).
Unknown names cost nothing more and store nothing: a flood of made-up Host headers neither queries
the database nor fills Redis."""

from __future__ import annotations

import logging
import secrets
import threading
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)
TTL = 60.0  # seconds a table is trusted without a version check answering (cache down, local memory)
_VERSION = "domains:hosts-version"
_lock = threading.Lock()
_table: tuple[object, float, dict[str, HostOwner]] | None = None  # (version, read at, names)


@dataclass(frozen=True)
class HostOwner:
    account_id: int
    username: str


def _version():
    try:
        return cache.get(_VERSION)
    except Exception:
        logger.warning("cache unavailable; custom domains read every %s s", TTL, exc_info=True)
        return None


def _load() -> dict[str, HostOwner]:
    from domains.models import Domain  # late: the middleware imports this before apps are ready

    rows = Domain.objects.filter(status=Domain.Status.VERIFIED, account__is_active=True).values_list(
        "domain", "account_id", "account__username"
    )
    return {name: HostOwner(account_id, username) for name, account_id, username in rows}


def owner_of(name: str) -> HostOwner | None:
    """The account a verified domain belongs to; None for any other name."""
    global _table
    version = _version()
    table = _table
    if table is None or table[0] != version or time.monotonic() - table[1] > TTL:
        with _lock:
            table = _table
            if table is None or table[0] != version or time.monotonic() - table[1] > TTL:
                table = _table = (version, time.monotonic(), _load())
    return table[2].get(name)


def forget(name: str = "") -> None:
    """A domain changed: every process reads the table again, now and once the transaction commits."""

    def bump():
        global _table
        _table = None  # this process at once, even without a shared cache
        try:
            # a random start: after a Redis flush the counter does not fall back on a value a table holds
            if not cache.add(_VERSION, secrets.randbelow(2**40), timeout=None):
                cache.incr(_VERSION)
        except Exception:
            logger.error("could not announce a change of domain %s (others see it within %s s)", name, TTL,
                         exc_info=True)  # fmt: skip

    bump()
    transaction.on_commit(bump)
