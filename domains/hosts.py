"""Which account a host name serves, asked on every request whose Host is not one of ours: a small
cache entry per name (Redis, shared by every process), negative answers included, so a stream of
unknown hosts costs no database query each. Any change of a domain's status deletes its entry,
at once and again after the commit."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)
TTL = 300  # bounds staleness where deletes cannot reach every process (local-memory cache, Redis down)
_NONE = "-"


@dataclass(frozen=True)
class HostOwner:
    account_id: int
    username: str


def _key(name: str) -> str:
    return f"domains:host:{name}"


def owner_of(name: str) -> HostOwner | None:
    """The account a verified domain belongs to; None for any other name."""
    from domains.models import Domain  # late: the middleware imports this before apps are ready

    try:
        entry = cache.get(_key(name))
    except Exception:
        logger.warning("cache unavailable; reading domains from the database", exc_info=True)
        entry = None
    if entry == _NONE:
        return None
    if entry is not None:
        return HostOwner(*entry)
    row = (
        Domain.objects.filter(domain=name, status=Domain.Status.VERIFIED, account__is_active=True)
        .values_list("account_id", "account__username")
        .first()
    )
    try:
        cache.set(_key(name), tuple(row) if row else _NONE, TTL)
    except Exception:
        logger.warning("cache unavailable; domain %s not cached", name, exc_info=True)
    return HostOwner(*row) if row else None


def forget(name: str) -> None:
    def delete():
        try:
            cache.delete(_key(name))
        except Exception:
            logger.error(
                "could not forget domain %s in the cache (it expires in %s s)", name, TTL, exc_info=True
            )

    delete()
    transaction.on_commit(delete)
